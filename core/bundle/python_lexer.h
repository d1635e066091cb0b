// Reading a Python source file for its imports without running Python: every import
// statement, literal import_module / __import__ call, dynamic import, module-level __all__ and
// string shaped like a module path, each with its line (python_lexer.cpp says how).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fx::bundle::python {

// One import found in a source file.
struct ImportRef {
  std::string module;              // "a.b" (absolute) or "b" with level>0 for "from ..b import x"
  int level = 0;                   // leading dots of a relative import
  std::vector<std::string> names;  // for "from M import a, b": {"a","b"} ("*" for star)
  int line = 0;                    // 1-based line of the statement or call
  bool optional = false;           // inside a try: whose handlers catch ImportError and the like
  bool dormant = false;  // under `if TYPE_CHECKING:` or `if "m" in sys.modules:`: loads nothing
};

// An import whose module name is computed at run time, so it cannot be followed.
struct DynamicImport {
  std::string expression;  // the call as written, e.g. "importlib.import_module(name)"
  int line = 0;
};

// A string literal shaped like a module path ("pkg.mod.func", "pkg.mod:func"): how lazy
// imports name their target (boto3's lazy_call, Django settings, entry points).
struct NameInString {
  std::string value;
  int line = 0;
};

// Everything the scanner learns from one source file.
struct ScanResult {
  std::vector<ImportRef> imports;            // in source order
  std::vector<DynamicImport> dynamic;        // import_module / __import__ of a non-literal
  std::vector<std::string> all_names;        // a literal module-level __all__, for "import *"
  std::vector<NameInString> module_strings;  // candidates for lazy imports
};

// Every import statement and literal import_module / __import__ call in Python source.
std::vector<ImportRef> scan_imports(std::string_view source);

// scan_imports plus the dynamic imports and __all__ the graph needs.
ScanResult scan_source(std::string_view source);

}  // namespace fx::bundle::python
