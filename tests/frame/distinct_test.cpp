// value_counts, nunique and drop_duplicates at 1-4 ranks against serial references computed
// here, on the awkward frame.

#include <pando/frame/dataframe.hpp>

#include "awkward_frame.hpp"
#include "dataframe_test_util.hpp"

#include <map>
#include <set>

namespace pando::test {
namespace {

TEST(ValueCounts, CountsDescendingTiesByValue) {
  const DataFrame df = awkward_frame(10, 6);
  const Table whole = df.compute();
  for (const std::string column : {"k", "x", "s", "t"}) {
    std::map<std::string, std::int64_t> want;
    for (std::size_t i = 0; i < whole.rows(); ++i)
      if (auto c = cell(whole.column(column), i)) ++want[*c];
    const Table got = df.value_counts(column).compute();
    ASSERT_EQ(got.names(), (std::vector<std::string>{column, "count"}));
    ASSERT_EQ(got.rows(), want.size()) << column;
    const auto counts = got.column("count").values<std::int64_t>();
    for (std::size_t r = 0; r < got.rows(); ++r) {
      EXPECT_EQ(counts[r], want.at(*cell(got.column(column), r))) << column << " row " << r;
      if (r > 0) {
        EXPECT_GE(counts[r - 1], counts[r]) << column << " row " << r;
      }
    }
    // Ties by value: the rows of one count are sorted.
    const Table tied = got.sort_values({{"count", false}, {column, true}});
    EXPECT_TRUE(got.equals(tied)) << column;
  }
}

TEST(Nunique, DistinctPresentValuesPerColumn) {
  const DataFrame df = awkward_frame(10, 6);
  const Table whole = df.compute();
  const Table got = df.nunique();
  ASSERT_EQ(got.rows(), 4u);
  for (std::size_t r = 0; r < got.rows(); ++r) {
    const std::string column(got.column("column").string_at(r));
    std::set<std::string> distinct;
    for (std::size_t i = 0; i < whole.rows(); ++i)
      if (auto c = cell(whole.column(column), i)) distinct.insert(*c);
    EXPECT_EQ(got.column("nunique").values<std::int64_t>()[r],
              static_cast<std::int64_t>(distinct.size()))
        << column;
  }
}

TEST(DropDuplicates, FirstOrLastOfEachInFrameOrderInTheirPartitions) {
  const DataFrame df = awkward_frame(10, 3);
  for (const std::vector<std::string>& subset :
       {std::vector<std::string>{}, {"k"}, {"s"}, {"x"}, {"k", "s"}}) {
    const std::vector<std::string> on = subset.empty() ? df.columns() : subset;
    for (bool keep_last : {false, true}) {
      const DataFrame got = df.drop_duplicates(subset, keep_last);
      ASSERT_EQ(got.npartitions(), df.npartitions());
      // The reference: the kept row of each key, by its position in the frame.
      std::map<GroupKey, std::pair<std::size_t, std::size_t>> kept;  // key -> (partition, row)
      std::vector<Table> parts;
      for (const auto& d : df.to_delayed()) parts.push_back(d.compute());
      for (std::size_t p = 0; p < parts.size(); ++p)
        for (std::size_t i = 0; i < parts[p].rows(); ++i) {
          auto [at, fresh] = kept.try_emplace(key_of(parts[p], on, i), p, i);
          if (keep_last) at->second = {p, i};
        }
      std::vector<std::vector<std::int64_t>> rows(parts.size());
      for (const auto& [key, at] : kept)
        rows[at.first].push_back(static_cast<std::int64_t>(at.second));
      const auto got_parts = got.to_delayed();
      for (std::size_t p = 0; p < parts.size(); ++p) {
        std::sort(rows[p].begin(), rows[p].end());
        const Table want = parts[p].take(rows[p]);
        const Table mine = got_parts[p].compute();
        EXPECT_TRUE(mine.equals(want))
            << "partition " << p << " subset " << on.size() << " keep_last " << keep_last << "\n"
            << render(mine) << "\nwanted\n"
            << render(want);
      }
    }
  }
}

}  // namespace
}  // namespace pando::test
