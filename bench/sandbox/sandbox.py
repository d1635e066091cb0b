"""fx benchmark for issue 14: what the sandbox costs a cold start.

Two emulators side by side on loopback, one with the sandbox (user, PID, mount and IPC
namespaces and a root file system built per instance) and one without (FX_SANDBOX=off, the
instance a plain child process), the same Python and Node functions deployed to both. Rounds
alternate between them so that both see the same machine load: each cold start is a
configuration update (which retires the instance) followed by the first call, timed at the
client, with its Init Duration from the REPORT line (X-Amz-Log-Type: Tail). Medians, and the
difference, which is the sandbox's cost.

Standard library only; results in bench/results/sandbox-<UTC time>/.
"""
import argparse
import base64
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import log, machine_info  # noqa: E402

MANIFEST = """\
service: sbx
provider:
  name: aws
  runtime: python3.11
functions:
  py:
    handler: app.handler
  node:
    handler: app_node.handler
    runtime: nodejs20.x
"""
APP = "def handler(event, context):\n    return {'ok': True}\n"
APP_NODE = "exports.handler = async () => ({ ok: true });\n"


class Emulator:
    def __init__(self, fx, work, name, sandbox):
        self.fx, self.name = fx, name
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("FX_")}
        self.env.update(FX_HOME=str(work / f"home-{name}"), NO_COLOR="1")
        if not sandbox:
            self.env["FX_SANDBOX"] = "off"
        out = subprocess.run([fx, "emulator", "start", "--port", "0", "--json"], env=self.env,
                             capture_output=True, text=True, check=True).stdout
        info = json.loads(out)
        self.host = info["url"].split("//", 1)[1]
        token = (work / f"home-{name}" / "token").read_text().strip()
        self.auth = {"Authorization": f"Bearer {token}"}
        svc = work / f"svc-{name}"
        svc.mkdir()
        (svc / "serverless.yaml").write_text(MANIFEST)
        (svc / "app.py").write_text(APP)
        (svc / "app_node.js").write_text(APP_NODE)
        subprocess.run([fx, "deploy"], cwd=svc, env=self.env, check=True, capture_output=True)
        status = json.loads(subprocess.run([fx, "emulator", "status", "--json"], env=self.env,
                                           capture_output=True, text=True).stdout)
        self.sandbox = status.get("sandbox")
        self.conn = http.client.HTTPConnection(self.host, timeout=60)

    def call(self, method, path, body, headers=None):
        self.conn.request(method, path, body=body, headers={**self.auth, **(headers or {})})
        r = self.conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()

    def cold_start(self, fn, i):
        name = f"sbx-dev-{fn}"
        body = json.dumps({"Environment": {"Variables": {"ROUND": str(i)}}})
        status, _, out = self.call("PUT", f"/2015-03-31/functions/{name}/configuration", body)
        assert status == 200, out
        time.sleep(0.15)  # the retired instance is gone, the machine quiet again
        t0 = time.perf_counter()
        status, headers, out = self.call("POST", f"/2015-03-31/functions/{name}/invocations", b"{}",
                                         {"X-Amz-Log-Type": "Tail"})
        latency = (time.perf_counter() - t0) * 1000
        assert status == 200 and "x-amz-function-error" not in headers, out
        tail = base64.b64decode(headers["x-amz-log-result"]).decode()
        init = re.search(r"Init Duration: ([\d.]+) ms", tail)
        return latency, float(init.group(1)) if init else None

    def stop(self):
        self.conn.close()
        subprocess.run([self.fx, "emulator", "stop"], env=self.env, capture_output=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fx", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args()
    out = Path(args.out)
    work = Path(tempfile.mkdtemp(prefix="fxbench-sandbox-"))
    emulators = []
    try:
        on = Emulator(args.fx, work, "sandbox", True)
        emulators.append(on)
        off = Emulator(args.fx, work, "plain", False)
        emulators.append(off)
        log(f"sandbox: '{on.sandbox}' against '{off.sandbox}', {args.rounds} rounds")
        results = {}
        for fn in ("py", "node"):
            rows = {"sandbox": [], "plain": []}
            for i in range(args.rounds + 2):
                pair = [("sandbox", on), ("plain", off)]
                if i % 2:
                    pair.reverse()
                for label, emu in pair:
                    latency, init = emu.cold_start(fn, i)
                    if i >= 2:  # two rounds of warm-up: page cache, interpreter files
                        rows[label].append({"latency_ms": latency, "init_ms": init})
            summary = {}
            for label, r in rows.items():
                summary[label] = {
                    "median_first_call_ms": round(statistics.median(x["latency_ms"] for x in r), 2),
                    "median_init_ms": round(statistics.median(x["init_ms"] for x in r if x["init_ms"]), 2),
                }
            summary["sandbox_cost_first_call_ms"] = round(
                summary["sandbox"]["median_first_call_ms"] - summary["plain"]["median_first_call_ms"], 2)
            summary["sandbox_cost_init_ms"] = round(
                summary["sandbox"]["median_init_ms"] - summary["plain"]["median_init_ms"], 2)
            results[fn] = {"summary": summary, "rows": rows}
            log(f"  {fn:5} first call: sandbox {summary['sandbox']['median_first_call_ms']} ms, "
                f"plain {summary['plain']['median_first_call_ms']} ms "
                f"(+{summary['sandbox_cost_first_call_ms']} ms); Init Duration: sandbox "
                f"{summary['sandbox']['median_init_ms']} ms, plain {summary['plain']['median_init_ms']} ms "
                f"(+{summary['sandbox_cost_init_ms']} ms)")
        out.mkdir(parents=True, exist_ok=True)
        (out / "sandbox.json").write_text(json.dumps(
            {"machine": machine_info(), "rounds": args.rounds, "sandbox": on.sandbox,
             "results": results}, indent=2))
        log(f"  results in {out}")
    finally:
        for e in emulators:
            e.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
