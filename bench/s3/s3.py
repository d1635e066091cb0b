"""PutObject and GetObject of 1 KiB and 8 MiB objects, on fx's emulator and on moto side by side
in the same run, and the emulator's peak resident memory (VmHWM) after them.

For each endpoint a bucket is made, then N PUTs of one size are sent one after another over one
keep-alive connection (raw HTTP, path-style, with a dummy SigV4 scope of s3, so the client's
cost is the same for both), then N GETs of the object read whole; ROUNDS times, fx and moto
alternating so that a change in the machine's load falls on both. Prints per-request medians,
the throughput in MiB/s for the large size, and fx's ratio to moto.
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

AUTH = ("AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/s3/aws4_request, "
        "SignedHeaders=host, Signature=00")
SIZES = {"1 KiB": 1024, "8 MiB": 8 << 20}


class Client:
    def __init__(self, url):
        self.conn = http.client.HTTPConnection(url.split("//", 1)[1], timeout=120)

    def call(self, method, path, body=b""):
        self.conn.request(method, path, body, {"Authorization": AUTH,
                                               "x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
        r = self.conn.getresponse()
        data = r.read()
        if r.status not in (200, 204):
            raise RuntimeError(f"{method} {path}: {r.status} {data[:300]!r}")
        return data


def run(url, size, n):
    c = Client(url)
    body = os.urandom(size)
    put, get = [], []
    for i in range(n):
        t = time.perf_counter()
        c.call("PUT", f"/bench/obj{i % 4}", body)
        put.append(time.perf_counter() - t)
    for i in range(n):
        t = time.perf_counter()
        data = c.call("GET", f"/bench/obj{i % 4}")
        get.append(time.perf_counter() - t)
        assert len(data) == size
    return put, get


def hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fx", required=True)
    args = ap.parse_args()
    counts = {"1 KiB": int(os.environ.get("FXBENCH_S3_SMALL_N", "500")),
              "8 MiB": int(os.environ.get("FXBENCH_S3_LARGE_N", "20"))}
    rounds = int(os.environ.get("FXBENCH_S3_ROUNDS", "3"))
    home = tempfile.mkdtemp(prefix="fxbench-s3-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FX_")}
    env["FX_HOME"] = home
    r = subprocess.run([args.fx, "emulator", "start", "--port", "0", "--json"], env=env, cwd=home,
                       capture_output=True, text=True, check=True)
    info = json.loads(r.stdout)
    fx_url, fx_pid = info["url"], info["pid"]
    moto = MotoServer(docker_less=False, managed_policies=False)
    times = {}
    try:
        for url in (fx_url, moto.url):
            Client(url).call("PUT", "/bench")
        hwm_before = hwm_kib(fx_pid)
        for _ in range(rounds):
            for peer, url in (("fx", fx_url), ("moto", moto.url)):
                for name, size in SIZES.items():
                    put, get = run(url, size, counts[name])
                    times.setdefault((peer, name, "PUT"), []).extend(put)
                    times.setdefault((peer, name, "GET"), []).extend(get)
        hwm_after = hwm_kib(fx_pid)
    finally:
        moto.close()
        subprocess.run([args.fx, "emulator", "stop"], env=env, cwd=home, capture_output=True)
    print(f"{rounds} rounds of {counts['1 KiB']} (1 KiB) and {counts['8 MiB']} (8 MiB) requests "
          "per operation, one keep-alive connection; median ms per request")
    print("| operation | fx ms | moto ms | fx MiB/s | moto MiB/s | fx/moto (speed) |")
    print("|---|---|---|---|---|---|")
    for name, size in SIZES.items():
        for op in ("PUT", "GET"):
            f = statistics.median(times[("fx", name, op)])
            m = statistics.median(times[("moto", name, op)])
            mib = size / (1 << 20)
            print(f"| {op} {name} | {f * 1000:.2f} | {m * 1000:.2f} | {mib / f:.1f} | {mib / m:.1f} | "
                  f"×{m / f:.1f} |")
    print(f"fx emulator peak RSS (VmHWM): {hwm_before / 1024:.1f} MiB before, "
          f"{hwm_after / 1024:.1f} MiB after {rounds * 2 * counts['8 MiB']} requests of 8 MiB")


if __name__ == "__main__":
    main()
