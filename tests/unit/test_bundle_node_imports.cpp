#include <catch2/catch.hpp>

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/bundle/node_imports.h"
#include "core/util/error.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using namespace fx::bundle::node;
using Kind = ImportRef::Kind;

using fx::test::TempDir;

namespace {

std::vector<std::string> specifiers(const ScanResult& r) {
  std::vector<std::string> out;
  for (const auto& i : r.imports) out.push_back(i.specifier);
  return out;
}

std::vector<std::string> paths(const Graph& g) {
  std::vector<std::string> out;
  for (const auto& f : g.files) out.push_back(f.archive_path);
  return out;
}

bool kept(const Graph& g, const std::string& archive_path) {
  auto p = paths(g);
  return std::find(p.begin(), p.end(), archive_path) != p.end();
}

std::string reason(const Graph& g, const std::string& archive_path) {
  for (const auto& f : g.files) {
    if (f.archive_path == archive_path) return f.reason;
  }
  return "(not kept)";
}

bool has_note(const Graph& g, const std::string& part) {
  return std::any_of(g.notes.begin(), g.notes.end(),
                     [&](const std::string& n) { return n.find(part) != std::string::npos; });
}

using Strings = std::vector<std::string>;

}  // namespace

// --- scanner ---

TEST_CASE("scan finds every require and import form with its kind and line", "[node][scan]") {
  auto r = scan(R"js(const a = require('a');
const b = require("b");
const c = require(`c`);
import d from 'd';
import {e1, e2 as x} from 'e';
import * as f from "f";
import 'g';
export * from 'h';
export {i} from 'i';
const j = import('j');
const k = require.resolve('k');
export * as l from 'l';
import m, {n} from 'm';
import {
  p,
  q,
} from 'multi';
)js");
  REQUIRE(specifiers(r) ==
          Strings{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "multi"});
  std::vector<Kind> kinds;
  std::vector<int> lines;
  for (const auto& i : r.imports) {
    kinds.push_back(i.kind);
    lines.push_back(i.line);
  }
  CHECK(kinds == std::vector<Kind>{Kind::require, Kind::require, Kind::require, Kind::import,
                                   Kind::import, Kind::import, Kind::import, Kind::export_from,
                                   Kind::export_from, Kind::dynamic_import, Kind::require_resolve,
                                   Kind::export_from, Kind::import, Kind::import});
  CHECK(lines == std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14});
  CHECK(r.dynamic.empty());
}

TEST_CASE("scan ignores comments, strings and template text", "[node][scan]") {
  auto r = scan(R"js(#!/usr/bin/env node
// require('c1')
/* require('c2')
   import x from 'c3' */
const s1 = "require('s1')";
const s2 = 'import x from "s2"';
const t = `require('t1') ${ require('real') } import('t2') ${ `nested ${require('deep')}` }`;
export { s1, s2 };
export default require('last');
const z = 1;// require('c4')
z2();/* require('c5') */
)js");
  CHECK(specifiers(r) == Strings{"real", "deep", "last"});
  CHECK(r.imports[0].line == 7);
  CHECK(r.dynamic.empty());
}

TEST_CASE("scan tells regex literals from division", "[node][scan]") {
  auto r = scan(R"js(const re1 = /'/g; require('a');
const re2 = x.replace(/["']require\(/, ''); require('b');
if (/\/\*/.test(s)) require('c');
const half = total / 2; const y = require('d'); const z = w / 3;
const cls = /[/'"]/; require('e');
const q = (a) / 2 / require('f');
)js");
  CHECK(specifiers(r) == Strings{"a", "b", "c", "d", "e", "f"});
}

TEST_CASE("scan skips property calls and non-call uses", "[node][scan]") {
  auto r = scan(R"js(module.require('x'); this.require('y'); a?.require('z');
obj.import('w'); const u = import.meta.url; class C { #require(m) {} import() {} }
if (typeof require === 'function' && require.main === module) {}
function require(name) { return name; }
const o = { require: 1, import: 2 };
require('ok');
)js");
  CHECK(specifiers(r) == Strings{"ok"});
  CHECK(r.dynamic.empty());
}

TEST_CASE("scan reports computed requires with their literal prefix", "[node][scan]") {
  auto r = scan(R"js(const a = require(name);
const b = import(`./locale/${lang}.js`);
const c = require('./lang/' + l);
const d = require(cond ? 'x' : 'y');
var aliased = require;
aliased('./alias/' + n);
aliased('lit');
const e = require.resolve(base + '/package.json');
)js");
  REQUIRE(r.dynamic.size() == 6);
  CHECK(r.dynamic[0].line == 1);
  CHECK(r.dynamic[0].text == "require(name)");
  CHECK(r.dynamic[0].prefix.empty());
  CHECK(r.dynamic[1].prefix == "./locale/");
  CHECK(r.dynamic[1].line == 2);
  CHECK(r.dynamic[2].prefix == "./lang/");
  CHECK(r.dynamic[2].text == "require('./lang/' + l)");
  CHECK(r.dynamic[3].prefix.empty());
  CHECK(r.dynamic[4].text == "aliased('./alias/' + n)");
  CHECK(r.dynamic[4].prefix == "./alias/");
  CHECK(specifiers(r) == Strings{"lit"});
  CHECK(r.dynamic[5].text == "require.resolve(base + '/package.json')");
}

TEST_CASE("scan handles spreads, arrows and TypeScript-like import =", "[node][scan]") {
  auto r = scan(R"js(const all = [...require('spread')];
const f = () => require('arrow');
import fs = require('ts-style');
x = a
/require('not-a-regex')/g;
)js");
  CHECK(specifiers(r) == Strings{"spread", "arrow", "ts-style", "not-a-regex"});
}

// --- follow ---

TEST_CASE("follow resolves extensions, index files and JSON", "[node][follow]") {
  TempDir t;
  t.write("handler.js",
          "require('./a'); require('./b'); require('./c'); require('./dir');\n"
          "require('./e.js'); require('./p'); require('./config'); require('./lib/');\n");
  t.write("a.js", "");
  t.write("b.mjs", "");
  t.write("c.cjs", "");
  t.write("dir/index.js", "");
  t.write("e.js", "");
  t.write("p.js", "");
  t.write("p.mjs", "");  // .js wins
  t.write("config.json", R"js({"text": "require('./unreached')"})js");
  t.write("lib/index.mjs", "");
  t.write("unreached.js", "");
  auto g = follow(t.path, "handler");
  CHECK(paths(g) == Strings{"a.js", "b.mjs", "c.cjs", "config.json", "dir/index.js", "e.js",
                            "handler.js", "lib/index.mjs", "p.js"});
  CHECK(reason(g, "handler.js") == "handler");
  CHECK(reason(g, "a.js") == "import chain: handler.js → ./a");
  CHECK(g.notes.empty());
  for (const auto& f : g.files) CHECK(f.source == t.path / f.archive_path);
}

TEST_CASE("follow uses package.json main and keeps that package.json", "[node][follow]") {
  TempDir t;
  t.write("src/app.js", "require('../lib/db');\n");
  t.write("lib/db.js", "module.exports = require('pg');\n");
  t.write("node_modules/pg/package.json", R"({"name": "pg", "main": "lib/pg"})");
  t.write("node_modules/pg/lib/pg.js", "require('./util'); require('./dist');");
  t.write("node_modules/pg/lib/util.js", "");
  t.write("node_modules/pg/lib/dist/package.json", R"({"main": "out"})");
  t.write("node_modules/pg/lib/dist/out/index.js", "");
  t.write("node_modules/pg/index.js", "");  // main wins over index.js
  auto g = follow(t.path, "src/app");
  CHECK(paths(g) == Strings{"lib/db.js", "node_modules/pg/lib/dist/out/index.js",
                            "node_modules/pg/lib/dist/package.json", "node_modules/pg/lib/pg.js",
                            "node_modules/pg/lib/util.js", "node_modules/pg/package.json",
                            "src/app.js"});
  CHECK(reason(g, "node_modules/pg/lib/pg.js") == "import chain: src/app.js → lib/db.js → pg");
  CHECK(reason(g, "node_modules/pg/package.json") == "package.json of pg");
}

TEST_CASE("follow applies package.json exports", "[node][follow][exports]") {
  TempDir t;
  t.write("node_modules/s/package.json", R"({"exports": "./main.js", "main": "index.js"})");
  t.write("node_modules/s/main.js", "");
  t.write("node_modules/s/index.js", "");
  t.write("node_modules/m/package.json", R"({"exports": {
    ".": "./m.js",
    "./sub": "./lib/sub.js",
    "./feat/*": "./features/*.js",
    "./feat/internal/*": null,
    "./*": "./src/*.js"
  }})");
  t.write("node_modules/m/m.js", "");
  t.write("node_modules/m/lib/sub.js", "");
  t.write("node_modules/m/features/x.js", "");
  t.write("node_modules/m/features/internal/y.js", "");
  t.write("node_modules/m/src/a/b.js", "");
  t.write("node_modules/m/hidden.js", "");
  t.write("handler.js",
          "require('s'); require('m'); require('m/sub'); require('m/feat/x');\n"
          "require('m/a/b'); require('m/feat/internal/y'); require('m/hidden.js');\n"
          "require('s/index.js');\n");
  auto g = follow(t.path, "handler");
  CHECK(paths(g) == Strings{"handler.js", "node_modules/m/features/x.js",
                            "node_modules/m/lib/sub.js", "node_modules/m/m.js",
                            "node_modules/m/package.json", "node_modules/m/src/a/b.js",
                            "node_modules/s/main.js", "node_modules/s/package.json"});
  // Not exported is a note, not a missing package (it is installed).
  CHECK(has_note(g, "cannot resolve 'm/feat/internal/y' from handler.js:2"));
  CHECK(has_note(g, "exports map './hidden.js' to m/src/hidden.js.js, which does not exist"));
  CHECK(has_note(g, "'./index.js' is not exported for require by s/package.json"));
  CHECK(g.builtins_or_missing.empty());
}

TEST_CASE("follow picks export conditions by import kind", "[node][follow][exports]") {
  TempDir t;
  t.write("node_modules/dual/package.json", R"({"exports": {
    ".": {"types": "./index.d.ts",
          "node": {"import": "./esm/index.mjs", "require": "./cjs/index.cjs"},
          "default": "./browser.js"},
    "./x": [{"worker": "./worker.js"}, "./x-missing.js", "./x.js"]
  }})");
  t.write("node_modules/dual/esm/index.mjs", "");
  t.write("node_modules/dual/esm/package.json", R"({"type": "module"})");
  t.write("node_modules/dual/cjs/index.cjs", "");
  t.write("node_modules/dual/browser.js", "");
  t.write("node_modules/dual/x.js", "");
  t.write("cjs.js", "require('dual'); require('dual/x');\n");
  t.write("esm.mjs", "import d from 'dual';\n");
  t.write("both.js", "require('dual'); import('dual');\n");

  auto c = follow(t.path, "cjs");
  CHECK(paths(c) == Strings{"cjs.js", "node_modules/dual/cjs/index.cjs",
                            "node_modules/dual/package.json", "node_modules/dual/x.js"});
  auto e = follow(t.path, "esm");
  // The nearest package.json ("type": "module") goes along with the file.
  CHECK(paths(e) == Strings{"esm.mjs", "node_modules/dual/esm/index.mjs",
                            "node_modules/dual/esm/package.json",
                            "node_modules/dual/package.json"});
  auto b = follow(t.path, "both");
  CHECK(kept(b, "node_modules/dual/cjs/index.cjs"));
  CHECK(kept(b, "node_modules/dual/esm/index.mjs"));
  CHECK_FALSE(kept(b, "node_modules/dual/browser.js"));

  Options browser;
  browser.conditions = {"browser", "default"};  // no "node": falls to default
  auto d = follow(t.path, "cjs", browser);
  CHECK(kept(d, "node_modules/dual/browser.js"));
  CHECK_FALSE(kept(d, "node_modules/dual/cjs/index.cjs"));
}

TEST_CASE("follow keeps both sides of a module-sync condition", "[node][follow][exports]") {
  // async-function's exports: Node 20.19+ loads require.mjs, older 20.x and 18.x index.js.
  TempDir t;
  t.write("node_modules/af/package.json", R"({"main": "./legacy.js", "exports": {
    ".": [{"module-sync": "./require.mjs", "import": "./index.mjs", "default": "./index.js"},
          "./index.js"],
    "./package.json": "./package.json"}})");
  t.write("node_modules/af/require.mjs", "import x from './index.mjs';");
  t.write("node_modules/af/index.mjs", "");
  t.write("node_modules/af/index.js", "");
  t.write("node_modules/af/legacy.js", "");
  t.write("handler.js", "require('af');\n");
  auto g = follow(t.path, "handler");
  CHECK(paths(g) == Strings{"handler.js", "node_modules/af/index.js", "node_modules/af/index.mjs",
                            "node_modules/af/package.json", "node_modules/af/require.mjs"});

  Options older;
  older.conditions = {"node", "require", "import", "default"};
  CHECK(paths(follow(t.path, "handler", older)) ==
        Strings{"handler.js", "node_modules/af/index.js", "node_modules/af/package.json"});
}

TEST_CASE("follow resolves scoped packages and the imports field", "[node][follow]") {
  TempDir t;
  t.write("package.json", R"({"name": "svc", "imports": {
    "#db": "./lib/db.js", "#utils/*": "./lib/utils/*.js", "#dep": "dep"}})");
  t.write("lib/db.js", "");
  t.write("lib/utils/x.js", "");
  t.write("node_modules/dep/index.js", "");
  t.write("node_modules/@scope/pkg/package.json", R"({"name": "@scope/pkg"})");
  t.write("node_modules/@scope/pkg/index.js", "");
  t.write("node_modules/@scope/pkg/sub/x.js", "");
  t.write("handler.js",
          "require('@scope/pkg'); require('@scope/pkg/sub/x');\n"
          "require('#db'); require('#utils/x'); require('#dep'); require('#nope');\n");
  auto g = follow(t.path, "handler");
  CHECK(paths(g) ==
        Strings{"handler.js", "lib/db.js", "lib/utils/x.js", "node_modules/@scope/pkg/index.js",
                "node_modules/@scope/pkg/package.json", "node_modules/@scope/pkg/sub/x.js",
                "node_modules/dep/index.js", "package.json"});
  CHECK(reason(g, "package.json") == "package.json of the service");
  CHECK(has_note(g, "cannot resolve '#nope' from handler.js:2"));
}

TEST_CASE("follow takes the closest node_modules", "[node][follow]") {
  TempDir t;
  t.write("handler.js", "require('outer'); require('dep');\n");
  t.write("node_modules/dep/index.js", "// v1");
  t.write("node_modules/dep/v1.js", "");
  t.write("node_modules/outer/index.js", "require('dep');\n");
  t.write("node_modules/outer/node_modules/dep/index.js", "require('./v2');");
  t.write("node_modules/outer/node_modules/dep/v2.js", "");
  auto g = follow(t.path, "handler");
  CHECK(paths(g) == Strings{"handler.js", "node_modules/dep/index.js",
                            "node_modules/outer/index.js",
                            "node_modules/outer/node_modules/dep/index.js",
                            "node_modules/outer/node_modules/dep/v2.js"});
  CHECK(reason(g, "node_modules/outer/node_modules/dep/index.js") ==
        "import chain: handler.js → outer/index.js → dep");
}

TEST_CASE("follow keeps native addons with their build/Release siblings", "[node][follow]") {
  TempDir t;
  t.write("handler.js", "require('native'); require('bnd');\n");
  t.write("node_modules/native/package.json", R"({"name": "native"})");
  t.write("node_modules/native/index.js", "module.exports = require('./build/Release/addon');");
  // Binary: never scanned, whatever bytes it holds.
  t.write("node_modules/native/build/Release/addon.node",
          "\x7f"
          "ELF require('./not-code')");
  t.write("node_modules/native/build/Release/libhelper.so",
          "\x7f"
          "ELF");
  t.write("node_modules/native/build/Release/obj.target/addon.o", "");
  t.write("node_modules/native/src/addon.cc", "");
  t.write("node_modules/native/binding.gyp", "");
  // The `bindings` helper finds the addon by a computed path.
  t.write("node_modules/bnd/index.js", "module.exports = require('bindings')('bnd');");
  t.write("node_modules/bnd/build/Release/bnd.node", "");
  t.write("node_modules/bindings/bindings.js",
          "var path = require('path');\nmodule.exports = function (n) { return require(n); };");
  t.write("node_modules/bindings/package.json", R"({"main": "./bindings.js"})");
  t.write("node_modules/bindings/README.md", "");
  auto g = follow(t.path, "handler");
  CHECK(paths(g) == Strings{"handler.js", "node_modules/bindings/bindings.js",
                            "node_modules/bindings/package.json",
                            "node_modules/bnd/build/Release/bnd.node", "node_modules/bnd/index.js",
                            "node_modules/native/build/Release/addon.node",
                            "node_modules/native/build/Release/libhelper.so",
                            "node_modules/native/index.js", "node_modules/native/package.json"});
  CHECK(reason(g, "node_modules/native/build/Release/libhelper.so") == "native addon of native");
  CHECK(g.builtins_or_missing == Strings{"path"});
  CHECK_FALSE(has_note(g, "not-code"));
}

TEST_CASE("follow lists builtins and missing packages without files", "[node][follow]") {
  TempDir t;
  t.write("handler.mjs",
          "import fs from 'fs';\nimport p from 'node:path';\nconst f = await "
          "import('node:fs/promises');\nimport { S3Client } from '@aws-sdk/client-s3';\n"
          "import 'aws-sdk';\nimport 'not-installed/sub';\nimport './gone.js';\n"
          "import 'fs/promises';\n");
  auto g = follow(t.path, "handler");
  CHECK(paths(g) == Strings{"handler.mjs"});
  CHECK(g.builtins_or_missing == Strings{"@aws-sdk/client-s3", "aws-sdk", "fs", "fs/promises",
                                         "node:fs/promises", "node:path", "not-installed/sub"});
  CHECK(has_note(g, "cannot resolve 'not-installed/sub' from handler.mjs:6"));
  CHECK(has_note(g, "cannot resolve './gone.js' from handler.mjs:7"));
  CHECK(has_note(g, "'aws-sdk' (v2)"));
  CHECK_FALSE(has_note(g, "client-s3"));  // the runtime provides @aws-sdk/* on nodejs18+
  CHECK(is_builtin("node:anything"));
  CHECK(is_builtin("worker_threads"));
  CHECK_FALSE(is_builtin("lodash"));
}

TEST_CASE("follow terminates on circular requires", "[node][follow]") {
  TempDir t;
  t.write("handler.js", "require('./a');\n");
  t.write("a.js", "require('./b'); require('ring');\n");
  t.write("b.js", "require('./a'); require('./handler');\n");
  t.write("node_modules/ring/index.js", "require('ring2');");
  t.write("node_modules/ring2/index.js", "require('ring');");
  auto g = follow(t.path, "handler");
  CHECK(paths(g) == Strings{"a.js", "b.js", "handler.js", "node_modules/ring/index.js",
                            "node_modules/ring2/index.js"});
}

TEST_CASE("follow keeps a whole package for a computed require inside it", "[node][follow]") {
  TempDir t;
  t.write("handler.js", "require('plug'); require('mom'); const x = require(process.env.X);\n");
  t.write("node_modules/plug/package.json", R"({"name": "plug"})");
  t.write("node_modules/plug/index.js", "module.exports = (n) => require(n);\n");
  t.write("node_modules/plug/lib/x.js", "require('dep2');");
  t.write("node_modules/plug/lib/data.bin", "");
  t.write("node_modules/plug/README.md", "");
  t.write("node_modules/plug/LICENSE", "");
  t.write("node_modules/plug/CHANGELOG.md", "");
  t.write("node_modules/plug/.npmignore", "");
  t.write("node_modules/plug/tsconfig.json", "");
  t.write("node_modules/plug/test/t.js", "");
  t.write("node_modules/plug/docs/a.html", "");
  t.write("node_modules/plug/lib/x.d.ts", "");
  t.write("node_modules/plug/lib/x.js.map", "");
  t.write("node_modules/plug/lib/y.test.js", "");
  t.write("node_modules/plug/node_modules/inner/index.js", "");
  t.write("node_modules/dep2/index.js", "");
  // A literal prefix keeps just that directory (moment's locales).
  t.write("node_modules/mom/package.json", R"({"main": "mom.js"})");
  t.write("node_modules/mom/mom.js",
          "var r;\nfunction load(n) {\n  r = require;\n  r('./locale/' + n);\n}\n");
  t.write("node_modules/mom/locale/fr.js", "require('../mom');");
  t.write("node_modules/mom/locale/de.js", "");
  t.write("node_modules/mom/src/other.js", "");

  auto g = follow(t.path, "handler");
  CHECK(paths(g) == Strings{"handler.js", "node_modules/dep2/index.js",
                            "node_modules/mom/locale/de.js", "node_modules/mom/locale/fr.js",
                            "node_modules/mom/mom.js", "node_modules/mom/package.json",
                            "node_modules/plug/index.js", "node_modules/plug/lib/data.bin",
                            "node_modules/plug/lib/x.js", "node_modules/plug/package.json"});
  CHECK(has_note(g,
                 "computed require in plug/index.js:1 (`require(n)`) keeps the whole package "
                 "'plug'"));
  CHECK(reason(g, "node_modules/plug/lib/x.js") ==
        "whole package plug (computed require in plug/index.js:1)");
  CHECK(has_note(g, "computed require in mom/mom.js:4 (`r('./locale/' + n)`) keeps mom/locale/"));
  // In the user's own code it is a note only.
  CHECK(has_note(g, "computed require in handler.js:1 (`require(process.env.X)`)"));
}

TEST_CASE("follow leaves out packages that are only devDependencies", "[node][follow]") {
  TempDir t;
  t.write("package.json", R"({"dependencies": {"prod": "1", "both": "1"},
    "devDependencies": {"jest-thing": "1", "both": "1", "shared": "1"}})");
  t.write("handler.js", "require('prod'); require('jest-thing'); require('both');\n");
  t.write("node_modules/prod/index.js", "require('shared');");
  t.write("node_modules/shared/index.js", "");
  t.write("node_modules/jest-thing/index.js", "");
  t.write("node_modules/both/index.js", "");
  auto g = follow(t.path, "handler");
  CHECK(paths(g) == Strings{"handler.js", "node_modules/both/index.js",
                            "node_modules/prod/index.js", "node_modules/shared/index.js",
                            "package.json"});
  CHECK(has_note(g, "'jest-thing' (required from handler.js:1) is only in devDependencies"));
  CHECK(g.builtins_or_missing.empty());

  Options keep_dev;
  keep_dev.exclude_dev_dependencies = false;
  CHECK(kept(follow(t.path, "handler", keep_dev), "node_modules/jest-thing/index.js"));
}

TEST_CASE("follow names the paths tried for a missing handler", "[node][follow]") {
  TempDir t;
  t.write("src/other.js", "");
  try {
    follow(t.path, "src/app");
    FAIL("no error");
  } catch (const fx::Error& e) {
    std::string what = e.what();
    CHECK(what.find("src/app.js, src/app.mjs, src/app.cjs, src/app/index.js") != std::string::npos);
  }
  t.write("src/app/index.js", "");
  CHECK(paths(follow(t.path, "src/app")) == Strings{"src/app/index.js"});
  t.write("src/app.mjs", "");
  CHECK(paths(follow(t.path, "src/app")) == Strings{"src/app.mjs"});
  CHECK_THROWS_AS(follow(t.path, "../outside"), fx::Error);
}

TEST_CASE("follow does not follow a symlink that leaves the service root",
          "[node][follow][symlink]") {
  TempDir outside, t;
  outside.write("ext/index.js", "");
  outside.write("ext/package.json", R"({"name": "ext"})");
  outside.write("passwd", "root:x:0:0");
  t.write("handler.js", "require('ext'); require('./conf.json');\n");
  t.link("node_modules/ext", outside.path / "ext");
  fs::create_symlink(outside.path / "passwd", t.path / "conf.json");
  auto g = follow(t.path, "handler");
  CHECK(paths(g) == Strings{"handler.js"});
  REQUIRE(g.skipped_links.size() == 2);
  CHECK(g.skipped_links[0].path == "conf.json");
  CHECK(g.skipped_links[0].target == outside.path / "passwd");
  CHECK_FALSE(g.skipped_links[0].directory);
  CHECK(g.skipped_links[1].path == "node_modules/ext");
  CHECK(g.skipped_links[1].directory);
  CHECK(g.builtins_or_missing == Strings{"ext"});
  // Named (an `npm link`ed package that package.patterns names), it is followed.
  Options named;
  named.allowed_links = {"node_modules/ext"};
  auto allowed = follow(t.path, "handler", named);
  CHECK(paths(allowed) ==
        Strings{"handler.js", "node_modules/ext/index.js", "node_modules/ext/package.json"});
  CHECK(allowed.skipped_links.size() == 1);
  // Loops are refused.
  TempDir l;
  l.write("handler.js", "require('loop');\n");
  fs::create_directories(l.path / "node_modules");
  fs::create_directory_symlink("loop", l.path / "node_modules/loop");
  CHECK_THROWS_WITH(follow(l.path, "handler"), Catch::Contains("symlink loop"));
}

TEST_CASE("follow skips links out of the root inside a package it copies whole",
          "[node][follow][symlink]") {
  TempDir outside, t;
  outside.write("secret.pem", "private");
  outside.write("tree/a.js", "");
  t.write("handler.js", "require('pkg');\n");
  t.write("node_modules/pkg/index.js", "const name = process.env.X; require('./locale/' + name);");
  t.write("node_modules/pkg/locale/en.js", "");
  fs::create_symlink(outside.path / "secret.pem", t.path / "node_modules/pkg/locale/key.pem");
  t.link("node_modules/pkg/locale/more", outside.path / "tree");
  auto g = follow(t.path, "handler");
  CHECK(paths(g) ==
        Strings{"handler.js", "node_modules/pkg/index.js", "node_modules/pkg/locale/en.js"});
  REQUIRE(g.skipped_links.size() == 2);
  CHECK(g.skipped_links[0].path == "node_modules/pkg/locale/key.pem");
  CHECK(g.skipped_links[1].path == "node_modules/pkg/locale/more");
}

TEST_CASE("follow bundles linked packages where the link is", "[node][follow][symlink]") {
  TempDir t;
  t.write("handler.js", "require('mylib');\n");
  t.write("packages/mylib/package.json", R"({"name": "mylib", "main": "main.js"})");
  t.write("packages/mylib/main.js", "require('./util'); require('shared');");
  t.write("packages/mylib/util.js", "");
  t.write("node_modules/shared/index.js", "");
  t.link("node_modules/mylib", "../packages/mylib");
  auto g = follow(t.path, "handler");
  CHECK(paths(g) == Strings{"handler.js", "node_modules/mylib/main.js",
                            "node_modules/mylib/package.json", "node_modules/mylib/util.js",
                            "node_modules/shared/index.js"});
  for (const auto& f : g.files) CHECK(fs::is_regular_file(f.source));
}

TEST_CASE("follow nests pnpm dependencies under the package that needs them",
          "[node][follow][symlink]") {
  TempDir t;
  t.write("handler.js", "require('foo');\n");
  t.write("node_modules/.pnpm/foo@1.0.0/node_modules/foo/index.js", "require('bar');");
  t.write("node_modules/.pnpm/bar@1.0.0/node_modules/bar/index.js",
          "require('foo'); require('baz');");
  t.write("node_modules/.pnpm/baz@1.0.0/node_modules/baz/index.js", "");
  t.link("node_modules/.pnpm/bar@1.0.0/node_modules/baz", "../../baz@1.0.0/node_modules/baz");
  t.link("node_modules/.pnpm/foo@1.0.0/node_modules/bar", "../../bar@1.0.0/node_modules/bar");
  t.link("node_modules/.pnpm/bar@1.0.0/node_modules/foo", "../../foo@1.0.0/node_modules/foo");
  t.link("node_modules/foo", ".pnpm/foo@1.0.0/node_modules/foo");
  auto g = follow(t.path, "handler");
  CHECK(paths(g) == Strings{"handler.js", "node_modules/foo/index.js",
                            "node_modules/foo/node_modules/bar/index.js",
                            "node_modules/foo/node_modules/bar/node_modules/baz/index.js"});
  CHECK(has_note(g, "pnpm layout"));
  CHECK(fs::equivalent(g.files[2].source,
                       t.path / "node_modules/.pnpm/bar@1.0.0/node_modules/bar/index.js"));
}
