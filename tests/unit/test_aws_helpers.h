// What the SigV4 and AWS tests share: a temporary folder, environment variables set for one
// test and restored after it, and running python3 (botocore, moto, small HTTP servers).
#pragma once

#include <stdlib.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>

#include "core/util/process.h"

namespace fx::test {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag = "aws") {
    std::string templ = (fs::temp_directory_path() / ("fx-test-" + tag + "-XXXXXX")).string();
    REQUIRE(mkdtemp(templ.data()) != nullptr);
    path = templ;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

inline std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// Sets (or, with nullopt, unsets) variables for the lifetime of the object and puts the old
// values back afterwards, so a test never sees the machine's own AWS settings.
class ScopedEnv {
 public:
  ScopedEnv() = default;
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ~ScopedEnv() {
    for (const auto& [name, value] : saved_) {
      if (value)
        ::setenv(name.c_str(), value->c_str(), 1);
      else
        ::unsetenv(name.c_str());
    }
  }
  void set(const std::string& name, std::optional<std::string> value) {
    if (!saved_.count(name)) {
      const char* old = std::getenv(name.c_str());
      saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
    }
    if (value)
      ::setenv(name.c_str(), value->c_str(), 1);
    else
      ::unsetenv(name.c_str());
  }
  void unset(const std::string& name) { set(name, std::nullopt); }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

// Every variable that steers resolve_aws_settings and aws_endpoint, cleared; HOME points at
// an empty folder so ~/.aws of the machine is not read either.
inline void clear_aws_environment(ScopedEnv& env, const fs::path& home) {
  for (const char* name :
       {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
        "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_CONFIG_FILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL_IAM",
        "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "AWS_ENDPOINT_URL_LOGS",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"})
    env.unset(name);
  env.set("HOME", home.string());
}

// Runs `python3 ARGS...` to completion with stdout and stderr in `output`; returns the exit
// code (-1 when python3 is not on PATH).
inline int run_python(const std::vector<std::string>& args, std::string& output,
                      const fs::path& work) {
  auto python = util::which("python3");
  if (python.empty()) return -1;
  util::SpawnOptions o;
  o.argv = {python.string()};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.env = util::current_environment();
  o.output_file = work / "python-output.txt";
  std::error_code ec;
  fs::remove(o.output_file, ec);
  int status = util::run_and_wait(o);
  output = read_text(o.output_file);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

// Whether python3 can import the module (botocore, moto).
inline bool python_has(const std::string& module, const fs::path& work) {
  std::string out;
  return run_python({"-c", "import " + module}, out, work) == 0;
}

}  // namespace fx::test
