#include "core/emulator/lambda_requests.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/emulator/request_fields.h"
#include "core/runtimes/registry.h"
#include "core/util/hash.h"

namespace fx::emulator {

using json = nlohmann::json;
using lambda::ApiError;

namespace {

using request_fields::field;
using request_fields::invalid_content;
using request_fields::kind_of;
using request_fields::opt_bool;
using request_fields::opt_integer;
using request_fields::opt_object;
using request_fields::opt_string;
using request_fields::opt_string_list;
using request_fields::opt_string_map;
using request_fields::parse_object;
using request_fields::shown;
using request_fields::wrong_type;

ApiError invalid_value(std::string message) {
  return ApiError(400, "InvalidParameterValueException", std::move(message));
}

std::string decode_zip(const std::string& base64, std::string_view field_name) {
  try {
    return util::base64_decode(base64);
  } catch (const Error&) {
    throw invalid_content(fmt::format("{} is not valid base64", field_name));
  }
}

// Clamps what Lambda reads as an int: a value past int's range fails its constraint anyway,
// and shows in the message as sent.
std::optional<int> as_int(std::optional<std::int64_t> v) {
  if (!v) return std::nullopt;
  if (*v > std::numeric_limits<int>::max()) return std::numeric_limits<int>::max();
  if (*v < std::numeric_limits<int>::min()) return std::numeric_limits<int>::min();
  return static_cast<int>(*v);
}

ConfigFields read_config_fields(const json& body) {
  ConfigFields f;
  f.runtime = opt_string(body, "Runtime");
  f.interpreter = opt_string(body, "FxInterpreter");
  f.handler = opt_string(body, "Handler");
  f.role = opt_string(body, "Role");
  f.description = opt_string(body, "Description");
  f.timeout = as_int(opt_integer(body, "Timeout"));
  f.memory_size = as_int(opt_integer(body, "MemorySize"));
  if (const json* storage = opt_object(body, "EphemeralStorage")) {
    auto size = opt_integer(*storage, "Size");
    if (!size)
      throw ApiError(400, "ValidationException",
                     "1 validation error detected: Value null at 'ephemeralStorage.size' failed "
                     "to satisfy constraint: Member must not be null");
    f.ephemeral_storage_mb = as_int(size);
  }
  f.architectures = opt_string_list(body, "Architectures");
  f.layers = opt_string_list(body, "Layers");
  if (const json* env = opt_object(body, "Environment"))
    f.environment =
        opt_string_map(*env, "Variables").value_or(std::map<std::string, std::string>{});
  return f;
}

// Lambda's constraint failures, gathered as its validator does: "N validation error(s)
// detected: A; B".
class Violations {
 public:
  void add(std::string what) { list_.push_back(std::move(what)); }
  void range(std::string_view field, long long value, long long min, long long max) {
    if (value < min)
      add(
          fmt::format("Value '{}' at '{}' failed to satisfy constraint: Member must have value "
                      "greater than or equal to {}",
                      value, field, min));
    else if (value > max)
      add(
          fmt::format("Value '{}' at '{}' failed to satisfy constraint: Member must have value "
                      "less than or equal to {}",
                      value, field, max));
  }
  void max_length(std::string_view field, const std::string& value, std::size_t max) {
    if (value.size() > max)
      add(
          fmt::format("Value '{}' at '{}' failed to satisfy constraint: Member must have length "
                      "less than or equal to {}",
                      shown(value), field, max));
  }
  void check() const {
    if (list_.empty()) return;
    std::string text;
    for (const auto& v : list_) text += (text.empty() ? "" : "; ") + v;
    throw ApiError(400, "ValidationException",
                   fmt::format("{} validation error{} detected: {}", list_.size(),
                               list_.size() == 1 ? "" : "s", text));
  }

 private:
  std::vector<std::string> list_;
};

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// [a-zA-Z]([a-zA-Z0-9_])+ : Lambda's pattern for environment variable names.
bool valid_env_key(const std::string& k) {
  if (k.size() < 2 || !std::isalpha(static_cast<unsigned char>(k[0]))) return false;
  for (char c : k)
    if (!is_word_char(c)) return false;
  return true;
}

// arn:aws:iam::123456789012:role/NAME (paths allowed), Lambda's Role pattern.
bool valid_role(const std::string& role) {
  auto colon = role.find(":iam::");
  if (!role.starts_with("arn:aws") || colon == std::string::npos) return false;
  std::string_view rest = std::string_view(role).substr(colon + 6);
  if (rest.size() < 18) return false;
  for (int i = 0; i < 12; ++i)
    if (!std::isdigit(static_cast<unsigned char>(rest[i]))) return false;
  if (rest.substr(12, 6) != ":role/") return false;
  std::string_view name = rest.substr(18);
  if (name.empty()) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("+=,.@-_/").find(c) == std::string_view::npos)
      return false;
  return true;
}

// arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION
bool valid_layer_arn(const std::string& arn) {
  std::vector<std::string_view> parts;
  std::string_view s = arn;
  for (std::size_t at = 0;;) {
    auto colon = s.find(':', at);
    parts.push_back(s.substr(at, colon == std::string_view::npos ? s.npos : colon - at));
    if (colon == std::string_view::npos) break;
    at = colon + 1;
  }
  if (parts.size() != 8 || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "layer")
    return false;
  if (parts[4].size() != 12 || parts[6].empty() || parts[7].empty()) return false;
  for (char c : parts[4])
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  for (char c : parts[6])
    if (!is_word_char(c) && c != '-') return false;
  for (char c : parts[7])
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// Variables Lambda sets itself and refuses to let a function override.
constexpr std::string_view kReservedEnv[] = {
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
};

void check_environment(const std::map<std::string, std::string>& env, Violations& violations) {
  std::string reserved;
  std::size_t bytes = 0;
  for (const auto& [key, value] : env) {
    if (!valid_env_key(key)) {
      // Lambda's words name no key (and need a key of two characters at least); fx adds it.
      violations.add(
          fmt::format("Value at 'environment.variables' failed to satisfy constraint: Map keys "
                      "must satisfy constraint: [Member must satisfy regular expression pattern: "
                      "[a-zA-Z]([a-zA-Z0-9_])+] (the key '{}')",
                      shown(key)));
      continue;
    }
    for (auto r : kReservedEnv)
      if (key == r) reserved += (reserved.empty() ? "" : ", ") + key;
    bytes += key.size() + value.size();
  }
  if (!reserved.empty())
    throw invalid_value(fmt::format(
        "Lambda was unable to configure your environment variables because the environment "
        "variables you have provided contains reserved keys that are currently not supported "
        "for modification. Reserved keys used in this request: {}",
        reserved));
  // Lambda measures the variables as its JSON map; keys and values are close enough and
  // never under it.
  if (bytes > 4096)
    throw invalid_value(
        fmt::format("Lambda was unable to configure your environment variables because the "
                    "environment variables you have provided exceeded the 4KB limit. String "
                    "measured: {} bytes of names and values",
                    bytes));
}

void check_config(const lambda::FunctionConfiguration& c) {
  Violations v;
  const runtimes::Family* family = runtimes::find_family(c.runtime);
  if (!family)
    v.add(fmt::format(
        "Value '{}' at 'runtime' failed to satisfy constraint: Member must satisfy enum value "
        "set: [{}] (the runtimes the fx emulator runs)",
        shown(c.runtime), fmt::join(runtimes::runtime_ids(), ", ")));
  if (!c.interpreter.empty()) {
    v.max_length("fxInterpreter", c.interpreter, 4096);
    if (family && family->custom())
      v.add(fmt::format("FxInterpreter is set but {} runs the bundle's own bootstrap",
                        shown(c.runtime)));
    else if (c.interpreter.front() != '/' || c.interpreter.find('\0') != std::string::npos)
      v.add(
          fmt::format("Value '{}' at 'fxInterpreter' failed to satisfy constraint: Member must "
                      "be an absolute path",
                      shown(c.interpreter)));
  }
  v.range("memorySize", c.memory_size, 128, 10240);
  v.range("timeout", c.timeout, 1, 900);
  v.range("ephemeralStorage.size", c.ephemeral_storage_mb, 512, 10240);
  v.max_length("handler", c.handler, 128);
  for (char ch : c.handler)
    if (std::isspace(static_cast<unsigned char>(ch))) {
      v.add(
          fmt::format("Value '{}' at 'handler' failed to satisfy constraint: Member must "
                      "satisfy regular expression pattern: [^\\s]+",
                      shown(c.handler)));
      break;
    }
  v.max_length("description", c.description, 256);
  if (!valid_role(c.role))
    v.add(
        fmt::format("Value '{}' at 'role' failed to satisfy constraint: Member must satisfy "
                    "regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{{12}}:role/?"
                    "[a-zA-Z_0-9+=,.@\\-_/]+",
                    shown(c.role)));
  if (c.architectures.size() != 1)
    v.add(
        fmt::format("Value '[{}]' at 'architectures' failed to satisfy constraint: Member must "
                    "have length less than or equal to 1, and at least 1",
                    fmt::join(c.architectures, ", ")));
  else if (c.architectures[0] != "x86_64" && c.architectures[0] != "arm64")
    v.add(
        fmt::format("Value '[{}]' at 'architectures' failed to satisfy constraint: Member must "
                    "satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]",
                    shown(c.architectures[0])));
  for (const auto& arn : c.layers)
    if (!valid_layer_arn(arn))
      v.add(
          fmt::format("Value '{}' at 'layers' failed to satisfy constraint: Member must satisfy "
                      "regular expression pattern: arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:"
                      "\\d{{12}}:layer:[a-zA-Z0-9-_]+:[0-9]+",
                      shown(arn)));
  check_environment(c.environment, v);
  v.check();
  if (c.layers.size() > 5) throw invalid_value("Cannot reference more than 5 layers.");
  if (c.handler.empty() && !family->custom())
    throw invalid_value(fmt::format("Handler is required for the {} runtime", c.runtime));
}

// A Tags object as CreateFunction and TagResource take it, against Lambda's tag rules.
std::map<std::string, std::string> checked_tags(const std::map<std::string, std::string>& tags) {
  if (tags.size() > 50)
    throw invalid_value(fmt::format("A resource can have at most 50 tags; got {}", tags.size()));
  for (const auto& [key, value] : tags) {
    if (key.empty() || key.size() > 128 || key.starts_with("aws:"))
      throw invalid_value(fmt::format(
          "Invalid tag key '{}': a key has 1 to 128 characters and does not start with aws:",
          shown(key)));
    if (value.size() > 256)
      throw invalid_value(
          fmt::format("The value of tag '{}' is longer than 256 characters", shown(key)));
  }
  return tags;
}

}  // namespace

lambda::FunctionRef checked_function_ref(std::string_view text) {
  auto ref = lambda::parse_function_ref(text);
  if (!ref || ref->name.size() > 64)
    throw ApiError(
        400, "ValidationException",
        fmt::format("1 validation error detected: Value '{}' at 'functionName' failed to "
                    "satisfy constraint: Member must satisfy regular expression pattern: "
                    "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{{2}}(-gov)?-[a-z]+-\\d{{1}}:)?"
                    "(\\d{{12}}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?",
                    shown(text)));
  return *ref;
}

namespace {

bool all_digits(std::string_view text) {
  for (char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

bool all_lower(std::string_view text) {
  for (char c : text)
    if (c < 'a' || c > 'z') return false;
  return true;
}

// Lambda's pattern for an event source's ARN:
// arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)
bool valid_source_arn(std::string_view arn) {
  auto next = [&arn]() -> std::optional<std::string_view> {
    auto colon = arn.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    auto part = arn.substr(0, colon);
    arn.remove_prefix(colon + 1);
    return part;
  };
  auto word = [](std::string_view s) {
    for (char c : s)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    return true;
  };
  auto prefix = next(), partition = next(), service = next(), region = next(), account = next();
  if (!account || *prefix != "arn" || !partition->starts_with("aws") ||
      !word(partition->substr(3)) || service->empty() || !word(*service))
    return false;
  if (!region->empty()) {
    // [a-z]{2}(-gov)?-[a-z]+-\d
    std::string_view r = *region;
    if (r.size() < 6 || !all_lower(r.substr(0, 2)) || r[2] != '-') return false;
    r.remove_prefix(3);
    if (r.starts_with("gov-")) r.remove_prefix(4);
    auto dash = r.rfind('-');
    if (dash == std::string_view::npos || dash == 0 || r.size() != dash + 2 ||
        !all_lower(r.substr(0, dash)) || !std::isdigit(static_cast<unsigned char>(r.back())))
      return false;
  }
  return account->empty() || (account->size() == 12 && all_digits(*account));
}

}  // namespace

ListMappingsQuery checked_list_mappings_query(const std::optional<std::string>& function,
                                              const std::optional<std::string>& source_arn,
                                              const std::optional<std::string>& marker,
                                              const std::optional<std::string>& max_items) {
  ListMappingsQuery q;
  Violations violations;
  if (max_items) {
    const std::string& text = *max_items;
    const std::string_view magnitude =
        text.starts_with('-') ? std::string_view(text).substr(1) : std::string_view(text);
    const bool digits = !magnitude.empty() && magnitude.size() <= 18 && all_digits(magnitude);
    if (!digits)
      // Lambda documents no wording for a MaxItems that is not a number: said in its form.
      violations.add(fmt::format(
          "Value '{}' at 'maxItems' failed to satisfy constraint: Member must be a whole number",
          shown(text)));
    else {
      const long long n = std::stoll(text);
      violations.range("maxItems", n, 1, 10000);
      q.max_items = static_cast<int>(std::clamp<long long>(n, 1, 10000));
    }
  }
  if (source_arn) {
    if (!valid_source_arn(*source_arn))
      violations.add(fmt::format(
          "Value '{}' at 'eventSourceArn' failed to satisfy constraint: Member must satisfy "
          "regular expression pattern: "
          "arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{{2}}(-gov)?-[a-z]+-\\d{{1}})?:"
          "(\\d{{12}})?:(.*)",
          shown(*source_arn)));
    q.source_arn = *source_arn;
  }
  violations.check();
  if (function) q.function = checked_function_ref(*function).name;
  if (marker) q.marker = *marker;
  return q;
}

lambda::ApiError request_too_large(std::size_t limit, std::string_view operation) {
  return ApiError(
      413,
      operation == "InvokeFunction" ? "RequestTooLargeException" : "RequestEntityTooLargeException",
      fmt::format("Request must be smaller than {} bytes for the {} operation", limit, operation));
}

CreateFunctionRequest parse_create_function(std::string_view body) {
  if (body.size() > kMaxCreateFunctionRequestBytes)
    throw request_too_large(kMaxCreateFunctionRequestBytes, "CreateFunction");
  json doc = parse_object(body);
  CreateFunctionRequest req;
  auto name = opt_string(doc, "FunctionName");
  if (!name)
    throw ApiError(400, "ValidationException",
                   "1 validation error detected: Value null at 'functionName' failed to satisfy "
                   "constraint: Member must not be null");
  checked_function_ref(*name);
  req.function_name = *name;
  req.config = read_config_fields(doc);
  if (auto type = opt_string(doc, "PackageType"); type && *type != "Zip")
    throw invalid_value(
        *type == "Image"
            ? "The fx emulator runs zip functions; container images are not "
              "supported"
            : fmt::format("Value '{}' at 'packageType' is not Zip or Image", shown(*type)));
  const json* code = opt_object(doc, "Code");
  if (!code)
    throw ApiError(400, "ValidationException",
                   "1 validation error detected: Value null at 'code' failed to satisfy "
                   "constraint: Member must not be null");
  auto zip = opt_string(*code, "ZipFile");
  if (!zip) {
    if (field(*code, "S3Bucket") || field(*code, "ImageUri"))
      throw invalid_value(
          "The fx emulator takes code as Code.ZipFile; S3 locations and images are not "
          "supported");
    throw invalid_value("Please provide a source for function code.");
  }
  req.zip_file = decode_zip(*zip, "Code.ZipFile");
  if (req.zip_file.size() > kMaxZippedCodeBytes)
    throw ApiError(413, "RequestEntityTooLargeException",
                   fmt::format("Zipped size must be smaller than {} bytes", kMaxZippedCodeBytes));
  if (auto tags = opt_string_map(doc, "Tags")) req.tags = checked_tags(*tags);
  req.publish = opt_bool(doc, "Publish").value_or(false);
  return req;
}

ConfigFields parse_update_configuration(std::string_view body) {
  if (body.size() > kMaxControlRequestBytes)
    throw request_too_large(kMaxControlRequestBytes, "UpdateFunctionConfiguration");
  return read_config_fields(parse_object(body));
}

std::string parse_update_code(std::string_view body, bool* publish) {
  if (body.size() > kMaxUpdateCodeRequestBytes)
    throw request_too_large(kMaxUpdateCodeRequestBytes, "UpdateFunctionCode");
  json doc = parse_object(body);
  auto zip = opt_string(doc, "ZipFile");
  if (!zip) {
    if (field(doc, "S3Bucket") || field(doc, "ImageUri"))
      throw invalid_value(
          "The fx emulator takes code as ZipFile; S3 locations and images are not supported");
    throw invalid_value("Please provide a source for function code.");
  }
  auto publish_flag = opt_bool(doc, "Publish");
  if (publish) *publish = publish_flag.value_or(false);
  opt_bool(doc, "DryRun");
  std::string bytes = decode_zip(*zip, "ZipFile");
  if (bytes.size() > kMaxZippedCodeBytes)
    throw ApiError(413, "RequestEntityTooLargeException",
                   fmt::format("Zipped size must be smaller than {} bytes", kMaxZippedCodeBytes));
  return bytes;
}

PublishLayerVersionRequest parse_publish_layer_version(std::string_view body) {
  if (body.size() > kMaxCreateFunctionRequestBytes)
    throw request_too_large(kMaxCreateFunctionRequestBytes, "PublishLayerVersion");
  json doc = parse_object(body);
  PublishLayerVersionRequest req;
  const json* content = opt_object(doc, "Content");
  if (!content)
    throw ApiError(400, "ValidationException",
                   "1 validation error detected: Value null at 'content' failed to satisfy "
                   "constraint: Member must not be null");
  auto zip = opt_string(*content, "ZipFile");
  if (!zip) throw invalid_value("The fx emulator takes layer code as Content.ZipFile");
  req.zip_file = decode_zip(*zip, "Content.ZipFile");
  if (req.zip_file.size() > kMaxZippedCodeBytes)
    throw ApiError(413, "RequestEntityTooLargeException",
                   fmt::format("Zipped size must be smaller than {} bytes", kMaxZippedCodeBytes));
  req.description = opt_string(doc, "Description").value_or("");
  if (req.description.size() > 256) {
    Violations v;
    v.max_length("description", req.description, 256);
    v.check();
  }
  req.compatible_runtimes =
      opt_string_list(doc, "CompatibleRuntimes").value_or(std::vector<std::string>{});
  if (req.compatible_runtimes.size() > 15)
    throw ApiError(400, "ValidationException",
                   "1 validation error detected: Value at 'compatibleRuntimes' failed to satisfy "
                   "constraint: Member must have length less than or equal to 15");
  opt_string_list(doc, "CompatibleArchitectures");
  opt_string(doc, "LicenseInfo");
  return req;
}

int parse_put_concurrency(std::string_view body) {
  if (body.size() > kMaxControlRequestBytes)
    throw request_too_large(kMaxControlRequestBytes, "PutFunctionConcurrency");
  json doc = parse_object(body);
  auto n = opt_integer(doc, "ReservedConcurrentExecutions");
  if (!n)
    throw ApiError(400, "ValidationException",
                   "1 validation error detected: Value null at 'reservedConcurrentExecutions' "
                   "failed to satisfy constraint: Member must not be null");
  Violations v;
  v.range("reservedConcurrentExecutions", *n, 0, std::numeric_limits<int>::max());
  v.check();
  return static_cast<int>(*n);
}

std::map<std::string, std::string> parse_tag_resource(std::string_view body) {
  if (body.size() > kMaxControlRequestBytes)
    throw request_too_large(kMaxControlRequestBytes, "TagResource");
  json doc = parse_object(body);
  auto tags = opt_string_map(doc, "Tags");
  if (!tags)
    throw ApiError(400, "ValidationException",
                   "1 validation error detected: Value null at 'tags' failed to satisfy "
                   "constraint: Member must not be null");
  return checked_tags(*tags);
}

void apply_config(lambda::FunctionConfiguration& c, const ConfigFields& f) {
  if (f.runtime) c.runtime = *f.runtime;
  if (f.interpreter) c.interpreter = *f.interpreter;
  if (f.handler) c.handler = *f.handler;
  if (f.role) c.role = *f.role;
  if (f.description) c.description = *f.description;
  if (f.timeout) c.timeout = *f.timeout;
  if (f.memory_size) c.memory_size = *f.memory_size;
  if (f.ephemeral_storage_mb) c.ephemeral_storage_mb = *f.ephemeral_storage_mb;
  if (f.architectures) c.architectures = *f.architectures;
  if (f.layers) c.layers = *f.layers;
  if (f.environment) c.environment = *f.environment;
  check_config(c);
}

}  // namespace fx::emulator
