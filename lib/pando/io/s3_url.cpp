#include <pando/io/s3_url.hpp>

#include <pando/core/error.hpp>

#include <fmt/format.h>

#include <fnmatch.h>

#include <algorithm>

namespace pando::io {

namespace {

constexpr std::string_view scheme = "s3://";

bool valid_bucket(std::string_view b) noexcept {
  if (b.size() < 3 || b.size() > 63) return false;
  const auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
  };
  return std::all_of(b.begin(), b.end(), ok) && b.front() != '-' && b.front() != '.' &&
         b.back() != '-' && b.back() != '.';
}

}  // namespace

std::string S3Url::str() const { return fmt::format("s3://{}/{}", bucket, key); }

bool is_s3_url(std::string_view path) noexcept { return path.starts_with(scheme); }

S3Url parse_s3_url(std::string_view url) {
  if (!is_s3_url(url))
    throw UsageError(fmt::format("'{}' is not an S3 URL (s3://BUCKET/KEY)", url));
  const std::string_view rest = url.substr(scheme.size());
  const auto slash = rest.find('/');
  S3Url out;
  out.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) out.key = std::string(rest.substr(slash + 1));
  if (!valid_bucket(out.bucket))
    throw UsageError(
        fmt::format("'{}': '{}' is not a bucket name (3-63 characters: a-z, 0-9, '.' and '-')", url,
                    out.bucket));
  return out;
}

bool has_glob(std::string_view key) noexcept {
  return key.find_first_of("*?[") != std::string_view::npos;
}

std::string glob_prefix(std::string_view key) {
  return std::string(key.substr(0, std::min(key.size(), key.find_first_of("*?["))));
}

bool glob_matches(const std::string& pattern, const std::string& key) noexcept {
  // FNM_PATHNAME: a '*' stays inside one "folder", as the local glob(3) of the same pattern.
  return ::fnmatch(pattern.c_str(), key.c_str(), FNM_PATHNAME) == 0;
}

}  // namespace pando::io
