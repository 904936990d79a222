#include <pando/core/comm.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>

namespace pando {

namespace detail {

void check_mpi(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) len = 0;
  int rank = -1;
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  throw MpiError(fmt::format("{} failed on rank {}: {}", call, rank,
                             len > 0 ? std::string(text, static_cast<std::size_t>(len))
                                     : fmt::format("MPI error code {}", rc)));
}

int checked_count(std::size_t n, const char* call) {
  if (n > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw MpiError(fmt::format(
        "{}: {} elements exceed MPI's limit of 2^31-1 per call; split the data into smaller "
        "blocks (chunks)",
        call, n));
  return static_cast<int>(n);
}

namespace {
std::size_t piece_bytes = std::size_t{1} << 30;
}

std::size_t message_piece_bytes() noexcept { return piece_bytes; }
void set_message_piece_bytes(std::size_t bytes) noexcept { piece_bytes = bytes < 8 ? 8 : bytes; }

MPI_Op mpi_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum:
      return MPI_SUM;
    case ReduceOp::prod:
      return MPI_PROD;
    case ReduceOp::min:
      return MPI_MIN;
    case ReduceOp::max:
      return MPI_MAX;
    case ReduceOp::logical_and:
      return MPI_LAND;
    case ReduceOp::logical_or:
      return MPI_LOR;
    case ReduceOp::bit_and:
      return MPI_BAND;
    case ReduceOp::bit_or:
      return MPI_BOR;
  }
  return MPI_SUM;
}

}  // namespace detail

using detail::check_mpi;
using detail::checked_count;

// ---- Request ----

Request& Request::operator=(Request&& o) noexcept {
  if (this != &o) {
    Request dying(std::exchange(r_, std::exchange(o.r_, MPI_REQUEST_NULL)));
  }
  return *this;
}

Request::~Request() {
  if (r_ == MPI_REQUEST_NULL) return;
  // Errors are ignored: a destructor cannot report them, and the request is abandoned anyway.
  MPI_Cancel(&r_);
  MPI_Wait(&r_, MPI_STATUS_IGNORE);
}

bool Request::test() {
  if (r_ == MPI_REQUEST_NULL) return true;
  int done = 0;
  check_mpi(MPI_Test(&r_, &done, MPI_STATUS_IGNORE), "MPI_Test");
  return done != 0;
}

void Request::wait() {
  if (r_ == MPI_REQUEST_NULL) return;
  check_mpi(MPI_Wait(&r_, MPI_STATUS_IGNORE), "MPI_Wait");
}

// ---- RequestPool ----

RequestPool::~RequestPool() {
  for (auto& r : requests_) {
    if (r == MPI_REQUEST_NULL) continue;
    MPI_Cancel(&r);
    MPI_Wait(&r, MPI_STATUS_IGNORE);
  }
}

void RequestPool::abandon(std::size_t slot) noexcept {
  if (!active(slot)) return;
  MPI_Request_free(&requests_[slot]);
  requests_[slot] = MPI_REQUEST_NULL;
  free_.push_back(slot);
  --active_;
}

std::size_t RequestPool::add(Request r) {
  std::size_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = requests_.size();
    requests_.push_back(MPI_REQUEST_NULL);
  }
  requests_[slot] = r.release();
  ++active_;
  return slot;
}

std::span<const int> RequestPool::finish(int count) {
  if (count == MPI_UNDEFINED) count = 0;
  for (int i = 0; i < count; ++i) free_.push_back(static_cast<std::size_t>(done_[i]));
  active_ -= static_cast<std::size_t>(count);
  return {done_.data(), static_cast<std::size_t>(count)};
}

std::span<const int> RequestPool::test_some() {
  if (active_ == 0) return {};
  done_.resize(requests_.size());
  int count = 0;
  check_mpi(MPI_Testsome(static_cast<int>(requests_.size()), requests_.data(), &count, done_.data(),
                         MPI_STATUSES_IGNORE),
            "MPI_Testsome");
  return finish(count);
}

std::span<const int> RequestPool::wait_some() {
  if (active_ == 0) return {};
  done_.resize(requests_.size());
  int count = 0;
  check_mpi(MPI_Waitsome(static_cast<int>(requests_.size()), requests_.data(), &count, done_.data(),
                         MPI_STATUSES_IGNORE),
            "MPI_Waitsome");
  return finish(count);
}

// ---- Comm ----

Comm Comm::world() { return Comm(MPI_COMM_WORLD, false); }
Comm Comm::self() { return Comm(MPI_COMM_SELF, false); }

Comm& Comm::operator=(Comm&& o) noexcept {
  if (this != &o) {
    Comm dying(std::exchange(c_, std::exchange(o.c_, MPI_COMM_NULL)),
               std::exchange(owned_, std::exchange(o.owned_, false)));
  }
  return *this;
}

Comm::~Comm() {
  if (owned_ && c_ != MPI_COMM_NULL) {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Comm_free(&c_);
  }
}

Comm Comm::dup() const {
  MPI_Comm out = MPI_COMM_NULL;
  check_mpi(MPI_Comm_dup(c_, &out), "MPI_Comm_dup");
  return Comm(out, true);
}

Comm Comm::split(int color, int key) const {
  MPI_Comm out = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split(c_, color < 0 ? MPI_UNDEFINED : color, key, &out), "MPI_Comm_split");
  return Comm(out, out != MPI_COMM_NULL);
}

int Comm::rank() const {
  int r = 0;
  check_mpi(MPI_Comm_rank(c_, &r), "MPI_Comm_rank");
  return r;
}

int Comm::size() const {
  int s = 0;
  check_mpi(MPI_Comm_size(c_, &s), "MPI_Comm_size");
  return s;
}

int Comm::max_tag() const {
  void* value = nullptr;
  int found = 0;
  check_mpi(MPI_Comm_get_attr(c_, MPI_TAG_UB, &value, &found), "MPI_Comm_get_attr");
  return found ? *static_cast<int*>(value) : 32767;
}

void Comm::barrier() const { check_mpi(MPI_Barrier(c_), "MPI_Barrier"); }

void Comm::abort(std::string_view why) const noexcept {
  int rank = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  std::fprintf(stderr, "pando: fatal error on rank %d: %.*s; stopping the job\n", rank,
               static_cast<int>(why.size()), why.data());
  std::fflush(stderr);
  MPI_Abort(c_ == MPI_COMM_NULL ? MPI_COMM_WORLD : c_, 1);
  std::abort();  // MPI_Abort does not return; if it did, the process still must not go on
}

std::size_t Comm::total(const std::vector<std::size_t>& counts) {
  return std::accumulate(counts.begin(), counts.end(), std::size_t{0});
}

namespace {
std::size_t type_size(MPI_Datatype t) {
  int size = 0;
  check_mpi(MPI_Type_size(t, &size), "MPI_Type_size");
  return static_cast<std::size_t>(size);
}
// Elements of `t` per piece of a chain.
std::size_t piece_elements(MPI_Datatype t) {
  return std::max<std::size_t>(detail::message_piece_bytes() / type_size(t), 1);
}
}  // namespace

void Comm::send_raw(const void* p, std::size_t n, MPI_Datatype t, int dest, int tag) const {
  // Full pieces, then a shorter one (possibly empty) that ends the chain.
  const std::size_t piece = piece_elements(t), item = type_size(t);
  const auto* at = static_cast<const std::byte*>(p);
  for (;;) {
    const std::size_t k = std::min(n, piece);
    check_mpi(MPI_Send(at, static_cast<int>(k), t, dest, tag, c_), "MPI_Send");
    if (k < piece) return;
    at += k * item;
    n -= k;
  }
}

Status Comm::recv_raw(void* p, std::size_t n, MPI_Datatype t, int source, int tag) const {
  const std::size_t piece = piece_elements(t), item = type_size(t);
  auto* at = static_cast<std::byte*>(p);
  Status out{source, tag, 0};
  for (;;) {
    MPI_Status st;
    const std::size_t room = std::min(n - out.count, piece);
    check_mpi(MPI_Recv(at, static_cast<int>(room), t, out.source, out.tag, c_, &st), "MPI_Recv");
    int count = 0;
    check_mpi(MPI_Get_count(&st, t, &count), "MPI_Get_count");
    out.source = st.MPI_SOURCE;  // later pieces come from the first one's sender
    out.tag = st.MPI_TAG;
    out.count += static_cast<std::size_t>(count);
    if (static_cast<std::size_t>(count) < piece) return out;
    // A full piece: more follow (when the buffer is full, only the chain's empty end can).
    at += static_cast<std::size_t>(count) * item;
  }
}

std::vector<std::byte> Comm::recv_chain(int source, int tag, Status* status) const {
  const std::size_t piece = detail::message_piece_bytes();
  std::vector<std::byte> out;
  for (;;) {
    Status p = probe(source, tag, MPI_BYTE);
    const std::size_t at = out.size();
    out.resize(at + p.count);
    MPI_Status st;
    check_mpi(
        MPI_Recv(out.data() + at, static_cast<int>(p.count), MPI_BYTE, p.source, p.tag, c_, &st),
        "MPI_Recv");
    source = p.source;
    tag = p.tag;
    if (status) *status = {p.source, p.tag, out.size()};
    if (p.count < piece) return out;
  }
}

Request Comm::isend_raw(const void* p, std::size_t n, MPI_Datatype t, int dest, int tag) const {
  MPI_Request r = MPI_REQUEST_NULL;
  check_mpi(MPI_Isend(p, checked_count(n, "MPI_Isend"), t, dest, tag, c_, &r), "MPI_Isend");
  return Request(r);
}

Request Comm::irecv_raw(void* p, std::size_t n, MPI_Datatype t, int source, int tag) const {
  MPI_Request r = MPI_REQUEST_NULL;
  check_mpi(MPI_Irecv(p, checked_count(n, "MPI_Irecv"), t, source, tag, c_, &r), "MPI_Irecv");
  return Request(r);
}

Status Comm::probe(int source, int tag, MPI_Datatype type) const {
  MPI_Status st;
  check_mpi(MPI_Probe(source, tag, c_, &st), "MPI_Probe");
  int count = 0;
  check_mpi(MPI_Get_count(&st, type, &count), "MPI_Get_count");
  return {st.MPI_SOURCE, st.MPI_TAG, static_cast<std::size_t>(count)};
}

std::optional<Status> Comm::iprobe(int source, int tag, MPI_Datatype type) const {
  MPI_Status st;
  int found = 0;
  check_mpi(MPI_Iprobe(source, tag, c_, &found, &st), "MPI_Iprobe");
  if (!found) return std::nullopt;
  int count = 0;
  check_mpi(MPI_Get_count(&st, type, &count), "MPI_Get_count");
  return Status{st.MPI_SOURCE, st.MPI_TAG, static_cast<std::size_t>(count)};
}

void Comm::bcast_raw(void* p, std::size_t n, MPI_Datatype t, int root) const {
  // Every rank knows n: pieces need no end marker.
  const std::size_t piece = piece_elements(t), item = type_size(t);
  auto* at = static_cast<std::byte*>(p);
  do {
    const std::size_t k = std::min(n, piece);
    check_mpi(MPI_Bcast(at, static_cast<int>(k), t, root, c_), "MPI_Bcast");
    at += k * item;
    n -= k;
  } while (n > 0);
}

void Comm::allreduce_raw(const void* in, void* out, std::size_t n, MPI_Datatype t,
                         ReduceOp op) const {
  check_mpi(MPI_Allreduce(in, out, checked_count(n, "MPI_Allreduce"), t, detail::mpi_op(op), c_),
            "MPI_Allreduce");
}

Request Comm::iallreduce_raw(const void* in, void* out, MPI_Datatype t, ReduceOp op) const {
  MPI_Request r = MPI_REQUEST_NULL;
  check_mpi(MPI_Iallreduce(in, out, 1, t, detail::mpi_op(op), c_, &r), "MPI_Iallreduce");
  return Request(r);
}

std::pair<long, int> Comm::allreduce_minloc(long value) const {
  struct {
    long value;
    int rank;
  } in{value, rank()}, out{};
  check_mpi(MPI_Allreduce(&in, &out, 1, MPI_LONG_INT, MPI_MINLOC, c_), "MPI_Allreduce");
  return {out.value, out.rank};
}

void Comm::allgather_raw(const void* in, void* out, std::size_t n, MPI_Datatype t) const {
  int count = checked_count(n, "MPI_Allgather");
  check_mpi(MPI_Allgather(in, count, t, out, count, t, c_), "MPI_Allgather");
}

void Comm::exscan_raw(const void* in, void* out, MPI_Datatype t) const {
  check_mpi(MPI_Exscan(in, out, 1, t, MPI_SUM, c_), "MPI_Exscan");
}

namespace {
std::vector<int> to_ints(const std::vector<std::size_t>& v, const char* call) {
  std::vector<int> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = checked_count(v[i], call);
  return out;
}
}  // namespace

std::vector<std::size_t> Comm::offsets_of(const std::vector<std::size_t>& counts) {
  std::vector<std::size_t> offsets(counts.size());
  std::exclusive_scan(counts.begin(), counts.end(), offsets.begin(), std::size_t{0});
  return offsets;
}

void Comm::gather_counts(std::size_t mine, int root, std::vector<std::size_t>& counts,
                         std::vector<std::size_t>& offsets) const {
  auto n = static_cast<std::uint64_t>(mine);
  counts.assign(static_cast<std::size_t>(size()), 0);
  static_assert(sizeof(std::uint64_t) == sizeof(std::size_t));
  if (root < 0)
    check_mpi(MPI_Allgather(&n, 1, MPI_UINT64_T, counts.data(), 1, MPI_UINT64_T, c_),
              "MPI_Allgather");
  else
    check_mpi(MPI_Gather(&n, 1, MPI_UINT64_T, counts.data(), 1, MPI_UINT64_T, root, c_),
              "MPI_Gather");
  offsets = offsets_of(counts);
}

void Comm::exchange_counts(std::span<const std::size_t> send_counts,
                           std::vector<std::size_t>& counts,
                           std::vector<std::size_t>& offsets) const {
  const auto p = static_cast<std::size_t>(size());
  if (send_counts.size() != p)
    throw UsageError(
        fmt::format("alltoallv: {} send counts given for {} ranks", send_counts.size(), p));
  counts.assign(p, 0);
  check_mpi(MPI_Alltoall(send_counts.data(), 1, MPI_UINT64_T, counts.data(), 1, MPI_UINT64_T, c_),
            "MPI_Alltoall");
  offsets = offsets_of(counts);
}

std::vector<std::size_t> Comm::alltoall_counts(std::span<const std::size_t> send_counts) const {
  std::vector<std::size_t> counts, offsets;
  exchange_counts(send_counts, counts, offsets);
  return counts;
}

void Comm::alltoallv_into(std::span<const std::byte> data, std::span<const std::size_t> send_counts,
                          std::byte* out, const std::vector<std::size_t>& counts) const {
  if (const std::size_t sent = total({send_counts.begin(), send_counts.end()}); sent != data.size())
    throw UsageError(fmt::format("alltoallv: send counts add up to {} bytes, not the {} given",
                                 sent, data.size()));
  alltoallv_bytes(data.data(), send_counts, MPI_BYTE, out, counts, offsets_of(counts));
}

void Comm::gatherv_bytes(const void* in, std::size_t n, MPI_Datatype t, void* out,
                         const std::vector<std::size_t>& counts,
                         const std::vector<std::size_t>& offsets, int root) const {
  const char* call = root < 0 ? "MPI_Allgatherv" : "MPI_Gatherv";
  int count = checked_count(n, call);
  auto c = to_ints(counts, call);
  auto d = to_ints(offsets, call);
  if (root < 0)
    check_mpi(MPI_Allgatherv(in, count, t, out, c.data(), d.data(), t, c_), call);
  else
    check_mpi(MPI_Gatherv(in, count, t, out, c.data(), d.data(), t, root, c_), call);
}

void Comm::alltoallv_bytes(const void* in, std::span<const std::size_t> send_counts, MPI_Datatype t,
                           void* out, const std::vector<std::size_t>& counts,
                           const std::vector<std::size_t>& offsets) const {
  const char* call = "MPI_Alltoallv";
  std::vector<std::size_t> send(send_counts.begin(), send_counts.end());
  auto sc = to_ints(send, call);
  auto sd = to_ints(offsets_of(send), call);
  auto rc = to_ints(counts, call);
  auto rd = to_ints(offsets, call);
  check_mpi(MPI_Alltoallv(in, sc.data(), sd.data(), t, out, rc.data(), rd.data(), t, c_), call);
}

}  // namespace pando
