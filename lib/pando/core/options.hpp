#pragma once
// Session options, from the PANDO_* environment variables (a job script sets them without
// touching a command line) and from --pando-* arguments, which win and which the Session takes
// out of argv (as MPI_Init takes its own), so the program's own parser never sees them:
//
//   PANDO_LOG=info             --pando-log=info             error | warn | info | debug (warn)
//   PANDO_MEMORY_LIMIT=4GiB    --pando-memory-limit=4GiB    bytes per rank, with an optional
//                              K/M/G/T (powers of 1024); default: half of the node's memory
//                              shared by the ranks on the node

#include <pando/core/log.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace pando {

struct Options {
  LogLevel log_level = LogLevel::warn;
  // The one memory budget of a rank, in bytes (0: the default, which Session works out). The
  // bounds on bytes in flight between ranks derive from it.
  std::uint64_t memory_limit = 0;

  // Defaults overridden by the PANDO_* variables that are set; a malformed value is a
  // UsageError naming the variable.
  static Options from_env();

  // Applies and removes the --pando-NAME=VALUE and --pando-NAME VALUE arguments of argv (argv[0]
  // and the other arguments keep their order; argv[argc] stays null). An unknown name or a
  // malformed value is a UsageError naming the argument.
  void take_args(int& argc, char** argv);
};

// "4GiB", "512M", "1.5G", "1073741824" -> bytes. UsageError naming `what` otherwise.
std::uint64_t parse_bytes(std::string_view text, std::string_view what);

}  // namespace pando
