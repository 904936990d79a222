#include <s3_test_server.hpp>

#include <mpi_test.hpp>

#include <pando/core/consensus.hpp>
#include <pando/core/error.hpp>
#include <pando/io/detail/http.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <cctype>
#include <sstream>
#include <vector>

namespace pando::test::s3 {

namespace {

// The text after `"name": ` in a flat JSON object written by s3_fixture.py (json.dump: one
// space after the colon): a string's contents, or a number's digits. (No std::regex: GCC 12
// warns inside it under the sanitizers, and warnings are errors.)
std::string field(const std::string& json, const std::string& name) {
  const std::string key = "\"" + name + "\": ";
  const auto at = json.find(key);
  if (at == std::string::npos) throw std::runtime_error("S3 test proxy: no " + name);
  const auto b = at + key.size();
  if (b < json.size() && json[b] == '"') {
    const auto e = json.find('"', b + 1);
    return json.substr(b + 1, e - b - 1);
  }
  auto e = b;
  while (e < json.size() && std::isdigit(static_cast<unsigned char>(json[e]))) ++e;
  return json.substr(b, e - b);
}

// A control request to the proxy (unsigned: the proxy answers /__pando__/ itself).
std::string control(const std::string& method, const std::string& path, const std::string& body) {
  io::S3Config c;
  io::detail::HttpSession http(c);
  io::detail::HttpRequest q{
      method, server().endpoint + path, {}, std::as_bytes(std::span(body)), std::nullopt};
  io::detail::HttpResponse r;
  http.perform({&q, 1}, {&r, 1}, 1);
  if (!r.ok())
    throw std::runtime_error(fmt::format("S3 test proxy: {} {} failed: HTTP {} {}", method, path,
                                         r.status, r.transport_message));
  return r.text;
}

}  // namespace

const Server& server() {
  static const Server s = [] {
    const char* state = std::getenv("PANDO_S3_TEST_STATE");
    if (!state) throw std::runtime_error("PANDO_S3_TEST_STATE is not set (run through ctest)");
    std::ifstream in(state);
    if (!in)
      throw std::runtime_error(
          fmt::format("{}: no S3 test server state (the fixture did not run)", state));
    std::stringstream text;
    text << in.rdbuf();
    const std::string json = text.str();
    return Server{field(json, "endpoint"), field(json, "region"), field(json, "access_key"),
                  field(json, "secret")};
  }();
  return s;
}

io::S3Config config() {
  io::S3Config c;
  c.endpoint = server().endpoint;
  c.region = server().region;
  c.path_style = true;
  c.credentials = io::S3Credentials{server().access_key, server().secret, ""};
  c.backoff_ms = 5;
  c.attempts = 4;
  return c;
}

void use_server() {
  ::setenv("AWS_ENDPOINT_URL", server().endpoint.c_str(), 1);
  ::setenv("AWS_REGION", server().region.c_str(), 1);
  ::setenv("AWS_ACCESS_KEY_ID", server().access_key.c_str(), 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", server().secret.c_str(), 1);
  ::setenv("PANDO_S3_BACKOFF_MS", "5", 1);
  ::setenv("PANDO_S3_ATTEMPTS", "4", 1);
}

std::string run_prefix() {
  return on_root(comm(), [] { return fmt::format("np{}-{}/", size(), ::getpid()); });
}

void add_faults(const std::string& rules_json) { control("POST", "/__pando__/faults", rules_json); }

void clear_faults(const std::string& match) {
  control("POST", "/__pando__/clear?match=" + io::detail::uri_encode(match, false), "");
}

namespace {
std::int64_t counted(const std::string& match, const std::string& method, const char* what) {
  const std::string text = control("GET",
                                   fmt::format("/__pando__/count?match={}&method={}",
                                               io::detail::uri_encode(match, false), method),
                                   "");
  return std::stoll(field(text, what));
}
}  // namespace

std::int64_t count_requests(const std::string& match, const std::string& method) {
  return counted(match, method, "count");
}

std::int64_t count_connections(const std::string& match) {
  return counted(match, "", "connections");
}

}  // namespace pando::test::s3
