#include <pando/core/log.hpp>

#include <pando/core/error.hpp>

#include <cstdio>
#include <string>

namespace pando {

namespace {
constexpr std::string_view level_names[] = {"error", "warn", "info", "debug"};
}

LogLevel parse_log_level(std::string_view text, std::string_view what) {
  for (std::size_t i = 0; i < std::size(level_names); ++i)
    if (text == level_names[i]) return static_cast<LogLevel>(i);
  throw UsageError(
      fmt::format("{}: unknown log level '{}' (use error, warn, info or debug)", what, text));
}

std::string_view to_string(LogLevel level) noexcept {
  return level_names[static_cast<std::size_t>(level)];
}

namespace detail {

LogState& log_state() noexcept {
  static LogState state;
  return state;
}

void write_log_line(LogLevel level, std::string_view message) noexcept {
  const auto& s = log_state();
  try {
    // One write per line, so lines of different ranks interleave whole.
    std::string line = s.size > 1 ? fmt::format("[pando {}/{}] {}: {}\n", s.rank, s.size,
                                                to_string(level), message)
                                  : fmt::format("[pando] {}: {}\n", to_string(level), message);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
  } catch (...) {
    // Logging never throws.
  }
}

}  // namespace detail

void set_log_context(int rank, int size, LogLevel level) noexcept {
  auto& s = detail::log_state();
  s.rank = rank;
  s.size = size;
  s.level = level;
}

void set_log_level(LogLevel level) noexcept { detail::log_state().level = level; }

}  // namespace pando
