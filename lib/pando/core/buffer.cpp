#include <pando/core/buffer.hpp>

#include <pando/core/error.hpp>

#include <cstring>
#include <new>
#include <utility>

namespace pando {

namespace {
struct AlignedDelete {
  void operator()(std::byte* p) const noexcept {
    ::operator delete[](p, std::align_val_t{Buffer::alignment});
  }
};
}  // namespace

Buffer Buffer::allocate(std::size_t n) {
  Buffer b;
  if (n == 0) return b;
  auto* p = static_cast<std::byte*>(::operator new[](n, std::align_val_t{alignment}));
  b.owner_ = std::shared_ptr<std::byte>(p, AlignedDelete{});
  b.data_ = p;
  b.size_ = n;
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

Buffer Buffer::slice(std::size_t offset, std::size_t n) const {
  if (offset > size_ || n > size_ - offset)
    throw ValueError("Buffer::slice: bytes [" + std::to_string(offset) + ", " +
                     std::to_string(offset + n) + ") lie outside a buffer of " +
                     std::to_string(size_) + " bytes");
  Buffer b;
  b.owner_ = owner_;
  b.data_ = data_ + offset;
  b.size_ = n;
  return b;
}

}  // namespace pando
