#pragma once
// CSV stage 1, split: cutting a file into byte ranges that ranks parse independently
// (docs/architecture.md §7.3).
//
// A byte range cannot know whether it starts inside a quoted field: quoted fields may hold line
// breaks, so a line break is a row end only outside quotes. The rule:
//
//  1. Every range is scanned ONCE, by scan_range, under both assumptions at once: "the range
//     starts outside quotes" and "the range starts inside a quoted field". For each it records
//     the first row start (just after the first line break seen outside quotes; "\r\n" and a
//     bare "\r" are line breaks like "\n") with the number of line breaks before it, and whether
//     the range ends inside quotes. Line breaks are counted too (physical lines, for line
//     numbers); they do not depend on quoting.
//  2. resolve_ranges walks the scans in file order: range 0 starts at the first row after the
//     header, outside quotes; range i+1 starts inside quotes exactly when range i, under its
//     own true assumption, ends inside quotes. That picks each range's true row start s_i. The
//     rows of range i are the bytes [s_i, s_{i+1}) (the last range's run to the end of the
//     data); a range without a row start (one long quoted field) has no rows of its own. A row
//     starting exactly at a range's first byte belongs to the range before.
//  3. parse_rows (parse.hpp) parses each [s_i, s_{i+1}) once. Nobody reads the file from its
//     start, and no byte is parsed twice.
//
// Quoting follows pandas' tokenizer: a quote opens a quoted field only at the start of a field
// (after a delimiter or line break); inside, a doubled quote is a quote and a single one closes;
// a quote anywhere else is data; an escape character (when set) makes the next byte data.
// Two-byte tokens ("" inside quotes, an escape and its byte, "\r\n") must not straddle a cut, so
// a cut at byte b moves forward to the first position p >= b whose previous byte is not a quote,
// an escape or '\r' (and, with an escape character, whose byte before that is not an escape):
// both neighbours compute the same p from the bytes around b. That is why the scan wants two
// bytes before the range and a little lookahead after it (a few bytes suffice unless quotes
// repeat; 4 KiB is plenty).

#include <pando/frame/csv/options.hpp>

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace pando::csv {

// The bytes a scan needs: a window of the file holding the range [begin, end), the two bytes
// before it (unless it starts the data) and some lookahead after it.
struct RangeBytes {
  std::string_view window;        // file bytes [window_begin, window_begin + window.size())
  std::int64_t window_begin = 0;  // file offset of window[0]
  std::int64_t begin = 0;         // the range, as file offsets inside the window
  std::int64_t end = 0;
  bool window_reaches_eof = false;  // the window runs to the end of the file
  bool starts_row = false;          // begin is a row start: the first range, after the header
};

struct RangeScan {
  // What a range found under one assumption about its first byte.
  struct Outcome {
    std::int64_t first_row = -1;     // file offset of its first row start; -1: none
    std::int64_t breaks_before = 0;  // line breaks in [scan_begin, first_row)
    bool ends_in_quotes = false;     // state at scan_end
    template <class A>
    void serialize(A& a, unsigned) {
      a& first_row& breaks_before& ends_in_quotes;
    }
  };
  std::int64_t begin = 0, end = 0;            // the range as given
  std::int64_t scan_begin = 0, scan_end = 0;  // its cut points after moving past 2-byte tokens
  std::int64_t line_breaks = 0;               // physical line breaks in [scan_begin, scan_end)
  bool starts_row = false;
  Outcome outside;  // the range starts outside quotes (for starts_row: first_row = scan_begin)
  Outcome inside;   // the range starts inside a quoted field

  template <class A>
  void serialize(A& a, unsigned) {  // small: scans travel to the resolving task
    a& begin& end& scan_begin& scan_end& line_breaks& starts_row& outside& inside;
  }
};

// Stage 1a, one per range, independent of every other range. ParseError when a run of quote or
// escape characters around a cut is longer than the window gives (then read the file whole).
RangeScan scan_range(const RangeBytes& bytes, const CsvOptions& options, std::string_view source);

// The rows of one range, as resolved.
struct RowRange {
  std::int64_t begin = 0;       // file offset of its first row
  std::int64_t end = 0;         // one past its last row's line break (or the end of the data)
  std::int64_t first_line = 0;  // physical 1-based line number of `begin`
  [[nodiscard]] bool empty() const noexcept { return begin == end; }
  template <class A>
  void serialize(A& a, unsigned) {
    a& begin& end& first_line;
  }
};

// Stage 1b: from the scans of ALL ranges of one file, in file order (scans[0].starts_row, each
// scan_begin equal to the previous scan_end), and the line number at the first range's start,
// each range's rows. Cheap: a loop over the scans. UsageError for scans that do not tile.
std::vector<RowRange> resolve_ranges(std::span<const RangeScan> scans, std::int64_t first_line);

// For data read as a stream (a .gz file), where the next bytes are not known yet: how many
// leading bytes of `text` are whole rows. `text` starts at a row start outside quotes and is a
// prefix of the data, so its end may cut a row; its last few KiB serve only as the scan's
// lookahead. 0 when no row ends early enough. `line_breaks` gets the physical line breaks in the
// whole rows.
std::size_t whole_rows(std::string_view text, const CsvOptions& options, std::string_view source,
                       std::int64_t& line_breaks);

// Cuts [data_begin, file_size) into ranges of about `range_bytes` (at least one range).
std::vector<std::pair<std::int64_t, std::int64_t>> plan_ranges(std::int64_t data_begin,
                                                               std::int64_t file_size,
                                                               std::int64_t range_bytes);

}  // namespace pando::csv
