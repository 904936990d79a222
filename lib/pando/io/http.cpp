#include <pando/io/detail/http.hpp>

#include <pando/core/error.hpp>

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <deque>
#include <mutex>

namespace pando::io::detail {

namespace {

// curl_global_init is not thread-safe and must come before any other call: once per process.
void global_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      throw IoError("S3: libcurl could not be initialized");
  });
}

// RAII over the three kinds of curl handle.
struct EasyDeleter {
  void operator()(CURL* h) const noexcept { curl_easy_cleanup(h); }
};
struct MultiDeleter {
  void operator()(CURLM* h) const noexcept { curl_multi_cleanup(h); }
};
struct ListDeleter {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;
using Multi = std::unique_ptr<CURLM, MultiDeleter>;
using HeaderList = std::unique_ptr<curl_slist, ListDeleter>;

// Failures where the same request may well succeed next time.
bool retryable(CURLcode c) noexcept {
  switch (c) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_COULDNT_RESOLVE_HOST:
      return true;
    default:
      return false;
  }
}

// One request in flight: its handle, headers and where its answer goes.
struct Transfer {
  Easy easy;
  HeaderList headers;
  const HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  char error[CURL_ERROR_SIZE] = {};
};

constexpr std::size_t max_error_body = 1 << 20;

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const std::size_t bytes = size * n;
  HttpResponse& r = *t.response;
  long status = 0;
  curl_easy_getinfo(t.easy.get(), CURLINFO_RESPONSE_CODE, &status);
  const bool success = status >= 200 && status < 300;
  if (success && t.request->expect_bytes) {
    if (r.received + bytes > *t.request->expect_bytes) {
      // Longer than the range asked for: stop here (the transfer fails with a write error).
      r.wrong_length = true;
      return 0;
    }
    if (r.body.size() == 0 && *t.request->expect_bytes > 0)
      r.body = Buffer::allocate(static_cast<std::size_t>(*t.request->expect_bytes));
    std::memcpy(r.body.as_mutable<std::byte>().data() + r.received, data, bytes);
  } else if (r.text.size() < max_error_body) {
    r.text.append(data, std::min(bytes, max_error_body - r.text.size()));
  }
  r.received += bytes;
  return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto& r = *static_cast<Transfer*>(user)->response;
  const std::size_t bytes = size * n;
  const std::string_view line(data, bytes);
  if (line.starts_with("HTTP/")) {
    r.headers.clear();  // a new response (after "100 Continue" or a redirect)
    return bytes;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  r.headers[name] = std::string(value);
  return bytes;
}

void check(CURLcode c, const char* what) {
  if (c != CURLE_OK) throw IoError(fmt::format("S3: {} failed ({})", what, curl_easy_strerror(c)));
}

}  // namespace

struct HttpSession::Impl {
  S3Config config;
  Multi multi;
  std::vector<Easy> idle;  // reset handles, reused (each keeps its TLS session cache)
  std::mutex mutex;        // one batch at a time; the executor thread is the only caller

  Easy take() {
    if (!idle.empty()) {
      Easy e = std::move(idle.back());
      idle.pop_back();
      curl_easy_reset(e.get());
      return e;
    }
    Easy e(curl_easy_init());
    if (!e) throw IoError("S3: could not create a libcurl handle");
    return e;
  }

  void prepare(Transfer& t) {
    CURL* h = t.easy.get();
    const HttpRequest& q = *t.request;
    check(curl_easy_setopt(h, CURLOPT_URL, q.url.c_str()), "setting the URL");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t.error);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    // A stalled transfer (under one byte a second for the timeout) is abandoned and retried; a
    // slow but moving one is not, however large.
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(config.stall_timeout_s));
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    if (q.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (q.method == "PUT" || q.method == "POST") {
      // The body from memory, with its length: curl re-sends it as is on a retry.
      curl_easy_setopt(h, CURLOPT_POST, 1L);
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(q.body.size()));
      const void* body =
          q.body.empty() ? static_cast<const void*>("") : static_cast<const void*>(q.body.data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
      if (q.method == "PUT") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
    } else if (q.method != "GET") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q.method.c_str());
    }
    curl_slist* list = nullptr;
    auto add = [&](const std::string& line) {
      curl_slist* more = curl_slist_append(list, line.c_str());
      if (!more) {
        curl_slist_free_all(list);
        throw IoError("S3: out of memory for request headers");
      }
      list = more;
    };
    for (const auto& line : q.headers) add(line);
    // libcurl's SigV4 signs the payload hash it finds in this header (S3 insists on it).
    add("x-amz-content-sha256: UNSIGNED-PAYLOAD");
    if (q.method == "PUT" || q.method == "POST") {
      add("Content-Type: application/octet-stream");
      // No "100 Continue" round trip before each part.
      add("Expect:");
    }
    if (config.credentials && !config.credentials->session_token.empty())
      add("x-amz-security-token: " + config.credentials->session_token);
    t.headers.reset(list);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    if (config.credentials) {
      const std::string provider = "aws:amz:" + config.region + ":s3";
      check(curl_easy_setopt(h, CURLOPT_AWS_SIGV4, provider.c_str()), "SigV4 signing");
      curl_easy_setopt(h, CURLOPT_USERNAME, config.credentials->access_key.c_str());
      curl_easy_setopt(h, CURLOPT_PASSWORD, config.credentials->secret_key.c_str());
    }
  }
};

HttpSession::HttpSession(const S3Config& config) : impl_(std::make_unique<Impl>()) {
  global_init();
  impl_->config = config;
  impl_->multi.reset(curl_multi_init());
  if (!impl_->multi) throw IoError("S3: could not create a libcurl multi handle");
}

HttpSession::~HttpSession() = default;

void HttpSession::perform(std::span<const HttpRequest> requests, std::span<HttpResponse> responses,
                          int in_flight) {
  std::lock_guard lock(impl_->mutex);
  CURLM* multi = impl_->multi.get();
  std::deque<std::size_t> waiting;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    responses[i] = HttpResponse{};
    waiting.push_back(i);
  }
  std::vector<std::unique_ptr<Transfer>> running;
  auto start_more = [&] {
    while (!waiting.empty() && static_cast<int>(running.size()) < std::max(1, in_flight)) {
      const std::size_t i = waiting.front();
      waiting.pop_front();
      auto t = std::make_unique<Transfer>();
      t->easy = impl_->take();
      t->request = &requests[i];
      t->response = &responses[i];
      impl_->prepare(*t);
      if (curl_multi_add_handle(multi, t->easy.get()) != CURLM_OK)
        throw IoError("S3: could not start a request");
      ++sent_;
      running.push_back(std::move(t));
    }
  };
  // Whatever happens, no handle stays attached to the multi handle.
  struct Detach {
    CURLM* multi;
    std::vector<std::unique_ptr<Transfer>>& running;
    ~Detach() {
      for (auto& t : running) curl_multi_remove_handle(multi, t->easy.get());
    }
  } detach{multi, running};

  start_more();
  while (!running.empty()) {
    int active = 0;
    if (curl_multi_perform(multi, &active) != CURLM_OK) throw IoError("S3: transfer failed");
    int queued = 0;
    while (CURLMsg* m = curl_multi_info_read(multi, &queued)) {
      if (m->msg != CURLMSG_DONE) continue;
      auto it = std::find_if(running.begin(), running.end(),
                             [&](const auto& t) { return t->easy.get() == m->easy_handle; });
      if (it == running.end()) continue;
      Transfer& t = **it;
      HttpResponse& r = *t.response;
      const CURLcode code = m->data.result;
      curl_easy_getinfo(t.easy.get(), CURLINFO_RESPONSE_CODE, &r.status);
      if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && r.wrong_length)) {
        r.transport_error = static_cast<int>(code);
        r.transport_message = t.error[0] ? t.error : curl_easy_strerror(code);
        r.retryable_transport = retryable(code);
      }
      const bool success = r.status >= 200 && r.status < 300;
      if (t.request->expect_bytes && success && r.received != *t.request->expect_bytes)
        r.wrong_length = true;
      curl_multi_remove_handle(multi, t.easy.get());
      impl_->idle.push_back(std::move(t.easy));
      running.erase(it);
    }
    start_more();
    if (!running.empty()) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  }
}

std::string uri_encode(std::string_view text, bool keep_slash) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/'))
      out.push_back(ch);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

}  // namespace pando::io::detail
