#include "core/util/worker.h"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

namespace fx::util {

// Asio's thread pool of one thread is the whole implementation: it runs jobs in order, and
// stop() then join() drops what has not started and waits for what has.
struct Worker::Impl {
  boost::asio::thread_pool pool{1};
};

Worker::Worker() : impl_(std::make_unique<Impl>()) {}

Worker::~Worker() {
  impl_->pool.stop();
  impl_->pool.join();
}

void Worker::post(std::function<void()> job) {
  boost::asio::post(impl_->pool, std::move(job));
}

}  // namespace fx::util
