#include <pando/graph/detail/executor.hpp>

#include <pando/core/error.hpp>
#include <pando/core/fault.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace pando {

namespace {
// Values received ahead of need, at most: enough to keep the network busy while tasks run, few
// enough that prefetched values do not crowd memory (by count here, by bytes in the context).
constexpr std::size_t receive_window = 64;
}  // namespace

template <class F>
void Executor::notify(F&& f) {
  for (auto& o : ctx_.observers) {
    try {
      f(*o);
    } catch (const std::exception& e) {
      fail_here(e);
    }
  }
}

Executor::Executor(ExecutionContext ctx, std::vector<Value>& store)
    : ctx_(std::move(ctx)), store_(store), uses_(ctx_.plan.uses) {}

double Executor::now() const { return clock_.seconds(); }

void Executor::post_receives() {
  const auto& receives = ctx_.plan.receives;
  // Received values whose first reader has run count no more.
  while (consumed_ < next_receive_ && receives[consumed_].first_use < position_)
    ahead_bytes_ -= receives[consumed_++].bytes;
  auto room = [&](const LocalPlan::Receive& r) {
    // What the running task reads is always let in, however large.
    if (r.first_use <= position_ || next_receive_ == consumed_) return true;
    return next_receive_ - consumed_ < receive_window &&
           ahead_bytes_ + r.bytes <= ctx_.window_bytes;
  };
  while (next_receive_ < receives.size() && room(receives[next_receive_])) {
    const auto& r = receives[next_receive_++];
    ahead_bytes_ += r.bytes;
    messenger_->expect(r.id, r.from);
  }
}

void Executor::absorb() {
  for (auto& a : arrived_) {
    if (a.error) {
      // Received in full but not taken in: the value's readers here see why.
      TaskFailure f{std::move(*a.error), ctx_.table.key(a.tag).str(), ctx_.rank,
                    ctx_.plan.position[a.tag]};
      note_failure(f);
      a.value = Value::failure(std::move(f));
    }
    held_ += a.value.nbytes();
    store_[a.tag] = std::move(a.value);
    notify([&](Observer& o) { o.value_received({a.from, a.tag, a.bytes, now()}); });
  }
  arrived_.clear();
}

void Executor::wait_for(std::uint32_t id) {
  while (store_[id].empty()) {
    post_receives();
    if (messenger_->receives_pending() == 0) {
      // A planning error: the readers of the value fail with it instead of waiting forever.
      const GraphError e(fmt::format("internal error: rank {} waits for '{}', which nobody sends",
                                     ctx_.rank, ctx_.table.key(id).str()));
      store_[id] = failure_of(id, e);
      return;
    }
    messenger_->progress(true, arrived_);
    absorb();
  }
}

void Executor::throttle() {
  // Sends whose readers come before this position complete without anything this rank has still
  // to make, so waiting for them cannot deadlock; later readers are not waited for.
  while (messenger_->bytes_in_flight() > ctx_.window_bytes &&
         messenger_->earliest_use_in_flight() < position_) {
    post_receives();
    messenger_->progress(true, arrived_);
    absorb();
  }
}

void Executor::release(std::uint32_t id) {
  if (ctx_.table.persisted(id) || ctx_.plan.keep[id]) return;
  held_ -= std::min(held_, store_[id].nbytes());
  store_[id] = Value();
}

void Executor::release_inputs(std::uint32_t id) {
  const bool collective = ctx_.table.task(id)->is_collective();
  for (auto in : ctx_.table.inputs(id)) {
    if (collective && !hands_in(ctx_.residency, in, id, ctx_.rank)) continue;
    if (--uses_[in] == 0) release(in);
  }
}

void Executor::note_failure(const TaskFailure& f) {
  if (static_cast<std::int64_t>(f.position) >= first_failure_) return;
  first_failure_ = f.position;
  first_record_ = f;
}

Value Executor::failure_of(std::uint32_t id, const std::exception& e) {
  TaskFailure f{ErrorRecord::of(e), ctx_.table.key(id).str(), ctx_.rank, ctx_.plan.position[id]};
  note_failure(f);
  return Value::failure(std::move(f));
}

void Executor::fail_here(const std::exception& e) {
  const std::uint32_t id = ctx_.schedule.order.empty() ? 0 : ctx_.schedule.order[position_];
  note_failure({ErrorRecord::of(e), ctx_.table.key(id).str(), ctx_.rank, position_});
}

Value Executor::run_plain(std::uint32_t id) {
  const Task& task = *ctx_.table.task(id);
  args_.clear();
  const Value* failed = nullptr;
  for (auto in : ctx_.table.inputs(id)) {
    args_.push_back(store_[in]);
    // Pass on the failure that came first in the global order.
    if (store_[in].is_failure() &&
        (!failed || store_[in].failure().position < failed->failure().position))
      failed = &store_[in];
  }
  if (failed) return *failed;
  try {
    fault::point(fault::Point::task);
    Value out = task.fn(std::span<const Value>(args_));
    if (out.empty()) throw ValueError("the task returned no value");
    return out;
  } catch (const std::exception& e) {
    return failure_of(id, e);
  }
}

Value Executor::run_fused(std::uint32_t id, Value input) {
  if (input.is_failure()) return input;
  try {
    fault::point(fault::Point::task);
    Value out = ctx_.table.task(id)->fn(std::span<const Value>(&input, 1));
    if (out.empty()) throw ValueError("the task returned no value");
    return out;
  } catch (const std::exception& e) {
    return failure_of(id, e);
  }
}

Value Executor::run_collective(std::uint32_t id) {
  const Task& task = *ctx_.table.task(id);
  const Comm& comm = ctx_.collective_comm(id);
  args_.clear();
  arg_positions_.clear();
  auto inputs = ctx_.table.inputs(id);
  std::int64_t failed_at = no_failure;
  const TaskFailure* failure = nullptr;
  for (std::uint32_t k = 0; k < inputs.size(); ++k) {
    if (!hands_in(ctx_.residency, inputs[k], id, ctx_.rank)) continue;
    const Value& v = store_[inputs[k]];
    if (v.is_failure() && static_cast<std::int64_t>(v.failure().position) < failed_at) {
      failed_at = v.failure().position;
      failure = &v.failure();
    }
    args_.push_back(v);
    arg_positions_.push_back(k);
  }
  // A rank that cannot take part still enters, with an error marker in place of its inputs.
  std::optional<TaskFailure> refused;
  try {
    fault::point(fault::Point::collective);
  } catch (const std::exception& e) {
    refused = failure_of(id, e).failure();
    failed_at = static_cast<std::int64_t>(refused->position);
    failure = &*refused;
  }
  // Every participant enters, failed inputs or not; all leave with the same outcome.
  auto [first, who] = comm.allreduce_minloc(static_cast<long>(failed_at));
  if (first != no_failure) {
    TaskFailure f = failure ? *failure : TaskFailure{};
    broadcast(comm, f, who);
    note_failure(f);
    return Value::failure(std::move(f));
  }
  Value out;
  std::optional<TaskFailure> mine;
  try {
    out = task.collective->fn(CollectiveInputs{comm, args_, arg_positions_});
    if (out.empty()) throw ValueError("the collective task returned no value");
  } catch (const std::exception& e) {
    mine = failure_of(id, e).failure();
  }
  auto [failed, by] = comm.allreduce_minloc(mine ? 0 : 1);
  if (failed == 0) {
    TaskFailure f = mine.value_or(TaskFailure{});
    broadcast(comm, f, by);
    note_failure(f);
    return Value::failure(std::move(f));
  }
  return out;
}

void Executor::send(std::uint32_t id) {
  auto dests = ctx_.plan.sends_of(id);
  if (dests.empty()) return;
  const std::uint32_t first_use = ctx_.plan.first_remote_use(id);
  std::size_t bytes;
  try {
    bytes = messenger_->send(store_[id], dests, id, first_use);
  } catch (const MpiError&) {
    throw;
  } catch (const std::exception& e) {
    // Nothing left yet, and the receivers wait for something: send them the failure instead (it
    // always encodes).
    store_[id] = failure_of(id, e);
    bytes = messenger_->send(store_[id], dests, id, first_use);
  }
  for (int d : dests) notify([&](Observer& o) { o.value_sent({d, id, bytes, now()}); });
  uses_[id] -= static_cast<std::uint32_t>(dests.size());
}

void Executor::run() {
  Messenger messenger(ctx_.p2p);
  messenger_ = &messenger;
  const auto& run = ctx_.plan.run;
  notify([&](Observer& o) {
    o.schedule_started({ctx_.schedule_number,
                        static_cast<std::uint32_t>(ctx_.schedule.order.size()),
                        static_cast<std::uint32_t>(run.size()), ctx_.rank, ctx_.schedule.nranks});
  });
  post_receives();
  // Persisted values run no task here: they leave for the ranks that need them right away.
  for (std::uint32_t id = 0; id < ctx_.table.size(); ++id)
    if (ctx_.table.persisted(id) && !store_[id].empty()) send(id);
  for (std::size_t i = 0; i < run.size(); ++i) {
    const std::uint32_t head = run[i];
    position_ = ctx_.plan.position[head];
    const Task& task = *ctx_.table.task(head);
    const bool collective = task.is_collective();
    throttle();
    for (auto in : ctx_.table.inputs(head))
      if (!collective || hands_in(ctx_.residency, in, head, ctx_.rank)) wait_for(in);

    TaskEvent ev{head, &ctx_.table.key(head), task.kind(), ctx_.rank, now(), 0, false, collective};
    notify([&](Observer& o) { o.task_started(ev); });
    Value value = collective ? run_collective(head) : run_plain(head);
    release_inputs(head);
    // A fused chain: each next task reads only the value just made, which nobody else reads,
    // so it goes straight from one function to the next and never enters the store.
    std::uint32_t id = head;
    for (; i + 1 < run.size() && ctx_.plan.fused[i + 1]; ++i) {
      id = run[i + 1];
      value = run_fused(id, std::move(value));
      ++ev.tasks;
    }
    if (id != head) {
      ev.id = id;
      ev.key = &ctx_.table.key(id);
      ev.kind = ctx_.table.task(id)->kind();
    }
    store_[id] = std::move(value);
    held_ += store_[id].nbytes();
    send(id);
    ev.failed = store_[id].is_failure();
    if (uses_[id] == 0) release(id);
    ev.end = now();
    notify([&](Observer& o) {
      o.task_finished(ev);
      o.memory_held(held_, ev.end);
    });
    messenger.progress(false, arrived_);
    absorb();
    post_receives();  // the window moves on as tasks consume what arrived
  }
  messenger.finish_sends();
  messenger_ = nullptr;
  notify([&](Observer& o) { o.schedule_finished(now()); });
}

}  // namespace pando
