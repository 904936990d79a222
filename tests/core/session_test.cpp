// Session and options.

#include <pando/core/options.hpp>
#include <pando/core/session.hpp>

#include <gtest/gtest.h>
#include <mpi_test.hpp>

#include <cstdlib>

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
