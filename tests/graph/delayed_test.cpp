// delayed, compute and futures: the custom-computations API.

#include <pando/graph/future.hpp>

#include <gtest/gtest.h>
#include <mpi_test.hpp>

#include <numeric>

using namespace pando;
using pando::test::comm;

namespace {

struct Fit {
  double alpha = 0;
  double error = 0;
  template <class A>
  void serialize(A& a, unsigned) {
    fields(a, alpha, error);
  }
};

// Serialized by a free function, found by argument-dependent lookup.
struct Point {
  double x = 0, y = 0;
};
template <class A>
void serialize(A& a, Point& p, unsigned) {
  a& p.x& p.y;
}

double square(double x) { return x * x; }
double add(double a, double b) { return a + b; }

}  // namespace

TEST(Delayed, ChainOfCallsComputesOnEveryRank) {
  auto a = delayed(square)(3.0);
  auto b = delayed(add)(a, 1.0);
  auto c = delayed(add, b, a);  // the short form
  EXPECT_EQ(c.compute(), 19.0);
  EXPECT_EQ(a.key().token(), "delayed");
}

TEST(Delayed, NamesAppearInKeys) {
  auto d = delayed([](int x) { return x + 1; }).name("inc")(41);
  EXPECT_EQ(d.key().token(), "inc");
  EXPECT_EQ(d.compute(), 42);
}

TEST(Delayed, ListsOfDelayedBecomeVectors) {
  std::vector<Delayed<double>> parts;
  for (int i = 0; i < 23; ++i) parts.push_back(delayed(square)(static_cast<double>(i)));
  auto total = delayed(
      [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); })(parts);
  double expected = 0;
  for (int i = 0; i < 23; ++i) expected += i * i;
  EXPECT_EQ(total.compute(), expected);
  EXPECT_EQ(compute(parts)[22], 22.0 * 22.0);
}

TEST(Delayed, UserStructsAndStringsTravel) {
  auto fit = delayed([](double alpha, const std::string& tag) {
    return Fit{alpha, alpha * 2 + static_cast<double>(tag.size())};
  })(0.5, "ridge");
  auto err = delayed([](const Fit& f) { return f.error; })(fit);
  auto [f, e] = compute(fit, err);
  EXPECT_EQ(f.alpha, 0.5);
  EXPECT_EQ(e, 6.0);
}

TEST(Delayed, StandardTypesAndFreeSerializersTravel) {
  using Mixed = std::tuple<int, std::string, std::variant<double, std::string>>;
  auto made = delayed([] {
    return std::make_tuple(std::set<int>{3, 1, 2},
                           std::unordered_map<std::string, double>{{"a", 1.5}, {"b", -2}},
                           Mixed{7, "seven", std::string("variant")}, Point{1.25, -3},
                           std::list<std::complex<double>>{{1, 2}, {3, -4}});
  })();
  auto [set, map, mixed, point, list] = made.compute();
  EXPECT_EQ(set, (std::set<int>{1, 2, 3}));
  EXPECT_EQ(map.at("b"), -2);
  EXPECT_EQ(std::get<2>(mixed), (std::variant<double, std::string>("variant")));
  EXPECT_EQ(point.y, -3);
  EXPECT_EQ(list.back(), std::complex<double>(3, -4));
}

TEST(Delayed, VoidFunctionsRunForTheirEffect) {
  static int runs = 0;
  runs = 0;
  auto d = delayed([](int) { ++runs; })(1);
  d.compute();
  EXPECT_EQ(comm().allreduce(runs, ReduceOp::sum), 1);
}

TEST(Delayed, PersistKeepsTheValue) {
  static int runs = 0;
  runs = 0;
  auto base = delayed([] {
    ++runs;
    return std::vector<double>(100, 2.0);
  })();
  auto kept = base.persist();
  auto sum = delayed(
      [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); })(kept);
  EXPECT_EQ(sum.compute(), 200.0);
  EXPECT_EQ(sum.compute(), 200.0);
  EXPECT_EQ(comm().allreduce(runs, ReduceOp::sum), 1);
  EXPECT_EQ(Runtime::current().held_values(),
            Runtime::current().persisted_value(kept.key()) ? 1u : 0u);
}

TEST(Delayed, ExceptionBecomesTaskErrorEverywhere) {
  auto bad =
      delayed([](int x) -> int { throw ValueError("x=" + std::to_string(x)); }).name("check")(7);
  auto after = delayed(add)(delayed(square)(1.0), delayed([](int v) { return v * 1.0; })(bad));
  try {
    after.compute();
    FAIL() << "no error";
  } catch (const TaskError& e) {
    EXPECT_EQ(e.message(), "x=7");
    EXPECT_EQ(e.key().rfind("check/", 0), 0u);
  }
}

TEST(Futures, SubmitGatherInOneBatch) {
  auto& s = test::session();
  std::vector<Future<double>> fs;
  for (int i = 0; i < 10; ++i) fs.push_back(s.submit(square, static_cast<double>(i)));
  EXPECT_FALSE(fs[0].done());
  auto all = gather(fs);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(all[i], i * i);
  EXPECT_TRUE(fs[9].done());
}

TEST(Futures, MapAndResultAndChaining) {
  auto& s = test::session();
  std::vector<int> xs = {1, 2, 3, 4};
  auto fs = s.map([](int x) { return x * 10; }, xs);
  auto total = s.submit([](const int& a, const int& b) { return a + b; }, fs[0], fs[3]);
  EXPECT_EQ(total.result(), 50);  // one batch: the maps and the sum
  // A done future as an argument of the next batch is passed by value.
  auto again = s.submit([](int v) { return v + 1; }, total);
  EXPECT_EQ(again.result(), 51);
}

TEST(Futures, AsCompletedAndWait) {
  auto& s = test::session();
  std::vector<Future<int>> fs;
  for (int i = 0; i < 6; ++i) fs.push_back(s.submit([](int x) { return x; }, i));
  wait(fs);
  for (auto& f : fs) EXPECT_TRUE(f.done());
  auto done = as_completed(fs);
  ASSERT_EQ(done.size(), 6u);
  for (std::size_t i = 1; i < done.size(); ++i)
    EXPECT_LT(done[i - 1].position(), done[i].position());
}

TEST(Futures, FailedFutureThrowsOthersSucceed) {
  auto& s = test::session();
  auto ok = s.submit([] { return 1; });
  auto bad = s.submit([]() -> int { throw IoError("no such file: x.csv"); });
  wait(std::vector<Future<int>>{ok, bad});
  EXPECT_EQ(ok.result(), 1);
  EXPECT_TRUE(bad.failed());
  EXPECT_THROW((void)bad.result(), TaskError);
  // Using a failed future fails the task that uses it.
  auto next = s.submit([](int v) { return v; }, bad);
  EXPECT_THROW((void)next.result(), TaskError);
}

TEST(Futures, BatchThatCannotRunFailsItsFuturesForGood) {
  // A graph the planner refuses (a rank the job does not have): the batch fails as a whole,
  // and its futures keep saying so.
  std::vector<Task> tasks(1);
  tasks[0].key = Key("nowhere");
  tasks[0].placement = Placement::on_rank(comm().size() + 1);
  tasks[0].fn = [](std::span<const Value>) { return Value::of(1.0); };
  auto bad = submit(Delayed<double>(Key("nowhere"), Graph(std::move(tasks))));
  auto good = test::session().submit([] { return 2.0; });
  EXPECT_THROW((void)bad.result(), GraphError);
  EXPECT_TRUE(bad.done());
  EXPECT_TRUE(good.done());
  EXPECT_THROW((void)bad.result(), TaskError);
  EXPECT_THROW((void)good.result(), TaskError);
  // The next batch runs.
  auto next = test::session().submit([] { return 3.0; });
  EXPECT_EQ(next.result(), 3.0);
}

TEST(Futures, GridSearchBestByValidationError) {
  auto& s = test::session();
  std::vector<double> alphas;
  for (int i = 0; i < 64; ++i) alphas.push_back(0.01 * (i + 1));
  auto fits = s.map([](double a) { return Fit{a, (a - 0.37) * (a - 0.37)}; }, alphas);
  auto all = gather(fits);
  auto best = std::min_element(all.begin(), all.end(),
                               [](const Fit& x, const Fit& y) { return x.error < y.error; });
  EXPECT_DOUBLE_EQ(best->alpha, 0.37);
}

TEST(Delayed, DerivedValuesKeepPersistedResults) {
  Delayed<double> later(Key("unset"), Graph());
  {
    auto kept = delayed(square)(4.0).persist();
    later = delayed(add)(kept, 1.0);
  }
  EXPECT_EQ(later.compute(), 17.0);
}

// Issue 25: each delayed call on the one before adds a layer on top of its layer, so the last
// handle of a chain of a million calls holds a million layers; releasing them recursed once per
// link and overflowed the stack. Built, walked and released here (computing it is
// DelayedHeavy.MillionLinkChainComputes, in the heavy tests).
TEST(Delayed, MillionLinkChainIsReleasedWithoutRecursion) {
  constexpr std::int64_t links = 1'000'000;
  auto inc = delayed([](std::int64_t v) { return v + 1; }).name("inc");
  {
    auto chain = inc(std::int64_t{0});
    for (std::int64_t i = 1; i < links; ++i) chain = inc(chain);
    EXPECT_EQ(chain.graph().size(), static_cast<std::size_t>(links));  // Graph::layers() walks it
    EXPECT_EQ(chain.graph().layers().front()->deps.size(), 0u);
  }  // the whole chain is released here
  // A shared part outlives the handle that held it last together with a longer chain.
  Delayed<std::int64_t> base = inc(std::int64_t{0});
  for (int i = 0; i < 10; ++i) base = inc(base);
  {
    auto longer = inc(base);
    for (int i = 0; i < 100'000; ++i) longer = inc(longer);
  }
  EXPECT_EQ(base.compute(), 11);
}
