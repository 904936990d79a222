#include <pando/diag/progress.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>

namespace pando::diag {

namespace {

constexpr int count_tag = 1;
constexpr double send_every = 0.1;     // seconds between a rank's counts
constexpr double quiet_start = 1.0;    // automatic mode shows nothing before
constexpr double line_every = 5.0;     // plain lines at least this often
constexpr double milestone_gap = 1.0;  // and a quarter's line at most this often
constexpr auto redraw_every = std::chrono::milliseconds(100);

// 1234567 -> "1,234,567"
std::string grouped(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string seconds_text(double s) {
  if (s < 60) return fmt::format("{:.1f} s", s);
  const auto whole = static_cast<long>(s);
  if (s < 3600) return fmt::format("{}m{:02}s", whole / 60, whole % 60);
  return fmt::format("{}h{:02}m", whole / 3600, whole / 60 % 60);
}

std::span<const std::byte> bytes_of(const Progress::Count& c) {
  return std::as_bytes(std::span(&c, 1));
}

}  // namespace

Progress::Progress(const Comm& session, ProgressMode mode, bool terminal, std::FILE* out)
    : comm_(session.dup()),
      mode_(mode),
      terminal_(terminal),
      out_(out),
      rank_(session.rank()),
      ranks_(session.size()) {
  if (rank_ != 0) return;
  ranks_counts_.resize(static_cast<std::size_t>(ranks_));
  if (mode_ == ProgressMode::off) return;
  painter_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      wake_.wait_for(lock, redraw_every);
      if (!stop_) paint();
    }
  });
}

Progress::~Progress() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (painter_.joinable()) painter_.join();
  // A count still in flight completes before the communicator goes (the last of each
  // computation is sent blocking, after the others completed).
  if (in_flight_) in_flight_->wait();
}

void Progress::schedule_started(const ScheduleInfo& info) {
  mine_ = Count{info.schedule, 0, info.local_tasks, 0, {}};
  if (rank_ != 0) {
    send(false);
    return;
  }
  std::lock_guard lock(mutex_);
  for (int r = 0; r < ranks_; ++r)
    ranks_counts_[static_cast<std::size_t>(r)] =
        Count{info.schedule, 0, r == 0 ? info.local_tasks : 0, 0, {}};
  current_ = info.schedule;
  announced_total_ = info.total_tasks;
  computation_start_ = command_.seconds();
  milestone_ = 0;
  running_ = true;
}

void Progress::task_started(const TaskEvent& e) {
  const std::size_t n = std::min(e.kind.size(), mine_.running.size() - 1);
  std::memcpy(mine_.running.data(), e.kind.data(), n);
  mine_.running[n] = '\0';
  if (rank_ == 0) {
    absorb(0, mine_);
    take_counts(false);
  }
}

void Progress::task_finished(const TaskEvent& e) {
  mine_.done += e.tasks;
  mine_.running[0] = '\0';
  if (rank_ == 0) {
    absorb(0, mine_);
    take_counts(false);
  } else if (since_send_.seconds() >= send_every) {
    send(false);
  }
}

void Progress::schedule_finished(double) {
  mine_.running[0] = '\0';
  if (rank_ != 0) {
    send(true);
    return;
  }
  absorb(0, mine_);
  take_counts(true);
  std::lock_guard lock(mutex_);
  ++computations_;
  for (const Count& c : ranks_counts_) tasks_before_ += c.done;
  running_ = false;
  // Between computations the program may print (its results): on a line of its own.
  if (terminal_ && shown_) print("\r\033[K", false);
}

void Progress::send(bool last) {
  if (in_flight_) {
    if (last)
      in_flight_->wait();
    else if (!in_flight_->test())
      return;  // the previous count is still on its way: this one can wait for the next
    in_flight_.reset();
  }
  outgoing_ = mine_;
  outgoing_.last = last ? 1 : 0;
  since_send_.restart();
  if (!last) {
    in_flight_ = comm_.isend(bytes_of(outgoing_), 0, count_tag);
    return;
  }
  // Rank 0 waits for this one. No fault point: the computation's outputs are in place by now,
  // and counts are no reason to fail it (only MPI itself failing stops it, as everywhere).
  comm_.isend(bytes_of(outgoing_), 0, count_tag).wait();
}

void Progress::take_counts(bool until_all_last) {
  Count c;
  auto receive = [&](int from) {
    comm_.irecv(std::as_writable_bytes(std::span(&c, 1)), from, count_tag).wait();
    absorb(from, c);
  };
  while (auto status = comm_.iprobe(Comm::any_source, count_tag)) receive(status->source);
  if (!until_all_last) return;
  for (int r = 1; r < ranks_; ++r) {
    auto finished = [&] {
      std::lock_guard lock(mutex_);
      const Count& have = ranks_counts_[static_cast<std::size_t>(r)];
      return have.last && have.computation == mine_.computation;
    };
    while (!finished()) receive(r);
  }
}

void Progress::absorb(int rank, const Count& c) {
  std::lock_guard lock(mutex_);
  Count& have = ranks_counts_[static_cast<std::size_t>(rank)];
  if (c.computation >= have.computation) have = c;
}

std::string Progress::line(bool terminal) const {
  std::uint64_t done = 0, total = 0;
  std::vector<std::string> running;
  for (const Count& c : ranks_counts_) {
    done += c.done;
    total += c.total;
    const std::string op(c.running.data());
    if (!op.empty() && std::find(running.begin(), running.end(), op) == running.end())
      running.push_back(op);
  }
  // Before every rank has reported, the schedule's own count stands in for theirs.
  total = std::max<std::uint64_t>({total, announced_total_, done});
  const double now = command_.seconds();
  const double fraction = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  const double rate = static_cast<double>(tasks_before_ + (running_ ? done : 0)) / now;
  std::string eta = "-";
  const double spent = now - computation_start_;
  if (running_ && done > 0) eta = seconds_text(spent * static_cast<double>(total - done) / done);
  std::string ops;
  for (std::size_t i = 0; i < running.size() && i < 3; ++i) ops += (i ? ", " : "") + running[i];
  if (running.size() > 3) ops += fmt::format(" +{}", running.size() - 3);
  const auto percent = static_cast<int>(fraction * 100);
  if (terminal) {
    constexpr int width = 20;
    const auto filled = static_cast<int>(fraction * width);
    return fmt::format(
        "pando: [{}{}] {:3}% {}/{} tasks | computation {} | {:.0f}/s | {} | ETA {}{}",
        std::string(static_cast<std::size_t>(filled), '#'),
        std::string(static_cast<std::size_t>(width - filled), '.'), percent, grouped(done),
        grouped(total), current_, rate, seconds_text(now), eta, ops.empty() ? "" : " | " + ops);
  }
  return fmt::format(
      "pando: computation {}: {}% ({} of {} tasks), {:.0f} tasks/s, {} elapsed, "
      "ETA {}{}",
      current_, percent, grouped(done), grouped(total), rate, seconds_text(now), eta,
      ops.empty() ? "" : "; running " + ops);
}

// Called with mutex_ held, by the painter thread.
void Progress::paint() {
  const double now = command_.seconds();
  if (!shown_ && mode_ == ProgressMode::automatic && now < quiet_start) return;
  if (current_ == 0) return;  // no computation has started: the program still builds its graph
  if (terminal_) {
    if (!running_) return;
    print("\r\033[K" + line(true), false);
    shown_ = true;
    return;
  }
  std::uint64_t done = 0, total = announced_total_;
  std::uint64_t reported = 0;
  for (const Count& c : ranks_counts_) done += c.done, reported += c.total;
  total = std::max({total, reported, done});
  const int quarter = total ? static_cast<int>(4 * done / total) : 4;
  const bool passed = quarter > milestone_ && now - last_line_ >= milestone_gap;
  if (shown_ && !passed && now - last_line_ < line_every) return;
  milestone_ = std::max(milestone_, quarter);
  last_line_ = now;
  shown_ = true;
  print(line(false), true);
}

void Progress::print(const std::string& text, bool newline) {
  std::fputs(text.c_str(), out_);
  if (newline) std::fputc('\n', out_);
  std::fflush(out_);
}

void Progress::finish(bool ok) {
  if (rank_ != 0 || mode_ == ProgressMode::off) return;
  {
    std::lock_guard lock(mutex_);
    if (stop_) return;
    stop_ = true;
  }
  wake_.notify_all();
  if (painter_.joinable()) painter_.join();
  std::lock_guard lock(mutex_);
  if (terminal_ && shown_) print("\r\033[K", false);
  if (!ok || !(shown_ || mode_ == ProgressMode::on)) return;
  const double now = command_.seconds();
  print(fmt::format("pando: done: {} tasks in {} computation{} on {} rank{}, {} ({:.0f} tasks/s)",
                    grouped(tasks_before_), computations_, computations_ == 1 ? "" : "s", ranks_,
                    ranks_ == 1 ? "" : "s", seconds_text(now),
                    static_cast<double>(tasks_before_) / now),
        true);
}

}  // namespace pando::diag
