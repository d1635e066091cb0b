// Files of templates/ compiled into the binary (see cmake/embed.cmake).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace fx::util {

struct EmbeddedFile {
  std::string_view path;  // relative to templates/, e.g. "python/handler.py"
  std::string_view data;
  int mode;  // 0644, or 0755 for files that start with "#!"
};

const std::vector<EmbeddedFile>& embedded_templates();

// The embedded file at `path`, or nullptr.
const EmbeddedFile* find_embedded(std::string_view path);

// Writes every embedded file under `prefix` (e.g. "runtimes/") to `dest`, keeping the part of
// the path after the prefix. Returns the relative paths written.
std::vector<std::string> extract_embedded(std::string_view prefix,
                                          const std::filesystem::path& dest);

}  // namespace fx::util
