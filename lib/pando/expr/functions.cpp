#include <pando/expr/functions.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace pando::expr {

namespace {

constexpr std::size_t any = SIZE_MAX;

constexpr FunctionInfo table[] = {
    {"sin", 1, 1, "sine (radians)"},
    {"cos", 1, 1, "cosine (radians)"},
    {"tan", 1, 1, "tangent (radians)"},
    {"arcsin", 1, 1, "inverse sine"},
    {"arccos", 1, 1, "inverse cosine"},
    {"arctan", 1, 1, "inverse tangent"},
    {"sinh", 1, 1, "hyperbolic sine"},
    {"cosh", 1, 1, "hyperbolic cosine"},
    {"tanh", 1, 1, "hyperbolic tangent"},
    {"exp", 1, 1, "e to the power x"},
    {"log", 1, 1, "natural logarithm"},
    {"log10", 1, 1, "base-10 logarithm"},
    {"log2", 1, 1, "base-2 logarithm"},
    {"sqrt", 1, 1, "square root"},
    {"abs", 1, 1, "absolute value (keeps the type)"},
    {"floor", 1, 1, "largest integer not above x (floating)"},
    {"ceil", 1, 1, "smallest integer not below x (floating)"},
    {"round", 1, 2, "round(x) or round(x, decimals): half to even, like NumPy"},
    {"where", 3, 3, "where(cond, a, b): a where cond is true, else b (a null cond gives b)"},
    {"isna", 1, 1, "true where x is null (or NaN)"},
    {"notna", 1, 1, "true where x is neither null nor NaN"},
    {"fillna", 2, 2, "fillna(x, v): x, with v where x is null (or NaN)"},
    {"isin", 2, any, "isin(x, v1, v2, ...): x equals one of the literal values"},
    {"between", 3, 3, "between(x, lo, hi): lo <= x <= hi"},
    {"contains", 2, 2, "contains(s, 'text'): s contains the text"},
    {"startswith", 2, 2, "startswith(s, 'text')"},
    {"endswith", 2, 2, "endswith(s, 'text')"},
    {"len", 1, 1, "length of a string in characters (UTF-8 code points)"},
    {"lower", 1, 1, "lower case (ASCII letters)"},
    {"upper", 1, 1, "upper case (ASCII letters)"},
    {"year", 1, 1, "year of a timestamp"},
    {"month", 1, 1, "month of a timestamp (1-12)"},
    {"day", 1, 1, "day of the month of a timestamp (1-31)"},
    {"hour", 1, 1, "hour of a timestamp (0-23)"},
    {"minute", 1, 1, "minute of a timestamp (0-59)"},
    {"second", 1, 1, "second of a timestamp (0-59)"},
    {"dayofweek", 1, 1, "day of the week of a timestamp (Monday=0, Sunday=6)"},
    {"float", 1, 1, "x as float64"},
    {"float32", 1, 1, "x as float32"},
    {"int", 1, 1, "x as int64 (floats truncated toward zero; NaN and inf give null)"},
    {"int32", 1, 1, "x as int32 (as int, then wrapped to 32 bits like NumPy's astype)"},
    {"bool", 1, 1, "x as bool: true where x is not 0 (NaN is true, as in NumPy)"},
    {"str", 1, 1, "x as a string (1.5, 2.0, nan, True, 2024-01-31 12:00:00)"},
};

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t subst = prev[j - 1] + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::span<const FunctionInfo> functions() noexcept { return table; }

const FunctionInfo* find_function(std::string_view name) noexcept {
  for (const FunctionInfo& f : table)
    if (f.name == name) return &f;
  return nullptr;
}

std::optional<std::string> closest_name(std::string_view word,
                                        std::span<const std::string_view> candidates) {
  // A typo is a few edits away, and fewer for short words ('x' is not a typo of 'y').
  std::size_t limit = word.size() >= 5 ? 2 : 1;
  std::optional<std::string> best;
  std::size_t best_distance = SIZE_MAX;
  for (std::string_view c : candidates) {
    if (c.size() > word.size() + limit || word.size() > c.size() + limit) continue;
    std::size_t d = edit_distance(word, c);
    bool case_only = d == 0 && c != word;
    if ((d <= limit && d < word.size()) || case_only) {
      if (d < best_distance) {
        best_distance = d;
        best = std::string(c);
      }
    }
  }
  return best;
}

std::string unknown_function_message(std::string_view name) {
  std::vector<std::string_view> names;
  for (const FunctionInfo& f : table) names.push_back(f.name);
  if (auto hint = closest_name(name, names))
    return fmt::format("unknown function '{}' (did you mean '{}'?)", name, *hint);
  return fmt::format("unknown function '{}'", name);
}

std::string arity_message(const FunctionInfo& f, std::size_t count) {
  if (count >= f.min_args && count <= f.max_args) return {};
  auto plural = [](std::size_t n) { return n == 1 ? "argument" : "arguments"; };
  std::string takes;
  if (f.max_args == any)
    takes = fmt::format("at least {} {}", f.min_args, plural(f.min_args));
  else if (f.min_args == f.max_args)
    takes = fmt::format("{} {}", f.min_args, plural(f.min_args));
  else
    takes = fmt::format("{} or {} arguments", f.min_args, f.max_args);
  return fmt::format("function '{}' takes {}, got {}", f.name, takes, count);
}

}  // namespace pando::expr
