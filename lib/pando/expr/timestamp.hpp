#pragma once
// Timestamps: int64 nanoseconds since 1970-01-01T00:00:00, no time zone (like pandas'
// datetime64[ns]). Dates are proleptic Gregorian; days before 1970 are negative and all
// divisions round toward minus infinity, so 1969-12-31T23:59:59 is -1e9.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pando::expr {

inline constexpr std::int64_t ns_per_second = 1'000'000'000;
inline constexpr std::int64_t ns_per_day = 86'400 * ns_per_second;

// Days since 1970-01-01 of a civil date (month 1-12, day 1-31); Howard Hinnant's algorithm.
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct CivilDate {
  std::int64_t year;
  unsigned month;  // 1-12
  unsigned day;    // 1-31
};

constexpr CivilDate civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2 ? 1 : 0), m, d};
}

// Floor division and its non-negative remainder.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
constexpr std::int64_t floor_mod(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t r = a % b;  // never overflows, even for the smallest int64
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

// Parses ISO-8601 without a time zone: "2024-01-31", "2024-01-31 12:00", "2024-01-31 12:00:00",
// "2024-01-31T12:00:00.5" (up to 9 decimals), optionally ending in "Z". nullopt if the text is
// not such a timestamp, names an impossible date (2023-02-29) or lies outside int64
// nanoseconds (years 1678-2261).
std::optional<std::int64_t> parse_timestamp(std::string_view text) noexcept;

// "2024-01-31 12:00:00", with a fraction when there is one, trailing zeros dropped
// ("2024-01-31 12:00:00.5"); parse_timestamp reads it back.
std::string format_timestamp(std::int64_t nanoseconds);
// The same into `out` (at least format_timestamp_max bytes); returns the length written.
inline constexpr std::size_t format_timestamp_max = 32;
std::size_t format_timestamp(std::int64_t nanoseconds, char* out) noexcept;

}  // namespace pando::expr
