#pragma once
// Element-wise arithmetic on arrays, with NumPy broadcasting, fused: a chain of element-wise
// operations becomes ONE task per block that evaluates the whole expression tile by tile
// (module expr), so no intermediate block is stored or sent.
//
//   auto y = pando::sin(x) * pando::sin(x) + pando::cos(x) * pando::cos(x);   // one task per block
//   auto z = pando::evaluate(pando::expr::parse_expression("x + x.T", "--expr"), {{"x", x}});
//
// Types follow NumPy (int + float is float64, / is floating, comparisons are bool); a type or
// shape mismatch is an error when the expression is made, before anything runs.

#include <pando/array/array.hpp>
#include <pando/expr/ast.hpp>

#include <map>
#include <string>

namespace pando {

// The expression `e` over arrays named in it ("x", and "x.T" for the transpose of "x").
AnyArray evaluate(const expr::Expr& e, const std::map<std::string, AnyArray>& arrays);

AnyArray operator+(const AnyArray& a, const AnyArray& b);
AnyArray operator-(const AnyArray& a, const AnyArray& b);
AnyArray operator*(const AnyArray& a, const AnyArray& b);
AnyArray operator/(const AnyArray& a, const AnyArray& b);
AnyArray operator-(const AnyArray& a);
AnyArray operator==(const AnyArray& a, const AnyArray& b);
AnyArray operator!=(const AnyArray& a, const AnyArray& b);
AnyArray operator<(const AnyArray& a, const AnyArray& b);
AnyArray operator<=(const AnyArray& a, const AnyArray& b);
AnyArray operator>(const AnyArray& a, const AnyArray& b);
AnyArray operator>=(const AnyArray& a, const AnyArray& b);
// With a number on either side (the number does not widen the array's type, as in NumPy).
AnyArray operator+(const AnyArray& a, double b);
AnyArray operator-(const AnyArray& a, double b);
AnyArray operator*(const AnyArray& a, double b);
AnyArray operator/(const AnyArray& a, double b);
AnyArray operator+(double a, const AnyArray& b);
AnyArray operator-(double a, const AnyArray& b);
AnyArray operator*(double a, const AnyArray& b);
AnyArray operator/(double a, const AnyArray& b);
AnyArray operator<(const AnyArray& a, double b);
AnyArray operator>(const AnyArray& a, double b);

AnyArray pow(const AnyArray& a, const AnyArray& b);
AnyArray pow(const AnyArray& a, double b);
AnyArray where(const AnyArray& condition, const AnyArray& a, const AnyArray& b);
// A function of module expr by name: "sin", "cos", "tan", "exp", "log", "sqrt", "abs",
// "tanh", "arcsin", ...
AnyArray apply(std::string_view function, const AnyArray& a);
inline AnyArray sin(const AnyArray& a) { return apply("sin", a); }
inline AnyArray cos(const AnyArray& a) { return apply("cos", a); }
inline AnyArray tan(const AnyArray& a) { return apply("tan", a); }
inline AnyArray exp(const AnyArray& a) { return apply("exp", a); }
inline AnyArray log(const AnyArray& a) { return apply("log", a); }
inline AnyArray sqrt(const AnyArray& a) { return apply("sqrt", a); }
inline AnyArray abs(const AnyArray& a) { return apply("abs", a); }
inline AnyArray tanh(const AnyArray& a) { return apply("tanh", a); }

// Typed: same element type in, same out (division and functions give the floating type,
// comparisons bool). Mix types through astype<U>().
template <class E>
using FloatOf = std::conditional_t<std::is_floating_point_v<E>, E, double>;

#define PANDO_ARRAY_OP(op, Out)                                  \
  template <class E>                                             \
  Array<Out> operator op(const Array<E>& a, const Array<E>& b) { \
    return Array<Out>(a.any() op b.any());                       \
  }                                                              \
  template <class E>                                             \
  Array<Out> operator op(const Array<E>& a, double b) {          \
    return Array<Out>(a.any() op b);                             \
  }
PANDO_ARRAY_OP(+, E)
PANDO_ARRAY_OP(-, E)
PANDO_ARRAY_OP(*, E)
PANDO_ARRAY_OP(/, FloatOf<E>)
PANDO_ARRAY_OP(<, bool)
PANDO_ARRAY_OP(>, bool)
#undef PANDO_ARRAY_OP

template <class E>
Array<E> operator+(double a, const Array<E>& b) {
  return Array<E>(a + b.any());
}
template <class E>
Array<E> operator*(double a, const Array<E>& b) {
  return Array<E>(a * b.any());
}
template <class E>
Array<E> operator-(const Array<E>& a) {
  return Array<E>(-a.any());
}
template <class E>
Array<FloatOf<E>> pow(const Array<E>& a, double b) {
  return Array<FloatOf<E>>(pow(a.any(), b));
}
template <class E>
Array<E> where(const Array<bool>& c, const Array<E>& a, const Array<E>& b) {
  return Array<E>(where(c.any(), a.any(), b.any()));
}
#define PANDO_ARRAY_FN(fn)                         \
  template <class E>                               \
  Array<FloatOf<E>> fn(const Array<E>& a) {        \
    return Array<FloatOf<E>>(apply(#fn, a.any())); \
  }
PANDO_ARRAY_FN(sin)
PANDO_ARRAY_FN(cos)
PANDO_ARRAY_FN(tan)
PANDO_ARRAY_FN(exp)
PANDO_ARRAY_FN(log)
PANDO_ARRAY_FN(sqrt)
PANDO_ARRAY_FN(tanh)
#undef PANDO_ARRAY_FN
template <class E>
Array<E> abs(const Array<E>& a) {
  return Array<E>(apply("abs", a.any()));
}

namespace detail {
struct ArrayNode;
// For reductions over a pending expression: the inputs of block `index` and a function that
// evaluates the block from their values, without a task of its own.
struct BlockRecipe {
  std::vector<Key> inputs;
  std::function<Block(std::span<const Value>)> make;
};
BlockRecipe block_recipe(const ArrayNode& node, std::span<const std::int64_t> index);
// The graphs of a pending expression's leaves.
std::vector<const Graph*> leaf_graphs(const ArrayNode& node);
// A name for an array's values that does not force a pending expression into tasks.
std::string identity(const AnyArray& a);
}  // namespace detail

}  // namespace pando
