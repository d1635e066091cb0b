#include "core/emulator/log_sink.h"

#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/util/error.h"
#include "core/util/time.h"

namespace fx::emulator {

namespace {
constexpr std::size_t kFullBatch = 512;  // lines that make the writer commit at once
}  // namespace

LogSink::LogSink(const std::filesystem::path& db_path,
                 std::function<void(std::function<void()>)> post,
                 std::function<void(std::chrono::milliseconds, std::function<void()>)> post_after)
    : reader_(db_path),
      path_(db_path),
      post_(std::move(post)),
      post_after_(std::move(post_after)),
      writer_db_(std::make_unique<store::Store>(db_path)) {
  next_id_ = reader_.max_log_id() + 1;
  writer_ = std::thread([this] { run(); });
}

LogSink::~LogSink() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_writer_.notify_one();
  writer_.join();
}

store::LogLine LogSink::emit(std::string function, std::string request_id, std::string message) {
  store::LogLine line{next_id_++, util::now_ms(), std::move(function), std::move(request_id),
                      std::move(message)};
  enqueue(line);
  // Wake followers after queuing, so a follower that reads back finds the line.
  for (auto it = followers_.begin(); it != followers_.end();) {
    if (it->second.function.empty() || it->second.function == line.function) {
      auto wake = std::move(it->second.wake);
      it = followers_.erase(it);
      wake();
    } else {
      ++it;
    }
  }
  return line;
}

void LogSink::report(usage::ReportRecord record, std::optional<std::int64_t> report_line) {
  enqueue(Usage{std::move(record), report_line});
}
void LogSink::put_function(store::StoredFunction f) {
  enqueue(std::move(f));
}
void LogSink::delete_function(std::string name) {
  enqueue(std::move(name));
}
void LogSink::put_layer(store::StoredLayer layer) {
  enqueue(std::move(layer));
}
void LogSink::prune(std::string function, std::int64_t before_ms) {
  enqueue(Prune{std::move(function), before_ms});
}

void LogSink::after_commit(std::function<void()> done) {
  {
    std::lock_guard lock(mutex_);
    if (committed_count_ >= queued_) {
      // Nothing pending: already durable.
      done();
      return;
    }
  }
  inline_acks_.push_back(std::move(done));
  if (!inline_posted_) {
    inline_posted_ = true;
    post_([this] { commit_inline(); });
  }
}

void LogSink::commit_inline() {
  inline_posted_ = false;
  auto waiting = std::move(inline_acks_);
  inline_acks_.clear();
  std::deque<Op> batch;
  {
    std::lock_guard lock(mutex_);
    if (committing_) {
      // The writer is in a batch: hand it the answers, which go when what they wait for is in.
      for (auto& done : waiting) acks_.push_back({queued_, std::move(done)});
      wake_requested_ = true;
      wake_writer_.notify_one();
      return;
    }
    batch.swap(queue_);
    committing_ = true;
  }
  auto ready = finish_batch(batch.size(), write_batch(batch));
  for (auto& done : waiting) done();
  for (auto& done : ready) done();
}

void LogSink::enqueue(Op op) {
  bool full = false;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(op));
    ++queued_;
    full = queue_.size() >= kFullBatch;
    if (full) wake_requested_ = true;
  }
  if (full) {
    wake_writer_.notify_one();
    return;
  }
  // What nobody waits on goes to the writer 2 ms later, with whatever came meanwhile: a
  // notify per line (four per invocation) cost a context switch each under load, and an
  // answer's inline commit usually takes it all first.
  if (!nudge_pending_) {
    nudge_pending_ = true;
    post_after_(std::chrono::milliseconds(2), [this] {
      nudge_pending_ = false;
      bool pending;
      {
        std::lock_guard lock(mutex_);
        pending = !queue_.empty();
        if (pending) wake_requested_ = true;
      }
      if (pending) wake_writer_.notify_one();
    });
  }
}

void LogSink::flush() {
  std::unique_lock lock(mutex_);
  auto target = queued_;
  if (committed_count_ >= target) return;
  ++flushing_;
  wake_requested_ = true;
  wake_writer_.notify_one();
  committed_.wait(lock, [&] { return committed_count_ >= target; });
  --flushing_;
}

std::uint64_t LogSink::on_next_line(const std::string& function, std::function<void()> wake) {
  auto handle = next_follower_++;
  followers_[handle] = {function, std::move(wake)};
  return handle;
}

void LogSink::cancel(std::uint64_t handle) {
  followers_.erase(handle);
}

void LogSink::run() {
  // Background work: at the I/O thread's priority the writer's commits (bursts of SQLite and
  // page-cache copies) pre-empted request handling and showed in the gateway's 99th
  // percentile; at nice 10 they fill the gaps (+5-10 % req/s, p99 -0.1 to -0.5 ms on 2 cores).
  // Raising one's own nice needs no privilege.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
  while (true) {
    std::deque<Op> batch;
    {
      std::unique_lock lock(mutex_);
      wake_writer_.wait(
          lock, [&] { return (stopping_ || wake_requested_ || flushing_ > 0) && !committing_; });
      wake_requested_ = false;
      if (queue_.empty()) {
        if (stopping_) return;
        continue;
      }
      batch.swap(queue_);
      committing_ = true;
    }
    auto ready = finish_batch(batch.size(), write_batch(batch));
    // One hop to the I/O thread for the whole batch's answers.
    if (!ready.empty())
      post_([ready = std::move(ready)]() mutable {
        for (auto& done : ready) done();
      });
  }
}

std::vector<LogSink::Prune> LogSink::write_batch(std::deque<Op>& batch) {
  // One transaction per batch: under load many lines share one commit.
  std::vector<Prune> more;
  auto& db = *writer_db_;
  try {
    db.begin();
    for (auto& op : batch) {
      if (auto* line = std::get_if<store::LogLine>(&op))
        db.add_log(*line);
      else if (auto* u = std::get_if<Usage>(&op))
        db.add_report(u->record, u->report_line);
      else if (auto* f = std::get_if<store::StoredFunction>(&op))
        db.put_function(*f);
      else if (auto* layer = std::get_if<store::StoredLayer>(&op))
        db.put_layer(*layer);
      else if (auto* prune = std::get_if<Prune>(&op)) {
        // A few thousand rows per transaction, so that pruning a large log never holds
        // back the answers waiting on this batch: the rest goes in the next one.
        if (db.prune(prune->function, prune->before_ms) >= 5000) more.push_back(*prune);
      } else {
        db.delete_function(std::get<std::string>(op));
      }
    }
    db.commit();
  } catch (const std::exception& e) {
    // The daemon's stderr is its log file: the one place left to say it.
    fmt::print(stderr, "fx emulator: cannot write to the state store: {}\n", e.what());
  }
  return more;
}

std::vector<std::function<void()>> LogSink::finish_batch(std::size_t n, std::vector<Prune> more) {
  std::vector<std::function<void()>> ready;
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    committing_ = false;
    for (auto& p : more) {
      queue_.push_back(std::move(p));
      ++queued_;
    }
    committed_count_ += n;
    while (!acks_.empty() && acks_.front().after <= committed_count_) {
      ready.push_back(std::move(acks_.front().done));
      acks_.pop_front();
    }
    // The writer goes on with what is left: prunes, or what came while this batch was written.
    if (!queue_.empty() && (!more.empty() || !acks_.empty() || flushing_ > 0))
      wake_requested_ = true;
    wake = wake_requested_ || flushing_ > 0;
  }
  committed_.notify_all();
  // Only when the writer has work (it may have waited for this batch to end): a needless
  // wake-up is a context switch per answer.
  if (wake) wake_writer_.notify_one();
  return ready;
}

}  // namespace fx::emulator
