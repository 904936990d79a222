#include <pando/graph/task_table.hpp>

#include <pando/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace pando {

namespace {

constexpr std::uint32_t unvisited = 0xffffffffu;
constexpr std::uint32_t on_path = 0xfffffffeu;

bool same_definition(const Task& a, const Task& b) {
  return a.inputs == b.inputs && a.is_collective() == b.is_collective() &&
         a.participants == b.participants;
}

// Every task of every layer, by key. A key defined twice must be defined the same way (the
// same operation on the same inputs, as when two collections share a parent); the first
// definition is used.
std::unordered_map<Key, const Task*> index_tasks(const Graph& graph) {
  auto layers = graph.layers();
  std::size_t n = 0;
  for (const Layer* l : layers) n += l->tasks.size();
  std::unordered_map<Key, const Task*> defs;
  defs.reserve(n);
  for (const Layer* l : layers) {
    for (const Task& t : l->tasks) {
      if (t.key.empty()) throw GraphError("a task without a key: every task needs one");
      if (!t.fn && !t.collective)
        throw GraphError(fmt::format("task '{}' has no function to run", t.key.str()));
      auto [it, fresh] = defs.emplace(t.key, &t);
      if (!fresh && !same_definition(*it->second, t))
        throw GraphError(fmt::format(
            "two different tasks share the key '{}' (their inputs differ); keys must name one "
            "computation",
            t.key.str()));
    }
  }
  return defs;
}

std::string cycle_text(const std::vector<const Key*>& path, const Key& back_to) {
  auto from = std::find_if(path.begin(), path.end(), [&](const Key* k) { return *k == back_to; });
  std::string text;
  for (auto it = from; it != path.end(); ++it) text += (*it)->str() + " -> ";
  return text + back_to.str();
}

}  // namespace

TaskTable::TaskTable(const Graph& graph, std::span<const Key> outputs,
                     const PersistedMap& persisted) {
  const auto defs = index_tasks(graph);

  // State per key reached: unvisited / on the current path / its id once done.
  std::unordered_map<Key, std::uint32_t> state;
  state.reserve(defs.size());
  auto definition = [&](const Key& k) -> const Task* {
    // A persisted value is used as it is, even where a task could recompute it.
    if (persisted.count(k)) return nullptr;
    auto it = defs.find(k);
    return it == defs.end() ? nullptr : it->second;
  };

  struct Frame {
    const Key* key;
    const Task* task;
    std::size_t next_input;
  };
  std::vector<Frame> stack;
  std::vector<const Key*> path;  // keys on the stack, for cycle messages

  auto finish = [&](const Key& k, const Task* t) {
    auto id = static_cast<std::uint32_t>(keys_.size());
    keys_.push_back(k);
    tasks_.push_back(t);
    state[k] = id;
  };

  for (const Key& out : outputs) {
    if (state.count(out)) continue;
    const Task* t = definition(out);
    if (!t && !persisted.count(out))
      throw GraphError(
          fmt::format("cannot compute '{}': no task in the graph makes it", out.str()));
    state[out] = on_path;
    stack.push_back({&out, t, 0});
    path.push_back(&out);
    // Iterative: chains of a million delayed calls are too deep for recursion.
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.task && f.next_input < f.task->inputs.size()) {
        const Key& in = f.task->inputs[f.next_input++];
        auto [it, fresh] = state.try_emplace(in, unvisited);
        if (!fresh && it->second == on_path)
          throw GraphError(fmt::format("the graph has a cycle: {}", cycle_text(path, in)));
        if (!fresh) continue;  // done already
        const Task* dt = definition(in);
        if (!dt && !persisted.count(in))
          throw GraphError(fmt::format(
              "task '{}' needs '{}', which no task in the graph makes (and which is not persisted)",
              f.key->str(), in.str()));
        it->second = on_path;
        stack.push_back({&it->first, dt, 0});
        path.push_back(&it->first);
        continue;
      }
      finish(*f.key, f.task);
      stack.pop_back();
      path.pop_back();
    }
  }

  // Inputs as ids, and the fingerprint.
  const auto n = keys_.size();
  input_begin_.assign(n + 1, 0);
  prefix_hash_.assign(n + 1, 0);
  std::uint64_t h = 0x5eed;
  for (std::size_t id = 0; id < n; ++id) {
    input_begin_[id] = static_cast<std::uint32_t>(inputs_.size());
    h = hash_combine(h, keys_[id].hash());
    if (const Task* t = tasks_[id]) {
      h = hash_combine(h, t->inputs.size() * 2 + (t->is_collective() ? 1 : 0));
      for (const Key& in : t->inputs) {
        auto in_id = state.at(in);
        inputs_.push_back(in_id);
        h = hash_combine(h, in_id);
      }
    }
    prefix_hash_[id + 1] = h;
  }
  input_begin_[n] = static_cast<std::uint32_t>(inputs_.size());
  outputs_.reserve(outputs.size());
  for (const Key& out : outputs) outputs_.push_back(state.at(out));
  ids_ = std::move(state);
}

std::uint32_t TaskTable::id_of(const Key& key) const {
  auto it = ids_.find(key);
  if (it == ids_.end() || it->second >= size())
    throw GraphError(fmt::format("'{}' is not part of this computation", key.str()));
  return it->second;
}

}  // namespace pando
