#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/actions/deploy.h"
#include "core/bundle/bundle.h"

namespace fx::cli {

using json = nlohmann::json;

namespace {

int explain(const GlobalOptions& g, const manifest::Service& service, const std::string& fn) {
  auto fns = actions::select_functions(service, {fn});
  auto plan = bundle::plan_bundle(service, *fns[0]);
  auto s = style_for(g, 1);
  for (const auto& w : plan.warnings) warn(g, w);  // links skipped, and why
  if (g.json) {
    json files = json::array();
    for (auto& f : plan.files)
      files.push_back({{"path", f.archive_path}, {"bytes", f.size}, {"reason", f.reason}});
    fmt::print("{}\n", json{{"function", fns[0]->key},
                            {"minimized", plan.minimized},
                            {"files", files},
                            {"notes", plan.notes}}
                           .dump());
    return 0;
  }
  std::size_t width = 0;
  for (auto& f : plan.files) width = std::max(width, f.archive_path.size());
  for (auto& f : plan.files)
    fmt::print("{:<{}}  {:>9}  {}\n", f.archive_path, width, human_bytes(f.size), s.dim(f.reason));
  for (auto& n : plan.notes) fmt::print("{} {}\n", s.yellow("note:"), n);
  if (!plan.minimized)
    fmt::print("{}\n", s.dim("not minimized: every file the patterns leave is in "
                             "(custom.fx.minify, or a runtime fx does not trace)"));
  return 0;
}

}  // namespace

int run_package(const GlobalOptions& g, const PackageOptions& o) {
  auto service = load_service(g);
  if (!o.explain.empty()) return explain(g, service, o.explain);
  auto selected = actions::select_functions(service, o.functions);
  auto result = bundle::package_functions(service, selected);
  for (const auto& w : result.warnings) warn(g, w);
  auto s = style_for(g, 1);
  json out = json::array();
  for (std::size_t i = 0; i < selected.size(); ++i) {
    const auto* f = selected[i];
    const auto& a = result.artifacts[i];
    if (g.json) {
      out.push_back({{"function", f->key},
                     {"files_in", a.files_in},
                     {"files_out", a.files_out},
                     {"bytes_in", a.bytes_in},
                     {"bytes_out", a.bytes_out},
                     {"zip_bytes", a.zip_bytes},
                     {"sha256", a.sha256_hex},
                     {"cached", a.cached},
                     {"notes", a.notes}});
      continue;
    }
    if (g.quiet) continue;
    double reduction =
        a.bytes_in ? 100.0 * (1.0 - static_cast<double>(a.bytes_out) / a.bytes_in) : 0.0;
    fmt::print("{:<16} {:>5} → {:<5} files  {:>9} → {:<9}  zip {:>9}  {}{}\n", f->key, a.files_in,
               a.files_out, human_bytes(a.bytes_in), human_bytes(a.bytes_out),
               human_bytes(a.zip_bytes), s.green(fmt::format("-{:.0f}%", reduction)),
               a.cached ? s.dim("  (unchanged)") : "");
    for (const auto& n : a.notes) fmt::print("  {} {}\n", s.yellow("note:"), n);
  }
  if (g.json) fmt::print("{}\n", out.dump());
  return 0;
}

}  // namespace fx::cli
