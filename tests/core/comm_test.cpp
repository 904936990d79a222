// Comm: every collective at 1-4 ranks, with empty and uneven buffers, against what each rank
// can compute serially.

#include <pando/core/comm.hpp>

#include <gtest/gtest.h>
#include <mpi_test.hpp>

#include <numeric>
#include <vector>

using pando::ReduceOp;
using pando::test::comm;

namespace {

// Rank r contributes r % 3 elements (so rank 0 and every third rank send nothing): uneven and
// sometimes empty parts.
std::vector<std::int64_t> part_of(int r) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(r % 3));
  std::iota(v.begin(), v.end(), 100 * r);
  return v;
}

std::vector<std::int64_t> all_parts(int size) {
  std::vector<std::int64_t> all;
  for (int r = 0; r < size; ++r) {
    auto p = part_of(r);
    all.insert(all.end(), p.begin(), p.end());
  }
  return all;
}

}  // namespace

TEST(Comm, RankAndSize) {
  EXPECT_GE(comm().rank(), 0);
  EXPECT_LT(comm().rank(), comm().size());
  EXPECT_EQ(comm().size(), pando::test::size());
}

TEST(Comm, SendRecvRing) {
  const int r = comm().rank(), p = comm().size();
  std::vector<double> out = {r + 0.5, r * 2.0, -1.0};
  std::vector<double> in(3);
  auto to = (r + 1) % p, from = (r + p - 1) % p;
  auto recv = comm().irecv(std::span<double>(in), from, 7);
  auto send = comm().isend(std::span<const double>(out), to, 7);
  recv.wait();
  send.wait();
  EXPECT_EQ(in, (std::vector<double>{from + 0.5, from * 2.0, -1.0}));
}

TEST(Comm, BlockingSendRecvOfStructs) {
  struct Pair {
    int a;
    double b;
  };
  const int r = comm().rank(), p = comm().size();
  if (p == 1) GTEST_SKIP() << "needs two ranks";
  if (r == 0) {
    std::vector<Pair> out = {{1, 1.5}, {2, 2.5}};
    comm().send(std::span<const Pair>(out), 1, 3);
  } else if (r == 1) {
    pando::Status st;
    auto in = comm().recv_vector<Pair>(0, 3, &st);
    ASSERT_EQ(in.size(), 2u);
    EXPECT_EQ(in[1].a, 2);
    EXPECT_EQ(in[1].b, 2.5);
    EXPECT_EQ(st.source, 0);
    EXPECT_EQ(st.count, 2u);
  }
}

TEST(Comm, EmptyMessage) {
  const int r = comm().rank(), p = comm().size();
  std::vector<int> none;
  auto recv = comm().irecv(std::span<int>(none), (r + p - 1) % p, 1);
  auto send = comm().isend(std::span<const int>(none), (r + 1) % p, 1);
  EXPECT_NO_THROW(recv.wait());
  EXPECT_NO_THROW(send.wait());
}

TEST(Comm, BcastFromEveryRoot) {
  for (int root = 0; root < comm().size(); ++root) {
    std::vector<std::int32_t> v(5, comm().rank() == root ? root + 1 : -1);
    comm().bcast(std::span<std::int32_t>(v), root);
    EXPECT_EQ(v, std::vector<std::int32_t>(5, root + 1)) << "root " << root;
    std::vector<std::string::value_type> text;
    if (comm().rank() == root) text = {'h', 'i'};
    comm().bcast_vector(text, root);
    EXPECT_EQ(std::string(text.begin(), text.end()), "hi");
  }
}

TEST(Comm, AllreduceOps) {
  const int r = comm().rank(), p = comm().size();
  EXPECT_EQ(comm().allreduce<std::int64_t>(r + 1, ReduceOp::sum), p * (p + 1) / 2);
  EXPECT_EQ(comm().allreduce<int>(r, ReduceOp::min), 0);
  EXPECT_EQ(comm().allreduce<int>(r, ReduceOp::max), p - 1);
  EXPECT_EQ(comm().allreduce<double>(2.0, ReduceOp::prod), std::pow(2.0, p));
  EXPECT_EQ(comm().allreduce<int>(r == 0, ReduceOp::logical_or), 1);
  EXPECT_EQ(comm().allreduce<int>(r == 0, ReduceOp::logical_and), p == 1 ? 1 : 0);
  EXPECT_EQ(comm().allreduce<std::uint32_t>(1u << r, ReduceOp::bit_or), (1u << p) - 1);
  std::vector<double> v = {1.0 * r, -1.0 * r};
  comm().allreduce_inplace(std::span<double>(v), ReduceOp::max);
  EXPECT_EQ(v, (std::vector<double>{p - 1.0, 0.0}));
}

TEST(Comm, AllreduceEmptySpan) {
  std::vector<double> none;
  EXPECT_NO_THROW(comm().allreduce_inplace(std::span<double>(none), ReduceOp::sum));
}

TEST(Comm, MinLocPicksLowestRankOnTies) {
  const int r = comm().rank(), p = comm().size();
  auto [value, where] = comm().allreduce_minloc(r >= p / 2 ? 5 : 9);
  EXPECT_EQ(value, 5);
  EXPECT_EQ(where, p / 2);
}

TEST(Comm, Allgather) {
  auto all = comm().allgather(comm().rank() * 10);
  ASSERT_EQ(static_cast<int>(all.size()), comm().size());
  for (int r = 0; r < comm().size(); ++r) EXPECT_EQ(all[r], r * 10);
}

TEST(Comm, GathervUnevenAndEmptyParts) {
  auto mine = part_of(comm().rank());
  for (int root = 0; root < comm().size(); ++root) {
    auto g = comm().gatherv(std::span<const std::int64_t>(mine), root);
    if (comm().rank() == root) {
      EXPECT_EQ(g.data, all_parts(comm().size()));
      for (int r = 0; r < comm().size(); ++r)
        EXPECT_EQ(std::vector<std::int64_t>(g.part(r).begin(), g.part(r).end()), part_of(r));
    } else {
      EXPECT_TRUE(g.data.empty());
    }
  }
}

TEST(Comm, AllgathervUnevenAndEmptyParts) {
  auto mine = part_of(comm().rank());
  auto g = comm().allgatherv(std::span<const std::int64_t>(mine));
  EXPECT_EQ(g.data, all_parts(comm().size()));
  ASSERT_EQ(static_cast<int>(g.counts.size()), comm().size());
  for (int r = 0; r < comm().size(); ++r) EXPECT_EQ(g.counts[r], part_of(r).size());
}

TEST(Comm, AlltoallvUneven) {
  // Rank s sends (s + d) % 3 copies of the value 1000*s + d to rank d.
  const int s = comm().rank(), p = comm().size();
  std::vector<std::int64_t> send;
  std::vector<std::size_t> counts(static_cast<std::size_t>(p));
  for (int d = 0; d < p; ++d) {
    counts[d] = static_cast<std::size_t>((s + d) % 3);
    send.insert(send.end(), counts[d], 1000 * s + d);
  }
  auto g =
      comm().alltoallv(std::span<const std::int64_t>(send), std::span<const std::size_t>(counts));
  std::vector<std::int64_t> expected;
  for (int from = 0; from < p; ++from)
    expected.insert(expected.end(), static_cast<std::size_t>((from + s) % 3), 1000 * from + s);
  EXPECT_EQ(g.data, expected);
}

TEST(Comm, AlltoallvWrongCountsIsUsageError) {
  std::vector<std::size_t> counts(static_cast<std::size_t>(comm().size()) + 1, 0);
  std::vector<int> none;
  EXPECT_THROW(
      (void)comm().alltoallv(std::span<const int>(none), std::span<const std::size_t>(counts)),
      pando::UsageError);
}

TEST(Comm, ExscanSum) {
  const int r = comm().rank();
  EXPECT_EQ(comm().exscan_sum<std::int64_t>(r + 1), static_cast<std::int64_t>(r * (r + 1) / 2));
}

TEST(Comm, SplitAndDup) {
  const int r = comm().rank(), p = comm().size();
  pando::Comm half = comm().split(r % 2, -r);  // key -r: reverse order inside each half
  const int half_size = (p + (r % 2 == 0 ? 1 : 0)) / 2;
  EXPECT_EQ(half.size(), half_size);
  EXPECT_EQ(half.rank(), half_size - 1 - r / 2);
  pando::Comm copy = half.dup();
  EXPECT_EQ(copy.size(), half.size());
  EXPECT_EQ(copy.allreduce<int>(1, ReduceOp::sum), half_size);

  pando::Comm none = comm().split(r == 0 ? 0 : -1);
  EXPECT_EQ(none.is_null(), r != 0);
}

TEST(Comm, RequestPoolCompletesEverything) {
  const int r = comm().rank(), p = comm().size();
  constexpr int n = 20;
  std::vector<int> in(n), out(n);
  std::iota(out.begin(), out.end(), r * n);
  pando::RequestPool pool;
  for (int i = 0; i < n; ++i) {
    pool.add(comm().irecv(std::span<int>(&in[i], 1), (r + p - 1) % p, i));
    pool.add(comm().isend(std::span<const int>(&out[i], 1), (r + 1) % p, i));
  }
  std::size_t done = 0;
  while (pool.active() > 0) done += pool.wait_some().size();
  EXPECT_EQ(done, 2u * n);
  int from = (r + p - 1) % p;
  for (int i = 0; i < n; ++i) EXPECT_EQ(in[i], from * n + i);
}
