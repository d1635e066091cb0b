// Shared by the test_manifest_* files: a service folder of its own in the temp directory,
// loaded with a fake environment and options so that tests see only what they set.
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "core/manifest/manifest.h"
#include "core/util/error.h"
#include "temp_dir.h"

namespace fx::manifest::testing {

class TempService {
 public:
  void write(const std::string& name, const std::string& text) const {
    std::filesystem::create_directories((dir / name).parent_path());
    std::ofstream(dir / name, std::ios::binary) << text;
  }

  LoadOptions options() const {
    LoadOptions options;
    options.dir = dir;
    options.opts = opts;
    options.getenv = [env = env](const std::string& name) -> std::optional<std::string> {
      auto it = env.find(name);
      return it == env.end() ? std::nullopt : std::optional(it->second);
    };
    return options;
  }

  Service load() const { return load_service(options()); }

  Service load(const std::string& yaml) const {
    write("serverless.yaml", yaml);
    return load();
  }

  // The error loading `yaml` raises; fails the test when there is none.
  fx::Error error(const std::string& yaml) const {
    write("serverless.yaml", yaml);
    try {
      load();
    } catch (const fx::Error& e) {
      return e;
    }
    FAIL("loading succeeded; expected an error");
    return fx::Error("");
  }

  fx::test::TempDir tmp{"manifest"};
  std::filesystem::path dir = tmp.path;
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> opts;
};

}  // namespace fx::manifest::testing
