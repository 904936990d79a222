#include <pando/frame/csv/gzip.hpp>

#include <pando/core/error.hpp>
#include <pando/frame/column.hpp>

#include <fmt/format.h>
#include <zlib.h>

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

}  // namespace pando::csv
