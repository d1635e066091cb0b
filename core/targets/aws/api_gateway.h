// What the Serverless Framework makes of a service's routes on AWS, made by fx without
// CloudFormation: `httpApi` events become one API Gateway HTTP API (http_api.cpp), `http`
// events one REST API (rest_api.cpp), both named STAGE-SERVICE as the framework names them and
// tagged as the service's, each route a Lambda proxy integration to its function, with the
// authorizers the events name and the function policy statements that let API Gateway invoke
// them. Internal to core/targets/aws/.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/aws/apigateway.h"
#include "core/lambda/client.h"
#include "core/manifest/authorizers.h"
#include "core/manifest/service.h"

namespace fx::targets::aws {

// One http or httpApi event as API Gateway gets it.
struct ApiRoute {
  const manifest::Function* function = nullptr;
  const manifest::HttpEvent* event = nullptr;
  std::string method;  // upper-case, "ANY" for any
  std::string path;    // "/hello/{id}"; "*" for httpApi's $default
  std::optional<manifest::RouteAuthorizer> authorizer;
  std::vector<std::string> scopes;  // httpApi authorizer.scopes
};

// Where the service's functions are: what integrations and authorizers point at.
struct ApiContext {
  const manifest::Service& service;
  std::string region;
  std::string account;
};

// The routes of one kind (REST for `http`, HTTP API for `httpApi`) of every function of the
// service, in manifest order. Throws fx::Error, the event's file:line:col first, for an
// authorizer fx cannot deploy to AWS.
std::vector<ApiRoute> api_routes(const manifest::Service& service, manifest::HttpApi api);

// The ARN API Gateway invokes for a function: its alias `provisioned` when it has provisioned
// concurrency (as the framework wires its events), else the function itself.
std::string invoked_arn(const ApiContext& context, const manifest::Function& f);
// The key of the service's function an integration or authorizer URI (or a function ARN)
// invokes, or "?" when it is none of them.
std::string function_key_of(const manifest::Service& service, const std::string& uri);
// A deployed function's ARN by its deployed name (an authorizer's).
std::string function_arn(const ApiContext& context, const std::string& name);
// arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/ARN/invocations
std::string invocation_uri(const std::string& region, const std::string& function_arn);

// A deployed API, found by name and fx's tags.
struct FoundApi {
  std::string id;
  std::string json;  // the API as API Gateway answered it
};

std::string api_name(const manifest::Service& service);
// The API of this service among those `list_path` lists ("/v2/apis", "/restapis"): named
// api_name and tagged as fx's for the service. `id_field` is where its id is ("apiId", "id").
std::optional<FoundApi> find_tagged_api(fx::aws::ApiGatewayClient& gateway,
                                        const manifest::Service& service,
                                        const std::string& list_path, const char* id_field);

// What a sync did to one API.
struct ApiSync {
  std::string id;
  std::string url;     // the invoke URL ("" when the service has no such routes)
  std::string status;  // created, updated, unchanged, deleted, or "" (none, and none wanted)
  std::map<std::string, std::vector<std::string>> routes;  // function key → route lines
  std::vector<std::string> warnings;
};

// Lets API Gateway (the API `api_id`) invoke the functions of `routes` and of their Lambda
// authorizers: one statement each, added when missing or different. Returns whether anything
// changed; a function not deployed is named in `warnings`.
bool sync_api_permissions(lambda::LambdaClient& lambda, const ApiContext& context,
                          const std::vector<ApiRoute>& routes, const std::string& api_id,
                          const std::string& sid, std::vector<std::string>& warnings);

// http_api.cpp: the service's HTTP API brought to its httpApi routes (created, updated, or
// deleted when it has none). Reads first: an unchanged service is only read.
ApiSync sync_http_api(fx::aws::ApiGatewayClient& gateway, lambda::LambdaClient& lambda,
                      const ApiContext& context);
std::optional<FoundApi> find_http_api(fx::aws::ApiGatewayClient& gateway,
                                      const manifest::Service& service);
// The deployed HTTP API's URL and route lines (function key → lines), for fx info.
ApiSync describe_http_api(fx::aws::ApiGatewayClient& gateway, const ApiContext& context);

// rest_api.cpp: likewise for the REST API of the http routes, deployed to a stage named after
// the fx stage.
ApiSync sync_rest_api(fx::aws::ApiGatewayClient& gateway, lambda::LambdaClient& lambda,
                      const ApiContext& context);
std::optional<FoundApi> find_rest_api(fx::aws::ApiGatewayClient& gateway,
                                      const manifest::Service& service);
ApiSync describe_rest_api(fx::aws::ApiGatewayClient& gateway, const ApiContext& context);

}  // namespace fx::targets::aws
