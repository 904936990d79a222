// Type rules: promotion tables, literals that adapt, function result types, every TypeError
// and name-resolution message, and what the compiler lowers expressions to.

#include <pando/core/error.hpp>
#include <pando/expr/parser.hpp>
#include <pando/expr/program.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace pando::expr;
using pando::DType;

namespace {

using Schema = std::vector<std::pair<std::string, DType>>;

const Schema schema = {
    {"i32", DType::int32},      {"j32", DType::int32},     {"i64", DType::int64},
    {"f32", DType::float32},    {"g32", DType::float32},   {"f64", DType::float64},
    {"flag", DType::boolean},   {"flag2", DType::boolean}, {"name", DType::string},
    {"other", DType::string},   {"ts", DType::timestamp},  {"ts2", DType::timestamp},
    {"amount", DType::float64}, {"qty", DType::int64},
};

Program compile(std::string_view text, const Schema& s = schema) {
  return Program::compile(parse_expression(text), s);
}
DType type_of(std::string_view text) { return compile(text).result_type(); }

template <class E>
std::string error_of(std::string_view text, const Schema& s = schema) {
  try {
    compile(text, s);
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("wrong exception type: ") + e.what();
  }
  return "";
}

}  // namespace

TEST(Types, ArithmeticPromotionTable) {
  // Columns named after their types; `op` is + - * % (same rules for all four).
  const char* names[] = {"flag", "i32", "i64", "f32", "f64"};
  const DType table[5][5] = {
      //  bool          int32         int64         float32         float64
      {DType::int64, DType::int64, DType::int64, DType::float64, DType::float64},        // bool
      {DType::int64, DType::int32, DType::int64, DType::float64, DType::float64},        // int32
      {DType::int64, DType::int64, DType::int64, DType::float64, DType::float64},        // int64
      {DType::float64, DType::float64, DType::float64, DType::float32, DType::float64},  // f32
      {DType::float64, DType::float64, DType::float64, DType::float64, DType::float64},  // f64
  };
  for (int a = 0; a < 5; ++a) {
    for (int b = 0; b < 5; ++b) {
      std::string l = names[a], r = names[b];
      if (l == r) r = l == "i32" ? "j32" : l == "f32" ? "g32" : l == "flag" ? "flag2" : r;
      for (const char* op : {"+", "-", "*", "%"}) {
        std::string text = l + " " + op + " " + r;
        EXPECT_EQ(type_of(text), table[a][b]) << text;
      }
      // '/' is always floating: float32 only if both sides are.
      DType div = table[a][b] == DType::float32 ? DType::float32 : DType::float64;
      EXPECT_EQ(type_of(l + " / " + r), div) << l << " / " << r;
      EXPECT_EQ(type_of(l + " ** " + r), div) << l << " ** " << r;
    }
  }
}

TEST(Types, LiteralsAdaptLikeNumpyScalars) {
  const std::pair<const char*, DType> cases[] = {
      {"f32 + 1", DType::float32},
      {"1 + f32", DType::float32},
      {"f32 * 0.5", DType::float32},
      {"f32 / 2", DType::float32},
      {"f32 ** 2", DType::float32},
      {"f32 ** 0.5", DType::float32},
      {"f32 % 3", DType::float32},
      {"f32 + true", DType::float32},
      {"f32 + (1 + 2)", DType::float32},  // folded literals are still literals
      {"f32 * -1", DType::float32},
      {"f32 + 1e300", DType::float32},
      {"i32 + 1", DType::int32},
      {"i32 * -7", DType::int32},
      {"i32 + 2147483647", DType::int32},
      {"i32 + 2147483648", DType::int64},  // does not fit int32
      {"i32 - -2147483649", DType::int64},
      {"i32 + 0.5", DType::float64},
      {"i32 / 2", DType::float64},
      {"i32 ** 2", DType::float64},
      {"i64 + 1", DType::int64},
      {"i64 + 1.5", DType::float64},
      {"f64 + 1", DType::float64},
      {"flag + 1", DType::int64},
      {"flag + 1.5", DType::float64},
      {"1 + 2", DType::int64},
      {"1 + 2.0", DType::float64},
      {"2 ** 3", DType::float64},
      {"7 / 2", DType::float64},
      {"true + true", DType::int64},
      {"-f32", DType::float32},
      {"-i32", DType::int32},
  };
  for (const auto& [text, type] : cases) EXPECT_EQ(type_of(text), type) << text;
}

TEST(Types, ComparisonsAndLogic) {
  const char* bools[] = {
      "i32 < j32",
      "i32 < f64",
      "f32 == 0.1",
      "flag == flag2",
      "flag < 1",
      "name == other",
      "name < 'abc'",
      "'abc' >= name",
      "ts < ts2",
      "ts > '2024-01-31'",
      "'2024-01-31 12:00:00' <= ts",
      "ts == '2024-01-31T12:00:00.5'",
      "flag and flag2",
      "flag or i32 > 0",
      "not flag",
      "between(f64, 0, 1)",
      "between(ts, '2024-01-01', '2024-12-31')",
      "isin(i32, 1, 2)",
      "isin(name, 'a')",
      "isna(name)",
      "notna(f64)",
      "contains(name, 'x')",
      "startswith(name, 'x')",
      "endswith(name, 'x')",
  };
  for (const char* text : bools) EXPECT_EQ(type_of(text), DType::boolean) << text;
}

TEST(Types, FunctionResultTypes) {
  const std::pair<const char*, DType> cases[] = {
      {"sin(f64)", DType::float64},
      {"sin(f32)", DType::float32},
      {"sin(i32)", DType::float64},
      {"sin(i64)", DType::float64},
      {"sin(flag)", DType::float64},
      {"exp(f32)", DType::float32},
      {"log10(i32)", DType::float64},
      {"sqrt(f32)", DType::float32},
      {"arctan(f64)", DType::float64},
      {"tanh(f32)", DType::float32},
      {"abs(i32)", DType::int32},
      {"abs(i64)", DType::int64},
      {"abs(f32)", DType::float32},
      {"abs(flag)", DType::int64},
      {"floor(i64)", DType::float64},
      {"ceil(f32)", DType::float32},
      {"round(f64)", DType::float64},
      {"round(f32, 2)", DType::float32},
      {"round(i32, -1)", DType::float64},
      {"where(flag, i32, j32)", DType::int32},
      {"where(flag, i32, f32)", DType::float64},
      {"where(flag, f32, 1)", DType::float32},
      {"where(flag, name, 'x')", DType::string},
      {"where(flag, ts, ts2)", DType::timestamp},
      {"where(flag, ts, '2024-01-01')", DType::timestamp},
      {"where(flag, flag, flag2)", DType::boolean},
      {"fillna(i32, 0)", DType::int32},
      {"fillna(f32, 0.5)", DType::float32},
      {"fillna(name, '')", DType::string},
      {"fillna(i32, f64)", DType::float64},
      {"len(name)", DType::int64},
      {"lower(name)", DType::string},
      {"upper(name)", DType::string},
      {"year(ts)", DType::int64},
      {"month(ts)", DType::int64},
      {"dayofweek(ts)", DType::int64},
      {"second(ts)", DType::int64},
      {"float(i32)", DType::float64},
      {"float(flag)", DType::float64},
      {"float(f32)", DType::float64},
      {"int(f64)", DType::int64},
      {"int(f32)", DType::int64},
      {"int(i32)", DType::int64},
      {"int(flag)", DType::int64},
      {"int(ts)", DType::int64},
      {"str(i32)", DType::string},
      {"str(f64)", DType::string},
      {"str(ts)", DType::string},
      {"str(flag)", DType::string},
      {"str(name)", DType::string},
      {"i32", DType::int32},
      {"name", DType::string},
      {"'abc'", DType::string},
      {"true", DType::boolean},
      {"2.5", DType::float64},
  };
  for (const auto& [text, type] : cases) EXPECT_EQ(type_of(text), type) << text;
}

TEST(Types, TypeErrorsNameTheOperationAndTypes) {
  const std::pair<const char*, const char*> cases[] = {
      {"name + amount", "cannot apply '+' to string 'name' and float64 'amount'"},
      {"amount * name", "cannot apply '*' to float64 'amount' and string 'name'"},
      {"name - 1", "cannot apply '-' to string 'name' and int64 1"},
      {"ts + 1", "cannot apply '+' to timestamp 'ts' and int64 1"},
      {"name ** 2", "cannot apply '**' to string 'name' and int64 2"},
      {"'a' % 2", "cannot apply '%' to string \"a\" and int64 2"},
      {"amount * 2 + name", "cannot apply '+' to float64 'amount * 2' and string 'name'"},
      {"-flag", "cannot apply '-' to bool 'flag' (write 'not' to negate a bool)"},
      {"-name", "cannot apply '-' to string 'name'"},
      {"-ts", "cannot apply '-' to timestamp 'ts'"},
      {"not amount", "cannot apply 'not' to float64 'amount'"},
      {"not name", "cannot apply 'not' to string 'name'"},
      {"amount and flag", "cannot apply 'and' to float64 'amount' and bool 'flag'"},
      {"flag or 1", "cannot apply 'or' to bool 'flag' and int64 1"},
      {"name < 5", "cannot apply '<' to string 'name' and int64 5"},
      {"5 == name", "cannot apply '==' to int64 5 and string 'name'"},
      {"ts < 5", "cannot apply '<' to timestamp 'ts' and int64 5"},
      {"ts < name", "cannot apply '<' to timestamp 'ts' and string 'name'"},
      {"flag == name", "cannot apply '==' to bool 'flag' and string 'name'"},
      {"sin(name)", "cannot apply 'sin' to string 'name'"},
      {"log(ts)", "cannot apply 'log' to timestamp 'ts'"},
      {"abs(name)", "cannot apply 'abs' to string 'name'"},
      {"floor(name)", "cannot apply 'floor' to string 'name'"},
      {"round(name, 1)", "cannot apply 'round' to string 'name'"},
      {"round(amount, qty)",
       "the second argument of 'round' (decimals) must be an integer literal, got int64 'qty'"},
      {"round(amount, 1.5)",
       "the second argument of 'round' (decimals) must be an integer literal, got float64 1.5"},
      {"where(amount, 1, 2)", "the condition of 'where' must be bool, got float64 'amount'"},
      {"where(flag, 1, 'a')", "cannot apply 'where' to int64 1 and string \"a\""},
      {"where(flag, ts, 1)", "cannot apply 'where' to timestamp 'ts' and int64 1"},
      {"fillna(name, 1)", "cannot apply 'fillna' to string 'name' and int64 1"},
      {"fillna(amount, name)", "cannot apply 'fillna' to float64 'amount' and string 'name'"},
      {"isin(amount, qty)", "the values of 'isin' must be literals, got int64 'qty'"},
      {"isin(name, 1)", "cannot apply 'isin' to string 'name' and int64 1"},
      {"isin(amount, 'a')", "cannot apply 'isin' to float64 'amount' and string \"a\""},
      {"isin(ts, 1)", "cannot apply 'isin' to timestamp 'ts' and int64 1"},
      {"between(name, 1, 2)", "cannot apply 'between' to string 'name' and int64 1"},
      {"between(amount, 0, name)", "cannot apply 'between' to float64 'amount' and string 'name'"},
      {"contains(amount, 'x')", "cannot apply 'contains' to float64 'amount'"},
      {"contains(name, other)",
       "the second argument of 'contains' must be a string literal, got string 'other'"},
      {"startswith(name, 1)",
       "the second argument of 'startswith' must be a string literal, got int64 1"},
      {"endswith(ts, 'x')", "cannot apply 'endswith' to timestamp 'ts'"},
      {"len(amount)", "cannot apply 'len' to float64 'amount'"},
      {"lower(qty)", "cannot apply 'lower' to int64 'qty'"},
      {"upper(flag)", "cannot apply 'upper' to bool 'flag'"},
      {"year(amount)", "cannot apply 'year' to float64 'amount'"},
      {"dayofweek(name)", "cannot apply 'dayofweek' to string 'name'"},
      {"float(name)", "cannot apply 'float' to string 'name'"},
      {"float(ts)", "cannot apply 'float' to timestamp 'ts'"},
      {"int(name)", "cannot apply 'int' to string 'name'"},
      {"sin(amount) + 'a very long string literal that goes on'",
       "cannot apply '+' to float64 'sin(amount)' and string \"a very long string literal "
       "that goes..."},
  };
  for (const auto& [text, message] : cases)
    EXPECT_EQ(error_of<pando::TypeError>(text), message) << text;
}

TEST(Types, BadTimestampLiteralsAreValueErrors) {
  EXPECT_EQ(error_of<pando::ValueError>("ts > '2024-13-01'"),
            "cannot read \"2024-13-01\" as a timestamp (there is no month 13)");
  EXPECT_EQ(error_of<pando::ValueError>("isin(ts, 'yesterday')"),
            "cannot read \"yesterday\" as a timestamp (expected ISO-8601, e.g. '2024-01-31' or "
            "'2024-01-31 12:00:00')");
  EXPECT_EQ(error_of<pando::ValueError>("ts == '2023-02-29'"),
            "cannot read \"2023-02-29\" as a timestamp (2023-02 has 28 days)");
  EXPECT_EQ(error_of<pando::ValueError>("ts < '2262-04-12'"),
            "cannot read \"2262-04-12\" as a timestamp (after 2262-04-11 23:47:16.854775807, "
            "pandas' last timestamp in int64 nanoseconds)");
}

TEST(Types, UnknownNamesSuggestAndList) {
  const Schema cols = {{"id", DType::int64}, {"amount", DType::float64}, {"qty", DType::int64}};
  EXPECT_EQ(error_of<pando::UsageError>("amout * qty", cols),
            "unknown column 'amout' (did you mean 'amount'? columns: id, amount, qty)");
  EXPECT_EQ(error_of<pando::UsageError>("Amount > 1", cols),
            "unknown column 'Amount' (did you mean 'amount'? columns: id, amount, qty)");
  EXPECT_EQ(error_of<pando::UsageError>("price * qty", cols),
            "unknown column 'price' (columns: id, amount, qty)");
  EXPECT_EQ(error_of<pando::UsageError>("x.T + 1", cols),
            "unknown column 'x.T' (columns: id, amount, qty)");
  EXPECT_EQ(error_of<pando::UsageError>("x", {}), "unknown column 'x' (there are no columns)");
  Schema many;
  for (int i = 0; i < 30; ++i) many.emplace_back(fmt::format("c{}", i), DType::int64);
  std::string m = error_of<pando::UsageError>("zz", many);
  EXPECT_NE(m.find("c19, and 10 more)"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos);
  // Arrays call their inputs something else.
  try {
    Program::compile(parse_expression("y + 1"), Schema{{"x", DType::float64}},
                     CompileOptions{"array"});
    FAIL();
  } catch (const pando::UsageError& e) {
    EXPECT_STREQ(e.what(), "unknown array 'y' (arrays: x)");
  }
}

TEST(Types, BuiltTreesAreCheckedLikeText) {
  const Schema cols = {{"x", DType::float64}};
  try {
    Program::compile(call("sine", {col("x")}), cols);
    FAIL();
  } catch (const pando::UsageError& e) {
    EXPECT_STREQ(e.what(), "unknown function 'sine' (did you mean 'sin'?)");
  }
  try {
    Program::compile(call("where", {col("x")}), cols);
    FAIL();
  } catch (const pando::UsageError& e) {
    EXPECT_STREQ(e.what(), "function 'where' takes 3 arguments, got 1");
  }
  EXPECT_THROW(Program::compile(Expr(), cols), pando::UsageError);
  EXPECT_EQ(Program::compile(col("x") > 100 && col("x") < 200, cols).result_type(), DType::boolean);
}

TEST(Types, InputsUsed) {
  const Schema cols = {{"id", DType::int64}, {"amount", DType::float64}, {"qty", DType::int64}};
  EXPECT_EQ(compile("qty * 2 + amount", cols).inputs_used(), (std::vector<std::size_t>{1, 2}));
  EXPECT_EQ(compile("id", cols).inputs_used(), (std::vector<std::size_t>{0}));
  EXPECT_EQ(compile("1 + 2", cols).inputs_used(), (std::vector<std::size_t>{}));
  EXPECT_EQ(compile("qty ** 1 + qty", cols).inputs_used(), (std::vector<std::size_t>{2}));
  const Schema arrays = {{"x", DType::float64}, {"x.T", DType::float64}};
  EXPECT_EQ(compile("x.T * x", arrays).inputs_used(), (std::vector<std::size_t>{0, 1}));
}

TEST(Lowering, PowersWithCheapForms) {
  const Schema cols = {{"x", DType::float64}, {"i", DType::int32}};
  auto ops = [&](std::string_view text) { return compile(text, cols).describe(); };
  EXPECT_EQ(ops("x ** 2"), "t0 = multiply float64 x, x -> float64\nresult t0 float64\n");
  EXPECT_EQ(ops("x ** 0.5"), "t0 = sqrt float64 x -> float64\nresult t0 float64\n");
  EXPECT_EQ(ops("x ** 1"), "result x float64\n");
  EXPECT_EQ(ops("x ** -1"), "t0 = divide float64 1, x -> float64\nresult t0 float64\n");
  EXPECT_EQ(ops("x ** 3"), "t0 = power float64 x, 3 -> float64\nresult t0 float64\n");
  EXPECT_EQ(ops("i ** 2"),
            "t0 = cast int32 i -> float64\nt1 = multiply float64 t0, t0 -> float64\n"
            "result t1 float64\n");
}

TEST(Lowering, FoldsConstantsAndSharesWork) {
  const Schema cols = {{"x", DType::float64}};
  auto ops = [&](std::string_view text) { return compile(text, cols).describe(); };
  EXPECT_EQ(ops("x + (1 + 2)"), "t0 = add float64 x, 3 -> float64\nresult t0 float64\n");
  EXPECT_EQ(ops("1 + 2"), "result 3 int64\n");
  EXPECT_EQ(ops("sin(0.0) + 1"), "result 1 float64\n");
  // x * 2 is computed once.
  EXPECT_EQ(ops("x * 2 + x * 2"),
            "t0 = multiply float64 x, 2 -> float64\nt1 = add float64 t0, t0 -> float64\n"
            "result t1 float64\n");
  EXPECT_EQ(ops("sin(x) ** 2 + cos(x) ** 2"),
            "t0 = sin float64 x -> float64\nt1 = multiply float64 t0, t0 -> float64\n"
            "t2 = cos float64 x -> float64\nt3 = multiply float64 t2, t2 -> float64\n"
            "t4 = add float64 t1, t3 -> float64\nresult t4 float64\n");
  // between reads x once; a timestamp literal is read when compiled.
  const Schema ts = {{"ts", DType::timestamp}};
  EXPECT_EQ(Program::compile(parse_expression("ts > '1970-01-02'"), ts).describe(),
            "t0 = greater timestamp ts, 86400000000000 -> bool\nresult t0 bool\n");
}
