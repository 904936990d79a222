#pragma once
// Helpers for the io tests: shared temporary directories, the h5py fixtures, running the Python
// scripts beside this file (rank 0 runs, every rank sees the output), and comparing errors
// across ranks.

#include <mpi_test.hpp>

#include <pando/core/error.hpp>

#include <cstdint>
#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace pando::test::io {

// Collective. Rank 0's string, on every rank.
std::string share(const std::string& s);
// Collective. Every rank's string, in rank order.
std::vector<std::string> gather_all(const std::string& s);
// Collective. True when every rank passes the same string.
bool same_on_all_ranks(const std::string& s);

// Collective. A new empty directory (the same path on every rank), removed after the tests.
std::string temp_dir();
// The names in a directory, sorted (as rank 0 sees them, on every rank). Collective.
std::vector<std::string> list_dir(const std::string& dir);

struct PythonRun {
  int status = 0;
  std::string output;  // stdout and stderr
};
// Collective. Rank 0 runs Debian's python3 on `script` (a file beside this one) with `args`.
PythonRun python(const std::string& script, const std::vector<std::string>& args);

// Collective. The directory of the files h5_fixtures.py writes (once per test binary).
const std::string& fixtures();

// Rows [begin, end) of `n` for this rank: uneven on purpose, and none on rank 0 when there are
// several ranks (a rank with nothing to transfer still makes every collective call).
std::pair<std::int64_t, std::int64_t> uneven_rows(std::int64_t n);

// Runs `f` and returns the message of the E it throws; "" if it throws nothing; a description
// of anything else it throws.
template <class E, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("unexpected exception: ") + e.what();
  }
  return "";
}

}  // namespace pando::test::io
