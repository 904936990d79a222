#pragma once
// The groupby plan's sizes, given (internal; tests force each plan with them).

#include <pando/frame/detail/shuffle.hpp>
#include <pando/frame/groupby.hpp>

namespace pando::detail {

struct GroupBySizes {
  ShuffleSizes shuffle;
  // Partials up to this many bytes in all are combined on every rank; more are shuffled.
  std::uint64_t few_bytes;
  // A sixteenth of the budget's round, at most 16 MiB: every rank holds them all at once.
  static GroupBySizes of_session();
};

DataFrame grouped_aggregation(const DataFrame& df, const std::vector<std::string>& keys,
                              const GroupByOptions& options,
                              const std::vector<std::pair<std::string, std::string>>& column_funcs,
                              GroupBySizes sizes);

}  // namespace pando::detail
