#pragma once
// The CSV reader and writer, stage by stage (see each header for its rules):
//   csv/split.hpp     byte ranges: scan_range, resolve_ranges
//   csv/infer.hpp     header and types from a sample: read_header, infer_schema
//   csv/parse.hpp     rows to typed columns: parse_rows
//   csv/write.hpp     tables to text pandas reads back: write_csv
//   csv/gzip.hpp      .gz files inflated as a stream, a partition at a time
//   csv/read.hpp      all of it on one rank

//
// The distributed reader runs the stages as tasks (every struct here has a serialize() member,
// so it can travel):
//   1. rank 0, while the graph is built: the first options.sample_bytes of the first file ->
//      read_header -> infer_schema; broadcast the CsvHeader and Schema (and reuse the header
//      check on the other files of a glob).
//   2. per file: plan_ranges(header.data_begin, size, range_bytes); per range a task reads the
//      window [begin - 2, end + 4 KiB) and calls scan_range (a .gz file is one range: gunzip).
//   3. one task per file gathers its RangeScans in order: resolve_ranges -> RowRanges.
//   4. per range a task reads [row.begin, row.end) and calls parse_rows (bad-line reports merge
//      in range order).
// The partitions are parsed when a computation uses them, with allow_widening off: the schema
// of step 1 holds for every partition. read.hpp's read_csv_text_split does the same on one rank
// and is the reference; with widening on (its default, for a whole text read at once) it then
// unifies the parsed schemas (unify_schemas, Table::cast).

#include <pando/frame/csv/gzip.hpp>
#include <pando/frame/csv/infer.hpp>
#include <pando/frame/csv/options.hpp>
#include <pando/frame/csv/parse.hpp>
#include <pando/frame/csv/read.hpp>
#include <pando/frame/csv/split.hpp>
#include <pando/frame/csv/write.hpp>
