// Synthetic tables (see generate.hpp for the distributions).
//
// Each partition task fills its columns one at a time, in tight loops over its rows: a cell's
// random bits are one multiply-xorshift hash of (column key, row), discrete values come from
// alias tables (one table lookup and one compare), strings are appended from names formatted
// once per table. No allocation per row.

#include <pando/frame/generate.hpp>

#include <pando/core/consensus.hpp>
#include <pando/core/log.hpp>
#include <pando/core/session.hpp>
#include <pando/core/timestamp.hpp>
#include <pando/graph/runtime.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <numbers>
#include <span>
#include <system_error>

namespace pando::generate {

namespace {

namespace fs = std::filesystem;

// ---- random bits per cell ----

constexpr std::uint64_t golden_gamma = 0x9E3779B97F4A7C15ull;

// SplitMix64's output function (Steele, Lea, Flood, "Fast splittable pseudorandom number
// generators", OOPSLA 2014): a bijection of 64-bit words that mixes every input bit into every
// output bit.
constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// FNV-1a: a column name as a number (defined here, so that streams never change with another
// hash elsewhere in Pando).
constexpr std::uint64_t fnv1a(std::string_view s) noexcept {
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ull;
  return h;
}

// The random bits of one column: cell `row` gets SplitMix64's value number row + 1 of a
// sequence that starts at a key made from the seed and the column's name (a counter-based
// generator: any cell, in any order, without the cells before it).
class Stream {
 public:
  Stream(std::uint64_t seed, std::string_view column)
      : key_(mix64(fnv1a(column) ^ mix64(seed + golden_gamma))) {}
  [[nodiscard]] std::uint64_t bits(std::int64_t row) const noexcept {
    return mix64(key_ + (static_cast<std::uint64_t>(row) + 1) * golden_gamma);
  }
  // Uniform on [0, 1), 53 bits.
  [[nodiscard]] double uniform(std::int64_t row) const noexcept {
    return static_cast<double>(bits(row) >> 11) * 0x1.0p-53;
  }

 private:
  std::uint64_t key_;
};

// True with probability p (from 64 random bits).
class Chance {
 public:
  explicit Chance(double p) : below_(static_cast<std::uint64_t>(std::ldexp(p, 64))) {}
  [[nodiscard]] bool operator()(std::uint64_t bits) const noexcept { return bits < below_; }

 private:
  std::uint64_t below_;
};

// An integer 0 .. n-1 with probability proportional to weights[i], by Walker's alias method
// (Vose's construction): the high 32 bits pick a slot, the low 32 bits decide between the slot
// and its alias. Integer thresholds: a draw is exact and the same on every machine.
class Discrete {
 public:
  explicit Discrete(std::span<const double> weights)
      : threshold_(weights.size()), alias_(weights.size()) {
    const auto n = weights.size();
    double total = 0;
    for (double w : weights) total += w;
    std::vector<double> p(n);
    std::vector<std::uint32_t> small, large;
    for (std::size_t i = 0; i < n; ++i) {
      p[i] = weights[i] * static_cast<double>(n) / total;
      (p[i] < 1.0 ? small : large).push_back(static_cast<std::uint32_t>(i));
    }
    while (!small.empty() && !large.empty()) {
      const auto s = small.back(), l = large.back();
      small.pop_back();
      threshold_[s] = to_threshold(p[s]);
      alias_[s] = l;
      p[l] -= 1.0 - p[s];
      if (p[l] < 1.0) {
        large.pop_back();
        small.push_back(l);
      }
    }
    // What is left has probability 1 up to rounding: the slot itself.
    for (auto i : small) threshold_[i] = std::uint64_t{1} << 32, alias_[i] = i;
    for (auto i : large) threshold_[i] = std::uint64_t{1} << 32, alias_[i] = i;
  }

  [[nodiscard]] std::uint32_t operator()(std::uint64_t bits) const noexcept {
    const auto slot = static_cast<std::size_t>(((bits >> 32) * threshold_.size()) >> 32);
    return (bits & 0xFFFFFFFFull) < threshold_[slot] ? static_cast<std::uint32_t>(slot)
                                                     : alias_[slot];
  }

 private:
  static std::uint64_t to_threshold(double p) {
    return std::min<std::uint64_t>(static_cast<std::uint64_t>(std::llround(std::ldexp(p, 32))),
                                   std::uint64_t{1} << 32);
  }

  std::vector<std::uint64_t> threshold_;  // 0 .. 2^32
  std::vector<std::uint32_t> alias_;
};

// ---- the model ----

constexpr std::array<std::string_view, 20> category_names = {
    "groceries", "household", "clothing", "beauty",     "books",   "toys",   "electronics",
    "garden",    "sports",    "health",   "pets",       "music",   "movies", "games",
    "office",    "shoes",     "baby",     "automotive", "jewelry", "travel"};
constexpr std::array<double, 20> price_medians = {18, 12, 35, 22, 15, 25, 180, 30, 45,  20,
                                                  28, 12, 10, 50, 14, 60, 26,  75, 220, 420};
constexpr std::array<std::string_view, 5> region_names = {"north", "south", "east", "west",
                                                          "central"};
constexpr std::array<double, 5> region_weights = {25, 20, 20, 20, 15};
constexpr std::array<std::string_view, 4> tier_names = {"bronze", "silver", "gold", "platinum"};
constexpr std::array<double, 4> tier_weights = {50, 30, 15, 5};

constexpr std::int64_t ts_start_seconds = 1'704'067'200;  // 2024-01-01T00:00:00Z
constexpr std::int64_t ts_step_seconds = 3;
constexpr double price_sigma = 0.6;
constexpr double amount_null_rate = 0.05;
constexpr double flag_rate = 0.10;
constexpr std::size_t name_width = 7;  // "C004217"

std::vector<double> weights_of(std::int64_t n, auto&& weight) {
  std::vector<double> w(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) w[static_cast<std::size_t>(i)] = weight(i);
  return w;
}

// The customer names "C000000" .. in one block of name_width bytes each.
std::string customer_names() {
  std::string out;
  out.reserve(static_cast<std::size_t>(customer_count) * name_width);
  for (std::int64_t id = 0; id < customer_count; ++id) out += customer_name(id);
  return out;
}

// Everything a transactions partition needs, built once per frame on every rank alike.
struct TransactionsModel {
  explicit TransactionsModel(std::uint64_t seed)
      : ts(seed, "transactions/ts"),
        customer(seed, "transactions/customer"),
        category(seed, "transactions/category"),
        qty(seed, "transactions/qty"),
        price_u1(seed, "transactions/amount/u1"),
        price_u2(seed, "transactions/amount/u2"),
        amount_null(seed, "transactions/amount/null"),
        flag(seed, "transactions/flag"),
        customer_rank(weights_of(customer_count,
                                 [](std::int64_t r) { return 1.0 / static_cast<double>(r + 1); })),
        category_pick(
            weights_of(20, [](std::int64_t k) { return 1.0 / static_cast<double>(k + 5); })),
        qty_pick(weights_of(10, [](std::int64_t q) { return 1.0 / static_cast<double>(q + 1); })),
        is_null(amount_null_rate),
        is_flagged(flag_rate),
        names(customer_names()),
        id_of_rank(static_cast<std::size_t>(customer_count)) {
    // Popularity ranks to ids: a Fisher-Yates shuffle driven by its own stream.
    for (std::size_t i = 0; i < id_of_rank.size(); ++i)
      id_of_rank[i] = static_cast<std::uint32_t>(i);
    const Stream shuffle(seed, "transactions/customer/ranks");
    for (auto k = static_cast<std::int64_t>(id_of_rank.size()) - 1; k > 0; --k) {
      const auto j = static_cast<std::size_t>(
          ((shuffle.bits(k) >> 32) * static_cast<std::uint64_t>(k + 1)) >> 32);
      std::swap(id_of_rank[static_cast<std::size_t>(k)], id_of_rank[j]);
    }
    for (std::size_t k = 0; k < category_names.size(); ++k)
      log_median_cents[k] = std::log(price_medians[k] * 100.0);
  }

  Stream ts, customer, category, qty, price_u1, price_u2, amount_null, flag;
  Discrete customer_rank, category_pick, qty_pick;
  Chance is_null, is_flagged;
  std::string names;
  std::vector<std::uint32_t> id_of_rank;
  std::array<double, 20> log_median_cents{};
};

const Schema& transactions_schema() {
  static const Schema s{{"id", DType::int64},        {"ts", DType::timestamp},
                        {"customer", DType::string}, {"category", DType::string},
                        {"amount", DType::float64},  {"qty", DType::int64},
                        {"flag", DType::boolean}};
  return s;
}

const Schema& customers_schema() {
  static const Schema s{
      {"customer", DType::string}, {"region", DType::string}, {"tier", DType::string}};
  return s;
}

Table make_transactions(const TransactionsModel& m, std::int64_t begin, std::int64_t end) {
  const auto n = static_cast<std::size_t>(end - begin);
  std::vector<Column> cols;
  cols.reserve(7);
  {
    ColumnBuilder<std::int64_t> b;
    b.reserve(n);
    for (auto r = begin; r < end; ++r) b.append(r);
    cols.push_back(b.finish());
  }
  {
    ColumnBuilder<std::int64_t> b(DType::timestamp);
    b.reserve(n);
    for (auto r = begin; r < end; ++r) {
      const auto jitter = static_cast<std::int64_t>(((m.ts.bits(r) >> 32) * 3) >> 32);
      b.append((ts_start_seconds + ts_step_seconds * r + jitter) * ns_per_second);
    }
    cols.push_back(b.finish());
  }
  std::vector<std::uint32_t> cat(n);
  {
    StringColumnBuilder b;
    b.reserve(n, n * name_width);
    for (auto r = begin; r < end; ++r) {
      const auto id = m.id_of_rank[m.customer_rank(m.customer.bits(r))];
      b.append(std::string_view(m.names).substr(id * name_width, name_width));
    }
    cols.push_back(b.finish());
  }
  {
    StringColumnBuilder b;
    b.reserve(n, n * 8);
    for (std::size_t i = 0; i < n; ++i) {
      cat[i] = m.category_pick(m.category.bits(begin + static_cast<std::int64_t>(i)));
      b.append(category_names[cat[i]]);
    }
    cols.push_back(b.finish());
  }
  std::vector<std::int64_t> qty(n);
  for (std::size_t i = 0; i < n; ++i)
    qty[i] = m.qty_pick(m.qty.bits(begin + static_cast<std::int64_t>(i))) + 1;
  {
    ColumnBuilder<double> b;
    b.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto r = begin + static_cast<std::int64_t>(i);
      if (m.is_null(m.amount_null.bits(r))) {
        b.append_null();
        continue;
      }
      // Box-Muller; 1 - u1 lies in (0, 1], so the log is finite.
      const double z = std::sqrt(-2.0 * std::log(1.0 - m.price_u1.uniform(r))) *
                       std::cos(2.0 * std::numbers::pi * m.price_u2.uniform(r));
      const auto cents = std::max<std::int64_t>(
          1, std::llround(std::exp(m.log_median_cents[cat[i]] + price_sigma * z)));
      b.append(static_cast<double>(cents * qty[i]) / 100.0);
    }
    cols.push_back(b.finish());
  }
  {
    ColumnBuilder<std::int64_t> b;
    b.reserve(n);
    for (auto q : qty) b.append(q);
    cols.push_back(b.finish());
  }
  {
    ColumnBuilder<bool> b;
    b.reserve(n);
    for (auto r = begin; r < end; ++r) b.append(m.is_flagged(m.flag.bits(r)));
    cols.push_back(b.finish());
  }
  return Table(transactions_schema(), std::move(cols));
}

Table make_customers(std::uint64_t seed) {
  const Stream region(seed, "customers/region"), tier(seed, "customers/tier");
  const Discrete region_pick(region_weights), tier_pick(tier_weights);
  const std::string names = customer_names();
  const auto n = static_cast<std::size_t>(customer_count);
  StringColumnBuilder c, g, t;
  c.reserve(n, names.size());
  g.reserve(n, n * 5);
  t.reserve(n, n * 6);
  for (std::int64_t id = 0; id < customer_count; ++id) {
    c.append(std::string_view(names).substr(static_cast<std::size_t>(id) * name_width, name_width));
    g.append(region_names[region_pick(region.bits(id))]);
    t.append(tier_names[tier_pick(tier.bits(id))]);
  }
  return Table(customers_schema(), {c.finish(), g.finish(), t.finish()});
}

// `what`: the function; `parts`: what its partitions are called ("partitions", "files").
void check_sizes(std::int64_t rows, std::int64_t partitions, std::string_view what,
                 std::string_view parts) {
  if (rows < 0 || rows > max_rows)
    throw ValueError(
        fmt::format("{}: {} rows is not a table size (0 to {})", what, rows, max_rows));
  if (partitions < 1 || partitions > max_partitions)
    throw ValueError(fmt::format("{}: {} is not a number of {} (1 to {})", what, partitions, parts,
                                 max_partitions));
}

// The first row of partition i of n over `rows` rows.
std::int64_t partition_begin(std::int64_t rows, std::int64_t n, std::int64_t i) {
  return i * (rows / n) + std::min(i, rows % n);
}

}  // namespace

const std::array<std::string_view, 20>& categories() { return category_names; }
const std::array<double, 20>& category_price_medians() { return price_medians; }

std::string customer_name(std::int64_t id) { return fmt::format("C{:06}", id); }

DataFrame transactions(std::int64_t rows, std::int64_t partitions, std::uint64_t seed) {
  check_sizes(rows, partitions, "transactions", "partitions");
  auto model = std::make_shared<const TransactionsModel>(seed);
  Hasher h("generate-transactions");
  h.add(rows).add(partitions).add(seed);
  const std::string token = make_token("transactions", h.value());
  std::vector<Task> tasks;
  tasks.reserve(static_cast<std::size_t>(partitions));
  for (std::int64_t i = 0; i < partitions; ++i) {
    const auto begin = partition_begin(rows, partitions, i),
               end = partition_begin(rows, partitions, i + 1);
    Task t;
    t.key = Key(token, {i});
    // About 80 bytes a row in memory, ~60 ns a row to make.
    t.nbytes = static_cast<std::uint64_t>(end - begin) * 80;
    t.cost = static_cast<double>(end - begin) * 60e-9;
    t.fn = [model, begin, end](std::span<const Value>) {
      return Value::of(make_transactions(*model, begin, end));
    };
    tasks.push_back(std::move(t));
  }
  return DataFrame(transactions_schema(), partitions, token, Graph(std::move(tasks)));
}

DataFrame customers(std::uint64_t seed) {
  Hasher h("generate-customers");
  h.add(seed);
  const std::string token = make_token("customers", h.value());
  Task t;
  t.key = Key(token, {0});
  t.nbytes = static_cast<std::uint64_t>(customer_count) * 40;
  t.cost = static_cast<double>(customer_count) * 50e-9;
  t.fn = [seed](std::span<const Value>) { return Value::of(make_customers(seed)); };
  std::vector<Task> tasks;
  tasks.push_back(std::move(t));
  return DataFrame(customers_schema(), 1, token, Graph(std::move(tasks)));
}

std::string transactions_file_name(std::int64_t i, std::int64_t n) {
  const auto digits =
      std::max<std::size_t>(2, std::to_string(std::max<std::int64_t>(n - 1, 0)).size());
  return fmt::format("transactions-{:0{}}.csv", i, digits);
}

TableFiles write_tables(const std::string& dir, std::int64_t rows, std::int64_t files,
                        std::uint64_t seed) {
  check_sizes(rows, files, "write_tables", "files");
  if (dir.empty()) throw UsageError("write_tables: the output folder is an empty path");
  // DataFrame::to_csv writes one file per partition for a path with a '*' in it.
  if (dir.find('*') != std::string::npos)
    throw UsageError(fmt::format("{}: an output folder must not have '*' in its name", dir));

  TableFiles out;
  const fs::path base(dir);
  for (std::int64_t i = 0; i < files; ++i)
    out.transactions.push_back((base / transactions_file_name(i, files)).string());
  out.customers = (base / "customers.csv").string();
  // to_csv numbers its parts with the width of files - 1; a leading 0 makes at least two digits.
  const std::string pad(std::to_string(files - 1).size() < 2 ? 1 : 0, '0');
  const std::string pattern = (base / ("transactions-" + pad + "*.csv")).string();

  const Comm& comm = SessionBase::current().comm();
  const bool created = on_root(comm, [&] {
    std::error_code ec;
    if (fs::is_directory(base, ec)) return false;
    if (fs::exists(base, ec)) throw IoError(fmt::format("{}: exists and is not a folder", dir));
    fs::create_directories(base, ec);
    if (ec) throw IoError(fmt::format("{}: cannot create the folder ({})", dir, ec.message()));
    return true;
  });

  bool wrote_transactions = false;
  try {
    transactions(rows, files, seed).to_csv(pattern);
    wrote_transactions = true;
    customers(seed).to_csv(out.customers);
  } catch (...) {
    // Every rank fails alike (to_csv's TaskError). Rank 0 removes what this call made: to_csv
    // leaves nothing of a failed write, but a failed customers.csv follows written
    // transactions.
    if (comm.rank() == 0) {
      std::error_code ignored;
      if (wrote_transactions)
        for (const auto& f : out.transactions) fs::remove(f, ignored);
      if (created) fs::remove(base, ignored);  // only if empty
    }
    throw;
  }

  if (comm.rank() == 0) {
    // Files of an earlier run with more files stay; a glob over the folder would read them too.
    std::int64_t stale = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(base, ec)) {
      const std::string name = e.path().filename().string();
      if (!name.starts_with("transactions-") || !name.ends_with(".csv")) continue;
      const bool ours =
          std::any_of(out.transactions.begin(), out.transactions.end(),
                      [&](const std::string& f) { return fs::path(f).filename() == name; });
      if (!ours) ++stale;
    }
    if (stale > 0)
      log_warn(
          "{}: {} other transactions-*.csv files from an earlier run are still there "
          "(a glob would read them too)",
          dir, stale);
  }
  return out;
}

}  // namespace pando::generate
