// Arrays and HDF5: files written by h5py read here identically, files written here read back by
// h5py identically, at every rank count; errors before anything runs; nothing partial left.

#include <pando/array/elementwise.hpp>
#include <pando/array/hdf5.hpp>

#include <gtest/gtest.h>
#include <mpi_test.hpp>

#include "array_reference.hpp"

#include <cstdio>
#include <filesystem>
#include <memory>

using namespace pando;

namespace {

// A folder shared by all ranks (rank 0 names it), removed at the end.
struct SharedDir {
  std::string path;
  SharedDir() {
    path = on_root(test::comm(), [] {
      auto p = std::filesystem::temp_directory_path() / ("pando-h5-" + std::to_string(::getpid()));
      std::filesystem::create_directories(p);
      return p.string();
    });
  }
  ~SharedDir() {
    test::comm().barrier();
    if (test::rank() == 0) std::filesystem::remove_all(path);
  }
};

std::string run(const std::string& command) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(command.c_str(), "r"), pclose);
  char buf[512];
  while (p && fgets(buf, sizeof buf, p.get())) out += buf;
  return out;
}

const std::string script = std::string(PANDO_TEST_SOURCE_DIR) + "/array/h5_fixture.py";

std::string fixture(const SharedDir& dir) {
  const std::string file = dir.path + "/fixture.h5";
  on_root(test::comm(), [&] {
    if (std::system(("/usr/bin/python3 " + script + " write " + file).c_str()) != 0)
      throw IoError("h5py could not write the fixture");
  });
  return file;
}

// What h5_fixture.py's value() holds at index i.
double fixture_value(const std::vector<std::int64_t>& i) {
  double v = 0;
  for (std::size_t a = 0; a < i.size(); ++a)
    v += static_cast<double>(i[a]) * (a == 0 ? 0.5 : -0.25 * a);
  return v;
}

}  // namespace

TEST(Hdf5Array, ReadsWhatH5pyWrote) {
  SharedDir dir;
  const std::string file = fixture(dir);
  // Default chunking, and chunks that cut across the stored ones.
  for (auto chunks : {std::optional<ChunkSpec>{}, std::optional<ChunkSpec>{Shape{5, 7}}}) {
    AnyArray x = from_hdf5(file, "/f64", {chunks, std::nullopt});
    EXPECT_EQ(x.shape(), (Shape{37, 23}));
    Block b = x.compute();
    for (std::int64_t k = 0; k < b.size(); ++k)
      EXPECT_EQ(b.values<double>()[static_cast<std::size_t>(k)],
                fixture_value(test::unravel(k, b.shape)));
  }
  Array<std::int32_t> i = from_hdf5<std::int32_t>(file, "i32", {Shape{10}, std::nullopt});
  EXPECT_EQ(i.compute().values()[96], 96 * 3 - 50);
  EXPECT_EQ(i.sum().compute().scalar(), 3 * 96 * 97 / 2 - 50 * 97);
  AnyArray f = from_hdf5(file, "/g/f32");
  EXPECT_EQ(f.dtype(), DType::float32);
  Block fb = f.compute();
  EXPECT_EQ(fb.values<float>()[static_cast<std::size_t>(test::ravel({6, 4, 5}, fb.shape))],
            static_cast<float>(fixture_value({6, 4, 5})));
  AnyArray e = from_hdf5(file, "/empty");
  EXPECT_EQ(e.compute().size(), 0);
}

TEST(Hdf5Array, MissingThingsAreClearErrorsOnEveryRank) {
  SharedDir dir;
  const std::string file = fixture(dir);
  try {
    (void)from_hdf5(file, "/nope");
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(file + ": no dataset '/nope'", 0), 0u) << e.what();
  }
  EXPECT_THROW((void)from_hdf5(dir.path + "/missing.h5", "/x"), IoError);
}

TEST(Hdf5Array, AttributesTravelFromReadToWrite) {
  SharedDir dir;
  const std::string src = fixture(dir);
  const std::string out = dir.path + "/attrs.h5";
  AnyArray f = from_hdf5(src, "/g/f32");
  EXPECT_EQ(f.attributes().find("units")->as_string(), "m/s");
  // Rechunked and persisted: the same values, so the same attributes, written back.
  to_hdf5(f.rechunk(Shape{7, 5, 1}).persist(), out, "/same");
  // Computed values describe something else: none, unless given (given ones win).
  Hdf5Write w;
  w.attributes.set("scale", h5::AttributeValue::of(2.0));
  to_hdf5(f.rechunk(Shape{2, 2, 2}).with_attributes(f.attributes()), out, "/given", w);
  to_hdf5(f * 2, out, "/computed");
  const std::string got = on_root(test::comm(), [&] {
    return run("/usr/bin/python3 " + script + " check " + out + " /same") +
           run("/usr/bin/python3 " + script + " check " + out + " /given") +
           run("/usr/bin/python3 " + script + " check " + out + " /computed");
  });
  std::vector<std::string> attrs;
  for (std::size_t at = 0, nl; (nl = got.find('\n', at)) != std::string::npos; at = nl + 1) {
    const std::string line = got.substr(at, nl - at);
    attrs.push_back(line.substr(line.rfind(' ') + 1));
  }
  EXPECT_EQ(attrs, (std::vector<std::string>{"scale=0.5,units=m/s", "scale=2.0,units=m/s", ""}))
      << got;
}

TEST(Hdf5Array, WrongTypesAndOptionsAreClearErrorsBeforeAnythingRuns) {
  SharedDir dir;
  const std::string src = fixture(dir);
  try {
    (void)from_hdf5<std::int32_t>(src, "/f64");
    FAIL() << "no error";
  } catch (const TypeError& e) {
    EXPECT_EQ(std::string(e.what()),
              src +
                  ":/f64 holds float64, not int32: read it as from_hdf5<float64>, or set "
                  "Hdf5Read::as to convert");
  }
  Hdf5Read as;
  as.as = DType::int32;
  EXPECT_EQ(from_hdf5<std::int32_t>(src, "/f64", as).compute().values()[23], 0);  // 0.5 -> 0
  AnyArray x = from_hdf5(src, "/f64");
  Hdf5Write gz;
  gz.gzip_level = 12;
  EXPECT_THROW(to_hdf5(x, dir.path + "/o.h5", "/x", gz), UsageError);
  Hdf5Write chunks;
  chunks.chunks = Shape{4, 0};
  EXPECT_THROW(to_hdf5(x, dir.path + "/o.h5", "/x", chunks), ShapeError);
  chunks.chunks = Shape{4};
  EXPECT_THROW(to_hdf5(x, dir.path + "/o.h5", "/x", chunks), ShapeError);
  test::comm().barrier();
  EXPECT_FALSE(std::filesystem::exists(dir.path + "/o.h5"));
}

TEST(Hdf5Array, WritesWhatH5pyReadsBack) {
  SharedDir dir;
  const std::string src = fixture(dir);
  const std::string out = dir.path + "/out.h5";
  AnyArray x = from_hdf5(src, "/f64");
  // A new file, rechunked blocks, attributes; then a second dataset into the same file, gzip.
  Hdf5Write w;
  w.attributes.set("units", h5::AttributeValue::of("m/s"));
  to_hdf5(x.rechunk(Shape{37, 3}), out, "/y", w);
  Hdf5Write z;
  z.gzip_level = 4;
  to_hdf5(x.T(), out, "/grp/z", z);
  const std::string got_y = on_root(
      test::comm(), [&] { return run("/usr/bin/python3 " + script + " check " + out + " /y"); });
  const std::string got_z = on_root(test::comm(), [&] {
    return run("/usr/bin/python3 " + script + " check " + out + " /grp/z");
  });
  const std::string want = on_root(
      test::comm(), [&] { return run("/usr/bin/python3 " + script + " check " + src + " /f64"); });
  // Same values (sum) in the same order (weighted sum); attributes carried.
  EXPECT_EQ(got_y, want.substr(0, want.size() - 1) + "units=m/s\n") << got_y;
  EXPECT_EQ(got_z.substr(0, got_z.find(')') + 1), "(23, 37)") << got_z;
  // Reading back here as well.
  Block back = from_hdf5(out, "/grp/z").compute();
  EXPECT_EQ(back.values<double>()[1], fixture_value({1, 0}));
}

TEST(Hdf5Array, ExistingDatasetIsRefusedAndFailedWritesLeaveNothing) {
  SharedDir dir;
  const std::string file = dir.path + "/w.h5";
  AnyArray a = from_values(test::random_block({10, 10}, 1), Shape{4, 4});
  to_hdf5(a, file, "/a");
  try {
    to_hdf5(a, file, "/a");
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()),
              file + ":/a exists already (choose another name, or overwrite it)");
  }
  // A block that fails: the new dataset must not appear, the new file must not exist.
  AnyArray bad = a.map_blocks(
      [](const Block& b) -> Block {
        if (b.shape[0] == 2) throw ValueError("bad block");
        return b;
      },
      "fail");
  EXPECT_THROW(to_hdf5(bad, file, "/b"), TaskError);
  EXPECT_THROW(to_hdf5(bad, dir.path + "/never.h5", "/b"), TaskError);
  test::comm().barrier();
  EXPECT_FALSE(std::filesystem::exists(dir.path + "/never.h5"));
  auto names = on_root(test::comm(), [&] { return h5::list_datasets(file); });
  EXPECT_EQ(names, std::vector<std::string>{"/a"});
}
