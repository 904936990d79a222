// Evaluation of strings, timestamps, nulls and choices (isna, fillna, where, isin, between)
// against plain serial reference loops.

#include "expr_test_util.hpp"

#include <pando/core/error.hpp>
#include <pando/core/timestamp.hpp>

#include "timestamp_edges.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>

using namespace pando::expr;
using namespace pando::expr::test;
using pando::DType;
using pando::dtype_of;
using pando::ns_per_day;
using pando::ns_per_second;
using B = std::optional<std::uint8_t>;

namespace {

// Random UTF-8 strings from characters of 1 to 4 bytes, with their lengths in code points.
struct Strings {
  std::vector<std::string> values;
  std::vector<std::int64_t> code_points;
};

Strings random_strings(std::size_t n, std::uint64_t seed) {
  static const char* chars[] = {"a",
                                "b",
                                "A",
                                "Z",
                                " ",
                                "x",
                                "\xc3\xa9" /* é */,
                                "\xc3\x9f" /* ß */,
                                "\xe6\x97\xa5" /* 日 */,
                                "\xf0\x9f\x98\x80" /* 😀 */};
  std::mt19937_64 rng(seed);
  Strings s;
  for (std::size_t i = 0; i < n; ++i) {
    std::string v;
    const std::size_t len = rng() % 7;  // includes empty strings
    for (std::size_t k = 0; k < len; ++k) v += chars[rng() % 10];
    if (i % 11 == 0) v = "ab";  // repeats, to compare equal
    s.values.push_back(v);
    s.code_points.push_back(static_cast<std::int64_t>(i % 11 == 0 ? 2 : len));
  }
  return s;
}

std::string ascii_case(std::string s, bool upper) {
  for (char& c : s) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return s;
}

std::vector<std::uint8_t> random_bools(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = rng() % 2;
  return v;
}

}  // namespace

TEST(EvalStrings, CompareTestAndMeasure) {
  for (std::size_t n : sizes) {
    for (Nulls ns : null_modes) {
      Strings a = random_strings(n, 1), b = random_strings(n, 2);
      Table t;
      t.add("s", Column::strings(a.values).nulls(ns, 3));
      t.add("t", Column::strings(b.values).nulls(Nulls::some, 4));
      t.add("one", Column::strings({"ab"}));
      const Column &s = t["s"], &u = t["t"];
      SCOPED_TRACE(testing::Message() << "n=" << n << " " << to_string(ns));
      const std::pair<const char*, std::function<bool(int)>> ops[] = {
          {"==", [](int c) { return c == 0; }}, {"!=", [](int c) { return c != 0; }},
          {"<", [](int c) { return c < 0; }},   {"<=", [](int c) { return c <= 0; }},
          {">", [](int c) { return c > 0; }},   {">=", [](int c) { return c >= 0; }}};
      for (const auto& [op, holds] : ops) {
        const std::string o = op;
        const std::uint8_t on_null = o == "!=";
        auto vv = [&, holds = holds](std::size_t i) -> B {
          if (!s.valid(i) || !u.valid(i)) return on_null;
          return holds(s.str(i).compare(u.str(i)));  // bytewise, as unsigned chars
        };
        auto vl = [&, holds = holds](std::size_t i) -> B {
          if (!s.valid(i)) return on_null;
          return holds(s.str(i).compare("ab"));
        };
        auto lv = [&, holds = holds](std::size_t i) -> B {
          if (!u.valid(i)) return on_null;
          return holds(std::string("\xc3\xa9").compare(u.str(i)));
        };
        EXPECT_TRUE(matches<std::uint8_t>(t.run("s " + o + " t", n), n, vv)) << o;
        EXPECT_TRUE(matches<std::uint8_t>(t.run("s " + o + " 'ab'", n), n, vl)) << o;
        EXPECT_TRUE(matches<std::uint8_t>(t.run("s " + o + " one", n), n, vl)) << o;
        EXPECT_TRUE(matches<std::uint8_t>(t.run("'\xc3\xa9' " + o + " t", n), n, lv)) << o;
      }
      auto test = [&](std::string_view text, auto pred) {
        EXPECT_TRUE(matches<std::uint8_t>(t.run(text, n), n, [&](std::size_t i) -> B {
          if (!s.valid(i)) return 0;
          return pred(s.str(i));
        })) << text;
      };
      test("contains(s, '\xc3\xa9')",
           [](const std::string& v) { return v.find("\xc3\xa9") != std::string::npos; });
      test("contains(s, 'ab')",
           [](const std::string& v) { return v.find("ab") != std::string::npos; });
      test("contains(s, '')", [](const std::string&) { return true; });
      test("startswith(s, 'a')", [](const std::string& v) { return v.rfind("a", 0) == 0; });
      test("endswith(s, '\xf0\x9f\x98\x80')", [](const std::string& v) {
        return v.size() >= 4 && v.compare(v.size() - 4, 4, "\xf0\x9f\x98\x80") == 0;
      });
      test("isin(s, 'ab', '', 'x', 'nope')",
           [](const std::string& v) { return v == "ab" || v.empty() || v == "x"; });
      EXPECT_TRUE(matches<std::int64_t>(t.run("len(s)", n), n,
                                        [&](std::size_t i) -> std::optional<std::int64_t> {
                                          if (!s.valid(i)) return std::nullopt;
                                          return a.code_points[i];
                                        }));
      EXPECT_TRUE(matches<std::string>(t.run("upper(s)", n), n,
                                       [&](std::size_t i) -> std::optional<std::string> {
                                         if (!s.valid(i)) return std::nullopt;
                                         return ascii_case(s.str(i), true);
                                       }));
      Program p = t.compile("lower(s)");
      auto in = t.inputs();
      auto lower = [&](std::size_t i) -> std::optional<std::string> {
        if (!s.valid(i)) return std::nullopt;
        return ascii_case(s.str(i), false);
      };
      EXPECT_TRUE(matches<std::string>(p.run(in, n), n, lower));
      EXPECT_TRUE(matches<std::string>(gather_tiles(p, in, n), n, lower));
      EXPECT_TRUE(
          matches<std::string>(t.run("upper(one)", n), n,
                               [](std::size_t) -> std::optional<std::string> { return "AB"; }));
      EXPECT_TRUE(
          matches<std::string>(t.run("s", n), n, [&](std::size_t i) -> std::optional<std::string> {
            if (!s.valid(i)) return std::nullopt;
            return s.str(i);
          }));
      EXPECT_TRUE(matches<std::string>(
          t.run("'\xe6\x97\xa5'", n), n,
          [](std::size_t) -> std::optional<std::string> { return "\xe6\x97\xa5"; }));
    }
  }
}

TEST(EvalStrings, ChoicesAndNulls) {
  for (std::size_t n : sizes) {
    for (Nulls ns : null_modes) {
      Strings a = random_strings(n, 5), b = random_strings(n, 6);
      auto flags = random_bools(n, 7);
      Table t;
      t.add("s", Column::strings(a.values).nulls(ns, 8));
      t.add("t", Column::strings(b.values).nulls(Nulls::some, 9));
      t.add("c", Column::bools(flags).nulls(Nulls::some, 10));
      const Column &s = t["s"], &u = t["t"], &c = t["c"];
      using S = std::optional<std::string>;
      auto value = [](const Column& col, std::size_t i) -> S {
        if (!col.valid(i)) return std::nullopt;
        return col.str(i);
      };
      auto cond = [&](std::size_t i) { return c.valid(i) && c.at<std::uint8_t>(i); };
      SCOPED_TRACE(testing::Message() << "n=" << n << " " << to_string(ns));
      Program p = t.compile("where(c, s, t)");
      auto in = t.inputs();
      auto where = [&](std::size_t i) { return cond(i) ? value(s, i) : value(u, i); };
      EXPECT_TRUE(matches<std::string>(p.run(in, n), n, where));
      EXPECT_TRUE(matches<std::string>(gather_tiles(p, in, n), n, where));
      EXPECT_TRUE(matches<std::string>(t.run("where(c, s, '-')", n), n, [&](std::size_t i) -> S {
        return cond(i) ? value(s, i) : S("-");
      }));
      EXPECT_TRUE(matches<std::string>(t.run("fillna(s, '?')", n), n, [&](std::size_t i) -> S {
        return s.valid(i) ? s.str(i) : "?";
      }));
      EXPECT_TRUE(matches<std::string>(t.run("fillna(s, t)", n), n, [&](std::size_t i) -> S {
        return s.valid(i) ? S(s.str(i)) : value(u, i);
      }));
      EXPECT_TRUE(matches<std::uint8_t>(t.run("isna(s)", n), n,
                                        [&](std::size_t i) -> B { return !s.valid(i); }));
      EXPECT_TRUE(matches<std::uint8_t>(t.run("notna(s)", n), n,
                                        [&](std::size_t i) -> B { return s.valid(i); }));
    }
  }
}

namespace {

// Reference parts of a timestamp, from std::chrono's calendar.
struct Parts {
  std::int64_t year, month, day, hour, minute, second, dayofweek;
};
Parts chrono_parts(std::int64_t ns) {
  using namespace std::chrono;
  sys_time<nanoseconds> tp{nanoseconds{ns}};
  auto d = floor<days>(tp);
  year_month_day ymd{d};
  hh_mm_ss<nanoseconds> hms{tp - d};
  return {static_cast<int>(ymd.year()),
          static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(ymd.day()),
          hms.hours().count(),
          hms.minutes().count(),
          hms.seconds().count(),
          static_cast<std::int64_t>(weekday{d}.iso_encoding()) - 1};
}

std::int64_t chrono_ns(int y, unsigned m, unsigned d, int h = 0, int mi = 0, int s = 0,
                       std::int64_t frac_ns = 0) {
  using namespace std::chrono;
  auto day = sys_days{year{y} / month{m} / std::chrono::day{d}};
  auto t = day + hours{h} + minutes{mi} + seconds{s};
  return duration_cast<nanoseconds>(t.time_since_epoch()).count() + frac_ns;
}

std::vector<std::int64_t> random_timestamps(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const std::int64_t specials[] = {0,
                                   -1,
                                   1,
                                   ns_per_day,
                                   -ns_per_day,
                                   -ns_per_day - 1,
                                   ns_per_day - 1,
                                   chrono_ns(2000, 2, 29, 23, 59, 59, 999999999),
                                   chrono_ns(1900, 3, 1),
                                   chrono_ns(1969, 12, 31, 23, 59, 59),
                                   std::numeric_limits<std::int64_t>::max() - 2 * ns_per_day,
                                   std::numeric_limits<std::int64_t>::min() + 2 * ns_per_day};
  std::vector<std::int64_t> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = i % 7 == 6 ? specials[(i / 7) % 12]
                      : std::uniform_int_distribution<std::int64_t>(-3'000'000'000'000'000'000,
                                                                    3'000'000'000'000'000'000)(rng);
  return v;
}

}  // namespace

TEST(EvalTimestamps, PartsAroundEpochAndBefore1970) {
  const std::pair<const char*, std::int64_t Parts::*> parts[] = {
      {"year", &Parts::year},          {"month", &Parts::month},   {"day", &Parts::day},
      {"hour", &Parts::hour},          {"minute", &Parts::minute}, {"second", &Parts::second},
      {"dayofweek", &Parts::dayofweek}};
  for (std::size_t n : sizes) {
    for (Nulls nt : null_modes) {
      auto ts = random_timestamps(n, 3);
      Table t;
      t.add("ts", Column::timestamps(ts).nulls(nt, 4));
      const Column& c = t["ts"];
      for (const auto& [name, member] : parts) {
        auto m = member;
        SCOPED_TRACE(testing::Message() << name << " n=" << n << " " << to_string(nt));
        EXPECT_TRUE(matches<std::int64_t>(t.run(std::string(name) + "(ts)", n), n,
                                          [&](std::size_t i) -> std::optional<std::int64_t> {
                                            if (!c.valid(i)) return std::nullopt;
                                            return chrono_parts(ts[i]).*m;
                                          }));
      }
    }
  }
  // Known days: 1970-01-01 was a Thursday (3), 1969-12-31 a Wednesday, 2024-01-01 a Monday.
  Table t;
  t.add("ts", Column::timestamps({0, -1, chrono_ns(2024, 1, 1, 12)}));
  Output o = t.run("dayofweek(ts)", 3);
  EXPECT_EQ(
      std::vector<std::int64_t>(o.values<std::int64_t>().begin(), o.values<std::int64_t>().end()),
      (std::vector<std::int64_t>{3, 2, 0}));
  o = t.run("year(ts) * 10000 + month(ts) * 100 + day(ts)", 3);
  EXPECT_EQ(o.values<std::int64_t>()[1], 19691231);
  o = t.run("hour(ts) * 3600 + minute(ts) * 60 + second(ts)", 3);
  EXPECT_EQ(o.values<std::int64_t>()[1], 86399);
}

// Literals at the edges of pandas' range and on leap days read as core and the CSV reader read
// them (tests/support/timestamp_edges.hpp), or fail to compile; str() writes them back.
TEST(EvalTimestamps, EdgeLiteralsReadAsEverywhere) {
  for (const auto& e : pando::test::timestamp_edges()) {
    SCOPED_TRACE(e.text);
    const std::string literal = "'" + std::string(e.text) + "'";
    Table t;
    t.add("ts", Column::timestamps({e.ns.value_or(0)}));
    if (!e.ns) {
      EXPECT_THROW((void)t.compile("ts == " + literal), pando::ValueError);
      continue;
    }
    auto is = [](bool v) { return [v](std::size_t) -> B { return v; }; };
    EXPECT_TRUE(matches<std::uint8_t>(t.run("ts == " + literal, 1), 1, is(true)));
    EXPECT_TRUE(matches<std::uint8_t>(t.run(literal + " < ts", 1), 1, is(false)));
    EXPECT_TRUE(matches<std::uint8_t>(t.run("isin(ts, " + literal + ")", 1), 1, is(true)));
    EXPECT_TRUE(matches<std::int64_t>(t.run("where(ts != ts, ts, " + literal + ")", 1), 1,
                                      [&](std::size_t) { return e.ns; }));
    EXPECT_TRUE(matches<std::string>(t.run("str(ts)", 1), 1, [&](std::size_t) {
      return std::optional<std::string>(pando::format_timestamp(*e.ns));
    }));
    EXPECT_EQ(pando::format_timestamp(*e.ns).substr(0, e.text.size()), e.text);
  }
}

TEST(EvalTimestamps, CompareWithLiterals) {
  for (std::size_t n : sizes) {
    auto ts = random_timestamps(n, 9);
    Table t;
    t.add("ts", Column::timestamps(ts).nulls(Nulls::some, 2));
    t.add("ts2", Column::timestamps(random_timestamps(n, 10)));
    t.add("c", Column::bools(random_bools(n, 11)));
    const Column &a = t["ts"], &b = t["ts2"], &c = t["c"];
    const std::int64_t eve = chrono_ns(1969, 12, 31, 23, 59, 59);
    const std::int64_t lo = chrono_ns(1960, 1, 1), hi = chrono_ns(1980, 1, 1);
    SCOPED_TRACE(n);
    EXPECT_TRUE(
        matches<std::uint8_t>(t.run("ts >= '1969-12-31 23:59:59'", n), n,
                              [&](std::size_t i) -> B { return a.valid(i) && ts[i] >= eve; }));
    EXPECT_TRUE(
        matches<std::uint8_t>(t.run("'1969-12-31T23:59:59' < ts", n), n,
                              [&](std::size_t i) -> B { return a.valid(i) && eve < ts[i]; }));
    EXPECT_TRUE(
        matches<std::uint8_t>(t.run("ts != '1969-12-31 23:59:59.000'", n), n,
                              [&](std::size_t i) -> B { return !a.valid(i) || ts[i] != eve; }));
    EXPECT_TRUE(matches<std::uint8_t>(
        t.run("between(ts, '1960-01-01', '1980-01-01')", n), n,
        [&](std::size_t i) -> B { return a.valid(i) && ts[i] >= lo && ts[i] <= hi; }));
    EXPECT_TRUE(matches<std::uint8_t>(t.run("ts < ts2", n), n, [&](std::size_t i) -> B {
      return a.valid(i) && ts[i] < b.at<std::int64_t>(i);
    }));
    EXPECT_TRUE(matches<std::uint8_t>(
        t.run("isin(ts, '1970-01-01', '1969-12-31 23:59:59')", n), n,
        [&](std::size_t i) -> B { return a.valid(i) && (ts[i] == 0 || ts[i] == eve); }));
    EXPECT_TRUE(matches<std::int64_t>(t.run("where(c, ts, '2024-01-31 12:00:00')", n), n,
                                      [&](std::size_t i) -> std::optional<std::int64_t> {
                                        if (!c.at<std::uint8_t>(i))
                                          return chrono_ns(2024, 1, 31, 12);
                                        if (!a.valid(i)) return std::nullopt;
                                        return ts[i];
                                      }));
  }
}

namespace {

template <class T>
std::vector<T> values_with_nan(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<T> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = static_cast<T>(static_cast<std::int64_t>(rng() % 21) - 10);
    if constexpr (std::is_floating_point_v<T>)
      if (i % 9 == 4) v[i] = std::numeric_limits<T>::quiet_NaN();
  }
  return v;
}

template <class T>
void check_choices() {
  for (std::size_t n : sizes) {
    for (Nulls nx : null_modes) {
      Table t;
      t.add("x", Column::of(values_with_nan<T>(n, 1)).nulls(nx, 2));
      t.add("y", Column::of(values_with_nan<T>(n, 3)).nulls(Nulls::some, 4));
      t.add("c", Column::bools(random_bools(n, 5)).nulls(Nulls::some, 6));
      const Column &x = t["x"], &y = t["y"], &c = t["c"];
      using R = std::optional<T>;
      auto missing = [&](std::size_t i) {
        if (!x.valid(i)) return true;
        if constexpr (std::is_floating_point_v<T>) return std::isnan(x.at<T>(i));
        return false;
      };
      auto value = [](const Column& col, std::size_t i) -> R {
        if (!col.valid(i)) return std::nullopt;
        return col.at<T>(i);
      };
      auto cond = [&](std::size_t i) { return c.valid(i) && c.at<std::uint8_t>(i); };
      SCOPED_TRACE(testing::Message()
                   << to_string(dtype_of<T>()) << " n=" << n << " " << to_string(nx));
      EXPECT_TRUE(matches<std::uint8_t>(t.run("isna(x)", n), n,
                                        [&](std::size_t i) -> B { return missing(i); }));
      EXPECT_TRUE(matches<std::uint8_t>(t.run("notna(x)", n), n,
                                        [&](std::size_t i) -> B { return !missing(i); }));
      EXPECT_TRUE(matches<T>(t.run("fillna(x, 0)", n), n,
                             [&](std::size_t i) -> R { return missing(i) ? T(0) : x.at<T>(i); }));
      EXPECT_TRUE(matches<T>(t.run("fillna(x, y)", n), n, [&](std::size_t i) -> R {
        return missing(i) ? value(y, i) : x.at<T>(i);
      }));
      Program p = t.compile("where(c, x, y)");
      auto in = t.inputs();
      auto where = [&](std::size_t i) { return cond(i) ? value(x, i) : value(y, i); };
      EXPECT_TRUE(matches<T>(p.run(in, n), n, where));
      EXPECT_TRUE(matches<T>(gather_tiles(p, in, n), n, where));
      EXPECT_TRUE(matches<T>(t.run("where(c, x, 7)", n), n,
                             [&](std::size_t i) -> R { return cond(i) ? value(x, i) : R(T(7)); }));
      EXPECT_TRUE(matches<T>(t.run("where(c, 1, x)", n), n,
                             [&](std::size_t i) -> R { return cond(i) ? R(T(1)) : value(x, i); }));
      EXPECT_TRUE(matches<std::uint8_t>(t.run("isin(x, 3, -2, 5)", n), n, [&](std::size_t i) -> B {
        if (!x.valid(i)) return 0;
        T v = x.at<T>(i);
        return v == T(3) || v == T(-2) || v == T(5);
      }));
      // More values than the linear scan handles: a binary search (NaN never matches).
      EXPECT_TRUE(
          matches<std::uint8_t>(t.run("isin(x, 9, 7, 5, 3, 1, -1, -3, -5, -7, -9, 1, nan)", n), n,
                                [&](std::size_t i) -> B {
                                  if (!x.valid(i)) return 0;
                                  T v = x.at<T>(i);
                                  if constexpr (std::is_floating_point_v<T>)
                                    if (std::isnan(v)) return 0;
                                  return static_cast<std::int64_t>(v) % 2 != 0 && v >= -9 && v <= 9;
                                }));
      EXPECT_TRUE(matches<std::uint8_t>(t.run("between(x, -2, 4)", n), n, [&](std::size_t i) -> B {
        return x.valid(i) && x.at<T>(i) >= -2 && x.at<T>(i) <= 4;
      }));
      EXPECT_TRUE(matches<std::uint8_t>(t.run("between(x, y, 4)", n), n, [&](std::size_t i) -> B {
        return x.valid(i) && y.valid(i) && x.at<T>(i) >= y.at<T>(i) && x.at<T>(i) <= 4;
      }));
    }
  }
}

}  // namespace

TEST(EvalChoices, Int32) { check_choices<std::int32_t>(); }
TEST(EvalChoices, Int64) { check_choices<std::int64_t>(); }
TEST(EvalChoices, Float32) { check_choices<float>(); }
TEST(EvalChoices, Float64) { check_choices<double>(); }

TEST(EvalChoices, BoolsAndMixedTypes) {
  Table t;
  t.add("c", Column::bools({1, 0, 1, 0, 1}).nulls([](std::size_t i) { return i != 4; }));
  t.add("b", Column::bools({1, 1, 0, 0, 1}).nulls([](std::size_t i) { return i != 1; }));
  t.add("i", Column::of(std::vector<std::int32_t>{1, 2, 3, 4, 5}));
  t.add("d", Column::of(std::vector<double>{0.5, 1.5, 2.5, std::nan(""), 4.5}));
  Output o = t.run("where(c, i, d)", 5);
  EXPECT_EQ(o.type, DType::float64);
  EXPECT_EQ(o.values<double>()[0], 1);
  EXPECT_EQ(o.values<double>()[1], 1.5);
  EXPECT_EQ(o.values<double>()[4], 4.5);  // null condition: b
  o = t.run("fillna(d, i)", 5);
  EXPECT_EQ(o.values<double>()[3], 4);  // NaN counts as missing
  EXPECT_TRUE(matches<std::uint8_t>(t.run("where(c, b, false)", 5), 5, [](std::size_t i) -> B {
    const std::vector<B> want = {1, 0, 0, 0, 0};
    return want[i];
  }));
  EXPECT_TRUE(matches<std::uint8_t>(t.run("fillna(b, true)", 5), 5, [](std::size_t i) -> B {
    const std::vector<B> want = {1, 1, 0, 0, 1};
    return want[i];
  }));
  EXPECT_TRUE(matches<std::uint8_t>(t.run("isin(b, true)", 5), 5, [](std::size_t i) -> B {
    const std::vector<B> want = {1, 0, 0, 0, 1};
    return want[i];
  }));
  EXPECT_TRUE(matches<std::uint8_t>(t.run("isin(i, 2.0, 3.5)", 5), 5,
                                    [](std::size_t i) -> B { return i == 1; }));
  EXPECT_TRUE(matches<std::uint8_t>(t.run("isin(i, 3000000000, 3)", 5), 5,
                                    [](std::size_t i) -> B { return i == 2; }));
  EXPECT_TRUE(matches<std::int32_t>(
      t.run("i % 0", 5), 5,
      [](std::size_t) -> std::optional<std::int32_t> { return std::nullopt; }));
}

TEST(EvalStrings, StrOfValues) {
  using S = std::optional<std::string>;
  Table t;
  t.add("i",
        Column::of(std::vector<std::int32_t>{0, -7, 2147483647, 42, 5}).nulls([](std::size_t k) {
          return k != 4;
        }));
  t.add("j", Column::of(
                 std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::min(), 1, 2, 3, 4}));
  t.add("d", Column::of(std::vector<double>{1.5, 2.0, std::nan(""),
                                            -std::numeric_limits<double>::infinity(), 1e20}));
  t.add("f", Column::of(std::vector<float>{0.1f, -0.0f, 3.0f, 1e-7f, 16777216.0f}));
  t.add("b", Column::bools({1, 0, 1, 0, 1}));
  t.add("ts", Column::timestamps({0, -1, chrono_ns(2024, 1, 31, 12), 1, ns_per_second / 2}));
  t.add("s", Column::strings({"a", "", "\xc3\xa9", "d", "e"}));
  auto expect = [&](std::string_view text, std::vector<S> want) {
    EXPECT_TRUE(matches<std::string>(t.run(text, 5), 5, [&](std::size_t k) { return want[k]; }))
        << text;
  };
  expect("str(i)", {"0", "-7", "2147483647", "42", std::nullopt});
  expect("str(j)", {"-9223372036854775808", "1", "2", "3", "4"});
  expect("str(d)", {"1.5", "2.0", "nan", "-inf", "1e+20"});
  expect("str(f)", {"0.1", "-0.0", "3.0", "1e-07", "16777216.0"});
  expect("str(b)", {"True", "False", "True", "False", "True"});
  expect("str(ts)", {"1970-01-01 00:00:00", "1969-12-31 23:59:59.999999999", "2024-01-31 12:00:00",
                     "1970-01-01 00:00:00.000000001", "1970-01-01 00:00:00.500"});
  expect("str(s)", {"a", "", "\xc3\xa9", "d", "e"});
  EXPECT_TRUE(matches<std::int64_t>(
      t.run("len(str(j))", 5), 5,
      [](std::size_t k) -> std::optional<std::int64_t> { return k == 0 ? 20 : 1; }));
  for (std::size_t n : sizes) {  // through tiles, with nulls
    std::vector<std::int64_t> v(n);
    for (std::size_t k = 0; k < n; ++k) v[k] = static_cast<std::int64_t>(k * k) - 5000;
    Table big;
    big.add("x", Column::of(v).nulls(Nulls::some));
    const Column& x = big["x"];
    EXPECT_TRUE(matches<std::string>(big.run("str(x)", n), n, [&](std::size_t k) -> S {
      if (!x.valid(k)) return std::nullopt;
      return std::to_string(v[k]);
    })) << n;
  }
}
