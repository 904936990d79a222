#pragma once
// Synthetic data for demos, tests and benchmarks: a skewed transactions table and the customers
// it refers to, generated in parallel (one task per partition) and the same at any rank count.
//
//   auto tx = pando::generate::transactions(10'000'000, 8, /*seed=*/42);   // lazy
//   auto by_category = tx.agg({{"amount", "sum"}});                         // collective
//   pando::generate::write_tables("data", 10'000'000, 8, 42);              // collective: files
//
// Every value is a function of (seed, column, row) alone: a counter-based generator
// (SplitMix64's output function over a key made from the seed and the column's name, with the
// row as the counter) gives each cell its own random bits. So the rows do not depend on how the
// table is cut into partitions or on the number of ranks, and a table of N rows is the first N
// rows of any larger table of the same seed. Discrete draws use alias tables with integer
// thresholds; the only floating-point math is amount's log-normal price (libm's log and cos),
// rounded to cents. The streams are Pando's own: the same seed gives the same bytes from one
// Pando version to the next unless the distributions below change.
//
// transactions (rows 0 .. N-1):
//   id        int64      the row number, 0 .. N-1
//   ts        timestamp  2024-01-01 00:00:00 + 3 s * id + a jitter of 0, 1 or 2 s (uniform): whole
//                        seconds, strictly increasing, about 3 s apart (10M rows span ~347 days)
//   customer  string     "C000000" .. "C009999" (customer_count ids), Zipf-distributed: the
//                        customer of popularity rank r (1-based) has probability proportional
//                        to 1/r (the top customer ~10% of rows, the top 100 ~53%, every id
//                        possible); ranks are given to ids by a permutation drawn from the
//                        seed, so C000000 is not the most frequent
//   category  string     one of the 20 names of categories(), the k-th (from 0) with
//                        probability proportional to 1/(k + 5): from ~12% ("groceries") to
//                        ~2.5% ("travel")
//   qty       int64      1 .. 10, P(q) proportional to 1/q (about 34% are 1)
//   amount    float64    qty x a unit price, in whole cents: the price is log-normal around a
//                        median that depends on the category (category_price_medians(), from
//                        $10 to $420) with sigma 0.6, at least $0.01; null in about 5% of rows
//   flag      bool       true in about 10% of rows
//
// customers (one row per id, in id order: every customer that transactions can name):
//   customer  string     "C000000" .. "C009999"
//   region    string     north 25%, south 20%, east 20%, west 20%, central 15%
//   tier      string     bronze 50%, silver 30%, gold 15%, platinum 5%

#include <pando/frame/dataframe.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pando::generate {

inline constexpr std::int64_t customer_count = 10'000;
// The largest table: later timestamps would pass int64 nanoseconds' year 2262.
inline constexpr std::int64_t max_rows = 2'000'000'000;
// The most partitions (files) a table may be cut into.
inline constexpr std::int64_t max_partitions = 1'000'000;

// The 20 category names, most frequent first.
const std::array<std::string_view, 20>& categories();
// The median unit price of each category, in dollars (same order as categories()).
const std::array<double, 20>& category_price_medians();

// "C004217" for id 4217.
std::string customer_name(std::int64_t id);

// Lazy: the transactions table of `rows` rows in `partitions` partitions of rows/partitions rows
// (the first rows % partitions partitions hold one more; some are empty when partitions > rows).
// Partition i's task builds its Table where it runs. ValueError for rows outside 0 .. max_rows
// or partitions outside 1 .. max_partitions.
DataFrame transactions(std::int64_t rows, std::int64_t partitions, std::uint64_t seed);

// Lazy: the customers table (customer_count rows, one partition).
DataFrame customers(std::uint64_t seed);

// What write_tables wrote.
struct TableFiles {
  std::vector<std::string> transactions;  // DIR/transactions-00.csv, ... in row order
  std::string customers;                  // DIR/customers.csv
};

// The name of transactions file i of n: "transactions-07.csv", zero-padded to at least two
// digits and to the width of n - 1 ("transactions-0042.csv" of 1000).
std::string transactions_file_name(std::int64_t i, std::int64_t n);

// Collective. Writes transactions(rows, files, seed) as `files` CSV files
// DIR/transactions-NN.csv (one per partition, each with a header) and customers(seed) as
// DIR/customers.csv, creating DIR if needed (existing files of these names are replaced). The
// CSV is DataFrame::to_csv's (pandas reads it back unchanged; timestamps as
// "2024-01-01 00:00:03", bools as True/False, a null amount as an empty field). A failed job
// leaves none of these files (nor a DIR it created) behind. ValueError for bad sizes, UsageError
// for a DIR that cannot be one.
// Memory: a file is made whole where it is made (its table, then its text): about 200 bytes a
// row at a time on a rank, ~250 MB for each of 8 files of 10M rows. Bigger tables need more
// files.
TableFiles write_tables(const std::string& dir, std::int64_t rows, std::int64_t files,
                        std::uint64_t seed);

}  // namespace pando::generate
