#pragma once
// Comm: a small RAII wrapper over an MPI communicator, with typed point-to-point and collective
// operations over spans. MPI errors become pando::MpiError exceptions carrying MPI's own error
// string (communicators use MPI_ERRORS_RETURN). All MPI calls of Pando live in core/.
//
// Every member marked "Collective" must be called by all ranks of the communicator, in the same
// order; Pando's schedules guarantee that for the collectives they run (docs/architecture.md §3.3).

#include <pando/core/error.hpp>

#include <mpi.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace pando {

enum class ReduceOp { sum, prod, min, max, logical_and, logical_or, bit_and, bit_or };

namespace detail {

// Throws MpiError("<call> failed on rank R: <MPI's error string>") unless rc is MPI_SUCCESS.
void check_mpi(int rc, const char* call);

// MPI's counts are int; Pando's are size_t. Larger messages are a clear error, not a wrap-around.
int checked_count(std::size_t n, const char* call);

// The largest message Pando sends in one MPI call (1 GiB): larger data goes as a chain of pieces
// of this size ended by a shorter one (possibly empty), so counts never reach MPI's int limit
// and a receiver never needs the whole value's size up front. Tests lower it to exercise chains.
std::size_t message_piece_bytes() noexcept;
void set_message_piece_bytes(std::size_t bytes) noexcept;

template <class T>
constexpr bool has_mpi_type = std::is_arithmetic_v<T> || std::is_same_v<T, std::byte>;

template <class T>
MPI_Datatype mpi_type() {
  static_assert(has_mpi_type<T>, "no MPI datatype for this type: send it as bytes");
  if constexpr (std::is_same_v<T, bool>)
    return MPI_C_BOOL;
  else if constexpr (std::is_same_v<T, std::byte>)
    return MPI_BYTE;
  else if constexpr (std::is_same_v<T, char>)
    return MPI_CHAR;
  else if constexpr (std::is_same_v<T, float>)
    return MPI_FLOAT;
  else if constexpr (std::is_same_v<T, double>)
    return MPI_DOUBLE;
  else if constexpr (std::is_same_v<T, long double>)
    return MPI_LONG_DOUBLE;
  else if constexpr (std::is_signed_v<T>) {
    if constexpr (sizeof(T) == 1)
      return MPI_INT8_T;
    else if constexpr (sizeof(T) == 2)
      return MPI_INT16_T;
    else if constexpr (sizeof(T) == 4)
      return MPI_INT32_T;
    else
      return MPI_INT64_T;
  } else {
    if constexpr (sizeof(T) == 1)
      return MPI_UINT8_T;
    else if constexpr (sizeof(T) == 2)
      return MPI_UINT16_T;
    else if constexpr (sizeof(T) == 4)
      return MPI_UINT32_T;
    else
      return MPI_UINT64_T;
  }
}

// How a span of T goes over the wire: as typed elements when MPI has a type for T, else as raw
// bytes (any trivially copyable struct).
template <class T>
struct Wire {
  static_assert(std::is_trivially_copyable_v<T>, "only trivially copyable data goes over MPI");
  static MPI_Datatype type() {
    if constexpr (has_mpi_type<T>)
      return mpi_type<T>();
    else
      return MPI_BYTE;
  }
  static constexpr std::size_t scale = has_mpi_type<T> ? 1 : sizeof(T);
};

MPI_Op mpi_op(ReduceOp op);

}  // namespace detail

// One non-blocking operation. Destroying an active request cancels it and waits for it to end,
// so no MPI request ever outlives the buffer it points into.
class Request {
 public:
  Request() = default;
  explicit Request(MPI_Request r) noexcept : r_(r) {}
  Request(Request&& o) noexcept : r_(std::exchange(o.r_, MPI_REQUEST_NULL)) {}
  Request& operator=(Request&& o) noexcept;
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;
  ~Request();

  [[nodiscard]] bool active() const noexcept { return r_ != MPI_REQUEST_NULL; }
  // True once complete (then inactive). Never blocks.
  bool test();
  void wait();
  // Gives up ownership of the raw handle (to a RequestPool).
  [[nodiscard]] MPI_Request release() noexcept { return std::exchange(r_, MPI_REQUEST_NULL); }

 private:
  MPI_Request r_ = MPI_REQUEST_NULL;
};

// Many outstanding requests polled together (one MPI_Testsome instead of one MPI_Test each):
// the executor's sends and receives. Slots are reused; destroying the pool cancels what is left.
class RequestPool {
 public:
  RequestPool() = default;
  RequestPool(const RequestPool&) = delete;
  RequestPool& operator=(const RequestPool&) = delete;
  ~RequestPool();

  // Stores an active request and returns its slot.
  std::size_t add(Request r);
  // Slots completed since the last call (at most all active ones). Never blocks.
  std::span<const int> test_some();
  // Blocks until at least one active request completes, then reports as test_some does.
  std::span<const int> wait_some();
  [[nodiscard]] std::size_t active() const noexcept { return active_; }
  [[nodiscard]] bool active(std::size_t slot) const noexcept {
    return slot < requests_.size() && requests_[slot] != MPI_REQUEST_NULL;
  }
  // Leaves the request in `slot` to MPI (MPI_Request_free): it completes in the background, and
  // the memory it reads or writes must stay valid until then (only for a send that can no
  // longer be completed here, after a failure).
  void abandon(std::size_t slot) noexcept;

 private:
  std::span<const int> finish(int count);

  std::vector<MPI_Request> requests_;
  std::vector<int> done_;
  std::vector<std::size_t> free_;
  std::size_t active_ = 0;
};

struct Status {
  int source = -1;
  int tag = -1;
  std::size_t count = 0;  // elements received
};

// The result of a gatherv / allgatherv / alltoallv: one flat vector and where each rank's part
// lies in it.
template <class T>
struct Gathered {
  std::vector<T> data;
  std::vector<std::size_t> counts;   // per rank
  std::vector<std::size_t> offsets;  // per rank, into data
  [[nodiscard]] std::span<const T> part(int rank) const {
    return std::span<const T>(data).subspan(offsets[rank], counts[rank]);
  }
};

class Comm {
 public:
  static constexpr int any_source = MPI_ANY_SOURCE;
  static constexpr int any_tag = MPI_ANY_TAG;

  Comm() = default;  // the null communicator
  // MPI_COMM_WORLD, not owned. MPI must be initialized (pando::Session does it).
  static Comm world();
  // MPI_COMM_SELF, not owned: this process alone (a file a task opens by itself).
  static Comm self();
  // Adopts `c` (freed by the destructor when `owned`).
  Comm(MPI_Comm c, bool owned) noexcept : c_(c), owned_(owned) {}
  Comm(Comm&& o) noexcept
      : c_(std::exchange(o.c_, MPI_COMM_NULL)), owned_(std::exchange(o.owned_, false)) {}
  Comm& operator=(Comm&& o) noexcept;
  Comm(const Comm&) = delete;  // a copy would need a collective MPI_Comm_dup: say dup()
  Comm& operator=(const Comm&) = delete;
  // Collective when owned (MPI_Comm_free).
  ~Comm();

  // Collective. A new communicator over the same ranks, with its own message space.
  [[nodiscard]] Comm dup() const;
  // Collective. Ranks passing the same color form one new communicator, ordered by key then
  // by rank; a negative color returns the null communicator.
  [[nodiscard]] Comm split(int color, int key = 0) const;

  [[nodiscard]] bool is_null() const noexcept { return c_ == MPI_COMM_NULL; }
  [[nodiscard]] int rank() const;
  [[nodiscard]] int size() const;
  // The largest tag this MPI accepts (MPI_TAG_UB: at least 32767; Open MPI: 2^31 - 1).
  [[nodiscard]] int max_tag() const;
  // The raw handle, for libraries that take one (HDF5's MPI-IO driver).
  [[nodiscard]] MPI_Comm native() const noexcept { return c_; }

  // Collective.
  void barrier() const;
  // Stops the whole job (MPI_Abort) after writing `why` to stderr: only for failures that leave
  // the ranks unable to agree (MPI itself failing), never for errors a user can cause.
  [[noreturn]] void abort(std::string_view why) const noexcept;

  // ---- point to point ----
  // Blocking send and receive of any size: data of a piece (message_piece_bytes()) or more
  // travels as a chain of pieces, which recv() and recv_vector() take apart again.
  template <class T>
  void send(std::span<const T> data, int dest, int tag) const {
    send_raw(data.data(), data.size() * W<T>::scale, W<T>::type(), dest, tag);
  }
  template <class T>
  Status recv(std::span<T> data, int source, int tag) const {
    Status s = recv_raw(data.data(), data.size() * W<T>::scale, W<T>::type(), source, tag);
    s.count /= W<T>::scale;
    return s;
  }
  // Receives a message of any length (probes the size of each piece).
  template <class T>
  std::vector<T> recv_vector(int source, int tag, Status* status = nullptr) const {
    std::vector<std::byte> bytes = recv_chain(source, tag, status);
    std::vector<T> out(bytes.size() / sizeof(T));
    if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
    if (status) status->count = out.size();
    return out;
  }
  // Non-blocking: at most 2^31 - 1 elements per call (the executor's Messenger splits values
  // into pieces itself).
  template <class T>
  [[nodiscard]] Request isend(std::span<const T> data, int dest, int tag) const {
    return isend_raw(data.data(), data.size() * W<T>::scale, W<T>::type(), dest, tag);
  }
  template <class T>
  [[nodiscard]] Request irecv(std::span<T> data, int source, int tag) const {
    return irecv_raw(data.data(), data.size() * W<T>::scale, W<T>::type(), source, tag);
  }
  // Blocks until a message matching (source, tag) can be received; reports its size in
  // elements of `type`.
  Status probe(int source, int tag, MPI_Datatype type = MPI_BYTE) const;
  // As probe(), without blocking: nullopt when no such message has arrived yet.
  [[nodiscard]] std::optional<Status> iprobe(int source, int tag,
                                             MPI_Datatype type = MPI_BYTE) const;

  // ---- collectives ----
  // Collective.
  template <class T>
  void bcast(std::span<T> data, int root) const {
    bcast_raw(data.data(), data.size() * W<T>::scale, W<T>::type(), root);
  }
  // Collective. Root's value, on every rank.
  template <class T>
  [[nodiscard]] T bcast_value(T value, int root) const {
    bcast(std::span<T>(&value, 1), root);
    return value;
  }
  // Collective. Root's vector (of any length) on every rank.
  template <class T>
  void bcast_vector(std::vector<T>& data, int root) const {
    // The length and a small vector whole in one fixed-size broadcast; a larger one's rest in a
    // second (most broadcasts are small: headers, outcomes, small results).
    static_assert(std::is_trivially_copyable_v<T>);
    constexpr std::size_t slot = 256, room = (slot - sizeof(std::uint64_t)) / sizeof(T);
    std::array<std::byte, slot> first{};
    const std::uint64_t mine = data.size();
    if (rank() == root) {
      std::memcpy(first.data(), &mine, sizeof mine);
      if (mine > 0)
        std::memcpy(first.data() + sizeof mine, data.data(),
                    std::min<std::size_t>(mine, room) * sizeof(T));
    }
    bcast(std::span<std::byte>(first), root);
    std::uint64_t n = 0;
    std::memcpy(&n, first.data(), sizeof n);
    if (rank() != root) {
      data.resize(n);
      if (n > 0)
        std::memcpy(data.data(), first.data() + sizeof n,
                    std::min<std::size_t>(n, room) * sizeof(T));
    }
    if (n > room) bcast(std::span<T>(data).subspan(room), root);
  }

  // Collective. Element-wise reduction of every rank's `in` into `out` (both of one length).
  // Use it for order-free reductions (integers, min, max): a floating-point sum over ranks
  // depends on the rank count (docs/architecture.md §6).
  template <class T>
  void allreduce(std::span<const T> in, std::span<T> out, ReduceOp op) const {
    allreduce_raw(in.data(), out.data(), in.size(), detail::mpi_type<T>(), op);
  }
  template <class T>
  void allreduce_inplace(std::span<T> data, ReduceOp op) const {
    allreduce_raw(MPI_IN_PLACE, data.data(), data.size(), detail::mpi_type<T>(), op);
  }
  template <class T>
  [[nodiscard]] T allreduce(T value, ReduceOp op) const {
    T out{};
    allreduce(std::span<const T>(&value, 1), std::span<T>(&out, 1), op);
    return out;
  }
  // Collective, non-blocking: as allreduce of one value into `out`, which must stay alive until
  // the request completes.
  template <class T>
  [[nodiscard]] Request iallreduce(const T& value, T& out, ReduceOp op) const {
    return iallreduce_raw(&value, &out, detail::mpi_type<T>(), op);
  }
  // Collective. The smallest value over all ranks and the lowest rank that holds it.
  [[nodiscard]] std::pair<long, int> allreduce_minloc(long value) const;

  // Collective. Every rank's value, in rank order, on every rank.
  template <class T>
  [[nodiscard]] std::vector<T> allgather(const T& value) const {
    std::vector<T> out(static_cast<std::size_t>(size()));
    allgather_raw(&value, out.data(), W<T>::scale, W<T>::type());
    return out;
  }
  // Collective. Every rank's span, all of one length, concatenated in rank order on every rank.
  template <class T>
  [[nodiscard]] std::vector<T> allgather(std::span<const T> mine) const {
    std::vector<T> out(mine.size() * static_cast<std::size_t>(size()));
    allgather_raw(mine.data(), out.data(), mine.size() * W<T>::scale, W<T>::type());
    return out;
  }
  // Collective. Every rank's span concatenated in rank order, on root only (empty elsewhere).
  template <class T>
  [[nodiscard]] Gathered<T> gatherv(std::span<const T> mine, int root) const {
    Gathered<T> g;
    gather_counts(mine.size(), root, g.counts, g.offsets);
    if (rank() == root) g.data.resize(total(g.counts));
    gatherv_raw(mine.data(), mine.size(), g.data.data(), g.counts, g.offsets, root);
    return g;
  }
  // Collective. Every rank's span concatenated in rank order, on every rank.
  template <class T>
  [[nodiscard]] Gathered<T> allgatherv(std::span<const T> mine) const {
    Gathered<T> g;
    gather_counts(mine.size(), -1, g.counts, g.offsets);
    g.data.resize(total(g.counts));
    gatherv_raw(mine.data(), mine.size(), g.data.data(), g.counts, g.offsets, -1);
    return g;
  }
  // Collective. As above, when every rank's count is known already (from an earlier exchange):
  // `counts[r]` elements from rank r.
  template <class T>
  [[nodiscard]] Gathered<T> allgatherv(std::span<const T> mine,
                                       std::vector<std::size_t> counts) const {
    Gathered<T> g;
    g.offsets = offsets_of(counts);
    g.counts = std::move(counts);
    g.data.resize(total(g.counts));
    gatherv_raw(mine.data(), mine.size(), g.data.data(), g.counts, g.offsets, -1);
    return g;
  }
  // Collective. `data` holds, in rank order, `send_counts[r]` elements for each rank r; the
  // result holds what every rank sent to this one, in rank order.
  template <class T>
  [[nodiscard]] Gathered<T> alltoallv(std::span<const T> data,
                                      std::span<const std::size_t> send_counts) const {
    Gathered<T> g;
    exchange_counts(send_counts, g.counts, g.offsets);
    g.data.resize(total(g.counts));
    alltoallv_raw<T>(data.data(), send_counts, g.data.data(), g.counts, g.offsets);
    return g;
  }
  // Collective. send_counts[r] goes to rank r; returns what every rank sent to this one, in
  // rank order (the counts an alltoallv_into receives).
  [[nodiscard]] std::vector<std::size_t> alltoall_counts(
      std::span<const std::size_t> send_counts) const;
  // Collective. As alltoallv, into memory the caller provides: `data` holds send_counts[r]
  // bytes for each rank r in rank order, and `out` receives counts[r] bytes from each rank r at
  // offsets_of(counts)[r]. Every count and the totals must fit an int (MpiError otherwise).
  void alltoallv_into(std::span<const std::byte> data, std::span<const std::size_t> send_counts,
                      std::byte* out, const std::vector<std::size_t>& counts) const;
  // Collective. The sum of `value` over the ranks below this one (0 on rank 0).
  template <class T>
  [[nodiscard]] T exscan_sum(T value) const {
    T out{};
    exscan_raw(&value, &out, detail::mpi_type<T>());
    return rank() == 0 ? T{} : out;
  }

  // The sum of `counts`, and where each part starts when they are laid end to end.
  static std::size_t total(const std::vector<std::size_t>& counts);
  static std::vector<std::size_t> offsets_of(const std::vector<std::size_t>& counts);

 private:
  template <class T>
  using W = detail::Wire<std::remove_const_t<T>>;

  void send_raw(const void* p, std::size_t n, MPI_Datatype t, int dest, int tag) const;
  std::vector<std::byte> recv_chain(int source, int tag, Status* status) const;
  Status recv_raw(void* p, std::size_t n, MPI_Datatype t, int source, int tag) const;
  Request isend_raw(const void* p, std::size_t n, MPI_Datatype t, int dest, int tag) const;
  Request irecv_raw(void* p, std::size_t n, MPI_Datatype t, int source, int tag) const;
  void bcast_raw(void* p, std::size_t n, MPI_Datatype t, int root) const;
  void allreduce_raw(const void* in, void* out, std::size_t n, MPI_Datatype t, ReduceOp op) const;
  Request iallreduce_raw(const void* in, void* out, MPI_Datatype t, ReduceOp op) const;
  void allgather_raw(const void* in, void* out, std::size_t n, MPI_Datatype t) const;
  void exscan_raw(const void* in, void* out, MPI_Datatype t) const;
  // root < 0: to every rank.
  void gather_counts(std::size_t mine, int root, std::vector<std::size_t>& counts,
                     std::vector<std::size_t>& offsets) const;
  void exchange_counts(std::span<const std::size_t> send_counts, std::vector<std::size_t>& counts,
                       std::vector<std::size_t>& offsets) const;
  void gatherv_bytes(const void* in, std::size_t n, MPI_Datatype t, void* out,
                     const std::vector<std::size_t>& counts,
                     const std::vector<std::size_t>& offsets, int root) const;
  void alltoallv_bytes(const void* in, std::span<const std::size_t> send_counts, MPI_Datatype t,
                       void* out, const std::vector<std::size_t>& counts,
                       const std::vector<std::size_t>& offsets) const;

  template <class T>
  void gatherv_raw(const T* in, std::size_t n, T* out, const std::vector<std::size_t>& counts,
                   const std::vector<std::size_t>& offsets, int root) const {
    gatherv_bytes(in, n * W<T>::scale, W<T>::type(), out, scaled(counts, W<T>::scale),
                  scaled(offsets, W<T>::scale), root);
  }
  template <class T>
  void alltoallv_raw(const T* in, std::span<const std::size_t> send_counts, T* out,
                     const std::vector<std::size_t>& counts,
                     const std::vector<std::size_t>& offsets) const {
    std::vector<std::size_t> send = {send_counts.begin(), send_counts.end()};
    alltoallv_bytes(in, scaled(send, W<T>::scale), W<T>::type(), out, scaled(counts, W<T>::scale),
                    scaled(offsets, W<T>::scale));
  }
  static std::vector<std::size_t> scaled(std::vector<std::size_t> v, std::size_t k) {
    if (k != 1)
      for (auto& x : v) x *= k;
    return v;
  }

  MPI_Comm c_ = MPI_COMM_NULL;
  bool owned_ = false;
};

}  // namespace pando
