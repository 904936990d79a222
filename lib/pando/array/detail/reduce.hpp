#pragma once
// Partial reductions of blocks and how they combine (reduce.cpp); internal to arrays, exposed
// for tests and for the fused expression-and-reduce path.

#include <pando/array/array.hpp>

namespace pando {

// The element type of a reduction's result (NumPy's rules: sums and products of signed integers
// and bools are int64, of unsigned integers uint64 (`input` uint64, or `narrow` unsigned); means
// of integers float64; min/max the input's type (with its narrow type); arg* int64; any/all
// bool).
DType reduce_result_type(ReduceKind kind, DType input, NarrowInt narrow = NarrowInt::none);

namespace detail {

bool is_arg(ReduceKind k);
bool is_moment(ReduceKind k);

// The partial result of reducing one block (see reduce.cpp for what a and b hold).
struct Partial {
  ReduceKind kind = ReduceKind::sum;
  Shape shape;             // the block's shape with reduced axes set to 1
  std::int64_t count = 0;  // elements reduced into each output element
  Block a, b;
  [[nodiscard]] bool has_b() const { return is_arg(kind) || is_moment(kind); }
};

// The partial of block `x` over axes `reduced` (sorted); `offset` is the block's position in
// the array of shape `whole` (for argmin/argmax indices).
Partial partial_of(ReduceKind kind, const Block& x, const std::vector<int>& reduced,
                   std::span<const std::int64_t> offset, std::span<const std::int64_t> whole);
// partial_of() of a block that may be a strided view of host memory: the view is read in
// place a slab of rows at a time (rounding as partial_in_slabs), a row-major block whole.
Partial partial_of_view(ReduceKind kind, const Block& x, const std::vector<int>& reduced,
                        std::span<const std::int64_t> offset, std::span<const std::int64_t> whole);
void fill_identity(Partial& p);
struct BlockRecipe;
// The same for a block of a pending element-wise expression, evaluated slab by slab so that
// the block is never stored whole. Rounding may differ from partial_of over the stored block,
// but depends, like it, only on the chunking.
Partial partial_in_slabs(ReduceKind kind, const BlockRecipe& block, std::span<const Value> in,
                         const std::vector<int>& reduced, std::span<const std::int64_t> offset,
                         std::span<const std::int64_t> whole);
// x then y, in block order.
Partial combine(const Partial& x, const Partial& y);
// The result block, of `out_shape` (the partial's shape with or without the reduced axes), for
// an input of `input` (holding `narrow`).
Block finalize(const Partial& p, DType input, int ddof, const Shape& out_shape,
               NarrowInt narrow = NarrowInt::none);

// out[i0, i1, ...] = src[map0[i0], map1[i1], ...]: any selection of rows/columns along each
// axis (a copy; a run of consecutive columns is copied whole).
Block gather(const Block& src, const std::vector<std::vector<std::int64_t>>& maps);
// A block with its axes permuted (a copy): output axis i is input axis perm[i].
Block permute_block(const Block& x, std::span<const int> perm);
// Rows [first, first + count) of the transpose of a 2-d block, written to `out` (room for
// count * x.shape[0] elements, suitably aligned).
void transpose_rows_into(const Block& x, std::int64_t first, std::int64_t count, std::byte* out);

}  // namespace detail

template <>
struct Codec<detail::Partial> {
  static Encoded encode(const detail::Partial& p, const std::shared_ptr<const void>& owner);
  static detail::Partial decode(const Encoded& e);
  static std::size_t nbytes(const detail::Partial& p) { return p.a.nbytes() + p.b.nbytes(); }
};

}  // namespace pando
