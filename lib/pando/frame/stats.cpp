// Whole-frame statistics with pandas' semantics: agg, describe (exact quartiles), null counts.
//
// Every statistic is a partial per partition combined along a tree fixed by the partition
// order, so results are identical on any number of ranks. Quartiles are exact order statistics
// found by distributed radix selection: each pass counts, per partition, the values of a
// column in 65536 buckets of the next 16 bits of their order-preserving key, below the prefix
// found so far; 4 passes pin down the exact element, without sorting or moving the data.

#include <pando/frame/partitions.hpp>

#include <pando/core/text.hpp>
#include <pando/graph/runtime.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace pando {

namespace detail {

Value reduce_partitions(const DataFrame& df, std::string_view name, Hasher h,
                        std::function<Value(const Table&)> partial,
                        std::function<Value(std::span<const Value>)> combine) {
  constexpr std::size_t fan_in = 8;
  h.add(df.token());
  const std::string base(name);
  std::vector<Task> tasks;
  std::vector<Key> level;
  auto p = std::make_shared<const std::function<Value(const Table&)>>(std::move(partial));
  auto c = std::make_shared<const std::function<Value(std::span<const Value>)>>(std::move(combine));
  const std::string ptoken = make_token(base + "-partial", h.value());
  for (std::int64_t i = 0; i < df.npartitions(); ++i) {
    Task t;
    t.key = Key(ptoken, {i});
    t.inputs = {df.partition_key(i)};
    t.fn = [p](std::span<const Value> in) { return (*p)(in[0].get<Table>()); };
    level.push_back(t.key);
    tasks.push_back(std::move(t));
  }
  if (level.empty()) {  // no partition at all: the partial of an empty table
    Task t;
    t.key = Key(ptoken, {0});
    Schema schema = df.schema();
    t.fn = [p, schema](std::span<const Value>) { return (*p)(Table::empty(schema)); };
    level.push_back(t.key);
    tasks.push_back(std::move(t));
  }
  for (int depth = 1; level.size() > 1; ++depth) {
    const std::string tok =
        make_token(base + "-combine", hash_combine(h.value(), static_cast<std::uint64_t>(depth)));
    std::vector<Key> up;
    for (std::size_t g = 0; g < level.size(); g += fan_in) {
      Task t;
      t.key = Key(tok, {static_cast<std::int64_t>(g / fan_in)});
      t.inputs.assign(
          level.begin() + static_cast<std::ptrdiff_t>(g),
          level.begin() + static_cast<std::ptrdiff_t>(std::min(g + fan_in, level.size())));
      t.fn = [c](std::span<const Value> in) { return (*c)(in); };
      up.push_back(t.key);
      tasks.push_back(std::move(t));
    }
    level = std::move(up);
  }
  return Runtime::current().compute(Graph(std::move(tasks), {&df.graph()}), level)[0];
}

namespace {

// ---- per-column summaries ----

// Counts per partition (a histogram, nulls per column) travel as an int64 column: a quantile
// pass holds megabytes of them per partition, so in reused Buffers sent as raw bytes, never in
// fresh vectors.
Buffer zero_counts(std::size_t n) { return Buffer::zeros(n * sizeof(std::int64_t)); }
Value counts_value(Buffer counts) {
  const std::size_t n = counts.size() / sizeof(std::int64_t);
  return Value::of(Column::from_buffers(DType::int64, n, {}, std::move(counts)));
}
// The combine step of counts: their element-wise sum.
Value sum_counts(std::span<const Value> in) {
  Buffer sum = zero_counts(in[0].get<Column>().size());
  std::int64_t* acc = sum.as_mutable<std::int64_t>().data();
  for (const auto& part : in) {
    const auto more = part.get<Column>().values<std::int64_t>();
    for (std::size_t i = 0; i < more.size(); ++i) acc[i] += more[i];
  }
  return counts_value(std::move(sum));
}

// NaNs among the valid values of a float column (pandas counts them as missing).
std::int64_t nan_count(const Column& c) {
  auto count = [&](auto typed) {
    const auto v = c.values<decltype(typed)>();
    std::int64_t n = 0;
    for (std::size_t i = 0; i < v.size(); ++i) n += c.is_valid(i) && std::isnan(v[i]);
    return n;
  };
  if (c.type() == DType::float64) return count(double{});
  if (c.type() == DType::float32) return count(float{});
  return 0;
}

bool is_number(DType t) { return is_numeric(t) || t == DType::boolean; }

// Calls f(value as a double, value as stored) for each non-null, non-NaN value of a column.
template <class F>
void for_each_number(const Column& c, F&& f) {
  auto visit = [&](auto typed) {
    using T = decltype(typed);
    const auto v = c.values<T>();
    const bool all_valid = c.null_count() == 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!all_valid && !c.is_valid(i)) continue;
      if constexpr (std::is_floating_point_v<T>)
        if (std::isnan(v[i])) continue;
      f(static_cast<double>(v[i]), v[i]);
    }
  };
  switch (c.type()) {
    case DType::boolean:
      visit(std::uint8_t{});
      break;
    case DType::int32:
      visit(std::int32_t{});
      break;
    case DType::int64:
    case DType::timestamp:
      visit(std::int64_t{});
      break;
    case DType::float32:
      visit(float{});
      break;
    case DType::float64:
      visit(double{});
      break;
    case DType::string:
      break;
  }
}

struct Summary {
  std::int64_t count = 0;   // non-null, non-NaN
  std::int64_t nulls = 0;   // null or NaN
  std::int64_t isum = 0;    // exact sum of integer/bool columns
  double sum = 0;           // pairwise sum of the values
  double mean = 0, m2 = 0;  // two-pass mean and sum of squared deviations
  bool has_extremes = false;
  double min = 0, max = 0;          // numbers
  std::int64_t imin = 0, imax = 0;  // integers and timestamps (exact)
  std::string smin, smax;           // strings

  template <class A>
  void serialize(A& a, unsigned) {
    fields(a, count, nulls, isum, sum, mean, m2, has_extremes, min, max, imin, imax, smin, smax);
  }
};

double pairwise(std::span<const double> x) {
  if (x.size() <= 128) {
    double s = 0;
    for (double v : x) s += v;
    return s;
  }
  const auto half = x.size() / 2;
  return pairwise(x.first(half)) + pairwise(x.subspan(half));
}

Summary summarize(const Column& c) {
  Summary s;
  if (c.type() == DType::string) {
    for (std::size_t i = 0; i < c.size(); ++i) {
      if (!c.is_valid(i)) {
        ++s.nulls;
        continue;
      }
      auto v = c.string_at(i);
      if (!s.has_extremes || v < s.smin) s.smin = std::string(v);
      if (!s.has_extremes || v > s.smax) s.smax = std::string(v);
      s.has_extremes = true;
      ++s.count;
    }
    return s;
  }
  // The values without nulls and NaNs, for the pairwise sum: in a reused Buffer, as fresh pages
  // would cost more than this pass.
  Buffer kept = Buffer::allocate((c.size() - c.null_count()) * sizeof(double));
  double* next = kept.as_mutable<double>().data();
  const bool integral = !is_floating(c.type());
  for_each_number(c, [&](double x, auto stored) {
    *next++ = x;
    if (integral) {
      const auto v = static_cast<std::int64_t>(stored);
      s.isum += v;
      if (!s.has_extremes || v < s.imin) s.imin = v;
      if (!s.has_extremes || v > s.imax) s.imax = v;
    }
    if (!s.has_extremes || x < s.min) s.min = x;
    if (!s.has_extremes || x > s.max) s.max = x;
    s.has_extremes = true;
  });
  const std::span<const double> values(kept.as<double>().data(),
                                       static_cast<std::size_t>(next - kept.as<double>().data()));
  s.count = static_cast<std::int64_t>(values.size());
  s.nulls = static_cast<std::int64_t>(c.size()) - s.count;
  s.sum = pairwise(values);
  if (s.count > 0) {
    s.mean = s.sum / static_cast<double>(s.count);
    for (double x : values) s.m2 += (x - s.mean) * (x - s.mean);
  }
  return s;
}

Summary merge(const Summary& a, const Summary& b) {
  Summary r;
  r.count = a.count + b.count;
  r.nulls = a.nulls + b.nulls;
  r.isum = a.isum + b.isum;
  r.sum = a.sum + b.sum;
  if (r.count > 0) {
    // Chan, Golub & LeVeque.
    const double na = static_cast<double>(a.count), nb = static_cast<double>(b.count), n = na + nb;
    const double delta = b.mean - a.mean;
    r.mean = a.mean + delta * (nb / n);
    r.m2 = a.m2 + b.m2 + delta * delta * (na * nb / n);
  }
  r.has_extremes = a.has_extremes || b.has_extremes;
  auto pick = [&](const Summary& x, const Summary& y, bool less_wins, auto get) {
    if (!x.has_extremes) return get(y);
    if (!y.has_extremes) return get(x);
    return less_wins ? std::min(get(x), get(y)) : std::max(get(x), get(y));
  };
  r.min = pick(a, b, true, [](const Summary& s) { return s.min; });
  r.max = pick(a, b, false, [](const Summary& s) { return s.max; });
  r.imin = pick(a, b, true, [](const Summary& s) { return s.imin; });
  r.imax = pick(a, b, false, [](const Summary& s) { return s.imax; });
  r.smin = pick(a, b, true, [](const Summary& s) { return s.smin; });
  r.smax = pick(a, b, false, [](const Summary& s) { return s.smax; });
  return r;
}

using Summaries = std::vector<Summary>;

// One summary per named column, over the whole frame.
Summaries summarize(const DataFrame& df, const std::vector<std::string>& names) {
  std::vector<std::size_t> idx;
  for (const auto& n : names) idx.push_back(df.schema().index_of(n));
  Hasher h("summary");
  h.add_all(names);
  Value v = reduce_partitions(
      df, "summary", h,
      [idx](const Table& t) {
        Summaries s;
        for (auto i : idx) s.push_back(summarize(t.column(i)));
        return Value::of(std::move(s));
      },
      [](std::span<const Value> in) {
        Summaries acc = in[0].get<Summaries>();
        for (std::size_t k = 1; k < in.size(); ++k) {
          const auto& more = in[k].get<Summaries>();
          for (std::size_t i = 0; i < acc.size(); ++i) acc[i] = merge(acc[i], more[i]);
        }
        return Value::of(std::move(acc));
      });
  return v.get<Summaries>();
}

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// ---- exact quantiles by radix selection ----

std::uint64_t key_of(double x) {
  auto bits = std::bit_cast<std::uint64_t>(x);
  return (bits >> 63) ? ~bits : bits | (std::uint64_t{1} << 63);
}
double value_of(std::uint64_t key) {
  return std::bit_cast<double>((key >> 63) ? key & ~(std::uint64_t{1} << 63) : ~key);
}

// A request: the element of 0-based rank `rank` among the non-null values of column `column`.
struct Selection {
  std::size_t column;
  std::int64_t rank;
  std::uint64_t prefix = 0;  // the key's bits found so far
};

// Radix selection: each pass counts the next 16 bits of the keys that share a selection's bits
// found so far, so four counting passes over the data pin every selection down exactly.
// Selections of one column that share their bits so far share one histogram, and each column is
// read once per pass.
constexpr int digit_bits = 16;
constexpr std::size_t digit_bins = std::size_t{1} << digit_bits;

// A histogram's non-zero bins as (bin, count) pairs in bin order, in one int64 column. Keys of
// real data fill few of a pass's bins (a column's values span a few exponents), and histograms
// travel between ranks: dense, they were megabytes per partition and pass.
Value sparse_counts(std::span<const std::int64_t> dense) {
  std::size_t filled = 0;
  for (const auto n : dense) filled += n != 0;
  Buffer pairs = Buffer::allocate(2 * filled * sizeof(std::int64_t));
  std::int64_t* out = pairs.as_mutable<std::int64_t>().data();
  for (std::size_t bin = 0; bin < dense.size(); ++bin)
    if (dense[bin]) {
      *out++ = static_cast<std::int64_t>(bin);
      *out++ = dense[bin];
    }
  return counts_value(std::move(pairs));
}

// The sum of sparse histograms, sparse.
Value sum_sparse_counts(std::span<const Value> in) {
  std::vector<std::pair<std::int64_t, std::int64_t>> all;
  for (const auto& part : in) {
    const auto pairs = part.get<Column>().values<std::int64_t>();
    for (std::size_t i = 0; i < pairs.size(); i += 2) all.emplace_back(pairs[i], pairs[i + 1]);
  }
  std::sort(all.begin(), all.end());
  std::vector<std::int64_t> flat;
  for (const auto& [bin, n] : all) {
    if (!flat.empty() && flat[flat.size() - 2] == bin) {
      flat.back() += n;
      continue;
    }
    flat.push_back(bin);
    flat.push_back(n);
  }
  return Value::of(Column::from_values(std::move(flat)));
}

std::vector<double> select_ranks(const DataFrame& df, std::vector<Selection> wanted) {
  for (int pass = 0; pass < 64 / digit_bits; ++pass) {
    const int shift = 64 - digit_bits * (pass + 1);
    // One histogram per distinct (column, prefix), in order, so that a column's are adjacent.
    std::vector<std::pair<std::size_t, std::uint64_t>> asks;
    for (const auto& s : wanted) asks.emplace_back(s.column, s.prefix);
    std::sort(asks.begin(), asks.end());
    asks.erase(std::unique(asks.begin(), asks.end()), asks.end());
    Hasher h("quantile-pass");
    h.add(pass);
    for (const auto& [c, p] : asks) h.add(c).add(static_cast<std::int64_t>(p));
    Value v = reduce_partitions(
        df, "quantile", h,
        [asks, shift](const Table& t) {
          Buffer counts = zero_counts(asks.size() * digit_bins);
          std::int64_t* hist = counts.as_mutable<std::int64_t>().data();
          const bool first = shift + digit_bits >= 64;
          for (std::size_t a = 0; a < asks.size();) {
            std::size_t b = a;  // asks [a, b) are this column's
            while (b < asks.size() && asks[b].first == asks[a].first) ++b;
            std::int64_t* column_hist = hist + a * digit_bins;
            const Column& c = t.column(asks[a].first);
            if (first) {  // one ask: every value counts
              for_each_number(c, [&](double x, auto) { ++column_hist[key_of(x) >> shift]; });
            } else {
              std::vector<std::uint64_t> highs;  // the bits each ask has found so far
              for (std::size_t i = a; i < b; ++i)
                highs.push_back(asks[i].second >> (shift + digit_bits));
              for_each_number(c, [&](double x, auto) {
                const std::uint64_t k = key_of(x);
                const std::uint64_t high = k >> (shift + digit_bits);
                for (std::size_t i = 0; i < highs.size(); ++i)
                  if (highs[i] == high) {
                    ++column_hist[i * digit_bins + ((k >> shift) & (digit_bins - 1))];
                    return;
                  }
              });
            }
            a = b;
          }
          return sparse_counts(counts.as<std::int64_t>());
        },
        sum_sparse_counts);
    const auto pairs = v.get<Column>().values<std::int64_t>();  // (bin, count), bin order
    for (auto& s : wanted) {
      const auto at = static_cast<std::int64_t>(
          std::lower_bound(asks.begin(), asks.end(), std::pair{s.column, s.prefix}) - asks.begin());
      std::int64_t below = 0;
      for (std::size_t i = 0; i < pairs.size(); i += 2) {
        if (pairs[i] / std::int64_t{digit_bins} != at) continue;
        const auto n = pairs[i + 1];
        if (s.rank < below + n) {
          s.prefix |= static_cast<std::uint64_t>(pairs[i] % std::int64_t{digit_bins}) << shift;
          s.rank -= below;
          break;
        }
        below += n;
      }
    }
  }
  std::vector<double> out;
  for (const auto& s : wanted) out.push_back(value_of(s.prefix));
  return out;
}

// NumPy's linear interpolation (what pandas' quantile and describe use), bit for bit.
double lerp(double a, double b, double t) {
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

std::string column_func_name(const std::string& c, const std::string& f) { return c + "_" + f; }

}  // namespace

}  // namespace detail

using detail::Summary;

Table DataFrame::agg(const std::vector<std::pair<std::string, std::string>>& column_funcs, int ddof,
                     bool skipna) const {
  static const std::vector<std::string> known = {"count", "sum", "mean", "min",
                                                 "max",   "std", "var"};
  std::vector<std::string> names;
  for (const auto& [c, f] : column_funcs) {
    const DType t = schema_[schema_.index_of(c)].type;
    if (std::find(known.begin(), known.end(), f) == known.end())
      throw UsageError(fmt::format(
          "unknown aggregation '{}' for column '{}' (use count, sum, mean, min, max, std or var)",
          f, c));
    const bool numbers_only = f == "sum" || f == "mean" || f == "std" || f == "var";
    if (numbers_only && !detail::is_number(t))
      throw TypeError(
          fmt::format("cannot take the {} of column '{}' of type {}", f, c, to_string(t)));
    if (std::find(names.begin(), names.end(), c) == names.end()) names.push_back(c);
  }
  const auto summaries = detail::summarize(*this, names);
  std::vector<Field> fields;
  std::vector<Column> cols;
  for (const auto& [c, f] : column_funcs) {
    const Summary& s = summaries[static_cast<std::size_t>(std::find(names.begin(), names.end(), c) -
                                                          names.begin())];
    const DType t = schema_[schema_.index_of(c)].type;
    const std::string out = detail::column_func_name(c, f);
    const bool integral = is_integer(t) || t == DType::boolean;
    // Without skipping, a null (or NaN) anywhere makes every statistic but count null, as in
    // pandas' skipna=False.
    if (!skipna && s.nulls > 0 && f != "count") {
      // min and max keep a type that has a null of its own; numbers become float (NaN).
      const bool keeps = (f == "min" || f == "max") && !integral;
      const DType out_type = keeps ? t : DType::float64;
      fields.push_back({out, out_type});
      cols.push_back(Column::nulls(out_type, 1));
      continue;
    }
    if (f == "count") {
      fields.push_back({out, DType::int64});
      cols.push_back(Column::from_values<std::int64_t>({s.count}));
    } else if (f == "sum") {
      fields.push_back({out, integral ? DType::int64 : DType::float64});
      cols.push_back(integral ? Column::from_values<std::int64_t>({s.isum})
                              : Column::from_values<double>({s.sum}));
    } else if (f == "mean") {
      fields.push_back({out, DType::float64});
      cols.push_back(Column::from_values<double>(
          {s.count ? s.sum / static_cast<double>(s.count) : detail::nan}));
    } else if (f == "std" || f == "var") {
      const double dof = static_cast<double>(s.count - ddof);
      const double var = dof > 0 ? s.m2 / dof : detail::nan;
      fields.push_back({out, DType::float64});
      cols.push_back(Column::from_values<double>({f == "std" ? std::sqrt(var) : var}));
    } else {  // min, max: the column's own type; null when there is no value
      const bool lo = f == "min";
      fields.push_back({out, t});
      std::vector<bool> valid{s.has_extremes};
      switch (t) {
        case DType::string:
          cols.push_back(s.has_extremes
                             ? Column::from_strings(std::vector<std::string>{lo ? s.smin : s.smax})
                             : Column::nulls(DType::string, 1));
          break;
        case DType::timestamp:
          cols.push_back(Column::from_timestamps({lo ? s.imin : s.imax}, valid));
          break;
        case DType::boolean:
          cols.push_back(Column::from_bools({(lo ? s.imin : s.imax) != 0}, valid));
          break;
        case DType::int32:
        case DType::int64:
          cols.push_back(Column::from_values<std::int64_t>({lo ? s.imin : s.imax}, valid).cast(t));
          break;
        default:
          cols.push_back(
              Column::from_values<double>({s.has_extremes ? (lo ? s.min : s.max) : detail::nan})
                  .cast(t));
      }
    }
  }
  return Table(Schema(std::move(fields)), std::move(cols));
}

Table DataFrame::describe(int ddof) const {
  std::vector<std::string> numeric;
  for (const auto& f : schema_)
    if (is_numeric(f.type)) numeric.push_back(f.name);
  if (numeric.empty())
    throw ValueError(fmt::format("describe(): no numeric column among {}", schema_.to_string()));
  // Several passes over the data follow: keep the partitions in memory for them.
  const DataFrame data = persist();
  const auto summaries = detail::summarize(data, numeric);
  const std::vector<double> qs = {0.25, 0.5, 0.75};
  std::vector<detail::Selection> wanted;
  struct Plan {
    std::int64_t lo, hi;
    double gamma;
  };
  std::vector<Plan> plans;  // per column per quartile
  for (std::size_t c = 0; c < numeric.size(); ++c) {
    const std::int64_t n = summaries[c].count;
    for (double q : qs) {
      const double virt = q * static_cast<double>(n - 1);
      const auto lo = static_cast<std::int64_t>(std::floor(virt));
      const std::int64_t hi = std::min(lo + 1, n - 1);
      plans.push_back({lo, hi, virt - static_cast<double>(lo)});
      if (n > 0) {
        wanted.push_back({schema_.index_of(numeric[c]), lo});
        wanted.push_back({schema_.index_of(numeric[c]), hi});
      }
    }
  }
  const auto picked = detail::select_ranks(data, wanted);
  std::vector<Field> fields = {{"statistic", DType::string}};
  std::vector<Column> cols = {Column::from_strings(
      std::vector<std::string>{"count", "mean", "std", "min", "25%", "50%", "75%", "max"})};
  std::size_t next = 0;
  for (std::size_t c = 0; c < numeric.size(); ++c) {
    const Summary& s = summaries[c];
    const double count = static_cast<double>(s.count);
    const double dof = count - ddof;
    std::vector<double> v = {count, s.count ? s.sum / count : detail::nan,
                             dof > 0 ? std::sqrt(s.m2 / dof) : detail::nan,
                             s.has_extremes ? s.min : detail::nan};
    for (std::size_t q = 0; q < qs.size(); ++q) {
      if (s.count == 0) {
        v.push_back(detail::nan);
        continue;
      }
      const Plan& p = plans[c * qs.size() + q];
      const double a = picked[next++], b = picked[next++];
      v.push_back(detail::lerp(a, b, p.gamma));
    }
    v.push_back(s.has_extremes ? s.max : detail::nan);
    fields.push_back({numeric[c], DType::float64});
    cols.push_back(Column::from_values<double>(std::move(v)));
  }
  return Table(Schema(std::move(fields)), std::move(cols));
}

Table DataFrame::null_counts() const {
  // pandas' isna: nulls, and NaN in float columns. Nothing else of the values is read.
  auto nulls_in = [](const Column& c) {
    return static_cast<std::int64_t>(c.null_count()) + detail::nan_count(c);
  };
  Hasher h("null-counts");
  Value v = detail::reduce_partitions(
      *this, "null-counts", h,
      [nulls_in](const Table& t) {
        Buffer n = detail::zero_counts(t.num_columns());
        auto* out = n.as_mutable<std::int64_t>().data();
        for (const auto& c : t.columns()) *out++ = nulls_in(c);
        return detail::counts_value(std::move(n));
      },
      detail::sum_counts);
  return Table(Schema({{"column", DType::string}, {"nulls", DType::int64}}),
               {Column::from_strings(columns()), v.get<Column>()});
}

}  // namespace pando
