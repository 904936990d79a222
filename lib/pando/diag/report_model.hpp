#pragma once
// What the report and the dashboard show, worked out from a trace: the task stream per rank,
// progress over time, time per operation, bytes moved rank to rank, memory per rank over time,
// each computation's critical path, and the run's facts. One JSON document, the same for the
// HTML report (embedded), the dashboard (served) and --report-data (report.json).
//
// It stays small at any size: the task stream keeps each task while there are at most
// `max_spans` of them, then joins neighbouring tasks of one operation, then shows each rank's
// time in bins; the series over time keep at most `max_points` points.

#include <pando/diag/trace.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace pando::diag {

struct RunFacts {
  std::string command;             // as launched on rank 0
  std::vector<std::string> hosts;  // per rank
  std::string started;             // UTC, ISO 8601
  double wall = 0;                 // seconds since the diagnostics started
  std::string version;             // Pando's
  bool live = false;               // the job still runs (the dashboard)
};

struct ReportLimits {
  std::size_t max_spans = 100'000;
  std::size_t bins_per_rank = 4'000;
  std::size_t max_points = 1'000;
};

[[nodiscard]] std::string report_json(const Trace& trace, const RunFacts& facts,
                                      const ReportLimits& limits = {});

// The facts of this run on rank 0: its command line (from /proc), Pando's version and the
// time now. Hosts and wall time are the caller's.
[[nodiscard]] RunFacts facts_of_this_run();

}  // namespace pando::diag
