// Which target a command goes to, and the Target the factory opens for it: resolved from
// flags, the manifest and the environment, without any emulator or AWS to talk to.
#include <catch2/catch.hpp>

#include "core/actions/target.h"
#include "core/targets/aws_target.h"
#include "core/targets/emulator_target.h"
#include "core/targets/local_emulator.h"
#include "core/targets/target.h"
#include "core/util/error.h"
#include "test_aws_helpers.h"
#include "test_manifest_helpers.h"

using Catch::Matchers::Contains;
using fx::actions::resolve_target;
using fx::actions::target_options;
using fx::test::ScopedEnv;
using fx::test::TempDir;

namespace {

fx::Error error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const fx::Error& e) {
    return e;
  }
  FAIL("no fx::Error");
  return fx::Error("");
}

}  // namespace

TEST_CASE("Target options: flags win over the manifest, which wins over nothing", "[targets]") {
  fx::manifest::testing::TempService dir;
  auto service = dir.load(R"(service: shop
provider:
  name: aws
  runtime: python3.12
  region: eu-west-1
custom:
  fx:
    target: aws
functions:
  hello:
    handler: handler.hello
)");
  REQUIRE(service.target == "aws");

  auto from_manifest = target_options("", "", "dev", &service);
  CHECK(from_manifest.target == "aws");
  CHECK(from_manifest.region == "eu-west-1");
  CHECK(from_manifest.region_explicit);
  CHECK(from_manifest.profile == "dev");
  CHECK_FALSE(from_manifest.start_local);

  auto from_flags = target_options("http://box:4599", "ca-central-1", "", &service, true);
  CHECK(from_flags.target == "http://box:4599");
  CHECK(from_flags.region == "ca-central-1");
  CHECK(from_flags.start_local);

  // No manifest: only the flags, and a region nobody chose gives way to AWS_REGION on AWS.
  auto bare = target_options("", "", "", nullptr);
  CHECK(bare.target.empty());
  CHECK(bare.region.empty());
  CHECK_FALSE(bare.region_explicit);

  // The manifest's default region (none written) is not a choice either.
  auto defaulted = dir.load(R"(service: shop
provider:
  name: aws
  runtime: python3.12
functions:
  hello:
    handler: handler.hello
)");
  auto options = target_options("", "", "", &defaulted);
  CHECK(options.region == "us-east-1");
  CHECK_FALSE(options.region_explicit);
  CHECK(target_options("", "eu-north-1", "", &defaulted).region_explicit);
}

TEST_CASE("Target resolution: local, a remote emulator by URL, unknown ones", "[targets]") {
  ScopedEnv env;
  env.unset("FX_TOKEN");

  auto local = resolve_target({"", "us-east-1"});
  CHECK(local.local);
  CHECK_FALSE(local.aws);
  CHECK(local.endpoint.url.empty());  // found (or started) when the target is opened
  CHECK(local.endpoint.token.empty());
  CHECK(resolve_target({"local", "us-east-1"}).local);

  env.set("FX_TOKEN", "0123456789abcdef0123");
  CHECK(resolve_target({"local", "us-east-1"}).endpoint.token == "0123456789abcdef0123");
  auto remote = resolve_target({"https://build-box:4599//", "eu-west-1"});
  CHECK_FALSE(remote.local);
  CHECK_FALSE(remote.aws);
  CHECK(remote.endpoint.url == "https://build-box:4599");
  CHECK(remote.endpoint.region == "eu-west-1");
  CHECK(remote.endpoint.token == "0123456789abcdef0123");

  auto e = error_of([] { resolve_target({"gcp", "us-east-1"}); });
  CHECK(e.kind() == fx::ErrorKind::usage);
  CHECK_THAT(e.what(), Contains("unknown target 'gcp'"));
  CHECK_THAT(e.hint(), Contains("http://HOST:PORT"));
}

TEST_CASE("The factory opens an emulator target for a URL, without calling it", "[targets]") {
  ScopedEnv env;
  env.set("FX_TOKEN", "a-shared-token-of-20");
  // Port 9 (discard): nothing answers there, and opening the target must not ask.
  auto target = fx::targets::open_target({"http://127.0.0.1:9/", "eu-west-1"});
  REQUIRE(dynamic_cast<fx::targets::EmulatorTarget*>(target.get()) != nullptr);
  CHECK(target->endpoint().url == "http://127.0.0.1:9");
  CHECK(target->endpoint().region == "eu-west-1");
  CHECK(target->endpoint().token == "a-shared-token-of-20");
  CHECK(target->description() == "http://127.0.0.1:9");
  CHECK_FALSE(target->started_emulator());
}

TEST_CASE("The factory names FX_HOME when no local emulator runs and none is to start",
          "[targets]") {
  TempDir home("targets-home");
  ScopedEnv env;
  env.set("FX_HOME", home.path.string());
  auto e = error_of([] { fx::targets::open_target({"", "us-east-1", false}); });
  CHECK_THAT(e.what(), Contains("no emulator is running for " + home.path.string()));
  CHECK_THAT(e.hint(), Contains("fx emulator start"));
  CHECK_FALSE(fx::targets::local_emulator_running());
}

TEST_CASE("The factory opens an AWS target with the region's Lambda endpoint", "[targets]") {
  TempDir dir("targets-aws");
  ScopedEnv env;
  fx::test::clear_aws_environment(env, dir.path);
  env.set("AWS_ACCESS_KEY_ID", "AKIDTARGETS");
  env.set("AWS_SECRET_ACCESS_KEY", "secret");
  auto target = fx::targets::open_target({"aws", "eu-central-1"});
  REQUIRE(dynamic_cast<fx::targets::AwsTarget*>(target.get()) != nullptr);
  REQUIRE(target->endpoint().aws);
  CHECK(target->endpoint().region == "eu-central-1");
  CHECK(target->endpoint().url == "https://lambda.eu-central-1.amazonaws.com");
  CHECK(target->description() == "AWS Lambda at https://lambda.eu-central-1.amazonaws.com");
  CHECK_FALSE(target->started_emulator());
}

TEST_CASE("An invocation's REPORT line is read from its log tail", "[targets]") {
  std::string tail =
      "START RequestId: r1 Version: $LATEST\n"
      "hello\n"
      "END RequestId: r1\n"
      "REPORT RequestId: r1\tDuration: 5.67 ms\tBilled Duration: 6 ms\tMemory Size: 256 MB\t"
      "Max Memory Used: 41 MB\tInit Duration: 87.12 ms\t\n";
  auto report = fx::targets::report_of(tail);
  REQUIRE(report);
  CHECK(report->request_id == "r1");
  CHECK(report->duration_ms == Approx(5.67));
  CHECK(report->billed_ms == 6);
  CHECK(report->memory_mb == 256);
  CHECK(report->max_memory_mb == 41);
  REQUIRE(report->init_ms);
  CHECK(*report->init_ms == Approx(87.12));

  CHECK_FALSE(fx::targets::report_of(""));
  CHECK_FALSE(fx::targets::report_of("START RequestId: r2\nno report yet\n"));
}
