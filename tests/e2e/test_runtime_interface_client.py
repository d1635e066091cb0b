"""AWS's own Runtime Interface Client (the npm package aws-lambda-ric) against the emulator.

A `provided.al2023` function ships a `bootstrap` that starts the RIC, which then speaks the
Runtime API itself (through aws-lambda-cpp and libcurl, built natively when the package is
installed): fx must look like Lambda to a client it did not write.

The package is installed once into a cache outside the repo
($FX_TEST_CACHE, else $XDG_CACHE_HOME/fx-tests, else ~/.cache/fx-tests), as
aws-lambda-ric-VERSION/. It is built in a temporary folder and renamed into place only
when it built and its native addon loads, so a half install is never reused. The first run
takes a few minutes (curl and aws-lambda-cpp are compiled); later runs take seconds.
Building needs node, npm, make, cmake, a C++ compiler, autoconf, automake and libtool
(Debian: apt-get install -y autoconf automake libtool cmake make g++); without them, or
without the npm registry, the tests skip and say why.

FX_TEST_RIC_VERSION picks another version (default 3.3.0, the newest that supports the
Node.js 20 found here; 4.x declares node >= 22).
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

from fxtest import FxTestCase, main

RIC_VERSION = os.environ.get("FX_TEST_RIC_VERSION", "3.3.0")
INSTALL_TIMEOUT_S = 1200  # a cold build on two cores takes about three minutes
LAMBDA_PATH = ("/usr/local/bin", "/usr/bin", "/bin")  # what the instance's PATH holds
BUILD_ONLY_DEPENDENCIES = {"node-gyp", "node-addon-api"}


def cache_root():
    if os.environ.get("FX_TEST_CACHE"):
        return os.environ["FX_TEST_CACHE"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "fx-tests")


def run_bounded(argv, timeout, **kw):
    """subprocess.run in its own session; on timeout the whole group (make, cc, ...) dies."""
    proc = subprocess.Popen(argv, start_new_session=True, **kw)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    return proc.returncode


def native_addon(pkg):
    """The built rapid-client.node: dist/ in 3.x, the package root in 4.x."""
    for rel in ("dist/rapid-client.node", "rapid-client.node"):
        if os.path.isfile(os.path.join(pkg, rel)):
            return os.path.join(pkg, rel)
    return None


def tail(path, lines=25):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def build_env():
    env = dict(os.environ)
    env["npm_config_update_notifier"] = "false"
    # node-gyp downloads Node's headers unless told where they are: nothing outside the
    # registry is reachable, so point it at the headers of the node that runs the tests.
    if not env.get("npm_config_nodedir"):
        probe = subprocess.run(["npm", "config", "get", "nodedir"], capture_output=True, text=True,
                               timeout=60, env=env)
        if probe.stdout.strip() in ("", "null", "undefined"):
            prefix = os.path.dirname(os.path.dirname(os.path.realpath(shutil.which("node"))))
            if os.path.isfile(os.path.join(prefix, "include", "node", "node_api.h")):
                env["npm_config_nodedir"] = prefix
    return env


def install_ric(version):
    """Returns (package folder, seconds the install took), installing into the cache once.

    Raises unittest.SkipTest with the precise reason when it cannot be installed here."""
    root = cache_root()
    final = os.path.join(root, f"aws-lambda-ric-{version}")
    pkg = os.path.join(final, "node_modules", "aws-lambda-ric")
    if native_addon(pkg):
        try:
            with open(os.path.join(final, "install-seconds")) as f:
                return pkg, float(f.read())
        except (OSError, ValueError):
            return pkg, None

    for tool in ("node", "npm"):
        if not shutil.which(tool):
            raise unittest.SkipTest(f"aws-lambda-ric needs {tool} on PATH to install and run")
    # curl's buildconf runs autoreconf and libtoolize; aws-lambda-cpp needs cmake; the addon g++.
    needed = {"make": "make", "cmake": "cmake", "g++": "g++", "autoreconf": "autoconf",
              "automake": "automake", "libtoolize": "libtool"}
    missing = sorted({pkgname for tool, pkgname in needed.items() if not shutil.which(tool)})
    if missing:
        raise unittest.SkipTest(
            f"building aws-lambda-ric {version} (it compiles curl and aws-lambda-cpp) needs "
            f"{', '.join(missing)}: apt-get install -y {' '.join(missing)}")

    os.makedirs(root, exist_ok=True)
    # Leftovers of runs that were killed mid-install.
    for entry in os.listdir(root):
        path = os.path.join(root, entry)
        if entry.startswith(".tmp-aws-lambda-ric-") and time.time() - os.path.getmtime(path) > 6 * 3600:
            shutil.rmtree(path, ignore_errors=True)
    tmp = tempfile.mkdtemp(prefix=f".tmp-aws-lambda-ric-{version}-", dir=root)
    log_path = os.path.join(tmp, "install.log")
    kept_log = os.path.join(root, f"aws-lambda-ric-{version}.failed-install.log")
    try:
        with open(os.path.join(tmp, "package.json"), "w") as f:
            # npm 11 runs a dependency's install scripts only when the project allows them.
            json.dump({"name": "fx-test-ric-cache", "private": True,
                       "dependencies": {"aws-lambda-ric": version},
                       "allowScripts": {f"aws-lambda-ric@{version}": True}}, f)
        env = build_env()
        started = time.monotonic()
        sys.stderr.write(f"\n[installing aws-lambda-ric {version} into {final}: a few minutes, once]\n")
        sys.stderr.flush()
        with open(log_path, "w") as log:
            try:
                code = run_bounded(["npm", "install", "--foreground-scripts", "--no-audit", "--no-fund"],
                                   INSTALL_TIMEOUT_S, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                code = "timeout"
            log.flush()
            if code != 0:
                with open(log_path, errors="replace") as f:
                    text = f.read()
                shutil.copyfile(log_path, kept_log)
                missing_pkg = re.search(r"\b(E404|ETARGET)\b", text)
                if missing_pkg:
                    raise unittest.SkipTest(f"the npm registry has no aws-lambda-ric@{version} "
                                            f"(npm install: {missing_pkg.group(1)}); log: {kept_log}")
                if re.search(r"ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH", text):
                    raise unittest.SkipTest(f"npm could not reach its registry to fetch aws-lambda-ric@{version}; "
                                            f"log: {kept_log}")
                raise unittest.SkipTest(
                    f"npm install aws-lambda-ric@{version} failed ({'timed out' if code == 'timeout' else f'exit {code}'}) "
                    f"building its native client; log: {kept_log}; last lines:\n{tail(log_path)}")
            tmp_pkg = os.path.join(tmp, "node_modules", "aws-lambda-ric")
            if not native_addon(tmp_pkg):
                # An npm that skipped the package's install scripts: run them by hand.
                log.write("\n[fx test: rapid-client.node missing, running the install scripts by hand]\n")
                log.flush()
                script_env = dict(env, PATH=os.path.join(tmp, "node_modules", ".bin") + os.pathsep + env["PATH"])
                for script in ("preinstall", "postinstall"):
                    code = run_bounded(["sh", f"scripts/{script}.sh"], INSTALL_TIMEOUT_S, cwd=tmp_pkg,
                                       env=script_env, stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL)
                    if code != 0:
                        shutil.copyfile(log_path, kept_log)
                        raise unittest.SkipTest(f"aws-lambda-ric {version}'s {script} script failed (exit {code}); "
                                                f"log: {kept_log}; last lines:\n{tail(log_path)}")
        addon = native_addon(tmp_pkg)
        if not addon:
            shutil.copyfile(log_path, kept_log)
            raise unittest.SkipTest(f"aws-lambda-ric {version} installed without its native client "
                                    f"(no rapid-client.node); log: {kept_log}")
        # The addon reads AWS_LAMBDA_RUNTIME_API as it loads (and aborts without it).
        probe = subprocess.run(["node", "-e", f"require({json.dumps(addon)})"], capture_output=True, text=True,
                               timeout=60, env=dict(os.environ, AWS_LAMBDA_RUNTIME_API="127.0.0.1:9"))
        if probe.returncode != 0:
            raise unittest.SkipTest(f"aws-lambda-ric {version}'s native client was built but does not load: "
                                    f"{probe.stderr.strip()[-500:]}")
        seconds = time.monotonic() - started
        # The package's own clean-up leaves curl's and aws-lambda-cpp's build trees (~150 MB).
        deps = os.path.join(tmp_pkg, "deps")
        if os.path.isdir(deps):
            for entry in os.listdir(deps):
                if entry != "patches" and os.path.isdir(os.path.join(deps, entry)):
                    shutil.rmtree(os.path.join(deps, entry), ignore_errors=True)
        shutil.rmtree(os.path.join(tmp_pkg, "build"), ignore_errors=True)
        with open(os.path.join(tmp, "install-seconds"), "w") as f:
            f.write(f"{seconds:.1f}\n")
        try:
            os.rename(tmp, final)
        except OSError:
            if not native_addon(pkg):  # another run won the race: keep its copy
                raise
        sys.stderr.write(f"[aws-lambda-ric {version} installed in {seconds:.0f} s]\n")
        return pkg, seconds
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def copy_package(node_modules, name, dest_node_modules, seen=None):
    """Copies an installed package and its runtime dependencies (not its build tools or
    build inputs) into a service's node_modules."""
    seen = set() if seen is None else seen
    if name in seen:
        return
    seen.add(name)
    src = os.path.join(node_modules, name)

    def ignore(folder, entries):
        if os.path.samefile(folder, src) and name == "aws-lambda-ric":
            # Sources and scripts of the native build, not needed to run it.
            return {"deps", "src", "scripts", "build", "node-addon-api", "binding.gyp"} & set(entries)
        return {"node_modules"} & set(entries)

    shutil.copytree(src, os.path.join(dest_node_modules, name), ignore=ignore)
    with open(os.path.join(src, "package.json")) as f:
        meta = json.load(f)
    for dep in meta.get("dependencies", {}):
        if dep not in BUILD_ONLY_DEPENDENCIES:
            copy_package(node_modules, dep, dest_node_modules, seen)


def ric_entry(pkg):
    """The script the package's `bin` names (bin/index.mjs in 3.x, index.mjs in 4.x)."""
    with open(os.path.join(pkg, "package.json")) as f:
        bin_field = json.load(f)["bin"]
    rel = bin_field if isinstance(bin_field, str) else bin_field["aws-lambda-ric"]
    return os.path.normpath(rel)


def node_command():
    """`node` when the instance's PATH finds it (Lambda's PATH), else its absolute path."""
    node = shutil.which("node")
    return "node" if os.path.dirname(node) in LAMBDA_PATH else node


SERVICE_YAML = """
    service: SERVICE
    provider:
      name: aws
      runtime: provided.al2023
      timeout: 5
    functions:
      echo:
        handler: index.handler
      boom:
        handler: index.boom
      ctx:
        handler: index.ctx
        memorySize: 256
        environment:
          MINE: from-manifest
      alt:
        handler: index.ctx
        environment:
          AWS_LAMBDA_NODEJS_USE_ALTERNATIVE_CLIENT_1: "true"
      nomod:
        handler: missing.handler
    """

INDEX_JS = """
    exports.handler = async (event, context) => {
      console.log("handling", JSON.stringify(event));
      return { got: event, id: context.awsRequestId };
    };
    exports.boom = async () => {
      throw new TypeError("kaboom");
    };
    exports.ctx = async (event, context) => ({
      id: context.awsRequestId,
      remaining: context.getRemainingTimeInMillis(),
      functionName: context.functionName,
      functionVersion: context.functionVersion,
      arn: context.invokedFunctionArn,
      memory: context.memoryLimitInMB,
      logGroup: context.logGroupName,
      logStream: context.logStreamName,
      trace: process.env._X_AMZN_TRACE_ID,
      mine: process.env.MINE,
      cwd: process.cwd(),
      taskRoot: process.env.LAMBDA_TASK_ROOT,
    });
    """


class RuntimeInterfaceClient(FxTestCase):
    @classmethod
    def setUpClass(cls):
        # Skips (before any emulator starts) when the package cannot be installed here.
        cls.ric_pkg, cls.install_seconds = install_ric(RIC_VERSION)
        super().setUpClass()
        cls.service_dir = os.path.join(cls.root, "ric")
        os.makedirs(os.path.join(cls.service_dir, "node_modules"))
        cls.bootstrap = (
            "#!/bin/sh\n"
            f'exec {node_command()} "$LAMBDA_TASK_ROOT/node_modules/aws-lambda-ric/{ric_entry(cls.ric_pkg)}" '
            '"$_HANDLER"\n')
        files = {"serverless.yaml": textwrap.dedent(SERVICE_YAML).lstrip().replace("SERVICE", "ric"),
                 "index.js": textwrap.dedent(INDEX_JS).lstrip(),
                 "bootstrap": cls.bootstrap}
        for name, text in files.items():
            with open(os.path.join(cls.service_dir, name), "w") as f:
                f.write(text)
        os.chmod(os.path.join(cls.service_dir, "bootstrap"), 0o755)
        # Copied, not linked: the packager follows no symlinked folder that leaves the service.
        copy_package(os.path.dirname(cls.ric_pkg), "aws-lambda-ric", os.path.join(cls.service_dir, "node_modules"))
        r = cls.fx_static(["deploy", "--json"], cwd=cls.service_dir, timeout=120)
        assert r.code == 0, r
        cls.names = {fn["function"]: fn["name"] for fn in r.json()}

    def setUp(self):
        self.service_dir = type(self).service_dir

    def test_invoke_returns_the_handlers_result(self):
        r = self.ok("invoke", "echo", "--data", '{"a":1}')
        out = json.loads(r.out)
        self.assertEqual(out["got"], {"a": 1})
        self.assertRegex(out["id"], r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
        # The RIC loops on /next: the next call is served warm, by the same instance.
        second = self.ok("invoke", "echo", "--data", '[1, "two", null]', "--json").json()
        self.assertEqual(second["result"], {"got": [1, "two", None], "id": second["request_id"]})
        self.assertIsNone(second["function_error"])
        self.assertIsNone(second["init_ms"])

    def test_handler_error_is_the_rics_error_json(self):
        r = self.fx("invoke", "boom")
        self.assertEqual(r.code, 1, r)
        err = json.loads(r.out)
        self.assertEqual(err["errorType"], "TypeError")
        self.assertEqual(err["errorMessage"], "kaboom")
        self.assertIsInstance(err["trace"], list)
        self.assertEqual(err["trace"][0], "TypeError: kaboom")
        self.assertIn("fx: error: boom failed: TypeError: kaboom", r.err)
        # Posting /error leaves the instance alive: the next failure is served warm.
        out = self.fx("invoke", "boom", "--json").json()
        self.assertEqual(out["function_error"], "Unhandled")
        self.assertEqual(out["result"]["errorType"], "TypeError")
        self.assertIsNone(out["init_ms"])

    def test_logs_hold_start_end_report_and_console_output(self):
        marker = f"m{time.monotonic_ns()}"
        out = self.ok("invoke", "echo", "--data", json.dumps({"marker": marker}), "--json").json()
        rid = out["request_id"]
        entries = [e for e in self.logs("echo") if e["request_id"] == rid]
        messages = [e["message"] for e in entries]
        self.assertEqual(messages[0], f"START RequestId: {rid} Version: $LATEST", messages)
        self.assertEqual(messages[-2], f"END RequestId: {rid}", messages)
        self.assertTrue(messages[-1].startswith(f"REPORT RequestId: {rid}\tDuration: "), messages)
        self.assertIn("\tMax Memory Used: ", messages[-1])
        # The RIC's console.log format: time, request id, level, message.
        [line] = [m for m in messages if marker in m]
        self.assertRegex(line, rf"^\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z\t{rid}\tINFO\thandling "
                               rf'\{{"marker":"{marker}"\}}$')
        self.assertIn(line, out["log"])

    def check_context(self, fn):
        out = self.ok("invoke", fn, "--json").json()
        ctx = out["result"]
        name = self.names[fn]
        self.assertEqual(ctx["id"], out["request_id"])
        # Lambda-Runtime-Deadline-Ms: the function's 5 s timeout, counted from the call.
        self.assertTrue(0 < ctx["remaining"] <= 5000, ctx["remaining"])
        self.assertGreater(ctx["remaining"], 3000)
        self.assertEqual(ctx["functionName"], name)
        self.assertEqual(ctx["functionVersion"], "$LATEST")
        self.assertRegex(ctx["arn"], rf"^arn:aws:lambda:[a-z0-9-]+:\d{{12}}:function:{re.escape(name)}$")
        self.assertEqual(ctx["logGroup"], f"/aws/lambda/{name}")
        self.assertRegex(ctx["logStream"], r"^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$")
        self.assertRegex(ctx["trace"], r"^Root=1-[0-9a-f]{8}-[0-9a-f]{24};")
        # The RIC loads the handler from its working directory: Lambda starts it in the task root.
        self.assertEqual(ctx["cwd"], ctx["taskRoot"])
        return ctx

    def test_context_from_the_runtime_api_headers_and_environment(self):
        ctx = self.check_context("ctx")
        self.assertEqual(ctx["memory"], "256")
        self.assertEqual(ctx["mine"], "from-manifest")

    def test_rics_javascript_http_client(self):
        # The RIC can fetch /next over Node's http (keep-alive) instead of aws-lambda-cpp.
        self.check_context("alt")
        self.check_context("alt")

    def test_import_error_is_posted_to_init_error(self):
        for _ in range(2):  # each call starts a fresh instance, which fails its init again
            r = self.fx("invoke", "nomod")
            self.assertEqual(r.code, 1, r)
            err = json.loads(r.out)
            self.assertEqual(err["errorType"], "Runtime.ImportModuleError")
            self.assertIn("Cannot find module 'missing'", err["errorMessage"])
            self.assertIn("fx: error: nomod failed: Runtime.ImportModuleError", r.err)


if __name__ == "__main__":
    main()
