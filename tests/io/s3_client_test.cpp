// The S3 client against a server on loopback (tests/io/s3/s3_fixture.py): reads are exact,
// listings complete over many pages, multipart uploads follow S3's rules, failures that may pass
// are retried (and proved by injected faults), the others name bucket and key but never the
// credentials. Every rank runs its own requests under its own keys.

#include <mpi_test.hpp>
#include <s3_test_server.hpp>

#include <pando/core/error.hpp>
#include <pando/io/detail/s3_client.hpp>
#include <pando/io/detail/s3_config.hpp>
#include <pando/io/s3_url.hpp>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

namespace io = pando::io;
namespace s3 = pando::test::s3;
using pando::Buffer;
using pando::IoError;
using pando::UsageError;
using pando::test::comm;
using pando::test::rank;

namespace {

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 g(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(g());
  return s;
}

std::span<const std::byte> bytes_of(const std::string& s) { return std::as_bytes(std::span(s)); }

std::string text_of(const Buffer& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// This rank's keys: "np2-1234/rank1/<name>".
std::string key(const std::string& name) {
  static const std::string prefix = s3::run_prefix();
  return fmt::format("{}rank{}/{}", prefix, rank(), name);
}

io::S3Url url(const std::string& name) { return {"pando-data", key(name)}; }

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const IoError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("unexpected: ") + e.what();
  }
  return "";
}

}  // namespace

TEST(S3Url, ParsesBucketKeyAndGlobs) {
  EXPECT_TRUE(io::is_s3_url("s3://b/x"));
  EXPECT_FALSE(io::is_s3_url("data/s3://x"));
  EXPECT_EQ(io::parse_s3_url("s3://my-bucket/a/b c.csv"), (io::S3Url{"my-bucket", "a/b c.csv"}));
  EXPECT_EQ(io::parse_s3_url("s3://my.bucket"), (io::S3Url{"my.bucket", ""}));
  EXPECT_EQ(io::parse_s3_url("s3://abc/x").str(), "s3://abc/x");
  EXPECT_THROW(io::parse_s3_url("s3://Bad_Bucket/x"), UsageError);
  EXPECT_THROW(io::parse_s3_url("s3://ab/x"), UsageError);
  EXPECT_THROW(io::parse_s3_url("/tmp/x.csv"), UsageError);
  EXPECT_TRUE(io::has_glob("data/*.csv"));
  EXPECT_FALSE(io::has_glob("data/a.csv"));
  EXPECT_EQ(io::glob_prefix("data/part-*.csv"), "data/part-");
  EXPECT_TRUE(io::glob_matches("data/*.csv", "data/a.csv"));
  EXPECT_FALSE(io::glob_matches("data/*.csv", "data/sub/a.csv"));  // '*' stays in its folder
  EXPECT_FALSE(io::glob_matches("data/*.csv", "data/a.csv.gz"));
  EXPECT_TRUE(io::glob_matches("data/p-?[0-9].csv", "data/p-a7.csv"));
}

TEST(S3Config, FromEnvironmentAndCredentialsFile) {
  const std::string dir =
      fmt::format("{}/pando-s3-config-{}-{}", std::filesystem::temp_directory_path().string(),
                  ::getpid(), rank());
  std::filesystem::create_directories(dir);
  const std::string file = dir + "/credentials";
  std::ofstream(file) << "# test\n[default]\naws_access_key_id = AKDEFAULT\n"
                         "aws_secret_access_key = topsecret-default\n\n[other]\n"
                         "aws_access_key_id=AKOTHER\naws_secret_access_key=topsecret-other\n"
                         "aws_session_token = tok\n";
  const auto def = io::read_credentials_file(file, "default");
  ASSERT_TRUE(def);
  EXPECT_EQ(def->access_key, "AKDEFAULT");
  EXPECT_EQ(def->secret_key, "topsecret-default");
  const auto other = io::read_credentials_file(file, "other");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->session_token, "tok");
  EXPECT_FALSE(io::read_credentials_file(file, "missing"));
  EXPECT_FALSE(io::read_credentials_file(dir + "/none", "default"));
  std::ofstream(dir + "/bad") << "[default]\naws_secret_access_key topsecret\n";
  try {
    (void)io::read_credentials_file(dir + "/bad", "default");
    ADD_FAILURE() << "a malformed file was accepted";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()).find("topsecret"), std::string::npos) << e.what();
  }

  // The environment: endpoint (path style), region, profile from the file; restored after.
  struct Saved {
    std::vector<std::pair<std::string, std::optional<std::string>>> vars;
    void set(const char* name, const char* value) {
      const char* old = std::getenv(name);
      vars.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
      if (value)
        ::setenv(name, value, 1);
      else
        ::unsetenv(name);
    }
    ~Saved() {
      for (auto it = vars.rbegin(); it != vars.rend(); ++it)
        if (it->second)
          ::setenv(it->first.c_str(), it->second->c_str(), 1);
        else
          ::unsetenv(it->first.c_str());
    }
  } env;
  env.set("AWS_ENDPOINT_URL", "http://127.0.0.1:9/");
  env.set("AWS_REGION", nullptr);
  env.set("AWS_DEFAULT_REGION", "eu-west-3");
  env.set("AWS_ACCESS_KEY_ID", nullptr);
  env.set("AWS_SECRET_ACCESS_KEY", nullptr);
  env.set("AWS_SESSION_TOKEN", nullptr);
  env.set("AWS_SHARED_CREDENTIALS_FILE", file.c_str());
  env.set("AWS_PROFILE", "other");
  env.set("PANDO_S3_ATTEMPTS", "3");
  auto c = io::S3Config::from_environment();
  EXPECT_EQ(c.endpoint, "http://127.0.0.1:9");
  EXPECT_TRUE(c.path_style);
  EXPECT_EQ(c.region, "eu-west-3");
  ASSERT_TRUE(c.credentials);
  EXPECT_EQ(c.credentials->access_key, "AKOTHER");
  EXPECT_EQ(c.attempts, 3);
  env.set("AWS_ACCESS_KEY_ID", "AKENV");
  env.set("AWS_SECRET_ACCESS_KEY", "topsecret-env");
  env.set("AWS_REGION", "ap-south-1");
  c = io::S3Config::from_environment();
  EXPECT_EQ(c.credentials->access_key, "AKENV");
  EXPECT_EQ(c.region, "ap-south-1");
  env.set("AWS_ENDPOINT_URL", nullptr);
  EXPECT_FALSE(io::S3Config::from_environment().path_style);
  env.set("PANDO_S3_ATTEMPTS", "zero");
  EXPECT_THROW((void)io::S3Config::from_environment(), UsageError);
  std::filesystem::remove_all(dir);
}

TEST(S3Client, PutSizeAndExactRanges) {
  io::S3Client client(s3::config());
  const std::string data = random_bytes(3'000'001, 7 + static_cast<unsigned>(rank()));
  client.put(url("blob.bin"), bytes_of(data));
  EXPECT_EQ(client.size(url("blob.bin")), data.size());
  EXPECT_EQ(text_of(client.read(url("blob.bin"), 0, 10)), data.substr(0, 10));
  EXPECT_EQ(text_of(client.read(url("blob.bin"), 2'999'990, 11)), data.substr(2'999'990));
  EXPECT_EQ(client.read(url("blob.bin"), 5, 0).size(), 0u);
  // Many ranges, several in flight, each exact and in the order asked.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  for (std::uint64_t b = 0; b < data.size(); b += 250'000)
    ranges.emplace_back(b, std::min<std::uint64_t>(250'000, data.size() - b));
  const auto parts = client.read_ranges(url("blob.bin"), ranges);
  std::string joined;
  for (const auto& p : parts) joined += text_of(p);
  EXPECT_EQ(joined, data);
  // Keys with characters that need encoding (signed and sent alike).
  const io::S3Url odd{"pando-data", key("a b/ü+x=&y.csv")};
  client.put(odd, bytes_of(std::string("hello")));
  EXPECT_EQ(text_of(client.read(odd, 1, 3)), "ell");
  client.remove(odd);
  EXPECT_NE(error_of([&] { (void)client.size(odd); }).find("no such object"), std::string::npos);
}

TEST(S3Client, ErrorsNameBucketAndKeyNeverTheSecret) {
  io::S3Client client(s3::config());
  const std::string missing = error_of([&] { (void)client.size(url("missing.csv")); });
  EXPECT_NE(missing.find("s3://pando-data/" + key("missing.csv")), std::string::npos) << missing;
  EXPECT_NE(missing.find("no such object"), std::string::npos) << missing;
  const std::string no_bucket = error_of([&] {
    (void)client.size({"no-such-bucket-here", "x.csv"});
  });
  EXPECT_NE(no_bucket.find("no such bucket 'no-such-bucket-here'"), std::string::npos) << no_bucket;
  const std::string list_error = error_of([&] { (void)client.list("no-such-bucket-here", "x/"); });
  EXPECT_NE(list_error.find("s3://no-such-bucket-here/x/: no such bucket"), std::string::npos)
      << list_error;
  const std::string get_error = error_of([&] { (void)client.read(url("missing.csv"), 0, 5); });
  EXPECT_NE(get_error.find("no such object"), std::string::npos) << get_error;

  // A wrong secret: the proxy refuses the signature, as S3 would (403), and the error says
  // where to look without quoting it.
  auto c = s3::config();
  c.credentials->secret_key = "wrong-secret-0123456789";
  io::S3Client wrong(c);
  const std::string denied = error_of([&] { (void)wrong.size(url("blob.bin")); });
  EXPECT_NE(denied.find("access denied"), std::string::npos) << denied;
  EXPECT_NE(denied.find(url("blob.bin").str()), std::string::npos) << denied;
  const std::string denied_get = error_of([&] { (void)wrong.read(url("blob.bin"), 0, 4); });
  EXPECT_NE(denied_get.find("SignatureDoesNotMatch"), std::string::npos) << denied_get;
  for (const auto& e : {denied, denied_get, missing}) {
    EXPECT_EQ(e.find("wrong-secret"), std::string::npos) << e;
    EXPECT_EQ(e.find(s3::server().secret + ":"), std::string::npos) << e;
  }
}

TEST(S3Client, ListingOfMoreThanAThousandKeysReadsEveryPage) {
  // One rank writes the keys (1,100 requests), every rank lists them.
  io::S3Client client(s3::config());
  const std::string prefix = s3::run_prefix() + "many/";
  if (rank() == 0)
    for (int i = 0; i < 1100; ++i)
      client.put({"pando-data", fmt::format("{}k-{:05d}.csv", prefix, i)},
                 bytes_of(std::string(static_cast<std::size_t>(i % 7), 'x')));
  comm().barrier();
  const auto all = client.list("pando-data", prefix);
  ASSERT_EQ(all.size(), 1100u);
  for (int i = 0; i < 1100; ++i) {
    EXPECT_EQ(all[static_cast<std::size_t>(i)].key, fmt::format("{}k-{:05d}.csv", prefix, i));
    EXPECT_EQ(all[static_cast<std::size_t>(i)].size, static_cast<std::uint64_t>(i % 7));
  }
  // A prefix that needs encoding in the query, and one that matches nothing.
  EXPECT_EQ(client.list("pando-data", prefix + "k-0100").size(), 10u);
  EXPECT_TRUE(client.list("pando-data", prefix + "none/").empty());
}

TEST(S3Client, RetriesFaultsAndRefusesShortBodies) {
  io::S3Client client(s3::config());
  const std::string data = random_bytes(200'000, 99);
  const io::S3Url u = url("faulty.bin");
  client.put(u, bytes_of(data));
  const std::string match = u.key;
  // Each kind of transient failure, once, then the same read succeeds with the exact bytes.
  for (const char* kind : {"500", "503", "slowdown", "429", "drop", "truncate", "short"}) {
    const auto before = s3::count_requests(match, "GET");
    s3::add_faults(fmt::format(R"([{{"match": "{}", "method": "GET", "kind": "{}", "times": 2}}])",
                               match, kind));
    EXPECT_EQ(text_of(client.read(u, 1000, 150'000)), data.substr(1000, 150'000)) << kind;
    EXPECT_EQ(s3::count_requests(match, "GET") - before, 3)
        << kind << ": two failures, one success";
  }
  // A fault that does not pass: the error after the last try says why.
  s3::add_faults(
      fmt::format(R"([{{"match": "{}", "method": "GET", "kind": "short", "times": 10}}])", match));
  const std::string e = error_of([&] { (void)client.read(u, 0, 1000); });
  EXPECT_NE(e.find("a body of 500 bytes where 1000 were expected"), std::string::npos) << e;
  EXPECT_NE(e.find("after 4 tries"), std::string::npos) << e;
  s3::clear_faults(match);
  // 403 is not retried.
  const auto before = s3::count_requests(match, "HEAD");
  s3::add_faults(
      fmt::format(R"([{{"match": "{}", "method": "HEAD", "kind": "403", "times": 1}}])", match));
  EXPECT_NE(error_of([&] { (void)client.size(u); }).find("access denied"), std::string::npos);
  EXPECT_EQ(s3::count_requests(match, "HEAD") - before, 1);
  // Retried puts leave the whole object.
  s3::add_faults(fmt::format(R"([{{"match": "{}", "method": "PUT", "kind": "drop", "times": 1}},
                                 {{"match": "{}", "method": "PUT", "kind": "503", "times": 1}}])",
                             match, match));
  client.put(u, bytes_of(data.substr(0, 1234)));
  EXPECT_EQ(client.size(u), 1234u);
}

TEST(S3Client, MultipartUploadCompleteAndAbort) {
  io::S3Client client(s3::config());
  const std::string big = random_bytes(io::S3Client::min_part_bytes + 17, 3);
  const std::string tail = random_bytes(1000, 4);
  const io::S3Url u = url("multi.bin");
  std::string id = client.begin_upload(u);
  std::vector<io::S3Part> parts{{1, client.upload_part(u, id, 1, bytes_of(big)), big.size()},
                                {2, client.upload_part(u, id, 2, bytes_of(tail)), tail.size()}};
  client.complete_upload(u, id, parts);
  EXPECT_EQ(client.size(u), big.size() + tail.size());
  EXPECT_EQ(text_of(client.read(u, big.size() - 3, 6)),
            big.substr(big.size() - 3) + tail.substr(0, 3));

  // The answer to a completion is lost: it is sent again (by libcurl on a kept connection, or
  // by the client), finds the upload gone and the object there, whole, and succeeds.
  const io::S3Url lost = url("lost-answer.bin");
  id = client.begin_upload(lost);
  parts = {{1, client.upload_part(lost, id, 1, bytes_of(tail)), tail.size()}};
  s3::add_faults(fmt::format(
      R"([{{"match": "{}?uploadId", "method": "POST", "kind": "drop_after", "times": 1}}])",
      lost.key));
  client.complete_upload(lost, id, parts);
  EXPECT_EQ(client.size(lost), tail.size());

  // A part under 5 MiB that is not the last: S3 (and the proxy) refuse to complete.
  const io::S3Url small = url("small-parts.bin");
  id = client.begin_upload(small);
  parts = {{1, client.upload_part(small, id, 1, bytes_of(tail))},
           {2, client.upload_part(small, id, 2, bytes_of(tail))}};
  const std::string e = error_of([&] { client.complete_upload(small, id, parts); });
  EXPECT_NE(e.find("EntityTooSmall"), std::string::npos) << e;
  // Abort frees the upload: completing it afterwards finds nothing, and no object appeared.
  client.abort_upload(small, id);
  client.abort_upload(small, id);  // twice is fine
  EXPECT_NE(error_of([&] { client.complete_upload(small, id, parts); }).find("NoSuchUpload"),
            std::string::npos);
  EXPECT_NE(error_of([&] { (void)client.size(small); }).find("no such object"), std::string::npos);
  EXPECT_THROW((void)client.upload_part(small, id, 10001, bytes_of(tail)), UsageError);
}

TEST(S3Client, ConnectionsAreReused) {
  // Requests one after another, and ranges in flight together, come over one connection (the
  // client's connection cache); a fresh client opens its own.
  io::S3Client client(s3::config());
  const io::S3Url u = url("small.txt");
  client.put(u, bytes_of(std::string("0123456789")));
  // (Two bytes each: s3rver answers the range "bytes=0-0" with no body, which the client
  // rightly refuses.)
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(text_of(client.read(u, static_cast<std::uint64_t>(i % 9), 2)),
              std::string("0123456789").substr(static_cast<std::size_t>(i % 9), 2));
  EXPECT_EQ(s3::count_requests(u.key), 21);
  EXPECT_EQ(s3::count_connections(u.key), 1);
  io::S3Client other(s3::config());
  (void)other.read(u, 0, 2);
  EXPECT_EQ(s3::count_connections(u.key), 2);
  EXPECT_EQ(client.requests_sent(), 21u);
}
