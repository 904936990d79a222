// The text grammar: precedence, associativity, literals, canonical text, errors with their
// columns, and bounded nesting. Also the builder API, which must build the same trees.

#include <pando/core/error.hpp>
#include <pando/expr/ast.hpp>
#include <pando/expr/functions.hpp>
#include <pando/expr/parser.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace pando::expr;

namespace {

// A fully parenthesized prefix form, to see a tree's shape: (+ a (* b c)).
std::string sexpr(const Expr& e) {
  switch (e.kind()) {
    case NodeKind::variable:
      return e.name();
    case NodeKind::transpose:
      return e.name() + ".T";
    case NodeKind::literal: {
      const Literal& v = e.value();
      if (const auto* b = std::get_if<bool>(&v)) return *b ? "#t" : "#f";
      if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
      if (const auto* d = std::get_if<double>(&v)) {
        if (std::isnan(*d)) return "nan";
        char buf[64];
        std::snprintf(buf, sizeof buf, "%gf", *d);
        return buf;
      }
      return "'" + std::get<std::string>(v) + "'";
    }
    case NodeKind::unary:
      return std::string("(") + (e.unary_op() == UnaryOp::negate ? "neg" : "not") + " " +
             sexpr(e.children()[0]) + ")";
    case NodeKind::binary:
      return "(" + std::string(to_string(e.binary_op())) + " " + sexpr(e.children()[0]) + " " +
             sexpr(e.children()[1]) + ")";
    case NodeKind::call: {
      std::string s = "(" + e.name() + "()";
      for (const Expr& c : e.children()) s += " " + sexpr(c);
      return s + ")";
    }
  }
  return "?";
}

std::string shape(std::string_view text) { return sexpr(parse_expression(text)); }

// The message of the ParseError that parsing `text` throws ("" if none).
std::string parse_error(std::string_view text) {
  try {
    parse_statement(text, "expr");
  } catch (const pando::ParseError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Parser, PrecedenceTable) {
  const std::pair<const char*, const char*> cases[] = {
      {"a + b * c", "(+ a (* b c))"},
      {"a * b + c", "(+ (* a b) c)"},
      {"a - b - c", "(- (- a b) c)"},
      {"a / b / c", "(/ (/ a b) c)"},
      {"a % b * c", "(* (% a b) c)"},
      {"a + b - c + d", "(+ (- (+ a b) c) d)"},
      {"2 ** 3 ** 2", "(** 2 (** 3 2))"},
      {"-2 ** 2", "(neg (** 2 2))"},
      {"-x ** 2", "(neg (** x 2))"},
      {"2 ** -1", "(** 2 -1)"},
      {"2 ** -x", "(** 2 (neg x))"},
      {"2 ** -3 ** 2", "(** 2 (neg (** 3 2)))"},
      {"a * -b", "(* a (neg b))"},
      {"- - a", "(neg (neg a))"},
      {"--a", "(neg (neg a))"},
      {"+a", "a"},
      {"-3", "-3"},
      {"-(3)", "(neg 3)"},
      {"-3 * x", "(* -3 x)"},
      {"x - -2", "(- x -2)"},
      {"-2.5", "-2.5f"},
      {"-inf", "-inff"},
      {"a < b + c", "(< a (+ b c))"},
      {"a + b == c * d", "(== (+ a b) (* c d))"},
      {"not a == b", "(not (== a b))"},
      {"!a == b", "(not (== a b))"},
      {"not not a", "(not (not a))"},
      {"not a and b", "(and (not a) b)"},
      {"a and not b", "(and a (not b))"},
      {"a or b and c", "(or a (and b c))"},
      {"a and b or c", "(or (and a b) c)"},
      {"a || b && c", "(or a (and b c))"},
      {"a or b or c", "(or (or a b) c)"},
      {"a and b and c", "(and (and a b) c)"},
      {"a > 1 and b <= 2 or not c != 3", "(or (and (> a 1) (<= b 2)) (not (!= c 3)))"},
      {"(a + b) * c", "(* (+ a b) c)"},
      {"a - (b - c)", "(- a (- b c))"},
      {"((a))", "a"},
      {"x.T", "x.T"},
      {"x.T ** 2", "(** x.T 2)"},
      {"-x.T", "(neg x.T)"},
      {"x.T + y", "(+ x.T y)"},
      {"sin(x) ** 2 + cos(x) ** 2", "(+ (** (sin() x) 2) (** (cos() x) 2))"},
      {"where(a > 0, a, -a)", "(where() (> a 0) a (neg a))"},
      {"isin(x, 1, 2, 3)", "(isin() x 1 2 3)"},
      {"`my col` * 2", "(* my col 2)"},
      {"amount > 100 and flag", "(and (> amount 100) flag)"},
      {"a<=b", "(<= a b)"},
      {"a>=b", "(>= a b)"},
      {"a!=b", "(!= a b)"},
      {"a==b", "(== a b)"},
  };
  for (const auto& [text, expected] : cases) EXPECT_EQ(shape(text), expected) << text;
}

TEST(Parser, Literals) {
  EXPECT_EQ(shape("12"), "12");
  EXPECT_EQ(shape("1.5"), "1.5f");
  EXPECT_EQ(shape(".5"), "0.5f");
  EXPECT_EQ(shape("1."), "1f");
  EXPECT_EQ(shape("1e3"), "1000f");
  EXPECT_EQ(shape("2.5E-2"), "0.025f");
  EXPECT_EQ(shape("1e+2"), "100f");
  EXPECT_EQ(shape("inf"), "inff");
  EXPECT_EQ(shape("nan"), "nan");
  EXPECT_EQ(shape("NaN"), "nan");
  EXPECT_EQ(shape("true"), "#t");
  EXPECT_EQ(shape("True"), "#t");
  EXPECT_EQ(shape("false"), "#f");
  EXPECT_EQ(shape("False"), "#f");
  EXPECT_EQ(shape("'abc'"), "'abc'");
  EXPECT_EQ(shape("\"abc\""), "'abc'");
  EXPECT_EQ(shape("''"), "''");
  EXPECT_EQ(shape("'it\\'s'"), "'it's'");
  EXPECT_EQ(shape("\"say \\\"hi\\\"\""), "'say \"hi\"'");
  EXPECT_EQ(shape("'a\\\\b'"), "'a\\b'");
  EXPECT_EQ(shape("'\\n\\t\\r'"), "'\n\t\r'");
  EXPECT_EQ(shape("'\\x41\\u00e9'"), "'A\xc3\xa9'");
  EXPECT_EQ(shape("'h\xc3\xa9llo w\xc3\xb6rld'"), "'h\xc3\xa9llo w\xc3\xb6rld'");
  EXPECT_EQ(shape("1e400"), "inff");
  EXPECT_EQ(shape("9223372036854775807"), "9223372036854775807");
  EXPECT_EQ(shape("-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(shape("`a``b`"), "a`b");
  EXPECT_EQ(shape("`and`"), "and");

  Expr e = parse_expression("1.5");
  EXPECT_TRUE(std::holds_alternative<double>(e.value()));
  e = parse_expression("7");
  EXPECT_TRUE(std::holds_alternative<std::int64_t>(e.value()));
  e = parse_expression("'\\0'");
  EXPECT_EQ(std::get<std::string>(e.value()), std::string(1, '\0'));
}

TEST(Parser, Statements) {
  Statement s = parse_statement("total = amount * qty");
  EXPECT_EQ(s.target, "total");
  EXPECT_EQ(sexpr(s.value), "(* amount qty)");
  s = parse_statement("`unit price` = price / qty");
  EXPECT_EQ(s.target, "unit price");
  s = parse_statement("x == 1");
  EXPECT_EQ(s.target, "");
  EXPECT_EQ(sexpr(s.value), "(== x 1)");
  s = parse_statement("sin(x)");
  EXPECT_EQ(s.target, "");
  EXPECT_THROW(parse_expression("total = a"), pando::ParseError);
  EXPECT_EQ(parse_error("a = b = c"), "expr:1:7: unexpected '=' (use '==' to compare)");
  EXPECT_EQ(parse_error("a + 1 = b"), "expr:1:7: unexpected '=' (use '==' to compare)");
  EXPECT_EQ(parse_error("total ="), "expr:1:8: expected a value after '='");
  try {
    parse_expression("total = a", "--where");
    FAIL();
  } catch (const pando::ParseError& e) {
    EXPECT_STREQ(e.what(), "--where:1:7: unexpected '=' (use '==' to compare)");
  }
}

TEST(Parser, ErrorsSayWhere) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "expr:1:1: empty expression"},
      {"   ", "expr:1:4: empty expression"},
      {"amount >", "expr:1:9: expected a value after '>'"},
      {"a +", "expr:1:4: expected a value after '+'"},
      {"not", "expr:1:4: expected a value after 'not'"},
      {"f(", "expr:1:1: unknown function 'f'"},
      {"sin(", "expr:1:5: expected a value after '('"},
      {"(a + b", "expr:1:7: expected ')' to close the '(' at column 1"},
      {"(a + b c", "expr:1:8: expected ')' to close the '(' at column 1"},
      {"a + )", "expr:1:5: unexpected ')'"},
      {"a)", "expr:1:2: unexpected ')'"},
      {"(a))", "expr:1:4: unexpected ')'"},
      {"()", "expr:1:2: unexpected ')'"},
      {"a * * b", "expr:1:5: unexpected '*'"},
      {"a b", "expr:1:3: unexpected 'b' (missing an operator before it?)"},
      {"a 'x'", "expr:1:3: unexpected ''x'' (missing an operator before it?)"},
      {", a", "expr:1:1: unexpected ','"},
      {"a ,", "expr:1:3: unexpected ','"},
      {"a < b < c",
       "expr:1:7: comparisons cannot be chained; combine them with 'and' (a < b and b < c)"},
      {"a == b != c",
       "expr:1:8: comparisons cannot be chained; combine them with 'and' (a < b and b < c)"},
      {"'abc", "expr:1:1: unterminated string"},
      {"x == \"abc", "expr:1:6: unterminated string"},
      {"'abc\\", "expr:1:1: unterminated string"},
      {"'a\\qb'", "expr:1:3: unknown escape '\\q' in string (write '\\\\' for a backslash)"},
      {"'\\x4'", "expr:1:2: invalid escape in string: '\\x' needs 2 hex digits"},
      {"'\\ud800'", "expr:1:2: invalid escape in string: a lone UTF-16 surrogate"},
      {"`my col", "expr:1:1: unterminated name (missing the closing '`')"},
      {"``", "expr:1:1: empty name ``"},
      {"sine(x)", "expr:1:1: unknown function 'sine' (did you mean 'sin'?)"},
      {"a + sine(x)", "expr:1:5: unknown function 'sine' (did you mean 'sin'?)"},
      {"lenn(s)", "expr:1:1: unknown function 'lenn' (did you mean 'len'?)"},
      {"lenght(s)", "expr:1:1: unknown function 'lenght'"},
      {"foo(x)", "expr:1:1: unknown function 'foo'"},
      {"Sin(x)", "expr:1:1: unknown function 'Sin' (did you mean 'sin'?)"},
      {"sin(x, y)", "expr:1:1: function 'sin' takes 1 argument, got 2"},
      {"sin()", "expr:1:1: function 'sin' takes 1 argument, got 0"},
      {"where(a, b)", "expr:1:1: function 'where' takes 3 arguments, got 2"},
      {"isin(a)", "expr:1:1: function 'isin' takes at least 2 arguments, got 1"},
      {"round(a, 1, 2)", "expr:1:1: function 'round' takes 1 or 2 arguments, got 3"},
      {"sin(x y)", "expr:1:7: expected ',' or ')' in the call to 'sin' (opened at column 4)"},
      {"sin(x,)", "expr:1:7: unexpected ')'"},
      {"a $ b", "expr:1:3: unexpected character '$'"},
      {"a & b", "expr:1:3: unexpected character '&' (write 'and' or '&&')"},
      {"a | b", "expr:1:3: unexpected character '|' (write 'or' or '||')"},
      {"~a", "expr:1:1: unexpected character '~' (write 'not')"},
      {"a ^ 2", "expr:1:3: unexpected character '^' (write '**' for a power)"},
      {"a # b", "expr:1:3: unexpected character '#'"},
      {"\xc3\xa9 + 1", "expr:1:1: unexpected character '\xc3\xa9'"},
      {"'\xc3\xa9t\xc3\xa9' + $", "expr:1:9: unexpected character '$'"},
      {"2x", "expr:1:1: invalid number '2x'"},
      {"1.2.3", "expr:1:1: invalid number '1.2.3'"},
      {"a + 1e5x", "expr:1:5: invalid number '1e5x'"},
      {"9223372036854775808",
       "expr:1:1: integer 9223372036854775808 is too large for int64 (write "
       "9223372036854775808.0 for a float)"},
      {"-9223372036854775809",
       "expr:1:2: integer 9223372036854775809 is too large for int64 (write "
       "9223372036854775809.0 for a float)"},
      {"99999999999999999999999",
       "expr:1:1: integer 99999999999999999999999 is too large for int64 (write "
       "99999999999999999999999.0 for a float)"},
      {"(a + b).T", "expr:1:8: '.T' (transpose) applies to a variable name only"},
      {"x.T.T", "expr:1:4: '.T' (transpose) applies to a variable name only"},
      {"x.foo", "expr:1:3: unknown attribute '.foo' (only '.T', the transpose, exists)"},
      {"x.", "expr:1:2: unexpected '.'"},
      {"x.1", "expr:1:2: unexpected '.1' (missing an operator before it?)"},
      {"a +\n)", "expr:1:5: unexpected ')'"},
  };
  for (const auto& [text, expected] : cases) EXPECT_EQ(parse_error(text), expected) << text;
}

TEST(Parser, NestingIsBounded) {
  const std::string too_deep = "expression nested too deeply (more than 100 levels)";
  // 100 levels are fine, 101 are not; the error points at the '(' that opens level 101.
  EXPECT_EQ(sexpr(parse_expression(std::string(100, '(') + "x" + std::string(100, ')'))), "x");
  EXPECT_EQ(parse_error(std::string(101, '(') + "x" + std::string(101, ')')),
            "expr:1:101: " + too_deep);
  // Adversarial inputs end with the same clear error, not a stack overflow.
  EXPECT_EQ(parse_error(std::string(100000, '(')), "expr:1:101: " + too_deep);
  EXPECT_EQ(parse_error(std::string(100000, '-') + "x"), "expr:1:101: " + too_deep);
  std::string nots;
  for (int i = 0; i < 100000; ++i) nots += "not ";
  EXPECT_EQ(parse_error(nots + "x"), "expr:1:401: " + too_deep);
  std::string powers;
  for (int i = 0; i < 100000; ++i) powers += "x**";
  EXPECT_EQ(parse_error(powers + "x"), "expr:1:302: " + too_deep);
  std::string calls;
  for (int i = 0; i < 100000; ++i) calls += "sin(";
  EXPECT_EQ(parse_error(calls + "x"), "expr:1:404: " + too_deep);
  // Long flat chains build deep trees: bounded too (by Expr::max_depth).
  std::string chain = "x";
  for (int i = 0; i < 100000; ++i) chain += "+x";
  EXPECT_EQ(parse_error(chain),
            "expr:1:2000: expression too long (more than 1000 operations nested)");
  std::string ok = "x";
  for (int i = 0; i < 998; ++i) ok += "+x";
  EXPECT_EQ(parse_expression(ok).depth(), 999U);
}

TEST(Parser, CanonicalText) {
  const std::pair<const char*, const char*> cases[] = {
      {"a+b*c", "a + b * c"},
      {"(a+b)*c", "(a + b) * c"},
      {"((a*b))+c", "a * b + c"},
      {"a-(b-c)", "a - (b - c)"},
      {"a-(b+c)", "a - (b + c)"},
      {"(a-b)-c", "a - b - c"},
      {"a/(b*c)", "a / (b * c)"},
      {"(2**3)**2", "(2 ** 3) ** 2"},
      {"2**(3**2)", "2 ** 3 ** 2"},
      {"(-2)**2", "(-2) ** 2"},
      {"-(2**2)", "-2 ** 2"},
      {"-(2)", "-(2)"},
      {"(-x)**2", "(-x) ** 2"},
      {"2**(-x)", "2 ** -x"},
      {"-(a+b)", "-(a + b)"},
      {"not (a and b)", "not (a and b)"},
      {"(not a) and b", "not a and b"},
      {"not (a == b)", "not a == b"},
      {"(not a) == b", "(not a) == b"},
      {"(a < b) == c", "(a < b) == c"},
      {"a == (b < c)", "a == (b < c)"},
      {"a or (b or c)", "a or (b or c)"},
      {"(a or b) and c", "(a or b) and c"},
      {"a && b || !c", "a and b or not c"},
      {"-(not a)", "-(not a)"},
      {"sin(x)", "sin(x)"},
      {"where(a>0,a,-a)", "where(a > 0, a, -a)"},
      {"1.0", "1.0"},
      {"1e300", "1e+300"},
      {"0.1", "0.1"},
      {"-0.0", "-0.0"},
      {"True", "true"},
      {"'a\"b'", "\"a\\\"b\""},
      {"'tab\\there'", "\"tab\\there\""},
      {"'\\x01'", "\"\\x01\""},
      {"`my col` + `and`", "`my col` + `and`"},
      {"`x.T`", "`x.T`"},
      {"`inf`", "`inf`"},
      {"x.T", "x.T"},
      {"`a b`.T", "`a b`.T"},
  };
  for (const auto& [text, expected] : cases) {
    Expr e = parse_expression(text);
    EXPECT_EQ(e.to_string(), expected) << text;
    EXPECT_TRUE(parse_expression(e.to_string()).same_as(e)) << text;
  }
}

namespace {

// Random trees over every node kind, to check that to_string() re-parses to the same tree.
class RandomTrees {
 public:
  explicit RandomTrees(std::uint64_t seed) : rng_(seed) {}

  Expr tree(int depth) {
    if (depth == 0 || pick(4) == 0) return leaf();
    switch (pick(5)) {
      case 0:
        return Expr::unary(pick(2) ? UnaryOp::negate : UnaryOp::logical_not, tree(depth - 1));
      case 1:
      case 2:
        return Expr::binary(static_cast<BinaryOp>(pick(14)), tree(depth - 1), tree(depth - 1));
      case 3: {
        static const char* names[] = {"sin", "fillna", "where"};
        std::vector<Expr> args;
        const int n = pick(3) + 1;
        for (int i = 0; i < n; ++i) args.push_back(tree(depth - 1));
        return call(names[n - 1], std::move(args));
      }
      default:
        return transpose(col(name()));
    }
  }

 private:
  int pick(int n) { return static_cast<int>(rng_() % static_cast<std::uint64_t>(n)); }
  std::string name() {
    static const char* names[] = {"x", "y_1", "my col", "and", "True", "inf", "a`b", "x.T", "T"};
    return names[pick(9)];
  }
  Expr leaf() {
    switch (pick(8)) {
      case 0:
        return lit(pick(2) == 1);
      case 1:
        return lit(static_cast<std::int64_t>(rng_()));
      case 2:
        return lit(pick(100) - 50);
      case 3: {
        static const double values[] = {0.5,
                                        -0.5,
                                        1e300,
                                        -1e-300,
                                        0.0,
                                        -0.0,
                                        std::numeric_limits<double>::infinity(),
                                        -std::numeric_limits<double>::infinity(),
                                        std::numeric_limits<double>::quiet_NaN(),
                                        3.0,
                                        0.1};
        return lit(values[pick(11)]);
      }
      case 4: {
        static const char* strings[] = {
            "", "a'b", "q\"q", "back\\slash", "new\nline", "\xc3\xa9t\xc3\xa9", "\x01"};
        return lit(std::string(strings[pick(7)]));
      }
      case 5:
        return lit(std::numeric_limits<std::int64_t>::min());
      default:
        return col(name());
    }
  }
  std::mt19937_64 rng_;
};

}  // namespace

TEST(Parser, CanonicalTextRoundTripsRandomTrees) {
  RandomTrees gen(42);
  for (int i = 0; i < 3000; ++i) {
    Expr e = gen.tree(6);
    std::string text = e.to_string();
    Expr back = parse_expression(text);
    ASSERT_TRUE(back.same_as(e)) << text << "\nreparsed as " << back.to_string();
    ASSERT_EQ(back.to_string(), text);
  }
}

TEST(Builder, BuildsWhatTheParserBuilds) {
  auto same = [](const Expr& built, std::string_view text) {
    EXPECT_TRUE(built.same_as(parse_expression(text))) << built << " vs " << text;
  };
  Expr amount = col("amount"), qty = col("qty"), flag = col("flag");
  same(amount > 100 && flag, "amount > 100 and flag");
  same(amount * qty, "amount * qty");
  same(amount + 1 - qty / 2.5 % 3, "amount + 1 - qty / 2.5 % 3");
  same(-amount, "-amount");
  same(+amount, "amount");
  same(!flag || amount <= 0, "not flag or amount <= 0");
  same(amount == "x", "amount == 'x'");
  same(amount != std::string("x"), "amount != 'x'");
  same(amount >= 1.5, "amount >= 1.5");
  same(100 < amount, "100 < amount");
  same(pow(col("x"), 2), "x ** 2");
  same(pow(2, col("x")), "2 ** x");
  same(call("sin", {col("x")}) + call("where", {flag, 1, 0}), "sin(x) + where(flag, 1, 0)");
  same(transpose(col("x")) * col("x"), "x.T * x");
  same(col("my col") + true, "`my col` + true");
}

TEST(Builder, LiteralTypes) {
  EXPECT_TRUE(std::holds_alternative<std::int64_t>(lit(5).value()));
  EXPECT_TRUE(std::holds_alternative<std::int64_t>(lit(5L).value()));
  EXPECT_TRUE(std::holds_alternative<std::int64_t>(lit(std::uint8_t{5}).value()));
  EXPECT_TRUE(std::holds_alternative<double>(lit(2.5).value()));
  EXPECT_TRUE(std::holds_alternative<double>(lit(2.5f).value()));
  EXPECT_TRUE(std::holds_alternative<bool>(lit(true).value()));
  EXPECT_TRUE(std::holds_alternative<std::string>(lit("a").value()));
  EXPECT_TRUE(std::holds_alternative<std::string>(lit(std::string("a")).value()));
  EXPECT_TRUE(std::holds_alternative<std::string>(lit(std::string_view("a")).value()));
  EXPECT_EQ(std::get<std::int64_t>(lit(5).value()), 5);
  EXPECT_EQ(lit(5).kind(), NodeKind::literal);
  EXPECT_THROW(lit(std::uint64_t{1} << 63), pando::UsageError);
}

TEST(Builder, Inspection) {
  Expr e = parse_expression("x + y * sin(x) + x.T - `z z`");
  EXPECT_EQ(e.variables(), (std::vector<std::string>{"x", "y", "x.T", "z z"}));
  EXPECT_EQ(e.kind(), NodeKind::binary);
  EXPECT_EQ(e.binary_op(), BinaryOp::subtract);
  ASSERT_EQ(e.children().size(), 2U);
  EXPECT_EQ(e.children()[1].kind(), NodeKind::variable);
  EXPECT_EQ(e.children()[1].name(), "z z");
  Expr c = parse_expression("where(a, 1, 2)");
  EXPECT_EQ(c.kind(), NodeKind::call);
  EXPECT_EQ(c.name(), "where");
  EXPECT_EQ(c.children().size(), 3U);
  Expr t = parse_expression("x.T");
  EXPECT_EQ(t.kind(), NodeKind::transpose);
  EXPECT_EQ(t.name(), "x");
  EXPECT_EQ(t.children()[0].kind(), NodeKind::variable);
  Expr u = parse_expression("not a");
  EXPECT_EQ(u.unary_op(), UnaryOp::logical_not);
  EXPECT_EQ(parse_expression("1 + 2").variables(), std::vector<std::string>{});
  EXPECT_EQ(parse_expression("a").depth(), 1U);
  EXPECT_EQ(parse_expression("a + b * c").depth(), 3U);
  // Copies share the node: cheap, and the same.
  Expr copy = e;
  EXPECT_TRUE(copy.same_as(e));
  EXPECT_FALSE(parse_expression("a + b").same_as(parse_expression("a - b")));
  EXPECT_FALSE(parse_expression("1").same_as(parse_expression("1.0")));
  EXPECT_TRUE(lit(std::nan("")).same_as(parse_expression("nan")));
  Expr empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_THROW((void)empty.kind(), pando::UsageError);
}

TEST(Builder, Limits) {
  EXPECT_THROW(transpose(lit(1)), pando::UsageError);
  EXPECT_THROW(transpose(col("x") + 1), pando::UsageError);
  EXPECT_THROW(col(""), pando::UsageError);
  EXPECT_THROW(col("x") + Expr(), pando::UsageError);
  Expr e = col("x");
  for (std::size_t i = 1; i < Expr::max_depth; ++i) e = e + 1;
  EXPECT_EQ(e.depth(), Expr::max_depth);
  try {
    e = e + 1;
    FAIL() << "a tree deeper than max_depth was built";
  } catch (const pando::UsageError& err) {
    EXPECT_STREQ(err.what(), "expression nested too deeply (more than 1000 levels)");
  }
}

TEST(Functions, Table) {
  EXPECT_NE(find_function("sin"), nullptr);
  EXPECT_EQ(find_function("sine"), nullptr);
  EXPECT_EQ(unknown_function_message("sqr"), "unknown function 'sqr' (did you mean 'sqrt'?)");
  EXPECT_EQ(unknown_function_message("x"), "unknown function 'x'");
  std::vector<std::string_view> names{"id", "amount", "qty"};
  EXPECT_EQ(closest_name("amout", names), "amount");
  EXPECT_EQ(closest_name("AMOUNT", names), "amount");
  EXPECT_EQ(closest_name("ix", names), "id");
  EXPECT_EQ(closest_name("zz", names), std::nullopt);
  EXPECT_EQ(closest_name("zzzz", names), std::nullopt);
  for (const FunctionInfo& f : functions()) EXPECT_FALSE(f.summary.empty()) << f.name;
}
