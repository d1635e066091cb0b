#include "core/actions/target.h"

#include <cstdlib>

#include <fmt/format.h>

#include "core/aws/service.h"
#include "core/manifest/service.h"
#include "core/util/error.h"

namespace fx::actions {

TargetOptions target_options(const std::string& target_flag, const std::string& region_flag,
                             const std::string& profile, const manifest::Service* service,
                             bool start_local) {
  // For AWS, a region nobody chose (the manifest's default) gives way to AWS_REGION.
  TargetOptions out{target_flag, region_flag, start_local, profile,
                    !region_flag.empty() || (service && service->region_explicit)};
  if (service && out.target.empty()) out.target = service->target;
  if (service && out.region.empty()) out.region = service->region;
  return out;
}

ResolvedTarget resolve_target(const TargetOptions& options) {
  ResolvedTarget out;
  out.endpoint.region = options.region;
  const std::string& t = options.target;
  if (t.empty() || t == "local") {
    // The local emulator's token is in FX_HOME, readable by its user only; FX_TOKEN wins.
    const char* token = std::getenv("FX_TOKEN");
    if (token && *token) out.endpoint.token = token;
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
    auto settings = std::make_shared<aws::AwsSettings>(
        aws::resolve_aws_settings(options.profile, options.region_explicit ? options.region : "",
                                  options.region.empty() ? "us-east-1" : options.region));
    out.endpoint.region = settings->region;
    out.endpoint.url = aws::aws_endpoint("lambda", settings->region);
    out.endpoint.aws = std::move(settings);
    out.aws = true;
    return out;
  }
  throw usage_error(fmt::format("unknown target '{}'", t),
                    "use local, aws, or the URL of an fx emulator (http://HOST:PORT)");
}

}  // namespace fx::actions
