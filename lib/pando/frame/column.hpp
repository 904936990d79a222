#pragma once
// Column: one typed, immutable column of a table partition, in Arrow's layout
// (docs/architecture.md §4.4; storage conventions in core/dtype.hpp).
//
//   fixed width (bool, int32, int64, float32, float64, timestamp)
//     data      n values (bool: one byte 0/1; timestamp: int64 ns). A null's slot holds 0 in
//               every column Pando makes, so kernels may read it without a branch.
//   string
//     data      n + 1 int64 offsets, offsets[0] == 0, non-decreasing
//     chars     UTF-8 bytes, exactly offsets[n] of them; string i is [offsets[i], offsets[i+1])
//   dictionary-encoded string (low-cardinality keys: a category, a customer id)
//     data      n int32 codes into dictionary(), a plain string column of distinct values
//               without nulls; a null row's code is 0 and is never looked up
//   validity    empty when there are no nulls; otherwise a bitmap (bit i of byte i/8, least
//               significant first, 1 = valid) padded to whole 64-bit words with zero tail bits,
//               so kernels walk it 64 rows at a time (docs/architecture.md §8).
//
// Dictionary encoding is a storage choice, not a type: the column's type is string, its values
// and every result computed from it are those of the plain column (decoded()). The CSV reader
// encodes a string column while it pays (the rule is in csv/parse.cpp, Parser::pays); kernels
// that profit look at codes() and dictionary() (an expression over one such column is
// evaluated once per distinct value, frame/dataframe.cpp), the others read string_at() or
// decoded().
//
// Copies share the buffers (a Column is a few shared pointers); every operation returns a new
// Column. slice() shares the values; filter/take/concat make new buffers.

#include <pando/core/buffer.hpp>
#include <pando/core/error.hpp>
#include <pando/core/dtype.hpp>
#include <pando/graph/value.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace pando {

namespace detail {

[[noreturn]] void throw_out_of_memory(std::size_t bytes);

// Growable storage that does not initialize what it grows, for builders and parsers; becomes a
// Buffer without a copy. The storage is a Buffer::allocate one, so that the columns of one
// partition after another reuse the memory of those freed before them (a fresh page costs a
// fault in a virtual machine, more than the parser spends filling it).
template <class T>
class RawVec {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  RawVec() = default;
  RawVec(const RawVec&) = delete;
  RawVec& operator=(const RawVec&) = delete;
  RawVec(RawVec&& o) noexcept : storage_(std::move(o.storage_)), p_(o.p_), n_(o.n_), cap_(o.cap_) {
    o.storage_ = Buffer(), o.p_ = nullptr, o.n_ = o.cap_ = 0;
  }
  RawVec& operator=(RawVec&& o) noexcept {
    if (this != &o) {
      storage_ = std::move(o.storage_);
      p_ = o.p_, n_ = o.n_, cap_ = o.cap_;
      o.storage_ = Buffer(), o.p_ = nullptr, o.n_ = o.cap_ = 0;
    }
    return *this;
  }
  ~RawVec() = default;

  [[nodiscard]] std::size_t size() const noexcept { return n_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return cap_; }
  [[nodiscard]] T* data() noexcept { return p_; }
  [[nodiscard]] const T* data() const noexcept { return p_; }
  T& operator[](std::size_t i) noexcept { return p_[i]; }
  const T& operator[](std::size_t i) const noexcept { return p_[i]; }
  [[nodiscard]] const T* begin() const noexcept { return p_; }
  [[nodiscard]] const T* end() const noexcept { return p_ + n_; }
  // Implicitly a span, as a std::vector is: to pass to take() and the like.
  operator std::span<const T>() const noexcept { return {p_, n_}; }

  void reserve(std::size_t n) {
    if (n > cap_) grow_to(n);
  }
  // Room for `extra` more elements; returns where they go (the caller then calls commit).
  T* extend(std::size_t extra) {
    if (n_ + extra > cap_) grow_to(std::max(n_ + extra, cap_ + cap_ / 2 + 16));
    return p_ + n_;
  }
  void commit(std::size_t extra) noexcept { n_ += extra; }
  void push_back(T v) {
    if (n_ == cap_) grow_to(cap_ + cap_ / 2 + 16);
    p_[n_++] = v;
  }
  void append(const T* v, std::size_t k) {
    if (k == 0) return;  // memcpy must not see the null pointer of an empty vector
    std::memcpy(extend(k), v, k * sizeof(T));
    n_ += k;
  }
  // Grows without initializing, or shrinks.
  void resize(std::size_t n) {
    reserve(n);
    n_ = n;
  }

  // The first `n` elements (n <= size()) as a Buffer; this becomes empty.
  Buffer release(std::size_t n) {
    if (n == 0) {
      *this = RawVec();
      return {};
    }
    if (cap_ > n + n / 8 + 64) grow_to(n);  // a right-sized copy, not a large unused tail
    Buffer out = storage_.slice(0, n * sizeof(T));
    *this = RawVec();
    return out;
  }
  Buffer release() { return release(n_); }

 private:
  // New storage for n elements holding the first min(n, capacity()) of the old: all of it, as
  // realloc would, since writers may fill slots past size() before they set it (the parser).
  void grow_to(std::size_t n);

  Buffer storage_;
  T* p_ = nullptr;
  std::size_t n_ = 0;
  std::size_t cap_ = 0;
};

template <class T>
void RawVec<T>::grow_to(std::size_t n) {
  Buffer next;
  try {
    next = Buffer::allocate(n * sizeof(T));
  } catch (const std::bad_alloc&) {
    throw_out_of_memory(n * sizeof(T));
  }
  if (cap_) std::memcpy(next.mutable_data(), p_, std::min(cap_, n) * sizeof(T));
  storage_ = std::move(next);
  p_ = reinterpret_cast<T*>(storage_.mutable_data());
  cap_ = n;
  n_ = std::min(n_, n);
}

// A validity bitmap built one row at a time; costs nothing until the first null.
class ValidityBuilder {
 public:
  void append_valid() {
    if (materialized_) set(n_, true);
    ++n_;
  }
  void append_null() {
    if (!materialized_) materialize();
    set(n_++, false);
    ++nulls_;
  }
  void append(bool valid) { valid ? append_valid() : append_null(); }
  [[nodiscard]] std::size_t size() const noexcept { return n_; }
  [[nodiscard]] std::size_t null_count() const noexcept { return nulls_; }
  // Drops rows from `n` on (a parser undoing a bad row).
  void truncate(std::size_t n);
  // The bitmap for the rows appended (empty when there was no null); resets the builder.
  Buffer finish();

 private:
  void materialize();
  void set(std::size_t i, bool v) {
    if ((i >> 6) >= words_.size()) grow(i >> 6);
    std::uint64_t bit = std::uint64_t{1} << (i & 63);
    if (v)
      words_[i >> 6] |= bit;
    else
      words_[i >> 6] &= ~bit;
  }
  void grow(std::size_t word);

  RawVec<std::uint64_t> words_;
  std::size_t n_ = 0;
  std::size_t nulls_ = 0;
  bool materialized_ = false;
};

// Bytes of a validity bitmap for n rows (whole 64-bit words).
constexpr std::size_t validity_bytes(std::size_t n) noexcept { return (n + 63) / 64 * 8; }

}  // namespace detail

class Column {
 public:
  // An empty int64 column.
  Column() = default;

  // ---- making columns ----

  // From values of a C++ element type (int32_t, int64_t, float, double); `valid` (same length,
  // or empty for no nulls) marks nulls with false.
  template <class T>
  static Column from_values(std::vector<T> values, const std::vector<bool>& valid = {});
  static Column from_bools(const std::vector<bool>& values, const std::vector<bool>& valid = {});
  static Column from_timestamps(std::vector<std::int64_t> ns, const std::vector<bool>& valid = {});
  static Column from_strings(const std::vector<std::optional<std::string>>& values);
  static Column from_strings(const std::vector<std::string>& values);
  // n nulls of a type.
  static Column nulls(DType type, std::size_t n);
  // Wraps buffers as they are (a codec, a reader), after checking their sizes against the
  // layout above: `data` holds values, or the offsets of a string column; `chars` the string
  // bytes. ValueError when they do not fit.
  static Column from_buffers(DType type, std::size_t n, Buffer validity, Buffer data,
                             Buffer chars = {});
  // A dictionary-encoded string column: `codes` holds n int32 indices into `dictionary` (a plain
  // string column without nulls). ValueError when a valid row's code is outside it.
  static Column from_dictionary(Column dictionary, std::size_t n, Buffer validity, Buffer codes);

  // ---- what it is ----

  [[nodiscard]] DType type() const noexcept { return type_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t null_count() const noexcept { return null_count_; }
  [[nodiscard]] bool is_valid(std::size_t i) const noexcept {
    return validity_.empty() ||
           (validity_.data()[i >> 3] & std::byte(1u << (i & 7))) != std::byte{0};
  }
  [[nodiscard]] bool is_null(std::size_t i) const noexcept { return !is_valid(i); }

  // The raw buffers (see the layout above).
  [[nodiscard]] const Buffer& validity() const noexcept { return validity_; }
  [[nodiscard]] const Buffer& data() const noexcept { return data_; }
  [[nodiscard]] const Buffer& chars() const noexcept { return chars_; }
  // The bitmap as 64-bit words (empty when no nulls).
  [[nodiscard]] std::span<const std::uint64_t> validity_words() const noexcept {
    return validity_.as<std::uint64_t>();
  }

  // Typed values of a fixed-width column: T is the storage type (std::uint8_t or bool for
  // bool, std::int64_t for int64 and timestamp). TypeError when T does not match.
  template <class T>
  [[nodiscard]] std::span<const T> values() const {
    check_values_type(sizeof(T), storage_kind<T>());
    return data_.as<T>().first(size_);
  }
  // Plain string columns (a dictionary-encoded one is a TypeError: see decoded()).
  [[nodiscard]] std::span<const std::int64_t> offsets() const {
    check_values_type(0, 's');
    return data_.as<std::int64_t>();
  }
  // Any string column (a null row gives "").
  [[nodiscard]] std::string_view string_at(std::size_t i) const {
    if (dictionary_)
      return is_valid(i) ? dictionary_->string_at(static_cast<std::size_t>(codes()[i]))
                         : std::string_view();
    auto off = data_.as<std::int64_t>();
    return {reinterpret_cast<const char*>(chars_.data()) + off[i],
            static_cast<std::size_t>(off[i + 1] - off[i])};
  }

  // ---- dictionary encoding ----

  [[nodiscard]] bool is_dictionary() const noexcept { return dictionary_ != nullptr; }
  // The distinct values and the rows' codes into them (TypeError for other columns).
  [[nodiscard]] const Column& dictionary() const;
  [[nodiscard]] std::span<const std::int32_t> codes() const noexcept {
    return data_.as<std::int32_t>().first(size_);
  }
  // Each row's index into dictionary() (`for_null` for a null row), for take().
  [[nodiscard]] std::vector<std::int64_t> dictionary_rows(std::int64_t for_null) const;
  // The same values with plain string storage (this column when it is not dictionary-encoded).
  [[nodiscard]] Column decoded() const;
  // The same values dictionary-encoded, codes in order of first appearance (this column when it
  // already is). TypeError for a column that is not a string column.
  [[nodiscard]] Column dictionary_encoded() const;

  // ---- operations (each returns a new column) ----

  // Rows [offset, offset + length): shares the values (strings: the bytes), copies the bitmap
  // and, for strings, the offsets (rebased to 0).
  [[nodiscard]] Column slice(std::size_t offset, std::size_t length) const;
  // The rows where `mask` (a bool column of the same length) is true; a null mask row is false.
  [[nodiscard]] Column filter(const Column& mask) const;
  // Rows by index; -1 gives a null (for joins). ValueError for an index out of range.
  [[nodiscard]] Column take(std::span<const std::int64_t> indices) const;
  // Rows of every part in turn; all parts of one type (TypeError otherwise).
  static Column concat(std::span<const Column> parts);
  // Converts: between bool and the numeric types (float to int needs integral values in range,
  // ValueError otherwise), int64 <-> timestamp (same bits), and anything to string (the text
  // write_csv writes). Nulls stay nulls. TypeError for other pairs.
  [[nodiscard]] Column cast(DType to) const;

  // Same type, length, nulls and values (floats: NaN equals NaN; null slots not compared).
  [[nodiscard]] bool equals(const Column& other) const;
  // Bytes held by the buffers.
  [[nodiscard]] std::size_t nbytes() const noexcept;

 private:
  template <class T>
  static constexpr char storage_kind() {
    if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::uint8_t>)
      return 'b';
    else if constexpr (std::is_integral_v<T>)
      return 'i';
    else
      return 'f';
  }
  void check_values_type(std::size_t size, char kind) const;
  static Column make(DType type, std::size_t n, std::size_t null_count, Buffer validity,
                     Buffer data, Buffer chars);

  // The codes as an int32 column with this column's nulls, and back (for the fixed-width
  // kernels that move rows).
  [[nodiscard]] Column codes_column() const;
  static Column concat_strings(std::span<const Column> parts);
  [[nodiscard]] Column with_codes(const Column& codes) const;

  DType type_ = DType::int64;
  std::size_t size_ = 0;
  std::size_t null_count_ = 0;
  Buffer validity_;
  Buffer data_;
  Buffer chars_;
  std::shared_ptr<const Column> dictionary_;  // dictionary-encoded strings only
};

// ---- builders: append a row at a time, no per-row allocation ----

// T: bool, std::int32_t, std::int64_t, float, double. `type` may be timestamp for int64_t.
template <class T>
class ColumnBuilder {
  using Stored = std::conditional_t<std::is_same_v<T, bool>, std::uint8_t, T>;

 public:
  explicit ColumnBuilder(DType type = dtype_of<T>());
  void reserve(std::size_t n) { values_.reserve(n); }
  void append(T v) {
    values_.push_back(static_cast<Stored>(v));
    valid_.append_valid();
  }
  void append_null() {
    values_.push_back(Stored{});
    valid_.append_null();
  }
  [[nodiscard]] std::size_t size() const noexcept { return values_.size(); }
  Column finish();

 private:
  DType type_;
  detail::RawVec<Stored> values_;
  detail::ValidityBuilder valid_;
};

class StringColumnBuilder {
 public:
  StringColumnBuilder();
  void reserve(std::size_t rows, std::size_t bytes);
  void append(std::string_view s) {
    chars_.append(s.data(), s.size());
    offsets_.push_back(static_cast<std::int64_t>(chars_.size()));
    valid_.append_valid();
  }
  void append_null() {
    offsets_.push_back(static_cast<std::int64_t>(chars_.size()));
    valid_.append_null();
  }
  [[nodiscard]] std::size_t size() const noexcept { return offsets_.size() - 1; }
  Column finish();

 private:
  detail::RawVec<std::int64_t> offsets_;
  detail::RawVec<char> chars_;
  detail::ValidityBuilder valid_;
};

// ---- on the wire (graph/value.hpp) ----

// A column travels as its buffers (validity when present, data, chars for strings) with a
// small fixed header in the metadata part; the receiver wraps the buffers without copying.
template <>
struct Codec<Column> {
  static Encoded encode(const Column& c, const std::shared_ptr<const void>& owner);
  static Column decode(const Encoded& e);
  static std::size_t nbytes(const Column& c) { return c.nbytes(); }
};

namespace detail {
// The header and buffers of one column inside a larger message (Codec<Table> uses them).
void encode_column(const Column& c, Bytes& meta, std::vector<Buffer>& buffers);
Column decode_column(const std::byte*& meta, const std::byte* meta_end,
                     const std::vector<Buffer>& buffers, std::size_t& next_buffer);
}  // namespace detail

}  // namespace pando
