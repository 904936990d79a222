#include <pando/array/detail/node.hpp>

#include <pando/graph/runtime.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <set>

namespace pando {

namespace detail {

AnyArray make_array(DType dtype, Shape shape, Chunks chunks, std::string token, Graph graph,
                    std::vector<Key> finally, NarrowInt narrow) {
  check_chunks(shape, chunks, "array");
  if (narrow != NarrowInt::none && holding_type(narrow) != dtype)
    throw TypeError(
        fmt::format("an array of {} cannot hold {} values", to_string(dtype), to_string(narrow)));
  auto n = std::make_shared<ArrayNode>();
  n->dtype = dtype;
  n->narrow = narrow;
  n->shape = std::move(shape);
  n->chunks = std::move(chunks);
  n->token = std::move(token);
  n->graph = std::move(graph);
  n->finally = std::move(finally);
  return AnyArray(std::move(n));
}

AnyArray with_narrow(const AnyArray& a, NarrowInt narrow) {
  if (a.narrow() == narrow) return a;
  if (narrow != NarrowInt::none && holding_type(narrow) != a.dtype())
    throw TypeError(fmt::format("an array of {} cannot hold {} values", to_string(a.dtype()),
                                to_string(narrow)));
  (void)a.token();  // a pending expression gets its tasks once, shared by both handles
  auto n = std::make_shared<ArrayNode>(a.node());
  n->narrow = narrow;
  return AnyArray(std::move(n));
}

std::vector<Key> merge_finally(std::initializer_list<const AnyArray*> arrays) {
  std::vector<Key> out;
  for (const AnyArray* a : arrays)
    for (const Key& k : a->finally())
      if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
  return out;
}

void copy_region(const Block& src, std::span<const std::int64_t> src_start, Block& dst,
                 std::span<const std::int64_t> dst_start, std::span<const std::int64_t> count) {
  const std::size_t nd = count.size();
  const std::size_t item = element_size(src.dtype);
  if (element_count(count) == 0) return;
  if (nd == 0) {
    std::memcpy(dst.data.mutable_data(), src.data.data(), item);
    return;
  }
  // Row-major strides in elements.
  auto strides = [nd](const Shape& shape) {
    std::vector<std::int64_t> s(nd, 1);
    for (std::size_t a = nd - 1; a-- > 0;) s[a] = s[a + 1] * shape[a + 1];
    return s;
  };
  const auto ss = strides(src.shape), ds = strides(dst.shape);
  const std::size_t run = static_cast<std::size_t>(count[nd - 1]) * item;
  std::vector<std::int64_t> i(nd, 0);  // position within the region, last axis fixed at 0
  const auto* from = src.data.data();
  auto* to = dst.data.mutable_data();
  while (true) {
    std::int64_t so = 0, doff = 0;
    for (std::size_t a = 0; a < nd; ++a) {
      so += (src_start[a] + i[a]) * ss[a];
      doff += (dst_start[a] + i[a]) * ds[a];
    }
    std::memcpy(to + doff * static_cast<std::int64_t>(item),
                from + so * static_cast<std::int64_t>(item), run);
    std::size_t a = nd - 1;
    while (a-- > 0) {
      if (++i[a] < count[a]) break;
      i[a] = 0;
    }
    if (a == static_cast<std::size_t>(-1)) return;
  }
}

std::vector<int> normalize_axes(std::vector<int> axes, std::size_t ndim, std::string_view what) {
  if (axes.empty()) {
    axes.resize(ndim);
    for (std::size_t a = 0; a < ndim; ++a) axes[a] = static_cast<int>(a);
    return axes;
  }
  std::set<int> seen;
  for (int& a : axes) {
    int orig = a;
    if (a < 0) a += static_cast<int>(ndim);
    if (a < 0 || a >= static_cast<int>(ndim))
      throw ShapeError(fmt::format("{}: axis {} is out of range for an array of {} dimension{}",
                                   what, orig, ndim, ndim == 1 ? "" : "s"));
    if (!seen.insert(a).second)
      throw ShapeError(fmt::format("{}: axis {} given twice", what, orig));
  }
  std::sort(axes.begin(), axes.end());
  return axes;
}

namespace {

std::vector<Key> block_keys(const AnyArray& a) {
  std::vector<Key> keys;
  keys.reserve(static_cast<std::size_t>(block_count(a.chunks())));
  for_each_block(a.chunks(),
                 [&](std::span<const std::int64_t> idx) { keys.push_back(a.block_key(idx)); });
  return keys;
}

}  // namespace

}  // namespace detail

using detail::ArrayNode;

AnyArray::AnyArray(DType dtype, Shape shape, Chunks chunks, std::string token, Graph graph,
                   std::vector<Key> finally)
    : AnyArray(detail::make_array(dtype, std::move(shape), std::move(chunks), std::move(token),
                                  std::move(graph), std::move(finally))) {}

const ArrayNode& AnyArray::node() const {
  if (!node_) throw UsageError("an empty pando::Array was used (it was default-constructed)");
  return *node_;
}

DType AnyArray::dtype() const { return node().dtype; }
NarrowInt AnyArray::narrow() const { return node().narrow; }
std::string_view AnyArray::type_name() const {
  return node().narrow == NarrowInt::none ? to_string(node().dtype) : to_string(node().narrow);
}
const Shape& AnyArray::shape() const { return node().shape; }
const Chunks& AnyArray::chunks() const { return node().chunks; }
const std::vector<Key>& AnyArray::finally() const { return node().finally; }

const std::string& AnyArray::token() const {
  if (node().is_pending()) detail::materialize(node());
  return node().token;
}

const Graph& AnyArray::graph() const {
  if (node().is_pending()) detail::materialize(node());
  return node().graph;
}

Key AnyArray::block_key(std::span<const std::int64_t> index) const { return Key(token(), index); }

Block AnyArray::compute() const { return pando::compute(std::vector<AnyArray>{*this})[0]; }

std::vector<Block> compute(const std::vector<AnyArray>& arrays) {
  std::vector<Key> keys, finally;
  std::vector<const Graph*> graphs;
  for (const auto& a : arrays) {
    auto k = detail::block_keys(a);
    keys.insert(keys.end(), k.begin(), k.end());
    graphs.push_back(&a.graph());
    for (const Key& f : a.finally())
      if (std::find(finally.begin(), finally.end(), f) == finally.end()) finally.push_back(f);
  }
  auto values = Runtime::current().compute(Graph::merge(std::span<const Graph* const>(graphs)),
                                           keys, Delivery::everywhere, finally);
  std::vector<Block> out;
  std::size_t next = 0;
  for (const auto& a : arrays) {
    Block whole = Block::allocate(a.dtype(), a.shape());
    for_each_block(a.chunks(), [&](std::span<const std::int64_t> idx) {
      const Block b = values[next++].get<Block>().dense();
      Shape zero(b.ndim(), 0);
      detail::copy_region(b, zero, whole, block_offset(a.chunks(), idx), b.shape);
    });
    out.push_back(std::move(whole));
  }
  return out;
}

AnyArray AnyArray::persist() const {
  if (node().pin) return *this;  // persisted already
  auto keys = detail::block_keys(*this);
  Runtime::current().persist(graph(), keys, finally());
  auto n = std::make_shared<ArrayNode>();
  n->dtype = dtype();
  n->narrow = narrow();
  n->shape = shape();
  n->chunks = chunks();
  n->token = token();
  n->attributes = node().attributes;
  n->pin = Runtime::pin(std::move(keys));
  n->graph = Graph::pinned(n->pin);  // arrays built on this one keep its blocks
  return AnyArray(std::move(n));
}

std::vector<Delayed<Block>> AnyArray::to_delayed() const {
  // Custom code cannot run the finishing tasks (closing a file): run the blocks first, then
  // hand out the persisted blocks.
  const AnyArray source = finally().empty() ? *this : persist();
  std::vector<Delayed<Block>> out;
  const Graph& g = source.graph();
  for_each_block(chunks(), [&](std::span<const std::int64_t> idx) {
    out.emplace_back(source.block_key(idx), g);
  });
  return out;
}

AnyArray AnyArray::from_delayed(const std::vector<Delayed<Block>>& blocks, DType dtype, Shape shape,
                                Chunks chunks) {
  check_chunks(shape, chunks, "from_delayed");
  if (static_cast<std::int64_t>(blocks.size()) != block_count(chunks))
    throw ShapeError(
        fmt::format("from_delayed: {} blocks given for a grid of {} blocks (chunks {})",
                    blocks.size(), block_count(chunks), chunks_text(chunks)));
  Hasher h("from-delayed");
  for (const auto& d : blocks) h.add(d.key().str());
  const std::string token = make_token("from-delayed", h.value());
  std::vector<Task> tasks;
  std::vector<const Graph*> deps;
  std::size_t k = 0;
  for_each_block(chunks, [&](std::span<const std::int64_t> idx) {
    Task t;
    t.key = Key(token, idx);
    t.inputs = {blocks[k].key()};
    Shape want = block_shape(chunks, idx);
    t.fn = [dtype, want](std::span<const Value> in) {
      const Block& b = in[0].get<Block>();
      if (b.dtype != dtype || b.shape != want)
        throw ShapeError(fmt::format("from_delayed: a block of {} {} where {} {} was declared",
                                     to_string(b.dtype), shape_text(b.shape), to_string(dtype),
                                     shape_text(want)));
      return in[0];
    };
    deps.push_back(&blocks[k].graph());
    ++k;
    tasks.push_back(std::move(t));
  });
  return AnyArray(dtype, std::move(shape), std::move(chunks), token,
                  Graph(std::move(tasks), std::span<const Graph* const>(deps)));
}

template <class T>
T LocalArray<T>::operator()(std::initializer_list<std::int64_t> index) const {
  if (index.size() != ndim())
    throw ShapeError(
        fmt::format("{} indices for an array of shape {}", index.size(), shape_text(shape())));
  std::int64_t flat = 0;
  std::size_t a = 0;
  for (auto i : index) {
    if (i < 0 || i >= shape()[a])
      throw ShapeError(
          fmt::format("index {} is out of bounds for axis {} with size {}", i, a, shape()[a]));
    flat = flat * shape()[a++] + i;
  }
  return values()[static_cast<std::size_t>(flat)];
}

template class LocalArray<bool>;
template class LocalArray<std::int32_t>;
template class LocalArray<std::int64_t>;
template class LocalArray<std::uint64_t>;
template class LocalArray<float>;
template class LocalArray<double>;

}  // namespace pando
