#pragma once
// CSV writing: text that pandas.read_csv reads back as the same values (docs/architecture.md §4.5).
//
// Like DataFrame.to_csv(index=False): values formatted by frame/text.hpp (floats as Python's
// repr, ints, True/False, timestamps with the column's common precision, dates only when all are
// midnight), nulls and NaN as empty fields, strings quoted only when they hold the delimiter,
// the quote character, '\r' or '\n' (pandas, through Python 3.11's csv module, leaves '\r'
// unquoted and then cannot read the file back; we quote it), quotes doubled, rows ending in
// "\n". A row of one column whose field is empty is written as "" (as Python's csv does), or
// pandas would read a blank line and skip it.
//
// Differences from pandas' own text, where pandas reads both back the same: an int64 column
// with nulls prints "1" where pandas (holding float64) prints "1.0".

#include <pando/core/timestamp.hpp>
#include <pando/frame/csv/options.hpp>
#include <pando/frame/table.hpp>

#include <span>
#include <vector>

#include <functional>
#include <string>
#include <string_view>

namespace pando::csv {

// Receives the text in consecutive chunks of about a megabyte.
using CsvSink = std::function<void(std::string_view)>;

// Uses options.delimiter and options.quote (which must not be '\0'). `at_least` (per column,
// may be empty) raises the timestamp precision of columns: a table written in parts must use
// the whole column's precision in every part, as pandas does (see timestamp_precisions).
void write_csv(const Table& table, bool header, const CsvOptions& options, const CsvSink& sink,
               std::span<const TimePrecision> at_least = {});
// The precision each timestamp column of `table` needs (date for other columns); combine the
// parts of a table with max().
std::vector<TimePrecision> timestamp_precisions(const Table& table);
std::string to_csv(const Table& table, bool header = true, const CsvOptions& options = {});

}  // namespace pando::csv
