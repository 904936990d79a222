#include <pando/core/options.hpp>

#include <pando/core/error.hpp>

#include <fmt/format.h>

#include <cctype>
#include <cmath>
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
    else if (name == "memory-limit")
      memory_limit = parse_bytes(value, option);
    else
      throw UsageError(fmt::format(
          "unknown option {} (Pando's own options: --pando-log, --pando-memory-limit)", option));
  }
  argc = kept;
  argv[argc] = nullptr;
}

Options Options::from_env() {
  Options o;
  if (const char* v = env("PANDO_LOG")) o.log_level = parse_log_level(v, "PANDO_LOG");
  if (const char* v = env("PANDO_MEMORY_LIMIT"))
    o.memory_limit = parse_bytes(v, "PANDO_MEMORY_LIMIT");
  return o;
}

std::uint64_t parse_bytes(std::string_view text, std::string_view what) {
  const std::string t(text);
  char* end = nullptr;
  const double number = std::strtod(t.c_str(), &end);
  std::string_view unit(end);
  double scale = 1;
  if (!unit.empty()) {
    constexpr std::string_view units = "KMGT";
    const auto k = units.find(static_cast<char>(std::toupper(static_cast<unsigned char>(unit[0]))));
    unit.remove_prefix(1);
    if (unit == "iB" || unit == "ib" || unit == "B" || unit == "b") unit = {};
    if (k != std::string_view::npos && unit.empty())
      scale = std::ldexp(1.0, 10 * (static_cast<int>(k) + 1));
    else
      scale = 0;
  }
  const double bytes = number * scale;
  if (end == t.c_str() || scale == 0 || !(bytes >= 1) || bytes > 0x1p62)
    throw UsageError(
        fmt::format("{}: '{}' is not a size in bytes (e.g. 4GiB, 512M or 1073741824)", what, text));
  return static_cast<std::uint64_t>(bytes);
}

}  // namespace pando
