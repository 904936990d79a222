// An HPC code that links the installed Pando (built with find_package, add_subdirectory or
// pkg-config by tests/install/consumer_test.sh): MPI through Pando's Comm, then a task graph.
#include <pando/pando.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  pando::Session session(argc, argv);
  int sum = session.comm().allreduce(session.rank(), pando::ReduceOp::sum);
  int result = pando::on_root(session.comm(), [] { return 42; });
  // 0 + 1 + ... + 999 over ten blocks spread across the ranks.
  double total = pando::arange<double>(0, 1000, 1, {100}).sum().compute().scalar();
  if (session.rank() == 0)
    std::printf("consumer: %d ranks, sum of ranks %d, result %d, array sum %.0f\n", session.size(),
                sum, result, total);
  return 0;
}
