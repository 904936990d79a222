// Session and options.

#include <pando/core/options.hpp>
#include <pando/graph/session.hpp>

#include <unistd.h>

#include <gtest/gtest.h>
#include <mpi_test.hpp>

#include <cstdlib>
#include <string>
#include <vector>

namespace {
struct EnvVar {
  EnvVar(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~EnvVar() { unsetenv(name_); }
  const char* name_;
};
}  // namespace

TEST(Session, CurrentIsTheRunningSession) {
  auto& s = pando::Session::current();
  EXPECT_EQ(s.size(), s.comm().size());
  EXPECT_EQ(s.rank(), s.comm().rank());
  EXPECT_TRUE(s.owns_mpi());
}

TEST(Session, SecondSessionIsRefused) { EXPECT_THROW(pando::Session second, pando::UsageError); }

TEST(Session, ExtensionsAreCreatedOnceAndKept) {
  struct Counter {
    int n = 0;
  };
  auto& s = pando::Session::current();
  s.extension<Counter>().n += 1;
  s.extension<Counter>().n += 1;
  EXPECT_EQ(s.extension<Counter>().n, 2);
}

TEST(Options, DefaultsWithoutEnvironment) {
  unsetenv("PANDO_LOG");
  auto o = pando::Options::from_env();
  EXPECT_EQ(o.log_level, pando::LogLevel::warn);
}

TEST(Options, ReadFromEnvironment) {
  EnvVar log("PANDO_LOG", "debug");
  auto o = pando::Options::from_env();
  EXPECT_EQ(o.log_level, pando::LogLevel::debug);
}

TEST(Options, BadValueNamesTheVariable) {
  EnvVar log("PANDO_LOG", "loud");
  try {
    (void)pando::Options::from_env();
    FAIL() << "no error";
  } catch (const pando::UsageError& e) {
    EXPECT_STREQ(e.what(), "PANDO_LOG: unknown log level 'loud' (use error, warn, info or debug)");
  }
}

TEST(Options, MemoryLimitTakesSizesWithUnits) {
  EXPECT_EQ(pando::parse_bytes("1073741824", "x"), std::uint64_t{1} << 30);
  EXPECT_EQ(pando::parse_bytes("4GiB", "x"), std::uint64_t{4} << 30);
  EXPECT_EQ(pando::parse_bytes("512M", "x"), std::uint64_t{512} << 20);
  EXPECT_EQ(pando::parse_bytes("1.5g", "x"), std::uint64_t{3} << 29);
  EXPECT_EQ(pando::parse_bytes("64KB", "x"), std::uint64_t{64} << 10);
  for (const char* bad : {"", "G", "-1G", "4X", "4GiBs", "0"})
    EXPECT_THROW((void)pando::parse_bytes(bad, "x"), pando::UsageError) << bad;
  EnvVar limit("PANDO_MEMORY_LIMIT", "2G");
  EXPECT_EQ(pando::Options::from_env().memory_limit, std::uint64_t{2} << 30);
}

TEST(Session, MemoryLimitDefaultsToAShareOfTheNode) {
  // Half of the node's memory over the ranks on it: at most half, at least something.
  const std::uint64_t limit = pando::Session::current().memory_limit();
  const auto pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  EXPECT_GT(limit, std::uint64_t{0});
  EXPECT_LE(limit, static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page) / 2);
}

namespace {
// A mutable argv over strings, null-terminated like main's.
struct Argv {
  explicit Argv(std::vector<std::string> args) : text(std::move(args)) {
    for (auto& a : text) ptrs.push_back(a.data());
    ptrs.push_back(nullptr);
    argc = static_cast<int>(text.size());
  }
  [[nodiscard]] std::vector<std::string> left() const {
    return {ptrs.begin(), ptrs.begin() + argc};
  }
  std::vector<std::string> text;
  std::vector<char*> ptrs;
  int argc;
};
}  // namespace

TEST(Options, PandoArgumentsAreTakenOutOfArgv) {
  Argv a({"app", "--pando-log=debug", "data.csv", "--pando-log", "info", "-v", "--", "--pando-x"});
  pando::Options o;
  o.take_args(a.argc, a.ptrs.data());
  EXPECT_EQ(o.log_level, pando::LogLevel::info);  // the last one wins
  EXPECT_EQ(a.left(), (std::vector<std::string>{"app", "data.csv", "-v", "--", "--pando-x"}));
  EXPECT_EQ(a.ptrs[static_cast<std::size_t>(a.argc)], nullptr);
}

TEST(Options, BadArgumentsNameTheArgument) {
  auto message = [](std::vector<std::string> args) {
    Argv a(std::move(args));
    pando::Options o;
    try {
      o.take_args(a.argc, a.ptrs.data());
    } catch (const pando::UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({"app", "--pando-log=loud"}),
            "--pando-log: unknown log level 'loud' (use error, warn, info or debug)");
  EXPECT_EQ(message({"app", "--pando-colour=red"}),
            "unknown option --pando-colour (Pando's own options: --pando-log, "
            "--pando-memory-limit)");
  EXPECT_EQ(message({"app", "--pando-memory-limit=lots"}),
            "--pando-memory-limit: 'lots' is not a size in bytes (e.g. 4GiB, 512M or 1073741824)");
  EXPECT_EQ(message({"app", "--pando-log"}), "--pando-log needs a value (e.g. --pando-log=info)");
}
