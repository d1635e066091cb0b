// DynamoDB's expression language, parsed once into a tree and then evaluated against items:
// ConditionExpression and FilterExpression (evaluate), KeyConditionExpression (the partition
// value and the sort-key condition a Query scans by), UpdateExpression (apply_update) and
// ProjectionExpression (project).
//
// Parsing follows DynamoDB's grammar and checks in DynamoDB's order, so that a bad expression
// gets DynamoDB's ValidationException message: first syntax ("Invalid UpdateExpression: Syntax
// error; token: \"X\", near: \"a X b\"", the token and its neighbours as written) and redundant
// parentheses, then, in the order they appear, function names and where functions may be used,
// reserved words and list indexes, then names and values (undefined ones), operand counts and
// types, path overlaps and limits. Errors met while evaluating an update against an item
// ("The document path provided in the update expression is invalid for update", "An operand in
// the update expression has an incorrect data type", ...) are ValidationErrors too.
//
// A request's ExpressionAttributeNames and ExpressionAttributeValues go in one ExpressionInputs
// that every expression of the request is parsed with; afterwards check_all_used() reports the
// ones no expression used, as DynamoDB does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/dynamodb/value.h"

namespace fx::dynamodb {

// The request parameter an expression came from: it names the expression in messages.
enum class ExpressionKind : std::uint8_t { condition, filter, key_condition, update, projection };
// "ConditionExpression", "FilterExpression", "KeyConditionExpression", ...
std::string_view expression_kind_name(ExpressionKind kind);

// DynamoDB's limits on expressions.
inline constexpr std::size_t kMaxExpressionBytes = 4096;
inline constexpr int kMaxExpressionOperators = 300;
inline constexpr std::size_t kMaxInOperands = 100;
inline constexpr std::size_t kMaxPathDepth = 32;

// True when `word` (any case) is one of DynamoDB's reserved words, which an expression must
// reach through an ExpressionAttributeNames placeholder.
bool is_reserved_word(std::string_view word);

// The ExpressionAttributeNames and ExpressionAttributeValues of one request, and which of them
// the request's expressions used.
class ExpressionInputs {
 public:
  ExpressionInputs() = default;
  // Either may be null (the parameter is absent). Validates them as DynamoDB does before it
  // parses any expression: not empty ("ExpressionAttributeNames must not be empty"), keys
  // '#' / ':' followed by letters, digits or '_' ("ExpressionAttributeValues contains invalid
  // key: Syntax error; key: \"v\""), names strings, values valid attribute values
  // ("ExpressionAttributeValues contains invalid value: <why> for key :v"). Throws
  // ValidationError (SerializationError for JSON of the wrong shape).
  ExpressionInputs(const nlohmann::json* names, const nlohmann::json* values);

  bool has_names() const { return names_given_; }
  bool has_values() const { return values_given_; }

  // The attribute name `placeholder` ("#n") stands for, marking it used; null when undefined.
  const std::string* use_name(std::string_view placeholder);
  // The value `placeholder` (":v") stands for, marking it used; null when undefined.
  const AttributeValue* use_value(std::string_view placeholder);

  // Throws DynamoDB's error for the first kind of placeholder given but never used: "Value
  // provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}" (names are
  // checked before values).
  void check_all_used() const;

 private:
  std::map<std::string, std::string, std::less<>> names_;
  std::map<std::string, AttributeValue, std::less<>> values_;
  std::set<std::string, std::less<>> used_names_;
  std::set<std::string, std::less<>> used_values_;
  bool names_given_ = false;
  bool values_given_ = false;
};

// check_all_used() as a free function.
void check_all_used(const ExpressionInputs& inputs);

// One step of a document path: a map key (or, first, a top-level attribute name) or a list index.
struct PathElement {
  std::string name;
  std::size_t index = 0;
  bool is_index = false;

  bool operator==(const PathElement&) const = default;
};
// A document path with its placeholders resolved: a.b[3].c, #n[0].
using Path = std::vector<PathElement>;
// DynamoDB's rendering of a path in messages: "[a, b, [3], c]".
std::string path_text(const Path& path);

// A node of a parsed condition or update value.
struct Node {
  enum class Op : std::uint8_t {
    path,   // `path`
    value,  // `value` (an ExpressionAttributeValues entry)
    eq,
    ne,
    lt,
    le,
    gt,
    ge,
    between,  // children: operand, lower, upper
    in,       // children: operand, then the list
    and_,
    or_,
    not_,
    attribute_exists,
    attribute_not_exists,
    attribute_type,
    begins_with,
    contains,
    size,
    if_not_exists,
    list_append,
    plus,
    minus,
  };
  Op op = Op::value;
  Path path;
  AttributeValue value;
  std::vector<Node> children;
};

// ---- ConditionExpression / FilterExpression ----

struct Condition {
  Node root;
};

// Parses a ConditionExpression (or, with kind filter / key_condition, the other expressions of
// the same grammar). Throws ValidationError with DynamoDB's message, prefixed "Invalid
// ConditionExpression: " and so on for errors in the expression itself.
Condition parse_condition(std::string_view text, ExpressionInputs& inputs,
                          ExpressionKind kind = ExpressionKind::condition);

// Whether `item` satisfies the condition, by DynamoDB's rules: a missing attribute makes a
// comparison false (and `<>` true), operands of different types compare false, size() of a
// number, boolean or null is no value at all. Never throws.
bool evaluate(const Condition& condition, const Item& item);

// Every document path the condition reads (a Query's filter may not name key attributes).
std::vector<Path> condition_paths(const Condition& condition);

// ---- KeyConditionExpression ----

// A key attribute of the table or index a Query reads: its name and declared type (S, N or B).
struct KeyAttribute {
  std::string name;
  Type type = Type::S;
};

struct SortKeyCondition {
  enum class Op : std::uint8_t { eq, lt, le, gt, ge, between, begins_with };
  Op op = Op::eq;
  AttributeValue value;  // the bound; the lower bound for between
  AttributeValue upper;  // between only
};

struct KeyCondition {
  AttributeValue partition;  // the partition key must equal this
  std::optional<SortKeyCondition> sort;
};

// One key condition of a KeyConditionExpression: the attribute and what it must satisfy.
struct KeyTerm {
  std::string attribute;
  SortKeyCondition condition;
};

// The first half of parse_key_condition, which needs no table: parses the expression and
// splits it into one condition per attribute, with the errors DynamoDB reports before it looks
// the table up ("Invalid KeyConditionExpression: ...", "Invalid operator used in
// KeyConditionExpression: OR", "KeyConditionExpressions must only contain one condition per
// key", ...).
std::vector<KeyTerm> parse_key_condition_terms(std::string_view text, ExpressionInputs& inputs);

// The second half: checks the terms against the key schema of the table or index.
KeyCondition check_key_condition(const std::vector<KeyTerm>& terms, const KeyAttribute& partition,
                                 const std::optional<KeyAttribute>& sort,
                                 std::string_view index_name = {});

// Parses a KeyConditionExpression for a key schema (partition key, optional sort key) and
// checks it as Query does: `=` on the partition key, one condition per key, = < <= > >=
// BETWEEN begins_with on the sort key, values of the key's type, no empty S or B. `index_name`
// (empty for the table) words the empty-key message as DynamoDB does for indexes. Throws
// ValidationError: "Invalid KeyConditionExpression: ..." for the expression's own errors, then
// "Invalid operator used in KeyConditionExpression: OR", "Query condition missed key schema
// element: pk", "Query key condition not supported" and the others.
KeyCondition parse_key_condition(std::string_view text, ExpressionInputs& inputs,
                                 const KeyAttribute& partition,
                                 const std::optional<KeyAttribute>& sort,
                                 std::string_view index_name = {});

// Whether a sort-key value satisfies the condition (values of other types never do).
bool matches(const SortKeyCondition& condition, const AttributeValue& sort_value);

// ---- ProjectionExpression ----

struct Projection {
  std::vector<Path> paths;  // in the order written
};

// Parses a ProjectionExpression: paths separated by commas, none overlapping another.
Projection parse_projection(std::string_view text, ExpressionInputs& inputs);

// The parts of `item` the projection names, as DynamoDB returns them: nested paths keep their
// maps and lists around them; elements picked from a list close up in index order; a path that
// leads nowhere is left out.
Item project(const Projection& projection, const Item& item);

// ---- UpdateExpression ----

struct UpdateAction {
  enum class Kind : std::uint8_t { set, remove, add, delete_ };
  Kind kind = Kind::set;
  Path path;
  Node value;  // set: the value expression; add / delete: a value node
};

struct Update {
  std::vector<UpdateAction> actions;  // in the order written
};

// Parses an UpdateExpression: SET, REMOVE, ADD and DELETE clauses, each at most once, with no
// two paths overlapping or conflicting.
Update parse_update(std::string_view text, ExpressionInputs& inputs);

// The top-level attributes the update writes (each action's first path element): UpdateItem
// refuses an update of a key attribute, and reports these for ReturnValues UPDATED_*.
std::set<std::string> updated_attributes(const Update& update);

// A projection of the update's paths: project() it from the item before and after apply_update() to
// get ReturnValues UPDATED_OLD and UPDATED_NEW.
Projection updated_paths(const Update& update);

// Applies the update to `item` as DynamoDB does: every value is computed from the item as it
// was before the update, list indexes name elements of the list as it was (SET past the end
// appends, in index order; REMOVE past the end does nothing), a set emptied by DELETE disappears.
// `item_exists` is false when UpdateItem creates the item (`item` then holds only its key): on
// an item that does not exist, REMOVE of any path does nothing. Throws ValidationError ("The
// document path provided in the update expression is invalid for update", "The provided
// expression refers to an attribute that does not exist in the item", "An operand in the update
// expression has an incorrect data type", number overflow, nesting limits); `item` is unchanged
// then.
void apply_update(const Update& update, Item& item, bool item_exists = true);

}  // namespace fx::dynamodb
