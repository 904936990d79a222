#pragma once
// HTTP for the S3 client, over libcurl (the only place in Pando that names it: http.cpp).
//
// One HttpSession per process runs batches of requests on a curl multi handle: its connection
// cache keeps connections open from one request to the next (and from one task to the next), and
// a batch has several requests in flight at once. Easy handles are pooled and reset between
// uses. Requests are signed with libcurl's SigV4 (CURLOPT_AWS_SIGV4), which needs the payload's
// hash in a header of ours; we send UNSIGNED-PAYLOAD (the body's integrity is TCP's and TLS's).
// A session runs each request once (libcurl itself sends a request again only when a kept
// connection turns out closed before any answer): retries are the caller's (s3_client.cpp),
// which knows which failures are worth another try.

#include <pando/core/buffer.hpp>
#include <pando/io/detail/s3_config.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace pando::io::detail {

struct HttpRequest {
  std::string method;  // GET, HEAD, PUT, POST, DELETE
  std::string url;     // percent-encoded, query sorted (it is signed as given)
  std::vector<std::string> headers;
  std::span<const std::byte> body;  // sent as is; must outlive the request
  // A 2xx body must be exactly this long (a range): it goes into a buffer of that size, and a
  // body of any other length is a failure (`wrong_length`), never a short result.
  std::optional<std::uint64_t> expect_bytes;
};

struct HttpResponse {
  int transport_error = 0;  // the CURLcode, 0 when a response came
  std::string transport_message;
  bool retryable_transport = false;  // a timeout, a reset or a truncated transfer
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  Buffer body;                                 // of a request with expect_bytes
  std::string text;                            // any other body (at most 1 MiB of an error)
  bool wrong_length = false;                   // expect_bytes was set and not met
  std::uint64_t received = 0;                  // bytes of body received

  [[nodiscard]] bool ok() const noexcept {
    return transport_error == 0 && !wrong_length && status >= 200 && status < 300;
  }
};

class HttpSession {
 public:
  explicit HttpSession(const S3Config& config);
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  // Runs every request once, at most `in_flight` at a time; responses[i] answers requests[i].
  void perform(std::span<const HttpRequest> requests, std::span<HttpResponse> responses,
               int in_flight);
  // Requests sent since the session began (for tests and benchmarks).
  [[nodiscard]] std::uint64_t requests_sent() const noexcept { return sent_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::uint64_t sent_ = 0;
};

// RFC 3986 percent-encoding as SigV4 wants it: every byte but A-Z a-z 0-9 - . _ ~ is encoded,
// and '/' too unless `keep_slash` (object keys in paths keep their slashes).
std::string uri_encode(std::string_view text, bool keep_slash);

}  // namespace pando::io::detail
