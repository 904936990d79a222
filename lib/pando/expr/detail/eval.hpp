#pragma once
// Internals of the evaluator, shared by the compiler (program.cpp), the tile loop (eval.cpp)
// and the typed kernels (kernels_*.cpp). Not part of the public API: use program.hpp.
//
// A compiled program is a list of operations over registers. A register is an input column, a
// constant, or a temporary that one operation writes. The tile loop runs the operations in
// order over tiles of Program::tile_rows rows: for each operation, ONE indirect call to a
// kernel typed for its operand types, which loops over the tile (so loops vectorize, with
// glibc's vector math for transcendental functions). Temporaries live in scratch slots of one
// tile each, reused from tile to tile and between temporaries whose lifetimes do not overlap.
// Operations whose operands are all scalars (constants, length-1 inputs) run once, before the
// tiles.

#include <pando/core/error.hpp>
#include <pando/core/dtype.hpp>
#include <pando/expr/program.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pando::expr::detail {

enum class OpCode : std::uint8_t {
  // arithmetic (operands and result of one type)
  add,
  subtract,
  multiply,
  divide,
  modulo,
  power,
  negate,
  abs,
  // comparisons (operands of one type, bool result)
  equal,
  not_equal,
  less,
  less_equal,
  greater,
  greater_equal,
  // logic on bools
  logical_and,
  logical_or,
  logical_not,
  // floating functions
  sin,
  cos,
  tan,
  arcsin,
  arccos,
  arctan,
  sinh,
  cosh,
  tanh,
  exp,
  log,
  log10,
  log2,
  sqrt,
  floor,
  ceil,
  round,           // to the nearest integer, half to even
  round_decimals,  // int_param decimals
  // conversions
  cast,    // operand type -> result type (bool, integers, floats, timestamp -> int64)
  to_int,  // float -> int64, truncating; NaN, inf and out-of-range give null
  // nulls and choices
  isna,
  notna,
  fillna,  // (x, v)
  where,   // (cond, a, b)
  isin,    // (x) against the sorted table
  // strings
  contains,
  startswith,
  endswith,
  length,
  lower,
  upper,
  // timestamps
  year,
  month,
  day,
  hour,
  minute,
  second,
  dayofweek,
  // formatting
  to_string,  // numbers as Python prints them, bools as True/False, timestamps ISO-like
};

std::string_view to_string(OpCode code) noexcept;

// How an operation's result validity follows from its inputs'.
enum class NullRule : std::uint8_t {
  propagate,       // null where any input is null
  propagate_more,  // ... and where the kernel clears a bit of out_validity (int % 0, int(nan))
  false_if_null,   // false where any input is null; never null
  true_if_null,    // true where any input is null (!=); never null
  custom,          // the kernel reads the inputs' validity and sets the result's
};

// Storage of string results of one tile: offsets relative to bytes, offsets[0] == 0.
class StringTile {
 public:
  std::int64_t* offsets() {
    if (!offsets_) offsets_ = std::make_unique_for_overwrite<std::int64_t[]>(tile_capacity + 1);
    return offsets_.get();
  }
  // Room for n bytes (previous content is not kept).
  char* reserve(std::size_t n) {
    if (n > capacity_) {
      capacity_ = std::max(n, capacity_ * 2);
      bytes_ = std::make_unique_for_overwrite<char[]>(capacity_);
    }
    return bytes_.get();
  }
  const char* bytes() const { return bytes_.get(); }
  static constexpr std::size_t tile_capacity = Program::tile_rows;

 private:
  std::unique_ptr<std::int64_t[]> offsets_;
  std::unique_ptr<char[]> bytes_;
  std::size_t capacity_ = 0;
};

// One register's data in the current tile.
struct View {
  const void* data = nullptr;               // fixed-width values
  const std::int64_t* offsets = nullptr;    // strings: n + 1 offsets into bytes
  const char* bytes = nullptr;              // strings
  const std::uint64_t* validity = nullptr;  // words (bit i of word i/64); nullptr = all valid
  bool scalar = false;                      // one value for every row (index 0)
};

struct Op;

struct KernelArgs {
  std::size_t n = 0;  // rows in the tile
  std::array<View, 3> in{};
  void* out = nullptr;                    // fixed-width results
  StringTile* out_strings = nullptr;      // string results
  std::uint64_t* out_validity = nullptr;  // (n + 63) / 64 words
  bool wrote_validity = false;            // custom kernels: out_validity holds the result's
  const Op* op = nullptr;                 // parameters
};

using KernelFn = void (*)(KernelArgs& args);

struct Op {
  OpCode code{};
  DType type{};     // result
  DType operand{};  // the first operand's type (casts: the source), which picks the kernel
  NullRule nulls = NullRule::propagate;
  KernelFn kernel = nullptr;
  std::int32_t out = -1;
  std::array<std::int32_t, 3> args{-1, -1, -1};
  std::size_t nargs = 0;
  std::int64_t int_param = 0;        // round_decimals: decimals
  std::string text_param;            // contains / startswith / endswith: the literal
  std::vector<std::byte> table;      // isin, fixed width: sorted values of the operand type
  std::vector<std::string> strings;  // isin, strings: sorted values
};

enum class RegKind : std::uint8_t { input, constant, temp };

struct Reg {
  DType type{};
  RegKind kind = RegKind::temp;
  std::size_t input = 0;  // kind == input
  // kind == constant: the value as stored in a column (up to 8 bytes), or text; valid == false
  // for a null (a folded `1 % 0`).
  alignas(8) std::array<std::byte, 8> value{};
  std::string text;
  bool valid = true;
  bool literal = false;    // written as a literal (or folded from literals): adapts its type
  std::int32_t slot = -1;  // kind == temp: scratch slot of the tile loop
};

struct Code {
  std::vector<std::pair<std::string, DType>> inputs;  // the compile-time list
  std::vector<std::size_t> inputs_used;
  std::vector<Reg> regs;
  std::vector<Op> ops;
  std::int32_t root = -1;
  std::size_t slots = 0;
  DType result{};

  static Program program(std::shared_ptr<const Code> code) { return Program(std::move(code)); }
};

// The kernel tables' answer for a type an operation has no kernel for (visit's `Otherwise`).
constexpr KernelFn no_kernel(DType) noexcept { return nullptr; }

// The kernel for an operation, by its operand and result types; nullptr if there is none.
KernelFn find_kernel(OpCode code, DType operand, DType result);
KernelFn find_numeric_kernel(OpCode code, DType operand, DType result);  // kernels_numeric.cpp
KernelFn find_other_kernel(OpCode code, DType operand, DType result);    // kernels_other.cpp

// Evaluates a program whose registers are all constants (compile-time folding): the result of
// its root, as a constant register.
Reg fold_constants(const Code& code);

// ---- Helpers for kernels --------------------------------------------------------------------

constexpr std::size_t words_for(std::size_t n) noexcept { return (n + 63) / 64; }
// The bits of word w that are rows (all but the tail of the last word).
constexpr std::uint64_t row_mask(std::size_t n, std::size_t w) noexcept {
  std::size_t rem = n - w * 64;
  return rem >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << rem) - 1;
}
inline bool bit(const std::uint64_t* words, std::size_t i) noexcept {
  return ((words[i >> 6] >> (i & 63)) & 1) != 0;
}
// Validity of row i of a view (scalars: of their one value).
inline bool valid_at(const View& v, std::size_t i) noexcept {
  if (v.validity == nullptr) return true;
  return v.scalar ? (v.validity[0] & 1) != 0 : bit(v.validity, i);
}

}  // namespace pando::expr::detail
