#include <pando/frame/csv/gzip.hpp>

#include <pando/core/error.hpp>
#include <pando/frame/column.hpp>
#include <pando/frame/csv/split.hpp>

#include <fmt/format.h>
#include <zlib.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>

namespace pando::csv {

bool is_gzip(std::span<const std::byte> b) noexcept {
  return b.size() >= 2 && b[0] == std::byte{0x1f} && b[1] == std::byte{0x8b};
}

Buffer gunzip(std::span<const std::byte> in, std::string_view source) {
  if (!is_gzip(in))
    throw IoError(fmt::format("{}: not gzip data (it does not start with bytes 1f 8b)", source));
  detail::RawVec<char> out;
  out.reserve(in.size() * 4 + 4096);
  z_stream z{};
  // 16 + MAX_WBITS: gzip framing only.
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
    throw IoError(fmt::format("{}: zlib could not start inflating", source));
  const auto* next = reinterpret_cast<const unsigned char*>(in.data());
  std::size_t left = in.size();
  int rc = Z_OK;
  for (;;) {
    if (z.avail_in == 0 && left) {
      const auto n =
          static_cast<uInt>(std::min<std::size_t>(left, std::numeric_limits<uInt>::max()));
      z.next_in = const_cast<unsigned char*>(next);
      z.avail_in = n;
      next += n;
      left -= n;
    }
    char* dst = out.extend(1 << 20);
    const auto room = static_cast<uInt>((out.capacity() - out.size()));
    z.next_out = reinterpret_cast<unsigned char*>(dst);
    z.avail_out = room;
    rc = inflate(&z, Z_NO_FLUSH);
    out.commit(room - z.avail_out);
    if (rc == Z_STREAM_END) {
      // Another member may follow (concatenated .gz files).
      if (z.avail_in == 0 && left == 0) break;
      if (z.avail_in >= 2 && z.next_in[0] == 0x1f && z.next_in[1] == 0x8b) {
        inflateReset(&z);
        continue;
      }
      if (z.avail_in == 0 && left >= 2) {
        inflateReset(&z);
        continue;
      }
      break;  // trailing garbage after the last member: gzip warns and ignores it
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      std::string msg = z.msg ? z.msg : "corrupt data";
      auto at = z.total_in;
      inflateEnd(&z);
      throw IoError(
          fmt::format("{}: corrupt gzip data near compressed byte {} ({})", source, at, msg));
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0 && left == 0) {
      inflateEnd(&z);
      throw IoError(
          fmt::format("{}: truncated gzip data (it ends inside a member, after {} bytes "
                      "inflated)",
                      source, out.size()));
    }
  }
  inflateEnd(&z);
  return out.release();
}

Buffer read_gzip_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw IoError(fmt::format("{}: cannot open ({})", path, std::strerror(errno)));
  detail::RawVec<std::byte> bytes;
  for (;;) {
    std::byte* dst = bytes.extend(1 << 20);
    std::size_t n = std::fread(dst, 1, bytes.capacity() - bytes.size(), f);
    bytes.commit(n);
    if (n == 0) break;
  }
  const bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) throw IoError(fmt::format("{}: read error", path));
  return gunzip({bytes.data(), bytes.size()}, path);
}

std::string read_gzip_head(const std::string& path, std::size_t bytes) {
  if (io::is_s3_url(path)) {
    GzipStream in(path);
    std::string out(bytes, '\0');
    const std::size_t got = in.read(std::as_writable_bytes(std::span(out)));
    out.resize(got);
    return out;
  }
  struct Closer {
    void operator()(gzFile_s* f) const noexcept { gzclose(f); }
  };
  std::unique_ptr<gzFile_s, Closer> f(gzopen(path.c_str(), "rb"));
  if (!f) throw IoError(fmt::format("{}: cannot open ({})", path, std::strerror(errno)));
  std::string out(bytes, '\0');
  std::size_t got = 0;
  while (got < bytes) {
    const auto want = static_cast<unsigned>(std::min<std::size_t>(bytes - got, 1u << 30));
    const int n = gzread(f.get(), out.data() + got, want);
    if (n < 0) {
      int code = 0;
      const char* msg = gzerror(f.get(), &code);
      throw IoError(fmt::format("{}: corrupt gzip data ({})", path, msg ? msg : "unknown"));
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  // zlib passes bytes that are not gzip through as they are: say so, as gunzip would.
  if (gzdirect(f.get()))
    throw IoError(fmt::format("{}: not gzip data (it does not start with bytes 1f 8b)", path));
  out.resize(got);
  return out;
}

std::uint64_t gzip_announced_size(const std::string& path) {
  const auto f = io::RangeReader::open(path);
  const std::uint64_t size = f.size();
  if (size < 4) return 0;
  std::array<std::byte, 4> tail{};
  f.read_at(size - 4, tail);
  std::uint32_t isize = 0;  // little-endian
  for (int i = 3; i >= 0; --i) isize = (isize << 8) | std::to_integer<std::uint32_t>(tail[i]);
  return isize;
}

struct GzipStream::Zlib {
  z_stream z{};
  Zlib() = default;
  Zlib(const Zlib&) = delete;
  Zlib& operator=(const Zlib&) = delete;
  ~Zlib() { inflateEnd(&z); }
};

GzipStream::GzipStream(std::string path)
    : path_(std::move(path)), file_(io::RangeReader::open(path_)), z_(std::make_unique<Zlib>()) {
  // 16 + MAX_WBITS: gzip framing only.
  if (inflateInit2(&z_->z, 16 + MAX_WBITS) != Z_OK)
    throw IoError(fmt::format("{}: zlib could not start inflating", path_));
  std::array<std::byte, 2> magic{};
  if (file_.read_at(0, magic) < 2 || !is_gzip(magic))
    throw IoError(fmt::format("{}: not gzip data (it does not start with bytes 1f 8b)", path_));
}

GzipStream::~GzipStream() = default;

std::size_t GzipStream::read(std::span<std::byte> out) {
  z_stream& z = z_->z;
  std::size_t done = 0;
  while (done < out.size() && !ended_) {
    if (z.avail_in == 0) {
      // From S3, fewer and larger requests: each is a round trip.
      in_.resize(std::size_t{1} << (file_.remote() ? 23 : 20));
      const std::size_t got = file_.read_at(offset_, in_);
      offset_ += got;
      in_.resize(got);
      z.next_in = reinterpret_cast<unsigned char*>(in_.data());
      z.avail_in = static_cast<uInt>(got);
    }
    const bool no_more_input = z.avail_in == 0;
    const auto room = static_cast<uInt>(std::min<std::size_t>(out.size() - done, 1u << 30));
    z.next_out = reinterpret_cast<unsigned char*>(out.data() + done);
    z.avail_out = room;
    const int rc = inflate(&z, Z_NO_FLUSH);
    done += room - z.avail_out;
    inflated_ += room - z.avail_out;
    if (rc == Z_STREAM_END) {
      // Another member may follow (concatenated .gz files); anything else after the last member
      // is ignored, as gzip does after warning.
      std::array<std::byte, 2> next{};
      const bool more =
          z.avail_in >= 2 ? (z.next_in[0] == 0x1f && z.next_in[1] == 0x8b)
                          : (z.avail_in == 0 && file_.read_at(offset_, next) == 2 && is_gzip(next));
      if (more)
        inflateReset(&z);
      else
        ended_ = true;
      continue;
    }
    if (rc == Z_BUF_ERROR && no_more_input)
      throw IoError(
          fmt::format("{}: truncated gzip data (it ends inside a member, after {} bytes inflated)",
                      path_, inflated_));
    if (rc != Z_OK && rc != Z_BUF_ERROR)
      throw IoError(fmt::format("{}: corrupt gzip data near compressed byte {} ({})", path_,
                                z.total_in, z.msg ? z.msg : "corrupt data"));
  }
  return done;
}

GzipRows::GzipRows(std::string path, std::int64_t data_begin, std::int64_t first_line,
                   CsvOptions options)
    : path_(std::move(path)),
      stream_(path_),
      skip_(data_begin),
      line_(first_line),
      options_(std::move(options)) {}

GzipRows::Rows GzipRows::next(std::size_t bytes, bool rest) {
  detail::RawVec<char> text;
  text.append(carry_.data(), carry_.size());
  auto inflate_more = [&](std::size_t n) {
    while (n > 0 && !stream_.ended()) {
      char* dst = text.extend(std::min<std::size_t>(n, std::size_t{64} << 20));
      const std::size_t room = text.capacity() - text.size();
      const std::size_t got = stream_.read({reinterpret_cast<std::byte*>(dst), std::min(room, n)});
      text.commit(got);
      n -= std::min(n, got);
    }
  };
  while (skip_ > 0 && !stream_.ended()) {  // the header, before the first row
    inflate_more(static_cast<std::size_t>(skip_));
    const auto dropped = std::min<std::size_t>(text.size(), static_cast<std::size_t>(skip_));
    std::memmove(text.data(), text.data() + dropped, text.size() - dropped);
    text.resize(text.size() - dropped);
    skip_ -= static_cast<std::int64_t>(dropped);
  }
  inflate_more(bytes);
  std::size_t cut = 0;
  std::int64_t breaks = 0;
  for (std::size_t want = bytes;;) {
    if (rest) inflate_more(std::numeric_limits<std::size_t>::max());
    if (stream_.ended()) {
      cut = text.size();
      break;
    }
    cut = whole_rows({text.data(), text.size()}, options_, path_, breaks);
    if (cut > 0) break;
    inflate_more(want);  // one row longer than a partition: take in more
    want *= 2;
  }
  carry_.assign(text.data() + cut, text.size() - cut);
  Rows out;
  out.first_line = line_;
  line_ += breaks;  // (after the last partition nobody asks)
  text.resize(cut);
  out.text = text.release();
  return out;
}

}  // namespace pando::csv
