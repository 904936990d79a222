// Typed kernels for logic, nulls and choices (isna, fillna, where, isin), strings and
// timestamps. Strings are read as offsets + bytes: never a std::string per row.

#include <pando/core/timestamp.hpp>
#include <pando/expr/detail/eval.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>
#include <string_view>
#include <type_traits>

namespace pando::expr::detail {

namespace {

// ---- Access helpers -----------------------------------------------------------------------

template <class T>
struct Reader {
  const T* p;
  bool scalar;
  explicit Reader(const View& v) : p(static_cast<const T*>(v.data)), scalar(v.scalar) {}
  T operator[](std::size_t i) const { return p[scalar ? 0 : i]; }
};

struct StringReader {
  const std::int64_t* offsets;
  const char* bytes;
  bool scalar;
  explicit StringReader(const View& v) : offsets(v.offsets), bytes(v.bytes), scalar(v.scalar) {}
  std::string_view operator[](std::size_t i) const {
    std::size_t j = scalar ? 0 : i;
    return {bytes + offsets[j], static_cast<std::size_t>(offsets[j + 1] - offsets[j])};
  }
};

// Validity of a view as a word per 64 rows (scalars broadcast).
struct ValidityReader {
  const std::uint64_t* words;
  bool scalar;
  explicit ValidityReader(const View& v) : words(v.validity), scalar(v.scalar) {}
  bool present() const { return words != nullptr; }
  std::uint64_t word(std::size_t w) const {
    if (words == nullptr) return ~std::uint64_t{0};
    if (scalar) return (words[0] & 1) ? ~std::uint64_t{0} : 0;
    return words[w];
  }
};

template <class T>
bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>)
    return std::isnan(x);
  else
    return false;
}

// ---- Logic: a null bool counts as false; results are never null ---------------------------

enum class Logic { conjunction, disjunction };

template <Logic L>
void logic_kernel(KernelArgs& k) {
  Reader<std::uint8_t> a(k.in[0]), b(k.in[1]);
  auto* o = static_cast<std::uint8_t*>(k.out);
  const std::size_t n = k.n;
  if (!a.scalar && !b.scalar) {
    for (std::size_t i = 0; i < n; ++i)
      o[i] = L == Logic::conjunction ? (a.p[i] & b.p[i]) : (a.p[i] | b.p[i]);
  } else {
    for (std::size_t i = 0; i < n; ++i)
      o[i] = L == Logic::conjunction ? (a[i] & b[i]) : (a[i] | b[i]);
  }
  ValidityReader va(k.in[0]), vb(k.in[1]);
  if (!va.present() && !vb.present()) return;
  for (std::size_t w = 0; w < words_for(n); ++w) {
    std::uint64_t wa = va.word(w), wb = vb.word(w);
    std::uint64_t bad = ~(wa & wb) & row_mask(n, w);
    for (; bad != 0; bad &= bad - 1) {
      std::size_t i = w * 64 + static_cast<std::size_t>(__builtin_ctzll(bad));
      bool x = ((wa >> (i & 63)) & 1) && a[i];
      bool y = ((wb >> (i & 63)) & 1) && b[i];
      o[i] = L == Logic::conjunction ? (x && y) : (x || y);
    }
  }
}

void not_kernel(KernelArgs& k) {
  Reader<std::uint8_t> a(k.in[0]);
  auto* o = static_cast<std::uint8_t*>(k.out);
  for (std::size_t i = 0; i < k.n; ++i) o[i] = a[i] ^ 1;
  ValidityReader va(k.in[0]);
  if (!va.present()) return;
  for (std::size_t w = 0; w < words_for(k.n); ++w) {
    std::uint64_t bad = ~va.word(w) & row_mask(k.n, w);
    for (; bad != 0; bad &= bad - 1) o[w * 64 + static_cast<std::size_t>(__builtin_ctzll(bad))] = 1;
  }
}

// ---- Missing values: null, or NaN for floats ----------------------------------------------

template <class T, bool Missing>
void isna_kernel(KernelArgs& k) {
  auto* o = static_cast<std::uint8_t*>(k.out);
  ValidityReader va(k.in[0]);
  if constexpr (std::is_floating_point_v<T>) {
    Reader<T> a(k.in[0]);
    for (std::size_t i = 0; i < k.n; ++i) o[i] = std::isnan(a[i]) == Missing;
  } else {
    for (std::size_t i = 0; i < k.n; ++i) o[i] = !Missing;
  }
  if (!va.present()) return;
  for (std::size_t w = 0; w < words_for(k.n); ++w) {
    std::uint64_t bad = ~va.word(w) & row_mask(k.n, w);
    for (; bad != 0; bad &= bad - 1)
      o[w * 64 + static_cast<std::size_t>(__builtin_ctzll(bad))] = Missing;
  }
}

// For any element type, StringTag too: only floats' values are read (NaN is missing).
template <class T>
void isna_any(KernelArgs& k) {
  isna_kernel<T, true>(k);
}
template <class T>
void notna_any(KernelArgs& k) {
  isna_kernel<T, false>(k);
}

// Writes the result validity `valid(i)` word by word; leaves it unset when all rows are valid.
template <class F>
void write_validity(KernelArgs& k, F valid) {
  std::uint64_t all = ~std::uint64_t{0};
  for (std::size_t w = 0; w < words_for(k.n); ++w) {
    std::uint64_t m = 0;
    const std::size_t lo = w * 64, hi = std::min(lo + 64, k.n);
    for (std::size_t i = lo; i < hi; ++i) m |= std::uint64_t{valid(i)} << (i - lo);
    k.out_validity[w] = m;
    all &= m | ~row_mask(k.n, w);
  }
  k.wrote_validity = all != ~std::uint64_t{0};
}

// Chooses per row between two fixed-width views (with nulls).
template <class T, class Pick>
void choose_fixed(KernelArgs& k, const View& x, const View& y, Pick pick_x) {
  Reader<T> a(x), b(y);
  T* o = static_cast<T*>(k.out);
  for (std::size_t i = 0; i < k.n; ++i) o[i] = pick_x(i) ? a[i] : b[i];
  ValidityReader va(x), vb(y);
  if (!va.present() && !vb.present()) return;
  write_validity(k, [&](std::size_t i) { return pick_x(i) ? valid_at(x, i) : valid_at(y, i); });
}

void choose_strings(KernelArgs& k, const View& x, const View& y, auto pick_x) {
  StringReader a(x), b(y);
  StringTile& t = *k.out_strings;
  std::int64_t* off = t.offsets();
  std::size_t total = 0;
  for (std::size_t i = 0; i < k.n; ++i) total += pick_x(i) ? a[i].size() : b[i].size();
  char* bytes = t.reserve(total);
  std::size_t at = 0;
  off[0] = 0;
  for (std::size_t i = 0; i < k.n; ++i) {
    std::string_view s = pick_x(i) ? a[i] : b[i];
    if (!s.empty()) std::memcpy(bytes + at, s.data(), s.size());
    at += s.size();
    off[i + 1] = static_cast<std::int64_t>(at);
  }
  ValidityReader va(x), vb(y);
  if (!va.present() && !vb.present()) return;
  write_validity(k, [&](std::size_t i) { return pick_x(i) ? valid_at(x, i) : valid_at(y, i); });
}

// where(c, a, b): a where c is true, b where c is false or null.
template <class T>
void where_kernel(KernelArgs& k) {
  Reader<std::uint8_t> c(k.in[0]);
  const View& cv = k.in[0];
  auto pick = [&](std::size_t i) { return c[i] != 0 && valid_at(cv, i); };
  if constexpr (std::is_same_v<T, StringTag>)
    choose_strings(k, k.in[1], k.in[2], pick);
  else
    choose_fixed<T>(k, k.in[1], k.in[2], pick);
}

// fillna(x, v): x where x is valid (and not NaN), else v.
template <class T>
void fillna_kernel(KernelArgs& k) {
  const View& xv = k.in[0];
  if constexpr (std::is_same_v<T, StringTag>) {
    choose_strings(k, k.in[0], k.in[1], [&](std::size_t i) { return valid_at(xv, i); });
  } else {
    Reader<T> x(xv);
    choose_fixed<T>(k, k.in[0], k.in[1],
                    [&](std::size_t i) { return valid_at(xv, i) && !is_nan(x[i]); });
  }
}

// ---- isin: against a sorted table of literals (false where x is null) -------------------

template <class T>
void isin_kernel(KernelArgs& k) {
  Reader<T> x(k.in[0]);
  auto* o = static_cast<std::uint8_t*>(k.out);
  const T* table = reinterpret_cast<const T*>(k.op->table.data());
  const std::size_t m = k.op->table.size() / sizeof(T);
  const std::size_t n = x.scalar ? 1 : k.n;
  if (m <= 8) {
    for (std::size_t i = 0; i < n; ++i) {
      const T v = x.p[i];
      std::uint8_t hit = 0;
      for (std::size_t j = 0; j < m; ++j) hit |= v == table[j];
      o[i] = hit;
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      const T v = x.p[i];
      o[i] = !is_nan(v) && std::binary_search(table, table + m, v);
    }
  }
  if (x.scalar)
    for (std::size_t i = 1; i < k.n; ++i) o[i] = o[0];
}

void isin_strings_kernel(KernelArgs& k) {
  StringReader x(k.in[0]);
  auto* o = static_cast<std::uint8_t*>(k.out);
  const auto& table = k.op->strings;  // sorted
  for (std::size_t i = 0; i < k.n; ++i) {
    std::string_view v = x[i];
    auto it = std::lower_bound(table.begin(), table.end(), v,
                               [](const std::string& a, std::string_view b) { return a < b; });
    o[i] = it != table.end() && std::string_view(*it) == v;
  }
}

// ---- Strings ------------------------------------------------------------------------------

template <class F>
void string_compare_kernel(KernelArgs& k) {
  StringReader a(k.in[0]), b(k.in[1]);
  auto* o = static_cast<std::uint8_t*>(k.out);
  for (std::size_t i = 0; i < k.n; ++i) o[i] = F{}(a[i].compare(b[i]), 0);
}

enum class Match { contains, starts, ends };

template <Match M>
void match_kernel(KernelArgs& k) {
  StringReader s(k.in[0]);
  auto* o = static_cast<std::uint8_t*>(k.out);
  const std::string_view p = k.op->text_param;
  for (std::size_t i = 0; i < k.n; ++i) {
    std::string_view v = s[i];
    if constexpr (M == Match::contains)
      o[i] = v.find(p) != std::string_view::npos;
    else if constexpr (M == Match::starts)
      o[i] = v.starts_with(p);
    else
      o[i] = v.ends_with(p);
  }
}

// Length in UTF-8 code points: the bytes that are not continuation bytes (10xxxxxx).
void length_kernel(KernelArgs& k) {
  StringReader s(k.in[0]);
  auto* o = static_cast<std::int64_t*>(k.out);
  for (std::size_t i = 0; i < k.n; ++i) {
    std::string_view v = s[i];
    std::int64_t count = 0;
    for (char c : v) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    o[i] = count;
  }
}

template <bool Upper>
void case_kernel(KernelArgs& k) {
  StringReader s(k.in[0]);
  StringTile& t = *k.out_strings;
  std::int64_t* off = t.offsets();
  const std::int64_t base = s.offsets[0];
  const std::size_t rows = s.scalar ? 1 : k.n;
  const auto total = static_cast<std::size_t>(s.offsets[rows] - base);
  char* out = t.reserve(s.scalar ? total * k.n : total);
  const char* in = s.bytes + base;
  for (std::size_t j = 0; j < total; ++j) {
    char c = in[j];
    if constexpr (Upper)
      out[j] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
    else
      out[j] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  if (s.scalar) {
    off[0] = 0;
    for (std::size_t i = 0; i < k.n; ++i) {
      if (i > 0 && total > 0) std::memcpy(out + i * total, out, total);
      off[i + 1] = static_cast<std::int64_t>((i + 1) * total);
    }
    return;
  }
  for (std::size_t i = 0; i <= k.n; ++i) off[i] = s.offsets[i] - base;
}

// ---- Timestamps ---------------------------------------------------------------------------

enum class Part { year, month, day, hour, minute, second, dayofweek };

template <Part P>
void part_kernel(KernelArgs& k) {
  Reader<std::int64_t> a(k.in[0]);
  auto* o = static_cast<std::int64_t*>(k.out);
  const std::size_t n = a.scalar ? 1 : k.n;
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t ns = a.p[i];
    const std::int64_t days = floor_div(ns, ns_per_day);
    const std::int64_t within = floor_mod(ns, ns_per_day);
    std::int64_t r = 0;
    if constexpr (P == Part::year || P == Part::month || P == Part::day) {
      CivilDate c = civil_from_days(days);
      r = P == Part::year ? c.year : P == Part::month ? c.month : c.day;
    } else if constexpr (P == Part::hour) {
      r = within / (3600 * ns_per_second);
    } else if constexpr (P == Part::minute) {
      r = within / (60 * ns_per_second) % 60;
    } else if constexpr (P == Part::second) {
      r = within / ns_per_second % 60;
    } else {
      r = floor_mod(days + 3, 7);  // 1970-01-01 was a Thursday; Monday is 0
    }
    o[i] = r;
  }
  if (a.scalar)
    for (std::size_t i = 1; i < k.n; ++i) o[i] = o[0];
}

// ---- Formatting ---------------------------------------------------------------------------

// One value as text into `out` (room for 32 bytes); returns the length.
template <class T>
std::size_t format_value(T v, char* out, DType type) {
  if constexpr (std::is_same_v<T, bool>) {
    const std::string_view s = v ? "True" : "False";
    std::memcpy(out, s.data(), s.size());
    return s.size();
  } else if constexpr (std::is_floating_point_v<T>) {
    // Shortest text that reads back to the same value; a float always shows it is one.
    auto [end, ec] = std::to_chars(out, out + 32, v);
    auto len = static_cast<std::size_t>(end - out);
    if (std::string_view(out, len).find_first_not_of("-0123456789") == std::string_view::npos) {
      out[len++] = '.';
      out[len++] = '0';
    }
    return len;
  } else {
    if (type == DType::timestamp) return static_cast<std::size_t>(format_timestamp(v, out) - out);
    auto [end, ec] = std::to_chars(out, out + 32, v);
    return static_cast<std::size_t>(end - out);
  }
}

template <class T>
void str_kernel(KernelArgs& k) {
  if constexpr (std::is_same_v<T, StringTag>) {
    (void)k;  // strings are their own text: compile() never asks for this
  } else {
    static_assert(max_timestamp_chars <= 32);
    Reader<T> a(k.in[0]);
    StringTile& t = *k.out_strings;
    std::int64_t* off = t.offsets();
    char* out = t.reserve(k.n * 32);
    std::size_t at = 0;
    off[0] = 0;
    for (std::size_t i = 0; i < k.n; ++i) {
      at += format_value(a[i], out + at, k.op->operand);
      off[i + 1] = static_cast<std::int64_t>(at);
    }
  }
}

// `kernel` instantiated for the C++ type of `t`'s elements (core/dtype.hpp's visit; StringTag
// for strings).
#define PANDO_BY_TYPE(t, kernel) \
  visit<column_dtypes, no_kernel>(t, [](auto v) -> KernelFn { return &kernel<decltype(v)>; })

template <class T>
void isin_or_strings(KernelArgs& k) {
  if constexpr (std::is_same_v<T, StringTag>)
    isin_strings_kernel(k);
  else
    isin_kernel<T>(k);
}

}  // namespace

KernelFn find_other_kernel(OpCode code, DType operand, DType /*result*/) {
  const bool str = operand == DType::string;
  switch (code) {
    case OpCode::logical_and:
      return &logic_kernel<Logic::conjunction>;
    case OpCode::logical_or:
      return &logic_kernel<Logic::disjunction>;
    case OpCode::logical_not:
      return &not_kernel;
    case OpCode::isna:
      return PANDO_BY_TYPE(operand, isna_any);
    case OpCode::notna:
      return PANDO_BY_TYPE(operand, notna_any);
    case OpCode::fillna:
      return PANDO_BY_TYPE(operand, fillna_kernel);
    case OpCode::where:
      return PANDO_BY_TYPE(operand, where_kernel);
    case OpCode::isin:
      return PANDO_BY_TYPE(operand, isin_or_strings);
    case OpCode::equal:
      return str ? &string_compare_kernel<std::equal_to<>> : nullptr;
    case OpCode::not_equal:
      return str ? &string_compare_kernel<std::not_equal_to<>> : nullptr;
    case OpCode::less:
      return str ? &string_compare_kernel<std::less<>> : nullptr;
    case OpCode::less_equal:
      return str ? &string_compare_kernel<std::less_equal<>> : nullptr;
    case OpCode::greater:
      return str ? &string_compare_kernel<std::greater<>> : nullptr;
    case OpCode::greater_equal:
      return str ? &string_compare_kernel<std::greater_equal<>> : nullptr;
    case OpCode::contains:
      return str ? &match_kernel<Match::contains> : nullptr;
    case OpCode::startswith:
      return str ? &match_kernel<Match::starts> : nullptr;
    case OpCode::endswith:
      return str ? &match_kernel<Match::ends> : nullptr;
    case OpCode::length:
      return str ? &length_kernel : nullptr;
    case OpCode::lower:
      return str ? &case_kernel<false> : nullptr;
    case OpCode::upper:
      return str ? &case_kernel<true> : nullptr;
    case OpCode::year:
      return &part_kernel<Part::year>;
    case OpCode::month:
      return &part_kernel<Part::month>;
    case OpCode::day:
      return &part_kernel<Part::day>;
    case OpCode::hour:
      return &part_kernel<Part::hour>;
    case OpCode::minute:
      return &part_kernel<Part::minute>;
    case OpCode::second:
      return &part_kernel<Part::second>;
    case OpCode::dayofweek:
      return &part_kernel<Part::dayofweek>;
    case OpCode::to_string:
      return str ? nullptr : PANDO_BY_TYPE(operand, str_kernel);
    default:
      return nullptr;
  }
}

}  // namespace pando::expr::detail
