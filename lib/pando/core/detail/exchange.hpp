#pragma once
// All-to-all exchange of messages in rounds of bounded size: the transport under shuffles
// (docs/architecture.md §3.4.1, §5.5).
//
//   std::vector<Outgoing> out;
//   out.push_back({dest, estimated_bytes, [&] { return parts_of_my_piece(); }});
//   exchange(comm, out, round_bytes, [&](int source, std::vector<Buffer> parts) { ... });
//
// A message is a list of byte parts (a table's metadata and its column buffers); it arrives as
// the same list, each part 64-byte aligned inside the round's receive buffer and shared with it,
// so received columns are used without a copy (and keep that buffer alive: whoever keeps a part
// long copies it). A message is made (`make`) only in its round, and each round sends about
// round_bytes / ranks to every rank at most, so the transport holds one round of outgoing and
// incoming bytes at a time whatever the total (a single message larger than that share travels
// alone in its round).

#include <pando/core/buffer.hpp>
#include <pando/core/comm.hpp>
#include <pando/core/consensus.hpp>

#include <cstddef>
#include <functional>
#include <span>
#include <vector>

namespace pando {

struct Outgoing {
  int dest = 0;                               // rank of the communicator
  std::size_t estimate = 0;                   // bytes, for placing the message in a round
  std::function<std::vector<Buffer>()> make;  // the parts, made when the round comes
};

// Called for each arrived message, in round order, then source rank, then the sender's order.
using Receive = std::function<void(int source, std::vector<Buffer> parts)>;

// Collective. Delivers every rank's messages. A failure on this rank, already in `failure` when
// it is called or met here (in `make`, in `receive`, a transfer, memory for a round), is kept in
// `failure`, and this rank still takes part in every round, sending nothing more; the caller
// agrees on `failure` afterwards (DeferredError::agree), with whatever else it checks.
void exchange(const Comm& comm, std::span<const Outgoing> messages, std::size_t round_bytes,
              const Receive& receive, DeferredError& failure);
// The same, then every rank throws the error of the lowest failing rank, if any.
void exchange(const Comm& comm, std::span<const Outgoing> messages, std::size_t round_bytes,
              const Receive& receive);

}  // namespace pando
