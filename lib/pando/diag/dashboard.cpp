#include <pando/diag/dashboard.hpp>

#include <pando/core/error.hpp>
#include <pando/diag/report.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <random>

namespace pando::diag {

namespace {

// 128 random bits as 32 hex digits.
std::string random_token() {
  std::random_device device;  // /dev/urandom
  std::string out;
  for (int i = 0; i < 4; ++i) out += fmt::format("{:08x}", device());
  return out;
}

// Compares in time that does not depend on where the strings differ.
bool same_token(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// The data is rebuilt at most once a second, and takes at most a tenth of one core's time (a
// trace of a million tasks takes a while to summarize, and the job needs the cores).
constexpr double min_rebuild_seconds = 1.0;
constexpr double max_busy_share = 0.1;

// Smaller than the report's: the page redraws every second, in a browser that may share the
// job's node.
constexpr ReportLimits live_limits{.max_spans = 20'000, .bins_per_rank = 1'000, .max_points = 500};

}  // namespace

DashboardAddress parse_dashboard_address(const std::string& text, const std::string& what) {
  DashboardAddress a;
  std::string_view port = text;
  if (const std::size_t colon = text.rfind(':'); colon != std::string::npos) {
    a.host = text.substr(0, colon);
    if (a.host.size() >= 2 && a.host.front() == '[' && a.host.back() == ']')
      a.host = a.host.substr(1, a.host.size() - 2);
    port = std::string_view(text).substr(colon + 1);
  }
  int value = -1;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (a.host.empty() || ec != std::errc() || end != port.data() + port.size() || value < 0 ||
      value > 65535)
    throw UsageError(fmt::format(
        "{}: '{}' is not [HOST:]PORT (a port from 0 to 65535, 0 for a free one; e.g. 8787 or "
        "0.0.0.0:8787)",
        what, text));
  a.port = value;
  return a;
}

Dashboard::Dashboard(const DashboardAddress& address, std::shared_ptr<const Recorder> recorder,
                     RunFacts facts, Stopwatch epoch)
    : recorder_(std::move(recorder)),
      epoch_(epoch),
      host_(address.host),
      token_(random_token()),
      facts_(std::move(facts)) {
  facts_.live = true;
  server_ = std::make_unique<HttpServer>(address.host, address.port,
                                         [this](const HttpRequest& req) { return handle(req); });
}

std::string Dashboard::url() const {
  const bool v6 = host_.find(':') != std::string::npos;
  return fmt::format("http://{}{}{}:{}/?token={}", v6 ? "[" : "", host_, v6 ? "]" : "",
                     server_->port(), token_);
}

void Dashboard::finished() {
  const std::lock_guard lock(mutex_);
  facts_.live = false;
  facts_.wall = epoch_.seconds();
  since_cached_ = Stopwatch();
  cached_.clear();  // the next request gets the final state
}

HttpResponse Dashboard::handle(const HttpRequest& req) {
  const auto token = req.query.find("token");
  if (token == req.query.end() || !same_token(token->second, token_))
    return {403, "text/plain; charset=utf-8",
            "403 Forbidden: this dashboard needs the token the job printed on stderr "
            "(pando: dashboard at http://...?token=...)\n"};
  if (req.path == "/" || req.path == "/index.html")
    return {200, "text/html; charset=utf-8", dashboard_page(token_)};
  if (req.path == "/data") return {200, "application/json", data()};
  return {404, "text/plain; charset=utf-8", "Not found: the dashboard serves / and /data\n"};
}

std::string Dashboard::data() {
  const std::lock_guard lock(mutex_);
  if (!cached_.empty() &&
      since_cached_.seconds() < std::max(min_rebuild_seconds, build_seconds_ / max_busy_share))
    return cached_;
  const Stopwatch build;
  recorder_->snapshot(copy_);
  if (facts_.live) facts_.wall = epoch_.seconds();
  cached_ = report_json(copy_, facts_, live_limits);
  build_seconds_ = build.seconds();
  since_cached_ = Stopwatch();
  return cached_;
}

}  // namespace pando::diag
