#include <pando/diag/trace.hpp>

#include <algorithm>

namespace pando::diag {

namespace {
// A key longer than this is cut (the trace stays readable).
constexpr std::size_t max_key_chars = 160;
}  // namespace

std::ptrdiff_t computation_index(const Trace& trace, std::uint32_t number) {
  const auto& c = trace.computations;
  const auto it =
      std::lower_bound(c.begin(), c.end(), number,
                       [](const ComputationSpan& x, std::uint32_t n) { return x.number < n; });
  return it != c.end() && it->number == number ? it - c.begin() : -1;
}

std::string key_text(const Trace& trace, std::uint32_t computation, std::uint32_t id) {
  const std::ptrdiff_t i = computation_index(trace, computation);
  if (i < 0 || static_cast<std::size_t>(i) >= trace.keys.size()) return {};
  const Records<Key>& keys = trace.keys[static_cast<std::size_t>(i)];
  if (id >= keys.size()) return {};
  std::string text = keys[id].str();
  if (text.size() > max_key_chars) text = text.substr(0, max_key_chars) + "...";
  return text;
}

}  // namespace pando::diag
