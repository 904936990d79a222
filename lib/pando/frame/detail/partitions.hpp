#pragma once
// Helpers the DataFrame operations share (internal to the frame module).

#include <pando/expr/program.hpp>
#include <pando/frame/dataframe.hpp>

namespace pando::detail {

// What sorted_by found (divisions.cpp): the rows are in non-decreasing order of `column`, and
// row p of `bounds` (columns min, max; nulls for an empty partition) is partition p's range.
struct Divisions {
  std::string column;
  Table bounds;
};

// A column as the expression evaluator sees it, and a result as a column (no copies).
expr::Input input_of(const Column& c);
Column column_of(expr::Output out);
// `e` compiled against a schema's columns (errors name the columns).
expr::Program compile_for(const expr::Expr& e, const Schema& schema);
// `program` over every row of `t`.
Column evaluate(const expr::Program& program, const Table& t);

std::vector<Key> partition_keys(const DataFrame& df);
// A frame whose partition i is f(partition i of df); one task per partition, fused with the
// producer where the planner can.
DataFrame per_partition(const DataFrame& df, std::string_view name, Hasher h, Schema out,
                        std::function<Table(const Table&)> f);

// Reduces the partitions to one value, on every rank: a partial per partition, combined along
// a tree of `fan_in` by partition order (the same tree, so the same bits, at any rank count).
Value reduce_partitions(const DataFrame& df, std::string_view name, Hasher h,
                        std::function<Value(const Table&)> partial,
                        std::function<Value(std::span<const Value>)> combine);

// The output partition of each row of a table (the shuffle engine's routing: a hash of keys, a
// range of a sort key).
using Route = std::function<std::vector<std::uint32_t>(const Table&)>;
// Rows by the hash of their values in `on` (detail/hash.hpp), among `outputs` partitions.
Route hash_route(std::vector<std::string> on, std::uint32_t outputs);

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

// The shuffle engine (shuffle.cpp): a frame of `outputs` partitions holding every row of `df`,
// each in the partition `route` gives it, in frame order within a partition. All-to-all in
// rounds; the rows are counted on both sides (`name` names the operation in errors). The
// partitions are alike at any rank count.
DataFrame shuffle_partitions(const DataFrame& df, std::string_view name, Hasher h,
                             std::int64_t outputs, Route route,
                             ShuffleSizes sizes = ShuffleSizes::of_session());

}  // namespace pando::detail
