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
                 std::function<void(std::function<void()>)> post)
    : reader_(db_path), path_(db_path), post_(std::move(post)), journal_(db_path.parent_path()) {
  replay(journal_.recover());
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

// What the journal holds that the store does not: answered invocations whose records the
// writer had not committed when the emulator died.
void LogSink::replay(std::vector<JournalRecord> records) {
  if (records.empty()) return;
  store::Store db(path_);
  std::size_t added = 0;
  db.begin();
  for (const auto& record : records) {
    if (const auto* line = std::get_if<store::LogLine>(&record)) {
      db.add_log_if_missing(*line);
      ++added;
    } else {
      const auto& report = std::get<JournaledReport>(record);
      if (!db.has_report(report.record.request_id, report.report_line)) {
        db.add_report(report.record, report.report_line);
        ++added;
      }
    }
  }
  db.commit();
  fmt::print(stderr,
             "fx emulator: the journal had {} records of answered invocations; the store "
             "has them all now\n",
             added);
}

store::LogLine LogSink::emit(std::string function, std::string request_id, std::string message) {
  store::LogLine line{next_id_++, util::now_ms(), std::move(function), std::move(request_id),
                      std::move(message)};
  journal_.append(line, enqueue(line));
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
  auto seq = enqueue(Usage{record, report_line});
  journal_.append(record, report_line, seq);
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
  if (!journal_.pending()) {
    // Every line and record queued is journaled already (or committed): it survives a crash.
    done();
    return;
  }
  journal_waiting_.push_back(std::move(done));
  // One write for every answer that becomes ready before this runs: a group commit, on the
  // I/O thread, with no hop to another thread.
  if (!journal_posted_) {
    journal_posted_ = true;
    post_([this] { write_journal(); });
  }
}

void LogSink::write_journal() {
  journal_posted_ = false;
  auto waiting = std::move(journal_waiting_);
  journal_waiting_.clear();
  if (journal_.write_pending()) {
    for (auto& done : waiting) done();
    return;
  }
  // The journal cannot be written (the disk is full): the answers wait for the store instead.
  std::lock_guard lock(mutex_);
  for (auto& done : waiting) acks_.push_back({queued_, std::move(done)});
  wake_writer_.notify_one();
}

std::uint64_t LogSink::enqueue(Op op) {
  // Wake the writer only when it has something new to start on (the queue was empty) or a
  // full batch: while it gathers a burst it wakes by itself, and a notify per line (four per
  // invocation) cost a context switch each under load.
  bool wake = false;
  std::uint64_t seq;
  {
    std::lock_guard lock(mutex_);
    wake = queue_.empty() || queue_.size() + 1 >= kFullBatch;
    queue_.push_back(std::move(op));
    seq = ++queued_;
  }
  if (wake) wake_writer_.notify_one();
  return seq;
}

void LogSink::flush() {
  std::unique_lock lock(mutex_);
  auto target = queued_;
  if (committed_count_ >= target) return;
  ++flushing_;
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
  store::Store db(path_);
  std::deque<Op> batch;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      wake_writer_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      // Gather for a moment: one commit per burst instead of one per invocation halves the
      // CPU the writer takes from the instances on a small machine. A reader that needs the
      // lines now (flush), or an answer that waits on them (the journal failed), cuts the
      // wait short.
      wake_writer_.wait_for(lock, std::chrono::milliseconds(2), [&] {
        return stopping_ || flushing_ > 0 || !acks_.empty() || queue_.size() >= kFullBatch;
      });
      batch.swap(queue_);
    }
    // One transaction per batch: under load many lines share one commit.
    std::vector<Prune> more;
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
          // back the lines queued behind it: the rest goes in the next batch.
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
    std::vector<std::function<void()>> ready;
    std::uint64_t committed;
    {
      std::lock_guard lock(mutex_);
      for (auto& p : more) {
        queue_.push_back(std::move(p));
        ++queued_;
      }
      committed_count_ += batch.size();
      committed = committed_count_;
      while (!acks_.empty() && acks_.front().after <= committed_count_) {
        ready.push_back(std::move(acks_.front().done));
        acks_.pop_front();
      }
    }
    batch.clear();
    committed_.notify_all();
    // What the store holds now, the journal need not keep.
    journal_.committed(committed);
    if (!ready.empty())
      post_([ready = std::move(ready)]() mutable {
        for (auto& done : ready) done();
      });
  }
}

}  // namespace fx::emulator
