#pragma once
// Outputs on S3 written by every rank, whole or not at all (docs/architecture.md §7.4).
//
// The bytes come as pieces (a frame's formatted partitions), numbered in output order; every rank
// knows every piece's size, and holds some of them.
//
// One object (write_s3_object): a multipart upload. Consecutive pieces are grouped into parts of
// at least `part_bytes` (5 MiB at least, as S3 wants of every part but the last; larger when the
// output would need over 10,000 parts); each part is uploaded by the rank holding most of its
// bytes, the others sending it their pieces (in rounds of at most `round_bytes` per rank), and
// rank 0 completes the upload once every part exists, or aborts it on any failure. An output of
// one part is one PUT by its rank.
//
// One object per piece (write_s3_objects): each rank uploads its pieces as multipart uploads,
// and completes them only once every part of every object exists everywhere; on any failure the
// uploads are aborted and the objects already completed deleted; then rank 0 writes the
// `_SUCCESS` marker, last. A job killed while objects are being completed can leave some of
// them behind, without the marker.
//
// Every failure reaches every rank as the same error (DeferredError, then one agreement).

#include <pando/core/buffer.hpp>
#include <pando/core/comm.hpp>
#include <pando/io/s3_url.hpp>

#include <cstdint>
#include <functional>
#include <vector>

namespace pando::io {

struct S3Pieces {
  std::vector<std::uint64_t> sizes;  // every piece, in output order: alike on every rank
  std::vector<std::size_t> held;     // the pieces this rank holds, ascending
  // Bytes [offset, offset + n) of a piece this rank holds.
  std::function<Buffer(std::size_t piece, std::uint64_t offset, std::uint64_t n)> read;
};

inline constexpr std::uint64_t default_part_bytes = 8ull << 20;

// Collective.
void write_s3_object(const Comm& comm, const S3Url& url, const S3Pieces& pieces,
                     std::uint64_t part_bytes = default_part_bytes,
                     std::uint64_t round_bytes = 256ull << 20);
// Collective. urls[i] is piece i's object; `marker` is written (empty) after all of them.
void write_s3_objects(const Comm& comm, const std::vector<S3Url>& urls, const S3Pieces& pieces,
                      const S3Url& marker, std::uint64_t part_bytes = default_part_bytes);

}  // namespace pando::io
