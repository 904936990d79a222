// The tile loop: runs a compiled program one operation at a time over tiles of
// Program::tile_rows rows (detail/eval.hpp explains the design).

#include <pando/expr/detail/eval.hpp>

#include <pando/core/error.hpp>

#include <fmt/format.h>

#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>

namespace pando::expr::detail {

namespace {

constexpr std::size_t tile_rows = Program::tile_rows;
constexpr std::size_t tile_words = tile_rows / 64;
static_assert(tile_rows % 64 == 0);

void fill_words(std::uint64_t* w, std::size_t count, bool valid) {
  const std::size_t words = words_for(count);
  for (std::size_t i = 0; i < words; ++i) w[i] = valid ? row_mask(count, i) : 0;
}

// Copies `count` validity bits starting at row `lo` (a multiple of 64) of an Arrow bitmap into
// words, with the bits past `count` cleared.
void load_validity(const std::uint8_t* bitmap, std::size_t lo, std::size_t count,
                   std::uint64_t* words) {
  const std::size_t w = words_for(count);
  words[w - 1] = 0;
  std::memcpy(words, bitmap + lo / 8, (count + 7) / 8);
  words[w - 1] &= row_mask(count, w - 1);
}

class Runner {
 public:
  Runner(const Code& code, std::span<const Input> inputs, std::size_t n)
      : c_(code),
        inputs_(inputs),
        views_(code.regs.size()),
        scalar_values_(code.regs.size()),
        scalar_validity_(code.regs.size()),
        scalar_offsets_(code.regs.size()),
        scalar_strings_(code.regs.size()),
        input_validity_(code.regs.size()),
        prologue_(code.ops.size()),
        slot_validity_(code.slots * tile_words),
        slot_strings_(code.slots),
        combined_(tile_words) {
    check_inputs(n);
    slot_values_ = Buffer::allocate(code.slots * tile_rows * 8);
    for (std::size_t r = 0; r < code.regs.size(); ++r) {
      const Reg& reg = code.regs[r];
      View& v = views_[r];
      if (reg.kind == RegKind::constant) {
        v.scalar = true;
        if (reg.type == DType::string) {
          scalar_offsets_[r] = {0, static_cast<std::int64_t>(reg.text.size())};
          v.offsets = scalar_offsets_[r].data();
          v.bytes = reg.text.data();
        } else {
          v.data = reg.value.data();
        }
        if (!reg.valid) v.validity = &scalar_validity_[r];  // the word is 0
      } else if (reg.kind == RegKind::input) {
        const Input& in = inputs_[reg.input];
        v.scalar = in.length == 1;
        if (v.scalar) {
          set_input_rows(v, in, 0);
          if (in.validity) {
            scalar_validity_[r] = in.validity[0] & 1;
            v.validity = &scalar_validity_[r];
          }
        } else if (in.validity) {
          input_validity_[r] = std::make_unique_for_overwrite<std::uint64_t[]>(tile_words);
        }
      }
    }
    // Operations on scalars only run once, here.
    for (std::size_t i = 0; i < code.ops.size(); ++i) {
      const Op& op = code.ops[i];
      bool scalar = true;
      for (std::size_t j = 0; j < op.nargs; ++j) scalar = scalar && views_[op.args[j]].scalar;
      prologue_[i] = scalar;
      if (!scalar) continue;
      auto r = static_cast<std::size_t>(op.out);
      exec(op, 1, &scalar_values_[r], &scalar_validity_[r], &scalar_strings_[r]);
      views_[r].scalar = true;
    }
  }

  // Runs the tile of rows [lo, lo + count). The root's values go to `root_out` when given
  // (the result column itself), else to its scratch slot.
  void tile(std::size_t lo, std::size_t count, void* root_out) {
    for (std::size_t r = 0; r < c_.regs.size(); ++r) {
      const Reg& reg = c_.regs[r];
      if (reg.kind != RegKind::input || views_[r].scalar) continue;
      const Input& in = inputs_[reg.input];
      set_input_rows(views_[r], in, lo);
      if (in.validity) {
        load_validity(in.validity, lo, count, input_validity_[r].get());
        views_[r].validity = input_validity_[r].get();
      }
    }
    for (std::size_t i = 0; i < c_.ops.size(); ++i) {
      if (prologue_[i]) continue;
      const Op& op = c_.ops[i];
      const Reg& out = c_.regs[op.out];
      const auto slot = static_cast<std::size_t>(out.slot);
      void* values = op.out == c_.root && root_out != nullptr
                         ? root_out
                         : slot_values_.mutable_data() + slot * tile_rows * 8;
      exec(op, count, values, &slot_validity_[slot * tile_words], &slot_strings_[slot]);
    }
  }

  [[nodiscard]] const View& root() const { return views_[c_.root]; }
  [[nodiscard]] bool root_is_temp_of_tiles() const {
    if (c_.regs[c_.root].kind != RegKind::temp) return false;
    for (std::size_t i = 0; i < c_.ops.size(); ++i)
      if (c_.ops[i].out == c_.root) return !prologue_[i];
    return false;
  }

 private:
  void check_inputs(std::size_t n) const {
    for (std::size_t i : c_.inputs_used) {
      const auto& [name, type] = c_.inputs[i];
      if (i >= inputs_.size())
        throw UsageError(fmt::format(
            "expression: input '{}' is #{} of the compiled input list, but only {} inputs were "
            "given",
            name, i, inputs_.size()));
      const Input& in = inputs_[i];
      if (in.type != type)
        throw UsageError(
            fmt::format("expression: input '{}' is {}, but the expression was compiled for {}",
                        name, to_string(in.type), to_string(type)));
      if (in.length != n && in.length != 1)
        throw ShapeError(
            fmt::format("expression: input '{}' has {} rows, expected {} (or 1 to "
                        "broadcast)",
                        name, in.length, n));
      if (in.length > 0 && (in.data == nullptr && in.type != DType::string))
        throw UsageError(fmt::format("expression: input '{}' has no data", name));
      if (in.type == DType::string && in.length > 0 && in.offsets == nullptr)
        throw UsageError(fmt::format("expression: string input '{}' has no offsets", name));
    }
  }

  static void set_input_rows(View& v, const Input& in, std::size_t lo) {
    if (in.type == DType::string) {
      v.offsets = in.offsets + lo;
      v.bytes = static_cast<const char*>(in.data);
    } else {
      v.data = static_cast<const std::byte*>(in.data) + lo * element_size(in.type);
    }
  }

  // One operation over `count` rows: sets the view of its result register.
  void exec(const Op& op, std::size_t count, void* values, std::uint64_t* validity,
            StringTile* strings) {
    KernelArgs k;
    k.n = count;
    k.op = &op;
    k.out = values;
    k.out_strings = strings;
    k.out_validity = validity;
    for (std::size_t j = 0; j < op.nargs; ++j) k.in[j] = views_[op.args[j]];
    const std::uint64_t* result_validity = nullptr;
    switch (op.nulls) {
      case NullRule::propagate:
        if (combine(k, op.nargs, count, validity)) result_validity = validity;
        op.kernel(k);
        break;
      case NullRule::propagate_more: {
        if (!combine(k, op.nargs, count, validity)) fill_words(validity, count, true);
        op.kernel(k);
        std::uint64_t all = ~std::uint64_t{0};
        for (std::size_t w = 0; w < words_for(count); ++w) all &= validity[w] | ~row_mask(count, w);
        if (all != ~std::uint64_t{0}) result_validity = validity;
        break;
      }
      case NullRule::false_if_null:
      case NullRule::true_if_null: {
        bool nulls = combine(k, op.nargs, count, combined_.data());
        op.kernel(k);
        if (nulls) {
          auto* o = static_cast<std::uint8_t*>(values);
          const std::uint8_t fill = op.nulls == NullRule::true_if_null ? 1 : 0;
          for (std::size_t w = 0; w < words_for(count); ++w) {
            std::uint64_t bad = ~combined_[w] & row_mask(count, w);
            for (; bad != 0; bad &= bad - 1)
              o[w * 64 + static_cast<std::size_t>(std::countr_zero(bad))] = fill;
          }
        }
        break;
      }
      case NullRule::custom:
        op.kernel(k);
        if (k.wrote_validity) result_validity = validity;
        break;
    }
    View& v = views_[op.out];
    v.scalar = false;
    v.validity = result_validity;
    if (op.type == DType::string) {
      v.offsets = strings->offsets();
      v.bytes = strings->bytes();
    } else {
      v.data = values;
    }
  }

  // ANDs the validity of the operands into `out`; false (and `out` untouched) if none has any.
  static bool combine(const KernelArgs& k, std::size_t nargs, std::size_t count,
                      std::uint64_t* out) {
    const std::size_t words = words_for(count);
    bool any = false;
    for (std::size_t j = 0; j < nargs; ++j) {
      const View& v = k.in[j];
      if (v.validity == nullptr) continue;
      if (v.scalar) {
        bool valid = (v.validity[0] & 1) != 0;
        if (!any)
          fill_words(out, count, valid);
        else if (!valid)
          fill_words(out, count, false);
      } else if (!any) {
        std::memcpy(out, v.validity, words * 8);
      } else {
        for (std::size_t w = 0; w < words; ++w) out[w] &= v.validity[w];
      }
      any = true;
    }
    return any;
  }

  const Code& c_;
  std::span<const Input> inputs_;
  std::vector<View> views_;
  std::vector<std::uint64_t> scalar_values_;  // a scalar temporary's value (up to 8 bytes)
  std::vector<std::uint64_t> scalar_validity_;
  std::vector<std::array<std::int64_t, 2>> scalar_offsets_;
  std::vector<StringTile> scalar_strings_;
  std::vector<std::unique_ptr<std::uint64_t[]>> input_validity_;
  std::vector<std::uint8_t> prologue_;
  Buffer slot_values_;
  std::vector<std::uint64_t> slot_validity_;
  std::vector<StringTile> slot_strings_;
  std::vector<std::uint64_t> combined_;
};

// Writes `count` copies of a fixed-width scalar.
void broadcast(const void* value, std::size_t size, std::size_t count, std::byte* out) {
  switch (size) {
    case 1:
      std::memset(out, *static_cast<const std::uint8_t*>(value), count);
      break;
    case 4: {
      std::uint32_t v;
      std::memcpy(&v, value, 4);
      auto* o = reinterpret_cast<std::uint32_t*>(out);
      for (std::size_t i = 0; i < count; ++i) o[i] = v;
      break;
    }
    default: {
      std::uint64_t v;
      std::memcpy(&v, value, 8);
      auto* o = reinterpret_cast<std::uint64_t*>(out);
      for (std::size_t i = 0; i < count; ++i) o[i] = v;
    }
  }
}

// The validity words of a view for `count` rows, or nullptr if all rows are valid; scalar
// validity is expanded into `scratch`.
const std::uint64_t* validity_words(const View& v, std::size_t count, std::uint64_t* scratch) {
  if (v.validity == nullptr) return nullptr;
  if (!v.scalar) return v.validity;
  if (v.validity[0] & 1) return nullptr;
  fill_words(scratch, count, false);
  return scratch;
}

}  // namespace

std::string_view to_string(OpCode code) noexcept {
  static constexpr std::string_view names[] = {
      "add",      "subtract",   "multiply",  "divide", "modulo",     "power",     "negate",
      "abs",      "equal",      "not_equal", "less",   "less_equal", "greater",   "greater_equal",
      "and",      "or",         "not",       "sin",    "cos",        "tan",       "arcsin",
      "arccos",   "arctan",     "sinh",      "cosh",   "tanh",       "exp",       "log",
      "log10",    "log2",       "sqrt",      "floor",  "ceil",       "round",     "round_decimals",
      "cast",     "to_int",     "isna",      "notna",  "fillna",     "where",     "isin",
      "contains", "startswith", "endswith",  "len",    "lower",      "upper",     "year",
      "month",    "day",        "hour",      "minute", "second",     "dayofweek", "str"};
  static_assert(std::size(names) == static_cast<std::size_t>(OpCode::to_string) + 1);
  return names[static_cast<std::size_t>(code)];
}

KernelFn find_kernel(OpCode code, DType operand, DType result) {
  if (KernelFn f = find_numeric_kernel(code, operand, result)) return f;
  return find_other_kernel(code, operand, result);
}

Reg fold_constants(const Code& code) {
  Program p = Code::program(std::make_shared<const Code>(code));
  Output out = p.run({}, 1);
  Reg r;
  r.kind = RegKind::constant;
  r.type = out.type;
  r.literal = true;
  r.valid = out.is_valid(0);
  if (out.type == DType::string)
    r.text = std::string(out.string(0));
  else
    std::memcpy(r.value.data(), out.data.data(), element_size(out.type));
  return r;
}

}  // namespace pando::expr::detail

namespace pando::expr {

using namespace detail;

std::size_t Output::null_count() const noexcept {
  if (validity.empty()) return 0;
  std::size_t valid = 0;
  const std::byte* b = validity.data();
  for (std::size_t i = 0; i < length / 8; ++i)
    valid += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(b[i])));
  for (std::size_t i = length / 8 * 8; i < length; ++i) valid += is_valid(i) ? 1 : 0;
  return length - valid;
}

Output Program::run(std::span<const Input> inputs, std::size_t n) const {
  const Code& c = *code_;
  Output out;
  out.type = c.result;
  out.length = n;
  const bool strings = c.result == DType::string;
  const std::size_t size = element_size(c.result);
  Buffer offsets_buffer;
  std::int64_t* offsets = nullptr;
  std::vector<std::byte> bytes;
  if (strings) {
    offsets_buffer = Buffer::allocate((n + 1) * sizeof(std::int64_t));
    offsets = offsets_buffer.as_mutable<std::int64_t>().data();
    offsets[0] = 0;
  } else {
    out.data = Buffer::allocate(n * size);
  }
  Runner runner(c, inputs, n);
  if (n == 0) {
    out.offsets = offsets_buffer;
    return out;
  }
  Buffer validity = Buffer::allocate(words_for(n) * 8);
  auto* valid_words = validity.as_mutable<std::uint64_t>().data();
  bool any_null = false;
  const bool direct = !strings && runner.root_is_temp_of_tiles();
  std::uint64_t scratch[tile_words];
  for (std::size_t lo = 0; lo < n; lo += tile_rows) {
    const std::size_t count = std::min(tile_rows, n - lo);
    std::byte* dest = strings ? nullptr : out.data.mutable_data() + lo * size;
    runner.tile(lo, count, direct ? dest : nullptr);
    const View& v = runner.root();
    if (strings) {
      if (v.scalar) {
        std::string_view s(v.bytes + v.offsets[0],
                           static_cast<std::size_t>(v.offsets[1] - v.offsets[0]));
        std::size_t at = bytes.size();
        bytes.resize(at + s.size() * count);
        for (std::size_t i = 0; i < count; ++i) {
          if (!s.empty()) std::memcpy(bytes.data() + at + i * s.size(), s.data(), s.size());
          offsets[lo + i + 1] = static_cast<std::int64_t>(at + (i + 1) * s.size());
        }
      } else {
        const std::int64_t first = v.offsets[0];
        const auto length = static_cast<std::size_t>(v.offsets[count] - first);
        std::size_t at = bytes.size();
        bytes.resize(at + length);
        if (length > 0) std::memcpy(bytes.data() + at, v.bytes + first, length);
        const auto shift = static_cast<std::int64_t>(at) - first;
        for (std::size_t i = 1; i <= count; ++i) offsets[lo + i] = v.offsets[i] + shift;
      }
    } else if (!direct) {
      if (v.scalar)
        broadcast(v.data, size, count, dest);
      else
        std::memcpy(dest, v.data, count * size);
    }
    const std::uint64_t* w = validity_words(v, count, scratch);
    std::uint64_t* target = valid_words + lo / 64;
    if (w == nullptr) {
      fill_words(target, count, true);
    } else {
      std::memcpy(target, w, words_for(count) * 8);
      for (std::size_t i = 0; i < words_for(count); ++i)
        any_null = any_null || (w[i] != row_mask(count, i));
    }
  }
  if (strings) {
    out.data = Buffer::adopt(std::move(bytes));
    out.offsets = offsets_buffer;
  }
  if (any_null) out.validity = validity.slice(0, (n + 7) / 8);
  return out;
}

void Program::for_each_tile_impl(std::span<const Input> inputs, std::size_t n, TileFn fn,
                                 void* ctx) const {
  const Code& c = *code_;
  Runner runner(c, inputs, n);
  const std::size_t size = element_size(c.result);
  // A scalar result is broadcast into a tile of its own.
  Buffer values;
  StringTile strings;
  std::uint64_t scratch[tile_words];
  for (std::size_t lo = 0; lo < n; lo += tile_rows) {
    const std::size_t count = std::min(tile_rows, n - lo);
    runner.tile(lo, count, nullptr);
    const View& v = runner.root();
    Input t;
    t.type = c.result;
    t.length = count;
    t.validity = reinterpret_cast<const std::uint8_t*>(validity_words(v, count, scratch));
    if (c.result == DType::string) {
      t.data = v.bytes;
      t.offsets = v.offsets;
      if (v.scalar) {
        const auto len = static_cast<std::size_t>(v.offsets[1] - v.offsets[0]);
        char* b = strings.reserve(len * count);
        std::int64_t* off = strings.offsets();
        off[0] = 0;
        for (std::size_t i = 0; i < count; ++i) {
          if (len > 0) std::memcpy(b + i * len, v.bytes + v.offsets[0], len);
          off[i + 1] = static_cast<std::int64_t>((i + 1) * len);
        }
        t.data = strings.bytes();
        t.offsets = off;
      }
    } else {
      t.data = v.data;
      if (v.scalar) {
        if (values.empty()) {
          values = Buffer::allocate(tile_rows * 8);
          broadcast(v.data, size, tile_rows, values.mutable_data());
        }
        t.data = values.data();
      }
    }
    fn(ctx, t, lo);
  }
}

}  // namespace pando::expr
