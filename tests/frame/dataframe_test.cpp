// The distributed DataFrame at 1-4 ranks: the CSV corpus read in parallel with tiny byte ranges
// equals the one-rank reference; operations and statistics against serial loops and pandas;
// CSV written in parallel reads back in pandas; bad input gives the same clear error on every
// rank.

#include <pando/core/consensus.hpp>
#include <pando/frame/csv.hpp>
#include <pando/frame/dataframe.hpp>
#include <pando/expr/parser.hpp>

#include <gtest/gtest.h>
#include <mpi_test.hpp>

#include "csv_corpus.hpp"
#include "dataframe_test_util.hpp"
#include "frame_test_util.hpp"
#include "timestamp_edges.hpp"

#include <cmath>
#include <filesystem>
#include <numeric>

using namespace pando;
using pando::test::blocks;
using pando::test::error_text;
using pando::test::expect_error;
using pando::test::render;
using pando::test::SharedDir;

namespace {

// A transactions-like table with nulls, quotes, line breaks in quotes and non-ASCII text.
std::string sample_csv(int rows) {
  std::string s = "id,amount,qty,name,flag,ts\n";
  for (int i = 0; i < rows; ++i) {
    std::string amount = i % 7 == 3 ? "" : fmt::format("{}", (i * 37 % 101) * 0.5 - 12.25);
    std::string name = i % 5 == 0 ? "\"Müller, \"\"Jo\"\"\nline2\"" : (i % 3 ? "plain" : "ümlaut");
    s += fmt::format("{},{},{},{},{},2024-01-{:02d} {:02d}:00:00\n", i, amount,
                     i % 4 == 1 ? "" : std::to_string(i % 9), name, i % 2 ? "True" : "False",
                     i % 28 + 1, i % 24);
  }
  return s;
}

}  // namespace

TEST(DataFrameCorpus, ParallelReadEqualsOneRankReference) {
  for (const auto& c : test::corpus()) {
    const std::string path = test::csv_data_dir() + "/" + c.name;
    // The one-rank reference reads the whole text at once; the distributed reader parses
    // partitions when used and so never widens a column (csv/infer.hpp).
    CsvOptions strict = c.options;
    strict.allow_widening = false;
    std::string want;
    try {
      want = render(csv::read_csv_file(path, strict));
    } catch (const Error& e) {
      want = std::string("error: ") + e.what();
    }
    for (std::int64_t blocksize : {std::int64_t{7}, std::int64_t{64}, std::int64_t{1} << 20}) {
      std::string got;
      try {
        got = render(read_csv({path}, blocks(blocksize, c.options)).compute());
      } catch (const Error& e) {
        got = "error: " + error_text(e);
      }
      EXPECT_EQ(got, want) << c.name << " blocksize " << blocksize;
    }
  }
}

TEST(DataFrame, ReadAcrossFilesAndGlobs) {
  SharedDir dir;
  const std::string text = sample_csv(50);
  const auto cut = text.find('\n', text.size() / 2) + 1;
  dir.file("part-0.csv", text.substr(0, cut));
  dir.file("part-1.csv", "id,amount,qty,name,flag,ts\n" + text.substr(cut));
  dir.file("whole.csv", text);
  auto whole = read_csv({dir.path + "/whole.csv"}, blocks(97)).compute();
  auto parts = read_csv({dir.path + "/part-*.csv"}, blocks(53)).compute();
  EXPECT_EQ(render(parts), render(whole));
  EXPECT_EQ(whole.rows(), 50u);
  EXPECT_EQ(read_csv({dir.path + "/whole.csv"}).length(), 50);
}

// Issue 25: a path that exists is read as written, even with glob characters in its name (as a
// pattern, "[run]_x.csv" would match r_x.csv, u_x.csv and n_x.csv, never itself); a path that
// does not exist is a glob, as before.
TEST(DataFrame, AnExistingPathIsReadAsWrittenEvenWithGlobCharacters) {
  SharedDir dir;
  const std::string bracket = dir.file("[run]_x.csv", "a\n1\n2\n");
  const std::string star = dir.file("a*b.csv", "a\n10\n");
  dir.file("r_x.csv", "a\n100\n");   // what "[run]_x.csv" matches as a glob
  dir.file("aXb.csv", "a\n1000\n");  // what "a*b.csv" matches too
  auto sum = [](const std::vector<std::string>& paths) {
    return read_csv(paths, blocks(4)).agg({{"a", "sum"}}).column("a_sum").values<std::int64_t>()[0];
  };
  EXPECT_EQ(sum({bracket}), 3);
  EXPECT_EQ(sum({star}), 10);
  EXPECT_EQ(sum({bracket, star}), 13);
  EXPECT_EQ(sum({dir.path + "/[r]_x.csv"}), 100);      // globs
  EXPECT_EQ(sum({dir.path + "/a?b.csv"}), 1010);       // a*b.csv and aXb.csv
  EXPECT_EQ(sum({dir.path + "/\\[run\\]_*.csv"}), 3);  // a glob for the bracket name
  expect_error([&] { (void)read_csv({dir.path + "/[z]_x.csv"}); },
               "no files match '" + dir.path + "/[z]_x.csv'");
}

TEST(DataFrame, BadInputIsTheSameClearErrorEverywhere) {
  SharedDir dir;
  expect_error([&] { (void)read_csv({dir.path + "/none-*.csv"}); },
               "no files match '" + dir.path + "/none-*.csv'");
  expect_error([&] { (void)read_csv({dir.path + "/missing.csv"}); },
               dir.path + "/missing.csv: no such file");
  dir.file("a.csv", "x,y\n1,2\n");
  dir.file("b.csv", "x,z\n1,2\n");
  expect_error(
      [&] {
        (void)read_csv({dir.path + "/a.csv", dir.path + "/b.csv"});
      },
      dir.path + "/b.csv: its header (x, z) differs from the header of " + dir.path +
          "/a.csv (x, y)");
  const std::string late = dir.file("late.csv", "n\n" + std::string(10, '1') + "\n1\n2\nabc\n");
  ReadCsvOptions small;
  small.csv.sample_bytes = 16;
  small.blocksize = 8;
  expect_error([&] { (void)read_csv({late}, small).length(); },  // found when parsed
               late +
                   ":5:1: cannot read \"abc\" as int64 (column 'n'); hint: --na-values abc or "
                   "--dtype n=string");
  auto df = read_csv({dir.path + "/a.csv"});
  expect_error([&] { (void)df.filter(expr::parse_expression("x + ", "--where")); },
               "--where:1:5: expected a value after '+'");
  expect_error([&] { (void)df.agg({{"q", "sum"}}); }, "no column 'q'; the columns are 'x', 'y'");
  expect_error(
      [&] {
        (void)df.agg({{"x", "mode"}});
      },
      "unknown aggregation 'mode' for column 'x' (use count, sum, mean, min, max, std, var, "
      "median or qNN as q90)");
}

// Timestamps at the edges of pandas' range and on leap days (tests/support/timestamp_edges.hpp)
// read alike from a CSV file and as expression literals: the literal of a text (with 'T' before
// the time, as ISO-8601 writes it; the file has pandas' space) selects the row read from it, and
// that row prints alike through str() and to_csv. A text just outside the range, or a day that
// does not exist, both refuse for the same stated reason.
TEST(DataFrame, TimestampEdgesReadAlikeInCsvAndExpressions) {
  SharedDir dir;
  CsvOptions declared;
  declared.dtypes = {{"t", DType::timestamp}, {"s", DType::string}};
  std::string text = "t,s\n";
  for (const auto& e : test::timestamp_edges())
    if (e.ns) text += fmt::format("{},{}\n", e.text, e.text);
  const auto df = read_csv({dir.file("edges.csv", text)}, blocks(64, declared))
                      .assign("printed", expr::parse_expression("str(t)", "str"));
  for (const auto& e : test::timestamp_edges()) {
    SCOPED_TRACE(e.text);
    std::string iso(e.text);
    if (iso.size() > 10) iso[10] = 'T';
    const auto where = [&] { return expr::parse_expression("t == '" + iso + "'", "--where"); };
    if (e.ns) {
      const Table row = df.filter(where()).compute();
      ASSERT_EQ(row.rows(), 1u);
      EXPECT_EQ(row.column("t").values<std::int64_t>()[0], *e.ns);
      EXPECT_EQ(row.column("s").string_at(0), e.text);
      EXPECT_EQ(csv::to_csv(row),
                fmt::format("t,s,printed\n{},{},{}\n", e.text, e.text, format_timestamp(*e.ns)));
      continue;
    }
    const std::string why = timestamp_refusal(e.text);
    ASSERT_FALSE(why.empty());
    expect_error([&] { (void)df.filter(where()); },
                 fmt::format("cannot read \"{}\" as a timestamp ({})", iso, why));
    const std::string bad = dir.file(fmt::format("bad-{}.csv", &e - test::timestamp_edges().data()),
                                     fmt::format("t,s\n{},x\n", e.text));
    try {
      (void)read_csv({bad}, blocks(64, declared)).length();
      ADD_FAILURE() << "no error";
    } catch (const Error& x) {
      EXPECT_NE(error_text(x).find(fmt::format(":2:1: cannot read \"{}\" as timestamp (column "
                                               "'t': {}); hint: ",
                                               e.text, why)),
                std::string::npos)
          << error_text(x);
    }
  }
}

// Issue 25: the type-inference sample is read with the parser's rules. A sample the parser cannot
// read is reported as the parser reports it (file, line, column) when the frame is made, never
// turned into types that a later type check rejects first ("cannot take the sum of column 'a'
// of type string").
TEST(DataFrame, AMalformedSampleIsReportedAsTheParserReportsIt) {
  SharedDir dir;
  const std::string open_quote = dir.file("open.csv", "a,b\n1,\"unterminated\n2,3\n");
  const std::string unterminated =
      ":2:3: unterminated quoted field: the quote opened here is not closed before the end of "
      "the file";
  // What the parser itself says of these rows, with any types.
  expect_error(
      [&] {
        csv::BadLineReport bad;
        (void)csv::parse_rows("1,\"unterminated\n2,3\n", 2,
                              Schema({{"a", DType::int64}, {"b", DType::int64}}), {}, open_quote,
                              bad);
      },
      open_quote + unterminated);
  ReadCsvOptions sum_of_a = blocks(8);
  sum_of_a.projection = {"a"};  // as pando-frame --agg a:sum asks
  for (const auto& o : {blocks(8), blocks(1 << 20), sum_of_a})
    expect_error(
        [&] {
          (void)read_csv({open_quote}, o).agg({{"a", "sum"}});
        },
        open_quote + unterminated);
  CsvOptions skip;
  skip.on_bad_lines = BadLines::skip;  // an open quote is an error whatever the bad-line rule
  expect_error([&] { (void)read_csv({open_quote}, blocks(8, skip)); }, open_quote + unterminated);

  // A row of too many fields, under on_bad_lines = error, where it is the sample's only row.
  const std::string extra = dir.file("extra.csv", "a,b\n1,2,3\n");
  expect_error(
      [&] {
        (void)read_csv({extra}, sum_of_a).agg({{"a", "sum"}});
      },
      extra +
          ":2:5: too many fields (expected 2, found 3); hint: --on-bad-lines skip or "
          "--on-bad-lines warn");
  EXPECT_EQ(read_csv({extra}, blocks(8, skip)).length(), 0);  // skipped, as the parse skips it

  // A value before the malformed row that does not fit a --dtype: the first problem, as the
  // parse of the whole file finds it.
  const std::string typed = dir.file("typed.csv", "a,b\nx,1\n2,\"open\n");
  CsvOptions a_int;
  a_int.dtypes["a"] = DType::int64;
  expect_error([&] { (void)read_csv({typed}, blocks(8, a_int)); },
               typed +
                   ":2:1: cannot read \"x\" as int64 (column 'a'); hint: --na-values x or --dtype "
                   "a=string");
  // The same read on one rank, of the whole text at once.
  expect_error([&] { (void)csv::read_csv_text("a,b\n1,\"unterminated\n2,3\n", {}, "t.csv"); },
               "t.csv" + unterminated);

  // A quoted field that the sample window cuts is no error when the file goes on: it closes
  // later, and the types come from the rows before it.
  const std::string cut = dir.file("cut.csv",
                                   "a,b\n1,x\n3,\"a quoted field,\nlonger than the "
                                   "sample\"\n5,y\n");
  ReadCsvOptions small = blocks(8);
  small.csv.sample_bytes = 20;
  const Table t = read_csv({cut}, small).agg({{"a", "sum"}});
  EXPECT_EQ(t.column("a_sum").values<std::int64_t>()[0], 9);
  // ... while one that never closes is the parser's error, from the partition that holds it.
  const std::string never = dir.file("never.csv", "a,b\n1,x\n3,\"a quoted field that never ends\n");
  expect_error(
      [&] {
        (void)read_csv({never}, small).agg({{"a", "sum"}});
      },
      never +
          ":3:3: unterminated quoted field: the quote opened here is not closed "
          "before the end of the file");
}

TEST(DataFrame, ALaterValueThatDoesNotFitTheInferredTypeNamesTheFix) {
  SharedDir dir;
  std::string text = "n\n";
  for (int i = 0; i < 200; ++i) text += std::to_string(i) + "\n";
  text += "2.5\n";
  const std::string p = dir.file("widen.csv", text);
  ReadCsvOptions o;
  o.csv.sample_bytes = 16;
  o.blocksize = 64;
  auto df = read_csv({p}, o);  // lazy: the types are the sample's
  EXPECT_EQ(df.schema()[0].type, DType::int64);
  EXPECT_EQ(df.head(3).rows(), 3u);  // the partitions before the value read fine
  try {
    (void)df.compute();
    ADD_FAILURE() << "no error for 2.5 in an int64 column";
  } catch (const Error& e) {
    EXPECT_EQ(error_text(e), p + ":202:1: cannot read \"2.5\" as int64 (column 'n', inferred from "
                                 "the first 16 bytes); hint: --dtype n=float64");
  }
  // The fix the message names.
  o.csv.dtypes["n"] = DType::float64;
  auto t = read_csv({p}, o).compute();
  EXPECT_EQ(t.column(0).values<double>()[200], 2.5);
  EXPECT_EQ(t.column(0).values<double>()[3], 3.0);
}

TEST(DataFrame, OperationsMatchSerialLoops) {
  SharedDir dir;
  const std::string p = dir.file("t.csv", sample_csv(300));
  auto df = read_csv({p}, blocks(700));
  auto ref = csv::read_csv_file(p);
  ASSERT_EQ(render(df.compute()), render(ref));

  auto sel = df.assign("total", df["amount"] * df["qty"])
                 .filter(df["amount"] > 10 && !df["flag"])
                 .select({"id", "total"})
                 .compute();
  std::vector<std::int64_t> want_ids;
  std::vector<std::optional<double>> want_total;
  const auto& amount = ref.column("amount");
  const auto& qty = ref.column("qty");
  const auto& flag = ref.column("flag");
  for (std::size_t i = 0; i < ref.rows(); ++i) {
    const bool keep = amount.is_valid(i) && amount.values<double>()[i] > 10 &&
                      flag.values<std::uint8_t>()[i] == 0;
    if (!keep) continue;
    want_ids.push_back(ref.column("id").values<std::int64_t>()[i]);
    want_total.push_back(qty.is_valid(i)
                             ? std::optional(amount.values<double>()[i] *
                                             static_cast<double>(qty.values<std::int64_t>()[i]))
                             : std::nullopt);
  }
  ASSERT_EQ(sel.rows(), want_ids.size());
  for (std::size_t i = 0; i < sel.rows(); ++i) {
    EXPECT_EQ(sel.column("id").values<std::int64_t>()[i], want_ids[i]);
    EXPECT_EQ(sel.column("total").is_valid(i), want_total[i].has_value());
    if (want_total[i]) {
      EXPECT_EQ(sel.column("total").values<double>()[i], *want_total[i]);
    }
  }
  // Text expressions, fillna, dropna, isna, rename, head.
  auto filled = df.fillna({{"amount", expr::lit(0.0)}});
  EXPECT_EQ(filled.null_counts().column(1).values<std::int64_t>()[1], 0);
  EXPECT_EQ(df.dropna({"amount", "qty"}).length(),
            static_cast<std::int64_t>(
                df.filter(expr::parse_expression("notna(amount) and notna(qty)", "w")).length()));
  EXPECT_EQ(df.isna().compute().column("amount").values<std::uint8_t>()[3], 1);
  EXPECT_EQ(df.rename({{"id", "key"}}).columns()[0], "key");
  auto h = df.head(7);
  EXPECT_EQ(render(h), render(ref.head(7)));
  EXPECT_EQ(df.filter(expr::parse_expression("id < 0", "w")).head(3).rows(), 0u);
}

TEST(DataFrame, StatisticsMatchPandas) {
  SharedDir dir;
  const std::string p = dir.file("s.csv", sample_csv(257));
  auto df = read_csv({p}, blocks(300));
  // pandas computes the same statistics from the same file; compare as numbers.
  auto agg = df.agg({{"amount", "sum"},
                     {"amount", "mean"},
                     {"amount", "std"},
                     {"qty", "sum"},
                     {"qty", "max"},
                     {"name", "min"},
                     {"id", "count"},
                     {"ts", "max"}});
  auto desc = df.describe();
  auto nulls = df.null_counts();
  const std::string script = test::frame_test_dir() + "/frame_reference.py";
  const std::string got = on_root(test::comm(), [&] {
    return test::run(std::string(PANDO_TEST_PYTHON) + " " + script + " stats " + p).output;
  });
  // The reference prints: amount sum, mean, std, qty sum, qty max, then describe's rows, then
  // the null counts.
  std::istringstream in(got);
  auto next = [&] {
    double v;
    in >> v;
    return v;
  };
  auto close = [](double a, double b) { return std::abs(a - b) <= 1e-12 * (1 + std::abs(b)); };
  EXPECT_TRUE(close(agg.column("amount_sum").values<double>()[0], next())) << got;
  EXPECT_TRUE(close(agg.column("amount_mean").values<double>()[0], next()));
  EXPECT_TRUE(close(agg.column("amount_std").values<double>()[0], next()));
  EXPECT_EQ(static_cast<double>(agg.column("qty_sum").values<std::int64_t>()[0]), next());
  EXPECT_EQ(static_cast<double>(agg.column("qty_max").values<std::int64_t>()[0]), next());
  EXPECT_EQ(agg.column("name_min").string_at(0), "Müller, \"Jo\"\nline2");  // bytewise, as Python
  EXPECT_EQ(agg.column("id_count").values<std::int64_t>()[0], 257);
  ASSERT_EQ(desc.num_columns(), 4u);  // statistic, id, amount, qty
  for (std::size_t c = 1; c < desc.num_columns(); ++c)
    for (std::size_t r = 0; r < 8; ++r) {
      const double want = next(), have = desc.column(c).values<double>()[r];
      EXPECT_TRUE(close(have, want) || (std::isnan(have) && std::isnan(want)))
          << desc.schema()[c].name << " row " << r << ": " << have << " vs pandas " << want;
    }
  for (std::size_t r = 0; r < nulls.rows(); ++r)
    EXPECT_EQ(static_cast<double>(nulls.column(1).values<std::int64_t>()[r]), next()) << r;
}

// Issue 25: the sum of an int64 column that overflows wraps around modulo 2^64, as in NumPy and
// pandas, without signed-overflow UB, within partitions and across them. The expected number is
// NumPy's (and pandas' read_csv(...)["n"].sum()) for the same values:
//   k = np.arange(65, dtype=np.uint64)
//   x = ((k * np.uint64(0x9E3779B97F4A7C15) + np.uint64(0x7F4A7C15)) | np.uint64(1))
//   print(x.view(np.int64).sum())
TEST(DataFrame, Int64SumsWrapAroundLikeNumPy) {
  SharedDir dir;
  std::string text = "n\n";
  for (std::uint64_t k = 0; k < 65; ++k)
    text += std::to_string(
                static_cast<std::int64_t>((k * 0x9E3779B97F4A7C15ull + 0x7F4A7C15ull) | 1ull)) +
            "\n";
  const std::string p = dir.file("big.csv", text);
  for (std::int64_t blocksize : {64, 1 << 20}) {
    const Table t = read_csv({p}, blocks(blocksize)).agg({{"n", "sum"}});
    EXPECT_EQ(t.column("n_sum").values<std::int64_t>()[0], -9026054459417318379) << blocksize;
  }
}

// Quartiles of columns built to take each way of the exact selection (stats.cpp): more values
// than it gathers sharing their first bits (near: consecutive doubles), a run of one value
// (run), and two values one bit apart (twins), against sorted copies.
TEST(DataFrame, DescribeQuartilesAreExactForRunsAndNeighbouringDoubles) {
  SharedDir dir;
  constexpr int rows = 270'000;  // above the 2^18 keys a pass gathers
  std::vector<double> near, run, twins;
  std::string text = "near,run,twins\n";
  for (int i = 0; i < rows; ++i) {
    const int k = (i * 7919) % rows;  // not in order
    near.push_back(1.0 + k * 0x1p-52);
    run.push_back(i % 10'000 == 0 ? 1000.0 + i : 3.5);
    twins.push_back(k % 3 ? 1.0 : 1.0 + 0x1p-52);
    text += fmt::format("{},{},{}\n", near.back(), run.back(), twins.back());
  }
  const DataFrame df = read_csv({dir.file("q.csv", text)}, blocks(1 << 20));
  const Table d = df.describe();
  auto quartile = [](std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    const double at = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(at);
    const double t = at - static_cast<double>(lo), a = v[lo], b = v[std::min(lo + 1, v.size() - 1)];
    return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;  // NumPy's linear rule
  };
  for (const auto& [name, values] : {std::pair{"near", &near}, {"run", &run}, {"twins", &twins}})
    for (int r = 0; r < 3; ++r)
      EXPECT_EQ(d.column(name).values<double>()[static_cast<std::size_t>(4 + r)],
                quartile(*values, 0.25 * (r + 1)))
          << name << " quartile " << r + 1;
  // agg's median and qNN take the same selection.
  const Table a = df.agg({{"near", "median"}, {"run", "q90"}, {"twins", "q12.5"}, {"near", "q0"}});
  EXPECT_EQ(a.column("near_median").values<double>()[0], quartile(near, 0.5));
  EXPECT_EQ(a.column("run_q90").values<double>()[0], quartile(run, 0.9));
  EXPECT_EQ(a.column("twins_q12.5").values<double>()[0], quartile(twins, 0.125));
  EXPECT_EQ(a.column("near_q0").values<double>()[0], 1.0);
}

TEST(DataFrame, EmptyAndTinyFrames) {
  SharedDir dir;
  auto empty = read_csv({dir.file("h.csv", "a,b\n")}, blocks(4));
  EXPECT_EQ(empty.length(), 0);
  EXPECT_EQ(empty.compute().rows(), 0u);
  auto one = read_csv({dir.file("one.csv", "a,b\n1,2.5\n")}, blocks(3));
  EXPECT_EQ(one.length(), 1);
  auto d = one.describe();
  EXPECT_EQ(d.column("b").values<double>()[4], 2.5);           // 25% of one value
  EXPECT_TRUE(std::isnan(d.column("b").values<double>()[2]));  // std of one value
  EXPECT_EQ(one.agg({{"a", "sum"}}).column(0).values<std::int64_t>()[0], 1);
  EXPECT_EQ(one.agg({{"b", "median"}}).column(0).values<double>()[0], 2.5);
  const DataFrame none = one.filter(expr::col("a") > 100);  // no row; b is float64
  EXPECT_TRUE(std::isnan(none.agg({{"b", "q90"}}).column(0).values<double>()[0]));
  EXPECT_THROW((void)one.agg({{"b", "q101"}}), UsageError);
}

TEST(DataFrame, NullCountsCountNaNAsPandasIsna) {
  SharedDir dir;
  auto df = read_csv({dir.file("nan.csv", "a,b,s\n0,1.5,x\n0,,\n2,0,y\n,2.5,z\n")}, blocks(5));
  // 0/0 is NaN (not null) in rows 0 and 1 of q; row 3 has no a.
  df = df.assign("q", expr::col("a") / expr::col("a"));
  auto nulls = df.null_counts();
  EXPECT_EQ(nulls.column(1).values<std::int64_t>()[0], 1);  // a
  EXPECT_EQ(nulls.column(1).values<std::int64_t>()[1], 1);  // b
  EXPECT_EQ(nulls.column(1).values<std::int64_t>()[2], 1);  // s
  EXPECT_EQ(nulls.column(1).values<std::int64_t>()[3], 3);  // q: NaN, NaN, null
}

TEST(DataFrame, ProjectionParsesOnlyTheColumnsAPipelineUses) {
  SharedDir dir;
  // Column a, read as int64, holds a value that is not one in its last row.
  const std::string p = dir.file("p.csv", "a,b,c\n1,x,2.5\n2,y,3.5\noops,z,4.5\n");
  auto projected = blocks(6);
  projected.csv.dtypes["a"] = DType::int64;
  projected.projection = {"c", "b"};
  auto df = read_csv({p}, projected);
  EXPECT_EQ(df.columns(), (std::vector<std::string>{"b", "c"}));  // in the files' order
  EXPECT_EQ(df.length(), 3);
  EXPECT_EQ(df.agg({{"c", "sum"}}).column(0).values<double>()[0], 10.5);
  // A name the files lack: every column is read (and a's bad value found).
  projected.projection = {"c", "nope"};
  EXPECT_THROW((void)read_csv({p}, projected).length(), Error);
  // usecols asks for exactly its columns and wins over a projection.
  projected.csv.usecols = {"a", "b"};
  EXPECT_THROW((void)read_csv({p}, projected).length(), Error);
}

// Low-cardinality strings are read dictionary-encoded; every expression over them (over one
// such column alone, which runs once per distinct value, or together with other columns) and
// every result equals the plain read's.
TEST(DataFrame, DictionaryEncodedStringsGiveThePlainResults) {
  SharedDir dir;
  std::string text = "id,cat,name\n";
  const char* cats[] = {"books", "", "Toys", "caf\u00e9", "\"a,b\""};
  for (int i = 0; i < 900; ++i)
    text += fmt::format("{},{},{}\n", i, cats[i * 7 % 5], i % 3 ? "books" : fmt::format("n{}", i));
  const std::string p = dir.file("d.csv", text);
  CsvOptions plain_strings;
  plain_strings.dictionary_strings = false;
  const auto encoded = read_csv({p}, blocks(1500));
  const auto plain = read_csv({p}, blocks(1500, plain_strings));
  const Table t = encoded.compute();
  EXPECT_TRUE(t.column("cat").is_dictionary());
  EXPECT_FALSE(plain.compute().column("cat").is_dictionary());
  EXPECT_EQ(render(t), render(plain.compute()));
  for (const char* e : {"cat == 'books'", "isna(cat)", "isin(cat, 'Toys', 'a,b')",
                        "contains(cat, 'o') or id < 3", "cat == name", "len(cat) > 4"}) {
    SCOPED_TRACE(e);
    const auto x = expr::parse_expression(e, "--where");
    EXPECT_EQ(render(encoded.filter(x).compute()), render(plain.filter(x).compute()));
    EXPECT_EQ(encoded.filter(x).length(), plain.filter(x).length());
  }
  for (const char* e : {"u = upper(cat)", "f = fillna(cat, 'none')", "n = len(cat)"}) {
    SCOPED_TRACE(e);
    const auto st = expr::parse_statement(e, "--assign");
    EXPECT_EQ(render(encoded.assign(st.target, st.value).compute()),
              render(plain.assign(st.target, st.value).compute()));
  }
  EXPECT_EQ(render(encoded.null_counts()), render(plain.null_counts()));
  EXPECT_EQ(render(encoded.head(20)), render(plain.head(20)));
}

TEST(DataFrame, PartitionsGoThroughCustomCodeAndBack) {
  SharedDir dir;
  const std::string p = dir.file("d.csv", "a,b\n1,x\n2,y\n3,z\n4,w\n5,v\n6,u\n7,t\n");
  auto df = read_csv({p}, blocks(9));
  auto parts = df.to_delayed();
  ASSERT_EQ(static_cast<std::int64_t>(parts.size()), df.npartitions());
  ASSERT_GT(parts.size(), 2u);
  // Custom code on each partition (its first row), one combined result (the rows in all).
  std::vector<Delayed<Table>> firsts;
  std::vector<Delayed<std::int64_t>> rows;
  for (const auto& part : parts) {
    firsts.push_back(delayed([](const Table& t) { return t.head(1); }).name("first")(part));
    rows.push_back(
        delayed([](const Table& t) { return static_cast<std::int64_t>(t.rows()); })(part));
  }
  auto total = delayed([](const std::vector<std::int64_t>& n) {
    return std::accumulate(n.begin(), n.end(), std::int64_t{0});
  })(rows);
  EXPECT_EQ(total.compute(), 7);
  // And back into a frame: one row per non-empty partition, in partition order.
  auto back = DataFrame::from_delayed(firsts, df.schema()).compute();
  const auto whole = df.compute();
  std::vector<std::int64_t> want;
  std::int64_t at = 0;
  for (const auto& n : compute(rows)) {
    if (n > 0)
      want.push_back(whole.column("a").values<std::int64_t>()[static_cast<std::size_t>(at)]);
    at += n;
  }
  const auto got = back.column("a").values<std::int64_t>();
  EXPECT_EQ(std::vector<std::int64_t>(got.begin(), got.end()), want);
  // A partition whose schema is not the one declared is a clear error.
  Schema wrong({{"a", DType::string}, {"b", DType::string}});
  EXPECT_THROW((void)DataFrame::from_delayed(firsts, wrong).compute(), Error);
}

TEST(DataFrame, SkipnaFalseMakesStatisticsOfColumnsWithNullsNull) {
  SharedDir dir;
  const std::string p = dir.file("n.csv", "a,b,c,d\n1,2.5,x,7\n,3.5,,8\n4,,y,9\n5,1.0,z,10\n");
  auto df = read_csv({p}, blocks(8));
  const std::vector<std::pair<std::string, std::string>> funcs = {
      {"a", "sum"}, {"a", "count"}, {"b", "max"}, {"b", "mean"}, {"c", "min"}, {"d", "sum"}};
  auto skip = df.agg(funcs);
  EXPECT_EQ(skip.column("a_sum").values<std::int64_t>()[0], 10);
  EXPECT_EQ(skip.column("b_max").values<double>()[0], 3.5);
  EXPECT_EQ(skip.column("c_min").string_at(0), "x");
  auto keep = df.agg(funcs, 1, false);
  EXPECT_FALSE(keep.column("a_sum").is_valid(0));
  EXPECT_EQ(keep.column("a_sum").type(), DType::float64);  // pandas: NaN
  EXPECT_EQ(keep.column("a_count").values<std::int64_t>()[0], 3);
  EXPECT_FALSE(keep.column("b_max").is_valid(0));
  EXPECT_FALSE(keep.column("b_mean").is_valid(0));
  EXPECT_FALSE(keep.column("c_min").is_valid(0));
  EXPECT_EQ(keep.column("c_min").type(), DType::string);
  EXPECT_EQ(keep.column("d_sum").values<std::int64_t>()[0], 34);  // no nulls: as with skipna
}

TEST(DataFrame, SkippedBadLinesAreCountedInFileOrder) {
  SharedDir dir;
  std::string text = "k,v\n";
  for (int i = 0; i < 40; ++i)
    text += i % 9 == 4 ? fmt::format("{},1,extra\n", i) : fmt::format("{},{}\n", i, i * 2);
  const std::string p = dir.file("bad.csv", text);
  ReadCsvOptions o;
  o.csv.on_bad_lines = BadLines::skip;
  o.blocksize = 24;
  csv::BadLineReport bad;
  auto t = read_csv({p}, o, bad).compute();
  EXPECT_EQ(t.rows(), 40u - 4u);  // rows 4, 13, 22 and 31 have a field too many
  ASSERT_EQ(bad.count, 4);
  EXPECT_EQ(bad.lines, (std::vector<std::int64_t>{6, 15, 24, 33}));  // header is line 1
  EXPECT_EQ(bad.messages[0], p + ":6:5: too many fields (expected 2, found 3); row skipped");
}

TEST(DataFrame, GzipFilesStreamIntoPartitionsAndMatchPlainText) {
  SharedDir dir;
  const std::string text = sample_csv(90);  // quoted fields with line breaks, nulls, unicode
  const std::string plain = dir.file("g.csv", text);
  dir.file("g2.csv", text);
  // Two members cut inside a row: the size the file announces is its second member's only.
  dir.file("head.part", text.substr(0, 1234));
  dir.file("tail.part", text.substr(1234));
  on_root(test::comm(), [&] {
    for (const char* f : {"g.csv", "g2.csv", "head.part", "tail.part"}) {
      const auto r = test::run(fmt::format("gzip -kc {0}/{1} > {0}/{1}.gz", dir.path, f));
      EXPECT_EQ(r.status, 0) << r.output;
    }
    const auto r = test::run(
        fmt::format("cat {0}/head.part.gz {0}/tail.part.gz > {0}/members.csv.gz", dir.path));
    EXPECT_EQ(r.status, 0) << r.output;
    // Cut short: a clear error, not rows made up.
    const auto t = test::run(fmt::format("head -c 700 {0}/g.csv.gz > {0}/short.csv.gz", dir.path));
    EXPECT_EQ(t.status, 0) << t.output;
  });
  test::comm().barrier();
  // Partitions of 16 bytes (a row per partition at most, rows longer than a partition), of a few
  // rows, and of the whole file; the schema comes from the inflated head only.
  for (std::int64_t blocksize : {16, 300, 1 << 20}) {
    ReadCsvOptions o;
    o.csv.sample_bytes = 200;
    o.blocksize = blocksize;
    auto gz = read_csv({dir.path + "/g*.csv.gz"}, o);
    EXPECT_EQ(gz.npartitions() > 2, blocksize < (1 << 20)) << blocksize;
    const auto want = render(read_csv({plain, dir.path + "/g2.csv"}, o).compute());
    EXPECT_EQ(render(gz.compute()), want) << blocksize;
    const auto one = render(read_csv({plain}, o).compute());
    EXPECT_EQ(render(read_csv({dir.path + "/members.csv.gz"}, o).compute()), one) << blocksize;
    try {
      (void)read_csv({dir.path + "/short.csv.gz"}, o).length();
      ADD_FAILURE() << "no error for a truncated file";
    } catch (const TaskError& e) {
      EXPECT_NE(e.message().find("short.csv.gz: truncated gzip data"), std::string::npos)
          << e.message();
    }
  }
}

TEST(DataFrame, WritesCsvPandasReadsBack) {
  SharedDir dir;
  const std::string p = dir.file("w.csv", sample_csv(120));
  auto df = read_csv({p}, blocks(500));
  df.to_csv(dir.path + "/out.csv");
  df.to_csv(dir.path + "/parts-*.csv");
  test::comm().barrier();
  auto back = read_csv({dir.path + "/out.csv"}).compute();
  EXPECT_EQ(render(back), render(df.compute()));
  auto parts = read_csv({dir.path + "/parts-*.csv"}).compute();
  EXPECT_EQ(render(parts), render(back));
  const std::string script = test::frame_test_dir() + "/frame_reference.py";
  const auto same = on_root(test::comm(), [&] {
    return test::run(std::string(PANDO_TEST_PYTHON) + " " + script + " same " + p + " " + dir.path +
                     "/out.csv")
        .output;
  });
  EXPECT_EQ(same, "same\n");
  // A failing partition leaves no file behind.
  auto failing = df.map_partitions(
      [](const Table& t) -> Table {
        if (t.rows() && t.column(0).values<std::int64_t>()[0] > 50) throw ValueError("boom");
        return t;
      },
      df.schema(), "fail");
  EXPECT_THROW(failing.to_csv(dir.path + "/never.csv"), TaskError);
  EXPECT_THROW(failing.to_csv(dir.path + "/never-*.csv"), TaskError);
  test::comm().barrier();
  for (const auto& e : std::filesystem::directory_iterator(dir.path))
    EXPECT_EQ(e.path().filename().string().find("never"), std::string::npos) << e.path();
}
