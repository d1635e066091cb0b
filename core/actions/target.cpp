#include "core/actions/target.h"

#include <cstdlib>

#include <fmt/format.h>

#include "core/emulator/emulator.h"
#include "core/lambda/aws.h"
#include "core/util/error.h"

namespace fx::actions {

ResolvedTarget resolve_target(const TargetOptions& options) {
  ResolvedTarget out;
  out.endpoint.region = options.region;
  const std::string& t = options.target;
  if (t.empty() || t == "local") {
    auto home = emulator::fx_home();
    auto running = emulator::running_emulator(home);
    if (!running) {
      if (!options.start_local)
        throw Error(fmt::format("no emulator is running for {}", home.string()),
                    "deploy first (`fx deploy` starts it), or run `fx emulator start`");
      emulator::EmulatorOptions eo;
      eo.home = home;
      running = emulator::start_emulator_daemon(eo);
      out.started = true;
    }
    out.endpoint.url = running->url;
    // The local emulator's token is in FX_HOME, readable by its user only; FX_TOKEN wins.
    const char* token = std::getenv("FX_TOKEN");
    out.endpoint.token = token && *token ? std::string(token) : emulator::local_token(home);
    out.local = true;
    return out;
  }
  if (t.starts_with("http://") || t.starts_with("https://")) {
    out.endpoint.url = t;
    while (!out.endpoint.url.empty() && out.endpoint.url.back() == '/') out.endpoint.url.pop_back();
    if (const char* token = std::getenv("FX_TOKEN")) out.endpoint.token = token;
    return out;
  }
  if (t == "aws") {
    auto settings = std::make_shared<lambda::AwsSettings>(
        lambda::resolve_aws_settings(options.profile, options.region_explicit ? options.region : "",
                                     options.region.empty() ? "us-east-1" : options.region));
    out.endpoint.region = settings->region;
    out.endpoint.url = lambda::aws_endpoint("lambda", settings->region);
    out.endpoint.aws = std::move(settings);
    out.aws = true;
    return out;
  }
  throw usage_error(fmt::format("unknown target '{}'", t),
                    "use local, aws, or the URL of an fx emulator (http://HOST:PORT)");
}

}  // namespace fx::actions
