#include "core/s3/chunked.h"

#include <fmt/format.h>

namespace fx::s3 {

namespace {
// A size line with its signature is ~90 bytes, a trailer line under 200: anything much longer
// is not a frame.
constexpr std::size_t kMaxLine = 4096;
constexpr std::size_t kMaxTrailers = 16;
}  // namespace

bool is_streaming_payload(std::string_view content_sha256) {
  return content_sha256.starts_with("STREAMING-");
}

void ChunkDecoder::size_line_done() {
  std::string_view line = line_;
  std::string_view hex = line.substr(0, line.find(';'));
  if (hex.empty() || hex.size() > 15)
    throw ChunkError(fmt::format("invalid chunk size line '{}'", line.substr(0, 64)));
  std::uint64_t size = 0;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v = c - 'A' + 10;
    else
      throw ChunkError(fmt::format("invalid chunk size '{}'", hex.substr(0, 64)));
    size = size * 16 + static_cast<std::uint64_t>(v);
  }
  line_.clear();
  remaining_ = size;
  state_ = size == 0 ? State::trailer_line : State::data;
}

void ChunkDecoder::trailer_line_done() {
  if (line_.empty()) {
    state_ = State::done;
    return;
  }
  auto colon = line_.find(':');
  if (colon == std::string::npos || colon == 0 || trailers_.size() == kMaxTrailers)
    throw ChunkError(fmt::format("invalid trailer '{}'", line_.substr(0, 64)));
  std::string value = line_.substr(colon + 1);
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  trailers_.emplace_back(line_.substr(0, colon), std::move(value));
  line_.clear();
}

void ChunkDecoder::feed(std::string_view in, std::string& out) {
  std::size_t i = 0;
  while (i < in.size()) {
    switch (state_) {
      case State::size_line:
      case State::trailer_line: {
        char c = in[i++];
        if (c == '\n') {
          if (line_.empty() || line_.back() != '\r') {
            // A trailer section may end with a bare empty line only after CRLFs; be strict.
            throw ChunkError("a chunk line does not end with CRLF");
          }
          line_.pop_back();
          if (state_ == State::size_line)
            size_line_done();
          else
            trailer_line_done();
        } else {
          if (line_.size() >= kMaxLine) throw ChunkError("a chunk line is too long");
          line_ += c;
        }
        break;
      }
      case State::data: {
        auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size() - i));
        out.append(in.data() + i, n);
        i += n;
        remaining_ -= n;
        decoded_ += n;
        if (remaining_ == 0) state_ = State::data_cr;
        break;
      }
      case State::data_cr:
        if (in[i++] != '\r') throw ChunkError("a chunk's data is longer than its size");
        state_ = State::data_lf;
        break;
      case State::data_lf:
        if (in[i++] != '\n') throw ChunkError("a chunk's data does not end with CRLF");
        state_ = State::size_line;
        break;
      case State::done:
        throw ChunkError("bytes after the last chunk");
    }
  }
}

}  // namespace fx::s3
