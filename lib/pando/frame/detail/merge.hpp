#pragma once
// The join's sizes, given (internal; tests force each plan with them).

#include <pando/frame/detail/shuffle.hpp>
#include <pando/frame/merge.hpp>

namespace pando::detail {

struct JoinSizes {
  ShuffleSizes shuffle;
  // A right side up to this many bytes in all is gathered on every rank (no shuffle).
  std::uint64_t broadcast_bytes;
  // An eighth of the memory budget, at most 256 MiB.
  static JoinSizes of_session();
};

DataFrame merge_with(const DataFrame& left, const DataFrame& right, const MergeOptions& options,
                     const JoinSizes& sizes);

}  // namespace pando::detail
