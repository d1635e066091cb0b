#include "core/dynamodb/table_schema.h"

#include <algorithm>
#include <chrono>
#include <set>

#include <fmt/format.h>

#include "core/dynamodb/request.h"

namespace fx::dynamodb {

using nlohmann::json;
namespace rq = request;

namespace {

constexpr std::size_t kMaxGlobalIndexes = 20;
constexpr std::size_t kMaxLocalIndexes = 5;
constexpr std::size_t kMaxProjectedAttributes = 100;

ValidationError invalid(const std::string& what) {
  return ValidationError("One or more parameter values were invalid: " + what);
}

// "[a, b]" as DynamoDB lists names in its messages.
std::string name_list(const std::vector<std::string>& names) {
  std::string out = "[";
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out + "]";
}

struct KeyElement {
  std::string name, key_type;
};

// A KeySchema list at `path` ("keySchema", "globalSecondaryIndexes.1.member.keySchema").
std::vector<KeyElement> key_schema(const json& obj, const std::string& path) {
  const json* list = rq::list(obj, "KeySchema");
  if (!list) throw rq::not_null(path);
  if (list->empty())
    throw rq::constraint("'[]'", path, "Member must have length greater than or equal to 1");
  std::vector<KeyElement> out;
  int n = 0;
  for (const auto& e : *list) {
    ++n;
    if (!e.is_object()) throw rq::wrong_type(e, "a Structure");
    std::string at = fmt::format("{}.{}.member", path, n);
    auto name = rq::string(e, "AttributeName");
    auto type = rq::string(e, "KeyType");
    if (!name) throw rq::not_null(at + ".attributeName");
    if (!type) throw rq::not_null(at + ".keyType");
    if (name->empty() || name->size() > 255)
      throw rq::constraint(rq::quote(*name), at + ".attributeName",
                           name->empty() ? "Member must have length greater than or equal to 1"
                                         : "Member must have length less than or equal to 255");
    if (*type != "HASH" && *type != "RANGE")
      throw rq::constraint(rq::quote(*type), at + ".keyType",
                           "Member must satisfy enum value set: [HASH, RANGE]");
    out.push_back({*name, *type});
  }
  if (out.size() > 2) {
    std::string shown;
    for (const auto& k : out)
      shown += fmt::format("{}KeySchemaElement(attributeName={}, keyType={})",
                           shown.empty() ? "" : ", ", k.name, k.key_type);
    throw rq::constraint("'[" + shown + "]'", path,
                         "Member must have length less than or equal to 2");
  }
  return out;
}

// Checks the order of HASH and RANGE, and names the two keys.
std::pair<std::string, std::string> hash_and_range(const std::vector<KeyElement>& keys,
                                                   const std::string& where) {
  if (keys[0].key_type != "HASH")
    throw ValidationError("Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
  if (keys.size() == 2) {
    if (keys[1].key_type != "RANGE")
      throw ValidationError(
          "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
    if (keys[0].name == keys[1].name)
      throw ValidationError(
          where +
          "Both the Hash Key and the Range Key element in the KeySchema have the same name");
    return {keys[0].name, keys[1].name};
  }
  return {keys[0].name, ""};
}

std::pair<std::int64_t, std::int64_t> throughput(const json& t, const std::string& path) {
  auto rcu = rq::integer(t, "ReadCapacityUnits");
  auto wcu = rq::integer(t, "WriteCapacityUnits");
  if (!rcu) throw rq::not_null(path + ".readCapacityUnits");
  if (!wcu) throw rq::not_null(path + ".writeCapacityUnits");
  if (*rcu < 1)
    throw rq::constraint(rq::quote(std::to_string(*rcu)), path + ".readCapacityUnits",
                         "Member must have value greater than or equal to 1");
  if (*wcu < 1)
    throw rq::constraint(rq::quote(std::to_string(*wcu)), path + ".writeCapacityUnits",
                         "Member must have value greater than or equal to 1");
  return {*rcu, *wcu};
}

std::vector<std::pair<std::string, Type>> attribute_definitions(const json& request) {
  const json* list = rq::list(request, "AttributeDefinitions");
  std::vector<std::pair<std::string, Type>> out;
  if (!list) return out;
  int n = 0;
  for (const auto& e : *list) {
    ++n;
    if (!e.is_object()) throw rq::wrong_type(e, "a Structure");
    std::string at = fmt::format("attributeDefinitions.{}.member", n);
    auto name = rq::string(e, "AttributeName");
    auto type = rq::string(e, "AttributeType");
    if (!name) throw rq::not_null(at + ".attributeName");
    if (!type) throw rq::not_null(at + ".attributeType");
    Type t;
    if (*type != "S" && *type != "N" && *type != "B")
      throw rq::constraint(rq::quote(*type), at + ".attributeType",
                           "Member must satisfy enum value set: [B, N, S]");
    type_from_name(*type, t);
    for (const auto& [existing, _] : out)
      if (existing == *name)
        throw invalid("Duplicate AttributeName in AttributeDefinitions: " + *name);
    out.emplace_back(*name, t);
  }
  return out;
}

// A GlobalSecondaryIndexes / LocalSecondaryIndexes member (or a GSI update's Create).
IndexSchema index_from_json(const json& e, bool global, const std::string& path) {
  if (!e.is_object()) throw rq::wrong_type(e, "a Structure");
  IndexSchema index;
  index.global = global;
  auto name = rq::string(e, "IndexName");
  if (!name) throw rq::not_null(path + ".indexName");
  rq::check_name(*name, path + ".indexName");
  index.name = *name;
  auto keys = key_schema(e, path + ".keySchema");
  auto [hash, range] = hash_and_range(keys, "");
  index.hash.name = hash;
  if (!range.empty()) index.range = KeyDef{range, Type::S};
  const json* projection = rq::object(e, "Projection");
  if (!projection) throw rq::not_null(path + ".projection");
  auto type = rq::string(*projection, "ProjectionType");
  const json* non_key = rq::list(*projection, "NonKeyAttributes");
  if (!type) {
    // DynamoDB takes a projection without a type as ALL only when nothing else is given.
    if (non_key) throw invalid("Unknown ProjectionType: null");
    type = "ALL";
  }
  if (*type != "ALL" && *type != "KEYS_ONLY" && *type != "INCLUDE")
    throw rq::constraint(rq::quote(*type), path + ".projection.projectionType",
                         "Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]");
  index.projection_type = *type;
  if (*type == "INCLUDE" && (!non_key || non_key->empty()))
    throw invalid("ProjectionType is INCLUDE, but NonKeyAttributes is not specified");
  if (*type != "INCLUDE" && non_key)
    throw invalid("ProjectionType is " + *type + ", but NonKeyAttributes is specified");
  if (non_key) {
    if (non_key->size() > kMaxProjectedAttributes)
      throw invalid("The number of projected attributes in all indexes exceeds the limit of 100");
    std::set<std::string> seen;
    for (const auto& a : *non_key) {
      if (!a.is_string()) throw rq::wrong_type(a, "a String");
      if (!seen.insert(a.get<std::string>()).second)
        throw invalid("Duplicate NonKeyAttribute: " + a.get<std::string>());
      index.non_key_attributes.push_back(a.get<std::string>());
    }
  }
  if (const json* t = rq::object(e, "ProvisionedThroughput")) {
    auto [r, w] = throughput(*t, path + ".provisionedThroughput");
    index.read_capacity = r;
    index.write_capacity = w;
  }
  return index;
}

Type defined_type(const std::vector<std::pair<std::string, Type>>& defs, const std::string& name,
                  bool& found) {
  for (const auto& [n, t] : defs)
    if (n == name) {
      found = true;
      return t;
    }
  found = false;
  return Type::S;
}

std::string new_uuid() {
  static thread_local std::uint64_t state = [] {
    std::uint64_t seed =
        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    return seed ^ 0x9e3779b97f4a7c15ULL;
  }();
  auto next = [] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  std::uint64_t a = next(), b = next();
  return fmt::format("{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xfff,
                     0x8000 | ((b >> 48) & 0x3fff), b & 0xffffffffffffULL);
}

json key_schema_json(const KeyDef& hash, const std::optional<KeyDef>& range) {
  json out = json::array({{{"AttributeName", hash.name}, {"KeyType", "HASH"}}});
  if (range) out.push_back({{"AttributeName", range->name}, {"KeyType", "RANGE"}});
  return out;
}

json projection_json(const IndexSchema& index) {
  json p = {{"ProjectionType", index.projection_type}};
  if (index.projection_type == "INCLUDE") p["NonKeyAttributes"] = index.non_key_attributes;
  return p;
}

// Resolves the types of an index's keys and checks them against the definitions.
void type_index_keys(IndexSchema& index, const std::vector<std::pair<std::string, Type>>& defs,
                     std::vector<std::string>& missing) {
  bool found = false;
  index.hash.type = defined_type(defs, index.hash.name, found);
  if (!found) missing.push_back(index.hash.name);
  if (index.range) {
    index.range->type = defined_type(defs, index.range->name, found);
    if (!found) missing.push_back(index.range->name);
  }
}

// What DynamoDB reports as a table's (or index's) warm throughput: an on-demand table's
// starting capacity, or a provisioned one's capacity.
json warm_throughput(bool pay_per_request, std::int64_t rcu, std::int64_t wcu) {
  return {{"ReadUnitsPerSecond", pay_per_request ? 12000 : rcu},
          {"WriteUnitsPerSecond", pay_per_request ? 4000 : wcu},
          {"Status", "ACTIVE"}};
}

}  // namespace

const IndexSchema* TableSchema::index(std::string_view name) const {
  for (const auto* list : {&global_indexes, &local_indexes})
    for (const auto& i : *list)
      if (i.name == name) return &i;
  return nullptr;
}

std::vector<std::string> TableSchema::key_names() const {
  std::vector<std::string> out{hash.name};
  if (range) out.push_back(range->name);
  return out;
}

TableSchema schema_from_create_request(const json& request) {
  TableSchema s;
  // Read in the order DynamoDB reports problems: the members' own constraints first.
  auto name = rq::string(request, "TableName");
  if (!name) throw rq::not_null("tableName");
  rq::check_name(*name, "tableName");
  s.name = *name;
  const json* attr_list = rq::list(request, "AttributeDefinitions");
  auto keys = key_schema(request, "keySchema");
  if (!attr_list) throw rq::not_null("attributeDefinitions");
  s.attribute_definitions = attribute_definitions(request);

  auto billing = rq::string(request, "BillingMode");
  if (billing && *billing != "PROVISIONED" && *billing != "PAY_PER_REQUEST")
    throw rq::constraint(rq::quote(*billing), "billingMode",
                         "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]");
  s.pay_per_request = billing && *billing == "PAY_PER_REQUEST";
  const json* t = rq::object(request, "ProvisionedThroughput");
  if (s.pay_per_request && t)
    throw invalid(
        "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is "
        "PAY_PER_REQUEST");
  if (!s.pay_per_request) {
    if (!t)
      throw invalid(
          "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is "
          "PROVISIONED");
    std::tie(s.read_capacity, s.write_capacity) = throughput(*t, "provisionedThroughput");
  }

  auto [hash, range] = hash_and_range(keys, "");
  s.hash.name = hash;
  if (!range.empty()) s.range = KeyDef{range, Type::S};

  const json* gsis = rq::list(request, "GlobalSecondaryIndexes");
  const json* lsis = rq::list(request, "LocalSecondaryIndexes");
  if (gsis && gsis->empty()) throw invalid("List of GlobalSecondaryIndexes is empty");
  if (lsis && lsis->empty()) throw invalid("List of LocalSecondaryIndexes is empty");
  std::set<std::string> index_names;
  int n = 0;
  for (const auto& e : gsis ? *gsis : json::array()) {
    auto index = index_from_json(e, true, fmt::format("globalSecondaryIndexes.{}.member", ++n));
    if (!index_names.insert(index.name).second)
      throw invalid("Duplicate index name: " + index.name);
    if (s.pay_per_request && index.read_capacity)
      throw invalid("ProvisionedThroughput should not be specified for index: " + index.name +
                    " when BillingMode is PAY_PER_REQUEST");
    if (!s.pay_per_request && !index.read_capacity)
      throw invalid("ProvisionedThroughput must be specified for index: " + index.name);
    s.global_indexes.push_back(std::move(index));
  }
  n = 0;
  for (const auto& e : lsis ? *lsis : json::array()) {
    auto index = index_from_json(e, false, fmt::format("localSecondaryIndexes.{}.member", ++n));
    if (!index_names.insert(index.name).second)
      throw invalid("Duplicate index name: " + index.name);
    if (!s.range)
      throw invalid(
          "Table KeySchema does not have a range key, which is required when specifying a "
          "LocalSecondaryIndex");
    if (!index.range)
      throw invalid("Index KeySchema does not have a range key for index: " + index.name);
    if (index.hash.name != s.hash.name)
      throw invalid(
          "Index KeySchema does not have the same leading hash key as table KeySchema "
          "for index: " +
          index.name + ". index hash key: " + index.hash.name + ", table hash key: " + s.hash.name);
    s.local_indexes.push_back(std::move(index));
  }
  if (s.global_indexes.size() > kMaxGlobalIndexes)
    throw invalid("GlobalSecondaryIndex count exceeds the per-table limit of 20");
  if (s.local_indexes.size() > kMaxLocalIndexes)
    throw invalid("LocalSecondaryIndex count exceeds the per-table limit of 5");

  // Every key attribute defined, and every definition used.
  std::vector<std::string> expected{s.hash.name};
  if (s.range) expected.push_back(s.range->name);
  for (const auto* list : {&s.global_indexes, &s.local_indexes})
    for (const auto& i : *list) {
      expected.push_back(i.hash.name);
      if (i.range) expected.push_back(i.range->name);
    }
  std::sort(expected.begin(), expected.end());
  expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
  std::vector<std::string> actual;
  for (const auto& [a, _] : s.attribute_definitions) actual.push_back(a);
  std::sort(actual.begin(), actual.end());
  const bool has_indexes = gsis || lsis;
  if (actual != expected) {
    std::vector<std::string> missing;
    std::set_difference(expected.begin(), expected.end(), actual.begin(), actual.end(),
                        std::back_inserter(missing));
    if (missing.empty()) {
      if (has_indexes)
        throw invalid("Some AttributeDefinitions are not used. AttributeDefinitions: " +
                      name_list(actual) + ", keys used: " + name_list(expected));
      throw invalid(
          "Number of attributes in KeySchema does not exactly match number of attributes "
          "defined in AttributeDefinitions");
    }
    if (!has_indexes && actual.size() < expected.size())
      throw ValidationError("Invalid KeySchema: Some index key attribute have no definition");
    throw invalid("Some index key attributes are not defined in AttributeDefinitions. Keys: " +
                  name_list(missing) + ", AttributeDefinitions: " + name_list(actual));
  }
  std::vector<std::string> ignored;
  bool found = false;
  s.hash.type = defined_type(s.attribute_definitions, s.hash.name, found);
  if (s.range) s.range->type = defined_type(s.attribute_definitions, s.range->name, found);
  for (auto* list : {&s.global_indexes, &s.local_indexes})
    for (auto& i : *list) type_index_keys(i, s.attribute_definitions, ignored);

  if (const json* stream = rq::object(request, "StreamSpecification")) {
    auto enabled = rq::boolean(*stream, "StreamEnabled");
    auto view = rq::string(*stream, "StreamViewType");
    if (!enabled) throw rq::not_null("streamSpecification.streamEnabled");
    if (view && *view != "NEW_IMAGE" && *view != "OLD_IMAGE" && *view != "NEW_AND_OLD_IMAGES" &&
        *view != "KEYS_ONLY")
      throw rq::constraint(rq::quote(*view), "streamSpecification.streamViewType",
                           "Member must satisfy enum value set: [NEW_IMAGE, OLD_IMAGE, "
                           "NEW_AND_OLD_IMAGES, KEYS_ONLY]");
    if (*enabled && !view)
      throw invalid("StreamSpecification: StreamViewType is required when StreamEnabled is true");
    if (!*enabled && view)
      throw invalid(
          "StreamSpecification: StreamViewType cannot be specified when StreamEnabled "
          "is false");
    s.stream_enabled = *enabled;
    if (view) s.stream_view_type = *view;
  }
  if (auto p = rq::boolean(request, "DeletionProtectionEnabled")) s.deletion_protection = *p;
  if (const json* tags = rq::list(request, "Tags")) {
    for (const auto& tag : *tags) {
      if (!tag.is_object()) throw rq::wrong_type(tag, "a Structure");
      auto key = rq::string(tag, "Key");
      auto value = rq::string(tag, "Value");
      if (!key) throw rq::not_null("tags.member.key");
      if (!value) throw rq::not_null("tags.member.value");
      s.tags[*key] = *value;
    }
  }
  return s;
}

TableUpdate update_from_request(const TableSchema& table, const json& request) {
  TableUpdate u;
  auto billing = rq::string(request, "BillingMode");
  if (billing && *billing != "PROVISIONED" && *billing != "PAY_PER_REQUEST")
    throw rq::constraint(rq::quote(*billing), "billingMode",
                         "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]");
  if (billing) u.pay_per_request = *billing == "PAY_PER_REQUEST";
  const bool ppr = u.pay_per_request.value_or(table.pay_per_request);
  if (const json* t = rq::object(request, "ProvisionedThroughput")) {
    if (ppr)
      throw invalid(
          "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode "
          "is PAY_PER_REQUEST");
    u.throughput = throughput(*t, "provisionedThroughput");
  } else if (billing && !ppr && table.pay_per_request) {
    throw invalid(
        "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is "
        "PROVISIONED");
  }
  u.attribute_definitions = attribute_definitions(request);
  if (const json* updates = rq::list(request, "GlobalSecondaryIndexUpdates")) {
    int n = 0;
    for (const auto& e : *updates) {
      ++n;
      if (!e.is_object()) throw rq::wrong_type(e, "a Structure");
      std::string at = fmt::format("globalSecondaryIndexUpdates.{}.member", n);
      if (const json* c = rq::object(e, "Create")) {
        auto index = index_from_json(*c, true, at + ".create");
        if (table.index(index.name))
          throw invalid("Attempting to create an index which already exists");
        if (ppr && index.read_capacity)
          throw invalid("ProvisionedThroughput should not be specified for index: " + index.name +
                        " when BillingMode is PAY_PER_REQUEST");
        if (!ppr && !index.read_capacity)
          throw invalid("ProvisionedThroughput must be specified for index: " + index.name);
        auto defs = table.attribute_definitions;
        for (const auto& d : u.attribute_definitions) {
          bool found = false;
          Type t = defined_type(defs, d.first, found);
          if (found && t != d.second)
            throw invalid("Cannot change the type of an existing attribute definition: " + d.first);
          if (!found) defs.push_back(d);
        }
        std::vector<std::string> missing;
        type_index_keys(index, defs, missing);
        if (!missing.empty())
          throw invalid(
              "Some index key attributes are not defined in AttributeDefinitions. "
              "Keys: " +
              name_list(missing) + ", AttributeDefinitions: " + name_list([&] {
                std::vector<std::string> names;
                for (const auto& [dn, _] : u.attribute_definitions) names.push_back(dn);
                return names;
              }()));
        u.create_indexes.push_back(std::move(index));
      } else if (const json* d = rq::object(e, "Delete")) {
        auto name = rq::string(*d, "IndexName");
        if (!name) throw rq::not_null(at + ".delete.indexName");
        const IndexSchema* index = table.index(*name);
        if (!index || !index->global)
          throw DynamoError("ResourceNotFoundException",
                            "Requested resource not found: Index: " + *name + " not found");
        u.delete_indexes.push_back(*name);
      } else if (const json* up = rq::object(e, "Update")) {
        auto name = rq::string(*up, "IndexName");
        if (!name) throw rq::not_null(at + ".update.indexName");
        const IndexSchema* index = table.index(*name);
        if (!index || !index->global)
          throw DynamoError("ResourceNotFoundException",
                            "Requested resource not found: Index: " + *name + " not found");
        const json* t = rq::object(*up, "ProvisionedThroughput");
        if (!t) throw rq::not_null(at + ".update.provisionedThroughput");
        u.update_indexes.emplace_back(*name, throughput(*t, at + ".update.provisionedThroughput"));
      } else {
        throw ValidationError(
            "One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Create, "
            "GlobalSecondaryIndexUpdate.Update, or GlobalSecondaryIndexUpdate.Delete must be "
            "specified");
      }
    }
    if (u.create_indexes.size() + u.delete_indexes.size() > 1)
      throw invalid("Only one global secondary index update per index is allowed simultaneously");
  }
  if (const json* stream = rq::object(request, "StreamSpecification")) {
    auto enabled = rq::boolean(*stream, "StreamEnabled");
    auto view = rq::string(*stream, "StreamViewType");
    if (!enabled) throw rq::not_null("streamSpecification.streamEnabled");
    if (view && *view != "NEW_IMAGE" && *view != "OLD_IMAGE" && *view != "NEW_AND_OLD_IMAGES" &&
        *view != "KEYS_ONLY")
      throw rq::constraint(rq::quote(*view), "streamSpecification.streamViewType",
                           "Member must satisfy enum value set: [NEW_IMAGE, OLD_IMAGE, "
                           "NEW_AND_OLD_IMAGES, KEYS_ONLY]");
    if (*enabled && !view)
      throw invalid("StreamSpecification: StreamViewType is required when StreamEnabled is true");
    if (*enabled && table.stream_enabled)
      throw ValidationError("Table already has an enabled stream: " +
                            stream_arn("", table.name, table.stream_label));
    if (!*enabled && !table.stream_enabled)
      throw ValidationError("Table already has no enabled stream");
    u.stream = {*enabled, view.value_or("")};
  }
  if (auto p = rq::boolean(request, "DeletionProtectionEnabled")) u.deletion_protection = *p;
  if (!u.pay_per_request && !u.throughput && u.create_indexes.empty() && u.delete_indexes.empty() &&
      u.update_indexes.empty() && !u.stream && !u.deletion_protection)
    throw ValidationError(
        "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
        "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required");
  return u;
}

namespace {

json index_to_stored(const IndexSchema& i) {
  json j = {{"name", i.name},
            {"id", i.id},
            {"global", i.global},
            {"hash", i.hash.name},
            {"hash_type", type_name(i.hash.type)},
            {"projection", i.projection_type},
            {"non_key", i.non_key_attributes},
            {"rcu", i.read_capacity},
            {"wcu", i.write_capacity}};
  if (i.range) {
    j["range"] = i.range->name;
    j["range_type"] = type_name(i.range->type);
  }
  return j;
}

Type type_of(const json& j) {
  Type t = Type::S;
  type_from_name(j.get<std::string>(), t);
  return t;
}

IndexSchema index_from_stored(const json& j) {
  IndexSchema i;
  i.name = j.at("name").get<std::string>();
  i.id = j.at("id").get<std::int64_t>();
  i.global = j.at("global").get<bool>();
  i.hash = {j.at("hash").get<std::string>(), type_of(j.at("hash_type"))};
  if (j.contains("range"))
    i.range = KeyDef{j["range"].get<std::string>(), type_of(j["range_type"])};
  i.projection_type = j.at("projection").get<std::string>();
  i.non_key_attributes = j.at("non_key").get<std::vector<std::string>>();
  i.read_capacity = j.value("rcu", 0);
  i.write_capacity = j.value("wcu", 0);
  return i;
}

}  // namespace

std::string schema_to_stored(const TableSchema& s) {
  json defs = json::array();
  for (const auto& [n, t] : s.attribute_definitions) defs.push_back({n, type_name(t)});
  json gsis = json::array(), lsis = json::array();
  for (const auto& i : s.global_indexes) gsis.push_back(index_to_stored(i));
  for (const auto& i : s.local_indexes) lsis.push_back(index_to_stored(i));
  json j = {{"name", s.name},
            {"table_id", s.table_id.empty() ? new_uuid() : s.table_id},
            {"hash", s.hash.name},
            {"hash_type", type_name(s.hash.type)},
            {"definitions", defs},
            {"pay_per_request", s.pay_per_request},
            {"rcu", s.read_capacity},
            {"wcu", s.write_capacity},
            {"gsis", gsis},
            {"lsis", lsis},
            {"stream_enabled", s.stream_enabled},
            {"stream_view_type", s.stream_view_type},
            {"stream_label", s.stream_label},
            {"ttl_attribute", s.ttl_attribute},
            {"deletion_protection", s.deletion_protection},
            {"created_ms", s.created_ms},
            {"tags", s.tags}};
  if (s.range) {
    j["range"] = s.range->name;
    j["range_type"] = type_name(s.range->type);
  }
  return j.dump();
}

TableSchema schema_from_stored(std::string_view text) {
  json j = json::parse(text);
  TableSchema s;
  s.name = j.at("name").get<std::string>();
  s.table_id = j.at("table_id").get<std::string>();
  s.hash = {j.at("hash").get<std::string>(), type_of(j.at("hash_type"))};
  if (j.contains("range"))
    s.range = KeyDef{j["range"].get<std::string>(), type_of(j["range_type"])};
  for (const auto& d : j.at("definitions"))
    s.attribute_definitions.emplace_back(d[0].get<std::string>(), type_of(d[1]));
  s.pay_per_request = j.at("pay_per_request").get<bool>();
  s.read_capacity = j.value("rcu", 0);
  s.write_capacity = j.value("wcu", 0);
  for (const auto& i : j.at("gsis")) s.global_indexes.push_back(index_from_stored(i));
  for (const auto& i : j.at("lsis")) s.local_indexes.push_back(index_from_stored(i));
  s.stream_enabled = j.value("stream_enabled", false);
  s.stream_view_type = j.value("stream_view_type", "");
  s.stream_label = j.value("stream_label", "");
  s.ttl_attribute = j.value("ttl_attribute", "");
  s.deletion_protection = j.value("deletion_protection", false);
  s.created_ms = j.value("created_ms", std::int64_t{0});
  s.tags = j.value("tags", std::map<std::string, std::string>{});
  return s;
}

std::string table_arn(std::string_view region, std::string_view table) {
  return fmt::format("arn:aws:dynamodb:{}:{}:table/{}", region, kAccountId, table);
}

std::string stream_arn(std::string_view region, std::string_view table, std::string_view label) {
  return fmt::format("{}/stream/{}", table_arn(region, table), label);
}

json describe(const TableSchema& s, std::string_view region, const TableCounts& counts,
              std::string_view status) {
  json defs = json::array();
  for (const auto& [n, t] : s.attribute_definitions)
    defs.push_back({{"AttributeName", n}, {"AttributeType", type_name(t)}});
  const std::string arn = table_arn(region, s.name);
  json d = {
      {"AttributeDefinitions", defs},
      {"TableName", s.name},
      {"KeySchema", key_schema_json(s.hash, s.range)},
      {"TableStatus", status},
      {"CreationDateTime", static_cast<double>(s.created_ms) / 1000.0},
      {"ProvisionedThroughput",
       {{"NumberOfDecreasesToday", 0},
        {"ReadCapacityUnits", s.read_capacity},
        {"WriteCapacityUnits", s.write_capacity}}},
      {"TableSizeBytes", counts.size_bytes},
      {"ItemCount", counts.item_count},
      {"TableArn", arn},
      {"TableId", s.table_id},
      {"DeletionProtectionEnabled", s.deletion_protection},
      {"BillingModeSummary",
       {{"BillingMode", s.pay_per_request ? "PAY_PER_REQUEST" : "PROVISIONED"}}},
      {"WarmThroughput", warm_throughput(s.pay_per_request, s.read_capacity, s.write_capacity)},
  };
  if (s.pay_per_request)
    d["BillingModeSummary"] = {
        {"BillingMode", "PAY_PER_REQUEST"},
        {"LastUpdateToPayPerRequestDateTime", static_cast<double>(s.created_ms) / 1000.0}};
  auto index_counts = [&](const IndexSchema& i, json& out) {
    auto it = counts.indexes.find(i.name);
    out["IndexSizeBytes"] = it == counts.indexes.end() ? 0 : it->second.second;
    out["ItemCount"] = it == counts.indexes.end() ? 0 : it->second.first;
    out["IndexArn"] = arn + "/index/" + i.name;
  };
  if (!s.global_indexes.empty()) {
    json list = json::array();
    for (const auto& i : s.global_indexes) {
      json g = {{"IndexName", i.name},
                {"KeySchema", key_schema_json(i.hash, i.range)},
                {"Projection", projection_json(i)},
                {"IndexStatus", "ACTIVE"},
                {"ProvisionedThroughput",
                 {{"NumberOfDecreasesToday", 0},
                  {"ReadCapacityUnits", i.read_capacity},
                  {"WriteCapacityUnits", i.write_capacity}}},
                {"WarmThroughput",
                 warm_throughput(s.pay_per_request, i.read_capacity, i.write_capacity)}};
      index_counts(i, g);
      list.push_back(std::move(g));
    }
    d["GlobalSecondaryIndexes"] = list;
  }
  if (!s.local_indexes.empty()) {
    json list = json::array();
    for (const auto& i : s.local_indexes) {
      json l = {{"IndexName", i.name},
                {"KeySchema", key_schema_json(i.hash, i.range)},
                {"Projection", projection_json(i)}};
      index_counts(i, l);
      list.push_back(std::move(l));
    }
    d["LocalSecondaryIndexes"] = list;
  }
  if (s.stream_enabled)
    d["StreamSpecification"] = {{"StreamEnabled", true}, {"StreamViewType", s.stream_view_type}};
  if (!s.stream_label.empty()) {
    d["LatestStreamLabel"] = s.stream_label;
    d["LatestStreamArn"] = stream_arn(region, s.name, s.stream_label);
  }
  return d;
}

}  // namespace fx::dynamodb
