#include <pando/io/detail/s3_output.hpp>

#include <pando/core/consensus.hpp>
#include <pando/core/error.hpp>
#include <pando/core/fault.hpp>
#include <pando/io/detail/s3_client.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace pando::io {

namespace {

// Messages of one write: from each sender to each receiver in the order both sides walk the
// parts, so one tag serves (MPI keeps the order of messages between two ranks with one tag).
constexpr int tag = 30;
// At most this many bytes per message (MPI counts are ints).
constexpr std::uint64_t message_bytes = 1ull << 30;

struct Group {
  std::size_t first = 0, last = 0;  // pieces [first, last)
  std::uint64_t bytes = 0;
  int owner = 0;  // the rank that uploads it: the one holding most of its bytes
};

// Which rank holds each piece, on every rank. Collective.
std::vector<int> holders(const Comm& comm, const S3Pieces& p) {
  std::vector<std::int64_t> mine(p.sizes.size(), -1), all(p.sizes.size(), -1);
  for (auto i : p.held) mine.at(i) = comm.rank();
  comm.allreduce(std::span<const std::int64_t>(mine), std::span<std::int64_t>(all), ReduceOp::max);
  std::vector<int> out(all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    // The same on every rank: every rank throws it.
    if (all[i] < 0) throw InternalError(fmt::format("S3 output: no rank holds piece {}", i));
    out[i] = static_cast<int>(all[i]);
  }
  return out;
}

// The size of every part but the last: S3's minimum, and larger when 10,000 parts would not
// hold the output.
std::uint64_t part_size(std::uint64_t total, std::uint64_t wanted) {
  const std::uint64_t fit = (total + S3Client::max_parts - 1) / S3Client::max_parts;
  return std::max({wanted, S3Client::min_part_bytes, fit});
}

// Consecutive pieces, each group at least `part` bytes but the last.
std::vector<Group> group_pieces(const S3Pieces& p, const std::vector<int>& holder,
                                std::uint64_t part, int ranks) {
  std::vector<Group> out;
  Group g;
  for (std::size_t i = 0; i < p.sizes.size(); ++i) {
    g.bytes += p.sizes[i];
    g.last = i + 1;
    if (g.bytes >= part || i + 1 == p.sizes.size()) {
      out.push_back(g);
      g = Group{i + 1, i + 1, 0, 0};
    }
  }
  for (auto& group : out) {
    std::vector<std::uint64_t> by_rank(static_cast<std::size_t>(ranks), 0);
    for (std::size_t i = group.first; i < group.last; ++i)
      by_rank[static_cast<std::size_t>(holder[i])] += p.sizes[i];
    group.owner = static_cast<int>(std::max_element(by_rank.begin(), by_rank.end()) -
                                   by_rank.begin());  // the first (lowest rank) of equals
  }
  return out;
}

// A held piece's bytes, exactly its size: a failure is kept in `local` and zeros stand in, so
// the messages the others expect are still sent.
Buffer piece_bytes(const S3Pieces& p, std::size_t i, DeferredError& local) {
  Buffer b;
  const bool ok = local.run([&] {
    b = p.read(i, 0, p.sizes[i]);
    if (b.size() != p.sizes[i])
      throw IoError(
          fmt::format("S3 output: piece {} has {} bytes, not {}", i, b.size(), p.sizes[i]));
  });
  return ok ? b : Buffer::zeros(static_cast<std::size_t>(p.sizes[i]));
}

// Collective. Gathers each group of `round` on its owner: the pieces other ranks hold arrive by
// message, its own are read. Returns this rank's groups' bytes, by index into `round`.
std::vector<Buffer> gather_round(const Comm& comm, const S3Pieces& p,
                                 const std::vector<int>& holder, std::span<const Group> round,
                                 DeferredError& local) {
  const int me = comm.rank();
  std::vector<Buffer> parts(round.size());
  std::vector<Request> requests;
  std::vector<Buffer> outgoing;  // alive until their sends end
  auto chunks = [](std::uint64_t n, auto&& f) {
    for (std::uint64_t at = 0; at < n; at += message_bytes) f(at, std::min(message_bytes, n - at));
  };
  for (std::size_t k = 0; k < round.size(); ++k) {
    const Group& g = round[k];
    if (g.owner != me) continue;
    parts[k] = Buffer::allocate(static_cast<std::size_t>(g.bytes));
    auto dst = parts[k].as_mutable<std::byte>();
    std::uint64_t at = 0;
    for (std::size_t i = g.first; i < g.last; at += p.sizes[i], ++i) {
      if (holder[i] == me || p.sizes[i] == 0) continue;
      chunks(p.sizes[i], [&](std::uint64_t off, std::uint64_t n) {
        requests.push_back(comm.irecv(dst.subspan(at + off, n), holder[i], tag));
      });
    }
  }
  for (const Group& g : round) {
    if (g.owner == me) continue;
    for (std::size_t i = g.first; i < g.last; ++i) {
      if (holder[i] != me || p.sizes[i] == 0) continue;
      outgoing.push_back(piece_bytes(p, i, local));
      local.run([] { fault::point(fault::Point::send); });  // noted; the bytes still go
      const auto src = outgoing.back().bytes();
      chunks(p.sizes[i], [&](std::uint64_t off, std::uint64_t n) {
        requests.push_back(comm.isend(src.subspan(off, n), g.owner, tag));
      });
    }
  }
  for (std::size_t k = 0; k < round.size(); ++k) {
    const Group& g = round[k];
    if (g.owner != me) continue;
    auto dst = parts[k].as_mutable<std::byte>();
    std::uint64_t at = 0;
    for (std::size_t i = g.first; i < g.last; at += p.sizes[i], ++i) {
      if (holder[i] != me || p.sizes[i] == 0) continue;
      const Buffer b = piece_bytes(p, i, local);
      std::memcpy(dst.data() + at, b.data(), b.size());
    }
  }
  for (auto& r : requests) r.wait();
  if (!requests.empty()) local.run([] { fault::point(fault::Point::receive); });
  return parts;
}

// An ETag on the wire: parts travel in one allgather of fixed-size records.
struct PartRecord {
  std::int32_t number = 0;
  std::int32_t length = 0;
  std::uint64_t size = 0;
  char etag[240] = {};
};

}  // namespace

void write_s3_object(const Comm& comm, const S3Url& url, const S3Pieces& p,
                     std::uint64_t part_bytes, std::uint64_t round_bytes) {
  S3Client& s3 = S3Client::shared();
  const std::vector<int> holder = holders(comm, p);
  std::uint64_t total = 0;
  for (auto s : p.sizes) total += s;
  const std::vector<Group> groups =
      group_pieces(p, holder, part_size(total, part_bytes), comm.size());
  DeferredError local;
  if (groups.size() <= 1) {
    // One part: one PUT, by the rank holding most of it (rank 0 for an empty output).
    const std::vector<Buffer> part = gather_round(comm, p, holder, groups, local);
    // Every rank's pieces arrived whole before the object is written: a PUT is visible at once.
    local.agree(comm);
    const int owner = groups.empty() ? 0 : groups[0].owner;
    DeferredError put;
    if (comm.rank() == owner)
      put.run([&] { s3.put(url, part.empty() ? std::span<const std::byte>() : part[0].bytes()); });
    put.agree(comm);
    return;
  }
  const std::string id = on_root(comm, [&] { return s3.begin_upload(url); });
  std::vector<PartRecord> mine;
  // Rounds of consecutive parts, at most round_bytes each (and one part at least), so that a
  // rank never holds more than a round of others' pieces.
  for (std::size_t first = 0; first < groups.size();) {
    std::size_t last = first;
    std::uint64_t bytes = 0;
    while (last < groups.size() && (last == first || bytes + groups[last].bytes <= round_bytes))
      bytes += groups[last++].bytes;
    const std::span<const Group> round(groups.data() + first, last - first);
    const std::vector<Buffer> parts = gather_round(comm, p, holder, round, local);
    for (std::size_t k = 0; k < round.size(); ++k) {
      if (round[k].owner != comm.rank() || local.failed()) continue;
      local.run([&] {
        const int number = static_cast<int>(first + k) + 1;
        const std::string etag = s3.upload_part(url, id, number, parts[k].bytes());
        PartRecord r;
        r.number = number;
        r.size = parts[k].size();
        r.length = static_cast<std::int32_t>(std::min(etag.size(), sizeof r.etag));
        if (etag.size() > sizeof r.etag)
          throw IoError(
              fmt::format("{}: part {} has an ETag of {} bytes", url.str(), number, etag.size()));
        std::memcpy(r.etag, etag.data(), etag.size());
        mine.push_back(r);
      });
    }
    first = last;
  }
  auto abort_upload = [&] {
    try {
      s3.abort_upload(url, id);
    } catch (const std::exception&) {
      // The first failure is the one to report; an upload left open expires by the bucket's
      // lifecycle rule.
    }
  };
  try {
    local.agree(comm);
  } catch (...) {
    if (comm.rank() == 0) abort_upload();
    throw;
  }
  const auto all = comm.allgatherv(std::span<const PartRecord>(mine));
  on_root(comm, [&] {
    std::vector<S3Part> parts;
    for (const auto& r : all.data)
      parts.push_back({r.number, std::string(r.etag, static_cast<std::size_t>(r.length)), r.size});
    std::sort(parts.begin(), parts.end(),
              [](const S3Part& a, const S3Part& b) { return a.number < b.number; });
    try {
      if (parts.size() != groups.size())
        throw InternalError(
            fmt::format("{}: {} parts uploaded of {}", url.str(), parts.size(), groups.size()));
      s3.complete_upload(url, id, parts);
    } catch (...) {
      abort_upload();
      throw;
    }
  });
}

void write_s3_objects(const Comm& comm, const std::vector<S3Url>& urls, const S3Pieces& p,
                      const S3Url& marker, std::uint64_t part_bytes) {
  S3Client& s3 = S3Client::shared();
  struct Upload {
    std::size_t piece = 0;
    std::string id;
    std::vector<S3Part> parts;
    bool completed = false;
  };
  std::vector<Upload> uploads;
  DeferredError local;
  for (const auto i : p.held) {
    if (local.failed()) break;
    local.run([&] {
      const S3Url& url = urls.at(i);
      uploads.push_back({i, s3.begin_upload(url), {}, false});
      Upload& u = uploads.back();
      const std::uint64_t size = p.sizes[i], part = part_size(size, part_bytes);
      // An empty object is one empty part.
      for (std::uint64_t at = 0; at < size || (size == 0 && u.parts.empty()); at += part) {
        const Buffer b = p.read(i, at, std::min(part, size - at));
        const int number = static_cast<int>(u.parts.size()) + 1;
        u.parts.push_back({number, s3.upload_part(url, u.id, number, b.bytes()), b.size()});
        if (size == 0) break;
      }
    });
  }
  // Whatever this rank began: completed objects deleted, open uploads aborted.
  auto undo = [&] {
    for (const auto& u : uploads) {
      try {
        if (u.completed)
          s3.remove(urls[u.piece]);
        else
          s3.abort_upload(urls[u.piece], u.id);
      } catch (const std::exception&) {
        // Keep undoing the rest; the first failure is the one reported.
      }
    }
  };
  try {
    local.agree(comm);  // every part of every object exists
    for (auto& u : uploads) {
      if (local.failed()) break;
      local.run([&] {
        s3.complete_upload(urls[u.piece], u.id, u.parts);
        u.completed = true;
      });
    }
    local.agree(comm);
    on_root(comm, [&] { s3.put(marker, {}); });
  } catch (...) {
    undo();
    throw;
  }
}

}  // namespace pando::io
