"""fx benchmark for issue 5: the HTTP gateway under load, beside serverless-offline.

wrk -t2 -c10 -d10s --latency against a hello route, Python and Node, on fx's gateway and on
serverless-offline 13 (with serverless v3) serving the same handlers from the same machine
in the same run; Node also with serverless-offline's --useInProcess. Then a long run of
100,000 requests on fx's Python route: throughput of its first and last tenth, and the
emulator's resident memory before and after (no slowdown, no growth).
Standard library + wrk; results in bench/results/gateway-<UTC time>/.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import free_port, log, machine_info, run, wait_port  # noqa: E402

PY = 'def hello(event, context):\n    return {"statusCode": 200, "body": "hello"}\n'
JS = 'exports.hello = async () => ({ statusCode: 200, body: "hello" });\n'
MANIFEST = """\
service: gwbench
provider:
  name: aws
  runtime: python3.11
  stage: dev
  region: us-east-1
{plugins}functions:
  py:
    handler: app.hello
    events:
      - httpApi: 'GET /py'
  node:
    handler: app_node.hello
    runtime: nodejs20.x
    events:
      - httpApi: 'GET /node'
"""


def wrk(url, duration='10s', conns=10, threads=2, out=None):
    p = run(['wrk', f'-t{threads}', f'-c{conns}', f'-d{duration}', '--latency', url])
    text = p.stdout
    if out:
        out.write_text(text)
    rps = float(re.search(r'Requests/sec:\s+([\d.]+)', text).group(1))
    lat = {}
    for pc, val, unit in re.findall(r'^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$', text, re.M):
        lat[pc] = float(val) * {'us': 0.001, 'ms': 1, 's': 1000}[unit]
    errs = re.search(r'Non-2xx or 3xx responses: (\d+)', text)
    sock = re.search(r'Socket errors: (.*)', text)
    total = int(re.search(r'(\d+) requests in', text).group(1))
    return {'rps': round(rps), 'p50_ms': lat.get('50'), 'p99_ms': lat.get('99'), 'requests': total,
            'non_2xx': int(errs.group(1)) if errs else 0, 'socket_errors': sock.group(1) if sock else None}


def rss_kb(pid):
    """Anonymous resident memory: the emulator's own heap. Its SQLite store is memory-mapped,
    and pages of the (growing) log table read through the map count in VmRSS as file pages
    the kernel can drop at any time; they are not growth of the emulator."""
    with open(f'/proc/{pid}/status') as f:
        return int(re.search(r'RssAnon:\s+(\d+)', f.read()).group(1))


class GatewayBench:
    def __init__(self, args):
        self.args = args
        self.fx = str(Path(args.fx).resolve())
        self.out = Path(args.out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.work = Path(tempfile.mkdtemp(prefix='fxbench-gw.'))
        self.env = dict(os.environ, FX_HOME=str(self.work / 'home'), NO_COLOR='1')
        self.results = {'goals': {'py_vs_offline': 2.0, 'py_p99_ms': 3.0, 'node_vs_offline_in_process': 2.0}}
        self.procs = []

    def service(self, name, plugins=''):
        d = self.work / name
        d.mkdir()
        (d / 'app.py').write_text(PY)
        (d / 'app_node.js').write_text(JS)
        (d / 'serverless.yml').write_text(MANIFEST.format(plugins=plugins))
        return d

    def fx_part(self):
        info = json.loads(run([self.fx, 'emulator', 'start', '--port', '0', '--json'], env=self.env,
                              cwd=self.work).stdout)
        self.emu_pid = info['pid']
        gw = info['gateway_url']
        svc = self.service('fx')
        run([self.fx, 'deploy'], cwd=svc, env=self.env)
        r = {}
        for route in ('py', 'node'):
            url = f'{gw}/{route}'
            wrk(url, '3s')  # warm: instances started, caches hot
            r[route] = wrk(url, self.args.duration, out=self.out / f'fx_{route}.txt')
            log(f"fx {route:5s}: {r[route]['rps']:6d} req/s, p50 {r[route]['p50_ms']} ms, p99 {r[route]['p99_ms']} ms")
        # 100,000 requests: is the last stretch as fast as the first, and does memory grow?
        before = rss_kb(self.emu_pid)
        n = self.args.long_requests
        rate = max(r['py']['rps'], 1)
        secs = max(10, int(n / rate) + 1)
        first = wrk(f'{gw}/py', f'{max(1, secs // 10)}s')
        long = wrk(f'{gw}/py', f'{secs}s', out=self.out / 'fx_py_long.txt')
        last = wrk(f'{gw}/py', f'{max(1, secs // 10)}s')
        after = rss_kb(self.emu_pid)
        r['long'] = {'requests': long['requests'] + first['requests'] + last['requests'],
                     'first_rps': first['rps'], 'last_rps': last['rps'], 'overall_rps': long['rps'],
                     'emulator_rss_kb_before': before, 'emulator_rss_kb_after': after,
                     'non_2xx': long['non_2xx']}
        log(f"fx long run: {r['long']['requests']} requests, first {first['rps']} req/s, last {last['rps']} req/s, "
            f"emulator anonymous RSS {before} kB -> {after} kB")
        self.results['fx'] = r
        run([self.fx, 'emulator', 'stop'], cwd=self.work, env=self.env, check=False)

    def offline_part(self):
        npm = Path(self.args.npm_dir)
        sls = npm / 'node_modules' / '.bin' / 'serverless'
        if self.args.no_peers or not sls.exists() or not (npm / 'node_modules' / 'serverless-offline').exists():
            self.results['offline'] = {'skipped': 'serverless-offline not installed (bench/run.sh installs it)'}
            log('serverless-offline: skipped')
            return
        svc = self.service('offline', 'plugins:\n  - serverless-offline\n')
        (svc / 'node_modules').symlink_to(npm / 'node_modules')
        home = self.work / 'sls-home'
        home.mkdir(exist_ok=True)
        env = dict(self.env, SLS_TELEMETRY_DISABLED='1', SLS_NOTIFICATIONS_MODE='off', SLS_DEPRECATION_DISABLE='*',
                   HOME=str(home), AWS_ACCESS_KEY_ID='x', AWS_SECRET_ACCESS_KEY='x')
        res = {}
        for mode, extra in (('default', []), ('useInProcess', ['--useInProcess'])):
            port = free_port()
            logf = open(self.out / f'offline_{mode}.log', 'w')
            p = subprocess.Popen([str(sls), 'offline', 'start', '--httpPort', str(port), '--lambdaPort', str(free_port()),
                                  '--websocketPort', str(free_port()), '--albPort', str(free_port()), *extra],
                                 cwd=svc, env=env, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
            self.procs.append(p)
            if not wait_port(port, p, 120):
                res[mode] = {'skipped': 'did not start'}
                continue
            routes = ('py', 'node') if mode == 'default' else ('node',)
            for route in routes:
                url = f'http://127.0.0.1:{port}/{route}'
                wrk(url, '3s')
                key = route if mode == 'default' else f'{route}_in_process'
                res[key] = wrk(url, self.args.duration, out=self.out / f'offline_{key}.txt')
                log(f"serverless-offline {key:16s}: {res[key]['rps']:6d} req/s, p50 {res[key]['p50_ms']} ms, "
                    f"p99 {res[key]['p99_ms']} ms, non-2xx {res[key]['non_2xx']}")
            os.killpg(p.pid, 15)
            p.wait(timeout=20)
        self.results['offline'] = res

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, 9)
                except ProcessLookupError:
                    pass
        run([self.fx, 'emulator', 'stop'], cwd=self.work, env=self.env, check=False)
        shutil.rmtree(self.work, ignore_errors=True)


def summary(r):
    fx, off = r['fx'], r.get('offline', {})
    lines = ['| route | fx req/s | fx p50 / p99 | serverless-offline req/s | its p50 / p99 | ratio |', '|---|---|---|---|---|---|']
    for route, peer_key, label in (('py', 'py', 'Python'), ('node', 'node', 'Node'), ('node', 'node_in_process', 'Node vs --useInProcess')):
        f, o = fx[route], off.get(peer_key)
        if o and 'rps' in o:
            lines.append(f"| {label} | {f['rps']:,} | {f['p50_ms']:.2f} / {f['p99_ms']:.2f} ms | {o['rps']:,} | "
                         f"{o['p50_ms']:.2f} / {o['p99_ms']:.2f} ms | ×{f['rps'] / max(o['rps'], 1):.1f} |")
        else:
            lines.append(f"| {label} | {f['rps']:,} | {f['p50_ms']:.2f} / {f['p99_ms']:.2f} ms | (skipped) | | |")
    lg = fx['long']
    lines += ['', f"100,000-request run on the Python route: {lg['requests']:,} requests, first tenth {lg['first_rps']:,} req/s, "
              f"last tenth {lg['last_rps']:,} req/s; emulator anonymous RSS {lg['emulator_rss_kb_before'] / 1024:.1f} MB → "
              f"{lg['emulator_rss_kb_after'] / 1024:.1f} MB; non-2xx {lg['non_2xx']}"]
    return '\n'.join(lines) + '\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--fx', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--no-peers', action='store_true')
    ap.add_argument('--npm-dir', default=os.environ.get('FXBENCH_NPM_DIR', '/tmp/fxbench-npm'))
    ap.add_argument('--duration', default=os.environ.get('FXBENCH_GW_DURATION', '10s'))
    ap.add_argument('--long-requests', type=int, default=int(os.environ.get('FXBENCH_GW_LONG', 100_000)))
    args = ap.parse_args()
    b = GatewayBench(args)
    t0 = time.monotonic()
    try:
        b.results['machine'] = machine_info()
        b.fx_part()
        b.offline_part()
    finally:
        b.close()
    b.results['wall_s'] = round(time.monotonic() - t0, 1)
    (Path(args.out) / 'summary.json').write_text(json.dumps(b.results, indent=2) + '\n')
    md = summary(b.results)
    (Path(args.out) / 'summary.md').write_text(md)
    print(md)


if __name__ == '__main__':
    main()
