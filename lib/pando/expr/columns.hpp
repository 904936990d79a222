#pragma once
// What the evaluator reads and writes: typed buffers in the layouts of docs/architecture.md §4.2.
//
// Values are stored as dtype.hpp says (bool as one byte 0/1, timestamp as int64 nanoseconds,
// strings as n+1 int64 offsets into one UTF-8 bytes buffer); nulls as a validity bitmap, bit i
// of byte i/8, least significant bit first, 1 = valid. A null validity pointer (or an empty
// validity buffer) means every row is valid.

#include <pando/core/buffer.hpp>
#include <pando/core/dtype.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace pando::expr {

// A read-only view of `length` values, or of 1 value broadcast to every row. Nothing is owned:
// the caller keeps the memory alive while a Program runs over it.
struct Input {
  DType type = DType::float64;
  const void* data = nullptr;              // values; strings: the UTF-8 bytes
  const std::int64_t* offsets = nullptr;   // strings only: length + 1 offsets into data
  const std::uint8_t* validity = nullptr;  // nullptr = all valid
  std::size_t length = 0;                  // rows, or 1 for a broadcast scalar

  // Views of typed values: bool (as bytes 0/1), int32_t, int64_t, float, double.
  template <class T>
  static Input of(std::span<const T> values, const std::uint8_t* validity = nullptr) {
    return {dtype_of<T>(), values.data(), nullptr, validity, values.size()};
  }
  static Input of_bools(std::span<const std::uint8_t> values,
                        const std::uint8_t* validity = nullptr) {
    return {DType::boolean, values.data(), nullptr, validity, values.size()};
  }
  static Input of_timestamps(std::span<const std::int64_t> nanoseconds,
                             const std::uint8_t* validity = nullptr) {
    return {DType::timestamp, nanoseconds.data(), nullptr, validity, nanoseconds.size()};
  }
  // `offsets` holds length + 1 entries (they need not start at 0).
  static Input of_strings(const char* bytes, std::span<const std::int64_t> offsets,
                          const std::uint8_t* validity = nullptr) {
    return {DType::string, bytes, offsets.data(), validity,
            offsets.empty() ? 0 : offsets.size() - 1};
  }

  [[nodiscard]] bool is_valid(std::size_t i) const noexcept {
    return validity == nullptr || ((validity[i >> 3] >> (i & 7)) & 1) != 0;
  }
  template <class T>
  [[nodiscard]] T value(std::size_t i) const noexcept {
    return static_cast<const T*>(data)[i];
  }
  [[nodiscard]] std::string_view string(std::size_t i) const noexcept {
    const char* b = static_cast<const char*>(data);
    return {b + offsets[i], static_cast<std::size_t>(offsets[i + 1] - offsets[i])};
  }
};

// An owned result column of `length` rows.
struct Output {
  DType type = DType::float64;
  std::size_t length = 0;
  Buffer data;      // values; strings: the UTF-8 bytes
  Buffer offsets;   // strings only: length + 1 int64 offsets, the first 0
  Buffer validity;  // (length + 7) / 8 bytes, unused bits 0; empty = all valid

  [[nodiscard]] Input view() const noexcept {
    return {type, data.data(), type == DType::string ? offsets.as<std::int64_t>().data() : nullptr,
            validity.empty() ? nullptr : reinterpret_cast<const std::uint8_t*>(validity.data()),
            length};
  }
  template <class T>
  [[nodiscard]] std::span<const T> values() const noexcept {
    return {reinterpret_cast<const T*>(data.data()), length};
  }
  [[nodiscard]] bool is_valid(std::size_t i) const noexcept { return view().is_valid(i); }
  [[nodiscard]] std::string_view string(std::size_t i) const noexcept { return view().string(i); }
  [[nodiscard]] std::size_t null_count() const noexcept;
};

}  // namespace pando::expr
