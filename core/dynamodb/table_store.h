// DynamoDB tables kept in SQLite (FX_HOME/dynamodb.db, WAL): table definitions, items, secondary
// indexes, stream records and time to live. Every write is one SQLite transaction committed
// before the caller answers, so an item or a stream record a client was told about survives a
// kill -9 of the emulator.
//
// Layout (the Streams API and the `stream` event source read the last two tables):
//
//   tables(id, name, service, schema, item_count, size_bytes)
//       schema: table_schema.h's stored JSON; service: the fx service whose manifest created
//       the table ("" for tables created through the API).
//   items(table_id, pk, sk, item, size, expires)          PRIMARY KEY (table_id, pk, sk)
//       pk, sk: the key values in value.h's order-preserving encoding (BLOBs; sk is empty when
//       the table has no sort key), so a Query is a range scan of the primary key. item: the
//       item's DynamoDB JSON text; size: value.h's item_size; expires: the time-to-live
//       attribute's value in epoch seconds when the table has TTL on and the item a number
//       there, else NULL.
//   index_items(index_id, ipk, isk, pk, sk, item, size)   PRIMARY KEY (index_id, ipk, isk, pk, sk)
//       a secondary index's entries: ipk, isk the index's keys (encoded as above), pk, sk the
//       table's; item: the projected item (KEYS_ONLY, INCLUDE or ALL). Sparse: an item without
//       the index's key attributes has no entry.
//   streams(id, table_name, arn, label, view_type, created_ms, ended_ms)
//       one row per stream a table had (a table's stream turned off and on again is a new
//       stream with a new label); ended_ms is NULL while the stream is on.
//   stream_records(seq, stream_id, created_ms, keys, record)   seq INTEGER PRIMARY KEY
//       seq: increasing across the store (so per table and per stream); records of one item
//       are in seq order. keys: the item's encoded pk (records of one partition key share
//       it). record: the record as DynamoDB Streams' GetRecords returns it: {eventID,
//       eventName INSERT|MODIFY|REMOVE, eventVersion "1.1", eventSource "aws:dynamodb",
//       awsRegion, dynamodb: {ApproximateCreationDateTime (epoch seconds), Keys, NewImage,
//       OldImage (per StreamViewType), SequenceNumber (seq as a 21-digit decimal string),
//       SizeBytes, StreamViewType}} plus, for a deletion by time to live, userIdentity
//       {type: "Service", principalId: "dynamodb.amazonaws.com"}. A write that changes
//       nothing writes no record. Records older than 24 hours are deleted (trim_streams).
//
// Every public member is safe to call from any thread (one mutex around one connection).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/dynamodb/table_schema.h"
#include "core/dynamodb/value.h"

struct sqlite3_stmt;
namespace fx::store {
class Database;
}

namespace fx::dynamodb {

inline constexpr std::int64_t kStreamRetentionMs = 24 * 3600 * 1000;

// An item's primary key in the store's encoding.
struct EncodedKey {
  std::string pk, sk;
};

// The encoded key of an item that has its key attributes of the right types (the API checks
// that first). Throws ValidationError when it does not.
EncodedKey encoded_key(const TableSchema& table, const Item& item);
// The item's key in an index, or nullopt when the item has no entry there (sparse indexes).
std::optional<EncodedKey> encoded_index_key(const IndexSchema& index, const Item& item);
// The attributes of `item` an index's projection keeps.
Item project_for_index(const TableSchema& table, const IndexSchema& index, const Item& item);

// One stored item as a Query or Scan reads it.
struct Row {
  std::string ipk, isk;  // the index's keys (empty when reading the table itself)
  std::string pk, sk;
  std::string item_json;
  std::int64_t size = 0;
};

// What a Query or Scan page reads: one partition (Query) or all (Scan), a range of sort keys,
// a direction, where to start and how much to read.
struct PageRequest {
  const IndexSchema* index = nullptr;  // nullptr: the table
  std::optional<std::string> partition;
  struct Bound {
    std::string key;
    bool inclusive = true;
  };
  std::optional<Bound> lower, upper;  // on the (index's) sort key
  bool forward = true;
  // Start after this row (ExclusiveStartKey): ipk, isk are used for indexes only.
  std::optional<Row> after;
  std::int64_t limit = 0;                 // rows; 0: none
  std::int64_t byte_limit = 1024 * 1024;  // the page ends once this many bytes were read
  int segment = 0, total_segments = 1;    // Scan's parallel segments
};

struct Page {
  std::vector<Row> rows;
  bool more = false;  // stopped by the limit or the page size: LastEvaluatedKey is the last row
};

class TableStore {
 public:
  using Clock = std::function<std::int64_t()>;  // milliseconds since the epoch

  TableStore(const std::filesystem::path& path, std::string region, Clock now_ms = nullptr);
  ~TableStore();
  TableStore(const TableStore&) = delete;
  TableStore& operator=(const TableStore&) = delete;

  const std::string& region() const { return region_; }
  std::int64_t now_ms() const { return now_(); }

  // --- Tables. Operations on a missing table throw ResourceNotFoundException.

  // Creates the table (its ids, stream label and creation time filled in) owned by `service`
  // ("" for the API's). Throws ResourceInUseException when one of that name exists.
  TableSchema create_table(TableSchema schema, const std::string& service = "");
  std::optional<TableSchema> find_table(const std::string& name);
  // As find_table; throws DynamoDB's "Requested resource not found" when there is none.
  TableSchema require_table(const std::string& name);
  TableCounts counts(const TableSchema& table);
  std::vector<std::string> list_tables();  // by name
  // The fx service that created the table, "" for the API's.
  std::string owner(const std::string& name);
  std::vector<std::string> tables_of(const std::string& service);
  // UpdateTable: billing, throughput, a GSI created (filled from the items) or deleted, the
  // stream turned on (a new label) or off.
  TableSchema update_table(const std::string& name, const TableUpdate& update);
  // Deletes the table, its items and index entries; its stream ends (its records stay for
  // their 24 hours). Returns the table as it was.
  std::pair<TableSchema, TableCounts> delete_table(const std::string& name);
  // Time to live on (`attribute`) or off (""): recomputes the items' expiry times.
  void set_ttl(const std::string& name, const std::string& attribute);
  void set_tags(const std::string& name, const std::map<std::string, std::string>& tags);

  // --- Items.

  // The changes of one request, made in one transaction: reads see the writes before them.
  class Writer {
   public:
    std::optional<Item> get(const TableSchema& table, const EncodedKey& key);
    // Writes `item` over `old` (what get returned): index entries, counts, time to live and
    // the stream record follow. Nothing is written when the item is unchanged.
    void put(const TableSchema& table, const std::optional<Item>& old, const Item& item);
    // Deletes `old`; by_ttl marks the stream record as time to live's.
    void remove(const TableSchema& table, const Item& old, bool by_ttl = false);

   private:
    friend class TableStore;
    explicit Writer(TableStore& store) : store_(store) {}
    TableStore& store_;
  };
  // Runs `change` in one SQLite transaction under the store's lock and commits before
  // returning; anything it throws rolls every change back.
  void write(const std::function<void(Writer&)>& change);

  std::optional<Item> get_item(const TableSchema& table, const EncodedKey& key);
  // The stored JSON text of items, for BatchGetItem and TransactGetItems (nullopt: absent).
  Page read_page(const TableSchema& table, const PageRequest& request);
  // The base item behind an index row (a local index's Select ALL_ATTRIBUTES).
  std::optional<std::string> item_json(const TableSchema& table, const EncodedKey& key);

  // --- Streams (read by streams_api.cpp; implemented in stream_reads.cpp).

  struct StreamRow {
    std::int64_t id = 0;
    std::string table_name, arn, label, view_type;
    std::int64_t created_ms = 0;
    std::optional<std::int64_t> ended_ms;
    std::string hash_key, range_key;  // the table's key attribute names ("" without a range)
  };
  std::vector<StreamRow> list_streams();  // oldest first
  std::optional<StreamRow> find_stream(const std::string& arn);
  std::optional<StreamRow> find_stream(std::int64_t id);
  // The first and last sequence numbers of the stream's records (0, 0 when it has none).
  std::pair<std::int64_t, std::int64_t> stream_range(std::int64_t stream_id);
  // The highest sequence number given so far, and the highest one trimmed (0: none).
  std::int64_t last_seq();
  std::int64_t trimmed_seq();
  // Up to `limit` records of the stream after sequence number `after`: seq, GetRecords' JSON.
  std::vector<std::pair<std::int64_t, std::string>> stream_records(std::int64_t stream_id,
                                                                   std::int64_t after, int limit);
  // The key that signs shard iterators (32 bytes), made once and kept in the store, so an
  // iterator stays good across a restart of the emulator as it does across AWS's hosts.
  std::string iterator_key();

  // --- Background work.

  // Deletes up to `max` items whose time to live passed (`now_s`, epoch seconds, at most five
  // years ago as DynamoDB does), each with its REMOVE record. Returns how many.
  int sweep_expired(std::int64_t now_s, int max = 1000);
  // Deletes stream records older than 24 hours and streams ended longer ago.
  void trim_streams();

 private:
  struct Cached;
  sqlite3_stmt* prepare(const std::string& sql);
  std::string new_stream_label(const std::string& table);
  void add_record(const TableSchema& table, const std::optional<Item>& old,
                  const std::optional<Item>& now, bool by_ttl);
  void index_item(const TableSchema& table, const IndexSchema& index, const EncodedKey& key,
                  const Item& item, int sign);
  std::optional<std::int64_t> expiry_of(const TableSchema& table, const Item& item) const;
  std::int64_t stream_id(const TableSchema& table);
  TableSchema load(const std::string& name, bool required);
  void save_schema(const TableSchema& table);

  std::mutex mutex_;
  Clock now_;
  std::string region_;
  std::unique_ptr<store::Database> db_;
  std::map<std::string, sqlite3_stmt*> statements_;  // dynamic SQL (pages), by text
  std::int64_t next_seq_ = 1;
  std::int64_t next_index_id_ = 1;
};

}  // namespace fx::dynamodb
