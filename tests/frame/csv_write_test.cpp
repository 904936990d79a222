// CSV writing: exact text for the rules, our own reader reading it back, and pandas reading it
// back unchanged (values and dtypes; and writing the same text again where pandas' rules and
// ours agree).

#include <pando/frame/csv.hpp>

#include <gtest/gtest.h>

#include "frame_test_util.hpp"

#include <cmath>
#include <filesystem>
#include <limits>
#include <random>

namespace fs = std::filesystem;
using namespace pando;
using namespace pando::csv;

TEST(CsvWrite, Text) {
  Table t(
      {"i", "f", "b", "s", "t", "name, \"q\""},
      {Column::from_values<std::int64_t>({1, -2, 3}, {true, true, false}),
       Column::from_values<double>({0.1, std::nan(""), 1e16}),
       Column::from_bools({true, false, false}, {true, true, false}),
       Column::from_strings({std::optional<std::string>("a,b"),
                             std::optional<std::string>("say \"hi\""),
                             std::optional<std::string>("two\nlines")}),
       Column::from_timestamps({1704412800000000000, 1704462300500000000, 0}, {true, true, false}),
       Column::from_strings(
           {std::optional<std::string>(""), std::nullopt, std::optional<std::string>("cr\r")})});
  EXPECT_EQ(to_csv(t),
            "i,f,b,s,t,\"name, \"\"q\"\"\"\n"
            "1,0.1,True,\"a,b\",2024-01-05 00:00:00.000,\n"
            "-2,,False,\"say \"\"hi\"\"\",2024-01-05 13:45:00.500,\n"
            ",1e+16,,\"two\nlines\",,\"cr\r\"\n");
  EXPECT_EQ(to_csv(t.select({"t"}).head(1), false), "2024-01-05\n");
  // One column: an empty field is written "" (else pandas sees a blank line and skips it).
  Table one({"s"}, {Column::from_strings({std::optional<std::string>("x"), std::nullopt,
                                          std::optional<std::string>("")})});
  EXPECT_EQ(to_csv(one), "s\nx\n\"\"\n\"\"\n");
  CsvOptions semi;
  semi.delimiter = ';';
  EXPECT_EQ(to_csv(Table({"a"}, {Column::from_strings(std::vector<std::string>{"x;y", "x,y"})}),
                   true, semi),
            "a\n\"x;y\"\nx,y\n");
  CsvOptions noquote;
  noquote.quote = '\0';
  EXPECT_THROW(to_csv(one, true, noquote), UsageError);
  EXPECT_EQ(to_csv(Table()), "");
  // Large tables arrive in chunks of about a megabyte.
  std::vector<std::int64_t> many(400000);
  for (std::size_t i = 0; i < many.size(); ++i) many[i] = static_cast<std::int64_t>(i) * 1000003;
  std::size_t chunks = 0, bytes = 0;
  write_csv(Table({"n"}, {Column::from_values(many)}), true, {}, [&](std::string_view c) {
    ++chunks;
    bytes += c.size();
    EXPECT_LE(c.size(), (1u << 20) + 4096);
  });
  EXPECT_GT(chunks, 2u);
  EXPECT_EQ(bytes, to_csv(Table({"n"}, {Column::from_values(many)})).size());
}

namespace {

// A random table of every type with awkward values: float extremes and the repr notation
// switch, int64 limits, timestamps of every precision, strings with delimiters, quotes, line
// breaks and unicode.
Table random_table(std::mt19937_64& rng, std::size_t n, bool nulls, bool with_float32) {
  auto valid = [&] {
    std::vector<bool> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = !nulls || rng() % 5 != 0;
    return v;
  };
  std::vector<std::int64_t> ints(n);
  for (auto& x : ints) {
    // With nulls pandas holds the column as float64: keep to integers it holds exactly.
    switch (nulls ? 2 : rng() % 4) {
      case 0:
        x = std::numeric_limits<std::int64_t>::max() - static_cast<std::int64_t>(rng() % 3);
        break;
      case 1:
        x = std::numeric_limits<std::int64_t>::min() + static_cast<std::int64_t>(rng() % 3);
        break;
      default:
        x = static_cast<std::int64_t>(rng() % 2000) - 1000;
    }
  }
  std::vector<double> floats(n);
  for (auto& x : floats) {
    switch (rng() % 8) {
      case 0:
        x = std::bit_cast<double>(rng());
        break;
      case 1:
        x = static_cast<double>(rng() % 100000) * std::pow(10.0, static_cast<int>(rng() % 40) - 20);
        break;
      case 2:
        x = 1e16 * (rng() % 2 ? 1 : -1);
        break;
      case 3:
        x = 9999999999999998.0;
        break;
      case 4:
        x = 0.0001;
        break;
      case 5:
        x = rng() % 2 ? -0.0 : 5e-324;
        break;
      case 6:
        x = rng() % 2 ? std::numeric_limits<double>::infinity()
                      : -std::numeric_limits<double>::infinity();
        break;
      default:
        x = static_cast<double>(static_cast<std::int64_t>(rng() % 100)) / 4;
    }
    if (std::isnan(x)) x = 1.5;
  }
  std::vector<bool> bools(n);
  for (std::size_t i = 0; i < n; ++i) bools[i] = rng() & 1;
  const std::int64_t units[] = {86400000000000, 1000000000, 1000000, 1000, 1};
  const std::int64_t unit = units[rng() % 5];
  std::vector<std::int64_t> ts(n);
  for (auto& x : ts) {
    x = static_cast<std::int64_t>(rng()) / unit * unit;
    if (x == std::numeric_limits<std::int64_t>::min()) x += unit;
  }
  static const char* pieces[] = {"a", "Z",    "7", " ",   ",",  "\"", "\n",
                                 "é", "日本", "🐼", "x y", "\t", ";"};
  std::vector<std::optional<std::string>> strings(n);
  auto v = valid();
  for (std::size_t i = 0; i < n; ++i) {
    if (!v[i]) continue;
    std::string s;
    do {
      s.clear();
      for (std::size_t k = 1 + rng() % 6; k-- > 0;) s += pieces[rng() % std::size(pieces)];
    } while (s.find_first_not_of(" \t") == std::string::npos ||
             std::find(default_na_values().begin(), default_na_values().end(), s) !=
                 default_na_values().end());
    strings[i] = s;
  }
  std::vector<std::string> names{"int", "float", "bool", "when", "text, \"quoted\""};
  std::vector<Column> cols{Column::from_values(ints, valid()), Column::from_values(floats, valid()),
                           Column::from_bools(bools, valid()), Column::from_timestamps(ts, valid()),
                           Column::from_strings(strings)};
  if (with_float32) {
    std::vector<float> f32(n);
    for (auto& x : f32) x = std::bit_cast<float>(static_cast<std::uint32_t>(rng()));
    for (auto& x : f32)
      if (!std::isfinite(x)) x = 0.1f;
    names.push_back("f32");
    cols.push_back(Column::from_values(f32, valid()));
  }
  return Table(names, cols);
}

std::string spec_json(const Table& t, bool compare_text) {
  std::string out = "{\"compare_text\": ";
  out += compare_text ? "true" : "false";
  out += ", \"columns\": [";
  for (std::size_t c = 0; c < t.num_columns(); ++c) {
    const Column& col = t.column(c);
    out += fmt::format("{}{{\"name\": {}, \"type\": \"{}\", \"values\": [", c ? ", " : "",
                       json_quote(t.schema()[c].name), to_string(col.type()));
    for (std::size_t i = 0; i < col.size(); ++i) {
      if (i) out += ", ";
      if (!col.is_valid(i)) {
        out += "null";
        continue;
      }
      switch (col.type()) {
        case DType::int64:
        case DType::timestamp:
          out += std::to_string(col.values<std::int64_t>()[i]);
          break;
        case DType::int32:
          out += std::to_string(col.values<std::int32_t>()[i]);
          break;
        case DType::boolean:
          out += col.values<std::uint8_t>()[i] ? "true" : "false";
          break;
        case DType::float32:
        case DType::float64: {
          double x = col.type() == DType::float64 ? col.values<double>()[i]
                                                  : static_cast<double>(col.values<float>()[i]);
          out += std::isnan(x)   ? "null"
                 : std::isinf(x) ? (x < 0 ? "-Infinity" : "Infinity")
                                 : format_double(x);
          break;
        }
        case DType::string:
          out += json_quote(col.string_at(i));
          break;
        case DType::uint64:  // arrays only
          break;
      }
    }
    out += "]}";
  }
  return out + "]}";
}

// Tables written for pandas to read back, checked in one Python run.
class PandasBatch {
 public:
  void add(const Table& t, const std::string& name, bool compare_text) {
    const std::string csv_path = test::temp_dir() + "/" + name + ".csv";
    const std::string spec_path = test::temp_dir() + "/" + name + ".json";
    test::write_file(csv_path, to_csv(t));
    test::write_file(spec_path, spec_json(t, compare_text));
    list_ += csv_path + "\t" + spec_path + "\n";
  }
  void check(const std::string& name) {
    const std::string path = test::temp_dir() + "/" + name + ".list";
    test::write_file(path, list_);
    auto r = test::pandas_check("roundtrip " + path);
    EXPECT_EQ(r.status, 0) << r.output;
  }

 private:
  std::string list_;
};

// Our reader, told the types, gives the same table back.
void expect_we_read_back(const Table& t, const CsvOptions& options = {}) {
  CsvOptions o = options;
  for (const auto& f : t.schema()) o.dtypes[f.name] = f.type;
  Table back = read_csv_text(to_csv(t, true, o), o, "back.csv");
  EXPECT_TRUE(back.equals(t)) << test::render(t) << "read back as\n" << test::render(back);
}

}  // namespace

TEST(CsvWrite, RandomTablesReadBackHereAndInPandas) {
  std::mt19937_64 rng(77);
  PandasBatch pandas;
  int k = 0;
  for (bool nulls : {false, true})
    for (std::size_t n : {1u, 7u, 150u}) {
      Table t = random_table(rng, n, nulls, false);
      expect_we_read_back(t);
      // pandas prints int64 with nulls as floats: compare the text only without nulls.
      pandas.add(t, fmt::format("random{}", k++), !nulls);
      Table f = random_table(rng, n, nulls, true);
      expect_we_read_back(f);
      pandas.add(f, fmt::format("random{}", k++), false);
      for (std::size_t c = 0; c < t.num_columns(); ++c) {
        Table one = t.select({t.schema()[c].name});
        expect_we_read_back(one);
        pandas.add(one, fmt::format("one{}", k++), !nulls);
      }
    }
  pandas.check("random");
}

// Every table of the corpus: written, then read back by us (same types) and by pandas.
TEST(CsvWrite, CorpusTablesReadBack) {
  PandasBatch pandas;
  for (const auto& e : fs::directory_iterator(test::csv_data_dir())) {
    if (e.path().extension() != ".csv") continue;
    const std::string name = e.path().stem().string();
    std::string expected = test::read_file((e.path().parent_path() / name).string() + ".expected");
    if (expected.rfind("options:", 0) == 0) continue;  // dialects of their own
    Table t;
    try {
      t = read_csv_text(test::read_file(e.path().string()), {}, name);
    } catch (const Error&) {
      continue;  // the error corpora
    }
    SCOPED_TRACE(name);
    expect_we_read_back(t);
    bool int_nulls = false, cr = false;
    for (std::size_t c = 0; c < t.num_columns(); ++c) {
      const Column& col = t.column(c);
      int_nulls |= col.type() == DType::int64 && col.null_count() > 0;
      if (col.type() == DType::string)
        for (std::size_t i = 0; i < col.size(); ++i)
          cr |= col.string_at(i).find('\r') != std::string_view::npos;
    }
    if (t.rows() == 0) continue;  // pandas cannot tell types of empty columns from text
    pandas.add(t, "corpus_" + name, !int_nulls && !cr);
  }
  pandas.check("corpus");
}
