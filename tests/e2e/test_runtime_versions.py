"""Which interpreter runs a function: the runtime's exact version first, wherever the registry's
discovery finds it (PATH, pyenv, asdf, nvm, rbenv), then the local one with a warning."""
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile

from fxtest import FxTestCase, main

# An emulator that sees no version manager: a HOME of its own and a PATH without pyenv's shims.
BARE_HOME = tempfile.mkdtemp(prefix="fx-e2e-bare-home-")
BARE_ENV = {
    "HOME": BARE_HOME,
    "PATH": ":".join(p for p in os.environ.get("PATH", "").split(":")
                     if p and ".pyenv" not in p and ".asdf" not in p and ".nvm" not in p
                     and ".rbenv" not in p),
    **{var: "" for var in ("PYENV_ROOT", "ASDF_DATA_DIR", "NVM_DIR", "RBENV_ROOT")},
}

VERSION_SERVICE = {
    "serverless.yaml": """
        service: SERVICE
        provider: {name: aws, runtime: RUNTIME}
        functions:
          version:
            handler: app.version
        """,
    "app.py": """
        import sys
        def version(event, context):
            return "%d.%d" % sys.version_info[:2]
        """,
}


def python_version(python, env):
    return subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                          capture_output=True, text=True, env=env).stdout.strip()


class LocalInterpreterFallback(FxTestCase):
    emulator_env = BARE_ENV

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(BARE_HOME, ignore_errors=True)

    def test_runtime_version_mismatch_warns_and_runs_local_interpreter(self):
        self.make_service({**VERSION_SERVICE,
                           "serverless.yaml": VERSION_SERVICE["serverless.yaml"].replace("RUNTIME", "python3.8")})
        local = python_version("python3", self.env)
        if local == "3.8":
            self.skipTest("the local python3 is 3.8 itself")
        r = self.ok("deploy")
        self.assertIn("fx: warning: python3.8: no Python 3.8 found (looked in PATH", r.err)
        self.assertIn(f"; running on Python {local}.", r.err)
        self.assertEqual(json.loads(self.ok("invoke", "version").out), local)


def pyenv_versions():
    """Python versions pyenv (or asdf) installed here, "3.9" -> its folder."""
    found = {}
    pyenv = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    for folder in sorted(glob.glob(os.path.join(pyenv, "versions", "*"))) + \
            sorted(glob.glob(os.path.expanduser("~/.asdf/installs/python/*"))):
        m = re.match(r"^(3\.\d+)\.\d+$", os.path.basename(folder))
        if m and os.access(os.path.join(folder, "bin", "python"), os.X_OK):
            found[m.group(1)] = folder
    return found


class ExactVersionFirst(FxTestCase):
    def test_a_version_manager_install_of_the_exact_version_wins(self):
        local = python_version("python3", self.env)
        candidates = {v: f for v, f in pyenv_versions().items()
                      if v != local and v in ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13")}
        if not candidates:
            self.skipTest("no pyenv or asdf Python here other than the local python3")
        version = sorted(candidates)[0]
        runtime = f"python{version}"
        self.make_service({**VERSION_SERVICE,
                           "serverless.yaml": VERSION_SERVICE["serverless.yaml"].replace("RUNTIME", runtime)})
        r = self.ok("deploy")
        self.assertNotIn(f"no Python {version} found", r.err)
        # It runs in the sandbox too: the install's prefix is bound read-only.
        self.assertEqual(json.loads(self.ok("invoke", "version").out), version)


if __name__ == "__main__":
    main()
