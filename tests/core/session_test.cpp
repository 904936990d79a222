// Session and options.

#include <pando/core/options.hpp>
#include <pando/core/session.hpp>

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
            "unknown option --pando-colour (Pando's own options: --pando-log)");
  EXPECT_EQ(message({"app", "--pando-log"}), "--pando-log needs a value (e.g. --pando-log=info)");
}
