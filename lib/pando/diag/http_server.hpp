#pragma once
// A small HTTP/1.1 server for the dashboard: one thread of its own that answers GET requests
// one at a time (a page and its data), with no MPI call and no lock the job's thread waits on.
// A slow or silent browser is cut off after a few seconds, so it never holds the job back, and
// the job never waits for a browser.

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>

namespace pando::diag {

struct HttpRequest {
  std::string method;
  std::string path;                          // without the query
  std::map<std::string, std::string> query;  // percent-decoded
};

struct HttpResponse {
  int status = 200;
  std::string type = "text/plain; charset=utf-8";
  std::string body;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // Listens on `host` (a name or an address) and `port` (0: a free one) and serves until
  // destroyed. IoError naming the address when it cannot listen there.
  HttpServer(const std::string& host, int port, Handler handler);
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();

  [[nodiscard]] int port() const noexcept { return port_; }

 private:
  void serve();
  void answer(int client);

  int listener_ = -1;
  int port_ = 0;
  Handler handler_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// "%41b+c" -> "Ab c".
[[nodiscard]] std::string percent_decode(std::string_view s);

}  // namespace pando::diag
