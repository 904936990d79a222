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

void Options::take_args(int& argc, char** argv) {
  constexpr std::string_view prefix = "--pando-";
  int kept = 1;
  bool options_end = false;  // after "--", every argument is the program's
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    options_end = options_end || arg == "--";
    if (options_end || !arg.starts_with(prefix)) {
      argv[kept++] = argv[i];
      continue;
    }
    const auto eq = arg.find('=');
    const std::string_view name = arg.substr(prefix.size(), eq - prefix.size());
    std::string_view value;
    if (eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      throw UsageError(fmt::format("{} needs a value (e.g. {}=info)", arg, arg));
    }
    const std::string option = fmt::format("--pando-{}", name);
    if (name == "log")
      log_level = parse_log_level(std::string(value), option);
    else
      throw UsageError(fmt::format("unknown option {} (Pando's own options: --pando-log)", option));
  }
  argc = kept;
  argv[argc] = nullptr;
}

Options Options::from_env() {
  Options o;
  if (const char* v = env("PANDO_LOG")) o.log_level = parse_log_level(v, "PANDO_LOG");
  return o;
}

}  // namespace pando
