#pragma once
// Contiguous bytes with shared ownership: the unit bulk data travels in (array blocks, table
// columns, message payloads). A Buffer can wrap memory owned by someone else (a received
// message) without copying, or borrow memory nobody shares with it (a simulation's field, valid
// only while the host says so); copies of a Buffer share the bytes.

#include <cstddef>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

namespace pando {

using Bytes = std::vector<std::byte>;

namespace detail {
// Memory for large containers: from 1 MiB, whole 2 MiB pages (one page fault each, where 4 KiB
// pages cost 512; see buffer.cpp).
[[nodiscard]] std::byte* allocate_pages(std::size_t bytes);
void free_pages(std::byte* p, std::size_t bytes) noexcept;
}  // namespace detail

// An allocator for standard containers that grow large where fresh memory is costly: the
// records of a million tasks (std::vector<T, PageAllocator<T>>).
template <class T>
struct PageAllocator {
  using value_type = T;
  PageAllocator() = default;
  template <class U>
  PageAllocator(const PageAllocator<U>&) noexcept {}
  [[nodiscard]] T* allocate(std::size_t n) {
    return reinterpret_cast<T*>(detail::allocate_pages(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    detail::free_pages(reinterpret_cast<std::byte*>(p), n * sizeof(T));
  }
  friend bool operator==(const PageAllocator&, const PageAllocator&) noexcept { return true; }
};

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
  // Views `n` bytes at `data` that the caller owns and keeps valid while the Buffer is in use:
  // host memory. Whatever must outlive that use (a persisted value, a result) takes owned().
  static Buffer borrow(const void* data, std::size_t n);

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

  // Whether the bytes are borrowed (borrow(), or a slice of such a buffer).
  [[nodiscard]] bool borrowed() const noexcept { return borrowed_; }
  // Bytes this buffer's holders own: itself, or a copy of borrowed bytes.
  [[nodiscard]] Buffer owned() const { return borrowed_ ? copy_of(bytes()) : *this; }

 private:
  std::shared_ptr<const void> owner_;
  bool borrowed_ = false;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace pando
