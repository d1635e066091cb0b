// A table's definition as DynamoDB keeps it: key schema, attribute definitions, billing,
// secondary indexes, stream and time-to-live settings. Read from CreateTable's request and
// changed by UpdateTable's, with DynamoDB's validation and messages; written to the store as
// JSON; described as DescribeTable's TableDescription.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/dynamodb/value.h"

namespace fx::dynamodb {

// The account of every ARN the emulator gives (the one its Lambda ARNs use).
inline constexpr std::string_view kAccountId = "000000000000";

struct KeyDef {
  std::string name;
  Type type = Type::S;  // S, N or B
};

struct IndexSchema {
  std::string name;
  std::int64_t id = 0;  // the store's number for the index, unique in the store
  bool global = true;
  KeyDef hash;
  std::optional<KeyDef> range;
  std::string projection_type = "ALL";          // ALL, KEYS_ONLY or INCLUDE
  std::vector<std::string> non_key_attributes;  // INCLUDE's
  std::int64_t read_capacity = 0, write_capacity = 0;
};

struct TableSchema {
  std::string name;
  std::int64_t store_id = 0;  // the store's number for the table (not part of the stored JSON)
  std::string table_id;       // DescribeTable's TableId (a UUID)
  KeyDef hash;
  std::optional<KeyDef> range;
  std::vector<std::pair<std::string, Type>> attribute_definitions;
  bool pay_per_request = false;
  std::int64_t read_capacity = 0, write_capacity = 0;
  std::vector<IndexSchema> global_indexes, local_indexes;
  bool stream_enabled = false;
  std::string stream_view_type;  // KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES
  // The latest stream's label (its creation time, "2026-12-06T10:00:00.000"); kept when the
  // stream is turned off, as DescribeTable keeps LatestStreamArn.
  std::string stream_label;
  std::string ttl_attribute;  // "" when time to live is off
  bool deletion_protection = false;
  std::int64_t created_ms = 0;
  std::map<std::string, std::string> tags;

  // The secondary index of that name, or nullptr.
  const IndexSchema* index(std::string_view name) const;
  // The table's key attribute names (hash, then range if any).
  std::vector<std::string> key_names() const;
};

// CreateTable's request as a schema (no id, label or time yet), validated as DynamoDB does.
// Throws ValidationError (DynamoDB's message) or a SerializationException DynamoError.
TableSchema schema_from_create_request(const nlohmann::json& request);

// What UpdateTable changes, validated against the table; apply_update makes the change.
struct TableUpdate {
  std::optional<bool> pay_per_request;
  std::optional<std::pair<std::int64_t, std::int64_t>> throughput;
  std::vector<IndexSchema> create_indexes;  // global, without ids yet
  std::vector<std::string> delete_indexes;
  std::vector<std::pair<std::string, std::pair<std::int64_t, std::int64_t>>> update_indexes;
  std::optional<std::pair<bool, std::string>> stream;  // enabled, view type
  std::optional<bool> deletion_protection;
  std::vector<std::pair<std::string, Type>> attribute_definitions;  // for new indexes
};
TableUpdate update_from_request(const TableSchema& table, const nlohmann::json& request);

// Stored form (everything above, ids included).
std::string schema_to_stored(const TableSchema& schema);
TableSchema schema_from_stored(std::string_view text);

std::string table_arn(std::string_view region, std::string_view table);
// arn:aws:dynamodb:REGION:000000000000:table/NAME/stream/LABEL
std::string stream_arn(std::string_view region, std::string_view table, std::string_view label);

// Counts the store keeps (DescribeTable's ItemCount, TableSizeBytes and the indexes' own).
struct TableCounts {
  std::int64_t item_count = 0, size_bytes = 0;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> indexes;  // name: count, bytes
};

// DescribeTable's TableDescription.
nlohmann::json describe(const TableSchema& schema, std::string_view region,
                        const TableCounts& counts, std::string_view status = "ACTIVE");

}  // namespace fx::dynamodb
