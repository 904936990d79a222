#include <pando/expr/parser.hpp>

#include <pando/core/error.hpp>
#include <pando/expr/functions.hpp>

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>
#include <limits>
#include <vector>

namespace pando::expr {

namespace {

enum class Tok : std::uint8_t {
  end,
  integer,
  floating,
  string,
  boolean,
  name,         // a plain identifier (may be followed by '(' for a call)
  quoted_name,  // `any text`
  lparen,
  rparen,
  comma,
  dot,
  assign,
  plus,
  minus,
  star,
  slash,
  percent,
  power,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  logical_and,
  logical_or,
  logical_not,
};

struct Token {
  Tok kind = Tok::end;
  std::size_t offset = 0;       // byte offset in the text
  std::size_t length = 0;       // bytes
  std::string text;             // string value, or name
  std::uint64_t magnitude = 0;  // integer value (up to 2^64 - 1)
  bool too_large = false;       // integer beyond 2^64 - 1
  double number = 0;            // floating value
  bool flag = false;            // boolean value
};

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Parser {
 public:
  Parser(std::string_view text, std::string_view source) : text_(text), source_(source) {
    tokenize();
  }

  Statement statement(bool allow_assignment) {
    Statement s;
    if (allow_assignment && tokens_.size() >= 2 &&
        (tokens_[0].kind == Tok::name || tokens_[0].kind == Tok::quoted_name) &&
        tokens_[1].kind == Tok::assign) {
      s.target = tokens_[0].text;
      pos_ = 2;
    }
    s.value = parse_or();
    const Token& t = peek();
    if (t.kind != Tok::end) {
      if (t.kind == Tok::assign) fail(t, "unexpected '=' (use '==' to compare)");
      bool value = t.kind == Tok::integer || t.kind == Tok::floating || t.kind == Tok::string ||
                   t.kind == Tok::boolean || t.kind == Tok::name || t.kind == Tok::quoted_name ||
                   t.kind == Tok::lparen || t.kind == Tok::logical_not;
      if (value)
        fail(t, fmt::format("unexpected {} (missing an operator before it?)", describe(t)));
      fail(t, fmt::format("unexpected {}", describe(t)));
    }
    return s;
  }

 private:
  // ---- errors -------------------------------------------------------------------------------

  // 1-based column, in characters (UTF-8 code points), of a byte offset.
  std::int64_t column_of(std::size_t offset) const {
    std::int64_t col = 1;
    for (std::size_t i = 0; i < offset && i < text_.size(); ++i)
      if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) ++col;
    return col;
  }

  [[noreturn]] void fail_at(std::size_t offset, const std::string& message) const {
    throw ParseError(std::string(source_), 1, column_of(offset), message);
  }
  [[noreturn]] void fail(const Token& t, const std::string& message) const {
    fail_at(t.offset, message);
  }

  // The token as written, quoted: ')', 'amount', '"abc"' (long ones shortened).
  std::string describe(const Token& t) const {
    if (t.kind == Tok::end) return "end of expression";
    std::string_view s = text_.substr(t.offset, t.length);
    if (s.size() > 24) return fmt::format("'{}...'", s.substr(0, 20));
    return fmt::format("'{}'", s);
  }

  // ---- lexer --------------------------------------------------------------------------------

  void tokenize() {
    std::size_t i = 0;
    const std::size_t n = text_.size();
    while (true) {
      while (i < n && (text_[i] == ' ' || text_[i] == '\t' || text_[i] == '\n' ||
                       text_[i] == '\r' || text_[i] == '\f' || text_[i] == '\v'))
        ++i;
      Token t;
      t.offset = i;
      if (i == n) {
        tokens_.push_back(std::move(t));
        return;
      }
      char c = text_[i];
      char d = i + 1 < n ? text_[i + 1] : '\0';
      if (is_digit(c) || (c == '.' && is_digit(d))) {
        i = lex_number(i, t);
      } else if (is_letter(c)) {
        std::size_t j = i;
        while (j < n && (is_letter(text_[j]) || is_digit(text_[j]))) ++j;
        t.text = std::string(text_.substr(i, j - i));
        t.kind = Tok::name;
        const std::string& w = t.text;
        if (w == "and")
          t.kind = Tok::logical_and;
        else if (w == "or")
          t.kind = Tok::logical_or;
        else if (w == "not")
          t.kind = Tok::logical_not;
        else if (w == "true" || w == "True" || w == "false" || w == "False") {
          t.kind = Tok::boolean;
          t.flag = w[0] == 't' || w[0] == 'T';
        } else if (w == "inf" || w == "Inf" || w == "INF") {
          t.kind = Tok::floating;
          t.number = std::numeric_limits<double>::infinity();
        } else if (w == "nan" || w == "NaN" || w == "NAN") {
          t.kind = Tok::floating;
          t.number = std::numeric_limits<double>::quiet_NaN();
        }
        i = j;
      } else if (c == '\'' || c == '"') {
        i = lex_string(i, t);
      } else if (c == '`') {
        i = lex_quoted_name(i, t);
      } else {
        auto two = [&](char second, Tok k) {
          if (d != second) return false;
          t.kind = k;
          i += 2;
          return true;
        };
        auto one = [&](Tok k) {
          t.kind = k;
          i += 1;
        };
        switch (c) {
          case '(':
            one(Tok::lparen);
            break;
          case ')':
            one(Tok::rparen);
            break;
          case ',':
            one(Tok::comma);
            break;
          case '.':
            one(Tok::dot);
            break;
          case '+':
            one(Tok::plus);
            break;
          case '-':
            one(Tok::minus);
            break;
          case '/':
            one(Tok::slash);
            break;
          case '%':
            one(Tok::percent);
            break;
          case '*':
            if (!two('*', Tok::power)) one(Tok::star);
            break;
          case '=':
            if (!two('=', Tok::eq)) one(Tok::assign);
            break;
          case '!':
            if (!two('=', Tok::ne)) one(Tok::logical_not);
            break;
          case '<':
            if (!two('=', Tok::le)) one(Tok::lt);
            break;
          case '>':
            if (!two('=', Tok::ge)) one(Tok::gt);
            break;
          case '&':
            if (!two('&', Tok::logical_and))
              fail_at(i, "unexpected character '&' (write 'and' or '&&')");
            break;
          case '|':
            if (!two('|', Tok::logical_or))
              fail_at(i, "unexpected character '|' (write 'or' or '||')");
            break;
          case '~':
            fail_at(i, "unexpected character '~' (write 'not')");
          case '^':
            fail_at(i, "unexpected character '^' (write '**' for a power)");
          default: {
            // Show the whole character, even a multi-byte UTF-8 one.
            std::size_t len = 1;
            while (i + len < n && (static_cast<unsigned char>(text_[i + len]) & 0xC0) == 0x80 &&
                   len < 4)
              ++len;
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
              fail_at(i, fmt::format("unexpected control character (code {})",
                                     static_cast<int>(static_cast<unsigned char>(c))));
            fail_at(i, fmt::format("unexpected character '{}'", text_.substr(i, len)));
          }
        }
      }
      t.length = i - t.offset;
      tokens_.push_back(std::move(t));
    }
  }

  std::size_t lex_number(std::size_t i, Token& t) {
    const std::size_t n = text_.size();
    std::size_t j = i;
    bool floating = false;
    while (j < n && is_digit(text_[j])) ++j;
    if (j < n && text_[j] == '.') {
      floating = true;
      ++j;
      while (j < n && is_digit(text_[j])) ++j;
    }
    if (j < n && (text_[j] == 'e' || text_[j] == 'E')) {
      std::size_t k = j + 1;
      if (k < n && (text_[k] == '+' || text_[k] == '-')) ++k;
      if (k < n && is_digit(text_[k])) {
        floating = true;
        while (k < n && is_digit(text_[k])) ++k;
        j = k;
      }
    }
    if (j < n && (is_letter(text_[j]) || is_digit(text_[j]) || text_[j] == '.')) {
      std::size_t k = j;
      while (k < n && (is_letter(text_[k]) || is_digit(text_[k]) || text_[k] == '.')) ++k;
      // "x.T" is fine after a name, but "2.T" or "2x" is not a number.
      fail_at(i, fmt::format("invalid number '{}'", text_.substr(i, k - i)));
    }
    std::string_view s = text_.substr(i, j - i);
    if (floating) {
      t.kind = Tok::floating;
      double v = 0;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec == std::errc::result_out_of_range) {
        std::string copy(s);
        v = std::strtod(copy.c_str(), nullptr);  // +-HUGE_VAL or a tiny value, like Python
      } else if (ec != std::errc() || p != s.data() + s.size()) {
        fail_at(i, fmt::format("invalid number '{}'", s));
      }
      t.number = v;
    } else {
      t.kind = Tok::integer;
      std::uint64_t v = 0;
      for (char ch : s) {
        auto digit = static_cast<std::uint64_t>(ch - '0');
        if (v > (UINT64_MAX - digit) / 10) {
          t.too_large = true;
          break;
        }
        v = v * 10 + digit;
      }
      t.magnitude = v;
    }
    return j;
  }

  std::size_t lex_string(std::size_t i, Token& t) {
    const std::size_t n = text_.size();
    char quote = text_[i];
    std::size_t j = i + 1;
    std::string value;
    while (true) {
      if (j >= n) fail_at(i, "unterminated string");
      char c = text_[j];
      if (c == quote) break;
      if (c != '\\') {
        value += c;
        ++j;
        continue;
      }
      if (j + 1 >= n) fail_at(i, "unterminated string");
      char e = text_[j + 1];
      switch (e) {
        case '\\':
          value += '\\';
          break;
        case '\'':
          value += '\'';
          break;
        case '"':
          value += '"';
          break;
        case 'n':
          value += '\n';
          break;
        case 't':
          value += '\t';
          break;
        case 'r':
          value += '\r';
          break;
        case '0':
          value += '\0';
          break;
        case 'x':
        case 'u': {
          std::size_t digits = e == 'x' ? 2 : 4;
          std::uint32_t cp = 0;
          for (std::size_t k = 0; k < digits; ++k) {
            std::size_t at = j + 2 + k;
            if (at >= n || !is_hex(text_[at]))
              fail_at(j, fmt::format("invalid escape in string: '\\{}' needs {} hex digits", e,
                                     digits));
            cp = cp * 16 + static_cast<std::uint32_t>(hex_value(text_[at]));
          }
          if (cp >= 0xD800 && cp <= 0xDFFF)
            fail_at(j, "invalid escape in string: a lone UTF-16 surrogate");
          append_utf8(value, cp);
          j += digits;
          break;
        }
        default:
          fail_at(j,
                  fmt::format("unknown escape '\\{}' in string (write '\\\\' for a backslash)", e));
      }
      j += 2;
    }
    t.kind = Tok::string;
    t.text = std::move(value);
    return j + 1;
  }

  std::size_t lex_quoted_name(std::size_t i, Token& t) {
    const std::size_t n = text_.size();
    std::size_t j = i + 1;
    std::string value;
    while (true) {
      if (j >= n) fail_at(i, "unterminated name (missing the closing '`')");
      if (text_[j] == '`') {
        if (j + 1 < n && text_[j + 1] == '`') {  // `` is a backquote inside the name
          value += '`';
          j += 2;
          continue;
        }
        break;
      }
      value += text_[j++];
    }
    if (value.empty()) fail_at(i, "empty name ``");
    t.kind = Tok::quoted_name;
    t.text = std::move(value);
    return j + 1;
  }

  // ---- parser -------------------------------------------------------------------------------

  const Token& peek(std::size_t ahead = 0) const {
    std::size_t k = std::min(pos_ + ahead, tokens_.size() - 1);
    return tokens_[k];
  }
  const Token& next() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }

  // One level of nesting (a parenthesis, call, unary operator or exponent) for its lifetime.
  class Nest {
   public:
    Nest(Parser& p, const Token& at) : p_(p) {
      if (++p_.nesting_ > max_nesting)
        p_.fail(at, fmt::format("expression nested too deeply (more than {} levels)", max_nesting));
    }
    ~Nest() { --p_.nesting_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;

   private:
    Parser& p_;
  };

  void check_depth(const Token& at, std::initializer_list<const Expr*> children) const {
    std::size_t d = 0;
    for (const Expr* c : children) d = std::max(d, c->depth());
    if (d + 1 > Expr::max_depth)
      fail(at,
           fmt::format("expression too long (more than {} operations nested)", Expr::max_depth));
  }

  Expr binary(const Token& at, BinaryOp op, Expr l, Expr r) const {
    check_depth(at, {&l, &r});
    return Expr::binary(op, std::move(l), std::move(r));
  }
  Expr unary(const Token& at, UnaryOp op, Expr a) const {
    check_depth(at, {&a});
    return Expr::unary(op, std::move(a));
  }

  Expr parse_or() {
    Expr left = parse_and();
    while (peek().kind == Tok::logical_or) {
      const Token& op = next();
      Expr right = parse_and();
      left = binary(op, BinaryOp::logical_or, std::move(left), std::move(right));
    }
    return left;
  }

  Expr parse_and() {
    Expr left = parse_not();
    while (peek().kind == Tok::logical_and) {
      const Token& op = next();
      Expr right = parse_not();
      left = binary(op, BinaryOp::logical_and, std::move(left), std::move(right));
    }
    return left;
  }

  Expr parse_not() {
    if (peek().kind == Tok::logical_not) {
      const Token& op = next();
      Nest nest(*this, op);
      Expr a = parse_not();
      return unary(op, UnaryOp::logical_not, std::move(a));
    }
    return parse_compare();
  }

  static bool comparison(Tok k, BinaryOp& op) {
    switch (k) {
      case Tok::eq:
        op = BinaryOp::equal;
        return true;
      case Tok::ne:
        op = BinaryOp::not_equal;
        return true;
      case Tok::lt:
        op = BinaryOp::less;
        return true;
      case Tok::le:
        op = BinaryOp::less_equal;
        return true;
      case Tok::gt:
        op = BinaryOp::greater;
        return true;
      case Tok::ge:
        op = BinaryOp::greater_equal;
        return true;
      default:
        return false;
    }
  }

  Expr parse_compare() {
    Expr left = parse_sum();
    BinaryOp op{};
    if (!comparison(peek().kind, op)) return left;
    const Token& t = next();
    Expr right = parse_sum();
    BinaryOp again{};
    if (comparison(peek().kind, again))
      fail(peek(), "comparisons cannot be chained; combine them with 'and' (a < b and b < c)");
    return binary(t, op, std::move(left), std::move(right));
  }

  Expr parse_sum() {
    Expr left = parse_product();
    while (peek().kind == Tok::plus || peek().kind == Tok::minus) {
      const Token& t = next();
      BinaryOp op = t.kind == Tok::plus ? BinaryOp::add : BinaryOp::subtract;
      Expr right = parse_product();
      left = binary(t, op, std::move(left), std::move(right));
    }
    return left;
  }

  Expr parse_product() {
    Expr left = parse_unary();
    while (peek().kind == Tok::star || peek().kind == Tok::slash || peek().kind == Tok::percent) {
      const Token& t = next();
      BinaryOp op = t.kind == Tok::star    ? BinaryOp::multiply
                    : t.kind == Tok::slash ? BinaryOp::divide
                                           : BinaryOp::modulo;
      Expr right = parse_unary();
      left = binary(t, op, std::move(left), std::move(right));
    }
    return left;
  }

  Expr parse_unary() {
    Tok k = peek().kind;
    if (k != Tok::minus && k != Tok::plus) return parse_power();
    const Token& op = next();
    // -3 is the literal -3 (so that the smallest int64 can be written), unless a power follows:
    // -2**2 is -(2**2).
    const Token& num = peek();
    if (k == Tok::minus && (num.kind == Tok::integer || num.kind == Tok::floating) &&
        peek(1).kind != Tok::power && peek(1).kind != Tok::dot) {
      next();
      if (num.kind == Tok::floating) return Expr(Literal{-num.number});
      if (num.too_large || num.magnitude > std::uint64_t{1} << 63) fail(num, too_large(num));
      return Expr(Literal{static_cast<std::int64_t>(std::uint64_t{0} - num.magnitude)});
    }
    Nest nest(*this, op);
    Expr a = parse_unary();
    if (k == Tok::plus) return a;
    return unary(op, UnaryOp::negate, std::move(a));
  }

  Expr parse_power() {
    Expr base = parse_postfix();
    if (peek().kind != Tok::power) return base;
    const Token& op = next();
    Nest nest(*this, op);
    Expr exponent = parse_unary();
    return binary(op, BinaryOp::power, std::move(base), std::move(exponent));
  }

  Expr parse_postfix() {
    Expr e = parse_primary();
    while (peek().kind == Tok::dot) {
      const Token& dot = next();
      const Token& attr = peek();
      if (attr.kind != Tok::name || attr.text != "T") {
        if (attr.kind == Tok::name)
          fail(attr, fmt::format("unknown attribute '.{}' (only '.T', the transpose, exists)",
                                 attr.text));
        fail(dot, "unexpected '.'");
      }
      if (e.kind() != NodeKind::variable)
        fail(dot, "'.T' (transpose) applies to a variable name only");
      next();
      e = Expr::transpose(std::move(e));
    }
    return e;
  }

  std::string too_large(const Token& t) const {
    std::string_view s = text_.substr(t.offset, t.length);
    return fmt::format("integer {} is too large for int64 (write {}.0 for a float)", s, s);
  }

  [[noreturn]] void expected_value(const Token& t) const {
    if (t.kind == Tok::end) {
      if (pos_ == 0 || tokens_.size() == 1) fail(t, "empty expression");
      const Token& prev = tokens_[pos_ - 1];
      fail(t, fmt::format("expected a value after {}", describe(prev)));
    }
    fail(t, fmt::format("unexpected {}", describe(t)));
  }

  Expr parse_primary() {
    const Token& t = peek();
    switch (t.kind) {
      case Tok::integer:
        next();
        if (t.too_large || t.magnitude > static_cast<std::uint64_t>(INT64_MAX))
          fail(t, too_large(t));
        return Expr(Literal{static_cast<std::int64_t>(t.magnitude)});
      case Tok::floating:
        next();
        return Expr(Literal{t.number});
      case Tok::string:
        next();
        return Expr(Literal{t.text});
      case Tok::boolean:
        next();
        return Expr(Literal{t.flag});
      case Tok::quoted_name:
        next();
        return Expr::variable(t.text);
      case Tok::name:
        next();
        if (peek().kind == Tok::lparen) return parse_call(t);
        return Expr::variable(t.text);
      case Tok::lparen: {
        next();
        Nest nest(*this, t);
        Expr e = parse_or();
        if (peek().kind != Tok::rparen)
          fail(peek(),
               fmt::format("expected ')' to close the '(' at column {}", column_of(t.offset)));
        next();
        return e;
      }
      default:
        expected_value(t);
    }
  }

  Expr parse_call(const Token& name) {
    const FunctionInfo* f = find_function(name.text);
    if (f == nullptr) fail(name, unknown_function_message(name.text));
    const Token& open = next();
    Nest nest(*this, open);
    std::vector<Expr> args;
    std::size_t depth = 0;
    if (peek().kind != Tok::rparen) {
      while (true) {
        args.push_back(parse_or());
        depth = std::max(depth, args.back().depth());
        if (peek().kind == Tok::comma) {
          next();
          continue;
        }
        if (peek().kind != Tok::rparen)
          fail(peek(), fmt::format("expected ',' or ')' in the call to '{}' (opened at column {})",
                                   name.text, column_of(open.offset)));
        break;
      }
    }
    next();
    if (std::string m = arity_message(*f, args.size()); !m.empty()) fail(name, m);
    if (depth + 1 > Expr::max_depth)
      fail(name,
           fmt::format("expression too long (more than {} operations nested)", Expr::max_depth));
    return Expr::call(name.text, std::move(args));
  }

  std::string_view text_;
  std::string_view source_;
  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  int nesting_ = 0;
};

}  // namespace

Statement parse_statement(std::string_view text, std::string_view source) {
  return Parser(text, source).statement(true);
}

Expr parse_expression(std::string_view text, std::string_view source) {
  return Parser(text, source).statement(false).value;
}

}  // namespace pando::expr
