// The planner on its own: order, fusion and placement for known graph shapes. Planning is a pure
// function of the graph and a rank count, so these tests plan for several rank counts on any run.

#include <pando/graph/planner.hpp>

#include <gtest/gtest.h>

#include <algorithm>

using namespace pando;

namespace {

Task task(Key key, std::vector<Key> inputs = {}, std::uint64_t nbytes = 0, double cost = 1e-6) {
  Task t;
  t.key = std::move(key);
  t.inputs = std::move(inputs);
  t.nbytes = nbytes;
  t.cost = cost;
  t.fn = [](std::span<const Value>) { return Value::of(0); };
  return t;
}

struct Planned {
  Graph graph;
  std::unique_ptr<TaskTable> table;
  Schedule s;
  // Keys in the global order, as text.
  std::vector<std::string> order() const {
    std::vector<std::string> out;
    for (auto id : s.order) out.push_back(table->key(id).str());
    return out;
  }
  int owner(const Key& k) const { return s.owner[table->id_of(k)]; }
};

Planned plan_for(std::vector<Task> tasks, std::vector<Key> outputs, int nranks) {
  Planned p;
  p.graph = Graph(std::move(tasks));
  PersistedMap none;
  p.table = std::make_unique<TaskTable>(p.graph, outputs, none);
  p.s = plan(*p.table, none, nranks);
  return p;
}

// sum over n sources through a tree of pairwise combines
std::vector<Task> reduction(int n, std::uint64_t block_bytes) {
  std::vector<Task> tasks;
  for (int i = 0; i < n; ++i) tasks.push_back(task(Key("src", {i}), {}, block_bytes));
  int level = 0;
  for (int width = n; width > 1; width = (width + 1) / 2, ++level) {
    std::string below = level == 0 ? "src" : "sum" + std::to_string(level);
    for (int i = 0; i < (width + 1) / 2; ++i) {
      std::vector<Key> in = {Key(below, {2 * i})};
      if (2 * i + 1 < width) in.push_back(Key(below, {2 * i + 1}));
      tasks.push_back(task(Key("sum" + std::to_string(level + 1), {i}), in, 8));
    }
  }
  return tasks;
}

}  // namespace

TEST(Key, TextRoundTripAndHash) {
  Key k("sum-3f9a", {2, 0});
  EXPECT_EQ(k.str(), "sum-3f9a/2,0");
  EXPECT_EQ(Key::parse("sum-3f9a/2,0"), k);
  EXPECT_EQ(Key::parse("load"), Key("load"));
  EXPECT_EQ(k.hash(), Key("sum-3f9a", {2, 0}).hash());
  EXPECT_NE(k.hash(), Key("sum-3f9a", {0, 2}).hash());
  EXPECT_NE(Key("a", {1}), Key("a", {1, 0}));
  EXPECT_THROW(Key("a/b"), UsageError);
  EXPECT_THROW(Key::parse("a/1,x"), UsageError);
  EXPECT_EQ(kind_of_token("sum-3f9a01c2"), "sum");
  EXPECT_EQ(kind_of_token("read-hdf5"), "read-hdf5");
}

// Issue 25: indices beyond the few a Key holds inline (arrays of up to HDF5's 32 dimensions,
// plus the index an operation appends) behave like short ones, and the key stays small.
TEST(Key, LongIndicesUpToHdf5RankAndBeyond) {
  static_assert(sizeof(Key) == 40);
  for (std::size_t n :
       {std::size_t{6}, std::size_t{7}, std::size_t{32}, std::size_t{33}, Key::max_dims}) {
    std::vector<std::int64_t> idx(n), other(n);
    for (std::size_t a = 0; a < n; ++a) idx[a] = static_cast<std::int64_t>(a * 3 % 5);
    other = idx;
    other.back() += 1;
    const Key k("blk", idx);
    EXPECT_EQ(k.ndim(), n);
    EXPECT_EQ(k.index(n - 1), idx.back());
    EXPECT_TRUE(std::equal(idx.begin(), idx.end(), k.indices().begin(), k.indices().end()));
    EXPECT_EQ(Key("blk", idx), k);  // made again: equal, same hash
    EXPECT_EQ(Key("blk", idx).hash(), k.hash());
    EXPECT_NE(Key("blk", other), k);
    EXPECT_NE(Key("blk", other).hash(), k.hash());
    EXPECT_TRUE(k < Key("blk", other));
    EXPECT_EQ(Key::parse(k.str()), k);
    EXPECT_EQ(Key("other", idx).with_index(idx).str(), "other/" + k.str().substr(4));
  }
  EXPECT_NE(Key("a", std::vector<std::int64_t>(7, 0)), Key("a", std::vector<std::int64_t>(8, 0)));
  EXPECT_THROW(Key("a", std::vector<std::int64_t>(Key::max_dims + 1, 0)), UsageError);
}

TEST(Planner, TreeReductionRunsDepthFirst) {
  auto p = plan_for(reduction(8, 1000), {Key("sum3", {0})}, 1);
  // Each pair is combined as soon as both halves exist: never all sources first.
  EXPECT_EQ(p.order(), (std::vector<std::string>{"src/0", "src/1", "sum1/0", "src/2", "src/3",
                                                 "sum1/1", "sum2/0", "src/4", "src/5", "sum1/2",
                                                 "src/6", "src/7", "sum1/3", "sum2/1", "sum3/0"}));
}

TEST(Planner, DeeperInputFirst) {
  std::vector<Task> tasks = {task(Key("leaf")), task(Key("a")), task(Key("b"), {Key("a")}),
                             task(Key("c"), {Key("b")}), task(Key("top"), {Key("leaf"), Key("c")})};
  auto p = plan_for(std::move(tasks), {Key("top")}, 1);
  EXPECT_EQ(p.order(), (std::vector<std::string>{"a", "b", "c", "leaf", "top"}));
}

TEST(Planner, LinearChainsAreFused) {
  std::vector<Task> tasks = {task(Key("read", {0})), task(Key("scale", {0}), {Key("read", {0})}),
                             task(Key("shift", {0}), {Key("scale", {0})}), task(Key("read", {1})),
                             task(Key("add"), {Key("shift", {0}), Key("read", {1})})};
  auto p = plan_for(std::move(tasks), {Key("add")}, 2);
  auto order = p.order();
  ASSERT_EQ(order, (std::vector<std::string>{"read/0", "scale/0", "shift/0", "read/1", "add"}));
  EXPECT_EQ(p.s.fused, (std::vector<std::uint8_t>{0, 1, 1, 0, 0}));
  EXPECT_EQ(p.owner(Key("scale", {0})), p.owner(Key("read", {0})));
  EXPECT_EQ(p.owner(Key("shift", {0})), p.owner(Key("read", {0})));
}

TEST(Planner, SourcesAreDealtInContiguousRuns) {
  for (int nranks : {1, 2, 3, 4}) {
    std::vector<Task> tasks;
    std::vector<Key> outs;
    for (int i = 0; i < 12; ++i) {
      tasks.push_back(task(Key("src", {i}), {}, 1 << 20, 1e-3));
      outs.push_back(Key("src", {i}));
    }
    auto p = plan_for(std::move(tasks), outs, nranks);
    std::vector<int> owners;
    for (auto& k : outs) owners.push_back(p.owner(k));
    EXPECT_TRUE(std::is_sorted(owners.begin(), owners.end())) << nranks << " ranks";
    for (int r = 0; r < nranks; ++r)
      EXPECT_EQ(std::count(owners.begin(), owners.end(), r), 12 / nranks) << nranks << " ranks";
  }
}

TEST(Planner, BigInputsStayWhereTheyAre) {
  // Per-block work on 64 MiB blocks: moving a block costs more than waiting.
  std::vector<Task> tasks;
  std::vector<Key> outs;
  for (int i = 0; i < 8; ++i) {
    tasks.push_back(task(Key("read", {i}), {}, 64 << 20, 1e-2));
    tasks.push_back(
        task(Key("f", {i}), {Key("read", {i}), Key("read", {(i + 1) % 8})}, 64 << 20, 1e-3));
    outs.push_back(Key("f", {i}));
  }
  auto p = plan_for(std::move(tasks), outs, 2);
  for (int i = 0; i < 8; ++i) {
    int a = p.owner(Key("read", {i})), b = p.owner(Key("read", {(i + 1) % 8}));
    int f = p.owner(Key("f", {i}));
    EXPECT_TRUE(f == a || f == b) << "f/" << i;
  }
}

TEST(Planner, ExpensiveTasksOnSmallInputsSpreadOut) {
  // A grid search: 32 fits of a second each on one small shared input.
  std::vector<Task> tasks = {task(Key("data"), {}, 1 << 10)};
  std::vector<Key> outs;
  for (int i = 0; i < 32; ++i) {
    tasks.push_back(task(Key("fit", {i}), {Key("data")}, 64, 1.0));
    outs.push_back(Key("fit", {i}));
  }
  for (int nranks : {2, 3, 4}) {
    auto p = plan_for(tasks, outs, nranks);
    std::vector<int> per_rank(nranks, 0);
    for (auto& k : outs) ++per_rank[p.owner(k)];
    auto [lo, hi] = std::minmax_element(per_rank.begin(), per_rank.end());
    EXPECT_LE(*hi - *lo, 1) << nranks << " ranks";
  }
}

// (x + x.T).sum() over n x n blocks of 8 MiB: block (i, j) meets block (j, i). The pairs stay
// on the rank that read them, and the small partial sums are combined where they are made
// instead of on a rank that would sit idle waiting for them (ranks run in the global order).
TEST(Planner, TransposedPairsAndTheirPartialsStayTogether) {
  constexpr int n = 8;
  constexpr std::uint64_t block = 8 << 20;
  std::vector<Task> tasks;
  std::vector<Key> partials;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      tasks.push_back(task(Key("read", {i, j}), {}, block, 4e-3));
      tasks.push_back(task(Key("T", {i, j}), {Key("read", {j, i})}, block));
      tasks.push_back(
          task(Key("partial", {i, j}), {Key("read", {i, j}), Key("T", {i, j})}, 16, 2.5e-3));
      partials.push_back(Key("partial", {i, j}));
    }
  for (int g = 0; g < n; ++g)
    tasks.push_back(task(Key("combine", {g}),
                         std::vector<Key>(partials.begin() + g * n, partials.begin() + g * n + n),
                         16));
  std::vector<Key> groups;
  for (int g = 0; g < n; ++g) groups.push_back(Key("combine", {g}));
  tasks.push_back(task(Key("total"), groups, 16));
  for (int nranks : {2, 3, 4}) {
    auto p = plan_for(tasks, {Key("total")}, nranks);
    std::uint64_t moved = 0;
    for (std::uint32_t id = 0; id < p.table->size(); ++id)
      for (auto in : p.table->inputs(id))
        if (p.s.owner[in] != p.s.owner[id] && p.table->task(in)->nbytes == block) moved += block;
    // Blocks: at most the pairs cut by a boundary between two ranks' runs of reads.
    EXPECT_LE(moved, static_cast<std::uint64_t>(nranks - 1) * 2 * block) << nranks << " ranks";
    std::vector<int> reads(nranks, 0);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) ++reads[p.owner(Key("read", {i, j}))];
    EXPECT_LE(*std::max_element(reads.begin(), reads.end()) -
                  *std::min_element(reads.begin(), reads.end()),
              2)
        << nranks << " ranks";
  }
}

// A big shared input (256 MiB: 64 ms to send) read by 16 tasks of 50 ms: it is sent to each
// other rank once, however many tasks there read it, so the tasks spread evenly.
TEST(Planner, AValueIsSentToARankOnce) {
  std::vector<Task> tasks = {task(Key("model"), {}, std::uint64_t{256} << 20, 1e-3)};
  std::vector<Key> outs;
  for (int i = 0; i < 16; ++i) {
    tasks.push_back(task(Key("score", {i}), {Key("model")}, 64, 50e-3));
    outs.push_back(Key("score", {i}));
  }
  for (int nranks : {2, 4}) {
    auto p = plan_for(tasks, outs, nranks);
    std::vector<int> per_rank(nranks, 0);
    for (auto& k : outs) ++per_rank[p.owner(k)];
    auto [lo, hi] = std::minmax_element(per_rank.begin(), per_rank.end());
    EXPECT_LE(*hi - *lo, 3) << nranks << " ranks";
  }
}

TEST(Planner, CollectivesAreOwnedByAllParticipants) {
  std::vector<Task> tasks = {task(Key("a")), task(Key("b"))};
  Task c;
  c.key = Key("combine");
  c.inputs = {Key("a"), Key("b")};
  c.collective = collective_step([](const CollectiveInputs&) { return Value::of(0); });
  tasks.push_back(std::move(c));
  auto p = plan_for(std::move(tasks), {Key("combine")}, 3);
  EXPECT_EQ(p.owner(Key("combine")), Schedule::all_participants);
}

// Least-loaded placement over 4 ranks: a small input on rank 0, read by 1 s fits. The second fit
// goes to the least-loaded rank, the lowest of those equally free (ties go to the lower rank).
// A collective over all ranks then makes every rank wait for it, the idle ranks 2 and 3 too, so
// the next fits go to ranks 0, 1, 2, 3 in turn: all are equally free after it.
TEST(Planner, ACollectiveOverAllRanksLeavesThemEquallyFree) {
  std::vector<Task> tasks = {task(Key("data"), {}, 1 << 10)};
  tasks[0].placement = Placement::on_rank(0);
  for (int i = 0; i < 2; ++i) tasks.push_back(task(Key("fit", {i}), {Key("data")}, 64, 1.0));
  Task all = task(Key("all"), {Key("fit", {0}), Key("fit", {1})}, 64, 0.5);
  all.fn = nullptr;
  all.collective = collective_step([](const CollectiveInputs&) { return Value::of(0); });
  tasks.push_back(std::move(all));
  std::vector<Key> outs;
  for (int i = 0; i < 4; ++i) {
    tasks.push_back(task(Key("g", {i}), {Key("data"), Key("all")}, 64, 1.0));
    outs.push_back(Key("g", {i}));
  }
  auto p = plan_for(std::move(tasks), outs, 4);
  ASSERT_EQ(p.order(), (std::vector<std::string>{"data", "fit/1", "fit/0", "all", "g/0", "g/1",
                                                 "g/2", "g/3"}));
  EXPECT_EQ(p.owner(Key("fit", {1})), 0);
  EXPECT_EQ(p.owner(Key("fit", {0})), 1);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(p.owner(Key("g", {i})), i) << "g/" << i;
}
