#pragma once
// Pando's HDF5 layer, namespace pando::h5: an RAII wrapper over the HDF5 C API (parallel HDF5 on
// MPI-IO), implemented in io/h5_{file,dataset,attributes,inspect}.cpp.
//
//   // while building a graph: rank 0 looks, every rank learns (or throws the same error)
//   h5::DatasetInfo info = h5::inspect(comm, "data.h5", "/x");
//   // in a task: every rank opens (collective) and reads its own hyperslab
//   h5::File f = h5::File::open(comm, "data.h5");
//   h5::Dataset x = f.open_dataset("/x");
//   std::vector<double> block(rows * cols);
//   x.read(std::span(block), {r0, 0}, {rows, cols}, h5::Transfer::collective);
//
// Collective calls (marked "Collective") must be made by every rank of the file's communicator,
// in the same order: opening, creating and closing files and datasets, creating groups, links
// and attributes, and reads and writes with Transfer::collective. The HDF5 calls of a rank all
// happen on one thread (docs/architecture.md §3.5: the parallel HDF5 build is not thread-safe).
//
// Errors are pando::IoError (pando::ShapeError for a selection outside a dataset,
// pando::TypeError for a memory type HDF5 cannot convert to, pando::UsageError for API misuse),
// one line each, naming the file and the dataset ("data.h5:/x ..."); where HDF5's own error
// stack says more, its innermost cause is appended ("(HDF5: ...)"). HDF5 never prints to
// stderr.

#include <pando/core/comm.hpp>
#include <pando/core/dtype.hpp>
#include <pando/io/h5_handle.hpp>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pando::h5 {

enum class Access : std::uint8_t { read, read_write };

// How a read or write moves data (H5Pset_dxpl_mpio). Independent: each rank on its own.
// Collective: every rank of the file's communicator makes the same number of calls (a rank with
// nothing to move passes an empty count), and MPI-IO may aggregate their accesses.
// Measured (2 ranks, a 2 GiB float64 dataset in 1024x1024 chunks, from the page cache): one
// hyperslab per rank (each chunk lands strided in memory) reads at 10.5-14.5 GB/s collective but
// 6-7 GB/s independent (HDF5 then reads each chunk row by row); blocks that are whole chunks, one
// call each, at 12-17.5 GB/s independent and 11-17 GB/s collective, but collective per-block
// calls collapse (0.7 GB/s) when another process shares a rank's core: each call waits for all.
enum class Transfer : std::uint8_t { independent, collective };

// What a new dataset holds where nothing was written yet.
enum class Fill : std::uint8_t {
  // Zeros, as h5py gives. In parallel HDF5 allocates a dataset's storage when it is created and
  // writes the zeros then: a full extra write (2 GiB: 1-10 s here, against 0.5-5 s for the data).
  zeros,
  // Nothing: no extra write, for datasets whose every element is written (an array's blocks).
  // Unwritten elements read as whatever the file held there. Compressed datasets always fill
  // (compressed zeros cost little, and a chunk must decode).
  none,
};

// A shape as NumPy prints it: "(37, 23)", "(5,)", "()".
std::string format_shape(std::span<const std::int64_t> shape);

// ---- attributes -----------------------------------------------------------------------------

// The value of one attribute: a scalar or an N-d array of booleans, numbers or strings. Other
// attribute types (compound, enum, reference, ...) are not carried (see Attributes::skipped).
struct AttributeValue {
  DType type = DType::float64;       // boolean, int32, int64, float32, float64 or string
  std::vector<std::int64_t> shape;   // empty: a scalar
  std::vector<std::int64_t> ints;    // boolean (0/1), int32, int64; row-major
  std::vector<double> floats;        // float32, float64
  std::vector<std::string> strings;  // string (UTF-8)

  static AttributeValue of(bool v);
  static AttributeValue of(std::int32_t v);
  static AttributeValue of(std::int64_t v);
  static AttributeValue of(float v);
  static AttributeValue of(double v);
  static AttributeValue of(std::string v);
  static AttributeValue of(const char* v) { return of(std::string(v)); }
  // 1-d arrays.
  static AttributeValue of(std::vector<std::int64_t> v);
  static AttributeValue of(std::vector<double> v);
  static AttributeValue of(std::vector<std::string> v);

  [[nodiscard]] bool is_scalar() const noexcept { return shape.empty(); }
  // Number of elements (1 for a scalar).
  [[nodiscard]] std::size_t size() const noexcept;
  // The value of a numeric or boolean scalar; TypeError otherwise.
  [[nodiscard]] double as_double() const;
  // The value of an integer or boolean scalar; TypeError otherwise.
  [[nodiscard]] std::int64_t as_int64() const;
  // The value of a string scalar; TypeError otherwise.
  [[nodiscard]] const std::string& as_string() const;
  // "0.5", "'m/s'", "True", "[1, 2, 3]", "[[1, 2], [3, 4]]" (as Python prints it).
  [[nodiscard]] std::string to_string() const;

  bool operator==(const AttributeValue&) const = default;

  template <class A>
  void serialize(A& a, unsigned) {
    a& type& shape& ints& floats& strings;
  }
};

// All attributes of an object, by name.
struct Attributes {
  std::map<std::string, AttributeValue> values;
  // "name (type)" of each attribute of a type Pando does not carry; reading does not fail.
  std::vector<std::string> skipped;

  [[nodiscard]] const AttributeValue* find(const std::string& name) const;
  void set(const std::string& name, AttributeValue value) { values[name] = std::move(value); }
  // Adds those of `other`, which replace ours of the same name.
  void merge(const Attributes& other) {
    for (const auto& [name, value] : other.values) values[name] = value;
  }
  [[nodiscard]] bool empty() const noexcept { return values.empty(); }

  bool operator==(const Attributes&) const = default;

  template <class A>
  void serialize(A& a, unsigned) {
    a& values& skipped;
  }
};

// ---- datasets -------------------------------------------------------------------------------

// What Pando knows about a dataset before reading it.
struct DatasetInfo {
  std::string file;     // as the caller named it
  std::string dataset;  // absolute path in the file ("/grp/x")
  // The element type Pando reads it as: the stored type, or for the integers narrower than
  // Pando's types (`narrow`: int8, int16, uint8, uint16 as int32, uint32 as int64) the type
  // that holds every value.
  DType type = DType::float64;
  NarrowInt narrow = NarrowInt::none;
  std::vector<std::int64_t> shape;
  std::vector<std::int64_t> chunks;  // empty: contiguous (or compact) layout
  // A dataset of strings (type string): the bytes of each fixed-length string, or 0 for
  // variable-length ones (as h5py writes str).
  std::int64_t string_width = 0;
  int gzip_level = -1;               // -1: not gzip-compressed
  std::vector<std::string> filters;  // the filter pipeline, in order ("shuffle", "gzip", ...)
  Attributes attributes;

  // "data.h5:/x", the prefix of messages about this dataset.
  [[nodiscard]] std::string where() const { return file + ":" + dataset; }
  [[nodiscard]] std::int64_t elements() const noexcept;
  // NumPy's name of the stored type: "uint8", "float64", "bool", ...
  [[nodiscard]] std::string_view type_name() const noexcept {
    return narrow == NarrowInt::none ? pando::to_string(type) : pando::to_string(narrow);
  }

  bool operator==(const DatasetInfo&) const = default;

  template <class A>
  void serialize(A& a, unsigned) {
    a& file& dataset& type& narrow& shape& chunks& string_width& gzip_level& filters& attributes;
  }
};

// Serial: opens `file` (plain POSIX access, no MPI) and describes `dataset`. For one rank to
// call while a graph is built; the collective overload below broadcasts the result. IoError:
//   data.h5: no such file
//   data.h5: not an HDF5 file
//   data.h5: no dataset '/x' (it has: /a, /grp/b)
//   data.h5:/x is a group, not a dataset
//   data.h5:/x has type float16, which Pando does not read (it reads bool, int8 to int64, uint8
//     to uint64, float32 and float64)
[[nodiscard]] DatasetInfo inspect(const std::string& file, const std::string& dataset);
// Collective. Rank 0 inspects; every rank returns its result or throws its error.
[[nodiscard]] DatasetInfo inspect(const Comm& comm, const std::string& file,
                                  const std::string& dataset);
// Serial: the paths of all datasets in `file`, sorted ("/a", "/grp/b").
[[nodiscard]] std::vector<std::string> list_datasets(const std::string& file);

class Dataset;

// A file opened on every rank of a communicator through HDF5's MPI-IO driver.
class File {
 public:
  File() = default;
  File(File&&) noexcept = default;
  File& operator=(File&& o) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  // Collective (when this is the last holder of the file: see close()). Never throws.
  ~File();

  // Collective. Opens an existing HDF5 file.
  [[nodiscard]] static File open(const Comm& comm, const std::string& path,
                                 Access access = Access::read);
  // Collective. Creates `path`, replacing a file of that name.
  [[nodiscard]] static File create(const Comm& comm, const std::string& path);

  [[nodiscard]] bool is_open() const noexcept { return state_ != nullptr; }
  [[nodiscard]] const std::string& path() const;

  // Collective. Opens a dataset by its path ("x" and "/x" are the same); the errors of
  // inspect().
  [[nodiscard]] Dataset open_dataset(const std::string& name) const;
  // Collective. Creates a dataset of `shape`, chunked by `chunks` (each clamped to the shape;
  // empty: contiguous), gzip-compressed at `gzip_level` 0-9 (-1: none; needs chunks), creating
  // missing groups on the way. It stores `type`, or the narrow integer type `narrow` held in
  // `type` (holding_type(narrow) == type; reads and writes in `type` convert).
  [[nodiscard]] Dataset create_dataset(const std::string& name, DType type,
                                       std::span<const std::int64_t> shape,
                                       std::span<const std::int64_t> chunks = {},
                                       int gzip_level = -1, Fill fill = Fill::zeros,
                                       NarrowInt narrow = NarrowInt::none);
  // Collective. Creates a 1-D dataset of `length` fixed-length UTF-8 strings of `width` bytes
  // each (NUL-padded; width at least 1), contiguous, every element to be written.
  [[nodiscard]] Dataset create_string_dataset(const std::string& name, std::int64_t length,
                                              std::int64_t width);
  // True when `path` names an object (group, dataset, ...) in the file.
  [[nodiscard]] bool contains(const std::string& path) const;
  // Collective. Creates a group and any missing parents (nothing if it exists).
  void create_group(const std::string& path);
  // Collective. Renames the link `from` to `to` (H5Lmove), creating missing groups; IoError if
  // `to` exists.
  void move_link(const std::string& from, const std::string& to);
  // Collective. Removes the link `path` (the file does not shrink: HDF5 does not reclaim space).
  void unlink(const std::string& path);
  // The paths of all datasets in the file, sorted.
  [[nodiscard]] std::vector<std::string> datasets() const;

  // The attributes of the object at `path` (a group or dataset; "/" is the root group).
  [[nodiscard]] Attributes attributes(const std::string& path) const;
  // Collective, with the same values on every rank. Sets (creates or replaces) attributes.
  void write_attributes(const std::string& path, const Attributes& attributes);

  // Collective. Writes HDF5's buffers to the file.
  void flush();
  // Collective. Closes the file now; UsageError if Datasets opened from it are still alive
  // (close them first). Without close(), the file closes when the File and all Datasets from it
  // are destroyed.
  void close();

 private:
  explicit File(std::shared_ptr<detail::FileState> state) : state_(std::move(state)) {}
  [[nodiscard]] detail::FileState& state() const;

  std::shared_ptr<detail::FileState> state_;
};

// A dataset of a File. Move-only; it keeps its file open.
class Dataset {
 public:
  Dataset() = default;
  Dataset(Dataset&&) noexcept = default;
  Dataset& operator=(Dataset&& o) noexcept;
  Dataset(const Dataset&) = delete;
  Dataset& operator=(const Dataset&) = delete;
  // Collective on a parallel file. Never throws.
  ~Dataset();

  [[nodiscard]] bool is_open() const noexcept { return id_.valid(); }
  [[nodiscard]] const DatasetInfo& info() const noexcept { return info_; }
  [[nodiscard]] const std::vector<std::int64_t>& shape() const noexcept { return info_.shape; }
  [[nodiscard]] DType type() const noexcept { return info_.type; }

  // Reads the hyperslab [start, start + count) into `out`, a contiguous row-major buffer of
  // count[0] * count[1] * ... elements of `memtype` (HDF5 converts between numeric types).
  // A zero count reads nothing; with Transfer::collective the call is still made (every rank
  // makes the same number of collective calls). ShapeError if the hyperslab leaves the shape.
  // A collective transfer always makes its call, even when it then throws (a bad request takes
  // part with an empty selection): one rank's error never leaves the others waiting in it.
  void read(void* out, DType memtype, std::span<const std::int64_t> start,
            std::span<const std::int64_t> count, Transfer transfer = Transfer::independent) const;
  // Writes the hyperslab [start, start + count) from `in`, as read() reads. Compressed
  // datasets take collective writes only (parallel HDF5 1.10 cannot write filtered datasets
  // independently): UsageError otherwise.
  void write(const void* in, DType memtype, std::span<const std::int64_t> start,
             std::span<const std::int64_t> count, Transfer transfer = Transfer::independent);

  // Typed forms: `out` must hold exactly the product of `count` elements.
  template <class T>
  void read(std::span<T> out, std::span<const std::int64_t> start,
            std::span<const std::int64_t> count, Transfer transfer = Transfer::independent) const {
    check_buffer(out.size(), count);
    read(out.data(), dtype_of<T>(), start, count, transfer);
  }
  template <class T>
  void read(std::span<T> out, std::initializer_list<std::int64_t> start,
            std::initializer_list<std::int64_t> count,
            Transfer transfer = Transfer::independent) const {
    read(out, std::span<const std::int64_t>(start.begin(), start.size()),
         std::span<const std::int64_t>(count.begin(), count.size()), transfer);
  }
  template <class T>
  void write(std::span<const T> in, std::span<const std::int64_t> start,
             std::span<const std::int64_t> count, Transfer transfer = Transfer::independent) {
    check_buffer(in.size(), count);
    write(in.data(), dtype_of<T>(), start, count, transfer);
  }
  template <class T>
  void write(std::span<const T> in, std::initializer_list<std::int64_t> start,
             std::initializer_list<std::int64_t> count, Transfer transfer = Transfer::independent) {
    write(in, std::span<const std::int64_t>(start.begin(), start.size()),
          std::span<const std::int64_t>(count.begin(), count.size()), transfer);
  }

  // Strings of a 1-D string dataset, elements [start, start + count): `count` strings of the
  // dataset's width, NUL-padded, back to back (independent).
  void write_strings(const char* in, std::int64_t start, std::int64_t count);
  // Reads elements [start, start + count) of a 1-D string dataset, fixed- or variable-length,
  // appending each string's bytes (up to its first NUL) to `chars` and its end to `ends`
  // (independent).
  void read_strings(std::int64_t start, std::int64_t count, std::vector<char>& chars,
                    std::vector<std::int64_t>& ends) const;

  // The dataset's attributes, as read when it was opened (and updated by write_attributes).
  [[nodiscard]] const Attributes& attributes() const noexcept { return info_.attributes; }
  // Collective, with the same values on every rank. Sets (creates or replaces) attributes.
  void write_attributes(const Attributes& attributes);
  void write_attribute(const std::string& name, const AttributeValue& value);

  // Collective. Closes the dataset now (the destructor does it otherwise).
  void close();

 private:
  friend class File;
  Dataset(std::shared_ptr<detail::FileState> file, detail::DatasetId id, DatasetInfo info)
      : file_(std::move(file)), id_(std::move(id)), info_(std::move(info)) {}
  void check_buffer(std::size_t size, std::span<const std::int64_t> count) const;
  [[nodiscard]] bool allocated() const;
  void check_request(DType memtype, std::span<const std::int64_t> start,
                     std::span<const std::int64_t> count, Transfer mode, bool writing) const;
  void transfer(void* buffer, DType memtype, std::span<const std::int64_t> start,
                std::span<const std::int64_t> count, Transfer transfer, bool writing) const;

  std::shared_ptr<detail::FileState> file_;
  detail::DatasetId id_;
  DatasetInfo info_;
};

// Collective on `to`'s file. Gives `to` the attributes of `from` (an array written from a
// dataset read keeps its attributes).
void copy_attributes(const Dataset& from, Dataset& to);

}  // namespace pando::h5
