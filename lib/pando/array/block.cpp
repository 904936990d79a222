#include <pando/array/block.hpp>

#include <fmt/format.h>

#include <cstring>

namespace pando {

std::int64_t element_count(std::span<const std::int64_t> shape) noexcept {
  std::int64_t n = 1;
  for (auto s : shape) n *= s;
  return n;
}

std::string shape_text(std::span<const std::int64_t> shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

Block Block::allocate(DType dtype, Shape shape) {
  const auto bytes = static_cast<std::size_t>(element_count(shape)) * element_size(dtype);
  return Block{dtype, std::move(shape), Buffer::allocate(bytes)};
}

void Block::check() const {
  const auto expected = static_cast<std::size_t>(size()) * element_size(dtype);
  if (data.size() != expected)
    throw ValueError(fmt::format("a block of shape {} and type {} needs {} bytes, not {}",
                                 shape_text(shape), to_string(dtype), expected, data.size()));
}

Encoded Codec<Block>::encode(const Block& b, const std::shared_ptr<const void>&) {
  Encoded e;
  e.type = type_tag<Block>();
  e.meta.resize(2 + b.shape.size() * sizeof(std::int64_t));
  e.meta[0] = static_cast<std::byte>(b.dtype);
  e.meta[1] = static_cast<std::byte>(b.shape.size());
  if (!b.shape.empty()) std::memcpy(e.meta.data() + 2, b.shape.data(), b.shape.size() * 8);
  e.buffers.push_back(b.data);  // shares the bytes: no copy
  return e;
}

Block Codec<Block>::decode(const Encoded& e) {
  if (e.meta.size() < 2 || e.buffers.size() != 1) throw ValueError("malformed array block message");
  Block b;
  b.dtype = static_cast<DType>(e.meta[0]);
  b.shape.resize(static_cast<std::size_t>(e.meta[1]));
  if (e.meta.size() != 2 + b.shape.size() * 8) throw ValueError("malformed array block message");
  if (!b.shape.empty()) std::memcpy(b.shape.data(), e.meta.data() + 2, b.shape.size() * 8);
  b.data = e.buffers[0];
  b.check();
  return b;
}

}  // namespace pando
