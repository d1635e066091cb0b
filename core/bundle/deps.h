// Third-party dependencies a bundle draws from: Python's requirements.txt installed with pip
// into .fx/deps (when pip can reach an index), and checks that name the install step to run
// when an import of a declared dependency finds nothing.
#pragma once

#include <string>
#include <vector>

#include "core/manifest/service.h"

namespace fx::bundle {

// Installs requirements.txt into SERVICE/.fx/deps when it changed since the last install,
// with the pip of the interpreter that runs `runtime` (the registry's discovery: python3.11's
// own pip builds wheels for 3.11). Returns warnings (pip could not run or reach an index);
// never throws for that, since the user may have vendored the packages instead.
std::vector<std::string> install_python_requirements(const manifest::Service& service,
                                                     const std::string& runtime);

// Requirement names from requirements.txt, normalized as import names ("PyYAML" → "pyyaml").
std::vector<std::string> python_requirement_names(const manifest::Service& service);

// Dependency names from package.json's "dependencies".
std::vector<std::string> node_dependency_names(const manifest::Service& service);

}  // namespace fx::bundle
