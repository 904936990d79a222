// HDF5 tables at 1-4 ranks: the awkward frame (nulls, NaN, -0.0, dictionary and plain strings,
// timestamps, empty partitions) written and read back unchanged, in a new file and beside
// another table; partitions of any size; a group that exists, and groups that are no table.

#include <pando/frame/hdf5.hpp>

#include "awkward_frame.hpp"
#include "dataframe_test_util.hpp"

#include <filesystem>

namespace pando::test {
namespace {

TEST(Hdf5Table, WrittenAndReadBackUnchanged) {
  SharedDir dir;
  const std::string file = dir.path + "/t.h5";
  const DataFrame df = awkward_frame(9, 5);
  const Table whole = df.compute();
  df.to_hdf5(file, "/runs/a");
  df.filter(df["k"] > 1).to_hdf5(file, "b");  // beside it, in the same file
  for (std::int64_t blocksize : {std::int64_t{64}, std::int64_t{1000}, std::int64_t{1} << 30}) {
    const DataFrame back = read_hdf5(file, "/runs/a", blocksize);
    EXPECT_EQ(back.schema(), df.schema());
    const Table got = back.compute();
    EXPECT_TRUE(got.equals(whole)) << blocksize << "\n"
                                   << render(got) << "\nwanted\n"
                                   << render(whole);
  }
  EXPECT_TRUE(read_hdf5(file, "b").compute().equals(df.filter(df["k"] > 1).compute()));
  // No temporaries left beside the tables.
  if (rank() == 0) {
    for (const auto& e : std::filesystem::directory_iterator(dir.path))
      EXPECT_EQ(e.path().filename(), "t.h5");
  }
}

TEST(Hdf5Table, EmptyTablesAndErrors) {
  SharedDir dir;
  const std::string file = dir.path + "/e.h5";
  awkward_frame(0, 5).to_hdf5(file, "/none");
  const Table none = read_hdf5(file, "/none").compute();
  EXPECT_EQ(none.rows(), 0u);
  EXPECT_EQ(none.schema(), awkward_frame(0, 5).schema());
  expect_error([&] { awkward_frame(2, 5).to_hdf5(file, "/none"); },
               file + ":/none exists already (choose another group)");
  try {
    (void)read_hdf5(file, "/nothing");
    ADD_FAILURE() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(file + ":/nothing: no table here"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace pando::test
