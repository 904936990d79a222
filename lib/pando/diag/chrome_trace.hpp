#pragma once
// A trace in Chrome's trace event format (JSON), which Perfetto (ui.perfetto.dev) and
// chrome://tracing open: one track per rank with a slice per task (coloured by operation),
// an arrow for each value sent from one rank to another, and each rank's held bytes as a
// counter track.

#include <pando/diag/trace.hpp>

#include <string>

namespace pando::diag {

[[nodiscard]] std::string to_chrome_trace(const Trace& trace);

// Writes to_chrome_trace(trace) to `path`, atomically (a failed write leaves no file).
void write_chrome_trace(const Trace& trace, const std::string& path);

}  // namespace pando::diag
