#pragma once
// The S3 server of the tests (tests/io/s3/s3_fixture.py: s3rver behind a proxy that checks
// signatures, enforces multipart rules and injects faults), started by a CTest fixture, whose
// state file PANDO_S3_TEST_STATE names.

#include <pando/io/detail/s3_config.hpp>

#include <cstdint>
#include <string>

namespace pando::test::s3 {

// The proxy's endpoint and the credentials it accepts. Throws when PANDO_S3_TEST_STATE is not
// set or its file does not exist (the fixture did not run).
struct Server {
  std::string endpoint;
  std::string region;
  std::string access_key;
  std::string secret;
};
const Server& server();

// A client configuration for the server, with retries a few milliseconds apart.
io::S3Config config();
// Points the process's S3Client::shared() (and the frame's reads and writes) at the server:
// call before its first use.
void use_server();

// Collective. A key prefix of this test run ("np3-12345/"), the same on every rank, so runs at
// several rank counts at once do not meet in the buckets.
std::string run_prefix();

// Adds fault rules (a JSON list, see s3_fixture.py), removes those whose match holds `match`,
// and counts the requests so far whose path holds `match` (of `method`, or any).
void add_faults(const std::string& rules_json);
void clear_faults(const std::string& match);
std::int64_t count_requests(const std::string& match, const std::string& method = "");
// The connections that requests whose path holds `match` came over.
std::int64_t count_connections(const std::string& match);

}  // namespace pando::test::s3
