#include <pando/graph/graph.hpp>

#include <algorithm>
#include <unordered_set>

namespace pando {

std::string_view kind_of_token(std::string_view token) noexcept {
  auto dash = token.rfind('-');
  if (dash == std::string_view::npos || dash + 1 == token.size()) return token;
  auto tail = token.substr(dash + 1);
  bool hex = std::all_of(tail.begin(), tail.end(),
                         [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
  return hex ? token.substr(0, dash) : token;
}

std::string_view Task::kind() const noexcept { return kind_of_token(key.token()); }

bool CollectiveStep::includes(int rank) const {
  return participants.empty() || std::binary_search(participants.begin(), participants.end(), rank);
}

Layer::~Layer() {
  // The layers that die with this one are the dependencies no one else holds: they move onto an
  // explicit stack, and each is stripped of its own such dependencies before it is released, so
  // no destructor below this one has a dependency left to release. Shared dependencies only lose
  // a reference here (their last holder releases them the same way). use_count() == 1 cannot
  // mislead: then this is the only reference, and nothing (no weak_ptr either) can copy it.
  std::vector<std::shared_ptr<const Layer>> dying;
  auto take_unique = [&dying](std::vector<std::shared_ptr<const Layer>>& from) {
    for (auto& d : from)
      if (d.use_count() == 1) dying.push_back(std::move(d));
    from.clear();
  };
  take_unique(deps);
  while (!dying.empty()) {
    std::shared_ptr<const Layer> layer = std::move(dying.back());
    dying.pop_back();
    // Never a const object: every Layer is made by std::make_shared<Layer>() and only the
    // pointers to it are const.
    take_unique(const_cast<Layer&>(*layer).deps);
  }  // `layer` dies here, its dependencies already taken
}

Graph::Graph(std::vector<Task> tasks, std::initializer_list<const Graph*> deps)
    : Graph(std::move(tasks), std::span<const Graph* const>(deps.begin(), deps.size())) {}

Graph::Graph(std::vector<Task> tasks, std::span<const Graph* const> deps) {
  auto layer = std::make_shared<Layer>();
  layer->tasks = std::move(tasks);
  for (const Graph* g : deps)
    for (const auto& top : g->tops_)
      if (std::find(layer->deps.begin(), layer->deps.end(), top) == layer->deps.end())
        layer->deps.push_back(top);
  tops_.push_back(std::move(layer));
}

Graph Graph::pinned(std::shared_ptr<const void> pin) {
  Graph g;
  auto layer = std::make_shared<Layer>();
  layer->keep.push_back(std::move(pin));
  g.tops_.push_back(std::move(layer));
  return g;
}

Graph Graph::merge(std::initializer_list<const Graph*> graphs) {
  return merge(std::span<const Graph* const>(graphs.begin(), graphs.size()));
}

Graph Graph::merge(std::span<const Graph* const> graphs) {
  Graph out;
  for (const Graph* g : graphs) out.merge_in(*g);
  return out;
}

Graph& Graph::merge_in(const Graph& other) {
  for (const auto& top : other.tops_)
    if (std::find(tops_.begin(), tops_.end(), top) == tops_.end()) tops_.push_back(top);
  return *this;
}

std::vector<const Layer*> Graph::layers() const {
  // Iterative depth-first post-order: a graph of a million delayed calls is a million layers
  // deep, too deep for recursion.
  std::vector<const Layer*> order;
  std::unordered_set<const Layer*> seen;
  struct Frame {
    const Layer* layer;
    std::size_t next_dep;
  };
  std::vector<Frame> stack;
  for (const auto& top : tops_) {
    if (!seen.insert(top.get()).second) continue;
    stack.push_back({top.get(), 0});
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next_dep < f.layer->deps.size()) {
        const Layer* d = f.layer->deps[f.next_dep++].get();
        if (seen.insert(d).second) stack.push_back({d, 0});
        continue;
      }
      order.push_back(f.layer);
      stack.pop_back();
    }
  }
  return order;
}

std::size_t Graph::size() const {
  std::size_t n = 0;
  for (const Layer* l : layers()) n += l->tasks.size();
  return n;
}

}  // namespace pando
