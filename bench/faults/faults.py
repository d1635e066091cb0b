"""fx benchmark for issue 13: the emulator under faults.

C clients send N synchronous invocations through the Invoke API to one Python function; a
tenth of them crash the instance (os._exit), time out, run out of memory or raise. Beside
them, one client sends malformed API requests (bodies that are not JSON, wrong types, names
that are not UTF-8, payloads over the limit) the whole time, and at 40 % of the calls the
emulator is killed with SIGKILL and started again on the same port.

Counted: every call answered (an HTTP answer with a request id: acknowledged), answered as its
fault should be (Runtime.ExitError, Sandbox.Timedout, Runtime.OutOfMemory, Unhandled),
logged (its REPORT line is in the store) and metered (its usage record is); lost = answered
but not logged or not metered, which must be 0. Malformed requests: answered 4xx, 5xx (a bug),
or not answered (only while the emulator is down).

Standard library only; results in bench/results/faults-<UTC time>/.
"""
import argparse
import http.client
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import log, machine_info  # noqa: E402

MANIFEST = """\
service: faultbench
provider:
  name: aws
  runtime: python3.11
functions:
  work:
    handler: app.work
    timeout: 3
    memorySize: 128
"""
APP = """\
import os
import time

def work(event, context):
    mode = event.get("mode")
    print("mode", mode, event.get("i"), flush=True)
    if mode == "crash":
        os._exit(3)
    if mode == "timeout":
        time.sleep(10)
    if mode == "oom":
        hog = b"x" * (300 * 1024 * 1024)
        time.sleep(1)
    if mode == "raise":
        raise ValueError("boom")
    return {"i": event.get("i")}
"""
FUNCTION = "faultbench-dev-work"
# What each fault looks like to the caller: X-Amz-Function-Error and the errorType.
EXPECTED = {
    "ok": (None, None),
    "crash": ("Unhandled", "Runtime.ExitError"),
    "timeout": ("Unhandled", "Sandbox.Timedout"),
    "oom": ("Unhandled", "Runtime.OutOfMemory"),
    "raise": ("Unhandled", "ValueError"),
}
BAD_REQUESTS = [
    ("POST", "/2015-03-31/functions", b"x", {}),
    ("POST", "/2015-03-31/functions", b'{"FunctionName":"f","MemorySize":64}', {}),
    ("PUT", f"/2015-03-31/functions/{FUNCTION}/configuration", b'{"Timeout":"abc"}', {}),
    ("POST", "/2015-03-31/functions/%ff/invocations", b"{}", {}),
    ("POST", f"/2015-03-31/functions/{FUNCTION}/invocations", b"not json", {}),
    ("POST", f"/2015-03-31/functions/{FUNCTION}/invocations", b"{}",
     {"X-Amz-Invocation-Type": "Bogus"}),
    ("GET", "/_fx/v1/logs?since=abc", b"", {}),
    ("PUT", "/_fx/v1/services/x", b'{"schedules":[1]}', {}),
    ("POST", "/2018-10-31/layers/x/versions", b'{"Content":{"ZipFile":"!!"}}', {}),
    ("POST", f"/2015-03-31/functions/{FUNCTION}/invocations", b'"' + b"x" * 7_000_000 + b'"', {}),
]


def fx(fx_bin, env, *args, check=True):
    p = subprocess.run([fx_bin, *args], env=env, capture_output=True, text=True, timeout=120)
    if check and p.returncode != 0:
        raise RuntimeError(f"fx {' '.join(args)} failed:\n{p.stdout}\n{p.stderr}")
    return p


class Emulator:
    def __init__(self, fx_bin, env):
        self.fx_bin, self.env = fx_bin, env
        r = json.loads(fx(fx_bin, env, "emulator", "start", "--port", "0", "--json").stdout)
        self.url, self.pid = r["url"], r["pid"]
        self.port = int(self.url.rsplit(":", 1)[1])
        self.generation = 0

    def kill_and_restart(self):
        os.kill(self.pid, 9)
        started = time.monotonic()
        while fx(self.fx_bin, self.env, "emulator", "status", check=False).returncode == 0:
            time.sleep(0.01)
        r = json.loads(fx(self.fx_bin, self.env, "emulator", "start", "--port", str(self.port),
                          "--json").stdout)
        self.pid = r["pid"]
        self.generation += 1
        return time.monotonic() - started


def call(conn, method, path, body, headers):
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fx", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--calls", type=int, default=3000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--fault-share", type=float, default=0.10)
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    out = Path(args.out)
    work = Path(tempfile.mkdtemp(prefix="fxbench-faults-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FX_")}
    env.update(FX_HOME=str(work / "home"), NO_COLOR="1")
    svc = work / "svc"
    svc.mkdir()
    (svc / "serverless.yaml").write_text(MANIFEST)
    (svc / "app.py").write_text(APP)
    emu = Emulator(args.fx, env)
    try:
        subprocess.run([args.fx, "deploy"], cwd=svc, env=env, check=True, capture_output=True)
        rng = random.Random(args.seed)
        faults = ["crash", "timeout", "oom", "raise"]
        plan = [rng.choice(faults) if rng.random() < args.fault_share else "ok"
                for _ in range(args.calls)]
        host = f"127.0.0.1:{emu.port}"
        auth = {"Authorization": "Bearer " + (work / "home" / "token").read_text().strip()}
        lock = threading.Lock()
        next_call = [0]
        results = []  # (i, mode, answered, request_id, function_error, error_type)
        kill_at = int(args.calls * 0.4)
        killed = threading.Event()
        downtime = [0.0]

        def client():
            conn = http.client.HTTPConnection(host, timeout=30)
            while True:
                with lock:
                    i = next_call[0]
                    next_call[0] += 1
                if i >= args.calls:
                    break
                if i == kill_at:
                    downtime[0] = emu.kill_and_restart()
                    killed.set()
                mode = plan[i]
                body = json.dumps({"mode": mode, "i": i}).encode()
                try:
                    status, hdrs, raw = call(conn, "POST",
                                             f"/2015-03-31/functions/{FUNCTION}/invocations",
                                             body, {"Content-Type": "application/json", **auth})
                    error_type = None
                    if hdrs.get("x-amz-function-error"):
                        try:
                            error_type = json.loads(raw).get("errorType")
                        except ValueError:
                            error_type = "?"
                    results.append((i, mode, status, hdrs.get("x-amzn-requestid"),
                                    hdrs.get("x-amz-function-error"), error_type))
                except (OSError, http.client.HTTPException):
                    results.append((i, mode, None, None, None, None))
                    conn.close()
                    time.sleep(0.05)
                    conn = http.client.HTTPConnection(host, timeout=30)
            conn.close()

        bad = {"sent": 0, "4xx": 0, "5xx": 0, "unanswered": 0}
        stop_bad = threading.Event()

        def bad_client():
            conn = http.client.HTTPConnection(host, timeout=30)
            r = random.Random(args.seed + 1)
            while not stop_bad.is_set():
                method, path, body, headers = r.choice(BAD_REQUESTS)
                bad["sent"] += 1
                try:
                    status, _, _ = call(conn, method, path, body, {**headers, **auth})
                    bad["4xx" if 400 <= status < 500 else "5xx"] += 1
                except (OSError, http.client.HTTPException):
                    bad["unanswered"] += 1
                    conn.close()
                    time.sleep(0.05)
                    conn = http.client.HTTPConnection(host, timeout=30)
                time.sleep(0.005)
            conn.close()

        log(f"faults: {args.calls} calls from {args.clients} clients, {args.fault_share:.0%} faults, "
            f"malformed requests alongside, kill -9 at call {kill_at}")
        started = time.monotonic()
        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        bad_thread = threading.Thread(target=bad_client)
        bad_thread.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stop_bad.set()
        bad_thread.join()
        elapsed = time.monotonic() - started
        fx(args.fx, env, "emulator", "stop")

        db = sqlite3.connect(work / "home" / "state.db")
        reports = {r[0] for r in db.execute(
            "SELECT request_id FROM logs WHERE function = ? AND message LIKE 'REPORT %'",
            (FUNCTION,))}
        metered = {r[0] for r in db.execute(
            "SELECT request_id FROM usage_records WHERE function = ?", (FUNCTION,))}
        db.close()

        rows = {}
        for mode in ["ok"] + faults:
            mine = [r for r in results if r[1] == mode]
            answered = [r for r in mine if r[2] is not None]
            as_expected = [r for r in answered
                           if r[2] == 200 and (r[4], r[5]) == EXPECTED[mode]]
            acked = [r for r in answered if r[3]]
            logged = [r for r in acked if r[3] in reports]
            meter = [r for r in acked if r[3] in metered]
            lost = [r for r in acked if r[3] not in reports or r[3] not in metered]
            rows[mode] = {"sent": len(mine), "answered": len(answered),
                          "answered_as_expected": len(as_expected),
                          "logged": len(logged), "metered": len(meter), "lost": len(lost),
                          "unexpected": sorted({(r[2], r[4], r[5]) for r in answered
                                                if r not in as_expected}, key=str)[:5]}
        total = {k: sum(r[k] for r in rows.values())
                 for k in ["sent", "answered", "answered_as_expected", "logged", "metered", "lost"]}
        result = {"machine": machine_info(), "calls": args.calls, "clients": args.clients,
                  "fault_share": args.fault_share, "elapsed_s": round(elapsed, 2),
                  "kill_at_call": kill_at, "kill_to_serving_s": round(downtime[0], 3),
                  "by_mode": rows, "total": total, "malformed_requests": bad}
        (out / "faults.json").write_text(json.dumps(result, indent=2, default=str))
        log(f"  {'mode':8} {'sent':>6} {'answered':>9} {'as fault':>9} {'logged':>7} "
            f"{'metered':>8} {'lost':>5}")
        for mode, r in list(rows.items()) + [("total", total)]:
            log(f"  {mode:8} {r['sent']:>6} {r['answered']:>9} {r['answered_as_expected']:>9} "
                f"{r['logged']:>7} {r['metered']:>8} {r['lost']:>5}"
                + (f"   unexpected: {r['unexpected']}" if r.get("unexpected") else ""))
        log(f"  malformed requests: {bad['sent']} sent, {bad['4xx']} answered 4xx, {bad['5xx']} "
            f"5xx, {bad['unanswered']} unanswered (emulator down)")
        log(f"  kill -9 at call {kill_at}: serving again after {downtime[0]:.2f} s; "
            f"run took {elapsed:.1f} s")
        log(f"  results in {out}")
        if total["lost"] or bad["5xx"]:
            sys.exit(1)
    finally:
        fx(args.fx, env, "emulator", "stop", check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
