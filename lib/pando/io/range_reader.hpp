#pragma once
// Byte ranges of an input, wherever it lives: a local file (pread) or an S3 object (ranged
// GETs through the process's S3Client). What the frame's readers use instead of naming files
// or S3 themselves (docs/architecture.md §7.4).
//
//   auto in = io::RangeReader::open("s3://bucket/data/a.csv", size_from_listing);
//   Buffer b = in.read(begin, n);          // bytes [begin, begin + n), fewer only at the end
//
// And the expansion of an s3:// glob over the bucket's listing, with each object's size.

#include <pando/core/buffer.hpp>
#include <pando/io/atomic.hpp>
#include <pando/io/s3_url.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace pando::io {

class RangeReader {
 public:
  // `path`: a local path or an s3:// URL. `known_size`: the size when the caller knows it (from
  // a listing), which spares an S3 object its HEAD request. IoError naming the path when it
  // cannot be opened.
  [[nodiscard]] static RangeReader open(const std::string& path,
                                        std::optional<std::uint64_t> known_size = std::nullopt);

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
  [[nodiscard]] bool remote() const noexcept { return s3_.has_value(); }
  // Reads up to out.size() bytes at `offset`; fewer only at the end.
  std::size_t read_at(std::uint64_t offset, std::span<std::byte> out) const;
  // Bytes [offset, offset + n) in a new buffer (fewer only at the end; none past it).
  [[nodiscard]] Buffer read(std::uint64_t offset, std::uint64_t n) const;

 private:
  std::string path_;
  std::uint64_t size_ = 0;
  std::optional<S3Url> s3_;
  PosixFile file_;
};

struct ListedObject {
  std::string url;  // s3://bucket/key
  std::uint64_t size = 0;
};
// The objects an s3:// URL names: the one object (its size from a HEAD), or every object a
// glob matches, in key order (from one listing of the text before the first glob character).
// IoError naming the URL when nothing matches or the bucket does not exist.
std::vector<ListedObject> list_s3(const std::string& url);

}  // namespace pando::io
