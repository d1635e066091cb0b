// S3's REST API (core/s3/api.h) over a real s3::Store (SQLite and files). The input is a
// sequence of requests separated by lines holding only "---"; each is "METHOD PATH[?QUERY]" on
// its first line, header lines "Name: value" up to an empty line, then the body (XML
// documents, aws-chunked framing, anything).
//
// Invariants: every answer is a status S3 uses for client errors or a success (never a 500),
// an error answer is XML naming its code, and an object read back after a 200 PUT of plain
// bytes is those bytes. The XML reader and the chunk decoder are also fed the raw input.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/s3/api.h"
#include "core/s3/chunked.h"
#include "core/s3/store.h"
#include "core/s3/xml.h"
#include "tests/fuzz/fuzz_common.h"

using fx::fuzz::fail;

namespace {

constexpr std::size_t kMaxRequests = 16;

fx::s3::Store& store() {
  static fx::s3::Store s(fx::fuzz::scratch_dir() / "s3");
  return s;
}

fx::s3::Request parse(std::string_view text) {
  fx::s3::Request r;
  auto line_end = text.find('\n');
  std::string_view line = text.substr(0, line_end);
  text = line_end == std::string_view::npos ? std::string_view() : text.substr(line_end + 1);
  auto sp = line.find(' ');
  r.method = std::string(line.substr(0, sp));
  std::string_view target = sp == std::string_view::npos ? "/" : line.substr(sp + 1);
  auto q = target.find('?');
  r.path = std::string(target.substr(0, q));
  if (r.path.empty() || r.path[0] != '/') r.path = "/" + r.path;
  if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
  r.host = "127.0.0.1:1";
  while (!text.empty()) {
    auto end = text.find('\n');
    std::string_view h = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (h.empty()) break;
    auto colon = h.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view v = h.substr(colon + 1);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    r.headers.emplace_back(std::string(h.substr(0, colon)), std::string(v));
  }
  r.body = std::string(text);
  return r;
}

void reset() {
  auto& s = store();
  for (const auto& b : s.buckets()) {
    for (const auto& u : s.uploads(b.name)) s.delete_upload(u.id);
    for (const auto& o : s.list(b.name, "", "", 100000)) s.delete_object(b.name, o.key);
    s.delete_bucket(b.name);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    (void)fx::s3::parse_xml(input);
  } catch (const fx::s3::XmlError&) {
  }
  {
    fx::s3::ChunkDecoder d;
    std::string out;
    try {
      d.feed(input, out);
    } catch (const fx::s3::ChunkError&) {
    }
    if (out.size() > input.size()) fail("aws-chunked decoding produced more bytes than it read");
  }
  for (auto part : fx::fuzz::split_parts(input, kMaxRequests)) {
    fx::s3::Request req = parse(part);
    const bool plain_put = req.method == "PUT" && req.query.empty() && req.headers.empty();
    const std::string sent = req.body;
    fx::s3::Response r = fx::s3::handle(store(), req);
    if (r.status >= 500 && r.status != 501)
      fail("a 5xx answer to a request", std::string(part.substr(0, 400)) + "\n=> " + r.body);
    if (r.status >= 400 && !r.headers_only && r.body.find("<Code>") == std::string::npos)
      fail("an error answer without an S3 error code", r.body);
    // An object's PUT: "PUT /bucket/" (no key) is CreateBucket, whose GET is a listing.
    const auto key_at = req.path.find('/', 1);
    if (plain_put && r.status == 200 && key_at != std::string::npos &&
        key_at + 1 < req.path.size()) {
      fx::s3::Request get = req;
      get.method = "GET";
      get.body.clear();
      auto g = fx::s3::handle(store(), get);
      if (g.status != 200 || !g.file) fail("a stored object cannot be read back", part);
      std::string back(g.length, '\0');
      if (g.length > 0 &&
          ::pread(g.file->fd, back.data(), back.size(), static_cast<off_t>(g.offset)) !=
              static_cast<ssize_t>(back.size()))
        fail("a stored object is shorter than its length", part);
      if (back != sent) fail("an object read back differs from what was put", part);
    }
  }
  reset();
  return 0;
}
