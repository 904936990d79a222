#include <pando/io/range_reader.hpp>

#include <pando/core/error.hpp>
#include <pando/io/detail/s3_client.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace pando::io {

RangeReader RangeReader::open(const std::string& path, std::optional<std::uint64_t> known_size) {
  RangeReader r;
  r.path_ = path;
  if (is_s3_url(path)) {
    r.s3_ = parse_s3_url(path);
    r.size_ = known_size ? *known_size : S3Client::shared().size(*r.s3_);
  } else {
    r.file_ = PosixFile::open(path, PosixFile::Mode::read);
    r.size_ = known_size ? *known_size : r.file_.size();
  }
  return r;
}

std::size_t RangeReader::read_at(std::uint64_t offset, std::span<std::byte> out) const {
  if (!s3_) return file_.read_at(offset, out);
  const std::uint64_t n = offset >= size_ ? 0 : std::min<std::uint64_t>(out.size(), size_ - offset);
  if (n == 0) return 0;
  const Buffer b = S3Client::shared().read(*s3_, offset, n);
  std::memcpy(out.data(), b.data(), n);
  return n;
}

Buffer RangeReader::read(std::uint64_t offset, std::uint64_t n) const {
  const std::uint64_t want = offset >= size_ ? 0 : std::min<std::uint64_t>(n, size_ - offset);
  if (s3_) return want == 0 ? Buffer() : S3Client::shared().read(*s3_, offset, want);
  // Uninitialized and filled by pread: zeroing memory that is about to be overwritten costs more
  // than the read.
  Buffer out = Buffer::allocate(static_cast<std::size_t>(want));
  const auto got = file_.read_at(offset, out.as_mutable<std::byte>());
  return out.slice(0, got);
}

std::vector<ListedObject> list_s3(const std::string& url) {
  const S3Url u = parse_s3_url(url);
  S3Client& s3 = S3Client::shared();
  std::vector<ListedObject> out;
  if (!has_glob(u.key)) {
    if (u.key.empty() || u.key.ends_with('/'))
      throw IoError(fmt::format("{}: names a folder, not an object (add a glob: {}*.csv)", url,
                                url.ends_with('/') ? url : url + "/"));
    out.push_back({url, s3.size(u)});
    return out;
  }
  for (const auto& o : s3.list(u.bucket, glob_prefix(u.key)))
    if (glob_matches(u.key, o.key)) out.push_back({S3Url{u.bucket, o.key}.str(), o.size});
  if (out.empty()) throw IoError(fmt::format("no objects match '{}'", url));
  return out;
}

}  // namespace pando::io
