// What the instance pool's files share (pool.cpp: scheduling and instances; runtime_api.cpp:
// the Runtime API; instance_output.cpp: the log pipes; memory_watch.cpp: memorySize): its
// limits and small helpers. Included by those files only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace fx::emulator::pool_detail {

using json = nlohmann::json;

// Lambda's limit is 6 MB plus 100 bytes; its own messages say 6291556.
constexpr std::size_t kMaxResponseBytes = 6'291'556;
// The Runtime API reads bodies well past the limit so that an oversized response gets
// Lambda's 413 and its invocation fails cleanly, instead of a dropped connection.
constexpr std::size_t kRuntimeBodyLimit = 64 * 1024 * 1024;
constexpr std::size_t kLogTailBytes = 4096;
// CloudWatch Logs' limit on one log event: a longer line is cut there, and marked.
constexpr std::size_t kMaxLogLineBytes = 256 * 1024;
// What one invocation (or one instance's init) may write to its log. Lambda sets no such
// limit, but each line costs the store: a function printing in a loop must not fill the disk.
// Past it, lines are read and dropped, and one line says how much went.
constexpr std::size_t kMaxInvocationLogBytes = 10 * 1024 * 1024;
constexpr std::string_view kRuntimePrefix = "/2018-06-01/runtime/";

// Whole MB, rounded up: Max Memory Used as Lambda's REPORT line gives it.
inline int mb_rounded_up(std::uint64_t bytes) {
  return static_cast<int>((bytes + (1 << 20) - 1) >> 20);
}

inline std::mt19937_64& rng() {
  static std::mt19937_64 gen{std::random_device{}()};
  return gen;
}

inline std::string random_hex(int digits) {
  std::string out;
  while (static_cast<int>(out.size()) < digits) out += fmt::format("{:016x}", rng()());
  return out.substr(0, digits);
}

inline std::string runtime_error_json(std::string_view message, std::string_view type) {
  // What a runtime sends need not be UTF-8: replace what is not rather than throw.
  return json{{"errorMessage", message}, {"errorType", type}}.dump(-1, ' ', false,
                                                                   json::error_handler_t::replace);
}

inline std::string tail_of(const std::string& log) {
  if (log.size() <= kLogTailBytes) return log;
  return log.substr(log.size() - kLogTailBytes);
}

// Lambda writes timeouts as "N.00 seconds".
inline std::string timeout_text(int seconds) {
  return fmt::format("{}.00 seconds", seconds);
}

}  // namespace fx::emulator::pool_detail
