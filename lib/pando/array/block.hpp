#pragma once
// Block: one chunk of an n-d array, held locally: an element type, a shape and the elements in
// row-major order in one Buffer (docs/architecture.md §4.3). Blocks travel between ranks as their
// raw bytes (Codec<Block>) and are wrapped on arrival without a copy.

#include <pando/core/buffer.hpp>
#include <pando/core/error.hpp>
#include <pando/core/dtype.hpp>
#include <pando/graph/value.hpp>

#include <cstdint>
#include <cstring>
#include <span>
#include <utility>
#include <vector>

namespace pando {

using Shape = std::vector<std::int64_t>;

// Elements in a shape (1 for a 0-d shape).
std::int64_t element_count(std::span<const std::int64_t> shape) noexcept;
// "(3, 4)" or "()" — as NumPy prints shapes.
std::string shape_text(std::span<const std::int64_t> shape);

struct Block {
  DType dtype = DType::float64;
  Shape shape;
  Buffer data;
  // Element strides of a view of host memory with gaps between its rows (a slab with halo
  // cells), one per axis; empty for the row-major layout every other block has. Kernels that
  // read elements in order take dense() (a copy of that block only); reductions and the fused
  // element-wise kernels read a strided view a few rows at a time instead.
  Shape strides;

  // Uninitialized elements of the given type and shape.
  static Block allocate(DType dtype, Shape shape);

  // A view of host memory: `shape` elements of T at `data`, row-major, or with the given element
  // strides (one per axis, each > 0; a row of a 2-d slab with one halo cell on each side has
  // strides {ncols + 2, 1}). Nothing is copied: the host owns the memory and keeps it unchanged
  // while a computation that uses the view runs. Pando keeps no view past compute(), persist()
  // or a Future's result returning: what it keeps (persisted blocks, results) it copies.
  template <class T>
  static Block view(const T* data, Shape shape, Shape strides = {}) {
    return view_bytes(dtype_of<T>(), data, std::move(shape), std::move(strides));
  }
  static Block view_bytes(DType dtype, const void* data, Shape shape, Shape strides);
  template <class T>
  static Block of(Shape shape, std::vector<T> values) {
    Block b{dtype_of<T>(), std::move(shape), Buffer::adopt(to_bytes_vector(std::move(values))), {}};
    b.check();
    return b;
  }

  [[nodiscard]] std::int64_t size() const noexcept { return element_count(shape); }
  // Bytes of its elements (of the elements alone, for a strided view).
  [[nodiscard]] std::size_t nbytes() const noexcept {
    return strides.empty() ? data.size() : static_cast<std::size_t>(size()) * element_size(dtype);
  }
  [[nodiscard]] std::size_t ndim() const noexcept { return shape.size(); }
  [[nodiscard]] bool is_contiguous() const noexcept { return strides.empty(); }

  // The elements in row-major order. A strided view has no such span: take dense() first.
  template <class T>
  [[nodiscard]] std::span<const T> values() const {
    expect<T>();
    return data.as<T>();
  }
  template <class T>
  [[nodiscard]] std::span<T> mutable_values() {
    expect<T>();
    return data.as_mutable<T>();
  }
  // This block in row-major order: itself (the same bytes), or a copy of a strided view.
  [[nodiscard]] Block dense() const;
  // Rows [first, first + count) along axis 0, in row-major order, into `out` (which holds
  // count / shape[0] of the block's bytes): a slab of a strided view for a kernel.
  void copy_rows(std::int64_t first, std::int64_t count, std::byte* out) const;
  // ValueError unless the buffer holds exactly size() elements of dtype (for a strided view:
  // holds every element the strides reach).
  void check() const;

 private:
  template <class T>
  void expect() const {
    if (dtype != dtype_of<T>())
      throw TypeError("a block of " + std::string(to_string(dtype)) + " read as " +
                      std::string(to_string(dtype_of<T>())));
    if (!strides.empty())
      throw TypeError(
          "a strided view of host memory reached a kernel that reads its elements in order "
          "(it needs dense())");
  }
  template <class T>
  static Bytes to_bytes_vector(std::vector<T> v) {
    Bytes b(v.size() * sizeof(T));
    if (!v.empty()) std::memcpy(b.data(), v.data(), b.size());
    return b;
  }
};

// What arrays compute with, for visit(): bool, int32, int64, float32, float64. uint64 they only
// read, move, reduce, slice, rechunk and write (core/dtype.hpp); strings and timestamps they do
// not hold.
inline constexpr DTypeSet computed_dtypes{DType::boolean, DType::int32, DType::int64,
                                          DType::float32, DType::float64};
inline constexpr DTypeSet array_dtypes = computed_dtypes | DTypeSet{DType::uint64};
// visit()'s `otherwise` for arrays: a TypeError that says what arrays do with `t` (uint64:
// convert with astype first).
[[noreturn]] void refuse_array_dtype(DType t);

// Raw bytes on the wire: the dtype and shape in the metadata part, the elements as they are.
template <>
struct Codec<Block> {
  static Encoded encode(const Block& b, const std::shared_ptr<const void>&);
  static Block decode(const Encoded& e);
  static std::size_t nbytes(const Block& b) { return b.nbytes(); }
  static bool borrows(const Block& b) { return b.data.borrowed(); }
};

}  // namespace pando
