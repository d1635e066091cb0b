// Where the emulator's records go: log lines, REPORT records and function rows are queued to
// a writer thread that commits them to SQLite in batches, so an invocation never waits on the
// store. Nothing answered is lost all the same: an invocation's answer leaves only once its
// lines and usage record are in the journal (journal.h: one write() per group of answers), so
// a kill -9 of the emulator loses no line of a call whose caller got an answer; the next
// start puts back what the store had not taken yet. Followers (`fx logs -f`) are woken the
// moment a line of theirs arrives.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include "core/emulator/journal.h"
#include "core/store/store.h"

namespace fx::emulator {

class LogSink {
 public:
  // `post` runs a callback on the I/O thread. Opening replays the journal a crash left.
  // Everything but flush() and the destructor is called on the I/O thread.
  LogSink(const std::filesystem::path& db_path, std::function<void(std::function<void()>)> post);
  ~LogSink();  // commits everything queued, then stops the writer

  // Queues a line and returns its id.
  store::LogLine emit(std::string function, std::string request_id, std::string message);
  // `report_line`: the id emit() gave the invocation's REPORT line (none for a throttle).
  void report(usage::ReportRecord record, std::optional<std::int64_t> report_line);
  void put_function(store::StoredFunction f);
  void delete_function(std::string name);
  void put_layer(store::StoredLayer layer);
  // Deletes the log lines and usage records of `function` older than `before_ms` (its log
  // retention), in the writer's next batch.
  void prune(std::string function, std::int64_t before_ms);

  // Blocks until everything queued so far is committed to the store.
  void flush();
  // Calls `done` on the I/O thread once the lines and records queued so far would survive a
  // crash of the emulator: journaled (one write for every answer posted before it runs), or,
  // if the journal cannot be written, committed. How an invocation's answer waits.
  void after_commit(std::function<void()> done);

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
  // Returns the op's place in the queue (its sequence number).
  std::uint64_t enqueue(Op op);
  void run();
  void write_journal();  // posted by after_commit
  void replay(std::vector<JournalRecord> records);

  store::Store reader_;
  std::filesystem::path path_;
  std::function<void(std::function<void()>)> post_;
  Journal journal_;
  // The I/O thread's: answers waiting for the next journal write.
  std::vector<std::function<void()>> journal_waiting_;
  bool journal_posted_ = false;

  std::mutex mutex_;
  std::condition_variable wake_writer_, committed_;
  std::deque<Op> queue_;
  std::uint64_t queued_ = 0, committed_count_ = 0;
  std::deque<Ack> acks_;  // answers waiting for a commit (the journal failed), by `after`
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
