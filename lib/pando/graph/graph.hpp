#pragma once
// Graph: the tasks of a computation, built identically on every rank (SPMD).
//
// A graph is a DAG of immutable layers; a layer is the tasks one operation added (all blocks of
// an element-wise op, one delayed call). Collections hold graphs; combining two collections merges
// their layer sets, which costs O(layers on top), not O(tasks). Tasks refer to their inputs by
// key: a key may be defined in any layer of the merged graph, or be a persisted result.
//
//   std::vector<pando::Task> tasks = ...;      // low level: tasks with keys, like a Dask dict
//   pando::Graph g(std::move(tasks));
//   pando::Graph both = pando::Graph::merge({a.graph(), b.graph()});

#include <pando/graph/task.hpp>

#include <initializer_list>
#include <memory>
#include <vector>

namespace pando {

struct Layer {
  Layer() = default;
  Layer(const Layer&) = default;
  Layer(Layer&&) = default;
  Layer& operator=(const Layer&) = default;
  Layer& operator=(Layer&&) = default;
  // Iterative: the last handle on a chain of a million delayed calls releases a million layers,
  // too many for a destructor that recurses once per link.
  ~Layer();

  std::vector<Task> tasks;
  std::vector<std::shared_ptr<const Layer>> deps;
  // Kept alive as long as any graph built on this layer: persisted results (Runtime::pin).
  std::vector<std::shared_ptr<const void>> keep;
};

class Graph {
 public:
  Graph() = default;
  // A new layer holding `tasks`, on top of `deps`.
  explicit Graph(std::vector<Task> tasks, std::initializer_list<const Graph*> deps = {});
  Graph(std::vector<Task> tasks, std::span<const Graph* const> deps);

  // A graph of no tasks that keeps `pin` alive for every graph built on it: what a persisted
  // collection holds, so that whatever is computed from it keeps its results.
  [[nodiscard]] static Graph pinned(std::shared_ptr<const void> pin);

  [[nodiscard]] static Graph merge(std::initializer_list<const Graph*> graphs);
  [[nodiscard]] static Graph merge(std::span<const Graph* const> graphs);
  Graph& merge_in(const Graph& other);

  [[nodiscard]] bool empty() const noexcept { return tops_.empty(); }
  // Every layer once, dependencies before dependents, in an order that is the same on every rank.
  [[nodiscard]] std::vector<const Layer*> layers() const;
  // The number of tasks over all layers.
  [[nodiscard]] std::size_t size() const;

 private:
  std::vector<std::shared_ptr<const Layer>> tops_;
};

}  // namespace pando
