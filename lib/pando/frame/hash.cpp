#include <pando/frame/detail/hash.hpp>

#include <pando/core/dtype.hpp>
#include <pando/graph/key.hpp>

#include <bit>
#include <cmath>
#include <type_traits>

namespace pando::detail {

namespace {

constexpr std::uint64_t null_hash = 0x6e756c6c2f6e616eULL;  // a null, or NaN

// A value's bits, as equal values share them (hash_combine mixes them into the row's hash).
template <class T>
std::uint64_t value_bits(T v) noexcept {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(v)) return null_hash;
    const double d = v == 0 ? 0.0 : static_cast<double>(v);  // -0.0 == 0.0
    return std::bit_cast<std::uint64_t>(d);
  } else {
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(v));
  }
}

// Folds one column's value hashes into `rows` (row i: rows[i] combined with hash_of(i)).
template <class F>
void fold(const Column& c, std::span<std::uint64_t> rows, F hash_of) {
  for (std::size_t i = 0; i < rows.size(); ++i)
    rows[i] = hash_combine(rows[i], c.is_valid(i) ? hash_of(i) : null_hash);
}

template <class T>
void fold_values(const Column& c, std::span<std::uint64_t> rows) {
  const auto v = c.values<T>();
  fold(c, rows, [&](std::size_t i) { return value_bits(v[i]); });
}

void fold_strings(const Column& c, std::span<std::uint64_t> rows) {
  if (c.is_dictionary()) {  // each distinct value hashed once
    const Column& dict = c.dictionary();
    std::vector<std::uint64_t> entry(dict.size());
    for (std::size_t k = 0; k < entry.size(); ++k) entry[k] = stable_hash(dict.string_at(k));
    const auto codes = c.codes();
    fold(c, rows, [&](std::size_t i) { return entry[static_cast<std::size_t>(codes[i])]; });
  } else {
    fold(c, rows, [&](std::size_t i) { return stable_hash(c.string_at(i)); });
  }
}

void fold_column(const Column& c, std::span<std::uint64_t> rows) {
  visit<column_dtypes>(c.type(), [&](auto zero) {
    using T = decltype(zero);
    if constexpr (std::is_same_v<T, StringTag>)
      fold_strings(c, rows);
    else
      fold_values<T>(c, rows);
  });
}

}  // namespace

std::vector<std::uint64_t> hash_rows(const Table& t, std::span<const std::string> columns) {
  std::vector<std::uint64_t> rows(t.rows(), 0);
  for (const std::string& name : columns) fold_column(t.column(name), rows);
  return rows;
}

}  // namespace pando::detail
