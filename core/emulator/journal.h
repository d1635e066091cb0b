// The emulator's redo journal: what an answer waits on (an invocation's log lines and usage
// record), written to a file with one write() before the answer leaves, while the store
// (SQLite) takes the same records in the background, in batches. A kill -9 loses nothing that
// was answered: the next start replays what the store does not have yet. (A write() is in the
// page cache when it returns: it survives the process, not a power cut.)
//
// Two files, used in turn: a file is emptied once the store has everything it holds, and one
// that grew to a few megabytes (under a load that never lets the store catch up) hands over
// to the other, so neither grows for good.
// append() and write_pending() run on one thread (the emulator's I/O thread); committed() on
// another (the store's writer).
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/store/store.h"
#include "core/usage/report.h"

namespace fx::emulator {

struct JournaledReport {
  usage::ReportRecord record;
  std::optional<std::int64_t> report_line;
};
using JournalRecord = std::variant<store::LogLine, JournaledReport>;

class Journal {
 public:
  // Opens (creating, mode 0600) DIR/journal-0 and DIR/journal-1. Throws fx::Error.
  explicit Journal(const std::filesystem::path& dir);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // What the files hold, oldest first: complete records only (a write cut short by a crash
  // was never answered). Then empties them.
  std::vector<JournalRecord> recover();

  // Adds a record to the next write; `seq` is its place in the store's queue.
  void append(const store::LogLine& line, std::uint64_t seq);
  void append(const usage::ReportRecord& record, std::optional<std::int64_t> report_line,
              std::uint64_t seq);
  bool pending() const { return !buffer_.empty(); }
  // Writes what was appended since the last call, in one write(). False when it could not
  // (the disk is full): the caller must then wait for the store instead.
  bool write_pending();

  // The store holds every record up to `seq`: a file all of whose records are in is emptied.
  void committed(std::uint64_t seq);

 private:
  struct File {
    int fd = -1;
    std::uint64_t last_seq = 0;  // of the newest record written to it
    std::uint64_t bytes = 0;
  };
  File files_[2];
  int current_ = 0;
  std::mutex mutex_;  // current_, and each file's bookkeeping and truncation
  std::string buffer_;
  std::uint64_t buffer_last_seq_ = 0;
  std::filesystem::path dir_;
};

}  // namespace fx::emulator
