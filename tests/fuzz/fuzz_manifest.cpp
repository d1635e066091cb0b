// The manifest loader (core/manifest/manifest.h) with variables: the input is a
// serverless.yml, written to a scratch directory and loaded as `fx deploy` loads it (stage and
// region options, a fixed environment for ${env:...}). Loading either gives a Service or
// throws fx::Error whose message is for a user: anything else escaping, or a library's
// internal text in the message, is a bug.
#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/manifest/manifest.h"
#include "core/util/error.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto dir = fx::fuzz::scratch_dir() / "service";
  std::filesystem::create_directories(dir);
  const auto file = dir / "serverless.yml";
  std::ofstream(file, std::ios::binary | std::ios::trunc)
      .write(input.data(), static_cast<std::streamsize>(input.size()));

  fx::manifest::LoadOptions options;
  options.dir = dir;
  options.config = file;
  options.opts = {{"stage", "dev"}, {"region", "us-east-1"}};
  options.getenv = [](const std::string& name) -> std::optional<std::string> {
    static const std::map<std::string, std::string> kEnv = {
        {"HOME", "/home/fx"}, {"STAGE", "prod"}, {"TABLE", "orders"}, {"EMPTY", ""}};
    auto it = kEnv.find(name);
    if (it == kEnv.end()) return std::nullopt;
    return it->second;
  };
  try {
    (void)fx::manifest::load_service(options);
  } catch (const fx::Error& e) {
    fx::fuzz::check_user_text(e.what(), input);
    fx::fuzz::check_user_text(e.hint(), input);
  }
  return 0;
}
