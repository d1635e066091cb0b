#include "core/util/redact.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <vector>

namespace fx::util {

namespace {

// Never destroyed: stdio's buffers are flushed at exit after static objects are gone, and that
// last flush must still see the values to hide.
std::mutex& mutex = *new std::mutex;
std::vector<std::string>& secrets() {
  static auto* values = new std::vector<std::string>;
  return *values;
}

}  // namespace

void add_secret(std::string value) {
  if (value.size() < 4) return;
  std::lock_guard lock(mutex);
  auto& all = secrets();
  if (std::find(all.begin(), all.end(), value) != all.end()) return;
  all.push_back(std::move(value));
  // Longest first: a secret that contains another is hidden whole.
  std::sort(all.begin(), all.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

std::string redact(std::string_view text) {
  std::lock_guard lock(mutex);
  std::string out(text);
  for (const auto& s : secrets()) {
    for (auto at = out.find(s); at != std::string::npos; at = out.find(s, at + 4))
      out.replace(at, s.size(), "****");
  }
  return out;
}

namespace {

bool any_secret() {
  std::lock_guard lock(mutex);
  return !secrets().empty();
}

ssize_t write_all(int fd, const char* data, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::write(fd, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    done += static_cast<std::size_t>(n);
  }
  return static_cast<ssize_t>(size);
}

ssize_t write_redacted(void* cookie, const char* data, std::size_t size) {
  const int fd = static_cast<int>(reinterpret_cast<std::intptr_t>(cookie));
  if (!any_secret()) return write_all(fd, data, size);
  std::string text = redact(std::string_view(data, size));
  // The stream counts what it handed over, not what reached the descriptor.
  return write_all(fd, text.data(), text.size()) < 0 ? -1 : static_cast<ssize_t>(size);
}

FILE* redacting_stream(int fd) {
  cookie_io_functions_t io{nullptr, write_redacted, nullptr, nullptr};
  FILE* f = fopencookie(reinterpret_cast<void*>(static_cast<std::intptr_t>(fd)), "w", io);
  if (f) setvbuf(f, nullptr, _IOLBF, 64 * 1024);
  return f;
}

}  // namespace

void redact_stdio() {
  std::fflush(stdout);
  std::fflush(stderr);
  if (FILE* out = redacting_stream(1)) stdout = out;
  if (FILE* err = redacting_stream(2)) stderr = err;
}

}  // namespace fx::util
