#include <pando/graph/messenger.hpp>

#include <pando/core/error.hpp>

#include <fmt/format.h>

#include <cstring>
#include <limits>

namespace pando {

namespace {

// The fixed part of a header message; the buffer lengths (uint64 each) follow, then, for an
// inline value, the metadata and the buffers.
struct Head {
  std::uint64_t type;
  std::uint64_t meta_len;
  std::uint32_t nbuf;
  std::uint32_t inline_parts;
};
static_assert(sizeof(Head) == 24);

std::size_t total_bytes(const Encoded& e) {
  std::size_t n = e.meta.size();
  for (const auto& b : e.buffers) n += b.size();
  return n;
}

// The header of `e`: with its parts inline when they fit in `capacity`.
Bytes make_header(const Encoded& e, std::size_t capacity, bool& inline_parts) {
  const std::size_t fixed = sizeof(Head) + 8 * e.buffers.size();
  if (fixed > capacity)
    throw ValueError(fmt::format("a value of {} buffers is too many to send (at most {})",
                                 e.buffers.size(), (capacity - sizeof(Head)) / 8));
  inline_parts = fixed + total_bytes(e) <= capacity;
  Bytes h(inline_parts ? fixed + total_bytes(e) : fixed);
  Head head{e.type, e.meta.size(), static_cast<std::uint32_t>(e.buffers.size()), inline_parts};
  std::memcpy(h.data(), &head, sizeof head);
  std::byte* p = h.data() + sizeof head;
  for (const auto& b : e.buffers) {
    std::uint64_t len = b.size();
    std::memcpy(p, &len, 8);
    p += 8;
  }
  if (inline_parts) {
    if (!e.meta.empty()) std::memcpy(p, e.meta.data(), e.meta.size());
    p += e.meta.size();
    for (const auto& b : e.buffers) {
      if (b.size()) std::memcpy(p, b.data(), b.size());
      p += b.size();
    }
  }
  return h;
}

// Reads a header; for an inline value fills `parts` completely (small copies, so the header
// buffer can take the next message), otherwise allocates the parts to receive into.
bool read_header(const Buffer& header, std::size_t length, Encoded& parts) {
  if (length < sizeof(Head)) throw MpiError("received a truncated value header");
  Head head;
  std::memcpy(&head, header.data(), sizeof head);
  parts.type = head.type;
  const std::byte* p = header.data() + sizeof head;
  std::vector<std::uint64_t> lens(head.nbuf);
  if (head.nbuf) std::memcpy(lens.data(), p, 8 * head.nbuf);
  p += 8 * head.nbuf;
  if (head.inline_parts) {
    parts.meta.assign(p, p + head.meta_len);
    std::size_t offset = static_cast<std::size_t>(p - header.data()) + head.meta_len;
    for (auto len : lens) {
      parts.buffers.push_back(Buffer::copy_of(header.bytes().subspan(offset, len)));
      offset += len;
    }
    return true;
  }
  parts.meta.resize(head.meta_len);
  for (auto len : lens) parts.buffers.push_back(Buffer::allocate(len));
  return false;
}

}  // namespace

Messenger::Messenger(const Comm& comm) : comm_(comm), max_tag_(comm.max_tag()) {}

int Messenger::tag_of(std::uint32_t tag) const {
  if (tag > static_cast<std::uint32_t>(max_tag_))
    throw GraphError(fmt::format(
        "this MPI allows message tags up to {}, and the schedule needs {}: split the computation "
        "into smaller graphs",
        max_tag_, tag));
  return static_cast<int>(tag);
}

void Messenger::track(Request r, SlotKind kind, std::uint32_t index) {
  auto slot = pool_.add(std::move(r));
  if (slot >= slots_.size()) slots_.resize(slot + 1);
  slots_[slot] = {kind, index};
}

std::size_t Messenger::send(const Value& value, std::span<const std::int32_t> dests,
                            std::uint32_t tag) {
  if (dests.empty()) return 0;
  const int mpi_tag = tag_of(tag);
  std::uint32_t index;
  if (!free_out_.empty()) {
    index = free_out_.back();
    free_out_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(outgoing_.size());
    outgoing_.emplace_back();
  }
  Outgoing& out = outgoing_[index];
  out.parts = value.encode();
  bool inline_parts = false;
  out.header = make_header(out.parts, inline_capacity, inline_parts);
  out.pending = 0;
  ++outgoing_live_;
  for (int dest : dests) {
    track(comm_.isend(std::span<const std::byte>(out.header), dest, mpi_tag), SlotKind::send,
          index);
    ++out.pending;
    if (inline_parts) continue;
    track(comm_.isend(std::span<const std::byte>(out.parts.meta), dest, mpi_tag), SlotKind::send,
          index);
    ++out.pending;
    for (const auto& b : out.parts.buffers) {
      track(comm_.isend(b.bytes(), dest, mpi_tag), SlotKind::send, index);
      ++out.pending;
    }
  }
  return inline_parts ? out.header.size() : out.header.size() + total_bytes(out.parts);
}

void Messenger::expect(std::uint32_t tag, int from) {
  std::uint32_t index;
  if (!free_in_.empty()) {
    index = free_in_.back();
    free_in_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(incoming_.size());
    incoming_.emplace_back();
  }
  Incoming& in = incoming_[index];
  in.tag = tag;
  in.from = from;
  in.parts = Encoded{};
  in.bytes = 0;
  if (in.header.empty()) in.header = Buffer::allocate(inline_capacity);  // kept for reuse
  in.pending = 1;
  track(comm_.irecv(std::span<std::byte>(in.header.mutable_data(), inline_capacity), from,
                    tag_of(tag)),
        SlotKind::header, index);
}

void Messenger::header_arrived(std::uint32_t index, std::vector<Arrival>& arrived) {
  Incoming& in = incoming_[index];
  // The header's own length is not reported by a request pool; parse what the header says.
  if (read_header(in.header, inline_capacity, in.parts)) {
    in.bytes = sizeof(Head) + total_bytes(in.parts);
    complete(index, arrived);
    return;
  }
  const int tag = tag_of(in.tag);
  in.bytes = total_bytes(in.parts);
  track(comm_.irecv(std::span<std::byte>(in.parts.meta), in.from, tag), SlotKind::part, index);
  ++in.pending;
  for (auto& b : in.parts.buffers) {
    track(comm_.irecv(std::span<std::byte>(b.mutable_data(), b.size()), in.from, tag),
          SlotKind::part, index);
    ++in.pending;
  }
}

void Messenger::complete(std::uint32_t index, std::vector<Arrival>& arrived) {
  Incoming& in = incoming_[index];
  arrived.push_back({in.tag, in.from, Value::from_encoded(std::move(in.parts)), in.bytes});
  in.parts = Encoded{};
  free_in_.push_back(index);
}

void Messenger::progress(bool block, std::vector<Arrival>& arrived) {
  if (pool_.active() == 0) return;
  auto done = block ? pool_.wait_some() : pool_.test_some();
  // Read what every completed slot was for before handling any: handling a header posts new
  // requests, which may reuse the slots that just completed.
  completed_.clear();
  for (int s : done) completed_.push_back(slots_[static_cast<std::size_t>(s)]);
  for (const Slot& slot : completed_) {
    switch (slot.kind) {
      case SlotKind::send: {
        Outgoing& out = outgoing_[slot.index];
        if (--out.pending == 0) {
          out = Outgoing{};
          free_out_.push_back(slot.index);
          --outgoing_live_;
        }
        break;
      }
      case SlotKind::header:
        --incoming_[slot.index].pending;
        header_arrived(slot.index, arrived);
        break;
      case SlotKind::part:
        if (--incoming_[slot.index].pending == 0) complete(slot.index, arrived);
        break;
    }
  }
}

void Messenger::finish_sends() {
  std::vector<Arrival> none;
  while (outgoing_live_ > 0) progress(true, none);
}

namespace {
Bytes encode_whole(const Value& value) {
  bool ignored = false;
  return make_header(value.encode(), std::numeric_limits<std::size_t>::max(), ignored);
}
// What the sender of a value that cannot be encoded sends instead: the reason, as a failure
// (which always encodes), so that the receivers do not wait for bytes that never come.
Bytes encode_or_failure(const Value& value, bool& failed) {
  failed = false;
  try {
    return encode_whole(value);
  } catch (const std::exception& e) {
    failed = true;
    return encode_whole(Value::failure(TaskFailure{ErrorRecord::of(e), {}, -1, 0}));
  }
}
Value decode_whole(Bytes bytes) {
  auto buffer = Buffer::adopt(std::move(bytes));
  Encoded received;
  read_header(buffer, buffer.size(), received);
  return Value::from_encoded(std::move(received));
}
}  // namespace

Value Messenger::transfer(const Comm& comm, const Value& value, int from, int to) {
  if (from == to) return value;
  constexpr int tag = 1;
  if (comm.rank() == from) {
    bool failed = false;
    Bytes bytes = encode_or_failure(value, failed);
    comm.send(std::span<const std::byte>(bytes), to, tag);
    return failed ? decode_whole(std::move(bytes)) : value;
  }
  return decode_whole(comm.recv_vector<std::byte>(from, tag));
}

Value Messenger::broadcast(const Comm& comm, const Value& value, int root) {
  if (comm.size() == 1) return value;
  Bytes bytes;
  bool failed = false;
  if (comm.rank() == root) bytes = encode_or_failure(value, failed);
  comm.bcast_vector(bytes, root);  // everything inline: one broadcast
  if (comm.rank() == root && !failed) return value;
  return decode_whole(std::move(bytes));
}

}  // namespace pando
