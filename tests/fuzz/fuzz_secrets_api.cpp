// SSM Parameter Store's and Secrets Manager's JSON 1.1 protocols (core/secrets/api.h) over a
// real secrets::Store (SQLite file and key file). The input is a sequence of requests separated
// by lines holding only "---"; each is the X-Amz-Target value on its first line
// ("AmazonSSM.PutParameter", "secretsmanager.CreateSecret") and the JSON body after it.
//
// Invariants: every answer is JSON with a 200 or a 400 (bad input is the client's error, never
// a 500); a SecureString read back with WithDecryption is what was stored. Everything stored
// is deleted between inputs.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/secrets/api.h"
#include "core/secrets/store.h"
#include "tests/fuzz/fuzz_common.h"

using fx::fuzz::fail;

namespace {

constexpr std::size_t kMaxRequests = 24;
const std::string kRegion = "us-east-1";

fx::secrets::Store& store() {
  static fx::secrets::Store s(fx::fuzz::scratch_dir());
  return s;
}

void check(const fx::secrets::ApiResult& r, std::string_view request) {
  if (r.status != 200 && r.status != 400)
    fail("an answer that is neither 200 nor 400", std::string(request) + "\n=> " + r.body);
  if (!nlohmann::json::accept(r.body)) fail("an answer that is not JSON", r.body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto& s = store();
  for (std::string_view request : fx::fuzz::split_parts(input, kMaxRequests)) {
    const auto newline = request.find('\n');
    const std::string_view target = request.substr(0, newline);
    const std::string_view body =
        newline == std::string_view::npos ? std::string_view() : request.substr(newline + 1);
    auto result = fx::secrets::is_ssm_target(target)
                      ? fx::secrets::handle_ssm(s, target, body, kRegion)
                      : fx::secrets::handle_secretsmanager(s, target, body, kRegion);
    check(result, request);
    // A parameter stored is read back as it was given.
    if (target == "AmazonSSM.PutParameter" && result.status == 200) {
      auto sent = nlohmann::json::parse(body);
      auto got = fx::secrets::handle_ssm(
          s, "AmazonSSM.GetParameter",
          nlohmann::json{{"Name", sent["Name"]}, {"WithDecryption", true}}.dump(), kRegion);
      if (got.status != 200 ||
          nlohmann::json::parse(got.body)["Parameter"]["Value"] != sent["Value"])
        fail("a parameter read back differs from what was put", std::string(request));
    }
  }
  for (const auto& p : s.parameters()) s.delete_parameter(p.name);
  for (const auto& x : s.secrets()) s.delete_secret(x.name);
  return 0;
}
