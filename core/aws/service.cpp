// Credentials, region and endpoints are found the way the AWS CLI finds them, so a machine
// set up for `aws` works for `fx --target aws` with nothing more to configure. Only static
// keys (with an optional session token) are read: SSO, assumed roles and credential_process
// are left to `aws configure export-credentials`, which the error for them suggests.
#include "core/aws/service.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/util/http_client.h"
#include "core/util/text.h"

namespace fx::aws {

namespace {

using json = nlohmann::json;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

using util::ascii_lower;
using util::trim;
using util::xml_unescape;

// --- the shared credentials and config files --------------------------------------------

struct IniFile {
  std::string path;     // as found (for messages)
  std::string display;  // with $HOME shown as ~
  bool exists = false;
  // section -> key -> value, sections in file order (for listing profiles).
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> sections;

  const std::map<std::string, std::string>* section(const std::string& name) const {
    for (const auto& [n, kv] : sections)
      if (n == name) return &kv;
    return nullptr;
  }
};

std::string expand_home(std::string path) {
  if (path.starts_with("~/")) path = env("HOME") + path.substr(1);
  return path;
}

std::string display_path(const std::string& path) {
  std::string home = env("HOME");
  if (!home.empty() && path.starts_with(home + "/")) return "~" + path.substr(home.size());
  return path;
}

// The subset of INI that botocore's parser reads: [section], key = value, full-line # and ;
// comments, option names case-insensitive. Indented lines continue the previous key (nested
// settings such as `s3 =\n  max_concurrent_requests = 20`), which fx does not need.
IniFile read_ini(const std::string& path) {
  IniFile ini;
  ini.path = path;
  ini.display = display_path(path);
  std::ifstream in(path);
  if (!in) return ini;
  ini.exists = true;
  std::map<std::string, std::string>* current = nullptr;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    bool indented = !line.empty() && std::isspace(static_cast<unsigned char>(line.front()));
    std::string t = trim(line);
    if (t.empty() || t.front() == '#' || t.front() == ';') continue;
    if (t.front() == '[' && t.back() == ']') {
      std::string name = trim(t.substr(1, t.size() - 2));
      auto it = std::find_if(ini.sections.begin(), ini.sections.end(),
                             [&](const auto& s) { return s.first == name; });
      if (it == ini.sections.end()) {
        ini.sections.emplace_back(name, std::map<std::string, std::string>{});
        current = &ini.sections.back().second;
      } else {
        current = &it->second;
      }
      continue;
    }
    if (!current || indented) continue;
    auto eq = t.find_first_of("=:");
    if (eq == std::string::npos) continue;
    (*current)[ascii_lower(trim(t.substr(0, eq)))] = trim(t.substr(eq + 1));
  }
  return ini;
}

struct ProfileFiles {
  IniFile credentials;
  IniFile config;

  const std::map<std::string, std::string>* credentials_section(const std::string& p) const {
    return credentials.section(p);
  }
  const std::map<std::string, std::string>* config_section(const std::string& p) const {
    if (auto* s = config.section("profile " + p)) return s;
    return p == "default" ? config.section("default") : nullptr;
  }
  bool has(const std::string& p) const { return credentials_section(p) || config_section(p); }

  std::vector<std::string> profile_names() const {
    std::vector<std::string> names;
    auto add = [&](const std::string& n) {
      if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    };
    for (const auto& [n, kv] : credentials.sections) add(n);
    for (const auto& [n, kv] : config.sections) {
      if (n == "default") add(n);
      if (n.starts_with("profile ")) add(trim(n.substr(8)));
    }
    return names;
  }

  // The credentials file wins over the config file, key by key, as in botocore.
  std::string value(const std::string& p, const std::string& key) const {
    for (auto* s : {credentials_section(p), config_section(p)})
      if (s)
        if (auto it = s->find(key); it != s->end() && !it->second.empty()) return it->second;
    return {};
  }
  std::string where(const std::string& p, const std::string& key) const {
    if (auto* s = credentials_section(p); s && s->count(key)) return credentials.display;
    return config.display;
  }
};

ProfileFiles read_profile_files() {
  std::string home = env("HOME");
  std::string credentials = env("AWS_SHARED_CREDENTIALS_FILE");
  if (credentials.empty()) credentials = home + "/.aws/credentials";
  std::string config = env("AWS_CONFIG_FILE");
  if (config.empty()) config = home + "/.aws/config";
  return {read_ini(expand_home(credentials)), read_ini(expand_home(config))};
}

std::string looked_in(const ProfileFiles& files) {
  return fmt::format("{} and {}", files.credentials.display, files.config.display);
}

AwsCredentials credentials_from_env() {
  AwsCredentials c;
  c.access_key_id = env("AWS_ACCESS_KEY_ID");
  c.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
  if (c.access_key_id.empty() && c.secret_access_key.empty()) return c;
  if (c.secret_access_key.empty())
    throw Error("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
                "set both (and AWS_SESSION_TOKEN for temporary credentials), or unset "
                "AWS_ACCESS_KEY_ID to use a profile from ~/.aws/credentials");
  if (c.access_key_id.empty())
    throw Error("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not",
                "set both (and AWS_SESSION_TOKEN for temporary credentials), or unset "
                "AWS_SECRET_ACCESS_KEY to use a profile from ~/.aws/credentials");
  c.session_token = env("AWS_SESSION_TOKEN");
  if (c.session_token.empty()) c.session_token = env("AWS_SECURITY_TOKEN");  // older SDKs
  c.source = "environment";
  return c;
}

AwsCredentials credentials_from_profile(const ProfileFiles& files, const std::string& profile) {
  AwsCredentials c;
  c.access_key_id = files.value(profile, "aws_access_key_id");
  c.secret_access_key = files.value(profile, "aws_secret_access_key");
  c.session_token = files.value(profile, "aws_session_token");
  if (c.session_token.empty()) c.session_token = files.value(profile, "aws_security_token");
  if (c.access_key_id.empty() && c.secret_access_key.empty()) {
    for (const char* key : {"sso_session", "sso_start_url", "role_arn", "credential_process",
                            "web_identity_token_file", "login_session"})
      if (!files.value(profile, key).empty())
        throw Error(
            fmt::format("AWS profile '{}' gets its credentials through {}, which fx does not "
                        "resolve itself",
                        profile, key),
            fmt::format("export them for fx with `eval \"$(aws configure export-credentials "
                        "--profile {} --format env)\"`",
                        profile));
    throw Error(fmt::format("AWS profile '{}' has no aws_access_key_id", profile),
                fmt::format("add aws_access_key_id and aws_secret_access_key to [{}] in {} "
                            "(`aws configure --profile {}` does it)",
                            profile, files.credentials.display, profile));
  }
  auto missing = [&](const char* key) {
    return Error(fmt::format("AWS profile '{}' has {} but no {}", profile,
                             std::string_view(key) == "aws_access_key_id" ? "aws_secret_access_key"
                                                                          : "aws_access_key_id",
                             key),
                 fmt::format("add {} to [{}] in {}", key, profile,
                             files.where(profile, std::string_view(key) == "aws_access_key_id"
                                                      ? "aws_secret_access_key"
                                                      : "aws_access_key_id")));
  };
  if (c.access_key_id.empty()) throw missing("aws_access_key_id");
  if (c.secret_access_key.empty()) throw missing("aws_secret_access_key");
  c.source = fmt::format("profile {} ({})", profile, files.where(profile, "aws_access_key_id"));
  return c;
}

// --- errors ------------------------------------------------------------------------------

struct ServiceError {
  std::string code;
  std::string message;
};

std::string xml_element(std::string_view xml, std::string_view name) {
  std::string open = fmt::format("<{}>", name), close = fmt::format("</{}>", name);
  auto a = xml.find(open);
  if (a == std::string_view::npos) return {};
  a += open.size();
  auto b = xml.find(close, a);
  if (b == std::string_view::npos) return {};
  return trim(xml_unescape(xml.substr(a, b - a)));
}

// The three shapes AWS answers errors in: REST-JSON (Lambda: x-amzn-ErrorType and a JSON
// body), JSON 1.0/1.1 (CloudWatch Logs: "__type": "namespace#Code") and query/XML (IAM:
// <ErrorResponse><Error><Code>).
ServiceError parse_service_error(const util::HttpResult& r) {
  ServiceError e;
  std::string type = r.header("x-amzn-ErrorType");
  e.code = type.substr(0, type.find(':'));
  json body = json::parse(r.body, nullptr, false);
  if (body.is_object()) {
    for (const char* key : {"message", "Message", "errorMessage"})
      if (body.contains(key) && body[key].is_string()) {
        e.message = body[key].get<std::string>();
        break;
      }
    for (const char* key : {"__type", "code", "Code"})
      if (e.code.empty() && body.contains(key) && body[key].is_string())
        e.code = body[key].get<std::string>();
  } else if (r.body.find("<Error>") != std::string::npos ||
             r.body.find("<Code>") != std::string::npos) {
    std::string_view xml = r.body;
    if (auto err = xml.find("<Error>"); err != std::string_view::npos) xml = xml.substr(err);
    if (e.code.empty()) e.code = xml_element(xml, "Code");
    e.message = xml_element(xml, "Message");
  }
  if (auto hash = e.code.rfind('#'); hash != std::string::npos) e.code = e.code.substr(hash + 1);
  if (e.code.empty()) e.code = fmt::format("HTTP {}", r.status);
  if (e.message.empty()) e.message = trim(r.body.substr(0, 300));
  if (e.message.empty()) e.message = fmt::format("HTTP status {}", r.status);
  return e;
}

bool is_throttling(std::string_view code) {
  for (std::string_view c :
       {"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException",
        "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
        "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
        "EC2ThrottledException"})
    if (code == c) return true;
  return false;
}

bool is_retryable(long status, std::string_view code) {
  return status == 429 || status >= 500 || is_throttling(code) || code == "RequestTimeout" ||
         code == "RequestTimeoutException";
}

std::string hint_for(const ServiceError& e, long status, const AwsSettings& settings,
                     std::string_view service) {
  const std::string& code = e.code;
  const std::string& source = settings.credentials.source;
  if (code == "UnrecognizedClientException" || code == "InvalidClientTokenId" ||
      code == "InvalidAccessKeyId" || code == "AuthFailure")
    return fmt::format(
        "AWS does not know the access key {} (from {}): check AWS_ACCESS_KEY_ID or the "
        "profile's aws_access_key_id, and that temporary keys come with their session token",
        settings.credentials.access_key_id, source);
  if (code == "ExpiredToken" || code == "ExpiredTokenException" || code == "RequestExpired" ||
      code == "TokenRefreshRequired")
    return fmt::format(
        "the session credentials (from {}) have expired: refresh them (`aws sso login`, `aws "
        "sts get-session-token`, ...) and set AWS_SESSION_TOKEN and the keys again",
        source);
  if (code == "InvalidSignatureException" || code == "SignatureDoesNotMatch" ||
      code == "IncompleteSignature" || code == "RequestTimeTooSkewed")
    return fmt::format(
        "check the secret access key (from {}); if it is right, check this machine's clock "
        "(`date -u`): AWS rejects signatures more than 5 minutes off",
        source);
  if (code.starts_with("AccessDenied") || code == "UnauthorizedOperation" ||
      code == "NotAuthorized")
    return fmt::format(
        "the identity behind {} lacks an IAM permission for this {} call (AWS's message names "
        "the action): fx needs lambda:* on its functions, iam:GetRole, iam:CreateRole, "
        "iam:AttachRolePolicy and iam:PassRole for the execution role, events:* on its rules "
        "for schedules, sqs:GetQueueUrl and sqs:GetQueueAttributes for queues named by name, "
        "logs:FilterLogEvents for fx logs",
        source, service);
  if (code == "MissingAuthenticationToken" || code == "MissingAuthenticationTokenException")
    return fmt::format(
        "the endpoint {} did not accept the signed request: check "
        "AWS_ENDPOINT_URL and the region",
        service);
  if (is_throttling(code) || status == 429)
    return "AWS kept throttling the calls: wait a little and try again";
  if (status >= 500) return "AWS had an internal error on every attempt: try again later";
  return {};
}

// Full jitter (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/):
// clients retrying together spread out instead of hitting the service in waves.
std::chrono::milliseconds backoff(int attempt) {
  constexpr long base_ms = 100, cap_ms = 20'000;
  long ceiling = std::min(cap_ms, base_ms << std::min(attempt - 1, 20));
  thread_local std::mt19937 rng{std::random_device{}()};
  return std::chrono::milliseconds(std::uniform_int_distribution<long>(0, ceiling)(rng));
}

// AWS_ENDPOINT_URL_<id>: botocore's service id, upper-cased, spaces and dashes as "_".
std::vector<std::string> endpoint_env_names(std::string_view service) {
  std::string id = service == "logs"     ? "CLOUDWATCH_LOGS"
                   : service == "events" ? "EVENTBRIDGE"
                                         : std::string(service);
  for (auto& c : id) c = (c == ' ' || c == '-') ? '_' : static_cast<char>(std::toupper(c));
  std::vector<std::string> names{"AWS_ENDPOINT_URL_" + id};
  if (service == "logs") names.push_back("AWS_ENDPOINT_URL_LOGS");
  names.push_back("AWS_ENDPOINT_URL");
  return names;
}

bool env_true(const char* name) {
  std::string v = ascii_lower(env(name));
  return v == "true" || v == "1";
}

}  // namespace

AwsSettings resolve_aws_settings(const std::string& profile_flag,
                                 const std::string& region_override,
                                 const std::string& region_fallback) {
  AwsSettings settings;
  std::string profile = profile_flag.empty() ? env("AWS_PROFILE") : profile_flag;
  bool profile_named = !profile.empty();
  if (profile.empty()) profile = "default";
  ProfileFiles files = read_profile_files();

  // As with `aws --profile`, an explicit --profile wins over keys in the environment.
  if (profile_flag.empty()) settings.credentials = credentials_from_env();
  if (settings.credentials.access_key_id.empty()) {
    if (!files.has(profile)) {
      if (profile_named) {
        auto names = files.profile_names();
        throw Error(fmt::format("AWS profile '{}' not found in {}", profile, looked_in(files)),
                    names.empty() ? fmt::format("no profiles there: create it with `aws configure "
                                                "--profile {}`",
                                                profile)
                                  : fmt::format("profiles found: {}", fmt::join(names, ", ")));
      }
      throw Error(
          "no AWS credentials found",
          fmt::format("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, run `aws configure`, or "
                      "pass --profile NAME (looked for [default] in {})",
                      looked_in(files)));
    }
    settings.credentials = credentials_from_profile(files, profile);
    settings.profile = profile;
  }

  settings.region = region_override;
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"})
    if (settings.region.empty()) settings.region = env(name);
  if (settings.region.empty()) settings.region = files.value(profile, "region");
  if (settings.region.empty()) settings.region = region_fallback;
  if (settings.region.empty())
    throw Error("no AWS region chosen",
                "pass --region, set AWS_REGION, add region to the profile in ~/.aws/config, or "
                "set provider.region in the manifest");
  return settings;
}

std::string aws_endpoint(std::string_view service, std::string_view region) {
  if (!env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
    for (const auto& name : endpoint_env_names(service)) {
      std::string url = trim(env(name.c_str()));
      while (url.ends_with('/')) url.pop_back();
      if (!url.empty()) return url;
    }
  }
  bool china = region.starts_with("cn-");
  std::string_view suffix = china ? "amazonaws.com.cn" : "amazonaws.com";
  if (service == "iam") {
    if (china) return "https://iam.cn-north-1.amazonaws.com.cn";
    if (region.starts_with("us-gov-")) return "https://iam.us-gov.amazonaws.com";
    return "https://iam.amazonaws.com";
  }
  return fmt::format("https://{}.{}.{}", service, region, suffix);
}

std::string signing_region(std::string_view service, std::string_view region) {
  if (service == "iam") {
    if (region.starts_with("cn-")) return "cn-north-1";
    if (region.starts_with("us-gov-")) return "us-gov-west-1";
    return "us-east-1";
  }
  return std::string(region);
}

AwsService::AwsService(AwsSettings settings, std::string service)
    : AwsService(settings, service, aws_endpoint(service, settings.region)) {}

AwsService::AwsService(AwsSettings settings, std::string service, std::string endpoint_url)
    : settings_(std::move(settings)),
      service_(std::move(service)),
      endpoint_(std::move(endpoint_url)),
      http_(std::make_unique<util::HttpClient>()) {
  while (endpoint_.ends_with('/')) endpoint_.pop_back();
}

AwsService::~AwsService() = default;

util::HttpResult AwsService::request(std::string_view method, const std::string& path_and_query,
                                     HeaderList headers, std::string_view body,
                                     const AwsCallOptions& options) {
  const std::string url = endpoint_ + path_and_query;
  const std::string region = signing_region(service_, settings_.region);
  // fx's own http:// client always sends "Host: HOST:PORT", even for port 80; the signature
  // must cover the Host the server receives. (libcurl, for https, sends what the URL says,
  // which is what sigv4 derives by itself.)
  std::string http_host;
  if (endpoint_.starts_with("http://")) {
    std::string_view authority = std::string_view(endpoint_).substr(7);
    authority = authority.substr(0, authority.find('/'));
    auto colon = authority.rfind(':');
    bool has_port = colon != std::string_view::npos && authority.find(']', colon) == authority.npos;
    std::string host(has_port ? authority.substr(0, colon) : authority);
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    http_host = host + ":" + std::string(has_port ? authority.substr(colon + 1) : "80");
  }

  const int attempts = std::max(1, options.max_attempts);
  std::string unreachable;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    if (attempt > 1) std::this_thread::sleep_for(backoff(attempt - 1));
    // Signed again on every attempt: a signature is only good for a few minutes.
    SigningInput input{std::string(method),
                       url,
                       headers,
                       body,
                       region,
                       service_,
                       std::chrono::system_clock::now()};
    if (!http_host.empty()) input.headers.emplace_back("Host", http_host);
    HeaderList signed_headers = sign_v4(std::move(input), settings_.credentials);
    std::erase_if(signed_headers, [](const auto& h) { return util::iequals(h.first, "Host"); });

    util::HttpResult result;
    auto started = std::chrono::steady_clock::now();
    try {
      result = http_->request(method, url, signed_headers, body, options.timeout_ms);
    } catch (const Error& e) {
      // A call that used up its timeout reached the service, which may still be working on
      // it (a long Invoke): sending it again would only multiply the wait. (The transport's
      // deadline rounds to milliseconds, hence "nearly all of it".)
      auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
      if (options.timeout_ms > 0 && spent.count() * 10 >= options.timeout_ms * 9)
        throw Error(fmt::format("the AWS {} call {} {} got no answer within {} ms ({})", service_,
                                method, path_and_query, options.timeout_ms, e.what()),
                    "check the network connection and the endpoint (AWS_ENDPOINT_URL)");
      unreachable = e.what();
      continue;
    }
    if (result.status < 400) return result;
    ServiceError error = parse_service_error(result);
    if (attempt < attempts && is_retryable(result.status, error.code)) continue;
    std::string hint = hint_for(error, result.status, settings_, service_);
    throw ApiError(static_cast<int>(result.status), error.code,
                   fmt::format("{}: {}", error.code, error.message), std::move(hint));
  }
  throw Error(
      fmt::format("cannot reach the AWS {} endpoint {} ({} attempts): {}", service_, endpoint_,
                  attempts, unreachable),
      fmt::format("check the network connection; to use another endpoint (moto, LocalStack) "
                  "set AWS_ENDPOINT_URL or {}",
                  endpoint_env_names(service_).front()));
}

}  // namespace fx::aws
