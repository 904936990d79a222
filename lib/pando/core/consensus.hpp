#pragma once
// The same outcome on every rank. When one rank finds a problem (a missing file, a bad CSV
// header, a malformed graph), every rank must throw the same error at the same point, or the
// ranks that carry on wait forever in the next collective (../shared/DESIGN.md §1.6).
//
//   // rank 0 reads the header once; every rank gets the schema, or the same error
//   Schema s = pando::on_root(comm, [&] { return sniff_schema(path); });

#include <pando/core/comm.hpp>
#include <pando/core/error.hpp>
#include <pando/core/serialize.hpp>

#include <exception>
#include <optional>
#include <string>
#include <type_traits>

namespace pando {

// An error as it travels between ranks: its kind and message rebuild the same exception type.
struct ErrorRecord {
  ErrorKind kind = ErrorKind::generic;
  std::string message;
  // For TaskError: its parts.
  std::string task_key;
  int task_rank = -1;
  ErrorKind task_cause = ErrorKind::generic;

  static ErrorRecord of(const std::exception& e);
  [[noreturn]] void raise() const;

  template <class A>
  void serialize(A& a, unsigned) {
    fields(a, kind, message, task_key, task_rank, task_cause);
  }
};

// Collective. If `failure` is set on any rank, every rank throws the failure of the lowest such
// rank; otherwise returns normally.
void agree_on_failure(const Comm& comm, const std::optional<ErrorRecord>& failure);

// Collective. Runs `f` on every rank; if it throws anywhere, every rank throws the error of the
// lowest failing rank. Returns f's result otherwise.
template <class F>
auto agree(const Comm& comm, F&& f) -> decltype(f()) {
  using R = decltype(f());
  std::optional<ErrorRecord> failure;
  if constexpr (std::is_void_v<R>) {
    try {
      f();
    } catch (const std::exception& e) {
      failure = ErrorRecord::of(e);
    }
    agree_on_failure(comm, failure);
  } else {
    std::optional<R> result;
    try {
      result.emplace(f());
    } catch (const std::exception& e) {
      failure = ErrorRecord::of(e);
    }
    agree_on_failure(comm, failure);
    return std::move(*result);
  }
}

// Collective. Runs `f` on `root` only; every rank returns root's result (serializable with
// Boost.Serialization), or throws root's error.
template <class F>
auto on_root(const Comm& comm, F&& f, int root = 0) -> decltype(f()) {
  using R = decltype(f());
  std::optional<ErrorRecord> failure;
  std::conditional_t<std::is_void_v<R>, bool, R> result{};
  if (comm.rank() == root) {
    try {
      if constexpr (std::is_void_v<R>)
        f();
      else
        result = f();
    } catch (const std::exception& e) {
      failure = ErrorRecord::of(e);
    }
  }
  if (comm.size() > 1) {
    auto failed = comm.bcast_value<std::uint8_t>(failure.has_value(), root);
    if (failed) {
      ErrorRecord r = failure.value_or(ErrorRecord{});
      broadcast(comm, r, root);
      r.raise();
    }
    if constexpr (!std::is_void_v<R>) broadcast(comm, result, root);
  } else if (failure) {
    failure->raise();
  }
  if constexpr (!std::is_void_v<R>) return result;
}

}  // namespace pando
