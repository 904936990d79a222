#include <pando/diag/recorder.hpp>

#include <pando/core/error.hpp>
#include <pando/core/fault.hpp>
#include <pando/core/serialize.hpp>
#include <pando/graph/task_table.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace pando::diag {

namespace {

// A change in held bytes smaller than this (and than a sixteenth) is not a new sample.
constexpr std::uint64_t memory_step = std::uint64_t{1} << 20;

constexpr std::byte part_ok{0}, part_failed{1};

// A batch this long goes at once (a few MB, into buffers whose pages were touched before: fresh
// memory is slow, and a batch of a million records would need 50 MB of it at the end).
constexpr std::size_t stream_batch = std::size_t{1} << 16;

// Records streamed while a computation runs (the recorder's communicator carries nothing else
// point to point).
constexpr int stream_tag = 1;

}  // namespace

Recorder::Recorder(const Comm& session, Stopwatch epoch, RecorderOptions options)
    : comm_(session.dup()), epoch_(epoch), options_(options), rank_(session.rank()) {
  trace_.ranks = session.size();
  taken_.assign(static_cast<std::size_t>(session.size()), 0);
}

bool Recorder::room() {
  if (kept_ < options_.max_events) {
    ++kept_;
    return true;
  }
  ++batch_.dropped;
  return false;
}

std::uint32_t Recorder::kind_of(std::string_view kind) {
  // Tasks run in runs of one operation: the last one's id, without a lookup.
  if (!batch_.kinds.empty() && kind == batch_.kinds[last_kind_]) return last_kind_;
  auto [it, fresh] =
      kind_ids_.try_emplace(std::string(kind), static_cast<std::uint32_t>(batch_.kinds.size()));
  if (fresh) batch_.kinds.emplace_back(kind);
  return last_kind_ = it->second;
}

void Recorder::schedule_planned(const TaskTable& table, const Schedule&) {
  if (rank_ != 0) return;
  planned_keys_.clear();
  planned_keys_.reserve(table.size());
  for (std::uint32_t id = 0; id < table.size(); ++id) planned_keys_.push_back(table.key(id));
  if (options_.critical_path) dependencies_ = Dependencies(table);
}

void Recorder::schedule_started(const ScheduleInfo& info) {
  computation_ = static_cast<std::uint32_t>(info.schedule);
  offset_ = epoch_.seconds();
  streamed_ = 0;
  since_stream_ = Stopwatch();
  if (rank_ != 0) return;
  const std::lock_guard lock(mutex_);
  trace_.computations.push_back({computation_, info.total_tasks, offset_, offset_});
  trace_.keys.push_back(std::move(planned_keys_));
  trace_.tasks.reserve(trace_.tasks.size() +
                       std::min<std::size_t>(info.total_tasks, options_.max_events * trace_.ranks));
  planned_keys_.clear();
  computation_tasks_ = trace_.tasks.size();
  std::fill(taken_.begin(), taken_.end(), 0);
}

void Recorder::task_finished(const TaskEvent& e) {
  if (room())
    batch_.tasks.push_back({computation_, e.id, rank_, kind_of(e.kind), e.tasks, at(e.start),
                            at(e.end), e.failed, e.collective});
  if (options_.stream_every > 0 &&
      (batch_.tasks.size() >= stream_batch || since_stream_.seconds() >= options_.stream_every))
    stream();
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

void Recorder::stream() {
  since_stream_ = Stopwatch();
  if (rank_ == 0) {
    merge(std::exchange(batch_, Batch{}));
    kind_ids_.clear();
    while (const auto status = comm_.iprobe(Comm::any_source, stream_tag))
      take_streamed(status->source);
    return;
  }
  // The last batch not taken yet (rank 0 is in a long task), or one could not be sent: this
  // one waits for the next chance, or for the gather.
  if ((in_flight_ && !in_flight_->test()) || !stream_error_.empty()) return;
  try {
    fault::point(fault::Point::send);
    outgoing_.clear();
    to_bytes(batch_, outgoing_);
  } catch (const std::exception& e) {
    stream_error_ = e.what();
    return;
  }
  batch_ = Batch{};
  kind_ids_.clear();
  in_flight_ = comm_.isend(std::span<const std::byte>(outgoing_), 0, stream_tag);
  ++streamed_;
}

void Recorder::take_streamed(int rank) {
  const Status status = comm_.probe(rank, stream_tag);
  incoming_.resize(status.count);
  (void)comm_.recv(std::span<std::byte>(incoming_), rank, stream_tag);
  ++taken_[static_cast<std::size_t>(rank)];
  merge(from_bytes<Batch>(std::span<const std::byte>(incoming_)));
}

// A rank's part of the gather: [status][batches it streamed: 8 bytes][its batch, or its error].
Bytes Recorder::gather_part() {
  Bytes part(1 + sizeof streamed_);
  std::memcpy(part.data() + 1, &streamed_, sizeof streamed_);
  try {
    if (!stream_error_.empty()) throw MpiError(stream_error_);
    fault::point(fault::Point::send);
    part[0] = part_ok;
    to_bytes(batch_, part);
  } catch (const std::exception& e) {
    part.resize(1 + sizeof streamed_);
    part[0] = part_failed;
    const std::string why = e.what();
    part.insert(part.end(), reinterpret_cast<const std::byte*>(why.data()),
                reinterpret_cast<const std::byte*>(why.data() + why.size()));
  }
  return part;
}

void Recorder::schedule_finished(double seconds) {
  const Bytes mine = gather_part();
  batch_ = Batch{};
  kind_ids_.clear();
  stream_error_.clear();
  const Gathered<std::byte> all = comm_.gatherv(std::span<const std::byte>(mine), 0);
  if (rank_ != 0) {
    if (in_flight_) in_flight_->wait();  // rank 0 takes it after the gather
    in_flight_.reset();
    return;
  }
  for (int r = 0; r < comm_.size(); ++r) {
    const auto part = all.part(r);
    std::uint64_t streamed = 0;
    std::memcpy(&streamed, part.data() + 1, sizeof streamed);
    while (taken_[static_cast<std::size_t>(r)] < streamed) take_streamed(r);
    const auto body = part.subspan(1 + sizeof streamed);
    if (part[0] == part_ok) {
      merge(from_bytes<Batch>(body));
    } else if (failure_.empty()) {
      failure_ = fmt::format("trace: rank {} could not send its records: {}", r,
                             std::string(reinterpret_cast<const char*>(body.data()), body.size()));
    }
  }
  finish_computation(at(seconds));
}

void Recorder::finish_computation(double end) {
  std::vector<CriticalStep> path;
  if (options_.critical_path)
    path = critical_path(dependencies_,
                         std::span<const TaskSpan>(trace_.tasks).subspan(computation_tasks_),
                         trace_.keys.back());
  dependencies_ = Dependencies();
  open_.clear();
  const std::lock_guard lock(mutex_);
  trace_.computations.back().end = end;
  trace_.critical.insert(trace_.critical.end(), std::make_move_iterator(path.begin()),
                         std::make_move_iterator(path.end()));
}

void Recorder::merge(Batch batch) {
  const std::lock_guard lock(mutex_);
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
  // A transfer's halves come from two ranks (the sender's and the receiver's records), merged
  // one after the other: the first opens it, the second completes it.
  auto add = [&](const TransferSpan& half, bool is_send) {
    const TransferId id{half.value, half.from, half.to};
    if (auto it = open_.find(id); it != open_.end()) {
      TransferSpan& t = trace_.transfers[it->second];
      if (is_send)
        t.sent = half.sent;
      else
        t.received = half.received;
      open_.erase(it);
      return;
    }
    open_.emplace(id, trace_.transfers.size());
    trace_.transfers.push_back(half);
  };
  for (const TransferSpan& s : batch.sent) add(s, true);
  for (const TransferSpan& r : batch.received) add(r, false);
  trace_.memory.insert(trace_.memory.end(), batch.memory.begin(), batch.memory.end());
  trace_.dropped += batch.dropped;
}

namespace {

template <class Vector>
void append_new(Vector& copy, const Vector& from) {
  if (copy.size() < from.size()) copy.insert(copy.end(), from.begin() + copy.size(), from.end());
}

}  // namespace

void Recorder::snapshot(Trace& copy) const {
  const std::lock_guard lock(mutex_);
  copy.ranks = trace_.ranks;
  copy.computations = trace_.computations;
  copy.dropped = trace_.dropped;
  append_new(copy.kinds, trace_.kinds);
  append_new(copy.tasks, trace_.tasks);
  append_new(copy.transfers, trace_.transfers);
  append_new(copy.memory, trace_.memory);
  append_new(copy.critical, trace_.critical);
  // A computation's keys are whole from its start: only new computations' are copied.
  append_new(copy.keys, trace_.keys);
}

}  // namespace pando::diag
