// Evaluation of numbers against plain serial reference loops: arithmetic, comparisons, logic,
// floating functions and conversions, at sizes around the tile and the validity word, with and
// without nulls, with scalars broadcast on either side, NaN and infinities.

#include "expr_test_util.hpp"

#include <pando/core/error.hpp>

#include <cmath>
#include <limits>

using namespace pando::expr;
using namespace pando::expr::test;
using pando::DType;
using pando::dtype_of;

namespace {

template <class T>
std::vector<T> random_values(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<T> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t r = rng();
    if constexpr (std::is_integral_v<T>) {
      switch (r % 16) {
        case 0:
          v[i] = std::numeric_limits<T>::max();
          break;
        case 1:
          v[i] = std::numeric_limits<T>::min();
          break;
        case 2:
          v[i] = 0;
          break;
        case 3:
          v[i] = -1;
          break;
        default:
          v[i] = static_cast<T>(static_cast<std::int64_t>(rng() % 2001) - 1000);
      }
    } else {
      constexpr T inf = std::numeric_limits<T>::infinity();
      switch (r % 20) {
        case 0:
          v[i] = std::numeric_limits<T>::quiet_NaN();
          break;
        case 1:
          v[i] = inf;
          break;
        case 2:
          v[i] = -inf;
          break;
        case 3:
          v[i] = 0;
          break;
        case 4:
          v[i] = T(-0.0);
          break;
        case 5:
          v[i] = std::numeric_limits<T>::max();
          break;
        case 6:
          v[i] = std::numeric_limits<T>::denorm_min();
          break;
        default:
          v[i] = static_cast<T>(std::uniform_real_distribution<double>(-100, 100)(rng));
      }
    }
  }
  return v;
}

template <class T>
using U = std::make_unsigned_t<T>;

// Reference semantics, written independently of the kernels where possible.
template <class T>
std::optional<T> ref_arith(char op, T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    switch (op) {
      case '+':
        return static_cast<T>(static_cast<U<T>>(a) + static_cast<U<T>>(b));
      case '-':
        return static_cast<T>(static_cast<U<T>>(a) - static_cast<U<T>>(b));
      case '*':
        return static_cast<T>(static_cast<U<T>>(a) * static_cast<U<T>>(b));
      case '%': {
        if (b == 0) return std::nullopt;  // integer % 0 is null
        if (b == -1) return T(0);         // (and INT_MIN % -1 would trap)
        T r = static_cast<T>(a % b);
        if (r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
        return r;
      }
    }
  } else {
    switch (op) {
      case '+':
        return a + b;
      case '-':
        return a - b;
      case '*':
        return a * b;
      case '/':
        return a / b;
      case '%': {  // NumPy's remainder: the sign of the divisor
        T m = std::fmod(a, b);
        if (m != 0) {
          if ((b < 0) != (m < 0)) m += b;
        } else {
          m = std::copysign(T(0), b);
        }
        return m;
      }
    }
  }
  return std::nullopt;
}

template <class T>
const char* type_name() {
  return std::string_view(to_string(dtype_of<T>())).data();
}

template <class T>
void check_arithmetic() {
  const char* ops[] = {"+", "-", "*", "%", "/"};
  for (std::size_t n : sizes) {
    for (Nulls na : null_modes) {
      for (Nulls nb : {Nulls::none, Nulls::some}) {
        Table t;
        t.add("a", Column::of(random_values<T>(n, 1)).nulls(na, 11));
        t.add("b", Column::of(random_values<T>(n, 2)).nulls(nb, 12));
        auto s_values = random_values<T>(1, 3);
        if constexpr (std::is_integral_v<T>) s_values[0] = 7;
        t.add("s", Column::of(s_values));
        t.add("z", Column::of(std::vector<T>{T(5)}).nulls([](std::size_t) { return false; }));
        const Column& a = t["a"];
        const Column& b = t["b"];
        const Column& s = t["s"];
        for (const char* op : ops) {
          const char c = op[0];
          if (c == '/' && std::is_integral_v<T>) {  // always floating: float64
            EXPECT_TRUE(matches<double>(t.run("a / b", n), n,
                                        [&](std::size_t i) -> std::optional<double> {
                                          if (!a.valid(i) || !b.valid(i)) return std::nullopt;
                                          return static_cast<double>(a.at<T>(i)) /
                                                 static_cast<double>(b.at<T>(i));
                                        }))
                << type_name<T>() << " / n=" << n;
            continue;
          }
          SCOPED_TRACE(testing::Message() << type_name<T>() << " " << op << " n=" << n << " "
                                          << to_string(na) << "/" << to_string(nb));
          auto vv = [&](std::size_t i) -> std::optional<T> {
            if (!a.valid(i) || !b.valid(i)) return std::nullopt;
            return ref_arith<T>(c, a.at<T>(i), b.at<T>(i));
          };
          auto vs = [&](std::size_t i) -> std::optional<T> {
            if (!a.valid(i)) return std::nullopt;
            return ref_arith<T>(c, a.at<T>(i), s.at<T>(0));
          };
          auto sv = [&](std::size_t i) -> std::optional<T> {
            if (!b.valid(i)) return std::nullopt;
            return ref_arith<T>(c, s.at<T>(0), b.at<T>(i));
          };
          auto lit = [&](std::size_t i) -> std::optional<T> {
            if (!a.valid(i)) return std::nullopt;
            return ref_arith<T>(c, a.at<T>(i), T(3));
          };
          auto null = [](std::size_t) -> std::optional<T> { return std::nullopt; };
          auto in = t.inputs();
          const std::string o = op;
          Program p = t.compile("a " + o + " b");
          EXPECT_EQ(p.result_type(), dtype_of<T>());
          Output r = p.run(in, n);
          EXPECT_TRUE(matches<T>(r, n, vv));
          EXPECT_TRUE(matches<T>(gather_tiles(p, in, n), n, vv));
          EXPECT_TRUE(matches<T>(t.run("a " + o + " s", n), n, vs));
          EXPECT_TRUE(matches<T>(t.run("s " + o + " b", n), n, sv));
          EXPECT_TRUE(matches<T>(t.run("a " + o + " 3", n), n, lit));
          EXPECT_TRUE(matches<T>(t.run("a " + o + " z", n), n, null));
          EXPECT_TRUE(matches<T>(t.run("z " + o + " b", n), n, null));
        }
        // Unary minus and abs keep the type; integers wrap (-INT_MIN == INT_MIN).
        auto neg = [&](std::size_t i) -> std::optional<T> {
          if (!a.valid(i)) return std::nullopt;
          if constexpr (std::is_integral_v<T>)
            return static_cast<T>(U<T>(0) - static_cast<U<T>>(a.at<T>(i)));
          else
            return -a.at<T>(i);
        };
        auto abs = [&](std::size_t i) -> std::optional<T> {
          if (!a.valid(i)) return std::nullopt;
          T x = a.at<T>(i);
          if constexpr (std::is_integral_v<T>)
            return x < 0 ? static_cast<T>(U<T>(0) - static_cast<U<T>>(x)) : x;
          else
            return std::fabs(x);
        };
        EXPECT_TRUE(matches<T>(t.run("-a", n), n, neg)) << type_name<T>() << " n=" << n;
        EXPECT_TRUE(matches<T>(t.run("abs(a)", n), n, abs)) << type_name<T>() << " n=" << n;
      }
    }
  }
}

}  // namespace

TEST(EvalArithmetic, Int32) { check_arithmetic<std::int32_t>(); }
TEST(EvalArithmetic, Int64) { check_arithmetic<std::int64_t>(); }
TEST(EvalArithmetic, Float32) { check_arithmetic<float>(); }
TEST(EvalArithmetic, Float64) { check_arithmetic<double>(); }

TEST(EvalArithmetic, NarrowTypesStayNarrow) {
  Table t;
  t.add("i", Column::of(std::vector<std::int32_t>{2147483647, -2147483647 - 1, 5}));
  t.add("f", Column::of(std::vector<float>{0.1f, 1e38f, 3.0f}));
  Output o = t.run("i + 1", 3);
  ASSERT_EQ(o.type, DType::int32);
  EXPECT_EQ(o.values<std::int32_t>()[0], -2147483647 - 1);  // wraps, like NumPy
  o = t.run("i - 1", 3);
  EXPECT_EQ(o.values<std::int32_t>()[1], 2147483647);
  o = t.run("i * 2", 3);
  EXPECT_EQ(o.values<std::int32_t>()[2], 10);
  o = t.run("f * 10", 3);
  ASSERT_EQ(o.type, DType::float32);
  EXPECT_EQ(o.values<float>()[0], 0.1f * 10.0f);  // in float32, not double
  EXPECT_EQ(o.values<float>()[1], std::numeric_limits<float>::infinity());
  o = t.run("f + 0.1", 3);
  EXPECT_EQ(o.values<float>()[0], 0.1f + 0.1f);
  o = t.run("i + 3000000000", 3);
  ASSERT_EQ(o.type, DType::int64);
  EXPECT_EQ(o.values<std::int64_t>()[0], 2147483647LL + 3000000000LL);
  o = t.run("i / 2", 3);
  ASSERT_EQ(o.type, DType::float64);
  EXPECT_EQ(o.values<double>()[2], 2.5);
  o = t.run("f / 2", 3);
  ASSERT_EQ(o.type, DType::float32);
  EXPECT_EQ(o.values<float>()[2], 1.5f);
}

TEST(EvalArithmetic, MixedTypesPromote) {
  for (std::size_t n : sizes) {
    Table t;
    t.add("i", Column::of(random_values<std::int32_t>(n, 5)).nulls(Nulls::some, 3));
    t.add("j", Column::of(random_values<std::int64_t>(n, 6)));
    t.add("f", Column::of(random_values<float>(n, 7)));
    t.add("d", Column::of(random_values<double>(n, 8)).nulls(Nulls::some, 4));
    t.add("b", Column::bools([&] {
            std::vector<std::uint8_t> v(n);
            for (std::size_t k = 0; k < n; ++k) v[k] = k % 3 == 0;
            return v;
          }()));
    const Column &i = t["i"], &j = t["j"], &f = t["f"], &d = t["d"], &b = t["b"];
    SCOPED_TRACE(n);
    EXPECT_TRUE(matches<std::int64_t>(
        t.run("i + j", n), n, [&](std::size_t k) -> std::optional<std::int64_t> {
          if (!i.valid(k)) return std::nullopt;
          return static_cast<std::int64_t>(static_cast<std::uint64_t>(i.at<std::int32_t>(k)) +
                                           static_cast<std::uint64_t>(j.at<std::int64_t>(k)));
        }));
    EXPECT_TRUE(matches<double>(t.run("f * i", n), n, [&](std::size_t k) -> std::optional<double> {
      if (!i.valid(k)) return std::nullopt;
      return static_cast<double>(f.at<float>(k)) * static_cast<double>(i.at<std::int32_t>(k));
    }));
    EXPECT_TRUE(matches<double>(t.run("d - f", n), n, [&](std::size_t k) -> std::optional<double> {
      if (!d.valid(k)) return std::nullopt;
      return d.at<double>(k) - static_cast<double>(f.at<float>(k));
    }));
    EXPECT_TRUE(matches<double>(t.run("j / i", n), n, [&](std::size_t k) -> std::optional<double> {
      if (!i.valid(k)) return std::nullopt;
      return static_cast<double>(j.at<std::int64_t>(k)) /
             static_cast<double>(i.at<std::int32_t>(k));
    }));
    EXPECT_TRUE(matches<std::int64_t>(
        t.run("b + b * 2", n), n,
        [&](std::size_t k) -> std::optional<std::int64_t> { return b.at<std::uint8_t>(k) * 3; }));
  }
}

TEST(EvalArithmetic, Powers) {
  for (std::size_t n : sizes) {
    std::mt19937_64 rng(9);
    std::vector<double> x(n), y(n);
    for (std::size_t k = 0; k < n; ++k) {
      x[k] = std::uniform_real_distribution<double>(0, 10)(rng);
      y[k] = std::uniform_real_distribution<double>(-3, 3)(rng);
      if (k % 17 == 0) x[k] = -x[k];  // negative bases: NaN for fractional exponents
      if (k % 29 == 0) x[k] = std::numeric_limits<double>::quiet_NaN();
      if (k % 31 == 0) y[k] = 0;
    }
    Table t;
    t.add("x", Column::of(x).nulls(Nulls::some));
    t.add("y", Column::of(y));
    std::vector<float> xf(x.begin(), x.end());
    t.add("xf", Column::of(xf));
    const Column& cx = t["x"];
    auto ref = [&](auto f) {
      return [&, f](std::size_t k) -> std::optional<double> {
        if (!cx.valid(k)) return std::nullopt;
        return f(x[k]);
      };
    };
    SCOPED_TRACE(n);
    EXPECT_TRUE(matches<double>(
        t.run("x ** y", n), n,
        [&](std::size_t k) -> std::optional<double> {
          if (!cx.valid(k)) return std::nullopt;
          return std::pow(x[k], y[k]);
        },
        WithinUlps{2}));
    EXPECT_TRUE(matches<double>(t.run("x ** 2", n), n, ref([](double v) { return v * v; })));
    EXPECT_TRUE(
        matches<double>(t.run("x ** 0.5", n), n, ref([](double v) { return std::sqrt(v); })));
    EXPECT_TRUE(matches<double>(t.run("x ** 1", n), n, ref([](double v) { return v; })));
    EXPECT_TRUE(matches<double>(t.run("x ** -1", n), n, ref([](double v) { return 1 / v; })));
    EXPECT_TRUE(matches<double>(t.run("x ** 3", n), n,
                                ref([](double v) { return std::pow(v, 3.0); }), WithinUlps{2}));
    EXPECT_TRUE(matches<double>(
        t.run("2 ** y", n), n,
        [&](std::size_t k) -> std::optional<double> { return std::pow(2.0, y[k]); },
        WithinUlps{2}));
    EXPECT_TRUE(matches<float>(t.run("xf ** 2", n), n, [&](std::size_t k) -> std::optional<float> {
      return xf[k] * xf[k];
    }));
    EXPECT_TRUE(matches<float>(
        t.run("xf ** 1.5", n), n,
        [&](std::size_t k) -> std::optional<float> { return std::pow(xf[k], 1.5f); },
        WithinUlps{2}));
  }
  // Parsed like Python: -2**2 is -4, 2**-1 is 0.5, 2**3**2 is 512.
  Table none;
  EXPECT_EQ(none.run("-2**2", 1).values<double>()[0], -4);
  EXPECT_EQ(none.run("2**-1", 1).values<double>()[0], 0.5);
  EXPECT_EQ(none.run("2**3**2", 1).values<double>()[0], 512);
  EXPECT_EQ(none.run("(-2)**2", 1).values<double>()[0], 4);
}

namespace {

template <class T>
void check_comparisons() {
  const char* ops[] = {"==", "!=", "<", "<=", ">", ">="};
  for (std::size_t n : sizes) {
    for (Nulls na : null_modes) {
      Table t;
      auto av = random_values<T>(n, 21);
      auto bv = random_values<T>(n, 22);
      for (std::size_t k = 0; k < n; k += 3) bv[k] = av[k];  // some equal pairs
      t.add("a", Column::of(av).nulls(na, 5));
      t.add("b", Column::of(bv).nulls(Nulls::some, 6));
      t.add("s", Column::of(std::vector<T>{T(0)}));
      const Column &a = t["a"], &b = t["b"];
      for (const char* op : ops) {
        std::string o = op;
        auto cmp = [o](T x, T y) -> std::uint8_t {
          if (o == "==") return x == y;
          if (o == "!=") return x != y;
          if (o == "<") return x < y;
          if (o == "<=") return x <= y;
          if (o == ">") return x > y;
          return x >= y;
        };
        // A null operand: false, but != is true (NaN-like, as pandas); never null.
        const std::uint8_t on_null = o == "!=";
        SCOPED_TRACE(testing::Message()
                     << type_name<T>() << " " << o << " n=" << n << " " << to_string(na));
        auto vv = [&](std::size_t i) -> std::optional<std::uint8_t> {
          if (!a.valid(i) || !b.valid(i)) return on_null;
          return cmp(a.at<T>(i), b.at<T>(i));
        };
        auto vs = [&](std::size_t i) -> std::optional<std::uint8_t> {
          if (!a.valid(i)) return on_null;
          return cmp(a.at<T>(i), T(0));
        };
        auto sv = [&](std::size_t i) -> std::optional<std::uint8_t> {
          if (!b.valid(i)) return on_null;
          return cmp(T(0), b.at<T>(i));
        };
        Program p = t.compile("a " + o + " b");
        auto in = t.inputs();
        EXPECT_TRUE(matches<std::uint8_t>(p.run(in, n), n, vv));
        EXPECT_TRUE(matches<std::uint8_t>(gather_tiles(p, in, n), n, vv));
        EXPECT_TRUE(matches<std::uint8_t>(t.run("a " + o + " s", n), n, vs));
        EXPECT_TRUE(matches<std::uint8_t>(t.run("a " + o + " 0", n), n, vs));
        EXPECT_TRUE(matches<std::uint8_t>(t.run("0 " + o + " b", n), n, sv));
      }
    }
  }
}

}  // namespace

TEST(EvalCompare, Int32) { check_comparisons<std::int32_t>(); }
TEST(EvalCompare, Int64) { check_comparisons<std::int64_t>(); }
TEST(EvalCompare, Float32) { check_comparisons<float>(); }
TEST(EvalCompare, Float64) { check_comparisons<double>(); }

TEST(EvalCompare, MixedTypesAndBools) {
  Table t;
  t.add("i", Column::of(std::vector<std::int32_t>{1, 2, 3, 16777217}));
  t.add("d", Column::of(std::vector<double>{1.0, 2.5, std::nan(""), 16777217.0}));
  t.add("f", Column::of(std::vector<float>{1.0f, 2.0f, 3.0f, 16777216.0f}));
  t.add("b", Column::bools({1, 0, 1, 0}));
  auto bools = [](const Output& o) {
    std::vector<int> v;
    for (std::size_t k = 0; k < o.length; ++k) v.push_back(o.values<std::uint8_t>()[k]);
    return v;
  };
  EXPECT_EQ(bools(t.run("i == d", 4)), (std::vector<int>{1, 0, 0, 1}));
  EXPECT_EQ(bools(t.run("i != d", 4)), (std::vector<int>{0, 1, 1, 0}));  // NaN != x is true
  EXPECT_EQ(bools(t.run("i < d", 4)), (std::vector<int>{0, 1, 0, 0}));
  // float32 with int32 compares in float64: 16777217 is not 16777216.
  EXPECT_EQ(bools(t.run("f == i", 4)), (std::vector<int>{1, 1, 1, 0}));
  EXPECT_EQ(bools(t.run("b == true", 4)), (std::vector<int>{1, 0, 1, 0}));
  EXPECT_EQ(bools(t.run("b < 1", 4)), (std::vector<int>{0, 1, 0, 1}));
  EXPECT_EQ(bools(t.run("b == i", 4)), (std::vector<int>{1, 0, 0, 0}));
}

TEST(EvalLogic, NullCountsAsFalse) {
  for (std::size_t n : sizes) {
    for (Nulls na : null_modes) {
      std::mt19937_64 rng(n);
      std::vector<std::uint8_t> av(n), bv(n);
      for (std::size_t k = 0; k < n; ++k) {
        av[k] = rng() % 2;
        bv[k] = rng() % 2;
      }
      Table t;
      t.add("a", Column::bools(av).nulls(na, 1));
      t.add("b", Column::bools(bv).nulls(Nulls::some, 2));
      t.add("c", Column::bools(bv));
      t.add("t", Column::bools({1}));
      t.add("u", Column::bools({1}).nulls([](std::size_t) { return false; }));
      const Column &a = t["a"], &b = t["b"];
      auto A = [&](std::size_t i) { return a.valid(i) && a.at<std::uint8_t>(i); };
      auto B = [&](std::size_t i) { return b.valid(i) && b.at<std::uint8_t>(i); };
      SCOPED_TRACE(testing::Message() << "n=" << n << " " << to_string(na));
      using R = std::optional<std::uint8_t>;
      EXPECT_TRUE(matches<std::uint8_t>(t.run("a and b", n), n,
                                        [&](std::size_t i) -> R { return A(i) && B(i); }));
      EXPECT_TRUE(matches<std::uint8_t>(t.run("a or b", n), n,
                                        [&](std::size_t i) -> R { return A(i) || B(i); }));
      EXPECT_TRUE(
          matches<std::uint8_t>(t.run("not a", n), n, [&](std::size_t i) -> R { return !A(i); }));
      EXPECT_TRUE(matches<std::uint8_t>(t.run("a && c || !b", n), n, [&](std::size_t i) -> R {
        return (A(i) && bv[i]) || !B(i);
      }));
      EXPECT_TRUE(
          matches<std::uint8_t>(t.run("a and t", n), n, [&](std::size_t i) -> R { return A(i); }));
      EXPECT_TRUE(
          matches<std::uint8_t>(t.run("t or a", n), n, [&](std::size_t) -> R { return 1; }));
      EXPECT_TRUE(
          matches<std::uint8_t>(t.run("a or u", n), n, [&](std::size_t i) -> R { return A(i); }));
      EXPECT_TRUE(
          matches<std::uint8_t>(t.run("u and a", n), n, [&](std::size_t) -> R { return 0; }));
      EXPECT_TRUE(matches<std::uint8_t>(t.run("a and true", n), n,
                                        [&](std::size_t i) -> R { return A(i); }));
      EXPECT_TRUE(matches<std::uint8_t>(t.run("a or false", n), n,
                                        [&](std::size_t i) -> R { return A(i); }));
    }
  }
}

namespace {

// Inputs for the floating functions: a spread over each one's domain, and the special values.
std::vector<double> math_inputs(std::size_t n, double lo, double hi, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> v(n);
  const double specials[] = {0.0,
                             -0.0,
                             1.0,
                             -1.0,
                             std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(),
                             std::numeric_limits<double>::quiet_NaN(),
                             1e-310,
                             0.5};
  for (std::size_t k = 0; k < n; ++k)
    v[k] =
        k % 10 == 9 ? specials[(k / 10) % 9] : std::uniform_real_distribution<double>(lo, hi)(rng);
  return v;
}

struct MathCase {
  const char* name;
  double (*f64)(double);
  float (*f32)(float);
  double lo, hi;
  std::int64_t ulps;  // vs glibc's scalar function
};

}  // namespace

TEST(EvalMath, FunctionsAgainstScalarLibm) {
  // glibc documents its vector functions (libmvec) as within 4 ulp of the exact result, and
  // its scalar ones as within about 1. Measured on 4M random inputs per function (AVX-512):
  // at most 4 ulp from the scalar function (cos in float64, log in float32), mostly 2-3.
  // So 5 ulp here, the documented bound plus the scalar reference's own error.
  const MathCase cases[] = {
      {"sin", [](double x) { return std::sin(x); }, [](float x) { return std::sin(x); }, -50, 50,
       5},
      {"cos", [](double x) { return std::cos(x); }, [](float x) { return std::cos(x); }, -50, 50,
       5},
      {"tan", [](double x) { return std::tan(x); }, [](float x) { return std::tan(x); }, -1.5, 1.5,
       5},
      {"arcsin", [](double x) { return std::asin(x); }, [](float x) { return std::asin(x); }, -1, 1,
       5},
      {"arccos", [](double x) { return std::acos(x); }, [](float x) { return std::acos(x); }, -1, 1,
       5},
      {"arctan", [](double x) { return std::atan(x); }, [](float x) { return std::atan(x); }, -20,
       20, 5},
      {"sinh", [](double x) { return std::sinh(x); }, [](float x) { return std::sinh(x); }, -10, 10,
       5},
      {"cosh", [](double x) { return std::cosh(x); }, [](float x) { return std::cosh(x); }, -10, 10,
       5},
      {"tanh", [](double x) { return std::tanh(x); }, [](float x) { return std::tanh(x); }, -5, 5,
       5},
      {"exp", [](double x) { return std::exp(x); }, [](float x) { return std::exp(x); }, -50, 50,
       5},
      {"log", [](double x) { return std::log(x); }, [](float x) { return std::log(x); }, 0, 1000,
       5},
      {"log10", [](double x) { return std::log10(x); }, [](float x) { return std::log10(x); }, 0,
       1000, 5},
      {"log2", [](double x) { return std::log2(x); }, [](float x) { return std::log2(x); }, 0, 1000,
       5},
      {"sqrt", [](double x) { return std::sqrt(x); }, [](float x) { return std::sqrt(x); }, 0, 1000,
       0},
      {"floor", [](double x) { return std::floor(x); }, [](float x) { return std::floor(x); }, -100,
       100, 0},
      {"ceil", [](double x) { return std::ceil(x); }, [](float x) { return std::ceil(x); }, -100,
       100, 0},
      {"round", [](double x) { return std::nearbyint(x); },
       [](float x) { return std::nearbyint(x); }, -100, 100, 0},
  };
  for (const MathCase& m : cases) {
    for (std::size_t n : sizes) {
      for (Nulls nx : null_modes) {
        auto x = math_inputs(n, m.lo, m.hi, 77);
        std::vector<float> xf(x.begin(), x.end());
        Table t;
        t.add("x", Column::of(x).nulls(nx));
        t.add("xf", Column::of(xf));
        std::vector<std::int32_t> iv(n);
        for (std::size_t k = 0; k < n; ++k)
          iv[k] = std::isfinite(x[k]) ? static_cast<std::int32_t>(x[k]) : 0;
        t.add("i", Column::of(iv));
        const Column& cx = t["x"];
        const std::string f = m.name;
        SCOPED_TRACE(f + " n=" + std::to_string(n) + " " + to_string(nx));
        EXPECT_TRUE(matches<double>(
            t.run(f + "(x)", n), n,
            [&](std::size_t k) -> std::optional<double> {
              if (!cx.valid(k)) return std::nullopt;
              return m.f64(x[k]);
            },
            WithinUlps{m.ulps}));
        if (nx != Nulls::none) continue;
        Output of = t.run(f + "(xf)", n);
        ASSERT_EQ(of.type, DType::float32);
        EXPECT_TRUE(matches<float>(
            of, n, [&](std::size_t k) -> std::optional<float> { return m.f32(xf[k]); },
            WithinUlps{m.ulps}));
        // Integers go through float64.
        EXPECT_TRUE(matches<double>(
            t.run(f + "(i)", n), n,
            [&](std::size_t k) -> std::optional<double> {
              return m.f64(static_cast<double>(iv[k]));
            },
            WithinUlps{m.ulps}));
      }
    }
  }
}

TEST(EvalMath, HalfToEvenAndDecimals) {
  Table t;
  t.add("x", Column::of(std::vector<double>{0.5, 1.5, 2.5, -0.5, -2.5, 1.2345, 12345.678,
                                            std::nan(""), -1.005}));
  t.add("i", Column::of(std::vector<std::int32_t>{15, 25, -15, 0, 7, 1, 2, 3, 4}));
  auto values = [](const Output& o) {
    return std::vector<double>(o.values<double>().begin(), o.values<double>().end());
  };
  auto r = values(t.run("round(x)", 9));
  EXPECT_EQ(std::vector<double>(r.begin(), r.begin() + 5),
            (std::vector<double>{0, 2, 2, -0.0, -2}));
  r = values(t.run("round(x, 2)", 9));
  EXPECT_EQ(r[5], std::rint(1.2345 * 100) / 100);
  EXPECT_EQ(r[6], std::rint(12345.678 * 100) / 100);
  EXPECT_TRUE(std::isnan(r[7]));
  r = values(t.run("round(x, -2)", 9));
  EXPECT_EQ(r[6], 12300);
  r = values(t.run("round(i, -1)", 9));
  EXPECT_EQ(std::vector<double>(r.begin(), r.begin() + 4), (std::vector<double>{20, 20, -20, 0}));
  r = values(t.run("floor(i)", 9));
  EXPECT_EQ(r[2], -15);
  r = values(t.run("round(x, 0)", 9));
  EXPECT_EQ(r[2], 2);
}

TEST(EvalMath, SinSquaredPlusCosSquared) {
  for (std::size_t n : sizes) {
    auto x = math_inputs(n, -1000, 1000, 5);
    Table t;
    t.add("x", Column::of(x));
    Output o = t.run("sin(x)**2 + cos(x)**2", n);
    for (std::size_t k = 0; k < n; ++k) {
      if (std::isfinite(x[k]))
        EXPECT_NEAR(o.values<double>()[k], 1.0, 1e-15) << x[k];
      else
        EXPECT_TRUE(std::isnan(o.values<double>()[k]));  // NaN survives: no -ffast-math
    }
  }
}

TEST(EvalConvert, CastsAndTruncation) {
  const double inf = std::numeric_limits<double>::infinity();
  Table t;
  t.add("d", Column::of(std::vector<double>{2.7, -2.7, 0.0, std::nan(""), inf, -inf, 9.3e18,
                                            -9223372036854775808.0, 1e-300}));
  t.add("f", Column::of(std::vector<float>{2.7f, -2.7f, 0, 1, 2, 3, 4, 5, 6}));
  t.add("i",
        Column::of(std::vector<std::int32_t>{1, -2, 3, 4, 5, 6, 7, 8, 9}).nulls([](std::size_t k) {
          return k != 1;
        }));
  t.add("b", Column::bools({1, 0, 1, 0, 1, 0, 1, 0, 1}));
  t.add("ts", Column::timestamps({-1, 0, 1, 2, 3, 4, 5, 6, 7}));
  using I = std::optional<std::int64_t>;
  const std::vector<I> trunc = {2,
                                -2,
                                0,
                                std::nullopt,
                                std::nullopt,
                                std::nullopt,
                                std::nullopt,
                                std::numeric_limits<std::int64_t>::min(),
                                0};
  EXPECT_TRUE(
      matches<std::int64_t>(t.run("int(d)", 9), 9, [&](std::size_t k) { return trunc[k]; }));
  EXPECT_TRUE(matches<std::int64_t>(t.run("int(f)", 9), 9, [&](std::size_t k) -> I {
    return static_cast<std::int64_t>(std::vector<float>{2.7f, -2.7f, 0, 1, 2, 3, 4, 5, 6}[k]);
  }));
  EXPECT_TRUE(matches<std::int64_t>(t.run("int(i)", 9), 9, [&](std::size_t k) -> I {
    if (k == 1) return std::nullopt;  // int of null stays null
    return static_cast<std::int64_t>(k + 1);
  }));
  EXPECT_TRUE(matches<std::int64_t>(t.run("int(b)", 9), 9,
                                    [&](std::size_t k) -> I { return (k + 1) % 2; }));
  EXPECT_TRUE(matches<std::int64_t>(t.run("int(ts)", 9), 9, [&](std::size_t k) -> I {
    return static_cast<std::int64_t>(k) - 1;
  }));
  EXPECT_TRUE(matches<double>(t.run("float(i)", 9), 9, [&](std::size_t k) -> std::optional<double> {
    if (k == 1) return std::nullopt;
    return static_cast<double>(k + 1);
  }));
  EXPECT_TRUE(matches<double>(t.run("float(b)", 9), 9,
                              [&](std::size_t k) -> std::optional<double> { return (k + 1) % 2; }));
  EXPECT_TRUE(matches<double>(t.run("float(f)", 9), 9, [&](std::size_t k) -> std::optional<double> {
    return static_cast<double>(std::vector<float>{2.7f, -2.7f, 0, 1, 2, 3, 4, 5, 6}[k]);
  }));
}

TEST(EvalBroadcast, ScalarsOnly) {
  Table t;
  t.add("s", Column::of(std::vector<double>{2.0}));
  t.add("z", Column::of(std::vector<double>{2.0}).nulls([](std::size_t) { return false; }));
  for (std::size_t n : sizes) {
    EXPECT_TRUE(matches<std::int64_t>(
        t.run("1 + 2", n), n, [](std::size_t) -> std::optional<std::int64_t> { return 3; }));
    EXPECT_TRUE(matches<double>(t.run("s * 3", n), n,
                                [](std::size_t) -> std::optional<double> { return 6; }));
    EXPECT_TRUE(matches<double>(
        t.run("sin(s) + s", n), n,
        [](std::size_t) -> std::optional<double> { return std::sin(2.0) + 2.0; }, WithinUlps{2}));
    EXPECT_TRUE(matches<double>(t.run("z * 3", n), n,
                                [](std::size_t) -> std::optional<double> { return std::nullopt; }));
    EXPECT_TRUE(
        matches<double>(t.run("s", n), n, [](std::size_t) -> std::optional<double> { return 2; }));
    EXPECT_TRUE(matches<std::uint8_t>(
        t.run("isna(z)", n), n, [](std::size_t) -> std::optional<std::uint8_t> { return 1; }));
    Program p = t.compile("s + 1");
    auto in = t.inputs();
    EXPECT_TRUE(matches<double>(gather_tiles(p, in, n), n,
                                [](std::size_t) -> std::optional<double> { return 3; }));
  }
}

TEST(EvalInputs, AreChecked) {
  std::vector<double> x(10, 1.0);
  std::vector<float> xf(10, 1.0f);
  std::vector<std::pair<std::string, DType>> cols{{"x", DType::float64}, {"y", DType::float64}};
  Program p = Program::compile(parse_expression("x + 1"), cols);
  std::vector<Input> in{Input::of<double>(x), Input{}};
  EXPECT_NO_THROW((void)p.run(in, 10));  // y is unused: a default Input is fine
  std::vector<Input> narrow{Input::of<float>(xf)};
  try {
    (void)p.run(narrow, 10);
    FAIL();
  } catch (const pando::UsageError& e) {
    EXPECT_STREQ(e.what(),
                 "expression: input 'x' is float32, but the expression was compiled for float64");
  }
  try {
    (void)p.run(in, 7);
    FAIL();
  } catch (const pando::ShapeError& e) {
    EXPECT_STREQ(e.what(), "expression: input 'x' has 10 rows, expected 7 (or 1 to broadcast)");
  }
  EXPECT_THROW((void)p.run({}, 10), pando::UsageError);
}

TEST(EvalOutput, OwnsItsBuffersAndOutlivesInputs) {
  Output o;
  {
    std::vector<double> x(5000, 2.0);
    std::vector<std::pair<std::string, DType>> cols{{"x", DType::float64}};
    Program p = Program::compile(parse_expression("x"), cols);
    Input in = Input::of<double>(x);
    o = p.run({&in, 1}, 5000);
  }
  ASSERT_EQ(o.length, 5000U);
  EXPECT_EQ(o.values<double>()[4999], 2.0);
  EXPECT_EQ(o.null_count(), 0U);
  // A result can feed another program.
  std::vector<std::pair<std::string, DType>> cols{{"y", DType::float64}};
  Input view = o.view();
  Output twice = Program::compile(parse_expression("y * 2"), cols).run({&view, 1}, 5000);
  EXPECT_EQ(twice.values<double>()[0], 4.0);
}
