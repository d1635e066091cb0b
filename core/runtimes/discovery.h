// Where a runtime's interpreter may be: the executables worth asking, in the order the
// exact-version-first rule asks them. Only the file system is read here; running the
// candidates to learn what they are is the resolver's job.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/runtimes/registry.h"

namespace fx::runtimes {

// The process environment discovery reads: PATH, HOME and the version managers' root
// variables (PYENV_ROOT, NVM_DIR, ...). Tests build one around a temporary HOME.
struct SearchEnvironment {
  std::string path;                          // PATH
  std::filesystem::path home;                // HOME
  std::map<std::string, std::string> roots;  // a store's root_variable -> its value, when set
  // Folders where a system keeps programs named for their version (/usr/bin/python3.9,
  // /usr/local/bin/node18), asked also when they are not on PATH.
  std::vector<std::filesystem::path> system_dirs = {"/usr/local/bin", "/usr/bin",
                                                    "/opt/homebrew/bin"};

  static SearchEnvironment current();
};

struct Candidate {
  std::filesystem::path executable;
  // Named for the wanted version (python3.9 on PATH, a pyenv 3.9.x): only its answer tells
  // whether it is that version, but it is asked before the fallback.
  bool versioned = false;
  std::string source;  // "PATH", "pyenv", ...: for messages
};

// The executables that may run `version` of `family`: its versioned programs on PATH and in
// the system's folders, then each store's installs of that version (newest patch first),
// then `program` on PATH.
std::vector<Candidate> interpreter_candidates(const Family& family, const std::string& version,
                                              const SearchEnvironment& env);

// Where discovery looked, for the message when nothing was found: "python3.9 and python3 on
// PATH, ~/.pyenv/versions, ~/.asdf/installs/python".
std::string searched_places(const Family& family, const std::string& version,
                            const SearchEnvironment& env);
// The same, short, for warnings: "PATH, /usr/local/bin, /usr/bin, pyenv, asdf, mise".
std::string searched_summary(const Family& family, const SearchEnvironment& env);
// `pattern` with its "{}" replaced by `version`: "python{}" -> "python3.9".
std::string with_version(std::string_view pattern, const std::string& version);

}  // namespace fx::runtimes
