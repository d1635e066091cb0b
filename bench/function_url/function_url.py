"""fx benchmark for issue 17: one Python function behind its function URL (`url: true`) and an
`httpApi` route, both on the gateway's port.

wrk -t2 -c10 --latency on each, interleaved in rounds (URL, then the route, per round) so that a
machine that speeds up or slows down moves both sides of the ratio alike; the summary gives each
side's median req/s over the rounds and the median of the per-round ratios. wrk connects to
127.0.0.1 and sends the URL's Host header (not every resolver maps *.localhost to loopback).
Standard library + wrk; results in bench/results/function_url-<UTC time>/.
"""
import argparse
import json
import os
import sys
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'gateway'))
from bench import deployed_service, machine_info  # noqa: E402
from gateway import interleaved, per_round_ratio, side_medians  # noqa: E402

PY = ('def hello(event, context):\n'
      '    return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "hello"}\n')
MANIFEST = """\
service: urlbench
provider:
  name: aws
  runtime: python3.11
functions:
  py:
    handler: app.hello
    url: true
    events:
      - httpApi: 'GET /py'
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--fx', required=True)
    ap.add_argument('--out', required=True)
    args = ap.parse_args()
    out = Path(args.out)
    duration = os.environ.get('FXBENCH_URL_DURATION', '10s')
    rounds = int(os.environ.get('FXBENCH_URL_ROUNDS', '3'))
    files = {'app.py': PY, 'serverless.yml': MANIFEST}
    with deployed_service(args.fx, 'url', files, ['--json']) as (info, _, _, deployed):
        routes = json.loads(deployed.stdout)[0]['routes']
        url = next(r.split()[1] for r in routes if r.startswith('URL'))
        parts = urllib.parse.urlsplit(url)
        runs = interleaved({'function_url': (f'http://127.0.0.1:{parts.port}/py', ['-H', f'Host: {parts.netloc}']),
                            'gateway': (f"{info['gateway_url']}/py", [])}, rounds, duration, out)
    summary = side_medians(runs)
    summary['url_vs_gateway_ratio_median'] = per_round_ratio(runs, 'function_url', 'gateway')['median']
    summary['machine'] = machine_info()
    (out / 'summary.json').write_text(json.dumps({'summary': summary, 'rounds': runs}, indent=2))
    print(json.dumps(summary, indent=2))


if __name__ == '__main__':
    main()
