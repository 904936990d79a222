#pragma once
// Wall-clock timing for logs, progress and traces (never for tests: timing lives in bench/).

#include <chrono>

namespace pando {

class Stopwatch {
 public:
  using clock = std::chrono::steady_clock;
  Stopwatch() : start_(clock::now()) {}
  void restart() { start_ = clock::now(); }
  [[nodiscard]] double seconds() const {
    return std::chrono::duration<double>(clock::now() - start_).count();
  }
  [[nodiscard]] clock::time_point started() const { return start_; }

 private:
  clock::time_point start_;
};

}  // namespace pando
