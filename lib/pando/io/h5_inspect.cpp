// inspect(): what a dataset is, found by one rank with a serial open, and the checks and
// messages that File::open_dataset() shares.

#include <pando/core/consensus.hpp>
#include <pando/core/error.hpp>
#include <pando/io/h5.hpp>
#include <pando/io/detail/h5_internal.hpp>

#include <hdf5.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace pando::h5 {

namespace detail {

void check_hdf5_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) throw IoError(fmt::format("{}: no such file", path));
    throw IoError(fmt::format("{}: cannot open ({})", path, std::strerror(errno)));
  }
  if (S_ISDIR(st.st_mode)) throw IoError(fmt::format("{}: is a directory, not an HDF5 file", path));
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoError(fmt::format("{}: cannot open ({})", path, std::strerror(errno)));
  // The superblock starts with this signature at offset 0, or after a user block at 512, 1024,
  // 2048, ... bytes.
  static constexpr std::array<unsigned char, 8> signature = {0x89, 'H',  'D',  'F',
                                                             '\r', '\n', 0x1a, '\n'};
  bool found = false;
  for (off_t at = 0; at + 8 <= st.st_size && !found; at = at == 0 ? 512 : 2 * at) {
    std::array<unsigned char, 8> head{};
    if (::pread(fd, head.data(), head.size(), at) != 8) break;
    found = head == signature;
  }
  ::close(fd);
  if (!found) throw IoError(fmt::format("{}: not an HDF5 file", path));
}

namespace {

std::string filter_name(H5Z_filter_t id, const char* hdf5_name) {
  switch (id) {
    case H5Z_FILTER_DEFLATE:
      return "gzip";
    case H5Z_FILTER_SHUFFLE:
      return "shuffle";
    case H5Z_FILTER_FLETCHER32:
      return "fletcher32";
    case H5Z_FILTER_SZIP:
      return "szip";
    case H5Z_FILTER_NBIT:
      return "nbit";
    case H5Z_FILTER_SCALEOFFSET:
      return "scaleoffset";
    case 32000:
      return "lzf";
    case 32001:
      return "blosc";
    case 32004:
      return "lz4";
    case 32008:
      return "bitshuffle";
    case 32015:
      return "zstd";
    default:
      break;
  }
  if (hdf5_name && *hdf5_name) return hdf5_name;
  return fmt::format("filter {}", id);
}

std::string listing(const std::vector<std::string>& paths) {
  if (paths.empty()) return "it has no datasets";
  constexpr std::size_t shown = 6;
  if (paths.size() <= shown) return fmt::format("it has: {}", fmt::join(paths, ", "));
  return fmt::format("it has: {} and {} more",
                     fmt::join(paths.begin(), paths.begin() + shown, ", "), paths.size() - shown);
}

// Shape, chunks and filters of an open dataset.
void describe_layout(hid_t dataset, const std::string& where, DatasetInfo& info) {
  SpaceId space(check_id(H5Dget_space(dataset), where, "cannot read the shape"));
  switch (H5Sget_simple_extent_type(space.get())) {
    case H5S_SCALAR:
      info.shape.clear();
      break;
    case H5S_SIMPLE: {
      int rank = H5Sget_simple_extent_ndims(space.get());
      check(rank, where, "cannot read the shape");
      std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
      check(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), where,
            "cannot read the shape");
      info.shape.assign(dims.begin(), dims.end());
      break;
    }
    default:
      throw IoError(fmt::format("{} holds no data (its dataspace is null)", where));
  }

  PlistId dcpl(check_id(H5Dget_create_plist(dataset), where, "cannot read the layout"));
  info.chunks.clear();
  if (H5Pget_layout(dcpl.get()) == H5D_CHUNKED) {
    std::vector<hsize_t> chunks(info.shape.size());
    check(H5Pget_chunk(dcpl.get(), static_cast<int>(chunks.size()), chunks.data()), where,
          "cannot read the chunk shape");
    info.chunks.assign(chunks.begin(), chunks.end());
  }
  info.gzip_level = -1;
  info.filters.clear();
  const int nfilters = H5Pget_nfilters(dcpl.get());
  for (int i = 0; i < nfilters; ++i) {
    unsigned flags = 0, config = 0;
    std::size_t nvalues = 8;
    std::array<unsigned, 8> values{};
    std::array<char, 64> name{};
    H5Z_filter_t id = H5Pget_filter2(dcpl.get(), static_cast<unsigned>(i), &flags, &nvalues,
                                     values.data(), name.size(), name.data(), &config);
    if (id < 0) fail(where, "cannot read the filters");
    std::string fname = filter_name(id, name.data());
    info.filters.push_back(fname);
    if (id == H5Z_FILTER_DEFLATE) info.gzip_level = nvalues > 0 ? static_cast<int>(values[0]) : 6;
    // Even an optional filter (h5py sets lzf so) has usually been applied to every chunk.
    if (H5Zfilter_avail(id) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      throw IoError(fmt::format(
          "{} is compressed with {} (HDF5 filter {}), which this HDF5 library cannot decode "
          "(rewrite it with gzip compression, e.g. with h5py)",
          where, fname, id));
    }
  }
}

}  // namespace

DatasetId open_described(Id file, const std::string& file_name, const std::string& path,
                         DatasetInfo& info) {
  info = DatasetInfo{};
  info.file = file_name;
  info.dataset = normalize_path(path);
  const std::string where = info.where();
  if (info.dataset == "/") throw IoError(fmt::format("{}:/ is a group, not a dataset", file_name));
  if (!object_exists(file, info.dataset))
    throw IoError(fmt::format("{}: no dataset '{}' ({})", file_name, info.dataset,
                              listing(dataset_paths(file, file_name))));

  H5O_info_t object{};
  check(H5Oget_info_by_name2(file, info.dataset.c_str(), &object, H5O_INFO_BASIC, H5P_DEFAULT),
        where, "cannot read what it is");
  if (object.type == H5O_TYPE_GROUP)
    throw IoError(fmt::format("{} is a group, not a dataset", where));
  if (object.type != H5O_TYPE_DATASET)
    throw IoError(fmt::format("{} is a named datatype, not a dataset", where));

  DatasetId dataset(
      check_id(H5Dopen2(file, info.dataset.c_str(), H5P_DEFAULT), where, "cannot open"));
  TypeId type(check_id(H5Dget_type(dataset.get()), where, "cannot read the element type"));
  std::string type_name;
  auto dtype = dtype_of_stored(type.get(), type_name, &info.narrow);
  if (H5Tget_class(type.get()) == H5T_STRING) {  // a table's string column
    dtype = DType::string;
    const htri_t variable = H5Tis_variable_str(type.get());
    check(static_cast<int>(variable), where, "cannot read its string type");
    info.string_width = variable > 0 ? 0 : static_cast<std::int64_t>(H5Tget_size(type.get()));
  }
  if (!dtype)
    throw IoError(fmt::format(
        "{} has type {}, which Pando does not read (it reads bool, int8 to int64, uint8 to "
        "uint64, float32 and float64)",
        where, type_name));
  info.type = *dtype;
  describe_layout(dataset.get(), where, info);
  info.attributes = read_attributes(dataset.get(), where);
  return dataset;
}

}  // namespace detail

std::int64_t DatasetInfo::elements() const noexcept {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

namespace {

detail::FileId open_serial(const std::string& file) {
  detail::init();
  detail::check_hdf5_file(file);
  detail::PlistId fapl(detail::check_id(H5Pcreate(H5P_FILE_ACCESS), file, "cannot open"));
  // Lock when the file system can (a writer holding the file makes a clear error), and go on
  // without where it cannot (some parallel file systems).
  detail::check(H5Pset_file_locking(fapl.get(), true, true), file, "cannot open");
  return detail::FileId(
      detail::check_id(H5Fopen(file.c_str(), H5F_ACC_RDONLY, fapl.get()), file, "cannot open"));
}

}  // namespace

DatasetInfo inspect(const std::string& file, const std::string& dataset) {
  detail::FileId f = open_serial(file);
  DatasetInfo info;
  detail::DatasetId d = detail::open_described(f.get(), file, dataset, info);
  d.close(info.where());
  f.close(file);
  return info;
}

DatasetInfo inspect(const Comm& comm, const std::string& file, const std::string& dataset) {
  return on_root(comm, [&] { return inspect(file, dataset); });
}

std::vector<std::string> list_datasets(const std::string& file) {
  detail::FileId f = open_serial(file);
  auto paths = detail::dataset_paths(f.get(), file);
  f.close(file);
  return paths;
}

}  // namespace pando::h5
