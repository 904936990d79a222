#pragma once
// TaskTable: a graph flattened for one computation. Every rank builds it the same way from the
// same graph: the tasks needed for the requested outputs (culled), each with a dense id; ids
// follow a depth-first post-order from the outputs, so every input comes before its consumers.
// Keys are resolved to ids once here; the planner and executor work on ids.
//
// This is where malformed graphs are caught: a cycle, an input no task makes, two different
// tasks under one key. Each is a GraphError that names the keys involved.

#include <pando/graph/graph.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

namespace pando {

// Where a persisted result lives (the same record on every rank).
struct Residence {
  static constexpr std::int32_t every_rank = -1;
  std::int32_t rank = every_rank;
  std::uint64_t nbytes = 0;
};
using PersistedMap = std::unordered_map<Key, Residence>;

class TaskTable {
 public:
  // Collective-free; throws GraphError for a malformed graph (the same on every rank when the
  // graphs are the same, which the runtime checks next).
  // The graph (and the persisted map) must outlive the table: it refers to their keys and tasks.
  TaskTable(const Graph& graph, std::span<const Key> outputs, const PersistedMap& persisted);
  TaskTable(const TaskTable&) = delete;
  TaskTable& operator=(const TaskTable&) = delete;
  ~TaskTable();

  [[nodiscard]] std::uint32_t size() const noexcept {
    return static_cast<std::uint32_t>(keys_.size());
  }
  [[nodiscard]] const Key& key(std::uint32_t id) const { return *keys_[id]; }
  // Null for a persisted value (it exists already and is not recomputed).
  [[nodiscard]] const Task* task(std::uint32_t id) const { return tasks_[id]; }
  [[nodiscard]] bool persisted(std::uint32_t id) const { return tasks_[id] == nullptr; }
  [[nodiscard]] std::span<const std::uint32_t> inputs(std::uint32_t id) const {
    return {inputs_.data() + input_begin_[id], input_begin_[id + 1] - input_begin_[id]};
  }
  [[nodiscard]] std::span<const std::uint32_t> outputs() const noexcept { return outputs_; }
  [[nodiscard]] std::uint32_t id_of(const Key& key) const;  // GraphError if absent

  // Hash of the tasks with ids [0, n): keys, inputs and kinds. Equal on all ranks when their
  // graphs agree; the runtime compares them to find divergent SPMD code.
  [[nodiscard]] std::uint64_t prefix_hash(std::uint32_t n) const { return prefix_hash_[n]; }
  [[nodiscard]] std::uint64_t fingerprint() const { return prefix_hash_.back(); }

 private:
  class SlotIndex;

  std::vector<const Key*> keys_;      // per id
  std::vector<const Task*> tasks_;    // per id
  std::vector<std::uint32_t> slots_;  // per id: its slot in the index
  std::vector<std::uint32_t> input_begin_;
  std::vector<std::uint32_t> inputs_;
  std::vector<std::uint32_t> outputs_;
  std::vector<std::uint64_t> prefix_hash_;
  std::unique_ptr<SlotIndex> index_;    // key -> slot
  std::vector<const Key*> slot_key_;    // per slot
  std::vector<std::uint32_t> slot_id_;  // per slot: its id, if part of this computation
};

}  // namespace pando
