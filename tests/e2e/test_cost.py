"""Usage metering and cost through the real fx binary: `fx cost` and cost in `fx logs`.

The expected figures are computed here, independently, from the REPORT lines `fx logs`
prints and from templates/pricing.json, so the test fails if either the metering or the
arithmetic in fx drifts from what the log says was billed.
"""
import json
import math
import os
import re
import subprocess
import time

from fxtest import FX, FxTestCase, main

PRICING = os.path.join(os.path.dirname(__file__), "..", "..", "templates", "pricing.json")

SERVICE = {
    "serverless.yaml": """
        service: SERVICE
        provider:
          name: aws
          runtime: python3.11
          memorySize: 1024
        functions:
          sleepy:
            handler: app.sleepy
          busy:
            handler: app.busy
            memorySize: 512
            architecture: arm64
          idle:
            handler: app.sleepy
          boom:
            handler: app.boom
        """,
    "app.py": """
        import time
        def sleepy(event, context):
            time.sleep(0.05)
            return "slept"
        def busy(event, context):
            # CPU-bound on purpose: Cloudflare bills CPU time, so it must be measured.
            deadline = time.process_time() + 0.03
            n = 0
            while time.process_time() < deadline:
                n += 1
            return n
        def boom(event, context):
            raise RuntimeError("no")
        """,
}


def report_lines(entries):
    out = []
    for e in entries:
        m = e["message"]
        if not m.startswith("REPORT "):
            continue
        fields = dict(re.findall(r"([A-Za-z ]+): ([0-9.]+)", m))
        out.append({k.strip(): float(v) for k, v in fields.items()} | {"raw": e})
    return out


class CostTest(FxTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with open(PRICING) as f:
            cls.prices = json.load(f)

    def setUp(self):
        # A service of its own per test: records and concurrency settings do not carry over.
        self.make_service(SERVICE)
        self.ok("deploy")
        self.prefix = self.ok("info", "--json").json()["functions"][0]["name"].rsplit("-", 1)[0]

    def aws_cost(self, reports, arch="x86_64"):
        tier = self.prices["aws"][f"{arch}_gb_s"][0]["price"]
        gb_s = sum(r["Memory Size"] / 1024 * r["Billed Duration"] / 1000 for r in reports)
        return len(reports) * self.prices["aws"]["request_per_million"] / 1e6 + gb_s * tier, gb_s

    def test_invocations_gb_s_and_dollars_match_the_report_lines(self):
        n = 6
        for _ in range(n):
            self.ok("invoke", "sleepy")
        reports = report_lines(self.logs("sleepy"))
        self.assertEqual(len(reports), n)
        # The function sleeps 50 ms: every Duration is at least that, and the first is cold.
        self.assertTrue(all(r["Duration"] >= 50 for r in reports), reports)
        self.assertIn("Init Duration", reports[0]["raw"]["message"])
        # Billed Duration holds Init on the cold start (Lambda bills INIT since Aug 2025).
        first = reports[0]
        self.assertEqual(first["Billed Duration"], math.ceil(first["Duration"] + first["Init Duration"]))

        out = self.ok("cost", "sleepy", "--json").json()
        [f] = out["functions"]
        expected_usd, expected_gb_s = self.aws_cost(reports)
        self.assertEqual(f["invocations"], n)
        self.assertEqual(f["cold_starts"], 1)
        self.assertEqual(f["errors"], 0)
        self.assertEqual(f["billed_ms"], sum(int(r["Billed Duration"]) for r in reports))
        self.assertAlmostEqual(f["gb_s"], expected_gb_s, places=5)
        self.assertAlmostEqual(f["cost"]["aws"], expected_usd, delta=1e-9)
        self.assertEqual(out["pricing_date"], self.prices["date"])
        durations = sorted(r["Duration"] for r in reports)
        self.assertAlmostEqual(f["p50_ms"], durations[math.ceil(0.5 * n) - 1], delta=0.01)
        self.assertAlmostEqual(f["p99_ms"], durations[-1], delta=0.01)
        for provider in ("aws", "azure", "gcp", "cloudflare"):
            self.assertGreater(f["cost"][provider], 0, provider)
        # Azure: observed memory rounded up to 128 MB, each call at least 100 ms.
        azure = self.prices["azure"]
        az_gb_s = sum(math.ceil(r["Max Memory Used"] / 128) * 128 / 1024
                      * max(100, math.ceil(r["Duration"])) / 1000 for r in reports)
        self.assertAlmostEqual(f["cost"]["azure"],
                               n * azure["execution_per_million"] / 1e6 + az_gb_s * azure["gb_s"], delta=1e-9)
        # GCP: 100 ms steps at 1024 MB (0.583 vCPU, 1 GiB).
        gcp = self.prices["gcp"]
        steps = sum(math.ceil(r["Duration"] / 100) * 100 / 1000 for r in reports)
        self.assertAlmostEqual(f["cost"]["gcp"], n * gcp["request_per_million"] / 1e6
                               + steps * 0.583 * gcp["vcpu_s"] + steps * 1.0 * gcp["gib_s"], delta=1e-9)

        # The same figure on each REPORT line of `fx logs`.
        for r in reports:
            line_usd, _ = self.aws_cost([r])
            self.assertAlmostEqual(r["raw"]["cost_usd"], line_usd, delta=1e-12)
        text = self.ok("logs", "sleepy").out
        self.assertEqual(len(re.findall(r"REPORT .*\tCost: \$0\.0+\d+ \(aws\)", text)), n, text)

    def test_arm64_and_cpu_time(self):
        for _ in range(3):
            self.ok("invoke", "busy")
        reports = report_lines(self.logs("busy"))
        out = self.ok("cost", "busy", "--json").json()
        [f] = out["functions"]
        self.assertEqual(f["architecture"], "arm64")
        expected, _ = self.aws_cost(reports, "arm64")
        self.assertAlmostEqual(f["cost"]["aws"], expected, delta=1e-9)
        # ~30 ms of CPU per call, measured by the OS (not 10 ms ticks).
        self.assertGreater(f["cpu_ms"], 3 * 25, f)
        cf = self.prices["cloudflare"]
        self.assertAlmostEqual(f["cost"]["cloudflare"], 3 * cf["request_per_million"] / 1e6
                               + f["cpu_ms"] * cf["cpu_ms_per_million"] / 1e6, delta=1e-9)
        self.assertIn("$", self.ok("logs", "busy", "--provider", "cloudflare").out)
        # Each REPORT line is priced with its own record's CPU time (the line does not say it):
        # more than the request alone costs.
        lines = [json.loads(x) for x in
                 self.ok("logs", "busy", "--provider", "cloudflare", "--json").out.splitlines()]
        priced = [x["cost_usd"] for x in lines if x["message"].startswith("REPORT ")]
        self.assertEqual(len(priced), 3, lines)
        for usd in priced:
            self.assertGreater(usd, cf["request_per_million"] / 1e6 + 20 * cf["cpu_ms_per_million"] / 1e6)

    def test_no_invocations_free_tier_monthly_and_suggestion(self):
        out = self.ok("cost", "--json").json()
        idle = next(f for f in out["functions"] if f["function"].endswith("-idle"))
        self.assertEqual((idle["invocations"], idle["gb_s"], idle["cost"]["aws"]), (0, 0, 0))
        table = self.ok("cost").out
        self.assertIn(f"{self.prefix}-idle", table)

        for _ in range(4):
            self.ok("invoke", "sleepy")
        free = self.ok("cost", "sleepy", "--free-tier", "--json").json()
        self.assertEqual(free["functions"][0]["cost"]["aws"], 0)

        monthly = self.ok("cost", "sleepy", "--monthly", "2000000", "--json").json()
        measured = self.ok("cost", "sleepy", "--json").json()
        m, f = monthly["functions"][0], measured["functions"][0]
        self.assertEqual(m["invocations"], 2_000_000)
        self.assertAlmostEqual(m["gb_s"], f["gb_s"] * 2_000_000 / 4, delta=1e-3 * m["gb_s"])
        # (the measured figure is printed to 1e-10 dollars: scaled by 500,000 that is 5e-5)
        self.assertAlmostEqual(m["cost"]["aws"], f["cost"]["aws"] * 2_000_000 / 4, delta=1e-4)
        # With the free tier, a month of 2M calls pays for 1M requests and GB-s beyond 400,000.
        monthly_free = self.ok("cost", "sleepy", "--monthly", "2000000", "--free-tier", "--json").json()
        tier = self.prices["aws"]["x86_64_gb_s"][0]["price"]
        self.assertAlmostEqual(monthly_free["functions"][0]["cost"]["aws"],
                               1e6 * 0.2 / 1e6 + max(0, m["gb_s"] - 400000) * tier, delta=1e-4)

        suggest = self.ok("cost", "sleepy", "--suggest", "--json").json()
        s = suggest["functions"][0]["suggestion"]
        # 50 ms of sleeping at 1024 MB: the smallest size that fits is the cheapest.
        self.assertEqual(s["memory_mb"], 1024)
        self.assertEqual(s["suggested_mb"], 128)
        self.assertLess(s["suggested_usd_per_million"], s["usd_per_million"])
        self.assertIn("CPU", s["reason"])
        text = self.ok("cost", "sleepy", "--suggest").out
        self.assertIn("1024 MB → 128 MB", text)

    def test_errors_and_throttles_are_counted(self):
        self.ok("invoke", "sleepy")
        r = self.fx("invoke", "boom")
        self.assertNotEqual(r.code, 0)
        [f] = self.ok("cost", "boom", "--json").json()["functions"]
        self.assertEqual((f["invocations"], f["errors"]), (1, 1))
        # reservedConcurrency 0 throttles every call: not billed, but counted.
        import urllib.request
        name = f"{self.prefix}-sleepy"
        req = urllib.request.Request(f"{self.url}/2017-10-31/functions/{name}/concurrency", method="PUT",
                                     data=json.dumps({"ReservedConcurrentExecutions": 0}).encode(),
                                     headers=self.auth())
        urllib.request.urlopen(req).read()
        self.assertNotEqual(self.fx("invoke", "sleepy").code, 0)
        [f] = self.ok("cost", "sleepy", "--json").json()["functions"]
        self.assertEqual((f["invocations"], f["throttles"]), (1, 1))
        self.assertIn("throttled (not billed)", self.ok("cost", "sleepy").out)

    def test_logs_follow_keeps_a_running_total(self):
        proc = subprocess.Popen([FX, "logs", "sleepy", "-f", "--cost"], cwd=self.service_dir,
                                env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(0.5)
            self.ok("invoke", "sleepy")
            self.ok("invoke", "sleepy")
            lines = []
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                line = proc.stdout.readline()
                lines.append(line)
                if "session total: 2 invocations" in line:
                    break
            self.assertIn("session total: 2 invocations", lines[-1], lines)
            reports = report_lines(self.logs("sleepy"))
            usd, _ = self.aws_cost(reports)
            shown = float(re.search(r"\$([0-9.]+)", lines[-1]).group(1))
            self.assertAlmostEqual(shown, usd, delta=1e-10)
        finally:
            proc.kill()
            proc.wait()


class CostBadInputTest(FxTestCase):
    def setUp(self):
        self.make_service(SERVICE)

    def test_pricing_file_errors_name_the_field(self):
        with open(PRICING) as f:
            table = json.load(f)
        table["aws"]["x86_64_gb_s"][1]["price"] = -1
        path = os.path.join(self.service_dir, "prices.json")
        with open(path, "w") as f:
            json.dump(table, f)
        r = self.fx("cost", "--pricing", path)
        self.assertEqual(r.code, 1, r)
        self.assertIn("aws.x86_64_gb_s[1].price", r.err)
        self.assertIn("negative", r.err)
        self.assertEqual(r.err.count("fx: error:"), 1, r)
        del table["azure"]["gb_s"]
        table["aws"]["x86_64_gb_s"][1]["price"] = 0.000015
        with open(path, "w") as f:
            json.dump(table, f)
        r = self.fx("cost", "--pricing", path)
        self.assertIn("azure.gb_s is missing", r.err)
        # The same file named in the manifest.
        with open(os.path.join(self.service_dir, "serverless.yaml"), "a") as f:
            f.write("custom:\n  fx:\n    pricing: prices.json\n")
        r = self.fx("cost")
        self.assertEqual(r.code, 1, r)
        self.assertIn("azure.gb_s is missing", r.err)

    def test_bad_since_says_which_forms_work(self):
        r = self.fx("cost", "--since", "last tuesday")
        self.assertEqual(r.code, 2, r)  # a flag's value: a usage error
        self.assertIn("fx: error: --since", r.err)
        self.assertIn("10m", r.err)
        self.assertIn("ISO 8601", r.err)

    def test_override_prices_are_used(self):
        self.ok("deploy")
        self.ok("invoke", "sleepy")
        with open(PRICING) as f:
            table = json.load(f)
        table["aws"]["request_per_million"] = 1_000_000  # a dollar a request
        for tier in table["aws"]["x86_64_gb_s"]:
            tier["price"] = 0
        table["date"] = "2030-01-01"
        path = os.path.join(self.service_dir, "prices.json")
        with open(path, "w") as f:
            json.dump(table, f)
        out = self.ok("cost", "sleepy", "--pricing", path, "--json").json()
        self.assertEqual(out["functions"][0]["cost"]["aws"], 1.0)
        self.assertEqual(out["pricing_date"], "2030-01-01")


if __name__ == "__main__":
    main()
