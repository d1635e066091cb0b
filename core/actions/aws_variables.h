// The manifest's ${cf:} and ${s3:} reads, answered by AWS with the credentials a deploy to AWS
// would use (--profile, the environment, ~/.aws): what the CLI hands manifest loading.
#pragma once

#include <string>

#include "core/manifest/manifest.h"

namespace fx::actions {

// Credentials are looked up on the first read only, so a manifest without such variables never
// needs any. `region_flag` is --region (it wins over the profile's region, as for a deploy).
manifest::AwsVariableReads aws_variable_reads(const std::string& profile,
                                              const std::string& region_flag);

}  // namespace fx::actions
