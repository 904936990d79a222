// Serialization round trips: nested std containers, strings, user structs; broadcast.

#include <pando/core/serialize.hpp>

#include <gtest/gtest.h>
#include <mpi_test.hpp>

#include <boost/serialization/set.hpp>

#include <map>
#include <set>

using pando::test::comm;

namespace {

struct Fit {
  double alpha = 0;
  std::vector<double> coef;
  std::map<std::string, std::vector<int>> folds;
  std::optional<std::string> note;

  bool operator==(const Fit&) const = default;
  template <class A>
  void serialize(A& a, unsigned) {
    pando::fields(a, alpha, coef, folds, note);
  }
};

template <class T>
T round_trip(const T& v) {
  return pando::from_bytes<T>(pando::to_bytes(v));
}

}  // namespace

TEST(Serialize, Scalars) {
  EXPECT_EQ(round_trip(42), 42);
  EXPECT_EQ(round_trip(-0.125), -0.125);
  EXPECT_EQ(round_trip(std::string("héllo, \"world\"\n")), "héllo, \"world\"\n");
  EXPECT_EQ(round_trip(std::string()), "");
}

TEST(Serialize, NestedContainers) {
  std::vector<std::vector<std::string>> v = {{"a", ""}, {}, {"ünï", "x,y"}};
  EXPECT_EQ(round_trip(v), v);
  std::map<int, std::set<std::string>> m = {{1, {"x"}}, {-3, {}}};
  EXPECT_EQ(round_trip(m), m);
  std::pair<int, std::vector<double>> p = {3, {1.5, -2}};
  EXPECT_EQ(round_trip(p), p);
}

TEST(Serialize, UserStruct) {
  Fit f{0.5, {1, 2, 3}, {{"fold0", {0, 1}}}, std::string("ridge")};
  EXPECT_EQ(round_trip(f), f);
  EXPECT_EQ(round_trip(Fit{}), Fit{});
}

TEST(Serialize, TruncatedBytesAreAValueError) {
  auto bytes = pando::to_bytes(std::vector<std::string>{"abcdef", "ghi"});
  bytes.resize(bytes.size() / 2);
  EXPECT_THROW((void)pando::from_bytes<std::vector<std::string>>(bytes), pando::ValueError);
}

TEST(Serialize, BroadcastFromRoot) {
  for (int root = 0; root < comm().size(); ++root) {
    Fit f;
    if (comm().rank() == root) f = Fit{1.0 * root, {1.0 * root}, {{"r", {root}}}, std::nullopt};
    pando::broadcast(comm(), f, root);
    EXPECT_EQ(f, (Fit{1.0 * root, {1.0 * root}, {{"r", {root}}}, std::nullopt}));
  }
}
