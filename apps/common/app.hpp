#pragma once
// What every Pando app shares: the command line parsed before MPI starts (so --help and usage
// errors print once), one clear line on stderr for any error (from rank 0 only; every rank
// exits 1), -v for logs with the time each stage took, and results written by rank 0 to stdout
// or, atomically, to --out.
//
//   int main(int argc, char** argv) {
//     CLI::App cli{"pando-thing: what it does"};
//     ... options ...
//     return pando::app::run(cli, argc, argv, [&](pando::Session& s) { ... });
//   }

#include <pando/pando.hpp>

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace pando::app {

struct Common {
  int verbose = 0;          // -v: info (stage times), -vv: debug
  std::string progress;     // --progress: auto|on|off (PANDO_PROGRESS)
  std::string trace;        // --trace FILE.json (PANDO_TRACE)
  std::string graph;        // --graph FILE.svg (PANDO_GRAPH)
  std::string report;       // --report FILE.html (PANDO_REPORT)
  std::string report_data;  // --report-data DIR (PANDO_REPORT_DATA)
  std::string dashboard;    // --dashboard [HOST:]PORT (PANDO_DASHBOARD)
};

// Adds -v/--verbose and the diagnostics: --progress, --trace, --report, --report-data,
// --dashboard and --graph.
void add_common_options(CLI::App& cli, Common& common);

// Parses, starts MPI, runs `body`; returns the exit code (0, 1 for errors, CLI11's for usage).
int run(CLI::App& cli, int argc, char** argv, const Common& common,
        const std::function<void(Session&)>& body);

// Logs "<name>: 1.23 s" at info level (-v) when it goes out of scope.
class Stage {
 public:
  explicit Stage(std::string name) : name_(std::move(name)) {}
  Stage(const Stage&) = delete;
  Stage& operator=(const Stage&) = delete;
  ~Stage();

 private:
  std::string name_;
  Stopwatch clock_;
};

// Text results: rank 0 writes them to stdout, or to `path` (atomically: the file appears
// complete at finish(), or not at all).
class Output {
 public:
  explicit Output(std::string path = {});
  void write(std::string_view text);
  // Collective: every rank calls it at the same point.
  void finish();

 private:
  std::string path_;
  std::string text_;
};

// "data.h5:/grp/x" -> file "data.h5", dataset "/grp/x". UsageError naming `option` otherwise.
struct DatasetRef {
  std::string file, dataset;
  static DatasetRef parse(std::string_view text, std::string_view option);
};

// "1024,64" -> {1024, 64}. UsageError naming `option` for anything but positive integers.
Shape parse_shape(std::string_view text, std::string_view option);

// A CLI11 check: a whole number >= least, with a message a person reads ("--head: '-3' is not
// a whole number of at least 0").
CLI::Validator at_least(std::int64_t least);

// The text of a table as CSV (header row; pandas reads it back unchanged).
std::string csv_text(const Table& table);

}  // namespace pando::app
