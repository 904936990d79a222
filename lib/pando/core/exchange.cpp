#include <pando/core/detail/exchange.hpp>

#include <pando/core/consensus.hpp>
#include <pando/core/error.hpp>
#include <pando/core/fault.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

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

// The round of each message: per destination, in the given order, each round taking messages
// until their estimates reach `share` (a larger message travels alone). `rounds` gets how many
// this rank needs.
std::vector<int> plan_rounds(std::span<const Outgoing> messages, int ranks, std::size_t share,
                             int& rounds) {
  std::vector<int> round_of(messages.size());
  std::vector<int> round(static_cast<std::size_t>(ranks), 0);
  std::vector<std::size_t> filled(static_cast<std::size_t>(ranks), 0);
  rounds = 0;
  for (std::size_t m = 0; m < messages.size(); ++m) {
    const int d = messages[m].dest;
    if (d < 0 || d >= ranks)
      throw UsageError(fmt::format("exchange: a message for rank {} of {} ranks", d, ranks));
    auto& f = filled[static_cast<std::size_t>(d)];
    auto& r = round[static_cast<std::size_t>(d)];
    if (f > 0 && f + messages[m].estimate > share) {
      ++r;
      f = 0;
    }
    f += messages[m].estimate;
    round_of[m] = r;
    rounds = std::max(rounds, r + 1);
  }
  return round_of;
}

// Makes the messages of round `r` and lays them out by destination; `send_counts` gets the
// bytes for each rank.
Buffer pack_round(std::span<const Outgoing> messages, std::span<const int> round_of, int r,
                  std::vector<std::size_t>& send_counts) {
  std::vector<std::pair<int, std::vector<Buffer>>> made;
  for (std::size_t m = 0; m < messages.size(); ++m) {
    if (round_of[m] != r) continue;
    made.emplace_back(messages[m].dest, messages[m].make());
    send_counts[static_cast<std::size_t>(messages[m].dest)] += framed_size(made.back().second);
  }
  Buffer send = Buffer::allocate(Comm::total(send_counts));
  std::vector<std::size_t> cursor = Comm::offsets_of(send_counts);
  for (const auto& [dest, parts] : made) {
    std::byte* at = send.mutable_data() + cursor[static_cast<std::size_t>(dest)];
    cursor[static_cast<std::size_t>(dest)] =
        static_cast<std::size_t>(write_frame(parts, at) - send.data());
  }
  return send;
}

}  // namespace

void exchange(const Comm& comm, std::span<const Outgoing> messages, std::size_t round_bytes,
              const Receive& receive) {
  const int ranks = comm.size();
  const std::size_t share = std::max(round_bytes / static_cast<std::size_t>(ranks), alignment);
  DeferredError local;
  std::vector<int> round_of;
  int mine = 0;
  local.run([&] { round_of = plan_rounds(messages, ranks, share, mine); });
  const int rounds = comm.allreduce(mine, ReduceOp::max);

  for (int r = 0; r < rounds; ++r) {
    std::vector<std::size_t> send_counts(static_cast<std::size_t>(ranks), 0);
    Buffer send;
    if (!local.failed())
      local.run([&] {
        fault::point(fault::Point::exchange);
        send = pack_round(messages, round_of, r, send_counts);
      });
    if (local.failed()) std::fill(send_counts.begin(), send_counts.end(), 0);  // sends nothing

    const std::vector<std::size_t> counts = comm.alltoall_counts(send_counts);
    Buffer received;
    const bool ready = local.run([&] { received = Buffer::allocate(Comm::total(counts)); });
    // A rank without memory for the round takes no bytes in: then nobody sends any.
    if (comm.allreduce(ready ? 1 : 0, ReduceOp::min) == 0) continue;
    local.run(
        [&] { comm.alltoallv_into(send.bytes(), send_counts, received.mutable_data(), counts); });
    send = {};
    if (local.failed()) continue;
    const std::vector<std::size_t> offsets = Comm::offsets_of(counts);
    local.run([&] {
      for (int s = 0; s < ranks; ++s) {
        const auto i = static_cast<std::size_t>(s);
        read_frames(received, offsets[i], offsets[i] + counts[i], s, receive);
      }
    });
  }
  local.agree(comm);
}

}  // namespace pando
