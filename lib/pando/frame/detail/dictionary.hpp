#pragma once
// DictionaryBuilder: gives each distinct string a dense int32 code, in order of first appearance
// (the dictionary of a dictionary-encoded string column, column.hpp). Used by the CSV reader
// while it parses and by Column when it encodes or concatenates encoded columns.
//
// Strings of up to 16 bytes (keys, categories: nearly all of them) live in a table whose slots
// hold the bytes themselves, zero-padded to two words, so a lookup is a multiply and two
// compares; longer strings are hashed and compared in full in a second table.

#include <pando/frame/column.hpp>

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace pando::detail {

class DictionaryBuilder {
 public:
  static constexpr std::size_t short_bytes = 16;

  DictionaryBuilder();

  // The code of `s`, adding it when it is new.
  std::int32_t intern(std::string_view s) {
    if (s.size() > short_bytes) return intern_long(s);
    std::uint64_t w[2] = {0, 0};
    if (!s.empty()) std::memcpy(w, s.data(), s.size());
    return intern_short(w[0], w[1], s);
  }
  // The same for a string of up to 16 bytes given also as its bytes zero-padded to two
  // little-endian words (the parser has them in a register).
  std::int32_t intern_short(std::uint64_t lo, std::uint64_t hi, std::string_view s) {
    const auto len = static_cast<std::uint32_t>(s.size());
    for (std::size_t i = short_index(lo, hi, len);; i = (i + 1) & short_mask_) {
      const ShortSlot& slot = short_[i];
      if (slot.code_plus_1 == 0) return add_short(i, lo, hi, s);
      if (slot.lo == lo && slot.hi == hi && slot.len == len)
        return static_cast<std::int32_t>(slot.code_plus_1 - 1);
    }
  }

  [[nodiscard]] std::size_t size() const noexcept { return offsets_.size() - 1; }
  [[nodiscard]] std::string_view value(std::int32_t code) const noexcept {
    const auto c = static_cast<std::size_t>(code);
    return {chars_.data() + offsets_[c], static_cast<std::size_t>(offsets_[c + 1] - offsets_[c])};
  }
  // The values in code order, as a plain string column; resets the builder.
  Column finish();

 private:
  struct ShortSlot {
    std::uint64_t lo = 0, hi = 0;
    std::uint32_t len = 0;
    std::uint32_t code_plus_1 = 0;  // 0: empty
  };
  [[nodiscard]] std::size_t short_index(std::uint64_t lo, std::uint64_t hi,
                                        std::uint32_t len) const noexcept {
    // Fibonacci hashing: the top bits of the product depend on every bit of the key.
    const std::uint64_t h = (lo ^ (hi * 0x9e3779b97f4a7c15ull) ^ len) * 0xd6e8feb86659fd93ull;
    return static_cast<std::size_t>(h >> short_shift_);
  }
  std::int32_t add_short(std::size_t slot, std::uint64_t lo, std::uint64_t hi, std::string_view s);
  std::int32_t intern_long(std::string_view s);
  std::int32_t add_value(std::string_view s);

  RawVec<std::int64_t> offsets_;
  RawVec<char> chars_;
  std::vector<ShortSlot> short_;
  std::size_t short_mask_ = 0;
  unsigned short_shift_ = 58;  // 64 - log2(slots)
  std::size_t short_count_ = 0;
  std::vector<std::uint32_t> long_;  // open addressing: code + 1, 0 = empty
  std::vector<std::uint32_t> long_codes_;
  std::vector<std::uint64_t> long_hashes_;  // per entry of long_codes_
};

// Whether holding `rows` strings with `distinct` values as codes pays: at most half of the rows
// bring a new value (codes take 4 bytes a row where plain strings take 8 plus their bytes).
constexpr bool encoding_pays(std::size_t distinct, std::size_t rows) noexcept {
  return distinct * 2 <= rows;
}

// A 64-bit hash of a string's bytes (not cryptographic; the same on every rank).
std::uint64_t hash_string(std::string_view s) noexcept;

}  // namespace pando::detail
