// sort_values, nlargest/nsmallest and tail at 1-4 ranks against serial references computed
// here, on the awkward frame (uneven and empty partitions, nulls, NaN, -0.0, dictionary and
// plain strings, timestamps).

#include <pando/frame/dataframe.hpp>

#include "awkward_frame.hpp"
#include "dataframe_test_util.hpp"

#include <algorithm>
#include <numeric>

namespace pando::test {
namespace {

// Present values of one column compared (the reference's own comparison).
int compare_present(const Column& c, std::size_t i, std::size_t j) {
  auto sign = [](auto a, auto b) { return (a > b) - (a < b); };
  switch (c.type()) {
    case DType::float64:
      return sign(c.values<double>()[i], c.values<double>()[j]);
    case DType::string:
      return sign(c.string_at(i), c.string_at(j));
    default:
      return sign(c.values<std::int64_t>()[i], c.values<std::int64_t>()[j]);
  }
}

// The reference order: keys in turn, missing last (or first), stable.
std::vector<std::int64_t> reference_order(const Table& t, const std::vector<SortKey>& by,
                                          bool nulls_first) {
  std::vector<std::int64_t> rows(t.rows());
  std::iota(rows.begin(), rows.end(), 0);
  std::stable_sort(rows.begin(), rows.end(), [&](std::int64_t a, std::int64_t b) {
    const auto i = static_cast<std::size_t>(a), j = static_cast<std::size_t>(b);
    for (const SortKey& k : by) {
      const Column& c = t.column(k.column);
      const bool mi = !cell(c, i), mj = !cell(c, j);
      if (mi || mj) {
        if (mi && mj) continue;
        return mi == nulls_first;
      }
      const int r = compare_present(c, i, j);
      if (r != 0) return k.ascending ? r < 0 : r > 0;
    }
    return false;
  });
  return rows;
}

TEST(SortValues, MatchesAStableSerialSort) {
  const DataFrame df = awkward_frame(11, 7);
  const Table whole = df.compute();
  const std::vector<std::vector<SortKey>> cases = {{{"x", true}},
                                                   {{"x", false}},
                                                   {{"s", true}},
                                                   {{"k", false}},
                                                   {{"t", true}},
                                                   {{"k", true}, {"x", false}},
                                                   {{"s", false}, {"t", true}, {"x", true}}};
  for (const auto& by : cases) {
    for (bool nulls_first : {false, true}) {
      const Table got = df.sort_values(by, nulls_first).compute();
      const Table want = whole.take(reference_order(whole, by, nulls_first));
      EXPECT_TRUE(got.equals(want)) << by[0].column << (by[0].ascending ? " asc" : " desc") << " ("
                                    << by.size() << " keys) nulls_first " << nulls_first << ":\n"
                                    << render(got) << "\nwanted\n"
                                    << render(want);
      EXPECT_TRUE(whole.sort_values(by, nulls_first).equals(want));
    }
  }
}

TEST(SortValues, OneRepeatedValueStillSpreadsOverThePartitions) {
  const DataFrame df = awkward_frame(12, 1);  // k: 0 or null in every row
  const DataFrame sorted = df.sort_values({{"k", true}});
  const auto rows = static_cast<std::size_t>(df.length());
  std::size_t largest = 0;
  for (const auto& part : sorted.to_delayed()) largest = std::max(largest, part.compute().rows());
  EXPECT_LE(largest, 2 * rows / static_cast<std::size_t>(sorted.npartitions()) + 2);
  EXPECT_TRUE(sorted.compute().equals(
      df.compute().take(reference_order(df.compute(), {{"k", true}}, false))));
}

TEST(SortValues, EmptyFramesAndBadKeys) {
  const DataFrame none = awkward_frame(0, 3);
  EXPECT_EQ(none.sort_values({{"x", true}}).compute().rows(), 0u);
  const DataFrame empty = awkward_frame(3, 3).filter(awkward_frame(3, 3)["k"] > 100);
  EXPECT_EQ(empty.sort_values({{"s", false}}).compute().rows(), 0u);
  expect_error([&] { (void)none.sort_values({}); },
               "sort_values: name at least one column to order by");
  expect_error(
      [&] {
        (void)none.sort_values({{"x", true}, {"x", false}});
      },
      "sort_values: the column 'x' is named twice");
  expect_error(
      [&] {
        (void)none.sort_values({{"y", true}});
      },
      "no column 'y'; the columns are 'k', 'x', 's', 't'");
}

// The reference top rows: those with every value present, in the order, first n.
Table reference_top(const Table& whole, std::int64_t n, const std::vector<std::string>& cols,
                    bool largest) {
  std::vector<std::int64_t> present;
  for (std::size_t i = 0; i < whole.rows(); ++i)
    if (std::all_of(cols.begin(), cols.end(),
                    [&](const auto& c) { return cell(whole.column(c), i); }))
      present.push_back(static_cast<std::int64_t>(i));
  const Table rows = whole.take(present);
  std::vector<SortKey> by;
  for (const auto& c : cols) by.push_back({c, !largest});
  auto order = reference_order(rows, by, false);
  order.resize(std::min(order.size(), static_cast<std::size_t>(n)));
  return rows.take(order);
}

TEST(TopRows, NlargestAndNsmallestKeepTiesInFrameOrder) {
  const DataFrame df = awkward_frame(9, 4);
  const Table whole = df.compute();
  for (std::int64_t n : {0, 1, 5, 40, 1000}) {
    for (const std::vector<std::string>& cols :
         {std::vector<std::string>{"x"}, {"k"}, {"t"}, {"k", "x"}}) {
      const Table large = df.nlargest(n, cols).compute();
      const Table small = df.nsmallest(n, cols).compute();
      EXPECT_TRUE(large.equals(reference_top(whole, n, cols, true)))
          << "nlargest " << n << " " << cols[0] << "\n"
          << render(large);
      EXPECT_TRUE(small.equals(reference_top(whole, n, cols, false)))
          << "nsmallest " << n << " " << cols[0] << "\n"
          << render(small);
    }
  }
  expect_error([&] { (void)df.nlargest(3, {"s"}); },
               "nlargest: column 's' is of type string; it takes numbers and timestamps, as "
               "pandas");
}

TEST(SetIndex, SortsAndKnowsItsDivisions) {
  const DataFrame df = awkward_frame(9, 4);
  const DataFrame indexed = df.set_index("t");
  ASSERT_TRUE(indexed.known_divisions());
  EXPECT_EQ(indexed.sorted_column(), "t");
  const Table whole = df.compute();
  const Table sorted = whole.take(reference_order(whole, {{"t", true}}, false));
  EXPECT_TRUE(indexed.compute().equals(sorted));
  // The middle day only, read from the partitions that hold it.
  const Table day =
      indexed.loc(expr::lit("2020-09-14"), expr::lit("2020-09-14 23:59:59")).compute();
  std::vector<std::int64_t> rows;
  const auto t = sorted.column("t").values<std::int64_t>();
  for (std::size_t i = 0; i < sorted.rows(); ++i)
    if (t[i] == 1'600'000'000'000'000'000 + 86'400'000'000'000)
      rows.push_back(static_cast<std::int64_t>(i));
  EXPECT_TRUE(day.equals(sorted.take(rows))) << render(day);
  EXPECT_GT(day.rows(), 0u);
}

TEST(Tail, TheLastRowsInOrder) {
  const DataFrame df = awkward_frame(9, 4);
  const Table whole = df.compute();
  for (std::int64_t n : {0, 1, 3, 30, 1000}) {
    const auto keep = std::min<std::size_t>(whole.rows(), static_cast<std::size_t>(n));
    EXPECT_TRUE(df.tail(n).equals(whole.slice(whole.rows() - keep, keep))) << n;
  }
  EXPECT_EQ(awkward_frame(0, 3).tail(4).rows(), 0u);
}

}  // namespace
}  // namespace pando::test
