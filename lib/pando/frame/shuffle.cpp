// The shuffle engine: rows move to the partition their route names, all-to-all between the
// ranks (docs/architecture.md §4.4, §6).
//
// One collective task takes every input partition (each rank hands in those it holds), cuts
// each into pieces by destination partition (row chunks of a fixed size, so the pieces do not
// depend on the rank count either), and sends them in rounds bounded by the memory budget
// (core/detail/exchange.hpp). Output partition j lives on rank owner(j); its rows are
// the pieces for j in input-partition order, so its content, and what is computed from it,
// does not depend on the rank count. Every shuffle counts the rows it takes in and gives out on
// all ranks together: a mismatch is an internal error naming the operation, never silent loss.

#include <pando/core/consensus.hpp>
#include <pando/core/error.hpp>
#include <pando/core/detail/exchange.hpp>
#include <pando/core/fault.hpp>
#include <pando/core/session.hpp>
#include <pando/frame/detail/hash.hpp>
#include <pando/frame/detail/partitions.hpp>
#include <pando/frame/detail/shuffle.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <numeric>
#include <optional>

namespace pando::detail {

ShuffleSizes ShuffleSizes::of_session() {
  // A sixteenth of the budget per round: a round holds its bytes about three times over (made,
  // packed, received); and under MPI's int counts.
  constexpr std::uint64_t max_round = std::uint64_t{512} << 20;
  return {static_cast<std::size_t>(std::min(SessionBase::current().memory_limit() / 16, max_round)),
          std::size_t{4} << 20};
}

namespace {

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

// The rows of one input partition, grouped by destination partition (a counting sort): the
// rows for partition j are rows[begin[j], begin[j + 1]), in row order.
struct Routed {
  RawVec<std::int64_t> rows;
  std::vector<std::size_t> begin;
};

Routed group_by_destination(const RawVec<std::uint32_t>& route, std::int64_t outputs) {
  Routed r{RawVec<std::int64_t>(),
           std::vector<std::size_t>(static_cast<std::size_t>(outputs) + 1, 0)};
  r.rows.resize(route.size());
  for (std::size_t i = 0; i < route.size(); ++i) {
    if (route[i] >= static_cast<std::uint64_t>(outputs))
      throw InternalError(
          fmt::format("shuffle: row {} routed to partition {} of {}", i, route[i], outputs));
    ++r.begin[route[i] + 1];
  }
  std::partial_sum(r.begin.begin(), r.begin.end(), r.begin.begin());
  std::vector<std::size_t> next(r.begin.begin(), r.begin.end() - 1);
  for (std::size_t i = 0; i < route.size(); ++i)
    r.rows[next[route[i]]++] = static_cast<std::int64_t>(i);
  return r;
}

// A dictionary-encoded column whose dictionary holds only the values its rows use (codes in
// order of first use): a piece would otherwise carry its partition's whole dictionary.
Column compact_dictionary(const Column& c) {
  const Column& dictionary = c.dictionary();
  if (dictionary.size() <= c.size()) return c;
  std::vector<std::int32_t> code_of(dictionary.size(), -1);
  std::vector<std::int64_t> used;
  Buffer codes = Buffer::allocate(c.size() * sizeof(std::int32_t));
  auto out = codes.as_mutable<std::int32_t>();
  const auto in = c.codes();
  for (std::size_t i = 0; i < c.size(); ++i) {
    out[i] = 0;
    if (c.is_null(i)) continue;
    auto& code = code_of[static_cast<std::size_t>(in[i])];
    if (code < 0) {
      code = static_cast<std::int32_t>(used.size());
      used.push_back(in[i]);
    }
    out[i] = code;
  }
  return Column::from_dictionary(dictionary.take(used), c.size(), c.validity(), std::move(codes));
}

std::vector<Buffer> message_of(const PieceHeader& head, const Table& rows) {
  std::vector<Column> columns;
  for (const Column& c : rows.columns())
    columns.push_back(c.is_dictionary() ? compact_dictionary(c) : c);
  Encoded e = Codec<Table>::encode(Table(rows.schema(), std::move(columns)), nullptr);
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

// A table with buffers of its own, not slices of a round's receive buffer (which a partition
// made of one piece would otherwise keep alive whole).
Table owning_copy(const Table& t) {
  Encoded e = Codec<Table>::encode(t, nullptr);
  for (Buffer& b : e.buffers) b = Buffer::copy_of(b.bytes());
  return Codec<Table>::decode(e);
}

// An input partition's rows in destination order: gathered when its first piece is sent and
// dropped after its last, each piece a slice (no copy). One gather of a whole partition, not
// one per piece: pieces of a few hundred KiB each would each cost fresh pages.
class Grouped {
 public:
  Grouped(Table t, Routed routed, std::size_t pieces)
      : input_(std::move(t)), routed_(std::move(routed)), pieces_left_(pieces) {}

  Table piece(std::size_t begin, std::size_t n) {
    if (!rows_) rows_ = input_.take(routed_.rows);
    Table out = rows_->slice(begin, n);
    if (--pieces_left_ == 0) *this = Grouped({}, {}, 0);
    return out;
  }

 private:
  Table input_;
  Routed routed_;
  std::size_t pieces_left_;
  std::optional<Table> rows_;
};

// The messages for the rows of input partition `source`: per destination partition, row
// chunks of about piece_bytes.
void cut(const Table& t, std::int64_t source, const Route& route, const Owners& owners,
         std::size_t piece_bytes, std::vector<Outgoing>& messages) {
  if (t.rows() == 0) return;
  Routed routed = group_by_destination(route(t, source), owners.outputs);
  const double row_bytes = static_cast<double>(t.nbytes()) / static_cast<double>(t.rows());
  const auto per_chunk =
      static_cast<std::size_t>(std::max(1.0, static_cast<double>(piece_bytes) / row_bytes));
  std::vector<PieceHeader> heads;
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  for (std::int64_t j = 0; j < owners.outputs; ++j) {
    std::size_t begin = routed.begin[static_cast<std::size_t>(j)];
    std::size_t end = routed.begin[static_cast<std::size_t>(j) + 1];
    if (begin < end && fault::strikes(fault::Point::lose_row)) --end;
    for (std::int64_t c = 0; begin < end; ++c, begin += per_chunk) {
      heads.push_back({source, c, j});
      spans.emplace_back(begin, std::min(per_chunk, end - begin));
    }
  }
  auto grouped = std::make_shared<Grouped>(t, std::move(routed), heads.size());
  for (std::size_t k = 0; k < heads.size(); ++k) {
    const auto [begin, n] = spans[k];
    messages.push_back({owners.of(heads[k].dest), static_cast<std::size_t>(row_bytes * n),
                        [grouped, begin, n, head = heads[k]] {
                          return message_of(head, grouped->piece(begin, n));
                        }});
  }
}

// Pieces in input-partition order (then chunk order), as one table.
Table assemble(std::vector<Piece>& pieces, const Schema& schema) {
  std::sort(pieces.begin(), pieces.end(), [](const Piece& a, const Piece& b) {
    return std::tie(a.source, a.chunk) < std::tie(b.source, b.chunk);
  });
  std::vector<Table> tables;
  tables.reserve(pieces.size());
  for (Piece& p : pieces) tables.push_back(std::move(p.rows));
  pieces.clear();
  if (tables.empty()) return Table::empty(schema);
  if (tables.size() == 1) return owning_copy(tables[0]);
  return Table::concat(tables);
}

// Collective: the rows given out over all ranks must be the rows taken in.
void check_rows_conserved(const Comm& comm, std::int64_t rows_in, const ShuffledPartitions& out,
                          std::string_view name) {
  std::int64_t rows_out = 0;
  for (const Table& t : out.tables) rows_out += static_cast<std::int64_t>(t.rows());
  std::array<std::int64_t, 2> mine{rows_in, rows_out}, all{};
  comm.allreduce(std::span<const std::int64_t>(mine), std::span<std::int64_t>(all), ReduceOp::sum);
  if (all[0] != all[1])
    throw InternalError(fmt::format(
        "{}: {} rows went into the shuffle and {} came out (rows lost or duplicated in transit: "
        "a bug in Pando, please report it)",
        name, all[0], all[1]));
}

// A collective task's body: the shuffle of its inputs.
struct Shuffle {
  std::string name;
  Schema schema;
  std::int64_t outputs;
  Route route;
  ShuffleSizes sizes;

  Value operator()(const CollectiveInputs& in) const {
    return Value::local(shuffle_tables(in, schema, outputs, route, sizes, name));
  }
};

}  // namespace

// Every step that can fail on one rank runs inside `failure`, so that every rank makes the same
// collective calls; the rows are counted once all agree that nothing failed.
ShuffledPartitions shuffle_tables(const CollectiveInputs& in, const Schema& schema,
                                  std::int64_t outputs, const Route& route, ShuffleSizes sizes,
                                  std::string_view name) {
  const Owners owners{outputs, in.comm.size()};
  const int rank = in.comm.rank();
  const std::int64_t first = owners.first(rank), last = owners.first(rank + 1);
  DeferredError failure;
  std::vector<Outgoing> messages;
  std::int64_t rows_in = 0;
  failure.run([&] {
    for (std::size_t k = 0; k < in.values.size(); ++k) {
      const Table& t = in.values[k].get<Table>();
      rows_in += static_cast<std::int64_t>(t.rows());
      cut(t, in.positions[k], route, owners, sizes.piece_bytes, messages);
    }
  });
  std::vector<std::vector<Piece>> arrived(static_cast<std::size_t>(last - first));
  exchange(
      in.comm, messages, sizes.round_bytes,
      [&](int, std::vector<Buffer> parts) {
        auto [head, rows] = piece_of(std::move(parts));
        if (head.dest < first || head.dest >= last)
          throw InternalError(
              fmt::format("shuffle: partition {} arrived at rank {}", head.dest, rank));
        arrived[static_cast<std::size_t>(head.dest - first)].push_back(
            {head.source, head.chunk, std::move(rows)});
      },
      failure);
  messages.clear();
  ShuffledPartitions out{first, {}};
  failure.run([&] {
    for (auto& pieces : arrived) out.tables.push_back(assemble(pieces, schema));
  });
  failure.agree(in.comm);
  check_rows_conserved(in.comm, rows_in, out, name);
  return out;
}

std::vector<Table> gather_tables(const CollectiveInputs& in, std::size_t inputs,
                                 ShuffleSizes sizes) {
  DeferredError failure;
  std::vector<Outgoing> messages;
  failure.run([&] {
    for (std::size_t k = 0; k < in.values.size(); ++k) {
      const Table& t = in.values[k].get<Table>();
      const PieceHeader head{in.positions[k], 0, 0};
      for (int r = 0; r < in.comm.size(); ++r)
        messages.push_back({r, t.nbytes(), [t, head] { return message_of(head, t); }});
    }
  });
  std::vector<std::optional<Table>> tables(inputs);
  exchange(
      in.comm, messages, sizes.round_bytes,
      [&](int, std::vector<Buffer> parts) {
        auto [head, rows] = piece_of(std::move(parts));
        if (head.source < 0 || static_cast<std::size_t>(head.source) >= inputs ||
            tables[static_cast<std::size_t>(head.source)])
          throw InternalError(
              fmt::format("gather: input {} arrived twice or out of range", head.source));
        tables[static_cast<std::size_t>(head.source)] = owning_copy(rows);
      },
      failure);
  // A rank that failed sent only part of its tables: its error, not the gap, is the one to say.
  failure.agree(in.comm);
  std::vector<Table> out;
  DeferredError missing;
  missing.run([&] {
    for (std::size_t k = 0; k < inputs; ++k) {
      if (!tables[k]) throw InternalError(fmt::format("gather: input {} did not arrive", k));
      out.push_back(std::move(*tables[k]));
    }
  });
  missing.agree(in.comm);
  return out;
}

Route hash_route(std::vector<std::string> on, std::uint32_t outputs) {
  return [on = std::move(on), outputs](const Table& t, std::int64_t) {
    const std::vector<std::uint64_t> hashes = hash_rows(t, on);
    RawVec<std::uint32_t> route;
    route.resize(hashes.size());
    for (std::size_t i = 0; i < hashes.size(); ++i) route[i] = partition_of(hashes[i], outputs);
    return route;
  };
}

Route column_route(std::string column, std::uint32_t missing_to) {
  return [column = std::move(column), missing_to](const Table& t, std::int64_t) {
    const Column& c = t.column(column);
    const auto to = c.values<std::int64_t>();
    RawVec<std::uint32_t> route;
    route.resize(t.rows());
    for (std::size_t i = 0; i < route.size(); ++i)
      route[i] = c.is_valid(i) ? static_cast<std::uint32_t>(to[i]) : missing_to;
    return route;
  };
}

DataFrame shuffle_partitions(const DataFrame& df, std::string_view name, Hasher h,
                             std::int64_t outputs, Route route, ShuffleSizes sizes) {
  if (outputs < 1 || outputs > max_shuffle_partitions)
    throw UsageError(fmt::format("{}: a shuffle makes 1 to {} partitions, not {}", name,
                                 max_shuffle_partitions, outputs));
  h.add(df.token()).add(outputs);
  const Key all(make_token(std::string(name) + "-exchange", h.value()));
  const std::string token = make_token(name, h.value());

  Task x;
  x.key = all;
  x.inputs = partition_keys(df);
  x.collective =
      collective_step(Shuffle{std::string(name), df.schema(), outputs, std::move(route), sizes},
                      CollectiveOutput::per_rank);
  return partitions_of(all, df.schema(), outputs, token, Graph({std::move(x)}, {&df.graph()}));
}

DataFrame partitions_of(const Key& all, Schema schema, std::int64_t outputs, std::string token,
                        Graph graph) {
  const Owners owners{outputs, SessionBase::current().comm().size()};
  std::vector<Task> tasks;
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
  return DataFrame(std::move(schema), outputs, std::move(token), Graph(std::move(tasks), {&graph}));
}

}  // namespace pando::detail

namespace pando {

DataFrame DataFrame::shuffle(const std::vector<std::string>& on, std::int64_t npartitions) const {
  if (on.empty()) throw UsageError("shuffle: name at least one column to shuffle on");
  if (npartitions < 0)
    throw UsageError(fmt::format("shuffle: {} partitions? Give a positive number, or 0 to keep {}",
                                 npartitions, partitions_));
  for (const std::string& c : on) (void)schema_.index_of(c);  // names the columns if unknown
  const std::int64_t outputs =
      npartitions > 0 ? npartitions : std::max<std::int64_t>(partitions_, 1);
  Hasher h("shuffle");
  for (const std::string& c : on) h.add(c);
  // The cast is safe: shuffle_partitions refuses more than 2^20 partitions.
  return detail::shuffle_partitions(*this, "shuffle", h, outputs,
                                    detail::hash_route(on, static_cast<std::uint32_t>(outputs)));
}

}  // namespace pando
