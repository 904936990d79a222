// Attributes: small values attached to groups and datasets (units, scale factors, schemas),
// read all at once into a serializable value and written back.

#include <pando/core/error.hpp>
#include <pando/io/h5.hpp>
#include <pando/io/detail/h5_internal.hpp>

#include <hdf5.h>

#include <fmt/format.h>

#include <exception>
#include <functional>

namespace pando::h5 {

// ---- AttributeValue -------------------------------------------------------------------------

AttributeValue AttributeValue::of(bool v) {
  AttributeValue a;
  a.type = DType::boolean;
  a.ints = {v ? 1 : 0};
  return a;
}
AttributeValue AttributeValue::of(std::int32_t v) {
  AttributeValue a;
  a.type = DType::int32;
  a.ints = {v};
  return a;
}
AttributeValue AttributeValue::of(std::int64_t v) {
  AttributeValue a;
  a.type = DType::int64;
  a.ints = {v};
  return a;
}
AttributeValue AttributeValue::of(float v) {
  AttributeValue a;
  a.type = DType::float32;
  a.floats = {v};
  return a;
}
AttributeValue AttributeValue::of(double v) {
  AttributeValue a;
  a.type = DType::float64;
  a.floats = {v};
  return a;
}
AttributeValue AttributeValue::of(std::string v) {
  AttributeValue a;
  a.type = DType::string;
  a.strings = {std::move(v)};
  return a;
}
AttributeValue AttributeValue::of(std::vector<std::int64_t> v) {
  AttributeValue a;
  a.type = DType::int64;
  a.shape = {static_cast<std::int64_t>(v.size())};
  a.ints = std::move(v);
  return a;
}
AttributeValue AttributeValue::of(std::vector<double> v) {
  AttributeValue a;
  a.type = DType::float64;
  a.shape = {static_cast<std::int64_t>(v.size())};
  a.floats = std::move(v);
  return a;
}
AttributeValue AttributeValue::of(std::vector<std::string> v) {
  AttributeValue a;
  a.type = DType::string;
  a.shape = {static_cast<std::int64_t>(v.size())};
  a.strings = std::move(v);
  return a;
}

std::size_t AttributeValue::size() const noexcept {
  std::size_t n = 1;
  for (auto d : shape) n *= static_cast<std::size_t>(d);
  return n;
}

double AttributeValue::as_double() const {
  if (is_scalar() && is_floating(type) && floats.size() == 1) return floats[0];
  if (is_scalar() && type != DType::string && ints.size() == 1) return static_cast<double>(ints[0]);
  throw TypeError(fmt::format("attribute value {} is not a number", to_string()));
}

std::int64_t AttributeValue::as_int64() const {
  if (is_scalar() && (is_integer(type) || type == DType::boolean) && ints.size() == 1)
    return ints[0];
  throw TypeError(fmt::format("attribute value {} is not an integer", to_string()));
}

const std::string& AttributeValue::as_string() const {
  if (is_scalar() && type == DType::string && strings.size() == 1) return strings[0];
  throw TypeError(fmt::format("attribute value {} is not a string", to_string()));
}

namespace {

// One element as Python's repr() prints it.
std::string element(const AttributeValue& a, std::size_t i) {
  switch (a.type) {
    case DType::boolean:
      return a.ints.at(i) ? "True" : "False";
    case DType::int32:
    case DType::int64:
      return fmt::format("{}", a.ints.at(i));
    case DType::float32:
    case DType::float64: {
      std::string s = a.type == DType::float32
                          ? fmt::format("{}", static_cast<float>(a.floats.at(i)))
                          : fmt::format("{}", a.floats.at(i));
      if (s.find_first_of(".eni") == std::string::npos) s += ".0";
      return s;
    }
    default:
      return fmt::format("'{}'", a.strings.at(i));
  }
}

void nested(const AttributeValue& a, std::size_t dim, std::size_t& next, std::string& out) {
  out += '[';
  for (std::int64_t k = 0; k < a.shape[dim]; ++k) {
    if (k) out += ", ";
    if (dim + 1 == a.shape.size())
      out += element(a, next++);
    else
      nested(a, dim + 1, next, out);
  }
  out += ']';
}

}  // namespace

std::string AttributeValue::to_string() const {
  if (is_scalar()) return element(*this, 0);
  std::string out;
  std::size_t next = 0;
  nested(*this, 0, next, out);
  return out;
}

const AttributeValue* Attributes::find(const std::string& name) const {
  auto it = values.find(name);
  return it == values.end() ? nullptr : &it->second;
}

namespace detail {

namespace {

// A variable-length UTF-8 string type, as h5py writes Python strings.
TypeId vlen_string_type(const std::string& where) {
  TypeId t(check_id(H5Tcopy(H5T_C_S1), where, "cannot make a string type"));
  check(H5Tset_size(t.get(), H5T_VARIABLE), where, "cannot make a string type");
  check(H5Tset_cset(t.get(), H5T_CSET_UTF8), where, "cannot make a string type");
  return t;
}

void read_strings(hid_t attr, hid_t ftype, hid_t space, std::size_t n, AttributeValue& out,
                  const std::string& where) {
  out.type = DType::string;
  if (H5Tis_variable_str(ftype) > 0) {
    TypeId mtype = vlen_string_type(where);
    check(H5Tset_cset(mtype.get(), H5Tget_cset(ftype)), where, "cannot read");
    std::vector<char*> ptrs(n, nullptr);
    check(H5Aread(attr, mtype.get(), ptrs.data()), where, "cannot read");
    for (char* p : ptrs) out.strings.emplace_back(p ? p : "");
    H5Dvlen_reclaim(mtype.get(), space, H5P_DEFAULT, ptrs.data());
    return;
  }
  const std::size_t width = H5Tget_size(ftype);
  TypeId mtype(check_id(H5Tcopy(ftype), where, "cannot read"));
  std::vector<char> bytes(n * width);
  check(H5Aread(attr, mtype.get(), bytes.data()), where, "cannot read");
  const bool space_padded = H5Tget_strpad(ftype) == H5T_STR_SPACEPAD;
  for (std::size_t i = 0; i < n; ++i) {
    std::string s(bytes.data() + i * width, width);
    s.resize(std::min(s.size(), s.find('\0')));
    if (space_padded) s.resize(s.find_last_not_of(' ') + 1);
    out.strings.push_back(std::move(s));
  }
}

// Reads one attribute, or says why it cannot (the name of its type).
std::optional<AttributeValue> read_one(hid_t object, const char* name, std::string& why,
                                       const std::string& where) {
  AttrId attr(check_id(H5Aopen(object, name, H5P_DEFAULT), where, "cannot open"));
  TypeId ftype(check_id(H5Aget_type(attr.get()), where, "cannot read the type"));
  SpaceId space(check_id(H5Aget_space(attr.get()), where, "cannot read the shape"));
  AttributeValue out;
  switch (H5Sget_simple_extent_type(space.get())) {
    case H5S_SCALAR:
      break;
    case H5S_SIMPLE: {
      const int rank = H5Sget_simple_extent_ndims(space.get());
      std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
      check(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), where,
            "cannot read the shape");
      out.shape.assign(dims.begin(), dims.end());
      break;
    }
    default:
      why = "empty";
      return std::nullopt;
  }
  const std::size_t n = out.size();
  const H5T_class_t cls = H5Tget_class(ftype.get());
  if (cls == H5T_STRING) {
    read_strings(attr.get(), ftype.get(), space.get(), n, out, where);
    return out;
  }
  auto dtype = dtype_of_stored(ftype.get(), why);
  if (!dtype || *dtype == DType::uint64) {
    // Other integers (uint64 too: attributes hold int64) and floats widen to int64 and float64;
    // other types are not carried.
    if (cls == H5T_INTEGER)
      dtype = DType::int64;
    else if (cls == H5T_FLOAT)
      dtype = DType::float64;
    else
      return std::nullopt;
  }
  out.type = *dtype;
  if (is_floating(out.type)) {
    out.floats.resize(n);
    check(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, out.floats.data()), where, "cannot read");
  } else if (out.type == DType::boolean) {
    std::vector<std::int8_t> v(n);
    check(H5Aread(attr.get(), memory_type(DType::boolean, where), v.data()), where, "cannot read");
    out.ints.assign(v.begin(), v.end());
  } else {
    out.ints.resize(n);
    check(H5Aread(attr.get(), H5T_NATIVE_INT64, out.ints.data()), where, "cannot read");
  }
  return out;
}

struct ReadState {
  Attributes* out;
  const std::string* where;
  std::exception_ptr error;
};

herr_t read_cb(hid_t object, const char* name, const H5A_info_t*, void* data) {
  auto* state = static_cast<ReadState*>(data);
  try {
    std::string why;
    const std::string where = fmt::format("{}: attribute '{}'", *state->where, name);
    if (auto value = read_one(object, name, why, where))
      state->out->values.emplace(name, std::move(*value));
    else
      state->out->skipped.push_back(fmt::format("{} ({})", name, why));
    return 0;
  } catch (...) {
    // No exception crosses HDF5's C frames.
    state->error = std::current_exception();
    return -1;
  }
}

}  // namespace

Attributes read_attributes(Id object, const std::string& where) {
  Attributes out;
  ReadState state{&out, &where, nullptr};
  const herr_t rc = H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, nullptr, read_cb, &state);
  if (state.error) {
    H5Eclear2(H5E_DEFAULT);
    std::rethrow_exception(state.error);
  }
  check(rc, where, "cannot read the attributes");
  return out;
}

void write_attributes(Id object, const Attributes& attributes, const std::string& at) {
  for (const auto& [name, value] : attributes.values) {
    const std::string where = fmt::format("{}: attribute '{}'", at, name);
    const std::size_t n = value.size();
    const std::size_t have = value.type == DType::string ? value.strings.size()
                             : is_floating(value.type)   ? value.floats.size()
                                                         : value.ints.size();
    if (have != n)
      throw UsageError(
          fmt::format("{}: {} values for shape {}", where, have, format_shape(value.shape)));
    std::vector<hsize_t> dims(value.shape.begin(), value.shape.end());
    SpaceId space(check_id(
        value.is_scalar() ? H5Screate(H5S_SCALAR)
                          : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
        where, "cannot write"));
    // The element type in the file, the one in memory, and the bytes.
    TypeId owned;
    hid_t ftype = -1, mtype = -1;
    const void* data = nullptr;
    std::vector<std::int8_t> i8;
    std::vector<std::int32_t> i32;
    std::vector<float> f32;
    std::vector<const char*> chars;
    switch (value.type) {
      case DType::boolean:
        ftype = mtype = memory_type(DType::boolean, where);
        i8.assign(value.ints.begin(), value.ints.end());
        data = i8.data();
        break;
      case DType::int32:
        ftype = H5T_STD_I32LE;
        mtype = H5T_NATIVE_INT32;
        i32.assign(value.ints.begin(), value.ints.end());
        data = i32.data();
        break;
      case DType::int64:
        ftype = H5T_STD_I64LE;
        mtype = H5T_NATIVE_INT64;
        data = value.ints.data();
        break;
      case DType::float32:
        ftype = H5T_IEEE_F32LE;
        mtype = H5T_NATIVE_FLOAT;
        f32.assign(value.floats.begin(), value.floats.end());
        data = f32.data();
        break;
      case DType::float64:
        ftype = H5T_IEEE_F64LE;
        mtype = H5T_NATIVE_DOUBLE;
        data = value.floats.data();
        break;
      case DType::string:
        owned = vlen_string_type(where);
        ftype = mtype = owned.get();
        for (const auto& s : value.strings) chars.push_back(s.c_str());
        data = chars.data();
        break;
      case DType::timestamp:
        throw UsageError(fmt::format("{}: timestamps are not stored as attributes", where));
      case DType::uint64:
        throw UsageError(fmt::format("{}: uint64 is not stored as attributes", where));
    }
    const htri_t exists = H5Aexists(object, name.c_str());
    check(exists, where, "cannot write");
    if (exists > 0) check(H5Adelete(object, name.c_str()), where, "cannot replace");
    AttrId attr(
        check_id(H5Acreate2(object, name.c_str(), ftype, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                 where, "cannot create"));
    check(H5Awrite(attr.get(), mtype, data), where, "cannot write");
    attr.close(where);
  }
}

}  // namespace detail

}  // namespace pando::h5
