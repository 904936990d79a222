#include <pando/core/options.hpp>

#include <pando/core/error.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <string_view>

namespace pando {

namespace {
const char* env(const char* name) {
  const char* v = std::getenv(name);
  return (v && *v) ? v : nullptr;
}

}  // namespace

Options Options::from_env() {
  Options o;
  if (const char* v = env("PANDO_LOG")) o.log_level = parse_log_level(v, "PANDO_LOG");
  return o;
}

}  // namespace pando
