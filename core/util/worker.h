// One background thread that runs posted jobs in order: for work that must not hold up the
// emulator's I/O thread (unpacking code, cost reports, reading /proc). Destroying it drops the
// jobs not yet started and waits for the one running.
#pragma once

#include <functional>
#include <memory>

namespace fx::util {

class Worker {
 public:
  Worker();
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void post(std::function<void()> job);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fx::util
