// core/timestamp: the calendar, the parser (and its fast path) and the formatter, checked against
// std::chrono and the texts at the edges of pandas' range (tests/support/timestamp_edges.hpp).
// tests/frame/text_test.cpp checks them against pandas itself.

#include <pando/core/timestamp.hpp>

#include <gtest/gtest.h>

#include "timestamp_edges.hpp"

#include <chrono>
#include <cstdio>
#include <limits>
#include <random>
#include <string>

using namespace pando;

namespace {

std::int64_t chrono_ns(int y, unsigned m, unsigned d, int h = 0, int mi = 0, int s = 0,
                       std::int64_t frac_ns = 0) {
  using namespace std::chrono;
  auto t = sys_days{year{y} / month{m} / day{d}} + hours{h} + minutes{mi} + seconds{s};
  return duration_cast<nanoseconds>(t.time_since_epoch()).count() + frac_ns;
}

// Random instants over all of int64, with the ones around days and the epoch.
std::vector<std::int64_t> random_timestamps(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::int64_t> v = {0,
                                 -1,
                                 1,
                                 ns_per_day,
                                 -ns_per_day,
                                 -ns_per_day - 1,
                                 ns_per_day - 1,
                                 std::numeric_limits<std::int64_t>::max(),
                                 std::numeric_limits<std::int64_t>::min() + 1};
  while (v.size() < n) v.push_back(static_cast<std::int64_t>(rng()));
  return v;
}

}  // namespace

TEST(Timestamps, Parse) {
  EXPECT_EQ(parse_timestamp("1970-01-01"), 0);
  EXPECT_EQ(parse_timestamp("2024-01-05 13:45:00"), 1704462300000000000);
  EXPECT_EQ(parse_timestamp("2024-01-05T13:45"), 1704462300000000000);
  EXPECT_EQ(parse_timestamp("2024-01-05T13:45:00Z"), 1704462300000000000);
  EXPECT_EQ(parse_timestamp("2024-01-05T13:45:00.123456789"), 1704462300123456789);
  EXPECT_EQ(parse_timestamp("2024-01-31T12:00:00.5"), chrono_ns(2024, 1, 31, 12, 0, 0, 500000000));
  EXPECT_EQ(parse_timestamp("1969-12-31 23:59:59.999999999"), -1);
  EXPECT_EQ(parse_timestamp("1900-01-01"), chrono_ns(1900, 1, 1));
  for (const char* bad : {"",
                          "2024",
                          "2024-1-5",
                          "2024-01-32",
                          "2024-02-30",
                          "2024-13-01",
                          "2024-00-10",
                          "2024-01-05 24:00",
                          "2024-01-05 12:60",
                          "2024-01-05 12:00:60",
                          "2024-01-05 12:00:00.",
                          "2024-01-05 12",
                          "2024-01-05 12:00:00.1234567890",
                          "2024-01-05x",
                          "2024-01-31X12:00",
                          " 2024-01-05",
                          "20240105",
                          "2024/01/31",
                          "1600-01-01",
                          "2300-01-01",
                          "2024-01-31 12:00:00+01:00",
                          "yesterday"})
    EXPECT_EQ(parse_timestamp(bad), std::nullopt) << bad;
}

TEST(Timestamps, EdgesOfTheRangeAndLeapDays) {
  for (const auto& e : test::timestamp_edges()) {
    SCOPED_TRACE(e.text);
    EXPECT_EQ(parse_timestamp(e.text), e.ns);
    if (!e.ns) continue;
    EXPECT_EQ(std::string(format_timestamp(*e.ns)).substr(0, e.text.size()), e.text);
    char buf[max_timestamp_chars];
    EXPECT_EQ(std::string(buf, format_timestamp(*e.ns, timestamp_precision(*e.ns), buf)), e.text);
  }
  // Formatting takes every int64, NaT's value too.
  EXPECT_EQ(format_timestamp(std::numeric_limits<std::int64_t>::min()),
            "1677-09-21 00:12:43.145224192");
}

// The 19-byte fast path gives what parse_timestamp gives, or leaves the text to it.
TEST(Timestamps, FixedFormAgreesWithParse) {
  DateCache cache;
  auto fixed = [&](std::string_view s) -> std::optional<std::int64_t> {
    std::int64_t v;
    if (!parse_timestamp_fixed(s.data(), cache, v)) return std::nullopt;
    return v;
  };
  for (const auto& e : test::timestamp_edges()) {
    if (e.text.size() != 19) continue;
    if (auto v = fixed(e.text)) {
      EXPECT_EQ(v, parse_timestamp(e.text)) << e.text;
    }
  }
  std::mt19937_64 rng(5);
  for (int i = 0; i < 20000; ++i) {
    const int y = 1677 + static_cast<int>(rng() % 586);
    const auto m = static_cast<unsigned>(1 + rng() % 12), d = static_cast<unsigned>(1 + rng() % 31);
    const auto hh = static_cast<unsigned>(rng() % 25), mm = static_cast<unsigned>(rng() % 61),
               ss = static_cast<unsigned>(rng() % 61);
    char text[32];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u%c%02u:%02u:%02u", y, m, d, i % 2 ? 'T' : ' ',
                  hh, mm, ss);
    const std::optional<std::int64_t> slow = parse_timestamp(text), fast = fixed(text);
    if (fast) {
      EXPECT_EQ(fast, slow) << text;
    }
    if (y > 1677 && y < 2262) {
      EXPECT_EQ(fast.has_value(), slow.has_value()) << text;
    }
  }
}

TEST(Timestamps, Format) {
  EXPECT_EQ(format_timestamp(0), "1970-01-01 00:00:00");
  EXPECT_EQ(format_timestamp(1704462300123000000), "2024-01-05 13:45:00.123");
  EXPECT_EQ(format_timestamp(1704462300123400000), "2024-01-05 13:45:00.123400");
  EXPECT_EQ(format_timestamp(-1), "1969-12-31 23:59:59.999999999");
  char buf[max_timestamp_chars];
  EXPECT_EQ(std::string(buf, format_timestamp(1704412800000000000, TimePrecision::date, buf)),
            "2024-01-05");
  EXPECT_EQ(timestamp_precision(1704412800000000000), TimePrecision::date);
  EXPECT_EQ(timestamp_precision(1704412800000000001), TimePrecision::nanos);
  EXPECT_EQ(timestamp_precision(-1000), TimePrecision::micros);
  for (std::int64_t ns : random_timestamps(2000, 4))
    EXPECT_EQ(parse_timestamp(format_timestamp(ns)), ns) << format_timestamp(ns);
}

TEST(Timestamps, CalendarAgreesWithChrono) {
  using namespace std::chrono;
  for (std::int64_t days = -106752; days <= 106751; days += 17) {
    const year_month_day ymd{sys_days{std::chrono::days{days}}};
    const CivilDate c = civil_from_days(days);
    ASSERT_EQ(c.year, static_cast<int>(ymd.year())) << days;
    ASSERT_EQ(c.month, static_cast<unsigned>(ymd.month())) << days;
    ASSERT_EQ(c.day, static_cast<unsigned>(ymd.day())) << days;
    ASSERT_EQ(days_from_civil(c.year, c.month, c.day), days);
  }
  EXPECT_TRUE(is_leap_year(2000));
  EXPECT_TRUE(is_leap_year(2024));
  EXPECT_FALSE(is_leap_year(1900));
  EXPECT_EQ(days_in_month(1900, 2), 28u);
  EXPECT_EQ(days_in_month(2000, 2), 29u);
}
