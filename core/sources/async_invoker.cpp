#include "core/sources/async_invoker.h"

#include <algorithm>
#include <utility>  // before Boost.Asio, whose C++20 code uses std::exchange

#include <fmt/format.h>
#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "core/lambda/types.h"
#include "core/store/store.h"

namespace fx::sources {

namespace asio = boost::asio;
using nlohmann::json;

struct AsyncInvoker::Impl {
  asio::io_context& io;
  store::Store& store;
  util::ScaledClock clock;
  std::string region;
  AsyncInvokerHooks hooks;

  std::map<std::string, AsyncSettings> settings_by_function;
  std::map<std::string, std::string> service_of_function;
  std::map<std::int64_t, std::unique_ptr<asio::steady_timer>> retry_timers;  // by async id

  Impl(asio::io_context& io, store::Store& store, util::ScaledClock clock, std::string region,
       AsyncInvokerHooks hooks)
      : io(io), store(store), clock(clock), region(std::move(region)), hooks(std::move(hooks)) {
    if (this->clock.speed <= 0) this->clock.speed = 1;
  }

  void submit(const std::string& function, std::string payload, std::string request_id) {
    store::AsyncInvocation a;
    a.request_id = std::move(request_id);
    a.function = function;
    a.payload = std::move(payload);
    a.next_attempt_ms = clock.now_ms();
    a.created_ms = util::now_ms();
    a.id = store.add_async(a);
    attempt(std::move(a));
  }

  void later(store::AsyncInvocation a, std::int64_t delay_virtual_ms) {
    auto timer = std::make_unique<asio::steady_timer>(io, clock.real_wait(delay_virtual_ms));
    auto* raw = timer.get();
    retry_timers[a.id] = std::move(timer);
    raw->async_wait([this, a = std::move(a)](const boost::system::error_code& ec) mutable {
      if (ec) return;
      retry_timers.erase(a.id);
      attempt(std::move(a));
    });
  }

  void attempt(store::AsyncInvocation a) {
    const std::string function = a.function, request_id = a.request_id, payload = a.payload;
    hooks.invoke(
        function, request_id, payload,
        [this, a = std::move(a)](InvokeResult result) mutable { finished(std::move(a), result); });
  }

  void finished(store::AsyncInvocation a, const InvokeResult& result) {
    ++a.attempts;
    if (result.status == 404) {  // the function is gone
      store.delete_async(a.id);
      return;
    }
    AsyncSettings settings;
    if (auto it = settings_by_function.find(a.function); it != settings_by_function.end())
      settings = it->second;
    if (result.ok()) {
      if (!settings.on_success.empty()) {
        std::string error =
            hooks.deliver(settings.on_success, invocation_record(a, result, "Success"));
        if (!error.empty())
          hooks.log(a.function, a.request_id,
                    fmt::format("fx: asynchronous invocation {} succeeded; NOT sent to {}: {}",
                                a.request_id, settings.on_success, error));
      }
      store.delete_async(a.id);
      return;
    }
    std::string condition = "RetriesExhausted";
    if (a.attempts <= settings.max_retries) {
      std::int64_t delay = kRetryDelayMs * a.attempts;
      // maximumEventAge: an event that would be older than that at its next attempt is given
      // up now rather than retried (on the emulator's clock, which may run faster).
      const auto age_then = clock.scaled(util::now_ms() - a.created_ms) + delay;
      if (settings.max_event_age_s == 0 || age_then <= settings.max_event_age_s * 1000LL) {
        a.next_attempt_ms = clock.now_ms() + delay;
        store.update_async(a.id, a.attempts, a.next_attempt_ms);
        later(std::move(a), delay);
        return;
      }
      condition = "EventAgeExceeded";
    }
    std::string where = "dropped (no on-failure destination)";
    if (!settings.on_failure.empty()) {
      std::string error =
          hooks.deliver(settings.on_failure, invocation_record(a, result, condition));
      where = error.empty() ? "sent to " + settings.on_failure
                            : fmt::format("NOT sent to {}: {}", settings.on_failure, error);
    }
    hooks.log(a.function, a.request_id,
              fmt::format("fx: asynchronous invocation {} failed {} time{}{}; {}", a.request_id,
                          a.attempts, a.attempts == 1 ? "" : "s",
                          condition == "EventAgeExceeded"
                              ? fmt::format(" and would be over maximumEventAge ({} s) at its "
                                            "next attempt",
                                            settings.max_event_age_s)
                              : "",
                          where));
    store.delete_async(a.id);
  }

  // Lambda's invocation record for destinations; condition: Success, RetriesExhausted or
  // EventAgeExceeded.
  std::string invocation_record(const store::AsyncInvocation& a, const InvokeResult& r,
                                std::string_view condition) const {
    auto parse = [](const std::string& text) {
      auto j = json::parse(text, nullptr, false);
      return j.is_discarded() ? json(text) : j;
    };
    json response = {{"statusCode", r.status}, {"executedVersion", "$LATEST"}};
    if (!r.function_error.empty()) response["functionError"] = r.function_error;
    return json{
        {"version", "1.0"},
        {"timestamp", util::iso8601_ms(util::now_ms())},
        {"requestContext",
         {{"requestId", a.request_id},
          // NAME:QUALIFIER when invoked through a version or an alias: that ARN.
          {"functionArn",
           fmt::format("arn:aws:lambda:{}:{}:function:{}{}", region, lambda::kLocalAccount,
                       a.function, a.function.find(':') == std::string::npos ? ":$LATEST" : "")},
          {"condition", condition},
          {"approximateInvokeCount", a.attempts}}},
        {"requestPayload", parse(a.payload)},
        {"responseContext", response},
        {"responsePayload", parse(r.body)}}  // A function's response need not be UTF-8.
        .dump(-1, ' ', false, json::error_handler_t::replace);
  }
};

AsyncInvoker::AsyncInvoker(asio::io_context& io, store::Store& store, util::ScaledClock clock,
                           std::string region, AsyncInvokerHooks hooks)
    : impl_(std::make_unique<Impl>(io, store, clock, std::move(region), std::move(hooks))) {}

AsyncInvoker::~AsyncInvoker() = default;

void AsyncInvoker::configure(const std::string& service,
                             const std::map<std::string, AsyncSettings>& by_function) {
  drop(service);
  for (const auto& [function, settings] : by_function) {
    impl_->settings_by_function[function] = settings;
    impl_->service_of_function[function] = service;
  }
}

std::optional<AsyncSettings> AsyncInvoker::settings(const std::string& function) const {
  auto it = impl_->settings_by_function.find(function);
  if (it == impl_->settings_by_function.end()) return std::nullopt;
  return it->second;
}

void AsyncInvoker::drop(const std::string& service) {
  for (auto it = impl_->service_of_function.begin(); it != impl_->service_of_function.end();) {
    if (it->second == service) {
      impl_->settings_by_function.erase(it->first);
      it = impl_->service_of_function.erase(it);
    } else {
      ++it;
    }
  }
}

void AsyncInvoker::submit(const std::string& function, std::string payload,
                          std::string request_id) {
  impl_->submit(function, std::move(payload), std::move(request_id));
}

void AsyncInvoker::restore() {
  for (auto& a : impl_->store.async_invocations()) {
    std::int64_t wait = std::max<std::int64_t>(0, a.next_attempt_ms - impl_->clock.now_ms());
    // After a restart the virtual clock starts again at the real time: a retry due in the
    // past runs now.
    if (wait > 0 && wait <= kRetryDelayMs * 3)
      impl_->later(std::move(a), wait);
    else
      impl_->attempt(std::move(a));
  }
}

std::size_t AsyncInvoker::pending() const {
  return impl_->store.async_invocations().size();
}

}  // namespace fx::sources
