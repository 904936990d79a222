#pragma once
// gzip input: a .gz file cannot be cut into byte ranges, so it is inflated whole into memory
// and parsed as one range (zlib; every member of a multi-member file, like gzip -d).

#include <pando/core/buffer.hpp>

#include <span>
#include <string>
#include <string_view>

namespace pando::csv {

// Whether `bytes` start with the gzip magic number (1f 8b).
bool is_gzip(std::span<const std::byte> bytes) noexcept;
// The inflated bytes. IoError naming `source` for data that is not gzip, corrupt or truncated.
Buffer gunzip(std::span<const std::byte> compressed, std::string_view source);
// Reads a whole local file and inflates it. IoError naming the path.
Buffer read_gzip_file(const std::string& path);
// The first `bytes` of a .gz file's inflated text (fewer if it is shorter), inflating no
// further: headers and type samples of large files. IoError naming the path.
std::string read_gzip_head(const std::string& path, std::size_t bytes);

}  // namespace pando::csv
