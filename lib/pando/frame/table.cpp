#include <pando/frame/table.hpp>

#include <pando/core/timestamp.hpp>
#include <pando/frame/text.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_set>

namespace pando {

// ---- Schema ----

Schema::Schema(std::vector<Field> fields) : fields_(std::move(fields)) {
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].name.empty()) throw UsageError(fmt::format("column {} has an empty name", i));
    for (std::size_t j = 0; j < i; ++j)
      if (fields_[j].name == fields_[i].name)
        throw UsageError(fmt::format("column name '{}' appears twice (columns {} and {})",
                                     fields_[i].name, j, i));
  }
}

std::vector<std::string> Schema::names() const {
  std::vector<std::string> out;
  out.reserve(fields_.size());
  for (const auto& f : fields_) out.push_back(f.name);
  return out;
}

std::optional<std::size_t> Schema::find(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < fields_.size(); ++i)
    if (fields_[i].name == name) return i;
  return std::nullopt;
}

std::string quoted_names(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out += ", ";
    out += '\'';
    out += names[i];
    out += '\'';
  }
  return out;
}

std::size_t Schema::index_of(std::string_view name) const {
  if (auto i = find(name)) return *i;
  throw UsageError(fields_.empty() ? fmt::format("no column '{}': the table has no columns", name)
                                   : fmt::format("no column '{}'; the columns are {}", name,
                                                 quoted_names(names())));
}

std::string Schema::to_string() const {
  std::string out;
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    if (i) out += ", ";
    out += fmt::format("{}: {}", fields_[i].name, pando::to_string(fields_[i].type));
  }
  return out;
}

// ---- Table ----

Table::Table(Schema schema, std::vector<Column> columns)
    : schema_(std::move(schema)), columns_(std::move(columns)) {
  if (schema_.size() != columns_.size())
    throw UsageError(
        fmt::format("a schema of {} columns with {} columns", schema_.size(), columns_.size()));
  rows_ = columns_.empty() ? 0 : columns_[0].size();
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i].type() != schema_[i].type)
      throw TypeError(fmt::format("column '{}' is declared {} but holds {}", schema_[i].name,
                                  pando::to_string(schema_[i].type),
                                  pando::to_string(columns_[i].type())));
    if (columns_[i].size() != rows_)
      throw ShapeError(fmt::format("column '{}' has {} rows, column '{}' has {}", schema_[i].name,
                                   columns_[i].size(), schema_[0].name, rows_));
  }
}

namespace {
Schema schema_of(std::vector<std::string> names, const std::vector<Column>& columns) {
  if (names.size() != columns.size())
    throw UsageError(fmt::format("{} names for {} columns", names.size(), columns.size()));
  std::vector<Field> f;
  for (std::size_t i = 0; i < names.size(); ++i)
    f.push_back({std::move(names[i]), columns[i].type()});
  return Schema(std::move(f));
}
}  // namespace

Table::Table(std::vector<std::string> names, std::vector<Column> columns) {
  Schema schema = schema_of(std::move(names), columns);  // before the columns move
  *this = Table(std::move(schema), std::move(columns));
}

Table Table::empty(const Schema& schema) {
  std::vector<Column> cols;
  for (const auto& f : schema) cols.push_back(Column::nulls(f.type, 0));
  return Table(schema, std::move(cols));
}

Table Table::select(const std::vector<std::string>& names) const {
  std::vector<Field> f;
  std::vector<Column> c;
  for (const auto& n : names) {
    std::size_t i = schema_.index_of(n);
    f.push_back(schema_[i]);
    c.push_back(columns_[i]);
  }
  Table t(Schema(std::move(f)), std::move(c));
  t.rows_ = rows_;
  return t;
}

Table Table::drop(const std::vector<std::string>& names) const {
  for (const auto& n : names) (void)schema_.index_of(n);
  std::vector<std::string> keep;
  for (const auto& f : schema_)
    if (std::find(names.begin(), names.end(), f.name) == names.end()) keep.push_back(f.name);
  return select(keep);
}

Table Table::rename(const std::vector<std::pair<std::string, std::string>>& renames) const {
  std::vector<Field> f = schema_.fields();
  for (const auto& [from, to] : renames) f[schema_.index_of(from)].name = to;
  Table t(Schema(std::move(f)), columns_);
  t.rows_ = rows_;
  return t;
}

Table Table::with_column(const std::string& name, Column column) const {
  if (!columns_.empty() && column.size() != rows_)
    throw ShapeError(
        fmt::format("a column of {} rows for a table of {} rows", column.size(), rows_));
  std::vector<Field> f = schema_.fields();
  std::vector<Column> c = columns_;
  if (auto i = schema_.find(name)) {
    f[*i].type = column.type();
    c[*i] = std::move(column);
  } else {
    f.push_back({name, column.type()});
    c.push_back(std::move(column));
  }
  return Table(Schema(std::move(f)), std::move(c));
}

Table Table::head(std::size_t n) const { return slice(0, std::min(n, rows_)); }

Table Table::slice(std::size_t offset, std::size_t length) const {
  if (offset > rows_ || length > rows_ - offset)
    throw ValueError(fmt::format("rows [{}, {}) lie outside a table of {} rows", offset,
                                 offset + length, rows_));
  std::vector<Column> c;
  for (const auto& col : columns_) c.push_back(col.slice(offset, length));
  Table t(schema_, std::move(c));
  t.rows_ = length;
  return t;
}

Table Table::filter(const Column& mask) const {
  if (mask.size() != rows_)
    throw ShapeError(
        fmt::format("a filter mask of {} rows for a table of {} rows", mask.size(), rows_));
  std::vector<Column> c;
  for (const auto& col : columns_) c.push_back(col.filter(mask));
  Table t(schema_, std::move(c));
  if (columns_.empty()) {
    auto m = mask.values<std::uint8_t>();
    for (std::size_t i = 0; i < rows_; ++i) t.rows_ += m[i] && mask.is_valid(i);
  }
  return t;
}

Table Table::take(std::span<const std::int64_t> indices) const {
  std::vector<Column> c;
  for (const auto& col : columns_) c.push_back(col.take(indices));
  Table t(schema_, std::move(c));
  t.rows_ = indices.size();
  return t;
}

Table Table::cast(const Schema& to) const {
  if (to.size() != schema_.size())
    throw UsageError(fmt::format("cannot cast a table of {} columns to a schema of {}",
                                 schema_.size(), to.size()));
  std::vector<Column> c;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (to[i].name != schema_[i].name)
      throw UsageError(fmt::format("cannot cast: column {} is '{}', the schema says '{}'", i,
                                   schema_[i].name, to[i].name));
    c.push_back(columns_[i].cast(to[i].type));
  }
  Table t(to, std::move(c));
  t.rows_ = rows_;
  return t;
}

Table Table::concat(std::span<const Table> parts) {
  if (parts.empty()) return Table();
  const Schema& s = parts[0].schema();
  for (std::size_t k = 1; k < parts.size(); ++k) {
    const Schema& o = parts[k].schema();
    if (o == s) continue;
    if (o.size() != s.size())
      throw UsageError(
          fmt::format("cannot concatenate tables of different columns: part 0 has "
                      "[{}], part {} has [{}]",
                      s.to_string(), k, o.to_string()));
    for (std::size_t i = 0; i < s.size(); ++i)
      if (!(o[i] == s[i]))
        throw UsageError(fmt::format(
            "cannot concatenate: column {} is '{}' ({}) in part 0 and "
            "'{}' ({}) in part {}",
            i, s[i].name, pando::to_string(s[i].type), o[i].name, pando::to_string(o[i].type), k));
  }
  std::vector<Column> cols;
  std::vector<Column> pieces(parts.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    for (std::size_t k = 0; k < parts.size(); ++k) pieces[k] = parts[k].columns_[i];
    cols.push_back(Column::concat(pieces));
  }
  Table t(s, std::move(cols));
  t.rows_ = 0;
  for (const auto& p : parts) t.rows_ += p.rows_;
  return t;
}

bool Table::equals(const Table& o) const {
  if (!(schema_ == o.schema_) || rows_ != o.rows_) return false;
  for (std::size_t i = 0; i < columns_.size(); ++i)
    if (!columns_[i].equals(o.columns_[i])) return false;
  return true;
}

std::size_t Table::nbytes() const noexcept {
  std::size_t n = 0;
  for (const auto& c : columns_) n += c.nbytes();
  return n;
}

// ---- display ----

namespace {

// Text for display: control characters would break the layout.
std::string display_string(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else
      out += c;
  }
  return out;
}

// Cells of one column for the rows shown, pandas-style: a leading space (a sign slot for
// numbers), "NaN" / "NaT" for nulls.
std::vector<std::string> format_cells(const Column& c, const std::vector<std::size_t>& rows) {
  std::vector<std::string> out;
  out.reserve(rows.size());
  const DType t = c.type();
  if (t == DType::float32 || t == DType::float64) {
    auto value = [&](std::size_t i) {
      return t == DType::float64 ? c.values<double>()[i]
                                 : static_cast<double>(c.values<float>()[i]);
    };
    auto render = [&](bool sci) {
      std::vector<std::string> cells;
      for (std::size_t i : rows) {
        double v = value(i);
        if (!c.is_valid(i) || std::isnan(v))
          cells.emplace_back("NaN");
        else if (std::isinf(v))
          cells.emplace_back(v < 0 ? "-inf" : " inf");
        else
          cells.push_back(sci ? fmt::format("{: .6e}", v) : fmt::format("{: .6f}", v));
      }
      // Trim trailing zeros equally from all fixed-notation numbers, keeping one decimal.
      auto is_fixed = [](const std::string& s) {
        return s.find('.') != std::string::npos && s.find('e') == std::string::npos && s != "NaN" &&
               s.find("inf") == std::string::npos;
      };
      for (;;) {
        bool any = false, all_zero = true;
        for (const auto& s : cells)
          if (is_fixed(s)) {
            any = true;
            if (s.back() != '0') all_zero = false;
          }
        if (!any || !all_zero) break;
        for (auto& s : cells)
          if (is_fixed(s)) s.pop_back();
      }
      for (auto& s : cells)
        if (is_fixed(s) && s.back() == '.') s += '0';
      return cells;
    };
    out = render(false);
    std::size_t maxlen = 0;
    bool large = false, small = false;
    for (std::size_t k = 0; k < rows.size(); ++k) {
      maxlen = std::max(maxlen, out[k].size());
      if (!c.is_valid(rows[k])) continue;
      double a = std::fabs(value(rows[k]));
      if (std::isnan(a)) continue;
      large |= a > 1e6;
      small |= a > 0 && a < 1e-6;
    }
    if (small || (maxlen > 12 && large)) out = render(true);
    return out;
  }
  TimePrecision prec = TimePrecision::date;
  if (t == DType::timestamp)
    for (std::size_t i : rows)
      if (c.is_valid(i)) prec = std::max(prec, timestamp_precision(c.values<std::int64_t>()[i]));
  char buf[max_formatted_chars];
  for (std::size_t i : rows) {
    if (!c.is_valid(i)) {
      out.emplace_back(t == DType::timestamp ? "NaT" : "NaN");
      continue;
    }
    switch (t) {
      case DType::boolean:
        out.push_back(fmt::format(" {}", format_bool(c.values<std::uint8_t>()[i] != 0)));
        break;
      case DType::int32:
        out.push_back(fmt::format("{: d}", c.values<std::int32_t>()[i]));
        break;
      case DType::int64:
        out.push_back(fmt::format("{: d}", c.values<std::int64_t>()[i]));
        break;
      case DType::timestamp:
        out.emplace_back(buf, format_timestamp(c.values<std::int64_t>()[i], prec, buf));
        break;
      case DType::string: {
        std::string cell(1, ' ');  // not " " + s: GCC 12 warns falsely (-Wrestrict)
        cell += display_string(c.string_at(i));
        out.push_back(std::move(cell));
        break;
      }
      default:
        break;
    }
  }
  return out;
}

std::string pad(const std::string& s, std::size_t width, bool left) {
  std::size_t len = utf8_length(s);
  if (len >= width) return s;
  return left ? s + std::string(width - len, ' ') : std::string(width - len, ' ') + s;
}

}  // namespace

std::string Table::to_string(std::size_t max_rows) const {
  if (columns_.empty() || rows_ == 0) {
    std::string idx;
    for (std::size_t i = 0; i < std::min<std::size_t>(rows_, 10); ++i)
      idx += (i ? ", " : "") + std::to_string(i);
    if (rows_ > 10) idx += ", ...";
    std::vector<std::string> n = names();
    std::string cols;
    for (std::size_t i = 0; i < n.size(); ++i) cols += (i ? ", " : "") + n[i];
    return fmt::format("Empty DataFrame\nColumns: [{}]\nIndex: [{}]", cols, idx);
  }
  const bool truncated = rows_ > max_rows;
  std::vector<std::size_t> shown;
  std::size_t half =
      truncated ? std::max<std::size_t>(std::min<std::size_t>(max_rows, 10) / 2, 1) : rows_;
  for (std::size_t i = 0; i < std::min(half, rows_); ++i) shown.push_back(i);
  std::size_t dots_at = shown.size();
  if (truncated)
    for (std::size_t i = rows_ - half; i < rows_; ++i) shown.push_back(i);

  // Columns of cells: [header, rows...], each with its width and alignment.
  std::vector<std::vector<std::string>> grid;
  std::vector<std::string> index{""};
  for (std::size_t i : shown) index.push_back(std::to_string(i));
  grid.push_back(std::move(index));
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    std::string name(1, ' ');
    name += display_string(schema_[c].name);
    std::vector<std::string> col{std::move(name)};
    for (auto& s : format_cells(columns_[c], shown)) col.push_back(std::move(s));
    grid.push_back(std::move(col));
  }
  std::vector<std::size_t> width(grid.size(), 0);
  for (std::size_t c = 0; c < grid.size(); ++c)
    for (const auto& s : grid[c]) width[c] = std::max(width[c], utf8_length(s));
  if (truncated) width[0] = std::max<std::size_t>(width[0], 2);

  std::string out;
  auto line = [&](std::size_t r) {  // r: 0 = header, k = shown row k-1
    std::string l;
    for (std::size_t c = 0; c < grid.size(); ++c) {
      if (c) l += ' ';
      l += pad(grid[c][r], width[c], c == 0);
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l;
  };
  line(0);
  for (std::size_t k = 0; k < shown.size(); ++k) {
    if (truncated && k == dots_at) {
      out += '\n';
      std::string l;
      for (std::size_t c = 0; c < grid.size(); ++c) {
        if (c) l += ' ';
        l += pad(width[c] > 3 ? "..." : "..", width[c], c == 0);
      }
      out += l;
    }
    out += '\n';
    line(k + 1);
  }
  if (truncated) out += fmt::format("\n\n[{} rows x {} columns]", rows_, columns_.size());
  return out;
}

// ---- codec ----

namespace {
constexpr std::uint32_t table_magic = 0x4c425450;  // "PTBL"
constexpr std::uint32_t table_version = 1;

template <class T>
void put(Bytes& b, T v) {
  const auto* p = reinterpret_cast<const std::byte*>(&v);
  b.insert(b.end(), p, p + sizeof v);
}
template <class T>
T get(const std::byte*& p, const std::byte* end) {
  if (end - p < static_cast<std::ptrdiff_t>(sizeof(T)))
    throw ValueError("received a truncated table header");
  T v;
  std::memcpy(&v, p, sizeof v);
  p += sizeof v;
  return v;
}
}  // namespace

Encoded Codec<Table>::encode(const Table& t, const std::shared_ptr<const void>&) {
  Encoded e;
  e.type = type_tag<Table>();
  put(e.meta, table_magic);
  put(e.meta, table_version);
  put(e.meta, static_cast<std::uint64_t>(t.rows()));
  put(e.meta, static_cast<std::uint64_t>(t.num_columns()));
  for (std::size_t i = 0; i < t.num_columns(); ++i) {
    const std::string& name = t.schema()[i].name;
    put(e.meta, static_cast<std::uint64_t>(name.size()));
    const auto* p = reinterpret_cast<const std::byte*>(name.data());
    e.meta.insert(e.meta.end(), p, p + name.size());
    detail::encode_column(t.column(i), e.meta, e.buffers);
  }
  return e;
}

Table Codec<Table>::decode(const Encoded& e) {
  const std::byte* p = e.meta.data();
  const std::byte* end = p + e.meta.size();
  if (get<std::uint32_t>(p, end) != table_magic || get<std::uint32_t>(p, end) != table_version)
    throw ValueError("received a table in an unknown format");
  const auto rows = get<std::uint64_t>(p, end);
  const auto ncols = get<std::uint64_t>(p, end);
  std::vector<Field> fields;
  std::vector<Column> cols;
  std::size_t next = 0;
  for (std::uint64_t i = 0; i < ncols; ++i) {
    const auto len = get<std::uint64_t>(p, end);
    if (static_cast<std::uint64_t>(end - p) < len)
      throw ValueError("received a truncated table header");
    std::string name(reinterpret_cast<const char*>(p), len);
    p += len;
    Column c = detail::decode_column(p, end, e.buffers, next);
    fields.push_back({std::move(name), c.type()});
    cols.push_back(std::move(c));
  }
  if (ncols == 0) {
    Table t;
    t.rows_ = rows;  // a table of rows without columns (select of nothing) keeps its length
    return t;
  }
  Table t(Schema(std::move(fields)), std::move(cols));
  if (t.rows() != rows)
    throw ValueError(
        fmt::format("received a table of {} rows whose columns have {}", rows, t.rows()));
  return t;
}

}  // namespace pando
