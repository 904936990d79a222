// Reductions against serial loops, on awkward shapes and chunks, at every rank count; and
// bit-identical to a serial run of the same combine tree (so identical at any rank count).

#include <pando/array/elementwise.hpp>
#include <pando/array/detail/node.hpp>
#include <pando/array/detail/reduce.hpp>

#include <gtest/gtest.h>
#include <mpi_test.hpp>

#include "array_reference.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>

using namespace pando;

namespace {

struct Case {
  Shape shape;
  Shape block;
};

// Prime sizes, chunks that do not divide the shape, 1-element and empty arrays, 1-d to 4-d.
const std::vector<Case> cases = {{{97}, {10}},           {{1}, {1}},
                                 {{37, 23}, {8, 5}},     {{23, 37}, {23, 4}},
                                 {{7, 5, 6}, {3, 2, 4}}, {{4, 3, 5, 2}, {3, 2, 2, 1}},
                                 {{5, 1}, {2, 1}},       {{64, 64}, {64, 64}}};

std::vector<std::vector<int>> axes_of(std::size_t nd) {
  std::vector<std::vector<int>> all = {{}};
  for (int a = 0; a < static_cast<int>(nd); ++a) all.push_back({a});
  if (nd >= 2) all.push_back({0, static_cast<int>(nd) - 1});
  if (nd >= 3) all.push_back({1});
  return all;
}

void expect_near_all(const Block& got, const std::vector<double>& want, double tol,
                     const std::string& what) {
  auto g = got.values<double>();
  ASSERT_EQ(g.size(), want.size()) << what;
  for (std::size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(g[i], want[i], tol * (1 + std::abs(want[i]))) << what << " at " << i;
}

}  // namespace

TEST(Reduce, SumMeanVarStdMatchSerialLoops) {
  std::uint64_t seed = 1;
  for (const auto& c : cases) {
    Block x = test::random_block(c.shape, seed++);
    AnyArray a = from_values(x, c.block);
    for (const auto& axes : axes_of(c.shape.size())) {
      std::string what = shape_text(c.shape) + " axes " + std::to_string(axes.size());
      expect_near_all(a.sum(axes).compute(), test::reduce_reference(x, axes, test::ref_sum), 1e-13,
                      "sum " + what);
      expect_near_all(a.mean(axes).compute(), test::reduce_reference(x, axes, test::ref_mean),
                      1e-13, "mean " + what);
      expect_near_all(a.var(axes).compute(),
                      test::reduce_reference(x, axes, [](auto& g) { return test::ref_var(g, 0); }),
                      1e-12, "var " + what);
      auto groups_of =
          test::reduce_reference(x, axes, [](auto& g) { return static_cast<double>(g.size()); });
      if (groups_of.empty() || groups_of[0] > 1)
        expect_near_all(
            a.std(axes, false, 1).compute(),
            test::reduce_reference(x, axes, [](auto& g) { return std::sqrt(test::ref_var(g, 1)); }),
            1e-12, "std ddof=1 " + what);
    }
  }
}

TEST(Reduce, MinMaxArgAreExact) {
  std::uint64_t seed = 100;
  for (const auto& c : cases) {
    Block x = test::random_block(c.shape, seed++);
    AnyArray a = from_values(x, c.block);
    for (const auto& axes : axes_of(c.shape.size())) {
      auto mn = test::reduce_reference(
          x, axes, [](auto& g) { return *std::min_element(g.begin(), g.end()); });
      auto mx = test::reduce_reference(
          x, axes, [](auto& g) { return *std::max_element(g.begin(), g.end()); });
      auto got_min = a.min(axes).compute();
      EXPECT_EQ(
          std::vector<double>(got_min.values<double>().begin(), got_min.values<double>().end()),
          mn);
      auto got_max = a.max(axes).compute();
      EXPECT_EQ(
          std::vector<double>(got_max.values<double>().begin(), got_max.values<double>().end()),
          mx);
      if (axes.size() == 1 || axes.empty()) {
        auto am = test::reduce_reference(x, axes, [](auto& g) {
          return static_cast<double>(std::max_element(g.begin(), g.end()) - g.begin());
        });
        auto an = test::reduce_reference(x, axes, [](auto& g) {
          return static_cast<double>(std::min_element(g.begin(), g.end()) - g.begin());
        });
        std::optional<int> axis;
        if (!axes.empty()) axis = axes[0];
        for (auto [kind, want] :
             {std::pair{ReduceKind::argmax, &am}, std::pair{ReduceKind::argmin, &an}}) {
          auto got = (kind == ReduceKind::argmax ? a.argmax(axis) : a.argmin(axis)).compute();
          auto gv = got.values<std::int64_t>();
          ASSERT_EQ(gv.size(), want->size());
          for (std::size_t i = 0; i < gv.size(); ++i)
            EXPECT_EQ(static_cast<double>(gv[i]), (*want)[i]);
        }
      }
    }
  }
}

TEST(Reduce, ProdAnyAllMatchSerialLoops) {
  std::uint64_t seed = 300;
  for (const auto& c : cases) {
    // Values near 1 keep products finite; a threshold makes booleans of both kinds.
    Block x = test::random_block(c.shape, seed++);
    for (auto& v : x.mutable_values<double>()) v = 1 + v / 8;
    AnyArray a = from_values(x, c.block);
    for (const auto& axes : axes_of(c.shape.size())) {
      auto prod = test::reduce_reference(x, axes, [](auto& g) {
        long double p = 1;
        for (double v : g) p *= v;
        return static_cast<double>(p);
      });
      auto got = a.prod(axes).compute();
      ASSERT_EQ(got.size(), static_cast<std::int64_t>(prod.size()));
      for (std::size_t i = 0; i < prod.size(); ++i)
        EXPECT_NEAR(got.values<double>()[i], prod[i], 1e-12 * std::fabs(prod[i]));
      AnyArray big = a > 1.1;
      auto any = test::reduce_reference(x, axes, [](auto& g) {
        return static_cast<double>(
            std::any_of(g.begin(), g.end(), [](double v) { return v > 1.1; }));
      });
      auto all = test::reduce_reference(x, axes, [](auto& g) {
        return static_cast<double>(
            std::all_of(g.begin(), g.end(), [](double v) { return v > 1.1; }));
      });
      auto got_any = big.any(axes).compute(), got_all = big.all(axes).compute();
      for (std::size_t i = 0; i < any.size(); ++i) {
        EXPECT_EQ(static_cast<double>(got_any.values<bool>()[i]), any[i]);
        EXPECT_EQ(static_cast<double>(got_all.values<bool>()[i]), all[i]);
      }
    }
  }
  // Typed: integers multiply as int64, exactly.
  Array<std::int32_t> i(full({20}, 2, DType::int32, Shape{3}));
  EXPECT_EQ(i.prod().compute().scalar(), std::int64_t{1} << 20);
  EXPECT_EQ(i.argmax().compute().scalar(), 0);
  EXPECT_TRUE((i == 2).all().compute().scalar());
}

TEST(Reduce, KeepdimsShapesAndTypes) {
  AnyArray a = from_values(test::random_block({6, 4, 5}, 3), Shape{4, 3, 2});
  EXPECT_EQ(a.sum({1}, true).shape(), (Shape{6, 1, 5}));
  EXPECT_EQ(a.sum({}, true).shape(), (Shape{1, 1, 1}));
  EXPECT_EQ(a.sum().shape(), Shape{});
  EXPECT_EQ(a.sum({-1}).shape(), (Shape{6, 4}));
  auto ints = full({10, 3}, 2, DType::int32, Shape{3, 2});
  auto s = ints.sum();
  EXPECT_EQ(s.dtype(), DType::int64);
  EXPECT_EQ(s.compute().values<std::int64_t>()[0], 60);
  EXPECT_EQ(ints.mean().dtype(), DType::float64);
  EXPECT_EQ(ints.reduce(ReduceKind::prod, {{0}, false, 0}).compute().values<std::int64_t>()[1],
            1024);
  auto b = full({5}, 0, DType::boolean, Shape{2});
  EXPECT_FALSE(b.reduce(ReduceKind::any).compute().values<bool>()[0]);
  EXPECT_TRUE(
      full({5}, 1, DType::boolean, Shape{2}).reduce(ReduceKind::all).compute().values<bool>()[0]);
}

TEST(Reduce, EmptyArrays) {
  AnyArray e = full({0, 4}, 1.0, DType::float64, Shape{3, 2});
  EXPECT_EQ(e.sum().compute().values<double>()[0], 0.0);
  auto s0 = e.sum({0}).compute();
  EXPECT_EQ(s0.shape, (Shape{4}));
  EXPECT_EQ(s0.values<double>()[3], 0.0);
  EXPECT_TRUE(std::isnan(e.mean().compute().values<double>()[0]));
  EXPECT_EQ(e.sum({1}).compute().shape, (Shape{0}));
  try {
    (void)e.max();
    FAIL() << "no error";
  } catch (const ValueError& err) {
    EXPECT_STREQ(
        err.what(),
        "max(): zero-size array along axis 0 (shape (0, 4)): the reduction has no identity");
  }
}

TEST(Reduce, BadAxesAreClearErrors) {
  AnyArray a = from_values(test::random_block({3, 4}, 1), Shape{2, 2});
  try {
    (void)a.sum({2});
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "sum(): axis 2 is out of range for an array of 2 dimensions");
  }
  EXPECT_THROW((void)a.sum({0, -2}), ShapeError);
  AnyArray c = from_values(test::random_block({3, 4, 2}, 1), Shape{2, 2, 2});
  EXPECT_THROW((void)c.reduce(ReduceKind::argmin, {{0, 1}, false, 0}), ShapeError);
}

TEST(Reduce, NaNPropagatesLikeNumPy) {
  Block x = Block::of<double>({5}, {1.0, std::nan(""), -3.0, 7.0, 2.0});
  AnyArray a = from_values(x, Shape{2});
  EXPECT_TRUE(std::isnan(a.min().compute().values<double>()[0]));
  EXPECT_TRUE(std::isnan(a.sum().compute().values<double>()[0]));
  EXPECT_EQ(a.reduce(ReduceKind::argmax).compute().values<std::int64_t>()[0], 1);
}

// Issue 25: int64 sums and products that overflow wrap around modulo 2^64, as in NumPy (and as
// the expression kernels do), without signed-overflow UB (the asan preset's UBSan stops on it).
// Within a block (the kernels) and across blocks (the combine tree). The expected numbers are
// NumPy's, computed once with:
//   import numpy as np
//   k = np.arange(65, dtype=np.uint64)
//   x = ((k * np.uint64(0x9E3779B97F4A7C15) + np.uint64(0x7F4A7C15)) | np.uint64(1))
//   x = x.view(np.int64).reshape(13, 5)
//   print(x.sum(), x.prod(), list(x.sum(axis=0)), list(x.prod(axis=0)), list(x.sum(axis=1)),
//         list(x.prod(axis=1)), (x + x).sum(), list((x * x).prod(axis=0)))
TEST(Reduce, IntegerSumsAndProductsWrapAroundLikeNumPy) {
  std::vector<std::int64_t> v(65);
  for (std::uint64_t k = 0; k < v.size(); ++k)
    v[k] = static_cast<std::int64_t>((k * 0x9E3779B97F4A7C15ull + 0x7F4A7C15ull) | 1ull);
  const Array<std::int64_t> x(
      from_values(Block::of<std::int64_t>({13, 5}, std::move(v)), Shape{4, 2}));
  auto values = [](const auto& a) {
    const auto local = a.compute();
    return std::vector<std::int64_t>(local.values().begin(), local.values().end());
  };
  EXPECT_EQ(x.sum().compute().scalar(), -9026054459417318379);
  EXPECT_EQ(x.prod().compute().scalar(), -8869995646824346603);
  EXPECT_EQ(values(x.sum({0})),
            (std::vector<std::int64_t>{613457799808111893, 1248797861333279271, 1884137922858446647,
                                       2519477984383614025, 3154818045908781401}));
  EXPECT_EQ(values(x.prod({0})), (std::vector<std::int64_t>{
                                     3079839477301667797, -702530768322847817, 5407397159861691623,
                                     -7204070159193621351, -763794207742540343}));
  EXPECT_EQ(values(x.sum({1})), (std::vector<std::int64_t>{
                                    3326683761652614461, -6803350934620249269, 1513358442816438615,
                                    -8616676253456425115, -299966876019737231, 8016742501416950655,
                                    -2113292194855913077, 6203417182580774809, -3926617513692088923,
                                    4390091863744598963, -5739942832528264769, 2576766544908423117,
                                    -7553268151364440615}));
  EXPECT_EQ(
      values(x.prod({1})),
      (std::vector<std::int64_t>{-217979173756906187, -3242416575534909965, -214891570850389745,
                                 -5953681956721645123, -2006835823978207847, -6466065753319367657,
                                 -4343786599994681613, -2224422903219387743, -5690466766055505219,
                                 -254709494544965253, 2175027887403390743, 7684136585079378501,
                                 3669115776267872673}));
  // Over fused expressions (whose element-wise kernels wrap too).
  const Array<std::int64_t> twice(x.untyped() + x.untyped()), square(x.untyped() * x.untyped());
  EXPECT_EQ(twice.sum().compute().scalar(), 394635154874914858);
  EXPECT_EQ(
      values(square.prod({0})),
      (std::vector<std::int64_t>{-8678098634979338439, 2573386775682424017, -5039352994236479375,
                                 4863480342409581425, -6591667554734311471}));
}

// The combine tree depends on the chunking alone: a serial run of the same tree, block by
// block, gives the same bits as the distributed run at any rank count.
TEST(Reduce, BitIdenticalToSerialTree) {
  const Shape shape{203, 61};
  const Shape blk{16, 7};
  Block x = test::random_block(shape, 77);
  AnyArray a = from_values(x, blk);
  Chunks chunks = regular_chunks(shape, blk);
  for (ReduceKind kind : {ReduceKind::sum, ReduceKind::mean, ReduceKind::var}) {
    // Serial: partials in block order, combined in groups of 8, level by level.
    std::vector<detail::Partial> level;
    for_each_block(chunks, [&](std::span<const std::int64_t> idx) {
      Block b = Block::allocate(DType::float64, block_shape(chunks, idx));
      Shape zero(2, 0);
      detail::copy_region(x, block_offset(chunks, idx), b, zero, b.shape);
      level.push_back(detail::partial_of(kind, b, {0, 1}, block_offset(chunks, idx), shape));
    });
    while (level.size() > 1) {
      std::vector<detail::Partial> up;
      for (std::size_t g = 0; g < level.size(); g += 8) {
        detail::Partial acc = level[g];
        for (std::size_t i = g + 1; i < std::min(g + 8, level.size()); ++i)
          acc = detail::combine(acc, level[i]);
        up.push_back(std::move(acc));
      }
      level = std::move(up);
    }
    double serial = detail::finalize(level[0], DType::float64, 0, {}).values<double>()[0];
    double parallel = a.reduce(kind).compute().values<double>()[0];
    std::uint64_t sb, pb;
    std::memcpy(&sb, &serial, 8);
    std::memcpy(&pb, &parallel, 8);
    EXPECT_EQ(sb, pb) << to_string(kind);
  }
}

namespace {

// An array and the same values on the host.
struct Operand {
  AnyArray array;
  Block host;
};
Operand operand(const Shape& shape, const Shape& block, std::uint64_t seed) {
  Block b = test::random_block(shape, seed);
  return {from_values(b, block), b};
}

// A fused expression over large blocks and its values computed on the host (multiplications and
// divisions by powers of two are exact, so both round alike: min, max and arg* compare exactly).
struct ExpressionCase {
  std::string name;
  std::function<AnyArray()> make;  // a new, pending handle each call
  Block want;
};

std::vector<ExpressionCase> expression_cases() {
  std::vector<ExpressionCase> all;
  auto host = [](const Shape& shape,
                 const std::function<double(std::span<const std::int64_t>)>& f) {
    Block out = Block::allocate(DType::float64, shape);
    auto v = out.mutable_values<double>();
    for (std::int64_t k = 0; k < out.size(); ++k)
      v[static_cast<std::size_t>(k)] = f(test::unravel(k, shape));
    return out;
  };
  {  // 1-d: slabs of elements
    auto x = operand({40000}, {35000}, 501), y = operand({40000}, {35000}, 502);
    all.push_back(
        {"1-d", [=] { return 1.0 + (x.array * 2.0 + y.array) / 64.0; }, host({40000}, [&](auto i) {
           const auto k = static_cast<std::size_t>(i[0]);
           return 1.0 + (x.host.values<double>()[k] * 2.0 + y.host.values<double>()[k]) / 64.0;
         })});
  }
  {  // x + x.T + a row: square blocks, one of them in slabs of 163 rows
    auto x = operand({257, 257}, {200, 200}, 503), r = operand({257}, {257}, 504);
    auto at = [x](std::int64_t i, std::int64_t j) {
      return x.host.values<double>()[static_cast<std::size_t>(i * 257 + j)];
    };
    all.push_back({"x + x.T + row",
                   [=] { return 1.0 + (x.array + x.array.T() * 0.5 + r.array) / 64.0; },
                   host({257, 257}, [&](auto i) {
                     return 1.0 + (at(i[0], i[1]) + at(i[1], i[0]) * 0.5 +
                                   r.host.values<double>()[static_cast<std::size_t>(i[1])]) /
                                      64.0;
                   })});
  }
  {  // z + w.T, not square: blocks of 260 x 150 in slabs of 218 rows
    auto z = operand({260, 150}, {260, 150}, 505), w = operand({150, 260}, {150, 260}, 506);
    all.push_back(
        {"z + w.T", [=] { return 1.0 + (z.array + w.array.T() * 0.5) / 64.0; },
         host({260, 150}, [&](auto i) {
           const auto zi = static_cast<std::size_t>(i[0] * 150 + i[1]);
           const auto wi = static_cast<std::size_t>(i[1] * 260 + i[0]);
           return 1.0 + (z.host.values<double>()[zi] + w.host.values<double>()[wi] * 0.5) / 64.0;
         })});
  }
  {  // 3-d + a 2-d w.T broadcast along axis 0, in blocks of 2 and of 1 along it
    auto z = operand({3, 190, 180}, {2, 190, 180}, 507), w = operand({180, 190}, {180, 190}, 508);
    all.push_back(
        {"3-d + w.T", [=] { return 1.0 + (z.array + w.array.T() * 0.5) / 64.0; },
         host({3, 190, 180}, [&](auto i) {
           const auto zi = static_cast<std::size_t>((i[0] * 190 + i[1]) * 180 + i[2]);
           const auto wi = static_cast<std::size_t>(i[2] * 190 + i[1]);
           return 1.0 + (z.host.values<double>()[zi] + w.host.values<double>()[wi] * 0.5) / 64.0;
         })});
  }
  return all;
}

std::vector<double> doubles(const Block& b) {
  std::vector<double> out;
  visit<computed_dtypes, refuse_array_dtype>(b.dtype, [&](auto t) {
    for (auto v : b.values<decltype(t)>()) out.push_back(static_cast<double>(v));
  });
  return out;
}

}  // namespace

TEST(Reduce, OverAnExpressionMatchHostLoops) {
  // Blocks of more than 32k elements: a reduction over a fused expression evaluates them in
  // slabs of rows (axis 0 reduced: slab partials combined; kept: laid side by side), with
  // transposed and broadcast operands.
  for (const auto& c : expression_cases()) {
    const Block& y = c.want;
    auto v = y.values<double>();
    const double lowest = *std::min_element(v.begin(), v.end());
    const double highest = *std::max_element(v.begin(), v.end());
    for (const auto& axes : axes_of(y.ndim())) {
      const std::string what = c.name + " axes " + std::to_string(axes.size());
      auto reduce = [&](ReduceKind kind) {
        return c.make().reduce(kind, {axes, false, 0}).compute();
      };
      expect_near_all(reduce(ReduceKind::sum), test::reduce_reference(y, axes, test::ref_sum),
                      1e-12, "sum " + what);
      expect_near_all(reduce(ReduceKind::mean), test::reduce_reference(y, axes, test::ref_mean),
                      1e-12, "mean " + what);
      expect_near_all(reduce(ReduceKind::var),
                      test::reduce_reference(y, axes, [](auto& g) { return test::ref_var(g, 0); }),
                      1e-12, "var " + what);
      auto prod = test::reduce_reference(y, axes, [](auto& g) {
        long double p = 1;
        for (double x : g) p *= x;
        return static_cast<double>(p);
      });
      Block got_prod = reduce(ReduceKind::prod);
      for (std::size_t i = 0; i < prod.size(); ++i)
        EXPECT_NEAR(got_prod.values<double>()[i], prod[i], 1e-10 * prod[i]) << "prod " << what;
      auto extreme = [&](bool max) {
        return test::reduce_reference(y, axes, [max](auto& g) {
          return max ? *std::max_element(g.begin(), g.end())
                     : *std::min_element(g.begin(), g.end());
        });
      };
      EXPECT_EQ(doubles(reduce(ReduceKind::min)), extreme(false)) << "min " << what;
      EXPECT_EQ(doubles(reduce(ReduceKind::max)), extreme(true)) << "max " << what;
      // False only where the group holds the lowest value / true only where the highest.
      auto all = test::reduce_reference(y, axes, [&](auto& g) {
        return static_cast<double>(
            std::all_of(g.begin(), g.end(), [&](double x) { return x > lowest; }));
      });
      auto any = test::reduce_reference(y, axes, [&](auto& g) {
        return static_cast<double>(
            std::any_of(g.begin(), g.end(), [&](double x) { return x >= highest; }));
      });
      EXPECT_EQ(doubles((c.make() > lowest).all(axes).compute()), all) << "all " << what;
      EXPECT_EQ(doubles((c.make() >= highest).any(axes).compute()), any) << "any " << what;
      if (axes.size() > 1) continue;
      std::optional<int> axis;
      if (!axes.empty()) axis = axes[0];
      auto arg = [&](bool max) {
        return test::reduce_reference(y, axes, [max](auto& g) {
          auto it =
              max ? std::max_element(g.begin(), g.end()) : std::min_element(g.begin(), g.end());
          return static_cast<double>(it - g.begin());
        });
      };
      EXPECT_EQ(doubles(c.make().argmax(axis).compute()), arg(true)) << "argmax " << what;
      EXPECT_EQ(doubles(c.make().argmin(axis).compute()), arg(false)) << "argmin " << what;
    }
    // The expression stays unevaluated: its blocks are never tasks of their own.
    AnyArray e = c.make();
    (void)e.sum().compute();
    EXPECT_TRUE(e.node().is_pending()) << c.name;
    // The same reduction before and after the blocks are stored: different tasks, both right.
    AnyArray fused_mean = e.mean();
    AnyArray stored = e.persist();
    auto both = compute({fused_mean, stored.mean()});
    EXPECT_NEAR(both[0].values<double>()[0], both[1].values<double>()[0], 1e-14) << c.name;
    // And the stored blocks are the expression's values.
    EXPECT_EQ(doubles(stored.compute()), doubles(y)) << c.name;
  }
}

namespace {
// The peak resident memory of this process since the last reset_peak_memory(), in bytes.
void reset_peak_memory() {
  std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
  ASSERT_NE(f, nullptr);
  std::fputs("5", f);  // 5: reset the peak RSS (Linux 4.0+)
  std::fclose(f);
}
std::int64_t peak_memory() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  char line[256];
  std::int64_t kb = -1;
  while (f && std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
  if (f) std::fclose(f);
  return kb * 1024;
}
}  // namespace

TEST(Reduce, StreamsArraysFarLargerThanItsPeakMemory) {
  // 960 MB of values in 4 MB blocks, made, transformed and reduced block by block: what a rank
  // holds at a time is a few blocks, never the array (the planner starts a source only when the
  // reduction is ready to take its block).
  const Shape shape{12000, 10000}, block{1000, 500};
  AnyArray x = random::uniform(shape, 5, -1, 1, DType::float64, block);
  reset_peak_memory();
  const std::int64_t before = peak_memory();
  const double m = (x * x).mean().compute().values<double>()[0];
  const std::int64_t grew = peak_memory() - before;
  EXPECT_NEAR(m, 1.0 / 3.0, 1e-3);
  // Holding the array would take 960 MB; streaming stays within a few dozen blocks. Under
  // AddressSanitizer, freed blocks wait in its quarantine (256 MB) instead of being reused, so
  // the peak says nothing there: the release build checks it.
#if defined(__SANITIZE_ADDRESS__)
  (void)grew;
#else
  EXPECT_LT(grew, std::int64_t{200} << 20) << "peak memory grew by " << (grew >> 20) << " MiB";
#endif
}
