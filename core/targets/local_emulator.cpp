#include "core/targets/local_emulator.h"

#include <fmt/format.h>

#include "core/emulator/emulator.h"
#include "core/util/error.h"

namespace fx::targets {

LocalEmulator find_local_emulator(const LocalStart& options) {
  auto home = emulator::fx_home();
  LocalEmulator out;
  auto running = emulator::running_emulator(home);
  if (!running) {
    if (!options.start)
      throw Error(fmt::format("no emulator is running for {}", home.string()),
                  "deploy first (`fx deploy` starts it), or run `fx emulator start`");
    emulator::EmulatorOptions eo;
    eo.home = home;
    if (options.port >= 0) eo.port = static_cast<std::uint16_t>(options.port);
    eo.gateway_port = options.gateway_port;
    running = emulator::start_emulator_daemon(eo);
    out.started = true;
  }
  out.url = running->url;
  out.gateway_url = running->gateway_url;
  out.alb_url = running->alb_url;
  out.token = emulator::local_token(home);
  return out;
}

bool local_emulator_running() {
  return emulator::running_emulator(emulator::fx_home()).has_value();
}

bool stop_local_emulator() {
  return emulator::stop_emulator(emulator::fx_home());
}

}  // namespace fx::targets
