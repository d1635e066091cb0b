// Reading a JavaScript source file (CommonJS or ES modules) for the modules it loads, without
// a parser: literal specifiers, and the calls whose argument is computed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fx::bundle::node {

// One static import: a literal specifier and how it is loaded.
struct ImportRef {
  std::string specifier;  // "./lib/x", "lodash/fp", "@aws-sdk/client-s3", "node:fs"
  enum class Kind { require, import, dynamic_import, export_from, require_resolve } kind;
  int line = 0;
};

// A require/import whose argument is not a literal: the files it loads are unknown.
struct DynamicRef {
  int line = 0;
  std::string text;    // the call as written, e.g. "require(name)", whitespace collapsed
  std::string prefix;  // literal start of the argument ("./locale/" for './locale/' + x), or ""
};

// Everything `scan` found in one source file, in source order.
struct ScanResult {
  std::vector<ImportRef> imports;
  std::vector<DynamicRef> dynamic;
};

// Finds require('x'), require(`x`), require.resolve('x'), import ... from 'x', import 'x',
// export ... from 'x' and import('x'), skipping comments, strings, template text and (by the
// usual heuristic) regex literals. `obj.require(...)` is not a require. Calls through an alias
// (`r = require; r(x)`) count as require.
ScanResult scan(std::string_view source);

}  // namespace fx::bundle::node
