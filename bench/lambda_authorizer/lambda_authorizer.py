"""fx benchmark for issue 18: what a cached Lambda authorizer costs the gateway.

One Python function behind two `http` routes of one service: GET /open with no authorizer
and GET /guarded with a TOKEN Lambda authorizer (resultTtlInSeconds 300, so after the first
request every request is answered from the cache and the policy is evaluated on its method
ARN). wrk -t2 -c10 --latency on each, interleaved in rounds (open, then guarded), so a machine
that speeds up or slows down moves both sides alike; the summary gives each side's median
req/s and the median of the per-round ratios guarded / open (issue 18: the authorizer may
cost at most 15 %, a ratio of at least 0.85). The authorizer's invocation count is read
before and after to show the measured runs were served from the cache.
Standard library + wrk; results in bench/results/lambda-authorizer-<UTC time>/.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'gateway'))
from bench import log, machine_info, run  # noqa: E402
from gateway import settle  # noqa: E402

APP = ('def hello(event, context):\n'
       '    return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "hello"}\n'
       '\n'
       'def auth(event, context):\n'
       '    return {"principalId": "bench", "context": {"user": "bench"},\n'
       '            "policyDocument": {"Version": "2012-10-17", "Statement": [\n'
       '                {"Action": "execute-api:Invoke", "Effect": "Allow",\n'
       '                 "Resource": event["methodArn"]}]}}\n')
MANIFEST = """\
service: authbench
provider:
  name: aws
  runtime: python3.11
functions:
  auth:
    handler: app.auth
  hello:
    handler: app.hello
    events:
      - http: 'GET open'
      - http:
          path: guarded
          method: get
          authorizer: auth
"""
TOKEN = 'Bearer bench-token'


def wrk(url, duration, out, header=None):
    cmd = ['wrk', '-t2', '-c10', f'-d{duration}', '--latency']
    if header:
        cmd += ['-H', header]
    text = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    out.write_text(text)
    rps = float(re.search(r'Requests/sec:\s+([\d.]+)', text).group(1))
    lat = {}
    for pc, val, unit in re.findall(r'^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$', text, re.M):
        lat[pc] = float(val) * {'us': 0.001, 'ms': 1, 's': 1000}[unit]
    non2xx = re.search(r'Non-2xx or 3xx responses: (\d+)', text)
    return {'rps': round(rps), 'p50_ms': lat.get('50'), 'p99_ms': lat.get('99'),
            'non_2xx': int(non2xx.group(1)) if non2xx else 0}


def invocations(url, home, name):
    """How many times the emulator has run a function (its /_fx/v1/status, with its token)."""
    token = (Path(home) / 'token').read_text().strip()
    req = urllib.request.Request(f'{url}/_fx/v1/status', headers={'Authorization': f'Bearer {token}'})
    with urllib.request.urlopen(req, timeout=30) as resp:
        status = json.load(resp)
    return next((f['invocations'] for f in status['functions'] if f['name'] == name), 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--fx', required=True)
    ap.add_argument('--out', required=True)
    args = ap.parse_args()
    out = Path(args.out)
    duration = os.environ.get('FXBENCH_AUTH_DURATION', '10s')
    rounds = int(os.environ.get('FXBENCH_AUTH_ROUNDS', '3'))
    work = Path(tempfile.mkdtemp(prefix='fxbench-auth.'))
    env = dict(os.environ, FX_HOME=str(work / 'home'), NO_COLOR='1')
    fx = str(Path(args.fx).resolve())
    info = json.loads(run([fx, 'emulator', 'start', '--port', '0', '--json'], env=env, cwd=work).stdout)
    svc = work / 'svc'
    svc.mkdir()
    (svc / 'app.py').write_text(APP)
    (svc / 'serverless.yml').write_text(MANIFEST)
    try:
        run([fx, 'deploy'], cwd=svc, env=env)
        sides = {'open': (f"{info['gateway_url']}/dev/open", None),
                 'guarded': (f"{info['gateway_url']}/dev/guarded", f'Authorization: {TOKEN}')}
        for side, (url, header) in sides.items():  # warm: instances and the cache
            wrk(url, '2s', out / f'warm-{side}.txt', header)
        auth_before = invocations(info['url'], env['FX_HOME'], 'authbench-dev-auth')
        results = {'open': [], 'guarded': [], 'ratio': []}
        for n in range(rounds):
            row = {}
            for side, (url, header) in sides.items():
                settle()
                r = wrk(url, duration, out / f'{side}-{n}.txt', header)
                log(f'round {n} {side}: {r}')
                results[side].append(r)
                row[side] = r['rps']
            results['ratio'].append(round(row['guarded'] / row['open'], 3))
        auth_calls = invocations(info['url'], env['FX_HOME'], 'authbench-dev-auth') - auth_before
        summary = {side: {'median_rps': statistics.median(x['rps'] for x in results[side]),
                          'median_p50_ms': statistics.median(x['p50_ms'] for x in results[side]),
                          'median_p99_ms': statistics.median(x['p99_ms'] for x in results[side]),
                          'non_2xx': sum(x['non_2xx'] for x in results[side])}
                   for side in sides}
        summary['guarded_vs_open_ratio_median'] = statistics.median(results['ratio'])
        summary['authorizer_invocations_during_runs'] = auth_calls
        summary['machine'] = machine_info()
        (out / 'summary.json').write_text(json.dumps({'summary': summary, 'rounds': results}, indent=2))
        print(json.dumps(summary, indent=2))
    finally:
        run([fx, 'emulator', 'stop'], env=env, cwd=work, check=False)


if __name__ == '__main__':
    main()
