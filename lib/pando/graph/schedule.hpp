#pragma once
// Schedule: what rank 0's planner decides and broadcasts (docs/architecture.md §3.2): ONE global
// order of the tasks to run, the rank each runs on, and which tasks run fused with the one
// before them. It is compact (a few bytes per task): every rank derives the rest (its own task
// list, the transfers, when to free each value) from it and from its own copy of the graph.
//
// LocalPlan is that derivation for one rank. Deadlock freedom (§3.3): each rank's list is a
// subsequence of the global order, every transfer goes from a producer to a later consumer, and
// a collective sits in every participant's list at the same global position.

#include <pando/core/serialize.hpp>
#include <pando/graph/task_table.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace pando {

struct Schedule {
  static constexpr std::int32_t all_participants = -1;  // owner of a collective task

  std::vector<std::uint32_t> order;  // task ids to run, in the one global order
  std::vector<std::int32_t> owner;   // per task id: its rank (or all_participants)
  std::vector<std::uint8_t> fused;   // per position in `order`: 1 = runs fused with the previous
  std::uint64_t fingerprint = 0;     // of the task table it was planned from
  int nranks = 1;

  template <class A>
  void serialize(A& a, unsigned) {
    fields(a, order, owner, fused, fingerprint, nranks);
  }
};

// Which ranks hold each value once it exists: its task's owner, every participant of a
// collective, or (persisted) where the runtime keeps it.
class Residency {
 public:
  Residency(const TaskTable& table, const Schedule& s, const PersistedMap& persisted);
  [[nodiscard]] bool holds(std::uint32_t id, int rank) const;
  // The lowest rank holding the value (the one that sends it where it is needed).
  [[nodiscard]] int first(std::uint32_t id) const;
  // Of a collective task: whether `rank` takes part.
  [[nodiscard]] bool participates(std::uint32_t collective, int rank) const;
  [[nodiscard]] int first_participant(std::uint32_t collective) const;
  // Whether every participant of collective task `consumer` holds the value `id`.
  [[nodiscard]] bool held_by_all(std::uint32_t id, std::uint32_t consumer) const;

 private:
  static constexpr std::int32_t every_rank = -1;
  static constexpr std::int32_t participants = -2;
  const TaskTable& table_;
  std::vector<std::int32_t> where_;  // per id: a rank, every_rank or participants
};

struct LocalPlan {
  struct Receive {
    std::uint32_t id;  // the value
    std::int32_t from;
    std::uint32_t first_use;  // position (global order) of the first task here that reads it
    std::uint64_t bytes;      // estimated size
  };

  std::vector<std::uint32_t> run;             // ids this rank runs, in global order
  std::vector<std::uint8_t> fused;            // per entry of `run`: runs right after the previous
  std::vector<std::uint32_t> send_begin;      // per id (n + 1): CSR into send_to
  std::vector<std::int32_t> send_to;          // ranks this rank sends the value to...
  std::vector<std::uint32_t> send_first_use;  // ...and where (global order) each first reads it
  std::vector<Receive> receives;              // in the order they are first needed
  std::vector<std::uint32_t> uses;            // per id: local reads + sends before it can be freed
  std::vector<std::uint8_t> keep;             // per id: a requested output held here (never freed)
  std::vector<std::uint32_t> position;        // per id: its position in the global order

  [[nodiscard]] std::span<const std::int32_t> sends_of(std::uint32_t id) const {
    return {send_to.data() + send_begin[id], send_begin[id + 1] - send_begin[id]};
  }
  // The earliest position at which a destination of `id` reads it.
  [[nodiscard]] std::uint32_t first_remote_use(std::uint32_t id) const {
    std::uint32_t first = std::numeric_limits<std::uint32_t>::max();
    for (auto k = send_begin[id]; k < send_begin[id + 1]; ++k)
      first = std::min(first, send_first_use[k]);
    return first;
  }
};

// The one rank that hands input `input` of collective task `consumer` to it: the lowest
// participant holding it, or the lowest participant (which then receives it).
int contributor(const Residency& residency, std::uint32_t input, std::uint32_t consumer);
// Whether `rank` hands `input` to collective task `consumer`: every participant does when every
// participant holds it (a replicated value, like an open file), else the contributor alone.
bool hands_in(const Residency& residency, std::uint32_t input, std::uint32_t consumer, int rank);

// Throws GraphError when the schedule cannot run as planned (a per-rank output read off its
// ranks).
LocalPlan derive_local_plan(const TaskTable& table, const Schedule& s,
                            const PersistedMap& persisted, int rank);

}  // namespace pando
