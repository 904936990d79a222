#include <pando/core/detail/exchange.hpp>

#include <pando/core/consensus.hpp>
#include <pando/core/error.hpp>
#include <pando/core/fault.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

namespace pando {

namespace {

// In a round's stream, a message is a header (its part count, then each part's size) and its
// parts, each padded to the buffer alignment: every part starts aligned in the receive buffer.
constexpr std::size_t alignment = Buffer::alignment;
constexpr std::size_t max_parts = std::size_t{1} << 20;  // a sanity bound for a header read

std::size_t padded(std::size_t n) { return (n + alignment - 1) / alignment * alignment; }

std::size_t header_bytes(std::size_t parts) { return padded((parts + 1) * sizeof(std::uint64_t)); }

std::size_t framed_size(const std::vector<Buffer>& parts) {
  std::size_t n = header_bytes(parts.size());
  for (const Buffer& p : parts) n += padded(p.size());
  return n;
}

// Writes one message at `at` (framed_size(parts) bytes, padding zeroed); returns its end.
std::byte* write_frame(const std::vector<Buffer>& parts, std::byte* at) {
  std::vector<std::uint64_t> header{parts.size()};
  for (const Buffer& p : parts) header.push_back(p.size());
  const std::size_t head = header_bytes(parts.size());
  std::memset(at, 0, head);
  std::memcpy(at, header.data(), header.size() * sizeof(std::uint64_t));
  at += head;
  for (const Buffer& p : parts) {
    if (!p.empty()) std::memcpy(at, p.data(), p.size());
    std::memset(at + p.size(), 0, padded(p.size()) - p.size());
    at += padded(p.size());
  }
  return at;
}

[[noreturn]] void malformed(int source, std::size_t at) {
  throw InternalError(fmt::format(
      "exchange: the message from rank {} at byte {} of its round is malformed", source, at));
}

// Hands every message in bytes [begin, end) of `round` (what `source` sent) to `receive`, its
// parts sharing the round's buffer.
void read_frames(const Buffer& round, std::size_t begin, std::size_t end, int source,
                 const Receive& receive) {
  const auto word = [&](std::size_t at) {
    std::uint64_t w;
    std::memcpy(&w, round.data() + at, sizeof w);
    return w;
  };
  while (begin < end) {
    const std::size_t frame = begin;
    if (end - begin < sizeof(std::uint64_t)) malformed(source, frame);
    const std::uint64_t count = word(begin);
    if (count > max_parts || header_bytes(count) > end - begin) malformed(source, frame);
    std::size_t at = begin + header_bytes(count);
    std::vector<Buffer> parts;
    parts.reserve(count);
    for (std::uint64_t i = 0; i < count; ++i) {
      const std::uint64_t size = word(begin + (i + 1) * sizeof(std::uint64_t));
      if (size > end - at || padded(size) > end - at) malformed(source, frame);
      parts.push_back(round.slice(at, size));
      at += padded(size);
    }
    begin = at;
    receive(source, std::move(parts));
  }
}

// What every message adds to its estimate: its header and the padding of its parts.
constexpr std::size_t framing_allowance = 8 * alignment;
// MPI counts and displacements are ints.
constexpr std::size_t max_mpi_bytes = static_cast<std::size_t>(std::numeric_limits<int>::max());

// This rank's rounds: the indices of the messages each one sends, in the given order.
using RoundPlan = std::vector<std::vector<std::size_t>>;

// Per destination, in the given order, each round takes messages until their estimates reach
// `share` (a larger message travels alone).
RoundPlan plan_rounds(std::span<const Outgoing> messages, int ranks, std::size_t share) {
  RoundPlan plan;
  std::vector<std::size_t> round(static_cast<std::size_t>(ranks), 0);
  std::vector<std::size_t> filled(static_cast<std::size_t>(ranks), 0);
  for (std::size_t m = 0; m < messages.size(); ++m) {
    const int d = messages[m].dest;
    if (d < 0 || d >= ranks)
      throw UsageError(fmt::format("exchange: a message for rank {} of {} ranks", d, ranks));
    const std::size_t bytes = messages[m].estimate + framing_allowance;
    auto& f = filled[static_cast<std::size_t>(d)];
    auto& r = round[static_cast<std::size_t>(d)];
    if (f > 0 && f + bytes > share) {
      ++r;
      f = 0;
    }
    f += bytes;
    if (plan.size() <= r) plan.resize(r + 1);
    plan[r].push_back(m);
  }
  return plan;
}

void check_fits_mpi(std::size_t bytes, const char* what) {
  if (bytes > max_mpi_bytes)
    throw MemoryError(fmt::format(
        "exchange: {} bytes {} in one round, more than MPI counts (a message over 2 GiB?)", bytes,
        what));
}

struct Packed {
  Buffer bytes;
  std::vector<std::size_t> counts;  // per destination rank
};

Packed nothing_to_send(int ranks) {
  return {{}, std::vector<std::size_t>(static_cast<std::size_t>(ranks), 0)};
}

// The messages of one round (their indices), made and laid out by destination.
Packed pack_round(std::span<const Outgoing> messages, std::span<const std::size_t> round,
                  int ranks) {
  Packed out = nothing_to_send(ranks);
  std::vector<std::pair<int, std::vector<Buffer>>> made;
  for (std::size_t m : round) {
    made.emplace_back(messages[m].dest, messages[m].make());
    out.counts[static_cast<std::size_t>(messages[m].dest)] += framed_size(made.back().second);
  }
  check_fits_mpi(Comm::total(out.counts), "to send");
  out.bytes = Buffer::allocate(Comm::total(out.counts));
  std::vector<std::size_t> cursor = Comm::offsets_of(out.counts);
  for (const auto& [dest, parts] : made) {
    std::size_t& at = cursor[static_cast<std::size_t>(dest)];
    at = static_cast<std::size_t>(write_frame(parts, out.bytes.mutable_data() + at) -
                                  out.bytes.data());
  }
  return out;
}

// Hands every message of a received round to `receive`, source by source.
void unpack_round(const Buffer& received, const std::vector<std::size_t>& counts,
                  const Receive& receive) {
  const std::vector<std::size_t> offsets = Comm::offsets_of(counts);
  for (std::size_t s = 0; s < counts.size(); ++s)
    read_frames(received, offsets[s], offsets[s] + counts[s], static_cast<int>(s), receive);
}

}  // namespace

void exchange(const Comm& comm, std::span<const Outgoing> messages, std::size_t round_bytes,
              const Receive& receive, DeferredError& failure) {
  const int ranks = comm.size();
  const std::size_t share = std::max(round_bytes / static_cast<std::size_t>(ranks), alignment);
  RoundPlan plan;
  if (!failure.failed()) failure.run([&] { plan = plan_rounds(messages, ranks, share); });
  const auto rounds = comm.allreduce(plan.size(), ReduceOp::max);

  for (std::size_t r = 0; r < rounds; ++r) {
    Packed send = nothing_to_send(ranks);
    if (!failure.failed())
      failure.run([&] {
        fault::point(fault::Point::exchange);
        if (r < plan.size()) send = pack_round(messages, plan[r], ranks);
      });
    if (failure.failed()) send = nothing_to_send(ranks);  // a failed rank goes on, silent

    const std::vector<std::size_t> counts = comm.alltoall_counts(send.counts);
    Buffer received;
    const bool ready = failure.run([&] {
      check_fits_mpi(Comm::total(counts), "to receive");
      received = Buffer::allocate(Comm::total(counts));
    });
    // A rank that cannot take its bytes in stops the round for all: nobody sends any.
    if (comm.allreduce(ready ? 1 : 0, ReduceOp::min) == 0) continue;
    failure.run([&] {
      comm.alltoallv_into(send.bytes.bytes(), send.counts, received.mutable_data(), counts);
    });
    send = {};
    if (!failure.failed()) failure.run([&] { unpack_round(received, counts, receive); });
  }
}

void exchange(const Comm& comm, std::span<const Outgoing> messages, std::size_t round_bytes,
              const Receive& receive) {
  DeferredError failure;
  exchange(comm, messages, round_bytes, receive, failure);
  failure.agree(comm);
}

}  // namespace pando
