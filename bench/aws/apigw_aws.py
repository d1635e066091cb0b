"""Issue 18's API Gateway deploy benchmark: an unchanged `fx deploy --target aws` redeploy of a
service with N routes (httpApi and http, over a few functions) against moto, timed for each fx
binary given, side by side in the same run and against the same moto. The "before" binary
(fx of main, before issue 18 item 5) serves those routes with one function URL per function;
the "after" binary makes an HTTP API and a REST API and reads them back on every redeploy.
The calls each redeploy sends are counted by the proxy in front of moto, not by fx."""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from moto_proxy import MotoProxy, MotoServer  # noqa: E402

FUNCTIONS = 5


def write_service(folder, name, routes):
    os.makedirs(folder)
    lines = [f"service: {name}", "provider:", "  name: aws", "  runtime: python3.11",
             "package:", "  individually: true", "functions:"]
    per = -(-routes // FUNCTIONS)
    n = 0
    for i in range(FUNCTIONS):
        key = f"fn{i}"
        lines += [f"  {key}:", f"    handler: {key}.handler",
                  f"    package: {{patterns: ['!**', '{key}.py']}}", "    events:"]
        for _ in range(per):
            if n == routes:
                break
            # two thirds HTTP API routes, one third REST API routes
            if n % 3 == 2:
                lines.append(f"      - http: {{path: 'r{n}/{{id}}', method: get}}")
            else:
                lines.append(f"      - httpApi: 'GET /r{n}/{{id}}'")
            n += 1
        with open(os.path.join(folder, f"{key}.py"), "w") as f:
            f.write("def handler(event, context):\n    return {'statusCode': 200}\n")
    with open(os.path.join(folder, "serverless.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")


def deploy(fx, folder, env):
    start = time.perf_counter()
    proc = subprocess.run([fx, "deploy", "--target", "aws", "--json"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"fx deploy failed ({fx}):\n{proc.stdout}\n{proc.stderr}")
    return elapsed, {f["function"]: f["status"] for f in json.loads(proc.stdout)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fx", action="append", required=True, help="LABEL=PATH, repeatable")
    ap.add_argument("--out", required=True)
    ap.add_argument("--routes", type=int, default=int(os.environ.get("FXBENCH_APIGW_ROUTES", 30)))
    ap.add_argument("--runs", type=int, default=int(os.environ.get("FXBENCH_APIGW_RUNS", 7)))
    args = ap.parse_args()
    binaries = [tuple(x.split("=", 1)) for x in args.fx]
    work = tempfile.mkdtemp(prefix="fxbench-apigw-")
    moto = MotoServer(log_path=os.path.join(args.out, "moto.log"))
    proxy = MotoProxy(moto.url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FX_"))}
    env.update({"HOME": work, "FX_HOME": os.path.join(work, "fx-home"), "NO_COLOR": "1",
                "AWS_ENDPOINT_URL": proxy.url, "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"})
    results = {}
    try:
        import boto3
        boto3.client("iam", endpoint_url=moto.url, region_name="us-east-1",
                     aws_access_key_id="x", aws_secret_access_key="x").list_roles()
        folders = {}
        for i, (label, path) in enumerate(binaries):
            folders[label] = os.path.join(work, label)
            write_service(folders[label], f"apigw{i}", args.routes)
            deploy(path, folders[label], env)  # the first deploy creates everything
            results[label] = {"seconds": [], "calls": [], "writes": [], "by_call": {}}
        # Alternating binaries in each round, so that load on the machine hits both alike.
        for run in range(args.runs):
            for label, path in binaries:
                proxy.recorder.reset()
                seconds, statuses = deploy(path, folders[label], env)
                if set(statuses.values()) != {"unchanged"}:
                    raise SystemExit(f"{label}: an unchanged redeploy changed {statuses}")
                stats = proxy.recorder.stats()
                # IAM's calls are named by their Action; Lambda's and API Gateway's by method.
                # "POST /" is a JSON-protocol read (DynamoDB's ListTables).
                writes = sum(c for op, c in stats.items()
                             if (op.split(" ")[0] in ("POST", "PUT", "PATCH", "DELETE")
                                 and op != "POST /")
                             or op.startswith(("Create", "Put", "Attach", "Delete", "Update")))
                results[label]["by_call"] = stats
                results[label]["seconds"].append(seconds)
                results[label]["calls"].append(sum(stats.values()))
                results[label]["writes"].append(writes)
            print(f"run {run + 1}: " + ", ".join(
                f"{label} {results[label]['seconds'][-1]:.2f} s ({results[label]['calls'][-1]} calls)"
                for label, _ in binaries), flush=True)
    finally:
        proxy.close()
        moto.close()
        shutil.rmtree(work, ignore_errors=True)
    summary = {"routes": args.routes, "functions": FUNCTIONS, "runs": args.runs,
               "machine": {"nproc": os.cpu_count(), "platform": platform.platform(),
                           "loadavg": os.getloadavg()},
               "results": {label: {"median_seconds": statistics.median(r["seconds"]),
                                   "range_seconds": [min(r["seconds"]), max(r["seconds"])],
                                   "median_calls": statistics.median(r["calls"]),
                                   "writes": sorted(set(r["writes"])), **r}
                           for label, r in results.items()}}
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(f"\nunchanged redeploy, {args.routes} routes over {FUNCTIONS} functions, median of "
          f"{args.runs}:")
    for label, r in summary["results"].items():
        print(f"  {label:<8} {r['median_seconds']:.2f} s  (range {r['range_seconds'][0]:.2f}-"
              f"{r['range_seconds'][1]:.2f}), {r['median_calls']} calls, writes {r['writes']}")
    print(f"results in {args.out}")


if __name__ == "__main__":
    main()
