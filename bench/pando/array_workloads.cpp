// Array workloads of the Arrays issue, on an HDF5 dataset:
//
//   pando-bench-array --file x.h5 --dataset /x --op sum|mean0|std1|xxt|sincos|rechunk
//                     [--chunks R,C]
// Prints one JSON line: seconds (the computation, from the file to the result), GB/s of the
// dataset's bytes, peak memory per rank.

#include <pando/pando.hpp>

#include <CLI/CLI.hpp>

#include "bench_common.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Pando array benchmark"};
  std::string file, dataset = "/x", op = "sum";
  std::vector<std::int64_t> chunks;
  app.add_option("--file", file)->required();
  app.add_option("--dataset", dataset);
  app.add_option("--op", op)
      ->check(CLI::IsMember({"sum", "mean0", "std1", "xxt", "sincos", "rechunk"}));
  app.add_option("--chunks", chunks)->delimiter(',');
  CLI11_PARSE(app, argc, argv);

  pando::Session session(argc, argv);
  pando::Stopwatch clock;
  pando::Hdf5Read read;
  if (!chunks.empty()) read.chunks = pando::Shape(chunks);
  pando::AnyArray x = pando::from_hdf5(file, dataset, read);
  pando::AnyArray r;
  if (op == "sum")
    r = x.sum();
  else if (op == "mean0")
    r = x.mean({0});
  else if (op == "std1")
    r = x.std({1});
  else if (op == "xxt")
    r = (x + x.T()).sum();
  else if (op == "sincos")
    r = (pow(sin(x), 2.0) + pow(cos(x), 2.0)).mean();
  else
    r = x.rechunk(pando::Shape{x.shape()[0], 64}).sum();
  auto sent = std::make_shared<pando::bench::SentBytes>();
  pando::Runtime::current().add_observer(sent);
  pando::Block result = r.compute();
  const double seconds = session.comm().allreduce(clock.seconds(), pando::ReduceOp::max);
  const double bytes = static_cast<double>(x.size()) * 8;
  double check = 0;
  pando::visit<pando::computed_dtypes, pando::refuse_array_dtype>(
      result.dtype, [&](auto t) { check = static_cast<double>(result.values<decltype(t)>()[0]); });
  pando::bench::report(session.comm(),
                       {{"seconds", seconds},
                        {"gbps", bytes / seconds / 1e9},
                        {"first", check},
                        {"sent_mib", session.comm().allreduce(static_cast<double>(sent->total),
                                                              pando::ReduceOp::sum) /
                                         1048576.0}});
  return 0;
}
