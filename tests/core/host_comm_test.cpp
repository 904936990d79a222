// Pando inside a code that owns MPI: sessions on a part of the ranks while the others do their
// own MPI work, sessions one after another, and the host's messages never matched by Pando's.
// This binary has its own main: the host (the test) initializes and finalizes MPI, as a
// simulation code does, so it does not link the test main that holds a session for every test.

#include <pando/pando.hpp>

#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdio>
#include <numeric>
#include <vector>

namespace {

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
int world_size() {
  int n = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

// This rank's slab: 3 + rank rows of 4 values, each value its global row times 10 plus column.
pando::Block slab_of(int rank, std::vector<double>& storage) {
  storage.clear();
  for (int r = 0; r < 3 + rank; ++r)
    for (int c = 0; c < 4; ++c) storage.push_back(10.0 * (100 * rank + r) + c);
  return pando::Block::view(storage.data(), {3 + rank, 4});
}

// What the sum of every slab of the ranks in `ranks` is.
double expected_sum(const std::vector<int>& ranks) {
  double s = 0;
  for (int rank : ranks)
    for (int r = 0; r < 3 + rank; ++r)
      for (int c = 0; c < 4; ++c) s += 10.0 * (100 * rank + r) + c;
  return s;
}

// Runs a few computations on the current session: an array of the ranks' own slabs, a future.
void compute_on_session(const std::vector<int>& world_ranks_of_session) {
  auto& session = pando::Session::current();
  std::vector<double> storage;
  auto x = pando::from_local(slab_of(world_rank(), storage));
  EXPECT_DOUBLE_EQ(x.sum().compute().values<double>()[0], expected_sum(world_ranks_of_session));
  auto f = session.submit([](int a, int b) { return a * b; }, 6, 7);
  EXPECT_EQ(f.result(), 42);
}

TEST(HostComm, SessionOnHalfTheRanksWhileTheOthersDoTheirOwnCollectives) {
  const int rank = world_rank(), size = world_size();
  // The host's message to the next rank, sent on the world before the sessions start and
  // received after they end, with a tag Pando also uses: Pando's traffic must never take it.
  const int next = (rank + 1) % size, prev = (rank + size - 1) % size;
  const int token = 1000 + rank;
  MPI_Request sent = MPI_REQUEST_NULL;
  if (size > 1) MPI_Isend(&token, 1, MPI_INT, next, 0, MPI_COMM_WORLD, &sent);

  const int color = rank % 2;
  MPI_Comm half = MPI_COMM_NULL;
  MPI_Comm_split(MPI_COMM_WORLD, color, rank, &half);
  std::vector<int> members;
  for (int r = color; r < size; r += 2) members.push_back(r);

  if (color == 0) {
    pando::Session session(half);
    EXPECT_EQ(session.size(), static_cast<int>(members.size()));
    compute_on_session(members);
  } else {
    // The other half's own collectives, at the same time, on the host's communicator.
    for (int i = 0; i < 50; ++i) {
      int one = 1, total = 0;
      MPI_Allreduce(&one, &total, 1, MPI_INT, MPI_SUM, half);
      EXPECT_EQ(total, static_cast<int>(members.size()));
    }
  }
  MPI_Comm_free(&half);

  if (size > 1) {
    int got = -1;
    MPI_Recv(&got, 1, MPI_INT, prev, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    EXPECT_EQ(got, 1000 + prev);
    MPI_Wait(&sent, MPI_STATUS_IGNORE);
  }
}

TEST(HostComm, BothHalvesRunSessionsAtOnce) {
  const int rank = world_rank(), size = world_size();
  MPI_Comm half = MPI_COMM_NULL;
  MPI_Comm_split(MPI_COMM_WORLD, rank % 2, rank, &half);
  std::vector<int> members;
  for (int r = rank % 2; r < size; r += 2) members.push_back(r);
  {
    pando::Session session(half);
    compute_on_session(members);
  }
  MPI_Comm_free(&half);
}

TEST(HostComm, SessionsFollowOneAnotherOnTheWorld) {
  std::vector<int> everyone(static_cast<std::size_t>(world_size()));
  std::iota(everyone.begin(), everyone.end(), 0);
  for (int i = 0; i < 3; ++i) {
    pando::Session session(MPI_COMM_WORLD);
    EXPECT_EQ(session.rank(), world_rank());
    compute_on_session(everyone);
  }
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  EXPECT_TRUE(initialized && !finalized) << "a session on the host's communicator ended MPI";
}

TEST(HostComm, ASessionOnNoCommunicatorIsAClearError) {
  try {
    pando::Session session(MPI_COMM_NULL);
    FAIL() << "a session on MPI_COMM_NULL was created";
  } catch (const pando::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("MPI_COMM_NULL"), std::string::npos) << e.what();
  }
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  // Every rank runs every test and prints its own results (a failure names its rank below).
  int failed = RUN_ALL_TESTS() != 0 ? 1 : 0, any = 0;
  MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (failed) std::fprintf(stderr, "[rank %d] FAILED\n", world_rank());
  MPI_Finalize();
  return any;
}
