"""fx benchmark for issue 16: what loading the runtime's SDK costs a cold start.

Two emulators side by side on loopback, one per build (`--old`, e.g. main's, and `--new`),
the same functions deployed to both:
- `py`: imports boto3 and makes an SQS client at init (before issue 16, the host's boto3 from
  its site-packages; after, fx's copy in FX_HOME/sdk, with `site` off);
- `pybare`: a Python function that imports nothing (the baseline);
- `node`: requires @aws-sdk/client-dynamodb and makes a client at init (before issue 16 fx
  provided no SDK: the require fails and the function says so);
- `nodebare`: a Node function that requires nothing.
Each round, in alternating order, retires each emulator's instance (a configuration update)
and times the first call at the client, with the REPORT line's Init Duration. Medians.

Standard library only; results in bench/results/sdk-<UTC time>/.
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
service: sdk
provider:
  name: aws
  runtime: python3.11
functions:
  py:
    handler: app.handler
  pybare:
    handler: bare.handler
  node:
    handler: app_node.handler
    runtime: nodejs20.x
  nodebare:
    handler: bare_node.handler
    runtime: nodejs20.x
"""
APP = """\
import boto3
client = boto3.client("sqs")
def handler(event, context):
    return {"ok": True, "boto3": boto3.__version__}
"""
BARE = "def handler(event, context):\n    return {'ok': True}\n"
APP_NODE = """\
let client, problem;
try {
  const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
  client = new DynamoDBClient({});
} catch (e) {
  problem = e.code || String(e);
}
exports.handler = async () => ({ ok: true, sdk: !!client, problem });
"""
BARE_NODE = "exports.handler = async () => ({ ok: true });\n"
FUNCTIONS = ("py", "pybare", "node", "nodebare")


class Emulator:
    def __init__(self, fx, work, name):
        self.fx, self.name = fx, name
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("FX_")}
        self.env.update(FX_HOME=str(work / f"home-{name}"), NO_COLOR="1")
        out = subprocess.run([fx, "emulator", "start", "--port", "0", "--json"], env=self.env,
                             capture_output=True, text=True, check=True).stdout
        self.host = json.loads(out)["url"].split("//", 1)[1]
        token = (work / f"home-{name}" / "token").read_text().strip()
        self.auth = {"Authorization": f"Bearer {token}"}
        svc = work / f"svc-{name}"
        svc.mkdir()
        for file, text in {"serverless.yaml": MANIFEST, "app.py": APP, "bare.py": BARE,
                           "app_node.js": APP_NODE, "bare_node.js": BARE_NODE}.items():
            (svc / file).write_text(text)
        subprocess.run([fx, "deploy"], cwd=svc, env=self.env, check=True, capture_output=True)
        self.conn = http.client.HTTPConnection(self.host, timeout=600)
        self.answers = {}

    def call(self, method, path, body, headers=None):
        self.conn.request(method, path, body=body, headers={**self.auth, **(headers or {})})
        r = self.conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()

    def cold_start(self, fn, i):
        name = f"sdk-dev-{fn}"
        body = json.dumps({"Environment": {"Variables": {"ROUND": str(i)}}})
        status, _, out = self.call("PUT", f"/2015-03-31/functions/{name}/configuration", body)
        assert status == 200, out
        time.sleep(0.15)  # the retired instance is gone, the machine quiet again
        t0 = time.perf_counter()
        status, headers, out = self.call("POST", f"/2015-03-31/functions/{name}/invocations", b"{}",
                                         {"X-Amz-Log-Type": "Tail"})
        latency = (time.perf_counter() - t0) * 1000
        assert status == 200, out
        self.answers[fn] = out.decode(errors="replace")
        tail = base64.b64decode(headers["x-amz-log-result"]).decode(errors="replace")
        init = re.search(r"Init Duration: ([\d.]+) ms", tail)
        return latency, float(init.group(1)) if init else None

    def stop(self):
        self.conn.close()
        subprocess.run([self.fx, "emulator", "stop"], env=self.env, capture_output=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", required=True)
    ap.add_argument("--new", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    out = Path(args.out)
    work = Path(tempfile.mkdtemp(prefix="fxbench-sdk-"))
    emulators = []
    try:
        for label, fx in (("old", args.old), ("new", args.new)):
            emulators.append((label, Emulator(fx, work, label)))
        log(f"sdk: {args.old} against {args.new}, {args.rounds} rounds")
        results = {}
        for fn in FUNCTIONS:
            rows = {"old": [], "new": []}
            # Two rounds of warm-up: page cache, interpreter files, the SDK's first install.
            for i in range(args.rounds + 2):
                pair = emulators if i % 2 == 0 else list(reversed(emulators))
                for label, emu in pair:
                    latency, init = emu.cold_start(fn, i)
                    if i >= 2:
                        rows[label].append({"latency_ms": latency, "init_ms": init})
            summary = {}
            for label, r in rows.items():
                inits = [x["init_ms"] for x in r if x["init_ms"]]
                summary[label] = {
                    "median_first_call_ms": round(statistics.median(x["latency_ms"] for x in r), 2),
                    "median_init_ms": round(statistics.median(inits), 2) if inits else None,
                    "answer": dict(emulators)[label].answers.get(fn),
                }
            results[fn] = {"summary": summary, "rows": rows}
            log(f"  {fn:8} first call: old {summary['old']['median_first_call_ms']} ms, new "
                f"{summary['new']['median_first_call_ms']} ms; Init Duration: old "
                f"{summary['old']['median_init_ms']} ms, new {summary['new']['median_init_ms']} ms")
            log(f"           answers: old {summary['old']['answer']}, new {summary['new']['answer']}")
        out.mkdir(parents=True, exist_ok=True)
        (out / "sdk.json").write_text(json.dumps(
            {"machine": machine_info(), "rounds": args.rounds, "old": args.old, "new": args.new,
             "results": results}, indent=2))
        log(f"  results in {out}")
    finally:
        for _, e in emulators:
            e.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
