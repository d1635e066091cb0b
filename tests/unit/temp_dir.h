// A private directory for one test, made by mkdtemp under the system's temporary directory and
// removed with all it holds when the test ends, even when the test fails half-way and even
// where the test made folders read-only (a task root).
#pragma once

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace fx::test {

// Removes a tree, its read-only folders included.
inline void remove_tree(const std::filesystem::path& root) {
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(root, ec), end; !ec && it != end;
       it.increment(ec))
    if (it->is_directory(ec) && !it->is_symlink(ec))
      std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::add, ec);
  std::filesystem::remove_all(root, ec);
}

class TempDir {
 public:
  // `tag` names the test in the directory's name, to tell leftovers apart.
  explicit TempDir(const std::string& tag = "unit") {
    std::string templ =
        (std::filesystem::temp_directory_path() / ("fx-test-" + tag + "-XXXXXX")).string();
    REQUIRE(mkdtemp(templ.data()) != nullptr);
    // Canonical: code under test resolves links, and its paths must compare equal to ours.
    path = std::filesystem::canonical(templ);
  }
  ~TempDir() { remove_tree(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::filesystem::path operator/(const std::filesystem::path& relative) const {
    return path / relative;
  }

  // Writes a file (its folders made as needed), replacing what was there.
  void write(const std::string& relative, const std::string& content = "") const {
    std::filesystem::create_directories((path / relative).parent_path());
    std::ofstream(path / relative, std::ios::binary | std::ios::trunc) << content;
  }
  // A symbolic link at `relative` (its folders made as needed) to `target`.
  void link(const std::string& relative, const std::filesystem::path& target) const {
    std::filesystem::create_directories((path / relative).parent_path());
    std::filesystem::create_symlink(target, path / relative);
  }

  std::filesystem::path path;
};

}  // namespace fx::test
