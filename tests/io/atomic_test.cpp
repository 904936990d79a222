// Atomic output: success leaves exactly the target; a failure between create and commit leaves
// nothing (no target, no temporary), for plain files (one rank or all ranks), new HDF5 files
// and new datasets in existing files.

#include "io_test_support.hpp"

#include <pando/core/fault.hpp>
#include <pando/io/atomic.hpp>
#include <pando/io/h5.hpp>
#include <pando/io/h5_atomic.hpp>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace h5 = pando::h5;
namespace io = pando::io;
using pando::DType;
using pando::test::comm;
using pando::test::rank;
using pando::test::size;
using namespace pando::test::io;

namespace {

using Dims = std::vector<std::int64_t>;
using Names = std::vector<std::string>;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Fails on every rank, the way Pando's errors reach every rank (docs/architecture.md §5).
struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};

std::string part_name(int r) { return fmt::format("part-{:04d}.txt", r); }

std::string all_parts() {
  std::string s;
  for (int r = 0; r < size(); ++r) s += fmt::format("rank {} of {}\n", r, size());
  return s;
}

}  // namespace

TEST(AtomicOutput, TempNameIsHiddenBesideTheTarget) {
  const std::string t = io::temp_path_for("/data/out/result.csv");
  EXPECT_TRUE(t.starts_with("/data/out/.result.csv.pando-tmp-")) << t;
  EXPECT_EQ(t.size(), std::string("/data/out/.result.csv.pando-tmp-").size() + 12);
  EXPECT_NE(io::temp_path_for("/data/out/result.csv"), t);
  EXPECT_TRUE(io::temp_path_for("x.h5").starts_with(".x.h5.pando-tmp-"));
}

TEST(AtomicOutput, EachRankItsOwnFile) {
  const std::string dir = temp_dir();
  {
    io::AtomicFile out(dir + "/" + part_name(rank()));
    out.write(fmt::format("rank {} of {}\n", rank(), size()));
    EXPECT_TRUE(out.temp_path().starts_with(dir + "/." + part_name(rank()) + ".pando-tmp-"));
    out.commit();
    EXPECT_TRUE(out.committed());
  }
  comm().barrier();
  Names want;
  for (int r = 0; r < size(); ++r) want.push_back(part_name(r));
  EXPECT_EQ(list_dir(dir), want);
  EXPECT_EQ(slurp(dir + "/" + part_name(rank())), fmt::format("rank {} of {}\n", rank(), size()));
}

TEST(AtomicOutput, FailedRankFilesLeaveNothing) {
  const std::string dir = temp_dir();
  EXPECT_THROW(
      {
        io::AtomicFile out(dir + "/" + part_name(rank()));
        out.write("half a row,");
        throw Interrupted();
      },
      Interrupted);
  comm().barrier();
  EXPECT_EQ(list_dir(dir), Names{});
}

TEST(AtomicOutput, CommitReplacesAnOldFile) {
  const std::string dir = temp_dir();
  const std::string target = dir + "/r" + std::to_string(rank()) + ".txt";
  {
    io::AtomicFile out(target);
    out.write("old");
    out.commit();
  }
  EXPECT_THROW(
      {
        io::AtomicFile out(target);
        out.write("new but unfinished");
        throw Interrupted();
      },
      Interrupted);
  EXPECT_EQ(slurp(target), "old");  // a failed rewrite keeps the old file
  {
    io::AtomicFile out(target, /*sync=*/true);
    out.write("new");
    out.commit();
  }
  EXPECT_EQ(slurp(target), "new");
}

TEST(AtomicOutput, AllRanksOneFileAtOffsets) {
  const std::string dir = temp_dir();
  const std::string target = dir + "/all.txt";
  const std::string mine = fmt::format("rank {} of {}\n", rank(), size());
  const auto offset = comm().exscan_sum<std::uint64_t>(mine.size());
  const auto total = comm().allreduce<std::uint64_t>(mine.size(), pando::ReduceOp::sum);
  {
    io::AtomicSharedFile out(comm(), target, total);
    EXPECT_TRUE(same_on_all_ranks(out.temp_path()));
    // Written in reverse rank order: the presized file takes writes at any offset.
    for (int turn = size() - 1; turn >= 0; --turn) {
      if (turn == rank()) out.write_at(offset, mine);
      comm().barrier();
    }
    out.commit();
  }
  EXPECT_EQ(list_dir(dir), Names{"all.txt"});
  EXPECT_EQ(slurp(target), all_parts());
}

TEST(AtomicOutput, FailedSharedFileLeavesNothing) {
  const std::string dir = temp_dir();
  EXPECT_THROW(
      {
        io::AtomicSharedFile out(comm(), dir + "/all.txt");
        out.write_at(static_cast<std::uint64_t>(rank()) * 4, "abc\n");
        throw Interrupted();
      },
      Interrupted);
  comm().barrier();
  EXPECT_EQ(list_dir(dir), Names{});
  // A shared file cannot be made where there is no directory: the same error everywhere.
  std::string msg =
      error_of<pando::IoError>([&] { io::AtomicSharedFile out(comm(), dir + "/missing/all.txt"); });
  EXPECT_EQ(msg, dir + "/missing/all.txt: cannot create (No such file or directory)");
  EXPECT_TRUE(same_on_all_ranks(msg));
  EXPECT_EQ(list_dir(dir), Names{});
}

TEST(AtomicOutput, AWriteThatFailsOnOneRankFailsTheCommitEverywhere) {
  // The last rank's write fails (an injected fault: as a full disk would); it does not throw
  // there, where the others would go on to commit alone: commit() throws it on every rank.
  const std::string dir = temp_dir();
  const int last = size() - 1;
  pando::fault::arm(fmt::format("write:{}:1", last));
  std::string msg = error_of<pando::IoError>([&] {
    io::AtomicSharedFile out(comm(), dir + "/all.txt");
    out.write_at(static_cast<std::uint64_t>(rank()) * 4, "abc\n");
    out.commit();
  });
  pando::fault::disarm();
  EXPECT_EQ(msg, fmt::format("injected fault: write #1 on rank {} (PANDO_FAULT)", last));
  EXPECT_TRUE(same_on_all_ranks(msg));
  comm().barrier();
  EXPECT_EQ(list_dir(dir), Names{});
}

TEST(AtomicOutput, RenamesAreAllOrNone) {
  // Each rank moves its part into place; the last rank's target cannot be replaced (a non-empty
  // folder stands there): every rank's new part goes, and an old part that was there comes back.
  if (size() == 1) GTEST_SKIP() << "needs two ranks";
  const std::string dir = temp_dir();
  const std::string blocked = dir + "/" + part_name(size() - 1);
  if (rank() == 0) {
    std::ofstream(dir + "/" + part_name(0)) << "old\n";
    std::filesystem::create_directories(blocked + "/blocker");
  }
  comm().barrier();
  const std::string temp = io::temp_path_for(dir + "/" + part_name(rank()));
  const std::vector<std::pair<std::string, std::string>> moves = {
      {temp, dir + "/" + part_name(rank())}};
  std::ofstream(temp) << fmt::format("new {}\n", rank());
  std::string msg = error_of<pando::IoError>([&] { io::rename_all_into_place(comm(), moves); });
  EXPECT_TRUE(same_on_all_ranks(msg));
  EXPECT_NE(msg.find(blocked), std::string::npos) << msg;
  std::error_code ignored;
  std::filesystem::remove(temp, ignored);  // the caller's temporary, where it was not renamed
  comm().barrier();
  EXPECT_EQ(list_dir(dir), (Names{part_name(0), part_name(size() - 1)}));
  EXPECT_EQ(slurp(dir + "/" + part_name(0)), "old\n");
  // With nothing in the way, every part is in place (the old part 0 replaced).
  if (rank() == 0) std::filesystem::remove_all(blocked);
  comm().barrier();
  std::ofstream(temp) << fmt::format("new {}\n", rank());
  io::rename_all_into_place(comm(), moves);
  comm().barrier();
  EXPECT_EQ(slurp(dir + "/" + part_name(rank())), fmt::format("new {}\n", rank()));
  EXPECT_EQ(list_dir(dir).size(), static_cast<std::size_t>(size()));
}

TEST(AtomicHdf5, NewFileAppearsWhole) {
  const std::string dir = temp_dir();
  const std::string target = dir + "/result.h5";
  const auto [r0, r1] = uneven_rows(20);
  std::vector<double> rows;
  for (std::int64_t k = r0 * 3; k < r1 * 3; ++k) rows.push_back(static_cast<double>(k));
  {
    h5::AtomicFile out(comm(), target);
    EXPECT_TRUE(out.temp_path().starts_with(dir + "/.result.h5.pando-tmp-"));
    h5::Dataset x = out.file().create_dataset("/x", DType::float64, Dims{20, 3}, Dims{8, 3}, 2);
    x.write(std::span<const double>(rows), {r0, 0}, {r1 - r0, 3}, h5::Transfer::collective);
    EXPECT_EQ(list_dir(dir).size(), 1u);  // only the temporary so far
    EXPECT_NE(list_dir(dir), Names{"result.h5"});
    x.close();
    out.commit();
  }
  EXPECT_EQ(list_dir(dir), Names{"result.h5"});
  h5::File f = h5::File::open(comm(), target);
  std::vector<double> all(60);
  f.open_dataset("x").read(std::span(all), {0, 0}, {20, 3}, h5::Transfer::collective);
  for (int k = 0; k < 60; ++k) ASSERT_EQ(all[k], k);
}

TEST(AtomicHdf5, FailedFileLeavesNothing) {
  const std::string dir = temp_dir();
  EXPECT_THROW(
      {
        h5::AtomicFile out(comm(), dir + "/result.h5");
        h5::Dataset x = out.file().create_dataset("/x", DType::int64, Dims{10}, Dims{5});
        std::vector<std::int64_t> v(10, 1);
        if (rank() == 0) x.write(std::span<const std::int64_t>(v), {0}, {10});
        throw Interrupted();  // on every rank, before commit
      },
      Interrupted);
  EXPECT_EQ(list_dir(dir), Names{});
  // Forgetting to close a dataset before commit is an error on every rank; the file is still
  // removed.
  std::string msg = error_of<pando::UsageError>([&] {
    h5::AtomicFile out(comm(), dir + "/result.h5");
    h5::Dataset x = out.file().create_dataset("/x", DType::int64, Dims{10});
    out.commit();
  });
  EXPECT_TRUE(
      msg.ends_with(": cannot close: 1 dataset opened from it is still open (close or "
                    "destroy it first)"))
      << msg;
  EXPECT_TRUE(same_on_all_ranks(msg));
  EXPECT_EQ(list_dir(dir), Names{});
}

TEST(AtomicHdf5, NewDatasetInAnExistingFile) {
  const std::string dir = temp_dir();
  const std::string path = dir + "/store.h5";
  {
    h5::File f = h5::File::create(comm(), path);
    h5::Dataset keep = f.create_dataset("/keep", DType::int32, Dims{2});
  }
  h5::File f = h5::File::open(comm(), path, h5::Access::read_write);

  // A failure between create and commit: no dataset, no temporary link.
  EXPECT_THROW(
      {
        h5::AtomicDataset out(f, "/out/x", DType::float64, Dims{6}, Dims{3});
        EXPECT_EQ(out.temp_name(), "/out/.x.pando-tmp");
        EXPECT_TRUE(f.contains("/out/.x.pando-tmp"));
        throw Interrupted();
      },
      Interrupted);
  EXPECT_EQ(f.datasets(), Names{"/keep"});

  // Success: the dataset appears under its name with its data and attributes.
  const auto [k0, k1] = uneven_rows(6);
  std::vector<double> mine;
  for (auto k = k0; k < k1; ++k) mine.push_back(k * 1.5);
  {
    h5::AtomicDataset out(f, "/out/x", DType::float64, Dims{6}, Dims{3}, 1);
    out.dataset().write(std::span<const double>(mine), {k0}, {k1 - k0}, h5::Transfer::collective);
    out.dataset().write_attribute("units", h5::AttributeValue::of("m"));
    EXPECT_FALSE(f.contains("/out/x"));
    out.commit();
  }
  EXPECT_EQ(f.datasets(), (Names{"/keep", "/out/x"}));
  {
    h5::Dataset x = f.open_dataset("/out/x");
    std::vector<double> all(6);
    x.read(std::span(all), {0}, {6});
    EXPECT_EQ(all, (std::vector<double>{0, 1.5, 3, 4.5, 6, 7.5}));
    EXPECT_EQ(x.attributes().find("units")->as_string(), "m");
  }

  // It exists now: an error, unless replacing.
  std::string msg = error_of<pando::IoError>(
      [&] { h5::AtomicDataset again(f, "out/x", DType::float64, Dims{2}); });
  EXPECT_EQ(msg, path + ":/out/x exists already");
  {
    h5::AtomicDataset again(f, "out/x", DType::int64, Dims{2}, {}, -1, /*replace=*/true);
    std::vector<std::int64_t> v{7, 8};
    if (rank() == 0) again.dataset().write(std::span<const std::int64_t>(v), {0}, {2});
    again.commit();
  }
  EXPECT_EQ(f.open_dataset("/out/x").type(), DType::int64);
  EXPECT_EQ(f.datasets(), (Names{"/keep", "/out/x"}));
}

TEST(AtomicHdf5, StaleTemporaryOfAKilledJobIsReplaced) {
  const std::string path = temp_dir() + "/stale.h5";
  h5::File f = h5::File::create(comm(), path);
  { h5::Dataset stale = f.create_dataset("/.y.pando-tmp", DType::int32, Dims{100}); }
  {
    h5::AtomicDataset out(f, "/y", DType::int32, Dims{3});
    out.commit();
  }
  EXPECT_EQ(f.datasets(), Names{"/y"});
  EXPECT_EQ(f.open_dataset("/y").shape(), Dims{3});
}
