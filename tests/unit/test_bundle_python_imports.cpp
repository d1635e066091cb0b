#include <catch2/catch.hpp>

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/bundle/python_imports.h"
#include "core/util/error.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using namespace fx::bundle::python;

using fx::test::TempDir;

namespace {

void write_file(const fs::path& path, const std::string& content = "") {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

// "module@line" for each import, plus "+names" and "(opt)" when they apply: one string per
// import keeps expectations readable.
std::vector<std::string> describe(const std::vector<ImportRef>& refs) {
  std::vector<std::string> out;
  for (const auto& r : refs) {
    std::string s = std::string(static_cast<std::size_t>(r.level), '.') + r.module;
    for (std::size_t i = 0; i < r.names.size(); ++i) s += (i ? "," : " +") + r.names[i];
    s += "@" + std::to_string(r.line);
    if (r.optional) s += "(opt)";
    if (r.dormant) s += "(dormant)";
    out.push_back(s);
  }
  return out;
}

std::vector<std::string> scan(const std::string& source) {
  return describe(scan_imports(source));
}

std::vector<std::string> paths(const Graph& g) {
  std::vector<std::string> out;
  for (const auto& f : g.files) out.push_back(f.archive_path);
  return out;
}

std::string reason(const Graph& g, const std::string& archive_path) {
  for (const auto& f : g.files)
    if (f.archive_path == archive_path) return f.reason;
  return "(not kept)";
}

std::string error_of(const std::string& handler, const std::vector<SearchRoot>& roots) {
  try {
    follow(handler, roots);
  } catch (const fx::Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Scanner

TEST_CASE("scan_imports reads every form of import statement", "[bundle][python]") {
  CHECK(scan("import os\nimport a.b as c, d\n") ==
        std::vector<std::string>{"os@1", "a.b@2", "d@2"});
  CHECK(scan("from x import y, z as w\n") == std::vector<std::string>{"x +y,z@1"});
  CHECK(scan("from x.y import *\n") == std::vector<std::string>{"x.y +*@1"});
  CHECK(scan("from . import m\nfrom .. import n\nfrom .sib import a\nfrom ...up.deep import b\n") ==
        std::vector<std::string>{". +m@1", ".. +n@2", ".sib +a@3", "...up.deep +b@4"});
  CHECK(scan("from x import (\n    a,\n    b as bb,  # why\n    c,\n)\nimport after\n") ==
        std::vector<std::string>{"x +a,b,c@1", "after@6"});
}

TEST_CASE("scan_imports finds imports nested at any indentation", "[bundle][python]") {
  std::string source =
      "class A:\n"
      "    import in_class\n"
      "    def f(self):\n"
      "        if True:\n"
      "            from in_if import x\n"
      "        for _ in []:\n"
      "\timport in_tab\n"
      "def g(): import inline_def\n"
      "async def h():\n"
      "    async with x:\n"
      "        import in_async\n";
  CHECK(scan(source) == std::vector<std::string>{"in_class@2", "in_if +x@5", "in_tab@7",
                                                 "inline_def@8", "in_async@11"});
}

TEST_CASE("scan_imports ignores imports inside strings and comments", "[bundle][python]") {
  std::string source =
      "\"\"\"Module docs.\n"
      "\n"
      "import not_a_module\n"
      "\"\"\"\n"
      "# import commented\n"
      "x = 'import quoted'  # from a import b\n"
      "y = r'\\' import raw'\n"
      "z = '''\n"
      "from triple import single\n"
      "'''\n"
      "f = f\"{d['k']} import in_fstring {x!r:>{w}}\"\n"
      "g = f\"{d[\"k\"]} import nested_same_quote\"\n"
      "h = rb\"import bytes\" b'''\n"
      "import in_bytes'''\n"
      // Misreading either of these ends the string early and finds an import after the ';'.
      "i = r'\\';import raw_backslash;'\n"
      "j = f\"{\";import field_string;\"}\"\n"
      "s = \"unterminated\n"
      "import real  # after all the strings\n"
      "def f():\n"
      "    '''import in_docstring'''\n"
      "    import also_real\n";
  CHECK(scan(source) == std::vector<std::string>{"real@18", "also_real@21"});
}

TEST_CASE("scan_imports follows continuations and ';'", "[bundle][python]") {
  CHECK(scan("import a, \\\n    b\nfrom c \\\n  import d\n") ==
        std::vector<std::string>{"a@1", "b@1", "c +d@3"});
  CHECK(scan("import a; import b\nx = 1; from c import d; y = 2\n") ==
        std::vector<std::string>{"a@1", "b@1", "c +d@2"});
  CHECK(scan("call(1,\n     2); import after_paren\n") ==
        std::vector<std::string>{"after_paren@2"});
  CHECK(scan("import a\r\nif x:\r\n    import b\r\n") == std::vector<std::string>{"a@1", "b@3"});
  CHECK(scan("\xEF\xBB\xBFimport bom\n") == std::vector<std::string>{"bom@1"});
}

TEST_CASE("scan_imports marks imports guarded by an ImportError handler", "[bundle][python]") {
  SECTION("handlers that catch ImportError, its subclass, or anything wider") {
    for (std::string handler : {"except ImportError:", "except ModuleNotFoundError as e:",
                                "except (ValueError, ImportError):", "except Exception:",
                                "except BaseException:", "except:"}) {
      CAPTURE(handler);
      std::string source = "try:\n    import fast\n    from x import y\n" + handler +
                           "\n    import slow\nimport after\n";
      CHECK(scan(source) ==
            std::vector<std::string>{"fast@2(opt)", "x +y@3(opt)", "slow@5", "after@6"});
    }
  }
  SECTION("a handler for something else does not make an import optional") {
    CHECK(scan("try:\n    import a\nexcept ValueError:\n    pass\n") ==
          std::vector<std::string>{"a@2"});
    CHECK(scan("try:\n    import a\nfinally:\n    pass\n") == std::vector<std::string>{"a@2"});
  }
  SECTION("the import handler may come after others") {
    CHECK(scan("try:\n    import a\nexcept KeyError:\n    pass\nexcept ImportError:\n    pass\n"
               "else:\n    import b\n") == std::vector<std::string>{"a@2(opt)", "b@8"});
  }
  SECTION("inline bodies, nesting and functions") {
    CHECK(scan("try: import a; import b\nexcept ImportError: import c\n") ==
          std::vector<std::string>{"a@1(opt)", "b@1(opt)", "c@2"});
    std::string nested =
        "def f():\n"
        "    try:\n"
        "        if x:\n"
        "            import deep\n"
        "        try:\n"
        "            import inner\n"
        "        except KeyError:\n"
        "            import handler_body\n"
        "    except ImportError:\n"
        "        pass\n"
        "    import plain\n";
    CHECK(scan(nested) == std::vector<std::string>{"deep@4(opt)", "inner@6(opt)",
                                                   "handler_body@8(opt)", "plain@11"});
  }
}

TEST_CASE("scan_source reads literal import_module and __import__ calls", "[bundle][python]") {
  ScanResult r = scan_source(
      "import importlib\n"
      "m = importlib.import_module(\"a.b\")\n"
      "n = import_module('.rel', package='pkg.sub')\n"
      "o = importlib.import_module('..up', 'pkg.sub')\n"
      "p = importlib.import_module('.mine', __package__)\n"
      "q = __import__('x.y')\n"
      "r = __import__('m', globals(), locals(), ['n1', 'n2'])\n"
      "s = __import__('k', fromlist=('v',))\n"
      "t = importlib.import_module(name)\n"
      "u = __import__(\n    'plugins.%s' % kind)\n"
      "def import_module(name):\n"
      "    return name\n");
  CHECK(describe(r.imports) == std::vector<std::string>{"importlib@1", "a.b@2", "pkg.sub.rel@3",
                                                        "pkg.up@4", ".mine@5", "x.y@6",
                                                        "m +n1,n2@7", "k +v@8"});
  REQUIRE(r.dynamic.size() == 2);
  CHECK(r.dynamic[0].expression == "importlib.import_module(name)");
  CHECK(r.dynamic[0].line == 9);
  CHECK(r.dynamic[1].expression == "__import__( 'plugins.%s' % kind)");
  CHECK(r.dynamic[1].line == 10);
}

TEST_CASE("scan_imports marks imports that can load nothing as dormant", "[bundle][python]") {
  std::string source =
      "from typing import TYPE_CHECKING\n"
      "if TYPE_CHECKING:\n"
      "    import hints\n"
      "    if x:\n"
      "        import deeper_hints\n"
      "else:\n"
      "    import runtime\n"
      "if typing.TYPE_CHECKING: import qualified\n"
      "if \"IPython\" in sys.modules:\n"
      "    import IPython\n"
      "if TYPE_CHECKING or DEBUG:\n"
      "    import not_dormant\n"
      "import after\n";
  CHECK(scan(source) == std::vector<std::string>{"typing +TYPE_CHECKING@1", "hints@3(dormant)",
                                                 "deeper_hints@5(dormant)", "runtime@7",
                                                 "qualified@8(dormant)", "IPython@10(dormant)",
                                                 "not_dormant@12", "after@13"});
}

TEST_CASE("scan_source collects strings shaped like module paths", "[bundle][python]") {
  ScanResult r = scan_source(
      "lazy_call('pkg.mod.func')\n"
      "APPS = [\"django.contrib.admin\", 'single', 'has space.x', '1.2.3', 'a..b', 'x.']\n"
      "EP = 'pkg.cli:main'\n"
      "f'pkg.not_literal'\n"
      "'''pkg.doc'''\n");
  std::vector<std::string> values;
  for (const auto& n : r.module_strings) values.push_back(n.value + "@" + std::to_string(n.line));
  CHECK(values == std::vector<std::string>{"pkg.mod.func@1", "django.contrib.admin@2",
                                           "pkg.cli:main@3", "pkg.doc@5"});
}

TEST_CASE("scan_source reads a literal __all__", "[bundle][python]") {
  ScanResult r = scan_source(
      "__all__ = ['a', \"b\"]\n__all__ += ('c',)\ndef f():\n"
      "    __all__ = ['local']\n");
  CHECK(r.all_names == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("scan_imports survives soft keywords and odd headers", "[bundle][python]") {
  CHECK(scan("match = 1\nmatch x:\n    case 1: import one\n    case _:\n        import two\n") ==
        std::vector<std::string>{"one@3", "two@5"});
  CHECK(scan("if n := f(): import walrus\nwith lambda: 1: pass\nimport after\n") ==
        std::vector<std::string>{"walrus@1", "after@3"});
}

// ---------------------------------------------------------------------------------------------
// Graph

TEST_CASE("follow keeps the handler and what it reaches, nothing else", "[bundle][python]") {
  TempDir dir;
  fs::path svc = dir.path;
  write_file(svc / "serverless.yml", "service: svc\n");
  write_file(svc / "src/app.py",
             "import os\nfrom src.lib import util\nfrom . import helpers\n\ndef main(e, c):\n"
             "    import src.lazy\n");
  write_file(svc / "src/helpers.py", "X = 1\n");
  write_file(svc / "src/lazy.py", "");
  write_file(svc / "src/lib/__init__.py", "");
  write_file(svc / "src/lib/util.py", "import json\n");
  write_file(svc / "src/unused.py", "import src.lib\n");
  write_file(svc / "other/thing.py", "");

  Graph g = follow("src/app", {{svc}});
  CHECK(paths(g) == std::vector<std::string>{"src/app.py", "src/helpers.py", "src/lazy.py",
                                             "src/lib/__init__.py", "src/lib/util.py"});
  CHECK(reason(g, "src/app.py") == "handler");
  CHECK(reason(g, "src/lib/util.py") == "import chain: handler → src.lib.util");
  CHECK(reason(g, "src/lib/__init__.py") == "import chain: handler → src.lib");
  CHECK(g.not_found == std::vector<std::string>{"json", "os"});
  for (const auto& f : g.files) CHECK(f.source == svc / f.archive_path);
}

TEST_CASE("follow runs the __init__ chain of every package on the way", "[bundle][python]") {
  TempDir dir;
  write_file(dir.path / "handler.py", "import a.b.c\n");
  write_file(dir.path / "a/__init__.py", "from .helper import h\n");
  write_file(dir.path / "a/helper.py", "");
  write_file(dir.path / "a/b/__init__.py", "");
  write_file(dir.path / "a/b/c.py", "import a.b.d\n");
  write_file(dir.path / "a/b/d.py", "");
  write_file(dir.path / "a/b/e.py", "");

  Graph g = follow("handler", {{dir.path}});
  CHECK(paths(g) == std::vector<std::string>{"a/__init__.py", "a/b/__init__.py", "a/b/c.py",
                                             "a/b/d.py", "a/helper.py", "handler.py"});
  CHECK(reason(g, "a/b/d.py") == "import chain: handler → a.b.c → a.b.d");
  CHECK(reason(g, "a/helper.py") == "import chain: handler → a → a.helper");
  CHECK(reason(g, "a/b/__init__.py") == "__init__ of package a.b");
}

TEST_CASE("follow tells submodules from attributes in from-imports", "[bundle][python]") {
  TempDir dir;
  write_file(dir.path / "handler.py", "from pkg import sub, attr, subpkg\nfrom pkg.mod import *\n");
  write_file(dir.path / "pkg/__init__.py", "attr = 1\n");
  write_file(dir.path / "pkg/sub.py", "");
  write_file(dir.path / "pkg/subpkg/__init__.py", "");
  write_file(dir.path / "pkg/subpkg/inner.py", "");
  write_file(dir.path / "pkg/unrelated.py", "");
  write_file(dir.path / "pkg/mod/__init__.py", "__all__ = ['listed', 'name_only']\n");
  write_file(dir.path / "pkg/mod/listed.py", "");
  write_file(dir.path / "pkg/mod/unlisted.py", "");

  Graph g = follow("handler", {{dir.path}});
  CHECK(paths(g) == std::vector<std::string>{"handler.py", "pkg/__init__.py", "pkg/mod/__init__.py",
                                             "pkg/mod/listed.py", "pkg/sub.py",
                                             "pkg/subpkg/__init__.py"});
  CHECK(g.not_found.empty());
}

TEST_CASE("follow resolves relative imports against the importing package", "[bundle][python]") {
  TempDir dir;
  write_file(dir.path / "handler.py", "import pkg.sub.mod\n");
  write_file(dir.path / "pkg/__init__.py", "");
  write_file(dir.path / "pkg/top.py", "");
  write_file(dir.path / "pkg/other.py", "");
  write_file(dir.path / "pkg/sub/__init__.py", "from . import sibling\n");
  write_file(dir.path / "pkg/sub/sibling.py", "");
  write_file(dir.path / "pkg/sub/mod.py",
             "from .sibling import x\nfrom ..top import y\nfrom .. import other\n"
             "from ... import too_far\nimport importlib\n"
             "plug = importlib.import_module('.plugin', __package__)\n");
  write_file(dir.path / "pkg/sub/plugin.py", "");

  Graph g = follow("handler", {{dir.path}});
  CHECK(paths(g) == std::vector<std::string>{
                        "handler.py", "pkg/__init__.py", "pkg/other.py", "pkg/sub/__init__.py",
                        "pkg/sub/mod.py", "pkg/sub/plugin.py", "pkg/sub/sibling.py", "pkg/top.py"});
  REQUIRE(g.notes.size() == 1);
  CHECK(g.notes[0].find("pkg/sub/mod.py:4") != std::string::npos);
}

TEST_CASE("follow handles namespace packages across roots", "[bundle][python]") {
  TempDir dir;
  fs::path svc = dir.path / "svc", deps = dir.path / "deps";
  write_file(svc / "handler.py", "import ns.a\nimport ns.b\nimport shadow\n");
  write_file(svc / "ns/a.py", "");
  write_file(svc / "ns/config.json", "{}");
  write_file(deps / "ns/b.py", "");
  write_file(deps / "ns/c.py", "");
  // A regular package in a later root beats a namespace folder in an earlier one.
  write_file(svc / "shadow/stray.txt", "");
  write_file(svc / "shadow/x.py", "");
  write_file(deps / "shadow/__init__.py", "");

  Graph g = follow("handler", {{svc}, {deps}});
  CHECK(paths(g) == std::vector<std::string>{"handler.py", "ns/a.py", "ns/b.py", "ns/config.json",
                                             "shadow/__init__.py"});
  for (const auto& f : g.files) {
    CAPTURE(f.archive_path);
    CHECK(f.source ==
          (f.archive_path == "ns/b.py" || f.archive_path == "shadow/__init__.py" ? deps : svc) /
              f.archive_path);
  }
}

TEST_CASE("follow keeps package data and native modules beside reached packages",
          "[bundle][python]") {
  TempDir dir;
  fs::path svc = dir.path / "svc", deps = dir.path / "deps";
  write_file(svc / "handler.py", "import lib\nimport fast\n");
  write_file(deps / "lib/__init__.py", "");
  write_file(deps / "lib/schema.json", "{}");
  write_file(deps / "lib/cacert.pem", "pem");
  write_file(deps / "lib/_speedups.cpython-311-x86_64-linux-gnu.so", "elf");
  write_file(deps / "lib/templates/page.html", "<p>");
  write_file(deps / "lib/templates/nested/more.txt", "");
  write_file(deps / "lib/plugins/p.py", "");  // a namespace subpackage: only if imported
  write_file(deps / "lib/plugins/p.json", "");
  write_file(deps / "lib/sub/__init__.py", "");  // a subpackage: only if imported
  write_file(deps / "lib/sub/data.csv", "");
  write_file(deps / "fast.cpython-311-x86_64-linux-gnu.so", "elf");
  write_file(deps / "unreached/__init__.py", "");
  write_file(deps / "unreached/data.json", "");

  Graph g = follow("handler", {{svc}, {deps}});
  CHECK(paths(g) ==
        std::vector<std::string>{"fast.cpython-311-x86_64-linux-gnu.so", "handler.py",
                                 "lib/__init__.py", "lib/_speedups.cpython-311-x86_64-linux-gnu.so",
                                 "lib/cacert.pem", "lib/schema.json",
                                 "lib/templates/nested/more.txt", "lib/templates/page.html"});
  CHECK(reason(g, "lib/templates/page.html") == "package data of lib");
  CHECK(reason(g, "fast.cpython-311-x86_64-linux-gnu.so") == "import chain: handler → fast");
}

TEST_CASE("follow strips what a runtime never reads", "[bundle][python]") {
  TempDir dir;
  fs::path svc = dir.path / "svc", deps = dir.path / "deps";
  write_file(svc / "handler.py", "import lib\nimport mine\n");
  write_file(deps / "lib/__init__.py", "from .tests import helper\n");
  write_file(deps / "lib/__init__.pyi", "");
  write_file(deps / "lib/py.typed", "");
  write_file(deps / "lib/README.md", "");
  write_file(deps / "lib/guide.rst", "");
  write_file(deps / "lib/ext.c", "");
  write_file(deps / "lib/ext.h", "");
  write_file(deps / "lib/ext.pyx", "");
  write_file(deps / "lib/ext.pxd", "");
  write_file(deps / "lib/__pycache__/__init__.cpython-311.pyc", "");
  write_file(deps / "lib/old.pyc", "");
  write_file(deps / "lib/tests/__init__.py", "");
  write_file(deps / "lib/tests/helper.py", "");  // imported: kept
  write_file(deps / "lib/tests/test_lib.py", "");
  write_file(deps / "lib/test/fixture.json", "");
  write_file(deps / "lib/docs/index.txt", "");
  write_file(deps / "lib/kept.txt", "");
  // In the user's own code a folder called tests or docs holding data is data like any other.
  write_file(svc / "mine/__init__.py", "");
  write_file(svc / "mine/docs/help.txt", "");
  write_file(svc / "mine/__pycache__/__init__.cpython-311.pyc", "");

  Graph g = follow("handler", {{svc}, {deps}});
  CHECK(paths(g) == std::vector<std::string>{"handler.py", "lib/__init__.py", "lib/kept.txt",
                                             "lib/tests/__init__.py", "lib/tests/helper.py",
                                             "mine/__init__.py", "mine/docs/help.txt"});
}

TEST_CASE("follow keeps only the metadata importlib.metadata reads, for reached packages",
          "[bundle][python]") {
  TempDir dir;
  fs::path svc = dir.path / "svc", deps = dir.path / "deps";
  write_file(svc / "handler.py", "import requests, yaml, attr, shared.one, legacy\n");
  auto dist = [&](const std::string& name, const std::string& top_level,
                  const std::string& record) {
    fs::path d = deps / name;
    write_file(d / "METADATA", "Name: x\n");
    write_file(d / "RECORD", record);
    write_file(d / "WHEEL", "");
    write_file(d / "INSTALLER", "pip\n");
    write_file(d / "REQUESTED", "");
    write_file(d / "LICENSE.txt", "");
    write_file(d / "direct_url.json", "{}");
    if (!top_level.empty()) write_file(d / "top_level.txt", top_level);
  };
  write_file(deps / "requests/__init__.py", "");
  dist("requests-2.31.0.dist-info", "requests\n", "requests/__init__.py,,\n");
  write_file(deps / "requests-2.31.0.dist-info/entry_points.txt", "[x]\n");
  write_file(deps / "yaml/__init__.py", "");
  dist("PyYAML-6.0.1.dist-info", "_yaml\nyaml\n", "");
  write_file(deps / "attr/__init__.py", "");  // a wheel without top_level.txt: RECORD says
  dist("attrs-23.1.0.dist-info", "", "attr/__init__.py,sha256=x,1\nattrs/__init__.py,,\n");
  write_file(deps / "shared/one/__init__.py", "");  // two distributions share a namespace
  write_file(deps / "shared/two/__init__.py", "");
  dist("shared_one-1.0.dist-info", "shared\n", "shared/one/__init__.py,,\n");
  dist("shared_two-1.0.dist-info", "shared\n", "shared/two/__init__.py,,\n");
  write_file(deps / "legacy.py", "");
  write_file(deps / "legacy-0.1-py3.11.egg-info/PKG-INFO", "Name: legacy\n");
  write_file(deps / "legacy-0.1-py3.11.egg-info/SOURCES.txt", "");
  write_file(deps / "unused/__init__.py", "");
  dist("unused-1.0.dist-info", "unused\n", "unused/__init__.py,,\n");

  Graph g = follow("handler", {{svc}, {deps}});
  CHECK(paths(g) ==
        std::vector<std::string>{
            "PyYAML-6.0.1.dist-info/METADATA", "attr/__init__.py",
            "attrs-23.1.0.dist-info/METADATA", "handler.py", "legacy-0.1-py3.11.egg-info/PKG-INFO",
            "legacy.py", "requests-2.31.0.dist-info/METADATA",
            "requests-2.31.0.dist-info/entry_points.txt", "requests/__init__.py",
            "shared/one/__init__.py", "shared_one-1.0.dist-info/METADATA", "yaml/__init__.py"});
  CHECK(reason(g, "requests-2.31.0.dist-info/METADATA") ==
        "metadata of requests (importlib.metadata)");
}

TEST_CASE("follow keeps a wheel's auditwheel libraries", "[bundle][python]") {
  TempDir dir;
  fs::path deps = dir.path / "deps";
  write_file(dir.path / "svc/handler.py", "import numpy\n");
  write_file(deps / "numpy/__init__.py", "");
  write_file(deps / "numpy-2.0.0.dist-info/METADATA", "");
  write_file(deps / "numpy-2.0.0.dist-info/top_level.txt", "numpy\n");
  write_file(deps / "numpy.libs/libopenblas-r0.3.so", "elf");
  write_file(deps / "scipy.libs/libother.so", "elf");
  Graph g = follow("handler", {{dir.path / "svc"}, {deps}});
  CHECK(paths(g) == std::vector<std::string>{"handler.py", "numpy-2.0.0.dist-info/METADATA",
                                             "numpy.libs/libopenblas-r0.3.so",
                                             "numpy/__init__.py"});
}

TEST_CASE("follow takes each module from the first root that has it", "[bundle][python]") {
  TempDir dir;
  fs::path a = dir.path / "a", b = dir.path / "b";
  write_file(a / "handler.py",
             "import lib, lib2\ntry:\n    import missing\nexcept ImportError:\n"
             "    missing = None\n");
  write_file(a / "lib.py", "# from a\n");
  write_file(b / "lib.py", "# from b\nimport never\n");
  write_file(b / "lib2.py", "");
  write_file(b / "never.py", "");

  Graph g = follow("handler", {{a}, {dir.path / "does-not-exist"}, {b}});
  CHECK(paths(g) == std::vector<std::string>{"handler.py", "lib.py", "lib2.py"});
  CHECK(reason(g, "lib.py") == "import chain: handler → lib");
  for (const auto& f : g.files)
    CHECK(f.source == (f.archive_path == "lib2.py" ? b : a) / f.archive_path);
  CHECK(g.not_found == std::vector<std::string>{"missing"});
}

TEST_CASE("follow reports imports it cannot follow", "[bundle][python]") {
  TempDir dir;
  write_file(dir.path / "app.py",
             "import importlib\n\ndef load(name):\n    return importlib.import_module(name)\n"
             "from . import nope\n");
  Graph g = follow("app", {{dir.path}});
  REQUIRE(g.notes.size() == 2);
  CHECK(g.notes[0] ==
        "dynamic import in app.py:4 (importlib.import_module(name)) cannot be followed");
  CHECK(g.notes[1].find("app.py:5") != std::string::npos);
  CHECK(g.not_found == std::vector<std::string>{"importlib"});
}

TEST_CASE("follow names every path searched for a missing handler", "[bundle][python]") {
  TempDir dir;
  write_file(dir.path / "src/other.py");
  write_file(dir.path / "src/app/readme.txt");  // a folder without __init__ is no handler
  std::string message = error_of("src/app", {{dir.path}});
  CHECK(message.find("handler module 'src/app' not found") != std::string::npos);
  for (std::string searched : {"src/app.py", "src/app/__init__.py", "src/app.*.so"})
    CHECK(message.find((dir.path / searched).string()) != std::string::npos);
  CHECK(error_of("missing/deep/mod", {{dir.path}})
            .find((dir.path / "missing/deep/mod.py").string()) != std::string::npos);
}

TEST_CASE("follow refuses symlink loops and skips links leaving the roots", "[bundle][python]") {
  TempDir dir;
  fs::path svc = dir.path / "svc";
  write_file(svc / "handler.py", "import pkg\n");
  write_file(svc / "pkg/__init__.py", "");
  write_file(svc / "pkg/data/file.txt", "");

  SECTION("a folder linking back to its parent") {
    fs::create_directory_symlink("..", svc / "pkg/data/loop");
    std::string message = error_of("handler", {{svc}});
    CHECK(message.find("symlink loop") != std::string::npos);
    CHECK(message.find((svc / "pkg/data/loop").string()) != std::string::npos);
  }
  SECTION("files linking to each other") {
    fs::create_symlink("b.txt", svc / "pkg/a.txt");
    fs::create_symlink("a.txt", svc / "pkg/b.txt");
    CHECK(error_of("handler", {{svc}}).find("symlink loop at " + (svc / "pkg/a.txt").string()) !=
          std::string::npos);
  }
  SECTION("a link out of every root is not followed, unless it is allowed") {
    write_file(dir.path / "outside/secret.txt", "");
    write_file(dir.path / "outside/lib/shared.py", "");
    fs::create_symlink(dir.path / "outside/secret.txt", svc / "pkg/secret.txt");
    fs::create_directory_symlink(dir.path / "outside/lib", svc / "pkg/lib");
    write_file(svc / "handler.py", "import pkg\nimport shared\n");
    fs::create_symlink(dir.path / "outside/lib/shared.py", svc / "shared.py");
    Graph g = follow("handler", {{svc}});
    CHECK(paths(g) ==
          std::vector<std::string>{"handler.py", "pkg/__init__.py", "pkg/data/file.txt"});
    REQUIRE(g.skipped_links.size() == 3);
    CHECK(g.skipped_links[0].path == "pkg/lib");
    CHECK(g.skipped_links[0].directory);
    CHECK(g.skipped_links[1].path == "pkg/secret.txt");
    CHECK(g.skipped_links[1].target == dir.path / "outside/secret.txt");
    CHECK(g.skipped_links[2].path == "shared.py");
    CHECK(g.not_found == std::vector<std::string>{"shared"});
    Graph allowed = follow("handler", {{svc}}, {"pkg/secret.txt", "shared.py"});
    CHECK(paths(allowed) == std::vector<std::string>{"handler.py", "pkg/__init__.py",
                                                     "pkg/data/file.txt", "pkg/secret.txt",
                                                     "shared.py"});
    REQUIRE(allowed.skipped_links.size() == 1);
    CHECK(allowed.skipped_links[0].path == "pkg/lib");
  }
  SECTION("a link in an installed dependency is named from the service folder") {
    write_file(dir.path / "outside/blob.bin", "");
    write_file(svc / ".fx/deps/dep/__init__.py", "");
    fs::create_symlink(dir.path / "outside/blob.bin", svc / ".fx/deps/dep/blob.bin");
    write_file(svc / "handler.py", "import dep\n");
    Graph g = follow("handler", {{svc}, {svc / ".fx/deps"}});
    CHECK(paths(g) == std::vector<std::string>{"dep/__init__.py", "handler.py"});
    REQUIRE(g.skipped_links.size() == 1);
    CHECK(g.skipped_links[0].path == ".fx/deps/dep/blob.bin");
  }
  SECTION("links inside the roots are followed, and unreached bad links do not matter") {
    write_file(svc / "shared/common.txt", "x");
    fs::create_symlink(svc / "shared/common.txt", svc / "pkg/common.txt");
    fs::create_directory_symlink(svc / "shared", svc / "pkg/linked");
    fs::create_directory_symlink("..", svc / "unreached_loop");
    Graph g = follow("handler", {{svc}});
    CHECK(paths(g) == std::vector<std::string>{"handler.py", "pkg/__init__.py", "pkg/common.txt",
                                               "pkg/data/file.txt", "pkg/linked/common.txt"});
    CHECK(reason(g, "pkg/common.txt") == "package data of pkg");
    for (const auto& f : g.files)
      if (f.archive_path == "pkg/common.txt") CHECK(f.source == svc / "shared/common.txt");
  }
}

TEST_CASE("follow skips dormant imports and follows module names in strings", "[bundle][python]") {
  TempDir dir;
  write_file(dir.path / "handler.py",
             "from typing import TYPE_CHECKING\n"
             "if TYPE_CHECKING:\n    import heavy\n"
             "import pkg\n"
             "register('pkg.lazy.handler_func')\n"
             "ENTRY = 'pkg.cli:main'\n"
             "LOG = 'os.path'\n");
  write_file(dir.path / "heavy.py");
  write_file(dir.path / "pkg/__init__.py");
  write_file(dir.path / "pkg/lazy.py");
  write_file(dir.path / "pkg/cli.py");
  write_file(dir.path / "pkg/unused.py");

  Graph g = follow("handler", {{dir.path}});
  CHECK(paths(g) ==
        std::vector<std::string>{"handler.py", "pkg/__init__.py", "pkg/cli.py", "pkg/lazy.py"});
  CHECK(reason(g, "pkg/lazy.py") == "import chain: handler → pkg.lazy (named in a string)");
  CHECK(g.not_found == std::vector<std::string>{"typing"});
}

TEST_CASE("follow keeps what native code loads: _cffi_backend and top-level libraries",
          "[bundle][python]") {
  TempDir dir;
  fs::path deps = dir.path / "deps";
  write_file(dir.path / "svc/handler.py", "import crypto\nimport plain\n");
  write_file(deps / "crypto/__init__.py", "from crypto import _rust\n");
  write_file(deps / "crypto/_rust.abi3.so", "elf importing _cffi_backend from C");
  write_file(deps / "crypto-1.0.dist-info/METADATA",
             "Name: crypto\nRequires-Dist: cffi>=1.12; platform_python_implementation != 'PyPy'\n");
  write_file(deps / "crypto-1.0.dist-info/top_level.txt", "crypto\n");
  write_file(deps / "_cffi_backend.cpython-311-x86_64-linux-gnu.so", "elf");
  write_file(deps / "cffi-1.0.dist-info/METADATA", "Name: cffi\n");
  write_file(deps / "cffi-1.0.dist-info/top_level.txt", "_cffi_backend\ncffi\n");
  write_file(deps / "plain/__init__.py");
  write_file(deps / "plain-2.0.dist-info/METADATA", "Name: plain\nRequires-Dist: cffiish\n");
  write_file(deps / "plain-2.0.dist-info/RECORD",
             "plain/__init__.py,,\nabc123__mypyc.cpython-311-x86_64-linux-gnu.so,,\n");
  write_file(deps / "abc123__mypyc.cpython-311-x86_64-linux-gnu.so", "elf");
  write_file(deps / "other__mypyc.cpython-311-x86_64-linux-gnu.so", "elf");

  Graph g = follow("handler", {{dir.path / "svc"}, {deps}});
  CHECK(paths(g) == std::vector<std::string>{"_cffi_backend.cpython-311-x86_64-linux-gnu.so",
                                             "abc123__mypyc.cpython-311-x86_64-linux-gnu.so",
                                             "cffi-1.0.dist-info/METADATA",
                                             "crypto-1.0.dist-info/METADATA", "crypto/__init__.py",
                                             "crypto/_rust.abi3.so", "handler.py",
                                             "plain-2.0.dist-info/METADATA", "plain/__init__.py"});
  CHECK(reason(g, "_cffi_backend.cpython-311-x86_64-linux-gnu.so") ==
        "import chain: handler → crypto → _cffi_backend (imported by native code)");
  CHECK(reason(g, "abc123__mypyc.cpython-311-x86_64-linux-gnu.so") == "native libraries of plain");
}
