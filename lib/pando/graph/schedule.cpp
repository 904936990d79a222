#include <pando/graph/schedule.hpp>

#include <pando/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <tuple>
#include <unordered_set>

namespace pando {

Residency::Residency(const TaskTable& table, const Schedule& s, const PersistedMap& persisted)
    : table_(table), where_(table.size()) {
  for (std::uint32_t id = 0; id < table.size(); ++id) {
    if (table.persisted(id)) {
      where_[id] = persisted.at(table.key(id)).rank;  // a rank, or every rank (-1)
    } else if (table.task(id)->is_collective()) {
      where_[id] = table.task(id)->collective->everyone() ? every_rank : participants;
    } else {
      where_[id] = s.owner[id];
    }
  }
}

bool Residency::participates(std::uint32_t collective, int rank) const {
  return table_.task(collective)->collective->includes(rank);
}

int Residency::first_participant(std::uint32_t collective) const {
  const auto& p = table_.task(collective)->collective->participants;
  return p.empty() ? 0 : p.front();
}

bool Residency::holds(std::uint32_t id, int rank) const {
  switch (where_[id]) {
    case every_rank:
      return true;
    case participants:
      return participates(id, rank);
    default:
      return where_[id] == rank;
  }
}

int Residency::first(std::uint32_t id) const {
  switch (where_[id]) {
    case every_rank:
      return 0;
    case participants:
      return first_participant(id);
    default:
      return where_[id];
  }
}

bool Residency::held_by_all(std::uint32_t id, std::uint32_t consumer) const {
  if (where_[id] == every_rank) return true;
  if (where_[id] != participants) return false;
  const auto& mine = table_.task(id)->collective;
  const auto& theirs = table_.task(consumer)->collective;
  if (mine->output != CollectiveOutput::replicated) return false;
  if (mine->everyone()) return true;
  if (theirs->everyone()) return false;
  return std::includes(mine->participants.begin(), mine->participants.end(),
                       theirs->participants.begin(), theirs->participants.end());
}

bool hands_in(const Residency& residency, std::uint32_t input, std::uint32_t consumer, int rank) {
  if (residency.held_by_all(input, consumer)) return residency.participates(consumer, rank);
  return contributor(residency, input, consumer) == rank;
}

int contributor(const Residency& residency, std::uint32_t input, std::uint32_t consumer) {
  // The lowest participant that holds the input hands it in; if none holds it, the lowest
  // participant receives it. Participant lists are short (a grid row) or empty (all ranks).
  if (residency.participates(consumer, residency.first(input)) &&
      residency.holds(input, residency.first(input)))
    return residency.first(input);
  return residency.first_participant(consumer);
}

LocalPlan derive_local_plan(const TaskTable& table, const Schedule& s,
                            const PersistedMap& persisted, int rank) {
  const std::uint32_t n = table.size();
  const Residency residency(table, s, persisted);
  LocalPlan plan;
  plan.uses.assign(n, 0);
  plan.keep.assign(n, 0);
  plan.position.assign(n, std::numeric_limits<std::uint32_t>::max());

  struct Send {
    std::uint32_t id;
    std::int32_t dest;
    std::uint32_t first_use;
    bool operator<(const Send& o) const { return std::tie(id, dest) < std::tie(o.id, o.dest); }
  };
  std::vector<Send> sends;
  std::unordered_set<std::uint64_t> transfers;  // (value, destination) pairs touching this rank

  for (std::uint32_t pos = 0; pos < s.order.size(); ++pos) {
    const std::uint32_t c = s.order[pos];
    plan.position[c] = pos;
    const Task& t = *table.task(c);
    const bool collective = t.is_collective();
    if (collective ? residency.participates(c, rank) : s.owner[c] == rank) {
      plan.run.push_back(c);
      plan.fused.push_back(s.fused[pos]);
    }
    for (std::uint32_t in : table.inputs(c)) {
      if (collective && residency.held_by_all(in, c)) {
        if (residency.participates(c, rank)) ++plan.uses[in];  // each participant's own copy
        continue;
      }
      const int dest = collective ? contributor(residency, in, c) : s.owner[c];
      if (residency.holds(in, dest)) {
        if (dest == rank) ++plan.uses[in];
        continue;
      }
      if (!table.persisted(in) && table.task(in)->is_collective() &&
          table.task(in)->collective->output == CollectiveOutput::per_rank)
        throw GraphError(fmt::format(
            "task '{}' on rank {} reads the per-rank output of collective task '{}', in which rank "
            "{} takes no part",
            table.key(c).str(), dest, table.key(in).str(), dest));
      const int from = residency.first(in);
      if (from != rank && dest != rank) continue;
      bool first_time =
          transfers.insert((std::uint64_t{in} << 32) | static_cast<std::uint32_t>(dest)).second;
      if (dest == rank) {
        if (first_time) {
          const std::uint64_t bytes =
              table.persisted(in) ? persisted.at(table.key(in)).nbytes : table.task(in)->nbytes;
          plan.receives.push_back({in, from, pos, bytes});
        }
        ++plan.uses[in];  // each local read of the received copy
      } else if (first_time) {
        sends.push_back({in, dest, pos});
        ++plan.uses[in];  // the send reads it
      }
    }
  }
  for (std::uint32_t out : table.outputs())
    if (residency.holds(out, rank)) plan.keep[out] = 1;

  std::sort(sends.begin(), sends.end());
  plan.send_begin.assign(n + 1, 0);
  for (const Send& t : sends) ++plan.send_begin[t.id + 1];
  for (std::uint32_t id = 0; id < n; ++id) plan.send_begin[id + 1] += plan.send_begin[id];
  plan.send_to.reserve(sends.size());
  plan.send_first_use.reserve(sends.size());
  for (const Send& t : sends) {
    plan.send_to.push_back(t.dest);
    plan.send_first_use.push_back(t.first_use);
  }
  return plan;
}

}  // namespace pando
