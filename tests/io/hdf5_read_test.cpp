// Reading files that h5py wrote (h5_fixtures.py): inspect(), attributes, and hyperslab reads
// with each rank reading different (uneven, sometimes empty) parts, independent and collective.

#include "io_test_support.hpp"

#include <pando/io/h5.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace h5 = pando::h5;
using pando::DType;
using namespace pando::test::io;
using pando::test::comm;
using pando::test::rank;

namespace {

const std::vector<std::int64_t> none;

std::string data_h5() { return fixtures() + "/data.h5"; }

// The fixtures' formulas (h5_fixtures.py).
double a_at(std::int64_t i, std::int64_t j) { return i * 1000.0 + j + 0.25; }
std::int32_t b_at(std::int64_t i, std::int64_t j) {
  return static_cast<std::int32_t>((i * 31 + j) * 37 - 20000);
}

constexpr h5::Transfer both[] = {h5::Transfer::independent, h5::Transfer::collective};

// ints.h5 (h5_fixtures.py): per integer type, as NumPy names it, the type Pando holds it in and
// its values [min, max, 1, 0, last] as text.
struct IntDataset {
  std::string name;
  DType held;
  pando::NarrowInt narrow;
  std::vector<std::string> values;
};
const std::vector<IntDataset>& int_datasets() {
  using pando::NarrowInt;
  static const std::vector<IntDataset> all = {
      {"int8", DType::int32, NarrowInt::int8, {"-128", "127", "1", "0", "-1"}},
      {"int16", DType::int32, NarrowInt::int16, {"-32768", "32767", "1", "0", "-1"}},
      {"int32", DType::int32, NarrowInt::none, {"-2147483648", "2147483647", "1", "0", "-1"}},
      {"int64",
       DType::int64,
       NarrowInt::none,
       {"-9223372036854775808", "9223372036854775807", "1", "0", "-1"}},
      {"uint8", DType::int32, NarrowInt::uint8, {"0", "255", "1", "0", "7"}},
      {"uint16", DType::int32, NarrowInt::uint16, {"0", "65535", "1", "0", "7"}},
      {"uint32", DType::int64, NarrowInt::uint32, {"0", "4294967295", "1", "0", "7"}},
      {"uint64",
       DType::uint64,
       NarrowInt::none,
       {"0", "18446744073709551615", "1", "0", "9223372036854775808"}}};
  return all;
}

}  // namespace

TEST(Hdf5Inspect, DescribesWhatH5pyWrote) {
  const std::string f = data_h5();
  auto a = h5::inspect(f, "a");
  EXPECT_EQ(a.file, f);
  EXPECT_EQ(a.dataset, "/a");
  EXPECT_EQ(a.where(), f + ":/a");
  EXPECT_EQ(a.type, DType::float64);
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{37, 23}));
  EXPECT_EQ(a.chunks, (std::vector<std::int64_t>{8, 5}));
  EXPECT_EQ(a.gzip_level, -1);
  EXPECT_TRUE(a.filters.empty());
  EXPECT_EQ(a.elements(), 37 * 23);

  auto b = h5::inspect(f, "/grp//b/");
  EXPECT_EQ(b.dataset, "/grp/b");
  EXPECT_EQ(b.type, DType::int32);
  EXPECT_EQ(b.chunks, (std::vector<std::int64_t>{10, 10}));
  EXPECT_EQ(b.gzip_level, 6);
  EXPECT_EQ(b.filters, (std::vector<std::string>{"gzip"}));

  auto s = h5::inspect(f, "shuffled");
  EXPECT_EQ(s.type, DType::int64);
  EXPECT_EQ(s.filters, (std::vector<std::string>{"shuffle", "gzip"}));
  EXPECT_EQ(s.gzip_level, 4);  // h5py's default level

  EXPECT_TRUE(h5::inspect(f, "contig").chunks.empty());
  EXPECT_EQ(h5::inspect(f, "f32").type, DType::float32);
  EXPECT_EQ(h5::inspect(f, "be").type, DType::float64);  // big-endian: converted on read
  EXPECT_EQ(h5::inspect(f, "flags").type, DType::boolean);
  EXPECT_EQ(h5::inspect(f, "scalar").shape, none);
  EXPECT_EQ(h5::inspect(f, "empty_rows").shape, (std::vector<std::int64_t>{0, 5}));
  EXPECT_EQ(h5::inspect(f, "link_to_a").shape, a.shape);  // a soft link

  EXPECT_EQ(h5::inspect(fixtures() + "/ublock.h5", "x").shape,
            (std::vector<std::int64_t>{2, 3}));  // after a 512-byte user block
  EXPECT_EQ(h5::list_datasets(fixtures() + "/small.h5"),
            (std::vector<std::string>{"/a", "/grp/b"}));
}

TEST(Hdf5Inspect, IntegersOfEveryWidth) {
  const std::string f = fixtures() + "/ints.h5";
  for (const auto& d : int_datasets()) {
    SCOPED_TRACE(d.name);
    const h5::DatasetInfo info = h5::inspect(comm(), f, d.name);
    EXPECT_EQ(info.type, d.held);
    EXPECT_EQ(info.narrow, d.narrow);
    EXPECT_EQ(info.type_name(), d.name);
    EXPECT_EQ(info.shape, (std::vector<std::int64_t>{5}));
  }
  EXPECT_EQ(h5::inspect(data_h5(), "u16").type_name(), "uint16");
  EXPECT_EQ(h5::inspect(data_h5(), "a").type_name(), "float64");
  EXPECT_EQ(h5::inspect(data_h5(), "flags").type_name(), "bool");
}

TEST(Hdf5Inspect, CollectiveFormBroadcastsRootsAnswer) {
  auto mine = h5::inspect(data_h5(), "/grp/b");
  auto shared = h5::inspect(comm(), data_h5(), "/grp/b");
  EXPECT_EQ(shared, mine);
}

TEST(Hdf5Inspect, ReadsAttributes) {
  const auto attrs = h5::inspect(data_h5(), "a").attributes;
  auto at = [&](const char* name) {
    const h5::AttributeValue* v = attrs.find(name);
    return v ? v->to_string() + " " + std::string(pando::to_string(v->type)) : "missing";
  };
  EXPECT_EQ(at("units"), "'m/s' string");
  EXPECT_EQ(at("scale"), "0.5 float64");
  EXPECT_EQ(at("count"), "7 int64");
  EXPECT_EQ(at("n32"), "-3 int32");
  EXPECT_EQ(at("ok"), "True bool");
  EXPECT_EQ(at("dims"), "[1, 2, 3] int64");
  EXPECT_EQ(at("names"), "['u', 'v'] string");
  EXPECT_EQ(at("fixed"), "'abc' string");
  EXPECT_EQ(at("half"), "0.25 float32");
  EXPECT_EQ(at("mat"), "[[0.0, 1.0], [2.0, 3.0]] float64");
  EXPECT_EQ(at("u8"), "200 int64");  // other integer types widen
  EXPECT_EQ(attrs.values.size(), 11u);
  EXPECT_EQ(attrs.skipped, (std::vector<std::string>{"pair (compound)"}));

  EXPECT_EQ(attrs.find("units")->as_string(), "m/s");
  EXPECT_EQ(attrs.find("scale")->as_double(), 0.5);
  EXPECT_EQ(attrs.find("count")->as_int64(), 7);
  EXPECT_THROW((void)attrs.find("units")->as_double(), pando::TypeError);
  EXPECT_EQ(attrs.find("mat")->shape, (std::vector<std::int64_t>{2, 2}));
}

TEST(Hdf5Read, EachRankReadsItsHyperslab) {
  h5::File file = h5::File::open(comm(), data_h5());
  h5::Dataset a = file.open_dataset("/a");
  EXPECT_EQ(a.info(), h5::inspect(data_h5(), "/a"));
  const auto [r0, r1] = uneven_rows(37);
  // Columns differ per rank too: [c0, c1).
  const std::int64_t c0 = rank() % 4, c1 = 23 - rank() % 3;
  for (auto t : both) {
    std::vector<double> block((r1 - r0) * (c1 - c0), -1.0);
    a.read(std::span(block), {r0, c0}, {r1 - r0, c1 - c0}, t);
    std::int64_t wrong = 0;
    for (std::int64_t i = r0; i < r1; ++i)
      for (std::int64_t j = c0; j < c1; ++j)
        wrong += block[(i - r0) * (c1 - c0) + (j - c0)] != a_at(i, j);
    EXPECT_EQ(wrong, 0) << "transfer " << static_cast<int>(t);
  }
}

TEST(Hdf5Read, CompressedAndConverted) {
  h5::File file = h5::File::open(comm(), data_h5());
  h5::Dataset b = file.open_dataset("grp/b");
  const auto [r0, r1] = uneven_rows(29);
  for (auto t : both) {
    std::vector<std::int32_t> ints((r1 - r0) * 31);
    b.read(std::span(ints), {r0, 0}, {r1 - r0, 31}, t);
    std::vector<double> doubles((r1 - r0) * 31);  // int32 in the file, float64 in memory
    b.read(std::span(doubles), {r0, 0}, {r1 - r0, 31}, t);
    std::int64_t wrong = 0;
    for (std::int64_t i = r0; i < r1; ++i)
      for (std::int64_t j = 0; j < 31; ++j) {
        wrong += ints[(i - r0) * 31 + j] != b_at(i, j);
        wrong += doubles[(i - r0) * 31 + j] != static_cast<double>(b_at(i, j));
      }
    EXPECT_EQ(wrong, 0);
  }
  // A window that cuts through chunks.
  std::vector<std::int32_t> window(3 * 4);
  b.read(std::span(window), {9, 19}, {3, 4});
  for (std::int64_t i = 0; i < 3; ++i)
    for (std::int64_t j = 0; j < 4; ++j) EXPECT_EQ(window[i * 4 + j], b_at(9 + i, 19 + j));
}

TEST(Hdf5Read, EveryElementType) {
  h5::File file = h5::File::open(comm(), data_h5());
  {
    std::vector<float> v(13 * 17);
    file.open_dataset("f32").read(std::span(v), {0, 0}, {13, 17}, h5::Transfer::collective);
    for (std::int64_t k = 0; k < 13 * 17; ++k) ASSERT_EQ(v[k], static_cast<float>(k * 0.125));
  }
  {
    // int64 beyond 2^53, exact; every rank reads a different slice of a chunked 1-d dataset.
    const auto [k0, k1] = uneven_rows(101);
    std::vector<std::int64_t> v(k1 - k0);
    file.open_dataset("i64").read(std::span(v), {k0}, {k1 - k0}, h5::Transfer::collective);
    for (std::int64_t k = k0; k < k1; ++k) ASSERT_EQ(v[k - k0], (k << 47) + k);
  }
  {
    std::vector<double> v(12);
    file.open_dataset("be").read(std::span(v), {0, 0}, {3, 4});
    for (int k = 0; k < 12; ++k) ASSERT_EQ(v[k], k + 0.5);
  }
  {
    std::vector<std::uint8_t> v(9, 7);  // bool as one byte, 0 or 1
    file.open_dataset("flags").read(v.data(), DType::boolean, std::vector<std::int64_t>{0},
                                    std::vector<std::int64_t>{9}, h5::Transfer::collective);
    for (int k = 0; k < 9; ++k) ASSERT_EQ(v[k], k % 3 == 0 ? 1 : 0);
  }
  {
    double x = 0;
    file.open_dataset("scalar").read(&x, DType::float64, none, none, h5::Transfer::collective);
    EXPECT_EQ(x, 2.5);
  }
  {
    const auto [r0, r1] = uneven_rows(50);
    std::vector<std::int64_t> v((r1 - r0) * 4);
    file.open_dataset("shuffled")
        .read(std::span(v), {r0, 0}, {r1 - r0, 4}, h5::Transfer::collective);
    for (std::int64_t i = r0; i < r1; ++i)
      for (std::int64_t j = 0; j < 4; ++j) ASSERT_EQ(v[(i - r0) * 4 + j], i * 4 + j - 100);
  }
  {
    const auto [r0, r1] = uneven_rows(10);
    std::vector<double> v((r1 - r0) * 7);
    file.open_dataset("contig").read(std::span(v), {r0, 0}, {r1 - r0, 7});
    for (std::int64_t i = r0; i < r1; ++i)
      for (std::int64_t j = 0; j < 7; ++j) ASSERT_EQ(v[(i - r0) * 7 + j], i * 7.0 + j - 0.5);
  }
  {
    std::vector<double> v;  // a dataset with no rows: every rank reads nothing, collectively
    file.open_dataset("empty_rows").read(std::span(v), {0, 0}, {0, 5}, h5::Transfer::collective);
  }
  for (auto t : both) {
    // Never written: the fill value (1.5 as h5py set it; 0 by default).
    const auto [r0, r1] = uneven_rows(4);
    std::vector<double> v((r1 - r0) * 3, -1.0);
    file.open_dataset("unwritten").read(std::span(v), {r0, 0}, {r1 - r0, 3}, t);
    EXPECT_EQ(v, std::vector<double>(v.size(), 1.5));
    std::vector<std::int32_t> w(4, -1);
    file.open_dataset("unwritten_chunked").read(std::span(w), {1, 0}, {2, 2}, t);
    EXPECT_EQ(w, std::vector<std::int32_t>(4, 0));
  }
  {
    h5::File ub = h5::File::open(comm(), fixtures() + "/ublock.h5");
    std::vector<double> v(6);
    ub.open_dataset("x").read(std::span(v), {0, 0}, {2, 3}, h5::Transfer::collective);
    EXPECT_EQ(v, (std::vector<double>{0, 1, 2, 3, 4, 5}));
  }
}

TEST(Hdf5Read, IntegersOfEveryWidthInTheTypeThatHoldsThem) {
  h5::File file = h5::File::open(comm(), fixtures() + "/ints.h5");
  for (const auto& d : int_datasets()) {
    SCOPED_TRACE(d.name);
    h5::Dataset ds = file.open_dataset(d.name);
    EXPECT_EQ(ds.info().type_name(), d.name);
    for (auto t : both) {
      // Each rank its own rows (rank 0 none at several ranks), in the type Pando holds them in.
      const auto [r0, r1] = uneven_rows(5);
      std::vector<std::string> got;
      if (d.held == DType::int32) {
        std::vector<std::int32_t> v(static_cast<std::size_t>(r1 - r0));
        ds.read(std::span(v), {r0}, {r1 - r0}, t);
        for (auto x : v) got.push_back(std::to_string(x));
      } else if (d.held == DType::int64) {
        std::vector<std::int64_t> v(static_cast<std::size_t>(r1 - r0));
        ds.read(std::span(v), {r0}, {r1 - r0}, t);
        for (auto x : v) got.push_back(std::to_string(x));
      } else {
        std::vector<std::uint64_t> v(static_cast<std::size_t>(r1 - r0));
        ds.read(std::span(v), {r0}, {r1 - r0}, t);
        for (auto x : v) got.push_back(std::to_string(x));
      }
      EXPECT_EQ(got, std::vector<std::string>(d.values.begin() + r0, d.values.begin() + r1));
    }
    // Any other numeric type converts as HDF5 converts (to float64: the nearest double).
    std::vector<double> f(5);
    ds.read(std::span(f), {0}, {5});
    for (std::size_t k = 0; k < 5; ++k)
      EXPECT_EQ(f[k], d.name[0] == 'u' ? static_cast<double>(std::stoull(d.values[k]))
                                       : static_cast<double>(std::stoll(d.values[k])));
  }
}

TEST(Hdf5Read, FileStaysOpenWhileDatasetsLive) {
  h5::Dataset a;
  {
    h5::File file = h5::File::open(comm(), data_h5());
    a = file.open_dataset("/a");
  }  // the File is gone; the dataset keeps the file open
  std::vector<double> v(2);
  a.read(std::span(v), {36, 21}, {1, 2}, h5::Transfer::collective);
  EXPECT_EQ(v, (std::vector<double>{a_at(36, 21), a_at(36, 22)}));
  a.close();
  EXPECT_FALSE(a.is_open());
}
