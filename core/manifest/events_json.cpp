// Each event type has its list in the document ("routes", "schedules", "sqs", "streams"), each
// entry naming its function: the shape fx wrote before events were typed, kept so that the
// documents earlier versions left in state.db still load.
#include "core/manifest/events_json.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/manifest/authorizers.h"
#include "core/util/error.h"

namespace fx::manifest {
namespace {

using nlohmann::json;

constexpr std::string_view kNotOurs = "the service's events document is not one fx deploy writes: ";

json route_json(const FunctionEvents& f, const HttpEvent& e, const std::string& http_api_payload) {
  json j = {{"function", f.name},
            {"function_key", f.key},
            {"type", event_key(e.api)},
            {"method", e.method},
            {"path", e.path},
            {"cors", e.cors},
            {"private", e.is_private},
            {"payload_version", e.api == HttpApi::rest ? "1.0" : http_api_payload},
            {"file", e.mark.file},
            {"line", e.mark.line},
            {"col", e.mark.col}};
  // The event's settings when they choose the integration (integration: lambda): the
  // emulator builds the event and response from them. Other routes' documents stay as before.
  if (e.api == HttpApi::rest && !e.config_json.empty()) {
    const json config = json::parse(e.config_json, nullptr, false);
    if (config.is_object() && config.contains("integration")) j["config"] = config;
    // A `cors` object (REST API): its settings make the gateway's preflight answer.
    if (config.is_object() && config.contains("cors") && config["cors"].is_object())
      j["cors_config"] = config["cors"];
  }
  if (!e.config_json.empty()) {
    const json config = json::parse(e.config_json, nullptr, false);
    if (config.is_object()) {
      // An httpApi route's `authorizer:` as written, and what the gateway runs of
      // provider.httpApi (JWT checks and CORS: core/gateway/jwt_authorizer.h).
      if (e.api == HttpApi::http && config.contains("authorizer"))
        j["http_authorizer"] = config["authorizer"];
      if (e.api == HttpApi::http && config.contains("fx_http_api"))
        j["http_api"] = config["fx_http_api"];
      // The route's authorizer as fx deploy resolved it (core/manifest/authorizers.h).
      const std::string authorizer_key(kResolvedAuthorizerKey);
      if (config.contains(authorizer_key)) j["authorizer"] = config[authorizer_key];
    }
  }
  return j;
}

json schedule_json(const FunctionEvents& f, const ScheduleEvent& e, int n,
                   const ServiceEvents& doc) {
  const std::string rule = schedule_rule(f.name, e, n);
  json j = {{"function", f.name},
            {"rule", rule},
            {"expression", e.expression},
            {"enabled", e.enabled},
            {"input", e.input_json.empty() ? json() : json::parse(e.input_json)},
            {"input_path", e.input_path},
            {"input_paths_map", e.input_paths_map},
            {"input_template", e.input_template}};
  auto anchor = doc.schedule_anchors.find(schedule_anchor_key(rule, e.expression));
  if (anchor != doc.schedule_anchors.end()) j["anchor_ms"] = anchor->second;
  return j;
}

json sqs_json(const FunctionEvents& f, const SqsEvent& e) {
  json j = {{"function", f.name},
            {"queue", e.queue},
            {"batch_size", e.batch_size},
            {"report_batch_item_failures", e.report_batch_item_failures}};
  if (e.batching_window_s > 0) j["batching_window"] = e.batching_window_s;
  if (!e.enabled) j["enabled"] = false;
  if (e.max_concurrency > 0) j["max_concurrency"] = e.max_concurrency;
  if (!e.filter_patterns.empty()) {
    json patterns = json::array();
    for (const auto& p : e.filter_patterns) patterns.push_back(json::parse(p));
    j["filter_patterns"] = patterns;
  }
  return j;
}

json stream_json(const FunctionEvents& f, const StreamEvent& e) {
  json j = {{"function", f.name},
            {"batch_size", e.batch_size},
            {"starting_position", e.starting_position}};
  if (!e.arn.empty()) j["arn"] = e.arn;
  if (!e.table.empty()) j["table"] = e.table;
  if (e.batching_window_s > 0) j["batching_window"] = e.batching_window_s;
  if (!e.filter_patterns.empty()) {
    json patterns = json::array();
    for (const auto& p : e.filter_patterns) patterns.push_back(json::parse(p));
    j["filter_patterns"] = patterns;
  }
  if (e.max_retry_attempts) j["max_retry_attempts"] = *e.max_retry_attempts;
  if (e.max_record_age_s) j["max_record_age"] = *e.max_record_age_s;
  if (e.bisect_batch_on_function_error) j["bisect_batch_on_function_error"] = true;
  if (e.report_batch_item_failures) j["report_batch_item_failures"] = true;
  if (!e.on_failure.empty()) j["on_failure"] = e.on_failure;
  if (e.parallelization_factor != 1) j["parallelization_factor"] = e.parallelization_factor;
  if (e.tumbling_window_s > 0) j["tumbling_window"] = e.tumbling_window_s;
  if (!e.enabled) j["enabled"] = false;
  return j;
}

// The function an entry names, added (after those of the "functions" list) when the
// document does not list it.
FunctionEvents& function_of(ServiceEvents& doc, const json& entry) {
  const auto name = entry.at("function").get<std::string>();
  for (auto& f : doc.functions)
    if (f.name == name) return f;
  auto& f = doc.functions.emplace_back();
  f.name = f.key = name;
  return f;
}

HttpEvent route_of(const json& rt, FunctionEvents& f, ServiceEvents& doc, bool& payload_seen) {
  HttpEvent e;
  const auto type = rt.value("type", "httpApi");
  if (type != "http" && type != "httpApi")
    throw Error(fmt::format("{}route type '{}' is not http or httpApi", kNotOurs, type));
  e.api = type == "http" ? HttpApi::rest : HttpApi::http;
  e.method = rt.value("method", "ANY");
  e.path = rt.value("path", "/");
  e.cors = rt.value("cors", false);
  e.is_private = rt.value("private", false);
  // All httpApi routes of a service share provider.httpApi.payload.
  if (e.api == HttpApi::http && !payload_seen) {
    doc.http_api_payload = rt.value("payload_version", "2.0");
    payload_seen = true;
  }
  e.mark.file = rt.value("file", "");
  e.mark.line = rt.value("line", 0);
  e.mark.col = rt.value("col", 0);
  if (rt.contains("config") && rt["config"].is_object()) e.config_json = rt["config"].dump();
  const bool jwt_parts =
      e.api == HttpApi::http && (rt.contains("http_authorizer") || rt.contains("http_api"));
  const bool resolved = rt.contains("authorizer") && rt["authorizer"].is_object();
  if (jwt_parts || resolved) {
    json config = rt.contains("config") && rt["config"].is_object() ? rt["config"] : json::object();
    if (rt.contains("http_authorizer")) config["authorizer"] = rt["http_authorizer"];
    if (rt.contains("http_api")) config["fx_http_api"] = rt["http_api"];
    if (resolved) config[std::string(kResolvedAuthorizerKey)] = rt["authorizer"];
    e.config_json = config.dump();
  }
  if (rt.contains("cors_config") && rt["cors_config"].is_object()) {
    json config = json::parse(e.config_json.empty() ? "{}" : e.config_json, nullptr, false);
    if (!config.is_object()) config = json::object();
    config["cors"] = rt["cors_config"];
    e.config_json = config.dump();
  }
  if (rt.contains("function_key")) f.key = rt["function_key"].get<std::string>();
  return e;
}

ScheduleEvent schedule_of(const json& sc, ServiceEvents& doc) {
  ScheduleEvent e;
  e.rule = sc.value("rule", sc.at("function").get<std::string>());
  e.expression = sc.at("expression").get<std::string>();
  e.enabled = sc.value("enabled", true);
  if (sc.contains("input") && !sc["input"].is_null()) e.input_json = sc["input"].dump();
  e.input_path = sc.value("input_path", "");
  e.input_paths_map = sc.value("input_paths_map", std::map<std::string, std::string>{});
  e.input_template = sc.value("input_template", "");
  if (sc.contains("anchor_ms"))
    doc.schedule_anchors[schedule_anchor_key(e.rule, e.expression)] =
        sc["anchor_ms"].get<std::int64_t>();
  return e;
}

SqsEvent sqs_of(const json& m) {
  SqsEvent e;
  e.queue = m.at("queue").get<std::string>();
  e.batch_size = m.value("batch_size", 10);
  e.batching_window_s = m.value("batching_window", 0);
  e.report_batch_item_failures = m.value("report_batch_item_failures", false);
  e.enabled = m.value("enabled", true);
  for (const auto& p : m.value("filter_patterns", json::array()))
    e.filter_patterns.push_back(p.dump());
  e.max_concurrency = m.value("max_concurrency", 0);
  return e;
}

StreamEvent stream_of(const json& m) {
  StreamEvent e;
  e.arn = m.value("arn", "");
  e.table = m.value("table", "");
  if (e.arn.empty() == e.table.empty())
    throw Error(std::string(kNotOurs) + "a stream names either an arn or a table");
  e.batch_size = m.value("batch_size", 10);
  e.starting_position = m.value("starting_position", "TRIM_HORIZON");
  e.batching_window_s = m.value("batching_window", 0);
  for (const auto& p : m.value("filter_patterns", json::array()))
    e.filter_patterns.push_back(p.dump());
  if (m.contains("max_retry_attempts")) e.max_retry_attempts = m["max_retry_attempts"].get<int>();
  if (m.contains("max_record_age")) e.max_record_age_s = m["max_record_age"].get<int>();
  e.bisect_batch_on_function_error = m.value("bisect_batch_on_function_error", false);
  e.report_batch_item_failures = m.value("report_batch_item_failures", false);
  e.on_failure = m.value("on_failure", "");
  e.parallelization_factor = m.value("parallelization_factor", 1);
  e.tumbling_window_s = m.value("tumbling_window", 0);
  e.enabled = m.value("enabled", true);
  return e;
}

ServiceEvents read_document(const json& j) {
  ServiceEvents doc;
  doc.stage = j.value("stage", "dev");
  for (const auto& name : j.value("functions", std::vector<std::string>{})) {
    auto& f = doc.functions.emplace_back();
    f.name = f.key = name;
  }
  bool payload_seen = false;
  for (const auto& rt : j.value("routes", json::array())) {
    auto& f = function_of(doc, rt);
    f.events.push_back(route_of(rt, f, doc, payload_seen));
  }
  for (const auto& sc : j.value("schedules", json::array()))
    function_of(doc, sc).events.push_back(schedule_of(sc, doc));
  for (const auto& m : j.value("sqs", json::array()))
    function_of(doc, m).events.push_back(sqs_of(m));
  for (const auto& m : j.value("streams", json::array()))
    function_of(doc, m).events.push_back(stream_of(m));
  for (const auto& [type, list] : {std::pair{"alb", j.value("alb", json::array())},
                                   std::pair{"sns", j.value("sns", json::array())}})
    for (const auto& m : list) {
      auto& f = function_of(doc, m);
      OtherEvent e;
      e.type = type;
      e.config_json = m.value("config", json::object()).dump();
      e.mark.file = m.value("file", "");
      e.mark.line = m.value("line", 0);
      e.mark.col = m.value("col", 0);
      if (m.contains("function_key")) f.key = m["function_key"].get<std::string>();
      f.events.push_back(std::move(e));
    }
  const json async_settings = j.value("async", json::object());  // outlives the loop
  for (const auto& [function, a] : async_settings.items()) {
    AsyncConfig& async = function_of(doc, json{{"function", function}}).async;
    if (a.contains("max_retries")) async.max_retries = a["max_retries"].get<int>();
    if (a.contains("max_event_age")) async.max_event_age_s = a["max_event_age"].get<int>();
    async.on_failure = a.value("on_failure", "");
    async.on_success = a.value("on_success", "");
  }
  // Settings naming a function the document does not have are ignored.
  auto listed = [&](const std::string& name) -> FunctionEvents* {
    for (auto& f : doc.functions)
      if (f.name == name) return &f;
    return nullptr;
  };
  if (j.contains("provisioned") && j["provisioned"].is_object())
    for (const auto& [function, n] : j["provisioned"].items())
      if (auto* f = listed(function); f && n.is_number_integer()) f->provisioned = n.get<int>();
  if (j.contains("log_retention") && j["log_retention"].is_object())
    for (const auto& [function, days] : j["log_retention"].items())
      if (auto* f = listed(function); f && days.is_number_integer() && days.get<int>() > 0)
        f->log_retention_days = days.get<int>();
  for (const auto& q : j.value("queues", json::array())) {
    QueueConfig& queue = doc.queues.emplace_back();
    queue.name = q.at("name").get<std::string>();
    if (q.contains("visibility_timeout"))
      queue.visibility_timeout_s = q["visibility_timeout"].get<int>();
    queue.max_receive_count = q.value("max_receive_count", 0);
    queue.dead_letter_queue = q.value("dead_letter_queue", "");
    queue.content_based_deduplication = q.value("content_based_deduplication", false);
  }
  for (const auto& t : j.value("tables", json::array())) {
    TableConfig& table = doc.tables.emplace_back();
    table.name = t.at("name").get<std::string>();
    if (!t.contains("create") || !t["create"].is_object())
      throw Error(fmt::format("{}table {} has no CreateTable request", kNotOurs, table.name));
    table.create_json = t["create"].dump();
    table.ttl_attribute = t.value("ttl_attribute", "");
    table.retain = t.value("retain", false);
  }
  if (j.contains("idle_timeout_s") && j["idle_timeout_s"].is_number())
    doc.idle_timeout_s = j["idle_timeout_s"].get<double>();
  if (j.contains("concurrency") && j["concurrency"].is_number_integer())
    doc.concurrency = j["concurrency"].get<int>();
  if (j.contains("alb_port") && j["alb_port"].is_number_integer())
    doc.alb_port = j["alb_port"].get<int>();
  doc.api_key = j.value("api_key", "");
  if (j.contains("api_keys")) doc.api_keys = parse_api_keys(j["api_keys"].dump());
  return doc;
}

}  // namespace

bool AsyncConfig::empty() const {
  return !max_retries && !max_event_age_s && on_failure.empty() && on_success.empty();
}

std::string schedule_rule(const std::string& function, const ScheduleEvent& event, int n) {
  return event.rule.empty() ? fmt::format("{}-schedule-{}", function, n) : event.rule;
}

std::string schedule_anchor_key(std::string_view rule, std::string_view expression) {
  return fmt::format("{}\n{}", rule, expression);
}

std::string to_json(const ServiceEvents& doc) {
  json routes = json::array(), schedules = json::array(), sqs = json::array(),
       streams = json::array(), alb = json::array(), sns = json::array();
  json functions = json::array(), async = json::object(), provisioned = json::object(),
       retention = json::object();
  for (const auto& f : doc.functions) {
    int n = 0;
    for (const auto& event : f.events) {
      if (const auto* e = std::get_if<HttpEvent>(&event)) {
        routes.push_back(route_json(f, *e, doc.http_api_payload));
      } else if (const auto* e = std::get_if<ScheduleEvent>(&event)) {
        schedules.push_back(schedule_json(f, *e, ++n, doc));
      } else if (const auto* e = std::get_if<SqsEvent>(&event)) {
        sqs.push_back(sqs_json(f, *e));
      } else if (const auto* e = std::get_if<StreamEvent>(&event)) {
        streams.push_back(stream_json(f, *e));
      } else if (const auto* e = std::get_if<OtherEvent>(&event);
                 e && (e->type == "alb" || e->type == "sns")) {
        (e->type == "alb" ? alb : sns)
            .push_back({{"function", f.name},
                        {"function_key", f.key},
                        {"config", json::parse(e->config_json, nullptr, false)},
                        {"file", e->mark.file},
                        {"line", e->mark.line},
                        {"col", e->mark.col}});
      }  // other events run only on AWS
    }
    functions.push_back(f.name);
    if (!f.async.empty()) {
      json a = json::object();
      if (f.async.max_retries) a["max_retries"] = *f.async.max_retries;
      if (f.async.max_event_age_s) a["max_event_age"] = *f.async.max_event_age_s;
      if (!f.async.on_failure.empty()) a["on_failure"] = f.async.on_failure;
      if (!f.async.on_success.empty()) a["on_success"] = f.async.on_success;
      async[f.name] = a;
    }
    if (f.provisioned > 0) provisioned[f.name] = f.provisioned;
    if (f.log_retention_days > 0) retention[f.name] = f.log_retention_days;
  }
  json queues = json::array();
  for (const auto& q : doc.queues) {
    json entry = {{"name", q.name}};
    if (q.visibility_timeout_s) entry["visibility_timeout"] = *q.visibility_timeout_s;
    if (q.max_receive_count > 0) entry["max_receive_count"] = q.max_receive_count;
    if (!q.dead_letter_queue.empty()) entry["dead_letter_queue"] = q.dead_letter_queue;
    if (q.content_based_deduplication) entry["content_based_deduplication"] = true;
    queues.push_back(entry);
  }
  json j = {{"stage", doc.stage},
            {"schedules", schedules},
            {"async", async},
            {"sqs", sqs},
            {"queues", queues},
            {"routes", routes},
            {"functions", functions},
            {"idle_timeout_s", doc.idle_timeout_s ? json(*doc.idle_timeout_s) : json()},
            {"provisioned", provisioned},
            {"log_retention", retention},
            {"concurrency", doc.concurrency > 0 ? json(doc.concurrency) : json()}};
  if (!doc.api_key.empty()) j["api_key"] = doc.api_key;
  if (doc.alb_port > 0) j["alb_port"] = doc.alb_port;
  if (!doc.api_keys.empty()) j["api_keys"] = json::parse(to_json(doc.api_keys));
  // Only when there are some: a document without them reads as earlier versions wrote it.
  if (!streams.empty()) j["streams"] = streams;
  if (!alb.empty()) j["alb"] = alb;
  if (!sns.empty()) j["sns"] = sns;
  if (!doc.tables.empty()) {
    json tables = json::array();
    for (const auto& t : doc.tables) {
      json entry = {{"name", t.name}, {"create", json::parse(t.create_json)}};
      if (!t.ttl_attribute.empty()) entry["ttl_attribute"] = t.ttl_attribute;
      if (t.retain) entry["retain"] = true;
      tables.push_back(entry);
    }
    j["tables"] = tables;
  }
  return j.dump();
}

ServiceEvents parse_service_events(std::string_view json_text) {
  const auto j = json::parse(json_text, nullptr, false);
  if (!j.is_object()) throw Error("the service's events must be a JSON object");
  if (j.contains("schedules") && !j["schedules"].is_array())
    throw Error("the service's schedules must be a JSON array");
  try {
    return read_document(j);
  } catch (const json::exception& e) {
    // Without nlohmann's "[json.exception.type_error.302]" prefix.
    std::string what = e.what();
    if (auto end = what.find("] "); what.starts_with("[json.") && end != std::string::npos)
      what = what.substr(end + 2);
    throw Error(std::string(kNotOurs) + what);
  }
}

}  // namespace fx::manifest
