#include <pando/diag/chrome_trace.hpp>

#include <pando/core/json.hpp>
#include <pando/io/atomic.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>

namespace pando::diag {

namespace {

// The trace's processes: the ranks (one track each), and the job (its computations).
constexpr int ranks_pid = 0, job_pid = 1;

// Microseconds, as the format counts time.
double us(double seconds) { return seconds * 1e6; }

class Events {
 public:
  void add(std::string event) {
    out_ += first_ ? "\n" : ",\n";
    out_ += event;
    first_ = false;
  }
  [[nodiscard]] std::string finish() && { return "{\"traceEvents\":[" + out_ + "\n]}\n"; }

 private:
  std::string out_;
  bool first_ = true;
};

void add_names(const Trace& trace, Events& ev) {
  ev.add(fmt::format(R"({{"ph":"M","name":"process_name","pid":{},"args":{{"name":"ranks"}}}})",
                     ranks_pid));
  ev.add(fmt::format(R"({{"ph":"M","name":"process_name","pid":{},"args":{{"name":"job"}}}})",
                     job_pid));
  for (int r = 0; r < trace.ranks; ++r) {
    ev.add(fmt::format(
        R"({{"ph":"M","name":"thread_name","pid":{},"tid":{},"args":{{"name":"rank {}"}}}})",
        ranks_pid, r, r));
    ev.add(fmt::format(
        R"({{"ph":"M","name":"thread_sort_index","pid":{},"tid":{},"args":{{"sort_index":{}}}}})",
        ranks_pid, r, r));
  }
}

// Each rank's tasks in time order, none overlapping the next (a clock read after a task ended
// never runs ahead of the next one's start on the same rank, but the rounding to microseconds
// must not make it seem so).
void add_tasks(const Trace& trace, Events& ev) {
  std::vector<std::size_t> order(trace.tasks.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const TaskSpan &x = trace.tasks[a], &y = trace.tasks[b];
    return std::tie(x.rank, x.start) < std::tie(y.rank, y.start);
  });
  for (std::size_t k = 0; k < order.size(); ++k) {
    const TaskSpan& t = trace.tasks[order[k]];
    const double start = std::round(us(t.start) * 1000) / 1000;
    double end = std::max(start, std::round(us(t.end) * 1000) / 1000);
    if (k + 1 < order.size() && trace.tasks[order[k + 1]].rank == t.rank)
      end = std::min(end, std::round(us(trace.tasks[order[k + 1]].start) * 1000) / 1000);
    end = std::max(end, start);
    ev.add(fmt::format(
        R"({{"ph":"X","cat":"task","name":{},"pid":{},"tid":{},"ts":{:.3f},"dur":{:.3f},)"
        R"("args":{{"key":{},"computation":{},"tasks":{},"collective":{},"failed":{}}}}})",
        json_quote(trace.kinds.at(t.kind)), ranks_pid, t.rank, start, end - start,
        json_quote(key_text(trace, t.computation, t.id)), t.computation, t.tasks, t.collective,
        t.failed));
  }
}

// An arrow from the task that sent a value to the next task on the rank that received it.
void add_transfers(const Trace& trace, Events& ev) {
  for (const TransferSpan& t : trace.transfers) {
    if (t.sent < 0 || t.received < 0) continue;
    const std::string id = fmt::format("\"{}.{}.{}.{}\"", t.computation, t.value, t.from, t.to);
    ev.add(fmt::format(
        R"({{"ph":"s","cat":"transfer","name":"value","id":{},"pid":{},"tid":{},"ts":{:.3f},)"
        R"("args":{{"bytes":{}}}}})",
        id, ranks_pid, t.from, us(t.sent), t.bytes));
    ev.add(fmt::format(
        R"({{"ph":"f","cat":"transfer","name":"value","id":{},"pid":{},"tid":{},"ts":{:.3f}}})", id,
        ranks_pid, t.to, us(t.received)));
  }
}

void add_memory(const Trace& trace, Events& ev) {
  for (const MemorySample& m : trace.memory)
    ev.add(fmt::format(
        R"({{"ph":"C","name":"held bytes, rank {}","pid":{},"ts":{:.3f},"args":{{"bytes":{}}}}})",
        m.rank, ranks_pid, us(m.at), m.bytes));
}

void add_computations(const Trace& trace, Events& ev) {
  for (const ComputationSpan& c : trace.computations)
    ev.add(fmt::format(R"({{"ph":"X","cat":"computation","name":"computation {}","pid":{},"tid":0,)"
                       R"("ts":{:.3f},"dur":{:.3f},"args":{{"tasks":{}}}}})",
                       c.number, job_pid, us(c.start), us(std::max(c.end - c.start, 0.0)),
                       c.tasks));
}

}  // namespace

std::string to_chrome_trace(const Trace& trace) {
  Events ev;
  add_names(trace, ev);
  add_computations(trace, ev);
  add_tasks(trace, ev);
  add_transfers(trace, ev);
  add_memory(trace, ev);
  return std::move(ev).finish();
}

void write_chrome_trace(const Trace& trace, const std::string& path) {
  io::AtomicFile out(path);
  out.write(to_chrome_trace(trace));
  out.commit();
}

}  // namespace pando::diag
