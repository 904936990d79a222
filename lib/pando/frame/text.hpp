#pragma once
// Text forms of values as pandas writes and reads them: the CSV writer, table printing, column
// casts to string and the apps format with these so that pandas reads Pando's output back
// unchanged, and the CSV reader parses with them (docs/architecture.md §4.5). Timestamps are
// core/timestamp.hpp's (the expression language needs them too).
//
//   floats      like Python's repr(): shortest digits that round-trip, fixed notation when the
//               decimal exponent is in [-4, 16), else exponent form ("1e+16", "1e-05"); always a
//               ".0" on integral fixed values ("1.0"); "nan", "inf", "-inf", "-0.0". float32 values
//               print as numpy's str(np.float32): shortest float32 digits, fixed notation for
//               1e-4 <= |x| < 1e16 (by value: float32(1e-4) is "1e-04").
//   booleans    "True" / "False".
//   CSV fields  quoted like Python's csv.QUOTE_MINIMAL: only when the field holds the delimiter,
//               the quote character, '\r' or '\n'; a quote inside is doubled.
//
// And for reading: whole-text parses of numbers and booleans as pandas' read_csv takes them, and
// UTF-8 checks.
//
// Everything here is locale-free and allocation-free on the `char*` forms (no iostreams,
// no sscanf): writers format millions of values through these.

#include <cstdint>
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

}  // namespace pando
