#include <pando/frame/csv/parse.hpp>

#include <pando/core/log.hpp>
#include <pando/core/timestamp.hpp>
#include <pando/frame/csv/detail/tokenize.hpp>
#include <pando/frame/detail/dictionary.hpp>
#include <pando/frame/text.hpp>

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
    case DType::uint64:  // arrays only (core/dtype.hpp)
      break;
  }
  return Kind::skip;
}

// Null rows of one column: a bit per row, set only for nulls, so that a valid value costs
// nothing; allocated at the first null. The validity bitmap is its complement (build()).
class NullBits {
 public:
  void set(std::size_t row, std::size_t cap_rows) {
    if (words_.size() == 0) resize(cap_rows);
    words_[row >> 6] |= std::uint64_t{1} << (row & 63);
  }
  void clear(std::size_t row) noexcept {
    if (words_.size()) words_[row >> 6] &= ~(std::uint64_t{1} << (row & 63));
  }
  // Room for rows [0, cap_rows) (only once there is a null).
  void grow(std::size_t cap_rows) {
    if (words_.size()) resize(cap_rows);
  }
  // Arrow's validity for rows [0, n): empty when none is null.
  Buffer validity(std::size_t n) {
    const std::size_t words = (n + 63) / 64;
    std::uint64_t any = 0;
    for (std::size_t w = 0; w < std::min(words, words_.size()); ++w) any |= words_[w];
    if (!any) return {};
    resize(n);
    for (std::size_t w = 0; w < words; ++w) words_[w] = ~words_[w];
    if (n & 63) words_[words - 1] &= (std::uint64_t{1} << (n & 63)) - 1;  // zero tail bits
    return words_.release(words);
  }

 private:
  void resize(std::size_t cap_rows) {
    const std::size_t old = words_.size(), words = (cap_rows + 63) / 64 + 1;
    if (words <= old) return;
    words_.resize(words);
    std::memset(words_.data() + old, 0, (words - old) * sizeof(std::uint64_t));
  }
  RawVec<std::uint64_t> words_;
};

// One output column being built. Only the storage of its kind is used. Values are stored at the
// row's index (Parser::rows_), within the capacity that Parser::ensure_rows keeps for all columns;
// sizes are set once at the end.
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
  RawVec<std::int64_t> offsets;  // offsets[row + 1] is written with the row's string
  RawVec<char> chars;            // a true size: strings are appended
  // Strings while dictionary encoding pays (Parser::review_dictionaries): codes[row] into dict,
  // -1 for a null row; offsets and chars stay unused.
  bool encoded = false;
  RawVec<std::int32_t> codes;
  pando::detail::DictionaryBuilder dict;
  NullBits nulls;
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
        end_(bytes.data() + bytes.size()),
        delim_(o.delimiter),
        quote_(o.quote) {
    // The fast paths read digits, signs, '.', 'e', letters of inf/nan/True/False up to the
    // first other byte: only when the delimiter and the quote cannot be one of them, and
    // without escapes. Timestamps also hold ' ' and ':'.
    const auto d = static_cast<unsigned char>(o.delimiter);
    const auto q = static_cast<unsigned char>(o.quote);
    auto number_char = [](unsigned char c) {
      return std::isalnum(c) || c == '.' || c == '+' || c == '-';
    };
    fast_ = o.escape == '\0' && !number_char(d) && !number_char(q);
    fast_timestamps_ = fast_ && d != ' ' && d != ':' && q != ' ' && q != ':';
    empty_null_ = na_.empty_is_null();
#if defined(__SSE2__)
    kd_ = _mm_set1_epi8(delim_);
    kn_ = _mm_set1_epi8('\n');
    kr_ = _mm_set1_epi8('\r');
#endif
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
      s.encoded = s.kind == Kind::string && o.dictionary_strings;
      s.widen_ok = o.allow_widening && s.type == DType::int64 && !o.dtypes.count(s.name);
    }
  }

  Table run() {
    const std::size_t ncols = sinks_.size();
    reserve();
    Field f;
    while (tok_.next_row()) {
      if (rows_ == cap_rows_) grow_rows(cap_rows_ + cap_rows_ / 2 + 1024);
      if (rows_ == rows_sampled_for_strings) reserve_strings();
      if (rows_ % rows_per_review == 0) review_dictionaries();
      std::size_t j = 0;
      bool ok = true;
      for (;;) {
        if (j < ncols && fast_) {
          const char* p = tok_.pos();
          if (const char* q = fast_field(sinks_[j], p)) {
            f.start = p;
            tok_.end_field_at(f, q);
            ++j;
            if (f.last) break;
            continue;
          }
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
  // ---- storage ----

  template <class T>
  void store(RawVec<T>& v, T x) noexcept {
    v.data()[rows_] = x;
  }

  // Room for `cap` rows in every column.
  void grow_rows(std::size_t cap) {
    for (Sink& s : sinks_) {
      switch (s.kind) {
        case Kind::skip:
          continue;
        case Kind::boolean:
          s.u8.reserve(cap);
          break;
        case Kind::int32:
          s.i32.reserve(cap);
          break;
        case Kind::int64:
        case Kind::timestamp:
          s.i64.reserve(cap);
          break;
        case Kind::float32:
          s.f32.reserve(cap);
          break;
        case Kind::float64:
          s.f64.reserve(cap);
          break;
        case Kind::string:
          if (s.encoded) {
            s.codes.reserve(cap);
          } else {
            s.offsets.reserve(cap + 1);
            s.offsets[0] = 0;
          }
          break;
      }
      s.nulls.grow(cap);
    }
    cap_rows_ = cap;
  }

  // Room for the rows these bytes probably hold (from the line length of their first 64 KiB),
  // so that columns grow without copies.
  void reserve() {
    const std::size_t sample = std::min<std::size_t>(bytes_.size(), 1 << 16);
    std::size_t rows = 16;
    if (sample) {
      std::size_t lines = 1;
      for (std::size_t i = 0; i < sample; ++i) lines += bytes_[i] == '\n';
      rows = bytes_.size() / std::max<std::size_t>(sample / lines, 1) * 11 / 10 + 16;
    }
    grow_rows(rows);
  }

  // Room in the string columns for what their first rows extrapolate to over the capacity in
  // rows: growing from nothing would copy the bytes several times over (glibc serves blocks
  // below its 32 MiB mmap threshold from the heap, where realloc copies).
  static constexpr std::size_t rows_sampled_for_strings = 2048;
  void reserve_strings() {
    for (Sink& s : sinks_)
      if (s.kind == Kind::string && !s.encoded)
        s.chars.reserve(s.chars.size() * cap_rows_ / rows_ * 11 / 10 + 64);
  }

  // A string column stays dictionary-encoded while that pays (detail::encoding_pays; and an
  // expression over the column runs once per distinct value); past that it turns plain for
  // good. Small dictionaries are kept whatever the ratio, so that the first rows do not decide
  // alone.
  static constexpr std::size_t rows_per_review = 4096;
  static constexpr std::size_t small_dictionary = 4096;
  static bool pays(std::size_t distinct, std::size_t rows) noexcept {
    return distinct <= small_dictionary || pando::detail::encoding_pays(distinct, rows);
  }
  void review_dictionaries() {
    for (Sink& s : sinks_)
      if (s.encoded && !pays(s.dict.size(), rows_)) to_plain(s);
  }
  // Rewrites the rows so far as plain strings; the column stays plain.
  void to_plain(Sink& s) {
    std::size_t bytes = 0;
    for (std::size_t r = 0; r < rows_; ++r)
      if (s.codes[r] >= 0) bytes += s.dict.value(s.codes[r]).size();
    s.offsets.reserve(cap_rows_ + 1);
    s.chars.reserve(bytes * cap_rows_ / std::max<std::size_t>(rows_, 1) * 11 / 10 + 64);
    s.offsets[0] = 0;
    for (std::size_t r = 0; r < rows_; ++r) {
      if (s.codes[r] >= 0) {
        const std::string_view v = s.dict.value(s.codes[r]);
        s.chars.append(v.data(), v.size());
      }
      s.offsets[r + 1] = static_cast<std::int64_t>(s.chars.size());
    }
    s.encoded = false;
    s.codes = RawVec<std::int32_t>();
    s.dict = pando::detail::DictionaryBuilder();
  }

  // ---- fast paths ----

  [[nodiscard]] bool field_ends_at(const char* q) const noexcept {
    return q == end_ || *q == delim_ || *q == '\n' || *q == '\r';
  }

  // One field read straight from the bytes at p, in its common forms, without finding its end
  // first: returns where it ends (a delimiter, a line break or the end) after storing its value,
  // or nullptr, having stored nothing, for anything else (quotes, spaces, null texts that look
  // like values, 19+ digit integers, NaN texts, ...): the general path then reads the field.
  const char* fast_field(Sink& s, const char* p) {
    if (p == end_ || *p == delim_ || *p == '\n' || *p == '\r') {  // empty
      if (!empty_null_) return nullptr;
      append_null(s);
      return p;
    }
    switch (s.kind) {
      case Kind::int64:
        return na_.has_int ? nullptr : fast_int64(s, p);
      case Kind::float64:
        return na_.has_float ? nullptr : fast_float64(s, p);
      case Kind::timestamp:
        return na_.has_timestamp || !fast_timestamps_ ? nullptr : fast_timestamp(s, p);
      case Kind::boolean:
        return na_.has_bool ? nullptr : fast_bool(s, p);
      case Kind::string:
        return *p == quote_ ? nullptr : fast_string(s, p);
      case Kind::skip:
        return *p == quote_ ? nullptr : tok_.find_special(p);
      case Kind::int32:
      case Kind::float32:
        break;
    }
    return nullptr;
  }

  // Optional '-' and up to 18 digits: cannot overflow.
  const char* fast_int64(Sink& s, const char* p) {
    const char* q = p;
    const bool neg = *q == '-';
    q += neg;
    const char* digits = q;
    std::uint64_t v = 0;
    while (q < end_ && q - digits < 19) {
      const unsigned d = static_cast<unsigned char>(*q) - static_cast<unsigned>('0');
      if (d > 9) break;
      v = v * 10 + d;
      ++q;
    }
    if (q == digits || q - digits > 18 || !field_ends_at(q)) return nullptr;
    store(s.i64, neg ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v));
    return q;
  }

  // Plain decimals ("-12.34") of up to 19 digits whose digits fit a double exactly (< 2^53):
  // one correctly rounded division by an exact power of ten gives what fast_float gives
  // (Clinger's fast path). Other forms go to fast_float.
  const char* fast_float64(Sink& s, const char* p) {
    static constexpr double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char* q = p;
    const bool neg = *q == '-';
    q += neg;
    const char* first = q;
    std::uint64_t w = 0;
    for (; q < end_ && q - first < 19; ++q) {
      const unsigned d = static_cast<unsigned char>(*q) - static_cast<unsigned>('0');
      if (d > 9) break;
      w = w * 10 + d;
    }
    const char* int_end = q;
    std::size_t frac = 0;
    if (q > first && q < end_ && *q == '.') {
      const char* f = ++q;
      for (; q < end_ && (q - f) + (int_end - first) < 19; ++q) {
        const unsigned d = static_cast<unsigned char>(*q) - static_cast<unsigned>('0');
        if (d > 9) break;
        w = w * 10 + d;
      }
      frac = static_cast<std::size_t>(q - f);
    }
    if (int_end > first && w <= (std::uint64_t{1} << 53) && field_ends_at(q)) {
      const double v = static_cast<double>(w) / pow10[frac];
      store(s.f64, neg ? -v : v);
      return q;
    }
    double v;
    auto r = fast_float::from_chars(p, end_, v);
    q = r.ptr;
    if (r.ec != std::errc() || q == p || !field_ends_at(q) || std::isnan(v)) return nullptr;
    store(s.f64, v);
    return q;
  }

  const char* fast_timestamp(Sink& s, const char* p) {
    std::int64_t v;
    if (end_ - p < 19 || !field_ends_at(p + 19) || !parse_timestamp_fixed(p, dates_, v))
      return nullptr;
    store(s.i64, v);
    return p + 19;
  }

  // True / TRUE / true / False / FALSE / false, exactly.
  const char* fast_bool(Sink& s, const char* p) {
    const std::ptrdiff_t n = end_ - p;
    if (n >= 4 && (std::memcmp(p, "True", 4) == 0 || std::memcmp(p, "TRUE", 4) == 0 ||
                   std::memcmp(p, "true", 4) == 0)) {
      if (!field_ends_at(p + 4)) return nullptr;
      store(s.u8, std::uint8_t{1});
      return p + 4;
    }
    if (n >= 5 && (std::memcmp(p, "False", 5) == 0 || std::memcmp(p, "FALSE", 5) == 0 ||
                   std::memcmp(p, "false", 5) == 0)) {
      if (!field_ends_at(p + 5)) return nullptr;
      store(s.u8, std::uint8_t{0});
      return p + 5;
    }
    return nullptr;
  }

#if defined(__SSE2__)
  // All ones in the first n bytes (n <= 16), zeros after.
  static __m128i first_bytes_mask(std::size_t n) noexcept {
    alignas(16) static constexpr unsigned char ones_then_zeros[32] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(ones_then_zeros + 16 - n));
  }
#endif

  // An unquoted string: fields of up to 15 bytes are found, checked and copied (or looked up in
  // the column's dictionary) with one 16-byte load (the column has the room for the whole
  // block).
  const char* fast_string(Sink& s, const char* p) {
#if defined(__SSE2__)
    if (end_ - p >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      const __m128i special = _mm_or_si128(
          _mm_cmpeq_epi8(v, kd_), _mm_or_si128(_mm_cmpeq_epi8(v, kn_), _mm_cmpeq_epi8(v, kr_)));
      const auto bits = static_cast<unsigned>(_mm_movemask_epi8(special));
      if (bits) {
        const auto n = static_cast<std::size_t>(__builtin_ctz(bits));
        if (na_.contains({p, n})) {
          append_null(s);
          return p + n;
        }
        const unsigned high = static_cast<unsigned>(_mm_movemask_epi8(v)) & ((1u << n) - 1);
        if (high && valid_utf8_prefix({p, n}) != n) return nullptr;
        if (s.encoded) {
          const __m128i bytes = _mm_and_si128(v, first_bytes_mask(n));
          s.codes[rows_] = s.dict.intern_short(
              static_cast<std::uint64_t>(_mm_cvtsi128_si64(bytes)),
              static_cast<std::uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(bytes, bytes))),
              {p, n});
          return p + n;
        }
        char* dst = s.chars.extend(16);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), v);
        s.chars.commit(n);
        s.offsets[rows_ + 1] = static_cast<std::int64_t>(s.chars.size());
        return p + n;
      }
    }
#endif
    const char* q = tok_.find_special(p);
    const auto n = static_cast<std::size_t>(q - p);
    if (na_.contains({p, n})) {
      append_null(s);
      return q;
    }
    if (valid_utf8_prefix({p, n}) != n) return nullptr;
    if (s.encoded) {
      s.codes[rows_] = s.dict.intern({p, n});
      return q;
    }
    s.chars.append(p, n);
    s.offsets[rows_ + 1] = static_cast<std::int64_t>(s.chars.size());
    return q;
  }

  // ---- values ----

  // Appends a string field's bytes after checking they are UTF-8. Short fields inside the input
  // are copied as one 16-byte block (the column has the room) and checked with one compare.
  bool append_string(Sink& s, std::string_view t) {
    const std::size_t n = t.size();
    if (s.encoded) {
      if (valid_utf8_prefix(t) != n) return false;
      s.codes[rows_] = s.dict.intern(t);
      return true;
    }
    const auto at = reinterpret_cast<std::uintptr_t>(t.data());
    if (n <= 16 && at >= reinterpret_cast<std::uintptr_t>(bytes_.data()) &&
        at + 16 <= reinterpret_cast<std::uintptr_t>(end_)) {
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
    s.offsets[rows_ + 1] = static_cast<std::int64_t>(s.chars.size());
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
          store(s.i64, v);
          return true;
        }
        return slow_int64(s, t);
      }
      case Kind::float64: {
        if (!na_.has_float && !t.empty()) {
          double v;
          auto r = fast_float::from_chars(t.data(), t.data() + t.size(), v);
          if (r.ec == std::errc() && r.ptr == t.data() + t.size() && !std::isnan(v)) {
            store(s.f64, v);
            return true;
          }
        }
        return slow_float(s, t);
      }
      case Kind::string: {
        if (na_.contains(t)) return append_null(s), true;
        return append_string(s, t);
      }
      case Kind::timestamp: {
        if (!na_.has_timestamp)
          if (auto v = parse_timestamp(t)) {
            store(s.i64, *v);
            return true;
          }
        if (na_.contains(t)) return append_null(s), true;
        if (auto v = parse_timestamp(trim(t))) {
          store(s.i64, *v);
          return true;
        }
        return false;
      }
      case Kind::boolean: {
        if (!na_.has_bool)
          if (auto v = parse_bool(t)) {
            store(s.u8, static_cast<std::uint8_t>(*v));
            return true;
          }
        if (na_.contains(t)) return append_null(s), true;
        if (auto v = parse_bool(t)) {
          store(s.u8, static_cast<std::uint8_t>(*v));
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
        store(s.i32, static_cast<std::int32_t>(*v));
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
        store(s.f32, v);
        return true;
      }
    }
    return false;
  }

  bool slow_int64(Sink& s, std::string_view t) {
    if (na_.contains(t)) return append_null(s), true;
    const std::string_view tt = trim(t);
    if (auto v = parse_int64(tt)) {
      store(s.i64, *v);
      return true;
    }
    if (s.widen_ok && !integer_syntax(tt))
      if (auto d = parse_double(tt)) {
        widen(s);
        store(s.f64, *d);
        return true;
      }
    return false;
  }

  bool slow_float(Sink& s, std::string_view t) {
    if (na_.contains(t)) return append_null(s), true;
    if (auto d = parse_double(trim(t))) {
      store(s.f64, *d);
      return true;
    }
    return false;
  }

  // An inferred int64 column met a float: it becomes float64 (see infer.hpp).
  void widen(Sink& s) {
    s.f64.reserve(cap_rows_);
    for (std::size_t i = 0; i < rows_; ++i) s.f64[i] = static_cast<double>(s.i64[i]);
    s.i64 = RawVec<std::int64_t>();
    s.kind = Kind::float64;
    s.type = DType::float64;
  }

  // A null in the current row: 0 in its value slot (column.hpp), its bit in the null mask.
  void append_null(Sink& s) {
    switch (s.kind) {
      case Kind::skip:
        return;
      case Kind::boolean:
        store(s.u8, std::uint8_t{0});
        break;
      case Kind::int32:
        store(s.i32, 0);
        break;
      case Kind::int64:
      case Kind::timestamp:
        store(s.i64, std::int64_t{0});
        break;
      case Kind::float32:
        store(s.f32, 0.0f);
        break;
      case Kind::float64:
        store(s.f64, 0.0);
        break;
      case Kind::string:
        if (s.encoded)
          s.codes[rows_] = -1;
        else
          s.offsets[rows_ + 1] = static_cast<std::int64_t>(s.chars.size());
        break;
    }
    s.nulls.set(rows_, cap_rows_);
  }

  // Drops what a bad row (being skipped) stored: its values are overwritten by the next row,
  // but not its string bytes or null bits.
  void drop_row() {
    dropped_rows_ = true;
    for (Sink& s : sinks_) {
      if (s.kind == Kind::skip) continue;
      if (s.kind == Kind::string && !s.encoded)
        s.chars.resize(static_cast<std::size_t>(s.offsets[rows_]));
      s.nulls.clear(rows_);
    }
  }

  Table build() {
    std::vector<pando::Field> fields;
    std::vector<Column> cols;
    const std::size_t n = rows_;
    for (Sink& s : sinks_) {
      if (s.kind == Kind::skip) continue;
      Buffer bits = s.nulls.validity(n);
      Column c;
      switch (s.kind) {
        case Kind::boolean:
          s.u8.resize(n);
          c = Column::from_buffers(s.type, n, bits, s.u8.release(n));
          break;
        case Kind::int32:
          s.i32.resize(n);
          c = Column::from_buffers(s.type, n, bits, s.i32.release(n));
          break;
        case Kind::int64:
        case Kind::timestamp:
          s.i64.resize(n);
          c = Column::from_buffers(s.type, n, bits, s.i64.release(n));
          break;
        case Kind::float32:
          s.f32.resize(n);
          c = Column::from_buffers(s.type, n, bits, s.f32.release(n));
          break;
        case Kind::float64:
          s.f64.resize(n);
          c = Column::from_buffers(s.type, n, bits, s.f64.release(n));
          break;
        case Kind::string:
          c = s.encoded ? encoded_strings(s, n, bits, dropped_rows_) : plain_strings(s, n, bits);
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

  static Column plain_strings(Sink& s, std::size_t n, const Buffer& bits) {
    s.offsets.resize(n + 1);
    s.offsets[0] = 0;
    return Column::from_buffers(DType::string, n, bits, s.offsets.release(n + 1),
                                s.chars.release());
  }
  // (Plain after all when the partition was too short to tell.) The dictionary holds only values
  // some row has: those of skipped bad rows are dropped.
  static Column encoded_strings(Sink& s, std::size_t n, const Buffer& bits, bool rows_dropped) {
    s.codes.resize(n);
    if (rows_dropped) {
      pando::detail::DictionaryBuilder kept;
      std::vector<std::int32_t> remap(s.dict.size(), -1);
      for (std::size_t r = 0; r < n; ++r) {
        std::int32_t& c = s.codes[r];
        if (c < 0) continue;
        auto& k = remap[static_cast<std::size_t>(c)];
        if (k < 0) k = kept.intern(s.dict.value(c));
        c = k;
      }
      s.dict = std::move(kept);
    }
    const bool keep = pando::detail::encoding_pays(s.dict.size(), n);
    for (std::size_t r = 0; r < n; ++r) s.codes[r] = std::max(s.codes[r], std::int32_t{0});
    Column c = Column::from_dictionary(s.dict.finish(), n, bits, s.codes.release(n));
    return keep ? c : c.decoded();
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
    drop_row();
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
    std::string why;  // why the column has a type this value does not fit, or why it does not
    if (is_number && (s.kind == Kind::int64 || s.kind == Kind::int32)) {
      hint = fmt::format("--dtype {}=float64", s.name);
      if (!options_.dtypes.count(s.name))
        why = fmt::format(", inferred from the first {} bytes", options_.sample_bytes);
    } else if (text.size() > 40)  // not a null marker anyone would list
      hint = fmt::format("--dtype {}=string", s.name);
    else
      hint = fmt::format("--na-values {} or --dtype {}=string", shell_word(text), s.name);
    if (s.kind == Kind::timestamp)  // a day that does not exist, an instant out of range
      if (std::string refusal = timestamp_refusal(tt); !refusal.empty()) why = ": " + refusal;
    fail(at, fmt::format("cannot read {} as {} (column '{}'{}); hint: {}", detail::show_text(text),
                         type, s.name, why, hint));
  }

  std::string_view bytes_;
  std::int64_t first_line_;
  const CsvOptions& options_;
  std::string_view source_;
  bool dropped_rows_ = false;  // a bad row was skipped
  BadLineReport& bad_;
  detail::NaSet na_;
  detail::Tokenizer tok_;
  std::vector<Sink> sinks_;
  std::size_t rows_ = 0;
  std::size_t cap_rows_ = 0;  // every column has room for this many rows
  const char* loc_pos_;
  std::int64_t loc_line_;
  const char* end_;
  char delim_, quote_;
  bool fast_ = false, fast_timestamps_ = false, empty_null_ = false;
  DateCache dates_;
#if defined(__SSE2__)
  __m128i kd_, kn_, kr_;
#endif
};

}  // namespace

Table parse_rows(std::string_view bytes, std::int64_t first_line, const Schema& schema,
                 const CsvOptions& options, std::string_view source, BadLineReport& bad_lines) {
  options.validate();
  Parser p(bytes, first_line, schema, options, source, bad_lines);
  return p.run();
}

}  // namespace pando::csv
