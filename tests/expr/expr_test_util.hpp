#pragma once
// Test columns and checks for the expr tests: columns that own their values and nulls, a
// per-row serial reference, and comparisons of results (exact, or within a few ulps).

#include <pando/expr/parser.hpp>
#include <pando/expr/program.hpp>

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace pando::expr::test {

// Sizes around the tile (4096) and the validity word (64).
inline const std::vector<std::size_t> sizes = {0, 1, 63, 64, 65, 4095, 4096, 4097, 10000};

enum class Nulls { none, some, all };
inline const std::vector<Nulls> null_modes = {Nulls::none, Nulls::some, Nulls::all};
inline const char* to_string(Nulls m) {
  return m == Nulls::none ? "no nulls" : m == Nulls::some ? "some nulls" : "all null";
}

// A column that owns its values: fixed width (bool as bytes 0/1) or strings.
class Column {
 public:
  Column() = default;

  template <class T>
  static Column of(const std::vector<T>& values, DType type = dtype_of<T>()) {
    Column c;
    c.type_ = type;
    c.n_ = values.size();
    c.values_.resize(values.size() * sizeof(T));
    if (!values.empty()) std::memcpy(c.values_.data(), values.data(), c.values_.size());
    return c;
  }
  static Column bools(const std::vector<std::uint8_t>& values) {
    Column c = of(values, DType::boolean);
    return c;
  }
  static Column timestamps(const std::vector<std::int64_t>& ns) { return of(ns, DType::timestamp); }
  static Column strings(const std::vector<std::string>& values) {
    Column c;
    c.type_ = DType::string;
    c.n_ = values.size();
    c.offsets_.push_back(0);
    for (const auto& s : values) {
      c.bytes_ += s;
      c.offsets_.push_back(static_cast<std::int64_t>(c.bytes_.size()));
    }
    return c;
  }

  // Marks row i null where valid(i) is false.
  Column& nulls(const std::function<bool(std::size_t)>& valid) {
    validity_.assign((n_ + 7) / 8, 0);
    for (std::size_t i = 0; i < n_; ++i)
      if (valid(i)) validity_[i / 8] |= static_cast<std::uint8_t>(1u << (i % 8));
    return *this;
  }
  Column& nulls(Nulls mode, std::uint64_t seed = 7) {
    if (mode == Nulls::none) return *this;
    std::mt19937_64 rng(seed);
    std::vector<bool> v(n_);
    for (std::size_t i = 0; i < n_; ++i) v[i] = mode == Nulls::some && rng() % 5 != 0;
    return nulls([&](std::size_t i) { return static_cast<bool>(v[i]); });
  }

  [[nodiscard]] Input input() const {
    Input in;
    in.type = type_;
    in.length = n_;
    in.validity = validity_.empty() ? nullptr : validity_.data();
    if (type_ == DType::string) {
      in.data = bytes_.data();
      in.offsets = offsets_.data();
    } else {
      in.data = values_.data();
    }
    return in;
  }

  [[nodiscard]] DType type() const { return type_; }
  [[nodiscard]] std::size_t size() const { return n_; }
  // Row i of a column of n_ rows, or the one row of a broadcast scalar.
  [[nodiscard]] bool valid(std::size_t i) const {
    std::size_t j = n_ == 1 ? 0 : i;
    return validity_.empty() || ((validity_[j / 8] >> (j % 8)) & 1);
  }
  template <class T>
  [[nodiscard]] T at(std::size_t i) const {
    T v;
    std::memcpy(&v, values_.data() + (n_ == 1 ? 0 : i) * sizeof(T), sizeof(T));
    return v;
  }
  [[nodiscard]] std::string str(std::size_t i) const {
    std::size_t j = n_ == 1 ? 0 : i;
    return bytes_.substr(static_cast<std::size_t>(offsets_[j]),
                         static_cast<std::size_t>(offsets_[j + 1] - offsets_[j]));
  }

 private:
  DType type_ = DType::float64;
  std::size_t n_ = 0;
  std::vector<std::byte> values_;
  std::string bytes_;
  std::vector<std::int64_t> offsets_;
  std::vector<std::uint8_t> validity_;
};

// Named columns an expression is compiled against and run over.
class Table {
 public:
  Table& add(std::string name, Column c) {
    names_.emplace_back(std::move(name), c.type());
    columns_.push_back(std::move(c));
    return *this;
  }
  [[nodiscard]] const Column& operator[](std::string_view name) const {
    for (std::size_t i = 0; i < names_.size(); ++i)
      if (names_[i].first == name) return columns_[i];
    throw std::out_of_range(std::string(name));
  }
  [[nodiscard]] const std::vector<std::pair<std::string, DType>>& schema() const { return names_; }
  [[nodiscard]] std::vector<Input> inputs() const {
    std::vector<Input> in;
    for (const Column& c : columns_) in.push_back(c.input());
    return in;
  }
  [[nodiscard]] Program compile(std::string_view text) const {
    return Program::compile(parse_expression(text), names_);
  }
  [[nodiscard]] Output run(std::string_view text, std::size_t n) const {
    auto in = inputs();
    return compile(text).run(in, n);
  }

 private:
  std::vector<std::pair<std::string, DType>> names_;
  std::vector<Column> columns_;
};

// Distance in units in the last place between two floats of the same sign class.
template <class T>
std::int64_t ulps(T a, T b) {
  using I = std::conditional_t<sizeof(T) == 8, std::int64_t, std::int32_t>;
  auto key = [](T x) {
    I i = std::bit_cast<I>(x);
    return i < 0 ? static_cast<std::int64_t>(std::numeric_limits<I>::min()) - i
                 : static_cast<std::int64_t>(i);
  };
  std::int64_t d = key(a) - key(b);
  return d < 0 ? -d : d;
}

// How a result value is compared with the reference.
struct Exact {
  template <class T>
  bool operator()(T got, T want) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(want)) return std::isnan(got);
      return std::bit_cast<std::conditional_t<sizeof(T) == 8, std::uint64_t, std::uint32_t>>(got) ==
             std::bit_cast<std::conditional_t<sizeof(T) == 8, std::uint64_t, std::uint32_t>>(want);
    } else {
      return got == want;
    }
  }
};
struct WithinUlps {
  std::int64_t max;
  template <class T>
  bool operator()(T got, T want) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(want) || std::isnan(got)) return std::isnan(want) && std::isnan(got);
      if (std::isinf(want) || std::isinf(got)) return got == want;
      if (got == want) return true;  // +0 / -0
      return ulps(got, want) <= max;
    } else {
      return got == want;
    }
  }
};

template <class T>
std::string show(const T& v) {
  if constexpr (std::is_same_v<T, std::string>)
    return "\"" + v + "\"";
  else if constexpr (std::is_floating_point_v<T>) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", static_cast<double>(v));
    return buf;
  } else
    return std::to_string(v);
}

// Row i of an output as T (bool: uint8_t; strings: std::string).
template <class T>
T output_value(const Output& out, std::size_t i) {
  if constexpr (std::is_same_v<T, std::string>)
    return std::string(out.string(i));
  else
    return out.values<T>()[i];
}

// Checks every row of `out` against `want(i)` (nullopt: a null), and that the validity buffer
// is empty when there are no nulls and sized (n + 7) / 8 with clear tail bits otherwise.
template <class T, class Cmp = Exact>
::testing::AssertionResult matches(const Output& out, std::size_t n,
                                   const std::function<std::optional<T>(std::size_t)>& want,
                                   Cmp cmp = {}) {
  if (out.length != n)
    return ::testing::AssertionFailure() << "length " << out.length << ", expected " << n;
  bool any_null = false;
  for (std::size_t i = 0; i < n; ++i) {
    std::optional<T> w = want(i);
    if (!w) {
      any_null = true;
      if (out.is_valid(i))
        return ::testing::AssertionFailure()
               << "row " << i << ": got " << show(output_value<T>(out, i)) << ", expected null";
      continue;
    }
    if (!out.is_valid(i))
      return ::testing::AssertionFailure() << "row " << i << ": got null, expected " << show(*w);
    T got = output_value<T>(out, i);
    if (!cmp(got, *w))
      return ::testing::AssertionFailure()
             << "row " << i << ": got " << show(got) << ", expected " << show(*w);
  }
  if (!any_null && !out.validity.empty())
    return ::testing::AssertionFailure() << "validity buffer present without nulls";
  if (any_null) {
    if (out.validity.size() != (n + 7) / 8)
      return ::testing::AssertionFailure() << "validity of " << out.validity.size() << " bytes";
    if (n % 8 != 0) {
      auto last = static_cast<unsigned>(out.validity.data()[n / 8]);
      if ((last >> (n % 8)) != 0) return ::testing::AssertionFailure() << "tail bits set";
    }
  }
  return ::testing::AssertionSuccess();
}

// The result of for_each_tile, gathered into an Output, to compare with run().
inline Output gather_tiles(const Program& p, std::span<const Input> inputs, std::size_t n) {
  Output out;
  out.type = p.result_type();
  out.length = n;
  std::vector<std::byte> data;
  std::vector<std::int64_t> offsets{0};
  std::vector<std::uint8_t> validity((n + 7) / 8, 0);
  bool nulls = false;
  std::size_t expected_offset = 0;
  p.for_each_tile(inputs, n, [&](const Input& t, std::size_t offset) {
    EXPECT_EQ(offset, expected_offset);
    EXPECT_EQ(offset % Program::tile_rows, 0U);
    EXPECT_LE(t.length, Program::tile_rows);
    EXPECT_EQ(t.type, p.result_type());
    expected_offset += t.length;
    for (std::size_t i = 0; i < t.length; ++i) {
      if (t.is_valid(i))
        validity[(offset + i) / 8] |= static_cast<std::uint8_t>(1u << ((offset + i) % 8));
      else
        nulls = true;
      if (t.type == DType::string) {
        std::string_view s = t.string(i);
        for (char c : s) data.push_back(static_cast<std::byte>(c));
        offsets.push_back(static_cast<std::int64_t>(data.size()));
      } else {
        const std::size_t size = element_size(t.type);
        const auto* p8 = static_cast<const std::byte*>(t.data) + i * size;
        data.insert(data.end(), p8, p8 + size);
      }
    }
  });
  EXPECT_EQ(expected_offset, n);
  out.data = Buffer::copy_of(data);
  if (out.type == DType::string)
    out.offsets = Buffer::copy_of(std::as_bytes(std::span<const std::int64_t>(offsets)));
  if (nulls) out.validity = Buffer::copy_of(std::as_bytes(std::span<const std::uint8_t>(validity)));
  return out;
}

}  // namespace pando::expr::test
