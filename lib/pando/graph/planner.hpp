#pragma once
// The planner (docs/architecture.md §3.2): turns a TaskTable into a Schedule. It runs on rank 0
// only; the runtime broadcasts what it decides.
//
// 1. Order. ONE global priority, memory-aware and depth-first like dask.order: a post-order walk
//    from the outputs that enters the deepest input first (Sethi-Ullman: finish the subtree that
//    needs the most before holding the results of others), so a task runs as soon as its inputs
//    exist and values are freed early, and sources are not started far ahead of their consumers.
// 2. Fusion. A linear chain (a task whose only input has no other consumer) runs as one unit:
//    same rank, back to back, the intermediate value never stored.
// 3. Placement, by list scheduling over the global order with a cost model: each task goes where
//    it would finish earliest, counting the time to move its inputs there, and that time again
//    for the ranks that send them (on one node a transfer is a copy that occupies the sender
//    too), and the time the rank would sit idle waiting for them again (ranks run their tasks in
//    the global order, so a wait delays everything after it). Owner-computes when data is big,
//    spreading when compute dominates. Candidates are the ranks holding its inputs and the
//    least-loaded rank. Sources are dealt out in contiguous runs balanced by cost, so
//    neighbouring blocks share a rank (local partial reductions, halos, hyperslabs).
//
// Cost: O(tasks · log ranks), plus each task's inputs (sorted by depth for the order). The
// least-loaded rank comes from a heap of when each rank is next free, not a scan over ranks. A
// collective over all ranks starts when the busiest rank is free and its inputs have arrived
// (counted per input: a value some rank lacks arrives a transfer after it is made), and makes
// every rank busy until it ends in one step; one over a list of ranks costs that list's length.
// tests/graph/planner_scale_test.cpp plans a million tasks for 1,024 ranks.

#include <pando/graph/schedule.hpp>

namespace pando {

struct CostModel {
  double bandwidth = 4e9;                // bytes per second between two ranks
  double latency = 2e-6;                 // seconds per message
  std::uint64_t small_value_bytes = 64;  // assumed size of a value without an estimate
};

Schedule plan(const TaskTable& table, const PersistedMap& persisted, int nranks,
              const CostModel& model = {});

}  // namespace pando
