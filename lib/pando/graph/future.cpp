#include <pando/graph/future.hpp>

namespace pando::detail {

void throw_failure(const TaskFailure& f) {
  throw TaskError(f.key, f.rank, f.error.kind, f.error.message);
}

void FutureBatch::flush() {
  if (pending_.empty()) return;
  // Take the batch first: tasks may submit nothing, but a failure must not leave it half done.
  auto batch = std::move(pending_);
  pending_.clear();
  std::vector<Key> keys;
  std::vector<const Graph*> graphs;
  for (const auto& f : batch) {
    keys.push_back(f->key);
    graphs.push_back(&f->graph);
  }
  auto& runtime = Runtime::current();
  std::vector<Value> values;
  try {
    values = runtime.run(Graph::merge(std::span<const Graph* const>(graphs)), keys,
                         Delivery::everywhere);
  } catch (const std::exception& e) {
    // The batch could not run (a bad graph: every rank throws alike). Its futures fail with
    // that error, now and at every later result().
    for (auto& f : batch) {
      f->failure = TaskFailure{ErrorRecord::of(e), f->key.str(), SessionBase::current().rank(), 0};
      f->done = true;
      f->graph = Graph();
    }
    throw;
  }
  const auto& positions = runtime.last_output_positions();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto& f = *batch[i];
    if (values[i].is_failure())
      f.failure = values[i].failure();
    else
      f.set(values[i]);
    f.position = positions[i];
    f.done = true;
    f.graph = Graph();
  }
}

}  // namespace pando::detail
