// pando-demo: Pando's three founding examples (docs/architecture.md §1), end to end, on data it
// makes itself:
//   1. dataframes on CSV files: read in parallel, derive a column, filter, describe, null counts,
//      whole-table aggregates, and custom code over the partitions;
//   2. arrays on HDF5: several reductions in one pass, an element-wise chain, (x + x.T).sum();
//   3. custom computations: a cross-validated grid search of ridge regressions, submitted as
//      futures over the row blocks of an array.
// Each result is printed with a line saying what was computed and how long it took.

#include <app.hpp>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <map>

namespace {

using namespace pando;

struct Scale {
  std::int64_t rows, files, n;  // table rows and files; array side
};

Scale scale_of(const std::string& s) {
  if (s == "medium") return {2'000'000, 8, 8192};
  return {200'000, 4, 2048};
}

// Rank 0 prints.
template <class... A>
void say(fmt::format_string<A...> f, A&&... a) {
  if (Session::current().rank() == 0) fmt::print(f, std::forward<A>(a)...);
  std::fflush(stdout);
}

void show(const std::string& what, const Stopwatch& clock, const std::string& result) {
  say("\n-- {} ({:.2f} s)\n{}", what, clock.seconds(), result);
}

// ---- 1. dataframes on a cluster ----

// Spend per customer in one partition: the custom per-partition function.
std::map<std::string, double> spend_by_customer(const Table& part) {
  std::map<std::string, double> spend;
  const Column& customer = part.column("customer");
  const Column& amount = part.column("amount");
  for (std::size_t i = 0; i < part.rows(); ++i)
    if (amount.is_valid(i)) spend[std::string(customer.string_at(i))] += amount.values<double>()[i];
  return spend;
}

std::vector<std::pair<std::string, double>> top_customers(
    const std::vector<std::map<std::string, double>>& parts) {
  std::map<std::string, double> total;
  for (const auto& p : parts)
    for (const auto& [c, v] : p) total[c] += v;
  std::vector<std::pair<std::string, double>> ranked(total.begin(), total.end());
  std::sort(ranked.begin(), ranked.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });
  ranked.resize(std::min<std::size_t>(5, ranked.size()));
  return ranked;
}

void dataframes(const std::string& dir, const Scale& s) {
  say("\n== 1. Dataframes on CSV files ==\n");
  Stopwatch clock;
  const auto files = generate::write_tables(dir + "/table", s.rows, s.files, 42);
  show(
      fmt::format("generated {} transactions in {} CSV files under {}/table", s.rows, s.files, dir),
      clock, "");

  clock.restart();
  ReadCsvOptions o;
  o.blocksize = 4 << 20;  // 4 MiB ranges: several partitions per file, read in parallel
  // Lazy until persisted: the steps below use it five times, so it is parsed once and kept.
  DataFrame tx = read_csv({dir + "/table/transactions-*.csv"}, o).persist();
  show(fmt::format("read_csv: {} rows, {} partitions, columns {}", tx.length(), tx.npartitions(),
                   fmt::join(tx.columns(), ", ")),
       clock, "");

  clock.restart();
  DataFrame big =
      tx.assign("unit_price", tx["amount"] / tx["qty"]).filter(tx["amount"] > 500 && !tx["flag"]);
  show("describe() of the purchases over $500 without the flag, with a derived unit_price", clock,
       app::csv_text(big.select({"amount", "qty", "unit_price"}).describe()));

  clock.restart();
  show("null counts per column", clock, app::csv_text(tx.null_counts()));

  clock.restart();
  show("whole-table aggregates", clock,
       app::csv_text(tx.agg({{"amount", "sum"},
                             {"amount", "mean"},
                             {"amount", "std"},
                             {"id", "count"},
                             {"ts", "min"},
                             {"ts", "max"}})));

  clock.restart();
  std::vector<Delayed<std::map<std::string, double>>> spends;
  for (const auto& part : tx.to_delayed())
    spends.push_back(delayed(spend_by_customer).name("spend")(part));
  auto top = delayed(top_customers).name("top")(spends).compute();
  std::string text = "customer,spend\n";
  for (const auto& [c, v] : top) text += fmt::format("{},{:.2f}\n", c, v);
  show("top 5 customers by spend: custom code on each partition (to_delayed), one combined result",
       clock, text);
}

// ---- 2. arrays on a laptop ----

void arrays(const std::string& dir, const Scale& s) {
  say("\n== 2. Arrays on HDF5 ==\n");
  Stopwatch clock;
  const std::string file = dir + "/array.h5";
  std::filesystem::remove(file);
  to_hdf5(random::normal({s.n, s.n}, 7, 0.0, 1.0, DType::float64, Shape{s.n / 4, s.n / 4}), file,
          "/x");
  show(fmt::format("wrote a {}x{} float64 normal array ({} MiB) to {}:/x", s.n, s.n,
                   s.n * s.n * 8 >> 20, file),
       clock, "");

  clock.restart();
  AnyArray x = from_hdf5(file, "/x");
  auto r = compute({x.sum(), x.mean({0}), x.std({1}), x.max()});
  show("sum, mean(axis=0), std(axis=1) and max in ONE pass over the file", clock,
       fmt::format("sum {:.6f}\nmean(axis=0)[:3] {:.6f} {:.6f} {:.6f}\nstd(axis=1)[:3] {:.6f} "
                   "{:.6f} {:.6f}\nmax {:.6f}\n",
                   r[0].values<double>()[0], r[1].values<double>()[0], r[1].values<double>()[1],
                   r[1].values<double>()[2], r[2].values<double>()[0], r[2].values<double>()[1],
                   r[2].values<double>()[2], r[3].values<double>()[0]));

  clock.restart();
  double one = (pow(sin(x), 2.0) + pow(cos(x), 2.0)).mean().compute().values<double>()[0];
  show("(sin(x)**2 + cos(x)**2).mean(): one fused task per block, no intermediate array", clock,
       fmt::format("{:.15f}\n", one));

  clock.restart();
  double sym = (x + x.T()).sum().compute().values<double>()[0];
  show("(x + x.T).sum(): blocks (i, j) and (j, i) meet where the planner puts them", clock,
       fmt::format("{:.6f} (twice the sum: {:.6f})\n", sym, 2 * r[0].values<double>()[0]));
}

// ---- 3. custom computations ----

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The data of one fold: X (all columns but the last) and y = X w + noise, w fixed.
struct Fold {
  RowMatrix x;
  Eigen::VectorXd y;
};

Fold fold_of(const Block& b) {
  Eigen::Map<const RowMatrix> z(b.values<double>().data(), b.shape[0], b.shape[1]);
  Fold f;
  f.x = z.leftCols(z.cols() - 1);
  Eigen::VectorXd w(f.x.cols());
  for (Eigen::Index j = 0; j < w.size(); ++j)
    w(j) = j % 3 == 0 ? 1.0 / (1 + j) : 0.0;  // sparse truth
  f.y = f.x * w + 0.5 * z.col(z.cols() - 1);
  return f;
}

// What ridge regression needs of a fold, whatever the penalty: X'X, X'y, y'y and the row count
// (sufficient statistics: each fit then costs a small solve, not a pass over the rows).
struct FoldStats {
  Eigen::MatrixXd gram;
  Eigen::VectorXd xty;
  double yty = 0;
  std::int64_t rows = 0;
  template <class A>
  void serialize(A& a, unsigned) {
    std::vector<double> g(gram.data(), gram.data() + gram.size()),
        b(xty.data(), xty.data() + xty.size());
    std::int64_t n = gram.rows();
    fields(a, n, g, b, yty, rows);
    gram = Eigen::Map<Eigen::MatrixXd>(g.data(), n, n);
    xty = Eigen::Map<Eigen::VectorXd>(b.data(), n);
  }
};

FoldStats stats_of(const Block& b) {
  Fold f = fold_of(b);
  return {f.x.transpose() * f.x, f.x.transpose() * f.y, f.y.squaredNorm(), f.x.rows()};
}

// Ridge regression on the training folds with the first `features` columns and penalty alpha,
// scored by mean squared error on the validation fold.
double fit_and_score(const std::vector<FoldStats>& train, const FoldStats& validation, double alpha,
                     int features) {
  Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(features, features);
  Eigen::VectorXd rhs = Eigen::VectorXd::Zero(features);
  for (const auto& t : train) {
    gram += t.gram.topLeftCorner(features, features);
    rhs += t.xty.head(features);
  }
  gram.diagonal().array() += alpha;
  const Eigen::VectorXd w = gram.ldlt().solve(rhs);
  const auto& v = validation;
  // |Xw - y|^2 = w'X'Xw - 2 w'X'y + y'y, from the validation fold's statistics.
  const double sse =
      w.dot(v.gram.topLeftCorner(features, features) * w) - 2 * w.dot(v.xty.head(features)) + v.yty;
  return sse / static_cast<double>(v.rows);
}

void custom(Session& session, const Scale& s) {
  say("\n== 3. Custom computations: a grid search with futures ==\n");
  Stopwatch clock;
  const std::int64_t rows = s.rows / 4 * 4, cols = 33;
  AnyArray data = random::normal({rows, cols}, 11, 0.0, 1.0, DType::float64, Shape{rows / 4, cols});
  // The 4 row blocks, handed to custom code; each summarized once.
  std::vector<Delayed<FoldStats>> folds;
  for (const auto& block : data.to_delayed())
    folds.push_back(delayed(stats_of).name("fold-stats")(block));
  std::vector<double> alphas;
  for (int i = 0; i < 16; ++i) alphas.push_back(std::pow(10.0, -3 + 0.4 * i));
  const std::vector<int> feature_counts = {8, 16, 24, 32};
  struct Job {
    double alpha;
    int features;
    std::vector<Future<double>> scores;  // one per fold
  };
  std::vector<Job> jobs;
  for (double alpha : alphas)
    for (int features : feature_counts) {
      Job j{alpha, features, {}};
      for (std::size_t k = 0; k < folds.size(); ++k) {
        std::vector<Delayed<FoldStats>> train;
        for (std::size_t t = 0; t < folds.size(); ++t)
          if (t != k) train.push_back(folds[t]);
        j.scores.push_back(session.submit(fit_and_score, train, folds[k], alpha, features));
      }
      jobs.push_back(std::move(j));
    }
  // The first result runs the whole batch: 64 combinations x 4 folds = 256 fits, one schedule.
  const Job* best = nullptr;
  double best_score = std::numeric_limits<double>::infinity();
  for (const auto& j : jobs) {
    double mean = 0;
    for (const auto& f : j.scores) mean += f.result() / static_cast<double>(j.scores.size());
    if (mean < best_score) {
      best_score = mean;
      best = &j;
    }
  }
  show(fmt::format("cross-validated ridge regression: {} combinations x {} folds = {} fits, "
                   "submitted as futures",
                   jobs.size(), folds.size(), jobs.size() * folds.size()),
       clock,
       fmt::format("best: alpha {:.4g} with {} features, validation MSE {:.6f}\n", best->alpha,
                   best->features, best_score));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"pando-demo: Pando's three founding examples, end to end, on data it makes",
               "pando-demo"};
  cli.footer(R"(Examples:
  make demo                                         (2 ranks, small scale)
  jobscripts/pando-run -n 4 pando-demo --scale medium --workdir /tmp/pando-demo
  sbatch jobscripts/demo.sbatch --scale medium)");
  pando::app::Common common;
  pando::app::add_common_options(cli, common);
  std::string workdir = (std::filesystem::temp_directory_path() / "pando-demo").string();
  std::string scale = "small";
  cli.add_option("--workdir", workdir, "where the generated data goes (reused by later runs)");
  cli.add_option("--scale", scale,
                 "small (200k rows, 2048^2 array) or medium (2M rows, 8192^2 array)")
      ->check(CLI::IsMember({"small", "medium"}));
  return pando::app::run(cli, argc, argv, common, [&](Session& session) {
    Stopwatch total;
    const Scale s = scale_of(scale);
    say("pando-demo on {} rank{}, scale {}, data in {}\n", session.size(),
        session.size() == 1 ? "" : "s", scale, workdir);
    agree(session.comm(), [&] {
      if (session.rank() == 0) std::filesystem::create_directories(workdir);
    });
    dataframes(workdir, s);
    arrays(workdir, s);
    custom(session, s);
    say("\nAll three examples done in {:.1f} s.\n", total.seconds());
  });
}
