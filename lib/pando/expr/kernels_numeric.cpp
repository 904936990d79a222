// Typed kernels for numbers: arithmetic, comparisons, floating functions, conversions.
//
// Compiled with -fno-math-errno (lib/pando/expr/CMakeLists.txt) and NOT -ffast-math, which would
// assume there are no NaNs. The math functions are redeclared `simd` below, so that GCC calls
// glibc's vector variants (libmvec) in the loops; each hot kernel is built for AVX-512, AVX2 and
// baseline x86-64 and the best is picked when the library loads (target_clones). See
// docs/architecture.md §8.

#include <pando/expr/detail/eval.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

extern "C" {
#define PANDO_SIMD_MATH(name)                                        \
  __attribute__((simd("notinbranch"))) double name(double) noexcept; \
  __attribute__((simd("notinbranch"))) float name##f(float) noexcept;
PANDO_SIMD_MATH(sin)
PANDO_SIMD_MATH(cos)
PANDO_SIMD_MATH(tan)
PANDO_SIMD_MATH(asin)
PANDO_SIMD_MATH(acos)
PANDO_SIMD_MATH(atan)
PANDO_SIMD_MATH(sinh)
PANDO_SIMD_MATH(cosh)
PANDO_SIMD_MATH(tanh)
PANDO_SIMD_MATH(exp)
PANDO_SIMD_MATH(log)
PANDO_SIMD_MATH(log10)
PANDO_SIMD_MATH(log2)
#undef PANDO_SIMD_MATH
__attribute__((simd("notinbranch"))) double pow(double, double) noexcept;
__attribute__((simd("notinbranch"))) float powf(float, float) noexcept;
}

#define PANDO_HOT __attribute__((target_clones("avx512f", "avx2", "default")))

namespace pando::expr::detail {

namespace {

// ---- Shapes: vector-vector, scalar-vector, vector-scalar ------------------------------------

template <class T, class R, class F>
[[gnu::always_inline]] inline void unary_loop(KernelArgs& k) {
  const T* __restrict a = static_cast<const T*>(k.in[0].data);
  R* __restrict o = static_cast<R*>(k.out);
  const std::size_t n = k.in[0].scalar ? 1 : k.n;
  for (std::size_t i = 0; i < n; ++i) o[i] = F::apply(a[i]);
  if (k.in[0].scalar)
    for (std::size_t i = 1; i < k.n; ++i) o[i] = o[0];
}

template <class T, class R, class F>
[[gnu::always_inline]] inline void binary_loop(KernelArgs& k) {
  const T* __restrict a = static_cast<const T*>(k.in[0].data);
  const T* __restrict b = static_cast<const T*>(k.in[1].data);
  R* __restrict o = static_cast<R*>(k.out);
  const std::size_t n = k.n;
  if (k.in[0].scalar) {
    const T av = a[0];
    if (k.in[1].scalar) {
      const R r = F::apply(av, b[0]);
      for (std::size_t i = 0; i < n; ++i) o[i] = r;
    } else {
      for (std::size_t i = 0; i < n; ++i) o[i] = F::apply(av, b[i]);
    }
  } else if (k.in[1].scalar) {
    const T bv = b[0];
    for (std::size_t i = 0; i < n; ++i) o[i] = F::apply(a[i], bv);
  } else {
    for (std::size_t i = 0; i < n; ++i) o[i] = F::apply(a[i], b[i]);
  }
}

template <class T, class R, class F>
PANDO_HOT void unary_kernel(KernelArgs& k) {
  unary_loop<T, R, F>(k);
}
template <class T, class R, class F>
PANDO_HOT void binary_kernel(KernelArgs& k) {
  binary_loop<T, R, F>(k);
}
// The same, built once: for rare operations or ones that do not vectorize anyway.
template <class T, class R, class F>
void plain_unary_kernel(KernelArgs& k) {
  unary_loop<T, R, F>(k);
}
template <class T, class R, class F>
void plain_binary_kernel(KernelArgs& k) {
  binary_loop<T, R, F>(k);
}

// ---- Element operations ---------------------------------------------------------------------

// Integers wrap around on overflow, like NumPy (signed overflow is undefined in C++, so the
// arithmetic is done unsigned).
template <class T>
using U = std::make_unsigned_t<T>;

struct Add {
  template <class T>
  static T apply(T a, T b) {
    if constexpr (std::is_integral_v<T>)
      return static_cast<T>(static_cast<U<T>>(a) + static_cast<U<T>>(b));
    else
      return a + b;
  }
};
struct Subtract {
  template <class T>
  static T apply(T a, T b) {
    if constexpr (std::is_integral_v<T>)
      return static_cast<T>(static_cast<U<T>>(a) - static_cast<U<T>>(b));
    else
      return a - b;
  }
};
struct Multiply {
  template <class T>
  static T apply(T a, T b) {
    if constexpr (std::is_integral_v<T>)
      return static_cast<T>(static_cast<U<T>>(a) * static_cast<U<T>>(b));
    else
      return a * b;
  }
};
struct Divide {
  template <class T>
  static T apply(T a, T b) {
    return a / b;
  }
};
// Python's %: the result has the sign of the divisor. Integer % 0 is null (the kernel clears
// the validity bit; the value is 0); float % 0 is NaN, as in NumPy.
struct Modulo {
  template <class T>
  static T apply(T a, T b) {
    if constexpr (std::is_integral_v<T>) {
      if (b == 0 || b == -1) return 0;  // -1: INT_MIN % -1 traps on x86
      T r = static_cast<T>(a % b);
      if (r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
      return r;
    } else {
      T m = std::fmod(a, b);
      if (m != 0) {
        if ((b < 0) != (m < 0)) m += b;
      } else {
        m = std::copysign(T(0), b);
      }
      return m;
    }
  }
};
struct Power {
  static double apply(double a, double b) { return ::pow(a, b); }
  static float apply(float a, float b) { return ::powf(a, b); }
};
struct Negate {
  template <class T>
  static T apply(T a) {
    if constexpr (std::is_integral_v<T>)
      return static_cast<T>(U<T>(0) - static_cast<U<T>>(a));
    else
      return -a;
  }
};
struct Abs {
  template <class T>
  static T apply(T a) {
    if constexpr (std::is_integral_v<T>)
      return a < 0 ? static_cast<T>(U<T>(0) - static_cast<U<T>>(a)) : a;
    else
      return std::fabs(a);
  }
};

#define PANDO_MATH(Name, fn)                           \
  struct Name {                                        \
    static double apply(double x) { return ::fn(x); }  \
    static float apply(float x) { return ::fn##f(x); } \
  };
PANDO_MATH(Sin, sin)
PANDO_MATH(Cos, cos)
PANDO_MATH(Tan, tan)
PANDO_MATH(Arcsin, asin)
PANDO_MATH(Arccos, acos)
PANDO_MATH(Arctan, atan)
PANDO_MATH(Sinh, sinh)
PANDO_MATH(Cosh, cosh)
PANDO_MATH(Tanh, tanh)
PANDO_MATH(Exp, exp)
PANDO_MATH(Log, log)
PANDO_MATH(Log10, log10)
PANDO_MATH(Log2, log2)
#undef PANDO_MATH

struct Sqrt {
  template <class T>
  static T apply(T x) {
    return std::sqrt(x);
  }
};
struct Floor {
  template <class T>
  static T apply(T x) {
    return std::floor(x);
  }
};
struct Ceil {
  template <class T>
  static T apply(T x) {
    return std::ceil(x);
  }
};
// Half to even (the default rounding mode), like NumPy.
struct Round {
  template <class T>
  static T apply(T x) {
    return std::rint(x);
  }
};

struct Equal {
  template <class T>
  static std::uint8_t apply(T a, T b) {
    return a == b;
  }
};
struct NotEqual {
  template <class T>
  static std::uint8_t apply(T a, T b) {
    return a != b;
  }
};
struct Less {
  template <class T>
  static std::uint8_t apply(T a, T b) {
    return a < b;
  }
};
struct LessEqual {
  template <class T>
  static std::uint8_t apply(T a, T b) {
    return a <= b;
  }
};
struct Greater {
  template <class T>
  static std::uint8_t apply(T a, T b) {
    return a > b;
  }
};
struct GreaterEqual {
  template <class T>
  static std::uint8_t apply(T a, T b) {
    return a >= b;
  }
};

template <class R>
struct Cast {
  template <class T>
  static R apply(T a) {
    return static_cast<R>(a);
  }
};

// ---- Kernels with nulls of their own ------------------------------------------------------

// Integer %: null where the divisor is 0.
template <class T>
void integer_modulo_kernel(KernelArgs& k) {
  plain_binary_kernel<T, T, Modulo>(k);
  const T* b = static_cast<const T*>(k.in[1].data);
  std::uint64_t* v = k.out_validity;
  const std::size_t words = words_for(k.n);
  if (k.in[1].scalar) {
    if (b[0] == 0)
      for (std::size_t w = 0; w < words; ++w) v[w] = 0;
    return;
  }
  for (std::size_t w = 0; w < words; ++w) {
    std::uint64_t zero = 0;
    const std::size_t lo = w * 64, hi = std::min(lo + 64, k.n);
    for (std::size_t i = lo; i < hi; ++i) zero |= std::uint64_t{b[i] == 0} << (i - lo);
    v[w] &= ~zero;
  }
}

// float -> int64, truncating toward zero; NaN, inf and values outside int64 give null.
template <class T>
void to_int_kernel(KernelArgs& k) {
  const T* a = static_cast<const T*>(k.in[0].data);
  auto* o = static_cast<std::int64_t*>(k.out);
  constexpr T lo = -9223372036854775808.0;  // -2^63, exact
  constexpr T hi = 9223372036854775808.0;   // 2^63, exact
  auto convert = [&](T x, bool& ok) -> std::int64_t {
    ok = x >= lo && x < hi;  // false for NaN
    return ok ? static_cast<std::int64_t>(x) : 0;
  };
  std::uint64_t* v = k.out_validity;
  const std::size_t words = words_for(k.n);
  if (k.in[0].scalar) {
    bool ok = false;
    std::int64_t r = convert(a[0], ok);
    for (std::size_t i = 0; i < k.n; ++i) o[i] = r;
    if (!ok)
      for (std::size_t w = 0; w < words; ++w) v[w] = 0;
    return;
  }
  for (std::size_t w = 0; w < words; ++w) {
    std::uint64_t bad = 0;
    const std::size_t lo_i = w * 64, hi_i = std::min(lo_i + 64, k.n);
    for (std::size_t i = lo_i; i < hi_i; ++i) {
      bool ok = false;
      o[i] = convert(a[i], ok);
      bad |= std::uint64_t{!ok} << (i - lo_i);
    }
    v[w] &= ~bad;
  }
}

// round(x, decimals) as NumPy does it: rint(x * 10^d) / 10^d (or rint(x / 10^-d) * 10^-d).
template <class T>
void round_decimals_kernel(KernelArgs& k) {
  const T* a = static_cast<const T*>(k.in[0].data);
  T* o = static_cast<T*>(k.out);
  const std::int64_t d = k.op->int_param;
  const T f = static_cast<T>(std::pow(10.0, static_cast<double>(d >= 0 ? d : -d)));
  const std::size_t n = k.in[0].scalar ? 1 : k.n;
  if (d >= 0)
    for (std::size_t i = 0; i < n; ++i) o[i] = std::rint(a[i] * f) / f;
  else
    for (std::size_t i = 0; i < n; ++i) o[i] = std::rint(a[i] / f) * f;
  if (k.in[0].scalar)
    for (std::size_t i = 1; i < k.n; ++i) o[i] = o[0];
}

// ---- Selection ------------------------------------------------------------------------------

template <class F>
KernelFn floating(DType t) {
  if (t == DType::float32) return &unary_kernel<float, float, F>;
  if (t == DType::float64) return &unary_kernel<double, double, F>;
  return nullptr;
}

// What arithmetic, negation and abs take, and what implicit casts make: numbers and timestamps
// (int64 nanoseconds), not bools.
constexpr DTypeSet arithmetic_dtypes = fixed_width_column_dtypes - DTypeSet{DType::boolean};

template <class F>
KernelFn arithmetic(DType t) {
  return visit<arithmetic_dtypes, no_kernel>(t, [](auto v) -> KernelFn {
    using T = decltype(v);
    return &binary_kernel<T, T, F>;
  });
}

template <class F>
KernelFn unary_arithmetic(DType t) {
  return visit<arithmetic_dtypes, no_kernel>(t, [](auto v) -> KernelFn {
    using T = decltype(v);
    return &unary_kernel<T, T, F>;
  });
}

template <class F>
KernelFn comparison(DType t) {
  return visit<fixed_width_column_dtypes, no_kernel>(t, [](auto v) -> KernelFn {
    using T = decltype(v);
    return &binary_kernel<T, std::uint8_t, F>;
  });
}

KernelFn cast_kernel(DType from, DType to) {
  return visit<fixed_width_column_dtypes, no_kernel>(from, [to](auto v) -> KernelFn {
    using T = decltype(v);
    return visit<arithmetic_dtypes, no_kernel>(to, [](auto r) -> KernelFn {
      using R = decltype(r);
      if constexpr (std::is_floating_point_v<T> && std::is_integral_v<R>)
        return nullptr;  // float -> int is to_int (nulls for NaN)
      else
        return &unary_kernel<T, R, Cast<R>>;
    });
  });
}

}  // namespace

KernelFn find_numeric_kernel(OpCode code, DType operand, DType result) {
  const bool is_float = is_floating(operand);
  switch (code) {
    case OpCode::add:
      return arithmetic<Add>(operand);
    case OpCode::subtract:
      return arithmetic<Subtract>(operand);
    case OpCode::multiply:
      return arithmetic<Multiply>(operand);
    case OpCode::divide:
      return is_float ? arithmetic<Divide>(operand) : nullptr;
    case OpCode::modulo:
      if (operand == DType::int32) return &integer_modulo_kernel<std::int32_t>;
      if (operand == DType::int64) return &integer_modulo_kernel<std::int64_t>;
      if (operand == DType::float32) return &plain_binary_kernel<float, float, Modulo>;
      if (operand == DType::float64) return &plain_binary_kernel<double, double, Modulo>;
      return nullptr;
    case OpCode::power:
      if (operand == DType::float32) return &binary_kernel<float, float, Power>;
      if (operand == DType::float64) return &binary_kernel<double, double, Power>;
      return nullptr;
    case OpCode::negate:
      return unary_arithmetic<Negate>(operand);
    case OpCode::abs:
      return unary_arithmetic<Abs>(operand);
    case OpCode::equal:
      return comparison<Equal>(operand);
    case OpCode::not_equal:
      return comparison<NotEqual>(operand);
    case OpCode::less:
      return comparison<Less>(operand);
    case OpCode::less_equal:
      return comparison<LessEqual>(operand);
    case OpCode::greater:
      return comparison<Greater>(operand);
    case OpCode::greater_equal:
      return comparison<GreaterEqual>(operand);
    case OpCode::sin:
      return floating<Sin>(operand);
    case OpCode::cos:
      return floating<Cos>(operand);
    case OpCode::tan:
      return floating<Tan>(operand);
    case OpCode::arcsin:
      return floating<Arcsin>(operand);
    case OpCode::arccos:
      return floating<Arccos>(operand);
    case OpCode::arctan:
      return floating<Arctan>(operand);
    case OpCode::sinh:
      return floating<Sinh>(operand);
    case OpCode::cosh:
      return floating<Cosh>(operand);
    case OpCode::tanh:
      return floating<Tanh>(operand);
    case OpCode::exp:
      return floating<Exp>(operand);
    case OpCode::log:
      return floating<Log>(operand);
    case OpCode::log10:
      return floating<Log10>(operand);
    case OpCode::log2:
      return floating<Log2>(operand);
    case OpCode::sqrt:
      return floating<Sqrt>(operand);
    case OpCode::floor:
      return floating<Floor>(operand);
    case OpCode::ceil:
      return floating<Ceil>(operand);
    case OpCode::round:
      return floating<Round>(operand);
    case OpCode::round_decimals:
      if (operand == DType::float32) return &round_decimals_kernel<float>;
      if (operand == DType::float64) return &round_decimals_kernel<double>;
      return nullptr;
    case OpCode::cast:
      return cast_kernel(operand, result);
    case OpCode::to_int:
      if (operand == DType::float32) return &to_int_kernel<float>;
      if (operand == DType::float64) return &to_int_kernel<double>;
      return nullptr;
    default:
      return nullptr;
  }
}

}  // namespace pando::expr::detail
