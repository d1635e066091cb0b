#include "core/sources/stream_checkpoints.h"

#include "core/store/sqlite.h"

namespace fx::sources {

using store::Stmt;

StreamCheckpoints::StreamCheckpoints(const std::filesystem::path& path)
    : db_(std::make_unique<store::Database>(
          path, store::Database::Options{"the stream checkpoint store", true, false})) {
  db_->exec(R"sql(
CREATE TABLE IF NOT EXISTS checkpoints (
  uuid TEXT PRIMARY KEY,
  service TEXT NOT NULL,
  seq INTEGER NOT NULL
);
)sql");
}

StreamCheckpoints::~StreamCheckpoints() = default;

std::optional<std::int64_t> StreamCheckpoints::get(const std::string& uuid) {
  Stmt s(db_->prepare("SELECT seq FROM checkpoints WHERE uuid = ?"));
  s.bind(uuid);
  if (!s.step()) return std::nullopt;
  return s.integer(0);
}

std::int64_t StreamCheckpoints::start(const std::string& uuid, const std::string& service,
                                      std::int64_t seq) {
  {
    Stmt s(db_->prepare("INSERT OR IGNORE INTO checkpoints (uuid, service, seq) VALUES (?, ?, ?)"));
    s.bind(uuid).bind(service).bind(seq);
    s.step();
  }
  return get(uuid).value_or(seq);
}

void StreamCheckpoints::advance(const std::string& uuid, std::int64_t seq) {
  Stmt s(db_->prepare("UPDATE checkpoints SET seq = MAX(seq, ?) WHERE uuid = ?"));
  s.bind(seq).bind(uuid);
  s.step();
}

void StreamCheckpoints::forget(const std::string& service, const std::set<std::string>& keep) {
  std::set<std::string> gone;
  {
    Stmt s(db_->prepare("SELECT uuid FROM checkpoints WHERE service = ?"));
    s.bind(service);
    while (s.step())
      if (!keep.contains(s.text(0))) gone.insert(s.text(0));
  }
  for (const auto& uuid : gone) {
    Stmt s(db_->prepare("DELETE FROM checkpoints WHERE uuid = ?"));
    s.bind(uuid);
    s.step();
  }
}

}  // namespace fx::sources
