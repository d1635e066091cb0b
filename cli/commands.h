// Each command's options as plain structs (filled by main.cpp's CLI11 wiring) and the
// function that runs it. Command files never see CLI11.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fx::cli {

struct GlobalOptions {
  std::string config;
  std::string stage;
  std::string region;
  std::string target;
  std::string profile;  // --profile: the AWS profile for --target aws
  bool json = false;
  bool quiet = false;
  bool verbose = false;
  bool no_color = false;
  bool show_secrets = false;  // print API keys (and other secrets) whole
};

struct InitOptions {
  std::string dir = ".";
  std::string template_name = "python";
  std::string name;
  bool force = false;
  bool list = false;
};

struct PackageOptions {
  std::vector<std::string> functions;
  std::string explain;
};

struct DeployOptions {
  std::vector<std::string> functions;
  bool force = false;
};

struct InvokeOptions {
  std::string function;
  std::string data;
  bool has_data = false;
  std::string file;
  std::string type = "RequestResponse";
  bool log = false;
};

struct LogsOptions {
  std::string function;
  bool follow = false;
  std::string since;
  std::string filter;
  std::int64_t tail = 0;
  bool cost = false;  // with -f: a running total of the session's cost
  std::string provider = "aws";
  std::string pricing;  // --pricing FILE
};

struct CostOptions {
  std::string function;  // empty: every function of the service (or with records)
  std::string since;
  std::string provider = "all";
  double monthly = 0;  // > 0: project this many invocations a month
  bool free_tier = false;
  bool suggest = false;
  std::string pricing;  // --pricing FILE
};

struct DevOptions {
  int port = -1;  // the emulator's, when fx dev starts one
  int gateway_port = -1;
};

struct EmulatorCommandOptions {
  std::string action;     // start, stop, status
  int port = -1;          // -1: the default
  int gateway_port = -1;  // -1: 3000, or a free port
  std::string listen = "127.0.0.1";
  std::string token;
  bool generate_token = false;
  bool shared = false;  // the daemon's flag: the given token is in FX_HOME/token
  bool foreground = false;
  int ready_fd = -1;
};

struct SecretsOptions {
  std::string action;  // set, get, list, rm
  std::string name;    // set/get/rm: the parameter (or secret); list: a path
  std::string value;
  bool secure = false;
  std::string type;  // String, StringList, SecureString
  std::string description;
};

// Each returns the process exit code (0, or 1 for a failure already reported).
int run_init(const GlobalOptions& g, const InitOptions& o);
int run_package(const GlobalOptions& g, const PackageOptions& o);
int run_deploy(const GlobalOptions& g, const DeployOptions& o);
int run_invoke(const GlobalOptions& g, const InvokeOptions& o);
int run_logs(const GlobalOptions& g, const LogsOptions& o);
int run_cost(const GlobalOptions& g, const CostOptions& o);
int run_dev(const GlobalOptions& g, const DevOptions& o);
int run_info(const GlobalOptions& g);
int run_remove(const GlobalOptions& g);
int run_emulator_command(const GlobalOptions& g, const EmulatorCommandOptions& o);
int run_secrets(const GlobalOptions& g, const SecretsOptions& o);

}  // namespace fx::cli
