#include "core/manifest/event_types.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <utility>

#include "core/manifest/service.h"

namespace fx::manifest {

const std::vector<EventType>& event_types() {
  // The framework's function events (v3's lib/plugins/aws/package/compile/events, v4's
  // documentation), in its documentation's order. A type another part of fx starts to run
  // locally (alb) reads its events with its own reader; the sentence here is then unused.
  static const std::vector<EventType> types = {
      {"httpApi", true, ""},
      {"http", true, ""},
      {"websocket", false, "fx serves no WebSocket API locally"},
      {"alb", false, "fx serves no Application Load Balancer locally"},
      {"s3", false,
       "fx's local S3 buckets send no object notifications yet, so no object event reaches "
       "it locally"},
      {"schedule", true, ""},
      {"sns", true, ""},
      {"sqs", true, ""},
      {"stream", true, ""},
      {"msk", false, "fx emulates no Amazon MSK cluster"},
      {"kafka", false, "fx polls no Kafka cluster locally"},
      {"activemq", false, "fx polls no Amazon MQ (ActiveMQ) broker locally"},
      {"rabbitmq", false, "fx polls no Amazon MQ (RabbitMQ) broker locally"},
      {"alexaSkill", false, "only the Alexa service calls it, on AWS"},
      {"alexaSmartHome", false, "only the Alexa service calls it, on AWS"},
      {"iot", false, "fx emulates no AWS IoT rules"},
      {"iotFleetProvisioning", false, "fx emulates no AWS IoT fleet provisioning"},
      {"cloudwatchEvent", false, "fx matches no EventBridge event patterns locally"},
      {"eventBridge", false, "fx matches no EventBridge event patterns locally"},
      {"cloudwatchLog", false, "fx delivers no CloudWatch Logs subscriptions locally"},
      {"cognitoUserPool", false, "fx emulates no Cognito user pools"},
      {"cloudFront", false, "Lambda@Edge runs only in CloudFront"},
  };
  return types;
}

const EventType* find_event_type(std::string_view key) {
  const auto& types = event_types();
  auto it =
      std::find_if(types.begin(), types.end(), [&](const EventType& t) { return t.key == key; });
  return it == types.end() ? nullptr : &*it;
}

std::vector<std::string> local_event_notes(const Service& service) {
  std::vector<std::string> out;
  for (const auto& f : service.functions) {
    std::set<std::string> said;
    for (const auto& e : f.events) {
      const auto* other = std::get_if<OtherEvent>(&e);
      // alb events are served on the emulator's ALB port (gateway::alb_rules_from_service),
      // and the deploy prints their routes; sns events subscribe the function to the
      // emulator's topics (core/emulator/sns_service.h): nothing to say.
      if (!other || other->type == "alb" || other->type == "sns" ||
          !said.insert(other->type).second)
        continue;
      const std::string call = fmt::format("invoke it with `fx invoke {} --data EVENT`", f.key);
      const EventType* type = find_event_type(other->type);
      std::string line;
      if (other->type == "stream") {  // a DynamoDB stream runs locally; this one is Kinesis's
        line = fmt::format(
            "'stream' events (Kinesis) of function {} run only on AWS; fx emulates "
            "no Kinesis streams: {}",
            f.key, call);
      } else if (!type) {
        line = fmt::format(
            "'{}' events of function {} are no event type the Serverless Framework knows (a "
            "plugin's?); fx does nothing with them: {}",
            other->type, f.key, call);
      } else if (type->local) {  // given as a bare name: no settings to act on
        line = fmt::format(
            "'{}' event of function {} has no settings, so there is nothing to run (the "
            "Serverless Framework skips it too): give it settings, e.g. {}",
            other->type, f.key,
            other->type == "http"       ? "`- http: GET /path`"
            : other->type == "httpApi"  ? "`- httpApi: 'GET /path'`"
            : other->type == "schedule" ? "`- schedule: rate(5 minutes)`"
            : other->type == "sqs"      ? "`- sqs: arn:aws:sqs:REGION:ACCOUNT:QUEUE`"
                                        : "`- stream: arn:aws:dynamodb:...:table/T/stream/...`");
      } else {
        line = fmt::format("'{}' events of function {} run only on AWS; {}: {}", other->type, f.key,
                           type->instead, call);
      }
      out.push_back(other->mark.line > 0 ? other->mark.str() + ": " + line : line);
    }
  }
  return out;
}

}  // namespace fx::manifest
