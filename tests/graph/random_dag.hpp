#pragma once
// Random task graphs for runtime tests, with a serial reference evaluation.
//
// Every task computes f(inputs) = 0.5 * sum(inputs, in input order) + its own salt, in doubles:
// any change in which inputs a task sees, or in their order, changes the result, and the serial
// loop gives the exact expected bits.

#include <pando/graph/graph.hpp>

#include <cstdint>
#include <random>
#include <vector>

namespace pando::test {

struct DagSpec {
  std::vector<std::vector<std::uint32_t>> inputs;  // per task, indices of earlier tasks
  std::vector<std::uint8_t> collective;            // per task: a collective (sum via gather)
  std::vector<std::uint32_t> outputs;
  // Variations (empty = none): per task, an output of many bytes (the result repeated, sent in
  // parts rather than inside the header), a rank to run on (-1: the planner decides), and for a
  // collective the ranks that take part (empty: all).
  std::vector<std::uint8_t> big;
  std::vector<int> rank;
  std::vector<std::vector<int>> participants;
  std::vector<std::uint8_t> throws;  // a plain task that throws "injected at KEY" instead
};

// Sizes, placement hints and collectives over some of the ranks, drawn at random for a job of
// `nranks` ranks: what the runtime must handle beside plain tasks.
inline void vary(DagSpec& d, int nranks, std::uint64_t seed) {
  std::mt19937_64 rng(seed * 7919 + 1);
  const auto n = d.inputs.size();
  d.big.assign(n, 0);
  d.rank.assign(n, -1);
  d.participants.assign(n, {});
  for (std::size_t i = 0; i < n; ++i) {
    d.big[i] = rng() % 4 == 0;
    if (d.collective[i]) {
      if (rng() % 2)
        for (int r = 0; r < nranks; ++r)
          if (rng() % 2 || (r == nranks - 1 && d.participants[i].empty()))
            d.participants[i].push_back(r);
    } else if (rng() % 5 == 0) {
      d.rank[i] = static_cast<int>(rng() % static_cast<std::uint64_t>(nranks));
    }
  }
}

enum class Shape { chain, tree, fan_in, fan_out, diamond, random };

inline double salt(std::uint32_t i) { return 1.0 / (i + 3.0); }

// Task i depends on tasks < i: a DAG by construction.
inline DagSpec make_dag(Shape shape, std::uint32_t n, std::uint64_t seed,
                        bool collectives = false) {
  std::mt19937_64 rng(seed);
  DagSpec d;
  d.inputs.resize(n);
  d.collective.assign(n, 0);
  auto pick = [&](std::uint32_t below) { return static_cast<std::uint32_t>(rng() % below); };
  for (std::uint32_t i = 1; i < n; ++i) {
    auto& in = d.inputs[i];
    switch (shape) {
      case Shape::chain:
        in = {i - 1};
        break;
      case Shape::tree:
        break;  // built below
      case Shape::fan_in:
        if (i == n - 1)
          for (std::uint32_t k = 0; k + 1 < n; ++k) in.push_back(k);
        break;
      case Shape::fan_out:
        in = {0};
        break;
      case Shape::diamond:
        in = {i / 2, (i + 1) / 2 == i ? i - 1 : (i + 1) / 2};
        break;
      case Shape::random: {
        std::uint32_t k = static_cast<std::uint32_t>(rng() % 4);
        for (std::uint32_t j = 0; j < k; ++j) in.push_back(pick(i));
        break;
      }
    }
  }
  if (shape == Shape::tree) {
    // A binary reduction tree: leaves 0..L-1, then each node combines a pair of the level below.
    d.inputs.assign(n, {});
    std::vector<std::uint32_t> level;
    std::uint32_t next = 0, leaves = (n + 1) / 2;
    for (; next < leaves; ++next) level.push_back(next);
    while (level.size() > 1 && next < n) {
      std::vector<std::uint32_t> up;
      for (std::size_t k = 0; k + 1 < level.size() && next < n; k += 2) {
        d.inputs[next] = {level[k], level[k + 1]};
        up.push_back(next++);
      }
      if (level.size() % 2) up.push_back(level.back());
      level = up;
    }
    n = next;
    d.inputs.resize(n);
    d.collective.resize(n);
  }
  if (collectives)
    for (std::uint32_t i = 1; i < n; ++i)
      if (!d.inputs[i].empty() && rng() % 5 == 0) d.collective[i] = 1;
  // Outputs: the sinks (tasks nobody reads), plus a random extra one.
  std::vector<std::uint8_t> read(n, 0);
  for (auto& in : d.inputs)
    for (auto k : in) read[k] = 1;
  for (std::uint32_t i = 0; i < n; ++i)
    if (!read[i]) d.outputs.push_back(i);
  if (n > 2) d.outputs.push_back(pick(n));
  return d;
}

inline std::vector<double> evaluate_serially(const DagSpec& d) {
  std::vector<double> v(d.inputs.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    double s = 0;
    for (auto k : d.inputs[i]) s += v[k];
    v[i] = 0.5 * s + salt(static_cast<std::uint32_t>(i));
  }
  return v;
}

inline Key dag_key(std::uint32_t i) { return Key("node", {static_cast<std::int64_t>(i)}); }

// A task's result: a double, or (big) the double repeated.
inline constexpr std::size_t big_count = 3000;  // 24 KB: more than a header carries
inline double number(const Value& v) {
  return v.holds<double>() ? v.get<double>() : v.get<std::vector<double>>().at(big_count - 1);
}
inline Value result(double x, bool big) {
  return big ? Value::of(std::vector<double>(big_count, x)) : Value::of(x);
}

inline Graph build_graph(const DagSpec& d) {
  std::vector<Task> tasks;
  for (std::uint32_t i = 0; i < d.inputs.size(); ++i) {
    Task t;
    t.key = dag_key(i);
    for (auto k : d.inputs[i]) t.inputs.push_back(dag_key(k));
    const double own = salt(i);
    const bool big = !d.big.empty() && d.big[i];
    if (!d.rank.empty() && d.rank[i] >= 0) t.placement = Placement::on_rank(d.rank[i]);
    if (d.collective[i]) {
      // Gathers the inputs from wherever they are handed in (an input that every rank holds is
      // handed in on every rank: take the lowest rank's copy), sums them in input order.
      const auto n = d.inputs[i].size();
      t.collective = collective_step(
          [own, n, big](const CollectiveInputs& c) {
            const int me = c.comm.rank(), p = c.comm.size();
            std::vector<int> holder(n, p), lowest(n);
            for (std::size_t j = 0; j < c.values.size(); ++j) holder[c.positions[j]] = me;
            c.comm.allreduce(std::span<const int>(holder), std::span<int>(lowest), ReduceOp::min);
            std::vector<double> mine(n, 0.0), all(n);
            for (std::size_t j = 0; j < c.values.size(); ++j)
              if (lowest[c.positions[j]] == me) mine[c.positions[j]] = number(c.values[j]);
            c.comm.allreduce(std::span<const double>(mine), std::span<double>(all), ReduceOp::sum);
            double s = 0;
            for (std::size_t j = 0; j < n; ++j) s += all[j];  // one copy of each input: exact
            return result(0.5 * s + own, big);
          },
          CollectiveOutput::replicated,
          d.participants.empty() ? std::vector<int>{} : d.participants[i]);
    } else {
      const bool fail = !d.throws.empty() && d.throws[i];
      t.fn = [own, big, fail, i](std::span<const Value> in) {
        if (fail) throw ValueError("injected at " + dag_key(i).str());
        double s = 0;
        for (const auto& v : in) s += number(v);
        return result(0.5 * s + own, big);
      };
    }
    tasks.push_back(std::move(t));
  }
  return Graph(std::move(tasks));
}

}  // namespace pando::test
