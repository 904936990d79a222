// Computations through the public API, for the fault sweep (sweep.py): each runs with one fault
// injected (or none, to count the passes through each point), and reports on every rank what
// happened, so that the sweep can check that every rank saw the same error, that no output was
// left behind, and that the session still computes afterwards.
//
//   fault-scenarios SCENARIO DIR [FAULT]     FAULT as PANDO_FAULT (point:rank:pass)
//
// Each rank prints, on stdout:
//   RESULT <rank> ok | RESULT <rank> error <message>
//   PASSES <rank> <point> <count>      (one per point passed, for the sweep to inject at)
//   AFTER <rank> ok | AFTER <rank> error <message>
//   S3LEFT <keys>                      (rank 0, s3-* scenarios: the objects under the output
//                                       prefix, comma-separated, after the scenario)
// The s3-* scenarios need the S3 server of the tests in AWS_ENDPOINT_URL and the AWS_*
// credentials (sweep.py sets them from PANDO_S3_TEST_STATE); their inputs are uploaded under
// s3://pando-data/<DIR's name>/ and their outputs go under s3://pando-out/<DIR's name>/.
// and exits 0: a failure of the scenario is a result, not an error of this program.

#include <pando/core/fault.hpp>
#include <pando/frame/detail/merge.hpp>
#include <pando/io/detail/s3_client.hpp>
#include <pando/pando.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <numeric>

using namespace pando;

namespace {

int rank() { return Session::current().rank(); }
int nranks() { return Session::current().size(); }

// Inputs, made before any fault is armed: three CSV files (one empty but for its header) and an
// HDF5 dataset of 60 x 50 doubles in uneven chunks.
void make_inputs(const std::string& dir) {
  if (rank() == 0) {
    std::filesystem::create_directories(dir);
    for (int f = 0; f < 3; ++f) {
      std::ofstream out(fmt::format("{}/in-{}.csv", dir, f));
      out << "id,amount,category\n";
      const int rows = f == 1 ? 0 : 400;
      for (int i = 0; i < rows; ++i)
        out << f * 1000 + i << ',' << (i % 17) * 1.5 << ',' << (i % 3 == 0 ? "a" : "b") << '\n';
    }
  }
  Session::current().comm().barrier();
  auto x = arange<double>(0, 3000, 1, ChunkSpec(Shape{700}));
  to_hdf5(x.reshape({60, 50}).rechunk(Shape{25, 20}), dir + "/in.h5", "/x");
}

std::string s3_prefix(const std::string& dir) {
  return std::filesystem::path(dir).filename().string() + "/";
}

// The CSV inputs, also on S3 (rank 0 uploads; before any fault is armed).
void upload_inputs(const std::string& dir) {
  if (rank() == 0)
    for (int f = 0; f < 3; ++f) {
      std::ifstream in(fmt::format("{}/in-{}.csv", dir, f), std::ios::binary);
      const std::string text((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
      io::S3Client::shared().put({"pando-data", fmt::format("{}in-{}.csv", s3_prefix(dir), f)},
                                 std::as_bytes(std::span(text)));
    }
  Session::current().comm().barrier();
}

DataFrame frame(const std::string& dir) {
  ReadCsvOptions o;
  o.blocksize = 2048;  // several ranges per file: partitions on every rank
  return read_csv({dir + "/in-*.csv"}, o);
}

AnyArray matrix(const std::string& dir) { return from_hdf5(dir + "/in.h5", "/x"); }

using Scenario = std::function<void(const std::string& dir)>;

const std::map<std::string, Scenario>& scenarios() {
  static const std::map<std::string, Scenario> all = {
      {"csv-agg",
       [](const std::string& dir) {
         auto df = frame(dir);
         (void)df.filter(df["amount"] > 3.0).agg({{"amount", "sum"}, {"id", "count"}});
       }},
      {"csv-describe", [](const std::string& dir) { (void)frame(dir).describe(); }},
      {"s3-read",
       [](const std::string& dir) {
         ReadCsvOptions o;
         o.blocksize = 2048;
         (void)read_csv({"s3://pando-data/" + s3_prefix(dir) + "in-*.csv"}, o).describe();
       }},
      {"s3-single",
       [](const std::string& dir) {
         frame(dir).to_csv("s3://pando-out/" + s3_prefix(dir) + "out.csv");
       }},
      {"s3-parts",
       [](const std::string& dir) {
         frame(dir).to_csv("s3://pando-out/" + s3_prefix(dir) + "parts/part-*.csv");
       }},
      {"csv-single",
       [](const std::string& dir) {
         auto df = frame(dir);
         df.filter(df["category"] == "a").to_csv(dir + "/out.csv");
       }},
      {"csv-parts",
       [](const std::string& dir) {
         std::filesystem::create_directories(dir + "/parts");
         frame(dir).to_csv(dir + "/parts/part-*.csv");
       }},
      {"h5-new",
       [](const std::string& dir) {
         auto x = matrix(dir).rechunk(Shape{25, 20});
         to_hdf5(x + x.rechunk(Shape{60, 7}) * 0.5, dir + "/out.h5", "/y");
       }},
      {"h5-existing",
       [](const std::string& dir) {
         to_hdf5(matrix(dir).rechunk(Shape{30, 50}), dir + "/in.h5", "/y");
       }},
      {"h5-reduce",
       [](const std::string& dir) {
         auto x = matrix(dir).rechunk(Shape{25, 20});
         (void)x.sum({0}).compute();
         (void)x.rechunk(Shape{60, 7}).std({1}).compute();
       }},
      {"from-local",
       [](const std::string&) {
         std::vector<double> mine(100 + 37 * static_cast<std::size_t>(rank()));
         std::iota(mine.begin(), mine.end(), rank() * 1000.0);
         auto a = from_local(Block::of<double>({static_cast<std::int64_t>(mine.size())}, mine));
         (void)a.rechunk(Shape{50}).sum().compute();
       }},
      {"shuffle",
       [](const std::string& dir) {
         // All-to-all: every rank sends to every rank, in several partitions.
         (void)frame(dir).shuffle({"category", "amount"}, 2 * nranks() + 1).length();
       }},
      {"groupby-few",
       [](const std::string& dir) {
         // Few groups: the partials gathered on every rank.
         (void)frame(dir).groupby({"category"}).agg({{"amount", "sum"}}).length();
       }},
      {"groupby-many",
       [](const std::string& dir) {
         // A median needs the rows: sampled for the key ranges, then shuffled by key.
         (void)frame(dir).groupby({"category"}).agg({{"amount", "median"}}).length();
       }},
      {"merge-gathered",
       [](const std::string& dir) {
         // A small right side: gathered on every rank, joined where the left rows are.
         const DataFrame df = frame(dir);
         (void)merge(df, df.groupby({"category"}).agg({{"amount", "max"}}), {.on = {"category"}})
             .length();
       }},
      {"merge-shuffled",
       [](const std::string& dir) {
         // Both sides shuffled by key (heavy keys from a sample gathered), then sent back.
         const DataFrame df = frame(dir);
         (void)detail::merge_with(df, df.select({"id", "amount"}), {.on = {"id"}},
                                  {detail::ShuffleSizes::of_session(), 0})
             .length();
       }},
      {"h5-table",
       [](const std::string& dir) {
         // A table written by every rank at its rows' offsets, into the HDF5 file of the
         // other scenarios (a group beside its dataset), and read back.
         frame(dir).to_hdf5(dir + "/in.h5", "/table");
         (void)read_hdf5(dir + "/in.h5", "/table", 4096).length();
       }},
      {"delayed",
       [](const std::string&) {
         std::vector<Delayed<double>> parts;
         for (int i = 0; i < 2 * nranks() + 1; ++i) {
           auto made = delayed([](int k) { return std::vector<double>(1000, k); }).name("make")(i);
           parts.push_back(delayed([](const std::vector<double>& v) {
                             return std::accumulate(v.begin(), v.end(), 0.0);
                           }).name("part")(made));
         }
         (void)delayed(
             [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); })
             .name("total")(parts)
             .compute();
       }},
  };
  return all;
}

// A computation after the scenario, with no fault armed: the session must still work.
void after(const std::string& dir) {
  auto df = frame(dir);
  Table t = df.agg({{"amount", "sum"}});
  const double total = Array<double>(matrix(dir)).sum().compute().scalar();
  if (t.rows() != 1 || total != 3000.0 * 2999.0 / 2)
    throw ValueError(fmt::format("wrong results after the scenario: {}", total));
}

void report(const char* what, const std::function<void()>& f) {
  std::string line = fmt::format("{} {} ok", what, rank());
  try {
    f();
  } catch (const std::exception& e) {
    line = fmt::format("{} {} error {}", what, rank(), e.what());
  }
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Session session(argc, argv);
  if (argc < 3 || !scenarios().contains(argv[1])) {
    if (session.rank() == 0) {
      std::fprintf(stderr, "usage: fault-scenarios SCENARIO DIR [FAULT]; scenarios:");
      for (const auto& [name, f] : scenarios()) std::fprintf(stderr, " %s", name.c_str());
      std::fprintf(stderr, "\n");
    }
    return 2;
  }
  const std::string dir = argv[2];
  const bool s3 = std::string_view(argv[1]).starts_with("s3-");
  make_inputs(dir);
  if (s3) upload_inputs(dir);
  fault::arm(argc > 3 ? argv[3] : "");
  report("RESULT", [&] { scenarios().at(argv[1])(dir); });
  for (fault::Point p : fault::all_points)
    if (auto n = fault::passes(p))
      std::printf("PASSES %d %s %llu\n", rank(), std::string(fault::name(p)).c_str(),
                  static_cast<unsigned long long>(n));
  fault::disarm();
  if (s3 && session.rank() == 0) {
    std::vector<std::string> keys;
    for (const auto& o : io::S3Client::shared().list("pando-out", s3_prefix(dir)))
      keys.push_back(o.key);
    std::printf("S3LEFT %s\n", fmt::format("{}", fmt::join(keys, ",")).c_str());
  }
  report("AFTER", [&] { after(dir); });
  return 0;
}
