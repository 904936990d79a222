// DataFrames on S3 (a server on loopback, tests/io/s3/s3_fixture.py): read_csv of s3:// objects
// and globs gives exactly the frame of the same files read locally, fetching each range once;
// to_csv writes one object (multipart, parts moved between ranks) or one per partition with
// _SUCCESS, byte for byte what a local write gives; failures are the same on every rank and
// leave no object behind.

#include <s3_test_server.hpp>

#include "dataframe_test_util.hpp"

#include <pando/expr/parser.hpp>
#include <pando/io/detail/s3_client.hpp>

#include <fmt/format.h>
#include <zlib.h>

#include <fstream>
#include <random>
#include <sstream>

namespace io = pando::io;
namespace s3 = pando::test::s3;
using namespace pando;
using namespace pando::test;

namespace {

// Awkward CSV: quoted fields with commas, quotes and line breaks, unicode, nulls, and (with
// `long_row`) one row longer than a range's 4 KiB look-ahead.
std::string awkward_csv(int rows, unsigned seed, bool long_row) {
  std::mt19937 g(seed);
  std::string out = "id,amount,name,flag\n";
  for (int i = 0; i < rows; ++i) {
    const auto r = g();
    std::string name;
    switch (r % 6) {
      case 0:
        name = "plain";
        break;
      case 1:
        name = "\"with, comma\"";
        break;
      case 2:
        name = "\"line\nbreak\"";
        break;
      case 3:
        name = "\"quote \"\"q\"\"\"";
        break;
      case 4:
        name = "ünïcødé €";
        break;
      default:
        name = "";
        break;
    }
    if (long_row && i == rows / 2) name = "\"" + std::string(9000, 'x') + "\n" + "tail\"";
    const std::string amount = r % 7 == 0 ? "" : fmt::format("{}.{:02d}", r % 100000, r % 100);
    out += fmt::format("{},{},{},{}\n", i, amount, name, r % 2 ? "True" : "False");
  }
  return out;
}

// About 13 MiB, made once.
const std::string& big_csv() {
  static const std::string text = awkward_csv(450'000, 11, false);
  return text;
}

std::string gzip_of(const std::string& text) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, text.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::span<const std::byte> bytes_of(const std::string& s) { return std::as_bytes(std::span(s)); }

std::string object_text(const io::S3Url& u) {
  auto& client = io::S3Client::shared();
  const Buffer b = client.read(u, 0, client.size(u));
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Collective: rank 0 uploads, every rank waits.
void upload(const std::string& bucket, const std::string& key, const std::string& text) {
  on_root(comm(), [&] { io::S3Client::shared().put({bucket, key}, bytes_of(text)); });
}

class S3Frame : public ::testing::Test {
 protected:
  void SetUp() override {
    s3::use_server();
    prefix_ = s3::run_prefix();
  }
  std::string prefix_;
  SharedDir dir_;
};

// Every rank's error text, the same on all of them; returned.
template <class F>
std::string same_error_everywhere(F&& f) {
  std::string text;
  try {
    f();
  } catch (const std::exception& e) {
    text = error_text(e);
  }
  const auto all =
      allgather_checked(comm(), [&] { return std::vector<char>(text.begin(), text.end()); });
  for (int r = 0; r < size(); ++r) {
    const auto part = all.part(r);
    EXPECT_EQ(std::string(part.begin(), part.end()), text) << "rank " << r << " differs";
  }
  return text;
}

}  // namespace

TEST_F(S3Frame, ReadingFromS3GivesTheLocalFrame) {
  const std::vector<std::string> texts{awkward_csv(3000, 1, true), awkward_csv(1, 2, false),
                                       awkward_csv(2500, 3, false)};
  for (std::size_t i = 0; i < texts.size(); ++i) {
    dir_.file(fmt::format("in-{}.csv", i), texts[i]);
    upload("pando-data", fmt::format("{}in/in-{}.csv", prefix_, i), texts[i]);
  }
  // Not matched by the glob: another folder, another extension.
  upload("pando-data", prefix_ + "in/sub/x.csv", "a\n1\n");
  upload("pando-data", prefix_ + "in/notes.txt", "a\n1\n");
  for (const std::int64_t blocksize : {std::int64_t{3000}, std::int64_t{1} << 20}) {
    const Table local = read_csv({dir_.path + "/in-*.csv"}, blocks(blocksize)).compute();
    const DataFrame remote =
        read_csv({"s3://pando-data/" + prefix_ + "in/*.csv"}, blocks(blocksize));
    const Table got = remote.compute();
    EXPECT_TRUE(got.equals(local)) << "blocksize " << blocksize;
    EXPECT_EQ(got.rows(), 5501u);
  }
  // One object by its name, and a .gz object (inflated as a stream).
  const Table one = read_csv({dir_.path + "/in-0.csv"}, blocks(4096)).compute();
  EXPECT_TRUE(
      read_csv({"s3://pando-data/" + prefix_ + "in/in-0.csv"}, blocks(4096)).compute().equals(one));
  upload("pando-data", prefix_ + "gz/in-0.csv.gz", gzip_of(texts[0]));
  EXPECT_TRUE(read_csv({"s3://pando-data/" + prefix_ + "gz/in-0.csv.gz"}, blocks(50'000))
                  .compute()
                  .equals(one));
}

TEST_F(S3Frame, EachRangeIsFetchedOncePerComputation) {
  const std::string text = awkward_csv(4000, 5, false);
  const std::string key = prefix_ + "once/data.csv";
  upload("pando-data", key, text);
  comm().barrier();
  const auto before = on_root(comm(), [&] { return s3::count_requests(key, "GET"); });
  const DataFrame df = read_csv({"s3://pando-data/" + key}, blocks(20'000));
  const auto planned = on_root(comm(), [&] { return s3::count_requests(key, "GET"); });
  EXPECT_EQ(planned - before, 1) << "the header and type sample: one request";
  const Table t = df.compute();
  comm().barrier();
  const auto after = on_root(comm(), [&] { return s3::count_requests(key, "GET"); });
  EXPECT_EQ(after - planned, df.npartitions()) << "one request per range: scan and parse share it";
  EXPECT_EQ(t.rows(), 4000u);
}

TEST_F(S3Frame, ReadErrorsAreClearAndAlike) {
  const std::string none = "s3://pando-data/" + prefix_ + "nothing/*.csv";
  EXPECT_EQ(same_error_everywhere([&] { (void)read_csv({none}); }),
            fmt::format("no objects match '{}'", none));
  const std::string bucket =
      same_error_everywhere([&] { (void)read_csv({"s3://no-such-bucket-pando/data/*.csv"}); });
  EXPECT_NE(bucket.find("s3://no-such-bucket-pando/data/: no such bucket"), std::string::npos)
      << bucket;
  const std::string object = same_error_everywhere(
      [&] { (void)read_csv({"s3://pando-data/" + prefix_ + "missing.csv"}); });
  EXPECT_EQ(object, fmt::format("s3://pando-data/{}missing.csv: no such object", prefix_));
  EXPECT_EQ(same_error_everywhere([&] { (void)read_csv({"s3://Bad_Bucket/x.csv"}); }),
            "'s3://Bad_Bucket/x.csv': 'Bad_Bucket' is not a bucket name (3-63 characters: a-z, "
            "0-9, '.' and '-')");
}

TEST_F(S3Frame, ReadsRetryThroughFaults) {
  const std::string text = awkward_csv(3000, 9, true);
  const std::string key = prefix_ + "faulty/data.csv";
  upload("pando-data", key, text);
  const Table local = read_csv({dir_.file("faulty.csv", text)}, blocks(10'000)).compute();
  on_root(comm(), [&] {
    s3::add_faults(fmt::format(
        R"([{{"match": "{0}", "method": "GET", "kind": "503", "times": 2}},
            {{"match": "{0}", "method": "GET", "kind": "truncate", "times": 2, "skip": 3}},
            {{"match": "{0}", "method": "GET", "kind": "drop", "times": 1, "skip": 5}},
            {{"match": "{0}", "method": "GET", "kind": "short", "times": 1, "skip": 6}}])",
        key));
  });
  EXPECT_TRUE(read_csv({"s3://pando-data/" + key}, blocks(10'000)).compute().equals(local));
  on_root(comm(), [&] { s3::clear_faults(key); });
}

TEST_F(S3Frame, ToCsvWritesOneObjectByMultipartUpload) {
  // About 13 MiB in 1 MiB partitions: parts of at least 8 MiB gathered from several ranks.
  const std::string in = dir_.file("big.csv", big_csv());
  const DataFrame df = read_csv({in}, blocks(1 << 20));
  ASSERT_GT(df.npartitions(), 10);
  const std::string local = dir_.path + "/big-out.csv";
  df.to_csv(local);
  const io::S3Url url{"pando-out", prefix_ + "big.csv"};
  df.to_csv(url.str());
  const std::string want = slurp(local);
  ASSERT_GT(want.size(), io::S3Client::min_part_bytes * 2);
  EXPECT_EQ(on_root(comm(), [&] { return object_text(url) == want; }), true);
  // Parts were at least 5 MiB but the last (the proxy refuses others): at least two of them.
  EXPECT_GE(on_root(comm(), [&] { return s3::count_requests(url.key + "?partNumber=", "PUT"); }),
            2);
  // A small frame: one PUT; an empty one: its header.
  const DataFrame small = read_csv({dir_.file("small.csv", "a,b\n1,x\n2,y\n")});
  small.to_csv("s3://pando-out/" + prefix_ + "small.csv");
  EXPECT_EQ(on_root(comm(),
                    [&] {
                      return object_text({"pando-out", prefix_ + "small.csv"});
                    }),
            "a,b\n1,x\n2,y\n");
  const DataFrame none = small.filter(expr::parse_expression("a > 5", "--where"));
  none.to_csv("s3://pando-out/" + prefix_ + "none.csv");
  none.to_csv(dir_.path + "/none.csv");
  EXPECT_EQ(on_root(comm(),
                    [&] {
                      return object_text({"pando-out", prefix_ + "none.csv"});
                    }),
            slurp(dir_.path + "/none.csv"));
}

TEST_F(S3Frame, ToCsvWritesOneObjectPerPartitionThenSuccess) {
  const std::string text = awkward_csv(5000, 13, false);
  const DataFrame df = read_csv({dir_.file("parts.csv", text)}, blocks(40'000));
  const std::int64_t n = df.npartitions();
  ASSERT_GT(n, 3);
  df.to_csv(dir_.path + "/part-*.csv");
  df.to_csv("s3://pando-out/" + prefix_ + "parts/part-*.csv");
  const auto listed = on_root(comm(), [&] {
    std::vector<std::string> keys;
    for (const auto& o : io::S3Client::shared().list("pando-out", prefix_ + "parts/"))
      keys.push_back(o.key.substr(prefix_.size() + 6));
    return keys;
  });
  ASSERT_EQ(static_cast<std::int64_t>(listed.size()), n + 1);
  EXPECT_EQ(listed.front(), "_SUCCESS");  // '_' sorts before 'p'
  for (std::int64_t i = 0; i < n; ++i) {
    const std::string name = listed[static_cast<std::size_t>(i) + 1];
    EXPECT_EQ(on_root(comm(),
                      [&] {
                        return object_text({"pando-out", prefix_ + "parts/" + name});
                      }),
              slurp(dir_.path + "/" + name))
        << name;
  }
  // Read back as a glob, the same frame.
  EXPECT_TRUE(
      read_csv({"s3://pando-out/" + prefix_ + "parts/part-*.csv"}).compute().equals(df.compute()));
}

TEST_F(S3Frame, FailedWritesLeaveNoObjectAndFailAlike) {
  const DataFrame df = read_csv({dir_.file("fail.csv", big_csv())}, blocks(1 << 20));
  const std::string key = prefix_ + "fail/out.csv";
  // The second part's upload is refused (403: not retried).
  on_root(comm(), [&] {
    s3::add_faults(fmt::format(
        R"([{{"match": "{}?partNumber=2", "method": "PUT", "kind": "403", "times": 1}}])", key));
  });
  const std::string e = same_error_everywhere([&] { df.to_csv("s3://pando-out/" + key); });
  EXPECT_NE(e.find("access denied"), std::string::npos) << e;
  EXPECT_NE(e.find("s3://pando-out/" + key + " (part 2)"), std::string::npos) << e;
  EXPECT_TRUE(on_root(
      comm(), [&] { return io::S3Client::shared().list("pando-out", prefix_ + "fail/").empty(); }));

  // Per partition: the third object's upload fails; nothing stays, no _SUCCESS.
  const DataFrame small =
      read_csv({dir_.file("fail-parts.csv", awkward_csv(3000, 19, false))}, blocks(20'000));
  const std::string parts = prefix_ + "fail-parts/";
  on_root(comm(), [&] {
    s3::add_faults(fmt::format(
        R"([{{"match": "{}part-", "method": "PUT", "kind": "403", "times": 1, "skip": 2}}])",
        parts));
  });
  const std::string e2 =
      same_error_everywhere([&] { small.to_csv("s3://pando-out/" + parts + "part-*.csv"); });
  EXPECT_NE(e2.find("access denied"), std::string::npos) << e2;
  EXPECT_TRUE(
      on_root(comm(), [&] { return io::S3Client::shared().list("pando-out", parts).empty(); }));
  // Completion fails on one object after others completed: those are deleted again.
  on_root(comm(), [&] {
    s3::add_faults(fmt::format(
        R"([{{"match": "{}part-", "method": "POST", "kind": "403", "times": 1, "skip": 2}}])",
        parts));
  });
  (void)same_error_everywhere([&] { small.to_csv("s3://pando-out/" + parts + "part-*.csv"); });
  EXPECT_TRUE(
      on_root(comm(), [&] { return io::S3Client::shared().list("pando-out", parts).empty(); }));
  on_root(comm(), [&] { s3::clear_faults(prefix_); });
}
