// The shuffle engine, at 1-4 ranks: every row lands in the partition its key hashes to, in frame
// order within it, whatever the rank count; the rows are counted (a shuffle broken on purpose is
// caught); a fault on one rank ends every rank with the same error.

#include <pando/core/fault.hpp>
#include <pando/frame/detail/hash.hpp>
#include <pando/frame/detail/partitions.hpp>
#include <pando/frame/detail/shuffle.hpp>
#include <pando/graph/delayed.hpp>

#include "awkward_frame.hpp"
#include "dataframe_test_util.hpp"

#include <cmath>
#include <limits>
#include <optional>

namespace pando::test {
namespace {

// Partition p of the awkward frame (awkward_frame.hpp) with the partition's number as "row".
Table numbered_part(std::int64_t p) {
  const Table t = awkward_part(p, 5);
  return t.with_column("row", Column::from_values(std::vector<std::int64_t>(t.rows(), p)));
}

DataFrame numbered_frame(std::int64_t partitions) {
  std::vector<Delayed<Table>> made;
  for (std::int64_t p = 0; p < partitions; ++p)
    made.push_back(delayed(numbered_part).name("numbered")(p));
  return DataFrame::from_delayed(made, numbered_part(0).schema());
}

// The serial reference: partition j holds the rows of the whole frame whose key hashes to j,
// in frame order.
std::vector<Table> reference(const Table& whole, const std::vector<std::string>& on,
                             std::uint32_t outputs) {
  const auto hashes = detail::hash_rows(whole, on);
  std::vector<std::vector<std::int64_t>> rows(outputs);
  for (std::size_t i = 0; i < hashes.size(); ++i)
    rows[detail::partition_of(hashes[i], outputs)].push_back(static_cast<std::int64_t>(i));
  std::vector<Table> parts;
  for (const auto& r : rows) parts.push_back(whole.take(r));
  return parts;
}

// Each partition of `df`, computed.
std::vector<Table> partitions_of(const DataFrame& df) {
  std::vector<Table> out;
  for (const auto& d : df.to_delayed()) out.push_back(d.compute());
  return out;
}

void expect_shuffled(const DataFrame& df, const std::vector<std::string>& on,
                     std::int64_t outputs) {
  const DataFrame shuffled = df.shuffle(on, outputs);
  ASSERT_EQ(shuffled.npartitions(), outputs);
  const auto want = reference(df.compute(), on, static_cast<std::uint32_t>(outputs));
  const auto got = partitions_of(shuffled);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t j = 0; j < want.size(); ++j)
    EXPECT_TRUE(got[j].equals(want[j]))
        << "partition " << j << " of " << outputs << " on " << on.front() << ":\n"
        << render(got[j]) << "\nwanted\n"
        << render(want[j]);
}

TEST(Shuffle, EveryRowGoesToItsKeysPartitionInFrameOrder) {
  const DataFrame df = numbered_frame(8);
  for (std::int64_t outputs : {1, 2, 3, 5, 8, 64})
    for (const std::vector<std::string>& on :
         {std::vector<std::string>{"k"}, {"x"}, {"s"}, {"t"}, {"k", "s"}})
      expect_shuffled(df, on, outputs);
}

// The shuffle of `df` on k by hash into `outputs` partitions, with the given sizes.
DataFrame shuffle_with(const DataFrame& df, std::int64_t outputs, detail::ShuffleSizes sizes,
                       std::function<void(const Table&)> before = {}) {
  Hasher h("shuffle-test");
  h.add(static_cast<std::int64_t>(sizes.round_bytes))
      .add(static_cast<std::int64_t>(sizes.piece_bytes));
  const detail::Route by_k = detail::hash_route({"k"}, static_cast<std::uint32_t>(outputs));
  return detail::shuffle_partitions(
      df, "shuffle-test", h, outputs,
      [by_k, before](const Table& t, std::int64_t source) {
        if (before) before(t);
        return by_k(t, source);
      },
      sizes);
}

TEST(Shuffle, ManyRoundsAndChunksGiveTheSamePartitions) {
  const DataFrame df = numbered_frame(8);
  const auto want = partitions_of(df.shuffle({"k"}, 5));
  for (const detail::ShuffleSizes sizes : {detail::ShuffleSizes{1, 1}, {4096, 256}, {65536, 300}}) {
    const auto got = partitions_of(shuffle_with(df, 5, sizes));
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t j = 0; j < want.size(); ++j)
      EXPECT_TRUE(got[j].equals(want[j]))
          << "partition " << j << ", rounds of " << sizes.round_bytes << ", pieces of "
          << sizes.piece_bytes;
  }
}

TEST(Shuffle, ARouteThatThrowsOnOneRankEndsEveryRankAlike) {
  const DataFrame df = numbered_frame(8);
  try {
    // Partition 3 lives on one rank.
    (void)shuffle_with(df, 3, {4096, 256}, [](const Table& t) {
      if (t.rows() > 0 && t.column("row").values<std::int64_t>()[0] == 3)
        throw ValueError("no route here");
    }).compute();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(error_text(e).find("no route here"), std::string::npos) << error_text(e);
  }
  expect_shuffled(df, {"k"}, 3);
}

TEST(Shuffle, EmptyAndSingleRowFrames) {
  expect_shuffled(numbered_frame(0), {"k"}, 3);
  expect_shuffled(numbered_frame(2), {"k"}, 4);  // partition 1 is empty
  expect_shuffled(numbered_frame(3).filter(expr::col("row") == expr::lit(2)), {"s"}, 2);
  EXPECT_EQ(numbered_frame(0).shuffle({"k"}).npartitions(), 1);
}

TEST(Shuffle, EqualKeysMeetWhateverTheirStorage) {
  // Dictionary-encoded and plain strings, -0.0 and 0.0, NaN and null, int32 and int64.
  const Column plain = Column::from_strings(std::vector<std::string>{"x", "yy", "x", ""});
  const Table a({"s", "f", "i"}, {plain, Column::from_values(std::vector<double>{0.0, nan, 1, 2}),
                                  Column::from_values(std::vector<std::int64_t>{1, 2, 3, 4})});
  const Table b({"s", "f", "i"},
                {plain.dictionary_encoded(),
                 Column::from_values(std::vector<double>{-0.0, 5, 1, 2}, {true, false, true, true}),
                 Column::from_values(std::vector<std::int32_t>{1, 2, 3, 4})});
  for (const std::string c : {"s", "f", "i"}) {
    const std::vector<std::string> on{c};
    EXPECT_EQ(detail::hash_rows(a, on), detail::hash_rows(b, on)) << c;
  }
  EXPECT_NE(detail::hash_rows(a, std::vector<std::string>{"s"})[0],
            detail::hash_rows(a, std::vector<std::string>{"s"})[1]);
}

TEST(Shuffle, UnknownColumnsAndNoColumnsAreUsageErrors) {
  const DataFrame df = numbered_frame(2);
  EXPECT_THROW((void)df.shuffle({"nope"}), UsageError);
  EXPECT_THROW((void)df.shuffle({}), UsageError);
  EXPECT_THROW((void)df.shuffle({"k"}, -1), UsageError);
  EXPECT_THROW((void)df.shuffle({"k"}, std::int64_t{1} << 40), UsageError);
}

TEST(Shuffle, ARowLostInTransitIsAnInternalErrorOnEveryRank) {
  const DataFrame df = numbered_frame(6);
  fault::arm(fmt::format("lose_row:{}:1", comm().size() - 1));
  try {
    (void)df.shuffle({"k"}, 4).compute();
    ADD_FAILURE() << "the lost row went unnoticed";
  } catch (const Error& e) {
    EXPECT_NE(error_text(e).find("shuffle: 26 rows went into the shuffle and 25 came out"),
              std::string::npos)
        << error_text(e);
  }
  fault::disarm();
  expect_shuffled(df, {"k"}, 4);  // the session goes on
}

TEST(Shuffle, AFailedExchangeOnOneRankEndsEveryRankAlike) {
  const DataFrame df = numbered_frame(6);
  fault::arm(fmt::format("exchange:{}:1", comm().size() - 1));
  try {
    (void)df.shuffle({"s"}, 3).compute();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(error_text(e).find("injected fault: exchange #1 on rank"), std::string::npos)
        << error_text(e);
  }
  fault::disarm();
  expect_shuffled(df, {"s"}, 3);
}

}  // namespace
}  // namespace pando::test
