#pragma once
// The same outcome on every rank. When one rank finds a problem (a missing file, a bad CSV
// header, a malformed graph), every rank must throw the same error at the same point, or the
// ranks that carry on wait forever in the next collective (docs/architecture.md §5).
//
//   // rank 0 reads the header once; every rank gets the schema, or the same error
//   Schema s = pando::on_root(comm, [&] { return sniff_schema(path); });

#include <pando/core/comm.hpp>
#include <pando/core/error.hpp>
#include <pando/core/fault.hpp>
#include <pando/core/serialize.hpp>

#include <array>
#include <cstring>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace pando {

// An error as it travels between ranks: its kind and message rebuild the same exception type.
struct ErrorRecord {
  ErrorKind kind = ErrorKind::generic;
  std::string message;
  // For TaskError: its parts.
  std::string task_key;
  int task_rank = -1;
  ErrorKind task_cause = ErrorKind::generic;

  static ErrorRecord of(const std::exception& e);
  [[noreturn]] void raise() const;

  template <class A>
  void serialize(A& a, unsigned) {
    fields(a, kind, message, task_key, task_rank, task_cause);
  }
};

// Collective. If `failure` is set on any rank, every rank throws the failure of the lowest such
// rank; otherwise returns normally.
void agree_on_failure(const Comm& comm, const std::optional<ErrorRecord>& failure);
// Collective. agree_on_failure(), and the element-wise minimum of `values` over the ranks in the
// same allreduce, returned: a check that rides on the agreement (the minimum of x and of ~x
// tell whether x is the same everywhere) costs no collective of its own.
std::vector<std::uint64_t> agree_on_failure_and_min(const Comm& comm,
                                                    const std::optional<ErrorRecord>& failure,
                                                    std::span<const std::uint64_t> values);

// Collective. Runs `f` on every rank; if it throws anywhere, every rank throws the error of the
// lowest failing rank. Returns f's result otherwise. `f` is rank-local: it makes no collective
// call (a rank that fails before one would leave the others in it; see DeferredError).
template <class F>
auto agree(const Comm& comm, F&& f) -> decltype(f()) {
  using R = decltype(f());
  std::optional<ErrorRecord> failure;
  if constexpr (std::is_void_v<R>) {
    try {
      fault::point(fault::Point::agree);
      f();
    } catch (const std::exception& e) {
      failure = ErrorRecord::of(e);
    }
    agree_on_failure(comm, failure);
  } else {
    std::optional<R> result;
    try {
      fault::point(fault::Point::agree);
      result.emplace(f());
    } catch (const std::exception& e) {
      failure = ErrorRecord::of(e);
    }
    agree_on_failure(comm, failure);
    return std::move(*result);
  }
}

namespace detail {
// Root's outcome as it is broadcast: a flag byte (1 = failed), then the result's or the error's
// archive.
Bytes outcome_failure(const ErrorRecord& failure);
// Every rank's copy of root's outcome (one broadcast); throws root's error if it failed.
Bytes share_outcome(const Comm& comm, Bytes outcome, int root);
}  // namespace detail

// Collective. Runs `f` (rank-local) on `root` only; every rank returns root's result
// (serializable with Boost.Serialization), or throws root's error.
template <class F>
auto on_root(const Comm& comm, F&& f, int root = 0) -> decltype(f()) {
  using R = decltype(f());
  Bytes outcome;
  std::conditional_t<std::is_void_v<R>, bool, R> result{};
  if (comm.rank() == root) {
    try {
      fault::point(fault::Point::agree);
      if constexpr (std::is_void_v<R>)
        f();
      else
        result = f();
      // The result is archived inside the try: a failure to archive it is root's error too.
      outcome.push_back(std::byte{0});
      if constexpr (!std::is_void_v<R>)
        if (comm.size() > 1) to_bytes(result, outcome);
    } catch (const std::exception& e) {
      outcome = detail::outcome_failure(ErrorRecord::of(e));
    }
  }
  Bytes shared = detail::share_outcome(comm, std::move(outcome), root);
  if constexpr (!std::is_void_v<R>) {
    if (comm.rank() != root) from_bytes(std::span<const std::byte>(shared).subspan(1), result);
    return result;
  }
}

// Collective. Every rank's part, made by the rank-local `f` (a std::vector<T> of trivially
// copyable T), concatenated in rank order on every rank; if `f` throws anywhere, every rank
// throws the error of the lowest failing rank instead. One allgather of a fixed-size slot per
// rank carries the size (or the failure marker) and a small part whole, so a small exchange
// (a description of each rank's blocks) costs one collective and the check none.
template <class F>
auto allgather_checked(const Comm& comm, F&& f) -> Gathered<typename decltype(f())::value_type> {
  using T = typename decltype(f())::value_type;
  static_assert(std::is_trivially_copyable_v<T>);
  std::optional<ErrorRecord> failure;
  decltype(f()) mine;
  try {
    fault::point(fault::Point::agree);
    mine = f();
  } catch (const std::exception& e) {
    failure = ErrorRecord::of(e);
  }
  constexpr std::uint64_t failed = ~std::uint64_t{0};
  constexpr std::size_t slot_words = 16,
                        room = (slot_words - 1) * sizeof(std::uint64_t) / sizeof(T);
  std::array<std::uint64_t, slot_words> slot{};
  slot[0] = failure ? failed : mine.size();
  if (!failure && !mine.empty() && mine.size() <= room)
    std::memcpy(&slot[1], mine.data(), mine.size() * sizeof(T));
  const auto slots = comm.allgather(std::span<const std::uint64_t>(slot));
  std::vector<std::size_t> counts(static_cast<std::size_t>(comm.size()));
  bool all_inline = true;
  for (int r = 0; r < comm.size(); ++r) {
    const std::uint64_t n = slots[static_cast<std::size_t>(r) * slot_words];
    if (n == failed) {
      ErrorRecord e = failure.value_or(ErrorRecord{});
      broadcast(comm, e, r);
      e.raise();
    }
    counts[static_cast<std::size_t>(r)] = n;
    all_inline = all_inline && n <= room;
  }
  if (!all_inline) return comm.allgatherv(std::span<const T>(mine), std::move(counts));
  Gathered<T> g;
  g.offsets = Comm::offsets_of(counts);
  g.data.resize(Comm::total(counts));
  for (int r = 0; r < comm.size(); ++r) {
    const auto n = counts[static_cast<std::size_t>(r)];
    if (n > 0)
      std::memcpy(g.data.data() + g.offsets[static_cast<std::size_t>(r)],
                  &slots[static_cast<std::size_t>(r) * slot_words + 1], n * sizeof(T));
  }
  g.counts = std::move(counts);
  return g;
}
// Collective, a program's last step: every rank says whether it failed; returns the lowest rank
// that did (comm.size() if none), on every rank. Errors Pando raises are the same on every rank,
// so every rank usually arrives here at once. A rank whose failure the others did not share (a
// failure in the program's own code on one rank, while the others wait in a collective) waits
// at most `patience` seconds for them, then stops the job (Comm::abort, saying `why`) rather
// than hang; a rank that did not fail waits as long as it takes.
int end_together(const Comm& comm, bool failed, std::string_view why, double patience);

// Rank-local steps between the collective calls of one collective operation (each rank writes
// its part of a file between two agreements, say). The first exception is kept instead of
// thrown, so that this rank still makes every collective call that the others make; agree()
// then throws it on every rank at the same point.
//
//   DeferredError local;
//   for (int round = 0; round < rounds; ++round)
//     local.run([&] { write_my_part(round); });   // a collective call, made even after a failure
//   local.agree(comm);
class DeferredError {
 public:
  // Runs `f`, keeping its exception if it is the first one. True if `f` returned.
  template <class F>
  bool run(F&& f) noexcept {
    try {
      f();
      return true;
    } catch (const std::exception& e) {
      if (!error_) error_ = ErrorRecord::of(e);
    } catch (...) {
      if (!error_)
        error_ = ErrorRecord{ErrorKind::generic, "unknown exception", {}, -1, ErrorKind::generic};
    }
    return false;
  }
  [[nodiscard]] bool failed() const noexcept { return error_.has_value(); }
  // Collective: throws the error of the lowest rank that kept one, on every rank.
  void agree(const Comm& comm) const { agree_on_failure(comm, error_); }

 private:
  std::optional<ErrorRecord> error_;
};

}  // namespace pando
