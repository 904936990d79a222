#pragma once
// s3:// URLs: the bucket and key of an object, or the bucket and prefix of a glob over a
// listing (docs/architecture.md §7.4).
//
//   s3://bucket/data/part-1.csv   -> bucket "bucket", key "data/part-1.csv"
//   s3://bucket/data/*.csv        -> a glob: listed under the prefix "data/" (the text before the
//                                    first glob character), matched with fnmatch semantics in
//                                    which '*' does not cross '/' (as a shell glob of local files)

#include <string>
#include <string_view>

namespace pando::io {

struct S3Url {
  std::string bucket;
  std::string key;  // may be empty (the bucket itself) or hold glob characters

  // "s3://bucket/key": the form errors name an object by.
  [[nodiscard]] std::string str() const;
  friend bool operator==(const S3Url&, const S3Url&) = default;
};

// Whether `path` names an S3 object (starts with "s3://").
[[nodiscard]] bool is_s3_url(std::string_view path) noexcept;

// UsageError naming the text when it is not "s3://BUCKET[/KEY]" with a valid bucket name
// (3-63 characters of lower-case letters, digits, '.' and '-').
S3Url parse_s3_url(std::string_view url);

// Whether a key holds a glob character (*, ? or [).
[[nodiscard]] bool has_glob(std::string_view key) noexcept;
// The listing prefix of a glob: its text up to the first glob character.
[[nodiscard]] std::string glob_prefix(std::string_view key);
// Whether `key` matches the glob `pattern` ('*' and '?' never match '/').
[[nodiscard]] bool glob_matches(const std::string& pattern, const std::string& key) noexcept;

}  // namespace pando::io
