// The fx emulator as a target: the local one (found or started by open_target) or a shared
// one by URL with a token. Lambda's API for functions, fx's own (/_fx/v1/) for a service's
// event sources, logs, status and cost.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/targets/target.h"

namespace fx::targets {

class EmulatorTarget : public Target {
 public:
  // local: the emulator of this FX_HOME, which `info` asks for its status (instances,
  // schedules, gateway). started: opening the target started it.
  EmulatorTarget(lambda::Endpoint endpoint, bool local, bool started)
      : Target(std::move(endpoint)), local_(local), started_(started) {}

  std::string description() const override { return endpoint_.url; }
  bool started_emulator() const override { return started_; }

  Deployment deploy(const manifest::Service& service,
                    const actions::DeployOptions& options) override;
  ServiceInfo info(const manifest::Service& service) override;
  Removal remove(const manifest::Service& service) override;
  void logs(const LogQuery& query, const LogVisitor& each,
            const std::function<void()>& batch_done) override;
  std::string cost(const CostQuery& query) override;

 private:
  bool local_;
  bool started_;
};

// `fx info` from what the emulator answered: its status document (GET /_fx/v1/status; empty
// when it was not asked) and each of the service's functions' configuration, in the
// manifest's order (nullopt: not deployed).
ServiceInfo emulator_info(const manifest::Service& service, const lambda::Endpoint& endpoint,
                          std::string_view status_json,
                          const std::vector<std::optional<lambda::FunctionConfiguration>>& configs);

}  // namespace fx::targets
