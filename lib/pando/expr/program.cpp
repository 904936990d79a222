// The compiler: names, types, lowering to typed operations (program.hpp has the rules).

#include <pando/expr/program.hpp>

#include <pando/core/error.hpp>
#include <pando/core/timestamp.hpp>
#include <pando/expr/detail/eval.hpp>
#include <pando/expr/functions.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <unordered_map>

namespace pando::expr {

using namespace detail;

namespace {

bool numeric_like(DType t) { return is_numeric(t) || t == DType::boolean; }

// A lowered operand: its register, and the expression it came from (for messages).
struct Val {
  std::int32_t reg;
  const Expr* expr;
};

// The value of a constant register, read as a number.
double constant_double(const Reg& r) {
  switch (r.type) {
    case DType::boolean:
      return static_cast<double>(r.value[0] != std::byte{0});
    case DType::int32: {
      std::int32_t v;
      std::memcpy(&v, r.value.data(), 4);
      return v;
    }
    case DType::float32: {
      float v;
      std::memcpy(&v, r.value.data(), 4);
      return v;
    }
    case DType::float64: {
      double v;
      std::memcpy(&v, r.value.data(), 8);
      return v;
    }
    default: {
      std::int64_t v;
      std::memcpy(&v, r.value.data(), 8);
      return static_cast<double>(v);
    }
  }
}

std::int64_t constant_int(const Reg& r) {
  if (r.type == DType::int64 || r.type == DType::timestamp) {
    std::int64_t v;
    std::memcpy(&v, r.value.data(), 8);
    return v;
  }
  return static_cast<std::int64_t>(constant_double(r));
}

// Parameters of an operation (see Op).
struct Params {
  std::int64_t int_param = 0;
  std::string text;
  std::vector<std::byte> table;
  std::vector<std::string> strings;
};

class Compiler {
 public:
  Compiler(std::span<const std::pair<std::string, DType>> inputs, const CompileOptions& options)
      : options_(options) {
    code_.inputs.assign(inputs.begin(), inputs.end());
  }

  Program finish(std::int32_t root) {
    code_.root = root;
    code_.result = code_.regs[root].type;
    prune();
    allocate_slots();
    return Code::program(std::make_shared<const Code>(std::move(code_)));
  }

  std::int32_t lower(const Expr& e) {
    switch (e.kind()) {
      case NodeKind::variable:
        return variable(e.name());
      case NodeKind::transpose:
        return variable(e.name() + ".T");
      case NodeKind::literal:
        return literal(e.value());
      case NodeKind::unary:
        return unary(e);
      case NodeKind::binary:
        return binary(e);
      case NodeKind::call:
        return call(e);
    }
    throw Error("expression: unknown node kind");
  }

 private:
  // ---- registers ----------------------------------------------------------------------------

  const Reg& reg(std::int32_t r) const { return code_.regs[static_cast<std::size_t>(r)]; }
  DType type(const Val& v) const { return reg(v.reg).type; }
  bool is_constant(const Val& v) const { return reg(v.reg).kind == RegKind::constant; }
  // A literal (or literals folded): adapts its type to the column it meets.
  bool is_literal(const Val& v) const { return reg(v.reg).literal; }

  std::int32_t add(Reg r) {
    code_.regs.push_back(std::move(r));
    return static_cast<std::int32_t>(code_.regs.size() - 1);
  }

  // A constant register, shared by equal constants (so that x*2 + x*2 computes x*2 once).
  std::int32_t constant(Reg r) {
    r.kind = RegKind::constant;
    std::string key = fmt::format("{}/{}/{}/", static_cast<int>(r.type), r.valid, r.literal);
    key.append(reinterpret_cast<const char*>(r.value.data()), r.value.size());
    key += r.text;
    if (auto it = constants_.find(key); it != constants_.end()) return it->second;
    std::int32_t id = add(std::move(r));
    constants_.emplace(std::move(key), id);
    return id;
  }

  std::int32_t variable(const std::string& name) {
    for (std::size_t i = 0; i < code_.inputs.size(); ++i) {
      if (code_.inputs[i].first != name) continue;
      auto [it, fresh] = input_regs_.try_emplace(i, -1);
      if (fresh) {
        Reg r;
        r.kind = RegKind::input;
        r.type = code_.inputs[i].second;
        r.input = i;
        it->second = add(std::move(r));
      }
      return it->second;
    }
    throw UsageError(unknown_name(name));
  }

  std::string unknown_name(const std::string& name) const {
    std::vector<std::string_view> names;
    for (const auto& [n, t] : code_.inputs) names.push_back(n);
    std::string list;
    constexpr std::size_t shown = 20;
    for (std::size_t i = 0; i < names.size() && i < shown; ++i)
      list += (i ? ", " : "") + std::string(names[i]);
    if (names.size() > shown) list += fmt::format(", and {} more", names.size() - shown);
    std::string hint;
    if (auto close = closest_name(name, names)) hint = fmt::format("did you mean '{}'? ", *close);
    if (names.empty())
      return fmt::format("unknown {} '{}' (there are no {}s)", options_.noun, name, options_.noun);
    return fmt::format("unknown {} '{}' ({}{}s: {})", options_.noun, name, hint, options_.noun,
                       list);
  }

  std::int32_t literal(const Literal& value) {
    Reg r;
    r.kind = RegKind::constant;
    r.literal = true;
    if (const auto* b = std::get_if<bool>(&value)) {
      r.type = DType::boolean;
      r.value[0] = std::byte{*b ? std::uint8_t{1} : std::uint8_t{0}};
    } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
      r.type = DType::int64;
      std::memcpy(r.value.data(), i, 8);
    } else if (const auto* d = std::get_if<double>(&value)) {
      r.type = DType::float64;
      std::memcpy(r.value.data(), d, 8);
    } else {
      r.type = DType::string;
      r.text = std::get<std::string>(value);
    }
    return constant(std::move(r));
  }

  std::int32_t constant_number(DType t, double v) {
    Reg r;
    r.kind = RegKind::constant;
    r.type = DType::float64;
    std::memcpy(r.value.data(), &v, 8);
    std::int32_t c = constant(std::move(r));
    return convert(Val{c, nullptr}, t);
  }

  // ---- messages -----------------------------------------------------------------------------

  // "float64 'amount * 2'", or for literals "int64 5", "string \"abc\"".
  std::string describe(const Val& v) const {
    std::string t(to_string(type(v)));
    if (v.expr == nullptr) return t;
    std::string text = v.expr->to_string();
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    if (v.expr->kind() == NodeKind::literal) return t + " " + text;
    return fmt::format("{} '{}'", t, text);
  }

  [[noreturn]] void type_error(std::string_view op, const Val& a) const {
    throw TypeError(fmt::format("cannot apply '{}' to {}", op, describe(a)));
  }
  [[noreturn]] void type_error(std::string_view op, const Val& a, const Val& b) const {
    throw TypeError(fmt::format("cannot apply '{}' to {} and {}", op, describe(a), describe(b)));
  }

  // ---- operations ---------------------------------------------------------------------------

  // Appends an operation (or reuses an identical one; or, on constants, folds it).
  std::int32_t emit(OpCode code, DType result, DType operand, NullRule nulls,
                    std::initializer_list<std::int32_t> args, Params params = {}) {
    Op op;
    op.code = code;
    op.type = result;
    op.operand = operand;
    op.nulls = nulls;
    op.kernel = find_kernel(code, operand, result);
    if (op.kernel == nullptr)
      throw Error(fmt::format("expression: internal error: no kernel for {} of {} to {}",
                              to_string(code), to_string(operand), to_string(result)));
    op.nargs = args.size();
    std::copy(args.begin(), args.end(), op.args.begin());
    op.int_param = params.int_param;
    op.text_param = std::move(params.text);
    op.table = std::move(params.table);
    op.strings = std::move(params.strings);

    std::string key =
        fmt::format("{}/{}/{}/{}/{},{},{}/{}/{}/", static_cast<int>(code), static_cast<int>(result),
                    static_cast<int>(operand), static_cast<int>(nulls), op.args[0], op.args[1],
                    op.args[2], op.int_param, op.text_param);
    for (std::byte b : op.table) key += fmt::format("{:02x}", static_cast<unsigned>(b));
    for (const std::string& s : op.strings) key += fmt::format("{}:{}", s.size(), s);
    if (auto it = memo_.find(key); it != memo_.end()) return it->second;

    bool folds = true;
    for (std::size_t j = 0; j < op.nargs; ++j)
      folds = folds && reg(op.args[j]).kind == RegKind::constant;
    std::int32_t out;
    if (folds) {
      out = constant(fold(op));
    } else {
      Reg r;
      r.kind = RegKind::temp;
      r.type = result;
      out = add(std::move(r));
      op.out = out;
      code_.ops.push_back(std::move(op));
    }
    memo_.emplace(std::move(key), out);
    return out;
  }

  // Evaluates an operation on constants at compile time.
  Reg fold(Op op) const {
    Code mini;
    for (std::size_t j = 0; j < op.nargs; ++j) {
      mini.regs.push_back(reg(op.args[j]));
      op.args[j] = static_cast<std::int32_t>(j);
    }
    Reg out;
    out.kind = RegKind::temp;
    out.type = op.type;
    out.slot = 0;
    mini.regs.push_back(out);
    op.out = static_cast<std::int32_t>(mini.regs.size() - 1);
    mini.root = op.out;
    mini.result = op.type;
    mini.slots = 1;
    mini.ops.push_back(std::move(op));
    return fold_constants(mini);
  }

  // `v` as type `to`: the register itself, a cast, or (for constants) a converted constant.
  std::int32_t convert(const Val& v, DType to) {
    DType from = type(v);
    if (from == to) return v.reg;
    if (from == DType::string && to == DType::timestamp) return timestamp_literal(v);
    return emit(OpCode::cast, to, from, NullRule::propagate, {v.reg});
  }

  std::int32_t timestamp_literal(const Val& v) {
    const Reg& r = reg(v.reg);
    auto ns = parse_timestamp(r.text);
    if (!ns) {
      std::string why = timestamp_refusal(r.text);
      if (why.empty()) why = "expected ISO-8601, e.g. '2024-01-31' or '2024-01-31 12:00:00'";
      throw ValueError(fmt::format("cannot read \"{}\" as a timestamp ({})", r.text, why));
    }
    Reg t;
    t.kind = RegKind::constant;
    t.type = DType::timestamp;
    std::memcpy(t.value.data(), &*ns, 8);
    return constant(std::move(t));
  }

  bool string_constant(const Val& v) const {
    return is_constant(v) && type(v) == DType::string && reg(v.reg).valid;
  }

  // ---- type rules ---------------------------------------------------------------------------

  static DType strong(DType t) { return t == DType::boolean ? DType::int64 : t; }

  bool fits_int32(const Val& v) const {
    const Reg& r = reg(v.reg);
    if (r.type == DType::boolean || r.type == DType::int32) return true;
    std::int64_t x = constant_int(r);
    return x >= INT32_MIN && x <= INT32_MAX;
  }

  // A literal meeting a column of type s (NumPy's weak scalars).
  DType adapt(const Val& lit, DType s) const {
    if (is_floating(type(lit))) return is_integer(s) ? DType::float64 : s;
    if (s == DType::int32 && !fits_int32(lit)) return DType::int64;
    return s;
  }

  // The type in which two numeric operands meet for + - * % (and comparisons).
  DType arith_type(const Val& a, const Val& b) const {
    const bool la = is_literal(a), lb = is_literal(b);
    if (la && !lb) return adapt(a, strong(type(b)));
    if (lb && !la) return adapt(b, strong(type(a)));
    DType x = strong(type(a)), y = strong(type(b));
    if (x == y) return x;
    if (is_integer(x) && is_integer(y)) return DType::int64;
    return DType::float64;  // any float with anything else (float32 + int32 too)
  }

  // Two values that must share a type (where, fillna, comparisons): the type and both
  // registers converted to it.
  struct Unified {
    DType type;
    std::int32_t a, b;
  };
  Unified unify(std::string_view op, const Val& a, const Val& b) {
    DType ta = type(a), tb = type(b);
    if (numeric_like(ta) && numeric_like(tb)) {
      DType t = ta == DType::boolean && tb == DType::boolean ? DType::boolean : arith_type(a, b);
      return {t, convert(a, t), convert(b, t)};
    }
    if (ta == tb && (ta == DType::string || ta == DType::timestamp)) return {ta, a.reg, b.reg};
    if (ta == DType::timestamp && string_constant(b)) return {ta, a.reg, timestamp_literal(b)};
    if (tb == DType::timestamp && string_constant(a)) return {tb, timestamp_literal(a), b.reg};
    type_error(op, a, b);
  }

  // ---- nodes --------------------------------------------------------------------------------

  std::int32_t unary(const Expr& e) {
    const Expr& x = e.children()[0];
    Val a{lower(x), &x};
    DType t = type(a);
    if (e.unary_op() == UnaryOp::logical_not) {
      if (t != DType::boolean) type_error("not", a);
      return emit(OpCode::logical_not, DType::boolean, DType::boolean, NullRule::custom, {a.reg});
    }
    if (t == DType::boolean)
      throw TypeError(
          fmt::format("cannot apply '-' to {} (write 'not' to negate a bool)", describe(a)));
    if (!is_numeric(t)) type_error("-", a);
    return emit(OpCode::negate, t, t, NullRule::propagate, {a.reg});
  }

  std::int32_t binary(const Expr& e) {
    const Expr& l = e.children()[0];
    const Expr& r = e.children()[1];
    Val a{lower(l), &l};
    Val b{lower(r), &r};
    BinaryOp op = e.binary_op();
    std::string_view name = to_string(op);
    switch (op) {
      case BinaryOp::logical_and:
      case BinaryOp::logical_or:
        if (type(a) != DType::boolean || type(b) != DType::boolean) type_error(name, a, b);
        return emit(op == BinaryOp::logical_and ? OpCode::logical_and : OpCode::logical_or,
                    DType::boolean, DType::boolean, NullRule::custom, {a.reg, b.reg});
      case BinaryOp::equal:
        return compare(OpCode::equal, name, a, b);
      case BinaryOp::not_equal:
        return compare(OpCode::not_equal, name, a, b);
      case BinaryOp::less:
        return compare(OpCode::less, name, a, b);
      case BinaryOp::less_equal:
        return compare(OpCode::less_equal, name, a, b);
      case BinaryOp::greater:
        return compare(OpCode::greater, name, a, b);
      case BinaryOp::greater_equal:
        return compare(OpCode::greater_equal, name, a, b);
      default:
        return arithmetic(op, name, a, b);
    }
  }

  std::int32_t compare(OpCode code, std::string_view name, const Val& a, const Val& b) {
    Unified u = unify(name, a, b);
    NullRule nulls = code == OpCode::not_equal ? NullRule::true_if_null : NullRule::false_if_null;
    return emit(code, DType::boolean, u.type, nulls, {u.a, u.b});
  }

  std::int32_t arithmetic(BinaryOp op, std::string_view name, const Val& a, const Val& b) {
    if (!numeric_like(type(a)) || !numeric_like(type(b))) type_error(name, a, b);
    DType t = arith_type(a, b);
    if (op == BinaryOp::divide && is_integer(t)) t = DType::float64;
    if (op == BinaryOp::power) t = t == DType::float32 ? DType::float32 : DType::float64;
    std::int32_t ra = convert(a, t);
    std::int32_t rb = convert(b, t);
    switch (op) {
      case BinaryOp::add:
        return emit(OpCode::add, t, t, NullRule::propagate, {ra, rb});
      case BinaryOp::subtract:
        return emit(OpCode::subtract, t, t, NullRule::propagate, {ra, rb});
      case BinaryOp::multiply:
        return emit(OpCode::multiply, t, t, NullRule::propagate, {ra, rb});
      case BinaryOp::divide:
        return emit(OpCode::divide, t, t, NullRule::propagate, {ra, rb});
      case BinaryOp::modulo:
        return emit(OpCode::modulo, t, t,
                    is_integer(t) ? NullRule::propagate_more : NullRule::propagate, {ra, rb});
      default:
        break;
    }
    // Powers with a constant exponent that have exact cheaper forms (as NumPy does).
    const Reg& e = reg(rb);
    if (e.kind == RegKind::constant && e.valid && reg(ra).kind != RegKind::constant) {
      double p = constant_double(e);
      if (p == 1) return ra;
      if (p == 2) return emit(OpCode::multiply, t, t, NullRule::propagate, {ra, ra});
      if (p == 0.5) return emit(OpCode::sqrt, t, t, NullRule::propagate, {ra});
      if (p == -1)
        return emit(OpCode::divide, t, t, NullRule::propagate, {constant_number(t, 1), ra});
    }
    return emit(OpCode::power, t, t, NullRule::propagate, {ra, rb});
  }

  // ---- functions ----------------------------------------------------------------------------

  std::int32_t call(const Expr& e) {
    const std::string& name = e.name();
    const FunctionInfo* f = find_function(name);
    if (f == nullptr) throw UsageError(unknown_function_message(name));
    if (std::string m = arity_message(*f, e.children().size()); !m.empty()) throw UsageError(m);
    std::vector<Val> args;
    for (const Expr& c : e.children()) args.push_back(Val{lower(c), &c});
    const Val& x = args[0];
    const DType t = type(x);

    static const std::map<std::string_view, OpCode, std::less<>> math = {
        {"sin", OpCode::sin},       {"cos", OpCode::cos},       {"tan", OpCode::tan},
        {"arcsin", OpCode::arcsin}, {"arccos", OpCode::arccos}, {"arctan", OpCode::arctan},
        {"sinh", OpCode::sinh},     {"cosh", OpCode::cosh},     {"tanh", OpCode::tanh},
        {"exp", OpCode::exp},       {"log", OpCode::log},       {"log10", OpCode::log10},
        {"log2", OpCode::log2},     {"sqrt", OpCode::sqrt},     {"floor", OpCode::floor},
        {"ceil", OpCode::ceil},     {"round", OpCode::round}};
    static const std::map<std::string_view, OpCode, std::less<>> parts = {
        {"year", OpCode::year},          {"month", OpCode::month},   {"day", OpCode::day},
        {"hour", OpCode::hour},          {"minute", OpCode::minute}, {"second", OpCode::second},
        {"dayofweek", OpCode::dayofweek}};

    if (auto it = math.find(name); it != math.end()) {
      if (!numeric_like(t)) type_error(name, x);
      const DType ft = t == DType::float32 ? DType::float32 : DType::float64;
      OpCode code = it->second;
      const bool rounding = code == OpCode::floor || code == OpCode::ceil || code == OpCode::round;
      if (code == OpCode::round && args.size() == 2) return round_decimals(x, args[1], ft);
      // An integer is its own floor: the conversion is all there is to do.
      if (rounding && !is_floating(t)) return convert(x, ft);
      return emit(code, ft, ft, NullRule::propagate, {convert(x, ft)});
    }
    if (auto it = parts.find(name); it != parts.end()) {
      if (t != DType::timestamp) type_error(name, x);
      return emit(it->second, DType::int64, DType::timestamp, NullRule::propagate, {x.reg});
    }
    if (name == "abs") {
      if (!numeric_like(t)) type_error(name, x);
      DType st = strong(t);
      return emit(OpCode::abs, st, st, NullRule::propagate, {convert(x, st)});
    }
    if (name == "where") {
      if (t != DType::boolean)
        throw TypeError(fmt::format("the condition of 'where' must be bool, got {}", describe(x)));
      Unified u = unify(name, args[1], args[2]);
      return emit(OpCode::where, u.type, u.type, NullRule::custom, {x.reg, u.a, u.b});
    }
    if (name == "fillna") {
      Unified u = unify(name, x, args[1]);
      return emit(OpCode::fillna, u.type, u.type, NullRule::custom, {u.a, u.b});
    }
    if (name == "isna" || name == "notna")
      return emit(name == "isna" ? OpCode::isna : OpCode::notna, DType::boolean, t,
                  NullRule::custom, {x.reg});
    if (name == "isin") return isin(args);
    if (name == "between") {
      std::int32_t lo = compare(OpCode::greater_equal, name, x, args[1]);
      std::int32_t hi = compare(OpCode::less_equal, name, x, args[2]);
      return emit(OpCode::logical_and, DType::boolean, DType::boolean, NullRule::custom, {lo, hi});
    }
    if (name == "contains" || name == "startswith" || name == "endswith") {
      if (t != DType::string) type_error(name, x);
      if (!string_constant(args[1]))
        throw TypeError(fmt::format("the second argument of '{}' must be a string literal, got {}",
                                    name, describe(args[1])));
      OpCode code = name == "contains"     ? OpCode::contains
                    : name == "startswith" ? OpCode::startswith
                                           : OpCode::endswith;
      Params p;
      p.text = reg(args[1].reg).text;
      return emit(code, DType::boolean, DType::string, NullRule::false_if_null, {x.reg},
                  std::move(p));
    }
    if (name == "len" || name == "lower" || name == "upper") {
      if (t != DType::string) type_error(name, x);
      if (name == "len")
        return emit(OpCode::length, DType::int64, DType::string, NullRule::propagate, {x.reg});
      return emit(name == "lower" ? OpCode::lower : OpCode::upper, DType::string, DType::string,
                  NullRule::propagate, {x.reg});
    }
    if (name == "float" || name == "float32") {
      if (!numeric_like(t)) type_error(name, x);
      return convert(x, name == "float" ? DType::float64 : DType::float32);
    }
    if (name == "int" || name == "int32") {
      std::int32_t r;
      if (is_floating(t))
        r = emit(OpCode::to_int, DType::int64, t, NullRule::propagate_more, {x.reg});
      else if (t == DType::timestamp)
        r = emit(OpCode::cast, DType::int64, t, NullRule::propagate, {x.reg});
      else if (!numeric_like(t))
        type_error(name, x);
      else
        r = convert(x, name == "int" ? DType::int64 : DType::int32);
      return name == "int32" ? convert(Val{r, nullptr}, DType::int32) : r;
    }
    if (name == "bool") {
      if (t == DType::boolean) return x.reg;
      if (!numeric_like(t) || t == DType::timestamp) type_error(name, x);
      return emit(OpCode::not_equal, DType::boolean, t, NullRule::propagate,
                  {x.reg, constant_number(t, 0)});
    }
    if (name == "str") {
      if (t == DType::string) return x.reg;
      return emit(OpCode::to_string, DType::string, t, NullRule::propagate, {x.reg});
    }
    throw Error(fmt::format("expression: internal error: function '{}' has no type rule", name));
  }

  std::int32_t round_decimals(const Val& x, const Val& d, DType ft) {
    const Reg& r = reg(d.reg);
    if (r.kind != RegKind::constant || !r.valid || !is_integer(r.type))
      throw TypeError(fmt::format(
          "the second argument of 'round' (decimals) must be an integer literal, got {}",
          describe(d)));
    std::int64_t decimals = constant_int(r);
    if (decimals == 0) return emit(OpCode::round, ft, ft, NullRule::propagate, {convert(x, ft)});
    Params p;
    p.int_param = decimals;
    return emit(OpCode::round_decimals, ft, ft, NullRule::propagate, {convert(x, ft)},
                std::move(p));
  }

  std::int32_t isin(const std::vector<Val>& args) {
    const Val& x = args[0];
    const DType tx = type(x);
    for (std::size_t i = 1; i < args.size(); ++i)
      if (!is_constant(args[i]))
        throw TypeError(
            fmt::format("the values of 'isin' must be literals, got {}", describe(args[i])));
    Params p;
    if (tx == DType::string) {
      for (std::size_t i = 1; i < args.size(); ++i) {
        if (type(args[i]) != DType::string) type_error("isin", x, args[i]);
        if (reg(args[i].reg).valid) p.strings.push_back(reg(args[i].reg).text);
      }
      std::sort(p.strings.begin(), p.strings.end());
      p.strings.erase(std::unique(p.strings.begin(), p.strings.end()), p.strings.end());
      return emit(OpCode::isin, DType::boolean, DType::string, NullRule::false_if_null, {x.reg},
                  std::move(p));
    }
    DType t = tx;
    std::vector<std::int32_t> values;
    if (tx == DType::timestamp) {
      for (std::size_t i = 1; i < args.size(); ++i) {
        if (type(args[i]) == DType::timestamp)
          values.push_back(args[i].reg);
        else if (string_constant(args[i]))
          values.push_back(timestamp_literal(args[i]));
        else
          type_error("isin", x, args[i]);
      }
    } else if (numeric_like(tx)) {
      bool all_bool = tx == DType::boolean;
      for (std::size_t i = 1; i < args.size(); ++i) {
        if (!numeric_like(type(args[i]))) type_error("isin", x, args[i]);
        all_bool = all_bool && type(args[i]) == DType::boolean;
      }
      if (!all_bool) {
        t = strong(tx);
        for (std::size_t i = 1; i < args.size(); ++i) t = meet(t, args[i]);
      }
      for (std::size_t i = 1; i < args.size(); ++i) values.push_back(convert(args[i], t));
    } else {
      type_error("isin", x, args[1]);
    }
    std::int32_t rx = convert(x, t);
    const std::size_t size = element_size(t);
    std::vector<std::vector<std::byte>> items;
    for (std::int32_t v : values) {
      const Reg& r = reg(v);
      if (!r.valid) continue;
      if (is_floating(t) && std::isnan(constant_double(r))) continue;  // NaN equals nothing
      items.emplace_back(r.value.begin(), r.value.begin() + static_cast<std::ptrdiff_t>(size));
    }
    sort_table(items, t);
    for (const auto& item : items) p.table.insert(p.table.end(), item.begin(), item.end());
    return emit(OpCode::isin, DType::boolean, t, NullRule::false_if_null, {rx}, std::move(p));
  }

  // The type a column of type t and a literal value compare in.
  DType meet(DType t, const Val& lit) const {
    if (is_literal(lit)) return adapt(lit, t);
    DType y = strong(type(lit));
    if (y == t) return t;
    if (is_integer(t) && is_integer(y)) return DType::int64;
    return DType::float64;
  }

  static void sort_table(std::vector<std::vector<std::byte>>& items, DType t) {
    auto number = [t](const std::vector<std::byte>& v) {
      Reg r;
      r.type = t;
      std::memcpy(r.value.data(), v.data(), v.size());
      return r;
    };
    auto less = [&](const std::vector<std::byte>& a, const std::vector<std::byte>& b) {
      Reg x = number(a), y = number(b);
      if (is_floating(t)) return constant_double(x) < constant_double(y);
      return constant_int(x) < constant_int(y);
    };
    std::sort(items.begin(), items.end(), less);
    items.erase(
        std::unique(items.begin(), items.end(),
                    [&](const auto& a, const auto& b) { return !less(a, b) && !less(b, a); }),
        items.end());
  }

  // ---- after lowering -----------------------------------------------------------------------

  // Drops operations whose results are not used (left over by folding), and lists the inputs.
  void prune() {
    std::vector<bool> live(code_.regs.size(), false);
    live[code_.root] = true;
    std::vector<Op> kept;
    for (auto it = code_.ops.rbegin(); it != code_.ops.rend(); ++it) {
      if (!live[it->out]) continue;
      for (std::size_t j = 0; j < it->nargs; ++j) live[it->args[j]] = true;
      kept.push_back(std::move(*it));
    }
    std::reverse(kept.begin(), kept.end());
    code_.ops = std::move(kept);
    for (std::size_t r = 0; r < code_.regs.size(); ++r)
      if (live[r] && code_.regs[r].kind == RegKind::input)
        code_.inputs_used.push_back(code_.regs[r].input);
    std::sort(code_.inputs_used.begin(), code_.inputs_used.end());
    // Registers nobody reads become constants of no consequence (the runner skips nothing).
    for (std::size_t r = 0; r < code_.regs.size(); ++r) {
      Reg& reg = code_.regs[r];
      if (!live[r] && reg.kind == RegKind::input) {
        reg.kind = RegKind::constant;
        reg.valid = false;
      }
    }
  }

  // Gives each temporary a scratch slot; a slot is reused once its register is read for the
  // last time. An operation never writes the slot of one of its operands.
  void allocate_slots() {
    const std::size_t count = code_.ops.size();
    std::vector<std::size_t> last(code_.regs.size(), 0);
    for (std::size_t i = 0; i < count; ++i)
      for (std::size_t j = 0; j < code_.ops[i].nargs; ++j) last[code_.ops[i].args[j]] = i;
    last[code_.root] = count;
    std::vector<std::int32_t> free;
    std::int32_t slots = 0;
    for (std::size_t i = 0; i < count; ++i) {
      Op& op = code_.ops[i];
      Reg& out = code_.regs[op.out];
      if (free.empty()) {
        out.slot = slots++;
      } else {
        out.slot = free.back();
        free.pop_back();
      }
      for (std::size_t j = 0; j < op.nargs; ++j) {
        const std::int32_t a = op.args[j];
        bool repeated = false;
        for (std::size_t k = 0; k < j; ++k) repeated = repeated || op.args[k] == a;
        const Reg& r = code_.regs[a];
        if (!repeated && r.kind == RegKind::temp && last[a] == i) free.push_back(r.slot);
      }
    }
    code_.slots = static_cast<std::size_t>(slots);
  }

  Code code_;
  const CompileOptions& options_;
  std::unordered_map<std::size_t, std::int32_t> input_regs_;
  std::unordered_map<std::string, std::int32_t> memo_;
  std::unordered_map<std::string, std::int32_t> constants_;
};

}  // namespace

Program Program::compile(const Expr& e, std::span<const std::pair<std::string, DType>> inputs,
                         const CompileOptions& options) {
  if (e.empty()) throw UsageError("expression: cannot compile an empty Expr");
  Compiler c(inputs, options);
  std::int32_t root = c.lower(e);
  return c.finish(root);
}

DType Program::result_type() const noexcept { return code_->result; }

const std::vector<std::size_t>& Program::inputs_used() const noexcept { return code_->inputs_used; }

std::string Program::describe() const {
  const Code& c = *code_;
  // Temporaries are numbered t0, t1, ... in the order the operations write them.
  std::unordered_map<std::int32_t, std::size_t> temp;
  for (const Op& op : c.ops) temp.emplace(op.out, temp.size());
  auto name = [&](std::int32_t r) {
    const Reg& reg = c.regs[r];
    if (reg.kind == RegKind::input) return c.inputs[reg.input].first;
    if (reg.kind == RegKind::constant) {
      if (!reg.valid) return std::string("null");
      if (reg.type == DType::string) return fmt::format("\"{}\"", reg.text);
      if (is_floating(reg.type)) return fmt::format("{}", constant_double(reg));
      return fmt::format("{}", constant_int(reg));
    }
    return fmt::format("t{}", temp.at(r));
  };
  std::string out;
  for (const Op& op : c.ops) {
    out += fmt::format("{} = {} {}", name(op.out), to_string(op.code), to_string(op.operand));
    for (std::size_t j = 0; j < op.nargs; ++j) out += (j ? ", " : " ") + name(op.args[j]);
    out += fmt::format(" -> {}\n", to_string(op.type));
  }
  out += fmt::format("result {} {}\n", name(c.root), to_string(c.result));
  return out;
}

}  // namespace pando::expr
