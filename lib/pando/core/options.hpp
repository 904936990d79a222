#pragma once
// Session options. Apps own argv: they parse their command line into an Options value; defaults
// come from PANDO_* environment variables, so a job script can set them without touching a
// command line:
//
//   PANDO_LOG=info            error | warn | info | debug (default warn)

#include <pando/core/log.hpp>

#include <string>

namespace pando {

struct Options {
  LogLevel log_level = LogLevel::warn;

  // Defaults overridden by the PANDO_* variables that are set; a malformed value is a
  // UsageError naming the variable.
  static Options from_env();
};

}  // namespace pando
