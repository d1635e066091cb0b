// The DynamoDB tables of `resources`, kept as CloudFormation would keep them: created (tagged as
// the service's) and waited for until ACTIVE, changed in place where DynamoDB allows it (capacity,
// global indexes one per call, the stream, time to live, backups, protection, class, tags),
// deleted by `fx remove`, or by a deploy once the manifest drops them, unless their
// DeletionPolicy keeps them, and used as they are when fx did not make them.
#include <algorithm>
#include <set>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/aws/api_error.h"
#include "core/aws/dynamodb.h"
#include "core/targets/aws/steps.h"

namespace fx::targets::aws {

namespace {

using json = nlohmann::json;

// Creating a table takes seconds; a global index over a large table may take much longer.
constexpr auto kTableWait = 15min;

// Waits until the table and its global indexes are ACTIVE: DynamoDB refuses the next change
// before then (ResourceInUseException), and a stream mapping needs the stream.
fx::aws::TableDescription wait_active(fx::aws::DynamoDbClient& db, const std::string& name) {
  const auto deadline = Clock::now() + kTableWait;
  auto delay = 100ms;
  while (true) {
    auto d = db.describe_table(name);
    if (!d)
      throw Error(fmt::format("table {} disappeared from DynamoDB while fx waited for it", name),
                  "something else deleted it: deploy again");
    if (d->status == "ACTIVE" && d->indexes_active) return *d;
    if (Clock::now() + delay > deadline)
      throw Error(fmt::format("table {} is still {} on AWS after {} minutes", name,
                              d->status == "ACTIVE" ? "building an index" : d->status,
                              std::chrono::duration_cast<std::chrono::minutes>(kTableWait).count()),
                  fmt::format("wait until it is ACTIVE (`aws dynamodb describe-table --table-name "
                              "{}`), then deploy again",
                              name));
    std::this_thread::sleep_for(delay);
    delay = std::min<std::chrono::milliseconds>(delay * 2, 2s);
  }
}

std::string billing_of(const json& table) {
  const json summary = table.value("BillingModeSummary", json::object());
  return summary.is_object() ? summary.value("BillingMode", "PROVISIONED") : "PROVISIONED";
}

json throughput_of(const json& described) {  // as CreateTable takes it
  const json t = described.value("ProvisionedThroughput", json::object());
  if (!t.is_object()) return json::object();
  return {{"ReadCapacityUnits", t.value("ReadCapacityUnits", 0)},
          {"WriteCapacityUnits", t.value("WriteCapacityUnits", 0)}};
}

std::map<std::string, json> by_name(const json& indexes) {
  std::map<std::string, json> out;
  if (indexes.is_array())
    for (const auto& index : indexes)
      if (index.is_object()) out[index.value("IndexName", "")] = index;
  return out;
}

// An index's shape: what cannot change without deleting it.
json shape_of(const json& index) {
  json projection = index.value("Projection", json::object());
  if (projection.is_object() && projection.contains("NonKeyAttributes") &&
      projection["NonKeyAttributes"].is_array()) {
    auto names = projection["NonKeyAttributes"].get<std::vector<std::string>>();
    std::sort(names.begin(), names.end());
    projection["NonKeyAttributes"] = names;
  }
  return {{"KeySchema", index.value("KeySchema", json::array())}, {"Projection", projection}};
}

// On every table fx makes: "true" when its DeletionPolicy keeps it (Retain,
// RetainExceptOnCreate), else "false". When the table later leaves the manifest, that policy is
// gone with it, and CloudFormation would follow the one of the template it last deployed: this
// is fx's record of it. A table without the tag was made by an fx that kept no record, and is
// kept. (UpdateReplacePolicy does not count: fx never replaces a table.)
constexpr const char* kRetainTag = "fx:retain";

// The tags a table of the service carries: its own (the manifest's) and fx's.
std::map<std::string, std::string> desired_tags(const manifest::Service& service,
                                                const manifest::TableResource& t,
                                                const json& create) {
  std::map<std::string, std::string> tags;
  for (const auto& tag : create.value("Tags", json::array()))
    tags[tag.value("Key", "")] = tag.value("Value", "");
  for (const auto& [key, value] : actions::service_tags(service)) tags[key] = value;
  tags[kRetainTag] = t.retain ? "true" : "false";
  return tags;
}

// The table on AWS has a key or a local index the manifest does not: DynamoDB cannot change
// those, and CloudFormation would replace the table, items and all. fx does not delete data.
void check_replaceable(const manifest::TableResource& t, const json& desired, const json& current) {
  auto locals = [](const json& table) {
    std::map<std::string, json> out;
    for (const auto& [name, index] : by_name(table.value("LocalSecondaryIndexes", json::array())))
      out[name] = shape_of(index);
    return out;
  };
  std::string what;
  if (desired.value("KeySchema", json::array()) != current.value("KeySchema", json::array()))
    what = "KeySchema";
  else if (locals(desired) != locals(current))
    what = "LocalSecondaryIndexes";
  if (what.empty()) return;
  throw Error(fmt::format("{}: table {} on AWS has another {} than the manifest's, which DynamoDB "
                          "cannot change in place (CloudFormation would replace the table and "
                          "its items)",
                          t.mark.str(), t.name, what),
              fmt::format("fx does not delete data: give the table a new TableName, or delete it "
                          "yourself (`aws dynamodb delete-table --table-name {}`) and deploy again",
                          t.name));
}

class TableSync {
 public:
  TableSync(fx::aws::DynamoDbClient& db, const manifest::Service& service,
            const manifest::TableResource& t)
      : db_(db), service_(service), t_(t), desired_(json::parse(t.create_json)) {}

  // Creates the table; returns it ACTIVE.
  fx::aws::TableDescription create() {
    json request = desired_;
    request["Tags"] = json::array();
    for (const auto& [key, value] : desired_tags(service_, t_, desired_))
      request["Tags"].push_back({{"Key", key}, {"Value", value}});
    db_.create_table(request.dump());
    auto d = wait_active(db_, t_.name);
    if (!t_.ttl_attribute.empty()) db_.update_time_to_live(t_.name, t_.ttl_attribute, true);
    if (t_.point_in_time_recovery) db_.update_point_in_time_recovery(t_.name, true);
    return d;
  }

  // Brings the table fx made to the manifest's settings; returns it ACTIVE, and whether
  // anything changed.
  fx::aws::TableDescription update(fx::aws::TableDescription d, bool& changed) {
    json current = json::parse(d.json);
    check_replaceable(t_, desired_, current);
    const std::string billing = desired_.value("BillingMode", "PROVISIONED");
    const bool provisioned = billing == "PROVISIONED";
    auto desired_globals = by_name(desired_.value("GlobalSecondaryIndexes", json::array()));
    auto current_globals = by_name(current.value("GlobalSecondaryIndexes", json::array()));

    // Indexes that go, or whose keys or projection change (deleted, then made again below).
    for (const auto& [name, index] : current_globals) {
      auto want = desired_globals.find(name);
      if (want != desired_globals.end() && shape_of(want->second) == shape_of(index)) continue;
      d = apply({{"GlobalSecondaryIndexUpdates", {{{"Delete", {{"IndexName", name}}}}}}}, changed);
      current = json::parse(d.json);
    }
    current_globals = by_name(current.value("GlobalSecondaryIndexes", json::array()));

    // Capacity. Going to PROVISIONED takes every remaining global index's capacity in the
    // same call.
    const bool billing_differs = billing != billing_of(current);
    if (billing_differs ||
        (provisioned &&
         desired_.value("ProvisionedThroughput", json::object()) != throughput_of(current))) {
      json request = {{"BillingMode", billing}};
      if (provisioned) request["ProvisionedThroughput"] = desired_["ProvisionedThroughput"];
      if (billing_differs && provisioned)
        for (const auto& [name, index] : current_globals)
          request["GlobalSecondaryIndexUpdates"].push_back(
              {{"Update",
                {{"IndexName", name},
                 {"ProvisionedThroughput", desired_globals.at(name)["ProvisionedThroughput"]}}}});
      d = apply(request, changed);
      current = json::parse(d.json);
    }
    // Indexes that stay: their capacity.
    if (provisioned && !billing_differs)
      for (const auto& [name, index] : current_globals) {
        const json& want = desired_globals.at(name)["ProvisionedThroughput"];
        if (want == throughput_of(index)) continue;
        d = apply({{"GlobalSecondaryIndexUpdates",
                    {{{"Update", {{"IndexName", name}, {"ProvisionedThroughput", want}}}}}}},
                  changed);
      }
    // New indexes, one per call as DynamoDB requires, each with the definitions of its keys.
    for (const auto& [name, index] : desired_globals) {
      if (current_globals.contains(name)) continue;
      d = apply({{"AttributeDefinitions", desired_["AttributeDefinitions"]},
                 {"GlobalSecondaryIndexUpdates", {{{"Create", index}}}}},
                changed);
    }
    current = json::parse(d.json);

    // The stream: a new view type needs the old stream switched off first.
    const json want_stream = desired_.value("StreamSpecification", json());
    const std::string want_view =
        want_stream.is_object() ? want_stream.value("StreamViewType", "") : "";
    if (want_view != d.stream_view_type) {
      if (!d.stream_view_type.empty())
        d = apply({{"StreamSpecification", {{"StreamEnabled", false}}}}, changed);
      if (!want_view.empty()) d = apply({{"StreamSpecification", want_stream}}, changed);
      current = json::parse(d.json);
    }

    // Settings CreateTable took that UpdateTable changes as they are.
    json settings = json::object();
    const bool protect = desired_.value("DeletionProtectionEnabled", false);
    if (protect != current.value("DeletionProtectionEnabled", false))
      settings["DeletionProtectionEnabled"] = protect;
    const std::string table_class = desired_.value("TableClass", "STANDARD");
    const json class_summary = current.value("TableClassSummary", json::object());
    if (table_class !=
        (class_summary.is_object() ? class_summary.value("TableClass", "STANDARD") : "STANDARD"))
      settings["TableClass"] = table_class;
    const json sse = desired_.value("SSESpecification", json::object());
    const json sse_now = current.value("SSEDescription", json::object());
    const bool sse_on = sse.is_object() && sse.value("Enabled", false);
    const bool sse_on_now = sse_now.is_object() && (sse_now.value("Status", "") == "ENABLED" ||
                                                    sse_now.value("Status", "") == "ENABLING");
    if (sse_on != sse_on_now ||
        (sse_on && sse.value("SSEType", "KMS") != sse_now.value("SSEType", "KMS")))
      settings["SSESpecification"] =
          sse.is_object() && !sse.empty() ? sse : json{{"Enabled", false}};
    if (!settings.empty()) d = apply(settings, changed);

    // Time to live: one attribute at a time, so another one needs the first switched off.
    const auto ttl = db_.time_to_live(t_.name);
    const bool ttl_on = ttl.status == "ENABLED" || ttl.status == "ENABLING";
    if (ttl_on && ttl.attribute != t_.ttl_attribute) {
      db_.update_time_to_live(t_.name, ttl.attribute, false);
      changed = true;
    }
    if (!t_.ttl_attribute.empty() && (!ttl_on || ttl.attribute != t_.ttl_attribute)) {
      db_.update_time_to_live(t_.name, t_.ttl_attribute, true);
      changed = true;
    }
    if (db_.point_in_time_recovery(t_.name) != t_.point_in_time_recovery) {
      db_.update_point_in_time_recovery(t_.name, t_.point_in_time_recovery);
      changed = true;
    }
    return d;
  }

  // Adds the manifest's tags (and fx's) that the table lacks or holds with another value.
  bool sync_tags(const fx::aws::TableDescription& d,
                 const std::map<std::string, std::string>& now) {
    std::map<std::string, std::string> missing;
    for (const auto& [key, value] : desired_tags(service_, t_, desired_)) {
      auto it = now.find(key);
      if (it == now.end() || it->second != value) missing[key] = value;
    }
    if (missing.empty()) return false;
    db_.tag(d.arn, missing);
    return true;
  }

 private:
  // One UpdateTable call, then the wait DynamoDB needs before the next.
  fx::aws::TableDescription apply(json request, bool& changed) {
    request["TableName"] = t_.name;
    db_.update_table(request.dump());
    changed = true;
    return wait_active(db_, t_.name);
  }

  fx::aws::DynamoDbClient& db_;
  const manifest::Service& service_;
  const manifest::TableResource& t_;
  const json desired_;
};

}  // namespace

std::map<std::string, AwsTableState> sync_resource_tables(const manifest::Service& service,
                                                          const fx::aws::AwsSettings& settings,
                                                          AwsDeploy& out) {
  std::map<std::string, AwsTableState> states;
  if (service.tables.empty()) return states;
  fx::aws::DynamoDbClient db(settings);
  // Everything read first: a table that cannot be brought to the manifest stops the deploy
  // before any table changes.
  std::vector<std::optional<fx::aws::TableDescription>> found;
  std::vector<std::map<std::string, std::string>> tags;
  for (const auto& t : service.tables) {
    found.push_back(db.describe_table(t.name));
    tags.push_back(found.back() ? db.tags(found.back()->arn)
                                : std::map<std::string, std::string>{});
    if (found.back() && actions::made_for(tags.back(), service))
      check_replaceable(t, json::parse(t.create_json), json::parse(found.back()->json));
  }
  for (std::size_t i = 0; i < service.tables.size(); ++i) {
    const auto& t = service.tables[i];
    TableSync sync(db, service, t);
    AwsTable report{t.name, "unchanged", "", ""};
    fx::aws::TableDescription d;
    if (!found[i]) {
      d = sync.create();
      report.status = "created";
    } else if (!actions::made_for(tags[i], service)) {
      d = *found[i];
      report.status = "existing";
      out.warnings.push_back(fmt::format(
          "table {} of resources exists and fx did not create it: used as it is", t.name));
    } else {
      bool changed = false;
      d = found[i]->status == "ACTIVE" && found[i]->indexes_active ? *found[i]
                                                                   : wait_active(db, t.name);
      d = sync.update(std::move(d), changed);
      changed |= sync.sync_tags(d, tags[i]);
      if (changed) report.status = "updated";
    }
    for (const auto& property : t.not_deployed)
      out.warnings.push_back(fmt::format(
          "not deployed to AWS by this version of fx: {} of table {}", property, t.name));
    report.stream_arn = d.stream_arn;
    report.stream_view_type = d.stream_view_type;
    states[t.name] = {d.arn, d.stream_arn};
    out.tables.push_back(std::move(report));
  }
  return states;
}

namespace {

std::vector<AwsTableInfo> describe_with(fx::aws::DynamoDbClient& db,
                                        const manifest::Service& service) {
  std::vector<AwsTableInfo> out;
  for (const auto& t : service.tables) {
    AwsTableInfo info;
    info.name = t.name;
    info.logical_id = t.logical_id;
    if (auto d = db.describe_table(t.name)) {
      info.exists = true;
      info.status = d->status;
      info.item_count = d->item_count;
      info.stream_arn = d->stream_arn;
      info.stream_view_type = d->stream_view_type;
    }
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace

std::vector<AwsTableInfo> describe_tables(const manifest::Service& service,
                                          const fx::aws::AwsSettings& settings) {
  if (service.tables.empty()) return {};
  fx::aws::DynamoDbClient db(settings);
  return describe_with(db, service);
}

std::vector<AwsTableInfo> describe_tables_on_emulator(const manifest::Service& service,
                                                      const lambda::Endpoint& endpoint) {
  if (service.tables.empty()) return {};
  // The emulator reads the region from the signature and checks no key: any will do.
  fx::aws::AwsSettings settings;
  settings.credentials = {"fx", "fx", "", "fx"};
  settings.region = endpoint.region;
  fx::aws::DynamoDbClient db(settings, endpoint.url, endpoint.token);
  return describe_with(db, service);
}

void remove_resource_tables(const manifest::Service& service, const fx::aws::AwsSettings& settings,
                            AwsRemoval& out) {
  if (service.tables.empty()) return;
  fx::aws::DynamoDbClient db(settings);
  for (const auto& t : service.tables) {
    auto d = db.describe_table(t.name);
    if (!d) continue;
    if (!actions::made_for(db.tags(d->arn), service)) {
      out.warnings.push_back(fmt::format("kept table {}: fx did not create it", t.name));
      continue;
    }
    if (t.retain) {
      out.warnings.push_back(fmt::format(
          "kept table {}: its DeletionPolicy keeps it (as CloudFormation would)", t.name));
      continue;
    }
    if (json::parse(d->json).value("DeletionProtectionEnabled", false)) {
      out.warnings.push_back(fmt::format(
          "kept table {}: DeletionProtectionEnabled is on (set it false and deploy first)",
          t.name));
      continue;
    }
    if (db.delete_table(t.name)) out.tables.push_back(t.name);
  }
}

DroppedTables remove_dropped_tables(const manifest::Service& service,
                                    const fx::aws::AwsSettings& settings,
                                    std::string_view command) {
  DroppedTables out;
  fx::aws::DynamoDbClient db(settings);
  std::vector<std::string> names;
  try {
    names = db.list_tables();
  } catch (const fx::aws::ApiError& e) {
    // A policy scoped to the service's tables allows no ListTables (it takes Resource "*"):
    // the rest of the command still holds.
    if (e.type() != "AccessDeniedException") throw;
    out.warnings.push_back(fmt::format(
        "did not look for the tables fx made that the manifest no longer names: DynamoDB denied "
        "ListTables ({}); allow dynamodb:ListTables on \"*\" to have them deleted as "
        "CloudFormation would",
        e.what()));
    return out;
  }
  std::set<std::string> named;
  for (const auto& t : service.tables) named.insert(t.name);
  // arn:PARTITION:dynamodb:REGION:ACCOUNT:table/, learnt from the first table described: a
  // DescribeTable for each of the account's tables only to read its ARN would double the calls.
  std::string arn_prefix;
  for (const auto& name : names) {
    if (named.contains(name)) continue;
    std::optional<fx::aws::TableDescription> d;
    std::map<std::string, std::string> tags;
    try {
      if (arn_prefix.empty()) {
        d = db.describe_table(name);
        if (!d) continue;
        if (d->arn.ends_with(":table/" + name))
          arn_prefix = d->arn.substr(0, d->arn.size() - name.size());
      }
      tags = db.tags(d ? d->arn : arn_prefix + name);
    } catch (const fx::aws::ApiError& e) {
      if (e.type() == "ResourceNotFoundException") continue;  // deleted since it was listed
      throw;
    }
    if (!actions::made_for(tags, service)) continue;
    if (!d) d = db.describe_table(name);
    if (!d || d->status == "DELETING") continue;
    const auto retain = tags.find(kRetainTag);
    if (retain == tags.end() || retain->second != "false") {
      // No longer the service's: later deploys and removes leave it alone, as CloudFormation
      // forgets a resource it retained.
      std::vector<std::string> keys{kRetainTag};
      for (const auto& [key, value] : actions::service_tags(service)) keys.push_back(key);
      db.untag(d->arn, keys);
      out.kept.push_back(name);
      out.warnings.push_back(
          retain == tags.end()
              ? fmt::format("kept table {}: it left the manifest, and the fx that made it kept no "
                            "record of its DeletionPolicy; it is no longer the service's: delete "
                            "it yourself (`aws dynamodb delete-table --table-name {}`) unless it "
                            "is to be kept",
                            name, name)
              : fmt::format("kept table {}: it left the manifest, and its DeletionPolicy kept it "
                            "when fx last deployed it (as CloudFormation would); it is no longer "
                            "the service's",
                            name));
      continue;
    }
    if (json::parse(d->json).value("DeletionProtectionEnabled", false)) {
      out.kept.push_back(name);
      out.warnings.push_back(fmt::format(
          "kept table {}: it left the manifest, but DeletionProtectionEnabled is on: turn it off "
          "(`aws dynamodb update-table --table-name {} --no-deletion-protection-enabled`) and "
          "{} again to delete it",
          name, name, command));
      continue;
    }
    // DynamoDB deletes no table while it is being created or changed.
    if (d->status != "ACTIVE") wait_active(db, name);
    if (db.delete_table(name)) out.deleted.push_back(name);
  }
  return out;
}

}  // namespace fx::targets::aws
