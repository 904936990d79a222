#include <pando/diag/picture.hpp>

#include <pando/core/error.hpp>
#include <pando/io/atomic.hpp>

#include <fmt/format.h>

#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

extern char** environ;

namespace pando::diag {

namespace {

// Runs `dot` with `args`; IoError (naming `target`) when it cannot start or fails.
void run_dot(std::vector<std::string> args, const std::string& target) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int started = ::posix_spawnp(&pid, "dot", nullptr, nullptr, argv.data(), environ);
  if (started == ENOENT)
    throw IoError(fmt::format(
        "{}: drawing it needs Graphviz's `dot`, which is not on PATH (Debian: apt install "
        "graphviz)",
        target));
  if (started != 0)
    throw IoError(
        fmt::format("{}: cannot start Graphviz's dot: {}", target, std::strerror(started)));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      throw IoError(
          fmt::format("{}: waiting for Graphviz's dot: {}", target, std::strerror(errno)));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw IoError(fmt::format("{}: Graphviz's dot failed (exit status {})", target,
                              WIFEXITED(status) ? WEXITSTATUS(status) : -1));
}

}  // namespace

void render_dot(const std::string& dot, const std::string& path) {
  const std::string extension = std::filesystem::path(path).extension().string();
  if (extension != ".svg" && extension != ".png")
    throw UsageError(fmt::format("{}: a picture is an .svg or a .png file", path));
  io::AtomicFile out(path);
  io::TempPath source(out.temp_path() + ".dot");
  {
    io::PosixFile f = io::PosixFile::open(source.path(), io::PosixFile::Mode::create_new, path);
    f.append(dot);
    f.close();
  }
  // dot writes the temporary of the atomic output; commit() renames it into place.
  run_dot({"dot", "-T" + extension.substr(1), source.path(), "-o", out.temp_path()}, path);
  out.commit();
}

void visualize(const Graph& graph, const std::string& path, const DotOptions& options) {
  render_dot(to_dot(graph, options), path);
}

std::string numbered_picture(const std::string& path, std::uint64_t k) {
  if (k <= 1) return path;
  const std::filesystem::path p(path);
  return (p.parent_path() / fmt::format("{}-{}{}", p.stem().string(), k, p.extension().string()))
      .string();
}

void Grapher::schedule_planned(const TaskTable& table, const Schedule& schedule) {
  ++drawn_;
  if (rank_ != 0) return;
  DotOptions options;
  options.title =
      fmt::format("computation {}: {} tasks on {} rank{}", drawn_, schedule.order.size(),
                  schedule.nranks, schedule.nranks == 1 ? "" : "s");
  render_dot(to_dot(table, schedule, options), numbered_picture(path_, drawn_));
}

}  // namespace pando::diag
