#include <pando/frame/detail/hash.hpp>
#include <pando/frame/detail/rows.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <numeric>
#include <optional>
#include <type_traits>
#include <utility>

namespace pando::detail {

namespace {

template <class T>
int three_way(T x, T y) noexcept {
  return (x > y) - (x < y);  // -0.0 and 0.0 compare equal
}

}  // namespace

std::function<bool(std::size_t)> missing_test(const Column& c) {
  if (c.type() == DType::float64 || c.type() == DType::float32) {
    return visit<DTypeSet{DType::float32, DType::float64}>(
        c.type(), [&c](auto zero) -> std::function<bool(std::size_t)> {
          using T = decltype(zero);
          const auto v = c.values<T>();
          return [&c, v](std::size_t i) { return c.is_null(i) || std::isnan(v[i]); };
        });
  }
  if (c.null_count() == 0) return [](std::size_t) { return false; };
  return [&c](std::size_t i) { return c.is_null(i); };
}

namespace {

// Compares the values of two present rows (neither missing).
CellOrder value_order(const Column& a, const Column& b) {
  return visit<column_dtypes>(a.type(), [&](auto zero) -> CellOrder {
    using T = decltype(zero);
    if constexpr (std::is_same_v<T, StringTag>) {
      if (a.is_dictionary() && &a == &b) {
        // One dictionary of distinct values: equal codes are equal strings.
        const auto codes = a.codes();
        const Column* dict = &a.dictionary();
        return [codes, dict](std::size_t i, std::size_t j) {
          if (codes[i] == codes[j]) return 0;
          return dict->string_at(static_cast<std::size_t>(codes[i]))
              .compare(dict->string_at(static_cast<std::size_t>(codes[j])));
        };
      }
      return [&a, &b](std::size_t i, std::size_t j) {
        const int c = a.string_at(i).compare(b.string_at(j));
        return (c > 0) - (c < 0);
      };
    } else {
      const auto va = a.values<T>();
      const auto vb = b.values<T>();
      return [va, vb](std::size_t i, std::size_t j) { return three_way(va[i], vb[j]); };
    }
  });
}

}  // namespace

CellOrder cell_order(const Column& a, const Column& b) {
  if (a.type() != b.type()) throw InternalError("cell_order: columns of different types");
  return [order = value_order(a, b), ma = missing_test(a), mb = missing_test(b)](std::size_t i,
                                                                                 std::size_t j) {
    const bool x = ma(i), y = mb(j);
    if (x || y) return static_cast<int>(x) - static_cast<int>(y);
    return order(i, j);
  };
}

RowOrder::RowOrder(const Table& a, const Table& b, std::span<const SortKey> keys, bool nulls_first)
    : nulls_first_(nulls_first) {
  for (const SortKey& k : keys) {
    const Column& ca = a.column(k.column);
    const Column& cb = b.column(k.column);
    if (ca.type() != cb.type()) throw InternalError("RowOrder: key columns of different types");
    keys_.push_back({value_order(ca, cb), missing_test(ca), missing_test(cb), k.ascending});
  }
}

int RowOrder::compare(std::size_t i, std::size_t j) const {
  for (const Key& k : keys_) {
    const bool x = k.missing_a(i), y = k.missing_b(j);
    if (x || y) {
      if (x && y) continue;
      return (x ? 1 : -1) * (nulls_first_ ? -1 : 1);
    }
    const int c = k.order(i, j);
    if (c != 0) return k.ascending ? c : -c;
  }
  return 0;
}

namespace {

// Sorts `rows` (all distinct) by `less`, ties by row number, keeping only the first `limit` in
// order: a stable sort's result, without a stable sort's buffer.
template <class Row, class Less>
void sort_rows(RawVec<Row>& rows, std::size_t limit, Less less) {
  Row* const first = rows.data();
  Row* const last = first + rows.size();
  if (limit < rows.size() / 2) {
    std::partial_sort(first, first + limit, last, less);
    rows.resize(limit);
  } else {
    std::sort(first, last, less);
  }
}

// Rows sorted by their keys, stably: a least-significant-digit radix sort, 11 bits a pass (a
// pass's counts stay in the first-level cache), skipping the digits all keys share. One read
// counts every digit.
template <class Index>
void radix_sort(RawVec<std::uint64_t>& keys, RawVec<Index>& rows) {
  constexpr int digit_bits = 11;
  constexpr std::size_t radix = std::size_t{1} << digit_bits;
  constexpr int passes = (64 + digit_bits - 1) / digit_bits;
  const std::size_t n = keys.size();
  if (n < 2) return;
  std::vector<std::array<std::size_t, radix>> count(passes);
  for (std::size_t i = 0; i < n; ++i)
    for (int p = 0; p < passes; ++p) ++count[p][(keys[i] >> (p * digit_bits)) & (radix - 1)];
  RawVec<std::uint64_t> keys2;
  RawVec<Index> rows2;
  for (int p = 0; p < passes; ++p) {
    const int shift = p * digit_bits;
    auto& start = count[p];
    if (start[(keys[0] >> shift) & (radix - 1)] == n) continue;  // one digit for all
    keys2.resize(n);
    rows2.resize(n);
    std::size_t at = 0;
    for (auto& c : start) at += std::exchange(c, at);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t to = start[(keys[i] >> shift) & (radix - 1)]++;
      keys2[to] = keys[i];
      rows2[to] = rows[i];
    }
    std::swap(keys, keys2);
    std::swap(rows, rows2);
  }
}

// The present rows of `values` sorted by key(value), then the missing rows (before them with
// nulls_first) in row order; rows numbered by Index during the sort (4 bytes when they fit).
template <class Index, class T, class Missing, class KeyOf>
RawVec<std::int64_t> radix_sorted_rows(std::span<const T> values, Missing missing, KeyOf key,
                                       bool nulls_first, std::size_t limit) {
  const std::size_t n = values.size();
  RawVec<std::uint64_t> keys;
  RawVec<Index> present;
  keys.resize(n);
  present.resize(n);
  std::vector<std::int64_t> absent;
  std::size_t m = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (missing(i)) {
      absent.push_back(static_cast<std::int64_t>(i));
    } else {
      keys[m] = key(values[i]);
      present[m++] = static_cast<Index>(i);
    }
  }
  keys.resize(m);
  present.resize(m);
  radix_sort(keys, present);
  RawVec<std::int64_t> out;
  out.resize(std::min(limit, n));
  std::int64_t* to = out.data();
  std::int64_t* const end = to + out.size();
  const auto take_absent = [&] {
    for (std::size_t k = 0; k < absent.size() && to < end; ++k) *to++ = absent[k];
  };
  if (nulls_first) take_absent();
  for (std::size_t j = 0; j < m && to < end; ++j) *to++ = static_cast<std::int64_t>(present[j]);
  if (!nulls_first) take_absent();
  return out;
}

// One key of fixed width (or dictionary-encoded): the present rows sorted by value (a radix
// sort of the values' sortable bits, or a partial sort when few rows are wanted), the missing
// rows after (or before) them in row order.
template <class T, class Missing>
RawVec<std::int64_t> sort_by_values(std::span<const T> values, Missing missing, bool ascending,
                                    bool nulls_first, std::size_t limit) {
  auto key = [ascending](T v) {
    const std::uint64_t bits = sortable_bits(v);
    return ascending ? bits : ~bits;
  };
  if (!nulls_first && limit < values.size() / 16) {
    // A few first rows (top-N): one pass keeping the best `limit` in a heap.
    std::vector<std::pair<std::uint64_t, std::int64_t>> best;
    best.reserve(limit + 1);
    std::vector<std::int64_t> absent;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (missing(i)) {
        if (absent.size() < limit) absent.push_back(static_cast<std::int64_t>(i));
        continue;
      }
      const std::pair<std::uint64_t, std::int64_t> row{key(values[i]),
                                                       static_cast<std::int64_t>(i)};
      if (best.size() < limit) {
        best.push_back(row);
        std::push_heap(best.begin(), best.end());
      } else if (limit > 0 && row < best.front()) {
        std::pop_heap(best.begin(), best.end());
        best.back() = row;
        std::push_heap(best.begin(), best.end());
      }
    }
    std::sort_heap(best.begin(), best.end());
    RawVec<std::int64_t> out;
    for (const auto& b : best) out.push_back(b.second);
    for (std::size_t k = 0; out.size() < limit && k < absent.size(); ++k) out.push_back(absent[k]);
    return out;
  }
  if (values.size() <= std::numeric_limits<std::uint32_t>::max())
    return radix_sorted_rows<std::uint32_t>(values, missing, key, nulls_first, limit);
  return radix_sorted_rows<std::uint64_t>(values, missing, key, nulls_first, limit);
}

// Calls f with the missing test of a column of T whose values are `values`, as a function object
// of its own type (it runs once per row in the sorts).
template <class T, class F>
auto with_missing_test(const Column& c, std::span<const T> values, F&& f) {
  const bool nulls = c.null_count() > 0;
  if constexpr (std::is_floating_point_v<T>) {
    if (nulls)
      return f([&c, values](std::size_t i) { return c.is_null(i) || std::isnan(values[i]); });
    return f([values](std::size_t i) { return std::isnan(values[i]); });
  } else {
    if (nulls) return f([&c](std::size_t i) { return c.is_null(i); });
    return f([](std::size_t) { return false; });
  }
}

// The rank of each dictionary entry among the entries (equal strings: one dictionary holds each
// value once).
std::vector<std::int32_t> dictionary_ranks(const Column& dictionary) {
  std::vector<std::int32_t> order(dictionary.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) {
    return dictionary.string_at(static_cast<std::size_t>(a)) <
           dictionary.string_at(static_cast<std::size_t>(b));
  });
  std::vector<std::int32_t> rank(dictionary.size());
  for (std::size_t r = 0; r < order.size(); ++r)
    rank[static_cast<std::size_t>(order[r])] = static_cast<std::int32_t>(r);
  return rank;
}

std::optional<RawVec<std::int64_t>> sort_one_key(const Column& c, bool ascending, bool nulls_first,
                                                 std::size_t limit) {
  if (c.is_dictionary()) {
    const auto rank = dictionary_ranks(c.dictionary());
    const auto codes = c.codes();
    std::vector<std::int32_t> ranks(c.size());
    for (std::size_t i = 0; i < ranks.size(); ++i)
      ranks[i] = c.is_valid(i) ? rank[static_cast<std::size_t>(codes[i])] : 0;
    return sort_by_values<std::int32_t>(
        ranks, [&c](std::size_t i) { return c.is_null(i); }, ascending, nulls_first, limit);
  }
  if (c.type() == DType::string) return std::nullopt;
  return visit<fixed_width_column_dtypes>(c.type(), [&](auto zero) {
    using T = decltype(zero);
    const auto values = c.values<T>();
    return std::optional(with_missing_test(c, values, [&](auto missing) {
      return sort_by_values<T>(values, missing, ascending, nulls_first, limit);
    }));
  });
}

}  // namespace

std::optional<std::vector<OrderKey>> order_keys(const Column& c, bool ascending, bool nulls_first) {
  std::vector<OrderKey> out(c.size());
  if (!for_each_order_key(c, ascending, nulls_first,
                          [&](std::size_t i, OrderKey k) { out[i] = k; }))
    return std::nullopt;
  return out;
}

RawVec<std::int64_t> sorted_rows(const Table& t, std::span<const SortKey> keys, bool nulls_first,
                                 std::size_t limit) {
  limit = std::min(limit, t.rows());
  if (keys.size() == 1)
    if (auto rows = sort_one_key(t.column(keys[0].column), keys[0].ascending, nulls_first, limit))
      return std::move(*rows);
  RawVec<std::int64_t> rows;
  rows.resize(t.rows());
  std::iota(rows.data(), rows.data() + rows.size(), 0);
  const RowOrder order(t, t, keys, nulls_first);
  sort_rows(rows, limit, [&](std::int64_t i, std::int64_t j) {
    const int c = order.compare(static_cast<std::size_t>(i), static_cast<std::size_t>(j));
    return c != 0 ? c < 0 : i < j;
  });
  rows.resize(limit);
  return rows;
}

Table with_positions(const Table& t, std::int64_t source, const std::string& source_name,
                     const std::string& row_name) {
  std::vector<std::int64_t> rows(t.rows());
  std::iota(rows.begin(), rows.end(), 0);
  return t
      .with_column(source_name, Column::from_values(std::vector<std::int64_t>(t.rows(), source)))
      .with_column(row_name, Column::from_values(std::move(rows)));
}

std::vector<std::int64_t> evenly_spaced_rows(std::size_t n, std::size_t count) {
  const std::size_t m = std::min(count, n);
  std::vector<std::int64_t> rows;
  for (std::size_t k = 0; k < m; ++k)
    rows.push_back(static_cast<std::int64_t>((2 * k + 1) * n / (2 * m)));
  return rows;
}

std::vector<SortKey> ascending(std::span<const std::string> columns) {
  std::vector<SortKey> by;
  for (const std::string& c : columns) by.push_back({c, true});
  return by;
}

Table sorted_by_keys(const Table& t, std::span<const std::string> keys) {
  return t.take(sorted_rows(t, ascending(keys)));
}

namespace {

// Groups of a single dictionary-encoded key: by code, no hashing.
Groups group_codes(const Column& c, bool dropna) {
  Groups g;
  g.of_row.assign(c.size(), -1);
  std::vector<std::int64_t> group_of_code(c.dictionary().size(), -1);
  std::int64_t null_group = -1;
  const auto codes = c.codes();
  for (std::size_t i = 0; i < c.size(); ++i) {
    std::int64_t* group = &null_group;
    if (c.is_valid(i))
      group = &group_of_code[static_cast<std::size_t>(codes[i])];
    else if (dropna)
      continue;
    if (*group < 0) {
      *group = static_cast<std::int64_t>(g.first_row.size());
      g.first_row.push_back(static_cast<std::int64_t>(i));
    }
    g.of_row[i] = *group;
  }
  return g;
}

// Open addressing over the rows' hashes; a slot holds a group number.
class GroupTable {
 public:
  // `same(i, j)`: rows i and j have equal keys.
  explicit GroupTable(std::function<bool(std::size_t, std::size_t)> same)
      : same_(std::move(same)), slots_(1024, -1) {}

  // The group of row i (whose hash is `hash`), a new one if its keys are new.
  std::int64_t find_or_add(std::size_t i, std::uint64_t hash, Groups& g) {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t at = hash & mask;; at = (at + 1) & mask) {
      const std::int64_t group = slots_[at];
      if (group < 0) break;
      const auto k = static_cast<std::size_t>(group);
      if (hashes_[k] == hash && same_(static_cast<std::size_t>(g.first_row[k]), i)) return group;
    }
    const auto group = static_cast<std::int64_t>(g.first_row.size());
    g.first_row.push_back(static_cast<std::int64_t>(i));
    hashes_.push_back(hash);
    if (hashes_.size() * 2 > slots_.size()) {
      grow();
    } else {
      place(group);
    }
    return group;
  }

 private:
  void place(std::int64_t group) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t at = hashes_[static_cast<std::size_t>(group)] & mask;
    while (slots_[at] >= 0) at = (at + 1) & mask;
    slots_[at] = group;
  }
  void grow() {
    slots_.assign(slots_.size() * 4, -1);
    for (std::size_t k = 0; k < hashes_.size(); ++k) place(static_cast<std::int64_t>(k));
  }

  std::function<bool(std::size_t, std::size_t)> same_;
  std::vector<std::int64_t> slots_;
  std::vector<std::uint64_t> hashes_;  // of each group
};

}  // namespace

Groups group_rows(const Table& t, std::span<const std::string> keys, bool dropna) {
  if (keys.size() == 1 && t.column(keys[0]).is_dictionary())
    return group_codes(t.column(keys[0]), dropna);
  std::vector<CellOrder> orders;
  std::vector<std::function<bool(std::size_t)>> missing;
  for (const std::string& k : keys) {
    const Column& c = t.column(k);
    orders.push_back(cell_order(c, c));
    missing.push_back(missing_test(c));
  }
  GroupTable table([&orders](std::size_t i, std::size_t j) {
    return std::all_of(orders.begin(), orders.end(),
                       [&](const CellOrder& o) { return o(i, j) == 0; });
  });
  const std::vector<std::uint64_t> hashes = hash_rows(t, keys);
  Groups g;
  g.of_row.assign(t.rows(), -1);
  for (std::size_t i = 0; i < t.rows(); ++i) {
    if (dropna && std::any_of(missing.begin(), missing.end(), [i](const auto& m) { return m(i); }))
      continue;
    g.of_row[i] = table.find_or_add(i, hashes[i], g);
  }
  return g;
}

}  // namespace pando::detail
