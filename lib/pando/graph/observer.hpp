#pragma once
// Observers see what the executor does, so that diagnostics (progress bars, traces, reports)
// are added without touching it. Callbacks run on the executor's thread, between tasks: keep
// them cheap. MPI calls from them go on a communicator of the observer's own (a dup: no
// message of a schedule can match them), and collective ones only in schedule_finished, which
// every rank reaches.

#include <pando/graph/key.hpp>

#include <cstdint>
#include <memory>
#include <string_view>

namespace pando {

class TaskTable;
struct Schedule;

struct ScheduleInfo {
  std::uint64_t schedule = 0;     // counts computations of this session: 1, 2, ...
  std::uint32_t total_tasks = 0;  // over all ranks (a collective counts once)
  std::uint32_t local_tasks = 0;  // this rank's
  int rank = 0;
  int nranks = 1;
};

struct TaskEvent {
  std::uint32_t id = 0;  // in this schedule
  const Key* key = nullptr;
  std::string_view kind;  // the operation name: "sum", "read-hdf5", a delayed name
  int rank = 0;
  double start = 0;  // seconds since the schedule started
  double end = 0;    // at task_finished
  bool failed = false;
  bool collective = false;
  // Tasks the event stands for: a fused chain runs as one step (its last task's id, key and
  // kind) and counts all of its tasks.
  std::uint32_t tasks = 1;
};

// A value leaving for, or arriving from, another rank.
struct TransferEvent {
  int peer = 0;          // the rank it goes to (value_sent) or comes from (value_received)
  std::uint32_t id = 0;  // the task that made it, in this schedule (the same on every rank)
  std::size_t bytes = 0;
  double at = 0;  // seconds since the schedule started
};

class Observer {
 public:
  virtual ~Observer() = default;
  // A computation planned, on every rank, before any of it runs (the same table and schedule
  // everywhere).
  virtual void schedule_planned(const TaskTable&, const Schedule&) {}
  virtual void schedule_started(const ScheduleInfo&) {}
  virtual void task_started(const TaskEvent&) {}
  virtual void task_finished(const TaskEvent&) {}
  virtual void value_sent(const TransferEvent&) {}
  virtual void value_received(const TransferEvent&) {}
  // Bytes of values this rank holds, after each change of more than a little.
  virtual void memory_held(std::size_t /*bytes*/, double /*at*/) {}
  // Every rank calls it at the end of every schedule, failed or not: an observer may make a
  // collective call here, on a communicator of its own.
  virtual void schedule_finished(double /*seconds*/) {}
};

}  // namespace pando
