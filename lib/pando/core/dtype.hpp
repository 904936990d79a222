#pragma once
// Element types shared by arrays (blocks), frames (columns) and the expression language.
//
// Storage: boolean as one byte (0/1); int32/int64/uint64/float32/float64 as themselves;
// timestamp as int64 nanoseconds since 1970-01-01T00:00:00 (no time zone); string as an offsets
// buffer of n+1 int64 plus one bytes buffer (UTF-8). Nulls live in a separate validity bitmap
// (bit i of byte i/8, least significant bit first, 1 = valid, as in Arrow).
//
// uint64 is for arrays only: HDF5 datasets of uint64, and the sums and products of unsigned
// integers (NumPy's types). Arrays read, move, reduce and write it; the expression language and
// frames do not compute with it (is_numeric() and is_integer() are false for it).

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace pando {

// (uint64 last: the values of the others are in messages and files already.)
enum class DType : std::uint8_t {
  boolean,
  int32,
  int64,
  float32,
  float64,
  string,
  timestamp,
  uint64
};

// "bool", "int32", "int64", "float32", "float64", "string", "timestamp", "uint64" (pandas-like
// names).
std::string_view to_string(DType t) noexcept;
// Parses those names (and "float"/"int"/"double"/"str"/"datetime" aliases); nullopt otherwise.
std::optional<DType> parse_dtype(std::string_view name) noexcept;

// Integer types that files hold in fewer bits than Pando's types, or unsigned. Arrays hold
// int8, int16, uint8 and uint16 as int32, and uint32 as int64 (every value exactly), and
// remember the narrow type: reductions give NumPy's result types for it (the sum of uint8 is
// uint64, its min uint8) and writing stores it again.
enum class NarrowInt : std::uint8_t { none, int8, int16, uint8, uint16, uint32 };

// "int8", "int16", "uint8", "uint16", "uint32" ("" for none).
std::string_view to_string(NarrowInt t) noexcept;

// The DType that holds a narrow type's values: int32, or int64 for uint32 (float64: none).
constexpr DType holding_type(NarrowInt t) noexcept {
  switch (t) {
    case NarrowInt::int8:
    case NarrowInt::int16:
    case NarrowInt::uint8:
    case NarrowInt::uint16:
      return DType::int32;
    case NarrowInt::uint32:
      return DType::int64;
    case NarrowInt::none:
      break;
  }
  return DType::float64;
}
constexpr bool is_unsigned(NarrowInt t) noexcept {
  return t == NarrowInt::uint8 || t == NarrowInt::uint16 || t == NarrowInt::uint32;
}

// Bytes per element of fixed-width types (strings: 0).
constexpr std::size_t element_size(DType t) noexcept {
  switch (t) {
    case DType::boolean:
      return 1;
    case DType::int32:
    case DType::float32:
      return 4;
    case DType::int64:
    case DType::uint64:
    case DType::float64:
    case DType::timestamp:
      return 8;
    case DType::string:
      return 0;
  }
  return 0;
}

constexpr bool is_numeric(DType t) noexcept {
  return t == DType::int32 || t == DType::int64 || t == DType::float32 || t == DType::float64;
}
constexpr bool is_floating(DType t) noexcept { return t == DType::float32 || t == DType::float64; }
constexpr bool is_integer(DType t) noexcept { return t == DType::int32 || t == DType::int64; }

// The DType of a C++ element type (bool, int32_t, int64_t, uint64_t, float, double).
template <class T>
constexpr DType dtype_of() noexcept {
  if constexpr (std::is_same_v<T, bool>)
    return DType::boolean;
  else if constexpr (std::is_same_v<T, std::int32_t>)
    return DType::int32;
  else if constexpr (std::is_same_v<T, std::int64_t>)
    return DType::int64;
  else if constexpr (std::is_same_v<T, std::uint64_t>)
    return DType::uint64;
  else if constexpr (std::is_same_v<T, float>)
    return DType::float32;
  else {
    static_assert(std::is_same_v<T, double>, "no DType for this element type");
    return DType::float64;
  }
}

// ---- visiting the C++ type of a DType ----

// A set of DTypes: the ones an operation takes (visit's filter).
struct DTypeSet {
  std::uint16_t bits = 0;  // bit i: DType i (a public member: sets are template arguments)

  constexpr DTypeSet() = default;
  constexpr DTypeSet(std::initializer_list<DType> types) noexcept {
    for (DType t : types) bits |= static_cast<std::uint16_t>(1u << static_cast<unsigned>(t));
  }
  [[nodiscard]] constexpr bool contains(DType t) const noexcept {
    return (bits >> static_cast<unsigned>(t)) & 1u;
  }
  friend constexpr DTypeSet operator|(DTypeSet a, DTypeSet b) noexcept {
    a.bits |= b.bits;
    return a;
  }
  friend constexpr DTypeSet operator-(DTypeSet a, DTypeSet b) noexcept {
    a.bits &= static_cast<std::uint16_t>(~b.bits);
    return a;
  }
};

inline constexpr DTypeSet all_dtypes{DType::boolean,   DType::int32,   DType::int64,
                                     DType::float32,   DType::float64, DType::string,
                                     DType::timestamp, DType::uint64};
// What frame columns and the expression language hold: every type but uint64 (arrays only).
inline constexpr DTypeSet column_dtypes = all_dtypes - DTypeSet{DType::uint64};
// Those of them with one fixed-width value per row.
inline constexpr DTypeSet fixed_width_column_dtypes = column_dtypes - DTypeSet{DType::string};

// "bool, int32 or float64", in DType order.
std::string to_string(DTypeSet types);

// visit's stand-in for a string element, which is no one C++ value (n + 1 int64 offsets into
// one bytes buffer).
struct StringTag {};

namespace detail {

// The TypeError for a type an operation does not take: "this operation takes bool, int32 or
// float64, not string" (visit's default `Otherwise`).
[[noreturn]] void refuse_dtype(DTypeSet takes, DType t);
template <DTypeSet Takes>
[[noreturn]] void refuse_dtype(DType t) {
  refuse_dtype(Takes, t);
}

}  // namespace detail

// The one mapping from a DType to the C++ type of its elements. Calls f(T{}) with T: bool
// (boolean: one byte, 0 or 1), std::int32_t, std::int64_t (int64 and timestamp),
// std::uint64_t, float, double, or StringTag (string). f is instantiated for the types in
// `Takes` only, those the operation handles; any other type goes to `Otherwise(t)`, which
// either returns what f returns (a kernel table's nullptr) or throws a TypeError that says what
// the operation takes (arrays: refuse_array_dtype; by default detail::refuse_dtype).
template <DTypeSet Takes = all_dtypes, auto Otherwise = &detail::refuse_dtype<Takes>, class F>
decltype(auto) visit(DType t, F&& f) {
  switch (t) {
    case DType::boolean:
      if constexpr (Takes.contains(DType::boolean)) return f(bool{});
      break;
    case DType::int32:
      if constexpr (Takes.contains(DType::int32)) return f(std::int32_t{});
      break;
    case DType::int64:
      if constexpr (Takes.contains(DType::int64)) return f(std::int64_t{});
      break;
    case DType::timestamp:
      if constexpr (Takes.contains(DType::timestamp)) return f(std::int64_t{});
      break;
    case DType::uint64:
      if constexpr (Takes.contains(DType::uint64)) return f(std::uint64_t{});
      break;
    case DType::float32:
      if constexpr (Takes.contains(DType::float32)) return f(float{});
      break;
    case DType::float64:
      if constexpr (Takes.contains(DType::float64)) return f(double{});
      break;
    case DType::string:
      if constexpr (Takes.contains(DType::string)) return f(StringTag{});
      break;
  }
  if constexpr (std::is_void_v<decltype(Otherwise(t))>) {
    // A refusal: it throws, whatever f returns. Should one return, the default error follows.
    Otherwise(t);
    detail::refuse_dtype(Takes, t);
  } else {
    return Otherwise(t);
  }
}

}  // namespace pando
