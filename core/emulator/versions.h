// Lambda's function versions and aliases as the emulator keeps them, and the request bodies
// of their operations, checked the way Lambda checks them. Touches no state of the emulator
// (the Emulator owns a FunctionVersions per function), so the rules are unit-tested alone.
// Everything here throws lambda::ApiError and nothing else.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fx::emulator {

// What a qualifier names: $LATEST (also for none), a published version number, an alias.
enum class QualifierKind { latest, version, alias };

// A qualifier from a path, an ARN or ?Qualifier=, against Lambda's pattern
// ((|[a-zA-Z0-9$_-]+), 1 to 128 characters): ValidationException otherwise. A text that fits
// the pattern but is neither $LATEST nor a number (say "$LATEST2") is an alias name; whether
// it exists is the caller's question.
QualifierKind checked_qualifier(std::string_view qualifier);

// "12": all digits, as a version number is.
bool is_version_number(std::string_view text);

struct Alias {
  std::string name;
  std::string function_version;  // a version number, or $LATEST
  std::string description;
  std::map<std::string, double> additional_weights;  // RoutingConfig.AdditionalVersionWeights
  std::string revision_id;
};

// Every version and alias of one function.
struct FunctionVersions {
  long last_version = 0;              // numbers are never reused, even after a delete
  std::vector<std::string> versions;  // published and not deleted, in order
  std::string published_from;         // $LATEST's RevisionId when the last one was published
  std::map<std::string, std::string> code_sha_hex;  // by version: its stored code
  std::map<std::string, Alias> aliases;
  std::map<std::string, int> provisioned;  // by qualifier (version or alias): requested count
  std::map<std::string, std::string> provisioned_modified;  // by qualifier: when it was set
};

// The version an invocation of `alias` runs: the additional version with its weight's
// probability, else the primary one. `uniform` is a draw in [0, 1).
std::string choose_version(const Alias& alias, double uniform);

// The aliases that route any traffic to `version` (as primary or additional version).
std::vector<std::string> aliases_using(const FunctionVersions& v, const std::string& version);

struct PublishVersionRequest {
  std::optional<std::string> code_sha256, description, revision_id;
};
PublishVersionRequest parse_publish_version(std::string_view body);

// CreateAlias (`create`: Name and FunctionVersion required) and UpdateAlias.
struct AliasRequest {
  std::optional<std::string> name, function_version, description, revision_id;
  std::optional<std::map<std::string, double>> additional_weights;
};
AliasRequest parse_alias_request(std::string_view body, bool create);

// An alias name against Lambda's pattern (?!^[0-9]+$)([a-zA-Z0-9-_]+), 1 to 128 characters.
void check_alias_name(std::string_view name);

// PutProvisionedConcurrencyConfig: ProvisionedConcurrentExecutions (1 or more).
int parse_put_provisioned(std::string_view body);

// One page of a list whose items are named by `keys` (in order): Marker is the key of the
// page's first item (what the previous page answered as NextMarker), MaxItems its size (1 to
// 10000, default `default_max`). Both as the query had them, nullopt when absent.
struct Page {
  std::size_t begin = 0, end = 0;
  std::optional<std::string> next_marker;
};
Page page_of(const std::vector<std::string>& keys, const std::optional<std::string>& marker,
             const std::optional<std::string>& max_items, int default_max = 50);

// The AliasConfiguration JSON Lambda answers with.
std::string alias_json(const Alias& alias, const std::string& function_arn);

// The persisted form of a function's versions (without their configurations, which are stored
// beside it) and back; from_json throws fx::Error on a document it cannot read.
std::string versions_state_json(const FunctionVersions& v);
FunctionVersions versions_state_from_json(std::string_view text);

}  // namespace fx::emulator
