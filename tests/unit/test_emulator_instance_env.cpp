// What an instance is given to reach the emulator's services (credentials, endpoints, the SDK
// its runtime provides), tested without starting one: plan_instance is a pure function of its
// setup, and the SDK is installed from the host's real interpreter into a temporary folder.
#include <sys/stat.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/aws/api_error.h"
#include "core/aws/sigv4.h"
#include "core/emulator/emulator.h"
#include "core/emulator/instance_auth.h"
#include "core/emulator/instance_sandbox.h"
#include "core/emulator/pool.h"
#include "core/emulator/runtime_sdk.h"
#include "core/util/files.h"
#include "core/util/process.h"

namespace fs = std::filesystem;
using namespace fx::emulator;

namespace {

fs::path temp_dir() {
  auto dir = fs::temp_directory_path() / ("fx-env-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  return dir;
}

void remove_dir(const fs::path& dir) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_directory(ec)) fs::permissions(it->path(), fs::perms::owner_all, ec);
  fs::remove_all(dir, ec);
}

std::string value_of(const std::vector<std::string>& env, const std::string& name) {
  for (const auto& e : env)
    if (e.starts_with(name + "=")) return e.substr(name.size() + 1);
  return "<unset>";
}

std::size_t count_of(const std::vector<std::string>& env, const std::string& prefix) {
  return std::count_if(env.begin(), env.end(),
                       [&](const std::string& e) { return e.starts_with(prefix); });
}

struct Planned {
  FunctionSpec spec;
  InstanceServices services;
  InstanceSetup setup;
  Planned(std::string runtime, bool sandboxed) {
    spec.config.function_name = "svc-dev-fn";
    spec.config.handler = "app.handler";
    spec.config.runtime = std::move(runtime);
    spec.code_dir = "/fxhome/code/abc";
    spec.region = "eu-west-1";
    services.endpoint_url = "http://127.0.0.1:4599";
    services.credentials = {"ASIAAAAAAAAAAAAAAAAA", std::string(40, 's'), std::string(80, 't')};
    setup.spec = &spec;
    setup.command.argv = {"/usr/bin/python3", "-S", "/fxhome/runtimes/python/bootstrap.py"};
    setup.host_runtime_dir = "/fxhome/runtimes/python";
    setup.fx_shim = true;
    setup.services = &services;
    if (sandboxed) setup.sandbox_root = "/fxhome/run/root";
  }
};

}  // namespace

TEST_CASE("instance env: the emulator's credentials and an endpoint per served service",
          "[instance_env]") {
  for (bool sandboxed : {false, true}) {
    Planned p("python3.11", sandboxed);
    auto env = plan_instance(p.setup).options.env;
    CHECK(value_of(env, "AWS_ACCESS_KEY_ID") == "ASIAAAAAAAAAAAAAAAAA");
    CHECK(value_of(env, "AWS_SECRET_ACCESS_KEY") == std::string(40, 's'));
    CHECK(value_of(env, "AWS_SESSION_TOKEN") == std::string(80, 't'));
    CHECK(value_of(env, "AWS_REGION") == "eu-west-1");
    // Exactly the table's services: every other goes where the SDK would send it.
    CHECK(count_of(env, "AWS_ENDPOINT_URL") == served_services().size());
    for (auto service : served_services())
      CHECK(value_of(env, "AWS_ENDPOINT_URL_" + std::string(service)) == "http://127.0.0.1:4599");
    CHECK(value_of(env, "AWS_ENDPOINT_URL_SQS") == "http://127.0.0.1:4599");
    CHECK(value_of(env, "AWS_ENDPOINT_URL_LAMBDA") == "http://127.0.0.1:4599");
    CHECK(value_of(env, "AWS_ENDPOINT_URL") == "<unset>");
    // Unsandboxed, the instance runs as the user: its SDK must not read ~/.aws.
    CHECK(value_of(env, "AWS_CONFIG_FILE") == (sandboxed ? "<unset>" : "/dev/null"));
    CHECK(value_of(env, "AWS_SHARED_CREDENTIALS_FILE") == (sandboxed ? "<unset>" : "/dev/null"));
    CHECK(value_of(env, "AWS_PROFILE") == "<unset>");
    CHECK(value_of(env, "HOME") == "<unset>");
  }
}

TEST_CASE("instance env: the function's own variables win, no services means none",
          "[instance_env]") {
  Planned p("python3.11", false);
  p.spec.config.environment["AWS_ENDPOINT_URL_SQS"] = "http://elsewhere:1";
  auto env = plan_instance(p.setup).options.env;
  CHECK(value_of(env, "AWS_ENDPOINT_URL_SQS") == "http://elsewhere:1");
  CHECK(count_of(env, "AWS_ENDPOINT_URL_SQS=") == 1);
  p.setup.services = nullptr;
  env = plan_instance(p.setup).options.env;
  CHECK(count_of(env, "AWS_ACCESS_KEY_ID") == 0);
  CHECK(count_of(env, "AWS_ENDPOINT_URL_LAMBDA") == 0);
}

TEST_CASE("instance env: the SDK's folder follows the code and layers, where the sandbox shows it",
          "[instance_env]") {
  Planned p("python3.11", false);
  p.setup.sdk_dir = "/fxhome/sdk/python/3.11";
  auto argv = plan_instance(p.setup).options.argv;
  auto at = std::find(argv.begin(), argv.end(), "--sdk");
  REQUIRE(at != argv.end());
  CHECK(*(at + 1) == "/fxhome/sdk/python/3.11");

  Planned s("python3.11", true);
  s.setup.sdk_dir = "/fxhome/sdk/python/3.11";
  auto launch = plan_instance(s.setup);
  at = std::find(launch.options.argv.begin(), launch.options.argv.end(), "--sdk");
  REQUIRE(at != launch.options.argv.end());
  CHECK(*(at + 1) == "/var/runtime/sdk");
  auto mounts = launch.sandbox.read_only;
  CHECK(std::find(mounts.begin(), mounts.end(),
                  std::pair<fs::path, fs::path>{"/fxhome/sdk/python/3.11", "/var/runtime/sdk"}) !=
        mounts.end());

  // No SDK for a runtime that provides none, nor for a bundle's own bootstrap.
  Planned r("provided.al2023", false);
  r.setup.sdk_dir = "/fxhome/sdk/python/3.11";
  r.setup.fx_shim = false;
  argv = plan_instance(r.setup).options.argv;
  CHECK(std::find(argv.begin(), argv.end(), "--sdk") == argv.end());
}

TEST_CASE("instance env: the credentials are made once, kept 0600, remade when damaged",
          "[instance_env]") {
  auto home = temp_dir();
  auto first = instance_credentials(home);
  CHECK(first.access_key_id.starts_with("ASIA"));
  CHECK(first.access_key_id.size() == 20);
  CHECK(first.secret_access_key.size() == 40);
  CHECK(first.session_token.size() > 64);
  struct stat st {};
  REQUIRE(::stat((home / "instance-credentials").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto again = instance_credentials(home);
  CHECK(again.access_key_id == first.access_key_id);
  CHECK(again.secret_access_key == first.secret_access_key);
  CHECK(instance_credentials(temp_dir() / "other").access_key_id != first.access_key_id);
  std::ofstream(home / "instance-credentials") << "{\"AccessKeyId\": 7";
  auto remade = instance_credentials(home);
  CHECK(remade.access_key_id.size() == 20);
  CHECK(remade.access_key_id != first.access_key_id);
  remove_dir(home);
}

TEST_CASE(
    "runtime sdk: copied from the host's Python with what it requires, or says what is "
    "missing",
    "[instance_env]") {
  auto python = fx::util::which("python3");
  if (python.empty()) {
    WARN("no python3 on PATH");
    return;
  }
  auto root = temp_dir();
  std::atomic<bool> stop{false};
  // jmespath (one of boto3's, with no requirements of its own): quick to copy and compile.
  fx::runtimes::ProvidedSdk sdk{
      .name = "jmespath", .source = fx::runtimes::SdkSource::host_python, .packages = {"jmespath"}};
  auto got = install_runtime_sdk(sdk, root / "python/3", python, stop);
  if (got.status == RuntimeSdk::Status::failed &&
      got.problem.find("not installed") != std::string::npos) {
    WARN("the host's python3 has no jmespath");
    return;
  }
  REQUIRE(got.status == RuntimeSdk::Status::ready);
  CHECK(got.dir == root / "python/3");
  CHECK(fs::exists(got.dir / "jmespath" / "__init__.py"));
  CHECK(fx::util::read_file(got.dir / ".fx-sdk").starts_with("jmespath "));
  // Read-only for everyone: no instance may change what the others import.
  struct stat st {};
  REQUIRE(::stat((got.dir / "jmespath" / "__init__.py").c_str(), &st) == 0);
  CHECK((st.st_mode & 0222) == 0);
  // Installed: found again without running anything.
  CHECK(install_runtime_sdk(sdk, root / "python/3", "/nonexistent/python", stop).status ==
        RuntimeSdk::Status::ready);

  fx::runtimes::ProvidedSdk missing{.name = "nothing",
                                    .source = fx::runtimes::SdkSource::host_python,
                                    .packages = {"no-such-package-fx-test"}};
  auto failed = install_runtime_sdk(missing, root / "python/missing", python, stop);
  CHECK(failed.status == RuntimeSdk::Status::failed);
  CHECK(failed.problem.find("no-such-package-fx-test is not installed") != std::string::npos);
  CHECK(failed.problem.find("pip install") != std::string::npos);
  CHECK_FALSE(fs::exists(root / "python/missing"));
  remove_dir(root);
}

TEST_CASE("runtime sdk: one folder per Python version, one per npm version", "[instance_env]") {
  const auto* python = fx::runtimes::provided_sdk("python3.12");
  REQUIRE(python);
  CHECK(runtime_sdk_folder(*python, "3.12") == fs::path("python/3.12"));
  const auto* node = fx::runtimes::provided_sdk("nodejs20.x");
  REQUIRE(node);
  const fs::path folder = runtime_sdk_folder(*node, "20");
  CHECK(folder.parent_path() == fs::path("node"));
  CHECK(folder.filename().string().starts_with(std::string(node->version) + "-"));
  CHECK(runtime_sdk_folder(*node, "22") == folder);
  // Another package list is another folder: an install of the old list is not reused.
  fx::runtimes::ProvidedSdk fewer = *node;
  fewer.packages.pop_back();
  CHECK(runtime_sdk_folder(fewer, "20") != folder);
  // What Lambda's runtime has and functions import most, the corpus's among them.
  for (std::string_view client :
       {"@aws-sdk/client-sfn", "@aws-sdk/client-eventbridge",
        "@aws-sdk/client-apigatewaymanagementapi", "@aws-sdk/client-cognito-identity-provider"})
    CHECK(std::find(node->packages.begin(), node->packages.end(), client) != node->packages.end());
  // nodejs16.x: v2 (aws-sdk), in a folder of its own.
  const auto* v2 = fx::runtimes::provided_sdk("nodejs16.x");
  REQUIRE(v2);
  CHECK(v2->packages == std::vector<std::string_view>{"aws-sdk"});
  CHECK(v2->version.starts_with("2."));
  CHECK(fx::runtimes::provides_module("nodejs16.x", "aws-sdk/clients/sqs"));
  CHECK_FALSE(fx::runtimes::provides_module("nodejs16.x", "@aws-sdk/client-sqs"));
  CHECK_FALSE(fx::runtimes::provides_module("nodejs20.x", "aws-sdk"));
  CHECK(runtime_sdk_folder(*v2, "16").parent_path() == fs::path("node"));
  CHECK(runtime_sdk_folder(*v2, "16") != folder);
  CHECK(fx::runtimes::provided_sdk("provided.al2023") == nullptr);
}

namespace {

// A request as an instance's SDK sends it: signed with `credentials` at `when`.
fx::emulator::HttpRequest signed_request(const InstanceCredentials& credentials,
                                         std::chrono::system_clock::time_point when,
                                         std::string service = "sqs") {
  fx::aws::SigningInput input;
  input.method = "POST";
  input.url = "http://127.0.0.1:4599/";
  input.headers = {{"Host", "127.0.0.1:4599"},
                   {"Content-Type", "application/x-amz-json-1.0"},
                   {"X-Amz-Target", "AmazonSQS.ListQueues"}};
  input.body = "{}";
  input.region = "us-east-1";
  input.service = std::move(service);
  input.now = when;
  fx::aws::AwsCredentials key{credentials.access_key_id, credentials.secret_access_key,
                              credentials.session_token, ""};
  fx::emulator::HttpRequest req;
  req.method = "POST";
  req.target = req.path = "/";
  req.body = "{}";
  for (auto& [k, v] : fx::aws::sign_v4(input, key)) req.headers.emplace_back(k, v);
  return req;
}

std::string refusal(const fx::emulator::HttpRequest& req, const InstanceCredentials& c,
                    std::chrono::system_clock::time_point now) {
  try {
    check_instance_signature(req, c, now);
    return "accepted";
  } catch (const fx::aws::ApiError& e) {
    return std::to_string(e.status()) + " " + e.type();
  }
}

}  // namespace

TEST_CASE("instance signature: the instances' SigV4 is verified, forgeries refused",
          "[instance_env]") {
  auto home = temp_dir();
  const auto creds = instance_credentials(home);
  const auto now = std::chrono::system_clock::now();
  auto req = signed_request(creds, now);
  CHECK(check_instance_signature(req, creds, now) == InstanceSignature::valid);

  SECTION("a changed body, target or signed header") {
    auto body = req;
    body.body = "{\"QueueNamePrefix\":\"x\"}";
    CHECK(refusal(body, creds, now) == "403 SignatureDoesNotMatch");
    auto target = req;
    target.target = "/?x=1";
    CHECK(refusal(target, creds, now) == "403 SignatureDoesNotMatch");
    auto header = req;
    for (auto& [k, v] : header.headers)
      if (k == "X-Amz-Target") v = "AmazonSQS.DeleteQueue";
    CHECK(refusal(header, creds, now) == "403 SignatureDoesNotMatch");
  }
  SECTION("the wrong secret, as Lambda words it") {
    auto forged = creds;
    forged.secret_access_key = std::string(40, 'x');
    CHECK(refusal(signed_request(forged, now, "lambda"), creds, now) ==
          "403 InvalidSignatureException");
  }
  SECTION("another session token") {
    auto other = creds;
    other.session_token = "another";
    CHECK(refusal(signed_request(other, now), creds, now) == "403 UnrecognizedClientException");
  }
  SECTION("signed more than 15 minutes away") {
    CHECK(refusal(req, creds, now + std::chrono::minutes(16)) == "403 SignatureDoesNotMatch");
    CHECK(refusal(req, creds, now - std::chrono::minutes(16)) == "403 SignatureDoesNotMatch");
    CHECK(refusal(req, creds, now + std::chrono::minutes(14)) == "accepted");
  }
  SECTION("another key id, or no signature: not the instances'") {
    auto other = creds;
    other.access_key_id = "AKIAOTHERKEY00000000";
    CHECK(check_instance_signature(signed_request(other, now), creds, now) ==
          InstanceSignature::other);
    fx::emulator::HttpRequest bare;
    bare.headers = {{"Authorization", "Bearer token"}};
    CHECK(check_instance_signature(bare, creds, now) == InstanceSignature::other);
    bare.headers = {{"Authorization", "AWS4-HMAC-SHA256 Credential=" + creds.access_key_id}};
    CHECK(check_instance_signature(bare, creds, now) == InstanceSignature::other);
    bare.headers = {{"Authorization", "AWS4-HMAC-SHA256 Credential=" + creds.access_key_id +
                                          "/20260101/us-east-1/sqs/aws4_request, "
                                          "SignedHeaders=host, Signature=00"}};
    CHECK(refusal(bare, creds, now) == "403 SignatureDoesNotMatch");
  }
  remove_dir(home);
}
