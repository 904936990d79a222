#pragma once
// gzip input: a .gz file cannot be cut into byte ranges, so it is inflated as a stream, in
// order, a partition's worth of rows at a time (zlib; every member of a multi-member file, like
// gzip -d). Memory holds one partition and the compressed bytes in flight, not the file.

#include <pando/core/buffer.hpp>
#include <pando/frame/csv/options.hpp>
#include <pando/io/range_reader.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pando::csv {

// Whether `bytes` start with the gzip magic number (1f 8b).
bool is_gzip(std::span<const std::byte> bytes) noexcept;
// The inflated bytes. IoError naming `source` for data that is not gzip, corrupt or truncated.
Buffer gunzip(std::span<const std::byte> compressed, std::string_view source);
// Reads a whole local file and inflates it. IoError naming the path.
Buffer read_gzip_file(const std::string& path);
// The first `bytes` of a .gz file's (or s3:// object's) inflated text (fewer if it is shorter),
// inflating no further: headers and type samples of large files. IoError naming the path.
std::string read_gzip_head(const std::string& path, std::size_t bytes);
// The inflated size a .gz file (or s3:// object) announces in its last 4 bytes (its last member's
// size modulo 2^32: exact for the usual one-member file under 4 GiB), for planning partitions.
std::uint64_t gzip_announced_size(const std::string& path);

// A .gz file (local, or an s3:// object read by ranged GETs of 8 MiB) inflated as a stream.
// IoError naming the path for data that is not gzip, corrupt or truncated.
class GzipStream {
 public:
  explicit GzipStream(std::string path);
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;
  ~GzipStream();
  // Inflates up to out.size() bytes into `out`; fewer only at the end (0 once it ended).
  std::size_t read(std::span<std::byte> out);
  [[nodiscard]] bool ended() const noexcept { return ended_; }

 private:
  struct Zlib;
  std::string path_;
  io::RangeReader file_;
  std::unique_ptr<Zlib> z_;
  std::vector<std::byte> in_;  // compressed bytes read and not yet inflated
  std::uint64_t offset_ = 0;   // next compressed byte of the file to read
  std::uint64_t inflated_ = 0;
  bool ended_ = false;
};

// The rows of a .gz CSV file, a partition at a time, in order: each next() inflates about
// `bytes` more and hands out the whole rows it has (a row cut by the end of what was inflated
// waits for the next one).
class GzipRows {
 public:
  // `data_begin`: bytes of the header to skip; `first_line`: the line the data starts on.
  GzipRows(std::string path, std::int64_t data_begin, std::int64_t first_line, CsvOptions options);
  struct Rows {
    Buffer text;
    std::int64_t first_line = 0;
  };
  // The next partition's rows; with `rest`, every row left.
  Rows next(std::size_t bytes, bool rest);

 private:
  std::string path_;
  GzipStream stream_;
  std::int64_t skip_;  // header bytes still to drop
  std::int64_t line_;
  CsvOptions options_;
  std::string carry_;  // the start of a row cut by the last partition's end
};

}  // namespace pando::csv
