#pragma once
// Diagnostics of a session, as rank 0's environment asks (options.hpp: PANDO_PROGRESS,
// PANDO_TRACE, PANDO_REPORT, PANDO_REPORT_DATA, PANDO_DASHBOARD, PANDO_GRAPH): attached to the
// session's task runtime when it is made, by a runtime hook, so that a program gets them with no
// code change; ended with the command.

namespace pando::diag {

// The command ended, ok or not (rank-local; call it on every rank): rank 0 clears the progress
// line and, when the command succeeded, writes the trace and the report (outputs like the
// others: none after a failure) and prints the summary line; the dashboard shows the final
// state. The apps call it after their work; in a program
// that does not, the session's end does (and only logs a trace it cannot write). On rank 0,
// IoError when the trace or the report cannot be written.
void end_command(bool ok);

}  // namespace pando::diag
