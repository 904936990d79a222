// Known divisions at 1-4 ranks: sorted_by records each partition's range of a sorted column
// (checked against the partitions themselves, empty ones included), loc reads only the
// partitions whose range meets the one asked for and gives the rows an unpruned filter gives,
// the order survives the operations that keep it, and rows out of order are a clear error
// naming the row, the same on every rank.

#include <pando/frame/dataframe.hpp>
#include <pando/graph/delayed.hpp>

#include <gtest/gtest.h>
#include <mpi_test.hpp>

#include "dataframe_test_util.hpp"

#include <fmt/format.h>

using namespace pando;
using namespace pando::test;

namespace {

// k: sorted with repeats; ts: one hour apart; name: sorted text; v: unsorted, with nulls.
std::string sorted_csv(int rows) {
  std::string s = "k,ts,name,v\n";
  for (int i = 0; i < rows; ++i)
    s += fmt::format("{},2024-01-{:02d}T{:02d}:00:00,n{:04d},{}\n", i / 3, 1 + i / 24, i % 24, i,
                     i % 5 == 2 ? "" : fmt::format("{}", (i * 7919) % 101 - 50.5));
  return s;
}

Table partition(const DataFrame& df, std::int64_t p) {
  return df.to_delayed()[static_cast<std::size_t>(p)].compute();
}

}  // namespace

TEST(Divisions, EachPartitionsRangeIsKnownAndLocReadsOnlyThePartitionsThatMeetIt) {
  SharedDir dir;
  const std::string path = dir.file("sorted.csv", sorted_csv(120));
  const DataFrame df = read_csv({path}, blocks(64));
  ASSERT_GT(df.npartitions(), 20);
  // A run of empty partitions in the middle.
  const DataFrame holes = df.filter(!(df["k"] >= 10 && df["k"] <= 14));
  const DataFrame by_k = holes.sorted_by("k");
  ASSERT_TRUE(by_k.known_divisions());
  EXPECT_FALSE(holes.known_divisions());
  EXPECT_EQ(by_k.sorted_column(), "k");

  const Table d = by_k.divisions();
  ASSERT_EQ(d.rows(), static_cast<std::size_t>(holes.npartitions()));
  int empty = 0;
  for (std::int64_t p = 0; p < holes.npartitions(); ++p) {
    const Column k = partition(holes, p).column("k");
    const auto i = static_cast<std::size_t>(p);
    EXPECT_EQ(d.column("partition").values<std::int64_t>()[i], p);
    if (k.size() == 0) {
      ++empty;
      EXPECT_TRUE(d.column("min").is_null(i) && d.column("max").is_null(i)) << p;
      continue;
    }
    EXPECT_EQ(d.column("min").values<std::int64_t>()[i], k.values<std::int64_t>()[0]) << p;
    EXPECT_EQ(d.column("max").values<std::int64_t>()[i], k.values<std::int64_t>()[k.size() - 1]);
  }
  EXPECT_GE(empty, 3);

  // loc: the rows an unpruned filter gives, from fewer partitions.
  auto check_loc = [&](const DataFrame& sorted, const std::string& column, const expr::Expr& lo,
                       const expr::Expr& hi, std::size_t want_rows) {
    const DataFrame picked = sorted.loc(lo, hi);
    const Table want = df.filter(df[column] >= lo && df[column] <= hi).compute();
    EXPECT_EQ(render(picked.compute()), render(want)) << column;
    EXPECT_EQ(want.rows(), want_rows) << column;
    EXPECT_LT(picked.npartitions(), sorted.npartitions() / 2) << column;
    EXPECT_EQ(picked.sorted_column(), column);
    EXPECT_EQ(picked.divisions().rows(), static_cast<std::size_t>(picked.npartitions()));
  };
  check_loc(by_k, "k", expr::lit(20), expr::lit(29), 30);
  check_loc(df.sorted_by("ts"), "ts", expr::lit("2024-01-02"), expr::lit("2024-01-02 05:00:00"), 6);
  check_loc(df.sorted_by("name"), "name", expr::lit("n0040"), expr::lit("n0049"), 10);
  check_loc(by_k, "k", expr::lit(2.5), expr::lit(3.5), 3);  // float bounds on an int column
  // Nothing in range, past the end or in the hole: one empty partition.
  for (auto [lo, hi] : {std::pair{1000, 2000}, std::pair{11, 13}}) {
    const DataFrame none = by_k.loc(expr::lit(lo), expr::lit(hi));
    EXPECT_EQ(none.npartitions(), 1);
    EXPECT_EQ(none.length(), 0);
    EXPECT_TRUE(none.divisions().column("min").is_null(0));
  }
}

TEST(Divisions, OperationsThatKeepTheOrderKeepTheDivisions) {
  SharedDir dir;
  const DataFrame df = read_csv({dir.file("s.csv", sorted_csv(40))}, blocks(128)).sorted_by("k");
  const std::string bounds = render(df.divisions());
  auto keeps = [&](const DataFrame& out, const std::string& as) {
    EXPECT_EQ(out.sorted_column(), as);
    if (out.known_divisions() && as == "k") {
      EXPECT_EQ(render(out.divisions()), bounds);
    }
  };
  keeps(df.filter(df["v"] > 0), "k");
  keeps(df.dropna(), "k");
  keeps(df.assign("w", df["v"] * 2), "k");
  keeps(df.select({"v", "k"}), "k");
  keeps(df.drop({"v"}), "k");
  keeps(df.astype({{"v", DType::string}}), "k");
  keeps(df.fillna({{"v", expr::lit(0.0)}}), "k");
  keeps(df.persist(), "k");
  keeps(df.rename({{"k", "key"}, {"v", "value"}}), "key");
  EXPECT_EQ(df.rename({{"k", "key"}}).loc(expr::lit(3), expr::lit(4)).length(), 6);
  // Operations that may change the order, or drop the column, forget it.
  keeps(df.assign("k", df["v"]), "");
  keeps(df.select({"v"}), "");
  keeps(df.drop({"k"}), "");
  keeps(df.astype({{"k", DType::float64}}), "");
  keeps(df.isna(), "");
  keeps(df.map_partitions([](const Table& t) { return t; }, df.schema(), "same"), "");
  EXPECT_FALSE(
      df.map_partitions([](const Table& t) { return t; }, df.schema(), "same").known_divisions());
}

TEST(Divisions, RowsOutOfOrderAreAClearErrorNamingTheRow) {
  SharedDir dir;
  auto sorted_by = [&](const std::string& name, const std::string& text, std::int64_t blocksize,
                       const std::string& column) {
    (void)read_csv({dir.file(name, text)}, blocks(blocksize)).sorted_by(column);
  };
  const std::string head = "sorted_by('v'): the rows are not sorted by 'v': ";
  // Within a partition, and across partitions (one row each: data from byte 2, 2 bytes a row).
  expect_error([&] { sorted_by("in.csv", "v\n1\n2\n5\n7\n3\n9\n", 1 << 20, "v"); },
               head + "row 4 (partition 0) holds 3 after 7");
  // Across partitions: rows 2 and 3 in different partitions, each in order on its own.
  const DataFrame across = read_csv({dir.file("across.csv", "v\n1\n2\n3\n0\n")}, blocks(2));
  std::int64_t row = 0, of_row_2 = -1, of_row_3 = -1;
  for (std::int64_t p = 0; p < across.npartitions(); ++p)
    for (std::size_t r = 0; r < partition(across, p).rows(); ++r, ++row) {
      if (row == 2) of_row_2 = p;
      if (row == 3) of_row_3 = p;
    }
  ASSERT_LT(of_row_2, of_row_3);
  expect_error([&] { (void)across.sorted_by("v"); },
               head + fmt::format("row 3 (partition {}) holds 0 after 3", of_row_3));
  expect_error([&] { sorted_by("null.csv", "v,w\n1,a\n,b\n3,c\n", 1 << 20, "v"); },
               head + "row 1 (partition 0) is null (a sorted column holds no nulls: dropna first)");
  expect_error([&] { sorted_by("s.csv", "v\nb\na\n", 1 << 20, "v"); },
               head + "row 1 (partition 0) holds 'a' after 'b'");
  expect_error([&] { sorted_by("s.csv", "v\n1\n", 1 << 20, "nope"); },
               "no column 'nope'; the columns are 'v'");

  const DataFrame plain = read_csv({dir.file("p.csv", "v\n1\n2\n")});
  expect_error([&] { (void)plain.loc(expr::lit(1), expr::lit(2)); },
               "loc: the order of the rows is not known; call sorted_by(COLUMN) first (it checks "
               "that the rows are sorted by COLUMN)");
  expect_error([&] { (void)plain.divisions(); },
               "divisions: the order of the rows is not known; sorted_by(COLUMN) checks that they "
               "are sorted by COLUMN and records each partition's range");
  const DataFrame sorted = plain.sorted_by("v");
  expect_error([&] { (void)sorted.loc(expr::col("v"), expr::lit(2)); },
               "loc: a bound must be a value, not 'v', which reads columns");
  EXPECT_THROW((void)sorted.loc(expr::lit("a"), expr::lit("b")), TypeError);
}

// A frame of given int64 partitions (column v), made by custom code.
DataFrame frame_of(const std::vector<std::vector<std::int64_t>>& parts) {
  std::vector<Delayed<Table>> made;
  for (std::size_t p = 0; p < parts.size(); ++p)
    made.push_back(delayed([parts](std::int64_t i) {
                     return Table({"v"}, {Column::from_values(parts[static_cast<std::size_t>(i)])});
                   }).name("part")(static_cast<std::int64_t>(p)));
  return DataFrame::from_delayed(made, Schema{{"v", DType::int64}});
}

TEST(Divisions, TheFirstRowOutOfOrderInFrameOrderIsNamed) {
  // Row 2 (4 after 5, across partitions) comes before row 5 (3 after 7, within one).
  expect_error(
      [] {
        (void)frame_of({{1, 5}, {4, 6}, {7, 3}}).sorted_by("v");
      },
      "sorted_by('v'): the rows are not sorted by 'v': row 2 (partition 1) holds 4 after 5");
  expect_error(
      [] {
        (void)frame_of({{1, 2}, {}, {3, 9, 8}, {10}, {0}}).sorted_by("v");
      },
      "sorted_by('v'): the rows are not sorted by 'v': row 4 (partition 2) holds 8 after 9");
  // No partitions at all.
  const DataFrame none = frame_of({}).sorted_by("v");
  EXPECT_EQ(none.divisions().schema().to_string(), "partition: int64, min: int64, max: int64");
  EXPECT_EQ(none.divisions().rows(), 0u);
  EXPECT_EQ(none.loc(expr::lit(0), expr::lit(1)).length(), 0);
}

TEST(Divisions, LocOfDifferentSortedColumnsAreDifferentFrames) {
  SharedDir dir;
  const DataFrame df = read_csv({dir.file("s.csv", sorted_csv(60))}, blocks(128));
  const DataFrame both = df.assign("j", df["k"] * 2);  // sorted too
  const DataFrame by_k = both.sorted_by("k").loc(expr::lit(3), expr::lit(4)).persist();
  const DataFrame by_j = both.sorted_by("j").loc(expr::lit(3), expr::lit(4));
  EXPECT_EQ(by_k.length(), 6);  // k = 3, 4
  EXPECT_EQ(by_j.length(), 3);  // j = 4: k = 2
}

TEST(Divisions, EmptyAndOneRowFrames) {
  SharedDir dir;
  CsvOptions ints;
  ints.dtypes["a"] = DType::int64;  // a file without rows gives string columns otherwise
  const DataFrame empty = read_csv({dir.file("h.csv", "a,b\n")}, blocks(4, ints)).sorted_by("a");
  EXPECT_TRUE(empty.known_divisions());
  const Table d = empty.divisions();
  EXPECT_EQ(d.rows(), static_cast<std::size_t>(empty.npartitions()));
  for (std::size_t i = 0; i < d.rows(); ++i) EXPECT_TRUE(d.column("min").is_null(i));
  EXPECT_EQ(empty.loc(expr::lit(0), expr::lit(9)).length(), 0);

  const DataFrame one = read_csv({dir.file("one.csv", "a,b\n7,x\n")}, blocks(3)).sorted_by("a");
  EXPECT_EQ(one.loc(expr::lit(7), expr::lit(7)).length(), 1);
  EXPECT_EQ(one.loc(expr::lit(8), expr::lit(9)).length(), 0);
}
