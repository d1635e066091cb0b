#include "core/emulator/events.h"

#include <algorithm>
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
#include "core/sources/async_invoker.h"
#include "core/util/error.h"
#include "core/util/time.h"

namespace fx::emulator {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

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
  util::ScaledClock clock;

  struct ArmedSchedule {
    ScheduleSource source;
    std::optional<events::Schedule> schedule;
    std::int64_t next_ms = 0;
    std::unique_ptr<asio::steady_timer> timer;
  };
  std::map<std::string, std::list<ArmedSchedule>> schedules_by_service;
  QueueSender send_to_queue;
  AliasResolver resolve_alias;
  sources::AsyncInvoker async;

  Impl(asio::io_context& io, Pool& pool, LogSink& sink, std::string region, double speed)
      : io(io),
        pool(pool),
        sink(sink),
        region(std::move(region)),
        clock{util::now_ms(), speed > 0 ? speed : 1},
        async(io, sink.reader(), clock, this->region, async_hooks()) {}

  std::int64_t now() const { return clock.now_ms(); }

  // The asynchronous invoker's view of the emulator: the pool runs attempts, the log sink
  // takes its lines, and a record goes to a function (invoked asynchronously with it as its
  // event, as Lambda does) or to a queue.
  sources::AsyncInvokerHooks async_hooks() {
    sources::AsyncInvokerHooks hooks;
    hooks.invoke = [this](const std::string& function, const std::string& request_id,
                          const std::string& payload,
                          std::function<void(sources::InvokeResult)> done) {
      auto inv = std::make_shared<Invocation>();
      inv->request_id = request_id;
      inv->payload = payload;
      inv->async = true;
      inv->done = [done = std::move(done)](InvocationResult r) {
        done({r.status, std::move(r.function_error), std::move(r.body)});
      };
      pool.invoke(resolve_alias ? resolve_alias(function) : function, std::move(inv));
    };
    hooks.deliver = [this](const std::string& destination, std::string record) {
      return deliver_record(destination, std::move(record));
    };
    hooks.log = [this](const std::string& function, const std::string& request_id,
                       const std::string& line) { sink.emit(function, request_id, line); };
    return hooks;
  }

  // Returns why the record could not be sent, or "".
  std::string deliver_record(const std::string& destination, std::string record) {
    if (destination.starts_with("arn:aws:lambda:")) {
      auto ref = lambda::parse_function_ref(destination);
      if (!ref) return "not a function ARN";
      if (!pool.find(ref->name)) return "there is no function " + ref->name;
      try {
        async.submit(ref->name, std::move(record), new_request_id());
      } catch (const std::exception& e) {
        return e.what();
      }
      return "";
    }
    return send_to_queue ? send_to_queue(destination, std::move(record))
                         : "queues are not available in this emulator";
  }

  // Schedules -------------------------------------------------------------------------------

  void arm(ArmedSchedule& s) {
    if (!s.source.enabled || !s.schedule) return;
    auto next = s.schedule->next_after(now());
    s.next_ms = next.value_or(0);
    if (!next) return;
    s.timer->expires_after(clock.real_wait(*next - now()));
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
      async.submit(pool.event_target(s.source.function), std::move(payload), new_request_id());
    } catch (const std::exception& e) {
      sink.emit(s.source.function, "",
                fmt::format("fx: schedule {} could not queue its invocation: {}", s.source.rule,
                            e.what()));
    }
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
  std::map<std::string, sources::AsyncSettings> async;
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
      sources::AsyncSettings& settings = async[f.name];
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
  impl_->async.configure(service, async);
  return {};
}

void EventSources::configure_async(const std::string& service, const std::string& function,
                                   const sources::AsyncSettings& settings) {
  impl_->async.configure(service, {{function, settings}});
}

std::optional<sources::AsyncSettings> EventSources::async_settings(
    const std::string& function) const {
  return impl_->async.settings(function);
}

void EventSources::drop(const std::string& service) {
  impl_->schedules_by_service.erase(service);  // their timers cancel as they are destroyed
  impl_->async.drop(service);
}

void EventSources::submit_async(const std::string& function, std::string payload,
                                std::string request_id) {
  impl_->async.submit(function, std::move(payload), std::move(request_id));
}

void EventSources::restore_async() {
  impl_->async.restore();
}

void EventSources::set_alias_resolver(AliasResolver resolver) {
  impl_->resolve_alias = std::move(resolver);
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
  return impl_->async.pending();
}

std::int64_t EventSources::now_ms() const {
  return impl_->now();
}

}  // namespace fx::emulator
