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
// A number beside an array, typed as NumPy types a Python scalar: an integer keeps an integer
// array's type, a floating-point number makes it float64 (and keeps float32 as float32).
struct Number {
  template <class S>
  requires std::is_arithmetic_v<S> Number(
      S v)  // NOLINT(google-explicit-constructor): numbers read as numbers
      : literal(std::is_floating_point_v<S> ? expr::Expr(static_cast<double>(v))
                                            : expr::Expr(static_cast<std::int64_t>(v))) {}
  expr::Expr literal;
};
AnyArray operator+(const AnyArray& a, const Number& b);
AnyArray operator-(const AnyArray& a, const Number& b);
AnyArray operator*(const AnyArray& a, const Number& b);
AnyArray operator/(const AnyArray& a, const Number& b);
AnyArray operator+(const Number& a, const AnyArray& b);
AnyArray operator-(const Number& a, const AnyArray& b);
AnyArray operator*(const Number& a, const AnyArray& b);
AnyArray operator/(const Number& a, const AnyArray& b);
AnyArray operator==(const AnyArray& a, const Number& b);
AnyArray operator!=(const AnyArray& a, const Number& b);
AnyArray operator<(const AnyArray& a, const Number& b);
AnyArray operator<=(const AnyArray& a, const Number& b);
AnyArray operator>(const AnyArray& a, const Number& b);
AnyArray operator>=(const AnyArray& a, const Number& b);

AnyArray pow(const AnyArray& a, const AnyArray& b);
AnyArray pow(const AnyArray& a, const Number& b);
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

// Typed: the result types follow NumPy (an integer and a float make float64, division and
// functions give a floating type, comparisons bool); mix element types through astype<U>().
template <class E>
using FloatOf = std::conditional_t<std::is_floating_point_v<E>, E, double>;
// An array of E beside a number of type S (NumPy's weak scalars: the array's type unless a
// float meets integers, or an integer meets bools).
template <class E, class S>
using WithScalar = std::conditional_t<
    std::is_floating_point_v<E>, E,
    std::conditional_t<std::is_floating_point_v<S>, double,
                       std::conditional_t<std::is_same_v<E, bool>, std::int64_t, E>>>;
template <class E>
using Arith = std::conditional_t<std::is_same_v<E, bool>, std::int64_t, E>;

#define PANDO_ARRAY_OP(op, Out, ...)                             \
  template <class E>                                             \
  Array<Out> operator op(const Array<E>& a, const Array<E>& b) { \
    return Array<Out>(a.untyped() op b.untyped());               \
  }                                                              \
  template <class E, class S>                                    \
  requires std::is_arithmetic_v<S> Array<__VA_ARGS__>            \
  operator op(const Array<E>& a, S b) { return Array<__VA_ARGS__>(a.untyped() op Number(b)); }
PANDO_ARRAY_OP(+, Arith<E>, WithScalar<E, S>)
PANDO_ARRAY_OP(-, Arith<E>, WithScalar<E, S>)
PANDO_ARRAY_OP(*, Arith<E>, WithScalar<E, S>)
PANDO_ARRAY_OP(/, FloatOf<E>, FloatOf<WithScalar<E, S>>)
PANDO_ARRAY_OP(==, bool, bool)
PANDO_ARRAY_OP(!=, bool, bool)
PANDO_ARRAY_OP(<, bool, bool)
PANDO_ARRAY_OP(<=, bool, bool)
PANDO_ARRAY_OP(>, bool, bool)
PANDO_ARRAY_OP(>=, bool, bool)
#undef PANDO_ARRAY_OP

#define PANDO_SCALAR_FIRST(op, ...)                   \
  template <class E, class S>                         \
  requires std::is_arithmetic_v<S> Array<__VA_ARGS__> \
  operator op(S a, const Array<E>& b) { return Array<__VA_ARGS__>(Number(a) op b.untyped()); }
PANDO_SCALAR_FIRST(+, WithScalar<E, S>)
PANDO_SCALAR_FIRST(-, WithScalar<E, S>)
PANDO_SCALAR_FIRST(*, WithScalar<E, S>)
PANDO_SCALAR_FIRST(/, FloatOf<WithScalar<E, S>>)
#undef PANDO_SCALAR_FIRST

template <class E>
Array<E> operator-(const Array<E>& a) {
  return Array<E>(-a.untyped());
}
template <class E>
Array<FloatOf<E>> pow(const Array<E>& a, const Array<E>& b) {
  return Array<FloatOf<E>>(pow(a.untyped(), b.untyped()));
}
template <class E, class S>
requires std::is_arithmetic_v<S> Array<FloatOf<WithScalar<E, S>>> pow(const Array<E>& a, S b) {
  return Array<FloatOf<WithScalar<E, S>>>(pow(a.untyped(), Number(b)));
}
template <class E>
Array<E> where(const Array<bool>& c, const Array<E>& a, const Array<E>& b) {
  return Array<E>(where(c.untyped(), a.untyped(), b.untyped()));
}
#define PANDO_ARRAY_FN(fn)                             \
  template <class E>                                   \
  Array<FloatOf<E>> fn(const Array<E>& a) {            \
    return Array<FloatOf<E>>(apply(#fn, a.untyped())); \
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
  return Array<E>(apply("abs", a.untyped()));
}

namespace detail {
struct ArrayNode;
// Takes a slab of a block (its rows [first, first + slab.shape[0]) along axis 0).
using SlabSink = std::function<void(Block slab, std::int64_t first)>;
// For reductions over a pending expression: the inputs of block `index` and how to evaluate
// the block from their values, without a task of its own. A reduction takes the block in
// slabs of a few hundred KiB, so the expression's result is never stored whole.
struct BlockRecipe {
  std::vector<Key> inputs;
  // Evaluates the block in order, in slabs of whole rows of at most `slab_elements` elements
  // (at least one row each), handing each to `sink`.
  std::function<void(std::span<const Value> in, std::size_t slab_elements, const SlabSink& sink)>
      run;
  // The whole block.
  [[nodiscard]] Block make(std::span<const Value> in) const;
};
BlockRecipe block_recipe(const ArrayNode& node, std::span<const std::int64_t> index);
// The graphs of a pending expression's leaves.
std::vector<const Graph*> leaf_graphs(const ArrayNode& node);
// A name for an array's values that does not force a pending expression into tasks.
std::string identity(const AnyArray& a);
}  // namespace detail

}  // namespace pando
