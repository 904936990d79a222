// The runtime end to end: random graphs against a serial evaluation, at every rank count.

#include <pando/graph/runtime.hpp>

#include <gtest/gtest.h>
#include <mpi_test.hpp>

#include "random_dag.hpp"

#include <algorithm>
#include <atomic>
#include <functional>
#include <random>

using namespace pando;
using pando::test::comm;

namespace {

std::vector<double> run_dag(const test::DagSpec& d, Delivery delivery = Delivery::everywhere) {
  std::vector<Key> outputs;
  for (auto o : d.outputs) outputs.push_back(test::dag_key(o));
  auto values = Runtime::current().compute(test::build_graph(d), outputs, delivery);
  std::vector<double> out;
  for (auto& v : values) out.push_back(v.empty() ? -1.0 : test::number(v));
  return out;
}

void expect_matches_serial(const test::DagSpec& d, const std::string& what) {
  auto expected = test::evaluate_serially(d);
  auto got = run_dag(d);
  ASSERT_EQ(got.size(), d.outputs.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_EQ(got[i], expected[d.outputs[i]]) << what << ": output " << d.outputs[i];
}

}  // namespace

TEST(Runtime, ShapesMatchSerialEvaluation) {
  using test::Shape;
  for (Shape shape :
       {Shape::chain, Shape::tree, Shape::fan_in, Shape::fan_out, Shape::diamond, Shape::random})
    for (std::uint32_t n : {1u, 2u, 7u, 64u, 301u})
      expect_matches_serial(
          test::make_dag(shape, n, 42 + n),
          "shape " + std::to_string(static_cast<int>(shape)) + " n " + std::to_string(n));
}

TEST(Runtime, HundredsOfRandomGraphsWithCollectivesNeverDeadlock) {
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    auto d = test::make_dag(test::Shape::random, 5 + seed % 60, seed, /*collectives=*/true);
    expect_matches_serial(d, "seed " + std::to_string(seed));
  }
}

TEST(Runtime, RandomGraphsWithLargeValuesHintsAndCollectivesOfSomeRanks) {
  for (std::uint64_t seed = 0; seed < 150; ++seed) {
    auto d = test::make_dag(test::Shape::random, 5 + seed % 70, 1000 + seed, /*collectives=*/true);
    test::vary(d, comm().size(), seed);
    expect_matches_serial(d, "seed " + std::to_string(seed));
  }
}

TEST(Runtime, RandomGraphsWithFailuresThrowTheSameErrorOnEveryRank) {
  for (std::uint64_t seed = 0; seed < 60; ++seed) {
    auto d = test::make_dag(test::Shape::random, 10 + seed % 50, 5000 + seed, /*collectives=*/true);
    test::vary(d, comm().size(), seed);
    // Some tasks throw instead; which one is reported is the first in the global order.
    std::mt19937_64 rng(seed);
    d.throws.resize(d.inputs.size());
    for (auto& t : d.throws) t = rng() % 6 == 0;
    std::vector<Key> outputs;
    for (auto o : d.outputs) outputs.push_back(test::dag_key(o));
    std::string caught;
    try {
      (void)Runtime::current().compute(test::build_graph(d), outputs);
    } catch (const TaskError& e) {
      caught = e.key() + " | " + e.message();
      EXPECT_NE(e.message().find("injected at " + e.key()), std::string::npos) << e.message();
    }
    // The same outcome on every rank (a failure or not, and which).
    const auto h = std::hash<std::string>{}(caught);
    EXPECT_EQ(comm().allreduce<std::uint64_t>(h, ReduceOp::min),
              comm().allreduce<std::uint64_t>(h, ReduceOp::max))
        << "seed " << seed << ": " << caught;
  }
  expect_matches_serial(test::make_dag(test::Shape::random, 30, 3), "after failures");
}

TEST(Runtime, FusedChainsRunAsOneStep) {
  struct Steps : Observer {
    std::uint32_t events = 0, tasks = 0;
    void task_finished(const TaskEvent& e) override {
      ++events;
      tasks += e.tasks;
    }
  };
  auto steps = std::make_shared<Steps>();
  Runtime::current().add_observer(steps);
  auto d = test::make_dag(test::Shape::chain, 50, 1);
  expect_matches_serial(d, "chain");
  Runtime::current().remove_observer(steps.get());
  // 50 tasks in one chain: the source and the output stay on their own, the rest is one step.
  EXPECT_EQ(comm().allreduce<std::uint32_t>(steps->tasks, ReduceOp::sum), 50u);
  EXPECT_LE(comm().allreduce<std::uint32_t>(steps->events, ReduceOp::sum), 3u);
}

TEST(Runtime, DeliveryToRootAndInPlace) {
  auto d = test::make_dag(test::Shape::random, 40, 7);
  auto expected = test::evaluate_serially(d);
  auto at_root = run_dag(d, Delivery::root);
  for (std::size_t i = 0; i < at_root.size(); ++i) {
    if (comm().rank() == 0) {
      EXPECT_EQ(at_root[i], expected[d.outputs[i]]);
    } else {
      EXPECT_EQ(at_root[i], -1.0);
    }
  }
  // In place: every output is held by some rank, exactly where it was made.
  auto here = run_dag(d, Delivery::in_place);
  for (std::size_t i = 0; i < here.size(); ++i) {
    int held = here[i] != -1.0;
    EXPECT_GE(comm().allreduce(held, ReduceOp::sum), 1);
    if (held) {
      EXPECT_EQ(here[i], expected[d.outputs[i]]);
    }
  }
}

TEST(Runtime, OutputThatIsAnInputOfAnother) {
  test::DagSpec d;
  d.inputs = {{}, {0}, {1}};
  d.collective = {0, 0, 0};
  d.outputs = {2, 1, 0, 1};  // repeated and intermediate outputs
  expect_matches_serial(d, "outputs inside a chain");
}

TEST(Runtime, FailureFlowsAndEveryRankThrowsTheSameTaskError) {
  std::atomic<int> consumers_run{0};
  std::vector<Task> tasks(4);
  tasks[0].key = Key("ok", {0});
  tasks[0].fn = [](std::span<const Value>) { return Value::of(1.0); };
  tasks[1].key = Key("bad", {1});
  tasks[1].inputs = {tasks[0].key};
  tasks[1].fn = [](std::span<const Value>) -> Value { throw ValueError("negative input -3"); };
  tasks[2].key = Key("after", {2});
  tasks[2].inputs = {tasks[1].key};
  tasks[2].fn = [&](std::span<const Value> in) {
    ++consumers_run;
    return in[0];
  };
  tasks[3].key = Key("sum", {3});
  tasks[3].inputs = {tasks[2].key, tasks[0].key};
  tasks[3].collective = collective_step([&](const CollectiveInputs& c) {
    ++consumers_run;
    return Value::of(c.comm.allreduce(1, ReduceOp::sum));
  });
  Graph g(std::move(tasks));
  Key out("sum", {3});
  try {
    Runtime::current().compute(g, {&out, 1});
    FAIL() << "no error";
  } catch (const TaskError& e) {
    EXPECT_EQ(e.key(), "bad/1");
    EXPECT_EQ(e.message(), "negative input -3");
    EXPECT_EQ(e.cause(), ErrorKind::value);
    EXPECT_EQ(comm().allreduce(e.rank(), ReduceOp::max), comm().allreduce(e.rank(), ReduceOp::min));
  }
  EXPECT_EQ(consumers_run.load(), 0);
}

TEST(Runtime, FirstFailureInGlobalOrderWinsWhenSeveralFail) {
  std::vector<Task> tasks;
  for (int i = 0; i < 8; ++i) {
    Task t;
    t.key = Key("fail", {i});
    t.fn = [i](std::span<const Value>) -> Value {
      throw ValueError("failure " + std::to_string(i));
    };
    tasks.push_back(std::move(t));
  }
  std::vector<Key> outs;
  for (int i = 0; i < 8; ++i) outs.push_back(Key("fail", {i}));
  std::string first;
  try {
    Runtime::current().compute(Graph(std::move(tasks)), outs);
  } catch (const TaskError& e) {
    first = e.key();
  }
  EXPECT_EQ(first, "fail/0");  // the first output's task runs first in the global order
}

TEST(Runtime, CollectiveThatThrowsOnOneRankFailsOnAll) {
  Task t;
  t.key = Key("uneven");
  t.collective = collective_step([](const CollectiveInputs& c) -> Value {
    if (c.comm.rank() == c.comm.size() - 1) throw IoError("disk full on the last rank");
    return Value::of(1);
  });
  Key k = t.key;
  std::vector<Task> tasks;
  tasks.push_back(std::move(t));
  try {
    Runtime::current().compute(Graph(std::move(tasks)), {&k, 1});
    FAIL() << "no error";
  } catch (const TaskError& e) {
    EXPECT_EQ(e.message(), "disk full on the last rank");
    EXPECT_EQ(e.rank(), comm().size() - 1);
    EXPECT_EQ(e.cause(), ErrorKind::io);
  }
}

TEST(Runtime, PersistThenComputeReusesWithoutRecomputing) {
  static int source_runs = 0;
  source_runs = 0;
  std::vector<Task> base(1);
  base[0].key = Key("expensive");
  base[0].nbytes = 8;
  base[0].fn = [](std::span<const Value>) {
    ++source_runs;
    return Value::of(std::vector<double>{1.5, 2.5});
  };
  Graph g(std::move(base));
  Key k("expensive");
  auto& rt = Runtime::current();
  rt.persist(g, {&k, 1});
  EXPECT_EQ(comm().allreduce(source_runs, ReduceOp::sum), 1);
  EXPECT_EQ(rt.persisted().count(k), 1u);

  std::vector<Task> more(1);
  more[0].key = Key("use");
  more[0].inputs = {k};
  more[0].fn = [](std::span<const Value> in) {
    auto& v = in[0].get<std::vector<double>>();
    return Value::of(v[0] + v[1]);
  };
  Graph g2(std::move(more), {&g});
  Key use("use");
  auto out = rt.compute(g2, {&use, 1});
  EXPECT_EQ(out[0].get<double>(), 4.0);
  EXPECT_EQ(comm().allreduce(source_runs, ReduceOp::sum), 1);  // not recomputed

  // The persisted value itself, delivered everywhere.
  auto direct = rt.compute(g, {&k, 1});
  EXPECT_EQ(direct[0].get<std::vector<double>>(), (std::vector<double>{1.5, 2.5}));
  EXPECT_EQ(comm().allreduce(source_runs, ReduceOp::sum), 1);

  rt.release({&k, 1});
  EXPECT_EQ(rt.held_values(), 0u);
  EXPECT_EQ(rt.persisted().count(k), 0u);
}

TEST(Runtime, TasksNoRequestedOutputNeedsAreCulledAndNeverRun) {
  // a -> b -> c and a -> d -> e: asking for c runs a, b and c only.
  static int runs[5];
  std::fill(std::begin(runs), std::end(runs), 0);
  const char* names[5] = {"a", "b", "c", "d", "e"};
  const int input_of[5] = {-1, 0, 1, 0, 3};
  std::vector<Task> tasks(5);
  for (int i = 0; i < 5; ++i) {
    tasks[static_cast<std::size_t>(i)].key = Key(names[i]);
    if (input_of[i] >= 0) tasks[static_cast<std::size_t>(i)].inputs = {Key(names[input_of[i]])};
    tasks[static_cast<std::size_t>(i)].fn = [i](std::span<const Value> in) {
      ++runs[i];
      return Value::of((in.empty() ? 0.0 : in[0].get<double>()) + 1.0);
    };
  }
  Graph g(std::move(tasks));
  Key c("c");
  auto out = Runtime::current().compute(g, {&c, 1});
  EXPECT_EQ(out[0].get<double>(), 3.0);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(comm().allreduce(runs[i], ReduceOp::sum), i < 3 ? 1 : 0) << names[i];
}

TEST(Runtime, GridPlacementRunsEachTaskAtItsGridPosition) {
  const int size = comm().size();
  const int rows = size % 2 == 0 ? 2 : 1, cols = size / rows;
  std::vector<Task> tasks;
  std::vector<Key> keys;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      Task t;
      t.key = Key("where", {r, c});
      t.placement = Placement::on_grid(r, c, cols);
      t.fn = [](std::span<const Value>) { return Value::of(Session::current().rank()); };
      keys.push_back(t.key);
      tasks.push_back(std::move(t));
    }
  auto out = Runtime::current().compute(Graph(std::move(tasks)), keys);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      EXPECT_EQ(out[static_cast<std::size_t>(r * cols + c)].get<int>(), r * cols + c);
}

TEST(Runtime, StoreIsEmptyAfterComputeExceptPersisted) {
  auto& rt = Runtime::current();
  ASSERT_EQ(rt.held_values(), 0u);
  struct Memory : Observer {
    std::size_t last = 0, peak = 0;
    void memory_held(std::size_t b, double) override {
      last = b;
      peak = std::max(peak, b);
    }
  };
  auto mem = std::make_shared<Memory>();
  rt.add_observer(mem);
  // A wide reduction over big blocks: 64 blocks of 8 KiB, summed pairwise.
  std::vector<Task> tasks;
  for (int i = 0; i < 64; ++i) {
    Task t;
    t.key = Key("block", {i});
    t.nbytes = 8192;
    t.fn = [i](std::span<const Value>) { return Value::of(std::vector<double>(1024, i)); };
    tasks.push_back(std::move(t));
  }
  int level = 0, width = 64;
  while (width > 1) {
    for (int i = 0; i < width / 2; ++i) {
      Task t;
      t.key = Key("pair" + std::to_string(level + 1), {i});
      std::string below = level == 0 ? "block" : "pair" + std::to_string(level);
      t.inputs = {Key(below, {2 * i}), Key(below, {2 * i + 1})};
      t.nbytes = 8192;
      t.fn = [](std::span<const Value> in) {
        auto a = in[0].get<std::vector<double>>();
        const auto& b = in[1].get<std::vector<double>>();
        for (std::size_t j = 0; j < a.size(); ++j) a[j] += b[j];
        return Value::of(std::move(a));
      };
      tasks.push_back(std::move(t));
    }
    width /= 2;
    ++level;
  }
  Key out("pair6", {0});
  auto v = rt.compute(Graph(std::move(tasks)), {&out, 1});
  EXPECT_EQ(v[0].get<std::vector<double>>()[0], 63.0 * 64 / 2);
  rt.remove_observer(mem.get());
  // Only the output is left (on the rank that made it); depth-first order keeps the peak far
  // below all 64 blocks at once.
  EXPECT_LE(mem->last, 8192u);
  EXPECT_LT(mem->peak, 16u * 8192u);
  EXPECT_EQ(rt.held_values(), 0u);
}

TEST(Runtime, PersistedValuesTravelToOtherRanks) {
  // Values persisted on every rank, then read by tasks pinned to every rank.
  const int p = comm().size();
  std::vector<Task> base;
  std::vector<Key> keys;
  for (int i = 0; i < 2 * p; ++i) {
    Task t;
    t.key = Key("kept", {i});
    t.placement = Placement::on_rank(i % p);
    t.fn = [i](std::span<const Value>) { return Value::of(static_cast<double>(i)); };
    keys.push_back(t.key);
    base.push_back(std::move(t));
  }
  auto& rt = Runtime::current();
  rt.persist(Graph(std::move(base)), keys);
  std::vector<Task> readers;
  std::vector<Key> outs;
  for (int r = 0; r < p; ++r) {
    Task t;
    t.key = Key("reader", {r});
    t.inputs = keys;
    t.placement = Placement::on_rank(r);
    t.fn = [](std::span<const Value> in) {
      double s = 0;
      for (const auto& v : in) s += v.get<double>();
      return Value::of(s);
    };
    outs.push_back(t.key);
    readers.push_back(std::move(t));
  }
  auto v = rt.compute(Graph(std::move(readers)), outs);
  for (auto& x : v) EXPECT_EQ(x.get<double>(), (2.0 * p - 1) * 2 * p / 2);
  rt.release(keys);
}
