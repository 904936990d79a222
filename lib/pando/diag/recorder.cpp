#include <pando/diag/recorder.hpp>

#include <pando/core/error.hpp>
#include <pando/core/fault.hpp>
#include <pando/core/serialize.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

namespace pando::diag {

namespace {

// A key longer than this is cut (the trace stays readable, and bounded).
constexpr std::size_t max_key_chars = 160;
// A change in held bytes smaller than this (and than a sixteenth) is not a new sample.
constexpr std::uint64_t memory_step = std::uint64_t{1} << 20;

// A rank's part of the gather: a status byte (0: its batch follows; 1: its error follows).
constexpr std::byte part_ok{0}, part_failed{1};

}  // namespace

Recorder::Recorder(const Comm& session, Stopwatch epoch, std::size_t max_events)
    : comm_(session.dup()), epoch_(epoch), max_events_(max_events), rank_(session.rank()) {
  trace_.ranks = session.size();
}

bool Recorder::room() {
  if (kept_ < max_events_) {
    ++kept_;
    return true;
  }
  ++batch_.dropped;
  return false;
}

std::uint32_t Recorder::kind_of(std::string_view kind) {
  auto [it, fresh] =
      kind_ids_.try_emplace(std::string(kind), static_cast<std::uint32_t>(batch_.kinds.size()));
  if (fresh) batch_.kinds.emplace_back(kind);
  return it->second;
}

void Recorder::schedule_started(const ScheduleInfo& info) {
  computation_ = static_cast<std::uint32_t>(info.schedule);
  offset_ = epoch_.seconds();
  if (rank_ == 0) trace_.computations.push_back({computation_, info.total_tasks, offset_, offset_});
}

void Recorder::task_finished(const TaskEvent& e) {
  if (!room()) return;
  std::string key = e.key ? e.key->str() : std::string();
  if (key.size() > max_key_chars) key = key.substr(0, max_key_chars) + "...";
  batch_.tasks.push_back({computation_, rank_, kind_of(e.kind), e.tasks, at(e.start), at(e.end),
                          e.failed, e.collective, std::move(key)});
}

void Recorder::value_sent(const TransferEvent& e) {
  if (room()) batch_.sent.push_back({computation_, e.id, rank_, e.peer, e.bytes, at(e.at), -1});
}

void Recorder::value_received(const TransferEvent& e) {
  if (room()) batch_.received.push_back({computation_, e.id, e.peer, rank_, e.bytes, -1, at(e.at)});
}

void Recorder::memory_held(std::size_t bytes, double when) {
  const std::uint64_t change = bytes > last_memory_ ? bytes - last_memory_ : last_memory_ - bytes;
  if (change < std::max(memory_step, last_memory_ / 16) || !room()) return;
  last_memory_ = bytes;
  batch_.memory.push_back({rank_, at(when), bytes});
}

void Recorder::schedule_finished(double seconds) {
  Bytes mine;
  try {
    fault::point(fault::Point::send);
    mine.push_back(part_ok);
    to_bytes(batch_, mine);
  } catch (const std::exception& e) {
    mine.assign(1, part_failed);
    const std::string why = e.what();
    mine.insert(mine.end(), reinterpret_cast<const std::byte*>(why.data()),
                reinterpret_cast<const std::byte*>(why.data() + why.size()));
  }
  batch_ = Batch{};
  kind_ids_.clear();
  const Gathered<std::byte> all = comm_.gatherv(std::span<const std::byte>(mine), 0);
  if (rank_ != 0) return;
  trace_.computations.back().end = at(seconds);
  OpenTransfers open;
  for (int r = 0; r < comm_.size(); ++r) {
    const auto part = all.part(r);
    if (!part.empty() && part[0] == part_ok) {
      merge(from_bytes<Batch>(part.subspan(1)), open);
    } else if (failure_.empty()) {
      failure_ = fmt::format(
          "trace: rank {} could not send its records: {}", r,
          part.empty()
              ? std::string("nothing arrived")
              : std::string(reinterpret_cast<const char*>(part.data() + 1), part.size() - 1));
    }
  }
}

void Recorder::merge(Batch batch, OpenTransfers& open) {
  std::vector<std::uint32_t> ids;
  for (std::string& k : batch.kinds) {
    auto [it, fresh] = trace_kinds_.try_emplace(k, static_cast<std::uint32_t>(trace_.kinds.size()));
    if (fresh) trace_.kinds.push_back(std::move(k));
    ids.push_back(it->second);
  }
  for (TaskSpan& t : batch.tasks) {
    t.kind = ids.at(t.kind);
    trace_.tasks.push_back(std::move(t));
  }
  // A transfer's halves come from two ranks (the sender's and the receiver's batch), merged one
  // after the other: the first opens it, the second completes it.
  auto add = [&](const TransferSpan& half, bool is_send) {
    const TransferId id{half.value, half.from, half.to};
    if (auto it = open.find(id); it != open.end()) {
      TransferSpan& t = trace_.transfers[it->second];
      if (is_send)
        t.sent = half.sent;
      else
        t.received = half.received;
      open.erase(it);
      return;
    }
    open.emplace(id, trace_.transfers.size());
    trace_.transfers.push_back(half);
  };
  for (const TransferSpan& s : batch.sent) add(s, true);
  for (const TransferSpan& r : batch.received) add(r, false);
  trace_.memory.insert(trace_.memory.end(), batch.memory.begin(), batch.memory.end());
  trace_.dropped += batch.dropped;
}

}  // namespace pando::diag
