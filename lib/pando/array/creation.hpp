#pragma once
// Making arrays: constants, ranges, random numbers, and arrays from memory a program already
// holds (a simulation's own fields, an Eigen matrix).
//
//   auto x = pando::random::normal<double>({10000, 10000}, /*seed=*/42);    // 64 MiB blocks
//   auto y = pando::zeros<float>({512, 512}, Shape{100, 100});              // 100x100 blocks
//
// Random numbers come from a counter-based generator (Philox4x32-10) keyed by the seed and
// each element's position in the array: the values are the same for any chunking and any
// number of ranks.

#include <pando/array/array.hpp>

#include <Eigen/Core>

#include <variant>

namespace pando {

// How to cut a new array into blocks: about 64 MiB blocks (the default), a block shape
// (the last block along each axis holds the rest), or explicit chunks per axis.
class ChunkSpec {
 public:
  ChunkSpec() = default;
  ChunkSpec(Shape block) : spec_(std::move(block)) {}  // NOLINT: implicit on purpose
  ChunkSpec(std::initializer_list<std::int64_t> block) : spec_(Shape(block)) {}
  ChunkSpec(Chunks chunks) : spec_(std::move(chunks)) {}  // NOLINT
  [[nodiscard]] Chunks resolve(std::span<const std::int64_t> shape, DType dtype) const;

 private:
  std::variant<std::monostate, Shape, Chunks> spec_;
};

AnyArray full(Shape shape, double value, DType dtype, const ChunkSpec& chunks = {});
// Values start, start + step, ... below stop (NumPy's arange).
AnyArray arange(double start, double stop, double step, DType dtype, const ChunkSpec& chunks = {});
// `num` values from start to stop (NumPy's linspace).
AnyArray linspace(double start, double stop, std::int64_t num, bool endpoint = true,
                  const ChunkSpec& chunks = {});
// Ones on diagonal k of an n x m matrix.
AnyArray eye(std::int64_t n, std::int64_t m, std::int64_t k, DType dtype,
             const ChunkSpec& chunks = {});

template <class T>
Array<T> zeros(Shape shape, const ChunkSpec& chunks = {}) {
  return Array<T>(full(std::move(shape), 0, dtype_of<T>(), chunks));
}
template <class T>
Array<T> ones(Shape shape, const ChunkSpec& chunks = {}) {
  return Array<T>(full(std::move(shape), 1, dtype_of<T>(), chunks));
}
template <class T>
Array<T> full(Shape shape, T value, const ChunkSpec& chunks = {}) {
  return Array<T>(full(std::move(shape), static_cast<double>(value), dtype_of<T>(), chunks));
}
template <class T>
Array<T> arange(T start, T stop, T step = 1, const ChunkSpec& chunks = {}) {
  return Array<T>(arange(static_cast<double>(start), static_cast<double>(stop),
                         static_cast<double>(step), dtype_of<T>(), chunks));
}
template <class T>
Array<T> eye(std::int64_t n, const ChunkSpec& chunks = {}) {
  return Array<T>(eye(n, n, 0, dtype_of<T>(), chunks));
}

namespace random {
// Uniform on [low, high).
AnyArray uniform(Shape shape, std::uint64_t seed, double low, double high, DType dtype,
                 const ChunkSpec& chunks = {});
// Normal with the given mean and standard deviation.
AnyArray normal(Shape shape, std::uint64_t seed, double mean, double stddev, DType dtype,
                const ChunkSpec& chunks = {});

template <class T = double>
Array<T> uniform(Shape shape, std::uint64_t seed, const ChunkSpec& chunks = {}) {
  return Array<T>(uniform(std::move(shape), seed, 0.0, 1.0, dtype_of<T>(), chunks));
}
template <class T = double>
Array<T> normal(Shape shape, std::uint64_t seed, const ChunkSpec& chunks = {}) {
  return Array<T>(normal(std::move(shape), seed, 0.0, 1.0, dtype_of<T>(), chunks));
}
}  // namespace random

// Collective. An array whose blocks are the ranks' own slabs along `axis`, in rank order (rank
// r's block is its `mine`; sizes may differ, and may be 0). The blocks are used where they are,
// without a copy: `mine` must stay unchanged while the array is in use.
AnyArray from_local(const Block& mine, int axis = 0);
// The same with any number of slabs per rank (none too): rank 0's in order, then rank 1's, ...
AnyArray from_local(const std::vector<Block>& mine, int axis = 0);

// An array cut from a local block that every rank holds alike (SPMD).
AnyArray from_values(Block whole, const ChunkSpec& chunks = {});

// An array cut from a matrix that every rank holds alike (SPMD).
template <class Derived>
AnyArray from_eigen(const Eigen::DenseBase<Derived>& m, const ChunkSpec& chunks = {}) {
  using T = typename Derived::Scalar;
  Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rows = m;
  std::vector<T> values(rows.data(), rows.data() + rows.size());
  return from_values(Block::of<T>({rows.rows(), rows.cols()}, std::move(values)), chunks);
}

}  // namespace pando
