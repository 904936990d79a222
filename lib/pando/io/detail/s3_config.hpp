#pragma once
// Where S3 requests go and how they are signed, from the environment as the AWS tools read it
// (docs/architecture.md §7.4):
//
//   AWS_ENDPOINT_URL          an S3-compatible server (Ceph RGW, MinIO, a local test server);
//                             when set, buckets are addressed by path (http://host/bucket/key),
//                             else virtual-host style on AWS
//                             (https://bucket.s3.REGION.amazonaws.com)
//   AWS_REGION, AWS_DEFAULT_REGION   the signing region (us-east-1 when neither is set)
//   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
//                             credentials; when absent, the profile AWS_PROFILE (or "default")
//                             of AWS_SHARED_CREDENTIALS_FILE (or ~/.aws/credentials); when none
//                             is found requests go unsigned (public buckets)
//   PANDO_S3_ATTEMPTS         tries per request before an error (6)
//   PANDO_S3_BACKOFF_MS       the first retry's delay; each later one doubles, with jitter (200)
//   PANDO_S3_TIMEOUT          seconds a connection may stall (no byte moves) before a retry (30)
//   PANDO_S3_REQUESTS         requests in flight per rank for ranged reads (4)
//
// Credentials stay inside this struct and the signing call: no formatter prints them, and
// errors name buckets and keys only.

#include <cstdint>
#include <optional>
#include <string>

namespace pando::io {

struct S3Credentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // temporary credentials only
};

struct S3Config {
  std::string endpoint;  // scheme://host[:port], no trailing '/'; empty: AWS
  std::string region = "us-east-1";
  bool path_style = false;
  std::optional<S3Credentials> credentials;  // none: unsigned requests
  int attempts = 6;
  int backoff_ms = 200;
  int stall_timeout_s = 30;
  int requests_in_flight = 4;

  // From the environment (above). UsageError naming the variable when a number is malformed;
  // IoError naming the file (never its contents) when a credentials file cannot be parsed.
  static S3Config from_environment();
};

// The profile `profile` of an AWS credentials file (INI: [name], key = value), or nothing when
// the file or the profile does not exist.
std::optional<S3Credentials> read_credentials_file(const std::string& path,
                                                   const std::string& profile);

}  // namespace pando::io
