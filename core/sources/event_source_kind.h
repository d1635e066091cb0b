// What takes a service's events in the emulator: the gateway (http and httpApi routes), the
// schedules (with the asynchronous-invocation settings they run under) and the queue pollers
// (event source mappings). A deploy's document is applied to each of them in turn, and a
// removed service dropped from each: a new kind of event source is one more implementation
// in the emulator's table of them.
#pragma once

#include <string>
#include <vector>

namespace fx::manifest {
struct ServiceEvents;
}

namespace fx::sources {

class EventSourceKind {
 public:
  virtual ~EventSourceKind() = default;

  // Replaces what `service` had of this kind by what `events` asks for. Returns warnings for
  // the deployer. Throws fx::Error, having changed nothing, when something is malformed.
  virtual std::vector<std::string> apply(const std::string& service,
                                         const manifest::ServiceEvents& events) = 0;
  // Forgets everything `service` had of this kind.
  virtual void drop(const std::string& service) = 0;
};

}  // namespace fx::sources
