#include "core/util/embedded.h"

#include <fstream>

#include "core/util/error.h"

namespace fx::util {

const EmbeddedFile* find_embedded(std::string_view path) {
  for (const auto& f : embedded_templates())
    if (f.path == path) return &f;
  return nullptr;
}

std::vector<std::string> extract_embedded(std::string_view prefix,
                                          const std::filesystem::path& dest) {
  namespace fs = std::filesystem;
  std::vector<std::string> written;
  for (const auto& f : embedded_templates()) {
    if (!f.path.starts_with(prefix)) continue;
    std::string rel(f.path.substr(prefix.size()));
    fs::path out = dest / rel;
    fs::create_directories(out.parent_path());
    std::ofstream os(out, std::ios::binary | std::ios::trunc);
    if (!os) throw Error("cannot write " + out.string(), "check that the folder is writable");
    os.write(f.data.data(), static_cast<std::streamsize>(f.data.size()));
    os.close();
    fs::permissions(out, static_cast<fs::perms>(f.mode), fs::perm_options::replace);
    written.push_back(rel);
  }
  return written;
}

}  // namespace fx::util
