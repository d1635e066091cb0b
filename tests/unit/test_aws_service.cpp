// AWS settings (credentials, profiles, region, endpoints) from real files and environment
// variables, and AwsService against real HTTP servers: a small scripted one for retries and
// error shapes, and moto (python3 -m moto.server), which checks SigV4 signatures of IAM and
// CloudWatch Logs calls when its authentication is switched on.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/actions/target.h"
#include "core/aws/service.h"
#include "core/lambda/client.h"
#include "core/util/http_client.h"
#include "core/util/process.h"
#include "test_aws_helpers.h"

using namespace fx::aws;
using namespace fx::lambda;
using Catch::Contains;
using fx::test::ScopedEnv;
using fx::test::TempDir;
using fx::test::write_text;
namespace fs = std::filesystem;

namespace {

constexpr const char* kCredentials = R"(# fx test credentials
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key=secretdefault

; the profile of the dev account
[dev]
AWS_ACCESS_KEY_ID   =   AKIDDEV
aws_secret_access_key = secret/dev+key
aws_session_token = tokendev

[half]
aws_access_key_id = AKIDHALF
)";

constexpr const char* kConfig = R"([default]
region = eu-west-1

[profile dev]
region = ap-south-1
s3 =
  max_concurrent_requests = 20

# keys may live in the config file too
[profile cfgonly]
aws_access_key_id = AKIDCFG
aws_secret_access_key = secretcfg
region = us-west-2

[profile sso]
sso_session = corp
sso_account_id = 123456789012

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
)";

// A folder with the two files, and an environment that points at them and nothing else.
struct AwsFiles {
  TempDir dir{"aws-profiles"};
  ScopedEnv env;
  fs::path credentials = dir.path / "credentials";
  fs::path config = dir.path / "config";
  AwsFiles() {
    fx::test::clear_aws_environment(env, dir.path / "home");
    write_text(credentials, kCredentials);
    write_text(config, kConfig);
    env.set("AWS_SHARED_CREDENTIALS_FILE", credentials.string());
    env.set("AWS_CONFIG_FILE", config.string());
  }
};

fx::Error error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const fx::Error& e) {
    return e;
  }
  FAIL("no fx::Error was thrown");
  return fx::Error("");
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A child process stopped (and reaped) with the object.
struct ChildProcess {
  pid_t pid = -1;
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      int status = 0;
      ::waitpid(pid, &status, 0);
    }
  }
};

// An HTTP server that answers each path from a script: the Nth request to a path gets the
// Nth answer of its plan (the last one repeats). {"drop": true} closes the connection without
// answering; "delay" (seconds) answers late. GET /__requests returns what it received, for counting
// attempts and reading the signed headers.
constexpr const char* kScriptedServer = R"(import ctypes, http.server, json, os, signal, sys, time
ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: ends with the test process
plans = json.load(open(sys.argv[1]))
seen = []

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.split("?")[0]
        if path == "/__requests":
            data = json.dumps(seen).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        seen.append({"method": self.command, "path": self.path, "body": body.decode(),
                     "headers": {k.lower(): v for k, v in self.headers.items()}})
        plan = plans.get(path, [{"status": 404, "body": "no plan for " + path}])
        n = sum(1 for s in seen if s["path"].split("?")[0] == path)
        step = plan[min(n, len(plan)) - 1]
        time.sleep(step.get("delay", 0))
        if step.get("drop"):
            self.close_connection = True
            return
        data = step.get("body", "").encode()
        self.send_response(step["status"])
        for k, v in step.get("headers", {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = answer

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
server.serve_forever()
)";

struct ScriptedServer {
  TempDir dir{"aws-server"};
  ChildProcess process;
  std::string url;

  using Plans = std::map<std::string, std::vector<nlohmann::json>>;
  explicit ScriptedServer(const Plans& plans) {
    auto python = fx::util::which("python3");
    REQUIRE_FALSE(python.empty());
    write_text(dir.path / "server.py", kScriptedServer);
    write_text(dir.path / "plans.json", nlohmann::json(plans).dump());
    fx::util::SpawnOptions o;
    o.argv = {python.string(), (dir.path / "server.py").string(),
              (dir.path / "plans.json").string(), (dir.path / "port").string()};
    o.env = fx::util::current_environment();
    o.output_file = dir.path / "server.log";
    process.pid = fx::util::spawn_process(o).pid;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!fs::exists(dir.path / "port")) {
      INFO(fx::test::read_text(dir.path / "server.log"));
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    url = "http://127.0.0.1:" + fx::test::read_text(dir.path / "port");
  }

  nlohmann::json requests(const std::string& path) {
    fx::util::HttpClient http;
    auto all = nlohmann::json::parse(http.request("GET", url + "/__requests", {}, "").body);
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : all)
      if (r["path"].get<std::string>().starts_with(path)) out.push_back(r);
    return out;
  }
};

AwsSettings test_settings() {
  AwsSettings s;
  s.credentials = {"AKIDTEST", "secrettest", "", "environment"};
  s.region = "us-east-1";
  return s;
}

nlohmann::json step(int status, std::string body,
                    nlohmann::json headers = nlohmann::json::object()) {
  return {{"status", status}, {"body", std::move(body)}, {"headers", std::move(headers)}};
}

std::string xml_error(const std::string& code, const std::string& message) {
  return "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender"
         "</Type><Code>" +
         code + "</Code><Message>" + message +
         "</Message></Error><RequestId>1</RequestId></ErrorResponse>";
}

ApiError api_error_of(AwsService& svc, const std::string& method, const std::string& path,
                      const AwsCallOptions& options = {}) {
  try {
    svc.request(method, path, {}, "", options);
  } catch (const ApiError& e) {
    return e;
  }
  FAIL("no ApiError was thrown");
  return ApiError(0, "", "");
}

}  // namespace

// --- credentials and region ------------------------------------------------------------------

TEST_CASE("AWS credentials come from the environment first", "[lambda][aws]") {
  AwsFiles files;
  files.env.set("AWS_ACCESS_KEY_ID", "AKIDENV");
  files.env.set("AWS_SECRET_ACCESS_KEY", "secretenv");
  files.env.set("AWS_SESSION_TOKEN", "tokenenv");

  SECTION("over the default profile") {
    auto s = resolve_aws_settings("", "", "us-east-1");
    CHECK(s.credentials.access_key_id == "AKIDENV");
    CHECK(s.credentials.secret_access_key == "secretenv");
    CHECK(s.credentials.session_token == "tokenenv");
    CHECK(s.credentials.source == "environment");
    CHECK(s.profile.empty());
    CHECK(s.region == "eu-west-1");  // the default profile's region still applies
  }
  SECTION("over AWS_PROFILE, whose region is used") {
    files.env.set("AWS_PROFILE", "dev");
    auto s = resolve_aws_settings("", "", "us-east-1");
    CHECK(s.credentials.access_key_id == "AKIDENV");
    CHECK(s.region == "ap-south-1");
  }
  SECTION("but not over an explicit --profile, as with `aws --profile`") {
    auto s = resolve_aws_settings("dev", "", "us-east-1");
    CHECK(s.credentials.access_key_id == "AKIDDEV");
    CHECK(s.profile == "dev");
  }
}

TEST_CASE("AWS credentials: half of a key pair in the environment is an error naming the other",
          "[lambda][aws]") {
  AwsFiles files;
  SECTION("key id without secret") {
    files.env.set("AWS_ACCESS_KEY_ID", "AKIDENV");
    auto e = error_of([] { resolve_aws_settings("", "", "us-east-1"); });
    CHECK_THAT(e.what(), Contains("AWS_SECRET_ACCESS_KEY is not"));
  }
  SECTION("secret without key id") {
    files.env.set("AWS_SECRET_ACCESS_KEY", "secretenv");
    auto e = error_of([] { resolve_aws_settings("", "", "us-east-1"); });
    CHECK_THAT(e.what(), Contains("AWS_ACCESS_KEY_ID is not"));
  }
}

TEST_CASE("AWS profiles are read from the shared credentials and config files", "[lambda][aws]") {
  AwsFiles files;
  SECTION("[default], with comments and spaces around =") {
    auto s = resolve_aws_settings("", "", "us-east-1");
    CHECK(s.credentials.access_key_id == "AKIDDEFAULT");
    CHECK(s.credentials.secret_access_key == "secretdefault");
    CHECK(s.credentials.session_token.empty());
    CHECK(s.profile == "default");
    CHECK(s.region == "eu-west-1");
    CHECK(s.credentials.source == "profile default (" + files.credentials.string() + ")");
  }
  SECTION("--profile: keys from [dev], region from [profile dev]; key names case-insensitive") {
    auto s = resolve_aws_settings("dev", "", "us-east-1");
    CHECK(s.credentials.access_key_id == "AKIDDEV");
    CHECK(s.credentials.secret_access_key == "secret/dev+key");
    CHECK(s.credentials.session_token == "tokendev");
    CHECK(s.region == "ap-south-1");
  }
  SECTION("AWS_PROFILE, with the keys in the config file") {
    files.env.set("AWS_PROFILE", "cfgonly");
    auto s = resolve_aws_settings("", "", "us-east-1");
    CHECK(s.credentials.access_key_id == "AKIDCFG");
    CHECK(s.region == "us-west-2");
    CHECK_THAT(s.credentials.source, Contains(files.config.string()));
  }
  SECTION("the credentials file wins over the config file") {
    write_text(files.config, std::string(kConfig) +
                                 "\n[profile dev2]\naws_access_key_id = FROMCONFIG\n"
                                 "aws_secret_access_key = x\n");
    write_text(files.credentials, std::string(kCredentials) +
                                      "\n[dev2]\naws_access_key_id = FROMCREDS\n"
                                      "aws_secret_access_key = y\n");
    auto s = resolve_aws_settings("dev2", "", "us-east-1");
    CHECK(s.credentials.access_key_id == "FROMCREDS");
    CHECK(s.credentials.secret_access_key == "y");
  }
  SECTION("~/.aws/ when the variables are unset") {
    fs::path home = files.dir.path / "home";
    write_text(home / ".aws" / "credentials",
               "[default]\naws_access_key_id=AKIDHOME\n"
               "aws_secret_access_key=secrethome\n");
    write_text(home / ".aws" / "config", "[default]\nregion=sa-east-1\n");
    files.env.unset("AWS_SHARED_CREDENTIALS_FILE");
    files.env.unset("AWS_CONFIG_FILE");
    auto s = resolve_aws_settings("", "", "us-east-1");
    CHECK(s.credentials.access_key_id == "AKIDHOME");
    CHECK(s.region == "sa-east-1");
    CHECK(s.credentials.source == "profile default (~/.aws/credentials)");
  }
}

TEST_CASE("AWS profile errors say what is wrong and what to do", "[lambda][aws]") {
  AwsFiles files;
  SECTION("an unknown profile lists the profiles found") {
    auto e = error_of([] { resolve_aws_settings("prod", "", "us-east-1"); });
    CHECK_THAT(e.what(), Contains("AWS profile 'prod' not found"));
    CHECK_THAT(e.hint(), Contains("default, dev, half, cfgonly, sso"));
  }
  SECTION("an unknown AWS_PROFILE too") {
    files.env.set("AWS_PROFILE", "staging");
    auto e = error_of([] { resolve_aws_settings("", "", "us-east-1"); });
    CHECK_THAT(e.what(), Contains("'staging'"));
  }
  SECTION("a key id without its secret") {
    auto e = error_of([] { resolve_aws_settings("half", "", "us-east-1"); });
    CHECK_THAT(e.what(), Contains("has aws_access_key_id but no aws_secret_access_key"));
    CHECK_THAT(e.hint(), Contains(files.credentials.string()));
  }
  SECTION("SSO and other indirect credentials point at export-credentials") {
    auto e = error_of([] { resolve_aws_settings("sso", "", "us-east-1"); });
    CHECK_THAT(e.what(), Contains("sso_session"));
    CHECK_THAT(e.hint(), Contains("aws configure export-credentials --profile sso"));
  }
  SECTION("no credentials anywhere") {
    files.env.set("AWS_SHARED_CREDENTIALS_FILE", (files.dir.path / "none").string());
    files.env.set("AWS_CONFIG_FILE", (files.dir.path / "none-either").string());
    auto e = error_of([] { resolve_aws_settings("", "", "us-east-1"); });
    CHECK(std::string(e.what()) == "no AWS credentials found");
    CHECK_THAT(e.hint(), Contains("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"));
    CHECK_THAT(e.hint(), Contains("`aws configure`"));
    CHECK_THAT(e.hint(), Contains("--profile"));
  }
}

TEST_CASE("AWS region: --region, AWS_REGION, AWS_DEFAULT_REGION, profile, manifest",
          "[lambda][aws]") {
  AwsFiles files;
  files.env.set("AWS_REGION", "eu-north-1");
  files.env.set("AWS_DEFAULT_REGION", "eu-south-1");
  CHECK(resolve_aws_settings("", "ca-central-1", "us-east-1").region == "ca-central-1");
  CHECK(resolve_aws_settings("", "", "us-east-1").region == "eu-north-1");
  files.env.unset("AWS_REGION");
  CHECK(resolve_aws_settings("", "", "us-east-1").region == "eu-south-1");
  files.env.unset("AWS_DEFAULT_REGION");
  CHECK(resolve_aws_settings("", "", "us-east-1").region == "eu-west-1");
  write_text(files.config, "");
  CHECK(resolve_aws_settings("", "", "me-south-1").region == "me-south-1");
  auto e = error_of([] { resolve_aws_settings("", "", ""); });
  CHECK_THAT(e.what(), Contains("no AWS region"));
  CHECK_THAT(e.hint(), Contains("--region"));
}

TEST_CASE("The aws target resolves AWS settings and the Lambda endpoint", "[lambda][aws]") {
  AwsFiles files;
  files.env.set("AWS_REGION", "eu-central-1");
  fx::actions::TargetOptions options{"aws", "us-east-1", false, "dev", false};
  auto target = fx::actions::resolve_target(options);
  REQUIRE(target.aws);
  REQUIRE(target.endpoint.aws);
  CHECK(target.endpoint.aws->credentials.access_key_id == "AKIDDEV");
  CHECK(target.endpoint.region == "eu-central-1");  // the manifest's default gives way
  CHECK(target.endpoint.url == "https://lambda.eu-central-1.amazonaws.com");
  options.region_explicit = true;
  CHECK(fx::actions::resolve_target(options).endpoint.region == "us-east-1");
}

// --- endpoints -------------------------------------------------------------------------------

TEST_CASE("AWS endpoints: public ones, and overrides from the environment", "[lambda][aws]") {
  TempDir dir("aws-endpoints");
  ScopedEnv env;
  fx::test::clear_aws_environment(env, dir.path);
  SECTION("public endpoints; IAM is global and signed for us-east-1") {
    CHECK(aws_endpoint("lambda", "eu-west-1") == "https://lambda.eu-west-1.amazonaws.com");
    CHECK(aws_endpoint("logs", "us-east-2") == "https://logs.us-east-2.amazonaws.com");
    CHECK(aws_endpoint("iam", "eu-west-1") == "https://iam.amazonaws.com");
    CHECK(aws_endpoint("lambda", "cn-north-1") == "https://lambda.cn-north-1.amazonaws.com.cn");
    CHECK(signing_region("iam", "eu-west-1") == "us-east-1");
    CHECK(signing_region("lambda", "eu-west-1") == "eu-west-1");
    CHECK(signing_region("logs", "ap-south-1") == "ap-south-1");
  }
  SECTION("AWS_ENDPOINT_URL for every service, without its trailing slash") {
    env.set("AWS_ENDPOINT_URL", "http://localhost:4566/");
    CHECK(aws_endpoint("lambda", "eu-west-1") == "http://localhost:4566");
    CHECK(aws_endpoint("logs", "eu-west-1") == "http://localhost:4566");
    CHECK(aws_endpoint("iam", "eu-west-1") == "http://localhost:4566");
  }
  SECTION("AWS_ENDPOINT_URL_<SERVICE> wins over AWS_ENDPOINT_URL") {
    env.set("AWS_ENDPOINT_URL", "http://general:1");
    env.set("AWS_ENDPOINT_URL_LAMBDA", "http://lambda:2");
    env.set("AWS_ENDPOINT_URL_IAM", "http://iam:3");
    env.set("AWS_ENDPOINT_URL_LOGS", "http://logs-short:4");
    CHECK(aws_endpoint("lambda", "us-east-1") == "http://lambda:2");
    CHECK(aws_endpoint("iam", "us-east-1") == "http://iam:3");
    CHECK(aws_endpoint("logs", "us-east-1") == "http://logs-short:4");
    // botocore's name for CloudWatch Logs comes first.
    env.set("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "http://cloudwatch-logs:5");
    CHECK(aws_endpoint("logs", "us-east-1") == "http://cloudwatch-logs:5");
  }
  SECTION("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS turns them off") {
    env.set("AWS_ENDPOINT_URL", "http://localhost:4566");
    env.set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true");
    CHECK(aws_endpoint("lambda", "us-east-1") == "https://lambda.us-east-1.amazonaws.com");
  }
}

// --- AwsService against a scripted server ----------------------------------------------------

TEST_CASE("AwsService retries 5xx and 429, signing every attempt", "[lambda][aws][retry]") {
  ScriptedServer server({{"/2015-03-31/functions/",
                          {step(500, R"({"message":"internal"})"),
                           // A bare 429, as a proxy in front of the service may answer.
                           step(429, "Too Many Requests"), step(200, R"({"Functions":[]})")}}});
  AwsService svc(test_settings(), "lambda", server.url + "/");
  CHECK(svc.endpoint_url() == server.url);
  auto result = svc.request("GET", "/2015-03-31/functions/?MaxItems=5", {}, "");
  CHECK(result.status == 200);
  CHECK(result.body == R"({"Functions":[]})");

  auto requests = server.requests("/2015-03-31/functions/");
  REQUIRE(requests.size() == 3);
  for (const auto& r : requests) {
    auto headers = r["headers"];
    CHECK_THAT(headers["authorization"].get<std::string>(),
               Catch::StartsWith("AWS4-HMAC-SHA256 Credential=AKIDTEST/"));
    CHECK_THAT(headers["authorization"].get<std::string>(),
               Contains("/us-east-1/lambda/aws4_request"));
    CHECK(headers["x-amz-date"].get<std::string>().size() == 16);
    CHECK(headers.count("x-amz-security-token") == 0);
  }
}

TEST_CASE("AwsService retries throttling that IAM answers with HTTP 400", "[lambda][aws][retry]") {
  ScriptedServer server(
      {{"/",
        {step(400, xml_error("Throttling", "Rate exceeded")), step(200, "<GetRoleResponse/>")}}});
  AwsSettings settings = test_settings();
  settings.region = "eu-west-1";
  settings.credentials.session_token = "session/token==";
  AwsService svc(settings, "iam", server.url);
  auto result = svc.request("POST", "/", {{"Content-Type", "application/x-www-form-urlencoded"}},
                            "Action=GetRole&RoleName=r&Version=2010-05-08");
  CHECK(result.status == 200);
  auto requests = server.requests("/");
  REQUIRE(requests.size() == 2);
  // IAM is signed for us-east-1 whatever the region; the session token goes along, signed.
  CHECK_THAT(requests[1]["headers"]["authorization"].get<std::string>(),
             Contains("/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date;"
                      "x-amz-security-token,"));
  CHECK(requests[1]["headers"]["x-amz-security-token"] == "session/token==");
  CHECK(requests[1]["body"] == "Action=GetRole&RoleName=r&Version=2010-05-08");
}

TEST_CASE("AwsService retries a dropped connection", "[lambda][aws][retry]") {
  ScriptedServer server({{"/drop", {nlohmann::json{{"drop", true}}, step(200, "ok")}}});
  AwsService svc(test_settings(), "lambda", server.url);
  CHECK(svc.request("GET", "/drop", {}, "").body == "ok");
  CHECK(server.requests("/drop").size() == 2);
}

TEST_CASE("AwsService does not send again a call that timed out", "[lambda][aws][retry]") {
  nlohmann::json slow = step(200, "late");
  slow["delay"] = 2;
  ScriptedServer server({{"/slow", {slow}}});
  AwsService svc(test_settings(), "lambda", server.url);
  AwsCallOptions options;
  options.timeout_ms = 500;
  try {
    svc.request("POST", "/slow", {}, "{}", options);
    FAIL("no error");
  } catch (const ApiError&) {
    FAIL("a timeout is not an API error");
  } catch (const fx::Error& e) {
    CHECK_THAT(e.what(), Contains("POST /slow got no answer within 500 ms"));
  }
  CHECK(server.requests("/slow").size() == 1);
}

TEST_CASE("AwsService gives up after max_attempts", "[lambda][aws][retry]") {
  ScriptedServer server({{"/busy",
                          {step(503, R"({"message":"Service Unavailable"})",
                                {{"x-amzn-ErrorType", "ServiceException"}})}}});
  AwsService svc(test_settings(), "lambda", server.url);
  AwsCallOptions options;
  options.max_attempts = 3;
  auto e = api_error_of(svc, "GET", "/busy", options);
  CHECK(e.status() == 503);
  CHECK(e.type() == "ServiceException");
  CHECK_THAT(e.hint(), Contains("try again later"));
  CHECK(server.requests("/busy").size() == 3);
}

TEST_CASE("AwsService does not retry a rejected signature, and says what to check",
          "[lambda][aws][retry]") {
  ScriptedServer server(
      {{"/",
        {step(403, xml_error("SignatureDoesNotMatch",
                             "The request signature we calculated does not match the "
                             "signature you provided. Check your AWS Secret Access Key "
                             "&amp; signing method."))}}});
  AwsService svc(test_settings(), "iam", server.url);
  auto e = api_error_of(svc, "POST", "/");
  CHECK(e.status() == 403);
  CHECK(e.type() == "SignatureDoesNotMatch");
  CHECK_THAT(e.what(), Contains("SignatureDoesNotMatch: The request signature we calculated"));
  CHECK_THAT(e.what(), Contains("Secret Access Key & signing method."));
  CHECK_THAT(e.hint(), Contains("secret access key (from environment)"));
  CHECK_THAT(e.hint(), Contains("clock"));
  CHECK(server.requests("/").size() == 1);
}

TEST_CASE("AwsService reads the error shapes of REST-JSON, JSON 1.1 and query APIs",
          "[lambda][aws]") {
  ScriptedServer server({
      {"/rest-json",
       {step(404, R"({"Type":"User","Message":"Function not found: arn:aws:lambda:f"})",
             {{"x-amzn-ErrorType", "ResourceNotFoundException:http://internal.amazon.com/"}})}},
      {"/json11",
       {step(400, R"({"__type":"com.amazonaws.logs#ResourceNotFoundException",)"
                  R"("message":"The specified log group does not exist."})")}},
      {"/query", {step(404, xml_error("NoSuchEntity", "The role with name r cannot be found."))}},
      {"/unknown-key",
       {step(403, R"({"__type":"UnrecognizedClientException","message":"The security token )"
                  R"(included in the request is invalid."})")}},
      {"/expired",
       {step(403, R"({"__type":"ExpiredTokenException","message":"The security token )"
                  R"(included in the request is expired"})")}},
      {"/denied",
       {step(403,
             R"({"Message":"User: arn:aws:iam::1:user/ci is not authorized to perform: )"
             R"(lambda:CreateFunction"})",
             {{"x-amzn-ErrorType", "AccessDeniedException"}})}},
      {"/plain", {step(404, "Not Found")}},
  });
  AwsSettings settings = test_settings();
  settings.credentials.source = "profile ci (~/.aws/credentials)";
  AwsService svc(settings, "lambda", server.url);

  auto e = api_error_of(svc, "GET", "/rest-json");
  CHECK(e.type() == "ResourceNotFoundException");
  CHECK(std::string(e.what()) == "ResourceNotFoundException: Function not found: arn:aws:lambda:f");

  e = api_error_of(svc, "POST", "/json11");
  CHECK(e.status() == 400);
  CHECK(e.type() == "ResourceNotFoundException");
  CHECK_THAT(e.what(), Contains("The specified log group does not exist."));

  e = api_error_of(svc, "POST", "/query");
  CHECK(e.type() == "NoSuchEntity");
  CHECK_THAT(e.what(), Contains("The role with name r cannot be found."));

  e = api_error_of(svc, "GET", "/unknown-key");
  CHECK(e.type() == "UnrecognizedClientException");
  CHECK_THAT(e.hint(), Contains("AKIDTEST"));
  CHECK_THAT(e.hint(), Contains("profile ci (~/.aws/credentials)"));

  e = api_error_of(svc, "GET", "/expired");
  CHECK(e.type() == "ExpiredTokenException");
  CHECK_THAT(e.hint(), Contains("expired: refresh them"));

  e = api_error_of(svc, "GET", "/denied");
  CHECK(e.type() == "AccessDeniedException");
  CHECK_THAT(e.what(), Contains("lambda:CreateFunction"));
  CHECK_THAT(e.hint(), Contains("IAM permission"));

  e = api_error_of(svc, "GET", "/plain");
  CHECK(e.type() == "HTTP 404");
  CHECK_THAT(e.what(), Contains("Not Found"));
}

TEST_CASE("AwsService names the endpoint it cannot reach", "[lambda][aws][retry]") {
  std::string url = "http://127.0.0.1:" + std::to_string(free_port());
  AwsService svc(test_settings(), "lambda", url);
  AwsCallOptions options;
  options.max_attempts = 2;
  try {
    svc.request("GET", "/2015-03-31/functions/", {}, "", options);
    FAIL("no error");
  } catch (const ApiError&) {
    FAIL("an unreachable endpoint is not an API error");
  } catch (const fx::Error& e) {
    CHECK_THAT(e.what(), Contains(url));
    CHECK_THAT(e.what(), Contains("2 attempts"));
    CHECK_THAT(e.hint(), Contains("AWS_ENDPOINT_URL"));
  }
}

// --- moto ------------------------------------------------------------------------------------

namespace {

// One moto server for the whole test run (it takes seconds to start), or the problem that
// kept it from starting.
struct Moto {
  TempDir dir{"moto"};
  ChildProcess process;
  std::string url;
  std::string problem;

  Moto() {
    if (!fx::test::python_has("moto.server", dir.path)) {
      problem =
          "python3 cannot import moto.server, which these tests need: run "
          "scripts/install-deps.sh, which says how to install moto when it is missing";
      return;
    }
    int port = free_port();
    fx::util::SpawnOptions o;
    // python3 -m moto.server, made to end with the test process even when that one crashes
    // (PR_SET_PDEATHSIG) instead of outliving it.
    o.argv = {fx::util::which("python3").string(),
              "-c",
              "import ctypes, runpy, signal, sys\n"
              "ctypes.CDLL(None).prctl(1, signal.SIGTERM)\n"
              "sys.argv = ['moto.server'] + sys.argv[1:]\n"
              "runpy.run_module('moto.server', run_name='__main__', alter_sys=True)\n",
              "-H",
              "127.0.0.1",
              "-p",
              std::to_string(port)};
    o.env = fx::util::current_environment();
    o.output_file = dir.path / "moto.log";
    process.pid = fx::util::spawn_process(o).pid;
    url = "http://127.0.0.1:" + std::to_string(port);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    fx::util::HttpClient http;
    while (std::chrono::steady_clock::now() < deadline) {
      try {
        http.request("GET", url + "/moto-api/data.json", {}, "", 2000);
        return;
      } catch (const fx::Error&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    problem = "moto did not start: " + fx::test::read_text(dir.path / "moto.log");
  }

  // Authentication on (0: every call from now on) or off ("inf").
  void require_auth(const std::string& free_calls) {
    fx::util::HttpClient http;
    REQUIRE(http.request("POST", url + "/moto-api/reset-auth", {}, free_calls).status == 200);
  }
};

Moto& moto() {
  static Moto instance;
  return instance;
}

std::string xml_text(const std::string& xml, const std::string& tag) {
  auto a = xml.find("<" + tag + ">");
  auto b = xml.find("</" + tag + ">");
  if (a == std::string::npos || b == std::string::npos) return {};
  a += tag.size() + 2;
  return xml.substr(a, b - a);
}

}  // namespace

TEST_CASE("LambdaClient talks to moto through the --target aws settings", "[lambda][aws][moto]") {
  Moto& m = moto();
  // scripts/install-deps.sh makes sure moto is there: its absence is a failure, not a skip.
  if (!m.problem.empty()) FAIL(m.problem);
  TempDir dir("aws-moto");
  ScopedEnv env;
  fx::test::clear_aws_environment(env, dir.path);
  env.set("AWS_ACCESS_KEY_ID", "testing");
  env.set("AWS_SECRET_ACCESS_KEY", "testing");
  env.set("AWS_ENDPOINT_URL", m.url);

  auto target = fx::actions::resolve_target({"aws", "us-east-1", false, "", true});
  REQUIRE(target.endpoint.url == m.url);
  LambdaClient client(target.endpoint);
  CHECK(client.list_functions().empty());
  CHECK_FALSE(client.get_function("fx-no-such-function").has_value());

  // A JSON 1.1 error from CloudWatch Logs and a query-protocol one from IAM, both parsed.
  AwsService logs(*target.endpoint.aws, "logs");
  CHECK(logs.endpoint_url() == m.url);
  try {
    logs.request("POST", "/",
                 {{"X-Amz-Target", "Logs_20140328.FilterLogEvents"},
                  {"Content-Type", "application/x-amz-json-1.1"}},
                 R"({"logGroupName":"/aws/lambda/fx-no-such-function"})");
    FAIL("no error");
  } catch (const ApiError& err) {
    CHECK(err.type() == "ResourceNotFoundException");
  }
  AwsService iam(*target.endpoint.aws, "iam");
  try {
    iam.request("POST", "/", {{"Content-Type", "application/x-www-form-urlencoded"}},
                "Action=GetRole&RoleName=fx-no-such-role&Version=2010-05-08");
    FAIL("no error");
  } catch (const ApiError& err) {
    CHECK(err.type() == "NoSuchEntity");
    CHECK(err.status() == 404);
  }
}

TEST_CASE("moto accepts fx's signatures on IAM and CloudWatch Logs calls and rejects bad ones",
          "[lambda][aws][moto]") {
  Moto& m = moto();
  // scripts/install-deps.sh makes sure moto is there: its absence is a failure, not a skip.
  if (!m.problem.empty()) FAIL(m.problem);
  // moto checks signatures only once authentication is on, and then only for keys its own IAM
  // issued: a user with an allow-all policy and an access key are made first. (moto's Lambda
  // rejects even botocore's own signatures when authentication is on, so Lambda is left out.)
  AwsSettings setup;
  setup.credentials = {"testing", "testing", "", "environment"};
  setup.region = "us-east-1";
  AwsService admin(setup, "iam", m.url);
  const std::string form = "application/x-www-form-urlencoded";
  admin.request("POST", "/", {{"Content-Type", form}},
                "Action=CreateUser&UserName=fx-signer&Version=2010-05-08");
  admin.request("POST", "/", {{"Content-Type", form}},
                "Action=PutUserPolicy&UserName=fx-signer&PolicyName=all&PolicyDocument=" +
                    fx::util::url_encode(R"({"Version":"2012-10-17","Statement":[{"Effect":)"
                                         R"("Allow","Action":"*","Resource":"*"}]})") +
                    "&Version=2010-05-08");
  std::string key_xml = admin
                            .request("POST", "/", {{"Content-Type", form}},
                                     "Action=CreateAccessKey&UserName=fx-signer&Version=2010-05-08")
                            .body;
  AwsSettings signer = setup;
  signer.credentials = {xml_text(key_xml, "AccessKeyId"), xml_text(key_xml, "SecretAccessKey"), "",
                        "environment"};
  REQUIRE_FALSE(signer.credentials.access_key_id.empty());

  m.require_auth("0");
  struct AuthOff {
    Moto& m;
    ~AuthOff() { m.require_auth("inf"); }
  } auth_off{m};

  AwsService iam(signer, "iam", m.url);
  auto created = iam.request(
      "POST", "/", {{"Content-Type", form}},
      "Action=CreateRole&RoleName=fx-signed&Version=2010-05-08&AssumeRolePolicyDocument=" +
          fx::util::url_encode(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)"
                               R"("Principal":{"Service":"lambda.amazonaws.com"},)"
                               R"("Action":"sts:AssumeRole"}]})"));
  CHECK(xml_text(created.body, "RoleName") == "fx-signed");

  AwsService logs(signer, "logs", m.url);
  try {
    logs.request("POST", "/",
                 {{"X-Amz-Target", "Logs_20140328.FilterLogEvents"},
                  {"Content-Type", "application/x-amz-json-1.1"}},
                 R"({"logGroupName":"/aws/lambda/none","startTime":0})");
    FAIL("no error");
  } catch (const ApiError& e) {
    // Past the signature check: the log group does not exist.
    CHECK(e.type() == "ResourceNotFoundException");
  }

  AwsSettings wrong_secret = signer;
  wrong_secret.credentials.secret_access_key = "not-the-secret";
  AwsService bad(wrong_secret, "iam", m.url);
  try {
    bad.request("POST", "/", {{"Content-Type", form}},
                "Action=GetRole&RoleName=fx-signed&Version=2010-05-08");
    FAIL("no error");
  } catch (const ApiError& e) {
    CHECK(e.status() == 403);
    CHECK(e.type() == "SignatureDoesNotMatch");
    CHECK_THAT(e.hint(), Contains("clock"));
  }

  AwsSettings unknown_key = signer;
  unknown_key.credentials.access_key_id = "AKIAUNKNOWNKEY000000";
  AwsService stranger(unknown_key, "iam", m.url);
  try {
    stranger.request("POST", "/", {{"Content-Type", form}},
                     "Action=GetRole&RoleName=fx-signed&Version=2010-05-08");
    FAIL("no error");
  } catch (const ApiError& e) {
    CHECK(e.type() == "InvalidClientTokenId");
    CHECK_THAT(e.hint(), Contains("AKIAUNKNOWNKEY000000"));
  }
}
