#pragma once
// Progress of a command on rank 0's stderr, counting the tasks of ALL ranks: percent of the
// running computation, tasks done, rate, elapsed time, ETA, and the operations running.
//
// Every rank counts its tasks; the others send their counts to rank 0 (at most ten times a
// second, and a last one when a computation ends), on a communicator of this observer's own.
// Rank 0 takes them in between its tasks, and while it waits at a computation's end; a thread
// of its own (no MPI calls) redraws the line, so the clock runs on during a long task.
//
// On a terminal the line is redrawn in place (at most ten times a second) while a computation
// runs, and cleared between computations (the program's own output starts on a clean line);
// otherwise (a Slurm
// output file) a plain line every few seconds and when a computation passes 25, 50, 75 and
// 100%. In `automatic` mode nothing shows for the first second of a command; finish() ends with
// a summary line when the command succeeded, and leaves nothing after an error.

#include <pando/core/clock.hpp>
#include <pando/core/comm.hpp>
#include <pando/diag/options.hpp>
#include <pando/graph/observer.hpp>

#include <array>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace pando::diag {

class Progress final : public Observer {
 public:
  // Collective over `session` (duplicates it). `terminal`: redraw in place (else lines).
  Progress(const Comm& session, ProgressMode mode, bool terminal, std::FILE* out = stderr);
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  ~Progress() override;

  void schedule_started(const ScheduleInfo& info) override;
  void task_started(const TaskEvent& e) override;
  void task_finished(const TaskEvent& e) override;
  // Collective: the last counts of every rank reach rank 0.
  void schedule_finished(double seconds) override;

  // The command ended (on every rank; only rank 0 writes): the line is cleared and, when the
  // command succeeded and progress was shown (or the mode is `on`), a summary line follows.
  void finish(bool ok);

  // What a rank tells rank 0.
  struct Count {
    std::uint64_t computation = 0;
    std::uint64_t done = 0, total = 0;  // this rank's tasks in the computation
    std::uint64_t last = 0;             // 1: the rank's last message of the computation
    std::array<char, 48> running{};     // the operation it runs ("" when idle)
  };

 private:
  void send(bool last);
  void take_counts(bool until_all_last);
  void absorb(int rank, const Count& c);
  void paint();
  [[nodiscard]] std::string line(bool terminal) const;
  void print(const std::string& text, bool newline);

  Comm comm_;
  ProgressMode mode_;
  bool terminal_;
  std::FILE* out_;
  int rank_, ranks_;
  Count mine_;      // this rank's counts
  Count outgoing_;  // the counts on their way to rank 0
  std::optional<Request> in_flight_;
  Stopwatch since_send_;

  // Rank 0: every rank's counts, the painter's view. Guarded by mutex_.
  mutable std::mutex mutex_;
  Stopwatch command_;
  std::vector<Count> ranks_counts_;
  std::uint64_t current_ = 0;          // the computation running or last run
  std::uint64_t announced_total_ = 0;  // its tasks as the schedule counts them
  bool running_ = false;
  std::uint64_t computations_ = 0;  // finished
  std::uint64_t tasks_before_ = 0;  // in finished computations
  double computation_start_ = 0;    // of the running one, on command_'s clock
  int milestone_ = 0;               // quarters of the running computation already printed
  double last_line_ = -1;           // when the last plain line was printed
  bool shown_ = false;
  bool stop_ = false;
  std::condition_variable wake_;
  std::thread painter_;
};

}  // namespace pando::diag
