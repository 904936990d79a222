#pragma once
// Delayed: lazy calls of plain functions, for the computations collections do not cover
// (docs/architecture.md §1, third of Pando's jobs).
//
//   auto data  = pando::delayed(load)("train.h5");
//   std::vector<pando::Delayed<Score>> scores;
//   for (double alpha : grid) scores.push_back(pando::delayed(fit).name("fit")(data, alpha));
//   Score best = pando::delayed(pick_best)(scores).compute();      // collective
//
// Arguments may be plain values (copied into the task), Delayed<U> (the function receives a
// const U&), std::vector<Delayed<U>> (it receives a std::vector<U>) and Future<U>. Results travel
// between ranks through Codec<T>: any type Boost.Serialization can archive works.
//
// Every rank must make the same delayed calls in the same order (SPMD): keys come from a
// per-session counter, "fit/17", so they agree across ranks and the runtime can check it.

#include <pando/core/session.hpp>
#include <pando/graph/graph.hpp>
#include <pando/graph/runtime.hpp>

#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace pando {

// What a delayed function returning void yields.
struct Nothing {
  template <class A>
  void serialize(A&, unsigned) {}
};

template <class T>
class Future;

template <class T>
class Delayed {
 public:
  using value_type = T;

  Delayed(Key key, Graph graph) : key_(std::move(key)), graph_(std::move(graph)) {}

  [[nodiscard]] const Key& key() const noexcept { return key_; }
  [[nodiscard]] const Graph& graph() const noexcept { return graph_; }

  // Collective. The result, on every rank.
  T compute() const {
    auto values = Runtime::current().compute(graph_, std::span<const Key>(&key_, 1));
    if constexpr (!std::is_void_v<T>) return values[0].template get<T>();
  }
  // Collective. Computes the value and keeps it where it was made; the returned handle (and
  // anything built on it) reuses it instead of recomputing.
  [[nodiscard]] Delayed persist() const {
    Runtime::current().persist(graph_, std::span<const Key>(&key_, 1));
    // Whatever is built on the result keeps it (the graph holds the pin).
    return Delayed(key_, Graph::pinned(Runtime::pin({key_})));
  }

 private:
  Key key_;
  Graph graph_;
};

namespace detail {

template <class A>
struct IsDelayed : std::false_type {};
template <class U>
struct IsDelayed<Delayed<U>> : std::true_type {};
template <class A>
struct IsDelayedList : std::false_type {};
template <class U>
struct IsDelayedList<std::vector<Delayed<U>>> : std::true_type {};
template <class A>
struct IsFuture : std::false_type {};
template <class U>
struct IsFuture<Future<U>> : std::true_type {};

// Plain C strings are copied as std::string: the task may outlive the caller's buffer.
template <class A>
using Stored = std::conditional_t<std::is_same_v<std::decay_t<A>, const char*> ||
                                      std::is_same_v<std::decay_t<A>, char*>,
                                  std::string, std::decay_t<A>>;

// How one argument of a delayed call reaches the function. Binders never hold collection
// handles (a task holding its own graph would never be freed); inputs are found by offset.
template <class A>
struct Binder {  // a plain value, copied into the task
  Stored<A> value;
  void inputs(std::vector<Key>&, std::vector<const Graph*>&) const {}
  [[nodiscard]] std::size_t count() const { return 0; }
  [[nodiscard]] const Stored<A>& get(std::span<const Value>, std::size_t) const { return value; }
};
// Binder<Future<U>> is in future.hpp.

template <class U>
struct Binder<Delayed<U>> {
  const Delayed<U>* source;  // only while the call is being made
  void inputs(std::vector<Key>& keys, std::vector<const Graph*>& graphs) const {
    keys.push_back(source->key());
    graphs.push_back(&source->graph());
  }
  [[nodiscard]] std::size_t count() const { return 1; }
  [[nodiscard]] const U& get(std::span<const Value> in, std::size_t at) const {
    return in[at].template get<U>();
  }
};

template <class U>
struct Binder<std::vector<Delayed<U>>> {
  const std::vector<Delayed<U>>* source;
  std::size_t n = 0;
  void inputs(std::vector<Key>& keys, std::vector<const Graph*>& graphs) const {
    for (const auto& d : *source) {
      keys.push_back(d.key());
      graphs.push_back(&d.graph());
    }
  }
  [[nodiscard]] std::size_t count() const { return n; }
  [[nodiscard]] std::vector<U> get(std::span<const Value> in, std::size_t at) const {
    std::vector<U> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.push_back(in[at + i].template get<U>());
    return out;
  }
};

template <class A>
auto make_binder(const A& a) {
  using D = std::decay_t<A>;
  if constexpr (IsDelayed<D>::value) {
    return Binder<D>{&a};
  } else if constexpr (IsDelayedList<D>::value) {
    return Binder<D>{&a, a.size()};
  } else if constexpr (IsFuture<D>::value) {
    return Binder<D>::of(a);
  } else {
    return Binder<A>{a};
  }
}

// After the call is made, input binders forget their sources (the task outlives them).
template <class B>
B detach(B b) {
  if constexpr (requires { b.source; }) b.source = nullptr;
  return b;
}

struct TaskOptions {
  std::string name = "delayed";
  double cost = 1e-3;  // user functions do real work: assume a millisecond unless told
  std::uint64_t nbytes = 0;
  Placement placement;
};

}  // namespace detail

// A function made lazy: calling it records a task and returns a Delayed for its result.
template <class F>
class DelayedFunction {
 public:
  explicit DelayedFunction(F f) : f_(std::move(f)) {}

  // The operation name in keys, traces and reports ("fit/17").
  DelayedFunction& name(std::string n) & {
    opts_.name = std::move(n);
    return *this;
  }
  DelayedFunction&& name(std::string n) && { return std::move(name(std::move(n))); }
  // Estimated seconds per call, and bytes of the result: the planner balances with them.
  DelayedFunction&& cost(double seconds) && {
    opts_.cost = seconds;
    return std::move(*this);
  }
  DelayedFunction&& nbytes(std::uint64_t bytes) && {
    opts_.nbytes = bytes;
    return std::move(*this);
  }
  // Pin every call to one rank.
  DelayedFunction&& on_rank(int rank) && {
    opts_.placement = Placement::on_rank(rank);
    return std::move(*this);
  }

  template <class... Args>
  auto operator()(const Args&... args) const {
    auto binders = std::make_tuple(detail::make_binder(args)...);
    std::vector<Key> keys;
    std::vector<const Graph*> graphs;
    std::apply([&](const auto&... b) { (b.inputs(keys, graphs), ...); }, binders);
    // Offsets of each argument's inputs, so the task never depends on evaluation order.
    std::array<std::size_t, sizeof...(Args) + 1> offsets{};
    std::size_t i = 0;
    auto count = [&](const auto& b) {
      offsets[i + 1] = offsets[i] + b.count();
      ++i;
    };
    std::apply([&](const auto&... b) { (count(b), ...); }, binders);
    auto bound =
        std::apply([](auto... b) { return std::make_tuple(detail::detach(b)...); }, binders);

    using R = decltype(call(bound, std::span<const Value>(), offsets,
                            std::index_sequence_for<Args...>{}));
    using Out = std::conditional_t<std::is_void_v<R>, Nothing, R>;
    Task t;
    t.key = Key(opts_.name, {Runtime::current().next_sequence()});
    t.inputs = std::move(keys);
    t.fn = [f = f_, bound, offsets](std::span<const Value> in) -> Value {
      if constexpr (std::is_void_v<R>) {
        DelayedFunction::call_with(f, bound, in, offsets, std::index_sequence_for<Args...>{});
        return Value::of(Nothing{});
      } else {
        return Value::of(
            DelayedFunction::call_with(f, bound, in, offsets, std::index_sequence_for<Args...>{}));
      }
    };
    t.cost = opts_.cost;
    t.nbytes = opts_.nbytes;
    t.placement = opts_.placement;
    Key key = t.key;
    std::vector<Task> tasks;
    tasks.push_back(std::move(t));
    return Delayed<std::conditional_t<std::is_void_v<R>, void, Out>>(
        std::move(key), Graph(std::move(tasks), std::span<const Graph* const>(graphs)));
  }

 private:
  template <class Bound, std::size_t N, std::size_t... I>
  static decltype(auto) call_with(const F& f, const Bound& bound,
                                  [[maybe_unused]] std::span<const Value> in,
                                  [[maybe_unused]] const std::array<std::size_t, N>& offsets,
                                  std::index_sequence<I...>) {
    return std::invoke(f, std::get<I>(bound).get(in, offsets[I])...);
  }
  template <class Bound, std::size_t N, std::size_t... I>
  decltype(auto) call(const Bound& bound, std::span<const Value> in,
                      const std::array<std::size_t, N>& offsets,
                      std::index_sequence<I...> seq) const {
    return call_with(f_, bound, in, offsets, seq);
  }

  F f_;
  detail::TaskOptions opts_;
};

// pando::delayed(f)(args...) records a call of f; pando::delayed(f, args...) is the same.
template <class F>
DelayedFunction<std::decay_t<F>> delayed(F&& f) {
  return DelayedFunction<std::decay_t<F>>(std::forward<F>(f));
}
template <class F, class A, class... Args>
auto delayed(F&& f, const A& first, const Args&... rest) {
  return delayed(std::forward<F>(f))(first, rest...);
}

// Collective. Computes several delayed values in ONE schedule; returns their results.
template <class... T>
std::tuple<T...> compute(const Delayed<T>&... values) {
  std::array<Key, sizeof...(T)> keys{values.key()...};
  Graph graph = Graph::merge({&values.graph()...});
  auto out = Runtime::current().compute(graph, std::span<const Key>(keys));
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return std::tuple<T...>{out[I].template get<T>()...};
  }
  (std::index_sequence_for<T...>{});
}

// Collective. The results of a list of delayed values, in one schedule.
template <class T>
std::vector<T> compute(const std::vector<Delayed<T>>& values) {
  std::vector<Key> keys;
  std::vector<const Graph*> graphs;
  for (const auto& v : values) {
    keys.push_back(v.key());
    graphs.push_back(&v.graph());
  }
  auto out = Runtime::current().compute(Graph::merge(std::span<const Graph* const>(graphs)), keys);
  std::vector<T> results;
  results.reserve(out.size());
  for (auto& v : out) results.push_back(v.template get<T>());
  return results;
}

}  // namespace pando
