#pragma once
// Arrays to and from parallel HDF5 (docs/architecture.md §7.2).
//
//   auto x = pando::from_hdf5("data.h5", "/x");              // collective; lazy
//   pando::to_hdf5(x.rechunk({16384, 64}), "out.h5", "/y");  // collective; runs now
//
// Reading: rank 0 learns the dataset's type and shape while the graph is built (and every rank
// gets the same facts or the same error); the file is opened by a collective task, each block
// is read where it is needed by its own task (an independent hyperslab read, streamed: no rank
// holds more than the blocks in flight), and a last collective task closes the file.
// Writing: a collective task creates the dataset (a new file, or a new dataset in an existing
// one, written atomically: under a temporary name until complete); the blocks are written by
// collective tasks, a few blocks per rank at a time, each rank writing its own blocks'
// hyperslabs (compressed datasets need collective writes in parallel HDF5); a last collective
// task commits. A failed job leaves no partial file or dataset behind.

#include <pando/array/array.hpp>
#include <pando/array/creation.hpp>
#include <pando/io/h5.hpp>

#include <optional>
#include <string>

namespace pando {

struct Hdf5Read {
  // Blocks to read in: the dataset's own chunks (grown to about 64 MiB blocks when they are
  // under 1 MiB), or ~64 MiB blocks for contiguous datasets, unless given.
  std::optional<ChunkSpec> chunks;
  // The element type to read as (HDF5 converts, as h5py's astype: out-of-range values clip);
  // the array is then plain `as`. Default: the dataset's type; int8, int16, uint8 and uint16
  // are read as int32 and uint32 as int64, remembered as AnyArray::narrow() (array.hpp).
  std::optional<DType> as;
};

struct Hdf5Write {
  // The dataset's chunk shape; default: the array's first block.
  std::optional<Shape> chunks;
  int gzip_level = -1;        // 0-9, or -1 for no compression
  bool overwrite = false;     // replace an existing dataset of that name
  h5::Attributes attributes;  // written on the new dataset
};

// Collective. The dataset `dataset` of `file` as an array.
AnyArray from_hdf5(const std::string& file, const std::string& dataset,
                   const Hdf5Read& options = {});
// Typed: the dataset must hold T (narrow integers: the type that holds them, int32 or int64,
// and the array is then plain T), or options.as must say T, to have HDF5 convert.
template <class T>
Array<T> from_hdf5(const std::string& file, const std::string& dataset,
                   const Hdf5Read& options = {}) {
  AnyArray a = from_hdf5(file, dataset, options);
  if (a.dtype() != dtype_of<T>())
    throw TypeError(file + ":" + dataset + " holds " + std::string(a.type_name()) + ", not " +
                    std::string(to_string(dtype_of<T>())) + ": read it as from_hdf5<" +
                    std::string(to_string(a.dtype())) + ">, or set Hdf5Read::as to convert");
  return Array<T>(std::move(a));
}

// Collective. Computes `array` and writes it as `dataset` of `file` (the file is created if it
// does not exist).
void to_hdf5(const AnyArray& array, const std::string& file, const std::string& dataset,
             const Hdf5Write& options = {});
template <class T>
void to_hdf5(const Array<T>& array, const std::string& file, const std::string& dataset,
             const Hdf5Write& options = {}) {
  to_hdf5(array.untyped(), file, dataset, options);
}

// Chunks for reading a dataset stored in chunks of `stored`: multiples of them, grown to about
// `target_bytes` per block.
Chunks aligned_chunks(std::span<const std::int64_t> shape, DType dtype,
                      std::span<const std::int64_t> stored,
                      std::size_t target_bytes = std::size_t{64} << 20);

}  // namespace pando
