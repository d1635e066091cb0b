// The Lambda control-plane calls beyond a function's own code and configuration: the event
// source mapping API's writes, GetAccountSettings, ListFunctions' pages, and the layer lists.
//
// A mapping the API creates is kept as a one-mapping service document named
// sources::kApiMappingService + UUID in the state store, applied to the same queue and stream
// pollers a deploy's sqs and stream events use: it survives a restart as a service does, and
// goes with its function. A mapping a deploy made belongs to its serverless.yaml: the API
// reads it but does not change or delete it (the next deploy would undo that silently).
#include "core/dynamodb/table_store.h"
#include "core/emulator/control_requests.h"
#include "core/emulator/emulator_front.h"
#include "core/queues/queue_store.h"

namespace fx::emulator::front {

namespace {

// Lambda's answer to a mapping UUID it does not have.
lambda::ApiError no_such_mapping() {
  return lambda::ApiError(404, "ResourceNotFoundException",
                          "The resource you requested does not exist.");
}

// The mapping's single event in its one-mapping document.
manifest::Event& event_of(manifest::ServiceEvents& doc) {
  if (doc.functions.size() != 1 || doc.functions.front().events.size() != 1)
    throw Error("an event source mapping's stored document has not exactly one event");
  return doc.functions.front().events.front();
}

// Lambda's default batch sizes: 10 messages of a queue, 100 records of a stream.
constexpr int kSqsDefaultBatch = 10;
constexpr int kStreamDefaultBatch = 100;

void set_fields(manifest::SqsEvent& e, const MappingFields& f) {
  if (f.enabled) e.enabled = *f.enabled;
  if (f.batch_size) e.batch_size = *f.batch_size;
  if (f.batching_window_s) e.batching_window_s = *f.batching_window_s;
  if (f.filter_patterns) e.filter_patterns = *f.filter_patterns;
  if (f.report_batch_item_failures) e.report_batch_item_failures = *f.report_batch_item_failures;
  if (f.max_concurrency) e.max_concurrency = *f.max_concurrency;
  if (e.batch_size > 10 && e.batching_window_s == 0)
    throw lambda::ApiError(400, "InvalidParameterValueException",
                           "Maximum batch window in seconds must be greater than 0 if maximum "
                           "batch size is greater than 10");
}

void set_fields(manifest::StreamEvent& e, const MappingFields& f) {
  if (f.enabled) e.enabled = *f.enabled;
  if (f.batch_size) e.batch_size = *f.batch_size;
  if (f.batching_window_s) e.batching_window_s = *f.batching_window_s;
  if (f.filter_patterns) e.filter_patterns = *f.filter_patterns;
  if (f.report_batch_item_failures) e.report_batch_item_failures = *f.report_batch_item_failures;
  if (f.max_retry_attempts) e.max_retry_attempts = *f.max_retry_attempts;
  if (f.max_record_age_s) e.max_record_age_s = *f.max_record_age_s;
  if (f.bisect_on_function_error) e.bisect_batch_on_function_error = *f.bisect_on_function_error;
  if (f.on_failure) e.on_failure = *f.on_failure;
  if (f.parallelization_factor) e.parallelization_factor = *f.parallelization_factor;
  if (f.tumbling_window_s) e.tumbling_window_s = *f.tumbling_window_s;
}

}  // namespace

void Emulator::apply_api_mapping(const std::string& service, const manifest::ServiceEvents& doc) {
  try {
    queues_.apply(service, doc);
    streams_.apply(service, doc);  // its warnings are the manifest's; the API has none
  } catch (const lambda::ApiError&) {
    throw;
  } catch (const Error& e) {
    // A filter pattern Lambda would refuse, or a stream that went away meanwhile.
    queues_.drop(service);
    streams_.drop(service);
    throw lambda::ApiError(400, "InvalidParameterValueException", e.what());
  }
}

void Emulator::drop_api_mappings(const std::string& function) {
  std::vector<std::string> services;
  for (const auto* m : all_mappings())
    if (m->function == function && m->service.starts_with(sources::kApiMappingService))
      services.push_back(m->service);
  for (const auto& s : services) {
    queues_.drop(s);
    streams_.drop(s);
    sink_.reader().delete_service(s);
  }
}

void Emulator::create_mapping(HttpRequest& req, Responder& r) {
  const MappingFields f = parse_create_mapping(req.body);
  const auto ref = checked_function_ref(*f.function_name);
  existing(ref.name, req);
  const std::string& arn = *f.source_arn;
  const auto kind = mapping_source_kind(arn);
  if (kind == MappingSourceKind::sqs && !queues_.has_queue_arn(arn))
    throw lambda::ApiError(
        400, "InvalidParameterValueException",
        "Error occurred while ReceiveMessage. SQS Error Code: "
        "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does "
        "not exist or you do not have access to it.");
  if (kind == MappingSourceKind::dynamodb_stream && !dynamodb_.store().find_stream(arn))
    throw lambda::ApiError(400, "InvalidParameterValueException",
                           fmt::format("Stream not found: {}", arn.substr(0, 400)));
  for (const auto* m : all_mappings())
    if (m->function == ref.name && m->source_arn == arn)
      throw lambda::ApiError(
          409, "ResourceConflictException",
          fmt::format("An event source mapping with event source (\"{}\") and function (\"{}\") "
                      "already exists. Please update or delete the existing mapping with UUID {}",
                      arn, ref.name, m->uuid));
  manifest::ServiceEvents doc;
  auto& fn = doc.functions.emplace_back();
  fn.name = fn.key = ref.name;
  if (kind == MappingSourceKind::sqs) {
    manifest::SqsEvent e;
    e.queue = arn;
    e.batch_size = kSqsDefaultBatch;
    set_fields(e, f);
    fn.events.emplace_back(std::move(e));
  } else {
    manifest::StreamEvent e;
    e.arn = arn;
    e.batch_size = kStreamDefaultBatch;
    e.starting_position = *f.starting_position;
    set_fields(e, f);
    fn.events.emplace_back(std::move(e));
  }
  const std::string service = std::string(sources::kApiMappingService) + new_request_id();
  apply_api_mapping(service, doc);
  sink_.reader().put_service(service, manifest::to_json(doc));
  const std::string uuid = service.substr(sources::kApiMappingService.size());
  for (const auto* m : all_mappings())
    if (m->uuid == uuid) {
      json out = json::parse(sources::mapping_json(*m, request_region(req, options_.region)));
      out["State"] = "Creating";  // Lambda's answer; a Get right after says Enabled
      return r.send(HttpResponse::json(202, out.dump()));
    }
  throw Error("the new event source mapping is not among the pollers' mappings");
}

void Emulator::change_mapping(HttpRequest& req, Responder& r, const std::string& uuid) {
  const sources::EventSourceMapping* found = nullptr;
  for (const auto* m : all_mappings())
    if (m->uuid == uuid) found = m;
  if (!found) throw no_such_mapping();
  if (!found->service.starts_with(sources::kApiMappingService))
    throw lambda::ApiError(
        409, "ResourceConflictException",
        fmt::format("The event source mapping {} belongs to service {}: fx deploy made it from "
                    "an event of function {} in its serverless.yaml. Change or remove the event "
                    "there and run fx deploy again (a change made here would be undone by the "
                    "next deploy)",
                    uuid, found->service, found->function));
  const std::string service = found->service;
  const std::string region = request_region(req, options_.region);
  if (req.method == "DELETE") {
    json out = json::parse(sources::mapping_json(*found, region));
    out["State"] = "Deleting";
    queues_.drop(service);
    streams_.drop(service);
    sink_.reader().delete_service(service);
    return r.send(HttpResponse::json(202, out.dump()));
  }
  const MappingFields f = parse_update_mapping(req.body, mapping_source_kind(found->source_arn));
  std::string stored;
  for (auto& [name, text] : sink_.reader().services())
    if (name == service) stored = std::move(text);
  if (stored.empty()) throw no_such_mapping();
  auto doc = manifest::parse_service_events(stored);
  auto& event = event_of(doc);
  if (f.function_name) {
    const auto ref = checked_function_ref(*f.function_name);
    existing(ref.name, req);
    doc.functions.front().name = doc.functions.front().key = ref.name;
  }
  if (auto* e = std::get_if<manifest::SqsEvent>(&event)) set_fields(*e, f);
  if (auto* e = std::get_if<manifest::StreamEvent>(&event)) set_fields(*e, f);
  try {
    apply_api_mapping(service, doc);
  } catch (...) {
    // The mapping stays as it was.
    apply_api_mapping(service, manifest::parse_service_events(stored));
    throw;
  }
  sink_.reader().put_service(service, manifest::to_json(doc));
  for (const auto* m : all_mappings())
    if (m->uuid == uuid) {
      json out = json::parse(sources::mapping_json(*m, region));
      out["State"] = "Updating";
      return r.send(HttpResponse::json(202, out.dump()));
    }
  throw no_such_mapping();
}

void Emulator::account_settings(Responder& r) {
  const int account_limit = PoolOptions{}.account_concurrency;
  long long reserved = 0, code_size = 0, functions = 0;
  for (const auto* fn : pool_.functions()) {
    reserved += fn->spec.config.reserved_concurrency.value_or(0);
    code_size += fn->spec.config.code_size;
    ++functions;
  }
  for (const auto& [name, versions] : layers_)
    for (const auto& v : versions) code_size += v.meta.code_size;
  json j = {{"AccountLimit",
             {{"TotalCodeSize", 80530636800LL},  // Lambda's default: 75 GB
              {"CodeSizeUnzipped", kMaxUnzippedCodeBytes},
              {"CodeSizeZipped", kMaxZippedCodeBytes},
              {"ConcurrentExecutions", account_limit},
              {"UnreservedConcurrentExecutions", account_limit - reserved}}},
            {"AccountUsage", {{"TotalCodeSize", code_size}, {"FunctionCount", functions}}}};
  r.send(HttpResponse::json(200, j.dump()));
}

namespace {

std::optional<std::string> first_param(const HttpRequest& req, std::string_view name) {
  auto values = req.query_params(name, true);
  if (values.empty()) return std::nullopt;
  return std::move(values.front());
}

}  // namespace

void Emulator::list_functions(HttpRequest& req, Responder& r) {
  check_function_version(first_param(req, "FunctionVersion"));
  const auto page =
      checked_page_query(first_param(req, "Marker"), first_param(req, "MaxItems"), 10000, 50);
  std::vector<const FunctionState*> all = pool_.functions();
  std::sort(all.begin(), all.end(), [](const FunctionState* a, const FunctionState* b) {
    return a->spec.config.function_name < b->spec.config.function_name;
  });
  json list = json::array();
  std::optional<std::string> next;
  for (const auto* fn : all) {
    const auto& name = fn->spec.config.function_name;
    if (name < page.from_key) continue;  // a marker names where its page starts
    if (static_cast<int>(list.size()) == page.max_items) {
      next = name;
      break;
    }
    list.push_back(json::parse(lambda::to_json(fn->spec.config)));
  }
  json out = {{"Functions", list}};
  if (next) out["NextMarker"] = page_marker(*next);
  r.send(HttpResponse::json(200, out.dump()));
}

void Emulator::list_layer_versions(const std::string& name, HttpRequest& req, Responder& r) {
  const auto runtime = first_param(req, "CompatibleRuntime");
  const auto page =
      checked_page_query(first_param(req, "Marker"), first_param(req, "MaxItems"), 50, 50);
  // Newest first, as Lambda lists them; a marker's key is the version it starts at.
  long from = std::numeric_limits<long>::max();
  if (!page.from_key.empty()) {
    try {
      from = std::stol(page.from_key);
    } catch (const std::exception&) {
      throw lambda::ApiError(400, "InvalidParameterValueException",
                             "Marker is not one this list gave: send the NextMarker of the "
                             "previous page");
    }
  }
  json list = json::array();
  std::optional<long> next;
  if (auto it = layers_.find(name); it != layers_.end())
    for (auto v = it->second.rbegin(); v != it->second.rend(); ++v) {
      if (v->meta.version > from) continue;
      if (runtime &&
          std::find(v->meta.compatible_runtimes.begin(), v->meta.compatible_runtimes.end(),
                    *runtime) == v->meta.compatible_runtimes.end())
        continue;
      if (static_cast<int>(list.size()) == page.max_items) {
        next = v->meta.version;
        break;
      }
      list.push_back(json::parse(lambda::to_json(v->meta)));
    }
  json out = {{"LayerVersions", list}};
  if (next) out["NextMarker"] = page_marker(std::to_string(*next));
  r.send(HttpResponse::json(200, out.dump()));
}

// ListLayers (GET /2018-10-31/layers) and GetLayerVersionByArn (the same path with
// ?find=LayerVersion&Arn=ARN).
void Emulator::list_layers(HttpRequest& req, Responder& r) {
  if (auto find = first_param(req, "find")) {
    if (*find != "LayerVersion")
      throw lambda::ApiError(404, "UnknownOperationException",
                             fmt::format("Unknown operation {} {}?find={}", req.method, req.path,
                                         find->substr(0, 64)));
    const std::string arn = first_param(req, "Arn").value_or("");
    // arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION
    const auto at = arn.find(":layer:");
    const auto colon = at == std::string::npos ? std::string::npos : arn.rfind(':');
    if (!arn.starts_with("arn:aws") || at == std::string::npos || colon <= at + 7 ||
        arn.size() > 140)
      throw lambda::ApiError(
          400, "ValidationException",
          fmt::format("1 validation error detected: Value '{}' at 'arn' failed to satisfy "
                      "constraint: Member must satisfy regular expression pattern: "
                      "(arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{{2}}((-gov)|(-iso([a-z]?)))?-[a-z]+-"
                      "\\d{{1}}:\\d{{12}}:layer:[a-zA-Z0-9-_]+:[0-9]+)",
                      arn.substr(0, 200)));
    for (const auto& [name, versions] : layers_)
      for (const auto& v : versions)
        if (v.meta.version_arn == arn)
          return r.send(HttpResponse::json(200, lambda::to_json(v.meta)));
    throw no_such_mapping();  // the same words for a layer version it does not have
  }
  const auto runtime = first_param(req, "CompatibleRuntime");
  const auto page =
      checked_page_query(first_param(req, "Marker"), first_param(req, "MaxItems"), 50, 50);
  json list = json::array();
  std::optional<std::string> next;
  for (const auto& [name, versions] : layers_) {  // by name
    if (name < page.from_key) continue;
    const LayerEntry* latest = nullptr;
    for (const auto& v : versions)
      if (!runtime ||
          std::find(v.meta.compatible_runtimes.begin(), v.meta.compatible_runtimes.end(),
                    *runtime) != v.meta.compatible_runtimes.end())
        latest = &v;
    if (!latest) continue;
    if (static_cast<int>(list.size()) == page.max_items) {
      next = name;
      break;
    }
    json version = json::parse(lambda::to_json(latest->meta));
    version.erase("Content");  // LatestMatchingVersion has no code
    version.erase("LayerArn");
    list.push_back({{"LayerName", name},
                    {"LayerArn", latest->meta.layer_arn},
                    {"LatestMatchingVersion", version}});
  }
  json out = {{"Layers", list}};
  if (next) out["NextMarker"] = page_marker(*next);
  r.send(HttpResponse::json(200, out.dump()));
}

}  // namespace fx::emulator::front

namespace fx::emulator::front {

namespace {

// PutFunctionEventInvokeConfig's settings of a function are kept under this prefix and the
// function's name, as a one-function service of the asynchronous invoker (so a deploy that
// sets the function's destinations replaces them, as the Serverless Framework's would).
constexpr std::string_view kInvokeConfigService = "lambda-api-invoke/";

json invoke_config_json(const sources::AsyncSettings& s, const std::string& function_arn,
                        double last_modified) {
  json j = {
      {"LastModified", last_modified},
      {"FunctionArn", function_arn + ":$LATEST"},
      {"MaximumRetryAttempts", s.max_retries},
      {"DestinationConfig",
       {{"OnSuccess", s.on_success.empty() ? json::object() : json{{"Destination", s.on_success}}},
        {"OnFailure",
         s.on_failure.empty() ? json::object() : json{{"Destination", s.on_failure}}}}}};
  if (s.max_event_age_s > 0) j["MaximumEventAgeInSeconds"] = s.max_event_age_s;
  return j;
}

sources::AsyncSettings settings_of_stored(const json& j) {
  sources::AsyncSettings s;
  s.max_retries = j.value("MaximumRetryAttempts", 2);
  s.max_event_age_s = j.value("MaximumEventAgeInSeconds", 0);
  const json d = j.value("DestinationConfig", json::object());
  s.on_success = d.value("OnSuccess", json::object()).value("Destination", "");
  s.on_failure = d.value("OnFailure", json::object()).value("Destination", "");
  return s;
}

}  // namespace

void Emulator::restore_invoke_config(const std::string& service, const std::string& text) {
  events_.configure_async(service, service.substr(kInvokeConfigService.size()),
                          settings_of_stored(json::parse(text)));
}

bool Emulator::is_invoke_config(const std::string& service) {
  return service.starts_with(kInvokeConfigService);
}

void Emulator::drop_invoke_config(const std::string& function) {
  const std::string service = std::string(kInvokeConfigService) + function;
  std::vector<std::string> gone;
  for (auto& [name, text] : sink_.reader().services())
    if (name == service || name.starts_with(service + ":")) gone.push_back(name);
  for (const auto& name : gone) {
    events_.drop(name);
    sink_.reader().delete_service(name);
  }
}

// Put/Get/Update/DeleteFunctionEventInvokeConfig and ListFunctionEventInvokeConfigs on
// /2019-09-25/functions/NAME/event-invoke-config[/list].
void Emulator::event_invoke_config(HttpRequest& req, Responder& r, std::string_view rest) {
  const auto slash = rest.find('/');
  const std::string_view action = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  if (action != "event-invoke-config" && action != "event-invoke-config/list")
    throw lambda::ApiError(404, "UnknownOperationException",
                           fmt::format("Unknown operation {} {}", req.method, req.path));
  const auto ref = checked_function_ref(url_decode(rest.substr(0, slash)));
  const auto& fn = existing(ref.name, req);
  const std::string& arn = fn.spec.config.function_arn;
  const std::string base_service = std::string(kInvokeConfigService) + ref.name;
  if (action == "event-invoke-config/list") {
    if (req.method != "GET")
      throw lambda::ApiError(405, "UnknownOperationException",
                             fmt::format("Unknown operation {} {}", req.method, req.path));
    checked_page_query(first_param(req, "Marker"), first_param(req, "MaxItems"), 50, 50);
    // Every qualifier's configuration, as stored (each with its own FunctionArn).
    json list = json::array();
    for (auto& [name, text] : sink_.reader().services())
      if (name == base_service || name.starts_with(base_service + ":"))
        list.push_back(json::parse(text));
    return r.send(HttpResponse::json(200, json{{"FunctionEventInvokeConfigs", list}}.dump()));
  }
  // A version's or an alias's own configuration (Lambda's 404 for one that does not exist),
  // kept beside $LATEST's. The asynchronous invoker applies it to calls through the qualifier
  // it names: an alias's belongs to the alias, so it follows the alias to whichever version
  // update-alias points it at (lambda_api.cpp submits those calls as NAME:ALIAS).
  std::string qualifier = qualifier_of(ref, req);
  if (qualifier == "$LATEST") qualifier.clear();
  resolve(ref.name, qualifier, req, false);  // 404 for a qualifier that names nothing
  const std::string service = qualifier.empty() ? base_service : base_service + ":" + qualifier;
  const std::string async_key = qualifier.empty() ? ref.name : ref.name + ":" + qualifier;
  const std::string qualified_arn = arn + ":" + (qualifier.empty() ? "$LATEST" : qualifier);
  std::string stored;
  for (auto& [name, text] : sink_.reader().services())
    if (name == service) stored = std::move(text);
  const double stored_at = stored.empty() ? static_cast<double>(util::now_ms()) / 1000.0
                                          : json::parse(stored).value("LastModified", 0.0);
  // $LATEST's may come from a deploy (destinations) too; a qualifier's only from this API.
  const auto current = qualifier.empty() || !stored.empty()
                           ? events_.async_settings(async_key)
                           : std::optional<sources::AsyncSettings>();
  auto none = [&] {
    return lambda::ApiError(
        404, "ResourceNotFoundException",
        fmt::format("The function {} doesn't have an EventInvokeConfig", qualified_arn));
  };
  auto answer = [&](const sources::AsyncSettings& s, double at) {
    json j = invoke_config_json(s, arn, at);
    j["FunctionArn"] = qualified_arn;
    return j;
  };
  if (req.method == "GET") {
    if (!current) throw none();
    return r.send(HttpResponse::json(200, answer(*current, stored_at).dump()));
  }
  if (req.method == "DELETE") {
    if (!current) throw none();
    // The function runs under Lambda's defaults again (until a deploy sets its destinations).
    events_.drop(service);
    sink_.reader().delete_service(service);
    HttpResponse res;
    res.status = 204;
    return r.send(std::move(res));
  }
  if (req.method != "PUT" && req.method != "POST")
    throw lambda::ApiError(405, "UnknownOperationException",
                           fmt::format("Unknown operation {} {}", req.method, req.path));
  const auto fields = parse_invoke_config(req.body);
  sources::AsyncSettings s;
  if (req.method == "POST") {  // Update: onto what is there
    if (!current) throw none();
    s = *current;
  }
  if (fields.max_retries) s.max_retries = *fields.max_retries;
  if (fields.max_event_age_s) s.max_event_age_s = *fields.max_event_age_s;
  if (fields.on_success) s.on_success = *fields.on_success;
  if (fields.on_failure) s.on_failure = *fields.on_failure;
  json out = answer(s, static_cast<double>(util::now_ms()) / 1000.0);
  events_.configure_async(service, async_key, s);
  sink_.reader().put_service(service, out.dump());
  r.send(HttpResponse::json(200, out.dump()));
}

}  // namespace fx::emulator::front

namespace fx::emulator::front {

namespace {

// A function's resource policy is kept under this prefix and its name. The emulator does not
// enforce it (it runs no IAM): it stores and returns it as Lambda renders it.
constexpr std::string_view kPolicyService = "lambda-api-policy/";
constexpr std::size_t kMaxPolicyBytes = 20480;  // Lambda's limit on a function's policy

json principal_of(const std::string& principal) {
  if (principal == "*") return "*";
  if (principal.ends_with(".amazonaws.com") || principal.ends_with(".amazonaws.com.cn"))
    return json{{"Service", principal}};
  if (principal.size() == 12 &&
      std::all_of(principal.begin(), principal.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return json{{"AWS", fmt::format("arn:aws:iam::{}:root", principal)}};
  return json{{"AWS", principal}};
}

}  // namespace

void Emulator::drop_policy(const std::string& function) {
  const std::string service = std::string(kPolicyService) + function;
  std::vector<std::string> gone;
  for (auto& [name, text] : sink_.reader().services())
    if (name == service || name.starts_with(service + ":")) gone.push_back(name);
  for (const auto& name : gone) sink_.reader().delete_service(name);
}

// AddPermission (POST .../policy), GetPolicy (GET .../policy), RemovePermission
// (DELETE .../policy/SID).
void Emulator::function_policy(const FunctionState& fn, const std::string& given_qualifier,
                               std::string_view action, HttpRequest& req, Responder& r) {
  const std::string& name = fn.spec.config.function_name;
  // A version's or an alias's policy is its own, beside the function's (Lambda's 404 for a
  // qualifier that names nothing).
  const std::string qualifier = given_qualifier == "$LATEST" ? "" : given_qualifier;
  resolve(name, qualifier, req, false);
  const std::string service =
      std::string(kPolicyService) + name + (qualifier.empty() ? "" : ":" + qualifier);
  const std::string resource =
      fn.spec.config.function_arn + (qualifier.empty() ? "" : ":" + qualifier);
  json policy;
  for (auto& [stored_name, text] : sink_.reader().services())
    if (stored_name == service) policy = json::parse(text);
  json statements = policy.is_object() ? policy["Statement"] : json::array();
  const std::string revision = policy.is_object() ? policy.value("RevisionId", "") : "";
  auto save_policy = [&](json list) {
    if (list.empty()) return sink_.reader().delete_service(service);
    json doc = {{"Version", "2012-10-17"},
                {"Id", "default"},
                {"Statement", std::move(list)},
                {"RevisionId", new_request_id()}};
    sink_.reader().put_service(service, doc.dump());
  };
  if (action == "policy" && req.method == "GET") {
    if (statements.empty())
      throw lambda::ApiError(404, "ResourceNotFoundException",
                             "The resource you requested does not exist.");
    json doc = {{"Version", "2012-10-17"}, {"Id", "default"}, {"Statement", statements}};
    return r.send(
        HttpResponse::json(200, json{{"Policy", doc.dump()}, {"RevisionId", revision}}.dump()));
  }
  if (action == "policy" && req.method == "POST") {
    const auto a = parse_add_permission(req.body);
    if (a.revision_id && *a.revision_id != revision)
      throw lambda::ApiError(412, "PreconditionFailedException",
                             "The Revision Id provided does not match the latest Revision Id. "
                             "Call the GetPolicy API to retrieve the latest Revision Id");
    for (const auto& s : statements)
      if (s.value("Sid", "") == a.statement_id)
        throw lambda::ApiError(
            409, "ResourceConflictException",
            fmt::format("The statement id ({}) provided already exists. Please provide a new "
                        "statement id, or remove the existing statement.",
                        a.statement_id));
    json statement = {{"Sid", a.statement_id},
                      {"Effect", "Allow"},
                      {"Principal", principal_of(a.principal)},
                      {"Action", a.action},
                      {"Resource", resource}};
    json condition = json::object();
    if (a.source_arn) condition["ArnLike"]["AWS:SourceArn"] = *a.source_arn;
    if (a.source_account) condition["StringEquals"]["AWS:SourceAccount"] = *a.source_account;
    if (a.principal_org_id) condition["StringEquals"]["aws:PrincipalOrgID"] = *a.principal_org_id;
    if (a.event_source_token)
      condition["StringEquals"]["lambda:EventSourceToken"] = *a.event_source_token;
    if (a.function_url_auth_type)
      condition["StringEquals"]["lambda:FunctionUrlAuthType"] = *a.function_url_auth_type;
    if (!condition.empty()) statement["Condition"] = condition;
    statements.push_back(statement);
    const std::size_t size =
        json{{"Version", "2012-10-17"}, {"Id", "default"}, {"Statement", statements}}.dump().size();
    if (size > kMaxPolicyBytes)
      throw lambda::ApiError(
          400, "PolicyLengthExceededException",
          fmt::format("The final policy size ({}) is bigger than the limit ({}).", size,
                      kMaxPolicyBytes));
    save_policy(statements);
    return r.send(HttpResponse::json(201, json{{"Statement", statement.dump()}}.dump()));
  }
  if (action.starts_with("policy/") && req.method == "DELETE") {
    const std::string sid = url_decode(action.substr(7));
    if (auto want = first_param(req, "RevisionId"); want && *want != revision)
      throw lambda::ApiError(412, "PreconditionFailedException",
                             "The Revision Id provided does not match the latest Revision Id. "
                             "Call the GetPolicy API to retrieve the latest Revision Id");
    json kept = json::array();
    for (const auto& s : statements)
      if (s.value("Sid", "") != sid) kept.push_back(s);
    if (kept.size() == statements.size())
      throw lambda::ApiError(
          404, "ResourceNotFoundException",
          fmt::format("Statement {} is not found in resource policy.", sid.substr(0, 200)));
    save_policy(kept);
    HttpResponse res;
    res.status = 204;
    return r.send(std::move(res));
  }
  throw lambda::ApiError(404, "UnknownOperationException",
                         fmt::format("Unknown operation {} {}", req.method, req.path));
}

}  // namespace fx::emulator::front
