#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "core/util/worker.h"

TEST_CASE("a worker runs its jobs in order, on a thread of its own", "[util][worker]") {
  std::mutex m;
  std::condition_variable cv;
  std::vector<int> order;
  std::thread::id ran_on;
  {
    fx::util::Worker worker;
    for (int i = 0; i < 100; ++i)
      worker.post([&, i] {
        std::lock_guard lock(m);
        order.push_back(i);
        ran_on = std::this_thread::get_id();
        cv.notify_one();
      });
    std::unique_lock lock(m);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return order.size() == 100; }));
  }
  for (int i = 0; i < 100; ++i) CHECK(order[i] == i);
  CHECK(ran_on != std::this_thread::get_id());
}

TEST_CASE("destroying a worker waits for the job running and drops those not started",
          "[util][worker]") {
  std::atomic<bool> started{false}, finished{false};
  std::atomic<int> later{0};
  {
    fx::util::Worker worker;
    worker.post([&] {
      started = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      finished = true;
    });
    for (int i = 0; i < 10; ++i) worker.post([&] { ++later; });
    while (!started) std::this_thread::yield();
  }
  CHECK(finished);
  CHECK(later == 0);
}
