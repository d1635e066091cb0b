"""Code built the way the Serverless Framework's build plugins build it: TypeScript handlers
(esbuild, the project's or one fx installs once into FX_HOME from npm), serverless-esbuild's
settings, serverless-plugin-typescript, serverless-webpack, serverless-python-requirements'
settings through fx's pip step, and serverless-wsgi's WSGI adapter answering through the
gateway. Every project is deployed by the real fx binary to a real emulator."""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.error
import urllib.parse
import urllib.request
import zipfile

from fxtest import FxTestCase, main

ESBUILD_VERSION = "0.24.2"  # what fx installs into FX_HOME (core/bundle/build_plugins.cpp)

TS_MANIFEST = """
    service: SERVICE
    provider: {name: aws, runtime: nodejs20.x}
    functions:
      hello:
        handler: src/handler.hello
      boom:
        handler: src/handler.boom
    """

TS_FILES = {
    "src/handler.ts": """
        import { greet } from './greet';

        interface Event { name?: string }

        export const hello = async (event: Event) => {
          return { message: greet(event.name ?? 'world'), typed: true as const };
        };

        export async function boom(): Promise<never> {
          const why: string = 'on purpose';
          throw new Error(why);
        }
        """,
    "src/greet.ts": """
        export function greet(name: string): string {
          return `hello ${name}`;
        }
        """,
}


def npm_reachable():
    """Whether npm can fetch esbuild's metadata (the registry, or npm's own cache)."""
    try:
        r = subprocess.run(["npm", "view", f"esbuild@{ESBUILD_VERSION}", "version", "--prefer-offline"],
                           capture_output=True, text=True, timeout=60)
        return r.returncode == 0 and ESBUILD_VERSION in r.stdout
    except (OSError, subprocess.SubprocessError):
        return False


def zip_names(path):
    with zipfile.ZipFile(path) as z:
        return sorted(z.namelist())


def zip_text(path, name):
    with zipfile.ZipFile(path) as z:
        return z.read(name).decode()


class TypeScript(FxTestCase):
    """A handler whose only source is src/handler.ts, with no esbuild in the project: fx
    installs esbuild once into FX_HOME and builds a CommonJS bundle with a source map."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.npm = npm_reachable()

    def setUp(self):
        if not self.npm:
            self.skipTest("npm cannot reach its registry to install esbuild")

    def test_ts_handler_runs_and_stack_traces_name_ts_lines(self):
        d = self.make_service({"serverless.yaml": TS_MANIFEST, **TS_FILES})
        self.ok("deploy", timeout=300)
        installed = os.path.join(self.home, "tools", f"esbuild-{ESBUILD_VERSION}", ".fx-installed")
        self.assertTrue(os.path.exists(installed))
        zip_path = os.path.join(d, ".fx", "build", "hello.zip")
        self.assertEqual(zip_names(zip_path), ["src/handler.js", "src/handler.js.map"])
        # CommonJS for Node, its map naming the .ts sources beside it in the bundle.
        self.assertIn("exports", zip_text(zip_path, "src/handler.js"))
        sources = json.loads(zip_text(zip_path, "src/handler.js.map"))["sources"]
        self.assertEqual(sorted(sources), ["greet.ts", "handler.ts"])
        got = json.loads(self.ok("invoke", "hello", "--data", '{"name": "ts"}').out)
        self.assertEqual(got, {"message": "hello ts", "typed": True})
        r = self.fx("invoke", "boom")
        self.assertNotEqual(r.code, 0, r)
        error = json.loads(r.out)
        self.assertEqual(error["errorMessage"], "on purpose")
        trace = "\n".join(error["trace"])
        self.assertIn("src/handler.ts:11:", trace)  # `throw new Error(why)` is line 11

        # A second project uses the installed esbuild: npm is not asked again.
        stamp = os.stat(installed).st_mtime_ns
        self.make_service({"serverless.yaml": TS_MANIFEST, **TS_FILES})
        self.ok("package", env={**self.env, "npm_config_registry": "http://127.0.0.1:9/"})
        self.assertEqual(os.stat(installed).st_mtime_ns, stamp)

    def test_mts_handler_is_an_es_module(self):
        d = self.make_service({
            "serverless.yaml": TS_MANIFEST.replace("boom:\n        handler: src/handler.boom", ""),
            "src/handler.mts": """
                export const hello = async (): Promise<object> => ({ esm: typeof import.meta.url === 'string' });
                """})
        self.ok("deploy", timeout=300)
        self.assertEqual(zip_names(os.path.join(d, ".fx", "build", "hello.zip")),
                         ["src/handler.mjs", "src/handler.mjs.map"])
        self.assertEqual(json.loads(self.ok("invoke", "hello").out), {"esm": True})

    def test_the_runtimes_sdk_stays_out_of_the_build(self):
        # Before: esbuild bundled every import, so an SDK client the project never installed
        # (Lambda's runtime provides it) stopped the build: Could not resolve "@aws-sdk/client-sfn".
        d = self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider: {name: aws, runtime: nodejs20.x}
                functions:
                  v3:
                    handler: src/v3.handler
                  v2:
                    handler: src/v2.handler
                    runtime: nodejs16.x
                """,
            "src/v3.ts": """
                import { SFNClient } from '@aws-sdk/client-sfn';
                import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
                export const handler = async (): Promise<string[]> => [typeof SFNClient, typeof DynamoDBDocumentClient];
                """,
            "src/v2.ts": """
                import * as AWS from 'aws-sdk';
                export const handler = async (): Promise<string> => typeof AWS.SQS;
                """})
        self.ok("package", timeout=300)
        v3 = zip_text(os.path.join(d, ".fx", "build", "v3.zip"), "src/v3.js")
        self.assertIn('require("@aws-sdk/client-sfn")', v3)
        self.assertIn('require("@aws-sdk/lib-dynamodb")', v3)
        v2 = zip_text(os.path.join(d, ".fx", "build", "v2.zip"), "src/v2.js")
        self.assertIn('require("aws-sdk")', v2)
        # On nodejs20.x, aws-sdk (v2) is no longer the runtime's: bundled, so still a missing
        # package for esbuild, named with its place.
        with open(os.path.join(d, "serverless.yaml"), "a") as f:
            f.write("  v2on20:\n    handler: src/v2.handler\n")
        r = self.fx("package", timeout=300)
        self.assertEqual(r.code, 1, r)
        self.assertRegex(r.err, r'fx: error: src/v2\.ts:1:\d+: Could not resolve "aws-sdk"')

    def test_syntax_error_is_one_line_with_its_place(self):
        self.make_service({"serverless.yaml": TS_MANIFEST, **TS_FILES,
                           "src/greet.ts": "export function greet(name: string): string {\n  return name +;\n}\n"})
        r = self.fx("package", timeout=300)
        self.assertEqual(r.code, 1, r)
        errors = [line for line in r.err.splitlines() if line.startswith("fx: error:")]
        self.assertEqual(len(errors), 1, r.err)
        self.assertIn("src/greet.ts:2:15: Unexpected \";\"", errors[0])
        self.assertIn("function 'hello'", errors[0])

    def test_tsconfig_that_is_not_json(self):
        # Comments and trailing commas are TypeScript's JSON: accepted.
        self.make_service({"serverless.yaml": TS_MANIFEST, **TS_FILES,
                           "tsconfig.json": '{\n  // strict\n  "compilerOptions": {"strict": true,},\n}\n'})
        self.ok("package", timeout=300)
        self.make_service({"serverless.yaml": TS_MANIFEST, **TS_FILES,
                           "tsconfig.json": '{\n  "compilerOptions": {\n    strict: true\n  }\n}\n'})
        r = self.fx("package", timeout=300)
        self.assertEqual(r.code, 1, r)
        self.assertRegex(r.err, r"fx: error: \S*tsconfig.json:3:5: not JSON")

    def test_unreachable_npm_names_what_to_install(self):
        self.make_service({"serverless.yaml": TS_MANIFEST, **TS_FILES})
        home = tempfile.mkdtemp(dir=self.root)
        env = {**self.env, "FX_HOME": home, "npm_config_registry": "http://127.0.0.1:9/",
               "npm_config_cache": os.path.join(home, "npm-cache")}
        r = self.fx("package", env=env, timeout=300)
        self.assertEqual(r.code, 1, r)
        self.assertIn("function 'hello' (src/handler.ts", r.err)
        self.assertIn("npm could not install esbuild@" + ESBUILD_VERSION, r.err)
        self.assertIn("npm install --save-dev esbuild", r.err)
        self.assertFalse(os.path.exists(os.path.join(home, "tools", f"esbuild-{ESBUILD_VERSION}")))


WSGI_MANIFEST = """
    service: SERVICE
    provider: {name: aws, runtime: python3.11}
    plugins:
      - serverless-wsgi
      - serverless-python-requirements
    custom:
      wsgi:
        app: APP
        textMimeTypes: [application/x-fx-text]
    functions:
      rest:
        handler: wsgi_handler.handler
        events: [{http: 'ANY v1/{proxy+}'}]
      api:
        handler: wsgi_handler.handler
        events: [{httpApi: 'ANY /v2/{proxy+}'}]
    """

# A WSGI application as PEP 3333 has it: a plain callable, no framework.
WSGI_APP = """
    import json
    from urllib.parse import parse_qs

    BINARY = bytes(range(256))

    def app(environ, start_response):
        route = environ["PATH_INFO"].rsplit("/", 1)[-1]
        if route == "hello":
            body = json.dumps({"method": environ["REQUEST_METHOD"],
                               "path": environ["PATH_INFO"],
                               "query": parse_qs(environ["QUERY_STRING"]),
                               "cookie": environ.get("HTTP_COOKIE", ""),
                               "agent": environ.get("HTTP_X_AGENT", ""),
                               "scheme": environ["wsgi.url_scheme"]}).encode()
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2; Path=/")])
            return [body]
        if route == "form":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            form = parse_qs(environ["wsgi.input"].read(length).decode("utf-8"))
            start_response("201 Created", [("Content-Type", "text/plain; charset=utf-8")])
            return [f"{environ['CONTENT_TYPE']} name={form['name'][0]}".encode("utf-8")]
        if route == "binary":
            start_response("200 OK", [("Content-Type", "application/octet-stream")])
            return [BINARY[:128], BINARY[128:]]
        if route == "custom-text":
            start_response("200 OK", [("Content-Type", "application/x-fx-text")])
            return [b"plain"]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no route " + route.encode()]
    """


class Wsgi(FxTestCase):
    """serverless-wsgi: handler wsgi_handler.handler runs custom.wsgi.app behind the gateway,
    for REST (payload 1.0) and HTTP API (payload 2.0) events."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        status = cls.fx_static(["emulator", "status", "--json"]).json()
        cls.gateway = status["gateway_url"].rstrip("/")

    def request(self, method, path, body=None, headers=None):
        req = urllib.request.Request(self.gateway + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def check_app(self, prefix):
        status, headers, body = self.request("GET", prefix + "/hello?x=1&x=2&y=%C3%BC",
                                             headers={"Cookie": "session=abc; theme=dark", "X-Agent": "t"})
        self.assertEqual(status, 200, body)
        got = json.loads(body)
        self.assertEqual(got["method"], "GET")
        self.assertTrue(got["path"].endswith("/hello"), got)
        self.assertEqual(got["query"], {"x": ["1", "2"], "y": ["ü"]})
        self.assertEqual(sorted(got["cookie"].split("; ")), ["session=abc", "theme=dark"])
        self.assertEqual(got["agent"], "t")
        self.assertEqual(sorted(headers.get_all("Set-Cookie")), ["a=1; Path=/", "b=2; Path=/"])
        status, headers, body = self.request(
            "POST", prefix + "/form", body=urllib.parse.urlencode({"name": "zoë"}).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual((status, body.decode()), (201, "application/x-www-form-urlencoded name=zoë"))
        status, headers, body = self.request("GET", prefix + "/binary")
        self.assertEqual((status, body), (200, bytes(range(256))))
        self.assertEqual(headers["Content-Type"], "application/octet-stream")
        self.assertEqual(self.request("GET", prefix + "/custom-text")[2], b"plain")
        status, _, body = self.request("DELETE", prefix + "/nothing")
        self.assertEqual((status, body), (404, b"no route nothing"))

    def test_plain_wsgi_callable_through_rest_and_http_api(self):
        d = self.make_service({"serverless.yaml": WSGI_MANIFEST.replace("APP", "app.app"), "app.py": WSGI_APP,
                               "unused.py": "raise SystemExit('never imported')\n"})
        self.ok("deploy", timeout=120)
        names = zip_names(os.path.join(d, ".fx", "build", "rest.zip"))
        self.assertIn("wsgi_handler.py", names)
        self.assertIn(".serverless-wsgi", names)
        self.assertIn("app.py", names)
        self.assertNotIn("unused.py", names)  # the import graph starts at the app's module
        self.check_app("/dev/v1")
        self.check_app("/v2")
        # The same event through `fx invoke`: payload 1.0's repeated headers in multiValueHeaders.
        event = {"httpMethod": "GET", "path": "/v1/binary", "headers": {}, "body": None}
        got = json.loads(self.ok("invoke", "rest", "--data", json.dumps(event)).out)
        self.assertTrue(got["isBase64Encoded"])
        self.assertEqual(base64.b64decode(got["body"]), bytes(range(256)))

    def test_app_in_a_subfolder(self):
        self.make_service({"serverless.yaml": WSGI_MANIFEST.replace("APP", "src/web.app"),
                           "src/web.py": WSGI_APP})
        self.ok("deploy", timeout=120)
        self.check_app("/v2")

    @unittest.skipUnless(subprocess.run([sys.executable, "-c", "import flask"]).returncode == 0,
                         "Flask is not installed on this host")
    def test_flask_app(self):
        import flask
        files = {"serverless.yaml": WSGI_MANIFEST.replace("APP", "app.app").replace(
                     "      wsgi:", "      fx: {pythonPath: vendor}\n      wsgi:"),
                 "app.py": """
                     from flask import Flask, jsonify, make_response, request

                     app = Flask(__name__)

                     @app.route("/<path:prefix>/hello")
                     def hello(prefix):
                         r = make_response(jsonify(method=request.method, name=request.args.get("name"),
                                                   cookie=request.cookies.get("session")))
                         r.set_cookie("a", "1")
                         r.set_cookie("b", "2")
                         return r

                     @app.route("/<path:prefix>/form", methods=["POST"])
                     def form(prefix):
                         return f"name={request.form['name']}", 201
                     """}
        d = self.make_service(files)
        # Flask and what it imports, vendored as a project would ship them.
        for name in ("flask", "werkzeug", "jinja2", "markupsafe", "itsdangerous", "click", "blinker"):
            try:
                module = __import__(name)
            except ImportError:
                continue
            src = os.path.dirname(module.__file__)
            shutil.copytree(src, os.path.join(d, "vendor", name), ignore=shutil.ignore_patterns("__pycache__"))
        self.ok("deploy", timeout=120)
        for prefix in ("/dev/v1", "/v2"):
            status, headers, body = self.request("GET", prefix + "/hello?name=fl", headers={"Cookie": "session=s1"})
            self.assertEqual(status, 200, body)
            self.assertEqual(json.loads(body), {"method": "GET", "name": "fl", "cookie": "s1"})
            self.assertEqual(len(headers.get_all("Set-Cookie")), 2)
            status, _, body = self.request("POST", prefix + "/form", body=b"name=x",
                                           headers={"Content-Type": "application/x-www-form-urlencoded"})
            self.assertEqual((status, body), (201, b"name=x"))

    def test_asgi_app_is_refused_clearly(self):
        self.make_service({"serverless.yaml": WSGI_MANIFEST.replace("APP", "app.app"),
                           "app.py": "async def app(scope, receive, send):\n    pass\n"})
        self.ok("deploy", timeout=120)
        r = self.fx("invoke", "api", "--data", '{"version": "2.0", "rawPath": "/v2/x"}')
        self.assertNotEqual(r.code, 0, r)
        self.assertIn("is an ASGI application; serverless-wsgi runs WSGI applications only", r.out + r.err)

    def test_missing_app_setting(self):
        self.make_service({"serverless.yaml": WSGI_MANIFEST.replace("app: APP", "textMimeTypes: []").replace(
            "        textMimeTypes: [application/x-fx-text]\n", ""), "app.py": WSGI_APP})
        r = self.fx("package")
        self.assertEqual(r.code, 1, r)
        self.assertIn("custom.wsgi.app is not set", r.err)


def make_wheel(folder, name, version, module_text):
    """A pure-Python wheel built by hand (a zip with its .dist-info), so pip installs it with
    no index and no build backend."""
    dist = f"{name}-{version}.dist-info"
    path = os.path.join(folder, f"{name}-{version}-py3-none-any.whl")
    files = {f"{name}/__init__.py": module_text,
             f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
             f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: fx-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
             f"{dist}/top_level.txt": f"{name}\n"}
    import hashlib
    record = []
    for n, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{n},sha256={digest},{len(text.encode())}")
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = "\n".join(record) + "\n"
    with zipfile.ZipFile(path, "w") as z:
        for n, text in files.items():
            z.writestr(n, text)
    return os.path.basename(path)


REQ_MANIFEST = """
    service: SERVICE
    provider: {name: aws, runtime: python3.11}
    plugins: [serverless-python-requirements]
    custom:
      pythonRequirements:
        fileName: requirements/prod.txt
        noDeploy: [heavylib]
        slim: true
        zip: true
        dockerizePip: non-linux
    functions:
      hello:
        handler: handler.hello
    """

REQ_HANDLER = """
    try:
        import unzip_requirements  # serverless-python-requirements' zip: true
    except ImportError:
        pass
    import locallib
    try:
        import heavylib
    except ImportError:
        heavylib = None

    def hello(event, context):
        return {"greeting": locallib.greet(), "heavylib": heavylib is not None}
    """


class PythonRequirements(FxTestCase):
    """serverless-python-requirements' settings through fx's pip step, with wheels built here
    (no package index)."""

    def test_settings_are_honoured(self):
        d = self.make_service({"serverless.yaml": REQ_MANIFEST, "handler.py": REQ_HANDLER})
        wheels = os.path.join(d, "wheels")
        os.makedirs(wheels)
        a = make_wheel(wheels, "locallib", "1.0", "def greet():\n    return 'hi from a wheel'\n")
        b = make_wheel(wheels, "heavylib", "2.0", "BIG = 1\n")
        os.makedirs(os.path.join(d, "requirements"))
        with open(os.path.join(d, "requirements", "prod.txt"), "w") as f:
            f.write(f"./wheels/{a}\n./wheels/{b}\n")
        r = self.ok("deploy", timeout=180)
        self.assertIn("dockerizePip is ignored", r.err)
        self.assertIn("zip: fx ships the requirements unzipped", r.err)
        names = zip_names(os.path.join(d, ".fx", "build", "hello.zip"))
        self.assertIn("locallib/__init__.py", names)
        self.assertIn("unzip_requirements.py", names)
        self.assertFalse([n for n in names if n.startswith("heavylib")], names)  # noDeploy
        got = json.loads(self.ok("invoke", "hello").out)
        self.assertEqual(got, {"greeting": "hi from a wheel", "heavylib": False})
        # Every installed file, not only what the imports reach: slim leaves out the metadata
        # and pip's bytecode, noDeploy its package (both would ship otherwise).
        manifest = os.path.join(d, "serverless.yaml")
        with open(manifest) as f:
            text = f.read()
        for slim in ("true", "false"):
            with open(manifest, "w") as f:
                f.write(text.replace("slim: true", f"slim: {slim}").replace(
                    "  pythonRequirements:", "  fx: {minify: false}\n  pythonRequirements:"))
            self.ok("package", timeout=120)
            names = zip_names(os.path.join(d, ".fx", "build", "hello.zip"))
            self.assertIn("locallib/__init__.py", names)
            self.assertFalse([n for n in names if n.startswith("heavylib")], names)
            leftovers = [n for n in names if ".dist-info" in n or "__pycache__" in n]
            if slim == "true":
                self.assertEqual(leftovers, [])
            else:
                self.assertIn("locallib-1.0.dist-info/METADATA", leftovers)

    def test_pipenv_and_poetry_are_refused_clearly(self):
        self.make_service({"serverless.yaml": REQ_MANIFEST, "handler.py": REQ_HANDLER, "Pipfile": "[packages]\n"})
        r = self.fx("package")
        self.assertEqual(r.code, 1, r)
        self.assertIn("usePipenv: false", r.err)
        self.make_service({"serverless.yaml": REQ_MANIFEST, "handler.py": REQ_HANDLER,
                           "pyproject.toml": "[tool.poetry]\nname = 'x'\n"})
        r = self.fx("package")
        self.assertEqual(r.code, 1, r)
        self.assertIn("poetry export", r.err)

    def test_bad_setting_names_its_key(self):
        self.make_service({"serverless.yaml": REQ_MANIFEST.replace("slim: true", "slim: maybe"),
                           "handler.py": REQ_HANDLER})
        r = self.fx("package")
        self.assertEqual(r.code, 1, r)
        self.assertIn("custom.pythonRequirements.slim: expected true or false", r.err)


ESB_MANIFEST = """
    service: SERVICE
    provider: {name: aws, runtime: nodejs20.x}
    plugins: [serverless-esbuild]
    custom:
      esbuild:
        bundle: true
        minify: true
        sourcemap: true
        external: [extpkg]
        exclude: [aws-sdk]
        target: node18
        platform: node
        format: cjs
        packager: yarn
    functions:
      hello:
        handler: src/handler.hello
    """

ESB_FILES = {
    "src/handler.js": """
        import { shout } from './lib/shout';
        const ext = require('extpkg');
        let sdk = 'absent';
        try { require('aws-sdk'); sdk = 'present'; } catch (e) {}
        export const hello = async () => ({ said: shout('hi'), ext: ext.name(), sdk });
        """,
    "src/lib/shout.js": "export const shout = (s) => s.toUpperCase() + '!';\n",
    "node_modules/extpkg/package.json": '{"name": "extpkg", "version": "1.0.0", "main": "index.js", "dependencies": {"extdep": "1"}}',
    "node_modules/extpkg/index.js": "exports.name = () => 'ext+' + require('extdep').name;\n",
    "node_modules/extdep/package.json": '{"name": "extdep", "version": "1.0.0"}',
    "node_modules/extdep/index.js": "exports.name = 'dep';\n",
    "node_modules/unused/index.js": "exports.x = 1;\n",
}


class ServerlessEsbuild(FxTestCase):
    """serverless-esbuild's settings, with the project's own esbuild."""

    def setUp(self):
        from test_bundles import install_esbuild
        self.cache = install_esbuild()
        if not self.cache:
            self.skipTest("esbuild could not be installed from the npm registry")

    def service(self, manifest=ESB_MANIFEST):
        d = self.make_service({"serverless.yaml": manifest, **ESB_FILES})
        for name in (".bin", "esbuild", "@esbuild"):
            src = os.path.join(self.cache, "node_modules", name)
            shutil.copytree(src, os.path.join(d, "node_modules", name), symlinks=True)
        return d

    def test_settings_are_honoured(self):
        d = self.service()
        r = self.ok("deploy", timeout=120)
        self.assertIn("custom.esbuild.packager \"yarn\" is not run", r.err)
        self.assertNotIn("kept for AWS deploys", r.err)
        zip_path = os.path.join(d, ".fx", "build", "hello.zip")
        self.assertEqual(zip_names(zip_path), [
            "node_modules/extdep/index.js", "node_modules/extdep/package.json",
            "node_modules/extpkg/index.js", "node_modules/extpkg/package.json",
            "src/handler.js", "src/handler.js.map"])
        code = zip_text(zip_path, "src/handler.js")
        self.assertIn('require("extpkg")', code)    # external: left out of the output
        self.assertIn('require("aws-sdk")', code)   # exclude: likewise
        self.assertNotIn("toUpperCase() + ", code)  # minified
        self.assertLessEqual(len(code.splitlines()), 3)
        self.assertEqual(json.loads(self.ok("invoke", "hello").out),
                         {"said": "HI!", "ext": "ext+dep", "sdk": "absent"})

    def test_bad_and_unknown_settings(self):
        self.service(ESB_MANIFEST.replace("format: cjs", "format: amd"))
        r = self.fx("package")
        self.assertEqual(r.code, 1, r)
        self.assertIn("custom.esbuild.format: expected cjs, esm, iife, got \"amd\"", r.err)
        self.service(ESB_MANIFEST.replace("external: [extpkg]", "external: [nopkg]"))
        r = self.fx("package")
        self.assertEqual(r.code, 1, r)
        self.assertIn("custom.esbuild.external names 'nopkg', but node_modules/nopkg is not installed", r.err)
        self.service(ESB_MANIFEST.replace("packager: yarn", "keepNames: true"))
        r = self.ok("package")
        self.assertIn("custom.esbuild.keepNames is not applied", r.err)

    def test_plugin_typescript_builds_with_a_note(self):
        d = self.service(ESB_MANIFEST.replace("serverless-esbuild", "serverless-plugin-typescript"))
        with open(os.path.join(d, "tsconfig.json"), "w") as f:
            f.write('{"compilerOptions": {"outDir": "dist", "rootDir": "src"}}')
        r = self.ok("deploy", timeout=120)
        self.assertIn("type-checks nothing", r.err)
        self.assertIn("outDir 'dist' and rootDir 'src' do not move the output", r.err)
        self.assertEqual(json.loads(self.ok("invoke", "hello").out)["said"], "HI!")

    def test_unbuilt_plugin_is_named_with_what_fx_does(self):
        self.service(ESB_MANIFEST.replace("plugins: [serverless-esbuild]", "plugins: [serverless-bundle, serverless-prune-plugin]"))
        r = self.ok("package")
        self.assertIn("plugin 'serverless-bundle' changes how code is built, and fx does not run it: "
                      "fx packages each function with its own import graph instead", r.err)
        self.assertNotIn("'serverless-bundle' is kept for AWS deploys", r.err)
        self.assertIn("plugin 'serverless-prune-plugin' is kept for AWS deploys", r.err)

    def test_webpack_without_webpack_installed(self):
        self.service(ESB_MANIFEST.replace("serverless-esbuild", "serverless-webpack"))
        r = self.fx("package")
        self.assertEqual(r.code, 1, r)
        self.assertIn("npm install --save-dev webpack webpack-cli", r.err)


def install_webpack():
    """webpack and webpack-cli from the npm registry, installed once into a cache outside the repo."""
    cache = os.path.join(os.environ.get("FX_TEST_CACHE", os.path.expanduser("~/.cache/fx-tests")), "webpack")
    if os.path.exists(os.path.join(cache, "node_modules", ".bin", "webpack")):
        return cache
    tmp = cache + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    with open(os.path.join(tmp, "package.json"), "w") as f:
        f.write('{"name": "webpack-cache", "private": true}')
    try:
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "webpack@5", "webpack-cli@5"], cwd=tmp,
                       capture_output=True, timeout=600, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    shutil.rmtree(cache, ignore_errors=True)
    os.rename(tmp, cache)
    return cache


WEBPACK_MANIFEST = """
    service: SERVICE
    provider: {name: aws, runtime: nodejs20.x}
    plugins: [serverless-webpack]
    custom:
      webpack:
        webpackConfig: build/webpack.config.js
    functions:
      hello:
        handler: src/handler.hello
    """

WEBPACK_FILES = {
    "src/handler.js": "const { x } = require('./lib');\nexports.hello = async () => ({ x, by: 'webpack' });\n",
    "src/lib.js": "exports.x = 42;\n",
    # serverless-webpack's configs take their entries from the plugin; fx gives the handler's.
    "build/webpack.config.js": "module.exports = { mode: 'production', entry: {}, target: 'node', devtool: 'source-map' };\n",
}


class Webpack(FxTestCase):
    """serverless-webpack: the project's own webpack, with the config custom.webpack names."""

    def setUp(self):
        self.cache = install_webpack()
        if not self.cache:
            self.skipTest("webpack could not be installed from the npm registry")

    def service(self, files):
        d = self.make_service({"serverless.yaml": WEBPACK_MANIFEST, **files})
        os.symlink(os.path.join(self.cache, "node_modules"), os.path.join(d, "node_modules"))
        return d

    def test_project_webpack_builds_the_handler(self):
        d = self.service(WEBPACK_FILES)
        self.ok("deploy", timeout=180)
        self.assertEqual(zip_names(os.path.join(d, ".fx", "build", "hello.zip")),
                         ["src/handler.js", "src/handler.js.map"])
        self.assertEqual(json.loads(self.ok("invoke", "hello").out), {"x": 42, "by": "webpack"})

    def test_config_that_throws(self):
        self.service({**WEBPACK_FILES, "build/webpack.config.js": "throw new Error('config broke');\n"})
        r = self.fx("package", timeout=180)
        self.assertEqual(r.code, 1, r)
        self.assertIn("fx: error: function 'hello': webpack with build/webpack.config.js failed", r.err)
        self.assertIn("config broke", r.err)


if __name__ == "__main__":
    main()
