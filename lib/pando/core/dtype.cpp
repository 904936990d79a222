#include <pando/core/dtype.hpp>

#include <pando/core/error.hpp>

#include <fmt/format.h>

namespace pando {

std::string_view to_string(DType t) noexcept {
  switch (t) {
    case DType::boolean:
      return "bool";
    case DType::int32:
      return "int32";
    case DType::int64:
      return "int64";
    case DType::float32:
      return "float32";
    case DType::float64:
      return "float64";
    case DType::string:
      return "string";
    case DType::timestamp:
      return "timestamp";
    case DType::uint64:
      return "uint64";
  }
  return "?";
}

std::string_view to_string(NarrowInt t) noexcept {
  switch (t) {
    case NarrowInt::int8:
      return "int8";
    case NarrowInt::int16:
      return "int16";
    case NarrowInt::uint8:
      return "uint8";
    case NarrowInt::uint16:
      return "uint16";
    case NarrowInt::uint32:
      return "uint32";
    case NarrowInt::none:
      break;
  }
  return "";
}

std::optional<DType> parse_dtype(std::string_view n) noexcept {
  if (n == "bool" || n == "boolean") return DType::boolean;
  if (n == "int32") return DType::int32;
  if (n == "int64" || n == "int") return DType::int64;
  if (n == "uint64") return DType::uint64;
  if (n == "float32") return DType::float32;
  if (n == "float64" || n == "float" || n == "double") return DType::float64;
  if (n == "string" || n == "str" || n == "object") return DType::string;
  if (n == "timestamp" || n == "datetime" || n == "datetime64" || n == "datetime64[ns]")
    return DType::timestamp;
  return std::nullopt;
}

std::string to_string(DTypeSet types) {
  std::string out;
  int left = __builtin_popcount(types.bits);
  for (unsigned i = 0; i < 16; ++i) {
    if (!((types.bits >> i) & 1u)) continue;
    out += to_string(static_cast<DType>(i));
    --left;
    out += left > 1 ? ", " : left == 1 ? " or " : "";
  }
  return out;
}

namespace detail {

void refuse_dtype(DTypeSet takes, DType t) {
  throw TypeError(fmt::format("this operation takes {}, not {}", to_string(takes), to_string(t)));
}

}  // namespace detail

}  // namespace pando
