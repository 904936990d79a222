#pragma once
// Rows compared and grouped by their values in key columns (internal to the frame module):
// the kernels under groupby, sorting and value counts (docs/architecture.md §3.4.1).
//
// Equal means what pandas groups together: ints and bools by value, floats with -0.0 as 0.0,
// strings by their bytes whether dictionary-encoded or not; nulls, and NaN in float columns,
// are one missing value, equal to each other. In an order, the missing value comes after every
// value (or before, when asked), and strings order by their bytes (UTF-8: code points).

#include <pando/frame/table.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace pando::detail {

// Compares row i of one column with row j of another of the same type: < 0, 0 or > 0, the
// missing value after every other.
using CellOrder = std::function<int(std::size_t i, std::size_t j)>;
CellOrder cell_order(const Column& a, const Column& b);
// Whether row i of `c` is missing (null, or NaN in a float column); the function refers to `c`.
std::function<bool(std::size_t)> missing_test(const Column& c);

// An order of rows of table `a` against rows of table `b` (the same key columns): the first key
// that differs decides, by its direction; missing values last (or first, `nulls_first`) in
// either direction, as pandas' na_position.
class RowOrder {
 public:
  RowOrder(const Table& a, const Table& b, std::span<const SortKey> keys, bool nulls_first);
  // < 0 when row i of a goes before row j of b, 0 when their keys are equal.
  [[nodiscard]] int compare(std::size_t i, std::size_t j) const;

 private:
  struct Key {
    CellOrder order;  // of present values
    std::function<bool(std::size_t)> missing_a, missing_b;
    bool ascending;
  };
  std::vector<Key> keys_;
  bool nulls_first_;
};

// A row's place in the order of one fixed-width column, as numbers: missing values in their
// own class (after the others, or before with nulls_first), values by bits that order as they
// do (inverted when descending).
struct OrderKey {
  std::uint8_t missing_class;
  std::uint64_t bits;
  friend auto operator<=>(const OrderKey&, const OrderKey&) = default;
};

// An unsigned image of a value that orders as the value does (-0.0 as 0.0).
template <class T>
std::uint64_t sortable_bits(T v) noexcept {
  constexpr std::uint64_t sign = std::uint64_t{1} << 63;
  if constexpr (std::is_floating_point_v<T>) {
    const double d = v == 0 ? 0.0 : static_cast<double>(v);
    const auto b = std::bit_cast<std::uint64_t>(d);
    return (b & sign) ? ~b : (b | sign);
  } else {
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(v)) ^ sign;
  }
}

// Calls f(row, OrderKey) for each row; false (and no call) for a string column, whose order is
// not one of numbers. A template: f runs once per row, in loops that must stay tight.
template <class F>
bool for_each_order_key(const Column& c, bool ascending, bool nulls_first, F&& f) {
  if (c.type() == DType::string) return false;
  const auto missing_class = static_cast<std::uint8_t>(nulls_first ? 0 : 2);
  visit<fixed_width_column_dtypes>(c.type(), [&](auto zero) {
    using T = decltype(zero);
    const auto values = c.values<T>();
    const bool nulls = c.null_count() > 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      bool missing = nulls && c.is_null(i);
      if constexpr (std::is_floating_point_v<T>) missing = missing || std::isnan(values[i]);
      const std::uint64_t bits = sortable_bits(values[i]);
      f(i, missing ? OrderKey{missing_class, 0} : OrderKey{1, ascending ? bits : ~bits});
    }
  });
  return true;
}
// Each row's OrderKey; nullopt for a string column.
std::optional<std::vector<OrderKey>> order_keys(const Column& c, bool ascending, bool nulls_first);

// `t` with two int64 columns more: `source` in every row, and each row's number in `row_name`
// (where rows were, for operations that move them and then restore their order).
Table with_positions(const Table& t, std::int64_t source, const std::string& source_name,
                     const std::string& row_name);
// `count` (at most n) evenly spaced rows of n: the middle of each of `count` equal slices.
std::vector<std::int64_t> evenly_spaced_rows(std::size_t n, std::size_t count);

// Each column ascending.
std::vector<SortKey> ascending(std::span<const std::string> columns);

// The rows of `t` in the order of `keys`, stable (equal keys keep their order); only the first
// `limit` of them when fewer are wanted (a partial sort).
RawVec<std::int64_t> sorted_rows(const Table& t, std::span<const SortKey> keys,
                                 bool nulls_first = false,
                                 std::size_t limit = std::numeric_limits<std::size_t>::max());
// `t` sorted by `keys` ascending, missing values last (groupby's order of groups).
Table sorted_by_keys(const Table& t, std::span<const std::string> keys);

// The groups of a table's rows by their values in `keys`: group numbers in order of first
// appearance; with `dropna`, a row with a missing key is in no group (-1).
struct Groups {
  std::vector<std::int64_t> of_row;
  std::vector<std::int64_t> first_row;  // each group's first row
  [[nodiscard]] std::size_t count() const noexcept { return first_row.size(); }
};
Groups group_rows(const Table& t, std::span<const std::string> keys, bool dropna);

}  // namespace pando::detail
