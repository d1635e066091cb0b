#include "core/aws/dynamodb.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/aws/service.h"
#include "core/util/http_client.h"

namespace fx::aws {

using json = nlohmann::json;

namespace {

json parse_answer(const std::string& body, const char* action) {
  json answer = json::parse(body, nullptr, false);
  if (!answer.is_object())
    throw Error(
        fmt::format("DynamoDB answered {} with something that is not a JSON object", action),
        "check AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_DYNAMODB: it should be a DynamoDB "
        "endpoint");
  return answer;
}

TableDescription table_of(const json& answer, const char* key, const char* action) {
  if (!answer.contains(key) || !answer[key].is_object())
    throw Error(fmt::format("DynamoDB answered {} without {}", action, key),
                "check AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_DYNAMODB: it should be a DynamoDB "
                "endpoint");
  const json& t = answer[key];
  TableDescription d;
  d.name = t.value("TableName", "");
  d.arn = t.value("TableArn", "");
  d.status = t.value("TableStatus", "");
  if (t.contains("ItemCount") && t["ItemCount"].is_number_integer())
    d.item_count = t["ItemCount"].get<std::int64_t>();
  if (t.contains("TableSizeBytes") && t["TableSizeBytes"].is_number_integer())
    d.size_bytes = t["TableSizeBytes"].get<std::int64_t>();
  const json spec = t.value("StreamSpecification", json::object());
  if (spec.is_object() && spec.value("StreamEnabled", false)) {
    d.stream_view_type = spec.value("StreamViewType", "");
    d.stream_arn = t.value("LatestStreamArn", "");
  }
  for (const auto& index : t.value("GlobalSecondaryIndexes", json::array()))
    if (index.is_object() && index.value("IndexStatus", "ACTIVE") != "ACTIVE")
      d.indexes_active = false;
  d.json = t.dump();
  return d;
}

}  // namespace

DynamoDbClient::DynamoDbClient(const AwsSettings& settings)
    : service_(std::make_unique<AwsService>(settings, "dynamodb")) {}

DynamoDbClient::DynamoDbClient(const AwsSettings& settings, const std::string& endpoint_url,
                               std::string fx_token)
    : service_(std::make_unique<AwsService>(settings, "dynamodb", endpoint_url)),
      fx_token_(std::move(fx_token)) {}

DynamoDbClient::~DynamoDbClient() = default;

std::string DynamoDbClient::call(const char* action, const std::string& body) {
  HeaderList headers{{"X-Amz-Target", fmt::format("DynamoDB_20120810.{}", action)},
                     {"Content-Type", "application/x-amz-json-1.0"}};
  if (!fx_token_.empty()) headers.emplace_back("X-Fx-Token", fx_token_);
  return service_->request("POST", "/", headers, body).body;
}

std::vector<std::string> DynamoDbClient::list_tables() {
  std::vector<std::string> out;
  std::string last;
  do {
    json request = json::object();
    if (!last.empty()) request["ExclusiveStartTableName"] = last;
    const json answer = parse_answer(call("ListTables", request.dump()), "ListTables");
    for (const auto& name : answer.value("TableNames", json::array()))
      if (name.is_string()) out.push_back(name.get<std::string>());
    const std::string next =
        answer.contains("LastEvaluatedTableName") && answer["LastEvaluatedTableName"].is_string()
            ? answer["LastEvaluatedTableName"].get<std::string>()
            : "";
    // A page that ends where the last one did would loop forever.
    last = next == last ? "" : next;
  } while (!last.empty());
  return out;
}

std::optional<TableDescription> DynamoDbClient::describe_table(const std::string& name) {
  try {
    return table_of(
        parse_answer(call("DescribeTable", json{{"TableName", name}}.dump()), "DescribeTable"),
        "Table", "DescribeTable");
  } catch (const ApiError& e) {
    if (e.type() == "ResourceNotFoundException") return std::nullopt;
    throw;
  }
}

TableDescription DynamoDbClient::create_table(const std::string& request) {
  return table_of(parse_answer(call("CreateTable", request), "CreateTable"), "TableDescription",
                  "CreateTable");
}

TableDescription DynamoDbClient::update_table(const std::string& request) {
  return table_of(parse_answer(call("UpdateTable", request), "UpdateTable"), "TableDescription",
                  "UpdateTable");
}

bool DynamoDbClient::delete_table(const std::string& name) {
  try {
    call("DeleteTable", json{{"TableName", name}}.dump());
    return true;
  } catch (const ApiError& e) {
    if (e.type() == "ResourceNotFoundException") return false;
    throw;
  }
}

std::map<std::string, std::string> DynamoDbClient::tags(const std::string& table_arn) {
  std::map<std::string, std::string> out;
  std::string token;
  do {
    json request = {{"ResourceArn", table_arn}};
    if (!token.empty()) request["NextToken"] = token;
    const json answer =
        parse_answer(call("ListTagsOfResource", request.dump()), "ListTagsOfResource");
    for (const auto& tag : answer.value("Tags", json::array()))
      if (tag.is_object() && tag.contains("Key") && tag["Key"].is_string())
        out[tag["Key"].get<std::string>()] = tag.value("Value", "");
    token = answer.contains("NextToken") && answer["NextToken"].is_string()
                ? answer["NextToken"].get<std::string>()
                : "";
  } while (!token.empty());
  return out;
}

void DynamoDbClient::tag(const std::string& table_arn,
                         const std::map<std::string, std::string>& tags) {
  json list = json::array();
  for (const auto& [key, value] : tags) list.push_back({{"Key", key}, {"Value", value}});
  call("TagResource", json{{"ResourceArn", table_arn}, {"Tags", list}}.dump());
}

void DynamoDbClient::untag(const std::string& table_arn, const std::vector<std::string>& keys) {
  call("UntagResource", json{{"ResourceArn", table_arn}, {"TagKeys", keys}}.dump());
}

TimeToLive DynamoDbClient::time_to_live(const std::string& name) {
  const json answer = parse_answer(call("DescribeTimeToLive", json{{"TableName", name}}.dump()),
                                   "DescribeTimeToLive");
  const json d = answer.value("TimeToLiveDescription", json::object());
  TimeToLive ttl;
  if (d.is_object()) {
    ttl.status = d.value("TimeToLiveStatus", "DISABLED");
    ttl.attribute = d.value("AttributeName", "");
  }
  return ttl;
}

void DynamoDbClient::update_time_to_live(const std::string& name, const std::string& attribute,
                                         bool enabled) {
  call("UpdateTimeToLive",
       json{{"TableName", name},
            {"TimeToLiveSpecification", {{"AttributeName", attribute}, {"Enabled", enabled}}}}
           .dump());
}

bool DynamoDbClient::point_in_time_recovery(const std::string& name) {
  const json answer =
      parse_answer(call("DescribeContinuousBackups", json{{"TableName", name}}.dump()),
                   "DescribeContinuousBackups");
  const json d = answer.value("ContinuousBackupsDescription", json::object());
  const json pitr =
      d.is_object() ? d.value("PointInTimeRecoveryDescription", json::object()) : json::object();
  return pitr.is_object() && pitr.value("PointInTimeRecoveryStatus", "") == "ENABLED";
}

void DynamoDbClient::update_point_in_time_recovery(const std::string& name, bool enabled) {
  call("UpdateContinuousBackups",
       json{{"TableName", name},
            {"PointInTimeRecoverySpecification", {{"PointInTimeRecoveryEnabled", enabled}}}}
           .dump());
}

}  // namespace fx::aws
