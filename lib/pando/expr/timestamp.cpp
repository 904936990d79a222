#include <pando/expr/timestamp.hpp>

namespace pando::expr {

namespace {

bool digits(std::string_view s, std::size_t at, std::size_t count, std::int64_t& out) {
  if (at + count > s.size()) return false;
  std::int64_t v = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

bool leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(std::int64_t y, std::int64_t m) {
  static constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : days[m - 1];
}

}  // namespace

std::optional<std::int64_t> parse_timestamp(std::string_view s) noexcept {
  if (!s.empty() && s.back() == 'Z') s.remove_suffix(1);
  std::int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, frac = 0;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d))
    return std::nullopt;
  std::size_t at = 10;
  if (at < s.size()) {
    if (s[at] != ' ' && s[at] != 'T') return std::nullopt;
    if (!digits(s, at + 1, 2, h) || at + 3 >= s.size() || s[at + 3] != ':' ||
        !digits(s, at + 4, 2, mi))
      return std::nullopt;
    at += 6;
    if (at < s.size()) {
      if (s[at] != ':' || !digits(s, at + 1, 2, sec)) return std::nullopt;
      at += 3;
      if (at < s.size()) {
        if (s[at] != '.') return std::nullopt;
        std::size_t count = s.size() - at - 1;
        if (count == 0 || count > 9 || !digits(s, at + 1, count, frac)) return std::nullopt;
        for (std::size_t i = count; i < 9; ++i) frac *= 10;
      }
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
    return std::nullopt;
  std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  std::int64_t within = ((h * 60 + mi) * 60 + sec) * ns_per_second + frac;
  std::int64_t ns = 0;
  if (__builtin_mul_overflow(days, ns_per_day, &ns) || __builtin_add_overflow(ns, within, &ns))
    return std::nullopt;
  return ns;
}

std::size_t format_timestamp(std::int64_t ns, char* out) noexcept {
  const std::int64_t days = floor_div(ns, ns_per_day);
  const std::int64_t within = floor_mod(ns, ns_per_day);
  const CivilDate c = civil_from_days(days);
  const std::int64_t secs = within / ns_per_second;
  std::int64_t frac = within % ns_per_second;
  auto put = [&](std::size_t at, std::int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) {
      out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  put(0, c.year, 4);  // years 1677-2262: int64 nanoseconds reach no further
  out[4] = '-';
  put(5, c.month, 2);
  out[7] = '-';
  put(8, c.day, 2);
  out[10] = ' ';
  put(11, secs / 3600, 2);
  out[13] = ':';
  put(14, secs / 60 % 60, 2);
  out[16] = ':';
  put(17, secs % 60, 2);
  std::size_t len = 19;
  if (frac != 0) {
    int digits = 9;
    while (frac % 10 == 0) {
      frac /= 10;
      --digits;
    }
    out[len++] = '.';
    put(len, frac, digits);
    len += static_cast<std::size_t>(digits);
  }
  return len;
}

std::string format_timestamp(std::int64_t ns) {
  char buf[format_timestamp_max];
  return std::string(buf, format_timestamp(ns, buf));
}

}  // namespace pando::expr
