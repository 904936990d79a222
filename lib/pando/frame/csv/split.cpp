#include <pando/frame/csv/split.hpp>

#include <pando/core/error.hpp>

#include <fmt/format.h>

#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace pando::csv {

namespace {

// Bit i set where p[i] == c, for the n <= 64 bytes at p.
struct BlockMasks {
  std::uint64_t quote = 0, escape = 0, nl = 0, cr = 0;
};

#if defined(__SSE2__)
inline std::uint64_t eq64(const __m128i v[4], char c) {
  const __m128i k = _mm_set1_epi8(c);
  std::uint64_t m = 0;
  for (int j = 0; j < 4; ++j)
    m |= static_cast<std::uint64_t>(
             static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v[j], k))))
         << (16 * j);
  return m;
}
#endif

inline BlockMasks block_masks(const char* p, std::size_t n, char quote, char escape) {
  BlockMasks m;
#if defined(__SSE2__)
  if (n == 64) {
    __m128i v[4];
    for (int j = 0; j < 4; ++j)
      v[j] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * j));
    m.nl = eq64(v, '\n');
    m.cr = eq64(v, '\r');
    if (quote) m.quote = eq64(v, quote);
    if (escape) m.escape = eq64(v, escape);
    return m;
  }
#endif
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t bit = std::uint64_t{1} << i;
    const char c = p[i];
    if (c == '\n') m.nl |= bit;
    if (c == '\r') m.cr |= bit;
    if (quote && c == quote) m.quote |= bit;
    if (escape && c == escape) m.escape |= bit;
  }
  return m;
}

class Scanner {
 public:
  Scanner(const RangeBytes& rb, const CsvOptions& o, std::string_view source)
      : w_(rb.window.data()),
        size_(rb.window.size()),
        eof_(rb.window_reaches_eof),
        delim_(o.delimiter),
        quote_(o.quote),
        escape_(o.escape),
        source_(source),
        base_(rb.window_begin) {}

  // Physical line breaks in [from, to): '\n', and '\r' not followed by '\n'.
  std::int64_t count_breaks(std::size_t from, std::size_t to) const {
    std::int64_t n = 0;
    for (std::size_t b = from; b < to; b += 64) {
      const std::size_t len = std::min<std::size_t>(64, to - b);
      BlockMasks m = block_masks(w_ + b, len, '\0', '\0');
      n += std::popcount(m.nl);
      for (std::uint64_t cr = m.cr; cr; cr &= cr - 1) {
        std::size_t k = b + static_cast<std::size_t>(std::countr_zero(cr));
        n += !(k + 1 < size_ && w_[k + 1] == '\n');
      }
    }
    return n;
  }

  // Whether a cut at window index p leaves no two-byte token across it (see split.hpp).
  bool is_cut(std::size_t p) const {
    if (p == 0) return true;
    const char c1 = w_[p - 1];
    if ((quote_ && c1 == quote_) || (escape_ && c1 == escape_) || c1 == '\r') return false;
    if (escape_ && p >= 2 && w_[p - 2] == escape_) return false;
    return true;
  }

  // The first cut at or after window index p.
  std::size_t find_cut(std::size_t from) const {
    std::size_t p = from;
    for (; p < size_; ++p)
      if (is_cut(p)) return p;
    if (eof_ || is_cut(size_)) return size_;
    throw ParseError(std::string(source_), 0, 0,
                     fmt::format("cannot cut the file near byte {}: the {} bytes after it are all "
                                 "quote, escape or carriage-return characters; hint: read this "
                                 "file as one range",
                                 base_ + static_cast<std::int64_t>(from), size_ - from));
  }

  struct Sim {
    bool in = false;
    std::int64_t first_row = -1;                         // window index
    std::size_t skip = 0;                                // events before this index are consumed
    std::size_t escaped = static_cast<std::size_t>(-1);  // index of the last escaped byte
  };

  // Runs both assumptions over [s, t) of the window.
  void run(std::size_t s, std::size_t t, bool starts_row, Sim& out, Sim& in) {
    out.in = false;
    in.in = true;
    out.skip = in.skip = s;
    starts_row_ = starts_row;
    s_ = s;
    for (std::size_t b = s; b < t; b += 64) {
      const std::size_t len = std::min<std::size_t>(64, t - b);
      BlockMasks m = block_masks(w_ + b, len, quote_, escape_);
      const std::uint64_t special = m.quote | m.escape;
      const std::uint64_t breaks = m.nl | m.cr;
      step(out, special | (out.first_row < 0 ? breaks : 0), b);
      if (!starts_row) step(in, special | (in.first_row < 0 ? breaks : 0), b);
    }
  }

 private:
  bool field_start(std::size_t pos, const Sim& sim) const {
    if (pos == s_ && starts_row_) return true;
    if (pos == 0) return true;
    const char prev = w_[pos - 1];
    return (prev == delim_ || prev == '\n' || prev == '\r') && sim.escaped != pos - 1;
  }

  void step(Sim& sim, std::uint64_t ev, std::size_t base) const {
    while (ev) {
      const std::size_t pos = base + static_cast<std::size_t>(std::countr_zero(ev));
      ev &= ev - 1;
      if (pos < sim.skip) continue;
      const char c = w_[pos];
      if (escape_ && c == escape_) {
        sim.skip = pos + 2;
        sim.escaped = pos + 1;
      } else if (quote_ && c == quote_) {
        if (sim.in) {
          if (pos + 1 < size_ && w_[pos + 1] == quote_)
            sim.skip = pos + 2;  // a doubled quote: data
          else
            sim.in = false;
        } else if (field_start(pos, sim)) {
          sim.in = true;
        }
      } else if (!sim.in && sim.first_row < 0) {  // a line break outside quotes ends a row
        std::size_t next = pos + 1;
        if (c == '\r' && next < size_ && w_[next] == '\n') ++next;
        sim.first_row = static_cast<std::int64_t>(next);
      }
    }
  }

  const char* w_;
  std::size_t size_;
  bool eof_;
  char delim_, quote_, escape_;
  std::string_view source_;
  std::int64_t base_;
  bool starts_row_ = false;
  std::size_t s_ = 0;
};

}  // namespace

RangeScan scan_range(const RangeBytes& rb, const CsvOptions& options, std::string_view source) {
  options.validate();
  const auto wsize = static_cast<std::int64_t>(rb.window.size());
  if (rb.begin < rb.window_begin || rb.end < rb.begin || rb.end > rb.window_begin + wsize)
    throw UsageError(fmt::format("scan_range: the range [{}, {}) is not inside the window [{}, {})",
                                 rb.begin, rb.end, rb.window_begin, rb.window_begin + wsize));
  if (!rb.starts_row && rb.begin - rb.window_begin < std::min<std::int64_t>(2, rb.begin))
    throw UsageError(
        fmt::format("scan_range: the window must hold the 2 bytes before the range "
                    "at {} (it starts at {})",
                    rb.begin, rb.window_begin));
  Scanner sc(rb, options, source);
  const auto b = static_cast<std::size_t>(rb.begin - rb.window_begin);
  const auto e = static_cast<std::size_t>(rb.end - rb.window_begin);
  const std::size_t s = rb.starts_row ? b : sc.find_cut(b);
  const std::size_t t = (rb.window_reaches_eof && e == rb.window.size()) ? e : sc.find_cut(e);

  RangeScan out;
  out.begin = rb.begin;
  out.end = rb.end;
  out.scan_begin = rb.window_begin + static_cast<std::int64_t>(s);
  out.scan_end = rb.window_begin + static_cast<std::int64_t>(t);
  out.starts_row = rb.starts_row;
  out.line_breaks = sc.count_breaks(s, t);

  Scanner::Sim so, si;
  sc.run(s, t, rb.starts_row, so, si);
  auto outcome = [&](const Scanner::Sim& sim) {
    RangeScan::Outcome o;
    o.ends_in_quotes = sim.in;
    if (sim.first_row >= 0 && static_cast<std::size_t>(sim.first_row) <= t) {
      o.first_row = rb.window_begin + sim.first_row;
      o.breaks_before = sc.count_breaks(s, static_cast<std::size_t>(sim.first_row));
    }
    return o;
  };
  out.outside = outcome(so);
  if (rb.starts_row) {
    out.outside.first_row = out.scan_begin;
    out.outside.breaks_before = 0;
    out.inside = out.outside;
  } else {
    out.inside = outcome(si);
  }
  return out;
}

std::vector<RowRange> resolve_ranges(std::span<const RangeScan> scans, std::int64_t first_line) {
  std::vector<RowRange> out(scans.size());
  if (scans.empty()) return out;
  if (!scans[0].starts_row)
    throw UsageError("resolve_ranges: the first range must start at the first row (starts_row)");
  std::vector<std::int64_t> start(scans.size(), -1), line_at(scans.size(), 0);
  bool in = false;
  std::int64_t line = first_line;
  for (std::size_t i = 0; i < scans.size(); ++i) {
    const RangeScan& sc = scans[i];
    if (i > 0 && sc.scan_begin != scans[i - 1].scan_end)
      throw UsageError(
          fmt::format("resolve_ranges: range {} starts at byte {} but range {} ends "
                      "at byte {}; pass the scans of one file, in order",
                      i, sc.scan_begin, i - 1, scans[i - 1].scan_end));
    const RangeScan::Outcome& o = in ? sc.inside : sc.outside;
    start[i] = o.first_row;
    line_at[i] = line + o.breaks_before;
    in = o.ends_in_quotes;
    line += sc.line_breaks;
  }
  std::int64_t next = scans.back().scan_end;
  for (std::size_t i = scans.size(); i-- > 0;) {
    if (start[i] < 0) {
      out[i] = {next, next, 0};
      continue;
    }
    out[i] = {start[i], next, line_at[i]};
    next = start[i];
  }
  return out;
}

std::size_t whole_rows(std::string_view text, const CsvOptions& options, std::string_view source,
                       std::int64_t& line_breaks) {
  // Two ranges of the text resolved as ranges of a file are: [0, b) starting a row, and [b, e)
  // before the lookahead; the first row start in [b, e) under the state [0, b) ends in is the
  // last row start the scan sees. Without one there, b moves back (a long quoted field).
  const std::size_t lookahead = std::min<std::size_t>(4096, text.size() / 2);
  const std::size_t e = text.size() - lookahead;
  line_breaks = 0;
  if (e == 0) return 0;
  std::size_t b = e > (1u << 16) ? e - (1u << 16) : e / 2;
  for (;;) {
    bool in_quotes = false;
    std::int64_t before = 0;
    std::int64_t from = 0;
    if (b > 0) {
      const RangeScan head =
          scan_range({text, 0, 0, static_cast<std::int64_t>(b), false, true}, options, source);
      in_quotes = head.outside.ends_in_quotes;
      before = head.line_breaks;
      from = head.scan_end;
    }
    const RangeScan tail =
        scan_range({text, 0, from, static_cast<std::int64_t>(e), false, false}, options, source);
    const RangeScan::Outcome& o = in_quotes ? tail.inside : tail.outside;
    if (o.first_row >= 0) {
      line_breaks = before + o.breaks_before;
      return static_cast<std::size_t>(o.first_row);
    }
    if (b == 0) return 0;
    b /= 2;
  }
}

std::vector<std::pair<std::int64_t, std::int64_t>> plan_ranges(std::int64_t data_begin,
                                                               std::int64_t file_size,
                                                               std::int64_t range_bytes) {
  if (range_bytes <= 0) throw UsageError("plan_ranges: the range size must be positive");
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  const std::int64_t total = std::max<std::int64_t>(file_size - data_begin, 0);
  const std::int64_t n = std::max<std::int64_t>(1, (total + range_bytes - 1) / range_bytes);
  for (std::int64_t i = 0; i < n; ++i)
    out.emplace_back(data_begin + total * i / n, data_begin + total * (i + 1) / n);
  return out;
}

}  // namespace pando::csv
