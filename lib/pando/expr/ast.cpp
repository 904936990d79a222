#include <pando/expr/ast.hpp>

#include <pando/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <ostream>
#include <unordered_set>

namespace pando::expr {

namespace detail {
struct Node {
  NodeKind kind = NodeKind::literal;
  std::uint8_t op = 0;  // UnaryOp or BinaryOp
  std::uint32_t depth = 1;
  std::string name;
  Literal value;
  std::vector<Expr> children;
};
}  // namespace detail

using detail::Node;

std::string_view to_string(UnaryOp op) noexcept {
  switch (op) {
    case UnaryOp::negate:
      return "-";
    case UnaryOp::logical_not:
      return "not";
  }
  return "?";
}

std::string_view to_string(BinaryOp op) noexcept {
  switch (op) {
    case BinaryOp::add:
      return "+";
    case BinaryOp::subtract:
      return "-";
    case BinaryOp::multiply:
      return "*";
    case BinaryOp::divide:
      return "/";
    case BinaryOp::modulo:
      return "%";
    case BinaryOp::power:
      return "**";
    case BinaryOp::equal:
      return "==";
    case BinaryOp::not_equal:
      return "!=";
    case BinaryOp::less:
      return "<";
    case BinaryOp::less_equal:
      return "<=";
    case BinaryOp::greater:
      return ">";
    case BinaryOp::greater_equal:
      return ">=";
    case BinaryOp::logical_and:
      return "and";
    case BinaryOp::logical_or:
      return "or";
  }
  return "?";
}

namespace {

std::uint32_t depth_over(const std::vector<Expr>& children) {
  std::size_t d = 0;
  for (const Expr& c : children) {
    if (c.empty()) throw UsageError("expression: an operand is an empty Expr");
    d = std::max(d, c.depth());
  }
  if (d + 1 > Expr::max_depth)
    throw UsageError(
        fmt::format("expression nested too deeply (more than {} levels)", Expr::max_depth));
  return static_cast<std::uint32_t>(d + 1);
}

// Precedence levels of the grammar (parser.hpp), lowest first.
enum Level : int {
  level_or = 1,
  level_and,
  level_not,
  level_compare,
  level_add,
  level_multiply,
  level_unary,
  level_power,
  level_atom,
};

int binary_level(BinaryOp op) {
  switch (op) {
    case BinaryOp::logical_or:
      return level_or;
    case BinaryOp::logical_and:
      return level_and;
    case BinaryOp::add:
    case BinaryOp::subtract:
      return level_add;
    case BinaryOp::multiply:
    case BinaryOp::divide:
    case BinaryOp::modulo:
      return level_multiply;
    case BinaryOp::power:
      return level_power;
    default:
      return level_compare;
  }
}

bool negative_number(const Literal& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i < 0;
  if (const auto* d = std::get_if<double>(&v)) return std::signbit(*d);
  return false;
}

bool is_number(const Literal& v) {
  return std::holds_alternative<std::int64_t>(v) || std::holds_alternative<double>(v);
}

int level_of(const Expr& e) {
  switch (e.kind()) {
    case NodeKind::literal:
      return negative_number(e.value()) ? level_unary : level_atom;
    case NodeKind::unary:
      return e.unary_op() == UnaryOp::negate ? level_unary : level_not;
    case NodeKind::binary:
      return binary_level(e.binary_op());
    default:
      return level_atom;
  }
}

bool is_keyword(std::string_view s) {
  static constexpr std::string_view words[] = {"and",   "or",   "not",  "true",
                                               "false", "True", "False"};
  for (auto w : words)
    if (s == w) return true;
  auto lower = [](std::string_view t) {
    std::string r(t);
    for (char& c : r) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return r;
  };
  std::string l = lower(s);
  return l == "inf" || l == "nan";
}

bool is_identifier(std::string_view s) {
  if (s.empty()) return false;
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!letter(s[0])) return false;
  for (char c : s)
    if (!letter(c) && !(c >= '0' && c <= '9')) return false;
  return !is_keyword(s);
}

void write_name(std::string& out, std::string_view name) {
  if (is_identifier(name)) {
    out += name;
    return;
  }
  out += '`';
  for (char c : name) {
    if (c == '`') out += '`';  // a backquote inside a quoted name is doubled
    out += c;
  }
  out += '`';
}

void write_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (u < 0x20 || u == 0x7f)
          out += fmt::format("\\x{:02x}", u);
        else
          out += c;
    }
  }
  out += '"';
}

void write_literal(std::string& out, const Literal& v) {
  if (const auto* b = std::get_if<bool>(&v)) {
    out += *b ? "true" : "false";
  } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
    out += std::to_string(*i);
  } else if (const auto* d = std::get_if<double>(&v)) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *d);
    std::string_view text(buf, static_cast<std::size_t>(end - buf));
    out += text;
    // A float must read back as a float: 5 -> 5.0 (inf, nan and 1e+300 already do).
    if (text.find_first_not_of("-0123456789") == std::string_view::npos) out += ".0";
  } else {
    write_string(out, std::get<std::string>(v));
  }
}

void write(std::string& out, const Expr& e);

void write_operand(std::string& out, const Expr& e, bool parens) {
  if (parens) out += '(';
  write(out, e);
  if (parens) out += ')';
}

void write(std::string& out, const Expr& e) {
  switch (e.kind()) {
    case NodeKind::variable:
      write_name(out, e.name());
      break;
    case NodeKind::transpose:
      write_name(out, e.children()[0].name());
      out += ".T";
      break;
    case NodeKind::literal:
      write_literal(out, e.value());
      break;
    case NodeKind::call: {
      out += e.name();
      out += '(';
      bool first = true;
      for (const Expr& a : e.children()) {
        if (!first) out += ", ";
        first = false;
        write(out, a);
      }
      out += ')';
      break;
    }
    case NodeKind::unary: {
      const Expr& a = e.children()[0];
      if (e.unary_op() == UnaryOp::negate) {
        out += '-';
        // -(2) stays a negation of 2: the text -2 is the literal -2.
        bool literal =
            a.kind() == NodeKind::literal && is_number(a.value()) && !negative_number(a.value());
        write_operand(out, a, literal || level_of(a) < level_unary);
      } else {
        out += "not ";
        write_operand(out, a, level_of(a) < level_not);
      }
      break;
    }
    case NodeKind::binary: {
      BinaryOp op = e.binary_op();
      int p = binary_level(op);
      const Expr& l = e.children()[0];
      const Expr& r = e.children()[1];
      bool lp, rp;
      if (op == BinaryOp::power) {
        lp = level_of(l) < level_atom;   // the base is a primary
        rp = level_of(r) < level_unary;  // the exponent may be signed: 2 ** -1
      } else if (p == level_compare) {
        lp = level_of(l) <= p;  // comparisons do not chain
        rp = level_of(r) <= p;
      } else {
        lp = level_of(l) < p;  // left-associative
        rp = level_of(r) <= p;
      }
      write_operand(out, l, lp);
      out += ' ';
      out += to_string(op);
      out += ' ';
      write_operand(out, r, rp);
      break;
    }
  }
}

bool same_literal(const Literal& a, const Literal& b) {
  if (a.index() != b.index()) return false;
  if (const auto* d = std::get_if<double>(&a))
    return std::bit_cast<std::uint64_t>(*d) == std::bit_cast<std::uint64_t>(std::get<double>(b));
  return a == b;
}

}  // namespace

Expr::Expr(Literal value) {
  auto n = std::make_shared<Node>();
  n->kind = NodeKind::literal;
  n->value = std::move(value);
  node_ = std::move(n);
}

Literal Expr::text_literal(const char* value) {
  if (value == nullptr) throw UsageError("expression: a string literal from a null pointer");
  return Literal{std::string(value)};
}

void Expr::throw_integer_too_large() { throw UsageError("integer literal too large for int64"); }

const Node& Expr::node() const {
  if (!node_) throw UsageError("expression: use of an empty Expr");
  return *node_;
}

NodeKind Expr::kind() const { return node().kind; }
const std::string& Expr::name() const { return node().name; }
UnaryOp Expr::unary_op() const { return static_cast<UnaryOp>(node().op); }
BinaryOp Expr::binary_op() const { return static_cast<BinaryOp>(node().op); }
const std::vector<Expr>& Expr::children() const { return node().children; }
const Literal& Expr::value() const { return node().value; }
std::size_t Expr::depth() const { return node().depth; }

Expr Expr::variable(std::string name) {
  if (name.empty()) throw UsageError("expression: a variable needs a name");
  auto n = std::make_shared<Node>();
  n->kind = NodeKind::variable;
  n->name = std::move(name);
  return Expr(std::shared_ptr<const Node>(std::move(n)));
}

Expr Expr::unary(UnaryOp op, Expr operand) {
  auto n = std::make_shared<Node>();
  n->kind = NodeKind::unary;
  n->op = static_cast<std::uint8_t>(op);
  n->children.push_back(std::move(operand));
  n->depth = depth_over(n->children);
  return Expr(std::shared_ptr<const Node>(std::move(n)));
}

Expr Expr::binary(BinaryOp op, Expr left, Expr right) {
  auto n = std::make_shared<Node>();
  n->kind = NodeKind::binary;
  n->op = static_cast<std::uint8_t>(op);
  n->children.push_back(std::move(left));
  n->children.push_back(std::move(right));
  n->depth = depth_over(n->children);
  return Expr(std::shared_ptr<const Node>(std::move(n)));
}

Expr Expr::call(std::string function, std::vector<Expr> args) {
  if (function.empty()) throw UsageError("expression: a function call needs a function name");
  auto n = std::make_shared<Node>();
  n->kind = NodeKind::call;
  n->name = std::move(function);
  n->children = std::move(args);
  n->depth = depth_over(n->children);
  return Expr(std::shared_ptr<const Node>(std::move(n)));
}

Expr Expr::transpose(Expr variable) {
  if (variable.empty() || variable.kind() != NodeKind::variable)
    throw UsageError("expression: only a variable can be transposed (x.T)");
  auto n = std::make_shared<Node>();
  n->kind = NodeKind::transpose;
  n->name = variable.name();
  n->children.push_back(std::move(variable));
  n->depth = 2;
  return Expr(std::shared_ptr<const Node>(std::move(n)));
}

std::vector<std::string> Expr::variables() const {
  std::vector<std::string> names;
  std::unordered_set<std::string> seen;
  auto visit = [&](auto&& self, const Expr& e) -> void {
    if (e.kind() == NodeKind::variable || e.kind() == NodeKind::transpose) {
      std::string n = e.kind() == NodeKind::transpose ? e.name() + ".T" : e.name();
      if (seen.insert(n).second) names.push_back(std::move(n));
      return;
    }
    for (const Expr& c : e.children()) self(self, c);
  };
  visit(visit, *this);
  return names;
}

std::string Expr::to_string() const {
  std::string out;
  write(out, *this);
  return out;
}

bool Expr::same_as(const Expr& other) const {
  if (node_ == other.node_) return true;
  if (!node_ || !other.node_) return false;
  const Node& a = *node_;
  const Node& b = *other.node_;
  if (a.kind != b.kind || a.op != b.op || a.name != b.name ||
      a.children.size() != b.children.size())
    return false;
  if (a.kind == NodeKind::literal && !same_literal(a.value, b.value)) return false;
  for (std::size_t i = 0; i < a.children.size(); ++i)
    if (!a.children[i].same_as(b.children[i])) return false;
  return true;
}

std::ostream& operator<<(std::ostream& out, const Expr& e) {
  return out << (e.empty() ? std::string("<empty>") : e.to_string());
}

Expr col(std::string name) { return Expr::variable(std::move(name)); }
Expr call(std::string function, std::vector<Expr> args) {
  return Expr::call(std::move(function), std::move(args));
}
Expr transpose(const Expr& variable) { return Expr::transpose(variable); }
Expr pow(const Expr& base, const Expr& exponent) {
  return Expr::binary(BinaryOp::power, base, exponent);
}

Expr operator+(const Expr& a, const Expr& b) { return Expr::binary(BinaryOp::add, a, b); }
Expr operator-(const Expr& a, const Expr& b) { return Expr::binary(BinaryOp::subtract, a, b); }
Expr operator*(const Expr& a, const Expr& b) { return Expr::binary(BinaryOp::multiply, a, b); }
Expr operator/(const Expr& a, const Expr& b) { return Expr::binary(BinaryOp::divide, a, b); }
Expr operator%(const Expr& a, const Expr& b) { return Expr::binary(BinaryOp::modulo, a, b); }
Expr operator-(const Expr& a) { return Expr::unary(UnaryOp::negate, a); }
Expr operator+(const Expr& a) {
  if (a.empty()) throw UsageError("expression: use of an empty Expr");
  return a;
}
Expr operator==(const Expr& a, const Expr& b) { return Expr::binary(BinaryOp::equal, a, b); }
Expr operator!=(const Expr& a, const Expr& b) { return Expr::binary(BinaryOp::not_equal, a, b); }
Expr operator<(const Expr& a, const Expr& b) { return Expr::binary(BinaryOp::less, a, b); }
Expr operator<=(const Expr& a, const Expr& b) { return Expr::binary(BinaryOp::less_equal, a, b); }
Expr operator>(const Expr& a, const Expr& b) { return Expr::binary(BinaryOp::greater, a, b); }
Expr operator>=(const Expr& a, const Expr& b) {
  return Expr::binary(BinaryOp::greater_equal, a, b);
}
Expr operator&&(const Expr& a, const Expr& b) { return Expr::binary(BinaryOp::logical_and, a, b); }
Expr operator||(const Expr& a, const Expr& b) { return Expr::binary(BinaryOp::logical_or, a, b); }
Expr operator!(const Expr& a) { return Expr::unary(UnaryOp::logical_not, a); }

}  // namespace pando::expr
