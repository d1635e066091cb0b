#include "core/util/files.h"

#include <fstream>

namespace fx::util {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::string text;
  // One read of the whole file when its size is known (the import scanners read thousands of
  // modules per bundle), then whatever follows: a file may grow, and some (/proc) say size 0.
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (!ec && size > 0) {
    text.resize(size);
    in.read(text.data(), static_cast<std::streamsize>(size));
    text.resize(static_cast<std::size_t>(in.gcount()));
  }
  char buffer[16 * 1024];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0)
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
  return text;
}

namespace {

void set_write(const fs::path& root, bool writable) {
  constexpr auto write = fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write;
  auto apply = [&](const fs::path& p) {
    std::error_code ec;
    auto st = fs::symlink_status(p, ec);
    if (ec || fs::is_symlink(st)) return;  // a link's own mode means nothing
    fs::permissions(p, writable ? fs::perms::owner_write : write,
                    writable ? fs::perm_options::add : fs::perm_options::remove, ec);
  };
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(root, ec))) return;
  // Directories are made writable before their entries are visited, and read-only after.
  if (writable) apply(root);
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec))
    apply(it->path());
  if (!writable) apply(root);
}

}  // namespace

void make_tree_read_only(const fs::path& root) {
  set_write(root, false);
}

void make_tree_writable(const fs::path& root) {
  set_write(root, true);
}

void remove_tree(const fs::path& root) {
  set_write(root, true);
  std::error_code ec;
  fs::remove_all(root, ec);
}

}  // namespace fx::util
