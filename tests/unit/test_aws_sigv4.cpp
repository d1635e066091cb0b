// SigV4 checked two ways: against the published AWS Signature Version 4 test suite (every
// intermediate string), and against botocore's signer on this machine for the requests fx
// itself sends to Lambda, CloudWatch Logs and IAM.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/aws/sigv4.h"
#include "core/util/process.h"
#include "test_aws_helpers.h"

using namespace fx::aws;
using fx::test::read_text;
using fx::test::TempDir;
using fx::test::write_text;
namespace fs = std::filesystem;

namespace {

// tests/unit/data/sigv4: the test suite's cases in its own layout (NAME/NAME.req, .creq, .sts,
// .authz). __FILE__ is relative to the build folder when ccache rewrites paths.
fs::path suite_dir() {
  fs::path here = __FILE__;
  if (here.is_relative()) here = fx::util::self_exe().parent_path() / here;
  return here.parent_path() / "data" / "sigv4";
}

std::chrono::system_clock::time_point suite_time() {
  return std::chrono::system_clock::time_point(
      std::chrono::seconds(1440938160));  // 20150830T123600Z
}

const AwsCredentials kSuiteCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                       "", "test suite"};

struct SuiteRequest {
  std::string method;
  std::string target;  // "/path?query" as written on the request line
  HeaderList headers;
  std::string body;
};

// A .req file: "METHOD TARGET HTTP/1.1", "Name:value" lines, an empty line, the body. The
// target may hold a space (get-space), so it ends at the last " HTTP/".
SuiteRequest parse_req(const std::string& text) {
  SuiteRequest r;
  auto blank = text.find("\n\n");
  std::string head = text.substr(0, blank);
  if (blank != std::string::npos) r.body = text.substr(blank + 2);
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= head.size()) {
    auto nl = head.find('\n', start);
    lines.push_back(head.substr(start, nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  const std::string& request_line = lines.at(0);
  auto sp = request_line.find(' ');
  auto proto = request_line.rfind(" HTTP/");
  r.method = request_line.substr(0, sp);
  r.target = request_line.substr(sp + 1, proto - sp - 1);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    auto colon = lines[i].find(':');
    REQUIRE(colon != std::string::npos);
    r.headers.emplace_back(lines[i].substr(0, colon), lines[i].substr(colon + 1));
  }
  return r;
}

std::string header_value(const HeaderList& headers, const std::string& name) {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

}  // namespace

TEST_CASE("SigV4 reproduces the AWS test suite step by step", "[lambda][sigv4]") {
  // The vectors are AWS's "Signature Version 4 test suite" (aws-sig-v4-test-suite.zip, once at
  // https://docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html); see
  // data/sigv4/README.md for where each file's content was read.
  std::vector<fs::path> cases;
  for (const auto& entry : fs::directory_iterator(suite_dir()))
    if (entry.is_directory()) cases.push_back(entry.path());
  std::sort(cases.begin(), cases.end());
  REQUIRE(cases.size() >= 29);

  for (const auto& dir : cases) {
    const std::string name = dir.filename().string();
    DYNAMIC_SECTION(name) {
      SuiteRequest req = parse_req(read_text(dir / (name + ".req")));
      AwsCredentials credentials = kSuiteCredentials;
      // post-sts-header-before: the session token rides in the request and is signed.
      credentials.session_token = header_value(req.headers, "X-Amz-Security-Token");
      SigningInput input{req.method,  "https://" + header_value(req.headers, "Host") + req.target,
                         req.headers, req.body,
                         "us-east-1", "service",
                         suite_time()};
      Signature sig = sigv4_signature(input, credentials);
      CHECK(sig.amz_date == "20150830T123600Z");
      CHECK(sig.canonical_request == read_text(dir / (name + ".creq")));
      CHECK(sig.string_to_sign == read_text(dir / (name + ".sts")));
      CHECK(sig.authorization == read_text(dir / (name + ".authz")));
    }
  }
}

TEST_CASE("sign_v4 adds the date, the session token and the Authorization header",
          "[lambda][sigv4]") {
  AwsCredentials credentials = kSuiteCredentials;
  credentials.session_token = "token/with+chars==";
  SigningInput input{"GET",
                     "https://example.amazonaws.com/",
                     {{"X-Amz-Date", "19990101T000000Z"}, {"Accept", "application/json"}},
                     "",
                     "us-east-1",
                     "service",
                     suite_time()};
  HeaderList headers = sign_v4(input, credentials);
  // A stale X-Amz-Date from the caller is replaced, not sent twice.
  CHECK(std::count_if(headers.begin(), headers.end(),
                      [](const auto& h) { return h.first == "X-Amz-Date"; }) == 1);
  CHECK(header_value(headers, "X-Amz-Date") == "20150830T123600Z");
  CHECK(header_value(headers, "X-Amz-Security-Token") == "token/with+chars==");
  CHECK(header_value(headers, "Accept") == "application/json");
  CHECK(header_value(headers, "Authorization") ==
        sigv4_signature(input, credentials).authorization);
  CHECK_THAT(header_value(headers, "Authorization"),
             Catch::Contains("SignedHeaders=accept;host;x-amz-date;x-amz-security-token,"));
}

TEST_CASE("SigV4 canonical forms for what fx sends", "[lambda][sigv4]") {
  auto canonical = [](const std::string& method, const std::string& url, HeaderList headers = {}) {
    SigningInput in{method, url, std::move(headers), "", "us-east-1", "lambda", suite_time()};
    std::string c = sigv4_signature(in, kSuiteCredentials).canonical_request;
    return c;
  };
  SECTION("a name the client already percent-encoded is encoded once more (Lambda's rule)") {
    CHECK_THAT(canonical("GET",
                         "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/"
                         "arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af/configuration"),
               Catch::StartsWith("GET\n/2015-03-31/functions/"
                                 "arn%253Aaws%253Alambda%253Aus-east-1%253A1%253Afunction%253Af/"
                                 "configuration\n\n"));
  }
  SECTION("the port is part of host only when it is not the scheme's default") {
    CHECK_THAT(canonical("GET", "http://127.0.0.1:4566/"),
               Catch::Contains("\nhost:127.0.0.1:4566\n"));
    CHECK_THAT(canonical("GET", "https://Lambda.us-east-1.amazonaws.com:443/"),
               Catch::Contains("\nhost:lambda.us-east-1.amazonaws.com\n"));
    CHECK_THAT(canonical("GET", "http://localhost:80/"), Catch::Contains("\nhost:localhost\n"));
  }
  SECTION("an explicit Host header is signed as given") {
    CHECK_THAT(canonical("GET", "http://127.0.0.1/", {{"Host", "127.0.0.1:80"}}),
               Catch::Contains("\nhost:127.0.0.1:80\n"));
  }
  SECTION("query: raw and encoded forms sign alike, keys without '=' get one, pairs sorted") {
    CHECK_THAT(canonical("GET", "https://x.amazonaws.com/?b=2&flag&a=z%20y&a=x y&Marker=a%2Fb"),
               Catch::Contains("\nMarker=a%2Fb&a=x%20y&a=z%20y&b=2&flag=\n"));
  }
  SECTION("S3 signs the path as sent: encoded once, dot segments kept") {
    // As S3 documents its canonical URI (and as botocore's S3 signer does): an object key
    // "a b/../c" is sent and signed as /bucket/a%20b/../c.
    SigningInput in{"GET",       "https://s3.us-east-1.amazonaws.com/bucket/a%20b/../c",
                    {},          "",
                    "us-east-1", "s3",
                    suite_time()};
    CHECK_THAT(sigv4_signature(in, kSuiteCredentials).canonical_request,
               Catch::StartsWith("GET\n/bucket/a%20b/../c\n\n"));
  }
  SECTION("User-Agent and Expect are never signed") {
    CHECK_THAT(canonical("GET", "https://x.amazonaws.com/",
                         {{"User-Agent", "fx/0.1"}, {"Expect", "100-continue"}}),
               Catch::Contains("\nhost;x-amz-date\n"));
  }
}

TEST_CASE("SigV4 matches botocore's signer byte for byte", "[lambda][sigv4][botocore]") {
  TempDir dir("sigv4");
  // botocore is the reference signer; scripts/install-deps.sh provides it, so its absence is
  // a failure, not a skip.
  if (!fx::test::python_has("botocore", dir.path))
    FAIL(
        "python3 cannot import botocore, the reference signer: run scripts/install-deps.sh "
        "(it installs python3-botocore)");
  struct Case {
    std::string name, method, url;
    HeaderList headers;
    std::string body, region, service, token;
  };
  const std::vector<Case> cases = {
      {"lambda GetFunctionConfiguration, qualified name and query",
       "GET",
       "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/shop-dev-hello%3Aprod/"
       "configuration?Qualifier=%24LATEST",
       {},
       "",
       "us-east-1",
       "lambda",
       ""},
      {"lambda Invoke by ARN, with a JSON body",
       "POST",
       "https://lambda.eu-central-1.amazonaws.com/2015-03-31/functions/"
       "arn%3Aaws%3Alambda%3Aeu-central-1%3A123456789012%3Afunction%3Ashop-dev-hello/invocations",
       {{"Content-Type", "application/json"},
        {"X-Amz-Invocation-Type", "RequestResponse"},
        {"X-Amz-Log-Type", "Tail"},
        {"X-Amz-Client-Context", "eyJjdXN0b20iOnt9fQ=="}},
       "{\"name\": \"fx \xc3\xbc\"}",
       "eu-central-1",
       "lambda",
       ""},
      {"lambda ListFunctions with a marker",
       "GET",
       "https://lambda.us-west-2.amazonaws.com/2015-03-31/functions/"
       "?Marker=abc%2Fdef%3D&MaxItems=50",
       {},
       "",
       "us-west-2",
       "lambda",
       ""},
      {"lambda name with a space and UTF-8",
       "DELETE",
       "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/caf%C3%A9%20fn",
       {},
       "",
       "us-east-1",
       "lambda",
       ""},
      {"logs FilterLogEvents (JSON 1.1)",
       "POST",
       "https://logs.eu-west-1.amazonaws.com/",
       {{"X-Amz-Target", "Logs_20140328.FilterLogEvents"},
        {"Content-Type", "application/x-amz-json-1.1"}},
       R"({"logGroupName": "/aws/lambda/shop-dev-hello", "startTime": 1795000000000})",
       "eu-west-1",
       "logs",
       ""},
      {"iam CreateRole (query protocol, form body)",
       "POST",
       "https://iam.amazonaws.com/",
       {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
       "Action=CreateRole&RoleName=fx-shop-dev&AssumeRolePolicyDocument=%7B%22Version%22%3A%"
       "222012-10-17%22%7D&Version=2010-05-08",
       "us-east-1",
       "iam",
       ""},
      {"session token",
       "GET",
       "https://lambda.ap-southeast-2.amazonaws.com/2015-03-31/functions/",
       {},
       "",
       "ap-southeast-2",
       "lambda",
       "FwoGZXIvYXdzEBYaDExample//token+with/slashes=="},
      {"moto on a loopback port, header values with runs of spaces",
       "PUT",
       "http://127.0.0.1:4566/2015-03-31/functions/f/configuration",
       {{"Content-Type", "application/json"}, {"X-Fx-Note", "  a   b \t c  "}},
       "{}",
       "us-east-1",
       "lambda",
       ""},
  };
  const std::int64_t epoch = 1795770000;  // 2026-11-26T05:40:00Z

  nlohmann::json input = nlohmann::json::array();
  for (const auto& c : cases) {
    nlohmann::json headers = nlohmann::json::object();
    for (const auto& [k, v] : c.headers) headers[k] = v;
    input.push_back({{"method", c.method},
                     {"url", c.url},
                     {"headers", headers},
                     {"body", c.body},
                     {"region", c.region},
                     {"service", c.service},
                     {"token", c.token},
                     {"epoch", epoch}});
  }
  write_text(dir.path / "in.json", input.dump());
  // botocore reads the time through botocore.auth.get_current_datetime; patched to the
  // fixed instant, its SigV4Auth signs exactly what the C++ side signs.
  write_text(dir.path / "sign.py", R"(import datetime, json, sys
from unittest import mock
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

out = []
for c in json.load(open(sys.argv[1])):
    when = datetime.datetime.fromtimestamp(c["epoch"], datetime.timezone.utc).replace(tzinfo=None)
    request = AWSRequest(method=c["method"], url=c["url"], data=c["body"].encode(),
                         headers=c["headers"])
    auth = botocore.auth.SigV4Auth(
        Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", c["token"] or None),
        c["service"], c["region"])
    seen = {}
    original = auth.canonical_request
    def capture(r):
        seen["canonical"] = original(r)
        return seen["canonical"]
    auth.canonical_request = capture
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when):
        auth.add_auth(request)
    out.append({"authorization": request.headers["Authorization"],
                "canonical": seen["canonical"],
                "token": request.headers.get("X-Amz-Security-Token", "")})
json.dump(out, open(sys.argv[2], "w"))
)");
  std::string output;
  int rc = fx::test::run_python({(dir.path / "sign.py").string(), (dir.path / "in.json").string(),
                                 (dir.path / "out.json").string()},
                                output, dir.path);
  INFO(output);
  REQUIRE(rc == 0);
  auto expected = nlohmann::json::parse(read_text(dir.path / "out.json"));
  REQUIRE(expected.size() == cases.size());

  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    DYNAMIC_SECTION(c.name) {
      AwsCredentials credentials = kSuiteCredentials;
      credentials.session_token = c.token;
      SigningInput in{c.method,
                      c.url,
                      c.headers,
                      c.body,
                      c.region,
                      c.service,
                      std::chrono::system_clock::time_point(std::chrono::seconds(epoch))};
      Signature sig = sigv4_signature(in, credentials);
      CHECK(sig.canonical_request == expected[i]["canonical"].get<std::string>());
      CHECK(sig.authorization == expected[i]["authorization"].get<std::string>());
      CHECK(header_value(sign_v4(in, credentials), "X-Amz-Security-Token") ==
            expected[i]["token"].get<std::string>());
    }
  }
}
