#include <pando/diag/report.hpp>

#include <pando/core/error.hpp>
#include <pando/core/json.hpp>
#include <pando/io/atomic.hpp>

#include <fmt/format.h>

#include <filesystem>
#include <utility>
#include <vector>
#include <iterator>
#include <system_error>

namespace pando::diag {

namespace detail {
extern const std::string_view report_page;  // page/report.html, embedded by CMake
}

namespace {

// The page with its two blanks filled. JSON may hold "</script>" inside a string: every '<' is
// written as \u003c, which JSON reads back as the same character.
std::string fill_page(std::string_view config, std::string_view json) {
  std::string page(detail::report_page);
  auto fill = [&](std::string_view blank, std::string_view with, bool guard) {
    const std::size_t at = page.find(blank);
    if (at == std::string::npos)
      throw InternalError(fmt::format("report page: no {} in it", blank));
    std::string text;
    text.reserve(with.size());
    for (const char c : with)
      if (guard && c == '<')
        text += "\\u003c";
      else
        text += c;
    page.replace(at, blank.size(), text);
  };
  fill("@PANDO_CONFIG@", config, true);
  fill("@PANDO_DATA@", json, true);
  return page;
}

// A CSV field: quoted when it holds a separator, a quote or a line break.
void csv_field(std::string& out, std::string_view s) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) {
    out += s;
    return;
  }
  out += '"';
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

std::string tasks_csv(const Trace& t) {
  std::string out = "computation,rank,task,operation,key,start,end,tasks,collective,failed\n";
  for (const TaskSpan& s : t.tasks) {
    fmt::format_to(std::back_inserter(out), "{},{},{},", s.computation, s.rank, s.id);
    csv_field(out, t.kinds.at(s.kind));
    out += ',';
    csv_field(out, key_text(t, s.computation, s.id));
    fmt::format_to(std::back_inserter(out), ",{:.6f},{:.6f},{},{},{}\n", s.start, s.end, s.tasks,
                   int{s.collective}, int{s.failed});
  }
  return out;
}

std::string transfers_csv(const Trace& t) {
  std::string out = "computation,value,from,to,bytes,sent,received\n";
  auto when = [](double s) { return s < 0 ? std::string() : fmt::format("{:.6f}", s); };
  for (const TransferSpan& x : t.transfers)
    fmt::format_to(std::back_inserter(out), "{},{},{},{},{},{},{}\n", x.computation, x.value,
                   x.from, x.to, x.bytes, when(x.sent), when(x.received));
  return out;
}

std::string memory_csv(const Trace& t) {
  std::string out = "rank,at,bytes\n";
  for (const MemorySample& m : t.memory)
    fmt::format_to(std::back_inserter(out), "{},{:.6f},{}\n", m.rank, m.at, m.bytes);
  return out;
}

std::string computations_csv(const Trace& t) {
  std::string out = "computation,tasks,start,end\n";
  for (const ComputationSpan& c : t.computations)
    fmt::format_to(std::back_inserter(out), "{},{},{:.6f},{:.6f}\n", c.number, c.tasks, c.start,
                   c.end);
  return out;
}

std::string critical_csv(const Trace& t) {
  std::string out = "computation,task,operation,rank,start,seconds,key\n";
  for (const CriticalStep& c : t.critical) {
    fmt::format_to(std::back_inserter(out), "{},{},", c.computation, c.id);
    csv_field(out, t.kinds.at(c.kind));
    fmt::format_to(std::back_inserter(out), ",{},{:.6f},{:.6f},", c.rank, c.start, c.seconds);
    csv_field(out, c.key);
    out += '\n';
  }
  return out;
}

}  // namespace

std::string report_page(std::string_view json) {
  return fill_page(R"({"live":false,"token":""})", json);
}

std::string dashboard_page(std::string_view token) {
  return fill_page(fmt::format(R"({{"live":true,"token":{}}})", json_quote(token)), "null");
}

void add_report(io::AtomicFileSet& out, const std::string& path, std::string_view json) {
  out.add(path, report_page(json));
}

void add_report_data(io::AtomicFileSet& out, const std::string& dir, const Trace& trace,
                     std::string_view json) {
  out.make_directory(dir);
  const std::filesystem::path d(dir);
  out.add((d / "report.json").string(), json);
  out.add((d / "tasks.csv").string(), tasks_csv(trace));
  out.add((d / "transfers.csv").string(), transfers_csv(trace));
  out.add((d / "memory.csv").string(), memory_csv(trace));
  out.add((d / "computations.csv").string(), computations_csv(trace));
  out.add((d / "critical_path.csv").string(), critical_csv(trace));
}

}  // namespace pando::diag
