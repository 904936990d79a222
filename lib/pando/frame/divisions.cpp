// Known divisions: what is known of the order of a frame's rows (Dask's divisions, set with
// set_index(column, sorted=True)). sorted_by checks the order in one pass over the partitions
// and keeps each partition's range of the sorted column; operations that keep rows in order
// keep it (dataframe.cpp), and loc reads only the partitions whose range meets the one asked
// for. Comparisons are the expression language's (`a <= b`), so every ordered type works alike:
// numbers, timestamps, strings (byte order).

#include <pando/frame/detail/partitions.hpp>

#include <pando/graph/runtime.hpp>

#include <fmt/format.h>

#include <optional>

namespace pando {

namespace {

// Row i of `c` as a message shows it: strings quoted, the rest as write_csv writes them.
std::string cell_text(const Column& c, std::size_t i) {
  const std::string text(c.slice(i, 1).cast(DType::string).string_at(0));
  return c.type() == DType::string ? fmt::format("'{}'", text) : text;
}

// `a[i] <= b[i]` for every i, as a bool column (false where either is NaN).
Column in_order(const Column& a, const Column& b) {
  const Table pairs({"a", "b"}, {a, b});
  const auto program = detail::compile_for(expr::col("a") <= expr::col("b"), pairs.schema());
  return detail::evaluate(program, pairs);
}

// The first i where `ok` (a bool column without nulls) is false.
std::optional<std::size_t> first_false(const Column& ok) {
  const auto v = ok.values<std::uint8_t>();
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!v[i]) return i;
  return std::nullopt;
}

// One partition's part of the check, as one row: its length, the first and last value of the
// column (null when it is empty), and the first row that breaks the order (a null, or a value
// below the one before it) with what is wrong there.
Table order_summary(const Table& t, std::size_t at) {
  const Column& c = t.column(at);
  const std::size_t n = c.size();
  std::optional<std::int64_t> bad_row;
  std::optional<std::string> problem;
  if (c.null_count() > 0) {
    std::size_t i = 0;
    while (c.is_valid(i)) ++i;
    bad_row = static_cast<std::int64_t>(i);
    problem = "is null (a sorted column holds no nulls: dropna first)";
  } else if (n > 1) {
    if (auto j = first_false(in_order(c.slice(0, n - 1), c.slice(1, n - 1)))) {
      bad_row = static_cast<std::int64_t>(*j + 1);
      problem = fmt::format("holds {} after {}", cell_text(c, *j + 1), cell_text(c, *j));
    }
  }
  auto edge = [&](std::size_t i) {
    return n ? c.slice(i, 1).decoded() : Column::nulls(c.type(), 1);
  };
  return Table({"rows", "min", "max", "bad_row", "problem"},
               {Column::from_values<std::int64_t>({static_cast<std::int64_t>(n)}), edge(0),
                edge(n ? n - 1 : 0),
                Column::from_values<std::int64_t>({bad_row.value_or(0)}, {bad_row.has_value()}),
                Column::from_strings(std::vector<std::optional<std::string>>{problem})});
}

// A row that breaks the order: where it is in the frame, and what is wrong there.
struct Disorder {
  std::int64_t row;
  std::int64_t partition;
  std::string problem;
};

// Every partition's summary in partition order (on every rank); ValueError for the first row,
// in frame order, that breaks the order.
Table checked_bounds(const DataFrame& df, const std::string& column) {
  const std::size_t at = df.schema().index_of(column);
  if (df.npartitions() == 0)
    return order_summary(Table::empty(df.schema()), at).head(0).select({"min", "max"});
  Hasher h("sorted-by");
  h.add(column);
  const Table all =
      detail::reduce_partitions(
          df, "sorted-by", h, [at](const Table& t) { return Value::of(order_summary(t, at)); },
          [](std::span<const Value> in) {
            std::vector<Table> parts;
            for (const auto& v : in) parts.push_back(v.get<Table>());
            return Value::of(Table::concat(parts));
          })
          .get<Table>();
  const auto rows = all.column("rows").values<std::int64_t>();
  std::vector<std::int64_t> start(rows.size() + 1, 0);  // each partition's first row in the frame
  for (std::size_t p = 0; p < rows.size(); ++p) start[p + 1] = start[p] + rows[p];
  std::optional<Disorder> first;
  // Within a partition: the first partition with a bad row has the earliest one.
  const Column& bad_row = all.column("bad_row");
  for (std::size_t p = 0; p < rows.size() && !first; ++p)
    if (bad_row.is_valid(p))
      first = Disorder{start[p] + bad_row.values<std::int64_t>()[p], static_cast<std::int64_t>(p),
                       std::string(all.column("problem").string_at(p))};
  // Across partitions: each non-empty one starts at or above the end of the one before.
  std::vector<std::int64_t> filled;
  for (std::size_t p = 0; p < rows.size(); ++p)
    if (rows[p] > 0) filled.push_back(static_cast<std::int64_t>(p));
  if (filled.size() > 1) {
    const std::span<const std::int64_t> prev(filled.data(), filled.size() - 1);
    const std::span<const std::int64_t> next(filled.data() + 1, filled.size() - 1);
    const Column& lo = all.column("min");
    const Column& hi = all.column("max");
    if (auto k = first_false(in_order(hi.take(prev), lo.take(next)))) {
      const auto p = static_cast<std::size_t>(next[*k]);
      if (!first || start[p] < first->row)
        first =
            Disorder{start[p], static_cast<std::int64_t>(p),
                     fmt::format("holds {} after {}", cell_text(lo, p), cell_text(hi, prev[*k]))};
    }
  }
  if (first)
    throw ValueError(fmt::format(
        "sorted_by('{0}'): the rows are not sorted by '{0}': row {1} (partition {2}) {3}", column,
        first->row, first->partition, first->problem));
  return all.select({"min", "max"});
}

// The partitions whose bounds meet [lo, hi] (an empty one's null bounds meet nothing).
std::vector<std::int64_t> partitions_meeting(const detail::Divisions& order, const expr::Expr& lo,
                                             const expr::Expr& hi) {
  const auto meets =
      detail::compile_for(expr::col("max") >= lo && expr::col("min") <= hi, order.bounds.schema());
  const Column keep = detail::evaluate(meets, order.bounds);
  const auto flags = keep.values<std::uint8_t>();
  std::vector<std::int64_t> kept;
  for (std::size_t p = 0; p < flags.size(); ++p)
    if (keep.is_valid(p) && flags[p]) kept.push_back(static_cast<std::int64_t>(p));
  return kept;
}

}  // namespace

DataFrame DataFrame::sorted_by(const std::string& column) const {
  DataFrame out = *this;
  out.order_ = std::make_shared<const detail::Divisions>(
      detail::Divisions{column, checked_bounds(*this, column)});
  return out;
}

const std::string& DataFrame::sorted_column() const noexcept {
  static const std::string none;
  return order_ ? order_->column : none;
}

Table DataFrame::divisions() const {
  if (!order_)
    throw UsageError(
        "divisions: the order of the rows is not known; sorted_by(COLUMN) checks that they are "
        "sorted by COLUMN and records each partition's range");
  std::vector<std::int64_t> index(static_cast<std::size_t>(partitions_));
  for (std::size_t i = 0; i < index.size(); ++i) index[i] = static_cast<std::int64_t>(i);
  const Table& b = order_->bounds;
  return Table({"partition", "min", "max"},
               {Column::from_values(std::move(index)), b.column(0), b.column(1)});
}

DataFrame DataFrame::loc(const expr::Expr& lo, const expr::Expr& hi) const {
  if (!order_)
    throw UsageError(
        "loc: the order of the rows is not known; call sorted_by(COLUMN) first (it checks that "
        "the rows are sorted by COLUMN)");
  for (const auto* bound : {&lo, &hi})
    if (!bound->variables().empty())
      throw UsageError(fmt::format("loc: a bound must be a value, not '{}', which reads columns",
                                   bound->to_string()));
  const detail::Divisions& order = *order_;
  const expr::Expr key = col(order.column);
  const auto in_range = detail::compile_for(key >= lo && key <= hi, schema_);  // checks types
  const std::vector<std::int64_t> kept = partitions_meeting(order, lo, hi);
  Hasher h("loc");
  h.add(token_).add(order.column).add(lo.to_string()).add(hi.to_string());
  const std::string token = make_token("loc", h.value());
  std::vector<Task> tasks;
  for (std::size_t j = 0; j < kept.size(); ++j) {
    Task t;
    t.key = Key(token, {static_cast<std::int64_t>(j)});
    t.inputs = {partition_key(kept[j])};
    t.fn = [in_range](std::span<const Value> in) {
      const Table& part = in[0].get<Table>();
      return Value::of(part.filter(detail::evaluate(in_range, part)));
    };
    tasks.push_back(std::move(t));
  }
  Table bounds = order.bounds.take(kept);
  if (kept.empty()) {  // nothing in range: one empty partition, so the frame still has one
    Task t;
    t.key = Key(token, {0});
    t.fn = [schema = schema_](std::span<const Value>) { return Value::of(Table::empty(schema)); };
    tasks.push_back(std::move(t));
    bounds = order.bounds.head(0).take(std::vector<std::int64_t>{-1});  // one row of nulls
  }
  const auto parts = static_cast<std::int64_t>(tasks.size());
  DataFrame out(schema_, parts, token, Graph(std::move(tasks), {&graph_}));
  out.order_ =
      std::make_shared<const detail::Divisions>(detail::Divisions{order.column, std::move(bounds)});
  return out;
}

}  // namespace pando
