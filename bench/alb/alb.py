"""fx benchmark for issue 17: one Python function behind an `alb` rule and an `httpApi` route.

wrk -t2 -c10 --latency on each, interleaved in rounds (ALB, then the gateway, per round) so
that a machine that speeds up or slows down moves both sides of the ratio alike; the summary
gives each side's median req/s over the rounds and the median of the per-round ratios.
Standard library + wrk; results in bench/results/alb-<UTC time>/.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'gateway'))
from bench import log, machine_info, run  # noqa: E402
from gateway import settle, wrk  # noqa: E402

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
    work = Path(tempfile.mkdtemp(prefix='fxbench-alb.'))
    env = dict(os.environ, FX_HOME=str(work / 'home'), NO_COLOR='1')
    fx = str(Path(args.fx).resolve())
    info = json.loads(run([fx, 'emulator', 'start', '--port', '0', '--json'], env=env, cwd=work).stdout)
    svc = work / 'svc'
    svc.mkdir()
    (svc / 'app.py').write_text(PY)
    (svc / 'serverless.yml').write_text(MANIFEST)
    try:
        run([fx, 'deploy'], cwd=svc, env=env)
        urls = {'alb': f"{info['alb_url']}/py", 'gateway': f"{info['gateway_url']}/py"}
        for url in urls.values():  # warm: an instance started before the measured runs
            wrk(url, duration='2s')
        results = {'alb': [], 'gateway': [], 'ratio': []}
        for n in range(rounds):
            row = {}
            for side, url in urls.items():
                settle()
                r = wrk(url, duration=duration, out=out / f'{side}-{n}.txt')
                log(f'round {n} {side}: {r}')
                results[side].append(r)
                row[side] = r['rps']
            results['ratio'].append(round(row['alb'] / row['gateway'], 3))
        summary = {side: {'median_rps': statistics.median(x['rps'] for x in results[side]),
                          'median_p50_ms': statistics.median(x['p50_ms'] for x in results[side]),
                          'median_p99_ms': statistics.median(x['p99_ms'] for x in results[side]),
                          'non_2xx': sum(x['non_2xx'] for x in results[side])}
                   for side in urls}
        summary['alb_vs_gateway_ratio_median'] = statistics.median(results['ratio'])
        summary['machine'] = machine_info()
        (out / 'summary.json').write_text(json.dumps({'summary': summary, 'rounds': results}, indent=2))
        print(json.dumps(summary, indent=2))
    finally:
        run([fx, 'emulator', 'stop'], env=env, cwd=work, check=False)


if __name__ == '__main__':
    main()
