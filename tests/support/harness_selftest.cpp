// Tests that misbehave on purpose, to prove the MPI test main reports them well. They are run
// only by the harness.* CTest entries (tests/CMakeLists.txt), which check the report.

#include <gtest/gtest.h>
#include <mpi_test.hpp>

#include <chrono>
#include <thread>

TEST(Selftest, FailsOnOneRank) { EXPECT_NE(pando::test::rank(), 1) << "rank 1 disagrees"; }

TEST(Selftest, HangsOnOneRank) {
  // Rank 0 waits in a collective that the other ranks never enter.
  if (pando::test::rank() == 0)
    pando::test::comm().barrier();
  else
    std::this_thread::sleep_for(std::chrono::seconds(30));
}
