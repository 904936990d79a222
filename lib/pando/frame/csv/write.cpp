#include <pando/frame/csv/write.hpp>

#include <pando/core/timestamp.hpp>
#include <pando/frame/text.hpp>

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

std::vector<TimePrecision> timestamp_precisions(const Table& t) {
  std::vector<TimePrecision> out(t.num_columns(), TimePrecision::date);
  for (std::size_t c = 0; c < t.num_columns(); ++c) {
    const Column& col = t.column(c);
    if (col.type() != DType::timestamp) continue;
    auto v = col.values<std::int64_t>();
    for (std::size_t i = 0; i < col.size(); ++i)
      if (col.is_valid(i)) out[c] = std::max(out[c], timestamp_precision(v[i]));
  }
  return out;
}

void write_csv(const Table& t, bool header, const CsvOptions& o, const CsvSink& sink,
               std::span<const TimePrecision> at_least) {
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

  // Raw pointers per column, fetched once (docs/architecture.md §8).
  struct Col {
    DType type;
    const std::byte* data;
    const std::uint64_t* valid;  // null: no nulls
    const std::int64_t* offsets;
    const char* chars;
    const std::int32_t* codes;  // dictionary-encoded strings: row -> index into offsets
    TimePrecision prec;
  };
  std::vector<Col> cols;
  const auto precisions = timestamp_precisions(t);
  for (std::size_t c = 0; c < ncols; ++c) {
    const Column& col = t.column(c);
    Col k{col.type(),   col.data().data(), col.null_count() ? col.validity_words().data() : nullptr,
          nullptr,      nullptr,           nullptr,
          precisions[c]};
    if (c < at_least.size()) k.prec = std::max(k.prec, at_least[c]);
    if (col.type() == DType::string) {
      const Column& strings = col.is_dictionary() ? col.dictionary() : col;
      k.offsets = strings.offsets().data();
      k.chars = reinterpret_cast<const char*>(strings.chars().data());
      if (col.is_dictionary()) k.codes = col.codes().data();
    }
    cols.push_back(k);
  }
  auto value = [](const Col& k, std::size_t i, auto zero) {
    decltype(zero) v;
    std::memcpy(&v, k.data + i * sizeof v, sizeof v);
    return v;
  };

  const std::size_t rows = t.rows();
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t c = 0; c < ncols; ++c) {
      if (c) out.put(delim);
      const Col& k = cols[c];
      if (k.valid && !(k.valid[i >> 6] >> (i & 63) & 1)) {
        out.put(empty_field);
        continue;
      }
      char* p = out.room(max_formatted_chars);
      switch (k.type) {
        case DType::boolean:
          out.put(format_bool(value(k, i, std::uint8_t{}) != 0));
          continue;
        case DType::int32:
          p = std::to_chars(p, p + max_formatted_chars, value(k, i, std::int32_t{})).ptr;
          break;
        case DType::int64:
          p = std::to_chars(p, p + max_formatted_chars, value(k, i, std::int64_t{})).ptr;
          break;
        case DType::float32: {
          const float v = value(k, i, float{});
          if (std::isnan(v)) {
            out.put(empty_field);
            continue;
          }
          p = format_float(v, p);
          break;
        }
        case DType::float64: {
          const double v = value(k, i, double{});
          if (std::isnan(v)) {
            out.put(empty_field);
            continue;
          }
          p = format_double(v, p);
          break;
        }
        case DType::timestamp:
          p = format_timestamp(value(k, i, std::int64_t{}), k.prec, p);
          break;
        case DType::string: {
          const std::size_t j = k.codes ? static_cast<std::size_t>(k.codes[i]) : i;
          const std::string_view s(k.chars + k.offsets[j],
                                   static_cast<std::size_t>(k.offsets[j + 1] - k.offsets[j]));
          if (s.empty())
            out.put(empty_field);
          else
            put_field(out, s, delim, quote);
          continue;
        }
        case DType::uint64:  // arrays only (core/dtype.hpp): never a column
          break;
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
