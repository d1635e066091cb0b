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

  static SearchEnvironment current();
};

struct Candidate {
  std::filesystem::path executable;
  // Named for the wanted version (python3.9 on PATH, a pyenv 3.9.x): only its answer tells
  // whether it is that version, but it is asked before the fallback.
  bool versioned = false;
  std::string source;  // "PATH", "pyenv", ...: for messages
};

// The executables that may run `version` of `family`: versioned_program+version on PATH,
// then each store's installs of that version (newest first), then `program` on PATH.
std::vector<Candidate> interpreter_candidates(const Family& family, const std::string& version,
                                              const SearchEnvironment& env);

// Where discovery looked, for the message when nothing was found: "python3.9 and python3 on
// PATH, ~/.pyenv/versions, ~/.asdf/installs/python".
std::string searched_places(const Family& family, const std::string& version,
                            const SearchEnvironment& env);

}  // namespace fx::runtimes
