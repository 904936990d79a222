#pragma once
// RAII handles for HDF5 identifiers: one small move-only type per kind of identifier (file,
// dataset, dataspace, datatype, property list, group, attribute, object). The destructor closes
// with the matching H5*close call and ignores failure; close() is the checked form.
//
// No HDF5 header here (HDF5 stays private to libpando): an identifier is held as std::int64_t,
// which is hid_t in HDF5 1.10 and later (h5_handle.cpp checks that).
//
// Closing a dataset or a file opened for parallel access is collective (H5Dclose, H5Fclose):
// every rank must destroy or close it at the same point of the program.

#include <cstdint>
#include <string>
#include <utility>

namespace pando::h5::detail {

using Id = std::int64_t;

enum class HandleKind : std::uint8_t {
  file,
  dataset,
  dataspace,
  datatype,
  property_list,
  group,
  attribute,
  object,  // any object opened by path (H5Oopen): group, dataset or named datatype
};

// "file", "dataset", "dataspace", ... for messages.
const char* to_string(HandleKind kind) noexcept;

// Closes `id` with the call of its kind; failures are ignored (and HDF5's error stack cleared).
void close_unchecked(HandleKind kind, Id id) noexcept;
// Closes `id`; IoError "<where>: cannot close <kind> (HDF5: <cause>)" on failure.
void close_checked(HandleKind kind, Id id, const std::string& where);

template <HandleKind K>
class Handle {
 public:
  Handle() = default;
  // Adopts `id` (closed by the destructor when valid, i.e. >= 0).
  explicit Handle(Id id) noexcept : id_(id) {}
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, -1)) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, -1);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  [[nodiscard]] Id get() const noexcept { return id_; }
  [[nodiscard]] bool valid() const noexcept { return id_ >= 0; }
  // Closes now, ignoring failure.
  void reset() noexcept {
    if (id_ >= 0) close_unchecked(K, std::exchange(id_, -1));
  }
  // Closes now; IoError naming `where` on failure.
  void close(const std::string& where) {
    if (id_ >= 0) close_checked(K, std::exchange(id_, -1), where);
  }

 private:
  Id id_ = -1;
};

using FileId = Handle<HandleKind::file>;
using DatasetId = Handle<HandleKind::dataset>;
using SpaceId = Handle<HandleKind::dataspace>;
using TypeId = Handle<HandleKind::datatype>;
using PlistId = Handle<HandleKind::property_list>;
using GroupId = Handle<HandleKind::group>;
using AttrId = Handle<HandleKind::attribute>;
using ObjectId = Handle<HandleKind::object>;

// An open file shared by the File and the Datasets opened from it: the file stays open until
// the last of them is gone.
struct FileState {
  FileId id;
  std::string path;
  bool writable = false;
  PlistId independent_transfer;  // dataset transfer property lists, made once per file
  PlistId collective_transfer;
};

}  // namespace pando::h5::detail
