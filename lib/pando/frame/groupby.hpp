#pragma once
// Grouped aggregation: pandas' df.groupby(keys).agg(...), over the partitions of a DataFrame
// (docs/architecture.md §3.4.1).
//
//   auto totals = df.groupby({"customer"}).agg({{"amount", "sum"}, {"amount", "mean"}});
//   pando::Table t = totals.compute();   // customer, amount_sum, amount_mean; by customer
//
// How it runs is chosen from the data: each partition aggregates its rows into one row per
// group (a hash table); one collective measures these partials; few groups are combined on
// every rank in partition order, many are shuffled by key (all-to-all, in rounds within the
// memory budget) and combined where they land. States merge in partition order either way, so
// the results, floating-point sums included, are the same bits at any number of ranks.
// nunique, median and quantiles need every value of a group: their rows are shuffled by key.

#include <pando/frame/dataframe.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace pando {

struct GroupByOptions {
  // Rows with a missing key (null, or NaN) belong to no group; false makes the missing value a
  // group of its own (last in key order).
  bool dropna = true;
  // Groups in ascending key order. false skips the ordering: groups then come in order of
  // first appearance when they are few, else by a hash of the key; the same at any rank count.
  bool sort = true;
  // std and var divide by n - ddof.
  int ddof = 1;
  // Partitions of the result (0: as many as the frame has, at least 1).
  std::int64_t npartitions = 0;
};

class GroupBy {
 public:
  // The frame's rows grouped by the values of `keys` (UsageError for an unknown column).
  GroupBy(DataFrame frame, std::vector<std::string> keys, GroupByOptions options = {});

  // One row per group: the key columns, then one column per (column, function) named
  // COLUMN_FUNCTION ("amount_sum"), in the order asked. Functions, as pandas': count (values
  // present) size (rows) sum mean min max std var prod first last (the first or last present
  // value in frame order) nunique median any all, and quantiles as qNN (percent: q90, q99.9;
  // interpolated linearly, as pandas). Missing values (null, NaN) are skipped; a group without
  // any gives null where pandas gives NaN (sum: 0, prod: 1, count: 0). Lazy.
  [[nodiscard]] DataFrame agg(
      const std::vector<std::pair<std::string, std::string>>& column_funcs) const;
  // One row per group: the keys and "size", its number of rows.
  [[nodiscard]] DataFrame size() const;

  [[nodiscard]] const std::vector<std::string>& keys() const noexcept { return keys_; }

 private:
  DataFrame frame_;
  std::vector<std::string> keys_;
  GroupByOptions options_;
};

}  // namespace pando
