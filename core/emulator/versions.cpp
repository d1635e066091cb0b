#include "core/emulator/versions.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/emulator/request_fields.h"
#include "core/lambda/api_error.h"
#include "core/util/error.h"

namespace fx::emulator {

using json = nlohmann::json;
using lambda::ApiError;

namespace {

using request_fields::invalid_content;
using request_fields::opt_string;
using request_fields::shown;

// Lambda's reader takes an empty body (the AWS CLI sends none for some calls) as {}.
json parse_object(std::string_view body) {
  return request_fields::parse_object(body, true);
}

ApiError validation(std::string_view what) {
  return ApiError(400, "ValidationException", fmt::format("1 validation error detected: {}", what));
}

bool valid_word(std::string_view text, std::string_view extra) {
  for (char c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' &&
        extra.find(c) == std::string_view::npos)
      return false;
  return true;
}

std::map<std::string, double> read_weights(const json& routing) {
  if (!routing.is_object())
    throw invalid_content(fmt::format(
        "Cannot deserialize value of type AliasRoutingConfiguration from {} at 'RoutingConfig'",
        routing.type_name()));
  std::map<std::string, double> out;
  auto it = routing.find("AdditionalVersionWeights");
  if (it == routing.end() || it->is_null()) return out;
  if (!it->is_object())
    throw invalid_content(
        fmt::format("Cannot deserialize value of type Map from {} at "
                    "'RoutingConfig.AdditionalVersionWeights'",
                    it->type_name()));
  for (const auto& [version, weight] : it->items()) {
    if (!weight.is_number())
      throw invalid_content(
          fmt::format("Cannot deserialize value of type Double from {} at "
                      "'RoutingConfig.AdditionalVersionWeights.{}'",
                      weight.type_name(), shown(version)));
    const double w = weight.get<double>();
    if (!(w >= 0.0 && w <= 1.0))
      throw validation(fmt::format(
          "Value '{{{}={}}}' at 'routingConfig.additionalVersionWeights' failed to satisfy "
          "constraint: Map value must satisfy constraint: [Member must have value less than or "
          "equal to 1.0, Member must have value greater than or equal to 0.0]",
          shown(version), w));
    if (version.empty() || version.size() > 1024 || !is_version_number(version))
      throw validation(
          fmt::format("Value '{{{}={}}}' at 'routingConfig.additionalVersionWeights' failed to "
                      "satisfy constraint: Map keys must satisfy constraint: [Member must "
                      "satisfy regular expression pattern: [0-9]+]",
                      shown(version), w));
    out[version] = w;
  }
  if (out.size() > 1)
    throw ApiError(400, "InvalidParameterValueException",
                   fmt::format("An alias routes to at most one additional version; "
                               "RoutingConfig.AdditionalVersionWeights has {}",
                               out.size()));
  return out;
}

// "$LATEST" or digits, as Lambda's FunctionVersion pattern (\$LATEST|[0-9]+) allows.
void check_function_version(std::string_view version) {
  if (version.empty() || version.size() > 1024 ||
      (version != "$LATEST" && !is_version_number(version)))
    throw validation(fmt::format(
        "Value '{}' at 'functionVersion' failed to satisfy constraint: Member must satisfy "
        "regular expression pattern: (\\$LATEST|[0-9]+)",
        shown(version)));
}

}  // namespace

bool is_version_number(std::string_view text) {
  if (text.empty() || text.size() > 18) return false;
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

QualifierKind checked_qualifier(std::string_view q) {
  if (q.empty() || q == "$LATEST") return QualifierKind::latest;
  if (q.size() > 128 || !valid_word(q, "$"))
    throw validation(fmt::format(
        "Value '{}' at 'qualifier' failed to satisfy constraint: Member must satisfy regular "
        "expression pattern: (|[a-zA-Z0-9$_-]+)",
        shown(q)));
  return is_version_number(q) ? QualifierKind::version : QualifierKind::alias;
}

void check_alias_name(std::string_view name) {
  if (name.empty() || name.size() > 128 || !valid_word(name, "") || is_version_number(name))
    throw validation(fmt::format(
        "Value '{}' at 'name' failed to satisfy constraint: Member must satisfy regular "
        "expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)",
        shown(name)));
}

std::string choose_version(const Alias& alias, double uniform) {
  for (const auto& [version, weight] : alias.additional_weights)
    if (uniform < weight) return version;
  return alias.function_version;
}

std::vector<std::string> aliases_using(const FunctionVersions& v, const std::string& version) {
  std::vector<std::string> out;
  for (const auto& [name, alias] : v.aliases)
    if (alias.function_version == version || alias.additional_weights.contains(version))
      out.push_back(name);
  return out;
}

PublishVersionRequest parse_publish_version(std::string_view body) {
  json doc = parse_object(body);
  PublishVersionRequest r;
  r.code_sha256 = opt_string(doc, "CodeSha256");
  r.description = opt_string(doc, "Description");
  r.revision_id = opt_string(doc, "RevisionId");
  if (r.description && r.description->size() > 256)
    throw validation(fmt::format(
        "Value '{}' at 'description' failed to satisfy constraint: Member must have length less "
        "than or equal to 256",
        shown(*r.description)));
  return r;
}

AliasRequest parse_alias_request(std::string_view body, bool create) {
  json doc = parse_object(body);
  AliasRequest r;
  r.name = opt_string(doc, "Name");
  r.function_version = opt_string(doc, "FunctionVersion");
  r.description = opt_string(doc, "Description");
  r.revision_id = opt_string(doc, "RevisionId");
  if (auto it = doc.find("RoutingConfig"); it != doc.end() && !it->is_null())
    r.additional_weights = read_weights(*it);
  if (create && !r.name)
    throw validation("Value null at 'name' failed to satisfy constraint: Member must not be null");
  if (create && !r.function_version)
    throw validation(
        "Value null at 'functionVersion' failed to satisfy constraint: Member must not be null");
  if (r.name) check_alias_name(*r.name);
  if (r.function_version) check_function_version(*r.function_version);
  if (r.description && r.description->size() > 256)
    throw validation(fmt::format(
        "Value '{}' at 'description' failed to satisfy constraint: Member must have length less "
        "than or equal to 256",
        shown(*r.description)));
  return r;
}

int parse_put_provisioned(std::string_view body) {
  json doc = parse_object(body);
  auto it = doc.find("ProvisionedConcurrentExecutions");
  if (it == doc.end() || it->is_null())
    throw validation(
        "Value null at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member "
        "must not be null");
  if (!it->is_number_integer() && !it->is_number_unsigned())
    throw invalid_content(fmt::format(
        "Cannot deserialize value of type Integer from {} at 'ProvisionedConcurrentExecutions'",
        it->type_name()));
  // Far past any account's concurrency: refused below as Lambda refuses it, not overflowed.
  const long long n = it->is_number_unsigned() && it->get<std::uint64_t>() > 1'000'000'000ULL
                          ? 1'000'000'001LL
                          : it->get<long long>();
  if (n < 1)
    throw validation(fmt::format(
        "Value '{}' at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member "
        "must have value greater than or equal to 1",
        n));
  if (n > 1000)
    throw ApiError(400, "InvalidParameterValueException",
                   fmt::format("ProvisionedConcurrentExecutions {} is more than the account's "
                               "concurrency limit (1000) allows",
                               n));
  return static_cast<int>(n);
}

Page page_of(const std::vector<std::string>& keys, const std::optional<std::string>& marker,
             const std::optional<std::string>& max_items, int default_max) {
  long long max = default_max;
  if (max_items) {
    const std::string& t = *max_items;
    std::string_view digits = t.starts_with('-') ? std::string_view(t).substr(1) : t;
    if (!is_version_number(digits))
      throw validation(fmt::format(
          "Value '{}' at 'maxItems' failed to satisfy constraint: Member must be a whole number",
          shown(t)));
    max = std::stoll(t);
    if (max < 1 || max > 10000)
      throw validation(fmt::format(
          "Value '{}' at 'maxItems' failed to satisfy constraint: Member must have value {} {}",
          max, max < 1 ? "greater than or equal to" : "less than or equal to",
          max < 1 ? 1 : 10000));
  }
  Page p;
  if (marker) {
    auto it = std::find(keys.begin(), keys.end(), *marker);
    if (it == keys.end())
      throw ApiError(400, "InvalidParameterValueException",
                     fmt::format("Marker '{}' names no item of this list: send the NextMarker "
                                 "of the previous page",
                                 shown(*marker)));
    p.begin = static_cast<std::size_t>(it - keys.begin());
  }
  p.end = std::min(keys.size(), p.begin + static_cast<std::size_t>(max));
  if (p.end < keys.size()) p.next_marker = keys[p.end];
  return p;
}

std::string alias_json(const Alias& a, const std::string& function_arn) {
  json j = {{"AliasArn", function_arn + ":" + a.name},
            {"Name", a.name},
            {"FunctionVersion", a.function_version},
            {"Description", a.description},
            {"RevisionId", a.revision_id}};
  if (!a.additional_weights.empty())
    j["RoutingConfig"] = {{"AdditionalVersionWeights", a.additional_weights}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string versions_state_json(const FunctionVersions& v) {
  json aliases = json::array();
  for (const auto& [name, a] : v.aliases)
    aliases.push_back({{"name", a.name},
                       {"version", a.function_version},
                       {"description", a.description},
                       {"weights", a.additional_weights},
                       {"revision", a.revision_id}});
  return json{{"last_version", v.last_version},
              {"versions", v.versions},
              {"published_from", v.published_from},
              {"code", v.code_sha_hex},
              {"aliases", aliases},
              {"provisioned", v.provisioned},
              {"provisioned_modified", v.provisioned_modified}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

FunctionVersions versions_state_from_json(std::string_view text) {
  try {
    json j = json::parse(text);
    FunctionVersions v;
    v.last_version = j.at("last_version").get<long>();
    v.versions = j.at("versions").get<std::vector<std::string>>();
    v.published_from = j.value("published_from", "");
    v.code_sha_hex = j.at("code").get<std::map<std::string, std::string>>();
    for (const auto& a : j.at("aliases")) {
      Alias alias{a.at("name").get<std::string>(), a.at("version").get<std::string>(),
                  a.value("description", ""), a.at("weights").get<std::map<std::string, double>>(),
                  a.value("revision", "")};
      v.aliases[alias.name] = std::move(alias);
    }
    v.provisioned = j.value("provisioned", std::map<std::string, int>{});
    v.provisioned_modified = j.value("provisioned_modified", std::map<std::string, std::string>{});
    return v;
  } catch (const json::exception& e) {
    throw Error(fmt::format("unreadable versions of a function: {}", e.what()));
  }
}

}  // namespace fx::emulator
