// The shuffle engine: rows move to the partition their route names, all-to-all between the
// ranks (docs/architecture.md §4.4, §6).
//
// One collective task takes every input partition (each rank hands in those it holds), cuts
// each into pieces by destination partition, and sends the pieces in rounds bounded by the
// memory budget (core/detail/exchange.hpp). Output partition j lives on rank owner(j); its rows are
// the pieces for j in input-partition order, so its content, and what is computed from it,
// does not depend on the rank count. Every shuffle counts the rows it takes in and gives out on
// all ranks together: a mismatch is an internal error naming the operation, never silent loss.

#include <pando/core/error.hpp>
#include <pando/core/detail/exchange.hpp>
#include <pando/core/fault.hpp>
#include <pando/core/session.hpp>
#include <pando/frame/detail/hash.hpp>
#include <pando/frame/detail/partitions.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>

namespace pando::detail {

namespace {

// Round size for the exchange: a sixteenth of the memory budget (a round holds its messages
// about three times over: made, packed, received), and under MPI's int counts.
constexpr std::uint64_t max_round_bytes = std::uint64_t{512} << 20;
constexpr std::uint64_t budget_share = 16;

// Output partitions are spread in contiguous blocks, rank r owning [first(r), first(r + 1)).
struct Owners {
  std::int64_t outputs;
  int ranks;
  [[nodiscard]] int of(std::int64_t j) const { return static_cast<int>(j * ranks / outputs); }
  [[nodiscard]] std::int64_t first(int r) const {
    return (static_cast<std::int64_t>(r) * outputs + ranks - 1) / ranks;
  }
};

// What one rank holds of a shuffle's output: partitions [first, first + tables.size()).
struct ShuffledPartitions {
  std::int64_t first = 0;
  std::vector<Table> tables;
};

// Where a piece of rows comes from and goes to; it travels as the first part of its message.
struct PieceHeader {
  std::int64_t source;  // input partition
  std::int64_t chunk;   // a large piece is cut in row chunks, in order
  std::int64_t dest;    // output partition
};

// A piece arrived: its place in its output partition, and its rows.
struct Piece {
  std::int64_t source;
  std::int64_t chunk;
  Table rows;
};

std::vector<Buffer> message_of(const PieceHeader& head, const Table& rows) {
  Encoded e = Codec<Table>::encode(rows, nullptr);
  std::vector<Buffer> parts;
  parts.push_back(Buffer::copy_of(std::as_bytes(std::span(&head, 1))));
  parts.push_back(Buffer::adopt(std::move(e.meta)));
  for (Buffer& b : e.buffers) parts.push_back(std::move(b));
  return parts;
}

std::pair<PieceHeader, Table> piece_of(std::vector<Buffer> parts) {
  if (parts.size() < 2 || parts[0].size() != sizeof(PieceHeader))
    throw InternalError("shuffle: a piece arrived without its header");
  PieceHeader head;
  std::memcpy(&head, parts[0].data(), sizeof head);
  Encoded e;
  e.type = type_tag<Table>();
  e.meta.assign(parts[1].data(), parts[1].data() + parts[1].size());
  e.buffers.assign(std::make_move_iterator(parts.begin() + 2),
                   std::make_move_iterator(parts.end()));
  return {head, Codec<Table>::decode(e)};
}

// The rows of `t` going to each output partition, in row order.
std::vector<std::vector<std::int64_t>> rows_by_destination(std::span<const std::uint32_t> route,
                                                           std::int64_t outputs) {
  std::vector<std::vector<std::int64_t>> rows(static_cast<std::size_t>(outputs));
  for (std::size_t i = 0; i < route.size(); ++i) {
    if (route[i] >= static_cast<std::uint64_t>(outputs))
      throw InternalError(
          fmt::format("shuffle: row {} routed to partition {} of {}", i, route[i], outputs));
    rows[route[i]].push_back(static_cast<std::int64_t>(i));
  }
  return rows;
}

class Shuffle {
 public:
  Shuffle(std::string name, Schema schema, std::int64_t outputs, Route route)
      : name_(std::move(name)),
        schema_(std::move(schema)),
        outputs_(outputs),
        route_(std::move(route)) {}

  Value operator()(const CollectiveInputs& in) const {
    const Owners owners{outputs_, in.comm.size()};
    std::vector<Outgoing> messages;
    std::int64_t rows_in = 0;
    for (std::size_t k = 0; k < in.values.size(); ++k) {
      const Table& t = in.values[k].get<Table>();
      rows_in += static_cast<std::int64_t>(t.rows());
      cut(t, in.positions[k], owners, round_bytes() / static_cast<std::size_t>(in.comm.size()),
          messages);
    }
    const int rank = in.comm.rank();
    const std::int64_t first = owners.first(rank), last = owners.first(rank + 1);
    std::vector<std::vector<Piece>> arrived(static_cast<std::size_t>(last - first));
    exchange(in.comm, messages, round_bytes(), [&](int, std::vector<Buffer> parts) {
      auto [head, rows] = piece_of(std::move(parts));
      if (head.dest < first || head.dest >= last)
        throw InternalError(
            fmt::format("shuffle: partition {} arrived at rank {}", head.dest, rank));
      arrived[static_cast<std::size_t>(head.dest - first)].push_back(
          {head.source, head.chunk, std::move(rows)});
    });
    ShuffledPartitions out{first, {}};
    for (auto& pieces : arrived) out.tables.push_back(assemble(pieces));
    check_rows_conserved(in.comm, rows_in, out);
    return Value::local(std::move(out));
  }

 private:
  static std::size_t round_bytes() {
    return static_cast<std::size_t>(
        std::min(SessionBase::current().memory_limit() / budget_share, max_round_bytes));
  }

  // The messages for the rows of input partition `source`: one per destination partition, or
  // row chunks of about `share` bytes when it is larger.
  void cut(const Table& t, std::int64_t source, const Owners& owners, std::size_t share,
           std::vector<Outgoing>& messages) const {
    if (t.rows() == 0) return;
    auto by_dest = rows_by_destination(route_(t), outputs_);
    const double row_bytes = static_cast<double>(t.nbytes()) / static_cast<double>(t.rows());
    for (std::int64_t j = 0; j < outputs_; ++j) {
      auto rows = std::make_shared<std::vector<std::int64_t>>(
          std::move(by_dest[static_cast<std::size_t>(j)]));
      if (rows->empty()) continue;
      if (fault::strikes(fault::Point::lose_row)) rows->pop_back();
      const double bytes = row_bytes * static_cast<double>(rows->size());
      const auto chunks = static_cast<std::size_t>(std::max(1.0, std::ceil(bytes / share)));
      const std::size_t per_chunk = (rows->size() + chunks - 1) / chunks;
      for (std::size_t c = 0; c * per_chunk < rows->size(); ++c) {
        const std::size_t begin = c * per_chunk, end = std::min(rows->size(), begin + per_chunk);
        const PieceHeader head{source, static_cast<std::int64_t>(c), j};
        messages.push_back({owners.of(j), static_cast<std::size_t>(row_bytes * (end - begin)),
                            [t, rows, begin, end, head] {
                              std::span<const std::int64_t> take(rows->data() + begin, end - begin);
                              return message_of(head, t.take(take));
                            }});
      }
    }
  }

  // An output partition: its pieces in input-partition order (then chunk order).
  Table assemble(std::vector<Piece>& pieces) const {
    std::sort(pieces.begin(), pieces.end(), [](const Piece& a, const Piece& b) {
      return std::tie(a.source, a.chunk) < std::tie(b.source, b.chunk);
    });
    if (pieces.empty()) return Table::empty(schema_);
    std::vector<Table> tables;
    tables.reserve(pieces.size());
    for (Piece& p : pieces) tables.push_back(std::move(p.rows));
    Table whole = Table::concat(tables);
    pieces.clear();  // the received bytes go with the pieces
    return whole;
  }

  // Collective: the rows given out over all ranks must be the rows taken in.
  void check_rows_conserved(const Comm& comm, std::int64_t rows_in,
                            const ShuffledPartitions& out) const {
    std::int64_t rows_out = 0;
    for (const Table& t : out.tables) rows_out += static_cast<std::int64_t>(t.rows());
    std::array<std::int64_t, 2> mine{rows_in, rows_out}, all{};
    comm.allreduce(std::span<const std::int64_t>(mine), std::span<std::int64_t>(all),
                   ReduceOp::sum);
    if (all[0] != all[1])
      throw InternalError(fmt::format(
          "{}: {} rows went into the shuffle and {} came out (rows lost or duplicated in transit: "
          "a bug in Pando, please report it)",
          name_, all[0], all[1]));
  }

  std::string name_;
  Schema schema_;
  std::int64_t outputs_;
  Route route_;
};

}  // namespace

DataFrame shuffle_partitions(const DataFrame& df, std::string_view name, Hasher h,
                             std::int64_t outputs, Route route) {
  if (outputs < 1)
    throw UsageError(
        fmt::format("{}: a shuffle needs at least one output partition, not {}", name, outputs));
  h.add(df.token()).add(outputs);
  const Key all(make_token(std::string(name) + "-exchange", h.value()));
  const std::string token = make_token(name, h.value());
  const Owners owners{outputs, SessionBase::current().comm().size()};

  std::vector<Task> tasks;
  Task x;
  x.key = all;
  x.inputs = partition_keys(df);
  x.collective = collective_step(Shuffle(std::string(name), df.schema(), outputs, std::move(route)),
                                 CollectiveOutput::per_rank);
  tasks.push_back(std::move(x));
  for (std::int64_t j = 0; j < outputs; ++j) {
    Task t;
    t.key = Key(token, {j});
    t.inputs = {all};
    t.placement = Placement::on_rank(owners.of(j));
    t.fusable = false;
    t.fn = [j](std::span<const Value> in) {
      const auto& mine = in[0].get<ShuffledPartitions>();
      return Value::of(mine.tables.at(static_cast<std::size_t>(j - mine.first)));
    };
    tasks.push_back(std::move(t));
  }
  return DataFrame(df.schema(), outputs, token, Graph(std::move(tasks), {&df.graph()}));
}

}  // namespace pando::detail

namespace pando {

DataFrame DataFrame::shuffle(const std::vector<std::string>& on, std::int64_t npartitions) const {
  if (on.empty()) throw UsageError("shuffle: name at least one column to shuffle on");
  for (const std::string& c : on) (void)schema_.index_of(c);  // names the columns if unknown
  const std::int64_t outputs =
      npartitions > 0 ? npartitions : std::max<std::int64_t>(partitions_, 1);
  if (outputs > std::int64_t{std::numeric_limits<std::uint32_t>::max()})
    throw UsageError(fmt::format("shuffle: {} partitions is more than a shuffle makes", outputs));
  Hasher h("shuffle");
  for (const std::string& c : on) h.add(c);
  const auto n = static_cast<std::uint32_t>(outputs);
  return detail::shuffle_partitions(*this, "shuffle", h, outputs, [on, n](const Table& t) {
    const std::vector<std::uint64_t> hashes = detail::hash_rows(t, on);
    std::vector<std::uint32_t> route(hashes.size());
    std::transform(hashes.begin(), hashes.end(), route.begin(),
                   [n](std::uint64_t x) { return detail::partition_of(x, n); });
    return route;
  });
}

}  // namespace pando
