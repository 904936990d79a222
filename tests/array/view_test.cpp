// Views of host memory (Block::view): from_local reads them in place, strided or not, and every
// result equals the same computation over copies of the data; Pando keeps no view past the call.

#include <pando/array/elementwise.hpp>
#include <pando/array/hdf5.hpp>
#include <pando/array/detail/reduce.hpp>

#include <gtest/gtest.h>
#include <mpi_test.hpp>

#include <unistd.h>

#include <filesystem>
#include <cmath>
#include <numeric>

using namespace pando;

namespace {

// A host's slab with halo cells: rows x cols interior values inside a (rows + 2) x (cols + 4)
// buffer (one halo row above and below, two halo columns each side), halos poisoned so that a
// read of one shows in every result.
template <class T>
struct HaloSlab {
  std::int64_t rows, cols;
  std::vector<T> cells;
  HaloSlab(std::int64_t r, std::int64_t c, std::int64_t first_row)
      : rows(r), cols(c), cells(static_cast<std::size_t>((r + 2) * (c + 4)), T(-9999)) {
    for (std::int64_t i = 0; i < r; ++i)
      for (std::int64_t j = 0; j < c; ++j)
        at(i, j) = static_cast<T>(((first_row + i) * 7 + j * 3) % 23);
  }
  T& at(std::int64_t i, std::int64_t j) {
    return cells[static_cast<std::size_t>((i + 1) * (cols + 4) + j + 2)];
  }
  [[nodiscard]] Block view() { return Block::view(&at(0, 0), {rows, cols}, {cols + 4, 1}); }
  [[nodiscard]] Block copy() {
    std::vector<T> dense;
    for (std::int64_t i = 0; i < rows; ++i)
      for (std::int64_t j = 0; j < cols; ++j) dense.push_back(at(i, j));
    return Block::of<T>({rows, cols}, std::move(dense));
  }
};

// Uneven rows per rank, and none on rank 1 (when there is one).
std::int64_t rows_of(int rank) { return rank == 1 ? 0 : 5 + 3 * rank; }
std::int64_t first_row_of(int rank) {
  std::int64_t n = 0;
  for (int q = 0; q < rank; ++q) n += rows_of(q);
  return n;
}

template <class T>
std::vector<T> elements(const Block& b) {
  auto v = b.values<T>();
  return {v.begin(), v.end()};
}

std::vector<AnyArray> asks(const AnyArray& x) {
  return {x.sum(),
          x.mean(),
          x.min(),
          x.max(),
          x.std(),
          x.sum({0}),
          x.max({1}),
          x.argmax(0),
          x * 2.0 + 1.0,
          (x > 10.0).sum(),
          x.T(),
          x.slice({Index::range(1, 7), Index::all()}),
          x.rechunk(Shape{4, 3})};
}

}  // namespace

TEST(Views, StridedViewsGiveWhatCopiesGive) {
  const int r = test::rank();
  HaloSlab<double> slab(rows_of(r), 11, first_row_of(r));
  auto viewed = compute(asks(from_local(slab.view())));
  auto copied = compute(asks(from_local(slab.copy())));
  ASSERT_EQ(viewed.size(), copied.size());
  for (std::size_t k = 0; k < viewed.size(); ++k) {
    EXPECT_EQ(viewed[k].shape, copied[k].shape) << "ask " << k;
    EXPECT_EQ(viewed[k].dtype, copied[k].dtype) << "ask " << k;
    if (viewed[k].dtype == DType::float64) {
      // Views are reduced a few rows at a time: the sums of small integers agree exactly, the
      // moments (std) to rounding.
      auto a = elements<double>(viewed[k]), b = elements<double>(copied[k]);
      ASSERT_EQ(a.size(), b.size());
      for (std::size_t i = 0; i < a.size(); ++i)
        EXPECT_NEAR(a[i], b[i], 1e-12 * std::max(1.0, std::abs(b[i])))
            << "ask " << k << " at " << i;
    } else if (viewed[k].dtype == DType::int64) {
      EXPECT_EQ(elements<std::int64_t>(viewed[k]), elements<std::int64_t>(copied[k]))
          << "ask " << k;
    }
  }
}

TEST(Views, IntegerAndDenseViews) {
  const int r = test::rank();
  HaloSlab<std::int32_t> slab(rows_of(r), 6, first_row_of(r));
  EXPECT_EQ(from_local(slab.view()).sum().compute().values<std::int64_t>()[0],
            from_local(slab.copy()).sum().compute().values<std::int64_t>()[0]);
  // A dense view (no strides) is the host's memory itself.
  std::vector<float> dense(static_cast<std::size_t>(rows_of(r) * 4));
  std::iota(dense.begin(), dense.end(), 1.0f);
  Block v = Block::view(dense.data(), {rows_of(r), 4});
  EXPECT_TRUE(v.is_contiguous());
  EXPECT_EQ(v.data.data(), reinterpret_cast<const std::byte*>(dense.data()));
  Block all = from_local(v).compute();
  EXPECT_EQ(all.shape, (Shape{first_row_of(test::size()), 4}));
}

TEST(Views, NothingKeepsAViewPastTheCall) {
  const int r = test::rank();
  HaloSlab<double> slab(rows_of(r), 5, first_row_of(r));
  const double before = from_local(slab.copy()).sum().compute().values<double>()[0];
  AnyArray kept = from_local(slab.view()).persist();
  AnyArray as_is = from_local(slab.view());
  Block result = as_is.compute();
  // The host changes its field: what Pando returned or persisted does not change with it.
  for (auto& c : slab.cells) c += 1000.0;
  EXPECT_EQ(kept.sum().compute().values<double>()[0], before);
  double sum = 0;
  for (double v : result.values<double>()) sum += v;
  EXPECT_EQ(sum, before);
}

TEST(Views, AStridedViewWrittenToHdf5) {
  const int r = test::rank();
  HaloSlab<double> slab(rows_of(r), 9, first_row_of(r));
  const std::string dir = on_root(test::comm(), [] {
    auto p = std::filesystem::temp_directory_path() / ("pando-view-" + std::to_string(::getpid()));
    std::filesystem::create_directories(p);
    return p.string();
  });
  to_hdf5(from_local(slab.view()), dir + "/v.h5", "/field");
  Block back = from_hdf5(dir + "/v.h5", "/field").compute();
  Block want = from_local(slab.copy()).compute();
  EXPECT_EQ(back.shape, want.shape);
  EXPECT_EQ(elements<double>(back), elements<double>(want));
  test::comm().barrier();
  if (r == 0) std::filesystem::remove_all(dir);
}

TEST(Views, MalformedViewsAreClearErrors) {
  double cell = 0;
  EXPECT_THROW((void)Block::view(&cell, {2, 3}, {4}), ShapeError);
  EXPECT_THROW((void)Block::view(&cell, {2, 3}, {0, 1}), ShapeError);
  EXPECT_THROW((void)Block::view<double>(nullptr, {2, 3}), ValueError);
  // Strides that are those of a dense block make a dense view.
  std::vector<double> v(6);
  EXPECT_TRUE(Block::view(v.data(), {2, 3}, {3, 1}).is_contiguous());
  // A kernel that needs elements in order says so instead of reading the halo.
  std::vector<double> h(12);
  Block strided = Block::view(h.data(), {2, 3}, {6, 2});
  EXPECT_THROW((void)strided.values<double>(), TypeError);
  EXPECT_EQ(strided.dense().size(), 6);
}
