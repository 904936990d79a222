#include <pando/frame/dataframe.hpp>

#include <pando/frame/detail/partitions.hpp>
#include <pando/graph/runtime.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace pando {

namespace detail {

// `c` must not be dictionary-encoded (the evaluator reads plain buffers).
expr::Input input_of(const Column& c) {
  const auto* validity =
      c.validity().empty() ? nullptr : reinterpret_cast<const std::uint8_t*>(c.validity().data());
  if (c.type() == DType::string)
    return {DType::string, c.chars().data(), c.offsets().data(), validity, c.size()};
  return {c.type(), c.data().data(), nullptr, validity, c.size()};
}

Column column_of(expr::Output out) {
  if (out.type == DType::string)
    return Column::from_buffers(DType::string, out.length, std::move(out.validity),
                                std::move(out.offsets), std::move(out.data));
  return Column::from_buffers(out.type, out.length, std::move(out.validity), std::move(out.data));
}

expr::Program compile_for(const expr::Expr& e, const Schema& schema) {
  std::vector<std::pair<std::string, DType>> inputs;
  for (const auto& f : schema) inputs.emplace_back(f.name, f.type);
  return expr::Program::compile(e, inputs);
}

namespace {

// An expression whose only input is a dictionary-encoded column, evaluated once per distinct
// value and once for null (expressions are row-wise), then spread over the rows by their codes.
Column evaluate_per_value(const expr::Program& program, const Column& c, std::size_t input,
                          std::size_t ninputs) {
  const Column& dict = c.dictionary();
  const Column values = Column::concat(std::vector<Column>{dict, Column::nulls(DType::string, 1)});
  std::vector<expr::Input> inputs(ninputs);
  inputs[input] = input_of(values);
  const Column per_value = column_of(program.run(inputs, values.size()));
  return per_value.take(c.dictionary_rows(static_cast<std::int64_t>(dict.size())));
}

}  // namespace

Column evaluate(const expr::Program& program, const Table& t) {
  const auto& used = program.inputs_used();
  if (used.size() == 1) {
    const Column& c = t.column(used[0]);
    if (c.is_dictionary() && c.dictionary().size() < c.size())
      return evaluate_per_value(program, c, used[0], t.num_columns());
  }
  std::vector<expr::Input> inputs(t.num_columns());
  std::vector<Column> plain;  // decoded copies of encoded inputs, alive while the program runs
  plain.reserve(used.size());
  for (std::size_t j : used) {
    const Column& c = t.column(j);
    inputs[j] = input_of(c.is_dictionary() ? plain.emplace_back(c.decoded()) : c);
  }
  return column_of(program.run(inputs, t.rows()));
}

std::vector<Key> partition_keys(const DataFrame& df) {
  std::vector<Key> keys;
  for (std::int64_t i = 0; i < df.npartitions(); ++i) keys.push_back(df.partition_key(i));
  return keys;
}

DataFrame per_partition(const DataFrame& df, std::string_view name, Hasher h, Schema out,
                        std::function<Table(const Table&)> f) {
  h.add(df.token());
  const std::string token = make_token(name, h.value());
  auto fn = std::make_shared<const std::function<Table(const Table&)>>(std::move(f));
  std::vector<Task> tasks;
  for (std::int64_t i = 0; i < df.npartitions(); ++i) {
    Task t;
    t.key = Key(token, {i});
    t.inputs = {df.partition_key(i)};
    t.fn = [fn](std::span<const Value> in) { return Value::of((*fn)(in[0].get<Table>())); };
    tasks.push_back(std::move(t));
  }
  return DataFrame(std::move(out), df.npartitions(), token, Graph(std::move(tasks), {&df.graph()}));
}

}  // namespace detail

using detail::per_partition;

DataFrame::DataFrame(Schema schema, std::int64_t partitions, std::string token, Graph graph,
                     std::shared_ptr<const void> pin)
    : schema_(std::move(schema)),
      partitions_(partitions),
      token_(std::move(token)),
      graph_(std::move(graph)),
      pin_(std::move(pin)) {}

std::vector<std::pair<std::string, DType>> DataFrame::dtypes() const {
  std::vector<std::pair<std::string, DType>> out;
  for (const auto& f : schema_) out.emplace_back(f.name, f.type);
  return out;
}

expr::Expr DataFrame::col(const std::string& name) const {
  (void)schema_.index_of(name);  // a clear error naming the columns
  return expr::col(name);
}

DataFrame DataFrame::filter(const expr::Expr& mask) const {
  auto program = detail::compile_for(mask, schema_);
  if (program.result_type() != DType::boolean)
    throw TypeError(fmt::format("a filter must be true or false for each row, but '{}' is {}",
                                mask.to_string(), to_string(program.result_type())));
  Hasher h("filter");
  h.add(mask.to_string());
  return keeping_order(per_partition(*this, "filter", h, schema_, [program](const Table& t) {
    return t.filter(detail::evaluate(program, t));
  }));
}

DataFrame DataFrame::assign(const std::string& name, const expr::Expr& value) const {
  auto program = detail::compile_for(value, schema_);
  std::vector<Field> fields = schema_.fields();
  auto at = schema_.find(name);
  if (at)
    fields[*at].type = program.result_type();
  else
    fields.push_back({name, program.result_type()});
  Hasher h("assign");
  h.add(name).add(value.to_string());
  DataFrame out =
      per_partition(*this, "assign", h, Schema(std::move(fields)), [program, name](const Table& t) {
        return t.with_column(name, detail::evaluate(program, t));
      });
  return name == sorted_column() ? out : keeping_order(std::move(out));
}

DataFrame DataFrame::select(const std::vector<std::string>& names) const {
  Hasher h("select");
  h.add_all(names);
  Schema out = Table::empty(schema_).select(names).schema();
  return keeping_order(
      per_partition(*this, "select", h, out, [names](const Table& t) { return t.select(names); }));
}

DataFrame DataFrame::drop(const std::vector<std::string>& names) const {
  Hasher h("drop");
  h.add_all(names);
  Schema out = Table::empty(schema_).drop(names).schema();
  return keeping_order(
      per_partition(*this, "drop", h, out, [names](const Table& t) { return t.drop(names); }));
}

DataFrame DataFrame::rename(const std::vector<std::pair<std::string, std::string>>& renames) const {
  Hasher h("rename");
  for (const auto& [a, b] : renames) h.add(a).add(b);
  Schema out = Table::empty(schema_).rename(renames).schema();
  std::string sorted = sorted_column();
  for (const auto& [from, to] : renames)
    if (from == sorted_column()) sorted = to;
  return keeping_order(per_partition(*this, "rename", h, out,
                                     [renames](const Table& t) { return t.rename(renames); }),
                       sorted);
}

DataFrame DataFrame::astype(const std::vector<std::pair<std::string, DType>>& types) const {
  std::vector<Field> fields = schema_.fields();
  Hasher h("astype");
  for (const auto& [name, type] : types) {
    fields[schema_.index_of(name)].type = type;
    h.add(name).add(static_cast<std::int64_t>(type));
  }
  Schema out(std::move(fields));
  DataFrame cast =
      per_partition(*this, "astype", h, out, [out](const Table& t) { return t.cast(out); });
  const bool recast = known_divisions() && out[out.index_of(sorted_column())].type !=
                                               schema_[schema_.index_of(sorted_column())].type;
  return recast ? cast : keeping_order(std::move(cast));
}

DataFrame DataFrame::fillna(const std::vector<std::pair<std::string, expr::Expr>>& values) const {
  DataFrame out = *this;
  for (const auto& [name, value] : values)
    out = out.assign(name, expr::call("fillna", {col(name), value}));
  return out;
}

DataFrame DataFrame::dropna(const std::vector<std::string>& subset) const {
  const auto names = subset.empty() ? columns() : subset;
  expr::Expr keep;
  for (const auto& n : names) {
    expr::Expr present = expr::call("notna", {col(n)});
    keep = keep.empty() ? present : (keep && present);
  }
  return keep.empty() ? *this : filter(keep);
}

DataFrame DataFrame::isna() const {
  std::vector<Field> fields;
  for (const auto& f : schema_) fields.push_back({f.name, DType::boolean});
  std::vector<expr::Program> programs;
  for (const auto& f : schema_)
    programs.push_back(detail::compile_for(expr::call("isna", {expr::col(f.name)}), schema_));
  Hasher h("isna");
  return per_partition(*this, "isna", h, Schema(fields), [programs, fields](const Table& t) {
    std::vector<Column> cols;
    for (const auto& p : programs) cols.push_back(detail::evaluate(p, t));
    return Table(Schema(fields), std::move(cols));
  });
}

DataFrame DataFrame::map_partitions(std::function<Table(const Table&)> f, Schema schema,
                                    std::string name) const {
  Hasher h(name);
  h.add(Runtime::current().next_sequence());  // a user function: never the same twice
  return per_partition(*this, name, h, schema, [f = std::move(f), schema, name](const Table& t) {
    Table out = f(t);
    if (!(out.schema() == schema))
      throw TypeError(
          fmt::format("map_partitions '{}': the function returned columns {}, declared {}", name,
                      out.schema().to_string(), schema.to_string()));
    return out;
  });
}

// ---- results ----

Table DataFrame::compute(bool everywhere) const {
  auto keys = detail::partition_keys(*this);
  auto values =
      Runtime::current().compute(graph_, keys, everywhere ? Delivery::everywhere : Delivery::root);
  if (!everywhere && Runtime::current().rank() != 0) return Table::empty(schema_);
  std::vector<Table> parts;
  parts.reserve(values.size());
  for (auto& v : values) parts.push_back(v.get<Table>());
  return parts.empty() ? Table::empty(schema_) : Table::concat(parts);
}

Table DataFrame::head(std::int64_t n) const {
  // The first partitions, doubling how many until they hold n rows: most heads read one.
  std::int64_t k = std::min<std::int64_t>(1, partitions_);
  while (true) {
    std::vector<Key> keys;
    for (std::int64_t i = 0; i < k; ++i) keys.push_back(partition_key(i));
    auto values = Runtime::current().compute(graph_, keys);
    std::vector<Table> parts;
    std::int64_t rows = 0;
    for (auto& v : values) {
      parts.push_back(v.get<Table>());
      rows += static_cast<std::int64_t>(parts.back().rows());
    }
    if (rows >= n || k == partitions_) {
      Table all = parts.empty() ? Table::empty(schema_) : Table::concat(parts);
      return all.head(static_cast<std::size_t>(std::max<std::int64_t>(n, 0)));
    }
    k = std::min(2 * k, partitions_);
  }
}

std::int64_t DataFrame::length() const {
  Hasher h("len");
  h.add(token_);
  const std::string token = make_token("len", h.value());
  const std::string part_token = make_token("len-part", h.value());
  std::vector<Task> tasks;
  Task total;
  total.key = Key(token);
  for (std::int64_t i = 0; i < partitions_; ++i) {
    Task t;
    t.key = Key(part_token, {i});
    t.inputs = {partition_key(i)};
    t.fn = [](std::span<const Value> in) {
      return Value::of(static_cast<std::int64_t>(in[0].get<Table>().rows()));
    };
    total.inputs.push_back(t.key);
    tasks.push_back(std::move(t));
  }
  total.fn = [](std::span<const Value> in) {
    std::int64_t n = 0;
    for (const auto& v : in) n += v.get<std::int64_t>();
    return Value::of(n);
  };
  tasks.push_back(std::move(total));
  Key k(token);
  return Runtime::current()
      .compute(Graph(std::move(tasks), {&graph_}), {&k, 1})[0]
      .get<std::int64_t>();
}

DataFrame DataFrame::persist() const {
  if (pin_) return *this;
  auto keys = detail::partition_keys(*this);
  Runtime::current().persist(graph_, keys);
  auto pin = Runtime::pin(std::move(keys));
  // Frames built on this one keep its partitions: the graph holds the pin.
  return keeping_order(DataFrame(schema_, partitions_, token_, Graph::pinned(pin), pin));
}

DataFrame DataFrame::keeping_order(DataFrame out, const std::string& renamed_to) const {
  if (!order_) return out;
  const std::string& name = renamed_to.empty() ? order_->column : renamed_to;
  if (!out.schema_.find(name)) return out;  // the sorted column is not in it
  out.order_ =
      name == order_->column
          ? order_
          : std::make_shared<const detail::Divisions>(detail::Divisions{name, order_->bounds});
  return out;
}

std::vector<Delayed<Table>> DataFrame::to_delayed() const {
  std::vector<Delayed<Table>> out;
  for (std::int64_t i = 0; i < partitions_; ++i) out.emplace_back(partition_key(i), graph_);
  return out;
}

DataFrame DataFrame::from_delayed(const std::vector<Delayed<Table>>& parts, Schema schema) {
  Hasher h("from-delayed");
  for (const auto& d : parts) h.add(d.key().str());
  const std::string token = make_token("frame-from-delayed", h.value());
  std::vector<Task> tasks;
  std::vector<const Graph*> deps;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    Task t;
    t.key = Key(token, {static_cast<std::int64_t>(i)});
    t.inputs = {parts[i].key()};
    t.fn = [schema](std::span<const Value> in) {
      const Table& table = in[0].get<Table>();
      if (!(table.schema() == schema))
        throw TypeError(fmt::format("from_delayed: a partition with columns {}, declared {}",
                                    table.schema().to_string(), schema.to_string()));
      return in[0];
    };
    deps.push_back(&parts[i].graph());
    tasks.push_back(std::move(t));
  }
  return DataFrame(std::move(schema), static_cast<std::int64_t>(parts.size()), token,
                   Graph(std::move(tasks), std::span<const Graph* const>(deps)));
}

}  // namespace pando
