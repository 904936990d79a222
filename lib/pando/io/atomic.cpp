#include <pando/core/consensus.hpp>
#include <pando/core/error.hpp>
#include <pando/core/fault.hpp>
#include <pando/io/atomic.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <utility>
#include <vector>

namespace pando::io {

namespace {

std::string reason() { return std::strerror(errno); }

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::string directory_of(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? std::string(1, '.') : dir;
}

}  // namespace

std::string temp_path_for(const std::string& target) {
  // random_device alone would do on Linux; the clock and pid make a collision between two
  // processes that start together unlikely even where it is a fixed sequence.
  thread_local std::uint64_t state = [] {
    std::random_device rd;
    return (std::uint64_t{rd()} << 32) ^ rd() ^
           static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
           (static_cast<std::uint64_t>(::getpid()) << 16);
  }();
  state = splitmix(state);
  const std::filesystem::path p(target);
  const std::string name =
      fmt::format(".{}.pando-tmp-{:012x}", p.filename().string(), state & 0xffffffffffffull);
  return p.has_parent_path() ? (p.parent_path() / name).string() : name;
}

// ---- PosixFile ------------------------------------------------------------------------------

PosixFile PosixFile::open(const std::string& path, Mode mode, const std::string& shown) {
  int flags = O_CLOEXEC;
  const char* what = "cannot open";
  switch (mode) {
    case Mode::read:
      flags |= O_RDONLY;
      break;
    case Mode::write:
      flags |= O_WRONLY;
      break;
    case Mode::create:
      flags |= O_WRONLY | O_CREAT | O_TRUNC;
      what = "cannot create";
      break;
    case Mode::create_new:
      flags |= O_WRONLY | O_CREAT | O_EXCL;
      what = "cannot create";
      break;
    case Mode::scratch:
      flags |= O_RDWR | O_CREAT | O_EXCL;
      what = "cannot create";
      break;
  }
  int fd = ::open(path.c_str(), flags, 0666);
  if (fd < 0) {
    std::string why = reason();
    throw IoError(fmt::format("{}: {} ({})", shown.empty() ? path : shown, what, why));
  }
  return PosixFile(fd, path);
}

PosixFile::PosixFile(PosixFile&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), path_(std::move(o.path_)), end_(o.end_) {}

PosixFile& PosixFile::operator=(PosixFile&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
    path_ = std::move(o.path_);
    end_ = o.end_;
  }
  return *this;
}

PosixFile::~PosixFile() {
  if (fd_ >= 0) ::close(fd_);
}

void PosixFile::write_at(std::uint64_t offset, std::span<const std::byte> bytes) {
  if (fd_ < 0) throw UsageError(fmt::format("{}: cannot write: the file is closed", path_));
  fault::point(fault::Point::write);
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n =
        ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw IoError(fmt::format("{}: cannot write {} bytes at offset {} ({})", path_,
                                bytes.size() - done, offset + done,
                                n < 0 ? reason() : std::string("nothing written")));
    done += static_cast<std::size_t>(n);
  }
}

void PosixFile::append(std::span<const std::byte> bytes) {
  write_at(end_, bytes);
  end_ += bytes.size();
}

std::size_t PosixFile::read_at(std::uint64_t offset, std::span<std::byte> out) const {
  if (fd_ < 0) throw UsageError(fmt::format("{}: cannot read: the file is closed", path_));
  fault::point(fault::Point::read);
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n =
        ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      throw IoError(fmt::format("{}: cannot read {} bytes at offset {} ({})", path_,
                                out.size() - done, offset + done, reason()));
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

void PosixFile::copy_from(const PosixFile& from, std::uint64_t from_offset, std::uint64_t offset,
                          std::uint64_t n) {
  if (fd_ < 0 || from.fd_ < 0)
    throw UsageError(fmt::format("{}: cannot copy from {}: a file is closed", path_, from.path_));
  fault::point(fault::Point::write);
  auto in = static_cast<loff_t>(from_offset), out = static_cast<loff_t>(offset);
  while (n > 0) {
    const ssize_t k = ::copy_file_range(from.fd_, &in, fd_, &out, n, 0);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP))
      break;  // not between these files: copy through memory below
    if (k <= 0)
      throw IoError(fmt::format("{}: cannot copy {} bytes from {} ({})", path_, n, from.path_,
                                k < 0 ? reason() : std::string("source ended early")));
    n -= static_cast<std::uint64_t>(k);
  }
  std::vector<std::byte> buffer(std::min<std::uint64_t>(n, std::uint64_t{8} << 20));
  while (n > 0) {
    const std::size_t want = std::min<std::uint64_t>(n, buffer.size());
    const std::size_t got = from.read_at(static_cast<std::uint64_t>(in), {buffer.data(), want});
    if (got == 0)
      throw IoError(fmt::format("{}: cannot copy {} bytes from {} (source ended early)", path_, n,
                                from.path_));
    write_at(static_cast<std::uint64_t>(out), {buffer.data(), got});
    in += static_cast<loff_t>(got);
    out += static_cast<loff_t>(got);
    n -= got;
  }
}

std::uint64_t PosixFile::size() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) throw IoError(fmt::format("{}: cannot stat ({})", path_, reason()));
  return static_cast<std::uint64_t>(st.st_size);
}

void PosixFile::resize(std::uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0)
    throw IoError(fmt::format("{}: cannot resize to {} bytes ({})", path_, size, reason()));
}

void PosixFile::sync() {
  if (::fsync(fd_) != 0) throw IoError(fmt::format("{}: cannot sync ({})", path_, reason()));
}

void PosixFile::close() {
  if (fd_ < 0) return;
  // close() is not retried on EINTR: on Linux the descriptor is gone either way.
  if (::close(std::exchange(fd_, -1)) != 0)
    throw IoError(fmt::format("{}: cannot close ({})", path_, reason()));
}

// ---- TempPath -------------------------------------------------------------------------------

TempPath::TempPath(TempPath&& o) noexcept : path_(std::exchange(o.path_, std::string())) {}

TempPath& TempPath::operator=(TempPath&& o) noexcept {
  if (this != &o) {
    remove();
    path_ = std::exchange(o.path_, std::string());
  }
  return *this;
}

void TempPath::remove() noexcept {
  if (path_.empty()) return;
  ::unlink(path_.c_str());
  path_.clear();
}

void rename_into_place(const std::string& from, const std::string& to, bool sync) {
  fault::point(fault::Point::rename);
  if (sync) {
    PosixFile f = PosixFile::open(from, PosixFile::Mode::read);
    f.sync();
    f.close();
  }
  if (::rename(from.c_str(), to.c_str()) != 0)
    throw IoError(fmt::format("{}: cannot rename {} into place ({})", to, from, reason()));
  if (sync) {
    // The rename lives in the directory: flush it too.
    const std::string dir = directory_of(to);
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
      std::string why = reason();
      if (fd >= 0) ::close(fd);
      throw IoError(fmt::format("{}: renamed, but cannot sync directory {} ({})", to, dir, why));
    }
    ::close(fd);
  }
}

AtomicFileSet::~AtomicFileSet() {
  if (committed_) return;
  temps_.clear();  // the temporaries first: a directory goes only when empty
  std::error_code ec;
  for (auto d = made_.rbegin(); d != made_.rend(); ++d) std::filesystem::remove(*d, ec);
}

void AtomicFileSet::make_directory(const std::string& dir) {
  std::vector<std::string> missing;
  for (std::filesystem::path p(dir); !p.empty() && !std::filesystem::exists(p);
       p = p.parent_path()) {
    missing.push_back(p.string());
    if (p == p.parent_path()) break;
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  made_.insert(made_.end(), missing.rbegin(), missing.rend());
  if (ec) throw IoError(fmt::format("{}: cannot make the directory: {}", dir, ec.message()));
}

void AtomicFileSet::add(const std::string& target, std::string_view text) {
  temps_.emplace_back(temp_path_for(target));
  auto f = PosixFile::open(temps_.back().path(), PosixFile::Mode::create_new);
  f.append(text);
  f.close();
  moves_.emplace_back(temps_.back().path(), target);
}

void AtomicFileSet::commit() {
  rename_all_into_place(Comm::self(), moves_);
  for (TempPath& t : temps_) t.release();
  committed_ = true;
}

void rename_all_into_place(const Comm& comm,
                           std::span<const std::pair<std::string, std::string>> moves) {
  struct Move {
    std::string backup;  // where the old target waits
    bool placed = false;
  };
  std::vector<Move> done(moves.size());
  DeferredError step;
  for (std::size_t k = 0; k < moves.size(); ++k) {
    const auto& [temp, target] = moves[k];
    if (step.failed()) break;
    step.run([&] {
      std::error_code ignored;
      if (std::filesystem::is_regular_file(target, ignored)) {  // an old output, not a folder
        std::string backup = temp_path_for(target);
        if (::rename(target.c_str(), backup.c_str()) != 0)
          throw IoError(fmt::format("{}: cannot move the old file aside ({})", target, reason()));
        done[k].backup = std::move(backup);
      }
      rename_into_place(temp, target);
      done[k].placed = true;
    });
  }
  const bool everywhere = comm.allreduce(step.failed() ? 0 : 1, ReduceOp::min) == 1;
  for (std::size_t k = 0; k < moves.size(); ++k) {
    const std::string& target = moves[k].second;
    // Best effort, never throwing: on success the old files go; on failure the new ones go and
    // the old ones come back.
    if (!everywhere && done[k].placed) ::unlink(target.c_str());
    if (done[k].backup.empty()) continue;
    if (everywhere)
      ::unlink(done[k].backup.c_str());
    else
      (void)::rename(done[k].backup.c_str(), target.c_str());
  }
  step.agree(comm);
}

// ---- AtomicFile -----------------------------------------------------------------------------

AtomicFile::AtomicFile(std::string target, bool sync) : target_(std::move(target)), sync_(sync) {
  std::string temp = temp_path_for(target_);
  file_ = PosixFile::open(temp, PosixFile::Mode::create_new, target_);
  temp_ = TempPath(std::move(temp));
}

void AtomicFile::commit() {
  if (committed_) return;
  if (temp_.path().empty())
    throw UsageError(fmt::format("{}: cannot commit: nothing is being written", target_));
  file_.close();
  rename_into_place(temp_.path(), target_, sync_);
  temp_.release();
  committed_ = true;
}

// ---- SharedTempPath, AtomicSharedFile -------------------------------------------------------

SharedTempPath::SharedTempPath(const Comm& comm, std::string target, bool sync)
    : comm_(&comm), target_(std::move(target)), sync_(sync) {}

void SharedTempPath::place() {
  // Every rank's steps are done and its handle closed (a failed write may show only there)
  // before rank 0 renames; then all ranks learn the outcome: no rank returns before the target
  // is in place.
  failures_.agree(*comm_);
  on_root(*comm_, [&] {
    rename_into_place(path_, target_, sync_);
    temp_.release();
  });
  committed_ = true;
}

AtomicSharedFile::AtomicSharedFile(const Comm& comm, std::string target, std::uint64_t size,
                                   bool sync)
    : temp_(comm, std::move(target), sync) {
  temp_.create([&](const std::string& temp) {
    file_ = PosixFile::open(temp, PosixFile::Mode::create_new, temp_.target());
  });
  // The others open what rank 0 made, which rank 0 presizes meanwhile (a presized file takes
  // writes at any offset); if any fails, all throw (and rank 0's temporary goes).
  agree(comm, [&] {
    if (comm.rank() != 0)
      file_ = PosixFile::open(temp_.path(), PosixFile::Mode::write);
    else if (size > 0)
      file_.resize(size);
  });
}

}  // namespace pando::io
