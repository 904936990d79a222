#include <pando/graph/detail/messenger.hpp>

#include <pando/core/error.hpp>
#include <pando/core/fault.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
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

// What a header says about the value it announces.
struct Announced {
  std::uint64_t type = 0;
  std::uint64_t meta_len = 0;
  std::vector<std::uint64_t> lens;  // of the buffers
  bool inline_parts = false;
  const std::byte* inline_bytes = nullptr;  // meta then buffers, when inline
};

Announced parse_header(const Buffer& header, std::size_t length) {
  if (length < sizeof(Head)) throw MpiError("received a truncated value header");
  Head head;
  std::memcpy(&head, header.data(), sizeof head);
  if (sizeof(Head) + 8 * std::size_t{head.nbuf} > length)
    throw MpiError("received a malformed value header");
  Announced a;
  a.type = head.type;
  a.meta_len = head.meta_len;
  a.inline_parts = head.inline_parts != 0;
  a.lens.resize(head.nbuf);
  const std::byte* p = header.data() + sizeof head;
  if (head.nbuf) std::memcpy(a.lens.data(), p, 8 * std::size_t{head.nbuf});
  a.inline_bytes = p + 8 * std::size_t{head.nbuf};
  return a;
}

// The parts of an inline value, copied out of the header (small copies, so the header buffer
// can take the next message).
Encoded parts_from_header(const Announced& a) {
  Encoded parts;
  parts.type = a.type;
  const std::byte* p = a.inline_bytes;
  parts.meta.assign(p, p + a.meta_len);
  p += a.meta_len;
  for (auto len : a.lens) {
    parts.buffers.push_back(Buffer::copy_of({p, len}));
    p += len;
  }
  return parts;
}

// Empty parts of the announced sizes, to receive into.
Encoded allocated_parts(const Announced& a) {
  Encoded parts;
  parts.type = a.type;
  parts.meta.resize(a.meta_len);
  for (auto len : a.lens) parts.buffers.push_back(Buffer::allocate(len));
  return parts;
}

// A part of `len` bytes travels as this many messages (an empty part as one empty message).
std::size_t pieces_of(std::size_t len, std::size_t piece) {
  return len == 0 ? 1 : (len + piece - 1) / piece;
}

}  // namespace

Messenger::Messenger(const Comm& comm)
    : comm_(comm), max_tag_(comm.max_tag()), piece_(detail::message_piece_bytes()) {}

Messenger::~Messenger() {
  // In a run that ended normally nothing is in flight. After an MPI failure, a send may still be
  // queued: it is abandoned to MPI with its bytes (never freed), and receives are cancelled by
  // the pool.
  for (std::size_t slot = 0; slot < slots_.size(); ++slot)
    if (slots_[slot].kind == SlotKind::send && pool_.active(slot)) pool_.abandon(slot);
  if (outgoing_live_ > 0) (void)new std::vector<Outgoing>(std::move(outgoing_));
}

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

void Messenger::send_pieces(std::span<const std::byte> part, int dest, int tag,
                            std::uint32_t index) {
  const std::size_t n = pieces_of(part.size(), piece_);
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t at = k * piece_;
    track(comm_.isend(part.subspan(at, std::min(piece_, part.size() - at)), dest, tag),
          SlotKind::send, index);
    ++outgoing_[index].pending;
  }
}

std::uint32_t Messenger::earliest_use_in_flight() const noexcept {
  std::uint32_t first = std::numeric_limits<std::uint32_t>::max();
  for (const Outgoing& out : outgoing_)
    if (out.pending > 0) first = std::min(first, out.first_use);
  return first;
}

std::size_t Messenger::send(const Value& value, std::span<const std::int32_t> dests,
                            std::uint32_t tag, std::uint32_t first_use) {
  if (dests.empty()) return 0;
  // Everything that can fail happens before the first message leaves.
  fault::point(fault::Point::send);
  const int mpi_tag = tag_of(tag);
  Encoded parts = value.encode();
  bool is_inline = false;
  Bytes header = make_header(parts, inline_capacity, is_inline);

  std::uint32_t index;
  if (!free_out_.empty()) {
    index = free_out_.back();
    free_out_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(outgoing_.size());
    outgoing_.emplace_back();
  }
  Outgoing& out = outgoing_[index];
  out.parts = std::move(parts);
  out.header = std::move(header);
  out.pending = 0;
  const std::size_t bytes =
      is_inline ? out.header.size() : out.header.size() + total_bytes(out.parts);
  out.bytes = bytes * dests.size();
  out.first_use = first_use;
  bytes_in_flight_ += out.bytes;
  ++outgoing_live_;
  for (int dest : dests) {
    track(comm_.isend(std::span<const std::byte>(out.header), dest, mpi_tag), SlotKind::send,
          index);
    ++outgoing_[index].pending;
    if (is_inline) continue;
    send_pieces(outgoing_[index].parts.meta, dest, mpi_tag, index);
    for (const auto& b : outgoing_[index].parts.buffers)
      send_pieces(b.bytes(), dest, mpi_tag, index);
  }
  return bytes;
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

void Messenger::receive_pieces(std::span<std::byte> part, std::uint32_t index) {
  Incoming& in = incoming_[index];
  const int tag = tag_of(in.tag);
  const std::size_t n = pieces_of(part.size(), piece_);
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t at = k * piece_;
    track(comm_.irecv(part.subspan(at, std::min(piece_, part.size() - at)), in.from, tag),
          SlotKind::part, index);
    ++incoming_[index].pending;
  }
}

void Messenger::header_arrived(std::uint32_t index, std::vector<Arrival>& arrived) {
  Incoming& in = incoming_[index];
  // The header's own length is not reported by a request pool; parse what the header says. A
  // header that does not parse means the ranks disagree about the messages: not recoverable.
  const Announced a = parse_header(in.header, inline_capacity);
  in.bytes = a.meta_len;
  for (auto len : a.lens) in.bytes += len;
  try {
    fault::point(fault::Point::receive);
    if (a.inline_parts) {
      in.parts = parts_from_header(a);
      in.bytes += sizeof(Head);
      complete(index, arrived);
      return;
    }
    in.parts = allocated_parts(a);
  } catch (const std::exception& e) {
    // The sender has posted every piece: take them in and drop them, then report why.
    in.error = ErrorRecord::of(e);
    in.parts = Encoded{};
    if (a.inline_parts) {
      complete(index, arrived);
      return;
    }
    auto drain_part = [&](std::size_t len) {
      for (std::size_t k = 0, n = pieces_of(len, piece_); k < n; ++k)
        in.drain.push_back(std::min(piece_, len - k * piece_));
    };
    drain_part(a.meta_len);
    for (auto len : a.lens) drain_part(len);
    std::reverse(in.drain.begin(), in.drain.end());  // taken from the back
    drain_next(index, arrived);
    return;
  }
  receive_pieces(in.parts.meta, index);
  for (auto& b : in.parts.buffers) receive_pieces({b.mutable_data(), b.size()}, index);
}

void Messenger::drain_next(std::uint32_t index, std::vector<Arrival>& arrived) {
  Incoming& in = incoming_[index];
  if (in.drain.empty()) {
    complete(index, arrived);
    return;
  }
  const std::size_t n = in.drain.back();
  in.drain.pop_back();
  if (scratch_.size() < n) {
    try {
      scratch_.resize(std::min(piece_, std::max(n, scratch_.size() * 2)));
    } catch (const std::bad_alloc&) {
      throw MpiError(fmt::format("out of memory: cannot receive even {} bytes of a value", n));
    }
  }
  track(comm_.irecv(std::span<std::byte>(scratch_.data(), n), in.from, tag_of(in.tag)),
        SlotKind::drain, index);
  ++in.pending;
}

void Messenger::complete(std::uint32_t index, std::vector<Arrival>& arrived) {
  Incoming& in = incoming_[index];
  if (in.error)
    arrived.push_back({in.tag, in.from, Value(), in.bytes, std::move(in.error)});
  else
    arrived.push_back({in.tag, in.from, Value::from_encoded(std::move(in.parts)), in.bytes, {}});
  in.parts = Encoded{};
  in.error.reset();
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
          bytes_in_flight_ -= out.bytes;
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
      case SlotKind::drain:
        --incoming_[slot.index].pending;
        drain_next(slot.index, arrived);
        break;
    }
  }
}

void Messenger::finish_sends() {
  std::vector<Arrival> none;
  while (outgoing_live_ > 0) progress(true, none);
}

namespace {

// A value for a blocking exchange: its parts and its header (small values inline). A value that
// cannot be encoded becomes the failure saying why, which always encodes.
struct Outbound {
  Encoded parts;
  Bytes header;
  bool failed = false;
  bool is_inline = false;  // the header holds the parts
};

Outbound outbound(const Value& value) {
  Outbound out;
  try {
    out.parts = value.encode();
    out.header = make_header(out.parts, Messenger::inline_capacity, out.is_inline);
  } catch (const std::exception& e) {
    out.failed = true;
    out.parts = Value::failure(TaskFailure{ErrorRecord::of(e), {}, -1, 0}).encode();
    out.header = make_header(out.parts, std::numeric_limits<std::size_t>::max(), out.is_inline);
  }
  return out;
}

// What a value's own rank keeps of it after sharing it: itself, or the failure to encode it.
Value kept(const Value& value, const Outbound& out) {
  return out.failed ? Value::from_encoded(out.parts) : value;
}

// Broadcasts the part `bytes` (root's, or where the others receive it) in pieces.
void bcast_part(const Comm& comm, std::span<std::byte> bytes, int root) {
  comm.bcast(bytes, root);  // Comm::bcast goes in pieces of message_piece_bytes()
}

}  // namespace

Value Messenger::transfer(const Comm& comm, const Value& value, int from, int to) {
  if (from == to) return value;
  // One value, through the executor's own machinery: pieces, a failure sent in place of a
  // value that cannot be encoded, one that cannot be taken in received and dropped.
  constexpr std::uint32_t tag = 1;
  Messenger m(comm);
  std::vector<Arrival> arrived;
  if (comm.rank() == from) {
    const std::int32_t dest[] = {to};
    try {
      m.send(value, dest, tag);
    } catch (const MpiError&) {
      throw;
    } catch (const std::exception& e) {
      Value failure = Value::failure(TaskFailure{ErrorRecord::of(e), {}, -1, 0});
      m.send(failure, dest, tag);
      m.finish_sends();
      return failure;
    }
    m.finish_sends();
    return value;
  }
  m.expect(tag, from);
  while (arrived.empty()) m.progress(true, arrived);
  if (arrived[0].error) return Value::failure(TaskFailure{std::move(*arrived[0].error), {}, -1, 0});
  return std::move(arrived[0].value);
}

Value Messenger::broadcast(const Comm& comm, const Value& value, int root) {
  if (comm.size() == 1) return value;
  const bool is_root = comm.rank() == root;
  Outbound out;
  if (is_root) out = outbound(value);
  comm.bcast_vector(out.header, root);  // small: the header, or a small value whole
  const Buffer header = Buffer::adopt(std::move(out.header));
  const Announced a = parse_header(header, header.size());
  if (a.inline_parts) return is_root ? kept(value, out) : Value::from_encoded(parts_from_header(a));
  // The parts, each in pieces, from root's own memory into fresh buffers. A rank that cannot
  // allocate them still takes part in every broadcast, into a scratch buffer, and returns why.
  Encoded in;
  std::optional<ErrorRecord> refused;
  if (!is_root) {
    try {
      fault::point(fault::Point::receive);
      in = allocated_parts(a);
    } catch (const std::exception& e) {
      refused = ErrorRecord::of(e);
    }
  }
  std::vector<std::byte> scratch;
  auto part = [&](std::size_t k, std::size_t len) -> std::span<std::byte> {
    if (is_root) {
      const auto& p =
          k == 0 ? std::span<const std::byte>(out.parts.meta) : out.parts.buffers[k - 1].bytes();
      return {const_cast<std::byte*>(p.data()), p.size()};  // root only reads it
    }
    if (!refused)
      return k == 0 ? std::span<std::byte>(in.meta)
                    : std::span<std::byte>(in.buffers[k - 1].mutable_data(), len);
    return {};
  };
  const std::size_t piece = detail::message_piece_bytes();
  for (std::size_t k = 0; k <= a.lens.size(); ++k) {
    const std::size_t len = k == 0 ? a.meta_len : a.lens[k - 1];
    if (!refused || is_root) {
      bcast_part(comm, part(k, len), root);
      continue;
    }
    for (std::size_t at = 0; at < len || (len == 0 && at == 0); at += piece) {
      const std::size_t n = std::min(piece, len - at);
      if (scratch.size() < n) scratch.resize(n);
      bcast_part(comm, {scratch.data(), n}, root);
      if (len == 0) break;
    }
  }
  if (is_root) return value;
  if (refused) return Value::failure(TaskFailure{std::move(*refused), {}, -1, 0});
  return Value::from_encoded(std::move(in));
}

std::vector<std::vector<Value>> Messenger::allgather(const Comm& comm, std::span<const Value> mine,
                                                     std::span<const std::size_t> counts) {
  const auto ranks = static_cast<std::size_t>(comm.size());
  std::vector<std::vector<Value>> out(ranks);
  std::vector<Outbound> outs;
  outs.reserve(mine.size());
  for (const Value& v : mine) outs.push_back(outbound(v));
  const auto me = static_cast<std::size_t>(comm.rank());
  for (std::size_t k = 0; k < mine.size(); ++k) out[me].push_back(kept(mine[k], outs[k]));
  if (ranks == 1) return out;
  // The slot: the length of the headers that follow (or `overflow`), then each value's header
  // (its parts inline) after its length.
  constexpr std::size_t slot = 512, fixed = sizeof(std::uint64_t);
  constexpr std::uint64_t overflow = ~std::uint64_t{0};
  Bytes blob;
  bool fits = true;
  for (const Outbound& o : outs) {
    fits = fits && o.is_inline;
    const std::uint64_t len = o.header.size();
    const auto* l = reinterpret_cast<const std::byte*>(&len);
    blob.insert(blob.end(), l, l + sizeof len);
    blob.insert(blob.end(), o.header.begin(), o.header.end());
  }
  fits = fits && blob.size() <= slot - fixed;
  std::array<std::byte, slot> mine_slot{};
  const std::uint64_t blob_len = fits ? blob.size() : overflow;
  std::memcpy(mine_slot.data(), &blob_len, sizeof blob_len);
  if (fits && !blob.empty()) std::memcpy(mine_slot.data() + fixed, blob.data(), blob.size());
  const std::vector<std::byte> all = comm.allgather(std::span<const std::byte>(mine_slot));

  for (std::size_t r = 0; r < ranks; ++r) {
    const std::byte* at = all.data() + r * slot;
    std::uint64_t len = 0;
    std::memcpy(&len, at, sizeof len);
    if (len == overflow) {  // in rank order on every rank: the same collective calls
      if (r == me)
        for (std::size_t k = 0; k < counts[r]; ++k)
          (void)broadcast(comm, mine[k], static_cast<int>(r));
      else
        for (std::size_t k = 0; k < counts[r]; ++k)
          out[r].push_back(broadcast(comm, Value(), static_cast<int>(r)));
      continue;
    }
    if (r == me) continue;
    const std::byte* p = at + fixed;
    for (std::size_t k = 0; k < counts[r]; ++k) {
      std::uint64_t n = 0;
      std::memcpy(&n, p, sizeof n);
      p += sizeof n;
      try {
        fault::point(fault::Point::receive);
        const Buffer header = Buffer::copy_of({p, n});
        out[r].push_back(Value::from_encoded(parts_from_header(parse_header(header, n))));
      } catch (const std::exception& e) {
        out[r].push_back(Value::failure(TaskFailure{ErrorRecord::of(e), {}, -1, 0}));
      }
      p += n;
    }
  }
  return out;
}

}  // namespace pando
