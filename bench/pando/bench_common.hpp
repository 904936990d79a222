#pragma once
// Shared by Pando's benchmark drivers: peak memory per rank and one JSON line of results on
// rank 0 (bench/run.py reads it).

#include <pando/core/comm.hpp>
#include <pando/graph/observer.hpp>

#include <fmt/format.h>

#include <sys/resource.h>

#include <cstdio>
#include <map>
#include <string>

namespace pando::bench {

// Peak resident memory of this process, in MiB.
inline double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // Linux reports KiB
}

// Bytes this rank sends to others while tasks run (the cost of a placement).
class SentBytes : public Observer {
 public:
  void value_sent(const TransferEvent& e) override { total += e.bytes; }
  std::size_t total = 0;
};

// Collective. Prints {"metric": value, ..., "rss_mib": [per rank]} on rank 0.
inline void report(const Comm& comm, const std::map<std::string, double>& metrics) {
  auto rss = comm.allgather(peak_rss_mib());
  if (comm.rank() != 0) return;
  std::string line = "{";
  for (auto& [k, v] : metrics) line += fmt::format("\"{}\": {:.9g}, ", k, v);
  line += fmt::format("\"ranks\": {}, \"rss_mib\": [{:.1f}]}}", comm.size(), fmt::join(rss, ", "));
  std::puts(line.c_str());
  std::fflush(stdout);
}

}  // namespace pando::bench
