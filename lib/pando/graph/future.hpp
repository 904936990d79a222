#pragma once
// Futures: submit work now, collect results later, in the Dask style.
//
//   std::vector<pando::Future<Fit>> fits;
//   for (double alpha : grid) fits.push_back(session.submit(fit_ridge, folds, alpha));
//   std::vector<Fit> all = pando::gather(fits);                  // collective
//
// Pando's schedules are static (planned once, run by every rank), so submitted work is not
// started at once: it is collected, and the first result(), gather(), wait() or as_completed()
// plans every pending future as ONE schedule and runs it. Later submissions form the next batch
// and may use earlier futures as arguments (finished ones are passed by value).
// All of these calls are collective: every rank submits the same work in the same order.
// Session::submit and Session::map (graph/session.hpp) make a task and submit it in one call.

#include <pando/graph/delayed.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <vector>

namespace pando {

namespace detail {

struct FutureStateBase {
  virtual ~FutureStateBase() = default;
  virtual void set(const Value& v) = 0;
  Key key;
  Graph graph;  // dropped once done
  bool done = false;
  std::optional<TaskFailure> failure;
  std::uint32_t position = 0;  // in the global order of the schedule that computed it
};

template <class T>
struct FutureState final : FutureStateBase {
  void set(const Value& v) override { value = v.get<T>(); }
  std::optional<T> value;
};

// The submitted futures not computed yet, per session.
class FutureBatch {
 public:
  void add(std::shared_ptr<FutureStateBase> f) { pending_.push_back(std::move(f)); }
  // Collective: computes every pending future in one schedule.
  void flush();

 private:
  std::vector<std::shared_ptr<FutureStateBase>> pending_;
};

inline FutureBatch& future_batch() { return SessionBase::current().extension<FutureBatch>(); }

[[noreturn]] void throw_failure(const TaskFailure& f);

}  // namespace detail

template <class T>
class Future {
 public:
  using value_type = T;

  explicit Future(std::shared_ptr<detail::FutureState<T>> s) : s_(std::move(s)) {}

  [[nodiscard]] bool done() const noexcept { return s_->done; }
  [[nodiscard]] bool failed() const noexcept { return s_->failure.has_value(); }
  [[nodiscard]] const Key& key() const noexcept { return s_->key; }
  // Collective unless done: runs the pending batch. Throws the task's TaskError if it failed.
  const T& result() const {
    if (!s_->done) detail::future_batch().flush();
    if (s_->failure) detail::throw_failure(*s_->failure);
    return *s_->value;
  }
  // Where the task ran in its schedule's global order (as_completed sorts by it).
  [[nodiscard]] std::uint32_t position() const noexcept { return s_->position; }

 private:
  template <class U>
  friend struct detail::Binder;
  std::shared_ptr<detail::FutureState<T>> s_;
};

namespace detail {

// A future as an argument: its value once done, else its task's key.
template <class U>
struct Binder<Future<U>> {
  static Binder of(const Future<U>& f) {
    Binder b;
    b.state = f.s_;
    if (f.done()) {
      b.ready = true;
      if (f.s_->failure)
        b.failure = f.s_->failure;
      else
        b.value = f.s_->value;
      b.state = nullptr;  // the task keeps the value only
    }
    return b;
  }
  void inputs(std::vector<Key>& keys, std::vector<const Graph*>& graphs) const {
    if (ready) return;
    keys.push_back(state->key);
    graphs.push_back(&state->graph);
  }
  [[nodiscard]] std::size_t count() const { return ready ? 0 : 1; }
  [[nodiscard]] const U& get(std::span<const Value> in, std::size_t at) const {
    if (!ready) return in[at].template get<U>();
    if (failure) throw_failure(*failure);
    return *value;
  }

  std::shared_ptr<FutureState<U>> state;  // only while the call is being made
  bool ready = false;
  std::optional<U> value;
  std::optional<TaskFailure> failure;
};

template <class U>
Binder<Future<U>> detach(Binder<Future<U>> b) {
  b.state = nullptr;
  return b;
}

}  // namespace detail

// Collective (in the SPMD sense: every rank submits alike). Schedules `d` with the next batch.
template <class T>
Future<T> submit(const Delayed<T>& d) {
  auto s = std::make_shared<detail::FutureState<T>>();
  s->key = d.key();
  s->graph = d.graph();
  detail::future_batch().add(s);
  return Future<T>(std::move(s));
}

// Collective: the results in the order given; throws the first failure in that order.
template <class T>
std::vector<T> gather(const std::vector<Future<T>>& futures) {
  std::vector<T> out;
  out.reserve(futures.size());
  for (const auto& f : futures) out.push_back(f.result());
  return out;
}

// Collective: runs the pending batch, so that every future given is done.
template <class T>
void wait(const std::vector<Future<T>>& futures) {
  if (std::any_of(futures.begin(), futures.end(), [](const auto& f) { return !f.done(); }))
    detail::future_batch().flush();
}

// Collective: the futures, done, in the order their tasks completed in the schedule's global
// order (the same order on every rank).
template <class T>
std::vector<Future<T>> as_completed(std::vector<Future<T>> futures) {
  wait(futures);
  std::stable_sort(futures.begin(), futures.end(),
                   [](const auto& a, const auto& b) { return a.position() < b.position(); });
  return futures;
}

}  // namespace pando
