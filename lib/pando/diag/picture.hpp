#pragma once
// Pictures of task graphs and schedules, drawn by Graphviz's `dot` (Debian's graphviz).
//
//   pando::diag::visualize(df.graph(), "groupby.svg");   // what a collection would compute
//   PANDO_GRAPH=run.svg mpirun -n 4 ./my_program         // each computation's schedule
//
// The --graph option of every app (PANDO_GRAPH for a program) draws each computation as it is
// about to run, its ranks as clusters and the values that move between them in red: the first
// computation to FILE.svg, the k-th to FILE-k.svg.

#include <pando/graph/dot.hpp>
#include <pando/graph/observer.hpp>

#include <cstdint>
#include <string>

namespace pando::diag {

// Renders DOT text to `path`, an .svg or a .png (by its extension), atomically. UsageError for
// another extension; IoError naming Graphviz when `dot` is missing or fails.
void render_dot(const std::string& dot, const std::string& path);

// The picture of a graph (to_dot(graph)): tasks, or operations when there are many.
void visualize(const Graph& graph, const std::string& path, const DotOptions& options = {});

// The picture of the k-th computation of a command: `path` for the first, then "-k" before the
// extension ("run.svg", "run-2.svg", ...).
[[nodiscard]] std::string numbered_picture(const std::string& path, std::uint64_t k);

// An observer that draws, on rank 0, each computation's schedule before it runs.
class Grapher final : public Observer {
 public:
  Grapher(std::string path, int rank) : path_(std::move(path)), rank_(rank) {}
  void schedule_planned(const TaskTable& table, const Schedule& schedule) override;

 private:
  std::string path_;
  int rank_;
  std::uint64_t drawn_ = 0;
};

}  // namespace pando::diag
