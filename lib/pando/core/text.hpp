#pragma once
// Text forms of values, shared by every writer and app, chosen so that pandas reads Pando's output
// back unchanged (docs/architecture.md §4.5).
//
//   floats      like Python's repr(): shortest digits that round-trip, fixed notation when the
//               decimal exponent is in [-4, 16), else exponent form ("1e+16", "1e-05"); always a
//               ".0" on integral fixed values ("1.0"); "nan", "inf", "-inf", "-0.0". float32 values
//               print as numpy's str(np.float32): shortest float32 digits, fixed notation for
//               1e-4 <= |x| < 1e16 (by value: float32(1e-4) is "1e-04").
//   timestamps  like pandas' to_csv for datetime64[ns]: "2024-01-05 13:45:00", with a fraction
//               of 3, 6 or 9 digits only when some value of the column needs it; a column whose
//               values are all midnight prints dates only ("2024-01-05"). The precision is a
//               column-level choice: combine `timestamp_precision` over the column with max().
//   booleans    "True" / "False".
//   CSV fields  quoted like Python's csv.QUOTE_MINIMAL: only when the field holds the delimiter,
//               the quote character, '\r' or '\n'; a quote inside is doubled.
//
// Everything here is locale-free and allocation-free on the `char*` forms (no iostreams,
// no sscanf): writers format millions of values through these.

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace pando {

// ---- numbers ----

// Longest output of format_double / format_float / format_timestamp, in chars.
inline constexpr std::size_t max_formatted_chars = 32;

// Python's repr(float). Writes at most max_formatted_chars chars at `out`, returns the end.
char* format_double(double v, char* out) noexcept;
std::string format_double(double v);
// numpy's str(np.float32): shortest float32 digits, Python's layout.
char* format_float(float v, char* out) noexcept;
std::string format_float(float v);

// Whole-text parses: no surrounding spaces, nothing after the number. Integers: optional sign
// and decimal digits, nullopt on overflow. Doubles: fast_float (correctly rounded) with an
// optional leading '+', "inf"/"infinity"/"nan" in any case.
std::optional<std::int64_t> parse_int64(std::string_view text) noexcept;
std::optional<double> parse_double(std::string_view text) noexcept;

// ---- booleans ----

inline std::string_view format_bool(bool v) noexcept { return v ? "True" : "False"; }
// pandas' default true/false values: True TRUE true / False FALSE false (not 1/0, not yes/no).
std::optional<bool> parse_bool(std::string_view text) noexcept;

// ---- timestamps (int64 nanoseconds since 1970-01-01T00:00:00, no time zone) ----

// How much of a timestamp to print; ordered, so that a column's precision is the max over its
// values.
enum class TimePrecision : std::uint8_t { date, seconds, millis, micros, nanos };

// What a value needs: `date` at midnight, `seconds` for whole seconds, else the shortest of
// millis/micros/nanos that is exact.
TimePrecision timestamp_precision(std::int64_t ns) noexcept;
// "YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS" or with ".fff" / ".ffffff" / ".fffffffff".
char* format_timestamp(std::int64_t ns, TimePrecision p, char* out) noexcept;
// One value on its own: seconds always, a fraction only when present (its shortest exact one).
std::string format_timestamp(std::int64_t ns);

// ISO-8601: "YYYY-MM-DD", then optionally 'T' or ' ' and "HH:MM", ":SS", ".f" (1 to 9 digits),
// then optionally 'Z'. Dates before 1970 are fine; values outside int64 nanoseconds
// (1677-09-21 .. 2262-04-11) and invalid dates or times give nullopt. No surrounding spaces.
std::optional<std::int64_t> parse_timestamp(std::string_view text) noexcept;

// The common form "YYYY-MM-DD HH:MM:SS" (or 'T' for the space), read from exactly the 19 bytes
// at `p`, for parsers that meet millions of them: what parse_timestamp gives, or false for
// anything else (other forms, invalid values, years outside 1678..2261), and then
// parse_timestamp decides. `cache` holds the last date read (its days); consecutive values
// mostly share it, which saves the calendar arithmetic.
struct DateCache {
  std::uint64_t ymd = 0;  // bytes "YYYY-MM-" (0 never matches: not digits)
  std::uint16_t dd = 0;   // bytes "DD"
  std::int64_t day_ns = 0;
};
inline bool parse_timestamp_fixed(const char* p, DateCache& cache, std::int64_t& out) noexcept;

// Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept;
void civil_from_days(std::int64_t days, std::int64_t& y, unsigned& m, unsigned& d) noexcept;

// ---- CSV fields ----

// Whether QUOTE_MINIMAL quotes `field`: it holds `delimiter`, `quote`, '\r' or '\n'.
bool csv_needs_quotes(std::string_view field, char delimiter, char quote) noexcept;
// Appends `field` to `out`, quoted (quotes doubled) when csv_needs_quotes says so.
void append_csv_field(std::string& out, std::string_view field, char delimiter, char quote);

// ---- UTF-8 ----

// Length of the longest valid UTF-8 prefix of `text` (== text.size() when all of it is valid).
// Rejects overlong forms, surrogates and code points above U+10FFFF, like Python's decoder.
std::size_t valid_utf8_prefix(std::string_view text) noexcept;
inline bool is_valid_utf8(std::string_view text) noexcept {
  return valid_utf8_prefix(text) == text.size();
}
// Number of code points (counts lead bytes; for display widths and error columns).
std::size_t utf8_length(std::string_view text) noexcept;

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
  out = cache.day_ns + static_cast<std::int64_t>(hh * 3600 + mm * 60 + ss) * 1'000'000'000;
  return true;
}

}  // namespace pando
