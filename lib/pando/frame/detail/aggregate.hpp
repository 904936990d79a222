#pragma once
// Aggregations per group (internal to the frame module; groupby.cpp runs them). A decomposable
// aggregation (count, sum, min, std, ...) keeps a state of a few columns per group: rows
// accumulate into it, states of the same group merge (in partition order, so floating-point
// results are alike at any rank count), and the final value comes from the merged state. A
// holistic one (nunique, median, quantile) needs every value of its group and computes from
// the rows directly.

#include <pando/frame/detail/rows.hpp>
#include <pando/frame/table.hpp>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace pando::detail {

class Aggregation {
 public:
  virtual ~Aggregation() = default;
  [[nodiscard]] virtual bool holistic() const noexcept { return false; }
  // The types of the state's columns.
  [[nodiscard]] virtual std::vector<DType> state_types() const = 0;
  // The state of each group from its rows' values.
  [[nodiscard]] virtual std::vector<Column> accumulate(const Column& values,
                                                       const Groups& groups) const = 0;
  // The state of each group from states (rows of state columns) of the same groups.
  [[nodiscard]] virtual std::vector<Column> merge(std::span<const Column> states,
                                                  const Groups& groups) const = 0;
  // The value of each group from its state.
  [[nodiscard]] virtual Column finish(std::span<const Column> states) const = 0;
  // The value of each group from its rows' values.
  [[nodiscard]] virtual Column compute(const Column& values, const Groups& groups) const {
    return finish(accumulate(values, groups));
  }
};

// One aggregation asked for: `func` of `column`, as output column `name` ("amount_sum").
struct AggSpec {
  std::string column;
  std::string func;
  std::string name;
  std::shared_ptr<const Aggregation> kernel;
  DType type;  // of the output column
};

// `func` of a column of type `type`: count size sum mean min max std var prod first last
// nunique median any all, quantile (q = 0.5) or qNN (NN percent, 0 to 100: q90, q99.9).
// UsageError for an unknown function or percent, TypeError for a type it does not take.
AggSpec make_agg(const std::string& column, DType type, const std::string& func, int ddof);

// The quantile a function name asks for: 0.5 for median, q for qNN ("q90": 0.9); nullopt for
// any other name. UsageError for a percent outside 0 to 100.
std::optional<double> quantile_of(const std::string& func);

}  // namespace pando::detail
