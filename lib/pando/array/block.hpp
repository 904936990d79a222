#pragma once
// Block: one chunk of an n-d array, held locally: an element type, a shape and the elements in
// row-major order in one Buffer (docs/architecture.md §4.3). Blocks travel between ranks as their
// raw bytes (Codec<Block>) and are wrapped on arrival without a copy.

#include <pando/core/buffer.hpp>
#include <pando/core/error.hpp>
#include <pando/expr/dtype.hpp>
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

  // Uninitialized elements of the given type and shape.
  static Block allocate(DType dtype, Shape shape);
  template <class T>
  static Block of(Shape shape, std::vector<T> values) {
    Block b{dtype_of<T>(), std::move(shape), Buffer::adopt(to_bytes_vector(std::move(values)))};
    b.check();
    return b;
  }

  [[nodiscard]] std::int64_t size() const noexcept { return element_count(shape); }
  [[nodiscard]] std::size_t nbytes() const noexcept { return data.size(); }
  [[nodiscard]] std::size_t ndim() const noexcept { return shape.size(); }

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
  // ValueError unless the buffer holds exactly size() elements of dtype.
  void check() const;

 private:
  template <class T>
  void expect() const {
    if (dtype != dtype_of<T>())
      throw TypeError("a block of " + std::string(to_string(dtype)) + " read as " +
                      std::string(to_string(dtype_of<T>())));
  }
  template <class T>
  static Bytes to_bytes_vector(std::vector<T> v) {
    Bytes b(v.size() * sizeof(T));
    if (!v.empty()) std::memcpy(b.data(), v.data(), b.size());
    return b;
  }
};

// Calls f(T{}) with T the C++ element type of `dtype` (bool, int32_t, int64_t, float, double):
// the types arrays compute with. TypeError for uint64, which arrays read, move, reduce and
// write but do not compute with (dtype.hpp), and for strings and timestamps, which arrays do
// not hold.
template <class F>
decltype(auto) visit_numeric(DType dtype, F&& f) {
  switch (dtype) {
    case DType::boolean:
      return f(bool{});
    case DType::int32:
      return f(std::int32_t{});
    case DType::int64:
      return f(std::int64_t{});
    case DType::float32:
      return f(float{});
    case DType::float64:
      return f(double{});
    case DType::uint64:
      throw TypeError(
          "this operation does not take uint64 arrays (they are read, reduced, sliced, "
          "rechunked and written): convert with astype first");
    case DType::string:
    case DType::timestamp:
      break;
  }
  throw TypeError("arrays hold bool, int32, int64, uint64, float32 or float64 elements, not " +
                  std::string(to_string(dtype)));
}

// visit_numeric() and uint64 (std::uint64_t): for what every array element type goes through
// (reductions, printing, conversions).
template <class F>
decltype(auto) visit_element(DType dtype, F&& f) {
  if (dtype == DType::uint64) return f(std::uint64_t{});
  return visit_numeric(dtype, std::forward<F>(f));
}

// Raw bytes on the wire: the dtype and shape in the metadata part, the elements as they are.
template <>
struct Codec<Block> {
  static Encoded encode(const Block& b, const std::shared_ptr<const void>&);
  static Block decode(const Encoded& e);
  static std::size_t nbytes(const Block& b) { return b.nbytes(); }
};

}  // namespace pando
