#include <pando/graph/runtime.hpp>

#include <pando/core/clock.hpp>
#include <pando/core/consensus.hpp>
#include <pando/core/log.hpp>
#include <pando/graph/detail/executor.hpp>
#include <pando/graph/detail/messenger.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace pando {

namespace {
std::vector<RuntimeHook>& runtime_hooks() {
  static std::vector<RuntimeHook> hooks;
  return hooks;
}
}  // namespace

void add_runtime_hook(RuntimeHook hook) { runtime_hooks().push_back(hook); }

Runtime& Runtime::current() {
  SessionBase& s = SessionBase::current();
  if (Runtime* r = s.find_extension<Runtime>()) return *r;
  Runtime& r = s.extension<Runtime>();
  // Once the runtime is in place: a hook may ask for it.
  for (RuntimeHook hook : runtime_hooks()) hook(r);
  return r;
}

Runtime::Runtime() {
  const SessionBase& s = SessionBase::current();
  rank_ = s.rank();
  size_ = s.size();
  control_ = s.comm().dup();
  p2p_ = s.comm().dup();
  tasks_ = s.comm().dup();
}

Runtime::~Runtime() = default;

void Runtime::add_observer(std::shared_ptr<Observer> o) { observers_.push_back(std::move(o)); }

void Runtime::remove_observer(const Observer* o) {
  std::erase_if(observers_, [o](const auto& p) { return p.get() == o; });
}

const Value* Runtime::persisted_value(const Key& key) const {
  auto it = persisted_values_.find(key);
  return it == persisted_values_.end() ? nullptr : &it->second;
}

void Runtime::release(std::span<const Key> keys) {
  for (const Key& k : keys) {
    persisted_.erase(k);
    persisted_values_.erase(k);
  }
}

namespace {
struct Pinned {
  explicit Pinned(std::vector<Key> k) : keys(std::move(k)) {}
  Pinned(const Pinned&) = delete;
  Pinned& operator=(const Pinned&) = delete;
  ~Pinned() {
    if (SessionBase* s = SessionBase::current_or_null())
      if (Runtime* r = s->find_extension<Runtime>()) r->release(keys);
  }
  std::vector<Key> keys;
};
}  // namespace

std::shared_ptr<const void> Runtime::pin(std::vector<Key> keys) {
  return std::make_shared<const Pinned>(std::move(keys));
}

// ---- step 2: the same graph everywhere ----

void Runtime::check_same_graph(const TaskTable* table,
                               const std::optional<ErrorRecord>& failure) const {
  // One allreduce: whether any rank failed, and the minimum of x and of ~x for the fingerprint
  // and size of the graph, which give their minimum and maximum.
  const std::uint64_t fp = table ? table->fingerprint() : 0, n = table ? table->size() : 0;
  const std::uint64_t mine[4] = {fp, ~fp, n, ~n};
  const auto lo = agree_on_failure_and_min(control_, failure, mine);
  if (lo[0] == ~lo[1] && lo[2] == ~lo[3]) return;
  explain_divergence(*table);
}

void Runtime::explain_divergence(const TaskTable& table) const {
  // Bisection over prefix hashes finds the first task where some rank differs: O(log n)
  // allreduces instead of shipping whole graphs around.
  const auto common = control_.allreduce<std::uint64_t>(table.size(), ReduceOp::min);
  auto prefixes_agree = [&](std::uint64_t n) {
    std::uint64_t h = table.prefix_hash(static_cast<std::uint32_t>(n));
    return control_.allreduce(h, ReduceOp::min) == control_.allreduce(h, ReduceOp::max);
  };
  std::uint64_t good = 0, bad = common + 1;  // prefixes of length `good` agree
  if (prefixes_agree(common)) {
    good = common;
  } else {
    bad = common;
    while (bad - good > 1) {
      auto mid = good + (bad - good) / 2;
      (prefixes_agree(mid) ? good : bad) = mid;
    }
  }
  // Task number `good` (0-based) is the first that differs, or is missing on some rank.
  const std::string mine = good < table.size() ? table.key(static_cast<std::uint32_t>(good)).str()
                                               : std::string("(no task)");
  Bytes bytes(reinterpret_cast<const std::byte*>(mine.data()),
              reinterpret_cast<const std::byte*>(mine.data() + mine.size()));
  auto all = control_.allgatherv(std::span<const std::byte>(bytes));
  std::map<std::string, std::vector<int>> variants;
  for (int r = 0; r < size_; ++r) {
    auto part = all.part(r);
    variants[std::string(reinterpret_cast<const char*>(part.data()), part.size())].push_back(r);
  }
  std::string detail;
  if (variants.size() == 1) {
    detail = fmt::format(
        "task #{} '{}' has different inputs, placement or collective participants on "
        "different ranks",
        good, variants.begin()->first);
  } else {
    std::vector<std::string> parts;
    for (auto& [key, ranks] : variants)
      parts.push_back(fmt::format("'{}' on rank{} {}", key, ranks.size() > 1 ? "s" : "",
                                  fmt::join(ranks, ",")));
    detail = fmt::format("task #{} is {}", good, fmt::join(parts, " but "));
  }
  throw GraphError(fmt::format(
      "the ranks built different task graphs: {}. Every rank must build the same graph (SPMD): "
      "look for code that depends on the rank before this computation",
      detail));
}

// ---- communicators of collective tasks ----

const Comm& Runtime::group_comm(const std::vector<int>& participants) {
  if (participants.empty()) return tasks_;
  auto it = groups_.find(participants);
  if (it != groups_.end()) {
    it->second.used = schedules_;
    return it->second.comm;
  }
  // Collective over all ranks: every rank derives the same schedule and asks in the same order,
  // so every rank also evicts the same group here (communicators are a finite resource: a long
  // job meeting many groups would run out of MPI context ids).
  if (groups_.size() >= group_limit_) {
    auto oldest = groups_.end();
    for (auto g = groups_.begin(); g != groups_.end(); ++g)
      if (g->second.used < schedules_ &&
          (oldest == groups_.end() || g->second.used < oldest->second.used))
        oldest = g;
    if (oldest != groups_.end()) groups_.erase(oldest);
  }
  bool in = std::binary_search(participants.begin(), participants.end(), rank_);
  auto [pos, fresh] =
      groups_.emplace(participants, Group{tasks_.split(in ? 0 : -1, rank_), schedules_});
  return pos->second.comm;
}

std::uint64_t Runtime::window_bytes() const {
  // A sixteenth of the budget for values received ahead of need, as much for sends in flight.
  return std::clamp<std::uint64_t>(SessionBase::current().memory_limit() / 16,
                                   std::uint64_t{16} << 20, std::uint64_t{1} << 30);
}

// ---- step 5: failures and results ----

std::optional<TaskFailure> Runtime::agree_on_failure(std::int64_t first, const TaskFailure& mine) {
  if (size_ == 1) return first == Executor::no_failure ? std::nullopt : std::optional(mine);
  auto [where, who] = control_.allreduce_minloc(static_cast<long>(first));
  if (where == Executor::no_failure) return std::nullopt;
  TaskFailure f = mine;
  broadcast(control_, f, who);
  return f;
}

Runtime::Delivered Runtime::deliver(const TaskTable& table, const Schedule& s,
                                    std::vector<Value>& store, Delivery delivery,
                                    std::size_t count) {
  const Residency residency(table, s, persisted_);
  Delivered d{{}, Executor::no_failure, {}};
  std::vector<Value>& out = d.values;
  out.reserve(count);
  // A result that cannot be sent (no codec for its type) or taken in (no memory) arrives as a
  // failure saying so: on every rank for the first, on the rank without memory for the second.
  auto check_sent = [&](std::uint32_t id, std::size_t index) {
    Value& v = out.back();
    if (!v.is_failure() || !v.failure().key.empty()) return;
    TaskFailure f = v.failure();
    f.key = table.key(id).str();
    f.rank = residency.first(id);
    f.position = s.order.size() + index;
    if (d.failed_at == Executor::no_failure) {
      d.failed_at = static_cast<std::int64_t>(f.position);
      d.failure = f;
    }
    v = Value::failure(std::move(f));
  };
  const auto outputs = table.outputs().first(count);
  for (auto id : outputs)
    if (table.persisted(id) && residency.holds(id, rank_))
      store[id] = *persisted_value(table.key(id));
  if (delivery == Delivery::everywhere) {
    // The results not yet on every rank, each from the lowest rank holding it: in one allgather
    // when they are small (the common case: a few reductions), whatever their number.
    std::vector<int> root(outputs.size(), -1);
    std::vector<std::size_t> counts(static_cast<std::size_t>(size_));
    std::vector<Value> mine;
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      bool everywhere = true;
      for (int r = 0; r < size_ && everywhere; ++r) everywhere = residency.holds(outputs[i], r);
      if (everywhere) continue;
      root[i] = residency.first(outputs[i]);
      ++counts[static_cast<std::size_t>(root[i])];
      if (root[i] == rank_) mine.push_back(store[outputs[i]]);
    }
    auto shared = Messenger::allgather(control_, mine, counts);
    std::vector<std::size_t> next(static_cast<std::size_t>(size_));
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      const auto r = static_cast<std::size_t>(root[i]);
      out.push_back(root[i] < 0 ? store[outputs[i]] : std::move(shared[r][next[r]++]));
      check_sent(outputs[i], i);
    }
  } else {
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      const auto id = outputs[i];
      if (delivery == Delivery::in_place) {
        out.push_back(residency.holds(id, rank_) ? store[id] : Value());
        continue;
      }
      const int from = residency.first(id);
      if (from == 0) {
        out.push_back(rank_ == 0 ? store[id] : Value());
      } else if (rank_ == 0 || rank_ == from) {
        // A broadcast among the two ranks involved would need a communicator; a plain
        // message does it.
        out.push_back(Messenger::transfer(control_, store[id], from, 0));
        check_sent(id, i);
        if (rank_ != 0) out.back() = Value();
      } else {
        out.push_back(Value());
      }
    }
  }
  // Results outlive the computation; host memory it borrowed does not (Buffer::borrow).
  for (Value& v : out) v = v.owned();
  return d;
}

// ---- the whole computation ----

std::vector<Value> Runtime::run(const Graph& graph, std::span<const Key> outputs, Delivery delivery,
                                std::span<const Key> finally) {
  stats_ = RunStats{};
  Stopwatch clock;
  // The finishing tasks come last among the outputs, so the depth-first order runs them last.
  std::vector<Key> wanted(outputs.begin(), outputs.end());
  wanted.insert(wanted.end(), finally.begin(), finally.end());
  // Every rank builds the table and derives the schedule from it: the planner is a pure
  // function of the graph, the persisted values and the cost model, which are alike on every
  // rank, so the schedules are alike without sending one. The allreduce that agrees on a failure
  // here also checks that the graphs are the same (a rank that built another graph planned
  // another schedule, and is named before anything runs).
  std::unique_ptr<TaskTable> table;
  Schedule schedule;
  LocalPlan local;
  double planning = 0;
  std::optional<ErrorRecord> failure;
  try {
    fault::point(fault::Point::agree);
    table = std::make_unique<TaskTable>(graph, wanted, persisted_);
    stats_.build = clock.seconds();
    clock.restart();
    schedule = plan(*table, persisted_, size_, cost_model_);
    local = derive_local_plan(*table, schedule, persisted_, rank_);
    planning = clock.seconds();
    // An observer that fails here (a picture it cannot draw) stops the computation before it
    // runs, on every rank alike: its error joins the planning's in the agreement below.
    for (const auto& o : observers_) o->schedule_planned(*table, schedule);
  } catch (const std::exception& e) {
    failure = ErrorRecord::of(e);
  }
  clock.restart();
  check_same_graph(table.get(), failure);
  // Transfers are tagged with task ids: a graph beyond the MPI's tag range is refused here, on
  // every rank alike, not by the first send that needs a large tag.
  if (size_ > 1 && table->size() > static_cast<std::size_t>(p2p_.max_tag()) + 1)
    throw GraphError(fmt::format(
        "this graph has {} tasks, and this MPI tags messages up to {} only: compute it in parts",
        table->size(), p2p_.max_tag()));
  stats_.tasks = table->size();
  stats_.plan = planning;
  const Residency residency(*table, schedule, persisted_);
  ++schedules_;
  for (auto id : schedule.order)
    if (table->task(id)->is_collective())
      (void)group_comm(table->task(id)->collective->participants);
  stats_.share = clock.seconds();
  output_positions_.clear();
  for (auto id : table->outputs().first(outputs.size()))
    output_positions_.push_back(local.position[id]);

  clock.restart();
  std::vector<Value> store(table->size());
  for (std::uint32_t id = 0; id < table->size(); ++id)
    if (table->persisted(id))
      if (const Value* v = persisted_value(table->key(id))) store[id] = *v;
  ExecutionContext ctx{*table,
                       schedule,
                       local,
                       residency,
                       p2p_,
                       [&](std::uint32_t id) -> const Comm& {
                         return group_comm(table->task(id)->collective->participants);
                       },
                       observers_,
                       rank_,
                       schedules_,
                       window_bytes()};
  Executor executor(std::move(ctx), store);
  try {
    executor.run();
  } catch (const std::exception& e) {
    // Only MPI itself failing gets here (everything else flows as data): the ranks can no longer
    // agree on anything, so the job stops rather than hang.
    control_.abort(fmt::format("the task runtime lost contact with other ranks: {}", e.what()));
  }
  stats_.execute = clock.seconds();

  clock.restart();
  // Results go out first, failed ones as their failures; then one agreement covers the tasks'
  // failures and the deliveries' (which come after every task in the global order).
  Delivered delivered = deliver(*table, schedule, store, delivery, outputs.size());
  const bool task_failed = executor.first_failure() != Executor::no_failure;
  last_failure_ =
      agree_on_failure(task_failed ? executor.first_failure() : delivered.failed_at,
                       task_failed ? executor.first_failure_record() : delivered.failure);
  stats_.deliver = clock.seconds();
  return std::move(delivered.values);
}

std::vector<Value> Runtime::compute(const Graph& graph, std::span<const Key> outputs,
                                    Delivery delivery, std::span<const Key> finally) {
  auto values = run(graph, outputs, delivery, finally);
  if (last_failure_) {
    const TaskFailure& f = *last_failure_;
    throw TaskError(f.key, f.rank, f.error.kind, f.error.message);
  }
  return values;
}

void Runtime::persist(const Graph& graph, std::span<const Key> outputs,
                      std::span<const Key> finally) {
  auto values = compute(graph, outputs, Delivery::in_place, finally);
  // Where each result lives: the same record on every rank, from what every rank knows.
  std::vector<std::uint8_t> here(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) here[i] = !values[i].empty();
  std::vector<std::uint8_t> everywhere(here.size());
  control_.allreduce(std::span<const std::uint8_t>(here), std::span<std::uint8_t>(everywhere),
                     ReduceOp::min);
  std::vector<std::int32_t> owner(here.size()), lowest(here.size());
  for (std::size_t i = 0; i < here.size(); ++i) owner[i] = here[i] ? rank_ : size_;
  control_.allreduce(std::span<const std::int32_t>(owner), std::span<std::int32_t>(lowest),
                     ReduceOp::min);
  // Sizes too, the largest: every rank plans the next graphs with them alike (owner-computes
  // weighs input bytes).
  std::vector<std::uint64_t> size(here.size()), largest(here.size());
  for (std::size_t i = 0; i < here.size(); ++i) size[i] = here[i] ? values[i].nbytes() : 0;
  control_.allreduce(std::span<const std::uint64_t>(size), std::span<std::uint64_t>(largest),
                     ReduceOp::max);
  for (std::size_t i = 0; i < values.size(); ++i) {
    Residence r{everywhere[i] ? Residence::every_rank : lowest[i], largest[i]};
    persisted_[outputs[i]] = r;
    if (here[i] && (everywhere[i] || lowest[i] == rank_))
      persisted_values_[outputs[i]] = values[i].owned();  // host memory is borrowed for a run
  }
}

}  // namespace pando
