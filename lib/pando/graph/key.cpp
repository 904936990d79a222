#include <pando/graph/key.hpp>

#include <pando/core/error.hpp>

#include <fmt/format.h>

#include <charconv>
#include <cstring>
#include <deque>
#include <limits>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace pando {

std::uint64_t stable_hash(std::string_view bytes, std::uint64_t seed) noexcept {
  // FNV-1a over the bytes, then a final avalanche (splitmix64) so that close inputs spread.
  std::uint64_t h = 0xcbf29ce484222325ull ^ seed;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return hash_combine(h, bytes.size());
}

std::uint64_t hash_combine(std::uint64_t h, std::uint64_t v) noexcept {
  std::uint64_t x = h ^ (v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2));
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

namespace {

// The process-wide token table. Entries are never freed: tokens name operations, of which a
// program makes few (a block index, not the token, tells tasks of one operation apart).
class TokenTable {
 public:
  const detail::TokenEntry* intern(std::string_view name) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(name);
    if (it != index_.end()) return it->second;
    auto& e = entries_.emplace_back(detail::TokenEntry{std::string(name), stable_hash(name)});
    index_.emplace(e.name, &e);
    return &e;
  }

 private:
  std::mutex mutex_;
  std::deque<detail::TokenEntry> entries_;
  std::unordered_map<std::string_view, const detail::TokenEntry*> index_;
};

TokenTable& tokens() {
  static TokenTable table;
  return table;
}

// The process-wide table of block indices longer than Key::inline_dims, for the same reason and
// with the same lifetime as tokens: a program has few arrays of that many dimensions, and
// their keys repeat the same indices (one per block) from operation to operation.
class IndexTable {
 public:
  const std::int32_t* intern(std::span<const std::int32_t> index) {
    std::lock_guard lock(mutex_);
    return set_.emplace(index.begin(), index.end()).first->data();  // nodes never move
  }

 private:
  struct Hash {
    std::size_t operator()(const std::vector<std::int32_t>& v) const noexcept {
      std::uint64_t h = v.size();
      for (auto i : v) h = hash_combine(h, static_cast<std::uint32_t>(i));
      return h;
    }
  };
  std::mutex mutex_;
  std::unordered_set<std::vector<std::int32_t>, Hash> set_;
};

IndexTable& long_indices() {
  static IndexTable table;
  return table;
}

void check_token(std::string_view token) {
  if (token.empty()) throw UsageError("a task key needs a non-empty token");
  if (token.find('/') != std::string_view::npos)
    throw UsageError(
        fmt::format("task key token '{}' contains '/', which separates the block index", token));
}

}  // namespace

Key::Key(std::string_view token) {
  check_token(token);
  token_ = tokens().intern(token);
}

Key::Key(std::string_view token, std::span<const std::int64_t> index) : Key(token) {
  *this = with_index(index);
}

Key Key::with_index(std::span<const std::int64_t> index) const {
  if (index.size() > max_dims)
    throw UsageError(fmt::format("task key '{}': {} block indices, at most {} are supported",
                                 token(), index.size(), max_dims));
  std::array<std::int32_t, max_dims> narrow{};
  for (std::size_t i = 0; i < index.size(); ++i) {
    if (index[i] < 0 || index[i] > std::numeric_limits<std::int32_t>::max())
      throw UsageError(
          fmt::format("task key '{}': block index {} out of range", token(), index[i]));
    narrow[i] = static_cast<std::int32_t>(index[i]);
  }
  Key k;
  k.token_ = token_;
  k.ndim_ = static_cast<std::uint8_t>(index.size());
  if (index.size() <= inline_dims)
    std::copy_n(narrow.begin(), inline_dims, k.index_.inline_.begin());
  else
    k.index_.interned_ = long_indices().intern({narrow.data(), index.size()});
  return k;
}

std::string_view Key::token() const noexcept {
  return token_ ? std::string_view(token_->name) : std::string_view();
}

std::uint64_t Key::hash() const noexcept {
  std::uint64_t h = token_ ? token_->hash : 0;
  h = hash_combine(h, ndim_);
  for (auto i : indices()) h = hash_combine(h, static_cast<std::uint64_t>(i));
  return h;
}

std::string Key::str() const {
  if (ndim_ == 0) return std::string(token());
  return fmt::format("{}/{}", token(), fmt::join(indices(), ","));
}

Key Key::parse(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return Key(text);
  std::array<std::int64_t, max_dims> index{};
  std::size_t n = 0;
  std::string_view rest = text.substr(slash + 1);
  while (!rest.empty()) {
    if (n == max_dims) throw UsageError(fmt::format("task key '{}': too many block indices", text));
    auto comma = rest.find(',');
    auto part = rest.substr(0, comma);
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), index[n]);
    if (ec != std::errc() || p != part.data() + part.size())
      throw UsageError(fmt::format("task key '{}': '{}' is not a block index", text, part));
    ++n;
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return Key(text.substr(0, slash), std::span<const std::int64_t>(index.data(), n));
}

bool operator<(const Key& a, const Key& b) noexcept {
  if (a.token_ != b.token_) return a.token() < b.token();
  const auto x = a.indices(), y = b.indices();
  return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end());
}

Hasher& Hasher::add(double v) {
  std::uint64_t bits;
  static_assert(sizeof bits == sizeof v);
  std::memcpy(&bits, &v, sizeof bits);
  h_ = hash_combine(h_, bits);
  return *this;
}

std::string make_token(std::string_view name, std::uint64_t definition_hash) {
  return fmt::format("{}-{:016x}", name, definition_hash);
}

}  // namespace pando
