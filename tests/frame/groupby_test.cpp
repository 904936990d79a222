// groupby(keys).agg at 1-4 ranks against a serial reference computed here from the whole
// frame, on awkward data (uneven and empty partitions, null and NaN keys, -0.0, dictionary and
// plain strings, timestamps), through each plan: few groups combined everywhere, many groups
// shuffled by key range (sorted) or by hash (unsorted), with tiny rounds.

#include <pando/frame/detail/groupby.hpp>
#include <pando/frame/detail/rows.hpp>
#include <pando/frame/groupby.hpp>
#include <pando/graph/delayed.hpp>

#include "awkward_frame.hpp"
#include "dataframe_test_util.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>

namespace pando::test {
namespace {

const std::vector<std::pair<std::string, std::string>> asked = {
    {"x", "sum"},    {"x", "count"}, {"x", "mean"},    {"x", "min"},  {"x", "max"},
    {"x", "median"}, {"x", "q25"},   {"x", "std"},     {"k", "size"}, {"k", "sum"},
    {"s", "first"},  {"s", "last"},  {"s", "nunique"}, {"t", "max"},  {"k", "any"}};

// What the reference expects of one group.
struct Expected {
  std::vector<double> x;  // present values, in frame order
  std::int64_t rows = 0, k_sum = 0, t_max = std::numeric_limits<std::int64_t>::min();
  bool k_any = false;
  std::vector<std::string> s;  // present values, in frame order
};

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double at = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(at);
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (at - static_cast<double>(lo));
}

std::map<GroupKey, Expected> reference(const Table& whole, const std::vector<std::string>& keys,
                                       bool dropna) {
  std::map<GroupKey, Expected> groups;
  for (std::size_t i = 0; i < whole.rows(); ++i) {
    const GroupKey key = key_of(whole, keys, i);
    if (dropna && std::any_of(key.begin(), key.end(), [](const auto& c) { return !c; })) continue;
    Expected& e = groups[key];
    ++e.rows;
    const double x = whole.column("x").values<double>()[i];
    if (!std::isnan(x)) e.x.push_back(x);
    if (whole.column("k").is_valid(i)) {
      e.k_sum += whole.column("k").values<std::int64_t>()[i];
      e.k_any = e.k_any || whole.column("k").values<std::int64_t>()[i] != 0;
    }
    if (whole.column("s").is_valid(i)) e.s.emplace_back(whole.column("s").string_at(i));
    e.t_max = std::max(e.t_max, whole.column("t").values<std::int64_t>()[i]);
  }
  return groups;
}

void expect_double(const Table& got, const std::string& name, std::size_t row,
                   std::optional<double> want, const std::string& where) {
  const Column& c = got.column(name);
  if (!want) {
    EXPECT_TRUE(c.is_null(row)) << where << name << " should be null";
    return;
  }
  ASSERT_TRUE(c.is_valid(row)) << where << name << " is null";
  const double v = c.values<double>()[row];
  EXPECT_NEAR(v, *want, 1e-9 * std::max(1.0, std::abs(*want))) << where << name;
}

void expect_matches(const Table& got, const std::vector<std::string>& keys, bool dropna,
                    const Table& whole, const std::string& what) {
  const auto want = reference(whole, keys, dropna);
  ASSERT_EQ(got.rows(), want.size()) << what;
  std::set<GroupKey> seen;
  for (std::size_t r = 0; r < got.rows(); ++r) {
    const GroupKey key = key_of(got, keys, r);
    const std::string where = fmt::format("{}, group row {}: ", what, r);
    ASSERT_TRUE(seen.insert(key).second) << where << "a group appears twice";
    auto it = want.find(key);
    ASSERT_NE(it, want.end()) << where << "a group the reference lacks";
    const Expected& e = it->second;
    const auto n = static_cast<double>(e.x.size());
    double sum = 0;
    for (double v : e.x) sum += v;
    std::optional<double> none;
    expect_double(got, "x_sum", r, sum, where);
    EXPECT_EQ(got.column("x_count").values<std::int64_t>()[r], static_cast<std::int64_t>(n));
    expect_double(got, "x_mean", r, e.x.empty() ? none : sum / n, where);
    expect_double(got, "x_min", r, e.x.empty() ? none : *std::min_element(e.x.begin(), e.x.end()),
                  where);
    expect_double(got, "x_max", r, e.x.empty() ? none : *std::max_element(e.x.begin(), e.x.end()),
                  where);
    expect_double(got, "x_median", r, e.x.empty() ? none : quantile(e.x, 0.5), where);
    expect_double(got, "x_q25", r, e.x.empty() ? none : quantile(e.x, 0.25), where);
    double m2 = 0;
    for (double v : e.x) m2 += (v - sum / n) * (v - sum / n);
    expect_double(got, "x_std", r, e.x.size() < 2 ? none : std::sqrt(m2 / (n - 1)), where);
    EXPECT_EQ(got.column("k_size").values<std::int64_t>()[r], e.rows) << where;
    EXPECT_EQ(got.column("k_sum").values<std::int64_t>()[r], e.k_sum) << where;
    EXPECT_EQ(got.column("k_any").values<std::uint8_t>()[r] != 0, e.k_any) << where;
    EXPECT_EQ(got.column("t_max").values<std::int64_t>()[r], e.t_max) << where;
    const Column& first = got.column("s_first");
    const Column& last = got.column("s_last");
    if (e.s.empty()) {
      EXPECT_TRUE(first.is_null(r) && last.is_null(r)) << where;
    } else {
      EXPECT_EQ(first.string_at(r), e.s.front()) << where;
      EXPECT_EQ(last.string_at(r), e.s.back()) << where;
    }
    EXPECT_EQ(got.column("s_nunique").values<std::int64_t>()[r],
              static_cast<std::int64_t>(std::set<std::string>(e.s.begin(), e.s.end()).size()))
        << where;
  }
}

// The groupby of `df` with the plan forced by `sizes`.
Table grouped(const DataFrame& df, const std::vector<std::string>& keys, GroupByOptions options,
              std::uint64_t few_bytes,
              const std::vector<std::pair<std::string, std::string>>& funcs = asked) {
  const detail::GroupBySizes sizes{{4096, 256}, few_bytes};
  return detail::grouped_aggregation(df, keys, options, funcs, sizes).compute();
}

constexpr std::uint64_t everywhere = std::uint64_t{1} << 40, shuffled = 0;

TEST(GroupBy, MatchesTheReferenceThroughEachPlan) {
  for (std::int64_t spread : {5, 400}) {
    const DataFrame df = awkward_frame(11, spread);
    const Table whole = df.compute();
    for (const std::vector<std::string>& keys :
         {std::vector<std::string>{"k"}, {"s"}, {"x"}, {"t"}, {"k", "s"}}) {
      for (bool dropna : {true, false}) {
        for (std::int64_t npartitions : {0, 1, 3}) {
          GroupByOptions options;
          options.dropna = dropna;
          options.npartitions = npartitions;
          const std::string what = fmt::format("keys {} spread {} dropna {} partitions {}",
                                               fmt::join(keys, ","), spread, dropna, npartitions);
          // Holistic aggregations take the shuffle; the decomposable ones each plan.
          const std::vector<std::pair<std::string, std::string>> decomposable(
              {asked[0], asked[1], asked[2], asked[3], asked[4]});
          const Table few = grouped(df, keys, options, everywhere, decomposable);
          const Table many = grouped(df, keys, options, shuffled, decomposable);
          EXPECT_TRUE(few.equals(many)) << what << ": the plans differ\n"
                                        << render(few) << "\n"
                                        << render(many);
          EXPECT_TRUE(few.equals(detail::sorted_by_keys(few, keys))) << what << ": not sorted";
          expect_matches(grouped(df, keys, options, shuffled), keys, dropna, whole,
                         what + " (sorted)");
          options.sort = false;
          expect_matches(grouped(df, keys, options, shuffled), keys, dropna, whole,
                         what + " (hashed)");
          expect_matches(grouped(df, keys, options, everywhere), keys, dropna, whole,
                         what + " (unsorted, everywhere)");
        }
      }
    }
  }
}

TEST(GroupBy, UnsortedFewGroupsComeInOrderOfFirstAppearance) {
  const DataFrame df = awkward_frame(6, 5);
  GroupByOptions options;
  options.sort = false;
  const Table got = grouped(df, {"s"}, options, everywhere, {{"x", "count"}});
  const Table whole = df.compute();
  std::vector<std::string> order;
  for (std::size_t i = 0; i < whole.rows(); ++i) {
    if (whole.column("s").is_null(i)) continue;
    const std::string s(whole.column("s").string_at(i));
    if (std::find(order.begin(), order.end(), s) == order.end()) order.push_back(s);
  }
  ASSERT_EQ(got.rows(), order.size());
  for (std::size_t r = 0; r < order.size(); ++r) EXPECT_EQ(got.column("s").string_at(r), order[r]);
}

TEST(GroupBy, AnEmptyFrameHasNoGroups) {
  const DataFrame df = awkward_frame(2, 5).filter(awkward_frame(2, 5)["k"] > 1000);
  for (std::uint64_t few : {everywhere, shuffled}) {
    const Table got = grouped(df, {"k"}, {}, few);
    EXPECT_EQ(got.rows(), 0u);
    EXPECT_EQ(got.num_columns(), 1 + asked.size());
  }
}

TEST(GroupBy, SizeCountsRows) {
  const Table got = awkward_frame(4, 3).groupby({"k"}, {.dropna = false}).size().compute();
  EXPECT_EQ(got.names(), (std::vector<std::string>{"k", "size"}));
  std::int64_t rows = 0;
  for (auto n : got.column("size").values<std::int64_t>()) rows += n;
  EXPECT_EQ(rows, awkward_frame(4, 3).length());
  EXPECT_TRUE(got.column("k").is_null(got.rows() - 1));  // the missing key's group, last
}

TEST(GroupBy, SaysWhatIsWrong) {
  const DataFrame df = awkward_frame(3, 5);
  expect_error([&] { (void)df.groupby({"nope"}); },
               "no column 'nope'; the columns are 'k', 'x', 's', 't'");
  expect_error(
      [&] {
        (void)df.groupby({"k"}).agg({{"s", "mean"}});
      },
      "cannot take the mean of column 's' of type string (mean takes bool, int32, "
      "int64, float32 or float64); astype or --dtype changes a column's type");
  expect_error(
      [&] {
        (void)df.groupby({"k"}).agg({{"x", "q150"}});
      },
      "aggregation 'q150': a quantile's percent lies between 0 and 100 (q50 is the "
      "median)");
  expect_error(
      [&] {
        (void)df.groupby({"k"}).agg({{"x", "mode"}});
      },
      "unknown aggregation 'mode' for column 'x' (use count, size, sum, mean, min, max, "
      "std, var, prod, first, last, nunique, median, qNN as q90, any or all)");
  expect_error(
      [&] {
        (void)df.groupby({"k"}).agg({{"x", "sum"}, {"x", "sum"}});
      },
      "groupby: the output column 'x_sum' would appear twice");
}

}  // namespace
}  // namespace pando::test
