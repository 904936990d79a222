// Every error of the HDF5 layer: exact text, one line, naming file and dataset, the same on
// every rank.

#include "io_test_support.hpp"

#include <pando/io/h5.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <vector>

namespace h5 = pando::h5;
using pando::DType;
using pando::test::comm;
using pando::test::rank;
using namespace pando::test::io;

namespace {

using Dims = std::vector<std::int64_t>;

// `f` throws E with exactly `expected`, on every rank.
template <class E, class F>
void expect_error(F&& f, const std::string& expected) {
  std::string msg = error_of<E>(f);
  EXPECT_EQ(msg, expected);
  EXPECT_TRUE(same_on_all_ranks(msg)) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

const std::string unreadable =
    ", which Pando does not read (it reads bool, int8 to int64, uint8 to uint64, float32 and "
    "float64)";

}  // namespace

TEST(Hdf5Errors, InspectSaysWhatIsWrong) {
  const std::string dir = fixtures();
  const std::string data = dir + "/data.h5", small = dir + "/small.h5";
  auto inspect = [](const std::string& f, const std::string& d) {
    return [=] { (void)h5::inspect(f, d); };
  };
  using pando::IoError;
  expect_error<IoError>(inspect(dir + "/missing.h5", "x"), dir + "/missing.h5: no such file");
  expect_error<IoError>(inspect(dir + "/not_hdf5.h5", "x"), dir + "/not_hdf5.h5: not an HDF5 file");
  expect_error<IoError>(inspect(dir, "x"), dir + ": is a directory, not an HDF5 file");
  expect_error<IoError>(inspect(small, "x"), small + ": no dataset '/x' (it has: /a, /grp/b)");
  expect_error<IoError>(inspect(small, "grp/nope/deeper"),
                        small + ": no dataset '/grp/nope/deeper' (it has: /a, /grp/b)");
  expect_error<IoError>(inspect(small, "/grp"), small + ":/grp is a group, not a dataset");
  expect_error<IoError>(inspect(small, "grp/sub/"), small + ":/grp/sub is a group, not a dataset");
  expect_error<IoError>(inspect(small, "/"), small + ":/ is a group, not a dataset");
  const std::string ints = dir + "/ints.h5";
  expect_error<IoError>(inspect(ints, "f16"), ints + ":/f16 has type float16" + unreadable);
  expect_error<IoError>(inspect(data, "cmp"), data + ":/cmp has type compound" + unreadable);
  // Strings are a table's column (frame/hdf5.hpp): described, fixed- or variable-length.
  EXPECT_EQ(h5::inspect(data, "text").type, DType::string);
  EXPECT_EQ(h5::inspect(data, "text").string_width, 2);
  EXPECT_EQ(h5::inspect(data, "vtext").string_width, 0);
  expect_error<IoError>(inspect(data, "nope"),
                        data +
                            ": no dataset '/nope' (it has: /a, /be, /cmp, /contig, "
                            "/empty_rows, /f32 and 11 more)");
  expect_error<IoError>(inspect(data, "dangling"),
                        data +
                            ": no dataset '/dangling' (it has: /a, /be, /cmp, /contig, "
                            "/empty_rows, /f32 and 11 more)");
  expect_error<IoError>(inspect(data, "lzf"),
                        data +
                            ":/lzf is compressed with lzf (HDF5 filter 32000), which this HDF5 "
                            "library cannot decode (rewrite it with gzip compression, e.g. with "
                            "h5py)");
  expect_error<IoError>(inspect(dir + "/nodata.h5", "x"),
                        dir + "/nodata.h5: no dataset '/x' (it has no datasets)");
  // Rank 0 looks; every rank throws its error.
  expect_error<IoError>([&] { (void)h5::inspect(comm(), small, "x"); },
                        small + ": no dataset '/x' (it has: /a, /grp/b)");
}

TEST(Hdf5Errors, Hdf5sOwnCauseIsFoldedIn) {
  // A file cut short: the signature is there, the rest is not. HDF5's innermost cause ends the
  // message (its wording is HDF5's).
  const std::string path = temp_dir() + "/cut.h5";
  if (rank() == 0) {
    std::ifstream in(fixtures() + "/small.h5", std::ios::binary);
    std::vector<char> head(200);
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    std::ofstream(path, std::ios::binary).write(head.data(), 200);
  }
  comm().barrier();
  std::string msg = error_of<pando::IoError>([&] { (void)h5::inspect(path, "a"); });
  EXPECT_TRUE(msg.starts_with(path + ": cannot open (HDF5: ")) << msg;
  EXPECT_TRUE(msg.ends_with(")")) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  EXPECT_TRUE(same_on_all_ranks(msg)) << msg;
}

TEST(Hdf5Errors, ParallelOpenSaysTheSame) {
  const std::string dir = fixtures();
  const std::string data = dir + "/data.h5", small = dir + "/small.h5";
  using pando::IoError;
  expect_error<IoError>([&] { (void)h5::File::open(comm(), dir + "/missing.h5"); },
                        dir + "/missing.h5: no such file");
  expect_error<IoError>([&] { (void)h5::File::open(comm(), dir + "/not_hdf5.h5"); },
                        dir + "/not_hdf5.h5: not an HDF5 file");
  h5::File f = h5::File::open(comm(), small);
  expect_error<IoError>([&] { (void)f.open_dataset("x"); },
                        small + ": no dataset '/x' (it has: /a, /grp/b)");
  expect_error<IoError>([&] { (void)f.open_dataset("grp"); },
                        small + ":/grp is a group, not a dataset");
  h5::File g = h5::File::open(comm(), data);
  expect_error<IoError>([&] { (void)g.open_dataset("/cmp"); },
                        data + ":/cmp has type compound" + unreadable);
  expect_error<IoError>(
      [&] { (void)h5::File::create(comm(), dir + "/no/such/out.h5"); },
      dir + "/no/such/out.h5: cannot create: no such directory '" + dir + "/no/such'");
}

TEST(Hdf5Errors, SelectionsTypesAndMisuse) {
  const std::string data = fixtures() + "/data.h5";
  h5::File f = h5::File::open(comm(), data);
  h5::Dataset a = f.open_dataset("a");
  std::vector<double> v(400);
  using pando::ShapeError;
  expect_error<ShapeError>(
      [&] {
        a.read(std::span(v).first(230), {30, 0}, {10, 23});
      },
      data +
          ":/a: selection start (30, 0) count (10, 23) is outside shape "
          "(37, 23)");
  expect_error<ShapeError>(
      [&] {
        a.read(std::span(v).first(1), {-1, 0}, {1, 1});
      },
      data +
          ":/a: selection start (-1, 0) count (1, 1) is outside shape "
          "(37, 23)");
  expect_error<ShapeError>([&] { a.read(std::span(v).first(5), {0}, {5}); },
                           data +
                               ":/a: cannot read a selection of start (0,) count (5,) in a "
                               "dataset of shape (37, 23) (2 dimensions)");
  expect_error<ShapeError>(
      [&] {
        a.read(std::span(v).first(3), {0, 0}, {2, 2});
      },
      data +
          ":/a: a buffer of 3 elements for a selection of (2, 2) = 4 "
          "elements");
  expect_error<pando::TypeError>(
      [&] { f.open_dataset("flags").read(v.data(), DType::float64, Dims{0}, Dims{2}); },
      data + ":/flags has type bool; read it as bool, not float64");
  expect_error<pando::TypeError>(
      [&] {
        a.read(v.data(), DType::boolean, Dims{0, 0}, Dims{1, 1});
      },
      data + ":/a has type float64; read it as a number, not bool");
  expect_error<pando::UsageError>(
      [&] {
        a.read(v.data(), DType::string, Dims{0, 0}, Dims{1, 1});
      },
      data +
          ":/a: Pando reads and writes HDF5 data as float64, float32, int64, int32, uint64 or "
          "bool, not string");
  expect_error<pando::UsageError>(
      [&] {
        a.write(std::span<const double>(v).first(1), {0, 0}, {1, 1});
      },
      data + ":/a: cannot write: the file is open read-only");
  expect_error<pando::UsageError>(
      [&] { (void)f.create_dataset("/new", DType::float64, Dims{2}); },
      data + ":/new: cannot create a dataset: the file is open read-only");
  expect_error<pando::UsageError>(
      [&] { f.close(); },
      data + ": cannot close: 1 dataset opened from it is still open (close or destroy it first)");
  a.close();
  EXPECT_NO_THROW(f.close());
  expect_error<pando::UsageError>([&] { (void)f.open_dataset("a"); },
                                  "h5::File: the file is not open (closed, or moved from)");
  expect_error<pando::UsageError>(
      [&] {
        a.read(std::span(v).first(1), {0, 0}, {1, 1});
      },
      data + ":/a: cannot read: the dataset is closed");
}

TEST(Hdf5Errors, CreatingAndLinking) {
  const std::string path = temp_dir() + "/make.h5";
  h5::File f = h5::File::create(comm(), path);
  { h5::Dataset x = f.create_dataset("/x", DType::float64, Dims{4, 4}, Dims{2, 2}); }
  using pando::IoError;
  using pando::ShapeError;
  using pando::UsageError;
  expect_error<IoError>(
      [&] {
        (void)f.create_dataset("x", DType::float64, Dims{4, 4});
      },
      path + ":/x exists already");
  expect_error<ShapeError>(
      [&] {
        (void)f.create_dataset("/y", DType::int32, Dims{4, 4}, Dims{2});
      },
      path + ":/y: chunks (2,) do not fit shape (4, 4)");
  expect_error<ShapeError>(
      [&] {
        (void)f.create_dataset("/y", DType::int32, Dims{4, 4}, Dims{0, 2});
      },
      path + ":/y: chunks (0, 2) must be at least 1 along every dimension");
  expect_error<ShapeError>([&] { (void)f.create_dataset("/y", DType::int32, Dims{-4}); },
                           path + ":/y: negative shape (-4,)");
  expect_error<UsageError>([&] { (void)f.create_dataset("/y", DType::int32, Dims{4}, {}, 4); },
                           path + ":/y: gzip compression needs chunks");
  expect_error<UsageError>(
      [&] { (void)f.create_dataset("/y", DType::int32, Dims{4}, Dims{2}, 10); },
      path + ":/y: gzip level 10 (use 0-9, or -1 for none)");
  expect_error<UsageError>(
      [&] { (void)f.create_dataset("/y", DType::string, Dims{4}); },
      path +
          ":/y: Pando reads and writes HDF5 data as float64, float32, int64, int32, uint64 or "
          "bool, not string");
  expect_error<UsageError>(
      [&] { (void)f.create_dataset("/y", DType::float64, Dims{1 << 20}, Dims{1 << 30}); },
      "");  // chunks are clamped to the shape
  { h5::Dataset z = f.create_dataset("/z", DType::float64, Dims{2}); }
  expect_error<IoError>([&] { f.move_link("/x", "/z"); },
                        path + ": cannot move '/x' to '/z': '/z' exists");
  expect_error<IoError>([&] { f.move_link("/nope", "/w"); },
                        path + ": cannot move '/nope': no such object");
  expect_error<IoError>([&] { f.unlink("/nope"); },
                        path + ": cannot remove '/nope': no such object");
  expect_error<IoError>([&] { f.create_group("/x"); }, path + ":/x exists and is not a group");
  EXPECT_EQ(f.open_dataset("/y").info().chunks, Dims{1 << 20});
}
