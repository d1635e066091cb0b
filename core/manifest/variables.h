// Serverless-style variables: `${source:address, fallback, ...}` in the values of a YAML
// document. Internal to core/manifest; yaml-cpp stays out of this header (YAML::Node is only
// declared), so only .cpp files that include <yaml-cpp/yaml.h> can call it.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/manifest/manifest.h"
#include "core/manifest/service.h"

namespace YAML {
class Node;
}

namespace fx::manifest {

// What variables can see besides the document itself.
struct VariableContext {
  std::filesystem::path dir;                // file() paths are relative to it
  std::string file;                         // the manifest's name in messages
  std::map<std::string, std::string> opts;  // ${opt:...}
  std::function<std::optional<std::string>(const std::string&)> getenv;  // ${env:...}
  std::string instance_id;                                               // ${sls:instanceId}
  std::string target;    // --target ("" when not given: custom.fx.target decides)
  AwsVariableReads aws;  // ${cf:}, ${s3:} when the target is AWS
};

// Resolves the variables of one document lazily, so that sections fx never reads (resources,
// iam, ...) may use sources it cannot resolve. Results are cached per dotted key.
class Resolver {
 public:
  Resolver(const YAML::Node& root, VariableContext context);
  ~Resolver();

  // `node` (the document's value at dotted `key`, found at `mark`) with every variable in it
  // resolved. Throws fx::Error naming the mark, the key and the variable.
  YAML::Node resolve(const YAML::Node& node, const std::string& key, const SourceMark& mark);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// How a YAML scalar reads: quoted ones are strings; plain ones are typed by their text.
enum class ScalarType { null, boolean, number, string };
ScalarType scalar_type(const YAML::Node& node);

// A scalar as text, with booleans spelled `true`/`false`.
std::string scalar_text(const YAML::Node& node);

// A map's key/value pairs in order, with YAML merge keys (`<<: *base`) expanded; own keys win.
std::vector<std::pair<YAML::Node, YAML::Node>> map_entries(const YAML::Node& map);

// ${ssm(ARGS):ADDRESS} read as the framework (v3) reads it: ARGS may name a region, `raw` (a
// StringList stays text, a secret's JSON is not parsed) and `noDecrypt`; the older `~true`
// (decrypt), `~false` and `~split` suffixes of ADDRESS are accepted. (variables_ssm.cpp)
struct SsmRead {
  std::string name;
  std::string region;
  bool decrypt = true;
  bool raw = false;
  bool split = false;  // ~split: a String split on commas as a StringList is
};
SsmRead ssm_read(const std::string& argument, const std::string& address,
                 const std::string& default_region);
// The variable's value: a StringList is a list, a Secrets Manager secret holding JSON is what
// the JSON is (unless raw). SecureString values (every leaf of a parsed secret too) are
// registered with util::add_secret, so that fx never prints them.
YAML::Node ssm_value(const SsmRead& read, const std::string& type, const std::string& value);

// The YAML node's mark (1-based) in `file`, or `fallback` when the node has none.
SourceMark mark_of(const YAML::Node& node, const std::string& file, const SourceMark& fallback);

}  // namespace fx::manifest
