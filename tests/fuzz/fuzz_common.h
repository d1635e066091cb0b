// Helpers shared by the libFuzzer targets of tests/fuzz/ (header-only: each target is one
// executable). A target reports a bug by calling fail(), which aborts: libFuzzer then saves the
// input as crash-<sha1> and scripts/fuzz.sh names the target and the file.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace fx::fuzz {

// Aborts with what went wrong: a broken invariant is a crash, as a sanitizer report is.
[[noreturn]] inline void fail(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "\nfx fuzz: %.*s\n", static_cast<int>(what.size()), what.data());
  if (!detail.empty())
    std::fprintf(stderr, "  %.*s\n", static_cast<int>(detail.size()), detail.data());
  std::abort();
}

// A bug a target found and that is reported, whose fix belongs to another part of fx: the
// target lets it pass, noted once on stderr, so that fuzzing goes on past it and CI stays
// green until the fix lands. Its inputs are kept under tests/fuzz/regressions/<target>/, and
// FX_FUZZ_STRICT=1 makes it a crash again (to check a fix: run the target on them). A
// target that sets such inputs aside before the call (when the bug would be an out-of-memory
// or undefined behaviour, which cannot be caught) makes the call anyway when strict().
inline bool strict() {
  const char* value = std::getenv("FX_FUZZ_STRICT");
  return value != nullptr && std::string_view(value) == "1";
}
inline void known_issue(std::string_view what, std::string_view detail = {}) {
  if (strict()) fail(what, detail);
  static std::set<std::string, std::less<>> noted;
  if (noted.insert(std::string(what)).second)
    std::fprintf(stderr, "fx fuzz: known issue (reported, not fixed yet): %.*s\n",
                 static_cast<int>(what.size()), what.data());
}

// Many targets take several inputs from one file: the parts are separated by a line holding
// only "---", so that corpus files stay readable text.
inline std::vector<std::string_view> split_parts(std::string_view input, std::size_t max_parts) {
  constexpr std::string_view kSeparator = "\n---\n";
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    auto at = input.find(kSeparator);
    if (at == std::string_view::npos) break;
    parts.push_back(input.substr(0, at));
    input.remove_prefix(at + kSeparator.size());
  }
  parts.push_back(input);
  return parts;
}

// A directory of the process's own, in memory when /dev/shm exists (targets that write files
// write many), removed at exit (not after a crash, which skips exit handlers).
inline const std::filesystem::path& scratch_dir() {
  // The name is kept in a plain array: at exit, the path below may be destroyed before the
  // handler that removes the directory runs.
  static char name[4096];
  static const std::filesystem::path dir = [] {
    // scripts/fuzz.sh names a directory of its run, which it removes even after a crash.
    const char* run_dir = std::getenv("FX_FUZZ_SCRATCH");
    std::filesystem::path base = run_dir ? run_dir
                                 : std::filesystem::is_directory("/dev/shm")
                                     ? "/dev/shm"
                                     : std::filesystem::temp_directory_path();
    std::string tmpl = (base / "fx-fuzz-XXXXXX").string();
    if (tmpl.size() >= sizeof(name) || !::mkdtemp(tmpl.data()))
      fail("cannot create a scratch directory", tmpl);
    tmpl.copy(name, tmpl.size());
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(name, ec);
    });
    return std::filesystem::path(tmpl);
  }();
  return dir;
}

// Text that reaches a user must not be a library's internals (the project's rule: no
// `stoll`, no `[json.exception...]`). Markers the input itself holds are not counted: a
// message may quote what the user wrote.
inline void check_user_text(std::string_view message, std::string_view input) {
  static constexpr std::string_view kInternal[] = {"[json.exception",
                                                   "yaml-cpp: error",
                                                   "basic_string",
                                                   "std::",
                                                   "stoi",
                                                   "stol",
                                                   "stod",
                                                   "bad_optional_access",
                                                   "bad_variant_access",
                                                   "filesystem error",
                                                   "vector::",
                                                   "map::at"};
  for (std::string_view marker : kInternal) {
    if (message.find(marker) != std::string_view::npos &&
        input.find(marker) == std::string_view::npos)
      fail("internal text in a message meant for a user", message);
  }
}

}  // namespace fx::fuzz
