#include <pando/frame/csv/infer.hpp>

#include <pando/core/timestamp.hpp>
#include <pando/frame/text.hpp>
#include <pando/frame/csv/parse.hpp>
#include <pando/frame/csv/detail/tokenize.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace pando::csv {

namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool integer_syntax(std::string_view s) noexcept {
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::size_t bom_length(std::string_view s) noexcept {
  return s.size() >= 3 && s.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
}

// pandas' header deduplication (pandas/_libs/parsers.pyx, _get_header): named columns first,
// then the "Unnamed: i" ones; a repeat of `a` becomes the first of a.1, a.2, ... not in the
// header yet.
void dedup(std::vector<std::string>& h, const std::vector<std::size_t>& unnamed) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < h.size(); ++i)
    if (std::find(unnamed.begin(), unnamed.end(), i) == unnamed.end()) order.push_back(i);
  order.insert(order.end(), unnamed.begin(), unnamed.end());
  std::map<std::string, std::size_t> counts;
  for (std::size_t i : order) {
    std::string col = h[i];
    const std::string old = col;
    std::size_t cur = counts[col];
    while (cur > 0) {
      counts[old] = cur + 1;
      col = fmt::format("{}.{}", old, cur);
      if (std::find(h.begin(), h.end(), col) != h.end())
        ++cur;
      else
        cur = counts.count(col) ? counts[col] : 0;
    }
    h[i] = col;
    counts[col] = cur + 1;
  }
}

[[noreturn]] void unterminated(std::string_view data, const char* at, std::string_view source) {
  auto loc = detail::locate(data.data(), at, data.data() + data.size(), 1);
  throw ParseError(std::string(source), loc.line, loc.column,
                   "unterminated quoted field: the quote opened here is not closed before the end "
                   "of the file");
}

struct Candidates {
  bool any = false, can_int = true, can_float = true, can_bool = true, can_ts = true;
  bool overflow = false, real_float = false;

  void add(std::string_view raw) {
    any = true;
    std::string_view t = trim(raw);
    const bool int_ok = can_int && parse_int64(t).has_value();
    const bool int_syntax = integer_syntax(t);
    if (!int_ok) {
      can_int = false;
      if (int_syntax) overflow = true;
    }
    if (can_float) {
      if (!parse_double(t))
        can_float = false;
      else if (!int_syntax)
        real_float = true;
    }
    if (can_bool && !parse_bool(raw)) can_bool = false;
    if (can_ts && !parse_timestamp(t)) can_ts = false;
  }

  [[nodiscard]] DType type(bool rows_seen) const {
    if (!rows_seen) return DType::string;
    if (!any) return DType::float64;
    if (can_int) return DType::int64;
    if (can_float) return overflow && !real_float ? DType::string : DType::float64;
    if (can_bool) return DType::boolean;
    if (can_ts) return DType::timestamp;
    return DType::string;
  }
};

// A sample that the parser cannot read (a quote still open at the end of the file; a row of too
// many fields under on_bad_lines = error) is an error now, never a guess at types: types
// guessed from the rows before it could fail a type check (a sum over a column of strings)
// before any partition is parsed, with a message about the wrong thing. The parser itself reads
// the sample up to the end of the bad row, with the types of the rows before it, so the message,
// line and column are exactly those of the full read (which would report the same first problem:
// a value before it that does not fit a --dtype, invalid UTF-8 in a string column, or the bad
// row itself).
[[noreturn]] void report_malformed(std::string_view rows, std::int64_t first_line,
                                   const Schema& schema, const CsvOptions& options,
                                   std::string_view source) {
  CsvOptions quiet = options;
  if (quiet.on_bad_lines == BadLines::warn)
    quiet.on_bad_lines = BadLines::skip;  // the full read warns about skipped rows, once
  BadLineReport skipped;
  (void)parse_rows(rows, first_line, schema, quiet, source, skipped);
  // Not reached: the parser throws for the same bytes.
  throw ParseError(std::string(source), first_line, 0,
                   "malformed CSV in the type-inference sample (a quote not closed before the end "
                   "of the file, or a row of too many fields)");
}

void check_names(const std::vector<std::string>& wanted, const std::vector<std::string>& names,
                 std::string_view what, std::string_view source) {
  for (const auto& w : wanted)
    if (std::find(names.begin(), names.end(), w) == names.end())
      throw UsageError(
          fmt::format("{}: {} names column '{}', which the file does not have; its "
                      "columns are {}",
                      source, what, w, quoted_names(names)));
}

}  // namespace

CsvHeader read_header(std::string_view head, bool is_whole_file, const CsvOptions& options,
                      std::string_view source) {
  options.validate();
  const std::size_t bom = bom_length(head);
  std::string_view data = head.substr(bom);
  detail::Tokenizer tok(data, options);
  CsvHeader h;
  if (!tok.next_row()) {
    if (!is_whole_file && !head.empty())
      throw ParseError(std::string(source), 0, 0,
                       fmt::format("no header row in the first {} bytes (all blank)", head.size()));
    throw ParseError(std::string(source), 0, 0,
                     head.size() > bom ? "no columns to parse: the file holds only blank lines"
                                       : "no columns to parse: the file is empty");
  }
  std::vector<std::string> fields;
  std::vector<std::size_t> unnamed;
  detail::Field f;
  do {
    if (!tok.next_field(f)) {
      if (!is_whole_file)
        throw ParseError(
            std::string(source), 1, 0,
            fmt::format("the header row does not end in the first {} bytes", head.size()));
      unterminated(head, f.start, source);
    }
    if (!is_valid_utf8(f.text)) {
      auto loc = detail::locate(head.data(), f.start, head.data() + head.size(), 1);
      throw ParseError(std::string(source), loc.line, loc.column,
                       "invalid UTF-8 in the header; hint: convert the file to UTF-8, e.g. "
                       "iconv -f latin1 -t utf-8");
    }
    fields.emplace_back(f.text);
  } while (!f.last);
  const char* row_end = tok.pos();
  const bool ends_with_break =
      row_end > data.data() && (row_end[-1] == '\n' || row_end[-1] == '\r');
  if (row_end == data.data() + data.size() && !ends_with_break && !is_whole_file)
    throw ParseError(std::string(source), 1, 0,
                     fmt::format("the header row does not end in the first {} bytes", head.size()));
  if (options.header) {
    for (std::size_t i = 0; i < fields.size(); ++i)
      if (fields[i].empty()) {
        fields[i] = fmt::format("Unnamed: {}", i);
        unnamed.push_back(i);
      }
    dedup(fields, unnamed);
    h.names = std::move(fields);
    h.data_begin = static_cast<std::int64_t>(bom) + (row_end - data.data());
    h.data_first_line = 1 + detail::count_breaks(head.data(), head.data() + h.data_begin,
                                                 head.data() + head.size());
  } else {
    for (std::size_t i = 0; i < fields.size(); ++i) h.names.push_back(std::to_string(i));
    h.data_begin = static_cast<std::int64_t>(bom);
    h.data_first_line = 1;
  }
  return h;
}

Schema infer_schema(std::string_view sample, bool is_whole_file, const CsvHeader& header,
                    const CsvOptions& options, std::string_view source) {
  options.validate();
  check_names(options.usecols, header.names, "usecols", source);
  std::vector<std::string> typed;
  for (const auto& [name, type] : options.dtypes) typed.push_back(name);
  check_names(typed, header.names, "dtype", source);

  const std::size_t ncols = header.names.size();
  std::vector<Candidates> cand(ncols);
  detail::NaSet na(options.na_values);
  std::string_view data = sample.substr(std::min<std::size_t>(
      static_cast<std::size_t>(std::max<std::int64_t>(header.data_begin, 0)), sample.size()));
  detail::Tokenizer tok(data, options);
  detail::Field f;
  bool rows_seen = false;
  std::vector<std::string> row;
  // Where the sample turns out malformed by the parser's rules (its end, or the end of a bad
  // row); null while it reads well.
  const char* malformed_end = nullptr;
  while (tok.next_row()) {
    row.clear();
    bool complete = true;
    do {
      if (!tok.next_field(f)) {
        complete = false;  // a quote that does not close in the sample
        break;
      }
      row.emplace_back(f.text);
    } while (!f.last);
    if (!complete) {
      // The end of the file: the quote is never closed. Else the sample cut a quoted field,
      // which may close further on.
      if (is_whole_file) malformed_end = tok.end();
      break;
    }
    const char* end = tok.end();
    const bool at_end = tok.pos() == end;
    if (at_end && !is_whole_file && (data.empty() || (end[-1] != '\n' && end[-1] != '\r')))
      break;  // the sample cut this row
    if (row.size() > ncols) {
      if (options.on_bad_lines == BadLines::error) {
        malformed_end = tok.pos();
        break;
      }
      continue;  // parse_rows skips it too
    }
    rows_seen = true;
    for (std::size_t j = 0; j < row.size(); ++j)
      if (!na.contains(row[j])) cand[j].add(row[j]);
  }
  std::vector<Field> fields;
  for (std::size_t j = 0; j < ncols; ++j) {
    auto it = options.dtypes.find(header.names[j]);
    fields.push_back(
        {header.names[j], it != options.dtypes.end() ? it->second : cand[j].type(rows_seen)});
  }
  Schema schema(std::move(fields));
  if (malformed_end)
    report_malformed(data.substr(0, static_cast<std::size_t>(malformed_end - data.data())),
                     header.data_first_line, schema, options, source);
  return schema;
}

Schema selected_schema(const Schema& file_schema, const CsvOptions& options) {
  if (options.usecols.empty()) return file_schema;
  std::vector<Field> out;
  for (const auto& f : file_schema)
    if (std::find(options.usecols.begin(), options.usecols.end(), f.name) != options.usecols.end())
      out.push_back(f);
  return Schema(std::move(out));
}

Schema unify_schemas(std::span<const Schema> parts) {
  if (parts.empty()) return Schema();
  std::vector<Field> out = parts[0].fields();
  for (std::size_t k = 1; k < parts.size(); ++k) {
    const Schema& s = parts[k];
    if (s.size() != out.size())
      throw TypeError(
          fmt::format("partition {} has {} columns, partition 0 has {}", k, s.size(), out.size()));
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (s[i].name != out[i].name)
        throw TypeError(fmt::format("column {} is '{}' in partition 0 and '{}' in partition {}", i,
                                    out[i].name, s[i].name, k));
      if (s[i].type == out[i].type) continue;
      auto pair_is = [&](DType a, DType b) {
        return (s[i].type == a && out[i].type == b) || (s[i].type == b && out[i].type == a);
      };
      if (pair_is(DType::int64, DType::float64)) {
        out[i].type = DType::float64;
        continue;
      }
      throw TypeError(fmt::format("column '{}' is {} in one partition and {} in partition {}",
                                  out[i].name, to_string(out[i].type), to_string(s[i].type), k));
    }
  }
  return Schema(std::move(out));
}

std::vector<std::string> widened_columns(const Schema& declared, const Schema& parsed) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < std::min(declared.size(), parsed.size()); ++i)
    if (declared[i].type == DType::int64 && parsed[i].type == DType::float64)
      out.push_back(declared[i].name);
  return out;
}

}  // namespace pando::csv
