#include <pando/frame/column.hpp>

#include <pando/core/timestamp.hpp>
#include <pando/frame/detail/dictionary.hpp>
#include <pando/frame/text.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>

namespace pando {

// ---- detail ----

namespace detail {

void throw_out_of_memory(std::size_t bytes) {
  throw Error(fmt::format("out of memory: could not allocate {} bytes for a column", bytes));
}

void ValidityBuilder::grow(std::size_t word) {
  std::size_t old = words_.size();
  words_.resize(std::max(word + 1, old * 2));
  std::memset(words_.data() + old, 0, (words_.size() - old) * 8);
}

void ValidityBuilder::materialize() {
  materialized_ = true;
  std::size_t full = n_ >> 6;
  grow(std::max<std::size_t>(full + 1, 16));
  std::memset(words_.data(), 0xff, full * 8);
  if (n_ & 63) words_[full] = (std::uint64_t{1} << (n_ & 63)) - 1;
}

void ValidityBuilder::truncate(std::size_t n) {
  if (n >= n_) return;
  if (materialized_) {
    for (std::size_t i = n; i < n_; ++i)
      if (!(words_[i >> 6] >> (i & 63) & 1)) --nulls_;
    for (std::size_t i = n; i < n_; ++i) words_[i >> 6] &= ~(std::uint64_t{1} << (i & 63));
  }
  n_ = n;
}

Buffer ValidityBuilder::finish() {
  Buffer out;
  if (materialized_ && nulls_ > 0) {
    std::size_t words = (n_ + 63) / 64;
    if (words_.size() < words) grow(words - 1);
    if (n_ & 63) words_[words - 1] &= (std::uint64_t{1} << (n_ & 63)) - 1;  // zero tail bits
    out = words_.release(words);
  }
  words_ = RawVec<std::uint64_t>();
  n_ = nulls_ = 0;
  materialized_ = false;
  return out;
}

}  // namespace detail

namespace {

using detail::RawVec;
using detail::validity_bytes;

// Bits [pos, pos + 64) of a bitmap of `nwords` words (zeros past its end).
std::uint64_t load_bits(const std::uint64_t* w, std::size_t nwords, std::size_t pos) noexcept {
  std::size_t i = pos >> 6, sh = pos & 63;
  std::uint64_t v = i < nwords ? w[i] >> sh : 0;
  if (sh && i + 1 < nwords) v |= w[i + 1] << (64 - sh);
  return v;
}

// ORs `n` bits of `src` (from bit `s`; all ones when src is empty) into `dst` at bit `d`.
void or_bits(std::span<const std::uint64_t> src, std::size_t s, std::uint64_t* dst, std::size_t d,
             std::size_t n) noexcept {
  for (std::size_t k = 0; k < n; k += 64) {
    std::size_t len = std::min<std::size_t>(64, n - k);
    std::uint64_t w = src.empty() ? ~std::uint64_t{0} : load_bits(src.data(), src.size(), s + k);
    if (len < 64) w &= (std::uint64_t{1} << len) - 1;
    std::size_t pos = d + k, wi = pos >> 6, sh = pos & 63;
    dst[wi] |= w << sh;
    if (sh && ((pos + len - 1) >> 6) > wi) dst[wi + 1] |= w >> (64 - sh);
  }
}

std::size_t count_valid(std::span<const std::uint64_t> words) noexcept {
  std::size_t n = 0;
  for (auto w : words) n += static_cast<std::size_t>(std::popcount(w));
  return n;
}

template <class T>
Buffer vector_buffer(std::vector<T> v) {
  if (v.empty()) return {};
  auto owner = std::make_shared<std::vector<T>>(std::move(v));
  return Buffer::wrap(owner, owner->data(), owner->size() * sizeof(T));
}

// A validity bitmap from a vector<bool> (empty when `valid` is empty or all true).
Buffer bitmap_of(const std::vector<bool>& valid, std::size_t n, std::size_t& nulls) {
  nulls = 0;
  if (valid.empty()) return {};
  if (valid.size() != n)
    throw ValueError(
        fmt::format("a validity mask of {} entries for a column of {} values", valid.size(), n));
  Buffer b = Buffer::zeros(validity_bytes(n));
  auto* w = b.as_mutable<std::uint64_t>().data();
  for (std::size_t i = 0; i < n; ++i) {
    if (valid[i])
      w[i >> 6] |= std::uint64_t{1} << (i & 63);
    else
      ++nulls;
  }
  return nulls ? b : Buffer{};
}

const char* storage_name(DType t) {
  switch (t) {
    case DType::boolean:
      return "std::uint8_t or bool";
    case DType::int32:
      return "std::int32_t";
    case DType::int64:
    case DType::timestamp:
      return "std::int64_t";
    case DType::float32:
      return "float";
    case DType::float64:
      return "double";
    case DType::string:
      return "offsets()/string_at()";
    case DType::uint64:  // arrays only (core/dtype.hpp)
      break;
  }
  return "?";
}

bool aligned(const Buffer& b, std::size_t a) {
  return reinterpret_cast<std::uintptr_t>(b.data()) % a == 0;
}

}  // namespace

// ---- making columns ----

Column Column::make(DType type, std::size_t n, std::size_t null_count, Buffer validity, Buffer data,
                    Buffer chars) {
  Column c;
  c.type_ = type;
  c.size_ = n;
  c.null_count_ = null_count;
  if (null_count) c.validity_ = std::move(validity);
  c.data_ = std::move(data);
  c.chars_ = std::move(chars);
  if (type == DType::string && c.data_.empty()) c.data_ = Buffer::zeros(sizeof(std::int64_t));
  return c;
}

template <class T>
Column Column::from_values(std::vector<T> values, const std::vector<bool>& valid) {
  static_assert(!std::is_same_v<T, bool>, "use Column::from_bools");
  const std::size_t n = values.size();
  std::size_t nulls = 0;
  Buffer bits = bitmap_of(valid, n, nulls);
  if (nulls)
    for (std::size_t i = 0; i < n; ++i)
      if (!valid[i]) values[i] = T{};
  return make(dtype_of<T>(), n, nulls, std::move(bits), vector_buffer(std::move(values)), {});
}

template Column Column::from_values(std::vector<std::int32_t>, const std::vector<bool>&);
template Column Column::from_values(std::vector<std::int64_t>, const std::vector<bool>&);
template Column Column::from_values(std::vector<float>, const std::vector<bool>&);
template Column Column::from_values(std::vector<double>, const std::vector<bool>&);

Column Column::from_bools(const std::vector<bool>& values, const std::vector<bool>& valid) {
  const std::size_t n = values.size();
  std::size_t nulls = 0;
  Buffer bits = bitmap_of(valid, n, nulls);
  Buffer data = Buffer::allocate(n);
  auto* d = data.as_mutable<std::uint8_t>().data();
  for (std::size_t i = 0; i < n; ++i) d[i] = values[i] && (!nulls || valid[i]);
  return make(DType::boolean, n, nulls, std::move(bits), std::move(data), {});
}

Column Column::from_timestamps(std::vector<std::int64_t> ns, const std::vector<bool>& valid) {
  Column c = from_values(std::move(ns), valid);
  c.type_ = DType::timestamp;
  return c;
}

Column Column::from_strings(const std::vector<std::optional<std::string>>& values) {
  StringColumnBuilder b;
  std::size_t bytes = 0;
  for (const auto& v : values) bytes += v ? v->size() : 0;
  b.reserve(values.size(), bytes);
  for (const auto& v : values) v ? b.append(*v) : b.append_null();
  return b.finish();
}

Column Column::from_strings(const std::vector<std::string>& values) {
  StringColumnBuilder b;
  std::size_t bytes = 0;
  for (const auto& v : values) bytes += v.size();
  b.reserve(values.size(), bytes);
  for (const auto& v : values) b.append(v);
  return b.finish();
}

Column Column::nulls(DType type, std::size_t n) {
  Buffer bits = Buffer::zeros(validity_bytes(n));
  if (type == DType::string)
    return make(type, n, n, std::move(bits), Buffer::zeros((n + 1) * 8), {});
  return make(type, n, n, std::move(bits), Buffer::zeros(n * element_size(type)), {});
}

Column Column::from_buffers(DType type, std::size_t n, Buffer validity, Buffer data, Buffer chars) {
  // Validity: our padded form, tail bits zero; a shorter Arrow bitmap (ceil(n/8) bytes) or a
  // dirty tail is copied into it.
  std::size_t nulls = 0;
  if (!validity.empty()) {
    if (validity.size() < (n + 7) / 8)
      throw ValueError(
          fmt::format("a validity bitmap of {} bytes for a column of {} rows", validity.size(), n));
    bool tail_dirty = false;
    if (validity.size() >= validity_bytes(n) && aligned(validity, 8)) {
      auto w = validity.as<std::uint64_t>();
      tail_dirty = (n & 63) && (w[n >> 6] >> (n & 63)) != 0;
    }
    if (validity.size() < validity_bytes(n) || !aligned(validity, 8) || tail_dirty) {
      Buffer fixed = Buffer::zeros(validity_bytes(n));
      std::memcpy(fixed.mutable_data(), validity.data(), (n + 7) / 8);
      auto* w = fixed.as_mutable<std::uint64_t>().data();
      if (n & 63) w[n >> 6] &= (std::uint64_t{1} << (n & 63)) - 1;
      validity = std::move(fixed);
    }
    validity = validity.slice(0, validity_bytes(n));
    nulls = n - count_valid(validity.as<std::uint64_t>());
  }
  if (type == DType::string) {
    if (data.size() < (n + 1) * 8)
      throw ValueError(fmt::format("a string column of {} rows needs {} offset bytes, got {}", n,
                                   (n + 1) * 8, data.size()));
    if (!aligned(data, 8)) data = Buffer::copy_of(data.bytes());
    data = data.slice(0, (n + 1) * 8);
    auto off = data.as<std::int64_t>();
    for (std::size_t i = 0; i < n; ++i)
      if (off[i + 1] < off[i])
        throw ValueError(fmt::format("string offsets decrease at row {}", i));
    if (off[0] < 0 || static_cast<std::size_t>(off[n]) > chars.size())
      throw ValueError(
          fmt::format("string offsets [{}, {}] outside {} bytes", off[0], off[n], chars.size()));
    if (off[0] != 0) {  // rebase
      Buffer rebased = Buffer::allocate((n + 1) * 8);
      auto* r = rebased.as_mutable<std::int64_t>().data();
      for (std::size_t i = 0; i <= n; ++i) r[i] = off[i] - off[0];
      chars =
          chars.slice(static_cast<std::size_t>(off[0]), static_cast<std::size_t>(off[n] - off[0]));
      data = std::move(rebased);
    } else {
      chars = chars.slice(0, static_cast<std::size_t>(off[n]));
    }
    return make(type, n, nulls, std::move(validity), std::move(data), std::move(chars));
  }
  const std::size_t es = element_size(type);
  if (data.size() < n * es)
    throw ValueError(fmt::format("a {} column of {} rows needs {} bytes, got {}", to_string(type),
                                 n, n * es, data.size()));
  if (!aligned(data, es)) data = Buffer::copy_of(data.bytes().first(n * es));
  return make(type, n, nulls, std::move(validity), data.slice(0, n * es), {});
}

Column Column::from_dictionary(Column dictionary, std::size_t n, Buffer validity, Buffer codes) {
  if (dictionary.type() != DType::string || dictionary.is_dictionary() || dictionary.null_count())
    throw ValueError("a dictionary must be a plain string column without nulls");
  Column c = from_buffers(DType::int32, n, std::move(validity), std::move(codes));
  const auto k = static_cast<std::int64_t>(dictionary.size());
  auto v = c.data_.as<std::int32_t>();
  for (std::size_t i = 0; i < n; ++i)
    if ((v[i] < 0 || v[i] >= k) && c.is_valid(i))
      throw ValueError(
          fmt::format("code {} at row {} is outside a dictionary of {} strings", v[i], i, k));
  c.type_ = DType::string;
  c.dictionary_ = std::make_shared<const Column>(std::move(dictionary));
  return c;
}

const Column& Column::dictionary() const {
  if (!dictionary_) throw TypeError("this column is not dictionary-encoded");
  return *dictionary_;
}

Column Column::codes_column() const {
  Column c = *this;
  c.type_ = DType::int32;
  c.dictionary_.reset();
  return c;
}

Column Column::with_codes(const Column& codes) const {
  Column c = codes;
  c.type_ = DType::string;
  c.dictionary_ = dictionary_;
  return c;
}

std::vector<std::int64_t> Column::dictionary_rows(std::int64_t for_null) const {
  const auto code = codes();
  std::vector<std::int64_t> rows(size_);
  for (std::size_t i = 0; i < size_; ++i) rows[i] = is_valid(i) ? code[i] : for_null;
  return rows;
}

Column Column::decoded() const {
  if (!dictionary_) return *this;
  return dictionary_->take(dictionary_rows(-1));
}

Column Column::dictionary_encoded() const {
  if (dictionary_) return *this;
  if (type_ != DType::string)
    throw TypeError(
        fmt::format("only strings can be dictionary-encoded, not {}", to_string(type_)));
  detail::DictionaryBuilder dict;
  Buffer codes = Buffer::allocate(size_ * sizeof(std::int32_t));
  auto* c = codes.as_mutable<std::int32_t>().data();
  for (std::size_t i = 0; i < size_; ++i) c[i] = is_valid(i) ? dict.intern(string_at(i)) : 0;
  return from_dictionary(dict.finish(), size_, validity_, std::move(codes));
}

void Column::check_values_type(std::size_t size, char kind) const {
  bool ok = false;
  switch (type_) {
    case DType::boolean:
      ok = kind == 'b';
      break;
    case DType::int32:
      ok = kind == 'i' && size == 4;
      break;
    case DType::int64:
    case DType::timestamp:
      ok = kind == 'i' && size == 8;
      break;
    case DType::float32:
      ok = kind == 'f' && size == 4;
      break;
    case DType::float64:
      ok = kind == 'f' && size == 8;
      break;
    case DType::string:
      ok = kind == 's';
      if (ok && dictionary_)
        throw TypeError(
            "this string column is dictionary-encoded: read it with string_at(), with codes() "
            "and dictionary(), or make it plain with decoded()");
      break;
    case DType::uint64:  // arrays only (core/dtype.hpp)
      break;
  }
  if (!ok)
    throw TypeError(fmt::format("this column holds {} (read it with {})", to_string(type_),
                                storage_name(type_)));
}

// ---- operations ----

Column Column::slice(std::size_t offset, std::size_t length) const {
  if (offset > size_ || length > size_ - offset)
    throw ValueError(fmt::format("rows [{}, {}) lie outside a column of {} rows", offset,
                                 offset + length, size_));
  if (dictionary_) return with_codes(codes_column().slice(offset, length));
  Buffer bits;
  std::size_t nulls = 0;
  if (null_count_) {
    bits = Buffer::zeros(validity_bytes(length));
    or_bits(validity_words(), offset, bits.as_mutable<std::uint64_t>().data(), 0, length);
    nulls = length - count_valid(bits.as<std::uint64_t>());
  }
  if (type_ == DType::string) {
    auto off = data_.as<std::int64_t>();
    Buffer o = Buffer::allocate((length + 1) * 8);
    auto* r = o.as_mutable<std::int64_t>().data();
    for (std::size_t i = 0; i <= length; ++i) r[i] = off[offset + i] - off[offset];
    Buffer ch = chars_.slice(static_cast<std::size_t>(off[offset]),
                             static_cast<std::size_t>(off[offset + length] - off[offset]));
    return make(type_, length, nulls, std::move(bits), std::move(o), std::move(ch));
  }
  const std::size_t es = element_size(type_);
  return make(type_, length, nulls, std::move(bits), data_.slice(offset * es, length * es), {});
}

namespace {

// Rows `idx` of `c` (-1 gives null); indices already checked.
Column gather(const Column& c, std::span<const std::int64_t> idx, bool may_have_minus_one) {
  const std::size_t m = idx.size();
  const bool need_bits = c.null_count() > 0 || may_have_minus_one;
  Buffer bits;
  std::size_t nulls = 0;
  if (need_bits) {
    bits = Buffer::zeros(validity_bytes(m));
    auto* w = bits.as_mutable<std::uint64_t>().data();
    for (std::size_t k = 0; k < m; ++k) {
      std::int64_t i = idx[k];
      bool v = i >= 0 && c.is_valid(static_cast<std::size_t>(i));
      w[k >> 6] |= std::uint64_t{v} << (k & 63);
      nulls += !v;
    }
  }
  if (c.type() == DType::string) {
    auto off = c.offsets();
    const char* src = reinterpret_cast<const char*>(c.chars().data());
    Buffer o = Buffer::allocate((m + 1) * 8);
    auto* r = o.as_mutable<std::int64_t>().data();
    r[0] = 0;
    for (std::size_t k = 0; k < m; ++k) {
      std::int64_t i = idx[k];
      r[k + 1] =
          r[k] +
          (i >= 0 ? off[static_cast<std::size_t>(i) + 1] - off[static_cast<std::size_t>(i)] : 0);
    }
    Buffer ch = Buffer::allocate(static_cast<std::size_t>(r[m]));
    char* dst = reinterpret_cast<char*>(ch.mutable_data());
    for (std::size_t k = 0; k < m; ++k) {
      std::int64_t i = idx[k];
      if (i < 0 || r[k + 1] == r[k]) continue;  // (all empty: dst may be null)
      std::memcpy(dst + r[k], src + off[static_cast<std::size_t>(i)],
                  static_cast<std::size_t>(r[k + 1] - r[k]));
    }
    return Column::from_buffers(DType::string, m, std::move(bits), std::move(o), std::move(ch));
  }
  Buffer data = visit<fixed_width_column_dtypes>(c.type(), [&](auto zero) {
    using T = decltype(zero);
    Buffer out = Buffer::allocate(m * sizeof(T));
    auto* d = out.template as_mutable<T>().data();
    const T* s = c.data().as<T>().data();
    if (may_have_minus_one) {
      for (std::size_t k = 0; k < m; ++k) d[k] = idx[k] >= 0 ? s[idx[k]] : T{};
    } else {
      for (std::size_t k = 0; k < m; ++k) d[k] = s[idx[k]];
    }
    return out;
  });
  return Column::from_buffers(c.type(), m, std::move(bits), std::move(data));
}

}  // namespace

Column Column::filter(const Column& mask) const {
  if (mask.type() != DType::boolean)
    throw TypeError(
        fmt::format("a filter mask must be a bool column, not {}", to_string(mask.type())));
  if (mask.size() != size_)
    throw ShapeError(
        fmt::format("a filter mask of {} rows for a column of {} rows", mask.size(), size_));
  // The selection: mask true and valid, one byte per row.
  const std::uint8_t* m = mask.values<std::uint8_t>().data();
  std::vector<std::uint8_t> sel;
  if (mask.null_count()) {
    sel.resize(size_);
    for (std::size_t i = 0; i < size_; ++i) sel[i] = m[i] && mask.is_valid(i);
    m = sel.data();
  }
  std::size_t count = 0;
  for (std::size_t i = 0; i < size_; ++i) count += m[i] != 0;
  if (count == size_) return *this;
  if (dictionary_) return with_codes(codes_column().filter(mask));
  if (type_ == DType::string) {
    std::vector<std::int64_t> idx;
    idx.reserve(count);
    for (std::size_t i = 0; i < size_; ++i)
      if (m[i]) idx.push_back(static_cast<std::int64_t>(i));
    return gather(*this, idx, false);
  }
  // Fixed width: branch-free compaction (every row is written, the next one overwrites it
  // unless selected; one slot of slack takes the last write).
  Buffer bits;
  std::size_t nulls = 0;
  if (null_count_) {
    bits = Buffer::zeros(validity_bytes(count));
    auto* w = bits.as_mutable<std::uint64_t>().data();
    std::size_t k = 0;
    for (std::size_t i = 0; i < size_; ++i) {
      if (!m[i]) continue;
      const bool v = is_valid(i);
      w[k >> 6] |= std::uint64_t{v} << (k & 63);
      nulls += !v;
      ++k;
    }
  }
  Buffer data = visit<fixed_width_column_dtypes>(type_, [&](auto zero) {
    using T = decltype(zero);
    Buffer out = Buffer::allocate((count + 1) * sizeof(T));
    T* d = out.template as_mutable<T>().data();
    const T* src = data_.as<T>().data();
    std::size_t k = 0;
    for (std::size_t i = 0; i < size_; ++i) {
      d[k] = src[i];
      k += m[i] != 0;
    }
    return out.slice(0, count * sizeof(T));
  });
  return make(type_, count, nulls, std::move(bits), std::move(data), {});
}

Column Column::take(std::span<const std::int64_t> indices) const {
  bool minus_one = false;
  for (std::size_t k = 0; k < indices.size(); ++k) {
    std::int64_t i = indices[k];
    if (i == -1) {
      minus_one = true;
    } else if (i < 0 || static_cast<std::size_t>(i) >= size_) {
      throw ValueError(fmt::format("take: index {} (at position {}) is outside a column of {} rows",
                                   i, k, size_));
    }
  }
  if (dictionary_) return with_codes(gather(codes_column(), indices, minus_one));
  return gather(*this, indices, minus_one);
}

Column Column::concat(std::span<const Column> parts) {
  if (parts.empty()) return Column();
  const DType t = parts[0].type();
  std::size_t n = 0, nulls = 0, bytes = 0;
  for (std::size_t k = 0; k < parts.size(); ++k) {
    if (parts[k].type() != t)
      throw TypeError(fmt::format("cannot concatenate a {} column with a {} column (part {})",
                                  to_string(t), to_string(parts[k].type()), k));
  }
  if (parts.size() == 1) return parts[0];
  if (t == DType::string &&
      std::any_of(parts.begin(), parts.end(), [](const Column& p) { return p.is_dictionary(); }))
    return concat_strings(parts);
  for (const auto& p : parts) {
    n += p.size();
    nulls += p.null_count();
    if (t == DType::string) bytes += p.chars().size();
  }
  Buffer bits;
  if (nulls) {
    bits = Buffer::zeros(validity_bytes(n));
    auto* w = bits.as_mutable<std::uint64_t>().data();
    std::size_t at = 0;
    for (const auto& p : parts) {
      or_bits(p.validity_words(), 0, w, at, p.size());
      at += p.size();
    }
  }
  if (t == DType::string) {
    Buffer o = Buffer::allocate((n + 1) * 8);
    Buffer ch = Buffer::allocate(bytes);
    auto* r = o.as_mutable<std::int64_t>().data();
    char* dst = reinterpret_cast<char*>(ch.mutable_data());
    r[0] = 0;
    std::size_t row = 0;
    std::int64_t base = 0;
    for (const auto& p : parts) {
      auto off = p.offsets();
      for (std::size_t i = 1; i <= p.size(); ++i) r[row + i] = base + off[i];
      if (!p.chars().empty()) std::memcpy(dst + base, p.chars().data(), p.chars().size());
      row += p.size();
      base += static_cast<std::int64_t>(p.chars().size());
    }
    return make(t, n, nulls, std::move(bits), std::move(o), std::move(ch));
  }
  const std::size_t es = element_size(t);
  Buffer data = Buffer::allocate(n * es);
  std::size_t at = 0;
  for (const auto& p : parts) {
    if (p.size()) std::memcpy(data.mutable_data() + at, p.data().data(), p.size() * es);
    at += p.size() * es;
  }
  return make(t, n, nulls, std::move(bits), std::move(data), {});
}

// Parts of which some are dictionary-encoded: encoded with one dictionary (the parts' merged in
// order) when all are and they share few distinct values; plain otherwise.
Column Column::concat_strings(std::span<const Column> parts) {
  const bool all_encoded =
      std::all_of(parts.begin(), parts.end(), [](const Column& p) { return p.is_dictionary(); });
  std::size_t n = 0, distinct = 0;
  bool one_dictionary = true;
  for (const auto& p : parts) {
    n += p.size();
    if (p.is_dictionary()) {
      distinct += p.dictionary().size();
      one_dictionary = one_dictionary && p.dictionary_ == parts[0].dictionary_;
    }
  }
  std::vector<Column> codes;
  if (all_encoded && one_dictionary) {
    for (const auto& p : parts) codes.push_back(p.codes_column());
    return parts[0].with_codes(concat(codes));
  }
  if (!all_encoded || !detail::encoding_pays(distinct, n)) {
    std::vector<Column> plain;
    for (const auto& p : parts) plain.push_back(p.decoded());
    return concat(plain);
  }
  detail::DictionaryBuilder dict;
  codes.resize(parts.size());
  for (std::size_t k = 0; k < parts.size(); ++k) {
    const Column& d = parts[k].dictionary();
    std::vector<std::int32_t> remap(d.size());
    for (std::size_t j = 0; j < d.size(); ++j) remap[j] = dict.intern(d.string_at(j));
    Buffer out = Buffer::allocate(parts[k].size() * sizeof(std::int32_t));
    auto* o = out.as_mutable<std::int32_t>().data();
    const auto in = parts[k].codes();
    for (std::size_t i = 0; i < in.size(); ++i)
      o[i] = parts[k].is_valid(i) ? remap[static_cast<std::size_t>(in[i])] : 0;
    codes[k] = from_buffers(DType::int32, in.size(), parts[k].validity(), std::move(out));
  }
  Column merged = concat(codes);
  return from_dictionary(dict.finish(), n, merged.validity(), merged.data());
}

namespace {

template <class To, class From>
Buffer convert_values(std::span<const From> in, const Column& c, DType to) {
  Buffer out = Buffer::allocate(in.size() * sizeof(To));
  auto* d = out.as_mutable<To>().data();
  for (std::size_t i = 0; i < in.size(); ++i) {
    From v = in[i];
    if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To> &&
                  !std::is_same_v<To, bool>) {
      if (c.is_valid(i)) {
        if (!std::isfinite(v) || v != std::trunc(v) ||
            v < static_cast<From>(std::numeric_limits<To>::min()) ||
            v >= -static_cast<From>(std::numeric_limits<To>::min()))
          throw ValueError(fmt::format("cannot cast {} to {} (row {})",
                                       format_double(static_cast<double>(v)), to_string(to), i));
      }
      d[i] = c.is_valid(i) ? static_cast<To>(v) : To{};
    } else if constexpr (std::is_same_v<To, bool>) {
      d[i] = v != From{};
    } else if constexpr (std::is_integral_v<From> && std::is_integral_v<To> &&
                         (sizeof(To) < sizeof(From))) {
      if (v < static_cast<From>(std::numeric_limits<To>::min()) ||
          v > static_cast<From>(std::numeric_limits<To>::max()))
        throw ValueError(
            fmt::format("cannot cast {} to {} (row {}): out of range", v, to_string(to), i));
      d[i] = static_cast<To>(v);
    } else {
      d[i] = static_cast<To>(v);
    }
  }
  return out;
}

}  // namespace

Column Column::cast(DType to) const {
  if (to == type_) return *this;
  if ((type_ == DType::int64 && to == DType::timestamp) ||
      (type_ == DType::timestamp && to == DType::int64)) {
    Column c = *this;
    c.type_ = to;
    return c;
  }
  if (to == DType::string) {
    StringColumnBuilder b;
    char buf[max_formatted_chars];
    TimePrecision prec = TimePrecision::date;
    if (type_ == DType::timestamp) {
      auto v = values<std::int64_t>();
      for (std::size_t i = 0; i < size_; ++i)
        if (is_valid(i)) prec = std::max(prec, timestamp_precision(v[i]));
    }
    for (std::size_t i = 0; i < size_; ++i) {
      if (!is_valid(i)) {
        b.append_null();
        continue;
      }
      char* end = buf;
      switch (type_) {
        case DType::boolean:
          b.append(format_bool(data_.as<std::uint8_t>()[i] != 0));
          continue;
        case DType::int32:
          end = std::to_chars(buf, buf + sizeof buf, data_.as<std::int32_t>()[i]).ptr;
          break;
        case DType::int64:
          end = std::to_chars(buf, buf + sizeof buf, data_.as<std::int64_t>()[i]).ptr;
          break;
        case DType::float32:
          end = format_float(data_.as<float>()[i], buf);
          break;
        case DType::float64:
          end = format_double(data_.as<double>()[i], buf);
          break;
        case DType::timestamp:
          end = format_timestamp(data_.as<std::int64_t>()[i], prec, buf);
          break;
        case DType::string:
        case DType::uint64:  // arrays only (core/dtype.hpp)
          break;
      }
      b.append({buf, static_cast<std::size_t>(end - buf)});
    }
    return b.finish();
  }
  auto convertible = [](DType t) { return t == DType::boolean || is_numeric(t); };
  if (!convertible(type_) || !convertible(to))
    throw TypeError(fmt::format("cannot cast a {} column to {}", to_string(type_), to_string(to)));
  Buffer data = visit<fixed_width_column_dtypes>(type_, [&](auto from_zero) {
    using From = decltype(from_zero);
    return visit<fixed_width_column_dtypes>(to, [&](auto to_zero) {
      using To = decltype(to_zero);
      return convert_values<To>(data_.as<From>().first(size_), *this, to);
    });
  });
  return make(to, size_, null_count_, validity_, std::move(data), {});
}

bool Column::equals(const Column& o) const {
  if (type_ != o.type_ || size_ != o.size_ || null_count_ != o.null_count_) return false;
  for (std::size_t i = 0; i < size_; ++i)
    if (is_valid(i) != o.is_valid(i)) return false;
  if (type_ == DType::string) {
    for (std::size_t i = 0; i < size_; ++i)
      if (is_valid(i) && string_at(i) != o.string_at(i)) return false;
    return true;
  }
  return visit<fixed_width_column_dtypes>(type_, [&](auto zero) {
    using T = decltype(zero);
    auto a = data_.as<T>(), b = o.data_.as<T>();
    for (std::size_t i = 0; i < size_; ++i) {
      if (!is_valid(i)) continue;
      if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(a[i]) && std::isnan(b[i])) continue;
      }
      if (a[i] != b[i]) return false;
    }
    return true;
  });
}

std::size_t Column::nbytes() const noexcept {
  return validity_.size() + data_.size() + chars_.size() +
         (dictionary_ ? dictionary_->nbytes() : 0);
}

// ---- builders ----

template <class T>
ColumnBuilder<T>::ColumnBuilder(DType type) : type_(type) {
  if (type != dtype_of<T>() && !(type == DType::timestamp && std::is_same_v<T, std::int64_t>))
    throw TypeError(fmt::format("a ColumnBuilder of {}-byte values cannot build a {} column",
                                sizeof(Stored), to_string(type)));
}

template <class T>
Column ColumnBuilder<T>::finish() {
  const std::size_t n = values_.size();
  Buffer bits = valid_.finish();
  return Column::from_buffers(type_, n, std::move(bits), values_.release());
}

template class ColumnBuilder<bool>;
template class ColumnBuilder<std::int32_t>;
template class ColumnBuilder<std::int64_t>;
template class ColumnBuilder<float>;
template class ColumnBuilder<double>;

StringColumnBuilder::StringColumnBuilder() { offsets_.push_back(0); }

void StringColumnBuilder::reserve(std::size_t rows, std::size_t bytes) {
  offsets_.reserve(rows + 1);
  chars_.reserve(bytes);
}

Column StringColumnBuilder::finish() {
  const std::size_t n = offsets_.size() - 1;
  Buffer bits = valid_.finish();
  Buffer chars = chars_.release();
  Buffer offs = offsets_.release();
  offsets_.push_back(0);
  return Column::from_buffers(DType::string, n, std::move(bits), std::move(offs), std::move(chars));
}

// ---- codec ----

namespace {

struct ColumnHead {
  std::uint8_t version;
  std::uint8_t dtype;
  std::uint8_t has_validity;
  std::uint8_t dictionary;  // codes, then the dictionary's offsets and bytes, follow the bitmap
  std::uint8_t pad[4];
  std::uint64_t size;
  std::uint64_t null_count;
};
static_assert(sizeof(ColumnHead) == 24);
constexpr std::uint8_t codec_version = 2;

}  // namespace

namespace detail {

void encode_column(const Column& c, Bytes& meta, std::vector<Buffer>& buffers) {
  ColumnHead h{codec_version,
               static_cast<std::uint8_t>(c.type()),
               static_cast<std::uint8_t>(c.null_count() > 0),
               static_cast<std::uint8_t>(c.is_dictionary()),
               {},
               c.size(),
               c.null_count()};
  const auto* p = reinterpret_cast<const std::byte*>(&h);
  meta.insert(meta.end(), p, p + sizeof h);
  if (c.null_count()) buffers.push_back(c.validity());
  buffers.push_back(c.data());
  if (c.is_dictionary()) {
    buffers.push_back(c.dictionary().data());
    buffers.push_back(c.dictionary().chars());
  } else if (c.type() == DType::string) {
    buffers.push_back(c.chars());
  }
}

Column decode_column(const std::byte*& meta, const std::byte* meta_end,
                     const std::vector<Buffer>& buffers, std::size_t& next) {
  ColumnHead h;
  if (meta_end - meta < static_cast<std::ptrdiff_t>(sizeof h))
    throw ValueError("received a truncated column header");
  std::memcpy(&h, meta, sizeof h);
  meta += sizeof h;
  if (h.version != codec_version || h.dtype > static_cast<std::uint8_t>(DType::timestamp))
    throw ValueError(fmt::format("received a column in an unknown format (version {}, type {})",
                                 h.version, h.dtype));
  const auto type = static_cast<DType>(h.dtype);
  const bool dictionary = h.dictionary != 0 && type == DType::string;
  const std::size_t need = (h.has_validity ? 1u : 0u) + 1u +
                           (dictionary              ? 2u
                            : type == DType::string ? 1u
                                                    : 0u);
  if (next + need > buffers.size())
    throw ValueError(fmt::format("received a column without its buffers ({} of {})",
                                 buffers.size() - next, need));
  Buffer validity = h.has_validity ? buffers[next++] : Buffer{};
  Buffer data = buffers[next++];
  Column c;
  if (dictionary) {
    Buffer offsets = buffers[next++];
    Buffer chars = buffers[next++];
    const std::size_t k = offsets.size() / sizeof(std::int64_t);
    if (k == 0) throw ValueError("received a dictionary without its offsets");
    c = Column::from_dictionary(
        Column::from_buffers(DType::string, k - 1, {}, std::move(offsets), std::move(chars)),
        h.size, std::move(validity), std::move(data));
  } else {
    Buffer chars = type == DType::string ? buffers[next++] : Buffer{};
    c = Column::from_buffers(type, h.size, std::move(validity), std::move(data), std::move(chars));
  }
  if (c.null_count() != h.null_count)
    throw ValueError(fmt::format("received a column whose bitmap has {} nulls, header says {}",
                                 c.null_count(), h.null_count));
  return c;
}

}  // namespace detail

Encoded Codec<Column>::encode(const Column& c, const std::shared_ptr<const void>&) {
  Encoded e;
  e.type = type_tag<Column>();
  detail::encode_column(c, e.meta, e.buffers);
  return e;
}

Column Codec<Column>::decode(const Encoded& e) {
  const std::byte* p = e.meta.data();
  std::size_t next = 0;
  return detail::decode_column(p, p + e.meta.size(), e.buffers, next);
}

}  // namespace pando
