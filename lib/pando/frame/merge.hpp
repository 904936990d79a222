#pragma once
// Joins: pandas' merge of two DataFrames on key columns (docs/architecture.md §3.4.1).
//
//   auto joined = pando::merge(orders, customers, {.on = {"customer"}, .how = JoinHow::left});
//
// How it runs is chosen from the data in one collective: a small right side (under an eighth
// of the memory budget) is gathered on every rank and each left partition joins it where it
// is; otherwise both sides are shuffled by key (all-to-all) and joined bucket by bucket. Keys
// that a sample finds heavy (2% of a side or more) are kept out of the shuffle: their left rows
// join where they are, against their right rows gathered everywhere, so that no rank gets a
// hot key's work alone. Either way the output is the same.
//
// Order (the same at any rank count): each left row's matches in left frame order, each with
// its right matches in right frame order (pandas' left join; pandas 2.2's inner join; pandas
// 1.5 groups an inner join's rows by key), one output partition per left partition; a right
// join mirrors that by the right side; an outer join is the left join's rows, then the right
// rows that matched nothing, in right frame order (one more partition; pandas 1.5 groups the
// rows by key). Missing keys (null, NaN) match each other, as in pandas. A key of one name on
// both sides (on, or left_on and right_on naming it alike) is one output column.

#include <pando/frame/dataframe.hpp>

#include <string>
#include <vector>

namespace pando {

enum class JoinHow { inner, left, right, outer };

// "inner", "left", "right", "outer"; UsageError otherwise.
JoinHow parse_join_how(const std::string& text);

struct MergeOptions {
  // Key columns that both sides have (one output column each)...
  std::vector<std::string> on = {};
  // ...or keys of each side, pair by pair (both kept where their names differ).
  std::vector<std::string> left_on = {}, right_on = {};
  JoinHow how = JoinHow::inner;
  // Appended to the names of other columns that both sides have.
  std::string left_suffix = "_x", right_suffix = "_y";
};

// The left columns, then the right ones (without `on` keys). TypeError when a key's types
// differ between the sides, naming both and the astype / --dtype that fixes it.
DataFrame merge(const DataFrame& left, const DataFrame& right, const MergeOptions& options);

}  // namespace pando
