// The DynamoDB calls fx makes itself, over DynamoDB's JSON 1.0 protocol (X-Amz-Target
// DynamoDB_20120810.*): the tables of `resources` on AWS (created, updated, tagged, their time to
// live and backups, deleted; those the manifest dropped found among the account's) and, on either
// target, what `fx info` says of a table.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fx::aws {

struct AwsSettings;
class AwsService;

// A table as DescribeTable has it.
struct TableDescription {
  std::string name;
  std::string arn;
  std::string status;           // CREATING, ACTIVE, UPDATING, DELETING, ...
  std::int64_t item_count = 0;  // DynamoDB's count, refreshed about every six hours on AWS
  std::int64_t size_bytes = 0;
  std::string stream_arn;        // LatestStreamArn when a stream is enabled; else ""
  std::string stream_view_type;  // its StreamViewType; "" without a stream
  bool indexes_active = true;    // every global index ACTIVE (none is CREATING, UPDATING, ...)
  std::string json;              // the whole Table object, as JSON text
};

struct TimeToLive {
  std::string status;  // ENABLED, DISABLED, ENABLING, DISABLING
  std::string attribute;
};

class DynamoDbClient {
 public:
  // DynamoDB's endpoint: AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, else
  // dynamodb.REGION.amazonaws.com.
  explicit DynamoDbClient(const AwsSettings& settings);
  // Another endpoint speaking DynamoDB's API: the fx emulator's, which takes any signature
  // and, when it is shared, its token (sent as X-Fx-Token beside the signature).
  DynamoDbClient(const AwsSettings& settings, const std::string& endpoint_url,
                 std::string fx_token = "");
  ~DynamoDbClient();
  DynamoDbClient(const DynamoDbClient&) = delete;
  DynamoDbClient& operator=(const DynamoDbClient&) = delete;

  // Every table's name in the account and region, through all of ListTables' pages.
  std::vector<std::string> list_tables();
  // nullopt when there is no table of that name.
  std::optional<TableDescription> describe_table(const std::string& name);
  // `request` is CreateTable's (or UpdateTable's) request as JSON text.
  TableDescription create_table(const std::string& request);
  TableDescription update_table(const std::string& request);
  // False when there was no such table.
  bool delete_table(const std::string& name);

  std::map<std::string, std::string> tags(const std::string& table_arn);
  void tag(const std::string& table_arn, const std::map<std::string, std::string>& tags);
  void untag(const std::string& table_arn, const std::vector<std::string>& keys);

  TimeToLive time_to_live(const std::string& name);
  void update_time_to_live(const std::string& name, const std::string& attribute, bool enabled);

  bool point_in_time_recovery(const std::string& name);
  void update_point_in_time_recovery(const std::string& name, bool enabled);

 private:
  std::string call(const char* action, const std::string& body);

  std::unique_ptr<AwsService> service_;
  std::string fx_token_;
};

}  // namespace fx::aws
