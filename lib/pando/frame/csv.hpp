#pragma once
// The CSV reader and writer, stage by stage (see each header for its rules):
//   csv/split.hpp     byte ranges: scan_range, resolve_ranges
//   csv/infer.hpp     header and types from a sample: read_header, infer_schema
//   csv/parse.hpp     rows to typed columns: parse_rows
//   csv/write.hpp     tables to text pandas reads back: write_csv
//   csv/gzip.hpp      .gz files inflated whole
//   csv/read.hpp      all of it on one rank

#include <pando/frame/csv/gzip.hpp>
#include <pando/frame/csv/infer.hpp>
#include <pando/frame/csv/options.hpp>
#include <pando/frame/csv/parse.hpp>
#include <pando/frame/csv/read.hpp>
#include <pando/frame/csv/split.hpp>
#include <pando/frame/csv/write.hpp>
