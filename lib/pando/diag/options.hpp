#pragma once
// What diagnostics a command asked for, from the environment: PANDO_PROGRESS, PANDO_TRACE,
// PANDO_REPORT, PANDO_REPORT_DATA, PANDO_DASHBOARD and PANDO_GRAPH (the apps set them from their
// options of the same names, so that a program linking Pando gets the same with no code change).

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
  std::string trace;        // a Chrome trace (JSON) written here at the end of the command
  std::string graph;        // each computation's picture (.svg or .png) drawn here before it runs
  std::string report;       // the HTML report written here at the end of the command
  std::string report_data;  // the report's data (CSV, JSON) written into this directory
  std::string dashboard;    // [HOST:]PORT: the live dashboard served from rank 0

  // Whether a recorder must watch the ranks.
  [[nodiscard]] bool records() const { return !trace.empty() || reports() || !dashboard.empty(); }
  [[nodiscard]] bool reports() const { return !report.empty() || !report_data.empty(); }

  // UsageError naming the variable for a malformed value.
  static DiagOptions from_env();

  template <class A>
  void serialize(A& a, unsigned) {
    fields(a, progress, trace, graph, report, report_data, dashboard);
  }
};

// "auto", "on", "off" (also 1/0, yes/no, true/false); UsageError naming `what` otherwise.
ProgressMode parse_progress_mode(const std::string& text, const std::string& what);

}  // namespace pando::diag
