#include <pando/core/buffer.hpp>

#include <pando/core/error.hpp>
#include <pando/core/fault.hpp>

#include <fmt/format.h>

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <utility>

namespace pando {

namespace {

constexpr std::size_t huge_page = std::size_t{2} << 20;

// Asks the kernel to back [p, p + n) with 2 MiB pages where it can (large buffers only; a no-op
// elsewhere). Fresh memory costs a page fault per 4 KiB page on first touch, and in a virtual
// machine a fault costs microseconds: filling 72 MiB of fresh 4 KiB pages was measured at
// 0.29 s, of 2 MiB pages at 0.006 s, here. Safe on any range: only whole huge pages inside it
// are affected, and a kernel without transparent huge pages ignores the advice.
void advise_huge_pages(void* p, std::size_t n) noexcept {
  if (n < huge_page) return;
  const auto begin = (reinterpret_cast<std::uintptr_t>(p) + huge_page - 1) / huge_page * huge_page;
  const auto end = (reinterpret_cast<std::uintptr_t>(p) + n) / huge_page * huge_page;
  if (end > begin)
    (void)::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);  // advice only
}

// Buffers of a huge page or more start on a huge-page boundary, so that all of them can be
// backed by huge pages (advise_huge_pages).
std::size_t alignment_for(std::size_t n) noexcept {
  return n >= huge_page ? huge_page : Buffer::alignment;
}

std::byte* allocate_aligned(std::size_t n) {
  auto* p = static_cast<std::byte*>(::operator new[](n, std::align_val_t{alignment_for(n)}));
  advise_huge_pages(p, n);
  return p;
}
void free_aligned(std::byte* p, std::size_t n) noexcept {
  ::operator delete[](p, std::align_val_t{alignment_for(n)});
}

// Freed large buffers kept for the next allocation of about their size. Blocks and columns
// come and go by the thousand, mostly of a few sizes; memory fresh from the kernel costs a page
// fault per 4 KiB on first touch, which in a virtual machine cost more than the kernels that
// fill the pages (measured: an element-wise pass at 12 ns/element from fresh memory, 5 from
// reused). The cache holds at most `capacity` bytes; the rest goes back to the system.
class LargeBufferCache {
 public:
  // From 64 KiB: below, malloc's heap reuses memory; above, it maps fresh pages for each
  // buffer and unmaps them at its end (a shuffle's pieces of a few hundred KiB each cost their
  // size in page faults, measured at 30 us per 4 KiB page here: more than the gather filling them).
  static constexpr std::size_t smallest = std::size_t{64} << 10;

  static LargeBufferCache& instance() {
    // Never destroyed: buffers may be freed during static destruction.
    static auto* cache = new LargeBufferCache();
    return *cache;
  }

  // A buffer of at least n bytes (n >= smallest) and its real size.
  std::pair<std::byte*, std::size_t> take(std::size_t n) {
    const std::size_t want = round_up(n);
    {
      std::lock_guard lock(mutex_);
      // A cached buffer no more than an eighth larger than asked.
      auto it = free_.lower_bound(want);
      if (it != free_.end() && it->first <= want + want / 8) {
        auto found = std::pair{it->second, it->first};
        held_ -= it->first;
        free_.erase(it);
        return found;
      }
    }
    return {allocate_aligned(want), want};
  }

  void give_back(std::byte* p, std::size_t size) noexcept {
    std::lock_guard lock(mutex_);
    if (held_ + size > capacity) {
      // Make room by dropping the smallest, which are the least likely to be reused.
      while (!free_.empty() && held_ + size > capacity) {
        held_ -= free_.begin()->first;
        free_aligned(free_.begin()->second, free_.begin()->first);
        free_.erase(free_.begin());
      }
      if (held_ + size > capacity) {
        free_aligned(p, size);
        return;
      }
    }
    free_.emplace(size, p);
    held_ += size;
  }

 private:
  static constexpr std::size_t capacity = std::size_t{256} << 20;
  // Sizes come in classes, eight per power of two (at most 1/8 more than asked): buffers of
  // nearby sizes (a partition's columns, whose row counts vary a little) share a class and are
  // reused, so the cache holds about the buffers in use at once, not one per size ever seen.
  // From 1 MiB, whole huge pages: a 2 MiB page costs one fault where its 4 KiB pages cost 512
  // (measured: 3.5 ms for 38 MiB of huge pages, 30 us per 4 KiB page), for at most 2 MiB more
  // memory per buffer.
  static std::size_t round_up(std::size_t n) {
    const std::size_t least = n >= huge_page / 2 ? huge_page : 4096;
    const std::size_t step = std::max<std::size_t>(std::bit_ceil(n) / 16, least);
    return (n + step - 1) / step * step;
  }

  std::mutex mutex_;
  std::multimap<std::size_t, std::byte*> free_;
  std::size_t held_ = 0;
};

}  // namespace

namespace detail {

namespace {
std::size_t page_rounded(std::size_t bytes) noexcept {
  return bytes >= huge_page / 2 ? (bytes + huge_page - 1) / huge_page * huge_page : bytes;
}
}  // namespace

std::byte* allocate_pages(std::size_t bytes) { return allocate_aligned(page_rounded(bytes)); }

void free_pages(std::byte* p, std::size_t bytes) noexcept { free_aligned(p, page_rounded(bytes)); }

}  // namespace detail

Buffer Buffer::allocate(std::size_t n) {
  Buffer b;
  if (n == 0) return b;
  std::byte* p;
  if (n >= LargeBufferCache::smallest) {
    fault::point(fault::Point::alloc);
    std::pair<std::byte*, std::size_t> taken;
    try {
      taken = LargeBufferCache::instance().take(n);
    } catch (const std::bad_alloc&) {
      throw MemoryError(fmt::format("out of memory: cannot allocate {} bytes ({:.1f} MiB)", n,
                                    static_cast<double>(n) / (1 << 20)));
    }
    auto [q, size] = taken;
    p = q;
    b.owner_ = std::shared_ptr<std::byte>(
        p, [size](std::byte* r) noexcept { LargeBufferCache::instance().give_back(r, size); });
  } else {
    p = allocate_aligned(n);
    b.owner_ = std::shared_ptr<std::byte>(p, [n](std::byte* r) noexcept { free_aligned(r, n); });
  }
  b.data_ = p;
  b.size_ = n;
  return b;
}

Buffer Buffer::zeros(std::size_t n) {
  Buffer b = allocate(n);
  if (n) std::memset(b.mutable_data(), 0, n);
  return b;
}

Buffer Buffer::copy_of(std::span<const std::byte> bytes) {
  Buffer b = allocate(bytes.size());
  if (!bytes.empty()) std::memcpy(b.mutable_data(), bytes.data(), bytes.size());
  return b;
}

Buffer Buffer::wrap(std::shared_ptr<const void> owner, const void* data, std::size_t n) {
  Buffer b;
  b.owner_ = std::move(owner);
  b.data_ = static_cast<const std::byte*>(data);
  b.size_ = n;
  return b;
}

Buffer Buffer::adopt(Bytes bytes) {
  auto owner = std::make_shared<Bytes>(std::move(bytes));
  return wrap(owner, owner->data(), owner->size());
}

Buffer Buffer::borrow(const void* data, std::size_t n) {
  Buffer b = wrap(nullptr, data, n);
  b.borrowed_ = n > 0;
  return b;
}

Buffer Buffer::slice(std::size_t offset, std::size_t n) const {
  if (offset > size_ || n > size_ - offset)
    throw ValueError("Buffer::slice: bytes [" + std::to_string(offset) + ", " +
                     std::to_string(offset + n) + ") lie outside a buffer of " +
                     std::to_string(size_) + " bytes");
  Buffer b;
  b.owner_ = owner_;
  b.borrowed_ = borrowed_;
  b.data_ = data_ + offset;
  b.size_ = n;
  return b;
}

}  // namespace pando
