// Diagnostics at every rank count: the recorder gathers every rank's tasks and transfers on rank
// 0, the Chrome trace keeps each rank's track free of overlaps, and progress counts the tasks of
// all ranks.

#include <pando/diag/chrome_trace.hpp>
#include <pando/diag/picture.hpp>
#include <pando/diag/progress.hpp>
#include <pando/diag/recorder.hpp>
#include <pando/graph/runtime.hpp>

#include <gtest/gtest.h>
#include <mpi_test.hpp>

#include "../graph/random_dag.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>

using namespace pando;
using pando::test::comm;

namespace {

// Counts what this rank ran: the reference for what rank 0 must have gathered.
struct Counter : Observer {
  std::uint64_t tasks = 0, spans = 0, sends = 0;
  void task_finished(const TaskEvent& e) override {
    ++spans;
    tasks += e.tasks;
  }
  void value_sent(const TransferEvent&) override { ++sends; }
};

// Runs `f` with `observers` attached to the runtime.
template <class F>
void observed(const std::vector<std::shared_ptr<Observer>>& observers, F&& f) {
  for (const auto& o : observers) Runtime::current().add_observer(o);
  f();
  for (const auto& o : observers) Runtime::current().remove_observer(o.get());
}

void run_dags(int count) {
  for (int k = 0; k < count; ++k) {
    const auto d = test::make_dag(test::Shape::random, 40, 11 + k, true);
    std::vector<Key> outputs;
    for (auto o : d.outputs) outputs.push_back(test::dag_key(o));
    (void)Runtime::current().compute(test::build_graph(d), outputs);
  }
}

std::uint64_t total(std::uint64_t mine) { return comm().allreduce(mine, ReduceOp::sum); }

}  // namespace

TEST(Recorder, GathersEveryRanksTasksAndTransfersOnRankZero) {
  auto recorder = std::make_shared<diag::Recorder>(comm(), Stopwatch());
  auto counter = std::make_shared<Counter>();
  observed({recorder, counter}, [] { run_dags(3); });
  const std::uint64_t spans = total(counter->spans), sends = total(counter->sends);
  if (comm().rank() != 0) {
    EXPECT_TRUE(recorder->trace().tasks.empty());
    return;
  }
  const diag::Trace& t = recorder->trace();
  EXPECT_EQ(t.ranks, comm().size());
  EXPECT_EQ(t.dropped, 0u);
  ASSERT_EQ(t.computations.size(), 3u);
  for (std::size_t c = 1; c < 3; ++c)
    EXPECT_EQ(t.computations[c].number, t.computations[c - 1].number + 1);
  EXPECT_EQ(t.tasks.size(), spans);
  EXPECT_EQ(t.transfers.size(), sends);
  std::map<int, double> last_end;
  std::set<int> ranks;
  for (const diag::TaskSpan& s : t.tasks) {
    ranks.insert(s.rank);
    EXPECT_LE(s.start, s.end);
    EXPECT_LT(s.kind, t.kinds.size());
    // A rank's tasks arrive in the order it ran them, one after the other.
    if (last_end.count(s.rank)) {
      EXPECT_LE(last_end[s.rank], s.start + 1e-9);
    }
    last_end[s.rank] = s.end;
  }
  EXPECT_EQ(static_cast<int>(ranks.size()), comm().size()) << "a rank ran no task?";
  for (const diag::TransferSpan& x : t.transfers) {
    EXPECT_NE(x.from, x.to);
    EXPECT_GE(x.sent, 0) << "a received value without its send";
    EXPECT_GE(x.received, 0) << "a sent value without its arrival";
  }
}

TEST(Recorder, KeepsAtMostItsBudgetAndCountsTheRest) {
  auto recorder = std::make_shared<diag::Recorder>(comm(), Stopwatch(), 5);
  observed({recorder}, [] { run_dags(1); });
  if (comm().rank() != 0) return;
  const diag::Trace& t = recorder->trace();
  EXPECT_LE(t.tasks.size() + t.transfers.size() + t.memory.size(),
            5u * static_cast<std::size_t>(comm().size()));
  EXPECT_GT(t.dropped, 0u);
}

TEST(ChromeTrace, HasOneTrackPerRankAndEscapesText) {
  diag::Trace t;
  t.ranks = 2;
  t.kinds = {"read \"x\"\n"};
  t.computations.push_back({1, 2, 0.0, 1.0});
  t.tasks.push_back({1, 0, 0, 1, 0.1, 0.5, false, false, "k\\0"});
  t.tasks.push_back({1, 1, 0, 1, 0.2, 0.3, false, false, "k1"});
  t.transfers.push_back({1, 0, 0, 1, 64, 0.4, 0.45});
  t.memory.push_back({0, 0.1, 1024});
  const std::string json = diag::to_chrome_trace(t);
  EXPECT_NE(json.find(R"("args":{"name":"rank 0"})"), std::string::npos);
  EXPECT_NE(json.find(R"("args":{"name":"rank 1"})"), std::string::npos);
  EXPECT_NE(json.find(R"("name":"read \"x\"\n")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("key":"k\\0")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("ph":"s")"), std::string::npos);
  EXPECT_NE(json.find(R"("ph":"f")"), std::string::npos);
}

TEST(Progress, CountsTheTasksOfAllRanksAndEndsWithASummary) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  auto progress = std::make_shared<diag::Progress>(comm(), diag::ProgressMode::on, false, out);
  auto counter = std::make_shared<Counter>();
  observed({progress, counter}, [] { run_dags(2); });
  progress->finish(true);
  const std::uint64_t tasks = total(counter->tasks);
  if (comm().rank() != 0) {
    std::fclose(out);
    return;
  }
  std::rewind(out);
  std::string text;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, out)) text += buffer;
  std::fclose(out);
  const std::string done = fmt::format("pando: done: {} tasks in 2 computations on {} rank{}",
                                       tasks, comm().size(), comm().size() == 1 ? "" : "s");
  EXPECT_NE(text.find(done), std::string::npos) << text;
  EXPECT_EQ(text.back(), '\n');
}

TEST(Progress, LeavesNothingAfterAFailedCommand) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  auto progress = std::make_shared<diag::Progress>(comm(), diag::ProgressMode::on, true, out);
  observed({progress}, [] { run_dags(1); });
  progress->finish(false);
  if (comm().rank() == 0) {
    std::rewind(out);
    std::string text;
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, out)) text += buffer;
    EXPECT_EQ(text.find("done"), std::string::npos) << text;
    // Whatever was drawn was cleared: the next line (an error) starts on a clean line.
    if (!text.empty()) {
      EXPECT_EQ(text.substr(text.size() - 4), "\r\033[K");
    }
  }
  std::fclose(out);
}

TEST(Pictures, EachComputationIsDrawnByGraphvizBeforeItRuns) {
  // Rank 0's temporary folder, known to all (the pictures are rank 0's).
  char folder[] = "/tmp/pando-pictures-XXXXXX";
  const std::string made = comm().rank() == 0 ? ::mkdtemp(folder) : "";
  std::vector<char> name(made.begin(), made.end());
  comm().bcast_vector(name, 0);
  const std::string dir(name.begin(), name.end());
  const std::string path = dir + "/run.svg";
  auto grapher = std::make_shared<diag::Grapher>(path, comm().rank());
  observed({grapher}, [] { run_dags(2); });
  if (comm().rank() == 0) {
    for (const std::string& p : {path, diag::numbered_picture(path, 2)}) {
      std::ifstream in(p);
      const std::string svg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      EXPECT_NE(svg.find("<svg"), std::string::npos) << p;
      EXPECT_NE(svg.find(comm().size() > 1 ? "rank 1" : "rank 0"), std::string::npos) << p;
    }
    EXPECT_EQ(diag::numbered_picture("a/b.png", 3), "a/b-3.png");
    const auto d = test::make_dag(test::Shape::random, 400, 5);  // drawn per operation
    diag::visualize(test::build_graph(d), dir + "/graph.png");
    std::ifstream png(dir + "/graph.png", std::ios::binary);
    char magic[4] = {};
    png.read(magic, 4);
    EXPECT_EQ(std::string(magic + 1, 3), "PNG");
    EXPECT_THROW(diag::visualize(test::build_graph(d), dir + "/graph.pdf"), UsageError);
    std::filesystem::remove_all(dir);
  }
}
