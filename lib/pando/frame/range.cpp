// Range partitioning for the shuffle engine: splitters from a sample, gathered everywhere.

#include <pando/core/consensus.hpp>
#include <pando/frame/detail/rows.hpp>
#include <pando/frame/detail/shuffle.hpp>

#include <algorithm>
#include <memory>

namespace pando::detail {

namespace {

// Columns of a sample that say where each sampled row was (for the tie-break by position).
const std::string source_column = "\x01source";
const std::string row_column = "\x01row";

// About this many samples per output partition in all: enough for even ranges, few enough to
// gather everywhere.
constexpr std::int64_t oversampling = 32;

// Evenly spaced rows of `t`: its key columns and their positions.
Table sample(const Table& t, std::span<const SortKey> keys, std::int64_t source,
             std::size_t count) {
  const std::vector<std::int64_t> rows = evenly_spaced_rows(t.rows(), count);
  std::vector<std::string> names;
  for (const SortKey& k : keys) names.push_back(k.column);
  return t.select(names)
      .take(rows)
      .with_column(source_column,
                   Column::from_values(std::vector<std::int64_t>(rows.size(), source)))
      .with_column(row_column, Column::from_values(rows));
}

// The splitters' order against rows of a table at input `source`: by keys, then (when asked)
// by position.
class Splitters {
 public:
  Splitters(Table rows, std::vector<SortKey> keys, bool nulls_first, bool by_position)
      : rows_(std::move(rows)),
        keys_(std::move(keys)),
        nulls_first_(nulls_first),
        by_position_(by_position) {
    if (keys_.size() == 1 && rows_.rows() > 0)
      if (auto k = order_keys(rows_.column(keys_[0].column), keys_[0].ascending, nulls_first_)) {
        const auto sources = rows_.column(source_column).values<std::int64_t>();
        const auto positions = rows_.column(row_column).values<std::int64_t>();
        for (std::size_t s = 0; s < k->size(); ++s) {
          numeric_.push_back(
              {(*k)[s], by_position_ ? sources[s] : 0, by_position_ ? positions[s] : 0});
          if ((*k)[s].missing_class == 1) present_bits_.push_back((*k)[s].bits);
        }
        present_from_ = static_cast<std::size_t>(
            std::find_if(numeric_.begin(), numeric_.end(),
                         [](const Place& p) { return p.key.missing_class >= 1; }) -
            numeric_.begin());
      }
  }

  // For each row of `t`, the number of splitters at or before it: its output partition.
  [[nodiscard]] RawVec<std::uint32_t> route(const Table& t, std::int64_t source) const {
    if (rows_.rows() == 0) {
      RawVec<std::uint32_t> out;
      out.resize(t.rows());
      std::fill_n(out.data(), t.rows(), 0);
      return out;
    }
    if (!numeric_.empty()) return route_numbers(t, source);
    RawVec<std::uint32_t> out;
    out.resize(t.rows());
    const RowOrder order(t, rows_, keys_, nulls_first_);
    const auto sources = rows_.column(source_column).values<std::int64_t>();
    const auto positions = rows_.column(row_column).values<std::int64_t>();
    for (std::size_t i = 0; i < t.rows(); ++i) {
      std::size_t lo = 0, hi = rows_.rows();
      while (lo < hi) {
        const std::size_t mid = (lo + hi) / 2;
        int c = order.compare(i, mid);
        if (c == 0 && by_position_) {
          const std::pair<std::int64_t, std::int64_t> here{source, static_cast<std::int64_t>(i)};
          const std::pair<std::int64_t, std::int64_t> there{sources[mid], positions[mid]};
          c = here < there ? -1 : here > there ? 1 : 0;
        }
        if (c < 0)
          hi = mid;
        else
          lo = mid + 1;
      }
      out[i] = static_cast<std::uint32_t>(lo);
    }
    return out;
  }

 private:
  // A splitter of one fixed-width key, as numbers: its key, then (with by_position) its place.
  struct Place {
    OrderKey key;
    std::int64_t source, row;
    friend auto operator<=>(const Place&, const Place&) = default;
  };

  // route() for one fixed-width key: a search among numbers.
  [[nodiscard]] RawVec<std::uint32_t> route_numbers(const Table& t, std::int64_t source) const {
    RawVec<std::uint32_t> out;
    out.resize(t.rows());
    std::uint32_t* to = out.data();
    for_each_order_key(t.column(keys_[0].column), keys_[0].ascending, nulls_first_,
                       [&](std::size_t i, OrderKey key) {
                         to[i] = static_cast<std::uint32_t>(
                             key.missing_class == 1 ? place_of_value(key.bits, source, i)
                                                    : place_of(key, source, i));
                       });
    return out;
  }

  // The number of splitters at or before (key, source, row): an upper bound.
  [[nodiscard]] std::size_t place_of(OrderKey key, std::int64_t source, std::size_t row) const {
    const Place here{key, by_position_ ? source : 0,
                     by_position_ ? static_cast<std::int64_t>(row) : 0};
    return static_cast<std::size_t>(std::upper_bound(numeric_.begin(), numeric_.end(), here) -
                                    numeric_.begin());
  }

  // place_of for a present value: a branch-free search of the present splitters' bits (rows
  // are in no order, so a branch would miss half the time), and the exact search only when a
  // splitter holds the same value.
  [[nodiscard]] std::size_t place_of_value(std::uint64_t bits, std::int64_t source,
                                           std::size_t row) const {
    const std::uint64_t* base = present_bits_.data();
    std::size_t n = present_bits_.size();
    if (n == 0) return place_of({1, bits}, source, row);
    while (n > 1) {
      const std::size_t half = n / 2;
      base += static_cast<std::size_t>(base[half - 1] < bits) * half;  // no branch to miss
      n -= half;
    }
    const std::size_t below =
        static_cast<std::size_t>(base - present_bits_.data()) + (*base < bits);
    if (below < present_bits_.size() && present_bits_[below] == bits)
      return place_of({1, bits}, source, row);
    return present_from_ + below;
  }

  Table rows_;
  std::vector<SortKey> keys_;
  bool nulls_first_;
  bool by_position_;
  std::vector<Place> numeric_;               // the splitters, when one fixed-width key orders them
  std::vector<std::uint64_t> present_bits_;  // the bits of those holding a value, in order
  std::size_t present_from_ = 0;             // the first of those in numeric_
};

}  // namespace

Route range_route(const CollectiveInputs& in, std::vector<SortKey> keys, bool nulls_first,
                  bool by_position, std::int64_t outputs, std::size_t inputs, ShuffleSizes sizes) {
  const auto per_input = static_cast<std::size_t>(
      std::clamp<std::int64_t>((oversampling * outputs + static_cast<std::int64_t>(inputs) - 1) /
                                   std::max<std::int64_t>(1, static_cast<std::int64_t>(inputs)),
                               1, 1024));
  std::vector<Value> samples;
  DeferredError failure;
  failure.run([&] {
    for (std::size_t k = 0; k < in.values.size(); ++k)
      samples.push_back(
          Value::of(sample(in.values[k].get<Table>(), keys, in.positions[k], per_input)));
  });
  failure.agree(in.comm);
  const std::vector<Table> gathered =
      gather_tables({in.comm, samples, in.positions}, inputs, sizes);
  Table chosen;
  if (!gathered.empty()) {
    const Table all = Table::concat(gathered);
    std::vector<SortKey> order = keys;
    if (by_position) order.insert(order.end(), {{source_column, true}, {row_column, true}});
    const RawVec<std::int64_t> sorted = sorted_rows(all, order, nulls_first);
    std::vector<std::int64_t> at;
    for (std::int64_t j = 1; j < outputs && sorted.size() > 0; ++j)
      at.push_back(
          sorted[static_cast<std::size_t>(j * static_cast<std::int64_t>(sorted.size()) / outputs)]);
    chosen = all.take(at);
  }
  auto splitters = std::make_shared<const Splitters>(std::move(chosen), std::move(keys),
                                                     nulls_first, by_position);
  return [splitters](const Table& t, std::int64_t source) { return splitters->route(t, source); };
}

}  // namespace pando::detail
