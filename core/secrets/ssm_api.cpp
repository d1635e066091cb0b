// SSM Parameter Store's operations. Parameters are few on a developer's machine, so listing
// operations read them all and page in memory; NextToken is the last name returned, base64'd.
#include <algorithm>

#include "core/secrets/api.h"
#include "core/secrets/request.h"
#include "core/secrets/store.h"
#include "core/util/error.h"
#include "core/util/hash.h"
#include "core/util/regex.h"
#include "core/util/time.h"

namespace fx::secrets {

namespace {

using nlohmann::json;

constexpr std::size_t kStandardLimit = 4096;
constexpr std::size_t kAdvancedLimit = 8192;
constexpr std::string_view kSecretsReference = "/aws/reference/secretsmanager/";

std::string arn_of(const std::string& region, const std::string& name) {
  return fmt::format("arn:aws:ssm:{}:{}:parameter{}{}", region, kAccount,
                     name.starts_with('/') ? "" : "/", name);
}

ApiError not_found(const std::string& name) {
  return ApiError("ParameterNotFound", fmt::format("Parameter {} not found.", name));
}

// The name, and what follows its ':' (a version or a label), as GetParameter reads them.
struct Selected {
  std::string name;
  std::string selector;  // "" or ":3"
  std::optional<std::int64_t> version;
};

Selected select(const std::string& text) {
  Selected s{text, "", std::nullopt};
  auto colon = text.rfind(':');
  if (colon == std::string::npos) return s;
  s.name = text.substr(0, colon);
  s.selector = text.substr(colon);
  const std::string v = text.substr(colon + 1);
  if (!v.empty() && v.size() < 10 && std::all_of(v.begin(), v.end(), ::isdigit))
    s.version = std::stoll(v);
  else
    s.version = -1;  // a label: fx keeps none, so it names no version
  return s;
}

void check_name(const std::string& name) {
  if (name.empty() || name.size() > 2048)
    throw validation(fmt::format(
        "1 validation error detected: Value '{}' at 'name' failed to satisfy constraint: Member "
        "must have length {} 2048",
        name.substr(0, 100),
        name.empty() ? "greater than or equal to 1 and less than or equal to"
                     : "less than or equal to"));
  for (unsigned char c : name)
    if (!(std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '/'))
      throw validation(
          "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). If "
          "formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path "
          "can be formed as a mix of letters, numbers and the following 3 symbols .-_");
  std::string lower = name.substr(name.starts_with('/') ? 1 : 0);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.starts_with("aws") || lower.starts_with("ssm"))
    throw validation(
        "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).");
  if (name.find('/') != std::string::npos && !name.starts_with('/'))
    throw validation("Parameter name must be a fully qualified name.");
  if (std::count(name.begin(), name.end(), '/') > 15)
    throw validation("A parameter name can include a maximum of 15 levels of hierarchy.");
}

json parameter_json(const Parameter& p, bool decrypt, const std::string& region,
                    const std::string& selector = "") {
  json out = {
      {"Name", p.name},
      {"Type", p.type},
      {"Value", p.type == "SecureString" && !decrypt ? util::base64_encode(p.sealed) : p.value},
      {"Version", p.version},
      {"LastModifiedDate", epoch_seconds(p.modified_ms)},
      {"ARN", arn_of(region, p.name)},
      {"DataType", p.data_type}};
  if (!selector.empty()) out["Selector"] = selector;
  return out;
}

json metadata_json(const Parameter& p, const std::string& region) {
  json out = {{"Name", p.name},
              {"ARN", arn_of(region, p.name)},
              {"Type", p.type},
              {"LastModifiedDate", epoch_seconds(p.modified_ms)},
              {"LastModifiedUser", fmt::format("arn:aws:iam::{}:user/fx", kAccount)},
              {"Version", p.version},
              {"Tier", p.tier},
              {"Policies", json::array()},
              {"DataType", p.data_type}};
  if (!p.description.empty()) out["Description"] = p.description;
  if (!p.allowed_pattern.empty()) out["AllowedPattern"] = p.allowed_pattern;
  if (p.type == "SecureString") out["KeyId"] = p.key_id;
  return out;
}

class Ssm {
 public:
  Ssm(Store& store, const std::string& region) : store_(store), region_(region) {}

  json run(std::string_view op, const Request& r) {
    if (op == "PutParameter") return put(r);
    if (op == "GetParameter") return get(r);
    if (op == "GetParameters") return get_many(r);
    if (op == "GetParametersByPath") return by_path(r);
    if (op == "DeleteParameter") return remove(r);
    if (op == "DeleteParameters") return remove_many(r);
    if (op == "DescribeParameters") return describe(r);
    if (op == "GetParameterHistory") return history(r);
    throw ApiError("UnknownOperationException",
                   fmt::format("fx's emulator does not serve the SSM operation {}", op));
  }

 private:
  Store& store_;
  const std::string& region_;

  json put(const Request& r) {
    const std::string name = r.required("Name", "name");
    const std::string value = r.required("Value", "value");
    check_name(name);
    const bool overwrite = r.boolean("Overwrite");
    auto tags = r.objects("Tags");
    if (overwrite && !tags.empty())
      throw validation(
          "Invalid request: tags and overwrite can't be used together. To create a parameter "
          "with tags, please remove overwrite flag. To update tags for an existing parameter, "
          "please use AddTagsToResource or RemoveTagsFromResource.");
    auto type = r.string("Type");
    if (type && *type != "String" && *type != "StringList" && *type != "SecureString")
      throw validation(fmt::format(
          "1 validation error detected: Value '{}' at 'type' failed to satisfy constraint: "
          "Member must satisfy enum value set: [SecureString, StringList, String]",
          type->substr(0, 100)));
    auto tier = r.string("Tier");
    if (tier && *tier != "Standard" && *tier != "Advanced" && *tier != "Intelligent-Tiering")
      throw validation(fmt::format(
          "1 validation error detected: Value '{}' at 'tier' failed to satisfy constraint: "
          "Member must satisfy enum value set: [Standard, Advanced, Intelligent-Tiering]",
          tier->substr(0, 100)));
    if (value.empty())
      throw validation(
          "1 validation error detected: Value '' at 'value' failed to satisfy constraint: "
          "Member must have length greater than or equal to 1.");
    if (value.size() > kAdvancedLimit)
      throw validation(
          "1 validation error detected: Value at 'value' failed to satisfy constraint: Member "
          "must have length less than or equal to 8192");
    auto description = r.string("Description");
    if (description && description->size() > 1024)
      throw validation(
          "1 validation error detected: Value at 'description' failed to satisfy constraint: "
          "Member must have length less than or equal to 1024");
    auto data_type = r.string("DataType");
    if (data_type && *data_type != "text" && *data_type != "aws:ec2:image")
      throw validation(fmt::format(
          "The following data type is not supported: {} (Data type names are all lowercase.)",
          data_type->substr(0, 100)));
    Tags tag_list;
    for (const auto& t : tags) {
      auto k = member(t, "Key"), v = member(t, "Value");
      if (!k || !v || k->empty() || k->size() > 128 || v->size() > 256)
        throw validation("A tag needs a Key of 1 to 128 characters and a Value of up to 256");
      tag_list.emplace_back(*k, *v);
    }

    auto previous = store_.parameter(name);
    if (previous && !overwrite)
      throw ApiError("ParameterAlreadyExists",
                     "The parameter already exists. To overwrite this "
                     "value, set the overwrite option in the request "
                     "to true.");
    if (!previous && !type)
      throw validation("A parameter type is required when you create a parameter.");
    Parameter p = previous ? *previous : Parameter{};
    p.name = name;
    p.value = value;
    if (type) p.type = *type;
    if (description) p.description = *description;
    if (auto pattern = r.string("AllowedPattern")) p.allowed_pattern = *pattern;
    if (data_type) p.data_type = *data_type;
    if (auto key_id = r.string("KeyId")) p.key_id = *key_id;
    if (p.type == "SecureString" && p.key_id.empty()) p.key_id = "alias/aws/ssm";
    if (tier == "Intelligent-Tiering")
      p.tier = value.size() > kStandardLimit ? "Advanced" : (previous ? p.tier : "Standard");
    else if (tier)
      p.tier = *tier;
    if (previous && p.tier == "Standard" && previous->tier == "Advanced")
      throw validation(
          "This parameter uses the advanced-parameter tier. You can't downgrade a parameter "
          "from the advanced-parameter tier to the standard-parameter tier. If necessary, you "
          "can delete the advanced parameter and recreate it as a standard parameter.");
    if (p.tier == "Standard" && value.size() > kStandardLimit)
      throw validation(
          "Standard tier parameters support a maximum parameter value of 4096 characters. To "
          "create a larger parameter value, upgrade the parameter to use the advanced-parameter "
          "tier. For more information, see "
          "https://docs.aws.amazon.com/systems-manager/latest/userguide/"
          "parameter-store-advanced-parameters.html");
    if (!p.allowed_pattern.empty()) {
      // AWS matches with Java's regular expressions; fx's matcher (core/util/regex.h) cannot
      // be stalled by a pattern, and refuses back-references rather than risk it.
      if (util::regex_problem(p.allowed_pattern))
        throw validation(fmt::format("The AllowedPattern {} is not a valid regular expression.",
                                     p.allowed_pattern.substr(0, 200)));
      if (!util::regex_full_match(p.value, p.allowed_pattern))
        throw ApiError("ParameterPatternMismatchException",
                       fmt::format("Parameter value, cannot be validated against "
                                   "allowedPattern: {}",
                                   p.allowed_pattern.substr(0, 200)));
    }
    std::int64_t version = store_.put_parameter(p, previous ? nullptr : &tag_list);
    return {{"Version", version}, {"Tier", p.tier}};
  }

  // A parameter, or a Secrets Manager secret through /aws/reference/secretsmanager/.
  json lookup(const std::string& text, bool decrypt) {
    if (text.starts_with(kSecretsReference)) return secret_reference(text, decrypt);
    Selected s = select(text);
    auto p = store_.parameter(s.name, s.version && *s.version > 0 ? s.version : std::nullopt);
    if (s.version && (*s.version <= 0 || !p)) {
      if (!store_.parameter(s.name)) throw not_found(text);
      if (*s.version < 0) throw not_found(text);
      throw ApiError("ParameterVersionNotFound",
                     fmt::format("Systems Manager could not find version {} of {}. Verify the "
                                 "version and try again.",
                                 *s.version, s.name));
    }
    if (!p) throw not_found(text);
    return parameter_json(*p, decrypt, region_, s.selector);
  }

  json secret_reference(const std::string& text, bool decrypt) {
    if (!decrypt)
      throw validation("WithDecryption flag must be True for retrieving a Secret Manager secret.");
    const std::string id = text.substr(kSecretsReference.size());
    auto secret = id.empty() ? std::nullopt : store_.secret(id);
    if (!secret || (secret->deletion_ms && secret->deletion_ms <= util::now_ms()))
      throw ApiError("ParameterNotFound",
                     fmt::format("An error occurred (ResourceNotFoundException) when referencing "
                                 "Secrets Manager: Secrets Manager can't find the specified "
                                 "secret. {}",
                                 text));
    for (const auto& v : store_.versions(secret->name)) {
      if (std::find(v.stages.begin(), v.stages.end(), "AWSCURRENT") == v.stages.end()) continue;
      json source = {{"ARN", secret->arn},
                     {"Name", secret->name},
                     {"VersionId", v.id},
                     {"VersionStages", v.stages},
                     {"CreatedDate", epoch_seconds(v.created_ms)}};
      return {{"Name", text},
              {"Type", "SecureString"},
              {"Value", v.binary ? util::base64_encode(v.value) : v.value},
              {"Version", 0},
              {"SourceResult", source.dump()},
              {"LastModifiedDate", epoch_seconds(v.created_ms)},
              {"ARN", secret->arn},
              {"DataType", "text"}};
    }
    throw ApiError("ParameterNotFound",
                   fmt::format("An error occurred (ResourceNotFoundException) when referencing "
                               "Secrets Manager: Secrets Manager can't find the specified secret "
                               "value for staging label: AWSCURRENT. {}",
                               text));
  }

  json get(const Request& r) {
    const std::string name = r.required("Name", "name");
    return {{"Parameter", lookup(name, r.boolean("WithDecryption"))}};
  }

  json get_many(const Request& r) {
    auto names = r.strings("Names");
    if (!names || names->empty() || names->size() > 10)
      throw validation(fmt::format(
          "1 validation error detected: Value at 'names' failed to satisfy constraint: Member "
          "must have length {}",
          names && !names->empty() ? "less than or equal to 10" : "greater than or equal to 1"));
    const bool decrypt = r.boolean("WithDecryption");
    json found = json::array(), invalid = json::array();
    std::vector<std::string> seen;
    for (const auto& n : *names) {
      if (std::find(seen.begin(), seen.end(), n) != seen.end()) continue;
      seen.push_back(n);
      try {
        found.push_back(lookup(n, decrypt));
      } catch (const ApiError& e) {
        if (e.type() == "ValidationException") throw;
        invalid.push_back(n);
      }
    }
    return {{"Parameters", found}, {"InvalidParameters", invalid}};
  }

  // A page of `all` after NextToken's name, and the next token.
  template <class T, class Name>
  std::pair<std::vector<T>, std::string> page(const std::vector<T>& all, const Request& r,
                                              std::int64_t max_limit, Name name_of) {
    auto max = r.integer("MaxResults");
    if (max && (*max < 1 || *max > max_limit))
      throw validation(
          fmt::format("1 validation error detected: Value '{}' at 'maxResults' failed to satisfy "
                      "constraint: Member must have value {} {}",
                      *max, *max < 1 ? "greater than or equal to" : "less than or equal to",
                      *max < 1 ? 1 : max_limit));
    std::string after;
    if (auto token = r.string("NextToken")) {
      try {
        after = util::base64_decode(*token);
      } catch (const Error&) {
        throw validation("The nextToken is not valid.");
      }
      if (after.empty()) throw validation("The nextToken is not valid.");
    }
    std::vector<T> out;
    std::size_t i = 0;
    if (!after.empty())
      while (i < all.size() && name_of(all[i]) <= after) ++i;
    const std::size_t limit = static_cast<std::size_t>(max.value_or(max_limit));
    for (; i < all.size() && out.size() < limit; ++i) out.push_back(all[i]);
    std::string next;
    if (i < all.size() && !out.empty()) next = util::base64_encode(name_of(out.back()));
    return {out, next};
  }

  struct Filter {
    std::string key, option;
    std::vector<std::string> values;
  };

  std::vector<Filter> filters(const Request& r, const char* member_name, bool by_path) {
    std::vector<Filter> out;
    for (const auto& f : r.objects(member_name)) {
      Filter x{member(f, "Key").value_or(""), member(f, "Option").value_or("Equals"),
               member_strings(f, "Values")};
      const bool tag = x.key.starts_with("tag:");
      if (!tag && x.key != "Type" && x.key != "KeyId" && x.key != "Label" && x.key != "Name" &&
          x.key != "Path" && x.key != "Tier" && x.key != "DataType")
        throw ApiError("InvalidFilterKey",
                       fmt::format("The following filter key is not valid: {}. Valid filter "
                                   "keys include: [Type, KeyId, Name, Path, Tier, DataType, "
                                   "tag:KEY].",
                                   x.key.substr(0, 100)));
      if (by_path && (x.key == "Name" || x.key == "Path" || x.key == "Tier"))
        throw ApiError("InvalidFilterKey",
                       fmt::format("The following filter key is not valid: {}. Valid filter "
                                   "keys include: [Type, KeyId, Label, DataType, tag:KEY].",
                                   x.key));
      if (x.key == "Path" && x.option != "Recursive" && x.option != "OneLevel")
        throw ApiError("InvalidFilterOption",
                       fmt::format("The following filter option is not valid: {}. Valid "
                                   "options include: [Recursive, OneLevel].",
                                   x.option.substr(0, 100)));
      if (x.key != "Path" && x.option != "Equals" && x.option != "BeginsWith" &&
          x.option != "Contains")
        throw ApiError("InvalidFilterOption",
                       fmt::format("The following filter option is not valid: {}. Valid "
                                   "options include: [BeginsWith, Equals].",
                                   x.option.substr(0, 100)));
      if (x.values.empty() && !tag)
        throw ApiError("InvalidFilterValue",
                       fmt::format("The following filter values are missing : null for filter "
                                   "key {}.",
                                   x.key));
      out.push_back(std::move(x));
    }
    return out;
  }

  static bool under(const std::string& name, std::string path, bool recursive) {
    if (!path.ends_with('/')) path += '/';
    if (path == "/") {
      if (!name.starts_with('/')) return false;
      return recursive || name.find('/', 1) == std::string::npos;
    }
    if (!name.starts_with(path) || name.size() == path.size()) return false;
    return recursive || name.find('/', path.size()) == std::string::npos;
  }

  bool matches(const Parameter& p, const std::vector<Filter>& fs) {
    for (const auto& f : fs) {
      auto any = [&](const std::string& v, bool begins) {
        for (const auto& want : f.values)
          if (begins ? v.starts_with(want)
                     : (f.option == "Contains" ? v.find(want) != std::string::npos : v == want))
            return true;
        return false;
      };
      const bool begins = f.option == "BeginsWith";
      if (f.key == "Type" && !any(p.type, begins)) return false;
      if (f.key == "KeyId" && !any(p.key_id, begins)) return false;
      if (f.key == "Tier" && !any(p.tier, begins)) return false;
      if (f.key == "DataType" && !any(p.data_type, begins)) return false;
      if (f.key == "Label") return false;  // fx keeps no labels
      if (f.key == "Name") {
        // Names match with or without their leading slash, as AWS compares them.
        bool ok = false;
        for (const auto& want : f.values) {
          auto norm = [](std::string s) { return s.starts_with('/') ? s : "/" + s; };
          ok = ok || (begins                   ? norm(p.name).starts_with(norm(want))
                      : f.option == "Contains" ? p.name.find(want) != std::string::npos
                                               : norm(p.name) == norm(want));
        }
        if (!ok) return false;
      }
      if (f.key == "Path") {
        bool ok = false;
        for (const auto& want : f.values) ok = ok || under(p.name, want, f.option == "Recursive");
        if (!ok) return false;
      }
      if (f.key.starts_with("tag:")) {
        const std::string k = f.key.substr(4);
        bool ok = false;
        for (const auto& [tk, tv] : store_.parameter_tags(p.name))
          if (tk == k && (f.values.empty() || any(tv, begins))) ok = true;
        if (!ok) return false;
      }
    }
    return true;
  }

  json by_path(const Request& r) {
    const std::string path = r.required("Path", "path");
    if (!path.starts_with('/') || path.size() > 2048)
      throw validation(fmt::format(
          "The parameter doesn't meet the parameter name requirements. The parameter name must "
          "begin with a forward slash \"/\". It can't be prefixed with \"aws\" or \"ssm\" "
          "(case-insensitive). It must use only letters, numbers, or the following symbols: . "
          "(period), - (hyphen), _ (underscore). Special characters are not allowed. All "
          "sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: "
          "/get/parameters2-/by1./path0_. Invalid parameter name: {}",
          path.substr(0, 200)));
    const bool recursive = r.boolean("Recursive"), decrypt = r.boolean("WithDecryption");
    auto fs = filters(r, "ParameterFilters", true);
    std::vector<Parameter> all;
    for (auto& p : store_.parameters())
      if (under(p.name, path, recursive) && matches(p, fs)) all.push_back(std::move(p));
    auto [items, next] = page(all, r, 10, [](const Parameter& p) { return p.name; });
    json out = {{"Parameters", json::array()}};
    for (const auto& p : items) out["Parameters"].push_back(parameter_json(p, decrypt, region_));
    if (!next.empty()) out["NextToken"] = next;
    return out;
  }

  json remove(const Request& r) {
    const std::string name = r.required("Name", "name");
    if (!store_.delete_parameter(name)) throw not_found(name);
    return json::object();
  }

  json remove_many(const Request& r) {
    auto names = r.strings("Names");
    if (!names || names->empty() || names->size() > 10)
      throw validation(fmt::format(
          "1 validation error detected: Value at 'names' failed to satisfy constraint: Member "
          "must have length {}",
          names && !names->empty() ? "less than or equal to 10" : "greater than or equal to 1"));
    json deleted = json::array(), invalid = json::array();
    for (const auto& n : *names) (store_.delete_parameter(n) ? deleted : invalid).push_back(n);
    return {{"DeletedParameters", deleted}, {"InvalidParameters", invalid}};
  }

  json describe(const Request& r) {
    auto old_style = filters(r, "Filters", false);
    auto fs = filters(r, "ParameterFilters", false);
    if (!old_style.empty() && !fs.empty())
      throw validation("You can use either Filters or ParameterFilters in a single request.");
    fs.insert(fs.end(), old_style.begin(), old_style.end());
    std::vector<Parameter> all;
    for (auto& p : store_.parameters())
      if (matches(p, fs)) all.push_back(std::move(p));
    auto [items, next] = page(all, r, 50, [](const Parameter& p) { return p.name; });
    json out = {{"Parameters", json::array()}};
    for (const auto& p : items) out["Parameters"].push_back(metadata_json(p, region_));
    if (!next.empty()) out["NextToken"] = next;
    return out;
  }

  json history(const Request& r) {
    const std::string name = r.required("Name", "name");
    const bool decrypt = r.boolean("WithDecryption");
    auto versions = store_.history(name);
    if (versions.empty()) throw not_found(name);
    // Pages by version: the token is the last version returned.
    std::vector<std::pair<std::string, Parameter>> keyed;
    for (auto& p : versions) keyed.emplace_back(fmt::format("{:020}", p.version), std::move(p));
    auto [items, next] = page(keyed, r, 50, [](const auto& k) { return k.first; });
    json out = {{"Parameters", json::array()}};
    for (const auto& [key, p] : items) {
      json h = metadata_json(p, region_);
      h.erase("ARN");
      h["Value"] = p.type == "SecureString" && !decrypt ? util::base64_encode(p.sealed) : p.value;
      h["Labels"] = json::array();
      out["Parameters"].push_back(std::move(h));
    }
    if (!next.empty()) out["NextToken"] = next;
    return out;
  }
};

}  // namespace

bool is_ssm_target(std::string_view target) {
  return target.starts_with("AmazonSSM.");
}

ApiResult handle_ssm(Store& store, std::string_view target, std::string_view body,
                     const std::string& region) {
  try {
    Request r(body);
    Ssm ssm(store, region);
    return {200, ssm.run(target.substr(target.find('.') + 1), r).dump()};
  } catch (const ApiError& e) {
    return {e.status(), json{{"__type", e.type()}, {"message", e.what()}}.dump(
                            -1, ' ', false, json::error_handler_t::replace)};
  } catch (const std::exception& e) {
    fmt::print(stderr, "fx emulator: SSM {} failed: {}\n", target, e.what());
    return {500, json{{"__type", "InternalServerError"}, {"message", e.what()}}.dump(
                     -1, ' ', false, json::error_handler_t::replace)};
  }
}

}  // namespace fx::secrets
