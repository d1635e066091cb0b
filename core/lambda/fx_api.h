// fx's own endpoints on an fx emulator (local or remote): logs, usage reports, status.
// AWS has other APIs for these (CloudWatch Logs); this is how fx reads them from fx.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/lambda/client.h"

namespace fx::lambda {

struct LogEvent {
  std::int64_t id = 0;
  std::int64_t time_ms = 0;
  std::string function;
  std::string request_id;
  std::string message;
  // On REPORT lines, when asked for (LogRequest::usage): from the usage record.
  std::string architecture;
  std::optional<double> cpu_ms;
};

struct LogRequest {
  std::string function;  // deployed name; empty: all
  std::int64_t after_id = 0;
  std::int64_t since_ms = 0;
  std::string filter;
  std::int64_t tail = 0;
  int wait_s = 0;      // > 0: hold until a new line arrives (follow)
  bool usage = false;  // attach architecture and CPU time to REPORT lines
};

struct LogPage {
  std::vector<LogEvent> lines;
  std::int64_t last_id = 0;  // ask for lines after this one next
};

struct EmulatorStatus {
  bool running = false;
  int pid = 0;
  std::string url;
  std::string raw_json;  // the whole answer, for --json and `fx info`
};

class FxApi {
 public:
  explicit FxApi(Endpoint endpoint);
  ~FxApi();
  LogPage logs(const LogRequest& request);
  EmulatorStatus status();
  // PUT / DELETE /_fx/v1/services/NAME: a service's event sources.
  // Returns the emulator's answer: {service, gateway_url, api_key}.
  std::string put_service(const std::string& name, const std::string& events_json);
  void delete_service(const std::string& name);
  // GET /_fx/v1/services/NAME: {service, api_keys[], api_key?}; ApiError 404 when not deployed.
  std::string get_service(const std::string& name);
  // POST /_fx/v1/cost (see core/usage/cost_report.h): the report as JSON text.
  std::string cost(const std::string& request_json);

 private:
  std::string get(const std::string& path_and_query, long timeout_ms);
  std::string call(const char* method, const std::string& path, const std::string& body,
                   long timeout_ms);
  Endpoint endpoint_;
  std::unique_ptr<util::HttpClient> http_;
};

}  // namespace fx::lambda
