// `fx init`: a new service from one of the templates compiled into fx.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace fx::actions {

struct TemplateInfo {
  std::string name;
  std::string description;
};

std::vector<TemplateInfo> list_templates();

struct InitResult {
  std::filesystem::path dir;
  std::string template_name;
  std::vector<std::string> files;  // relative to dir
};

// Writes the template into dir (created when missing). `name` replaces {{name}} (default:
// the folder's name). Refuses to overwrite existing files unless force.
InitResult init_service(const std::filesystem::path& dir, const std::string& template_name,
                        std::string name, bool force);

}  // namespace fx::actions
