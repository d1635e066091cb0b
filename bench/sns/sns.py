"""SNS on fx's emulator: Publish throughput beside moto's in the same run, and how long a
published message takes to reach a subscribed function.

Throughput: one topic per endpoint with one SQS queue subscribed (so each Publish does its
delivery work), N Publish calls one after another over one keep-alive connection in the Query
protocol as the SDKs send it (the client's cost is the same for both), ROUNDS times, fx and
moto alternating so that a change in the machine's load falls on both. Prints per-request
medians and p99s and publishes per second (median of the rounds), with fx's ratio to moto.

Latency (fx only: moto invokes no functions): a service whose Python function has an `sns`
event is deployed; LATENCY_N messages are published 100 ms apart, each carrying the wall-clock
time it was sent; the function prints the difference when it starts, read back from `fx logs`.
"""
import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "aws"))
from moto_proxy import MotoServer  # noqa: E402

AUTH = ("AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/{}/aws4_request, "
        "SignedHeaders=host, Signature=00")


class Client:
    def __init__(self, url):
        self.conn = http.client.HTTPConnection(url.split("//", 1)[1], timeout=60)

    def call(self, service, params, target=None):
        headers = {"Authorization": AUTH.format(service)}
        if target:
            headers.update({"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0"})
            body = json.dumps(params).encode()
        else:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urllib.parse.urlencode(params).encode()
        self.conn.request("POST", "/", body, headers)
        r = self.conn.getresponse()
        data = r.read()
        if r.status != 200:
            raise RuntimeError(f"{params}: {r.status} {data[:300]!r}")
        return data.decode()


def between(text, a, b):
    i = text.index(a) + len(a)
    return text[i:text.index(b, i)]


def seed(url):
    c = Client(url)
    topic = between(c.call("sns", {"Action": "CreateTopic", "Name": "bench",
                                   "Version": "2010-03-31"}), "<TopicArn>", "</TopicArn>")
    account = topic.split(":")[4]
    c.call("sqs", {"QueueName": "bench-q"}, target="AmazonSQS.CreateQueue")
    c.call("sns", {"Action": "Subscribe", "TopicArn": topic, "Protocol": "sqs",
                   "Endpoint": f"arn:aws:sqs:us-east-1:{account}:bench-q", "Version": "2010-03-31"})
    return topic


def run(url, topic, n):
    c = Client(url)
    params = {"Action": "Publish", "TopicArn": topic, "Message": "m" * 200, "Version": "2010-03-31",
              "MessageAttributes.entry.1.Name": "kind",
              "MessageAttributes.entry.1.Value.DataType": "String",
              "MessageAttributes.entry.1.Value.StringValue": "order"}
    times = []
    start = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        c.call("sns", params)
        times.append(time.perf_counter() - t)
    return times, n / (time.perf_counter() - start)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] * 1000


SERVICE = """
service: snsbench
provider: {name: aws, runtime: python3.12}
functions:
  sub:
    handler: app.handler
    events:
      - sns: latency
"""

APP = """
import json, time
def handler(event, context):
    now = time.time()
    sent = float(event["Records"][0]["Sns"]["Message"])
    print("LATENCY_MS %.3f" % ((now - sent) * 1000))
"""


def latency(fx, env, home, url, n):
    svc = os.path.join(home, "svc")
    os.makedirs(svc)
    with open(os.path.join(svc, "serverless.yaml"), "w") as f:
        f.write(SERVICE)
    with open(os.path.join(svc, "app.py"), "w") as f:
        f.write(textwrap.dedent(APP))
    subprocess.run([fx, "deploy"], env=env, cwd=svc, check=True, capture_output=True)
    c = Client(url)
    topic = "arn:aws:sns:us-east-1:000000000000:latency"
    c.call("sns", {"Action": "Publish", "TopicArn": topic, "Message": str(time.time())})
    time.sleep(2)  # the first starts the instance: not counted
    for _ in range(n):
        c.call("sns", {"Action": "Publish", "TopicArn": topic, "Message": repr(time.time())})
        time.sleep(0.1)
    deadline = time.monotonic() + 30
    values = []
    while time.monotonic() < deadline:
        out = subprocess.run([fx, "logs", "snsbench-dev-sub", "--json"], env=env, cwd=svc,
                             capture_output=True, text=True).stdout
        messages = [json.loads(line).get("message", "") for line in out.splitlines()
                    if line.strip()]
        values = [float(m.split("LATENCY_MS ")[1].split()[0]) for m in messages
                  if "LATENCY_MS " in m]
        if len(values) >= n + 1:
            break
        time.sleep(0.5)
    return values[1:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fx", required=True)
    args = ap.parse_args()
    n = int(os.environ.get("FXBENCH_SNS_N", "2000"))
    rounds = int(os.environ.get("FXBENCH_SNS_ROUNDS", "3"))
    latency_n = int(os.environ.get("FXBENCH_SNS_LATENCY_N", "100"))
    home = tempfile.mkdtemp(prefix="fxbench-sns-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FX_")}
    env["FX_HOME"] = home
    r = subprocess.run([args.fx, "emulator", "start", "--port", "0", "--json"], env=env, cwd=home,
                       capture_output=True, text=True, check=True)
    fx_url = json.loads(r.stdout)["url"]
    moto = MotoServer(docker_less=False, managed_policies=False)
    times = {"fx": [], "moto": []}
    rates = {"fx": [], "moto": []}
    try:
        topics = {"fx": seed(fx_url), "moto": seed(moto.url)}
        for _ in range(rounds):
            for peer, url in (("fx", fx_url), ("moto", moto.url)):
                t, rate = run(url, topics[peer], n)
                times[peer] += t
                rates[peer].append(rate)
        lat = latency(args.fx, env, home, fx_url, latency_n)
    finally:
        moto.close()
        subprocess.run([args.fx, "emulator", "stop"], env=env, cwd=home, capture_output=True)
    print(f"{n} publishes per round, {rounds} rounds, one keep-alive connection, one SQS "
          "subscriber; median (p99) ms per request, publishes/s as the median of the rounds")
    print("| operation | fx ms | moto ms | fx req/s | moto req/s | fx/moto |")
    print("|---|---|---|---|---|---|")
    f, m = times["fx"], times["moto"]
    fr, mr = statistics.median(rates["fx"]), statistics.median(rates["moto"])
    print(f"| Publish | {statistics.median(f) * 1000:.3f} ({pct(f, 0.99):.2f}) | "
          f"{statistics.median(m) * 1000:.3f} ({pct(m, 0.99):.2f}) | {fr:.0f} | {mr:.0f} | "
          f"×{fr / mr:.1f} |")
    if lat:
        print(f"publish -> function invoked (fx, warm instance, {len(lat)} messages): median "
              f"{statistics.median(lat):.1f} ms, p90 {sorted(lat)[int(len(lat) * 0.9)]:.1f} ms, "
              f"max {max(lat):.1f} ms")
    else:
        print("publish -> function invoked: no measurement (the function's log had none)")


if __name__ == "__main__":
    main()
