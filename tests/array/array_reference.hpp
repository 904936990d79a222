#pragma once
// Serial references for array tests: plain loops over a whole local copy.

#include <pando/array/array.hpp>
#include <pando/array/creation.hpp>

#include <cmath>
#include <functional>
#include <random>
#include <vector>

namespace pando::test {

// Random doubles in [-1, 1), the same on every rank (fixed seed): SPMD test data.
inline Block random_block(Shape shape, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> v(static_cast<std::size_t>(element_count(shape)));
  for (auto& x : v) x = u(rng);
  return Block::of<double>(std::move(shape), std::move(v));
}

inline std::vector<std::int64_t> unravel(std::int64_t flat, const Shape& shape) {
  std::vector<std::int64_t> i(shape.size());
  for (std::size_t a = shape.size(); a-- > 0;) {
    i[a] = flat % shape[a];
    flat /= shape[a];
  }
  return i;
}

inline std::int64_t ravel(const std::vector<std::int64_t>& i, const Shape& shape) {
  std::int64_t flat = 0;
  for (std::size_t a = 0; a < shape.size(); ++a) flat = flat * shape[a] + i[a];
  return flat;
}

// Reduces `x` over `axes` (sorted, all if empty) with `f` over the list of reduced values (in
// row-major order); returns values in the output's row-major order.
inline std::vector<double> reduce_reference(
    const Block& x, std::vector<int> axes,
    const std::function<double(const std::vector<double>&)>& f) {
  if (axes.empty())
    for (std::size_t a = 0; a < x.ndim(); ++a) axes.push_back(static_cast<int>(a));
  Shape out;
  for (std::size_t a = 0; a < x.ndim(); ++a)
    if (std::find(axes.begin(), axes.end(), static_cast<int>(a)) == axes.end())
      out.push_back(x.shape[a]);
  std::vector<std::vector<double>> groups(static_cast<std::size_t>(element_count(out)));
  auto v = x.values<double>();
  for (std::int64_t k = 0; k < x.size(); ++k) {
    auto i = unravel(k, x.shape);
    std::vector<std::int64_t> o;
    for (std::size_t a = 0; a < x.ndim(); ++a)
      if (std::find(axes.begin(), axes.end(), static_cast<int>(a)) == axes.end()) o.push_back(i[a]);
    groups[static_cast<std::size_t>(ravel(o, out))].push_back(v[static_cast<std::size_t>(k)]);
  }
  std::vector<double> r;
  for (auto& g : groups) r.push_back(f(g));
  return r;
}

inline double ref_sum(const std::vector<double>& g) {
  long double s = 0;
  for (double v : g) s += v;
  return static_cast<double>(s);
}
inline double ref_mean(const std::vector<double>& g) {
  return ref_sum(g) / static_cast<double>(g.size());
}
inline double ref_var(const std::vector<double>& g, int ddof) {
  long double m = ref_mean(g), s = 0;
  for (double v : g) s += (v - m) * (v - m);
  return static_cast<double>(s /
                             static_cast<long double>(g.size() - static_cast<std::size_t>(ddof)));
}

}  // namespace pando::test
