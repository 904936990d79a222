#pragma once
// CSV stage 3, parse: the rows of one range (split.hpp's RowRange) to typed columns, straight
// from the bytes: no std::string per field, numbers with fast_float (floats) and an exact int64
// reader with overflow detection, timestamps by core/timestamp.hpp, strings copied once into one
// bytes buffer (quotes and escapes resolved) and checked to be UTF-8.
//
// Rows follow the tokenizer's rules (csv/detail/tokenize.hpp). A row with fewer fields than the
// header gets nulls for the missing ones (pandas does the same); a row with more is a bad line
// (CsvOptions::on_bad_lines).
// A field equal to a null text (CsvOptions::na_values) is null in any column. Numbers,
// timestamps and the empty text may have spaces or tabs around them; bools must be exact.
//
// Errors are ParseErrors "file:line:column: what; hint: how to fix" on ONE line, where line is
// the physical 1-based line of the file (`first_line` is the line of bytes[0], from
// resolve_ranges) and column the 1-based character column in that line where the field starts
// (what an editor shows; the message names the column too):
//
// clang-format off
//   sales.csv:10002:7: cannot read "n/a" as int64 (column 'qty'); hint: --na-values n/a or --dtype qty=string
//   sales.csv:17:12: too many fields (expected 7, found 8); hint: --on-bad-lines skip or --on-bad-lines warn
//   sales.csv:4:3: unterminated quoted field: the quote opened here is not closed before the end of the file
//   sales.csv:9:5: invalid UTF-8 (byte 0xe9) in column 'name'; hint: convert the file to UTF-8, e.g. iconv -f latin1 -t utf-8
//   sales.csv:12:1: integer "99999999999999999999" does not fit in int64 (column 'id'); hint: --dtype id=float64 or --dtype id=string
// clang-format on

#include <pando/frame/csv/options.hpp>
#include <pando/frame/table.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pando::csv {

// Rows skipped by on_bad_lines = skip or warn.
struct BadLineReport {
  static constexpr std::size_t max_kept = 10;
  std::int64_t count = 0;
  std::vector<std::int64_t> lines;    // physical line numbers of the first max_kept
  std::vector<std::string> messages;  // and their messages ("file:line:column: ...")
  // Adds the report of a later range (keeps file order when called in range order).
  void merge(const BadLineReport& later);
  template <class A>
  void serialize(A& a, unsigned) {
    a& count& lines& messages;
  }
};

// Parses `bytes` (whole rows: a RowRange of the file, or the whole data after the header) with
// `schema`, every column of the file in file order (infer_schema's), into a table of the
// selected columns (selected_schema). A column may come back float64 where the schema says
// int64 (widening, see infer.hpp). With on_bad_lines = warn, the first skipped lines are also
// logged as warnings.
Table parse_rows(std::string_view bytes, std::int64_t first_line, const Schema& schema,
                 const CsvOptions& options, std::string_view source, BadLineReport& bad_lines);

}  // namespace pando::csv
