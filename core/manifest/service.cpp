#include "core/manifest/service.h"

#include <fmt/format.h>

namespace fx::manifest {

std::string SourceMark::str() const {
  return line == 0 ? file : fmt::format("{}:{}:{}", file, line, col);
}

const Function* Service::find_function(std::string_view key_or_name) const {
  for (const auto& fn : functions) {
    if (fn.key == key_or_name) return &fn;
  }
  for (const auto& fn : functions) {
    if (fn.name == key_or_name) return &fn;
  }
  return nullptr;
}

RuntimeFamily runtime_family(std::string_view runtime) {
  if (runtime.starts_with("python")) return RuntimeFamily::python;
  if (runtime.starts_with("nodejs")) return RuntimeFamily::node;
  if (runtime.starts_with("provided")) return RuntimeFamily::provided;
  return RuntimeFamily::unknown;
}

}  // namespace fx::manifest
