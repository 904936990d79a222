// Creation and structure: values against serial references, for awkward shapes and chunks.

#include <pando/array/elementwise.hpp>
#include <pando/array/detail/reduce.hpp>

#include <gtest/gtest.h>
#include <mpi_test.hpp>

#include "array_reference.hpp"

#include <numeric>

using namespace pando;

namespace {

std::vector<double> values(const Block& b) {
  auto v = b.values<double>();
  return {v.begin(), v.end()};
}

// x[i0, i1, ...] for a whole local block.
double at(const Block& x, const std::vector<std::int64_t>& i) {
  return x.values<double>()[static_cast<std::size_t>(test::ravel(i, x.shape))];
}

}  // namespace

TEST(Creation, ConstantsRangesAndEye) {
  auto z = zeros<double>({5, 7}, Shape{2, 3}).compute();
  EXPECT_EQ(z.shape(), (Shape{5, 7}));
  EXPECT_TRUE(std::all_of(z.values().begin(), z.values().end(), [](double v) { return v == 0; }));
  auto f = full<std::int32_t>({3}, 7, Shape{2}).compute();
  EXPECT_EQ(std::vector<std::int32_t>(f.values().begin(), f.values().end()),
            (std::vector<std::int32_t>{7, 7, 7}));
  auto r = arange<double>(0.5, 10.0, 1.5, Shape{3}).compute();
  std::vector<double> want;
  for (int i = 0; i < 7; ++i) want.push_back(0.5 + i * 1.5);
  EXPECT_EQ(std::vector<double>(r.values().begin(), r.values().end()), want);
  auto l = Array<double>(linspace(0, 1, 11, true, Shape{4})).compute();
  EXPECT_EQ(l.values()[10], 1.0);
  EXPECT_EQ(l.values()[3], 3 * 0.1);
  auto e = Array<double>(eye(4, 6, 1, DType::float64, Shape{3, 4})).compute();
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 6; ++j) EXPECT_EQ(e({i, j}), j == i + 1 ? 1.0 : 0.0);
  EXPECT_THROW((void)arange(0, 1, 0, DType::float64), ValueError);
}

TEST(Creation, RandomDoesNotDependOnChunksOrRanks) {
  auto a = random::normal<double>({50, 30}, 7, Shape{7, 11}).compute();
  auto b = random::normal<double>({50, 30}, 7, Shape{50, 30}).compute();
  EXPECT_EQ(std::vector<double>(a.values().begin(), a.values().end()),
            std::vector<double>(b.values().begin(), b.values().end()));
  auto c = random::normal<double>({50, 30}, 8, Shape{7, 11}).compute();
  EXPECT_NE(a.values()[0], c.values()[0]);
  auto big = random::normal<double>({200000}, 1, Shape{30000});
  double mean = big.mean().compute().scalar(), sd = big.std().compute().scalar();
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(sd, 1.0, 0.01);
  auto u = random::uniform<double>({10000}, 3, Shape{999});
  EXPECT_GE(u.min().compute().scalar(), 0.0);
  EXPECT_LT(u.max().compute().scalar(), 1.0);
}

TEST(Creation, FromLocalSlabsInRankOrder) {
  const int r = test::rank(), p = test::size();
  // Rank r holds r+1 rows (rank 0 one row), of 3 columns, valued 100*r + k.
  std::vector<double> v(static_cast<std::size_t>((r + 1) * 3));
  std::iota(v.begin(), v.end(), 100.0 * r);
  Block mine = Block::of<double>({r + 1, 3}, v);
  AnyArray a = from_local(mine);
  EXPECT_EQ(a.shape(), (Shape{p * (p + 1) / 2, 3}));
  Block all = a.compute();
  std::int64_t row = 0;
  for (int q = 0; q < p; ++q)
    for (int k = 0; k < (q + 1) * 3; ++k, ++row)
      EXPECT_EQ(all.values<double>()[static_cast<std::size_t>(row)], 100.0 * q + k);
  EXPECT_EQ(a.sum().compute().values<double>()[0],
            std::accumulate(all.values<double>().begin(), all.values<double>().end(), 0.0));
}

TEST(Creation, FromLocalSeveralOrNoSlabsPerRank) {
  const int r = test::rank(), p = test::size();
  // Rank r holds r slabs (rank 0 none) of 2 rows each, valued by their global row.
  std::vector<Block> mine;
  const std::int64_t before = static_cast<std::int64_t>(r) * (r - 1);  // rows of ranks < r
  for (int k = 0; k < r; ++k) {
    std::vector<double> v(8);
    for (int i = 0; i < 8; ++i)
      v[static_cast<std::size_t>(i)] = static_cast<double>(before + 2 * k + i / 4);
    mine.push_back(Block::of<double>({2, 4}, std::move(v)));
  }
  if (p == 1) mine.push_back(Block::of<double>({2, 4}, std::vector<double>(8, 0.0)));
  AnyArray a = from_local(mine);
  const std::int64_t rows = p == 1 ? 2 : static_cast<std::int64_t>(p) * (p - 1);
  EXPECT_EQ(a.shape(), (Shape{rows, 4}));
  Block all = a.compute();
  for (std::int64_t i = 0; i < rows; ++i) EXPECT_EQ(at(all, {i, 3}), p == 1 ? 0.0 : double(i));
}

TEST(Creation, FromLocalMismatchIsTheSameErrorOnEveryRank) {
  if (test::size() == 1) GTEST_SKIP() << "needs two ranks";
  const int r = test::rank();
  Block mine = Block::of<double>({2, r == 1 ? 5 : 4}, std::vector<double>(r == 1 ? 10 : 8, 1.0));
  try {
    (void)from_local(mine);
    FAIL() << "no error";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(),
                 "from_local: rank 1 holds a block of shape (2, 5), which does not line up with "
                 "rank 0's (2, 4) along axis 1");
  }
}

TEST(Creation, AMalformedBlockOnOneRankIsEveryRanksError) {
  // A block whose shape does not match its buffer, on the last rank only: that rank's check
  // fails before the others' exchange; all ranks get its error, nothing hangs.
  const int r = test::rank(), last = test::size() - 1;
  Block mine = Block::of<double>({2, 3}, std::vector<double>(6, 1.0));
  if (r == last) mine.shape = {2, 4};
  std::string what = "(no error)";
  try {
    (void)from_local(mine);
  } catch (const Error& e) {
    what = e.what();
  }
  EXPECT_TRUE(test::on_all_ranks(what.find("(2, 4)") != std::string::npos)) << what;
  const auto all = test::comm().allgatherv(std::span<const char>(what.data(), what.size()));
  for (int k = 0; k < test::size(); ++k)
    EXPECT_EQ(std::string(all.part(k).begin(), all.part(k).end()), what);
  // The session goes on.
  Block fine = Block::of<double>({1, 3}, std::vector<double>(3, 2.0));
  EXPECT_EQ(Array<double>(from_local(fine)).sum().compute().scalar(), 6.0 * test::size());
}

TEST(Creation, FromEigen) {
  Eigen::MatrixXd m(5, 3);
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 3; ++j) m(i, j) = i * 10 + j;
  auto a = Array<double>(from_eigen(m, Shape{2, 2})).compute();
  EXPECT_EQ(a.matrix(), m);
}

TEST(Structure, SlicingMatchesNumPyRules) {
  Block x = test::random_block({13, 9}, 5);
  AnyArray a = from_values(x, Shape{4, 4});
  struct S {
    std::vector<Index> ix;
    std::vector<std::vector<std::int64_t>> rows_cols;  // selected coordinates per output axis
  };
  auto range = [](std::int64_t a0, std::int64_t b0, std::int64_t s) {
    std::vector<std::int64_t> v;
    for (auto i = a0; s > 0 ? i < b0 : i > b0; i += s) v.push_back(i);
    return v;
  };
  std::vector<S> cases = {
      {{Index::range(2, 11), Index::range(1, std::nullopt, 3)}, {range(2, 11, 1), range(1, 9, 3)}},
      {{Index::range(std::nullopt, std::nullopt, -2)}, {range(12, -1, -2), range(0, 9, 1)}},
      {{Index::range(-5, -1), Index::range(8, 2, -1)}, {range(8, 12, 1), range(8, 2, -1)}},
      {{Index::range(5, 5)}, {{}, range(0, 9, 1)}},
      {{Index::range(100, 200), Index::all()}, {{}, range(0, 9, 1)}},
  };
  for (auto& c : cases) {
    Block got = a.slice(c.ix).compute();
    ASSERT_EQ(got.shape, (Shape{static_cast<std::int64_t>(c.rows_cols[0].size()),
                                static_cast<std::int64_t>(c.rows_cols[1].size())}));
    std::size_t k = 0;
    for (auto i : c.rows_cols[0])
      for (auto j : c.rows_cols[1]) EXPECT_EQ(got.values<double>()[k++], at(x, {i, j}));
  }
  Block row = a.slice({Index::at(-1)}).compute();
  EXPECT_EQ(row.shape, (Shape{9}));
  EXPECT_EQ(row.values<double>()[4], at(x, {12, 4}));
  Block one = a.slice({Index::at(3), Index::at(2)}).compute();
  EXPECT_EQ(one.shape, Shape{});
  EXPECT_EQ(one.values<double>()[0], at(x, {3, 2}));
  try {
    (void)a.slice({Index::at(13)});
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "index 13 is out of bounds for axis 0 with size 13");
  }
  EXPECT_THROW((void)a.slice({Index::all(), Index::all(), Index::all()}), ShapeError);
}

TEST(Structure, TransposeAndPlusTransposeSum) {
  Block x = test::random_block({11, 11}, 9);
  AnyArray a = from_values(x, Shape{4, 3});
  Block t = a.T().compute();
  for (std::int64_t i = 0; i < 11; ++i)
    for (std::int64_t j = 0; j < 11; ++j) EXPECT_EQ(at(t, {i, j}), at(x, {j, i}));
  // Blocks larger than the kernel's 8x8 tiles, with edges that are not multiples of 8.
  Block w = test::random_block({37, 29}, 4);
  Block wt = from_values(w, Shape{20, 19}).T().compute();
  ASSERT_EQ(wt.shape, (Shape{29, 37}));
  for (std::int64_t i = 0; i < 29; ++i)
    for (std::int64_t j = 0; j < 37; ++j) EXPECT_EQ(at(wt, {i, j}), at(w, {j, i}));
  // int64 through the same 8-byte tiles: every bit kept (values no double holds exactly, and
  // patterns that would be NaNs as doubles).
  std::vector<std::int64_t> big(19 * 17);
  for (std::size_t k = 0; k < big.size(); ++k)
    big[k] = (k % 3 ? std::int64_t{0x7ff8000000000001} : (std::int64_t{1} << 62) + 1) +
             static_cast<std::int64_t>(k);
  Block bi = Block::of<std::int64_t>(Shape{19, 17}, big);
  Block bit = from_values(bi, Shape{9, 10}).T().compute();
  for (std::int64_t i = 0; i < 17; ++i)
    for (std::int64_t j = 0; j < 19; ++j)
      EXPECT_EQ(bit.values<std::int64_t>()[static_cast<std::size_t>(i * 19 + j)],
                big[static_cast<std::size_t>(j * 17 + i)]);
  Block x3 = test::random_block({3, 4, 5}, 2);
  Block p = from_values(x3, Shape{2, 3, 2}).transpose({2, 0, 1}).compute();
  EXPECT_EQ(p.shape, (Shape{5, 3, 4}));
  EXPECT_EQ(at(p, {4, 1, 2}), at(x3, {1, 2, 4}));
}

TEST(Structure, RechunkKeepsValues) {
  Block x = test::random_block({17, 29}, 11);
  AnyArray a = from_values(x, Shape{5, 6});
  for (Shape blk : {Shape{17, 1}, Shape{3, 29}, Shape{4, 4}, Shape{17, 29}}) {
    AnyArray r = a.rechunk(blk);
    EXPECT_EQ(r.chunks(), regular_chunks(x.shape, blk));
    EXPECT_EQ(values(r.compute()), values(x)) << shape_text(blk);
  }
  EXPECT_THROW((void)a.rechunk(Chunks{{10, 6}, {29}}), ShapeError);
}

TEST(Structure, ReshapeWhereBlocksLineUp) {
  Block x = test::random_block({6, 4, 5}, 4);
  AnyArray a = from_values(x, Shape{2, 4, 5});
  EXPECT_EQ(values(a.reshape({6, 20}).compute()), values(x));
  EXPECT_EQ(values(a.reshape({-1}).compute()), values(x));
  EXPECT_EQ(a.reshape({3, 2, 20}).shape(), (Shape{3, 2, 20}));
  EXPECT_EQ(values(a.reshape({12, 2, 5}).compute()), values(x));
  EXPECT_EQ(values(from_values(x, Shape{3, 2, 5}).reshape({6, 20}).compute()), values(x));
  AnyArray split = from_values(x, Shape{3, 4, 2});
  try {
    (void)split.reshape({6, 20});
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(
        std::string(e.what()).find("rechunk so that the merged or split axes are whole first"),
        std::string::npos)
        << e.what();
  }
  EXPECT_THROW((void)a.reshape({7, 7}), ShapeError);
  // Length-1 axes in front of a group cut nothing.
  Block row = test::random_block({1, 12}, 9);
  EXPECT_EQ(values(from_values(row, Shape{1, 5}).reshape({12}).compute()), values(row));
  EXPECT_EQ(values(from_values(row, Shape{1, 5}).reshape({1, 1, 12}).compute()), values(row));
  // A split the blocks cannot follow names the chunks that would work.
  try {
    (void)from_values(test::random_block({12}, 3), Shape{5}).reshape({4, 3});
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("rechunk(((6, 6),))"), std::string::npos) << e.what();
  }
  EXPECT_EQ(values(from_values(test::random_block({12}, 3), Shape{6}).reshape({4, 3}).compute()),
            values(test::random_block({12}, 3)));
}

TEST(Structure, ConcatenateAndStack) {
  Block x = test::random_block({4, 3}, 1), y = test::random_block({2, 3}, 2);
  AnyArray a = from_values(x, Shape{3, 2}), b = from_values(y, Shape{1, 3});
  Block c = concatenate({a, b}, 0).compute();
  EXPECT_EQ(c.shape, (Shape{6, 3}));
  EXPECT_EQ(at(c, {5, 2}), at(y, {1, 2}));
  EXPECT_EQ(at(c, {0, 1}), at(x, {0, 1}));
  Block s = stack({a, a}, 1).compute();
  EXPECT_EQ(s.shape, (Shape{4, 2, 3}));
  EXPECT_EQ(at(s, {3, 1, 2}), at(x, {3, 2}));
  EXPECT_THROW((void)concatenate({a, b}, 1), ShapeError);
}

TEST(Structure, MapBlocksAndDelayedRoundTrip) {
  Block x = test::random_block({10, 6}, 3);
  AnyArray a = from_values(x, Shape{3, 4});
  AnyArray twice = a.map_blocks(
      [](const Block& b) {
        Block out = Block::allocate(b.dtype, b.shape);
        auto in = b.values<double>();
        auto o = out.mutable_values<double>();
        for (std::size_t i = 0; i < in.size(); ++i) o[i] = 2 * in[i];
        return out;
      },
      "double");
  auto got = values(twice.compute());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], 2 * x.values<double>()[i]);

  auto parts = a.to_delayed();
  ASSERT_EQ(parts.size(), 8u);
  std::vector<Delayed<Block>> negated;
  for (auto& p : parts)
    negated.push_back(delayed([](const Block& b) {
      Block out = Block::allocate(b.dtype, b.shape);
      for (std::size_t i = 0; i < b.values<double>().size(); ++i)
        out.mutable_values<double>()[i] = -b.values<double>()[i];
      return out;
    })(p));
  AnyArray back = AnyArray::from_delayed(negated, DType::float64, a.shape(), a.chunks());
  EXPECT_NEAR(back.sum().compute().values<double>()[0], -test::ref_sum(values(x)), 1e-12);
}

TEST(Structure, MapOverlapStencilWithEachBoundary) {
  Block x = test::random_block({19}, 6);
  AnyArray a = from_values(x, Shape{5});
  auto three_point = [](const Block& b) {
    Block out = Block::allocate(b.dtype, b.shape);
    auto in = b.values<double>();
    auto o = out.mutable_values<double>();
    for (std::size_t i = 0; i < in.size(); ++i)
      o[i] = (i > 0 ? in[i - 1] : 0) + in[i] + (i + 1 < in.size() ? in[i + 1] : 0);
    return out;
  };
  auto v = values(x);
  const auto n = static_cast<std::int64_t>(v.size());
  auto ref = [&](std::function<double(std::int64_t)> outside) {
    std::vector<double> r;
    for (std::int64_t i = 0; i < n; ++i) {
      auto get = [&](std::int64_t j) {
        return j < 0 || j >= n ? outside(j) : v[static_cast<std::size_t>(j)];
      };
      r.push_back(get(i - 1) + get(i) + get(i + 1));
    }
    return r;
  };
  auto expect = [&](Boundary b, std::vector<double> want) {
    auto got = values(a.map_overlap(three_point, "stencil", {1}, b).compute());
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_DOUBLE_EQ(got[i], want[i]) << i;
  };
  expect(Boundary::periodic(),
         ref([&](std::int64_t j) { return v[static_cast<std::size_t>((j + n) % n)]; }));
  expect(Boundary::reflect(), ref([&](std::int64_t j) {
           return v[static_cast<std::size_t>(j < 0 ? -1 - j : 2 * n - 1 - j)];
         }));
  expect(Boundary::nearest(),
         ref([&](std::int64_t j) { return v[static_cast<std::size_t>(j < 0 ? 0 : n - 1)]; }));
  expect(Boundary::constant(10), ref([](std::int64_t) { return 10.0; }));
  expect(Boundary::none(), ref([](std::int64_t) { return 0.0; }));
  EXPECT_THROW((void)a.map_overlap(three_point, "stencil", {6}), ShapeError);
}

TEST(Structure, MapOverlapInTwoDimensionsReachesCorners) {
  // A 3x3 box sum: each output needs its diagonal neighbours, which live in corner blocks.
  Block x = test::random_block({11, 9}, 12);
  const std::int64_t n0 = 11, n1 = 9;
  auto box = [](const Block& b) {
    Block out = Block::allocate(b.dtype, b.shape);
    const auto r = b.shape[0], c = b.shape[1];
    auto in = b.values<double>();
    auto o = out.mutable_values<double>();
    for (std::int64_t i = 0; i < r; ++i)
      for (std::int64_t j = 0; j < c; ++j) {
        double s = 0;
        for (std::int64_t di = -1; di <= 1; ++di)
          for (std::int64_t dj = -1; dj <= 1; ++dj)
            if (i + di >= 0 && i + di < r && j + dj >= 0 && j + dj < c)
              s += in[static_cast<std::size_t>((i + di) * c + j + dj)];
        o[static_cast<std::size_t>(i * c + j)] = s;
      }
    return out;
  };
  for (Boundary b : {Boundary::periodic(), Boundary::constant(0.5)}) {
    Block got = from_values(x, Shape{4, 3}).map_overlap(box, "box", {1, 1}, b).compute();
    for (std::int64_t i = 0; i < n0; ++i)
      for (std::int64_t j = 0; j < n1; ++j) {
        double want = 0;
        for (std::int64_t di = -1; di <= 1; ++di)
          for (std::int64_t dj = -1; dj <= 1; ++dj) {
            std::int64_t y = i + di, z = j + dj;
            const bool inside = y >= 0 && y < n0 && z >= 0 && z < n1;
            if (b.kind == Boundary::Kind::periodic)
              want += at(x, {(y + n0) % n0, (z + n1) % n1});
            else
              want += inside ? at(x, {y, z}) : 0.5;
          }
        EXPECT_NEAR(at(got, {i, j}), want, 1e-14) << i << "," << j;
      }
  }
}

TEST(Structure, PersistComputesOnce) {
  static int runs = 0;
  runs = 0;
  AnyArray a = from_values(test::random_block({8, 8}, 1), Shape{4, 4})
                   .map_blocks(
                       [](const Block& b) {
                         ++runs;
                         return b;
                       },
                       "count");
  AnyArray kept = a.persist();
  EXPECT_EQ(test::comm().allreduce(runs, ReduceOp::sum), 4);
  (void)kept.sum().compute();
  (void)kept.T().max().compute();
  EXPECT_EQ(test::comm().allreduce(runs, ReduceOp::sum), 4);
}

TEST(Structure, DerivedArraysKeepPersistedBlocks) {
  AnyArray derived;
  {
    AnyArray kept = from_values(test::random_block({6, 6}, 2), Shape{4, 4}).persist();
    derived = kept.T() * 2.0;
  }  // the persisted handle is gone; what was built on it still needs its blocks
  EXPECT_EQ(derived.compute().size(), 36);
}
