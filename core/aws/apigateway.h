// API Gateway's two control-plane APIs, both REST-JSON on apigateway.REGION.amazonaws.com
// signed as "apigateway": REST APIs (/restapis/...) and HTTP APIs (/v2/apis/...). fx deploys
// `http` events as a REST API and `httpApi` events as an HTTP API (core/targets/aws/), and
// reads and writes their resources as JSON documents: the API models far more fields than fx
// manages, and each caller compares the few it owns.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fx::aws {

struct AwsSettings;
class AwsService;

class ApiGatewayClient {
 public:
  // The endpoint: AWS_ENDPOINT_URL_APIGATEWAY, AWS_ENDPOINT_URL, else
  // https://apigateway.REGION.amazonaws.com.
  explicit ApiGatewayClient(const AwsSettings& settings);
  ~ApiGatewayClient();
  ApiGatewayClient(const ApiGatewayClient&) = delete;
  ApiGatewayClient& operator=(const ApiGatewayClient&) = delete;

  // One call; returns the answer's JSON text ("{}" for an empty answer). `body` is JSON text
  // or "" for none. Throws ApiError (NotFoundException is 404) for an error answer, fx::Error
  // when the answer is not JSON.
  std::string call(std::string_view method, const std::string& path, const std::string& body = "");
  // GET of one resource: nullopt when it does not exist (404).
  std::optional<std::string> get(const std::string& path);
  // DELETE that does nothing when the resource is already gone.
  void remove(const std::string& path);
  // Every item of a listing, every page, each as JSON text: HTTP APIs page with NextToken and
  // answer "items"; REST APIs page with position and answer "item" (or "items").
  std::vector<std::string> list(const std::string& path);

 private:
  std::unique_ptr<AwsService> service_;
};

}  // namespace fx::aws
