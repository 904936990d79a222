#include <pando/graph/planner.hpp>

#include <pando/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <unordered_set>

namespace pando {

namespace {

struct Consumers {
  std::vector<std::uint32_t> begin;  // CSR over ids
  std::vector<std::uint32_t> ids;
  [[nodiscard]] std::uint32_t count(std::uint32_t id) const { return begin[id + 1] - begin[id]; }
};

Consumers consumers_of(const TaskTable& t) {
  Consumers c;
  const auto n = t.size();
  c.begin.assign(n + 1, 0);
  for (std::uint32_t id = 0; id < n; ++id)
    for (auto in : t.inputs(id)) ++c.begin[in + 1];
  for (std::uint32_t id = 0; id < n; ++id) c.begin[id + 1] += c.begin[id];
  c.ids.resize(c.begin[n]);
  auto fill = c.begin;
  for (std::uint32_t id = 0; id < n; ++id)
    for (auto in : t.inputs(id)) c.ids[fill[in]++] = id;
  return c;
}

// Longest chain of tasks still to run below each task (persisted values count 0). Ids are
// topologically sorted, so one pass suffices.
std::vector<std::uint32_t> depths(const TaskTable& t) {
  std::vector<std::uint32_t> d(t.size(), 0);
  for (std::uint32_t id = 0; id < t.size(); ++id) {
    if (t.persisted(id)) continue;
    std::uint32_t m = 0;
    for (auto in : t.inputs(id)) m = std::max(m, d[in]);
    d[id] = m + 1;
  }
  return d;
}

// Whether every rank holds the value of `id` (a replicated collective output).
bool everywhere(const TaskTable& t, std::uint32_t id) {
  if (t.persisted(id)) return false;  // where a persisted value lives is the placer's business
  const Task& task = *t.task(id);
  return task.is_collective() && task.collective->everyone() &&
         task.collective->output == CollectiveOutput::replicated;
}

// The global priority order: depth-first post-order from the outputs, deepest input first
// (ties keep the inputs' own order, which for collections is chunk order), and, as soon as a
// task is placed in the order, every task it makes ready runs next: a value read for one
// consumer is used by its other consumers right away and freed, instead of waiting for the
// walk to reach them (x + x.T: block (j, i) is read for (i, j) and used at once for (j, i)).
// Sources are never pulled in early (tasks without inputs, or whose inputs every rank holds,
// like the blocks read from an open file): they start only when the walk needs them. Neither
// are requested outputs, which keeps the tasks that close files last.
std::vector<std::uint32_t> global_order(const TaskTable& t, const Consumers& cons,
                                        const std::vector<std::uint32_t>& depth) {
  // Each task's inputs, deepest first, in one flat array (CSR).
  const auto n = t.size();
  std::vector<std::uint32_t> begin(n + 1, 0), kids;
  for (std::uint32_t id = 0; id < n; ++id) {
    auto in = t.inputs(id);
    begin[id] = static_cast<std::uint32_t>(kids.size());
    kids.insert(kids.end(), in.begin(), in.end());
    if (in.size() > 1)
      std::stable_sort(kids.begin() + begin[id], kids.end(),
                       [&](std::uint32_t a, std::uint32_t b) { return depth[a] > depth[b]; });
  }
  begin[n] = static_cast<std::uint32_t>(kids.size());

  // Inputs each task still waits for (persisted values exist already).
  std::vector<std::uint32_t> waiting(n, 0);
  for (std::uint32_t id = 0; id < n; ++id)
    for (auto in : t.inputs(id))
      if (!t.persisted(in)) ++waiting[id];

  // Tasks the walk alone places: outputs and sources.
  std::vector<std::uint8_t> walk_only(n, 0);
  for (auto out : t.outputs()) walk_only[out] = 1;
  for (std::uint32_t id = 0; id < n; ++id) {
    if (t.persisted(id)) continue;
    bool source = true;
    for (auto in : t.inputs(id)) source = source && everywhere(t, in);
    walk_only[id] |= source;
  }

  std::vector<std::uint32_t> order;
  order.reserve(n);
  std::vector<std::uint8_t> seen(n, 0);
  std::vector<std::uint32_t> ready;
  auto emit = [&](std::uint32_t id) {
    ready.push_back(id);
    while (!ready.empty()) {
      const auto e = ready.back();
      ready.pop_back();
      order.push_back(e);
      for (std::uint32_t k = cons.begin[e]; k < cons.begin[e + 1]; ++k) {
        const auto c = cons.ids[k];
        if (--waiting[c] == 0 && !seen[c] && !t.persisted(c) && !walk_only[c]) {
          seen[c] = 1;
          ready.push_back(c);
        }
      }
    }
  };
  struct Frame {
    std::uint32_t id;
    std::uint32_t next;  // index into kids
  };
  std::vector<Frame> stack;
  for (auto out : t.outputs()) {
    if (seen[out] || t.persisted(out)) continue;
    seen[out] = 1;
    stack.push_back({out, begin[out]});
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next < begin[f.id + 1]) {
        auto k = kids[f.next++];
        if (!seen[k] && !t.persisted(k)) {
          seen[k] = 1;
          stack.push_back({k, begin[k]});
        }
        continue;
      }
      // A task on the walk's path runs when the walk returns to it: its inputs are all placed.
      const auto id = f.id;
      stack.pop_back();
      emit(id);
    }
  }
  return order;
}

bool fusable_pair(const TaskTable& t, const Consumers& cons, std::uint32_t producer,
                  std::uint32_t consumer, const std::vector<std::uint8_t>& is_output) {
  if (t.persisted(producer) || is_output[producer]) return false;
  const Task& p = *t.task(producer);
  const Task& c = *t.task(consumer);
  auto in = t.inputs(consumer);
  return in.size() == 1 && in[0] == producer && cons.count(producer) == 1 && p.fusable &&
         c.fusable && !p.is_collective() && !c.is_collective() &&
         c.placement.kind == Placement::Kind::anywhere;
}

// When each rank is next free, for list scheduling: raised one rank at a time by the tasks placed
// there, or all at once by a collective over every rank. A scan over the ranks for the earliest
// one, once per task, would make planning cost tasks x ranks; a heap makes it tasks x log ranks.
class RankClock {
 public:
  explicit RankClock(int nranks) : own_(static_cast<std::size_t>(nranks), 0.0) {}

  [[nodiscard]] double at(int r) const { return std::max(floor_, own_[slot(r)]); }
  // When the busiest rank is free.
  [[nodiscard]] double latest() const { return latest_; }

  // Rank r is busy until t (no earlier than at(r): a rank's time only moves forward).
  void raise(int r, double t) {
    own_[slot(r)] = t;
    latest_ = std::max(latest_, t);
    if (t <= floor_) return;  // still free at the floor, with the ranks untouched since it rose
    if (heap_.size() > 2 * own_.size()) rebuild();
    heap_.emplace_back(t, r);
    std::push_heap(heap_.begin(), heap_.end(), std::greater<>{});
  }

  // Every rank is busy until t (no earlier than latest()), in one step: a collective over all
  // ranks would otherwise cost a step per rank.
  void raise_all(double t) {
    floor_ = latest_ = t;
    heap_.clear();
    lowest_at_floor_ = 0;
  }

  // The rank free first; of ranks free at the same time, the lowest.
  [[nodiscard]] int earliest() {
    // Ranks at the floor are free before all others (the heap holds those above it). Within one
    // floor, ranks only leave it, so this scan passes each rank once.
    const auto n = static_cast<int>(own_.size());
    while (lowest_at_floor_ < n && own_[slot(lowest_at_floor_)] > floor_) ++lowest_at_floor_;
    if (lowest_at_floor_ < n) return lowest_at_floor_;
    // Entries left behind by a later raise of their rank are skipped.
    while (heap_.front().first != own_[slot(heap_.front().second)]) {
      std::pop_heap(heap_.begin(), heap_.end(), std::greater<>{});
      heap_.pop_back();
    }
    return heap_.front().second;
  }

 private:
  static std::size_t slot(int r) { return static_cast<std::size_t>(r); }

  // One entry per rank above the floor: drops the stale ones, which would otherwise pile up
  // (a rank raised again leaves its old entry behind) and make the heap deeper than log ranks.
  // It runs after at least `ranks` pushes, so its O(ranks) is O(1) per push.
  void rebuild() {
    heap_.clear();
    for (std::size_t r = 0; r < own_.size(); ++r)
      if (own_[r] > floor_) heap_.emplace_back(own_[r], static_cast<int>(r));
    std::make_heap(heap_.begin(), heap_.end(), std::greater<>{});
  }

  std::vector<double> own_;  // per rank: the end of its last task, if after the floor
  double floor_ = 0;         // when the last collective over all ranks ends
  double latest_ = 0;
  int lowest_at_floor_ = 0;  // no rank below it is still at the floor
  // (time, rank), earliest first (the lowest rank among equal times): every rank above the
  // floor at its current time, and entries left behind by later raises.
  std::vector<std::pair<double, int>> heap_;
};

// List scheduling over the global order (see planner.hpp).
class Placer {
 public:
  Placer(const TaskTable& t, const PersistedMap& persisted, int nranks, const CostModel& model,
         Schedule& s)
      : t_(t),
        persisted_(persisted),
        p_(nranks),
        model_(model),
        s_(s),
        clock_(nranks),
        finish_(t.size(), 0.0),
        received_count_(t.size(), 0) {}

  void place_all() {
    const auto& order = s_.order;
    // Chains: total cost per head, and the total cost of all source chains.
    std::vector<double> chain_cost(order.size(), 0.0);
    double source_total = 0;
    for (std::size_t pos = order.size(); pos-- > 0;) {
      chain_cost[pos] += t_.task(order[pos])->cost;
      if (s_.fused[pos]) chain_cost[pos - 1] += chain_cost[pos];
    }
    for (std::size_t pos = 0; pos < order.size(); ++pos)
      if (!s_.fused[pos] && is_source(order[pos])) source_total += chain_cost[pos];

    double source_done = 0;
    for (std::size_t pos = 0; pos < order.size(); ++pos) {
      const auto id = order[pos];
      const Task& task = *t_.task(id);
      if (s_.fused[pos]) {
        follow(id, order[pos - 1]);
      } else if (task.is_collective()) {
        place_collective(id, task);
      } else if (task.placement.kind != Placement::Kind::anywhere) {
        put(id, hinted_rank(id, task), chain_cost[pos]);
      } else if (is_source(id)) {
        // Contiguous runs of sources per rank, balanced by cost.
        double mid = source_done + chain_cost[pos] / 2;
        int r = source_total > 0 ? static_cast<int>(mid / source_total * p_) : 0;
        source_done += chain_cost[pos];
        put(id, std::clamp(r, 0, p_ - 1), chain_cost[pos]);
      } else {
        put(id, earliest_finish_rank(id, chain_cost[pos]), chain_cost[pos]);
      }
    }
  }

 private:
  [[nodiscard]] std::uint64_t bytes_of(std::uint32_t id) const {
    std::uint64_t b = t_.persisted(id) ? persisted_.at(t_.key(id)).nbytes : t_.task(id)->nbytes;
    return b ? b : model_.small_value_bytes;
  }

  // Whether rank r will hold the value of `id` (placed already).
  [[nodiscard]] bool holds(std::uint32_t id, int r) const {
    if (t_.persisted(id)) {
      auto rank = persisted_.at(t_.key(id)).rank;
      return rank == Residence::every_rank || rank == r;
    }
    const Task& task = *t_.task(id);
    if (task.is_collective()) return task.collective->includes(r);
    return s_.owner[id] == r;
  }

  // Whether rank r will hold the value of `id` when a task placed now reads it: it made it,
  // or it received it for an earlier task.
  [[nodiscard]] bool has(std::uint32_t id, int r) const {
    return holds(id, r) || received_.count(received_key(id, r)) != 0;
  }
  [[nodiscard]] std::uint64_t received_key(std::uint32_t id, int r) const {
    return std::uint64_t{id} * static_cast<std::uint64_t>(p_) + static_cast<std::uint64_t>(r);
  }

  // The lowest rank that holds the value of `id` (placed already), or -1 if none does.
  [[nodiscard]] int first_holder(std::uint32_t id) const {
    if (t_.persisted(id)) {
      const auto rank = persisted_.at(t_.key(id)).rank;
      if (rank == Residence::every_rank) return 0;
      return rank < p_ ? rank : -1;
    }
    const Task& task = *t_.task(id);
    if (!task.is_collective()) return s_.owner[id];
    return task.collective->everyone() ? 0 : task.collective->participants.front();
  }

  // How many ranks hold the value of `id`: made there, or received for an earlier task.
  [[nodiscard]] std::size_t holder_count(std::uint32_t id) const {
    const auto all = static_cast<std::size_t>(p_);
    std::size_t made = 1;
    if (t_.persisted(id)) {
      const auto rank = persisted_.at(t_.key(id)).rank;
      if (rank == Residence::every_rank) made = all;
      if (rank >= p_) made = 0;
    } else if (const auto& step = t_.task(id)->collective) {
      made = step->everyone() ? all : step->participants.size();
    }
    return made + received_count_[id];
  }

  // Whether every participant of a collective has the value of `id`. Counting holders settles
  // it without a look at each participant, except when a few ranks hold it and a list of as
  // few participants might be among them.
  [[nodiscard]] bool all_have(std::uint32_t id, const CollectiveStep& step) const {
    const auto count = holder_count(id);
    if (count == static_cast<std::size_t>(p_)) return true;
    if (step.everyone() || count < step.participants.size()) return false;
    return std::all_of(step.participants.begin(), step.participants.end(),
                       [&](int r) { return has(id, r); });
  }

  [[nodiscard]] bool replicated_everywhere(std::uint32_t id) const {
    if (t_.persisted(id)) return persisted_.at(t_.key(id)).rank == Residence::every_rank;
    const Task& task = *t_.task(id);
    return task.is_collective() && task.collective->everyone() &&
           task.collective->output == CollectiveOutput::replicated;
  }

  // A task that can run anywhere at no transfer cost.
  [[nodiscard]] bool is_source(std::uint32_t id) const {
    const Task& task = *t_.task(id);
    if (task.is_collective() || task.placement.kind != Placement::Kind::anywhere) return false;
    for (auto in : t_.inputs(id))
      if (!replicated_everywhere(in)) return false;
    return true;
  }

  [[nodiscard]] double transfer_time(std::uint32_t in) const {
    return model_.latency + static_cast<double>(bytes_of(in)) / model_.bandwidth;
  }

  [[nodiscard]] double ready_on(std::uint32_t id, int r) const {
    double ready = 0;
    for (auto in : t_.inputs(id)) {
      double arrive = finish_[in];
      if (!has(in, r)) arrive += transfer_time(in);
      ready = std::max(ready, arrive);
    }
    return ready;
  }

  // The rank that sends input `in` to another: its owner (none for a collective's output).
  [[nodiscard]] int sender_of(std::uint32_t in) const {
    if (t_.persisted(in)) return persisted_.at(t_.key(in)).rank;
    return t_.task(in)->is_collective() ? -1 : s_.owner[in];
  }

  // Time the senders of the inputs that rank r lacks spend sending them.
  [[nodiscard]] double sending_time(std::uint32_t id, int r) const {
    double busy = 0;
    for (auto in : t_.inputs(id))
      if (!has(in, r) && sender_of(in) >= 0) busy += transfer_time(in);
    return busy;
  }

  int earliest_finish_rank(std::uint32_t id, double cost) {
    candidates_.clear();
    for (auto in : t_.inputs(id)) {
      if (t_.persisted(in)) {
        auto rank = persisted_.at(t_.key(in)).rank;
        if (rank >= 0) candidates_.push_back(rank);
      } else if (!t_.task(in)->is_collective()) {
        candidates_.push_back(s_.owner[in]);
      }
    }
    candidates_.push_back(clock_.earliest());
    std::sort(candidates_.begin(), candidates_.end());
    candidates_.erase(std::unique(candidates_.begin(), candidates_.end()), candidates_.end());
    int best = candidates_.front();
    double best_finish = std::numeric_limits<double>::infinity();
    for (int r : candidates_) {
      // A rank runs its tasks in the global order: time it would wait here for the inputs is
      // time all its later tasks wait too, so it counts twice.
      const double start = std::max(clock_.at(r), ready_on(id, r));
      const double idle = start - clock_.at(r);
      const double f = start + idle + cost + sending_time(id, r);
      if (f < best_finish) {  // ties: the lower rank (candidates are sorted)
        best_finish = f;
        best = r;
      }
    }
    return best;
  }

  int hinted_rank(std::uint32_t id, const Task& task) {
    if (task.placement.kind == Placement::Kind::rank) {
      int r = task.placement.value;
      if (r < 0 || r >= p_)
        throw GraphError(fmt::format("task '{}' asks for rank {}, but the job has {} ranks",
                                     t_.key(id).str(), r, p_));
      return r;
    }
    // Beside an input: the lowest rank holding it.
    auto inputs = t_.inputs(id);
    auto k = static_cast<std::size_t>(task.placement.value);
    if (k >= inputs.size())
      throw GraphError(fmt::format("task '{}' asks to run beside its input #{}, but it has {}",
                                   t_.key(id).str(), k, inputs.size()));
    const int r = first_holder(inputs[k]);
    return r >= 0 ? r : clock_.earliest();
  }

  void put(std::uint32_t id, int r, double cost) {
    s_.owner[id] = r;
    // Each value is sent to a rank once, however many of its tasks there read it.
    for (auto in : t_.inputs(id)) {
      const int from = sender_of(in);
      if (from < 0 || has(in, r)) continue;
      clock_.raise(from, std::max(clock_.at(from), finish_[in]) + transfer_time(in));
      received_.insert(received_key(in, r));
      ++received_count_[in];
    }
    double start = std::max(clock_.at(r), ready_on(id, r));
    // The chain's whole cost is charged at its head; followers add nothing more.
    finish_[id] = start + cost;
    clock_.raise(r, finish_[id]);
  }

  void follow(std::uint32_t id, std::uint32_t prev) {
    s_.owner[id] = s_.owner[prev];
    finish_[id] = finish_[prev];
  }

  // A collective starts when all its participants are free and hold its inputs. For one over
  // every rank, both come without a look at each rank: the busiest rank's time, and per input,
  // a transfer after it is made unless every rank has it.
  void place_collective(std::uint32_t id, const Task& task) {
    const CollectiveStep& step = *task.collective;
    for (int r : step.participants)
      if (r < 0 || r >= p_)
        throw GraphError(fmt::format("collective task '{}' names rank {}, but the job has {} ranks",
                                     t_.key(id).str(), r, p_));
    s_.owner[id] = Schedule::all_participants;
    double start = 0;
    for (auto in : t_.inputs(id))
      start = std::max(start, finish_[in] + (all_have(in, step) ? 0 : transfer_time(in)));
    if (step.everyone()) {
      finish_[id] = std::max(start, clock_.latest()) + task.cost;
      clock_.raise_all(finish_[id]);
      return;
    }
    for (int r : step.participants) start = std::max(start, clock_.at(r));
    finish_[id] = start + task.cost;
    for (int r : step.participants) clock_.raise(r, finish_[id]);
  }

  const TaskTable& t_;
  const PersistedMap& persisted_;
  int p_;
  CostModel model_;
  Schedule& s_;
  RankClock clock_;             // per rank: when its last placed task ends
  std::vector<double> finish_;  // per id: when it ends
  std::vector<int> candidates_;
  std::unordered_set<std::uint64_t> received_;  // (id, rank) pairs sent there already
  std::vector<std::uint32_t> received_count_;   // per id: ranks it was sent to
};

}  // namespace

Schedule plan(const TaskTable& table, const PersistedMap& persisted, int nranks,
              const CostModel& model) {
  Schedule s;
  s.nranks = nranks;
  s.fingerprint = table.fingerprint();
  const Consumers cons = consumers_of(table);
  s.order = global_order(table, cons, depths(table));
  s.owner.assign(table.size(), Schedule::all_participants);
  for (std::uint32_t id = 0; id < table.size(); ++id)
    if (table.persisted(id)) s.owner[id] = persisted.at(table.key(id)).rank;

  std::vector<std::uint8_t> is_output(table.size(), 0);
  for (auto out : table.outputs()) is_output[out] = 1;
  s.fused.assign(s.order.size(), 0);
  for (std::size_t pos = 1; pos < s.order.size(); ++pos)
    s.fused[pos] = fusable_pair(table, cons, s.order[pos - 1], s.order[pos], is_output);

  Placer(table, persisted, nranks, model, s).place_all();
  return s;
}

}  // namespace pando
