// The local emulator daemon: Lambda control-plane and Invoke APIs, the Runtime API for its
// instances, and fx's own endpoints (/_fx/v1/...: status, logs, reports, shutdown).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace fx::emulator {

inline constexpr std::uint16_t kDefaultPort = 4599;
inline constexpr std::uint16_t kDefaultGatewayPort = 3000;

struct EmulatorOptions {
  std::filesystem::path home;  // FX_HOME
  std::string address = "127.0.0.1";
  std::uint16_t port = kDefaultPort;  // 0 picks a free port
  // The HTTP gateway's port: -1 is 3000 (a free one when 3000 is taken, or when `port` is 0),
  // 0 a free one.
  int gateway_port = -1;
  // A token given by the user (a shared emulator): every API call must carry it. Without
  // one, the emulator makes its own at first start (FX_HOME/token, mode 0600), which fx's own
  // API (/_fx/) always requires and the CLI reads.
  std::string token;
  bool shared = false;               // the daemon's side of a given token: it is in FX_HOME/token
  std::string region = "us-east-1";  // for calls that do not say theirs
  int ready_fd = -1;                 // "ready URL" or "error WHAT\tHINT" is written here once
};

// Runs the emulator until SIGINT, SIGTERM or POST /_fx/v1/shutdown. Throws fx::Error when it
// cannot start (the port is taken, another emulator owns this FX_HOME, ...).
void run_emulator(const EmulatorOptions& options);

struct EmulatorInfo {
  pid_t pid = 0;
  std::string url;          // "http://127.0.0.1:4599"
  std::string gateway_url;  // "http://127.0.0.1:3000"
  std::string alb_url;      // "http://127.0.0.1:3001": alb events' listeners
  std::uint16_t port = 0;
  std::string address;
};

// FX_HOME, else ~/.fx.
std::filesystem::path fx_home();

// The emulator's token in FX_HOME/token (empty when there is none yet, or it is not ours to
// read): what fx's CLI sends to a local emulator.
std::string local_token(const std::filesystem::path& home);

// The shortest token fx accepts for a shared emulator.
inline constexpr std::size_t kMinTokenLength = 16;
// A new random token (32 hex digits: 128 bits).
std::string generate_token();

// The credentials the emulator's instances get, as Lambda gives its functions their role's
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN): the emulator's own, made at
// its first start and kept in FX_HOME/instance-credentials (0600), never the user's. Its API
// accepts a request they sign even when it requires a token.
struct InstanceCredentials {
  std::string access_key_id;  // "ASIA" and 16 more, as STS's temporary keys
  std::string secret_access_key;
  std::string session_token;
};
// Reads them, or makes and keeps them when there are none yet (or what is there is damaged).
InstanceCredentials instance_credentials(const std::filesystem::path& home);

// The emulator that owns this FX_HOME, when one is running.
std::optional<EmulatorInfo> running_emulator(const std::filesystem::path& home);

// Starts the emulator as a background daemon (its output in FX_HOME/emulator.log) and waits
// until it serves. Throws fx::Error with the daemon's own reason when it cannot start.
EmulatorInfo start_emulator_daemon(const EmulatorOptions& options);

// Stops the running emulator and waits for it to exit; false when none was running.
bool stop_emulator(const std::filesystem::path& home);

}  // namespace fx::emulator
