// YAML text → a tree that the rest of core/manifest can walk without blowing up: the encoding
// is checked, parse errors are put in plain words with their line and column, and a document
// whose aliases or nesting would make a walk explode in time, memory or stack (a "billion
// laughs" document, 100,000 `[`) is refused before anything walks it. Internal to
// core/manifest; yaml-cpp stays out of this header.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace YAML {
class Node;
}

namespace fx::manifest {

// The deepest nesting of lists and maps fx reads, counting what aliases bring in. Real
// manifests (CloudFormation and Step Functions included) stay far below it, and every walk of
// the tree stays far from any stack limit, sanitizers included.
inline constexpr int kMaxNesting = 100;

// How much aliases may add to a document: values (each scalar, list and map a walk meets once
// more) and bytes of scalar text. Merge keys and shared blocks of real projects add hundreds.
inline constexpr std::uint64_t kMaxAliasValues = 1'000'000;
inline constexpr std::uint64_t kMaxAliasBytes = std::uint64_t{64} << 20;

// The largest YAML or JSON text fx parses (yaml-cpp reads a few MB a second).
inline constexpr std::uint64_t kMaxDocumentBytes = std::uint64_t{16} << 20;

// Parses the first document of `text`, the contents of `file` (as messages name it), written
// in `language` ("YAML", or "JSON" for a .json file). Throws fx::Error
// `file:line:col: [key.path: ]what is wrong` with a hint for bad encoding (NUL bytes, invalid
// UTF-8, UTF-16), invalid YAML (a tab in the indentation named as such), nesting deeper than
// kMaxNesting, aliases past kMaxAliasValues / kMaxAliasBytes or inside their own anchor, and
// duplicate keys. An empty text gives a null node.
YAML::Node parse_document(std::string_view text, const std::string& file,
                          std::string_view language = "YAML");

}  // namespace fx::manifest
