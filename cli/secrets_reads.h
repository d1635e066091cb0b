// ${ssm:...} for a local deploy: read from the emulator's store in FX_HOME (cmd_secrets.cpp).
#pragma once

#include "core/manifest/manifest.h"

namespace fx::cli {

// Sets reads.local_parameter and reads.local_hint.
void add_local_parameter_reads(manifest::AwsVariableReads& reads);

}  // namespace fx::cli
