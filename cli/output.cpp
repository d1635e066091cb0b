#include "cli/output.h"
#include "cli/secrets_reads.h"

#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/actions/aws_variables.h"
#include "core/gateway/alb.h"
#include "core/gateway/routes.h"
#include "core/manifest/authorizers.h"
#include "core/manifest/manifest.h"

namespace fx::cli {

namespace {
std::string wrap(bool on, std::string_view code, std::string_view s) {
  return on ? fmt::format("\033[{}m{}\033[0m", code, s) : std::string(s);
}
}  // namespace

std::string Style::bold(std::string_view s) const {
  return wrap(color, "1", s);
}
std::string Style::dim(std::string_view s) const {
  return wrap(color, "2", s);
}
std::string Style::green(std::string_view s) const {
  return wrap(color, "32", s);
}
std::string Style::yellow(std::string_view s) const {
  return wrap(color, "33", s);
}
std::string Style::red(std::string_view s) const {
  return wrap(color, "31", s);
}
std::string Style::cyan(std::string_view s) const {
  return wrap(color, "36", s);
}

Style style_for(const GlobalOptions& g, int fd) {
  const char* no_color = std::getenv("NO_COLOR");
  return Style{!g.no_color && !(no_color && *no_color) && ::isatty(fd)};
}

void warn(const GlobalOptions& g, std::string_view message) {
  if (g.quiet) return;
  auto s = style_for(g, 2);
  fmt::print(stderr, "{} {}\n", s.yellow("fx: warning:"), message);
}

manifest::Service load_service(const GlobalOptions& g) {
  manifest::LoadOptions opts;
  opts.dir = ".";
  if (!g.config.empty()) opts.config = g.config;
  if (!g.stage.empty()) opts.opts["stage"] = g.stage;
  if (!g.region.empty()) opts.opts["region"] = g.region;
  opts.target = g.target;
  opts.aws = actions::aws_variable_reads(g.profile, g.region);
  add_local_parameter_reads(opts.aws);
  auto service = manifest::load_service(opts);
  // Malformed routes, and two functions claiming one, are errors of the manifest itself.
  gateway::validate_routes(gateway::routes_from_service(service));
  gateway::alb_rules_from_service(service);  // malformed alb events, or a priority taken twice
  manifest::validate_authorizers(service);   // an authorizer naming what the service lacks
  for (const auto& w : service.warnings) warn(g, w);
  return service;
}

std::optional<manifest::Service> load_service_if_present(const GlobalOptions& g) {
  bool has_manifest = !g.config.empty() || std::filesystem::exists("serverless.yaml") ||
                      std::filesystem::exists("serverless.yml");
  if (!has_manifest) return std::nullopt;
  return load_service(g);
}

FunctionRef resolve_function(const GlobalOptions& g, const std::string& fn) {
  auto service = load_service_if_present(g);
  return resolve_function(fn, service ? &*service : nullptr);
}

FunctionRef resolve_function(const std::string& fn, const manifest::Service* service) {
  FunctionRef ref{fn, ""};
  if (!service) return ref;
  if (const auto* f = service->find_function(fn)) ref.name = f->name;
  for (const auto& f : service->functions) ref.known += (ref.known.empty() ? "" : ", ") + f.key;
  return ref;
}

std::string shown_secret(const GlobalOptions& g, const std::string& secret) {
  if (g.show_secrets || secret.size() <= 8) return secret;
  return secret.substr(0, 4) + "...";
}

void print_api_keys(const GlobalOptions& g, const Style& s,
                    const std::vector<manifest::ApiKey>& keys) {
  if (keys.empty()) return;
  fmt::print("api keys{}\n", g.show_secrets ? "" : s.dim("  (--show-secrets prints them whole)"));
  for (const auto& k : keys)
    fmt::print("  {}: {}{}{}\n", k.name, s.bold(shown_secret(g, k.value)),
               k.usage_plan.empty() ? "" : s.dim("  plan " + k.usage_plan),
               k.enabled ? "" : s.yellow("  disabled"));
}

nlohmann::json api_keys_json(const GlobalOptions& g, const std::vector<manifest::ApiKey>& keys) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& k : keys)
    out.push_back(
        {{"name", k.name},
         {"value", shown_secret(g, k.value)},
         {"enabled", k.enabled},
         {"usage_plan", k.usage_plan.empty() ? nlohmann::json() : nlohmann::json(k.usage_plan)}});
  return out;
}

std::string human_bytes(std::uint64_t bytes) {
  if (bytes < 1000) return fmt::format("{} B", bytes);
  if (bytes < 1000 * 1000) return fmt::format("{:.1f} kB", bytes / 1000.0);
  return fmt::format("{:.1f} MB", bytes / 1e6);
}

}  // namespace fx::cli
