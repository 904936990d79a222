#pragma once
// Helpers for tests that run on every rank (see mpi_test_main.cpp).

#include <pando/graph/session.hpp>

namespace pando::test {

inline Session& session() { return Session::current(); }
inline const Comm& comm() { return Session::current().comm(); }
inline int rank() { return Session::current().rank(); }
inline int size() { return Session::current().size(); }

// True on every rank when `ok` holds on every rank. Combine a condition this way before an
// ASSERT that precedes a collective, or one rank returns early and the others wait forever.
inline bool on_all_ranks(bool ok) { return comm().allreduce<int>(ok ? 1 : 0, ReduceOp::min) == 1; }

}  // namespace pando::test
