#include "core/emulator/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/util/error.h"

namespace fx::emulator {

namespace {

// A file of the pair takes over from the other once it passed this size (and the other is
// empty): at a few kB per invocation, a few thousand invocations per file.
constexpr std::uint64_t kSwitchBytes = 8 << 20;

// Records: u32 length of what follows, u8 kind, u64 seq, then the fields; numbers little
// endian as this machine writes them (the files never leave it), strings as u32 length + bytes.
enum Kind : std::uint8_t { kLogLine = 1, kReport = 2 };

template <class T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}
void put(std::string& out, const std::string& s) {
  put(out, static_cast<std::uint32_t>(s.size()));
  out += s;
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool ok() const { return ok_; }
  template <class T>
  T get() {
    T value{};
    if (data_.size() < sizeof value) {
      ok_ = false;
      return value;
    }
    std::memcpy(&value, data_.data(), sizeof value);
    data_.remove_prefix(sizeof value);
    return value;
  }
  std::string str() {
    auto n = get<std::uint32_t>();
    if (!ok_ || data_.size() < n) {
      ok_ = false;
      return {};
    }
    std::string s(data_.substr(0, n));
    data_.remove_prefix(n);
    return s;
  }

 private:
  std::string_view data_;
  bool ok_ = true;
};

// Appends a record to `buffer`: its length, kind and seq, then `fields` (already encoded).
void add_record(std::string& buffer, Kind kind, std::uint64_t seq, std::string_view fields) {
  put(buffer, static_cast<std::uint32_t>(sizeof(std::uint8_t) + sizeof seq + fields.size()));
  put(buffer, static_cast<std::uint8_t>(kind));
  put(buffer, seq);
  buffer += fields;
}

int open_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    throw Error(fmt::format("cannot open the journal {}: {}", path.string(), std::strerror(errno)));
  ::fchmod(fd, 0600);
  return fd;
}

std::string read_all(int fd) {
  std::string out;
  char buf[65536];
  off_t at = 0;
  while (true) {
    ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    at += n;
  }
  return out;
}

}  // namespace

Journal::Journal(const std::filesystem::path& dir) : dir_(dir) {
  files_[0].fd = open_file(dir / "journal-0");
  try {
    files_[1].fd = open_file(dir / "journal-1");
  } catch (...) {
    ::close(files_[0].fd);
    throw;
  }
}

Journal::~Journal() {
  for (auto& f : files_)
    if (f.fd >= 0) ::close(f.fd);
}

std::vector<JournalRecord> Journal::recover() {
  std::vector<std::pair<std::uint64_t, JournalRecord>> found;
  for (auto& f : files_) {
    std::string data = read_all(f.fd);
    std::string_view rest = data;
    while (rest.size() >= 4) {
      std::uint32_t length = 0;
      std::memcpy(&length, rest.data(), 4);
      if (rest.size() - 4 < length) break;  // cut short by a crash: never answered
      Reader r(rest.substr(4, length));
      rest.remove_prefix(4 + length);
      auto kind = r.get<std::uint8_t>();
      auto seq = r.get<std::uint64_t>();
      if (kind == kLogLine) {
        store::LogLine line;
        line.id = r.get<std::int64_t>();
        line.time_ms = r.get<std::int64_t>();
        line.function = r.str();
        line.request_id = r.str();
        line.message = r.str();
        if (r.ok()) found.emplace_back(seq, std::move(line));
      } else if (kind == kReport) {
        JournaledReport j;
        auto& rec = j.record;
        rec.request_id = r.str();
        rec.function = r.str();
        rec.version = r.str();
        rec.start_ms = r.get<std::int64_t>();
        rec.duration_ms = r.get<double>();
        rec.billed_ms = r.get<std::int64_t>();
        rec.memory_mb = r.get<std::int32_t>();
        rec.max_memory_mb = r.get<std::int32_t>();
        if (r.get<std::uint8_t>()) rec.init_ms = r.get<double>();
        rec.architecture = r.str();
        rec.outcome = r.str();
        rec.cpu_ms = r.get<double>();
        if (r.get<std::uint8_t>()) j.report_line = r.get<std::int64_t>();
        if (r.ok()) found.emplace_back(seq, std::move(j));
      }
    }
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<JournalRecord> out;
  out.reserve(found.size());
  for (auto& [seq, record] : found) out.push_back(std::move(record));
  for (auto& f : files_) {
    [[maybe_unused]] int rc = ::ftruncate(f.fd, 0);
    f.bytes = f.last_seq = 0;
  }
  return out;
}

void Journal::append(const store::LogLine& line, std::uint64_t seq) {
  std::string record;
  put(record, line.id);
  put(record, line.time_ms);
  put(record, line.function);
  put(record, line.request_id);
  put(record, line.message);
  add_record(buffer_, kLogLine, seq, record);
  buffer_last_seq_ = seq;
}

void Journal::append(const usage::ReportRecord& rec, std::optional<std::int64_t> report_line,
                     std::uint64_t seq) {
  std::string record;
  put(record, rec.request_id);
  put(record, rec.function);
  put(record, rec.version);
  put(record, rec.start_ms);
  put(record, rec.duration_ms);
  put(record, rec.billed_ms);
  put(record, static_cast<std::int32_t>(rec.memory_mb));
  put(record, static_cast<std::int32_t>(rec.max_memory_mb));
  put(record, static_cast<std::uint8_t>(rec.init_ms.has_value()));
  if (rec.init_ms) put(record, *rec.init_ms);
  put(record, rec.architecture);
  put(record, rec.outcome);
  put(record, rec.cpu_ms);
  put(record, static_cast<std::uint8_t>(report_line.has_value()));
  if (report_line) put(record, *report_line);
  add_record(buffer_, kReport, seq, record);
  buffer_last_seq_ = seq;
}

bool Journal::write_pending() {
  if (buffer_.empty()) return true;
  int fd;
  {
    std::lock_guard lock(mutex_);
    int other = 1 - current_;
    if (files_[current_].bytes >= kSwitchBytes && files_[other].bytes == 0) current_ = other;
    fd = files_[current_].fd;
    files_[current_].bytes += buffer_.size();
    files_[current_].last_seq = buffer_last_seq_;
  }
  std::string_view rest = buffer_;
  while (!rest.empty()) {
    ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      buffer_.clear();
      return false;
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  buffer_.clear();
  return true;
}

void Journal::committed(std::uint64_t seq) {
  std::lock_guard lock(mutex_);
  // A file is booked (last_seq) before it is written: a record the store does not have yet
  // keeps its file. One emptied as a write of records the store already has lands in it only
  // costs their replay, which skips what the store holds.
  for (auto& f : files_)
    if (f.bytes > 0 && f.last_seq <= seq && ::ftruncate(f.fd, 0) == 0) f.bytes = f.last_seq = 0;
}

}  // namespace fx::emulator
