// Element-wise expressions over arrays: values, broadcasting, types, fusion, errors.

#include <pando/array/elementwise.hpp>
#include <pando/expr/parser.hpp>

#include <gtest/gtest.h>
#include <mpi_test.hpp>

#include "array_reference.hpp"

#include <cmath>
#include <limits>

using namespace pando;

namespace {
std::vector<double> values(const Block& b) {
  auto v = b.values<double>();
  return {v.begin(), v.end()};
}
}  // namespace

TEST(Elementwise, ArithmeticMatchesLoops) {
  Block xb = test::random_block({13, 11}, 1), yb = test::random_block({13, 11}, 2);
  AnyArray x = from_values(xb, Shape{4, 5}), y = from_values(yb, Shape{5, 3});  // chunks differ
  auto got = values((x * 2.0 + y / (x - 3.0)).compute());
  auto xv = values(xb), yv = values(yb);
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_DOUBLE_EQ(got[i], xv[i] * 2.0 + yv[i] / (xv[i] - 3.0));
  auto one = values((sin(x) * sin(x) + cos(x) * cos(x)).compute());
  for (double v : one) EXPECT_NEAR(v, 1.0, 1e-15);
}

TEST(Elementwise, BroadcastingAsNumPy) {
  Block mb = test::random_block({6, 4}, 3), rb = test::random_block({4}, 4),
        cb = test::random_block({6, 1}, 5);
  AnyArray m = from_values(mb, Shape{4, 3}), r = from_values(rb, Shape{2}),
           c = from_values(cb, Shape{2, 1});
  auto got = values((m + r - c).compute());
  auto mv = values(mb), rv = values(rb), cv = values(cb);
  for (std::size_t i = 0; i < 6; ++i)
    for (std::size_t j = 0; j < 4; ++j)
      EXPECT_DOUBLE_EQ(got[i * 4 + j], mv[i * 4 + j] + rv[j] - cv[i]);
  // 3-d: a middle axis and a last axis broadcast, in uneven blocks.
  Block ab = test::random_block({3, 4, 5}, 6), bb = test::random_block({3, 1, 5}, 7),
        db = test::random_block({4, 1}, 8);
  auto got3 = values((from_values(ab, Shape{2, 3, 2}) + from_values(bb, Shape{2, 1, 2}) -
                      from_values(db, Shape{3, 1}))
                         .compute());
  auto av = values(ab), bv = values(bb), dv = values(db);
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 4; ++j)
      for (std::size_t k = 0; k < 5; ++k)
        EXPECT_DOUBLE_EQ(got3[(i * 4 + j) * 5 + k],
                         av[(i * 4 + j) * 5 + k] + bv[i * 5 + k] - dv[j]);
  try {
    (void)(m + from_values(test::random_block({5}, 1), Shape{5}));
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(
                  "operands could not be broadcast together with shapes (6, 4) (5,)", 0),
              0u)
        << e.what();
  }
}

TEST(Elementwise, TypesFollowNumPy) {
  AnyArray i = full({10}, 7, DType::int32, Shape{3});
  EXPECT_EQ((i + i).dtype(), DType::int32);
  EXPECT_EQ((i * 2).dtype(), DType::int32);      // an integer keeps the integer type
  EXPECT_EQ((i * 2.0).dtype(), DType::float64);  // a float makes it float64 (NumPy)
  EXPECT_EQ((2.5 * i).dtype(), DType::float64);
  EXPECT_EQ((i / i).dtype(), DType::float64);
  EXPECT_EQ((i > 3.0).dtype(), DType::boolean);
  EXPECT_EQ(sqrt(i).dtype(), DType::float64);
  EXPECT_EQ((i + i).compute().values<std::int32_t>()[9], 14);
  AnyArray f = full({4}, 1.5, DType::float32, Shape{3});
  EXPECT_EQ((f * 2.0).dtype(), DType::float32);
  EXPECT_EQ(i.astype(DType::float32).dtype(), DType::float32);
  EXPECT_EQ(f.astype(DType::int64).compute().values<std::int64_t>()[0], 1);
  auto w = where(i > 3.0, i, i * 0).compute();
  EXPECT_EQ(w.values<std::int32_t>()[0], 7);
}

TEST(Elementwise, ExpressionTextWithTranspose) {
  Block xb = test::random_block({9, 9}, 7);
  AnyArray x = from_values(xb, Shape{4, 3});
  auto e = expr::parse_expression("x + x.T", "expr");
  AnyArray s = evaluate(e, {{"x", x}});
  auto got = values(s.compute());
  auto xv = values(xb);
  for (std::size_t i = 0; i < 9; ++i)
    for (std::size_t j = 0; j < 9; ++j) EXPECT_EQ(got[i * 9 + j], xv[i * 9 + j] + xv[j * 9 + i]);
  double total = s.sum().compute().values<double>()[0];
  EXPECT_NEAR(total, 2 * test::ref_sum(xv), 1e-12);
  try {
    (void)evaluate(expr::parse_expression("x + y", "expr"), {{"x", x}});
    FAIL();
  } catch (const UsageError& err) {
    EXPECT_STREQ(err.what(), "unknown array 'y' in x + y (bound: x)");
  }
}

// With chunks that match once transposed, an expression reads the blocks a .T transposes and
// transposes them itself: ragged edges, a non-square pair, a transposed row broadcast, integers.
TEST(Elementwise, TransposedOperandsReadTheBlocksTheyTranspose) {
  Block xb = test::random_block({21, 21}, 3), ab = test::random_block({13, 30}, 4),
        bb = test::random_block({30, 13}, 5), rb = test::random_block({30, 1}, 6);
  AnyArray x = from_values(xb, Shape{8, 8}), a = from_values(ab, Shape{5, 9}),
           b = from_values(bb, Shape{9, 5}), row = from_values(rb, Shape{9, 1});
  auto xv = values(xb), av = values(ab), bv = values(bb), rv = values(rb);
  auto sym = values((x + x.T() * 2.0).compute());
  for (std::size_t i = 0; i < 21; ++i)
    for (std::size_t j = 0; j < 21; ++j)
      ASSERT_EQ(sym[i * 21 + j], xv[i * 21 + j] + xv[j * 21 + i] * 2.0) << i << "," << j;
  auto mixed = values((a - b.T()).compute());
  for (std::size_t i = 0; i < 13; ++i)
    for (std::size_t j = 0; j < 30; ++j)
      ASSERT_EQ(mixed[i * 30 + j], av[i * 30 + j] - bv[j * 13 + i]) << i << "," << j;
  auto scaled = values((a * row.T()).compute());  // (13, 30) * (30, 1).T: a row broadcast
  for (std::size_t i = 0; i < 13; ++i)
    for (std::size_t j = 0; j < 30; ++j)
      ASSERT_EQ(scaled[i * 30 + j], av[i * 30 + j] * rv[j]) << i << "," << j;
  EXPECT_NEAR((x + x.T()).sum().compute().values<double>()[0], 2 * test::ref_sum(xv), 1e-12);
  AnyArray xi = (x * 100.0).astype(DType::int32);
  auto ints = (xi.T() - xi).compute();
  EXPECT_EQ(ints.dtype, DType::int32);
  auto as_int = [&](std::size_t k) { return static_cast<std::int32_t>(xv[k] * 100.0); };
  for (std::size_t i = 0; i < 21; ++i)
    EXPECT_EQ(ints.values<std::int32_t>()[i * 21 + 3], as_int(3 * 21 + i) - as_int(i * 21 + 3));
}

TEST(Elementwise, FusedReductionEqualsMaterialized) {
  Block xb = test::random_block({40, 30}, 8);
  AnyArray x = from_values(xb, Shape{7, 9});
  AnyArray e = pow(sin(x), 2.0) + pow(cos(x), 2.0);
  double fused = e.mean().compute().values<double>()[0];
  double stepwise = e.persist().mean().compute().values<double>()[0];
  EXPECT_EQ(fused, stepwise);
  EXPECT_NEAR(fused, 1.0, 1e-15);
  auto axis = e.std({0}).compute();
  EXPECT_EQ(axis.shape, (Shape{30}));
}

TEST(Elementwise, TypedArraysFollowNumPyWithScalars) {
  Array<std::int32_t> i(full({7}, 3, DType::int32, Shape{3}));
  Array<double> scaled = i * 2.5;  // int32 * float: float64
  EXPECT_EQ(scaled.compute().values()[6], 7.5);
  Array<std::int32_t> twice = 2 * i + 1;
  EXPECT_EQ(twice.compute().values()[0], 7);
  Array<double> half = i / 2;
  EXPECT_EQ(half.compute().values()[0], 1.5);
  Array<bool> checks[] = {i == 3, i != 3, i <= 2, i >= 3, i<4, i> 4};
  const bool want[] = {true, false, false, true, true, false};
  for (std::size_t k = 0; k < 6; ++k) EXPECT_EQ(checks[k].compute().values()[2], want[k]) << k;
  Array<float> f(full({5}, 1.5, DType::float32, Shape{2}));
  Array<float> g = f * 2.0 - 1;  // float32 stays float32 beside any number
  EXPECT_EQ(g.compute().values()[4], 2.0f);
  Array<double> p = pow(i, i);
  EXPECT_EQ(p.compute().values()[1], 27.0);
}

TEST(Elementwise, CastsFuseAndConvertAsNumPy) {
  Block xb = Block::of<double>({6}, {-2.7, -0.5, 0.0, 0.5, 3.9, 2147483648.0 + 5});
  AnyArray x = from_values(xb, Shape{4});
  auto as = [&](DType t) { return x.astype(t).compute(); };
  const Block i32_block = as(DType::int32), f32_block = as(DType::float32),
              bool_block = as(DType::boolean);
  auto i32 = i32_block.values<std::int32_t>();
  EXPECT_EQ(std::vector<std::int32_t>(i32.begin(), i32.begin() + 5),
            (std::vector<std::int32_t>{-2, 0, 0, 0, 3}));  // truncated toward zero
  auto f32 = f32_block.values<float>();
  EXPECT_EQ(f32[3], 0.5f);
  auto b = bool_block.values<bool>();
  EXPECT_EQ(std::vector<bool>(b.begin(), b.end()),
            (std::vector<bool>{true, true, false, true, true, true}));
  // A cast inside an expression is one fused step: the same values as casting the result.
  AnyArray chain = (x * 2.0).astype(DType::float32) + 1;
  EXPECT_EQ(chain.dtype(), DType::float32);
  EXPECT_EQ(chain.compute().values<float>()[4], 8.8f);
  EXPECT_EQ(chain.sum().compute().values<float>()[0],
            chain.persist().sum().compute().values<float>()[0]);
}

TEST(Elementwise, FunctionsMatchTheLibmOnAwkwardShapes) {
  // 1-d to 4-d, one element, empty: every function against std:: on the same values.
  const std::vector<std::pair<Shape, Shape>> shapes = {{{17}, {5}},
                                                       {{1}, {1}},
                                                       {{0}, {3}},
                                                       {{3, 0}, {2, 2}},
                                                       {{5, 3, 2}, {2, 2, 1}},
                                                       {{2, 3, 4, 5}, {1, 2, 3, 2}}};
  const std::vector<std::pair<std::string, double (*)(double)>> fns = {{"exp", [](double v) { return std::exp(v); }},
                                                                       {"log", [](double v) { return std::log(v); }},
                                                                       {"tanh", [](double v) { return std::tanh(v); }},
                                                                       {"abs", [](double v) { return std::fabs(v); }},
                                                                       {"sqrt", [](double v) { return std::sqrt(v); }},
                                                                       {"sin", [](double v) { return std::sin(v); }},
                                                                       {"cos", [](double v) { return std::cos(v); }},
                                                                       {"tan", [](double v) { return std::tan(v); }}};
  std::uint64_t seed = 20;
  for (const auto& [shape, chunks] : shapes) {
    Block xb = test::random_block(shape, ++seed);
    AnyArray x = from_values(xb, chunks);
    auto xv = values(xb);
    for (const auto& [name, f] : fns) {
      AnyArray y = pando::apply(name, x);
      EXPECT_EQ(y.shape(), shape) << name;
      auto got = values(y.compute());
      ASSERT_EQ(got.size(), xv.size()) << name;
      for (std::size_t i = 0; i < got.size(); ++i) {
        const double want = f(xv[i]);
        if (std::isnan(want))
          EXPECT_TRUE(std::isnan(got[i])) << name << "(" << xv[i] << ")";
        else  // vectorized libm: within an ulp or two
          EXPECT_NEAR(got[i], want, 4 * std::numeric_limits<double>::epsilon() * std::fabs(want))
              << name << "(" << xv[i] << ")";
      }
    }
    // A chain over every axis's broadcast with a one-element array.
    AnyArray one = from_values(Block::of<double>(Shape(shape.size(), 1), {0.25}));
    auto got = values((x * one - x).compute());
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_DOUBLE_EQ(got[i], xv[i] * 0.25 - xv[i]);
  }
}
