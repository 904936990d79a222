// HDF5 datasets of every integer type NumPy has, written by h5py (h5_fixture.py ints), read and
// reduced here as NumPy reduces them: the same result types (the sum of uint8 is uint64, the
// min of uint8 uint8, the mean float64) and the same values, products and uint64 sums wrapping
// modulo 2^64 as in NumPy, at every rank count.

#include <pando/array/elementwise.hpp>
#include <pando/array/hdf5.hpp>

#include <gtest/gtest.h>
#include <mpi_test.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>

using namespace pando;

namespace {

// A folder shared by all ranks (rank 0 names it), removed at the end.
struct SharedDir {
  std::string path;
  SharedDir() {
    path = on_root(test::comm(), [] {
      auto p =
          std::filesystem::temp_directory_path() / ("pando-h5int-" + std::to_string(::getpid()));
      std::filesystem::create_directories(p);
      return p.string();
    });
  }
  ~SharedDir() {
    test::comm().barrier();
    if (test::rank() == 0) std::filesystem::remove_all(path);
  }
};

const std::string script = std::string(PANDO_TEST_SOURCE_DIR) + "/array/h5_fixture.py";

// Rank 0 runs `command`; every rank gets its output.
std::string run(const std::string& command) {
  return on_root(test::comm(), [&] {
    std::string out;
    std::unique_ptr<FILE, int (*)(FILE*)> p(popen(command.c_str(), "r"), pclose);
    char buf[4096];
    while (p && fgets(buf, sizeof buf, p.get())) out += buf;
    return out;
  });
}

const std::vector<std::string> int_types = {"int8",  "int16",  "int32",  "int64",
                                            "uint8", "uint16", "uint32", "uint64"};

// One NumPy result: its dtype name and its values as Python prints them.
struct Expected {
  std::string dtype;
  std::vector<std::string> values;
};

// The fixture file, and NumPy's results by "DSET OP AXIS" ("uint8 sum all", "int8 values all").
struct Fixture {
  std::string file;
  std::map<std::string, Expected> numpy;

  explicit Fixture(const SharedDir& dir) : file(dir.path + "/ints.h5") {
    std::istringstream lines(run("/usr/bin/python3 " + script + " ints " + file));
    std::string line;
    while (std::getline(lines, line)) {
      std::istringstream words(line);
      std::string name, op, axis;
      Expected e;
      words >> name >> op >> axis >> e.dtype;
      for (std::string v; words >> v;) e.values.push_back(v);
      numpy[name + " " + op + " " + axis] = std::move(e);
    }
    EXPECT_EQ(numpy.size(), int_types.size() * 22) << "h5_fixture.py ints failed";
  }
};

// The elements of a block as text: integers exactly (unsigned ones as unsigned), floats as
// numbers to compare with a tolerance.
std::vector<std::string> int_texts(const Block& b) {
  std::vector<std::string> out;
  for (std::int64_t i = 0; i < b.size(); ++i) {
    const auto k = static_cast<std::size_t>(i);
    switch (b.dtype) {
      case DType::int32:
        out.push_back(std::to_string(b.values<std::int32_t>()[k]));
        break;
      case DType::int64:
        out.push_back(std::to_string(b.values<std::int64_t>()[k]));
        break;
      case DType::uint64:
        out.push_back(std::to_string(b.values<std::uint64_t>()[k]));
        break;
      default:
        ADD_FAILURE() << "a block of " << to_string(b.dtype) << " where integers were expected";
        return out;
    }
  }
  return out;
}

std::vector<double> float_values(const Block& b) {
  EXPECT_EQ(b.dtype, DType::float64);
  if (b.dtype != DType::float64) return {};
  auto v = b.values<double>();
  return {v.begin(), v.end()};
}

// The largest magnitude among NumPy's values of a dataset (the scale of rounding errors).
double magnitude(const Expected& values) {
  double m = 0;
  for (const auto& v : values.values) m = std::max(m, std::fabs(std::stod(v)));
  return m;
}

Hdf5Read in_blocks(Shape chunks) {
  Hdf5Read r;
  r.chunks = std::move(chunks);
  return r;
}

}  // namespace

TEST(Hdf5IntTypes, InspectNamesEachTypeAsNumpyDoes) {
  SharedDir dir;
  Fixture fx(dir);
  const std::map<std::string, DType> held = {{"int8", DType::int32},   {"int16", DType::int32},
                                             {"int32", DType::int32},  {"int64", DType::int64},
                                             {"uint8", DType::int32},  {"uint16", DType::int32},
                                             {"uint32", DType::int64}, {"uint64", DType::uint64}};
  for (const auto& name : int_types) {
    SCOPED_TRACE(name);
    const h5::DatasetInfo info = h5::inspect(test::comm(), fx.file, "/" + name);
    EXPECT_EQ(info.type_name(), name);
    EXPECT_EQ(info.type, held.at(name));
    AnyArray x = from_hdf5(fx.file, name);
    EXPECT_EQ(x.type_name(), name);
    EXPECT_EQ(x.dtype(), held.at(name));
  }
}

TEST(Hdf5IntTypes, ValuesAreReadExactly) {
  SharedDir dir;
  Fixture fx(dir);
  for (const auto& name : int_types) {
    SCOPED_TRACE(name);
    for (const Shape& chunks : {Shape{4, 3}, Shape{11, 7}, Shape{3, 5}}) {
      Block b = from_hdf5(fx.file, name, in_blocks(chunks)).compute();
      EXPECT_EQ(b.shape, (Shape{11, 7}));
      EXPECT_EQ(int_texts(b), fx.numpy.at(name + " values all").values);
    }
  }
}

TEST(Hdf5IntTypes, ReductionsGiveNumpysTypesAndValues) {
  SharedDir dir;
  Fixture fx(dir);
  const std::vector<std::pair<std::string, ReduceKind>> ops = {
      {"sum", ReduceKind::sum}, {"prod", ReduceKind::prod}, {"min", ReduceKind::min},
      {"max", ReduceKind::max}, {"mean", ReduceKind::mean}, {"var", ReduceKind::var},
      {"std", ReduceKind::std}};
  for (const auto& name : int_types) {
    // Blocks of 4 x 3 (stored chunks) and 3 x 5 (across them): many partials to combine.
    for (const Shape& chunks : {Shape{4, 3}, Shape{3, 5}}) {
      AnyArray x = from_hdf5(fx.file, name, in_blocks(chunks));
      const double scale = magnitude(fx.numpy.at(name + " values all"));
      std::vector<AnyArray> results;
      std::vector<std::string> keys;
      for (const auto& [op, kind] : ops)
        for (const std::string axis : {"all", "0", "1"}) {
          ReduceOptions o;
          if (axis != "all") o.axes = {std::stoi(axis)};
          results.push_back(x.reduce(kind, o));
          keys.push_back(name + " " + op + " " + axis);
        }
      std::vector<Block> got = compute(results);  // one pass
      for (std::size_t k = 0; k < keys.size(); ++k) {
        SCOPED_TRACE(keys[k] + " in blocks of " + shape_text(chunks));
        const Expected& want = fx.numpy.at(keys[k]);
        EXPECT_EQ(results[k].type_name(), want.dtype);
        if (want.dtype != "float64") {
          EXPECT_EQ(int_texts(got[k]), want.values);
          continue;
        }
        // mean, var, std: float64, to rounding (NumPy sums pairwise along the whole axis,
        // Pando pairwise within blocks, then block by block).
        const bool var = keys[k].find(" var ") != std::string::npos;
        const double tol = 1e-13 * (var ? scale * scale : scale);
        std::vector<double> values = float_values(got[k]);
        ASSERT_EQ(values.size(), want.values.size());
        for (std::size_t i = 0; i < values.size(); ++i)
          EXPECT_NEAR(values[i], std::stod(want.values[i]), tol) << i;
      }
    }
  }
}

TEST(Hdf5IntTypes, WrittenBackWithTheirTypes) {
  SharedDir dir;
  Fixture fx(dir);
  const std::string out = dir.path + "/back.h5";
  std::string names;
  Hdf5Write gzip;
  gzip.gzip_level = 1;
  for (const auto& name : int_types) {
    AnyArray x = from_hdf5(fx.file, name, in_blocks({4, 3}));
    // The same values in other blocks (compressed: parallel HDF5 writes compressed datasets
    // only without type conversions), a reduction that keeps the type and one that widens it.
    to_hdf5(x.rechunk(Shape{5, 2}), out, "/" + name, gzip);
    to_hdf5(x.min({0}), out, "/" + name + "_min0");
    to_hdf5(x.sum(), out, "/" + name + "_sum");
    names += " /" + name + " /" + name + "_min0 /" + name + "_sum";
  }
  std::istringstream lines(run("/usr/bin/python3 " + script + " dump " + out + names));
  for (const auto& name : int_types) {
    SCOPED_TRACE(name);
    std::string line, got_name, dtype, shape, value;
    std::vector<std::string> values;
    auto next = [&] {
      values.clear();
      std::getline(lines, line);
      std::istringstream words(line);
      words >> got_name >> dtype >> shape;
      while (words >> value) values.push_back(value);
    };
    next();
    EXPECT_EQ(got_name + " " + dtype + " " + shape, "/" + name + " " + name + " 11x7");
    EXPECT_EQ(values, fx.numpy.at(name + " values all").values);
    next();
    const Expected& min0 = fx.numpy.at(name + " min 0");
    EXPECT_EQ(got_name + " " + dtype + " " + shape, "/" + name + "_min0 " + min0.dtype + " 7");
    EXPECT_EQ(values, min0.values);
    next();
    const Expected& sum = fx.numpy.at(name + " sum all");
    EXPECT_EQ(got_name + " " + dtype + " " + shape, "/" + name + "_sum " + sum.dtype + " ()");
    EXPECT_EQ(values, sum.values);
  }
}

TEST(Hdf5IntTypes, AnExplicitTypeConvertsAsHdf5Does) {
  SharedDir dir;
  Fixture fx(dir);
  Hdf5Read as = in_blocks({4, 3});
  as.as = DType::float64;
  for (const auto& name : int_types) {
    SCOPED_TRACE(name);
    AnyArray x = from_hdf5(fx.file, name, as);
    EXPECT_EQ(x.type_name(), "float64");
    std::vector<double> got = float_values(x.compute());
    const auto& want = fx.numpy.at(name + " values all").values;
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i)
      EXPECT_EQ(got[i], name[0] == 'u' ? static_cast<double>(std::stoull(want[i]))
                                       : static_cast<double>(std::stoll(want[i])));
    // As float64 its sum is float64, as NumPy's x.astype(float64).sum().
    EXPECT_EQ(x.sum().type_name(), "float64");
  }
  // Read as int32, uint8 is plain int32: its sum is int64, its min int32.
  as.as = DType::int32;
  AnyArray u8 = from_hdf5(fx.file, "uint8", as);
  EXPECT_EQ(u8.type_name(), "int32");
  EXPECT_EQ(u8.sum().type_name(), "int64");
  EXPECT_EQ(u8.min().type_name(), "int32");
  EXPECT_EQ(std::to_string(u8.sum().compute().values<std::int64_t>()[0]),
            fx.numpy.at("uint8 sum all").values[0]);
}

TEST(Hdf5IntTypes, TypedArraysHoldTheirCppType) {
  SharedDir dir;
  Fixture fx(dir);
  // uint64 is an element type of its own.
  Array<std::uint64_t> u64 = from_hdf5<std::uint64_t>(fx.file, "uint64", in_blocks({4, 3}));
  Array<std::uint64_t> total = u64.sum();
  EXPECT_EQ(std::to_string(total.compute().scalar()), fx.numpy.at("uint64 sum all").values[0]);
  EXPECT_EQ(std::to_string(u64.max().compute().scalar()), fx.numpy.at("uint64 max all").values[0]);
  Array<double> as_double = u64.astype<double>();
  EXPECT_EQ(as_double.compute().values()[0], static_cast<double>(UINT64_MAX));
  // Narrow types read typed are their holding type, as astype() makes it: uint8 as int32.
  Array<std::int32_t> u8 = from_hdf5<std::int32_t>(fx.file, "uint8", in_blocks({4, 3}));
  EXPECT_EQ(u8.untyped().type_name(), "int32");
  EXPECT_EQ(std::to_string(u8.sum().compute().scalar()), fx.numpy.at("uint8 sum all").values[0]);
}

TEST(Hdf5IntTypes, ExpressionsTakeNarrowTypesAsTheirHoldingType) {
  SharedDir dir;
  Fixture fx(dir);
  // uint8 computes as int32 (no wrap at 8 bits): its values exactly, in a type that holds them.
  AnyArray u8 = from_hdf5(fx.file, "uint8", in_blocks({4, 3}));
  AnyArray twice = u8 * 2;
  EXPECT_EQ(twice.type_name(), "int32");
  Block b = twice.compute();
  const auto& values = fx.numpy.at("uint8 values all").values;
  for (std::size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(b.values<std::int32_t>()[i], 2 * std::stoi(values[i]));
  EXPECT_EQ((u8 * 0.5).sum().type_name(), "float64");
  // uint64 is not computed with: a clear error before anything runs, and astype converts.
  AnyArray u64 = from_hdf5(fx.file, "uint64", in_blocks({4, 3}));
  try {
    (void)(u64 + 1);
    FAIL() << "no error";
  } catch (const TypeError& e) {
    EXPECT_EQ(std::string(e.what()),
              "a + 1: 'a' is uint64, which element-wise expressions do not take (convert it "
              "first: astype, or read it as another type with Hdf5Read::as)");
  }
  EXPECT_EQ((u64.astype(DType::float64) + 1).type_name(), "float64");
}
