#pragma once
// CSV stage 0, infer: the header and the column types, from a sample of the first file (its
// first CsvOptions::sample_bytes bytes). Rank 0 runs this once and broadcasts the result while
// the graph is built (docs/architecture.md §3.1).
//
// Type inference, per column, over the non-null values of the sample's complete rows: the first
// of int64, float64, bool, timestamp that every value reads as, else string.
//   - int64: optional sign and digits (spaces around allowed, as pandas). Integers that do not
//     fit int64 make the column string unless it also holds non-integral numbers (then float64):
//     pandas would make them uint64 or object; string keeps every digit.
//   - float64: what fast_float reads, with an optional '+' ("1e5", ".5", "inf", "-Infinity").
//   - bool: exactly True/TRUE/true/False/FALSE/false (pandas' defaults; 1/0 stay int64).
//   - timestamp: ISO-8601 as core/timestamp.hpp's parse_timestamp reads it, in pandas' range
//     (pandas needs parse_dates for this; we infer it).
//   - a column with no value in the sample (all null) is float64, as pandas makes it; a file
//     with no data rows at all gives string columns (pandas' object).
//
// Nulls do not change a type: an int64 column with missing values stays int64 with nulls, where
// pandas turns it into float64. Reasons: a column's type then never depends on whether the
// sample, or one partition, happens to hold a null (partitions agree without a pass over the
// data); integers beyond 2^53 stay exact; and the text written back is what pandas writes for
// its nullable Int64 ("1,,3"), which pandas reads back as the same numbers (as float64, or as
// Int64 with dtype=). Code that compares dtypes with pandas should expect int64 where pandas
// says float64 for such columns.
//
// A later value that does not fit its column's type is a ParseError naming file, line, column
// and the --dtype that fixes it (the distributed read_csv: its partitions are parsed when used,
// so the sample's types must hold for all of them, as in Dask). Local reads of a whole text may
// widen instead (CsvOptions::allow_widening): when a later value of an inferred int64 column
// reads as a float, parse_rows makes that partition's column float64, and the caller unifies
// the parsed schemas (unify_schemas), logs widened_columns and casts the others (Table::cast).

#include <pando/frame/csv/options.hpp>
#include <pando/frame/table.hpp>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pando::csv {

struct CsvHeader {
  std::vector<std::string> names;    // every column of the file, deduplicated like pandas
  std::int64_t data_begin = 0;       // byte offset of the first data row (after BOM and header)
  std::int64_t data_first_line = 1;  // its physical 1-based line number
  template <class A>
  void serialize(A& a, unsigned) {  // rank 0 reads it and broadcasts it
    a& names& data_begin& data_first_line;
  }
};

// The header row, from the first bytes of the file (`is_whole_file`: `head` is all of it).
// Names: empty ones become "Unnamed: i", repeats "a.1", "a.2" (pandas' rules); without a
// header the names are "0", "1", ... for the fields of the first row. A UTF-8 byte order mark
// is skipped, and blank lines before the header. ParseError for an empty file, a header that
// does not end inside `head`, an unterminated quote, invalid UTF-8.
CsvHeader read_header(std::string_view head, bool is_whole_file, const CsvOptions& options,
                      std::string_view source);

// Types for every column of the file, in file order, from the complete rows of `sample` (the
// same first bytes of the file) after the header; CsvOptions::dtypes override. UsageError for
// dtypes or usecols naming columns the file does not have. The sample is read with the parser's
// rules: where it is malformed (a quote still open at the end of the file, not merely at the end
// of a sample that the file continues past; a row of too many fields under on_bad_lines =
// error), the ParseError is the one parse_rows gives for the file (same message, line and
// column), never a type guessed from what could be read.
Schema infer_schema(std::string_view sample, bool is_whole_file, const CsvHeader& header,
                    const CsvOptions& options, std::string_view source);

// The schema parse_rows returns for a file schema: the usecols columns, in file order.
Schema selected_schema(const Schema& file_schema, const CsvOptions& options);

// One schema for partitions parsed separately: int64 and float64 of one column give float64;
// any other difference is a TypeError naming the column.
Schema unify_schemas(std::span<const Schema> parts);
// Names of the columns that are int64 in `declared` and float64 in `parsed` (to log).
std::vector<std::string> widened_columns(const Schema& declared, const Schema& parsed);

}  // namespace pando::csv
