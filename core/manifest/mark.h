// Where a value of the manifest came from, for messages that point at its line.
#pragma once

#include <string>

namespace fx::manifest {

// file:line:col (1-based; 0 when unknown).
struct SourceMark {
  std::string file;
  int line = 0;
  int col = 0;
  std::string str() const;  // "serverless.yaml:7:14" (or just the file when line is 0)
};

}  // namespace fx::manifest
