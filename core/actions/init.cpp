#include "core/actions/init.h"

#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/util/embedded.h"
#include "core/util/error.h"

namespace fx::actions {

namespace fs = std::filesystem;

std::vector<TemplateInfo> list_templates() {
  std::vector<TemplateInfo> out;
  const auto* index = util::find_embedded("index.json");
  if (!index) return out;
  auto j = nlohmann::json::parse(index->data);
  for (auto& t : j) out.push_back({t.value("name", ""), t.value("description", "")});
  return out;
}

namespace {

// A service name as the manifest requires: a letter, then letters, digits and dashes.
std::string service_name_from(const std::string& folder) {
  std::string out;
  for (char c : folder) {
    if (std::isalnum(static_cast<unsigned char>(c)))
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!out.empty() && out.back() != '-')
      out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.empty() || !std::isalpha(static_cast<unsigned char>(out[0]))) out = "fx-" + out;
  if (out == "fx-") out = "my-service";
  return out;
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

}  // namespace

InitResult init_service(const fs::path& dir, const std::string& template_name, std::string name,
                        bool force) {
  bool known = false;
  std::string names;
  for (const auto& t : list_templates()) {
    known |= t.name == template_name;
    names += (names.empty() ? "" : ", ") + t.name;
  }
  if (!known)
    throw usage_error(fmt::format("unknown template '{}'", template_name),
                      fmt::format("pick one of: {} (fx init --list shows them)", names));
  fs::path target = fs::absolute(dir).lexically_normal();
  if (name.empty()) name = service_name_from(target.filename().string());
  const std::string prefix = template_name + "/";
  struct Planned {
    fs::path path;
    std::string rel, content;
    int mode;
  };
  std::vector<Planned> planned;
  for (const auto& f : util::embedded_templates()) {
    if (!f.path.starts_with(prefix)) continue;
    std::string rel(f.path.substr(prefix.size()));
    // Dotfiles are stored without their dot so that they are not hidden in templates/.
    if (rel == "gitignore") rel = ".gitignore";
    planned.push_back(
        {target / rel, rel, replace_all(std::string(f.data), "{{name}}", name), f.mode});
  }
  if (!force)
    for (const auto& p : planned)
      if (fs::exists(p.path))
        throw Error(fmt::format("{} already exists", p.path.string()),
                    "pick an empty folder, or pass --force to overwrite the template's files");
  InitResult result{target, template_name, {}};
  for (const auto& p : planned) {
    fs::create_directories(p.path.parent_path());
    std::ofstream out(p.path, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot write " + p.path.string(), "check that the folder is writable");
    out << p.content;
    out.close();
    fs::permissions(p.path, static_cast<fs::perms>(p.mode), fs::perm_options::replace);
    result.files.push_back(p.rel);
  }
  std::sort(result.files.begin(), result.files.end());
  return result;
}

}  // namespace fx::actions
