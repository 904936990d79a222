// Writing with the wrapper, every rank its own part (independent and collective, chunked,
// gzip-compressed, contiguous, scalar, empty), read back with h5py (h5_dump.py) byte for byte.

#include "io_test_support.hpp"

#include <pando/io/h5.hpp>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <vector>

namespace h5 = pando::h5;
using pando::DType;
using pando::test::comm;
using pando::test::rank;
using namespace pando::test::io;

namespace {

using Dims = std::vector<std::int64_t>;

std::string hex(const void* data, std::size_t bytes) {
  std::string out;
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < bytes; ++i) out += fmt::format("{:02x}", p[i]);
  return out;
}

template <class T>
std::string hex(const std::vector<T>& v) {
  return hex(v.data(), v.size() * sizeof(T));
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  std::sort(out.begin(), out.end());
  return out;
}

// The lines only one side has, shortened: a readable failure for long hex dumps.
std::string differences(const std::vector<std::string>& got, const std::vector<std::string>& want) {
  std::string out;
  auto shorten = [](const std::string& l) { return l.size() > 160 ? l.substr(0, 160) + "..." : l; };
  for (const auto& l : got)
    if (std::find(want.begin(), want.end(), l) == want.end()) out += "\n  h5py only: " + shorten(l);
  for (const auto& l : want)
    if (std::find(got.begin(), got.end(), l) == got.end())
      out += "\n  expected only: " + shorten(l);
  return out;
}

std::vector<std::string> h5py_sees(const std::string& path) {
  PythonRun run = python("h5_dump.py", {path});
  EXPECT_EQ(run.status, 0) << run.output;
  return lines(run.output);
}

// This rank's rows of a row-major array of `cols` columns.
template <class T>
std::span<const T> rows_of(const std::vector<T>& all, std::int64_t r0, std::int64_t r1,
                           std::int64_t cols) {
  return std::span<const T>(all).subspan(r0 * cols, (r1 - r0) * cols);
}

}  // namespace

TEST(Hdf5Write, H5pyReadsWhatEveryRankWrote) {
  const std::string path = temp_dir() + "/w.h5";
  std::vector<double> x(23 * 19);
  for (std::size_t k = 0; k < x.size(); ++k) x[k] = static_cast<double>(k) * 0.1 - 3;
  std::vector<std::int32_t> y(31 * 7);
  for (std::size_t k = 0; k < y.size(); ++k) y[k] = static_cast<std::int32_t>(k) * -3 + 5;
  std::vector<float> z(6 * 5);
  for (std::size_t k = 0; k < z.size(); ++k) z[k] = static_cast<float>(k) / 3.0f;
  std::vector<std::int64_t> n(1000);
  for (std::size_t k = 0; k < n.size(); ++k) n[k] = static_cast<std::int64_t>(k * k) * 1000003;
  std::vector<std::uint8_t> flags(10);
  for (std::size_t k = 0; k < flags.size(); ++k) flags[k] = k % 3 == 1;
  const double s = 3.25;

  h5::Attributes attrs;
  attrs.set("units", h5::AttributeValue::of("kg"));
  attrs.set("scale", h5::AttributeValue::of(0.5));
  attrs.set("count", h5::AttributeValue::of(std::int64_t{7}));
  attrs.set("n32", h5::AttributeValue::of(std::int32_t{-3}));
  attrs.set("half", h5::AttributeValue::of(0.25f));
  attrs.set("ok", h5::AttributeValue::of(false));
  attrs.set("dims", h5::AttributeValue::of(std::vector<std::int64_t>{1, 2, 3}));
  attrs.set("names", h5::AttributeValue::of(std::vector<std::string>{"p", "q"}));
  h5::AttributeValue mat = h5::AttributeValue::of(std::vector<double>{0, 1.5, 2, 3});
  mat.shape = {2, 2};
  attrs.set("mat", mat);

  {
    h5::File f = h5::File::create(comm(), path);
    // Independent, chunked: each rank its rows (rank 0 none when there are several).
    h5::Dataset dx = f.create_dataset("/x", DType::float64, Dims{23, 19}, Dims{5, 4});
    auto [r0, r1] = uneven_rows(23);
    dx.write(rows_of(x, r0, r1, 19), {r0, 0}, {r1 - r0, 19});
    dx.write_attributes(attrs);
    EXPECT_EQ(dx.attributes(), attrs);

    // Collective, gzip-compressed, in a group made on the way.
    h5::Dataset dy = f.create_dataset("grp/y", DType::int32, Dims{31, 7}, Dims{8, 7}, 4);
    std::tie(r0, r1) = uneven_rows(31);
    dy.write(rows_of(y, r0, r1, 7), {r0, 0}, {r1 - r0, 7}, h5::Transfer::collective);

    // Collective, contiguous.
    h5::Dataset dz = f.create_dataset("z", DType::float32, Dims{6, 5});
    std::tie(r0, r1) = uneven_rows(6);
    dz.write(rows_of(z, r0, r1, 5), {r0, 0}, {r1 - r0, 5}, h5::Transfer::collective);

    // 1-d, compressed, chunks larger than some ranks' parts.
    h5::Dataset dn = f.create_dataset("n", DType::int64, Dims{1000}, Dims{100}, 1);
    std::tie(r0, r1) = uneven_rows(1000);
    dn.write(rows_of(n, r0, r1, 1), {r0}, {r1 - r0}, h5::Transfer::collective);

    h5::Dataset dflags = f.create_dataset("flags", DType::boolean, Dims{10}, Dims{4});
    std::tie(r0, r1) = uneven_rows(10);
    dflags.write(flags.data() + r0, DType::boolean, Dims{r0}, Dims{r1 - r0},
                 h5::Transfer::collective);

    // A scalar, written by rank 0 alone.
    h5::Dataset ds = f.create_dataset("s", DType::float64, Dims{});
    if (rank() == 0) ds.write(&s, DType::float64, Dims{}, Dims{});

    // No elements at all: a collective write of nothing.
    h5::Dataset de = f.create_dataset("e", DType::float64, Dims{0, 3}, Dims{2, 3});
    de.write(nullptr, DType::float64, Dims{0, 0}, Dims{0, 3}, h5::Transfer::collective);

    h5::Attributes group_attrs;
    group_attrs.set("title", h5::AttributeValue::of("pando"));
    f.write_attributes("/grp", group_attrs);
    EXPECT_EQ(f.attributes("grp"), group_attrs);
    EXPECT_EQ(f.datasets(),
              (std::vector<std::string>{"/e", "/flags", "/grp/y", "/n", "/s", "/x", "/z"}));
    for (auto* d : {&dx, &dy, &dz, &dn, &dflags, &ds, &de}) d->close();
    f.close();
  }

  std::vector<std::string> expected = {
      "D|/x|float64|(23, 19)|(5, 4)|None|None|" + hex(x),
      "D|/grp/y|int32|(31, 7)|(8, 7)|gzip|4|" + hex(y),
      "D|/z|float32|(6, 5)|None|None|None|" + hex(z),
      "D|/n|int64|(1000,)|(100,)|gzip|1|" + hex(n),
      "D|/flags|bool|(10,)|(4,)|None|None|" + hex(flags),
      "D|/s|float64|()|None|None|None|" + hex(&s, sizeof s),
      "D|/e|float64|(0, 3)|(2, 3)|None|None|",
      "A|/grp|title|str|'pando'",
  };
  for (const auto& [name, value] : attrs.values) {
    std::string kind = value.type == DType::string ? "str" : std::string(to_string(value.type));
    expected.push_back(fmt::format("A|/x|{}|{}|{}", name, kind, value.to_string()));
  }
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(differences(h5py_sees(path), expected), "");

  // And the wrapper reads back the same, on every rank.
  h5::File f = h5::File::open(comm(), path);
  std::vector<std::int32_t> back(y.size());
  f.open_dataset("/grp/y").read(std::span(back), {0, 0}, {31, 7});
  EXPECT_EQ(back, y);
  EXPECT_EQ(f.open_dataset("/x").attributes(), attrs);
}

TEST(Hdf5Write, NarrowIntegersAndUint64AreStoredAsThemselves) {
  const std::string path = temp_dir() + "/ints.h5";
  // uint8 and int16 held in int32, uint32 in int64, uint64 as itself: stored in their own types.
  const std::vector<std::int32_t> u8 = {0, 255, 1, 200, 7, 128};
  const std::vector<std::int32_t> i16 = {-32768, 32767, -1, 0, 5, 300};
  const std::vector<std::int64_t> u32 = {0, 4294967295, 1, 2, 3, 4};
  const std::vector<std::uint64_t> u64 = {0, 18446744073709551615u, 9223372036854775808u, 1, 2, 3};
  {
    h5::File f = h5::File::create(comm(), path);
    const auto [r0, r1] = uneven_rows(6);
    auto mine = [&](const auto& all) { return rows_of(all, r0, r1, 1); };
    h5::Dataset a = f.create_dataset("u8", DType::int32, Dims{6}, Dims{4}, -1, h5::Fill::zeros,
                                     pando::NarrowInt::uint8);
    a.write(mine(u8), {r0}, {r1 - r0}, h5::Transfer::collective);
    h5::Dataset b = f.create_dataset("i16", DType::int32, Dims{6}, Dims{4}, 2, h5::Fill::zeros,
                                     pando::NarrowInt::int16);
    b.write(mine(i16), {r0}, {r1 - r0}, h5::Transfer::collective);
    h5::Dataset c = f.create_dataset("u32", DType::int64, Dims{6}, {}, -1, h5::Fill::zeros,
                                     pando::NarrowInt::uint32);
    c.write(mine(u32), {r0}, {r1 - r0}, h5::Transfer::collective);
    h5::Dataset d = f.create_dataset("u64", DType::uint64, Dims{6}, Dims{4});
    d.write(mine(u64), {r0}, {r1 - r0}, h5::Transfer::collective);
    EXPECT_EQ(a.info().type_name(), "uint8");
    EXPECT_EQ(error_of<pando::UsageError>([&] {
                (void)f.create_dataset("bad", DType::int32, Dims{6}, {}, -1, h5::Fill::zeros,
                                       pando::NarrowInt::uint32);
              }),
              path + ":/bad: uint32 values are held in int64, not int32");
    for (auto* x : {&a, &b, &c, &d}) x->close();
    f.close();
  }
  auto narrowed = [](const auto& v, auto t) {
    std::vector<decltype(t)> out;
    for (auto x : v) out.push_back(static_cast<decltype(t)>(x));
    return out;
  };
  std::vector<std::string> expected = {
      "D|/u8|uint8|(6,)|(4,)|None|None|" + hex(narrowed(u8, std::uint8_t{})),
      "D|/i16|int16|(6,)|(4,)|gzip|2|" + hex(narrowed(i16, std::int16_t{})),
      "D|/u32|uint32|(6,)|None|None|None|" + hex(narrowed(u32, std::uint32_t{})),
      "D|/u64|uint64|(6,)|(4,)|None|None|" + hex(u64),
  };
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(differences(h5py_sees(path), expected), "");
  // Read back as they were written.
  h5::File f = h5::File::open(comm(), path);
  std::vector<std::int32_t> back(6);
  f.open_dataset("u8").read(std::span(back), {0}, {6});
  EXPECT_EQ(back, u8);
  std::vector<std::uint64_t> back64(6);
  f.open_dataset("u64").read(std::span(back64), {0}, {6});
  EXPECT_EQ(back64, u64);
}

TEST(Hdf5Write, CompressedDatasetsTakeCollectiveWritesOnly) {
  const std::string path = temp_dir() + "/c.h5";
  h5::File f = h5::File::create(comm(), path);
  h5::Dataset d = f.create_dataset("/c", DType::int32, Dims{8}, Dims{4}, 5);
  std::vector<std::int32_t> v(8, 42);
  std::string msg = error_of<pando::UsageError>([&] {
    if (rank() == 0) d.write(std::span<const std::int32_t>(v), {0}, {8});
  });
  EXPECT_EQ(msg, rank() == 0 ? path +
                                   ":/c is compressed (gzip): parallel HDF5 writes compressed "
                                   "datasets with collective transfers only (use "
                                   "Transfer::collective)"
                             : "");
  // The file is unharmed: the collective form works.
  const std::int64_t mine = rank() == 0 ? 8 : 0;
  d.write(std::span<const std::int32_t>(v).first(mine), {0}, {mine}, h5::Transfer::collective);
  std::vector<std::int32_t> back(8);
  d.read(std::span(back), {0}, {8});
  EXPECT_EQ(back, v);
}

TEST(Hdf5Write, AttributesFollowTheArrayFromReadToWrite) {
  const std::string path = temp_dir() + "/copy.h5";
  {
    h5::File in = h5::File::open(comm(), fixtures() + "/data.h5");
    h5::Dataset a = in.open_dataset("a");
    h5::File out = h5::File::create(comm(), path);
    h5::Dataset copy = out.create_dataset("/copy", a.type(), a.shape(), a.info().chunks);
    h5::copy_attributes(a, copy);
  }
  auto original = h5py_sees(fixtures() + "/data.h5");
  auto copied = h5py_sees(path);
  std::vector<std::string> want, got;
  for (const auto& l : original)
    if (l.starts_with("A|/a|") && !l.starts_with("A|/a|pair|") && !l.starts_with("A|/a|u8|"))
      want.push_back("A|/copy|" + l.substr(5));
  want.push_back("A|/copy|u8|int64|200");  // other integer types come back as int64
  std::sort(want.begin(), want.end());
  for (const auto& l : copied)
    if (l.starts_with("A|")) got.push_back(l);
  EXPECT_EQ(differences(got, want), "");
  EXPECT_EQ(want.size(), 11u);
}

TEST(Hdf5Write, AttributesAreReplaced) {
  const std::string path = temp_dir() + "/attrs.h5";
  h5::File f = h5::File::create(comm(), path);
  h5::Dataset d = f.create_dataset("/d", DType::float64, Dims{2});
  d.write_attribute("v", h5::AttributeValue::of(1.0));
  d.write_attribute("v", h5::AttributeValue::of(std::vector<std::string>{"a", "b"}));
  d.close();
  h5::Dataset again = f.open_dataset("/d");
  ASSERT_NE(again.attributes().find("v"), nullptr);
  EXPECT_EQ(again.attributes().find("v")->to_string(), "['a', 'b']");
}

TEST(Hdf5File, GroupsLinksAndContents) {
  const std::string path = temp_dir() + "/links.h5";
  h5::File f = h5::File::create(comm(), path);
  f.create_group("/g/h");
  f.create_group("g/h");  // exists: nothing to do
  EXPECT_TRUE(f.contains("/g"));
  EXPECT_TRUE(f.contains("g/h"));
  EXPECT_FALSE(f.contains("/g/h/i/j"));
  { h5::Dataset d = f.create_dataset("/g/a", DType::int64, Dims{3}); }
  f.move_link("/g/a", "/k/b");
  EXPECT_FALSE(f.contains("/g/a"));
  EXPECT_EQ(f.datasets(), std::vector<std::string>{"/k/b"});
  f.unlink("/k/b");
  EXPECT_TRUE(f.datasets().empty());
  f.close();
  EXPECT_FALSE(f.is_open());
  EXPECT_NO_THROW(f.close());  // closing twice does nothing
  h5::File rw = h5::File::open(comm(), path, h5::Access::read_write);
  { h5::Dataset d = rw.create_dataset("/later", DType::float32, Dims{2, 2}, Dims{1, 2}); }
  EXPECT_EQ(rw.datasets(), std::vector<std::string>{"/later"});
}

TEST(Hdf5Write, UnwrittenPartsReadAsZeroUnlessFillIsSkipped) {
  const std::string path = temp_dir() + "/holes.h5";
  h5::File f = h5::File::create(comm(), path);
  int made = 0;
  for (auto fill : {h5::Fill::zeros, h5::Fill::none})
    for (auto chunks : {Dims{}, Dims{2, 2}}) {
      h5::Dataset d = f.create_dataset(fmt::format("/d{}", made++), DType::float64, Dims{4, 4},
                                       chunks, -1, fill);
      std::vector<double> row(4, 9.0);
      const std::int64_t n = rank() == 0 ? 1 : 0;
      d.write(std::span<const double>(row).first(4 * n), {0, 0}, {n, 4}, h5::Transfer::collective);
      std::vector<double> all(16, -1.0);
      d.read(std::span(all), {0, 0}, {4, 4}, h5::Transfer::collective);
      std::vector<double> want(16, 0.0);
      std::fill(want.begin(), want.begin() + 4, 9.0);
      if (fill == h5::Fill::zeros)
        EXPECT_EQ(all, want) << "chunks " << chunks.size();
      else  // only what was written is defined
        EXPECT_EQ(std::vector<double>(all.begin(), all.begin() + 4), row);
    }
}
