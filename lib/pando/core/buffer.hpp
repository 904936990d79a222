#pragma once
// Contiguous bytes with shared ownership: the unit bulk data travels in (array blocks, table
// columns, message payloads). A Buffer can wrap memory owned by someone else (a simulation's
// array, a received message) without copying; copies of a Buffer share the bytes.

#include <cstddef>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

namespace pando {

using Bytes = std::vector<std::byte>;

class Buffer {
 public:
  // Alignment of allocated buffers: a cache line, and enough for any SIMD load.
  static constexpr std::size_t alignment = 64;

  Buffer() = default;

  // `n` uninitialized bytes (kernels overwrite them; zeroing would cost a pass over memory).
  static Buffer allocate(std::size_t n);
  // `n` bytes of zeros (counters, bitmaps).
  static Buffer zeros(std::size_t n);
  static Buffer copy_of(std::span<const std::byte> bytes);
  // Views `n` bytes at `data`, kept alive by `owner` for as long as any copy of the Buffer.
  static Buffer wrap(std::shared_ptr<const void> owner, const void* data, std::size_t n);
  // Takes a vector's storage without copying.
  static Buffer adopt(Bytes bytes);

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] const std::byte* data() const noexcept { return data_; }
  // Writable access, for the code that fills a buffer before it shares it.
  [[nodiscard]] std::byte* mutable_data() noexcept { return const_cast<std::byte*>(data_); }
  [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }

  // The bytes viewed as elements of T (size must be a multiple of sizeof(T)).
  template <class T>
  [[nodiscard]] std::span<const T> as() const noexcept {
    static_assert(std::is_trivially_copyable_v<T>);
    return {reinterpret_cast<const T*>(data_), size_ / sizeof(T)};
  }
  template <class T>
  [[nodiscard]] std::span<T> as_mutable() noexcept {
    static_assert(std::is_trivially_copyable_v<T>);
    return {reinterpret_cast<T*>(mutable_data()), size_ / sizeof(T)};
  }

  // A view of bytes [offset, offset + n) sharing ownership.
  [[nodiscard]] Buffer slice(std::size_t offset, std::size_t n) const;

 private:
  std::shared_ptr<const void> owner_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace pando
