// DynamoDB's expression language (core/dynamodb/expression.h). The expected messages are
// DynamoDB's own, as its service, DynamoDB Local and the public conformance suites report them
// (tests/dynamodb/expressions.txt lists them for the end-to-end differential tests).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/dynamodb/expression.h"
#include "core/util/process.h"

using namespace fx::dynamodb;
using nlohmann::json;

namespace {

Item item_of(const char* text) {
  return item_from_json(json::parse(text));
}

struct Inputs {
  std::optional<json> names;
  std::optional<json> values;
  ExpressionInputs make() const {
    return ExpressionInputs(names ? &*names : nullptr, values ? &*values : nullptr);
  }
};

Inputs inputs(const char* values = nullptr, const char* names = nullptr) {
  Inputs in;
  if (values) in.values = json::parse(values);
  if (names) in.names = json::parse(names);
  return in;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ValidationError& e) {
    return e.what();
  }
  return "<no error>";
}

bool holds(const char* expression, const char* item, const char* values = nullptr,
           const char* names = nullptr) {
  ExpressionInputs in = inputs(values, names).make();
  Condition c = parse_condition(expression, in);
  return evaluate(c, item_of(item));
}

std::string condition_error(const char* expression, const char* values = nullptr,
                            const char* names = nullptr,
                            ExpressionKind kind = ExpressionKind::condition) {
  return error_of([&] {
    ExpressionInputs in = inputs(values, names).make();
    (void)parse_condition(expression, in, kind);
  });
}

std::string filter_error(const char* expression, const char* values = nullptr,
                         const char* names = nullptr) {
  return condition_error(expression, values, names, ExpressionKind::filter);
}

json updated(const char* expression, const char* item, const char* values = nullptr,
             const char* names = nullptr, bool exists = true) {
  ExpressionInputs in = inputs(values, names).make();
  Update u = parse_update(expression, in);
  Item it = item_of(item);
  apply_update(u, it, exists);
  return to_json(it);
}

std::string update_error(const char* expression, const char* item = "{}",
                         const char* values = nullptr, const char* names = nullptr) {
  return error_of([&] { (void)updated(expression, item, values, names); });
}

json projected(const char* expression, const char* item, const char* names = nullptr) {
  ExpressionInputs in = inputs(nullptr, names).make();
  return to_json(project(parse_projection(expression, in), item_of(item)));
}

std::string projection_error(const char* expression, const char* names = nullptr) {
  return error_of([&] {
    ExpressionInputs in = inputs(nullptr, names).make();
    (void)parse_projection(expression, in);
  });
}

const char* kItem = R"({
  "id": {"S": "abc"}, "n": {"N": "5"}, "s": {"S": "hello"}, "b": {"B": "AAEC"},
  "t": {"BOOL": true}, "z": {"NULL": true},
  "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": ["AQ=="]},
  "l": {"L": [{"S": "a"}, {"N": "1"}, {"M": {"k": {"S": "v"}}}]},
  "m": {"M": {"a": {"M": {"b": {"N": "7"}}}, "lst": {"L": [{"N": "3"}, {"N": "4"}]}}}
})";

}  // namespace

// ---- Comparisons and functions ----

TEST_CASE("comparisons follow DynamoDB's typing rules", "[dynamodb][expression]") {
  const char* v = R"({":five": {"N": "5.0"}, ":six": {"N": "6"}, ":s": {"S": "hello"},
                      ":five_s": {"S": "5"}, ":t": {"BOOL": true}})";
  CHECK(holds("n = :five", kItem, v));          // numbers compare numerically
  CHECK_FALSE(holds("n = :five_s", kItem, v));  // different types are never equal
  CHECK(holds("n <> :five_s", kItem, v));
  CHECK(holds("n < :six", kItem, v));
  CHECK(holds("n <= :five", kItem, v));
  CHECK(holds(":six > n", kItem, v));
  CHECK(holds("n >= :five", kItem, v));
  CHECK_FALSE(holds("n < :five_s", kItem, v));  // different types: false, not an error
  CHECK(holds("s = :s", kItem, v));
  CHECK(holds("t = :t", kItem, v));
  // A missing attribute makes = false and <> true.
  CHECK_FALSE(holds("absent = :five", kItem, v));
  CHECK(holds("absent <> :five", kItem, v));
  CHECK_FALSE(holds("absent < :five", kItem, v));
}

TEST_CASE("BETWEEN, IN, AND, OR, NOT and parentheses", "[dynamodb][expression]") {
  const char* v = R"({":1": {"N": "1"}, ":5": {"N": "5"}, ":9": {"N": "9"}, ":a": {"S": "a"}})";
  CHECK(holds("n BETWEEN :1 AND :9", kItem, v));
  CHECK(holds("n between :5 and :5", kItem, v));
  CHECK_FALSE(holds("n BETWEEN :1 AND :1", kItem, v));
  CHECK(holds("n IN (:1, :5)", kItem, v));
  CHECK_FALSE(holds("n IN (:1, :9, :a)", kItem, v));
  CHECK(holds("n = :1 OR n = :5", kItem, v));
  CHECK_FALSE(holds("n = :1 AND n = :5", kItem, v));
  CHECK(holds("NOT n = :1", kItem, v));
  CHECK(holds("not (n = :1 or n = :9)", kItem, v));
  // NOT binds tighter than AND, AND tighter than OR.
  CHECK(holds("n = :5 OR n = :1 AND n = :9", kItem, v));
  CHECK_FALSE(holds("(n = :5 OR n = :1) AND n = :9", kItem, v));
  CHECK_FALSE(holds("NOT n = :5 AND n = :5", kItem, v));
  CHECK(holds("(n) = :5", kItem, v));
}

TEST_CASE("the condition functions", "[dynamodb][expression]") {
  const char* v = R"({":he": {"S": "he"}, ":ll": {"S": "ll"}, ":x": {"S": "x"},
    ":two": {"N": "2.50"}, ":a": {"S": "a"}, ":0": {"B": "AA=="}, ":S": {"S": "S"},
    ":N": {"S": "N"}, ":NULL": {"S": "NULL"}, ":3": {"N": "3"}, ":5": {"N": "5"},
    ":2": {"N": "2"}, ":1": {"N": "1"}})";
  CHECK(holds("attribute_exists(m.a.b)", kItem, v));
  CHECK_FALSE(holds("attribute_exists(m.a.c)", kItem, v));
  CHECK(holds("attribute_not_exists(l[3])", kItem, v));
  CHECK(holds("attribute_exists(l[2].k)", kItem, v));
  CHECK(holds("attribute_type(s, :S)", kItem, v));
  CHECK(holds("attribute_type(z, :NULL)", kItem, v));
  CHECK_FALSE(holds("attribute_type(s, :N)", kItem, v));
  CHECK(holds("begins_with(s, :he)", kItem, v));
  CHECK_FALSE(holds("begins_with(s, :ll)", kItem, v));
  CHECK(holds("begins_with(b, :0)", kItem, v));
  CHECK_FALSE(holds("begins_with(n, :he)", kItem, v));
  CHECK(holds("contains(s, :ll)", kItem, v));
  CHECK(holds("contains(ss, :x)", kItem, v));
  CHECK(holds("contains(ns, :two)", kItem, v));  // members compare numerically
  CHECK(holds("contains(l, :a)", kItem, v));
  CHECK_FALSE(holds("contains(ss, :two)", kItem, v));
  CHECK(holds("size(s) = :5", kItem, v));
  CHECK(holds("size(l) = :3", kItem, v));
  CHECK(holds("size(m) = :2", kItem, v));
  CHECK(holds("size(ss) = :2", kItem, v));
  CHECK(holds("size(b) = :3", kItem, v));
  CHECK(holds("size(m.lst) < :3", kItem, v));
  // size() of a number, boolean or null is no value: every comparison with it is false.
  CHECK_FALSE(holds("size(n) = :1", kItem, v));
  CHECK(holds("size(n) <> :1", kItem, v));
  CHECK_FALSE(holds("size(absent) = :1", kItem, v));
}

TEST_CASE("size() of a string counts UTF-16 code units", "[dynamodb][expression]") {
  const char* item = R"({"s": {"S": "h\u00e9\ud83d\ude00"}})";  // h, é, one emoji
  CHECK(holds("size(s) = :4", item, R"({":4": {"N": "4"}})"));
}

// ---- Errors in conditions ----

TEST_CASE("syntax errors name the token and its neighbours", "[dynamodb][expression]") {
  CHECK(filter_error("a = :v :w", R"({":v": {"S": "x"}, ":w": {"S": "y"}})") ==
        "Invalid FilterExpression: Syntax error; token: \":w\", near: \":v :w\"");
  CHECK(condition_error("a =") ==
        "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"=\"");
  CHECK(condition_error("a = ") ==
        "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"= \"");
  CHECK(condition_error("a > 4") ==
        "Invalid ConditionExpression: Syntax error; token: \"4\", near: \"> 4\"");
  CHECK(condition_error("things are not gonna be ok") ==
        "Invalid ConditionExpression: Syntax error; token: \"are\", near: \"things are not\"");
  CHECK(condition_error("a ! b") ==
        "Invalid ConditionExpression: Syntax error; token: \"!\", near: \"a ! b\"");
  CHECK(condition_error("#k = :type AND") ==
        "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\"");
  CHECK(condition_error("_a = :v") ==
        "Invalid ConditionExpression: Syntax error; token: \"_\", near: \"_a\"");
  for (const char* bad : {"attribute_exists(Pictures-RearView)",
                          "attribute_exists(\"Pictures.RearView\")",
                          "attribute_exists(Pictures..RearView)",
                          "attribute_exists(asdf[a])",
                          "a in b, c",
                          "a > between",
                          "a in (b,c,)",
                          "(a)between(b.(c.d))and(c)",
                          "#$.b > a",
                          "b[:a] > a",
                          "b[#_] > a",
                          "\xc3\xbc > a",
                          "size(a).b > a",
                          "(size(a)).b > a",
                          "size(a)[0] > a",
                          "a[01] = b",
                          "a = b + c",
                          "a",
                          ":v",
                          "(a = b",
                          "a = b)"}) {
    INFO(bad);
    CHECK(filter_error(bad).rfind("Invalid FilterExpression: Syntax error; token: ", 0) == 0);
  }
}

TEST_CASE("an expression that is empty or too big", "[dynamodb][expression]") {
  CHECK(condition_error("") == "Invalid ConditionExpression: The expression can not be empty;");
  std::string big = "a = :v";
  big.append(4091, ' ');
  CHECK(condition_error(big.c_str()) ==
        "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; "
        "expression size: 4097");
  big.pop_back();  // 4096 is allowed
  CHECK(condition_error(big.c_str(), R"({":v": {"N": "1"}})") == "<no error>");
  std::string big_update = "REMOVE a";
  big_update.append(4089, ' ');
  CHECK(update_error(big_update.c_str()) ==
        "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size;");
}

TEST_CASE("redundant parentheses", "[dynamodb][expression]") {
  for (const char* bad :
       {"a=a and a > ((views))", "(a)between(((b.c)).d)and(c)", "a > whatever((:things), ((a)))",
        "a=a AND ((a=a AND a=a)) AND a=a", "a=a OR ((a=a OR a=a)) OR a=a",
        "a=a AND ((a=a AND (a=a AND a=a)))", "((a = b))"}) {
    INFO(bad);
    CHECK(filter_error(bad) ==
          "Invalid FilterExpression: The expression has redundant parentheses;");
  }
  CHECK(holds("(attribute_exists(id) AND (attribute_exists(n)))", kItem));
}

// Found by fuzz_dynamodb_expression: 4,000 "(" overflowed the stack. Nesting deeper than any
// valid expression can (each level needs an operator, and there may be only 300) is a syntax
// error at the token that goes too deep.
TEST_CASE("nesting deeper than any valid expression is refused, not recursed into",
          "[dynamodb][expression]") {
  const std::string opens(4095, '(');
  CHECK(filter_error(opens.c_str())
            .starts_with("Invalid FilterExpression: Syntax error; token: \"(\", near: \"(((\""));
  const std::string nots = [] {
    std::string s;
    for (int i = 0; i < 1023; ++i) s += "NOT ";
    return s + "a";
  }();
  CHECK(filter_error(nots.c_str()) ==
        "Invalid FilterExpression: Syntax error; token: \"NOT\", near: \"NOT NOT NOT\"");
  const std::string arithmetic =
      "SET a = " + std::string(2040, '(') + ":v" + std::string(2040, ')');
  CHECK(update_error(arithmetic.c_str(), "{}", R"({":v": {"N": "1"}})")
            .starts_with("Invalid UpdateExpression: Syntax error; token: \"(\""));
  // 300 levels, each with its operator, are still an expression.
  std::string deep = "a = :v";
  for (int i = 0; i < 299; ++i) deep = "(NOT " + deep + ")";
  const char* one = R"({":v": {"N": "1"}})";
  CHECK(holds(deep.c_str(), R"({"a": {"N": "2"}})", one) == (299 % 2 == 1));
  deep = "(NOT " + deep + ")";
  deep = "(NOT " + deep + ")";
  CHECK(condition_error(deep.c_str(), one) ==
        "Invalid ConditionExpression: The expression contains too many operators; operator "
        "count: 301");
}

TEST_CASE("function names and where functions may stand", "[dynamodb][expression]") {
  CHECK(filter_error("a=a and whatever((:things)) > a") ==
        "Invalid FilterExpression: Invalid function name; function: whatever");
  CHECK(filter_error("attRIbute_exIsts((views), #a)") ==
        "Invalid FilterExpression: Invalid function name; function: attRIbute_exIsts");
  for (auto [bad, function] :
       {std::pair{"a=a and attribute_exists((views), (#a)) > b", "attribute_exists"},
        {"attribute_not_exists(things) > b", "attribute_not_exists"},
        {"attribute_type(things, :a) > b", "attribute_type"},
        {"begins_with(things, a) > b", "begins_with"},
        {"contains(:things, c) > b", "contains"},
        {"size(contains(a, b)) > a", "contains"},
        {"size(things)", "size"},
        {"a between b and attribute_exists(things)", "attribute_exists"},
        {"a in (b, attribute_exists(things))", "attribute_exists"}}) {
    INFO(bad);
    CHECK(filter_error(bad) ==
          std::string("Invalid FilterExpression: The function is not allowed to be used this way "
                      "in an expression; function: ") +
              function);
  }
  CHECK(condition_error("if_not_exists(a, :v) = :v") ==
        "Invalid ConditionExpression: The function is not allowed in a condition expression; "
        "function: if_not_exists");
}

TEST_CASE("reserved words must go through a name placeholder", "[dynamodb][expression]") {
  CHECK(filter_error("attribute_exists(views, #a)") ==
        "Invalid FilterExpression: Attribute name is a reserved keyword; reserved keyword: views");
  CHECK(filter_error(":a < abOrT") ==
        "Invalid FilterExpression: Attribute name is a reserved keyword; reserved keyword: abOrT");
  CHECK(condition_error("status = :v", R"({":v": {"S": "x"}})") ==
        "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: "
        "status");
  CHECK(is_reserved_word("STATUS"));
  CHECK(is_reserved_word("size"));
  CHECK_FALSE(is_reserved_word("statuses"));
  CHECK(holds("#s = :v", R"({"status": {"S": "x"}})", R"({":v": {"S": "x"}})",
              R"({"#s": "status"})"));
}

TEST_CASE("undefined names and values", "[dynamodb][expression]") {
  for (auto [bad, name] :
       {std::pair{"attribute_exists(#Pictures.RearView, :a) and a=a", "#Pictures"},
        {"begins_with(Pictures.#RearView)", "#RearView"},
        {"(#P between :lo and :hi) and (#PC in (:cat1, :cat2))", "#P"},
        {"#4g > a", "#4g"},
        {"#_ > a", "#_"},
        {"(a)between(b.c[45].#d)and(:a)", "#d"}}) {
    INFO(bad);
    CHECK(filter_error(bad) ==
          std::string("Invalid FilterExpression: An expression attribute name used in the "
                      "document path is not defined; attribute name: ") +
              name);
  }
  for (auto [bad, value] :
       {std::pair{"begins_with(:hello, #a, #b)", ":hello"}, {":a < :b", ":a"}, {":_ > a", ":_"}}) {
    INFO(bad);
    CHECK(filter_error(bad) ==
          std::string("Invalid FilterExpression: An expression attribute value used in "
                      "expression is not defined; attribute value: ") +
              value);
  }
}

TEST_CASE("operand counts and types", "[dynamodb][expression]") {
  for (auto [bad, function, count] :
       {std::tuple{"attribute_exists(things, a) and a=a", "attribute_exists", 2},
        {"attribute_not_exists(things, b)", "attribute_not_exists", 2},
        {"attribute_type(things)", "attribute_type", 1},
        {"begins_with(things)", "begins_with", 1},
        {"begins_with(things, size(a), b)", "begins_with", 3},
        {"contains(things)", "contains", 1},
        {"size(things, a) > b", "size", 2}}) {
    INFO(bad);
    CHECK(filter_error(bad) ==
          std::string("Invalid FilterExpression: Incorrect number of operands for operator or "
                      "function; operator or function: ") +
              function + ", number of operands: " + std::to_string(count));
  }
  auto type_error = [](const char* expression, const char* value) {
    return filter_error(expression, (std::string(R"({":a": )") + value + "}").c_str());
  };
  const std::string prefix =
      "Invalid FilterExpression: Incorrect operand type for operator or function; operator or "
      "function: ";
  CHECK(type_error("attribute_type(a, size(a)) and a=a and a=:a", R"({"N": "1"})") ==
        prefix + "attribute_type, operand type: N");
  CHECK(type_error("attribute_type(a, :a)", R"({"BOOL": true})") ==
        prefix + "attribute_type, operand type: BOOL");
  CHECK(type_error("begins_with(a, :a)", R"({"NS": ["1"]})") ==
        prefix + "begins_with, operand type: NS");
  CHECK(type_error("begins_with(:a, a)", R"({"M": {}})") ==
        prefix + "begins_with, operand type: M");
  CHECK(type_error("size(size(a)) > :a", R"({"N": "1"})") == prefix + "size, operand type: N");
  CHECK(type_error("size(:a) > a", R"({"NULL": true})") == prefix + "size, operand type: NULL");
  CHECK(type_error("a < :a", R"({"BOOL": false})") == prefix + "<, operand type: BOOL");
  CHECK(type_error("a BETWEEN :a AND b", R"({"L": []})") == prefix + "BETWEEN, operand type: L");
  CHECK(type_error("attribute_type(a, :a)", R"({"S": "1"})") ==
        "Invalid FilterExpression: Invalid attribute type name found; type: 1, valid types: "
        "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
  CHECK(type_error("attribute_exists(:a) and a=a", R"({"S": "1"})") ==
        "Invalid FilterExpression: Operator or function requires a document path; operator or "
        "function: attribute_exists");
  CHECK(type_error("attribute_not_exists(size(:a))", R"({"S": "1"})") ==
        "Invalid FilterExpression: Operator or function requires a document path; operator or "
        "function: attribute_not_exists");
}

TEST_CASE("the first operand must differ from the others", "[dynamodb][expression]") {
  for (auto [bad, op, path] :
       {std::tuple{"a = a AND #a = b AND :views > a", "=", "[a]"},
        {"#a <> a", "<>", "[a]"},
        {"a > #a", ">", "[a]"},
        {"((a=a) OR (a=a))", "=", "[a]"},
        {"contains(ab.bc[1].a, ab.bc[1].#a)", "contains", "[ab, bc, [1], a]"},
        {"attribute_type(ab.bc[1].#a, ab.bc[1].a)", "attribute_type", "[ab, bc, [1], a]"},
        {"begins_with(ab.bc[1].a, ab.bc[1].#a)", "begins_with", "[ab, bc, [1], a]"}}) {
    INFO(bad);
    CHECK(filter_error(bad, nullptr, R"({"#a": "a"})") ==
          std::string("Invalid FilterExpression: The first operand must be distinct from the "
                      "remaining operands for this operator or function; operator: ") +
              op + ", first operand: " + path);
  }
}

TEST_CASE("BETWEEN bounds and the IN and operator limits", "[dynamodb][expression]") {
  CHECK(condition_error("a between :b and :a", R"({":a": {"S": "a"}, ":b": {"N": "1"}})") ==
        "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and "
        "upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: "
        "AttributeValue: {S:a}");
  CHECK(condition_error("a between :b and :a", R"({":a": {"S": "a"}, ":b": {"S": "b"}})") ==
        "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater "
        "than or equal to lower bound; lower bound operand: AttributeValue: {S:b}, upper bound "
        "operand: AttributeValue: {S:a}");
  std::string in = "a IN (:v";
  for (int i = 1; i < 101; ++i) in += ", :v";
  in += ")";
  CHECK(condition_error(in.c_str(), R"({":v": {"N": "1"}})") ==
        "Invalid ConditionExpression: The IN operator is provided with too many operands; "
        "number of operands: 101");
  std::string many = "a = :v";
  for (int i = 1; i < 301; ++i) many += " OR a = :v";  // 301 comparisons and 300 ORs
  CHECK(condition_error(many.c_str(), R"({":v": {"N": "1"}})") ==
        "Invalid ConditionExpression: The expression contains too many operators; operator "
        "count: 301");
}

TEST_CASE("document paths: nesting and placeholders", "[dynamodb][expression]") {
  std::string deep = "a";
  for (int i = 0; i < 31; ++i) deep += ".b";
  CHECK(projection_error(deep.c_str()) == "<no error>");
  deep += ".b";
  CHECK(projection_error(deep.c_str()) ==
        "Invalid ProjectionExpression: The document path has too many nesting levels; nesting "
        "levels: 33");
  CHECK(projection_error("a[2147483648]") ==
        "Invalid ProjectionExpression: List index is not within the allowable range; index: "
        "[2147483648]");
  CHECK(projection_error("a[2147483647]") == "<no error>");
  // A dot inside a name placeholder is part of the name.
  CHECK(projected("#a", R"({"a.b": {"N": "1"}, "a": {"M": {"b": {"N": "2"}}}})",
                  R"({"#a": "a.b"})") == json::parse(R"({"a.b": {"N": "1"}})"));
}

// ---- ExpressionAttributeNames / Values ----

TEST_CASE("ExpressionAttributeNames and Values are checked and must all be used",
          "[dynamodb][expression]") {
  json empty = json::object();
  CHECK(error_of([&] { ExpressionInputs in(&empty, nullptr); }) ==
        "ExpressionAttributeNames must not be empty");
  CHECK(error_of([&] { ExpressionInputs in(nullptr, &empty); }) ==
        "ExpressionAttributeValues must not be empty");
  json bad_name = json::parse(R"({"a": "x"})");
  CHECK(error_of([&] { ExpressionInputs in(&bad_name, nullptr); }) ==
        "ExpressionAttributeNames contains invalid key: Syntax error; key: \"a\"");
  json bad_key = json::parse(R"({":a-b": {"S": "x"}})");
  CHECK(error_of([&] { ExpressionInputs in(nullptr, &bad_key); }) ==
        "ExpressionAttributeValues contains invalid key: Syntax error; key: \":a-b\"");
  json bad_value = json::parse(R"({":a": {"SS": []}})");
  CHECK(error_of([&] { ExpressionInputs in(nullptr, &bad_value); }) ==
        "ExpressionAttributeValues contains invalid value: One or more parameter values were "
        "invalid: An string set  may not be empty for key :a");
  json empty_value = json::parse(R"({":a": {}})");
  CHECK(error_of([&] { ExpressionInputs in(nullptr, &empty_value); }) ==
        "ExpressionAttributeValues contains invalid value: Supplied AttributeValue is empty, "
        "must contain exactly one of the supported datatypes for key :a");

  json names = json::parse(R"({"#a": "a", "#b": "b", "#c": "c"})");
  json values = json::parse(R"({":x": {"S": "x"}, ":y": {"S": "y"}})");
  ExpressionInputs in(&names, &values);
  (void)parse_condition("#a = :x", in);
  CHECK(error_of([&] { check_all_used(in); }) ==
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b, #c}");
  (void)parse_projection("#b, #c", in);
  CHECK(error_of([&] { check_all_used(in); }) ==
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:y}");
  (void)parse_update("SET a = :y", in);
  CHECK(error_of([&] { check_all_used(in); }) == "<no error>");
}

// ---- KeyConditionExpression ----

namespace {

std::string key_error(const char* expression, const char* values = nullptr,
                      std::optional<KeyAttribute> sort = KeyAttribute{"sk", Type::N}) {
  return error_of([&] {
    ExpressionInputs in = inputs(values).make();
    (void)parse_key_condition(expression, in, KeyAttribute{"pk", Type::S}, sort);
  });
}

}  // namespace

TEST_CASE("a key condition gives the partition value and the sort-key condition",
          "[dynamodb][expression]") {
  const char* v = R"({":p": {"S": "x"}, ":lo": {"N": "1"}, ":hi": {"N": "10"}})";
  ExpressionInputs in = inputs(v).make();
  KeyCondition k = parse_key_condition("pk = :p AND sk BETWEEN :lo AND :hi", in, {"pk", Type::S},
                                       KeyAttribute{"sk", Type::N});
  CHECK(k.partition == AttributeValue::string("x"));
  REQUIRE(k.sort);
  CHECK(k.sort->op == SortKeyCondition::Op::between);
  CHECK(matches(*k.sort, AttributeValue::number("10")));
  CHECK_FALSE(matches(*k.sort, AttributeValue::number("10.5")));

  ExpressionInputs in2 = inputs(v).make();
  KeyCondition inverted = parse_key_condition(":lo < sk and :p = pk", in2, {"pk", Type::S},
                                              KeyAttribute{"sk", Type::N});
  REQUIRE(inverted.sort);
  CHECK(inverted.sort->op == SortKeyCondition::Op::gt);  // ":lo < sk" is "sk > :lo"

  ExpressionInputs in3 = inputs(R"({":p": {"S": "x"}, ":pre": {"S": "ab"}})").make();
  KeyCondition prefix = parse_key_condition("pk = :p and begins_with(sk, :pre)", in3,
                                            {"pk", Type::S}, KeyAttribute{"sk", Type::S});
  CHECK(matches(*prefix.sort, AttributeValue::string("abc")));
  CHECK_FALSE(matches(*prefix.sort, AttributeValue::string("a")));

  ExpressionInputs in4 = inputs(R"({":p": {"S": "x"}})").make();
  KeyCondition only = parse_key_condition("pk = :p", in4, {"pk", Type::S}, std::nullopt);
  CHECK_FALSE(only.sort);
}

TEST_CASE("key condition errors", "[dynamodb][expression]") {
  for (auto [bad, op] : {std::pair{"a > b and size(b) > c or a > c", "OR"},
                         {"a in (b, size(c), d)", "IN"},
                         {"attribute_exists(a)", "attribute_exists"},
                         {"attribute_not_exists(a)", "attribute_not_exists"},
                         {"contains(a.d, b)", "contains"},
                         {"not a > b", "NOT"},
                         {"a <> b", "<>"}}) {
    INFO(bad);
    CHECK(key_error(bad) == std::string("Invalid operator used in KeyConditionExpression: ") + op);
  }
  const char* ab = R"({":a": {"S": "1"}, ":b": {"S": "1"}})";
  CHECK(key_error(":a between size(b) and size(a) and b > :b", ab) ==
        "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key "
        "attribute as its first operand");
  CHECK(key_error("begins_with(:a, b) and a > :b", ab) ==
        "Invalid condition in KeyConditionExpression: begins_with operator must have the key "
        "attribute as its first operand");
  for (const char* bad :
       {"size(b) > a AND a.b > b AND b > c", "a > size(b.d)", "a between size(b) and size(a)"}) {
    INFO(bad);
    CHECK(key_error(bad) == "KeyConditionExpressions cannot contain nested operations");
  }
  for (const char* bad :
       {"b > a.b", "b between c[1] and d", "a between b and size(a)", "begins_with(a, b)"}) {
    INFO(bad);
    CHECK(key_error(bad) ==
          "Invalid condition in KeyConditionExpression: Multiple attribute names used in one "
          "condition");
  }
  for (const char* bad : {"b.d > a AND c.d > e.f", "a.d > c", "b[0] > a"}) {
    INFO(bad);
    CHECK(key_error(bad) == "KeyConditionExpressions cannot have conditions on nested attributes");
  }
  const char* n = R"({":a": {"N": "1"}, ":b": {"N": "1"}})";
  CHECK(key_error(":b > :a AND a < :b", n) ==
        "Invalid condition in KeyConditionExpression: No key attribute specified");
  CHECK(key_error("b > :a AND b < :a and c = :a and d = :a", n) ==
        "KeyConditionExpressions must only contain one condition per key");
  CHECK(key_error("attribute_type(a, :a)", R"({":a": {"S": "S"}})") ==
        "Invalid operator used in KeyConditionExpression: attribute_type");
  CHECK(key_error("") == "Invalid KeyConditionExpression: The expression can not be empty;");
  CHECK(key_error("a > 4").rfind("Invalid KeyConditionExpression: Syntax error; ", 0) == 0);

  // Against the key schema.
  const char* v = R"({":s": {"S": "x"}, ":n": {"N": "1"}, ":e": {"S": ""}})";
  CHECK(key_error("sk = :n", v) == "Query condition missed key schema element: pk");
  CHECK(key_error("oth = :s", v) == "Query condition missed key schema element: pk");
  CHECK(key_error("pk = :s AND oth = :n", v) == "Query condition missed key schema element: sk");
  CHECK(key_error("pk = :s AND oth = :n", v, std::nullopt) == "Query key condition not supported");
  CHECK(key_error("pk > :s", v) == "Query key condition not supported");
  CHECK(key_error("pk = :n", v) ==
        "One or more parameter values were invalid: Condition parameter type does not match "
        "schema type");
  CHECK(key_error("pk = :s and sk = :s", v) ==
        "One or more parameter values were invalid: Condition parameter type does not match "
        "schema type");
  CHECK(key_error("pk = :e", v) ==
        "One or more parameter values are not valid. The AttributeValue for a key attribute "
        "cannot contain an empty string value. Key: pk");
  CHECK(key_error("pk = :s AND sk = :n", v) == "<no error>");
  CHECK(key_error("pk = :s AND (sk = :n)", v) == "<no error>");
}

// ---- ProjectionExpression ----

TEST_CASE("projections keep the structure around nested paths", "[dynamodb][expression]") {
  CHECK(projected("id, m.a.b, l[2].k, l[0], absent, s.x", kItem) == json::parse(R"({
    "id": {"S": "abc"},
    "m": {"M": {"a": {"M": {"b": {"N": "7"}}}}},
    "l": {"L": [{"S": "a"}, {"M": {"k": {"S": "v"}}}]}
  })"));
  CHECK(projected("m.lst[1], l[5]", kItem) ==
        json::parse(R"({"m": {"M": {"lst": {"L": [{"N": "4"}]}}}})"));
  CHECK(projected("#n", kItem, R"({"#n": "n"})") == json::parse(R"({"n": {"N": "5"}})"));
}

TEST_CASE("projection errors", "[dynamodb][expression]") {
  CHECK(projection_error("!!! INVALID !!!") ==
        "Invalid ProjectionExpression: Syntax error; token: \"!\", near: \"!!\"");
  CHECK(projection_error("a, status") ==
        "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: "
        "status");
  CHECK(projection_error("a,") ==
        "Invalid ProjectionExpression: Syntax error; token: \"<EOF>\", near: \",\"");
  CHECK(projection_error("a, a.b") ==
        "Invalid ProjectionExpression: Two document paths overlap with each other; must remove "
        "or rewrite one of these paths; path one: [a], path two: [a, b]");
  CHECK(projection_error("a.b, a[0]") ==
        "Invalid ProjectionExpression: Two document paths conflict with each other; must remove "
        "or rewrite one of these paths; path one: [a, b], path two: [a, [0]]");
  CHECK(projection_error("#x") ==
        "Invalid ProjectionExpression: An expression attribute name used in the document path is "
        "not defined; attribute name: #x");
  CHECK(projection_error("") == "Invalid ProjectionExpression: The expression can not be empty;");
}

// ---- UpdateExpression ----

TEST_CASE("SET, REMOVE, ADD and DELETE", "[dynamodb][expression]") {
  const char* v = R"({":one": {"N": "1"}, ":s": {"S": "new"}, ":l": {"L": [{"N": "9"}]},
    ":ss": {"SS": ["y", "z"]}, ":ns": {"NS": ["2.50"]}, ":x": {"SS": ["x", "y"]},
    ":bx": {"BS": ["Ag=="]}})";
  json out = updated(
      "SET s = :s, n = n + :one, l = list_append(l, :l), m.a.c = :one, fresh = "
      "if_not_exists(fresh, :one) "
      "REMOVE z, m.lst[0] ADD ss :ss, ns :ns, tally :one DELETE bs :bx",
      kItem, v);
  CHECK(out["s"] == json::parse(R"({"S": "new"})"));
  CHECK(out["n"] == json::parse(R"({"N": "6"})"));
  CHECK(out["l"]["L"].size() == 4);
  CHECK(out["m"]["M"]["a"]["M"]["c"] == json::parse(R"({"N": "1"})"));
  CHECK(out["m"]["M"]["lst"] == json::parse(R"({"L": [{"N": "4"}]})"));
  CHECK(out["fresh"] == json::parse(R"({"N": "1"})"));
  CHECK_FALSE(out.contains("z"));
  CHECK(out["ss"] == json::parse(R"({"SS": ["x", "y", "z"]})"));
  CHECK(out["ns"] == json::parse(R"({"NS": ["1", "2.5"]})"));  // 2.50 is already there
  CHECK(out["tally"] == json::parse(R"({"N": "1"})"));
  CHECK(out["bs"] == json::parse(R"({"BS": ["AQ=="]})"));  // nothing to delete
  // DELETE that empties a set removes the attribute.
  CHECK_FALSE(updated("DELETE ss :x", kItem, v).contains("ss"));
  // Keywords in any case; values read before anything is written.
  CHECK(updated("set a = :one remove n", kItem, v)["a"] == json::parse(R"({"N": "1"})"));
  CHECK(updated("REMOVE n SET c = n", kItem, v)["c"] == json::parse(R"({"N": "5"})"));
  CHECK(updated("SET n = :one - n", kItem, v)["n"] == json::parse(R"({"N": "-4"})"));
  CHECK(updated("SET a = if_not_exists(b, :one) + :one", "{}", v)["a"] ==
        json::parse(R"({"N": "2"})"));
  CHECK(updated("SET a = list_append(if_not_exists(a, :l), :l)", "{}", v)["a"]["L"].size() == 2);
}

TEST_CASE("list indexes name the list as it was", "[dynamodb][expression]") {
  const char* item =
      R"({"a": {"L": [{"N": "2"}, {"N": "3"}, {"N": "4"}, {"N": "5"}, {"N": "6"}, {"N": "7"}]}})";
  const char* v = R"({":v": {"N": "17"}, ":w": {"S": "w"}})";
  CHECK(updated("REMOVE a[1] SET a[3] = :v", item, v)["a"] ==
        json::parse(R"({"L": [{"N": "2"}, {"N": "4"}, {"N": "17"}, {"N": "6"}, {"N": "7"}]})"));
  CHECK(updated("SET a[3] = :v REMOVE a[1]", item, v)["a"] ==
        updated("REMOVE a[1] SET a[3] = :v", item, v)["a"]);
  // Past the end SET appends, in index order; REMOVE does nothing.
  CHECK(updated("SET a[84] = :w, a[7] = :v", item, v)["a"]["L"].back() ==
        json::parse(R"({"S": "w"})"));
  CHECK(updated("SET a[84] = :w, a[7] = :v", item, v)["a"]["L"].size() == 8);
  CHECK(updated("REMOVE a[17]", item, v)["a"]["L"].size() == 6);
  CHECK(updated("REMOVE a[0]", R"({"a": {"L": [{"N": "1"}]}})")["a"] ==
        json::parse(R"({"L": []})"));
  CHECK(updated("REMOVE a.b", R"({"a": {"M": {"b": {"N": "1"}}}})")["a"] ==
        json::parse(R"({"M": {}})"));
}

TEST_CASE("update errors met while applying", "[dynamodb][expression]") {
  const char* v =
      R"({":one": {"N": "1"}, ":s": {"S": "x"}, ":l": {"L": []}, ":ss": {"SS": ["a"]}})";
  const std::string invalid_path =
      "The document path provided in the update expression is invalid for update";
  CHECK(update_error("SET s.c = :one", kItem, v) == invalid_path);
  CHECK(update_error("SET l.c = :one", kItem, v) == invalid_path);
  CHECK(update_error("SET nothing.c = :one", kItem, v) == invalid_path);
  CHECK(update_error("SET s[0] = :one", kItem, v) == invalid_path);
  CHECK(update_error("SET m[0] = :one", kItem, v) == invalid_path);
  CHECK(update_error("REMOVE s.c", kItem, v) == invalid_path);
  CHECK(update_error("REMOVE nothing[0]", kItem, v) == invalid_path);
  CHECK(update_error("REMOVE m.nothing", kItem, v) == "<no error>");
  // A REMOVE on an item that does not exist yet does nothing, whatever the path.
  CHECK(updated("REMOVE x.y", "{}", nullptr, nullptr, false) == json::object());
  CHECK(updated("REMOVE x[0] SET y = :one", "{}", v, nullptr, false) ==
        json::parse(R"({"y": {"N": "1"}})"));
  const std::string missing =
      "The provided expression refers to an attribute that does not exist in the item";
  CHECK(update_error("SET c = nothing", kItem, v) == missing);
  CHECK(update_error("SET c = nothing + :one", kItem, v) == missing);
  CHECK(update_error("SET c = list_append(nothing, :l)", kItem, v) == missing);
  CHECK(update_error("SET c = if_not_exists(n, nothing)", kItem, v) == missing);
  const std::string wrong_type = "An operand in the update expression has an incorrect data type";
  CHECK(update_error("SET c = s + :one", kItem, v) == wrong_type);
  CHECK(update_error("SET c = list_append(s, :l)", kItem, v) == wrong_type);
  CHECK(update_error("ADD s :one", kItem, v) == wrong_type);
  CHECK(update_error("ADD ns :ss", kItem, v) == wrong_type);
  CHECK(update_error("DELETE ns :ss", kItem, v) == wrong_type);
  // The item is left as it was.
  Item it = item_of(kItem);
  ExpressionInputs in = inputs(v).make();
  Update u = parse_update("SET a = :one, c = s + :one", in);
  CHECK_THROWS_AS(apply_update(u, it), ValidationError);
  CHECK(to_json(it) == to_json(item_of(kItem)));
}

TEST_CASE("update arithmetic is exact decimal, within DynamoDB's limits",
          "[dynamodb][expression]") {
  const char* v =
      R"({":tenth": {"N": "0.1"}, ":big": {"N": "99999999999999999999999999999999999999"},
    ":tiny": {"N": "1E-100"}, ":max": {"N": "9.9999999999999999999999999999999999999E+125"}})";
  CHECK(updated("SET a = :tenth + :tenth", "{}", v)["a"] == json::parse(R"({"N": "0.2"})"));
  CHECK(update_error("SET a = :big + :tiny", "{}", v) ==
        "Attempting to store more than 38 significant digits in a Number");
  CHECK(update_error("SET a = :max + :max", "{}", v) ==
        "Number overflow. Attempting to store a number with magnitude larger than supported range");
  CHECK(update_error("ADD a :tenth", R"({"a": {"N": "99999999999999999999999999999999999999"}})",
                     v) == "Attempting to store more than 38 significant digits in a Number");
}

TEST_CASE("update clause and path rules", "[dynamodb][expression]") {
  CHECK(update_error("SET a = :v SET b = :v", "{}", R"({":v": {"N": "1"}})") ==
        "Invalid UpdateExpression: The \"SET\" section can only be used once in an update "
        "expression;");
  CHECK(update_error("remove #d set a = b remove e", "{}", nullptr, R"({"#d": "d"})") ==
        "Invalid UpdateExpression: The \"REMOVE\" section can only be used once in an update "
        "expression;");
  CHECK(update_error("SET a = :v REMOVE a", "{}", R"({":v": {"N": "1"}})") ==
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or "
        "rewrite one of these paths; path one: [a], path two: [a]");
  CHECK(update_error("set d[1] = a, d.b = a, c[1].a = a, #c = if_not_exists(a)", "{}", nullptr,
                     R"({"#c": "c", "#d": "[3]"})") ==
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or "
        "rewrite one of these paths; path one: [c, [1], a], path two: [c]");
  CHECK(update_error("set #c[3].#d = a, #c[3] = a", "{}", nullptr, R"({"#c": "c", "#d": "[3]"})") ==
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or "
        "rewrite one of these paths; path one: [c, [3], [3]], path two: [c, [3]]");
  CHECK(update_error("set #c[3].#d = a, #c.#d[3] = if_not_exists(a)", "{}", nullptr,
                     R"({"#c": "c", "#d": "[3]"})") ==
        "Invalid UpdateExpression: Two document paths conflict with each other; must remove or "
        "rewrite one of these paths; path one: [c, [3], [3]], path two: [c, [3], [3]]");
  CHECK(update_error("remove a.#c set a[1] = #d", "{}", nullptr, R"({"#c": "c", "#d": "[3]"})") ==
        "Invalid UpdateExpression: Two document paths conflict with each other; must remove or "
        "rewrite one of these paths; path one: [a, c], path two: [a, [1]]");
  CHECK(update_error("INVALID SYNTAX HERE") ==
        "Invalid UpdateExpression: Syntax error; token: \"INVALID\", near: \"INVALID SYNTAX\"");
  CHECK(update_error("ADD hits : incr", "{}", R"({":incr": {"N": "1"}})") ==
        "Invalid UpdateExpression: Syntax error; token: \":\", near: \"hits : incr\"");
  CHECK(update_error("SET _123 = :v", "{}", R"({":v": {"N": "1"}})") ==
        "Invalid UpdateExpression: Syntax error; token: \"_\", near: \"SET _123\"");
  CHECK(update_error("SET") ==
        "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"SET\"");
  for (const char* bad : {"add :a b", "delete :a b", "remove :a", "set a = b / c",
                          "set a[1] = \"eight\"", "set a[1] = 1", "SET a = if_not_exist(a, 100)",
                          "SET if_not_exist(a, b) = a", "set (a = (b + c))", "set a = (b.c).d + e",
                          "set a = (b.c)[0] + e", "set a = b + c + d", "SET a = :v,", "SET :a = :b",
                          "SET a = list_append(:v + :w, a)", "SET a = :", "SET # = :v"}) {
    INFO(bad);
    CHECK(update_error(bad).rfind("Invalid UpdateExpression: Syntax error; ", 0) == 0);
  }
  CHECK(update_error(" set #c = :c set abOrt = true ") ==
        "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: abOrt");
  CHECK(update_error(" remove Absolute ") ==
        "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: "
        "Absolute");
  CHECK(update_error("set #c = if_not_exist(:c) set c = d") ==
        "Invalid UpdateExpression: Invalid function name; function: if_not_exist");
  CHECK(update_error("SET a = size(b)") ==
        "Invalid UpdateExpression: The function is not allowed in an update expression; "
        "function: size");
  CHECK(update_error("SET a = list_append(list_append(:v, :v), :v)") ==
        "Invalid UpdateExpression: The function is not allowed to be used this way in an "
        "expression; function: list_append");
  CHECK(update_error("SET a = ((b + c))") ==
        "Invalid UpdateExpression: The expression has redundant parentheses;");
  CHECK(update_error("SET a = (b + c)", R"({"b": {"N": "1"}, "c": {"N": "2"}})") == "<no error>");
}

TEST_CASE("update operand checks", "[dynamodb][expression]") {
  const char* v = R"({":a": {"S": "a"}, ":b": {"N": "1"}, ":c": {"B": "YQ=="},
    ":d": {"BOOL": false}, ":e": {"NULL": true}, ":f": {"SS": ["a"]}, ":g": {"NS": ["1"]},
    ":h": {"BS": ["YQ=="]}, ":i": {"M": {}}, ":j": {"L": []}})";
  auto error = [&](const char* expression) {
    return error_of([&] {
      ExpressionInputs in = inputs(v).make();
      (void)parse_update(expression, in);
    });
  };
  const std::string prefix =
      "Invalid UpdateExpression: Incorrect operand type for operator or function; ";
  CHECK(error("set a = list_append(:a, a)") ==
        prefix + "operator or function: list_append, operand type: S");
  CHECK(error("set a = list_append(a, :b)") ==
        prefix + "operator or function: list_append, operand type: N");
  CHECK(error("set a = a + :a") == prefix + "operator or function: +, operand type: S");
  CHECK(error("set a = :c - a") == prefix + "operator or function: -, operand type: B");
  CHECK(error("set a = a + :j") == prefix + "operator or function: +, operand type: L");
  CHECK(error("add a.b :a") == prefix + "operator: ADD, operand type: STRING");
  CHECK(error("delete a.b :e") == prefix + "operator: DELETE, operand type: NULL");
  CHECK(error("add a.b :d") == prefix + "operator: ADD, operand type: BOOLEAN");
  CHECK(error("delete a.b :b") == prefix + "operator: DELETE, operand type: NUMBER");
  CHECK(error("add a.b :i") == prefix + "operator: ADD, operand type: MAP");
  CHECK(error("add a.b :j") == prefix + "operator: ADD, operand type: LIST");
  // Actions are checked last first, as DynamoDB does.
  CHECK(error("set b = list_append(:a, a), c = if_not_exists(a) add a.b :a") ==
        prefix + "operator: ADD, operand type: STRING");
  CHECK(
      error("set a = if_not_exists(c)")
          .rfind("Invalid UpdateExpression: Incorrect number of operands for operator or function; "
                 "operator or function: if_not_exists, number of operands: 1",
                 0) == 0);
  CHECK(error("set a = if_not_exists(:a, c)") ==
        "Invalid UpdateExpression: Operator or function requires a document path; operator or "
        "function: if_not_exists");
  CHECK(error("SET #c = if_not_exists(:c)") ==
        "Invalid UpdateExpression: An expression attribute name used in the document path is not "
        "defined; attribute name: #c");
  CHECK(error("SET a = if_not_exists(a, :zz)") ==
        "Invalid UpdateExpression: An expression attribute value used in expression is not "
        "defined; attribute value: :zz");
}

TEST_CASE("an update reports the attributes it writes", "[dynamodb][expression]") {
  ExpressionInputs in = inputs(R"({":v": {"N": "1"}})").make();
  Update u = parse_update("SET a.b = :v, c = :v REMOVE d[0] ADD e :v", in);
  CHECK(updated_attributes(u) == std::set<std::string>{"a", "c", "d", "e"});
  Item before =
      item_of(R"({"a": {"M": {"b": {"N": "0"}, "x": {"N": "9"}}}, "d": {"L": [{"N": "1"}]}})");
  Item after = before;
  apply_update(u, after);
  CHECK(to_json(project(updated_paths(u), before)) ==
        json::parse(R"({"a": {"M": {"b": {"N": "0"}}}, "d": {"L": [{"N": "1"}]}})"));
  CHECK(to_json(project(updated_paths(u), after)) ==
        json::parse(R"({"a": {"M": {"b": {"N": "1"}}}, "c": {"N": "1"}, "e": {"N": "1"}})"));
}

TEST_CASE("an update may not nest deeper than 32 levels", "[dynamodb][expression]") {
  std::string deep = R"({"S": "x"})";
  for (int i = 0; i < 31; ++i) deep = R"({"M": {"k": )" + deep + "}}";
  // 31 maps, the most a value may have; set at a.b its innermost map would be at level 32.
  const std::string values = R"({":deep": )" + deep + "}";
  CHECK(update_error("SET a = :deep", "{}", values.c_str()) == "<no error>");
  CHECK(update_error("SET a.b = :deep", R"({"a": {"M": {}}})", values.c_str()) ==
        "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels "
        "beyond supported limit");
}

// ---- tests/dynamodb/expressions.json ----

namespace {

// The cases file shared with the end-to-end differential tests; __FILE__ is relative to the
// build folder when ccache rewrites paths.
json expression_cases() {
  std::filesystem::path here = __FILE__;
  if (here.is_relative()) here = fx::util::self_exe().parent_path() / here;
  std::ifstream in(here.parent_path().parent_path() / "dynamodb" / "expressions.json");
  REQUIRE(in);
  return json::parse(in)["cases"];
}

// What fx answers for one case, in the file's terms: {"message": ...} or {"result": ...}.
json answer(const json& c) {
  const json* names = c.contains("names") ? &c["names"] : nullptr;
  const json* values = c.contains("values") ? &c["values"] : nullptr;
  const std::string expression = c["expression"];
  const std::string text = c["text"];
  const bool has_item = c.contains("item");
  Item item = has_item ? item_from_json(c["item"]) : Item{};
  try {
    ExpressionInputs in(names, values);
    if (expression == "ConditionExpression" || expression == "FilterExpression") {
      Condition cond = parse_condition(
          text, in,
          expression == "FilterExpression" ? ExpressionKind::filter : ExpressionKind::condition);
      check_all_used(in);
      return {{"message", nullptr}, {"result", evaluate(cond, item)}};
    }
    if (expression == "KeyConditionExpression") {
      (void)parse_key_condition(text, in, {"pk", Type::S}, KeyAttribute{"sk", Type::N});
      check_all_used(in);
      return {{"message", nullptr}};
    }
    if (expression == "ProjectionExpression") {
      Projection p = parse_projection(text, in);
      check_all_used(in);
      return {{"message", nullptr}, {"result", to_json(project(p, item))}};
    }
    Update u = parse_update(text, in);
    check_all_used(in);
    apply_update(u, item, has_item);
    return {{"message", nullptr}, {"result", to_json(item)}};
  } catch (const ValidationError& e) {
    return {{"message", e.what()}};
  }
}

}  // namespace

TEST_CASE("every case of tests/dynamodb/expressions.json", "[dynamodb][expression]") {
  for (const json& c : expression_cases()) {
    INFO(c.dump());
    const json got = answer(c);
    CHECK(got["message"] == c["message"]);
    if (c["message"].is_null() && c.contains("result") && c["operation"] != "Scan" &&
        c["operation"] != "PutItem")
      CHECK(got["result"] == c["result"]);
  }
}
