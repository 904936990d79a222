// The planner at scale (issue 25): a graph of a million tasks planned for 1,024 simulated ranks,
// in one process (planning is a pure function of the graph and a rank count). It checks that
// the schedule is whole and sound at that size, never how long planning took; the planner's
// cost grows with tasks · log ranks (planner.hpp). Labelled `heavy`: not in the default run.

#include <pando/graph/planner.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

using namespace pando;

namespace {

Task task(Key key, std::vector<Key> inputs, std::uint64_t nbytes, double cost) {
  Task t;
  t.key = std::move(key);
  t.inputs = std::move(inputs);
  t.nbytes = nbytes;
  t.cost = cost;
  t.fn = [](std::span<const Value>) { return Value::of(0); };
  return t;
}

Task collective(Key key, std::vector<Key> inputs, std::vector<int> participants = {}) {
  Task t = task(std::move(key), std::move(inputs), 8, 1e-4);
  t.fn = nullptr;
  t.collective = collective_step([](const CollectiveInputs&) { return Value::of(0); },
                                 CollectiveOutput::replicated, std::move(participants));
  return t;
}

constexpr std::uint64_t block_bytes = 1 << 20;

// Pairwise sums over `width` leaves named (token, {g, 0, i}), level by level: (token, {g, l, i}).
// Returns the root.
Key pairwise_sums(std::vector<Task>& tasks, const std::string& token, int g, int width) {
  int level = 0;
  for (; width > 1; width = (width + 1) / 2, ++level)
    for (int i = 0; i < (width + 1) / 2; ++i) {
      std::vector<Key> in = {Key(token, {g, level, 2 * i})};
      if (2 * i + 1 < width) in.push_back(Key(token, {g, level, 2 * i + 1}));
      tasks.push_back(task(Key(token, {g, level + 1, i}), std::move(in), 8, 1e-6));
    }
  return Key(token, {g, level, 0});
}

// What array and frame collections make, `groups` times over `blocks` blocks each: per block a
// source and two element-wise steps (a chain that fuses), then a normalisation that runs beside
// its block (with_input) and reads a collective over all ranks of the group's partial sums;
// pairwise reduction trees over the blocks and over the normalised blocks; and per group a
// collective over one row of a process grid 32 ranks wide.
struct ManyTasks {
  int groups;
  int blocks;  // a power of two: the trees are whole
  int nranks;

  [[nodiscard]] std::vector<Task> tasks() const {
    std::vector<Task> out;
    out.reserve(static_cast<std::size_t>(groups) * (6 * blocks + 3));
    for (int g = 0; g < groups; ++g) group(out, g);
    return out;
  }
  [[nodiscard]] std::vector<Key> outputs() const {
    std::vector<Key> out;
    for (int g = 0; g < groups; ++g) out.push_back(Key("total", {g}));
    return out;
  }

 private:
  void group(std::vector<Task>& out, int g) const {
    for (int i = 0; i < blocks; ++i) {
      out.push_back(task(Key("src", {g, i}), {}, block_bytes, 1e-3));
      out.push_back(task(Key("scale", {g, i}), {Key("src", {g, i})}, block_bytes, 1e-4));
      out.push_back(task(Key("sum", {g, 0, i}), {Key("scale", {g, i})}, block_bytes, 1e-4));
    }
    pairwise_sums(out, "sum", g, blocks);
    std::vector<Key> partials;  // of 16 blocks each
    for (int i = 0; i < blocks / 16; ++i) partials.push_back(Key("sum", {g, 4, i}));
    out.push_back(collective(Key("allreduce", {g}), std::move(partials)));
    for (int i = 0; i < blocks; ++i) {
      Task norm = task(Key("norm", {g, 0, i}), {Key("sum", {g, 0, i}), Key("allreduce", {g})},
                       block_bytes, 1e-4);
      norm.placement = Placement::with_input(0);
      out.push_back(std::move(norm));
    }
    const Key norm_total = pairwise_sums(out, "norm", g, blocks);
    std::vector<Key> row_partials;  // of 256 blocks each
    for (int i = 0; i < blocks / 256; ++i) row_partials.push_back(Key("sum", {g, 8, i}));
    const int width = std::min(32, nranks);
    std::vector<int> row;
    for (int c = 0; c < width; ++c) row.push_back((g % (nranks / width)) * width + c);
    out.push_back(collective(Key("row", {g}), std::move(row_partials), std::move(row)));
    out.push_back(task(Key("total", {g}), {norm_total, Key("row", {g})}, 8, 1e-6));
  }
};

}  // namespace

TEST(PlannerScale, AMillionTasksOnAThousandRanks) {
  const ManyTasks shape{.groups = 82, .blocks = 2048, .nranks = 1024};
  const Graph graph(shape.tasks());
  const PersistedMap none;
  const TaskTable table(graph, shape.outputs(), none);
  ASSERT_GE(table.size(), 1'000'000u);

  const Schedule s = plan(table, none, shape.nranks);

  // Every task once, in an order that runs inputs first.
  ASSERT_EQ(s.order.size(), table.size());
  std::vector<std::uint32_t> position(table.size(), UINT32_MAX);
  for (std::uint32_t pos = 0; pos < s.order.size(); ++pos) {
    ASSERT_EQ(position[s.order[pos]], UINT32_MAX) << table.key(s.order[pos]).str() << " twice";
    position[s.order[pos]] = pos;
  }
  for (std::uint32_t id = 0; id < table.size(); ++id)
    for (auto in : table.inputs(id))
      ASSERT_LT(position[in], position[id]) << table.key(id).str() << " before its input";

  // Owners: a rank of the job, or all participants for a collective.
  for (std::uint32_t id = 0; id < table.size(); ++id) {
    if (table.task(id)->is_collective())
      ASSERT_EQ(s.owner[id], Schedule::all_participants) << table.key(id).str();
    else
      ASSERT_TRUE(s.owner[id] >= 0 && s.owner[id] < shape.nranks) << table.key(id).str();
  }

  // Each block's chain runs fused on one rank.
  std::size_t fused = 0;
  for (std::uint32_t pos = 1; pos < s.order.size(); ++pos) {
    if (!s.fused[pos]) continue;
    ++fused;
    ASSERT_EQ(s.owner[s.order[pos]], s.owner[s.order[pos - 1]]);
  }
  EXPECT_EQ(fused, std::size_t{2} * shape.groups * shape.blocks);

  // Sources are dealt over every rank in contiguous runs (in the global order), and each
  // normalisation runs where its block is.
  std::vector<int> sources;  // their owners, in the global order
  for (auto id : s.order)
    if (table.key(id).token() == "src") sources.push_back(s.owner[id]);
  EXPECT_TRUE(std::is_sorted(sources.begin(), sources.end()));
  std::vector<std::uint8_t> used(shape.nranks, 0);
  for (int r : sources) used[r] = 1;
  EXPECT_EQ(std::count(used.begin(), used.end(), 1), shape.nranks);
  for (int g = 0; g < shape.groups; ++g)
    for (int i = 0; i < shape.blocks; ++i)
      ASSERT_EQ(s.owner[table.id_of(Key("norm", {g, 0, i}))],
                s.owner[table.id_of(Key("sum", {g, 0, i}))]);
}
