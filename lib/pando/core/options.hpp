#pragma once
// Session options, from the PANDO_* environment variables (a job script sets them without
// touching a command line) and from --pando-* arguments, which win and which the Session takes
// out of argv (as MPI_Init takes its own), so the program's own parser never sees them:
//
//   PANDO_LOG=info     --pando-log=info     error | warn | info | debug (default warn)

#include <pando/core/log.hpp>

#include <string>

namespace pando {

struct Options {
  LogLevel log_level = LogLevel::warn;

  // Defaults overridden by the PANDO_* variables that are set; a malformed value is a
  // UsageError naming the variable.
  static Options from_env();

  // Applies and removes the --pando-NAME=VALUE and --pando-NAME VALUE arguments of argv (argv[0]
  // and the other arguments keep their order; argv[argc] stays null). An unknown name or a
  // malformed value is a UsageError naming the argument.
  void take_args(int& argc, char** argv);
};

}  // namespace pando
