// Reading serverless.yaml walks the original YAML tree, so every message can point at a line,
// and resolves each value only when it is read: sections fx never acts on (resources, iam,
// vpc, ...) may use sources only AWS can resolve without breaking local work.
#include "core/manifest/manifest.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include <unistd.h>

#include "core/events/filter.h"
#include "core/events/schedule.h"
#include "core/events/target_input.h"
#include "core/manifest/build_plugins.h"
#include "core/manifest/document.h"
#include "core/manifest/dotenv.h"
#include "core/manifest/git_variables.h"
#include "core/manifest/text.h"
#include "core/manifest/variables.h"
#include "core/runtimes/registry.h"
#include "core/util/error.h"

namespace fx::manifest {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// clang-format off
constexpr std::string_view kTopLevel[] = {
    "service", "provider", "functions", "package", "custom", "plugins", "resources",
    "useDotenv", "configValidationMode", "frameworkVersion", "org", "app", "tenant", "layers",
    "params", "variablesResolutionMode", "deprecationNotificationMode", "disabledDeprecations",
    "unresolvedVariablesNotificationMode", "console", "dashboard"};
// Settings that only matter to AWS itself: accepted without a word.
constexpr std::string_view kProviderAws[] = {
    "profile", "stackName", "stackTags", "stackPolicy", "stackParameters", "tags",
    "deploymentBucket", "deploymentPrefix", "deploymentMethod", "disableRollback",
    "rollbackConfiguration", "notificationArns", "role", "cfnRole", "permissionsBoundary",
    "apiGateway", "apiName", "endpointType", "resourcePolicy", "usagePlan", "apiKeys",
    "websockets", "websocketsApiName", "websocketsApiRouteSelectionExpression",
    "websocketsDescription", "alb", "logs", "logDataProtectionPolicy",
    "kmsKeyArn", "tracing", "vpc", "vpcEndpointIds", "layers", "eventBridge",
    "ecr", "cloudFront", "s3", "runtimeManagement", "lambdaHashingVersion"};
// Permissions: what they allow is AWS's business, so a user hears once that fx ignores them.
constexpr std::string_view kProviderIam[] = {"iam", "iamRoleStatements", "iamManagedPolicies"};
constexpr std::string_view kFunctionAws[] = {
    "layers", "role", "tags", "vpc", "runtimeManagement", "onError",
    "destinations", "tracing", "kmsKeyArn", "snapStart", "fileSystemConfig", "maximumEventAge",
    "maximumRetryAttempts", "disableLogs", "logDataProtectionPolicy",
    "condition", "dependsOn", "image", "iamRoleStatements", "iamRoleStatementsName",
    "iamRoleStatementsInherit"};
constexpr std::string_view kHttpAws[] = {
    "integration", "request", "response", "authorizer", "async", "operationId", "statusCodes",
    "connectionId", "caching", "summary", "description", "documentation"};
constexpr std::string_view kHttpApiAws[] = {
    "authorizer", "name", "summary", "description", "swaggerTags", "operationId"};
constexpr std::string_view kScheduleAws[] = {
    "input", "inputPath", "inputTransformer", "name", "description", "method", "timezone"};
constexpr std::string_view kSqsAws[] = {
    "maximumBatchingWindow", "functionResponseType", "enabled", "filterPatterns",
    "maximumConcurrency"};
// What CloudWatch Logs' PutRetentionPolicy accepts, in days.
constexpr int kLogRetentionDays[] = {
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653};
constexpr std::string_view kMethods[] = {
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"};
// Plugins whose job fx does itself.
constexpr std::string_view kLocalPlugins[] = {
    "serverless-offline", "serverless-python-requirements", "serverless-dotenv-plugin",
    "serverless-esbuild", "serverless-plugin-typescript", "serverless-webpack", "serverless-wsgi",
    "serverless-plugin-git-variables"};
// clang-format on

template <size_t N>
bool contains(const std::string_view (&list)[N], std::string_view name) {
  return std::find(std::begin(list), std::end(list), name) != std::end(list);
}

// Variables as provider and function set them; nullopt (`KEY: ~`) unsets a provider's.
using Environment = std::map<std::string, std::optional<std::string>>;

// A value being read: its node, dotted key and place.
struct Field {
  YAML::Node node;
  std::string key;        // "functions.hello.handler"
  std::string name;       // the last part of the key: "handler"
  SourceMark mark;        // where the value is
  SourceMark key_mark;    // where its key is
  bool resolved = false;  // `node` is a resolved value already, not the manifest's own
};

// Function settings the provider gives every function.
struct Defaults {
  std::string runtime;
  int memory_mb = 1024;
  int timeout_s = 6;
  std::string architecture = "x86_64";
  Environment environment;
  std::optional<int> log_retention_days;
};

using text::printable;

std::string describe(const YAML::Node& v) {
  if (!v.IsDefined() || v.IsNull()) return "nothing";
  if (v.IsMap()) return "a map";
  if (v.IsSequence()) return "a list";
  const std::string text = printable(scalar_text(v));
  return scalar_type(v) == ScalarType::string ? fmt::format("\"{}\"", text) : text;
}

// A whole number, all of `s` (an optional sign, then digits), that fits in an int.
bool parse_int(std::string_view s, int& out) {
  if (s.starts_with('+')) s.remove_prefix(1);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

// The value of `key` in a map (merge keys applied), or nullopt, also when `node` is no map.
std::optional<YAML::Node> member(const YAML::Node& node, std::string_view key) {
  if (!node.IsMap()) return std::nullopt;
  for (const auto& [k, v] : map_entries(node)) {
    if (k.IsScalar() && k.Scalar() == key) return v;
  }
  return std::nullopt;
}

// JSON text that never throws: text that is not UTF-8 (from an env variable or a plain file)
// gets U+FFFD, as nlohmann would otherwise refuse it.
std::string json_text(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// YAML → JSON, bounded: variables may make a value repeat another (${self:a} in every item),
// so what they build is measured as it is converted, with the same bounds as the document.
class JsonBuilder {
 public:
  json build(const YAML::Node& v, int depth = 1) {
    if (++values_ > kMaxAliasValues)
      throw Error(fmt::format("more than {} values once variables are resolved", kMaxAliasValues));
    if ((v.IsMap() || v.IsSequence()) && depth > kMaxNesting)
      throw Error(
          fmt::format("lists and maps nested deeper than {} levels once variables are "
                      "resolved",
                      kMaxNesting));
    if (v.IsMap()) {
      json object = json::object();
      for (const auto& [key, value] : map_entries(v))
        object[key.Scalar()] = build(value, depth + 1);
      return object;
    }
    if (v.IsSequence()) {
      json array = json::array();
      for (const auto& item : v) array.push_back(build(item, depth + 1));
      return array;
    }
    if ((bytes_ += v.Scalar().size()) > kMaxAliasBytes)
      throw Error(
          fmt::format("more than {} MB of text once variables are resolved", kMaxAliasBytes >> 20));
    return scalar(v);
  }

 private:
  static json scalar(const YAML::Node& v) {
    std::string_view s = v.Scalar();
    switch (scalar_type(v)) {
      case ScalarType::null:
        return nullptr;
      case ScalarType::boolean:
        return scalar_text(v) == "true";
      case ScalarType::number: {
        if (s.starts_with('+')) s.remove_prefix(1);
        int64_t n = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (ec == std::errc() && end == s.data() + s.size()) return n;
        double d = 0;
        auto [dend, dec] = std::from_chars(s.data(), s.data() + s.size(), d);
        // Past a double's range (1e999) the number stays as written, as text.
        if (dec == std::errc() && dend == s.data() + s.size() && std::isfinite(d)) return d;
        return v.Scalar();
      }
      case ScalarType::string:
        break;
    }
    return v.Scalar();
  }

  std::uint64_t values_ = 0;
  std::uint64_t bytes_ = 0;
};

// `!Ref X`, `{Ref: X}`, `{Fn::GetAtt: ...}`: values only CloudFormation can give.
// The runtime the Serverless Framework (v4) gives a function that names none.
constexpr const char* kFrameworkDefaultRuntime = "nodejs20.x";

bool is_intrinsic(const YAML::Node& v) {
  // A short-form function's tag is on whatever node it takes: !Ref x, !Join [sep, [..]],
  // !Select [0, !GetAZs ''] ("!" alone is a quoted scalar's non-specific tag).
  if (v.Tag().size() > 1 && v.Tag()[0] == '!') return true;
  if (v.IsScalar()) return false;
  if (!v.IsMap() || v.size() != 1) return false;
  const std::string& key = v.begin()->first.Scalar();
  return key == "Ref" || key.starts_with("Fn::");
}

std::vector<std::string> split_words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

std::string with_slash(const std::string& path) {
  return path.starts_with("/") ? path : "/" + path;
}

// Names, each as the pattern in its comment would match the whole of it.
bool is_env_name(std::string_view s) {  // [A-Za-z_][A-Za-z0-9_]*
  auto first = [](char c) { return text::is_alpha(c) || c == '_'; };
  return text::is_word(s, first, [](char c) { return text::is_alnum(c) || c == '_'; });
}
bool is_setting(std::string_view s) {  // [A-Za-z0-9-]+
  auto part = [](char c) { return text::is_alnum(c) || c == '-'; };
  return text::is_word(s, part, part);
}
bool is_service_name(std::string_view s) {  // [A-Za-z][A-Za-z0-9-]*
  return text::is_word(s, text::is_alpha, [](char c) { return text::is_alnum(c) || c == '-'; });
}
bool is_function_key(std::string_view s) {  // [A-Za-z0-9_-]+
  auto part = [](char c) { return text::is_alnum(c) || c == '_' || c == '-'; };
  return text::is_word(s, part, part);
}
bool is_event_name(std::string_view s) {  // [a-z][A-Za-z0-9]*, as the framework's types are
  return text::is_word(s, text::is_lower, text::is_alnum);
}
bool is_function_name(std::string_view s) {  // [A-Za-z0-9_-]{1,64}
  return s.size() <= 64 && is_function_key(s);
}
// .+\.[A-Za-z_$][A-Za-z0-9_$]*: a one-line path, then the export after its last dot.
bool is_handler(std::string_view s) {
  const size_t dot = s.rfind('.');
  if (dot == 0 || dot == std::string_view::npos) return false;
  if (std::any_of(s.begin(), s.begin() + dot, text::is_line_break)) return false;
  auto first = [](char c) { return text::is_alpha(c) || c == '_' || c == '$'; };
  auto rest = [](char c) { return text::is_alnum(c) || c == '_' || c == '$'; };
  return text::is_word(s.substr(dot + 1), first, rest);
}
// (rate|cron)\(.+\): something on one line inside rate(...) or cron(...).
bool is_schedule_rate(std::string_view s) {
  if (!s.starts_with("rate(") && !s.starts_with("cron(")) return false;
  if (s.size() < 7 || !s.ends_with(')')) return false;
  const std::string_view inside = s.substr(5, s.size() - 6);
  return std::none_of(inside.begin(), inside.end(), text::is_line_break);
}

class Loader {
 public:
  Loader(const YAML::Node& root, VariableContext context, Service& service)
      : root_(root),
        context_(std::move(context)),
        service_(service),
        resolver_(std::make_unique<Resolver>(root_, context_)) {}

  void load() {
    const SourceMark top_mark{context_.file};
    std::map<std::string, Field> top;
    const auto fields = entries({root_, "", "", top_mark, top_mark}, "a map");
    for (const auto& f : fields) top.emplace(f.name, f);
    auto get = [&](const std::string& name) -> std::optional<Field> {
      if (auto it = top.find(name); it != top.end()) return it->second;
      return std::nullopt;
    };
    if (auto f = get("configValidationMode")) warn_unknown_ = text(*f) != "off";
    const auto provider = get("provider");
    if (auto f = get("useDotenv"); f && boolean(*f))
      load_dotenv(setting(provider, "stage", "dev"));
    else
      dotenv_not_loaded(setting(provider, "stage", "dev"), get("useDotenv"));
    for (const auto& f : fields) {
      if (!contains(kTopLevel, f.name)) unknown(f);
    }
    service_.name = service_name(get("service"));
    service_.stage = setting(provider, "stage", "dev");
    service_.region = setting(provider, "region", "");
    service_.region_explicit = !service_.region.empty();
    if (!service_.region_explicit) service_.region = "us-east-1";
    if (provider) read_provider(*provider);
    if (auto f = get("package")) read_package(*f, service_.package_patterns, artifact_, true);
    if (auto f = get("custom")) read_custom(*f);
    if (auto f = get("plugins")) read_plugins(*f);
    if (dotenv_plugin_) load_dotenv_plugin(get("custom"));
    if (git_variables_plugin_) load_git_exports(get("custom"), get("plugins"));
    if (auto f = get("layers")) read_layers(*f);
    // Tables before functions: a stream event names its table's stream.
    // Queues before functions too: an sqs event's !GetAtt names its queue's logical ID.
    if (auto f = get("resources")) {
      // Its tables and queues are made locally too; the rest waits for an AWS deploy.
      const std::size_t queues_before = service_.queues.size();
      read_queue_resources(*f);
      const bool others = read_table_resources(*f);
      if (service_.tables.empty() && service_.queues.size() == queues_before)
        kept_for_aws(*f);
      else if (others)
        warn(f->key_mark,
             "'resources' other than its AWS::DynamoDB::Table and AWS::SQS::Queue resources is "
             "kept for AWS deploys; fx does not act on it locally");
    }
    if (auto f = get("functions")) read_functions(*f);
  }

 private:
  YAML::Node value(const Field& f) {
    return f.resolved ? f.node : resolver_->resolve(f.node, f.key, f.mark);
  }

  // The entries of a map; a value that is not yet resolved stays so until read.
  std::vector<Field> entries(const Field& f, std::string_view expected) {
    const bool own = !f.resolved && f.node.IsMap();
    const YAML::Node map = own ? f.node : value(f);
    std::vector<Field> out;
    if (map.IsNull()) return out;
    if (!map.IsMap()) fail(f, expected);
    // Duplicate keys were refused when the document was parsed (parse_document).
    for (const auto& [k, v] : map_entries(map)) {
      const std::string& name = k.Scalar();
      Field c{v, f.key.empty() ? name : f.key + "." + name, name, f.mark, f.mark, !own};
      if (own) {
        c.key_mark = mark_of(k, context_.file, f.mark);
        c.mark = mark_of(v, context_.file, c.key_mark);
      }
      out.push_back(std::move(c));
    }
    return out;
  }

  std::vector<Field> items(const Field& f, std::string_view expected) {
    const bool own = !f.resolved && f.node.IsSequence();
    const YAML::Node list = own ? f.node : value(f);
    std::vector<Field> out;
    if (list.IsNull()) return out;
    if (!list.IsSequence()) fail(f, expected);
    for (size_t i = 0; i < list.size(); ++i) {
      const SourceMark mark = own ? mark_of(list[i], context_.file, f.mark) : f.mark;
      out.push_back(
          {list[i], fmt::format("{}[{}]", f.key, i), fmt::format("[{}]", i), mark, mark, !own});
    }
    return out;
  }

  std::optional<Field> child(const Field& f, const std::string& name) {
    for (auto& c : entries(f, "a map")) {
      if (c.name == name) return c;
    }
    return std::nullopt;
  }

  // `v` (the value of `f`) as JSON text.
  std::string json_of(const Field& f, const YAML::Node& v) {
    try {
      return json_text(JsonBuilder().build(v));
    } catch (const Error& e) {
      throw Error(fmt::format("{}: {}: {}", f.mark.str(), f.key, e.what()),
                  "look for variables that repeat large values, or that nest into each other");
    }
  }

  [[noreturn]] void fail(const Field& f, std::string_view expected, std::string hint = {}) {
    throw Error(fmt::format("{}: {}: expected {}, got {}", f.mark.str(), f.key, expected,
                            describe(value(f))),
                std::move(hint));
  }

  void warn(const SourceMark& mark, const std::string& what) {
    const std::string line = fmt::format("{}: {}", mark.str(), what);
    auto& warnings = service_.warnings;
    if (std::find(warnings.begin(), warnings.end(), line) == warnings.end()) {
      warnings.push_back(line);
    }
  }

  void unknown(const Field& f) {
    if (warn_unknown_) warn(f.key_mark, fmt::format("unknown key '{}'; ignored", f.key));
  }

  // The SQS queues of `resources` (CloudFormation), which the emulator hosts. Only the
  // properties a local queue uses are read (so only they are resolved); a value that cannot
  // be read here leaves that queue out with a warning rather than failing the manifest.
  void read_queue_resources(const Field& f) {
    const auto resources = member(f.node, "Resources");
    if (!resources || !resources->IsMap()) return;
    std::map<std::string, std::string> name_of_id;
    struct Pending {
      QueueResource q;
      std::string dlq_ref;
    };
    std::vector<Pending> pending;
    for (const auto& [k, v] : map_entries(*resources)) {
      const auto type = member(v, "Type");
      if (!type || !type->IsScalar() || type->Scalar() != "AWS::SQS::Queue") continue;
      Pending p;
      p.q.logical_id = k.Scalar();
      const SourceMark mark = mark_of(v, context_.file, f.mark);
      const std::string base = "resources.Resources." + p.q.logical_id + ".Properties.";
      auto read = [&](const YAML::Node& n, const std::string& key) {
        return value(Field{n, base + key, key, mark_of(n, context_.file, mark), mark, false});
      };
      auto name = [&](const YAML::Node& n, const std::string& key) {
        const YAML::Node v = read(n, key);
        if (!v.IsScalar() || v.Scalar().empty())
          throw Error(fmt::format("{} is not a name", base + key));
        return v.Scalar();
      };
      auto whole = [&](const YAML::Node& n, const std::string& key, int low, int high) {
        const YAML::Node v = read(n, key);
        int out = 0;
        if (!v.IsScalar() || !parse_int(v.Scalar(), out) || out < low || out > high)
          throw Error(fmt::format("{} is not a whole number from {} to {}", base + key, low, high));
        return out;
      };
      try {
        const auto props = member(v, "Properties");
        p.q.name = p.q.logical_id;
        if (const auto n = props ? member(*props, "QueueName") : std::nullopt)
          p.q.name = name(*n, "QueueName");
        if (const auto n = props ? member(*props, "VisibilityTimeout") : std::nullopt)
          p.q.visibility_timeout_s = whole(*n, "VisibilityTimeout", 0, 43200);
        // A FIFO queue: CloudFormation names one without QueueName with a ".fifo" suffix, and
        // refuses FifoQueue with a name that lacks it (or the suffix without FifoQueue).
        auto flag = [&](const char* key) {
          const auto n = props ? member(*props, key) : std::nullopt;
          if (!n) return false;
          const YAML::Node v = read(*n, key);
          if (!v.IsScalar() || (v.Scalar() != "true" && v.Scalar() != "false"))
            throw Error(fmt::format("{} is not true or false", base + key));
          return v.Scalar() == "true";
        };
        const bool fifo = flag("FifoQueue");
        p.q.content_based_deduplication = flag("ContentBasedDeduplication");
        if (fifo && !(props && member(*props, "QueueName"))) p.q.name += ".fifo";
        if (fifo != p.q.name.ends_with(".fifo"))
          throw Error(
              fmt::format("{}: a FIFO queue's name ends in .fifo, and only a FIFO queue's "
                          "(FifoQueue: true)",
                          base + "QueueName"));
        if (p.q.content_based_deduplication && !fifo)
          throw Error(fmt::format("{} applies to FIFO queues only (FifoQueue: true)",
                                  base + "ContentBasedDeduplication"));
        const auto rp = props ? member(*props, "RedrivePolicy") : std::nullopt;
        if (const auto n = rp ? member(*rp, "maxReceiveCount") : std::nullopt)
          p.q.max_receive_count = whole(*n, "RedrivePolicy.maxReceiveCount", 1, 1000);
        if (const auto t = rp ? member(*rp, "deadLetterTargetArn") : std::nullopt) {
          // An ARN, or {Fn::GetAtt: [ID, Arn]} / !GetAtt ID.Arn naming another resource.
          const auto get_att = member(*t, "Fn::GetAtt");
          if (get_att && get_att->IsSequence() && get_att->size() > 0 && (*get_att)[0].IsScalar())
            p.dlq_ref = (*get_att)[0].Scalar();
          else if (t->IsScalar() && t->Tag() == "!GetAtt")
            p.dlq_ref = t->Scalar().substr(0, t->Scalar().find('.'));
          else
            p.q.dead_letter_queue = name(*t, "RedrivePolicy.deadLetterTargetArn");
        }
      } catch (const Error& e) {
        warn(mark, fmt::format("queue {} is not created locally: {}", printable(p.q.logical_id),
                               e.what()));
        continue;
      }
      name_of_id[p.q.logical_id] = p.q.name;
      pending.push_back(std::move(p));
    }
    for (auto& p : pending) {
      if (!p.dlq_ref.empty()) {
        auto it = name_of_id.find(p.dlq_ref);
        if (it != name_of_id.end()) p.q.dead_letter_queue = it->second;
      }
      auto& dlq = p.q.dead_letter_queue;
      if (dlq.starts_with("arn:")) dlq = dlq.substr(dlq.rfind(':') + 1);
      service_.queues.push_back(std::move(p.q));
    }
  }

  // --- The DynamoDB tables of `resources` ------------------------------------------------------
  //
  // Each AWS::DynamoDB::Table becomes the CreateTable request CloudFormation would send for it,
  // checked as CloudFormation and DynamoDB check it, so that a bad key schema is an error with
  // its line here rather than a deploy that fails halfway. These errors are one line: what is
  // wrong, then what to do.

  [[noreturn]] void table_error(const Field& f, std::string_view what, std::string_view todo) {
    throw Error(fmt::format("{}: {}: {}; {}", f.mark.str(), f.key, what, todo));
  }

  // A scalar of the table's properties; `expected` and `todo` make the error when it is not.
  std::string table_text(const Field& f, std::string_view expected, std::string_view todo) {
    const YAML::Node v = value(f);
    if (!v.IsScalar() || scalar_type(v) == ScalarType::null || is_intrinsic(v))
      table_error(f, fmt::format("expected {}, got {}", expected, describe(v)), todo);
    return scalar_text(v);
  }

  // The scalar under a CloudFormation function's tag (!Ref NAME, !Sub PATTERN).
  std::string cfn_text(const Field& f, std::string_view expected, std::string_view todo) {
    const YAML::Node v = value(f);
    if (!v.IsScalar() || scalar_type(v) == ScalarType::null)
      table_error(f, fmt::format("expected {}, got {}", expected, describe(v)), todo);
    return scalar_text(v);
  }

  int table_integer(const Field& f, int low, int high) {
    const YAML::Node v = value(f);
    int n = 0;
    if (!v.IsScalar() || !parse_int(v.Scalar(), n) || n < low || n > high)
      table_error(
          f, fmt::format("expected a whole number from {} to {}, got {}", low, high, describe(v)),
          "write a number in that range");
    return n;
  }

  bool table_boolean(const Field& f) {
    const YAML::Node v = value(f);
    if (v.IsScalar() && (scalar_text(v) == "true" || scalar_text(v) == "false"))
      return scalar_text(v) == "true";
    table_error(f, fmt::format("expected true or false, got {}", describe(v)),
                "write true or false");
  }

  // One of `allowed`, as DynamoDB spells it.
  template <size_t N>
  std::string table_choice(const Field& f, const std::string_view (&allowed)[N],
                           std::string_view what) {
    const std::string todo = fmt::format("use one of {}", fmt::join(allowed, ", "));
    std::string s = table_text(f, what, todo);
    if (!contains(allowed, s))
      table_error(f, fmt::format("unknown {} '{}'", what, printable(s)), todo);
    return s;
  }

  // A property passed to AWS as written: CloudFormation's functions (Ref, Fn::GetAtt, ...)
  // need CloudFormation, which fx does not deploy through.
  json table_json(const Field& f) {
    std::function<void(const YAML::Node&)> check = [&](const YAML::Node& n) {
      if (is_intrinsic(n) || (n.Tag().size() > 1 && n.Tag()[0] == '!'))
        table_error(f, "a CloudFormation function (Ref, Fn::...) fx cannot resolve",
                    "write the value itself: fx deploys without CloudFormation");
      if (n.IsMap())
        for (const auto& [k, v] : map_entries(n)) check(v);
      if (n.IsSequence())
        for (const auto& item : n) check(item);
    };
    if (!f.resolved) check(f.node);
    const YAML::Node v = value(f);
    check(v);
    return json::parse(json_of(f, v));
  }

  // CloudFormation's pseudo parameters that fx knows the value of before it deploys.
  std::optional<std::string> pseudo_parameter(std::string_view name) {
    if (name == "AWS::Region") return service_.region;
    if (name == "AWS::StackName") return service_.name + "-" + service_.stage;
    if (name == "AWS::Partition") return std::string("aws");
    if (name == "AWS::URLSuffix") return std::string("amazonaws.com");
    return std::nullopt;
  }

  std::string cfn_ref(const Field& f, const std::string& name) {
    if (auto v = pseudo_parameter(name)) return *v;
    if (name == "AWS::AccountId")
      table_error(f,
                  "AWS::AccountId is not known before a deploy (the emulator's account is not "
                  "AWS's)",
                  "leave the account out of the name");
    table_error(f,
                fmt::format("Ref to '{}' needs CloudFormation (a parameter or another resource), "
                            "which fx does not deploy through",
                            printable(name)),
                "write the name itself, or build it with variables: "
                "${self:service}-${sls:stage}-NAME");
  }

  // Fn::Sub: "${AWS::Region}", "${Name}" of its variable map, "${!Literal}".
  std::string cfn_sub(const Field& f) {
    std::string pattern;
    std::map<std::string, std::string> vars;
    if (value(f).IsSequence()) {
      const auto parts = items(f, "[string, {variables}]");
      if (parts.size() != 2)
        table_error(f, "Fn::Sub takes a string, or a list of a string and a map of variables",
                    "write [PATTERN, {NAME: VALUE}]");
      pattern = cfn_text(parts[0], "a string", "write the pattern as a string");
      for (const auto& c : entries(parts[1], "a map of variables")) vars[c.name] = cfn_string(c);
    } else {
      pattern = cfn_text(f, "a string", "write the pattern as a string");
    }
    std::string out;
    for (size_t i = 0; i < pattern.size();) {
      const size_t open = pattern.find("${", i);
      if (open == std::string::npos) {
        out += pattern.substr(i);
        break;
      }
      out += pattern.substr(i, open - i);
      const size_t close = pattern.find('}', open);
      if (close == std::string::npos)
        table_error(f, "an unclosed ${ in Fn::Sub", "close it with }");
      const std::string name = pattern.substr(open + 2, close - open - 2);
      if (name.starts_with('!'))
        out += "${" + name.substr(1) + "}";
      else if (auto it = vars.find(name); it != vars.end())
        out += it->second;
      else
        out += cfn_ref(f, name);
      i = close + 1;
    }
    return out;
  }

  std::string cfn_join(const Field& f) {
    const auto parts = items(f, "[delimiter, [values]]");
    if (parts.size() != 2)
      table_error(f, "Fn::Join takes a delimiter and a list of values",
                  "write [DELIMITER, [VALUE, ...]]");
    const YAML::Node d = value(parts[0]);
    const std::string delimiter = d.IsScalar() ? scalar_text(d) : "";
    std::string out;
    const auto values = items(parts[1], "a list of values");
    for (size_t i = 0; i < values.size(); ++i) out += (i ? delimiter : "") + cfn_string(values[i]);
    return out;
  }

  // A string that CloudFormation's Ref, Fn::Sub or Fn::Join may build, from what fx knows.
  std::string cfn_string(const Field& f) {
    const std::string tag = f.resolved ? std::string() : f.node.Tag();
    const std::string expected = "a string";
    const std::string todo = "write it as text";
    if (tag == "!Ref") return cfn_ref(f, cfn_text(f, "a name", todo));
    if (tag == "!Sub") return cfn_sub(f);
    if (tag == "!Join") return cfn_join(f);
    if (tag.size() > 1 && tag[0] == '!')
      table_error(f, fmt::format("{} needs CloudFormation, which fx does not deploy through", tag),
                  "write the value itself, or use Ref, Fn::Sub or Fn::Join of what fx knows");
    const YAML::Node v = value(f);
    if (v.IsMap() && v.size() == 1) {
      const auto parts = entries(f, "a map");
      const std::string& fn = parts.front().name;
      if (fn == "Ref") return cfn_ref(parts.front(), cfn_text(parts.front(), "a name", todo));
      if (fn == "Fn::Sub") return cfn_sub(parts.front());
      if (fn == "Fn::Join") return cfn_join(parts.front());
      if (fn.starts_with("Fn::"))
        table_error(f, fmt::format("{} needs CloudFormation, which fx does not deploy through", fn),
                    "write the value itself, or use Ref, Fn::Sub or Fn::Join of what fx knows");
    }
    return table_text(f, expected, todo);
  }

  // DynamoDB's names: a table or index 3 to 255 characters of [a-zA-Z0-9_.-].
  static bool is_dynamodb_name(std::string_view s) {
    auto ok = [](char c) { return text::is_alnum(c) || c == '_' || c == '-' || c == '.'; };
    return s.size() >= 3 && s.size() <= 255 && text::is_word(s, ok, ok);
  }

  struct KeyElement {
    std::string name;
    std::string type;  // HASH or RANGE
    Field field;       // its AttributeName, for messages
  };

  // A KeySchema: one HASH key, then at most one RANGE key.
  std::vector<KeyElement> key_schema(const Field& f, json& out) {
    static constexpr std::string_view kKeyTypes[] = {"HASH", "RANGE"};
    const std::string todo =
        "write [{AttributeName: id, KeyType: HASH}], and a second element "
        "with KeyType: RANGE for a sort key";
    std::vector<KeyElement> keys;
    const auto list = items(f, "a list of keys");
    if (list.empty() || list.size() > 2)
      table_error(f, fmt::format("expected one or two keys, got {}", list.size()), todo);
    out = json::array();
    for (const auto& item : list) {
      KeyElement key{"", "", item};
      std::optional<Field> type;
      for (const auto& c : entries(item, "a map {AttributeName, KeyType}")) {
        if (c.name == "AttributeName") {
          key.name = table_text(c, "an attribute name", todo);
          key.field = c;
          if (key.name.empty() || key.name.size() > 255)
            table_error(c, "an attribute name has 1 to 255 bytes", "shorten it");
        } else if (c.name == "KeyType") {
          key.type = table_choice(c, kKeyTypes, "KeyType");
          type = c;
        } else {
          unknown(c);
        }
      }
      if (key.name.empty()) table_error(item, "AttributeName missing", todo);
      if (!type) table_error(item, "KeyType missing", "add KeyType: HASH or KeyType: RANGE");
      for (const auto& k : keys) {
        if (k.name == key.name)
          table_error(key.field, fmt::format("'{}' is already a key", printable(key.name)),
                      "use another attribute for the sort key");
        if (k.type == "HASH" && key.type == "HASH")
          table_error(*type, "two HASH keys (a table or index has one partition key)",
                      "make the second KeyType: RANGE");
        if (k.type == "RANGE" && key.type == "RANGE")
          table_error(*type, "two RANGE keys and no HASH key", "make the first KeyType: HASH");
        if (k.type == "RANGE")
          table_error(*type, "the HASH key must come first",
                      "put the HASH key first, then the RANGE key");
      }
      if (keys.empty() && key.type == "RANGE" && list.size() == 1)
        table_error(*type, "a RANGE key without a HASH key",
                    "add the partition key (KeyType: HASH) before it, or make this one HASH");
      out.push_back({{"AttributeName", key.name}, {"KeyType", key.type}});
      keys.push_back(std::move(key));
    }
    return keys;
  }

  json provisioned_throughput(const Field& f) {
    json out = json::object();
    for (const auto& c : entries(f, "a map {ReadCapacityUnits, WriteCapacityUnits}")) {
      if (c.name == "ReadCapacityUnits" || c.name == "WriteCapacityUnits")
        out[c.name] = table_integer(c, 1, std::numeric_limits<int>::max());
      else
        unknown(c);
    }
    for (const char* k : {"ReadCapacityUnits", "WriteCapacityUnits"})
      if (!out.contains(k))
        table_error(f, fmt::format("{} missing", k),
                    "set both ReadCapacityUnits and WriteCapacityUnits");
    return out;
  }

  struct IndexRead {
    std::string name;
    std::vector<KeyElement> keys;
    std::optional<Field> throughput;  // its ProvisionedThroughput
    size_t non_key_attributes = 0;
    Field field;
    bool global = true;
  };

  // An entry of GlobalSecondaryIndexes or LocalSecondaryIndexes as CreateTable takes it.
  IndexRead read_index(const Field& f, bool global, json& out) {
    static constexpr std::string_view kProjections[] = {"ALL", "KEYS_ONLY", "INCLUDE"};
    IndexRead index{"", {}, std::nullopt, 0, f, global};
    out = json::object();
    std::optional<Field> name, schema, projection;
    for (const auto& c : entries(f, "a map of the index's settings")) {
      if (c.name == "IndexName") {
        name = c;
        index.name = table_text(c, "an index name", "name the index");
        if (!is_dynamodb_name(index.name))
          table_error(c,
                      fmt::format("'{}' is not 3 to 255 letters, digits, '_', '-' and '.'",
                                  printable(index.name)),
                      "rename the index");
        out["IndexName"] = index.name;
      } else if (c.name == "KeySchema") {
        schema = c;
        index.keys = key_schema(c, out["KeySchema"]);
      } else if (c.name == "Projection") {
        projection = c;
        std::optional<Field> type, non_key;
        json p = json::object();
        for (const auto& pc : entries(c, "a map {ProjectionType, NonKeyAttributes}")) {
          if (pc.name == "ProjectionType") {
            type = pc;
            p["ProjectionType"] = table_choice(pc, kProjections, "ProjectionType");
          } else if (pc.name == "NonKeyAttributes") {
            non_key = pc;
            p["NonKeyAttributes"] = json::array();
            for (const auto& a : items(pc, "a list of attribute names"))
              p["NonKeyAttributes"].push_back(
                  table_text(a, "an attribute name", "list attribute names"));
            index.non_key_attributes = p["NonKeyAttributes"].size();
          } else {
            unknown(pc);
          }
        }
        if (!type)
          table_error(c, "ProjectionType missing",
                      "add ProjectionType: ALL, KEYS_ONLY or INCLUDE (with NonKeyAttributes)");
        const bool include = p["ProjectionType"] == "INCLUDE";
        if (include && index.non_key_attributes == 0)
          table_error(non_key ? *non_key : *type, "ProjectionType INCLUDE without NonKeyAttributes",
                      "list the attributes to project in NonKeyAttributes, or use ALL");
        if (!include && non_key)
          table_error(*non_key,
                      fmt::format("NonKeyAttributes with ProjectionType {}",
                                  p["ProjectionType"].get<std::string>()),
                      "remove NonKeyAttributes, or use ProjectionType: INCLUDE");
        out["Projection"] = p;
      } else if (global && c.name == "ProvisionedThroughput") {
        index.throughput = c;
        out[c.name] = provisioned_throughput(c);
      } else if (global && (c.name == "OnDemandThroughput" || c.name == "WarmThroughput")) {
        out[c.name] = table_json(c);
      } else if (global && c.name == "ContributorInsightsSpecification") {
        // Its own API on AWS (UpdateContributorInsights); nothing a table needs to work.
      } else {
        unknown(c);
      }
    }
    const std::string kind = global ? "a global secondary index" : "a local secondary index";
    if (!name) table_error(f, fmt::format("IndexName missing in {}", kind), "name the index");
    if (!schema)
      table_error(f, fmt::format("KeySchema missing in index {}", printable(index.name)),
                  "give the index a KeySchema");
    if (!projection)
      table_error(f, fmt::format("Projection missing in index {}", printable(index.name)),
                  "add Projection: {ProjectionType: ALL}");
    return index;
  }

  void read_table(const Field& resource) {
    static constexpr std::string_view kBillingModes[] = {"PROVISIONED", "PAY_PER_REQUEST"};
    static constexpr std::string_view kAttributeTypes[] = {"S", "N", "B"};
    static constexpr std::string_view kViewTypes[] = {"KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE",
                                                      "NEW_AND_OLD_IMAGES"};
    static constexpr std::string_view kTableClasses[] = {"STANDARD", "STANDARD_INFREQUENT_ACCESS"};
    // CloudFormation's properties that CreateTable takes as they are.
    static constexpr std::string_view kPassed[] = {"DeletionProtectionEnabled",
                                                   "OnDemandThroughput", "WarmThroughput"};
    // Its properties that AWS sets with calls of their own: fx names them when it skips them.
    static constexpr std::string_view kOwnCalls[] = {"ContributorInsightsSpecification",
                                                     "KinesisStreamSpecification",
                                                     "ImportSourceSpecification"};
    TableResource table;
    table.logical_id = resource.name;
    table.mark = resource.key_mark;
    json create = json::object();
    if (const auto policy = child(resource, "DeletionPolicy")) {
      static constexpr std::string_view kPolicies[] = {"Delete", "Retain", "RetainExceptOnCreate"};
      table.retain = table_choice(*policy, kPolicies, "DeletionPolicy") != "Delete";
    }
    // fx never replaces a table (a key DynamoDB cannot change stops the deploy instead), so
    // the data is kept whatever this says; it is checked, as CloudFormation would.
    if (const auto policy = child(resource, "UpdateReplacePolicy")) {
      static constexpr std::string_view kPolicies[] = {"Delete", "Retain"};
      table_choice(*policy, kPolicies, "UpdateReplacePolicy");
    }
    const auto props = child(resource, "Properties");
    if (!props || value(*props).IsNull())
      table_error(resource, "a table without Properties",
                  "add Properties with KeySchema and AttributeDefinitions");
    std::optional<Field> name, schema, definitions, billing, throughput;
    std::vector<KeyElement> keys;
    std::vector<IndexRead> indexes;
    std::map<std::string, Field> defined;  // AttributeDefinitions, by name
    for (const auto& c : entries(*props, "a map of the table's properties")) {
      if (c.name == "TableName") {
        name = c;
        table.name = cfn_string(c);
      } else if (c.name == "KeySchema") {
        schema = c;
        keys = key_schema(c, create["KeySchema"]);
      } else if (c.name == "AttributeDefinitions") {
        definitions = c;
        create["AttributeDefinitions"] = json::array();
        for (const auto& item : items(c, "a list of {AttributeName, AttributeType}")) {
          std::string attribute, type;
          std::optional<Field> at;
          for (const auto& d : entries(item, "a map {AttributeName, AttributeType}")) {
            if (d.name == "AttributeName") {
              attribute = table_text(d, "an attribute name", "name the attribute");
              at = d;
            } else if (d.name == "AttributeType") {
              type = table_choice(d, kAttributeTypes, "AttributeType");
            } else {
              unknown(d);
            }
          }
          if (!at) table_error(item, "AttributeName missing", "name the attribute");
          if (type.empty())
            table_error(item, "AttributeType missing",
                        "add AttributeType: S (string), N (number) or B (binary)");
          if (defined.contains(attribute))
            table_error(*at, fmt::format("'{}' is defined twice", printable(attribute)),
                        "keep one definition");
          defined.emplace(attribute, *at);
          create["AttributeDefinitions"].push_back(
              {{"AttributeName", attribute}, {"AttributeType", type}});
        }
      } else if (c.name == "BillingMode") {
        billing = c;
        create["BillingMode"] = table_choice(c, kBillingModes, "BillingMode");
      } else if (c.name == "ProvisionedThroughput") {
        throughput = c;
        create["ProvisionedThroughput"] = provisioned_throughput(c);
      } else if (c.name == "GlobalSecondaryIndexes" || c.name == "LocalSecondaryIndexes") {
        const bool global = c.name == "GlobalSecondaryIndexes";
        create[c.name] = json::array();
        const auto list = items(c, "a list of indexes");
        if (list.size() > (global ? 20u : 5u))
          table_error(
              c, fmt::format("{} indexes; DynamoDB takes at most {}", list.size(), global ? 20 : 5),
              "remove some");
        for (const auto& item : list) {
          json index;
          indexes.push_back(read_index(item, global, index));
          create[c.name].push_back(std::move(index));
        }
      } else if (c.name == "StreamSpecification") {
        std::optional<Field> view;
        for (const auto& s : entries(c, "a map {StreamViewType}")) {
          if (s.name == "StreamViewType") {
            view = s;
            create["StreamSpecification"] = {
                {"StreamEnabled", true},
                {"StreamViewType", table_choice(s, kViewTypes, "StreamViewType")}};
          } else if (s.name != "ResourcePolicy") {  // the stream's policy: AWS's business
            unknown(s);
          }
        }
        if (!view)
          table_error(c, "StreamViewType missing",
                      "add StreamViewType: NEW_AND_OLD_IMAGES (or NEW_IMAGE, OLD_IMAGE, "
                      "KEYS_ONLY)");
      } else if (c.name == "TimeToLiveSpecification") {
        std::optional<Field> enabled;
        std::string attribute;
        for (const auto& s : entries(c, "a map {AttributeName, Enabled}")) {
          if (s.name == "AttributeName")
            attribute = table_text(s, "an attribute name", "name the expiry attribute");
          else if (s.name == "Enabled")
            enabled = s;
          else
            unknown(s);
        }
        if (!enabled) table_error(c, "Enabled missing", "add Enabled: true (or false)");
        if (table_boolean(*enabled)) {
          if (attribute.empty())
            table_error(c, "AttributeName missing",
                        "name the attribute that holds each item's expiry (epoch seconds)");
          table.ttl_attribute = attribute;
        }
      } else if (c.name == "Tags") {
        json tags = json::array();
        std::set<std::string> seen;
        const auto list = items(c, "a list of {Key, Value}");
        if (list.size() > 50)
          table_error(c, fmt::format("{} tags; DynamoDB takes at most 50", list.size()),
                      "remove some");
        for (const auto& item : list) {
          std::optional<Field> key_field;
          std::string key, tag_value;
          for (const auto& t : entries(item, "a map {Key, Value}")) {
            if (t.name == "Key") {
              key = table_text(t, "a tag key", "write the key as text");
              key_field = t;
            } else if (t.name == "Value") {
              tag_value = table_text(t, "a tag value", "write the value as text");
            } else {
              unknown(t);
            }
          }
          if (!key_field) table_error(item, "Key missing", "write {Key: K, Value: V}");
          if (key.empty() || key.size() > 128 || tag_value.size() > 256)
            table_error(*key_field, "a tag's key has 1 to 128 characters, its value at most 256",
                        "shorten it");
          if (key.starts_with("aws:"))
            table_error(*key_field, "tag keys starting with aws: are AWS's own",
                        "use another prefix");
          if (!seen.insert(key).second)
            table_error(*key_field, fmt::format("tag '{}' is given twice", printable(key)),
                        "keep one");
          tags.push_back({{"Key", key}, {"Value", tag_value}});
        }
        if (!tags.empty()) create["Tags"] = tags;
      } else if (c.name == "SSESpecification") {
        // CloudFormation's SSEEnabled is CreateTable's Enabled.
        json sse = table_json(c);
        if (!sse.is_object())
          table_error(c, "expected a map {SSEEnabled, SSEType, KMSMasterKeyId}",
                      "write SSESpecification: {SSEEnabled: true}");
        if (sse.contains("SSEEnabled")) {
          sse["Enabled"] = sse["SSEEnabled"];
          sse.erase("SSEEnabled");
        }
        create["SSESpecification"] = sse;
      } else if (c.name == "TableClass") {
        create["TableClass"] = table_choice(c, kTableClasses, "TableClass");
      } else if (c.name == "ResourcePolicy") {
        // CreateTable takes the policy document as text.
        json policy = table_json(c);
        if (!policy.is_object() || !policy.contains("PolicyDocument"))
          table_error(c, "expected {PolicyDocument: ...}", "give the policy as PolicyDocument");
        const json& document = policy["PolicyDocument"];
        create["ResourcePolicy"] =
            document.is_string() ? document.get<std::string>() : document.dump();
      } else if (c.name == "PointInTimeRecoverySpecification") {
        for (const auto& s : entries(c, "a map {PointInTimeRecoveryEnabled}")) {
          if (s.name == "PointInTimeRecoveryEnabled")
            table.point_in_time_recovery = table_boolean(s);
          else if (s.name != "RecoveryPeriodInDays")
            unknown(s);
        }
      } else if (contains(kPassed, c.name)) {
        create[c.name] = table_json(c);
      } else if (contains(kOwnCalls, c.name)) {
        table.not_deployed.push_back(c.name);
      } else {
        unknown(c);
      }
    }
    if (!schema)
      table_error(*props, "KeySchema missing",
                  "add KeySchema: [{AttributeName: id, KeyType: HASH}]");
    if (!definitions)
      table_error(*props, "AttributeDefinitions missing",
                  "add AttributeDefinitions: [{AttributeName: id, AttributeType: S}]");
    if (name) {
      if (!is_dynamodb_name(table.name))
        table_error(*name,
                    fmt::format("'{}' is not 3 to 255 letters, digits, '_', '-' and '.'",
                                printable(table.name)),
                    "rename the table");
    } else {
      // CloudFormation names an unnamed table STACK-LOGICALID-RANDOM; fx has no stack to keep a
      // random part in, so the name is what the manifest gives on every deploy: SERVICE-STAGE-ID.
      table.name = fmt::format("{}-{}-{}", service_.name, service_.stage, table.logical_id);
      if (!is_dynamodb_name(table.name))
        table_error(*props,
                    fmt::format("the table's default name '{}' is longer than DynamoDB's 255 "
                                "characters",
                                printable(table.name)),
                    "set TableName");
    }
    for (const auto& other : service_.tables)
      if (other.name == table.name)
        table_error(name ? *name : *props,
                    fmt::format("table '{}' is also the name of {} (at {})", printable(table.name),
                                other.logical_id, other.mark.str()),
                    "give each table its own TableName");
    create["TableName"] = table.name;

    // Keys: the table's and every index's attributes are defined, and nothing else is.
    std::set<std::string> used;
    auto check_keys = [&](const std::vector<KeyElement>& ks) {
      for (const auto& k : ks) {
        used.insert(k.name);
        if (!defined.contains(k.name))
          table_error(k.field,
                      fmt::format("'{}' is not in AttributeDefinitions", printable(k.name)),
                      fmt::format("add {{AttributeName: {}, AttributeType: S}} (or N, B) to "
                                  "AttributeDefinitions",
                                  printable(k.name)));
      }
    };
    check_keys(keys);
    std::map<std::string, const IndexRead*> index_names;
    size_t non_key_attributes = 0;
    for (const auto& index : indexes) {
      check_keys(index.keys);
      non_key_attributes += index.non_key_attributes;
      if (auto [it, fresh] = index_names.emplace(index.name, &index); !fresh)
        table_error(index.field, fmt::format("two indexes are named '{}'", printable(index.name)),
                    "give each index its own IndexName");
    }
    if (non_key_attributes > 100)
      table_error(*props,
                  fmt::format("{} NonKeyAttributes in all; DynamoDB projects at most 100",
                              non_key_attributes),
                  "project fewer, or use ProjectionType: ALL");
    for (const auto& [attribute, at] : defined)
      if (!used.contains(attribute))
        table_error(at,
                    fmt::format("'{}' is defined but is no key of the table or of an index "
                                "(CloudFormation refuses it)",
                                printable(attribute)),
                    "remove it from AttributeDefinitions: other attributes need no definition");
    // A local index shares the table's partition key and sorts on another attribute.
    for (const auto& index : indexes) {
      if (index.global) continue;
      if (keys.size() < 2)
        table_error(
            index.field,
            fmt::format("local index {}: the table has no RANGE key", printable(index.name)),
            "give the table a sort key, or make it a global index");
      if (index.keys.size() < 2)
        table_error(index.keys.front().field,
                    fmt::format("local index {} has no RANGE key", printable(index.name)),
                    "add a RANGE key (the attribute it sorts on)");
      if (index.keys.front().name != keys.front().name)
        table_error(
            index.keys.front().field,
            fmt::format("local index {} has HASH key '{}', the table '{}'", printable(index.name),
                        printable(index.keys.front().name), printable(keys.front().name)),
            "use the table's HASH key (a local index is one partition, sorted another way)");
    }
    // Capacity: provisioned tables and their global indexes say theirs; on-demand ones none.
    const bool on_demand = create.value("BillingMode", "PROVISIONED") == "PAY_PER_REQUEST";
    if (on_demand && throughput)
      table_error(*throughput, "ProvisionedThroughput with BillingMode PAY_PER_REQUEST",
                  "remove ProvisionedThroughput, or use BillingMode: PROVISIONED");
    if (!on_demand && !throughput)
      table_error(billing ? *billing : *props,
                  "a PROVISIONED table (CloudFormation's default) without ProvisionedThroughput",
                  "add BillingMode: PAY_PER_REQUEST, or ProvisionedThroughput: "
                  "{ReadCapacityUnits: 1, WriteCapacityUnits: 1}");
    for (const auto& index : indexes) {
      if (!index.global) continue;
      if (on_demand && index.throughput)
        table_error(*index.throughput,
                    fmt::format("index {}: ProvisionedThroughput on a PAY_PER_REQUEST table",
                                printable(index.name)),
                    "remove it");
      if (!on_demand && !index.throughput)
        table_error(index.field,
                    fmt::format("index {} of a PROVISIONED table has no ProvisionedThroughput",
                                printable(index.name)),
                    "add ProvisionedThroughput: {ReadCapacityUnits: 1, WriteCapacityUnits: 1}");
    }
    table.create_json = create.dump();
    service_.tables.push_back(std::move(table));
  }

  // The tables of `resources` (its Resources map, or a list of such maps, as the Serverless
  // Framework merges them). Parts only AWS can resolve hold no table fx could create. Returns
  // whether `resources` holds anything else.
  bool read_table_resources(const Field& f) {
    bool others = false;
    std::vector<Field> sections{f};
    if (f.node.IsSequence()) sections = items(f, "a list of resource maps");
    for (const auto& section : sections) {
      std::vector<Field> list;
      try {
        const auto resources = child(section, "Resources");
        others |= section.node.IsMap() && section.node.size() > 1;  // Outputs, ...
        if (!resources) {
          others = true;
          continue;
        }
        list = entries(*resources, "a map of resources");
      } catch (const Error&) {
        others = true;
        continue;
      }
      for (const auto& resource : list) {
        std::optional<std::string> type;
        try {
          if (const auto t = child(resource, "Type")) type = text(*t);
        } catch (const Error&) {
          others = true;
          continue;
        }
        if (type == "AWS::DynamoDB::Table")
          read_table(resource);
        else if (type != "AWS::SQS::Queue")  // read_queue_resources took those
          others = true;
      }
    }
    return others;
  }

  // A function's `url`, as the Serverless Framework reads it: true/false, or a map of
  // authorizer (aws_iam), cors (true or the framework's object) and invokeMode.
  std::optional<manifest::Function::Url> function_url(const Field& f) {
    const YAML::Node v = value(f);
    if (v.IsScalar()) {
      if (!boolean(f)) return std::nullopt;
      return manifest::Function::Url{};
    }
    if (!v.IsMap()) fail(f, "true, or a map of authorizer, cors and invokeMode");
    manifest::Function::Url url;
    for (const auto& c : entries(f, "a map of authorizer, cors and invokeMode")) {
      if (c.name == "authorizer") {
        const std::string a = text(c, "aws_iam");
        if (a != "aws_iam")
          fail(c, "aws_iam",
               "a function URL takes only IAM authorization: `authorizer: aws_iam`, "
               "or leave it out for a public URL");
        url.auth_type = "AWS_IAM";
      } else if (c.name == "invokeMode") {
        url.invoke_mode = text(c, "BUFFERED or RESPONSE_STREAM");
        if (url.invoke_mode != "BUFFERED" && url.invoke_mode != "RESPONSE_STREAM")
          fail(c, "BUFFERED or RESPONSE_STREAM");
      } else if (c.name == "cors") {
        url.cors_json = function_url_cors(c);
      } else {
        unknown(c);
      }
    }
    return url;
  }

  // The framework's url.cors: `true` is its defaults; an object names Lambda's fields its way
  // (allowedOrigins for AllowOrigins, ...); a field set to null drops the framework's default.
  std::string function_url_cors(const Field& f) {
    nlohmann::json cors = {
        {"AllowOrigins", {"*"}},
        {"AllowHeaders",
         {"Content-Type", "X-Amz-Date", "Authorization", "X-Api-Key", "X-Amz-Security-Token"}},
        {"AllowMethods", {"*"}}};
    const YAML::Node v = value(f);
    if (v.IsScalar()) return boolean(f) ? cors.dump() : "";
    if (!v.IsMap()) fail(f, "true, or a map of allowedOrigins, allowedHeaders, ...");
    auto list = [&](const Field& c) {
      nlohmann::json out = nlohmann::json::array();
      if (value(c).IsScalar() && !value(c).IsNull()) {
        out.push_back(text(c));
        return out;
      }
      for (const auto& item : items(c, "a list of strings")) out.push_back(text(item));
      return out;
    };
    static const std::pair<std::string_view, const char*> kLists[] = {
        {"allowedOrigins", "AllowOrigins"},
        {"allowedHeaders", "AllowHeaders"},
        {"allowedMethods", "AllowMethods"},
        {"exposedResponseHeaders", "ExposeHeaders"}};
    for (const auto& c : entries(f, "a map of allowedOrigins, allowedHeaders, ...")) {
      auto lists = std::find_if(std::begin(kLists), std::end(kLists),
                                [&](const auto& l) { return l.first == c.name; });
      if (value(c).IsNull()) {
        if (lists != std::end(kLists)) cors.erase(lists->second);
      } else if (lists != std::end(kLists)) {
        cors[lists->second] = list(c);
      } else if (c.name == "allowCredentials") {
        cors["AllowCredentials"] = boolean(c);
      } else if (c.name == "maxAge") {
        cors["MaxAge"] = integer(c, 0, 86400, " (seconds)");
      } else {
        unknown(c);
      }
    }
    return cors.dump();
  }

  void kept_for_aws(const Field& f) {
    warn(f.key_mark,
         fmt::format("'{}' is kept for AWS deploys; fx does not act on it locally", f.key));
  }

  std::string text(const Field& f, std::string_view expected = "a string") {
    const YAML::Node v = value(f);
    if (!v.IsScalar() || scalar_type(v) == ScalarType::null) fail(f, expected);
    return scalar_text(v);
  }

  bool boolean(const Field& f) {
    const YAML::Node v = value(f);
    if (v.IsScalar() && (scalar_text(v) == "true" || scalar_text(v) == "false")) {
      return scalar_text(v) == "true";
    }
    fail(f, "true or false");
  }

  int integer(const Field& f, int low, int high, std::string_view unit = "") {
    const YAML::Node v = value(f);
    int n = 0;
    bool ok = false;
    if (v.IsScalar()) {
      const std::string& s = v.Scalar();
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
      ok = ec == std::errc() && end == s.data() + s.size() && n >= low && n <= high;
    }
    if (!ok) fail(f, fmt::format("an integer from {} to {}{}", low, high, unit));
    return n;
  }

  // Lambda's length limits, counted in characters, so that a deploy does not fail on them.
  void at_most(const Field& f, std::string_view text, size_t limit) {
    const auto characters = static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
      return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
    if (characters <= limit) return;
    throw Error(fmt::format("{}: {}: {} characters; Lambda takes at most {}", f.mark.str(), f.key,
                            characters, limit),
                "shorten it");
  }

  // logRetentionInDays, as the Serverless Framework reads it: one of CloudWatch Logs' periods.
  int log_retention(const Field& f) {
    const YAML::Node v = value(f);
    int days = 0;
    if (v.IsScalar() && parse_int(v.Scalar(), days) &&
        std::find(std::begin(kLogRetentionDays), std::end(kLogRetentionDays), days) !=
            std::end(kLogRetentionDays)) {
      return days;
    }
    fail(f, "a number of days CloudWatch Logs keeps logs for",
         fmt::format("use one of {}", fmt::join(kLogRetentionDays, ", ")));
  }

  std::string runtime(const Field& f) {
    std::string name = text(f, "a runtime");
    if (!runtimes::find_family(name)) {
      fail(f, "a supported runtime",
           fmt::format("use one of {}", fmt::join(runtimes::runtime_ids(), ", ")));
    }
    return name;
  }

  std::string architecture(const Field& f) {
    std::string name = text(f, "x86_64 or arm64");
    if (name != "x86_64" && name != "arm64") fail(f, "x86_64 or arm64");
    return name;
  }

  Environment environment(const Field& f) {
    Environment env;
    for (const auto& c : entries(f, "a map of variable names to values")) {
      if (!is_env_name(c.name)) {
        throw Error(fmt::format("{}: {}: expected a variable name of letters, digits and '_'",
                                c.key_mark.str(), c.key),
                    "rename the variable");
      }
      const YAML::Node v = value(c);
      if (is_intrinsic(v)) {
        warn(c.mark,
             fmt::format("{}: a CloudFormation value; kept for AWS deploys, unset locally", c.key));
        env[c.name] = std::nullopt;
      } else if (v.IsNull() || scalar_type(v) == ScalarType::null) {
        env[c.name] = std::nullopt;
      } else if (v.IsScalar()) {
        env[c.name] = scalar_text(v);
      } else {
        fail(c, "a string, number or boolean", "environment values are text; quote it as a string");
      }
    }
    return env;
  }

  // --stage/--region win over provider.stage/region, which win over the default.
  std::string setting(const std::optional<Field>& provider, const std::string& name,
                      const std::string& fallback) {
    const std::string expected = "letters, digits and '-'";
    if (auto it = context_.opts.find(name); it != context_.opts.end()) {
      if (!is_setting(it->second)) {
        throw usage_error(fmt::format("--{}: expected {}, got \"{}\"", name, expected, it->second));
      }
      return it->second;
    }
    const auto f = provider ? child(*provider, name) : std::nullopt;
    if (!f || value(*f).IsNull()) return fallback;
    std::string s = text(*f, expected);
    if (!is_setting(s)) fail(*f, expected);
    return s;
  }

  // As the Serverless Framework v3 does with useDotenv: .env.STAGE when there is one, else
  // .env; never both. The process's own environment wins over either.
  void load_dotenv(const std::string& stage) {
    std::error_code ec;
    std::string name = ".env." + stage;
    if (!fs::is_regular_file(context_.dir / name, ec)) name = ".env";
    if (!fs::is_regular_file(context_.dir / name, ec)) return;
    const auto vars =
        expand_dotenv(read_dotenv_file(context_.dir / name, name), context_.getenv, name);
    context_.getenv = [real = context_.getenv, vars](const std::string& name) {
      if (auto v = real(name)) return v;
      auto it = vars.find(name);
      return it == vars.end() ? std::nullopt : std::optional(it->second);
    };
    resolver_ = std::make_unique<Resolver>(root_, context_);  // forget what env gave before
  }

  // A .env that the manifest does not ask for is not read, as the framework v3 does not read
  // it; one that is there is named, so a missing ${env:...} is not a mystery.
  void dotenv_not_loaded(const std::string& stage, const std::optional<Field>& use_dotenv) {
    std::error_code ec;
    for (const std::string& name : {".env." + stage, std::string(".env")}) {
      if (!fs::is_regular_file(context_.dir / name, ec)) continue;
      warn(use_dotenv ? use_dotenv->key_mark : SourceMark{context_.file},
           fmt::format("{} is not loaded into ${{env:...}}: useDotenv is not true (the Serverless "
                       "Framework v3 reads .env files only with useDotenv: true); add `useDotenv: "
                       "true` to read it",
                       name));
      return;
    }
  }

  // serverless-plugin-git-variables exports GIT_COMMIT_SHORT, GIT_COMMIT_LONG, GIT_BRANCH,
  // GIT_IS_DIRTY, GIT_REPOSITORY and GIT_TAGS into every function's environment (those a
  // function's own environment does not set), unless custom.exportGitVariables is false;
  // custom.gitVariablesEnvWhitelist names the ones exported. Read from the real `git`, as the
  // plugin runs it; outside a repository they are not exported, and the deploy says so.
  void load_git_exports(const std::optional<Field>& custom, const std::optional<Field>& plugins) {
    std::optional<std::vector<std::string>> allowed;
    if (custom && value(*custom).IsMap()) {
      if (auto off = child(*custom, "exportGitVariables"); off && !boolean(*off)) return;
      if (auto list = child(*custom, "gitVariablesEnvWhitelist")) {
        allowed.emplace();
        for (const auto& item : items(*list, "a list of GIT_* variable names"))
          allowed->push_back(text(item, "a GIT_* variable name"));
      }
    }
    static constexpr std::pair<const char*, const char*> kExports[] = {
        {"GIT_COMMIT_SHORT", "sha1"}, {"GIT_COMMIT_LONG", "commit"},    {"GIT_BRANCH", "branch"},
        {"GIT_IS_DIRTY", "isDirty"},  {"GIT_REPOSITORY", "repository"}, {"GIT_TAGS", "tags"}};
    for (const auto& [variable, name] : kExports) {
      if (allowed && std::find(allowed->begin(), allowed->end(), variable) == allowed->end())
        continue;
      GitValue got = git_variable(context_.dir, name);
      if (!got.value) {
        warn(plugins ? plugins->mark : SourceMark{},
             fmt::format("plugin 'serverless-plugin-git-variables': the GIT_* variables are not "
                         "exported to the functions: {} ({}; or set custom.exportGitVariables: "
                         "false)",
                         got.why, got.hint));
        git_exports_.clear();
        return;
      }
      git_exports_[variable] = *got.value;
    }
  }

  // serverless-dotenv-plugin's defaults (v6): .env.ENV.local, .env.ENV, .env.local (not for
  // ENV=test), then .env, the first file giving a name winning, with ENV from NODE_ENV, else
  // --env, else --stage, else "development"; custom.dotenv.path names the files instead. Every
  // variable goes into every function's environment, over provider.environment (as the plugin
  // sets it there) and under a function's own; custom.dotenv.include / exclude pick names.
  void load_dotenv_plugin(const std::optional<Field>& custom) {
    std::optional<Field> config;
    if (custom && value(*custom).IsMap()) config = child(*custom, "dotenv");
    std::vector<std::string> paths, include, exclude;
    bool expand = true;
    if (config && value(*config).IsMap()) {
      for (const auto& c : entries(*config, "a map of serverless-dotenv-plugin settings")) {
        auto names = [&](std::vector<std::string>& out, std::string_view what) {
          if (value(c).IsScalar()) {
            out.push_back(text(c, what));
            return;
          }
          for (const auto& item : items(c, what)) out.push_back(text(item, what));
        };
        if (c.name == "path")
          names(paths, "a .env file's path, or a list of them");
        else if (c.name == "include")
          names(include, "a list of variable names");
        else if (c.name == "exclude")
          names(exclude, "a list of variable names");
        else if (c.name == "variableExpansion")
          expand = boolean(c);
      }
    }
    if (paths.empty()) {
      std::string env = context_.getenv("NODE_ENV").value_or("");
      for (const char* option : {"env", "stage"})
        if (auto it = context_.opts.find(option); env.empty() && it != context_.opts.end())
          env = it->second;
      if (env.empty()) env = "development";
      paths = {".env." + env + ".local", ".env." + env};
      if (env != "test") paths.push_back(".env.local");
      paths.push_back(".env");
    }
    std::map<std::string, std::string> vars;
    std::error_code ec;
    for (const auto& path : paths) {
      if (!fs::is_regular_file(context_.dir / path, ec)) continue;
      auto entries = read_dotenv_file(context_.dir / path, path);
      if (!expand)
        for (auto& e : entries) e.expand = false;
      auto none = [](const std::string&) { return std::optional<std::string>(); };
      for (auto& [name, v] : expand_dotenv(entries, expand ? context_.getenv : none, path))
        vars.emplace(name, std::move(v));  // an earlier file's value wins
    }
    for (auto& [name, v] : vars) {
      const bool in = include.empty() || std::count(include.begin(), include.end(), name);
      if (!in || std::count(exclude.begin(), exclude.end(), name) || !is_env_name(name)) continue;
      defaults_.environment[name] = std::move(v);
    }
  }

  std::string service_name(std::optional<Field> f) {
    if (!f) {
      throw Error(fmt::format("{}: service: missing; expected the service's name", context_.file),
                  "add `service: my-service` at the top");
    }
    if (value(*f).IsMap()) {  // the old {name: x} form
      auto name = child(*f, "name");
      if (!name) fail(*f, "a name, or {name: NAME}");
      f = name;
    }
    const std::string expected = "a name matching [A-Za-z][A-Za-z0-9-]*";
    std::string name = text(*f, expected);
    if (!is_service_name(name)) fail(*f, expected, "e.g. service: my-service");
    return name;
  }

  void read_provider(const Field& f) {
    for (const auto& c : entries(f, "a map of provider settings")) {
      const std::string& k = c.name;
      if (k == "name") {
        if (text(c, "aws") != "aws") fail(c, "aws", "fx follows the AWS provider model");
      } else if (k == "runtime") {
        service_.runtime = defaults_.runtime = runtime(c);
      } else if (k == "memorySize") {
        defaults_.memory_mb = integer(c, 128, 10240, " (MB)");
      } else if (k == "timeout") {
        defaults_.timeout_s = integer(c, 1, 900, " (seconds)");
      } else if (k == "architecture") {
        defaults_.architecture = architecture(c);
      } else if (k == "environment") {
        defaults_.environment = environment(c);
      } else if (k == "logRetentionInDays") {
        defaults_.log_retention_days = log_retention(c);
      } else if (k == "versionFunctions") {
        service_.version_functions = boolean(c);
      } else if (k == "httpApi") {
        if (auto payload = child(c, "payload")) {
          service_.http_api_payload = text(*payload, "'1.0' or '2.0'");
          if (service_.http_api_payload != "1.0" && service_.http_api_payload != "2.0") {
            fail(*payload, "'1.0' or '2.0'");
          }
        }
        if (auto authorizers = child(c, "authorizers")) {
          read_http_api_authorizers(*authorizers);
          http_api_fx_["authorizers"] = json::parse(json_of(*authorizers, value(*authorizers)));
          service_.http_api_authorizers_json = json_of(*authorizers, value(*authorizers));
          service_.http_api_authorizers_mark = authorizers->mark;
        }
        if (auto cors = child(c, "cors")) {
          read_http_api_cors(*cors);
          http_api_fx_["cors"] = json::parse(json_of(*cors, value(*cors)));
        }
      } else if (k == "apiGateway" || k == "apiKeys" || k == "usagePlan") {
        read_api_keys_setting(c);
      } else if (contains(kProviderIam, k)) {
        kept_for_aws(c);
        if (k == "iam") read_iam_role(c);
      } else if (k == "role") {
        read_role(c);
      } else if (k != "stage" && k != "region" && !contains(kProviderAws, k)) {
        unknown(c);
      }
    }
  }

  // provider.apiGateway.{apiKeys,usagePlan}, or the older provider.{apiKeys,usagePlan}: read
  // by core/manifest/api_keys.h from their JSON, with the marks of every value for its errors.
  // apiGateway's other settings only matter to AWS.
  void read_api_keys_setting(const Field& c) {
    std::optional<Field> keys, plan;
    if (c.name == "apiGateway") {
      keys = child(c, "apiKeys");
      plan = child(c, "usagePlan");
      // A REST API may take its key from a Lambda authorizer's usageIdentifierKey; the local
      // gateway does not: said, rather than a key check that silently differs.
      if (auto source = child(c, "apiKeySourceType");
          source && value(*source).IsScalar() && scalar_text(value(*source)) == "AUTHORIZER")
        warn(source->mark,
             "provider.apiGateway.apiKeySourceType: AUTHORIZER is not honoured locally: "
             "private routes take their key from the x-api-key header");
    } else {
      (c.name == "apiKeys" ? keys : plan) = c;
    }
    if (!keys && !plan) return;
    const std::string prefix = c.name == "apiGateway" ? "provider.apiGateway" : "provider";
    std::map<std::string, SourceMark> marks;
    std::string keys_json, plan_json;
    if (keys) {
      collect_marks(*keys, marks);
      keys_json = json_of(*keys, value(*keys));
    }
    if (plan) {
      collect_marks(*plan, marks);
      plan_json = json_of(*plan, value(*plan));
    }
    const SourceMark fallback = c.mark;
    service_.api_keys =
        manifest::read_api_keys(keys_json, plan_json, prefix, [&](const std::string& key) {
          // The value's own mark, else the nearest enclosing one that has a mark.
          for (std::string k = key; !k.empty();) {
            if (auto it = marks.find(k); it != marks.end()) return it->second;
            const auto cut = k.find_last_of(".[");
            if (cut == std::string::npos) break;
            k.resize(cut);
          }
          return fallback;
        });
  }

  // The mark of every value under `f`, by its dotted key.
  void collect_marks(const Field& f, std::map<std::string, SourceMark>& out, int depth = 0) {
    out[f.key] = f.mark;
    if (depth > kMaxNesting) return;
    const YAML::Node v = value(f);
    if (v.IsMap())
      for (const auto& c : entries(f, "a map")) collect_marks(c, out, depth + 1);
    else if (v.IsSequence())
      for (const auto& c : items(f, "a list")) collect_marks(c, out, depth + 1);
  }

  // package: at the service's level or a function's; include/exclude are the older patterns.
  void read_package(const Field& f, std::vector<std::string>& patterns, std::string& artifact,
                    bool service_level) {
    std::vector<std::string> include, exclude;
    auto globs = [&](const Field& c, std::vector<std::string>& out, const char* prefix) {
      // The framework's schema only warns about one glob given as a string; so does fx.
      if (const YAML::Node v = value(c); v.IsScalar() && scalar_type(v) != ScalarType::null) {
        warn(c.mark, fmt::format("{}: expected a list of globs, got one string; read as a "
                                 "list of one (write it as `- {}`)",
                                 c.key, scalar_text(v)));
        out.push_back(prefix + scalar_text(v));
        return;
      }
      for (const auto& item : items(c, "a list of globs")) {
        out.push_back(prefix + text(item, "a glob"));
      }
    };
    for (const auto& c : entries(f, "a map of package settings")) {
      if (c.name == "patterns") {
        globs(c, patterns, "");
      } else if (c.name == "include") {
        globs(c, include, "");
      } else if (c.name == "exclude") {
        globs(c, exclude, "!");
      } else if (c.name == "artifact") {
        artifact = text(c, "the path of a zip file");
      } else if (c.name == "individually") {
        const bool individually = boolean(c);
        if (service_level) service_.package_individually = individually;
      } else if (c.name == "excludeDevDependencies" && service_level) {
        service_.exclude_dev_dependencies = boolean(c);
      } else {
        unknown(c);
      }
    }
    // Excludes first, so that an include re-includes as it did before patterns existed.
    patterns.insert(patterns.end(), exclude.begin(), exclude.end());
    patterns.insert(patterns.end(), include.begin(), include.end());
  }

  // provider.iam.role (or the older provider.role) as a string: the existing role (ARN or
  // name) functions run as on AWS. The map form (statements for a role the framework would
  // create) is kept, not applied. A value only AWS could resolve must not break local work:
  // its error waits in iam_role_error for a deploy to AWS.
  void read_iam_role(const Field& iam) {
    if (!iam.node.IsMap()) return;
    for (const auto& c : entries(iam, "a map of IAM settings"))
      if (c.name == "role") read_role(c);
  }
  void read_role(const Field& c) {
    if (c.node.IsMap()) return;
    service_.iam_role_mark = c.mark;
    try {
      service_.iam_role = text(c, "a role ARN or name, or a map of role settings");
    } catch (const Error& e) {
      service_.iam_role_error = e.what();
    }
  }

  void read_custom(const Field& f) {
    for (const char* plugin : {"esbuild", "webpack", "pythonRequirements", "wsgi"}) {
      if (auto c = child(f, plugin); c && !value(*c).IsNull())
        service_.custom_build_json[plugin] = json_of(*c, value(*c));
    }
    const auto fx = child(f, "fx");
    if (!fx || value(*fx).IsNull()) return;
    if (!value(*fx).IsMap()) fail(*fx, "a map of fx settings");
    service_.custom_fx_json = json_of(*fx, value(*fx));
    if (auto target = child(*fx, "target")) service_.target = text(*target, "local, aws or a URL");
    if (auto limit = child(*fx, "concurrency")) integer(*limit, 1, 100000);
    if (auto port = child(*fx, "albPort")) {
      service_.alb_port = integer(*port, 1, 65535, " (a TCP port)");
      service_.alb_port_mark = port->mark;
    }
    if (auto interpreters = child(*fx, "interpreters")) read_interpreters(*interpreters);
    if (auto jwks = child(*fx, "jwks")) read_jwks(*jwks);
  }

  // custom.fx.jwks: {AUTHORIZER or its issuerUrl: path}: the JWK set a JWT authorizer of
  // provider.httpApi checks tokens with, read now, instead of the issuer's (offline work).
  void read_jwks(const Field& f) {
    const json authorizers = http_api_fx_.value("authorizers", json::object());
    for (const auto& c :
         entries(f, "a map of JWT authorizers (or their issuerUrl) to JWK set files")) {
      fs::path path = text(c, "the path of a JWK set file");
      if (path.is_relative()) path = service_.dir / path;
      const std::string hint =
          "give a JSON file {\"keys\": [{\"kty\": \"RSA\", \"kid\": ...}]}, relative to the "
          "service's folder";
      std::ifstream in(path, std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      if (!in)
        throw Error(fmt::format("{}: {}: cannot read {}", c.mark.str(), c.key, path.string()),
                    hint);
      const json set = json::parse(bytes.str(), nullptr, false);
      if (!set.is_object() || !set.contains("keys") || !set["keys"].is_array())
        throw Error(fmt::format("{}: {}: {} is not a JWK set", c.mark.str(), c.key, path.string()),
                    hint);
      bool used = false;
      for (const auto& [name, a] : authorizers.items()) {
        if (!a.is_object() || a.value("type", "jwt") == "request") continue;
        if (name == c.name || (a.contains("issuerUrl") && a["issuerUrl"] == c.name)) {
          http_api_fx_["jwks"][name] = set;
          used = true;
        }
      }
      if (!used)
        throw Error(fmt::format("{}: {}: names no JWT authorizer of provider.httpApi.authorizers",
                                c.key_mark.str(), c.key),
                    "use an authorizer's name or its issuerUrl as the key");
    }
  }

  // custom.fx.interpreters: {python3.9: ~/py39/bin/python3.9}. Whether each one is the
  // runtime's version is asked at deploy (it means running it), the rest here.
  void read_interpreters(const Field& f) {
    for (const auto& c : entries(f, "a map of runtime ids to interpreter paths")) {
      const auto* family = runtimes::find_family(c.name);
      if (!family || family->custom()) {
        std::vector<std::string_view> ids;
        for (const auto& fam : runtimes::families())
          if (!fam.custom()) ids.insert(ids.end(), fam.ids.begin(), fam.ids.end());
        throw Error(fmt::format("{}: {}: {} is not a runtime fx runs an interpreter for",
                                c.key_mark.str(), c.key, describe(YAML::Node(c.name))),
                    fmt::format("name one of {}", fmt::join(ids, ", ")));
      }
      fs::path path = text(c, "the path of an interpreter");
      const std::string given = path.string();
      if (given == "~" || given.starts_with("~/")) {
        auto home = context_.getenv("HOME");
        path = fs::path(home.value_or("")) / given.substr(given.size() > 1 ? 2 : 1);
      }
      if (path.is_relative()) path = service_.dir / path;
      path = path.lexically_normal();
      std::error_code ec;
      const std::string hint = fmt::format(
          "name an installed {} {} (e.g. ~/.pyenv/versions/X/bin/...), or remove the entry to let "
          "fx find one",
          family->language, family->version_of(c.name));
      if (!fs::exists(path, ec))
        throw Error(fmt::format("{}: {}: {} does not exist", c.mark.str(), c.key, path.string()),
                    hint);
      if (fs::is_directory(path, ec) || ::access(path.c_str(), X_OK) != 0)
        throw Error(
            fmt::format("{}: {}: {} is not an executable file", c.mark.str(), c.key, path.string()),
            hint);
      service_.interpreters[c.name] = {path.string(), fmt::format("{}: {}", c.mark.str(), c.key)};
    }
  }

  void read_layers(const Field& f) {
    for (const auto& c : entries(f, "a map of layer names to settings")) {
      Layer layer;
      layer.key = c.name;
      layer.mark = c.key_mark;
      for (const auto& s : entries(c, "a map of the layer's settings")) {
        if (s.name == "path")
          layer.path = text(s, "a folder");
        else if (s.name == "name")
          layer.name = text(s, "a layer name");
        else if (s.name == "description")
          layer.description = text(s);
        else if (s.name == "compatibleRuntimes") {
          for (const auto& r : items(s, "a list of runtimes"))
            layer.compatible_runtimes.push_back(text(r, "a runtime"));
        } else if (s.name != "compatibleArchitectures" && s.name != "licenseInfo" &&
                   s.name != "retain" && s.name != "allowedAccounts" && s.name != "package") {
          unknown(s);
        }
      }
      if (layer.path.empty())
        throw Error(fmt::format("{}: {}.path: missing; expected the layer's folder",
                                c.key_mark.str(), c.key),
                    "add e.g. `path: layers/common` (a folder holding python/, nodejs/ or ruby/)");
      std::error_code ec;
      if (!fs::is_directory(service_.dir / layer.path, ec))
        throw Error(fmt::format("{}: {}.path: folder '{}' not found in {}", c.key_mark.str(), c.key,
                                printable(layer.path), service_.dir.string()),
                    "create it, or fix the path");
      if (layer.name.empty())
        layer.name = fmt::format("{}-{}-{}", service_.name, service_.stage, layer.key);
      service_.layers.push_back(std::move(layer));
    }
  }

  // A function's `layers` entry: {Ref: CommonLibsLambdaLayer} names a top-level layer by its
  // key in TitleCase plus "LambdaLayer" (as the Serverless Framework's CloudFormation does);
  // a string is a layer version ARN (or a bare key, for convenience).
  std::string layer_ref(const Field& item) {
    const YAML::Node v = value(item);
    const auto named = member(v, "Ref");
    std::string ref;
    if (named && named->IsScalar())
      ref = named->Scalar();
    else if (v.IsScalar())
      ref = v.Scalar();
    if (ref.empty()) fail(item, "a layer ARN or {Ref: NameLambdaLayer}");
    if (ref.starts_with("arn:")) return ref;
    // The Serverless Framework's CloudFormation name: the key in TitleCase + "LambdaLayer".
    auto logical_id = [](std::string key) {
      key[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(key[0])));
      return key + "LambdaLayer";
    };
    std::string known;
    for (const auto& layer : service_.layers) {
      if (ref == layer.key || ref == logical_id(layer.key)) return layer.key;
      known += (known.empty() ? "" : ", ") + logical_id(layer.key);
    }
    throw Error(fmt::format("{}: {}: no layer '{}' in the top-level layers", item.mark.str(),
                            item.key, ref),
                known.empty() ? "declare it under layers:, or give a layer version ARN"
                              : "known layers: " + known);
  }

  void read_plugins(const Field& f) {
    std::optional<Field> list = f;
    if (!f.resolved && f.node.IsMap()) list = child(f, "modules");  // {localPath, modules}
    if (!list) return;
    for (const auto& item : items(*list, "a list of plugin names")) {
      const std::string name = text(item, "a plugin name");
      dotenv_plugin_ = dotenv_plugin_ || name == "serverless-dotenv-plugin";
      git_variables_plugin_ = git_variables_plugin_ || name == "serverless-plugin-git-variables";
      service_.plugins.push_back(name);
      if (auto instead = unbuilt_plugin(name)) {
        warn(item.mark, fmt::format("plugin '{}' changes how code is built, and fx does not run "
                                    "it: {}",
                                    name, *instead));
      } else if (!contains(kLocalPlugins, name)) {
        warn(item.mark,
             fmt::format("plugin '{}' is kept for AWS deploys; fx does not run plugins", name));
      }
    }
  }

  void read_functions(const Field& f) {
    const std::string_view expected = "a map of function names to settings";
    std::vector<Field> fields;
    if (f.node.IsSequence() || (!f.node.IsMap() && value(f).IsSequence())) {
      for (const auto& item : items(f, expected)) {  // a list of maps, e.g. one file() each
        for (auto& c : entries(item, expected)) {
          c.key = "functions." + c.name;
          fields.push_back(std::move(c));
        }
      }
    } else {
      fields = entries(f, expected);
    }
    for (const auto& c : fields) {
      if (!is_function_key(c.name)) {
        throw Error(fmt::format("{}: {}: expected a function name of letters, digits, '-' and '_'",
                                c.key_mark.str(), c.key),
                    "rename the function");
      }
      service_.functions.push_back(read_function(c));
    }
  }

  Function read_function(const Field& f) {
    Function fn;
    fn.key = f.name;
    fn.mark = f.key_mark;
    fn.runtime = defaults_.runtime;
    fn.memory_mb = defaults_.memory_mb;
    fn.timeout_s = defaults_.timeout_s;
    fn.architecture = defaults_.architecture;
    fn.log_retention_days = defaults_.log_retention_days;
    Environment env = defaults_.environment;
    std::set<std::string> own_env;  // set by the function itself
    std::optional<Field> handler, name, provisioned;
    for (const auto& c : entries(f, "a map of the function's settings")) {
      const std::string& k = c.name;
      if (k == "handler") {
        handler = c;
      } else if (k == "runtime") {
        fn.runtime = runtime(c);
      } else if (k == "memorySize") {
        fn.memory_mb = integer(c, 128, 10240, " (MB)");
      } else if (k == "timeout") {
        fn.timeout_s = integer(c, 1, 900, " (seconds)");
      } else if (k == "architecture") {
        fn.architecture = architecture(c);
      } else if (k == "environment") {
        for (auto& [var, v] : environment(c)) {
          env[var] = v;
          own_env.insert(var);
        }
      } else if (k == "logRetentionInDays") {
        fn.log_retention_days = log_retention(c);
      } else if (k == "events") {
        read_events(c, fn.events);
      } else if (k == "name") {
        name = c;
        fn.name = text(c, "a function name");
      } else if (k == "description") {
        fn.description = text(c);
        at_most(c, fn.description, 256);
      } else if (k == "reservedConcurrency") {
        fn.reserved_concurrency = integer(c, 0, 100000);
      } else if (k == "provisionedConcurrency") {
        fn.provisioned_concurrency = integer(c, 0, 100000);
        provisioned = c;
      } else if (k == "versionFunction") {
        fn.version_function = boolean(c);
      } else if (k == "ephemeralStorageSize") {
        fn.ephemeral_storage_mb = integer(c, 512, 10240, " (MB)");
      } else if (k == "package") {
        read_package(c, fn.package_patterns, fn.package_artifact, false);
      } else if (k == "layers") {
        for (const auto& item : items(c, "a list of layers")) fn.layers.push_back(layer_ref(item));
      } else if (k == "maximumRetryAttempts") {
        fn.max_retry_attempts = integer(c, 0, 2);
      } else if (k == "maximumEventAge") {
        fn.max_event_age_s = integer(c, 60, 21600);
      } else if (k == "destinations") {
        for (const auto& d : entries(c, "{onSuccess, onFailure}")) {
          if (d.name != "onFailure" && d.name != "onSuccess") continue;
          std::string& target = d.name == "onFailure" ? fn.on_failure : fn.on_success;
          if (!value(d).IsMap()) {
            target = text(d, "an ARN or a function");
            continue;
          }
          for (const auto& e : entries(d, "{type, arn}"))
            if (e.name == "arn") target = text(e, "an ARN or a function");
        }
      } else if (k == "url") {
        fn.url = function_url(c);
      } else if (!contains(kFunctionAws, k)) {
        unknown(c);
      }
    }
    // Lambda refuses provisioned instances the reserved concurrency could not run.
    if (provisioned && fn.reserved_concurrency &&
        *fn.provisioned_concurrency > *fn.reserved_concurrency)
      fail(*provisioned, fmt::format("at most reservedConcurrency ({})", *fn.reserved_concurrency),
           "raise reservedConcurrency or lower provisionedConcurrency");
    if (fn.runtime.empty()) {
      // The framework deploys such a function on its default runtime (v4's is nodejs20.x);
      // fx does the same, and says so where the framework is silent.
      fn.runtime = kFrameworkDefaultRuntime;
      warn(f.key_mark, fmt::format("{}: no runtime (neither {}.runtime nor provider.runtime); "
                                   "running on the Serverless Framework's default, {}",
                                   f.key, f.key, kFrameworkDefaultRuntime));
    }
    const std::string shape = "\"file.export\"";
    const std::string shape_hint =
        "the file's path without extension, a dot, and the function: "
        "handler.main for main() in handler.py";
    if (handler) {
      fn.handler = text(*handler, shape);
      at_most(*handler, fn.handler, 128);
    }
    if (!runtimes::find_family(fn.runtime)->custom()) {  // a custom runtime's: free-form
      if (!handler) {
        throw Error(
            fmt::format("{}: {}.handler: missing; expected {}", f.key_mark.str(), f.key, shape),
            shape_hint);
      }
      if (!is_handler(fn.handler)) fail(*handler, shape, shape_hint);
    }
    if (fn.name.empty()) fn.name = fmt::format("{}-{}-{}", service_.name, service_.stage, fn.key);
    if (!is_function_name(fn.name)) {
      throw Error(fmt::format("{}: {}: the deployed name \"{}\" is not 1 to 64 letters, digits, "
                              "'-' and '_'",
                              (name ? name->mark : fn.mark).str(), name ? name->key : f.key,
                              printable(fn.name)),
                  fmt::format("set {}.name, or shorten the service's name or stage", f.key));
    }
    if (fn.package_artifact.empty()) fn.package_artifact = artifact_;
    // serverless-plugin-git-variables sets what the function's own environment does not.
    for (const auto& [var, v] : git_exports_)
      if (!own_env.contains(var)) env[var] = v;
    for (const auto& [var, v] : env) {
      if (v) fn.environment[var] = *v;
    }
    return fn;
  }

  using EventReader = void (Loader::*)(const Field& item, const Field& source,
                                       std::vector<Event>& events);

  void read_events(const Field& f, std::vector<Event>& events) {
    // What reads each type of event, by its key; any other key is kept for AWS (other_event).
    static constexpr std::pair<std::string_view, EventReader> kEventReaders[] = {
        {"http", &Loader::http_event},         {"httpApi", &Loader::http_event},
        {"schedule", &Loader::schedule_event}, {"sqs", &Loader::sqs_event},
        {"stream", &Loader::stream_event},     {"alb", &Loader::alb_event}};
    for (const auto& item : items(f, "a list of events")) {
      const std::string expected = "a map with one key, the event's type, or a type's bare name";
      // `- alexaSkill`: the framework takes a bare name as that event with no settings.
      // Only a scalar is resolved here: a map's values may use sources only AWS resolves.
      const bool scalar = item.node.IsScalar();
      const YAML::Node bare = scalar ? value(item) : YAML::Node();
      if (bare.IsScalar() && scalar_type(bare) == ScalarType::string &&
          is_event_name(bare.Scalar())) {
        Field source{
            YAML::Node(YAML::NodeType::Null), item.key, bare.Scalar(), item.mark, item.mark, true};
        other_event(item, source, events);
        continue;
      }
      const auto parts = entries(item, expected);
      if (parts.size() != 1) fail(item, expected, "e.g. - http: GET /hello, or - alexaSkill");
      const Field& source = parts.front();
      EventReader read = &Loader::other_event;
      for (const auto& [key, reader] : kEventReaders)
        if (source.name == key) read = reader;
      (this->*read)(item, source, events);
    }
  }

  void http_event(const Field& item, const Field& source, std::vector<Event>& events) {
    HttpEvent event;
    event.mark = item.mark;
    if (source.name == "http") {
      event.api = HttpApi::rest;
      read_http(source, event);
    } else {
      read_http_api(source, event);
    }
    event.config_json = json_of(source, value(source));
    if (event.api == HttpApi::http && !http_api_fx_.empty()) {
      // What the gateway needs of provider.httpApi (authorizers, their JWK sets, cors) goes
      // with each of the API's routes to the emulator (core/gateway/jwt_authorizer.h).
      json config = json::parse(event.config_json);
      if (!config.is_object()) config = json::object();
      config["fx_http_api"] = http_api_fx_;
      event.config_json = config.dump();
    }
    events.push_back(std::move(event));
  }

  void schedule_event(const Field& item, const Field& source, std::vector<Event>& events) {
    ScheduleEvent event;
    event.mark = item.mark;
    event.config_json = json_of(source, value(source));
    const auto config = json::parse(event.config_json, nullptr, false);
    if (config.is_object() && config.contains("input") && !config["input"].is_null())
      event.input_json = config["input"].dump();
    read_schedule(source, event, events);
  }

  void sqs_event(const Field& item, const Field& source, std::vector<Event>& events) {
    SqsEvent event;
    event.mark = item.mark;
    read_sqs(source, event);
    event.config_json = json_of(source, value(source));
    // Settings fx passes on as given, unchecked (Lambda checks them on AWS).
    const auto config = json::parse(event.config_json, nullptr, false);
    if (config.is_object()) {
      if (config.contains("maximumBatchingWindow") && config["maximumBatchingWindow"].is_number())
        event.batching_window_s = config["maximumBatchingWindow"].get<int>();
      if (config.contains("functionResponseType") && config["functionResponseType"].is_string())
        event.report_batch_item_failures =
            config["functionResponseType"].get<std::string>() == "ReportBatchItemFailures";
      if (config.contains("enabled") && config["enabled"].is_boolean())
        event.enabled = config["enabled"].get<bool>();
    }
    events.push_back(std::move(event));
  }

  // stream: a DynamoDB table's stream, by its ARN or as Fn::GetAtt: [Table, StreamArn] of a table
  // of `resources`. A Kinesis stream (type: kinesis, or its ARN) runs only on AWS, as before.
  void stream_event(const Field& item, const Field& source, std::vector<Event>& events) {
    const std::string expected = "a stream's ARN, or {type: dynamodb, arn, batchSize, ...}";
    const bool tagged = !source.resolved && source.node.Tag().size() > 1;
    YAML::Node v;
    try {
      v = value(source);
    } catch (const Error&) {  // it uses sources only AWS resolves: kept as written, as before
      return other_event(item, source, events);
    }
    std::optional<Field> arn;
    std::string type;
    const bool settings = v.IsMap() && !tagged && !is_intrinsic(v);
    if (settings) {
      for (const auto& c : entries(source, expected)) {
        if (c.name == "type") type = text(c, "dynamodb or kinesis");
        if (c.name == "arn") arn = c;
      }
    } else {
      arn = source;
    }
    if (type == "kinesis") return other_event(item, source, events);
    if (!arn)
      fail(source, expected, "set arn: the table's stream, e.g. !GetAtt TodosTable.StreamArn");
    if (type.empty()) {  // as the Serverless Framework tells them apart: by the ARN
      const YAML::Node a = value(*arn);
      const bool kinesis =
          a.IsScalar() && !is_intrinsic(a) && scalar_text(a).find(":kinesis:") != std::string::npos;
      if (kinesis) return other_event(item, source, events);
    } else if (type != "dynamodb") {
      fail(*child(source, "type"), "dynamodb or kinesis");
    }
    StreamEvent event;
    event.mark = item.mark;
    stream_source(*arn, event);
    if (settings) {
      for (const auto& c : entries(source, expected)) {
        const std::string& k = c.name;
        if (k == "type" || k == "arn") {
          continue;
        } else if (k == "batchSize") {
          event.batch_size = integer(c, 1, 10000);
        } else if (k == "batchWindow" || k == "maximumBatchingWindow") {
          event.batching_window_s = integer(c, 0, 300, " (seconds)");
        } else if (k == "startingPosition") {
          event.starting_position = text(c, "LATEST or TRIM_HORIZON");
          if (event.starting_position != "LATEST" && event.starting_position != "TRIM_HORIZON")
            fail(c, "LATEST or TRIM_HORIZON", "AT_TIMESTAMP is for Kinesis streams only");
        } else if (k == "enabled") {
          event.enabled = boolean(c);
        } else if (k == "filterPatterns") {
          read_filter_patterns(c, event.filter_patterns,
                               "a filter pattern (a map, e.g. {eventName: [INSERT]})");
        } else if (k == "maximumRetryAttempts") {
          event.max_retry_attempts = integer(c, -1, 10000);
        } else if (k == "maximumRecordAgeInSeconds") {
          event.max_record_age_s = integer(c, -1, 604800, " (seconds)");
          if (*event.max_record_age_s >= 0 && *event.max_record_age_s < 60)
            fail(c, "-1 (forever) or 60 to 604800 seconds");
        } else if (k == "bisectBatchOnFunctionError") {
          event.bisect_batch_on_function_error = boolean(c);
        } else if (k == "functionResponseType") {
          if (text(c, "ReportBatchItemFailures") != "ReportBatchItemFailures")
            fail(c, "ReportBatchItemFailures");
          event.report_batch_item_failures = true;
        } else if (k == "destinations") {
          for (const auto& d : entries(c, "{onFailure}")) {
            if (d.name != "onFailure") {
              unknown(d);
              continue;
            }
            // An ARN, or {arn, type} as the Serverless Framework also takes it.
            const bool settings_map = value(d).IsMap() && !is_intrinsic(value(d)) &&
                                      !(!d.resolved && d.node.Tag().size() > 1);
            const auto target = settings_map ? child(d, "arn") : std::optional<Field>(d);
            if (!target) fail(d, "an ARN, or {arn, type}", "set arn");
            event.on_failure = stream_destination(*target);
          }
        } else if (k == "parallelizationFactor") {
          event.parallelization_factor = integer(c, 1, 10);
        } else if (k == "tumblingWindowInSeconds") {
          event.tumbling_window_s = integer(c, 0, 900, " (seconds)");
        } else {
          unknown(c);
        }
      }
    }
    event.config_json = json_of(source, v);
    events.push_back(std::move(event));
  }

  // Fn::GetAtt as CloudFormation writes it: {Fn::GetAtt: [ID, Attr]}, {Fn::GetAtt: ID.Attr},
  // !GetAtt ID.Attr or !GetAtt [ID, Attr]. Returns {ID, Attr}, or nullopt for anything else.
  std::optional<std::pair<std::string, std::string>> get_att(const Field& f) {
    YAML::Node ref;
    if (!f.resolved && f.node.Tag() == "!GetAtt") {
      ref.reset(f.node);
    } else {
      const YAML::Node v = value(f);
      if (v.IsMap() && v.size() == 1 && v.begin()->first.Scalar() == "Fn::GetAtt")
        ref.reset(v.begin()->second);
      else if (v.Tag() == "!GetAtt")
        ref.reset(v);
      else
        return std::nullopt;
    }
    if (ref.IsScalar()) {
      const std::string& s = ref.Scalar();
      const size_t dot = s.find('.');
      return std::pair{s.substr(0, dot), dot == std::string::npos ? "" : s.substr(dot + 1)};
    }
    if (ref.IsSequence() && ref.size() == 2 && ref[0].IsScalar() && ref[1].IsScalar())
      return std::pair{ref[0].Scalar(), ref[1].Scalar()};
    return std::pair{std::string(), std::string()};
  }

  // arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL
  static bool is_table_stream_arn(std::string_view arn) {
    std::vector<std::string_view> parts;
    for (size_t start = 0;;) {
      const size_t colon = arn.find(':', start);
      parts.push_back(arn.substr(start, colon - start));
      if (colon == std::string_view::npos || parts.size() == 6) {
        if (colon != std::string_view::npos) parts.back() = arn.substr(start);
        break;
      }
      start = colon + 1;
    }
    return parts.size() == 6 && parts[0] == "arn" && parts[1].starts_with("aws") &&
           parts[2] == "dynamodb" && !parts[3].empty() && !parts[4].empty() &&
           parts[5].starts_with("table/") && parts[5].find("/stream/") != std::string_view::npos;
  }

  void stream_source(const Field& f, StreamEvent& event) {
    const std::string expected = "a DynamoDB stream's ARN or Fn::GetAtt: [Table, StreamArn]";
    if (const auto ref = get_att(f)) {
      const auto& [id, attribute] = *ref;
      if (id.empty()) fail(f, expected);
      const TableResource* table = nullptr;
      for (const auto& t : service_.tables)
        if (t.logical_id == id) table = &t;
      if (!table)
        throw Error(fmt::format("{}: {}: no table '{}' in resources (an AWS::DynamoDB::Table)",
                                f.mark.str(), f.key, printable(id)),
                    "declare the table under resources.Resources, or give its stream's ARN");
      if (attribute != "StreamArn")
        throw Error(fmt::format("{}: {}: Fn::GetAtt {}.{} is not a stream", f.mark.str(), f.key,
                                printable(id), printable(attribute)),
                    fmt::format("name the table's stream: Fn::GetAtt: [{}, StreamArn]", id));
      if (!json::parse(table->create_json).contains("StreamSpecification"))
        throw Error(
            fmt::format("{}: {}: table {} has no StreamSpecification", f.mark.str(), f.key,
                        printable(id)),
            fmt::format("add StreamSpecification: {{StreamViewType: NEW_AND_OLD_IMAGES}} to "
                        "the Properties of {} ({})",
                        id, table->mark.str()));
      event.table = table->name;
      return;
    }
    const YAML::Node v = value(f);
    if (!v.IsScalar() || is_intrinsic(v) || !is_table_stream_arn(scalar_text(v)))
      fail(f, expected,
           "e.g. arn: !GetAtt TodosTable.StreamArn, or "
           "arn:aws:dynamodb:us-east-1:123456789012:table/todos/stream/2024-01-01T00:00:00.000");
    event.arn = scalar_text(v);
  }

  // A stream mapping's failure destination: an SQS queue's or SNS topic's ARN, or a queue of
  // `resources` by Fn::GetAtt (its logical ID, looked up when deployed).
  std::string stream_destination(const Field& f) {
    const std::string expected = "an SQS queue's or SNS topic's ARN, or Fn::GetAtt: [Queue, Arn]";
    if (const auto ref = get_att(f)) {
      if (ref->first.empty() || ref->second != "Arn") fail(f, expected);
      return ref->first;
    }
    const YAML::Node v = value(f);
    if (!v.IsScalar() || is_intrinsic(v)) fail(f, expected);
    const std::string arn = scalar_text(v);
    if (!arn.starts_with("arn:") ||
        (arn.find(":sqs:") == std::string::npos && arn.find(":sns:") == std::string::npos))
      fail(f, expected, "Lambda sends a stream's failed batches to a queue or a topic");
    return arn;
  }

  // alb: served locally on the emulator's ALB port; its settings are checked by the gateway's
  // rules (core/gateway/alb.h), which read them from the event's JSON.
  void alb_event(const Field& item, const Field& source, std::vector<Event>& events) {
    OtherEvent event;
    event.type = source.name;
    event.mark = item.mark;
    event.config_json = json_of(source, value(source));
    events.push_back(std::move(event));
  }

  // Kept for deploys to AWS; `fx deploy` to the emulator says once per function and type what
  // happens instead (local_event_notes).
  void other_event(const Field& item, const Field& source, std::vector<Event>& events) {
    OtherEvent event;
    event.type = source.name;
    event.mark = item.mark;
    try {
      event.config_json = json_of(source, value(source));
    } catch (const Error&) {  // it may use sources only AWS resolves; keep it as written
      event.config_json = json_of(source, source.node);
    }
    events.push_back(std::move(event));
  }

  std::string method(const Field& f, std::string name) {
    std::transform(name.begin(), name.end(), name.begin(), ::toupper);
    if (name == "*") name = "ANY";
    if (!contains(kMethods, name)) {
      fail(f, fmt::format("an HTTP method ({})", fmt::join(kMethods, ", ")));
    }
    return name;
  }

  void read_http(const Field& f, HttpEvent& event) {
    const std::string expected = "\"METHOD path\" or {path, method}";
    if (value(f).IsScalar()) {
      const auto words = split_words(text(f));
      if (words.size() != 2) fail(f, expected, "e.g. http: GET hello");
      event.method = method(f, words[0]);
      event.path = with_slash(words[1]);
      return;
    }
    for (const auto& c : entries(f, expected)) {
      if (c.name == "path") {
        event.path = with_slash(text(c, "a path"));
      } else if (c.name == "method") {
        event.method = method(c, text(c, "an HTTP method"));
      } else if (c.name == "cors") {
        event.cors = value(c).IsMap() ? read_rest_cors(c) : boolean(c);
      } else if (c.name == "private") {
        event.is_private = boolean(c);
      } else if (!contains(kHttpAws, c.name)) {
        unknown(c);
      }
    }
    if (event.path.empty() || event.method.empty()) fail(f, expected, "set both path and method");
  }

  // An http event's `cors` object, the framework's REST API settings: checked here, with their
  // line; the gateway reads them again from the event's JSON (core/gateway/rest_cors.h).
  bool read_rest_cors(const Field& f) {
    for (const auto& c : entries(f,
                                 "true, or {origin, origins, headers, allowCredentials, "
                                 "maxAge, cacheControl}")) {
      if (c.name == "origin" || c.name == "cacheControl") {
        text(c);
      } else if (c.name == "origins" || c.name == "headers" || c.name == "methods") {
        for (const auto& item : items(c, "a list of strings")) text(item);
      } else if (c.name == "allowCredentials") {
        boolean(c);
      } else if (c.name == "maxAge") {
        integer(c, 0, std::numeric_limits<int>::max(), " (seconds)");
      } else {
        unknown(c);
      }
    }
    return true;
  }

  // provider.httpApi.authorizers: checked here so that a mistake points at its line; the
  // gateway reads them again from the JSON (core/manifest/http_api_config.h).
  void read_http_api_authorizers(const Field& f) {
    for (const auto& a : entries(f, "a map of authorizer names to settings")) {
      std::string type = "jwt";
      bool issuer = false;
      for (const auto& s : entries(a, "a map of the authorizer's settings")) {
        if (s.name == "type") {
          type = text(s, "jwt or request");
          std::transform(type.begin(), type.end(), type.begin(), ::tolower);
          if (type != "jwt" && type != "request") fail(s, "jwt or request");
        } else if (s.name == "issuerUrl") {
          text(s, "the issuer's URL");
          issuer = true;
        } else if (s.name == "identitySource") {
          if (!value(s).IsSequence()) text(s, "e.g. $request.header.Authorization");
        } else if (s.name == "audience") {
          if (value(s).IsSequence()) {
            for (const auto& i : items(s, "a list of audiences")) text(i, "an audience");
          } else {
            text(s, "an audience or a list of them");
          }
        } else if (s.name != "functionName" && s.name != "functionArn" && s.name != "name" &&
                   s.name != "resultTtlInSeconds" && s.name != "enableSimpleResponses" &&
                   s.name != "payloadVersion" && s.name != "managedExternally") {
          unknown(s);
        }
      }
      if (type == "jwt" && !issuer)
        throw Error(
            fmt::format("{}: {}: a JWT authorizer needs issuerUrl", a.key_mark.str(), a.key),
            "add issuerUrl (and audience), or `type: request` for a Lambda authorizer");
      http_api_authorizers_.insert(a.name);
    }
  }

  // provider.httpApi.cors: true, or the framework's object (the gateway reads it again from
  // the JSON, core/gateway/cors.h).
  void read_http_api_cors(const Field& f) {
    const std::string expected = "true, false or {allowedOrigins, allowedHeaders, ...}";
    if (!value(f).IsMap()) {
      boolean(f);
      return;
    }
    for (const auto& c : entries(f, expected)) {
      if (c.name == "allowedOrigins" || c.name == "allowedHeaders" || c.name == "allowedMethods" ||
          c.name == "exposedResponseHeaders") {
        for (const auto& i : items(c, "a list of strings")) text(i, "a string");
      } else if (c.name == "allowCredentials") {
        boolean(c);
      } else if (c.name == "maxAge") {
        integer(c, 0, 86400, " (seconds)");
      } else {
        unknown(c);
      }
    }
  }

  // An httpApi event's `authorizer: NAME` or `{name, scopes}` must name one of
  // provider.httpApi.authorizers; `{type: aws_iam}` and `{id}` (an authorizer made outside
  // the service) name none.
  void read_route_authorizer(const Field& f) {
    std::optional<Field> name;
    if (value(f).IsScalar()) {
      name = f;
    } else {
      for (const auto& c : entries(f, "an authorizer's name or {name, scopes}")) {
        if (c.name == "name") {
          name = c;
        } else if (c.name == "scopes") {
          for (const auto& i : items(c, "a list of scopes")) text(i, "a scope");
        } else if (c.name != "type" && c.name != "id") {
          unknown(c);
        }
      }
    }
    if (!name) return;
    const std::string n = text(*name, "an authorizer's name");
    if (!http_api_authorizers_.count(n)) {
      throw Error(fmt::format("{}: {}: no authorizer '{}' in provider.httpApi.authorizers",
                              name->mark.str(), name->key, n),
                  http_api_authorizers_.empty()
                      ? std::string("declare it under provider.httpApi.authorizers")
                      : fmt::format("name one of: {}", fmt::join(http_api_authorizers_, ", ")));
    }
  }

  void read_http_api(const Field& f, HttpEvent& event) {
    const std::string expected = "'*', \"METHOD /path\" or {method, path}";
    event.method = "ANY";
    if (value(f).IsScalar()) {
      const auto words = split_words(text(f));
      if (words.size() == 1 && words[0] == "*") {
        event.path = "*";
        return;
      }
      if (words.size() != 2) fail(f, expected, "e.g. httpApi: 'GET /hello'");
      event.method = method(f, words[0]);
      event.path = words[1];
    } else {
      for (const auto& c : entries(f, expected)) {
        if (c.name == "path") {
          event.path = text(c, "a path");
        } else if (c.name == "method") {
          event.method = method(c, text(c, "an HTTP method"));
        } else if (c.name == "authorizer") {
          read_route_authorizer(c);
        } else if (!contains(kHttpApiAws, c.name)) {
          unknown(c);
        }
      }
      if (event.path.empty()) fail(f, expected, "set path");
    }
    if (event.path != "*") event.path = with_slash(event.path);
  }

  // Each rate of a schedule becomes an event of its own.
  void read_schedule(const Field& f, ScheduleEvent event, std::vector<Event>& events) {
    const std::string expected = "rate(...), cron(...) or {rate, enabled, input}";
    std::vector<std::string> rates;
    auto add_rate = [&](const Field& c) {
      rates.push_back(text(c, "rate(...) or cron(...)"));
      if (!is_schedule_rate(rates.back())) {
        fail(c, "rate(...) or cron(...)", "e.g. rate(5 minutes) or cron(0 12 * * ? *)");
      }
      try {
        events::Schedule::parse(rates.back());
      } catch (const ScheduleParseError& e) {
        // Point at the offending token itself: the value's column plus its offset, one more
        // when the value is quoted.
        SourceMark at = c.mark;
        if (at.line > 0) at.col += static_cast<int>(e.column()) + (value(c).Tag() == "!" ? 1 : 0);
        throw Error(fmt::format("{}: {}: {}", at.str(), c.key, e.problem()), e.hint());
      }
    };
    if (value(f).IsScalar()) {
      add_rate(f);
    } else {
      for (const auto& c : entries(f, expected)) {
        if (c.name == "rate" && value(c).IsSequence()) {
          for (const auto& item : items(c, "a list of rates")) add_rate(item);
        } else if (c.name == "rate") {
          add_rate(c);
        } else if (c.name == "enabled") {
          event.enabled = boolean(c);
        } else if (c.name == "inputPath") {
          event.input_path = json_path(c);
        } else if (c.name == "inputTransformer") {
          for (const auto& t : entries(c, "{inputPathsMap, inputTemplate}")) {
            if (t.name == "inputPathsMap") {
              for (const auto& p : entries(t, "a map of names to JSONPaths"))
                event.input_paths_map[p.name] = json_path(p);
            } else if (t.name == "inputTemplate") {
              event.input_template = text(t, "a template, e.g. '{\"at\": <time>}'");
            } else {
              unknown(t);
            }
          }
          if (event.input_template.empty())
            fail(c, "{inputPathsMap, inputTemplate}", "set inputTemplate");
        } else if (!contains(kScheduleAws, c.name)) {
          unknown(c);
        }
      }
    }
    if (rates.empty()) fail(f, expected, "set rate");
    // EventBridge sends one of them: a target has Input, InputPath or InputTransformer.
    const bool has_input = member(value(f), "input").has_value();
    if (has_input + !event.input_path.empty() + !event.input_template.empty() > 1)
      throw Error(fmt::format("{}: {}: input, inputPath and inputTransformer exclude each other",
                              f.mark.str(), f.key),
                  "keep one of them");
    for (const auto& rate : rates) {
      event.expression = rate;
      events.push_back(event);
    }
  }

  std::string json_path(const Field& f) {
    std::string path = text(f, "a JSONPath, e.g. $.detail");
    try {
      events::check_json_path(path);
    } catch (const Error& e) {
      throw Error(fmt::format("{}: {}: {}", f.mark.str(), f.key, e.what()), e.hint());
    }
    return path;
  }

  void read_sqs(const Field& f, SqsEvent& event) {
    const std::string expected = "a queue name, an ARN or {arn, batchSize}";
    if (value(f).IsScalar()) {
      event.queue = queue(f);
    } else {
      for (const auto& c : entries(f, expected)) {
        if (c.name == "arn") {
          event.queue = queue(c);
        } else if (c.name == "batchSize") {
          event.batch_size = integer(c, 1, 10000);
        } else if (c.name == "filterPatterns") {
          read_filter_patterns(c, event.filter_patterns);
        } else if (c.name == "maximumConcurrency") {
          event.max_concurrency = integer(c, 2, 1000);
        } else if (!contains(kSqsAws, c.name)) {
          unknown(c);
        }
      }
    }
    if (event.queue.empty()) fail(f, expected, "set arn");
  }

  // Checked here as Lambda would check them, so a bad one is an error with its line.
  void read_filter_patterns(
      const Field& f, std::vector<std::string>& patterns,
      std::string_view expected = "a filter pattern (a map, e.g. {body: {type: [order]}})") {
    for (const auto& item : items(f, "a list of filter patterns")) {
      if (!value(item).IsMap()) fail(item, expected);
      patterns.push_back(json_of(item, value(item)));
      try {
        events::EventFilter::parse({patterns.back()});
      } catch (const Error& e) {
        throw Error(fmt::format("{}: {}: {}", item.mark.str(), item.key, e.what()), e.hint());
      }
    }
    try {
      events::EventFilter::parse(patterns);  // how many there may be
    } catch (const Error& e) {
      throw Error(fmt::format("{}: {}: {}", f.mark.str(), f.key, e.what()), e.hint());
    }
  }

  std::string queue(const Field& f) {
    const YAML::Node v = value(f);
    if (v.IsScalar() && !is_intrinsic(v)) return scalar_text(v);
    // Fn::GetAtt names the queue by its logical ID: the queue of `resources` with that ID
    // (its QueueName, when it has one), else a queue of that name.
    YAML::Node ref;
    if (v.IsMap() && v.size() == 1 && v.begin()->first.Scalar() == "Fn::GetAtt") {
      ref.reset(v.begin()->second);
    } else if (v.Tag() == "!GetAtt") {
      ref.reset(v);
    }
    std::string logical_id;
    if (ref.IsSequence() && ref.size() > 0 && ref[0].IsScalar())
      logical_id = ref[0].Scalar();
    else if (ref.IsScalar())
      logical_id = ref.Scalar().substr(0, ref.Scalar().find('.'));
    else
      fail(f, "a queue name, an ARN or Fn::GetAtt: [Queue, Arn]");
    for (const auto& q : service_.queues)
      if (q.logical_id == logical_id) return q.name;
    return logical_id;
  }

  const YAML::Node root_;
  VariableContext context_;
  Service& service_;
  std::unique_ptr<Resolver> resolver_;
  Defaults defaults_;
  std::string artifact_;  // package.artifact: every function's unless it has its own
  bool warn_unknown_ = true;
  std::set<std::string> http_api_authorizers_;  // provider.httpApi.authorizers' names
  // provider.httpApi's authorizers and cors, and custom.fx.jwks' JWK sets by authorizer.
  json http_api_fx_ = json::object();
  bool dotenv_plugin_ = false;                      // plugins lists serverless-dotenv-plugin
  bool git_variables_plugin_ = false;               // plugins lists serverless-plugin-git-variables
  std::map<std::string, std::string> git_exports_;  // what it exports to every function
};

std::string display_name(const fs::path& path) {
  std::error_code ec;
  const fs::path relative = path.lexically_relative(fs::current_path(ec));
  if (ec || relative.empty() || *relative.begin() == "..") return path.string();
  return relative.string();
}

std::optional<std::string> process_env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  return value ? std::optional<std::string>(value) : std::nullopt;
}

std::string read_manifest(const fs::path& path, const std::string& name) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (!ec && size > kMaxDocumentBytes) {
    throw Error(fmt::format("{}: {} MB; fx reads manifests of at most {} MB", name, size >> 20,
                            kMaxDocumentBytes >> 20),
                "move large values into files read with ${file(...)}");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot read the file", name), "check its permissions");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

fs::path find_manifest(const LoadOptions& options) {
  std::error_code ec;
  if (!options.config.empty()) {
    if (!fs::is_regular_file(options.config, ec)) {
      throw Error(fmt::format("{}: no such file", options.config.string()),
                  "check the --config path");
    }
    return fs::weakly_canonical(fs::absolute(options.config));
  }
  for (const char* name : {"serverless.yaml", "serverless.yml"}) {
    const fs::path path = options.dir / name;
    if (fs::is_regular_file(path, ec)) return fs::weakly_canonical(fs::absolute(path));
  }
  throw Error(fmt::format("no serverless.yaml or serverless.yml in {}",
                          fs::weakly_canonical(fs::absolute(options.dir)).string()),
              "run `fx init` to create a service, or pass --config PATH");
}

namespace {

// The manifest's text, as the file at service.manifest_path, into `service`.
Service load_text(Service service, std::string_view text, const LoadOptions& options,
                  std::string file) {
  std::random_device random;
  VariableContext context{service.dir,
                          std::move(file),
                          options.opts,
                          options.getenv ? options.getenv : process_env,
                          fmt::format("{:08x}{:08x}", random(), random()),
                          options.target,
                          options.aws};
  const YAML::Node root = parse_document(text, context.file);
  if (root.IsNull()) {
    throw Error(fmt::format("{}: the file is empty", context.file),
                "start it with `service: NAME`, then provider: and functions:");
  }
  if (!root.IsMap()) {
    throw Error(
        fmt::format("{}: expected a map of settings (service, provider, functions), got {}",
                    mark_of(root, context.file, {context.file, 1, 1}).str(), describe(root)),
        "start it with `service: NAME`, then provider: and functions:");
  }
  // Messages quote keys and values of the manifest: each stays one line, of a sane length.
  try {
    Loader(root, std::move(context), service).load();
  } catch (const Error& e) {
    throw Error(printable(e.what(), 2000), printable(e.hint(), 1000), e.kind());
  }
  for (auto& warning : service.warnings) warning = printable(warning, 2000);
  return service;
}

}  // namespace

Service load_service(const LoadOptions& options) {
  Service service;
  service.manifest_path = find_manifest(options);
  service.dir = service.manifest_path.parent_path();
  std::string file = display_name(service.manifest_path);
  const std::string text = read_manifest(service.manifest_path, file);
  return load_text(std::move(service), text, options, std::move(file));
}

Service load_service_text(std::string_view text, const LoadOptions& options,
                          const std::string& name) {
  Service service;
  std::error_code ec;
  service.dir = fs::weakly_canonical(fs::absolute(options.dir, ec), ec);
  service.manifest_path = service.dir / name;
  return load_text(std::move(service), text, options, name);
}

}  // namespace fx::manifest
