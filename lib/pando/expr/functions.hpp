#pragma once
// The functions of the expression language, with their arities: one table shared by the parser
// (which reports a misspelt name or a wrong argument count where it is written) and the
// compiler (which checks trees built in C++ the same way). Type rules live in program.cpp.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace pando::expr {

struct FunctionInfo {
  std::string_view name;
  std::size_t min_args;
  std::size_t max_args;  // SIZE_MAX: any number from min_args on
  std::string_view summary;
};

// Every function, in a stable order (for help texts).
std::span<const FunctionInfo> functions() noexcept;
// The function called `name`, or nullptr.
const FunctionInfo* find_function(std::string_view name) noexcept;

// "unknown function 'sine' (did you mean 'sin'?)", or without the hint if nothing is close.
std::string unknown_function_message(std::string_view name);
// "" when `count` arguments suit `f`, else e.g. "function 'sin' takes 1 argument, got 2".
std::string arity_message(const FunctionInfo& f, std::size_t count);

// The candidate closest to `word` by edit distance (case-insensitive), if close enough to be
// a plausible typo; used for unknown functions and unknown column names.
std::optional<std::string> closest_name(std::string_view word,
                                        std::span<const std::string_view> candidates);

}  // namespace pando::expr
