"""Minimal bundles: only what the handler's imports reach goes in, and a minimized bundle
behaves exactly like the full one. Each corpus function is deployed twice, minimized and not
(custom.fx.minify: false), and must give the same result both ways."""
import json
import os
import shutil
import subprocess
import zipfile

from fxtest import FxTestCase, main

PY_MANIFEST = """
    service: SERVICE
    provider: {name: aws, runtime: python3.11}
    custom:
      fx:
        minify: MINIFY
        pythonPath: vendor
    functions:
      tricky:
        handler: src/handler.main
      data:
        handler: src/handler.data
      meta:
        handler: src/handler.meta
    """

PY_FILES = {
    "src/handler.py": """
        import json
        import pkg.sub
        from pkg import helpers
        from ns import plain  # a namespace package: no __init__.py
        try:
            import fastjson as fast  # not installed anywhere: the fallback must be kept
        except ImportError:
            from pkg import fallback as fast

        def main(event, context):
            import importlib
            lazy = importlib.import_module("pkg.lazy")
            dunder = __import__("pkg.dunder", fromlist=["x"])
            from pkg.deep.inner import value
            return {"sub": pkg.sub.NAME, "helpers": helpers.twice(21), "plain": plain.WHO,
                    "fast": fast.NAME, "lazy": lazy.NAME, "dunder": dunder.NAME, "deep": value()}

        def data(event, context):
            import pkgutil
            import importlib.resources
            from pkg import data_reader
            return {"file": data_reader.read(), "pkgutil": json.loads(pkgutil.get_data("pkg", "data.json")),
                    "resources": json.loads(importlib.resources.files("pkg").joinpath("data.json").read_text())}

        def meta(event, context):
            import importlib.metadata
            import fakelib
            return {"version": importlib.metadata.version("fakelib"), "lib": fakelib.hello()}
        """,
    "src/unused.py": "raise RuntimeError('never imported')\n",
    "pkg/__init__.py": "",
    "pkg/sub.py": "from . import helpers\nNAME = 'sub' + str(helpers.twice(1))\n",
    "pkg/helpers.py": "def twice(x):\n    return 2 * x\n",
    "pkg/fallback.py": "NAME = 'fallback'\n",
    "pkg/lazy.py": "NAME = 'lazy'\n",
    "pkg/dunder.py": "NAME = 'dunder'\n",
    "pkg/deep/__init__.py": "",
    "pkg/deep/inner.py": "from ..helpers import twice\ndef value():\n    return twice(50)\n",
    "pkg/data.json": '{"answer": 42}\n',
    "pkg/data_reader.py": """
        import json, os
        def read():
            with open(os.path.join(os.path.dirname(__file__), "data.json")) as f:
                return json.load(f)
        """,
    "pkg/tests/test_sub.py": "assert False\n",
    "pkg/unused_mod.py": "X = 1\n",
    "ns/plain.py": "WHO = 'namespace'\n",
    "vendor/fakelib/__init__.py": "def hello():\n    return 'hello from fakelib'\n",
    "vendor/fakelib/_internal.pyi": "def hello() -> str: ...\n",
    "vendor/fakelib-1.2.3.dist-info/METADATA": "Metadata-Version: 2.1\nName: fakelib\nVersion: 1.2.3\n",
    "vendor/fakelib-1.2.3.dist-info/RECORD": "fakelib/__init__.py,,\n",
    "vendor/fakelib-1.2.3.dist-info/top_level.txt": "fakelib\n",
    "vendor/otherlib/__init__.py": "X = 1\n",
    "README.md": "docs\n",
}

NODE_MANIFEST = """
    service: SERVICE
    provider: {name: aws, runtime: nodejs20.x}
    custom:
      fx:
        minify: MINIFY
    functions:
      node:
        handler: src/index.handler
    """

NODE_FILES = {
    "package.json": '{"name": "corpus", "version": "1.0.0", "dependencies": {"cond": "1.0.0", "left": "1.0.0"}, "devDependencies": {"devonly": "1.0.0"}}\n',
    "src/index.js": """
        const a = require('./a');
        const config = require('../config.json');
        const cond = require('cond');
        const left = require('left/sub');
        const where = require.resolve('cond');
        exports.handler = async () => {
          const esm = await import('cond');
          return { a: a.name, b: a.bName(), config: config.mode, cond: cond.kind, esm: esm.kind || esm.default.kind,
                   left: left.sub, resolved: where.endsWith('.cjs') };
        };
        """,
    "src/a.js": "const b = require('./b');\nexports.name = 'a';\nexports.bName = () => b.name;\n",
    "src/b.js": "const a = require('./a');  // circular on purpose\nexports.name = 'b';\n",
    "src/unused.js": "throw new Error('never required');\n",
    "config.json": '{"mode": "prod"}\n',
    "node_modules/cond/package.json": '{"name": "cond", "version": "1.0.0", "exports": {".": {"import": "./esm.mjs", "require": "./cjs.cjs"}}}\n',
    "node_modules/cond/cjs.cjs": "exports.kind = 'require';\n",
    "node_modules/cond/esm.mjs": "export const kind = 'import';\n",
    "node_modules/cond/README.md": "docs\n",
    "node_modules/cond/esm.mjs.map": "{}\n",
    "node_modules/left/package.json": '{"name": "left", "version": "1.0.0", "main": "index.js"}\n',
    "node_modules/left/index.js": "module.exports = 'left';\n",
    "node_modules/left/sub.js": "exports.sub = 'left/sub';\n",
    "node_modules/left/test/left.test.js": "throw new Error('test');\n",
    "node_modules/devonly/package.json": '{"name": "devonly", "version": "1.0.0"}\n',
    "node_modules/devonly/index.js": "module.exports = 1;\n",
}


class Bundles(FxTestCase):
    def deploy_both(self, manifest, files):
        """Deploys the corpus minimized and not; returns (minimized dir, full dir)."""
        dirs = []
        for minify in ("true", "false"):
            d = self.make_service({"serverless.yaml": manifest.replace("MINIFY", minify), **files})
            self.ok("deploy")
            dirs.append(d)
        return dirs

    def invoke_in(self, d, fn):
        r = self.fx("invoke", fn, cwd=d)
        self.assertEqual(r.code, 0, r)
        return json.loads(r.out)

    def zip_names(self, d, fn):
        with zipfile.ZipFile(os.path.join(d, ".fx", "build", f"{fn}.zip")) as z:
            return set(z.namelist())

    def test_python_corpus_behaves_the_same_minimized(self):
        small, full = self.deploy_both(PY_MANIFEST, PY_FILES)
        for fn in ("tricky", "data", "meta"):
            with self.subTest(fn=fn):
                self.assertEqual(self.invoke_in(small, fn), self.invoke_in(full, fn))
        self.assertEqual(self.invoke_in(small, "tricky")["fast"], "fallback")
        self.assertEqual(self.invoke_in(small, "meta")["version"], "1.2.3")
        names = self.zip_names(small, "tricky")
        for kept in ("src/handler.py", "pkg/__init__.py", "pkg/sub.py", "pkg/fallback.py", "pkg/lazy.py",
                     "pkg/dunder.py", "pkg/deep/inner.py", "pkg/data.json", "ns/plain.py", "fakelib/__init__.py",
                     "fakelib-1.2.3.dist-info/METADATA"):
            self.assertIn(kept, names)
        for dropped in ("src/unused.py", "pkg/tests/test_sub.py", "pkg/unused_mod.py", "README.md",
                        "fakelib/_internal.pyi", "fakelib-1.2.3.dist-info/RECORD", "otherlib/__init__.py"):
            self.assertNotIn(dropped, names)
        self.assertIn("src/unused.py", self.zip_names(full, "tricky"))

    def test_node_corpus_behaves_the_same_minimized(self):
        small, full = self.deploy_both(NODE_MANIFEST, NODE_FILES)
        got = self.invoke_in(small, "node")
        self.assertEqual(got, self.invoke_in(full, "node"))
        self.assertEqual(got["cond"], "require")
        self.assertEqual(got["esm"], "import")
        names = self.zip_names(small, "node")
        for kept in ("src/index.js", "src/a.js", "src/b.js", "config.json", "node_modules/cond/package.json",
                     "node_modules/cond/cjs.cjs", "node_modules/cond/esm.mjs", "node_modules/left/sub.js",
                     "node_modules/left/package.json"):
            self.assertIn(kept, names)
        for dropped in ("src/unused.js", "node_modules/cond/README.md", "node_modules/cond/esm.mjs.map",
                        "node_modules/left/test/left.test.js", "node_modules/devonly/index.js", "package.json"):
            if dropped == "package.json":
                continue  # the service's own package.json may stay: Node reads "type" from it
            self.assertNotIn(dropped, names)

    def test_package_reports_reduction_explains_and_caches(self):
        self.make_service({"serverless.yaml": PY_MANIFEST.replace("MINIFY", "true"), **PY_FILES})
        first = {a["function"]: a for a in self.ok("package", "--json").json()}
        t = first["tricky"]
        sources = [n for n in self.zip_names(self.service_dir, "tricky") if "__pycache__/" not in n]
        self.assertLess(len(sources), t["files_in"])
        self.assertEqual(t["files_out"], len(self.zip_names(self.service_dir, "tricky")))
        self.assertFalse(t["cached"])
        again = {a["function"]: a for a in self.ok("package", "--json").json()}
        self.assertTrue(again["tricky"]["cached"])
        self.assertEqual(again["tricky"]["sha256"], t["sha256"])
        explained = self.ok("package", "--explain", "tricky", "--json").json()
        reasons = {f["path"]: f["reason"] for f in explained["files"]}
        self.assertIn("pkg.deep.inner", reasons["pkg/deep/inner.py"])
        self.assertIn("handler", reasons["src/handler.py"])
        # A pattern forces a file in and says so.
        with open(os.path.join(self.service_dir, "serverless.yaml"), "a") as f:
            f.write("package:\n  patterns:\n    - 'src/unused.py'\n")
        explained = self.ok("package", "--explain", "tricky", "--json").json()
        self.assertEqual({f["path"]: f["reason"] for f in explained["files"]}["src/unused.py"],
                         "pattern 'src/unused.py'")
        text = self.ok("package").out
        self.assertIn("tricky", text)
        self.assertIn("%", text)

    def test_missing_handler_module_fails_at_package_time(self):
        files = dict(PY_FILES)
        del files["src/handler.py"]
        self.make_service({"serverless.yaml": PY_MANIFEST.replace("MINIFY", "true"), **files})
        r = self.fx("package")
        self.assertEqual(r.code, 1, r)
        self.assertIn("fx: error:", r.err)
        self.assertIn("src/handler.py", r.err)

    def test_missing_node_modules_names_the_install_step(self):
        files = {k: v for k, v in NODE_FILES.items() if not k.startswith("node_modules/")}
        self.make_service({"serverless.yaml": NODE_MANIFEST.replace("MINIFY", "true"), **files})
        r = self.fx("package")
        self.assertEqual(r.code, 1, r)
        self.assertIn("npm install", r.err)

    def test_symlink_outside_the_service_is_left_out_with_a_warning(self):
        d = self.make_service({"serverless.yaml": PY_MANIFEST.replace("MINIFY", "true"), **PY_FILES})
        outside = os.path.join(self.root, "outside.py")
        with open(outside, "w") as f:
            f.write("X = 1\n")
        os.remove(os.path.join(d, "pkg", "helpers.py"))
        os.symlink(outside, os.path.join(d, "pkg", "helpers.py"))
        r = self.fx("package", "-f", "tricky")
        self.assertEqual(r.code, 0, r)
        self.assertIn(f"fx: warning: functions.tricky: skipped pkg/helpers.py -> {outside}: it points "
                      f"outside the service folder; add 'pkg/helpers.py' to package.patterns to "
                      f"ship it\n", r.err)
        self.assertNotIn("pkg/helpers.py", self.zip_names(d, "tricky"))


SHADOW_MANIFEST = """
    service: SERVICE
    provider: {name: aws, runtime: nodejs20.x}
    package:
      patterns:
        - '*.txt'
        - 'config/**'
    functions:
      api:
        handler: handler.main
    """


class SymlinksOutsideTheService(FxTestCase):
    """A symlink whose target lies outside the service folder is never followed into a bundle
    unless package.patterns names it exactly (issue 14, item 5)."""

    start_emulator = False

    def setUp(self):
        self.outside = os.path.join(self.root, f"outside-{self._testMethodName}")
        os.makedirs(os.path.join(self.outside, "mylib"))
        with open(os.path.join(self.outside, "shadow"), "w") as f:
            f.write("root:$6$not-for-a-zip\n")
        files = {
            "mylib/package.json": '{"name": "mylib", "main": "index.js"}\n',
            "mylib/index.js": "module.exports = () => 'linked';\n",
        }
        for path, text in files.items():
            with open(os.path.join(self.outside, path), "w") as f:
                f.write(text)
        self.make_service({
            "serverless.yaml": SHADOW_MANIFEST,
            "handler.js": "const lib = require('mylib');\nexports.main = async () => lib();\n",
            "package.json": '{"name": "svc", "dependencies": {"mylib": "file:../mylib"}}\n',
            "notes.txt": "mine\n",
            "config/app.json": "{}\n",
        })
        os.symlink(os.path.join(self.outside, "shadow"), os.path.join(self.service_dir, "shadow.txt"))
        os.symlink(os.path.join(self.outside, "shadow"),
                   os.path.join(self.service_dir, "config", "deep.json"))
        os.makedirs(os.path.join(self.service_dir, "node_modules"))
        os.symlink(os.path.join(self.outside, "mylib"),
                   os.path.join(self.service_dir, "node_modules", "mylib"))  # npm link
        os.symlink("notes.txt", os.path.join(self.service_dir, "alias.txt"))  # inside: fine
        os.symlink("loop-b", os.path.join(self.service_dir, "loop-a.txt"))
        os.symlink("loop-a.txt", os.path.join(self.service_dir, "loop-b"))

    def zip_entries(self):
        path = os.path.join(self.service_dir, ".fx", "build", "api.zip")
        with zipfile.ZipFile(path) as z:
            return {n: z.read(n) for n in z.namelist()}

    def warning(self, link, target):
        return (f"fx: warning: functions.api: skipped {link} -> {target}: it points outside the "
                f"service folder; add '{link}' to package.patterns to ship it")

    def test_links_out_are_skipped_with_one_warning_each(self):
        shadow = os.path.join(self.outside, "shadow")
        r = self.ok("package", timeout=30)
        warnings = [line for line in r.err.splitlines() if line.startswith("fx: warning:")]
        self.assertEqual(warnings, [
            self.warning("config/deep.json", shadow),
            self.warning("node_modules/mylib", os.path.join(self.outside, "mylib")),
            self.warning("shadow.txt", shadow),
        ], r)
        entries = self.zip_entries()
        self.assertEqual(sorted(entries), ["alias.txt", "config/app.json", "handler.js",
                                           "notes.txt", "package.json"])
        self.assertEqual(entries["alias.txt"], b"mine\n")
        self.assertFalse(any(b"not-for-a-zip" in data for data in entries.values()))
        # A bundle reused as it is says so again.
        again = self.ok("package", timeout=30)
        self.assertIn("(unchanged)", again.out)
        self.assertEqual([line for line in again.err.splitlines() if line.startswith("fx: warning:")],
                         warnings)

    def test_links_named_in_package_patterns_ship_and_explain_says_why(self):
        manifest = os.path.join(self.service_dir, "serverless.yaml")
        with open(manifest) as f:
            text = f.read()
        with open(manifest, "w") as f:
            f.write(text.replace("    - 'config/**'\n", "    - 'config/**'\n    - shadow.txt\n"
                                                          "    - node_modules/mylib\n"))
        r = self.ok("package", timeout=30)
        self.assertEqual([line for line in r.err.splitlines() if line.startswith("fx: warning:")],
                         [self.warning("config/deep.json", os.path.join(self.outside, "shadow"))])
        entries = self.zip_entries()
        self.assertEqual(entries["shadow.txt"], b"root:$6$not-for-a-zip\n")
        self.assertEqual(entries["node_modules/mylib/index.js"], b"module.exports = () => 'linked';\n")
        self.assertNotIn("config/deep.json", entries)
        explained = self.ok("package", "--explain", "api", "--json").json()
        reasons = {f["path"]: f["reason"] for f in explained["files"]}
        self.assertEqual(reasons["shadow.txt"], "pattern 'shadow.txt' names the link shadow.txt -> "
                         + os.path.join(self.outside, "shadow"))
        self.assertIn("(through the link node_modules/mylib -> "
                      + os.path.join(self.outside, "mylib") + ", which package.patterns names)",
                      reasons["node_modules/mylib/index.js"])
        text = self.ok("package", "--explain", "api").out
        self.assertIn("names the link shadow.txt", text)


NATIVE_MANIFEST = """
    service: SERVICE
    provider: {name: aws, runtime: python3.11}
    custom:
      fx:
        minify: MINIFY
    functions:
      py:
        handler: app.handler
      js:
        handler: index.handler
        runtime: nodejs20.x
    """

PY_EXTENSION = """
#include <Python.h>
static PyObject* hello(PyObject* self, PyObject* args) { return PyUnicode_FromString("native python"); }
static PyMethodDef methods[] = {{"hello", hello, METH_NOARGS, ""}, {0}};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "_speedups", 0, -1, methods};
PyMODINIT_FUNC PyInit__speedups(void) { return PyModule_Create(&def); }
"""

NODE_ADDON = """
#include <node_api.h>
static napi_value hello(napi_env env, napi_callback_info info) {
  napi_value s; napi_create_string_utf8(env, "native node", NAPI_AUTO_LENGTH, &s); return s; }
static napi_value init(napi_env env, napi_value exports) {
  napi_value fn; napi_create_function(env, NULL, 0, hello, NULL, &fn);
  napi_set_named_property(env, exports, "hello", fn); return exports; }
NAPI_MODULE(addon, init)
"""


class NativeCode(FxTestCase):
    """A Python C extension and a Node addon, compiled here, survive minimization."""

    def build_native(self, d):
        info = subprocess.run(["python3", "-c", "import sysconfig as s; print(s.get_paths()['include']); "
                               "print(s.get_config_var('EXT_SUFFIX'))"], capture_output=True, text=True).stdout.split()
        if len(info) != 2 or not os.path.exists(os.path.join(info[0], "Python.h")) or \
                not os.path.exists("/usr/include/node/node_api.h") or not shutil.which("cc"):
            self.skipTest("needs cc, Python's headers and Node's headers (/usr/include/node)")
        include, suffix = info
        for src, out, flags in (
                (PY_EXTENSION, f"fastpkg/_speedups{suffix}", ["-I", include]),
                (NODE_ADDON, "node_modules/native-pkg/build/Release/addon.node", ["-I", "/usr/include/node"])):
            c = os.path.join(self.root, "src.c")
            with open(c, "w") as f:
                f.write(src)
            os.makedirs(os.path.dirname(os.path.join(d, out)), exist_ok=True)
            subprocess.run(["cc", "-shared", "-fPIC", *flags, "-o", os.path.join(d, out), c], check=True, timeout=120)

    def test_native_extensions_behave_the_same_minimized(self):
        files = {
            "app.py": "from fastpkg import _speedups\ndef handler(e, c):\n    return _speedups.hello()\n",
            "fastpkg/__init__.py": "",
            "index.js": "const n = require('native-pkg');\nexports.handler = async () => n.hello();\n",
            "node_modules/native-pkg/package.json": '{"name": "native-pkg", "main": "index.js"}\n',
            "node_modules/native-pkg/index.js": "module.exports = require('./build/Release/addon.node');\n",
            "package.json": '{"name": "native", "dependencies": {"native-pkg": "1.0.0"}}\n',
        }
        dirs = []
        for minify in ("true", "false"):
            d = self.make_service({"serverless.yaml": NATIVE_MANIFEST.replace("MINIFY", minify), **files})
            self.build_native(d)
            self.ok("deploy")
            dirs.append(d)
        for fn, want in (("py", "native python"), ("js", "native node")):
            results = [json.loads(self.ok("invoke", fn, cwd=d).out) for d in dirs]
            self.assertEqual(results, [want, want])


def make_wheel(path, name, version, files):
    """A minimal pure-Python wheel, so pip can install it with no index."""
    import base64, hashlib
    dist = f"{name}-{version}.dist-info"
    files = {**files,
             f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
             f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: fx-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
             f"{dist}/top_level.txt": name + "\n"}
    record = []
    for n, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{n},sha256={digest},{len(text.encode())}")
    record.append(f"{dist}/RECORD,,")
    with zipfile.ZipFile(path, "w") as z:
        for n, text in files.items():
            z.writestr(n, text)
        z.writestr(f"{dist}/RECORD", "\n".join(record) + "\n")


class PythonRequirements(FxTestCase):
    def test_requirements_are_installed_into_fx_deps_and_bundled(self):
        d = self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider: {name: aws, runtime: python3.11}
                functions:
                  req:
                    handler: app.handler
                """,
            "app.py": "import greetlib\ndef handler(e, c):\n    return greetlib.hi()\n",
        })
        os.makedirs(os.path.join(d, "wheels"))
        make_wheel(os.path.join(d, "wheels", "greetlib-1.0-py3-none-any.whl"), "greetlib", "1.0",
                   {"greetlib/__init__.py": "def hi():\n    return 'hi from a requirement'\n"})
        with open(os.path.join(d, "requirements.txt"), "w") as f:
            f.write(os.path.join(d, "wheels", "greetlib-1.0-py3-none-any.whl") + "\n")
        self.ok("deploy")
        self.assertTrue(os.path.exists(os.path.join(d, ".fx", "deps", "greetlib", "__init__.py")))
        self.assertEqual(json.loads(self.ok("invoke", "req").out), "hi from a requirement")
        with zipfile.ZipFile(os.path.join(d, ".fx", "build", "req.zip")) as z:
            names = z.namelist()
        self.assertIn("greetlib/__init__.py", names)
        self.assertIn("greetlib-1.0.dist-info/METADATA", names)
        self.assertNotIn("greetlib-1.0.dist-info/RECORD", names)

    def test_a_requirement_pip_cannot_install_names_the_install_step(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider: {name: aws, runtime: python3.11}
                functions:
                  req:
                    handler: app.handler
                """,
            "app.py": "import nosuchlib_fx\ndef handler(e, c):\n    return 1\n",
            "requirements.txt": "nosuchlib-fx==9.9.9\n",
        })
        r = self.fx("package", timeout=180)
        self.assertEqual(r.code, 1, r)
        self.assertIn("nosuchlib_fx", r.err)
        self.assertIn("pip install -r requirements.txt -t .fx/deps", r.err)


def install_esbuild():
    """esbuild from the npm registry, installed once into a cache outside the repo."""
    cache = os.path.join(os.environ.get("FX_TEST_CACHE", os.path.expanduser("~/.cache/fx-tests")), "esbuild")
    if os.path.exists(os.path.join(cache, "node_modules", ".bin", "esbuild")):
        return cache
    tmp = cache + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    with open(os.path.join(tmp, "package.json"), "w") as f:
        f.write('{"name": "esbuild-cache", "private": true}')
    try:
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "esbuild@0.24"], cwd=tmp,
                       capture_output=True, timeout=300, check=True)
    except (OSError, subprocess.SubprocessError) as e:
        return None
    shutil.rmtree(cache, ignore_errors=True)
    os.rename(tmp, cache)
    return cache


class Esbuild(FxTestCase):
    def test_esbuild_bundler_ships_one_minified_file(self):
        cache = install_esbuild()
        if not cache:
            self.skipTest("esbuild could not be installed from the npm registry")
        manifest = NODE_MANIFEST.replace("minify: MINIFY", "bundler: esbuild")
        # require.resolve needs the package on disk, which a bundle does not have: leave it out.
        files = {**NODE_FILES, "src/index.js": NODE_FILES["src/index.js"].replace(
            "const where = require.resolve('cond');", "const where = 'x.cjs';")}
        d = self.make_service({"serverless.yaml": manifest, **files})
        shutil.copytree(os.path.join(cache, "node_modules"), os.path.join(d, "node_modules"), symlinks=True,
                        dirs_exist_ok=True)
        self.ok("deploy")
        with zipfile.ZipFile(os.path.join(d, ".fx", "build", "node.zip")) as z:
            self.assertEqual(z.namelist(), ["src/index.js"])
        got = json.loads(self.ok("invoke", "node").out)
        self.assertEqual((got["a"], got["b"], got["config"], got["left"]), ("a", "b", "prod", "left/sub"))
        # Without esbuild in the project, fx installs one from npm; when npm cannot reach its
        # registry, the error says how to install it.
        shutil.rmtree(os.path.join(d, "node_modules", ".bin"))
        home = os.path.join(self.root, "home-no-npm")
        r = self.fx("package", env={**self.env, "FX_HOME": home, "npm_config_registry": "http://127.0.0.1:9/",
                                    "npm_config_cache": os.path.join(home, "npm-cache")}, timeout=120)
        self.assertEqual(r.code, 1, r)
        self.assertIn("npm install --save-dev esbuild", r.err)


if __name__ == "__main__":
    main()
