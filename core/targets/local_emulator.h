// The local fx emulator of this FX_HOME as fx's commands reach it: the one running, or one
// started in the background. The only way into core/emulator/ from the commands' side, so
// that nothing the emulator itself includes depends back on them.
#pragma once

#include <string>

namespace fx::targets {

struct LocalEmulator {
  std::string url;          // "http://127.0.0.1:4599"
  std::string gateway_url;  // "http://127.0.0.1:3000"
  std::string alb_url;      // "http://127.0.0.1:3001": alb events' listeners
  std::string token;        // FX_HOME/token: what fx's own API requires
  bool started = false;     // this call started it
};

struct LocalStart {
  bool start = false;     // start one when none is running
  int port = -1;          // when starting: -1 is the default port, 0 a free one
  int gateway_port = -1;  // -1: 3000, or a free port; 0: a free one
};

// The running emulator, else (with start) a new one. Throws fx::Error when none is running
// and none is to be started, or when it cannot start (with the daemon's reason).
LocalEmulator find_local_emulator(const LocalStart& options);

bool local_emulator_running();

// Stops it and waits for it to exit; false when none was running.
bool stop_local_emulator();

}  // namespace fx::targets
