// The Node.js import graph of a handler: which files under the service root a function can
// load at runtime. A scanner finds require/import specifiers without a full parser; `follow`
// resolves them with Node's algorithm (extensions, index files, node_modules walk-up,
// package.json main/exports/imports) and keeps every reached file, the package.json files Node
// reads at runtime, and whole packages (or directories) that load files by computed names.
//
// Paths in the bundle are the paths as reached (a symlinked package is copied where the link
// is), because a zip holds plain files: Node inside the bundle resolves from those locations.
#pragma once

// The scanner (lexer) and the resolver live apart; this header is both.
#include "core/bundle/node_lexer.h"
#include "core/bundle/node_resolver.h"
