"""fx benchmark for issue 18: what checking an API key and metering its usage plan costs the
gateway.

One service, one Python hello function behind two `http` routes: /dev/open, and /dev/private
(`private: true`), both called with the same x-api-key header (so the events are alike), a key
of provider.apiGateway.apiKeys whose usage plan has a
throttle and a quota too large to refuse anything, so every request pays the key's lookup,
the token bucket and the quota count. wrk -t2 -c10 on each, interleaved in rounds after a
quiet machine; the summary gives each route's median over the rounds, the median of the
per-round throughput ratios (private / open), and the emulator's own CPU time per request
(from /proc), which the machine's other load moves far less than throughput.
Results in bench/results/api_keys-<UTC time>/.
"""
import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'gateway'))
from bench import log, machine_info, run  # noqa: E402
from gateway import settle, wrk  # noqa: E402

KEY = 'bench-key-value-0123456789abcdef'
MANIFEST = f"""\
service: keybench
provider:
  name: aws
  runtime: python3.11
  apiGateway:
    apiKeys:
      - name: benchKey
        value: {KEY}
    usagePlan:
      quota: {{limit: 2000000000, period: DAY}}
      throttle: {{burstLimit: 1000000, rateLimit: 1000000}}
functions:
  hello:
    handler: app.hello
    events:
      - http: {{path: open, method: get}}
      - http: {{path: private, method: get, private: true}}
"""
PY = 'def hello(event, context):\n    return {"statusCode": 200, "body": "hello"}\n'


def cpu_ticks(pid):
    """The emulator's user + system CPU time, in clock ticks."""
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return int(fields[11]) + int(fields[12])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--fx', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--duration', default='10s')
    ap.add_argument('--rounds', type=int, default=3)
    args = ap.parse_args()
    out = Path(args.out)
    work = Path(tempfile.mkdtemp(prefix='fxbench-keys.'))
    env = dict(os.environ, FX_HOME=str(work / 'home'), NO_COLOR='1')
    svc = work / 'svc'
    svc.mkdir()
    (svc / 'serverless.yml').write_text(MANIFEST)
    (svc / 'app.py').write_text(PY)
    info = json.loads(run([args.fx, 'emulator', 'start', '--port', '0', '--json'], env=env, cwd=work).stdout)
    try:
        run([args.fx, 'deploy'], cwd=svc, env=env)
        gw = info['gateway_url']
        # The same request on both routes (the key in both): only the key's check and its
        # plan's metering differ.
        key = ['-H', f'x-api-key: {KEY}']
        routes = [('open', f'{gw}/dev/open', key), ('private', f'{gw}/dev/private', key)]
        for name, url, headers in routes:
            warm = wrk(url, '3s', extra=headers)
            if warm['non_2xx']:
                raise SystemExit(f'{name}: {warm["non_2xx"]} non-2xx answers while warming up')
        runs = {name: [] for name, _, _ in routes}
        for n in range(1, args.rounds + 1):
            for name, url, headers in routes:
                settle()
                before = cpu_ticks(info['pid'])
                r = wrk(url, args.duration, out=out / f'{name}_{n}.txt', extra=headers)
                ticks = cpu_ticks(info['pid']) - before
                r['emulator_cpu_us_per_request'] = round(
                    ticks / os.sysconf('SC_CLK_TCK') * 1e6 / max(r['requests'], 1), 1)
                runs[name].append(r)
                log(f"round {n} {name:7s}: {r['rps']:6d} req/s, p50 {r['p50_ms']} ms, "
                    f"p99 {r['p99_ms']} ms, emulator CPU {r['emulator_cpu_us_per_request']} us/request, "
                    f"non-2xx {r['non_2xx']}")
        results = {'machine': machine_info(), 'duration': args.duration, 'rounds': args.rounds,
                   'routes': {}, 'ratios': {}}
        for name, rs in runs.items():
            results['routes'][name] = {
                'rps': median(r['rps'] for r in rs),
                'p50_ms': median(r['p50_ms'] for r in rs),
                'p99_ms': median(r['p99_ms'] for r in rs),
                'emulator_cpu_us_per_request': median(r['emulator_cpu_us_per_request'] for r in rs),
                'non_2xx': sum(r['non_2xx'] for r in rs), 'runs': rs}
        per_round = [a['rps'] / max(b['rps'], 1) for a, b in zip(runs['private'], runs['open'])]
        results['ratios']['private_vs_open'] = {'per_round': [round(x, 3) for x in per_round],
                                                'median': round(median(per_round), 3)}
        (out / 'summary.json').write_text(json.dumps(results, indent=2))
        for name, r in results['routes'].items():
            log(f"{name:7s}: median {r['rps']} req/s, p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, "
                f"emulator CPU {r['emulator_cpu_us_per_request']} us/request")
        r = results['ratios']['private_vs_open']
        log(f"private_vs_open: {r['median']} (per round {r['per_round']})")
    finally:
        run([args.fx, 'emulator', 'stop'], env=env, cwd=work)


if __name__ == '__main__':
    main()
