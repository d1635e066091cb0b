#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/actions/init.h"

namespace fx::cli {

int run_init(const GlobalOptions& g, const InitOptions& o) {
  if (o.list) {
    auto templates = actions::list_templates();
    if (g.json) {
      nlohmann::json j = nlohmann::json::array();
      for (auto& t : templates) j.push_back({{"name", t.name}, {"description", t.description}});
      fmt::print("{}\n", j.dump());
    } else {
      for (auto& t : templates) fmt::print("{:<10} {}\n", t.name, t.description);
    }
    return 0;
  }
  auto result = actions::init_service(o.dir, o.template_name, o.name, o.force);
  if (g.json) {
    fmt::print("{}\n", nlohmann::json{{"dir", result.dir.string()},
                                      {"template", result.template_name},
                                      {"files", result.files}}
                           .dump());
    return 0;
  }
  auto s = style_for(g, 1);
  if (!g.quiet) {
    fmt::print("Created a {} service in {}\n", s.bold(result.template_name), result.dir.string());
    for (auto& f : result.files) fmt::print("  {}\n", f);
    fmt::print("\nNext:\n");
    if (o.dir != ".") fmt::print("  cd {}\n", o.dir);
    fmt::print("  fx deploy\n  fx invoke hello --data '{{\"name\": \"you\"}}'\n  fx logs hello\n");
  }
  return 0;
}

}  // namespace fx::cli
