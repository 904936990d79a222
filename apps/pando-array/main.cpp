// pando-array: array analytics on HDF5 datasets, in parallel.
//
// The subcommands fill one Plan (what to read, what to compute, where results go); build()
// turns it into arrays with the library, and one compute() runs every result in one pass.

#include <app.hpp>

#include <fmt/format.h>

#include <map>
#include <optional>

namespace {

using namespace pando;

constexpr const char* examples = R"(Examples (run from the repository, data made by pando-gen):
  pando-gen array --shape 4096,4096 --chunks 1024,1024 --out data.h5:/x
  jobscripts/pando-run -n 2 pando-array reduce data.h5:/x --op sum --op mean:0 --op std:1
  jobscripts/pando-run -n 2 pando-array eval "sin(x)**2 + cos(x)**2" --bind x=data.h5:/x --reduce mean
  jobscripts/pando-run -n 2 pando-array eval "x + x.T" --bind x=data.h5:/x --out data.h5:/sym
  jobscripts/pando-run -n 2 pando-array rechunk data.h5:/x --to 4096,64 --out data.h5:/cols
  jobscripts/pando-run -n 2 pando-array stats data.h5:/x
Results go to stdout as CSV (rank 0 prints), or to --out. Statistics follow NumPy: var and std
divide by n - ddof with ddof 0 (--ddof 1 for the sample variance). Integer datasets of any width
reduce as in NumPy: the sum of uint8 is uint64, its min uint8, its mean float64.)";

// One reduction asked for on the command line: "mean:0".
struct Reduction {
  std::string text;
  ReduceKind kind;
  std::optional<int> axis;
};

Reduction parse_reduction(const std::string& text, std::string_view option) {
  const auto colon = text.find(':');
  const std::string name = text.substr(0, colon);
  auto kind = parse_reduce_kind(name);
  const std::vector<std::string> allowed = {"sum", "prod", "mean", "var", "std", "min", "max"};
  if (!kind || std::find(allowed.begin(), allowed.end(), name) == allowed.end())
    throw UsageError(
        fmt::format("{}: unknown reduction '{}' (use sum, prod, mean, var, std, min or max, "
                    "optionally with :AXIS, e.g. mean:0)",
                    option, name));
  Reduction r{text, *kind, std::nullopt};
  if (colon != std::string::npos) {
    const std::string axis = text.substr(colon + 1);
    try {
      std::size_t used = 0;
      r.axis = std::stoi(axis, &used);
      if (used != axis.size()) throw std::invalid_argument(axis);
    } catch (const std::exception&) {
      throw UsageError(fmt::format("{}: '{}' in '{}' is not an axis number", option, axis, text));
    }
  }
  return r;
}

// Everything a run needs, from whichever subcommand.
struct Plan {
  std::string command;
  std::string source;                 // reduce, rechunk, stats: FILE.h5:/DSET
  std::vector<std::string> bindings;  // eval: NAME=FILE.h5:/DSET
  std::string expression;             // eval
  std::vector<std::string> reductions;
  std::string out;     // FILE.h5:/NAME
  std::string chunks;  // --chunks R,C for reading
  std::string dtype;   // --dtype: read as this type
  std::string to;      // rechunk --to
  int ddof = 0;
  int gzip = -1;
};

AnyArray read(const std::string& ref_text, const Plan& plan, std::string_view option) {
  const auto ref = app::DatasetRef::parse(ref_text, option);
  Hdf5Read options;
  if (!plan.chunks.empty()) {
    Shape chunks = app::parse_shape(plan.chunks, "--chunks");
    // In eval, a dataset of fewer dimensions (a row against a matrix) takes the last ones,
    // aligned as broadcasting aligns shapes.
    const auto ndim =
        plan.command != "eval"
            ? chunks.size()
            : h5::inspect(Session::current().comm(), ref.file, ref.dataset).shape.size();
    if (ndim < chunks.size())
      chunks.erase(chunks.begin(), chunks.end() - static_cast<std::ptrdiff_t>(ndim));
    options.chunks = chunks;
  }
  if (!plan.dtype.empty()) {
    auto t = parse_dtype(plan.dtype);
    if (!t || *t == DType::string || *t == DType::timestamp)
      throw UsageError(fmt::format(
          "--dtype: unknown type '{}' (use bool, int32, int64, uint64, float32 or float64)",
          plan.dtype));
    options.as = t;
  }
  return from_hdf5(ref.file, ref.dataset, options);
}

// The text of one element, as NumPy and pandas print it.
std::string element_text(const Block& b, std::size_t i) {
  return visit<array_dtypes, refuse_array_dtype>(b.dtype, [&](auto t) -> std::string {
    using T = decltype(t);
    const T v = b.values<T>()[i];
    if constexpr (std::is_same_v<T, bool>)
      return std::string(format_bool(v));
    else if constexpr (std::is_same_v<T, float>)
      return format_float(v);
    else if constexpr (std::is_same_v<T, double>)
      return format_double(v);
    else
      return std::to_string(v);
  });
}

// A result as CSV: scalars as "value"; 2-d arrays as a matrix with column numbers as header;
// other arrays as "index,value" rows (index: the row-major position).
std::string array_text(const Block& b) {
  std::string out;
  if (b.ndim() == 2) {
    for (std::int64_t j = 0; j < b.shape[1]; ++j) out += fmt::format("{}{}", j ? "," : "", j);
    out += '\n';
    for (std::int64_t i = 0; i < b.shape[0]; ++i) {
      for (std::int64_t j = 0; j < b.shape[1]; ++j) {
        if (j) out += ',';
        out += element_text(b, static_cast<std::size_t>(i * b.shape[1] + j));
      }
      out += '\n';
    }
    return out;
  }
  if (b.ndim() == 0) return "value\n" + element_text(b, 0) + "\n";
  out = "index,value\n";
  for (std::int64_t i = 0; i < b.size(); ++i)
    out += fmt::format("{},{}\n", i, element_text(b, static_cast<std::size_t>(i)));
  return out;
}

// Rows "op,value" (all scalar) or "op,index,value".
std::string reductions_text(const std::vector<Reduction>& rs, const std::vector<Block>& results) {
  const bool any_axis =
      std::any_of(rs.begin(), rs.end(), [](const Reduction& r) { return r.axis.has_value(); });
  std::string out = any_axis ? "op,index,value\n" : "op,value\n";
  for (std::size_t k = 0; k < rs.size(); ++k) {
    const Block& b = results[k];
    for (std::int64_t i = 0; i < b.size(); ++i) {
      const std::string index = b.ndim() == 0 ? "" : std::to_string(i);
      out += any_axis
                 ? fmt::format("{},{},{}\n", rs[k].text, index,
                               element_text(b, static_cast<std::size_t>(i)))
                 : fmt::format("{},{}\n", rs[k].text, element_text(b, static_cast<std::size_t>(i)));
    }
  }
  return out;
}

AnyArray reduce_by(const AnyArray& a, const Reduction& r, int ddof) {
  ReduceOptions o;
  if (r.axis) o.axes = {*r.axis};
  o.ddof = ddof;
  return a.reduce(r.kind, o);
}

// Writes `result` (with the attributes it carries: rechunk keeps the input's).
void write_out(const AnyArray& result, const std::string& out_ref, const Plan& plan,
               std::optional<Shape> chunks = std::nullopt) {
  const auto ref = app::DatasetRef::parse(out_ref, "--out");
  Hdf5Write w;
  w.chunks = chunks;
  w.gzip_level = plan.gzip;
  to_hdf5(result, ref.file, ref.dataset, w);
}

void run_plan(const Plan& plan) {
  app::Output out;  // stdout
  std::vector<Reduction> reductions;
  for (const auto& r : plan.reductions)
    reductions.push_back(parse_reduction(r, plan.command == "eval" ? "--reduce" : "--op"));

  if (plan.command == "stats") {
    AnyArray x = read(plan.source, plan, "DATASET");
    std::vector<AnyArray> parts = {x.mean(), x.std({}, false, plan.ddof), x.min(), x.max()};
    std::vector<Block> r;
    {
      app::Stage s("stats (one pass)");
      r = compute(parts);
    }
    out.write(fmt::format("stat,value\ncount,{}\nmean,{}\nstd,{}\nmin,{}\nmax,{}\n", x.size(),
                          element_text(r[0], 0), element_text(r[1], 0), element_text(r[2], 0),
                          element_text(r[3], 0)));
    out.finish();
    return;
  }

  if (plan.command == "rechunk") {
    AnyArray x = read(plan.source, plan, "DATASET");
    const Shape to = app::parse_shape(plan.to, "--to");
    app::Stage s("rechunk and write");
    write_out(x.rechunk(to), plan.out, plan, to);
    return;
  }

  // reduce and eval: an array, then reductions or the array itself.
  AnyArray x;
  if (plan.command == "reduce") {
    x = read(plan.source, plan, "DATASET");
  } else {
    std::map<std::string, AnyArray> bound;
    for (const auto& b : plan.bindings) {
      const auto eq = b.find('=');
      if (eq == std::string::npos || eq == 0)
        throw UsageError(fmt::format("--bind: '{}' is not NAME=FILE.h5:/DATASET", b));
      bound[b.substr(0, eq)] = read(b.substr(eq + 1), plan, "--bind");
    }
    x = evaluate(expr::parse_expression(plan.expression, "EXPR"), bound);
  }
  if (!plan.out.empty() && reductions.size() > 1)
    throw UsageError("--out takes one result: give a single --op");
  std::vector<AnyArray> results;
  for (const auto& r : reductions) results.push_back(reduce_by(x, r, plan.ddof));
  if (!plan.out.empty()) {
    app::Stage s("compute and write");
    write_out(results.empty() ? x : results[0], plan.out, plan);
    return;
  }
  if (results.empty()) {
    app::Stage s("compute");
    out.write(array_text(x.compute()));
  } else {
    std::vector<Block> blocks;
    {
      app::Stage s(
          fmt::format("{} reduction{} (one pass)", results.size(), results.size() > 1 ? "s" : ""));
      blocks = compute(results);
    }
    out.write(reductions_text(reductions, blocks));
  }
  out.finish();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"pando-array: array analytics on HDF5 datasets, in parallel (MPI)", "pando-array"};
  cli.footer(examples);
  cli.require_subcommand(1);
  cli.fallthrough();  // --chunks, --dtype, --ddof, --gzip and -v after the subcommand too
  pando::app::Common common;
  pando::app::add_common_options(cli, common);
  Plan plan;
  cli.add_option("--chunks", plan.chunks,
                 "block shape to read in, R,C (default: the dataset's chunks, grown to ~64 MiB "
                 "when they are small; contiguous datasets: ~64 MiB blocks); in eval, datasets "
                 "of fewer dimensions take the last ones");
  cli.add_option("--dtype", plan.dtype,
                 "read the datasets as this type, converted by HDF5 (bool, int32, int64, uint64, "
                 "float32, float64); default: the dataset's own, integers of 8 and 16 bits (and "
                 "uint32) held in a wider type");
  cli.add_option("--ddof", plan.ddof, "var/std divide by n - ddof (default 0, as NumPy)");
  cli.add_option("--gzip", plan.gzip, "compress --out datasets at this level, 0-9")
      ->check(CLI::Range(0, 9));

  auto* reduce = cli.add_subcommand("reduce", "reductions of a dataset, several in one pass");
  reduce->add_option("DATASET", plan.source, "FILE.h5:/PATH")->required();
  reduce
      ->add_option("--op", plan.reductions,
                   "OP[:AXIS], OP one of sum prod mean var std min max (repeatable)")
      ->required();
  reduce->add_option("--out", plan.out, "write the result (one --op) to FILE.h5:/NAME");

  auto* eval =
      cli.add_subcommand("eval", "an element-wise expression over datasets, fused in one pass");
  eval->add_option("EXPR", plan.expression,
                   "+ - * / **, comparisons, and/or/not, sin cos tan exp log sqrt abs tanh, "
                   "where(c, a, b), NAME.T")
      ->required();
  eval->add_option("--bind", plan.bindings, "NAME=FILE.h5:/PATH (repeatable)")->required();
  eval->add_option("--reduce", plan.reductions, "reduce the result: OP[:AXIS]")->expected(1);
  eval->add_option("--out", plan.out, "write the result to FILE.h5:/NAME");

  auto* rechunk = cli.add_subcommand("rechunk", "rewrite a dataset in other blocks");
  rechunk->add_option("DATASET", plan.source, "FILE.h5:/PATH")->required();
  rechunk->add_option("--to", plan.to, "the new block shape R,C")->required();
  rechunk->add_option("--out", plan.out, "FILE.h5:/NAME")->required();

  auto* stats = cli.add_subcommand("stats", "count, mean, std, min, max in one pass");
  stats->add_option("DATASET", plan.source, "FILE.h5:/PATH")->required();

  return pando::app::run(cli, argc, argv, common, [&](pando::Session&) {
    plan.command = cli.get_subcommands().front()->get_name();
    run_plan(plan);
  });
}
