#pragma once
// Runtime: a session's task-graph engine (docs/architecture.md §3). One per Session, on every
// rank; collections and delayed values call it to compute.
//
// A computation, on every rank alike:
//   1. flatten and cull the graph (TaskTable), checking it is well formed;
//   2. plan it (planner.hpp: a pure function of the graph, so every rank derives the same
//      Schedule without one being sent) and derive this rank's share (LocalPlan);
//   3. check with one allreduce that no rank failed in 1-2 and that every rank built the same
//      graph (else a GraphError naming the first task that differs);
//   4. run this rank's share (Executor);
//   5. the results go where they are asked for, and the ranks agree (one allreduce) on the
//      first failure in the global order, of a task or of a result's delivery.
// Persisted results stay in the runtime's store where they were made; later graphs that need
// them start from them.

#include <pando/core/session.hpp>
#include <pando/graph/graph.hpp>
#include <pando/graph/observer.hpp>
#include <pando/graph/planner.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

namespace pando {

enum class Delivery {
  everywhere,  // every rank gets every result (broadcast from where it was made)
  root,        // rank 0 gets the results; other ranks get empty values
  in_place,    // results stay where they were made; other ranks get empty values
};

// Seconds spent in each step of the last computation on this rank (for bench/).
struct RunStats {
  std::uint32_t tasks = 0;
  double build = 0;    // flatten, cull
  double plan = 0;     // planning, and this rank's share of the schedule (on every rank)
  double share = 0;    // agreeing on the graph (one allreduce), group communicators
  double execute = 0;  // running tasks and transfers
  double deliver = 0;  // delivering results, agreeing on failures
};

class Runtime;

// Functions that modules above graph register before main (from static initializers) to
// attach observers to every Runtime as it is made: diagnostics come with no code change in the
// programs. A hook runs on every rank, collectively (it may duplicate communicators).
using RuntimeHook = void (*)(Runtime&);
void add_runtime_hook(RuntimeHook hook);

class Runtime {
 public:
  // The runtime of the running Session (made on first use).
  static Runtime& current();

  Runtime();  // binds to SessionBase::current(); collective (duplicates communicators)
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  ~Runtime();

  // Collective. Computes `outputs`; a failed output comes back as a failure value.
  // `finally` names tasks that must also run, after everything else, whose results are not
  // delivered: they close what the computation opened (files).
  std::vector<Value> run(const Graph& graph, std::span<const Key> outputs, Delivery delivery,
                         std::span<const Key> finally = {});
  // Collective. As run(), but throws the first failure (in the global order) as the same
  // TaskError on every rank.
  std::vector<Value> compute(const Graph& graph, std::span<const Key> outputs,
                             Delivery delivery = Delivery::everywhere,
                             std::span<const Key> finally = {});
  // Collective. Computes `outputs` and keeps them where they were made; later computations use
  // them instead of recomputing. Throws as compute() does.
  void persist(const Graph& graph, std::span<const Key> outputs, std::span<const Key> finally = {});
  // Forgets persisted values. Call it on every rank alike (SPMD); it does not communicate.
  void release(std::span<const Key> keys);
  // A handle that releases `keys` when its last copy goes (collections hold one per persisted
  // result; handles that outlive the session release nothing).
  [[nodiscard]] static std::shared_ptr<const void> pin(std::vector<Key> keys);

  [[nodiscard]] const PersistedMap& persisted() const noexcept { return persisted_; }
  // The value of a persisted key if this rank holds it, else null.
  [[nodiscard]] const Value* persisted_value(const Key& key) const;
  // Values held by the runtime on this rank (persisted ones): for tests of memory release.
  [[nodiscard]] std::size_t held_values() const noexcept { return persisted_values_.size(); }

  void add_observer(std::shared_ptr<Observer> o);
  void remove_observer(const Observer* o);
  // The planner's costs: set them alike on every rank (each rank plans with its own copy).
  [[nodiscard]] CostModel& cost_model() noexcept { return cost_model_; }
  // A number that grows by one per call: the same on every rank in SPMD code (delayed keys).
  [[nodiscard]] std::int64_t next_sequence() noexcept { return sequence_++; }
  [[nodiscard]] const RunStats& last_stats() const noexcept { return stats_; }
  // Of the last computation: each requested output's place in the global order.
  [[nodiscard]] const std::vector<std::uint32_t>& last_output_positions() const noexcept {
    return output_positions_;
  }
  [[nodiscard]] int rank() const noexcept { return rank_; }
  // Communicators of collective tasks over some ranks held now, and at most (the least recently
  // used one goes when a new one is needed beyond the limit).
  [[nodiscard]] std::size_t group_count() const noexcept { return groups_.size(); }
  void set_group_limit(std::size_t limit) noexcept {
    group_limit_ = std::max<std::size_t>(limit, 1);
  }
  [[nodiscard]] int size() const noexcept { return size_; }

 private:
  // Collective: agrees on `failure` (of building or planning `table` on this rank) and checks
  // that every rank has the same graph, in one allreduce.
  void check_same_graph(const TaskTable* table, const std::optional<ErrorRecord>& failure) const;
  [[noreturn]] void explain_divergence(const TaskTable& table) const;
  const Comm& group_comm(const std::vector<int>& participants);
  [[nodiscard]] std::uint64_t window_bytes() const;
  // The results, and the first one this rank could not send or take in (its place after
  // every task in the global order, or Executor::no_failure): agree_on_failure takes it
  // together with the tasks' failures, in the one agreement every computation makes.
  struct Delivered {
    std::vector<Value> values;
    std::int64_t failed_at;
    TaskFailure failure;
  };
  Delivered deliver(const TaskTable& table, const Schedule& s, std::vector<Value>& store,
                    Delivery delivery, std::size_t count);
  std::optional<TaskFailure> agree_on_failure(std::int64_t first, const TaskFailure& mine);

  int rank_ = 0;
  int size_ = 1;
  Comm control_;  // the runtime's own agreements and result delivery
  Comm p2p_;      // transfers between tasks
  Comm tasks_;    // collective tasks over all ranks
  struct Group {
    Comm comm;
    std::uint64_t used = 0;  // the last schedule that used it
  };
  std::map<std::vector<int>, Group> groups_;  // collective tasks over some ranks
  std::size_t group_limit_ = 32;
  PersistedMap persisted_;
  std::unordered_map<Key, Value> persisted_values_;
  std::vector<std::shared_ptr<Observer>> observers_;
  CostModel cost_model_;
  std::optional<TaskFailure> last_failure_;
  std::int64_t sequence_ = 0;
  std::uint64_t schedules_ = 0;
  RunStats stats_;
  std::vector<std::uint32_t> output_positions_;
};

}  // namespace pando
