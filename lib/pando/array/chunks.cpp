#include <pando/array/chunks.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace pando {

Chunks regular_chunks(std::span<const std::int64_t> shape, std::span<const std::int64_t> block) {
  if (block.size() != shape.size())
    throw ShapeError(fmt::format("chunks {} have {} axes, but the shape {} has {}",
                                 shape_text(block), block.size(), shape_text(shape), shape.size()));
  Chunks c(shape.size());
  for (std::size_t a = 0; a < shape.size(); ++a) {
    if (block[a] < 1)
      throw ShapeError(fmt::format("chunk size {} along axis {} must be at least 1", block[a], a));
    for (std::int64_t at = 0; at < shape[a]; at += block[a])
      c[a].push_back(std::min(block[a], shape[a] - at));
    if (shape[a] == 0) c[a].push_back(0);  // an empty axis is one empty chunk, as in Dask
  }
  return c;
}

Chunks auto_chunks(std::span<const std::int64_t> shape, DType dtype, std::size_t target_bytes) {
  Shape block(shape.begin(), shape.end());
  for (auto& b : block) b = std::max<std::int64_t>(b, 1);
  const auto item = std::max<std::size_t>(element_size(dtype), 1);
  // Halve the longest side until a block fits: square-ish blocks keep both row and column
  // reductions cheap.
  while (static_cast<std::size_t>(element_count(block)) * item > target_bytes) {
    auto longest = std::max_element(block.begin(), block.end());
    if (*longest <= 1) break;
    *longest = (*longest + 1) / 2;
  }
  return regular_chunks(shape, block);
}

void check_chunks(std::span<const std::int64_t> shape, const Chunks& chunks,
                  std::string_view what) {
  if (chunks.size() != shape.size())
    throw ShapeError(fmt::format("{}: chunks {} have {} axes, but the shape {} has {}", what,
                                 chunks_text(chunks), chunks.size(), shape_text(shape),
                                 shape.size()));
  for (std::size_t a = 0; a < shape.size(); ++a) {
    std::int64_t sum = 0;
    for (auto c : chunks[a]) {
      if (c < 0) throw ShapeError(fmt::format("{}: a negative chunk size along axis {}", what, a));
      sum += c;
    }
    if (sum != shape[a] || chunks[a].empty())
      throw ShapeError(
          fmt::format("{}: chunks {} add up to {} along axis {}, but the shape {} has {}", what,
                      chunks_text(chunks), sum, a, shape_text(shape), shape[a]));
  }
}

std::string chunks_text(const Chunks& chunks) {
  std::vector<std::string> axes;
  for (const auto& c : chunks) axes.push_back(shape_text(c));
  if (axes.size() == 1) return fmt::format("({},)", axes[0]);
  return fmt::format("({})", fmt::join(axes, ", "));
}

Shape grid_shape(const Chunks& chunks) {
  Shape g;
  for (const auto& c : chunks) g.push_back(static_cast<std::int64_t>(c.size()));
  return g;
}

std::int64_t block_count(const Chunks& chunks) { return element_count(grid_shape(chunks)); }

Shape block_shape(const Chunks& chunks, std::span<const std::int64_t> index) {
  Shape s(chunks.size());
  for (std::size_t a = 0; a < chunks.size(); ++a)
    s[a] = chunks[a][static_cast<std::size_t>(index[a])];
  return s;
}

Shape block_offset(const Chunks& chunks, std::span<const std::int64_t> index) {
  Shape s(chunks.size());
  for (std::size_t a = 0; a < chunks.size(); ++a)
    s[a] = std::accumulate(chunks[a].begin(), chunks[a].begin() + index[a], std::int64_t{0});
  return s;
}

std::vector<std::int64_t> chunk_offsets(const std::vector<std::int64_t>& axis_chunks) {
  std::vector<std::int64_t> off(axis_chunks.size() + 1, 0);
  std::partial_sum(axis_chunks.begin(), axis_chunks.end(), off.begin() + 1);
  return off;
}

void for_each_block(const Chunks& chunks,
                    const std::function<void(std::span<const std::int64_t>)>& f) {
  const Shape grid = grid_shape(chunks);
  const auto n = element_count(grid);
  Shape index(grid.size(), 0);
  for (std::int64_t k = 0; k < n; ++k) {
    f(index);
    for (std::size_t a = grid.size(); a-- > 0;) {
      if (++index[a] < grid[a]) break;
      index[a] = 0;
    }
  }
}

std::int64_t flat_block(const Chunks& chunks, std::span<const std::int64_t> index) {
  std::int64_t flat = 0;
  for (std::size_t a = 0; a < chunks.size(); ++a)
    flat = flat * static_cast<std::int64_t>(chunks[a].size()) + index[a];
  return flat;
}

Shape unflatten_block(const Chunks& chunks, std::int64_t flat) {
  Shape index(chunks.size());
  for (std::size_t a = chunks.size(); a-- > 0;) {
    const auto n = static_cast<std::int64_t>(chunks[a].size());
    index[a] = flat % n;
    flat /= n;
  }
  return index;
}

}  // namespace pando
