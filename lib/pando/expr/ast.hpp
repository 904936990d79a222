#pragma once
// The expression tree of Pando's one expression language (docs/architecture.md §2, `expr`).
//
// An `Expr` is an immutable, cheaply copyable handle onto a node. Trees come from the text
// parser (parser.hpp) or from the builder functions below, which read like the text:
//
//   using namespace pando::expr;
//   Expr keep = col("amount") > 100 && !col("flag");          // amount > 100 and not flag
//   Expr total = col("amount") * col("qty");
//   Expr unit = pow(sin(col("x")), 2) ...                      // see call() for functions
//
// Trees are bounded: no tree is deeper than `max_depth` nodes (builders throw UsageError, the
// parser a ParseError), so every walk over a tree is safe from stack overflow.

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace pando::expr {

enum class NodeKind : std::uint8_t {
  variable,   // a column (frames) or array (arrays) named by name()
  literal,    // value()
  unary,      // unary_op() on children()[0]
  binary,     // binary_op() on children()[0], children()[1]
  call,       // function name() applied to children()
  transpose,  // `x.T`: children()[0] is a variable
};

enum class UnaryOp : std::uint8_t { negate, logical_not };

enum class BinaryOp : std::uint8_t {
  add,
  subtract,
  multiply,
  divide,
  modulo,
  power,
  equal,
  not_equal,
  less,
  less_equal,
  greater,
  greater_equal,
  logical_and,
  logical_or,
};

// The operator as written in canonical text: "+", "**", "==", "and", "not", ...
std::string_view to_string(UnaryOp op) noexcept;
std::string_view to_string(BinaryOp op) noexcept;
constexpr bool is_comparison(BinaryOp op) noexcept {
  return op >= BinaryOp::equal && op <= BinaryOp::greater_equal;
}

// A literal's value. An integer literal is int64, a decimal one float64.
using Literal = std::variant<bool, std::int64_t, double, std::string>;

namespace detail {
struct Node;
}

class Expr {
 public:
  // No tree is deeper than this (a chain `a + b + c + ...` of 1000 terms is 1000 deep).
  static constexpr std::size_t max_depth = 1000;

  // An empty handle: only assignment and empty() are meaningful on it.
  Expr() = default;

  // Literals convert implicitly, so plain values mix with expressions: `col("x") > 100`.
  template <class T>
  requires std::is_same_v<T, bool> Expr(T value)
      : Expr(Literal{value}) {}  // NOLINT(google-explicit-constructor)
  template <class T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char> &&
           !std::is_same_v<T, char8_t> && !std::is_same_v<T, char16_t> &&
           !std::is_same_v<T, char32_t> && !std::is_same_v<T, wchar_t>) Expr(T value)
      : Expr(integer_literal(value)) {}  // NOLINT(google-explicit-constructor)
  template <class T>
  requires std::is_floating_point_v<T> Expr(T value)
      : Expr(Literal{static_cast<double>(value)}) {}                   // NOLINT
  Expr(const char* value) : Expr(text_literal(value)) {}               // NOLINT
  Expr(std::string value) : Expr(Literal{std::move(value)}) {}         // NOLINT
  Expr(std::string_view value) : Expr(Literal{std::string(value)}) {}  // NOLINT
  explicit Expr(Literal value);

  [[nodiscard]] bool empty() const noexcept { return node_ == nullptr; }
  [[nodiscard]] NodeKind kind() const;
  // The variable name (variable, transpose) or function name (call); "" otherwise.
  [[nodiscard]] const std::string& name() const;
  [[nodiscard]] UnaryOp unary_op() const;    // kind() == unary
  [[nodiscard]] BinaryOp binary_op() const;  // kind() == binary
  [[nodiscard]] const std::vector<Expr>& children() const;
  [[nodiscard]] const Literal& value() const;  // kind() == literal
  // Nodes on the longest path from here to a leaf (a leaf is 1).
  [[nodiscard]] std::size_t depth() const;

  // The distinct names the expression reads, in order of first appearance; a transposed
  // variable is reported as "x.T" (a name of its own: arrays hand the transposed block in).
  [[nodiscard]] std::vector<std::string> variables() const;
  // Canonical text with minimal parentheses; parse_expression(to_string()) gives this tree back.
  [[nodiscard]] std::string to_string() const;
  // Structural equality (operator== builds an `==` expression instead). NaN literals are equal
  // to NaN literals of the same bits.
  [[nodiscard]] bool same_as(const Expr& other) const;

  // Low-level construction, used by the parser and the builders below. Throw UsageError on
  // malformed input (wrong child count, transpose of a non-variable, a tree over max_depth).
  static Expr variable(std::string name);
  static Expr unary(UnaryOp op, Expr operand);
  static Expr binary(BinaryOp op, Expr left, Expr right);
  static Expr call(std::string function, std::vector<Expr> args);
  static Expr transpose(Expr variable);

 private:
  explicit Expr(std::shared_ptr<const detail::Node> node) : node_(std::move(node)) {}
  template <class T>
  static Literal integer_literal(T value) {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
      if (value > static_cast<T>(INT64_MAX)) throw_integer_too_large();
    }
    return Literal{static_cast<std::int64_t>(value)};
  }
  [[noreturn]] static void throw_integer_too_large();
  static Literal text_literal(const char* value);  // throws UsageError on nullptr
  const detail::Node& node() const;

  std::shared_ptr<const detail::Node> node_;
};

// Prints to_string() (so test frameworks show expressions).
std::ostream& operator<<(std::ostream& out, const Expr& e);

// ---- Builders -------------------------------------------------------------------------------

// A column / variable reference.
Expr col(std::string name);
// Literals: lit(true) is bool, lit(5) int64, lit(2.5) float64, lit("a") string.
template <class T>
Expr lit(T value) {
  return Expr(value);
}
// A function call, by name: call("where", {col("x") > 0, col("x"), 0}). Names are checked when
// the expression is compiled (program.hpp), or parsed.
Expr call(std::string function, std::vector<Expr> args);
// `x.T`: only a variable can be transposed.
Expr transpose(const Expr& variable);
// `a ** b`.
Expr pow(const Expr& base, const Expr& exponent);

Expr operator+(const Expr& a, const Expr& b);
Expr operator-(const Expr& a, const Expr& b);
Expr operator*(const Expr& a, const Expr& b);
Expr operator/(const Expr& a, const Expr& b);
Expr operator%(const Expr& a, const Expr& b);
Expr operator-(const Expr& a);
Expr operator+(const Expr& a);  // the operand itself
Expr operator==(const Expr& a, const Expr& b);
Expr operator!=(const Expr& a, const Expr& b);
Expr operator<(const Expr& a, const Expr& b);
Expr operator<=(const Expr& a, const Expr& b);
Expr operator>(const Expr& a, const Expr& b);
Expr operator>=(const Expr& a, const Expr& b);
Expr operator&&(const Expr& a, const Expr& b);  // `and` (both sides are always evaluated)
Expr operator||(const Expr& a, const Expr& b);  // `or`
Expr operator!(const Expr& a);                  // `not`

}  // namespace pando::expr
