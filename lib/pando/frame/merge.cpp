// merge: one collective that measures both sides, finds heavy keys, gathers the right rows it
// must and shuffles the rest, joins, and sends each joined row to its left row's partition.

#include <pando/frame/merge.hpp>

#include <pando/frame/detail/merge.hpp>

#include <pando/core/consensus.hpp>
#include <pando/core/error.hpp>
#include <pando/core/session.hpp>
#include <pando/frame/detail/hash.hpp>
#include <pando/frame/detail/partitions.hpp>
#include <pando/frame/detail/rows.hpp>
#include <pando/frame/detail/shuffle.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <memory>
#include <numeric>
#include <optional>

namespace pando {

JoinHow parse_join_how(const std::string& text) {
  if (text == "inner") return JoinHow::inner;
  if (text == "left") return JoinHow::left;
  if (text == "right") return JoinHow::right;
  if (text == "outer") return JoinHow::outer;
  throw UsageError(
      fmt::format("join: '{}' is not a kind of join (inner, left, right or outer)", text));
}

namespace detail {
namespace {

// Where each row came from, carried through the join (the output's order).
const std::string left_source = "\x01lsource", left_row = "\x01lrow";
const std::string right_source = "\x01rsource", right_row = "\x01rrow";

// A sample's share of a side at which a key is heavy.
constexpr double heavy_share = 0.02;
constexpr std::size_t sample_per_partition = 64;

// Pairs of matching rows of two tables: left row, right row (-1: none).
struct Matches {
  std::vector<std::int64_t> left, right;
  std::vector<char> right_matched;  // per right row
};

// The rows of `r` grouped by key, looked up by the keys of another table's rows.
class KeyIndex {
 public:
  KeyIndex(const Table& r, std::vector<std::string> keys) : r_(r), keys_(std::move(keys)) {
    groups_ = group_rows(r, keys_, false);
    start_.assign(groups_.count() + 1, 0);
    for (std::int64_t g : groups_.of_row) ++start_[static_cast<std::size_t>(g) + 1];
    std::partial_sum(start_.begin(), start_.end(), start_.begin());
    rows_.resize(r.rows());
    std::vector<std::size_t> next(start_.begin(), start_.end() - 1);
    for (std::size_t i = 0; i < r.rows(); ++i)
      rows_[next[static_cast<std::size_t>(groups_.of_row[i])]++] = static_cast<std::int64_t>(i);
    const std::vector<std::uint64_t> hashes = hash_rows(r, keys_);
    std::size_t size = 16;
    while (size < 2 * groups_.count()) size *= 2;
    slots_.assign(size, -1);
    hash_.resize(groups_.count());
    for (std::size_t g = 0; g < groups_.count(); ++g) {
      hash_[g] = hashes[static_cast<std::size_t>(groups_.first_row[g])];
      std::size_t at = hash_[g] & (size - 1);
      while (slots_[at] >= 0) at = (at + 1) & (size - 1);
      slots_[at] = static_cast<std::int64_t>(g);
    }
  }

  // Matches of every row of `l` (keys `left_keys`), in l's row order, each row's matches in
  // r's row order; with `keep_unmatched`, a row without one is paired with -1.
  [[nodiscard]] Matches match(const Table& l, const std::vector<std::string>& left_keys,
                              bool keep_unmatched) const {
    Matches m;
    m.right_matched.assign(r_.rows(), 0);
    const std::vector<std::int64_t> groups = groups_of(l, left_keys);
    for (std::size_t i = 0; i < l.rows(); ++i) {
      const std::int64_t found = groups[i];
      if (found < 0) {
        if (keep_unmatched) {
          m.left.push_back(static_cast<std::int64_t>(i));
          m.right.push_back(-1);
        }
        continue;
      }
      const auto g = static_cast<std::size_t>(found);
      for (std::size_t k = start_[g]; k < start_[g + 1]; ++k) {
        m.left.push_back(static_cast<std::int64_t>(i));
        m.right.push_back(rows_[k]);
        m.right_matched[static_cast<std::size_t>(rows_[k])] = 1;
      }
    }
    return m;
  }

 private:
  // The group of r matching each row of `l` (-1: none). A dictionary-encoded key is looked up
  // once per distinct value.
  [[nodiscard]] std::vector<std::int64_t> groups_of(const Table& l,
                                                    const std::vector<std::string>& keys) const {
    const Column& c = l.column(keys[0]);
    if (keys.size() > 1 || !c.is_dictionary()) return probe(l, keys);
    const std::vector<std::int64_t> entry = probe(Table({keys[0]}, {c.dictionary()}), keys);
    std::vector<std::int64_t> out(l.rows());
    const auto codes = c.codes();
    std::optional<std::int64_t> missing;  // the group of the missing key, looked up once
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (c.is_valid(i)) {
        out[i] = entry[static_cast<std::size_t>(codes[i])];
      } else {
        if (!missing) missing = probe(l.slice(i, 1), keys)[0];
        out[i] = *missing;
      }
    }
    return out;
  }

  // The group of r matching each row of `l`, by hash and then by value.
  [[nodiscard]] std::vector<std::int64_t> probe(const Table& l,
                                                const std::vector<std::string>& keys) const {
    std::vector<CellOrder> same;
    for (std::size_t k = 0; k < keys_.size(); ++k)
      same.push_back(cell_order(l.column(keys[k]), r_.column(keys_[k])));
    const std::vector<std::uint64_t> hashes = hash_rows(l, keys);
    const std::size_t mask = slots_.size() - 1;
    std::vector<std::int64_t> out(l.rows(), -1);
    for (std::size_t i = 0; i < l.rows(); ++i) {
      for (std::size_t at = hashes[i] & mask; slots_[at] >= 0; at = (at + 1) & mask) {
        const auto g = static_cast<std::size_t>(slots_[at]);
        if (hash_[g] != hashes[i]) continue;
        const auto first = static_cast<std::size_t>(groups_.first_row[g]);
        if (std::all_of(same.begin(), same.end(),
                        [&](const CellOrder& o) { return o(i, first) == 0; })) {
          out[i] = static_cast<std::int64_t>(g);
          break;
        }
      }
    }
    return out;
  }

  const Table& r_;
  std::vector<std::string> keys_;
  Groups groups_;
  std::vector<std::size_t> start_;
  std::vector<std::int64_t> rows_;
  std::vector<std::int64_t> slots_;
  std::vector<std::uint64_t> hash_;
};

// Whether `rows` is 0, 1, ..., n - 1 (each left row matched once: its columns need no copy).
bool every_row_once(const std::vector<std::int64_t>& rows, std::size_t n) {
  if (rows.size() != n) return false;
  for (std::size_t i = 0; i < n; ++i)
    if (rows[i] != static_cast<std::int64_t>(i)) return false;
  return true;
}

// What a merge computes: its keys, its output columns and how each is made.
struct JoinPlan {
  std::vector<std::string> left_keys, right_keys;
  bool keep_unmatched_left = false;
  bool outer = false;
  Schema left_schema, right_schema;  // as given
  // Output columns: from the left (or, for a shared key, coalesced) then from the right.
  struct Out {
    std::string name;
    std::string left, right;  // the column it takes ("" when none)
  };
  std::vector<Out> columns;
  Schema output;  // columns' fields, then the four position columns

  // The rows of matching pairs, with their positions (for the order) unless `final`.
  [[nodiscard]] Table assemble(const Table& l, const Table& r, const Matches& m,
                               bool final = false) const {
    std::vector<Column> out;
    for (const Out& c : columns) {
      if (!c.left.empty() && !c.right.empty()) {  // a shared key: left value, else right's
        const std::array<Column, 2> both{l.column(c.left), r.column(c.right)};
        const Column all = Column::concat(both);
        std::vector<std::int64_t> at(m.left.size());
        for (std::size_t k = 0; k < at.size(); ++k)
          at[k] = m.left[k] >= 0 ? m.left[k] : static_cast<std::int64_t>(l.rows()) + m.right[k];
        out.push_back(all.take(at));
      } else if (!c.left.empty()) {
        out.push_back(every_row_once(m.left, l.rows()) ? l.column(c.left)
                                                       : l.column(c.left).take(m.left));
      } else {
        out.push_back(r.column(c.right).take(m.right));
      }
    }
    if (final)
      return Table(Schema(std::vector<Field>(output.begin(), output.end() - 4)), std::move(out));
    for (const auto* name : {&left_source, &left_row}) out.push_back(l.column(*name).take(m.left));
    for (const auto* name : {&right_source, &right_row})
      out.push_back(r.column(*name).take(m.right));
    return Table(output, std::move(out));
  }

  // Right rows that matched nothing, as output rows.
  [[nodiscard]] Table unmatched_right(const Table& l_empty, const Table& r,
                                      const std::vector<char>& matched) const {
    Matches m;
    for (std::size_t j = 0; j < r.rows(); ++j)
      if (!matched[j]) {
        m.left.push_back(-1);
        m.right.push_back(static_cast<std::int64_t>(j));
      }
    return assemble(l_empty, r, m);
  }
};

// A collective's inputs of one side, as tables with their positions.
struct Side {
  std::vector<Table> tables;
  std::vector<std::uint32_t> positions;  // within the side
  [[nodiscard]] std::uint64_t bytes() const {
    std::uint64_t n = 0;
    for (const Table& t : tables) n += t.nbytes();
    return n;
  }
  [[nodiscard]] std::vector<Value> values() const {
    std::vector<Value> v;
    for (const Table& t : tables) v.push_back(Value::of(t));
    return v;
  }
};

class Join {
 public:
  Join(std::shared_ptr<const JoinPlan> plan, std::int64_t left_parts, std::int64_t right_parts,
       std::int64_t outputs, ShuffleSizes sizes, std::uint64_t broadcast_bytes)
      : plan_(std::move(plan)),
        left_parts_(left_parts),
        right_parts_(right_parts),
        outputs_(outputs),
        sizes_(sizes),
        broadcast_bytes_(broadcast_bytes) {}

  Value operator()(const CollectiveInputs& in) const {
    Side left, right;
    split(in, left, right);
    const Comm& comm = in.comm;
    std::array<std::uint64_t, 2> mine{left.bytes(), right.bytes()}, total{};
    comm.allreduce(std::span<const std::uint64_t>(mine), std::span<std::uint64_t>(total),
                   ReduceOp::sum);
    const std::uint64_t limit = comm.allreduce(broadcast_bytes_, ReduceOp::min);
    const bool broadcast = total[1] <= limit;
    // Keys whose rows do not move: every key when the right side is small, else the heavy ones.
    const std::optional<Table> heavy =
        broadcast ? std::nullopt : std::optional(heavy_keys(comm, left, right));
    Side left_rest, right_rest, left_stay, right_everywhere;
    DeferredError failure;
    failure.run([&] {
      partition(left, heavy, plan_->left_keys, left_stay, left_rest);
      partition(right, heavy, plan_->right_keys, right_everywhere, right_rest);
    });
    failure.agree(comm);
    std::vector<Table> joined;  // this rank's output rows, with their positions
    join_gathered(comm, left_stay, right_everywhere, joined);
    if (!broadcast) join_shuffled(comm, left_rest, right_rest, joined);
    return Value::local(to_left_partitions(comm, joined));
  }

 private:
  void split(const CollectiveInputs& in, Side& left, Side& right) const {
    for (std::size_t k = 0; k < in.values.size(); ++k) {
      const auto p = static_cast<std::int64_t>(in.positions[k]);
      const Table& t = in.values[k].get<Table>();
      if (p < left_parts_) {
        left.tables.push_back(with_positions(t, p, left_source, left_row));
        left.positions.push_back(static_cast<std::uint32_t>(p));
      } else {
        right.tables.push_back(with_positions(t, p - left_parts_, right_source, right_row));
        right.positions.push_back(static_cast<std::uint32_t>(p - left_parts_));
      }
    }
  }

  // The keys that a sample of both sides (evenly spaced rows of every partition, gathered
  // everywhere) finds on heavy_share of a side's rows or more. Collective.
  Table heavy_keys(const Comm& comm, const Side& left, const Side& right) const {
    std::vector<Value> samples;
    std::vector<std::uint32_t> positions;
    DeferredError failure;
    failure.run([&] {
      auto add = [&](const Side& side, const std::vector<std::string>& keys, std::int64_t kind,
                     std::int64_t offset) {
        for (std::size_t k = 0; k < side.tables.size(); ++k) {
          const Table& t = side.tables[k];
          const std::vector<std::int64_t> rows = evenly_spaced_rows(t.rows(), sample_per_partition);
          const std::size_t m = rows.size();
          std::vector<std::pair<std::string, std::string>> common;
          for (std::size_t c = 0; c < keys.size(); ++c)
            if (keys[c] != plan_->left_keys[c]) common.emplace_back(keys[c], plan_->left_keys[c]);
          samples.push_back(Value::of(t.select(keys).rename(common).take(rows).with_column(
              "\x01side", Column::from_values(std::vector<std::int64_t>(m, kind)))));
          positions.push_back(static_cast<std::uint32_t>(offset + side.positions[k]));
        }
      };
      add(left, plan_->left_keys, 0, 0);
      add(right, plan_->right_keys, 1, left_parts_);
    });
    failure.agree(comm);
    const std::vector<Table> gathered = gather_tables(
        {comm, samples, positions}, static_cast<std::size_t>(left_parts_ + right_parts_), sizes_);
    if (gathered.empty()) return Table::empty(plan_->left_schema).select(plan_->left_keys);
    const Table all = Table::concat(gathered);
    if (all.rows() == 0) return all.select(plan_->left_keys);
    const Groups groups = group_rows(all, plan_->left_keys, false);
    const auto side = all.column("\x01side").values<std::int64_t>();
    std::vector<std::array<std::size_t, 2>> count(groups.count(), {0, 0});
    std::array<std::size_t, 2> rows{0, 0};
    for (std::size_t i = 0; i < all.rows(); ++i) {
      ++count[static_cast<std::size_t>(groups.of_row[i])][static_cast<std::size_t>(side[i])];
      ++rows[static_cast<std::size_t>(side[i])];
    }
    std::vector<std::int64_t> heavy;
    for (std::size_t g = 0; g < groups.count(); ++g)
      for (std::size_t s : {0, 1})
        if (rows[s] > 0 && count[g][s] >= 8 &&
            static_cast<double>(count[g][s]) >= heavy_share * static_cast<double>(rows[s])) {
          heavy.push_back(groups.first_row[g]);
          break;
        }
    return all.select(plan_->left_keys).take(heavy);
  }

  // Each table's rows with a heavy key (all, without heavy keys given) and the others.
  static void partition(const Side& side, const std::optional<Table>& heavy,
                        const std::vector<std::string>& keys, Side& heavy_rows, Side& rest) {
    heavy_rows.positions = rest.positions = side.positions;
    for (const Table& t : side.tables) {
      if (!heavy) {
        heavy_rows.tables.push_back(t);
        rest.tables.push_back(Table::empty(t.schema()));
        continue;
      }
      const Matches m = KeyIndex(*heavy, heavy->names()).match(t, keys, true);
      std::vector<std::int64_t> in, out;
      for (std::size_t k = 0; k < m.left.size(); ++k)
        (m.right[k] >= 0 ? in : out).push_back(m.left[k]);
      heavy_rows.tables.push_back(t.take(in));
      rest.tables.push_back(t.take(out));
    }
  }

  // Left rows joined where they are against right rows gathered on every rank (for an outer
  // join, the gathered rows no left row matched anywhere join the output too). Collective.
  void join_gathered(const Comm& comm, const Side& left, const Side& right,
                     std::vector<Table>& joined) const {
    // What every rank holds of the right side: at most a quarter of the smallest budget.
    const std::uint64_t bytes = comm.allreduce(right.bytes(), ReduceOp::sum);
    const std::uint64_t room =
        comm.allreduce(SessionBase::current().memory_limit() / 4, ReduceOp::min);
    if (bytes > room)
      throw ValueError(fmt::format(
          "merge: the right side's rows of its most frequent keys come to {} MiB, more than "
          "every rank can hold beside its share of the rest ({} MiB, a quarter of the memory "
          "budget); raise the budget (--pando-memory-limit) or join on more columns",
          bytes >> 20, room >> 20));
    const std::vector<Table> gathered = gather_tables(
        {comm, right.values(), right.positions}, static_cast<std::size_t>(right_parts_), sizes_);
    DeferredError failure;
    std::vector<char> matched;
    Table everywhere;
    failure.run([&] {
      everywhere = gathered.empty() ? with_positions(Table::empty(plan_->right_schema), 0,
                                                     right_source, right_row)
                                    : Table::concat(gathered);
      const KeyIndex index(everywhere, plan_->right_keys);
      matched.assign(everywhere.rows(), 0);
      for (const Table& l : left.tables) {
        const Matches m = index.match(l, plan_->left_keys, plan_->keep_unmatched_left);
        for (std::size_t j = 0; j < matched.size(); ++j) matched[j] |= m.right_matched[j];
        joined.push_back(plan_->assemble(l, everywhere, m));
      }
    });
    failure.agree(comm);
    if (!plan_->outer) return;
    std::vector<char> anywhere(matched.size());
    comm.allreduce(std::span<const char>(matched), std::span<char>(anywhere), ReduceOp::max);
    // The unmatched gathered rows are the same on every rank: rank 0 keeps them.
    if (comm.rank() == 0)
      joined.push_back(
          plan_->unmatched_right(Table::empty(plan_->left_schema)
                                     .with_column(left_source, Column::nulls(DType::int64, 0))
                                     .with_column(left_row, Column::nulls(DType::int64, 0)),
                                 everywhere, anywhere));
  }

  // Both sides' other rows shuffled by key into buckets, joined there. Collective.
  void join_shuffled(const Comm& comm, const Side& left, const Side& right,
                     std::vector<Table>& joined) const {
    const std::int64_t buckets = std::max<std::int64_t>({left_parts_, right_parts_, 1});
    const auto into = static_cast<std::uint32_t>(buckets);
    const ShuffledPartitions l = shuffle_tables(
        {comm, left.values(), left.positions},
        with_positions(Table::empty(plan_->left_schema), 0, left_source, left_row).schema(),
        buckets, hash_route(plan_->left_keys, into), sizes_, "merge (left side)");
    const ShuffledPartitions r = shuffle_tables(
        {comm, right.values(), right.positions},
        with_positions(Table::empty(plan_->right_schema), 0, right_source, right_row).schema(),
        buckets, hash_route(plan_->right_keys, into), sizes_, "merge (right side)");
    DeferredError failure;
    failure.run([&] {
      for (std::size_t b = 0; b < l.tables.size(); ++b) {
        const KeyIndex index(r.tables[b], plan_->right_keys);
        const Matches m = index.match(l.tables[b], plan_->left_keys, plan_->keep_unmatched_left);
        joined.push_back(plan_->assemble(l.tables[b], r.tables[b], m));
        if (plan_->outer)
          joined.push_back(
              plan_->unmatched_right(l.tables[b].head(0), r.tables[b], m.right_matched));
      }
    });
    failure.agree(comm);
  }

  // Every joined row to its left row's partition (right rows without one: the last), ordered
  // by left position, then right position.
  ShuffledPartitions to_left_partitions(const Comm& comm, const std::vector<Table>& joined) const {
    std::vector<Value> values;
    std::vector<std::uint32_t> positions;
    for (std::size_t k = 0; k < joined.size(); ++k) {
      values.push_back(Value::of(joined[k]));
      positions.push_back(static_cast<std::uint32_t>(k));
    }
    const std::int64_t last = outputs_ - 1;
    ShuffledPartitions out = shuffle_tables(
        {comm, values, positions}, plan_->output, outputs_,
        column_route(left_source, static_cast<std::uint32_t>(last)), sizes_, "merge");
    // A left row's matches all come from one join call, in right order: a stable sort by the
    // left row keeps them so.
    DeferredError failure;
    failure.run([&] {
      for (std::size_t k = 0; k < out.tables.size(); ++k) {
        Table& t = out.tables[k];
        const bool unmatched = out.first + static_cast<std::int64_t>(k) == last && plan_->outer;
        t = (unmatched ? t.sort_values({{right_source, true}, {right_row, true}})
                       : t.sort_values({{left_row, true}}))
                .drop({left_source, left_row, right_source, right_row});
      }
    });
    failure.agree(comm);
    return out;
  }

  std::shared_ptr<const JoinPlan> plan_;
  std::int64_t left_parts_, right_parts_, outputs_;
  ShuffleSizes sizes_;
  std::uint64_t broadcast_bytes_;
};

std::shared_ptr<const JoinPlan> plan_join(const DataFrame& left, const DataFrame& right,
                                          const MergeOptions& o) {
  auto plan = std::make_shared<JoinPlan>();
  if (!o.on.empty() && (!o.left_on.empty() || !o.right_on.empty()))
    throw UsageError("merge: give the keys as on, or as left_on and right_on, not both");
  plan->left_keys = o.on.empty() ? o.left_on : o.on;
  plan->right_keys = o.on.empty() ? o.right_on : o.on;
  if (plan->left_keys.empty())
    throw UsageError("merge: name the key columns (on, or left_on and right_on)");
  if (plan->left_keys.size() != plan->right_keys.size())
    throw UsageError(fmt::format("merge: {} left keys and {} right keys; they go in pairs",
                                 plan->left_keys.size(), plan->right_keys.size()));
  const Schema& ls = left.schema();
  const Schema& rs = right.schema();
  for (std::size_t k = 0; k < plan->left_keys.size(); ++k) {
    const DType a = ls[ls.index_of(plan->left_keys[k])].type;
    const DType b = rs[rs.index_of(plan->right_keys[k])].type;
    if (a != b)
      throw TypeError(fmt::format(
          "merge: the key '{}' is {} on the left and '{}' is {} on the right; make them one "
          "type first (astype, or --dtype {}={} when reading)",
          plan->left_keys[k], to_string(a), plan->right_keys[k], to_string(b), plan->right_keys[k],
          to_string(a)));
  }
  plan->keep_unmatched_left = o.how == JoinHow::left || o.how == JoinHow::outer;
  plan->outer = o.how == JoinHow::outer;
  plan->left_schema = ls;
  plan->right_schema = rs;
  // A key of one name on both sides is one output column (pandas), its value from either side.
  auto is_key = [&](const std::string& name, const std::vector<std::string>& keys) {
    for (std::size_t k = 0; k < keys.size(); ++k)
      if (keys[k] == name && plan->left_keys[k] == plan->right_keys[k]) return true;
    return false;
  };
  std::vector<Field> fields;
  for (const Field& f : ls) {
    std::string name = f.name;
    if (is_key(f.name, plan->left_keys)) {
      plan->columns.push_back({name, f.name, f.name});
    } else {
      if (rs.find(f.name) && !is_key(f.name, plan->right_keys)) name += o.left_suffix;
      plan->columns.push_back({name, f.name, ""});
    }
    fields.push_back({name, f.type});
  }
  for (const Field& f : rs) {
    if (is_key(f.name, plan->right_keys)) continue;
    std::string name = f.name;
    if (ls.find(f.name) && !is_key(f.name, plan->left_keys)) name += o.right_suffix;
    plan->columns.push_back({name, "", f.name});
    fields.push_back({name, f.type});
  }
  for (const auto* name : {&left_source, &left_row, &right_source, &right_row})
    fields.push_back({*name, DType::int64});
  plan->output = Schema(std::move(fields));  // UsageError when suffixes still clash
  return plan;
}

// A right side of one partition (a small file: Dask's broadcast rule) goes to every left
// partition's task, which joins it there: no collective, and memory holds one left partition's
// output at a time.
DataFrame join_each_partition(const DataFrame& left, const DataFrame& right,
                              std::shared_ptr<const JoinPlan> plan, const Hasher& h) {
  const std::string token = make_token("merge-broadcast", h.value());
  std::vector<Task> tasks;
  for (std::int64_t p = 0; p < left.npartitions(); ++p) {
    Task t;
    t.key = Key(token, {p});
    t.inputs = {left.partition_key(p), right.partition_key(0)};
    t.fn = [plan](std::span<const Value> in) {
      const Table& l = in[0].get<Table>();
      const Table& r = in[1].get<Table>();
      const Matches m =
          KeyIndex(r, plan->right_keys).match(l, plan->left_keys, plan->keep_unmatched_left);
      return Value::of(plan->assemble(l, r, m, true));
    };
    tasks.push_back(std::move(t));
  }
  return DataFrame(Schema(std::vector<Field>(plan->output.begin(), plan->output.end() - 4)),
                   left.npartitions(), token,
                   Graph(std::move(tasks), {&left.graph(), &right.graph()}));
}

DataFrame join_by_left(const DataFrame& left, const DataFrame& right, const MergeOptions& o,
                       const JoinSizes& sizes) {
  auto plan = plan_join(left, right, o);
  Hasher h("merge");
  h.add(left.token()).add(right.token()).add_all(plan->left_keys).add_all(plan->right_keys);
  h.add(static_cast<std::int64_t>(o.how)).add(o.left_suffix).add(o.right_suffix);
  if (right.npartitions() == 1 && !plan->outer && sizes.broadcast_bytes > 0)
    return join_each_partition(left, right, plan, h);
  const std::int64_t outputs =
      std::max<std::int64_t>(left.npartitions(), 1) + (plan->outer ? 1 : 0);
  Task x;
  x.key = Key(make_token("merge-exchange", h.value()));
  x.inputs = partition_keys(left);
  for (const Key& k : partition_keys(right)) x.inputs.push_back(k);
  x.collective = collective_step(Join(plan, left.npartitions(), right.npartitions(), outputs,
                                      sizes.shuffle, sizes.broadcast_bytes),
                                 CollectiveOutput::per_rank);
  const Key all = x.key;
  std::vector<Field> fields(plan->output.fields().begin(), plan->output.fields().end() - 4);
  std::vector<Task> tasks;
  tasks.push_back(std::move(x));
  return partitions_of(all, Schema(std::move(fields)), outputs, make_token("merge", h.value()),
                       Graph(std::move(tasks), {&left.graph(), &right.graph()}));
}

}  // namespace

JoinSizes JoinSizes::of_session() {
  return {
      ShuffleSizes::of_session(),
      std::min<std::uint64_t>(SessionBase::current().memory_limit() / 8, std::uint64_t{256} << 20)};
}

DataFrame merge_with(const DataFrame& left, const DataFrame& right, const MergeOptions& options,
                     const JoinSizes& sizes) {
  if (options.how != JoinHow::right) return join_by_left(left, right, options, sizes);
  // A right join is the left join of the sides swapped, its columns put back in order.
  MergeOptions swapped = options;
  swapped.how = JoinHow::left;
  std::swap(swapped.left_on, swapped.right_on);
  std::swap(swapped.left_suffix, swapped.right_suffix);
  const DataFrame mirrored = join_by_left(right, left, swapped, sizes);
  MergeOptions as_given = options;
  as_given.how = JoinHow::left;
  std::vector<std::string> names = plan_join(left, right, as_given)->output.names();
  names.resize(names.size() - 4);  // without the positions
  return mirrored.select(names);
}

}  // namespace detail

DataFrame merge(const DataFrame& left, const DataFrame& right, const MergeOptions& options) {
  return detail::merge_with(left, right, options, detail::JoinSizes::of_session());
}

}  // namespace pando
