"""fx benchmark for issue 17: one Python function behind an `alb` rule and an `httpApi` route.

wrk -t2 -c10 --latency on each, interleaved in rounds (ALB, then the gateway, per round) so
that a machine that speeds up or slows down moves both sides of the ratio alike; the summary
gives each side's median req/s over the rounds and the median of the per-round ratios.
Standard library + wrk; results in bench/results/alb-<UTC time>/.
"""
import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'gateway'))
from bench import deployed_service, machine_info  # noqa: E402
from gateway import interleaved, per_round_ratio, side_medians  # noqa: E402

PY = ('def hello(event, context):\n'
      '    return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "hello"}\n')
MANIFEST = """\
service: albbench
provider:
  name: aws
  runtime: python3.11
functions:
  py:
    handler: app.hello
    events:
      - httpApi: 'GET /py'
      - alb:
          listenerArn: arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/b/1/2
          priority: 1
          conditions:
            path: /py
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--fx', required=True)
    ap.add_argument('--out', required=True)
    args = ap.parse_args()
    out = Path(args.out)
    duration = os.environ.get('FXBENCH_ALB_DURATION', '10s')
    rounds = int(os.environ.get('FXBENCH_ALB_ROUNDS', '3'))
    with deployed_service(args.fx, 'alb', {'app.py': PY, 'serverless.yml': MANIFEST}) as (info, _, _, _):
        runs = interleaved({'alb': (f"{info['alb_url']}/py", []),
                            'gateway': (f"{info['gateway_url']}/py", [])}, rounds, duration, out)
    summary = side_medians(runs)
    summary['alb_vs_gateway_ratio_median'] = per_round_ratio(runs, 'alb', 'gateway')['median']
    summary['machine'] = machine_info()
    (out / 'summary.json').write_text(json.dumps({'summary': summary, 'rounds': runs}, indent=2))
    print(json.dumps(summary, indent=2))


if __name__ == '__main__':
    main()
