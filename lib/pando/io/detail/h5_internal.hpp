#pragma once
// Private to lib/pando/io/h5_*.cpp: helpers the HDF5 wrapper's source files share. Identifiers
// are std::int64_t (hid_t), so this header, like every header of Pando, needs no HDF5 header.

#include <pando/core/dtype.hpp>
#include <pando/io/h5.hpp>
#include <pando/io/h5_handle.hpp>

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace pando::h5::detail {

// Once per process: turns off HDF5's printing of its error stack (H5Eset_auto2).
void init();

// The innermost cause on HDF5's error stack ("file signature not found"), whitespace folded;
// clears the stack. Empty when the stack is empty.
std::string take_error();
// " (HDF5: <cause>)", or "" when HDF5 said nothing.
std::string hdf5_says();
// Throws IoError("<where>: <what> (HDF5: <cause>)").
[[noreturn]] void fail(const std::string& where, const std::string& what);

// Throws IoError via fail() when `id` < 0; returns it otherwise.
Id check_id(Id id, const std::string& where, const std::string& what);
// Throws IoError via fail() when `rc` < 0.
void check(int rc, const std::string& where, const std::string& what);

// Serial. IoError unless `path` is a readable HDF5 file ("<path>: no such file", "<path>: not an
// HDF5 file", ...).
void check_hdf5_file(const std::string& path);
// Serial. IoError unless a file can be created at `path` (its directory exists).
void check_creatable(const std::string& path);

// "/x" for "x", "/grp/x" for "grp//x/"; "/" for "".
std::string normalize_path(const std::string& path);
// "/grp" for "/grp/x", "/" for "/x".
std::string parent_path(const std::string& path);
// "x" for "/grp/x".
std::string base_name(const std::string& path);

// The memory type for a DType (a predefined HDF5 type, or Pando's boolean enum, which stays
// open for the life of the process). UsageError for string and timestamp.
Id memory_type(DType type, const std::string& where);
// A UTF-8 string type: fixed-length of `width` bytes, NUL-padded, or variable-length (0).
TypeId string_type(std::int64_t width, const std::string& where);
// The DType of a type stored in a file, or nullopt; `name` gets its NumPy-like name ("uint16",
// "compound", "string", ...). Integers narrower than Pando's types (int8, int16, uint8, uint16,
// uint32) give their holding type and set *narrow when `narrow` is given; nullopt otherwise.
std::optional<DType> dtype_of_stored(Id type, std::string& name, NarrowInt* narrow = nullptr);

// A link creation property list that creates missing groups.
PlistId intermediate_groups();
// True when `path` (absolute) names an object, every link on the way existing.
bool object_exists(Id file, const std::string& path);
// The paths of all datasets under the root group, sorted.
std::vector<std::string> dataset_paths(Id file, const std::string& where);

// Opens the dataset `path` of `file`, with inspect()'s messages for missing objects, groups and
// unreadable types, and describes it (`file_name` names the file in messages).
DatasetId open_described(Id file, const std::string& file_name, const std::string& path,
                         DatasetInfo& info);

// Attributes of an object (open identifier).
Attributes read_attributes(Id object, const std::string& where);
// Creates or replaces each attribute of `attributes` on the object. Collective on a parallel
// file.
void write_attributes(Id object, const Attributes& attributes, const std::string& where);

}  // namespace pando::h5::detail
