#include <pando/diag/critical_path.hpp>

#include <pando/graph/task_table.hpp>

#include <algorithm>
#include <limits>

namespace pando::diag {

Dependencies::Dependencies(const TaskTable& table) {
  begin_.reserve(table.size() + 1);
  inputs_.reserve(table.size());
  begin_.push_back(0);
  for (std::uint32_t id = 0; id < table.size(); ++id) {
    const auto in = table.inputs(id);
    inputs_.insert(inputs_.end(), in.begin(), in.end());
    begin_.push_back(static_cast<std::uint32_t>(inputs_.size()));
  }
}

namespace {

constexpr std::size_t no_span = std::numeric_limits<std::size_t>::max();

// A task as the path sees it. A collective task has a span on each rank; the ranks that came
// first waited inside it for the others, so it weighs what it took the last to arrive: its
// shortest span.
struct Weighed {
  double seconds = 0;
  std::size_t span = no_span;
  bool on_many_ranks = false;
};

Records<Weighed> weigh(std::uint32_t n, std::span<const TaskSpan> tasks) {
  Records<Weighed> w(n);
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const TaskSpan& t = tasks[i];
    if (t.id >= n) continue;
    Weighed& x = w[t.id];
    if (x.span != no_span && tasks[x.span].rank != t.rank) x.on_many_ranks = true;
    const double d = t.end - t.start;
    if (x.span == no_span || (t.collective ? d < x.seconds : d > x.seconds)) {
      x.seconds = d;
      x.span = i;
    }
  }
  return w;
}

}  // namespace

std::vector<CriticalStep> critical_path(const Dependencies& deps, std::span<const TaskSpan> tasks,
                                        std::span<const Key> keys) {
  const std::uint32_t n = deps.size();
  if (n == 0 || tasks.empty()) return {};
  const Records<Weighed> w = weigh(n, tasks);
  // finish[id]: the longest chain ending with id; from[id]: its input on that chain.
  Records<double> finish(n, 0);
  Records<std::uint32_t> from(n, n);
  std::uint32_t last = 0;
  for (std::uint32_t id = 0; id < n; ++id) {
    double before = 0;
    for (const std::uint32_t in : deps.inputs(id))
      if (in < id && finish[in] > before) {
        before = finish[in];
        from[id] = in;
      }
    finish[id] = before + w[id].seconds;
    if (finish[id] > finish[last]) last = id;
  }
  std::vector<CriticalStep> path;
  for (std::uint32_t id = last; id < n; id = from[id]) {
    if (w[id].span == no_span) continue;
    const TaskSpan& t = tasks[w[id].span];
    path.push_back({t.computation, id, t.kind, w[id].on_many_ranks || t.collective ? -1 : t.rank,
                    t.start, w[id].seconds, id < keys.size() ? keys[id].str() : std::string()});
  }
  std::reverse(path.begin(), path.end());
  return path;
}

}  // namespace pando::diag
