// frame/text: value formatting checked against Python (repr), numpy and pandas themselves.

#include <pando/frame/text.hpp>

#include <gtest/gtest.h>

#include "frame_test_util.hpp"
#include "timestamp_edges.hpp"

#include <bit>
#include <cmath>
#include <limits>
#include <random>

using namespace pando;

TEST(Text, FormatDoubleLikePythonRepr) {
  EXPECT_EQ(format_double(1.0), "1.0");
  EXPECT_EQ(format_double(0.1), "0.1");
  EXPECT_EQ(format_double(1e16), "1e+16");
  EXPECT_EQ(format_double(1e15), "1000000000000000.0");
  EXPECT_EQ(format_double(1e-05), "1e-05");
  EXPECT_EQ(format_double(0.0001), "0.0001");
  EXPECT_EQ(format_double(123456789.0), "123456789.0");
  EXPECT_EQ(format_double(1.2345678901234568e+17), "1.2345678901234568e+17");
  EXPECT_EQ(format_double(-0.0), "-0.0");
  EXPECT_EQ(format_double(0.0), "0.0");
  EXPECT_EQ(format_double(1.5e300), "1.5e+300");
  EXPECT_EQ(format_double(5e-324), "5e-324");
  EXPECT_EQ(format_double(std::nan("")), "nan");
  EXPECT_EQ(format_double(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(format_double(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(format_double(1.0000000000000002e+16), "1.0000000000000002e+16");
  EXPECT_EQ(format_double(9999999999999998.0), "9999999999999998.0");
  EXPECT_EQ(format_float(0.1f), "0.1");
  EXPECT_EQ(format_float(1e16f), "1e+16");
  EXPECT_EQ(format_float(3.4028235e38f), "3.4028235e+38");
}

// 200,000 doubles (random bit patterns, random decimals of every magnitude, integers near the
// notation switch) formatted here and by Python's repr.
TEST(Text, FormatDoubleAgreesWithPythonOnManyValues) {
  std::mt19937_64 rng(42);
  std::string lines;
  auto add = [&](double v) {
    lines += fmt::format("{:016x} {}\n", __builtin_bswap64(std::bit_cast<std::uint64_t>(v)),
                         format_double(v));
  };
  for (int i = 0; i < 100000; ++i) add(std::bit_cast<double>(rng()));
  std::uniform_int_distribution<int> exp10(-30, 30), digits(1, 17);
  for (int i = 0; i < 80000; ++i) {
    std::uint64_t m = rng() % 100000000000000000ull;
    add(static_cast<double>(m) * std::pow(10.0, exp10(rng)));
  }
  for (int e = -8; e <= 20; ++e)
    for (double base : {1.0, 1.5, 9.999999, 123.456, 7.0}) {
      add(base * std::pow(10.0, e));
      add(-base * std::pow(10.0, e));
    }
  for (std::int64_t k = 1; k < 20000; k += 7) add(static_cast<double>(k) * 1e12);
  const std::string path = test::temp_dir() + "/doubles.txt";
  test::write_file(path, lines);
  auto r = test::pandas_check("doubles " + path);
  EXPECT_EQ(r.status, 0) << r.output;
}

TEST(Text, FormatFloatAgreesWithNumpy) {
  std::mt19937 rng(7);
  std::string lines;
  for (int i = 0; i < 50000; ++i) {
    float v = std::bit_cast<float>(static_cast<std::uint32_t>(rng()));
    if (std::isnan(v)) continue;  // numpy prints "nan" too, but payloads are not interesting
    std::uint32_t bits = std::bit_cast<std::uint32_t>(v);
    lines += fmt::format("{:08x} {}\n", __builtin_bswap32(bits), format_float(v));
  }
  for (float v : {0.1f, 1e-5f, 1e-4f, 1e16f, 1e15f, 123456.7f, -0.0f}) {
    lines += fmt::format("{:08x} {}\n", __builtin_bswap32(std::bit_cast<std::uint32_t>(v)),
                         format_float(v));
  }
  const std::string path = test::temp_dir() + "/floats.txt";
  test::write_file(path, lines);
  auto r = test::pandas_check("floats " + path);
  EXPECT_EQ(r.status, 0) << r.output;
}

TEST(Text, ParseNumbers) {
  EXPECT_EQ(parse_int64("9223372036854775807"), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(parse_int64("-9223372036854775808"), std::numeric_limits<std::int64_t>::min());
  EXPECT_FALSE(parse_int64("9223372036854775808"));
  EXPECT_FALSE(parse_int64("-9223372036854775809"));
  EXPECT_FALSE(parse_int64("99999999999999999999999"));
  EXPECT_EQ(parse_int64("+5"), 5);
  EXPECT_EQ(parse_int64("007"), 7);
  EXPECT_FALSE(parse_int64(""));
  EXPECT_FALSE(parse_int64("-"));
  EXPECT_FALSE(parse_int64("1 "));
  EXPECT_FALSE(parse_int64("1.0"));
  EXPECT_EQ(parse_double("1e5"), 1e5);
  EXPECT_EQ(parse_double(".5"), 0.5);
  EXPECT_EQ(parse_double("5."), 5.0);
  EXPECT_EQ(parse_double("+1.5"), 1.5);
  EXPECT_EQ(parse_double("-Infinity"), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(*parse_double("nan")));
  EXPECT_FALSE(parse_double("+-1"));
  EXPECT_FALSE(parse_double("1e"));
  EXPECT_FALSE(parse_double("0x10"));
  EXPECT_FALSE(parse_double(""));
  EXPECT_EQ(parse_double("0.1"), 0.1);
  EXPECT_EQ(parse_double("2.2250738585072011e-308"), 2.2250738585072011e-308);
  EXPECT_EQ(parse_bool("TRUE"), true);
  EXPECT_EQ(parse_bool("false"), false);
  EXPECT_FALSE(parse_bool("1"));
  EXPECT_FALSE(parse_bool("yes"));
  EXPECT_FALSE(parse_bool(" True"));
}

// Whole columns of timestamps formatted with the column's common precision, as pandas'
// to_csv writes them, over random values in the whole datetime64[ns] range.
TEST(Text, TimestampColumnsAgreeWithPandas) {
  std::mt19937_64 rng(3);
  std::string lines;
  auto column = [&](std::vector<std::optional<std::int64_t>> v) {
    TimePrecision p = TimePrecision::date;
    for (auto x : v)
      if (x) p = std::max(p, timestamp_precision(*x));
    char buf[max_formatted_chars];
    for (auto x : v)
      lines += x ? fmt::format("{} {}\n", *x, std::string(buf, format_timestamp(*x, p, buf)))
                 : std::string("null \n");
    lines += "\n";
  };
  const std::int64_t day = 86400000000000;
  for (std::int64_t unit : {day, std::int64_t{1000000000}, std::int64_t{1000000},
                            std::int64_t{1000}, std::int64_t{1}}) {
    for (int k = 0; k < 40; ++k) {
      std::vector<std::optional<std::int64_t>> v;
      for (int i = 0; i < 25; ++i) {
        std::int64_t x = static_cast<std::int64_t>(rng()) / unit * unit;
        if (x == std::numeric_limits<std::int64_t>::min()) x += unit;  // NaT in pandas
        if (rng() % 7 == 0)
          v.push_back(std::nullopt);
        else
          v.push_back(x);
      }
      column(v);
    }
  }
  column({std::nullopt, std::nullopt});
  column({-day, 0, day});
  const std::string path = test::temp_dir() + "/timestamps.txt";
  test::write_file(path, lines);
  auto r = test::pandas_check("timestamps " + path);
  EXPECT_EQ(r.status, 0) << r.output;
}

TEST(Text, ParseTimestampAgreesWithPandas) {
  std::mt19937_64 rng(11);
  std::string lines;
  auto add = [&](const std::string& s) {
    auto v = parse_timestamp(s);
    lines += fmt::format("{}\t{}\n", s, v ? std::to_string(*v) : "none");
  };
  for (int i = 0; i < 3000; ++i) {
    int y = 1678 + static_cast<int>(rng() % 584), m = 1 + static_cast<int>(rng() % 12),
        d = 1 + static_cast<int>(rng() % 28);
    int hh = static_cast<int>(rng() % 24), mm = static_cast<int>(rng() % 60),
        ss = static_cast<int>(rng() % 60);
    int digits = static_cast<int>(rng() % 10);
    std::string frac;
    for (int k = 0; k < digits; ++k) frac += static_cast<char>('0' + rng() % 10);
    switch (rng() % 4) {
      case 0:
        add(fmt::format("{:04}-{:02}-{:02}", y, m, d));
        break;
      case 1:
        add(fmt::format("{:04}-{:02}-{:02} {:02}:{:02}", y, m, d, hh, mm));
        break;
      case 2:
        add(fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", y, m, d, hh, mm, ss));
        break;
      default:
        add(fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}{}{}", y, m, d, hh, mm, ss,
                        digits ? "." : "", frac));
    }
  }
  for (const char* s : {"1969-12-31 23:59:59.999999999", "1900-02-28", "2000-02-29", "1970-01-01"})
    add(s);
  for (const auto& e : test::timestamp_edges()) add(std::string(e.text));
  const std::string path = test::temp_dir() + "/parse_ts.txt";
  test::write_file(path, lines);
  auto r = test::pandas_check("parse-timestamps " + path);
  EXPECT_EQ(r.status, 0) << r.output;
}

TEST(Text, CsvQuotingIsMinimal) {
  std::string out;
  append_csv_field(out, "plain", ',', '"');
  out += '|';
  append_csv_field(out, "a,b", ',', '"');
  out += '|';
  append_csv_field(out, "say \"hi\"", ',', '"');
  out += '|';
  append_csv_field(out, "two\nlines", ',', '"');
  out += '|';
  append_csv_field(out, "cr\rhere", ',', '"');
  out += '|';
  append_csv_field(out, " spaces ", ',', '"');
  out += '|';
  append_csv_field(out, "a;b", ';', '"');
  EXPECT_EQ(out, "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"two\nlines\"|\"cr\rhere\"| spaces |\"a;b\"");
}

TEST(Text, Utf8) {
  EXPECT_TRUE(is_valid_utf8("plain ascii, long enough for the word loop"));
  EXPECT_TRUE(is_valid_utf8("Zürich 東京 🐼"));
  EXPECT_EQ(valid_utf8_prefix("caf\xe9"), 3u);
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe6\x97"));          // truncated
  EXPECT_EQ(utf8_length("Zürich"), 6u);
}
