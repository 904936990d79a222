#pragma once
// Session: the class a program creates, one per process at a time (docs/architecture.md §2).
//
//   int main(int argc, char** argv) {
//     pando::Session session(argc, argv);                          // collective
//     auto f = session.submit(fit, data, 0.1);                     // a Future<Fit>
//     auto fs = session.map(score, folds);                         // a vector of futures
//     ...
//   }
//
// Everything about MPI, the communicator, options, the memory budget and extensions is
// SessionBase's (<pando/core/session.hpp>, whose constructors this class takes as they are);
// this class adds what needs the task graph, which core may not include. Library code uses
// SessionBase::current(); programs use Session::current(), which returns this type.

#include <pando/core/session.hpp>
#include <pando/graph/delayed.hpp>
#include <pando/graph/future.hpp>

#include <iterator>
#include <utility>
#include <vector>

namespace pando {

// final: SessionBase is abstract, and this is its only concrete class, so every live SessionBase
// is a Session and current() may downcast.
class Session final : public SessionBase {
 public:
  using SessionBase::SessionBase;

  // The live session; UsageError if none.
  static Session& current() { return static_cast<Session&>(SessionBase::current()); }
  // The live session, or null. Extensions' destructors run while the session ends, after this
  // class's part of it: they use SessionBase::current_or_null() instead.
  static Session* current_or_null() noexcept {
    return static_cast<Session*>(SessionBase::current_or_null());
  }

  // Collective (every rank submits alike): runs `f(args...)` as a task with the next batch and
  // returns a Future for its result (<pando/graph/future.hpp>).
  template <class F, class... Args>
  auto submit(F&& f, Args&&... args) {
    return pando::submit(pando::delayed(std::forward<F>(f))(std::forward<Args>(args)...));
  }

  // Collective: one submitted task `f(x)` per element of `inputs`, their futures in that order.
  template <class F, class Range>
  auto map(F&& f, const Range& inputs) {
    using D = decltype(pando::delayed(f)(*std::begin(inputs)));
    std::vector<Future<typename D::value_type>> out;
    for (const auto& x : inputs) out.push_back(pando::submit(pando::delayed(f)(x)));
    return out;
  }
};

}  // namespace pando
