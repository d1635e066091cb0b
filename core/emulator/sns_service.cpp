#include "core/emulator/sns_service.h"

#include <map>
#include <set>
#include <stdexcept>
#include <utility>  // before Boost.Asio, whose C++20 code uses std::exchange

#include <fmt/format.h>
#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "core/emulator/http_server.h"
#include "core/lambda/types.h"
#include "core/manifest/events_json.h"
#include "core/sns/api.h"
#include "core/sns/store.h"
#include "core/util/error.h"
#include "core/util/text.h"
#include "core/util/time.h"

namespace fx::emulator {

using nlohmann::json;

namespace {

// The service of a SigV4 request's credential scope (AKID/DATE/REGION/SERVICE/aws4_request),
// and its region.
std::pair<std::string, std::string> scope_of(const HttpRequest& req) {
  std::string_view auth = req.header("Authorization");
  auto at = auth.find("Credential=");
  if (at == std::string_view::npos) return {};
  std::string_view cred = auth.substr(at + 11);
  cred = cred.substr(0, cred.find_first_of(", "));
  std::size_t s1 = cred.find('/'), s2 = cred.find('/', s1 + 1), s3 = cred.find('/', s2 + 1),
              s4 = cred.find('/', s3 + 1);
  if (s1 == std::string_view::npos || s2 == std::string_view::npos ||
      s3 == std::string_view::npos || s4 == std::string_view::npos)
    return {};
  return {std::string(cred.substr(s3 + 1, s4 - s3 - 1)),
          std::string(cred.substr(s2 + 1, s3 - s2 - 1))};
}

// One `sns` event of a function, as the Serverless Framework v3 reads it.
struct SnsEventSpec {
  std::string topic_name;  // "" when given by ARN only
  std::string topic_arn;   // "" when given by name
  std::string display_name;
  std::map<std::string, std::string> attributes;  // FilterPolicy, FilterPolicyScope, RedrivePolicy
};

SnsEventSpec read_event(const std::string& where, const std::string& config_json) {
  json v = json::parse(config_json, nullptr, false);
  SnsEventSpec spec;
  auto name_or_arn = [&](const std::string& text) {
    if (text.starts_with("arn:")) {
      spec.topic_arn = text;
    } else {
      spec.topic_name = text;
    }
  };
  if (v.is_string()) {
    name_or_arn(v.get<std::string>());
  } else if (v.is_object()) {
    if (v.contains("arn") && v["arn"].is_string()) name_or_arn(v["arn"].get<std::string>());
    if (v.contains("topicName")) {
      if (!v["topicName"].is_string())
        throw Error(fmt::format("{}: sns.topicName must be a string", where),
                    "e.g. topicName: orders");
      // With an arn (a Ref or Fn::Join to a topic of resources), topicName names it.
      if (spec.topic_arn.empty()) spec.topic_name = v["topicName"].get<std::string>();
    }
    if (spec.topic_arn.empty() && spec.topic_name.empty() && !v.contains("arn"))
      throw Error(fmt::format("{}: an sns event needs a topic: a topicName, or an arn", where),
                  "e.g. - sns: {topicName: orders, filterPolicy: {kind: [order]}}");
    if (v.contains("displayName") && v["displayName"].is_string())
      spec.display_name = v["displayName"].get<std::string>();
    if (v.contains("filterPolicy")) {
      if (!v["filterPolicy"].is_object())
        throw Error(fmt::format("{}: sns.filterPolicy must be an object", where),
                    "e.g. filterPolicy: {kind: [order]}");
      spec.attributes["FilterPolicy"] = v["filterPolicy"].dump();
    }
    if (v.contains("filterPolicyScope")) {
      if (!v["filterPolicyScope"].is_string())
        throw Error(fmt::format("{}: sns.filterPolicyScope must be MessageAttributes or "
                                "MessageBody",
                                where),
                    "e.g. filterPolicyScope: MessageBody");
      spec.attributes["FilterPolicyScope"] = v["filterPolicyScope"].get<std::string>();
    }
    if (v.contains("redrivePolicy")) {
      const json& r = v["redrivePolicy"];
      if (!r.is_object() || !r.contains("deadLetterTargetArn") ||
          !r["deadLetterTargetArn"].is_string())
        throw Error(fmt::format("{}: sns.redrivePolicy: fx reads deadLetterTargetArn (a queue's "
                                "ARN); deadLetterTargetRef and deadLetterTargetImport need "
                                "resources fx does not create for SNS",
                                where),
                    "e.g. redrivePolicy: {deadLetterTargetArn: arn:aws:sqs:us-east-1:"
                    "000000000000:dlq}");
      spec.attributes["RedrivePolicy"] =
          json{{"deadLetterTargetArn", r["deadLetterTargetArn"]}}.dump();
    }
  } else {
    throw Error(fmt::format("{}: an sns event is a topic's name or ARN, or an object", where),
                "e.g. - sns: orders");
  }
  return spec;
}

}  // namespace

struct SnsService::Impl {
  boost::asio::io_context& io;
  sns::Store store;
  std::string region;
  SnsHooks hooks;

  Impl(boost::asio::io_context& io, const std::filesystem::path& db, std::string region)
      : io(io), store(db), region(std::move(region)) {}

  void log(const std::string& line) { fmt::print(stderr, "fx emulator: {}\n", line); }

  void deliver(const sns::Delivery& d) {
    std::string error;
    if (d.kind == sns::Delivery::Kind::lambda) {
      auto ref = lambda::parse_function_ref(d.endpoint);
      error = !ref                 ? "not a function ARN"
              : hooks.invoke_async ? hooks.invoke_async(ref->name, d.body)
                                   : "no functions";
    } else {
      std::vector<SnsHooks::QueueAttribute> attributes;
      for (const auto& a : d.sqs_attributes)
        attributes.push_back({a.name, a.data_type, a.string_value, a.binary_value});
      error = hooks.send_to_queue ? hooks.send_to_queue(d.endpoint, d.body, attributes, d.group_id,
                                                        d.deduplication_id)
                                  : "no queues";
    }
    if (error.empty()) return;
    log(fmt::format("sns: message {} of {} could not be delivered to {} ({}): {}", d.message_id,
                    d.topic_arn, d.endpoint, d.subscription_arn, error));
    if (!d.dead_letter_arn.empty() && hooks.send_to_queue) {
      // SNS's dead-letter queue gets the message as the subscriber would have (the envelope).
      auto dlq = hooks.send_to_queue(d.dead_letter_arn, d.body, {}, "", "");
      log(dlq.empty() ? fmt::format("sns: message {} moved to the dead-letter queue {}",
                                    d.message_id, d.dead_letter_arn)
                      : fmt::format("sns: message {} is lost: the dead-letter queue {} refused "
                                    "it: {}",
                                    d.message_id, d.dead_letter_arn, dlq));
    }
  }
};

SnsService::SnsService(boost::asio::io_context& io, std::filesystem::path db, std::string region)
    : impl_(std::make_unique<Impl>(io, db, std::move(region))) {}

SnsService::~SnsService() = default;

void SnsService::set_hooks(SnsHooks hooks) {
  impl_->hooks = std::move(hooks);
}

bool SnsService::serves(const HttpRequest& req) {
  auto [service, region] = scope_of(req);
  if (!service.empty()) return service == "sns";
  return req.method == "POST" && req.path == "/" && req.header("X-Amz-Target").empty() &&
         util::ascii_lower(req.header("Content-Type"))
             .starts_with("application/x-www-form-urlencoded");
}

void SnsService::handle(HttpRequest& req, const std::shared_ptr<Responder>& r,
                        const std::string& endpoint_url) {
  auto [service, region] = scope_of(req);
  if (auto fx_region = req.header("X-Fx-Region"); !fx_region.empty()) region = fx_region;
  sns::RequestContext ctx{region.empty() ? impl_->region : region, endpoint_url, util::now_ms()};
  auto result = sns::handle(impl_->store, req.body, ctx);
  if (std::getenv("FX_SNS_DEBUG"))  // filtered-out messages: only when asked (one per publish)
    for (const auto& note : result.notes) impl_->log(note);
  for (const auto& d : result.deliveries) impl_->deliver(d);
  HttpResponse h;
  h.status = result.status;
  h.set("Content-Type", "text/xml");
  h.body = std::move(result.body);
  r->send(std::move(h));
}

std::vector<std::string> SnsService::apply(const std::string& service,
                                           const manifest::ServiceEvents& events) {
  struct Wanted {
    SnsEventSpec spec;
    std::string function_arn;
    std::string where;
  };
  std::vector<Wanted> wanted;
  std::vector<std::string> warnings;
  for (const auto& f : events.functions) {
    int n = 0;
    for (const auto& e : f.events) {
      const auto* other = std::get_if<manifest::OtherEvent>(&e);
      if (!other || other->type != "sns") continue;
      ++n;
      const std::string where =
          other->mark.line > 0
              ? fmt::format("{}: functions.{}.events[{}]", other->mark.str(), f.key, n)
              : fmt::format("functions.{}: sns event {}", f.key, n);
      Wanted w{read_event(where, other->config_json),
               lambda::function_arn(impl_->region, lambda::kLocalAccount, f.name), where};
      // A topic fx cannot name locally (an arn that is a CloudFormation reference with no
      // topicName, another account's or region's topic) is left for AWS deploys, as before SNS
      // was emulated: a warning, not a failed deploy.
      if (w.spec.topic_arn.empty() && w.spec.topic_name.empty()) {
        warnings.push_back(fmt::format(
            "{}: the sns event's arn is a CloudFormation reference fx does not resolve "
            "locally, so the function is subscribed to no local topic; give the topic's "
            "topicName beside the arn",
            where));
        continue;
      }
      if (!w.spec.topic_arn.empty()) {
        const std::string ours = fmt::format("arn:aws:sns:{}:{}:", impl_->region, sns::kAccount);
        if (!w.spec.topic_arn.starts_with(ours) || w.spec.topic_arn.size() == ours.size()) {
          warnings.push_back(fmt::format(
              "{}: the topic {} is not one of the emulator's ({}NAME), so the function is "
              "subscribed to no local topic; give the topic by name (- sns: NAME) to have fx "
              "create it locally",
              where, w.spec.topic_arn, ours));
          continue;
        }
        w.spec.topic_name = w.spec.topic_arn.substr(ours.size());
      }
      // Checked before anything changes: the policy and its scope as SNS would check them.
      if (auto p = w.spec.attributes.find("FilterPolicy"); p != w.spec.attributes.end()) {
        auto scope = w.spec.attributes.find("FilterPolicyScope");
        if (scope != w.spec.attributes.end() && scope->second != "MessageBody" &&
            scope->second != "MessageAttributes")
          throw Error(fmt::format("{}: filterPolicyScope is MessageAttributes or MessageBody, "
                                  "not '{}'",
                                  where, scope->second),
                      "e.g. filterPolicyScope: MessageBody");
        try {
          sns::FilterPolicy::parse(
              p->second, scope != w.spec.attributes.end() && scope->second == "MessageBody");
        } catch (const sns::PolicyError& e) {
          throw Error(fmt::format("{}: filterPolicy: {}", where, e.what()),
                      "see AWS's 'Amazon SNS message filtering' for the operators");
        }
      }
      wanted.push_back(std::move(w));
    }
  }
  std::set<std::string> kept;
  for (auto& w : wanted) {
    try {
      const std::string topic = sns::ensure_topic(impl_->store, impl_->region, w.spec.topic_name,
                                                  service, w.spec.display_name);
      // A redeploy without a filterPolicy clears the one the last deploy set.
      auto attributes = w.spec.attributes;
      for (const char* k : {"FilterPolicy", "FilterPolicyScope", "RedrivePolicy"})
        if (!attributes.count(k)) attributes[k] = "";
      std::map<std::string, std::string> set;
      for (const auto& [k, v] : attributes)
        if (!v.empty()) set[k] = v;
      const std::string arn =
          sns::subscribe(impl_->store, topic, "lambda", w.function_arn, set, service);
      if (const auto* s = impl_->store.subscription(arn)) {
        sns::Subscription changed = *s;
        for (const auto& [k, v] : attributes)
          if (v.empty()) changed.attributes.erase(k);
        impl_->store.put_subscription(changed);
      }
      kept.insert(arn);
    } catch (const std::invalid_argument& e) {
      throw Error(fmt::format("{}: {}", w.where, e.what()), "fix the sns event");
    }
  }
  // The service's subscriptions its manifest no longer has.
  std::vector<std::string> gone;
  for (const auto& [arn, s] : impl_->store.subscriptions())
    if (s.service == service && !kept.count(arn)) gone.push_back(arn);
  for (const auto& arn : gone) impl_->store.erase_subscription(arn);
  return warnings;
}

void SnsService::drop(const std::string& service) {
  std::vector<std::string> gone;
  for (const auto& [arn, s] : impl_->store.subscriptions())
    if (s.service == service) gone.push_back(arn);
  for (const auto& arn : gone) impl_->store.erase_subscription(arn);
  // The topics its deploys made, unless someone else still subscribes to them.
  std::vector<std::string> topics;
  for (const auto& [arn, t] : impl_->store.topics()) {
    if (t.service != service) continue;
    bool used = false;
    for (const auto& [sarn, s] : impl_->store.subscriptions()) used = used || s.topic_arn == arn;
    if (!used) topics.push_back(arn);
  }
  for (const auto& arn : topics) impl_->store.erase_topic(arn);
}

}  // namespace fx::emulator
