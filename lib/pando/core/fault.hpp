#pragma once
// Fault injection: named points in the library where a test makes one operation fail on one
// rank, to check that every rank then ends the computation with the same error, that nothing
// hangs and that no partial output stays behind (docs/architecture.md §5.4).
//
//   PANDO_FAULT=write:1:2             the 2nd write on rank 1 fails
//   PANDO_FAULT=send:0:1,read:2:3     several at once
//   PANDO_FAULT_TRACE=/tmp/trace      each rank writes /tmp/trace.<rank> at exit: one line
//                                     "point hits" per point it passed (what a sweep injects)
//
// Compiled into every build and inert unless PANDO_FAULT or PANDO_FAULT_TRACE is set: a point
// costs one predictable branch. New code that reads, writes, talks to other ranks or allocates
// a large buffer adds a point here and to the sweep (tests/faults).

#include <array>
#include <cstdint>
#include <string_view>

namespace pando::fault {

enum class Point : std::uint8_t {
  task,        // a task body is about to run
  collective,  // a rank enters a collective task (it takes part with an error marker)
  agree,       // a rank enters a host-side agreement (agree, on_root, a checked gather)
  send,        // a value is about to leave for another rank
  receive,     // a value arrived from another rank
  read,        // a read from a file or dataset
  write,       // a write to a file or dataset
  rename,      // an output is moved into place (rename, H5Lmove)
  alloc,       // a large buffer is allocated
  exchange,    // a rank packs a round of an all-to-all exchange (core/detail/exchange.hpp)
  lose_row,    // a shuffle silently drops a row it sends: no error, see strikes()
};
inline constexpr std::array all_points = {
    Point::task,  Point::collective, Point::agree, Point::send,     Point::receive, Point::read,
    Point::write, Point::rename,     Point::alloc, Point::exchange, Point::lose_row};

std::string_view name(Point p) noexcept;

namespace detail {
extern bool active;  // set once, before main, from the environment
void hit(Point p);
}  // namespace detail

// Counts a pass through `p`; throws the error an operation at this point would throw (IoError
// for files, MpiError for messages, ...) when PANDO_FAULT names this pass on this rank.
inline void point(Point p) {
  if (detail::active) [[unlikely]]
    detail::hit(p);
}

// For the points that corrupt instead of failing (lose_row): counts a pass, and tells whether
// PANDO_FAULT names it, so that the caller does the damage its check must then catch.
[[nodiscard]] bool strikes(Point p);

// Arms the points from a PANDO_FAULT-style text (tests that inject within one process) and
// counts passes from zero; an empty text only counts. UsageError for a malformed one.
void arm(std::string_view spec);
// No fault armed, no counting (unless PANDO_FAULT_TRACE is set).
void disarm();
// Passes through `p` counted on this rank since the start (or since arm()).
[[nodiscard]] std::uint64_t passes(Point p) noexcept;
// The rank faults are counted on (set by Session; 0 before). UsageError if PANDO_FAULT is
// malformed (reported when the session starts, not before main).
void set_rank(int rank);

}  // namespace pando::fault
