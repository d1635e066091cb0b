// Whole-file reads.
#pragma once

#include <filesystem>
#include <string>

namespace fx::util {

// The file's bytes; empty when it cannot be read (callers that need it check existence).
std::string read_file(const std::filesystem::path& path);

}  // namespace fx::util
