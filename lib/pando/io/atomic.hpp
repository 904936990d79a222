#pragma once
// Atomic output: an interrupted or failed job leaves no partial output file.
//
// A new file is written under a hidden temporary name in the target's directory
// (".name.pando-tmp-<random>") and renamed into place by commit(): rename(2) within one
// directory replaces the target in one step, so readers see the old file or the whole new one,
// never a part. Without commit() (an exception, an early return) the destructor removes the
// temporary. A job killed outright (SIGKILL, a node failure) can leave the hidden temporary,
// never a partial target.
//
//   // one rank, one file (e.g. part-0003.csv)
//   io::AtomicFile out("out/part-0003.csv");
//   out.write(header); out.write(rows);
//   out.commit();
//
//   // all ranks, one file, each writing its bytes at its own offset
//   std::uint64_t offset = comm.exscan_sum(my_bytes.size());
//   io::AtomicSharedFile out(comm, "out/all.csv");      // collective
//   out.write_at(offset, my_bytes);
//   out.commit();                                        // collective
//
// HDF5 outputs (a new file, a new dataset in an existing file): <pando/io/h5_atomic.hpp>.

#include <pando/core/comm.hpp>
#include <pando/core/consensus.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pando::io {

// A hidden name beside `target` for writing it: "dir/.name.pando-tmp-<12 hex digits>" (random).
[[nodiscard]] std::string temp_path_for(const std::string& target);

// An open file descriptor. Move-only; the destructor closes it. IoError on failure, naming the
// path, the operation and the system's reason.
class PosixFile {
 public:
  enum class Mode : std::uint8_t {
    read,        // an existing file, read-only
    write,       // an existing file, write-only (not truncated)
    create,      // a file created or truncated, write-only
    create_new,  // a file that must not exist yet, write-only
    scratch,     // a file that must not exist yet, read-write (a temporary)
  };

  PosixFile() = default;
  // `shown`: the name for error messages, when not `path` (the target of a temporary).
  [[nodiscard]] static PosixFile open(const std::string& path, Mode mode,
                                      const std::string& shown = {});
  PosixFile(PosixFile&& o) noexcept;
  PosixFile& operator=(PosixFile&& o) noexcept;
  PosixFile(const PosixFile&) = delete;
  PosixFile& operator=(const PosixFile&) = delete;
  ~PosixFile();

  [[nodiscard]] bool is_open() const noexcept { return fd_ >= 0; }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  // Writes all of `bytes` at `offset` (pwrite, retried on short writes and EINTR).
  void write_at(std::uint64_t offset, std::span<const std::byte> bytes);
  void write_at(std::uint64_t offset, std::string_view text) {
    write_at(offset, std::as_bytes(std::span<const char>(text.data(), text.size())));
  }
  // Writes at the end of what this object wrote before (from offset 0).
  void append(std::span<const std::byte> bytes);
  void append(std::string_view text) {
    append(std::as_bytes(std::span<const char>(text.data(), text.size())));
  }
  // Reads up to out.size() bytes at `offset`; fewer only at the end of the file.
  std::size_t read_at(std::uint64_t offset, std::span<std::byte> out) const;
  // Copies `n` bytes at `from_offset` of `from` to `offset` here, inside the kernel where it can
  // (copy_file_range), so the bytes never pass through this process's memory.
  void copy_from(const PosixFile& from, std::uint64_t from_offset, std::uint64_t offset,
                 std::uint64_t n);

  [[nodiscard]] std::uint64_t size() const;
  // Sets the size (ftruncate): a presized file is written at offsets in any order.
  void resize(std::uint64_t size);
  // Writes the file's data to the device (fsync).
  void sync();
  // Closes now; IoError if the system reports a failed write on close (e.g. NFS, quota).
  void close();

 private:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  int fd_ = -1;
  std::string path_;
  std::uint64_t end_ = 0;  // where append() writes
};

// A path removed (if it exists) by the destructor unless released: the temporary of an atomic
// output.
class TempPath {
 public:
  TempPath() = default;
  explicit TempPath(std::string path) : path_(std::move(path)) {}
  TempPath(TempPath&& o) noexcept;
  TempPath& operator=(TempPath&& o) noexcept;
  TempPath(const TempPath&) = delete;
  TempPath& operator=(const TempPath&) = delete;
  ~TempPath() { remove(); }

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  // Keeps the file (it was renamed away, or someone else owns it).
  void release() noexcept { path_.clear(); }
  // Removes it now; never throws.
  void remove() noexcept;

 private:
  std::string path_;
};

// Renames `from` to `to` (rename(2), replacing `to`); with `sync`, first flushes `from` to the
// device and afterwards the directory, so the new name survives a power cut too. IoError on
// failure.
void rename_into_place(const std::string& from, const std::string& to, bool sync = false);

// Collective. Renames each of this rank's written temporaries (first) to its target (second),
// all or none over all ranks of `comm`: a target that existed is kept aside until every rank's
// renames succeeded, and put back (the new one removed) if any rank's failed. Every rank
// returns, or throws the same error. A job killed in the middle can leave some targets renamed
// and the hidden copies of the old ones.
void rename_all_into_place(const Comm& comm,
                           std::span<const std::pair<std::string, std::string>> moves);

// One rank writes several new files that belong together (a trace, a report and its data):
// each under a temporary name, then all renamed into place by commit(), or none. Uncommitted,
// the destructor removes the temporaries, and the directories it made.
//
//   io::AtomicFileSet out;
//   out.make_directory("run-data");
//   out.add("run-data/tasks.csv", tasks);
//   out.add("run.html", page);
//   out.commit();
class AtomicFileSet {
 public:
  AtomicFileSet() = default;
  AtomicFileSet(const AtomicFileSet&) = delete;
  AtomicFileSet& operator=(const AtomicFileSet&) = delete;
  ~AtomicFileSet();

  // Makes `dir` (and its parents) when missing. IoError naming it.
  void make_directory(const std::string& dir);
  // Writes `text` to a temporary beside `target`. IoError naming the file.
  void add(const std::string& target, std::string_view text);
  // All renamed into place, or none (the targets that existed are kept).
  void commit();

 private:
  std::vector<TempPath> temps_;
  std::vector<std::pair<std::string, std::string>> moves_;
  std::vector<std::string> made_;  // directories this set made, parents first
  bool committed_ = false;
};

// One rank writes one new file.
class AtomicFile {
 public:
  // Creates the temporary beside `target`. `sync`: commit() flushes to the device (fsync)
  // before and after the rename, for outputs that must survive a power cut; otherwise the data
  // reaches the disk when the system writes it back (a killed job is safe either way).
  explicit AtomicFile(std::string target, bool sync = false);
  AtomicFile(AtomicFile&&) noexcept = default;
  AtomicFile& operator=(AtomicFile&&) noexcept = default;
  // Without commit(): closes and removes the temporary.
  ~AtomicFile() = default;

  [[nodiscard]] const std::string& target() const noexcept { return target_; }
  [[nodiscard]] const std::string& temp_path() const noexcept { return temp_.path(); }
  [[nodiscard]] PosixFile& file() noexcept { return file_; }
  void write(std::string_view text) { file_.append(text); }
  void write(std::span<const std::byte> bytes) { file_.append(bytes); }

  // Closes the file and renames it to the target. On failure the temporary is removed and the
  // target left as it was.
  void commit();
  [[nodiscard]] bool committed() const noexcept { return committed_; }

 private:
  std::string target_;
  bool sync_ = false;
  bool committed_ = false;
  TempPath temp_;  // destroyed after file_: closed, then removed
  PosixFile file_;
};

// The protocol of an output that all ranks of a communicator write (AtomicSharedFile below,
// h5::AtomicFile in <pando/io/h5_atomic.hpp>), in one place so that both fail alike: rank 0
// names a temporary beside the target and owns it (removes it unless committed); every rank works
// on it, keeping a failure instead of throwing it (a rank that threw alone would leave the others
// waiting in the next collective, docs/architecture.md §5.2); commit() agrees on those failures
// and, if there were none anywhere, rank 0 renames the temporary into place. The communicator
// must outlive this object.
class SharedTempPath {
 public:
  // Not collective: nothing exists until create().
  SharedTempPath(const Comm& comm, std::string target, bool sync);
  SharedTempPath(SharedTempPath&&) noexcept = default;
  // Not collective. Without commit(): rank 0 removes the temporary. Destroy the handles on the
  // file first: a file removed while open lingers on some file systems (NFS).
  ~SharedTempPath() = default;

  // Collective. Rank 0 names the temporary and runs the rank-local `make(temp)` (creates the
  // file, or checks that it can be created), then owns it: a name `make` failed to create may be
  // another process's file, so it is not removed. Every rank learns the name, or throws rank 0's
  // error.
  template <class F>
  void create(F&& make) {
    path_ = on_root(*comm_, [&] {
      std::string temp = temp_path_for(target_);
      make(temp);
      temp_ = TempPath(temp);
      return temp;
    });
  }

  [[nodiscard]] const std::string& target() const noexcept { return target_; }
  // The temporary, the same on every rank (empty before create()).
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  // Not collective: runs the rank-local step `f` (a write). A failure is kept for commit(), and
  // the later steps are skipped (the output is lost anyway).
  template <class F>
  void run(F&& f) {
    if (!failures_.failed()) failures_.run(std::forward<F>(f));
  }

  // Collective. Runs `close` on every rank (closing its handle, which may be collective and may
  // report a failed write late), then, if no rank failed in a step or in closing, rank 0 renames
  // the temporary to the target (with `sync`: rename_into_place's). Every rank returns, or throws
  // the same error: the first failure of the lowest rank that had one (the target untouched).
  template <class F>
  void commit(F&& close) {
    if (committed_) return;
    failures_.run(std::forward<F>(close));  // after a failed step too: the handle must close
    place();
  }
  [[nodiscard]] bool committed() const noexcept { return committed_; }

 private:
  void place();  // commit() after `close`

  const Comm* comm_;
  std::string target_;
  std::string path_;
  bool sync_ = false;
  bool committed_ = false;
  DeferredError failures_;
  TempPath temp_;  // set on rank 0 only
};

// All ranks of a communicator write one new file, each its own byte ranges (pwrite).
// Every rank's writes must be done before commit(). A write that fails on one rank does not
// throw there (the others would go on to commit() alone): commit() throws it on every rank.
class AtomicSharedFile {
 public:
  // Collective. Rank 0 creates the temporary (presized to `size` bytes when given), then every
  // rank opens it. Every rank throws the same error if any fails.
  AtomicSharedFile(const Comm& comm, std::string target, std::uint64_t size = 0, bool sync = false);
  AtomicSharedFile(AtomicSharedFile&&) noexcept = default;
  // Not collective. Without commit(): every rank closes its descriptor and rank 0 removes the
  // temporary (the other ranks' descriptors, if still open, write to the removed file).
  ~AtomicSharedFile() = default;

  [[nodiscard]] const std::string& target() const noexcept { return temp_.target(); }
  [[nodiscard]] const std::string& temp_path() const noexcept { return temp_.path(); }
  // Not collective: a failure is kept for commit().
  void write_at(std::uint64_t offset, std::span<const std::byte> bytes) {
    temp_.run([&] { file_.write_at(offset, bytes); });
  }
  void write_at(std::uint64_t offset, std::string_view text) {
    write_at(offset, std::as_bytes(std::span<const char>(text.data(), text.size())));
  }
  // Not collective: PosixFile::copy_from, a failure kept for commit().
  void copy_from(const PosixFile& from, std::uint64_t from_offset, std::uint64_t offset,
                 std::uint64_t n) {
    temp_.run([&] { file_.copy_from(from, from_offset, offset, n); });
  }

  // Collective. Every rank closes its descriptor; if all writes succeeded everywhere, rank 0
  // renames the file to the target. Every rank returns, or throws the same error (the first
  // failed write of the lowest rank that had one; then the target is untouched).
  void commit() {
    temp_.commit([&] { file_.close(); });
  }
  [[nodiscard]] bool committed() const noexcept { return temp_.committed(); }

 private:
  SharedTempPath temp_;  // destroyed after file_: closed, then removed
  PosixFile file_;
};

}  // namespace pando::io
