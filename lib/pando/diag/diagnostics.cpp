#include <pando/diag/diagnostics.hpp>

#include <pando/core/consensus.hpp>
#include <pando/core/error.hpp>
#include <pando/core/log.hpp>
#include <pando/core/session.hpp>
#include <pando/diag/chrome_trace.hpp>
#include <pando/diag/options.hpp>
#include <pando/diag/picture.hpp>
#include <pando/diag/progress.hpp>
#include <pando/diag/recorder.hpp>
#include <pando/graph/runtime.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string_view>

namespace pando::diag {

namespace {

// Whether rank 0's stderr ends on a terminal: its own, or the launcher's (jobscripts/pando-run
// sets PANDO_TERMINAL, since mpirun hands the ranks' stderr on through a pipe).
bool stderr_is_terminal() {
  if (::isatty(STDERR_FILENO) == 1) return true;
  const char* t = std::getenv("PANDO_TERMINAL");
  return t && std::string_view(t) == "1";
}

// A session extension: the observers the options ask for, and what to do at the command's end.
class Diagnostics {
 public:
  Diagnostics() = default;
  Diagnostics(const Diagnostics&) = delete;
  Diagnostics& operator=(const Diagnostics&) = delete;
  ~Diagnostics() {
    try {
      end(true);
    } catch (const std::exception& e) {
      log_warn("{}", e.what());
    }
  }

  // Collective: every rank attaches the same observers (rank 0's options).
  void start(Runtime& runtime) {
    const SessionBase& session = SessionBase::current();
    const Comm& comm = session.comm();
    options_ = on_root(comm, [] { return DiagOptions::from_env(); });
    if (!options_.graph.empty())
      runtime.add_observer(std::make_shared<Grapher>(options_.graph, session.rank()));
    if (options_.progress == ProgressMode::off && options_.trace.empty()) return;
    comm.barrier();  // the ranks take their clocks' zero together
    const Stopwatch epoch;
    if (options_.progress != ProgressMode::off) {
      progress_ = std::make_shared<Progress>(comm, options_.progress, stderr_is_terminal());
      runtime.add_observer(progress_);
    }
    if (!options_.trace.empty()) {
      recorder_ = std::make_shared<Recorder>(comm, epoch);
      runtime.add_observer(recorder_);
    }
    rank_ = session.rank();
  }

  void end(bool ok) {
    if (ended_) return;
    ended_ = true;
    if (progress_) progress_->finish(ok);
    // The trace is an output like the others: all or nothing, so none after a failure.
    if (!ok || rank_ != 0 || !recorder_) return;
    if (!recorder_->failure().empty())
      throw MpiError(fmt::format("{}: not written: {}", options_.trace, recorder_->failure()));
    write_chrome_trace(recorder_->trace(), options_.trace);
  }

 private:
  DiagOptions options_;
  int rank_ = 0;
  bool ended_ = false;
  std::shared_ptr<Progress> progress_;
  std::shared_ptr<Recorder> recorder_;
};

void attach(Runtime& runtime) { SessionBase::current().extension<Diagnostics>().start(runtime); }

[[maybe_unused]] const bool registered = (add_runtime_hook(&attach), true);

}  // namespace

// Named by the link options of a static libpando (lib/CMakeLists.txt), so that this file, and
// the hook above, are linked into every program.
extern "C" {
extern const int pando_diagnostics_linked;
const int pando_diagnostics_linked = 1;
}

void end_command(bool ok) {
  if (SessionBase* s = SessionBase::current_or_null())
    if (auto* d = s->find_extension<Diagnostics>()) d->end(ok);
}

}  // namespace pando::diag
