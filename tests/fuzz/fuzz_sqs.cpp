// The SQS JSON protocol (core/queues/sqs_api.h) over a real QueueStore on a SQLite file. The
// input is a sequence of requests separated by lines holding only "---"; each is the
// X-Amz-Target value on its first line ("AmazonSQS.SendMessage") and the JSON body after it.
// A first line "tick N" moves the store's clock N seconds on instead (visibility timeouts,
// delays, retention). After the requests, every queue's messages are received as Lambda's
// SQS event source receives them and made into its event.
//
// Invariants: every answer is JSON with a 200 or a 400 (bad input is the client's error,
// never a 500 InternalError); its x-amzn-query-error header, when any, names a code; the
// Lambda event is JSON. Queues are deleted between inputs, and the clock starts again.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/queues/queue_store.h"
#include "core/queues/sqs_api.h"
#include "tests/fuzz/fuzz_common.h"

using fx::fuzz::fail;
using fx::queues::QueueStore;
using fx::queues::SqsResult;

namespace {

constexpr std::int64_t kStart = 1'795'773'600'000;  // 2026-11-27 10:00 UTC
constexpr std::size_t kMaxRequests = 32;
const std::string kEndpoint = "http://127.0.0.1:4599";
const std::string kRegion = "us-east-1";

std::int64_t g_now = kStart;

QueueStore& store() {
  static QueueStore s(fx::fuzz::scratch_dir() / "queues.db", [] { return g_now; });
  return s;
}

// `input` is the whole run: an answer may quote what an earlier request stored (a tag set by
// TagQueue comes back from ListQueueTags), and that is the user's text, not fx's internals.
void check(const SqsResult& r, std::string_view request, std::string_view input) {
  if (r.status != 200 && r.status != 400)
    fail("an SQS answer that is neither 200 nor 400", std::string(request) + "\n=> " + r.body);
  if (!nlohmann::json::accept(r.body)) fail("an SQS answer that is not JSON", r.body);
  fx::fuzz::check_user_text(r.body, input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  QueueStore& queues = store();
  g_now = kStart;
  for (std::string_view request : fx::fuzz::split_parts(input, kMaxRequests)) {
    const auto newline = request.find('\n');
    const std::string_view target = request.substr(0, newline);
    const std::string_view body =
        newline == std::string_view::npos ? std::string_view() : request.substr(newline + 1);
    if (target.starts_with("tick ")) {
      // Up to a day at a time: retention and the longest visibility timeout (12 hours).
      std::int64_t seconds = 0;
      for (char c : target.substr(5))
        if (c >= '0' && c <= '9') seconds = std::min<std::int64_t>(seconds * 10 + (c - '0'), 86400);
      g_now += seconds * 1000;
      continue;
    }
    SqsResult result = fx::queues::handle_sqs(queues, target, body, kEndpoint, kRegion);
    check(result, request, input);
    if (result.wait_until_ms > 0) {
      // A long poll: the emulator asks again when a message may be receivable, or at the end.
      if (result.recheck_at_ms < g_now || result.recheck_at_ms > result.wait_until_ms)
        fail("a long poll's recheck time outside (now, deadline]", request);
      g_now = result.recheck_at_ms;
      check(fx::queues::handle_sqs(queues, target, body, kEndpoint, kRegion, result.wait_until_ms),
            request, input);
    }
  }
  for (const std::string& name : queues.list_queues()) {
    auto messages = queues.receive_for_lambda(name, 100);
    std::string event =
        fx::queues::lambda_sqs_event_json(messages, fx::queues::queue_arn(kRegion, name), kRegion);
    if (!nlohmann::json::accept(event)) fail("a Lambda SQS event that is not JSON", event);
  }
  for (const std::string& name : queues.list_queues()) queues.delete_queue(name);
  return 0;
}
