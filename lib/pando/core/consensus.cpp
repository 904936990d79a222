#include <pando/core/consensus.hpp>

#include <fmt/format.h>

#include <chrono>
#include <thread>

namespace pando {

ErrorRecord ErrorRecord::of(const std::exception& e) {
  ErrorRecord r;
  r.kind = kind_of(e);
  r.message = e.what();
  if (const auto* t = dynamic_cast<const TaskError*>(&e)) {
    r.task_key = t->key();
    r.task_rank = t->rank();
    r.task_cause = t->cause();
    r.message = t->message();
  }
  return r;
}

void ErrorRecord::raise() const {
  if (kind == ErrorKind::task) throw TaskError(task_key, task_rank, task_cause, message);
  throw_error(kind, message);
}

namespace detail {

Bytes outcome_failure(const ErrorRecord& failure) {
  Bytes out{std::byte{1}};
  to_bytes(failure, out);
  return out;
}

Bytes share_outcome(const Comm& comm, Bytes outcome, int root) {
  if (comm.size() > 1) comm.bcast_vector(outcome, root);
  if (outcome.empty() || outcome[0] == std::byte{0}) return outcome;
  from_bytes<ErrorRecord>(std::span<const std::byte>(outcome).subspan(1)).raise();
}

}  // namespace detail

void agree_on_failure(const Comm& comm, const std::optional<ErrorRecord>& failure) {
  if (comm.size() == 1) {
    if (failure) failure->raise();
    return;
  }
  const int none = comm.size();
  int first = comm.allreduce(failure ? comm.rank() : none, ReduceOp::min);
  if (first == none) return;
  ErrorRecord r = failure.value_or(ErrorRecord{});
  broadcast(comm, r, first);
  r.raise();
}

std::vector<std::uint64_t> agree_on_failure_and_min(const Comm& comm,
                                                    const std::optional<ErrorRecord>& failure,
                                                    std::span<const std::uint64_t> values) {
  std::vector<std::uint64_t> mine(values.size() + 1), low(values.size() + 1);
  const auto none = static_cast<std::uint64_t>(comm.size());
  mine[0] = failure ? static_cast<std::uint64_t>(comm.rank()) : none;
  std::copy(values.begin(), values.end(), mine.begin() + 1);
  if (comm.size() == 1)
    low = mine;
  else
    comm.allreduce(std::span<const std::uint64_t>(mine), std::span<std::uint64_t>(low),
                   ReduceOp::min);
  if (low[0] != none) {
    ErrorRecord r = failure.value_or(ErrorRecord{});
    if (comm.size() > 1) broadcast(comm, r, static_cast<int>(low[0]));
    r.raise();
  }
  low.erase(low.begin());
  return low;
}

int end_together(const Comm& comm, bool failed, std::string_view why, double patience) {
  const int mine = failed ? comm.rank() : comm.size();
  int first = mine;
  Request done = comm.iallreduce(mine, first, ReduceOp::min);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(patience);
  while (!done.test()) {
    if (failed && std::chrono::steady_clock::now() > deadline)
      comm.abort(fmt::format("{} (the other ranks did not stop with this error within {:.0f} s)",
                             why, patience));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return first;
}

}  // namespace pando
