#include <pando/io/spool.hpp>

namespace pando::io {

Spool::Spool(std::string near, std::uint64_t memory_budget)
    : near_(std::move(near)), budget_(memory_budget) {}

std::size_t Spool::add(Buffer bytes) {
  Piece p;
  p.size = bytes.size();
  if (held_ + p.size <= budget_) {
    held_ += p.size;
    p.memory = std::move(bytes);
  } else {
    if (!file_.is_open()) {
      std::string path = temp_path_for(near_);
      file_ = PosixFile::open(path, PosixFile::Mode::scratch, near_);
      temp_ = TempPath(std::move(path));
    }
    file_.write_at(end_, bytes.bytes());
    p.at = end_;
    end_ += p.size;
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

}  // namespace pando::io
