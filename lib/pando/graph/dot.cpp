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

// Where a value lives in a schedule's picture: a rank, every rank (a collective), or the store
// of persisted values.
constexpr int all_ranks = -1, persisted_values = -2;

int place_of(const TaskTable& table, const Schedule& s, std::uint32_t id) {
  if (table.persisted(id)) return persisted_values;
  const std::int32_t owner = s.owner[id];
  return owner == Schedule::all_participants ? all_ranks : owner;
}

std::string cluster_label(int place) {
  if (place == all_ranks) return "collective (its ranks together)";
  if (place == persisted_values) return "persisted";
  return fmt::format("rank {}", place);
}

}  // namespace

std::string to_dot(const TaskTable& table, const Schedule& schedule, const DotOptions& options) {
  // Tasks to draw: those the schedule runs, and the persisted values they read.
  std::vector<std::uint32_t> ids(schedule.order.begin(), schedule.order.end());
  for (std::uint32_t id = 0; id < table.size(); ++id)
    if (table.persisted(id)) ids.push_back(id);
  const bool per_task_nodes = schedule.order.size() <= options.max_tasks;
  // A node: a task, or an operation (key token) on one place.
  std::map<std::pair<std::string, int>, std::size_t> node_of;  // (name, place) -> node
  std::map<std::size_t, std::size_t> tasks_in;                 // node -> tasks
  std::vector<std::size_t> node(table.size(), 0);
  for (std::uint32_t id : ids) {
    const int place = place_of(table, schedule, id);
    const std::string name =
        per_task_nodes ? table.key(id).str() : std::string(table.key(id).token());
    auto [it, fresh] = node_of.emplace(std::pair{name, place}, node_of.size());
    node[id] = it->second;
    ++tasks_in[it->second];
  }
  std::map<int, std::string> clusters;
  for (const auto& [name_place, n] : node_of) {
    const auto& [name, place] = name_place;
    const std::string label =
        per_task_nodes || tasks_in[n] == 1 ? name : fmt::format("{}\n×{}", name, tasks_in[n]);
    const char* shape = place == persisted_values ? "cylinder"
                        : place == all_ranks      ? "doubleoctagon"
                                                  : "box";
    clusters[place] += fmt::format("    n{} [label={}, shape={}];\n", n, quoted(label), shape);
  }
  std::string s = header(options);
  for (const auto& [place, body] : clusters)
    s += fmt::format("  subgraph cluster_{} {{\n    label={};\n{}  }}\n",
                     place < 0 ? fmt::format("m{}", -place) : std::to_string(place),
                     quoted(cluster_label(place)), body);
  std::map<std::pair<std::size_t, std::size_t>, std::pair<std::size_t, bool>> edges;
  for (std::uint32_t id : schedule.order)
    for (std::uint32_t in : table.inputs(id)) {
      auto& [count, moves] = edges[{node[in], node[id]}];
      ++count;
      moves = moves || place_of(table, schedule, in) != place_of(table, schedule, id);
    }
  for (const auto& [edge, what] : edges) {
    const auto& [count, moves] = what;
    std::string style = moves ? "color=red, penwidth=2" : "";
    if (!per_task_nodes && count > 1)
      style += fmt::format("{}label=\"{}\"", style.empty() ? "" : ", ", count);
    s += fmt::format("  n{} -> n{}{};\n", edge.first, edge.second,
                     style.empty() ? "" : " [" + style + "]");
  }
  return s + "}\n";
}

std::string to_dot(const Graph& graph, const DotOptions& options) {
  auto layers = graph.layers();
  std::size_t n = 0;
  for (const Layer* l : layers) n += l->tasks.size();
  return n <= options.max_tasks ? per_task(layers, options) : per_operation(layers, options);
}

}  // namespace pando
