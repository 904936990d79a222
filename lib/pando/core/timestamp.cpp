#include <pando/core/timestamp.hpp>

#include <fmt/format.h>

namespace pando {

namespace {

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

TimePrecision timestamp_precision(std::int64_t ns) noexcept {
  if (ns % ns_per_day == 0) return TimePrecision::date;
  const std::int64_t frac = ns % ns_per_second;
  if (frac == 0) return TimePrecision::seconds;
  if (frac % 1'000'000 == 0) return TimePrecision::millis;
  if (frac % 1'000 == 0) return TimePrecision::micros;
  return TimePrecision::nanos;
}

char* format_timestamp(std::int64_t ns, TimePrecision p, char* out) noexcept {
  const std::int64_t tod = floor_mod(ns, ns_per_day);
  const CivilDate c = civil_from_days(floor_div(ns, ns_per_day));
  // int64 nanoseconds span years 1677..2262: always four digits, never negative.
  const auto y = static_cast<unsigned>(c.year);
  out = two(out, y / 100);
  out = two(out, y % 100);
  *out++ = '-';
  out = two(out, c.month);
  *out++ = '-';
  out = two(out, c.day);
  if (p == TimePrecision::date) return out;
  const auto secs = static_cast<unsigned>(tod / ns_per_second);
  auto frac = static_cast<unsigned>(tod % ns_per_second);
  *out++ = ' ';
  out = two(out, secs / 3600);
  *out++ = ':';
  out = two(out, secs / 60 % 60);
  *out++ = ':';
  out = two(out, secs % 60);
  const int n = p == TimePrecision::millis   ? 3
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

char* format_timestamp(std::int64_t ns, char* out) noexcept {
  const TimePrecision p = timestamp_precision(ns);
  return format_timestamp(ns, p == TimePrecision::date ? TimePrecision::seconds : p, out);
}

std::string format_timestamp(std::int64_t ns) {
  char buf[max_timestamp_chars];
  return {buf, format_timestamp(ns, buf)};
}

namespace {

// What a text reads as: an instant, or why it is none.
enum class Fault { none, form, month, day, before, after };
struct Reading {
  Fault fault = Fault::form;
  std::int64_t ns = 0;
  unsigned year = 0, month = 0;  // of a text with a date
};

Reading read_timestamp(std::string_view t) noexcept {
  Reading r;
  const char* p = t.data();
  std::size_t n = t.size();
  if (n > 0 && p[n - 1] == 'Z') --n;
  if (n < 10 || p[4] != '-' || p[7] != '-') return r;
  unsigned y, m, d;
  if (!digits(p, 4, y) || !digits(p + 5, 2, m) || !digits(p + 8, 2, d)) return r;
  r.year = y;
  r.month = m;
  if (m < 1 || m > 12) return r.fault = Fault::month, r;
  if (d < 1 || d > days_in_month(y, m)) return r.fault = Fault::day, r;
  std::int64_t tod = 0;
  if (n > 10) {
    if ((p[10] != 'T' && p[10] != ' ') || n < 16 || p[13] != ':') return r;
    unsigned hh, mm, ss = 0;
    if (!digits(p + 11, 2, hh) || !digits(p + 14, 2, mm) || hh > 23 || mm > 59) return r;
    std::size_t i = 16;
    std::int64_t frac = 0;
    if (i < n) {
      if (p[i] != ':' || n < 19 || !digits(p + 17, 2, ss) || ss > 59) return r;
      i = 19;
      if (i < n) {
        if (p[i] != '.' || i + 1 == n || n - i - 1 > 9) return r;
        std::size_t k = 0;
        for (++i; i < n; ++i, ++k) {
          unsigned dg = static_cast<unsigned char>(p[i]) - static_cast<unsigned>('0');
          if (dg > 9) return r;
          frac = frac * 10 + dg;
        }
        for (; k < 9; ++k) frac *= 10;
      }
    }
    tod = ((static_cast<std::int64_t>(hh) * 60 + mm) * 60 + ss) * ns_per_second + frac;
  }
  const std::int64_t days = days_from_civil(y, m, d);
  r.fault = days < 0 ? Fault::before : Fault::after;
  // days * ns_per_day alone can overflow where the sum does not (1677-09-21 00:12:43 is the
  // minimum): for negative days, add one day to the product and take it from the time of day.
  std::int64_t base;
  if (days < 0) {
    if (__builtin_mul_overflow(days + 1, ns_per_day, &base)) return r;
    tod -= ns_per_day;
  } else if (__builtin_mul_overflow(days, ns_per_day, &base)) {
    return r;
  }
  if (__builtin_add_overflow(base, tod, &r.ns) || r.ns < first_timestamp_ns) return r;
  r.fault = Fault::none;
  return r;
}

}  // namespace

std::optional<std::int64_t> parse_timestamp(std::string_view t) noexcept {
  const Reading r = read_timestamp(t);
  if (r.fault != Fault::none) return std::nullopt;
  return r.ns;
}

std::string timestamp_refusal(std::string_view t) {
  const Reading r = read_timestamp(t);
  switch (r.fault) {
    case Fault::none:
    case Fault::form:
      break;
    case Fault::month:
      return fmt::format("there is no month {:02}", r.month);
    case Fault::day:
      return fmt::format("{:04}-{:02} has {} days", r.year, r.month,
                         days_in_month(r.year, r.month));
    case Fault::before:
      return fmt::format("before {}, pandas' first timestamp in int64 nanoseconds",
                         format_timestamp(first_timestamp_ns));
    case Fault::after:
      return fmt::format("after {}, pandas' last timestamp in int64 nanoseconds",
                         format_timestamp(last_timestamp_ns));
  }
  return "";
}

}  // namespace pando
