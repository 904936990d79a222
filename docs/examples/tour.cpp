// The tour of the README, compiled by the build and run by the tests (tests/CMakeLists.txt)
// on data made by pando-gen, so that the README's code stays true.
//   pando-example-tour DATA_DIR     (DATA_DIR holds transactions-*.csv and x.h5:/x)
#include <pando/pando.hpp>

#include <unistd.h>

int main(int argc, char** argv) {
  pando::Session session(argc, argv);               // starts MPI unless your code already did
  if (argc > 1 && ::chdir(argv[1]) != 0) return 2;  // (the tests run it in a data folder)

  // Arrays: blocks read in parallel from HDF5, lazy until compute().
  auto x = pando::from_hdf5<double>("x.h5", "/x");
  auto col_means = x.mean({0}).compute();  // LocalArray: .vector(), .matrix()
  auto chain = pando::pow(pando::sin(x), 2.0) + pando::pow(pando::cos(x), 2.0);  // fused
  double one = chain.mean().compute().scalar();
  pando::to_hdf5(x.T(), "out.h5", "/xt");  // atomic, parallel
  // Also: zeros/ones/full/arange/linspace/eye, random::uniform/normal (same values at any rank
  // count), from_local (each rank's own slab, no copy), from_eigen, slicing, reshape, rechunk,
  // concatenate, stack, map_blocks, map_overlap (halos), persist, to_delayed.

  // Dataframes: lazy; each computation parses the CSV ranges in parallel as it streams them
  // (persist() parses them once and keeps them). pandas semantics.
  auto df = pando::read_csv({"transactions-*.csv"});
  auto with_total = df.assign("total", df["amount"] * df["qty"]);
  auto big = with_total.filter(with_total["total"] > 100 && !with_total["flag"]);
  pando::Table stats = big.describe();
  pando::Table sums = big.agg({{"total", "sum"}, {"id", "count"}});
  big.select({"id", "total"}).to_csv("big.csv");
  // Few distinct strings (category, customer) are held as codes: this runs once per category.
  std::int64_t books = df.filter(df["category"] == "books").length();
  // Rows in id order (as pando-gen writes them): sorted_by checks it in one pass and records
  // each partition's range of ids, so loc reads only the partitions that can hold 1000..1999.
  auto ids = df.sorted_by("id").loc(pando::expr::lit(1000), pando::expr::lit(1999));
  // Rows of one customer in one partition, moved all-to-all between the ranks in rounds that
  // fit the memory budget; the partitions are the same at any number of ranks.
  std::int64_t customers_rows = df.shuffle({"customer"}).length();
  // pandas' groupby, sort_values, merge and value_counts; the same bits at any rank count.
  pando::Table totals = df.groupby({"category"})
                            .agg({{"amount", "sum"}, {"amount", "median"}, {"qty", "max"}})
                            .compute();
  auto top = df.sort_values({{"amount", false}}).head(10);
  auto customers = pando::read_csv({"customers.csv"});
  auto by_region = pando::merge(df, customers, {.on = {"customer"}, .how = pando::JoinHow::left})
                       .groupby({"region"})
                       .agg({{"amount", "mean"}});
  pando::Table counts = df.value_counts("category").compute();
  // HDF5 tables: one dataset per column, written in parallel and atomically.
  df.select({"id", "category", "amount"}).to_hdf5("t.h5", "/transactions");
  std::int64_t stored = pando::read_hdf5("t.h5", "/transactions").length();
  // Also: head, tail, length, select/drop/rename/astype, fillna, dropna, isna, null_counts,
  // nlargest/nsmallest, nunique, drop_duplicates, set_index, groupby(...).size(),
  // map_partitions, persist, divisions, to_delayed/from_delayed, text expressions
  // (pando::expr::parse_expression("amount > 100 and flag", "--where")).

  // Custom computations: delayed functions and futures, planned as one schedule.
  auto a = pando::delayed([](int v) { return v * 2; }).name("double")(21);
  int answer = a.compute();  // 42 on every rank
  std::vector<pando::Future<double>> fits;
  for (double alpha : {0.1, 1.0, 10.0})
    fits.push_back(session.submit([](double al) { return al * al; }, alpha));
  std::vector<double> results = pando::gather(fits);  // runs the whole batch
  return (answer == 42 && results.size() == 3 && one > 0.999 && col_means.size() > 0 &&
          stats.rows() == 8 && sums.rows() == 1 && books > 0 && ids.length() == 1000 &&
          customers_rows == df.length() && totals.num_columns() == 4 && top.rows() == 10 &&
          by_region.length() > 0 && counts.rows() == totals.rows() && stored == df.length())
             ? 0
             : 1;
}
