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

}  // namespace pando::detail
