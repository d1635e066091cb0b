#include "core/emulator/events.h"

#include <algorithm>
#include <cmath>
#include <list>
#include <optional>
#include <utility>  // before Boost.Asio, whose C++20 code uses std::exchange

#include <fmt/format.h>
#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "core/emulator/log_sink.h"
#include "core/emulator/pool.h"
#include "core/events/schedule.h"
#include "core/lambda/types.h"
#include "core/manifest/events_json.h"
#include "core/util/error.h"
#include "core/util/time.h"

namespace fx::emulator {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

// Lambda waits one minute before the second attempt and two before the third.
constexpr std::int64_t kRetryDelayMs = 60'000;

std::string iso8601_s(std::int64_t ms) {
  auto text = util::iso8601_ms(ms);  // "2026-11-27T08:17:46.123Z"
  return text.substr(0, 19) + "Z";   // EventBridge's `time` has no fraction
}

}  // namespace

struct EventSources::Impl {
  asio::io_context& io;
  Pool& pool;
  LogSink& sink;
  std::string region;
  double speed;
  std::int64_t origin_ms = util::now_ms();

  struct ArmedSchedule {
    ScheduleSource source;
    std::optional<events::Schedule> schedule;
    std::int64_t next_ms = 0;
    std::unique_ptr<asio::steady_timer> timer;
  };
  std::map<std::string, std::list<ArmedSchedule>> schedules_by_service;
  std::map<std::string, AsyncSettings> async_by_function;
  std::map<std::string, std::string> service_of_async;                       // function -> service
  std::map<std::int64_t, std::unique_ptr<asio::steady_timer>> retry_timers;  // by async id
  QueueSender send_to_queue;

  Impl(asio::io_context& io, Pool& pool, LogSink& sink, std::string region, double speed)
      : io(io), pool(pool), sink(sink), region(std::move(region)), speed(speed > 0 ? speed : 1) {}

  std::int64_t now() const {
    auto real = util::now_ms();
    return origin_ms + static_cast<std::int64_t>(std::llround((real - origin_ms) * speed));
  }
  std::chrono::milliseconds real_wait(std::int64_t virtual_ms) const {
    return std::chrono::milliseconds(
        std::max<std::int64_t>(0, std::llround(static_cast<double>(virtual_ms) / speed)));
  }

  // Schedules -------------------------------------------------------------------------------

  void arm(ArmedSchedule& s) {
    if (!s.source.enabled || !s.schedule) return;
    auto next = s.schedule->next_after(now());
    s.next_ms = next.value_or(0);
    if (!next) return;
    s.timer->expires_after(real_wait(*next - now()));
    s.timer->async_wait([this, &s](const boost::system::error_code& ec) {
      if (ec) return;
      fire(s);
      arm(s);
    });
  }

  void fire(ArmedSchedule& s) {
    const std::string event = json{
        {"version", "0"},
        {"id", new_request_id()},
        {"detail-type", "Scheduled Event"},
        {"source", "aws.events"},
        {"account", lambda::kLocalAccount},
        {"time", iso8601_s(s.next_ms)},
        {"region", region},
        {"resources",
         {fmt::format("arn:aws:events:{}:{}:rule/{}", region, lambda::kLocalAccount,
                      s.source.rule)}},
        {"detail",
         json::object()}}.dump();
    std::string payload = events::target_payload(s.source.target, event);
    try {
      submit(s.source.function, std::move(payload), new_request_id());
    } catch (const std::exception& e) {
      sink.emit(s.source.function, "",
                fmt::format("fx: schedule {} could not queue its invocation: {}", s.source.rule,
                            e.what()));
    }
  }

  // Asynchronous invocations ----------------------------------------------------------------

  void submit(const std::string& function, std::string payload, std::string request_id) {
    store::AsyncInvocation a;
    a.request_id = std::move(request_id);
    a.function = function;
    a.payload = std::move(payload);
    a.next_attempt_ms = now();
    a.created_ms = util::now_ms();
    a.id = sink.reader().add_async(a);
    attempt(std::move(a));
  }

  void later(store::AsyncInvocation a, std::int64_t delay_virtual_ms) {
    auto timer = std::make_unique<asio::steady_timer>(io, real_wait(delay_virtual_ms));
    auto* raw = timer.get();
    retry_timers[a.id] = std::move(timer);
    raw->async_wait([this, a = std::move(a)](const boost::system::error_code& ec) mutable {
      if (ec) return;
      retry_timers.erase(a.id);
      attempt(std::move(a));
    });
  }

  void attempt(store::AsyncInvocation a) {
    auto inv = std::make_shared<Invocation>();
    inv->request_id = a.request_id;
    inv->payload = a.payload;
    inv->async = true;
    inv->done = [this, a](InvocationResult result) mutable { finished(std::move(a), result); };
    pool.invoke(a.function, std::move(inv));
  }

  void finished(store::AsyncInvocation a, const InvocationResult& result) {
    ++a.attempts;
    if (result.status == 404) {  // the function is gone
      sink.reader().delete_async(a.id);
      return;
    }
    AsyncSettings settings;
    if (auto it = async_by_function.find(a.function); it != async_by_function.end())
      settings = it->second;
    if (result.status == 200 && result.function_error.empty()) {
      if (!settings.on_success.empty()) {
        std::string error =
            deliver_record(settings.on_success, invocation_record(a, result, "Success"));
        if (!error.empty())
          sink.emit(a.function, a.request_id,
                    fmt::format("fx: asynchronous invocation {} succeeded; NOT sent to {}: {}",
                                a.request_id, settings.on_success, error));
      }
      sink.reader().delete_async(a.id);
      return;
    }
    std::string condition = "RetriesExhausted";
    if (a.attempts <= settings.max_retries) {
      std::int64_t delay = kRetryDelayMs * a.attempts;
      // maximumEventAge: an event that would be older than that at its next attempt is given
      // up now rather than retried (on the emulator's clock, which may run faster).
      const auto age_then =
          static_cast<std::int64_t>(static_cast<double>(util::now_ms() - a.created_ms) * speed) +
          delay;
      if (settings.max_event_age_s == 0 || age_then <= settings.max_event_age_s * 1000LL) {
        a.next_attempt_ms = now() + delay;
        sink.reader().update_async(a.id, a.attempts, a.next_attempt_ms);
        later(std::move(a), delay);
        return;
      }
      condition = "EventAgeExceeded";
    }
    std::string where = "dropped (no on-failure destination)";
    if (!settings.on_failure.empty()) {
      std::string error =
          deliver_record(settings.on_failure, invocation_record(a, result, condition));
      where = error.empty() ? "sent to " + settings.on_failure
                            : fmt::format("NOT sent to {}: {}", settings.on_failure, error);
    }
    sink.emit(a.function, a.request_id,
              fmt::format("fx: asynchronous invocation {} failed {} time{}{}; {}", a.request_id,
                          a.attempts, a.attempts == 1 ? "" : "s",
                          condition == "EventAgeExceeded"
                              ? fmt::format(" and would be over maximumEventAge ({} s) at its "
                                            "next attempt",
                                            settings.max_event_age_s)
                              : "",
                          where));
    sink.reader().delete_async(a.id);
  }

  // Sends an invocation record to a destination: a queue, or a function (by ARN), invoked
  // asynchronously with the record as its event, as Lambda does. Returns why it could not,
  // or "".
  std::string deliver_record(const std::string& destination, std::string record) {
    if (destination.starts_with("arn:aws:lambda:")) {
      auto ref = lambda::parse_function_ref(destination);
      if (!ref) return "not a function ARN";
      if (!pool.find(ref->name)) return "there is no function " + ref->name;
      try {
        submit(ref->name, std::move(record), new_request_id());
      } catch (const std::exception& e) {
        return e.what();
      }
      return "";
    }
    return send_to_queue ? send_to_queue(destination, std::move(record))
                         : "queues are not available in this emulator";
  }

  // Lambda's invocation record for destinations; condition: Success, RetriesExhausted or
  // EventAgeExceeded.
  std::string invocation_record(const store::AsyncInvocation& a, const InvocationResult& r,
                                std::string_view condition) const {
    auto parse = [](const std::string& text) {
      auto j = json::parse(text, nullptr, false);
      return j.is_discarded() ? json(text) : j;
    };
    json response = {{"statusCode", r.status}, {"executedVersion", "$LATEST"}};
    if (!r.function_error.empty()) response["functionError"] = r.function_error;
    return json{{"version", "1.0"},
                {"timestamp", util::iso8601_ms(util::now_ms())},
                {"requestContext",
                 {{"requestId", a.request_id},
                  {"functionArn", fmt::format("arn:aws:lambda:{}:{}:function:{}:$LATEST", region,
                                              lambda::kLocalAccount, a.function)},
                  {"condition", condition},
                  {"approximateInvokeCount", a.attempts}}},
                {"requestPayload", parse(a.payload)},
                {"responseContext", response},
                {"responsePayload", parse(r.body)}}  // A function's response need not be UTF-8.
        .dump(-1, ' ', false, json::error_handler_t::replace);
  }
};

EventSources::EventSources(asio::io_context& io, Pool& pool, LogSink& sink, std::string region,
                           double clock_speed)
    : impl_(std::make_unique<Impl>(io, pool, sink, std::move(region), clock_speed)) {}

EventSources::~EventSources() = default;

std::vector<std::string> EventSources::apply(const std::string& service,
                                             const manifest::ServiceEvents& events) {
  // Every schedule is checked before anything changes: a bad one is the deploy's error, not a
  // line in the function's log.
  std::vector<ScheduleSource> schedules;
  std::map<std::string, AsyncSettings> async;
  for (const auto& f : events.functions) {
    int n = 0;
    for (const auto* e : manifest::events_of<manifest::ScheduleEvent>(f.events)) {
      ScheduleSource& s = schedules.emplace_back();
      s.service = service;
      s.function = f.name;
      s.rule = manifest::schedule_rule(f.name, *e, ++n);
      s.expression = e->expression;
      events::Schedule::parse(s.expression);
      s.enabled = e->enabled;
      if (!e->input_json.empty()) {
        auto input = json::parse(e->input_json);
        s.target.input = input.is_string() ? input.get<std::string>() : input.dump();
      }
      s.target.input_path = e->input_path;
      s.target.paths_map = e->input_paths_map;
      s.target.input_template = e->input_template;
      if (!s.target.input_path.empty()) events::check_json_path(s.target.input_path);
      for (const auto& [name, path] : s.target.paths_map) events::check_json_path(path);
      auto anchor =
          events.schedule_anchors.find(manifest::schedule_anchor_key(s.rule, s.expression));
      if (anchor != events.schedule_anchors.end()) s.anchor_ms = anchor->second;
    }
    if (!f.async.empty()) {
      AsyncSettings& settings = async[f.name];
      settings.max_retries = std::clamp(f.async.max_retries.value_or(2), 0, 2);
      settings.max_event_age_s = f.async.max_event_age_s.value_or(0);
      settings.on_failure = f.async.on_failure;
      settings.on_success = f.async.on_success;
    }
  }
  drop(service);
  auto& list = impl_->schedules_by_service[service];
  for (auto& source : schedules) {
    auto& armed = list.emplace_back();
    armed.source = std::move(source);
    armed.timer = std::make_unique<asio::steady_timer>(impl_->io);
    try {
      armed.schedule =
          events::Schedule::parse(armed.source.expression)
              .with_anchor(armed.source.anchor_ms ? armed.source.anchor_ms : impl_->now());
    } catch (const Error& e) {  // the manifest check catches these first; never fire a bad one
      impl_->sink.emit(
          armed.source.function, "",
          fmt::format("fx: schedule {} is not valid: {}", armed.source.rule, e.what()));
      continue;
    }
    impl_->arm(armed);
  }
  for (auto& [function, settings] : async) {
    impl_->async_by_function[function] = settings;
    impl_->service_of_async[function] = service;
  }
  return {};
}

void EventSources::drop(const std::string& service) {
  impl_->schedules_by_service.erase(service);  // their timers cancel as they are destroyed
  for (auto it = impl_->service_of_async.begin(); it != impl_->service_of_async.end();) {
    if (it->second == service) {
      impl_->async_by_function.erase(it->first);
      it = impl_->service_of_async.erase(it);
    } else {
      ++it;
    }
  }
}

void EventSources::submit_async(const std::string& function, std::string payload,
                                std::string request_id) {
  impl_->submit(function, std::move(payload), std::move(request_id));
}

void EventSources::restore_async() {
  for (auto& a : impl_->sink.reader().async_invocations()) {
    std::int64_t wait = std::max<std::int64_t>(0, a.next_attempt_ms - impl_->now());
    // After a restart the virtual clock starts again at the real time: a retry due in the
    // past runs now.
    if (wait > 0 && wait <= kRetryDelayMs * 3)
      impl_->later(std::move(a), wait);
    else
      impl_->attempt(std::move(a));
  }
}

void EventSources::set_queue_sender(QueueSender sender) {
  impl_->send_to_queue = std::move(sender);
}

std::vector<ScheduleStatus> EventSources::schedules() const {
  std::vector<ScheduleStatus> out;
  for (const auto& [service, list] : impl_->schedules_by_service)
    for (const auto& s : list) out.push_back({s.source, s.next_ms});
  return out;
}

std::size_t EventSources::pending_async() const {
  return impl_->sink.reader().async_invocations().size();
}

std::int64_t EventSources::now_ms() const {
  return impl_->now();
}

}  // namespace fx::emulator
