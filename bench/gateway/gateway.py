"""fx benchmark for issue 5: the HTTP gateway under load, beside serverless-offline.

wrk -t2 -c10 -d10s --latency against a hello route, Python and Node, on fx's gateway and on
serverless-offline 13 (with serverless v3) serving the same handlers from the same machine
in the same run; Node also with serverless-offline's --useInProcess. All servers run at
once and the measured runs are interleaved in rounds (fx, then its peer, per route), so a
machine that speeds up or slows down during the run moves both sides of a ratio alike; each
run starts once the machine is quiet again (under 5 % busy); the summary gives each figure's
median over the rounds and the median of the per-round ratios.
Then a long run of 100,000 requests on fx's Python route: throughput of its first and last
tenth, and the emulator's resident memory before and after (no slowdown, no growth).
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


def wrk(url, duration='10s', conns=10, threads=2, out=None, extra=()):
    p = run(['wrk', f'-t{threads}', f'-c{conns}', f'-d{duration}', '--latency', *extra, url])
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


def interleaved(sides, rounds, duration, out, on_run=None):
    """wrk on each side ({name: (url, [extra wrk arguments])}) after a 2 s warm-up of each, then
    `rounds` rounds taking the sides in turn, each after the machine settles, so that a machine
    speeding up or slowing down moves every side of a ratio alike. `on_run(name, result)` is
    called around each measured run (result None before it, wrk's figures after) and may
    return figures to merge into that run's. Returns {name: [run, ...]}."""
    for url, extra in sides.values():
        wrk(url, duration='2s', extra=extra)
    runs = {name: [] for name in sides}
    for n in range(rounds):
        for name, (url, extra) in sides.items():
            settle()
            if on_run:
                on_run(name, None)
            r = wrk(url, duration=duration, out=out / f'{name}-{n}.txt', extra=extra)
            if on_run:
                r.update(on_run(name, r) or {})
            log(f'round {n} {name}: {r}')
            runs[name].append(r)
    return runs


def per_round_ratio(runs, a, b):
    """Side a's throughput over side b's, round by round, and their median."""
    per_round = [round(x['rps'] / max(y['rps'], 1), 3) for x, y in zip(runs[a], runs[b])]
    return {'per_round': per_round, 'median': median(per_round)}


def side_medians(runs):
    """Each side's median req/s, p50 and p99 over the rounds, and its non-2xx answers."""
    return {name: {'median_rps': median([r['rps'] for r in rs]),
                   'median_p50_ms': median([r['p50_ms'] for r in rs]),
                   'median_p99_ms': median([r['p99_ms'] for r in rs]),
                   'non_2xx': sum(r['non_2xx'] for r in rs)} for name, rs in runs.items()}


def cpu_busy_fraction(window=0.5):
    """How busy the machine's CPUs were over `window` seconds, from /proc/stat."""
    def snap():
        v = [int(x) for x in open('/proc/stat').readline().split()[1:]]
        return sum(v), v[3] + v[4]  # total, idle + iowait
    t0, i0 = snap()
    time.sleep(window)
    t1, i1 = snap()
    return 1 - (i1 - i0) / max(t1 - t0, 1)


def settle(limit_s=15):
    """Waits until the machine is quiet: a server goes on working for seconds after its run
    (serverless-offline's V8 collects its heap for 3-4 s, ~8 % of a core), which would be
    charged to whichever run comes next."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and cpu_busy_fraction() > 0.05:
        pass


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

    def start_fx(self):
        info = json.loads(run([self.fx, 'emulator', 'start', '--port', '0', '--json'], env=self.env,
                              cwd=self.work).stdout)
        self.emu_pid = info['pid']
        self.fx_gw = info['gateway_url']
        run([self.fx, 'deploy'], cwd=self.service('fx'), env=self.env)
        return {'py': f'{self.fx_gw}/py', 'node': f'{self.fx_gw}/node'}

    def start_offline(self):
        """Both serverless-offline modes, each on its own port; {} when not installed."""
        npm = Path(self.args.npm_dir)
        sls = npm / 'node_modules' / '.bin' / 'serverless'
        if self.args.no_peers or not sls.exists() or not (npm / 'node_modules' / 'serverless-offline').exists():
            self.results['offline'] = {'skipped': 'serverless-offline not installed (bench/run.sh installs it)'}
            log('serverless-offline: skipped')
            return {}
        svc = self.service('offline', 'plugins:\n  - serverless-offline\n')
        (svc / 'node_modules').symlink_to(npm / 'node_modules')
        home = self.work / 'sls-home'
        home.mkdir(exist_ok=True)
        env = dict(self.env, SLS_TELEMETRY_DISABLED='1', SLS_NOTIFICATIONS_MODE='off', SLS_DEPRECATION_DISABLE='*',
                   HOME=str(home), AWS_ACCESS_KEY_ID='x', AWS_SECRET_ACCESS_KEY='x')
        urls = {}
        for mode, extra, routes in (('default', [], ('py', 'node')), ('useInProcess', ['--useInProcess'], ('node',))):
            port = free_port()
            logf = open(self.out / f'offline_{mode}.log', 'w')
            p = subprocess.Popen([str(sls), 'offline', 'start', '--httpPort', str(port), '--lambdaPort', str(free_port()),
                                  '--websocketPort', str(free_port()), '--albPort', str(free_port()), *extra],
                                 cwd=svc, env=env, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
            self.procs.append(p)
            if not wait_port(port, p, 120):
                log(f'serverless-offline {mode}: did not start')
                continue
            for route in routes:
                urls[route if mode == 'default' else f'{route}_in_process'] = f'http://127.0.0.1:{port}/{route}'
        return urls

    def rounds(self, fx_urls, peer_urls):
        """Every measured run, interleaved: round after round of fx py, peer py, fx node, peer
        node, peer node --useInProcess."""
        order = [('fx', 'py', fx_urls['py']), ('offline', 'py', peer_urls.get('py')),
                 ('fx', 'node', fx_urls['node']), ('offline', 'node', peer_urls.get('node')),
                 ('offline', 'node_in_process', peer_urls.get('node_in_process'))]
        order = [o for o in order if o[2]]
        for _, _, url in order:
            wrk(url, '3s')  # warm: instances started, caches hot
        runs = {(side, key): [] for side, key, _ in order}
        for n in range(1, self.args.rounds + 1):
            for side, key, url in order:
                settle()
                r = wrk(url, self.args.duration, out=self.out / f'{side}_{key}_{n}.txt')
                runs[(side, key)].append(r)
                log(f"round {n} {side:7s} {key:16s}: {r['rps']:6d} req/s, p50 {r['p50_ms']} ms, "
                    f"p99 {r['p99_ms']} ms, non-2xx {r['non_2xx']}")
        for side in ('fx', 'offline'):
            res = self.results.setdefault(side, {})
            for (s_, key), rs in runs.items():
                if s_ == side:
                    res[key] = {'runs': rs, 'rps': median([r['rps'] for r in rs]),
                                'p50_ms': median([r['p50_ms'] for r in rs]),
                                'p99_ms': median([r['p99_ms'] for r in rs]),
                                'non_2xx': sum(r['non_2xx'] for r in rs)}
        # The ratio of each round's pair, then their median: drift between rounds cancels out.
        ratios = {}
        for fx_key, peer_key in (('py', 'py'), ('node', 'node'), ('node', 'node_in_process')):
            f, o = runs.get(('fx', fx_key)), runs.get(('offline', peer_key))
            if f and o:
                per_round = [a['rps'] / max(b['rps'], 1) for a, b in zip(f, o)]
                ratios[f'{fx_key}_vs_{peer_key}'] = {'per_round': [round(x, 2) for x in per_round],
                                                     'median': round(median(per_round), 2)}
        self.results['ratios'] = ratios

    def long_run(self):
        """100,000 requests: is the last stretch as fast as the first, and does memory grow?"""
        gw = self.fx_gw
        before = rss_kb(self.emu_pid)
        n = self.args.long_requests
        rate = max(self.results['fx']['py']['rps'], 1)
        secs = max(10, int(n / rate) + 1)
        first = wrk(f'{gw}/py', f'{max(1, secs // 10)}s')
        long = wrk(f'{gw}/py', f'{secs}s', out=self.out / 'fx_py_long.txt')
        last = wrk(f'{gw}/py', f'{max(1, secs // 10)}s')
        after = rss_kb(self.emu_pid)
        self.results['fx']['long'] = lg = {
            'requests': long['requests'] + first['requests'] + last['requests'],
            'first_rps': first['rps'], 'last_rps': last['rps'], 'overall_rps': long['rps'],
            'emulator_rss_kb_before': before, 'emulator_rss_kb_after': after, 'non_2xx': long['non_2xx']}
        log(f"fx long run: {lg['requests']} requests, first {first['rps']} req/s, last {last['rps']} req/s, "
            f"emulator anonymous RSS {before} kB -> {after} kB")

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, 9)
                except ProcessLookupError:
                    pass
        run([self.fx, 'emulator', 'stop'], cwd=self.work, env=self.env, check=False)
        shutil.rmtree(self.work, ignore_errors=True)


def median(xs):
    xs = sorted(xs)
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2


def summary(r):
    fx, off, ratios = r['fx'], r.get('offline', {}), r.get('ratios', {})
    n = len(fx['py']['runs'])
    lines = [f'Medians of {n} interleaved round{"s" if n != 1 else ""}; the ratio is the median of the per-round ratios.', '',
             '| route | fx req/s | fx p50 / p99 | serverless-offline req/s | its p50 / p99 | ratio (per round) |',
             '|---|---|---|---|---|---|']
    for route, peer_key, label in (('py', 'py', 'Python'), ('node', 'node', 'Node'), ('node', 'node_in_process', 'Node vs --useInProcess')):
        f, o = fx[route], off.get(peer_key)
        ratio = ratios.get(f'{route}_vs_{peer_key}')
        if o and 'rps' in o and ratio:
            each = ' / '.join(f'{x:.1f}' for x in ratio['per_round'])
            lines.append(f"| {label} | {f['rps']:,.0f} | {f['p50_ms']:.2f} / {f['p99_ms']:.2f} ms | {o['rps']:,.0f} | "
                         f"{o['p50_ms']:.2f} / {o['p99_ms']:.2f} ms | ×{ratio['median']:.1f} ({each}) |")
        else:
            lines.append(f"| {label} | {f['rps']:,.0f} | {f['p50_ms']:.2f} / {f['p99_ms']:.2f} ms | (skipped) | | |")
    p99s = ' / '.join(f"{x['p99_ms']:.2f}" for x in fx['py']['runs'])
    lines += ['', f"fx Python route p99 per round: {p99s} ms"]
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
    ap.add_argument('--rounds', type=int, default=int(os.environ.get('FXBENCH_GW_ROUNDS', 3)))
    args = ap.parse_args()
    b = GatewayBench(args)
    t0 = time.monotonic()
    try:
        b.results['machine'] = machine_info()
        fx_urls = b.start_fx()
        peer_urls = b.start_offline()
        b.rounds(fx_urls, peer_urls)
        b.long_run()
    finally:
        b.close()
    b.results['wall_s'] = round(time.monotonic() - t0, 1)
    (Path(args.out) / 'summary.json').write_text(json.dumps(b.results, indent=2) + '\n')
    md = summary(b.results)
    (Path(args.out) / 'summary.md').write_text(md)
    print(md)


if __name__ == '__main__':
    main()
