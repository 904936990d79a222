// Errors: MPI failures become exceptions carrying MPI's message; messages say where.

#include <pando/core/comm.hpp>
#include <pando/core/error.hpp>

#include <gtest/gtest.h>
#include <mpi_test.hpp>

using pando::test::comm;

TEST(Error, MpiErrorCarriesMpiStringAndRank) {
  std::vector<int> data(1, 0);
  try {
    comm().send(std::span<const int>(data), comm().size() + 5, 0);  // no such rank
    FAIL() << "sending to a missing rank did not throw";
  } catch (const pando::MpiError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("MPI_Send failed on rank " + std::to_string(comm().rank())),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("MPI_ERR_RANK"), std::string::npos) << what;
    EXPECT_EQ(e.kind(), pando::ErrorKind::mpi);
  }
}

TEST(Error, ParseErrorSaysFileLineColumn) {
  pando::ParseError e("sales.csv", 10002, 3, "cannot read \"n/a\" as int64 (column 'qty')");
  EXPECT_STREQ(e.what(), "sales.csv:10002:3: cannot read \"n/a\" as int64 (column 'qty')");
  EXPECT_STREQ(pando::ParseError("expr", 0, 0, "empty").what(), "expr: empty");
  EXPECT_STREQ(pando::ParseError("f.csv", 4, 0, "x").what(), "f.csv:4: x");
}

TEST(Error, TaskErrorKeepsParts) {
  pando::TaskError e("sum-3f9a/2,0", 1, pando::ErrorKind::value, "negative input");
  EXPECT_STREQ(e.what(), "task 'sum-3f9a/2,0' failed on rank 1: negative input");
  EXPECT_EQ(e.key(), "sum-3f9a/2,0");
  EXPECT_EQ(e.rank(), 1);
  EXPECT_EQ(e.cause(), pando::ErrorKind::value);
  EXPECT_EQ(e.message(), "negative input");
}

TEST(Error, ThrowErrorRebuildsTheType) {
  EXPECT_THROW(pando::throw_error(pando::ErrorKind::io, "x"), pando::IoError);
  EXPECT_THROW(pando::throw_error(pando::ErrorKind::shape, "x"), pando::ShapeError);
  EXPECT_THROW(pando::throw_error(pando::ErrorKind::parse, "x"), pando::ParseError);
  EXPECT_THROW(pando::throw_error(pando::ErrorKind::generic, "x"), pando::Error);
  EXPECT_EQ(pando::kind_of(std::runtime_error("x")), pando::ErrorKind::generic);
  EXPECT_EQ(pando::kind_of(pando::UsageError("x")), pando::ErrorKind::usage);
}
