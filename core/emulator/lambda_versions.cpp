// Lambda's versions, aliases and provisioned concurrency as the emulator serves them: a
// published version is a snapshot of $LATEST's code and configuration deployed to the pool
// under its own key (NAME:N), so it runs instances of its own; an alias names a version (and
// at most one more, by weight); a qualifier resolves to one of them or to Lambda's 404.
#include "core/emulator/emulator_front.h"

#include <algorithm>
#include <random>

namespace fx::emulator::front {

namespace {

lambda::ApiError function_not_found(const std::string& arn) {
  return lambda::ApiError(404, "ResourceNotFoundException", "Function not found: " + arn);
}

lambda::ApiError unknown_operation(const HttpRequest& req) {
  return lambda::ApiError(404, "UnknownOperationException",
                          fmt::format("Unknown operation {} {}", req.method, req.path));
}

HttpResponse no_content() {
  HttpResponse res;
  res.status = 204;
  return res;
}

// The weighted draw of an alias's routing: one generator for the emulator's I/O thread.
double uniform_draw() {
  static std::mt19937_64 gen{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
}

}  // namespace

std::string Emulator::qualifier_of(const lambda::FunctionRef& ref, const HttpRequest& req) const {
  auto values = req.query_params("Qualifier", true);
  checked_qualifier(ref.qualifier);
  if (values.empty()) return ref.qualifier;
  checked_qualifier(values.front());
  if (!ref.qualifier.empty() && ref.qualifier != values.front())
    throw lambda::ApiError(
        400, "InvalidParameterValueException",
        "The derived qualifier from the function name does not match the specified qualifier.");
  return values.front();
}

Emulator::Target Emulator::resolve(const std::string& name, const std::string& qualifier,
                                   const HttpRequest& req, bool weighted) const {
  const auto& latest = existing(name, req);
  Target t;
  const std::string& base_arn = latest.spec.config.function_arn;
  auto kind = checked_qualifier(qualifier);
  if (kind == QualifierKind::latest) {
    t.fn = &latest;
    t.key = name;
    t.version = "$LATEST";
    t.arn = qualifier.empty() ? base_arn : base_arn + ":$LATEST";
    return t;
  }
  auto vit = versions_.find(name);
  t.arn = base_arn + ":" + qualifier;
  if (kind == QualifierKind::version) {
    t.version = qualifier;
  } else {
    const Alias* alias = nullptr;
    if (vit != versions_.end())
      if (auto a = vit->second.aliases.find(qualifier); a != vit->second.aliases.end())
        alias = &a->second;
    if (!alias) throw function_not_found(t.arn);
    t.alias = qualifier;
    t.version = weighted ? choose_version(*alias, uniform_draw()) : alias->function_version;
  }
  t.key = pool_key(name, t.version);
  t.fn = pool_.find(t.key);
  if (!t.fn) throw function_not_found(t.arn);
  return t;
}

std::string Emulator::async_alias_target(const std::string& function) {
  const auto colon = function.find(':');
  if (colon == std::string::npos) return function;
  auto vit = versions_.find(function.substr(0, colon));
  if (vit == versions_.end()) return function;
  auto a = vit->second.aliases.find(function.substr(colon + 1));
  if (a == vit->second.aliases.end()) return function;  // a version's key, or a gone alias
  return pool_key(function.substr(0, colon), choose_version(a->second, uniform_draw()));
}

std::string Emulator::version_config_json(const Target& t) const {
  auto c = t.fn->spec.config;
  // Asked through an alias, Lambda names the alias in FunctionArn and the version in Version.
  if (!t.alias.empty()) c.function_arn = t.arn;
  return lambda::to_json(c);
}

void Emulator::save_versions(const std::string& name) {
  const auto& v = versions_[name];
  json configs = json::object();
  for (const auto& number : v.versions)
    if (const auto* fn = pool_.find(pool_key(name, number))) {
      auto sha = v.code_sha_hex.find(number);
      configs[number] =
          json::parse(stored_json(fn->spec, sha == v.code_sha_hex.end() ? "" : sha->second));
    }
  sink_.reader().put_function_versions(
      name, json{{"state", json::parse(versions_state_json(v))}, {"configs", configs}}.dump());
}

FunctionSpec Emulator::spec_from_stored(const std::string& config_json,
                                        const std::string& sha_hex) {
  json j = json::parse(config_json);
  FunctionSpec spec;
  spec.config = lambda::configuration_from_json(j["config"].dump());
  spec.region = j.value("region", options_.region);
  if (j.contains("reserved")) spec.config.reserved_concurrency = j["reserved"].get<int>();
  if (j.contains("tags")) spec.config.tags = j["tags"].get<std::map<std::string, std::string>>();
  spec.code_dir = code_.get(sha_hex).dir;
  spec.opt_dir = merge_layers(options_.home, layer_codes(spec.config.layers));
  return spec;
}

void Emulator::restore_versions() {
  for (auto& [name, text] : sink_.reader().function_versions()) {
    try {
      if (!pool_.find(name)) continue;  // its function did not come back: nothing to run
      json doc = json::parse(text);
      auto state = versions_state_from_json(doc.at("state").dump());
      for (const auto& number : state.versions) {
        const auto& stored = doc.at("configs").at(number);
        FunctionSpec spec = spec_from_stored(stored.dump(), stored.at("sha256").get<std::string>());
        pool_.deploy(std::move(spec));
      }
      versions_[name] = std::move(state);
      apply_provisioned(name);
    } catch (const std::exception& e) {
      fmt::print(stderr, "fx emulator: cannot restore the versions of {}: {}\n", name, e.what());
    }
  }
}

void Emulator::drop_versions(const std::string& name) {
  auto it = versions_.find(name);
  if (it == versions_.end()) return;
  for (const auto& number : it->second.versions) pool_.remove(pool_key(name, number));
  versions_.erase(it);
}

void Emulator::apply_provisioned(const std::string& name) {
  auto& v = versions_[name];
  std::map<std::string, int> per_version;
  for (const auto& [qualifier, count] : v.provisioned) {
    auto alias = v.aliases.find(qualifier);
    per_version[alias == v.aliases.end() ? qualifier : alias->second.function_version] += count;
  }
  for (const auto& number : v.versions)
    pool_.set_provisioned(pool_key(name, number), per_version[number]);
  aim_events(name);  // every change of an alias passes here
}

void Emulator::aim_events(const std::string& name) {
  std::string key;
  if (events_on_alias_.contains(name))
    if (auto v = versions_.find(name); v != versions_.end())
      if (auto a = v->second.aliases.find("provisioned"); a != v->second.aliases.end())
        key = pool_key(name, a->second.function_version);
  pool_.set_event_target(name, std::move(key));
}

json Emulator::publish_version(const std::string& name, const PublishVersionRequest& request,
                               const std::string& region) {
  const auto* found = pool_.find(name);
  if (!found) throw function_not_found(lambda::function_arn(region, lambda::kLocalAccount, name));
  const auto& latest = *found;
  const auto& lc = latest.spec.config;
  if (request.code_sha256 && *request.code_sha256 != lc.code_sha256)
    throw lambda::ApiError(
        400, "InvalidParameterValueException",
        fmt::format("CodeSHA256 ({}) is different from current CodeSHA256 in $LATEST ({}). Please "
                    "try again with the CodeSHA256 in $LATEST.",
                    request.code_sha256->substr(0, 200), lc.code_sha256));
  if (request.revision_id && *request.revision_id != lc.revision_id)
    throw lambda::ApiError(412, "PreconditionFailedException",
                           "The Revision Id provided does not match the latest Revision Id. Call "
                           "the GetFunction/GetAlias API to retrieve the latest Revision Id");
  auto& v = versions_[name];
  // $LATEST unchanged since the last version was cut from it: Lambda answers that version.
  if (!v.versions.empty() && v.published_from == lc.revision_id)
    if (const auto* fn = pool_.find(pool_key(name, v.versions.back())))
      return json::parse(lambda::to_json(fn->spec.config));
  FunctionSpec spec = latest.spec;
  const std::string number = std::to_string(++v.last_version);
  spec.config.version = number;
  spec.config.function_arn = lc.function_arn + ":" + number;
  spec.config.revision_id = new_request_id();
  spec.config.last_modified = lambda_timestamp();
  if (request.description) spec.config.description = *request.description;
  spec.config.tags.clear();  // tags are the function's, not a version's
  v.versions.push_back(number);
  v.published_from = lc.revision_id;
  v.code_sha_hex[number] = code_sha_hex(latest);
  json out = json::parse(lambda::to_json(spec.config));
  pool_.deploy(std::move(spec));
  save_versions(name);
  return out;
}

void Emulator::route_versions(const std::string& name, std::string_view action, HttpRequest& req,
                              const std::shared_ptr<Responder>& r) {
  const auto& latest = existing(name, req);
  const std::string base_arn = latest.spec.config.function_arn;
  auto param = [&req](std::string_view key) -> std::optional<std::string> {
    auto values = req.query_params(key, true);
    if (values.empty()) return std::nullopt;
    return std::move(values.front());
  };
  if (action == "versions") {
    if (req.method == "POST")
      return r->send(HttpResponse::json(201, publish_version(name, parse_publish_version(req.body),
                                                             request_region(req, options_.region))
                                                 .dump()));
    if (req.method != "GET") throw unknown_operation(req);
    // ListVersionsByFunction: $LATEST first, then the versions in order.
    std::vector<std::string> keys = {"$LATEST"};
    auto vit = versions_.find(name);
    if (vit != versions_.end())
      keys.insert(keys.end(), vit->second.versions.begin(), vit->second.versions.end());
    auto page = page_of(keys, param("Marker"), param("MaxItems"));
    json list = json::array();
    for (std::size_t i = page.begin; i < page.end; ++i)
      if (const auto* fn = pool_.find(pool_key(name, keys[i])))
        list.push_back(json::parse(lambda::to_json(fn->spec.config)));
    json body = {{"Versions", list}};
    if (page.next_marker) body["NextMarker"] = *page.next_marker;
    return r->send(HttpResponse::json(200, body.dump()));
  }
  auto& v = versions_[name];
  // A version (or $LATEST) an alias may route to, or Lambda's 404 naming it.
  auto check_target = [&](const std::string& version) {
    if (version != "$LATEST" &&
        std::find(v.versions.begin(), v.versions.end(), version) == v.versions.end())
      throw function_not_found(base_arn + ":" + version);
  };
  auto check_routing = [&](const Alias& a) {
    check_target(a.function_version);
    for (const auto& [extra, weight] : a.additional_weights) {
      check_target(extra);
      if (a.function_version == "$LATEST")
        throw lambda::ApiError(400, "InvalidParameterValueException",
                               "$LATEST is not supported for an alias pointing to more than 1 "
                               "version");
      if (extra == a.function_version)
        throw lambda::ApiError(
            400, "InvalidParameterValueException",
            fmt::format("Invalid function version {}. Function version {} is already included "
                        "in the primary version of the alias.",
                        extra, extra));
    }
  };
  if (action == "aliases") {
    if (req.method == "POST") {
      auto request = parse_alias_request(req.body, true);
      if (v.aliases.contains(*request.name))
        throw lambda::ApiError(409, "ResourceConflictException",
                               fmt::format("Alias already exists: {}:{}", base_arn, *request.name));
      Alias a{*request.name, *request.function_version, request.description.value_or(""),
              request.additional_weights.value_or(std::map<std::string, double>{}),
              new_request_id()};
      check_routing(a);
      std::string out = alias_json(a, base_arn);
      v.aliases[a.name] = std::move(a);
      save_versions(name);
      return r->send(HttpResponse::json(201, std::move(out)));
    }
    if (req.method != "GET") throw unknown_operation(req);
    // ListAliases, optionally only those whose primary version is FunctionVersion.
    auto only = param("FunctionVersion");
    if (only && only->size() > 1024)
      throw lambda::ApiError(400, "ValidationException",
                             "1 validation error detected: Value at 'functionVersion' failed to "
                             "satisfy constraint: Member must have length less than or equal to "
                             "1024");
    std::vector<std::string> keys;
    for (const auto& [alias_name, a] : v.aliases)
      if (!only || a.function_version == *only) keys.push_back(alias_name);
    auto page = page_of(keys, param("Marker"), param("MaxItems"));
    std::string list;
    for (std::size_t i = page.begin; i < page.end; ++i)
      list += (list.empty() ? "" : ",") + alias_json(v.aliases.at(keys[i]), base_arn);
    std::string body = R"({"Aliases":[)" + list + "]";
    if (page.next_marker) body += R"(,"NextMarker":)" + json(*page.next_marker).dump();
    return r->send(HttpResponse::json(200, body + "}"));
  }
  if (!action.starts_with("aliases/")) throw unknown_operation(req);
  const std::string alias_name = url_decode(action.substr(8));
  check_alias_name(alias_name);
  auto it = v.aliases.find(alias_name);
  if (it == v.aliases.end())
    throw lambda::ApiError(404, "ResourceNotFoundException",
                           fmt::format("Cannot find alias arn: {}:{}", base_arn, alias_name));
  if (req.method == "GET")
    return r->send(HttpResponse::json(200, alias_json(it->second, base_arn)));
  if (req.method == "DELETE") {
    v.aliases.erase(it);
    v.provisioned.erase(alias_name);
    v.provisioned_modified.erase(alias_name);
    apply_provisioned(name);
    save_versions(name);
    return r->send(no_content());
  }
  if (req.method != "PUT") throw unknown_operation(req);
  auto request = parse_alias_request(req.body, false);
  if (request.revision_id && *request.revision_id != it->second.revision_id)
    throw lambda::ApiError(412, "PreconditionFailedException",
                           "The Revision Id provided does not match the latest Revision Id. Call "
                           "the GetFunction/GetAlias API to retrieve the latest Revision Id");
  Alias a = it->second;
  if (request.function_version) a.function_version = *request.function_version;
  if (request.description) a.description = *request.description;
  if (request.additional_weights) a.additional_weights = *request.additional_weights;
  check_routing(a);
  a.revision_id = new_request_id();
  std::string out = alias_json(a, base_arn);
  it->second = std::move(a);
  apply_provisioned(name);  // provisioned instances follow the alias to its new version
  save_versions(name);
  r->send(HttpResponse::json(200, std::move(out)));
}

void Emulator::delete_version(const std::string& name, const std::string& qualifier,
                              const HttpRequest& req, Responder& r) {
  const auto& latest = existing(name, req);
  auto kind = checked_qualifier(qualifier);
  if (kind == QualifierKind::latest)
    throw lambda::ApiError(400, "InvalidParameterValueException",
                           "$LATEST version cannot be deleted without deleting the function.");
  if (kind == QualifierKind::alias)
    throw lambda::ApiError(400, "InvalidParameterValueException",
                           fmt::format("Deletion of aliases is not supported: {} is an alias of "
                                       "{}; call DeleteAlias",
                                       qualifier, name));
  auto& v = versions_[name];
  auto it = std::find(v.versions.begin(), v.versions.end(), qualifier);
  if (it == v.versions.end())
    throw function_not_found(latest.spec.config.function_arn + ":" + qualifier);
  auto users = aliases_using(v, qualifier);
  if (!users.empty())
    throw lambda::ApiError(
        409, "ResourceConflictException",
        fmt::format("Unable to delete version because the following aliases reference it: [{}]",
                    fmt::join(users, ", ")));
  v.versions.erase(it);
  v.code_sha_hex.erase(qualifier);
  v.provisioned.erase(qualifier);
  v.provisioned_modified.erase(qualifier);
  pool_.remove(pool_key(name, qualifier));
  save_versions(name);
  r.send(no_content());
}

// Put/Get/DeleteProvisionedConcurrencyConfig and ListProvisionedConcurrencyConfigs on
// /2019-09-30/functions/NAME/provisioned-concurrency.
void Emulator::provisioned_concurrency(HttpRequest& req, Responder& r, std::string_view rest) {
  constexpr std::string_view kSuffix = "/provisioned-concurrency";
  if (!rest.ends_with(kSuffix) || rest.size() == kSuffix.size()) throw unknown_operation(req);
  auto ref = checked_function_ref(url_decode(rest.substr(0, rest.size() - kSuffix.size())));
  const auto& latest = existing(ref.name, req);
  const std::string& base_arn = latest.spec.config.function_arn;
  auto& v = versions_[ref.name];
  auto config_json = [&](const std::string& qualifier) {
    auto target = resolve(ref.name, qualifier, req, false);
    int requested = v.provisioned.at(qualifier), ready = 0;
    for (const auto& inst : target.fn->instances)
      if (inst->provisioned && inst->state != Instance::State::dead &&
          inst->state != Instance::State::starting)
        ++ready;
    ready = std::min(ready, requested);
    return json{{"FunctionArn", base_arn + ":" + qualifier},
                {"RequestedProvisionedConcurrentExecutions", requested},
                {"AvailableProvisionedConcurrentExecutions", ready},
                {"AllocatedProvisionedConcurrentExecutions", ready},
                {"Status", ready >= requested ? "READY" : "IN_PROGRESS"},
                {"LastModified", v.provisioned_modified[qualifier]}};
  };
  if (req.method == "GET" && !req.query_params("List", true).empty()) {
    std::vector<std::string> keys;
    for (const auto& [qualifier, count] : v.provisioned) keys.push_back(qualifier);
    auto values = [&req](std::string_view key) -> std::optional<std::string> {
      auto all = req.query_params(key, true);
      if (all.empty()) return std::nullopt;
      return std::move(all.front());
    };
    auto page = page_of(keys, values("Marker"), values("MaxItems"));
    json list = json::array();
    for (std::size_t i = page.begin; i < page.end; ++i) {
      json item = config_json(keys[i]);
      list.push_back(std::move(item));
    }
    json body = {{"ProvisionedConcurrencyConfigs", list}};
    if (page.next_marker) body["NextMarker"] = *page.next_marker;
    return r.send(HttpResponse::json(200, body.dump()));
  }
  auto given = req.query_params("Qualifier", true);
  if (given.empty() && ref.qualifier.empty())
    throw lambda::ApiError(400, "ValidationException",
                           "1 validation error detected: Value null at 'qualifier' failed to "
                           "satisfy constraint: Member must not be null");
  const std::string qualifier = qualifier_of(ref, req);
  if (checked_qualifier(qualifier) == QualifierKind::latest)
    throw lambda::ApiError(
        400, "InvalidParameterValueException",
        "Provisioned Concurrency Configs cannot be applied to unpublished function versions.");
  resolve(ref.name, qualifier, req, false);  // Lambda's 404 for a version or alias not there
  if (req.method == "PUT") {
    int requested = parse_put_provisioned(req.body);
    int total = requested;
    for (const auto& [other, count] : v.provisioned)
      if (other != qualifier) total += count;
    if (latest.spec.config.reserved_concurrency && total > *latest.spec.config.reserved_concurrency)
      throw lambda::ApiError(
          400, "InvalidParameterValueException",
          fmt::format("Requested Provisioned Concurrency ({}) should not be greater than the "
                      "reservedConcurrentExecution for function ({})",
                      total, *latest.spec.config.reserved_concurrency));
    v.provisioned[qualifier] = requested;
    v.provisioned_modified[qualifier] = lambda_timestamp();
    apply_provisioned(ref.name);
    save_versions(ref.name);
    return r.send(HttpResponse::json(202, config_json(qualifier).dump()));
  }
  if (!v.provisioned.contains(qualifier))
    throw lambda::ApiError(404, "ProvisionedConcurrencyConfigNotFoundException",
                           "No Provisioned Concurrency Config found for this function");
  if (req.method == "GET") {
    json j = config_json(qualifier);
    j.erase("FunctionArn");  // GetProvisionedConcurrencyConfig's answer has none
    return r.send(HttpResponse::json(200, j.dump()));
  }
  if (req.method != "DELETE") throw unknown_operation(req);
  v.provisioned.erase(qualifier);
  v.provisioned_modified.erase(qualifier);
  apply_provisioned(ref.name);
  save_versions(ref.name);
  r.send(no_content());
}

}  // namespace fx::emulator::front
