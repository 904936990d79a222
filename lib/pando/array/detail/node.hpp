#pragma once
// The description an AnyArray handle shares (internal to the array module).

#include <pando/array/array.hpp>
#include <pando/io/h5.hpp>

namespace pando::detail {

// An element-wise expression not yet turned into tasks (elementwise.cpp): fusing a chain of
// element-wise operations means composing expressions until something needs the blocks.
struct Elementwise;

struct ArrayNode {
  DType dtype = DType::float64;
  // The narrower integer type of the values, when dtype holds one (AnyArray::narrow()). Kept by
  // what moves values without computing (slicing, rechunk, transpose, persist, ...), followed
  // by reductions and to_hdf5; element-wise expressions compute in dtype and drop it.
  NarrowInt narrow = NarrowInt::none;
  Shape shape;
  Chunks chunks;
  std::vector<Key> finally;  // tasks closing what the blocks' tasks opened

  // Blocks made by `graph` under Key(token, index); for a pending expression, recorded on
  // first use (the handle is logically immutable: the same on every rank, made once).
  mutable std::string token;
  mutable Graph graph;
  std::shared_ptr<const Elementwise> pending;
  std::shared_ptr<const void> pin;  // keeps persisted blocks alive
  // HDF5 attributes read with the array; kept by operations that keep its values in place.
  std::shared_ptr<const h5::Attributes> attributes;
  // For a 2-d transpose: the array it transposes. An element-wise expression reads that
  // array's blocks and transposes them as it goes (x + x.T), so its own tasks are not needed.
  std::shared_ptr<const ArrayNode> transpose_of;

  [[nodiscard]] bool is_pending() const noexcept { return pending && token.empty(); }
};

// Records the tasks of a pending expression (elementwise.cpp).
void materialize(const ArrayNode& node);

// The merged list of finishing tasks of several arrays.
std::vector<Key> merge_finally(std::initializer_list<const AnyArray*> arrays);

// A new array node with fresh tasks.
AnyArray make_array(DType dtype, Shape shape, Chunks chunks, std::string token, Graph graph,
                    std::vector<Key> finally, NarrowInt narrow = NarrowInt::none);
// The same array (the same tasks) with another narrow type (none: plain dtype).
AnyArray with_narrow(const AnyArray& a, NarrowInt narrow);

// Copies the region [src_start, src_start + count) of `src` into `dst` at `dst_start` (same
// element type; row-major; any number of axes).
void copy_region(const Block& src, std::span<const std::int64_t> src_start, Block& dst,
                 std::span<const std::int64_t> dst_start, std::span<const std::int64_t> count);

// Normalizes axes (negative from the end), checks range and duplicates; empty = all axes.
std::vector<int> normalize_axes(std::vector<int> axes, std::size_t ndim, std::string_view what);

}  // namespace pando::detail
