#pragma once
// What diagnostics a command asked for, from the environment: PANDO_PROGRESS, PANDO_TRACE and
// PANDO_GRAPH (the apps set them from --progress, --trace and --graph, so that a program linking
// Pando gets the same with no code change).

#include <pando/core/serialize.hpp>
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
  std::string graph;  // each computation's picture (.svg or .png) drawn here before it runs

  // UsageError naming the variable for a malformed value.
  static DiagOptions from_env();

  template <class A>
  void serialize(A& a, unsigned) {
    fields(a, progress, trace, graph);
  }
};

// "auto", "on", "off" (also 1/0, yes/no, true/false); UsageError naming `what` otherwise.
ProgressMode parse_progress_mode(const std::string& text, const std::string& what);

}  // namespace pando::diag
