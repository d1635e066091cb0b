// Lambda function URLs' untrusted bytes (core/emulator/function_urls.h): the body of
// Create/UpdateFunctionUrlConfig, a Qualifier, and the Host header of a request to the
// gateway's port.
//
// Input: the first line is a Host header (also tried as a qualifier); the rest a request body.
// Each parse gives a value or throws a 400 ApiError, never anything else; a URL made of a parsed
// body reads back from its stored form as itself; a host that parses names an id and a region.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/emulator/function_urls.h"
#include "core/util/error.h"
#include "tests/fuzz/fuzz_common.h"

using fx::fuzz::fail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  const std::string_view host = input.substr(0, newline);
  const std::string_view body =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  if (auto h = fx::emulator::parse_function_url_host(host)) {
    if (h->url_id.empty() || h->region.empty()) fail("a URL host without id or region", host);
  }
  try {
    fx::emulator::check_function_url_qualifier(host);
  } catch (const fx::lambda::ApiError& e) {
    if (e.status() != 400) fail("a qualifier answered other than 400", host);
  }
  for (bool create : {true, false}) {
    try {
      const auto f = fx::emulator::parse_function_url_fields(body, create);
      fx::emulator::FunctionUrl u;
      u.function = "f";
      u.url_id = "x";
      u.region = "us-east-1";
      u.auth_type = f.auth_type.value_or("NONE");
      u.invoke_mode = f.invoke_mode.value_or("BUFFERED");
      u.cors = f.cors;
      const std::string once = fx::emulator::function_url_to_stored(u);
      if (fx::emulator::function_url_to_stored(fx::emulator::function_url_from_stored(once)) !=
          once)
        fail("a stored function URL does not read back as itself", once);
      if (u.cors) {
        fx::emulator::function_url_cors_headers(*u.cors, host);
        fx::emulator::function_url_preflight_headers(*u.cors, host, "GET", host);
      }
    } catch (const fx::lambda::ApiError& e) {
      if (e.status() != 400) fail("a function URL body answered other than 400", body);
      fx::fuzz::check_user_text(e.what(), body);
    }
  }
  return 0;
}
