"""fx benchmark for issue 17: what a qualifier costs a warm invocation.

One emulator on loopback, one Python function with two published versions, and three ways to
call it, interleaved round by round so that the machine's drift hits each the same:
- `unqualified`: the function's name ($LATEST);
- `alias`: an alias `live` on version 1 (`?Qualifier=live`: resolve the alias, run version 1);
- `weighted`: an alias `split` on version 1 with version 2 at weight 0.5 (a draw per call).
Each call is one keep-alive HTTP request, the same that boto3 sends (any SigV4 signature is
accepted by the local emulator), timed at the client. Medians and p90 per way.

Standard library only; results in bench/results/versions-<UTC time>/.
"""
import argparse
import base64
import http.client
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import log, machine_info  # noqa: E402

SIGNED = {"Authorization": "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/lambda/"
                           "aws4_request, SignedHeaders=host, Signature=00"}
CODE = "def handler(event, context):\n    return {'ok': True}\n"


def zipped(text):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", text)
    return base64.b64encode(buf.getvalue()).decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fx", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rounds", type=int, default=2000)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fx-bench-versions-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FX_")}
    env.update(FX_HOME=str(work / "home"), NO_COLOR="1")
    started = json.loads(subprocess.run([args.fx, "emulator", "start", "--port", "0", "--json"],
                                        env=env, capture_output=True, text=True, check=True).stdout)
    host = started["url"].split("//", 1)[1]
    conn = http.client.HTTPConnection(host, timeout=60)

    def call(method, path, body=None, expect=(200, 201, 202, 204)):
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=SIGNED)
        r = conn.getresponse()
        data = r.read()
        if r.status not in expect:
            raise RuntimeError(f"{method} {path}: {r.status} {data[:300]!r}")
        return r, data

    try:
        fn = "/2015-03-31/functions"
        call("POST", fn, {"FunctionName": "b", "Runtime": "python3.11", "Handler": "app.handler",
                          "Code": {"ZipFile": zipped(CODE)}})
        call("POST", f"{fn}/b/versions", {})
        call("PUT", f"{fn}/b/configuration", {"Timeout": 4})
        call("POST", f"{fn}/b/versions", {})
        call("POST", f"{fn}/b/aliases", {"Name": "live", "FunctionVersion": "1"})
        call("POST", f"{fn}/b/aliases", {"Name": "split", "FunctionVersion": "1",
                                         "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.5}}})
        ways = {"unqualified": f"{fn}/b/invocations", "alias": f"{fn}/b/invocations?Qualifier=live",
                "weighted": f"{fn}/b/invocations?Qualifier=split"}
        times = {w: [] for w in ways}
        seen = {w: set() for w in ways}
        for path in ways.values():  # warm every version's instance first
            for _ in range(20):
                call("POST", path, {})
        for i in range(args.rounds):
            order = list(ways.items())
            if i % 2:
                order.reverse()
            for way, path in order:
                t0 = time.perf_counter()
                r, _ = call("POST", path, {})
                times[way].append((time.perf_counter() - t0) * 1000)
                seen[way].add(r.getheader("X-Amz-Executed-Version"))
        base = statistics.median(times["unqualified"])
        result = {"machine": machine_info(), "rounds": args.rounds, "ways": {}}
        for way, t in times.items():
            t.sort()
            med = statistics.median(t)
            result["ways"][way] = {"median_ms": round(med, 3), "p90_ms": round(t[int(len(t) * 0.9)], 3),
                                   "ratio_to_unqualified": round(med / base, 3),
                                   "executed_versions": sorted(seen[way])}
            log(f"{way:12} median {med:.3f} ms  p90 {t[int(len(t) * 0.9)]:.3f} ms  "
                f"x{med / base:.3f}  versions {sorted(seen[way])}")
        Path(args.out).mkdir(parents=True, exist_ok=True)
        (Path(args.out) / "versions.json").write_text(json.dumps(result, indent=2))
    finally:
        subprocess.run([args.fx, "emulator", "stop"], env=env, capture_output=True)


if __name__ == "__main__":
    main()
