#include <pando/io/detail/spool.hpp>

#include <pando/core/error.hpp>

#include <fmt/format.h>

namespace pando::io {

Spool::Spool(std::string near, std::uint64_t memory_budget)
    : near_(std::move(near)), budget_(memory_budget) {}

std::size_t Spool::add(const std::function<void(const Sink&)>& write) {
  Piece p;
  std::string kept;  // the piece while it fits the budget
  bool spilled = false;
  auto to_file = [&](std::string_view bytes) {
    if (!file_.is_open()) {
      std::string path = temp_path_for(near_);
      file_ = PosixFile::open(path, PosixFile::Mode::scratch, near_);
      temp_ = TempPath(std::move(path));
    }
    file_.write_at(end_ + p.size, bytes);
    p.size += bytes.size();
  };
  write([&](std::string_view chunk) {
    if (!spilled && held_ + kept.size() + chunk.size() <= budget_) {
      kept.append(chunk);
      return;
    }
    if (!spilled) {  // this piece outgrows the budget: what it kept goes first
      spilled = true;
      to_file(kept);
      kept = std::string();
    }
    to_file(chunk);
  });
  if (spilled) {
    p.at = end_;
    end_ += p.size;
  } else {
    p.size = kept.size();
    held_ += p.size;
    p.memory = Buffer::copy_of(std::as_bytes(std::span<const char>(kept.data(), kept.size())));
  }
  pieces_.push_back(std::move(p));
  return pieces_.size() - 1;
}

void Spool::write_to(AtomicSharedFile& out, std::size_t piece, std::uint64_t offset) const {
  const Piece& p = pieces_.at(piece);
  if (p.size == 0) return;
  if (!p.memory.empty())
    out.write_at(offset, p.memory.bytes());
  else
    out.copy_from(file_, p.at, offset, p.size);
}

Buffer Spool::read(std::size_t piece, std::uint64_t offset, std::uint64_t n) const {
  const Piece& p = pieces_.at(piece);
  if (offset > p.size || n > p.size - offset)
    throw IoError(fmt::format("{}: spooled piece {} has {} bytes, not {} at {}", near_, piece,
                              p.size, n, offset));
  if (!p.memory.empty() || n == 0)
    return p.memory.slice(static_cast<std::size_t>(offset), static_cast<std::size_t>(n));
  Buffer out = Buffer::allocate(static_cast<std::size_t>(n));
  if (file_.read_at(p.at + offset, out.as_mutable<std::byte>()) != n)
    throw IoError(fmt::format("{}: the spool file ended early", near_));
  return out;
}

}  // namespace pando::io
