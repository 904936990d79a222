#pragma once
// The recorder: an observer that notes, on every rank, each task run, each value sent or
// received and the bytes held, into a bounded buffer, and gathers them on rank 0 at the end of
// each computation (one gather on a communicator of its own).

#include <pando/core/serialize.hpp>
#include <pando/core/clock.hpp>
#include <pando/core/comm.hpp>
#include <pando/diag/trace.hpp>
#include <pando/graph/observer.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace pando::diag {

class Recorder final : public Observer {
 public:
  // Collective over `session` (duplicates it). `epoch`: the clock the ranks started together.
  // At most `max_events` events are kept per rank; the rest are counted as dropped.
  Recorder(const Comm& session, Stopwatch epoch, std::size_t max_events = 1u << 20);

  void schedule_started(const ScheduleInfo& info) override;
  void task_finished(const TaskEvent& e) override;
  void value_sent(const TransferEvent& e) override;
  void value_received(const TransferEvent& e) override;
  void memory_held(std::size_t bytes, double at) override;
  // Collective: this computation's records go to rank 0. A rank that cannot send them still
  // takes part, and the computation goes on (its outputs may be in place already): rank 0
  // notes why (failure()), and the trace is then not written.
  void schedule_finished(double seconds) override;

  // On rank 0: what every rank recorded so far (elsewhere: nothing).
  [[nodiscard]] const Trace& trace() const noexcept { return trace_; }
  // On rank 0: why some rank's records are missing, or "" when none is.
  [[nodiscard]] const std::string& failure() const noexcept { return failure_; }

  // One rank's records of one computation, as they travel to rank 0.
  struct Batch {
    std::vector<std::string> kinds;
    std::vector<TaskSpan> tasks;
    std::vector<TransferSpan> sent, received;
    std::vector<MemorySample> memory;
    std::uint64_t dropped = 0;

    template <class A>
    void serialize(A& a, unsigned) {
      fields(a, kinds, tasks, sent, received, memory, dropped);
    }
  };

 private:
  [[nodiscard]] bool room();
  [[nodiscard]] double at(double schedule_seconds) const { return offset_ + schedule_seconds; }
  std::uint32_t kind_of(std::string_view kind);
  // Transfers of this computation whose other half has not been merged yet: (value, from, to).
  using TransferId = std::tuple<std::uint32_t, std::int32_t, std::int32_t>;
  using OpenTransfers = std::map<TransferId, std::size_t>;  // into trace_.transfers
  void merge(Batch batch, OpenTransfers& open);

  Comm comm_;
  Stopwatch epoch_;  // a copy: it started when the ranks took their zero
  std::size_t max_events_;
  std::size_t kept_ = 0;
  int rank_ = 0;
  std::uint32_t computation_ = 0;
  double offset_ = 0;  // the schedule's start on the epoch's clock
  std::uint64_t last_memory_ = 0;
  Batch batch_;
  std::unordered_map<std::string, std::uint32_t> kind_ids_;  // into batch_.kinds
  Trace trace_;                                              // rank 0
  std::string failure_;
  std::unordered_map<std::string, std::uint32_t> trace_kinds_;
};

}  // namespace pando::diag
