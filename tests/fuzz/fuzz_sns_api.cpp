// SNS's Query protocol (core/sns/api.h) over a real sns::Store (SQLite), and filter policies.
// The input is a sequence of parts separated by lines holding only "---": a part starting with
// "policy " is a filter policy (the rest of its first line is "attributes" or "body", its next
// line the policy, the line after a message body to match); any other part is a form-encoded
// request body.
//
// Invariants: every answer is XML with a 2xx, 400 or 404 (bad input is the client's error, never
// a 500); a delivery's Lambda record is JSON naming the message id Publish answered; a policy
// either parses or is refused with PolicyError, and matching never throws. Everything stored is
// deleted between inputs.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/sns/api.h"
#include "core/sns/filter_policy.h"
#include "core/sns/store.h"
#include "tests/fuzz/fuzz_common.h"

using fx::fuzz::fail;

namespace {

constexpr std::size_t kMaxParts = 24;

fx::sns::Store& store() {
  static fx::sns::Store s(fx::fuzz::scratch_dir() / "sns.db");
  return s;
}

void policy(std::string_view part) {
  auto line = [&part]() {
    auto nl = part.find('\n');
    std::string_view first = part.substr(0, nl);
    part = nl == std::string_view::npos ? std::string_view() : part.substr(nl + 1);
    return first;
  };
  const bool body_scope = line().ends_with("body");
  const std::string_view text = line();
  const std::string_view message = part;
  try {
    auto p = fx::sns::FilterPolicy::parse(text, body_scope);
    std::vector<fx::sns::MessageAttribute> attributes = {
        {"kind", "String", std::string(message), ""},
        {"price", "Number", std::string(message.substr(0, 8)), ""},
        {"tags", "String.Array", std::string(message), ""}};
    (void)p.matches(attributes, message);
  } catch (const fx::sns::PolicyError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto& s = store();
  const fx::sns::RequestContext ctx{"us-east-1", "http://127.0.0.1:4599", 1765000000000};
  for (std::string_view part : fx::fuzz::split_parts(input, kMaxParts)) {
    if (part.starts_with("policy ")) {
      policy(part);
      continue;
    }
    auto r = fx::sns::handle(s, part, ctx);
    if (r.status != 200 && r.status != 400 && r.status != 404)
      fail("an answer that is neither 200, 400 nor 404", std::string(part) + "\n=> " + r.body);
    if (!r.body.starts_with("<?xml version=\"1.0\"?>\n<"))
      fail("an answer that is not XML", r.body);
    for (const auto& d : r.deliveries) {
      if (d.kind != fx::sns::Delivery::Kind::lambda) continue;
      auto e = nlohmann::json::parse(d.body, nullptr, false);
      if (e.is_discarded() || e["Records"][0]["Sns"]["MessageId"] != d.message_id)
        fail("a Lambda record that is not JSON or names another message", d.body);
    }
  }
  std::vector<std::string> topics;
  for (const auto& [arn, t] : s.topics()) topics.push_back(arn);
  for (const auto& arn : topics) s.erase_topic(arn);
  return 0;
}
