#include <pando/frame/detail/dictionary.hpp>

#include <fmt/format.h>

#include <cstring>
#include <limits>

namespace pando::detail {

namespace {

__extension__ using u128 = unsigned __int128;  // GCC and Clang on 64-bit targets

// The high and low halves of a full 64x64 product, folded (wyhash's mixing step).
std::uint64_t mix(std::uint64_t a, std::uint64_t b) noexcept {
  const u128 p = static_cast<u128>(a ^ 0xa0761d6478bd642full) * (b ^ 0xe7037ed1a0b428dbull);
  return static_cast<std::uint64_t>(p) ^ static_cast<std::uint64_t>(p >> 64);
}

std::uint64_t load_tail(const char* p, std::size_t n) noexcept {  // n < 8
  std::uint64_t v = 0;
  std::memcpy(&v, p, n);
  return v;
}

}  // namespace

std::uint64_t hash_string(std::string_view s) noexcept {
  const char* p = s.data();
  std::size_t n = s.size();
  std::uint64_t h = mix(n, 0x8ebc6af09c88c6e3ull);
  for (; n >= 16; p += 16, n -= 16) {
    std::uint64_t a, b;
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + 8, 8);
    h = mix(a ^ h, b);
  }
  std::uint64_t a = 0, b = 0;
  if (n >= 8) {
    std::memcpy(&a, p, 8);
    b = load_tail(p + 8, n - 8);
  } else {
    a = load_tail(p, n);
  }
  return mix(a ^ h, b ^ 0x589965cc75374cc3ull);
}

DictionaryBuilder::DictionaryBuilder() : short_(64), short_mask_(63), long_(16, 0) {
  offsets_.push_back(0);
}

std::int32_t DictionaryBuilder::add_value(std::string_view s) {
  if (size() >= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
    throw Error("a dictionary-encoded column holds more than 2^31 distinct strings");
  chars_.append(s.data(), s.size());
  offsets_.push_back(static_cast<std::int64_t>(chars_.size()));
  return static_cast<std::int32_t>(size() - 1);
}

std::int32_t DictionaryBuilder::add_short(std::size_t slot, std::uint64_t lo, std::uint64_t hi,
                                          std::string_view s) {
  const std::int32_t code = add_value(s);
  short_[slot] = {lo, hi, static_cast<std::uint32_t>(s.size()),
                  static_cast<std::uint32_t>(code) + 1};
  if (++short_count_ * 4 > short_.size() * 3) {  // load up to 3/4: a smaller table stays in cache
    std::vector<ShortSlot> old(short_.size() * 2);
    old.swap(short_);
    short_mask_ = short_.size() - 1;
    --short_shift_;
    for (const ShortSlot& e : old) {
      if (e.code_plus_1 == 0) continue;
      std::size_t i = short_index(e.lo, e.hi, e.len);
      while (short_[i].code_plus_1 != 0) i = (i + 1) & short_mask_;
      short_[i] = e;
    }
  }
  return code;
}

std::int32_t DictionaryBuilder::intern_long(std::string_view s) {
  const std::uint64_t h = hash_string(s);
  std::size_t mask = long_.size() - 1;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    const std::uint32_t slot = long_[i];
    if (slot != 0) {
      const std::size_t k = slot - 1;
      if (long_hashes_[k] == h && value(static_cast<std::int32_t>(long_codes_[k])) == s)
        return static_cast<std::int32_t>(long_codes_[k]);
      continue;
    }
    const std::int32_t code = add_value(s);
    long_codes_.push_back(static_cast<std::uint32_t>(code));
    long_hashes_.push_back(h);
    long_[i] = static_cast<std::uint32_t>(long_codes_.size());
    if (long_codes_.size() * 2 > long_.size()) {
      long_.assign(long_.size() * 2, 0);
      mask = long_.size() - 1;
      for (std::size_t k = 0; k < long_codes_.size(); ++k) {
        std::size_t j = long_hashes_[k] & mask;
        while (long_[j] != 0) j = (j + 1) & mask;
        long_[j] = static_cast<std::uint32_t>(k) + 1;
      }
    }
    return code;
  }
}

Column DictionaryBuilder::finish() {
  const std::size_t n = size();
  Buffer chars = chars_.release();
  Buffer offsets = offsets_.release(n + 1);
  *this = DictionaryBuilder();
  return Column::from_buffers(DType::string, n, {}, std::move(offsets), std::move(chars));
}

}  // namespace pando::detail
