#include <pando/io/detail/s3_config.hpp>

#include <pando/core/error.hpp>

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>
#include <fstream>

namespace pando::io {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

int env_int(const char* name, int fallback, int least) {
  const std::string text = env(name);
  if (text.empty()) return fallback;
  int v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < least)
    throw UsageError(
        fmt::format("{}={}: expected a whole number of at least {}", name, text, least));
  return v;
}

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::optional<S3Credentials> read_credentials_file(const std::string& path,
                                                   const std::string& profile) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  S3Credentials c;
  bool in_profile = false, found = false;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') throw IoError(fmt::format("{}:{}: malformed section", path, number));
      in_profile = trim(line.substr(1, line.size() - 2)) == profile;
      found = found || in_profile;
      continue;
    }
    if (!in_profile) continue;
    const auto eq = line.find('=');
    // The line is not quoted back: it may hold a secret.
    if (eq == std::string::npos)
      throw IoError(fmt::format("{}:{}: expected 'name = value'", path, number));
    const std::string name = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    if (name == "aws_access_key_id") c.access_key = value;
    if (name == "aws_secret_access_key") c.secret_key = value;
    if (name == "aws_session_token") c.session_token = value;
  }
  if (!found || c.access_key.empty() || c.secret_key.empty()) return std::nullopt;
  return c;
}

S3Config S3Config::from_environment() {
  S3Config c;
  c.endpoint = env("AWS_ENDPOINT_URL");
  while (c.endpoint.ends_with('/')) c.endpoint.pop_back();
  if (!c.endpoint.empty() && !c.endpoint.starts_with("http://") &&
      !c.endpoint.starts_with("https://"))
    throw UsageError(
        fmt::format("AWS_ENDPOINT_URL={}: expected http://HOST[:PORT] or https://...", c.endpoint));
  // A custom endpoint rarely has the wildcard DNS that virtual-host addressing needs.
  c.path_style = !c.endpoint.empty();
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"})
    if (const std::string r = env(name); !r.empty()) {
      c.region = r;
      break;
    }
  if (const std::string id = env("AWS_ACCESS_KEY_ID"); !id.empty()) {
    const std::string secret = env("AWS_SECRET_ACCESS_KEY");
    if (secret.empty())
      throw UsageError("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    c.credentials = S3Credentials{id, secret, env("AWS_SESSION_TOKEN")};
  } else {
    std::string file = env("AWS_SHARED_CREDENTIALS_FILE");
    if (file.empty() && !env("HOME").empty()) file = env("HOME") + "/.aws/credentials";
    const std::string profile = env("AWS_PROFILE").empty() ? "default" : env("AWS_PROFILE");
    if (!file.empty()) c.credentials = read_credentials_file(file, profile);
  }
  c.attempts = env_int("PANDO_S3_ATTEMPTS", c.attempts, 1);
  c.backoff_ms = env_int("PANDO_S3_BACKOFF_MS", c.backoff_ms, 0);
  c.stall_timeout_s = env_int("PANDO_S3_TIMEOUT", c.stall_timeout_s, 1);
  c.requests_in_flight = env_int("PANDO_S3_REQUESTS", c.requests_in_flight, 1);
  return c;
}

}  // namespace pando::io
