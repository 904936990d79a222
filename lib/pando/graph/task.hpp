#pragma once
// Tasks: one step of a computation, named by a stable key (docs/architecture.md §3.1).
//
// A task reads the values of its input keys and makes one value. A collective task is one step
// that every participating rank runs together, with a communicator (combining per-chunk partial
// results, an all-to-all shuffle, a broadcast along a process-grid row): each rank passes in the
// inputs it holds, and the output is the same value on every participant (`replicated`) or a
// part of its own on each (`per_rank`, taken apart by later tasks placed on those ranks).

#include <pando/core/comm.hpp>
#include <pando/graph/key.hpp>
#include <pando/graph/value.hpp>

#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace pando {

using TaskFn = std::function<Value(std::span<const Value> inputs)>;

// What a collective task sees on one participating rank. Each input is handed in by one
// participant (the lowest one holding it), except an input that every participant holds (the
// replicated output of an earlier collective, such as an open file): every participant hands in
// its own copy.
struct CollectiveInputs {
  const Comm& comm;                          // the participants, ranked in world-rank order
  std::span<const Value> values;             // the task's inputs that live on this rank...
  std::span<const std::uint32_t> positions;  // ...and their positions in its input list
};
// Runs on every participant. It must behave alike on all of them: validate before exchanging
// data, and throw (if at all) on every rank, never on one alone; Pando agrees on the outcome
// after it returns.
using CollectiveFn = std::function<Value(const CollectiveInputs&)>;

enum class CollectiveOutput : std::uint8_t { replicated, per_rank };

// What makes a task collective: its body, what it yields, and who takes part.
struct CollectiveStep {
  CollectiveFn fn;
  CollectiveOutput output = CollectiveOutput::replicated;
  std::vector<int> participants;  // world ranks, ascending; empty = all ranks

  [[nodiscard]] bool everyone() const noexcept { return participants.empty(); }
  [[nodiscard]] bool includes(int rank) const;
};

inline std::shared_ptr<const CollectiveStep> collective_step(
    CollectiveFn fn, CollectiveOutput output = CollectiveOutput::replicated,
    std::vector<int> participants = {}) {
  return std::make_shared<const CollectiveStep>(
      CollectiveStep{std::move(fn), output, std::move(participants)});
}

// Where a task should run. The planner decides where no hint is given.
struct Placement {
  enum class Kind : std::uint8_t { anywhere, rank, with_input };
  Kind kind = Kind::anywhere;
  std::int32_t value = -1;  // the rank, or the index of the input to run beside

  static Placement anywhere() { return {}; }
  // A rank of the job (collections compute it, e.g. from a process grid).
  static Placement on_rank(int r) { return {Kind::rank, r}; }
  // Where the task's input number `k` lives ("run where block (i, j) is").
  static Placement with_input(int k) { return {Kind::with_input, k}; }
  // Position (row, col) of a process grid with `grid_cols` columns whose ranks are numbered
  // row by row (ScaLAPACK's default), for steps along a grid row or column.
  static Placement on_grid(int row, int col, int grid_cols) {
    return on_rank(row * grid_cols + col);
  }
};

struct Task {
  // A rough compute cost in seconds when none is known: tiny.
  static constexpr double default_cost = 1e-6;

  Key key;
  std::vector<Key> inputs;
  TaskFn fn;                                         // a plain task...
  std::shared_ptr<const CollectiveStep> collective;  // ...or a collective step (set exactly one)
  double cost = default_cost;                        // estimated seconds of compute, for placement
  std::uint64_t nbytes = 0;  // estimated bytes of the output, for placement and memory order
  Placement placement;
  bool fusable = true;  // may run fused with its only consumer (and it its only input)

  [[nodiscard]] bool is_collective() const noexcept { return collective != nullptr; }
  // The operation's name: the key's token without its hash ("sum" for "sum-3f9a01c2...").
  [[nodiscard]] std::string_view kind() const noexcept;
};

// The operation name of a token: the part before a trailing "-<hex digits>" if there is one.
std::string_view kind_of_token(std::string_view token) noexcept;

}  // namespace pando
