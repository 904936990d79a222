#pragma once
// Local CSV reading on one rank: the stages of split.hpp / infer.hpp / parse.hpp run in a row.
// For small files, tests, and as the serial reference for the distributed reader.

#include <pando/frame/csv/options.hpp>
#include <pando/frame/csv/parse.hpp>
#include <pando/frame/table.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace pando::csv {

// A whole CSV text as one range: header, inference (from the first options.sample_bytes),
// parse. Skipped bad lines are added to `bad_lines` when given.
Table read_csv_text(std::string_view text, const CsvOptions& options = {},
                    std::string_view source = "<text>", BadLineReport* bad_lines = nullptr);

// The same text cut at `cuts` (file offsets, increasing, after the header) into ranges that are
// scanned, resolved and parsed separately, as the distributed reader does; each scan sees two
// bytes before its range and `lookahead` bytes after it. Partitions are unified (widening) and
// concatenated.
Table read_csv_text_split(std::string_view text, std::span<const std::int64_t> cuts,
                          const CsvOptions& options = {}, std::string_view source = "<text>",
                          std::size_t lookahead = 4096, BadLineReport* bad_lines = nullptr);

// A local file (inflated first when it is gzip) as one range. IoError naming the path.
Table read_csv_file(const std::string& path, const CsvOptions& options = {},
                    BadLineReport* bad_lines = nullptr);

}  // namespace pando::csv
