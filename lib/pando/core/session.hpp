#pragma once
// SessionBase: Pando's lifetime on one rank, as the modules below graph see it. It starts MPI
// (asking for MPI_THREAD_FUNNELED: only the executor's thread calls MPI and HDF5,
// docs/architecture.md §3.5) unless the host program already did, gives Pando its own
// communicator (a duplicate of the one it is given, MPI_COMM_WORLD by default, so Pando's messages
// never match the host code's), and finalizes MPI at the end if it started it.
//
// Programs create a pando::Session (<pando/graph/session.hpp>, in <pando/pando.hpp>): it derives
// from this class, takes the same constructors, and adds what needs the task graph (submit, map).
// The split keeps core at the bottom of the modules (docs/architecture.md §2): core cannot name
// futures, so the user-facing class lives in graph, and library code, which only needs the
// communicator, options, memory budget and extensions, uses SessionBase. It is named a base, not
// pando::core::Session, because it is not a second kind of session to choose: it is abstract (a
// pure virtual destructor), so every SessionBase is a pando::Session, which is what makes
// Session::current()'s downcast valid.
//
//   int main(int argc, char** argv) {
//     pando::Session session(argc, argv);        // collective over MPI_COMM_WORLD
//     ...
//   }                                            // collective: finalizes MPI
//
// Inside a code that owns MPI, a session runs on any communicator: the world, a node, or a subset
// of the ranks. Everything Pando calls collective is then collective over that communicator's
// ranks only; the other ranks go on with their own MPI work, and sessions may follow one another
// (MPI stays the host's; a session that started MPI itself ends it, so it is the only one).
//
//   MPI_Comm analysis;                           // the host's: here the even ranks
//   MPI_Comm_split(MPI_COMM_WORLD, rank % 2 == 0 ? 0 : MPI_UNDEFINED, rank, &analysis);
//   if (analysis != MPI_COMM_NULL) {
//     pando::Session session(analysis);          // collective over `analysis`
//     ...
//   }
//
// Upper modules keep per-session state (the object store, observers) as extensions, created on
// first use and destroyed before MPI is finalized.

#include <pando/core/comm.hpp>
#include <pando/core/options.hpp>

#include <memory>
#include <typeindex>
#include <utility>
#include <vector>

namespace pando {

class SessionBase {
 public:
  // Collective. Takes the --pando-* arguments out of argv first (they override `options`).
  SessionBase(int& argc, char**& argv, Options options = Options::from_env());
  // Collective. For tests and host codes without an argv at hand.
  explicit SessionBase(Options options = Options::from_env());
  // Collective over `parent`, which must be a valid communicator of an initialized MPI (the host
  // keeps it; Pando works on a duplicate and frees that at the end, leaving MPI running).
  explicit SessionBase(MPI_Comm parent, Options options = Options::from_env());
  explicit SessionBase(const Comm& parent, Options options = Options::from_env());
  SessionBase(const SessionBase&) = delete;
  SessionBase& operator=(const SessionBase&) = delete;
  // Collective. Pure virtual, so that only a pando::Session can be made (defined in session.cpp).
  virtual ~SessionBase() = 0;

  // The live session; UsageError if none.
  static SessionBase& current();
  // The live session, or null (for destructors that may run after it ended).
  static SessionBase* current_or_null() noexcept;

  [[nodiscard]] int rank() const noexcept { return rank_; }
  [[nodiscard]] int size() const noexcept { return size_; }
  [[nodiscard]] const Comm& comm() const noexcept { return comm_; }
  [[nodiscard]] const Options& options() const noexcept { return options_; }
  // The memory budget of this rank in bytes: Options::memory_limit, or by default half of the
  // node's memory (or of the job's memory limit, when a cgroup sets one) shared equally by the
  // ranks of this session on the node.
  [[nodiscard]] std::uint64_t memory_limit() const noexcept { return memory_limit_; }
  [[nodiscard]] bool owns_mpi() const noexcept { return owns_mpi_; }

  // The session's state of type T, if made already.
  template <class T>
  T* find_extension() noexcept {
    for (auto& [type, ptr] : extensions_)
      if (type == typeid(T)) return static_cast<T*>(ptr.get());
    return nullptr;
  }
  // The session's state of type T (default-constructed on first use).
  template <class T>
  T& extension() {
    if (T* found = find_extension<T>()) return *found;
    auto ptr = std::make_shared<T>();
    extensions_.emplace_back(typeid(T), ptr);
    return *ptr;
  }

 private:
  void start_mpi(int* argc, char*** argv);
  void start(MPI_Comm parent);

  Options options_;
  std::uint64_t memory_limit_ = 0;
  bool owns_mpi_ = false;
  int rank_ = 0;
  int size_ = 1;
  Comm comm_;
  std::vector<std::pair<std::type_index, std::shared_ptr<void>>> extensions_;
};

}  // namespace pando
