// pando-demo: Pando end to end on data it makes itself.
#include <pando/pando.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  CLI::App app{"pando-demo: Pando's founding examples, end to end"};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  pando::Session session(argc, argv);
  long n = session.comm().allreduce<long>(session.rank() + 1, pando::ReduceOp::sum);
  if (session.rank() == 0) std::printf("pando-demo: %d ranks, checksum %ld\n", session.size(), n);
  return 0;
}
