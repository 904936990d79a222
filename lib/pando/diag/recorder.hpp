#pragma once
// The recorder: an observer that notes, on every rank, each task run, each value sent or
// received and the bytes held, into a bounded buffer, and gathers them on rank 0 at the end of
// each computation (one gather on a communicator of its own).
//
// For a live view (the dashboard) the ranks also send what they recorded while a computation
// runs, every `stream_every` seconds at most, without waiting (an isend; the next waits for
// the last to be taken). Rank 0 takes those in between its own tasks, and at the computation's
// end the gather carries the rest and says how many were sent, so rank 0 takes every one
// before the next computation starts.

#include <pando/core/serialize.hpp>
#include <pando/core/clock.hpp>
#include <pando/core/comm.hpp>
#include <pando/diag/critical_path.hpp>
#include <pando/diag/trace.hpp>
#include <pando/graph/observer.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace pando::diag {

struct RecorderOptions {
  // Events kept per rank; the rest are counted as dropped.
  std::size_t max_events = std::size_t{1} << 20;
  // Rank 0 works out each computation's critical path (it keeps the dependencies meanwhile).
  bool critical_path = false;
  // > 0: ranks send their records while a computation runs, at most this often (seconds): rank
  // 0 merges them as they come (the dashboard shows them), and no rank builds up a long batch
  // to send at the end (fresh memory is slow). 0: all at the computation's end.
  double stream_every = 0.5;
};

class Recorder final : public Observer {
 public:
  // Collective over `session` (duplicates it). `epoch`: the clock the ranks started together.
  Recorder(const Comm& session, Stopwatch epoch, RecorderOptions options = {});

  void schedule_planned(const TaskTable& table, const Schedule& schedule) override;
  void schedule_started(const ScheduleInfo& info) override;
  void task_finished(const TaskEvent& e) override;
  void value_sent(const TransferEvent& e) override;
  void value_received(const TransferEvent& e) override;
  void memory_held(std::size_t bytes, double at) override;
  // Collective: this computation's records go to rank 0. A rank that cannot send them still
  // takes part, and the computation goes on (its outputs may be in place already): rank 0
  // notes why (failure()), and the trace is then not written.
  void schedule_finished(double seconds) override;

  // On rank 0: what every rank recorded so far (elsewhere: nothing). Only from the executor's
  // thread; another thread takes a snapshot().
  [[nodiscard]] const Trace& trace() const noexcept { return trace_; }
  // On rank 0, from any thread: brings `copy` up to date with trace() (it appends what is new
  // since the last call with the same copy, so the executor is held up only for that).
  void snapshot(Trace& copy) const;
  // On rank 0: why some rank's records are missing, or "" when none is.
  [[nodiscard]] const std::string& failure() const noexcept { return failure_; }

  // One rank's records of one computation, as they travel to rank 0.
  struct Batch {
    std::vector<std::string> kinds;
    Records<TaskSpan> tasks;
    Records<TransferSpan> sent, received;
    Records<MemorySample> memory;
    std::uint64_t dropped = 0;

    template <class A>
    void serialize(A& a, unsigned) {
      fields(a, kinds, tasks, sent, received, memory, dropped);
    }
  };

 private:
  void add_task(TaskSpan span);
  // Live: this rank's records so far go to rank 0 (rank 0 merges its own, and takes others').
  void stream();
  void take_streamed(int rank);
  void finish_computation(double end);
  [[nodiscard]] Bytes gather_part();
  [[nodiscard]] bool room();
  [[nodiscard]] double at(double schedule_seconds) const { return offset_ + schedule_seconds; }
  std::uint32_t kind_of(std::string_view kind);
  // Transfers of this computation whose other half has not been merged yet: (value, from, to).
  using TransferId = std::tuple<std::uint32_t, std::int32_t, std::int32_t>;
  using OpenTransfers = std::map<TransferId, std::size_t>;  // into trace_.transfers
  void merge(Batch batch);

  Comm comm_;
  Stopwatch epoch_;  // a copy: it started when the ranks took their zero
  RecorderOptions options_;
  std::size_t kept_ = 0;
  int rank_ = 0;
  std::uint32_t computation_ = 0;
  double offset_ = 0;  // the schedule's start on the epoch's clock
  std::uint64_t last_memory_ = 0;
  Batch batch_;
  std::unordered_map<std::string, std::uint32_t> kind_ids_;  // into batch_.kinds
  std::uint32_t last_kind_ = 0;                              // the last task's, into it

  // Live streaming, on every rank.
  Stopwatch since_stream_;
  Bytes outgoing_;  // reused: its pages are touched once
  Bytes incoming_;  // rank 0, likewise
  std::optional<Request> in_flight_;
  std::uint64_t streamed_ = 0;  // batches sent in this computation
  std::string stream_error_;    // why a batch could not be sent ("" while none)

  // Rank 0.
  mutable std::mutex mutex_;  // guards trace_ against snapshot()
  Trace trace_;
  std::string failure_;
  std::unordered_map<std::string, std::uint32_t> trace_kinds_;
  OpenTransfers open_;                 // of the running computation
  std::vector<std::uint64_t> taken_;   // per rank: its streamed batches taken so far
  std::size_t computation_tasks_ = 0;  // index of the running computation's first task span
  Dependencies dependencies_;          // of the running computation
  Records<Key> planned_keys_;          // of the computation about to start
};

}  // namespace pando::diag
