#include <pando/array/elementwise.hpp>

#include <pando/array/detail/node.hpp>
#include <pando/array/detail/reduce.hpp>
#include <pando/expr/program.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace pando {

namespace detail {

// An element-wise expression over leaf arrays (materialized ones), named "v0", "v1", ... in it.
struct Elementwise {
  expr::Expr e;
  std::vector<AnyArray> leaves;
  expr::Program program;  // compiled once, shared by every block's task
};

namespace {

std::string leaf_name(std::size_t i) { return "v" + std::to_string(i); }

// `e` with each variable replaced by rename(name) (a new variable or a whole expression).
expr::Expr substitute(const expr::Expr& e,
                      const std::function<expr::Expr(const std::string&)>& rename) {
  using expr::Expr;
  using expr::NodeKind;
  switch (e.kind()) {
    case NodeKind::variable:
      return rename(e.name());
    case NodeKind::literal:
      return e;
    case NodeKind::unary:
      return Expr::unary(e.unary_op(), substitute(e.children()[0], rename));
    case NodeKind::binary:
      return Expr::binary(e.binary_op(), substitute(e.children()[0], rename),
                          substitute(e.children()[1], rename));
    case NodeKind::call: {
      std::vector<Expr> args;
      for (const auto& c : e.children()) args.push_back(substitute(c, rename));
      return Expr::call(e.name(), std::move(args));
    }
    case NodeKind::transpose:
      return rename(e.children()[0].name() + ".T");
  }
  return e;
}

// NumPy broadcasting of two shapes.
Shape broadcast(const Shape& a, const Shape& b, const expr::Expr& e) {
  const std::size_t nd = std::max(a.size(), b.size());
  Shape out(nd);
  for (std::size_t i = 0; i < nd; ++i) {
    const std::int64_t x = i < nd - a.size() ? 1 : a[i - (nd - a.size())];
    const std::int64_t y = i < nd - b.size() ? 1 : b[i - (nd - b.size())];
    if (x != y && x != 1 && y != 1)
      throw ShapeError(
          fmt::format("operands could not be broadcast together with shapes {} {} (in {})",
                      shape_text(a), shape_text(b), e.to_string()));
    out[i] = x == 1 ? y : x;
  }
  return out;
}

// Leaf axis of result axis `a` (or -1 when the leaf lacks it or has length 1 there).
int leaf_axis(const AnyArray& leaf, const Shape& shape, std::size_t a) {
  const auto lead = shape.size() - leaf.ndim();
  if (a < lead) return -1;
  const auto la = a - lead;
  return leaf.shape()[la] == 1 && shape[a] != 1 ? -1 : static_cast<int>(la);
}

}  // namespace

AnyArray make_elementwise(const expr::Expr& e,
                          const std::vector<std::pair<std::string, AnyArray>>& named) {
  // 0. Type-check the expression as written, so that an error names the arrays as the caller
  //    named them (the fused expression below calls them v0, v1, ...).
  for (const auto& [name, a] : named)
    if (a.dtype() == DType::uint64)
      throw TypeError(
          fmt::format("{}: '{}' is uint64, which element-wise expressions do not take (convert it "
                      "first: astype, or read it as another type with Hdf5Read::as)",
                      e.to_string(), name));
  {
    std::vector<std::pair<std::string, DType>> types;
    for (const auto& [name, a] : named) types.emplace_back(name, a.dtype());
    expr::CompileOptions options;
    options.noun = "array";
    (void)expr::Program::compile(e, types, options);
  }

  // 1. Inline operands that are pending expressions themselves; collect distinct leaves.
  std::vector<AnyArray> leaves;
  auto leaf_of = [&](const AnyArray& a) {
    for (std::size_t i = 0; i < leaves.size(); ++i)
      if (leaves[i].token() == a.token()) return expr::Expr::variable(leaf_name(i));
    leaves.push_back(a);
    return expr::Expr::variable(leaf_name(leaves.size() - 1));
  };
  std::map<std::string, expr::Expr> meaning;
  for (const auto& [name, a] : named) {
    const ArrayNode& n = a.node();
    if (n.is_pending()) {
      const Elementwise& inner = *n.pending;
      meaning[name] = substitute(inner.e, [&](const std::string& v) {
        return leaf_of(inner.leaves[std::stoul(v.substr(1))]);
      });
    } else {
      meaning[name] = leaf_of(a);
    }
  }
  expr::Expr fused = substitute(e, [&](const std::string& v) {
    auto it = meaning.find(v);
    if (it == meaning.end())
      throw UsageError(fmt::format("unknown array '{}' in {}", v, e.to_string()));
    return it->second;
  });

  // 2. The result's shape (broadcast) and chunks (each axis from a leaf that spans it; the
  //    other leaves spanning it are rechunked to match).
  Shape shape;
  for (const auto& l : leaves) shape = broadcast(shape, l.shape(), e);
  Chunks chunks(shape.size());
  for (std::size_t a = 0; a < shape.size(); ++a) {
    for (const auto& l : leaves) {
      int la = leaf_axis(l, shape, a);
      if (la >= 0) {
        chunks[a] = l.chunks()[static_cast<std::size_t>(la)];
        break;
      }
    }
    if (chunks[a].empty()) chunks[a] = {shape[a]};
  }
  for (auto& l : leaves) {
    Chunks want = l.chunks();
    for (std::size_t a = 0; a < shape.size(); ++a) {
      int la = leaf_axis(l, shape, a);
      if (la >= 0) want[static_cast<std::size_t>(la)] = chunks[a];
    }
    l = l.rechunk(want);
  }

  // 3. Type-check now: a bad expression is an error before anything runs.
  std::vector<std::pair<std::string, DType>> inputs;
  for (std::size_t i = 0; i < leaves.size(); ++i)
    inputs.emplace_back(leaf_name(i), leaves[i].dtype());
  expr::CompileOptions options;
  options.noun = "array";
  auto program = expr::Program::compile(fused, inputs, options);
  const DType type = program.result_type();
  if (!computed_dtypes.contains(type)) refuse_array_dtype(type);

  auto node = std::make_shared<ArrayNode>();
  node->dtype = type;
  node->shape = std::move(shape);
  node->chunks = std::move(chunks);
  for (const auto& l : leaves)
    for (const Key& f : l.finally())
      if (std::find(node->finally.begin(), node->finally.end(), f) == node->finally.end())
        node->finally.push_back(f);
  node->pending = std::make_shared<const Elementwise>(
      Elementwise{fused, std::move(leaves), std::move(program)});
  return AnyArray(std::move(node));
}

namespace {

// The values of a block's leaves as the program's inputs, each of the block's shape or a scalar,
// a slab of rows at a time: the transpose of a whole 2-d block is made slab by slab (into one
// small buffer); other transposed leaves are permuted, and leaves broadcast along some axes
// repeated out to the block's shape, once and whole. Owns the copies it makes.
class ProgramInputs {
 public:
  ProgramInputs(std::span<const Value> in, const std::vector<std::uint8_t>& transposed,
                const Shape& shape)
      : n(static_cast<std::size_t>(element_count(shape))),
        row(shape.empty() || shape[0] == 0 ? n : n / static_cast<std::size_t>(shape[0])) {
    held_.reserve(in.size());
    for (std::size_t leaf = 0; leaf < in.size(); ++leaf) {
      Block b = in[leaf].get<Block>();
      // A strided view of host memory of the block's shape is read a slab of rows at a time,
      // in place; one that is transposed or broadcast is copied whole first.
      if (!b.is_contiguous()) {
        if (!transposed[leaf] && static_cast<std::size_t>(b.size()) == n && n > 1)
          views_.push_back({leaf, Buffer{}});
        else
          b = b.dense();
      }
      // The transpose of a whole 2-d block, read a slab of rows at a time (a 2-d leaf of a
      // block with more axes has its size only when the leading ones are 1: transposed whole).
      const bool whole_transpose =
          transposed[leaf] && shape.size() == 2 && static_cast<std::size_t>(b.size()) == n;
      if (transposed[leaf] && b.size() > 1 && !whole_transpose) {
        const int swap[] = {1, 0};
        b = permute_block(b, swap);  // and broadcast below
      }
      if (static_cast<std::size_t>(b.size()) != n && b.size() != 1) b = repeat_out(b, shape);
      inputs_.push_back(
          {b.dtype, b.data.data(), nullptr, nullptr, static_cast<std::size_t>(b.size())});
      if (whole_transpose && n > 1) flips_.push_back({leaf, Buffer{}});
      held_.push_back(std::move(b));
    }
  }

  // The inputs for rows [first, first + count) of the block (scalars stay scalars); valid until
  // the next call.
  [[nodiscard]] std::vector<expr::Input> rows(std::int64_t first, std::int64_t count) {
    const auto begin = static_cast<std::size_t>(first) * row;
    const auto length = static_cast<std::size_t>(count) * row;
    std::vector<expr::Input> out = inputs_;
    for (auto& i : out) {
      if (i.length != n || n == 1) continue;
      i.data = static_cast<const std::byte*>(i.data) + begin * element_size(i.type);
      i.length = length;
    }
    for (auto& [leaf, scratch] : flips_) {
      const Block& base = held_[leaf];
      transpose_rows_into(base, first, count, room(scratch, length, base.dtype));
      out[leaf].data = scratch.data();
    }
    for (auto& [leaf, scratch] : views_) {
      const Block& base = held_[leaf];
      base.copy_rows(first, count, room(scratch, length, base.dtype));
      out[leaf].data = scratch.data();
    }
    return out;
  }

  const std::size_t n;    // elements in the block
  const std::size_t row;  // elements in one row (along axis 0) of it; n if it has no rows

 private:
  // A partial broadcast (a row against a matrix): `b` repeated out to `shape`.
  static Block repeat_out(Block b, const Shape& shape) {
    const std::size_t nd = shape.size();
    Shape src_shape(nd, 1);
    std::copy(b.shape.begin(), b.shape.end(),
              src_shape.begin() + static_cast<std::ptrdiff_t>(nd - b.ndim()));
    b.shape = src_shape;  // the same values, with the broadcast axes as length 1
    std::vector<std::vector<std::int64_t>> maps(nd);
    for (std::size_t a = 0; a < nd; ++a)
      for (std::int64_t i = 0; i < shape[a]; ++i) maps[a].push_back(src_shape[a] == 1 ? 0 : i);
    return gather(b, maps);
  }

  // `scratch` grown to hold `length` elements of `type`; its memory.
  static std::byte* room(Buffer& scratch, std::size_t length, DType type) {
    const std::size_t bytes = length * element_size(type);
    if (scratch.size() < bytes) scratch = Buffer::allocate(bytes);
    return scratch.mutable_data();
  }

  struct Slabbed {
    std::size_t leaf;  // a leaf read through its transpose, or a strided view
    Buffer scratch;    // its rows asked for last, row-major
  };
  std::vector<expr::Input> inputs_;
  std::vector<Block> held_;
  std::vector<Slabbed> flips_;
  std::vector<Slabbed> views_;
};

}  // namespace

BlockRecipe block_recipe(const ArrayNode& node, std::span<const std::int64_t> index) {
  const Elementwise& ew = *node.pending;
  BlockRecipe r;
  const Shape out_shape = block_shape(node.chunks, index);
  // Per leaf: its block for this result block (for a transpose, the block it transposes).
  std::vector<std::uint8_t> transposed;
  for (const auto& l : ew.leaves) {
    Shape li(l.ndim(), 0);
    for (std::size_t a = 0; a < node.shape.size(); ++a) {
      int la = leaf_axis(l, node.shape, a);
      if (la >= 0) li[static_cast<std::size_t>(la)] = index[a];
    }
    const bool t = l.node().transpose_of != nullptr;
    r.inputs.push_back(t ? AnyArray(l.node().transpose_of).block_key(Shape{li[1], li[0]})
                         : l.block_key(li));
    transposed.push_back(t);
  }
  const DType type = node.dtype;
  auto program = ew.program;
  r.run = [program, out_shape, type, transposed](std::span<const Value> in,
                                                 std::size_t slab_elements, const SlabSink& sink) {
    ProgramInputs inputs(in, transposed, out_shape);
    const std::int64_t rows = out_shape.empty() ? 1 : out_shape[0];
    const auto step = static_cast<std::int64_t>(
        std::clamp<std::size_t>(slab_elements / std::max<std::size_t>(inputs.row, 1), 1,
                                static_cast<std::size_t>(std::max<std::int64_t>(rows, 1))));
    std::int64_t first = 0;
    do {  // at least once: a block with no rows is one empty slab
      const std::int64_t count = std::min(step, rows - first);
      Shape shape = out_shape;
      if (!shape.empty()) shape[0] = count;
      const std::size_t n = static_cast<std::size_t>(count) * inputs.row;
      expr::Output out = program.run(inputs.rows(first, count), n);
      Block slab{type, std::move(shape), std::move(out.data), {}};
      sink(std::move(slab), first);
      first += count;
    } while (first < rows);
  };
  return r;
}

Block BlockRecipe::make(std::span<const Value> in) const {
  Block block;
  run(in, std::numeric_limits<std::size_t>::max(),
      [&](Block slab, std::int64_t) { block = std::move(slab); });
  return block;
}

std::vector<const Graph*> leaf_graphs(const ArrayNode& node) {
  std::vector<const Graph*> out;
  for (const auto& l : node.pending->leaves) out.push_back(&l.graph());
  return out;
}

namespace {
std::string pending_token(const ArrayNode& node) {
  const Elementwise& ew = *node.pending;
  Hasher h("elementwise");
  h.add(ew.e.to_string());
  for (const auto& l : ew.leaves) h.add(l.token());
  for (const auto& c : node.chunks) h.add_all(c);
  return make_token("elementwise", h.value());
}
}  // namespace

std::string identity(const AnyArray& a) {
  return a.node().is_pending() ? pending_token(a.node()) : a.token();
}

void materialize(const ArrayNode& node) {
  const std::string token = pending_token(node);
  std::vector<Task> tasks;
  const auto deps = leaf_graphs(node);
  for_each_block(node.chunks, [&](std::span<const std::int64_t> idx) {
    BlockRecipe r = block_recipe(node, idx);
    Task t;
    t.key = Key(token, idx);
    t.inputs = std::move(r.inputs);  // the recipe keeps only how to run
    const auto n = element_count(block_shape(node.chunks, idx));
    t.nbytes = static_cast<std::uint64_t>(n) * element_size(node.dtype);
    t.cost = static_cast<double>(n) * 2e-9;
    t.fn = [recipe = std::move(r)](std::span<const Value> in) {
      return Value::of(recipe.make(in));
    };
    tasks.push_back(std::move(t));
  });
  node.graph = Graph(std::move(tasks), std::span<const Graph* const>(deps));
  node.token = token;
}

}  // namespace detail

// ---- public operations ----

AnyArray evaluate(const expr::Expr& e, const std::map<std::string, AnyArray>& arrays) {
  std::vector<std::pair<std::string, AnyArray>> named;
  for (const auto& v : e.variables()) {
    const bool transposed = v.size() > 2 && v.ends_with(".T");
    const std::string base = transposed ? v.substr(0, v.size() - 2) : v;
    auto it = arrays.find(base);
    if (it == arrays.end()) {
      std::vector<std::string> known;
      for (const auto& [k, a] : arrays) known.push_back(k);
      throw UsageError(
          fmt::format("unknown array '{}' in {} (bound: {})", base, e.to_string(),
                      known.empty() ? "none" : fmt::format("{}", fmt::join(known, ", "))));
    }
    named.emplace_back(v, transposed ? it->second.T() : it->second);
  }
  return detail::make_elementwise(e, named);
}

namespace {

AnyArray binary(expr::BinaryOp op, const AnyArray& a, const AnyArray& b) {
  return detail::make_elementwise(
      expr::Expr::binary(op, expr::Expr::variable("a"), expr::Expr::variable("b")),
      {{"a", a}, {"b", b}});
}
AnyArray with_number(expr::BinaryOp op, const AnyArray& a, const Number& b, bool number_first) {
  expr::Expr v = expr::Expr::variable("a");
  return detail::make_elementwise(
      number_first ? expr::Expr::binary(op, b.literal, v) : expr::Expr::binary(op, v, b.literal),
      {{"a", a}});
}

}  // namespace

using expr::BinaryOp;

AnyArray operator+(const AnyArray& a, const AnyArray& b) { return binary(BinaryOp::add, a, b); }
AnyArray operator-(const AnyArray& a, const AnyArray& b) {
  return binary(BinaryOp::subtract, a, b);
}
AnyArray operator*(const AnyArray& a, const AnyArray& b) {
  return binary(BinaryOp::multiply, a, b);
}
AnyArray operator/(const AnyArray& a, const AnyArray& b) { return binary(BinaryOp::divide, a, b); }
AnyArray operator==(const AnyArray& a, const AnyArray& b) { return binary(BinaryOp::equal, a, b); }
AnyArray operator!=(const AnyArray& a, const AnyArray& b) {
  return binary(BinaryOp::not_equal, a, b);
}
AnyArray operator<(const AnyArray& a, const AnyArray& b) { return binary(BinaryOp::less, a, b); }
AnyArray operator<=(const AnyArray& a, const AnyArray& b) {
  return binary(BinaryOp::less_equal, a, b);
}
AnyArray operator>(const AnyArray& a, const AnyArray& b) { return binary(BinaryOp::greater, a, b); }
AnyArray operator>=(const AnyArray& a, const AnyArray& b) {
  return binary(BinaryOp::greater_equal, a, b);
}
AnyArray operator+(const AnyArray& a, const Number& b) {
  return with_number(BinaryOp::add, a, b, false);
}
AnyArray operator+(const Number& a, const AnyArray& b) {
  return with_number(BinaryOp::add, b, a, true);
}
AnyArray operator-(const AnyArray& a, const Number& b) {
  return with_number(BinaryOp::subtract, a, b, false);
}
AnyArray operator-(const Number& a, const AnyArray& b) {
  return with_number(BinaryOp::subtract, b, a, true);
}
AnyArray operator*(const AnyArray& a, const Number& b) {
  return with_number(BinaryOp::multiply, a, b, false);
}
AnyArray operator*(const Number& a, const AnyArray& b) {
  return with_number(BinaryOp::multiply, b, a, true);
}
AnyArray operator/(const AnyArray& a, const Number& b) {
  return with_number(BinaryOp::divide, a, b, false);
}
AnyArray operator/(const Number& a, const AnyArray& b) {
  return with_number(BinaryOp::divide, b, a, true);
}
AnyArray operator==(const AnyArray& a, const Number& b) {
  return with_number(BinaryOp::equal, a, b, false);
}
AnyArray operator!=(const AnyArray& a, const Number& b) {
  return with_number(BinaryOp::not_equal, a, b, false);
}
AnyArray operator<(const AnyArray& a, const Number& b) {
  return with_number(BinaryOp::less, a, b, false);
}
AnyArray operator<=(const AnyArray& a, const Number& b) {
  return with_number(BinaryOp::less_equal, a, b, false);
}
AnyArray operator>(const AnyArray& a, const Number& b) {
  return with_number(BinaryOp::greater, a, b, false);
}
AnyArray operator>=(const AnyArray& a, const Number& b) {
  return with_number(BinaryOp::greater_equal, a, b, false);
}
AnyArray pow(const AnyArray& a, const AnyArray& b) { return binary(BinaryOp::power, a, b); }
AnyArray pow(const AnyArray& a, const Number& b) {
  return with_number(BinaryOp::power, a, b, false);
}

AnyArray operator-(const AnyArray& a) {
  return detail::make_elementwise(
      expr::Expr::unary(expr::UnaryOp::negate, expr::Expr::variable("a")), {{"a", a}});
}

AnyArray where(const AnyArray& c, const AnyArray& a, const AnyArray& b) {
  return detail::make_elementwise(
      expr::Expr::call("where", {expr::Expr::variable("c"), expr::Expr::variable("a"),
                                 expr::Expr::variable("b")}),
      {{"c", c}, {"a", a}, {"b", b}});
}

AnyArray apply(std::string_view function, const AnyArray& a) {
  return detail::make_elementwise(
      expr::Expr::call(std::string(function), {expr::Expr::variable("a")}), {{"a", a}});
}

namespace {

// astype from uint64, which the expression language does not read: a task per block.
AnyArray from_uint64(const AnyArray& a, DType type) {
  if (!computed_dtypes.contains(type)) refuse_array_dtype(type);
  Hasher h("astype-uint64");
  h.add(a.token()).add(static_cast<std::int64_t>(type));
  const std::string token = make_token("astype", h.value());
  std::vector<Task> tasks;
  for_each_block(a.chunks(), [&](std::span<const std::int64_t> idx) {
    Task t;
    t.key = Key(token, idx);
    t.inputs = {a.block_key(idx)};
    const auto n = element_count(block_shape(a.chunks(), idx));
    t.nbytes = static_cast<std::uint64_t>(n) * element_size(type);
    t.cost = static_cast<double>(n) * 1e-9;
    t.fn = [type](std::span<const Value> in) {
      const Block b = in[0].get<Block>().dense();
      Block out = Block::allocate(type, b.shape);
      auto v = b.values<std::uint64_t>();
      visit<computed_dtypes, refuse_array_dtype>(type, [&](auto u) {
        using U = decltype(u);
        auto o = out.mutable_values<U>();
        // NumPy's casts: modulo 2^N to integers (C++20 defines it so), nearest to floats.
        for (std::size_t i = 0; i < v.size(); ++i) o[i] = static_cast<U>(v[i]);
      });
      return Value::of(std::move(out));
    };
    tasks.push_back(std::move(t));
  });
  return detail::make_array(type, a.shape(), a.chunks(), token,
                            Graph(std::move(tasks), {&a.graph()}), a.finally());
}

}  // namespace

AnyArray AnyArray::astype(DType type) const {
  if (type == dtype()) return detail::with_narrow(*this, NarrowInt::none);
  if (dtype() == DType::uint64) return from_uint64(*this, type);
  if (type == DType::uint64)
    throw TypeError(
        fmt::format("astype: arrays of {} are not converted to uint64 (uint64 arrays "
                    "are read from HDF5, and sums and products of unsigned integers)",
                    type_name()));
  if (!computed_dtypes.contains(type)) refuse_array_dtype(type);
  // A cast is an element-wise function: it fuses with the expression around it.
  const char* fn = type == DType::float64   ? "float"
                   : type == DType::float32 ? "float32"
                   : type == DType::int64   ? "int"
                   : type == DType::int32   ? "int32"
                                            : "bool";
  return detail::make_elementwise(expr::Expr::call(fn, {expr::Expr::variable("a")}),
                                  {{"a", *this}});
}

}  // namespace pando
