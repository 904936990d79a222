// DataFrames as HDF5 tables: to_hdf5 in one collective (row offsets from every partition's
// length, widths and null flags agreed, then each rank writes its rows), read_hdf5 as one task
// per range of rows.

#include <pando/frame/hdf5.hpp>

#include <pando/core/consensus.hpp>
#include <pando/core/error.hpp>
#include <pando/core/session.hpp>
#include <pando/core/serialize.hpp>
#include <pando/frame/detail/partitions.hpp>
#include <pando/io/h5.hpp>
#include <pando/io/h5_atomic.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>

namespace pando {

namespace detail {
namespace {

const std::string column_attribute = "pando_column";
const std::string dtype_attribute = "pando_dtype";

std::string group_path(const std::string& group) {
  std::string g = group.empty() || group[0] != '/' ? "/" + group : group;
  while (g.size() > 1 && g.back() == '/') g.pop_back();
  return g;
}
std::string column_path(const std::string& group, const std::string& name) {
  return (group == "/" ? "" : group) + "/" + name;
}
std::string valid_path(const std::string& group, const std::string& name) {
  return (group == "/" ? "" : group) + "/_valid/" + name;
}
// "/runs/.a.pando-tmp" for "/runs/a": where a table is written in an existing file until it
// is whole.
std::string temporary_group(const std::string& group) {
  const auto slash = group.rfind('/');
  return group.substr(0, slash + 1) + "." + group.substr(slash + 1) + ".pando-tmp";
}
// A column's type as stored: timestamps as int64 (with pando_dtype saying so).
DType stored_type(DType t) { return t == DType::timestamp ? DType::int64 : t; }

// What every rank must agree on before the datasets are made: rows before each partition, and
// per column whether it has a null and its widest string.
struct Layout {
  std::map<std::int64_t, std::int64_t> offset;  // partition -> first row
  std::int64_t rows = 0;
  std::vector<std::int64_t> has_null, width;
};

Layout agree_layout(const CollectiveInputs& in, const Schema& schema) {
  std::vector<std::int64_t> mine;  // (partition, rows) pairs
  std::vector<std::int64_t> stats(2 * schema.size(), 0);
  for (std::size_t k = 0; k < in.values.size(); ++k) {
    const Table& t = in.values[k].get<Table>();
    mine.push_back(in.positions[k]);
    mine.push_back(static_cast<std::int64_t>(t.rows()));
    for (std::size_t c = 0; c < schema.size(); ++c) {
      const Column& col = t.column(c);
      stats[2 * c] = std::max<std::int64_t>(stats[2 * c], col.null_count() > 0);
      if (col.type() == DType::string)
        for (std::size_t i = 0; i < col.size(); ++i)
          stats[2 * c + 1] = std::max<std::int64_t>(
              stats[2 * c + 1], static_cast<std::int64_t>(col.string_at(i).size()));
    }
  }
  const auto all = in.comm.allgatherv(std::span<const std::int64_t>(mine));
  std::vector<std::int64_t> agreed(stats.size());
  in.comm.allreduce(std::span<const std::int64_t>(stats), std::span<std::int64_t>(agreed),
                    ReduceOp::max);
  Layout layout;
  std::map<std::int64_t, std::int64_t> rows;
  for (std::size_t i = 0; i + 1 < all.data.size(); i += 2) rows[all.data[i]] = all.data[i + 1];
  for (const auto& [p, n] : rows) {
    layout.offset[p] = layout.rows;
    layout.rows += n;
  }
  for (std::size_t c = 0; c < schema.size(); ++c) {
    layout.has_null.push_back(agreed[2 * c]);
    layout.width.push_back(std::max<std::int64_t>(agreed[2 * c + 1], 1));
  }
  return layout;
}

// Writes one column's rows [at, at + n) (independent).
void write_column(h5::Dataset& d, const Column& c, std::int64_t at) {
  const auto n = static_cast<std::int64_t>(c.size());
  if (n == 0) return;
  const std::array<std::int64_t, 1> start{at}, count{n};
  if (c.type() == DType::string) {
    const auto width = static_cast<std::size_t>(d.info().string_width);
    std::vector<char> fixed(static_cast<std::size_t>(n) * width, '\0');
    for (std::size_t i = 0; i < c.size(); ++i) {
      const std::string_view s = c.string_at(i);
      if (!s.empty()) std::memcpy(fixed.data() + i * width, s.data(), s.size());
    }
    d.write_strings(fixed.data(), at, n);
    return;
  }
  if (is_floating(c.type()) && c.null_count() > 0) {  // nulls as NaN, for h5py's readers
    std::vector<double> values(c.size());
    visit<DTypeSet{DType::float32, DType::float64}>(c.type(), [&](auto zero) {
      using T = decltype(zero);
      const auto v = c.values<T>();
      for (std::size_t i = 0; i < values.size(); ++i)
        values[i] =
            c.is_valid(i) ? static_cast<double>(v[i]) : std::numeric_limits<double>::quiet_NaN();
    });
    d.write(values.data(), DType::float64, start, count);
    return;
  }
  d.write(c.data().data(), stored_type(c.type()), start, count);
}

void write_validity(h5::Dataset& d, const Column& c, std::int64_t at) {
  if (c.size() == 0) return;
  std::vector<std::uint8_t> valid(c.size());
  for (std::size_t i = 0; i < valid.size(); ++i) valid[i] = c.is_valid(i);
  const std::array<std::int64_t, 1> start{at}, count{static_cast<std::int64_t>(c.size())};
  d.write(valid.data(), DType::boolean, start, count);
}

// The collective of to_hdf5.
struct WriteTable {
  std::string file, group;
  Schema schema;
  bool exists;

  Value operator()(const CollectiveInputs& in) const {
    const Layout layout = agree_layout(in, schema);
    std::unique_ptr<h5::AtomicFile> fresh;
    h5::File existing;
    // In an existing file: a temporary group, moved to its name at the end (or removed).
    const std::string target = exists ? temporary_group(group) : group;
    if (exists) {
      existing = h5::File::open(in.comm, file, h5::Access::read_write);
      if (existing.contains(target)) existing.unlink(target);
    } else {
      fresh = std::make_unique<h5::AtomicFile>(in.comm, file);
    }
    h5::File& f = exists ? existing : fresh->file();
    struct Cleanup {  // collective, like every step here: all ranks leave by the same path
      h5::File* file;
      std::string path;
      bool done = false;
      ~Cleanup() {
        if (!done && file) try {
            file->unlink(path);
          } catch (...) {
          }
      }
    } cleanup{exists ? &f : nullptr, target};
    std::vector<h5::Dataset> columns, valid;
    for (std::size_t c = 0; c < schema.size(); ++c) {
      const Field& field = schema[c];
      const std::array<std::int64_t, 1> shape{layout.rows};
      columns.push_back(field.type == DType::string
                            ? f.create_string_dataset(column_path(target, field.name), layout.rows,
                                                      layout.width[c])
                            : f.create_dataset(column_path(target, field.name),
                                               stored_type(field.type), shape, {}, -1,
                                               h5::Fill::none));
      h5::Attributes a;
      a.set(column_attribute, h5::AttributeValue::of(static_cast<std::int64_t>(c)));
      a.set(dtype_attribute, h5::AttributeValue::of(std::string(pando::to_string(field.type))));
      columns.back().write_attributes(a);
      valid.push_back(layout.has_null[c]
                          ? f.create_dataset(valid_path(target, field.name), DType::boolean, shape,
                                             {}, -1, h5::Fill::none)
                          : h5::Dataset());
    }
    DeferredError failure;
    failure.run([&] {
      for (std::size_t k = 0; k < in.values.size(); ++k) {
        const Table& t = in.values[k].get<Table>();
        const std::int64_t at = layout.offset.at(in.positions[k]);
        for (std::size_t c = 0; c < schema.size(); ++c) {
          write_column(columns[c], t.column(c), at);
          if (valid[c].is_open()) write_validity(valid[c], t.column(c), at);
        }
      }
    });
    for (auto& d : columns) d.close();
    for (auto& d : valid)
      if (d.is_open()) d.close();
    failure.agree(in.comm);
    if (exists) {
      f.move_link(target, group);
      cleanup.done = true;
      existing.close();
    } else {
      fresh->commit();
    }
    return Value::of(layout.rows);
  }
};

// What rank 0 found in a table's group, for every rank.
struct TableMeta {
  std::vector<std::string> names, paths, valid_paths;  // valid_paths[c]: "" when none
  std::vector<DType> types;
  std::vector<std::int64_t> widths;  // bytes a row of each column takes, for the partitions
  std::int64_t rows = 0;

  template <class A>
  void serialize(A& a, unsigned) {
    a& names& paths& valid_paths& types& widths& rows;
  }
};

TableMeta describe_table(const std::string& file, const std::string& group) {
  const std::vector<std::string> all = h5::list_datasets(file);
  const std::string prefix = (group == "/" ? "" : group) + "/";
  std::vector<h5::DatasetInfo> found;
  for (const std::string& path : all) {
    if (path.rfind(prefix, 0) != 0) continue;
    if (path.find('/', prefix.size()) != std::string::npos) continue;  // deeper: not a column
    found.push_back(h5::inspect(file, path));
  }
  if (found.empty())
    throw IoError(fmt::format(
        "{}:{}: no table here (a table is a group of 1-D datasets, one per "
        "column); the file has: {}",
        file, group, all.empty() ? "nothing" : fmt::format("{}", fmt::join(all, ", "))));
  auto position = [](const h5::DatasetInfo& d) {
    const auto* a = d.attributes.find(column_attribute);
    return a ? a->as_int64() : std::numeric_limits<std::int64_t>::max();
  };
  std::stable_sort(found.begin(), found.end(),
                   [&](const auto& a, const auto& b) { return position(a) < position(b); });
  TableMeta meta;
  meta.rows = found[0].shape.empty() ? 0 : found[0].shape[0];
  for (const h5::DatasetInfo& d : found) {
    const std::string name = d.dataset.substr(prefix.size());
    if (d.shape.size() != 1 || d.shape[0] != meta.rows)
      throw IoError(
          fmt::format("{}: shape {}, but a table's columns are 1-D of one length ({} "
                      "has {})",
                      d.where(), h5::format_shape(d.shape), found[0].where(), meta.rows));
    DType type = d.type;
    if (const auto* a = d.attributes.find(dtype_attribute))
      if (a->type == DType::string && a->as_string() == "timestamp") type = DType::timestamp;
    if (!column_dtypes.contains(type))
      throw IoError(fmt::format("{} has type {}, which a table column cannot hold", d.where(),
                                d.type_name()));
    meta.names.push_back(name);
    meta.paths.push_back(d.dataset);
    meta.types.push_back(type);
    meta.widths.push_back(type == DType::string ? std::max<std::int64_t>(d.string_width, 16)
                                                : static_cast<std::int64_t>(element_size(type)));
    const std::string valid = valid_path(group, name);
    meta.valid_paths.push_back(std::find(all.begin(), all.end(), valid) != all.end() ? valid : "");
  }
  return meta;
}

// Rows [begin, end) of a table, read by this rank alone.
Table read_rows(const std::string& file, const TableMeta& meta, std::int64_t begin,
                std::int64_t end) {
  const Comm self = Comm::self();
  h5::File f = h5::File::open(self, file);
  const auto n = static_cast<std::size_t>(end - begin);
  const std::array<std::int64_t, 1> start{begin}, count{end - begin};
  std::vector<Column> columns;
  for (std::size_t c = 0; c < meta.names.size(); ++c) {
    const h5::Dataset d = f.open_dataset(meta.paths[c]);
    Buffer validity;
    if (!meta.valid_paths[c].empty()) {
      std::vector<std::uint8_t> valid(n);
      f.open_dataset(meta.valid_paths[c]).read(valid.data(), DType::boolean, start, count);
      pando::detail::ValidityBuilder bits;
      for (auto v : valid) bits.append(v != 0);
      validity = bits.finish();
    }
    if (meta.types[c] == DType::string) {
      std::vector<char> chars;
      std::vector<std::int64_t> ends{0};
      d.read_strings(begin, end - begin, chars, ends);
      columns.push_back(Column::from_buffers(DType::string, n, std::move(validity),
                                             Buffer::copy_of(std::as_bytes(std::span(ends))),
                                             Buffer::copy_of(std::as_bytes(std::span(chars)))));
      continue;
    }
    const DType type = meta.types[c];
    Buffer data = Buffer::allocate(n * element_size(type));
    d.read(data.mutable_data(), stored_type(type), start, count);
    columns.push_back(Column::from_buffers(type, n, std::move(validity), std::move(data)));
  }
  return Table(meta.names, std::move(columns));
}

}  // namespace
}  // namespace detail

void DataFrame::to_hdf5(const std::string& file, const std::string& group) const {
  const std::string g = detail::group_path(group);
  if (g == "/")
    throw UsageError(fmt::format("to_hdf5 {}: name a group for the table, as /sales", file));
  const Comm& comm = SessionBase::current().comm();
  const bool exists = on_root(comm, [&] {
    if (!std::filesystem::exists(file)) return false;
    const auto names = h5::list_datasets(file);
    for (const auto& n : names)
      if (n.rfind(g + "/", 0) == 0 || n == g)
        throw IoError(fmt::format("{}:{} exists already (choose another group)", file, g));
    return true;
  });
  Hasher h("to-hdf5");
  h.add(file).add(g).add(token_).add(Runtime::current().next_sequence());
  Task w;
  w.key = Key(make_token("write-hdf5-table", h.value()));
  w.inputs = detail::partition_keys(*this);
  w.collective = collective_step(detail::WriteTable{file, g, schema_, exists});
  std::vector<Task> tasks;
  tasks.push_back(std::move(w));
  const Key k(make_token("write-hdf5-table", h.value()));
  (void)Runtime::current().compute(Graph(std::move(tasks), {&graph_}), {&k, 1});
}

DataFrame read_hdf5(const std::string& file, const std::string& group, std::int64_t blocksize) {
  if (blocksize < 1)
    throw UsageError(
        fmt::format("read_hdf5: blocksize {} (give a positive number of bytes)", blocksize));
  const std::string g = detail::group_path(group);
  const Comm& comm = SessionBase::current().comm();
  const auto meta = std::make_shared<const detail::TableMeta>(
      on_root(comm, [&] { return detail::describe_table(file, g); }));
  std::int64_t row_bytes = 0;
  for (auto w : meta->widths) row_bytes += w;
  const std::int64_t per_partition =
      std::max<std::int64_t>(1, blocksize / std::max<std::int64_t>(row_bytes, 1));
  const std::int64_t partitions = (meta->rows + per_partition - 1) / per_partition;
  std::vector<Field> fields;
  for (std::size_t c = 0; c < meta->names.size(); ++c)
    fields.push_back({meta->names[c], meta->types[c]});
  Hasher h("read-hdf5-table");
  h.add(file).add(g).add(blocksize).add(Runtime::current().next_sequence());
  const std::string token = make_token("read-hdf5-table", h.value());
  std::vector<Task> tasks;
  for (std::int64_t p = 0; p < partitions; ++p) {
    Task t;
    t.key = Key(token, {p});
    const std::int64_t begin = p * per_partition, end = std::min(meta->rows, begin + per_partition);
    t.fn = [file, meta, begin, end](std::span<const Value>) {
      return Value::of(detail::read_rows(file, *meta, begin, end));
    };
    tasks.push_back(std::move(t));
  }
  return DataFrame(Schema(std::move(fields)), partitions, token, Graph(std::move(tasks)));
}

}  // namespace pando
