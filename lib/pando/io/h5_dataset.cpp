// Dataset: hyperslab reads and writes, independent or collective.

#include <pando/core/error.hpp>
#include <pando/core/fault.hpp>
#include <pando/io/h5.hpp>
#include <pando/io/detail/h5_internal.hpp>

#include <hdf5.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <string.h>
#include <utility>
#include <exception>
#include <limits>
#include <vector>

namespace pando::h5 {

namespace {

// `n` values of W narrowed to N, clipped to N's range (as HDF5 converts).
template <class N, class W>
std::vector<std::byte> narrowed(const void* in, std::size_t n) {
  std::vector<std::byte> out(n * sizeof(N));
  const W* w = static_cast<const W*>(in);
  for (std::size_t i = 0; i < n; ++i) {
    const auto v = static_cast<N>(
        std::clamp<W>(w[i], std::numeric_limits<N>::min(), std::numeric_limits<N>::max()));
    std::memcpy(out.data() + i * sizeof(N), &v, sizeof(N));
  }
  return out;
}

// The `n` values at `in` of a narrow integer type, held in its holding type, as the narrow type
// (in `out`, when `in` is not null); returns the narrow type's native memory type.
hid_t narrow_values(NarrowInt narrow, const void* in, std::size_t n, std::vector<std::byte>& out) {
  switch (narrow) {
    case NarrowInt::int8:
      if (in) out = narrowed<std::int8_t, std::int32_t>(in, n);
      return H5T_NATIVE_INT8;
    case NarrowInt::int16:
      if (in) out = narrowed<std::int16_t, std::int32_t>(in, n);
      return H5T_NATIVE_INT16;
    case NarrowInt::uint8:
      if (in) out = narrowed<std::uint8_t, std::int32_t>(in, n);
      return H5T_NATIVE_UINT8;
    case NarrowInt::uint16:
      if (in) out = narrowed<std::uint16_t, std::int32_t>(in, n);
      return H5T_NATIVE_UINT16;
    case NarrowInt::uint32:
      if (in) out = narrowed<std::uint32_t, std::int64_t>(in, n);
      return H5T_NATIVE_UINT32;
    case NarrowInt::none:
      break;
  }
  return -1;
}

}  // namespace

Dataset& Dataset::operator=(Dataset&& o) noexcept {
  if (this != &o) {
    id_.reset();  // before the file it belongs to may close
    id_ = std::move(o.id_);
    file_ = std::move(o.file_);
    info_ = std::move(o.info_);
  }
  return *this;
}

Dataset::~Dataset() = default;  // members go in reverse order: the dataset, then the file

void Dataset::close() {
  id_.close(info_.where());
  file_.reset();
}

void Dataset::check_buffer(std::size_t size, std::span<const std::int64_t> count) const {
  std::int64_t n = 1;
  for (auto c : count) n *= c;
  if (static_cast<std::int64_t>(size) != n)
    throw ShapeError(fmt::format("{}: a buffer of {} elements for a selection of {} = {} elements",
                                 info_.where(), size, format_shape(count), n));
}

void Dataset::read(void* out, DType memtype, std::span<const std::int64_t> start,
                   std::span<const std::int64_t> count, Transfer t) const {
  transfer(out, memtype, start, count, t, false);
}

void Dataset::write(const void* in, DType memtype, std::span<const std::int64_t> start,
                    std::span<const std::int64_t> count, Transfer t) {
  transfer(const_cast<void*>(in), memtype, start, count, t, true);
}

void Dataset::check_request(DType memtype, std::span<const std::int64_t> start,
                            std::span<const std::int64_t> count, Transfer mode,
                            bool writing) const {
  const std::string where = info_.where();
  const char* verb = writing ? "write" : "read";
  const std::size_t rank = info_.shape.size();
  if (start.size() != rank || count.size() != rank)
    throw ShapeError(fmt::format(
        "{}: cannot {} a selection of start {} count {} in a dataset of shape {} ({} dimensions)",
        where, verb, format_shape(start), format_shape(count), format_shape(info_.shape), rank));
  for (std::size_t i = 0; i < rank; ++i)
    if (start[i] < 0 || count[i] < 0 || start[i] + count[i] > info_.shape[i])
      throw ShapeError(fmt::format("{}: selection start {} count {} is outside shape {}", where,
                                   format_shape(start), format_shape(count),
                                   format_shape(info_.shape)));
  if ((memtype == DType::boolean) != (info_.type == DType::boolean))
    throw TypeError(fmt::format(
        "{} has type {}; {} it as {}, not {}", where, pando::to_string(info_.type), verb,
        info_.type == DType::boolean ? "bool" : "a number", pando::to_string(memtype)));
  (void)detail::memory_type(memtype, where);
  if (writing) {
    if (!file_->writable)
      throw UsageError(fmt::format("{}: cannot write: the file is open read-only", where));
    // Parallel HDF5 1.10 writes filtered chunks only collectively (each chunk is compressed
    // by one rank after the others sent it their parts).
    if (!info_.filters.empty() && mode == Transfer::independent)
      throw UsageError(fmt::format(
          "{} is compressed ({}): parallel HDF5 writes compressed datasets with collective "
          "transfers only (use Transfer::collective)",
          where, fmt::join(info_.filters, ", ")));
  }
}

void Dataset::transfer(void* buffer, DType memtype, std::span<const std::int64_t> start,
                       std::span<const std::int64_t> count, Transfer mode, bool writing) const {
  const std::string where = info_.where();
  const char* verb = writing ? "write" : "read";
  if (!id_.valid())
    throw UsageError(fmt::format("{}: cannot {}: the dataset is closed", where, verb));
  const std::size_t rank = info_.shape.size();
  // A collective transfer takes part in its call even when this rank's request is wrong (the
  // other ranks are in it): with an empty selection, throwing the error after the call.
  std::exception_ptr invalid;
  const std::vector<std::int64_t> nothing(rank, 0);
  try {
    check_request(memtype, start, count, mode, writing);
  } catch (const std::exception&) {
    if (mode == Transfer::independent) throw;
    invalid = std::current_exception();
    start = nothing;
    count = nothing;
    memtype = info_.type;
    buffer = nullptr;
  }
  std::int64_t elements = 1;
  for (std::size_t i = 0; i < rank; ++i) elements *= count[i];
  hid_t mtype = detail::memory_type(memtype, where);
  // Writing narrow integers from the type that holds them: narrowed here, not by HDF5, whose
  // parallel writes break collective transfers on a type conversion (on any rank, even one that
  // writes nothing) and cannot write filtered (compressed) datasets with one at all.
  std::vector<std::byte> narrow_copy;
  if (writing && info_.narrow != NarrowInt::none && memtype == holding_type(info_.narrow)) {
    mtype = narrow_values(info_.narrow, elements > 0 ? buffer : nullptr,
                          static_cast<std::size_t>(elements), narrow_copy);
    if (!narrow_copy.empty()) buffer = narrow_copy.data();
  }
  // An independent transfer of nothing is no transfer; a collective one must still be made
  // (every rank makes the same number of collective calls), with empty selections. A dataset
  // without elements has nothing to transfer on any rank: no call at all (parallel HDF5 1.10
  // fails on the unallocated storage of such a dataset).
  if (elements == 0 && (mode == Transfer::independent || info_.elements() == 0)) {
    if (invalid) std::rethrow_exception(invalid);
    return;
  }

  const std::string what =
      fmt::format("cannot {} start {} count {}", verb, format_shape(start), format_shape(count));
  detail::SpaceId file_space(detail::check_id(H5Dget_space(id_.get()), where, what));
  detail::SpaceId memory_space;
  if (rank == 0) {
    memory_space = detail::SpaceId(detail::check_id(H5Screate(H5S_SCALAR), where, what));
  } else {
    std::vector<hsize_t> dims(count.begin(), count.end());
    if (elements == 0)
      for (auto& d : dims) d = std::max<hsize_t>(d, 1);
    memory_space = detail::SpaceId(detail::check_id(
        H5Screate_simple(static_cast<int>(rank), dims.data(), nullptr), where, what));
  }
  if (elements == 0) {
    detail::check(H5Sselect_none(file_space.get()), where, what);
    detail::check(H5Sselect_none(memory_space.get()), where, what);
  } else if (rank > 0) {
    std::vector<hsize_t> offset(start.begin(), start.end()), extent(count.begin(), count.end());
    detail::check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, offset.data(), nullptr,
                                      extent.data(), nullptr),
                  where, what);
  }
  if (!writing && !allocated()) {
    if (elements == 0) return;
    // Never written (h5py allocates storage on the first write): the fill value, as HDF5 gives
    // it serially; parallel HDF5 1.10 fails on unallocated contiguous storage. Every rank sees
    // the same status, so all or none of them skip the collective call.
    detail::PlistId dcpl(detail::check_id(H5Dget_create_plist(id_.get()), where, what));
    std::vector<unsigned char> fill(H5Tget_size(mtype));
    detail::check(H5Pget_fill_value(dcpl.get(), mtype, fill.data()), where, what);
    detail::check(H5Dfill(fill.data(), mtype, buffer, mtype, memory_space.get()), where, what);
    return;
  }
  const hid_t dxpl = mode == Transfer::collective ? file_->collective_transfer.get()
                                                  : file_->independent_transfer.get();
  const herr_t rc =
      writing ? H5Dwrite(id_.get(), mtype, memory_space.get(), file_space.get(), dxpl, buffer)
              : H5Dread(id_.get(), mtype, memory_space.get(), file_space.get(), dxpl, buffer);
  // After the call: a collective transfer fails on one rank after it took part (as MPI-IO
  // reports a failed write), never by leaving the others waiting in it.
  if (invalid) std::rethrow_exception(invalid);
  if (elements > 0) fault::point(writing ? fault::Point::write : fault::Point::read);
  detail::check(rc, where, what);
}

namespace {

// The file and memory spaces of elements [start, start + count) of a 1-D dataset.
std::pair<detail::SpaceId, detail::SpaceId> row_spaces(hid_t dataset, std::int64_t start,
                                                       std::int64_t count, const std::string& where,
                                                       const std::string& what) {
  detail::SpaceId file_space(detail::check_id(H5Dget_space(dataset), where, what));
  const hsize_t offset = static_cast<hsize_t>(start), extent = static_cast<hsize_t>(count);
  detail::check(
      H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &offset, nullptr, &extent, nullptr),
      where, what);
  detail::SpaceId memory_space(
      detail::check_id(H5Screate_simple(1, &extent, nullptr), where, what));
  return {std::move(file_space), std::move(memory_space)};
}

}  // namespace

void Dataset::write_strings(const char* in, std::int64_t start, std::int64_t count) {
  const std::string where = info_.where();
  if (!id_.valid()) throw UsageError(fmt::format("{}: cannot write: the dataset is closed", where));
  if (info_.type != DType::string || info_.string_width < 1 || info_.shape.size() != 1)
    throw TypeError(fmt::format("{} is not a 1-D dataset of fixed-length strings", where));
  if (!file_->writable)
    throw UsageError(fmt::format("{}: cannot write: the file is open read-only", where));
  if (start < 0 || count < 0 || start + count > info_.shape[0])
    throw ShapeError(fmt::format("{}: strings [{}, {}) are outside its {}", where, start,
                                 start + count, info_.shape[0]));
  if (count == 0) return;
  const std::string what = fmt::format("cannot write strings [{}, {})", start, start + count);
  auto [file_space, memory_space] = row_spaces(id_.get(), start, count, where, what);
  const detail::TypeId type = detail::string_type(info_.string_width, where);
  const herr_t rc = H5Dwrite(id_.get(), type.get(), memory_space.get(), file_space.get(),
                             file_->independent_transfer.get(), in);
  fault::point(fault::Point::write);
  detail::check(rc, where, what);
}

void Dataset::read_strings(std::int64_t start, std::int64_t count, std::vector<char>& chars,
                           std::vector<std::int64_t>& ends) const {
  const std::string where = info_.where();
  if (!id_.valid()) throw UsageError(fmt::format("{}: cannot read: the dataset is closed", where));
  if (info_.type != DType::string || info_.shape.size() != 1)
    throw TypeError(fmt::format("{} is not a 1-D dataset of strings", where));
  if (start < 0 || count < 0 || start + count > info_.shape[0])
    throw ShapeError(fmt::format("{}: strings [{}, {}) are outside its {}", where, start,
                                 start + count, info_.shape[0]));
  auto append = [&](const char* s, std::size_t max) {
    const std::size_t n = s ? strnlen(s, max) : 0;
    chars.insert(chars.end(), s, s + n);
    ends.push_back(static_cast<std::int64_t>(chars.size()));
  };
  if (count == 0) return;
  if (!allocated()) {  // never written: empty strings
    for (std::int64_t i = 0; i < count; ++i) append(nullptr, 0);
    return;
  }
  const std::string what = fmt::format("cannot read strings [{}, {})", start, start + count);
  auto [file_space, memory_space] = row_spaces(id_.get(), start, count, where, what);
  const detail::TypeId type = detail::string_type(info_.string_width, where);
  const auto n = static_cast<std::size_t>(count);
  if (info_.string_width > 0) {
    const auto width = static_cast<std::size_t>(info_.string_width);
    std::vector<char> fixed(n * width);
    const herr_t rc = H5Dread(id_.get(), type.get(), memory_space.get(), file_space.get(),
                              file_->independent_transfer.get(), fixed.data());
    fault::point(fault::Point::read);
    detail::check(rc, where, what);
    for (std::size_t i = 0; i < n; ++i) append(fixed.data() + i * width, width);
    return;
  }
  std::vector<char*> pointers(n, nullptr);
  const herr_t rc = H5Dread(id_.get(), type.get(), memory_space.get(), file_space.get(),
                            file_->independent_transfer.get(), pointers.data());
  fault::point(fault::Point::read);
  detail::check(rc, where, what);
  for (char* s : pointers) append(s, s ? std::strlen(s) : 0);
  H5Dvlen_reclaim(type.get(), memory_space.get(), H5P_DEFAULT, pointers.data());
}

bool Dataset::allocated() const {
  H5D_space_status_t status{};
  detail::check(H5Dget_space_status(id_.get(), &status), info_.where(), "cannot read its status");
  return status != H5D_SPACE_STATUS_NOT_ALLOCATED;
}

void Dataset::write_attributes(const Attributes& attributes) {
  const std::string where = info_.where();
  if (!id_.valid())
    throw UsageError(fmt::format("{}: cannot write attributes: the dataset is closed", where));
  if (!file_->writable)
    throw UsageError(fmt::format("{}: cannot write attributes: the file is open read-only", where));
  detail::write_attributes(id_.get(), attributes, where);
  for (const auto& [name, value] : attributes.values) info_.attributes.set(name, value);
}

void Dataset::write_attribute(const std::string& name, const AttributeValue& value) {
  Attributes one;
  one.set(name, value);
  write_attributes(one);
}

void copy_attributes(const Dataset& from, Dataset& to) {
  Attributes a = from.attributes();
  a.skipped.clear();
  to.write_attributes(a);
}

}  // namespace pando::h5
