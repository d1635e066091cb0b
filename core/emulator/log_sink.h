// Where the emulator's records go: log lines, REPORT records and function rows are queued and
// committed to SQLite in batches. Nothing acknowledged is lost: an invocation's answer leaves
// only once its lines and its usage record are committed (after_commit), so a kill -9 of the
// emulator loses no line of a call whose caller got an answer.
//
// Who commits: the I/O thread itself, for what answers wait on. after_commit posts one commit
// to the I/O thread's queue, so every call that completes before it runs shares it (group
// commit under load), and an answer costs no hop to another thread and back (two wake-ups,
// 0.2 ms of a warm call's latency on this VM). What nobody waits on (a function printing in
// the background) goes to a writer thread at nice 10, 2 ms after it was queued, in batches.
// The two never commit at once. Followers (`fx logs -f`) are woken the moment a line of
// theirs arrives.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include "core/store/store.h"

namespace fx::emulator {

class LogSink {
 public:
  // `post` runs a callback on the I/O thread soon, `post_after` after a delay. Everything but
  // flush() is called on the I/O thread.
  LogSink(const std::filesystem::path& db_path, std::function<void(std::function<void()>)> post,
          std::function<void(std::chrono::milliseconds, std::function<void()>)> post_after);
  ~LogSink();  // commits everything queued, then stops the writer

  // Queues a line and returns its id. Called on the I/O thread.
  store::LogLine emit(std::string function, std::string request_id, std::string message);
  // `report_line`: the id emit() gave the invocation's REPORT line (none for a throttle).
  void report(usage::ReportRecord record, std::optional<std::int64_t> report_line);
  void put_function(store::StoredFunction f);
  void delete_function(std::string name);
  void put_layer(store::StoredLayer layer);

  // Blocks until everything queued so far is committed.
  void flush();
  // Calls `done` on the I/O thread once everything queued so far is committed, without
  // blocking: how an invocation's answer waits for its records.
  void after_commit(std::function<void()> done);
  // Deletes the log lines and usage records of `function` older than `before_ms` (its log
  // retention), in the writer's next batch.
  void prune(std::string function, std::int64_t before_ms);

  // Calls `wake` (once) when a line of `function` (or any, when empty) is emitted.
  // Returns a handle for cancel().
  std::uint64_t on_next_line(const std::string& function, std::function<void()> wake);
  void cancel(std::uint64_t handle);

  // A reader connection for the I/O thread.
  store::Store& reader() { return reader_; }

 private:
  struct Usage {
    usage::ReportRecord record;
    std::optional<std::int64_t> report_line;
  };
  struct Prune {
    std::string function;
    std::int64_t before_ms = 0;
  };
  using Op = std::variant<store::LogLine, Usage, store::StoredFunction, std::string,
                          store::StoredLayer, Prune>;
  struct Ack {
    std::uint64_t after = 0;  // run once this many ops are committed
    std::function<void()> done;
  };
  void enqueue(Op op);
  void run();
  // Commits on the I/O thread what after_commit's callers wait for (see the file's comment).
  void commit_inline();
  // Writes one batch in one transaction; returns the prunes that have rows left.
  std::vector<Prune> write_batch(std::deque<Op>& batch);
  // After a batch of n ops: counts it, queues the rest of its prunes, and returns the acks
  // it satisfied. Takes the mutex.
  std::vector<std::function<void()>> finish_batch(std::size_t n, std::vector<Prune> more);

  store::Store reader_;
  std::filesystem::path path_;
  std::function<void(std::function<void()>)> post_;
  std::function<void(std::chrono::milliseconds, std::function<void()>)> post_after_;
  std::unique_ptr<store::Store> writer_db_;  // used by whoever holds `committing_`
  bool committing_ = false;                  // the writer or the I/O thread is writing
  bool wake_requested_ = false;              // the writer has work it must start on
  // The I/O thread's own (no lock): answers waiting on its next inline commit.
  std::vector<std::function<void()>> inline_acks_;
  bool inline_posted_ = false;
  bool nudge_pending_ = false;  // the writer will be woken for what was queued
  std::deque<Ack> acks_;        // in order of `after`
  std::mutex mutex_;
  std::condition_variable wake_writer_, committed_;
  std::deque<Op> queue_;
  std::uint64_t queued_ = 0, committed_count_ = 0;
  bool stopping_ = false;
  int flushing_ = 0;  // readers waiting in flush()
  std::int64_t next_id_ = 0;
  std::thread writer_;

  struct Follower {
    std::string function;
    std::function<void()> wake;
  };
  std::map<std::uint64_t, Follower> followers_;
  std::uint64_t next_follower_ = 1;
};

}  // namespace fx::emulator
