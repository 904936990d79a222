#pragma once
// Task keys: stable names, the same on every rank (docs/architecture.md §3.1).
//
// A key is an operation token plus a block index: "sum-3f9a/2,0" is block (2, 0) of the
// operation "sum-3f9a"; "load-77c1" has no index. Tokens are interned (one copy of each name per
// process), so a Key is a small value that copies without allocating; equality and hashing use
// the token's text, never its address, so every rank computes the same hash for the same key.
//
// Block indices of up to inline_dims axes live in the key itself (40 bytes in all: keys are in
// every task, and graphs hold millions). Longer ones (arrays of up to HDF5's 32 dimensions, and
// the extra index some operations append) are interned like tokens, and the key holds a pointer
// to the process-wide copy: still trivially copyable, still 40 bytes.

#include <array>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <type_traits>
#include <span>
#include <string>
#include <string_view>

namespace pando {

namespace detail {
struct TokenEntry {
  std::string name;
  std::uint64_t hash;
};
}  // namespace detail

// 64-bit hashes that are the same in every process of a job (unlike std::hash).
std::uint64_t stable_hash(std::string_view bytes, std::uint64_t seed = 0) noexcept;
std::uint64_t hash_combine(std::uint64_t h, std::uint64_t v) noexcept;

class Key {
 public:
  // HDF5's H5S_MAX_RANK is 32; operations on blocks add one index of their own (the pieces of
  // a slice, a level of a reduction tree), and a little room is left beyond that.
  static constexpr std::size_t max_dims = 64;
  // Indices held in the key itself; longer ones are interned.
  static constexpr std::size_t inline_dims = 6;

  Key() = default;
  // A key without a block index ("load-77c1").
  explicit Key(std::string_view token);
  // A key for a block ("sum-3f9a/2,0"). At most max_dims indices.
  Key(std::string_view token, std::span<const std::int64_t> index);
  Key(std::string_view token, std::initializer_list<std::int64_t> index)
      : Key(token, std::span<const std::int64_t>(index.begin(), index.size())) {}
  // The same token with another index (no interning lookup).
  [[nodiscard]] Key with_index(std::span<const std::int64_t> index) const;

  [[nodiscard]] bool empty() const noexcept { return token_ == nullptr; }
  [[nodiscard]] std::string_view token() const noexcept;
  [[nodiscard]] std::size_t ndim() const noexcept { return ndim_; }
  [[nodiscard]] std::int64_t index(std::size_t axis) const noexcept { return data()[axis]; }
  [[nodiscard]] std::span<const std::int32_t> indices() const noexcept { return {data(), ndim_}; }
  [[nodiscard]] std::uint64_t hash() const noexcept;
  // "sum-3f9a/2,0".
  [[nodiscard]] std::string str() const;
  // Parses what str() writes.
  static Key parse(std::string_view text);

  friend bool operator==(const Key& a, const Key& b) noexcept {
    if (a.token_ != b.token_ || a.ndim_ != b.ndim_) return false;
    // Interned indices: equal values <=> equal pointer.
    return a.ndim_ <= inline_dims ? a.index_.inline_ == b.index_.inline_
                                  : a.index_.interned_ == b.index_.interned_;
  }
  friend bool operator<(const Key& a, const Key& b) noexcept;

 private:
  [[nodiscard]] const std::int32_t* data() const noexcept {
    return ndim_ <= inline_dims ? index_.inline_.data() : index_.interned_;
  }

  const detail::TokenEntry* token_ = nullptr;  // interned: equal text <=> equal pointer
  union Indices {
    std::array<std::int32_t, inline_dims> inline_{};  // unused entries are 0
    const std::int32_t* interned_;                    // ndim_ > inline_dims: the interned copy
  } index_;
  std::uint8_t ndim_ = 0;
};
static_assert(sizeof(Key) == 40 && std::is_trivially_copyable_v<Key>,
              "a Key stays small and copies as bytes (graphs hold millions)");

// Accumulates what defines an operation into a hash that every rank computes alike.
class Hasher {
 public:
  explicit Hasher(std::string_view name) : h_(stable_hash(name)) {}
  Hasher& add(std::string_view text) {
    h_ = hash_combine(h_, stable_hash(text));
    return *this;
  }
  Hasher& add(std::int64_t v) {
    h_ = hash_combine(h_, static_cast<std::uint64_t>(v));
    return *this;
  }
  Hasher& add(double v);
  template <class I>
  requires std::is_integral_v<I> Hasher& add(I v) { return add(static_cast<std::int64_t>(v)); }
  template <class T>
  Hasher& add_all(const T& range) {
    add(static_cast<std::int64_t>(std::size(range)));
    for (const auto& x : range) add(x);
    return *this;
  }
  [[nodiscard]] std::uint64_t value() const noexcept { return h_; }

 private:
  std::uint64_t h_;
};

// A fresh token "<name>-<16 hex digits>" for an operation, made from its name and a hash of
// everything that defines it (input tokens, parameters), so that the same operation on the same
// inputs gets the same token on every rank, and a different one gets a different token.
std::string make_token(std::string_view name, std::uint64_t definition_hash);

}  // namespace pando

template <>
struct std::hash<pando::Key> {
  std::size_t operator()(const pando::Key& k) const noexcept { return k.hash(); }
};
