#pragma once
// An awkward frame for the tests of operations that move rows (groupby, sorting, distinct rows):
// uneven partitions (some empty), int keys with nulls, floats with NaN and -0.0, strings plain
// or dictionary-encoded with nulls, timestamps; and rows' keys as text, equal where pandas
// groups values together.

#include <pando/frame/dataframe.hpp>
#include <pando/graph/delayed.hpp>

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace pando::test {

inline constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// Partition p: uneven sizes (some empty); `spread` distinct values of k.
inline Table awkward_part(std::int64_t p, std::int64_t spread) {
  const std::vector<std::size_t> sizes = {7, 0, 1, 13, 0, 5, 29, 2, 40};
  const std::size_t n = sizes[static_cast<std::size_t>(p) % sizes.size()];
  std::vector<std::int64_t> k, ts;
  std::vector<bool> k_valid;
  std::vector<double> x;
  std::vector<std::optional<std::string>> s;
  for (std::size_t i = 0; i < n; ++i) {
    const auto r = static_cast<std::int64_t>(i) * 7 + p * 3;
    k.push_back(r % spread);
    k_valid.push_back(r % 11 != 0);
    x.push_back(r % 6 == 0   ? nan
                : r % 6 == 1 ? -0.0
                : r % 6 == 2 ? 0.0
                             : static_cast<double>(r % 4) + 0.1 * static_cast<double>(r % 7));
    s.push_back(r % 9 == 0 ? std::nullopt : std::optional(std::string(1 + r % 3, 'a' + r % 4)));
    ts.push_back(1'600'000'000'000'000'000 + (r % 3) * 86'400'000'000'000);
  }
  Column strings = Column::from_strings(s);
  if (p % 2) strings = strings.dictionary_encoded();
  return Table({"k", "x", "s", "t"}, {Column::from_values(k, k_valid), Column::from_values(x),
                                      strings, Column::from_timestamps(ts)});
}

inline DataFrame awkward_frame(std::int64_t partitions, std::int64_t spread) {
  std::vector<Delayed<Table>> made;
  for (std::int64_t p = 0; p < partitions; ++p)
    made.push_back(delayed([spread](std::int64_t q) {
                     return awkward_part(q, spread);
                   }).name(fmt::format("awkward-{}", spread))(p));
  return DataFrame::from_delayed(made, awkward_part(0, spread).schema());
}

// A cell as text, the same for values pandas groups together; nullopt when missing.
inline std::optional<std::string> cell(const Column& c, std::size_t i) {
  if (c.is_null(i)) return std::nullopt;
  switch (c.type()) {
    case DType::float64: {
      const double v = c.values<double>()[i];
      if (std::isnan(v)) return std::nullopt;
      return fmt::format("{}", v == 0 ? 0.0 : v);
    }
    case DType::string:
      return std::string(c.string_at(i));
    case DType::boolean:
      return fmt::format("{}", c.values<std::uint8_t>()[i]);
    default:
      return fmt::format("{}", c.values<std::int64_t>()[i]);
  }
}

using GroupKey = std::vector<std::optional<std::string>>;

inline GroupKey key_of(const Table& t, const std::vector<std::string>& keys, std::size_t i) {
  GroupKey k;
  for (const auto& name : keys) k.push_back(cell(t.column(name), i));
  return k;
}

}  // namespace pando::test
