#include <pando/diag/options.hpp>

#include <pando/core/error.hpp>

#include <fmt/format.h>

#include <cstdlib>

namespace pando::diag {

ProgressMode parse_progress_mode(const std::string& text, const std::string& what) {
  if (text == "auto") return ProgressMode::automatic;
  if (text == "on" || text == "1" || text == "yes" || text == "true") return ProgressMode::on;
  if (text == "off" || text == "0" || text == "no" || text == "false") return ProgressMode::off;
  throw UsageError(fmt::format("{}: '{}' is not a progress mode (auto, on or off)", what, text));
}

DiagOptions DiagOptions::from_env() {
  DiagOptions o;
  if (const char* p = std::getenv("PANDO_PROGRESS"); p && *p)
    o.progress = parse_progress_mode(p, "PANDO_PROGRESS");
  if (const char* t = std::getenv("PANDO_TRACE")) o.trace = t;
  if (const char* g = std::getenv("PANDO_GRAPH")) o.graph = g;
  if (const char* r = std::getenv("PANDO_REPORT")) o.report = r;
  if (const char* d = std::getenv("PANDO_REPORT_DATA")) o.report_data = d;
  if (const char* d = std::getenv("PANDO_DASHBOARD")) o.dashboard = d;
  return o;
}

}  // namespace pando::diag
