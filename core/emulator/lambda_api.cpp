// The Lambda API as the emulator serves it: the control plane (functions, code, configuration,
// concurrency, tags, layers, event source mappings) and the Invoke API.
#include "core/emulator/emulator_front.h"

namespace fx::emulator::front {

void Emulator::route_layers(HttpRequest& req, const std::shared_ptr<Responder>& r,
                            std::string_view rest) {
  // rest: "NAME/versions" or "NAME/versions/N"
  auto slash = rest.find('/');
  std::string name = url_decode(rest.substr(0, slash));
  std::string_view tail = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  bool valid_name = !name.empty() && name.size() <= 140;
  for (char c : name)
    valid_name &= std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  if (!valid_name)
    throw lambda::ApiError(
        400, "ValidationException",
        fmt::format("1 validation error detected: Value '{}' at 'layerName' failed to satisfy "
                    "constraint: Member must satisfy regular expression pattern: "
                    "[a-zA-Z0-9-_]+",
                    name.substr(0, 200)));
  const std::string region = request_region(req, options_.region);
  if (tail == "versions" && req.method == "POST") {
    auto request =
        std::make_shared<PublishLayerVersionRequest>(parse_publish_layer_version(req.body));
    req.body.clear();
    CodeLimits limits;
    limits.operation = "PublishLayerVersion";
    off_io_thread<StoredCode>(
        r, [this, request, limits] { return code_.put(request->zip_file, limits); },
        [this, r, request, name, region](StoredCode& code) {
          auto& versions = layers_[name];
          LayerEntry e;
          e.code = code;
          e.meta.layer_arn =
              fmt::format("arn:aws:lambda:{}:{}:layer:{}", region, lambda::kLocalAccount, name);
          e.meta.version = versions.empty() ? 1 : versions.back().meta.version + 1;
          e.meta.version_arn = fmt::format("{}:{}", e.meta.layer_arn, e.meta.version);
          e.meta.code_sha256 = e.code.code_sha256;
          e.meta.code_size = e.code.size;
          e.meta.description = request->description;
          e.meta.compatible_runtimes = request->compatible_runtimes;
          std::string out = lambda::to_json(e.meta);
          sink_.put_layer({name, e.meta.version, out, e.code.sha256_hex});
          sink_.flush();
          versions.push_back(std::move(e));
          r->send(HttpResponse::json(201, std::move(out)));
        });
    return;
  }
  auto it = layers_.find(name);
  if (tail == "versions" && req.method == "GET") return list_layer_versions(name, req, *r);
  if (tail.starts_with("versions/") && req.method == "GET" && it != layers_.end()) {
    std::string_view number = tail.substr(9);
    long n = 0;
    bool numeric = !number.empty() && number.size() <= 18;
    for (char c : number) {
      numeric &= c >= '0' && c <= '9';
      if (numeric) n = n * 10 + (c - '0');
    }
    if (numeric)
      for (const auto& v : it->second)
        if (v.meta.version == n) return r->send(HttpResponse::json(200, lambda::to_json(v.meta)));
  }
  if (tail != "versions" && !tail.starts_with("versions/"))
    throw lambda::ApiError(404, "UnknownOperationException",
                           fmt::format("Unknown operation {} {}", req.method, req.path));
  throw lambda::ApiError(
      404, "ResourceNotFoundException",
      fmt::format("Layer version {}:{} does not exist.", name, tail.substr(tail.find('/') + 1)));
}

void Emulator::route_lambda(HttpRequest& req, const std::shared_ptr<Responder>& r,
                            std::string_view rest) {
  if (rest.empty() || rest == "/") {
    if (req.method == "POST") return create_function(req, r);
    if (req.method == "GET") return list_functions(req, *r);
    throw lambda::ApiError(405, "UnknownOperationException",
                           fmt::format("Unknown operation {} {}", req.method, req.path));
  }
  if (rest.front() != '/')
    throw lambda::ApiError(404, "UnknownOperationException",
                           fmt::format("Unknown operation {} {}", req.method, req.path));
  rest.remove_prefix(1);
  auto slash = rest.find('/');
  auto ref = checked_function_ref(url_decode(rest.substr(0, slash)));
  std::string_view action = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  const auto& fn = existing(ref.name, req);

  if (action == "versions" || action == "aliases" || action.starts_with("aliases/"))
    return route_versions(ref.name, action, req, r);
  if (action == "invocations" && req.method == "POST")
    return invoke(ref.name, qualifier_of(ref, req), req, r);
  if ((action.empty() || action == "configuration") && req.method == "GET") {
    // GetFunction and GetFunctionConfiguration of a version or alias: that version's.
    auto target = resolve(ref.name, qualifier_of(ref, req), req, false);
    if (action == "configuration")
      return r->send(HttpResponse::json(200, version_config_json(target)));
    json j = get_function_json(*target.fn);
    j["Configuration"] = json::parse(version_config_json(target));
    j["Tags"] = fn.spec.config.tags;
    if (fn.spec.config.reserved_concurrency)
      j["Concurrency"] = {{"ReservedConcurrentExecutions", *fn.spec.config.reserved_concurrency}};
    return r->send(HttpResponse::json(200, j.dump()));
  }
  if (action == "configuration" && req.method == "PUT")
    return update_configuration(ref.name, req, r);
  if (action == "code" && req.method == "PUT") return update_code(ref.name, req, r);
  if (action == "policy" || action.starts_with("policy/"))
    return function_policy(fn, qualifier_of(ref, req), action, req, *r);
  if (action.empty() && req.method == "DELETE") {
    if (auto qualifier = qualifier_of(ref, req); !qualifier.empty())
      return delete_version(ref.name, qualifier, req, *r);
    drop_versions(ref.name);
    drop_api_mappings(ref.name);  // Lambda's mappings go with their function
    drop_invoke_config(ref.name);
    drop_policy(ref.name);
    drop_function_urls(ref.name);
    pool_.remove(ref.name);
    sha_by_function_.erase(ref.name);
    sink_.delete_function(ref.name);
    sink_.flush();
    HttpResponse res;
    res.status = 204;
    return r->send(std::move(res));
  }
  throw lambda::ApiError(404, "UnknownOperationException",
                         fmt::format("Unknown operation {} {}", req.method, req.path));
}

json Emulator::get_function_json(const FunctionState& fn) {
  json j = {{"Configuration", json::parse(lambda::to_json(fn.spec.config))},
            {"Code",
             {{"RepositoryType", "S3"},
              {"Location", fmt::format("{}/_fx/v1/code/{}", url_, fn.spec.config.function_name)}}},
            {"Tags", fn.spec.config.tags}};
  if (fn.spec.config.reserved_concurrency)
    j["Concurrency"] = {{"ReservedConcurrentExecutions", *fn.spec.config.reserved_concurrency}};
  return j;
}

namespace {

// What the code worker hands back: the stored code and the function's layers merged.
struct UnpackedCode {
  StoredCode code;
  fs::path opt_dir;
};

// The runtime's warnings (interpreter, deprecation), said again at every deploy; an
// FxInterpreter that cannot run the runtime is the request's error.
std::vector<std::string> runtime_warnings(runtimes::RuntimeResolver& resolver,
                                          const lambda::FunctionConfiguration& c) {
  try {
    return runtimes::deploy_warnings(resolver, c.runtime, c.interpreter, runtimes::today_utc());
  } catch (const runtimes::InvalidInterpreter& e) {
    throw lambda::ApiError(400, "InvalidParameterValueException",
                           fmt::format("FxInterpreter: {}", e.what()));
  }
}

}  // namespace

void Emulator::create_function(HttpRequest& req, const std::shared_ptr<Responder>& r) {
  auto request = std::make_shared<CreateFunctionRequest>(parse_create_function(req.body));
  req.body.clear();
  auto ref = checked_function_ref(request->function_name);
  if (pool_.find(ref.name))
    throw lambda::ApiError(409, "ResourceConflictException", "Function already exist: " + ref.name);
  auto spec = std::make_shared<FunctionSpec>();
  spec->region = request_region(req, options_.region);
  auto& c = spec->config;
  c.function_name = ref.name;
  c.function_arn = lambda::function_arn(spec->region, lambda::kLocalAccount, ref.name);
  // The emulator runs no IAM: a function without a role gets one that names the emulator.
  c.role = fmt::format("arn:aws:iam::{}:role/fx-local", lambda::kLocalAccount);
  apply_config(c, request->config);
  c.tags = request->tags;
  auto layers = layer_codes(c.layers);
  CodeLimits limits;
  limits.operation = "CreateFunction";
  limits.unzipped_used = unzipped_size(layers);
  off_io_thread<UnpackedCode>(
      r,
      [this, request, layers, limits] {
        UnpackedCode out;
        out.code = code_.put(request->zip_file, limits);
        out.opt_dir = merge_layers(options_.home, layers);
        return out;
      },
      [this, r, spec, publish = request->publish](UnpackedCode& unpacked) {
        auto& c = spec->config;
        // Another CreateFunction of the same name may have finished while this one unpacked.
        if (pool_.find(c.function_name))
          throw lambda::ApiError(409, "ResourceConflictException",
                                 "Function already exist: " + c.function_name);
        c.code_sha256 = unpacked.code.code_sha256;
        c.code_size = unpacked.code.size;
        c.last_modified = lambda_timestamp();
        c.revision_id = new_request_id();
        spec->code_dir = unpacked.code.dir;
        spec->opt_dir = unpacked.opt_dir;
        c.warnings = runtime_warnings(runtimes_, c);
        std::string out = lambda::to_json(c);
        save(*spec, unpacked.code.sha256_hex);
        const std::string name = c.function_name, region = spec->region;
        pool_.deploy(std::move(*spec));
        // Publish: Lambda answers with the version it published.
        if (publish) out = publish_version(name, {}, region).dump();
        r->send(HttpResponse::json(201, std::move(out)));
      });
}

void Emulator::update_code(const std::string& name, HttpRequest& req,
                           const std::shared_ptr<Responder>& r) {
  bool publish = false;
  auto zip = std::make_shared<std::string>(parse_update_code(req.body, &publish));
  req.body.clear();
  CodeLimits limits;
  limits.operation = "UpdateFunctionCode";
  limits.unzipped_used = unzipped_size(layer_codes(existing(name, req).spec.config.layers));
  off_io_thread<StoredCode>(
      r, [this, zip, limits] { return code_.put(*zip, limits); },
      [this, r, name, publish,
       req_region = request_region(req, options_.region)](StoredCode& stored) {
        const auto* fn = pool_.find(name);
        if (!fn)  // deleted while its new code unpacked
          throw lambda::ApiError(404, "ResourceNotFoundException",
                                 "Function not found: " +
                                     lambda::function_arn(req_region, lambda::kLocalAccount, name));
        FunctionSpec spec = fn->spec;
        spec.config.code_sha256 = stored.code_sha256;
        spec.config.code_size = stored.size;
        spec.config.last_modified = lambda_timestamp();
        spec.config.revision_id = new_request_id();
        spec.config.warnings = runtime_warnings(runtimes_, spec.config);
        spec.code_dir = stored.dir;
        std::string out = lambda::to_json(spec.config);
        save(spec, stored.sha256_hex);
        pool_.deploy(std::move(spec));
        if (publish) out = publish_version(name, {}, req_region).dump();
        r->send(HttpResponse::json(200, std::move(out)));
      });
}

void Emulator::update_configuration(const std::string& name, HttpRequest& req,
                                    const std::shared_ptr<Responder>& r) {
  auto fields = parse_update_configuration(req.body);
  const auto& fn = existing(name, req);
  auto spec = std::make_shared<FunctionSpec>(fn.spec);
  apply_config(spec->config, fields);
  auto layers = layer_codes(spec->config.layers);
  if (fields.layers) {
    // Lambda's cap is on the function's code and all its layers together.
    std::uint64_t total = unzipped_size(layers) +
                          static_cast<std::uint64_t>(code_.get(code_sha_hex(fn)).unzipped_size);
    if (total >= kMaxUnzippedBytes)
      throw lambda::ApiError(
          400, "InvalidParameterValueException",
          fmt::format("Function code combined with layers exceeds the maximum allowed size of "
                      "{} bytes. The actual size is {} bytes.",
                      kMaxUnzippedBytes, total));
  }
  off_io_thread<fs::path>(
      r, [this, layers] { return merge_layers(options_.home, layers); },
      [this, r, spec, name](fs::path& opt_dir) {
        const auto* fn = pool_.find(name);
        if (!fn)
          throw lambda::ApiError(404, "ResourceNotFoundException", "Function not found: " + name);
        // Code deployed meanwhile stays: only the configuration changes here.
        spec->code_dir = fn->spec.code_dir;
        spec->config.code_sha256 = fn->spec.config.code_sha256;
        spec->config.code_size = fn->spec.config.code_size;
        spec->config.tags = fn->spec.config.tags;
        spec->config.reserved_concurrency = fn->spec.config.reserved_concurrency;
        spec->opt_dir = opt_dir;
        spec->config.last_modified = lambda_timestamp();
        spec->config.revision_id = new_request_id();
        spec->config.warnings = runtime_warnings(runtimes_, spec->config);
        std::string out = lambda::to_json(spec->config);
        save(*spec, code_sha_hex(*fn));
        pool_.deploy(std::move(*spec));
        r->send(HttpResponse::json(200, std::move(out)));
      });
}

void Emulator::concurrency(const std::string& name, HttpRequest& req, Responder& r) {
  const auto& fn = existing(name, req);
  FunctionSpec spec = fn.spec;
  if (req.method == "GET") {
    json j = json::object();
    if (spec.config.reserved_concurrency)
      j["ReservedConcurrentExecutions"] = *spec.config.reserved_concurrency;
    return r.send(HttpResponse::json(200, j.dump()));
  }
  if (req.method == "PUT") {
    spec.config.reserved_concurrency = parse_put_concurrency(req.body);
  } else if (req.method == "DELETE") {
    spec.config.reserved_concurrency.reset();
  } else {
    throw lambda::ApiError(405, "UnknownOperationException",
                           fmt::format("Unknown operation {} {}", req.method, req.path));
  }
  save(spec, code_sha_hex(fn));
  pool_.deploy(std::move(spec));
  if (req.method == "DELETE") {
    HttpResponse res;
    res.status = 204;
    return r.send(std::move(res));
  }
  r.send(HttpResponse::json(200, json{{"ReservedConcurrentExecutions",
                                       *pool_.find(name)->spec.config.reserved_concurrency}}
                                     .dump()));
}

// ListTags, TagResource and UntagResource on /2017-03-31/tags/ARN.
void Emulator::tags(const std::string& name, HttpRequest& req, Responder& r) {
  const auto& fn = existing(name, req);
  if (req.method == "GET")
    return r.send(HttpResponse::json(200, json{{"Tags", fn.spec.config.tags}}.dump()));
  auto tags = fn.spec.config.tags;
  if (req.method == "POST") {
    for (auto& [key, value] : parse_tag_resource(req.body)) tags[key] = std::move(value);
    if (tags.size() > 50)
      throw lambda::ApiError(400, "InvalidParameterValueException",
                             "A function can have at most 50 tags");
  } else if (req.method == "DELETE") {
    for (const auto& key : req.query_params("tagKeys")) tags.erase(key);
  } else {
    throw lambda::ApiError(405, "UnknownOperationException",
                           fmt::format("Unknown operation {} {}", req.method, req.path));
  }
  FunctionSpec spec = fn.spec;
  spec.config.tags = tags;
  save(spec, code_sha_hex(fn));
  pool_.set_tags(name, std::move(tags));
  HttpResponse res;
  res.status = 204;
  r.send(std::move(res));
}

void Emulator::invoke(const std::string& name, const std::string& qualifier, HttpRequest& req,
                      const std::shared_ptr<Responder>& r) {
  // The version this call runs (an alias's routing draws here), or Lambda's 404.
  const Target target = resolve(name, qualifier, req, true);
  std::string type(req.header("X-Amz-Invocation-Type"));
  if (type.empty()) type = "RequestResponse";
  if (type != "RequestResponse" && type != "Event" && type != "DryRun")
    throw lambda::ApiError(
        400, "InvalidParameterValueException",
        fmt::format("1 validation error detected: Value '{}' at 'invocationType' failed to "
                    "satisfy constraint: Member must satisfy enum value set: [Event, "
                    "RequestResponse, DryRun]",
                    type.substr(0, 64)));
  if (auto log_type = req.header("X-Amz-Log-Type");
      !log_type.empty() && log_type != "None" && log_type != "Tail")
    throw lambda::ApiError(
        400, "InvalidParameterValueException",
        fmt::format("1 validation error detected: Value '{}' at 'logType' failed to satisfy "
                    "constraint: Member must satisfy enum value set: [None, Tail]",
                    log_type.substr(0, 64)));
  bool async = type == "Event";
  if (req.body.size() > (async ? kAsyncPayloadLimit : kSyncPayloadLimit))
    throw request_too_large(async ? kAsyncPayloadLimit : kSyncPayloadLimit, "InvokeFunction");
  std::string payload = req.body.empty() ? "{}" : std::move(req.body);
  if (!json::accept(payload))
    throw lambda::ApiError(
        400, "InvalidRequestContentException",
        "Could not parse request body into json: the payload is not valid JSON (or not UTF-8)");
  if (type == "DryRun") {
    HttpResponse res;
    res.status = 204;
    return r->send(std::move(res));
  }
  auto inv = std::make_shared<Invocation>();
  inv->request_id = new_request_id();
  inv->payload = std::move(payload);
  inv->async = async;
  if (!qualifier.empty()) inv->invoked_arn = target.arn;
  if (auto cc = req.header("X-Amz-Client-Context"); !cc.empty()) {
    // Lambda's limit on the client context is 3583 bytes of base64.
    if (cc.size() > 3583)
      throw lambda::ApiError(400, "InvalidParameterValueException",
                             "Client context must be 3583 bytes or less");
    try {
      inv->client_context = util::base64_decode(cc);
    } catch (const Error&) {
      throw lambda::ApiError(400, "InvalidRequestContentException",
                             "X-Amz-Client-Context is not valid base64");
    }
    if (!json::accept(inv->client_context))
      throw lambda::ApiError(400, "InvalidRequestContentException",
                             "Client context must be a valid JSON object, base64-encoded");
  }
  if (async) {
    // Stored before the 202: an accepted event survives a crash of the emulator.
    // Through an alias: submitted under the alias, whose invoke config applies (and whose
    // version is chosen when each attempt runs).
    events_.submit_async(target.alias.empty() ? target.key : pool_key(name, target.alias),
                         std::move(inv->payload), inv->request_id);
    HttpResponse res;
    res.status = 202;
    res.set("x-amzn-RequestId", inv->request_id);
    return r->send(std::move(res));
  }
  bool tail = req.header("X-Amz-Log-Type") == "Tail";
  inv->done = [r, tail, version = target.version](InvocationResult result) {
    HttpResponse res;
    res.status = result.status;
    res.body = std::move(result.body);
    res.set("Content-Type", "application/json");
    res.set("x-amzn-RequestId", result.request_id);
    if (!result.error_type.empty()) {
      res.set("x-amzn-ErrorType", result.error_type);
      if (result.status == 429) res.set("Retry-After", "1");
    } else {
      res.set("X-Amz-Executed-Version", version);
    }
    if (!result.function_error.empty()) res.set("X-Amz-Function-Error", result.function_error);
    if (tail && result.error_type.empty())
      res.set("X-Amz-Log-Result", util::base64_encode(result.log_tail));
    r->send(std::move(res));
  };
  pool_.invoke(target.key, std::move(inv));
}

// ListEventSourceMappings and GetEventSourceMapping (the writes: lambda_extras.cpp).
void Emulator::event_source_mappings(HttpRequest& req, Responder& r, std::string_view rest) {
  if (!rest.empty() && rest != "/") {
    if (rest.front() != '/' || rest.find('/', 1) != std::string_view::npos)
      throw lambda::ApiError(404, "UnknownOperationException",
                             fmt::format("Unknown operation {} {}", req.method, req.path));
    const std::string uuid = url_decode(rest.substr(1));
    for (const auto* m : all_mappings())
      if (m->uuid == uuid)
        return r.send(HttpResponse::json(200, sources::mapping_json(*m, options_.region)));
    throw lambda::ApiError(404, "ResourceNotFoundException",
                           "The resource you requested does not exist.");
  }
  auto param = [&req](std::string_view name) -> std::optional<std::string> {
    auto values = req.query_params(name, true);
    if (values.empty()) return std::nullopt;
    return std::move(values.front());
  };
  const auto q = checked_list_mappings_query(param("FunctionName"), param("EventSourceArn"),
                                             param("Marker"), param("MaxItems"));
  std::vector<const sources::EventSourceMapping*> matching;
  for (const auto* m : all_mappings())
    if ((q.function.empty() || m->function == q.function) &&
        (q.source_arn.empty() || m->source_arn == q.source_arn))
      matching.push_back(m);
  // A page starts at the mapping its marker names (the UUID this answered as NextMarker).
  std::size_t start = 0;
  if (!q.marker.empty()) {
    while (start < matching.size() && matching[start]->uuid != q.marker) ++start;
    if (start == matching.size())
      throw lambda::ApiError(
          400, "InvalidParameterValueException",
          fmt::format("Marker '{}' names no event source mapping of this list: send the "
                      "NextMarker of the previous page",
                      q.marker.size() > 200 ? q.marker.substr(0, 200) + "..." : q.marker));
  }
  const std::size_t end = std::min(matching.size(), start + static_cast<std::size_t>(q.max_items));
  std::string list;
  for (std::size_t i = start; i < end; ++i)
    list += (list.empty() ? "" : ",") + sources::mapping_json(*matching[i], options_.region);
  std::string body = R"({"EventSourceMappings":[)" + list + "]";
  if (end < matching.size())
    body += R"(,"NextMarker":)" + nlohmann::json(matching[end]->uuid).dump();
  r.send(HttpResponse::json(200, body + "}"));
}

}  // namespace fx::emulator::front
