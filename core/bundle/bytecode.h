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
std::vector<PlannedFile> python_bytecode(const BundlePlan& plan, const std::string& runtime,
                                         const std::filesystem::path& cache_dir,
                                         std::vector<std::string>& notes);

}  // namespace fx::bundle
