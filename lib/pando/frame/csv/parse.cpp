#include <pando/frame/csv/parse.hpp>

#include <pando/core/log.hpp>
#include <pando/core/text.hpp>
#include <pando/frame/csv/tokenize.hpp>

#include <fast_float/fast_float.h>
#include <fmt/format.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace pando::csv {

void BadLineReport::merge(const BadLineReport& later) {
  count += later.count;
  for (std::size_t i = 0; i < later.lines.size() && lines.size() < max_kept; ++i) {
    lines.push_back(later.lines[i]);
    messages.push_back(later.messages[i]);
  }
}

namespace {

using detail::Field;
using pando::detail::RawVec;
using pando::detail::ValidityBuilder;

enum class Kind : std::uint8_t { skip, boolean, int32, int64, float32, float64, timestamp, string };

Kind kind_of(DType t) noexcept {
  switch (t) {
    case DType::boolean:
      return Kind::boolean;
    case DType::int32:
      return Kind::int32;
    case DType::int64:
      return Kind::int64;
    case DType::float32:
      return Kind::float32;
    case DType::float64:
      return Kind::float64;
    case DType::timestamp:
      return Kind::timestamp;
    case DType::string:
      return Kind::string;
  }
  return Kind::skip;
}

// One output column being built. Only the storage of its kind is used.
struct Sink {
  Kind kind = Kind::skip;
  DType type = DType::string;
  std::string name;
  bool widen_ok = false;
  RawVec<std::uint8_t> u8;
  RawVec<std::int32_t> i32;
  RawVec<std::int64_t> i64;  // int64 and timestamp
  RawVec<float> f32;
  RawVec<double> f64;
  RawVec<std::int64_t> offsets;
  RawVec<char> chars;
  ValidityBuilder valid;
};

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A text as one word of a command line: bare when safe, else in double quotes with
// control characters escaped (the message stays on one line).
std::string shell_word(std::string_view s) {
  const bool bare = !s.empty() && is_valid_utf8(s) && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("./_-+:@%^,=", c) ||
           static_cast<unsigned char>(c) >= 0x80;
  });
  return bare ? std::string(s) : detail::show_text(s);
}

bool integer_syntax(std::string_view s) noexcept {
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Sign and up to 18 digits, nothing else: cannot overflow. Longer numbers take the slow path.
inline bool fast_int(std::string_view t, std::int64_t& out) noexcept {
  const char* p = t.data();
  const char* e = p + t.size();
  if (p == e) return false;
  const bool neg = *p == '-';
  if (neg || *p == '+') ++p;
  if (p == e || e - p > 18) return false;
  std::uint64_t v = 0;
  for (; p < e; ++p) {
    const unsigned d = static_cast<unsigned char>(*p) - static_cast<unsigned>('0');
    if (d > 9) return false;
    v = v * 10 + d;
  }
  out = neg ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
  return true;
}

template <class T>
inline void push(RawVec<T>& v, ValidityBuilder& valid, T x) {
  v.push_back(x);
  valid.append_valid();
}

class Parser {
 public:
  Parser(std::string_view bytes, std::int64_t first_line, const Schema& schema, const CsvOptions& o,
         std::string_view source, BadLineReport& bad)
      : bytes_(bytes),
        first_line_(first_line),
        options_(o),
        source_(source),
        bad_(bad),
        na_(o.na_values),
        tok_(bytes, o),
        sinks_(schema.size()),
        loc_pos_(bytes.data()),
        loc_line_(first_line),
        in_begin_(reinterpret_cast<std::uintptr_t>(bytes.data())),
        in_end_(in_begin_ + bytes.size()),
        delim_(o.delimiter) {
    // The number fast path reads digits, signs, '.', 'e' and letters of inf/nan up to the
    // first other byte: only when the delimiter cannot be one of them, and without escapes.
    const auto d = static_cast<unsigned char>(o.delimiter);
    fast_numbers_ = o.escape == '\0' && !std::isalnum(d) && d != '.' && d != '+' && d != '-';
    for (const auto& u : o.usecols)
      if (!schema.find(u))
        throw UsageError(
            fmt::format("{}: usecols names column '{}', which the file does not have; "
                        "its columns are {}",
                        source, u, quoted_names(schema.names())));
    for (std::size_t j = 0; j < schema.size(); ++j) {
      Sink& s = sinks_[j];
      s.name = schema[j].name;
      s.type = schema[j].type;
      const bool used = o.usecols.empty() ||
                        std::find(o.usecols.begin(), o.usecols.end(), s.name) != o.usecols.end();
      s.kind = used ? kind_of(s.type) : Kind::skip;
      s.widen_ok = o.allow_widening && s.type == DType::int64 && !o.dtypes.count(s.name);
      if (s.kind == Kind::string) s.offsets.push_back(0);
    }
  }

  Table run() {
    const std::size_t ncols = sinks_.size();
    reserve();
    Field f;
    while (tok_.next_row()) {
      std::size_t j = 0;
      bool ok = true;
      for (;;) {
        if (j < ncols && fast_numbers_ && fast_number(sinks_[j], f)) {
          ++j;
          if (f.last) break;
          continue;
        }
        if (!tok_.next_field(f)) unterminated(f.start);
        if (j == ncols) {
          ok = false;
          too_many(f, j);
          break;
        }
        if (!convert(sinks_[j], f)) {
          ok = false;
          conversion_failed(f, j);
          break;
        }
        ++j;
        if (f.last) break;
      }
      if (!ok) continue;
      for (; j < ncols; ++j) append_null(sinks_[j]);
      ++rows_;
    }
    return build();
  }

 private:
  // ---- values ----

  // A plain number read straight from the bytes, without finding the field's end first: the
  // common case of numeric columns. False (nothing consumed) for anything else: quotes, spaces,
  // nulls, 19+ digit integers, NaN texts; the general path then handles the field.
  bool fast_number(Sink& s, Field& f) {
    const char* p = tok_.pos();
    const char* end = tok_.end();
    const char* q;
    if (s.kind == Kind::int64 && !na_.has_int) {
      q = p;
      const bool neg = q < end && *q == '-';
      q += neg;
      const char* digits = q;
      std::uint64_t v = 0;
      while (q < end && q - digits < 19) {
        const unsigned d = static_cast<unsigned char>(*q) - static_cast<unsigned>('0');
        if (d > 9) break;
        v = v * 10 + d;
        ++q;
      }
      if (q == digits || q - digits > 18 || !field_ends_at(q, end)) return false;
      push(s.i64, s.valid, neg ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v));
    } else if (s.kind == Kind::float64 && !na_.has_float) {
      double v;
      auto r = fast_float::from_chars(p, end, v);
      q = r.ptr;
      if (r.ec != std::errc() || q == p || !field_ends_at(q, end) || std::isnan(v)) return false;
      push(s.f64, s.valid, v);
    } else {
      return false;
    }
    f.start = p;
    tok_.end_field_at(f, q);
    return true;
  }

  bool field_ends_at(const char* q, const char* end) const noexcept {
    return q == end || *q == delim_ || *q == '\n' || *q == '\r';
  }

  // Room for the rows these bytes probably hold (from the line length of their first 64 KiB),
  // so that columns grow without copies.
  void reserve() {
    const std::size_t sample = std::min<std::size_t>(bytes_.size(), 1 << 16);
    if (sample == 0) return;
    std::size_t lines = 1;
    for (std::size_t i = 0; i < sample; ++i) lines += bytes_[i] == '\n';
    const std::size_t rows =
        bytes_.size() / std::max<std::size_t>(sample / lines, 1) * 11 / 10 + 16;
    for (Sink& s : sinks_) {
      switch (s.kind) {
        case Kind::skip:
          break;
        case Kind::boolean:
          s.u8.reserve(rows);
          break;
        case Kind::int32:
          s.i32.reserve(rows);
          break;
        case Kind::int64:
        case Kind::timestamp:
          s.i64.reserve(rows);
          break;
        case Kind::float32:
          s.f32.reserve(rows);
          break;
        case Kind::float64:
          s.f64.reserve(rows);
          break;
        case Kind::string:
          s.offsets.reserve(rows + 1);
          break;
      }
    }
  }

  // Appends a string field's bytes after checking they are UTF-8. Short fields inside the input
  // are copied as one 16-byte block (the column has the room) and checked with one compare.
  bool append_string(Sink& s, std::string_view t) {
    const std::size_t n = t.size();
    const auto at = reinterpret_cast<std::uintptr_t>(t.data());
    if (n <= 16 && at >= in_begin_ && at + 16 <= in_end_) {
      char* dst = s.chars.extend(16);
#if defined(__SSE2__)
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t.data()));
      const unsigned high = static_cast<unsigned>(_mm_movemask_epi8(v)) & ((1u << n) - 1);
      if (high && valid_utf8_prefix(t) != n) return false;
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), v);
#else
      if (valid_utf8_prefix(t) != n) return false;
      std::memcpy(dst, t.data(), 16);
#endif
      s.chars.commit(n);
    } else {
      if (valid_utf8_prefix(t) != n) return false;
      s.chars.append(t.data(), n);
    }
    s.offsets.push_back(static_cast<std::int64_t>(s.chars.size()));
    s.valid.append_valid();
    return true;
  }

  bool convert(Sink& s, const Field& f) {
    const std::string_view t = f.text;
    switch (s.kind) {
      case Kind::skip:
        return true;
      case Kind::int64: {
        std::int64_t v;
        if (!na_.has_int && fast_int(t, v)) {
          push(s.i64, s.valid, v);
          return true;
        }
        return slow_int64(s, t);
      }
      case Kind::float64: {
        if (!na_.has_float && !t.empty()) {
          double v;
          auto r = fast_float::from_chars(t.data(), t.data() + t.size(), v);
          if (r.ec == std::errc() && r.ptr == t.data() + t.size() && !std::isnan(v)) {
            push(s.f64, s.valid, v);
            return true;
          }
        }
        return slow_float(s, t);
      }
      case Kind::string: {
        if (na_.contains(t)) {
          s.offsets.push_back(static_cast<std::int64_t>(s.chars.size()));
          s.valid.append_null();
          return true;
        }
        return append_string(s, t);
      }
      case Kind::timestamp: {
        if (!na_.has_timestamp)
          if (auto v = parse_timestamp(t)) {
            push(s.i64, s.valid, *v);
            return true;
          }
        if (na_.contains(t)) return append_null(s), true;
        if (auto v = parse_timestamp(trim(t))) {
          push(s.i64, s.valid, *v);
          return true;
        }
        return false;
      }
      case Kind::boolean: {
        if (!na_.has_bool)
          if (auto v = parse_bool(t)) {
            push(s.u8, s.valid, static_cast<std::uint8_t>(*v));
            return true;
          }
        if (na_.contains(t)) return append_null(s), true;
        if (auto v = parse_bool(t)) {
          push(s.u8, s.valid, static_cast<std::uint8_t>(*v));
          return true;
        }
        return false;
      }
      case Kind::int32: {
        if (na_.contains(t)) return append_null(s), true;
        auto v = parse_int64(trim(t));
        if (!v || *v < std::numeric_limits<std::int32_t>::min() ||
            *v > std::numeric_limits<std::int32_t>::max())
          return false;
        push(s.i32, s.valid, static_cast<std::int32_t>(*v));
        return true;
      }
      case Kind::float32: {
        if (na_.contains(t)) return append_null(s), true;
        std::string_view tt = trim(t);
        if (!tt.empty() && tt.front() == '+' && tt.size() > 1 && tt[1] != '-' && tt[1] != '+')
          tt.remove_prefix(1);
        float v;
        auto r = fast_float::from_chars(tt.data(), tt.data() + tt.size(), v);
        if (tt.empty() || r.ec != std::errc() || r.ptr != tt.data() + tt.size()) return false;
        push(s.f32, s.valid, v);
        return true;
      }
    }
    return false;
  }

  bool slow_int64(Sink& s, std::string_view t) {
    if (na_.contains(t)) return append_null(s), true;
    const std::string_view tt = trim(t);
    if (auto v = parse_int64(tt)) {
      push(s.i64, s.valid, *v);
      return true;
    }
    if (s.widen_ok && !integer_syntax(tt))
      if (auto d = parse_double(tt)) {
        widen(s);
        push(s.f64, s.valid, *d);
        return true;
      }
    return false;
  }

  bool slow_float(Sink& s, std::string_view t) {
    if (na_.contains(t)) return append_null(s), true;
    if (auto d = parse_double(trim(t))) {
      push(s.f64, s.valid, *d);
      return true;
    }
    return false;
  }

  // An inferred int64 column met a float: it becomes float64 (see infer.hpp).
  static void widen(Sink& s) {
    const std::size_t n = s.i64.size();
    s.f64.resize(n);
    for (std::size_t i = 0; i < n; ++i) s.f64[i] = static_cast<double>(s.i64[i]);
    s.i64 = RawVec<std::int64_t>();
    s.kind = Kind::float64;
    s.type = DType::float64;
  }

  static void append_null(Sink& s) {
    switch (s.kind) {
      case Kind::skip:
        return;
      case Kind::boolean:
        s.u8.push_back(0);
        break;
      case Kind::int32:
        s.i32.push_back(0);
        break;
      case Kind::int64:
      case Kind::timestamp:
        s.i64.push_back(0);
        break;
      case Kind::float32:
        s.f32.push_back(0);
        break;
      case Kind::float64:
        s.f64.push_back(0);
        break;
      case Kind::string:
        s.offsets.push_back(static_cast<std::int64_t>(s.chars.size()));
        break;
    }
    s.valid.append_null();
  }

  // Drops everything appended after the first `n` rows (a bad row being skipped).
  void truncate_all(std::size_t n) {
    for (Sink& s : sinks_) {
      switch (s.kind) {
        case Kind::skip:
          continue;
        case Kind::boolean:
          s.u8.resize(std::min(n, s.u8.size()));
          break;
        case Kind::int32:
          s.i32.resize(std::min(n, s.i32.size()));
          break;
        case Kind::int64:
        case Kind::timestamp:
          s.i64.resize(std::min(n, s.i64.size()));
          break;
        case Kind::float32:
          s.f32.resize(std::min(n, s.f32.size()));
          break;
        case Kind::float64:
          s.f64.resize(std::min(n, s.f64.size()));
          break;
        case Kind::string:
          if (s.offsets.size() > n + 1) {
            s.offsets.resize(n + 1);
            s.chars.resize(static_cast<std::size_t>(s.offsets[n]));
          }
          break;
      }
      s.valid.truncate(n);
    }
  }

  Table build() {
    std::vector<pando::Field> fields;
    std::vector<Column> cols;
    const std::size_t n = rows_;
    for (Sink& s : sinks_) {
      if (s.kind == Kind::skip) continue;
      Buffer bits = s.valid.finish();
      Column c;
      switch (s.kind) {
        case Kind::boolean:
          c = Column::from_buffers(s.type, n, bits, s.u8.release(n));
          break;
        case Kind::int32:
          c = Column::from_buffers(s.type, n, bits, s.i32.release(n));
          break;
        case Kind::int64:
        case Kind::timestamp:
          c = Column::from_buffers(s.type, n, bits, s.i64.release(n));
          break;
        case Kind::float32:
          c = Column::from_buffers(s.type, n, bits, s.f32.release(n));
          break;
        case Kind::float64:
          c = Column::from_buffers(s.type, n, bits, s.f64.release(n));
          break;
        case Kind::string:
          c = Column::from_buffers(s.type, n, bits, s.offsets.release(n + 1), s.chars.release());
          break;
        case Kind::skip:
          break;
      }
      fields.push_back({s.name, s.type});
      cols.push_back(std::move(c));
    }
    if (fields.empty()) {
      // Only possible with no columns at all; keep the shape simple.
      return Table();
    }
    return Table(Schema(std::move(fields)), std::move(cols));
  }

  // ---- errors ----

  detail::Location where(const char* at) {
    if (at < loc_pos_) {
      loc_pos_ = bytes_.data();
      loc_line_ = first_line_;
    }
    const char* end = bytes_.data() + bytes_.size();
    loc_line_ += detail::count_breaks(loc_pos_, at, end);
    loc_pos_ = at;
    detail::Location loc{loc_line_, 1};
    const char* line_start = at;
    while (line_start > bytes_.data() && line_start[-1] != '\n' && line_start[-1] != '\r')
      --line_start;
    loc.column = 1 + static_cast<std::int64_t>(
                         utf8_length({line_start, static_cast<std::size_t>(at - line_start)}));
    return loc;
  }

  [[noreturn]] void fail(const char* at, const std::string& what) {
    auto loc = where(at);
    throw ParseError(std::string(source_), loc.line, loc.column, what);
  }

  [[noreturn]] void unterminated(const char* at) {
    fail(at,
         "unterminated quoted field: the quote opened here is not closed before the end of "
         "the file");
  }

  // A row of more fields than the header: error, or skip it (rolling back what it appended).
  void bad_row(const char* extra_field, std::size_t found) {
    const std::string what =
        fmt::format("too many fields (expected {}, found {})", sinks_.size(), found);
    if (options_.on_bad_lines == BadLines::error)
      fail(extra_field, what + "; hint: --on-bad-lines skip or --on-bad-lines warn");
    truncate_all(rows_);
    auto loc = where(extra_field);
    ++bad_.count;
    if (bad_.lines.size() < BadLineReport::max_kept) {
      std::string msg =
          fmt::format("{}:{}:{}: {}; row skipped", source_, loc.line, loc.column, what);
      if (options_.on_bad_lines == BadLines::warn) log_warn("{}", msg);
      bad_.lines.push_back(loc.line);
      bad_.messages.push_back(std::move(msg));
    }
  }

  // Field j is one more than the header has: count the rest of the row, then report it.
  void too_many(Field& f, std::size_t j) {
    const char* extra = f.start;
    std::size_t found = j + 1;
    while (!f.last) {
      if (!tok_.next_field(f)) unterminated(f.start);
      ++found;
    }
    bad_row(extra, found);
  }

  // A value did not fit: if the row has too many fields that is the real problem (a shifted
  // row), else report the value.
  void conversion_failed(Field& f, std::size_t j) {
    const std::string text(f.text);
    const char* at = f.start;
    const Sink& s = sinks_[j];
    const char* extra = nullptr;
    std::size_t found = j + 1;
    while (!f.last) {
      if (!tok_.next_field(f)) unterminated(f.start);
      if (++found == sinks_.size() + 1) extra = f.start;
    }
    if (extra) {
      bad_row(extra, found);
      return;
    }
    value_error(s, text, at);
  }

  [[noreturn]] void value_error(const Sink& s, const std::string& text, const char* at) {
    const std::string_view tt = trim(text);
    const std::string type(to_string(s.type));
    if (s.kind == Kind::string) {
      const std::size_t bad = valid_utf8_prefix(text);
      fail(at, fmt::format("invalid UTF-8 (byte 0x{:02x}) in column '{}'; hint: convert the file "
                           "to UTF-8, e.g. iconv -f latin1 -t utf-8",
                           static_cast<unsigned char>(text[bad]), s.name));
    }
    if ((s.kind == Kind::int64 || s.kind == Kind::int32) && integer_syntax(tt))
      fail(at, fmt::format("integer {} does not fit in {} (column '{}'); hint: --dtype {}={} or "
                           "--dtype {}=string",
                           detail::show_text(text), type, s.name, s.name,
                           s.kind == Kind::int32 ? "int64" : "float64", s.name));
    const bool is_number = parse_double(tt).has_value();
    std::string hint;
    if (is_number && (s.kind == Kind::int64 || s.kind == Kind::int32))
      hint = fmt::format("--dtype {}=float64", s.name);
    else if (text.size() > 40)  // not a null marker anyone would list
      hint = fmt::format("--dtype {}=string", s.name);
    else
      hint = fmt::format("--na-values {} or --dtype {}=string", shell_word(text), s.name);
    fail(at, fmt::format("cannot read {} as {} (column '{}'); hint: {}", detail::show_text(text),
                         type, s.name, hint));
  }

  std::string_view bytes_;
  std::int64_t first_line_;
  const CsvOptions& options_;
  std::string_view source_;
  BadLineReport& bad_;
  detail::NaSet na_;
  detail::Tokenizer tok_;
  std::vector<Sink> sinks_;
  std::size_t rows_ = 0;
  const char* loc_pos_;
  std::int64_t loc_line_;
  std::uintptr_t in_begin_, in_end_;
  char delim_;
  bool fast_numbers_ = false;
};

}  // namespace

Table parse_rows(std::string_view bytes, std::int64_t first_line, const Schema& schema,
                 const CsvOptions& options, std::string_view source, BadLineReport& bad_lines) {
  options.validate();
  Parser p(bytes, first_line, schema, options, source, bad_lines);
  return p.run();
}

}  // namespace pando::csv
