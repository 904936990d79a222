#pragma once
// Texts at the edges of timestamps (the ends of pandas' datetime64[ns] range, leap days, the
// 19-byte form the CSV parser reads fast), with what pandas reads them as: the core unit test,
// the CSV reader and the expression language each check that they read every one the same
// (core/timestamp.hpp is their one parser). A valid `text` is also how to_csv writes a column
// holding that value alone.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace pando::test {

struct TimestampEdge {
  std::string_view text;
  std::optional<std::int64_t> ns;  // pd.Timestamp(text).value, or nullopt where pandas refuses
};

inline const std::vector<TimestampEdge>& timestamp_edges() {
  static const std::vector<TimestampEdge> edges = {
      // The first instant (pandas keeps the smallest int64 for NaT) and the ones before it.
      {"1677-09-21 00:12:43.145224193", -9223372036854775807},
      {"1677-09-21 00:12:43.145224192", std::nullopt},
      {"1677-09-21 00:12:43.145224191", std::nullopt},
      {"1677-09-21 00:12:44", -9223372036000000000},  // 19 bytes, a year the fast path leaves
      {"1677-09-21 00:12:43", std::nullopt},
      {"1677-09-21", std::nullopt},
      {"1677-09-22", -9223286400000000000},
      // The last instant and the ones after it.
      {"2262-04-11 23:47:16.854775807", 9223372036854775807},
      {"2262-04-11 23:47:16.854775808", std::nullopt},
      {"2262-04-11 23:47:16", 9223372036000000000},
      {"2262-04-11 23:47:17", std::nullopt},
      {"2262-04-11", 9223286400000000000},
      {"2262-04-12", std::nullopt},
      // Leap days: every 4 years, not every 100, but every 400.
      {"2000-02-29", 951782400000000000},
      {"2024-02-29", 1709164800000000000},
      {"2024-02-29 23:59:59", 1709251199000000000},
      {"2024-02-29 23:59:59.999999999", 1709251199999999999},
      {"1900-02-28", -2203977600000000000},
      {"1900-02-29", std::nullopt},  // 1900 is no leap year
      {"2100-02-29", std::nullopt},
      {"2023-02-29", std::nullopt},
      {"1900-03-01", -2203891200000000000},
  };
  return edges;
}

}  // namespace pando::test
