// Distinct values and rows: value_counts, nunique and drop_duplicates, over groupby and the
// shuffle engine.

#include <pando/core/error.hpp>
#include <pando/frame/detail/partitions.hpp>
#include <pando/frame/detail/rows.hpp>
#include <pando/frame/detail/shuffle.hpp>
#include <pando/frame/groupby.hpp>
#include <pando/graph/runtime.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace pando {

namespace detail {
namespace {

// Where each row was: its partition and its row there (columns drop_duplicates adds and
// removes).
const std::string source_column = "\x01source";
const std::string row_column = "\x01row";

DataFrame with_frame_positions(const DataFrame& df, const Hasher& h) {
  Schema schema = df.schema();
  std::vector<Field> fields = schema.fields();
  fields.push_back({source_column, DType::int64});
  fields.push_back({row_column, DType::int64});
  const std::string token = make_token("with-positions", Hasher(h).add(df.token()).value());
  std::vector<Task> tasks;
  for (std::int64_t p = 0; p < df.npartitions(); ++p) {
    Task t;
    t.key = Key(token, {p});
    t.inputs = {df.partition_key(p)};
    t.fn = [p](std::span<const Value> in) {
      return Value::of(with_positions(in[0].get<Table>(), p, source_column, row_column));
    };
    tasks.push_back(std::move(t));
  }
  return DataFrame(Schema(std::move(fields)), df.npartitions(), token,
                   Graph(std::move(tasks), {&df.graph()}));
}

// The first (or last) row of each group of equal `subset` values, in row order.
Table first_of_each(const Table& t, const std::vector<std::string>& subset, bool keep_last) {
  const Groups groups = group_rows(t, subset, false);
  std::vector<std::int64_t> kept = groups.first_row;
  if (keep_last) {
    for (std::size_t i = 0; i < groups.of_row.size(); ++i)
      kept[static_cast<std::size_t>(groups.of_row[i])] = static_cast<std::int64_t>(i);
    std::sort(kept.begin(), kept.end());
  }
  return t.take(kept);
}

}  // namespace
}  // namespace detail

DataFrame DataFrame::value_counts(const std::string& column) const {
  (void)schema_.index_of(column);
  GroupByOptions options;
  options.sort = false;  // the order comes from the sort by count
  const DataFrame counts =
      groupby({column}, options).agg({{column, "size"}}).rename({{column + "_size", "count"}});
  return counts.sort_values({{"count", false}, {column, true}});
}

Table DataFrame::nunique(const std::vector<std::string>& columns) const {
  const std::vector<std::string> names = columns.empty() ? schema_.names() : columns;
  // One graph: each column's groups counted, the file read once for all of them.
  std::vector<DataFrame> groups;
  std::vector<const Graph*> graphs;
  std::vector<Task> tasks;
  std::vector<Key> totals;
  for (const std::string& c : names) {
    groups.push_back(groupby({c}, {.sort = false}).agg({{c, "size"}}));
    const DataFrame& g = groups.back();
    Task total;
    total.key = Key(make_token("nunique", Hasher("nunique").add(g.token()).value()));
    total.inputs = detail::partition_keys(g);
    total.fn = [](std::span<const Value> in) {
      std::int64_t n = 0;
      for (const Value& v : in) n += static_cast<std::int64_t>(v.get<Table>().rows());
      return Value::of(n);
    };
    totals.push_back(total.key);
    tasks.push_back(std::move(total));
  }
  for (const DataFrame& g : groups) graphs.push_back(&g.graph());
  const auto values = Runtime::current().compute(Graph(std::move(tasks), graphs), totals);
  std::vector<std::int64_t> counts;
  for (const Value& v : values) counts.push_back(v.get<std::int64_t>());
  return Table({"column", "nunique"},
               {Column::from_strings(names), Column::from_values(std::move(counts))});
}

DataFrame DataFrame::drop_duplicates(const std::vector<std::string>& subset, bool keep_last) const {
  const std::vector<std::string> on = subset.empty() ? schema_.names() : subset;
  for (const std::string& c : on) (void)schema_.index_of(c);
  Hasher h("drop-duplicates");
  h.add_all(on).add(keep_last);
  const std::int64_t outputs = std::max<std::int64_t>(partitions_, 1);
  // Equal rows meet in one partition, in frame order, where the first (last) of each stays;
  // then every row goes back to its own partition, in its place.
  const DataFrame by_value = detail::shuffle_partitions(
      detail::with_frame_positions(*this, h), "drop_duplicates", h, outputs,
      detail::hash_route(on, static_cast<std::uint32_t>(outputs)));
  const DataFrame kept = detail::per_partition(
      by_value, "drop-duplicates-keep", h, by_value.schema(),
      [on, keep_last](const Table& t) { return detail::first_of_each(t, on, keep_last); });
  const DataFrame back =
      detail::shuffle_partitions(kept, "drop_duplicates", Hasher(h).add("back"), outputs,
                                 detail::column_route(detail::source_column, 0));
  return detail::per_partition(back, "drop-duplicates-order", h, schema_, [](const Table& t) {
    return t.sort_values({{detail::row_column, true}})
        .drop({detail::source_column, detail::row_column});
  });
}

}  // namespace pando
