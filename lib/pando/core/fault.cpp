#include <pando/core/fault.hpp>

#include <pando/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace pando::fault {

namespace {

struct Armed {
  Point point;
  int rank;
  std::uint64_t pass;  // 1-based
};

struct State {
  std::vector<Armed> armed;
  std::array<std::uint64_t, all_points.size()> passes{};
  int rank = 0;
  std::string trace;      // PANDO_FAULT_TRACE: where each rank writes its counts at exit
  std::string malformed;  // PANDO_FAULT's error, thrown when the session starts (not before main)

  State() {
    if (const char* spec = std::getenv("PANDO_FAULT"); spec && *spec) {
      try {
        armed = parse(spec);
      } catch (const UsageError& e) {
        malformed = e.what();
      }
    }
    if (const char* t = std::getenv("PANDO_FAULT_TRACE"); t && *t) trace = t;
    detail::active = !armed.empty() || !trace.empty();
  }
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() {
    if (trace.empty()) return;
    const std::string path = fmt::format("{}.{}", trace, rank);
    if (std::FILE* f = std::fopen(path.c_str(), "w")) {
      for (Point p : all_points)
        if (passes[static_cast<std::size_t>(p)])
          std::fprintf(f, "%s %llu\n", std::string(name(p)).c_str(),
                       static_cast<unsigned long long>(passes[static_cast<std::size_t>(p)]));
      std::fclose(f);
    }
  }

  static std::vector<Armed> parse(std::string_view spec);
};

std::optional<Point> point_named(std::string_view text) {
  for (Point p : all_points)
    if (name(p) == text) return p;
  return std::nullopt;
}

template <class T>
bool number(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

std::vector<Armed> State::parse(std::string_view spec) {
  std::vector<Armed> out;
  while (!spec.empty()) {
    const auto comma = spec.find(',');
    const std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    const auto c1 = item.find(':');
    const auto c2 = c1 == std::string_view::npos ? c1 : item.find(':', c1 + 1);
    Armed a{};
    const auto p = point_named(item.substr(0, c1));
    if (c2 == std::string_view::npos || !p || !number(item.substr(c1 + 1, c2 - c1 - 1), a.rank) ||
        !number(item.substr(c2 + 1), a.pass) || a.pass == 0) {
      std::string names;
      for (Point q : all_points) names += fmt::format("{}{}", names.empty() ? "" : " ", name(q));
      throw UsageError(fmt::format(
          "PANDO_FAULT: '{}' is not POINT:RANK:PASS (e.g. write:1:2); points: {}", item, names));
    }
    a.point = *p;
    out.push_back(a);
  }
  return out;
}

State& state() {
  static State s;
  return s;
}

// Made before main: PANDO_FAULT applies from the first operation on.
[[maybe_unused]] const bool initialized = (state(), true);

[[noreturn]] void fail(Point p, std::uint64_t pass, int rank) {
  const std::string what =
      fmt::format("injected fault: {} #{} on rank {} (PANDO_FAULT)", name(p), pass, rank);
  switch (p) {
    case Point::read:
    case Point::write:
    case Point::rename:
      throw IoError(what);
    case Point::alloc:
      throw MemoryError(what);
    case Point::send:
    case Point::receive:
    case Point::task:
    case Point::collective:
    case Point::agree:
    case Point::exchange:
    case Point::lose_row:
      break;
  }
  throw Error(what);
}

// Counts a pass through `p`; true when PANDO_FAULT names this pass on this rank.
bool armed_now(Point p) {
  State& s = state();
  const std::uint64_t pass = ++s.passes[static_cast<std::size_t>(p)];
  return std::any_of(s.armed.begin(), s.armed.end(), [&](const Armed& a) {
    return a.point == p && a.rank == s.rank && a.pass == pass;
  });
}

}  // namespace

namespace detail {
bool active = false;

void hit(Point p) {
  if (armed_now(p)) fail(p, passes(p), state().rank);
}
}  // namespace detail

bool strikes(Point p) { return detail::active && armed_now(p); }

std::string_view name(Point p) noexcept {
  switch (p) {
    case Point::task:
      return "task";
    case Point::collective:
      return "collective";
    case Point::agree:
      return "agree";
    case Point::send:
      return "send";
    case Point::receive:
      return "receive";
    case Point::read:
      return "read";
    case Point::write:
      return "write";
    case Point::rename:
      return "rename";
    case Point::alloc:
      return "alloc";
    case Point::exchange:
      return "exchange";
    case Point::lose_row:
      return "lose_row";
  }
  return "?";
}

void arm(std::string_view spec) {
  State& s = state();
  s.armed = State::parse(spec);
  s.passes.fill(0);
  detail::active = true;
}

void disarm() {
  State& s = state();
  s.armed.clear();
  detail::active = !s.trace.empty();
}

std::uint64_t passes(Point p) noexcept { return state().passes[static_cast<std::size_t>(p)]; }

void set_rank(int rank) {
  State& s = state();
  s.rank = rank;
  if (!s.malformed.empty()) throw UsageError(s.malformed);
}

}  // namespace pando::fault
