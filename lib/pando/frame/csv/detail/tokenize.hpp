#pragma once
// CSV stage 2, tokenize (internal to the CSV reader): fields of rows, straight from the bytes,
// with pandas' C tokenizer rules (the same rules split.hpp's scan assumes):
//
//   - rows end at "\n", "\r\n" or a bare "\r"; lines of only spaces and tabs are skipped (pandas'
//     skip_blank_lines); a final row needs no line break;
//   - a field that starts with the quote character is quoted: it runs to the next single quote
//     (a doubled quote is one quote) and may hold delimiters and line breaks; text after the
//     closing quote is appended to the field, up to the next delimiter (pandas does the same);
//   - a quote anywhere else is data;
//   - with an escape character, the byte after it is data, inside quotes or out.
//
// Field texts are views of the input when nothing needs unescaping, else of a scratch buffer
// that the next field reuses.

#include <pando/frame/csv/options.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace pando::csv::detail {

// The texts that mean null, matched without allocating. Every string field is checked, so a
// table by first byte and length rejects almost all of them with one load.
class NaSet {
 public:
  explicit NaSet(const std::vector<std::string>& values);
  [[nodiscard]] bool contains(std::string_view s) const noexcept {
    if (s.empty()) return empty_is_null();
    if (!(first_len_[static_cast<unsigned char>(s[0])] >> std::min<std::size_t>(s.size(), 31) & 1))
      return false;
    for (const auto& v : values_)
      if (v.size() == s.size() && std::memcmp(v.data(), s.data(), s.size()) == 0) return true;
    return false;
  }
  // Some null text is also a number / a bool / a timestamp (then check nulls first).
  bool has_int = false, has_float = false, has_bool = false, has_timestamp = false;
  [[nodiscard]] bool empty_is_null() const noexcept { return len_mask_ & 1; }

 private:
  std::vector<std::string> values_;
  std::uint32_t len_mask_ = 0;  // bit k: a value of k bytes (k < 31); bit 31 for longer
  std::array<std::uint32_t, 256> first_len_{};  // the same, of the values that start with a byte
};

struct Field {
  std::string_view text;  // content, unquoted and unescaped
  const char* start;      // first byte of the field in the input (its opening quote if quoted)
  bool quoted;
  bool last;  // the row ends after this field
};

class Tokenizer {
 public:
  Tokenizer(std::string_view data, const CsvOptions& o)
      : begin_(data.data()),
        p_(data.data()),
        end_(data.data() + data.size()),
        delim_(o.delimiter),
        quote_(o.quote),
        escape_(o.escape) {
#if defined(__SSE2__)
    kd_ = _mm_set1_epi8(delim_);
    kn_ = _mm_set1_epi8('\n');
    kr_ = _mm_set1_epi8('\r');
    ke_ = _mm_set1_epi8(escape_ ? escape_ : '\n');
#endif
  }

  [[nodiscard]] const char* pos() const noexcept { return p_; }
  [[nodiscard]] const char* begin() const noexcept { return begin_; }
  [[nodiscard]] const char* end() const noexcept { return end_; }

  // Moves to the next row that is not blank; false at the end of the data.
  bool next_row() noexcept {
    for (;;) {
      if (p_ >= end_) return false;
      const char* q = p_;
      while (q < end_ && (*q == ' ' || *q == '\t') && *q != delim_) ++q;
      if (q == end_) {
        p_ = end_;
        return false;
      }
      if (*q == '\n') {
        p_ = q + 1;
        continue;
      }
      if (*q == '\r') {
        p_ = q + 1 + (q + 1 < end_ && q[1] == '\n');
        continue;
      }
      return true;
    }
  }

  // Reads the field at the current position. False for a quoted field that the data ends in
  // (f.start is its opening quote).
  bool next_field(Field& f) {
    const char* p = p_;
    f.start = p;
    if (quote_ && p < end_ && *p == quote_) return quoted(f);
    f.quoted = false;
    const char* q = find_special(p);
    if (q < end_ && escape_ && *q == escape_) {
      scratch_.assign(p, q);
      q = unquoted_tail(q);
      f.text = scratch_;
    } else {
      f.text = {p, static_cast<std::size_t>(q - p)};
    }
    finish(f, q);
    return true;
  }

  // Ends a field that a caller read itself (the parser's number fast path) at q: a delimiter,
  // a line break or the end.
  void end_field_at(Field& f, const char* q) noexcept { finish(f, q); }
  [[nodiscard]] char delimiter() const noexcept { return delim_; }
  [[nodiscard]] char quote() const noexcept { return quote_; }

  // Skips the rest of the current row (after a bad field); false if a quoted field never ends.
  bool skip_row(Field& f) {
    while (!f.last)
      if (!next_field(f)) return false;
    return true;
  }

  // First delimiter, line break or escape at or after p (end_ if none).
  const char* find_special(const char* p) const noexcept {
#if defined(__SSE2__)
    while (end_ - p >= 16) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, kd_), _mm_cmpeq_epi8(v, kn_)),
                               _mm_or_si128(_mm_cmpeq_epi8(v, kr_), _mm_cmpeq_epi8(v, ke_)));
      int bits = _mm_movemask_epi8(m);
      if (bits) return p + __builtin_ctz(static_cast<unsigned>(bits));
      p += 16;
    }
#endif
    for (; p < end_; ++p) {
      char c = *p;
      if (c == delim_ || c == '\n' || c == '\r' || (escape_ && c == escape_)) return p;
    }
    return end_;
  }

 private:
  // Sets where the row continues after a field that ended at q (a delimiter, a line break or
  // the end).
  void finish(Field& f, const char* q) noexcept {
    if (q >= end_) {
      f.last = true;
      p_ = end_;
    } else if (*q == delim_) {
      f.last = false;
      p_ = q + 1;
    } else {
      f.last = true;
      p_ = q + 1 + (*q == '\r' && q + 1 < end_ && q[1] == '\n');
    }
  }

  // Appends unquoted text from q (escapes resolved) to scratch_ up to the field's end; returns
  // the end.
  const char* unquoted_tail(const char* q) {
    for (;;) {
      const char* r = find_special(q);
      scratch_.append(q, r);
      if (r < end_ && escape_ && *r == escape_) {
        if (r + 1 < end_) scratch_.push_back(r[1]);
        q = r + 2 <= end_ ? r + 2 : end_;
        continue;
      }
      return r;
    }
  }

  bool quoted(Field& f) {
    f.quoted = true;
    const char* seg = f.start + 1;
    const char* p = seg;
    bool copied = false;
    for (;;) {
      const char* q;
      if (escape_) {
        q = p;
        while (q < end_ && *q != quote_ && *q != escape_) ++q;
        if (q == end_) q = nullptr;
      } else {
        q = static_cast<const char*>(std::memchr(p, quote_, static_cast<std::size_t>(end_ - p)));
      }
      if (!q) return false;
      if (escape_ && *q == escape_) {
        if (q + 1 >= end_) return false;
        if (!copied) scratch_.clear();
        copied = true;
        scratch_.append(seg, q);
        scratch_.push_back(q[1]);
        p = seg = q + 2;
        continue;
      }
      if (q + 1 < end_ && q[1] == quote_) {  // doubled: one quote of data
        if (!copied) scratch_.clear();
        copied = true;
        scratch_.append(seg, q + 1);
        p = seg = q + 2;
        continue;
      }
      const char* r = q + 1;  // after the closing quote
      if (r == end_ || *r == delim_ || *r == '\n' || *r == '\r') {
        if (copied) {
          scratch_.append(seg, q);
          f.text = scratch_;
        } else {
          f.text = {seg, static_cast<std::size_t>(q - seg)};
        }
        finish(f, r);
        return true;
      }
      // Text after the closing quote joins the field (pandas); quotes there are data.
      if (!copied) scratch_.clear();
      scratch_.append(seg, q);
      r = unquoted_tail(r);
      f.text = scratch_;
      finish(f, r);
      return true;
    }
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  char delim_, quote_, escape_;
#if defined(__SSE2__)
  __m128i kd_, kn_, kr_, ke_;
#endif
  std::string scratch_;
};

// Physical line breaks in [from, to): '\n', and '\r' not followed by '\n' (within `end`).
std::int64_t count_breaks(const char* from, const char* to, const char* end) noexcept;

// "line:column" of a byte: the physical 1-based line (`first_line` at `begin`) and the 1-based
// column in characters (UTF-8 code points) where `at` is.
struct Location {
  std::int64_t line;
  std::int64_t column;
};
Location locate(const char* begin, const char* at, const char* end,
                std::int64_t first_line) noexcept;

// A field text for an error message: quoted, control characters escaped, long texts cut.
std::string show_text(std::string_view s);

}  // namespace pando::csv::detail
