#include "core/actions/versions.h"

#include <optional>

namespace fx::actions {

bool publishes_versions(const manifest::Service& service, const manifest::Function& f) {
  return f.version_function.value_or(service.version_functions) ||
         f.provisioned_concurrency.value_or(0) > 0;
}

bool same_as_latest(const lambda::FunctionConfiguration& v,
                    const lambda::FunctionConfiguration& latest) {
  // The description is left out: a version's is PublishVersion's own (empty unless given).
  return v.code_sha256 == latest.code_sha256 && v.runtime == latest.runtime &&
         v.handler == latest.handler && v.timeout == latest.timeout &&
         v.memory_size == latest.memory_size &&
         v.ephemeral_storage_mb == latest.ephemeral_storage_mb &&
         v.environment == latest.environment && v.layers == latest.layers && v.role == latest.role;
}

void sync_versions(lambda::LambdaClient& client, const manifest::Service& service,
                   const manifest::Function& f, DeployResult& r) {
  const int provisioned = f.provisioned_concurrency.value_or(0);
  auto changed = [&r] {
    if (r.status == "unchanged") r.status = "updated";
  };
  if (publishes_versions(service, f)) {
    auto latest = client.get_function(f.name);
    if (!latest) return;  // deleted meanwhile: nothing to publish
    auto versions = client.list_versions(f.name);
    if (!versions.empty() && same_as_latest(versions.back(), *latest)) {
      r.version = versions.back().version;
      r.version_status = "unchanged";
    } else {
      r.version = client.publish_version(f.name, latest->code_sha256).version;
      r.version_status = "published";
      changed();
    }
  }
  auto alias_version = client.get_alias_version(f.name, kProvisionedAlias);
  if (provisioned > 0) {
    if (!alias_version) {
      client.create_alias(f.name, kProvisionedAlias, r.version);
      changed();
    } else if (*alias_version != r.version) {
      client.update_alias(f.name, kProvisionedAlias, r.version);
      changed();
    }
    if (client.get_provisioned_concurrency(f.name, kProvisionedAlias) != provisioned) {
      client.put_provisioned_concurrency(f.name, kProvisionedAlias, provisioned);
      changed();
    }
  } else if (alias_version) {
    // provisionedConcurrency left the manifest: its alias goes, as the framework's stack
    // update deletes it (the versions stay, as the framework retains them).
    client.delete_provisioned_concurrency(f.name, kProvisionedAlias);
    client.delete_alias(f.name, kProvisionedAlias);
    changed();
  }
}

}  // namespace fx::actions
