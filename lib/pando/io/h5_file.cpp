// File: an HDF5 file opened on every rank through the MPI-IO driver.

#include <pando/core/consensus.hpp>
#include <pando/core/error.hpp>
#include <pando/io/h5.hpp>
#include <pando/io/detail/h5_internal.hpp>

#include <hdf5.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>

namespace pando::h5 {

namespace detail {

void check_creatable(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = std::string(1, '.');
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw IoError(fmt::format("{}: cannot create: no such directory '{}'", path, dir));
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw IoError(fmt::format("{}: cannot create: it is a directory", path));
  if (::access(dir.c_str(), W_OK) != 0)
    throw IoError(fmt::format("{}: cannot create ({})", path, std::strerror(errno)));
}

}  // namespace detail

namespace {

using detail::check;
using detail::check_id;

detail::PlistId transfer_plist(H5FD_mpio_xfer_t mode, const std::string& path) {
  detail::PlistId dxpl(check_id(H5Pcreate(H5P_DATASET_XFER), path, "cannot open"));
  check(H5Pset_dxpl_mpio(dxpl.get(), mode), path, "cannot open");
  return dxpl;
}

// Collective: H5Fopen/H5Fcreate with the MPI-IO driver on `comm` (HDF5 duplicates it).
std::shared_ptr<detail::FileState> open_parallel(const Comm& comm, const std::string& path,
                                                 bool writable, bool create) {
  const char* what = create ? "cannot create" : "cannot open";
  detail::PlistId fapl(check_id(H5Pcreate(H5P_FILE_ACCESS), path, what));
  check(H5Pset_fapl_mpio(fapl.get(), comm.native(), MPI_INFO_NULL), path, what);
  // Metadata is written by all ranks together (every call that changes it is collective
  // anyway), rather than by each rank on its own.
  if (writable) check(H5Pset_coll_metadata_write(fapl.get(), true), path, what);
  hid_t id = create ? H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get())
                    : H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl.get());
  auto state = std::make_shared<detail::FileState>();
  state->id = detail::FileId(check_id(id, path, what));
  state->path = path;
  state->writable = writable;
  state->independent_transfer = transfer_plist(H5FD_MPIO_INDEPENDENT, path);
  state->collective_transfer = transfer_plist(H5FD_MPIO_COLLECTIVE, path);
  return state;
}

}  // namespace

File& File::operator=(File&& o) noexcept {
  state_ = std::move(o.state_);
  return *this;
}

File::~File() = default;

File File::open(const Comm& comm, const std::string& path, Access access) {
  detail::init();
  // Rank 0 checks, so that every rank reports the same problem the same way.
  on_root(comm, [&] {
    detail::check_hdf5_file(path);
    if (access == Access::read_write && ::access(path.c_str(), W_OK) != 0)
      throw IoError(fmt::format("{}: cannot open for writing ({})", path, std::strerror(errno)));
  });
  return File(open_parallel(comm, path, access == Access::read_write, false));
}

File File::create(const Comm& comm, const std::string& path) {
  detail::init();
  on_root(comm, [&] { detail::check_creatable(path); });
  return File(open_parallel(comm, path, true, true));
}

detail::FileState& File::state() const {
  if (!state_) throw UsageError("h5::File: the file is not open (closed, or moved from)");
  return *state_;
}

const std::string& File::path() const { return state().path; }

Dataset File::open_dataset(const std::string& name) const {
  DatasetInfo info;
  detail::DatasetId id = detail::open_described(state().id.get(), state().path, name, info);
  return Dataset(state_, std::move(id), std::move(info));
}

namespace {

// The type a dataset of `type` (or of `narrow`, held in `type`) is stored as (little-endian, as
// NumPy on x86 writes it).
hid_t stored_type(DType type, NarrowInt narrow, const std::string& where) {
  switch (narrow) {
    case NarrowInt::int8:
      return H5T_STD_I8LE;
    case NarrowInt::int16:
      return H5T_STD_I16LE;
    case NarrowInt::uint8:
      return H5T_STD_U8LE;
    case NarrowInt::uint16:
      return H5T_STD_U16LE;
    case NarrowInt::uint32:
      return H5T_STD_U32LE;
    case NarrowInt::none:
      break;
  }
  switch (type) {
    case DType::float64:
      return H5T_IEEE_F64LE;
    case DType::float32:
      return H5T_IEEE_F32LE;
    case DType::int64:
      return H5T_STD_I64LE;
    case DType::int32:
      return H5T_STD_I32LE;
    case DType::uint64:
      return H5T_STD_U64LE;
    default:
      return detail::memory_type(type, where);  // bool: the enum h5py writes
  }
}

}  // namespace

Dataset File::create_dataset(const std::string& name, DType type,
                             std::span<const std::int64_t> shape,
                             std::span<const std::int64_t> chunks, int gzip_level, Fill fill,
                             NarrowInt narrow) {
  detail::FileState& file = state();
  DatasetInfo info;
  info.file = file.path;
  info.dataset = detail::normalize_path(name);
  info.type = type;
  info.narrow = narrow;
  info.shape.assign(shape.begin(), shape.end());
  const std::string where = info.where();

  if (!file.writable)
    throw UsageError(fmt::format("{}: cannot create a dataset: the file is open read-only", where));
  if (narrow != NarrowInt::none && holding_type(narrow) != type)
    throw UsageError(fmt::format("{}: {} values are held in {}, not {}", where,
                                 pando::to_string(narrow), pando::to_string(holding_type(narrow)),
                                 pando::to_string(type)));
  const hid_t ftype = stored_type(type, narrow, where);
  for (auto d : shape)
    if (d < 0) throw ShapeError(fmt::format("{}: negative shape {}", where, format_shape(shape)));
  if (!chunks.empty()) {
    if (chunks.size() != shape.size() || shape.empty())
      throw ShapeError(fmt::format("{}: chunks {} do not fit shape {}", where, format_shape(chunks),
                                   format_shape(shape)));
    for (auto c : chunks)
      if (c < 1)
        throw ShapeError(fmt::format("{}: chunks {} must be at least 1 along every dimension",
                                     where, format_shape(chunks)));
  }
  if (gzip_level < -1 || gzip_level > 9)
    throw UsageError(fmt::format("{}: gzip level {} (use 0-9, or -1 for none)", where, gzip_level));
  if (gzip_level >= 0 && chunks.empty())
    throw UsageError(fmt::format("{}: gzip compression needs chunks", where));
  if (detail::object_exists(file.id.get(), info.dataset))
    throw IoError(fmt::format("{} exists already", where));

  // Chunks no larger than the shape (HDF5 refuses larger ones for fixed-size dimensions); a
  // dimension of length 0 is declared extendible, the only way HDF5 chunks it.
  std::vector<hsize_t> dims(shape.begin(), shape.end()), maxdims = dims;
  std::vector<hsize_t> chunk_dims;
  if (!chunks.empty()) {
    std::uint64_t bytes = element_size(type);
    for (std::size_t i = 0; i < shape.size(); ++i) {
      info.chunks.push_back(shape[i] == 0 ? chunks[i] : std::min(chunks[i], shape[i]));
      chunk_dims.push_back(static_cast<hsize_t>(info.chunks[i]));
      bytes *= chunk_dims[i];
      if (shape[i] == 0) maxdims[i] = H5S_UNLIMITED;
    }
    if (bytes >= (std::uint64_t{1} << 32))
      throw UsageError(
          fmt::format("{}: chunks {} of {} take {} bytes; HDF5 chunks must be "
                      "under 4 GiB",
                      where, format_shape(info.chunks), pando::to_string(type), bytes));
  }
  detail::SpaceId space(check_id(
      shape.empty() ? H5Screate(H5S_SCALAR)
                    : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), maxdims.data()),
      where, "cannot create"));
  detail::PlistId dcpl(check_id(H5Pcreate(H5P_DATASET_CREATE), where, "cannot create"));
  if (!chunk_dims.empty()) {
    check(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk_dims.size()), chunk_dims.data()), where,
          "cannot create");
    if (gzip_level >= 0) {
      check(H5Pset_deflate(dcpl.get(), static_cast<unsigned>(gzip_level)), where, "cannot create");
      info.gzip_level = gzip_level;
      info.filters = {"gzip"};
    }
  }
  if (fill == Fill::none && gzip_level < 0) {
    check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), where, "cannot create");
  } else {
    // Zeros, given explicitly: with HDF5's default (undefined) fill value, parallel HDF5 1.10.8
    // fills small contiguous datasets at 3+ ranks partly from an uninitialized buffer.
    const std::array<std::byte, 8> zero{};
    check(H5Pset_fill_value(dcpl.get(), ftype, zero.data()), where, "cannot create");
  }
  detail::PlistId lcpl = detail::intermediate_groups();
  detail::DatasetId id(check_id(H5Dcreate2(file.id.get(), info.dataset.c_str(), ftype, space.get(),
                                           lcpl.get(), dcpl.get(), H5P_DEFAULT),
                                where, "cannot create"));
  return Dataset(state_, std::move(id), std::move(info));
}

Dataset File::create_string_dataset(const std::string& name, std::int64_t length,
                                    std::int64_t width) {
  detail::FileState& file = state();
  DatasetInfo info;
  info.file = file.path;
  info.dataset = detail::normalize_path(name);
  info.type = DType::string;
  info.shape = {length};
  info.string_width = width;
  const std::string where = info.where();
  if (!file.writable)
    throw UsageError(fmt::format("{}: cannot create a dataset: the file is open read-only", where));
  if (length < 0 || width < 1)
    throw ShapeError(fmt::format("{}: {} strings of {} bytes", where, length, width));
  if (detail::object_exists(file.id.get(), info.dataset))
    throw IoError(fmt::format("{} exists already", where));
  const detail::TypeId type = detail::string_type(width, where);
  const auto dims = static_cast<hsize_t>(length);
  detail::SpaceId space(check_id(H5Screate_simple(1, &dims, nullptr), where, "cannot create"));
  detail::PlistId dcpl(check_id(H5Pcreate(H5P_DATASET_CREATE), where, "cannot create"));
  check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), where, "cannot create");
  detail::PlistId lcpl = detail::intermediate_groups();
  detail::DatasetId id(check_id(H5Dcreate2(file.id.get(), info.dataset.c_str(), type.get(),
                                           space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT),
                                where, "cannot create"));
  return Dataset(state_, std::move(id), std::move(info));
}

bool File::contains(const std::string& path) const {
  return detail::object_exists(state().id.get(), detail::normalize_path(path));
}

void File::create_group(const std::string& path) {
  detail::FileState& file = state();
  const std::string p = detail::normalize_path(path);
  const std::string where = file.path + ":" + p;
  if (!file.writable)
    throw UsageError(fmt::format("{}: cannot create a group: the file is open read-only", where));
  if (detail::object_exists(file.id.get(), p)) {
    H5O_info_t object{};
    check(H5Oget_info_by_name2(file.id.get(), p.c_str(), &object, H5O_INFO_BASIC, H5P_DEFAULT),
          where, "cannot read what it is");
    if (object.type != H5O_TYPE_GROUP)
      throw IoError(fmt::format("{} exists and is not a group", where));
    return;
  }
  detail::PlistId lcpl = detail::intermediate_groups();
  detail::GroupId group(
      check_id(H5Gcreate2(file.id.get(), p.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), where,
               "cannot create the group"));
  group.close(where);
}

void File::move_link(const std::string& from, const std::string& to) {
  detail::FileState& file = state();
  const std::string a = detail::normalize_path(from), b = detail::normalize_path(to);
  if (!file.writable)
    throw UsageError(fmt::format("{}: cannot move '{}': the file is open read-only", file.path, a));
  if (!detail::object_exists(file.id.get(), a))
    throw IoError(fmt::format("{}: cannot move '{}': no such object", file.path, a));
  if (detail::object_exists(file.id.get(), b))
    throw IoError(fmt::format("{}: cannot move '{}' to '{}': '{}' exists", file.path, a, b, b));
  detail::PlistId lcpl = detail::intermediate_groups();
  check(H5Lmove(file.id.get(), a.c_str(), file.id.get(), b.c_str(), lcpl.get(), H5P_DEFAULT),
        file.path, fmt::format("cannot move '{}' to '{}'", a, b));
}

void File::unlink(const std::string& path) {
  detail::FileState& file = state();
  const std::string p = detail::normalize_path(path);
  if (!file.writable)
    throw UsageError(
        fmt::format("{}: cannot remove '{}': the file is open read-only", file.path, p));
  if (!detail::object_exists(file.id.get(), p))
    throw IoError(fmt::format("{}: cannot remove '{}': no such object", file.path, p));
  check(H5Ldelete(file.id.get(), p.c_str(), H5P_DEFAULT), file.path,
        fmt::format("cannot remove '{}'", p));
}

std::vector<std::string> File::datasets() const {
  return detail::dataset_paths(state().id.get(), state().path);
}

namespace {
detail::ObjectId open_object(const detail::FileState& file, const std::string& p) {
  const std::string where = file.path + ":" + p;
  if (!detail::object_exists(file.id.get(), p))
    throw IoError(fmt::format("{}: no object '{}'", file.path, p));
  return detail::ObjectId(
      check_id(H5Oopen(file.id.get(), p.c_str(), H5P_DEFAULT), where, "cannot open"));
}
}  // namespace

Attributes File::attributes(const std::string& path) const {
  const std::string p = detail::normalize_path(path);
  detail::ObjectId object = open_object(state(), p);
  return detail::read_attributes(object.get(), state().path + ":" + p);
}

void File::write_attributes(const std::string& path, const Attributes& attributes) {
  const std::string p = detail::normalize_path(path);
  const std::string where = state().path + ":" + p;
  if (!state().writable)
    throw UsageError(fmt::format("{}: cannot write attributes: the file is open read-only", where));
  detail::ObjectId object = open_object(state(), p);
  detail::write_attributes(object.get(), attributes, where);
  object.close(where);
}

void File::flush() { check(H5Fflush(state().id.get(), H5F_SCOPE_GLOBAL), path(), "cannot flush"); }

void File::close() {
  if (!state_) return;
  if (auto others = state_.use_count() - 1; others > 0)
    throw UsageError(
        fmt::format("{}: cannot close: {} dataset{} opened from it {} still open "
                    "(close or destroy {} first)",
                    state_->path, others, others == 1 ? "" : "s", others == 1 ? "is" : "are",
                    others == 1 ? "it" : "them"));
  auto state = std::move(state_);
  state->independent_transfer.reset();
  state->collective_transfer.reset();
  state->id.close(state->path);
}

}  // namespace pando::h5
