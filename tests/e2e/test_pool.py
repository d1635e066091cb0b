"""The pool as Lambda runs it: one instance per concurrent call up to reservedConcurrency and
429 beyond (asynchronous calls wait instead), provisioned instances started at deploy and
never reaped, redeploys that let in-flight calls finish on the old code, environments that
do not leak between functions, children that die with their instance, init retried after an
init error, and nothing lost when the emulator is killed with -9."""
import json
import os
import signal
import stat
import subprocess
import threading
import time
import urllib.error
import urllib.request

from fxtest import FxTestCase, main, host_pid


def parallel(count, call):
    """Runs call(i) for i in range(count) at once; returns the results in order."""
    out = [None] * count

    def run(i):
        out[i] = call(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def function_status(url, name, headers):
    """One function's instances and counters, from the emulator's own status endpoint."""
    req = urllib.request.Request(f"{url}/_fx/v1/status", headers=headers)
    with urllib.request.urlopen(req, timeout=10) as r:
        status = json.loads(r.read())
    return next(f for f in status["functions"] if f["name"] == name)


def provisioned_config(url, name, headers, qualifier="provisioned"):
    """GetProvisionedConcurrencyConfig of a function's alias, from the emulator's Lambda API."""
    req = urllib.request.Request(
        f"{url}/2019-09-30/functions/{name}/provisioned-concurrency?Qualifier={qualifier}",
        headers=headers)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def invoke_alias(url, name, alias, headers, payload):
    req = urllib.request.Request(
        f"{url}/2015-03-31/functions/{name}/invocations?Qualifier={alias}",
        data=json.dumps(payload).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def process_gone(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


class ConcurrencyTest(FxTestCase):
    def setUp(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider:
                  name: aws
                  runtime: python3.11
                functions:
                  sleepy:
                    handler: app.sleepy
                    reservedConcurrency: 3
                    events:
                      - httpApi: GET /sleepy
                """,
            "app.py": """
                import os, time
                def sleepy(event, context):
                    time.sleep(1.5)
                    return {"pid": os.readlink('/proc/self/ns/pid') + '/' + str(os.getpid()) + '/' + open('/proc/self/stat').read().rsplit(')', 1)[1].split()[19]}
                """,
        })
        self.ok("deploy")

    def status_of(self, name):
        return function_status(self.url, name, self.auth())

    def test_parallel_calls_get_an_instance_each_up_to_reserved_concurrency_then_429(self):
        name = f"{self.service_name}-dev-sleepy"
        # Three calls first, so that all three are running when the other two arrive.
        first = [None] * 3
        threads = [threading.Thread(target=lambda i=i: first.__setitem__(
            i, self.fx("invoke", "sleepy", "--json"))) for i in range(3)]
        for t in threads:
            t.start()
        self.wait_for(lambda: self.status_of(name)["busy"] == 3, message="3 busy instances")
        # Beyond reservedConcurrency: the Invoke API throttles, and so does the gateway.
        over = self.fx("invoke", "sleepy", "--json")
        gateway = self.ok("emulator", "status", "--json").json()["gateway_url"]
        try:
            urllib.request.urlopen(gateway + "/sleepy", timeout=10)
            self.fail("the gateway answered a call beyond reservedConcurrency")
        except urllib.error.HTTPError as e:
            self.assertEqual(e.code, 429)
        for t in threads:
            t.join()
        self.assertEqual([r.code for r in first], [0, 0, 0], first)
        pids = {r.json()["result"]["pid"] for r in first}
        self.assertEqual(len(pids), 3, "each concurrent call had its own instance")
        self.assertEqual(over.code, 1, over)
        self.assertIn("TooManyRequestsException", over.err + over.out)
        fn = self.status_of(name)
        self.assertEqual(fn["throttles"], 2)
        self.assertEqual(fn["cold_starts"], 3)
        info = self.ok("info", "--json").json()["functions"][0]
        self.assertEqual(info["throttles"], 2)
        self.assertEqual(info["instances"], {"busy": 0, "idle": 3})

    def test_asynchronous_calls_wait_for_capacity_instead_of_being_throttled(self):
        name = f"{self.service_name}-dev-sleepy"
        before = self.status_of(name)["throttles"]
        for i in range(5):
            self.ok("invoke", "sleepy", "--type", "Event", "--data", json.dumps({"n": i}))
        # 5 events on 3 instances of 1.5 s: all run, in two waves, none throttled.
        self.wait_for(lambda: sum(1 for l in self.logs("sleepy") if l["message"].startswith("REPORT"))
                      >= 5, timeout=20, message="five asynchronous invocations")
        fn = self.status_of(name)
        self.assertEqual(fn["throttles"], before)
        self.assertLessEqual(fn["busy"] + fn["idle"], 3)


class DefaultConcurrencyTest(FxTestCase):
    def test_custom_fx_concurrency_limits_functions_without_reserved_concurrency(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider:
                  name: aws
                  runtime: python3.11
                custom:
                  fx:
                    concurrency: 2
                functions:
                  sleepy:
                    handler: app.sleepy
                """,
            "app.py": """
                import time
                def sleepy(event, context):
                    time.sleep(1.5)
                    return "slept"
                """,
        })
        self.ok("deploy")
        name = f"{self.service_name}-dev-sleepy"
        threads = [threading.Thread(target=self.fx, args=("invoke", "sleepy")) for _ in range(2)]
        for t in threads:
            t.start()
        self.wait_for(lambda: function_status(self.url, name, self.auth())["busy"] == 2, message="2 busy instances")
        over = self.fx("invoke", "sleepy", "--json")
        for t in threads:
            t.join()
        self.assertEqual(over.code, 1, over)
        self.assertIn("TooManyRequestsException", over.err + over.out)

    def test_a_bad_limit_is_an_error_with_its_place(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider:
                  name: aws
                  runtime: python3.11
                custom:
                  fx:
                    concurrency: 0
                functions:
                  f:
                    handler: app.f
                """,
            "app.py": "def f(event, context):\n    return 1\n",
        })
        r = self.fx("deploy")
        self.assertEqual(r.code, 1, r)
        self.assertIn("serverless.yaml:7:", r.err)
        self.assertIn("concurrency", r.err)


class ProvisionedTest(FxTestCase):
    def test_provisioned_instances_start_at_deploy_and_are_never_reaped(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider:
                  name: aws
                  runtime: python3.11
                custom:
                  fx:
                    idleTimeout: 1
                functions:
                  warm:
                    handler: app.warm
                    provisionedConcurrency: 2
                """,
            "app.py": """
                import os, time
                def warm(event, context):
                    time.sleep(event.get("sleep", 0))
                    return {"pid": os.readlink('/proc/self/ns/pid') + '/' + str(os.getpid()) + '/' + open('/proc/self/stat').read().rsplit(')', 1)[1].split()[19],
                            "init": os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"]}
                """,
        })
        self.ok("deploy")
        name = f"{self.service_name}-dev-warm"
        # As the Serverless Framework does, provisionedConcurrency is kept on the alias
        # `provisioned` of the version the deploy published; $LATEST has none of its own.
        def available():
            return provisioned_config(self.url, name, self.auth())[
                "AvailableProvisionedConcurrentExecutions"]

        def call(data=None):
            return invoke_alias(self.url, name, "provisioned", self.auth(), data or {})

        self.wait_for(lambda: available() == 2, message="two provisioned instances")
        # Past the idle timeout (1 s), they are still there.
        time.sleep(2.5)
        self.assertEqual(available(), 2)
        r = call()
        self.assertEqual(r["init"], "provisioned-concurrency")
        self.assertEqual(self.ok("invoke", "warm", "--json").json()["result"]["init"], "on-demand")
        # A third concurrent call goes to an on-demand instance of the version.
        results = parallel(3, lambda i: call({"sleep": 1}))
        kinds = sorted(x["init"] for x in results)
        self.assertEqual(kinds, ["on-demand", "provisioned-concurrency", "provisioned-concurrency"])
        # One that dies is replaced.
        victim = host_pid(r["pid"])
        os.kill(victim, signal.SIGKILL)
        self.wait_for(lambda: process_gone(victim), message="the killed instance to exit")
        self.wait_for(lambda: available() == 2, message="a replacement provisioned instance")

    def test_provisioned_above_reserved_is_an_error_with_its_place(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider:
                  name: aws
                  runtime: python3.11
                functions:
                  warm:
                    handler: app.warm
                    reservedConcurrency: 1
                    provisionedConcurrency: 2
                """,
            "app.py": "def warm(event, context):\n    return 1\n",
        })
        r = self.fx("deploy")
        self.assertEqual(r.code, 1, r)
        self.assertIn("serverless.yaml:9:", r.err)
        self.assertIn("provisionedConcurrency", r.err)
        self.assertIn("reservedConcurrency (1)", r.err)


class RedeployTest(FxTestCase):
    def test_in_flight_calls_finish_on_the_old_code_and_new_calls_get_the_new(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider:
                  name: aws
                  runtime: python3.11
                functions:
                  version:
                    handler: app.version
                """,
            "app.py": """
                import time
                def version(event, context):
                    time.sleep(event.get("sleep", 0))
                    return "old"
                """,
        })
        self.ok("deploy")
        self.ok("invoke", "version")  # a warm old instance, to be stopped by the redeploy
        out = {}
        t = threading.Thread(target=lambda: out.update(
            old=self.fx("invoke", "version", "--json", "--data", '{"sleep": 2}')))
        t.start()
        time.sleep(0.7)
        with open(os.path.join(self.service_dir, "app.py"), "w") as f:
            f.write("def version(event, context):\n    return 'new'\n")
        self.ok("deploy")
        new = self.ok("invoke", "version", "--json").json()
        t.join()
        self.assertEqual(out["old"].code, 0, out["old"])
        self.assertEqual(out["old"].json()["result"], "old")
        self.assertEqual(new["result"], "new")
        # The old instances are gone once their call is done: only new code runs.
        self.wait_for(lambda: all(self.ok("invoke", "version", "--json").json()["result"] == "new"
                                  for _ in range(3)), message="only new code")


class IsolationTest(FxTestCase):
    # The emulator's own environment must not reach any instance.
    emulator_env = {"FX_TEST_EMULATOR_ONLY": "leak", "SECRET_OF_THE_HOST": "leak"}

    def test_environments_do_not_leak_between_functions_or_from_the_emulator(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider:
                  name: aws
                  runtime: python3.11
                  environment:
                    SHARED: both
                functions:
                  a:
                    handler: app.env
                    environment:
                      ONLY_A: a
                  b:
                    handler: app.env
                    environment:
                      ONLY_B: b
                """,
            "app.py": """
                import os
                def env(event, context):
                    return dict(os.environ)
                """,
        })
        self.ok("deploy")
        a = self.ok("invoke", "a", "--json").json()["result"]
        b = self.ok("invoke", "b", "--json").json()["result"]
        self.assertEqual((a["ONLY_A"], a["SHARED"]), ("a", "both"))
        self.assertEqual((b["ONLY_B"], b["SHARED"]), ("b", "both"))
        self.assertNotIn("ONLY_B", a)
        self.assertNotIn("ONLY_A", b)
        for e in (a, b):
            self.assertNotIn("SECRET_OF_THE_HOST", e)
            self.assertNotIn("FX_TEST_EMULATOR_ONLY", e)
            self.assertNotIn("FX_HOME", e)
            self.assertNotIn("HOME", e)
        self.assertNotEqual(a["AWS_LAMBDA_FUNCTION_NAME"], b["AWS_LAMBDA_FUNCTION_NAME"])

    def test_children_of_a_handler_die_with_its_instance(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider:
                  name: aws
                  runtime: python3.11
                custom:
                  fx:
                    idleTimeout: 1
                functions:
                  spawner:
                    handler: app.spawn
                    timeout: 1
                """,
            "app.py": """
                import os, subprocess, time
                def spawn(event, context):
                    child = subprocess.Popen(["sleep", "300"])
                    start = open(f'/proc/{child.pid}/stat').read().rsplit(')', 1)[1].split()[19]
                    child_id = os.readlink('/proc/self/ns/pid') + '/' + str(child.pid) + '/' + start
                    if event.get("hang"):
                        print(f"child {child_id}", flush=True)
                        time.sleep(10)
                    return child_id
                """,
        })
        self.ok("deploy")
        # A child that outlives its invocation lives as long as the instance, then dies with it
        # when the instance is reaped (idle timeout 1 s).
        child = self.ok("invoke", "spawner", "--json").json()["result"]
        self.assertIsNotNone(host_pid(child), "the child runs while its instance is warm")
        self.wait_for(lambda: host_pid(child) is None, timeout=10,
                      message="the child to die with its reaped instance")
        # A timeout kills the instance's whole process group, the child included.
        r = self.fx("invoke", "spawner", "--json", "--data", '{"hang": true}')
        self.assertEqual(r.json()["result"]["errorType"], "Sandbox.Timedout", r)
        line = next(l["message"] for l in self.logs("spawner") if l["message"].startswith("child "))
        hung_child = line.split()[1]
        self.wait_for(lambda: host_pid(hung_child) is None, message="the child to die at the timeout")
        # The next call starts a fresh instance.
        fresh = self.ok("invoke", "spawner", "--json").json()
        self.assertIsNotNone(fresh["init_ms"], "a call after a timeout is a cold start")

    def test_an_init_error_goes_to_the_first_caller_and_the_next_call_retries_init(self):
        # Instances are sandboxed (no shared files): the first init asks a server on loopback
        # whether to fail, and only the first is told yes.
        import http.server
        asked = []

        class Once(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                asked.append(1)
                body = b"fail" if len(asked) == 1 else b"ok"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Once)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.shutdown)
        flag = f"http://127.0.0.1:{server.server_port}/"
        self.make_service({
            "serverless.yaml": f"""
                service: SERVICE
                provider:
                  name: aws
                  runtime: python3.11
                functions:
                  flaky:
                    handler: app.handler
                    environment:
                      FLAG: {flag}
                """,
            "app.py": """
                import os, urllib.request
                if urllib.request.urlopen(os.environ["FLAG"]).read() == b"fail":
                    raise RuntimeError("init fails the first time")
                def handler(event, context):
                    return "initialized"
                """,
        })
        self.ok("deploy")
        first = self.fx("invoke", "flaky", "--json")
        self.assertEqual(first.code, 1, first)
        self.assertIn("init fails the first time", first.out)
        second = self.ok("invoke", "flaky", "--json").json()
        self.assertEqual(second["result"], "initialized")
        self.assertIsNotNone(second["init_ms"], "the second call ran a fresh init")


class Kill9Test(FxTestCase):
    def test_kill_9_loses_no_function_log_line_or_usage_record(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider:
                  name: aws
                  runtime: python3.11
                functions:
                  hello:
                    handler: app.hello
                """,
            "app.py": """
                def hello(event, context):
                    print(f"line {event['n']}")
                    return event["n"]
                """,
        })
        self.ok("deploy")
        for n in range(5):
            self.ok("invoke", "hello", "--data", json.dumps({"n": n}))
        pid = self.ok("emulator", "status", "--json").json()["pid"]
        os.kill(pid, signal.SIGKILL)
        self.wait_for(lambda: process_gone(pid), message="the emulator to die")
        r = self.fx("emulator", "start", "--port", "0", "--json", cwd=self.root)
        self.assertEqual(r.code, 0, r)
        type(self).pid = r.json()["pid"]
        messages = [l["message"] for l in self.logs("hello")]
        for n in range(5):
            self.assertIn(f"line {n}", messages)
        self.assertEqual(sum(m.startswith("REPORT") for m in messages), 5)
        cost = self.ok("cost", "--json").json()
        self.assertEqual(sum(f["invocations"] for f in cost["functions"]), 5, cost)
        self.assertEqual(self.ok("invoke", "hello", "--data", '{"n": 9}', "--json").json()["result"], 9)


class RuntimeSocketTest(FxTestCase):
    """fx's shims reach the Runtime API over one end of a socket pair, fd 3, that no other process
    can reach (TCP stays for custom runtimes and AWS's runtime interface clients)."""
    start_emulator = False

    SERVICE = {
        "serverless.yaml": """
            service: SERVICE
            provider:
              name: aws
              runtime: python3.11
            functions:
              py:
                handler: app.where
              node:
                handler: app_node.where
                runtime: nodejs20.x
            """,
        "app.py": """
            import os, stat, sys
            def is_socket(fd):
                try:  # (listdir's own descriptor is gone by now)
                    return os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
                except OSError:
                    return False
            def where(event, context):
                sockets = sorted(int(fd) for fd in os.listdir("/proc/self/fd") if is_socket(fd))
                return {"fd": sys.argv[sys.argv.index("--runtime-fd") + 1] if "--runtime-fd" in sys.argv else None,
                        "sockets": sockets, "api": os.environ["AWS_LAMBDA_RUNTIME_API"]}
            """,
        "app_node.js": """
            const fs = require('fs');
            exports.where = async () => {
              const at = process.argv.indexOf('--runtime-fd');
              const sockets = fs.readdirSync('/proc/self/fd').map(Number).filter((fd) => {
                try { return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:'); }
                catch (e) { return false; }
              }).sort((a, b) => a - b);
              return { fd: at > 0 ? process.argv[at + 1] : null, sockets,
                       api: process.env.AWS_LAMBDA_RUNTIME_API };
            };
            """,
    }

    def start(self, home):
        env = dict(self.env, FX_HOME=home)
        r = self.fx("emulator", "start", "--port", "0", "--json", env=env, cwd=self.root)
        self.assertEqual(r.code, 0, r)
        self.addCleanup(self.fx, "emulator", "stop", env=env, cwd=self.root)
        return env

    def test_shims_use_their_socket_pair_and_nothing_else(self):
        # A deep FX_HOME too: a socket pair has no path to be too long.
        home = os.path.join(self.root, "d" * 60, "e" * 60, "home")
        env = self.start(home)
        self.make_service(self.SERVICE)
        self.ok("deploy", env=env)
        for fn in ("py", "node"):
            r = self.ok("invoke", fn, "--json", env=env).json()["result"]
            self.assertEqual(r["fd"], "3", r)
            # The pair is the only socket: the shim did not fall back to the TCP port.
            self.assertEqual(r["sockets"], [3], r)
            self.assertRegex(r["api"], r"^127\.0\.0\.1:\d+$")  # Lambda's variable, unchanged
        # No socket file anywhere in FX_HOME for another process to connect to.
        for dirpath, _, files in os.walk(home):
            for name in files:
                self.assertFalse(stat.S_ISSOCK(os.lstat(os.path.join(dirpath, name)).st_mode), name)


if __name__ == "__main__":
    main()
