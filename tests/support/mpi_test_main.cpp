// The main of every Pando test binary: GoogleTest under MPI.
//
// - Every rank runs every test; a test fails if it fails on ANY rank, and then it fails on all
//   (the process exit code, the same on every rank, is 1).
// - Only rank 0 prints. Failures of other ranks are gathered to it and printed with the ranks
//   they happened on ("[ranks 1,3] comm_test.cpp:42: ..."), once per distinct message.
// - A watchdog ends a hung binary shortly before CTest's timeout (PANDO_TEST_TIMEOUT seconds),
//   naming the test that did not finish, so a hang reads as a clear failure, not a silent kill.

#include <pando/core/clock.hpp>
#include <pando/core/serialize.hpp>
#include <pando/graph/session.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

// Ends the process if the tests run past a deadline. Runs on its own thread and never calls
// MPI: mpirun sees a rank exit and stops the others.
class Watchdog {
 public:
  Watchdog(double seconds, int rank) : rank_(rank) {
    if (seconds <= 0) return;
    thread_ = std::thread([this, seconds] { watch(seconds); });
  }
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  void running(std::string test) {
    std::lock_guard lock(mutex_);
    current_ = std::move(test);
  }

 private:
  void watch(double seconds) {
    std::unique_lock lock(mutex_);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    if (wake_.wait_until(lock, deadline, [this] { return done_; })) return;
    std::fprintf(stderr,
                 "[rank %d] HANG: test '%s' did not finish within %.0f s (PANDO_TEST_TIMEOUT). "
                 "A collective reached by some ranks only, or a receive without a send?\n",
                 rank_, current_.empty() ? "(between tests)" : current_.c_str(), seconds);
    std::fflush(stderr);
    std::_Exit(124);
  }

  int rank_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::string current_;
  std::thread thread_;
};

// Replaces GoogleTest's printer: collects each rank's failures per test and prints them, with
// their ranks, on rank 0.
class MpiPrinter : public testing::EmptyTestEventListener {
 public:
  MpiPrinter(pando::Comm comm, Watchdog& watchdog) : comm_(std::move(comm)), watchdog_(watchdog) {}

  [[nodiscard]] bool any_failed() const { return failed_tests_ > 0; }

  void OnTestProgramStart(const testing::UnitTest& unit) override {
    say("[==========] {} tests from {} suites on {} rank{}\n", unit.test_to_run_count(),
        unit.test_suite_to_run_count(), comm_.size(), comm_.size() == 1 ? "" : "s");
  }

  void OnTestStart(const testing::TestInfo& info) override {
    name_ = fmt::format("{}.{}", info.test_suite_name(), info.name());
    failures_.clear();
    watchdog_.running(name_);
    clock_.restart();
    say("[ RUN      ] {}\n", name_);
  }

  void OnTestPartResult(const testing::TestPartResult& r) override {
    if (r.skipped()) return;
    if (!r.failed()) return;
    failures_.push_back(fmt::format("{}:{}: {}", r.file_name() ? r.file_name() : "?",
                                    r.line_number(), r.message()));
  }

  // Collective: every rank reaches the end of every test.
  void OnTestEnd(const testing::TestInfo& info) override {
    watchdog_.running("");
    pando::Bytes mine = pando::to_bytes(failures_);
    auto all = comm_.gatherv(std::span<const std::byte>(mine), 0);
    auto skipped = comm_.allreduce<int>(info.result()->Skipped() ? 1 : 0, pando::ReduceOp::max);
    if (comm_.rank() != 0) return;

    // message -> ranks it happened on
    std::map<std::string, std::vector<int>> by_message;
    std::vector<int> failing_ranks;
    for (int r = 0; r < comm_.size(); ++r) {
      auto part = all.part(r);
      auto messages = pando::from_bytes<std::vector<std::string>>(part);
      if (!messages.empty()) failing_ranks.push_back(r);
      for (auto& m : messages) by_message[m].push_back(r);
    }
    auto ms = static_cast<long>(clock_.seconds() * 1000);
    if (failing_ranks.empty()) {
      say("{} {} ({} ms)\n", skipped ? "[  SKIPPED ]" : "[       OK ]", name_, ms);
      return;
    }
    for (auto& [message, ranks] : by_message) say("{} {}\n", ranks_label(ranks), message);
    say("[  FAILED  ] {} (failed on {} of {}) ({} ms)\n", name_, ranks_label(failing_ranks),
        comm_.size(), ms);
    failed_names_.push_back(fmt::format("{} ({})", name_, ranks_label(failing_ranks)));
    ++failed_tests_;
  }

  void OnTestProgramEnd(const testing::UnitTest& unit) override {
    failed_tests_ = comm_.bcast_value(failed_tests_, 0);
    if (failed_tests_ == 0) {
      say("[  PASSED  ] {} tests on {} ranks\n", unit.test_to_run_count(), comm_.size());
      return;
    }
    say("[  FAILED  ] {} of {} tests:\n", failed_tests_, unit.test_to_run_count());
    for (auto& n : failed_names_) say("[  FAILED  ] {}\n", n);
  }

 private:
  template <class... Args>
  void say(fmt::format_string<Args...> f, Args&&... args) {
    if (comm_.rank() != 0) return;
    std::fputs(fmt::format(f, std::forward<Args>(args)...).c_str(), stdout);
    std::fflush(stdout);
  }

  std::string ranks_label(const std::vector<int>& ranks) const {
    if (static_cast<int>(ranks.size()) == comm_.size() && comm_.size() > 1) return "[all ranks]";
    return fmt::format("[rank{} {}]", ranks.size() > 1 ? "s" : "", fmt::join(ranks, ","));
  }

  pando::Comm comm_;
  Watchdog& watchdog_;
  pando::Stopwatch clock_;
  std::string name_;
  std::vector<std::string> failures_;
  std::vector<std::string> failed_names_;
  int failed_tests_ = 0;
};

double watchdog_seconds() {
  const char* v = std::getenv("PANDO_TEST_TIMEOUT");
  return v ? std::atof(v) : 0.0;
}

}  // namespace

int main(int argc, char** argv) {
  // No progress line among the tests' output, unless asked for.
  ::setenv("PANDO_PROGRESS", "off", /*overwrite=*/0);
  pando::Session session(argc, argv);
  testing::InitGoogleTest(&argc, argv);
  GTEST_FLAG_SET(color, "no");

  Watchdog watchdog(watchdog_seconds(), session.rank());
  auto& listeners = testing::UnitTest::GetInstance()->listeners();
  delete listeners.Release(listeners.default_result_printer());
  auto* printer = new MpiPrinter(session.comm().dup(), watchdog);
  listeners.Append(printer);  // GoogleTest owns it

  int local = RUN_ALL_TESTS();
  // The same verdict on every rank: a failure anywhere fails the binary everywhere.
  int any = session.comm().allreduce(local != 0 ? 1 : 0, pando::ReduceOp::max);
  return any;
}
