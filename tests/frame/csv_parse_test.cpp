// CSV header, inference and parse_rows beyond the corpus: the API as the distributed reader
// uses it (sample vs whole file, line numbers of later ranges, widening across partitions),
// and the exact error messages.

#include <pando/core/serialize.hpp>
#include <pando/frame/csv.hpp>

#include <gtest/gtest.h>

#include "frame_test_util.hpp"
#include "timestamp_edges.hpp"

#include <fmt/format.h>

#include <cmath>

using namespace pando;
using namespace pando::csv;
using test::render;

namespace {

std::string what(auto&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

Table parse(std::string_view rows, const Schema& s, const CsvOptions& o = {},
            std::int64_t line = 2) {
  BadLineReport bad;
  return parse_rows(rows, line, s, o, "f.csv", bad);
}

}  // namespace

TEST(CsvHeader, Rules) {
  auto h = read_header("\xEF\xBB\xBF\n\n\"id\",\"a,b\",\"q\"\"\"\n1,2,3\n", true, {}, "h.csv");
  EXPECT_EQ(h.names, (std::vector<std::string>{"id", "a,b", "q\""}));
  EXPECT_EQ(h.data_begin, 22);
  EXPECT_EQ(h.data_first_line, 4);
  auto m = read_header("\"multi\nline\",b\n1,2\n", true, {}, "h.csv");
  EXPECT_EQ(m.names[0], "multi\nline");
  EXPECT_EQ(m.data_first_line, 3);
  CsvOptions nh;
  nh.header = false;
  auto n = read_header("1,2,3\n", true, nh, "h.csv");
  EXPECT_EQ(n.names, (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(n.data_begin, 0);
  EXPECT_EQ(what([] { read_header("a,b,c,d", false, {}, "big.csv"); }),
            "big.csv:1: the header row does not end in the first 7 bytes");
  EXPECT_EQ(what([] { read_header("a,\"b\n", true, {}, "h.csv"); }),
            "h.csv:1:3: unterminated quoted field: the quote opened here is not closed before the "
            "end of the file");
}

TEST(CsvInfer, FromASampleOfTheFile) {
  // The last row of the sample is cut ("3.") and ignored: b stays int64.
  std::string text = "a,b,c\n1,2,x\n2,3,\n3.5,4";
  auto h = read_header(text, false, {}, "s.csv");
  Schema s = infer_schema(text.substr(0, text.size() - 2), false, h, {}, "s.csv");
  EXPECT_EQ(s.to_string(), "a: int64, b: int64, c: string");
  Schema whole = infer_schema(text, true, h, {}, "s.csv");
  EXPECT_EQ(whole.to_string(), "a: float64, b: int64, c: string");
  CsvOptions o;
  o.dtypes["b"] = DType::float32;
  EXPECT_EQ(infer_schema(text, true, h, o, "s.csv")[1].type, DType::float32);
  o.dtypes["nope"] = DType::int64;
  EXPECT_EQ(what([&] { infer_schema(text, true, h, o, "s.csv"); }),
            "s.csv: dtype names column 'nope', which the file does not have; its columns are "
            "'a', 'b', 'c'");
  CsvOptions u;
  u.usecols = {"c", "zz"};
  EXPECT_EQ(what([&] { infer_schema(text, true, h, u, "s.csv"); }),
            "s.csv: usecols names column 'zz', which the file does not have; its columns are "
            "'a', 'b', 'c'");
  u.usecols = {"c", "a"};
  EXPECT_EQ(selected_schema(whole, u).to_string(), "a: float64, c: string");
}

TEST(CsvParse, LineNumbersOfALaterRange) {
  Schema s{{"id", DType::int64}, {"qty", DType::int64}};
  // These rows start at line 10002 of the file. Messages stay on one line.
  EXPECT_EQ(what([&] { parse("1,2\n\"x\ny\",3\n4,n.a.\n", s, {}, 10002); }),
            "f.csv:10003:1: cannot read \"x\\ny\" as int64 (column 'id'); hint: --na-values "
            "\"x\\ny\" or --dtype id=string");
  EXPECT_EQ(what([&] { parse("1,2\n\"2\",3\n4,  n.a.\n", s, {}, 10002); }),
            "f.csv:10004:3: cannot read \"  n.a.\" as int64 (column 'qty'); hint: --na-values "
            "\"  n.a.\" or --dtype qty=string");
  // "n/a" is null by default; the first example of frame/csv/parse.hpp without that.
  CsvOptions no_defaults;
  no_defaults.na_values = {""};
  EXPECT_EQ(what([&] { parse("1,n/a\n", s, no_defaults); }),
            "f.csv:2:3: cannot read \"n/a\" as int64 (column 'qty'); hint: --na-values n/a or "
            "--dtype qty=string");
  EXPECT_EQ(what([&] { parse("1,2\r\n3,4,5\r\n", s, {}, 7); }),
            "f.csv:8:5: too many fields (expected 2, found 3); hint: --on-bad-lines skip or "
            "--on-bad-lines warn");
  // The column counts characters, not bytes.
  Schema t{{"name", DType::string}, {"n", DType::int64}};
  EXPECT_EQ(what([&] { parse("日本語,x\n", t); }),
            "f.csv:2:5: cannot read \"x\" as int64 (column 'n'); hint: --na-values x or --dtype "
            "n=string");
  EXPECT_EQ(what([&] { parse("1,99999999999999999999\n", s); }),
            "f.csv:2:3: integer \"99999999999999999999\" does not fit in int64 (column 'qty'); "
            "hint: --dtype qty=float64 or --dtype qty=string");
  EXPECT_EQ(what([&] { parse("1,caf\xe9\n", s); }),
            "f.csv:2:3: cannot read \"caf\\xe9\" as int64 (column 'qty'); hint: --na-values "
            "\"caf\\xe9\" or --dtype qty=string");
  std::string long_text(100, 'z');
  EXPECT_EQ(what([&] { parse("1," + long_text + "\n", s); }),
            "f.csv:2:3: cannot read \"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...\" as int64 "
            "(column 'qty'); hint: --dtype qty=string");
}

TEST(CsvParse, ShiftedRowIsABadLineNotABadValue) {
  // "x,y" unquoted shifts the row: the real problem is the extra field.
  Schema s{{"name", DType::string}, {"n", DType::int64}};
  EXPECT_EQ(what([&] { parse("a,1\nx,y,2\n", s); }),
            "f.csv:3:5: too many fields (expected 2, found 3); hint: --on-bad-lines skip or "
            "--on-bad-lines warn");
  CsvOptions skip;
  skip.on_bad_lines = BadLines::skip;
  BadLineReport bad;
  Table t = parse_rows("a,1\nx,y,2\nb,3\n", 2, s, skip, "f.csv", bad);
  EXPECT_EQ(render(t), "schema: \"name\":string, \"n\":int64\n[\"a\", 1]\n[\"b\", 3]\n");
  EXPECT_EQ(bad.count, 1);
  EXPECT_EQ(bad.lines, (std::vector<std::int64_t>{3}));
  EXPECT_EQ(bad.messages[0], "f.csv:3:5: too many fields (expected 2, found 3); row skipped");
}

TEST(CsvParse, WideningAcrossPartitions) {
  Schema s{{"id", DType::int64}, {"v", DType::int64}};
  Table a = parse("1,10\n2,20\n", s);
  Table b = parse("3,2.5\n4,\n5,7\n", s);
  EXPECT_EQ(b.schema().to_string(), "id: int64, v: float64");
  EXPECT_EQ(render(b), "schema: \"id\":int64, \"v\":float64\n[3, 2.5]\n[4, null]\n[5, 7.0]\n");
  std::vector<Schema> parts{a.schema(), b.schema()};
  Schema u = unify_schemas(parts);
  EXPECT_EQ(u.to_string(), "id: int64, v: float64");
  EXPECT_EQ(widened_columns(s, u), (std::vector<std::string>{"v"}));
  std::vector<Table> tables{a.cast(u), b};
  EXPECT_EQ(Table::concat(tables).rows(), 5u);
  // Not for an explicit dtype, nor when widening is off.
  CsvOptions o;
  o.dtypes["v"] = DType::int64;
  EXPECT_EQ(what([&] { parse("3,2.5\n", s, o); }),
            "f.csv:2:3: cannot read \"2.5\" as int64 (column 'v'); hint: --dtype v=float64");
  CsvOptions off;
  off.allow_widening = false;
  EXPECT_EQ(what([&] { parse("3,2.5\n", s, off); }),
            "f.csv:2:3: cannot read \"2.5\" as int64 (column 'v', inferred from the first 65536 "
            "bytes); hint: --dtype v=float64");
  std::vector<Schema> clash{Schema{{"a", DType::int64}}, Schema{{"a", DType::string}}};
  EXPECT_EQ(what([&] { unify_schemas(clash); }),
            "column 'a' is int64 in one partition and string in partition 1");
}

// The parser sizes its columns from the first 64 KiB; when the rows after it are much shorter,
// the columns grow while being filled, and every value written before must survive the move.
TEST(CsvParse, RowsBeyondTheSampledEstimateKeepTheirValues) {
  std::string text = "n,f,s,c,b\n";
  constexpr int long_rows = 1500, rows = 61'500;
  auto s_of = [](int i) {
    return i < long_rows ? fmt::format("s{:0>200}", i) : fmt::format("s{}", i);
  };
  for (int i = 0; i < rows; ++i)
    text += fmt::format("{},{},{},{},{}\n", i, i % 7 == 0 ? "" : fmt::format("{}.5", i), s_of(i),
                        "xyz"[i % 3], i % 2 ? "True" : "False");
  const Table t = read_csv_text(text, {}, "grow.csv");
  ASSERT_EQ(t.rows(), static_cast<std::size_t>(rows));
  ASSERT_EQ(t.schema().to_string(), "n: int64, f: float64, s: string, c: string, b: bool");
  const auto n = t.column("n").values<std::int64_t>();
  const auto& f = t.column("f");
  const auto b = t.column("b").values<std::uint8_t>();
  for (int i = 0; i < rows; ++i) {
    const auto r = static_cast<std::size_t>(i);
    ASSERT_EQ(n[r], i) << "row " << i;
    ASSERT_EQ(f.is_valid(r), i % 7 != 0) << "row " << i;
    if (i % 7) {
      ASSERT_EQ(f.values<double>()[r], i + 0.5) << "row " << i;
    }
    ASSERT_EQ(std::string(t.column("s").string_at(r)), s_of(i)) << "row " << i;
    ASSERT_EQ(std::string(t.column("c").string_at(r)), std::string(1, "xyz"[i % 3])) << "row " << i;
    ASSERT_EQ(b[r], i % 2) << "row " << i;
  }
}

TEST(CsvParse, TypesAndNulls) {
  Schema s{{"i", DType::int32}, {"f", DType::float32}, {"d", DType::float64}, {"s", DType::string}};
  Table t = parse(" 7 ,+1.5,nan,\n-2147483648,1e-5,inf,\"\"\n,NA,-nan,NA\n", s);
  EXPECT_EQ(render(t),
            "schema: \"i\":int32, \"f\":float32, \"d\":float64, \"s\":string\n"
            "[7, 1.5, null, null]\n"
            "[-2147483648, 1e-05, inf, null]\n"
            "[null, null, null, null]\n");
  EXPECT_THROW(parse("2147483648,1,1,x\n", s), ParseError);
  // Without "nan" among the null texts it is a NaN value, not a null.
  CsvOptions o;
  o.na_values = {""};
  Table n = parse("1,1,nan,NA\n", s, o);
  EXPECT_TRUE(n.column("d").is_valid(0));
  EXPECT_TRUE(std::isnan(n.column("d").values<double>()[0]));
  EXPECT_EQ(n.column("s").string_at(0), "NA");
  // Long fields (past the 16-byte search) and escapes.
  Schema w{{"a", DType::string}, {"b", DType::int64}};
  CsvOptions esc;
  esc.escape = '\\';
  std::string long_field(50, 'q');
  Table e = parse(long_field + "\\," + long_field + ",5\n", w, esc);
  EXPECT_EQ(e.column("a").string_at(0), long_field + "," + long_field);
}

// Texts at the edges of pandas' range and on leap days read as core and the expression language
// read them (tests/support/timestamp_edges.hpp), in an inferred and in a declared column, and a
// column of one such value is written back as its text. A text pandas refuses makes an inferred
// column strings (as in pandas) and a declared one an error.
TEST(CsvParse, TimestampEdgesReadAsEverywhere) {
  CsvOptions declared;
  declared.dtypes["t"] = DType::timestamp;
  std::string all = "t\n";
  std::vector<std::int64_t> want;
  for (const auto& e : test::timestamp_edges()) {
    SCOPED_TRACE(e.text);
    const std::string text = fmt::format("t\n{}\n", e.text);
    const Table inferred = read_csv_text(text, {}, "edge.csv");
    if (!e.ns) {
      EXPECT_EQ(inferred.column("t").type(), DType::string);
      EXPECT_NE(what([&] {
                  (void)read_csv_text(text, declared, "edge.csv");
                }).find(fmt::format("edge.csv:2:1: cannot read \"{}\" as timestamp", e.text)),
                std::string::npos);
      continue;
    }
    ASSERT_EQ(inferred.column("t").type(), DType::timestamp);
    EXPECT_EQ(inferred.column("t").values<std::int64_t>()[0], *e.ns);
    const Table t = read_csv_text(text, declared, "edge.csv");
    EXPECT_EQ(t.column("t").values<std::int64_t>()[0], *e.ns);
    EXPECT_EQ(to_csv(t), text);
    all += fmt::format("{}\n", e.text);
    want.push_back(*e.ns);
  }
  // All in one column: rows of one date after another through the fast path's date cache.
  const Table t = read_csv_text(all, {}, "edges.csv");
  ASSERT_EQ(t.column("t").type(), DType::timestamp);
  auto got = t.column("t").values<std::int64_t>();
  EXPECT_EQ(std::vector<std::int64_t>(got.begin(), got.end()), want);
}

TEST(CsvParse, BadLineReportKeepsTheFirstFew) {
  Schema s{{"a", DType::int64}};
  CsvOptions skip;
  skip.on_bad_lines = BadLines::skip;
  std::string rows;
  for (int i = 0; i < 30; ++i) rows += i % 2 ? "1,2\n" : "3\n";
  BadLineReport bad;
  Table t = parse_rows(rows, 2, s, skip, "f.csv", bad);
  EXPECT_EQ(t.rows(), 15u);
  EXPECT_EQ(bad.count, 15);
  ASSERT_EQ(bad.lines.size(), BadLineReport::max_kept);
  EXPECT_EQ(bad.lines[0], 3);
  EXPECT_EQ(bad.lines[9], 21);
  BadLineReport total;
  total.merge(bad);
  total.merge(bad);
  EXPECT_EQ(total.count, 30);
  EXPECT_EQ(total.lines.size(), BadLineReport::max_kept);
}

TEST(CsvParse, OptionsAreChecked) {
  CsvOptions o;
  o.delimiter = '\n';
  EXPECT_THROW(o.validate(), UsageError);
  o.delimiter = ',';
  o.quote = ',';
  EXPECT_EQ(what([&] { o.validate(); }), "the CSV quote character and the delimiter are both ','");
  o.quote = '"';
  o.escape = '"';
  EXPECT_THROW(o.validate(), UsageError);
  o.escape = '\0';
  o.dtypes["n"] = DType::uint64;  // arrays only
  EXPECT_EQ(what([&] { o.validate(); }),
            "dtype of column 'n': frames hold int64, float64, bool, string or timestamp columns, "
            "not uint64");
}

// Options and schemas travel in the graph's metadata (Boost.Serialization).
TEST(CsvParse, OptionsAndSchemasSerialize) {
  CsvOptions o;
  o.delimiter = ';';
  o.escape = '\\';
  o.usecols = {"a", "b"};
  o.dtypes["a"] = DType::timestamp;
  o.on_bad_lines = BadLines::warn;
  o.na_values = {"x"};
  CsvOptions back = from_bytes<CsvOptions>(to_bytes(o));
  EXPECT_EQ(back.delimiter, ';');
  EXPECT_EQ(back.escape, '\\');
  EXPECT_EQ(back.usecols, o.usecols);
  EXPECT_EQ(back.dtypes, o.dtypes);
  EXPECT_EQ(back.on_bad_lines, BadLines::warn);
  EXPECT_EQ(back.na_values, o.na_values);
  Schema s{{"a", DType::int64}, {"b", DType::string}};
  EXPECT_TRUE(from_bytes<Schema>(to_bytes(s)) == s);
  // The stage results that travel between tasks.
  std::string text = "a,b\n1,\"x\ny\"\n";
  RangeBytes rb{text, 0, 4, 12, true, true};
  RangeScan scan = scan_range(rb, {}, "s.csv");
  RangeScan scan2 = from_bytes<RangeScan>(to_bytes(scan));
  EXPECT_EQ(scan2.scan_end, scan.scan_end);
  EXPECT_EQ(scan2.outside.first_row, scan.outside.first_row);
  EXPECT_EQ(scan2.inside.ends_in_quotes, scan.inside.ends_in_quotes);
  std::vector<RangeScan> scans{scan};
  auto rows = from_bytes<std::vector<RowRange>>(to_bytes(resolve_ranges(scans, 2)));
  EXPECT_EQ(rows.at(0).end, 12);
  CsvHeader h = from_bytes<CsvHeader>(to_bytes(read_header(text, true, {}, "s.csv")));
  EXPECT_EQ(h.names, (std::vector<std::string>{"a", "b"}));
  BadLineReport bad;
  bad.count = 3;
  bad.lines = {7};
  bad.messages = {"m"};
  EXPECT_EQ(from_bytes<BadLineReport>(to_bytes(bad)).lines, bad.lines);
}

// String columns are dictionary-encoded while few of their rows bring a new value; the values
// are those of the plain parse in every case, including a column that turns plain midway, nulls,
// quoted fields and skipped bad rows.
TEST(CsvParse, DictionaryEncodesStringsWhileItPays) {
  std::string text;
  const char* cats[] = {"books", "\"gar,den\"", "", "toys", "caf\xC3\xA9"};
  for (int i = 0; i < 20000; ++i) {
    // `late`: few values for 9000 rows, then a new one on every row.
    const std::string late = i < 9000 ? fmt::format("{}", i % 7) : fmt::format("u{}", i);
    text += fmt::format("{},{},k{}\n", cats[i % 5], late, i);
    if (i == 100) text += "too,many,fields,here\n";
  }
  const Schema s({{"cat", DType::string}, {"late", DType::string}, {"key", DType::string}});
  CsvOptions skip;
  skip.on_bad_lines = BadLines::skip;
  CsvOptions plain = skip;
  plain.dictionary_strings = false;
  const Table t = parse(text, s, skip);
  const Table want = parse(text, s, plain);
  ASSERT_EQ(t.rows(), 20000u);
  EXPECT_TRUE(t.column("cat").is_dictionary());
  EXPECT_FALSE(t.column("late").is_dictionary());
  EXPECT_FALSE(t.column("key").is_dictionary());
  EXPECT_FALSE(want.column("cat").is_dictionary());
  EXPECT_EQ(t.column("cat").dictionary().size(), 4u);  // "" is null
  EXPECT_EQ(t.column("cat").null_count(), 4000u);
  for (const char* c : {"cat", "late", "key"}) EXPECT_TRUE(t.column(c).equals(want.column(c))) << c;
  // A partition too short to tell stays plain.
  EXPECT_FALSE(parse("a\nb\n", Schema({{"x", DType::string}}), skip).column("x").is_dictionary());
}
