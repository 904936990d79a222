// Element-wise expressions over arrays: values, broadcasting, types, fusion, errors.

#include <pando/array/elementwise.hpp>
#include <pando/expr/parser.hpp>

#include <gtest/gtest.h>
#include <mpi_test.hpp>

#include "array_reference.hpp"

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
  EXPECT_EQ((i * 2.0).dtype(), DType::int32);  // a whole number does not widen
  EXPECT_EQ((i / i).dtype(), DType::float64);
  EXPECT_EQ((i > 3.0).dtype(), DType::boolean);
  EXPECT_EQ(sqrt(i).dtype(), DType::float64);
  EXPECT_EQ((i + i).compute().values<std::int32_t>()[9], 14);
  AnyArray f = full({4}, 1.5, DType::float32, Shape{3});
  EXPECT_EQ((f * 2.0).dtype(), DType::float32);
  EXPECT_EQ(i.astype(DType::float32).dtype(), DType::float32);
  EXPECT_EQ(f.astype(DType::int64).compute().values<std::int64_t>()[0], 1);
  auto w = where(i > 3.0, i, i * 0.0).compute();
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
