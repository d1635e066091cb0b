// The aws-chunked framing of S3 uploads that SDKs stream without knowing their hash up front
// (x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER
// and their kin): "HEX-SIZE[;chunk-signature=SIG]\r\n" DATA "\r\n" ..., a last chunk of size 0,
// then trailing headers (x-amz-checksum-crc32:...) and an empty line. Decoded a piece at a time,
// as the body comes off the disk, so an upload of any size takes one buffer.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fx::s3 {

class ChunkError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ChunkDecoder {
 public:
  // Appends the payload bytes in `in` to `out`. Throws ChunkError on a malformed frame.
  void feed(std::string_view in, std::string& out);
  // Whether the last chunk and its trailer have been read; bytes fed after that are an error.
  bool done() const { return state_ == State::done; }
  // The trailing headers, as sent ("x-amz-checksum-crc32", "AAAAAA==").
  const std::vector<std::pair<std::string, std::string>>& trailers() const { return trailers_; }
  std::uint64_t decoded() const { return decoded_; }

 private:
  enum class State { size_line, data, data_cr, data_lf, trailer_line, done };
  void size_line_done();
  void trailer_line_done();

  State state_ = State::size_line;
  std::string line_;
  std::uint64_t remaining_ = 0;
  std::uint64_t decoded_ = 0;
  std::vector<std::pair<std::string, std::string>> trailers_;
};

// Whether an x-amz-content-sha256 value names the aws-chunked framing.
bool is_streaming_payload(std::string_view content_sha256);

}  // namespace fx::s3
