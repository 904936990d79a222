#include <pando/core/error.hpp>

#include <fmt/format.h>

#include <new>
#include <utility>

namespace pando {

const char* to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::generic:
      return "error";
    case ErrorKind::usage:
      return "usage error";
    case ErrorKind::mpi:
      return "MPI error";
    case ErrorKind::io:
      return "I/O error";
    case ErrorKind::parse:
      return "parse error";
    case ErrorKind::value:
      return "value error";
    case ErrorKind::type:
      return "type error";
    case ErrorKind::shape:
      return "shape error";
    case ErrorKind::graph:
      return "graph error";
    case ErrorKind::task:
      return "task error";
    case ErrorKind::memory:
      return "memory error";
    case ErrorKind::internal:
      return "internal error";
  }
  return "error";
}

namespace {
std::string where(const std::string& source, std::int64_t line, std::int64_t column) {
  if (line <= 0) return source;
  if (column <= 0) return fmt::format("{}:{}", source, line);
  return fmt::format("{}:{}:{}", source, line, column);
}
}  // namespace

ParseError::ParseError(const std::string& source, std::int64_t line, std::int64_t column,
                       const std::string& what)
    : Error(fmt::format("{}: {}", where(source, line, column), what)) {}

TaskError::TaskError(std::string key, int rank, ErrorKind cause, std::string message)
    : Error(fmt::format("task '{}' failed on rank {}: {}", key, rank, message)),
      key_(std::move(key)),
      rank_(rank),
      cause_(cause),
      message_(std::move(message)) {}

ErrorKind kind_of(const std::exception& e) noexcept {
  if (const auto* pe = dynamic_cast<const Error*>(&e)) return pe->kind();
  if (dynamic_cast<const std::bad_alloc*>(&e)) return ErrorKind::memory;
  return ErrorKind::generic;
}

void throw_error(ErrorKind kind, const std::string& message) {
  switch (kind) {
    case ErrorKind::usage:
      throw UsageError(message);
    case ErrorKind::mpi:
      throw MpiError(message);
    case ErrorKind::io:
      throw IoError(message);
    case ErrorKind::parse:
      throw ParseError(message);
    case ErrorKind::value:
      throw ValueError(message);
    case ErrorKind::type:
      throw TypeError(message);
    case ErrorKind::shape:
      throw ShapeError(message);
    case ErrorKind::graph:
      throw GraphError(message);
    case ErrorKind::memory:
      throw MemoryError(message);
    case ErrorKind::internal:
      throw InternalError(message);
    case ErrorKind::generic:
    case ErrorKind::task:
      break;
  }
  throw Error(message);
}

}  // namespace pando
