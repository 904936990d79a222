// Arrays of many dimensions (issue 25): 7-d, and 32-d (HDF5's H5S_MAX_RANK) with small extents,
// through creation, reductions, transpose, slicing, element-wise expressions and HDF5, against
// plain loops over the flat values. Their block keys hold more indices than a Key keeps inline
// (graph/key.hpp), and slices and reduction trees add one more.

#include <pando/array/elementwise.hpp>
#include <pando/array/hdf5.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <mpi_test.hpp>

#include "array_reference.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>

using namespace pando;

namespace {

// Small integers as float64, so that every sum below is exact in any order.
Block integers(const Shape& shape) {
  std::vector<double> v(static_cast<std::size_t>(element_count(shape)));
  for (std::size_t k = 0; k < v.size(); ++k)
    v[k] = static_cast<double>(static_cast<std::int64_t>((k * 7919) % 23) - 11);
  return Block::of<double>(shape, std::move(v));
}

// out[i] = x[source(i)] over every index i of `out_shape`: the plain loop for transposes and
// slices.
std::vector<double> gather_reference(
    const Block& x, const Shape& out_shape,
    const std::function<std::vector<std::int64_t>(const std::vector<std::int64_t>&)>& source) {
  std::vector<double> out;
  for (std::int64_t k = 0; k < element_count(out_shape); ++k)
    out.push_back(x.values<double>()[static_cast<std::size_t>(
        test::ravel(source(test::unravel(k, out_shape)), x.shape))]);
  return out;
}

std::vector<double> values_of(const Block& b) {
  auto v = b.values<double>();
  return {v.begin(), v.end()};
}

// What h5py reads from a dataset: its number of dimensions, then its values in row-major order.
std::string h5py_view(const std::string& file, const std::string& dataset) {
  const std::string script =
      "import h5py, sys; d = h5py.File(sys.argv[1], 'r')[sys.argv[2]][...]; "
      "print(d.ndim, *(int(v) for v in d.ravel()))";
  return on_root(test::comm(), [&] {
    const std::string command =
        fmt::format("/usr/bin/python3 -c \"{}\" {} {}", script, file, dataset);
    std::string out;
    std::unique_ptr<FILE, int (*)(FILE*)> p(popen(command.c_str(), "r"), pclose);
    char buf[4096];
    while (p && fgets(buf, sizeof buf, p.get())) out += buf;
    return out;
  });
}

std::string view_of(const Block& b) {
  std::string out = std::to_string(b.ndim());
  for (double v : b.values<double>()) fmt::format_to(std::back_inserter(out), " {}", v);
  out += '\n';
  return out;
}

// A file name every rank agrees on, removed at the end.
struct SharedFile {
  std::string path;
  SharedFile() {
    path = on_root(test::comm(), [] {
      return (std::filesystem::temp_directory_path() /
              ("pando-ndim-" + std::to_string(::getpid()) + ".h5"))
          .string();
    });
  }
  ~SharedFile() {
    test::comm().barrier();
    if (test::rank() == 0) std::filesystem::remove(path);
  }
};

// Every operation of the issue on an array of `shape` in blocks of `block`; `axes` are reduced,
// `perm` transposes, `cut` slices (one Index per axis).
void check_operations(const Shape& shape, const Shape& block, const std::vector<int>& axes,
                      const std::vector<int>& perm, const std::vector<Index>& cut) {
  const std::size_t nd = shape.size();
  const Block x = integers(shape);
  const AnyArray a = from_values(x, block);
  ASSERT_EQ(a.ndim(), nd);
  EXPECT_EQ(values_of(a.compute()), values_of(x));

  // Reductions over some axes and over all.
  const Block s = a.sum(axes).compute();
  EXPECT_EQ(values_of(s), test::reduce_reference(x, axes, test::ref_sum));
  const auto max = test::reduce_reference(
      x, axes, [](const std::vector<double>& g) { return *std::max_element(g.begin(), g.end()); });
  EXPECT_EQ(values_of(a.max(axes).compute()), max);
  EXPECT_EQ(a.sum({}, true).compute().shape, Shape(nd, 1));
  EXPECT_EQ(a.sum().compute().values<double>()[0], test::reduce_reference(x, {}, test::ref_sum)[0]);

  // Transpose.
  Shape tshape;
  for (int p : perm) tshape.push_back(shape[static_cast<std::size_t>(p)]);
  const Block t = a.transpose(perm).compute();
  EXPECT_EQ(t.shape, tshape);
  EXPECT_EQ(values_of(t), gather_reference(x, tshape, [&](const std::vector<std::int64_t>& i) {
              std::vector<std::int64_t> src(nd);
              for (std::size_t k = 0; k < nd; ++k) src[static_cast<std::size_t>(perm[k])] = i[k];
              return src;
            }));

  // A slice: ranges with steps and single indices (which drop their axis).
  Shape sshape;
  std::vector<std::size_t> kept;
  for (std::size_t k = 0; k < nd; ++k) {
    const Index& c = cut[k];
    if (c.kind == Index::Kind::at) continue;
    const std::int64_t start = c.start.value_or(0), stop = c.stop.value_or(shape[k]);
    sshape.push_back((stop - start + c.step - 1) / c.step);
    kept.push_back(k);
  }
  const Block sl = a.slice(cut).compute();
  EXPECT_EQ(sl.shape, sshape);
  EXPECT_EQ(values_of(sl), gather_reference(x, sshape, [&](const std::vector<std::int64_t>& i) {
              std::vector<std::int64_t> src(nd);
              std::size_t next = 0;
              for (std::size_t k = 0; k < nd; ++k) {
                const Index& c = cut[k];
                src[k] =
                    c.kind == Index::Kind::at ? *c.start : c.start.value_or(0) + c.step * i[next++];
              }
              return src;
            }));

  // Rechunked, and joined along the first axis (in row-major order: one after the other).
  EXPECT_EQ(values_of(a.rechunk(Shape(nd, 2)).compute()), values_of(x));
  std::vector<double> twice = values_of(x);
  twice.insert(twice.end(), twice.begin(), twice.end());
  EXPECT_EQ(values_of(concatenate({a, a.rechunk(Shape(nd, 2))}, 0).compute()), twice);
  EXPECT_EQ(values_of(stack({a, a}, 0).compute()), twice);

  // A fused element-wise expression, reduced.
  const AnyArray e = a * 2.0 + 1.0;
  const auto want_e = test::reduce_reference(x, axes, [](const std::vector<double>& g) {
    double r = 0;
    for (double v : g) r += v * 2 + 1;
    return r;
  });
  EXPECT_EQ(values_of(e.sum(axes).compute()), want_e);

  // HDF5: written, read back in other blocks, the same values.
  SharedFile file;
  to_hdf5(a, file.path, "/x");
  Hdf5Read read;
  read.chunks = ChunkSpec{Shape(nd, 2)};
  const AnyArray back = from_hdf5(file.path, "/x", read);
  EXPECT_EQ(back.shape(), shape);
  EXPECT_EQ(values_of(back.compute()), values_of(x));
  EXPECT_EQ(values_of(back.sum(axes).compute()), values_of(s));
  EXPECT_EQ(h5py_view(file.path, "/x"), view_of(x));  // h5py reads it as written
  // A transpose written and read back.
  to_hdf5(a.transpose(perm), file.path, "/t");
  EXPECT_EQ(values_of(from_hdf5(file.path, "/t").compute()), values_of(t));
}

}  // namespace

TEST(ManyDimensions, SevenDimensionalArray) {
  check_operations({3, 2, 4, 1, 3, 2, 5}, {2, 1, 3, 1, 2, 2, 3}, {1, 4, 6}, {6, 0, 5, 1, 4, 2, 3},
                   {Index::range(1, 3), Index::all(), Index::range(0, 4, 2), Index::at(0),
                    Index::at(2), Index::all(), Index::range(1, 5, 3)});
}

TEST(ManyDimensions, ThirtyTwoDimensionalArrayAsInHdf5) {
  constexpr std::size_t nd = 32;  // H5S_MAX_RANK
  Shape shape(nd, 1), block(nd, 1);
  for (std::size_t k = 0; k < nd; k += 5) shape[k] = 2;  // 7 axes of 2
  shape[nd - 1] = 3;
  for (std::size_t k = 0; k < nd; ++k) block[k] = shape[k];
  block[0] = block[5] = block[10] = 1;  // 16 blocks, 8 partials per output of the sum below
  block[nd - 1] = 2;
  // Reduced over the blocked axes (16 partials each: a tree of two levels, whose inner keys
  // take one more index than the array has axes).
  const std::vector<int> axes = {0, 5, 10, 31};
  std::vector<int> perm(nd);
  for (std::size_t k = 0; k < nd; ++k) perm[k] = static_cast<int>(nd - 1 - k);
  std::swap(perm[3], perm[20]);
  std::vector<Index> cut(nd, Index::all());
  cut[0] = Index::at(1);
  cut[15] = Index::range(1, std::nullopt);
  cut[31] = Index::range(0, 3, 2);
  check_operations(shape, block, axes, perm, cut);
}
