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

}  // namespace fx::manifest
