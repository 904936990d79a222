#pragma once
// What a command did, as every rank saw it: its computations, the tasks each rank ran, the
// values that moved between ranks, and the bytes each rank held. The recorder (recorder.hpp)
// gathers it on rank 0 after each computation; the trace writers read it.
//
// Times are seconds since the diagnostics of the session started, on one clock: the ranks take
// their zero together, right after a barrier.

#include <pando/core/serialize.hpp>
#include <pando/graph/key.hpp>

#include <boost/serialization/is_bitwise_serializable.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace pando::diag {

// Records of a long run: millions of them, in memory that costs few page faults.
template <class T>
using Records = std::vector<T, PageAllocator<T>>;

// A task as it ran (a fused chain is one span standing for `tasks` tasks). Its key is the
// trace's (Trace::key): every rank has the same table, so no key travels.
struct TaskSpan {
  std::uint32_t computation = 0;  // 1, 2, ... in the session
  std::uint32_t id = 0;           // the task's id in its computation (a chain's last task)
  std::int32_t rank = 0;
  std::uint32_t kind = 0;  // into Trace::kinds: the operation ("sum", "read-csv")
  std::uint32_t tasks = 1;
  double start = 0, end = 0;
  bool failed = false;
  bool collective = false;

  template <class A>
  void serialize(A& a, unsigned) {
    fields(a, computation, id, rank, kind, tasks, start, end, failed, collective);
  }
};

// A value sent from one rank to another: when it left and when it arrived (each side records
// its half; rank 0 pairs them).
struct TransferSpan {
  std::uint32_t computation = 0;
  std::uint32_t value = 0;  // the task that made it, in its computation
  std::int32_t from = 0, to = 0;
  std::uint64_t bytes = 0;
  double sent = 0, received = -1;  // received < 0: the arrival was not recorded

  template <class A>
  void serialize(A& a, unsigned) {
    fields(a, computation, value, from, to, bytes, sent, received);
  }
};

// The bytes of values a rank held, from `at` on.
struct MemorySample {
  std::int32_t rank = 0;
  double at = 0;
  std::uint64_t bytes = 0;

  template <class A>
  void serialize(A& a, unsigned) {
    fields(a, rank, at, bytes);
  }
};

struct ComputationSpan {
  std::uint32_t number = 0;
  std::uint32_t tasks = 0;  // over all ranks (a collective task counts once)
  double start = 0, end = 0;
};

// A task on a computation's critical path: the longest chain of dependent tasks, each weighed by
// the time it took (a collective task from the moment its last rank joined). No number of ranks
// could run the computation in less time than that chain took.
struct CriticalStep {
  std::uint32_t computation = 0;
  std::uint32_t id = 0;
  std::uint32_t kind = 0;
  std::int32_t rank = 0;  // -1: a collective task (every rank took part)
  double start = 0, seconds = 0;
  std::string key;
};

struct Trace {
  int ranks = 1;
  std::vector<std::string> kinds;
  std::vector<ComputationSpan> computations;
  Records<TaskSpan> tasks;
  Records<TransferSpan> transfers;
  Records<MemorySample> memory;
  std::vector<CriticalStep> critical;  // each computation's path, in the order its tasks ran
  // Per computation (as in `computations`): its tasks' keys, by id.
  std::vector<Records<Key>> keys;
  // Events a rank did not keep because its buffer was full (the trace then shows the first ones).
  std::uint64_t dropped = 0;
};

// Where computation `number` is in trace.computations (and trace.keys); -1 if it is not there.
// Numbers count the session's computations, and a recorder may start after some of them.
[[nodiscard]] std::ptrdiff_t computation_index(const Trace& trace, std::uint32_t number);

// A task's key as text ("sum-3f9a/2,0"), cut to a readable length; "" when unknown.
[[nodiscard]] std::string key_text(const Trace& trace, std::uint32_t computation, std::uint32_t id);

}  // namespace pando::diag

// Records travel between ranks as raw bytes (docs/architecture.md §4.1), not field by field.
BOOST_IS_BITWISE_SERIALIZABLE(pando::diag::TaskSpan)
BOOST_IS_BITWISE_SERIALIZABLE(pando::diag::TransferSpan)
BOOST_IS_BITWISE_SERIALIZABLE(pando::diag::MemorySample)
