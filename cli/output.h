// Terminal output shared by the commands: colour (only on a terminal, never with NO_COLOR
// or --no-color), warnings, and the service every command loads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cli/commands.h"
#include "core/manifest/service.h"

namespace fx::cli {

struct Style {
  bool color = false;
  std::string bold(std::string_view s) const;
  std::string dim(std::string_view s) const;
  std::string green(std::string_view s) const;
  std::string yellow(std::string_view s) const;
  std::string red(std::string_view s) const;
  std::string cyan(std::string_view s) const;
};

// Colour for stdout (fd 1) or stderr (fd 2).
Style style_for(const GlobalOptions& g, int fd);

void warn(const GlobalOptions& g, std::string_view message);

// Loads the manifest with the global flags (--config, --stage, --region) and prints its
// warnings to stderr.
manifest::Service load_service(const GlobalOptions& g);

// What FN (a manifest key, or a deployed name) means: mapped through the manifest when the
// current folder (or --config) has one, used as the deployed name otherwise.
struct FunctionRef {
  std::string name;   // deployed name
  std::string known;  // the manifest's function keys, for error messages
};
FunctionRef resolve_function(const GlobalOptions& g, const std::string& fn);
// The same with the service already loaded (or none): one load, one set of warnings.
FunctionRef resolve_function(const std::string& fn, const manifest::Service* service);

// The service of the current folder (or --config), when there is one.
std::optional<manifest::Service> load_service_if_present(const GlobalOptions& g);

// "1.2 kB", "3.4 MB"
std::string human_bytes(std::uint64_t bytes);

// A secret as the CLI shows it: whole with --show-secrets, else its first four characters, so
// that a terminal, a CI log or a pasted --json never carries it.
std::string shown_secret(const GlobalOptions& g, const std::string& secret);

// provider.apiGateway.apiKeys as deploy and info show them ("api keys" and one line each:
// name, value as shown_secret shows it, its plan, disabled), and as their --json shows them:
// [{name, value, enabled, usage_plan}].
void print_api_keys(const GlobalOptions& g, const Style& s,
                    const std::vector<manifest::ApiKey>& keys);
nlohmann::json api_keys_json(const GlobalOptions& g, const std::vector<manifest::ApiKey>& keys);

}  // namespace fx::cli
