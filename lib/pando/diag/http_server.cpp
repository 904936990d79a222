#include <pando/diag/http_server.hpp>

#include <pando/core/error.hpp>
#include <pando/core/log.hpp>

#include <fmt/format.h>

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>

namespace pando::diag {

namespace {

// A socket, closed when it goes.
class Socket {
 public:
  explicit Socket(int fd = -1) noexcept : fd_(fd) {}
  Socket(Socket&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Socket& operator=(Socket&&) = delete;
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

using AddrInfo = std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)>;

AddrInfo resolve(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0)
    throw IoError(fmt::format("dashboard: cannot resolve '{}': {}", host, ::gai_strerror(rc)));
  return {found, &::freeaddrinfo};
}

int bound_port(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
}

// Requests and answers wait at most this long for a browser.
constexpr int io_timeout_seconds = 3;
constexpr std::size_t max_head_bytes = 16 * 1024;

void set_timeouts(int fd) {
  const timeval t{io_timeout_seconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &t, sizeof t);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &t, sizeof t);
}

// The request's head (up to the blank line), or "" when the browser sent none in time.
std::string read_head(int fd) {
  std::string head;
  char buf[4096];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < max_head_bytes) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return {};
    head.append(buf, static_cast<std::size_t>(n));
  }
  return head;
}

std::map<std::string, std::string> parse_query(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    const std::size_t amp = q.find('&');
    const std::string_view pair = q.substr(0, amp);
    const std::size_t eq = pair.find('=');
    out[percent_decode(pair.substr(0, eq))] =
        eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

bool parse_request(std::string_view head, HttpRequest& req) {
  const std::size_t line_end = head.find("\r\n");
  const std::string_view line = head.substr(0, line_end);
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) return false;
  req.method = std::string(line.substr(0, sp1));
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::size_t qm = target.find('?');
  req.path = percent_decode(target.substr(0, qm));
  if (qm != std::string_view::npos) req.query = parse_query(target.substr(qm + 1));
  return true;
}

std::string_view reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    default:
      return "Internal Server Error";
  }
}

void send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;  // the browser went away, or was too slow: it can ask again
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

std::string percent_decode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

HttpServer::HttpServer(const std::string& host, int port, Handler handler)
    : handler_(std::move(handler)) {
  const AddrInfo addrs = resolve(host, port);
  std::string why = "no address";
  for (const addrinfo* a = addrs.get(); a; a = a->ai_next) {
    Socket s(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
    if (s.get() < 0) {
      why = std::strerror(errno);
      continue;
    }
    const int yes = 1;
    ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(s.get(), a->ai_addr, a->ai_addrlen) != 0 || ::listen(s.get(), 16) != 0) {
      why = std::strerror(errno);
      continue;
    }
    port_ = bound_port(s.get());
    listener_ = s.release();
    break;
  }
  if (listener_ < 0)
    throw IoError(fmt::format("dashboard: cannot listen on {}:{}: {}", host, port, why));
  thread_ = std::thread([this] { serve(); });
}

HttpServer::~HttpServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(listener_);
}

void HttpServer::serve() {
  while (!stop_) {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    Socket client(::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC));
    if (client.get() < 0) continue;
    set_timeouts(client.get());
    answer(client.get());
  }
}

void HttpServer::answer(int client) {
  const std::string head = read_head(client);
  if (head.empty()) return;
  HttpRequest req;
  HttpResponse res;
  if (!parse_request(head, req)) {
    res = {400, "text/plain; charset=utf-8", "Bad request\n"};
  } else if (req.method != "GET" && req.method != "HEAD") {
    res = {405, "text/plain; charset=utf-8", "Only GET is served here\n"};
  } else {
    try {
      res = handler_(req);
    } catch (const std::exception& e) {
      log_warn("dashboard: {}", e.what());
      res = {500, "text/plain; charset=utf-8", "The dashboard failed on this request\n"};
    }
  }
  const std::string top = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n"
      "X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\nConnection: "
      "close\r\n\r\n",
      res.status, reason(res.status), res.type, res.body.size());
  send_all(client, top);
  if (req.method != "HEAD") send_all(client, res.body);
}

}  // namespace pando::diag
