// The Lambda API's documents: the control plane's request bodies as the emulator reads them
// (core/emulator/lambda_requests.h: CreateFunction, UpdateFunctionConfiguration,
// UpdateFunctionCode, PublishLayerVersion, PutFunctionConcurrency, TagResource), what the
// Invoke API takes as a function name, and the FunctionConfiguration and LayerVersion
// documents fx reads back from an emulator or from AWS (core/lambda/types.h).
//
// Input: the first line is a function name or ARN; the rest is a JSON document, read both as a
// FunctionConfiguration, as a LayerVersion and as each request body. Each read gives a value or
// throws fx::Error (a request, a 400 or 413 ApiError); a document read back from its own JSON
// is the same value.
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/emulator/lambda_requests.h"
#include "core/emulator/versions.h"
#include "core/lambda/types.h"
#include "core/util/error.h"
#include "tests/fuzz/fuzz_common.h"

using fx::fuzz::fail;

namespace {

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 140) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

template <class Read>
void read_document(std::string_view body, std::string_view what, Read read) {
  try {
    const auto value = read(body);
    const std::string once = fx::lambda::to_json(value);
    if (fx::lambda::to_json(read(once)) != once)
      fail("a document does not read back as itself", what);
  } catch (const fx::Error& e) {
    fx::fuzz::check_user_text(e.what(), body);
  }
}

// The control plane's request bodies: each parse gives a request or throws a 4xx ApiError
// in Lambda's words, never anything else; a CreateFunction that parses applies to a
// configuration or throws the same way.
template <class Parse>
void parse_request(std::string_view body, std::string_view what, Parse parse) {
  try {
    parse(body);
  } catch (const fx::lambda::ApiError& e) {
    if (e.status() != 400 && e.status() != 413)
      fail("a request body answered other than 400 or 413", what);
    fx::fuzz::check_user_text(e.what(), body);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  const std::string_view ref_text = input.substr(0, newline);
  const std::string_view body =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  if (auto ref = fx::lambda::parse_function_ref(ref_text)) {
    if (!valid_name(ref->name)) fail("parse_function_ref accepted a bad name", ref->name);
    if (ref_text.find(ref->name) == std::string_view::npos)
      fail("a function name that is not in the reference", ref_text);
  }
  read_document(body, "FunctionConfiguration", fx::lambda::configuration_from_json);
  read_document(body, "LayerVersion", fx::lambda::layer_version_from_json);
  using namespace fx::emulator;
  parse_request(body, "CreateFunction", [](std::string_view b) {
    auto request = parse_create_function(b);
    fx::lambda::FunctionConfiguration c;
    c.role = "arn:aws:iam::000000000000:role/fx-local";
    apply_config(c, request.config);
  });
  parse_request(body, "UpdateFunctionConfiguration", [](std::string_view b) {
    fx::lambda::FunctionConfiguration c;
    c.runtime = "python3.11";
    c.handler = "app.handler";
    c.role = "arn:aws:iam::000000000000:role/fx-local";
    apply_config(c, parse_update_configuration(b));
  });
  parse_request(body, "UpdateFunctionCode", [](std::string_view b) {
    bool publish = false;
    parse_update_code(b, &publish);
  });
  parse_request(body, "PublishVersion", parse_publish_version);
  parse_request(body, "CreateAlias", [](std::string_view b) { parse_alias_request(b, true); });
  parse_request(body, "UpdateAlias", [](std::string_view b) { parse_alias_request(b, false); });
  parse_request(body, "PutProvisionedConcurrencyConfig", parse_put_provisioned);
  parse_request(ref_text, "a qualifier", checked_qualifier);
  parse_request(body, "PublishLayerVersion", parse_publish_layer_version);
  parse_request(body, "PutFunctionConcurrency", parse_put_concurrency);
  parse_request(body, "TagResource", parse_tag_resource);
  parse_request(ref_text, "a function name", checked_function_ref);
  return 0;
}
