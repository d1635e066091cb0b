// Secrets Manager's operations. A secret scheduled for deletion answers InvalidRequestException
// until its date, when the next call that looks at it deletes it for good.
#include <algorithm>

#include <openssl/rand.h>

#include "core/secrets/api.h"
#include "core/secrets/request.h"
#include "core/secrets/store.h"
#include "core/util/error.h"
#include "core/util/hash.h"
#include "core/util/time.h"

namespace fx::secrets {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxSecretBytes = 65536;
constexpr std::int64_t kDayMs = 24 * 3600 * 1000;

std::string random_text(std::string_view alphabet, std::size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1)
    throw Error("the system's random number generator failed");
  std::string out;
  for (unsigned char b : bytes) out += alphabet[b % alphabet.size()];
  return out;
}

std::string uuid() {
  std::string h = random_text("0123456789abcdef", 32);
  h[12] = '4';
  return fmt::format("{}-{}-{}-{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 4),
                     h.substr(16, 4), h.substr(20));
}

ApiError not_found() {
  return ApiError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
}

ApiError marked_for_deletion() {
  return ApiError("InvalidRequestException",
                  "You can't perform this operation on the secret because it was marked for "
                  "deletion.");
}

bool has_stage(const SecretVersion& v, const std::string& stage) {
  return std::find(v.stages.begin(), v.stages.end(), stage) != v.stages.end();
}

class SecretsManager {
 public:
  SecretsManager(Store& store, const std::string& region) : store_(store), region_(region) {}

  json run(std::string_view op, const Request& r) {
    if (op == "CreateSecret") return create(r);
    if (op == "GetSecretValue") return get_value(r);
    if (op == "PutSecretValue") return put_value(r);
    if (op == "DescribeSecret") return describe(r);
    if (op == "ListSecrets") return list(r);
    if (op == "DeleteSecret") return remove(r);
    if (op == "RestoreSecret") return restore(r);
    if (op == "UpdateSecret") return update(r);
    throw ApiError(
        "UnknownOperationException",
        fmt::format("fx's emulator does not serve the Secrets Manager operation {}", op));
  }

 private:
  Store& store_;
  const std::string& region_;

  // The secret a SecretId names, deleted for good when its recovery window has passed.
  std::optional<Secret> find(const std::string& id) {
    auto s = store_.secret(id);
    if (s && s->deletion_ms && s->deletion_ms <= util::now_ms()) {
      store_.delete_secret(s->name);
      return std::nullopt;
    }
    return s;
  }

  Secret existing(const Request& r, bool allow_deleted = false) {
    const std::string id = r.required("SecretId", "secretId");
    if (id.empty() || id.size() > 2048)
      throw validation(
          "1 validation error detected: Value at 'secretId' failed to satisfy constraint: Member "
          "must have length less than or equal to 2048 and greater than or equal to 1");
    auto s = find(id);
    if (!s) throw not_found();
    if (s->deletion_ms && !allow_deleted) throw marked_for_deletion();
    return *s;
  }

  // The value of a request: SecretString or SecretBinary (base64 in JSON), never both.
  std::optional<SecretVersion> value_of(const Request& r) {
    auto text = r.string("SecretString");
    auto binary = r.string("SecretBinary");
    if (text && binary)
      throw ApiError("InvalidParameterException",
                     "You can't specify both a binary secret value and a string secret value in "
                     "the same secret.");
    if (!text && !binary) return std::nullopt;
    SecretVersion v;
    if (text) {
      v.value = *text;
    } else {
      try {
        v.value = util::base64_decode(*binary);
      } catch (const Error&) {
        throw ApiError("SerializationException", "SecretBinary is not valid base64");
      }
      v.binary = true;
    }
    if (v.value.size() > kMaxSecretBytes)
      throw validation(fmt::format(
          "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must "
          "have length less than or equal to 65536",
          text ? "secretString" : "secretBinary"));
    return v;
  }

  std::string request_token(const Request& r) {
    auto token = r.string("ClientRequestToken");
    if (!token) return uuid();
    if (token->size() < 32 || token->size() > 64)
      throw validation(
          "1 validation error detected: Value at 'clientRequestToken' failed to satisfy "
          "constraint: Member must have length greater than or equal to 32 and less than or "
          "equal to 64");
    return *token;
  }

  json create(const Request& r) {
    const std::string name = r.required("Name", "name");
    if (name.empty() || name.size() > 512)
      throw validation(
          "1 validation error detected: Value at 'name' failed to satisfy constraint: Member "
          "must have length less than or equal to 512 and greater than or equal to 1");
    for (unsigned char c : name)
      if (!(std::isalnum(c) ||
            std::string_view("/_+=.@-").find(static_cast<char>(c)) != std::string_view::npos))
        throw validation(
            "Invalid name. Must be a valid name containing alphanumeric characters, or any of "
            "the following: -/_+=.@!");
    auto description = r.string("Description");
    if (description && description->size() > 2048)
      throw validation(
          "1 validation error detected: Value at 'description' failed to satisfy constraint: "
          "Member must have length less than or equal to 2048");
    auto value = value_of(r);
    const std::string token = request_token(r);
    Tags tags;
    for (const auto& t : r.objects("Tags")) {
      auto k = member(t, "Key"), v = member(t, "Value");
      if (!k || k->empty() || k->size() > 128 || v.value_or("").size() > 256)
        throw validation("A tag needs a Key of 1 to 128 characters and a Value of up to 256");
      tags.emplace_back(*k, v.value_or(""));
    }
    if (auto old = find(name)) {
      if (old->deletion_ms)
        throw ApiError("InvalidRequestException",
                       "You can't create this secret because a secret with this name is already "
                       "scheduled for deletion.");
      // A retry of the same create (same token and value) answers as the first did.
      auto versions = store_.versions(old->name);
      if (value && versions.size() == 1 && versions[0].request_token == token &&
          versions[0].value == value->value && versions[0].binary == value->binary)
        return {{"ARN", old->arn}, {"Name", old->name}, {"VersionId", versions[0].id}};
      throw ApiError(
          "ResourceExistsException",
          fmt::format("The operation failed because the secret {} already exists.", name));
    }
    Secret s;
    s.name = name;
    s.arn = fmt::format("arn:aws:secretsmanager:{}:{}:secret:{}-{}", region_, kAccount, name,
                        random_text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", 6));
    s.description = description.value_or("");
    s.kms_key_id = r.string("KmsKeyId").value_or("");
    s.created_ms = s.changed_ms = util::now_ms();
    s.tags = tags;
    store_.create_secret(s);
    json out = {{"ARN", s.arn}, {"Name", s.name}};
    if (value) {
      value->id = token;
      value->request_token = token;
      value->stages = {"AWSCURRENT"};
      value->created_ms = s.created_ms;
      store_.put_version(s.name, *value);
      out["VersionId"] = token;
    }
    return out;
  }

  json get_value(const Request& r) {
    Secret s = existing(r);
    auto version_id = r.string("VersionId");
    auto stage = r.string("VersionStage");
    if (!version_id && !stage) stage = "AWSCURRENT";
    for (const auto& v : store_.versions(s.name)) {
      if (version_id && v.id != *version_id) continue;
      if (stage && !has_stage(v, *stage)) continue;
      json out = {{"ARN", s.arn},
                  {"Name", s.name},
                  {"VersionId", v.id},
                  {"VersionStages", v.stages},
                  {"CreatedDate", epoch_seconds(v.created_ms)}};
      if (v.binary)
        out["SecretBinary"] = util::base64_encode(v.value);
      else
        out["SecretString"] = v.value;
      return out;
    }
    throw ApiError("ResourceNotFoundException",
                   version_id ? fmt::format("Secrets Manager can't find the specified secret "
                                            "value for VersionId: {}",
                                            version_id->substr(0, 100))
                              : fmt::format("Secrets Manager can't find the specified secret "
                                            "value for staging label: {}",
                                            stage->substr(0, 100)));
  }

  // A new version of the secret, or the one a retried request made.
  json new_version(Secret& s, SecretVersion v, const std::string& token,
                   std::vector<std::string> stages) {
    for (const auto& old : store_.versions(s.name))
      if (old.id == token) {
        if (old.value == v.value && old.binary == v.binary)
          return {{"ARN", s.arn},
                  {"Name", s.name},
                  {"VersionId", old.id},
                  {"VersionStages", old.stages}};
        throw ApiError("ResourceExistsException",
                       "A resource with the ID you requested already exists.");
      }
    v.id = token;
    v.request_token = token;
    v.stages = std::move(stages);
    v.created_ms = util::now_ms();
    store_.put_version(s.name, v);
    s.changed_ms = v.created_ms;
    store_.update_secret(s);
    return {{"ARN", s.arn}, {"Name", s.name}, {"VersionId", v.id}, {"VersionStages", v.stages}};
  }

  json put_value(const Request& r) {
    Secret s = existing(r);
    auto value = value_of(r);
    if (!value)
      throw ApiError("InvalidRequestException",
                     "You must provide either SecretString or SecretBinary.");
    auto stages = r.strings("VersionStages").value_or(std::vector<std::string>{"AWSCURRENT"});
    if (stages.empty() || stages.size() > 20)
      throw validation(
          "1 validation error detected: Value at 'versionStages' failed to satisfy constraint: "
          "Member must have length less than or equal to 20 and greater than or equal to 1");
    for (const auto& st : stages)
      if (st.empty() || st.size() > 256)
        throw validation("A staging label has 1 to 256 characters.");
    return new_version(s, *value, request_token(r), stages);
  }

  json describe_json(const Secret& s) {
    json out = {{"ARN", s.arn},
                {"Name", s.name},
                {"LastChangedDate", epoch_seconds(s.changed_ms)},
                {"CreatedDate", epoch_seconds(s.created_ms)}};
    if (!s.description.empty()) out["Description"] = s.description;
    if (!s.kms_key_id.empty()) out["KmsKeyId"] = s.kms_key_id;
    if (s.deletion_ms) out["DeletedDate"] = epoch_seconds(s.deletion_ms);
    json tags = json::array();
    for (const auto& [k, v] : s.tags) tags.push_back({{"Key", k}, {"Value", v}});
    if (!tags.empty()) out["Tags"] = tags;
    json stages = json::object();
    for (const auto& v : store_.versions(s.name))
      if (!v.stages.empty()) stages[v.id] = v.stages;
    return {out, stages};
  }

  json describe(const Request& r) {
    Secret s = existing(r, true);
    auto pair = describe_json(s);
    json out = pair[0];
    out["VersionIdsToStages"] = pair[1];
    return out;
  }

  json list(const Request& r) {
    auto max = r.integer("MaxResults");
    if (max && (*max < 1 || *max > 100))
      throw validation(
          fmt::format("1 validation error detected: Value '{}' at 'maxResults' failed to satisfy "
                      "constraint: Member must have value {}",
                      *max, *max < 1 ? "greater than or equal to 1" : "less than or equal to 100"));
    const bool include_deleted = r.boolean("IncludePlannedDeletion");
    struct Filter {
      std::string key;
      std::vector<std::string> values;
    };
    std::vector<Filter> filters;
    for (const auto& f : r.objects("Filters")) {
      Filter x{member(f, "Key").value_or(""), member_strings(f, "Values")};
      if (x.key != "name" && x.key != "description" && x.key != "tag-key" && x.key != "tag-value" &&
          x.key != "all")
        throw validation(fmt::format(
            "1 validation error detected: Value '{}' at 'filters.1.member.key' failed to satisfy "
            "constraint: Member must satisfy enum value set: [all, name, tag-key, description, "
            "tag-value]",
            x.key.substr(0, 100)));
      filters.push_back(std::move(x));
    }
    auto matches = [&](const Secret& s) {
      for (const auto& f : filters) {
        bool ok = false;
        for (const auto& want : f.values) {
          auto fits = [&](const std::string& v) { return v.starts_with(want); };
          if ((f.key == "name" || f.key == "all") && fits(s.name)) ok = true;
          if ((f.key == "description" || f.key == "all") && fits(s.description)) ok = true;
          for (const auto& [k, v] : s.tags)
            if (((f.key == "tag-key" || f.key == "all") && fits(k)) ||
                ((f.key == "tag-value" || f.key == "all") && fits(v)))
              ok = true;
        }
        if (!ok) return false;
      }
      return true;
    };
    std::vector<Secret> all;
    for (auto& s : store_.secrets()) {
      if (s.deletion_ms && s.deletion_ms <= util::now_ms()) {
        store_.delete_secret(s.name);
        continue;
      }
      if (s.deletion_ms && !include_deleted) continue;
      if (matches(s)) all.push_back(std::move(s));
    }
    std::size_t i = 0;
    if (auto token = r.string("NextToken")) {
      std::string after;
      try {
        after = util::base64_decode(*token);
      } catch (const Error&) {
      }
      if (after.empty()) throw ApiError("InvalidNextTokenException", "The NextToken is not valid.");
      while (i < all.size() && all[i].name <= after) ++i;
    }
    const std::size_t limit = static_cast<std::size_t>(max.value_or(100));
    json out = {{"SecretList", json::array()}};
    std::string last;
    for (; i < all.size() && out["SecretList"].size() < limit; ++i) {
      auto pair = describe_json(all[i]);
      json item = pair[0];
      item["SecretVersionsToStages"] = pair[1];
      out["SecretList"].push_back(std::move(item));
      last = all[i].name;
    }
    if (i < all.size()) out["NextToken"] = util::base64_encode(last);
    return out;
  }

  json remove(const Request& r) {
    Secret s = existing(r, true);
    auto window = r.integer("RecoveryWindowInDays");
    const bool force = r.boolean("ForceDeleteWithoutRecovery");
    if (window && force)
      throw ApiError("InvalidParameterException",
                     "You can't use ForceDeleteWithoutRecovery in conjunction with "
                     "RecoveryWindowInDays.");
    if (window && (*window < 7 || *window > 30))
      throw ApiError("InvalidParameterException",
                     "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).");
    if (s.deletion_ms && !force)
      throw ApiError("InvalidRequestException",
                     "You can't perform this operation on the secret because it was already "
                     "scheduled for deletion.");
    const std::int64_t now = util::now_ms();
    if (force) {
      store_.delete_secret(s.name);
      return {{"ARN", s.arn}, {"Name", s.name}, {"DeletionDate", epoch_seconds(now)}};
    }
    s.deletion_ms = now + window.value_or(30) * kDayMs;
    store_.update_secret(s);
    return {{"ARN", s.arn}, {"Name", s.name}, {"DeletionDate", epoch_seconds(s.deletion_ms)}};
  }

  json restore(const Request& r) {
    Secret s = existing(r, true);
    s.deletion_ms = 0;
    store_.update_secret(s);
    return {{"ARN", s.arn}, {"Name", s.name}};
  }

  json update(const Request& r) {
    Secret s = existing(r);
    if (auto d = r.string("Description")) {
      if (d->size() > 2048)
        throw validation(
            "1 validation error detected: Value at 'description' failed to satisfy "
            "constraint: Member must have length less than or equal to 2048");
      s.description = *d;
    }
    if (auto k = r.string("KmsKeyId")) s.kms_key_id = *k;
    auto value = value_of(r);
    const std::string token = request_token(r);
    s.changed_ms = util::now_ms();
    store_.update_secret(s);
    if (!value) return {{"ARN", s.arn}, {"Name", s.name}};
    json out = new_version(s, *value, token, {"AWSCURRENT"});
    out.erase("VersionStages");
    return out;
  }
};

}  // namespace

bool is_secretsmanager_target(std::string_view target) {
  return target.starts_with("secretsmanager.");
}

ApiResult handle_secretsmanager(Store& store, std::string_view target, std::string_view body,
                                const std::string& region) {
  try {
    Request r(body);
    SecretsManager sm(store, region);
    return {200, sm.run(target.substr(target.find('.') + 1), r)
                     .dump(-1, ' ', false, json::error_handler_t::replace)};
  } catch (const ApiError& e) {
    return {e.status(), json{{"__type", e.type()}, {"message", e.what()}}.dump(
                            -1, ' ', false, json::error_handler_t::replace)};
  } catch (const std::exception& e) {
    fmt::print(stderr, "fx emulator: Secrets Manager {} failed: {}\n", target, e.what());
    return {500, json{{"__type", "InternalServiceError"}, {"message", e.what()}}.dump(
                     -1, ' ', false, json::error_handler_t::replace)};
  }
}

}  // namespace fx::secrets
