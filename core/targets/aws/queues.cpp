// The SQS queues of `resources` (created, kept in step and deleted by fx, as CloudFormation
// would) and the queues sqs events name (looked up, never changed).
#include <cstdlib>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/aws/sqs.h"
#include "core/targets/aws/steps.h"

namespace fx::targets::aws {

std::string resource_queue_name(const manifest::Service& service, const std::string& queue) {
  for (const auto& q : service.queues)
    if (q.logical_id == queue) return q.name;
  return queue;
}

std::map<std::string, std::string> sync_resource_queues(const manifest::Service& service,
                                                        const fx::aws::AwsSettings& settings,
                                                        AwsDeploy& out) {
  std::map<std::string, std::string> arns;
  if (service.queues.empty()) return arns;
  fx::aws::SqsClient sqs(settings);
  std::vector<fx::aws::SqsClient::Queue> found;
  // First every queue, so that each dead-letter queue has an ARN for the redrive policies.
  for (const auto& q : service.queues) {
    std::map<std::string, std::string> attributes = {
        {"VisibilityTimeout", std::to_string(q.visibility_timeout_s)}};
    AwsQueue report{q.name, "unchanged"};
    auto current = sqs.describe_queue(q.name);
    if (!current) {
      if (q.name.ends_with(".fifo")) {
        attributes["FifoQueue"] = "true";
        if (q.content_based_deduplication) attributes["ContentBasedDeduplication"] = "true";
      }
      sqs.create_queue(q.name, attributes, actions::service_tags(service));
      current = sqs.describe_queue(q.name);
      if (!current) throw Error(fmt::format("SQS created queue {} but does not find it", q.name));
      report.status = "created";
    } else if (!actions::made_for(current->tags, service)) {
      report.status = "existing";
      out.warnings.push_back(fmt::format(
          "queue {} of resources exists and fx did not create it: used as it is", q.name));
    } else {
      // ContentBasedDeduplication may change on a FIFO queue (FifoQueue may not: not sent).
      if (q.name.ends_with(".fifo") && (current->attributes["ContentBasedDeduplication"] ==
                                        "true") != q.content_based_deduplication)
        attributes["ContentBasedDeduplication"] = q.content_based_deduplication ? "true" : "false";
      if (current->attributes["VisibilityTimeout"] != attributes["VisibilityTimeout"] ||
          attributes.contains("ContentBasedDeduplication")) {
        sqs.set_queue_attributes(current->url, attributes);
        report.status = "updated";
      }
    }
    arns[q.name] = current->attributes["QueueArn"];
    found.push_back(std::move(*current));
    out.queues.push_back(std::move(report));
  }
  for (std::size_t i = 0; i < service.queues.size(); ++i) {
    const auto& q = service.queues[i];
    if (out.queues[i].status == "existing") continue;
    nlohmann::json desired;  // null: no redrive
    if (q.max_receive_count > 0 && !q.dead_letter_queue.empty()) {
      auto dlq = arns.find(q.dead_letter_queue);
      std::optional<std::string> dlq_arn =
          dlq != arns.end() ? std::optional(dlq->second) : sqs.queue_arn(q.dead_letter_queue);
      if (!dlq_arn)
        throw Error(fmt::format("queue {} of resources: its dead-letter queue {} does not exist",
                                q.name, q.dead_letter_queue),
                    "declare it in resources too, or create it first");
      desired = {{"deadLetterTargetArn", *dlq_arn}, {"maxReceiveCount", q.max_receive_count}};
    }
    // As SQS has it, in the same shape (its maxReceiveCount may be a string).
    nlohmann::json now =
        nlohmann::json::parse(found[i].attributes["RedrivePolicy"], nullptr, false);
    if (now.is_object()) {
      const nlohmann::json count = now.value("maxReceiveCount", nlohmann::json());
      const int n = count.is_string()   ? std::atoi(count.get<std::string>().c_str())
                    : count.is_number() ? count.get<int>()
                                        : 0;
      now = {{"deadLetterTargetArn", now.value("deadLetterTargetArn", "")}, {"maxReceiveCount", n}};
    } else {
      now = nullptr;
    }
    if (now == desired) continue;
    // An empty RedrivePolicy is how SQS drops one.
    sqs.set_queue_attributes(found[i].url,
                             {{"RedrivePolicy", desired.is_null() ? "" : desired.dump()}});
    if (out.queues[i].status == "unchanged") out.queues[i].status = "updated";
  }
  return arns;
}

std::map<std::string, std::string> resolve_queue_arns(
    const manifest::Service& service, const std::vector<const manifest::Function*>& fs,
    const fx::aws::AwsSettings& settings) {
  std::map<std::string, std::string> out;
  std::unique_ptr<fx::aws::SqsClient> sqs;
  for (const auto* f : fs)
    for (const auto* event : manifest::events_of<manifest::SqsEvent>(f->events)) {
      const auto& e = *event;
      if (out.contains(e.queue)) continue;
      if (e.queue.starts_with("arn:")) {
        out[e.queue] = e.queue;
        continue;
      }
      std::string name = resource_queue_name(service, e.queue);
      bool from_resources = false;
      for (const auto& q : service.queues) from_resources |= q.name == name;
      if (from_resources) continue;  // created with the resources, before the functions
      if (!sqs) sqs = std::make_unique<fx::aws::SqsClient>(settings);
      auto arn = sqs->queue_arn(name);
      if (!arn)
        throw Error(fmt::format("{}: function '{}': sqs event: there is no SQS queue '{}' in {}",
                                e.mark.str(), f->key, name, settings.region),
                    fmt::format("create it first (`aws sqs create-queue --queue-name {}`), declare "
                                "it in resources (an AWS::SQS::Queue), or give the ARN of an "
                                "existing queue",
                                name));
      out[e.queue] = *arn;
    }
  return out;
}

void remove_resource_queues(const manifest::Service& service, const fx::aws::AwsSettings& settings,
                            AwsRemoval& out) {
  if (!service.queues.empty()) {
    fx::aws::SqsClient sqs(settings);
    for (const auto& q : service.queues) {
      auto current = sqs.describe_queue(q.name);
      if (!current) continue;
      if (!actions::made_for(current->tags, service)) {
        out.warnings.push_back(fmt::format("kept queue {}: fx did not create it", q.name));
        continue;
      }
      sqs.delete_queue(current->url);
      out.queues.push_back(q.name);
    }
  }
}

}  // namespace fx::targets::aws
