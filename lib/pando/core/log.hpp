#pragma once
// Rank-prefixed logging to stderr. The level comes from PANDO_LOG (error, warn, info, debug) or
// from Options; lines look like "[pando 1/4] info: read 3 files (1.2 GB)".

#include <fmt/format.h>

#include <string_view>

namespace pando {

enum class LogLevel { error = 0, warn = 1, info = 2, debug = 3 };

// Throws UsageError naming `what` (e.g. "PANDO_LOG") for anything but the four level names.
LogLevel parse_log_level(std::string_view text, std::string_view what);
std::string_view to_string(LogLevel level) noexcept;

namespace detail {
struct LogState {
  LogLevel level = LogLevel::warn;
  int rank = 0;
  int size = 1;
};
LogState& log_state() noexcept;
void write_log_line(LogLevel level, std::string_view message) noexcept;
}  // namespace detail

// Where log lines are labelled from (Session calls it once MPI is up).
void set_log_context(int rank, int size, LogLevel level) noexcept;
void set_log_level(LogLevel level) noexcept;
[[nodiscard]] inline bool log_enabled(LogLevel level) noexcept {
  return level <= detail::log_state().level;
}

template <class... Args>
void log(LogLevel level, fmt::format_string<Args...> f, Args&&... args) {
  if (!log_enabled(level)) return;
  detail::write_log_line(level, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void log_warn(fmt::format_string<Args...> f, Args&&... args) {
  log(LogLevel::warn, f, std::forward<Args>(args)...);
}
template <class... Args>
void log_info(fmt::format_string<Args...> f, Args&&... args) {
  log(LogLevel::info, f, std::forward<Args>(args)...);
}
template <class... Args>
void log_debug(fmt::format_string<Args...> f, Args&&... args) {
  log(LogLevel::debug, f, std::forward<Args>(args)...);
}

}  // namespace pando
