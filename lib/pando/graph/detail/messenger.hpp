#pragma once
// Messenger: moves Values between ranks as raw bytes (docs/architecture.md §4.1).
//
// A value goes as one header message (its type, the lengths of its parts) followed by its parts
// (metadata, then each bulk buffer) as messages of their own, straight from the value's memory;
// a part larger than a piece (message_piece_bytes(), 1 GiB) goes as several pieces, so values
// of any size travel. Small values (up to `inline_capacity` bytes in all) travel inside the
// header. The receiver posts the header receive ahead of need (prefetch); when a header
// arrives it posts the piece receives into fresh buffers, which the value then wraps without a
// copy.
//
// Messages of one value share a tag (the producing task's id); MPI keeps messages of one (source,
// tag) in order, so the pieces match the header that announced them.
//
// Nothing here leaves the other rank waiting: a value that cannot be encoded is refused before
// its header leaves (the caller sends a failure instead), and a value that cannot be taken in
// (no memory for its buffers, an injected receive fault) is still received in full, into a
// scratch buffer piece by piece, and arrives as an error.

#include <pando/core/comm.hpp>
#include <pando/graph/value.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace pando {

class Messenger {
 public:
  static constexpr std::size_t inline_capacity = 8192;

  explicit Messenger(const Comm& comm);
  Messenger(const Messenger&) = delete;
  Messenger& operator=(const Messenger&) = delete;
  // Sends still in flight (only after an MPI failure) keep their buffers: leaked on purpose, so
  // that MPI never reads freed memory.
  ~Messenger();

  // Sends `value` to each rank of `dests` under `tag`; `first_use` is the earliest place in the
  // global order where a destination reads it (for back-pressure). Returns the bytes sent per
  // destination. Throws before anything is sent if the value cannot be encoded.
  std::size_t send(const Value& value, std::span<const std::int32_t> dests, std::uint32_t tag,
                   std::uint32_t first_use = 0);

  // Posts the receive of the value `tag` from rank `from`. Its arrival is reported by progress().
  void expect(std::uint32_t tag, int from);

  struct Arrival {
    std::uint32_t tag;
    int from;
    Value value;  // empty when `error` is set
    std::size_t bytes;
    std::optional<ErrorRecord> error;  // why the value could not be taken in
  };
  // Moves messages along; values that arrived since the last call are appended to `arrived`.
  // With `block`, waits until at least one message completes.
  void progress(bool block, std::vector<Arrival>& arrived);

  [[nodiscard]] std::size_t receives_pending() const noexcept {
    return incoming_.size() - free_in_.size();
  }
  [[nodiscard]] bool sends_pending() const noexcept { return outgoing_live_ > 0; }
  // Bytes of the values whose sends have not completed yet.
  [[nodiscard]] std::uint64_t bytes_in_flight() const noexcept { return bytes_in_flight_; }
  // The earliest first_use among the sends in flight (UINT32_MAX if none).
  [[nodiscard]] std::uint32_t earliest_use_in_flight() const noexcept;
  // Blocks until every posted send has completed.
  void finish_sends();

  // Collective: root's value on every rank of `comm`. A value that cannot be encoded arrives
  // (on every rank, root included) as a failure saying why, with no key and rank -1.
  static Value broadcast(const Comm& comm, const Value& value, int root);
  // Point to point, called on `from` and `to` only: `from`'s value, returned on both (or the
  // failure to encode it, as for broadcast).
  static Value transfer(const Comm& comm, const Value& value, int from, int to);

  // Collective: every rank's `mine` on every rank (`[r]`: rank r's, `counts[r]` of them, which
  // every rank knows beforehand). Small values all travel in ONE allgather of a fixed slot per
  // rank; a rank whose values do not fit its slot broadcasts them afterwards. As after
  // broadcast(), a value that cannot be encoded arrives everywhere, its own rank included, as
  // the failure saying why, and one that a rank cannot take in arrives there as that failure.
  static std::vector<std::vector<Value>> allgather(const Comm& comm, std::span<const Value> mine,
                                                   std::span<const std::size_t> counts);

 private:
  struct Outgoing {
    Bytes header;
    Encoded parts;  // keeps the bytes alive until the sends complete
    int pending = 0;
    std::uint64_t bytes = 0;
    std::uint32_t first_use = 0;
  };
  struct Incoming {
    std::uint32_t tag = 0;
    int from = -1;
    Buffer header;
    Encoded parts;
    int pending = 0;
    std::size_t bytes = 0;
    std::optional<ErrorRecord> error;
    std::vector<std::size_t> drain;  // pieces still to receive into the scratch buffer
  };
  enum class SlotKind : std::uint8_t { send, header, part, drain };
  struct Slot {
    SlotKind kind;
    std::uint32_t index;  // into outgoing_ or incoming_
  };

  void track(Request r, SlotKind kind, std::uint32_t index);
  void send_pieces(std::span<const std::byte> part, int dest, int tag, std::uint32_t index);
  void receive_pieces(std::span<std::byte> part, std::uint32_t index);
  void header_arrived(std::uint32_t index, std::vector<Arrival>& arrived);
  void start_draining(std::uint32_t index, std::vector<Arrival>& arrived);
  void drain_next(std::uint32_t index, std::vector<Arrival>& arrived);
  void complete(std::uint32_t index, std::vector<Arrival>& arrived);
  [[nodiscard]] int tag_of(std::uint32_t tag) const;

  const Comm& comm_;
  int max_tag_;
  std::size_t piece_;
  RequestPool pool_;
  std::vector<Slot> slots_;  // per pool slot
  std::vector<Slot> completed_;
  std::vector<Outgoing> outgoing_;
  std::vector<std::uint32_t> free_out_;
  std::size_t outgoing_live_ = 0;
  std::uint64_t bytes_in_flight_ = 0;
  std::vector<Incoming> incoming_;
  std::vector<std::uint32_t> free_in_;
  std::vector<std::byte> scratch_;  // where refused pieces are received and dropped
};

}  // namespace pando
