#include <pando/diag/report_model.hpp>

#include <pando/core/json.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <numeric>
#include <type_traits>
#include <unordered_set>

#ifndef PANDO_VERSION
#define PANDO_VERSION "unknown"
#endif

namespace pando::diag {

namespace {

// JSON arrays and objects written straight into one string.
class Json {
 public:
  explicit Json(std::string& out) : out_(out) {}
  void key(std::string_view k) {
    comma();
    append_json_quote(out_, k);
    out_ += ':';
    fresh_ = true;
  }
  void open(char c) {
    comma();
    out_ += c;
    fresh_ = true;
  }
  void close(char c) {
    out_ += c;
    fresh_ = false;
  }
  void boolean(bool b) {
    comma();
    out_ += b ? "true" : "false";
  }
  void string(std::string_view s) {
    comma();
    append_json_quote(out_, s);
  }
  void seconds(double s) {
    comma();
    fmt::format_to(std::back_inserter(out_), "{:.6f}", s);
  }
  template <class T>
  void number(T v) {
    comma();
    fmt::format_to(std::back_inserter(out_), "{}", v);
  }
  void field(std::string_view k, std::string_view v) {
    key(k);
    string(v);
  }
  void field(std::string_view k, bool v) {
    key(k);
    boolean(v);
  }
  template <class T>
  requires std::is_arithmetic_v<T>
  void field(std::string_view k, T v) {
    key(k);
    number(v);
  }
  void field_seconds(std::string_view k, double s) {
    key(k);
    seconds(s);
  }
  // "name": [values...], each written by `put`.
  template <class Range, class Put>
  void array(std::string_view name, const Range& values, Put put) {
    key(name);
    open('[');
    for (const auto& v : values) put(v);
    close(']');
  }

 private:
  void comma() {
    if (!fresh_) out_ += ',';
    fresh_ = false;
  }
  std::string& out_;
  bool fresh_ = true;
};

double last_end(const Trace& t) {
  double end = 0;
  for (const TaskSpan& s : t.tasks) end = std::max(end, s.end);
  for (const ComputationSpan& c : t.computations) end = std::max(end, c.end);
  return end;
}

// Tasks a span stands for toward a computation's count: a collective task is one task however
// many ranks ran it.
class TaskCounter {
 public:
  std::uint64_t operator()(const TaskSpan& s) {
    if (!s.collective) return s.tasks;
    return seen_.insert((std::uint64_t{s.computation} << 32) | s.id).second ? s.tasks : 0;
  }

 private:
  std::unordered_set<std::uint64_t> seen_;
};

void write_facts(Json& j, const Trace& t, const RunFacts& f) {
  j.key("facts");
  j.open('{');
  j.field("command", f.command);
  j.array("hosts", f.hosts, [&](const std::string& h) { j.string(h); });
  j.field("started", f.started);
  j.field_seconds("wall", f.wall);
  j.field("version", f.version);
  j.field("ranks", t.ranks);
  j.field("live", f.live);
  j.field("spans", t.tasks.size());
  j.field("transfers", t.transfers.size());
  j.field("dropped", t.dropped);
  j.close('}');
}

void write_computations(Json& j, const Trace& t) {
  std::vector<std::uint64_t> done(t.computations.size(), 0);
  TaskCounter count;
  for (const TaskSpan& s : t.tasks)
    if (const std::ptrdiff_t i = computation_index(t, s.computation); i >= 0)
      done[static_cast<std::size_t>(i)] += count(s);
  j.key("computations");
  j.open('[');
  for (std::size_t i = 0; i < t.computations.size(); ++i) {
    const ComputationSpan& c = t.computations[i];
    j.open('{');
    j.field("n", c.number);
    j.field("tasks", c.tasks);
    j.field("done", std::min<std::uint64_t>(done[i], c.tasks));
    j.field_seconds("start", c.start);
    j.field_seconds("end", c.end);
    j.close('}');
  }
  j.close(']');
}

void write_operations(Json& j, const Trace& t) {
  struct Op {
    std::uint64_t tasks = 0, spans = 0;
    double total = 0, max = 0;
  };
  std::vector<Op> ops(t.kinds.size());
  TaskCounter count;
  for (const TaskSpan& s : t.tasks) {
    Op& o = ops.at(s.kind);
    const double d = s.end - s.start;
    o.tasks += count(s);
    ++o.spans;
    o.total += d;
    o.max = std::max(o.max, d);
  }
  std::vector<std::size_t> order(ops.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return ops[a].total > ops[b].total; });
  j.key("operations");
  j.open('[');
  for (const std::size_t k : order) {
    if (ops[k].spans == 0) continue;
    j.open('{');
    j.field("kind", k);
    j.field("tasks", ops[k].tasks);
    j.field_seconds("total", ops[k].total);
    j.field_seconds("mean", ops[k].total / static_cast<double>(ops[k].spans));
    j.field_seconds("max", ops[k].max);
    j.close('}');
  }
  j.close(']');
}

void write_matrix(Json& j, const Trace& t) {
  const auto n = static_cast<std::size_t>(t.ranks);
  std::vector<std::uint64_t> bytes(n * n, 0), count(n * n, 0);
  for (const TransferSpan& x : t.transfers) {
    const auto from = static_cast<std::size_t>(x.from), to = static_cast<std::size_t>(x.to);
    if (from >= n || to >= n) continue;
    bytes[from * n + to] += x.bytes;
    ++count[from * n + to];
  }
  j.array("bytes", bytes, [&](std::uint64_t b) { j.number(b); });
  j.array("messages", count, [&](std::uint64_t c) { j.number(c); });
}

// A series cut into at most `points` buckets of time, each keeping its largest value (so a
// peak stays visible).
template <class Sample, class Value>
void write_series(Json& j, std::vector<Sample> samples, double end, std::size_t points,
                  Value value) {
  std::sort(samples.begin(), samples.end(),
            [](const Sample& a, const Sample& b) { return a.first < b.first; });
  std::vector<std::pair<double, double>> kept;
  const double width = end > 0 ? end / static_cast<double>(points) : 1;
  for (const Sample& s : samples) {
    const double bucket = std::floor(s.first / width);
    if (!kept.empty() && std::floor(kept.back().first / width) == bucket) {
      kept.back().second = std::max(kept.back().second, value(s));
      continue;
    }
    kept.emplace_back(s.first, value(s));
  }
  j.array("t", kept, [&](const auto& p) { j.seconds(p.first); });
  j.array("v", kept, [&](const auto& p) { j.number(p.second); });
}

void write_memory(Json& j, const Trace& t, double end, std::size_t points) {
  std::vector<std::vector<std::pair<double, double>>> per_rank(static_cast<std::size_t>(t.ranks));
  for (const MemorySample& m : t.memory)
    if (m.rank >= 0 && m.rank < t.ranks)
      per_rank[static_cast<std::size_t>(m.rank)].emplace_back(m.at, static_cast<double>(m.bytes));
  j.key("memory");
  j.open('[');
  for (auto& samples : per_rank) {
    j.open('{');
    write_series(j, std::move(samples), end, points, [](const auto& s) { return s.second; });
    j.close('}');
  }
  j.close(']');
}

// Tasks done (all ranks, all computations) against time.
void write_progress(Json& j, const Trace& t, double end, std::size_t points) {
  std::vector<std::pair<double, double>> ends;
  ends.reserve(t.tasks.size());
  TaskCounter count;
  for (const TaskSpan& s : t.tasks)
    if (const auto n = count(s)) ends.emplace_back(s.end, static_cast<double>(n));
  std::sort(ends.begin(), ends.end());
  double done = 0;
  for (auto& e : ends) e.second = done += e.second;
  std::uint64_t total = 0;
  for (const ComputationSpan& c : t.computations) total += c.tasks;
  j.key("progress");
  j.open('{');
  j.field("total", total);
  write_series(j, std::move(ends), end, points, [](const auto& s) { return s.second; });
  j.close('}');
}

// The task stream: one rectangle per drawn piece.
struct Piece {
  std::int32_t rank = 0;
  std::uint32_t kind = 0, computation = 0, tasks = 0;
  double start = 0, end = 0, busy = 1;  // busy: the part of [start, end) spent in tasks
  bool failed = false;
  const TaskSpan* task = nullptr;  // the one task it shows (none for a joined piece)
};

std::vector<std::size_t> by_rank_and_start(const Trace& t) {
  std::vector<std::size_t> order(t.tasks.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const TaskSpan &x = t.tasks[a], &y = t.tasks[b];
    return x.rank != y.rank ? x.rank < y.rank : x.start < y.start;
  });
  return order;
}

std::vector<Piece> each_task(const Trace& t) {
  std::vector<Piece> out;
  out.reserve(t.tasks.size());
  for (const TaskSpan& s : t.tasks)
    out.push_back({s.rank, s.kind, s.computation, s.tasks, s.start, s.end, 1, s.failed, &s});
  return out;
}

// Neighbouring tasks of one operation on one rank, less than `gap` apart, as one piece.
std::vector<Piece> joined(const Trace& t, double gap) {
  std::vector<Piece> out;
  double worked = 0;
  auto close_last = [&] {
    if (!out.empty() && out.back().end > out.back().start)
      out.back().busy = std::min(1.0, worked / (out.back().end - out.back().start));
  };
  for (const std::size_t i : by_rank_and_start(t)) {
    const TaskSpan& s = t.tasks[i];
    if (!out.empty()) {
      Piece& p = out.back();
      if (p.rank == s.rank && p.kind == s.kind && p.computation == s.computation &&
          s.start - p.end < gap) {
        p.end = std::max(p.end, s.end);
        p.tasks += s.tasks;
        p.failed = p.failed || s.failed;
        p.task = nullptr;
        worked += s.end - s.start;
        continue;
      }
    }
    close_last();
    out.push_back({s.rank, s.kind, s.computation, s.tasks, s.start, s.end, 1, s.failed, &s});
    worked = s.end - s.start;
  }
  close_last();
  return out;
}

// Each rank's time in `bins` equal bins: how busy, and the operation that took most of it.
std::vector<Piece> binned(const Trace& t, double end, std::size_t bins) {
  struct Bin {
    double busy = 0, largest = 0;
    std::uint32_t kind = 0, tasks = 0;
    bool failed = false;
  };
  const double width = end / static_cast<double>(bins);
  std::vector<Bin> all(static_cast<std::size_t>(t.ranks) * bins);
  for (const TaskSpan& s : t.tasks) {
    if (s.rank < 0 || s.rank >= t.ranks) continue;
    const auto first = std::min(bins - 1, static_cast<std::size_t>(s.start / width));
    const auto last = std::min(bins - 1, static_cast<std::size_t>(s.end / width));
    for (std::size_t b = first; b <= last; ++b) {
      const double lo = std::max(s.start, static_cast<double>(b) * width);
      const double hi = std::min(s.end, static_cast<double>(b + 1) * width);
      Bin& bin = all[static_cast<std::size_t>(s.rank) * bins + b];
      bin.busy += std::max(0.0, hi - lo);
      if (hi - lo >= bin.largest) {
        bin.largest = hi - lo;
        bin.kind = s.kind;
      }
      bin.failed = bin.failed || s.failed;
    }
    all[static_cast<std::size_t>(s.rank) * bins + last].tasks += s.tasks;
  }
  std::vector<Piece> out;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const Bin& bin = all[i];
    if (bin.busy <= 0 && bin.tasks == 0) continue;
    const double start = static_cast<double>(i % bins) * width;
    out.push_back({static_cast<std::int32_t>(i / bins), bin.kind, 0, bin.tasks, start,
                   start + width, std::min(1.0, bin.busy / width), bin.failed, nullptr});
  }
  return out;
}

void write_stream(Json& j, const Trace& t, double end, const ReportLimits& limits) {
  std::string_view mode = "tasks";
  std::vector<Piece> pieces;
  if (t.tasks.size() <= limits.max_spans) {
    pieces = each_task(t);
  } else if (pieces = joined(t, end / 20'000); pieces.size() <= limits.max_spans) {
    mode = "joined";
  } else {
    mode = "bins";
    pieces = binned(t, end > 0 ? end : 1, limits.bins_per_rank);
  }
  j.key("stream");
  j.open('{');
  j.field("mode", mode);
  j.array("rank", pieces, [&](const Piece& p) { j.number(p.rank); });
  j.array("kind", pieces, [&](const Piece& p) { j.number(p.kind); });
  j.array("computation", pieces, [&](const Piece& p) { j.number(p.computation); });
  j.array("tasks", pieces, [&](const Piece& p) { j.number(p.tasks); });
  j.array("start", pieces, [&](const Piece& p) { j.seconds(p.start); });
  j.array("end", pieces, [&](const Piece& p) { j.seconds(p.end); });
  j.array("busy", pieces, [&](const Piece& p) { j.number(std::round(p.busy * 100) / 100); });
  j.array("failed", pieces, [&](const Piece& p) { j.number(p.failed ? 1 : 0); });
  j.array("key", pieces, [&](const Piece& p) {
    j.string(p.task ? key_text(t, p.task->computation, p.task->id) : std::string());
  });
  j.close('}');
}

void write_critical(Json& j, const Trace& t) {
  j.array("critical", t.critical, [&](const CriticalStep& c) {
    j.open('{');
    j.field("computation", c.computation);
    j.field("kind", c.kind);
    j.field("rank", c.rank);
    j.field_seconds("start", c.start);
    j.field_seconds("seconds", c.seconds);
    j.field("key", c.key);
    j.close('}');
  });
}

}  // namespace

std::string report_json(const Trace& trace, const RunFacts& facts, const ReportLimits& limits) {
  std::string out;
  out.reserve(256 + trace.tasks.size() * 64);
  Json j(out);
  const double end = std::max(last_end(trace), facts.wall);
  j.open('{');
  write_facts(j, trace, facts);
  j.array("kinds", trace.kinds, [&](const std::string& k) { j.string(k); });
  write_computations(j, trace);
  write_operations(j, trace);
  write_matrix(j, trace);
  write_memory(j, trace, end, limits.max_points);
  write_progress(j, trace, end, limits.max_points);
  write_stream(j, trace, end, limits);
  write_critical(j, trace);
  j.close('}');
  return out;
}

RunFacts facts_of_this_run() {
  RunFacts f;
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string arg;
  while (std::getline(in, arg, '\0')) {
    if (!f.command.empty()) f.command += ' ';
    const bool plain =
        !arg.empty() && arg.find_first_of(" \t\"'\\$*?[]()<>|&;") == std::string::npos;
    f.command += plain ? arg : fmt::format("'{}'", arg);
  }
  f.started =
      fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                  std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
  f.version = PANDO_VERSION;
  return f;
}

}  // namespace pando::diag
