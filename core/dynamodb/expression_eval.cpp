// Evaluating parsed expressions against items (expression.h): conditions, key conditions,
// projections and updates, by the rules DynamoDB applies.
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/dynamodb/expression.h"
#include "core/dynamodb/expression_internal.h"

namespace fx::dynamodb {

namespace detail {

std::string utf8_safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t n = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xe  ? 3
                    : (c >> 3) == 0x1e ? 4
                                       : 0;
    bool valid = n != 0 && i + n <= text.size();
    for (std::size_t k = 1; valid && k < n; ++k)
      valid = (static_cast<unsigned char>(text[i + k]) >> 6) == 0x2;
    if (valid && n > 1) {
      // Overlong forms and surrogates are not UTF-8 either.
      const auto c1 = static_cast<unsigned char>(text[i + 1]);
      if ((n == 2 && c < 0xc2) || (n == 3 && c == 0xe0 && c1 < 0xa0) ||
          (n == 3 && c == 0xed && c1 >= 0xa0) || (n == 4 && c == 0xf0 && c1 < 0x90) ||
          (n == 4 && (c > 0xf4 || (c == 0xf4 && c1 >= 0x90))))
        valid = false;
    }
    if (!valid) {
      out += "\xef\xbf\xbd";
      ++i;
      continue;
    }
    out.append(text, i, n);
    i += n;
  }
  return out;
}

std::size_t utf16_length(std::string_view text) {
  std::size_t length = 0;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >> 6) != 0x2) ++length;   // a lead byte or ASCII starts a code point
    if ((c >> 3) == 0x1e) ++length;  // four bytes: a surrogate pair in UTF-16
  }
  return length;
}

std::string_view operator_name(Node::Op op) {
  using Op = Node::Op;
  switch (op) {
    case Op::eq:
      return "=";
    case Op::ne:
      return "<>";
    case Op::lt:
      return "<";
    case Op::le:
      return "<=";
    case Op::gt:
      return ">";
    case Op::ge:
      return ">=";
    case Op::between:
      return "BETWEEN";
    case Op::in:
      return "IN";
    case Op::and_:
      return "AND";
    case Op::or_:
      return "OR";
    case Op::not_:
      return "NOT";
    case Op::attribute_exists:
      return "attribute_exists";
    case Op::attribute_not_exists:
      return "attribute_not_exists";
    case Op::attribute_type:
      return "attribute_type";
    case Op::begins_with:
      return "begins_with";
    case Op::contains:
      return "contains";
    case Op::size:
      return "size";
    case Op::if_not_exists:
      return "if_not_exists";
    case Op::list_append:
      return "list_append";
    case Op::plus:
      return "+";
    case Op::minus:
      return "-";
    case Op::path:
    case Op::value:
      break;
  }
  return "";
}

}  // namespace detail

namespace {

using Op = Node::Op;

// The value at `path` in `item`, or null when the path leads nowhere (a missing attribute, an
// index past the end, a key of something that is not a map).
const AttributeValue* lookup(const Item& item, const Path& path) {
  if (path.empty() || path[0].is_index) return nullptr;
  auto it = item.find(path[0].name);
  if (it == item.end()) return nullptr;
  const AttributeValue* v = &it->second;
  for (std::size_t i = 1; i < path.size() && v != nullptr; ++i) {
    const PathElement& e = path[i];
    if (e.is_index) {
      v = v->type == Type::L && e.index < v->list.size() ? &v->list[e.index] : nullptr;
    } else if (v->type == Type::M) {
      auto child = v->map.find(e.name);
      v = child == v->map.end() ? nullptr : &child->second;
    } else {
      v = nullptr;
    }
  }
  return v;
}

// An operand's value: a reference into the item or the expression, something computed, or none.
struct Operand {
  const AttributeValue* ref = nullptr;
  std::optional<AttributeValue> owned;

  const AttributeValue* get() const { return owned ? &*owned : ref; }
};

bool is_ordered(Type t) {
  return t == Type::S || t == Type::N || t == Type::B;
}

bool same_ordered(const AttributeValue* a, const AttributeValue* b) {
  return a != nullptr && b != nullptr && a->type == b->type && is_ordered(a->type);
}

// size(): a string's length counts UTF-16 code units, as DynamoDB (a Java service) does.
std::optional<AttributeValue> size_of(const AttributeValue* v) {
  if (v == nullptr) return std::nullopt;
  std::size_t n = 0;
  switch (v->type) {
    case Type::S:
      n = detail::utf16_length(v->text);
      break;
    case Type::B:
      n = v->text.size();
      break;
    case Type::SS:
    case Type::NS:
    case Type::BS:
      n = v->set.size();
      break;
    case Type::L:
      n = v->list.size();
      break;
    case Type::M:
      n = v->map.size();
      break;
    default:
      return std::nullopt;
  }
  return AttributeValue::number(std::to_string(n));
}

Operand condition_operand(const Node& n, const Item& item) {
  switch (n.op) {
    case Op::path:
      return Operand{lookup(item, n.path), std::nullopt};
    case Op::value:
      return Operand{&n.value, std::nullopt};
    case Op::size:
      return Operand{nullptr, size_of(condition_operand(n.children[0], item).get())};
    default:
      return Operand{};  // no other function is an operand of a condition
  }
}

bool contains_value(const AttributeValue* haystack, const AttributeValue* needle) {
  if (haystack == nullptr || needle == nullptr) return false;
  switch (haystack->type) {
    case Type::S:
    case Type::B:
      return needle->type == haystack->type &&
             haystack->text.find(needle->text) != std::string::npos;
    case Type::L:
      return std::any_of(haystack->list.begin(), haystack->list.end(),
                         [&](const AttributeValue& e) { return e == *needle; });
    case Type::SS:
    case Type::NS:
    case Type::BS: {
      const Type member = haystack->type == Type::SS   ? Type::S
                          : haystack->type == Type::NS ? Type::N
                                                       : Type::B;
      return needle->type == member && std::find(haystack->set.begin(), haystack->set.end(),
                                                 needle->text) != haystack->set.end();
    }
    default:
      return false;
  }
}

bool eval_condition(const Node& n, const Item& item) {
  auto operand = [&](std::size_t i) { return condition_operand(n.children[i], item); };
  switch (n.op) {
    case Op::and_:
      return eval_condition(n.children[0], item) && eval_condition(n.children[1], item);
    case Op::or_:
      return eval_condition(n.children[0], item) || eval_condition(n.children[1], item);
    case Op::not_:
      return !eval_condition(n.children[0], item);
    case Op::eq:
    case Op::ne: {
      Operand a = operand(0), b = operand(1);
      const bool equal = a.get() != nullptr && b.get() != nullptr && *a.get() == *b.get();
      return n.op == Op::eq ? equal : !equal;
    }
    case Op::lt:
    case Op::le:
    case Op::gt:
    case Op::ge: {
      Operand a = operand(0), b = operand(1);
      if (!same_ordered(a.get(), b.get())) return false;
      const auto c = compare(*a.get(), *b.get());
      return n.op == Op::lt ? c < 0 : n.op == Op::le ? c <= 0 : n.op == Op::gt ? c > 0 : c >= 0;
    }
    case Op::between: {
      Operand x = operand(0), low = operand(1), high = operand(2);
      return same_ordered(x.get(), low.get()) && same_ordered(x.get(), high.get()) &&
             compare(*x.get(), *low.get()) >= 0 && compare(*x.get(), *high.get()) <= 0;
    }
    case Op::in: {
      Operand x = operand(0);
      if (x.get() == nullptr) return false;
      for (std::size_t i = 1; i < n.children.size(); ++i) {
        Operand candidate = operand(i);
        if (candidate.get() != nullptr && *candidate.get() == *x.get()) return true;
      }
      return false;
    }
    case Op::attribute_exists:
      return operand(0).get() != nullptr;
    case Op::attribute_not_exists:
      return operand(0).get() == nullptr;
    case Op::attribute_type: {
      Operand v = operand(0), t = operand(1);
      return v.get() != nullptr && t.get() != nullptr && type_name(v.get()->type) == t.get()->text;
    }
    case Op::begins_with: {
      Operand a = operand(0), b = operand(1);
      const AttributeValue* s = a.get();
      const AttributeValue* prefix = b.get();
      return s != nullptr && prefix != nullptr && s->type == prefix->type &&
             (s->type == Type::S || s->type == Type::B) &&
             std::string_view(s->text).substr(0, prefix->text.size()) == prefix->text;
    }
    case Op::contains: {
      Operand a = operand(0), b = operand(1);
      return contains_value(a.get(), b.get());
    }
    default:
      return false;
  }
}

void collect_paths(const Node& n, std::vector<Path>& out) {
  if (n.op == Op::path) out.push_back(n.path);
  for (const Node& child : n.children) collect_paths(child, out);
}

}  // namespace

bool evaluate(const Condition& condition, const Item& item) {
  return eval_condition(condition.root, item);
}

std::vector<Path> condition_paths(const Condition& condition) {
  std::vector<Path> out;
  collect_paths(condition.root, out);
  return out;
}

// ---- KeyConditionExpression ----

namespace {

[[noreturn]] void invalid(const std::string& message) {
  throw ValidationError(message);
}

SortKeyCondition::Op key_operator(Op op) {
  switch (op) {
    case Op::eq:
      return SortKeyCondition::Op::eq;
    case Op::lt:
      return SortKeyCondition::Op::lt;
    case Op::le:
      return SortKeyCondition::Op::le;
    case Op::gt:
      return SortKeyCondition::Op::gt;
    case Op::ge:
      return SortKeyCondition::Op::ge;
    case Op::between:
      return SortKeyCondition::Op::between;
    case Op::begins_with:
      return SortKeyCondition::Op::begins_with;
    default:
      invalid("Invalid operator used in KeyConditionExpression: " +
              std::string(detail::operator_name(op)));
  }
}

// `a < :v` written the other way round, `:v > a`.
SortKeyCondition::Op inverse(SortKeyCondition::Op op) {
  using K = SortKeyCondition::Op;
  switch (op) {
    case K::lt:
      return K::gt;
    case K::gt:
      return K::lt;
    case K::le:
      return K::ge;
    case K::ge:
      return K::le;
    default:
      return op;
  }
}

void extract_terms(const Node& n, std::vector<KeyTerm>& terms) {
  if (n.op == Op::and_) {
    for (const Node& child : n.children) extract_terms(child, terms);
    return;
  }
  if (n.op == Op::path || n.op == Op::value)
    invalid("Invalid condition in KeyConditionExpression: No operator specified for condition");
  SortKeyCondition::Op op = key_operator(n.op);
  std::optional<std::string> attribute;
  std::vector<AttributeValue> values;
  for (const Node& child : n.children) {
    if (child.op == Op::path) {
      if (attribute)
        invalid(
            "Invalid condition in KeyConditionExpression: Multiple attribute names used in one "
            "condition");
      if (child.path.size() > 1)
        invalid("KeyConditionExpressions cannot have conditions on nested attributes");
      attribute = child.path[0].name;
    } else if (child.op == Op::value) {
      if (!attribute) {
        if (op == SortKeyCondition::Op::between || op == SortKeyCondition::Op::begins_with)
          invalid("Invalid condition in KeyConditionExpression: " +
                  std::string(detail::operator_name(n.op)) +
                  " operator must have the key attribute as its first operand");
        op = inverse(op);
      }
      values.push_back(child.value);
    } else {
      invalid("KeyConditionExpressions cannot contain nested operations");
    }
  }
  if (!attribute)
    invalid("Invalid condition in KeyConditionExpression: No key attribute specified");
  for (const KeyTerm& term : terms)
    if (term.attribute == *attribute)
      invalid("KeyConditionExpressions must only contain one condition per key");
  KeyTerm term;
  term.attribute = *attribute;
  term.condition.op = op;
  if (!values.empty()) term.condition.value = values[0];
  if (values.size() > 1) term.condition.upper = values[1];
  terms.push_back(std::move(term));
}

std::vector<const AttributeValue*> term_values(const SortKeyCondition& c) {
  if (c.op == SortKeyCondition::Op::between) return {&c.value, &c.upper};
  return {&c.value};
}

void check_key_value_types(const SortKeyCondition& c, Type type) {
  for (const AttributeValue* v : term_values(c))
    if (v->type != type)
      invalid(
          "One or more parameter values were invalid: Condition parameter type does not match "
          "schema type");
}

void check_not_empty(const SortKeyCondition& c, const KeyAttribute& key,
                     std::string_view index_name) {
  for (const AttributeValue* v : term_values(c)) {
    if ((v->type != Type::S && v->type != Type::B) || !v->text.empty()) continue;
    const std::string what = v->type == Type::S ? "string" : "binary";
    if (index_name.empty())
      invalid(
          "One or more parameter values are not valid. The AttributeValue for a key attribute "
          "cannot contain an empty " +
          what + " value. Key: " + key.name);
    invalid(
        "One or more parameter values are not valid. A value specified for a secondary index key "
        "is not supported. The AttributeValue for a key attribute cannot contain an empty " +
        what + " value. IndexName: " + std::string(index_name) + ", IndexKey: " + key.name);
  }
}

}  // namespace

std::vector<KeyTerm> parse_key_condition_terms(std::string_view text, ExpressionInputs& inputs) {
  Condition condition = parse_condition(text, inputs, ExpressionKind::key_condition);
  std::vector<KeyTerm> terms;
  extract_terms(condition.root, terms);
  return terms;
}

KeyCondition check_key_condition(const std::vector<KeyTerm>& terms, const KeyAttribute& partition,
                                 const std::optional<KeyAttribute>& sort,
                                 std::string_view index_name) {
  if (terms.empty() || terms.size() > 2) invalid("Conditions can be of length 1 or 2 only");
  if (terms.size() > (sort ? 2u : 1u)) invalid("Query key condition not supported");
  auto find = [&](const std::string& name) -> const KeyTerm* {
    for (const KeyTerm& term : terms)
      if (term.attribute == name) return &term;
    return nullptr;
  };
  const KeyTerm* hash = find(partition.name);
  if (hash == nullptr) invalid("Query condition missed key schema element: " + partition.name);
  check_key_value_types(hash->condition, partition.type);
  if (hash->condition.op != SortKeyCondition::Op::eq) invalid("Query key condition not supported");
  check_not_empty(hash->condition, partition, index_name);
  KeyCondition out;
  out.partition = hash->condition.value;
  if (sort) {
    const KeyTerm* range = find(sort->name);
    if (range == nullptr) {
      if (terms.size() > 1) invalid("Query condition missed key schema element: " + sort->name);
    } else {
      for (const AttributeValue* v : term_values(range->condition))
        if (value_size(*v) > kMaxSortKeySize)
          invalid(
              "One or more parameter values were invalid: Aggregated size of all range keys has "
              "exceeded the size limit of 1024 bytes");
      check_key_value_types(range->condition, sort->type);
      check_not_empty(range->condition, *sort, index_name);
      out.sort = range->condition;
    }
  }
  return out;
}

KeyCondition parse_key_condition(std::string_view text, ExpressionInputs& inputs,
                                 const KeyAttribute& partition,
                                 const std::optional<KeyAttribute>& sort,
                                 std::string_view index_name) {
  return check_key_condition(parse_key_condition_terms(text, inputs), partition, sort, index_name);
}

bool matches(const SortKeyCondition& c, const AttributeValue& v) {
  if (v.type != c.value.type || !is_ordered(v.type)) return false;
  using K = SortKeyCondition::Op;
  switch (c.op) {
    case K::eq:
      return compare(v, c.value) == 0;
    case K::lt:
      return compare(v, c.value) < 0;
    case K::le:
      return compare(v, c.value) <= 0;
    case K::gt:
      return compare(v, c.value) > 0;
    case K::ge:
      return compare(v, c.value) >= 0;
    case K::between:
      return c.upper.type == v.type && compare(v, c.value) >= 0 && compare(v, c.upper) <= 0;
    case K::begins_with:
      return v.type != Type::N &&
             std::string_view(v.text).substr(0, c.value.text.size()) == c.value.text;
  }
  return false;
}

// ---- ProjectionExpression ----

namespace {

// Paths merged into a tree: a null child is a whole value to copy.
struct ProjectionTree {
  std::map<std::string, std::unique_ptr<ProjectionTree>, std::less<>> keys;
  std::map<std::size_t, std::unique_ptr<ProjectionTree>> indexes;

  void add(const Path& path, std::size_t from) {
    const PathElement& e = path[from];
    std::unique_ptr<ProjectionTree>& child = e.is_index ? indexes[e.index] : keys[e.name];
    if (from + 1 == path.size()) {
      child.reset();  // the whole value (paths never overlap, so nothing is lost)
      return;
    }
    if (!child) child = std::make_unique<ProjectionTree>();
    child->add(path, from + 1);
  }
};

std::optional<AttributeValue> project_value(const ProjectionTree& tree, const AttributeValue& v) {
  if (v.type == Type::M && !tree.keys.empty()) {
    Map out;
    for (const auto& [key, sub] : tree.keys) {
      auto it = v.map.find(key);
      if (it == v.map.end()) continue;
      if (!sub) {
        out.emplace(key, it->second);
      } else if (auto projected = project_value(*sub, it->second)) {
        out.emplace(key, std::move(*projected));
      }
    }
    if (out.empty()) return std::nullopt;
    return AttributeValue::map_value(std::move(out));
  }
  if (v.type == Type::L && !tree.indexes.empty()) {
    List out;
    for (const auto& [index, sub] : tree.indexes) {
      if (index >= v.list.size()) continue;
      if (!sub) {
        out.push_back(v.list[index]);
      } else if (auto projected = project_value(*sub, v.list[index])) {
        out.push_back(std::move(*projected));
      }
    }
    if (out.empty()) return std::nullopt;
    return AttributeValue::list_value(std::move(out));
  }
  return std::nullopt;
}

}  // namespace

Item project(const Projection& projection, const Item& item) {
  ProjectionTree tree;
  for (const Path& path : projection.paths)
    if (!path.empty() && !path[0].is_index) tree.add(path, 0);
  Item out;
  for (const auto& [key, sub] : tree.keys) {
    auto it = item.find(key);
    if (it == item.end()) continue;
    if (!sub) {
      out.emplace(key, it->second);
    } else if (auto projected = project_value(*sub, it->second)) {
      out.emplace(key, std::move(*projected));
    }
  }
  return out;
}

// ---- UpdateExpression ----

std::set<std::string> updated_attributes(const Update& update) {
  std::set<std::string> out;
  for (const UpdateAction& action : update.actions)
    if (!action.path.empty()) out.insert(action.path[0].name);
  return out;
}

Projection updated_paths(const Update& update) {
  Projection out;
  for (const UpdateAction& action : update.actions) out.paths.push_back(action.path);
  return out;
}

namespace {

[[noreturn]] void invalid_path() {
  invalid("The document path provided in the update expression is invalid for update");
}
[[noreturn]] void missing_attribute() {
  invalid("The provided expression refers to an attribute that does not exist in the item");
}
[[noreturn]] void wrong_type() {
  invalid("An operand in the update expression has an incorrect data type");
}

// A SET value, computed from the item as it was before the update; an absent result (an
// attribute the item lacks) is none.
Operand update_operand(const Node& n, const Item& item) {
  switch (n.op) {
    case Op::path:
      return Operand{lookup(item, n.path), std::nullopt};
    case Op::value:
      return Operand{&n.value, std::nullopt};
    case Op::if_not_exists: {
      Operand present = update_operand(n.children[0], item);
      Operand fallback = update_operand(n.children[1], item);
      if (fallback.get() == nullptr) missing_attribute();
      return present.get() != nullptr ? std::move(present) : std::move(fallback);
    }
    case Op::list_append: {
      Operand a = update_operand(n.children[0], item);
      Operand b = update_operand(n.children[1], item);
      if (a.get() == nullptr || b.get() == nullptr) missing_attribute();
      if (a.get()->type != Type::L || b.get()->type != Type::L) wrong_type();
      List joined = a.get()->list;
      joined.insert(joined.end(), b.get()->list.begin(), b.get()->list.end());
      return Operand{nullptr, AttributeValue::list_value(std::move(joined))};
    }
    case Op::plus:
    case Op::minus: {
      Operand a = update_operand(n.children[0], item);
      Operand b = update_operand(n.children[1], item);
      if (a.get() == nullptr || b.get() == nullptr) missing_attribute();
      if (a.get()->type != Type::N || b.get()->type != Type::N) wrong_type();
      const Decimal x = parse_number(a.get()->text), y = parse_number(b.get()->text);
      const Decimal r = n.op == Op::plus ? add_numbers(x, y) : subtract_numbers(x, y);
      return Operand{nullptr, AttributeValue::number(format_number(r))};
    }
    default:
      wrong_type();
  }
}

// What an action leaves at its path, given what was there; none removes the attribute.
std::optional<AttributeValue> action_result(const UpdateAction& action, const Item& original,
                                            const AttributeValue* existing) {
  switch (action.kind) {
    case UpdateAction::Kind::set: {
      Operand v = update_operand(action.value, original);
      if (v.get() == nullptr) missing_attribute();
      return v.owned ? std::move(*v.owned) : *v.ref;
    }
    case UpdateAction::Kind::remove:
      return std::nullopt;
    case UpdateAction::Kind::add: {
      const AttributeValue& operand = action.value.value;
      if (existing == nullptr) return operand;
      if (existing->type != operand.type) wrong_type();
      if (operand.type == Type::N)
        return AttributeValue::number(
            format_number(add_numbers(parse_number(existing->text), parse_number(operand.text))));
      AttributeValue merged = *existing;
      for (const std::string& member : operand.set)
        if (std::find(merged.set.begin(), merged.set.end(), member) == merged.set.end())
          merged.set.push_back(member);
      return merged;
    }
    case UpdateAction::Kind::delete_: {
      const AttributeValue& operand = action.value.value;
      if (existing == nullptr) return std::nullopt;
      if (existing->type != operand.type) wrong_type();
      AttributeValue remaining = *existing;
      std::erase_if(remaining.set, [&](const std::string& member) {
        return std::find(operand.set.begin(), operand.set.end(), member) != operand.set.end();
      });
      if (remaining.set.empty()) return std::nullopt;  // DynamoDB has no empty sets
      return remaining;
    }
  }
  return std::nullopt;
}

// The update's actions arranged by path; an action sits where its path ends. Each node keeps
// its own path element: a vector of pairs holding UpdateTree would need UpdateTree complete
// (clang with libstdc++ refuses it), a vector of UpdateTree does not (C++17).
struct UpdateTree {
  PathElement element;
  std::vector<UpdateTree> children;
  const UpdateAction* action = nullptr;

  void add(const UpdateAction& a, std::size_t from) {
    const PathElement& e = a.path[from];
    auto it = std::find_if(children.begin(), children.end(),
                           [&](const UpdateTree& child) { return child.element == e; });
    if (it == children.end()) {
      children.push_back(UpdateTree{e, {}, nullptr});
      it = children.end() - 1;
    }
    if (from + 1 == a.path.size())
      it->action = &a;
    else
      it->add(a, from + 1);
  }
};

AttributeValue updated_container(const UpdateTree& tree, const AttributeValue& container,
                                 const Item& original);

// The new value of one child: the action's result, or its subtree applied to what was there.
std::optional<AttributeValue> updated_child(const UpdateTree& sub, const AttributeValue* existing,
                                            const Item& original) {
  if (sub.action != nullptr) return action_result(*sub.action, original, existing);
  if (existing == nullptr || (existing->type != Type::M && existing->type != Type::L))
    invalid_path();
  return updated_container(sub, *existing, original);
}

AttributeValue updated_container(const UpdateTree& tree, const AttributeValue& container,
                                 const Item& original) {
  if (container.type == Type::M) {
    AttributeValue out = container;
    for (const UpdateTree& sub : tree.children) {
      const PathElement& element = sub.element;
      if (element.is_index) invalid_path();
      auto it = container.map.find(element.name);
      auto result = updated_child(sub, it == container.map.end() ? nullptr : &it->second, original);
      if (result)
        out.map.insert_or_assign(element.name, std::move(*result));
      else
        out.map.erase(element.name);
    }
    return out;
  }
  // A list: indexes name elements of the list as it was; the result closes up in index order,
  // so that a SET past the end appends.
  std::map<std::size_t, AttributeValue> elements;
  for (std::size_t i = 0; i < container.list.size(); ++i) elements.emplace(i, container.list[i]);
  for (const UpdateTree& sub : tree.children) {
    const PathElement& element = sub.element;
    if (!element.is_index) invalid_path();
    const AttributeValue* existing =
        element.index < container.list.size() ? &container.list[element.index] : nullptr;
    auto result = updated_child(sub, existing, original);
    if (result)
      elements.insert_or_assign(element.index, std::move(*result));
    else
      elements.erase(element.index);
  }
  List list;
  list.reserve(elements.size());
  for (auto& [index, value] : elements) list.push_back(std::move(value));
  return AttributeValue::list_value(std::move(list));
}

}  // namespace

void apply_update(const Update& update, Item& item, bool item_exists) {
  UpdateTree tree;
  for (const UpdateAction& action : update.actions) {
    // On an item that does not exist yet DynamoDB lets REMOVE of any path pass.
    if (!item_exists && action.kind == UpdateAction::Kind::remove) continue;
    if (!action.path.empty()) tree.add(action, 0);
  }
  Item result = item;
  for (const UpdateTree& sub : tree.children) {
    auto it = item.find(sub.element.name);
    auto value = updated_child(sub, it == item.end() ? nullptr : &it->second, item);
    if (value)
      result.insert_or_assign(sub.element.name, std::move(*value));
    else
      result.erase(sub.element.name);
  }
  check_nesting(result);
  item = std::move(result);
}

}  // namespace fx::dynamodb
