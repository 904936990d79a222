#pragma once
// Timestamps: int64 nanoseconds since 1970-01-01T00:00:00, no time zone, like pandas'
// datetime64[ns]. The one calendar, parser and formatter of Pando: the CSV reader and writer,
// the expression language and the apps all go through these, so that a text reads as the same
// instant everywhere (docs/architecture.md §4.2).
//
// Dates are proleptic Gregorian; days before 1970 are negative and divisions round toward minus
// infinity, so 1969-12-31 23:59:59 is -1e9. Texts read as what pandas accepts: 1677-09-21
// 00:12:43.145224193 to 2262-04-11 23:47:16.854775807, all of int64 but its smallest value,
// which pandas keeps for NaT (formatting takes every int64).
//
// Text forms, like pandas' to_csv: "2024-01-05 13:45:00", with a fraction of 3, 6 or 9 digits
// only when a value needs it, and dates only ("2024-01-05") for a column of midnights. How much
// to print is a column-level choice: combine timestamp_precision over the column with max().
//
// Locale-free and allocation-free on the `char*` forms: writers format millions of values.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace pando {

inline constexpr std::int64_t ns_per_second = 1'000'000'000;
inline constexpr std::int64_t ns_per_day = 86'400 * ns_per_second;

// Floor division and its non-negative remainder (b > 0).
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
constexpr std::int64_t floor_mod(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t r = a % b;  // never overflows, even for the smallest int64
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

// ---- the calendar (Howard Hinnant's algorithms, exact for any int64 day count we meet) ----

struct CivilDate {
  std::int64_t year;
  unsigned month;  // 1-12
  unsigned day;    // 1-31
};

// Days since 1970-01-01 of a civil date (month 1-12, day 1-31).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

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

constexpr bool is_leap_year(std::int64_t y) noexcept {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}
constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
  constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap_year(y) ? 29 : days[m - 1];
}

// ---- text ----

// How much of a timestamp to print; ordered, so that a column's precision is the max over its
// values.
enum class TimePrecision : std::uint8_t { date, seconds, millis, micros, nanos };

// What a value needs: `date` at midnight, `seconds` for whole seconds, else the shortest of
// millis/micros/nanos that is exact.
TimePrecision timestamp_precision(std::int64_t ns) noexcept;

// Longest output of format_timestamp: "YYYY-MM-DD HH:MM:SS.fffffffff".
inline constexpr std::size_t max_timestamp_chars = 29;

// "YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS" or with ".fff" / ".ffffff" / ".fffffffff". Writes at most
// max_timestamp_chars chars at `out`, returns the end.
char* format_timestamp(std::int64_t ns, TimePrecision p, char* out) noexcept;
// One value on its own (a column of one, but with the time even at midnight): seconds always,
// a fraction only when present, of 3, 6 or 9 digits. parse_timestamp reads it back.
char* format_timestamp(std::int64_t ns, char* out) noexcept;
std::string format_timestamp(std::int64_t ns);

// The first and last instants a text reads as (pandas' Timestamp.min and max).
inline constexpr std::int64_t first_timestamp_ns = std::numeric_limits<std::int64_t>::min() + 1;
inline constexpr std::int64_t last_timestamp_ns = std::numeric_limits<std::int64_t>::max();

// ISO-8601 without a time zone: "YYYY-MM-DD", then optionally 'T' or ' ' and "HH:MM", ":SS",
// ".f" (1 to 9 digits), then optionally 'Z'. nullopt for other text (no surrounding spaces),
// impossible dates (2023-02-29, 1900-02-29) or times, and instants outside the range above.
std::optional<std::int64_t> parse_timestamp(std::string_view text) noexcept;
// Why parse_timestamp refuses a text of that form, for error messages: "2100-02 has 28 days",
// "there is no month 13", "after 2262-04-11 23:47:16.854775807, pandas' last timestamp in int64
// nanoseconds". "" for a text it reads, or one not of that form (the caller says what it expects).
std::string timestamp_refusal(std::string_view text);

// The common form "YYYY-MM-DD HH:MM:SS" (or 'T' for the space), read from exactly the 19 bytes
// at `p`, for parsers that meet millions of them: what parse_timestamp gives, or false for
// anything else (other forms, invalid values, years outside 1678..2261, where the range ends
// within the year), and then parse_timestamp decides. `cache` holds the last date read (its
// days); consecutive values mostly share it, which saves the calendar arithmetic.
struct DateCache {
  std::uint64_t ymd = 0;  // bytes "YYYY-MM-" (0 never matches: not digits)
  std::uint16_t dd = 0;   // bytes "DD"
  std::int64_t day_ns = 0;
};
inline bool parse_timestamp_fixed(const char* p, DateCache& cache, std::int64_t& out) noexcept;

namespace detail {

// Whether every byte of x is <= 9 (x: text XOR '0' where digits are expected). Conservative:
// a carry out of a byte >= 0x80 may also reject its neighbour, which is only a slower path.
constexpr bool all_digits(std::uint64_t x) noexcept {
  return (((x + 0x7676767676767676ull) | x) & 0x8080808080808080ull) == 0;
}

// The date "YYYY-MM-DD" in the bytes of `cache`'s words (already checked to be digits): the
// cache filled with its midnight, or false for an invalid date or a year outside 1678..2261.
bool fill_date_cache(std::uint64_t ymd, std::uint16_t dd, DateCache& cache) noexcept;

}  // namespace detail

inline bool parse_timestamp_fixed(const char* p, DateCache& cache, std::int64_t& out) noexcept {
  // Little-endian words of the text XOR the expected '0's and separators: digits become 0..9,
  // separators 0.
  std::uint64_t ymd, hms;
  std::uint16_t dd;
  std::memcpy(&ymd, p, 8);       // "YYYY-MM-"
  std::memcpy(&dd, p + 8, 2);    // "DD"
  std::memcpy(&hms, p + 11, 8);  // "HH:MM:SS"
  if (p[10] != ' ' && p[10] != 'T') return false;
  const std::uint64_t t = hms ^ 0x30303a30303a3030ull;
  if (!detail::all_digits(t) || (t & 0x0000ff0000ff0000ull)) return false;
  if (ymd != cache.ymd || dd != cache.dd) {
    const std::uint64_t d = ymd ^ 0x2d30302d30303030ull;
    const auto e = static_cast<std::uint16_t>(dd ^ 0x3030u);
    if (!detail::all_digits(d) || (d & 0xff0000ff00000000ull)) return false;
    if ((e & 0xff) > 9 || (e >> 8) > 9) return false;
    if (!detail::fill_date_cache(ymd, dd, cache)) return false;
  }
  const auto hh = static_cast<unsigned>((t & 0xf) * 10 + (t >> 8 & 0xf));
  const auto mm = static_cast<unsigned>((t >> 24 & 0xf) * 10 + (t >> 32 & 0xf));
  const auto ss = static_cast<unsigned>((t >> 48 & 0xf) * 10 + (t >> 56 & 0xf));
  if (hh > 23 || mm > 59 || ss > 59) return false;
  out = cache.day_ns + static_cast<std::int64_t>(hh * 3600 + mm * 60 + ss) * ns_per_second;
  return true;
}

}  // namespace pando
