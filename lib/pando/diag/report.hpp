#pragma once
// The report of a command: one self-contained HTML page (--report FILE.html; no network, no
// external scripts, fonts or styles, so it opens from a cluster's filesystem), and the same
// data as files (--report-data DIR):
//
//   report.json        what the page shows (report_model.hpp): facts, operations, bytes moved,
//                      memory and progress over time, the task stream, the critical path
//   tasks.csv          every task run recorded: computation, rank, task, operation, key, start,
//                      end, tasks, collective, failed (seconds since the command started)
//   transfers.csv      every value sent: computation, value, from, to, bytes, sent, received
//   memory.csv         rank, at, bytes
//   computations.csv   computation, tasks, start, end
//   critical_path.csv  computation, task, operation, rank, start, seconds, key

#include <pando/diag/report_model.hpp>
#include <pando/diag/trace.hpp>
#include <pando/io/atomic.hpp>

#include <string>
#include <string_view>

namespace pando::diag {

// The page with the report's data in it (`json`: report_json()).
[[nodiscard]] std::string report_page(std::string_view json);
// The dashboard's page: the same, fetching its data from the job with `token`.
[[nodiscard]] std::string dashboard_page(std::string_view token);

// Adds the page to `out` (written when it commits).
void add_report(io::AtomicFileSet& out, const std::string& path, std::string_view json);
// Adds the data files to `out`, in `dir` (made if missing).
void add_report_data(io::AtomicFileSet& out, const std::string& dir, const Trace& trace,
                     std::string_view json);

}  // namespace pando::diag
