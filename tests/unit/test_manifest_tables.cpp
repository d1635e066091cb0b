// The DynamoDB tables of `resources` (AWS::DynamoDB::Table) read as CloudFormation would create
// them, each as the CreateTable request both targets send, and `stream` events on them: every
// form the manifest may take, and every mistake an error naming its line and what to do.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "core/actions/deploy.h"
#include "core/manifest/event_types.h"
#include "core/manifest/events_json.h"
#include "core/manifest/manifest.h"
#include "tests/unit/test_manifest_helpers.h"

using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::StartsWith;
using fx::manifest::OtherEvent;
using fx::manifest::StreamEvent;
using fx::manifest::testing::TempService;
using nlohmann::json;

namespace {

// Line 9 is `Properties:` of Table; its properties follow at two more spaces.
std::string with_table(const std::string& properties, const std::string& more = "") {
  return R"yaml(service: shop
provider:
  runtime: python3.12
functions:
  api: {handler: api.main}
resources:
  Resources:
    Table:
      Type: AWS::DynamoDB::Table
      Properties:
)yaml" + properties +
         more;
}

// Errors and marks name the file by its path: what follows the service's folder.
std::string relative(const std::string& message) {
  const auto at = message.find("serverless.yaml");
  return at == std::string::npos ? message : message.substr(at);
}

// The error loading `yaml` raises, as main prints it, without the service's folder.
std::string error_of(const std::string& yaml) {
  TempService t;
  return relative(t.error(yaml).what());
}

constexpr const char* kKeyedById = R"yaml(        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
        KeySchema: [{AttributeName: id, KeyType: HASH}]
)yaml";

}  // namespace

TEST_CASE("tables: every property becomes CreateTable's, or the call AWS needs",
          "[manifest][tables]") {
  TempService t;
  t.opts["stage"] = "prod";
  const auto s = t.load(R"yaml(service: shop
provider:
  runtime: python3.12
  environment:
    TABLE: ${self:service}-${sls:stage}-orders
functions:
  api: {handler: api.main}
resources:
  Resources:
    Queue:
      Type: AWS::SQS::Queue
    Orders:
      Type: AWS::DynamoDB::Table
      DeletionPolicy: Retain
      Properties:
        TableName: ${self:provider.environment.TABLE}
        AttributeDefinitions:
          - {AttributeName: pk, AttributeType: S}
          - {AttributeName: sk, AttributeType: S}
          - {AttributeName: total, AttributeType: N}
          - {AttributeName: customer, AttributeType: S}
        KeySchema:
          - {AttributeName: pk, KeyType: HASH}
          - {AttributeName: sk, KeyType: RANGE}
        BillingMode: PAY_PER_REQUEST
        GlobalSecondaryIndexes:
          - IndexName: by-customer
            KeySchema: [{AttributeName: customer, KeyType: HASH}, {AttributeName: total, KeyType: RANGE}]
            Projection: {ProjectionType: INCLUDE, NonKeyAttributes: [status]}
            ContributorInsightsSpecification: {Enabled: true}
        LocalSecondaryIndexes:
          - IndexName: by-total
            KeySchema: [{AttributeName: pk, KeyType: HASH}, {AttributeName: total, KeyType: RANGE}]
            Projection: {ProjectionType: KEYS_ONLY}
        StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
        TimeToLiveSpecification: {AttributeName: expires, Enabled: true}
        Tags: [{Key: team, Value: shop}, {Key: cost, Value: 42}]
        SSESpecification: {SSEEnabled: true}
        PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}
        DeletionProtectionEnabled: false
        TableClass: STANDARD_INFREQUENT_ACCESS
        KinesisStreamSpecification: {StreamArn: arn:aws:kinesis:us-east-1:1:stream/x}
)yaml");
  REQUIRE(s.tables.size() == 1);
  const auto& table = s.tables[0];
  CHECK(table.logical_id == "Orders");
  CHECK(table.name == "shop-prod-orders");
  CHECK(relative(table.mark.str()) == "serverless.yaml:12:5");
  CHECK(table.ttl_attribute == "expires");
  CHECK(table.point_in_time_recovery);
  CHECK(table.retain);  // DeletionPolicy: Retain
  CHECK(table.not_deployed == std::vector<std::string>{"KinesisStreamSpecification"});
  CHECK(json::parse(table.create_json) == json::parse(R"json({
    "TableName": "shop-prod-orders",
    "AttributeDefinitions": [
      {"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"},
      {"AttributeName": "total", "AttributeType": "N"},
      {"AttributeName": "customer", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                  {"AttributeName": "sk", "KeyType": "RANGE"}],
    "BillingMode": "PAY_PER_REQUEST",
    "GlobalSecondaryIndexes": [{
      "IndexName": "by-customer",
      "KeySchema": [{"AttributeName": "customer", "KeyType": "HASH"},
                    {"AttributeName": "total", "KeyType": "RANGE"}],
      "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["status"]}}],
    "LocalSecondaryIndexes": [{
      "IndexName": "by-total",
      "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "total", "KeyType": "RANGE"}],
      "Projection": {"ProjectionType": "KEYS_ONLY"}}],
    "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    "Tags": [{"Key": "team", "Value": "shop"}, {"Key": "cost", "Value": "42"}],
    "SSESpecification": {"Enabled": true},
    "DeletionProtectionEnabled": false,
    "TableClass": "STANDARD_INFREQUENT_ACCESS"})json"));
  // The queue beside it is still read as before.
  REQUIRE(s.queues.size() == 1);
  CHECK(s.queues[0].name == "Queue");
  // Nothing of it is an unknown key.
  for (const auto& w : s.warnings) CHECK_THAT(w, !Contains("unknown key"));
}

TEST_CASE("tables: an unnamed table is SERVICE-STAGE-ID; a provisioned one keeps its capacity",
          "[manifest][tables]") {
  TempService t;
  const auto s =
      t.load(with_table(R"yaml(        AttributeDefinitions: [{AttributeName: id, AttributeType: N}]
        KeySchema: [{AttributeName: id, KeyType: HASH}]
        ProvisionedThroughput: {ReadCapacityUnits: 5, WriteCapacityUnits: '2'}
)yaml"));
  REQUIRE(s.tables.size() == 1);
  CHECK(s.tables[0].name == "shop-dev-Table");
  CHECK(s.tables[0].ttl_attribute.empty());
  CHECK_FALSE(s.tables[0].point_in_time_recovery);
  CHECK_FALSE(s.tables[0].retain);
  const auto create = json::parse(s.tables[0].create_json);
  CHECK(create["TableName"] == "shop-dev-Table");
  CHECK(create["ProvisionedThroughput"] ==
        json{{"ReadCapacityUnits", 5}, {"WriteCapacityUnits", 2}});
  CHECK_FALSE(create.contains("BillingMode"));  // PROVISIONED, CloudFormation's default
  CHECK_FALSE(create.contains("StreamSpecification"));

  // TTL switched off names no attribute.
  const auto off = t.load(with_table(std::string(kKeyedById) +
                                     "        TimeToLiveSpecification: {AttributeName: exp, "
                                     "Enabled: false}\n"));
  CHECK(off.tables.at(0).ttl_attribute.empty());
}

TEST_CASE("tables: resources as a list of maps, and a whole table from a file",
          "[manifest][tables]") {
  TempService t;
  t.write("tables.yml", R"yaml(Resources:
  Users:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: users-${sls:stage}
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
)yaml");
  t.write("other.yml", R"yaml(BillingMode: PAY_PER_REQUEST
AttributeDefinitions: [{AttributeName: k, AttributeType: B}]
KeySchema: [{AttributeName: k, KeyType: HASH}]
)yaml");
  const std::string manifest = R"yaml(service: shop
provider: {runtime: python3.12}
functions:
  api: {handler: api.main}
resources:
  - ${file(tables.yml)}
  - Resources:
      Other:
        Type: AWS::DynamoDB::Table
        Properties: ${file(other.yml)}
  - Resources:
      OnlyAwsResolves: ${cf:stack.Output}
)yaml";
  const auto s = t.load(manifest);
  REQUIRE(s.tables.size() == 2);
  CHECK(s.tables[0].name == "users-dev");
  CHECK(s.tables[1].name == "shop-dev-Other");
  CHECK(json::parse(s.tables[1].create_json)["AttributeDefinitions"][0]["AttributeType"] == "B");
  // A table whose properties come from a file that is not there.
  std::filesystem::remove(t.dir / "other.yml");
  CHECK_THAT(t.error(manifest).what(),
             Contains("resources[1].Resources.Other.Properties: cannot resolve "
                      "${file(other.yml)}: other.yml does not exist"));
}

TEST_CASE("tables: CloudFormation's functions in TableName, where fx knows the values",
          "[manifest][tables]") {
  TempService t;
  t.opts["region"] = "eu-west-1";
  auto name_of = [&](const std::string& table_name) {
    return t.load(with_table("        TableName: " + table_name + "\n" + kKeyedById))
        .tables.at(0)
        .name;
  };
  CHECK(name_of("!Sub '${AWS::StackName}-orders'") == "shop-dev-orders");
  CHECK(name_of("!Sub '${self:service}-${AWS::Region}'") == "shop-eu-west-1");
  CHECK(name_of("{'Fn::Sub': ['${Base}-x', {Base: !Ref AWS::StackName}]}") == "shop-dev-x");
  CHECK(name_of("!Join ['-', [!Ref AWS::StackName, orders, !Ref AWS::Partition]]") ==
        "shop-dev-orders-aws");
  CHECK(name_of("{'Fn::Join': ['.', [a, {Ref: 'AWS::Region'}]]}") == "a.eu-west-1");
  CHECK(name_of("{Ref: AWS::StackName}") == "shop-dev");

  const auto bad = [](const std::string& table_name) {
    return error_of(with_table("        TableName: " + table_name + "\n" + kKeyedById));
  };
  CHECK(bad("!Ref TableNameParam") ==
        "serverless.yaml:11:20: resources.Resources.Table.Properties.TableName: Ref to "
        "'TableNameParam' needs CloudFormation (a parameter or another resource), which fx does "
        "not deploy through; write the name itself, or build it with variables: "
        "${self:service}-${sls:stage}-NAME");
  CHECK_THAT(bad("!Sub '${AWS::AccountId}-t'"),
             StartsWith("serverless.yaml:11:20: resources.Resources.Table.Properties.TableName: "
                        "AWS::AccountId is not known before a deploy"));
  CHECK_THAT(bad("!GetAtt Other.Name"),
             Contains("TableName: !GetAtt needs CloudFormation, which fx does not deploy through; "
                      "write the value itself"));
  CHECK_THAT(bad("{'Fn::ImportValue': shared}"),
             Contains("TableName: Fn::ImportValue needs CloudFormation"));
  // ${!Literal} is the text ${Literal}, which DynamoDB refuses in a name.
  CHECK_THAT(bad("!Sub 'x-${!Literal}'"), Contains("'x-${Literal}' is not 3 to 255 letters"));
  CHECK_THAT(bad("!Sub '${Unclosed'"), Contains("an unclosed ${ in Fn::Sub; close it with }"));
  CHECK_THAT(bad("!Join [only-one]"),
             Contains("Fn::Join takes a delimiter and a list of values; write [DELIMITER, "
                      "[VALUE, ...]]"));
  CHECK_THAT(bad("[a, b]"), Contains("TableName: expected a string, got a list; write it as text"));
}

TEST_CASE("tables: key schema mistakes name the key and what to do", "[manifest][tables]") {
  // Line 11 is the first property; the key schema's lines follow.
  CHECK(error_of(with_table(R"yaml(        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
        KeySchema:
          - {AttributeName: pk, KeyType: HASH}
)yaml")) ==
        "serverless.yaml:14:29: resources.Resources.Table.Properties.KeySchema[0]."
        "AttributeName: 'pk' is not in AttributeDefinitions; add {AttributeName: pk, "
        "AttributeType: S} (or N, B) to AttributeDefinitions");
  CHECK(error_of(with_table(R"yaml(        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: a, AttributeType: S}, {AttributeName: b, AttributeType: S}]
        KeySchema:
          - {AttributeName: a, KeyType: HASH}
          - {AttributeName: b, KeyType: HASH}
)yaml")) ==
        "serverless.yaml:15:41: resources.Resources.Table.Properties.KeySchema[1].KeyType: "
        "two HASH keys (a table or index has one partition key); make the second KeyType: "
        "RANGE");
  CHECK(error_of(with_table(R"yaml(        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: a, AttributeType: S}]
        KeySchema: [{AttributeName: a, KeyType: RANGE}]
)yaml")) ==
        "serverless.yaml:13:49: resources.Resources.Table.Properties.KeySchema[0].KeyType: "
        "a RANGE key without a HASH key; add the partition key (KeyType: HASH) before it, or "
        "make this one HASH");
  CHECK_THAT(error_of(with_table(R"yaml(        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: a, AttributeType: S}, {AttributeName: b, AttributeType: S}]
        KeySchema: [{AttributeName: a, KeyType: RANGE}, {AttributeName: b, KeyType: HASH}]
)yaml")),
             Contains("KeySchema[1].KeyType: the HASH key must come first"));
  CHECK(error_of(with_table(R"yaml(        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: a, AttributeType: S}]
        KeySchema: [{AttributeName: a, KeyType: PARTITION}]
)yaml")) ==
        "serverless.yaml:13:49: resources.Resources.Table.Properties.KeySchema[0].KeyType: "
        "unknown KeyType 'PARTITION'; use one of HASH, RANGE");
  CHECK(error_of(with_table(R"yaml(        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: a, AttributeType: STRING}]
        KeySchema: [{AttributeName: a, KeyType: HASH}]
)yaml")) ==
        "serverless.yaml:12:66: resources.Resources.Table.Properties.AttributeDefinitions[0]."
        "AttributeType: unknown AttributeType 'STRING'; use one of S, N, B");
  CHECK(error_of(with_table(R"yaml(        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions:
          - {AttributeName: id, AttributeType: S}
          - {AttributeName: name, AttributeType: S}
        KeySchema: [{AttributeName: id, KeyType: HASH}]
)yaml")) ==
        "serverless.yaml:14:29: resources.Resources.Table.Properties.AttributeDefinitions[1]."
        "AttributeName: 'name' is defined but is no key of the table or of an index "
        "(CloudFormation refuses it); remove it from AttributeDefinitions: other attributes "
        "need no definition");
  CHECK_THAT(error_of(with_table(R"yaml(        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: a, AttributeType: S}, {AttributeName: a, AttributeType: N}]
        KeySchema: [{AttributeName: a, KeyType: HASH}]
)yaml")),
             Contains("AttributeDefinitions[1].AttributeName: 'a' is defined twice; keep one"));
  CHECK_THAT(error_of(with_table(R"yaml(        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: a, AttributeType: S}]
        KeySchema: [{AttributeName: a, KeyType: HASH}, {AttributeName: a, KeyType: RANGE}]
)yaml")),
             Contains("KeySchema[1].AttributeName: 'a' is already a key"));
  CHECK_THAT(error_of(with_table(R"yaml(        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: a, AttributeType: S}]
        KeySchema: []
)yaml")),
             Contains("KeySchema: expected one or two keys, got 0; write [{AttributeName: id, "
                      "KeyType: HASH}]"));
  CHECK_THAT(error_of(with_table(R"yaml(        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: a, AttributeType: S}]
        KeySchema: [{AttributeName: a}]
)yaml")),
             Contains("KeySchema[0]: KeyType missing; add KeyType: HASH or KeyType: RANGE"));
  CHECK(error_of(with_table("        BillingMode: PAY_PER_REQUEST\n")) ==
        "serverless.yaml:11:9: resources.Resources.Table.Properties: KeySchema missing; add "
        "KeySchema: [{AttributeName: id, KeyType: HASH}]");
  CHECK_THAT(error_of(with_table("        KeySchema: [{AttributeName: a, KeyType: HASH}]\n"
                                 "        BillingMode: PAY_PER_REQUEST\n")),
             Contains("Properties: AttributeDefinitions missing; add AttributeDefinitions:"));
  CHECK(error_of(R"yaml(service: shop
provider: {runtime: python3.12}
resources:
  Resources:
    Table:
      Type: AWS::DynamoDB::Table
)yaml") ==
        "serverless.yaml:6:7: resources.Resources.Table: a table without Properties; add "
        "Properties with KeySchema and AttributeDefinitions");
}

TEST_CASE("tables: index mistakes", "[manifest][tables]") {
  const std::string keys = R"yaml(        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions:
          - {AttributeName: pk, AttributeType: S}
          - {AttributeName: sk, AttributeType: S}
          - {AttributeName: other, AttributeType: S}
        KeySchema: [{AttributeName: pk, KeyType: HASH}, {AttributeName: sk, KeyType: RANGE}]
)yaml";
  // Line 17 is the first index entry.
  CHECK(error_of(with_table(keys + R"yaml(        LocalSecondaryIndexes:
          - IndexName: by-other
            KeySchema: [{AttributeName: other, KeyType: HASH}, {AttributeName: sk, KeyType: RANGE}]
            Projection: {ProjectionType: ALL}
)yaml")) ==
        "serverless.yaml:19:41: resources.Resources.Table.Properties.LocalSecondaryIndexes[0]."
        "KeySchema[0].AttributeName: local index by-other has HASH key 'other', the table "
        "'pk'; use the table's HASH key (a local index is one partition, sorted another way)");
  CHECK_THAT(error_of(with_table(keys + R"yaml(        LocalSecondaryIndexes:
          - IndexName: by-pk
            KeySchema: [{AttributeName: pk, KeyType: HASH}]
            Projection: {ProjectionType: ALL}
        GlobalSecondaryIndexes:
          - IndexName: by-other
            KeySchema: [{AttributeName: other, KeyType: HASH}]
            Projection: {ProjectionType: ALL}
)yaml")),
             Contains("LocalSecondaryIndexes[0].KeySchema[0].AttributeName: local index by-pk has "
                      "no RANGE key"));
  CHECK_THAT(error_of(with_table(R"yaml(        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: pk, AttributeType: S}, {AttributeName: n, AttributeType: N}]
        KeySchema: [{AttributeName: pk, KeyType: HASH}]
        LocalSecondaryIndexes:
          - IndexName: by-n
            KeySchema: [{AttributeName: pk, KeyType: HASH}, {AttributeName: n, KeyType: RANGE}]
            Projection: {ProjectionType: ALL}
)yaml")),
             Contains("LocalSecondaryIndexes[0]: local index by-n: the table has no RANGE key; "
                      "give the table a sort key, or make it a global index"));
  CHECK(error_of(with_table(keys + R"yaml(        GlobalSecondaryIndexes:
          - IndexName: by-other
            KeySchema: [{AttributeName: other, KeyType: HASH}]
            Projection: {ProjectionType: ALL}
        LocalSecondaryIndexes:
          - IndexName: by-other
            KeySchema: [{AttributeName: pk, KeyType: HASH}, {AttributeName: other, KeyType: RANGE}]
            Projection: {ProjectionType: ALL}
)yaml")) ==
        "serverless.yaml:22:13: resources.Resources.Table.Properties.LocalSecondaryIndexes[0]: "
        "two indexes are named 'by-other'; give each index its own IndexName");
  const std::string gsi = keys + R"yaml(        GlobalSecondaryIndexes:
          - IndexName: by-other
            KeySchema: [{AttributeName: other, KeyType: HASH}]
)yaml";
  CHECK(error_of(with_table(gsi)) ==
        "serverless.yaml:18:13: resources.Resources.Table.Properties.GlobalSecondaryIndexes[0]: "
        "Projection missing in index by-other; add Projection: {ProjectionType: ALL}");
  CHECK_THAT(error_of(with_table(gsi + "            Projection: {ProjectionType: INCLUDE}\n")),
             Contains("GlobalSecondaryIndexes[0].Projection.ProjectionType: ProjectionType INCLUDE "
                      "without NonKeyAttributes; list the attributes to project"));
  CHECK_THAT(error_of(with_table(gsi + "            Projection: {ProjectionType: ALL, "
                                       "NonKeyAttributes: [x]}\n")),
             Contains("Projection.NonKeyAttributes: NonKeyAttributes with ProjectionType ALL; "
                      "remove NonKeyAttributes, or use ProjectionType: INCLUDE"));
  CHECK_THAT(error_of(with_table(gsi + "            Projection: {ProjectionType: SOME}\n")),
             Contains("Projection.ProjectionType: unknown ProjectionType 'SOME'; use one of ALL, "
                      "KEYS_ONLY, INCLUDE"));
  CHECK_THAT(error_of(with_table(gsi + "            Projection: {NonKeyAttributes: [x]}\n")),
             Contains("GlobalSecondaryIndexes[0].Projection: ProjectionType missing"));
  CHECK_THAT(error_of(with_table(keys + R"yaml(        GlobalSecondaryIndexes:
          - IndexName: x
            KeySchema: [{AttributeName: other, KeyType: HASH}]
            Projection: {ProjectionType: ALL}
)yaml")),
             Contains("GlobalSecondaryIndexes[0].IndexName: 'x' is not 3 to 255 letters, digits, "
                      "'_', '-' and '.'; rename the index"));
  CHECK_THAT(error_of(with_table(keys + R"yaml(        GlobalSecondaryIndexes:
          - KeySchema: [{AttributeName: other, KeyType: HASH}]
            Projection: {ProjectionType: ALL}
)yaml")),
             Contains("GlobalSecondaryIndexes[0]: IndexName missing in a global secondary index"));
}

TEST_CASE("tables: capacity, streams, TTL, tags and other settings", "[manifest][tables]") {
  const std::string keys = R"yaml(        AttributeDefinitions:
          - {AttributeName: pk, AttributeType: S}
          - {AttributeName: g, AttributeType: S}
        KeySchema: [{AttributeName: pk, KeyType: HASH}]
)yaml";
  CHECK(error_of(
            with_table(R"yaml(        AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
        KeySchema: [{AttributeName: pk, KeyType: HASH}]
)yaml")) ==
        "serverless.yaml:11:9: resources.Resources.Table.Properties: a PROVISIONED table "
        "(CloudFormation's default) without ProvisionedThroughput; add BillingMode: "
        "PAY_PER_REQUEST, or ProvisionedThroughput: {ReadCapacityUnits: 1, WriteCapacityUnits: 1}");
  const std::string gsi = R"yaml(        GlobalSecondaryIndexes:
          - IndexName: by-g
            KeySchema: [{AttributeName: g, KeyType: HASH}]
            Projection: {ProjectionType: ALL}
)yaml";
  CHECK_THAT(error_of(with_table(keys + gsi +
                                 "        BillingMode: PAY_PER_REQUEST\n"
                                 "        ProvisionedThroughput: {ReadCapacityUnits: 1, "
                                 "WriteCapacityUnits: 1}\n")),
             Contains("Properties.ProvisionedThroughput: ProvisionedThroughput with BillingMode "
                      "PAY_PER_REQUEST; remove ProvisionedThroughput"));
  CHECK_THAT(error_of(with_table(keys + gsi +
                                 "        ProvisionedThroughput: {ReadCapacityUnits: 1, "
                                 "WriteCapacityUnits: 1}\n")),
             Contains("GlobalSecondaryIndexes[0]: index by-g of a PROVISIONED table has no "
                      "ProvisionedThroughput"));
  CHECK_THAT(error_of(with_table(keys + gsi +
                                 "        ProvisionedThroughput: {ReadCapacityUnits: 0, "
                                 "WriteCapacityUnits: 1}\n")),
             Contains("ProvisionedThroughput.ReadCapacityUnits: expected a whole number from 1 "
                      "to 2147483647, got 0"));
  CHECK_THAT(
      error_of(with_table(keys + gsi + "        ProvisionedThroughput: {ReadCapacityUnits: 1}\n")),
      Contains("Properties.ProvisionedThroughput: WriteCapacityUnits missing"));
  CHECK_THAT(error_of(with_table(keys + gsi + "        BillingMode: ON_DEMAND\n")),
             Contains("BillingMode: unknown BillingMode 'ON_DEMAND'; use one of PROVISIONED, "
                      "PAY_PER_REQUEST"));

  const std::string ok = keys + gsi + "        BillingMode: PAY_PER_REQUEST\n";
  CHECK_THAT(error_of(with_table(ok + "        StreamSpecification: {StreamViewType: ALL}\n")),
             Contains("StreamSpecification.StreamViewType: unknown StreamViewType 'ALL'; use one "
                      "of KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES"));
  CHECK_THAT(error_of(with_table(ok + "        StreamSpecification: {}\n")),
             Contains("StreamSpecification: StreamViewType missing"));
  CHECK_THAT(error_of(with_table(ok + "        TimeToLiveSpecification: {Enabled: true}\n")),
             Contains("TimeToLiveSpecification: AttributeName missing; name the attribute"));
  CHECK_THAT(error_of(with_table(ok + "        TimeToLiveSpecification: {AttributeName: x}\n")),
             Contains("TimeToLiveSpecification: Enabled missing"));
  CHECK_THAT(error_of(with_table(ok + "        Tags: [{Key: a, Value: 1}, {Key: a, Value: 2}]\n")),
             Contains("Tags[1].Key: tag 'a' is given twice; keep one"));
  CHECK_THAT(error_of(with_table(ok + "        Tags: [{Key: 'aws:x', Value: 1}]\n")),
             Contains("Tags[0].Key: tag keys starting with aws: are AWS's own"));
  CHECK_THAT(error_of(with_table(ok + "        SSESpecification: {SSEEnabled: true, "
                                      "KMSMasterKeyId: !Ref Key}\n")),
             Contains("Properties.SSESpecification: a CloudFormation function (Ref, Fn::...) fx "
                      "cannot resolve; write the value itself"));
  CHECK_THAT(error_of(with_table(ok + "        TableClass: COLD\n")),
             Contains("TableClass: unknown TableClass 'COLD'"));
  CHECK_THAT(error_of(with_table(ok + "        DeletionProtectionEnabled: {Ref: Protect}\n")),
             Contains("DeletionProtectionEnabled: a CloudFormation function"));

  CHECK(error_of(R"yaml(service: shop
provider: {runtime: python3.12}
resources:
  Resources:
    Table:
      Type: AWS::DynamoDB::Table
      DeletionPolicy: Snapshot
)yaml") ==
        "serverless.yaml:7:23: resources.Resources.Table.DeletionPolicy: unknown DeletionPolicy "
        "'Snapshot'; use one of Delete, Retain, RetainExceptOnCreate");
  CHECK(error_of(R"yaml(service: shop
provider: {runtime: python3.12}
resources:
  Resources:
    Table:
      Type: AWS::DynamoDB::Table
      UpdateReplacePolicy: Keep
)yaml") ==
        "serverless.yaml:7:28: resources.Resources.Table.UpdateReplacePolicy: unknown "
        "UpdateReplacePolicy 'Keep'; use one of Delete, Retain");

  // An unknown property is warned about, as unknown keys are.
  TempService t;
  const auto s = t.load(with_table(ok + "        Colour: blue\n"));
  bool warned = false;
  for (const auto& w : s.warnings)
    warned |=
        w.find("unknown key 'resources.Resources.Table.Properties.Colour'") != std::string::npos;
  CHECK(warned);
}

TEST_CASE("tables: names DynamoDB refuses, and two tables of one name", "[manifest][tables]") {
  CHECK(error_of(with_table("        TableName: 'my table'\n" + std::string(kKeyedById))) ==
        "serverless.yaml:11:20: resources.Resources.Table.Properties.TableName: 'my table' is not "
        "3 to 255 letters, digits, '_', '-' and '.'; rename the table");
  CHECK_THAT(error_of(with_table("        TableName: ab\n" + std::string(kKeyedById))),
             Contains("'ab' is not 3 to 255"));
  CHECK_THAT(
      error_of(with_table("        TableName: " + std::string(256, 'a') + "\n" + kKeyedById)),
      Contains("is not 3 to 255"));
  const std::string twice =
      error_of(with_table("        TableName: shop-orders\n" + std::string(kKeyedById),
                          R"yaml(    Second:
      Type: AWS::DynamoDB::Table
      Properties:
        TableName: ${self:service}-orders
        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
        KeySchema: [{AttributeName: id, KeyType: HASH}]
)yaml"));
  CHECK_THAT(twice, StartsWith("serverless.yaml:18:20: resources.Resources.Second.Properties."
                               "TableName: table 'shop-orders' is also the name of Table (at "));
  CHECK_THAT(twice, EndsWith("serverless.yaml:8:5); give each table its own TableName"));
  // A default name may collide with a given one too.
  CHECK_THAT(error_of(with_table("        TableName: shop-dev-Second\n" + std::string(kKeyedById),
                                 R"yaml(    Second:
      Type: AWS::DynamoDB::Table
      Properties:
        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
        KeySchema: [{AttributeName: id, KeyType: HASH}]
)yaml")),
             Contains("table 'shop-dev-Second' is also the name of Table"));
}

TEST_CASE("streams: each form of a dynamodb stream event", "[manifest][tables][events]") {
  TempService t;
  const auto s = t.load(R"yaml(service: shop
provider: {runtime: python3.12}
functions:
  a:
    handler: a.main
    events:
      - stream: arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2024-01-01T00:00:00.000
      - stream: !GetAtt Orders.StreamArn
      - stream:
          type: dynamodb
          arn: {'Fn::GetAtt': [Orders, StreamArn]}
          batchSize: 50
          startingPosition: LATEST
          batchWindow: 5
          maximumRetryAttempts: 2
          maximumRecordAgeInSeconds: 3600
          bisectBatchOnFunctionError: true
          functionResponseType: ReportBatchItemFailures
          parallelizationFactor: 4
          tumblingWindowInSeconds: 30
          enabled: false
          destinations:
            onFailure: {arn: !GetAtt Failed.Arn, type: sqs}
          filterPatterns:
            - eventName: [INSERT]
      - stream:
          arn: !GetAtt [Orders, StreamArn]
          maximumBatchingWindow: 1
          destinations: {onFailure: 'arn:aws:sns:us-east-1:123456789012:alerts'}
      - stream: arn:aws:kinesis:us-east-1:123456789012:stream/clicks
      - stream: {type: kinesis, arn: {'Fn::GetAtt': [Clicks, Arn]}}
resources:
  Resources:
    Orders:
      Type: AWS::DynamoDB::Table
      Properties:
        TableName: orders-table
        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
        KeySchema: [{AttributeName: id, KeyType: HASH}]
        StreamSpecification: {StreamViewType: NEW_IMAGE}
    Failed: {Type: AWS::SQS::Queue}
)yaml");
  const auto& events = s.functions.at(0).events;
  REQUIRE(events.size() == 6);
  const auto& by_arn = std::get<StreamEvent>(events[0]);
  CHECK(by_arn.arn ==
        "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2024-01-01T00:00:00.000");
  CHECK(by_arn.table.empty());
  CHECK(by_arn.batch_size == 10);  // the Serverless Framework's defaults
  CHECK(by_arn.starting_position == "TRIM_HORIZON");
  CHECK(by_arn.enabled);
  CHECK_FALSE(by_arn.max_retry_attempts);
  CHECK(fx::manifest::event_type(events[0]) == "stream");
  CHECK(fx::manifest::event_mark(events[0]).line == 7);

  CHECK(std::get<StreamEvent>(events[1]).table == "orders-table");
  CHECK(std::get<StreamEvent>(events[1]).arn.empty());

  const auto& full = std::get<StreamEvent>(events[2]);
  CHECK(full.table == "orders-table");
  CHECK(full.batch_size == 50);
  CHECK(full.starting_position == "LATEST");
  CHECK(full.batching_window_s == 5);
  CHECK(full.max_retry_attempts == 2);
  CHECK(full.max_record_age_s == 3600);
  CHECK(full.bisect_batch_on_function_error);
  CHECK(full.report_batch_item_failures);
  CHECK(full.parallelization_factor == 4);
  CHECK(full.tumbling_window_s == 30);
  CHECK_FALSE(full.enabled);
  CHECK(full.on_failure == "Failed");  // the queue's logical ID, its ARN once deployed
  CHECK(full.filter_patterns == std::vector<std::string>{R"({"eventName":["INSERT"]})"});

  const auto& sns = std::get<StreamEvent>(events[3]);
  CHECK(sns.table == "orders-table");
  CHECK(sns.batching_window_s == 1);
  CHECK(sns.on_failure == "arn:aws:sns:us-east-1:123456789012:alerts");

  // Kinesis runs only on AWS, as before: kept, and named once for the function at deploy.
  CHECK(std::get<OtherEvent>(events[4]).type == "stream");
  CHECK(std::get<OtherEvent>(events[5]).type == "stream");
  const auto notes = fx::manifest::local_event_notes(s);
  REQUIRE(notes.size() == 1);
  CHECK_THAT(notes[0], Contains("'stream' events (Kinesis) of function"));
  for (const auto& w : s.warnings) CHECK_THAT(w, !Contains("unknown key"));
}

TEST_CASE("streams: mistakes in a stream event", "[manifest][tables][events]") {
  const auto with_event = [](const std::string& event, const std::string& stream = "") {
    return R"yaml(service: shop
provider: {runtime: python3.12}
functions:
  a:
    handler: a.main
    events:
      - stream: )yaml" +
           event + R"yaml(
resources:
  Resources:
    Orders:
      Type: AWS::DynamoDB::Table
      Properties:
        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
        KeySchema: [{AttributeName: id, KeyType: HASH}]
)yaml" + stream;
  };
  const std::string stream = "        StreamSpecification: {StreamViewType: KEYS_ONLY}\n";
  CHECK(error_of(with_event("!GetAtt Orders.StreamArn")) ==
        "serverless.yaml:7:17: functions.a.events[0].stream: table Orders has no "
        "StreamSpecification");
  {
    TempService t;
    const std::string hint = t.error(with_event("!GetAtt Orders.StreamArn")).hint();
    CHECK_THAT(hint, StartsWith("add StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES} to "
                                "the Properties of Orders ("));
    CHECK(relative(hint) == "serverless.yaml:10:5)");
  }
  CHECK(error_of(with_event("!GetAtt Missing.StreamArn", stream)) ==
        "serverless.yaml:7:17: functions.a.events[0].stream: no table 'Missing' in resources (an "
        "AWS::DynamoDB::Table)");
  CHECK(error_of(with_event("{arn: {'Fn::GetAtt': [Orders, Arn]}}", stream)) ==
        "serverless.yaml:7:23: functions.a.events[0].stream.arn: Fn::GetAtt Orders.Arn is not a "
        "stream");
  CHECK_THAT(error_of(with_event("arn:aws:dynamodb:us-east-1:1:table/orders", stream)),
             StartsWith("serverless.yaml:7:17: functions.a.events[0].stream: expected a DynamoDB "
                        "stream's ARN or Fn::GetAtt: [Table, StreamArn], got "));
  CHECK_THAT(error_of(with_event("{arn: !Ref StreamParam}", stream)),
             Contains("functions.a.events[0].stream.arn: expected a DynamoDB stream's ARN"));
  CHECK_THAT(error_of(with_event("{batchSize: 5}", stream)),
             Contains("functions.a.events[0].stream: expected a stream's ARN, or {type: "
                      "dynamodb, arn, batchSize, ...}"));
  const std::string arn = "{arn: !GetAtt Orders.StreamArn, ";
  CHECK_THAT(error_of(with_event(arn + "type: dynamo}", stream)),
             Contains("stream.type: expected dynamodb or kinesis, got \"dynamo\""));
  CHECK_THAT(error_of(with_event(arn + "batchSize: 0}", stream)),
             Contains("stream.batchSize: expected an integer from 1 to 10000, got 0"));
  CHECK_THAT(error_of(with_event(arn + "startingPosition: AT_TIMESTAMP}", stream)),
             Contains("stream.startingPosition: expected LATEST or TRIM_HORIZON"));
  CHECK_THAT(error_of(with_event(arn + "batchWindow: 301}", stream)),
             Contains("stream.batchWindow: expected an integer from 0 to 300 (seconds)"));
  CHECK_THAT(error_of(with_event(arn + "maximumRetryAttempts: -2}", stream)),
             Contains("stream.maximumRetryAttempts: expected an integer from -1 to 10000"));
  CHECK_THAT(error_of(with_event(arn + "maximumRecordAgeInSeconds: 30}", stream)),
             Contains("stream.maximumRecordAgeInSeconds: expected -1 (forever) or 60 to 604800"));
  CHECK_THAT(error_of(with_event(arn + "parallelizationFactor: 11}", stream)),
             Contains("stream.parallelizationFactor: expected an integer from 1 to 10"));
  CHECK_THAT(error_of(with_event(arn + "functionResponseType: Partial}", stream)),
             Contains("stream.functionResponseType: expected ReportBatchItemFailures"));
  CHECK_THAT(error_of(with_event(arn + "bisectBatchOnFunctionError: maybe}", stream)),
             Contains("stream.bisectBatchOnFunctionError: expected true or false"));
  CHECK_THAT(error_of(with_event(arn + "destinations: {onFailure: my-queue}}", stream)),
             Contains("stream.destinations.onFailure: expected an SQS queue's or SNS topic's ARN, "
                      "or Fn::GetAtt: [Queue, Arn]"));
  CHECK_THAT(error_of(with_event(arn + "filterPatterns: [{eventName: INSERT}]}", stream)),
             Contains("stream.filterPatterns[0]"));
}

TEST_CASE("tables and streams: in the emulator's document, and back",
          "[manifest][tables][events]") {
  TempService t;
  const auto s = t.load(R"yaml(service: shop
provider: {runtime: python3.12}
functions:
  a:
    handler: a.main
    events:
      - stream:
          arn: !GetAtt Orders.StreamArn
          batchSize: 7
          startingPosition: LATEST
          maximumRetryAttempts: 0
          destinations: {onFailure: 'arn:aws:sqs:us-east-1:000000000000:failed'}
          filterPatterns: [{eventName: [REMOVE]}]
      - stream: arn:aws:dynamodb:us-east-1:000000000000:table/x/stream/2024-01-01T00:00:00.000
resources:
  Resources:
    Orders:
      Type: AWS::DynamoDB::Table
      DeletionPolicy: Retain
      Properties:
        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
        KeySchema: [{AttributeName: id, KeyType: HASH}]
        StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
        TimeToLiveSpecification: {AttributeName: ttl, Enabled: true}
)yaml");
  const auto doc = fx::actions::service_events(s);
  CHECK(doc.tables.at(0).retain);
  REQUIRE(doc.tables.size() == 1);
  CHECK(doc.tables[0].name == "shop-dev-Orders");
  CHECK(doc.tables[0].create_json == s.tables[0].create_json);
  CHECK(doc.tables[0].ttl_attribute == "ttl");
  const std::string text = fx::manifest::to_json(doc);
  INFO(text);
  const auto j = json::parse(text);
  CHECK(j["tables"][0]["create"]["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES");
  CHECK(j["streams"].size() == 2);
  const auto back = fx::manifest::parse_service_events(text);
  CHECK(fx::manifest::to_json(back) == text);
  REQUIRE(back.tables.size() == 1);
  CHECK(json::parse(back.tables[0].create_json) == json::parse(s.tables[0].create_json));
  CHECK(back.tables[0].ttl_attribute == "ttl");
  CHECK(back.tables[0].retain);  // the emulator keeps it when the service is removed
  REQUIRE(back.functions.at(0).events.size() == 2);
  const auto& e = std::get<StreamEvent>(back.functions[0].events[0]);
  CHECK(e.table == "shop-dev-Orders");
  CHECK(e.batch_size == 7);
  CHECK(e.starting_position == "LATEST");
  CHECK(e.max_retry_attempts == 0);
  CHECK(e.on_failure == "arn:aws:sqs:us-east-1:000000000000:failed");
  CHECK(e.filter_patterns == std::vector<std::string>{R"({"eventName":["REMOVE"]})"});
  CHECK(std::get<StreamEvent>(back.functions[0].events[1]).arn.starts_with("arn:aws:dynamodb:"));

  // A document fx did not write.
  CHECK_THROWS_WITH(fx::manifest::parse_service_events(R"({"tables":[{"name":"t"}]})"),
                    Contains("table t has no CreateTable request"));
  CHECK_THROWS_WITH(fx::manifest::parse_service_events(R"({"streams":[{"function":"f"}]})"),
                    Contains("a stream names either an arn or a table"));
}
