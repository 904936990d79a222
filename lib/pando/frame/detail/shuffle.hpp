#pragma once
// The shuffle engine (shuffle.cpp, docs/architecture.md §3.4.1): rows move to the partition
// their route names, all-to-all between the ranks, in rounds bounded by the memory budget, the
// rows counted on both sides. shuffle_partitions makes a frame of it; operations that decide
// inside one collective how to move their rows (groupby: few groups or many) call
// shuffle_tables and gather_tables there.

#include <pando/frame/dataframe.hpp>
#include <pando/frame/detail/rows.hpp>
#include <pando/graph/task.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace pando::detail {

// The output partition of each row of a table, input partition number `source` (a hash of
// keys, a range of sort keys). In a RawVec: a row's route is written once, never zeroed first.
using Route = std::function<RawVec<std::uint32_t>(const Table&, std::int64_t source)>;
// Rows by the hash of their values in `on` (detail/hash.hpp), among `outputs` partitions.
Route hash_route(std::vector<std::string> on, std::uint32_t outputs);
// Rows to the partition an int64 column of theirs names (a null to `missing_to`): rows sent back
// where they came from.
Route column_route(std::string column, std::uint32_t missing_to);

// How a shuffle cuts and sends its rows: the exchange's round size (a share of the memory
// budget; it bounds the transport's memory, never what the output holds) and the size of the
// row chunks a piece is cut in (fixed, so that the pieces, and the output, do not depend on the
// rank count or the budget). Tests make both tiny to force many rounds and chunks.
struct ShuffleSizes {
  std::size_t round_bytes;
  std::size_t piece_bytes;
  static ShuffleSizes of_session();
};

// More partitions than a shuffle makes (each is a task).
inline constexpr std::int64_t max_shuffle_partitions = std::int64_t{1} << 20;

// Output partitions are spread in contiguous blocks, rank r owning [first(r), first(r + 1)).
struct Owners {
  std::int64_t outputs;
  int ranks;
  [[nodiscard]] int of(std::int64_t j) const { return static_cast<int>(j * ranks / outputs); }
  [[nodiscard]] std::int64_t first(int r) const {
    return (static_cast<std::int64_t>(r) * outputs + ranks - 1) / ranks;
  }
};

// What one rank holds of a shuffle's output: partitions [first, first + tables.size()).
struct ShuffledPartitions {
  std::int64_t first = 0;
  std::vector<Table> tables;
};

// Inside a collective: the input tables (in.values, at in.positions) moved to `outputs`
// partitions by `route`, each in input order; this rank's share (Owners). Every rank throws the
// same error if one failed, and an InternalError naming `name` if rows were lost.
ShuffledPartitions shuffle_tables(const CollectiveInputs& in, const Schema& schema,
                                  std::int64_t outputs, const Route& route, ShuffleSizes sizes,
                                  std::string_view name);

// Inside a collective: every rank's input tables on every rank, in input order (for partials
// small enough to combine everywhere). Throws on every rank if one failed.
std::vector<Table> gather_tables(const CollectiveInputs& in, std::size_t inputs,
                                 ShuffleSizes sizes);

// Inside a collective: rows by ranges of their values in `keys` (in that order, nulls where
// `nulls_first` says), among `outputs` partitions: splitters chosen from a sample of every input
// (evenly spaced rows, gathered everywhere). Equal keys go to one partition; with
// `by_position`, ties are broken by the row's place in the frame instead (a sort: a column of
// one repeated value still spreads evenly).
Route range_route(const CollectiveInputs& in, std::vector<SortKey> keys, bool nulls_first,
                  bool by_position, std::int64_t outputs, std::size_t inputs, ShuffleSizes sizes);

// A frame of `outputs` partitions holding every row of `df`, each in the partition `route`
// gives it, in frame order within a partition (`name` names the operation in errors). The
// partitions are alike at any rank count.
DataFrame shuffle_partitions(const DataFrame& df, std::string_view name, Hasher h,
                             std::int64_t outputs, Route route,
                             ShuffleSizes sizes = ShuffleSizes::of_session());

// The frame whose partition j is table j of the per_rank ShuffledPartitions value of `all`
// (a collective task's key), on its owner rank.
DataFrame partitions_of(const Key& all, Schema schema, std::int64_t outputs, std::string token,
                        Graph graph);

}  // namespace pando::detail
