#pragma once
// What the tests of the distributed DataFrame share: a folder every rank sees, read options with
// a byte-range size, and an error's text as the user sees it.

#include <pando/core/consensus.hpp>
#include <pando/frame/dataframe.hpp>

#include <gtest/gtest.h>
#include <mpi_test.hpp>

#include "frame_test_util.hpp"

#include <unistd.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace pando::test {

inline ReadCsvOptions blocks(std::int64_t blocksize, CsvOptions csv = {}) {
  ReadCsvOptions o;
  o.csv = std::move(csv);
  o.blocksize = blocksize;
  return o;
}

inline std::string error_text(const std::exception& e) {
  if (const auto* t = dynamic_cast<const TaskError*>(&e)) return t->message();
  return e.what();
}

// `f` throws a pando::Error whose text is `want`.
template <class F>
void expect_error(F&& f, const std::string& want) {
  try {
    f();
    ADD_FAILURE() << "no error; wanted: " << want;
  } catch (const Error& e) {
    EXPECT_EQ(error_text(e), want);
  }
}

// A folder every rank can see, named by rank 0, removed at the end.
struct SharedDir {
  std::string path;
  SharedDir() {
    path = on_root(comm(), [] {
      auto p = std::filesystem::path(PANDO_FRAME_TEST_TMP) / ("df-" + std::to_string(::getpid()));
      std::filesystem::create_directories(p);
      return p.string();
    });
  }
  ~SharedDir() {
    comm().barrier();
    if (rank() == 0) std::filesystem::remove_all(path);
  }
  // Written by rank 0, visible to all after the call.
  std::string file(const std::string& name, std::string_view text) const {
    const std::string p = path + "/" + name;
    on_root(comm(), [&] { write_file(p, text); });
    return p;
  }
};

}  // namespace pando::test
