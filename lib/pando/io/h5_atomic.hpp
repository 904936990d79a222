#pragma once
// Atomic HDF5 output (see <pando/io/atomic.hpp> for the idea):
// - a new file is written under a hidden temporary name beside its target and renamed into
//   place by commit(), by rank 0, after every rank has closed it;
// - a new dataset in an existing file is created under a hidden temporary link beside its name
//   ("/grp/.x.pando-tmp") and moved to its name by commit() (H5Lmove).
// Without commit() (an exception on every rank, per docs/architecture.md §5) the destructors
// remove the temporary, so a failed job leaves no partial file or dataset behind.
//
//   h5::AtomicFile out(comm, "result.h5");                           // collective
//   h5::Dataset x = out.file().create_dataset("/x", DType::float64, shape, chunks);
//   x.write(...); x.close();                                          // collective
//   out.commit();                                                     // collective

#include <pando/core/comm.hpp>
#include <pando/io/atomic.hpp>
#include <pando/io/h5.hpp>

#include <span>
#include <string>

namespace pando::h5 {

// A new HDF5 file written by all ranks of a communicator (which must outlive this object), by
// the protocol of io::SharedTempPath.
class AtomicFile {
 public:
  // Collective. Rank 0 picks the temporary name, every rank creates the file. `sync`: commit()
  // flushes the file and its directory to the device (see io::AtomicFile).
  AtomicFile(const Comm& comm, std::string target, bool sync = false);
  AtomicFile(AtomicFile&&) noexcept = default;
  // Collective (the file closes). Without commit(): rank 0 removes the temporary.
  ~AtomicFile() = default;

  [[nodiscard]] File& file() noexcept { return file_; }
  [[nodiscard]] const std::string& target() const noexcept { return temp_.target(); }
  [[nodiscard]] const std::string& temp_path() const noexcept { return temp_.path(); }

  // Collective. Closes the file (close the Datasets opened from it first), then rank 0 renames
  // it to the target, replacing any file there. Every rank returns or throws the same error.
  void commit();
  [[nodiscard]] bool committed() const noexcept { return temp_.committed(); }

 private:
  io::SharedTempPath temp_;  // destroyed after file_ is closed
  File file_;
};

// A new dataset in an open, writable File (which must outlive this object).
class AtomicDataset {
 public:
  // Collective. Creates the dataset (as File::create_dataset) under a temporary link beside
  // `name`; IoError if `name` exists, unless `replace`. A temporary left by a killed job is
  // removed first.
  AtomicDataset(File& file, const std::string& name, DType type,
                std::span<const std::int64_t> shape, std::span<const std::int64_t> chunks = {},
                int gzip_level = -1, bool replace = false, Fill fill = Fill::zeros,
                NarrowInt narrow = NarrowInt::none);
  AtomicDataset(AtomicDataset&& o) noexcept;
  AtomicDataset& operator=(AtomicDataset&&) = delete;
  // Collective. Without commit(): closes the dataset and removes its temporary link.
  ~AtomicDataset();

  [[nodiscard]] Dataset& dataset() noexcept { return dataset_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const std::string& temp_name() const noexcept { return temp_; }

  // Collective. Closes the dataset and moves it to its name (with `replace`, the old dataset's
  // link is removed first; HDF5 does not reuse its space).
  void commit();
  [[nodiscard]] bool committed() const noexcept { return committed_; }

 private:
  File* file_;
  std::string name_;
  std::string temp_;
  bool replace_ = false;
  bool committed_ = false;
  Dataset dataset_;
};

}  // namespace pando::h5
