// The error protocol of a computation: whatever fails on whichever rank (a task, a send, a
// receive, a collective's entry, an observer, MPI's size limits), every rank ends the
// computation with the same error, nothing hangs, and the session computes the next graph.
// Faults are injected in-process with fault::arm (the same spec on every rank; it names the rank).

#include <pando/core/fault.hpp>
#include <pando/graph/runtime.hpp>

#include <gtest/gtest.h>
#include <mpi_test.hpp>

#include <numeric>

using namespace pando;
using pando::test::comm;
using pando::test::on_all_ranks;

namespace {

// Disarms the fault points and restores the piece size when a test ends, however it ends.
struct Armed {
  explicit Armed(const std::string& spec) { fault::arm(spec); }
  Armed(const Armed&) = delete;
  Armed& operator=(const Armed&) = delete;
  ~Armed() {
    fault::disarm();
    detail::set_message_piece_bytes(std::size_t{1} << 30);
  }
};

int last_rank() { return comm().size() - 1; }

// `n` doubles made on the last rank, summed on rank 0: one transfer between two ranks (or none
// at one rank).
Graph transfer_graph(std::size_t n) {
  std::vector<Task> tasks;
  Task make;
  make.key = Key("make");
  make.placement = Placement::on_rank(last_rank());
  make.nbytes = n * 8;
  make.fn = [n](std::span<const Value>) {
    std::vector<double> v(n);
    std::iota(v.begin(), v.end(), 0.0);
    return Value::of(std::move(v));
  };
  Task sum;
  sum.key = Key("sum");
  sum.inputs = {Key("make")};
  sum.placement = Placement::on_rank(0);
  sum.fn = [](std::span<const Value> in) {
    const auto& v = in[0].get<std::vector<double>>();
    return Value::of(std::accumulate(v.begin(), v.end(), 0.0));
  };
  tasks.push_back(std::move(make));
  tasks.push_back(std::move(sum));
  return Graph(std::move(tasks));
}

double expected_sum(std::size_t n) {
  return static_cast<double>(n) * static_cast<double>(n - 1) / 2;
}

double compute_sum(const Graph& g) {
  const Key out("sum");
  return Runtime::current().compute(g, {&out, 1})[0].get<double>();
}

// The message of the error compute() throws (the same text is checked on every rank by the
// caller through on_all_ranks), or "(no error)".
std::string error_of(const Graph& g) {
  try {
    (void)compute_sum(g);
  } catch (const TaskError& e) {
    return e.message();
  } catch (const std::exception& e) {
    return std::string("(not a TaskError) ") + e.what();
  }
  return "(no error)";
}

// Whether every rank saw exactly this text.
bool same_everywhere(const std::string& text) {
  const auto all = comm().allgatherv(std::span<const char>(text.data(), text.size()));
  for (int r = 0; r < comm().size(); ++r) {
    auto part = all.part(r);
    if (std::string(part.begin(), part.end()) != text) return false;
  }
  return true;
}

void expect_session_usable() {
  const double got = compute_sum(transfer_graph(1000));
  EXPECT_EQ(got, expected_sum(1000));
}

}  // namespace

TEST(ErrorProtocol, ValuesLargerThanOnePieceTravelAsChains) {
  Armed none("");
  // 64-byte pieces: a value of 10,000 doubles is 1,250 pieces (and a chain's empty end when the
  // size is a multiple of the piece).
  detail::set_message_piece_bytes(64);
  for (std::size_t n : {std::size_t{10000}, std::size_t{8}, std::size_t{7}, std::size_t{1}})
    EXPECT_EQ(compute_sum(transfer_graph(n)), expected_sum(n)) << n;
}

TEST(ErrorProtocol, ResultsLargerThanOnePieceReachEveryRank) {
  Armed none("");
  detail::set_message_piece_bytes(64);
  const Key out("make");
  auto values = Runtime::current().compute(transfer_graph(5000), {&out, 1});
  const auto& v = values[0].get<std::vector<double>>();
  ASSERT_EQ(v.size(), 5000u);
  EXPECT_EQ(v[4999], 4999.0);
}

TEST(ErrorProtocol, BlockingMessagesOfAnySize) {
  Armed none("");
  if (comm().size() < 2) GTEST_SKIP() << "needs two ranks";
  detail::set_message_piece_bytes(64);
  // 64 bytes exactly (one full piece, then the chain's empty end), and 1,000 ints.
  for (std::size_t n : {std::size_t{16}, std::size_t{1000}, std::size_t{0}}) {
    std::vector<int> data(n);
    std::iota(data.begin(), data.end(), 1);
    if (comm().rank() == 0) comm().send(std::span<const int>(data), 1, 5);
    if (comm().rank() == 1) {
      EXPECT_EQ(comm().recv_vector<int>(0, 5), data) << n;
      comm().send(std::span<const int>(data), 0, 6);
    }
    if (comm().rank() == 0) {
      std::vector<int> back(n);
      EXPECT_EQ(comm().recv(std::span<int>(back), 1, 6).count, n);
      EXPECT_EQ(back, data);
    }
    std::vector<int> shared = comm().rank() == 0 ? data : std::vector<int>();
    comm().bcast_vector(shared, 0);
    EXPECT_EQ(shared, data);
  }
}

TEST(ErrorProtocol, AFailedSendReachesTheReceiverAsTheError) {
  Armed fault(fmt::format("send:{}:1", last_rank()));
  const std::string e = error_of(transfer_graph(100000));
  EXPECT_TRUE(on_all_ranks(same_everywhere(e)));
  if (comm().size() > 1) {
    EXPECT_EQ(e, fmt::format("injected fault: send #1 on rank {} (PANDO_FAULT)", last_rank()));
  }
  fault::disarm();
  expect_session_usable();
}

TEST(ErrorProtocol, AValueThatCannotBeTakenInIsDrainedAndFails) {
  Armed fault("receive:0:1");
  detail::set_message_piece_bytes(1024);  // 800 kB in 782 pieces, all drained
  const std::string e = error_of(transfer_graph(100000));
  EXPECT_TRUE(on_all_ranks(same_everywhere(e)));
  if (comm().size() > 1) {
    EXPECT_EQ(e, "injected fault: receive #1 on rank 0 (PANDO_FAULT)");
  }
  fault::disarm();
  expect_session_usable();
}

TEST(ErrorProtocol, NoMemoryForAReceivedValueIsAnErrorNotAHang) {
  // The first large buffer rank 0 allocates is the one the 8 MiB value arrives in.
  Armed fault("alloc:0:1");
  const std::string e = error_of(transfer_graph(1 << 20));
  EXPECT_TRUE(on_all_ranks(same_everywhere(e)));
  // At one rank the value is a std::vector made in place: no buffer to allocate.
  EXPECT_EQ(e,
            comm().size() > 1 ? "injected fault: alloc #1 on rank 0 (PANDO_FAULT)" : "(no error)");
  fault::disarm();
  expect_session_usable();
}

TEST(ErrorProtocol, NoMemoryForAResultOnOneRankIsEveryRanksError) {
  // An 8 MiB result made on the last rank and delivered to every rank; rank 0 cannot take it
  // in: it still takes part in every broadcast (into a scratch buffer), and all ranks fail alike.
  Armed fault("alloc:0:1");
  const Key out("make");
  std::string e = "(no error)";
  try {
    (void)Runtime::current().compute(transfer_graph(1 << 20), {&out, 1});
  } catch (const TaskError& t) {
    e = t.message();
  }
  EXPECT_TRUE(on_all_ranks(same_everywhere(e)));
  EXPECT_EQ(e,
            comm().size() > 1 ? "injected fault: alloc #1 on rank 0 (PANDO_FAULT)" : "(no error)");
  fault::disarm();
  expect_session_usable();
}

TEST(ErrorProtocol, ATaskThatFailsOnOneRankFailsEveryRank) {
  Armed fault(fmt::format("task:{}:1", last_rank()));
  const std::string e = error_of(transfer_graph(10));
  EXPECT_TRUE(on_all_ranks(same_everywhere(e)));
  EXPECT_EQ(e, fmt::format("injected fault: task #1 on rank {} (PANDO_FAULT)", last_rank()));
  fault::disarm();
  expect_session_usable();
}

namespace {
// Sums the rank numbers of the participants: a collective step over all ranks, fed by a task on
// each rank.
Graph collective_graph() {
  std::vector<Task> tasks;
  Task c;
  c.key = Key("total");
  for (int r = 0; r < comm().size(); ++r) {
    Task t;
    t.key = Key("part", {r});
    t.placement = Placement::on_rank(r);
    t.fn = [r](std::span<const Value>) { return Value::of(static_cast<double>(r)); };
    c.inputs.push_back(t.key);
    tasks.push_back(std::move(t));
  }
  c.collective = collective_step([](const CollectiveInputs& in) {
    double mine = 0;
    for (const Value& v : in.values) mine += v.get<double>();
    return Value::of(in.comm.allreduce(mine, ReduceOp::max));
  });
  tasks.push_back(std::move(c));
  return Graph(std::move(tasks));
}
}  // namespace

TEST(ErrorProtocol, ARankThatCannotEnterACollectiveFailsItEverywhere) {
  Armed fault(fmt::format("collective:{}:1", last_rank()));
  const Key out("total");
  std::string e = "(no error)";
  try {
    (void)Runtime::current().compute(collective_graph(), {&out, 1});
  } catch (const TaskError& t) {
    e = t.message();
  }
  EXPECT_TRUE(on_all_ranks(same_everywhere(e)));
  EXPECT_EQ(e, fmt::format("injected fault: collective #1 on rank {} (PANDO_FAULT)", last_rank()));
  fault::disarm();
  const auto v = Runtime::current().compute(collective_graph(), {&out, 1});
  EXPECT_EQ(v[0].get<double>(), static_cast<double>(last_rank()));
}

TEST(ErrorProtocol, AnObserverThatThrowsFailsTheRunNotTheJob) {
  struct Throwing : Observer {
    void task_finished(const TaskEvent&) override {
      if (comm().rank() == last_rank()) throw IoError("progress: cannot write to the terminal");
    }
  };
  auto o = std::make_shared<Throwing>();
  Runtime::current().add_observer(o);
  const std::string e = error_of(transfer_graph(10));
  Runtime::current().remove_observer(o.get());
  EXPECT_TRUE(on_all_ranks(same_everywhere(e)));
  EXPECT_EQ(e, "progress: cannot write to the terminal");
  expect_session_usable();
}

TEST(ErrorProtocol, GroupCommunicatorsAreFreedBeyondTheirLimit) {
  // Collectives over each single rank in turn, then over rank 0 again: with room for two
  // groups, the oldest goes each time (on every rank alike), and results stay right.
  Runtime& rt = Runtime::current();
  rt.set_group_limit(2);
  for (int round = 0; round < 3; ++round)
    for (int r = 0; r < comm().size(); ++r) {
      Task t;
      t.key = Key("alone", {round, r});
      t.collective =
          collective_step([](const CollectiveInputs& in) { return Value::of(in.comm.size()); },
                          CollectiveOutput::replicated, {r});
      const Key out = t.key;
      std::vector<Task> tasks;
      tasks.push_back(std::move(t));
      auto v = rt.compute(Graph(std::move(tasks)), {&out, 1});
      EXPECT_EQ(v[0].get<int>(), 1);
      EXPECT_LE(rt.group_count(), 2u);
    }
  rt.set_group_limit(32);
}
