#pragma once
// Task keys: stable names, the same on every rank (../shared/DESIGN.md §1.1).
//
// A key is an operation token plus a block index: "sum-3f9a/2,0" is block (2, 0) of the
// operation "sum-3f9a"; "load-77c1" has no index. Tokens are interned (one copy of each name per
// process), so a Key is a small value that copies without allocating; equality and hashing use
// the token's text, never its address, so every rank computes the same hash for the same key.

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
  static constexpr std::size_t max_dims = 6;

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
  [[nodiscard]] std::int64_t index(std::size_t axis) const noexcept { return index_[axis]; }
  [[nodiscard]] std::span<const std::int32_t> indices() const noexcept {
    return {index_.data(), ndim_};
  }
  [[nodiscard]] std::uint64_t hash() const noexcept;
  // "sum-3f9a/2,0".
  [[nodiscard]] std::string str() const;
  // Parses what str() writes.
  static Key parse(std::string_view text);

  friend bool operator==(const Key& a, const Key& b) noexcept {
    return a.token_ == b.token_ && a.ndim_ == b.ndim_ && a.index_ == b.index_;
  }
  friend bool operator<(const Key& a, const Key& b) noexcept;

 private:
  const detail::TokenEntry* token_ = nullptr;  // interned: equal text <=> equal pointer
  std::array<std::int32_t, max_dims> index_{};
  std::uint8_t ndim_ = 0;
};

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
