"""A shared fx emulator: one started with --token serves clients elsewhere, which reach it
with --target http://HOST:PORT and FX_TOKEN.

The "remote" is a second real emulator with its own FX_HOME on a loopback port; the client
has a FX_HOME of its own where no emulator runs (and none may be started).
"""
import json
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request

from fxtest import FX, FxTestCase, main

TOKEN = "s3cret-token-for-tests"

SERVICE = {
    "serverless.yaml": """
        service: SERVICE
        provider:
          name: aws
          runtime: python3.11
        functions:
          hello:
            handler: app.hello
            events:
              - httpApi: 'GET /hello'
        """,
    "app.py": """
        def hello(event, context):
            print("hello from the shared emulator")
            return {"statusCode": 200, "body": "hi"}
        """,
}


def listening_sockets():
    """(hex address, port) of every TCP socket in LISTEN state, from /proc/net/tcp{,6}."""
    out = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] == "0A":  # LISTEN
                addr, port = fields[1].split(":")
                out.add((addr, int(port, 16)))
    return out


class SharedEmulatorTest(FxTestCase):
    start_emulator = False  # the client side runs none: everything goes to the remote

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.remote_env = dict(cls.env, FX_HOME=os.path.join(cls.root, "remote"))
        r = cls.fx_static(["emulator", "start", "--port", "0", "--token", TOKEN, "--json"],
                          env=cls.remote_env)
        assert r.code == 0, r
        cls.remote = r.json()["url"]
        cls.env["FX_TOKEN"] = TOKEN

    @classmethod
    def tearDownClass(cls):
        cls.fx_static(["emulator", "stop"], env=cls.remote_env)
        super().tearDownClass()

    def setUp(self):
        self.make_service(SERVICE)
        self.name = f"{self.service_name}-dev-hello"

    def remote_fx(self, *args, token=TOKEN, timeout=30):
        env = dict(self.env)
        if token is None:
            env.pop("FX_TOKEN", None)
        else:
            env["FX_TOKEN"] = token
        return self.fx(*args, "--target", self.remote, env=env, timeout=timeout)

    def assert_no_local_emulator(self):
        self.assertFalse(os.path.exists(os.path.join(self.home, "emulator.json")),
                         "a command with an http target started a local emulator")
        r = self.fx("emulator", "status")
        self.assertEqual(r.code, 1, r)
        self.assertIn("not running", r.out)

    def assert_token_error(self, r):
        self.assertEqual(r.code, 1, r)
        errors = [l for l in r.err.splitlines() if l.startswith("fx: error:")]
        self.assertEqual(len(errors), 1, r)
        self.assertIn("token", errors[0])
        self.assertIn("FX_TOKEN", r.err)
        self.assertLessEqual(len(r.err.splitlines()), 2, r)  # the error and its hint, no stack

    def test_deploy_invoke_logs_cost_info_remove_on_the_remote(self):
        r = self.remote_fx("deploy")
        self.assertEqual(r.code, 0, r)
        self.assertIn(self.remote, r.out)
        r = self.remote_fx("invoke", "hello", "--json")
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.json()["result"]["body"], "hi")

        r = self.remote_fx("logs", "hello", "--json")
        self.assertEqual(r.code, 0, r)
        lines = [json.loads(l) for l in r.out.splitlines()]
        messages = [l["message"] for l in lines]
        self.assertIn("hello from the shared emulator", messages)
        self.assertTrue(any(m.startswith("REPORT RequestId: ") for m in messages), messages)
        self.assertEqual({l["function"] for l in lines}, {self.name})

        r = self.remote_fx("cost", "--json")
        self.assertEqual(r.code, 0, r)
        (fn,) = r.json()["functions"]
        self.assertEqual((fn["function"], fn["invocations"], fn["cold_starts"]), (self.name, 1, 1))
        self.assertGreater(fn["cost"]["aws"], 0)

        r = self.remote_fx("info", "--json")
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.json()["endpoint"], self.remote)
        self.assertEqual([f["name"] for f in r.json()["functions"]], [self.name])

        self.assert_no_local_emulator()

        r = self.remote_fx("remove")
        self.assertEqual(r.code, 0, r)
        r = self.remote_fx("invoke", "hello")
        self.assertEqual(r.code, 1, r)
        self.assertIn("not deployed", r.err + r.out)

    def test_secrets_and_ssm_variables_live_on_the_shared_emulator(self):
        # fx secrets --target URL writes the remote's store; the client's own has nothing.
        r = self.remote_fx("secrets", "set", "/shared/pw", "remote-pw-8812", "--secure")
        self.assertEqual(r.code, 0, r)
        self.assertNotIn("remote-pw-8812", r.out + r.err)
        r = self.remote_fx("secrets", "get", "/shared/pw")
        self.assertEqual((r.code, r.out.strip()), (0, "remote-pw-8812"), r)
        r = self.remote_fx("secrets", "list", "--json")
        self.assertIn("/shared/pw", [row["name"] for row in r.json()])
        r = self.fx("secrets", "get", "/shared/pw")
        self.assertEqual(r.code, 1, r)
        # ${ssm:} at a deploy to the remote reads the remote's parameter.
        self.make_service({**SERVICE, "serverless.yaml": SERVICE["serverless.yaml"] + """
            environment:
              PW: ${ssm:/shared/pw}
        """})
        r = self.remote_fx("deploy")
        self.assertEqual(r.code, 0, r)
        self.assertNotIn("remote-pw-8812", r.out + r.err)
        req = urllib.request.Request(
            f"{self.remote}/2015-03-31/functions/{self.service_name}-dev-hello/configuration",
            headers={"X-Fx-Token": TOKEN})
        with urllib.request.urlopen(req, timeout=30) as answer:
            self.assertEqual(json.load(answer)["Environment"]["Variables"]["PW"], "remote-pw-8812")
        # A parameter the remote lacks: one error naming where it looked and how to set it there.
        self.make_service({**SERVICE, "serverless.yaml": SERVICE["serverless.yaml"] + """
            environment:
              PW: ${ssm:/shared/absent}
        """})
        r = self.remote_fx("deploy")
        self.assertEqual(r.code, 1, r)
        self.assertIn(f"on the emulator at {self.remote}", r.err)
        self.assertIn(f"fx secrets set /shared/absent VALUE [--secure] --target {self.remote}", r.err)
        # The remote's token is needed for its parameters as for everything else.
        r = self.remote_fx("secrets", "get", "/shared/pw", token="wrong-token")
        self.assert_token_error(r)
        self.assert_no_local_emulator()

    def test_logs_follow_sees_a_later_invocation(self):
        self.assertEqual(self.remote_fx("deploy").code, 0)
        proc = subprocess.Popen([FX, "logs", "hello", "-f", "--json", "--target", self.remote],
                                cwd=self.service_dir, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(0.5)
            self.assertEqual(self.remote_fx("invoke", "hello").code, 0)
            deadline = time.monotonic() + 20
            seen = []
            while time.monotonic() < deadline:
                line = proc.stdout.readline()
                if not line:
                    break
                seen.append(json.loads(line)["message"])
                if seen[-1].startswith("REPORT "):
                    break
            self.assertIn("hello from the shared emulator", seen)
        finally:
            proc.kill()
            proc.communicate()

    def test_missing_and_wrong_token_are_one_error_line(self):
        self.assertEqual(self.remote_fx("deploy").code, 0)
        commands = [("deploy",), ("invoke", "hello"), ("logs", "hello"), ("logs", "hello", "-f"),
                    ("cost",), ("info",), ("remove",)]
        for token, says in ((None, "has none"), ("wrong", "not this fx emulator's")):
            for command in commands:
                with self.subTest(token=token, command=command):
                    r = self.remote_fx(*command, token=token)
                    self.assert_token_error(r)
                    self.assertIn(says, r.err)
                    # Nothing half-printed before the error (fx info's header, say).
                    if command[0] not in ("logs",):
                        self.assertEqual(r.out.strip(), "", r)
        # A token that is a prefix of the right one is wrong too.
        self.assert_token_error(self.remote_fx("invoke", "hello", token=TOKEN[:-1]))
        # The remote is unharmed and still has the function.
        r = self.remote_fx("invoke", "hello")
        self.assertEqual(r.code, 0, r)
        self.assert_no_local_emulator()

    def test_raw_http_needs_the_token_but_the_gateway_does_not(self):
        self.assertEqual(self.remote_fx("deploy").code, 0)

        def get(url, headers=None):
            req = urllib.request.Request(url, headers=headers or {})
            try:
                with urllib.request.urlopen(req, timeout=10) as res:
                    return res.status, dict(res.headers), res.read()
            except urllib.error.HTTPError as e:
                return e.code, dict(e.headers), e.read()

        for headers in ({}, {"Authorization": "Bearer wrong"}, {"X-Fx-Token": "wrong"}):
            for path in ("/2015-03-31/functions", "/_fx/v1/status"):
                status, h, body = get(self.remote + path, headers)
                self.assertEqual(status, 401, (path, headers))
                self.assertEqual(h.get("x-amzn-ErrorType"), "UnrecognizedClientException")
                self.assertIn("token", json.loads(body)["message"])
        for headers in ({"Authorization": f"Bearer {TOKEN}"}, {"X-Fx-Token": TOKEN}):
            status, _, body = get(self.remote + "/2015-03-31/functions", headers)
            self.assertEqual(status, 200)
            self.assertIn(self.name, [f["FunctionName"] for f in json.loads(body)["Functions"]])

        # The HTTP gateway is the functions' public face: no fx token.
        deploy = self.remote_fx("deploy", "--json").json()
        (route,) = [u for d in deploy for u in d["routes"]]
        url = re.search(r"http://\S+", route).group(0)
        status, _, body = get(url)
        self.assertEqual((status, body), (200, b"hi"))

    def test_aws_cli_cannot_send_a_bearer_token(self):
        aws = shutil.which("aws")
        if not aws:
            self.skipTest("the AWS CLI is not installed")
        env = dict(self.env, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="y",
                   AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        proc = subprocess.run([aws, "lambda", "list-functions", "--endpoint-url", self.remote],
                              env=env, capture_output=True, text=True, timeout=60)
        self.assertNotEqual(proc.returncode, 0, proc)
        self.assertIn("UnrecognizedClientException", proc.stderr)
        self.assertIn("this fx emulator requires a token and the request has none", proc.stderr)


class ListenTest(FxTestCase):
    start_emulator = False

    def home_env(self, name):
        return dict(self.env, FX_HOME=os.path.join(self.root, name))

    def test_listen_addr_port_form(self):
        env = self.home_env("loop")
        r = self.fx("emulator", "start", "--listen", "127.0.0.1:0", "--json", env=env)
        self.assertEqual(r.code, 0, r)
        try:
            self.assertRegex(r.json()["url"], r"^http://127\.0\.0\.1:\d+$")
            self.assertNotEqual(r.json()["url"], "http://127.0.0.1:0")
        finally:
            self.fx("emulator", "stop", env=env)

    def test_any_address_needs_a_token_and_then_the_gateway_listens_there_too(self):
        env = self.home_env("wide")
        r = self.fx("emulator", "start", "--listen", "0.0.0.0:0", "--json", env=env)
        self.assertEqual(r.code, 1, r)
        self.assertIn("without a token", r.err)
        r = self.fx("emulator", "start", "--listen", "0.0.0.0:0", "--token", TOKEN, "--json",
                    env=env)
        self.assertEqual(r.code, 0, r)
        try:
            port = int(r.json()["url"].rsplit(":", 1)[1])
            gateway_port = int(r.json()["gateway_url"].rsplit(":", 1)[1])
            listening = listening_sockets()
            self.assertIn(("00000000", port), listening)
            self.assertIn(("00000000", gateway_port), listening)
        finally:
            self.fx("emulator", "stop", env=env)

    def test_bad_listen_values_are_usage_errors_naming_the_flag(self):
        env = self.home_env("bad")
        for value in ("nowhere:4599", "127.0.0.1:99999", "127.0.0.1:", ":4599", "[::1",
                      "127.0.0.1:port"):
            with self.subTest(value=value):
                r = self.fx("emulator", "start", "--listen", value, env=env)
                self.assertEqual(r.code, 2, r)
                self.assertIn(f"--listen '{value}'", r.err)
        r = self.fx("emulator", "start", "--listen", "127.0.0.1:4599", "--port", "0", env=env)
        self.assertEqual(r.code, 2, r)
        self.assertIn("--listen", r.err)
        self.assertFalse(os.path.exists(os.path.join(self.root, "bad", "emulator.json")))


if __name__ == "__main__":
    main()
