// groupby(keys).agg(...): partials per partition, then one collective that measures them and
// combines them, gathered everywhere (few groups) or shuffled by key (many).

#include <pando/frame/groupby.hpp>

#include <pando/core/consensus.hpp>
#include <pando/core/error.hpp>
#include <pando/core/session.hpp>
#include <pando/frame/detail/aggregate.hpp>
#include <pando/frame/detail/groupby.hpp>
#include <pando/frame/detail/partitions.hpp>
#include <pando/frame/detail/rows.hpp>
#include <pando/frame/detail/shuffle.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <memory>

namespace pando::detail {

namespace {

// What a groupby computes from which columns, the same on every rank.
class GroupPlan {
 public:
  GroupPlan(const Schema& in, std::vector<std::string> keys, std::vector<AggSpec> specs,
            GroupByOptions options)
      : keys_(std::move(keys)), specs_(std::move(specs)), options_(options) {
    holistic_ = std::any_of(specs_.begin(), specs_.end(),
                            [](const AggSpec& s) { return s.kernel->holistic(); });
    std::vector<Field> partial, out;
    for (const std::string& k : keys_) {
      const Field key{k, in[in.index_of(k)].type};
      partial.push_back(key);
      out.push_back(key);
    }
    for (std::size_t k = 0; k < specs_.size(); ++k) {
      out.push_back({specs_[k].name, specs_[k].type});
      if (holistic_) {
        // The rows themselves: the keys and the aggregated columns.
        const std::string& c = specs_[k].column;
        const bool listed = std::any_of(partial.begin(), partial.end(),
                                        [&](const Field& f) { return f.name == c; });
        if (!listed) partial.push_back({c, in[in.index_of(c)].type});
        continue;
      }
      const auto types = specs_[k].kernel->state_types();
      for (std::size_t m = 0; m < types.size(); ++m)
        partial.push_back({fmt::format("\x01state.{}.{}", k, m), types[m]});
    }
    partial_ = Schema(std::move(partial));
    output_ = Schema(std::move(out));
  }

  [[nodiscard]] const Schema& partial_schema() const noexcept { return partial_; }
  [[nodiscard]] const Schema& output_schema() const noexcept { return output_; }
  [[nodiscard]] const std::vector<std::string>& keys() const noexcept { return keys_; }
  [[nodiscard]] bool holistic() const noexcept { return holistic_; }
  [[nodiscard]] bool sort() const noexcept { return options_.sort; }

  // A partition's rows as partials: one row per group and state columns, or (holistic) the
  // rows that belong to a group, with the columns the aggregations read.
  [[nodiscard]] Table partial(const Table& t) const {
    const Groups groups = group_rows(t, keys_, options_.dropna);
    if (holistic_) {
      const Table rows = t.select(partial_.names());
      if (groups.count() > 0 && std::none_of(groups.of_row.begin(), groups.of_row.end(),
                                             [](std::int64_t g) { return g < 0; }))
        return rows;
      std::vector<std::int64_t> kept;
      for (std::size_t i = 0; i < groups.of_row.size(); ++i)
        if (groups.of_row[i] >= 0) kept.push_back(static_cast<std::int64_t>(i));
      return rows.take(kept);
    }
    std::vector<Column> columns;
    for (const std::string& k : keys_) columns.push_back(t.column(k).take(groups.first_row));
    for (const AggSpec& s : specs_)
      for (Column& c : s.kernel->accumulate(t.column(s.column), groups))
        columns.push_back(std::move(c));
    return Table(partial_, std::move(columns));
  }

  // Partials of any partitions, in partition order, as the groups' final rows (in key order
  // when sorting).
  [[nodiscard]] Table combine(const Table& partials) const {
    // Missing keys were dropped from the partials already, when they were to be.
    const Groups groups = group_rows(partials, keys_, false);
    std::vector<Column> columns;
    for (const std::string& k : keys_) columns.push_back(partials.column(k).take(groups.first_row));
    std::size_t next = keys_.size();
    for (const AggSpec& s : specs_) {
      if (holistic_) {
        columns.push_back(s.kernel->compute(partials.column(s.column), groups));
        continue;
      }
      const std::size_t n = s.kernel->state_types().size();
      std::vector<Column> states(
          partials.columns().begin() + static_cast<std::ptrdiff_t>(next),
          partials.columns().begin() + static_cast<std::ptrdiff_t>(next + n));
      next += n;
      columns.push_back(s.kernel->finish(s.kernel->merge(states, groups)));
    }
    Table out(output_, std::move(columns));
    return options_.sort ? sorted_by_keys(out, keys_) : out;
  }

 private:
  std::vector<std::string> keys_;
  std::vector<AggSpec> specs_;
  GroupByOptions options_;
  bool holistic_ = false;
  Schema partial_, output_;
};

// The collective: partials measured, then combined.
struct Combine {
  std::shared_ptr<const GroupPlan> plan;
  std::int64_t outputs;
  std::size_t inputs;
  ShuffleSizes sizes;
  std::uint64_t few_bytes;  // partials up to this size in all are combined on every rank

  Value operator()(const CollectiveInputs& in) const {
    std::uint64_t bytes = 0;
    for (const Value& v : in.values) bytes += v.get<Table>().nbytes();
    const std::uint64_t total = in.comm.allreduce(bytes, ReduceOp::sum);
    // Budgets may differ between nodes: the plan must not.
    const std::uint64_t few = in.comm.allreduce(few_bytes, ReduceOp::min);
    if (!plan->holistic() && total <= few) return Value::local(combine_everywhere(in));
    const Route route =
        plan->sort()
            ? range_route(in, ascending(plan->keys()), false, false, outputs, inputs, sizes)
            : hash_route(plan->keys(), static_cast<std::uint32_t>(outputs));
    ShuffledPartitions out =
        shuffle_tables(in, plan->partial_schema(), outputs, route, sizes, "groupby");
    DeferredError failure;
    failure.run([&] {
      for (Table& t : out.tables) t = plan->combine(t);
    });
    failure.agree(in.comm);
    return Value::local(std::move(out));
  }

  // Every partial on every rank, combined there; the result cut evenly into the outputs.
  ShuffledPartitions combine_everywhere(const CollectiveInputs& in) const {
    const std::vector<Table> partials = gather_tables(in, inputs, sizes);
    const Owners owners{outputs, in.comm.size()};
    ShuffledPartitions out{owners.first(in.comm.rank()), {}};
    DeferredError failure;
    failure.run([&] {
      const Table all =
          partials.empty() ? Table::empty(plan->partial_schema()) : Table::concat(partials);
      const Table result = plan->combine(all);
      const auto rows = static_cast<std::int64_t>(result.rows());
      for (std::int64_t j = out.first; j < owners.first(in.comm.rank() + 1); ++j) {
        const std::int64_t begin = j * rows / outputs, end = (j + 1) * rows / outputs;
        out.tables.push_back(
            result.slice(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin)));
      }
    });
    failure.agree(in.comm);
    return out;
  }
};

}  // namespace

GroupBySizes GroupBySizes::of_session() {
  const ShuffleSizes shuffle = ShuffleSizes::of_session();
  return {shuffle, std::min<std::uint64_t>(shuffle.round_bytes / 16, std::uint64_t{16} << 20)};
}

DataFrame grouped_aggregation(const DataFrame& df, const std::vector<std::string>& keys,
                              const GroupByOptions& options,
                              const std::vector<std::pair<std::string, std::string>>& column_funcs,
                              GroupBySizes sizes) {
  if (column_funcs.empty())
    throw UsageError("groupby: name at least one aggregation, as {\"amount\", \"sum\"}");
  const Schema& schema = df.schema();
  std::vector<AggSpec> specs;
  Hasher h("groupby");
  h.add_all(keys).add(options.dropna).add(options.sort).add(options.ddof);
  for (const auto& [column, func] : column_funcs) {
    specs.push_back(make_agg(column, schema[schema.index_of(column)].type, func, options.ddof));
    h.add(column).add(func);
    const std::string& name = specs.back().name;
    const bool clash = std::find(keys.begin(), keys.end(), name) != keys.end() ||
                       std::count_if(specs.begin(), specs.end(),
                                     [&](const AggSpec& s) { return s.name == name; }) > 1;
    if (clash)
      throw UsageError(fmt::format("groupby: the output column '{}' would appear twice", name));
  }
  auto plan = std::make_shared<const GroupPlan>(schema, keys, std::move(specs), options);
  const std::int64_t outputs =
      options.npartitions > 0 ? options.npartitions : std::max<std::int64_t>(df.npartitions(), 1);
  if (outputs > max_shuffle_partitions)
    throw UsageError(
        fmt::format("groupby: at most {} partitions, not {}", max_shuffle_partitions, outputs));
  h.add(outputs);
  const DataFrame partials = per_partition(df, "groupby-partial", h, plan->partial_schema(),
                                           [plan](const Table& t) { return plan->partial(t); });
  Task x;
  x.key = Key(make_token("groupby-combine", h.value()));
  x.inputs = partition_keys(partials);
  x.collective =
      collective_step(Combine{plan, outputs, static_cast<std::size_t>(partials.npartitions()),
                              sizes.shuffle, sizes.few_bytes},
                      CollectiveOutput::per_rank);
  const Key combined = x.key;
  std::vector<Task> tasks;
  tasks.push_back(std::move(x));
  return partitions_of(combined, plan->output_schema(), outputs, make_token("groupby", h.value()),
                       Graph(std::move(tasks), {&partials.graph()}));
}

}  // namespace pando::detail

namespace pando {

GroupBy::GroupBy(DataFrame frame, std::vector<std::string> keys, GroupByOptions options)
    : frame_(std::move(frame)), keys_(std::move(keys)), options_(options) {
  if (keys_.empty()) throw UsageError("groupby: name at least one column to group by");
  for (const std::string& k : keys_) (void)frame_.schema().index_of(k);
  for (std::size_t i = 0; i < keys_.size(); ++i)
    if (std::find(keys_.begin(), keys_.begin() + static_cast<std::ptrdiff_t>(i), keys_[i]) !=
        keys_.begin() + static_cast<std::ptrdiff_t>(i))
      throw UsageError(fmt::format("groupby: the key '{}' is named twice", keys_[i]));
  if (options_.npartitions < 0)
    throw UsageError(
        fmt::format("groupby: {} partitions? Give a positive number, or 0", options_.npartitions));
}

GroupBy DataFrame::groupby(std::vector<std::string> keys) const {
  return GroupBy(*this, std::move(keys));
}
GroupBy DataFrame::groupby(std::vector<std::string> keys, const GroupByOptions& options) const {
  return GroupBy(*this, std::move(keys), options);
}

DataFrame GroupBy::size() const {
  return agg({{keys_[0], "size"}}).rename({{keys_[0] + "_size", "size"}});
}

DataFrame GroupBy::agg(const std::vector<std::pair<std::string, std::string>>& column_funcs) const {
  return detail::grouped_aggregation(frame_, keys_, options_, column_funcs,
                                     detail::GroupBySizes::of_session());
}

}  // namespace pando
