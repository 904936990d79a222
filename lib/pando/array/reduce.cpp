// Reductions: sum prod mean var std min max argmin argmax any all, over all axes or some.
//
// Each block yields a partial result (for var/std: count, mean and sum of squared deviations,
// combined with Chan's formula); partials are combined along a tree whose shape depends on the
// chunking alone: groups of `fan_in` consecutive blocks, in block order. So a reduction gives
// bit-identical results on any number of ranks (docs/architecture.md §6), and the combine
// tasks run where most partials already are.

#include <pando/array/detail/reduce.hpp>

#include <pando/array/elementwise.hpp>
#include <pando/array/detail/node.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

namespace pando {

std::string_view to_string(ReduceKind k) noexcept {
  switch (k) {
    case ReduceKind::sum:
      return "sum";
    case ReduceKind::prod:
      return "prod";
    case ReduceKind::mean:
      return "mean";
    case ReduceKind::var:
      return "var";
    case ReduceKind::std:
      return "std";
    case ReduceKind::min:
      return "min";
    case ReduceKind::max:
      return "max";
    case ReduceKind::argmin:
      return "argmin";
    case ReduceKind::argmax:
      return "argmax";
    case ReduceKind::any:
      return "any";
    case ReduceKind::all:
      return "all";
  }
  return "?";
}

std::optional<ReduceKind> parse_reduce_kind(std::string_view name) noexcept {
  for (auto k : {ReduceKind::sum, ReduceKind::prod, ReduceKind::mean, ReduceKind::var,
                 ReduceKind::std, ReduceKind::min, ReduceKind::max, ReduceKind::argmin,
                 ReduceKind::argmax, ReduceKind::any, ReduceKind::all})
    if (to_string(k) == name) return k;
  return std::nullopt;
}

DType reduce_result_type(ReduceKind kind, DType in, NarrowInt narrow) {
  switch (kind) {
    case ReduceKind::sum:
    case ReduceKind::prod:
      if (is_floating(in)) return in;
      return in == DType::uint64 || is_unsigned(narrow) ? DType::uint64 : DType::int64;
    case ReduceKind::mean:
    case ReduceKind::var:
    case ReduceKind::std:
      return is_floating(in) ? in : DType::float64;
    case ReduceKind::min:
    case ReduceKind::max:
      return in;
    case ReduceKind::argmin:
    case ReduceKind::argmax:
      return DType::int64;
    case ReduceKind::any:
    case ReduceKind::all:
      return DType::boolean;
  }
  return in;
}

namespace detail {

bool is_arg(ReduceKind k) { return k == ReduceKind::argmin || k == ReduceKind::argmax; }
bool is_moment(ReduceKind k) { return k == ReduceKind::var || k == ReduceKind::std; }

namespace {

// What a partial holds per output element, in `a` (and `b`):
//   sum, prod:   the running sum/product: float64 for floating input; for integers uint64,
//                modulo 2^64 (NumPy's int64 and uint64 sums and products wrap; unsigned
//                arithmetic is where C++ defines the wrap, and the int64 result is the same bits)
//   mean:        the sum (float64)
//   var, std:    the mean (a) and the sum of squared deviations (b), float64
//   min, max:    the value, in the input type
//   argmin/max:  the value (a, input type) and its index (b, int64)
//   any, all:    bool
DType partial_type(ReduceKind kind, DType in) {
  switch (kind) {
    case ReduceKind::sum:
    case ReduceKind::prod:
      return is_floating(in) ? DType::float64 : DType::uint64;
    case ReduceKind::mean:
    case ReduceKind::var:
    case ReduceKind::std:
      return DType::float64;
    case ReduceKind::any:
    case ReduceKind::all:
      return DType::boolean;
    default:
      return in;
  }
}

// ---- kernels over one block, in two layouts ----
// rows: K outputs, each reducing M contiguous elements (reduced axes last).
// cols: M rows of K contiguous elements, reduced across rows (reduced axes first).

// The sum of term(x[i]) over n values, like NumPy's pairwise sum: blocks of 128 summed with 8
// accumulators, halves summed recursively; error grows with log n rather than n.
template <class T, class F>
double pairwise(const T* x, std::int64_t n, F&& term) {
  if (n <= 128) {
    double r[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    std::int64_t i = 0;
    for (; i + 8 <= n; i += 8)
      for (int k = 0; k < 8; ++k) r[k] += term(x[i + k]);
    double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) s += term(x[i]);
    return s;
  }
  std::int64_t half = (n / 2) & ~std::int64_t{7};
  return pairwise(x, half, term) + pairwise(x + half, n - half, term);
}

template <class T>
double pairwise_sum(const T* x, std::int64_t n) {
  return pairwise(x, n, [](T v) { return static_cast<double>(v); });
}

template <class T>
double pairwise_sq_dev(const T* x, std::int64_t n, double mean) {
  return pairwise(x, n, [mean](T v) {
    const double d = static_cast<double>(v) - mean;
    return d * d;
  });
}

// Column sums of an M x K row-major block, pairwise over rows.
template <class T, class F>
void pairwise_cols(const T* x, std::int64_t m, std::int64_t k, double* out, F&& term) {
  if (m <= 16) {
    // Eight columns at a time, summed down the rows in registers (the same order as a row at a
    // time, without storing and reloading `out` for every row).
    constexpr std::int64_t width = 8;
    std::int64_t j0 = 0;
    for (; j0 + width <= k; j0 += width) {
      double s[width] = {};
      for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < width; ++j) s[j] += term(x[i * k + j0 + j], j0 + j);
      std::copy(s, s + width, out + j0);
    }
    for (std::int64_t j = j0; j < k; ++j) {
      double s = 0;
      for (std::int64_t i = 0; i < m; ++i) s += term(x[i * k + j], j);
      out[j] = s;
    }
    return;
  }
  std::vector<double> lower(static_cast<std::size_t>(k));
  const std::int64_t half = m / 2;
  pairwise_cols(x, half, k, out, term);
  pairwise_cols(x + half * k, m - half, k, lower.data(), term);
  for (std::int64_t j = 0; j < k; ++j) out[j] += lower[static_cast<std::size_t>(j)];
}

template <class T>
bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>)
    return std::isnan(v);
  else
    return false;
}

// Whether candidate v replaces the current extreme m (NaN wins and stays, as in NumPy).
template <class T>
bool better(ReduceKind kind, T v, T m) {
  if (is_nan(m)) return false;
  if (is_nan(v)) return true;
  return (kind == ReduceKind::min || kind == ReduceKind::argmin) ? v < m : v > m;
}

// The minimum or maximum of n > 0 contiguous values, NaN if any is NaN (as NumPy), in eight
// independent lanes that the compiler turns into vector min/max instructions (a compare and a
// branch per value would take several times as long).
template <class T>
T extreme(const T* x, std::int64_t n, bool want_max) {
  constexpr std::int64_t width = 8;
  if (n < width) {
    T best = x[0];
    for (std::int64_t i = 1; i < n; ++i)
      best = better(want_max ? ReduceKind::max : ReduceKind::min, x[i], best) ? x[i] : best;
    return best;
  }
  T lane[width];
  std::copy(x, x + width, lane);
  unsigned nan = 0;
  auto fold = [&](auto pick) {
    std::int64_t i = width;
    for (; i + width <= n; i += width)
      for (std::int64_t k = 0; k < width; ++k) {
        const T v = x[i + k];
        if constexpr (std::is_floating_point_v<T>) nan |= static_cast<unsigned>(v != v);
        lane[k] = pick(v, lane[k]);
      }
    for (; i < n; ++i) {
      if constexpr (std::is_floating_point_v<T>) nan |= static_cast<unsigned>(x[i] != x[i]);
      lane[0] = pick(x[i], lane[0]);
    }
  };
  if (want_max)
    fold([](T v, T m) { return v > m ? v : m; });
  else
    fold([](T v, T m) { return v < m ? v : m; });
  if constexpr (std::is_floating_point_v<T>) {
    for (std::int64_t k = 0; k < width; ++k) nan |= static_cast<unsigned>(lane[k] != lane[k]);
    if (nan) return std::numeric_limits<T>::quiet_NaN();
  }
  T best = lane[0];
  for (std::int64_t k = 1; k < width; ++k)
    best = want_max ? (lane[k] > best ? lane[k] : best) : (lane[k] < best ? lane[k] : best);
  return best;
}

struct Layout {
  bool rows;          // reduced axes last (else first)
  std::int64_t m, k;  // reduced elements per output, outputs
};

template <class T>
void reduce_block(ReduceKind kind, const T* x, Layout l, Partial& p,
                  const std::function<std::int64_t(std::int64_t out, std::int64_t j)>& index_of) {
  const std::int64_t m = l.m, k = l.k;
  auto at = [&](std::int64_t out, std::int64_t j) -> T {  // element j of output `out`
    return l.rows ? x[out * m + j] : x[j * k + out];
  };
  switch (kind) {
    case ReduceKind::sum:
    case ReduceKind::mean: {
      if constexpr (std::is_integral_v<T>) {
        if (p.a.dtype == DType::uint64) {  // modulo 2^64 (signed values sign-extend)
          auto o = p.a.mutable_values<std::uint64_t>();
          for (std::int64_t out = 0; out < k; ++out) {
            std::uint64_t s = 0;
            for (std::int64_t j = 0; j < m; ++j) s += static_cast<std::uint64_t>(at(out, j));
            o[static_cast<std::size_t>(out)] = s;
          }
          return;
        }
      }
      auto o = p.a.mutable_values<double>();
      if (l.rows)
        for (std::int64_t out = 0; out < k; ++out)
          o[static_cast<std::size_t>(out)] = pairwise_sum(x + out * m, m);
      else
        pairwise_cols(x, m, k, o.data(), [](T v, std::int64_t) { return static_cast<double>(v); });
      return;
    }
    case ReduceKind::var:
    case ReduceKind::std: {
      auto mean = p.a.mutable_values<double>();
      auto m2 = p.b.mutable_values<double>();
      if (l.rows) {
        for (std::int64_t out = 0; out < k; ++out) {
          const auto o = static_cast<std::size_t>(out);
          mean[o] = m > 0 ? pairwise_sum(x + out * m, m) / static_cast<double>(m) : 0.0;
          m2[o] = pairwise_sq_dev(x + out * m, m, mean[o]);
        }
      } else {
        pairwise_cols(x, m, k, mean.data(),
                      [](T v, std::int64_t) { return static_cast<double>(v); });
        for (auto& v : mean) v = m > 0 ? v / static_cast<double>(m) : 0.0;
        pairwise_cols(x, m, k, m2.data(), [&](T v, std::int64_t j) {
          double d = static_cast<double>(v) - mean[static_cast<std::size_t>(j)];
          return d * d;
        });
      }
      return;
    }
    case ReduceKind::prod: {
      if constexpr (std::is_integral_v<T>) {
        if (p.a.dtype == DType::uint64) {  // modulo 2^64 (signed values sign-extend)
          auto o = p.a.mutable_values<std::uint64_t>();
          for (std::int64_t out = 0; out < k; ++out) {
            std::uint64_t s = 1;
            for (std::int64_t j = 0; j < m; ++j) s *= static_cast<std::uint64_t>(at(out, j));
            o[static_cast<std::size_t>(out)] = s;
          }
          return;
        }
      }
      auto o = p.a.mutable_values<double>();
      for (std::int64_t out = 0; out < k; ++out) {
        double s = 1;
        for (std::int64_t j = 0; j < m; ++j) s *= static_cast<double>(at(out, j));
        o[static_cast<std::size_t>(out)] = s;
      }
      return;
    }
    case ReduceKind::min:
    case ReduceKind::max:
      if (l.rows) {
        auto v = p.a.mutable_values<T>();
        for (std::int64_t out = 0; out < k; ++out)
          v[static_cast<std::size_t>(out)] = extreme(x + out * m, m, kind == ReduceKind::max);
        return;
      }
      [[fallthrough]];
    case ReduceKind::argmin:
    case ReduceKind::argmax: {
      auto v = p.a.mutable_values<T>();
      std::span<std::int64_t> idx;
      if (is_arg(kind)) idx = p.b.mutable_values<std::int64_t>();
      for (std::int64_t out = 0; out < k; ++out) {
        T best = at(out, 0);
        std::int64_t where = 0;
        for (std::int64_t j = 1; j < m; ++j)
          if (better(kind, at(out, j), best)) {
            best = at(out, j);
            where = j;
          }
        v[static_cast<std::size_t>(out)] = best;
        if (is_arg(kind)) idx[static_cast<std::size_t>(out)] = index_of(out, where);
      }
      return;
    }
    case ReduceKind::any:
    case ReduceKind::all: {
      auto o = p.a.mutable_values<bool>();
      const bool want_any = kind == ReduceKind::any;
      for (std::int64_t out = 0; out < k; ++out) {
        bool r = !want_any;
        for (std::int64_t j = 0; j < m && r != want_any; ++j)
          if ((at(out, j) != T(0)) == want_any) r = want_any;
        o[static_cast<std::size_t>(out)] = r;
      }
      return;
    }
  }
}

// The block with its axes reordered: kept axes first, then reduced ones.
Block kept_first(const Block& x, const std::vector<int>& reduced) {
  std::vector<int> perm;
  for (int a = 0; a < static_cast<int>(x.ndim()); ++a)
    if (!std::binary_search(reduced.begin(), reduced.end(), a)) perm.push_back(a);
  perm.insert(perm.end(), reduced.begin(), reduced.end());
  return permute_block(x, perm);
}

}  // namespace

Partial partial_of(ReduceKind kind, const Block& x, const std::vector<int>& reduced,
                   std::span<const std::int64_t> offset, std::span<const std::int64_t> whole) {
  Partial p;
  p.kind = kind;
  p.shape = x.shape;
  std::int64_t m = 1;
  for (int a : reduced) {
    m *= x.shape[static_cast<std::size_t>(a)];
    p.shape[static_cast<std::size_t>(a)] = 1;
  }
  p.count = m;
  const std::int64_t k = element_count(p.shape);
  p.a = Block::allocate(partial_type(kind, x.dtype), p.shape);
  if (is_moment(kind)) p.b = Block::allocate(DType::float64, p.shape);
  if (is_arg(kind)) p.b = Block::allocate(DType::int64, p.shape);
  if (m == 0) {  // an empty reduction: the identity (min/max/arg were refused earlier)
    fill_identity(p);
    return p;
  }

  // Reduced axes first, last, or (else) moved last by a copy.
  const int nd = static_cast<int>(x.ndim());
  bool suffix = true, prefix = true;
  for (std::size_t i = 0; i < reduced.size(); ++i) {
    suffix = suffix && reduced[i] == nd - static_cast<int>(reduced.size()) + static_cast<int>(i);
    prefix = prefix && reduced[i] == static_cast<int>(i);
  }
  Block moved;
  const Block* data = &x;
  if (!suffix && !prefix) {
    moved = kept_first(x, reduced);
    data = &moved;
  }
  const Layout layout{suffix || !prefix, m, k};

  // Global index of element j of output `out`, for argmin/argmax: along the one reduced axis,
  // or flat over the whole array when every axis is reduced.
  std::function<std::int64_t(std::int64_t, std::int64_t)> index_of;
  if (is_arg(kind)) {
    if (static_cast<int>(reduced.size()) == nd) {
      index_of = [&x, offset, whole](std::int64_t, std::int64_t j) {
        std::int64_t flat = 0, rest = j;
        std::vector<std::int64_t> i(x.ndim());
        for (std::size_t a = x.ndim(); a-- > 0;) {
          i[a] = rest % x.shape[a];
          rest /= x.shape[a];
        }
        for (std::size_t a = 0; a < x.ndim(); ++a) flat = flat * whole[a] + offset[a] + i[a];
        return flat;
      };
    } else {
      const auto axis = static_cast<std::size_t>(reduced[0]);
      index_of = [off = offset[axis]](std::int64_t, std::int64_t j) { return off + j; };
    }
  }
  visit<array_dtypes, refuse_array_dtype>(x.dtype, [&](auto t) {
    using T = decltype(t);
    reduce_block<T>(kind, data->values<T>().data(), layout, p, index_of);
  });
  return p;
}

void fill_identity(Partial& p) {
  visit<array_dtypes, refuse_array_dtype>(p.a.dtype, [&](auto t) {
    using T = decltype(t);
    auto a = p.a.mutable_values<T>();
    T identity = p.kind == ReduceKind::prod || p.kind == ReduceKind::all ? T(1) : T(0);
    std::fill(a.begin(), a.end(), identity);
  });
  if (is_moment(p.kind)) {
    auto b = p.b.mutable_values<double>();
    std::fill(b.begin(), b.end(), 0.0);
  }
}

namespace {

// Partials of consecutive slabs of a block along a kept axis 0, as one partial.
Partial stack_rows(std::vector<Partial>& parts) {
  if (parts.size() == 1) return std::move(parts[0]);
  Partial out;
  out.kind = parts[0].kind;
  out.count = parts[0].count;
  out.shape = parts[0].shape;
  out.shape[0] = 0;
  for (const auto& p : parts) out.shape[0] += p.shape[0];
  auto stack = [&](Block Partial::*member) {
    Block joined = Block::allocate((parts[0].*member).dtype, out.shape);
    std::size_t at = 0;
    for (const auto& p : parts) {
      const Block& b = p.*member;
      if (b.data.size()) std::memcpy(joined.data.mutable_data() + at, b.data.data(), b.data.size());
      at += b.data.size();
    }
    return joined;
  };
  out.a = stack(&Partial::a);
  if (out.has_b()) out.b = stack(&Partial::b);
  return out;
}

}  // namespace

namespace {

// 32k elements: 256 KiB of float64 per slab and per input, so a slab of a short expression and
// its inputs stay in a core's L2 cache (1-2 MiB).
constexpr std::size_t slab_elements = std::size_t{1} << 15;

// The partial of a block made a slab of rows at a time by `for_each_slab(f)`, which calls
// f(slab, first row) in row order.
template <class ForEachSlab>
Partial partial_by_slabs(ReduceKind kind, ForEachSlab&& for_each_slab,
                         const std::vector<int>& reduced, std::span<const std::int64_t> offset,
                         std::span<const std::int64_t> whole) {
  const bool axis0_reduced = !reduced.empty() && reduced.front() == 0;
  std::vector<Partial> parts;
  Shape at(offset.begin(), offset.end());
  for_each_slab([&](const Block& slab, std::int64_t first) {
    if (!at.empty()) at[0] = offset[0] + first;
    Partial p = partial_of(kind, slab, reduced, at, whole);
    if (axis0_reduced && !parts.empty())
      parts.back() = combine(parts.back(), p);
    else
      parts.push_back(std::move(p));
  });
  return stack_rows(parts);
}

}  // namespace

Partial partial_in_slabs(ReduceKind kind, const BlockRecipe& block, std::span<const Value> in,
                         const std::vector<int>& reduced, std::span<const std::int64_t> offset,
                         std::span<const std::int64_t> whole) {
  return partial_by_slabs(
      kind,
      [&](auto&& f) {
        block.run(in, slab_elements, [&](Block slab, std::int64_t first) { f(slab, first); });
      },
      reduced, offset, whole);
}

Partial partial_of_view(ReduceKind kind, const Block& view, const std::vector<int>& reduced,
                        std::span<const std::int64_t> offset, std::span<const std::int64_t> whole) {
  if (view.is_contiguous() || view.size() == 0)
    return partial_of(kind, view.dense(), reduced, offset, whole);
  const std::int64_t rows = view.shape[0], row = view.size() / rows;
  const std::int64_t per_slab =
      std::clamp<std::int64_t>(static_cast<std::int64_t>(slab_elements) / row, 1, rows);
  const std::size_t row_bytes = static_cast<std::size_t>(row) * element_size(view.dtype);
  // One scratch slab, reused: the view is read in place, a cache-sized piece at a time.
  Buffer scratch = Buffer::allocate(static_cast<std::size_t>(per_slab) * row_bytes);
  return partial_by_slabs(
      kind,
      [&](auto&& f) {
        for (std::int64_t first = 0; first < rows; first += per_slab) {
          const std::int64_t count = std::min(per_slab, rows - first);
          view.copy_rows(first, count, scratch.mutable_data());
          Shape shape = view.shape;
          shape[0] = count;
          f(Block{view.dtype,
                  std::move(shape),
                  scratch.slice(0, static_cast<std::size_t>(count) * row_bytes),
                  {}},
            first);
        }
      },
      reduced, offset, whole);
}

Partial combine(const Partial& x, const Partial& y) {
  if (x.shape != y.shape || x.kind != y.kind)
    throw ValueError("combining mismatched partial reductions");
  Partial r;
  r.kind = x.kind;
  r.shape = x.shape;
  r.count = x.count + y.count;
  r.a = Block::allocate(x.a.dtype, x.shape);
  if (x.has_b()) r.b = Block::allocate(x.b.dtype, x.shape);
  const auto n = static_cast<std::size_t>(element_count(x.shape));
  const ReduceKind kind = x.kind;
  if (is_moment(kind)) {
    // Chan, Golub & LeVeque: merging two (count, mean, M2) summaries.
    auto ma = x.a.values<double>(), mb = y.a.values<double>(), qa = x.b.values<double>(),
         qb = y.b.values<double>();
    auto mo = r.a.mutable_values<double>();
    auto qo = r.b.mutable_values<double>();
    const double na = static_cast<double>(x.count), nb = static_cast<double>(y.count);
    const double n_ab = na + nb;
    for (std::size_t i = 0; i < n; ++i) {
      if (n_ab == 0) {
        mo[i] = 0;
        qo[i] = 0;
        continue;
      }
      const double delta = mb[i] - ma[i];
      mo[i] = ma[i] + delta * (nb / n_ab);
      qo[i] = qa[i] + qb[i] + delta * delta * (na * nb / n_ab);
    }
    return r;
  }
  visit<array_dtypes, refuse_array_dtype>(x.a.dtype, [&](auto t) {
    using T = decltype(t);
    auto a = x.a.values<T>(), b = y.a.values<T>();
    auto o = r.a.mutable_values<T>();
    switch (kind) {
      case ReduceKind::sum:
      case ReduceKind::mean:
        for (std::size_t i = 0; i < n; ++i) o[i] = static_cast<T>(a[i] + b[i]);
        break;
      case ReduceKind::prod:
        for (std::size_t i = 0; i < n; ++i) o[i] = static_cast<T>(a[i] * b[i]);
        break;
      case ReduceKind::any:
        for (std::size_t i = 0; i < n; ++i) o[i] = static_cast<T>(a[i] || b[i]);
        break;
      case ReduceKind::all:
        for (std::size_t i = 0; i < n; ++i) o[i] = static_cast<T>(a[i] && b[i]);
        break;
      case ReduceKind::min:
      case ReduceKind::max:
        for (std::size_t i = 0; i < n; ++i) o[i] = better(kind, b[i], a[i]) ? b[i] : a[i];
        break;
      case ReduceKind::argmin:
      case ReduceKind::argmax: {
        auto ia = x.b.values<std::int64_t>(), ib = y.b.values<std::int64_t>();
        auto io = r.b.mutable_values<std::int64_t>();
        // x comes first in block order: it wins ties, so the first occurrence is reported.
        for (std::size_t i = 0; i < n; ++i) {
          const bool take_b = better(kind, b[i], a[i]);
          o[i] = take_b ? b[i] : a[i];
          io[i] = take_b ? ib[i] : ia[i];
        }
        break;
      }
      default:
        break;
    }
  });
  return r;
}

Block finalize(const Partial& p, DType in, int ddof, const Shape& out_shape, NarrowInt narrow) {
  const DType out_type = reduce_result_type(p.kind, in, narrow);
  Block out = Block::allocate(out_type, out_shape);
  const auto n = static_cast<std::size_t>(element_count(p.shape));
  visit<array_dtypes, refuse_array_dtype>(out_type, [&](auto t) {
    using O = decltype(t);
    auto o = out.mutable_values<O>();
    switch (p.kind) {
      case ReduceKind::mean: {
        auto s = p.a.values<double>();
        for (std::size_t i = 0; i < n; ++i)
          o[i] = static_cast<O>(p.count > 0 ? s[i] / static_cast<double>(p.count)
                                            : std::numeric_limits<double>::quiet_NaN());
        break;
      }
      case ReduceKind::var:
      case ReduceKind::std: {
        auto q = p.b.values<double>();
        const double dof = static_cast<double>(p.count - ddof);
        for (std::size_t i = 0; i < n; ++i) {
          double v = dof > 0 ? q[i] / dof : std::numeric_limits<double>::quiet_NaN();
          o[i] = static_cast<O>(p.kind == ReduceKind::std ? std::sqrt(v) : v);
        }
        break;
      }
      case ReduceKind::argmin:
      case ReduceKind::argmax: {
        auto idx = p.b.values<std::int64_t>();
        for (std::size_t i = 0; i < n; ++i) o[i] = static_cast<O>(idx[i]);
        break;
      }
      default:  // sums and products modulo 2^64 as int64 (C++20: the same bits), or as they are
        visit<array_dtypes, refuse_array_dtype>(p.a.dtype, [&](auto u) {
          using A = decltype(u);
          auto a = p.a.values<A>();
          for (std::size_t i = 0; i < n; ++i) o[i] = static_cast<O>(a[i]);
        });
    }
  });
  return out;
}

}  // namespace detail

// ---- the graph ----

namespace {

constexpr std::size_t fan_in = 8;

}  // namespace

AnyArray AnyArray::reduce(ReduceKind kind, const ReduceOptions& options) const {
  const auto what = fmt::format("{}()", to_string(kind));
  const auto axes = detail::normalize_axes(options.axes, ndim(), what);
  if ((kind == ReduceKind::argmin || kind == ReduceKind::argmax) && axes.size() != ndim() &&
      axes.size() != 1)
    throw ShapeError(fmt::format("{}: give one axis or none (every axis)", what));
  if (!array_dtypes.contains(dtype())) refuse_array_dtype(dtype());
  auto reduced = [&](std::size_t a) {
    return std::binary_search(axes.begin(), axes.end(), static_cast<int>(a));
  };
  const bool needs_element = kind == ReduceKind::min || kind == ReduceKind::max ||
                             kind == ReduceKind::argmin || kind == ReduceKind::argmax;
  for (int a : axes)
    if (needs_element && shape()[static_cast<std::size_t>(a)] == 0)
      throw ValueError(
          fmt::format("{}: zero-size array along axis {} (shape {}): the reduction "
                      "has no identity",
                      what, a, shape_text(shape())));

  // Output: kept axes (and reduced ones as 1 with keepdims), one output block per kept index.
  Shape out_shape, out_grid_kept;
  Chunks out_chunks;
  for (std::size_t a = 0; a < ndim(); ++a) {
    if (!reduced(a)) {
      out_shape.push_back(shape()[a]);
      out_chunks.push_back(chunks()[a]);
    } else if (options.keepdims) {
      out_shape.push_back(1);
      out_chunks.push_back({1});
    }
  }
  // Narrow integers: NumPy's result types for them, and min/max keep them.
  const NarrowInt narrow = this->narrow();
  const DType out_type = reduce_result_type(kind, dtype(), narrow);
  const NarrowInt out_narrow =
      kind == ReduceKind::min || kind == ReduceKind::max ? narrow : NarrowInt::none;
  // Over a pending expression, the partials evaluate it themselves. identity(), not token():
  // token() would make the expression's blocks tasks. The same reduction made once the blocks
  // are tasks reads them instead (other tasks, other rounding): another key.
  const bool fused = node().is_pending();
  Hasher h(to_string(kind));
  h.add(detail::identity(*this))
      .add(static_cast<std::int64_t>(fused))
      .add_all(axes)
      .add(static_cast<std::int64_t>(options.keepdims))
      .add(static_cast<std::int64_t>(options.ddof));
  // The same blocks as a narrow type or plain (astype) reduce to other types: other keys.
  if (narrow != NarrowInt::none) h.add(to_string(narrow));
  const std::string name(to_string(kind));
  const std::string partial_token = make_token(name + "-partial", h.value());
  const std::string out_token = make_token(name, h.value());

  std::vector<Task> tasks;
  const DType in_type = dtype();
  const Shape whole = shape();
  const int ddof = options.ddof;
  // 1. A partial per block. Over a pending element-wise expression, the partial evaluates the
  //    block itself: the expression's result is never a task's output.
  for_each_block(chunks(), [&](std::span<const std::int64_t> idx) {
    Task t;
    t.key = Key(partial_token, idx);
    std::shared_ptr<detail::BlockRecipe> recipe;
    if (fused) {
      recipe = std::make_shared<detail::BlockRecipe>(detail::block_recipe(node(), idx));
      t.inputs = std::move(recipe->inputs);
    } else {
      t.inputs = {block_key(idx)};
    }
    Shape offset = block_offset(chunks(), idx);
    Shape bshape = block_shape(chunks(), idx);
    std::int64_t out_elems = 1;
    for (std::size_t a = 0; a < ndim(); ++a)
      if (!reduced(a)) out_elems *= bshape[a];
    t.nbytes = static_cast<std::uint64_t>(out_elems) * 16;
    t.cost = static_cast<double>(element_count(bshape)) * 5e-10;
    t.fn = [kind, axes, offset, whole, recipe](std::span<const Value> in) {
      if (recipe)
        return Value::of(detail::partial_in_slabs(kind, *recipe, in, axes, offset, whole));
      return Value::of(detail::partial_of_view(kind, in[0].get<Block>(), axes, offset, whole));
    };
    tasks.push_back(std::move(t));
  });

  // 2. Per output block: its partials, in block order, combined in groups of fan_in.
  Shape grid = grid_shape(chunks());
  Chunks kept_chunks;
  for (std::size_t a = 0; a < ndim(); ++a)
    kept_chunks.push_back(reduced(a) ? std::vector<std::int64_t>{1} : chunks()[a]);
  for_each_block(kept_chunks, [&](std::span<const std::int64_t> kept) {
    // The keepdims-form output index (reduced axes at 0) and the final one.
    Shape out_idx;
    for (std::size_t a = 0; a < ndim(); ++a)
      if (!reduced(a) || options.keepdims) out_idx.push_back(reduced(a) ? 0 : kept[a]);
    std::vector<Key> level;
    Chunks sub;  // the grid over the reduced axes
    for (std::size_t a = 0; a < ndim(); ++a)
      sub.push_back(
          std::vector<std::int64_t>(reduced(a) ? static_cast<std::size_t>(grid[a]) : 1, 1));
    for_each_block(sub, [&](std::span<const std::int64_t> r) {
      Shape idx(ndim());
      for (std::size_t a = 0; a < ndim(); ++a) idx[a] = reduced(a) ? r[a] : kept[a];
      level.push_back(Key(partial_token, idx));
    });
    Shape out_block_shape = block_shape(out_chunks, out_idx);
    for (int depth = 1;; ++depth) {
      const bool last = level.size() <= fan_in;
      std::vector<Key> up;
      const std::string tok =
          make_token(name + "-combine", hash_combine(h.value(), static_cast<std::uint64_t>(depth)));
      for (std::size_t g = 0; g < level.size(); g += fan_in) {
        Task t;
        if (last) {
          t.key = Key(out_token, out_idx);
        } else {
          Shape k(kept.begin(), kept.end());
          k.push_back(static_cast<std::int64_t>(g / fan_in));
          t.key = Key(tok, k);
        }
        t.inputs.assign(
            level.begin() + static_cast<std::ptrdiff_t>(g),
            level.begin() + static_cast<std::ptrdiff_t>(std::min(g + fan_in, level.size())));
        t.nbytes = static_cast<std::uint64_t>(element_count(out_block_shape)) * 16;
        t.fn = [last, in_type, narrow, ddof, out_block_shape](std::span<const Value> in) {
          detail::Partial acc = in[0].get<detail::Partial>();
          for (std::size_t i = 1; i < in.size(); ++i)
            acc = detail::combine(acc, in[i].get<detail::Partial>());
          if (!last) return Value::of(std::move(acc));
          return Value::of(detail::finalize(acc, in_type, ddof, out_block_shape, narrow));
        };
        up.push_back(t.key);
        tasks.push_back(std::move(t));
      }
      if (last) break;
      level = std::move(up);
    }
  });
  const auto deps = fused ? detail::leaf_graphs(node()) : std::vector<const Graph*>{&graph()};
  return detail::make_array(out_type, std::move(out_shape), std::move(out_chunks), out_token,
                            Graph(std::move(tasks), std::span<const Graph* const>(deps)), finally(),
                            out_narrow);
}

AnyArray AnyArray::sum(std::vector<int> axes, bool keepdims) const {
  return reduce(ReduceKind::sum, {std::move(axes), keepdims, 0});
}
AnyArray AnyArray::mean(std::vector<int> axes, bool keepdims) const {
  return reduce(ReduceKind::mean, {std::move(axes), keepdims, 0});
}
AnyArray AnyArray::var(std::vector<int> axes, bool keepdims, int ddof) const {
  return reduce(ReduceKind::var, {std::move(axes), keepdims, ddof});
}
AnyArray AnyArray::std(std::vector<int> axes, bool keepdims, int ddof) const {
  return reduce(ReduceKind::std, {std::move(axes), keepdims, ddof});
}
AnyArray AnyArray::min(std::vector<int> axes, bool keepdims) const {
  return reduce(ReduceKind::min, {std::move(axes), keepdims, 0});
}
AnyArray AnyArray::max(std::vector<int> axes, bool keepdims) const {
  return reduce(ReduceKind::max, {std::move(axes), keepdims, 0});
}
AnyArray AnyArray::prod(std::vector<int> axes, bool keepdims) const {
  return reduce(ReduceKind::prod, {std::move(axes), keepdims, 0});
}
AnyArray AnyArray::argmin(std::optional<int> axis) const {
  return reduce(ReduceKind::argmin,
                {axis ? std::vector<int>{*axis} : std::vector<int>{}, false, 0});
}
AnyArray AnyArray::argmax(std::optional<int> axis) const {
  return reduce(ReduceKind::argmax,
                {axis ? std::vector<int>{*axis} : std::vector<int>{}, false, 0});
}
AnyArray AnyArray::any(std::vector<int> axes, bool keepdims) const {
  return reduce(ReduceKind::any, {std::move(axes), keepdims, 0});
}
AnyArray AnyArray::all(std::vector<int> axes, bool keepdims) const {
  return reduce(ReduceKind::all, {std::move(axes), keepdims, 0});
}

// ---- wire form of partials ----

Encoded Codec<detail::Partial>::encode(const detail::Partial& p,
                                       const std::shared_ptr<const void>& owner) {
  Encoded e;
  e.type = type_tag<detail::Partial>();
  const std::int64_t head[] = {static_cast<std::int64_t>(p.kind), p.count,
                               static_cast<std::int64_t>(p.a.dtype),
                               p.has_b() ? static_cast<std::int64_t>(p.b.dtype) : -1,
                               static_cast<std::int64_t>(p.shape.size())};
  e.meta.resize(sizeof head + p.shape.size() * 8);
  std::memcpy(e.meta.data(), head, sizeof head);
  if (!p.shape.empty())
    std::memcpy(e.meta.data() + sizeof head, p.shape.data(), p.shape.size() * 8);
  e.buffers.push_back(p.a.data);
  e.buffers.push_back(p.b.data);
  (void)owner;
  return e;
}

detail::Partial Codec<detail::Partial>::decode(const Encoded& e) {
  std::int64_t head[5];
  if (e.meta.size() < sizeof head || e.buffers.size() != 2)
    throw ValueError("malformed partial reduction");
  std::memcpy(head, e.meta.data(), sizeof head);
  detail::Partial p;
  p.kind = static_cast<ReduceKind>(head[0]);
  p.count = head[1];
  p.shape.resize(static_cast<std::size_t>(head[4]));
  if (!p.shape.empty())
    std::memcpy(p.shape.data(), e.meta.data() + sizeof head, p.shape.size() * 8);
  p.a = Block{static_cast<DType>(head[2]), p.shape, e.buffers[0], {}};
  if (head[3] >= 0) p.b = Block{static_cast<DType>(head[3]), p.shape, e.buffers[1], {}};
  return p;
}

}  // namespace pando
