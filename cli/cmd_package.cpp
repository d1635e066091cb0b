#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/actions/deploy.h"
#include "core/bundle/bundle.h"

namespace fx::cli {

int run_package(const GlobalOptions& g, const PackageOptions& o) {
  auto service = load_service(g);
  auto s = style_for(g, 1);
  if (!o.explain.empty()) {
    auto fns = actions::select_functions(service, {o.explain});
    auto plan = bundle::plan_bundle(service, *fns[0]);
    if (g.json) {
      nlohmann::json files = nlohmann::json::array();
      for (auto& f : plan.files) files.push_back({{"path", f.archive_path}, {"bytes", f.size}, {"reason", f.reason}});
      fmt::print("{}\n", nlohmann::json{{"function", fns[0]->key}, {"files", files}}.dump());
    } else {
      for (auto& f : plan.files)
        fmt::print("{:<50} {:>10}  {}\n", f.archive_path, human_bytes(f.size), s.dim(f.reason));
    }
    return 0;
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto* f : actions::select_functions(service, o.functions)) {
    auto a = bundle::package_function(service, *f);
    if (g.json) {
      out.push_back({{"function", f->key}, {"files_in", a.files_in}, {"files_out", a.files_out},
                     {"bytes_in", a.bytes_in}, {"bytes_out", a.bytes_out}, {"zip_bytes", a.zip_bytes},
                     {"sha256", a.sha256_hex}});
    } else if (!g.quiet) {
      fmt::print("{:<20} {} files, {} → zip {}  {}\n", s.bold(f->key), a.files_out,
                 human_bytes(a.bytes_out), human_bytes(a.zip_bytes),
                 s.dim(std::filesystem::relative(a.zip_path).string()));
    }
  }
  if (g.json) fmt::print("{}\n", out.dump());
  return 0;
}

}  // namespace fx::cli
