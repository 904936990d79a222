#pragma once
// Hashes of rows by their key columns, for the shuffle engine (docs/architecture.md §4.4): equal
// keys give equal hashes whatever their storage, on every rank and in every run.

#include <pando/frame/table.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace pando::detail {

// The hash of each row's values in `columns` (names of `t`'s columns; UsageError listing the
// columns for an unknown one). Alike for equal values: bool and ints as their int64 value,
// floats with -0.0 as 0.0, strings by their bytes (dictionary-encoded or not); nulls, and NaN
// (pandas' missing float), all alike. Values of different kinds may differ: 1 and 1.0 do (a
// join casts its keys to one type first).
std::vector<std::uint64_t> hash_rows(const Table& t, std::span<const std::string> columns);

// Which of `n` partitions a hash goes to: its high 32 bits scaled to [0, n) (no division, and
// the hash's mixing makes the high bits as good as any).
inline std::uint32_t partition_of(std::uint64_t hash, std::uint32_t n) noexcept {
  return static_cast<std::uint32_t>(((hash >> 32) * n) >> 32);
}

}  // namespace pando::detail
