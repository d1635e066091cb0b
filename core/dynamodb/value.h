// DynamoDB attribute values as the service keeps them: the ten types, numbers as exact decimals
// (never a double), binary as raw bytes, and the rules DynamoDB applies to what a client sends
// (validation with DynamoDB's own ValidationException messages, item-size accounting, key
// ordering). Pure: no SQLite, no HTTP; the store and the API build on it.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace fx::dynamodb {

// A request DynamoDB would refuse with ValidationException; what() is DynamoDB's message. The
// API answers it as `com.amazonaws.dynamodb.v20120810#ValidationException`, HTTP 400.
class ValidationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A request body whose JSON has the wrong shape for DynamoDB's model (a number where a string
// belongs, a list where a map does, invalid base64): DynamoDB answers these
// `com.amazon.coral.service#SerializationException` before validating anything. A kind of
// ValidationError, so that code catching only that still answers a 400.
class SerializationError : public ValidationError {
 public:
  using ValidationError::ValidationError;
};

enum class Type : std::uint8_t { S, N, B, BOOL, NUL, M, L, SS, NS, BS };

// The type's name on the wire: "S", "N", ..., "NULL", ..., "BS".
std::string_view type_name(Type type);
// The type named `name` ("S" ... "BS"); false when it names none.
bool type_from_name(std::string_view name, Type& type);

struct AttributeValue;
// An item, or the value of an M: attribute name -> value. Ordered by name, so that an item's
// JSON is stable (DynamoDB does not promise any order).
using Map = std::map<std::string, AttributeValue>;
using Item = Map;
using List = std::vector<AttributeValue>;

struct AttributeValue {
  Type type = Type::NUL;
  // S: the string (UTF-8); N: the number in canonical form (see canonical_number); B: the raw
  // bytes (base64 only on the wire).
  std::string text;
  bool boolean = false;  // BOOL
  // SS, NS (canonical numbers), BS (raw bytes): non-empty, no duplicates, in the order the
  // client sent them (DynamoDB promises no order; keeping the client's matches moto).
  std::vector<std::string> set;
  Map map;    // M
  List list;  // L

  static AttributeValue string(std::string s);
  // `number` must be canonical already (canonical_number's result).
  static AttributeValue number(std::string number);
  static AttributeValue binary(std::string bytes);
  static AttributeValue boolean_value(bool value);
  static AttributeValue null();
  static AttributeValue map_value(Map map);
  static AttributeValue list_value(List list);
  // Sets: members as for the scalar of the same type (numbers canonical), already checked for
  // emptiness and duplicates.
  static AttributeValue set_value(Type type, std::vector<std::string> members);

  bool is_set() const { return type == Type::SS || type == Type::NS || type == Type::BS; }
  bool is_scalar() const { return type == Type::S || type == Type::N || type == Type::B; }
};

// Equality as DynamoDB's `=` sees it: same type and same value; sets compare as sets (in any
// order), numbers numerically (canonical forms make that textual), maps and lists deeply.
bool operator==(const AttributeValue& a, const AttributeValue& b);

// ---- Numbers ----

// The largest number of significant digits DynamoDB keeps, and the range of magnitudes it
// accepts: 1E-130 <= |n| < 1E+126.
inline constexpr int kMaxNumberDigits = 38;

// A number parsed from DynamoDB's text form: value = (negative ? -1 : 1) * 0.digits * 10^exponent,
// with no leading or trailing zero in digits (zero is empty digits).
struct Decimal {
  bool negative = false;
  std::string digits;  // '1'..'9' first, no trailing '0'; empty for zero
  int exponent = 0;

  bool is_zero() const { return digits.empty(); }
};

// Parses a number as DynamoDB accepts it (Java's BigDecimal syntax: optional sign, digits with
// an optional '.', optional exponent; no spaces) and checks DynamoDB's limits. Throws
// ValidationError with DynamoDB's message: not a number, more than 38 significant digits
// ("Attempting to store more than 38 significant digits in a Number"), magnitude too large ("Number
// overflow. Attempting to store a number with magnitude larger than supported range") or too small
// ("Number underflow. Attempting to store a number with magnitude smaller than supported
// range").
Decimal parse_number(std::string_view text);
// The number's text as DynamoDB returns it: "1.50" -> "1.5", "-0" -> "0", "1E+2" -> "100",
// "0.001" -> "0.001" (plain notation, never an exponent).
std::string format_number(const Decimal& number);
// parse_number then format_number.
std::string canonical_number(std::string_view text);

// Numeric order of two numbers (canonical text or not).
std::strong_ordering compare_numbers(const Decimal& a, const Decimal& b);
// a + b and a - b, exact; the result is checked as parse_number checks input (DynamoDB's
// overflow / underflow / significant-digit messages).
Decimal add_numbers(const Decimal& a, const Decimal& b);
Decimal subtract_numbers(const Decimal& a, const Decimal& b);

// ---- JSON (the wire's typed form: {"S": "x"}, {"N": "1"}, {"M": {...}}, ...) ----

// One attribute value from its DynamoDB JSON, validated as DynamoDB validates a request's
// values (exactly one type key, the right JSON type, non-empty sets with no duplicates, valid
// base64 and numbers, at most 32 levels of nesting). Throws ValidationError with DynamoDB's
// message (SerializationError for JSON of the wrong shape). Members with a null value and
// unknown members are ignored, as DynamoDB ignores them.
AttributeValue value_from_json(const nlohmann::json& json);
// An item ({"name": value, ...}) from its DynamoDB JSON, each value as value_from_json.
Item item_from_json(const nlohmann::json& json);
nlohmann::json to_json(const AttributeValue& value);
// Throws DynamoDB's "Nesting Levels have exceeded supported limits: ..." ValidationError when a
// map or list of the item sits 32 levels deep (a top-level attribute's value is level 1): what
// value_from_json refuses, for items built otherwise (by an update).
void check_nesting(const Item& item);
nlohmann::json to_json(const Item& item);

// ---- Sizes ----

// The item size DynamoDB counts against its 400 KB limit and its capacity units: each
// attribute's name (UTF-8 bytes) plus its value (value_size).
std::size_t item_size(const Item& item);
// A value's size: S and B their bytes; N about 1 byte per 2 significant digits plus 1; BOOL and
// NULL 1; M and L 3 bytes plus 1 per element plus their elements (and, for M, the keys); sets
// the sum of their members.
std::size_t value_size(const AttributeValue& value);
inline constexpr std::size_t kMaxItemSize = 400 * 1024;
inline constexpr std::size_t kMaxPartitionKeySize = 2048;
inline constexpr std::size_t kMaxSortKeySize = 1024;

// ---- Keys ----

// Orders two scalars of the same type (S, N or B) as DynamoDB orders keys: S and B by their
// bytes (unsigned), N numerically. Throws std::logic_error for other types or mixed types.
std::strong_ordering compare(const AttributeValue& a, const AttributeValue& b);

// Bytes whose memcmp order is compare()'s order, for a key attribute of type S, N or B: the
// store keeps keys in BLOB columns and lets SQLite order and range-scan them. S and B encode
// as their own bytes; N as a sign, exponent and digit encoding. Throws std::logic_error for
// other types.
std::string encode_key(const AttributeValue& value);
// The value encode_key(value) came from, given its type (S, N or B).
AttributeValue decode_key(Type type, std::string_view bytes);

}  // namespace fx::dynamodb
