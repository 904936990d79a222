#pragma once
// DataFrame: a pandas-like table cut into partitions (local Tables) that live on the ranks,
// lazy over the task graph (docs/architecture.md §4.4).
//
//   auto df = pando::read_csv({"data/*.csv"});                         // lazy
//   auto big = df.assign("total", df["amount"] * df["qty"])             // lazy
//                .filter(df["amount"] > 100 && df["flag"]);
//   pando::Table stats = big.describe();                                // collective
//   big.to_csv("big.csv");                                              // collective
//
// Columns are referred to in expressions (module expr) by name: `df["amount"]` is the column
// expression, type-checked against the frame's schema when the expression is used, so a bad
// expression is an error before anything runs. Text expressions work the same:
// `df.filter(pando::expr::parse_expression("amount > 100 and flag", "--where"))`.
//
// Statistics follow pandas: nulls (and NaN in float columns) are skipped, var/std divide by
// n - 1 unless told otherwise, describe() gives exact quartiles interpolated as pandas does.

#include <pando/frame/csv/options.hpp>
#include <pando/frame/csv/parse.hpp>
#include <pando/frame/table.hpp>
#include <pando/expr/ast.hpp>
#include <pando/graph/delayed.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pando {

namespace detail {
struct Divisions;  // detail/partitions.hpp
}
class GroupBy;          // groupby.hpp
struct GroupByOptions;  // groupby.hpp

class DataFrame {
 public:
  DataFrame() = default;
  // Partition i is the Table of Key(token, {i}), made by `graph`.
  DataFrame(Schema schema, std::int64_t partitions, std::string token, Graph graph,
            std::shared_ptr<const void> pin = {});

  [[nodiscard]] const Schema& schema() const noexcept { return schema_; }
  [[nodiscard]] std::vector<std::string> columns() const { return schema_.names(); }
  [[nodiscard]] std::vector<std::pair<std::string, DType>> dtypes() const;
  [[nodiscard]] std::int64_t npartitions() const noexcept { return partitions_; }
  [[nodiscard]] const std::string& token() const noexcept { return token_; }
  [[nodiscard]] const Graph& graph() const noexcept { return graph_; }
  [[nodiscard]] Key partition_key(std::int64_t i) const { return Key(token_, {i}); }

  // ---- columns and expressions ----
  // The column `name` as an expression; UsageError (listing the columns) if there is none.
  [[nodiscard]] expr::Expr col(const std::string& name) const;
  [[nodiscard]] expr::Expr operator[](const char* name) const { return col(name); }
  [[nodiscard]] expr::Expr operator[](const std::string& name) const { return col(name); }
  // The rows where `mask` (a bool expression) is true (null counts as false).
  [[nodiscard]] DataFrame filter(const expr::Expr& mask) const;
  [[nodiscard]] DataFrame operator[](const expr::Expr& mask) const { return filter(mask); }
  // A new (or replaced) column computed from the others.
  [[nodiscard]] DataFrame assign(const std::string& name, const expr::Expr& value) const;
  [[nodiscard]] DataFrame select(const std::vector<std::string>& names) const;
  [[nodiscard]] DataFrame drop(const std::vector<std::string>& names) const;
  [[nodiscard]] DataFrame rename(
      const std::vector<std::pair<std::string, std::string>>& renames) const;
  [[nodiscard]] DataFrame astype(const std::vector<std::pair<std::string, DType>>& types) const;
  // Nulls of the named columns replaced by a value (a literal expression of a fitting type).
  [[nodiscard]] DataFrame fillna(
      const std::vector<std::pair<std::string, expr::Expr>>& values) const;
  // Rows without a null in the named columns (all columns when none are named).
  [[nodiscard]] DataFrame dropna(const std::vector<std::string>& subset = {}) const;
  // The same columns as bools: true where null.
  [[nodiscard]] DataFrame isna() const;
  // A function of each partition; `schema` is what it returns (checked when it runs).
  [[nodiscard]] DataFrame map_partitions(std::function<Table(const Table&)> f, Schema schema,
                                         std::string name) const;

  // ---- moving rows between partitions (collective, all-to-all) ----
  // Rows with equal values in `on` end in one partition (of `npartitions`; 0 keeps the count),
  // keeping frame order within each partition, as Dask's df.shuffle(on). Partitions are alike
  // at any number of ranks; nulls (and NaN) of a key go together.
  //   auto by_customer = df.shuffle({"customer"});
  [[nodiscard]] DataFrame shuffle(const std::vector<std::string>& on,
                                  std::int64_t npartitions = 0) const;

  // ---- ordering and distinct rows (collective, all-to-all) ----
  // The rows ordered by `by` (the first key that differs decides), stable: rows with equal keys
  // keep their frame order; missing values (null, NaN) last, or first with `nulls_first`
  // (pandas' na_position), in either direction. A sample sort: splitters from a sample of every
  // partition, rows moved to their range (ties split by frame position, so that one repeated
  // value still spreads evenly), then sorted where they land. As many partitions as the frame.
  //   auto ranked = df.sort_values({{"amount", false}, {"id", true}});
  [[nodiscard]] DataFrame sort_values(const std::vector<SortKey>& by,
                                      bool nulls_first = false) const;
  // Collective: the rows sorted by `column` (sort_values, kept in memory: persist) with their
  // divisions recorded (sorted_by), so that loc() and later steps read only the partitions a
  // range meets, as Dask's set_index. A missing value of `column` is a ValueError (sorted_by's).
  //   auto by_amount = df.set_index("amount");
  [[nodiscard]] DataFrame set_index(const std::string& column) const;
  // The n rows with the largest (smallest) values of `columns`, ordered so, ties in frame order
  // (pandas' keep="first"); rows missing a value of them are left out. Without a full sort:
  // each partition keeps its own top n. One partition.
  [[nodiscard]] DataFrame nlargest(std::int64_t n, const std::vector<std::string>& columns) const;
  [[nodiscard]] DataFrame nsmallest(std::int64_t n, const std::vector<std::string>& columns) const;
  // One row per distinct present value of `column`: the value and "count", its rows; counts
  // descending, ties by value ascending (pandas leaves the order of ties open).
  [[nodiscard]] DataFrame value_counts(const std::string& column) const;
  // One row per column named (every column when none are): column, nunique (its distinct
  // present values, as pandas' df.nunique()).
  [[nodiscard]] Table nunique(const std::vector<std::string>& columns = {}) const;
  // The rows whose values in `subset` (every column when empty) did not appear in an earlier
  // row (keep_last: a later one), in frame order, as pandas' drop_duplicates; missing values
  // are equal to each other. Partitions: as many as the frame.
  [[nodiscard]] DataFrame drop_duplicates(const std::vector<std::string>& subset = {},
                                          bool keep_last = false) const;

  // Rows grouped by the values of `keys`, for aggregations (groupby.hpp):
  //   df.groupby({"customer"}).agg({{"amount", "sum"}})
  [[nodiscard]] GroupBy groupby(std::vector<std::string> keys) const;
  [[nodiscard]] GroupBy groupby(std::vector<std::string> keys, const GroupByOptions& options) const;

  // ---- known divisions (Dask's, from set_index(column, sorted=True)) ----
  // Collective: the same frame, known to be sorted by `column`. One pass checks that the rows
  // are in non-decreasing order of `column` (within and across partitions, no nulls or NaN) and
  // records each partition's range of it; a ValueError names the first row out of order.
  // Filtering, assign/select/drop/rename that leave `column` alone and persist keep the
  // divisions; other operations (map_partitions, isna, a new `column`) forget them.
  //   auto by_time = df.sorted_by("ts");
  //   auto june = by_time.loc(expr::lit("2024-06-01"), expr::lit("2024-06-30 23:59:59"));
  [[nodiscard]] DataFrame sorted_by(const std::string& column) const;
  [[nodiscard]] bool known_divisions() const noexcept { return order_ != nullptr; }
  // The sorted column ("" when the order is not known).
  [[nodiscard]] const std::string& sorted_column() const noexcept;
  // One row per partition: partition, min, max: bounds of the sorted column's values in it
  // (its least and greatest when sorted_by found them; after a filter, bounds that still hold
  // every row; nulls for a partition that was empty). UsageError when the order is not known.
  [[nodiscard]] Table divisions() const;
  // The rows whose sorted column lies in [lo, hi] (values, e.g. expr::lit(100); a timestamp as
  // ISO-8601 text), in order; only the partitions whose range meets [lo, hi] are read.
  // UsageError when the order is not known.
  [[nodiscard]] DataFrame loc(const expr::Expr& lo, const expr::Expr& hi) const;

  // ---- results (collective) ----
  // Every partition, concatenated in order, on every rank (or on rank 0 only).
  [[nodiscard]] Table compute(bool everywhere = true) const;
  // The first n rows (reads only as many partitions as needed, in order).
  [[nodiscard]] Table head(std::int64_t n = 5) const;
  // The last n rows (reads only as many partitions as needed, from the end).
  [[nodiscard]] Table tail(std::int64_t n = 5) const;
  [[nodiscard]] std::int64_t length() const;
  // Computes the partitions and keeps them where they are.
  [[nodiscard]] DataFrame persist() const;
  [[nodiscard]] std::vector<Delayed<Table>> to_delayed() const;
  static DataFrame from_delayed(const std::vector<Delayed<Table>>& parts, Schema schema);
  // Aggregates over the whole frame, one row: columns named COL_FUNC ("amount_sum"), FUNC one
  // of count sum mean min max std var (std/var with `ddof`), median and qNN (q90: the 0.9
  // quantile; exact, with NumPy's linear interpolation, as pandas). Nulls (and NaN) are
  // skipped; with `skipna` false, a column holding any gives null for every FUNC but count
  // (pandas' rule).
  [[nodiscard]] Table agg(const std::vector<std::pair<std::string, std::string>>& column_funcs,
                          int ddof = 1, bool skipna = true) const;
  // pandas' describe() of the numeric columns: a "statistic" column (count mean std min 25% 50%
  // 75% max), then one float64 column per numeric column. Quartiles are exact.
  [[nodiscard]] Table describe(int ddof = 1) const;
  // One row per column: column, nulls (NaN counts as null in float columns).
  [[nodiscard]] Table null_counts() const;

  // Writes CSV that pandas reads back unchanged: one file (parts written in parallel at their
  // offsets) or, with a '*' in the path, one file per partition (* = partition number).
  // Atomic: a failed job leaves no file behind.
  void to_csv(const std::string& path, const CsvOptions& options = {}) const;
  // Writes the frame as an HDF5 table (frame/hdf5.hpp: one dataset per column under `group`),
  // every rank writing its partitions' rows at their offsets. Atomic: into a new file renamed
  // into place, or a temporary group of an existing file moved to its name; IoError before
  // anything runs if the group exists.
  void to_hdf5(const std::string& file, const std::string& group) const;

 private:
  Schema schema_;
  std::int64_t partitions_ = 0;
  std::string token_;
  Graph graph_;
  std::shared_ptr<const void> pin_;
  std::shared_ptr<const detail::Divisions> order_;  // known divisions, or none

  // `out` with this frame's divisions, when it keeps this frame's rows in order and holds the
  // sorted column (renamed to `renamed_to` when given) unchanged.
  [[nodiscard]] DataFrame keeping_order(DataFrame out, const std::string& renamed_to = {}) const;
};

struct ReadCsvOptions {
  CsvOptions csv;
  // Bytes per partition of uncompressed files (Dask's blocksize); .gz files are one partition.
  std::int64_t blocksize = std::int64_t{64} << 20;
  // The columns a pipeline goes on to use, when it knows them (pando-frame pushes its own down):
  // only these are parsed, so values in the others are not checked. Ignored when it names a
  // column the files lack, so that the pipeline's own stage reports that name against all the
  // columns. Unlike csv.usecols, which asks for exactly these columns.
  std::vector<std::string> projection;
};

// Collective. CSV files (paths, globs like "data/part-*.csv", or both; a path that exists is read
// as written even if its name holds *, ? or [, and only others are globs) as a lazy frame of
// partitions of about `blocksize` bytes: rank 0 reads the headers (every file must have the same
// one) and infers the column types from the first file's first bytes (or takes
// options.csv.dtypes) now; the rows are parsed, in parallel, by each computation that uses them,
// streaming through it (persist() to parse them once for several computations). A value beyond
// the sample that does not fit its column's type is a ParseError naming the file, line, column
// and the --dtype that fixes it. With on_bad_lines warn, each computation that parses a range
// logs the first lines it skips there; the overload below counts them once, for all files.
DataFrame read_csv(const std::vector<std::string>& paths, const ReadCsvOptions& options = {});
// The same, and the lines skipped with on_bad_lines skip or warn: their count and the first few
// messages ("file:line:column: ..."), in file order, on every rank, from a first pass that
// streams the files (memory holds the ranges in flight); the frame reads them again when used.
DataFrame read_csv(const std::vector<std::string>& paths, const ReadCsvOptions& options,
                   csv::BadLineReport& bad_lines);

}  // namespace pando
