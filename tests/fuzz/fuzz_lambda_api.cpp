// Lambda API documents (core/lambda/types.h). Issue 13 asks for the control-plane request
// bodies (CreateFunction, UpdateFunctionConfiguration, PublishLayerVersion,
// PutFunctionConcurrency, TagResource); their parser is being written, and until it lands
// this target covers the pure functions that exist: what the Invoke API takes as a function
// name (parse_function_ref) and the FunctionConfiguration and LayerVersion documents fx reads
// back from an emulator or from AWS.
//
// Input: the first line is a function name or ARN; the rest is a JSON document, read both as a
// FunctionConfiguration and as a LayerVersion. Each read gives a value or throws fx::Error;
// a value read back from its own JSON is the same value.
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

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

// Known: a number member read as an int that is a float beyond int's range ("Timeout": 1e300)
// is converted anyway, which is undefined behaviour (UBSan: float-cast-overflow);
// regressions/lambda_api/timeout-out-of-int-range. Set aside before the read.
bool float_out_of_int_range(std::string_view body) {
  const auto doc = nlohmann::json::parse(body, nullptr, false);
  if (!doc.is_object()) return false;
  auto bad = [](const nlohmann::json& v) {
    return v.is_number_float() &&
           !(v.get<double>() > -2147483649.0 && v.get<double>() < 2147483648.0);
  };
  for (const char* key : {"Timeout", "MemorySize", "CodeSize", "Version"})
    if (doc.contains(key) && bad(doc[key])) return true;
  for (const char* outer : {"EphemeralStorage", "Content"}) {
    if (!doc.contains(outer) || !doc[outer].is_object()) continue;
    for (const char* key : {"Size", "CodeSize"})
      if (doc[outer].contains(key) && bad(doc[outer][key])) return true;
  }
  return false;
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
  } catch (const nlohmann::json::exception& e) {
    // Known: a member of the wrong type (CodeSize "12", Architectures [1], Layers [{"Arn": 1}])
    // escapes as nlohmann's type_error; regressions/lambda_api/wrong-type-*.
    fx::fuzz::known_issue(
        "a Lambda document with a member of the wrong type escapes as a json "
        "exception",
        e.what());
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
  if (float_out_of_int_range(body) && !fx::fuzz::strict()) {
    fx::fuzz::known_issue("a float member beyond int's range is converted to int (UB)");
    return 0;
  }
  read_document(body, "FunctionConfiguration", fx::lambda::configuration_from_json);
  read_document(body, "LayerVersion", fx::lambda::layer_version_from_json);
  return 0;
}
