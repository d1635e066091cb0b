// Event filter patterns (core/events/filter.h), as an sqs event's filterPatterns. The input is
// one or more patterns and then a message body, separated by lines holding only "---"; a
// single part is a pattern, matched against fixed bodies. Parsing either succeeds or throws
// fx::Error; matching never throws, whatever the body.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/events/filter.h"
#include "core/util/error.h"
#include "tests/fuzz/fuzz_common.h"

using fx::events::EventFilter;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // Seven parts at most: Lambda's five patterns, one more (refused), and the body.
  std::vector<std::string_view> parts = fx::fuzz::split_parts(input, 7);
  std::vector<std::string_view> bodies = {"{}", R"({"type":"order","n":5})", "plain text", ""};
  if (parts.size() > 1) {
    bodies.push_back(parts.back());
    parts.pop_back();
  }
  std::vector<std::string> patterns(parts.begin(), parts.end());
  EventFilter filter;
  try {
    filter = EventFilter::parse(patterns);
  } catch (const fx::Error& e) {
    fx::fuzz::check_user_text(e.what(), input);
    return 0;
  }
  if (filter.size() != patterns.size()) fx::fuzz::fail("a pattern was lost at parse");
  for (std::string_view body : bodies) (void)filter.passes_sqs_body(body);
  return 0;
}
