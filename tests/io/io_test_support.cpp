#include "io_test_support.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <span>

namespace pando::test::io {

namespace {

std::string& base_dir() {
  static std::string dir;
  return dir;
}

// Removes the tests' directories after the last test, while MPI is still up.
class Cleanup : public testing::Environment {
 public:
  void TearDown() override {
    comm().barrier();
    if (rank() == 0 && !base_dir().empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(base_dir(), ignored);
    }
  }
};
[[maybe_unused]] testing::Environment* const cleanup =
    testing::AddGlobalTestEnvironment(new Cleanup);

}  // namespace

std::string share(const std::string& s) {
  std::vector<char> bytes(s.begin(), s.end());
  comm().bcast_vector(bytes, 0);
  return {bytes.begin(), bytes.end()};
}

std::vector<std::string> gather_all(const std::string& s) {
  auto g = comm().allgatherv(std::span<const char>(s.data(), s.size()));
  std::vector<std::string> out;
  for (int r = 0; r < comm().size(); ++r) {
    auto part = g.part(r);
    out.emplace_back(part.begin(), part.end());
  }
  return out;
}

bool same_on_all_ranks(const std::string& s) {
  auto all = gather_all(s);
  return std::all_of(all.begin(), all.end(), [&](const std::string& x) { return x == s; });
}

std::string temp_dir() {
  static int serial = 0;
  std::string dir;
  if (rank() == 0) {
    if (base_dir().empty()) {
      std::string pattern = (std::filesystem::temp_directory_path() / "pando-io-test-XXXXXX");
      if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot make a temp directory");
      base_dir() = pattern;
    }
    dir = fmt::format("{}/{}", base_dir(), serial++);
    std::filesystem::create_directories(dir);
  }
  return share(dir);
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::string names;
  if (rank() == 0) {
    std::vector<std::string> v;
    for (const auto& e : std::filesystem::directory_iterator(dir))
      v.push_back(e.path().filename().string());
    std::sort(v.begin(), v.end());
    for (const auto& n : v) names += n + "\n";
  }
  names = share(names);
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < names.size()) {
    auto nl = names.find('\n', at);
    out.push_back(names.substr(at, nl - at));
    at = nl + 1;
  }
  return out;
}

PythonRun python(const std::string& script, const std::vector<std::string>& args) {
  PythonRun run;
  if (rank() == 0) {
    std::string cmd = fmt::format("'{}' '{}/{}'", PANDO_TEST_PYTHON, PANDO_IO_TEST_DIR, script);
    for (const auto& a : args) cmd += fmt::format(" '{}'", a);
    cmd += " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) {
      run.status = -1;
      run.output = "popen failed: " + cmd;
    } else {
      char buf[4096];
      std::size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) run.output.append(buf, n);
      run.status = ::pclose(p);
    }
  }
  run.status = comm().bcast_value(run.status, 0);
  run.output = share(run.output);
  return run;
}

const std::string& fixtures() {
  static std::string dir;
  if (dir.empty()) {
    std::string d = temp_dir();
    PythonRun run = python("h5_fixtures.py", {d});
    if (run.status != 0)
      throw std::runtime_error(fmt::format(
          "h5_fixtures.py failed (is python3-h5py installed? make deps):\n{}", run.output));
    dir = d;
  }
  return dir;
}

std::pair<std::int64_t, std::int64_t> uneven_rows(std::int64_t n) {
  const int p = size(), r = rank();
  if (p == 1) return {0, n};
  if (r == 0) return {0, 0};
  // Rank k of 1..p-1 takes a share proportional to k.
  const std::int64_t total = std::int64_t{p} * (p - 1) / 2;
  const std::int64_t below = std::int64_t{r} * (r - 1) / 2;
  return {n * below / total, n * (below + r) / total};
}

}  // namespace pando::test::io
