#include <pando/core/error.hpp>
#include <pando/io/h5_atomic.hpp>
#include <pando/io/detail/h5_internal.hpp>

#include <fmt/format.h>

#include <utility>

namespace pando::h5 {

AtomicFile::AtomicFile(const Comm& comm, std::string target, bool sync)
    : temp_(comm, std::move(target), sync) {
  // Rank 0 checks where the target goes (so that an error names it, not the temporary) and owns
  // the temporary before the file exists: a failed create leaves nothing.
  temp_.create([&](const std::string&) { detail::check_creatable(temp_.target()); });
  file_ = File::create(comm, temp_.path());
}

void AtomicFile::commit() {
  // Every rank closes (collective: data and metadata reach the file; a rank that fails there
  // took part in it), then rank 0 renames.
  temp_.commit([&] { file_.close(); });
}

namespace {
// "/grp/.x.pando-tmp" for "/grp/x". Fixed, so that a rerun finds what a killed run left.
std::string temp_link_for(const std::string& name) {
  const std::string parent = detail::parent_path(name);
  return fmt::format("{}/.{}.pando-tmp", parent == "/" ? "" : parent, detail::base_name(name));
}
}  // namespace

AtomicDataset::AtomicDataset(File& file, const std::string& name, DType type,
                             std::span<const std::int64_t> shape,
                             std::span<const std::int64_t> chunks, int gzip_level, bool replace,
                             Fill fill, NarrowInt narrow)
    : file_(&file), name_(detail::normalize_path(name)), replace_(replace) {
  temp_ = temp_link_for(name_);
  if (!replace_ && file.contains(name_))
    throw IoError(fmt::format("{}:{} exists already", file.path(), name_));
  if (file.contains(temp_)) file.unlink(temp_);  // left by an interrupted job
  dataset_ = file.create_dataset(temp_, type, shape, chunks, gzip_level, fill, narrow);
}

AtomicDataset::AtomicDataset(AtomicDataset&& o) noexcept
    : file_(std::exchange(o.file_, nullptr)),
      name_(std::move(o.name_)),
      temp_(std::move(o.temp_)),
      replace_(o.replace_),
      committed_(o.committed_),
      dataset_(std::move(o.dataset_)) {}

AtomicDataset::~AtomicDataset() {
  if (committed_ || file_ == nullptr || !file_->is_open()) return;
  dataset_ = Dataset();
  try {
    if (file_->contains(temp_)) file_->unlink(temp_);
  } catch (const std::exception&) {
    // Destructors do not throw; the hidden link is removed by the next writer of this name.
  }
}

void AtomicDataset::commit() {
  if (committed_) return;
  dataset_.close();
  if (replace_ && file_->contains(name_)) file_->unlink(name_);
  file_->move_link(temp_, name_);
  committed_ = true;
}

}  // namespace pando::h5
