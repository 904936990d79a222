// The base of the HDF5 wrapper: closing identifiers, HDF5's error stack, element types, paths.

#include <pando/core/error.hpp>
#include <pando/io/h5_handle.hpp>
#include <pando/io/detail/h5_internal.hpp>

#include <hdf5.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <type_traits>

static_assert(std::is_same_v<hid_t, pando::h5::detail::Id>,
              "HDF5 identifiers are held as std::int64_t: HDF5 1.10 or later is needed");

namespace pando::h5 {

std::string format_shape(std::span<const std::int64_t> shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

}  // namespace pando::h5

namespace pando::h5::detail {

const char* to_string(HandleKind kind) noexcept {
  switch (kind) {
    case HandleKind::file:
      return "file";
    case HandleKind::dataset:
      return "dataset";
    case HandleKind::dataspace:
      return "dataspace";
    case HandleKind::datatype:
      return "datatype";
    case HandleKind::property_list:
      return "property list";
    case HandleKind::group:
      return "group";
    case HandleKind::attribute:
      return "attribute";
    case HandleKind::object:
      return "object";
  }
  return "object";
}

namespace {

herr_t close_id(HandleKind kind, hid_t id) noexcept {
  switch (kind) {
    case HandleKind::file:
      return H5Fclose(id);
    case HandleKind::dataset:
      return H5Dclose(id);
    case HandleKind::dataspace:
      return H5Sclose(id);
    case HandleKind::datatype:
      return H5Tclose(id);
    case HandleKind::property_list:
      return H5Pclose(id);
    case HandleKind::group:
      return H5Gclose(id);
    case HandleKind::attribute:
      return H5Aclose(id);
    case HandleKind::object:
      return H5Oclose(id);
  }
  return -1;
}

// Collects the descriptions on HDF5's error stack, outermost first.
herr_t collect_error(unsigned, const H5E_error2_t* e, void* out) {
  if (e->desc && *e->desc) static_cast<std::vector<std::string>*>(out)->emplace_back(e->desc);
  return 0;
}

std::string fold_whitespace(const std::string& s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

}  // namespace

void close_unchecked(HandleKind kind, Id id) noexcept {
  if (close_id(kind, id) < 0) H5Eclear2(H5E_DEFAULT);
}

void close_checked(HandleKind kind, Id id, const std::string& where) {
  if (close_id(kind, id) < 0) fail(where, fmt::format("cannot close {}", to_string(kind)));
}

void init() {
  static std::once_flag once;
  std::call_once(once, [] {
    H5open();
    // Errors are reported by exceptions that carry the stack's innermost cause.
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  });
}

std::string take_error() {
  std::vector<std::string> descs;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &descs);
  H5Eclear2(H5E_DEFAULT);
  // The innermost entry names the cause ("file signature not found"); the outer ones say which
  // API call failed, which our own message says already.
  return descs.empty() ? std::string() : fold_whitespace(descs.back());
}

std::string hdf5_says() {
  std::string cause = take_error();
  return cause.empty() ? std::string() : fmt::format(" (HDF5: {})", cause);
}

void fail(const std::string& where, const std::string& what) {
  std::string says = hdf5_says();
  throw IoError(fmt::format("{}: {}{}", where, what, says));
}

Id check_id(Id id, const std::string& where, const std::string& what) {
  if (id < 0) fail(where, what);
  return id;
}

void check(int rc, const std::string& where, const std::string& what) {
  if (rc < 0) fail(where, what);
}

// ---- paths ----------------------------------------------------------------------------------

std::string normalize_path(const std::string& path) {
  std::string out;
  std::size_t i = 0;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string part = path.substr(i, j - i);
    if (!part.empty() && part != ".") out += "/" + part;
    i = j + 1;
  }
  return out.empty() ? "/" : out;
}

std::string parent_path(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_name(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

PlistId intermediate_groups() {
  PlistId lcpl(check_id(H5Pcreate(H5P_LINK_CREATE), "HDF5", "cannot make a property list"));
  check(H5Pset_create_intermediate_group(lcpl.get(), 1), "HDF5", "cannot set a property");
  // Names are UTF-8, as h5py writes them.
  check(H5Pset_char_encoding(lcpl.get(), H5T_CSET_UTF8), "HDF5", "cannot set a property");
  return lcpl;
}

bool object_exists(Id file, const std::string& path) {
  if (path == "/") return true;
  // H5Lexists fails (rather than saying false) when a group on the way is missing: walk down.
  std::size_t pos = 0;
  while (true) {
    pos = path.find('/', pos + 1);
    std::string prefix = path.substr(0, pos);
    htri_t linked = H5Lexists(file, prefix.c_str(), H5P_DEFAULT);
    if (linked <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    if (pos == std::string::npos) break;
  }
  // A soft link may dangle.
  htri_t exists = H5Oexists_by_name(file, path.c_str(), H5P_DEFAULT);
  H5Eclear2(H5E_DEFAULT);
  return exists > 0;
}

namespace {
herr_t collect_dataset(hid_t, const char* name, const H5O_info_t* info, void* out) {
  if (info->type == H5O_TYPE_DATASET) {
    std::string path(1, '/');
    path += name;
    static_cast<std::vector<std::string>*>(out)->push_back(std::move(path));
  }
  return 0;
}
}  // namespace

std::vector<std::string> dataset_paths(Id file, const std::string& where) {
  std::vector<std::string> paths;
  check(H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, collect_dataset, &paths, H5O_INFO_BASIC), where,
        "cannot list the datasets");
  std::sort(paths.begin(), paths.end());
  return paths;
}

// ---- element types --------------------------------------------------------------------------

namespace {

// NumPy's bool as h5py stores it: an enum over int8 with FALSE = 0 and TRUE = 1.
hid_t make_bool_type() {
  hid_t t = H5Tenum_create(H5T_NATIVE_INT8);
  if (t < 0) fail("HDF5", "cannot make the boolean type");
  const std::int8_t no = 0, yes = 1;
  check(H5Tenum_insert(t, "FALSE", &no), "HDF5", "cannot make the boolean type");
  check(H5Tenum_insert(t, "TRUE", &yes), "HDF5", "cannot make the boolean type");
  return t;
}

bool is_bool_enum(hid_t type) {
  if (H5Tget_nmembers(type) != 2) return false;
  TypeId base(H5Tget_super(type));
  if (!base.valid() || H5Tget_class(base.get()) != H5T_INTEGER || H5Tget_size(base.get()) != 1)
    return false;
  for (unsigned i = 0; i < 2; ++i) {
    char* name = H5Tget_member_name(type, i);
    if (!name) return false;
    std::string n(name);
    H5free_memory(name);
    std::int8_t value = -1;
    if (H5Tget_member_value(type, i, &value) < 0) return false;
    if (!((n == "FALSE" && value == 0) || (n == "TRUE" && value == 1))) return false;
  }
  return true;
}

}  // namespace

Id memory_type(DType type, const std::string& where) {
  switch (type) {
    case DType::float64:
      return H5T_NATIVE_DOUBLE;
    case DType::float32:
      return H5T_NATIVE_FLOAT;
    case DType::int64:
      return H5T_NATIVE_INT64;
    case DType::int32:
      return H5T_NATIVE_INT32;
    case DType::uint64:
      return H5T_NATIVE_UINT64;
    case DType::boolean: {
      static const hid_t bool_type = make_bool_type();
      return bool_type;
    }
    case DType::string:
    case DType::timestamp:
      break;
  }
  throw UsageError(
      fmt::format("{}: Pando reads and writes HDF5 data as float64, float32, int64, "
                  "int32, uint64 or bool, not {}",
                  where, pando::to_string(type)));
}

TypeId string_type(std::int64_t width, const std::string& where) {
  TypeId t(check_id(H5Tcopy(H5T_C_S1), where, "cannot make a string type"));
  check(H5Tset_size(t.get(), width > 0 ? static_cast<std::size_t>(width) : H5T_VARIABLE), where,
        "cannot make a string type");
  check(H5Tset_cset(t.get(), H5T_CSET_UTF8), where, "cannot make a string type");
  if (width > 0) check(H5Tset_strpad(t.get(), H5T_STR_NULLPAD), where, "cannot make a string type");
  return t;
}

std::optional<DType> dtype_of_stored(Id type, std::string& name, NarrowInt* narrow) {
  const std::size_t size = H5Tget_size(type);
  if (narrow) *narrow = NarrowInt::none;
  switch (H5Tget_class(type)) {
    case H5T_INTEGER: {
      const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
      name = fmt::format("{}int{}", is_signed ? "" : "u", 8 * size);
      if (is_signed && size == 4) return DType::int32;
      if (is_signed && size == 8) return DType::int64;
      if (!is_signed && size == 8) return DType::uint64;
      NarrowInt n = NarrowInt::none;
      if (size == 1) n = is_signed ? NarrowInt::int8 : NarrowInt::uint8;
      if (size == 2) n = is_signed ? NarrowInt::int16 : NarrowInt::uint16;
      if (size == 4 && !is_signed) n = NarrowInt::uint32;
      if (n == NarrowInt::none || !narrow) return std::nullopt;
      *narrow = n;
      return holding_type(n);
    }
    case H5T_FLOAT:
      name = fmt::format("float{}", 8 * size);
      if (size == 4) return DType::float32;
      if (size == 8) return DType::float64;
      return std::nullopt;
    case H5T_ENUM:
      if (is_bool_enum(type)) {
        name = "bool";
        return DType::boolean;
      }
      name = "enum";
      return std::nullopt;
    case H5T_STRING:
      name = "string";
      break;
    case H5T_COMPOUND:
      name = "compound";
      break;
    case H5T_ARRAY:
      name = "array";
      break;
    case H5T_VLEN:
      name = "variable-length sequence";
      break;
    case H5T_OPAQUE:
      name = "opaque";
      break;
    case H5T_BITFIELD:
      name = "bitfield";
      break;
    case H5T_REFERENCE:
      name = "reference";
      break;
    case H5T_TIME:
      name = "time";
      break;
    default:
      name = "unknown";
      break;
  }
  return std::nullopt;
}

}  // namespace pando::h5::detail
