#include <pando/array/block.hpp>

#include <fmt/format.h>

#include <cstring>

namespace pando {

std::int64_t element_count(std::span<const std::int64_t> shape) noexcept {
  std::int64_t n = 1;
  for (auto s : shape) n *= s;
  return n;
}

std::string shape_text(std::span<const std::int64_t> shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

void refuse_array_dtype(DType t) {
  if (t == DType::uint64)
    throw TypeError(
        "this operation does not take uint64 arrays (they are read, reduced, sliced, "
        "rechunked and written): convert with astype first");
  throw TypeError("arrays hold bool, int32, int64, uint64, float32 or float64 elements, not " +
                  std::string(to_string(t)));
}

Block Block::allocate(DType dtype, Shape shape) {
  const auto bytes = static_cast<std::size_t>(element_count(shape)) * element_size(dtype);
  return Block{dtype, std::move(shape), Buffer::allocate(bytes), {}};
}

namespace {

// The element strides of the row-major layout of `shape`.
Shape row_major_strides(const Shape& shape) {
  Shape s(shape.size(), 1);
  for (std::size_t a = shape.size(); a-- > 1;) s[a - 1] = s[a] * shape[a];
  return s;
}

// Elements from the first to the last one the strides reach, inclusive (0 for an empty shape).
std::int64_t strided_extent(const Shape& shape, const Shape& strides) {
  std::int64_t last = 0;
  for (std::size_t a = 0; a < shape.size(); ++a) {
    if (shape[a] == 0) return 0;
    last += (shape[a] - 1) * strides[a];
  }
  return last + 1;
}

// Copies the elements of `src` (element strides `strides`, from axis `axis` on) over `shape`
// into `out` in row-major order; returns the end of what it wrote.
std::byte* gather_strided(const std::byte* src, const Shape& shape, const Shape& strides,
                          std::size_t axis, std::size_t esize, std::byte* out) {
  const auto n = static_cast<std::size_t>(shape[axis]);
  const auto step = static_cast<std::size_t>(strides[axis]) * esize;
  if (axis + 1 == shape.size()) {
    if (strides[axis] == 1) {
      std::memcpy(out, src, n * esize);
      return out + n * esize;
    }
    for (std::size_t i = 0; i < n; ++i, src += step, out += esize) std::memcpy(out, src, esize);
    return out;
  }
  for (std::size_t i = 0; i < n; ++i, src += step)
    out = gather_strided(src, shape, strides, axis + 1, esize, out);
  return out;
}

}  // namespace

Block Block::view_bytes(DType dtype, const void* data, Shape shape, Shape strides) {
  for (auto n : shape)
    if (n < 0)
      throw ShapeError("Block::view: shape " + shape_text(shape) + " has a negative length");
  if (!strides.empty()) {
    if (strides.size() != shape.size())
      throw ShapeError(fmt::format("Block::view: {} strides for a shape of {} axes {}",
                                   strides.size(), shape.size(), shape_text(shape)));
    for (auto s : strides)
      if (s <= 0)
        throw ShapeError(fmt::format("Block::view: strides {} must be positive element counts",
                                     shape_text(strides)));
    if (strides == row_major_strides(shape) || element_count(shape) == 0) strides.clear();
  }
  const std::int64_t extent =
      strides.empty() ? element_count(shape) : strided_extent(shape, strides);
  if (extent > 0 && data == nullptr) throw ValueError("Block::view: a null pointer");
  Block b{dtype, std::move(shape),
          Buffer::borrow(data, static_cast<std::size_t>(extent) * element_size(dtype)),
          std::move(strides)};
  return b;
}

Block Block::dense() const {
  if (strides.empty()) return *this;
  Block out = allocate(dtype, shape);
  if (size() > 0) copy_rows(0, shape[0], out.data.mutable_data());
  return out;
}

void Block::copy_rows(std::int64_t first, std::int64_t count, std::byte* out) const {
  if (count <= 0 || size() == 0) return;
  const std::size_t esize = element_size(dtype);
  if (strides.empty()) {
    const auto row = static_cast<std::size_t>(size() / shape[0]) * esize;
    std::memcpy(out, data.data() + static_cast<std::size_t>(first) * row,
                static_cast<std::size_t>(count) * row);
    return;
  }
  Shape part = shape;
  part[0] = count;
  gather_strided(data.data() + static_cast<std::size_t>(first * strides[0]) * esize, part, strides,
                 0, esize, out);
}

void Block::check() const {
  if (!strides.empty()) {
    const auto reach =
        static_cast<std::size_t>(strided_extent(shape, strides)) * element_size(dtype);
    if (strides.size() != shape.size() || data.size() < reach)
      throw ValueError(
          fmt::format("a strided view of shape {} and strides {} needs {} bytes, not {}",
                      shape_text(shape), shape_text(strides), reach, data.size()));
    return;
  }
  const auto expected = static_cast<std::size_t>(size()) * element_size(dtype);
  if (data.size() != expected)
    throw ValueError(fmt::format("a block of shape {} and type {} needs {} bytes, not {}",
                                 shape_text(shape), to_string(dtype), expected, data.size()));
}

Encoded Codec<Block>::encode(const Block& view, const std::shared_ptr<const void>&) {
  const Block b = view.dense();  // the wire form is row-major
  Encoded e;
  e.type = type_tag<Block>();
  e.meta.resize(2 + b.shape.size() * sizeof(std::int64_t));
  e.meta[0] = static_cast<std::byte>(b.dtype);
  e.meta[1] = static_cast<std::byte>(b.shape.size());
  if (!b.shape.empty()) std::memcpy(e.meta.data() + 2, b.shape.data(), b.shape.size() * 8);
  e.buffers.push_back(b.data);  // shares the bytes: no copy
  return e;
}

Block Codec<Block>::decode(const Encoded& e) {
  if (e.meta.size() < 2 || e.buffers.size() != 1) throw ValueError("malformed array block message");
  Block b;
  b.dtype = static_cast<DType>(e.meta[0]);
  b.shape.resize(static_cast<std::size_t>(e.meta[1]));
  if (e.meta.size() != 2 + b.shape.size() * 8) throw ValueError("malformed array block message");
  if (!b.shape.empty()) std::memcpy(b.shape.data(), e.meta.data() + 2, b.shape.size() * 8);
  b.data = e.buffers[0];
  b.check();
  return b;
}

}  // namespace pando
