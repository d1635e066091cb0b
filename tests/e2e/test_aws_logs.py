"""`fx logs` and `fx cost` with --target aws, end to end against moto's CloudWatch Logs on
loopback. The log lines are seeded with the real AWS CLI (`aws logs put-log-events`) as
Lambda writes them, and the expected figures are computed here from the seeded REPORT lines
and templates/pricing.json, so the test fails if fx's reading or arithmetic drifts.
"""
import json
import math
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

from fxtest import FX, FxTestCase, main

PRICING = os.path.join(os.path.dirname(__file__), "..", "..", "templates", "pricing.json")

SERVICE = {
    "serverless.yaml": """
        service: SERVICE
        provider:
          name: aws
          runtime: python3.11
          region: us-east-1
        functions:
          hello:
            handler: app.hello
            memorySize: 512
          crunch:
            handler: app.crunch
            memorySize: 1024
            architecture: arm64
          idle:
            handler: app.hello
        """,
    "app.py": """
        def hello(event, context):
            return "hi"
        def crunch(event, context):
            return 42
        """,
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def line_reader(stream):
    """A queue the stream's lines arrive in, so that a test can wait for one with a timeout."""
    lines = queue.Queue()

    def pump():
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def invocation(start_ms, duration, memory, max_used, init=None, status=None, text="working"):
    """The four events Lambda writes for one invocation, and the REPORT figures."""
    rid = str(uuid.uuid4())
    billed = math.ceil(duration + (init or 0))  # INIT is billed (on-demand, since Aug 2025)
    report = (f"REPORT RequestId: {rid}\tDuration: {duration:.2f} ms\tBilled Duration: {billed} ms"
              f"\tMemory Size: {memory} MB\tMax Memory Used: {max_used} MB")
    if init is not None:
        report += f"\tInit Duration: {init:.2f} ms"
    if status:
        report += f"\tStatus: {status}"
    end = start_ms + math.ceil(duration)
    events = [
        {"timestamp": start_ms, "message": f"START RequestId: {rid} Version: $LATEST\n"},
        {"timestamp": start_ms + 1, "message": f"{text}\n"},
        {"timestamp": end, "message": f"END RequestId: {rid}\n"},
        {"timestamp": end, "message": report + "\t\n"},
    ]
    figures = {"request_id": rid, "duration": duration, "billed": billed, "memory": memory,
               "init": init, "status": status}
    return events, figures


class AwsLogsTest(FxTestCase):
    start_emulator = False  # everything goes to "AWS"; no local emulator may start

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with open(PRICING) as f:
            cls.prices = json.load(f)
        cls.aws_cli = shutil.which("aws")
        port = free_port()
        cls.endpoint = f"http://127.0.0.1:{port}"
        cls.aws_home = os.path.join(cls.root, "aws-home")  # no real ~/.aws is ever read
        os.makedirs(cls.aws_home)
        cls.env = {k: v for k, v in cls.env.items() if not k.startswith("AWS_")}
        cls.env.update({"HOME": cls.aws_home, "AWS_ENDPOINT_URL": cls.endpoint,
                        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"})
        cls.moto_log = open(os.path.join(cls.root, "moto.log"), "w")
        cls.moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                     "-p", str(port)], env=cls.env, stdout=cls.moto_log,
                                    stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(cls.endpoint + "/moto-api/", timeout=1)
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                if time.monotonic() > deadline or cls.moto.poll() is not None:
                    raise RuntimeError(f"moto did not start; see {cls.moto_log.name}")
                time.sleep(0.1)

    @classmethod
    def tearDownClass(cls):
        cls.moto.terminate()
        cls.moto.wait()
        cls.moto_log.close()
        super().tearDownClass()

    def setUp(self):
        if not self.aws_cli:
            self.skipTest("the AWS CLI is not installed")
        self.make_service(SERVICE)
        self.now = int(time.time() * 1000)

    def name(self, key):
        return f"{self.service_name}-dev-{key}"

    def aws(self, *args):
        proc = subprocess.run([self.aws_cli, "logs", *args, "--endpoint-url", self.endpoint],
                              env=self.env, capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc.stdout

    def seed(self, key, stream, events, create=True):
        group = f"/aws/lambda/{self.name(key)}"
        if create:
            self.aws("create-log-group", "--log-group-name", group)
        existing = json.loads(self.aws("describe-log-streams", "--log-group-name", group))
        if stream not in [s["logStreamName"] for s in existing["logStreams"]]:
            self.aws("create-log-stream", "--log-group-name", group, "--log-stream-name", stream)
        path = os.path.join(self.service_dir, "events.json")
        with open(path, "w") as f:
            json.dump(events, f)
        self.aws("put-log-events", "--log-group-name", group, "--log-stream-name", stream,
                 "--log-events", f"file://{path}")

    def seed_hello(self):
        """Three invocations of hello on one instance (the first cold) and one timeout."""
        events, figures = [], []
        t = self.now - 60_000
        for args in ((12.34, 512, 61, 250.5), (3.21, 512, 62), (7.5, 512, 62),
                     (3000.0, 512, 70, None, "timeout")):
            e, f = invocation(t, *args)
            events += e
            figures.append(f)
            t += 5000
        self.seed("hello", "2026/11/27/[$LATEST]0a1b2c", events)
        return figures

    def expected_aws(self, figures, arch="x86_64"):
        gb_s = sum(f["memory"] / 1024 * f["billed"] / 1000 for f in figures)
        aws = self.prices["aws"]
        usd = len(figures) * aws["request_per_million"] / 1e6 + gb_s * aws[f"{arch}_gb_s"][0]["price"]
        return gb_s, usd

    def test_logs_print_lines_as_locally_with_the_cost_of_each_report(self):
        figures = self.seed_hello()
        r = self.ok("logs", "hello", "--target", "aws")
        lines = r.out.splitlines()
        self.assertEqual(len(lines), 16, r.out)
        self.assertRegex(lines[0], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z START RequestId: ")
        self.assertTrue(lines[1].endswith(" working"), lines[1])
        reports = [l for l in lines if " REPORT RequestId: " in l]
        self.assertEqual(len(reports), 4)
        for line, f in zip(reports, figures):
            _, usd = self.expected_aws([f])
            cost = float(line.rsplit("Cost: $", 1)[1].split()[0])
            self.assertAlmostEqual(cost, usd, delta=1e-10)
            self.assertTrue(line.endswith("(aws)"), line)

        entries = self.logs("hello", "--target", "aws")
        self.assertEqual({e["function"] for e in entries}, {self.name("hello")})
        # Every line, the function's own included, knows its invocation.
        self.assertEqual([e["request_id"] for e in entries],
                         [f["request_id"] for f in figures for _ in range(4)])
        self.assertNotIn("\n", "".join(e["message"] for e in entries))

        only = self.logs("hello", "--target", "aws", "--filter", "Status: timeout")
        self.assertEqual([e["request_id"] for e in only], [figures[3]["request_id"]])
        last = self.logs("hello", "--target", "aws", "--tail", "2")
        self.assertEqual([e["message"].split()[0] for e in last], ["END", "REPORT"])
        self.assertEqual(last[1]["request_id"], figures[3]["request_id"])
        # --since: only the last invocation (started 45 s before the seeding's "now").
        recent = self.logs("hello", "--target", "aws", "--since", iso(self.now - 47_000))
        self.assertEqual({e["request_id"] for e in recent}, {figures[3]["request_id"]})

        self.assertFalse(os.path.exists(os.path.join(self.home, "emulator.json")))

    def test_follow_prints_lines_put_after_it_started_once(self):
        figures = self.seed_hello()
        group_stream = "2026/11/27/[$LATEST]0a1b2c"
        with subprocess.Popen([FX, "logs", "hello", "-f", "--json", "--target", "aws"],
                              cwd=self.service_dir, env=self.env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) as proc:
            lines = line_reader(proc.stdout)

            def next_entry(timeout=15):
                try:
                    line = lines.get(timeout=timeout)
                except queue.Empty:
                    return None
                return json.loads(line) if line else None

            try:
                seen = [next_entry() for _ in range(16)]
                self.assertNotIn(None, seen)
                self.assertEqual(seen[0]["request_id"], figures[0]["request_id"])
                # One at the newest timestamp already seen (startTime is inclusive: that must
                # not bring back what was printed), and one later.
                last_ts = self.now - 60_000 + 3 * 5000 + 3000
                self.seed("hello", group_stream, [
                    {"timestamp": last_ts, "message": "same millisecond\n"},
                    {"timestamp": last_ts + 500, "message": "later\n"},
                ], create=False)
                more = [next_entry(), next_entry()]
                self.assertNotIn(None, more)
                self.assertEqual([m["message"] for m in more], ["same millisecond", "later"])
                # Neither belongs to an invocation: the REPORT closed the last one.
                self.assertEqual([m["request_id"] for m in more], ["", ""])
                # Nothing comes twice in the next polls.
                self.assertIsNone(next_entry(timeout=2.5))
                self.assertIsNone(proc.poll())
            finally:
                proc.kill()
                proc.wait()

    def test_cost_is_computed_from_the_report_lines(self):
        hello = self.seed_hello()
        crunch_events, crunch = [], []
        t = self.now - 30_000
        for args in ((101.7, 1024, 300, 420.0), (88.2, 1024, 310), (95.01, 1024, 305)):
            e, f = invocation(t, *args)
            crunch_events += e
            crunch.append(f)
            t += 1000
        # Two instances, each its own stream.
        self.seed("crunch", "2026/11/27/[$LATEST]aaaa", crunch_events[:8])
        self.seed("crunch", "2026/11/27/[$LATEST]bbbb", crunch_events[8:], create=False)

        out = self.ok("cost", "--target", "aws", "--json").json()
        by_name = {f["function"]: f for f in out["functions"]}
        self.assertEqual(set(by_name), {self.name(k) for k in ("hello", "crunch", "idle")})
        for key, figures, arch in (("hello", hello, "x86_64"), ("crunch", crunch, "arm64")):
            f = by_name[self.name(key)]
            gb_s, usd = self.expected_aws(figures, arch)
            self.assertEqual(f["invocations"], len(figures), key)
            self.assertEqual(f["cold_starts"], sum(1 for x in figures if x["init"] is not None))
            self.assertEqual(f["billed_ms"], sum(x["billed"] for x in figures))
            self.assertAlmostEqual(f["gb_s"], gb_s, places=5)
            self.assertAlmostEqual(f["cost"]["aws"], usd, delta=1e-9)
            self.assertEqual(f["architecture"], arch)
            durations = sorted(x["duration"] for x in figures)
            self.assertAlmostEqual(f["p50_ms"], durations[math.ceil(0.5 * len(durations)) - 1],
                                   places=2)
            self.assertAlmostEqual(f["p99_ms"], durations[-1], places=2)
        self.assertEqual(by_name[self.name("hello")]["timeouts"], 1)
        self.assertEqual(by_name[self.name("idle")]["invocations"], 0)
        self.assertTrue(any("no CloudWatch log group" in n and self.name("idle") in n
                            for n in out["notes"]), out["notes"])
        self.assertEqual(out["total"]["invocations"], 7)

        # One function, and --since, the same way as locally.
        one = self.ok("cost", "crunch", "--target", "aws", "--json").json()
        self.assertEqual([f["function"] for f in one["functions"]], [self.name("crunch")])
        recent = self.ok("cost", "hello", "--target", "aws", "--since", iso(self.now - 47_000),
                         "--json").json()
        self.assertEqual(recent["functions"][0]["invocations"], 1)

        # The table has the same rows.
        text = self.ok("cost", "--target", "aws", "--provider", "aws").out
        self.assertIn(self.name("crunch"), text)
        self.assertIn("per million invocations", text)

    def test_a_function_without_a_log_group_is_a_clear_error(self):
        r = self.fx("logs", "idle", "--target", "aws")
        self.assertEqual(r.code, 1, r)
        errors = [l for l in r.err.splitlines() if l.startswith("fx: error:")]
        self.assertEqual(len(errors), 1, r)
        self.assertIn(f"/aws/lambda/{self.name('idle')} does not exist", errors[0])
        self.assertIn("not run yet, or is not deployed", r.err)
        r = self.fx("logs", "idle", "-f", "--target", "aws", timeout=30)
        self.assertEqual(r.code, 1, r)


if __name__ == "__main__":
    main()
