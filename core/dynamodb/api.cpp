#include "core/dynamodb/api.h"

#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <random>
#include <set>

#include <fmt/format.h>

#include "core/dynamodb/errors.h"
#include "core/dynamodb/expression.h"
#include "core/dynamodb/request.h"
#include "core/dynamodb/table_schema.h"
#include "core/dynamodb/table_store.h"

namespace fx::dynamodb {

namespace rq = request;
using nlohmann::json;

namespace {

constexpr std::string_view kTargetPrefix = "DynamoDB_20120810.";
constexpr std::size_t kMaxBatchGetKeys = 100;
constexpr std::size_t kMaxBatchWriteRequests = 25;
constexpr std::size_t kMaxTransactItems = 100;
constexpr std::int64_t kMaxListTablesLimit = 100;

std::string new_request_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uint64_t a = rng(), b = rng();
  return fmt::format("{:016X}{:016X}", a, b).substr(0, 52);
}

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

DynamoResult answer_text(std::string body) {
  DynamoResult r;
  r.body = std::move(body);
  r.headers = {{"Content-Type", "application/x-amz-json-1.0"},
               {"x-amzn-RequestId", new_request_id()}};
  return r;
}

DynamoResult answer(const json& body) {
  return answer_text(dump(body));
}

DynamoResult error_answer(std::string_view prefix, const std::string& type,
                          const std::string& message, int status, const std::string& extra = "") {
  json j = extra.empty() ? json::object() : json::parse(extra);
  j["__type"] = std::string(prefix) + type;
  j["message"] = message;
  DynamoResult r = answer(j);
  r.status = status;
  return r;
}

constexpr std::string_view kDynamoPrefix = "com.amazonaws.dynamodb.v20120810#";
constexpr std::string_view kCoralPrefix = "com.amazon.coral.service#";

ValidationError invalid(const std::string& what) {
  return ValidationError("One or more parameter values were invalid: " + what);
}

// The legacy (pre-expression) parameters: fx answers them with what to use instead.
void refuse_legacy(const json& req) {
  static const std::pair<const char*, const char*> kLegacy[] = {
      {"AttributesToGet", "ProjectionExpression"},
      {"Expected", "ConditionExpression"},
      {"KeyConditions", "KeyConditionExpression"},
      {"QueryFilter", "FilterExpression"},
      {"ScanFilter", "FilterExpression"},
      {"AttributeUpdates", "UpdateExpression"},
      {"ConditionalOperator", "ConditionExpression or FilterExpression (AND, OR)"},
  };
  for (const auto& [legacy, use] : kLegacy)
    if (rq::member(req, legacy))
      throw ValidationError(fmt::format(
          "fx does not support the legacy parameter {} yet; use {} instead", legacy, use));
}

std::string required_string(const json& req, std::string_view name, std::string_view path) {
  auto v = rq::string(req, name);
  if (!v) throw rq::not_null(path);
  return *v;
}

std::string table_name_of(const json& req) {
  auto name = required_string(req, "TableName", "tableName");
  rq::check_name(name, "tableName");
  return name;
}

// An enum member, checked against its values ("Member must satisfy enum value set: [...]").
std::optional<std::string> enum_member(const json& req, std::string_view name,
                                       std::string_view path,
                                       const std::vector<std::string_view>& values) {
  auto v = rq::string(req, name);
  if (!v) return std::nullopt;
  for (auto allowed : values)
    if (*v == allowed) return v;
  std::vector<std::string_view> sorted = values;
  std::string set;
  for (std::size_t i = 0; i < sorted.size(); ++i) set += (i ? ", " : "") + std::string(sorted[i]);
  throw rq::constraint(rq::quote(*v), path, "Member must satisfy enum value set: [" + set + "]");
}

// --- Items and keys --------------------------------------------------------------------------

std::string type_text(Type t) {
  return std::string(type_name(t));
}

bool empty_scalar(const AttributeValue& v) {
  return (v.type == Type::S || v.type == Type::B) && v.text.empty();
}

void check_key_sizes(const TableSchema& t, const Item& item) {
  if (auto it = item.find(t.hash.name);
      it != item.end() && value_size(it->second) > kMaxPartitionKeySize)
    throw invalid(fmt::format("Size of hashkey has exceeded the maximum size limit of{} bytes",
                              kMaxPartitionKeySize));
  if (t.range)
    if (auto it = item.find(t.range->name);
        it != item.end() && value_size(it->second) > kMaxSortKeySize)
      throw invalid(
          fmt::format("Aggregated size of all range keys has exceeded the size limit of {} bytes",
                      kMaxSortKeySize));
}

// A Key parameter: exactly the table's key attributes, of their types.
Item key_from_json(const TableSchema& t, const json* key_json) {
  if (!key_json) throw rq::not_null("key");
  if (!key_json->is_object()) throw rq::wrong_type(*key_json, "a Map");
  Item key = item_from_json(*key_json);
  const std::size_t wanted = t.range ? 2 : 1;
  auto matches = [&](const KeyDef& k) {
    auto it = key.find(k.name);
    return it != key.end() && it->second.type == k.type;
  };
  if (key.size() != wanted || !matches(t.hash) || (t.range && !matches(*t.range)))
    throw ValidationError("The provided key element does not match the schema");
  for (const auto& [name, v] : key)
    if (empty_scalar(v))
      throw ValidationError(
          "One or more parameter values are not valid. The AttributeValue for a key attribute "
          "cannot contain an empty string value. Key: " +
          name);
  check_key_sizes(t, key);
  return key;
}

// An item about to be written: its keys, its index keys and its size, as DynamoDB checks them.
void check_item(const TableSchema& t, const Item& item, bool from_update) {
  for (const auto& k : t.key_names()) {
    const KeyDef& def = k == t.hash.name ? t.hash : *t.range;
    auto it = item.find(k);
    if (it == item.end()) throw invalid("Missing the key " + k + " in the item");
    if (it->second.type != def.type)
      throw invalid(fmt::format("Type mismatch for key {} expected: {} actual: {}", k,
                                type_text(def.type), type_text(it->second.type)));
    if (empty_scalar(it->second))
      throw ValidationError(
          "One or more parameter values are not valid. The AttributeValue for a key attribute "
          "cannot contain an empty string value. Key: " +
          k);
  }
  check_key_sizes(t, item);
  for (const auto* list : {&t.global_indexes, &t.local_indexes})
    for (const auto& index : *list)
      for (const KeyDef* k : {&index.hash, index.range ? &*index.range : nullptr}) {
        if (!k) continue;
        auto it = item.find(k->name);
        if (it == item.end()) continue;
        if (it->second.type != k->type)
          throw invalid(
              fmt::format("Type mismatch for Index Key {} Expected: {} Actual: {} IndexName: {}",
                          k->name, type_text(k->type), type_text(it->second.type), index.name));
        if (empty_scalar(it->second))
          throw ValidationError(
              from_update
                  ? "One or more parameter values are not valid. The update expression attempted "
                    "to update a secondary index key to a value that is not supported. The "
                    "AttributeValue for a key attribute cannot contain an empty string value."
                  : fmt::format("One or more parameter values are not valid. A value specified "
                                "for a secondary index key is not supported. The AttributeValue "
                                "for a key attribute cannot contain an empty string value. "
                                "IndexName: {}, IndexKey: {}",
                                index.name, k->name));
      }
  if (item_size(item) > kMaxItemSize)
    throw ValidationError(from_update ? "Item size to update has exceeded the maximum allowed size"
                                      : "Item size has exceeded the maximum allowed size");
}

Item item_param(const json& req, std::string_view name, std::string_view path) {
  const json* v = rq::member(req, name);
  if (!v) throw rq::not_null(path);
  if (!v->is_object()) throw rq::wrong_type(*v, "a Map");
  return item_from_json(*v);
}

// --- Expressions ---------------------------------------------------------------------------

// The expressions of one request (or one member of a batch or transaction) and the names and
// values they share.
struct Expressions {
  ExpressionInputs inputs;
  std::optional<Condition> condition;
  std::optional<Condition> filter;
  std::optional<Projection> projection;
  std::optional<Update> update;

  // `allowed` lists the expression parameters this operation takes.
  Expressions(const json& req, const std::vector<ExpressionKind>& allowed) {
    const json* names = rq::member(req, "ExpressionAttributeNames");
    const json* values = rq::member(req, "ExpressionAttributeValues");
    bool any = false, any_with_values = false;
    for (auto kind : allowed)
      if (rq::member(req, expression_kind_name(kind))) {
        any = true;
        any_with_values |= kind != ExpressionKind::projection;
      }
    if (names && !any)
      throw ValidationError(
          "ExpressionAttributeNames can only be specified when using expressions");
    if (values && !any_with_values)
      throw ValidationError(
          "ExpressionAttributeValues can only be specified when using expressions");
    inputs = ExpressionInputs(names, values);
  }

  std::optional<std::string> text(const json& req, ExpressionKind kind) {
    return rq::string(req, expression_kind_name(kind));
  }

  void parse(const json& req, const std::vector<ExpressionKind>& kinds) {
    for (auto kind : kinds) {
      auto t = text(req, kind);
      if (!t) continue;
      switch (kind) {
        case ExpressionKind::condition:
          condition = parse_condition(*t, inputs, ExpressionKind::condition);
          break;
        case ExpressionKind::filter:
          filter = parse_condition(*t, inputs, ExpressionKind::filter);
          break;
        case ExpressionKind::projection:
          projection = parse_projection(*t, inputs);
          break;
        case ExpressionKind::update:
          update = parse_update(*t, inputs);
          break;
        case ExpressionKind::key_condition:
          break;  // Query parses it against its key schema
      }
    }
  }
};

DynamoError condition_failed(const std::optional<Item>& old, bool return_old) {
  DynamoError e("ConditionalCheckFailedException", "The conditional request failed");
  if (return_old && old) e.extra = dump(json{{"Item", to_json(*old)}});
  return e;
}

bool return_old_on_failure(const json& req) {
  auto v = enum_member(req, "ReturnValuesOnConditionCheckFailure",
                       "returnValuesOnConditionCheckFailure", {"ALL_OLD", "NONE"});
  return v && *v == "ALL_OLD";
}

// --- Consumed capacity ---------------------------------------------------------------------

struct Capacity {
  bool wanted = false, indexes = false;
};

Capacity capacity_of(const json& req) {
  auto v = enum_member(req, "ReturnConsumedCapacity", "returnConsumedCapacity",
                       {"INDEXES", "TOTAL", "NONE"});
  return {v && *v != "NONE", v && *v == "INDEXES"};
}

double write_units(std::size_t bytes) {
  return std::max(1.0, std::ceil(static_cast<double>(bytes) / 1024.0));
}
double read_units(std::size_t bytes, bool consistent) {
  double units = std::max(1.0, std::ceil(static_cast<double>(bytes) / 4096.0));
  return consistent ? units : units / 2;
}

json consumed(const Capacity& c, const std::string& table, double units) {
  json j = {{"TableName", table}, {"CapacityUnits", units}};
  if (c.indexes) j["Table"] = {{"CapacityUnits", units}};
  return j;
}

// ConsumedCapacity of a call that touched several tables: one entry per table.
json consumed_per_table(const Capacity& c, const std::map<std::string, double>& units) {
  json list = json::array();
  for (const auto& [name, u] : units) list.push_back(consumed(c, name, u));
  return list;
}

// The TransactItems of TransactWriteItems and TransactGetItems: present, 1 to 100 of them.
const json* transact_items(const json& req) {
  const json* list = rq::list(req, "TransactItems");
  if (!list) throw rq::not_null("transactItems");
  if (list->empty() || list->size() > kMaxTransactItems)
    // DynamoDB prints the list's Java objects here; fx elides them.
    throw rq::constraint(list->empty() ? "'[]'" : "'[...]'", "transactItems",
                         list->empty() ? "Member must have length greater than or equal to 1"
                                       : "Member must have length less than or equal to 100");
  return list;
}

void return_item_collection_metrics(const json& req) {
  enum_member(req, "ReturnItemCollectionMetrics", "returnItemCollectionMetrics", {"SIZE", "NONE"});
}

// --- Operations ----------------------------------------------------------------------------

class Api {
 public:
  explicit Api(TableStore& store) : store_(store) {}

  DynamoResult run(std::string_view op, const json& req) {
    static const std::map<std::string_view, DynamoResult (Api::*)(const json&)> kOps = {
        {"CreateTable", &Api::create_table},
        {"DescribeTable", &Api::describe_table},
        {"ListTables", &Api::list_tables},
        {"UpdateTable", &Api::update_table},
        {"DeleteTable", &Api::delete_table},
        {"UpdateTimeToLive", &Api::update_ttl},
        {"DescribeTimeToLive", &Api::describe_ttl},
        {"TagResource", &Api::tag_resource},
        {"UntagResource", &Api::untag_resource},
        {"ListTagsOfResource", &Api::list_tags},
        {"PutItem", &Api::put_item},
        {"GetItem", &Api::get_item},
        {"UpdateItem", &Api::update_item},
        {"DeleteItem", &Api::delete_item},
        {"Query", &Api::query},
        {"Scan", &Api::scan},
        {"BatchGetItem", &Api::batch_get},
        {"BatchWriteItem", &Api::batch_write},
        {"TransactWriteItems", &Api::transact_write},
        {"TransactGetItems", &Api::transact_get},
        {"DescribeEndpoints", &Api::describe_endpoints},
        {"DescribeLimits", &Api::describe_limits},
    };
    auto it = kOps.find(op);
    if (it == kOps.end()) {
      DynamoError e(
          "UnknownOperationException",
          fmt::format("fx does not support the DynamoDB operation {} yet", op.substr(0, 128)));
      e.coral = true;
      throw e;
    }
    return (this->*(it->second))(req);
  }

 private:
  TableStore& store_;

  json describe_json(const TableSchema& t, std::string_view status = "ACTIVE") {
    return describe(t, store_.region(), store_.counts(t), status);
  }

  // ---- Tables

  DynamoResult create_table(const json& req) {
    TableSchema schema = schema_from_create_request(req);
    for (auto k : {"SSESpecification", "OnDemandThroughput", "WarmThroughput", "ResourcePolicy",
                   "TableClass"})
      rq::member(req, k);  // accepted and ignored: no meaning for a local table
    TableSchema created = store_.create_table(std::move(schema));
    return answer({{"TableDescription", describe_json(created)}});
  }

  DynamoResult describe_table(const json& req) {
    std::string name = table_name_of(req);
    auto t = store_.find_table(name);
    if (!t) throw table_not_found(name);
    return answer({{"Table", describe_json(*t)}});
  }

  DynamoResult list_tables(const json& req) {
    auto limit = rq::integer(req, "Limit");
    if (limit && (*limit < 1 || *limit > kMaxListTablesLimit))
      throw rq::constraint(rq::quote(std::to_string(*limit)), "limit",
                           *limit < 1 ? "Member must have value greater than or equal to 1"
                                      : "Member must have value less than or equal to 100");
    auto start = rq::string(req, "ExclusiveStartTableName");
    if (start) rq::check_name(*start, "exclusiveStartTableName");
    std::vector<std::string> names;
    bool more = false;
    for (const auto& n : store_.list_tables()) {
      if (start && n <= *start) continue;
      if (static_cast<std::int64_t>(names.size()) == limit.value_or(kMaxListTablesLimit)) {
        more = true;
        break;
      }
      names.push_back(n);
    }
    json out = {{"TableNames", names}};
    if (more) out["LastEvaluatedTableName"] = names.back();
    return answer(out);
  }

  DynamoResult update_table(const json& req) {
    std::string name = table_name_of(req);
    TableSchema t = store_.require_table(name);
    TableUpdate u = update_from_request(t, req, store_.region());
    TableSchema updated = store_.update_table(name, u);
    return answer({{"TableDescription", describe_json(updated)}});
  }

  DynamoResult delete_table(const json& req) {
    std::string name = table_name_of(req);
    if (!store_.find_table(name)) throw table_not_found(name);
    auto [t, counts] = store_.delete_table(name);
    return answer({{"TableDescription", describe(t, store_.region(), counts, "DELETING")}});
  }

  DynamoResult update_ttl(const json& req) {
    std::string name = table_name_of(req);
    const json* spec = rq::object(req, "TimeToLiveSpecification");
    if (!spec) throw rq::not_null("timeToLiveSpecification");
    auto enabled = rq::boolean(*spec, "Enabled");
    auto attribute = rq::string(*spec, "AttributeName");
    if (!enabled) throw rq::not_null("timeToLiveSpecification.enabled");
    if (!attribute) throw rq::not_null("timeToLiveSpecification.attributeName");
    if (attribute->empty() || attribute->size() > 255)
      throw rq::constraint(rq::quote(*attribute), "timeToLiveSpecification.attributeName",
                           attribute->empty()
                               ? "Member must have length greater than or equal to 1"
                               : "Member must have length less than or equal to 255");
    TableSchema t = store_.require_table(name);
    if (*enabled && !t.ttl_attribute.empty())
      throw ValidationError("TimeToLive is already enabled");
    if (!*enabled && t.ttl_attribute.empty())
      throw ValidationError("TimeToLive is already disabled");
    if (!*enabled && t.ttl_attribute != *attribute)
      throw ValidationError(
          "TimeToLive is active on a different AttributeName: current "
          "AttributeName is " +
          t.ttl_attribute);
    store_.set_ttl(name, *enabled ? *attribute : "");
    return answer(
        {{"TimeToLiveSpecification", {{"Enabled", *enabled}, {"AttributeName", *attribute}}}});
  }

  DynamoResult describe_ttl(const json& req) {
    std::string name = table_name_of(req);
    TableSchema t = store_.require_table(name);
    json d = t.ttl_attribute.empty()
                 ? json{{"TimeToLiveStatus", "DISABLED"}}
                 : json{{"TimeToLiveStatus", "ENABLED"}, {"AttributeName", t.ttl_attribute}};
    return answer({{"TimeToLiveDescription", d}});
  }

  TableSchema table_of_arn(const json& req) {
    std::string arn = required_string(req, "ResourceArn", "resourceArn");
    const std::string prefix =
        fmt::format("arn:aws:dynamodb:{}:{}:table/", store_.region(), kAccountId);
    std::string name = arn.starts_with(prefix) ? arn.substr(prefix.size()) : "";
    if (arn.size() < 1 || arn.size() > 1283)
      throw rq::constraint(rq::quote(arn), "resourceArn",
                           "Member must have length less than or equal to 1283");
    if (name.empty() || name.find('/') != std::string::npos)
      throw ValidationError("Invalid TableArn: Invalid ResourceArn provided as input " + arn);
    auto t = store_.find_table(name);
    if (!t)
      throw DynamoError("ResourceNotFoundException",
                        "Requested resource not found: ResourcArn: " + arn + " not found");
    return *t;
  }

  DynamoResult tag_resource(const json& req) {
    TableSchema t = table_of_arn(req);
    const json* tags = rq::list(req, "Tags");
    if (!tags) throw rq::not_null("tags");
    auto all = t.tags;
    for (const auto& tag : *tags) {
      if (!tag.is_object()) throw rq::wrong_type(tag, "a Structure");
      auto key = required_string(tag, "Key", "tags.member.key");
      auto value = required_string(tag, "Value", "tags.member.value");
      if (key.empty() || key.size() > 128)
        throw rq::constraint(rq::quote(key), "tags.member.key",
                             key.empty() ? "Member must have length greater than or equal to 1"
                                         : "Member must have length less than or equal to 128");
      if (value.size() > 256)
        throw rq::constraint(rq::quote(value), "tags.member.value",
                             "Member must have length less than or equal to 256");
      all[key] = value;
    }
    if (all.size() > 50) throw ValidationError("The number of tags exceeds the limit of 50");
    store_.set_tags(t.name, all);
    return answer(json::object());
  }

  DynamoResult untag_resource(const json& req) {
    TableSchema t = table_of_arn(req);
    const json* keys = rq::list(req, "TagKeys");
    if (!keys) throw rq::not_null("tagKeys");
    auto all = t.tags;
    for (const auto& k : *keys) {
      if (!k.is_string()) throw rq::wrong_type(k, "a String");
      all.erase(k.get<std::string>());
    }
    store_.set_tags(t.name, all);
    return answer(json::object());
  }

  DynamoResult list_tags(const json& req) {
    TableSchema t = table_of_arn(req);
    rq::string(req, "NextToken");
    json tags = json::array();
    for (const auto& [k, v] : t.tags) tags.push_back({{"Key", k}, {"Value", v}});
    return answer({{"Tags", tags}});
  }

  DynamoResult describe_endpoints(const json&) {
    return answer(
        {{"Endpoints", json::array({{{"Address", "localhost"}, {"CachePeriodInMinutes", 1440}}})}});
  }

  DynamoResult describe_limits(const json&) {
    return answer({{"AccountMaxReadCapacityUnits", 80000},
                   {"AccountMaxWriteCapacityUnits", 80000},
                   {"TableMaxReadCapacityUnits", 40000},
                   {"TableMaxWriteCapacityUnits", 40000}});
  }

  // ---- Single items

  DynamoResult put_item(const json& req) {
    refuse_legacy(req);
    std::string name = table_name_of(req);
    Item item = item_param(req, "Item", "item");
    auto rv = enum_member(req, "ReturnValues", "returnValues",
                          {"NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"});
    if (rv && *rv != "NONE" && *rv != "ALL_OLD")
      throw ValidationError("ReturnValues can only be ALL_OLD or NONE");
    bool return_old = return_old_on_failure(req);
    Capacity cap = capacity_of(req);
    return_item_collection_metrics(req);
    Expressions ex(req, {ExpressionKind::condition});
    ex.parse(req, {ExpressionKind::condition});
    ex.inputs.check_all_used();
    TableSchema t = store_.require_table(name);
    check_item(t, item, false);
    std::optional<Item> old;
    store_.write([&](TableStore::Writer& w) {
      old = w.get(t, encoded_key(t, item));
      if (ex.condition && !evaluate(*ex.condition, old.value_or(Item{})))
        throw condition_failed(old, return_old);
      w.put(t, old, item);
    });
    json out = json::object();
    if (rv == "ALL_OLD" && old) out["Attributes"] = to_json(*old);
    if (cap.wanted) out["ConsumedCapacity"] = consumed(cap, name, write_units(item_size(item)));
    return answer(out);
  }

  DynamoResult get_item(const json& req) {
    refuse_legacy(req);
    std::string name = table_name_of(req);
    auto consistent = rq::boolean(req, "ConsistentRead");
    Capacity cap = capacity_of(req);
    Expressions ex(req, {ExpressionKind::projection});
    ex.parse(req, {ExpressionKind::projection});
    ex.inputs.check_all_used();
    TableSchema t = store_.require_table(name);
    Item key = key_from_json(t, rq::member(req, "Key"));
    auto item = store_.get_item(t, encoded_key(t, key));
    json out = json::object();
    if (item) out["Item"] = to_json(ex.projection ? project(*ex.projection, *item) : *item);
    if (cap.wanted)
      out["ConsumedCapacity"] =
          consumed(cap, name, read_units(item ? item_size(*item) : 0, consistent.value_or(false)));
    return answer(out);
  }

  DynamoResult delete_item(const json& req) {
    refuse_legacy(req);
    std::string name = table_name_of(req);
    auto rv = enum_member(req, "ReturnValues", "returnValues",
                          {"NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"});
    if (rv && *rv != "NONE" && *rv != "ALL_OLD")
      throw ValidationError("ReturnValues can only be ALL_OLD or NONE");
    bool return_old = return_old_on_failure(req);
    Capacity cap = capacity_of(req);
    return_item_collection_metrics(req);
    Expressions ex(req, {ExpressionKind::condition});
    ex.parse(req, {ExpressionKind::condition});
    ex.inputs.check_all_used();
    TableSchema t = store_.require_table(name);
    Item key = key_from_json(t, rq::member(req, "Key"));
    std::optional<Item> old;
    store_.write([&](TableStore::Writer& w) {
      old = w.get(t, encoded_key(t, key));
      if (ex.condition && !evaluate(*ex.condition, old.value_or(Item{})))
        throw condition_failed(old, return_old);
      if (old) w.remove(t, *old);
    });
    json out = json::object();
    if (rv == "ALL_OLD" && old) out["Attributes"] = to_json(*old);
    if (cap.wanted)
      out["ConsumedCapacity"] = consumed(cap, name, write_units(old ? item_size(*old) : 0));
    return answer(out);
  }

  DynamoResult update_item(const json& req) {
    refuse_legacy(req);
    std::string name = table_name_of(req);
    auto rv = enum_member(req, "ReturnValues", "returnValues",
                          {"NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"})
                  .value_or("NONE");
    bool return_old = return_old_on_failure(req);
    Capacity cap = capacity_of(req);
    return_item_collection_metrics(req);
    Expressions ex(req, {ExpressionKind::condition, ExpressionKind::update});
    ex.parse(req, {ExpressionKind::update, ExpressionKind::condition});
    ex.inputs.check_all_used();
    TableSchema t = store_.require_table(name);
    Item key = key_from_json(t, rq::member(req, "Key"));
    if (ex.update)
      for (const auto& attr : updated_attributes(*ex.update))
        for (const auto& k : t.key_names())
          if (attr == k)
            throw invalid("Cannot update attribute " + k + ". This attribute is part of the key");
    std::optional<Item> old;
    Item next;
    store_.write([&](TableStore::Writer& w) {
      old = w.get(t, encoded_key(t, key));
      if (ex.condition && !evaluate(*ex.condition, old.value_or(Item{})))
        throw condition_failed(old, return_old);
      next = old ? *old : key;
      if (ex.update) apply_update(*ex.update, next, old.has_value());
      check_item(t, next, true);
      w.put(t, old, next);
    });
    json out = json::object();
    Item shown;
    if (rv == "ALL_OLD" && old) shown = *old;
    if (rv == "ALL_NEW") shown = next;
    if (ex.update && rv == "UPDATED_OLD" && old) shown = project(updated_paths(*ex.update), *old);
    if (ex.update && rv == "UPDATED_NEW") shown = project(updated_paths(*ex.update), next);
    if (!shown.empty()) out["Attributes"] = to_json(shown);
    if (cap.wanted) out["ConsumedCapacity"] = consumed(cap, name, write_units(item_size(next)));
    return answer(out);
  }

  // ---- Query and Scan

  struct Reading {
    TableSchema table;
    const IndexSchema* index = nullptr;
    std::string select;  // ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES, SPECIFIC_ATTRIBUTES, COUNT
    bool consistent = false;
    Capacity capacity;
  };

  // What Query and Scan share: the table or index, Select, ConsistentRead, Limit.
  Reading reading(const json& req, const Expressions& ex, PageRequest& page) {
    Reading r;
    std::string name = table_name_of(req);
    auto index_name = rq::string(req, "IndexName");
    if (index_name) rq::check_name(*index_name, "indexName");
    auto select =
        enum_member(req, "Select", "select",
                    {"ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT"});
    r.consistent = rq::boolean(req, "ConsistentRead").value_or(false);
    r.capacity = capacity_of(req);
    auto limit = rq::integer(req, "Limit");
    if (limit && *limit < 1)
      throw rq::constraint(rq::quote(std::to_string(*limit)), "limit",
                           "Member must have value greater than or equal to 1");
    page.limit = limit.value_or(0);
    r.table = store_.require_table(name);
    if (index_name) {
      r.index = r.table.index(*index_name);
      if (!r.index)
        throw ValidationError("The table does not have the specified index: " + *index_name);
      if (r.index->global && r.consistent)
        throw ValidationError("Consistent reads are not supported on global secondary indexes");
    }
    page.index = r.index;
    if (select == "SPECIFIC_ATTRIBUTES" && !ex.projection)
      throw ValidationError(
          "One or more parameter values were invalid: Select type SPECIFIC_ATTRIBUTES requires "
          "AttributesToGet or ProjectionExpression");
    // DynamoDB's words; its Query puts the validation prefix before them, its Scan does not.
    if (ex.projection && select && *select != "SPECIFIC_ATTRIBUTES")
      throw ValidationError(fmt::format(
          "{}Cannot specify the ProjectionExpression when choosing to get {}",
          rq::member(req, "KeyConditionExpression") ? "1 validation error detected: " : "",
          *select == "COUNT" ? "only the Count" : *select));
    if (select == "ALL_PROJECTED_ATTRIBUTES" && !r.index)
      throw ValidationError(
          "One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is "
          "allowed only when querying an index");
    if (select == "ALL_ATTRIBUTES" && r.index && r.index->global &&
        r.index->projection_type != "ALL")
      throw ValidationError(fmt::format(
          "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not "
          "supported for global secondary index {} because its projection type is not ALL",
          r.index->name));
    r.select = select.value_or(ex.projection ? "SPECIFIC_ATTRIBUTES"
                               : r.index     ? "ALL_PROJECTED_ATTRIBUTES"
                                             : "ALL_ATTRIBUTES");
    return r;
  }

  // ExclusiveStartKey: the table's key, plus the index's on an index.
  void start_key(const json& req, const Reading& r, PageRequest& page) {
    const json* esk = rq::member(req, "ExclusiveStartKey");
    if (!esk) return;
    if (!esk->is_object()) throw rq::wrong_type(*esk, "a Map");
    Item key = item_from_json(*esk);
    auto bad = [] {
      return ValidationError(
          "The provided starting key is invalid: The provided key element does not match the "
          "schema");
    };
    std::set<std::string> names;
    for (const auto& n : r.table.key_names()) names.insert(n);
    if (r.index) {
      names.insert(r.index->hash.name);
      if (r.index->range) names.insert(r.index->range->name);
    }
    if (key.size() != names.size()) throw bad();
    for (const auto& n : names)
      if (!key.count(n)) throw bad();
    Row after;
    try {
      EncodedKey k = encoded_key(r.table, key);
      after.pk = k.pk;
      after.sk = k.sk;
      if (r.index) {
        auto ik = encoded_index_key(*r.index, key);
        if (!ik) throw bad();
        after.ipk = ik->pk;
        after.isk = ik->sk;
      }
    } catch (const ValidationError&) {
      throw bad();
    }
    page.after = after;
  }

  // Runs the page and renders Query's and Scan's answer.
  DynamoResult read(const Reading& r, const Expressions& ex, const PageRequest& page) {
    Page result = store_.read_page(r.table, page);
    const bool count_only = r.select == "COUNT";
    // A local index answers ALL_ATTRIBUTES from the table when its projection has less.
    const bool fetch_base = r.index && !r.index->global && r.index->projection_type != "ALL" &&
                            (r.select == "ALL_ATTRIBUTES" || ex.projection);
    const bool parse = ex.filter || ex.projection || fetch_base;
    std::string items;
    std::int64_t count = 0, scanned_bytes = 0;
    for (const auto& row : result.rows) {
      scanned_bytes += row.size;
      if (!parse) {
        ++count;
        if (!count_only) (items.empty() ? items : items += ',') += row.item_json;
        continue;
      }
      std::string text = row.item_json;
      if (fetch_base)
        if (auto base = store_.item_json(r.table, {row.pk, row.sk})) text = *base;
      Item item = item_from_json(json::parse(text));
      if (ex.filter && !evaluate(*ex.filter, item)) continue;
      ++count;
      if (count_only) continue;
      if (ex.projection) item = project(*ex.projection, item);
      (items.empty() ? items : items += ',') += dump(to_json(item));
    }
    std::string out = fmt::format("{{\"Count\":{}", count);
    if (!count_only) out += ",\"Items\":[" + items + "]";
    out += fmt::format(",\"ScannedCount\":{}", result.rows.size());
    if (result.more && !result.rows.empty()) {
      const Row& last = result.rows.back();
      Item key;
      key.emplace(r.table.hash.name, decode_key(r.table.hash.type, last.pk));
      if (r.table.range) key.emplace(r.table.range->name, decode_key(r.table.range->type, last.sk));
      if (r.index) {
        key.emplace(r.index->hash.name, decode_key(r.index->hash.type, last.ipk));
        if (r.index->range)
          key.emplace(r.index->range->name, decode_key(r.index->range->type, last.isk));
      }
      out += ",\"LastEvaluatedKey\":" + dump(to_json(key));
    }
    if (r.capacity.wanted)
      out += ",\"ConsumedCapacity\":" +
             dump(consumed(r.capacity, r.table.name,
                           read_units(static_cast<std::size_t>(scanned_bytes), r.consistent)));
    out += "}";
    return answer_text(std::move(out));
  }

  // A filter may not name the keys Query reads by.
  static void check_filter_keys(const Expressions& ex, const std::vector<std::string>& keys) {
    if (!ex.filter) return;
    for (const auto& path : condition_paths(*ex.filter))
      for (const auto& k : keys)
        if (!path.empty() && !path[0].is_index && path[0].name == k)
          throw ValidationError(
              "Filter Expression can only contain non-primary key attributes: Primary key "
              "attribute: " +
              k);
  }

  DynamoResult query(const json& req) {
    refuse_legacy(req);
    Expressions ex(
        req, {ExpressionKind::key_condition, ExpressionKind::filter, ExpressionKind::projection});
    auto kc_text = rq::string(req, "KeyConditionExpression");
    if (!kc_text)
      throw ValidationError(
          "Either the KeyConditions or KeyConditionExpression parameter must be specified in "
          "the request.");
    PageRequest page;
    page.forward = rq::boolean(req, "ScanIndexForward").value_or(true);
    // The table first: the key condition is checked against its key schema.
    std::string name = table_name_of(req);
    TableSchema t = store_.require_table(name);
    auto index_name = rq::string(req, "IndexName");
    const IndexSchema* index = index_name ? t.index(*index_name) : nullptr;
    if (index_name && !index)
      throw ValidationError("The table does not have the specified index: " + *index_name);
    KeyAttribute hash{index ? index->hash.name : t.hash.name,
                      index ? index->hash.type : t.hash.type};
    std::optional<KeyAttribute> range;
    if (index ? bool(index->range) : bool(t.range)) {
      const KeyDef& k = index ? *index->range : *t.range;
      range = KeyAttribute{k.name, k.type};
    }
    KeyCondition kc =
        parse_key_condition(*kc_text, ex.inputs, hash, range, index_name.value_or(""));
    ex.parse(req, {ExpressionKind::filter, ExpressionKind::projection});
    ex.inputs.check_all_used();
    std::vector<std::string> keys{hash.name};
    if (range) keys.push_back(range->name);
    check_filter_keys(ex, keys);
    Reading r = reading(req, ex, page);
    page.partition = encode_key(kc.partition);
    if (kc.sort) {
      const auto& s = *kc.sort;
      std::string v = encode_key(s.value);
      using Op = SortKeyCondition::Op;
      switch (s.op) {
        case Op::eq:
          page.lower = PageRequest::Bound{v, true};
          page.upper = PageRequest::Bound{v, true};
          break;
        case Op::lt:
          page.upper = PageRequest::Bound{v, false};
          break;
        case Op::le:
          page.upper = PageRequest::Bound{v, true};
          break;
        case Op::gt:
          page.lower = PageRequest::Bound{v, false};
          break;
        case Op::ge:
          page.lower = PageRequest::Bound{v, true};
          break;
        case Op::between:
          if (compare(s.value, s.upper) > 0)
            throw ValidationError(
                "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be "
                "greater than or equal to lower bound; lower bound operand: AttributeValue: {" +
                type_text(s.value.type) + ":" + dump(to_json(s.value).begin().value()) +
                "}, upper bound operand: AttributeValue: {" + type_text(s.upper.type) + ":" +
                dump(to_json(s.upper).begin().value()) + "}");
          page.lower = PageRequest::Bound{v, true};
          page.upper = PageRequest::Bound{encode_key(s.upper), true};
          break;
        case Op::begins_with: {
          // S and B encode as their own bytes: the prefix's range ends before its successor.
          page.lower = PageRequest::Bound{v, true};
          std::string next = v;
          while (!next.empty() && static_cast<unsigned char>(next.back()) == 0xff) next.pop_back();
          if (!next.empty()) {
            next.back() = static_cast<char>(static_cast<unsigned char>(next.back()) + 1);
            page.upper = PageRequest::Bound{next, false};
          }
          break;
        }
      }
    }
    start_key(req, r, page);
    // A start key the key condition does not select would page through another partition (or
    // outside the sort key's range): DynamoDB refuses it.
    if (page.after) {
      const Row& a = *page.after;
      const std::string& apk = r.index ? a.ipk : a.pk;
      const std::string& ask = r.index ? a.isk : a.sk;
      bool outside = apk != *page.partition;
      if (page.lower)
        outside |= page.lower->inclusive ? ask < page.lower->key : ask <= page.lower->key;
      if (page.upper)
        outside |= page.upper->inclusive ? ask > page.upper->key : ask >= page.upper->key;
      if (outside)
        throw ValidationError(
            "The provided starting key is outside query boundaries based on provided conditions");
    }
    return read(r, ex, page);
  }

  DynamoResult scan(const json& req) {
    refuse_legacy(req);
    Expressions ex(req, {ExpressionKind::filter, ExpressionKind::projection});
    ex.parse(req, {ExpressionKind::filter, ExpressionKind::projection});
    ex.inputs.check_all_used();
    auto segment = rq::integer(req, "Segment");
    auto total = rq::integer(req, "TotalSegments");
    if (total && (*total < 1 || *total > 1000000))
      throw rq::constraint(rq::quote(std::to_string(*total)), "totalSegments",
                           *total < 1 ? "Member must have value greater than or equal to 1"
                                      : "Member must have value less than or equal to 1000000");
    if (segment && (*segment < 0 || *segment > 999999))
      throw rq::constraint(rq::quote(std::to_string(*segment)), "segment",
                           *segment < 0 ? "Member must have value greater than or equal to 0"
                                        : "Member must have value less than or equal to 999999");
    if (segment && !total)
      throw ValidationError(
          "The TotalSegments parameter is required but was not present in the request when "
          "Segment parameter is present");
    if (total && !segment)
      throw ValidationError(
          "The Segment parameter is required but was not present in the request when parameter "
          "TotalSegments is present");
    if (segment && *segment >= *total)
      throw ValidationError(fmt::format(
          "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
          "Segment: {} is not less than TotalSegments: {}",
          *segment, *total));
    PageRequest page;
    Reading r = reading(req, ex, page);
    if (total) {
      page.segment = static_cast<int>(*segment);
      page.total_segments = static_cast<int>(*total);
    }
    start_key(req, r, page);
    return read(r, ex, page);
  }

  // ---- Batches

  DynamoResult batch_get(const json& req) {
    const json* items = rq::object(req, "RequestItems");
    if (!items) throw rq::not_null("requestItems");
    if (items->empty())
      throw rq::constraint("'{}'", "requestItems",
                           "Member must have length greater than or equal to 1");
    Capacity cap = capacity_of(req);
    std::size_t total = 0;
    for (const auto& [name, spec] : items->items()) {
      if (!spec.is_object()) throw rq::wrong_type(spec, "a Structure");
      const json* keys = rq::list(spec, "Keys");
      if (!keys) throw rq::not_null("requestItems." + name + ".member.keys");
      if (keys->size() > kMaxBatchGetKeys)
        throw rq::constraint("'[...]'", "requestItems." + name + ".member.keys",
                             "Member must have length less than or equal to 100");
      if (keys->empty())
        throw rq::constraint("'[]'", "requestItems." + name + ".member.keys",
                             "Member must have length greater than or equal to 1");
      total += keys->size();
    }
    if (total > kMaxBatchGetKeys)
      throw ValidationError("Too many items requested for the BatchGetItem call");
    json responses = json::object();
    json capacity = json::array();
    for (const auto& [name, spec] : items->items()) {
      rq::check_name(name, "requestItems.key");
      refuse_legacy(spec);
      Expressions ex(spec, {ExpressionKind::projection});
      ex.parse(spec, {ExpressionKind::projection});
      ex.inputs.check_all_used();
      bool consistent = rq::boolean(spec, "ConsistentRead").value_or(false);
      auto t = store_.find_table(name);
      if (!t) throw table_not_found();
      std::set<std::pair<std::string, std::string>> seen;
      std::vector<EncodedKey> keys;
      for (const auto& k : spec["Keys"]) {
        EncodedKey key = encoded_key(*t, key_from_json(*t, &k));
        if (!seen.insert({key.pk, key.sk}).second)
          throw ValidationError("Provided list of item keys contains duplicates");
        keys.push_back(std::move(key));
      }
      json found = json::array();
      std::size_t bytes = 0;
      for (const auto& key : keys) {
        auto item = store_.get_item(*t, key);
        if (!item) continue;
        bytes += item_size(*item);
        found.push_back(to_json(ex.projection ? project(*ex.projection, *item) : *item));
      }
      responses[name] = std::move(found);
      if (cap.wanted) capacity.push_back(consumed(cap, name, read_units(bytes, consistent)));
    }
    json out = {{"Responses", responses}, {"UnprocessedKeys", json::object()}};
    if (cap.wanted) out["ConsumedCapacity"] = capacity;
    return answer(out);
  }

  DynamoResult batch_write(const json& req) {
    const json* items = rq::object(req, "RequestItems");
    if (!items) throw rq::not_null("requestItems");
    if (items->empty())
      throw rq::constraint("'{}'", "requestItems",
                           "Member must have length greater than or equal to 1");
    Capacity cap = capacity_of(req);
    return_item_collection_metrics(req);
    std::size_t total = 0;
    for (const auto& [name, list] : items->items()) {
      if (!list.is_array()) throw rq::wrong_type(list, "a List");
      total += list.size();
      if (list.empty() || total > kMaxBatchWriteRequests)
        throw ValidationError(
            "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: "
            "Map value must satisfy constraint: [Member must have length less than or equal to "
            "25, Member must have length greater than or equal to 1]");
    }
    struct Op {
      TableSchema* table;
      bool put;
      Item item;  // the item, or the key of a delete
    };
    std::map<std::string, TableSchema> tables;
    std::vector<Op> ops;
    std::set<std::tuple<std::string, std::string, std::string>> seen;
    for (const auto& [name, list] : items->items()) {
      rq::check_name(name, "requestItems.key");
      auto t = store_.find_table(name);
      if (!t) throw table_not_found();
      TableSchema& table = tables.emplace(name, *t).first->second;
      for (const auto& entry : list) {
        if (!entry.is_object()) throw rq::wrong_type(entry, "a Structure");
        const json* put = rq::object(entry, "PutRequest");
        const json* del = rq::object(entry, "DeleteRequest");
        if ((put != nullptr) == (del != nullptr))
          throw ValidationError(
              "Supplied AttributeValue has more than one datatypes set, must contain exactly one "
              "of the supported datatypes");
        Op op{&table, put != nullptr, {}};
        if (put) {
          op.item = item_param(*put, "Item", "requestItems." + name + ".member.putRequest.item");
          check_item(table, op.item, false);
        } else {
          op.item = key_from_json(table, rq::member(*del, "Key"));
        }
        EncodedKey k = encoded_key(table, op.item);
        if (!seen.insert({name, k.pk, k.sk}).second)
          throw ValidationError("Provided list of item keys contains duplicates");
        ops.push_back(std::move(op));
      }
    }
    std::map<std::string, double> units;
    store_.write([&](TableStore::Writer& w) {
      for (const auto& op : ops) {
        auto old = w.get(*op.table, encoded_key(*op.table, op.item));
        if (op.put)
          w.put(*op.table, old, op.item);
        else if (old)
          w.remove(*op.table, *old);
        units[op.table->name] += write_units(op.put ? item_size(op.item)
                                             : old  ? item_size(*old)
                                                    : 0);
      }
    });
    json out = {{"UnprocessedItems", json::object()}};
    if (cap.wanted) out["ConsumedCapacity"] = consumed_per_table(cap, units);
    return answer(out);
  }

  // ---- Transactions

  DynamoResult transact_write(const json& req) {
    const json* list = transact_items(req);
    if (auto token = rq::string(req, "ClientRequestToken");
        token && (token->empty() || token->size() > 36))
      throw rq::constraint(rq::quote(*token), "clientRequestToken",
                           "Member must have length less than or equal to 36");
    Capacity cap = capacity_of(req);
    return_item_collection_metrics(req);
    enum class Kind { check, put, update, remove };
    struct Action {
      Kind kind;
      TableSchema table;
      Item item;  // put: the item; otherwise the key
      std::unique_ptr<Expressions> ex;
      bool return_old = false;
    };
    std::vector<Action> actions;
    std::set<std::tuple<std::string, std::string, std::string>> seen;
    for (const auto& entry : *list) {
      if (!entry.is_object()) throw rq::wrong_type(entry, "a Structure");
      static const std::pair<const char*, Kind> kKinds[] = {{"ConditionCheck", Kind::check},
                                                            {"Put", Kind::put},
                                                            {"Update", Kind::update},
                                                            {"Delete", Kind::remove}};
      const json* body = nullptr;
      Kind kind = Kind::check;
      int given = 0;
      for (const auto& [k, v] : kKinds)
        if (const json* b = rq::object(entry, k)) {
          body = b;
          kind = v;
          ++given;
        }
      if (given != 1)
        throw ValidationError("TransactItems can only contain one of Check, Put, Update or Delete");
      Action a{kind, {}, {}, nullptr, false};
      std::string name = table_name_of(*body);
      refuse_legacy(*body);
      a.return_old = return_old_on_failure(*body);
      std::vector<ExpressionKind> kinds{ExpressionKind::condition};
      if (kind == Kind::update) kinds.push_back(ExpressionKind::update);
      a.ex = std::make_unique<Expressions>(*body, kinds);
      a.ex->parse(*body, {ExpressionKind::update, ExpressionKind::condition});
      a.ex->inputs.check_all_used();
      if (kind == Kind::check && !a.ex->condition)
        throw rq::not_null("transactItems.member.conditionCheck.conditionExpression");
      if (kind == Kind::update && !a.ex->update)
        throw rq::not_null("transactItems.member.update.updateExpression");
      auto t = store_.find_table(name);
      if (!t) throw table_not_found();
      a.table = *t;
      if (kind == Kind::put) {
        a.item = item_param(*body, "Item", "transactItems.member.put.item");
        check_item(a.table, a.item, false);
      } else {
        a.item = key_from_json(a.table, rq::member(*body, "Key"));
      }
      if (kind == Kind::update)
        for (const auto& attr : updated_attributes(*a.ex->update))
          for (const auto& k : a.table.key_names())
            if (attr == k)
              throw invalid("Cannot update attribute " + k + ". This attribute is part of the key");
      EncodedKey k = encoded_key(a.table, a.item);
      if (!seen.insert({name, k.pk, k.sk}).second)
        throw ValidationError("Transaction request cannot include multiple operations on one item");
      actions.push_back(std::move(a));
    }
    std::map<std::string, double> units;
    store_.write([&](TableStore::Writer& w) {
      json reasons = json::array();
      std::vector<std::string> codes;
      bool failed = false;
      for (auto& a : actions) {
        auto old = w.get(a.table, encoded_key(a.table, a.item));
        json reason = {{"Code", "None"}};
        try {
          if (a.ex->condition && !evaluate(*a.ex->condition, old.value_or(Item{}))) {
            reason = {{"Code", "ConditionalCheckFailed"},
                      {"Message", "The conditional request failed"}};
            if (a.return_old && old) reason["Item"] = to_json(*old);
          } else if (!failed) {
            switch (a.kind) {
              case Kind::check:
                break;
              case Kind::put:
                w.put(a.table, old, a.item);
                break;
              case Kind::remove:
                if (old) w.remove(a.table, *old);
                break;
              case Kind::update: {
                Item next = old ? *old : a.item;
                apply_update(*a.ex->update, next, old.has_value());
                check_item(a.table, next, true);
                w.put(a.table, old, next);
                break;
              }
            }
          }
        } catch (const ValidationError& e) {
          reason = {{"Code", "ValidationError"}, {"Message", e.what()}};
        }
        if (reason["Code"] != "None") failed = true;
        codes.push_back(reason["Code"].get<std::string>());
        reasons.push_back(std::move(reason));
        units[a.table.name] += 2 * write_units(a.kind == Kind::put ? item_size(a.item)
                                               : old               ? item_size(*old)
                                                                   : 0);
      }
      if (failed) {
        std::string list;
        for (const auto& c : codes) list += (list.empty() ? "" : ", ") + c;
        DynamoError e("TransactionCanceledException",
                      "Transaction cancelled, please refer cancellation reasons for specific "
                      "reasons [" +
                          list + "]");
        e.extra = dump(json{{"CancellationReasons", reasons}});
        throw e;
      }
    });
    json out = json::object();
    if (cap.wanted) out["ConsumedCapacity"] = consumed_per_table(cap, units);
    return answer(out);
  }

  DynamoResult transact_get(const json& req) {
    const json* list = transact_items(req);
    Capacity cap = capacity_of(req);
    struct Get {
      TableSchema table;
      EncodedKey key;
      std::unique_ptr<Expressions> ex;
    };
    std::vector<Get> gets;
    std::set<std::tuple<std::string, std::string, std::string>> seen;
    for (const auto& entry : *list) {
      if (!entry.is_object()) throw rq::wrong_type(entry, "a Structure");
      const json* body = rq::object(entry, "Get");
      if (!body) throw rq::not_null("transactItems.member.get");
      std::string name = table_name_of(*body);
      auto ex = std::make_unique<Expressions>(*body, std::vector{ExpressionKind::projection});
      ex->parse(*body, {ExpressionKind::projection});
      ex->inputs.check_all_used();
      auto t = store_.find_table(name);
      if (!t) throw table_not_found();
      EncodedKey key = encoded_key(*t, key_from_json(*t, rq::member(*body, "Key")));
      if (!seen.insert({name, key.pk, key.sk}).second)
        throw ValidationError("Transaction request cannot include multiple operations on one item");
      gets.push_back({*t, key, std::move(ex)});
    }
    json responses = json::array();
    std::map<std::string, double> units;
    for (const auto& g : gets) {
      auto item = store_.get_item(g.table, g.key);
      json r = json::object();
      if (item) r["Item"] = to_json(g.ex->projection ? project(*g.ex->projection, *item) : *item);
      units[g.table.name] += 2 * read_units(item ? item_size(*item) : 0, true);
      responses.push_back(std::move(r));
    }
    json out = {{"Responses", responses}};
    if (cap.wanted) out["ConsumedCapacity"] = consumed_per_table(cap, units);
    return answer(out);
  }
};

}  // namespace

bool is_dynamodb_target(std::string_view target) {
  return target.starts_with(kTargetPrefix);
}

DynamoResult handle_dynamodb(TableStore& store, std::string_view target, std::string_view body) {
  try {
    if (!is_dynamodb_target(target)) {
      DynamoError e("UnknownOperationException",
                    "The X-Amz-Target header names no DynamoDB operation");
      e.coral = true;
      throw e;
    }
    json req = rq::parse_body(body);
    Api api(store);
    return api.run(target.substr(kTargetPrefix.size()), req);
  } catch (...) {
    return error_result(std::current_exception());
  }
}

DynamoResult json_result(std::string body) {
  return answer_text(std::move(body));
}

DynamoResult error_result(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const DynamoError& e) {
    return error_answer(e.coral ? kCoralPrefix : kDynamoPrefix, e.type(), e.what(), e.status(),
                        e.extra);
  } catch (const ValidationError& e) {
    return error_answer(kDynamoPrefix, "ValidationException", e.what(), 400);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fx emulator: DynamoDB internal error (a bug in fx): %s\n", e.what());
    return error_answer(kDynamoPrefix, "InternalServerError",
                        "The fx emulator failed on this request (a bug in fx); its log "
                        "(FX_HOME/emulator.log) has the details",
                        500);
  } catch (...) {
    std::fprintf(stderr, "fx emulator: DynamoDB internal error (a bug in fx): not an exception\n");
    return error_answer(kDynamoPrefix, "InternalServerError",
                        "The fx emulator failed on this request (a bug in fx)", 500);
  }
}

}  // namespace fx::dynamodb
