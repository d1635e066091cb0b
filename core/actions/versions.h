// The versions `fx deploy` publishes (provider.versionFunctions, a function's versionFunction)
// and the alias `provisioned` it keeps for provisionedConcurrency, as the Serverless Framework
// makes them: the same calls on AWS and on the fx emulator, reading before writing so that an
// unchanged redeploy only reads.
#pragma once

#include <string>

#include "core/actions/deploy.h"
#include "core/lambda/client.h"
#include "core/manifest/service.h"

namespace fx::actions {

// The framework's name for the alias of provisionedConcurrency.
inline constexpr const char* kProvisionedAlias = "provisioned";

// Whether a deploy publishes versions of `f`: its versionFunction, else the provider's
// versionFunctions; provisionedConcurrency publishes one in any case (its alias needs one).
bool publishes_versions(const manifest::Service& service, const manifest::Function& f);

// Whether a published version still is what $LATEST is now (its code and what fx manages of
// its configuration): then publishing again would answer that version anyway.
bool same_as_latest(const lambda::FunctionConfiguration& version,
                    const lambda::FunctionConfiguration& latest);

// After `f`'s code and configuration are deployed: publishes a version when $LATEST differs
// from the newest one (r.version, r.version_status "published" or "unchanged"), points the
// alias `provisioned` at it with provisionedConcurrency instances, and deletes that alias when
// the manifest no longer asks for it. r.status becomes "updated" when anything changed.
void sync_versions(lambda::LambdaClient& client, const manifest::Service& service,
                   const manifest::Function& f, DeployResult& r);

}  // namespace fx::actions
