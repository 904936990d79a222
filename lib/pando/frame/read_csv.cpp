// read_csv: CSV files into partitions, read in parallel (docs/architecture.md §7.3; the stages
// are in csv/).
//
//   rank 0, while the graph is built: expand the globs, read each file's header (all must
//     agree), infer the types from the first file's first bytes; every rank learns the result
//     or the same error.
//   per byte range (about `blocksize`):  scan  -- reads the range once, finds its first row
//                                                 start under both quote assumptions
//   per file:                            resolve -- picks the true start of every range
//   per range:                           parse -- reads its rows [start_i, start_i+1), parses
//   (an s3:// object: the scan's window, fetched once, goes to the parse on the same rank, which
//    fetches only what a row longer than the look-ahead needs beyond it; see add_scan)
//   .gz files, per partition:            inflate -- the next rows, in order, on one rank
//                                        parse   -- parses them
// The frame is lazy, as Dask's: a computation over it streams the files through its pipeline
// range by range, so memory holds the ranges in flight, not the files (persist() keeps them).
// The schema is fixed before any range is parsed, so every partition agrees without a pass
// over the data; a later value that does not fit its inferred type is an error naming the fix
// (--dtype COL=float64), where a local read of the whole text would widen the column.

#include <pando/frame/detail/partitions.hpp>

#include <pando/core/consensus.hpp>
#include <pando/core/log.hpp>
#include <pando/frame/csv.hpp>
#include <pando/graph/runtime.hpp>
#include <pando/io/atomic.hpp>
#include <pando/io/range_reader.hpp>

#include <fmt/format.h>

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <functional>
#include <map>
#include <optional>

namespace pando {

namespace {

struct CsvFile {
  std::string path;
  std::int64_t size = 0;
  bool gzip = false;
  std::int64_t inflated = 0;  // of a .gz file: its size inflated, as far as planning knows
  csv::CsvHeader header;
  // An s3:// object whose scan windows stay, on the rank that fetched them, until its parse
  // runs: each range is then fetched once. Rank 0 decides it (and every rank builds the same
  // graph): only for objects that fit a quarter of the memory budget, since every window of an
  // object is held until its ranges are resolved; a larger object's parse fetches its rows again.
  bool keep_windows = false;

  template <class A>
  void serialize(A& a, unsigned) {
    fields(a, path, size, gzip, inflated, header, keep_windows);
  }
};

struct CsvPlan {
  std::vector<CsvFile> files;
  Schema schema;  // every column of the files (the parse schema)

  template <class A>
  void serialize(A& a, unsigned) {
    fields(a, files, schema);
  }
};

bool has_glob(const std::string& p) { return p.find_first_of("*?[") != std::string::npos; }

struct Found {
  std::string path;
  std::optional<std::int64_t> size;  // known from an S3 listing
};

bool exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

// Paths as written, and globs expanded (sorted). A path that exists is read as written even
// when its name holds glob characters ("data/[run]_x.csv", "a*b.csv"): such a name taken as a
// pattern would not match itself. Only a path that does not exist is a pattern.
// An s3:// URL is an object, or a glob over its bucket's listing (io/range_reader.hpp).
std::vector<Found> expand(const std::vector<std::string>& paths) {
  if (paths.empty()) throw UsageError("read_csv: no files given");
  std::vector<Found> out;
  for (const auto& p : paths) {
    if (io::is_s3_url(p)) {
      for (auto& o : io::list_s3(p))
        out.push_back({std::move(o.url), static_cast<std::int64_t>(o.size)});
      continue;
    }
    if (!has_glob(p) || exists(p)) {
      out.push_back({p, std::nullopt});
      continue;
    }
    glob_t g{};
    const int rc = ::glob(p.c_str(), 0, nullptr, &g);
    std::vector<std::string> found(g.gl_pathv, g.gl_pathv + (rc == 0 ? g.gl_pathc : 0));
    globfree(&g);
    if (found.empty()) throw IoError(fmt::format("no files match '{}'", p));
    std::sort(found.begin(), found.end());
    for (auto& f : found) out.push_back({std::move(f), std::nullopt});
  }
  return out;
}

// Bytes [begin, begin + n) of a file or object of `size` bytes (fewer at its end).
Buffer read_bytes(const std::string& path, std::int64_t size, std::int64_t begin, std::int64_t n) {
  const auto in = io::RangeReader::open(path, static_cast<std::uint64_t>(size));
  return in.read(static_cast<std::uint64_t>(begin),
                 static_cast<std::uint64_t>(std::max<std::int64_t>(n, 0)));
}

std::string_view text_of(const Buffer& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// The first `bytes` of a file's text (of a .gz file, inflated: only as far as needed).
std::string head_of(const CsvFile& f, std::size_t bytes) {
  if (f.gzip) return csv::read_gzip_head(f.path, bytes);
  return std::string(text_of(read_bytes(f.path, f.size, 0, static_cast<std::int64_t>(bytes))));
}

// The CSV options with the pipeline's projection as usecols, when it can apply (`columns`: every
// column of the files).
CsvOptions with_projection(const ReadCsvOptions& options, const std::vector<std::string>& columns) {
  CsvOptions o = options.csv;
  const auto& wanted = options.projection;
  const bool applies = !wanted.empty() && o.usecols.empty() &&
                       std::all_of(wanted.begin(), wanted.end(), [&](const std::string& name) {
                         return std::find(columns.begin(), columns.end(), name) != columns.end();
                       });
  if (applies) o.usecols = wanted;
  return o;
}

// Rank 0: files, headers and types.
CsvPlan plan_files(const std::vector<std::string>& paths, const ReadCsvOptions& options) {
  options.csv.validate();
  if (options.blocksize < 1)
    throw UsageError(
        fmt::format("read_csv: blocksize {} must be at least 1 byte", options.blocksize));
  CsvPlan plan;
  const auto budget = SessionBase::current().memory_limit();
  for (const auto& [p, listed] : expand(paths)) {
    std::int64_t size = 0;
    if (listed) {
      size = *listed;
    } else {
      struct stat st {};
      if (::stat(p.c_str(), &st) != 0) throw IoError(fmt::format("{}: no such file", p));
      if (S_ISDIR(st.st_mode)) throw IoError(fmt::format("{}: is a directory, not a CSV file", p));
      size = static_cast<std::int64_t>(st.st_size);
    }
    CsvFile f{p, size, p.ends_with(".gz"), 0, {}, false};
    f.keep_windows = io::is_s3_url(p) && static_cast<std::uint64_t>(size) <= budget / 4;
    // The size a .gz file announces, or (over 4 GiB, or several members) at least twice its
    // compressed size: partitions planned for more rows than there are just come out empty, and
    // the last partition takes what is left. Deflate expands at most 1032-fold: a larger
    // announcement is not a size (a truncated file's last bytes).
    if (f.gzip) {
      const auto announced = static_cast<std::int64_t>(csv::gzip_announced_size(p));
      f.inflated = std::max<std::int64_t>(announced <= 1032 * f.size ? announced : 0, 2 * f.size);
    }
    plan.files.push_back(std::move(f));
  }
  // The header from the first 64 KiB at least; the types from the first sample_bytes.
  const std::size_t sample = options.csv.sample_bytes;
  for (std::size_t i = 0; i < plan.files.size(); ++i) {
    CsvFile& f = plan.files[i];
    const std::size_t want = std::max<std::size_t>(sample, 64 * 1024);
    std::string head = head_of(f, want);
    // All of it: a plain file no longer than what was read, a .gz file that inflated short.
    const bool whole =
        f.gzip ? head.size() < want : static_cast<std::int64_t>(head.size()) >= f.size;
    f.header = csv::read_header(head, whole, options.csv, f.path);
    if (i == 0) {
      const bool all = whole && sample >= head.size();
      // With the columns the read will parse: a malformed sample is reported as the parse of
      // those columns would report it (infer.hpp).
      plan.schema =
          csv::infer_schema(all ? std::string_view(head) : std::string_view(head).substr(0, sample),
                            all, f.header, with_projection(options, f.header.names), f.path);
    } else if (f.header.names != plan.files[0].header.names) {
      throw ParseError(fmt::format("{}: its header ({}) differs from the header of {} ({})", f.path,
                                   fmt::join(f.header.names, ", "), plan.files[0].path,
                                   fmt::join(plan.files[0].header.names, ", ")));
    }
  }
  return plan;
}

// What the scan of an s3:// object's range fetched, kept for its parse on the same rank.
struct ScanWindow {
  csv::RangeScan scan;
  Buffer window;
  std::int64_t begin = 0;  // the window's first byte in the object
};

// A step of a .gz file's inflate chain: the stream (for the next step) and the rows it made.
struct GzipStep {
  std::shared_ptr<csv::GzipRows> rows;
  csv::GzipRows::Rows text;
};

struct Reports {
  std::vector<std::pair<std::int64_t, csv::BadLineReport>> parts;  // by partition
  template <class A>
  void serialize(A& a, unsigned) {
    fields(a, parts);
  }
};

// The tasks of a read: per range of a plain file a scan, per file a resolve, per range a parse;
// a .gz file is one parse task. Partitions are numbered in file order. Parse tasks add the lines
// they skip to `reports` (when given), by partition.
class ReadGraph {
 public:
  ReadGraph(const CsvPlan& plan, CsvOptions o, std::int64_t blocksize,
            std::shared_ptr<Reports> reports)
      : schema_(plan.schema),
        parsed_(csv::selected_schema(plan.schema, o)),
        o_(std::move(o)),
        blocksize_(blocksize),
        reports_(std::move(reports)) {
    Hasher h("read-csv");
    for (const auto& f : plan.files) h.add(f.path).add(f.size);
    h.add(blocksize).add(Runtime::current().next_sequence());
    scan_token_ = make_token("scan-csv", h.value());
    window_token_ = make_token("fetch-csv", h.value());
    resolve_token_ = make_token("resolve-csv", h.value());
    inflate_token_ = make_token("inflate-csv", h.value());
    token_ = make_token("read-csv", h.value());
    for (std::size_t fi = 0; fi < plan.files.size(); ++fi) {
      if (plan.files[fi].gzip)
        add_gzip_file(plan.files[fi], static_cast<std::int64_t>(fi));
      else
        add_plain_file(plan.files[fi], static_cast<std::int64_t>(fi));
    }
  }

  DataFrame frame() && { return DataFrame(parsed_, part_, token_, Graph(std::move(tasks_))); }

 private:
  // Records a partition's skipped lines (called where the partition is parsed).
  std::function<void(const csv::BadLineReport&)> note_for(std::int64_t part) const {
    return [reports = reports_, part](const csv::BadLineReport& bad) {
      if (reports && bad.count) reports->parts.emplace_back(part, bad);
    };
  }

  // A .gz file: a chain of inflate steps on one rank (the inflater's state goes from each to
  // the next), each handing one partition's rows to its parse task.
  void add_gzip_file(const CsvFile& f, std::int64_t file) {
    const std::int64_t n = std::max<std::int64_t>(1, (f.inflated + blocksize_ - 1) / blocksize_);
    const auto bytes = static_cast<std::size_t>(blocksize_);
    Key previous;
    for (std::int64_t k = 0; k < n; ++k) {
      Task step;
      step.key = Key(inflate_token_, {file, k});
      step.cost = static_cast<double>(blocksize_) / 3e8;
      if (k > 0) {
        step.inputs = {previous};
        step.placement = Placement::with_input(0);
      }
      step.fn = [f, o = o_, bytes, k, last = k + 1 == n](std::span<const Value> in) {
        auto rows = k == 0 ? std::make_shared<csv::GzipRows>(f.path, f.header.data_begin,
                                                             f.header.data_first_line, o)
                           : in[0].get<GzipStep>().rows;
        auto text = rows->next(bytes, last);
        return Value::local(GzipStep{std::move(rows), std::move(text)});
      };
      previous = step.key;
      tasks_.push_back(std::move(step));

      Task t;
      t.key = Key(token_, {part_});
      t.inputs = {previous};
      t.placement = Placement::with_input(0);  // the rows are a local value
      t.nbytes = static_cast<std::uint64_t>(blocksize_) * 2;
      t.cost = static_cast<double>(blocksize_) / 6e8;
      t.fn = [path = f.path, schema = schema_, o = o_,
              note = note_for(part_)](std::span<const Value> in) {
        const auto& rows = in[0].get<GzipStep>().text;
        csv::BadLineReport bad;
        Table table = csv::parse_rows(text_of(rows.text), rows.first_line, schema, o, path, bad);
        note(bad);
        return Value::of(std::move(table));
      };
      tasks_.push_back(std::move(t));
      ++part_;
    }
  }

  void add_plain_file(const CsvFile& f, std::int64_t file) {
    const auto ranges = csv::plan_ranges(f.header.data_begin, f.size, blocksize_);
    Task resolve;
    resolve.key = Key(resolve_token_, {file});
    for (std::size_t r = 0; r < ranges.size(); ++r) {
      resolve.inputs.push_back(add_scan(f, file, r, ranges[r]));
    }
    resolve.fn = [first_line = f.header.data_first_line](std::span<const Value> in) {
      std::vector<csv::RangeScan> scans;
      for (const auto& v : in) scans.push_back(v.get<csv::RangeScan>());
      return Value::of(csv::resolve_ranges(scans, first_line));
    };
    const Key resolved = resolve.key;
    tasks_.push_back(std::move(resolve));
    for (std::size_t r = 0; r < ranges.size(); ++r) add_parse(f, file, resolved, r, ranges[r]);
  }

  // The bytes a range's scan reads: two before it (to see whether it starts a row) and 4 KiB
  // after it (to find where its last row ends).
  static std::pair<std::int64_t, std::int64_t> window_of(std::int64_t begin, std::int64_t end,
                                                         std::int64_t size, bool first) {
    return {first ? begin : std::max<std::int64_t>(0, begin - 2), std::min(size, end + 4096)};
  }

  // Reads range r once and finds its first row start under both quote assumptions.
  //
  // An object whose windows are kept (CsvFile::keep_windows): a fetch task scans the window and
  // keeps it, as a value that never leaves its rank, for the range's parse (placed beside it);
  // a second task hands the scan alone on to the file's resolve.
  Key add_scan(const CsvFile& f, std::int64_t file, std::size_t r,
               std::pair<std::int64_t, std::int64_t> range) {
    const auto [begin, end] = range;
    const auto index = static_cast<std::int64_t>(r);
    Task scan;
    scan.key = Key(f.keep_windows ? window_token_ : scan_token_, {file, index});
    scan.cost = static_cast<double>(end - begin) / 3e9;
    scan.fn = [path = f.path, begin = begin, end = end, size = f.size, first = r == 0, o = o_,
               keep = f.keep_windows](std::span<const Value>) {
      const auto [from, to] = window_of(begin, end, size, first);
      Buffer window = read_bytes(path, size, from, to - from);
      csv::RangeBytes bytes{text_of(window), from, begin, end, to >= size, first};
      csv::RangeScan found = csv::scan_range(bytes, o, path);
      if (keep) return Value::local(ScanWindow{std::move(found), std::move(window), from});
      return Value::of(std::move(found));
    };
    scan.nbytes = static_cast<std::uint64_t>(end - begin);
    tasks_.push_back(std::move(scan));
    if (!f.keep_windows) return tasks_.back().key;
    Task pass;
    pass.key = Key(scan_token_, {file, index});
    pass.inputs = {tasks_.back().key};
    pass.placement = Placement::with_input(0);
    pass.fn = [](std::span<const Value> in) { return Value::of(in[0].get<ScanWindow>().scan); };
    tasks_.push_back(std::move(pass));
    return tasks_.back().key;
  }

  // The bytes [begin, end) of an object from its range's kept window, fetching only what lies
  // beyond the window (a row longer than the look-ahead).
  static Buffer from_window(const ScanWindow& w, const std::string& path, std::int64_t size,
                            std::int64_t begin, std::int64_t end) {
    const std::int64_t wend = w.begin + static_cast<std::int64_t>(w.window.size());
    if (begin < w.begin || begin > wend) return read_bytes(path, size, begin, end - begin);
    const auto offset = static_cast<std::size_t>(begin - w.begin);
    if (end <= wend) return w.window.slice(offset, static_cast<std::size_t>(end - begin));
    const Buffer rest = read_bytes(path, size, wend, end - wend);
    Buffer out = Buffer::allocate(static_cast<std::size_t>(end - begin));
    auto dst = out.as_mutable<std::byte>();
    const auto head = w.window.bytes().subspan(offset);
    std::copy(head.begin(), head.end(), dst.begin());
    std::copy(rest.bytes().begin(), rest.bytes().end(), dst.begin() + head.size());
    return out.slice(0, head.size() + rest.size());
  }

  // Parses the rows that range r holds, once the file's ranges are resolved.
  void add_parse(const CsvFile& f, std::int64_t file, const Key& resolved, std::size_t r,
                 std::pair<std::int64_t, std::int64_t> range) {
    Task t;
    t.key = Key(token_, {part_});
    t.inputs = {resolved};
    if (f.keep_windows) {
      t.inputs.push_back(Key(window_token_, {file, static_cast<std::int64_t>(r)}));
      t.placement = Placement::with_input(1);  // the window is a local value
    }
    t.nbytes = static_cast<std::uint64_t>(range.second - range.first);
    t.cost = static_cast<double>(range.second - range.first) / 6e8;
    t.fn = [path = f.path, size = f.size, schema = schema_, parsed = parsed_, o = o_,
            note = note_for(part_), r](std::span<const Value> in) {
      const auto& rows = in[0].get<std::vector<csv::RowRange>>()[r];
      if (rows.empty()) return Value::of(Table::empty(parsed));
      const Buffer bytes =
          in.size() > 1 ? from_window(in[1].get<ScanWindow>(), path, size, rows.begin, rows.end)
                        : read_bytes(path, size, rows.begin, rows.end - rows.begin);
      csv::BadLineReport bad;
      Table table = csv::parse_rows(text_of(bytes), rows.first_line, schema, o, path, bad);
      note(bad);
      return Value::of(std::move(table));
    };
    tasks_.push_back(std::move(t));
    ++part_;
  }

  Schema schema_;  // every column of the files
  Schema parsed_;  // the columns parsed
  CsvOptions o_;
  std::int64_t blocksize_;
  std::shared_ptr<Reports> reports_;
  std::string scan_token_, window_token_, resolve_token_, inflate_token_, token_;
  std::vector<Task> tasks_;
  std::int64_t part_ = 0;
};

// The frame read_csv returns: its partitions are parsed when a computation uses them (and
// again by the next one, unless persisted).
DataFrame lazy_frame(const std::vector<std::string>& paths, const ReadCsvOptions& options,
                     std::shared_ptr<Reports> reports) {
  const Comm& comm = SessionBase::current().comm();
  const CsvPlan plan = on_root(comm, [&] { return plan_files(paths, options); });
  CsvOptions o = with_projection(options, plan.schema.names());
  // Partitions are parsed separately and when used, so they cannot widen a column as a local
  // read does: a value beyond the sample that does not fit its column is an error (csv/infer.hpp).
  o.allow_widening = false;
  return ReadGraph(plan, std::move(o), options.blocksize, std::move(reports)).frame();
}

// Every rank's reports, merged in partition order, on every rank.
csv::BadLineReport gather_reports(const Comm& comm, const Reports& mine) {
  const Bytes b = to_bytes(mine);
  auto all = comm.allgatherv(std::span<const std::byte>(b));
  std::vector<std::pair<std::int64_t, csv::BadLineReport>> parts;
  for (int r = 0; r < comm.size(); ++r) {
    auto theirs = from_bytes<Reports>(all.part(r));
    parts.insert(parts.end(), theirs.parts.begin(), theirs.parts.end());
  }
  std::sort(parts.begin(), parts.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  csv::BadLineReport total;
  for (const auto& [i, report] : parts) total.merge(report);
  return total;
}

}  // namespace

DataFrame read_csv(const std::vector<std::string>& paths, const ReadCsvOptions& options) {
  return lazy_frame(paths, options, nullptr);
}

DataFrame read_csv(const std::vector<std::string>& paths, const ReadCsvOptions& options,
                   csv::BadLineReport& bad_lines) {
  // A counting pass streams the files once (memory holds the ranges in flight, not the frame);
  // the frame returned reads them again, lazily, when a computation uses it.
  auto reports = std::make_shared<Reports>();
  (void)lazy_frame(paths, options, reports).length();
  const Comm& comm = SessionBase::current().comm();
  bad_lines = gather_reports(comm, *reports);
  if (bad_lines.count && comm.rank() == 0)
    log(options.csv.on_bad_lines == BadLines::warn ? LogLevel::warn : LogLevel::info,
        "read_csv: {} bad line{} skipped (first: {})", bad_lines.count,
        bad_lines.count == 1 ? "" : "s",
        bad_lines.messages.empty() ? "" : bad_lines.messages.front());
  return lazy_frame(paths, options, nullptr);
}

}  // namespace pando
