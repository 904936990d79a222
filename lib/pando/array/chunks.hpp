#pragma once
// How an array is cut into blocks, as in Dask: per axis, the sizes of its chunks (the last one
// may be short). Block (i, j) spans rows [offset0[i], offset0[i] + chunks[0][i]) and so on.

#include <pando/array/block.hpp>

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace pando {

using Chunks = std::vector<std::vector<std::int64_t>>;

// Chunks of `block` elements along each axis (the last chunk holds the rest). ShapeError when
// they do not fit the shape (a wrong number of axes, sizes below 1).
Chunks regular_chunks(std::span<const std::int64_t> shape, std::span<const std::int64_t> block);
// Chunks of about `target_bytes` per block, square-ish ("auto" in Dask).
Chunks auto_chunks(std::span<const std::int64_t> shape, DType dtype,
                   std::size_t target_bytes = std::size_t{64} << 20);
// ShapeError unless `chunks` covers `shape` exactly (names `what` in the message).
void check_chunks(std::span<const std::int64_t> shape, const Chunks& chunks, std::string_view what);

// "((2, 2, 1), (3,))" as Dask prints chunks.
std::string chunks_text(const Chunks& chunks);

// Block-grid helpers.
Shape grid_shape(const Chunks& chunks);  // blocks per axis
std::int64_t block_count(const Chunks& chunks);
Shape block_shape(const Chunks& chunks, std::span<const std::int64_t> index);
Shape block_offset(const Chunks& chunks, std::span<const std::int64_t> index);
// Offsets of each chunk along one axis, with the total at the end (n + 1 values).
std::vector<std::int64_t> chunk_offsets(const std::vector<std::int64_t>& axis_chunks);

// Calls f(index) for every block index in row-major order.
void for_each_block(const Chunks& chunks,
                    const std::function<void(std::span<const std::int64_t>)>& f);
// Row-major flat number of a block index, and back.
std::int64_t flat_block(const Chunks& chunks, std::span<const std::int64_t> index);
Shape unflatten_block(const Chunks& chunks, std::int64_t flat);

}  // namespace pando
