#pragma once
// Pando's error hierarchy. Every message says what went wrong and where (file, line, column;
// dataset; shape; option), in words a scientist understands.
//
// Errors cross ranks: when one rank detects a problem, the same error must be thrown on every
// rank (docs/architecture.md §5). `ErrorKind` + message is the wire form of an error, and
// `throw_error` rebuilds the right C++ type from it on the receiving side.

#include <cstdint>
#include <stdexcept>
#include <string>

namespace pando {

enum class ErrorKind : std::uint8_t {
  generic,
  usage,     // a bad option, argument or API use
  mpi,       // an MPI call failed
  io,        // a file, dataset or object could not be read or written
  parse,     // malformed text input (CSV, expressions)
  value,     // a value out of its domain
  type,      // a value of the wrong type
  shape,     // incompatible shapes or chunks
  graph,     // a malformed task graph (cycle, missing input, divergent ranks)
  task,      // a task of a computation failed
  memory,    // a buffer could not be allocated (or would exceed the memory limit)
  internal,  // an invariant of Pando's own broke (a bug to report), e.g. rows lost in a shuffle
};

const char* to_string(ErrorKind kind) noexcept;

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
  [[nodiscard]] virtual ErrorKind kind() const noexcept { return ErrorKind::generic; }
};

#define PANDO_DEFINE_ERROR(Name, Kind)                                                 \
  class Name : public Error {                                                          \
   public:                                                                             \
    using Error::Error;                                                                \
    [[nodiscard]] ErrorKind kind() const noexcept override { return ErrorKind::Kind; } \
  }

PANDO_DEFINE_ERROR(UsageError, usage);
PANDO_DEFINE_ERROR(MpiError, mpi);
PANDO_DEFINE_ERROR(IoError, io);
PANDO_DEFINE_ERROR(ValueError, value);
PANDO_DEFINE_ERROR(TypeError, type);
PANDO_DEFINE_ERROR(ShapeError, shape);
PANDO_DEFINE_ERROR(GraphError, graph);
PANDO_DEFINE_ERROR(MemoryError, memory);
PANDO_DEFINE_ERROR(InternalError, internal);

#undef PANDO_DEFINE_ERROR

// Malformed text: the message is prefixed with "source:line:column: " (line and column 1-based;
// 0 leaves them out), the form compilers use, which editors and terminals can jump to.
class ParseError : public Error {
 public:
  ParseError(const std::string& source, std::int64_t line, std::int64_t column,
             const std::string& what);
  // Rebuilds a ParseError from its full message (as sent between ranks).
  explicit ParseError(const std::string& full_message) : Error(full_message) {}
  [[nodiscard]] ErrorKind kind() const noexcept override { return ErrorKind::parse; }
};

// A task of a computation failed. Thrown by compute() on every rank alike, with the original
// message, the key of the task that failed first (in the schedule's global order) and the rank
// it ran on.
class TaskError : public Error {
 public:
  TaskError(std::string key, int rank, ErrorKind cause, std::string message);
  [[nodiscard]] ErrorKind kind() const noexcept override { return ErrorKind::task; }
  [[nodiscard]] const std::string& key() const noexcept { return key_; }
  [[nodiscard]] int rank() const noexcept { return rank_; }
  [[nodiscard]] ErrorKind cause() const noexcept { return cause_; }
  // The failing task's own message, without the "task K failed on rank R" prefix.
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

 private:
  std::string key_;
  int rank_;
  ErrorKind cause_;
  std::string message_;
};

// The kind of any exception: Pando errors say theirs, std::bad_alloc is a memory error,
// anything else is generic.
ErrorKind kind_of(const std::exception& e) noexcept;

// Throws the Pando error type that `kind` names, with `message` (TaskError is rebuilt as a
// generic Error: its parts travel separately, see graph/).
[[noreturn]] void throw_error(ErrorKind kind, const std::string& message);

}  // namespace pando
