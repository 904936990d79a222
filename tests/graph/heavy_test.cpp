// Tests too slow for the regular suite on a small machine (label `heavy`, which the test presets
// leave out: ctest --preset heavy runs them).

#include <pando/graph/delayed.hpp>
#include <pando/graph/runtime.hpp>

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

namespace {
// 2.5 GiB: more than MPI's 2^31 - 1 elements in one call, and more than two pieces of a chain.
constexpr std::size_t huge = (std::size_t{5} << 30) / 2;

// Byte i holds i mod 256: any piece received out of place or twice shows.
std::vector<std::uint8_t> pattern() {
  std::vector<std::uint8_t> v(huge);
  for (std::size_t i = 0; i < huge; ++i) v[i] = static_cast<std::uint8_t>(i);
  return v;
}
bool is_pattern(const std::vector<std::uint8_t>& v) {
  if (v.size() != huge) return false;
  std::uint8_t bad = 0;
  for (std::size_t i = 0; i < huge; ++i) bad |= static_cast<std::uint8_t>(v[i] ^ i);
  return bad == 0;
}
}  // namespace

// Issue 25: a value over 2 GiB made on one rank and used on another, and a result over 2 GiB
// delivered to every rank.
TEST(LargeValues, MoreThanTwoGiBBetweenRanksAndToEveryRank) {
  if (test::size() != 2) GTEST_SKIP() << "runs at 2 ranks (memory)";
  std::vector<Task> tasks;
  Task make;
  make.key = Key("make");
  make.placement = Placement::on_rank(1);
  make.nbytes = huge;
  make.fn = [](std::span<const Value>) { return Value::of(pattern()); };
  Task check;
  check.key = Key("check");
  check.inputs = {Key("make")};
  check.placement = Placement::on_rank(0);
  check.fn = [](std::span<const Value> in) {
    return Value::of(is_pattern(in[0].get<std::vector<std::uint8_t>>()) ? 1 : 0);
  };
  tasks.push_back(std::move(make));
  tasks.push_back(std::move(check));
  Graph g(std::move(tasks));
  const Key checked("check"), made("make");
  EXPECT_EQ(Runtime::current().compute(g, {&checked, 1})[0].get<int>(), 1);
  auto everywhere = Runtime::current().compute(g, {&made, 1});
  EXPECT_TRUE(is_pattern(everywhere[0].get<std::vector<std::uint8_t>>()));
}
