// The emulator's parameters (SSM Parameter Store) and secrets (Secrets Manager) in one SQLite
// file of FX_HOME's. SecureString parameters and every secret value are sealed with the
// KeyFile before they reach the disk; String and StringList parameters are kept as they are,
// as AWS keeps them unencrypted. Used by one thread at a time per instance (the emulator's
// worker, or one CLI command); several processes may share the file (SQLite WAL).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fx::secrets {

class KeyFile;

using Tags = std::vector<std::pair<std::string, std::string>>;

struct Parameter {
  std::string name;
  std::string type;    // String, StringList, SecureString
  std::string value;   // the plaintext
  std::string sealed;  // SecureString: the sealed bytes as stored ("" for the others)
  std::int64_t version = 0;
  std::int64_t modified_ms = 0;
  std::string description;
  std::string allowed_pattern;
  std::string tier = "Standard";
  std::string data_type = "text";
  std::string key_id;  // SecureString: "alias/aws/ssm" unless the caller named one
};

struct SecretVersion {
  std::string id;
  std::string value;  // the plaintext (binary: the raw bytes)
  bool binary = false;
  std::vector<std::string> stages;
  std::int64_t created_ms = 0;
  std::string request_token;  // the ClientRequestToken that made it
};

struct Secret {
  std::string name;
  std::string arn;
  std::string description;
  std::string kms_key_id;
  std::int64_t created_ms = 0;
  std::int64_t changed_ms = 0;
  std::int64_t accessed_ms = 0;
  std::int64_t deletion_ms = 0;  // when it is scheduled to be deleted (0: it is not)
  Tags tags;
};

class Store {
 public:
  // `dir` is FX_HOME: the store is secrets.db, the key secrets.key.
  explicit Store(const std::filesystem::path& dir);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const KeyFile& key() const;

  // --- parameters ---
  // The latest version, or `version` (nullopt when there is no such parameter or version).
  std::optional<Parameter> parameter(const std::string& name,
                                     std::optional<std::int64_t> version = std::nullopt);
  std::vector<Parameter> history(const std::string& name);
  // Every parameter's latest version, by name.
  std::vector<Parameter> parameters();
  // Stores p as the next version (p.version and modified_ms are set); tags replace the
  // parameter's when given. Returns the new version.
  std::int64_t put_parameter(Parameter& p, const Tags* tags);
  Tags parameter_tags(const std::string& name);
  bool delete_parameter(const std::string& name);

  // --- secrets ---
  // By name or ARN (a partial ARN, without the random suffix, too).
  std::optional<Secret> secret(const std::string& id);
  std::vector<Secret> secrets();
  void create_secret(const Secret& s);
  void update_secret(const Secret& s);  // description, kms key, deletion date, accessed date
  void delete_secret(const std::string& name);
  std::vector<SecretVersion> versions(const std::string& name);
  // Adds a version and moves `stages` to it: a version losing AWSCURRENT gets AWSPREVIOUS,
  // which the former AWSPREVIOUS loses, as Secrets Manager does.
  void put_version(const std::string& name, const SecretVersion& v);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fx::secrets
