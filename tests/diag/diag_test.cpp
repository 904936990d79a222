// Diagnostics at every rank count: the recorder gathers every rank's tasks and transfers on rank
// 0, the Chrome trace keeps each rank's track free of overlaps, and progress counts the tasks of
// all ranks.

#include <pando/diag/chrome_trace.hpp>
#include <pando/diag/dashboard.hpp>
#include <pando/diag/picture.hpp>
#include <pando/diag/progress.hpp>
#include <pando/diag/recorder.hpp>
#include <pando/diag/report.hpp>
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
#include <atomic>
#include <thread>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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

void run_dags(int count, test::Shape shape = test::Shape::random) {
  for (int k = 0; k < count; ++k) {
    const auto d = test::make_dag(shape, 40, 11 + k, true);
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
  auto recorder =
      std::make_shared<diag::Recorder>(comm(), Stopwatch(), diag::RecorderOptions{.max_events = 5});
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
  t.keys.push_back({Key("k\\0"), Key("k1")});
  t.tasks.push_back({1, 0, 0, 0, 1, 0.1, 0.5, false, false});
  t.tasks.push_back({1, 1, 1, 0, 1, 0.2, 0.3, false, false});
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

TEST(Recorder, StreamedRecordsArriveWholeAndSnapshotsKeepUp) {
  // One recorder streams after every task, one gathers at the end: rank 0 must hold the same.
  auto streaming = std::make_shared<diag::Recorder>(
      comm(), Stopwatch(), diag::RecorderOptions{.critical_path = true, .stream_every = 1e-9});
  auto gathering = std::make_shared<diag::Recorder>(comm(), Stopwatch(),
                                                    diag::RecorderOptions{.stream_every = 0});
  // Another thread copies the streaming trace while it grows, as the dashboard does.
  std::atomic<bool> stop{false};
  diag::Trace copy;
  std::thread reader;
  if (comm().rank() == 0)
    reader = std::thread([&] {
      while (!stop) streaming->snapshot(copy);
    });
  observed({streaming, gathering}, [] { run_dags(3); });
  stop = true;
  if (reader.joinable()) reader.join();
  if (comm().rank() != 0) return;
  streaming->snapshot(copy);
  const diag::Trace &a = streaming->trace(), &b = gathering->trace();
  EXPECT_EQ(a.tasks.size(), b.tasks.size());
  EXPECT_EQ(a.transfers.size(), b.transfers.size());
  EXPECT_EQ(copy.tasks.size(), a.tasks.size());
  EXPECT_EQ(copy.kinds, a.kinds);
  for (const diag::TransferSpan& x : a.transfers) {
    EXPECT_GE(x.sent, 0);
    EXPECT_GE(x.received, 0);
  }
  ASSERT_FALSE(a.tasks.empty());
  EXPECT_NE(diag::key_text(a, a.tasks.back().computation, a.tasks.back().id), "")
      << "keys are found by the session's computation numbers";
  std::set<std::uint32_t> with_path;
  for (const diag::CriticalStep& c : a.critical) with_path.insert(c.computation);
  EXPECT_EQ(with_path.size(), 3u) << "every computation has its critical path";
}

TEST(Recorder, TheCriticalPathOfAChainIsTheWholeChain) {
  comm().barrier();  // one clock on all ranks, as the diagnostics start it
  auto recorder = std::make_shared<diag::Recorder>(comm(), Stopwatch(),
                                                   diag::RecorderOptions{.critical_path = true});
  observed({recorder}, [] { run_dags(1, test::Shape::chain); });
  if (comm().rank() != 0) return;
  const diag::Trace& t = recorder->trace();
  std::set<std::uint32_t> ran;
  for (const diag::TaskSpan& s : t.tasks) ran.insert(s.id);
  std::set<std::uint32_t> on_path;
  double length = 0;
  for (const diag::CriticalStep& c : t.critical) {
    on_path.insert(c.id);
    length += c.seconds;
  }
  EXPECT_EQ(on_path, ran) << "each task of a chain waits for the one before";
  // A collective step weighs its slowest rank, whose clock may be a little off rank 0's.
  EXPECT_LE(length, t.computations.at(0).end - t.computations.at(0).start + 1e-3);
  // Inputs first.
  for (std::size_t i = 1; i < t.critical.size(); ++i)
    EXPECT_LT(t.critical[i - 1].id, t.critical[i].id);
}

namespace {

diag::Trace small_trace(int tasks_per_rank, int ranks) {
  diag::Trace t;
  t.ranks = ranks;
  t.kinds = {"read-csv", "sum </script>"};
  t.computations.push_back({1, static_cast<std::uint32_t>(tasks_per_rank * ranks), 0.0, 1.0});
  std::uint32_t id = 0;
  t.keys.emplace_back();
  for (int r = 0; r < ranks; ++r)
    for (int i = 0; i < tasks_per_rank; ++i) {
      const double start = 0.9 * i / tasks_per_rank;
      t.keys.back().push_back(Key("task", {id}));
      t.tasks.push_back({1, id++, r, static_cast<std::uint32_t>(i % 2), 1, start,
                         start + 0.5 / tasks_per_rank, false, false});
    }
  t.transfers.push_back({1, 0, 0, ranks - 1, 4096, 0.2, 0.3});
  t.memory.push_back({0, 0.1, 1 << 20});
  return t;
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST(Report, HoldsEveryViewAndStaysSmallAtAnySize) {
  diag::RunFacts facts;
  facts.command = "pando-frame x.csv";
  facts.hosts = {"node1", "node2"};
  const std::string json = diag::report_json(small_trace(3, 2), facts);
  for (const char* part : {"\"facts\"", "\"kinds\"", "\"computations\"", "\"operations\"",
                           "\"bytes\"", "\"memory\"", "\"progress\"", "\"stream\"", "\"critical\""})
    EXPECT_NE(json.find(part), std::string::npos) << part;
  EXPECT_NE(json.find(R"("mode":"tasks")"), std::string::npos);
  // 4096 bytes from rank 0 to rank 1 in a 2 x 2 matrix.
  EXPECT_NE(json.find(R"("bytes":[0,4096,0,0])"), std::string::npos) << json;
  // The page never holds "</script>" from the data (it would end its script).
  const std::string page = diag::report_page(json);
  EXPECT_EQ(occurrences(page, "</script>"), 2u);
  EXPECT_NE(page.find("sum \\u003c/script>"), std::string::npos);
  EXPECT_EQ(page.find("@PANDO_"), std::string::npos);
  EXPECT_EQ(page.find("http://"), std::string::npos) << "the page loads nothing";
  EXPECT_EQ(page.find("https://"), std::string::npos) << "the page loads nothing";

  // Many tasks: joined while that is enough, then bins; the size stays bounded.
  const diag::ReportLimits tight{.max_spans = 100, .bins_per_rank = 50, .max_points = 20};
  const std::string joined = diag::report_json(small_trace(1000, 2), facts, tight);
  EXPECT_NE(joined.find(R"("mode":"bins")"), std::string::npos);  // alternating operations
  EXPECT_LT(joined.size(), 20'000u);
  diag::Trace same = small_trace(1000, 2);  // one operation, back to back: joined
  for (auto& s : same.tasks) {
    s.kind = 0;
    s.end = s.start + 0.9 / 1000;
  }
  EXPECT_NE(diag::report_json(same, facts, tight).find(R"("mode":"joined")"), std::string::npos);
}

TEST(Report, AMillionTasksMakeAFewMegabytes) {
  if (comm().rank() != 0) return;  // one trace, no need for more
  diag::Trace t = small_trace(250'000, 4);
  const std::string json = diag::report_json(t, diag::RunFacts{});
  EXPECT_EQ(json.find(R"("mode":"tasks")"), std::string::npos);
  EXPECT_LT(json.size(), 50u << 20);
  EXPECT_LT(diag::report_page(json).size(), 50u << 20);
}

namespace {

// One HTTP GET on 127.0.0.1: the status code and the body.
std::pair<int, std::string> http_get(int port, const std::string& target) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return {-1, ""};
  }
  const std::string request = "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
  (void)::send(fd, request.data(), request.size(), 0);
  std::string answer;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) answer.append(buf, n);
  ::close(fd);
  const auto body = answer.find("\r\n\r\n");
  if (answer.size() < 12 || body == std::string::npos) return {-2, answer};
  return {std::stoi(answer.substr(9, 3)), answer.substr(body + 4)};
}

}  // namespace

TEST(Dashboard, ServesOnlyWithItsTokenAndShowsTheRunningJob) {
  auto recorder = std::make_shared<diag::Recorder>(
      comm(), Stopwatch(), diag::RecorderOptions{.critical_path = true, .stream_every = 0.01});
  std::unique_ptr<diag::Dashboard> dashboard;
  if (comm().rank() == 0)
    dashboard = std::make_unique<diag::Dashboard>(diag::DashboardAddress{}, recorder,
                                                  diag::RunFacts{}, Stopwatch());
  observed({recorder}, [] { run_dags(2); });
  if (comm().rank() != 0) return;
  const std::string url = dashboard->url();
  ASSERT_EQ(url.rfind("http://127.0.0.1:", 0), 0u) << url;
  const int port = std::stoi(url.substr(17));
  const std::string token = url.substr(url.find("token=") + 6);
  EXPECT_EQ(token.size(), 32u);
  EXPECT_EQ(http_get(port, "/").first, 403);
  EXPECT_EQ(http_get(port, "/data").first, 403);
  EXPECT_EQ(http_get(port, "/data?token=" + std::string(32, '0')).first, 403);
  const auto page = http_get(port, "/?token=" + token);
  EXPECT_EQ(page.first, 200);
  EXPECT_NE(page.second.find(R"("live":true)"), std::string::npos);
  const auto data = http_get(port, "/data?token=" + token);
  EXPECT_EQ(data.first, 200);
  EXPECT_NE(data.second.find(R"("live":true)"), std::string::npos);
  EXPECT_EQ(occurrences(data.second, R"({"n":)"), 2u) << "both computations are there";
  // Their tasks all done (computations are numbered across the session, here from past 1).
  EXPECT_EQ(data.second.find(R"("done":0,)"), std::string::npos) << data.second.substr(0, 600);
  EXPECT_EQ(http_get(port, "/elsewhere?token=" + token).first, 404);
  dashboard->finished();
  EXPECT_NE(http_get(port, "/data?token=" + token).second.find(R"("live":false)"),
            std::string::npos);
}

TEST(Dashboard, AddressesAreCheckedWithAClearMessage) {
  EXPECT_EQ(diag::parse_dashboard_address("8787", "x").port, 8787);
  EXPECT_EQ(diag::parse_dashboard_address("8787", "x").host, "127.0.0.1");
  EXPECT_EQ(diag::parse_dashboard_address("0.0.0.0:0", "x").host, "0.0.0.0");
  EXPECT_EQ(diag::parse_dashboard_address("[::1]:80", "x").host, "::1");
  for (const char* bad : {"", "x", "99999", ":80", "host:", "-1"})
    EXPECT_THROW((void)diag::parse_dashboard_address(bad, "--dashboard"), UsageError) << bad;
}
