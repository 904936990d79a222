#include <pando/graph/task_table.hpp>

#include <pando/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <bit>

namespace pando {

namespace {

constexpr std::uint32_t missing = 0xffffffffu;  // an input no task makes
constexpr std::uint32_t unvisited = 0xffffffffu;
constexpr std::uint32_t on_path = 0xfffffffeu;

bool same_definition(const Task& a, const Task& b) {
  if (a.inputs != b.inputs || a.is_collective() != b.is_collective()) return false;
  return !a.is_collective() || a.collective->participants == b.collective->participants;
}

std::string cycle_text(const std::vector<const Key*>& path, const Key& back_to) {
  auto from = std::find_if(path.begin(), path.end(), [&](const Key* k) { return *k == back_to; });
  std::string text;
  for (auto it = from; it != path.end(); ++it) text += (*it)->str() + " -> ";
  return text + back_to.str();
}

}  // namespace

// Open addressing from keys to slots. An entry packs 32 bits of the key's hash with the slot
// number: one 8-byte word per entry, so a table of millions of keys stays small and a probe
// compares keys only when their hashes agree.
class TaskTable::SlotIndex {
 public:
  explicit SlotIndex(std::size_t expected) { resize(std::bit_ceil(expected * 2 + 16)); }

  template <class KeyOf>
  [[nodiscard]] std::uint32_t find(const Key& k, KeyOf&& key_of) const {
    const std::uint64_t h = k.hash();
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const std::uint64_t e = entries_[i];
      if (e == empty) return missing;
      if ((e >> 32) == (h >> 32) && key_of(static_cast<std::uint32_t>(e)) == k)
        return static_cast<std::uint32_t>(e);
    }
  }

  // Adds `slot` for `k` unless `k` is there; returns the slot that holds `k`.
  template <class KeyOf>
  std::uint32_t insert(const Key& k, std::uint32_t slot, KeyOf&& key_of) {
    if (++count_ * 10 > entries_.size() * 7) grow(key_of);
    const std::uint64_t h = k.hash();
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const std::uint64_t e = entries_[i];
      if (e == empty) {
        entries_[i] = (h & 0xffffffff00000000ull) | slot;
        return slot;
      }
      if ((e >> 32) == (h >> 32) && key_of(static_cast<std::uint32_t>(e)) == k) {
        --count_;
        return static_cast<std::uint32_t>(e);
      }
    }
  }

 private:
  static constexpr std::uint64_t empty = ~0ull;

  void resize(std::size_t capacity) {
    entries_.assign(capacity, empty);
    mask_ = capacity - 1;
  }

  template <class KeyOf>
  void grow(KeyOf&& key_of) {
    auto old = std::move(entries_);
    resize(old.size() * 2);
    for (auto e : old) {
      if (e == empty) continue;
      const std::uint64_t h = key_of(static_cast<std::uint32_t>(e)).hash();
      std::size_t i = h & mask_;
      while (entries_[i] != empty) i = (i + 1) & mask_;
      entries_[i] = e;
    }
  }

  std::vector<std::uint64_t> entries_;
  std::size_t mask_ = 0;
  std::size_t count_ = 0;
};

TaskTable::~TaskTable() = default;

TaskTable::TaskTable(const Graph& graph, std::span<const Key> outputs,
                     const PersistedMap& persisted) {
  // 1. One slot per distinct key defined by a task. A key defined twice must be defined the
  //    same way (the same operation on the same inputs, as when two collections share a parent).
  const auto layers = graph.layers();
  std::size_t total = 0;
  for (const Layer* l : layers) total += l->tasks.size();
  std::vector<const Task*> slot_task;
  std::vector<const Key*> slot_key;
  slot_task.reserve(total);
  slot_key.reserve(total);
  auto key_of = [&](std::uint32_t slot) -> const Key& { return *slot_key[slot]; };
  index_ = std::make_unique<SlotIndex>(total);
  for (const Layer* l : layers)
    for (const Task& t : l->tasks) {
      if (t.key.empty()) throw GraphError("a task without a key: every task needs one");
      if (!t.fn && !t.collective)
        throw GraphError(fmt::format("task '{}' has no function to run", t.key.str()));
      const auto slot = static_cast<std::uint32_t>(slot_task.size());
      slot_task.push_back(&t);
      slot_key.push_back(&t.key);
      const auto found = index_->insert(t.key, slot, key_of);
      if (found == slot) continue;
      slot_task.pop_back();
      slot_key.pop_back();
      if (!same_definition(*slot_task[found], t))
        throw GraphError(fmt::format(
            "two different tasks share the key '{}' (their inputs differ); keys must name one "
            "computation",
            t.key.str()));
    }
  const auto task_slots = static_cast<std::uint32_t>(slot_task.size());

  // A persisted value is used as it is, even where a task could recompute it; persisted keys
  // that no task defines get slots of their own.
  auto persisted_slot = [&](const Key& k) -> std::uint32_t {
    auto it = persisted.find(k);
    if (it == persisted.end()) return missing;
    const auto slot = static_cast<std::uint32_t>(slot_task.size());
    slot_task.push_back(nullptr);
    slot_key.push_back(&it->first);
    return index_->insert(it->first, slot, key_of);
  };
  if (!persisted.empty())
    for (std::uint32_t s = 0; s < task_slots; ++s)
      if (persisted.count(*slot_key[s])) slot_task[s] = nullptr;

  // 2. Inputs as slots, for every task (one lookup per edge).
  std::vector<std::uint32_t> in_begin(task_slots + 1, 0), in_slots;
  in_slots.reserve(total * 2);
  for (std::uint32_t s = 0; s < task_slots; ++s) {
    in_begin[s] = static_cast<std::uint32_t>(in_slots.size());
    if (!slot_task[s]) continue;
    for (const Key& in : slot_task[s]->inputs) {
      auto found = index_->find(in, key_of);
      in_slots.push_back(found != missing ? found : persisted_slot(in));
    }
  }
  in_begin[task_slots] = static_cast<std::uint32_t>(in_slots.size());
  auto inputs_of = [&](std::uint32_t s) {
    return s < task_slots && slot_task[s]
               ? std::span<const std::uint32_t>(in_slots.data() + in_begin[s],
                                                in_begin[s + 1] - in_begin[s])
               : std::span<const std::uint32_t>();
  };

  // 3. Depth-first from the outputs: culls, checks, and numbers the tasks in post-order.
  //    Iterative: chains of a million delayed calls are too deep for recursion.
  std::vector<std::uint32_t> output_slots;
  for (const Key& out : outputs) {
    auto s = index_->find(out, key_of);
    if (s == missing) s = persisted_slot(out);
    if (s == missing)
      throw GraphError(
          fmt::format("cannot compute '{}': no task in the graph makes it", out.str()));
    output_slots.push_back(s);
  }
  slot_id_.assign(slot_task.size(), unvisited);
  struct Frame {
    std::uint32_t slot;
    std::uint32_t next;
  };
  std::vector<Frame> stack;
  std::vector<const Key*> path;  // keys on the stack, for cycle messages
  for (auto root : output_slots) {
    if (slot_id_[root] != unvisited) continue;
    slot_id_[root] = on_path;
    stack.push_back({root, 0});
    path.push_back(slot_key[root]);
    while (!stack.empty()) {
      Frame& f = stack.back();
      auto in = inputs_of(f.slot);
      if (f.next < in.size()) {
        const std::uint32_t j = f.next++;
        const std::uint32_t s = in[j];
        if (s == missing)
          throw GraphError(fmt::format(
              "task '{}' needs '{}', which no task in the graph makes (and which is not persisted)",
              slot_key[f.slot]->str(), slot_task[f.slot]->inputs[j].str()));
        if (slot_id_[s] == on_path)
          throw GraphError(
              fmt::format("the graph has a cycle: {}", cycle_text(path, *slot_key[s])));
        if (slot_id_[s] != unvisited) continue;
        slot_id_[s] = on_path;
        stack.push_back({s, 0});
        path.push_back(slot_key[s]);
        continue;
      }
      slot_id_[f.slot] = static_cast<std::uint32_t>(keys_.size());
      keys_.push_back(slot_key[f.slot]);
      tasks_.push_back(slot_task[f.slot]);
      slots_.push_back(f.slot);
      stack.pop_back();
      path.pop_back();
    }
  }

  // 4. Inputs as ids, and the fingerprint.
  const auto n = keys_.size();
  input_begin_.assign(n + 1, 0);
  prefix_hash_.assign(n + 1, 0);
  std::uint64_t h = 0x5eed;
  for (std::size_t id = 0; id < n; ++id) {
    input_begin_[id] = static_cast<std::uint32_t>(inputs_.size());
    h = hash_combine(h, keys_[id]->hash());
    auto in = inputs_of(slots_[id]);
    h = hash_combine(h, in.size());
    // What decides who runs a task is part of the graph: ranks that disagree on it would derive
    // different plans (or split communicators differently) and wait on each other.
    if (const Task* t = tasks_[id]) {
      h = hash_combine(h, static_cast<std::uint64_t>(t->placement.kind) << 32 |
                              static_cast<std::uint32_t>(t->placement.value));
      if (t->is_collective()) {
        h = hash_combine(h, 0xc011ec7 + static_cast<std::uint64_t>(t->collective->output));
        for (int r : t->collective->participants)
          h = hash_combine(h, static_cast<std::uint64_t>(r));
      }
    }
    for (auto s : in) {
      inputs_.push_back(slot_id_[s]);
      h = hash_combine(h, slot_id_[s]);
    }
    prefix_hash_[id + 1] = h;
  }
  input_begin_[n] = static_cast<std::uint32_t>(inputs_.size());
  outputs_.reserve(output_slots.size());
  for (auto s : output_slots) outputs_.push_back(slot_id_[s]);
  slot_key_ = std::move(slot_key);
}

std::uint32_t TaskTable::id_of(const Key& key) const {
  auto slot = index_->find(key, [&](std::uint32_t s) -> const Key& { return *slot_key_[s]; });
  if (slot == missing || slot_id_[slot] >= size())
    throw GraphError(fmt::format("'{}' is not part of this computation", key.str()));
  return slot_id_[slot];
}

}  // namespace pando
