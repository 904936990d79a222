#include <pando/core/text.hpp>

#include <fast_float/fast_float.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

namespace pando {

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

constexpr std::int64_t ns_per_second = 1'000'000'000;
constexpr std::int64_t ns_per_day = 86'400 * ns_per_second;

bool is_leap(std::int64_t y) noexcept { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }
unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
  static constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

// Reads exactly `n` decimal digits at `p`.
bool digits(const char* p, int n, unsigned& v) noexcept {
  v = 0;
  for (int i = 0; i < n; ++i) {
    unsigned d = static_cast<unsigned>(p[i] - '0');
    if (d > 9) return false;
    v = v * 10 + d;
  }
  return true;
}

char* two(char* out, unsigned v) noexcept {
  out[0] = static_cast<char>('0' + v / 10);
  out[1] = static_cast<char>('0' + v % 10);
  return out + 2;
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

namespace detail {

bool fill_date_cache(std::uint64_t ymd, std::uint16_t dd, DateCache& cache) noexcept {
  const std::uint64_t x = ymd ^ 0x2d30302d30303030ull;
  const auto b = [&](int i) { return static_cast<unsigned>(x >> (8 * i) & 0xf); };
  const unsigned y = b(0) * 1000 + b(1) * 100 + b(2) * 10 + b(3);
  const unsigned m = b(5) * 10 + b(6);
  const unsigned d = ((dd & 0xfu) * 10) + (dd >> 8 & 0xfu);
  // Midnights of these years, plus any time of day, fit int64 nanoseconds.
  if (y < 1678 || y > 2261 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return false;
  cache.ymd = ymd;
  cache.dd = dd;
  cache.day_ns = days_from_civil(y, m, d) * ns_per_day;
  return true;
}

}  // namespace detail

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
}

TimePrecision timestamp_precision(std::int64_t ns) noexcept {
  std::int64_t tod = ns % ns_per_day;
  if (tod == 0) return TimePrecision::date;
  std::int64_t frac = ns % ns_per_second;
  if (frac == 0) return TimePrecision::seconds;
  if (frac % 1'000'000 == 0) return TimePrecision::millis;
  if (frac % 1'000 == 0) return TimePrecision::micros;
  return TimePrecision::nanos;
}

char* format_timestamp(std::int64_t ns, TimePrecision p, char* out) noexcept {
  std::int64_t days = ns / ns_per_day;
  std::int64_t tod = ns % ns_per_day;
  if (tod < 0) {
    tod += ns_per_day;
    --days;
  }
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  // int64 nanoseconds span years 1677..2262: always four digits, never negative.
  auto uy = static_cast<unsigned>(y);
  out = two(out, uy / 100);
  out = two(out, uy % 100);
  *out++ = '-';
  out = two(out, m);
  *out++ = '-';
  out = two(out, d);
  if (p == TimePrecision::date) return out;
  auto secs = static_cast<unsigned>(tod / ns_per_second);
  auto frac = static_cast<unsigned>(tod % ns_per_second);
  *out++ = ' ';
  out = two(out, secs / 3600);
  *out++ = ':';
  out = two(out, secs / 60 % 60);
  *out++ = ':';
  out = two(out, secs % 60);
  int n = p == TimePrecision::millis   ? 3
          : p == TimePrecision::micros ? 6
          : p == TimePrecision::nanos  ? 9
                                       : 0;
  if (n == 0) return out;
  *out++ = '.';
  char f[9];
  for (int i = 8; i >= 0; --i) {
    f[i] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  std::memcpy(out, f, static_cast<std::size_t>(n));
  return out + n;
}

std::string format_timestamp(std::int64_t ns) {
  TimePrecision p = timestamp_precision(ns);
  if (p == TimePrecision::date) p = TimePrecision::seconds;
  char buf[max_formatted_chars];
  return {buf, format_timestamp(ns, p, buf)};
}

std::optional<std::int64_t> parse_timestamp(std::string_view t) noexcept {
  const char* p = t.data();
  std::size_t n = t.size();
  if (n > 0 && p[n - 1] == 'Z') --n;
  if (n < 10 || p[4] != '-' || p[7] != '-') return std::nullopt;
  unsigned y, m, d;
  if (!digits(p, 4, y) || !digits(p + 5, 2, m) || !digits(p + 8, 2, d)) return std::nullopt;
  if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return std::nullopt;
  std::int64_t tod = 0;
  if (n > 10) {
    if ((p[10] != 'T' && p[10] != ' ') || n < 16 || p[13] != ':') return std::nullopt;
    unsigned hh, mm, ss = 0;
    if (!digits(p + 11, 2, hh) || !digits(p + 14, 2, mm) || hh > 23 || mm > 59) return std::nullopt;
    std::size_t i = 16;
    std::int64_t frac = 0;
    if (i < n) {
      if (p[i] != ':' || n < 19 || !digits(p + 17, 2, ss) || ss > 59) return std::nullopt;
      i = 19;
      if (i < n) {
        if (p[i] != '.' || i + 1 == n || n - i - 1 > 9) return std::nullopt;
        std::size_t k = 0;
        for (++i; i < n; ++i, ++k) {
          unsigned dg = static_cast<unsigned char>(p[i]) - static_cast<unsigned>('0');
          if (dg > 9) return std::nullopt;
          frac = frac * 10 + dg;
        }
        for (; k < 9; ++k) frac *= 10;
      }
    }
    tod = ((static_cast<std::int64_t>(hh) * 60 + mm) * 60 + ss) * ns_per_second + frac;
  }
  std::int64_t days = days_from_civil(y, m, d);
  // days * ns_per_day alone can overflow where the sum does not (1677-09-21 00:12:43 is the
  // minimum): for negative days, add one day to the product and take it from the time of day.
  std::int64_t base, out;
  if (days < 0) {
    if (__builtin_mul_overflow(days + 1, ns_per_day, &base)) return std::nullopt;
    tod -= ns_per_day;
  } else if (__builtin_mul_overflow(days, ns_per_day, &base)) {
    return std::nullopt;
  }
  if (__builtin_add_overflow(base, tod, &out)) return std::nullopt;
  return out;
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
