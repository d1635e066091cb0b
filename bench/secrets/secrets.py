"""Requests per second of SSM GetParameter (a SecureString, WithDecryption) and Secrets Manager
GetSecretValue, on fx's emulator and on moto side by side in the same run.

For each endpoint: one parameter and one secret are created, then N requests of each operation
are sent one after another over one keep-alive HTTP connection, in the JSON 1.1 protocol as the
SDKs speak it (so the client's cost is the same for both), ROUNDS times, fx and moto
alternating so that a change in the machine's load falls on both. Prints per-request medians
and p99s, and requests per second (median over the rounds), with fx's ratio to moto.
"""
import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "aws"))
from moto_proxy import MotoServer  # noqa: E402

# The credential scope names the service, as the SDKs sign: moto routes by it.
def auth(service):
    return (f"AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/{service}/aws4_request, "
            "SignedHeaders=host;x-amz-target, Signature=00")


class Client:
    def __init__(self, url):
        self.conn = http.client.HTTPConnection(url.split("//", 1)[1], timeout=60)

    def call(self, target, body):
        self.conn.request("POST", "/", json.dumps(body).encode(), {
            "X-Amz-Target": target,
            "Authorization": auth("ssm" if target.startswith("AmazonSSM.") else "secretsmanager"),
            "Content-Type": "application/x-amz-json-1.1"})
        r = self.conn.getresponse()
        data = r.read()
        if r.status != 200:
            raise RuntimeError(f"{target}: {r.status} {data[:300]!r}")
        return json.loads(data) if data else {}


OPS = {
    "GetParameter": ("AmazonSSM.GetParameter", {"Name": "/bench/db/password", "WithDecryption": True}),
    "GetSecretValue": ("secretsmanager.GetSecretValue", {"SecretId": "bench/db"}),
}


def seed(url):
    c = Client(url)
    c.call("AmazonSSM.PutParameter", {"Name": "/bench/db/password", "Value": "p" * 32,
                                      "Type": "SecureString", "Overwrite": True})
    try:
        c.call("secretsmanager.CreateSecret", {"Name": "bench/db",
                                               "SecretString": json.dumps({"user": "u", "password": "p" * 32})})
    except RuntimeError as e:
        if "ResourceExists" not in str(e):
            raise


def run(url, op, n):
    c = Client(url)
    target, body = OPS[op]
    times = []
    start = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        c.call(target, body)
        times.append(time.perf_counter() - t)
    return times, n / (time.perf_counter() - start)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fx", required=True)
    args = ap.parse_args()
    n = int(os.environ.get("FXBENCH_SECRETS_N", "2000"))
    rounds = int(os.environ.get("FXBENCH_SECRETS_ROUNDS", "3"))
    home = tempfile.mkdtemp(prefix="fxbench-secrets-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FX_")}
    env["FX_HOME"] = home
    r = subprocess.run([args.fx, "emulator", "start", "--port", "0", "--json"], env=env, cwd=home,
                       capture_output=True, text=True, check=True)
    fx_url = json.loads(r.stdout)["url"]
    moto = MotoServer(docker_less=False, managed_policies=False)
    times = {(p, op): [] for p in ("fx", "moto") for op in OPS}
    rates = {(p, op): [] for p in ("fx", "moto") for op in OPS}
    try:
        for url in (fx_url, moto.url):
            seed(url)
        for _ in range(rounds):
            for peer, url in (("fx", fx_url), ("moto", moto.url)):
                for op in OPS:
                    t, rate = run(url, op, n)
                    times[(peer, op)] += t
                    rates[(peer, op)].append(rate)
    finally:
        moto.close()
        subprocess.run([args.fx, "emulator", "stop"], env=env, cwd=home, capture_output=True)
    print(f"{n} requests per operation per round, {rounds} rounds, one keep-alive connection; "
          "median (p99) ms per request, requests/s as the median of the rounds")
    print("| operation | fx ms | moto ms | fx req/s | moto req/s | fx/moto |")
    print("|---|---|---|---|---|---|")
    for op in OPS:
        f, m = times[("fx", op)], times[("moto", op)]
        fr, mr = statistics.median(rates[("fx", op)]), statistics.median(rates[("moto", op)])
        print(f"| {op} | {statistics.median(f) * 1000:.3f} ({pct(f, 0.99):.2f}) | "
              f"{statistics.median(m) * 1000:.3f} ({pct(m, 0.99):.2f}) | {fr:.0f} | {mr:.0f} | "
              f"×{fr / mr:.1f} |")


if __name__ == "__main__":
    main()
