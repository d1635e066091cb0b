#include "core/aws/apigateway.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/aws/service.h"
#include "core/util/http_client.h"

namespace fx::aws {

using json = nlohmann::json;

ApiGatewayClient::ApiGatewayClient(const AwsSettings& settings)
    : service_(std::make_unique<AwsService>(settings, "apigateway")) {}

ApiGatewayClient::~ApiGatewayClient() = default;

std::string ApiGatewayClient::call(std::string_view method, const std::string& path,
                                   const std::string& body) {
  HeaderList headers;
  if (!body.empty()) headers.push_back({"Content-Type", "application/json"});
  auto answer = service_->request(method, path, headers, body).body;
  if (answer.empty()) return "{}";  // DELETE: 202/204 with nothing to say
  if (!json::accept(answer))
    throw Error(
        fmt::format("API Gateway answered {} {} with: {}", method, path, answer.substr(0, 200)),
        "check AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_APIGATEWAY: it should be an API "
        "Gateway endpoint");
  return answer;
}

std::optional<std::string> ApiGatewayClient::get(const std::string& path) {
  try {
    return call("GET", path);
  } catch (const ApiError& e) {
    if (e.status() == 404) return std::nullopt;
    throw;
  }
}

void ApiGatewayClient::remove(const std::string& path) {
  try {
    call("DELETE", path);
  } catch (const ApiError& e) {
    if (e.status() != 404) throw;
  }
}

std::vector<std::string> ApiGatewayClient::list(const std::string& path) {
  const bool v2 = path.starts_with("/v2/");
  const char sep = path.find('?') == std::string::npos ? '?' : '&';
  std::vector<std::string> out;
  std::string token;
  // Bounded: a service answering the same token forever must not loop fx forever.
  // On the wire both APIs spell their members in camelCase.
  for (int page = 0; page < 1000; ++page) {
    std::string url = path;
    if (!token.empty())
      url += fmt::format("{}{}={}", sep, v2 ? "nextToken" : "position", util::url_encode(token));
    else if (!v2)
      url += fmt::format("{}limit=500", sep);
    json answer = json::parse(call("GET", url));
    for (const char* key : {"items", "item"})
      if (answer.contains(key) && answer[key].is_array())
        for (const auto& item : answer[key]) out.push_back(item.dump());
    const char* next = v2 ? "nextToken" : "position";
    std::string following =
        answer.contains(next) && answer[next].is_string() ? answer[next].get<std::string>() : "";
    if (following.empty() || following == token) break;
    token = following;
  }
  return out;
}

}  // namespace fx::aws
