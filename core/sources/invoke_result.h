// How an invocation that an event source started ended, as the emulator tells the source: the
// pollers (poller.h) and the asynchronous invoker (async_invoker.h) both see only this.
#pragma once

#include <string>

namespace fx::sources {

struct InvokeResult {
  int status = 200;            // the Invoke API's: 200, or 404 when the function is gone
  std::string function_error;  // "Unhandled" when the function failed (status stays 200)
  std::string body;            // what the function returned
  bool ok() const { return status == 200 && function_error.empty(); }
};

}  // namespace fx::sources
