#include <pando/frame/csv/detail/tokenize.hpp>

#include <pando/core/timestamp.hpp>
#include <pando/frame/text.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace pando::csv::detail {

NaSet::NaSet(const std::vector<std::string>& values) {
  for (const auto& v : values) {
    if (std::find(values_.begin(), values_.end(), v) != values_.end()) continue;
    values_.push_back(v);
    const std::uint32_t len_bit = std::uint32_t{1} << std::min<std::size_t>(v.size(), 31);
    len_mask_ |= len_bit;
    if (!v.empty()) first_len_[static_cast<unsigned char>(v[0])] |= len_bit;
    auto trimmed = std::string_view(v);
    has_int |= parse_int64(trimmed).has_value();
    // A null text that reads as NaN needs no early check: the float fast path sends NaN results
    // to the slow path, which checks nulls first.
    auto d = parse_double(trimmed);
    has_float |= d.has_value() && !std::isnan(*d);
    has_bool |= parse_bool(trimmed).has_value();
    has_timestamp |= parse_timestamp(trimmed).has_value();
  }
  // Lengths of 31 and more share bit 31: contains() compares them all.
}

std::int64_t count_breaks(const char* from, const char* to, const char* end) noexcept {
  std::int64_t n = 0;
  for (const char* p = from; p < to; ++p) {
    if (*p == '\n')
      ++n;
    else if (*p == '\r' && !(p + 1 < end && p[1] == '\n'))
      ++n;
  }
  return n;
}

Location locate(const char* begin, const char* at, const char* end,
                std::int64_t first_line) noexcept {
  Location loc{first_line + count_breaks(begin, at, end), 1};
  const char* line_start = at;
  while (line_start > begin && line_start[-1] != '\n' && line_start[-1] != '\r') --line_start;
  loc.column = 1 + static_cast<std::int64_t>(
                       utf8_length({line_start, static_cast<std::size_t>(at - line_start)}));
  return loc;
}

std::string show_text(std::string_view s) {
  constexpr std::size_t max = 40;
  std::string out = "\"";
  std::size_t shown = 0;
  // Non-ASCII stays as it is in valid UTF-8; otherwise bytes >= 0x80 show as \xNN, so the
  // message itself is valid text.
  const bool utf8 = is_valid_utf8(s);
  for (char c : s) {
    if (shown++ == max) {
      out += "...";
      break;
    }
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (c == '"')
      out += "\\\"";
    else if (static_cast<unsigned char>(c) < 0x20 ||
             (!utf8 && static_cast<unsigned char>(c) >= 0x80))
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    else
      out += c;
  }
  out += '"';
  return out;
}

}  // namespace pando::csv::detail
