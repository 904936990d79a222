// Ordering rows: sort_values (a sample sort over the shuffle engine), nlargest / nsmallest
// (each partition's top rows, combined), tail.

#include <pando/core/consensus.hpp>
#include <pando/core/error.hpp>
#include <pando/frame/detail/partitions.hpp>
#include <pando/frame/detail/rows.hpp>
#include <pando/frame/detail/shuffle.hpp>
#include <pando/graph/runtime.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace pando {

namespace detail {
namespace {

void check_sort_keys(const Schema& schema, const std::vector<SortKey>& by, std::string_view op) {
  if (by.empty()) throw UsageError(fmt::format("{}: name at least one column to order by", op));
  for (std::size_t i = 0; i < by.size(); ++i) {
    (void)schema.index_of(by[i].column);
    for (std::size_t j = 0; j < i; ++j)
      if (by[j].column == by[i].column)
        throw UsageError(fmt::format("{}: the column '{}' is named twice", op, by[i].column));
  }
}

// The collective of a sort: ranges from a sample, the rows moved to theirs, sorted there.
struct SampleSort {
  Schema schema;
  std::vector<SortKey> by;
  bool nulls_first;
  std::int64_t outputs;
  std::size_t inputs;
  ShuffleSizes sizes;

  Value operator()(const CollectiveInputs& in) const {
    const Route route = range_route(in, by, nulls_first, true, outputs, inputs, sizes);
    ShuffledPartitions out = shuffle_tables(in, schema, outputs, route, sizes, "sort_values");
    // Each output holds its rows in frame order: a stable sort keeps equal keys so.
    DeferredError failure;
    failure.run([&] {
      for (Table& t : out.tables) t = t.sort_values(by, nulls_first);
    });
    failure.agree(in.comm);
    return Value::local(std::move(out));
  }
};

// The first n rows of `t` in the order of `by`, leaving out rows missing any of its values.
Table top_rows(const Table& t, const std::vector<SortKey>& by, std::int64_t n) {
  const auto limit = static_cast<std::size_t>(n);
  if (by.size() == 1) {  // missing values come last: only the order's tail can hold them
    const auto missing = missing_test(t.column(by[0].column));
    std::vector<std::int64_t> rows;
    for (std::int64_t i : sorted_rows(t, by, false, limit))
      if (!missing(static_cast<std::size_t>(i))) rows.push_back(i);
    return t.take(rows);
  }
  std::vector<std::function<bool(std::size_t)>> missing;
  for (const SortKey& k : by) missing.push_back(missing_test(t.column(k.column)));
  std::vector<std::int64_t> present;
  for (std::size_t i = 0; i < t.rows(); ++i)
    if (std::none_of(missing.begin(), missing.end(), [i](const auto& m) { return m(i); }))
      present.push_back(static_cast<std::int64_t>(i));
  const Table rows = present.size() == t.rows() ? t : t.take(present);
  return rows.take(sorted_rows(rows, by, false, limit));
}

DataFrame top(const DataFrame& df, std::int64_t n, const std::vector<std::string>& columns,
              bool largest) {
  const std::string_view op = largest ? "nlargest" : "nsmallest";
  if (n < 0) throw UsageError(fmt::format("{}: {} rows? Give 0 or more", op, n));
  std::vector<SortKey> by;
  for (const std::string& c : columns) by.push_back({c, !largest});
  check_sort_keys(df.schema(), by, op);
  for (const SortKey& k : by) {
    const DType t = df.schema()[df.schema().index_of(k.column)].type;
    if (t == DType::string || t == DType::boolean)
      throw TypeError(
          fmt::format("{}: column '{}' is of type {}; it takes numbers and "
                      "timestamps, as pandas",
                      op, k.column, to_string(t)));
  }
  Hasher h(op);
  h.add(n).add_all(columns);
  const DataFrame partials = per_partition(df, std::string(op) + "-part", h, df.schema(),
                                           [by, n](const Table& t) { return top_rows(t, by, n); });
  h.add(partials.token());
  const std::string token = make_token(op, h.value());
  Task combine;
  combine.key = Key(token, {0});
  combine.inputs = partition_keys(partials);
  combine.fn = [by, n, schema = df.schema()](std::span<const Value> in) {
    std::vector<Table> parts;
    for (const Value& v : in) parts.push_back(v.get<Table>());
    // In partition order: the stable sort keeps ties in frame order.
    const Table all = parts.empty() ? Table::empty(schema) : Table::concat(parts);
    return Value::of(top_rows(all, by, n));
  };
  std::vector<Task> tasks;
  tasks.push_back(std::move(combine));
  return DataFrame(df.schema(), 1, token, Graph(std::move(tasks), {&partials.graph()}));
}

}  // namespace
}  // namespace detail

Table Table::sort_values(const std::vector<SortKey>& by, bool nulls_first) const {
  detail::check_sort_keys(schema_, by, "sort_values");
  return take(detail::sorted_rows(*this, by, nulls_first));
}

DataFrame DataFrame::sort_values(const std::vector<SortKey>& by, bool nulls_first) const {
  detail::check_sort_keys(schema_, by, "sort_values");
  Hasher h("sort-values");
  for (const SortKey& k : by) h.add(k.column).add(k.ascending);
  h.add(nulls_first).add(token_);
  const std::int64_t outputs = std::max<std::int64_t>(partitions_, 1);
  const auto sizes = detail::ShuffleSizes::of_session();
  Task x;
  x.key = Key(make_token("sort-values-exchange", h.value()));
  x.inputs = detail::partition_keys(*this);
  x.collective = collective_step(detail::SampleSort{schema_, by, nulls_first, outputs,
                                                    static_cast<std::size_t>(partitions_), sizes},
                                 CollectiveOutput::per_rank);
  const Key all = x.key;
  std::vector<Task> tasks;
  tasks.push_back(std::move(x));
  return detail::partitions_of(all, schema_, outputs, make_token("sort-values", h.value()),
                               Graph(std::move(tasks), {&graph_}));
}

DataFrame DataFrame::set_index(const std::string& column) const {
  return sort_values({{column, true}}).persist().sorted_by(column);
}

DataFrame DataFrame::nlargest(std::int64_t n, const std::vector<std::string>& columns) const {
  return detail::top(*this, n, columns, true);
}

DataFrame DataFrame::nsmallest(std::int64_t n, const std::vector<std::string>& columns) const {
  return detail::top(*this, n, columns, false);
}

Table DataFrame::tail(std::int64_t n) const {
  // The last partitions, doubling how many until they hold n rows: most tails read one.
  std::int64_t k = std::min<std::int64_t>(1, partitions_);
  while (true) {
    std::vector<Key> keys;
    for (std::int64_t i = partitions_ - k; i < partitions_; ++i) keys.push_back(partition_key(i));
    std::vector<Table> parts;
    std::int64_t rows = 0;
    for (auto& v : Runtime::current().compute(graph_, keys)) {
      parts.push_back(v.get<Table>());
      rows += static_cast<std::int64_t>(parts.back().rows());
    }
    if (rows >= n || k == partitions_) {
      const Table all = parts.empty() ? Table::empty(schema_) : Table::concat(parts);
      const auto keep = static_cast<std::size_t>(std::clamp<std::int64_t>(n, 0, rows));
      return all.slice(all.rows() - keep, keep);
    }
    k = std::min(2 * k, partitions_);
  }
}

}  // namespace pando
