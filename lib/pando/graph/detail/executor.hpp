#pragma once
// The executor: runs one rank's share of a schedule (docs/architecture.md §3.3-3.4, §5.1).
//
// It walks the rank's task list in global order. Remote inputs are received ahead of need (a
// window of posted receives, in the order they will be used, bounded in bytes); each result
// leaves for the ranks that need it as soon as it is made; each value is freed after its last
// local read and last send. A rank whose sends in flight exceed their bound waits for the
// receivers that are behind it in the global order (back-pressure that cannot deadlock: what
// they read before this rank's position needs nothing this rank has still to make). A chain the
// planner fused runs as one step: each value goes straight to the next function, and only the
// chain's result is stored, sent or observed.
//
// Errors flow like data, whatever throws: a task that throws yields a TaskFailure value that its
// consumers pass on instead of running; a value that cannot be sent leaves as a failure, one that
// cannot be received arrives as one; a collective task runs on every participant even then, and
// all participants agree on its outcome; an exception anywhere else (an observer) is recorded at
// the current position. Every message of the schedule is sent and received either way, so the
// run always ends, on every rank, with nothing left in flight. Only an MPI failure escapes.

#include <pando/core/clock.hpp>
#include <pando/graph/detail/messenger.hpp>
#include <pando/graph/observer.hpp>
#include <pando/graph/schedule.hpp>

#include <functional>
#include <limits>
#include <memory>
#include <vector>

namespace pando {

struct ExecutionContext {
  const TaskTable& table;
  const Schedule& schedule;
  const LocalPlan& plan;
  const Residency& residency;
  const Comm& p2p;  // for transfers
  // The communicator of a collective task's participants.
  std::function<const Comm&(std::uint32_t collective)> collective_comm;
  std::vector<std::shared_ptr<Observer>> observers;
  int rank = 0;
  std::uint64_t schedule_number = 0;
  // Bytes received ahead of need, and bytes of sends in flight, at most (from the session's
  // memory budget).
  std::uint64_t window_bytes = std::uint64_t{256} << 20;
};

class Executor {
 public:
  // Inputs that exist before the run (persisted values held here) are in `store`, by id.
  Executor(ExecutionContext ctx, std::vector<Value>& store);
  void run();
  // The global position of the first task that failed on this rank (or no_failure), and its
  // failure.
  [[nodiscard]] std::int64_t first_failure() const noexcept { return first_failure_; }
  [[nodiscard]] const TaskFailure& first_failure_record() const noexcept { return first_record_; }

  static constexpr std::int64_t no_failure = std::numeric_limits<std::int64_t>::max();

 private:
  void wait_for(std::uint32_t id);
  void throttle();
  Value run_plain(std::uint32_t id);
  Value run_collective(std::uint32_t id);
  // The next task of a fused chain, on the value the previous one made.
  Value run_fused(std::uint32_t id, Value input);
  Value failure_of(std::uint32_t id, const std::exception& e);
  // A failure of this rank outside any task body, at the current position.
  void fail_here(const std::exception& e);
  void note_failure(const TaskFailure& f);
  // Calls f on every observer; an observer that throws fails the run, not the executor.
  template <class F>
  void notify(F&& f);
  void send(std::uint32_t id);
  void release_inputs(std::uint32_t id);
  void release(std::uint32_t id);
  void absorb();
  void post_receives();
  [[nodiscard]] double now() const;

  ExecutionContext ctx_;
  std::vector<Value>& store_;
  std::vector<std::uint32_t> uses_;
  Messenger* messenger_ = nullptr;
  std::vector<Messenger::Arrival> arrived_;
  std::size_t next_receive_ = 0;   // receives posted: [0, next_receive_)
  std::size_t consumed_ = 0;       // of those, first read by a task already run: [0, consumed_)
  std::uint64_t ahead_bytes_ = 0;  // estimated bytes of the posted, not yet consumed ones
  std::uint32_t position_ = 0;     // of the task running now
  std::vector<Value> args_;
  std::vector<std::uint32_t> arg_positions_;
  std::size_t held_ = 0;
  std::int64_t first_failure_ = no_failure;
  TaskFailure first_record_;
  Stopwatch clock_;
};

}  // namespace pando
