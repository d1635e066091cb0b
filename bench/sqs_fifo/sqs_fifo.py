"""Send, receive and delete throughput of a FIFO queue and of a standard queue, on fx's
emulator and on moto side by side in the same run.

For each endpoint and queue type: N messages sent one SendMessage each (FIFO: spread over G
message groups, each with its own deduplication id), then received ten at a time
(ReceiveMessage, MaxNumberOfMessages=10) and deleted ten at a time (DeleteMessageBatch) until
the queue is empty. One keep-alive HTTP connection, the SQS JSON protocol as boto3 speaks it,
so the client's own cost is the same for both. Prints a table: per-call medians and p99s, and
messages per second for the whole send+receive+delete cycle.
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

AUTH = ("AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/sqs/aws4_request, "
        "SignedHeaders=host;x-amz-target, Signature=00")


class Client:
    def __init__(self, url):
        self.conn = http.client.HTTPConnection(url.split("//", 1)[1], timeout=60)

    def call(self, action, body):
        self.conn.request("POST", "/", json.dumps(body).encode(), {
            "X-Amz-Target": "AmazonSQS." + action, "Authorization": AUTH,
            "Content-Type": "application/x-amz-json-1.0"})
        r = self.conn.getresponse()
        data = r.read()
        if r.status != 200:
            raise RuntimeError(f"{action}: {r.status} {data[:300]!r}")
        return json.loads(data) if data else {}


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] * 1000


def run(url, fifo, n, groups):
    c = Client(url)
    name = f"bench-{'fifo' if fifo else 'std'}-{int(time.time() * 1000)}" + (".fifo" if fifo else "")
    attrs = {"FifoQueue": "true"} if fifo else {}
    q = c.call("CreateQueue", {"QueueName": name, "Attributes": attrs})["QueueUrl"]
    body = "x" * 256
    sends, receives, deletes = [], [], []
    start = time.perf_counter()
    for i in range(n):
        req = {"QueueUrl": q, "MessageBody": body}
        if fifo:
            req.update(MessageGroupId=f"g{i % groups}", MessageDeduplicationId=str(i))
        t = time.perf_counter()
        c.call("SendMessage", req)
        sends.append(time.perf_counter() - t)
    got_total = 0
    while got_total < n:
        t = time.perf_counter()
        got = c.call("ReceiveMessage", {"QueueUrl": q, "MaxNumberOfMessages": 10,
                                        "VisibilityTimeout": 300}).get("Messages", [])
        receives.append(time.perf_counter() - t)
        if not got:
            raise RuntimeError(f"{name}: the queue ran dry after {got_total} of {n}")
        got_total += len(got)
        t = time.perf_counter()
        c.call("DeleteMessageBatch", {"QueueUrl": q, "Entries": [
            {"Id": str(k), "ReceiptHandle": m["ReceiptHandle"]} for k, m in enumerate(got)]})
        deletes.append(time.perf_counter() - t)
    total = time.perf_counter() - start
    c.call("DeleteQueue", {"QueueUrl": q})
    return {"send": sends, "receive": receives, "delete": deletes, "rate": n / total,
            "per_receive": n / len(receives)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fx", required=True)
    args = ap.parse_args()
    n = int(os.environ.get("FXBENCH_SQS_N", "2000"))
    groups = int(os.environ.get("FXBENCH_SQS_GROUPS", "10"))
    home = tempfile.mkdtemp(prefix="fxbench-sqs-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FX_")}
    env["FX_HOME"] = home
    r = subprocess.run([args.fx, "emulator", "start", "--port", "0", "--json"], env=env, cwd=home,
                       capture_output=True, text=True, check=True)
    fx_url = json.loads(r.stdout)["url"]
    moto = MotoServer(docker_less=False, managed_policies=False)
    results = {}
    try:
        for peer, url in (("fx", fx_url), ("moto", moto.url)):
            for fifo in (False, True):
                results[(peer, fifo)] = run(url, fifo, n, groups)
    finally:
        moto.close()
        subprocess.run([args.fx, "emulator", "stop"], env=env, cwd=home, capture_output=True)
    print(f"{n} messages of 256 bytes per queue; FIFO over {groups} groups; medians (p99) in ms")
    print("| | fx standard | fx FIFO | moto standard | moto FIFO | FIFO: fx faster by |")
    print("|---|---|---|---|---|---|")
    for op in ("send", "receive", "delete"):
        cells = [f"{statistics.median(results[k][op]) * 1000:.3f} ({pct(results[k][op], 0.99):.2f})"
                 for k in (("fx", False), ("fx", True), ("moto", False), ("moto", True))]
        ratio = statistics.median(results[("moto", True)][op]) / statistics.median(results[("fx", True)][op])
        label = {"send": "SendMessage", "receive": "ReceiveMessage (10)", "delete": "DeleteMessageBatch (10)"}[op]
        print(f"| {label} | " + " | ".join(cells) + f" | ×{ratio:.1f} |")
    cells = [f"{results[k]['rate']:.0f}" for k in (("fx", False), ("fx", True), ("moto", False), ("moto", True))]
    print("| messages/s, send+receive+delete | " + " | ".join(cells) +
          f" | ×{results[('fx', True)]['rate'] / results[('moto', True)]['rate']:.1f} |")
    cells = [f"{results[k]['per_receive']:.1f}" for k in (("fx", False), ("fx", True), ("moto", False), ("moto", True))]
    print("| messages per ReceiveMessage | " + " | ".join(cells) + " | |")


if __name__ == "__main__":
    main()
