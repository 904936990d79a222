#pragma once
// Graphviz pictures of task graphs: `dot -Tsvg graph.dot -o graph.svg`.
//
// A small graph shows one node per task. A large one (more than `max_tasks`) shows one node per
// operation ("sum ×1024", all blocks of one token together) with edges between operations
// labelled by how many task edges they stand for: readable for thousands of tasks.

#include <pando/graph/graph.hpp>
#include <pando/graph/schedule.hpp>
#include <pando/graph/task_table.hpp>

#include <string>

namespace pando {

struct DotOptions {
  std::size_t max_tasks = 300;
  std::string title;
};

[[nodiscard]] std::string to_dot(const Graph& graph, const DotOptions& options = {});

// A planned computation: each rank's tasks in a cluster of its own (collective tasks in one for
// all ranks), an edge from each task to the tasks that read its value, drawn red and bold when
// the value moves between ranks. A large one shows one node per operation and rank.
[[nodiscard]] std::string to_dot(const TaskTable& table, const Schedule& schedule,
                                 const DotOptions& options = {});

}  // namespace pando
