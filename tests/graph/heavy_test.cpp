// Tests too slow for the regular suite on a small machine (label `heavy`, which the test presets
// leave out: ctest --preset heavy runs them).

#include <pando/graph/delayed.hpp>

#include <gtest/gtest.h>
#include <mpi_test.hpp>

using namespace pando;

// Issue 25: a chain of a million delayed calls is planned, run and then released (its layers
// without recursion, Layer::~Layer), at any rank count.
TEST(DelayedHeavy, MillionLinkChainComputes) {
  constexpr std::int64_t links = 1'000'000;
  auto inc = delayed([](std::int64_t v) { return v + 1; }).name("inc");
  auto chain = inc(std::int64_t{0});
  for (std::int64_t i = 1; i < links; ++i) chain = inc(chain);
  EXPECT_EQ(chain.compute(), links);
}
