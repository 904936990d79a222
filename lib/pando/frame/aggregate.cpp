#include <pando/frame/detail/aggregate.hpp>

#include <pando/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <numeric>
#include <type_traits>

namespace pando::detail {

namespace {

constexpr DTypeSet numbers{DType::int32, DType::int64, DType::float32, DType::float64};
constexpr DTypeSet numbers_and_bool = numbers | DTypeSet{DType::boolean};

// Integer sums and products wrap around on overflow, as NumPy's (unsigned arithmetic: signed
// overflow is undefined in C++).
std::int64_t wrapping_add(std::int64_t a, std::int64_t b) noexcept {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}
std::int64_t wrapping_mul(std::int64_t a, std::int64_t b) noexcept {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) * static_cast<std::uint64_t>(b));
}

// Calls f(group, x) for every row of a group whose value is present (not null, not NaN), in row
// order; x is the value as int64 (bool, ints, timestamps) or double (floats).
template <class F>
void each_present(const Column& v, const Groups& g, F&& f) {
  visit<numbers_and_bool | DTypeSet{DType::timestamp}>(v.type(), [&](auto zero) {
    using T = decltype(zero);
    const auto values = v.values<T>();
    const bool nulls = v.null_count() > 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      const std::int64_t group = g.of_row[i];
      if (group < 0 || (nulls && v.is_null(i))) continue;
      if constexpr (std::is_floating_point_v<T>) {
        if (!std::isnan(values[i])) f(group, static_cast<double>(values[i]));
      } else {
        f(group, static_cast<std::int64_t>(values[i]));
      }
    }
  });
}

template <class T>
Column column_of(std::vector<T> values) {
  return Column::from_values<T>(std::move(values));
}

// Present values per group.
Column count_present(const Column& v, const Groups& g) {
  std::vector<std::int64_t> n(g.count(), 0);
  if (v.type() == DType::string) {
    for (std::size_t i = 0; i < v.size(); ++i)
      if (g.of_row[i] >= 0 && v.is_valid(i)) ++n[static_cast<std::size_t>(g.of_row[i])];
  } else {
    each_present(v, g, [&](std::int64_t group, auto) { ++n[static_cast<std::size_t>(group)]; });
  }
  return column_of(std::move(n));
}

// Sum (or product) per group: int64, wrapping, of bools and ints; float64 of floats, or of
// anything when `as_float`.
template <bool Product>
Column fold_numbers(const Column& v, const Groups& g, bool as_float) {
  if (!as_float && !is_floating(v.type())) {
    std::vector<std::int64_t> acc(g.count(), Product ? 1 : 0);
    each_present(v, g, [&](std::int64_t group, auto x) {
      auto& a = acc[static_cast<std::size_t>(group)];
      a = Product ? wrapping_mul(a, static_cast<std::int64_t>(x))
                  : wrapping_add(a, static_cast<std::int64_t>(x));
    });
    return column_of(std::move(acc));
  }
  std::vector<double> acc(g.count(), Product ? 1.0 : 0.0);
  each_present(v, g, [&](std::int64_t group, auto x) {
    auto& a = acc[static_cast<std::size_t>(group)];
    a = Product ? a * static_cast<double>(x) : a + static_cast<double>(x);
  });
  return column_of(std::move(acc));
}

class Count final : public Aggregation {
 public:
  explicit Count(bool rows) : rows_(rows) {}
  std::vector<DType> state_types() const override { return {DType::int64}; }
  std::vector<Column> accumulate(const Column& v, const Groups& g) const override {
    if (!rows_) return {count_present(v, g)};
    std::vector<std::int64_t> n(g.count(), 0);
    for (std::int64_t group : g.of_row)
      if (group >= 0) ++n[static_cast<std::size_t>(group)];
    return {column_of(std::move(n))};
  }
  std::vector<Column> merge(std::span<const Column> s, const Groups& g) const override {
    return {fold_numbers<false>(s[0], g, false)};
  }
  Column finish(std::span<const Column> s) const override { return s[0]; }

 private:
  bool rows_;  // size: every row, missing or not
};

template <bool Product>
class Fold final : public Aggregation {
 public:
  explicit Fold(DType type) : integral_(!is_floating(type)) {}
  std::vector<DType> state_types() const override {
    return {integral_ ? DType::int64 : DType::float64};
  }
  std::vector<Column> accumulate(const Column& v, const Groups& g) const override {
    return {fold_numbers<Product>(v, g, false)};
  }
  std::vector<Column> merge(std::span<const Column> s, const Groups& g) const override {
    return {fold_numbers<Product>(s[0], g, false)};
  }
  Column finish(std::span<const Column> s) const override { return s[0]; }

 private:
  bool integral_;
};

// The mean of each group: null for a group without values (pandas' NaN).
class Mean final : public Aggregation {
 public:
  std::vector<DType> state_types() const override { return {DType::float64, DType::int64}; }
  std::vector<Column> accumulate(const Column& v, const Groups& g) const override {
    return {fold_numbers<false>(v, g, true), count_present(v, g)};
  }
  std::vector<Column> merge(std::span<const Column> s, const Groups& g) const override {
    return {fold_numbers<false>(s[0], g, true), fold_numbers<false>(s[1], g, false)};
  }
  Column finish(std::span<const Column> s) const override {
    const auto sum = s[0].values<double>();
    const auto n = s[1].values<std::int64_t>();
    ColumnBuilder<double> out;
    for (std::size_t k = 0; k < sum.size(); ++k)
      n[k] > 0 ? out.append(sum[k] / static_cast<double>(n[k])) : out.append_null();
    return out.finish();
  }
};

// Variance (or standard deviation) with `ddof`: count, mean and the sum of squared deviations
// per group (Welford's update per row; Chan, Golub and LeVeque's merge).
class Variance final : public Aggregation {
 public:
  Variance(int ddof, bool root) : ddof_(ddof), root_(root) {}
  std::vector<DType> state_types() const override {
    return {DType::int64, DType::float64, DType::float64};
  }
  std::vector<Column> accumulate(const Column& v, const Groups& g) const override {
    Moments m(g.count());
    each_present(v, g, [&](std::int64_t group, auto x) {
      const auto k = static_cast<std::size_t>(group);
      const double d = static_cast<double>(x) - m.mean[k];
      m.mean[k] += d / static_cast<double>(++m.n[k]);
      m.m2[k] += d * (static_cast<double>(x) - m.mean[k]);
    });
    return m.columns();
  }
  std::vector<Column> merge(std::span<const Column> s, const Groups& g) const override {
    Moments m(g.count());
    const auto n = s[0].values<std::int64_t>();
    const auto mean = s[1].values<double>();
    const auto m2 = s[2].values<double>();
    for (std::size_t i = 0; i < n.size(); ++i) {
      if (g.of_row[i] < 0 || n[i] == 0) continue;
      const auto k = static_cast<std::size_t>(g.of_row[i]);
      const double na = static_cast<double>(m.n[k]), nb = static_cast<double>(n[i]);
      const double delta = mean[i] - m.mean[k];
      m.mean[k] += delta * (nb / (na + nb));
      m.m2[k] += m2[i] + delta * delta * (na * nb / (na + nb));
      m.n[k] += n[i];
    }
    return m.columns();
  }
  Column finish(std::span<const Column> s) const override {
    const auto n = s[0].values<std::int64_t>();
    const auto m2 = s[2].values<double>();
    ColumnBuilder<double> out;
    for (std::size_t k = 0; k < n.size(); ++k) {
      const double dof = static_cast<double>(n[k] - ddof_);
      if (dof <= 0) {
        out.append_null();
        continue;
      }
      const double var = m2[k] / dof;
      out.append(root_ ? std::sqrt(var) : var);
    }
    return out.finish();
  }

 private:
  struct Moments {
    explicit Moments(std::size_t groups) : n(groups, 0), mean(groups, 0.0), m2(groups, 0.0) {}
    std::vector<std::int64_t> n;
    std::vector<double> mean, m2;
    std::vector<Column> columns() {
      return {column_of(std::move(n)), column_of(std::move(mean)), column_of(std::move(m2))};
    }
  };
  int ddof_;
  bool root_;
};

enum class Pick { min, max, first, last };

// One of each group's present values (null when it has none): the state is the value itself,
// so states merge by the same rule.
class Picked final : public Aggregation {
 public:
  Picked(DType type, Pick rule) : type_(type), rule_(rule) {}
  std::vector<DType> state_types() const override { return {type_}; }
  std::vector<Column> accumulate(const Column& v, const Groups& g) const override {
    return {pick(v, g)};
  }
  std::vector<Column> merge(std::span<const Column> s, const Groups& g) const override {
    return {pick(s[0], g)};
  }
  Column finish(std::span<const Column> s) const override { return s[0]; }

 private:
  Column pick(const Column& v, const Groups& g) const {
    std::vector<std::int64_t> chosen(g.count(), -1);
    const auto missing = missing_test(v);
    const CellOrder order = cell_order(v, v);
    for (std::size_t i = 0; i < v.size(); ++i) {
      const std::int64_t group = g.of_row[i];
      if (group < 0 || missing(i)) continue;
      auto& c = chosen[static_cast<std::size_t>(group)];
      const bool take = c < 0 || rule_ == Pick::last ||
                        (rule_ == Pick::min && order(i, static_cast<std::size_t>(c)) < 0) ||
                        (rule_ == Pick::max && order(i, static_cast<std::size_t>(c)) > 0);
      if (take) c = static_cast<std::int64_t>(i);
    }
    return v.take(chosen);
  }

  DType type_;
  Pick rule_;
};

// any / all of each group's present values (true where non-zero); false / true for none.
class Truth final : public Aggregation {
 public:
  explicit Truth(bool all) : all_(all) {}
  std::vector<DType> state_types() const override { return {DType::boolean}; }
  std::vector<Column> accumulate(const Column& v, const Groups& g) const override {
    std::vector<bool> acc(g.count(), all_);
    each_present(v, g, [&](std::int64_t group, auto x) {
      if ((x != 0) != all_) acc[static_cast<std::size_t>(group)] = !all_;
    });
    return {Column::from_bools(acc)};
  }
  std::vector<Column> merge(std::span<const Column> s, const Groups& g) const override {
    return accumulate(s[0], g);
  }
  Column finish(std::span<const Column> s) const override { return s[0]; }

 private:
  bool all_;
};

// Aggregations that need every value of a group: computed from the rows, never merged.
class Holistic : public Aggregation {
 public:
  bool holistic() const noexcept override { return true; }
  std::vector<DType> state_types() const override { return {}; }
  std::vector<Column> accumulate(const Column&, const Groups&) const override { refuse(); }
  std::vector<Column> merge(std::span<const Column>, const Groups&) const override { refuse(); }
  Column finish(std::span<const Column>) const override { refuse(); }

 protected:
  // The present rows, by group, each group's rows sorted by value (ties in row order).
  static std::vector<std::int64_t> rows_by_group_and_value(const Column& v, const Groups& g) {
    const auto missing = missing_test(v);
    std::vector<std::int64_t> rows;
    for (std::size_t i = 0; i < v.size(); ++i)
      if (g.of_row[i] >= 0 && !missing(i)) rows.push_back(static_cast<std::int64_t>(i));
    const CellOrder order = cell_order(v, v);
    std::stable_sort(rows.begin(), rows.end(), [&](std::int64_t i, std::int64_t j) {
      const auto gi = g.of_row[static_cast<std::size_t>(i)];
      const auto gj = g.of_row[static_cast<std::size_t>(j)];
      if (gi != gj) return gi < gj;
      return order(static_cast<std::size_t>(i), static_cast<std::size_t>(j)) < 0;
    });
    return rows;
  }

 private:
  [[noreturn]] static void refuse() {
    throw InternalError("a holistic aggregation has no partial state");
  }
};

class Nunique final : public Holistic {
 public:
  Column compute(const Column& v, const Groups& g) const override {
    std::vector<std::int64_t> n(g.count(), 0);
    const auto rows = rows_by_group_and_value(v, g);
    const CellOrder order = cell_order(v, v);
    for (std::size_t k = 0; k < rows.size(); ++k) {
      const auto i = static_cast<std::size_t>(rows[k]);
      const bool repeat = k > 0 && g.of_row[i] == g.of_row[static_cast<std::size_t>(rows[k - 1])] &&
                          order(i, static_cast<std::size_t>(rows[k - 1])) == 0;
      if (!repeat) ++n[static_cast<std::size_t>(g.of_row[i])];
    }
    return column_of(std::move(n));
  }
};

// The q-quantile of each group, interpolated linearly between the two nearest values (pandas'
// default); null for a group without values.
class Quantile final : public Holistic {
 public:
  explicit Quantile(double q) : q_(q) {}
  Column compute(const Column& v, const Groups& g) const override {
    std::vector<std::vector<double>> values(g.count());
    each_present(v, g, [&](std::int64_t group, auto x) {
      values[static_cast<std::size_t>(group)].push_back(static_cast<double>(x));
    });
    ColumnBuilder<double> out;
    for (auto& x : values) {
      if (x.empty()) {
        out.append_null();
        continue;
      }
      const double at = q_ * static_cast<double>(x.size() - 1);
      const auto lo = static_cast<std::size_t>(std::floor(at));
      const auto hi = std::min(lo + 1, x.size() - 1);
      std::nth_element(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(lo), x.end());
      const double a = x[lo];
      const double b =
          hi == lo ? a : *std::min_element(x.begin() + static_cast<std::ptrdiff_t>(hi), x.end());
      const double t = at - static_cast<double>(lo);
      out.append(t == 0 ? a : a + (b - a) * t);
    }
    return out.finish();
  }

 private:
  double q_;
};

}  // namespace

std::optional<double> quantile_of(const std::string& func) {
  if (func == "median") return 0.5;
  if (func.size() < 2 || func[0] != 'q' || !(std::isdigit(static_cast<unsigned char>(func[1]))))
    return std::nullopt;
  double percent = 0;
  const char* end = func.data() + func.size();
  auto [p, ec] = std::from_chars(func.data() + 1, end, percent);
  if (ec != std::errc() || p != end)
    throw UsageError(
        fmt::format("aggregation '{}': write a percent after q, as q90 or q99.9", func));
  if (percent < 0 || percent > 100)
    throw UsageError(fmt::format(
        "aggregation '{}': a quantile's percent lies between 0 and 100 (q50 is the median)", func));
  return percent / 100;
}

AggSpec make_agg(const std::string& column, DType type, const std::string& func, int ddof) {
  auto needs = [&](DTypeSet takes, std::string_view what) {
    if (!takes.contains(type))
      throw TypeError(fmt::format(
          "cannot take the {} of column '{}' of type {} ({} takes {}); astype or --dtype "
          "changes a column's type",
          func, column, to_string(type), what, to_string(takes)));
  };
  std::shared_ptr<const Aggregation> kernel;
  DType out = DType::float64;
  if (func == "count" || func == "size") {
    kernel = std::make_shared<Count>(func == "size");
    out = DType::int64;
  } else if (func == "sum" || func == "prod") {
    needs(numbers_and_bool, func);
    if (func == "sum")
      kernel = std::make_shared<Fold<false>>(type);
    else
      kernel = std::make_shared<Fold<true>>(type);
    out = is_floating(type) ? DType::float64 : DType::int64;
  } else if (func == "mean") {
    needs(numbers_and_bool, func);
    kernel = std::make_shared<Mean>();
  } else if (func == "std" || func == "var") {
    needs(numbers_and_bool, func);
    kernel = std::make_shared<Variance>(ddof, func == "std");
  } else if (func == "min" || func == "max" || func == "first" || func == "last") {
    const Pick rule = func == "min"     ? Pick::min
                      : func == "max"   ? Pick::max
                      : func == "first" ? Pick::first
                                        : Pick::last;
    kernel = std::make_shared<Picked>(type, rule);
    out = type;
  } else if (func == "any" || func == "all") {
    needs(numbers_and_bool, func);
    kernel = std::make_shared<Truth>(func == "all");
    out = DType::boolean;
  } else if (func == "nunique") {
    kernel = std::make_shared<Nunique>();
    out = DType::int64;
  } else if (func == "median" || func == "quantile") {
    needs(numbers, func);
    kernel = std::make_shared<Quantile>(0.5);
  } else if (auto q = quantile_of(func)) {
    needs(numbers, "a quantile");
    kernel = std::make_shared<Quantile>(*q);
  } else {
    throw UsageError(fmt::format(
        "unknown aggregation '{}' for column '{}' (use count, size, sum, mean, min, max, std, "
        "var, prod, first, last, nunique, median, qNN as q90, any or all)",
        func, column));
  }
  return {column, func, column + "_" + func, std::move(kernel), out};
}

}  // namespace pando::detail
