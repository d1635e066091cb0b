#include "core/actions/deploy.h"
#include "core/actions/versions.h"

#include <algorithm>
#include <charconv>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/bundle/bundle.h"
#include "core/gateway/alb.h"
#include "core/gateway/routes.h"
#include "core/lambda/fx_api.h"
#include "core/manifest/authorizers.h"
#include "core/manifest/event_types.h"
#include "core/runtimes/resolver.h"
#include "core/util/error.h"
#include "core/util/files.h"

namespace fx::actions {

std::vector<const manifest::Function*> select_functions(const manifest::Service& service,
                                                        const std::vector<std::string>& names) {
  std::vector<const manifest::Function*> out;
  if (names.empty()) {
    for (const auto& f : service.functions) out.push_back(&f);
    return out;
  }
  for (const auto& n : names) {
    const auto* f = service.find_function(n);
    if (!f) {
      std::string known;
      for (const auto& g : service.functions) known += (known.empty() ? "" : ", ") + g.key;
      throw usage_error(
          fmt::format("no function '{}' in {}", n, service.manifest_path.filename().string()),
          "functions: " + (known.empty() ? std::string("(none)") : known));
    }
    out.push_back(f);
  }
  return out;
}

std::vector<LayerResult> deploy_layers(const manifest::Service& service,
                                       lambda::LambdaClient& client) {
  std::vector<LayerResult> out;
  for (const auto& layer : service.layers) {
    auto artifact = bundle::package_layer(service, layer);
    LayerResult r{layer.key, "", "unchanged", artifact.zip_bytes, artifact.warnings};
    auto latest = client.latest_layer_version(layer.name);
    if (latest && latest->code_sha256 == artifact.code_sha256) {
      r.version_arn = latest->version_arn;
    } else {
      r.version_arn = client
                          .publish_layer_version(layer.name, util::read_file(artifact.zip_path),
                                                 layer.description, layer.compatible_runtimes)
                          .version_arn;
      r.status = "published";
    }
    out.push_back(std::move(r));
  }
  return out;
}

lambda::FunctionConfiguration desired_configuration(
    const manifest::Service& service, const manifest::Function& f,
    const std::map<std::string, std::string>& layer_arns) {
  lambda::FunctionConfiguration c;
  c.function_name = f.name;
  c.runtime = f.runtime;
  c.handler = f.handler;
  c.role = "arn:aws:iam::000000000000:role/fx-local";
  c.description = f.description;
  c.timeout = f.timeout_s;
  c.memory_size = f.memory_mb;
  c.ephemeral_storage_mb = f.ephemeral_storage_mb;
  c.environment = f.environment;
  c.architectures = {f.architecture};
  c.reserved_concurrency = f.reserved_concurrency;
  c.tags = function_tags(service, f);
  for (const auto& ref : f.layers) {
    if (ref.starts_with("arn:")) {
      c.layers.push_back(ref);
    } else if (auto it = layer_arns.find(ref); it != layer_arns.end()) {
      c.layers.push_back(it->second);
    } else {
      throw Error(fmt::format("function '{}' uses layer '{}', which was not deployed", f.key, ref),
                  "deploy the whole service (fx deploy) so that its layers are published first");
    }
  }
  return c;
}

namespace {

constexpr const char* kServiceTag = "fx:service";
constexpr const char* kStageTag = "fx:stage";
constexpr const char* kFunctionTag = "fx:function";

}  // namespace

std::map<std::string, std::string> service_tags(const manifest::Service& service) {
  return {{kServiceTag, service.name}, {kStageTag, service.stage}};
}

bool made_for(const std::map<std::string, std::string>& tags, const manifest::Service& service) {
  auto is = [&](const char* key, const std::string& value) {
    auto it = tags.find(key);
    return it != tags.end() && it->second == value;
  };
  return is(kServiceTag, service.name) && is(kStageTag, service.stage);
}

std::map<std::string, std::string> function_tags(const manifest::Service& service,
                                                 const manifest::Function& function) {
  auto tags = service_tags(service);
  tags[kFunctionTag] = function.key;
  return tags;
}

void ensure_tags(lambda::LambdaClient& client, const lambda::FunctionConfiguration& current,
                 const lambda::FunctionConfiguration& desired) {
  for (const auto& [key, value] : desired.tags) {
    auto it = current.tags.find(key);
    if (it == current.tags.end() || it->second != value)
      return client.tag_function(current.function_arn, desired.tags);
  }
}

std::vector<StaleFunction> stale_functions(const manifest::Service& service,
                                           lambda::LambdaClient& client) {
  const std::string prefix = service.name + "-" + service.stage + "-";
  std::vector<StaleFunction> out;
  for (const auto& listed : client.list_functions()) {
    const std::string& name = listed.function_name;
    if (!name.starts_with(prefix)) continue;
    bool in_manifest = false;
    for (const auto& f : service.functions) in_manifest |= f.name == name;
    if (in_manifest) continue;
    // ListFunctions has no tags: only the few candidates are read whole.
    auto current = client.get_function(name);
    if (!current) continue;  // deleted meanwhile
    if (!made_for(current->tags, service)) continue;
    auto key = current->tags.find(kFunctionTag);
    out.push_back({key == current->tags.end() ? name.substr(prefix.size()) : key->second, name});
  }
  return out;
}

namespace {

bool same_configuration(const lambda::FunctionConfiguration& a,
                        const lambda::FunctionConfiguration& b) {
  return a.runtime == b.runtime && a.handler == b.handler && a.description == b.description &&
         a.timeout == b.timeout && a.memory_size == b.memory_size &&
         a.ephemeral_storage_mb == b.ephemeral_storage_mb && a.environment == b.environment &&
         a.layers == b.layers && a.interpreter == b.interpreter;
}

// custom.fx.interpreters: each one the service's functions use must be its runtime's
// version, said before anything is deployed (the emulator would refuse it too, less clearly).
void check_named_interpreters(const manifest::Service& service) {
  runtimes::RuntimeResolver resolver(service.dir / ".fx" / "no-shims");
  for (const auto& [runtime, named] : service.interpreters) {
    if (std::none_of(service.functions.begin(), service.functions.end(),
                     [&](const manifest::Function& f) { return f.runtime == runtime; }))
      continue;
    const auto& resolved = resolver.resolve(runtime, named.path);
    if (!resolved.error.empty())
      throw Error(fmt::format("{}: {}", named.where, resolved.error),
                  fmt::format("name an installed {} interpreter, or remove the entry to let fx "
                              "find one",
                              runtime));
  }
}

}  // namespace

std::vector<DeployResult> deploy_service(const manifest::Service& service,
                                         lambda::LambdaClient& client, const DeployOptions& options,
                                         std::vector<std::string>* warnings) {
  std::vector<DeployResult> results;
  auto selected = select_functions(service, options.functions);
  auto packaged = bundle::package_functions(service, selected);
  if (options.provide_runtime_packages) {
    std::vector<RuntimePackage> needed;
    for (std::size_t i = 0; i < selected.size(); ++i)
      for (const auto& p : packaged.artifacts[i].runtime_packages)
        needed.push_back({p, selected[i]->key, selected[i]->runtime});
    if (!needed.empty()) options.provide_runtime_packages(needed);
  }
  for (std::size_t i = 0; i < selected.size(); ++i) {
    const auto* f = selected[i];
    const auto& artifact = packaged.artifacts[i];
    auto desired = desired_configuration(service, *f, options.layer_arns);
    if (auto named = service.interpreters.find(f->runtime); named != service.interpreters.end())
      desired.interpreter = named->second.path;
    DeployResult r;
    r.function = f->key;
    r.name = f->name;
    r.zip_bytes = artifact.zip_bytes;
    r.sha256 = artifact.sha256_hex;
    auto current = client.get_function(f->name);
    lambda::FunctionConfiguration after;
    if (!current) {
      after = client.create_function(desired, util::read_file(artifact.zip_path));
      r.status = "created";
    } else {
      r.status = "unchanged";
      ensure_tags(client, *current, desired);
      if (options.force || current->code_sha256 != artifact.code_sha256) {
        after = client.update_function_code(f->name, util::read_file(artifact.zip_path));
        r.status = "updated";
      }
      if (!same_configuration(*current, desired)) {
        after = client.update_function_configuration(desired);
        r.status = "updated";
      }
    }
    auto current_reserved = current ? current->reserved_concurrency : std::nullopt;
    if (desired.reserved_concurrency && desired.reserved_concurrency != current_reserved) {
      client.put_function_concurrency(f->name, *desired.reserved_concurrency);
      if (r.status == "unchanged") r.status = "updated";
    }
    // The runtime's warnings at every deploy, also when nothing changed.
    r.warnings = after.function_name.empty() && current ? current->warnings : after.warnings;
    sync_versions(client, service, *f, r);
    results.push_back(std::move(r));
  }
  if (warnings)
    warnings->insert(warnings->end(), packaged.warnings.begin(), packaged.warnings.end());
  return results;
}

std::vector<std::string> function_warning_lines(const std::vector<DeployResult>& results) {
  std::vector<std::string> out;
  for (const auto& r : results)
    for (const auto& w : r.warnings) {
      const auto colon = w.find(": ");
      const bool about_runtime =
          colon != std::string::npos && runtimes::find_family(w.substr(0, colon)) != nullptr;
      std::string line = about_runtime ? w : fmt::format("{}: {}", r.function, w);
      if (std::find(out.begin(), out.end(), line) == out.end()) out.push_back(std::move(line));
    }
  return out;
}

namespace {

// custom.fx.albPort must not be a port the emulator serves something else on: its Lambda API
// or its HTTP gateway (checked before anything is deployed, at the key that sets it).
void check_alb_port(const manifest::Service& service, const lambda::Endpoint& endpoint) {
  auto port_of = [](const std::string& url) {
    const auto colon = url.rfind(':');
    const auto slash = url.find('/', colon == std::string::npos ? 0 : colon);
    int port = 0;
    if (colon != std::string::npos)
      std::from_chars(url.data() + colon + 1,
                      url.data() + (slash == std::string::npos ? url.size() : slash), port);
    return port;
  };
  auto status = nlohmann::json::parse(lambda::FxApi(endpoint).status().raw_json, nullptr, false);
  const std::string gateway = status.is_object() ? status.value("gateway_url", "") : "";
  for (const auto& [what, url] :
       {std::pair<std::string, std::string>{"the emulator's HTTP gateway", gateway},
        {"the emulator's Lambda API", endpoint.url}})
    if (!url.empty() && port_of(url) == service.alb_port)
      throw Error(fmt::format("{}: custom.fx.albPort: port {} is {} ({})",
                              service.alb_port_mark.str(), service.alb_port, what, url),
                  "pick another port for the service's ALB listener");
}

}  // namespace

ServiceDeploy deploy_to_emulator(const manifest::Service& service, const lambda::Endpoint& endpoint,
                                 DeployOptions options) {
  ServiceDeploy out;
  lambda::LambdaClient client(endpoint);
  out.layers = deploy_layers(service, client);
  for (const auto& l : out.layers) options.layer_arns[l.layer] = l.version_arn;
  check_named_interpreters(service);
  if (service.alb_port > 0) check_alb_port(service, endpoint);
  std::vector<std::string> packaging_warnings;
  out.functions = deploy_service(service, client, options, &packaging_warnings);
  // The whole service's event sources, also when -f deployed only some functions.
  const std::string answer_json = lambda::FxApi(endpoint).put_service(
      service.name + "-" + service.stage, service_events_json(service));
  auto answer = nlohmann::json::parse(answer_json, nullptr, false);
  if (answer.is_object()) {
    out.gateway_url = answer.value("gateway_url", "");
    out.alb_url = answer.value("alb_url", "");
    out.api_key = answer.value("api_key", "");
    out.api_keys = api_keys_of(answer_json);
    out.warnings = answer.value("warnings", std::vector<std::string>{});
  }
  out.warnings.insert(out.warnings.begin(), packaging_warnings.begin(), packaging_warnings.end());
  // Events the emulator does not run are named here, once, with what happens instead.
  const auto notes = manifest::local_event_notes(service);
  out.warnings.insert(out.warnings.begin(), notes.begin(), notes.end());
  const auto closed = manifest::authorizer_notes(service);
  out.warnings.insert(out.warnings.begin(), closed.begin(), closed.end());
  for (const auto& [key, line] : route_urls(service, out.gateway_url))
    for (auto& f : out.functions)
      if (f.function == key) f.routes.push_back(line);
  // Each function's `url`: its function URL on the emulator, made or brought up to date; one
  // the manifest no longer asks for goes.
  for (auto& r : out.functions)
    for (const auto& f : service.functions) {
      if (f.key != r.function) continue;
      if (!f.url) {
        client.delete_function_url_config(f.name);
        continue;
      }
      nlohmann::json body = {{"AuthType", f.url->auth_type}, {"InvokeMode", f.url->invoke_mode}};
      body["Cors"] = f.url->cors_json.empty() ? nlohmann::json::object()
                                              : nlohmann::json::parse(f.url->cors_json);
      const bool exists = client.get_function_url_config(f.name).has_value();
      const auto url = client.put_function_url_config(f.name, exists, body.dump());
      r.routes.push_back(fmt::format("URL    {}{}", url.url,
                                     url.auth_type == "NONE" ? "" : "  (" + url.auth_type + ")"));
    }
  if (!out.alb_url.empty())
    for (const auto& rule : gateway::alb_rules_from_service(service))
      for (auto& f : out.functions)
        if (f.function == rule.function_key) {
          // A pattern without a leading slash matches no request path (ALB's paths start with
          // one), so it is shown beside the listener's URL rather than glued to it.
          std::string path = rule.paths.empty() ? "/*" : rule.paths.front();
          f.routes.push_back(
              path.starts_with("/")
                  ? fmt::format("ALB    {}{}  (priority {})", out.alb_url, path, rule.priority)
                  : fmt::format("ALB    {}  (path pattern '{}', priority {})", out.alb_url, path,
                                rule.priority));
        }
  // After the service's events, which no longer name them: no route or schedule is left
  // pointing at a function that is gone.
  if (options.functions.empty())
    for (auto& stale : stale_functions(service, client)) {
      client.delete_function(stale.name);
      DeployResult r;
      r.function = std::move(stale.function);
      r.name = std::move(stale.name);
      r.status = "removed";
      out.functions.push_back(std::move(r));
    }
  return out;
}

std::vector<std::pair<std::string, std::string>> route_urls(const manifest::Service& service,
                                                            const std::string& gateway_url) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : gateway::routes_from_service(service)) {
    std::string path = r.path == "*" ? "/*  ($default: any other route)" : r.path;
    // REST routes live under the stage (and, locally, also without it).
    if (r.api == manifest::HttpApi::rest) path = "/" + service.stage + path;
    out.emplace_back(r.function_key, fmt::format("{:<6} {}{}", r.method, gateway_url, path));
  }
  return out;
}

namespace {

// custom.fx.queues.NAME's settings, a number of seconds or times.
int queue_setting(const nlohmann::json& value, const std::string& queue, const char* key) {
  if (!value.is_number())
    throw Error(
        fmt::format("custom.fx.queues.{}.{}: expected a number, got {}", queue, key, value.dump()),
        "e.g. visibilityTimeout: 30");
  return value.get<int>();
}

}  // namespace

std::vector<manifest::ApiKey> api_keys_of(std::string_view answer_json) {
  const auto answer = nlohmann::json::parse(answer_json, nullptr, false);
  std::vector<manifest::ApiKey> out;
  if (!answer.contains("api_keys") || !answer["api_keys"].is_array()) return out;
  for (const auto& k : answer["api_keys"]) {
    if (!k.is_object()) continue;
    manifest::ApiKey key;
    key.name = k.value("name", "");
    key.value = k.value("value", "");
    key.enabled = k.value("enabled", true);
    if (k.contains("usage_plan") && k["usage_plan"].is_string())
      key.usage_plan = k["usage_plan"].get<std::string>();
    out.push_back(std::move(key));
  }
  return out;
}

manifest::ServiceEvents service_events(const manifest::Service& service) {
  using nlohmann::json;
  manifest::ServiceEvents doc;
  doc.stage = service.stage;
  doc.http_api_payload = service.http_api_payload.empty() ? "2.0" : service.http_api_payload;
  doc.api_keys = service.api_keys;
  for (const auto& f : service.functions) {
    auto& out = doc.functions.emplace_back();
    out.name = f.name;
    out.key = f.key;
    for (const auto& e : f.events) {
      const auto* other = std::get_if<manifest::OtherEvent>(&e);
      // The emulator serves alb, and subscribes sns events to its topics.
      if (!other || other->type == "alb" || other->type == "sns") out.events.push_back(e);
    }
    // Each route's authorizer, resolved against the service (its functions,
    // provider.httpApi.authorizers), travels in the event's JSON for the gateway to run.
    for (auto& e : out.events)
      if (auto* http = std::get_if<manifest::HttpEvent>(&e))
        if (auto authorizer = manifest::route_authorizer(service, *http)) {
          auto config = json::parse(http->config_json, nullptr, false);
          if (!config.is_object()) config = json::object();
          config[std::string(manifest::kResolvedAuthorizerKey)] =
              json::parse(manifest::to_json(*authorizer));
          http->config_json = config.dump();
        }
    // An sqs event's Fn::GetAtt names a queue of resources by its logical ID: the emulator
    // polls the queue by its name (which differs with QueueName, or a FIFO queue's suffix).
    for (auto& e : out.events)
      if (auto* sqs = std::get_if<manifest::SqsEvent>(&e))
        for (const auto& q : service.queues)
          if (q.logical_id == sqs->queue) sqs->queue = q.name;
    // Lambda's asynchronous-invocation settings: maximumRetryAttempts, destinations.onFailure.
    out.async.max_retries = f.max_retry_attempts;
    out.async.max_event_age_s = f.max_event_age_s;
    for (const auto& [destination, target] : {std::pair{&f.on_failure, &out.async.on_failure},
                                              std::pair{&f.on_success, &out.async.on_success}}) {
      if (const auto* other = service.find_function(*destination)) {
        // Another function of the service, by key (as the Serverless Framework allows).
        *target = lambda::function_arn(service.region, lambda::kLocalAccount, other->name);
      } else {
        *target = *destination;
      }
    }
    out.provisioned = f.provisioned_concurrency.value_or(0);
    // logRetentionInDays: the emulator deletes older log lines and usage records.
    out.log_retention_days = f.log_retention_days.value_or(0);
  }
  // custom.fx.queues stands in for the queues `resources` would create on AWS (visibility
  // timeout, dead-letter queue).
  auto fx = json::parse(service.custom_fx_json, nullptr, false);
  if (fx.is_object() && fx.contains("queues") && fx["queues"].is_object())
    for (const auto& [name, q] : fx["queues"].items()) {
      auto& entry = doc.queues.emplace_back();
      entry.name = name;
      if (!q.is_object()) continue;
      if (q.contains("visibilityTimeout"))
        entry.visibility_timeout_s =
            queue_setting(q["visibilityTimeout"], name, "visibilityTimeout");
      if (q.contains("maxReceiveCount"))
        entry.max_receive_count = queue_setting(q["maxReceiveCount"], name, "maxReceiveCount");
      if (q.contains("deadLetterQueue")) {
        if (!q["deadLetterQueue"].is_string())
          throw Error(
              fmt::format("custom.fx.queues.{}.deadLetterQueue: expected a queue's name, "
                          "got {}",
                          name, q["deadLetterQueue"].dump()));
        entry.dead_letter_queue = q["deadLetterQueue"].get<std::string>();
      }
      if (q.contains("contentBasedDeduplication")) {
        if (!q["contentBasedDeduplication"].is_boolean() || !name.ends_with(".fifo"))
          throw Error(
              fmt::format("custom.fx.queues.{}.contentBasedDeduplication: expected true "
                          "or false, on a FIFO queue (a name ending in .fifo)",
                          name));
        entry.content_based_deduplication = q["contentBasedDeduplication"].get<bool>();
      }
    }
  for (const auto& q : service.queues) {
    auto& entry = doc.queues.emplace_back();
    entry.name = q.name;
    entry.visibility_timeout_s = q.visibility_timeout_s;
    entry.content_based_deduplication = q.content_based_deduplication;
    if (q.max_receive_count > 0 && !q.dead_letter_queue.empty()) {
      entry.max_receive_count = q.max_receive_count;
      entry.dead_letter_queue = q.dead_letter_queue;
    }
  }
  for (const auto& t : service.tables)
    doc.tables.push_back({t.name, t.create_json, t.ttl_attribute, t.retain});
  // A stream event's onFailure queue of `resources` (by its logical ID) is its ARN in the
  // emulator's document, and the queue must exist before the first discarded batch.
  for (auto& f : doc.functions)
    for (auto& e : f.events)
      if (auto* stream = std::get_if<manifest::StreamEvent>(&e)) {
        if (stream->on_failure.empty()) continue;
        if (!stream->on_failure.starts_with("arn:"))
          for (const auto& q : service.queues)
            if (q.logical_id == stream->on_failure)
              stream->on_failure = fmt::format("arn:aws:sqs:{}:{}:{}", service.region,
                                               lambda::kLocalAccount, q.name);
        if (!stream->on_failure.starts_with("arn:aws:sqs:")) continue;
        std::string name = stream->on_failure.substr(stream->on_failure.rfind(':') + 1);
        bool listed = false;
        for (const auto& q : doc.queues) listed |= q.name == name;
        if (!listed) doc.queues.push_back({name, std::nullopt, 0, ""});
      }
  // A destination queue must exist before the first record needs it.
  for (const auto& f : service.functions)
    for (const auto* destination : {&f.on_failure, &f.on_success}) {
      if (!destination->starts_with("arn:aws:sqs:")) continue;
      std::string name = destination->substr(destination->rfind(':') + 1);
      bool listed = false;
      for (const auto& q : doc.queues) listed |= q.name == name;
      if (!listed) doc.queues.push_back({name, std::nullopt, 0, ""});
    }
  // custom.fx.idleTimeout: seconds an idle instance is kept before it is stopped.
  if (fx.is_object() && fx.contains("idleTimeout") && fx["idleTimeout"].is_number())
    doc.idle_timeout_s = fx["idleTimeout"].get<double>();
  // custom.fx.concurrency: the limit of functions without reservedConcurrency (Lambda's
  // account limit, 1000 by default).
  if (fx.is_object() && fx.contains("concurrency") && fx["concurrency"].is_number_integer())
    doc.concurrency = fx["concurrency"].get<int>();
  doc.alb_port = service.alb_port;
  return doc;
}

std::string service_events_json(const manifest::Service& service) {
  return manifest::to_json(service_events(service));
}

}  // namespace fx::actions
