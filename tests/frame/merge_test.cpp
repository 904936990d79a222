// merge at 1-4 ranks against a serial nested-loop join computed here, on awkward frames (nulls
// and NaN keys, which match each other as in pandas; dictionary and plain strings; duplicate
// keys on both sides), each how, through each plan: the right side gathered everywhere, both
// sides shuffled, and a skewed key (a third of the rows) kept out of the shuffle.

#include <pando/frame/detail/merge.hpp>
#include <pando/frame/merge.hpp>

#include "awkward_frame.hpp"
#include "dataframe_test_util.hpp"

#include <algorithm>
#include <numeric>

namespace pando::test {
namespace {

// The awkward frame with a third of its k values set to 7 (a hot key).
DataFrame skewed(std::int64_t partitions, std::int64_t spread) {
  return awkward_frame(partitions, spread)
      .map_partitions(
          [](const Table& t) {
            std::vector<std::int64_t> k(t.column("k").values<std::int64_t>().begin(),
                                        t.column("k").values<std::int64_t>().end());
            std::vector<bool> valid;
            for (std::size_t i = 0; i < k.size(); ++i) {
              valid.push_back(t.column("k").is_valid(i));
              if (i % 3 == 0) k[i] = 7, valid.back() = true;
            }
            return t.with_column("k", Column::from_values(k, valid));
          },
          awkward_part(0, spread).schema(), "skew");
}

// The reference: every (left, right) pair of equal keys, left rows in order and each one's
// matches in right order; unmatched rows as the join keeps them.
Table reference(const Table& l, const Table& r, const std::vector<std::string>& on, JoinHow how) {
  std::vector<std::int64_t> li, ri;
  std::vector<char> matched(r.rows(), 0);
  const bool by_right = how == JoinHow::right;
  const Table& a = by_right ? r : l;
  const Table& b = by_right ? l : r;
  for (std::size_t i = 0; i < a.rows(); ++i) {
    bool any = false;
    for (std::size_t j = 0; j < b.rows(); ++j)
      if (key_of(a, on, i) == key_of(b, on, j)) {
        (by_right ? ri : li).push_back(static_cast<std::int64_t>(i));
        (by_right ? li : ri).push_back(static_cast<std::int64_t>(j));
        matched[by_right ? i : j] = 1;
        any = true;
      }
    if (!any && how != JoinHow::inner) {
      (by_right ? ri : li).push_back(static_cast<std::int64_t>(i));
      (by_right ? li : ri).push_back(-1);
    }
  }
  if (how == JoinHow::outer)
    for (std::size_t j = 0; j < r.rows(); ++j)
      if (!matched[j]) li.push_back(-1), ri.push_back(static_cast<std::int64_t>(j));
  std::vector<std::string> names;
  std::vector<Column> columns;
  for (const std::string& c : l.names()) {
    const bool key = std::find(on.begin(), on.end(), c) != on.end();
    if (key) {
      const std::array<Column, 2> both{l.column(c), r.column(c)};
      std::vector<std::int64_t> at;
      for (std::size_t k = 0; k < li.size(); ++k)
        at.push_back(li[k] >= 0 ? li[k] : static_cast<std::int64_t>(l.rows()) + ri[k]);
      columns.push_back(Column::concat(both).take(at));
    } else {
      columns.push_back(l.column(c).take(li));
    }
    names.push_back(key || !r.has_column(c) ? c : c + "_x");
  }
  for (const std::string& c : r.names()) {
    if (std::find(on.begin(), on.end(), c) != on.end()) continue;
    columns.push_back(r.column(c).take(ri));
    names.push_back(l.has_column(c) ? c + "_y" : c);
  }
  return Table(names, columns);
}

TEST(Merge, MatchesANestedLoopJoinThroughEachPlan) {
  struct Sides {
    DataFrame left, right;
    const char* what;
  };
  const std::vector<Sides> sides = {
      {awkward_frame(9, 5), awkward_frame(7, 4), "few keys"},
      {awkward_frame(9, 400), awkward_frame(5, 300), "many keys"},
      {skewed(9, 400), skewed(6, 300), "a hot key"},
      {awkward_frame(0, 5), awkward_frame(4, 5), "no left partitions"},
  };
  for (const Sides& s : sides) {
    const Table l = s.left.compute(), r = s.right.compute();
    for (const std::vector<std::string>& on :
         {std::vector<std::string>{"k"}, {"s"}, {"k", "s"}, {"x"}}) {
      for (JoinHow how : {JoinHow::inner, JoinHow::left, JoinHow::right, JoinHow::outer}) {
        const Table want = reference(l, r, on, how);
        for (std::uint64_t broadcast : {std::uint64_t{1} << 40, std::uint64_t{0}}) {
          MergeOptions o;
          o.on = on;
          o.how = how;
          const Table got =
              detail::merge_with(s.left, s.right, o, {{4096, 256}, broadcast}).compute();
          EXPECT_TRUE(got.equals(want))
              << s.what << ", on " << on[0] << (on.size() > 1 ? ",..." : "") << ", how "
              << static_cast<int>(how) << ", " << (broadcast ? "gathered" : "shuffled") << ":\n"
              << render(got) << "\nwanted\n"
              << render(want);
        }
      }
    }
  }
}

TEST(Merge, KeysNamedDifferentlyAndSuffixes) {
  const DataFrame left = awkward_frame(5, 6);
  const DataFrame right = awkward_frame(4, 6).rename({{"k", "key"}});
  MergeOptions o;
  o.left_on = {"k"};
  o.right_on = {"key"};
  o.left_suffix = "_l";
  o.right_suffix = "_r";
  const Table got = merge(left, right, o).compute();
  EXPECT_EQ(got.names(),
            (std::vector<std::string>{"k", "x_l", "s_l", "t_l", "key", "x_r", "s_r", "t_r"}));
  for (std::size_t i = 0; i < got.rows(); ++i)
    EXPECT_EQ(cell(got.column("k"), i), cell(got.column("key"), i));
}

TEST(Merge, SaysWhatIsWrong) {
  const DataFrame left = awkward_frame(3, 6);
  const DataFrame right = awkward_frame(3, 6).astype({{"k", DType::float64}});
  expect_error([&] { (void)merge(left, right, {.on = {"k"}}); },
               "merge: the key 'k' is int64 on the left and 'k' is float64 on the right; make "
               "them one type first (astype, or --dtype k=int64 when reading)");
  expect_error([&] { (void)merge(left, right, {}); },
               "merge: name the key columns (on, or left_on and right_on)");
  expect_error([&] { (void)merge(left, right, {.on = {"nope"}}); },
               "no column 'nope'; the columns are 'k', 'x', 's', 't'");
  expect_error([&] { (void)parse_join_how("cross"); },
               "join: 'cross' is not a kind of join (inner, left, right or outer)");
}

}  // namespace
}  // namespace pando::test
