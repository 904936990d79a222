// pando-frame: dataframe analytics on CSV files, in parallel.
//
// The options fill one Plan; run_plan() applies it in a fixed order with the library:
// read -> --join -> --assign (in order) -> --fillna -> --where -> --select -> at most one
// reducing step (--groupby with --agg, --agg, --value-counts, --nunique, --drop-duplicates,
// --describe, --nulls) -> --sort -> --nlargest / --nsmallest -> --head / --tail -> output.

#include <app.hpp>

#include <pando/frame/merge.hpp>

#include <fmt/format.h>

#include <charconv>
#include <cstring>
#include <set>

namespace {

using namespace pando;

constexpr const char* examples = R"x(Examples (run from the repository, data made by pando-gen):
  pando-gen table --rows 100000 --files 4 --out data
  jobscripts/pando-run -n 2 pando-frame 'data/transactions-*.csv' --describe
  jobscripts/pando-run -n 2 pando-frame 'data/transactions-*.csv' --where "amount > 100 and flag" \
      --agg amount:sum,amount:mean,amount:median,amount:q99,id:count
  jobscripts/pando-run -n 2 pando-frame 'data/transactions-*.csv' --groupby category \
      --agg amount:sum,amount:mean,amount:count,qty:max
  jobscripts/pando-run -n 2 pando-frame 'data/transactions-*.csv' --groupby customer \
      --agg amount:median,amount:q90 --head 10
  jobscripts/pando-run -n 2 pando-frame 'data/transactions-*.csv' --assign "total=amount * qty" \
      --select id,total --head 10
  jobscripts/pando-run -n 2 pando-frame 'data/transactions-*.csv' --join data/customers.csv \
      --on customer --groupby region --agg amount:mean
  jobscripts/pando-run -n 2 pando-frame 'data/transactions-*.csv' --where "notna(amount)" \
      --select amount --sort amount:desc --head 5
  jobscripts/pando-run -n 2 pando-frame 'data/transactions-*.csv' --value-counts category
  jobscripts/pando-run -n 2 pando-frame 'data/transactions-*.csv' --out data/t.h5:/transactions
  jobscripts/pando-run -n 2 pando-frame data/t.h5:/transactions --groupby category --agg qty:sum
  jobscripts/pando-run -n 2 pando-frame 'data/transactions-*.csv' --nulls
  jobscripts/pando-run -n 2 pando-frame data/transactions-00.csv --fillna amount=0 --out filled.csv
  jobscripts/pando-run -n 2 pando-frame 's3://bucket/data/*.csv' --describe --out s3://bucket/d.csv
Expressions: + - * / %, comparisons, and/or/not, isna(c) notna(c) fillna(c, v), isin(c, v, ...),
between(c, lo, hi), where(c, a, b), contains/startswith/endswith(s, "x"), len(s),
year/month/day/hour(ts), 'strings', numbers. Statistics follow pandas: nulls are skipped, std
and var divide by n - 1 (--ddof to change). With --agg or --select, only the columns the
pipeline uses are parsed (values in the others are not checked). Output is CSV that pandas
reads back unchanged.)x";

struct Plan {
  std::vector<std::string> inputs;
  std::string sep = ",";
  std::vector<std::string> dtypes;     // COL=TYPE
  std::vector<std::string> na_values;  // added to the defaults
  std::string bad_lines = "error";
  std::int64_t chunk_size = std::int64_t{64} << 20;
  std::vector<std::string> join;  // the right side's files
  std::string on, left_on, right_on;
  std::string how = "inner";
  std::vector<std::string> assigns;  // NAME=EXPR
  std::vector<std::string> fills;    // COL=VALUE
  std::string where;
  std::string select;
  std::optional<std::int64_t> head;
  std::string groupby;  // KEY,... (with agg)
  std::string agg;
  std::string value_counts;             // COL
  std::string nunique;                  // COL,...
  std::optional<std::string> distinct;  // --drop-duplicates: COL,... ("" for all columns)
  bool describe = false;
  bool nulls = false;
  std::string sort;                 // COL[:desc],...
  std::string nlargest, nsmallest;  // N:COL[,COL...]
  std::optional<std::int64_t> tail;
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

// The join keys of this side ({} without a join).
std::vector<std::string> left_keys(const Plan& plan) {
  const std::string& keys = plan.on.empty() ? plan.left_on : plan.on;
  return keys.empty() ? std::vector<std::string>{} : split_list(keys);
}

// The file columns the pipeline uses, or {} for all of them: pushed down to read_csv, so that
// `--agg id:count` parses one column, not every column. Names made by --assign are not file
// columns (unless an expression reads the file's column before replacing it).
std::vector<std::string> used_columns(const Plan& plan) {
  // Without --select, the output shows every column unless a step narrows them.
  const bool narrowed = !plan.select.empty() || !plan.agg.empty() || !plan.value_counts.empty() ||
                        !plan.nunique.empty();
  if (!narrowed) return {};
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
  if (!plan.where.empty())
    for (const auto& v : expr::parse_expression(plan.where, "--where").variables()) use(v);
  for (const auto& k : left_keys(plan)) use(k);
  if (!plan.select.empty()) {
    for (const auto& c : split_list(plan.select)) use(c);
    return {used.begin(), used.end()};
  }
  if (!plan.groupby.empty())
    for (const auto& k : split_list(plan.groupby)) use(k);
  for (const auto& item : split_list(plan.agg))
    if (!item.empty()) use(split_pair(item, ':', "--agg", "COL:FUNC").first);
  if (!plan.value_counts.empty()) use(plan.value_counts);
  for (const auto& c : split_list(plan.nunique))
    if (!c.empty()) use(c);
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
  return o;
}

// The columns to parse: those the pipeline uses but the join's right side brings.
std::vector<std::string> projection(const Plan& plan, const Schema& joined) {
  const auto keys = left_keys(plan);
  std::vector<std::string> out;
  for (const auto& c : used_columns(plan))
    if (!joined.find(c) || std::find(keys.begin(), keys.end(), c) != keys.end()) out.push_back(c);
  return out;
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

// What the reducing step made: rows that stay distributed, or a small table.
struct Result {
  std::optional<DataFrame> rows;
  Table table;
};

// "amount:desc,id" -> amount descending, id ascending.
std::vector<SortKey> sort_keys(const std::string& text) {
  std::vector<SortKey> keys;
  for (const auto& item : split_list(text)) {
    const auto colon = item.rfind(':');
    const std::string direction = colon == std::string::npos ? "" : item.substr(colon + 1);
    if (colon != std::string::npos && direction != "desc" && direction != "asc")
      throw UsageError(
          fmt::format("--sort: '{}' is not COL, COL:asc or COL:desc (as amount_sum:desc)", item));
    keys.push_back({item.substr(0, colon), direction != "desc"});
  }
  return keys;
}

// "10:amount" -> 10 rows by amount.
std::pair<std::int64_t, std::vector<std::string>> top_n(const std::string& text,
                                                        std::string_view option) {
  auto [n, columns] = split_pair(text, ':', option, "N:COL (as 10:amount)");
  std::int64_t count = 0;
  auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), count);
  if (ec != std::errc() || end != n.data() + n.size() || count < 0)
    throw UsageError(fmt::format("{}: '{}' is not a number of rows (as 10:amount)", option, n));
  return {count, split_list(columns)};
}

// The reducing step, if any: at most one.
Result reduce(const DataFrame& df, const Plan& plan) {
  const int steps = !plan.agg.empty() + !plan.value_counts.empty() + !plan.nunique.empty() +
                    plan.distinct.has_value() + plan.describe + plan.nulls;
  if (steps > 1)
    throw UsageError(
        "give at most one of --agg (with or without --groupby), --value-counts, --nunique, "
        "--drop-duplicates, --describe and --nulls");
  if (!plan.groupby.empty()) return {grouped(df, plan), {}};
  if (!plan.value_counts.empty()) return {df.value_counts(plan.value_counts), {}};
  if (plan.distinct)
    return {df.drop_duplicates(plan.distinct->empty() ? std::vector<std::string>{}
                                                      : split_list(*plan.distinct)),
            {}};
  if (plan.describe) return {std::nullopt, df.describe(plan.ddof)};
  if (plan.nulls) return {std::nullopt, df.null_counts()};
  if (!plan.nunique.empty()) return {std::nullopt, df.nunique(split_list(plan.nunique))};
  if (!plan.agg.empty())
    return {std::nullopt, df.agg(column_funcs(plan), plan.ddof, !plan.keep_na)};
  return {df, {}};
}

// "data.h5:/sales" -> ("data.h5", "/sales"): a path is an HDF5 table when the text before
// ":/" ends in .h5, .hdf5 or .he5.
std::optional<std::pair<std::string, std::string>> hdf5_table(const std::string& path) {
  const auto colon = path.find(":/");
  if (colon == std::string::npos) return std::nullopt;
  const std::string file = path.substr(0, colon);
  for (const char* ext : {".h5", ".hdf5", ".he5"})
    if (file.size() > std::strlen(ext) &&
        file.compare(file.size() - std::strlen(ext), std::string::npos, ext) == 0)
      return std::pair(file, path.substr(colon + 1));
  return std::nullopt;
}

// A small result table as a frame of one partition, for the steps after it.
DataFrame as_frame(const Table& t) {
  return DataFrame::from_delayed({delayed([t] { return t; }).name("result")()}, t.schema());
}

// --out: an HDF5 table (FILE.h5:/GROUP) or CSV, written in parallel and atomically.
void write(const DataFrame& rows, const std::string& out) {
  if (auto table = hdf5_table(out))
    rows.to_hdf5(table->first, table->second);
  else
    rows.to_csv(out);
}

// CSV files as a lazy frame (bad lines, when skipped, counted and said in the log first).
// CSV files, or one HDF5 table (FILE.h5:/GROUP), as a lazy frame.
DataFrame read(const std::vector<std::string>& inputs, const ReadCsvOptions& options) {
  for (const auto& input : inputs)
    if (auto table = hdf5_table(input)) {
      if (inputs.size() > 1)
        throw UsageError(
            fmt::format("{}: an HDF5 table is read alone, not with other inputs", input));
      return read_hdf5(table->first, table->second, options.blocksize);
    }
  if (options.csv.on_bad_lines == BadLines::error) return read_csv(inputs, options);
  csv::BadLineReport skipped;
  return read_csv(inputs, options, skipped);
}

// --join FILES --on KEYS (or --left-on/--right-on) --how HOW.
MergeOptions join_options(const Plan& plan) {
  MergeOptions o;
  if (!plan.on.empty()) o.on = split_list(plan.on);
  if (!plan.left_on.empty() || !plan.right_on.empty()) {
    if (plan.left_on.empty() || plan.right_on.empty())
      throw UsageError("--left-on and --right-on go together (or give --on)");
    o.left_on = split_list(plan.left_on);
    o.right_on = split_list(plan.right_on);
  }
  if (o.on.empty() && o.left_on.empty())
    throw UsageError("--join needs --on KEY,... (or --left-on and --right-on)");
  o.how = parse_join_how(plan.how);
  return o;
}

void run_plan(const Plan& plan) {
  DataFrame df;
  {
    app::Stage s("read");
    if (plan.join.empty()) {
      if (!plan.on.empty() || !plan.left_on.empty() || !plan.right_on.empty())
        throw UsageError("--on, --left-on and --right-on name the keys of a --join");
      ReadCsvOptions options = read_options(plan);
      options.projection = projection(plan, {});
      df = read(plan.inputs, options);  // lazy: the files stream through the computation
    } else {
      const MergeOptions how = join_options(plan);
      ReadCsvOptions options = read_options(plan);
      const DataFrame right = read(plan.join, options);  // every column
      options.projection = projection(plan, right.schema());
      df = merge(read(plan.inputs, options), right, how);
    }
  }
  df = transform(df, plan);
  if (!plan.nlargest.empty() && !plan.nsmallest.empty())
    throw UsageError("give one of --nlargest and --nsmallest");
  Result result = reduce(df, plan);
  const bool reduced =
      !result.rows || !plan.groupby.empty() || !plan.value_counts.empty() || plan.distinct;
  const bool reorders = !plan.sort.empty() || !plan.nlargest.empty() || !plan.nsmallest.empty();
  if (reorders && !result.rows) result.rows = as_frame(result.table);
  if (result.rows) {
    DataFrame rows = *result.rows;
    if (!plan.sort.empty()) rows = rows.sort_values(sort_keys(plan.sort));
    if (!plan.nlargest.empty()) {
      auto [n, columns] = top_n(plan.nlargest, "--nlargest");
      rows = rows.nlargest(n, columns);
    }
    if (!plan.nsmallest.empty()) {
      auto [n, columns] = top_n(plan.nsmallest, "--nsmallest");
      rows = rows.nsmallest(n, columns);
    }
    app::Stage s("compute");
    if (!plan.head && !plan.tail && !plan.out.empty()) {
      write(rows, plan.out);  // every row, written in parallel
      return;
    }
    if (!plan.head && !plan.tail) {
      result.table = rows.compute(/*everywhere=*/false);
    } else {
      // Computed once for both ends (a head alone of the rows as read reads only the first
      // partitions).
      if ((reduced || reorders) && plan.head && plan.tail) rows = rows.persist();
      std::vector<Table> ends;
      if (plan.head) ends.push_back(rows.head(*plan.head));
      if (plan.tail) ends.push_back(rows.tail(*plan.tail));
      result.table = Table::concat(ends);
    }
  } else {
    if (plan.head) result.table = result.table.head(static_cast<std::size_t>(*plan.head));
    if (plan.tail) {
      const auto keep = std::min(result.table.rows(), static_cast<std::size_t>(*plan.tail));
      result.table = result.table.slice(result.table.rows() - keep, keep);
    }
  }
  if (hdf5_table(plan.out)) {
    write(as_frame(result.table), plan.out);
    return;
  }
  app::Output out(plan.out);
  out.write(app::csv_text(result.table));
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
                 "('data/[run]_x.csv'); only others are globs. S3 objects and globs too: "
                 "'s3://BUCKET/data/*.csv' (AWS_ENDPOINT_URL, AWS_REGION, AWS_PROFILE or "
                 "AWS_ACCESS_KEY_ID...). Or one HDF5 table: "
                 "FILE.h5:/GROUP (one dataset per column, as --out writes)")
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
  auto* joining = "Joining (first, with the same read options)";
  cli.add_option("--join", plan.join,
                 "FILE_OR_GLOB: the right side of a join (pandas' merge), its columns added")
      ->group(joining);
  cli.add_option("--on", plan.on, "KEY,...: the key columns both sides have")->group(joining);
  cli.add_option("--left-on", plan.left_on, "KEY,...: the keys on this side...")->group(joining);
  cli.add_option("--right-on", plan.right_on, "KEY,...: ...and on the --join side")->group(joining);
  cli.add_option("--how", plan.how,
                 "inner (default), left, right or outer; other shared columns get _x and _y")
      ->check(CLI::IsMember({"inner", "left", "right", "outer"}))
      ->group(joining);
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
                 "COL:FUNC,...: count sum mean min max std var median qNN (percent: q90, "
                 "exact) over the whole table, or per group with --groupby, which also takes "
                 "size prod first last nunique any all; columns named COL_FUNC")
      ->group(output);
  cli.add_option("--value-counts", plan.value_counts,
                 "COL: each distinct value and its count (COL,count), most frequent first, ties "
                 "by value")
      ->group(output);
  cli.add_option("--nunique", plan.nunique,
                 "COL,...: the number of distinct values of each (column,nunique)")
      ->group(output);
  auto* distinct = cli.add_option("--drop-duplicates", plan.distinct,
                                  "[=COL,...]: the rows whose values (in these columns; bare: "
                                  "all) did not appear in an earlier row, in order")
                       ->expected(0, 1)
                       ->group(output);
  cli.add_flag("--describe", plan.describe,
               "count mean std min 25% 50% 75% max of the numeric columns")
      ->group(output);
  cli.add_flag("--nulls", plan.nulls, "the number of nulls per column")->group(output);
  auto* ordering = "Then, on the result (may name its columns, as amount_sum)";
  cli.add_option("--sort", plan.sort,
                 "COL[:desc],...: order the rows (stable; missing values last), a distributed "
                 "sort")
      ->group(ordering);
  cli.add_option("--nlargest", plan.nlargest,
                 "N:COL[,COL]: the N rows with the largest values, largest first (no full sort)")
      ->group(ordering);
  cli.add_option("--nsmallest", plan.nsmallest, "N:COL[,COL]: the N rows with the smallest values")
      ->group(ordering);
  cli.add_option("--head", plan.head, "the first N rows of the result")
      ->check(pando::app::at_least(0))
      ->group(ordering);
  cli.add_option("--tail", plan.tail,
                 "the last N rows of the result (with --head: the first rows, then the last)")
      ->check(pando::app::at_least(0))
      ->group(ordering);
  cli.add_option("--out", plan.out,
                 "write to this CSV file instead of stdout (s3://BUCKET/KEY too; a '*' in it: "
                 "one file per partition), or to an HDF5 table FILE.h5:/GROUP (atomically)")
      ->group(output);
  cli.add_option("--ddof", plan.ddof, "std/var divide by n - ddof (default 1, as pandas)")
      ->group(output);
  cli.add_flag("--keep-na", plan.keep_na,
               "--agg: a column with a null gives null, not the statistic of the rest "
               "(pandas' skipna=False)")
      ->group(output);
  return pando::app::run(cli, argc, argv, common, [&](pando::Session&) {
    if (distinct->count() > 0 && !plan.distinct) plan.distinct = "";  // bare: every column
    run_plan(plan);
  });
}
