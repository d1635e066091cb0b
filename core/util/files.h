// Whole-file reads, and read-only trees.
#pragma once

#include <filesystem>
#include <string>

namespace fx::util {

// The file's bytes; empty when it cannot be read (callers that need it check existence).
std::string read_file(const std::filesystem::path& path);

// Takes every write bit off a tree (Lambda's task root and /opt are read-only: code that
// writes next to itself, or a runtime caching bytecode there, must fail here as it would
// there). Errors are ignored: this is a guard, not a promise.
void make_tree_read_only(const std::filesystem::path& root);

// Gives the owner write permission on a tree again.
void make_tree_writable(const std::filesystem::path& root);

// make_tree_writable, then removes the tree.
void remove_tree(const std::filesystem::path& root);

}  // namespace fx::util
