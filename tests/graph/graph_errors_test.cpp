// Malformed graphs and failures: a clear error on every rank, never a hang.

#include <pando/graph/runtime.hpp>

#include <gtest/gtest.h>
#include <mpi_test.hpp>

using namespace pando;
using pando::test::comm;

namespace {

Task constant(const std::string& token, double v, std::vector<Key> inputs = {}) {
  Task t;
  t.key = Key(token);
  t.inputs = std::move(inputs);
  t.fn = [v](std::span<const Value>) { return Value::of(v); };
  return t;
}

std::string graph_error_of(const Graph& g, const Key& out) {
  try {
    Runtime::current().compute(g, {&out, 1});
  } catch (const GraphError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(GraphErrors, CycleNamesItsPath) {
  std::vector<Task> tasks;
  tasks.push_back(constant("a", 1, {Key("c")}));
  tasks.push_back(constant("b", 1, {Key("a")}));
  tasks.push_back(constant("c", 1, {Key("b")}));
  tasks.push_back(constant("top", 1, {Key("c")}));
  EXPECT_EQ(graph_error_of(Graph(std::move(tasks)), Key("top")),
            "the graph has a cycle: c -> b -> a -> c");
}

TEST(GraphErrors, MissingInputNamesBothKeys) {
  std::vector<Task> tasks;
  tasks.push_back(constant("load", 1, {Key("file", {3})}));
  EXPECT_EQ(graph_error_of(Graph(std::move(tasks)), Key("load")),
            "task 'load' needs 'file/3', which no task in the graph makes (and which is not "
            "persisted)");
}

TEST(GraphErrors, UnknownOutput) {
  std::vector<Task> tasks;
  tasks.push_back(constant("x", 1));
  EXPECT_EQ(graph_error_of(Graph(std::move(tasks)), Key("y", {1})),
            "cannot compute 'y/1': no task in the graph makes it");
}

TEST(GraphErrors, TwoDifferentTasksUnderOneKey) {
  std::vector<Task> tasks;
  tasks.push_back(constant("x", 1));
  tasks.push_back(constant("y", 1));
  tasks.push_back(constant("z", 1, {Key("x")}));
  tasks.push_back(constant("z", 1, {Key("y")}));
  EXPECT_EQ(graph_error_of(Graph(std::move(tasks)), Key("z")),
            "two different tasks share the key 'z' (their inputs differ); keys must name one "
            "computation");
}

TEST(GraphErrors, DivergentGraphsNameTheFirstDifferingTask) {
  if (comm().size() == 1) GTEST_SKIP() << "needs two ranks";
  std::vector<Task> tasks;
  for (int i = 0; i < 50; ++i) tasks.push_back(constant("same" + std::to_string(i), i));
  // The last rank builds one task differently: SPMD code that depends on the rank.
  const bool odd = comm().rank() == comm().size() - 1;
  tasks.push_back(constant(odd ? "mine" : "common", 1, {Key("same10"), Key("same20")}));
  std::vector<Key> inputs;
  for (int i = 0; i < 50; ++i) inputs.push_back(Key("same" + std::to_string(i)));
  inputs.push_back(Key(odd ? "mine" : "common"));
  Task top = constant("top", 1, inputs);
  tasks.push_back(std::move(top));
  auto message = graph_error_of(Graph(std::move(tasks)), Key("top"));
  const int last = comm().size() - 1;
  std::string expected = "the ranks built different task graphs: task #50 is 'common' on rank";
  EXPECT_EQ(message.rfind(expected, 0), 0u) << message;
  EXPECT_NE(message.find("but 'mine' on rank " + std::to_string(last)), std::string::npos)
      << message;
}

TEST(GraphErrors, SameKeysDifferentInputsAcrossRanks) {
  if (comm().size() == 1) GTEST_SKIP() << "needs two ranks";
  std::vector<Task> tasks;
  tasks.push_back(constant("p", 1));
  tasks.push_back(constant("q", 1));
  const bool odd = comm().rank() % 2 == 1;
  tasks.push_back(constant(
      "top", 1, odd ? std::vector<Key>{Key("p"), Key("q")} : std::vector<Key>{Key("q"), Key("p")}));
  auto message = graph_error_of(Graph(std::move(tasks)), Key("top"));
  EXPECT_NE(message.find("the ranks built different task graphs"), std::string::npos) << message;
}

TEST(GraphErrors, ValueThatCannotTravelIsAClearTaskError) {
  if (comm().size() == 1) GTEST_SKIP() << "needs two ranks";
  struct Handle {
    int fd = 3;
  };
  std::vector<Task> tasks(2);
  tasks[0].key = Key("open");
  tasks[0].placement = Placement::on_rank(0);
  tasks[0].fn = [](std::span<const Value>) { return Value::local(Handle{}); };
  tasks[1].key = Key("use");
  tasks[1].inputs = {Key("open")};
  tasks[1].placement = Placement::on_rank(1);
  tasks[1].fn = [](std::span<const Value> in) { return Value::of(in[0].get<Handle>().fd); };
  Key out("use");
  try {
    Runtime::current().compute(Graph(std::move(tasks)), {&out, 1});
    FAIL() << "no error";
  } catch (const TaskError& e) {
    EXPECT_EQ(e.key(), "open");
    EXPECT_NE(e.message().find("is local to its rank"), std::string::npos) << e.message();
  }
}

TEST(GraphErrors, ResultThatCannotTravelIsAClearTaskErrorEverywhere) {
  if (comm().size() == 1) GTEST_SKIP() << "needs two ranks";
  struct Handle {
    int fd = 3;
  };
  for (Delivery delivery : {Delivery::everywhere, Delivery::root}) {
    std::vector<Task> tasks(1);
    tasks[0].key = Key("open");
    tasks[0].placement = Placement::on_rank(1);  // made away from rank 0
    tasks[0].fn = [](std::span<const Value>) { return Value::local(Handle{}); };
    Key out("open");
    try {
      (void)Runtime::current().compute(Graph(std::move(tasks)), {&out, 1}, delivery);
      ADD_FAILURE() << "no error";
    } catch (const TaskError& e) {
      EXPECT_EQ(e.key(), "open");
      EXPECT_EQ(e.rank(), 1);
      EXPECT_NE(e.message().find("is local to its rank"), std::string::npos) << e.message();
    }
  }
}

TEST(GraphErrors, DivergentCollectiveParticipants) {
  if (comm().size() == 1) GTEST_SKIP() << "needs two ranks";
  std::vector<Task> tasks;
  tasks.push_back(constant("in", 1));
  Task c;
  c.key = Key("together");
  c.inputs = {Key("in")};
  // The last rank leaves itself out: the others would wait for it in the collective.
  std::vector<int> who;
  for (int r = 0; r < comm().size(); ++r)
    if (r != comm().size() - 1 || comm().rank() != r) who.push_back(r);
  c.collective = collective_step([](const CollectiveInputs&) { return Value::of(1.0); },
                                 CollectiveOutput::replicated, who);
  tasks.push_back(std::move(c));
  auto message = graph_error_of(Graph(std::move(tasks)), Key("together"));
  EXPECT_NE(message.find("different inputs, placement or collective participants"),
            std::string::npos)
      << message;
}

TEST(GraphErrors, RankHintOutOfRange) {
  std::vector<Task> tasks;
  tasks.push_back(constant("x", 1));
  tasks.back().placement = Placement::on_rank(comm().size() + 2);
  EXPECT_EQ(graph_error_of(Graph(std::move(tasks)), Key("x")),
            "task 'x' asks for rank " + std::to_string(comm().size() + 2) + ", but the job has " +
                std::to_string(comm().size()) + " ranks");
}

TEST(GraphErrors, RuntimeStaysUsableAfterErrors) {
  std::vector<Task> tasks;
  tasks.push_back(constant("fine", 2.5));
  Key k("fine");
  auto v = Runtime::current().compute(Graph(std::move(tasks)), {&k, 1});
  EXPECT_EQ(v[0].get<double>(), 2.5);
}
