// Structure: slicing, transpose, reshape, concatenate, stack, rechunk, map_blocks and
// map_overlap. Each output block is made from pieces of input blocks: a piece is cut where its
// block lives (so only the bytes needed travel), and the output block is assembled from its
// pieces. Rechunking is thus an all-to-all exchange of pieces between the ranks, streamed
// block by block, never a gather. A piece that is a box of its block is not copied out: it is
// the block and the box (BlockPiece), and only a piece sent to another rank is cut (its codec).

#include <pando/array/detail/node.hpp>
#include <pando/array/detail/reduce.hpp>
#include <pando/graph/runtime.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace pando {

namespace detail {

// A box [start, start + count) of a block: what a piece task hands to the assembling task.
struct BlockPiece {
  Block block;
  Shape start, count;

  static BlockPiece whole_of(Block b) {
    Shape count = b.shape;
    return {std::move(b), Shape(count.size(), 0), std::move(count)};
  }
  [[nodiscard]] bool whole() const {
    return count == block.shape &&
           std::all_of(start.begin(), start.end(), [](auto s) { return s == 0; });
  }
};

}  // namespace detail

// On the wire only the box travels, as a block of its own.
template <>
struct Codec<detail::BlockPiece> {
  static Encoded encode(const detail::BlockPiece& p, const std::shared_ptr<const void>& owner) {
    Block box = p.block;
    if (!p.whole()) {
      box = Block::allocate(p.block.dtype, p.count);
      detail::copy_region(p.block, p.start, box, Shape(p.count.size(), 0), p.count);
    }
    Encoded e = Codec<Block>::encode(box, owner);
    e.type = type_tag<detail::BlockPiece>();
    return e;
  }
  static detail::BlockPiece decode(const Encoded& e) {
    return detail::BlockPiece::whole_of(Codec<Block>::decode(e));
  }
  static std::size_t nbytes(const detail::BlockPiece& p) {
    return static_cast<std::size_t>(element_count(p.count)) * element_size(p.block.dtype);
  }
};

namespace detail {

namespace {

std::vector<std::int64_t> row_strides(const Shape& shape) {
  std::vector<std::int64_t> s(shape.size(), 1);
  for (std::size_t a = shape.size(); a-- > 1;) s[a - 1] = s[a] * shape[a];
  return s;
}

// Whether coordinates follow each other one by one (a run; an empty list is one).
bool consecutive(const std::vector<std::int64_t>& m) {
  return std::adjacent_find(m.begin(), m.end(), [](auto a, auto b) { return b != a + 1; }) ==
         m.end();
}

}  // namespace

Block gather(const Block& src, const std::vector<std::vector<std::int64_t>>& maps) {
  Shape shape;
  for (const auto& m : maps) shape.push_back(static_cast<std::int64_t>(m.size()));
  Block out = Block::allocate(src.dtype, shape);
  const auto n = element_count(shape);
  if (n == 0) return out;
  const std::size_t nd = shape.size(), item = element_size(src.dtype);
  if (nd == 0) {
    std::memcpy(out.data.mutable_data(), src.data.data(), item);
    return out;
  }
  const auto ss = row_strides(src.shape);
  const auto& last = maps.back();
  const bool contiguous = consecutive(last);
  const auto* from = src.data.data();
  auto* to = out.data.mutable_data();
  const auto row = shape.back();
  std::vector<std::int64_t> i(nd, 0);
  for (std::int64_t r = 0; r < n / row; ++r) {
    std::int64_t base = 0;
    for (std::size_t a = 0; a + 1 < nd; ++a)
      base += maps[a][static_cast<std::size_t>(i[a])] * ss[a];
    if (contiguous) {
      std::memcpy(to, from + (base + last[0]) * static_cast<std::int64_t>(item),
                  static_cast<std::size_t>(row) * item);
      to += row * static_cast<std::int64_t>(item);
    } else {
      for (auto c : last) {
        std::memcpy(to, from + (base + c) * static_cast<std::int64_t>(item), item);
        to += item;
      }
    }
    for (std::size_t a = nd - 1; a-- > 0;) {
      if (++i[a] < shape[a]) break;
      i[a] = 0;
    }
  }
  return out;
}

namespace {

std::vector<std::int64_t> iota(std::int64_t start, std::int64_t count) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(count));
  std::iota(v.begin(), v.end(), start);
  return v;
}

// Tasks that cut pieces out of input blocks and assemble output blocks from them.
class PieceWork {
 public:
  PieceWork(const AnyArray& in, std::string name, const Hasher& h)
      : in_(in),
        piece_token_(make_token(name + "-piece", h.value())),
        out_token_(make_token(name, h.value())) {}

  [[nodiscard]] const std::string& out_token() const { return out_token_; }

  // A piece of input block `src`: element (i0, i1, ...) of the piece is src[maps0[i0], ...].
  // Returns its key. Cut where the block lives.
  Key piece(std::span<const std::int64_t> src, std::vector<std::vector<std::int64_t>> maps) {
    Shape idx(src.begin(), src.end());
    idx.push_back(next_piece_++);
    Task t;
    t.key = Key(piece_token_, idx);
    t.inputs = {in_.block_key(src)};
    t.placement = Placement::with_input(0);
    std::int64_t n = 1;
    for (const auto& m : maps) n *= static_cast<std::int64_t>(m.size());
    t.nbytes = static_cast<std::uint64_t>(n) * element_size(in_.dtype());
    // A box: every map a run of consecutive coordinates.
    const bool box = std::all_of(maps.begin(), maps.end(), consecutive);
    t.fn = [maps = std::move(maps), box](std::span<const Value> v) {
      const Block b = v[0].get<Block>().dense();
      if (!box) return Value::of(BlockPiece::whole_of(gather(b, maps)));
      Shape start, count;
      for (const auto& m : maps) {
        start.push_back(m.empty() ? 0 : m.front());
        count.push_back(static_cast<std::int64_t>(m.size()));
      }
      return Value::of(BlockPiece{b, std::move(start), std::move(count)});
    };
    tasks_.push_back(std::move(t));
    return tasks_.back().key;
  }

  // Output block `out` of `shape`: each piece copied in at its offset, then `finish` applied.
  void assemble(std::span<const std::int64_t> out, Shape shape, std::vector<Key> pieces,
                std::vector<Shape> offsets, std::function<Block(Block)> finish = {}) {
    Task t;
    t.key = Key(out_token_, out);
    t.inputs = std::move(pieces);
    const DType dtype = in_.dtype();
    t.nbytes = static_cast<std::uint64_t>(element_count(shape)) * element_size(dtype);
    t.fn = [dtype, shape = std::move(shape), offsets = std::move(offsets),
            finish = std::move(finish)](std::span<const Value> v) {
      Block b;
      if (v.size() == 1 && v[0].get<BlockPiece>().whole() &&
          v[0].get<BlockPiece>().block.shape == shape) {
        b = v[0].get<BlockPiece>().block;  // one whole block: no copy
      } else {
        b = Block::allocate(dtype, shape);
        for (std::size_t i = 0; i < v.size(); ++i) {
          const BlockPiece& p = v[i].get<BlockPiece>();
          copy_region(p.block, p.start, b, offsets[i], p.count);
        }
      }
      return Value::of(finish ? finish(std::move(b)) : std::move(b));
    };
    tasks_.push_back(std::move(t));
  }

  // An array of the input's type (and narrow type), or of `dtype`.
  AnyArray result(Shape shape, Chunks chunks, std::optional<DType> dtype = std::nullopt) {
    return make_array(dtype.value_or(in_.dtype()), std::move(shape), std::move(chunks), out_token_,
                      Graph(std::move(tasks_), {&in_.graph()}), in_.finally(),
                      dtype ? NarrowInt::none : in_.narrow());
  }

 private:
  const AnyArray& in_;
  std::string piece_token_, out_token_;
  std::vector<Task> tasks_;
  std::int64_t next_piece_ = 0;
};

// Which chunk of an axis holds coordinate c, and where in it.
std::pair<std::int64_t, std::int64_t> locate(const std::vector<std::int64_t>& offsets,
                                             std::int64_t c) {
  auto it = std::upper_bound(offsets.begin(), offsets.end(), c);
  const auto k = static_cast<std::int64_t>(it - offsets.begin()) - 1;
  return {k, c - offsets[static_cast<std::size_t>(k)]};
}

// Output blocks made of gathers from the input: along each axis, the output block's
// coordinates map to input coordinates (coords[a][block][i]); every input block they touch
// contributes one piece.
AnyArray gather_blocks(const AnyArray& in, std::string name, const Hasher& h, Shape out_shape,
                       Chunks out_chunks,
                       const std::vector<std::vector<std::vector<std::int64_t>>>& coords,
                       std::function<Block(Block)> finish = {}) {
  PieceWork work(in, std::move(name), h);
  const std::size_t nd = in.ndim();
  std::vector<std::vector<std::int64_t>> in_offsets;
  for (const auto& c : in.chunks()) in_offsets.push_back(chunk_offsets(c));
  for_each_block(out_chunks, [&](std::span<const std::int64_t> ob) {
    // Per axis: the input chunks touched, and for each the (local source, output position) pairs.
    struct Run {
      std::int64_t chunk;
      std::vector<std::int64_t> src, dst;
    };
    std::vector<std::vector<Run>> runs(nd);
    for (std::size_t a = 0; a < nd; ++a) {
      const auto& cs = coords[a][static_cast<std::size_t>(ob[a])];
      for (std::size_t i = 0; i < cs.size(); ++i) {
        auto [k, local] = locate(in_offsets[a], cs[i]);
        if (runs[a].empty() || runs[a].back().chunk != k) runs[a].push_back({k, {}, {}});
        runs[a].back().src.push_back(local);
        runs[a].back().dst.push_back(static_cast<std::int64_t>(i));
      }
    }
    Shape shape = block_shape(out_chunks, ob);
    std::vector<Key> pieces;
    std::vector<Shape> offsets;
    if (element_count(shape) > 0) {
      // Every combination of runs over the axes is one piece.
      Chunks combos;
      for (std::size_t a = 0; a < nd; ++a)
        combos.push_back(std::vector<std::int64_t>(runs[a].size(), 1));
      for_each_block(combos, [&](std::span<const std::int64_t> pick) {
        Shape src(nd), at(nd);
        std::vector<std::vector<std::int64_t>> maps(nd);
        for (std::size_t a = 0; a < nd; ++a) {
          const Run& r = runs[a][static_cast<std::size_t>(pick[a])];
          src[a] = r.chunk;
          maps[a] = r.src;
          at[a] = r.dst.front();  // runs are contiguous in the output
        }
        pieces.push_back(work.piece(src, std::move(maps)));
        offsets.push_back(std::move(at));
      });
    } else {
      Shape src(nd, 0);  // an empty block still needs a task: cut nothing from block 0
      pieces.push_back(work.piece(src, std::vector<std::vector<std::int64_t>>(nd)));
      offsets.push_back(Shape(nd, 0));
    }
    work.assemble(ob, shape, std::move(pieces), std::move(offsets), finish);
  });
  return work.result(std::move(out_shape), std::move(out_chunks));
}

// Coordinates of each chunk of an axis: [offset, offset + size).
std::vector<std::vector<std::int64_t>> identity_coords(const std::vector<std::int64_t>& chunks) {
  std::vector<std::vector<std::int64_t>> out;
  std::int64_t at = 0;
  for (auto c : chunks) {
    out.push_back(iota(at, c));
    at += c;
  }
  return out;
}

Hasher op_hasher(std::string_view name, const AnyArray& in) {
  Hasher h(name);
  h.add(in.token());
  return h;
}

#if defined(__x86_64__)
// An 8x8 tile of 8-byte values in registers: rows src[k * stride + 0..7] become rows
// dst[m * dst_stride + 0..7] (dst[m][k] = src[k][m]). Shuffles move bits as they are, so this
// serves int64 as well as double.
__attribute__((target("avx512f"))) void transpose_tile_8x8(const void* src, std::int64_t stride,
                                                           void* dst, std::int64_t dst_stride) {
  const auto* s = static_cast<const double*>(src);
  auto* d = static_cast<double*>(dst);
  __m512d r[8], t[8], u[8];
  for (int k = 0; k < 8; ++k) r[k] = _mm512_loadu_pd(s + k * stride);
  // Pairs of rows interleaved: t[2p] holds the even columns of rows 2p, 2p+1, t[2p+1] the odd.
  // (Two-source permutes, not unpacklo/hi: GCC 12's headers for those warn of an uninitialized
  // mask operand.)
  const __m512i even = _mm512_setr_epi64(0, 8, 2, 10, 4, 12, 6, 14);
  const __m512i odd = _mm512_setr_epi64(1, 9, 3, 11, 5, 13, 7, 15);
  for (int p = 0; p < 4; ++p) {
    t[2 * p] = _mm512_permutex2var_pd(r[2 * p], even, r[2 * p + 1]);
    t[2 * p + 1] = _mm512_permutex2var_pd(r[2 * p], odd, r[2 * p + 1]);
  }
  // Quads of rows: columns {0,4}, {2,6}, {1,5}, {3,7} of rows 0-3 (u[0..3]) and 4-7 (u[4..7]).
  const __m512i lo = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13);
  const __m512i hi = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
  for (int q = 0; q < 2; ++q) {
    u[4 * q + 0] = _mm512_permutex2var_pd(t[4 * q + 0], lo, t[4 * q + 2]);
    u[4 * q + 1] = _mm512_permutex2var_pd(t[4 * q + 0], hi, t[4 * q + 2]);
    u[4 * q + 2] = _mm512_permutex2var_pd(t[4 * q + 1], lo, t[4 * q + 3]);
    u[4 * q + 3] = _mm512_permutex2var_pd(t[4 * q + 1], hi, t[4 * q + 3]);
  }
  // All eight rows: the low halves give columns 0, 2, 1, 3, the high halves 4, 6, 5, 7.
  const __m512i low_half = _mm512_setr_epi64(0, 1, 2, 3, 8, 9, 10, 11);
  const __m512i high_half = _mm512_setr_epi64(4, 5, 6, 7, 12, 13, 14, 15);
  constexpr int column_of[4] = {0, 2, 1, 3};
  for (int k = 0; k < 4; ++k) {
    const int m = column_of[k];
    _mm512_storeu_pd(d + m * dst_stride, _mm512_permutex2var_pd(u[k], low_half, u[k + 4]));
    _mm512_storeu_pd(d + (m + 4) * dst_stride, _mm512_permutex2var_pd(u[k], high_half, u[k + 4]));
  }
}

bool has_avx512() {
  static const bool yes = __builtin_cpu_supports("avx512f");
  return yes;
}
#endif

// dst (r x c) = transpose of src (c x r, rows `stride` apart), in 8x8 tiles: each tile reads
// 8 whole cache lines of src and writes 8 of dst. Rows of a power-of-two length fall in the
// same cache set, so larger tiles evict their own lines (measured on 1024x1024 doubles: 32x32
// tiles 6.4 GB/s, 8x8 11.9). Tiles of 8-byte values move through AVX-512 registers where the
// CPU has them.
template <class T>
void transpose_2d(const T* src, std::int64_t stride, T* dst, std::int64_t r, std::int64_t c) {
  constexpr std::int64_t tile = 8;
  [[maybe_unused]] bool registers = false;  // whole tiles through AVX-512 registers
#if defined(__x86_64__)
  if constexpr (sizeof(T) == 8) registers = has_avx512();
#endif
  auto whole_tile = [&](std::int64_t i0, std::int64_t j0) {
#if defined(__x86_64__)
    if (registers) return transpose_tile_8x8(src + j0 * stride + i0, stride, dst + i0 * c + j0, c);
#endif
    for (std::int64_t j = j0; j < j0 + tile; ++j)
      for (std::int64_t i = i0; i < i0 + tile; ++i) dst[i * c + j] = src[j * stride + i];
  };
  std::int64_t i0 = 0;
  for (; i0 + tile <= r; i0 += tile) {
    std::int64_t j0 = 0;
    for (; j0 + tile <= c; j0 += tile) whole_tile(i0, j0);
    for (std::int64_t j = j0; j < c; ++j)
      for (std::int64_t i = i0; i < i0 + tile; ++i) dst[i * c + j] = src[j * stride + i];
  }
  for (std::int64_t i = i0; i < r; ++i)
    for (std::int64_t j = 0; j < c; ++j) dst[i * c + j] = src[j * stride + i];
}

}  // namespace

void transpose_rows_into(const Block& x, std::int64_t first, std::int64_t count, std::byte* out) {
  if (x.ndim() != 2 || first < 0 || count < 0 || first + count > x.shape[1])
    throw ShapeError(
        fmt::format("transpose_rows_into: rows {}..{} of the transpose of a block of {}", first,
                    first + count, shape_text(x.shape)));
  visit<computed_dtypes, refuse_array_dtype>(x.dtype, [&](auto t) {
    using T = decltype(t);
    transpose_2d(x.values<T>().data() + first, x.shape[1], reinterpret_cast<T*>(out), count,
                 x.shape[0]);
  });
}

Block permute_block(const Block& x, std::span<const int> perm) {
  if (x.dtype == DType::uint64) {  // moved as the int64 bits they are: no code of its own
    Block bits{DType::int64, x.shape, x.data, {}};
    Block out = permute_block(bits, perm);
    out.dtype = DType::uint64;
    return out;
  }
  const std::size_t nd = x.ndim();
  Shape shape(nd);
  for (std::size_t a = 0; a < nd; ++a) shape[a] = x.shape[static_cast<std::size_t>(perm[a])];
  Block out = Block::allocate(x.dtype, shape);
  const auto n = x.size();
  if (n == 0) return out;
  const std::size_t item = element_size(x.dtype);
  const auto xs = row_strides(x.shape);
  std::vector<std::int64_t> step(nd);  // source stride of each output axis
  for (std::size_t a = 0; a < nd; ++a) step[a] = xs[static_cast<std::size_t>(perm[a])];
  visit<computed_dtypes, refuse_array_dtype>(x.dtype, [&](auto t) {
    using T = decltype(t);
    const T* src = x.values<T>().data();
    T* dst = out.mutable_values<T>().data();
    if (nd == 2 && perm[0] == 1) {
      transpose_2d(src, shape[0], dst, shape[0], shape[1]);
      return;
    }
    std::vector<std::int64_t> i(nd, 0);
    std::int64_t off = 0;
    for (std::int64_t k = 0; k < n; ++k) {
      dst[k] = src[off];
      for (std::size_t a = nd; a-- > 0;) {
        off += step[a];
        if (++i[a] < shape[a]) break;
        off -= step[a] * shape[a];
        i[a] = 0;
      }
    }
  });
  (void)item;
  return out;
}

}  // namespace detail

using detail::gather_blocks;
using detail::identity_coords;
using detail::op_hasher;

// ---- transpose ----

AnyArray AnyArray::transpose(std::vector<int> axes) const {
  const std::size_t nd = ndim();
  if (axes.empty())
    for (std::size_t a = nd; a-- > 0;) axes.push_back(static_cast<int>(a));
  if (axes.size() != nd)
    throw ShapeError(
        fmt::format("transpose: {} axes given for an array of {} dimensions", axes.size(), nd));
  auto sorted = detail::normalize_axes(axes, nd, "transpose");
  for (auto& a : axes)
    if (a < 0) a += static_cast<int>(nd);
  (void)sorted;
  Shape shape(nd);
  Chunks chunks(nd);
  for (std::size_t a = 0; a < nd; ++a) {
    shape[a] = this->shape()[static_cast<std::size_t>(axes[a])];
    chunks[a] = this->chunks()[static_cast<std::size_t>(axes[a])];
  }
  Hasher h = op_hasher("transpose", *this);
  h.add_all(axes);
  const std::string token = make_token("transpose", h.value());
  std::vector<Task> tasks;
  for_each_block(chunks, [&](std::span<const std::int64_t> ob) {
    Shape ib(nd);
    for (std::size_t a = 0; a < nd; ++a) ib[static_cast<std::size_t>(axes[a])] = ob[a];
    Task t;
    t.key = Key(token, ob);
    t.inputs = {block_key(ib)};
    t.nbytes =
        static_cast<std::uint64_t>(element_count(block_shape(chunks, ob))) * element_size(dtype());
    t.fn = [axes](std::span<const Value> in) {
      return Value::of(detail::permute_block(in[0].get<Block>().dense(), axes));
    };
    tasks.push_back(std::move(t));
  });
  AnyArray out = detail::make_array(dtype(), std::move(shape), std::move(chunks), token,
                                    Graph(std::move(tasks), {&graph()}), finally(), narrow());
  if (nd != 2 || axes[0] != 1) return out;
  auto n = std::make_shared<detail::ArrayNode>(out.node());
  n->transpose_of = node_;
  return AnyArray(std::move(n));
}

// ---- basic slicing ----

AnyArray AnyArray::slice(const std::vector<Index>& index) const {
  const std::size_t nd = ndim();
  if (index.size() > nd)
    throw ShapeError(
        fmt::format("too many indices for array: array is {}-dimensional, but {} were "
                    "indexed",
                    nd, index.size()));
  Hasher h = op_hasher("getitem", *this);
  Shape out_shape, kept_axes_shape(nd);
  Chunks out_chunks, gather_chunks(nd);
  std::vector<std::vector<std::vector<std::int64_t>>> coords(nd);
  std::vector<int> dropped;
  for (std::size_t a = 0; a < nd; ++a) {
    const Index ix = a < index.size() ? index[a] : Index::all();
    const std::int64_t n = shape()[a];
    const auto offsets = chunk_offsets(chunks()[a]);
    std::vector<std::int64_t> selected;
    if (ix.kind == Index::Kind::at) {
      std::int64_t i = *ix.start < 0 ? *ix.start + n : *ix.start;
      if (i < 0 || i >= n)
        throw ShapeError(
            fmt::format("index {} is out of bounds for axis {} with size {}", *ix.start, a, n));
      selected = {i};
      dropped.push_back(static_cast<int>(a));
      h.add(std::int64_t{-1}).add(i);
    } else {
      if (ix.step == 0) throw ValueError("slice step cannot be zero");
      // Python's slice.indices(n).
      auto clamp = [&](std::optional<std::int64_t> v, std::int64_t dflt) {
        if (!v) return dflt;
        std::int64_t x = *v < 0 ? *v + n : *v;
        return ix.step > 0 ? std::clamp<std::int64_t>(x, 0, n)
                           : std::clamp<std::int64_t>(x, -1, n - 1);
      };
      const std::int64_t start = clamp(ix.start, ix.step > 0 ? 0 : n - 1);
      const std::int64_t stop = clamp(ix.stop, ix.step > 0 ? n : -1);
      for (std::int64_t c = start; ix.step > 0 ? c < stop : c > stop; c += ix.step)
        selected.push_back(c);
      h.add(start).add(stop).add(ix.step);
    }
    // Output chunks: consecutive selected coordinates from one input chunk form one chunk.
    std::vector<std::int64_t> sizes;
    std::int64_t current = -1;
    for (auto c : selected) {
      auto k = detail::locate(offsets, c).first;
      if (k != current) {
        sizes.push_back(0);
        coords[a].emplace_back();
        current = k;
      }
      ++sizes.back();
      coords[a].back().push_back(c);
    }
    if (sizes.empty()) {
      sizes.push_back(0);
      coords[a].emplace_back();
    }
    gather_chunks[a] = sizes;
    kept_axes_shape[a] = static_cast<std::int64_t>(selected.size());
    if (ix.kind != Index::Kind::at) {
      out_shape.push_back(kept_axes_shape[a]);
      out_chunks.push_back(sizes);
    }
  }
  AnyArray full = gather_blocks(*this, "getitem", h, kept_axes_shape, gather_chunks, coords);
  if (dropped.empty()) return full;
  // Integer indices drop their axes: the same blocks, without those (length-1) axes.
  Hasher hd = op_hasher("squeeze", full);
  const std::string token = make_token("squeeze", hd.value());
  std::vector<Task> tasks;
  for_each_block(out_chunks, [&](std::span<const std::int64_t> ob) {
    Shape ib;
    std::size_t k = 0;
    for (std::size_t a = 0; a < nd; ++a)
      ib.push_back(
          std::binary_search(dropped.begin(), dropped.end(), static_cast<int>(a)) ? 0 : ob[k++]);
    Task t;
    t.key = Key(token, ob);
    t.inputs = {full.block_key(ib)};
    Shape bs = block_shape(out_chunks, ob);
    t.fn = [bs](std::span<const Value> in) {
      Block b = in[0].get<Block>().dense();
      b.shape = bs;
      return Value::of(std::move(b));
    };
    tasks.push_back(std::move(t));
  });
  return detail::make_array(dtype(), std::move(out_shape), std::move(out_chunks), token,
                            Graph(std::move(tasks), {&full.graph()}), finally(), narrow());
}

// ---- rechunk ----

AnyArray AnyArray::rechunk(std::span<const std::int64_t> block) const {
  return rechunk(regular_chunks(shape(), block));
}

AnyArray AnyArray::rechunk(const Chunks& target) const {
  check_chunks(shape(), target, "rechunk");
  if (target == chunks()) return *this;
  Hasher h = op_hasher("rechunk", *this);
  for (const auto& c : target) h.add_all(c);
  std::vector<std::vector<std::vector<std::int64_t>>> coords;
  for (const auto& c : target) coords.push_back(identity_coords(c));
  // The same values in other blocks: what describes them still does.
  return gather_blocks(*this, "rechunk", h, shape(), target, coords).with_attributes(attributes());
}

// ---- reshape ----

AnyArray AnyArray::reshape(Shape target) const {
  // -1: the one dimension inferred from the size.
  const auto total = size();
  std::int64_t known = 1;
  int infer = -1;
  for (std::size_t a = 0; a < target.size(); ++a) {
    if (target[a] == -1) {
      if (infer >= 0) throw ShapeError("reshape: can only specify one unknown dimension");
      infer = static_cast<int>(a);
    } else {
      if (target[a] < 0)
        throw ShapeError(fmt::format("reshape: negative dimension in {}", shape_text(target)));
      known *= target[a];
    }
  }
  if (infer >= 0) target[static_cast<std::size_t>(infer)] = known ? total / known : 0;
  if (element_count(target) != total)
    throw ShapeError(
        fmt::format("cannot reshape array of size {} into shape {}", total, shape_text(target)));
  if (target == shape()) return *this;

  // Pair up groups of axes whose products match (as NumPy does); inside each group, every
  // axis but the first must be one chunk, so each block maps to one block of the result.
  const Shape& from = shape();
  Chunks out_chunks;
  Chunks need = chunks();  // what the input would need, for the hint
  bool ok = true;
  std::size_t i = 0, j = 0;
  while (i < from.size() || j < target.size()) {
    std::size_t i1 = i, j1 = j;
    std::int64_t pa = i1 < from.size() ? from[i1++] : 1, pb = j1 < target.size() ? target[j1++] : 1;
    while (pa != pb) {
      if (pa < pb && i1 < from.size())
        pa *= from[i1++];
      else if (j1 < target.size())
        pb *= target[j1++];
      else
        break;
    }
    // Group: input axes [i, i1), output axes [j, j1). Length-1 axes at the front of a group
    // cut nothing: the group is led by its first longer axis on each side.
    std::size_t lead_in = i, lead_out = j;
    while (lead_in + 1 < i1 && from[lead_in] == 1) ++lead_in;
    while (lead_out + 1 < j1 && target[lead_out] == 1) ++lead_out;
    std::int64_t inner_in = 1, inner_out = 1;
    for (std::size_t a = lead_in + 1; a < i1; ++a) {
      inner_in *= from[a];
      if (chunks()[a].size() != 1) ok = false;
      need[a] = {from[a]};
    }
    for (std::size_t a = lead_out + 1; a < j1; ++a) inner_out *= target[a];
    std::vector<std::int64_t> first;
    if (lead_in < i1) {
      // Each block of the lead axis must hold whole rows of the output's inner axes: its
      // length a multiple of `unit`.
      const std::int64_t unit = inner_out ? inner_out / std::gcd(inner_out, inner_in) : 1;
      bool fits = true;
      for (auto c : chunks()[lead_in]) {
        const std::int64_t flat = c * inner_in;
        if (inner_out == 0 || flat % inner_out != 0) fits = false;
        first.push_back(inner_out ? flat / inner_out : 0);
      }
      if (!fits) {
        ok = false;
        const std::int64_t c0 = chunks()[lead_in].empty() ? 1 : chunks()[lead_in][0];
        const std::int64_t size = std::max<std::int64_t>(unit, (c0 + unit - 1) / unit * unit);
        need[lead_in] = regular_chunks(Shape{from[lead_in]}, Shape{size})[0];
      }
    } else {
      first = {1};
    }
    if (j < j1) {
      for (std::size_t a = j; a < lead_out; ++a) out_chunks.push_back({1});
      out_chunks.push_back(first);
      for (std::size_t a = lead_out + 1; a < j1; ++a) out_chunks.push_back({target[a]});
    }
    i = i1;
    j = j1;
  }
  if (!ok || out_chunks.size() != target.size())
    throw ShapeError(fmt::format(
        "reshape from {} to {} would split blocks (chunks {}): rechunk so that the merged or split "
        "axes are whole first, e.g. rechunk({})",
        shape_text(from), shape_text(target), chunks_text(chunks()), chunks_text(need)));
  Hasher h = op_hasher("reshape", *this);
  h.add_all(target);
  const std::string token = make_token("reshape", h.value());
  std::vector<Task> tasks;
  std::int64_t k = 0;
  // Blocks correspond one to one, in row-major block order (same flat element order).
  std::vector<Key> in_keys;
  for_each_block(chunks(),
                 [&](std::span<const std::int64_t> ib) { in_keys.push_back(block_key(ib)); });
  for_each_block(out_chunks, [&](std::span<const std::int64_t> ob) {
    Task t;
    t.key = Key(token, ob);
    t.inputs = {in_keys[static_cast<std::size_t>(k++)]};
    Shape bs = block_shape(out_chunks, ob);
    t.fn = [bs](std::span<const Value> in) {
      Block b = in[0].get<Block>().dense();  // the same bytes, a new shape
      b.shape = bs;
      b.check();
      return Value::of(std::move(b));
    };
    tasks.push_back(std::move(t));
  });
  return detail::make_array(dtype(), std::move(target), std::move(out_chunks), token,
                            Graph(std::move(tasks), {&graph()}), finally(), narrow());
}

// ---- concatenate / stack ----

namespace {

// Arrays relabelled as blocks of one array: block `ob` of the result is block `ib` of array `k`.
AnyArray relabel(
    const std::vector<AnyArray>& arrays, std::string_view name, Shape shape, Chunks chunks,
    const std::function<std::pair<std::size_t, Shape>(std::span<const std::int64_t>)>& source) {
  Hasher h(name);
  for (const auto& a : arrays) h.add(a.token());
  h.add_all(shape);
  const std::string token = make_token(name, h.value());
  std::vector<Task> tasks;
  std::vector<const Graph*> deps;
  std::vector<Key> finally;
  for (const auto& a : arrays) {
    deps.push_back(&a.graph());
    for (const Key& f : a.finally())
      if (std::find(finally.begin(), finally.end(), f) == finally.end()) finally.push_back(f);
  }
  for_each_block(chunks, [&](std::span<const std::int64_t> ob) {
    auto [k, ib] = source(ob);
    Task t;
    t.key = Key(token, ob);
    t.inputs = {arrays[k].block_key(ib)};
    Shape bs = block_shape(chunks, ob);
    t.fn = [bs](std::span<const Value> in) {
      Block b = in[0].get<Block>().dense();
      b.shape = bs;
      return Value::of(std::move(b));
    };
    tasks.push_back(std::move(t));
  });
  // One narrow type for all keeps it; narrow types that differ are plain (exact all the same).
  NarrowInt narrow = arrays[0].narrow();
  for (const auto& a : arrays)
    if (a.narrow() != narrow) narrow = NarrowInt::none;
  return detail::make_array(arrays[0].dtype(), std::move(shape), std::move(chunks), token,
                            Graph(std::move(tasks), std::span<const Graph* const>(deps)),
                            std::move(finally), narrow);
}

std::vector<AnyArray> aligned(const std::vector<AnyArray>& arrays, std::optional<int> except,
                              std::string_view what) {
  if (arrays.empty()) throw ValueError(fmt::format("{}: need at least one array", what));
  std::vector<AnyArray> out;
  for (const auto& a : arrays) {
    if (a.dtype() != arrays[0].dtype())
      throw TypeError(fmt::format("{}: arrays of {} and {}; convert with astype first", what,
                                  to_string(arrays[0].dtype()), to_string(a.dtype())));
    if (a.ndim() != arrays[0].ndim())
      throw ShapeError(fmt::format("{}: arrays of shapes {} and {} differ in dimensions", what,
                                   shape_text(arrays[0].shape()), shape_text(a.shape())));
    Chunks want = a.chunks();
    for (std::size_t ax = 0; ax < a.ndim(); ++ax) {
      if (except && static_cast<int>(ax) == *except) continue;
      if (a.shape()[ax] != arrays[0].shape()[ax])
        throw ShapeError(fmt::format("{}: shapes {} and {} differ along axis {}", what,
                                     shape_text(arrays[0].shape()), shape_text(a.shape()), ax));
      want[ax] = arrays[0].chunks()[ax];
    }
    out.push_back(a.rechunk(want));  // line the blocks up with the first array's
  }
  return out;
}

}  // namespace

AnyArray concatenate(const std::vector<AnyArray>& arrays, int axis) {
  if (arrays.empty()) throw ValueError("concatenate: need at least one array");
  const int ax = detail::normalize_axes({axis}, arrays[0].ndim(), "concatenate")[0];
  auto parts = aligned(arrays, ax, "concatenate");
  Shape shape = parts[0].shape();
  Chunks chunks = parts[0].chunks();
  shape[static_cast<std::size_t>(ax)] = 0;
  chunks[static_cast<std::size_t>(ax)].clear();
  std::vector<std::pair<std::size_t, std::int64_t>> owner;  // per output chunk on axis
  for (std::size_t k = 0; k < parts.size(); ++k) {
    shape[static_cast<std::size_t>(ax)] += parts[k].shape()[static_cast<std::size_t>(ax)];
    const auto& c = parts[k].chunks()[static_cast<std::size_t>(ax)];
    for (std::size_t i = 0; i < c.size(); ++i) {
      chunks[static_cast<std::size_t>(ax)].push_back(c[i]);
      owner.emplace_back(k, static_cast<std::int64_t>(i));
    }
  }
  return relabel(parts, "concatenate", std::move(shape), std::move(chunks),
                 [&](std::span<const std::int64_t> ob) {
                   auto [k, i] = owner[static_cast<std::size_t>(ob[static_cast<std::size_t>(ax)])];
                   Shape ib(ob.begin(), ob.end());
                   ib[static_cast<std::size_t>(ax)] = i;
                   return std::pair<std::size_t, Shape>{k, ib};
                 });
}

AnyArray stack(const std::vector<AnyArray>& arrays, int axis) {
  if (arrays.empty()) throw ValueError("stack: need at least one array");
  const int ax = detail::normalize_axes({axis}, arrays[0].ndim() + 1, "stack")[0];
  auto parts = aligned(arrays, std::nullopt, "stack");
  Shape shape = parts[0].shape();
  Chunks chunks = parts[0].chunks();
  shape.insert(shape.begin() + ax, static_cast<std::int64_t>(parts.size()));
  chunks.insert(chunks.begin() + ax, std::vector<std::int64_t>(parts.size(), 1));
  return relabel(parts, "stack", std::move(shape), std::move(chunks),
                 [&](std::span<const std::int64_t> ob) {
                   Shape ib(ob.begin(), ob.end());
                   const auto k = static_cast<std::size_t>(ib[static_cast<std::size_t>(ax)]);
                   ib.erase(ib.begin() + ax);
                   return std::pair<std::size_t, Shape>{k, ib};
                 });
}

// ---- map_blocks / map_overlap ----

AnyArray AnyArray::map_blocks(std::function<Block(const Block&)> f, std::string name,
                              std::optional<DType> out_type) const {
  Hasher h = op_hasher(name, *this);
  h.add(Runtime::current().next_sequence());  // a user function: never the same twice
  const std::string token = make_token(name, h.value());
  const DType type = out_type.value_or(dtype());
  auto fn = std::make_shared<const std::function<Block(const Block&)>>(std::move(f));
  std::vector<Task> tasks;
  for_each_block(chunks(), [&](std::span<const std::int64_t> idx) {
    Task t;
    t.key = Key(token, idx);
    t.inputs = {block_key(idx)};
    Shape bs = block_shape(chunks(), idx);
    t.nbytes = static_cast<std::uint64_t>(element_count(bs)) * element_size(type);
    t.fn = [fn, bs, type, name](std::span<const Value> in) {
      Block out = (*fn)(in[0].get<Block>().dense());
      out.check();
      if (out.dtype != type || out.shape != bs)
        throw ShapeError(fmt::format(
            "map_blocks '{}': the function returned a block of {} {}, "
            "expected {} {}",
            name, to_string(out.dtype), shape_text(out.shape), to_string(type), shape_text(bs)));
      return Value::of(std::move(out));
    };
    tasks.push_back(std::move(t));
  });
  return detail::make_array(type, shape(), chunks(), token, Graph(std::move(tasks), {&graph()}),
                            finally());
}

AnyArray AnyArray::map_overlap(std::function<Block(const Block&)> f, std::string name,
                               std::vector<std::int64_t> depth, Boundary boundary) const {
  const std::size_t nd = ndim();
  if (depth.size() == 1 && nd > 1) depth.assign(nd, depth[0]);
  if (depth.size() != nd)
    throw ShapeError(
        fmt::format("map_overlap: {} depths for an array of {} dimensions", depth.size(), nd));
  for (std::size_t a = 0; a < nd; ++a) {
    const auto smallest = *std::min_element(chunks()[a].begin(), chunks()[a].end());
    if (depth[a] < 0) throw ValueError("map_overlap: depth must not be negative");
    if (depth[a] > smallest && chunks()[a].size() > 1)
      throw ShapeError(
          fmt::format("map_overlap: depth {} along axis {} is larger than the smallest "
                      "chunk ({}): rechunk to larger blocks first",
                      depth[a], a, smallest));
  }
  Hasher h = op_hasher(name + "-overlap", *this);
  h.add_all(depth).add(static_cast<std::int64_t>(boundary.kind)).add(boundary.value);
  h.add(Runtime::current().next_sequence());

  // Along each axis, each block grows by `depth` on both sides; the new coordinates map back
  // into the array by the boundary rule (or are cut off with 'none').
  std::vector<std::vector<std::vector<std::int64_t>>> coords(nd);
  Chunks grown(nd);
  std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>> trim(
      nd);                                            // per block: cut front/back
  std::vector<std::vector<std::uint8_t>> padded(nd);  // per block: uses the constant
  for (std::size_t a = 0; a < nd; ++a) {
    const std::int64_t n = shape()[a], d = depth[a];
    std::int64_t at = 0;
    for (auto c : chunks()[a]) {
      std::vector<std::int64_t> cs;
      std::int64_t front = 0, back = 0;
      for (std::int64_t x = at - d; x < at + c + d; ++x) {
        std::int64_t m = x;
        if (x < 0 || x >= n) {
          switch (boundary.kind) {
            case Boundary::Kind::none:
              continue;
            case Boundary::Kind::nearest:
              m = std::clamp<std::int64_t>(x, 0, n - 1);
              break;
            case Boundary::Kind::reflect:
              m = x < 0 ? -1 - x : 2 * n - 1 - x;
              break;
            case Boundary::Kind::periodic:
              m = ((x % n) + n) % n;
              break;
            case Boundary::Kind::constant:
              m = -1;
              break;  // filled after assembly
          }
          m = boundary.kind == Boundary::Kind::constant ? m : std::clamp<std::int64_t>(m, 0, n - 1);
        }
        if (x < at) ++front;
        if (x >= at + c) ++back;
        cs.push_back(m);
      }
      grown[a].push_back(static_cast<std::int64_t>(cs.size()));
      coords[a].push_back(std::move(cs));
      trim[a].emplace_back(front, back);
      at += c;
    }
  }
  // Constant padding: gather from coordinate 0 and overwrite the padding afterwards.
  const bool constant = boundary.kind == Boundary::Kind::constant;
  std::vector<std::vector<std::vector<std::int64_t>>> gather_coords = coords;
  if (constant)
    for (auto& axis : gather_coords)
      for (auto& cs : axis)
        for (auto& c : cs) c = std::max<std::int64_t>(c, 0);
  auto fn = std::make_shared<const std::function<Block(const Block&)>>(std::move(f));
  const DType type = dtype();
  const double fill = boundary.value;
  // The grown blocks are an intermediate array; each output block applies f and trims.
  Shape grown_shape;
  for (const auto& c : grown)
    grown_shape.push_back(std::accumulate(c.begin(), c.end(), std::int64_t{0}));
  AnyArray grown_array = gather_blocks(*this, name + "-halo", h, grown_shape, grown, gather_coords);
  const std::string token = make_token(name, h.value());
  std::vector<Task> tasks;
  for_each_block(chunks(), [&](std::span<const std::int64_t> idx) {
    Task t;
    t.key = Key(token, idx);
    t.inputs = {grown_array.block_key(idx)};
    Shape bs = block_shape(chunks(), idx);
    Shape front(nd), gshape = block_shape(grown, idx);
    std::vector<std::vector<std::uint8_t>> outside(nd);
    for (std::size_t a = 0; a < nd; ++a) {
      front[a] = trim[a][static_cast<std::size_t>(idx[a])].first;
      for (auto c : coords[a][static_cast<std::size_t>(idx[a])]) outside[a].push_back(c < 0);
    }
    t.fn = [fn, bs, front, gshape, outside, constant, fill, type, name](std::span<const Value> in) {
      Block g = in[0].get<Block>().dense();
      if (constant) {
        Block own = Block::allocate(g.dtype, g.shape);
        std::memcpy(own.data.mutable_data(), g.data.data(), g.nbytes());
        visit<computed_dtypes, refuse_array_dtype>(own.dtype, [&](auto element) {
          using T = decltype(element);
          auto v = own.mutable_values<T>();
          std::vector<std::int64_t> i(own.ndim(), 0);
          for (std::size_t k = 0; k < v.size(); ++k) {
            bool out = false;
            for (std::size_t a = 0; a < own.ndim(); ++a)
              out = out || outside[a][static_cast<std::size_t>(i[a])];
            if (out) v[k] = static_cast<T>(fill);
            for (std::size_t a = own.ndim(); a-- > 0;) {
              if (++i[a] < own.shape[a]) break;
              i[a] = 0;
            }
          }
        });
        g = std::move(own);
      }
      Block r = (*fn)(g);
      r.check();
      if (r.shape != gshape || r.dtype != type)
        throw ShapeError(fmt::format(
            "map_overlap '{}': the function must return a block of the "
            "shape it was given ({} {}), not {} {}",
            name, to_string(type), shape_text(gshape), to_string(r.dtype), shape_text(r.shape)));
      Block out = Block::allocate(type, bs);
      Shape zero(bs.size(), 0);
      detail::copy_region(r, front, out, zero, bs);
      return Value::of(std::move(out));
    };
    tasks.push_back(std::move(t));
  });
  return detail::make_array(type, shape(), chunks(), token,
                            Graph(std::move(tasks), {&grown_array.graph()}), finally());
}

}  // namespace pando
