// `fx secrets set|get|list|rm`: the emulator's SSM parameters (and Secrets Manager secrets) for
// people who would rather not type the AWS CLI. Locally they work on the store in FX_HOME, the
// one the emulator serves, whether or not it is running (SQLite lets both use it at once),
// through the same API code the emulator runs, so they answer exactly as `aws ssm` would; with
// --target URL (or custom.fx.target) on a shared emulator's, through its API.
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/secrets_reads.h"
#include "core/emulator/emulator.h"
#include "core/secrets/api.h"
#include "core/secrets/store.h"
#include "core/util/error.h"
#include "core/util/http_client.h"

namespace fx::cli {

namespace {

using nlohmann::json;

// The endpoint `aws --endpoint-url` should use in hints: the running emulator's, or the default.
std::string endpoint_url() {
  auto info = emulator::running_emulator(emulator::fx_home());
  return info ? info->url : fmt::format("http://127.0.0.1:{}", emulator::kDefaultPort);
}

// Where the parameters live: the store in FX_HOME (the local emulator's, whether or not it
// runs), or a remote fx emulator's, reached through its SSM and Secrets Manager APIs with its
// token (FX_TOKEN). `target` is the X-Amz-Target ("AmazonSSM.GetParameter").
using SecretsApi = std::function<secrets::ApiResult(
    const std::string& target, const std::string& body, const std::string& region)>;

SecretsApi local_api(std::shared_ptr<secrets::Store> store) {
  return [store](const std::string& target, const std::string& body, const std::string& region) {
    return secrets::is_ssm_target(target)
               ? secrets::handle_ssm(*store, target, body, region)
               : secrets::handle_secretsmanager(*store, target, body, region);
  };
}

SecretsApi remote_api(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return [url](const std::string& target, const std::string& body, const std::string&) {
    std::vector<std::pair<std::string, std::string>> headers{
        {"X-Amz-Target", target}, {"Content-Type", "application/x-amz-json-1.1"}};
    if (const char* token = std::getenv("FX_TOKEN"); token && *token)
      headers.emplace_back("X-Fx-Token", token);
    util::HttpClient client;
    util::HttpResult answer;
    try {
      answer = client.request("POST", url + "/", headers, body, 30'000);
    } catch (const Error& e) {
      throw Error(fmt::format("the emulator at {} did not answer: {}", url, e.what()),
                  "check the URL, and that it runs (fx emulator status --target URL)");
    }
    if (answer.status == 401)
      throw Error(fmt::format("the emulator at {} refused fx's token", url),
                  "set FX_TOKEN to the token in that emulator's FX_HOME/token");
    return secrets::ApiResult{static_cast<int>(answer.status), std::move(answer.body)};
  };
}

// One call of `service` ("ssm" or "secretsmanager"): the answer, or nullopt for `absent` (the
// error code that means "no such thing"); any other error is an fx::Error.
std::optional<json> call(const SecretsApi& api, const std::string& service, const char* op,
                         const json& body, const std::string& region,
                         const char* absent = nullptr) {
  auto result = api(std::string(service == "ssm" ? "AmazonSSM." : "secretsmanager.") + op,
                    body.dump(), region);
  json answer = json::parse(result.body, nullptr, false);
  if (result.status == 200) return answer;
  std::string type = answer.is_object() ? answer.value("__type", "") : "";
  if (auto hash = type.rfind('#'); hash != std::string::npos) type.erase(0, hash + 1);
  if (absent && type == absent) return std::nullopt;
  throw Error(fmt::format("{}: {}", type.empty() ? "error" : type,
                          answer.is_object() ? answer.value("message", result.body) : result.body));
}

std::string region_of(const GlobalOptions& g) {
  return g.region.empty() ? "us-east-1" : g.region;
}

// A parameter's type and value as ${ssm:} reads it, or nullopt when there is none.
std::optional<std::pair<std::string, std::string>> read_parameter(const SecretsApi& api,
                                                                  const std::string& region,
                                                                  const std::string& name,
                                                                  bool decrypt) {
  auto answer = call(api, "ssm", "GetParameter", {{"Name", name}, {"WithDecryption", decrypt}},
                     region, "ParameterNotFound");
  if (!answer) return std::nullopt;
  const auto& p = (*answer)["Parameter"];
  return std::pair{p.value("Type", std::string("String")), p.value("Value", std::string())};
}

}  // namespace

void add_local_parameter_reads(manifest::AwsVariableReads& reads) {
  auto store = std::make_shared<SecretsApi>();
  reads.local_parameter = [store](
                              const std::string& region, const std::string& name,
                              bool decrypt) -> std::optional<std::pair<std::string, std::string>> {
    const auto home = emulator::fx_home();
    // Nothing stored yet: no need to make a store (and its key) only to find it empty.
    if (!std::filesystem::exists(home / "secrets.db")) return std::nullopt;
    if (!*store) *store = local_api(std::make_shared<secrets::Store>(home));
    return read_parameter(*store, region, name, decrypt);
  };
  reads.emulator_parameter = [](const std::string& url, const std::string& name, bool decrypt) {
    return read_parameter(remote_api(url), "", name, decrypt);
  };
  reads.local_hint = [](const std::string& name, const std::string& url) {
    const std::string endpoint = url.empty() ? endpoint_url() : url;
    const std::string target = url.empty() ? "" : " --target " + url;
    if (name.starts_with("/aws/reference/secretsmanager/"))
      return fmt::format(
          "create the secret: aws secretsmanager create-secret --endpoint-url {} --name {} "
          "--secret-string VALUE",
          endpoint, name.substr(30));
    return fmt::format(
        "set it: fx secrets set {} VALUE [--secure]{}, or aws ssm put-parameter --endpoint-url {} "
        "--name {} --value VALUE --type SecureString",
        name, target, endpoint, name);
  };
}

int run_secrets(const GlobalOptions& g, const SecretsOptions& o) {
  // --target only: the manifest is not read, since the point may be to set the very parameter
  // a ${ssm:} of it lacks (and the manifest would not load without it).
  const std::string& target = g.target;
  if (target == "aws")
    throw usage_error("fx secrets works on fx emulators; on AWS use the AWS CLI",
                      "aws ssm put-parameter --name NAME --value VALUE --type SecureString");
  const bool remote = target.starts_with("http://") || target.starts_with("https://");
  if (!remote && !target.empty() && target != "local")
    throw usage_error(fmt::format("unknown target '{}'", target),
                      "give local, aws or an emulator's URL (http://HOST:PORT)");
  const SecretsApi store = remote
                               ? remote_api(target)
                               : local_api(std::make_shared<secrets::Store>(emulator::fx_home()));
  const std::string where_text =
      remote ? "on the emulator at " + target : "in the emulator's store";
  const std::string target_flag = remote ? " --target " + target : "";
  const std::string region = region_of(g);
  auto s = style_for(g, 1);
  if (o.action == "set") {
    std::string type = o.type.empty() ? (o.secure ? "SecureString" : "String") : o.type;
    if (o.secure && type != "SecureString")
      throw usage_error(fmt::format("--secure and --type {} say different things", type),
                        "give one of them");
    json body = {{"Name", o.name}, {"Value", o.value}, {"Type", type}, {"Overwrite", true}};
    if (!o.description.empty()) body["Description"] = o.description;
    auto answer = *call(store, "ssm", "PutParameter", body, region);
    const auto version = answer.value("Version", 0);
    if (g.json)
      fmt::print("{}\n", json{{"name", o.name}, {"type", type}, {"version", version}}.dump());
    else if (!g.quiet)
      fmt::print("{} {} ({}, version {})\n", s.green("set"), o.name, type, version);
    return 0;
  }
  if (o.action == "get") {
    auto answer = call(store, "ssm", "GetParameter", {{"Name", o.name}, {"WithDecryption", true}},
                       region, "ParameterNotFound");
    if (!answer)
      throw Error(fmt::format("there is no parameter {} {}", o.name, where_text),
                  fmt::format("set it: fx secrets set {} VALUE{}", o.name, target_flag));
    const auto& p = (*answer)["Parameter"];
    // The one place fx prints a secret whole: the user asked for exactly this value.
    if (g.json)
      fmt::print("{}\n", json{{"name", p["Name"]},
                              {"type", p["Type"]},
                              {"value", p["Value"]},
                              {"version", p["Version"]}}
                             .dump());
    else
      fmt::print("{}\n", p.value("Value", ""));
    return 0;
  }
  if (o.action == "list") {
    json rows = json::array();
    std::string token;
    do {
      json body = {{"MaxResults", 50}};
      if (!o.name.empty())
        body["ParameterFilters"] = json::array(
            {{{"Key", "Path"}, {"Option", "Recursive"}, {"Values", json::array({o.name})}}});
      if (!token.empty()) body["NextToken"] = token;
      auto page = *call(store, "ssm", "DescribeParameters", body, region);
      for (const auto& p : page["Parameters"])
        rows.push_back({{"name", p["Name"]},
                        {"kind", "parameter"},
                        {"type", p["Type"]},
                        {"version", p["Version"]}});
      token = page.value("NextToken", "");
    } while (!token.empty());
    if (o.name.empty()) {
      do {
        json body = {{"MaxResults", 100}};
        if (!token.empty()) body["NextToken"] = token;
        auto page = *call(store, "secretsmanager", "ListSecrets", body, region);
        for (const auto& x : page["SecretList"])
          rows.push_back({{"name", x["Name"]}, {"kind", "secret"}, {"arn", x["ARN"]}});
        token = page.value("NextToken", "");
      } while (!token.empty());
    }
    // Names and types only: values stay in the store (fx secrets get prints one).
    if (g.json) {
      fmt::print("{}\n", rows.dump());
      return 0;
    }
    if (rows.empty() && !g.quiet) fmt::print("no parameters or secrets\n");
    for (const auto& r : rows)
      fmt::print("{}  {}\n", r["name"].get<std::string>(),
                 s.dim(r["kind"] == "secret" ? std::string("secret")
                                             : fmt::format("{} v{}", r["type"].get<std::string>(),
                                                           r["version"].get<std::int64_t>())));
    return 0;
  }
  if (o.action == "rm") {
    if (!call(store, "ssm", "DeleteParameter", {{"Name", o.name}}, region, "ParameterNotFound") &&
        !call(store, "secretsmanager", "DeleteSecret",
              {{"SecretId", o.name}, {"ForceDeleteWithoutRecovery", true}}, region,
              "ResourceNotFoundException"))
      throw Error(fmt::format("there is no parameter or secret {} {}", o.name, where_text),
                  fmt::format("fx secrets list{} shows what there is", target_flag));
    if (!g.quiet && !g.json) fmt::print("{} {}\n", s.green("deleted"), o.name);
    return 0;
  }
  throw usage_error("fx secrets: expected set, get, list or rm");
}

}  // namespace fx::cli
