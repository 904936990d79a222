#include <pando/frame/text.hpp>

#include <pando/core/timestamp.hpp>

#include <fast_float/fast_float.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

namespace pando {

// Writers format timestamps into the same buffers as numbers.
static_assert(max_timestamp_chars <= max_formatted_chars);

namespace {

char* put(char* out, std::string_view s) noexcept {
  std::memcpy(out, s.data(), s.size());
  return out + s.size();
}

// Rewrites std::to_chars' shortest scientific form ("-1.2345e-07") in Python's repr layout.
// Python (Objects/floatobject.c, float_repr_style 'short', mode 'r') prints the shortest
// round-trip digits d1..dn with decimal point position decpt (value = 0.d1..dn * 10^decpt) in
// fixed notation when -4 < decpt <= 16, else as d1.d2..dn e±XX with at least two exponent digits.
// `fixed`: 1 fixed, 0 exponent form, -1 Python's choice by decpt.
char* python_layout(const char* first, const char* last, char* out, int fixed) noexcept {
  const char* p = first;
  if (*p == '-') *out++ = *p++;
  char digits[24] = {};
  int n = 0;
  while (p < last && *p != 'e') {
    if (*p != '.') digits[n++] = *p;
    ++p;
  }
  int exp = 0;
  if (p < last) {  // 'e'
    ++p;
    bool neg = *p == '-';
    if (*p == '-' || *p == '+') ++p;
    for (; p < last; ++p) exp = exp * 10 + (*p - '0');
    if (neg) exp = -exp;
  }
  const int decpt = exp + 1;
  if (fixed == 1 || (fixed == -1 && decpt > -4 && decpt <= 16)) {
    if (decpt <= 0) {
      *out++ = '0';
      *out++ = '.';
      for (int i = 0; i < -decpt; ++i) *out++ = '0';
      std::memcpy(out, digits, static_cast<std::size_t>(n));
      out += n;
    } else if (decpt >= n) {
      std::memcpy(out, digits, static_cast<std::size_t>(n));
      out += n;
      for (int i = n; i < decpt; ++i) *out++ = '0';
      *out++ = '.';
      *out++ = '0';
    } else {
      std::memcpy(out, digits, static_cast<std::size_t>(decpt));
      out += decpt;
      *out++ = '.';
      std::memcpy(out, digits + decpt, static_cast<std::size_t>(n - decpt));
      out += n - decpt;
    }
    return out;
  }
  *out++ = digits[0];
  if (n > 1) {
    *out++ = '.';
    std::memcpy(out, digits + 1, static_cast<std::size_t>(n - 1));
    out += n - 1;
  }
  *out++ = 'e';
  *out++ = exp < 0 ? '-' : '+';
  unsigned e = static_cast<unsigned>(exp < 0 ? -exp : exp);
  if (e >= 100) *out++ = static_cast<char>('0' + e / 100);
  *out++ = static_cast<char>('0' + e / 10 % 10);
  *out++ = static_cast<char>('0' + e % 10);
  return out;
}

template <class F>
char* format_floating(F v, char* out) noexcept {
  if (std::isnan(v)) return put(out, "nan");
  if (std::isinf(v)) return put(out, v < 0 ? "-inf" : "inf");
  char buf[48];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  if constexpr (std::is_same_v<F, float>) {
    // numpy picks the notation by value (positional for 1e-4 <= |x| < 1e16), which differs
    // from Python's digit rule for float32 values just below 1e-4 such as float32(1e-4).
    const double a = std::fabs(static_cast<double>(v));
    return python_layout(buf, r.ptr, out, a == 0 || (a >= 1e-4 && a < 1e16) ? 1 : 0);
  } else {
    return python_layout(buf, r.ptr, out, -1);
  }
}

}  // namespace

char* format_double(double v, char* out) noexcept { return format_floating(v, out); }
char* format_float(float v, char* out) noexcept { return format_floating(v, out); }

std::string format_double(double v) {
  char buf[max_formatted_chars];
  return {buf, format_double(v, buf)};
}
std::string format_float(float v) {
  char buf[max_formatted_chars];
  return {buf, format_float(v, buf)};
}

std::optional<std::int64_t> parse_int64(std::string_view text) noexcept {
  const char* p = text.data();
  const char* end = p + text.size();
  bool neg = false;
  if (p < end && (*p == '-' || *p == '+')) neg = *p++ == '-';
  if (p == end) return std::nullopt;
  std::uint64_t v = 0;
  for (; p < end; ++p) {
    unsigned d = static_cast<unsigned char>(*p) - static_cast<unsigned>('0');
    if (d > 9) return std::nullopt;
    if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (neg) {
    if (v > max + 1) return std::nullopt;
    return static_cast<std::int64_t>(0 - v);
  }
  if (v > max) return std::nullopt;
  return static_cast<std::int64_t>(v);
}

std::optional<double> parse_double(std::string_view text) noexcept {
  const char* p = text.data();
  const char* end = p + text.size();
  if (p < end && *p == '+') {
    ++p;
    if (p < end && (*p == '-' || *p == '+')) return std::nullopt;
  }
  if (p == end) return std::nullopt;
  double v = 0;
  auto r = fast_float::from_chars(p, end, v);
  if (r.ec != std::errc() || r.ptr != end) return std::nullopt;
  return v;
}

std::optional<bool> parse_bool(std::string_view t) noexcept {
  if (t == "True" || t == "TRUE" || t == "true") return true;
  if (t == "False" || t == "FALSE" || t == "false") return false;
  return std::nullopt;
}

bool csv_needs_quotes(std::string_view field, char delimiter, char quote) noexcept {
  for (char c : field)
    if (c == delimiter || c == quote || c == '\n' || c == '\r') return true;
  return false;
}

void append_csv_field(std::string& out, std::string_view field, char delimiter, char quote) {
  if (!csv_needs_quotes(field, delimiter, quote)) {
    out.append(field);
    return;
  }
  out.push_back(quote);
  for (char c : field) {
    if (c == quote) out.push_back(quote);
    out.push_back(c);
  }
  out.push_back(quote);
}

std::size_t valid_utf8_prefix(std::string_view text) noexcept {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    // ASCII runs eight bytes at a time.
    while (i + 8 <= n) {
      std::uint64_t w;
      std::memcpy(&w, s + i, 8);
      if (w & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    unsigned c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t need;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0xC2) return i;
    if (c < 0xE0) {
      need = 1;
    } else if (c < 0xF0) {
      need = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;  // no UTF-16 surrogates
    } else if (c < 0xF5) {
      need = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    } else {
      return i;
    }
    if (i + need >= n) return i;  // truncated sequence
    if (s[i + 1] < lo || s[i + 1] > hi) return i;
    for (std::size_t k = 2; k <= need; ++k)
      if ((s[i + k] & 0xC0) != 0x80) return i;
    i += need + 1;
  }
  return n;
}

std::size_t utf8_length(std::string_view text) noexcept {
  std::size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace pando
