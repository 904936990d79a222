// CSV throughput on one core (a measurement, not a test; not built by default):
//   cmake --build --preset release --target frame_csv_throughput
//   build/release/tests/frame/frame_csv_throughput [MB] [--pandas] [--repeat N]
//   build/release/tests/frame/frame_csv_throughput --file PATH... [--repeat N] [--per-column]
//       [--plain-strings]
// Generates CSVs of about MB megabytes in memory (numbers only; int/float/string/timestamp), or
// reads the given files (e.g. pando-gen's transactions-00.csv), then times scan_range over 64 MiB
// ranges, parse_rows and write_csv, in CPU time of the thread; parse is the best of N runs.
// --pandas also times pandas.read_csv on the same files (written to the build tree) for comparison.
// --per-column also parses without each column in turn (usecols): the time a column's values
// cost beyond tokenizing them. --plain-strings turns dictionary encoding off (to compare).

#include <pando/core/timestamp.hpp>
#include <pando/frame/csv.hpp>

#include <fmt/format.h>

#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace pando;
using namespace pando::csv;

namespace {

// CPU time of this thread: on a shared machine, wall time measures the neighbours too.
struct Clock {
  static double now() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
};
double seconds_since(double t0) { return Clock::now() - t0; }

std::string numbers_csv(std::size_t bytes, std::mt19937_64& rng) {
  std::string s = "id,qty,price,ratio\n";
  std::uniform_real_distribution<double> u(0, 1);
  char buf[128];
  for (std::int64_t i = 0; s.size() < bytes; ++i) {
    int n = std::snprintf(buf, sizeof buf, "%lld,%d,%.2f,%.17g\n", static_cast<long long>(i * 7919),
                          static_cast<int>(rng() % 1000), u(rng) * 1000, u(rng));
    s.append(buf, static_cast<std::size_t>(n));
  }
  return s;
}

std::string mixed_csv(std::size_t bytes, std::mt19937_64& rng) {
  std::string s = "id,price,name,when\n";
  std::uniform_real_distribution<double> u(0, 1);
  char buf[160];
  const char* names[] = {"apple", "banana split",       "cherry", "\"fig, dried\"",
                         "kiwi",  "lemon \"\"zest\"\"", "mango"};
  for (std::int64_t i = 0; s.size() < bytes; ++i) {
    std::int64_t t = 1700000000 + static_cast<std::int64_t>(rng() % 50000000);
    std::int64_t days = t / 86400, sec = t % 86400;
    const CivilDate c = civil_from_days(days);
    int n = std::snprintf(
        buf, sizeof buf, "%lld,%.2f,%s %d,%04lld-%02u-%02u %02lld:%02lld:%02lld\n",
        static_cast<long long>(i), u(rng) * 100, names[rng() % 7], static_cast<int>(rng() % 100),
        static_cast<long long>(c.year), c.month, c.day, static_cast<long long>(sec / 3600),
        static_cast<long long>(sec / 60 % 60), static_cast<long long>(sec % 60));
    s.append(buf, static_cast<std::size_t>(n));
  }
  return s;
}

struct Opt {
  bool pandas = false;
  bool per_column = false;
  bool plain_strings = false;
  int repeat = 1;
};

void measure(const std::string& label, const std::string& text, const Opt& opt) {
  const double mb = static_cast<double>(text.size()) / 1e6;
  auto header = read_header(text, false, {}, label);
  Schema schema = infer_schema(std::string_view(text).substr(0, 65536), false, header, {}, label);

  // Split: 64 MiB ranges, each scanned once.
  auto t0 = Clock::now();
  std::vector<RangeScan> scans;
  for (auto [b, e] :
       plan_ranges(header.data_begin, static_cast<std::int64_t>(text.size()), 64 << 20)) {
    RangeBytes rb;
    rb.begin = b;
    rb.end = e;
    rb.starts_row = scans.empty();
    rb.window_begin = rb.starts_row ? b : b - 2;
    const auto wend = std::min<std::int64_t>(static_cast<std::int64_t>(text.size()), e + 4096);
    rb.window = std::string_view(text).substr(static_cast<std::size_t>(rb.window_begin),
                                              static_cast<std::size_t>(wend - rb.window_begin));
    rb.window_reaches_eof = wend == static_cast<std::int64_t>(text.size());
    scans.push_back(scan_range(rb, {}, label));
  }
  auto rows = resolve_ranges(scans, header.data_first_line);
  const double t_scan = seconds_since(t0);

  // Parse: the best of `repeat` runs over all ranges.
  auto parse_all = [&](const CsvOptions& o, std::size_t& nrows, Table& last) {
    nrows = 0;
    const double start = Clock::now();
    for (const auto& r : rows) {
      BadLineReport bad;
      last = parse_rows(std::string_view(text).substr(static_cast<std::size_t>(r.begin),
                                                      static_cast<std::size_t>(r.end - r.begin)),
                        r.first_line, schema, o, label, bad);
      nrows += last.rows();
    }
    return seconds_since(start);
  };
  std::size_t nrows = 0;
  Table last;
  double t_parse = 1e300;
  CsvOptions options;
  options.dictionary_strings = !opt.plain_strings;
  for (int k = 0; k < opt.repeat; ++k) t_parse = std::min(t_parse, parse_all(options, nrows, last));
  t0 = Clock::now();
  std::size_t out = 0;
  write_csv(last, true, {}, [&](std::string_view c) { out += c.size(); });
  const double t_write = seconds_since(t0);
  const double out_mb = static_cast<double>(out) / 1e6;

  fmt::print("{:8} {:7.1f} MB {:9} rows [{}]\n", label, mb, nrows, schema.to_string());
  fmt::print("  scan   {:8.0f} MB/s\n", mb / t_scan);
  std::string encoded;
  for (std::size_t j = 0; j < last.num_columns(); ++j)
    if (last.column(j).is_dictionary())
      encoded +=
          fmt::format(" {} ({} values)", last.names()[j], last.column(j).dictionary().size());
  fmt::print("  parse  {:8.0f} MB/s   ({:.3f} s){}\n", mb / t_parse, t_parse,
             encoded.empty() ? "" : ", dictionary-encoded:" + encoded);
  fmt::print("  write  {:8.0f} MB/s   (last range, {:.1f} MB)\n", out_mb / t_write, out_mb);
  if (opt.per_column) {
    for (std::size_t j = 0; j < schema.size(); ++j) {
      CsvOptions o = options;
      for (std::size_t k = 0; k < schema.size(); ++k)
        if (k != j) o.usecols.push_back(schema[k].name);
      double t = 1e300;
      std::size_t n;
      Table tmp;
      for (int k = 0; k < opt.repeat; ++k) t = std::min(t, parse_all(o, n, tmp));
      fmt::print("  column {:10} {:9}  {:6.1f} ns/row ({:4.1f}% of parse)\n", schema[j].name,
                 to_string(schema[j].type), (t_parse - t) * 1e9 / static_cast<double>(nrows),
                 100 * (t_parse - t) / t_parse);
    }
  }
  if (opt.pandas) {
    const std::string path =
        fmt::format("{}/csv_throughput_{}.csv", PANDO_FRAME_TEST_TMP_PARENT, label);
    std::ofstream(path, std::ios::binary)
        .write(text.data(), static_cast<std::streamsize>(text.size()));
    const std::string cmd = fmt::format(
        "{} -c \"import time,pandas as pd; t=time.time(); d=pd.read_csv('{}'{}); "
        "print('  pandas read_csv %8.0f MB/s' % ({} / (time.time() - t)))\"",
        PANDO_TEST_PYTHON, path, label == "mixed" ? ", parse_dates=['when']" : "", mb);
    std::fflush(stdout);
    if (std::system(cmd.c_str()) != 0) fmt::print("  (pandas failed)\n");
    std::remove(path.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t mb = 100;
  Opt opt;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--pandas") {
      opt.pandas = true;
    } else if (a == "--per-column") {
      opt.per_column = true;
    } else if (a == "--plain-strings") {
      opt.plain_strings = true;
    } else if (a == "--repeat" && i + 1 < argc) {
      opt.repeat = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--file" && i + 1 < argc) {
      files.emplace_back(argv[++i]);
    } else if (!a.empty() && a[0] != '-') {
      mb = std::strtoul(a.c_str(), nullptr, 10);
    } else {
      fmt::print(stderr,
                 "usage: {} [MB] [--pandas] [--repeat N] [--file PATH]... [--per-column] "
                 "[--plain-strings]\n",
                 argv[0]);
      return 2;
    }
  }
  if (!files.empty()) {
    for (const auto& path : files) {
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        fmt::print(stderr, "cannot open {}\n", path);
        return 1;
      }
      std::ostringstream ss;
      ss << in.rdbuf();
      const auto slash = path.find_last_of('/');
      measure(slash == std::string::npos ? path : path.substr(slash + 1), ss.str(), opt);
    }
    return 0;
  }
  std::mt19937_64 rng(1);
  measure("numbers", numbers_csv(mb << 20, rng), opt);
  measure("mixed", mixed_csv(mb << 20, rng), opt);
}
