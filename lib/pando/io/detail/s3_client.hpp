#pragma once
// S3 operations (docs/architecture.md §7.4): sizes, ranged reads, listings, uploads, deletes,
// each retried on what may pass next time (5xx, 429 and SlowDown, timeouts, resets, a body
// shorter or longer than announced) with exponential backoff and jitter; other failures are an
// IoError naming the bucket and key, never the credentials.
//
//   auto& s3 = io::S3Client::shared();               // one per process, from the environment
//   auto url = io::parse_s3_url("s3://bucket/data/a.csv");
//   std::uint64_t n = s3.size(url);
//   Buffer head = s3.read(url, 0, std::min<std::uint64_t>(n, 65536));
//
// Not thread-safe across calls from several threads at once (they would take turns): Pando calls
// it from each rank's executor thread.

#include <pando/core/buffer.hpp>
#include <pando/io/detail/s3_config.hpp>
#include <pando/io/s3_url.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace pando::io {

namespace detail {
class HttpSession;
struct HttpRequest;
struct HttpResponse;
}  // namespace detail

struct S3Object {
  std::string key;
  std::uint64_t size = 0;
};

struct S3Part {
  int number = 0;  // 1..10000
  std::string etag;
  std::uint64_t size = 0;  // bytes (to recognize an upload completed by a lost earlier try)
};

class S3Client {
 public:
  // The most parts of one multipart upload, and the least size of every part but the last.
  static constexpr int max_parts = 10000;
  static constexpr std::uint64_t min_part_bytes = 5ull << 20;

  explicit S3Client(S3Config config);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  // The process's client, made from S3Config::from_environment() on first use.
  static S3Client& shared();

  [[nodiscard]] const S3Config& config() const noexcept { return config_; }

  // The object's size in bytes (HEAD). IoError when it does not exist, naming the bucket when
  // that is what is missing.
  std::uint64_t size(const S3Url& url);
  // Exactly bytes [begin, begin + n) of the object (a ranged GET). A body of another length is
  // retried, never returned.
  Buffer read(const S3Url& url, std::uint64_t begin, std::uint64_t n);
  // Several ranges of one object, with up to config().requests_in_flight requests at once.
  std::vector<Buffer> read_ranges(const S3Url& url,
                                  std::span<const std::pair<std::uint64_t, std::uint64_t>> ranges);
  // Every object whose key starts with `prefix`, in key order (ListObjectsV2, every page).
  std::vector<S3Object> list(const std::string& bucket, const std::string& prefix);
  // Whether the bucket exists (HEAD bucket).
  bool bucket_exists(const std::string& bucket);
  // Whether the object exists (HEAD).
  bool exists(const S3Url& url);

  // One request: the whole object.
  void put(const S3Url& url, std::span<const std::byte> bytes);
  void remove(const S3Url& url);

  // Multipart upload: begin (the upload id), parts (each its ETag), complete or abort.
  std::string begin_upload(const S3Url& url);
  std::string upload_part(const S3Url& url, const std::string& upload_id, int number,
                          std::span<const std::byte> bytes);
  // A completion sent twice (libcurl sends a request again by itself when a kept connection
  // turns out closed, and we do after a timeout) can find its upload already completed by the
  // first: then the object there, of the parts' total size, counts as done.
  void complete_upload(const S3Url& url, const std::string& upload_id,
                       std::span<const S3Part> parts);
  // Frees an upload's parts. Aborting an upload that no longer exists is not an error.
  void abort_upload(const S3Url& url, const std::string& upload_id);

  // Requests sent since the client was made, retries included.
  [[nodiscard]] std::uint64_t requests_sent() const noexcept;

 private:
  std::string object_url(const std::string& bucket, const std::string& key,
                         const std::string& query = {}) const;
  // Runs the requests with retries; each response is the last try's. `what` names each
  // request's object in errors. Throws the first request's error that was not retried away.
  std::vector<detail::HttpResponse> run(std::vector<detail::HttpRequest> requests,
                                        const std::vector<std::string>& what,
                                        bool missing_is_error = true);
  detail::HttpResponse run_one(detail::HttpRequest request, const std::string& what,
                               bool missing_is_error = true);

  S3Config config_;
  std::unique_ptr<detail::HttpSession> http_;
};

}  // namespace pando::io
