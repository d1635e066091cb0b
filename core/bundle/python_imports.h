// Python import graphs for minimal bundles: a static scanner that finds every import in a
// source file without running Python, and a resolver that follows them from a handler through
// a list of search roots the way sys.path does, keeping only the files a run can reach
// (modules, the __init__ chain, package data, native libraries, the metadata
// importlib.metadata reads) and saying why each one is kept.
#pragma once

// The scanner (lexer) and the resolver live apart; this header is both.
#include "core/bundle/python_lexer.h"
#include "core/bundle/python_resolver.h"
