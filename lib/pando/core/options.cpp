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

ProgressMode parse_progress(std::string_view v) {
  if (v == "auto") return ProgressMode::automatic;
  if (v == "always") return ProgressMode::always;
  if (v == "never") return ProgressMode::never;
  throw UsageError(
      fmt::format("PANDO_PROGRESS: unknown value '{}' (use auto, always or never)", v));
}
}  // namespace

Options Options::from_env() {
  Options o;
  if (const char* v = env("PANDO_LOG")) o.log_level = parse_log_level(v, "PANDO_LOG");
  if (const char* v = env("PANDO_PROGRESS")) o.progress = parse_progress(v);
  return o;
}

}  // namespace pando
