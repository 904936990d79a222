#pragma once
// The critical path of a computation: the longest chain of dependent tasks, each weighed by the
// time it took (a collective task by the time it took once every rank had joined it). Its length is
// the least time any number of ranks could take for the computation as planned; the report sets it
// beside the wall time.

#include <pando/diag/trace.hpp>

#include <cstdint>
#include <span>
#include <vector>

namespace pando {
class TaskTable;
}

namespace pando::diag {

// Which tasks each task of one computation reads, copied from its table when it was planned
// (the table is gone by the time the records arrive). Inputs have lower ids than their consumers.
class Dependencies {
 public:
  Dependencies() = default;
  explicit Dependencies(const TaskTable& table);

  [[nodiscard]] std::uint32_t size() const noexcept {
    return begin_.empty() ? 0 : static_cast<std::uint32_t>(begin_.size() - 1);
  }
  [[nodiscard]] std::span<const std::uint32_t> inputs(std::uint32_t id) const {
    return {inputs_.data() + begin_[id], begin_[id + 1] - begin_[id]};
  }

 private:
  Records<std::uint32_t> begin_;
  Records<std::uint32_t> inputs_;
};

// The path through one computation's recorded `tasks` (their ids index `deps`), in the order
// its tasks ran. A task of a fused chain that has no span of its own weighs nothing: its chain's
// span, under the chain's last id, carries the time.
[[nodiscard]] std::vector<CriticalStep> critical_path(const Dependencies& deps,
                                                      std::span<const TaskSpan> tasks,
                                                      std::span<const Key> keys);

}  // namespace pando::diag
