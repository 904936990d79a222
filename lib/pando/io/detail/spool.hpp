#pragma once
// Spool: byte pieces a rank makes one at a time (the formatted partitions of a CSV output) and
// writes out later, once their place in a shared output is known (an exclusive scan of sizes in
// partition order). Pieces stay in memory up to a budget of bytes in all; beyond it they go to
// a temporary file beside the output, so a rank's memory stays bounded whatever the output's
// size, and small outputs never touch the disk twice.
//
//   io::Spool spool("out/all.csv", budget);            // one per rank and output
//   auto piece = spool.add([&](const io::Spool::Sink& put) { put(chunk); ... });
//   ...
//   spool.write_to(shared_file, piece, offset);         // once every piece's offset is known

#include <pando/core/buffer.hpp>
#include <pando/io/atomic.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace pando::io {

class Spool {
 public:
  // `near`: the output, beside which the temporary file goes when one is needed.
  Spool(std::string near, std::uint64_t memory_budget);
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;
  // Removes the temporary file, if any.
  ~Spool() = default;

  using Sink = std::function<void(std::string_view)>;
  // A piece that `write` hands over a chunk at a time (it calls its argument with each): kept
  // in memory while the budget allows, else written on to the file as it comes (no piece is
  // ever held whole beyond the budget). Returns its number.
  std::size_t add(const std::function<void(const Sink&)>& write);
  [[nodiscard]] std::uint64_t size(std::size_t piece) const { return pieces_.at(piece).size; }
  // Writes piece number `piece` at `offset` of `out` (a failure is kept for out.commit()).
  void write_to(AtomicSharedFile& out, std::size_t piece, std::uint64_t offset) const;
  // Bytes [offset, offset + n) of piece number `piece` (an upload's part). IoError if the
  // piece is shorter.
  [[nodiscard]] Buffer read(std::size_t piece, std::uint64_t offset, std::uint64_t n) const;
  // Bytes held in memory now.
  [[nodiscard]] std::uint64_t held() const noexcept { return held_; }

 private:
  struct Piece {
    Buffer memory;         // the bytes, or empty when they are in the file...
    std::uint64_t at = 0;  // ...at this offset
    std::uint64_t size = 0;
  };

  std::string near_;
  std::uint64_t budget_;
  std::uint64_t held_ = 0;
  std::vector<Piece> pieces_;
  TempPath temp_;  // destroyed after file_: closed, then removed
  PosixFile file_;
  std::uint64_t end_ = 0;
};

}  // namespace pando::io
