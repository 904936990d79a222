// pando-frame: dataframe analytics on CSV files, in parallel.
//
// The options fill one Plan; run_plan() applies it in a fixed order with the library:
// read -> --assign (in order) -> --fillna -> --where -> --select -> at most one of --groupby with
// --agg, --agg, --describe, --nulls -> --head -> output.

#include <app.hpp>

#include <fmt/format.h>

#include <set>

namespace {

using namespace pando;

constexpr const char* examples = R"(Examples (run from the repository, data made by pando-gen):
  pando-gen table --rows 100000 --files 4 --out data
  jobscripts/pando-run -n 2 pando-frame 'data/transactions-*.csv' --describe
  jobscripts/pando-run -n 2 pando-frame 'data/transactions-*.csv' --where "amount > 100 and flag" \
      --agg amount:sum,amount:mean,id:count
  jobscripts/pando-run -n 2 pando-frame 'data/transactions-*.csv' --groupby category \
      --agg amount:sum,amount:mean,amount:count,qty:max
  jobscripts/pando-run -n 2 pando-frame 'data/transactions-*.csv' --groupby customer \
      --agg amount:median,amount:q90 --head 10
  jobscripts/pando-run -n 2 pando-frame 'data/transactions-*.csv' --assign "total=amount * qty" \
      --select id,total --head 10
  jobscripts/pando-run -n 2 pando-frame 'data/transactions-*.csv' --nulls
  jobscripts/pando-run -n 2 pando-frame data/transactions-00.csv --fillna amount=0 --out filled.csv
Expressions: + - * / %, comparisons, and/or/not, isna(c) notna(c) fillna(c, v), isin(c, v, ...),
between(c, lo, hi), where(c, a, b), contains/startswith/endswith(s, "x"), len(s),
year/month/day/hour(ts), 'strings', numbers. Statistics follow pandas: nulls are skipped, std
and var divide by n - 1 (--ddof to change). With --agg or --select, only the columns the
pipeline uses are parsed (values in the others are not checked). Output is CSV that pandas
reads back unchanged.)";

struct Plan {
  std::vector<std::string> inputs;
  std::string sep = ",";
  std::vector<std::string> dtypes;     // COL=TYPE
  std::vector<std::string> na_values;  // added to the defaults
  std::string bad_lines = "error";
  std::int64_t chunk_size = std::int64_t{64} << 20;
  std::vector<std::string> assigns;  // NAME=EXPR
  std::vector<std::string> fills;    // COL=VALUE
  std::string where;
  std::string select;
  std::optional<std::int64_t> head;
  std::string groupby;  // KEY,... (with agg)
  std::string agg;
  bool describe = false;
  bool nulls = false;
  std::string out;
  int ddof = 1;
  bool keep_na = false;  // --agg with pandas' skipna=False
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at <= text.size()) {
    const auto comma = text.find(',', at);
    out.push_back(text.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return out;
}

std::pair<std::string, std::string> split_pair(const std::string& text, char sep,
                                               std::string_view option, std::string_view form) {
  const auto at = text.find(sep);
  if (at == std::string::npos || at == 0)
    throw UsageError(fmt::format("{}: '{}' is not {}", option, text, form));
  auto trim = [](std::string s) {
    s.erase(0, s.find_first_not_of(" \t"));
    s.erase(s.find_last_not_of(" \t") + 1);
    return s;
  };
  return {trim(text.substr(0, at)), trim(text.substr(at + 1))};
}

// The file columns the pipeline uses, or {} for all of them: pushed down to read_csv, so that
// `--agg id:count` parses one column, not every column. Names made by --assign are not file
// columns (unless an expression reads the file's column before replacing it).
std::vector<std::string> used_columns(const Plan& plan) {
  if (plan.select.empty() && plan.agg.empty()) return {};  // the output shows every column
  std::set<std::string> made, used;
  auto use = [&](const std::string& name) {
    if (!made.count(name)) used.insert(name);
  };
  for (const auto& a : plan.assigns) {
    auto statement = expr::parse_statement(a, "--assign");
    for (const auto& v : statement.value.variables()) use(v);
    made.insert(statement.target);
  }
  for (const auto& f : plan.fills) use(split_pair(f, '=', "--fillna", "COL=VALUE").first);
  if (!plan.groupby.empty())
    for (const auto& k : split_list(plan.groupby)) use(k);
  if (!plan.where.empty())
    for (const auto& v : expr::parse_expression(plan.where, "--where").variables()) use(v);
  if (!plan.select.empty()) {
    for (const auto& c : split_list(plan.select)) use(c);
  } else {
    for (const auto& item : split_list(plan.agg))
      use(split_pair(item, ':', "--agg", "COL:FUNC").first);
  }
  return {used.begin(), used.end()};
}

ReadCsvOptions read_options(const Plan& plan) {
  ReadCsvOptions o;
  const std::string sep = plan.sep == "tab" || plan.sep == "\\t" ? "\t" : plan.sep;
  if (sep.size() != 1)
    throw UsageError(fmt::format("--sep: '{}' is not one character (use tab for a tab)", plan.sep));
  o.csv.delimiter = sep[0];
  for (const auto& d : plan.dtypes) {
    auto [col, type] = split_pair(d, '=', "--dtype", "COL=TYPE");
    auto t = parse_dtype(type);
    if (!t || t == DType::int32 || t == DType::float32 || t == DType::uint64)
      throw UsageError(fmt::format(
          "--dtype: unknown type '{}' (use int64, float64, bool, string or timestamp)", type));
    o.csv.dtypes[col] = *t;
  }
  for (const auto& na : plan.na_values)
    for (const auto& token : split_list(na)) o.csv.na_values.push_back(token);
  if (plan.bad_lines == "skip")
    o.csv.on_bad_lines = BadLines::skip;
  else if (plan.bad_lines == "warn")
    o.csv.on_bad_lines = BadLines::warn;
  else
    o.csv.on_bad_lines = BadLines::error;
  o.blocksize = plan.chunk_size;
  o.projection = used_columns(plan);
  return o;
}

// A --fillna value as a literal of the column's type: text for string columns, an ISO-8601
// text (quoted or not) for timestamp columns, else a number, True/False or a quoted string as
// in expressions.
expr::Expr fill_value(const DataFrame& df, const std::string& column, const std::string& text) {
  const DType t = df.schema()[df.schema().index_of(column)].type;
  if (t == DType::string) return expr::lit(text);
  if (t == DType::timestamp && !text.empty() && text[0] != '\'' && text[0] != '"')
    return expr::lit(text);
  return expr::parse_expression(text, "--fillna " + column);
}

DataFrame transform(DataFrame df, const Plan& plan) {
  for (const auto& a : plan.assigns) {
    // "total = amount * qty" or "total=amount*qty".
    auto statement = expr::parse_statement(a, "--assign");
    if (statement.target.empty())
      throw UsageError(fmt::format("--assign: '{}' is not NAME=EXPR (e.g. total=amount * qty)", a));
    df = df.assign(statement.target, statement.value);
  }
  std::vector<std::pair<std::string, expr::Expr>> fills;
  for (const auto& f : plan.fills) {
    auto [col, value] = split_pair(f, '=', "--fillna", "COL=VALUE");
    fills.emplace_back(col, fill_value(df, col, value));
  }
  if (!fills.empty()) df = df.fillna(fills);
  if (!plan.where.empty()) df = df.filter(expr::parse_expression(plan.where, "--where"));
  if (!plan.select.empty()) df = df.select(split_list(plan.select));
  return df;
}

std::vector<std::pair<std::string, std::string>> column_funcs(const Plan& plan) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& item : split_list(plan.agg))
    out.push_back(split_pair(item, ':', "--agg", "COL:FUNC"));
  return out;
}

// --groupby KEYS --agg COL:FUNC,...: one row per group, by key.
DataFrame grouped(const DataFrame& df, const Plan& plan) {
  if (plan.agg.empty())
    throw UsageError("--groupby needs --agg COL:FUNC,... (what to compute for each group)");
  if (plan.keep_na) throw UsageError("--keep-na applies to --agg over the whole table only");
  GroupByOptions options;
  options.ddof = plan.ddof;
  return df.groupby(split_list(plan.groupby), options).agg(column_funcs(plan));
}

// The one step that reduces the rows (--agg, --describe, --nulls), as a table.
Table reduced(const DataFrame& df, const Plan& plan) {
  if (plan.describe) return df.describe(plan.ddof);
  if (plan.nulls) return df.null_counts();
  return df.agg(column_funcs(plan), plan.ddof, !plan.keep_na);
}

void run_plan(const Plan& plan) {
  DataFrame df;
  {
    app::Stage s("read");
    const ReadCsvOptions options = read_options(plan);
    if (options.csv.on_bad_lines == BadLines::error) {
      df = read_csv(plan.inputs, options);  // lazy: the files stream through the computation
    } else {
      csv::BadLineReport skipped;  // counted, and said in the log, before the computation
      df = read_csv(plan.inputs, options, skipped);
    }
  }
  df = transform(df, plan);
  if (!plan.agg.empty() + plan.describe + plan.nulls > 1)
    throw UsageError("give at most one of --agg (with or without --groupby), --describe and --nulls");
  if (!plan.groupby.empty()) df = grouped(df, plan);
  app::Stage s("compute");
  const bool rows = !plan.groupby.empty() || (plan.agg.empty() && !plan.describe && !plan.nulls);
  if (rows && !plan.head && !plan.out.empty()) {
    df.to_csv(plan.out);  // every row, written in parallel
    return;
  }
  Table result = !rows      ? reduced(df, plan)
                 : plan.head ? df.head(*plan.head)
                             : df.compute(/*everywhere=*/false);
  if (!rows && plan.head) result = result.head(static_cast<std::size_t>(*plan.head));
  app::Output out(plan.out);
  out.write(app::csv_text(result));
  out.finish();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"pando-frame: dataframe analytics on CSV files, in parallel (MPI)", "pando-frame"};
  cli.footer(examples);
  pando::app::Common common;
  pando::app::add_common_options(cli, common);
  Plan plan;
  cli.add_option("INPUT", plan.inputs,
                 "CSV files or quoted globs ('data/part-*.csv'); .gz files too. A path that "
                 "exists is read as written, even if its name holds *, ? or [ "
                 "('data/[run]_x.csv'); only others are globs")
      ->required();
  auto* reading = "Reading";
  cli.add_option("--sep", plan.sep, "field delimiter (default ','; 'tab' for tabs)")
      ->group(reading);
  cli.add_option("--dtype", plan.dtypes,
                 "COL=TYPE: int64, float64, bool, string or timestamp, instead of the type "
                 "inferred from the first 64 KiB (repeatable)")
      ->group(reading);
  cli.add_option("--na-values", plan.na_values,
                 "TOKEN,...: more texts that mean null (added to "
                 "'', NA, NaN, null, ...)")
      ->group(reading);
  cli.add_option("--on-bad-lines", plan.bad_lines,
                 "rows with too many fields: error, skip or warn (skip and warn read the files "
                 "first, to count them)")
      ->check(CLI::IsMember({"error", "skip", "warn"}))
      ->group(reading);
  cli.add_option("--chunk-size", plan.chunk_size, "bytes of CSV per partition (default 64 MiB)")
      ->check(pando::app::at_least(1))
      ->group(reading);
  auto* transforming = "Transforming (in this order)";
  cli.add_option("--assign", plan.assigns,
                 "NAME=EXPR: a new or replaced column (repeatable, in order)")
      ->group(transforming);
  cli.add_option("--fillna", plan.fills, "COL=VALUE: nulls of COL become VALUE (repeatable)")
      ->group(transforming);
  cli.add_option("--where", plan.where, "EXPR: keep the rows where it is true")
      ->group(transforming);
  cli.add_option("--select", plan.select, "COL,COL,...: keep these columns, in this order")
      ->group(transforming);
  auto* output = "Reducing (at most one; default: every row), then --head and the output";
  cli.add_option("--groupby", plan.groupby,
                 "KEY,...: with --agg, one row per group of equal keys (rows with a missing key "
                 "dropped), in key order; the keys, then COL_FUNC columns in --agg order")
      ->group(output);
  cli.add_option("--agg", plan.agg,
                 "COL:FUNC,...: count sum mean min max std var over the whole table, or per "
                 "group with --groupby, which also takes size prod first last nunique median "
                 "qNN (percent: q90) any all; columns named COL_FUNC")
      ->group(output);
  cli.add_flag("--describe", plan.describe,
               "count mean std min 25% 50% 75% max of the numeric columns")
      ->group(output);
  cli.add_flag("--nulls", plan.nulls, "the number of nulls per column")->group(output);
  cli.add_option("--head", plan.head, "the first N rows of the result")
      ->check(pando::app::at_least(0))
      ->group(output);
  cli.add_option("--out", plan.out, "write to this CSV file instead of stdout (atomically)")
      ->group(output);
  cli.add_option("--ddof", plan.ddof, "std/var divide by n - ddof (default 1, as pandas)")
      ->group(output);
  cli.add_flag("--keep-na", plan.keep_na,
               "--agg: a column with a null gives null, not the statistic of the rest "
               "(pandas' skipna=False)")
      ->group(output);
  return pando::app::run(cli, argc, argv, common, [&](pando::Session&) { run_plan(plan); });
}
