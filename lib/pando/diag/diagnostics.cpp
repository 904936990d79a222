#include <pando/diag/diagnostics.hpp>

#include <pando/core/consensus.hpp>
#include <pando/core/error.hpp>
#include <pando/core/log.hpp>
#include <pando/core/session.hpp>
#include <pando/diag/chrome_trace.hpp>
#include <pando/diag/dashboard.hpp>
#include <pando/diag/options.hpp>
#include <pando/diag/picture.hpp>
#include <pando/diag/progress.hpp>
#include <pando/diag/recorder.hpp>
#include <pando/diag/report.hpp>
#include <pando/diag/report_model.hpp>
#include <pando/graph/runtime.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <vector>

namespace pando::diag {

namespace {

// Whether rank 0's stderr ends on a terminal: its own, or the launcher's (jobscripts/pando-run
// sets PANDO_TERMINAL, since mpirun hands the ranks' stderr on through a pipe).
bool stderr_is_terminal() {
  if (::isatty(STDERR_FILENO) == 1) return true;
  const char* t = std::getenv("PANDO_TERMINAL");
  return t && std::string_view(t) == "1";
}

// Each rank's host name, on rank 0 (elsewhere: none). Collective.
std::vector<std::string> host_names(const Comm& comm) {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  const std::string_view mine(name);
  const Gathered<std::byte> all = comm.gatherv(std::as_bytes(std::span(mine)), 0);
  std::vector<std::string> out;
  if (comm.rank() == 0)
    for (int r = 0; r < comm.size(); ++r) {
      const auto part = all.part(r);
      out.emplace_back(reinterpret_cast<const char*>(part.data()), part.size());
    }
  return out;
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
    rank_ = session.rank();
    if (!options_.graph.empty())
      runtime.add_observer(std::make_shared<Grapher>(options_.graph, session.rank()));
    if (options_.progress == ProgressMode::off && !options_.records()) return;
    comm.barrier();  // the ranks take their clocks' zero together
    epoch_ = Stopwatch();
    if (options_.progress != ProgressMode::off) {
      progress_ = std::make_shared<Progress>(comm, options_.progress, stderr_is_terminal());
      runtime.add_observer(progress_);
    }
    if (!options_.records()) return;
    const bool live = !options_.dashboard.empty();
    recorder_ = std::make_shared<Recorder>(
        comm, epoch_, RecorderOptions{.critical_path = options_.reports() || live});
    runtime.add_observer(recorder_);
    if (!options_.reports() && !live) return;
    std::vector<std::string> hosts = host_names(comm);
    if (rank_ == 0) {
      facts_ = facts_of_this_run();
      facts_.hosts = std::move(hosts);
    }
    if (live) start_dashboard(comm);
  }

  void end(bool ok) {
    if (ended_) return;
    ended_ = true;
    if (progress_) progress_->finish(ok);
    if (dashboard_) dashboard_->finished();
    // The trace and the report are outputs like the others: all or nothing, so none after a
    // failure.
    if (!ok || rank_ != 0 || !recorder_) return;
    if (!recorder_->failure().empty())
      throw MpiError(fmt::format("{}: not written: {}", outputs(), recorder_->failure()));
    // Together: all of them, or none.
    const Trace& trace = recorder_->trace();
    io::AtomicFileSet out;
    if (!options_.trace.empty()) out.add(options_.trace, to_chrome_trace(trace));
    if (options_.reports()) {
      facts_.wall = epoch_.seconds();
      const std::string json = report_json(trace, facts_);
      if (!options_.report.empty()) add_report(out, options_.report, json);
      if (!options_.report_data.empty()) add_report_data(out, options_.report_data, trace, json);
    }
    out.commit();
  }

 private:
  // Rank 0 serves it; a bad address or a port in use is an error on every rank.
  void start_dashboard(const Comm& comm) {
    on_root(comm, [&] {
      dashboard_ = std::make_unique<Dashboard>(
          parse_dashboard_address(options_.dashboard, "PANDO_DASHBOARD"), recorder_, facts_,
          epoch_);
      // At any log level: the user needs it to open the dashboard.
      std::fprintf(stderr, "pando: dashboard at %s\n", dashboard_->url().c_str());
      std::fflush(stderr);
      return 0;
    });
  }

  // The files the recorder feeds, for an error that says which were not written.
  [[nodiscard]] std::string outputs() const {
    std::vector<std::string> files;
    for (const std::string* f : {&options_.trace, &options_.report, &options_.report_data})
      if (!f->empty()) files.push_back(*f);
    return fmt::format("{}", fmt::join(files, ", "));
  }

  DiagOptions options_;
  int rank_ = 0;
  bool ended_ = false;
  Stopwatch epoch_;
  RunFacts facts_;  // rank 0
  std::shared_ptr<Progress> progress_;
  std::shared_ptr<Recorder> recorder_;
  std::unique_ptr<Dashboard> dashboard_;  // rank 0
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
