// Compiled Python bytecode shipped inside a bundle: Lambda's task root is read-only, so a
// bundle without __pycache__ recompiles every module at every cold start.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/bundle/bundle.h"

namespace fx::bundle {

// For each .py file of the plan, the __pycache__/NAME.cpython-XY.pyc entry (unchecked-hash
// pycs, valid whatever the files' modification times), compiled by the local interpreter when
// its version is the runtime's ("python3.11"); none otherwise. Compiled files are cached by
// content under cache_dir, so only changed sources are compiled again.
// The local interpreter that runs `runtime` ("python3.11"), found by the runtime registry's
// discovery (the exact version first, else the family's program); empty when there is none.
// Asked once per fx process; `scratch` is a folder for the question's files.
std::filesystem::path python_interpreter(const std::string& runtime,
                                         const std::filesystem::path& scratch);

std::vector<PlannedFile> python_bytecode(const BundlePlan& plan, const std::string& runtime,
                                         const std::filesystem::path& cache_dir,
                                         std::vector<std::string>& notes);

}  // namespace fx::bundle
