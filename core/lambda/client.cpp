#include "core/lambda/client.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "core/aws/service.h"
#include "core/util/hash.h"
#include "core/util/http_client.h"

namespace fx::lambda {

using json = nlohmann::json;

struct LambdaClient::Response {
  util::HttpResult http;
};

LambdaClient::LambdaClient(Endpoint endpoint)
    : endpoint_(std::move(endpoint)), http_(std::make_unique<util::HttpClient>()) {
  if (endpoint_.aws)
    aws_ = std::make_unique<aws::AwsService>(*endpoint_.aws, "lambda", endpoint_.url);
}

LambdaClient::~LambdaClient() = default;

namespace {

// Turns an error response into ApiError with the API's own words.
[[noreturn]] void throw_api_error(const util::HttpResult& r) {
  std::string type = r.header("x-amzn-ErrorType");
  type = type.substr(0, type.find(':'));
  std::string message;
  json body = json::parse(r.body, nullptr, false);
  if (body.is_object()) {
    for (const char* key : {"message", "Message", "errorMessage"})
      if (body.contains(key) && body[key].is_string()) {
        message = body[key].get<std::string>();
        break;
      }
    if (type.empty()) type = body.value("__type", body.value("errorType", ""));
  }
  if (message.empty()) message = r.body.substr(0, 300);
  if (type.empty()) type = fmt::format("HTTP {}", r.status);
  std::string hint;
  // Only fx emulators answer here (AWS errors come through AwsService): a 401 is the token.
  if (r.status == 401)
    hint = "set FX_TOKEN to the token the emulator was started with (fx emulator start --token)";
  else if (r.status == 403)
    hint = "check the token (FX_TOKEN) or the credentials for this target";
  throw ApiError(static_cast<int>(r.status), type, fmt::format("{}: {}", type, message), hint);
}

}  // namespace

LambdaClient::Response LambdaClient::call(std::string_view method, const std::string& path,
                                          std::string_view body,
                                          std::vector<std::pair<std::string, std::string>> headers,
                                          long timeout_ms) {
  if (aws_) {
    if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
    aws::AwsCallOptions options;
    if (timeout_ms > 0) options.timeout_ms = timeout_ms;
    return Response{aws_->request(method, path, std::move(headers), body, options)};
  }
  if (!endpoint_.region.empty()) headers.emplace_back("X-Fx-Region", endpoint_.region);
  if (!endpoint_.token.empty()) headers.emplace_back("Authorization", "Bearer " + endpoint_.token);
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  Response res;
  try {
    res.http = http_->request(method, endpoint_.url + path, headers, body, timeout_ms);
  } catch (const Error& e) {
    throw Error(e.what(),
                "start the emulator with `fx emulator start` (or check --target and that "
                "the endpoint is up)");
  }
  if (res.http.status >= 400) throw_api_error(res.http);
  return res;
}

std::optional<FunctionConfiguration> LambdaClient::get_function(const std::string& name) {
  try {
    auto res = call("GET", "/2015-03-31/functions/" + util::url_encode(name), "");
    json j = json::parse(res.http.body);
    auto config = configuration_from_json(j.at("Configuration").dump());
    if (j.contains("Concurrency") && j["Concurrency"].contains("ReservedConcurrentExecutions"))
      config.reserved_concurrency = j["Concurrency"]["ReservedConcurrentExecutions"].get<int>();
    if (j.contains("Tags") && j["Tags"].is_object())
      for (const auto& [k, v] : j["Tags"].items())
        if (v.is_string()) config.tags[k] = v.get<std::string>();
    return config;
  } catch (const ApiError& e) {
    if (e.status() == 404) return std::nullopt;
    throw;
  }
}

namespace {

json config_body(const FunctionConfiguration& c) {
  json body = {{"FunctionName", c.function_name},
               {"Runtime", c.runtime},
               {"Role", c.role},
               {"Handler", c.handler},
               {"Description", c.description},
               {"Timeout", c.timeout},
               {"MemorySize", c.memory_size},
               {"EphemeralStorage", {{"Size", c.ephemeral_storage_mb}}},
               {"Environment", {{"Variables", c.environment}}},
               {"Architectures", c.architectures},
               {"Layers", c.layers}};
  // Only an fx emulator reads it; AWS's deploys never set it.
  if (!c.interpreter.empty()) body["FxInterpreter"] = c.interpreter;
  return body;
}

}  // namespace

FunctionConfiguration LambdaClient::create_function(const FunctionConfiguration& config,
                                                    std::string_view zip) {
  json body = config_body(config);
  body["Code"] = {{"ZipFile", util::base64_encode(zip)}};
  body["PackageType"] = "Zip";
  if (!config.tags.empty()) body["Tags"] = config.tags;
  auto res = call("POST", "/2015-03-31/functions", body.dump());
  return configuration_from_json(res.http.body);
}

FunctionConfiguration LambdaClient::update_function_code(const std::string& name,
                                                         std::string_view zip) {
  json body = {{"ZipFile", util::base64_encode(zip)}};
  auto res = call("PUT", "/2015-03-31/functions/" + util::url_encode(name) + "/code", body.dump());
  return configuration_from_json(res.http.body);
}

FunctionConfiguration LambdaClient::update_function_configuration(
    const FunctionConfiguration& config) {
  json body = config_body(config);
  body.erase("FunctionName");
  body.erase("Architectures");  // set with the code on AWS, not the configuration
  auto res = call(
      "PUT", "/2015-03-31/functions/" + util::url_encode(config.function_name) + "/configuration",
      body.dump());
  return configuration_from_json(res.http.body);
}

std::vector<FunctionConfiguration> LambdaClient::list_functions() {
  std::vector<FunctionConfiguration> out;
  std::string marker;
  do {
    std::string path = "/2015-03-31/functions/";
    if (!marker.empty()) path += "?Marker=" + util::url_encode(marker);
    auto res = call("GET", path, "");
    json j = json::parse(res.http.body);
    for (auto& f : j.value("Functions", json::array()))
      out.push_back(configuration_from_json(f.dump()));
    marker = j.contains("NextMarker") && j["NextMarker"].is_string()
                 ? j["NextMarker"].get<std::string>()
                 : "";
  } while (!marker.empty());
  return out;
}

void LambdaClient::tag_function(const std::string& function_arn,
                                const std::map<std::string, std::string>& tags) {
  call("POST", "/2017-03-31/tags/" + util::url_encode(function_arn), json{{"Tags", tags}}.dump());
}

void LambdaClient::untag_function(const std::string& function_arn,
                                  const std::vector<std::string>& keys) {
  std::string query;
  for (const auto& k : keys)
    query += (query.empty() ? "?tagKeys=" : "&tagKeys=") + util::url_encode(k);
  call("DELETE", "/2017-03-31/tags/" + util::url_encode(function_arn) + query, "");
}

void LambdaClient::delete_function(const std::string& name) {
  call("DELETE", "/2015-03-31/functions/" + util::url_encode(name), "");
}

void LambdaClient::put_function_concurrency(const std::string& name, int reserved) {
  call("PUT", "/2017-10-31/functions/" + util::url_encode(name) + "/concurrency",
       json{{"ReservedConcurrentExecutions", reserved}}.dump());
}

LayerVersion LambdaClient::publish_layer_version(const std::string& name, std::string_view zip,
                                                 const std::string& description,
                                                 const std::vector<std::string>& runtimes) {
  json body = {{"Content", {{"ZipFile", util::base64_encode(zip)}}}, {"Description", description}};
  if (!runtimes.empty()) body["CompatibleRuntimes"] = runtimes;
  auto res =
      call("POST", "/2018-10-31/layers/" + util::url_encode(name) + "/versions", body.dump());
  return layer_version_from_json(res.http.body);
}

std::optional<LayerVersion> LambdaClient::latest_layer_version(const std::string& name) {
  json list;
  try {
    list = json::parse(
        call("GET", "/2018-10-31/layers/" + util::url_encode(name) + "/versions", "").http.body);
  } catch (const ApiError& e) {
    if (e.status() == 404) return std::nullopt;
    throw;
  }
  long newest = 0;
  for (const auto& v : list.value("LayerVersions", json::array()))
    newest = std::max(newest, v.value("Version", 0L));
  if (newest == 0) return std::nullopt;
  auto res = call(
      "GET", fmt::format("/2018-10-31/layers/{}/versions/{}", util::url_encode(name), newest), "");
  return layer_version_from_json(res.http.body);
}

void LambdaClient::delete_function_concurrency(const std::string& name) {
  call("DELETE", "/2017-10-31/functions/" + util::url_encode(name) + "/concurrency", "");
}

FunctionState LambdaClient::get_function_state(const std::string& name) {
  json j = json::parse(
      call("GET", "/2015-03-31/functions/" + util::url_encode(name) + "/configuration", "")
          .http.body,
      nullptr, false);
  auto str = [&](const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>()
                                                                  : std::string();
  };
  return {str("State"), str("StateReason"), str("LastUpdateStatus"), str("LastUpdateStatusReason")};
}

namespace {

// "?Qualifier=Q" for a version or alias; "" for the function itself.
std::string qualifier_query(const std::string& qualifier) {
  return qualifier.empty() ? "" : "?Qualifier=" + util::url_encode(qualifier);
}

FunctionUrlConfig url_config_from_json(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("FunctionUrl"))
    throw Error(fmt::format("unexpected function URL configuration: {}", body.substr(0, 200)));
  FunctionUrlConfig out;
  out.url = j.value("FunctionUrl", "");
  out.auth_type = j.value("AuthType", "");
  out.invoke_mode = j.value("InvokeMode", "");
  if (j.contains("Cors") && j["Cors"].is_object() && !j["Cors"].empty())
    out.cors_json = j["Cors"].dump();
  return out;
}

}  // namespace

std::optional<FunctionUrlConfig> LambdaClient::get_function_url_config(
    const std::string& name, const std::string& qualifier) {
  try {
    return url_config_from_json(call("GET",
                                     "/2021-10-31/functions/" + util::url_encode(name) + "/url" +
                                         qualifier_query(qualifier),
                                     "")
                                    .http.body);
  } catch (const ApiError& e) {
    if (e.status() == 404) return std::nullopt;
    throw;
  }
}

FunctionUrlConfig LambdaClient::create_function_url_config(const std::string& name,
                                                           const std::string& auth_type) {
  return url_config_from_json(call("POST",
                                   "/2021-10-31/functions/" + util::url_encode(name) + "/url",
                                   json{{"AuthType", auth_type}}.dump())
                                  .http.body);
}

FunctionUrlConfig LambdaClient::update_function_url_config(const std::string& name,
                                                           const std::string& auth_type) {
  return url_config_from_json(call("PUT",
                                   "/2021-10-31/functions/" + util::url_encode(name) + "/url",
                                   json{{"AuthType", auth_type}}.dump())
                                  .http.body);
}

FunctionUrlConfig LambdaClient::put_function_url_config(const std::string& name, bool update,
                                                        const std::string& body_json,
                                                        const std::string& qualifier) {
  return url_config_from_json(
      call(update ? "PUT" : "POST",
           "/2021-10-31/functions/" + util::url_encode(name) + "/url" + qualifier_query(qualifier),
           body_json)
          .http.body);
}

void LambdaClient::delete_function_url_config(const std::string& name,
                                              const std::string& qualifier) {
  try {
    call("DELETE",
         "/2021-10-31/functions/" + util::url_encode(name) + "/url" + qualifier_query(qualifier),
         "");
  } catch (const ApiError& e) {
    if (e.status() != 404) throw;
  }
}

namespace {

std::string event_invoke_config_path(const std::string& name) {
  return "/2019-09-25/functions/" + util::url_encode(name) + "/event-invoke-config";
}

}  // namespace

std::optional<EventInvokeConfig> LambdaClient::get_event_invoke_config(const std::string& name) {
  json j;
  try {
    j = json::parse(call("GET", event_invoke_config_path(name), "").http.body);
  } catch (const ApiError& e) {
    if (e.status() == 404) return std::nullopt;
    throw;
  }
  EventInvokeConfig c;
  if (j.contains("MaximumRetryAttempts") && j["MaximumRetryAttempts"].is_number_integer())
    c.maximum_retry_attempts = j["MaximumRetryAttempts"].get<int>();
  if (j.contains("MaximumEventAgeInSeconds") && j["MaximumEventAgeInSeconds"].is_number_integer())
    c.maximum_event_age_s = j["MaximumEventAgeInSeconds"].get<int>();
  const json destinations = j.value("DestinationConfig", json::object());
  c.on_failure = destinations.value("OnFailure", json::object()).value("Destination", "");
  c.on_success = destinations.value("OnSuccess", json::object()).value("Destination", "");
  return c;
}

void LambdaClient::put_event_invoke_config(const std::string& name, const EventInvokeConfig& c) {
  json body = json::object();
  if (c.maximum_retry_attempts) body["MaximumRetryAttempts"] = *c.maximum_retry_attempts;
  if (c.maximum_event_age_s) body["MaximumEventAgeInSeconds"] = *c.maximum_event_age_s;
  json destinations = json::object();
  if (!c.on_failure.empty()) destinations["OnFailure"] = {{"Destination", c.on_failure}};
  if (!c.on_success.empty()) destinations["OnSuccess"] = {{"Destination", c.on_success}};
  if (!destinations.empty()) body["DestinationConfig"] = destinations;
  call("PUT", event_invoke_config_path(name), body.dump());
}

void LambdaClient::delete_event_invoke_config(const std::string& name) {
  try {
    call("DELETE", event_invoke_config_path(name), "");
  } catch (const ApiError& e) {
    if (e.status() != 404) throw;
  }
}

bool LambdaClient::add_permission(const std::string& name, const Permission& p,
                                  const std::string& qualifier) {
  json body = {{"StatementId", p.statement_id}, {"Action", p.action}, {"Principal", p.principal}};
  if (!p.function_url_auth_type.empty()) body["FunctionUrlAuthType"] = p.function_url_auth_type;
  if (p.invoked_via_function_url) body["InvokedViaFunctionUrl"] = true;
  if (!p.source_arn.empty()) body["SourceArn"] = p.source_arn;
  try {
    call("POST",
         "/2015-03-31/functions/" + util::url_encode(name) + "/policy" + qualifier_query(qualifier),
         body.dump());
    return true;
  } catch (const ApiError& e) {
    if (e.status() == 409) return false;  // ResourceConflictException: the id is taken
    throw;
  }
}

void LambdaClient::remove_permission(const std::string& name, const std::string& statement_id,
                                     const std::string& qualifier) {
  try {
    call("DELETE",
         "/2015-03-31/functions/" + util::url_encode(name) + "/policy/" +
             util::url_encode(statement_id) + qualifier_query(qualifier),
         "");
  } catch (const ApiError& e) {
    if (e.status() != 404) throw;
  }
}

std::vector<PolicyStatement> LambdaClient::get_policy(const std::string& name,
                                                      const std::string& qualifier) {
  json answer;
  try {
    answer = json::parse(call("GET",
                              "/2015-03-31/functions/" + util::url_encode(name) + "/policy" +
                                  qualifier_query(qualifier),
                              "")
                             .http.body,
                         nullptr, false);
  } catch (const ApiError& e) {
    if (e.status() == 404) return {};  // no policy yet (or no function)
    throw;
  }
  // The policy comes as a JSON document inside a string.
  json policy = answer.is_object() && answer.contains("Policy") && answer["Policy"].is_string()
                    ? json::parse(answer["Policy"].get<std::string>(), nullptr, false)
                    : json();
  std::vector<PolicyStatement> out;
  if (!policy.is_object()) return out;
  for (const auto& st : policy.value("Statement", json::array())) {
    if (!st.is_object()) continue;
    PolicyStatement p;
    p.sid = st.value("Sid", "");
    if (st.contains("Principal")) {
      const auto& principal = st["Principal"];
      if (principal.is_string()) {
        p.principal = principal.get<std::string>();
      } else if (principal.is_object()) {
        for (const char* key : {"Service", "AWS"})
          if (principal.contains(key) && principal[key].is_string())
            p.principal = principal[key].get<std::string>();
      }
    }
    if (st.contains("Condition") && st["Condition"].is_object()) {
      const auto& condition = st["Condition"];
      if (condition.contains("ArnLike") && condition["ArnLike"].is_object())
        for (const auto& [key, value] : condition["ArnLike"].items())
          if (value.is_string() && (key == "AWS:SourceArn" || key == "aws:SourceArn"))
            p.source_arn = value.get<std::string>();
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::string event_source_mapping_request(const std::string& function, const EventSourceMapping& m) {
  json body = {{"BatchSize", m.batch_size},
               {"MaximumBatchingWindowInSeconds", m.maximum_batching_window_s},
               {"FunctionResponseTypes", m.function_response_types},
               {"Enabled", m.enabled}};
  json filters = json::array();
  for (const auto& p : m.filter_patterns) filters.push_back({{"Pattern", p}});
  // An update without patterns (or a concurrency cap) sends an empty FilterCriteria (or
  // ScalingConfig): that is how Lambda drops them.
  if (m.maximum_concurrency > 0)
    body["ScalingConfig"] = {{"MaximumConcurrency", m.maximum_concurrency}};
  else if (function.empty())
    body["ScalingConfig"] = json::object();
  if (!filters.empty())
    body["FilterCriteria"] = {{"Filters", filters}};
  else if (function.empty())
    body["FilterCriteria"] = json::object();
  if (m.maximum_retry_attempts) body["MaximumRetryAttempts"] = *m.maximum_retry_attempts;
  if (m.maximum_record_age_s) body["MaximumRecordAgeInSeconds"] = *m.maximum_record_age_s;
  if (m.bisect_batch_on_function_error)
    body["BisectBatchOnFunctionError"] = *m.bisect_batch_on_function_error;
  if (m.parallelization_factor) body["ParallelizationFactor"] = *m.parallelization_factor;
  if (m.tumbling_window_s) body["TumblingWindowInSeconds"] = *m.tumbling_window_s;
  // An empty destination is how an update drops it.
  if (m.on_failure)
    body["DestinationConfig"] = {{"OnFailure", m.on_failure->empty()
                                                   ? json::object()
                                                   : json{{"Destination", *m.on_failure}}}};
  if (!function.empty()) {
    body["FunctionName"] = function;
    body["EventSourceArn"] = m.event_source_arn;
    if (!m.starting_position.empty()) body["StartingPosition"] = m.starting_position;
  }
  return body.dump();
}

namespace {

EventSourceMapping mapping_from_json(const json& j) {
  if (!j.is_object() || !j.contains("UUID"))
    throw Error(fmt::format("unexpected event source mapping: {}", j.dump().substr(0, 200)));
  EventSourceMapping m;
  m.uuid = j.value("UUID", "");
  m.event_source_arn = j.value("EventSourceArn", "");
  m.function_arn = j.value("FunctionArn", "");
  m.batch_size = j.value("BatchSize", 10);
  m.maximum_batching_window_s = j.value("MaximumBatchingWindowInSeconds", 0);
  if (j.contains("FunctionResponseTypes") && j["FunctionResponseTypes"].is_array())
    m.function_response_types = j["FunctionResponseTypes"].get<std::vector<std::string>>();
  if (j.contains("FilterCriteria") && j["FilterCriteria"].is_object())
    for (const auto& f : j["FilterCriteria"].value("Filters", json::array())) {
      if (!f.is_object() || !f.contains("Pattern") || !f["Pattern"].is_string()) continue;
      // Compact, with sorted keys, as fx writes them: the same pattern compares equal.
      const std::string text = f["Pattern"].get<std::string>();
      json pattern = json::parse(text, nullptr, false);
      m.filter_patterns.push_back(pattern.is_discarded() ? text : pattern.dump());
    }
  if (j.contains("ScalingConfig") && j["ScalingConfig"].is_object())
    m.maximum_concurrency = j["ScalingConfig"].value("MaximumConcurrency", 0);
  auto number = [&](const char* key) -> std::optional<int> {
    if (j.contains(key) && j[key].is_number_integer()) return j[key].get<int>();
    return std::nullopt;
  };
  m.starting_position = j.value("StartingPosition", "");
  m.maximum_retry_attempts = number("MaximumRetryAttempts");
  m.maximum_record_age_s = number("MaximumRecordAgeInSeconds");
  if (j.contains("BisectBatchOnFunctionError") && j["BisectBatchOnFunctionError"].is_boolean())
    m.bisect_batch_on_function_error = j["BisectBatchOnFunctionError"].get<bool>();
  m.parallelization_factor = number("ParallelizationFactor");
  m.tumbling_window_s = number("TumblingWindowInSeconds");
  if (j.contains("DestinationConfig") && j["DestinationConfig"].is_object()) {
    const json on_failure = j["DestinationConfig"].value("OnFailure", json::object());
    m.on_failure = on_failure.is_object() ? on_failure.value("Destination", "") : "";
  }
  m.state = j.value("State", "");
  m.enabled = m.state != "Disabled" && m.state != "Disabling";
  return m;
}

}  // namespace

std::vector<EventSourceMapping> LambdaClient::list_event_source_mappings(
    const std::string& function) {
  std::vector<EventSourceMapping> out;
  std::string marker;
  do {
    std::string path =
        "/2015-03-31/event-source-mappings/?FunctionName=" + util::url_encode(function);
    if (!marker.empty()) path += "&Marker=" + util::url_encode(marker);
    json list;
    try {
      list = json::parse(call("GET", path, "").http.body);
    } catch (const ApiError& e) {
      if (e.status() == 404) return out;  // no such function: nothing maps to it
      throw;
    }
    for (const auto& m : list.value("EventSourceMappings", json::array()))
      out.push_back(mapping_from_json(m));
    marker = list.contains("NextMarker") && list["NextMarker"].is_string()
                 ? list["NextMarker"].get<std::string>()
                 : "";
  } while (!marker.empty());
  return out;
}

EventSourceMapping LambdaClient::create_event_source_mapping(const std::string& function,
                                                             const EventSourceMapping& mapping) {
  auto res = call("POST", "/2015-03-31/event-source-mappings/",
                  event_source_mapping_request(function, mapping));
  return mapping_from_json(json::parse(res.http.body, nullptr, false));
}

EventSourceMapping LambdaClient::update_event_source_mapping(const EventSourceMapping& mapping) {
  auto res = call("PUT", "/2015-03-31/event-source-mappings/" + util::url_encode(mapping.uuid),
                  event_source_mapping_request("", mapping));
  return mapping_from_json(json::parse(res.http.body, nullptr, false));
}

void LambdaClient::delete_event_source_mapping(const std::string& uuid) {
  try {
    call("DELETE", "/2015-03-31/event-source-mappings/" + util::url_encode(uuid), "");
  } catch (const ApiError& e) {
    if (e.status() != 404) throw;
  }
}

std::vector<long> LambdaClient::layer_versions(const std::string& name) {
  std::vector<long> out;
  std::string marker;
  do {
    std::string path = "/2018-10-31/layers/" + util::url_encode(name) + "/versions";
    if (!marker.empty()) path += "?Marker=" + util::url_encode(marker);
    json list;
    try {
      list = json::parse(call("GET", path, "").http.body);
    } catch (const ApiError& e) {
      if (e.status() == 404) return out;
      throw;
    }
    for (const auto& v : list.value("LayerVersions", json::array()))
      out.push_back(v.value("Version", 0L));
    marker = list.contains("NextMarker") && list["NextMarker"].is_string()
                 ? list["NextMarker"].get<std::string>()
                 : "";
  } while (!marker.empty());
  std::sort(out.begin(), out.end());
  return out;
}

void LambdaClient::delete_layer_version(const std::string& name, long version) {
  call("DELETE", fmt::format("/2018-10-31/layers/{}/versions/{}", util::url_encode(name), version),
       "");
}

InvokeResult LambdaClient::invoke(const InvokeRequest& request) {
  std::vector<std::pair<std::string, std::string>> headers;
  const char* type = request.type == InvocationType::event     ? "Event"
                     : request.type == InvocationType::dry_run ? "DryRun"
                                                               : "RequestResponse";
  headers.emplace_back("X-Amz-Invocation-Type", type);
  if (request.log_tail && request.type == InvocationType::request_response)
    headers.emplace_back("X-Amz-Log-Type", "Tail");
  if (!request.client_context.empty())
    headers.emplace_back("X-Amz-Client-Context", util::base64_encode(request.client_context));
  auto res =
      call("POST", "/2015-03-31/functions/" + util::url_encode(request.function) + "/invocations",
           request.payload, std::move(headers), request.timeout_ms);
  InvokeResult out;
  out.status = static_cast<int>(res.http.status);
  out.request_id = res.http.header("x-amzn-RequestId");
  out.function_error = res.http.header("X-Amz-Function-Error");
  out.executed_version = res.http.header("X-Amz-Executed-Version");
  out.payload = std::move(res.http.body);
  if (auto tail = res.http.header("X-Amz-Log-Result"); !tail.empty())
    out.log_tail = util::base64_decode(tail);
  return out;
}

// Versions, aliases and provisioned concurrency: what `fx deploy` publishes for versionFunctions
// and provisionedConcurrency, on AWS and on the fx emulator alike.
std::vector<FunctionConfiguration> LambdaClient::list_versions(const std::string& name) {
  std::vector<FunctionConfiguration> out;
  std::string marker;
  do {
    std::string path = "/2015-03-31/functions/" + util::url_encode(name) + "/versions?MaxItems=50";
    if (!marker.empty()) path += "&Marker=" + util::url_encode(marker);
    json j = json::parse(call("GET", path, "").http.body);
    for (const auto& v : j.value("Versions", json::array()))
      if (v.value("Version", "") != "$LATEST") out.push_back(configuration_from_json(v.dump()));
    marker = j.contains("NextMarker") && j["NextMarker"].is_string()
                 ? j["NextMarker"].get<std::string>()
                 : "";
  } while (!marker.empty());
  return out;
}

FunctionConfiguration LambdaClient::publish_version(const std::string& name,
                                                    const std::string& code_sha256) {
  // CodeSha256 makes Lambda refuse to publish code other than what this deploy pushed.
  json body = json::object();
  if (!code_sha256.empty()) body["CodeSha256"] = code_sha256;
  auto res =
      call("POST", "/2015-03-31/functions/" + util::url_encode(name) + "/versions", body.dump());
  return configuration_from_json(res.http.body);
}

namespace {

std::string alias_path(const std::string& name, const std::string& alias) {
  return "/2015-03-31/functions/" + util::url_encode(name) + "/aliases/" + util::url_encode(alias);
}

std::string provisioned_path(const std::string& name, const std::string& qualifier) {
  return "/2019-09-30/functions/" + util::url_encode(name) +
         "/provisioned-concurrency?Qualifier=" + util::url_encode(qualifier);
}

}  // namespace

std::optional<std::string> LambdaClient::get_alias_version(const std::string& name,
                                                           const std::string& alias) {
  try {
    json j = json::parse(call("GET", alias_path(name, alias), "").http.body);
    return j.value("FunctionVersion", "");
  } catch (const ApiError& e) {
    if (e.status() == 404) return std::nullopt;
    throw;
  }
}

void LambdaClient::create_alias(const std::string& name, const std::string& alias,
                                const std::string& version) {
  json body = {{"Name", alias}, {"FunctionVersion", version}};
  call("POST", "/2015-03-31/functions/" + util::url_encode(name) + "/aliases", body.dump());
}

void LambdaClient::update_alias(const std::string& name, const std::string& alias,
                                const std::string& version) {
  call("PUT", alias_path(name, alias), json{{"FunctionVersion", version}}.dump());
}

void LambdaClient::delete_alias(const std::string& name, const std::string& alias) {
  try {
    call("DELETE", alias_path(name, alias), "");
  } catch (const ApiError& e) {
    if (e.status() != 404) throw;
  }
}

std::optional<int> LambdaClient::get_provisioned_concurrency(const std::string& name,
                                                             const std::string& qualifier) {
  try {
    json j = json::parse(call("GET", provisioned_path(name, qualifier), "").http.body);
    return j.value("RequestedProvisionedConcurrentExecutions", 0);
  } catch (const ApiError& e) {
    if (e.status() == 404) return std::nullopt;
    throw;
  }
}

void LambdaClient::put_provisioned_concurrency(const std::string& name,
                                               const std::string& qualifier, int n) {
  call("PUT", provisioned_path(name, qualifier),
       json{{"ProvisionedConcurrentExecutions", n}}.dump());
}

void LambdaClient::delete_provisioned_concurrency(const std::string& name,
                                                  const std::string& qualifier) {
  try {
    call("DELETE", provisioned_path(name, qualifier), "");
  } catch (const ApiError& e) {
    if (e.status() != 404) throw;
  }
}

}  // namespace fx::lambda
