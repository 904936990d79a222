#include <pando/frame/csv/write.hpp>

#include <pando/core/text.hpp>

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstring>

namespace pando::csv {

namespace {

constexpr std::size_t chunk_bytes = 1 << 20;

// Formats into one big buffer, handing full chunks to the sink.
class Out {
 public:
  explicit Out(const CsvSink& sink) : sink_(sink) { buf_.resize(chunk_bytes + 4096); }

  // Room for n more bytes at p().
  char* room(std::size_t n) {
    if (n_ + n > buf_.size()) {
      flush();
      if (n > buf_.size()) buf_.resize(n);
    }
    return buf_.data() + n_;
  }
  void advance(char* end) noexcept { n_ = static_cast<std::size_t>(end - buf_.data()); }
  void put(char c) { *room(1) = c, ++n_; }
  void put(std::string_view s) {
    std::memcpy(room(s.size()), s.data(), s.size());
    n_ += s.size();
  }
  void end_row() {
    put('\n');
    if (n_ >= chunk_bytes) flush();
  }
  void flush() {
    if (n_) sink_({buf_.data(), n_});
    n_ = 0;
  }

 private:
  const CsvSink& sink_;
  std::string buf_;
  std::size_t n_ = 0;
};

void put_field(Out& out, std::string_view s, char delim, char quote) {
  if (!csv_needs_quotes(s, delim, quote)) {
    out.put(s);
    return;
  }
  char* p = out.room(2 * s.size() + 2);
  *p++ = quote;
  for (char c : s) {
    if (c == quote) *p++ = quote;
    *p++ = c;
  }
  *p++ = quote;
  out.advance(p);
}

}  // namespace

void write_csv(const Table& t, bool header, const CsvOptions& o, const CsvSink& sink) {
  o.validate();
  if (o.quote == '\0')
    throw UsageError("writing CSV needs a quote character (CsvOptions::quote is '\\0')");
  const char delim = o.delimiter, quote = o.quote;
  const std::size_t ncols = t.num_columns();
  if (ncols == 0) return;
  Out out(sink);
  const bool single = ncols == 1;
  const std::string empty_field = single ? std::string{quote, quote} : std::string();

  if (header) {
    for (std::size_t c = 0; c < ncols; ++c) {
      if (c) out.put(delim);
      put_field(out, t.schema()[c].name, delim, quote);
    }
    out.end_row();
  }

  std::vector<TimePrecision> prec(ncols, TimePrecision::date);
  for (std::size_t c = 0; c < ncols; ++c) {
    const Column& col = t.column(c);
    if (col.type() != DType::timestamp) continue;
    auto v = col.values<std::int64_t>();
    TimePrecision p = TimePrecision::date;
    for (std::size_t i = 0; i < col.size(); ++i)
      if (col.is_valid(i)) p = std::max(p, timestamp_precision(v[i]));
    prec[c] = p;
  }

  const std::size_t rows = t.rows();
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t c = 0; c < ncols; ++c) {
      if (c) out.put(delim);
      const Column& col = t.column(c);
      if (!col.is_valid(i)) {
        out.put(empty_field);
        continue;
      }
      char* p = out.room(max_formatted_chars);
      switch (col.type()) {
        case DType::boolean:
          out.put(format_bool(col.data().as<std::uint8_t>()[i] != 0));
          continue;
        case DType::int32:
          p = std::to_chars(p, p + max_formatted_chars, col.data().as<std::int32_t>()[i]).ptr;
          break;
        case DType::int64:
          p = std::to_chars(p, p + max_formatted_chars, col.data().as<std::int64_t>()[i]).ptr;
          break;
        case DType::float32: {
          float v = col.data().as<float>()[i];
          if (std::isnan(v)) {
            out.put(empty_field);
            continue;
          }
          p = format_float(v, p);
          break;
        }
        case DType::float64: {
          double v = col.data().as<double>()[i];
          if (std::isnan(v)) {
            out.put(empty_field);
            continue;
          }
          p = format_double(v, p);
          break;
        }
        case DType::timestamp:
          p = format_timestamp(col.data().as<std::int64_t>()[i], prec[c], p);
          break;
        case DType::string: {
          std::string_view s = col.string_at(i);
          if (s.empty())
            out.put(empty_field);
          else
            put_field(out, s, delim, quote);
          continue;
        }
      }
      out.advance(p);
    }
    out.end_row();
  }
  out.flush();
}

std::string to_csv(const Table& table, bool header, const CsvOptions& options) {
  std::string s;
  write_csv(table, header, options, [&](std::string_view chunk) { s.append(chunk); });
  return s;
}

}  // namespace pando::csv
