// pando-gen: synthetic data for demos, tests and benchmarks, made in parallel by the library
// (pando::generate for tables, pando::random for arrays): the same bytes at any rank count.
#include <app.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

namespace {

using namespace pando;

constexpr std::uint64_t default_seed = 42;

constexpr const char* examples = R"(Examples:
  # 1M transactions in 4 CSV files, plus data/customers.csv
  pando-gen table --rows 1000000 --files 4 --out data
  # the benchmark table (10M rows, ~580 MB in 8 files), on 4 ranks
  jobscripts/pando-run -n 4 pando-gen table --rows 10000000 --files 8 --out bench-data
  # a 20000 x 5000 array of standard normal numbers in HDF5 chunks of 5000 x 5000
  pando-gen array --shape 20000,5000 --chunks 5000,5000 --dist normal --out x.h5:/x

The same seed gives the same bytes on any number of ranks. See 'pando-gen table --help' and
'pando-gen array --help' for what is generated.)";

constexpr const char* table_footer =
    R"(Writes DIR/transactions-NN.csv (NN = 00, 01, ...; one per file, each with a
header) and DIR/customers.csv, creating DIR if needed. Columns:
  id        int64      0 .. rows-1
  ts        timestamp  from 2024-01-01 00:00:00, ~3 s apart, whole seconds, increasing
  customer  string     C000000 .. C009999, Zipf-skewed (the top customer ~10% of rows)
  category  string     20 names (groceries, electronics, ...)
  amount    float64    qty x a log-normal unit price in cents; ~5% empty (null)
  qty       int64      1 .. 10, mostly small
  flag      bool       True in ~10% of rows
customers.csv: customer,region,tier for every customer id.
Each file is made in memory (~200 bytes a row): use more files for bigger tables.

Example:
  pando-gen table --rows 1000000 --files 4 --out data --seed 7)";

constexpr const char* array_footer =
    R"(The values depend on the seed and each element's position only: the same at any
--chunks and any number of ranks. --chunks is also the HDF5 dataset's chunk shape.

Example:
  pando-gen array --shape 20000,5000 --chunks 5000,5000 --dist normal --out x.h5:/x)";

struct TableArgs {
  std::int64_t rows = -1;
  std::int64_t files = -1;
  std::string out;
  std::uint64_t seed = default_seed;
};

struct ArrayArgs {
  std::string shape, chunks, out, dist = "uniform", dtype = "float64";
  std::uint64_t seed = default_seed;
  bool overwrite = false;
};

std::string megabytes(std::uintmax_t bytes) {
  return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6);
}

void make_table(const TableArgs& a) {
  if (a.rows < 0 || a.rows > generate::max_rows)
    throw UsageError(
        fmt::format("--rows: {} is not a number of rows (0 to {})", a.rows, generate::max_rows));
  if (a.files < 1 || a.files > generate::max_partitions)
    throw UsageError(fmt::format("--files: {} is not a number of files (1 to {})", a.files,
                                 generate::max_partitions));
  generate::TableFiles files;
  {
    app::Stage stage("generate and write the tables");
    files = generate::write_tables(a.out, a.rows, a.files, a.seed);
  }
  if (Session::current().rank() != 0) return;
  std::uintmax_t bytes = 0;
  std::error_code ec;
  for (const auto& f : files.transactions) bytes += std::filesystem::file_size(f, ec);
  std::printf("pando-gen: %lld rows in %lld files %s .. %s (%s), customers in %s\n",
              static_cast<long long>(a.rows), static_cast<long long>(a.files),
              files.transactions.front().c_str(), files.transactions.back().c_str(),
              megabytes(bytes).c_str(), files.customers.c_str());
}

void make_array(const ArrayArgs& a) {
  const Shape shape = app::parse_shape(a.shape, "--shape");
  std::optional<Shape> chunks;
  if (!a.chunks.empty()) {
    chunks = app::parse_shape(a.chunks, "--chunks");
    if (chunks->size() != shape.size())
      throw UsageError(fmt::format("--chunks: {} is for a {}-d array, but --shape {} is {}-d",
                                   a.chunks, chunks->size(), a.shape, shape.size()));
  }
  const auto ref = app::DatasetRef::parse(a.out, "--out");
  const auto dtype = parse_dtype(a.dtype);
  if (!dtype || (*dtype != DType::float64 && *dtype != DType::float32))
    throw UsageError(fmt::format("--dtype: '{}' is not float64 or float32", a.dtype));
  if (a.dist != "uniform" && a.dist != "normal")
    throw UsageError(fmt::format("--dist: '{}' is not uniform or normal", a.dist));

  const ChunkSpec spec = chunks ? ChunkSpec(*chunks) : ChunkSpec();
  const AnyArray x = a.dist == "normal" ? random::normal(shape, a.seed, 0.0, 1.0, *dtype, spec)
                                        : random::uniform(shape, a.seed, 0.0, 1.0, *dtype, spec);
  Hdf5Write write;
  write.overwrite = a.overwrite;
  if (chunks) {
    // HDF5 wants chunks no larger than a fixed-size dataset, and under 4 GiB.
    Shape stored = *chunks;
    std::uint64_t bytes = element_size(*dtype);
    for (std::size_t d = 0; d < stored.size(); ++d) {
      stored[d] = std::min(stored[d], shape[d]);
      bytes *= static_cast<std::uint64_t>(stored[d]);
    }
    if (bytes >= (std::uint64_t{1} << 32))
      throw UsageError(fmt::format("--chunks: {} chunks of {} bytes each pass HDF5's 4 GiB limit",
                                   a.chunks, bytes));
    write.chunks = std::move(stored);
  }
  {
    app::Stage stage("generate and write the array");
    to_hdf5(x, ref.file, ref.dataset, write);
  }
  if (Session::current().rank() == 0)
    std::printf("pando-gen: %s %s array (%s, seed %llu) in %s:%s\n", shape_text(shape).c_str(),
                a.dtype.c_str(), a.dist.c_str(), static_cast<unsigned long long>(a.seed),
                ref.file.c_str(), ref.dataset.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"pando-gen: synthetic data for demos, tests and benchmarks, made in parallel",
               "pando-gen"};
  cli.footer(examples);
  cli.require_subcommand(1);
  cli.fallthrough();  // -v after the subcommand
  app::Common common;
  app::add_common_options(cli, common);

  TableArgs t;
  auto* table = cli.add_subcommand(
      "table", "a transactions table as CSV files, and the customers it refers to");
  table->add_option("--rows", t.rows, "rows in all (the row ids are 0 .. rows-1)")->required();
  table->add_option("--files", t.files, "CSV files to write the rows to (each with a header)")
      ->required();
  table->add_option("--out", t.out, "the folder to write into (made if missing)")->required();
  table->add_option("--seed", t.seed, "the random seed (the same seed, the same bytes)")
      ->capture_default_str();
  table->footer(table_footer);

  ArrayArgs a;
  auto* array = cli.add_subcommand("array", "an HDF5 dataset of uniform or normal random numbers");
  array->add_option("--shape", a.shape, "the array's shape, e.g. 20000,5000")->required();
  array->add_option("--chunks", a.chunks,
                    "block and HDF5 chunk shape, e.g. 5000,5000 (default: ~64 MiB blocks)");
  array->add_option("--out", a.out, "FILE.h5:/DATASET (the file is made if missing)")->required();
  array->add_option("--dist", a.dist, "uniform (on [0, 1)) or normal (mean 0, sd 1)")
      ->capture_default_str();
  array->add_option("--dtype", a.dtype, "float64 or float32")->capture_default_str();
  array->add_option("--seed", a.seed, "the random seed")->capture_default_str();
  array->add_flag("--overwrite", a.overwrite, "replace the dataset if it exists");
  array->footer(array_footer);

  return app::run(cli, argc, argv, common, [&](Session&) {
    if (*table)
      make_table(t);
    else
      make_array(a);
  });
}
