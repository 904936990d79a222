#include <pando/core/session.hpp>

#include <pando/core/fault.hpp>
#include <pando/core/log.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

namespace pando {

namespace {
SessionBase* current_session = nullptr;

// The memory this process may use: the machine's, or less when a cgroup (a Slurm job, a
// container) sets a limit.
std::uint64_t node_memory() {
  const auto pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  std::uint64_t total = pages > 0 && page > 0
                            ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page)
                            : std::uint64_t{4} << 30;
  for (const char* path :
       {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    std::ifstream f(path);
    std::uint64_t limit = 0;
    if (f >> limit && limit > 0) total = std::min(total, limit);  // "max" reads as no number
  }
  return total;
}

// Ranks of `comm` on this node (one shared-memory domain).
int ranks_on_node(const Comm& comm) {
  MPI_Comm node = MPI_COMM_NULL;
  detail::check_mpi(
      MPI_Comm_split_type(comm.native(), MPI_COMM_TYPE_SHARED, comm.rank(), MPI_INFO_NULL, &node),
      "MPI_Comm_split_type");
  Comm owned(node, true);
  return owned.size();
}
}  // namespace

SessionBase::SessionBase(int& argc, char**& argv, Options options) : options_(std::move(options)) {
  options_.take_args(argc, argv);  // before MPI starts: a bad one leaves nothing to clean up
  start_mpi(&argc, &argv);
  start(MPI_COMM_WORLD);
}

SessionBase::SessionBase(Options options) : options_(std::move(options)) {
  start_mpi(nullptr, nullptr);
  start(MPI_COMM_WORLD);
}

SessionBase::SessionBase(MPI_Comm parent, Options options) : options_(std::move(options)) {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized)
    throw UsageError(
        "a pando::Session on a communicator needs MPI running: call MPI_Init first, or create "
        "the session with pando::Session(argc, argv)");
  if (parent == MPI_COMM_NULL)
    throw UsageError(
        "a pando::Session was given MPI_COMM_NULL: create sessions only on the ranks of the "
        "communicator (MPI_Comm_split gives MPI_COMM_NULL to the ranks left out)");
  start(parent);
}

SessionBase::SessionBase(const Comm& parent, Options options)
    : SessionBase(parent.native(), std::move(options)) {}

void SessionBase::start_mpi(int* argc, char*** argv) {
  if (current_session)
    throw UsageError("a pando::Session is already running: create one per process");
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    // Open MPI asks each of its shared-file-pointer components at every MPI-IO file open; the
    // "individual" one makes that cost about 0.1 s per open (measured with 2 ranks), and would
    // create side files next to the data. Parallel HDF5 never uses shared file pointers. A
    // choice made in the environment wins.
    ::setenv("OMPI_MCA_sharedfp", "^individual", /*overwrite=*/0);
    int provided = 0;
    detail::check_mpi(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided),
                      "MPI_Init_thread");
    owns_mpi_ = true;
    // Errors come back as return codes that Comm turns into exceptions.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  }
}

void SessionBase::start(MPI_Comm parent) {
  if (current_session)
    throw UsageError(
        "a pando::Session is already running: one at a time per process (end it before the "
        "next)");
  int provided = 0;
  MPI_Query_thread(&provided);
  // The duplicate (collective over `parent`) has a context of its own: no message of the host's
  // on `parent` or any other communicator can match one of Pando's.
  MPI_Comm mine = MPI_COMM_NULL;
  detail::check_mpi(MPI_Comm_dup(parent, &mine), "MPI_Comm_dup");
  comm_ = Comm(mine, true);
  MPI_Comm_set_errhandler(comm_.native(), MPI_ERRORS_RETURN);
  rank_ = comm_.rank();
  size_ = comm_.size();
  fault::set_rank(rank_);
  memory_limit_ = options_.memory_limit
                      ? options_.memory_limit
                      : node_memory() / 2 / static_cast<std::uint64_t>(ranks_on_node(comm_));
  set_log_context(rank_, size_, options_.log_level);
  // Pando starts no threads and calls MPI from the thread that made the session only, so a
  // host's MPI_Init (MPI_THREAD_SINGLE) serves as well as the funneled level it asks for.
  log_debug("MPI thread level {}", provided);
  current_session = this;
}

SessionBase::~SessionBase() {
  // Extensions may hold communicators and files whose release is collective: free them (in
  // reverse order of creation) while MPI is still up, on every rank at this same point.
  while (!extensions_.empty()) extensions_.pop_back();
  comm_ = Comm();
  current_session = nullptr;
  if (owns_mpi_) MPI_Finalize();
}

SessionBase& SessionBase::current() {
  if (!current_session)
    throw UsageError("no pando::Session is running: create one at the start of main()");
  return *current_session;
}

SessionBase* SessionBase::current_or_null() noexcept { return current_session; }

}  // namespace pando
