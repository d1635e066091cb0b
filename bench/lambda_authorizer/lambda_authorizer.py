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
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'gateway'))
from bench import deployed_service, machine_info  # noqa: E402
from gateway import interleaved, per_round_ratio, side_medians  # noqa: E402

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
    with deployed_service(args.fx, 'auth', {'app.py': APP, 'serverless.yml': MANIFEST}) as (info, env, _, _):
        # Both sides send the token, so that the ratio is the authorizer's cost alone.
        header = ['-H', f'Authorization: {TOKEN}']
        sides = {'open': (f"{info['gateway_url']}/dev/open", header),
                 'guarded': (f"{info['gateway_url']}/dev/guarded", header)}
        # interleaved() warms both routes first, which fills the authorizer's cache: from the
        # first measured run on, the authorizer must not run again.
        before = {}

        def count_before(_name, result):
            if result is None and not before:
                before['auth'] = invocations(info['url'], env['FX_HOME'], 'authbench-dev-auth')
        runs = interleaved(sides, rounds, duration, out, on_run=count_before)
        auth_calls = invocations(info['url'], env['FX_HOME'], 'authbench-dev-auth') - before['auth']
    summary = side_medians(runs)
    summary['guarded_vs_open_ratio_median'] = per_round_ratio(runs, 'guarded', 'open')['median']
    summary['authorizer_invocations_during_runs'] = auth_calls
    summary['machine'] = machine_info()
    (out / 'summary.json').write_text(json.dumps({'summary': summary, 'rounds': runs}, indent=2))
    print(json.dumps(summary, indent=2))


if __name__ == '__main__':
    main()
