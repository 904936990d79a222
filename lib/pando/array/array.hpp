#pragma once
// Arrays: NumPy-like n-d arrays cut into blocks, lazy over the task graph (docs/architecture.md
// §1, layouts in §4.3).
//
//   pando::Array<double> x = pando::from_hdf5<double>("data.h5", "/x");     // collective
//   pando::Array<double> y = (x + x.T()).sum(0);                            // lazy
//   pando::LocalArray<double> r = y.compute();                              // collective
//
// AnyArray is the array whose element type is known at run time (what apps read from files);
// Array<T> is the same with the type in the C++ type. Both are cheap handles: operations
// return new arrays and record tasks; compute() and persist() run them on every rank.
// Element-wise operations are not run one by one: chains of them are fused into one task per
// block that evaluates the whole expression tile by tile (module expr). A reduction of such an
// expression evaluates it inside its own tasks, slab by slab, so the expression's blocks are
// never stored (several reductions of one expression each evaluate it). Anything else that
// reads the expression's blocks (slicing, rechunk, compute()) makes them tasks of their own,
// and reductions made after that read those.

#include <pando/array/block.hpp>
#include <pando/array/chunks.hpp>
#include <pando/graph/delayed.hpp>
#include <pando/graph/graph.hpp>

#include <Eigen/Core>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pando {

namespace detail {
struct ArrayNode;
}
namespace h5 {
struct Attributes;
}

// A whole array held locally: what compute() returns.
template <class T>
class LocalArray {
 public:
  using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;

  LocalArray() = default;
  explicit LocalArray(Block b) : b_(std::move(b)) {}

  [[nodiscard]] const Shape& shape() const noexcept { return b_.shape; }
  [[nodiscard]] std::size_t ndim() const noexcept { return b_.shape.size(); }
  [[nodiscard]] std::int64_t size() const noexcept { return b_.size(); }
  [[nodiscard]] std::span<const T> values() const { return b_.values<T>(); }
  [[nodiscard]] const Block& block() const noexcept { return b_; }
  // A 0-d (or one-element) array as its value.
  [[nodiscard]] T scalar() const {
    if (b_.size() != 1) throw ShapeError("scalar() of an array of shape " + shape_text(b_.shape));
    return values()[0];
  }
  // A 2-d array as an Eigen matrix (row-major, a view: no copy).
  [[nodiscard]] Eigen::Map<const RowMatrix> matrix() const {
    if (ndim() != 2) throw ShapeError("matrix() of an array of shape " + shape_text(b_.shape));
    return {values().data(), b_.shape[0], b_.shape[1]};
  }
  // A 1-d array as an Eigen vector (a view).
  [[nodiscard]] Eigen::Map<const Vector> vector() const {
    if (ndim() != 1) throw ShapeError("vector() of an array of shape " + shape_text(b_.shape));
    return {values().data(), b_.shape[0]};
  }
  [[nodiscard]] T operator()(std::initializer_list<std::int64_t> index) const;

 private:
  Block b_;
};

// One index of a basic NumPy slice: x[3], x[2:10:2], x[:], x[-1].
struct Index {
  enum class Kind : std::uint8_t { at, range };
  Kind kind = Kind::range;
  std::optional<std::int64_t> start, stop;
  std::int64_t step = 1;

  static Index at(std::int64_t i) { return {Kind::at, i, std::nullopt, 1}; }
  static Index range(std::optional<std::int64_t> start, std::optional<std::int64_t> stop,
                     std::int64_t step = 1) {
    return {Kind::range, start, stop, step};
  }
  static Index all() { return {}; }
};

enum class ReduceKind { sum, prod, mean, var, std, min, max, argmin, argmax, any, all };
std::string_view to_string(ReduceKind k) noexcept;
std::optional<ReduceKind> parse_reduce_kind(std::string_view name) noexcept;

struct ReduceOptions {
  std::vector<int> axes;  // empty: every axis; negative counts from the end
  bool keepdims = false;
  int ddof = 0;  // var/std: divide by n - ddof (NumPy's default 0)
};

// What map_overlap does at the outer edges of the array.
struct Boundary {
  enum class Kind : std::uint8_t { none, constant, nearest, reflect, periodic };
  Kind kind = Kind::reflect;
  double value = 0;  // for constant
  static Boundary none() { return {Kind::none, 0}; }
  static Boundary constant(double v) { return {Kind::constant, v}; }
  static Boundary nearest() { return {Kind::nearest, 0}; }
  static Boundary reflect() { return {Kind::reflect, 0}; }
  static Boundary periodic() { return {Kind::periodic, 0}; }
};

class AnyArray {
 public:
  AnyArray() = default;
  // An array whose block `index` is the value of Key(token, index), made by `graph`.
  // `finally` lists tasks to run after every use of the blocks (closing files).
  AnyArray(DType dtype, Shape shape, Chunks chunks, std::string token, Graph graph,
           std::vector<Key> finally = {});

  // The element type of the blocks. Arrays read from HDF5 datasets of narrower integers hold
  // int8, int16, uint8 and uint16 as int32 and uint32 as int64 (every value exactly), and
  // remember the narrow type (narrow()): reductions give NumPy's result types for it (sum and
  // prod of signed ones int64, of unsigned ones uint64; min and max the narrow type; mean, var
  // and std float64) and to_hdf5 stores it again. Operations that move values keep it (slicing,
  // transpose, reshape, rechunk, concatenate, persist); element-wise expressions compute in
  // dtype() and their results are plain dtype() (NumPy would wrap uint8 200 + 100 to 44; here it
  // is 300, an int32). astype(dtype()) makes a narrow array plain.
  [[nodiscard]] DType dtype() const;
  // The narrow integer type of the values held in dtype(), or NarrowInt::none.
  [[nodiscard]] NarrowInt narrow() const;
  // NumPy's name of the element type: the narrow type's ("uint8"), or dtype()'s ("float64").
  [[nodiscard]] std::string_view type_name() const;
  [[nodiscard]] const Shape& shape() const;
  [[nodiscard]] const Chunks& chunks() const;
  [[nodiscard]] std::size_t ndim() const { return shape().size(); }
  [[nodiscard]] std::int64_t size() const { return element_count(shape()); }
  [[nodiscard]] bool valid() const noexcept { return node_ != nullptr; }

  // The token of the blocks' keys, and the graph that makes them. For a pending element-wise
  // expression, the first call records its tasks.
  [[nodiscard]] const std::string& token() const;
  [[nodiscard]] const Graph& graph() const;
  [[nodiscard]] Key block_key(std::span<const std::int64_t> index) const;
  [[nodiscard]] const std::vector<Key>& finally() const;

  // The HDF5 attributes the array was read with (from_hdf5), kept by rechunk and persist and
  // written by to_hdf5 (an empty set for arrays made otherwise: other operations change the
  // values the attributes describe).
  [[nodiscard]] const h5::Attributes& attributes() const;
  // The same array with other attributes.
  [[nodiscard]] AnyArray with_attributes(h5::Attributes attributes) const;

  // ---- results (collective) ----
  // The whole array on every rank.
  [[nodiscard]] Block compute() const;
  // Computes the blocks and keeps them where they are; later computations start from them.
  [[nodiscard]] AnyArray persist() const;
  // One delayed value per block, in row-major block order (custom code over blocks).
  [[nodiscard]] std::vector<Delayed<Block>> to_delayed() const;
  // An array from delayed blocks laid out on a grid of `chunks`.
  static AnyArray from_delayed(const std::vector<Delayed<Block>>& blocks, DType dtype, Shape shape,
                               Chunks chunks);

  // ---- element-wise (fused) ----
  // NumPy's astype (fused with the expression around it). From uint64 it is a task per block
  // (the expression language does not read uint64): to integers modulo 2^32 or 2^64 and to the
  // nearest float, as NumPy converts; nothing converts to uint64 (TypeError).
  [[nodiscard]] AnyArray astype(DType type) const;

  // ---- reductions ----
  [[nodiscard]] AnyArray reduce(ReduceKind kind, const ReduceOptions& options = {}) const;
  [[nodiscard]] AnyArray sum(std::vector<int> axes = {}, bool keepdims = false) const;
  [[nodiscard]] AnyArray mean(std::vector<int> axes = {}, bool keepdims = false) const;
  [[nodiscard]] AnyArray var(std::vector<int> axes = {}, bool keepdims = false, int ddof = 0) const;
  [[nodiscard]] AnyArray std(std::vector<int> axes = {}, bool keepdims = false, int ddof = 0) const;
  [[nodiscard]] AnyArray min(std::vector<int> axes = {}, bool keepdims = false) const;
  [[nodiscard]] AnyArray max(std::vector<int> axes = {}, bool keepdims = false) const;
  [[nodiscard]] AnyArray prod(std::vector<int> axes = {}, bool keepdims = false) const;
  // The flat (row-major) index of the first minimum / maximum, or along one axis.
  [[nodiscard]] AnyArray argmin(std::optional<int> axis = std::nullopt) const;
  [[nodiscard]] AnyArray argmax(std::optional<int> axis = std::nullopt) const;
  [[nodiscard]] AnyArray any(std::vector<int> axes = {}, bool keepdims = false) const;
  [[nodiscard]] AnyArray all(std::vector<int> axes = {}, bool keepdims = false) const;

  // ---- structure ----
  [[nodiscard]] AnyArray slice(const std::vector<Index>& index) const;
  [[nodiscard]] AnyArray transpose(std::vector<int> axes = {}) const;  // default: reversed
  [[nodiscard]] AnyArray T() const { return transpose(); }
  [[nodiscard]] AnyArray reshape(Shape shape) const;
  [[nodiscard]] AnyArray rechunk(const Chunks& chunks) const;
  [[nodiscard]] AnyArray rechunk(std::span<const std::int64_t> block) const;
  // A new array from a function of each block (same chunks unless `out` says otherwise).
  [[nodiscard]] AnyArray map_blocks(std::function<Block(const Block&)> f, std::string name,
                                    std::optional<DType> out_type = std::nullopt) const;
  // A function of each block with `depth` neighbouring elements along each axis added
  // (halo exchange between neighbouring blocks), trimmed back to the block after.
  [[nodiscard]] AnyArray map_overlap(std::function<Block(const Block&)> f, std::string name,
                                     std::vector<std::int64_t> depth, Boundary boundary = {}) const;

  // For the implementation: the shared description.
  [[nodiscard]] const detail::ArrayNode& node() const;
  explicit AnyArray(std::shared_ptr<const detail::ArrayNode> n) : node_(std::move(n)) {}

 private:
  std::shared_ptr<const detail::ArrayNode> node_;
};

// Collective helpers over several arrays at once.
AnyArray concatenate(const std::vector<AnyArray>& arrays, int axis = 0);
AnyArray stack(const std::vector<AnyArray>& arrays, int axis = 0);
// Computes several arrays in ONE schedule (one pass over shared inputs).
std::vector<Block> compute(const std::vector<AnyArray>& arrays);

// ---- typed facade ----

// Array<E> holds E: an array of narrow integers (AnyArray::dtype()) used as Array<int32_t> is a
// plain int32 array, as astype() makes it (its sum is int64, its min int32).
template <class E>
class Array {
 public:
  // The element type of means, variances and standard deviations (NumPy's rule).
  using Floating = std::conditional_t<std::is_floating_point_v<E>, E, double>;
  // The element type of sums and products (NumPy: signed integers and bools sum as int64,
  // unsigned ones as uint64).
  using Summed = std::conditional_t<
      std::is_floating_point_v<E>, E,
      std::conditional_t<std::is_same_v<E, std::uint64_t>, std::uint64_t, std::int64_t>>;

  Array() = default;
  explicit Array(AnyArray a) : a_(std::move(a)) {
    if (a_.valid() && a_.dtype() != dtype_of<E>())
      throw TypeError("an array of " + std::string(to_string(a_.dtype())) + " used as Array<" +
                      std::string(to_string(dtype_of<E>())) + ">");
    if (a_.valid() && a_.narrow() != NarrowInt::none) a_ = a_.astype(a_.dtype());
  }
  // The same array with its element type known at run time.
  [[nodiscard]] const AnyArray& untyped() const noexcept { return a_; }
  [[nodiscard]] const Shape& shape() const { return a_.shape(); }
  [[nodiscard]] const Chunks& chunks() const { return a_.chunks(); }
  [[nodiscard]] std::size_t ndim() const { return a_.ndim(); }
  [[nodiscard]] std::int64_t size() const { return a_.size(); }

  [[nodiscard]] LocalArray<E> compute() const { return LocalArray<E>(a_.compute()); }
  [[nodiscard]] Array persist() const { return Array(a_.persist()); }
  [[nodiscard]] std::vector<Delayed<Block>> to_delayed() const { return a_.to_delayed(); }

  template <class U>
  [[nodiscard]] Array<U> astype() const {
    return Array<U>(a_.astype(dtype_of<U>()));
  }

  [[nodiscard]] Array<Summed> sum(std::vector<int> axes = {}, bool keepdims = false) const {
    return Array<Summed>(a_.sum(std::move(axes), keepdims));
  }
  [[nodiscard]] Array<Floating> mean(std::vector<int> axes = {}, bool keepdims = false) const {
    return Array<Floating>(a_.mean(std::move(axes), keepdims));
  }
  [[nodiscard]] Array<Floating> var(std::vector<int> axes = {}, bool keepdims = false,
                                    int ddof = 0) const {
    return Array<Floating>(a_.var(std::move(axes), keepdims, ddof));
  }
  [[nodiscard]] Array<Floating> std(std::vector<int> axes = {}, bool keepdims = false,
                                    int ddof = 0) const {
    return Array<Floating>(a_.std(std::move(axes), keepdims, ddof));
  }
  [[nodiscard]] Array min(std::vector<int> axes = {}, bool keepdims = false) const {
    return Array(a_.min(std::move(axes), keepdims));
  }
  [[nodiscard]] Array max(std::vector<int> axes = {}, bool keepdims = false) const {
    return Array(a_.max(std::move(axes), keepdims));
  }
  [[nodiscard]] Array<Summed> prod(std::vector<int> axes = {}, bool keepdims = false) const {
    return Array<Summed>(a_.prod(std::move(axes), keepdims));
  }
  [[nodiscard]] Array<std::int64_t> argmin(std::optional<int> axis = std::nullopt) const {
    return Array<std::int64_t>(a_.argmin(axis));
  }
  [[nodiscard]] Array<std::int64_t> argmax(std::optional<int> axis = std::nullopt) const {
    return Array<std::int64_t>(a_.argmax(axis));
  }
  [[nodiscard]] Array<bool> any(std::vector<int> axes = {}, bool keepdims = false) const {
    return Array<bool>(a_.any(std::move(axes), keepdims));
  }
  [[nodiscard]] Array<bool> all(std::vector<int> axes = {}, bool keepdims = false) const {
    return Array<bool>(a_.all(std::move(axes), keepdims));
  }
  // A function of each block that returns a block of U of the same shape.
  template <class U = E>
  [[nodiscard]] Array<U> map_blocks(std::function<Block(const Block&)> f, std::string name) const {
    return Array<U>(a_.map_blocks(std::move(f), std::move(name), dtype_of<U>()));
  }
  [[nodiscard]] Array map_overlap(std::function<Block(const Block&)> f, std::string name,
                                  std::vector<std::int64_t> depth, Boundary boundary = {}) const {
    return Array(a_.map_overlap(std::move(f), std::move(name), std::move(depth), boundary));
  }
  [[nodiscard]] Array slice(const std::vector<Index>& index) const {
    return Array(a_.slice(index));
  }
  [[nodiscard]] Array transpose(std::vector<int> axes = {}) const {
    return Array(a_.transpose(std::move(axes)));
  }
  [[nodiscard]] Array T() const { return transpose(); }
  [[nodiscard]] Array reshape(Shape s) const { return Array(a_.reshape(std::move(s))); }
  [[nodiscard]] Array rechunk(std::span<const std::int64_t> block) const {
    return Array(a_.rechunk(block));
  }
  [[nodiscard]] Array rechunk(const Chunks& c) const { return Array(a_.rechunk(c)); }

 private:
  AnyArray a_;
};

template <class E>
Array<E> concatenate(const std::vector<Array<E>>& arrays, int axis = 0) {
  std::vector<AnyArray> any;
  for (const auto& a : arrays) any.push_back(a.untyped());
  return Array<E>(concatenate(any, axis));
}
template <class E>
Array<E> stack(const std::vector<Array<E>>& arrays, int axis = 0) {
  std::vector<AnyArray> any;
  for (const auto& a : arrays) any.push_back(a.untyped());
  return Array<E>(stack(any, axis));
}

}  // namespace pando
