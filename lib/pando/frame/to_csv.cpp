// to_csv: CSV that pandas reads back unchanged, written in parallel and atomically, in memory
// bounded by the rank's budget whatever the output's size.
//
// One file: every partition is formatted where it lives, as the computation streams it, into the
// rank's spool (a MiB in memory, then a temporary file beside the output: io/detail/spool.hpp). One
// collective task then learns every partition's size, and each rank writes its pieces at their
// offsets (an exclusive scan of sizes in partition order) into a temporary file that rank 0
// renames into place once all ranks succeeded. One file per partition ('*' in the path): each
// part is written to a temporary beside its target; a final collective task renames them all,
// or none (io::rename_all_into_place).
//
// On S3 (an s3:// path): the pieces are spooled alike (beside a local temporary file when they
// spill), and the final collective task uploads them: one object by a multipart upload whose
// parts the ranks upload, completed by rank 0 once all exist; or one object per partition,
// completed once every one exists, then `_SUCCESS` (io/detail/s3_output.hpp).

#include <pando/frame/detail/partitions.hpp>

#include <pando/frame/csv.hpp>
#include <pando/graph/runtime.hpp>
#include <pando/io/atomic.hpp>
#include <pando/io/detail/spool.hpp>
#include <pando/io/detail/s3_output.hpp>
#include <pando/io/s3_url.hpp>

#include <fmt/format.h>

#include <filesystem>

namespace pando {

namespace {

using Precisions = std::vector<TimePrecision>;

// The timestamp precision of every column over the whole frame (pandas formats a column alike).
Precisions column_precisions(const DataFrame& df) {
  Hasher h("csv-precision");
  Value v = detail::reduce_partitions(
      df, "csv-precision", h,
      [](const Table& t) { return Value::of(csv::timestamp_precisions(t)); },
      [](std::span<const Value> in) {
        Precisions acc = in[0].get<Precisions>();
        for (std::size_t k = 1; k < in.size(); ++k) {
          const auto& more = in[k].get<Precisions>();
          for (std::size_t c = 0; c < acc.size(); ++c) acc[c] = std::max(acc[c], more[c]);
        }
        return Value::of(std::move(acc));
      });
  return v.get<Precisions>();
}

// The header alone (a frame without partitions).
std::string format(const Table& t, bool header, const CsvOptions& o, const Precisions& p) {
  std::string text;
  csv::write_csv(
      t, header, o, [&](std::string_view chunk) { text.append(chunk); }, p);
  return text;
}

std::string part_path(const std::string& pattern, std::int64_t i, std::int64_t n) {
  const auto digits = std::to_string(std::max<std::int64_t>(n - 1, 0)).size();
  const auto star = pattern.find('*');
  return pattern.substr(0, star) + fmt::format("{:0{}}", i, digits) + pattern.substr(star + 1);
}

// The `_SUCCESS` marker of a per-partition S3 output: beside the parts.
io::S3Url success_marker(const std::string& pattern) {
  io::S3Url u = io::parse_s3_url(pattern);
  const auto slash = u.key.rfind('/');
  u.key = (slash == std::string::npos ? std::string() : u.key.substr(0, slash + 1)) + "_SUCCESS";
  return u;
}

// The final step of an S3 output, on every rank: every piece's size (in partition order) from
// an allreduce, then the upload (io/detail/s3_output.hpp). `header`: the whole text of a frame
// without partitions.
void write_s3(const CollectiveInputs& c, const std::string& path, bool per_part, std::int64_t n,
              const io::Spool& spool, const std::string& header) {
  io::S3Pieces pieces;
  std::vector<std::size_t> spooled(static_cast<std::size_t>(n));  // partition -> spool piece
  std::vector<std::uint64_t> size(static_cast<std::size_t>(n), 0);
  pieces.sizes.assign(static_cast<std::size_t>(n), 0);
  for (std::size_t k = 0; k < c.values.size(); ++k) {
    const auto i = c.positions[k];
    spooled[i] = static_cast<std::size_t>(c.values[k].get<std::uint64_t>());
    size[i] = spool.size(spooled[i]);
    pieces.held.push_back(i);
  }
  std::sort(pieces.held.begin(), pieces.held.end());
  c.comm.allreduce(std::span<const std::uint64_t>(size), std::span<std::uint64_t>(pieces.sizes),
                   ReduceOp::sum);
  pieces.read = [&](std::size_t i, std::uint64_t offset, std::uint64_t bytes) {
    return spool.read(spooled[i], offset, bytes);
  };
  if (per_part) {
    std::vector<io::S3Url> urls;
    for (std::int64_t i = 0; i < n; ++i) urls.push_back(io::parse_s3_url(part_path(path, i, n)));
    io::write_s3_objects(c.comm, urls, pieces, success_marker(path));
    return;
  }
  if (n == 0) {
    // The header alone, as one piece of rank 0's.
    pieces.sizes = {header.size()};
    pieces.held.clear();
    if (c.comm.rank() == 0) pieces.held = {0};
    pieces.read = [&](std::size_t, std::uint64_t offset, std::uint64_t bytes) {
      return Buffer::copy_of(std::as_bytes(std::span(header)).subspan(offset, bytes));
    };
  }
  io::write_s3_object(c.comm, io::parse_s3_url(path), pieces);
}

}  // namespace

void DataFrame::to_csv(const std::string& path, const CsvOptions& options) const {
  options.validate();
  if (options.quote == '\0') throw UsageError("to_csv needs a quote character");
  const Precisions precisions = column_precisions(*this);
  const bool per_part = path.find('*') != std::string::npos;
  const bool s3 = io::is_s3_url(path);
  if (s3) {
    // Bad URLs fail here, before anything runs, alike on every rank.
    const io::S3Url url = io::parse_s3_url(path);
    if (url.key.empty() || url.key.ends_with('/'))
      throw UsageError(fmt::format("to_csv: '{}' names no object (s3://BUCKET/KEY)", path));
    if (per_part && url.key.find('*') != url.key.rfind('*'))
      throw UsageError(fmt::format("to_csv: '{}' holds more than one '*'", path));
  }
  Hasher h("to-csv");
  h.add(path).add(token_).add(Runtime::current().next_sequence());
  const std::string text_token = make_token("format-csv", h.value());
  const Key write(make_token("write-csv", h.value()));
  const Schema schema = schema_;

  // Temporaries this rank made, removed if the job fails before they are renamed; the pieces of
  // a single-file output this rank formatted.
  auto temps = std::make_shared<std::vector<std::string>>();
  // Small outputs stay in memory; past a MiB the text goes to the spool's file as it is
  // formatted (the page cache holds it; the final copy is in-kernel), so a rank's memory does
  // not grow with the output.
  // (An S3 output spills into the local temporary folder.)
  auto spool = std::make_shared<io::Spool>(
      s3 ? (std::filesystem::temp_directory_path() / "pando-s3-output").string() : path,
      std::min<std::uint64_t>(SessionBase::current().memory_limit() / 64, 1 << 20));
  std::vector<Task> tasks;
  Task w;
  w.key = write;
  for (std::int64_t i = 0; i < partitions_; ++i) {
    Task t;
    t.key = Key(text_token, {i});
    t.inputs = {partition_key(i)};
    const bool header = per_part || i == 0;
    t.fn = [header, options, precisions, per_part = per_part && !s3, path, i, n = partitions_,
            temps, spool](std::span<const Value> in) {
      // The text goes out a chunk at a time as it is formatted: a partition's text is never
      // held whole (large temporary strings would grow the heap with the output).
      const Table& table = in[0].get<Table>();
      auto format_into = [&](const csv::CsvSink& sink) {
        csv::write_csv(table, header, options, sink, precisions);
      };
      if (!per_part) return Value::of(static_cast<std::uint64_t>(spool->add(format_into)));
      // Its own file, under a temporary name until every part is written.
      const std::string target = part_path(path, i, n);
      const std::string temp = io::temp_path_for(target);
      temps->push_back(temp);
      auto f = io::PosixFile::open(temp, io::PosixFile::Mode::create_new);
      format_into([&](std::string_view chunk) { f.append(chunk); });
      f.close();
      return Value::of(temp);
    };
    w.inputs.push_back(t.key);
    tasks.push_back(std::move(t));
  }
  w.collective = collective_step([per_part, s3, path, schema, options, precisions, spool,
                                  n = partitions_](const CollectiveInputs& c) {
    if (s3) {
      write_s3(c, path, per_part, n, *spool,
               n == 0 && !per_part ? format(Table::empty(schema), true, options, precisions)
                                   : std::string());
      return Value::of(0);
    }
    if (per_part) {
      // Every part was written: move them into place (each rank its own), all or none.
      std::vector<std::pair<std::string, std::string>> moves;
      for (std::size_t k = 0; k < c.values.size(); ++k)
        moves.emplace_back(c.values[k].get<std::string>(), part_path(path, c.positions[k], n));
      io::rename_all_into_place(c.comm, moves);
      return Value::of(0);
    }
    // Offsets from every part's size, in partition order.
    auto piece = [&](std::size_t k) { return c.values[k].get<std::uint64_t>(); };
    std::vector<std::uint64_t> size(static_cast<std::size_t>(n), 0),
        all(static_cast<std::size_t>(n));
    for (std::size_t k = 0; k < c.values.size(); ++k) size[c.positions[k]] = spool->size(piece(k));
    c.comm.allreduce(std::span<const std::uint64_t>(size), std::span<std::uint64_t>(all),
                     ReduceOp::sum);
    const std::string header =
        n == 0 ? format(Table::empty(schema), true, options, precisions) : std::string();
    std::vector<std::uint64_t> offset(all.size() + 1, header.size());
    for (std::size_t i = 0; i < all.size(); ++i) offset[i + 1] = offset[i] + all[i];
    io::AtomicSharedFile out(c.comm, path, offset.back());
    if (n == 0 && c.comm.rank() == 0) out.write_at(0, header);
    for (std::size_t k = 0; k < c.values.size(); ++k)
      spool->write_to(out, piece(k), offset[c.positions[k]]);
    out.commit();
    return Value::of(0);
  });
  tasks.push_back(std::move(w));
  try {
    Runtime::current().compute(Graph(std::move(tasks), {&graph_}), {&write, 1});
  } catch (...) {
    // Every rank fails alike (the same TaskError): each removes the parts it wrote.
    std::error_code ignored;
    for (const auto& t : *temps) std::filesystem::remove(t, ignored);
    throw;
  }
}

}  // namespace pando
