#pragma once
// The live dashboard: rank 0 serves the report's views of the running job over HTTP
// (--dashboard [HOST:]PORT, PANDO_DASHBOARD), refreshed every second in the browser.
//
// It binds 127.0.0.1 unless HOST says otherwise (a compute node is reached through an SSH
// tunnel: ssh -L 8787:127.0.0.1:8787 NODE). Every URL needs the random token that rank 0
// prints on stderr as `pando: dashboard at http://HOST:PORT/?token=TOKEN`; a request without
// it gets 403, so that nobody else on a shared node reads the job's data.

#include <pando/core/clock.hpp>
#include <pando/diag/http_server.hpp>
#include <pando/diag/recorder.hpp>
#include <pando/diag/report_model.hpp>

#include <memory>
#include <mutex>
#include <string>

namespace pando::diag {

struct DashboardAddress {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: a free one
};

// "PORT" or "HOST:PORT" ("[::1]:PORT" for an IPv6 address); UsageError naming `what`.
[[nodiscard]] DashboardAddress parse_dashboard_address(const std::string& text,
                                                       const std::string& what);

class Dashboard {
 public:
  // Rank 0 only. `recorder` streams what the ranks do; `facts` and `epoch` describe the run.
  Dashboard(const DashboardAddress& address, std::shared_ptr<const Recorder> recorder,
            RunFacts facts, Stopwatch epoch);

  // http://HOST:PORT/?token=TOKEN
  [[nodiscard]] std::string url() const;
  // The job's work is done: the page shows the final state and stops asking.
  void finished();

 private:
  HttpResponse handle(const HttpRequest& req);
  std::string data();

  std::shared_ptr<const Recorder> recorder_;
  Stopwatch epoch_;
  std::string host_;
  std::string token_;
  std::mutex mutex_;  // guards what follows (the server's thread, and finished())
  RunFacts facts_;
  Trace copy_;          // the recorder's trace, brought up to date on each request
  std::string cached_;  // the last data served
  Stopwatch since_cached_;
  double build_seconds_ = 0;
  std::unique_ptr<HttpServer> server_;  // last: it stops before the rest goes
};

}  // namespace pando::diag
