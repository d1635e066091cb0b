#include "core/lambda/fx_api.h"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "core/util/http_client.h"

namespace fx::lambda {

using json = nlohmann::json;

FxApi::FxApi(Endpoint endpoint)
    : endpoint_(std::move(endpoint)), http_(std::make_unique<util::HttpClient>()) {}
FxApi::~FxApi() = default;

std::string FxApi::get(const std::string& path, long timeout_ms) {
  return call("GET", path, "", timeout_ms);
}

std::string FxApi::put_service(const std::string& name, const std::string& events_json) {
  return call("PUT", "/_fx/v1/services/" + util::url_encode(name), events_json, 30'000);
}

std::string FxApi::get_service(const std::string& name) {
  return call("GET", "/_fx/v1/services/" + util::url_encode(name), "", 30'000);
}

void FxApi::delete_service(const std::string& name) {
  call("DELETE", "/_fx/v1/services/" + util::url_encode(name), "", 30'000);
}

std::string FxApi::cost(const std::string& request_json) {
  return call("POST", "/_fx/v1/cost", request_json, 120'000);
}

std::string FxApi::call(const char* method, const std::string& path, const std::string& body,
                        long timeout_ms) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!endpoint_.token.empty()) headers.emplace_back("Authorization", "Bearer " + endpoint_.token);
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  util::HttpResult r;
  try {
    r = http_->request(method, endpoint_.url + path, headers, body, timeout_ms);
  } catch (const Error& e) {
    throw Error(e.what(), "start the emulator with `fx emulator start` (or check --target)");
  }
  if (r.status != 200) {
    // The emulator's errors are {"message"} with the type in x-amzn-ErrorType: the message
    // is what to show.
    auto j = json::parse(r.body, nullptr, false);
    std::string message = j.is_object() && j.contains("message") && j["message"].is_string()
                              ? j["message"].get<std::string>()
                              : "";
    if (r.status == 401) {
      // Worded as the Lambda client words it, so every command says the same thing.
      std::string type = r.header("x-amzn-ErrorType");
      throw Error(fmt::format("{}: {}", type.empty() ? "HTTP 401" : type,
                              message.empty() ? "the fx emulator refused the request" : message),
                  "set FX_TOKEN to the token the emulator was started with (fx emulator start "
                  "--token)");
    }
    std::string type = r.header("x-amzn-ErrorType");
    if (type.empty()) type = fmt::format("HTTP {}", r.status);
    if (!message.empty()) throw ApiError(static_cast<int>(r.status), type, message);
    throw ApiError(
        static_cast<int>(r.status), type,
        fmt::format("fx emulator answered {} to {}: {}", r.status, path, r.body.substr(0, 300)));
  }
  return std::move(r.body);
}

LogPage FxApi::logs(const LogRequest& q) {
  std::string path =
      fmt::format("/_fx/v1/logs?function={}&after={}&since={}&filter={}&tail={}&wait={}{}",
                  util::url_encode(q.function), q.after_id, q.since_ms, util::url_encode(q.filter),
                  q.tail, q.wait_s, q.usage ? "&usage=1" : "");
  json j = json::parse(get(path, q.wait_s > 0 ? (q.wait_s + 30) * 1000L : 30'000L));
  LogPage page;
  page.last_id = j.value("last_id", std::int64_t{0});
  for (auto& l : j.value("lines", json::array())) {
    LogEvent e{l.value("id", std::int64_t{0}),
               l.value("time", std::int64_t{0}),
               l.value("function", ""),
               l.value("request_id", ""),
               l.value("message", ""),
               l.value("architecture", ""),
               std::nullopt};
    if (l.contains("cpu_ms") && l["cpu_ms"].is_number()) e.cpu_ms = l["cpu_ms"].get<double>();
    page.lines.push_back(std::move(e));
  }
  return page;
}

EmulatorStatus FxApi::status() {
  EmulatorStatus s;
  s.raw_json = get("/_fx/v1/status", 5000);
  json j = json::parse(s.raw_json);
  s.running = j.value("running", false);
  s.pid = j.value("pid", 0);
  s.url = j.value("url", "");
  return s;
}

}  // namespace fx::lambda
