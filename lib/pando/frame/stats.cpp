// Whole-frame statistics with pandas' semantics: agg, describe (exact quartiles), null counts.
//
// Every statistic is a partial per partition combined along a tree fixed by the partition
// order, so results are identical on any number of ranks. Quartiles are exact order statistics
// found by distributed radix selection: each pass counts, per partition, the values of a
// column in 65536 buckets of the next 16 bits of their order-preserving key, below the prefix
// found so far, until few enough values are left to gather (or one value): at most 4 passes,
// usually 2, without sorting the data.

#include <pando/frame/detail/aggregate.hpp>
#include <pando/frame/detail/partitions.hpp>

#include <pando/core/log.hpp>
#include <pando/frame/text.hpp>
#include <pando/graph/runtime.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <optional>

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

// Counts per partition (nulls per column; a quantile pass's dense histogram while it counts)
// live in reused Buffers, and null counts travel as an int64 column (raw bytes).
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
  if (!fixed_width_column_dtypes.contains(c.type())) return;  // strings hold no numbers
  visit<fixed_width_column_dtypes>(c.type(), [&](auto typed) {
    using T = decltype(typed);
    const auto v = c.values<T>();
    const bool all_valid = c.null_count() == 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!all_valid && !c.is_valid(i)) continue;
      if constexpr (std::is_floating_point_v<T>)
        if (std::isnan(v[i])) continue;
      f(static_cast<double>(v[i]), v[i]);
    }
  });
}

struct Summary {
  std::int64_t count = 0;   // non-null, non-NaN
  std::int64_t nulls = 0;   // null or NaN
  std::int64_t isum = 0;    // sum of integer/bool columns, wrapping around (wrapping_add)
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

// Integer sums wrap around modulo 2^64 on overflow, like NumPy's (and pandas'): added unsigned,
// since signed overflow is undefined in C++, and converted back (modular in C++20).
std::int64_t wrapping_add(std::int64_t a, std::int64_t b) noexcept {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

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
      s.isum = wrapping_add(s.isum, v);
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
  r.isum = wrapping_add(a.isum, b.isum);
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
  std::int64_t rank;             // among the values whose keys share the bits found so far
  std::uint64_t prefix = 0;      // the key's bits found so far
  std::int64_t candidates = -1;  // how many values share them (-1: not counted yet)
  std::optional<std::uint64_t> key = std::nullopt;  // the answer, once known
};

// Radix selection over the keys of the values (key_of: unsigned, in the order of the values).
// Each pass reads every column that still has a selection, once, for each distinct (column,
// bits found so far) asked:
//   - when few values share those bits (gather_limit, known from the pass before), their keys
//     are gathered, and the selection is picked from them: done;
//   - otherwise the next 16 bits are counted, and the lowest and highest key sharing the bits
//     are noted: when they are equal (a run of one value: integers, repeats), that is the
//     answer; else the count picks the next 16 bits.
// Four passes pin any key down; with real data most selections end after two.
constexpr int digit_bits = 16;
constexpr std::size_t digit_bins = std::size_t{1} << digit_bits;
constexpr std::int64_t gather_limit = std::int64_t{1} << 18;   // keys of one ask
constexpr std::int64_t gather_budget = std::int64_t{1} << 20;  // of all asks of a pass

struct Ask {
  std::size_t column;
  std::uint64_t prefix;
  bool gather;
  auto operator<=>(const Ask&) const = default;
};

// What one pass found, per ask, over the partitions read so far.
struct PassResult {
  // Counting asks: (ask * digit_bins + digit, count) of the non-zero bins, in order.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> bins;
  std::vector<std::uint64_t> lowest, highest;    // the extreme keys sharing the ask's bits
  std::vector<std::vector<std::uint64_t>> keys;  // gathering asks: the keys sharing them

  // Between ranks it travels as one flat vector (raw bytes, not an archive: it holds up to
  // gather_limit keys per ask): asks, pairs, lowest, highest, key counts, bins, keys.
  [[nodiscard]] Value flat() const {
    const std::size_t n = lowest.size();
    std::vector<std::uint64_t> out = {n, bins.size()};
    out.insert(out.end(), lowest.begin(), lowest.end());
    out.insert(out.end(), highest.begin(), highest.end());
    for (const auto& k : keys) out.push_back(k.size());
    for (const auto& [bin, count] : bins) out.insert(out.end(), {bin, count});
    for (const auto& k : keys) out.insert(out.end(), k.begin(), k.end());
    return Value::of(std::move(out));
  }
  static PassResult from(const Value& v) {
    const auto& in = v.get<std::vector<std::uint64_t>>();
    const std::size_t n = in[0], pairs = in[1];
    auto next = in.begin() + 2;
    auto take = [&](std::size_t count) {
      std::vector<std::uint64_t> part(next, next + static_cast<std::ptrdiff_t>(count));
      next += static_cast<std::ptrdiff_t>(count);
      return part;
    };
    PassResult r;
    r.lowest = take(n);
    r.highest = take(n);
    const std::vector<std::uint64_t> counts = take(n);
    const std::vector<std::uint64_t> flat_bins = take(2 * pairs);
    for (std::size_t i = 0; i < flat_bins.size(); i += 2)
      r.bins.emplace_back(flat_bins[i], flat_bins[i + 1]);
    for (const auto count : counts) r.keys.push_back(take(count));
    return r;
  }
};

// One partition's part of a pass. `shift`: where the pass's 16 bits start.
PassResult count_partition(const Table& t, const std::vector<Ask>& asks, int shift) {
  PassResult r;
  r.lowest.assign(asks.size(), std::numeric_limits<std::uint64_t>::max());
  r.highest.assign(asks.size(), 0);
  r.keys.resize(asks.size());
  const bool counting =
      std::any_of(asks.begin(), asks.end(), [](const Ask& a) { return !a.gather; });
  Buffer counts = counting ? zero_counts(asks.size() * digit_bins) : Buffer();
  std::int64_t* hist = counts.as_mutable<std::int64_t>().data();
  const int found = shift + digit_bits;  // bits above this are found; 64 in the first pass
  for (std::size_t a = 0; a < asks.size();) {
    std::size_t b = a;  // asks [a, b) are this column's
    while (b < asks.size() && asks[b].column == asks[a].column) ++b;
    std::vector<std::uint64_t> highs;
    for (std::size_t i = a; i < b; ++i) highs.push_back(found >= 64 ? 0 : asks[i].prefix >> found);
    for_each_number(t.column(asks[a].column), [&](double x, auto) {
      const std::uint64_t k = key_of(x);
      const std::uint64_t high = found >= 64 ? 0 : k >> found;
      for (std::size_t i = 0; i < highs.size(); ++i) {
        if (highs[i] != high) continue;
        const std::size_t at = a + i;
        if (asks[at].gather) {
          r.keys[at].push_back(k);
          return;
        }
        r.lowest[at] = std::min(r.lowest[at], k);
        r.highest[at] = std::max(r.highest[at], k);
        ++hist[at * digit_bins + ((k >> shift) & (digit_bins - 1))];
        return;
      }
    });
    a = b;
  }
  if (counting)
    for (std::size_t bin = 0; bin < asks.size() * digit_bins; ++bin)
      if (hist[bin]) r.bins.emplace_back(bin, static_cast<std::uint64_t>(hist[bin]));
  return r;
}

PassResult combine_passes(std::span<const Value> in) {
  PassResult out = PassResult::from(in[0]);
  for (const auto& v : in.subspan(1)) {
    const PassResult r = PassResult::from(v);
    out.bins.insert(out.bins.end(), r.bins.begin(), r.bins.end());
    for (std::size_t a = 0; a < r.keys.size(); ++a) {
      out.lowest[a] = std::min(out.lowest[a], r.lowest[a]);
      out.highest[a] = std::max(out.highest[a], r.highest[a]);
      out.keys[a].insert(out.keys[a].end(), r.keys[a].begin(), r.keys[a].end());
    }
  }
  // One entry per bin, its counts summed.
  std::sort(out.bins.begin(), out.bins.end());
  std::vector<std::pair<std::uint64_t, std::uint64_t>> summed;
  for (const auto& [bin, n] : out.bins) {
    if (!summed.empty() && summed.back().first == bin)
      summed.back().second += n;
    else
      summed.emplace_back(bin, n);
  }
  out.bins = std::move(summed);
  return out;
}

// Moves a selection on by what its ask found in the pass whose bits start at `shift`.
void narrow(Selection& s, std::size_t at, const Ask& ask, PassResult& found, int shift) {
  if (ask.gather) {
    auto& keys = found.keys[at];
    const auto nth = keys.begin() + s.rank;
    std::nth_element(keys.begin(), nth, keys.end());
    s.key = *nth;
    return;
  }
  if (found.lowest[at] == found.highest[at]) {
    s.key = found.lowest[at];
    return;
  }
  // The ask's bins, from the first at or past its first bin.
  const std::uint64_t ask_first = at * digit_bins;
  const auto first = std::partition_point(found.bins.begin(), found.bins.end(),
                                          [&](const auto& b) { return b.first < ask_first; });
  std::int64_t below = 0;
  for (auto bin = first; bin != found.bins.end(); ++bin) {
    const auto n = static_cast<std::int64_t>(bin->second);
    if (s.rank < below + n) {
      s.prefix |= (bin->first % digit_bins) << shift;
      s.rank -= below;
      s.candidates = n;
      break;
    }
    below += n;
  }
  if (shift == 0) s.key = s.prefix;  // every bit found
}

// The asks of the next pass, in order (a column's adjacent): one per distinct (column, bits
// found so far) of the selections still open. Those with the fewest candidates gather, while
// each has at most gather_limit and all together gather_budget (wide frames stay bounded).
std::vector<Ask> next_asks(const std::vector<Selection>& wanted) {
  std::vector<std::pair<std::int64_t, Ask>> open;  // (candidates, ask)
  for (const auto& s : wanted)
    if (!s.key) open.push_back({s.candidates, {s.column, s.prefix, false}});
  std::sort(open.begin(), open.end());
  open.erase(std::unique(open.begin(), open.end()), open.end());
  std::int64_t gathered = 0;
  std::vector<Ask> asks;
  for (auto& [candidates, ask] : open) {
    ask.gather =
        candidates >= 0 && candidates <= gather_limit && gathered + candidates <= gather_budget;
    if (ask.gather) gathered += candidates;
    asks.push_back(ask);
  }
  std::sort(asks.begin(), asks.end());
  return asks;
}

std::vector<double> select_ranks(const DataFrame& df, std::vector<Selection> wanted) {
  for (int pass = 0; pass < 64 / digit_bits; ++pass) {
    const int shift = 64 - digit_bits * (pass + 1);
    const std::vector<Ask> asks = next_asks(wanted);
    if (asks.empty()) break;
    log_debug("quantiles: pass {}, {} ask{} ({} gathering)", pass + 1, asks.size(),
              asks.size() == 1 ? "" : "s",
              std::count_if(asks.begin(), asks.end(), [](const Ask& a) { return a.gather; }));
    Hasher h("quantile-pass");
    h.add(pass);
    for (const auto& a : asks)
      h.add(a.column).add(static_cast<std::int64_t>(a.prefix)).add(a.gather);
    Value v = reduce_partitions(
        df, "quantile", h,
        [asks, shift](const Table& t) { return count_partition(t, asks, shift).flat(); },
        [](std::span<const Value> in) { return combine_passes(in).flat(); });
    PassResult found = PassResult::from(v);
    for (auto& s : wanted) {
      if (s.key) continue;
      const auto at = static_cast<std::size_t>(
          std::find_if(asks.begin(), asks.end(),
                       [&](const Ask& a) { return a.column == s.column && a.prefix == s.prefix; }) -
          asks.begin());
      narrow(s, at, asks[at], found, shift);
    }
  }
  std::vector<double> out;
  for (const auto& s : wanted) out.push_back(value_of(*s.key));
  return out;
}

// NumPy's linear interpolation (what pandas' quantile and describe use), bit for bit.
double lerp(double a, double b, double t) {
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

std::string column_func_name(const std::string& c, const std::string& f) { return c + "_" + f; }

// A quantile to find: q of the `count` non-null values of column number `column`.
struct QuantileAsk {
  std::size_t column;
  std::int64_t count;
  double q;
};

// Each ask's quantile, exact, by NumPy's linear interpolation between the two order statistics
// around it (NaN when the column has no value). One radix selection finds them all.
std::vector<double> exact_quantiles(const DataFrame& data, std::span<const QuantileAsk> asks) {
  struct Between {
    std::int64_t lo, hi;
    double gamma;
  };
  std::vector<Between> between;
  std::vector<Selection> wanted;
  for (const QuantileAsk& a : asks) {
    const double virt = a.q * static_cast<double>(a.count - 1);
    const auto lo = static_cast<std::int64_t>(std::floor(virt));
    between.push_back({lo, std::min(lo + 1, a.count - 1), virt - static_cast<double>(lo)});
    if (a.count > 0) {
      wanted.push_back({a.column, lo});
      wanted.push_back({a.column, between.back().hi});
    }
  }
  const std::vector<double> picked = select_ranks(data, wanted);
  std::vector<double> out;
  std::size_t next = 0;
  for (std::size_t k = 0; k < asks.size(); ++k) {
    if (asks[k].count == 0) {
      out.push_back(nan);
      continue;
    }
    const double a = picked[next++], b = picked[next++];
    out.push_back(lerp(a, b, between[k].gamma));
  }
  return out;
}

}  // namespace

}  // namespace detail

using detail::Summary;

Table DataFrame::agg(const std::vector<std::pair<std::string, std::string>>& column_funcs, int ddof,
                     bool skipna) const {
  static const std::vector<std::string> known = {"count", "sum", "mean", "min",
                                                 "max",   "std", "var"};
  std::vector<std::string> names;
  bool quantiles = false;
  for (const auto& [c, f] : column_funcs) {
    const DType t = schema_[schema_.index_of(c)].type;
    const bool quantile = detail::quantile_of(f).has_value();
    if (!quantile && std::find(known.begin(), known.end(), f) == known.end())
      throw UsageError(
          fmt::format("unknown aggregation '{}' for column '{}' (use count, sum, mean, min, max, "
                      "std, var, median or qNN as q90)",
                      f, c));
    const bool numbers_only = f == "sum" || f == "mean" || f == "std" || f == "var";
    if ((numbers_only && !detail::is_number(t)) || (quantile && !is_numeric(t)))
      throw TypeError(
          fmt::format("cannot take the {} of column '{}' of type {}", f, c, to_string(t)));
    if (std::find(names.begin(), names.end(), c) == names.end()) names.push_back(c);
    quantiles = quantiles || quantile;
  }
  // Quantiles read the data a few times more: keep the columns in memory for them.
  const DataFrame data = quantiles ? select(names).persist() : *this;
  const auto summaries = detail::summarize(data, names);
  auto summary_of = [&](const std::string& c) -> const Summary& {
    return summaries[static_cast<std::size_t>(std::find(names.begin(), names.end(), c) -
                                              names.begin())];
  };
  std::vector<detail::QuantileAsk> asks;
  for (const auto& [c, f] : column_funcs)
    if (auto q = detail::quantile_of(f); q && (skipna || summary_of(c).nulls == 0))
      asks.push_back({data.schema().index_of(c), summary_of(c).count, *q});
  const std::vector<double> found =
      asks.empty() ? std::vector<double>{} : detail::exact_quantiles(data, asks);
  std::size_t next_quantile = 0;
  std::vector<Field> fields;
  std::vector<Column> cols;
  for (const auto& [c, f] : column_funcs) {
    const Summary& s = summary_of(c);
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
    } else if (detail::quantile_of(f)) {
      fields.push_back({out, DType::float64});
      cols.push_back(Column::from_values<double>({found[next_quantile++]}));
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
  // Several passes over the data follow: keep the partitions in memory for them, but only the
  // columns summarized (a frame's strings are often most of its bytes).
  const DataFrame data = select(numeric).persist();
  const auto summaries = detail::summarize(data, numeric);
  const std::vector<double> qs = {0.25, 0.5, 0.75};
  std::vector<detail::QuantileAsk> asks;
  for (std::size_t c = 0; c < numeric.size(); ++c)
    for (double q : qs) asks.push_back({data.schema().index_of(numeric[c]), summaries[c].count, q});
  const std::vector<double> quartiles = detail::exact_quantiles(data, asks);
  std::vector<Field> fields = {{"statistic", DType::string}};
  std::vector<Column> cols = {Column::from_strings(
      std::vector<std::string>{"count", "mean", "std", "min", "25%", "50%", "75%", "max"})};
  for (std::size_t c = 0; c < numeric.size(); ++c) {
    const Summary& s = summaries[c];
    const double count = static_cast<double>(s.count);
    const double dof = count - ddof;
    std::vector<double> v = {count, s.count ? s.sum / count : detail::nan,
                             dof > 0 ? std::sqrt(s.m2 / dof) : detail::nan,
                             s.has_extremes ? s.min : detail::nan};
    for (std::size_t q = 0; q < qs.size(); ++q) v.push_back(quartiles[c * qs.size() + q]);
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
