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
import re
import statistics
import sys
import tempfile
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'gateway'))
from bench import log, machine_info, run  # noqa: E402
from gateway import settle  # noqa: E402

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


def wrk(url, host=None, duration='10s', out=None):
    cmd = ['wrk', '-t2', '-c10', f'-d{duration}', '--latency']
    if host:
        cmd += ['-H', f'Host: {host}']
    text = run(cmd + [url]).stdout
    if out:
        out.write_text(text)
    lat = {}
    for pc, val, unit in re.findall(r'^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$', text, re.M):
        lat[pc] = float(val) * {'us': 0.001, 'ms': 1, 's': 1000}[unit]
    errs = re.search(r'Non-2xx or 3xx responses: (\d+)', text)
    return {'rps': round(float(re.search(r'Requests/sec:\s+([\d.]+)', text).group(1))),
            'p50_ms': lat.get('50'), 'p99_ms': lat.get('99'),
            'non_2xx': int(errs.group(1)) if errs else 0}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--fx', required=True)
    ap.add_argument('--out', required=True)
    args = ap.parse_args()
    out = Path(args.out)
    duration = os.environ.get('FXBENCH_URL_DURATION', '10s')
    rounds = int(os.environ.get('FXBENCH_URL_ROUNDS', '3'))
    work = Path(tempfile.mkdtemp(prefix='fxbench-url.'))
    env = dict(os.environ, FX_HOME=str(work / 'home'), NO_COLOR='1')
    fx = str(Path(args.fx).resolve())
    info = json.loads(run([fx, 'emulator', 'start', '--port', '0', '--json'], env=env, cwd=work).stdout)
    svc = work / 'svc'
    svc.mkdir()
    (svc / 'app.py').write_text(PY)
    (svc / 'serverless.yml').write_text(MANIFEST)
    try:
        deployed = json.loads(run([fx, 'deploy', '--json'], cwd=svc, env=env).stdout)
        routes = deployed[0]['routes']
        url = next(r.split()[1] for r in routes if r.startswith('URL'))
        parts = urllib.parse.urlsplit(url)
        sides = {'function_url': (f'http://127.0.0.1:{parts.port}/py', parts.netloc),
                 'gateway': (f"{info['gateway_url']}/py", None)}
        for target, host in sides.values():  # warm: an instance started before the measured runs
            wrk(target, host, duration='2s')
        results = {side: [] for side in sides}
        results['ratio'] = []
        for n in range(rounds):
            row = {}
            for side, (target, host) in sides.items():
                settle()
                r = wrk(target, host, duration=duration, out=out / f'{side}-{n}.txt')
                log(f'round {n} {side}: {r}')
                results[side].append(r)
                row[side] = r['rps']
            results['ratio'].append(round(row['function_url'] / row['gateway'], 3))
        summary = {side: {'median_rps': statistics.median(x['rps'] for x in results[side]),
                          'median_p50_ms': statistics.median(x['p50_ms'] for x in results[side]),
                          'median_p99_ms': statistics.median(x['p99_ms'] for x in results[side]),
                          'non_2xx': sum(x['non_2xx'] for x in results[side])}
                   for side in sides}
        summary['url_vs_gateway_ratio_median'] = statistics.median(results['ratio'])
        summary['machine'] = machine_info()
        (out / 'summary.json').write_text(json.dumps({'summary': summary, 'rounds': results}, indent=2))
        print(json.dumps(summary, indent=2))
    finally:
        run([fx, 'emulator', 'stop'], env=env, cwd=work, check=False)


if __name__ == '__main__':
    main()
