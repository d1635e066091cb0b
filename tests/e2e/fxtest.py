"""Shared harness for the end-to-end tests: the real fx binary, a real emulator on an
ephemeral loopback port with its own FX_HOME, and real language runtimes.

Each test class gets one emulator (started in setUpClass, stopped in tearDownClass) and
each test its own service folder, so tests never see each other's files.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import textwrap
import time
import unittest

FX = os.environ.get("FX_BIN") or os.path.join(os.path.dirname(__file__), "..", "..", "build", "fx")
FX = os.path.abspath(FX)


# What the AWS CLI and SDKs send: the local emulator takes any signature.
AWS_SIGNED = {"Authorization": "AWS4-HMAC-SHA256 Credential=fx-test/20260101/us-east-1/lambda/"
                               "aws4_request, SignedHeaders=host, Signature=00"}


def token_of(home):
    """The emulator's token, which fx's CLI reads from FX_HOME/token."""
    with open(os.path.join(home, "token")) as f:
        return f.read().strip()


class Result:
    def __init__(self, proc):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


class FxTestCase(unittest.TestCase):
    """A test case with its own FX_HOME and a running emulator (unless start_emulator is False)."""

    start_emulator = True
    # More environment for every fx the class runs, the emulator included (e.g. a faster
    # schedule clock: FX_EMULATOR_CLOCK_SPEED).
    emulator_env = {}
    # The SDKs fx installs for the runtimes (FX_HOME/sdk: boto3 copied from the host, the AWS
    # SDK for JavaScript from npm) are shared by every class of a run, in the build folder: the
    # first class to need one installs it (emulators sharing the folder wait for each other),
    # the others find it, as a user's second project does. A class that tests the installing
    # itself keeps a folder of its own.
    shared_sdk = True

    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="fx-e2e-")
        cls.home = os.path.join(cls.root, "home")
        cls.env = {k: v for k, v in os.environ.items() if not k.startswith("FX_")}
        cls.env["FX_HOME"] = cls.home
        cls.env["NO_COLOR"] = "1"
        cls.env.update(cls.emulator_env)
        cls.url = None
        if cls.shared_sdk:
            shared = os.path.join(os.path.dirname(FX), "e2e-cache", "sdk")
            os.makedirs(shared, exist_ok=True)
            os.makedirs(cls.home, mode=0o700)
            os.symlink(shared, os.path.join(cls.home, "sdk"))
        if cls.start_emulator:
            r = cls.fx_static(["emulator", "start", "--port", "0", "--json"], cwd=cls.root)
            assert r.code == 0, r
            cls.url = r.json()["url"]
            cls.pid = r.json()["pid"]

    @classmethod
    def tearDownClass(cls):
        if cls.start_emulator:
            cls.fx_static(["emulator", "stop"], cwd=cls.root)
        shutil.rmtree(cls.root, ignore_errors=True)

    @classmethod
    def fx_static(cls, args, cwd=None, input=None, timeout=60, env=None):
        proc = subprocess.run([FX] + list(args), cwd=cwd or cls.root, input=input, env=env or cls.env,
                              capture_output=True, text=True, timeout=timeout)
        return Result(proc)

    @classmethod
    def auth(cls, extra=None):
        """Headers with the emulator's token, for raw calls to its API."""
        return {"Authorization": f"Bearer {token_of(cls.home)}", **(extra or {})}

    def fx(self, *args, cwd=None, input=None, timeout=60, env=None):
        return self.fx_static(args, cwd=cwd or getattr(self, "service_dir", None), input=input,
                              timeout=timeout, env=env)

    def ok(self, *args, **kw):
        r = self.fx(*args, **kw)
        self.assertEqual(r.code, 0, r)
        return r

    def make_service(self, files, name=None):
        """Writes files (path -> text) into a fresh service folder and makes it current."""
        # Deployed names must fit in 64 characters: keep service names short.
        FxTestCase._services = getattr(FxTestCase, "_services", 0) + 1
        name = name or f"svc{FxTestCase._services}"
        self.service_name = name
        self.service_dir = tempfile.mkdtemp(prefix="svc-", dir=self.root)
        for path, text in files.items():
            full = os.path.join(self.service_dir, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as f:
                f.write(textwrap.dedent(text).lstrip("\n").replace("SERVICE", name))
            if text.lstrip().startswith("#!"):
                os.chmod(full, 0o755)
        return self.service_dir

    def edit(self, old, new):
        """Replaces `old` (which must be there) with `new` in the current service's manifest."""
        path = os.path.join(self.service_dir, "serverless.yaml")
        with open(path) as f:
            text = f.read()
        self.assertIn(old, text)
        with open(path, "w") as f:
            f.write(text.replace(old, new))

    def logs(self, fn, *extra, env=None):
        r = self.ok("logs", fn, "--json", *extra, env=env)
        return [json.loads(line) for line in r.out.splitlines() if line.strip()]

    def wait_for(self, predicate, timeout=10, message="condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.05)
        self.fail(f"timed out waiting for {message}")


# How a function names its instance (or a process it started), in the tests' function code:
# "NS/PID/START", the PID namespace it runs in, its pid there and its start time. In fx's
# sandbox each instance is pid 1 of a namespace of its own (whose inode a later one may get),
# so neither a pid nor a namespace alone names one.


def host_pid(instance_id):
    """The host's pid of the process "NS/PID/START" names, or None once it is gone."""
    ns, pid, start = instance_id.rsplit("/", 2)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{entry}/ns/pid") != ns:
                continue
            with open(f"/proc/{entry}/status") as f:
                status = f.read()
        except OSError:
            continue
        nspid = next((l.split()[-1] for l in status.splitlines() if l.startswith("NSpid:")), None)
        state = next((l.split()[1] for l in status.splitlines() if l.startswith("State:")), "")
        try:
            with open(f"/proc/{entry}/stat") as f:
                started = f.read().rsplit(")", 1)[1].split()[19]
        except OSError:
            continue
        if nspid == pid and started == start and state != "Z":
            return int(entry)
    return None


def pids_of_group(pgid):
    """Live processes whose process group is pgid."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                out.append(int(entry))
        except (OSError, IndexError, ValueError):
            pass
    return out


def main():
    unittest.main(verbosity=2)
