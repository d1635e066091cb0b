// fx's own endpoints under /_fx/v1/ (token only): status, a service's events, logs and their
// retention, usage reports and cost, deployed code.
#include "core/emulator/emulator_front.h"

namespace fx::emulator::front {

void Emulator::fx_code(std::string_view raw_name, Responder& r) {
  auto ref = checked_function_ref(url_decode(raw_name));
  const auto* fn = pool_.find(ref.name);
  if (!fn)
    throw lambda::ApiError(404, "ResourceNotFoundException", "Function not found: " + ref.name);
  std::ifstream in(options_.home / "code" / (code_sha_hex(*fn) + ".zip"), std::ios::binary);
  HttpResponse res;
  res.set("Content-Type", "application/zip");
  res.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  r.send(std::move(res));
}

void Emulator::fx_status(Responder& r) {
  auto s = pool_.stats();
  json fns = json::array();
  std::uint64_t invocations = 0, cold_starts = 0, errors = 0, timeouts = 0, throttles = 0;
  for (const auto* fn : pool_.functions()) {
    invocations += fn->invocations;
    cold_starts += fn->cold_starts;
    errors += fn->errors;
    timeouts += fn->timeouts;
    throttles += fn->throttles;
    std::size_t busy = 0, idle = 0;
    for (auto& inst : fn->instances) {
      if (inst->state == Instance::State::busy) ++busy;
      if (inst->state == Instance::State::idle) ++idle;
    }
    fns.push_back({{"name", fn->spec.config.function_name},
                   {"runtime", fn->spec.config.runtime},
                   {"busy", busy},
                   {"idle", idle},
                   {"invocations", fn->invocations},
                   {"cold_starts", fn->cold_starts},
                   {"errors", fn->errors},
                   {"timeouts", fn->timeouts},
                   {"throttles", fn->throttles}});
  }
  json j = {
      {"running", true},
      {"pid", ::getpid()},
      {"url", url_},
      {"gateway_url", gateway_url_},
      {"alb_url", alb_url_},
      {"version", FX_VERSION},
      {"home", options_.home.string()},
      {"sandbox", util::sandbox_support().available ? "namespaces (user, pid, mount, ipc)"
                                                    : "none: " + util::sandbox_support().reason},
      {"instances", s.instances},
      {"busy", s.busy},
      {"idle", s.idle},
      {"functions", fns},
      {"totals",
       {{"invocations", invocations},
        {"cold_starts", cold_starts},
        {"errors", errors},
        {"timeouts", timeouts},
        {"throttles", throttles}}}};
  json schedules = json::array();
  for (const auto& st : events_.schedules())
    schedules.push_back({{"service", st.source.service},
                         {"function", st.source.function},
                         {"rule", st.source.rule},
                         {"expression", st.source.expression},
                         {"enabled", st.source.enabled},
                         {"next", st.next_ms ? json(util::iso8601_ms(st.next_ms)) : json()}});
  j["schedules"] = schedules;
  j["async_pending"] = events_.pending_async();
  r.send(HttpResponse::json(200, j.dump()));
}

// PUT /_fx/v1/services/NAME: what makes a service's functions run besides direct calls
// (fx deploy sends it after the functions). DELETE: fx remove.
void Emulator::fx_service(const std::string& name, HttpRequest& req, Responder& r) {
  if (req.method == "DELETE") {
    for (auto* kind : event_source_kinds()) kind->drop(name);
    sink_.reader().delete_service(name);
    return r.send(HttpResponse::json(200, json{{"removed", name}}.dump()));
  }
  if (req.method == "GET") return fx_service_keys(name, r);
  if (req.method != "PUT")
    return r.send(service_error(405, "MethodNotAllowedException", "PUT or DELETE a service"));
  if (name.empty() || name.size() > 128 || name.find('/') != std::string::npos)
    throw lambda::ApiError(400, "InvalidParameterValueException",
                           "a service name has 1 to 128 characters and no '/'");
  auto events = manifest::parse_service_events(req.body);
  // A rate schedule counts from when its rule was created: keep the anchors of rules that
  // were already here, so a redeploy does not move their firing times.
  std::map<std::string, std::int64_t> anchors;
  for (const auto& st : events_.schedules())
    if (st.source.service == name)
      anchors[manifest::schedule_anchor_key(st.source.rule, st.source.expression)] =
          st.source.anchor_ms;
  for (const auto& f : events.functions) {
    int n = 0;
    for (const auto* sc : manifest::events_of<manifest::ScheduleEvent>(f.events)) {
      auto key =
          manifest::schedule_anchor_key(manifest::schedule_rule(f.name, *sc, ++n), sc->expression);
      auto it = anchors.find(key);
      events.schedule_anchors[key] =
          it != anchors.end() && it->second ? it->second : events_.now_ms();
    }
  }
  // Private routes need an API key; it stays the same across deploys, as on AWS.
  bool has_private = false;
  for (const auto& f : events.functions)
    for (const auto* rt : manifest::events_of<manifest::HttpEvent>(f.events))
      has_private |= rt->is_private;
  std::string api_key;
  if (!events.api_keys.empty()) {
    // provider.apiGateway.apiKeys: the values the manifest leaves out are made once and kept
    // (by the key's name) at later deploys, as API Gateway keeps a key's value.
    keep_generated_api_keys(name, events.api_keys);
  } else if (has_private) {
    for (auto& [stored_name, text] : sink_.reader().services())
      if (stored_name == name) api_key = json::parse(text, nullptr, false).value("api_key", "");
    if (api_key.empty()) {
      api_key = new_request_id();  // 122 random bits, as 32 hex digits
      std::erase(api_key, '-');
    }
  }
  events.api_key = api_key;
  std::vector<std::string> warnings;
  try {
    warnings = apply_service(name, events);
  } catch (...) {
    // All or nothing: the service's event sources go back to what they were.
    std::string previous;
    for (auto& [stored_name, text] : sink_.reader().services())
      if (stored_name == name) previous = text;
    try {
      if (previous.empty()) {
        for (auto* kind : event_source_kinds()) kind->drop(name);
      } else {
        apply_service(name, manifest::parse_service_events(previous));
      }
    } catch (const std::exception& e) {
      fmt::print(stderr, "fx emulator: cannot restore the events of {}: {}\n", name, e.what());
    }
    throw;
  }
  sink_.reader().put_service(name, manifest::to_json(events));
  r.send(HttpResponse::json(
      200, json{{"service", name},
                {"gateway_url", gateway_url_for(req)},
                // custom.fx.albPort: the service's own listener
                {"alb_url", events.alb_port > 0
                                ? fmt::format("{}:{}", alb_url_.substr(0, alb_url_.rfind(':')),
                                              events.alb_port)
                                : alb_url_},
                {"api_key", api_key},
                {"api_keys", api_keys_answer(events.api_keys)},
                {"warnings", warnings}}
               .dump()));
}

std::vector<std::string> Emulator::apply_service(const std::string& name,
                                                 const manifest::ServiceEvents& events) {
  std::vector<std::string> warnings;
  for (auto* kind : event_source_kinds()) {
    auto more = kind->apply(name, events);
    warnings.insert(warnings.end(), more.begin(), more.end());
  }
  std::int64_t idle_ms = 5 * 60 * 1000;  // custom.fx.idleTimeout's default
  if (events.idle_timeout_s) idle_ms = static_cast<std::int64_t>(*events.idle_timeout_s * 1000);
  bool retention = false;
  for (const auto& f : events.functions) {
    pool_.set_idle_timeout(f.name, idle_ms);
    pool_.set_default_concurrency(f.name, events.concurrency);
    if (f.log_retention_days > 0)
      retention_days_[f.name] = f.log_retention_days;
    else
      retention_days_.erase(f.name);
    retention |= f.log_retention_days > 0;
  }
  if (retention) prune_logs();
  // provisionedConcurrency is kept on the alias `provisioned` (fx deploy sets it through the
  // Lambda API, as on AWS), not on $LATEST; the function's events run that alias.
  for (const auto& f : events.functions) {
    pool_.set_provisioned(f.name, 0);
    if (f.provisioned > 0)
      events_on_alias_.insert(f.name);
    else
      events_on_alias_.erase(f.name);
    aim_events(f.name);
  }
  return warnings;
}

void Emulator::prune_logs() {
  const double speed = clock_speed();
  const std::int64_t now = util::now_ms();
  for (const auto& [function, days] : retention_days_)
    sink_.prune(function, now - static_cast<std::int64_t>(days * 86'400'000.0 / speed));
  if (!prune_timer_) prune_timer_ = std::make_unique<asio::steady_timer>(io_);
  prune_timer_->expires_after(std::chrono::milliseconds(
      std::max<std::int64_t>(50, static_cast<std::int64_t>(3'600'000.0 / speed))));
  prune_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !retention_days_.empty()) prune_logs();
  });
}

void Emulator::fx_logs(HttpRequest& req, const std::shared_ptr<Responder>& r) {
  store::LogQuery q;
  q.function = req.query_param("function");
  q.after_id = query_number(req, "after");
  q.since_ms = query_number(req, "since");
  q.filter = req.query_param("filter");
  q.tail = query_number(req, "tail");
  std::int64_t wait_s = std::min<std::int64_t>(query_number(req, "wait"), 60);
  // A function that is not deployed and never logged is a mistake in its name (CloudWatch:
  // the log group does not exist); one deleted since keeps its lines.
  if (!q.function.empty() && !pool_.find(q.function)) {
    sink_.flush();
    store::LogQuery any;
    any.function = q.function;
    any.tail = 1;
    if (sink_.reader().logs(any).empty()) existing(q.function, req);
  }

  bool with_usage = req.query_param("usage") == "1";
  auto answer = [this, q, with_usage](Responder& responder) {
    sink_.flush();
    auto lines = sink_.reader().logs(q);
    json arr = json::array();
    std::int64_t last = std::max(q.after_id, sink_.reader().max_log_id());
    for (auto& l : lines) {
      json line = {{"id", l.id},
                   {"time", l.time_ms},
                   {"function", l.function},
                   {"request_id", l.request_id},
                   {"message", l.message}};
      // What a REPORT line does not say but a price needs: the architecture, and the CPU
      // time (Cloudflare bills CPU-ms).
      if (with_usage && l.message.starts_with("REPORT ") && !l.request_id.empty()) {
        if (auto rec = sink_.reader().report_of_log_line(l.id)) {
          line["architecture"] = rec->architecture;
          line["cpu_ms"] = rec->cpu_ms;
          line["outcome"] = rec->outcome;
        }
      }
      arr.push_back(std::move(line));
    }
    // Functions print what they like; bytes that are not UTF-8 become U+FFFD on the way out.
    responder.send(HttpResponse::json(200, json{{"lines", arr}, {"last_id", last}}.dump(
                                               -1, ' ', false, json::error_handler_t::replace)));
    return !lines.empty();
  };
  if (wait_s <= 0 || q.tail > 0) {
    answer(*r);
    return;
  }
  // Follow: answer now if there is anything, else park the request until a line of this
  // function is written or the wait runs out. No polling on either side.
  sink_.flush();
  if (!sink_.reader().logs(q).empty()) {
    answer(*r);
    return;
  }
  auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::seconds(wait_s));
  auto handle = std::make_shared<std::uint64_t>(0);
  *handle = sink_.on_next_line(q.function, [this, r, timer, answer] {
    asio::post(io_, [r, timer, answer] {
      timer->cancel();
      if (!r->sent()) answer(*r);
    });
  });
  timer->async_wait([this, r, handle, answer](const boost::system::error_code& ec) {
    if (ec) return;
    sink_.cancel(*handle);
    if (!r->sent()) answer(*r);
  });
}

void Emulator::fx_reports(HttpRequest& req, Responder& r) {
  std::int64_t since = query_number(req, "since");
  sink_.flush();
  auto records = sink_.reader().reports(req.query_param("function"), since);
  json arr = json::array();
  for (auto& rec : records) {
    json j = {{"request_id", rec.request_id},
              {"function", rec.function},
              {"version", rec.version},
              {"start_ms", rec.start_ms},
              {"duration_ms", rec.duration_ms},
              {"billed_ms", rec.billed_ms},
              {"memory_mb", rec.memory_mb},
              {"max_memory_mb", rec.max_memory_mb},
              {"architecture", rec.architecture},
              {"outcome", rec.outcome},
              {"cpu_ms", rec.cpu_ms}};
    if (rec.init_ms) j["init_ms"] = *rec.init_ms;
    arr.push_back(std::move(j));
  }
  r.send(HttpResponse::json(200, json{{"reports", arr}}.dump()));
}

void Emulator::fx_cost(HttpRequest& req, const std::shared_ptr<Responder>& r) {
  if (req.method != "POST")
    return r->send(service_error(405, "MethodNotAllowedException", "POST a cost request"));
  usage::PriceTable prices;
  usage::CostRequest request;
  try {
    request = usage::parse_cost_request(req.body, prices);
  } catch (const Error& e) {
    return r->send(service_error(400, "InvalidParameterValueException", e.what()));
  }
  sink_.flush();  // every record of a finished invocation is in the store before we read
  worker_.post([this, r, request = std::move(request), prices = std::move(prices)] {
    int status = 200;
    std::string body;
    try {
      if (!background_reader_)
        background_reader_ = std::make_unique<store::Store>(options_.home / "state.db");
      body = usage::cost_report(request, prices, [&](const usage::ReportVisitor& visit) {
        background_reader_->for_each_report(request.functions, request.since_ms, visit);
      });
    } catch (const std::exception& e) {
      status = 500;
      body = json{{"__type", "ServiceException"}, {"message", e.what()}}.dump();
    }
    asio::post(io_, [r, status, body = std::move(body)]() mutable {
      r->send(HttpResponse::json(status, std::move(body)));
    });
  });
}

}  // namespace fx::emulator::front
