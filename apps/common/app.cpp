#include "app.hpp"

#include <pando/diag/dashboard.hpp>
#include <pando/diag/diagnostics.hpp>
#include <pando/frame/csv.hpp>

#include <fmt/format.h>

#include <sys/resource.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <optional>

namespace pando::app {

namespace {

// The rank this process will have, before MPI starts (from the launcher's environment).
int launch_rank() {
  for (const char* v : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"})
    if (const char* s = std::getenv(v)) return std::atoi(s);
  return 0;
}

std::string program_name(const CLI::App& cli) {
  std::string n = cli.get_name();
  return n.empty() ? "pando" : n;
}

// With PANDO_BENCH_JSON set, rank 0 ends with one JSON line on stderr: the seconds the app
// worked and each rank's peak memory (bench/run.py reads it).
void report_for_bench(const Session& session, const Stopwatch& clock) {
  if (!std::getenv("PANDO_BENCH_JSON")) return;
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto rss = session.comm().allgather(static_cast<double>(u.ru_maxrss) / 1024.0);
  if (session.rank() == 0)
    std::fprintf(stderr, "{\"work_seconds\": %.6f, \"ranks\": %d, \"rss_mib\": [%s]}\n",
                 clock.seconds(), session.size(),
                 fmt::format("{:.1f}", fmt::join(rss, ", ")).c_str());
}

}  // namespace

void add_common_options(CLI::App& cli, Common& common) {
  cli.add_flag("-v,--verbose", common.verbose,
               "say more on stderr: -v the time each stage took, -vv everything (PANDO_LOG=debug)");
  cli.add_option("--progress", common.progress,
                 "auto|on|off: the tasks done on all ranks, rate and ETA on stderr (auto: after a "
                 "second; redrawn on a terminal, a line every few seconds in a log file; "
                 "PANDO_PROGRESS)")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  cli.add_option("--trace", common.trace,
                 "FILE.json: a trace of every task, transfer and memory use on every rank, for "
                 "Perfetto (ui.perfetto.dev) or chrome://tracing (PANDO_TRACE)");
  cli.add_option("--report", common.report,
                 "FILE.html: a report to open in a browser afterwards (one file, no network): "
                 "the tasks of every rank over time, progress, time per operation, bytes moved "
                 "rank to rank, memory per rank, the critical path (PANDO_REPORT)");
  cli.add_option("--report-data", common.report_data,
                 "DIR: the report's data as CSV and JSON files in DIR: every task, transfer and "
                 "memory sample (PANDO_REPORT_DATA)");
  cli.add_option("--dashboard", common.dashboard,
                 "[HOST:]PORT: a live dashboard while the job runs, served by rank 0 on "
                 "127.0.0.1 unless HOST says otherwise (PORT 0: a free one); open the URL it "
                 "prints, with its token (through ssh -L PORT:127.0.0.1:PORT NODE from a compute "
                 "node; PANDO_DASHBOARD)")
      ->check([](const std::string& v) {
        try {
          (void)diag::parse_dashboard_address(v, "--dashboard");
          return std::string();
        } catch (const std::exception& e) {
          return std::string(e.what());
        }
      });
  cli.add_option("--graph", common.graph,
                 "FILE.svg|FILE.png: draw each computation before it runs, its ranks as clusters "
                 "and the values moving between them in red (the k-th computation to FILE-k.svg; "
                 "Graphviz; PANDO_GRAPH)");
}

int run(CLI::App& cli, int argc, char** argv, const Common& common,
        const std::function<void(Session&)>& body) {
  // Usage errors in one line: what is wrong, and where the help is.
  cli.failure_message([](const CLI::App* app, const CLI::Error& e) {
    return fmt::format("{}: error: {} (see {} --help)\n", app->get_name(), e.what(),
                       app->get_name());
  });
  // Pando's own options (--pando-log=debug) first, so that the app's parser never sees them.
  Options options = Options::from_env();
  std::optional<CLI::ParseError> usage;
  try {
    options.take_args(argc, argv);
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    usage = e;
  } catch (const UsageError& e) {
    usage = CLI::ParseError(e.what(), CLI::ExitCodes::ArgumentMismatch);
  }
  // --help: the first rank prints it; nobody starts MPI.
  if (usage && usage->get_exit_code() == 0) return launch_rank() == 0 ? cli.exit(*usage) : 0;
  if (common.verbose > 0) options.log_level = common.verbose > 1 ? LogLevel::debug : LogLevel::info;
  // Diagnostics read the environment (so that programs get them with no code change): the
  // options become the variables.
  if (!common.progress.empty()) ::setenv("PANDO_PROGRESS", common.progress.c_str(), 1);
  if (!common.trace.empty()) ::setenv("PANDO_TRACE", common.trace.c_str(), 1);
  if (!common.graph.empty()) ::setenv("PANDO_GRAPH", common.graph.c_str(), 1);
  if (!common.report.empty()) ::setenv("PANDO_REPORT", common.report.c_str(), 1);
  if (!common.report_data.empty()) ::setenv("PANDO_REPORT_DATA", common.report_data.c_str(), 1);
  if (!common.dashboard.empty()) ::setenv("PANDO_DASHBOARD", common.dashboard.c_str(), 1);
  // MPI starts even for a usage error: when one rank exits early with an error, mpirun stops
  // the others, and the rank that should say what went wrong may not have said it yet. So
  // every rank ends together (end_together), after the rank that reports has printed.
  Session session(options);  // argv's --pando-* arguments were taken above (or were wrong)
  // Its own communicator: the ending's message never meets one of a computation left unfinished.
  const Comm ending = session.comm().dup();
  int code = 0;
  std::string error;  // the one line this rank would print
  if (usage) {
    code = usage->get_exit_code();
  } else {
    Stopwatch clock;
    try {
      body(session);
      diag::end_command(true);
      report_for_bench(session, clock);
    } catch (const TaskError& e) {
      code = 1;
      error = e.message();
      log_info("(in task '{}' on rank {})", e.key(), e.rank());
    } catch (const std::exception& e) {
      code = 1;
      error = e.what();
    }
  }
  // The progress line goes before the error, which must be the last line on stderr.
  if (code != 0 && !usage) diag::end_command(false);
  // Errors are the same on every rank (docs/architecture.md §5.3): the lowest rank that
  // failed says it, and every rank exits with the same code.
  const std::string line = fmt::format("{}: error: {}", program_name(cli), error);
  const int reporter = end_together(ending, code != 0, line, 30.0);
  if (reporter == session.rank()) {
    if (usage)
      (void)cli.exit(*usage);
    else
      std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
  }
  // Every rank exits non-zero when any failed; then the one that reported has printed.
  ending.barrier();
  return reporter < session.size() ? (code != 0 ? code : 1) : 0;
}

Stage::~Stage() { log_info("{}: {:.3f} s", name_, clock_.seconds()); }

Output::Output(std::string path) : path_(std::move(path)) {}

void Output::write(std::string_view text) { text_.append(text); }

void Output::finish() {
  const Comm& comm = Session::current().comm();
  if (path_.empty()) {
    if (comm.rank() == 0) {
      std::fwrite(text_.data(), 1, text_.size(), stdout);
      std::fflush(stdout);
    }
    return;
  }
  agree(comm, [&] {
    if (comm.rank() != 0) return;
    io::AtomicFile out(path_);
    out.write(text_);
    out.commit();
  });
}

DatasetRef DatasetRef::parse(std::string_view text, std::string_view option) {
  const auto colon = text.rfind(":/");
  if (colon == std::string_view::npos || colon == 0 || colon + 2 >= text.size())
    throw UsageError(
        fmt::format("{}: '{}' is not FILE.h5:/DATASET (e.g. data.h5:/x)", option, text));
  return {std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

Shape parse_shape(std::string_view text, std::string_view option) {
  Shape out;
  std::size_t at = 0;
  while (at <= text.size()) {
    const auto comma = text.find(',', at);
    const auto part = text.substr(at, comma == std::string_view::npos ? text.npos : comma - at);
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || ec != std::errc() || p != part.data() + part.size() || v < 1)
      throw UsageError(
          fmt::format("{}: '{}' is not a list of positive integers like 1024,64", option, text));
    out.push_back(v);
    if (comma == std::string_view::npos) break;
    at = comma + 1;
  }
  return out;
}

CLI::Validator at_least(std::int64_t least) {
  return CLI::Validator(
      [least](std::string& text) -> std::string {
        std::int64_t v = 0;
        auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc() || p != text.data() + text.size() || v < least)
          return fmt::format("'{}' is not a whole number of at least {}", text, least);
        return {};
      },
      fmt::format("N >= {}", least));
}

std::string csv_text(const Table& table) { return csv::to_csv(table, true); }

}  // namespace pando::app
