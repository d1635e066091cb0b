"""Runtimes as Lambda's: each runtime id runs on an interpreter of exactly its version when one is
installed (pyenv, asdf, mise, nvm, fnm, volta, the system's versioned programs), or on the one
custom.fx.interpreters names; else on the local one with one warning naming the version used.
Every runtime Lambda offers for Python, Node.js and Ruby deploys; deprecated ones with a warning.
A function sees Lambda's modules (its bundle, its layers, the runtime's SDK), never the host's.

The installs are fakes built per test class: small scripts laid out as each version manager lays
out its installs, which answer fx's version probe as the version they stand for and run
everything else on the host's own interpreter, exporting FAKE_INTERPRETER (their own path) first.
A function returns that variable, so the test sees which install ran it. They are real processes,
started by the real emulator through the real fx binary, in its sandbox.
"""
import base64
import io
import json
import os
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
import zipfile

from fxtest import FxTestCase, main

# The host's interpreters the fakes run on: system ones, under /usr, which the sandbox shows.
HOST_PYTHON = shutil.which("python3.11", path="/usr/bin") or shutil.which("python3", path="/usr/bin")
HOST_NODE = shutil.which("node", path="/usr/bin:/usr/local/bin")
HOST_RUBY = shutil.which("ruby", path="/usr/bin:/usr/local/bin")

# What each family's probe carries, so a fake tells the probe from a real run.
PROBE_MARK = {"python": "*compileall*", "node": "*writeSync*", "ruby": "*rbconfig*"}

# Not under /tmp: a sandboxed instance has a /tmp of its own, which would hide the installs
# (their folders are bound into the sandbox where they are). Beside the fx binary, unless that
# is itself under /tmp (CI builds a fresh clone made by mktemp): then in the user's cache.
_BIN_DIR = os.path.dirname(os.path.realpath(
    os.environ.get("FX_BIN") or os.path.join(os.path.dirname(__file__), "..", "..", "build", "fx")))
if _BIN_DIR == "/tmp" or _BIN_DIR.startswith("/tmp/"):
    _BIN_DIR = os.path.join(os.path.expanduser("~"), ".cache", "fx-tests")
    os.makedirs(_BIN_DIR, exist_ok=True)
ROOT = tempfile.mkdtemp(prefix="fx-e2e-runtimes-", dir=_BIN_DIR)
HOME = os.path.join(ROOT, "home")


def fake(path, family, version, real):
    """An install of `version` at `path` (under ROOT) that runs on the host's `real`."""
    full = os.path.join(ROOT, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(f"""#!/bin/sh
case "$2" in {PROBE_MARK[family]})
  printf '%s\\n{version}\\n%s\\n' "$0" "$(dirname "$(dirname "$0")")" >&3; exit 0;;
esac
FAKE_INTERPRETER="$0" exec {real} "$@"
""")
    os.chmod(full, 0o755)
    return full


# The version managers' trees, as each lays them out (roots moved by their variables or under
# HOME), and one system folder of versioned programs.
INSTALLS = {
    "py39_old": fake("pyenv/versions/3.9.2/bin/python3.9", "python", "3.9.2", HOST_PYTHON),
    "py39": fake("pyenv/versions/3.9.18/bin/python3.9", "python", "3.9.18", HOST_PYTHON),
    "py310": fake("pyenv/versions/3.10.14/bin/python3.10", "python", "3.10.14", HOST_PYTHON),
    "py38": fake("home/.asdf/installs/python/3.8.20/bin/python", "python", "3.8.20", HOST_PYTHON),
    "py314": fake("home/.local/share/mise/installs/python/3.14.0/bin/python3.14", "python",
                  "3.14.0", HOST_PYTHON),
    "py312_named": fake("elsewhere/py312/bin/python3.12", "python", "3.12.8", HOST_PYTHON),
    "py310_wrong": fake("elsewhere/py310/bin/python3.12", "python", "3.10.1", HOST_PYTHON),
    "node18_nvm": fake("nvm/versions/node/v18.19.0/bin/node", "node", "18.19.0", HOST_NODE),
    "node18_fnm": fake("fnm/node-versions/v18.20.4/installation/bin/node", "node", "18.20.4",
                       HOST_NODE),
    "node20": fake("nvm/versions/node/v20.11.1/bin/node", "node", "20.11.1", HOST_NODE),
    "node22": fake("sys/bin/node22", "node", "22.12.0", HOST_NODE),
    "node24": fake("home/.volta/tools/image/node/24.1.0/bin/node", "node", "24.1.0", HOST_NODE),
    "ruby34": fake("home/.local/share/mise/installs/ruby/3.4.1/bin/ruby", "ruby", "3.4.1",
                   HOST_RUBY),
}

# PATH without any version manager's shims: the local python3 is the system's, /usr/bin's.
BARE_PATH = ":".join(p for p in os.environ.get("PATH", "").split(":")
                     if p and not any(m in p for m in (".pyenv", ".asdf", ".nvm", ".rbenv",
                                                        "mise", "fnm", ".volta")))

ENV = {
    "HOME": HOME,
    "PATH": BARE_PATH,
    "PYENV_ROOT": os.path.join(ROOT, "pyenv"),
    "NVM_DIR": os.path.join(ROOT, "nvm"),
    "FNM_DIR": os.path.join(ROOT, "fnm"),
    "ASDF_DATA_DIR": "", "MISE_DATA_DIR": "", "VOLTA_HOME": "", "RBENV_ROOT": "",
    # The system folders asked beside PATH: the tests' own.
    "FX_RUNTIME_SYSTEM_DIRS": os.path.join(ROOT, "sys", "bin"),
}

PY_FN = """
    import os, sys
    def which(event, context):
        return {"fake": os.environ.get("FAKE_INTERPRETER"), "version": sys.version.split()[0]}
    """
NODE_FN = """
    exports.which = async () => ({fake: process.env.FAKE_INTERPRETER || null,
                                  version: process.version});
    """
RUBY_FN = """
    def which(event:, context:)
      {'fake' => ENV['FAKE_INTERPRETER'], 'version' => RUBY_VERSION}
    end
    """


def host_version(exe, code):
    return subprocess.run([exe, "-e" if "node" in exe or "ruby" in exe else "-c", code],
                          capture_output=True, text=True).stdout.strip()


class ExactInterpreters(FxTestCase):
    emulator_env = ENV

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(ROOT, ignore_errors=True)

    def which(self, fn):
        r = self.ok("invoke", fn, "--json")
        out = r.json()
        self.assertIsNone(out["function_error"], out)
        return out["result"]

    def get_function(self, name):
        req = urllib.request.Request(f"{self.url}/2015-03-31/functions/{name}", headers=self.auth())
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())

    def create_function(self, body):
        req = urllib.request.Request(f"{self.url}/2015-03-31/functions", method="POST",
                                     data=json.dumps(body).encode(),
                                     headers=self.auth({"Content-Type": "application/json"}))
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def test_each_runtime_id_runs_on_the_newest_install_of_its_version(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider: {name: aws, runtime: python3.9}
                functions:
                  py39: {handler: app.which}
                  py310: {handler: app.which, runtime: python3.10}
                  py314: {handler: app.which, runtime: python3.14}
                  node18: {handler: app.which, runtime: nodejs18.x}
                  node20: {handler: app.which, runtime: nodejs20.x}
                  node22: {handler: app.which, runtime: nodejs22.x}
                  node24: {handler: app.which, runtime: nodejs24.x}
                  ruby34: {handler: app.which, runtime: ruby3.4}
                """,
            "app.py": PY_FN, "app.js": NODE_FN, "app.rb": RUBY_FN})
        r = self.ok("deploy", timeout=120)
        # Each found its version: no warning about an interpreter.
        self.assertNotIn(" found (looked in", r.err)
        expected = {
            "py39": "py39",          # pyenv's 3.9.18, not its 3.9.2, nor PATH's python3
            "py310": "py310",        # pyenv
            "py314": "py314",        # mise, under HOME
            "node18": "node18_fnm",  # fnm's 18.20.4 is newer than nvm's 18.19.0
            "node20": "node20",      # nvm
            "node22": "node22",      # a system folder's node22
            "node24": "node24",      # volta
            "ruby34": "ruby34",      # mise
        }
        for fn, install in expected.items():
            with self.subTest(fn=fn):
                self.assertEqual(self.which(fn)["fake"], INSTALLS[install])

    def test_custom_fx_interpreters_names_one_and_a_wrong_one_is_an_error(self):
        manifest = """
            service: SERVICE
            provider: {name: aws, runtime: python3.12}
            functions:
              named: {handler: app.which}
            custom:
              fx:
                interpreters:
                  python3.12: PATH
            """
        self.make_service({"serverless.yaml": manifest.replace("PATH", INSTALLS["py312_named"]),
                           "app.py": PY_FN})
        r = self.ok("deploy")
        self.assertNotIn(" found (looked in", r.err)
        self.assertEqual(self.which("named")["fake"], INSTALLS["py312_named"])
        config = self.get_function(f"{self.service_name}-dev-named")["Configuration"]
        self.assertEqual(config["FxInterpreter"], INSTALLS["py312_named"])

        # One that reports another version: the deploy stops, naming the key and what it is.
        with open(os.path.join(self.service_dir, "serverless.yaml"), "w") as f:
            f.write(manifest.replace("SERVICE", self.service_name)
                    .replace("PATH", INSTALLS["py310_wrong"]))
        r = self.fx("deploy")
        self.assertEqual(r.code, 1, r)
        self.assertRegex(r.err, r"fx: error: serverless\.yaml:\d+:\d+: custom\.fx\.interpreters\."
                                r"python3\.12: .*/py310/bin/python3\.12 is Python 3\.10\.1, not "
                                r"Python 3\.12")
        # Still the one deployed before.
        self.assertEqual(self.which("named")["fake"], INSTALLS["py312_named"])

        # One that does not exist: said at load, with where.
        with open(os.path.join(self.service_dir, "serverless.yaml"), "w") as f:
            f.write(manifest.replace("SERVICE", self.service_name).replace("PATH", "./nope/python"))
        r = self.fx("deploy")
        self.assertEqual(r.code, 1, r)
        self.assertRegex(r.err, r"fx: error: serverless\.yaml:\d+:\d+: custom\.fx\.interpreters\."
                                r"python3\.12: .*/nope/python does not exist")

    def test_fx_interpreter_through_the_api_is_checked(self):
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as z:
            z.writestr("app.py", "def which(event, context):\n    return 1\n")
        base = {"FunctionName": "apinamed", "Runtime": "python3.12", "Handler": "app.which",
                "Role": "arn:aws:iam::000000000000:role/fx-local",
                "Code": {"ZipFile": base64.b64encode(code.getvalue()).decode()}}
        cases = [
            ({"FxInterpreter": INSTALLS["py310_wrong"]}, "is Python 3.10.1, not Python 3.12"),
            ({"FxInterpreter": "python3"}, "must be an absolute path"),
            ({"FxInterpreter": "/nonexistent/python3.12"}, "does not exist"),
            ({"FxInterpreter": 12}, "Cannot deserialize value of type String"),
            ({"FxInterpreter": "/x" * 3000}, "fxInterpreter"),
            ({"FxInterpreter": INSTALLS["py312_named"], "Runtime": "provided.al2023"},
             "runs the bundle's own bootstrap"),
        ]
        for extra, message in cases:
            with self.subTest(extra=str(extra)[:80]):
                status, body = self.create_function({**base, **extra})
                self.assertEqual(status, 400, body)
                self.assertIn(message, body.get("message") or body.get("Message", ""), body)
        # The emulator is alive and takes a good one.
        status, body = self.create_function({**base, "FxInterpreter": INSTALLS["py312_named"]})
        self.assertEqual(status, 201, body)
        self.assertEqual(body["FxInterpreter"], INSTALLS["py312_named"])

    def test_no_install_of_the_version_warns_once_naming_the_version_used(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider: {name: aws, runtime: python3.13}
                functions:
                  one: {handler: app.which}
                  two: {handler: app.which}
                  three: {handler: app.which}
                """,
            "app.py": PY_FN})
        local = host_version(shutil.which("python3", path=BARE_PATH),
                             "import sys; print('%d.%d.%d' % sys.version_info[:3])")
        self.assertFalse(local.startswith("3.13."), "the local python3 is a 3.13")
        line = (f"fx: warning: python3.13: no Python 3.13 found (looked in PATH, {ROOT}/sys/bin, "
                f"pyenv, asdf, mise); running on Python {local} (")
        for attempt in ("created", "unchanged"):
            r = self.ok("deploy")
            self.assertEqual(r.err.count(line), 1, r)
            self.assertEqual(r.err.count("no Python 3.13 found"), 1, r)
        self.assertIsNone(self.which("one")["fake"])  # the local python3, no fake
        info = self.ok("info", "--json").json()
        functions = info["functions"] if isinstance(info, dict) else info
        for f in functions:
            self.assertTrue(any(w.startswith("python3.13: no Python 3.13 found")
                                for w in f["warnings"]), f)
        config = self.get_function(f"{self.service_name}-dev-one")["Configuration"]
        self.assertTrue(any("no Python 3.13 found" in w for w in config["FxWarnings"]), config)

    def test_a_deprecated_runtime_deploys_with_lambdas_deprecation_warning(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider: {name: aws, runtime: python3.8}
                functions:
                  old: {handler: app.which}
                  older: {handler: app.which}
                """,
            "app.py": PY_FN})
        r = self.ok("deploy")
        self.assertEqual(r.err.count("fx: warning: python3.8: deprecated by Lambda on 2024-10-14"),
                         1, r)
        self.assertIn("use python3.14", r.err)
        self.assertEqual(self.which("old")["fake"], INSTALLS["py38"])  # asdf's

    def test_runtimes_lambda_retired_are_refused_with_the_list(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider: {name: aws, runtime: python3.7}
                functions:
                  gone: {handler: app.which}
                """,
            "app.py": PY_FN})
        r = self.fx("deploy")
        self.assertEqual(r.code, 1, r)
        self.assertIn('provider.runtime: expected a supported runtime, got "python3.7"', r.err)
        self.assertIn("python3.14", r.err)
        self.assertIn("nodejs24.x", r.err)
        self.assertIn("ruby3.4", r.err)


# Modules the host has that Lambda's runtime does not: a package of the host's Python
# (site-packages), one on PYTHONPATH, one on NODE_PATH and in HOME's .node_modules.
HOST_DIR = tempfile.mkdtemp(prefix="fx-e2e-hostpkgs-")
for rel, text in {"py/hostonly_py.py": "X = 1\n",
                  "node_modules/hostonly-node/index.js": "module.exports = 1;\n",
                  "home/.node_modules/hostonly-home/index.js": "module.exports = 1;\n",
                  "home/.node_libraries/hostonly-lib/index.js": "module.exports = 1;\n"}.items():
    os.makedirs(os.path.dirname(os.path.join(HOST_DIR, rel)), exist_ok=True)
    with open(os.path.join(HOST_DIR, rel), "w") as f:
        f.write(text)


class HostPackagesStayOut(FxTestCase):
    emulator_env = {
        "PYTHONPATH": os.path.join(HOST_DIR, "py"),
        "NODE_PATH": os.path.join(HOST_DIR, "node_modules"),
        "HOME": os.path.join(HOST_DIR, "home"),
        # pyenv's shims find pyenv by HOME unless told.
        "PYENV_ROOT": os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv"),
    }

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(HOST_DIR, ignore_errors=True)

    def test_python_sees_boto3_but_not_the_hosts_packages(self):
        # The host's python3 has them: without fx's isolation the function would import them.
        host = subprocess.run(["python3", "-c", "import yaml, hostonly_py; print(yaml.__file__)"],
                              capture_output=True, text=True, env=self.env)
        self.assertEqual(host.returncode, 0, host.stderr)
        self.assertIn("site-packages", host.stdout)
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider: {name: aws, runtime: python3.11}
                functions:
                  probe: {handler: app.probe}
                """,
            "app.py": """
                import importlib, sys
                def probe(event, context):
                    out = {}
                    for name in ("yaml", "hostonly_py", "boto3", "botocore", "json"):
                        try:
                            importlib.import_module(name)
                            out[name] = True
                        except ImportError:
                            out[name] = False
                    out["path"] = sys.path
                    return out
                """})
        self.ok("deploy")
        r = self.ok("invoke", "probe", "--json").json()
        out = r["result"]
        self.assertEqual({k: out[k] for k in ("yaml", "hostonly_py", "boto3", "botocore", "json")},
                         {"yaml": False, "hostonly_py": False, "boto3": True, "botocore": True,
                          "json": True}, out["path"])
        self.assertFalse([p for p in out["path"] if p.startswith(HOST_DIR)], out["path"])

    def test_node_resolves_nothing_of_the_hosts_global_modules(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider: {name: aws, runtime: nodejs20.x}
                functions:
                  probe: {handler: app.probe}
                """,
            "app.js": """
                exports.probe = async () => {
                  const out = {};
                  for (const name of ['hostonly-node', 'hostonly-home', 'hostonly-lib',
                                      '@aws-sdk/client-sqs', 'path']) {
                    try { require.resolve(name); out[name] = true; } catch (e) { out[name] = false; }
                  }
                  out.paths = require.resolve.paths('anything');
                  return out;
                };
                """})
        self.ok("deploy", timeout=120)
        out = self.ok("invoke", "probe", "--json", timeout=120).json()["result"]
        self.assertEqual(
            {k: out[k] for k in ("hostonly-node", "hostonly-home", "hostonly-lib", "path")},
            {"hostonly-node": False, "hostonly-home": False, "hostonly-lib": False, "path": True},
            out["paths"])
        self.assertFalse([p for p in out["paths"] if p.startswith(HOST_DIR)], out["paths"])
        global_root = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True).stdout
        if global_root.strip():
            self.assertNotIn(global_root.strip(), out["paths"])


if __name__ == "__main__":
    main()
