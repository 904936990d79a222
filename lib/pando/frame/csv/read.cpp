#include <pando/frame/csv/read.hpp>

#include <pando/frame/csv/gzip.hpp>
#include <pando/frame/csv/infer.hpp>
#include <pando/frame/csv/split.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace pando::csv {

namespace {

struct Prepared {
  CsvHeader header;
  Schema schema;
};

Prepared prepare(std::string_view text, const CsvOptions& options, std::string_view source) {
  Prepared p;
  p.header = read_header(text, true, options, source);
  const bool whole = options.sample_bytes >= text.size();
  p.schema = infer_schema(whole ? text : text.substr(0, options.sample_bytes), whole, p.header,
                          options, source);
  return p;
}

}  // namespace

Table read_csv_text(std::string_view text, const CsvOptions& options, std::string_view source,
                    BadLineReport* bad_lines) {
  Prepared p = prepare(text, options, source);
  BadLineReport local;
  Table t = parse_rows(text.substr(static_cast<std::size_t>(p.header.data_begin)),
                       p.header.data_first_line, p.schema, options, source, local);
  if (bad_lines) bad_lines->merge(local);
  if (t.num_columns() == 0 && p.schema.size())
    return Table::empty(selected_schema(p.schema, options));
  return t;
}

Table read_csv_text_split(std::string_view text, std::span<const std::int64_t> cuts,
                          const CsvOptions& options, std::string_view source, std::size_t lookahead,
                          BadLineReport* bad_lines) {
  Prepared p = prepare(text, options, source);
  const auto size = static_cast<std::int64_t>(text.size());
  std::vector<std::int64_t> bounds{p.header.data_begin};
  for (auto c : cuts)
    if (c > bounds.back() && c < size) bounds.push_back(c);
  bounds.push_back(size);

  std::vector<RangeScan> scans;
  for (std::size_t i = 0; i + 1 < bounds.size(); ++i) {
    RangeBytes rb;
    rb.begin = bounds[i];
    rb.end = bounds[i + 1];
    rb.starts_row = i == 0;
    rb.window_begin = i == 0 ? rb.begin : std::max<std::int64_t>(rb.begin - 2, 0);
    const std::int64_t wend =
        std::min<std::int64_t>(size, rb.end + static_cast<std::int64_t>(lookahead));
    rb.window = text.substr(static_cast<std::size_t>(rb.window_begin),
                            static_cast<std::size_t>(wend - rb.window_begin));
    rb.window_reaches_eof = wend == size;
    scans.push_back(scan_range(rb, options, source));
  }
  std::vector<RowRange> rows = resolve_ranges(scans, p.header.data_first_line);

  const Schema declared = selected_schema(p.schema, options);
  std::vector<Table> parts;
  std::vector<Schema> schemas;
  BadLineReport report;
  for (const RowRange& r : rows) {
    if (r.empty()) continue;
    BadLineReport local;
    Table t = parse_rows(
        text.substr(static_cast<std::size_t>(r.begin), static_cast<std::size_t>(r.end - r.begin)),
        r.first_line, p.schema, options, source, local);
    report.merge(local);
    schemas.push_back(t.schema());
    parts.push_back(std::move(t));
  }
  if (bad_lines) bad_lines->merge(report);
  if (parts.empty()) return Table::empty(declared);
  const Schema unified = unify_schemas(schemas);
  for (auto& t : parts)
    if (!(t.schema() == unified)) t = t.cast(unified);
  return Table::concat(parts);
}

Table read_csv_file(const std::string& path, const CsvOptions& options, BadLineReport* bad_lines) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw IoError(fmt::format("{}: cannot open ({})", path, std::strerror(errno)));
  std::string bytes;
  char buf[1 << 16];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) bytes.append(buf, n);
  const bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) throw IoError(fmt::format("{}: read error", path));
  if (is_gzip({reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()})) {
    Buffer b = gunzip({reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()}, path);
    return read_csv_text({reinterpret_cast<const char*>(b.data()), b.size()}, options, path,
                         bad_lines);
  }
  return read_csv_text(bytes, options, path, bad_lines);
}

}  // namespace pando::csv
