#include <pando/graph/dot.hpp>

#include <fmt/format.h>

#include <map>
#include <unordered_map>

namespace pando {

namespace {

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string header(const DotOptions& o) {
  std::string s = "digraph pando {\n  rankdir=BT;\n  node [fontname=\"Helvetica\", fontsize=10];\n";
  if (!o.title.empty()) s += fmt::format("  label={};\n  labelloc=t;\n", quoted(o.title));
  return s;
}

std::string per_task(const std::vector<const Layer*>& layers, const DotOptions& o) {
  std::string s = header(o);
  std::unordered_map<Key, std::size_t> id;
  for (const Layer* l : layers)
    for (const Task& t : l->tasks) {
      if (!id.emplace(t.key, id.size()).second) continue;
      s += fmt::format("  t{} [label={}, shape={}];\n", id[t.key], quoted(t.key.str()),
                       t.is_collective() ? "doubleoctagon" : "box");
    }
  for (const Layer* l : layers)
    for (const Task& t : l->tasks)
      for (const Key& in : t.inputs) {
        auto it = id.find(in);
        // An input made by no task here is a persisted value: draw it as data.
        if (it == id.end()) {
          it = id.emplace(in, id.size()).first;
          s += fmt::format("  t{} [label={}, shape=cylinder];\n", it->second, quoted(in.str()));
        }
        s += fmt::format("  t{} -> t{};\n", it->second, id[t.key]);
      }
  return s + "}\n";
}

std::string per_operation(const std::vector<const Layer*>& layers, const DotOptions& o) {
  std::map<std::string, std::size_t> count;  // token -> tasks
  std::map<std::pair<std::string, std::string>, std::size_t> edges;
  std::unordered_map<Key, std::string> token_of;
  for (const Layer* l : layers)
    for (const Task& t : l->tasks) {
      token_of.emplace(t.key, std::string(t.key.token()));
      ++count[std::string(t.key.token())];
    }
  for (const Layer* l : layers)
    for (const Task& t : l->tasks)
      for (const Key& in : t.inputs) ++edges[{std::string(in.token()), std::string(t.key.token())}];
  std::string s = header(o);
  std::map<std::string, std::size_t> id;
  auto node = [&](const std::string& token) {
    auto [it, fresh] = id.emplace(token, id.size());
    if (fresh) {
      auto c = count.find(token);
      std::string label =
          c == count.end() ? token + "\n(persisted)" : fmt::format("{}\n×{}", token, c->second);
      s += fmt::format("  g{} [label={}, shape={}];\n", it->second, quoted(label),
                       c == count.end() ? "cylinder" : "box3d");
    }
    return it->second;
  };
  for (auto& [token, n] : count) node(token);
  for (auto& [edge, n] : edges) {
    auto a = node(edge.first), b = node(edge.second);
    s += fmt::format("  g{} -> g{} [label=\"{}\"];\n", a, b, n);
  }
  return s + "}\n";
}

}  // namespace

std::string to_dot(const Graph& graph, const DotOptions& options) {
  auto layers = graph.layers();
  std::size_t n = 0;
  for (const Layer* l : layers) n += l->tasks.size();
  return n <= options.max_tasks ? per_task(layers, options) : per_operation(layers, options);
}

}  // namespace pando
