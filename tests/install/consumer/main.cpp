// An HPC code that links the installed Pando.
#include <pando/pando.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  pando::Session session(argc, argv);
  int sum = session.comm().allreduce(session.rank(), pando::ReduceOp::sum);
  int result = pando::on_root(session.comm(), [] { return 42; });
  if (session.rank() == 0)
    std::printf("consumer: %d ranks, sum of ranks %d, result %d\n", session.size(), sum, result);
  return 0;
}
