"""Issue 14's attacks, each as an attacker on the same machine would try it: a web page in the
user's browser, a rogue local process, a function reading or killing what is not its own. Each
one succeeded before fx sandboxed its instances and guarded its API. The suite runs them with
the emulator as root (CI's user) and again as an ordinary user (setpriv to an unused uid)."""
import base64
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from fxtest import AWS_SIGNED, FX, FxTestCase, host_pid, main, token_of

# One service of two functions: `victim` holds a secret, `attacker` tries to get at it.
SERVICE = {
    "serverless.yaml": """
        service: SERVICE
        provider: {name: aws, runtime: python3.11}
        custom:
          fx:
            idleTimeout: 1
        functions:
          victim:
            handler: app.victim
            environment:
              SECRET: victim-secret-value
          attacker:
            handler: app.attacker
            timeout: 10
        """,
    "app.py": """
        import glob, os, signal, subprocess, time

        def victim(event, context):
            with open("/tmp/victim-file", "w") as f:
                f.write("victim-tmp-secret")
            return {"runtime_api": os.environ["AWS_LAMBDA_RUNTIME_API"],
                    "ns": os.readlink("/proc/self/ns/pid")}

        def attacker(event, context):
            found = {}
            # Other processes' environments, as /proc shows them.
            for path in glob.glob("/proc/[0-9]*/environ"):
                try:
                    with open(path, "rb") as f:
                        if b"victim-secret-value" in f.read():
                            found["environ"] = path
                except OSError:
                    pass
            found["pids_seen"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
            # Another instance's /tmp, the code store, FX_HOME and its token.
            for path in ["/tmp/victim-file", event["home"] + "/token", event["home"] + "/state.db",
                         event["home"] + "/code"]:
                try:
                    os.listdir(path) if path.endswith("/code") else open(path, "rb").read(16)
                    found.setdefault("read", []).append(path)
                except OSError:
                    pass
            # Appending to another function's deployed code.
            for path in glob.glob(event["home"] + "/code/*/app.py") + ["/var/task/app.py"]:
                try:
                    with open(path, "a") as f:
                        f.write("# tampered\\n")
                    found.setdefault("wrote", []).append(path)
                except OSError:
                    pass
            # Killing the emulator: by its pid, by the parent's, and everyone it may signal.
            for pid in (event["emulator_pid"], os.getppid()):
                try:
                    if pid > 1:
                        os.kill(pid, signal.SIGKILL)
                        found.setdefault("killed", []).append(pid)
                except OSError:
                    pass
            # A child in a session of its own, which used to outlive its instance.
            child = subprocess.Popen(["setsid", "sleep", "300"])
            time.sleep(0.2)
            start = open(f"/proc/{child.pid}/stat").read().rsplit(")", 1)[1].split()[19]
            found["setsid_child"] = os.readlink("/proc/self/ns/pid") + "/" + str(child.pid) + "/" + start
            found["uid"] = os.getuid()
            import pwd
            found["user"] = pwd.getpwuid(os.getuid()).pw_name
            return found
        """,
}


def raw(url, method, path, body=b"", headers=None):
    host = url.split("//", 1)[1]
    conn = http.client.HTTPConnection(host, timeout=30)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        hdrs = {"Host": host, "Content-Length": str(len(body))}
        hdrs.update(headers or {})
        for k, v in hdrs.items():
            if v is not None:
                conn.putheader(k, v)
        conn.endheaders(body or None)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


class Attacks(FxTestCase):
    """The attacks, against an emulator run by root."""

    def deploy_service(self):
        self.make_service(SERVICE)
        self.ok("deploy")
        return f"{self.service_name}-dev"

    # A web page --------------------------------------------------------------------------

    def test_a_web_pages_cross_site_post_creates_nothing(self):
        zip64 = base64.b64encode(b"PK\x05\x06" + b"\0" * 18).decode()
        body = json.dumps({"FunctionName": "evil", "Runtime": "python3.11", "Handler": "a.b",
                           "Code": {"ZipFile": zip64}}).encode()
        # What a browser sends for a page's fetch(url, {method: "POST", mode: "no-cors",
        # body}): a "simple" request, text/plain, with the page's Origin.
        for headers in ({"Origin": "http://evil.example", "Content-Type": "text/plain"},
                        {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors",
                         "Content-Type": "text/plain"}):
            status, hdrs, out = raw(self.url, "POST", "/2015-03-31/functions", body, headers)
            self.assertEqual(status, 403, out)
            self.assertEqual(hdrs["x-amzn-errortype"], "AccessDeniedException")
            self.assertIn("requests from web pages", json.loads(out)["message"])
        status, _, out = raw(self.url, "POST", "/_fx/v1/shutdown", b"",
                             {"Origin": "http://evil.example"})
        self.assertEqual(status, 403, out)
        # And the same without a credential, as a page could send it with no Origin at all.
        status, hdrs, out = raw(self.url, "POST", "/2015-03-31/functions", body,
                                {"Content-Type": "text/plain"})
        self.assertEqual(status, 403, out)
        self.assertEqual(hdrs["x-amzn-errortype"], "MissingAuthenticationTokenException")
        status, _, _ = raw(self.url, "POST", "/_fx/v1/shutdown")
        self.assertEqual(status, 401)
        os.kill(self.pid, 0)
        functions = json.loads(raw(self.url, "GET", "/2015-03-31/functions", b"", self.auth())[2])
        self.assertNotIn("evil", [f["FunctionName"] for f in functions["Functions"]])

    def test_dns_rebinding_host_is_refused(self):
        port = self.url.rsplit(":", 1)[1]
        status, hdrs, out = raw(self.url, "GET", "/_fx/v1/status", b"",
                                self.auth({"Host": f"evil.example:{port}"}))
        self.assertEqual(status, 403, out)
        self.assertIn("DNS rebinding", json.loads(out)["message"])
        for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"LOCALHOST:{port}"):
            status, _, out = raw(self.url, "GET", "/_fx/v1/status", b"", self.auth({"Host": host}))
            self.assertEqual(status, 200, (host, out))

    def test_the_aws_apis_take_a_signature_and_fx_api_the_token(self):
        status, _, _ = raw(self.url, "GET", "/2015-03-31/functions", b"", AWS_SIGNED)
        self.assertEqual(status, 200)
        status, _, out = raw(self.url, "GET", "/_fx/v1/status", b"", AWS_SIGNED)
        self.assertEqual(status, 401, out)
        status, _, out = raw(self.url, "GET", "/_fx/v1/status", b"",
                             {"Authorization": "Bearer not-the-token-at-all"})
        self.assertEqual(status, 401, out)
        self.assertIn("not this fx emulator's", json.loads(out)["message"])
        # The token file is its owner's only, in a folder that is its owner's only.
        self.assertEqual(os.stat(self.home).st_mode & 0o777, 0o700)
        for name in ("token", "state.db", "queues.db", "emulator.json", "emulator.log"):
            self.assertEqual(os.stat(os.path.join(self.home, name)).st_mode & 0o777, 0o600, name)

    # A function --------------------------------------------------------------------------

    def test_a_function_cannot_read_write_or_kill_what_is_not_its_own(self):
        prefix = self.deploy_service()
        self.ok("invoke", "victim")
        r = self.ok("invoke", "attacker", "--json", "--data",
                    json.dumps({"home": self.home, "emulator_pid": self.pid})).json()["result"]
        self.assertNotIn("environ", r, "read another function's environment")
        self.assertEqual(r["pids_seen"][0], 1)
        self.assertLessEqual(len(r["pids_seen"]), 4, r["pids_seen"])  # itself, its children
        self.assertNotIn("read", r, "read another's /tmp, FX_HOME or the code store")
        self.assertNotIn("wrote", r, "changed deployed code")
        self.assertNotIn("killed", r)
        self.assertNotEqual(r["uid"], 0)
        # Lambda's own user, by number and by name (getpwuid is fast when it has a name).
        self.assertEqual((r["uid"], r["user"]), (993, "sbx_user1051"))
        os.kill(self.pid, 0)  # the emulator lives
        # The victim's code is as deployed: its next cold start runs it unchanged.
        self.assertIn('"runtime_api"', self.ok("invoke", "victim").out)
        # Everything the attacker started died with it (idle timeout: 1 s).
        self.wait_for(lambda: host_pid(r["setsid_child"]) is None, timeout=15,
                      message="the setsid child to die with its instance")

    def test_the_runtime_api_belongs_to_its_instance(self):
        self.deploy_service()
        first = self.ok("invoke", "victim", "--json").json()["result"]
        host, port = first["runtime_api"].split(":")
        # The instance now waits in GET /next. A rogue process asks too: it is refused at once
        # and never sees the next event...
        rogue = socket.create_connection((host, int(port)), timeout=5)
        rogue.sendall(f"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: {host}\r\n\r\n"
                      .encode())
        rogue.settimeout(5)
        try:
            answer = rogue.recv(65536)
        except (socket.timeout, ConnectionError):
            answer = b""
        self.assertTrue(answer.startswith(b"HTTP/1.1 403 "), answer[:200])
        self.assertIn(b"belongs to its instance", answer)
        result = {}
        t = threading.Thread(target=lambda: result.update(
            r=self.fx("invoke", "victim", "--json", "--data", '{"secret_payload": 1}')))
        t.start()
        t.join(30)
        rogue.settimeout(1)
        try:
            later = rogue.recv(65536)
        except (socket.timeout, ConnectionError, OSError):
            later = b""
        rogue.close()
        self.assertNotIn(b"secret_payload", answer + later)
        # ...and the call was answered by the instance, not by a forged result.
        self.assertEqual(result["r"].code, 0, result["r"])
        self.assertIn("runtime_api", result["r"].json()["result"])


class AttacksAsAnOrdinaryUser(Attacks):
    """The same attacks, the emulator run by a user with no privilege at all."""

    uid = 4242

    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("already an ordinary user: the class above covers it")
        cls.root = tempfile.mkdtemp(prefix="fx-e2e-user-")
        os.chmod(cls.root, 0o755)
        os.chown(cls.root, cls.uid, cls.uid)
        cls.home = os.path.join(cls.root, "home")
        # The build may sit where the user cannot reach (a clone in a 0700 mktemp folder, as
        # CI's is): the user runs its own link (or copy) of the binary, in its own folder.
        cls.fx_bin = os.path.join(cls.root, "fx")
        try:
            os.link(FX, cls.fx_bin)
        except OSError:
            shutil.copy2(FX, cls.fx_bin)
        os.chmod(cls.fx_bin, 0o755)
        cls.env = {k: v for k, v in os.environ.items() if not k.startswith("FX_")}
        # The machine's own Python: root's pyenv is not an ordinary user's to run.
        cls.env.update(FX_HOME=cls.home, NO_COLOR="1", HOME=cls.root,
                       PATH="/usr/local/bin:/usr/bin:/bin")
        r = cls.fx_static(["emulator", "start", "--port", "0", "--json"], cwd=cls.root)
        assert r.code == 0, r
        cls.url, cls.pid = r.json()["url"], r.json()["pid"]

    @classmethod
    def fx_static(cls, args, cwd=None, input=None, timeout=60, env=None):
        argv = ["setpriv", f"--reuid={cls.uid}", f"--regid={cls.uid}", "--clear-groups",
                cls.fx_bin]
        proc = subprocess.run(argv + list(args), cwd=cwd or cls.root, input=input,
                              env=env or cls.env, capture_output=True, text=True, timeout=timeout)
        from fxtest import Result
        return Result(proc)

    def make_service(self, files, name=None):
        d = super().make_service(files, name)
        for dirpath, dirnames, filenames in os.walk(d):
            for n in dirnames + filenames:
                os.chown(os.path.join(dirpath, n), self.uid, self.uid)
        os.chown(d, self.uid, self.uid)
        return d


class SharedToken(FxTestCase):
    start_emulator = False

    def test_the_token_is_in_no_command_line_or_environment(self):
        token = "token-" + os.urandom(12).hex()
        r = self.fx("emulator", "start", "--port", "0", "--token", token, "--json")
        self.assertEqual(r.code, 0, r)
        self.addCleanup(lambda: self.fx("emulator", "stop"))
        pid = r.json()["pid"]
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            for what in ("cmdline", "environ"):
                try:
                    with open(f"/proc/{entry}/{what}", "rb") as f:
                        self.assertNotIn(token.encode(), f.read(), f"{what} of pid {entry}")
                except OSError:
                    pass
        self.assertEqual(token_of(self.home), token)
        os.kill(pid, 0)

    def test_short_and_blank_tokens_are_refused_and_one_can_be_generated(self):
        for bad in ("short", " " * 20, "has a space in it, long"):
            r = self.fx("emulator", "start", "--port", "0", "--token", bad)
            self.assertEqual(r.code, 2, r)
            self.assertRegex(r.err, r"^fx: error: --token: a token needs at least 16 characters")
        r = self.fx("emulator", "start", "--port", "0", "--generate-token", "--json")
        self.assertEqual(r.code, 0, r)
        self.addCleanup(lambda: self.fx("emulator", "stop"))
        token = r.json()["token"]
        self.assertRegex(token, r"^[0-9a-f]{32}$")
        status, _, _ = raw(r.json()["url"], "GET", "/2015-03-31/functions", b"", AWS_SIGNED)
        self.assertEqual(status, 401)  # a given token is the only key, AWS signatures included
        status, _, _ = raw(r.json()["url"], "GET", "/2015-03-31/functions", b"",
                           {"Authorization": f"Bearer {token}"})
        self.assertEqual(status, 200)


if __name__ == "__main__":
    main()
