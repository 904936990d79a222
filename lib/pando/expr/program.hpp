#pragma once
// A compiled expression: names resolved, types checked, lowered to a flat list of typed
// operations over registers, ready to run over blocks (arrays) or columns (frames).
//
//   std::vector<std::pair<std::string, DType>> cols{{"amount", DType::float64},
//                                                   {"qty", DType::int64}};
//   Program p = Program::compile(parse_expression("amount * qty"), cols);
//   Output total = p.run(inputs, n);        // inputs indexed like `cols`
//
// Type rules (NumPy-like; see program.cpp for the full table):
// - int32 op int32 -> int32 and int32 op int64 -> int64 for + - * %; an integer with a float
//   -> float64 (float32 with any integer is float64 too: simple, never loses int32 digits);
//   float32 op float32 -> float32; '/' is always floating and '**' float64 unless both sides
//   are float32. bool in arithmetic counts as int64 (True = 1).
// - A literal adapts to the column it meets, like a NumPy scalar: x + 1 and x * 0.5 stay
//   float32 when x is float32, i + 1 stays int32 when i is int32 (an integer literal that does
//   not fit int32 makes it int64). Sub-expressions of literals only are folded when compiled.
// - Comparisons: numbers with numbers, strings with strings (bytewise), timestamps with
//   timestamps or with a string literal read as ISO-8601 ('2024-01-31 12:00:00') -> bool.
// - and/or/not take bools.
//
// Nulls (pandas-like): arithmetic and functions give null where an input is null (and integer
// % 0, int() of NaN/inf give null); comparisons, between, isin and the string tests give false
// where an input is null (!= gives true) and are never null; and/or/not read a null as false;
// isna/notna/fillna also treat a floating NaN as missing; where() takes b where cond is null.
//
// Evaluation runs one operation at a time over tiles of `tile_rows` rows, in per-register
// scratch buffers reused from tile to tile (docs/architecture.md §8). A Program is immutable and
// cheap to copy; run() and for_each_tile() may be called from several threads at once.

#include <pando/expr/ast.hpp>
#include <pando/expr/columns.hpp>
#include <pando/core/dtype.hpp>

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace pando::expr {

namespace detail {
struct Code;
}

struct CompileOptions {
  // What the inputs are called in errors: "unknown column 'amout' ...", or "array", "variable".
  std::string noun = "column";
};

class Program {
 public:
  static constexpr std::size_t tile_rows = 4096;

  // Resolves names against `inputs` (an unknown name is a UsageError naming the close ones),
  // checks types (TypeError naming the operation and the operand types) and lowers the tree.
  // A transposed variable `x.T` is looked up as the input named "x.T".
  static Program compile(const Expr& e, std::span<const std::pair<std::string, DType>> inputs,
                         const CompileOptions& options = {});

  [[nodiscard]] DType result_type() const noexcept;
  // Indices into the compile-time input list of the inputs the expression reads, ascending.
  [[nodiscard]] const std::vector<std::size_t>& inputs_used() const noexcept;
  // The lowered operations, one per line ("r3 = multiply.float64 r1, r1"), for tests and logs.
  [[nodiscard]] std::string describe() const;

  // Evaluates n rows. `inputs` is indexed like the compile-time list; each used input must
  // have the compiled type and length n or 1 (broadcast); unused ones may be default Inputs.
  [[nodiscard]] Output run(std::span<const Input> inputs, std::size_t n) const;

  // Evaluates n rows tile by tile without materializing the result: calls
  // f(const Input& tile, std::size_t offset) for consecutive tiles of at most tile_rows rows,
  // `offset` being the first row of the tile. The tile is valid during the call only (string
  // tiles' offsets need not start at 0).
  template <class F>
  void for_each_tile(std::span<const Input> inputs, std::size_t n, F&& f) const {
    auto call = [](void* ctx, const Input& tile, std::size_t offset) {
      (*static_cast<std::remove_reference_t<F>*>(ctx))(tile, offset);
    };
    for_each_tile_impl(inputs, n, call, const_cast<void*>(static_cast<const void*>(&f)));
  }

 private:
  using TileFn = void (*)(void* ctx, const Input& tile, std::size_t offset);
  void for_each_tile_impl(std::span<const Input> inputs, std::size_t n, TileFn fn, void* ctx) const;
  explicit Program(std::shared_ptr<const detail::Code> code) : code_(std::move(code)) {}
  friend struct detail::Code;

  std::shared_ptr<const detail::Code> code_;
};

}  // namespace pando::expr
