// Where each stream mapping has got to, kept in SQLite (FX_HOME/stream_checkpoints.db) so that
// a kill -9 of the emulator neither loses a record nor delivers again more than the batch that
// was in flight (at least once, as Lambda). One row per mapping, by its UUID, which stays the
// same across deploys and restarts: a redeploy resumes where the mapping was.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace fx::store {
class Database;
}

namespace fx::sources {

class StreamCheckpoints {
 public:
  explicit StreamCheckpoints(const std::filesystem::path& path);
  ~StreamCheckpoints();
  StreamCheckpoints(const StreamCheckpoints&) = delete;
  StreamCheckpoints& operator=(const StreamCheckpoints&) = delete;

  // The sequence number up to which (inclusive) the mapping's records are done, or nullopt
  // when the mapping has not started.
  std::optional<std::int64_t> get(const std::string& uuid);
  // Starts the mapping at `seq` unless it has started: its starting position is read once.
  // Returns the checkpoint it has.
  std::int64_t start(const std::string& uuid, const std::string& service, std::int64_t seq);
  // Moves the checkpoint forward to `seq`, never back: a batch of a replaced poller that ends
  // late must not bring back what its successor did.
  void advance(const std::string& uuid, std::int64_t seq);
  // Forgets the service's mappings but those of `keep` (a mapping removed from the manifest
  // starts over at its starting position if it comes back, as a new mapping does on AWS).
  void forget(const std::string& service, const std::set<std::string>& keep = {});

 private:
  std::unique_ptr<store::Database> db_;
};

}  // namespace fx::sources
