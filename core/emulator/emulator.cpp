// The emulator's front door: each request of the main port is authorized, checked against its
// operation's size limit and routed to the Lambda API, fx's own endpoints, or an error shaped the
// way AWS SDKs expect; an exception always has someone to answer it.
#include "core/emulator/emulator_front.h"

#include "core/dynamodb/api.h"
#include "core/dynamodb/streams_api.h"
#include "core/secrets/api.h"
#include "core/sns/api.h"

namespace fx::emulator::front {

std::uint64_t Emulator::unzipped_size(const std::vector<StoredCode>& codes) {
  std::uint64_t total = 0;
  for (const auto& c : codes) total += static_cast<std::uint64_t>(c.unzipped_size);
  return total;
}

std::vector<StoredCode> Emulator::layer_codes(const std::vector<std::string>& arns) const {
  std::vector<StoredCode> out;
  for (const auto& arn : arns) {
    const LayerEntry* found = nullptr;
    for (const auto& [name, versions] : layers_)
      for (const auto& v : versions)
        if (v.meta.version_arn == arn) found = &v;
    if (!found)
      throw lambda::ApiError(400, "InvalidParameterValueException",
                             fmt::format("Layer version {} does not exist.", arn));
    out.push_back(found->code);
  }
  return out;
}

fs::path Emulator::merge_layers(const fs::path& home, const std::vector<StoredCode>& layers) {
  if (layers.empty()) return {};
  std::string key;
  for (const auto& code : layers) key += code.sha256_hex;
  fs::path dir = home / "opt" / util::sha256_hex(key).substr(0, 32);
  if (fs::exists(dir / ".fx-complete")) return dir;
  fs::path tmp = dir.string() + ".tmp";
  util::remove_tree(tmp);
  fs::create_directories(tmp);
  for (const auto& code : layers) {
    fs::copy(code.dir, tmp, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    // The copies keep the layer's read-only modes; a later layer overwrites some of them.
    util::remove_tree(tmp / ".fx-complete");
    util::make_tree_writable(tmp);
  }
  std::ofstream(tmp / ".fx-complete").put('\n');
  util::make_tree_read_only(tmp);
  util::remove_tree(dir);
  fs::rename(tmp, dir);
  return dir;
}

namespace {

// The operation a request is, as Lambda names it in its 413s, and its body limit.
std::pair<std::string_view, std::size_t> body_limit_of(const HttpRequest& head) {
  std::string_view path = head.path;
  if (path.starts_with("/2015-03-31/functions")) {
    if (head.method == "POST" &&
        (path == "/2015-03-31/functions" || path == "/2015-03-31/functions/"))
      return {"CreateFunction", kMaxCreateFunctionRequestBytes};
    if (head.method == "PUT" && path.ends_with("/code"))
      return {"UpdateFunctionCode", kMaxUpdateCodeRequestBytes};
    if (head.method == "POST" && path.ends_with("/invocations"))
      return {"InvokeFunction", head.header("X-Amz-Invocation-Type") == "Event"
                                    ? kAsyncPayloadLimit
                                    : kSyncPayloadLimit};
  }
  if (path.starts_with("/2018-10-31/layers/") && head.method == "POST")
    return {"PublishLayerVersion", kMaxCreateFunctionRequestBytes};
  // SQS: a batch of ten 256 KB messages and its JSON; fx's own API: a service's events and a
  // price table.
  if (head.header("X-Amz-Target").starts_with("AmazonSQS.") || path.starts_with("/_fx/"))
    return {"", 8 * 1024 * 1024};
  if (dynamodb::is_dynamodb_target(head.header("X-Amz-Target")))
    return {"", dynamodb::kMaxRequestBytes};
  if (SecretsService::serves(head)) return {"", secrets::kMaxRequestBytes};
  if (SnsService::serves(head)) return {"", sns::kMaxRequestBytes};
  if (S3Service::serves(head)) return {"", S3Service::body_limit(head)};
  return {"", kMaxControlRequestBytes};
}
}  // namespace

HttpServerOptions Emulator::server_options() const {
  HttpServerOptions o;
  o.body_limit = kMaxControlRequestBytes;
  o.body_limit_for = [](const HttpRequest& head) { return body_limit_of(head).second; };
  // S3's uploads go to a file as they arrive: an object is never whole in memory.
  o.spool_body = [this](const HttpRequest& head) { return s3_.spool_path(head); };
  o.too_large = [](const HttpRequest& head, std::size_t limit) {
    if (S3Service::serves(head))
      return S3Service::shaped(service_error(413, "EntityTooLarge",
                                             "Your proposed upload exceeds the maximum allowed "
                                             "object size."),
                               head.method == "HEAD");
    auto operation = body_limit_of(head).first;
    if (SnsService::serves(head))  // SNS's SDKs read only its XML errors
      return sns_shaped(service_error(413, "RequestEntityTooLarge",
                                      fmt::format("Request must be smaller than {} bytes", limit)));
    if (operation.empty())
      return service_error(413, "RequestEntityTooLargeException",
                           fmt::format("Request must be smaller than {} bytes", limit));
    return error_response(std::make_exception_ptr(request_too_large(limit, operation)));
  };
  return o;
}

void Emulator::save(const FunctionSpec& spec, const std::string& sha_hex) {
  sha_by_function_[spec.config.function_name] = sha_hex;
  sink_.put_function(
      {spec.config.function_name, stored_json(spec, sha_hex), sha_hex, util::now_ms()});
  // A deploy is answered only once it would survive a crash of the emulator.
  sink_.flush();
}

std::string Emulator::code_sha_hex(const FunctionState& fn) const {
  auto it = sha_by_function_.find(fn.spec.config.function_name);
  return it == sha_by_function_.end() ? fn.spec.code_dir.filename().string() : it->second;
}

const FunctionState& Emulator::existing(const std::string& name, const HttpRequest& req) const {
  const auto* fn = pool_.find(name);
  if (!fn)
    throw lambda::ApiError(404, "ResourceNotFoundException",
                           fmt::format("Function not found: {}",
                                       lambda::function_arn(request_region(req, options_.region),
                                                            lambda::kLocalAccount, name)));
  return *fn;
}

void Emulator::route(HttpRequest& req, std::shared_ptr<Responder> r) {
  try {
    dispatch(req, r);
  } catch (...) {
    // Refused before SQS saw it (authorization, size): in SQS's JSON shape, which its SDKs
    // read the error's code from (the Lambda shape's x-amzn-ErrorType they ignore).
    if (req.header("X-Amz-Target").starts_with("AmazonSQS.") && !r->sent())
      return r->send(sqs_shaped(error_response(std::current_exception())));
    // Likewise SNS's SDKs read only its XML error.
    if (SnsService::serves(req) && !r->sent())
      return r->send(sns_shaped(error_response(std::current_exception())));
    // S3's clients read its XML errors only.
    if (S3Service::serves(req) && !r->sent())
      return r->send(
          S3Service::shaped(error_response(std::current_exception()), req.method == "HEAD"));
    answer_error(*r, std::current_exception());
  }
}

// Whether a Host header names this emulator: a loopback name, or the address it listens
// on. A page whose own name resolves to 127.0.0.1 (DNS rebinding) sends its own name.
bool Emulator::host_is_ours(std::string_view host) const {
  if (host.empty()) return true;  // HTTP/1.0 clients; browsers always send one
  std::string_view name = host;
  if (name.starts_with('[')) {
    name = name.substr(0, name.find(']') + 1);
  } else if (auto colon = name.rfind(':'); colon != std::string_view::npos) {
    name = name.substr(0, colon);
  }
  std::string lower(name);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "localhost" || lower.ends_with(".localhost") || lower == "[::1]" ||
      lower.starts_with("127."))
    return true;
  const std::string& address = options_.address;
  if (address == "0.0.0.0" || address == "::") return true;  // anywhere: the token guards it
  return lower == address || lower == "[" + address + "]";
}

// Who may call the main port. A web page must never: browsers send Origin (and Sec-Fetch-*)
// on what a page makes them send, and cannot add Authorization to a cross-site request
// without a preflight this server never approves. So every call needs a credential: fx's
// token (Bearer or X-Fx-Token), or for the AWS APIs an AWS signature (any, as AWS's own
// local tools accept) unless the emulator was given a token, which then is the only key
// besides the instances' own credentials (checked as AWS checks SigV4).
void Emulator::authorize(const HttpRequest& req) const {
  if (!host_is_ours(req.header("Host")))
    throw lambda::ApiError(
        403, "AccessDeniedException",
        fmt::format("the Host header '{}' names neither this emulator nor loopback; requests "
                    "that a web page sends through DNS rebinding are refused",
                    req.header("Host").substr(0, 200)));
  // S3: a browser's preflight carries no credentials (the bucket's CORS configuration answers
  // it), and a page may upload or download with a presigned URL, but only one signed with the
  // instances' credentials: the emulator can verify those (the page got it from a function).
  bool presigned_elsewhere = false;
  if (S3Service::serves(req)) {
    if (S3Service::is_preflight(req)) return;
    switch (check_presigned(req, credentials_, std::chrono::system_clock::now())) {
      case Presigned::valid:
        return;
      case Presigned::unverified:
        presigned_elsewhere = true;
        break;
      case Presigned::none:
        break;
    }
  }
  auto origin = req.header("Origin");
  auto fetch_site = req.header("Sec-Fetch-Site");
  if (!origin.empty() || (!fetch_site.empty() && fetch_site != "none"))
    throw lambda::ApiError(
        403, "AccessDeniedException",
        fmt::format("requests from web pages{} are refused by the emulator's API; a page may "
                    "call the functions' HTTP routes on the gateway ({})",
                    origin.empty() ? "" : fmt::format(" (Origin: {})", origin.substr(0, 200)),
                    gateway_url_));
  std::string_view auth = req.header("Authorization");
  std::string_view sent = req.header("X-Fx-Token");
  if (sent.empty() && auth.starts_with("Bearer ")) sent = auth.substr(7);
  const bool fx_api = req.path.starts_with("/_fx/");
  if (!sent.empty()) {
    if (!same_secret(sent, options_.token))
      throw lambda::ApiError(401, "UnrecognizedClientException",
                             "the token in the request is not this fx emulator's");
    return;
  }
  // The instances' own calls (their SDK signs with the credentials the emulator gave them):
  // verified, and then as good as the token for the AWS APIs.
  if (!fx_api && check_instance_signature(req, credentials_, std::chrono::system_clock::now()) ==
                     InstanceSignature::valid)
    return;
  if (fx_api || options_.shared) {
    // Says whether the token was missing or wrong: the two have different fixes. A SigV4
    // Authorization (the AWS CLI, SDKs) carries no fx token, so it counts as missing.
    throw lambda::ApiError(401, "UnrecognizedClientException",
                           options_.shared
                               ? "this fx emulator requires a token and the request has none"
                               : "fx's own API requires the emulator's token (in FX_HOME/token) "
                                 "and the request has none");
  }
  if (!auth.starts_with("AWS4-HMAC-SHA256 ") && !presigned_elsewhere)
    throw lambda::ApiError(
        403, "MissingAuthenticationTokenException",
        "Missing Authentication Token: sign the request as the AWS CLI and SDKs do (any "
        "credentials will do for the local emulator), or send the emulator's token");
}

void Emulator::dispatch(HttpRequest& req, const std::shared_ptr<Responder>& r) {
  std::string_view path = req.path;
  authorize(req);
  // SQS's JSON protocol: POST with X-Amz-Target, to "/" or to a queue's URL.
  if (req.method == "POST" && req.header("X-Amz-Target").starts_with("AmazonSQS."))
    return queues_.handle(req, r, url_);
  // DynamoDB and DynamoDB Streams share the endpoint (and the store's worker thread).
  if (req.method == "POST" && (dynamodb::is_dynamodb_target(req.header("X-Amz-Target")) ||
                               dynamodb::is_streams_target(req.header("X-Amz-Target"))))
    return dynamodb_.handle(req, r);
  // SSM Parameter Store and Secrets Manager (core/emulator/secrets_service.h).
  if (req.method == "POST" && SecretsService::serves(req)) return secrets_.handle(req, r);
  // SNS's Query protocol (core/emulator/sns_service.h).
  if (req.method == "POST" && SnsService::serves(req)) return sns_.handle(req, r, url_);
  // S3 (core/emulator/s3_service.h): by the signature's scope, an S3 host, or a preflight.
  if (S3Service::serves(req)) return s3_.handle(req, r);
  if (path.starts_with("/2015-03-31/functions")) return route_lambda(req, r, path.substr(21));
  if (path.starts_with("/2015-03-31/event-source-mappings") && req.method == "GET")
    return event_source_mappings(req, *r, path.substr(33));
  if ((path == "/2015-03-31/event-source-mappings" ||
       path == "/2015-03-31/event-source-mappings/") &&
      req.method == "POST")
    return create_mapping(req, *r);
  if (path.starts_with("/2015-03-31/event-source-mappings/") &&
      (req.method == "PUT" || req.method == "DELETE") && path.find('/', 34) == std::string::npos)
    return change_mapping(req, *r, url_decode(path.substr(34)));
  if ((path == "/2016-08-19/account-settings" || path == "/2016-08-19/account-settings/") &&
      req.method == "GET")
    return account_settings(*r);
  // GetFunctionConcurrency has its own API version; Put and Delete are on 2017-10-31.
  if (path.starts_with("/2019-09-30/functions/") && path.ends_with("/concurrency") &&
      path.size() > 22 + 12 && req.method == "GET") {
    auto ref = checked_function_ref(url_decode(path.substr(22, path.size() - 22 - 12)));
    return concurrency(ref.name, req, *r);
  }
  if (path.starts_with("/2021-10-31/functions/"))
    return function_url_config(req, *r, path.substr(22));
  if (path.starts_with("/2019-09-25/functions/"))
    return event_invoke_config(req, *r, path.substr(22));
  if ((path == "/2018-10-31/layers" || path == "/2018-10-31/layers/") && req.method == "GET")
    return list_layers(req, *r);
  if (path.starts_with("/2017-10-31/functions/") && path.ends_with("/concurrency") &&
      path.size() > 22 + 12) {
    auto ref = checked_function_ref(url_decode(path.substr(22, path.size() - 22 - 12)));
    return concurrency(ref.name, req, *r);
  }
  if (path.starts_with("/2017-03-31/tags/")) {
    // Tags take an ARN; the emulator also accepts a plain name.
    auto ref = checked_function_ref(url_decode(path.substr(17)));
    return tags(ref.name, req, *r);
  }
  if (path.starts_with("/2018-10-31/layers/")) return route_layers(req, r, path.substr(19));
  if (path.starts_with("/2019-09-30/functions/"))
    return provisioned_concurrency(req, *r, path.substr(22));
  if (path == "/_fx/v1/status") return fx_status(*r);
  if (path == "/_fx/v1/logs") return fx_logs(req, r);
  if (path == "/_fx/v1/reports") return fx_reports(req, *r);
  if (path == "/_fx/v1/cost") return fx_cost(req, r);
  if (path.starts_with("/_fx/v1/services/")) {
    try {
      return fx_service(url_decode(path.substr(17)), req, *r);
    } catch (const json::exception& e) {
      // fx deploy writes this document; anything else sending it is told what is wrong,
      // without nlohmann's "[json.exception.type_error.302]" prefix.
      std::string what = e.what();
      if (auto end = what.find("] "); what.starts_with("[json.") && end != std::string::npos)
        what = what.substr(end + 2);
      throw lambda::ApiError(400, "InvalidParameterValueException",
                             "the service's events document is not one fx deploy writes: " + what);
    }
  }
  if (path == "/_fx/v1/shutdown" && req.method == "POST") {
    r->send(HttpResponse::json(200, R"({"stopping":true})"));
    asio::post(io_, [this] { io_.stop(); });
    return;
  }
  if (path.starts_with("/_fx/v1/code/") && req.method == "GET") return fx_code(path.substr(13), *r);
  throw lambda::ApiError(404, "UnknownOperationException",
                         fmt::format("Unknown operation {} {}", req.method, req.path));
}

double Emulator::clock_speed() {
  // Tests run schedules and retry delays faster; nothing else reads this.
  const char* v = std::getenv("FX_EMULATOR_CLOCK_SPEED");
  double speed = v ? std::atof(v) : 1.0;
  return speed > 0 ? speed : 1.0;
}

// The gateway as this caller reaches it: a client on another machine knows the emulator by
// the name in its Host header, and the gateway listens on the same addresses.
std::string Emulator::gateway_url_for(const HttpRequest& req) const {
  std::string_view host = req.header("Host");
  auto port_at = host.starts_with('[') ? host.find("]:") : host.rfind(':');
  if (port_at != std::string_view::npos) host = host.substr(0, port_at + (host[0] == '[' ? 1 : 0));
  if (host.empty()) return gateway_url_;
  return fmt::format("http://{}{}", host, gateway_url_.substr(gateway_url_.rfind(':')));
}

}  // namespace fx::emulator::front
