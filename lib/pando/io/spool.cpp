#include <pando/io/detail/spool.hpp>

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

}  // namespace pando::io
