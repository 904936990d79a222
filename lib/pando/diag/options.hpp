#pragma once
// What diagnostics a command asked for, from the environment: PANDO_PROGRESS and PANDO_TRACE
// (the apps set them from --progress and --trace, so that a program linking Pando gets the same
// with no code change).

#include <string>

namespace pando::diag {

enum class ProgressMode {
  automatic,  // after about a second: redrawn in place on a terminal, plain lines otherwise
  on,         // from the start, and a summary line even for a short command
  off,
};

struct DiagOptions {
  ProgressMode progress = ProgressMode::automatic;
  std::string trace;  // a Chrome trace (JSON) written here at the end of the command

  // UsageError naming the variable for a malformed value.
  static DiagOptions from_env();

  template <class A>
  void serialize(A& a, unsigned) {
    a& progress& trace;
  }
};

// "auto", "on", "off" (also 1/0, yes/no, true/false); UsageError naming `what` otherwise.
ProgressMode parse_progress_mode(const std::string& text, const std::string& what);

}  // namespace pando::diag
