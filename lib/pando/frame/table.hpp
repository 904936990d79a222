#pragma once
// Table: a local partition of a dataframe: a schema (ordered, unique column names with their
// DTypes) and one Column per field, all of one length. Immutable; operations return new tables
// that share the columns they do not change.

#include <pando/frame/column.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pando {

struct Field {
  std::string name;
  DType type = DType::int64;

  friend bool operator==(const Field&, const Field&) = default;
  template <class A>
  void serialize(A& a, unsigned) {
    a& name& type;
  }
};

class Schema {
 public:
  Schema() = default;
  // UsageError for an empty or repeated name.
  explicit Schema(std::vector<Field> fields);
  Schema(std::initializer_list<Field> fields) : Schema(std::vector<Field>(fields)) {}

  [[nodiscard]] std::size_t size() const noexcept { return fields_.size(); }
  [[nodiscard]] bool empty() const noexcept { return fields_.empty(); }
  [[nodiscard]] const Field& operator[](std::size_t i) const { return fields_[i]; }
  [[nodiscard]] const std::vector<Field>& fields() const noexcept { return fields_; }
  [[nodiscard]] auto begin() const noexcept { return fields_.begin(); }
  [[nodiscard]] auto end() const noexcept { return fields_.end(); }
  [[nodiscard]] std::vector<std::string> names() const;

  [[nodiscard]] std::optional<std::size_t> find(std::string_view name) const noexcept;
  // The position of a column; UsageError listing the columns when there is none of that name.
  [[nodiscard]] std::size_t index_of(std::string_view name) const;
  // "a: int64, b: string"
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const Schema&, const Schema&) = default;
  template <class A>
  void serialize(A& a, unsigned) {
    a& fields_;
  }

 private:
  std::vector<Field> fields_;
};

// A column to order rows by, and its direction.
struct SortKey {
  std::string column;
  bool ascending = true;
};

// "'a', 'b', 'c'": the list an error shows when a name is unknown.
std::string quoted_names(const std::vector<std::string>& names);

class Table {
 public:
  // No columns, no rows.
  Table() = default;
  // Checks that the columns match the schema's types and have one length.
  Table(Schema schema, std::vector<Column> columns);
  Table(std::vector<std::string> names, std::vector<Column> columns);
  // Zero rows of a schema.
  static Table empty(const Schema& schema);

  [[nodiscard]] const Schema& schema() const noexcept { return schema_; }
  [[nodiscard]] std::size_t rows() const noexcept { return rows_; }
  [[nodiscard]] std::size_t num_columns() const noexcept { return columns_.size(); }
  [[nodiscard]] std::vector<std::string> names() const { return schema_.names(); }
  [[nodiscard]] bool has_column(std::string_view name) const noexcept {
    return schema_.find(name).has_value();
  }
  [[nodiscard]] const Column& column(std::size_t i) const { return columns_.at(i); }
  // UsageError listing the columns when there is none of that name.
  [[nodiscard]] const Column& column(std::string_view name) const {
    return columns_[schema_.index_of(name)];
  }
  [[nodiscard]] const std::vector<Column>& columns() const noexcept { return columns_; }

  // Columns by name, in the order given (UsageError for an unknown name).
  [[nodiscard]] Table select(const std::vector<std::string>& names) const;
  [[nodiscard]] Table drop(const std::vector<std::string>& names) const;
  // Renames columns (old -> new); UsageError for an unknown old name or a clash.
  [[nodiscard]] Table rename(const std::vector<std::pair<std::string, std::string>>& renames) const;
  // Replaces the column of that name, or appends it.
  [[nodiscard]] Table with_column(const std::string& name, Column column) const;

  [[nodiscard]] Table head(std::size_t n) const;
  [[nodiscard]] Table slice(std::size_t offset, std::size_t length) const;
  [[nodiscard]] Table filter(const Column& mask) const;
  [[nodiscard]] Table take(std::span<const std::int64_t> indices) const;
  // The rows ordered by `by` (the first key that differs decides), stable; missing values
  // (null, NaN) last, or first with `nulls_first` (pandas' na_position), in either direction.
  [[nodiscard]] Table sort_values(const std::vector<SortKey>& by, bool nulls_first = false) const;
  // Casts column by column to `to` (same names in the same order), e.g. to apply a widening
  // int64 -> float64 found by the CSV reader.
  [[nodiscard]] Table cast(const Schema& to) const;
  // Rows of every table in turn; schemas must be equal (UsageError naming the first
  // difference).
  static Table concat(std::span<const Table> parts);

  // Like pandas' DataFrame repr: an index column, right-aligned values, NaN for nulls (NaT for
  // timestamps), floats with a common number of decimals (scientific when pandas would), dates
  // without a time when all are midnight. With more than `max_rows` rows, it shows the first
  // and last min(max_rows, 10) / 2 rows around a "..." row (pandas' max_rows / min_rows), then
  // "[R rows x C columns]". All columns on one line (no wrapping to the terminal width).
  [[nodiscard]] std::string to_string(std::size_t max_rows = 60) const;

  [[nodiscard]] bool equals(const Table& other) const;
  [[nodiscard]] std::size_t nbytes() const noexcept;

 private:
  friend struct Codec<Table>;

  Schema schema_;
  std::vector<Column> columns_;
  std::size_t rows_ = 0;
};

// A table travels as its schema and lengths (metadata part) and every column buffer as its own
// Buffer (Codec<Column>); the receiver wraps the buffers without copying.
template <>
struct Codec<Table> {
  static Encoded encode(const Table& t, const std::shared_ptr<const void>& owner);
  static Table decode(const Encoded& e);
  static std::size_t nbytes(const Table& t) { return t.nbytes(); }
};

}  // namespace pando
