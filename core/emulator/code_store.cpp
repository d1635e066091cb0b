#include "core/emulator/code_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/lambda/api_error.h"
#include "core/util/files.h"
#include "core/util/hash.h"

namespace fx::emulator {

namespace fs = std::filesystem;
using lambda::ApiError;

namespace {

constexpr std::string_view kUnzipError =
    "Could not unzip uploaded file. Please check your file, then try to upload again.";
// Written last into an unpacked folder; holds the unzipped size. Its presence is what makes a
// folder complete (folders are renamed into place whole, so a folder without it was damaged).
constexpr const char* kMarker = ".fx-complete";
constexpr std::size_t kChunk = 64 * 1024;
// A zip has one; a stored zip inside it, near its end, adds one more.
constexpr int kMaxEndRecords = 16;

// An entry name as it may be shown in a message: no control characters (it reaches terminals
// and logs), and not 4 kB of it.
std::string shown(std::string_view name) {
  constexpr std::size_t kMax = 200;
  std::string out;
  for (char c : name.substr(0, kMax))
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  if (name.size() > kMax) out += "...";
  return out;
}

[[noreturn]] void refuse_unzip(const std::string& why) {
  throw ApiError(400, "InvalidParameterValueException", fmt::format("{} ({})", kUnzipError, why));
}

[[noreturn]] void refuse_empty() {
  throw ApiError(400, "InvalidParameterValueException", "Uploaded file must be a non-empty zip");
}

[[noreturn]] void refuse_zipped(const CodeLimits& limits) {
  // Lambda caps the request, whose zip is base64: 4/3 of the zip's bytes, rounded up.
  std::uint64_t request = (limits.max_zipped * 4 + 2) / 3;
  throw ApiError(413, "RequestEntityTooLargeException",
                 fmt::format("Request must be smaller than {} bytes for the {} operation", request,
                             limits.operation));
}

[[noreturn]] void refuse_unzipped(const CodeLimits& limits) {
  throw ApiError(400, "InvalidParameterValueException",
                 fmt::format("Unzipped size must be smaller than {} bytes", limits.max_unzipped));
}

// The emulator's own failure (a full disk, a folder it may not write): not the upload's.
[[noreturn]] void fail_io(const std::string& what, int err) {
  throw ApiError(500, "ServiceException",
                 fmt::format("the fx emulator could not {}: {}", what, std::strerror(err)));
}

std::uint64_t budget_of(const CodeLimits& limits) {
  return limits.unzipped_used >= limits.max_unzipped ? 0
                                                     : limits.max_unzipped - limits.unzipped_used;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now, to see the error a deferred write reports at close.
  int close() { return ::close(std::exchange(fd_, -1)); }

 private:
  int fd_;
};

struct ZipDiscard {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct ZipSourceFree {
  void operator()(zip_source_t* s) const { zip_source_free(s); }
};
struct ZipFileClose {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};
using ZipArchive = std::unique_ptr<zip_t, ZipDiscard>;
using ZipSource = std::unique_ptr<zip_source_t, ZipSourceFree>;
using ZipFile = std::unique_ptr<zip_file_t, ZipFileClose>;

// A folder or file of our own under the store, removed when it goes out of scope unless kept.
class TempPath {
 public:
  // Makes a new empty folder `prefix`XXXXXX (mkdtemp), so concurrent unpacks never share one.
  static TempPath make_dir(const std::string& prefix) {
    std::string name = prefix + "XXXXXX";
    if (!::mkdtemp(name.data())) fail_io(fmt::format("create a folder in {}", prefix), errno);
    TempPath t(name);
    // mkdtemp makes it 0700; the task root was 0755 (then read-only) and stays so.
    ::chmod(name.c_str(), 0755);
    return t;
  }
  TempPath(TempPath&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  TempPath(const TempPath&) = delete;
  TempPath& operator=(const TempPath&) = delete;
  ~TempPath() {
    if (!path_.empty()) util::remove_tree(path_);
  }
  const fs::path& path() const { return path_; }
  void keep() { path_.clear(); }

 private:
  explicit TempPath(fs::path p) : path_(std::move(p)) {}
  fs::path path_;
};

std::uint32_t read_le(std::string_view b, std::uint64_t at, int bytes) {
  std::uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}

std::uint64_t read_le64(std::string_view b, std::uint64_t at) {
  return read_le(b, at, 4) | (static_cast<std::uint64_t>(read_le(b, at + 4, 4)) << 32);
}

// The most central directory records any end-of-directory record in the zip's tail points
// at, counting no further than `stop_after` + 1. libzip reads every record of a directory
// (past the 16-bit count, as InfoZIP writes more than 65535 files) and keeps ~250 bytes for
// each: a 50 MB zip can name a million files, refused here before libzip spends 250 MB on
// them. The candidates are a superset of the ones libzip tries.
std::uint64_t central_directory_records(std::string_view zip, std::uint64_t stop_after) {
  constexpr std::uint64_t kEocd = 22, kLocator = 20, kEocd64 = 56, kRecord = 46;
  constexpr std::uint64_t kTail = 0xffff + kEocd + kLocator;
  const std::uint64_t size = zip.size();
  auto walk = [&](std::uint64_t offset, std::uint64_t length) {
    if (offset > size) return std::uint64_t{0};
    std::uint64_t end = length > size - offset ? size : offset + length;
    std::uint64_t count = 0;
    for (std::uint64_t at = offset; at + kRecord <= end && read_le(zip, at, 4) == 0x02014b50;) {
      if (++count > stop_after) break;
      at +=
          kRecord + read_le(zip, at + 28, 2) + read_le(zip, at + 30, 2) + read_le(zip, at + 32, 2);
    }
    return count;
  };
  std::uint64_t most = 0;
  int candidates = 0;
  if (size < kEocd) return 0;
  for (std::uint64_t at = size > kTail ? size - kTail : 0; at + kEocd <= size; ++at) {
    if (read_le(zip, at, 4) != 0x06054b50) continue;
    // libzip reads the directory of every candidate: a tail of thousands of them, all
    // pointing at one large directory, would keep it busy for minutes.
    if (++candidates > kMaxEndRecords)
      refuse_unzip(fmt::format("the zip ends with more than {} end of central directory records",
                               kMaxEndRecords));
    most = std::max(most, walk(read_le(zip, at + 16, 4), read_le(zip, at + 12, 4)));
    if (at >= kLocator && read_le(zip, at - kLocator, 4) == 0x07064b50) {
      std::uint64_t eocd64 = read_le64(zip, at - kLocator + 8);
      if (size >= kEocd64 && eocd64 <= size - kEocd64 && read_le(zip, eocd64, 4) == 0x06064b50)
        most = std::max(most, walk(read_le64(zip, eocd64 + 48), read_le64(zip, eocd64 + 40)));
    }
    if (most > stop_after) break;
  }
  return most;
}

struct EntryKind {
  bool dir = false;
  bool link = false;
  bool exec = false;
};

EntryKind kind_of(zip_t* z, zip_uint64_t i, std::string_view name) {
  EntryKind k;
  zip_uint8_t opsys = 0;
  zip_uint32_t attrs = 0;
  bool unix_mode =
      zip_file_get_external_attributes(z, i, 0, &opsys, &attrs) == 0 && opsys == ZIP_OPSYS_UNIX;
  mode_t mode = unix_mode ? static_cast<mode_t>(attrs >> 16) : 0;
  k.dir = name.ends_with('/') || (unix_mode && S_ISDIR(mode));
  k.link = unix_mode && S_ISLNK(mode);
  k.exec = unix_mode && (mode & 0111);
  return k;
}

// An entry's path inside the task root ("./a//b" is "a/b"; "./" is ""), or a refusal saying
// why it cannot be one. `max_path` is what fits under the task root (max_path_under).
std::string relative_path(std::string_view name, std::size_t max_path) {
  if (name.empty()) refuse_unzip("an entry has an empty name");
  // A backslash is a separator to Windows tools and a plain character to Linux: either
  // reading is wrong for someone, and "..\\" is a zip slip to the former.
  if (name.find('\\') != std::string_view::npos)
    refuse_unzip(
        fmt::format("entry '{}' has a backslash in its name; zip it with '/' between "
                    "folders",
                    shown(name)));
  if (name.front() == '/') refuse_unzip(fmt::format("entry '{}' is an absolute path", shown(name)));
  std::string rel;
  std::size_t depth = 0;
  for (std::size_t start = 0; start <= name.size();) {
    std::size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) slash = name.size();
    std::string_view part = name.substr(start, slash - start);
    start = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..")
      refuse_unzip(fmt::format("entry '{}' points outside the task root", shown(name)));
    if (part.size() > kMaxNameBytes)
      refuse_unzip(
          fmt::format("entry '{}' has a name longer than {} bytes", shown(name), kMaxNameBytes));
    if (++depth > kMaxDepth)
      refuse_unzip(
          fmt::format("entry '{}' is nested more than {} levels deep", shown(name), kMaxDepth));
    if (!rel.empty()) rel += '/';
    rel += part;
    if (rel.size() > max_path)
      refuse_unzip(
          fmt::format("entry '{}' has a path longer than {} bytes", shown(name), max_path));
  }
  // The marker at the root, as a file or as a folder holding others (found by fuzz_code_store:
  // a folder of that name made writing the marker fail, a 500).
  if (rel == kMarker || rel.starts_with(std::string(kMarker) + "/"))
    refuse_unzip(fmt::format("entry '{}' is under a name the fx emulator keeps for itself ({})",
                             shown(name), kMarker));
  return rel;
}

// Checks every entry before anything is written: names (relative_path), symbolic links, the
// count of files and folders (implied ones too: "a/b/c" makes two folders), duplicates, and a
// file that another entry needs to be a folder. Keeps one node per path component.
void check_entries(zip_t* z, zip_uint64_t count, std::size_t max_path) {
  struct Key {
    std::uint32_t parent;
    std::string name;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      return std::hash<std::string>{}(k.name) ^ (k.parent * 0x9e3779b97f4a7c15ULL);
    }
  };
  struct Node {
    bool file = false;
    bool named = false;      // an entry names it; otherwise a path implies it (a folder)
    zip_uint64_t entry = 0;  // the entry that named or implied it, for messages
  };
  std::unordered_map<Key, std::uint32_t, KeyHash> children;
  std::vector<Node> nodes(1);  // nodes[0]: the task root
  auto name_of = [&](zip_uint64_t i) {
    const char* name = zip_get_name(z, i, 0);
    return shown(name ? name : "");
  };
  auto not_a_folder = [&](zip_uint64_t file, zip_uint64_t other) {
    refuse_unzip(fmt::format("entry '{}' is a file, and entry '{}' needs it to be a folder",
                             name_of(file), name_of(other)));
  };
  for (zip_uint64_t i = 0; i < count; ++i) {
    const char* raw = zip_get_name(z, i, 0);
    if (!raw) refuse_unzip(fmt::format("entry {}: {}", i, zip_strerror(z)));
    std::string_view name(raw);
    std::string rel = relative_path(name, max_path);
    EntryKind kind = kind_of(z, i, name);
    // Written as links, they could point anywhere and later entries be written through them;
    // written as plain files, the bundle would run differently here than on Lambda. fx's
    // own bundles follow links, so only foreign zips have them: refuse, and say so.
    if (kind.link)
      refuse_unzip(
          fmt::format("entry '{}' is a symbolic link; the fx emulator unpacks files "
                      "and folders only",
                      shown(name)));
    if (rel.empty()) {
      if (!kind.dir) refuse_unzip(fmt::format("entry '{}' names no file", shown(name)));
      continue;  // "./": the task root itself
    }
    std::uint32_t parent = 0;
    for (std::size_t start = 0; start <= rel.size();) {
      std::size_t slash = rel.find('/', start);
      bool last = slash == std::string::npos;
      if (last) slash = rel.size();
      Key key{parent, rel.substr(start, slash - start)};
      start = slash + 1;
      auto found = children.find(key);
      if (found == children.end()) {
        if (nodes.size() > kMaxEntries)
          refuse_unzip(fmt::format("the zip holds more than {} files and folders", kMaxEntries));
        nodes.push_back({last && !kind.dir, last, i});
        parent = static_cast<std::uint32_t>(nodes.size() - 1);
        children.emplace(std::move(key), parent);
        continue;
      }
      Node& node = nodes[found->second];
      parent = found->second;
      if (!last) {
        if (node.file) not_a_folder(node.entry, i);
        continue;
      }
      if (node.named && node.file == !kind.dir) {
        std::string earlier = name_of(node.entry);
        refuse_unzip(earlier == shown(name) ? fmt::format("entry '{}' appears twice", earlier)
                                            : fmt::format("entries '{}' and '{}' are the same path",
                                                          earlier, shown(name)));
      }
      if (node.file) not_a_folder(node.entry, i);
      if (!kind.dir) not_a_folder(i, node.entry);
      node.named = true;
      node.entry = i;
    }
  }
}

void write_all(int fd, const char* data, std::size_t size, const fs::path& path) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_io(fmt::format("write {}", path.string()), errno);
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

// Unpacks the zip into the empty folder `into`, streaming each file in chunks and counting the
// bytes written against `budget` (headers may claim any size). Returns the bytes written.
std::uint64_t unpack(std::string_view zip_bytes, const fs::path& into, std::size_t max_path,
                     std::uint64_t budget, const CodeLimits& limits) {
  if (central_directory_records(zip_bytes, kMaxEntries) > kMaxEntries)
    refuse_unzip(fmt::format("the zip holds more than {} files and folders", kMaxEntries));
  zip_error_t error;
  zip_error_init(&error);
  ZipSource source(zip_source_buffer_create(zip_bytes.data(), zip_bytes.size(), 0, &error));
  if (!source) fail_io("read the zip", ENOMEM);
  ZipArchive archive(zip_open_from_source(source.get(), ZIP_RDONLY, &error));
  if (!archive) {
    std::string why = zip_error_strerror(&error);
    zip_error_fini(&error);
    refuse_unzip(why);
  }
  zip_error_fini(&error);
  source.release();  // the archive owns it now
  zip_t* z = archive.get();
  zip_int64_t count = zip_get_num_entries(z, 0);
  if (count <= 0) refuse_empty();
  if (static_cast<std::uint64_t>(count) > kMaxEntries)
    refuse_unzip(fmt::format("the zip holds more than {} files and folders", kMaxEntries));
  check_entries(z, static_cast<zip_uint64_t>(count), max_path);

  std::vector<char> chunk(kChunk);
  std::uint64_t written = 0;
  for (zip_uint64_t i = 0; i < static_cast<zip_uint64_t>(count); ++i) {
    std::string_view name = zip_get_name(z, i, 0);
    std::string rel = relative_path(name, max_path);
    EntryKind kind = kind_of(z, i, name);
    fs::path out = into / rel;
    std::error_code ec;
    if (kind.dir) {
      fs::create_directories(out, ec);
      if (ec) fail_io(fmt::format("create {}", out.string()), ec.value());
      continue;
    }
    fs::create_directories(out.parent_path(), ec);
    if (ec) fail_io(fmt::format("create {}", out.parent_path().string()), ec.value());
    zip_stat_t st;
    if (zip_stat_index(z, i, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
      refuse_unzip(fmt::format("entry '{}': {}", shown(name), zip_strerror(z)));
    ZipFile in(zip_fopen_index(z, i, 0));
    if (!in) refuse_unzip(fmt::format("entry '{}': {}", shown(name), zip_strerror(z)));
    // O_EXCL|O_NOFOLLOW: check_entries made every path unique, and nothing here is a link.
    Fd file(::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (file.get() < 0) fail_io(fmt::format("create {}", out.string()), errno);
    // The header's size is only checked, never used: an entry holding more than it says is
    // stopped there, one holding less is refused at its end (libzip checks neither).
    std::uint64_t size = 0;
    for (;;) {
      zip_int64_t got = zip_fread(in.get(), chunk.data(), chunk.size());
      if (got < 0)
        refuse_unzip(fmt::format("entry '{}': {}", shown(name), zip_file_strerror(in.get())));
      if (got == 0) break;
      size += static_cast<std::uint64_t>(got);
      if (size > st.size)
        refuse_unzip(fmt::format("entry '{}' holds more than the {} bytes its header says",
                                 shown(name), st.size));
      if (static_cast<std::uint64_t>(got) > budget - written) refuse_unzipped(limits);
      written += static_cast<std::uint64_t>(got);
      write_all(file.get(), chunk.data(), static_cast<std::size_t>(got), out);
    }
    if (size != st.size)
      refuse_unzip(fmt::format("entry '{}' holds {} bytes, not the {} its header says", shown(name),
                               size, st.size));
    ::fchmod(file.get(), kind.exec ? 0755 : 0644);
    if (file.close() != 0) fail_io(fmt::format("write {}", out.string()), errno);
  }
  return written;
}

// The longest entry path that fits in PATH_MAX (kMaxPathBytes, with its NUL) under `dir`.
std::size_t max_path_under(const fs::path& dir) {
  std::size_t used = dir.native().size() + 1 + 1;  // "/" before the path, NUL after
  return used < kMaxPathBytes ? kMaxPathBytes - used : 0;
}

bool is_complete(const fs::path& dir) {
  std::error_code ec;
  return fs::exists(dir / kMarker, ec);
}

// The unzipped size an unpacked folder recorded; folders unpacked before it was recorded are
// measured.
std::uint64_t unzipped_size_of(const fs::path& dir) {
  std::string text = util::read_file(dir / kMarker);
  std::uint64_t size = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), size);
  if (ec == std::errc() && end != text.data()) return size;
  size = 0;
  std::error_code walk;
  for (fs::recursive_directory_iterator it(dir, walk), stop; !walk && it != stop;
       it.increment(walk))
    if (it->is_regular_file(walk) && it->path().filename() != kMarker) size += it->file_size(walk);
  return size;
}

// Writes the zip under its final name, whole or not at all.
void store_zip(std::string_view zip_bytes, const fs::path& zip) {
  std::error_code ec;
  if (fs::exists(zip, ec)) return;
  std::string name = zip.string() + ".tmp-XXXXXX";
  Fd fd(::mkstemp(name.data()));
  if (fd.get() < 0) fail_io(fmt::format("create {}", name), errno);
  struct Unlink {
    std::string path;
    ~Unlink() {
      if (!path.empty()) ::unlink(path.c_str());
    }
  } guard{name};
  write_all(fd.get(), zip_bytes.data(), zip_bytes.size(), name);
  ::fchmod(fd.get(), 0644);
  if (fd.close() != 0) fail_io(fmt::format("write {}", name), errno);
  if (::rename(name.c_str(), zip.c_str()) != 0)
    fail_io(fmt::format("write {}", zip.string()), errno);
  guard.path.clear();
}

// Moves a complete unpacked folder to `dir`. Returns false when another unpack of the same code
// got there first (its folder is used, ours removed by the caller). A folder without its
// marker was damaged (an interrupted removal) and is replaced.
bool install(const fs::path& tmp, const fs::path& dir) {
  for (int attempt = 0; attempt < 4; ++attempt) {
    if (::rename(tmp.c_str(), dir.c_str()) == 0) return true;
    int err = errno;
    if (err != ENOTEMPTY && err != EEXIST)
      fail_io(fmt::format("move the unpacked code to {}", dir.string()), err);
    if (is_complete(dir)) return false;
    // rename(2) replaces an empty folder: the damaged one goes into a fresh one, then away.
    TempPath trash = TempPath::make_dir(dir.string() + ".old-");
    if (::rename(dir.c_str(), trash.path().c_str()) != 0 && errno != ENOENT)
      fail_io(fmt::format("replace {}", dir.string()), errno);
  }
  fail_io(fmt::format("move the unpacked code to {}", dir.string()), EBUSY);
}

bool is_sha256_hex(std::string_view hex) {
  if (hex.size() != 64) return false;
  for (char c : hex)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

std::string base64_of_hex(std::string_view hex) {
  std::string raw;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    unsigned byte = 0;
    std::from_chars(hex.data() + i, hex.data() + i + 2, byte, 16);
    raw += static_cast<char>(byte);
  }
  return util::base64_encode(raw);
}

}  // namespace

CodeStore::CodeStore(fs::path root) : root_(std::move(root)) {
  fs::create_directories(root_);
}

StoredCode CodeStore::put(std::string_view zip_bytes, const CodeLimits& limits) const {
  if (zip_bytes.size() > limits.max_zipped) refuse_zipped(limits);
  if (zip_bytes.empty()) refuse_empty();
  return finish(util::to_hex(util::sha256_raw(zip_bytes)), zip_bytes, limits);
}

StoredCode CodeStore::get(std::string_view sha256_hex, const CodeLimits& limits) const {
  if (!is_sha256_hex(sha256_hex))
    throw ApiError(400, "InvalidParameterValueException",
                   fmt::format("'{}' is not a SHA-256 (64 hex digits)", shown(sha256_hex)));
  std::string hex(sha256_hex);
  for (char& c : hex) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  fs::path zip = root_ / (hex + ".zip");
  std::error_code ec;
  auto size = fs::file_size(zip, ec);
  if (ec)
    throw ApiError(404, "ResourceNotFoundException",
                   fmt::format("code {} is missing from {}", hex, root_.string()));
  if (size > limits.max_zipped) refuse_zipped(limits);
  if (is_complete(root_ / hex)) return finish(hex, {}, limits);
  std::string bytes = util::read_file(zip);
  // Replaced or cut short under us: answer for the code asked for, not for other bytes.
  if (bytes.empty() || util::to_hex(util::sha256_raw(bytes)) != hex)
    throw ApiError(404, "ResourceNotFoundException",
                   fmt::format("code {} in {} is damaged; upload it again", hex, root_.string()));
  return finish(hex, bytes, limits);
}

// `zip_bytes` may be empty when the folder is complete (nothing to unpack or store).
StoredCode CodeStore::finish(const std::string& hex, std::string_view zip_bytes,
                             const CodeLimits& limits) const {
  StoredCode code;
  code.sha256_hex = hex;
  code.code_sha256 = base64_of_hex(hex);
  code.zip = root_ / (hex + ".zip");
  code.dir = root_ / hex;
  const std::uint64_t budget = budget_of(limits);
  std::uint64_t unzipped = 0;
  if (is_complete(code.dir)) {
    unzipped = unzipped_size_of(code.dir);
    if (unzipped > budget) refuse_unzipped(limits);
    if (!zip_bytes.empty()) store_zip(zip_bytes, code.zip);
  } else {
    // Only when the folder went away between get()'s look and this one.
    if (zip_bytes.empty())
      throw ApiError(404, "ResourceNotFoundException",
                     fmt::format("code {} went missing from {}", hex, root_.string()));
    // Shorter than the task root's name, so what fits in the one fits in the other.
    TempPath tmp = TempPath::make_dir((root_ / (hex.substr(0, 16) + ".tmp-")).string());
    unzipped = unpack(zip_bytes, tmp.path(), max_path_under(code.dir), budget, limits);
    {
      Fd marker(
          ::open((tmp.path() / kMarker).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
      std::string text = fmt::format("{}\n", unzipped);
      if (marker.get() < 0) fail_io(fmt::format("write {}", tmp.path().string()), errno);
      write_all(marker.get(), text.data(), text.size(), tmp.path() / kMarker);
    }
    util::make_tree_read_only(tmp.path());
    // The zip first: a folder in place without its zip would look stored but answer 404.
    store_zip(zip_bytes, code.zip);
    if (install(tmp.path(), code.dir)) tmp.keep();
  }
  std::error_code ec;
  code.size = static_cast<std::int64_t>(fs::file_size(code.zip, ec));
  if (ec)
    throw ApiError(404, "ResourceNotFoundException",
                   fmt::format("code {} is missing from {}", hex, root_.string()));
  code.unzipped_size = static_cast<std::int64_t>(unzipped);
  return code;
}

}  // namespace fx::emulator
