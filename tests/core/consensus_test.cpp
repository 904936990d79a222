// The same outcome on every rank: one rank's failure becomes every rank's error.

#include <pando/core/consensus.hpp>

#include <gtest/gtest.h>
#include <mpi_test.hpp>

using pando::test::comm;

TEST(Consensus, AgreeReturnsResultWhenAllSucceed) {
  EXPECT_EQ(pando::agree(comm(), [] { return comm().rank() * 2; }), comm().rank() * 2);
  EXPECT_NO_THROW(pando::agree(comm(), [] {}));
}

TEST(Consensus, AgreeThrowsLowestFailingRanksErrorEverywhere) {
  const int p = comm().size();
  const int first_bad = p > 1 ? 1 : 0;
  try {
    pando::agree(comm(), [&] {
      if (comm().rank() >= first_bad)
        throw pando::IoError("data.h5: no dataset '/x' (rank " + std::to_string(comm().rank()) +
                             ")");
      return 0;
    });
    FAIL() << "no error";
  } catch (const pando::IoError& e) {
    EXPECT_EQ(std::string(e.what()),
              "data.h5: no dataset '/x' (rank " + std::to_string(first_bad) + ")");
  }
}

TEST(Consensus, AgreeCarriesForeignExceptionsAsGenericErrors) {
  EXPECT_THROW(pando::agree(comm(),
                            [] {
                              if (comm().rank() == comm().size() - 1)
                                throw std::out_of_range("index 7");
                            }),
               pando::Error);
}

TEST(Consensus, OnRootBroadcastsResult) {
  auto v = pando::on_root(comm(), [] { return std::vector<std::string>{"a", "bc"}; });
  EXPECT_EQ(v, (std::vector<std::string>{"a", "bc"}));
  int calls = 0;
  pando::on_root(comm(), [&] { ++calls; });
  EXPECT_EQ(calls, comm().rank() == 0 ? 1 : 0);
}

TEST(Consensus, OnRootBroadcastsErrorWithItsType) {
  try {
    (void)pando::on_root(
        comm(), []() -> int { throw pando::ParseError("a.csv", 3, 7, "unterminated quote"); });
    FAIL() << "no error";
  } catch (const pando::ParseError& e) {
    EXPECT_STREQ(e.what(), "a.csv:3:7: unterminated quote");
  }
}

TEST(Consensus, TaskErrorsTravelWhole) {
  try {
    pando::agree(comm(), [] {
      if (comm().rank() == 0) throw pando::TaskError("k/1", 0, pando::ErrorKind::value, "boom");
    });
    FAIL() << "no error";
  } catch (const pando::TaskError& e) {
    EXPECT_EQ(e.key(), "k/1");
    EXPECT_EQ(e.message(), "boom");
    EXPECT_EQ(e.cause(), pando::ErrorKind::value);
  }
}
