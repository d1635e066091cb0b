// SNS's topics and subscriptions, kept in FX_HOME/sns.db (one JSON document per row) and in
// memory: every change is written through before the call that made it is answered, so they
// survive a killed emulator. Used on the emulator's I/O thread only.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace fx::sns {

using Tags = std::vector<std::pair<std::string, std::string>>;

struct Topic {
  std::string arn;
  std::string name;
  std::map<std::string, std::string> attributes;  // those set: DisplayName, FifoTopic, ...
  Tags tags;
  std::string service;  // the fx service whose deploy made it; "" for the API's
};

struct Subscription {
  std::string arn;
  std::string topic_arn;
  std::string protocol;                           // lambda, sqs
  std::string endpoint;                           // the function's or queue's ARN
  std::map<std::string, std::string> attributes;  // FilterPolicy, RawMessageDelivery, ...
  std::string service;  // the fx service whose deploy made it; "" for the API's
};

class Store {
 public:
  // Throws fx::Error when the database cannot be opened.
  explicit Store(const std::filesystem::path& db_path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::map<std::string, Topic>& topics() const { return topics_; }
  const std::map<std::string, Subscription>& subscriptions() const { return subscriptions_; }
  const Topic* topic(const std::string& arn) const;
  const Subscription* subscription(const std::string& arn) const;

  void put_topic(const Topic& topic);
  void erase_topic(const std::string& arn);  // with its subscriptions
  void put_subscription(const Subscription& subscription);
  void erase_subscription(const std::string& arn);

 private:
  struct Db;
  std::unique_ptr<Db> db_;
  std::map<std::string, Topic> topics_;                // by ARN
  std::map<std::string, Subscription> subscriptions_;  // by ARN
};

}  // namespace fx::sns
