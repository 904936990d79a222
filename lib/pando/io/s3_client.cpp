#include <pando/io/detail/s3_client.hpp>

#include <pando/core/error.hpp>
#include <pando/core/fault.hpp>
#include <pando/core/log.hpp>
#include <pando/io/detail/http.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <random>
#include <thread>

namespace pando::io {

using detail::HttpRequest;
using detail::HttpResponse;

namespace {

// The text of the first <tag>...</tag> at or after `from`, XML entities decoded; `from` moves
// past it. Nothing when there is none. S3's answers are flat enough for this.
std::optional<std::string> xml_value(std::string_view xml, std::string_view tag,
                                     std::size_t* from = nullptr) {
  const std::string open = fmt::format("<{}>", tag), close = fmt::format("</{}>", tag);
  const std::size_t start = from ? *from : 0;
  const auto b = xml.find(open, start);
  if (b == std::string_view::npos) return std::nullopt;
  const auto e = xml.find(close, b + open.size());
  if (e == std::string_view::npos) return std::nullopt;
  if (from) *from = e + close.size();
  const std::string_view raw = xml.substr(b + open.size(), e - b - open.size());
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '&') {
      out.push_back(raw[i]);
      continue;
    }
    const auto semi = raw.find(';', i);
    if (semi == std::string_view::npos) {
      out.push_back('&');
      continue;
    }
    const std::string_view name = raw.substr(i + 1, semi - i - 1);
    if (name == "amp")
      out.push_back('&');
    else if (name == "lt")
      out.push_back('<');
    else if (name == "gt")
      out.push_back('>');
    else if (name == "quot")
      out.push_back('"');
    else if (name == "apos")
      out.push_back('\'');
    else if (name.starts_with('#')) {
      const bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
      const unsigned long cp =
          std::stoul(std::string(name.substr(hex ? 2 : 1)), nullptr, hex ? 16 : 10);
      // UTF-8 of the code point.
      if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
      } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      }
    } else {
      out.append(raw.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

bool worth_retrying(const HttpResponse& r) {
  if (r.transport_error) return r.retryable_transport;
  if (r.wrong_length) return true;
  return r.status >= 500 || r.status == 429;
}

// Why a try failed, for the log and the final error: no header or body beyond S3's error code
// and message (an answer to a bad signature echoes the canonical request and the key id).
std::string cause(const HttpResponse& r, std::uint64_t expected) {
  if (r.transport_error) return r.transport_message;
  if (r.wrong_length)
    return fmt::format("a body of {} bytes where {} were expected", r.received, expected);
  const auto code = xml_value(r.text, "Code");
  const auto message = xml_value(r.text, "Message");
  std::string out = fmt::format("HTTP {}", r.status);
  if (code) out += " " + *code;
  if (message) out += ": " + *message;
  return out;
}

}  // namespace

S3Client::S3Client(S3Config config)
    : config_(std::move(config)), http_(std::make_unique<detail::HttpSession>(config_)) {}

S3Client::~S3Client() = default;

S3Client& S3Client::shared() {
  static S3Client client(S3Config::from_environment());
  return client;
}

std::uint64_t S3Client::requests_sent() const noexcept { return http_->requests_sent(); }

std::string S3Client::object_url(const std::string& bucket, const std::string& key,
                                 const std::string& query) const {
  const std::string path = detail::uri_encode(key, true);
  std::string url;
  if (config_.path_style)
    url = fmt::format("{}/{}/{}", config_.endpoint, bucket, path);
  else if (bucket.find('.') != std::string::npos)  // a dotted name breaks the TLS wildcard
    url = fmt::format("https://s3.{}.amazonaws.com/{}/{}", config_.region, bucket, path);
  else
    url = fmt::format("https://{}.s3.{}.amazonaws.com/{}", bucket, config_.region, path);
  if (!query.empty()) url += "?" + query;
  return url;
}

std::vector<HttpResponse> S3Client::run(std::vector<HttpRequest> requests,
                                        const std::vector<std::string>& what,
                                        bool missing_is_error) {
  std::vector<HttpResponse> responses(requests.size());
  std::vector<std::size_t> pending(requests.size());
  for (std::size_t i = 0; i < pending.size(); ++i) pending[i] = i;
  thread_local std::mt19937_64 random{std::random_device{}()};
  for (int attempt = 1; !pending.empty(); ++attempt) {
    std::vector<HttpRequest> batch;
    for (auto i : pending) batch.push_back(requests[i]);
    std::vector<HttpResponse> answers(batch.size());
    http_->perform(batch, answers, config_.requests_in_flight);
    std::vector<std::size_t> again;
    for (std::size_t k = 0; k < pending.size(); ++k) {
      const std::size_t i = pending[k];
      responses[i] = std::move(answers[k]);
      const HttpResponse& r = responses[i];
      if (r.ok()) continue;
      const auto expected = requests[i].expect_bytes.value_or(0);
      if (worth_retrying(r) && attempt < config_.attempts) {
        log(LogLevel::info, "S3: {} {} failed (try {} of {}): {}; retrying", requests[i].method,
            what[i], attempt, config_.attempts, cause(r, expected));
        again.push_back(i);
        continue;
      }
      if (r.status == 404 && !missing_is_error) continue;
      const auto code = xml_value(r.text, "Code").value_or("");
      if (r.status == 403)
        throw IoError(
            fmt::format("{}: access denied ({}); check the credentials (AWS_ACCESS_KEY_ID "
                        "or AWS_PROFILE), the region and the bucket's policy",
                        what[i], cause(r, expected)));
      if (r.status == 404 && code == "NoSuchBucket")
        throw IoError(fmt::format("{}: no such bucket ({})", what[i], cause(r, expected)));
      if (r.status == 404)
        throw IoError(fmt::format("{}: no such object ({})", what[i], cause(r, expected)));
      throw IoError(fmt::format("{}: {} failed{} ({})", what[i], requests[i].method,
                                worth_retrying(r) ? fmt::format(" after {} tries", attempt) : "",
                                cause(r, expected)));
    }
    pending = std::move(again);
    if (pending.empty()) break;
    // Exponential backoff with jitter (half fixed, half random), so that ranks retrying after
    // one overload do not come back in step; at most 20 s between tries.
    const double full = std::min(20000.0, config_.backoff_ms * std::pow(2.0, attempt - 1));
    std::uniform_real_distribution<double> jitter(full / 2, full);
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(jitter(random)));
  }
  return responses;
}

HttpResponse S3Client::run_one(HttpRequest request, const std::string& what,
                               bool missing_is_error) {
  std::vector<HttpRequest> one;
  one.push_back(std::move(request));
  return std::move(run(std::move(one), {what}, missing_is_error)[0]);
}

bool S3Client::bucket_exists(const std::string& bucket) {
  HttpRequest q{"HEAD", object_url(bucket, ""), {}, {}, std::nullopt};
  return run_one(std::move(q), "s3://" + bucket, false).status != 404;
}

std::uint64_t S3Client::size(const S3Url& url) {
  fault::point(fault::Point::read);
  HttpRequest q{"HEAD", object_url(url.bucket, url.key), {}, {}, std::nullopt};
  const HttpResponse r = run_one(std::move(q), url.str(), false);
  if (r.status == 404) {
    // A HEAD answer has no body to say which is missing.
    if (!bucket_exists(url.bucket))
      throw IoError(fmt::format("{}: no such bucket '{}'", url.str(), url.bucket));
    throw IoError(fmt::format("{}: no such object", url.str()));
  }
  const auto it = r.headers.find("content-length");
  if (it == r.headers.end())
    throw IoError(fmt::format("{}: the server gave no Content-Length", url.str()));
  return std::stoull(it->second);
}

Buffer S3Client::read(const S3Url& url, std::uint64_t begin, std::uint64_t n) {
  const std::pair<std::uint64_t, std::uint64_t> range{begin, n};
  return std::move(read_ranges(url, {&range, 1})[0]);
}

std::vector<Buffer> S3Client::read_ranges(
    const S3Url& url, std::span<const std::pair<std::uint64_t, std::uint64_t>> ranges) {
  fault::point(fault::Point::read);
  std::vector<HttpRequest> requests;
  std::vector<std::string> what;
  std::vector<std::size_t> index;  // of each request's range (empty ranges send none)
  const std::string target = object_url(url.bucket, url.key);
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const auto [begin, n] = ranges[i];
    if (n == 0) continue;
    requests.push_back(
        {"GET", target, {fmt::format("Range: bytes={}-{}", begin, begin + n - 1)}, {}, n});
    what.push_back(fmt::format("{} (bytes {}-{})", url.str(), begin, begin + n - 1));
    index.push_back(i);
  }
  std::vector<Buffer> out(ranges.size());
  auto answers = run(std::move(requests), what);
  for (std::size_t k = 0; k < answers.size(); ++k) out[index[k]] = std::move(answers[k].body);
  return out;
}

std::vector<S3Object> S3Client::list(const std::string& bucket, const std::string& prefix) {
  fault::point(fault::Point::read);
  std::vector<S3Object> out;
  std::string token;
  const std::string where = fmt::format("s3://{}/{}", bucket, prefix);
  for (;;) {
    // Sorted and percent-encoded: libcurl signs the query string as it is given.
    std::string query;
    if (!token.empty()) query += "continuation-token=" + detail::uri_encode(token, false) + "&";
    query += "list-type=2&prefix=" + detail::uri_encode(prefix, false);
    HttpRequest q{"GET", object_url(bucket, "", query), {}, {}, std::nullopt};
    const HttpResponse r = run_one(std::move(q), where);
    std::size_t at = 0;
    while (auto entry = xml_value(r.text, "Contents", &at)) {
      const auto key = xml_value(*entry, "Key");
      const auto size = xml_value(*entry, "Size");
      if (!key || !size)
        throw IoError(fmt::format("{}: a listing entry without Key or Size", where));
      out.push_back({*key, std::stoull(*size)});
    }
    if (xml_value(r.text, "IsTruncated").value_or("false") != "true") break;
    const auto next = xml_value(r.text, "NextContinuationToken");
    if (!next || next->empty() || *next == token)
      throw IoError(
          fmt::format("{}: a truncated listing page without a new continuation token", where));
    token = *next;
  }
  std::sort(out.begin(), out.end(),
            [](const S3Object& a, const S3Object& b) { return a.key < b.key; });
  return out;
}

void S3Client::put(const S3Url& url, std::span<const std::byte> bytes) {
  fault::point(fault::Point::write);
  run_one({"PUT", object_url(url.bucket, url.key), {}, bytes, std::nullopt}, url.str());
}

void S3Client::remove(const S3Url& url) {
  // Deleting what is not there succeeds in S3 (204): nothing to check.
  run_one({"DELETE", object_url(url.bucket, url.key), {}, {}, std::nullopt}, url.str(), false);
}

std::string S3Client::begin_upload(const S3Url& url) {
  fault::point(fault::Point::write);
  const HttpResponse r = run_one(
      {"POST", object_url(url.bucket, url.key, "uploads="), {}, {}, std::nullopt}, url.str());
  auto id = xml_value(r.text, "UploadId");
  if (!id || id->empty())
    throw IoError(fmt::format("{}: the server began an upload without an UploadId", url.str()));
  return *id;
}

std::string S3Client::upload_part(const S3Url& url, const std::string& upload_id, int number,
                                  std::span<const std::byte> bytes) {
  fault::point(fault::Point::write);
  if (number < 1 || number > max_parts)
    throw UsageError(
        fmt::format("{}: part number {} is outside 1-{}", url.str(), number, max_parts));
  const std::string query =
      fmt::format("partNumber={}&uploadId={}", number, detail::uri_encode(upload_id, false));
  const HttpResponse r =
      run_one({"PUT", object_url(url.bucket, url.key, query), {}, bytes, std::nullopt},
              fmt::format("{} (part {})", url.str(), number));
  const auto it = r.headers.find("etag");
  if (it == r.headers.end() || it->second.empty())
    throw IoError(fmt::format("{}: part {} was stored without an ETag", url.str(), number));
  return it->second;
}

void S3Client::complete_upload(const S3Url& url, const std::string& upload_id,
                               std::span<const S3Part> parts) {
  fault::point(fault::Point::rename);
  std::string body = "<CompleteMultipartUpload>";
  for (const auto& p : parts)
    body += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", p.number,
                        xml_escape(p.etag));
  body += "</CompleteMultipartUpload>";
  const auto bytes = std::as_bytes(std::span(body));
  const std::string query = "uploadId=" + detail::uri_encode(upload_id, false);
  // S3 may answer 200 and still fail: the error is then in the body (sent late, after a long
  // assembly). An internal one is worth another try, like a 500.
  for (int attempt = 1;; ++attempt) {
    const HttpResponse r =
        run_one({"POST", object_url(url.bucket, url.key, query), {}, bytes, std::nullopt},
                url.str(), false);
    if (r.status == 404) {
      // A completion sent again because its answer was lost (a reset, a timeout) finds its
      // upload gone when the first one did complete it: then the object is there, whole.
      // (libcurl may have sent it twice without our knowing: a kept connection found closed.)
      const bool gone = xml_value(r.text, "Code").value_or("") == "NoSuchUpload";
      std::uint64_t total = 0;
      for (const auto& p : parts) total += p.size;
      if (gone && exists(url) && size(url) == total) {
        log(LogLevel::info, "S3: {}: the upload was completed by an earlier try", url.str());
        return;
      }
      throw IoError(fmt::format("{}: completing the upload failed ({})", url.str(), cause(r, 0)));
    }
    if (r.text.find("<Error>") == std::string::npos) return;
    const auto code = xml_value(r.text, "Code").value_or("");
    if ((code != "InternalError" && code != "SlowDown") || attempt >= config_.attempts)
      throw IoError(fmt::format("{}: completing the upload failed ({}: {})", url.str(), code,
                                xml_value(r.text, "Message").value_or("")));
  }
}

bool S3Client::exists(const S3Url& url) {
  HttpRequest q{"HEAD", object_url(url.bucket, url.key), {}, {}, std::nullopt};
  return run_one(std::move(q), url.str(), false).status != 404;
}

void S3Client::abort_upload(const S3Url& url, const std::string& upload_id) {
  const std::string query = "uploadId=" + detail::uri_encode(upload_id, false);
  run_one({"DELETE", object_url(url.bucket, url.key, query), {}, {}, std::nullopt}, url.str(),
          false);
}

}  // namespace pando::io
