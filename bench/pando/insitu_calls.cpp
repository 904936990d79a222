// Per-call cost of a small repeated computation, the in situ pattern: every rank holds a slab of
// a simulation's field, and every N time steps asks for its sum and its maximum.
//
//   pando-bench-insitu --engine pando   compute({x.sum(), x.max()}) of from_local(view of the slab)
//   pando-bench-insitu --engine mpi     the same by hand: one loop, two MPI_Allreduce
//
// Prints one JSON line: seconds per call (the median of --repeat rounds of --calls calls, the
// slowest rank's), and for Pando the runtime's steps per call.

#include <pando/pando.hpp>

#include <CLI/CLI.hpp>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "bench_common.hpp"

namespace {

using namespace pando;

struct SumMax {
  double sum = 0, max = -std::numeric_limits<double>::infinity();
};

SumMax by_hand(const std::vector<double>& slab, MPI_Comm comm) {
  SumMax local;
  for (double v : slab) {
    local.sum += v;
    local.max = std::max(local.max, v);
  }
  SumMax global;
  MPI_Allreduce(&local.sum, &global.sum, 1, MPI_DOUBLE, MPI_SUM, comm);
  MPI_Allreduce(&local.max, &global.max, 1, MPI_DOUBLE, MPI_MAX, comm);
  return global;
}

SumMax with_pando(const std::vector<double>& slab, std::int64_t rows, std::int64_t cols) {
  auto x = from_local(Block::view(slab.data(), {rows, cols}));
  auto results = compute({x.sum(), x.max()});
  return {results[0].values<double>()[0], results[1].values<double>()[0]};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Pando per-call overhead: sum and max of each rank's slab, repeatedly"};
  std::string engine = "pando";
  std::int64_t rows = 512, cols = 256;
  int calls = 200, repeat = 5;
  app.add_option("--engine", engine, "pando or mpi (by hand)")
      ->check(CLI::IsMember({"pando", "mpi"}));
  app.add_option("--rows", rows, "rows of each rank's slab")->check(CLI::PositiveNumber);
  app.add_option("--cols", cols, "columns of each rank's slab")->check(CLI::PositiveNumber);
  app.add_option("--calls", calls, "calls per round")->check(CLI::PositiveNumber);
  app.add_option("--repeat", repeat, "rounds; the median is reported")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  Session session(argc, argv);
  const Comm& comm = session.comm();
  std::vector<double> slab(static_cast<std::size_t>(rows * cols));
  for (std::size_t i = 0; i < slab.size(); ++i)
    slab[i] = std::sin(static_cast<double>(i) + 1000.0 * comm.rank());

  // Warm-up, and the check that both ways give the same answer.
  const SumMax want = by_hand(slab, comm.native()), got = with_pando(slab, rows, cols);
  if (std::abs(want.sum - got.sum) > 1e-9 * slab.size() * comm.size() || want.max != got.max) {
    std::fprintf(stderr, "wrong result: sum %.17g vs %.17g, max %.17g vs %.17g\n", got.sum,
                 want.sum, got.max, want.max);
    return 1;
  }
  std::vector<double> per_call;
  RunStats steps;  // summed over the median round's calls
  std::vector<RunStats> round_steps;
  for (int r = 0; r < repeat; ++r) {
    comm.barrier();
    RunStats sum{};
    Stopwatch clock;
    for (int c = 0; c < calls; ++c) {
      if (engine == "mpi") {
        by_hand(slab, comm.native());
      } else {
        with_pando(slab, rows, cols);
        const auto& s = Runtime::current().last_stats();
        sum.build += s.build;
        sum.plan += s.plan;
        sum.share += s.share;
        sum.execute += s.execute;
        sum.deliver += s.deliver;
      }
    }
    per_call.push_back(comm.allreduce(clock.seconds(), ReduceOp::max) / calls);
    round_steps.push_back(sum);
  }
  std::vector<double> sorted = per_call;
  std::nth_element(sorted.begin(), sorted.begin() + repeat / 2, sorted.end());
  const double median = sorted[static_cast<std::size_t>(repeat / 2)];
  steps = round_steps[static_cast<std::size_t>(std::find(per_call.begin(), per_call.end(), median) -
                                               per_call.begin())];
  std::map<std::string, double> m = {{"seconds", median}, {"us_per_call", median * 1e6}};
  if (engine == "pando") {
    m["build_us"] = steps.build / calls * 1e6;
    m["plan_us"] = steps.plan / calls * 1e6;
    m["share_us"] = steps.share / calls * 1e6;
    m["execute_us"] = steps.execute / calls * 1e6;
    m["deliver_us"] = steps.deliver / calls * 1e6;
  }
  bench::report(comm, m);
  return 0;
}
