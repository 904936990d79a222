#include <pando/array/creation.hpp>

#include <pando/array/detail/node.hpp>
#include <pando/core/consensus.hpp>
#include <pando/core/session.hpp>
#include <pando/graph/runtime.hpp>

#include <fmt/format.h>

#include <cmath>
#include <numbers>

namespace pando {

Chunks ChunkSpec::resolve(std::span<const std::int64_t> shape, DType dtype) const {
  if (const auto* block = std::get_if<Shape>(&spec_)) return regular_chunks(shape, *block);
  if (const auto* chunks = std::get_if<Chunks>(&spec_)) {
    check_chunks(shape, *chunks, "chunks");
    return *chunks;
  }
  return auto_chunks(shape, dtype);
}

namespace {

using Fill = std::function<void(Block& block, const Shape& offset)>;

// An array whose every block is made where it is needed, by `fill`.
AnyArray source_array(std::string_view name, const Hasher& h, DType dtype, Shape shape,
                      Chunks chunks, Fill fill) {
  const std::string token = make_token(name, h.value());
  std::vector<Task> tasks;
  tasks.reserve(static_cast<std::size_t>(block_count(chunks)));
  auto shared_fill = std::make_shared<const Fill>(std::move(fill));
  for_each_block(chunks, [&](std::span<const std::int64_t> idx) {
    Task t;
    t.key = Key(token, idx);
    Shape bshape = block_shape(chunks, idx), offset = block_offset(chunks, idx);
    t.nbytes = static_cast<std::uint64_t>(element_count(bshape)) * element_size(dtype);
    t.cost = static_cast<double>(element_count(bshape)) * 1e-9;
    t.fn = [dtype, bshape, offset, shared_fill](std::span<const Value>) {
      Block b = Block::allocate(dtype, bshape);
      (*shared_fill)(b, offset);
      return Value::of(std::move(b));
    };
    tasks.push_back(std::move(t));
  });
  return AnyArray(dtype, std::move(shape), std::move(chunks), token, Graph(std::move(tasks)));
}

template <class F>
void for_each_row(const Block& b, const Shape& offset, const Shape& whole, F&& f) {
  // f(flat index in the whole array of the row's first element, its index in the block, the
  // row's length): rows along the last axis are contiguous on both sides.
  const auto nd = b.shape.size();
  const auto n = b.size();
  if (nd == 0) {
    if (n) f(std::int64_t{0}, std::int64_t{0}, std::int64_t{1});
    return;
  }
  const std::int64_t len = b.shape[nd - 1];
  if (len == 0) return;
  Shape i(nd, 0);
  for (std::int64_t k = 0; k < n; k += len) {
    std::int64_t flat = 0;
    for (std::size_t a = 0; a < nd; ++a) flat = flat * whole[a] + offset[a] + i[a];
    f(flat, k, len);
    for (std::size_t a = nd - 1; a-- > 0;) {
      if (++i[a] < b.shape[a]) break;
      i[a] = 0;
    }
  }
}

template <class T>
void fill_constant(Block& b, double v) {
  auto out = b.mutable_values<T>();
  std::fill(out.begin(), out.end(), static_cast<T>(v));
}

Hasher hasher(std::string_view name, DType dtype, std::span<const std::int64_t> shape,
              const Chunks& chunks) {
  Hasher h(name);
  h.add(static_cast<std::int64_t>(dtype)).add_all(shape);
  for (const auto& c : chunks) h.add_all(c);
  return h;
}

void check_shape(std::span<const std::int64_t> shape, std::string_view what) {
  for (auto s : shape)
    if (s < 0)
      throw ShapeError(fmt::format("{}: negative dimension in shape {}", what, shape_text(shape)));
}

// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011): four
// 32-bit words from a 128-bit counter and a 64-bit key.
std::array<std::uint32_t, 4> philox(std::uint64_t counter, std::uint64_t seed) {
  std::uint32_t c0 = static_cast<std::uint32_t>(counter),
                c1 = static_cast<std::uint32_t>(counter >> 32), c2 = 0, c3 = 0;
  std::uint32_t k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t p0 = std::uint64_t{0xD2511F53u} * c0, p1 = std::uint64_t{0xCD9E8D57u} * c2;
    const auto hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
    const auto hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return {c0, c1, c2, c3};
}

// Two uniform doubles in [0, 1) for element `index`.
std::pair<double, double> uniforms(std::uint64_t index, std::uint64_t seed) {
  auto w = philox(index, seed);
  auto u = [](std::uint32_t hi, std::uint32_t lo) {
    return static_cast<double>(((std::uint64_t{hi} << 32) | lo) >> 11) * 0x1.0p-53;
  };
  return {u(w[0], w[1]), u(w[2], w[3])};
}

template <class F>
AnyArray random_array(std::string_view name, Shape shape, std::uint64_t seed, DType dtype,
                      const ChunkSpec& spec, double a, double b, F&& draw) {
  check_shape(shape, name);
  if (!is_floating(dtype))
    throw TypeError(
        fmt::format("random::{} makes float32 or float64 arrays, not {}", name, to_string(dtype)));
  Chunks chunks = spec.resolve(shape, dtype);
  Hasher h = hasher(name, dtype, shape, chunks);
  h.add(static_cast<std::int64_t>(seed)).add(a).add(b);
  Shape whole = shape;
  return source_array(
      name, h, dtype, std::move(shape), std::move(chunks), [=](Block& blk, const Shape& offset) {
        visit<computed_dtypes, refuse_array_dtype>(dtype, [&](auto t) {
          using T = decltype(t);
          if constexpr (std::is_floating_point_v<T>) {
            auto out = blk.mutable_values<T>();
            for_each_row(blk, offset, whole,
                         [&](std::int64_t flat, std::int64_t k, std::int64_t len) {
                           T* o = out.data() + k;
                           for (std::int64_t j = 0; j < len; ++j) {
                             auto [u1, u2] = uniforms(static_cast<std::uint64_t>(flat + j), seed);
                             o[j] = static_cast<T>(draw(u1, u2, a, b));
                           }
                         });
          }
        });
      });
}

}  // namespace

AnyArray full(Shape shape, double value, DType dtype, const ChunkSpec& spec) {
  check_shape(shape, "full");
  if (!computed_dtypes.contains(dtype)) refuse_array_dtype(dtype);  // before anything runs
  Chunks chunks = spec.resolve(shape, dtype);
  Hasher h = hasher("full", dtype, shape, chunks);
  h.add(value);
  return source_array("full", h, dtype, std::move(shape), std::move(chunks),
                      [dtype, value](Block& b, const Shape&) {
                        visit<computed_dtypes, refuse_array_dtype>(
                            dtype, [&](auto t) { fill_constant<decltype(t)>(b, value); });
                      });
}

AnyArray arange(double start, double stop, double step, DType dtype, const ChunkSpec& spec) {
  if (step == 0) throw ValueError("arange: step must not be zero");
  if (!computed_dtypes.contains(dtype)) refuse_array_dtype(dtype);
  const auto n =
      std::max<std::int64_t>(0, static_cast<std::int64_t>(std::ceil((stop - start) / step)));
  Shape shape{n};
  Chunks chunks = spec.resolve(shape, dtype);
  Hasher h = hasher("arange", dtype, shape, chunks);
  h.add(start).add(step);
  return source_array(
      "arange", h, dtype, std::move(shape), std::move(chunks),
      [dtype, start, step](Block& b, const Shape& offset) {
        visit<computed_dtypes, refuse_array_dtype>(dtype, [&](auto t) {
          using T = decltype(t);
          auto out = b.mutable_values<T>();
          for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = static_cast<T>(
                start + static_cast<double>(offset[0] + static_cast<std::int64_t>(i)) * step);
        });
      });
}

AnyArray linspace(double start, double stop, std::int64_t num, bool endpoint,
                  const ChunkSpec& spec) {
  if (num < 0)
    throw ValueError(fmt::format("linspace: number of samples {} must be non-negative", num));
  const std::int64_t div = endpoint ? num - 1 : num;
  const double step = div > 0 ? (stop - start) / static_cast<double>(div) : 0.0;
  Shape shape{num};
  Chunks chunks = spec.resolve(shape, DType::float64);
  Hasher h = hasher("linspace", DType::float64, shape, chunks);
  h.add(start).add(stop).add(static_cast<std::int64_t>(endpoint));
  return source_array("linspace", h, DType::float64, std::move(shape), std::move(chunks),
                      [=](Block& b, const Shape& offset) {
                        auto out = b.mutable_values<double>();
                        for (std::size_t i = 0; i < out.size(); ++i) {
                          const auto k = offset[0] + static_cast<std::int64_t>(i);
                          // NumPy: i * step + start, and the end point exactly when asked for.
                          out[i] = static_cast<double>(k) * step + start;
                          if (endpoint && num > 1 && k == num - 1) out[i] = stop;
                        }
                      });
}

AnyArray eye(std::int64_t n, std::int64_t m, std::int64_t k, DType dtype, const ChunkSpec& spec) {
  Shape shape{n, m};
  check_shape(shape, "eye");
  if (!computed_dtypes.contains(dtype)) refuse_array_dtype(dtype);
  Chunks chunks = spec.resolve(shape, dtype);
  Hasher h = hasher("eye", dtype, shape, chunks);
  h.add(k);
  return source_array("eye", h, dtype, std::move(shape), std::move(chunks),
                      [dtype, k](Block& b, const Shape& offset) {
                        visit<computed_dtypes, refuse_array_dtype>(dtype, [&](auto t) {
                          using T = decltype(t);
                          fill_constant<T>(b, 0);
                          auto out = b.mutable_values<T>();
                          for (std::int64_t i = 0; i < b.shape[0]; ++i) {
                            const std::int64_t j = offset[0] + i + k - offset[1];
                            if (j >= 0 && j < b.shape[1])
                              out[static_cast<std::size_t>(i * b.shape[1] + j)] = T(1);
                          }
                        });
                      });
}

namespace random {

AnyArray uniform(Shape shape, std::uint64_t seed, double low, double high, DType dtype,
                 const ChunkSpec& chunks) {
  return random_array("uniform", std::move(shape), seed, dtype, chunks, low, high,
                      [](double u1, double, double lo, double hi) { return lo + (hi - lo) * u1; });
}

AnyArray normal(Shape shape, std::uint64_t seed, double mean, double stddev, DType dtype,
                const ChunkSpec& chunks) {
  return random_array("normal", std::move(shape), seed, dtype, chunks, mean, stddev,
                      [](double u1, double u2, double mu, double sigma) {
                        // Box-Muller; 1 - u1 lies in (0, 1], so the log is finite.
                        return mu + sigma * std::sqrt(-2.0 * std::log(1.0 - u1)) *
                                        std::cos(2.0 * std::numbers::pi * u2);
                      });
}

}  // namespace random

AnyArray from_values(Block whole, const ChunkSpec& spec) {
  whole.check();
  Chunks chunks = spec.resolve(whole.shape, whole.dtype);
  Hasher h = hasher("from-values", whole.dtype, whole.shape, chunks);
  // The data defines the array: hash it so different data never shares keys.
  h.add(std::string_view(reinterpret_cast<const char*>(whole.data.data()), whole.data.size()));
  auto source = std::make_shared<const Block>(std::move(whole));
  Shape shape = source->shape;
  DType dtype = source->dtype;
  return source_array("from-values", h, dtype, shape, std::move(chunks),
                      [source](Block& b, const Shape& offset) {
                        Shape zero(b.ndim(), 0);
                        detail::copy_region(*source, offset, b, zero, b.shape);
                      });
}

AnyArray from_local(const Block& mine, int axis) {
  return from_local(std::vector<Block>{mine}, axis);
}

AnyArray from_local(const std::vector<Block>& mine, int axis) {
  const Comm& comm = SessionBase::current().comm();
  // What each rank holds, as numbers: dtype and ndim of its first block (-1 for none), then the
  // shape of every block. Every rank checks every rank's description against rank 0's first
  // block, so a mismatch is the same error everywhere; a malformed block on one rank is that
  // rank's error, on every rank.
  auto all = allgather_checked(comm, [&] {
    for (const Block& b : mine) b.check();
    std::vector<std::int64_t> desc;
    desc.push_back(mine.empty() ? -1 : static_cast<std::int64_t>(mine[0].dtype));
    desc.push_back(mine.empty() ? -1 : static_cast<std::int64_t>(mine[0].ndim()));
    for (const Block& b : mine) {
      desc.push_back(static_cast<std::int64_t>(b.dtype));
      desc.insert(desc.end(), b.shape.begin(), b.shape.end());
    }
    return desc;
  });
  int first = -1;  // the lowest rank that holds a block: the reference
  for (int r = 0; r < comm.size() && first < 0; ++r)
    if (all.part(r)[0] >= 0) first = r;
  if (first < 0) throw ShapeError("from_local: no rank holds a block");
  const auto ref = all.part(first);
  const auto dtype = static_cast<DType>(ref[0]);
  const auto nd = static_cast<std::size_t>(ref[1]);
  if (nd == 0) throw ShapeError("from_local: a 0-d block cannot be a slab of an array");
  const auto ax = static_cast<std::size_t>(detail::normalize_axes({axis}, nd, "from_local")[0]);
  const auto ref_shape = ref.subspan(3, nd);

  Shape shape(ref_shape.begin(), ref_shape.end());
  shape[ax] = 0;
  Chunks chunks(nd);
  for (std::size_t a = 0; a < nd; ++a)
    if (a != ax) chunks[a] = {ref_shape[a]};
  std::vector<int> owner;  // per slab
  for (int r = 0; r < comm.size(); ++r) {
    auto d = all.part(r).subspan(2);
    for (std::size_t k = 0; k < d.size(); k += nd + 1) {
      auto block_shape = d.subspan(k + 1, std::min(nd, d.size() - k - 1));
      if (d[k] != ref[0] || block_shape.size() != nd || d.size() - k < nd + 1)
        throw ShapeError(fmt::format(
            "from_local: rank {} holds a block of another type or dimension than rank {} ({} "
            "with {} axes)",
            r, first, to_string(dtype), nd));
      for (std::size_t a = 0; a < nd; ++a)
        if (a != ax && block_shape[a] != ref_shape[a])
          throw ShapeError(fmt::format(
              "from_local: rank {} holds a block of shape {}, which does not line up with rank "
              "{}'s {} along axis {}",
              r, shape_text(block_shape), first, shape_text(ref_shape), a));
      chunks[ax].push_back(block_shape[ax]);
      shape[ax] += block_shape[ax];
      owner.push_back(r);
    }
  }
  const std::string token =
      make_token("from-local", static_cast<std::uint64_t>(Runtime::current().next_sequence()));
  std::vector<Task> tasks;
  // This rank's blocks share their bytes: no copy.
  auto local = std::make_shared<const std::vector<Block>>(mine);
  std::size_t my_first = 0;
  for (std::size_t k = 0; k < owner.size() && owner[k] < comm.rank(); ++k) my_first = k + 1;
  for (std::size_t k = 0; k < owner.size(); ++k) {
    Shape idx(nd, 0);
    idx[ax] = static_cast<std::int64_t>(k);
    Task t;
    t.key = Key(token, idx);
    t.placement = Placement::on_rank(owner[k]);
    Shape block_shape = shape;
    block_shape[ax] = chunks[ax][k];
    t.nbytes = static_cast<std::uint64_t>(element_count(block_shape)) * element_size(dtype);
    // Runs on its owner only, where `local` holds that rank's own blocks.
    t.fn = [local, at = k - std::min(k, my_first)](std::span<const Value>) {
      return Value::of(local->at(at));
    };
    tasks.push_back(std::move(t));
  }
  return AnyArray(dtype, std::move(shape), std::move(chunks), token, Graph(std::move(tasks)));
}

}  // namespace pando
