// DOT export: valid Graphviz input, per task when small, per operation when large.

#include <pando/graph/dot.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "random_dag.hpp"

using namespace pando;

TEST(Dot, SmallGraphShowsEveryTask) {
  auto g = test::build_graph(test::make_dag(test::Shape::diamond, 5, 1));
  auto dot = to_dot(g, {.max_tasks = 100, .title = "a \"diamond\""});
  EXPECT_EQ(dot.rfind("digraph pando {", 0), 0u);
  EXPECT_NE(dot.find("label=\"node/4\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("t0 -> t1;"), std::string::npos) << dot;
  EXPECT_NE(dot.find("label=\"a \\\"diamond\\\"\""), std::string::npos) << dot;
  EXPECT_EQ(dot.substr(dot.size() - 2), "}\n");
}

TEST(Dot, LargeGraphIsGroupedByOperation) {
  std::vector<Task> tasks;
  for (int i = 0; i < 1000; ++i) {
    Task t;
    t.key = Key("read-1f", {i});
    t.fn = [](std::span<const Value>) { return Value::of(0); };
    tasks.push_back(t);
    t.key = Key("sum-2e", {i});
    t.inputs = {Key("read-1f", {i})};
    tasks.push_back(t);
  }
  auto dot = to_dot(Graph(std::move(tasks)));
  EXPECT_NE(dot.find("read-1f\\n×1000"), std::string::npos) << dot.substr(0, 400);
  EXPECT_NE(dot.find("[label=\"1000\"]"), std::string::npos);
  EXPECT_LT(dot.size(), 1000u);
}

TEST(Dot, GraphvizAcceptsBothForms) {
  auto small = to_dot(test::build_graph(test::make_dag(test::Shape::random, 40, 3)));
  auto large = to_dot(test::build_graph(test::make_dag(test::Shape::random, 400, 3)));
  for (const auto* text : {&small, &large}) {
    auto path = testing::TempDir() + "pando-dot-" + std::to_string(::getpid()) + ".dot";
    { std::ofstream(path) << *text; }
    int rc = std::system(("dot -Tsvg " + path + " -o /dev/null 2>/dev/null").c_str());
    EXPECT_EQ(rc, 0) << "Graphviz rejected:\n" << *text;
    std::remove(path.c_str());
  }
}
