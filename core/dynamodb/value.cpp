#include "core/dynamodb/value.h"

#include <algorithm>
#include <array>
#include <climits>
#include <set>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/util/error.h"
#include "core/util/hash.h"

namespace fx::dynamodb {

namespace {

constexpr std::array<std::string_view, 10> kTypeNames = {"S", "N", "B",  "BOOL", "NULL",
                                                         "M", "L", "SS", "NS",   "BS"};

// DynamoDB's limits on a number's magnitude, as exponents of its leading digit in scientific
// notation (d.ddd x 10^e): 1E-130 is the smallest, 9.99...E+125 the largest.
constexpr int kMaxScientificExponent = 125;
constexpr int kMinScientificExponent = -130;
// Values nest at most this deep, counting a top-level attribute's value as level 1.
constexpr int kMaxNestingDepth = 32;

[[noreturn]] void invalid(const std::string& message) {
  throw ValidationError(message);
}
[[noreturn]] void serialization(const std::string& message) {
  throw SerializationError(message);
}

}  // namespace

std::string_view type_name(Type type) {
  return kTypeNames[static_cast<std::size_t>(type)];
}

bool type_from_name(std::string_view name, Type& type) {
  for (std::size_t i = 0; i < kTypeNames.size(); ++i) {
    if (kTypeNames[i] == name) {
      type = static_cast<Type>(i);
      return true;
    }
  }
  return false;
}

AttributeValue AttributeValue::string(std::string s) {
  AttributeValue v;
  v.type = Type::S;
  v.text = std::move(s);
  return v;
}
AttributeValue AttributeValue::number(std::string number) {
  AttributeValue v;
  v.type = Type::N;
  v.text = std::move(number);
  return v;
}
AttributeValue AttributeValue::binary(std::string bytes) {
  AttributeValue v;
  v.type = Type::B;
  v.text = std::move(bytes);
  return v;
}
AttributeValue AttributeValue::boolean_value(bool value) {
  AttributeValue v;
  v.type = Type::BOOL;
  v.boolean = value;
  return v;
}
AttributeValue AttributeValue::null() {
  AttributeValue v;
  v.type = Type::NUL;
  v.boolean = true;
  return v;
}
AttributeValue AttributeValue::map_value(Map map) {
  AttributeValue v;
  v.type = Type::M;
  v.map = std::move(map);
  return v;
}
AttributeValue AttributeValue::list_value(List list) {
  AttributeValue v;
  v.type = Type::L;
  v.list = std::move(list);
  return v;
}
AttributeValue AttributeValue::set_value(Type type, std::vector<std::string> members) {
  AttributeValue v;
  v.type = type;
  v.set = std::move(members);
  return v;
}

bool operator==(const AttributeValue& a, const AttributeValue& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case Type::S:
    case Type::N:
    case Type::B:
      return a.text == b.text;
    case Type::BOOL:
      return a.boolean == b.boolean;
    case Type::NUL:
      return true;
    case Type::M:
      return a.map == b.map;
    case Type::L:
      return a.list == b.list;
    case Type::SS:
    case Type::NS:
    case Type::BS: {
      if (a.set.size() != b.set.size()) return false;
      std::set<std::string_view> members(a.set.begin(), a.set.end());
      return std::all_of(b.set.begin(), b.set.end(),
                         [&](const std::string& m) { return members.count(m) != 0; });
    }
  }
  return false;
}

// ---- Numbers ----

namespace {

// Checks DynamoDB's limits on an exact result; `digits` and `exponent` already normalised.
void check_number_limits(const Decimal& d) {
  if (d.is_zero()) return;
  const long long scientific = static_cast<long long>(d.exponent) - 1;
  if (scientific > kMaxScientificExponent)
    invalid(
        "Number overflow. Attempting to store a number with magnitude larger than supported "
        "range");
  if (scientific < kMinScientificExponent)
    invalid(
        "Number underflow. Attempting to store a number with magnitude smaller than supported "
        "range");
  if (d.digits.size() > static_cast<std::size_t>(kMaxNumberDigits))
    invalid("Attempting to store more than 38 significant digits in a Number");
}

// Strips leading and trailing zeros from `digits` (adjusting `exponent`), so that the value
// 0.digits x 10^exponent has a unique representation.
void normalise(Decimal& d) {
  std::size_t lead = d.digits.find_first_not_of('0');
  if (lead == std::string::npos) {
    d = Decimal{};
    return;
  }
  d.digits.erase(0, lead);
  d.exponent -= static_cast<int>(lead);
  d.digits.erase(d.digits.find_last_not_of('0') + 1);
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

Decimal parse_number(std::string_view text) {
  if (text.empty()) invalid("The parameter cannot be converted to a numeric value");
  auto not_a_number = [&]() -> Decimal {
    invalid("The parameter cannot be converted to a numeric value: " + std::string(text));
  };
  // Java's BigDecimal syntax: [+-] (digits [. [digits]] | . digits) [(e|E) [+-] digits].
  std::size_t i = 0;
  Decimal d;
  if (text[i] == '+' || text[i] == '-') d.negative = text[i++] == '-';
  // The value is 0.mantissa x 10^before_point until normalised.
  long long before_point = 0;
  bool point = false;
  for (; i < text.size(); ++i) {
    if (is_digit(text[i])) {
      d.digits.push_back(text[i]);
      if (!point) ++before_point;
    } else if (text[i] == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (d.digits.empty()) return not_a_number();
  long long exponent = 0;
  if (i < text.size()) {
    if (text[i] != 'e' && text[i] != 'E') return not_a_number();
    ++i;
    bool negative_exponent = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative_exponent = text[i++] == '-';
    if (i == text.size()) return not_a_number();
    for (; i < text.size(); ++i) {
      if (!is_digit(text[i])) return not_a_number();
      // Saturate: an exponent this large is an overflow or an underflow whatever the digits.
      if (exponent < 1'000'000'000) exponent = exponent * 10 + (text[i] - '0');
    }
    if (negative_exponent) exponent = -exponent;
  }
  // Clamped to a range that is still out of DynamoDB's, so that the checks report it.
  constexpr long long kClamp = 1'000'000'000;
  d.exponent = static_cast<int>(std::clamp(before_point + exponent, -kClamp, kClamp));
  normalise(d);
  check_number_limits(d);
  return d;
}

std::string format_number(const Decimal& d) {
  if (d.is_zero()) return "0";
  std::string out;
  if (d.negative) out.push_back('-');
  const long long n = static_cast<long long>(d.digits.size());
  if (d.exponent <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-static_cast<long long>(d.exponent)), '0');
    out += d.digits;
  } else if (d.exponent < n) {
    out.append(d.digits, 0, static_cast<std::size_t>(d.exponent));
    out.push_back('.');
    out.append(d.digits, static_cast<std::size_t>(d.exponent));
  } else {
    out += d.digits;
    out.append(static_cast<std::size_t>(d.exponent - n), '0');
  }
  return out;
}

std::string canonical_number(std::string_view text) {
  return format_number(parse_number(text));
}

namespace {

// Compares magnitudes |a| and |b|.
std::strong_ordering compare_magnitudes(const Decimal& a, const Decimal& b) {
  if (a.is_zero() || b.is_zero()) return !a.is_zero() <=> !b.is_zero();
  if (a.exponent != b.exponent) return a.exponent <=> b.exponent;
  int c = a.digits.compare(b.digits);
  return c <=> 0;
}

// |a| + |b| or |a| - |b| (requires |a| >= |b|), as a normalised non-negative Decimal.
Decimal add_magnitudes(const Decimal& a, const Decimal& b, bool subtract) {
  if (b.is_zero()) {
    Decimal r = a;
    r.negative = false;
    return r;
  }
  if (a.is_zero()) {
    Decimal r = b;
    r.negative = false;
    return r;
  }
  // Align both on a common grid: position p holds the digit worth 10^(top - 1 - p).
  const int top = std::max(a.exponent, b.exponent) + 1;  // one spare digit for a carry
  const int bottom = std::min(a.exponent - static_cast<int>(a.digits.size()),
                              b.exponent - static_cast<int>(b.digits.size()));
  const int width = top - bottom;
  std::vector<int> x(static_cast<std::size_t>(width), 0), y(static_cast<std::size_t>(width), 0);
  auto place = [&](const Decimal& d, std::vector<int>& into) {
    for (std::size_t k = 0; k < d.digits.size(); ++k)
      into[static_cast<std::size_t>(top - d.exponent) + k] = d.digits[k] - '0';
  };
  place(a, x);
  place(b, y);
  int carry = 0;
  for (int p = width - 1; p >= 0; --p) {
    int v = subtract ? x[p] - y[p] - carry : x[p] + y[p] + carry;
    if (v < 0) {
      v += 10;
      carry = 1;
    } else if (v > 9) {
      v -= 10;
      carry = 1;
    } else {
      carry = 0;
    }
    x[p] = v;
  }
  Decimal r;
  r.digits.reserve(static_cast<std::size_t>(width));
  for (int v : x) r.digits.push_back(static_cast<char>('0' + v));
  r.exponent = top;
  normalise(r);
  return r;
}

Decimal add_signed(const Decimal& a, const Decimal& b) {
  Decimal r;
  if (a.negative == b.negative) {
    r = add_magnitudes(a, b, false);
    r.negative = a.negative && !r.is_zero();
  } else if (compare_magnitudes(a, b) >= 0) {
    r = add_magnitudes(a, b, true);
    r.negative = a.negative && !r.is_zero();
  } else {
    r = add_magnitudes(b, a, true);
    r.negative = b.negative && !r.is_zero();
  }
  check_number_limits(r);
  return r;
}

}  // namespace

std::strong_ordering compare_numbers(const Decimal& a, const Decimal& b) {
  const int sign_a = a.is_zero() ? 0 : (a.negative ? -1 : 1);
  const int sign_b = b.is_zero() ? 0 : (b.negative ? -1 : 1);
  if (sign_a != sign_b) return sign_a <=> sign_b;
  std::strong_ordering m = compare_magnitudes(a, b);
  if (sign_a < 0) return 0 <=> m;
  return m;
}

Decimal add_numbers(const Decimal& a, const Decimal& b) {
  return add_signed(a, b);
}

Decimal subtract_numbers(const Decimal& a, const Decimal& b) {
  Decimal negated = b;
  negated.negative = !b.negative && !b.is_zero();
  return add_signed(a, negated);
}

// ---- JSON ----

namespace {

using nlohmann::json;

// The name Java's JSON reader gives a scalar of the wrong type: "TRUE_VALUE cannot be
// converted to String" and the like.
std::string json_token_name(const json& j) {
  if (j.is_boolean()) return j.get<bool>() ? "TRUE_VALUE" : "FALSE_VALUE";
  if (j.is_number_float()) return "DECIMAL_VALUE";
  if (j.is_number()) return "NUMBER_VALUE";
  return "STRING_VALUE";
}

// Checks a JSON member declared as a string (S, N, members of SS and NS).
const std::string& expect_string(const json& j) {
  if (j.is_string()) return j.get_ref<const std::string&>();
  if (j.is_object()) serialization("Start of structure or map found where not expected");
  if (j.is_array()) serialization("Unrecognized collection type class java.lang.String");
  serialization(json_token_name(j) + " cannot be converted to String");
}

// Checks and decodes a JSON member declared as a blob (B, members of BS).
std::string expect_blob(const json& j) {
  if (j.is_object()) serialization("Start of structure or map found where not expected");
  if (j.is_array()) serialization("Unrecognized collection type class java.nio.ByteBuffer");
  if (!j.is_string()) serialization("only base-64-encoded strings are convertible to bytes");
  const std::string& text = j.get_ref<const std::string&>();
  if (text.size() % 4 != 0)
    serialization("Base64 encoded length is expected a multiple of 4 bytes but found: " +
                  std::to_string(text.size()));
  try {
    std::string bytes = util::base64_decode(text);
    // The standard decoder trims surrounding whitespace; DynamoDB does not.
    if (util::base64_encode(bytes) != text) throw fx::Error("not canonical");
    return bytes;
  } catch (const fx::Error&) {
    serialization("Invalid last non-pad Base64 character dectected");
  }
}

bool expect_boolean(const json& j) {
  if (j.is_boolean()) return j.get<bool>();
  if (j.is_object()) serialization("Start of structure or map found where not expected");
  if (j.is_array()) serialization("Unrecognized collection type class java.lang.Boolean");
  if (j.is_number()) serialization(json_token_name(j) + " cannot be converted to Boolean");
  // Java's reader takes these strings for a boolean.
  std::string s = j.get<std::string>();
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  if (s == "TRUE" || s == "1" || s == "YES") return true;
  if (s == "FALSE" || s == "0" || s == "NO") return false;
  serialization("Unexpected token received from parser");
}

const json& expect_list(const json& j) {
  if (j.is_array()) return j;
  if (j.is_object()) serialization("Start of structure or map found where not expected");
  serialization("Unexpected field type");
}

std::string set_text(const std::vector<std::string>& members) {
  std::string out = "[";
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i) out += ", ";
    out += members[i];
  }
  return out + "]";
}

AttributeValue parse_value(const json& j, int depth);

[[noreturn]] void too_deep() {
  invalid(
      "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels "
      "beyond supported limit");
}

// One member ("S", "N", ...) of an attribute value's JSON object, of type `type`.
AttributeValue parse_member(Type type, const json& member, int depth) {
  switch (type) {
    case Type::S:
      return AttributeValue::string(expect_string(member));
    case Type::N:
      return AttributeValue::number(canonical_number(expect_string(member)));
    case Type::B:
      return AttributeValue::binary(expect_blob(member));
    case Type::BOOL:
      return AttributeValue::boolean_value(expect_boolean(member));
    case Type::NUL:
      if (!expect_boolean(member))
        invalid(
            "One or more parameter values were invalid: Null attribute value types must have the "
            "value of true");
      return AttributeValue::null();
    case Type::M: {
      // A map or list at the deepest level would hold values deeper still.
      if (depth >= kMaxNestingDepth) too_deep();
      if (member.is_array())
        serialization(
            "Unrecognized collection type java.util.Map<java.lang.String, "
            "com.amazonaws.dynamodb.v20120810.AttributeValue>");
      if (!member.is_object()) serialization("Unexpected field type");
      Map map;
      for (auto it = member.begin(); it != member.end(); ++it) {
        if (it.value().is_null()) continue;
        map.emplace(it.key(), parse_value(it.value(), depth + 1));
      }
      return AttributeValue::map_value(std::move(map));
    }
    case Type::L: {
      if (depth >= kMaxNestingDepth) too_deep();
      List list;
      for (const json& element : expect_list(member)) {
        if (element.is_null()) continue;
        list.push_back(parse_value(element, depth + 1));
      }
      return AttributeValue::list_value(std::move(list));
    }
    case Type::SS:
    case Type::NS:
    case Type::BS: {
      std::vector<std::string> members;
      for (const json& element : expect_list(member)) {
        if (element.is_null()) continue;
        if (type == Type::SS) members.push_back(expect_string(element));
        if (type == Type::BS) members.push_back(expect_blob(element));
        if (type == Type::NS) members.push_back(canonical_number(expect_string(element)));
      }
      if (members.empty()) {
        if (type == Type::SS)
          invalid("One or more parameter values were invalid: An string set  may not be empty");
        if (type == Type::NS)
          invalid("One or more parameter values were invalid: An number set  may not be empty");
        invalid("One or more parameter values were invalid: Binary sets should not be empty");
      }
      // NS members are canonical already, so 1.0 and 1 collide here as DynamoDB has them.
      std::set<std::string_view> seen;
      for (const std::string& m : members) {
        if (seen.insert(m).second) continue;
        if (type == Type::NS) invalid("Input collection contains duplicates");
        if (type == Type::SS)
          invalid("One or more parameter values were invalid: Input collection " +
                  set_text(members) + " contains duplicates.");
        std::vector<std::string> encoded;
        for (const std::string& b : members) encoded.push_back(util::base64_encode(b));
        invalid("One or more parameter values were invalid: Input collection " + set_text(encoded) +
                "of type BS contains duplicates.");
      }
      return AttributeValue::set_value(type, std::move(members));
    }
  }
  invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
}

AttributeValue parse_value(const json& j, int depth) {
  if (j.is_array())
    serialization(
        "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue");
  if (!j.is_object()) serialization("Unexpected value type in payload");
  // Unknown members and null ones are ignored, as DynamoDB's reader ignores them.
  int count = 0;
  Type type = Type::NUL;
  const json* member = nullptr;
  for (auto it = j.begin(); it != j.end(); ++it) {
    Type t;
    if (!type_from_name(it.key(), t) || it.value().is_null()) continue;
    if (++count == 1) {
      type = t;
      member = &it.value();
    }
  }
  if (count == 0)
    invalid(
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
  AttributeValue value = parse_member(type, *member, depth);
  if (count > 1) {
    // DynamoDB reports a bad member before it notices there are several.
    for (auto it = j.begin(); it != j.end(); ++it) {
      Type t;
      if (type_from_name(it.key(), t) && !it.value().is_null() && &it.value() != member)
        (void)parse_member(t, it.value(), depth);
    }
    invalid(
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the "
        "supported datatypes");
  }
  return value;
}

}  // namespace

AttributeValue value_from_json(const nlohmann::json& json) {
  return parse_value(json, 1);
}

Item item_from_json(const nlohmann::json& json) {
  if (json.is_array())
    serialization(
        "Unrecognized collection type java.util.Map<java.lang.String, "
        "com.amazonaws.dynamodb.v20120810.AttributeValue>");
  if (!json.is_object()) serialization("Unexpected field type");
  Item item;
  for (auto it = json.begin(); it != json.end(); ++it) {
    if (it.value().is_null()) continue;
    item.emplace(it.key(), parse_value(it.value(), 1));
  }
  return item;
}

nlohmann::json to_json(const AttributeValue& value) {
  json out = json::object();
  const std::string key(type_name(value.type));
  switch (value.type) {
    case Type::S:
    case Type::N:
      out[key] = value.text;
      break;
    case Type::B:
      out[key] = util::base64_encode(value.text);
      break;
    case Type::BOOL:
      out[key] = value.boolean;
      break;
    case Type::NUL:
      out[key] = true;
      break;
    case Type::M: {
      json m = json::object();
      for (const auto& [name, v] : value.map) m[name] = to_json(v);
      out[key] = std::move(m);
      break;
    }
    case Type::L: {
      json l = json::array();
      for (const AttributeValue& v : value.list) l.push_back(to_json(v));
      out[key] = std::move(l);
      break;
    }
    case Type::SS:
    case Type::NS:
    case Type::BS: {
      json s = json::array();
      for (const std::string& m : value.set)
        s.push_back(value.type == Type::BS ? util::base64_encode(m) : m);
      out[key] = std::move(s);
      break;
    }
  }
  return out;
}

namespace {

void check_nesting(const AttributeValue& value, int depth) {
  if (value.type != Type::M && value.type != Type::L) return;
  if (depth >= kMaxNestingDepth) too_deep();
  for (const auto& [name, v] : value.map) check_nesting(v, depth + 1);
  for (const AttributeValue& v : value.list) check_nesting(v, depth + 1);
}

}  // namespace

void check_nesting(const Item& item) {
  for (const auto& [name, value] : item) check_nesting(value, 1);
}

nlohmann::json to_json(const Item& item) {
  json out = json::object();
  for (const auto& [name, value] : item) out[name] = to_json(value);
  return out;
}

// ---- Sizes ----

namespace {

// A number's size: its digits stored in base 100 (pairs aligned on the decimal point), one
// byte of exponent, and one more for a negative number's terminator.
std::size_t number_size(const std::string& canonical) {
  Decimal d = parse_number(canonical);
  if (d.is_zero()) return 1;
  const std::size_t n = d.digits.size();
  const int scientific = d.exponent - 1;
  const bool extra_pair = n % 2 == 0 && scientific % 2 == 0;
  return 1 + (n + 1) / 2 + (extra_pair ? 1 : 0) + (d.negative ? 1 : 0);
}

}  // namespace

std::size_t value_size(const AttributeValue& value) {
  switch (value.type) {
    case Type::S:
    case Type::B:
      return value.text.size();
    case Type::N:
      return number_size(value.text);
    case Type::BOOL:
    case Type::NUL:
      return 1;
    case Type::M: {
      std::size_t size = 3 + value.map.size();
      for (const auto& [name, v] : value.map) size += name.size() + value_size(v);
      return size;
    }
    case Type::L: {
      std::size_t size = 3;
      for (const AttributeValue& v : value.list) size += 1 + value_size(v);
      return size;
    }
    case Type::SS:
    case Type::BS: {
      std::size_t size = 0;
      for (const std::string& m : value.set) size += m.size();
      return size;
    }
    case Type::NS: {
      std::size_t size = 0;
      for (const std::string& m : value.set) size += number_size(m);
      return size;
    }
  }
  return 0;
}

std::size_t item_size(const Item& item) {
  std::size_t size = 0;
  for (const auto& [name, value] : item) size += name.size() + value_size(value);
  return size;
}

// ---- Keys ----

std::strong_ordering compare(const AttributeValue& a, const AttributeValue& b) {
  if (a.type != b.type || !a.is_scalar())
    throw std::logic_error("dynamodb::compare: needs two scalars of one type");
  if (a.type == Type::N) return compare_numbers(parse_number(a.text), parse_number(b.text));
  // std::string compares chars, which may be signed; DynamoDB compares unsigned bytes.
  const std::size_t n = std::min(a.text.size(), b.text.size());
  for (std::size_t i = 0; i < n; ++i) {
    auto x = static_cast<unsigned char>(a.text[i]), y = static_cast<unsigned char>(b.text[i]);
    if (x != y) return x <=> y;
  }
  return a.text.size() <=> b.text.size();
}

namespace {

// Number keys: a class byte (negative < zero < positive), then for a positive number its
// exponent (biased, big-endian) and its digits; a negative number stores the complements of
// both, then a terminator above every complemented digit, so that a longer digit string (a
// more negative number with the same prefix) sorts first.
constexpr char kNegative = 0x01, kZero = 0x02, kPositive = 0x03;
constexpr int kExponentBias = 0x8000;
constexpr char kNegativeEnd = static_cast<char>(0xff);

}  // namespace

std::string encode_key(const AttributeValue& value) {
  if (value.type == Type::S || value.type == Type::B) return value.text;
  if (value.type != Type::N) throw std::logic_error("dynamodb::encode_key: not a key type");
  Decimal d = parse_number(value.text);
  std::string out;
  if (d.is_zero()) return std::string(1, kZero);
  int biased = d.exponent + kExponentBias;
  if (d.negative) biased = 0xffff - biased;
  out.push_back(d.negative ? kNegative : kPositive);
  out.push_back(static_cast<char>((biased >> 8) & 0xff));
  out.push_back(static_cast<char>(biased & 0xff));
  for (char c : d.digits) out.push_back(d.negative ? static_cast<char>('9' - c + '0') : c);
  if (d.negative) out.push_back(kNegativeEnd);
  return out;
}

AttributeValue decode_key(Type type, std::string_view bytes) {
  if (type == Type::S) return AttributeValue::string(std::string(bytes));
  if (type == Type::B) return AttributeValue::binary(std::string(bytes));
  if (type != Type::N) throw std::logic_error("dynamodb::decode_key: not a key type");
  if (bytes.empty()) throw std::logic_error("dynamodb::decode_key: empty number key");
  if (bytes[0] == kZero) return AttributeValue::number("0");
  if (bytes.size() < 4) throw std::logic_error("dynamodb::decode_key: truncated number key");
  Decimal d;
  d.negative = bytes[0] == kNegative;
  int biased = (static_cast<unsigned char>(bytes[1]) << 8) | static_cast<unsigned char>(bytes[2]);
  if (d.negative) biased = 0xffff - biased;
  d.exponent = biased - kExponentBias;
  std::string_view digits = bytes.substr(3);
  if (d.negative) digits.remove_suffix(1);
  for (char c : digits) d.digits.push_back(d.negative ? static_cast<char>('9' - c + '0') : c);
  return AttributeValue::number(format_number(d));
}

}  // namespace fx::dynamodb
