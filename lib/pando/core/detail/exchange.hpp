#pragma once
// All-to-all exchange of messages in rounds of bounded size: the transport under shuffles
// (docs/architecture.md §3.4, §5.5).
//
//   std::vector<Outgoing> out;
//   out.push_back({dest, estimated_bytes, [&] { return parts_of_my_piece(); }});
//   exchange(comm, out, round_bytes, [&](int source, std::vector<Buffer> parts) { ... });
//
// A message is a list of byte parts (a table's metadata and its column buffers); it arrives as
// the same list, each part 64-byte aligned inside the round's receive buffer and shared with it,
// so received columns are used without a copy. A message is made (`make`) only in its round,
// and each round sends at most about round_bytes / ranks to every rank, so a rank holds one
// round of outgoing and incoming bytes at a time whatever the total (a single message larger
// than that share travels alone in its round).

#include <pando/core/buffer.hpp>
#include <pando/core/comm.hpp>

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

// Collective. Delivers every rank's messages. A failure on any rank (in `make`, in `receive`, in
// a transfer, or memory for a round) does not stop that rank's part in the remaining rounds; at
// the end every rank throws the error of the lowest failing rank.
void exchange(const Comm& comm, std::span<const Outgoing> messages, std::size_t round_bytes,
              const Receive& receive);

}  // namespace pando
