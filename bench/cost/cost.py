"""fx benchmarks for issue 4 (usage metering and cost): run by bench/cost.sh.

(a) `fx cost` over one million usage records (goal: <= 1 s). The records are the real ones
    of a few hundred invocations, copied with new request ids and times spread over 30 days
    into the emulator's own store (state.db, the `usage_records` table): what a month of traffic
    leaves behind, without spending an hour invoking. Timed with hyperfine: the JSON report
    over every function, the table, and one function over the last 7 days; beside them the
    floor, Python's sqlite3 doing a bare GROUP BY over the same rows (reading alone, no
    pricing, no percentiles).
(b) `fx logs -f`: the time from a handler's print to the line on `fx logs -f`'s stdout
    (goal: <= 100 ms). The handler prints its wall clock (ns); the reader stamps each line as
    it arrives. Peer: serverless-offline 13 printing the same handler's output on its own
    console (how a serverless-offline user sees logs), measured the same way.
Standard library only; results in bench/results/cost-<UTC time>/.
"""
import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import free_port, log, machine_info, pct, run, wait_port  # noqa: E402

TICK = """\
import time


def tick(event, context):
    print(f"tick {time.time_ns()}", flush=True)
    return {}
"""

MANIFEST = """\
service: fxcost
provider:
  name: aws
  runtime: python3.11
  stage: dev
  region: us-east-1
functions:
  tick:
    handler: tick.tick
  api:
    handler: tick.tick
    memorySize: 256
  worker:
    handler: tick.tick
    memorySize: 2048
    architecture: arm64
"""


class CostBench:
    def __init__(self, args):
        self.args = args
        self.fx = str(Path(args.fx).resolve())
        self.out = Path(args.out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.work = Path(tempfile.mkdtemp(prefix='fxbench-cost.'))
        self.home = self.work / 'home'
        self.svc = self.work / 'svc'
        self.env = dict(os.environ, FX_HOME=str(self.home), NO_COLOR='1')
        self.results = {'goals': {'cost_1m_s': 1.0, 'logs_follow_ms': 100.0}}
        self.procs = []

    def fxrun(self, *a, cwd=None):
        return run([self.fx, *a], cwd=cwd or self.svc, env=self.env)

    def setup(self):
        info = json.loads(self.fxrun('emulator', 'start', '--port', '0', '--json', cwd=self.work).stdout)
        self.url = info['url']
        self.svc.mkdir()
        (self.svc / 'tick.py').write_text(TICK)
        (self.svc / 'serverless.yaml').write_text(MANIFEST)
        self.fxrun('deploy')
        self.names = {f['function']: f['name'] for f in json.loads(self.fxrun('info', '--json').stdout)['functions']}

    def invoke(self, name):
        req = urllib.request.Request(f'{self.url}/2015-03-31/functions/{name}/invocations', data=b'{}', method='POST',
                                     headers={'Authorization': 'Bearer ' + (self.home / 'token').read_text().strip()})
        with urllib.request.urlopen(req) as r:
            r.read()

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        run([self.fx, 'emulator', 'stop'], cwd=self.work, env=self.env, check=False)
        if not self.args.keep_work:
            shutil.rmtree(self.work, ignore_errors=True)

    # ---------- (a) fx cost over a million records ----------

    def bench_a(self):
        n = self.args.records
        for key in ('tick', 'api', 'worker'):
            for _ in range(self.args.seed_calls):
                self.invoke(self.names[key])
        # Every record written: `fx cost` flushes the emulator's log writer before it reads.
        self.fxrun('cost', '--json')
        db = sqlite3.connect(self.home / 'state.db', timeout=30)
        cols = ('function', 'version', 'duration_ms', 'billed_ms', 'memory_mb', 'max_memory_mb', 'init_ms',
                'architecture', 'outcome', 'cpu_ms')
        seeds = db.execute(f"SELECT {', '.join(cols)} FROM usage_records").fetchall()
        have = db.execute('SELECT count(*) FROM usage_records').fetchone()[0]
        log(f'(a) {len(seeds)} real records from {3 * self.args.seed_calls} invocations; '
            f'copying them to {n:,} records spread over 30 days')
        now = int(time.time() * 1000)
        rnd = random.Random(4)
        t0 = time.monotonic()
        with db:
            db.executemany(
                f"INSERT INTO usage_records(request_id, start_ms, {', '.join(cols)}) VALUES (?, ?, {', '.join('?' * len(cols))})",
                ((str(uuid.UUID(int=rnd.getrandbits(128), version=4)), now - rnd.randrange(30 * 86_400_000),
                  *seeds[i % len(seeds)]) for i in range(n - have)))
        # The emulator writes records a few at a time and SQLite folds its write-ahead log into
        # the database as it goes; a bulk insert leaves a huge log behind unless folded too.
        db.execute('PRAGMA wal_checkpoint(TRUNCATE)')
        db.close()
        total = n
        log(f'    inserted in {time.monotonic() - t0:.1f} s')
        json_out = self.work / 'cost.json'
        cmds = {
            'fx cost --json (1M records, 3 functions)': f'{self.fx} cost --json > {json_out}',
            'fx cost (the table)': f'{self.fx} cost > /dev/null',
            'fx cost tick --since 7d --json': f'{self.fx} cost tick --since 7d --json > /dev/null',
            'floor: python3 sqlite3 GROUP BY': (
                f"{sys.executable} -c \"import sqlite3;db=sqlite3.connect('{self.home}/state.db');"
                "print(db.execute('SELECT function, count(*), sum(billed_ms*memory_mb), sum(init_ms IS NOT NULL) "
                "FROM usage_records GROUP BY function').fetchall())\" > /dev/null"),
        }
        a = {'records': total}
        for label, cmd in cmds.items():
            jf = self.out / f"a_{len(a)}.json"
            run(['hyperfine', '--runs', str(self.args.runs), '--warmup', '1', '--export-json', str(jf), '--shell=bash',
                 cmd], cwd=self.svc, env=self.env)
            res = json.loads(jf.read_text())['results'][0]
            a[label] = {'median_s': round(statistics.median(res['times']), 4), 'min_s': round(min(res['times']), 4),
                        'max_s': round(max(res['times']), 4), 'runs': len(res['times'])}
            log(f"    {label:45s} median {a[label]['median_s'] * 1000:7.1f} ms  [{a[label]['min_s'] * 1000:.1f}–"
                f"{a[label]['max_s'] * 1000:.1f}]")
        report = json.loads(json_out.read_text())
        a['invocations_counted'] = report['total']['invocations']
        if a['invocations_counted'] != total:
            raise RuntimeError(f"fx cost counted {a['invocations_counted']} invocations, not {total}")
        a['total_cost'] = report['total']['cost']
        self.results['a'] = a

    # ---------- (b) fx logs -f latency ----------

    @staticmethod
    def reader(proc, stamps):
        for line in proc.stdout:
            t = time.time_ns()
            i = line.find('tick ')
            if i >= 0:
                try:
                    stamps.append((int(line[i + 5:].split()[0]), t))
                except ValueError:
                    pass

    def follow_latency(self, proc, invoke, n):
        stamps = []
        th = threading.Thread(target=self.reader, args=(proc, stamps), daemon=True)
        th.start()
        time.sleep(1.0)
        # Only lines printed from now on: not the stored ones a reader shows first.
        since = time.time_ns()
        stamps.clear()
        for _ in range(n):
            invoke()
            time.sleep(self.args.gap_ms / 1000)
        deadline = time.monotonic() + 5
        while len(stamps) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        lat = [(arrived - printed) / 1e6 for printed, arrived in stamps if printed >= since]
        return {'lines': len(lat), 'sent': n, 'median_ms': round(statistics.median(lat), 2) if lat else None,
                'p95_ms': round(pct(lat, 95), 2) if lat else None, 'max_ms': round(max(lat), 2) if lat else None}

    def bench_b(self):
        n = self.args.lines
        name = self.names['tick']
        self.invoke(name)  # warm: the latency of a log line, not of a cold start
        p = subprocess.Popen([self.fx, 'logs', 'tick', '-f'], cwd=self.svc, env=self.env, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, bufsize=1)
        self.procs.append(p)
        b = {'fx logs -f': self.follow_latency(p, lambda: self.invoke(name), n)}
        p.kill()
        r = b['fx logs -f']
        log(f"(b) fx logs -f: {r['lines']}/{n} lines, print → stdout median {r['median_ms']} ms, p95 {r['p95_ms']} ms, "
            f"max {r['max_ms']} ms")
        b['serverless-offline'] = self.offline_latency(n)
        self.results['b'] = b

    def offline_latency(self, n):
        npm = Path(self.args.npm_dir or '/nonexistent')
        sls = npm / 'node_modules' / '.bin' / 'serverless'
        if self.args.no_peers or not sls.exists() or not (npm / 'node_modules' / 'serverless-offline').exists():
            log('(b) serverless-offline: skipped (run bench/run.sh once to install it, or --no-peers was given)')
            return {'skipped': 'serverless-offline not installed'}
        peer = self.work / 'peer'
        peer.mkdir()
        (peer / 'tick.py').write_text(TICK)
        (peer / 'node_modules').symlink_to(npm / 'node_modules')
        (peer / 'serverless.yml').write_text(
            "service: fxcost\nframeworkVersion: '3'\nprovider:\n  name: aws\n  runtime: python3.11\n  stage: dev\n"
            "  region: us-east-1\nplugins:\n  - serverless-offline\nfunctions:\n  tick:\n    handler: tick.tick\n")
        home = self.work / 'sls-home'
        home.mkdir()
        env = dict(self.env, SLS_TELEMETRY_DISABLED='1', SLS_NOTIFICATIONS_MODE='off', SLS_DEPRECATION_DISABLE='*',
                   HOME=str(home), AWS_ACCESS_KEY_ID='x', AWS_SECRET_ACCESS_KEY='x')
        port = free_port()
        p = subprocess.Popen([str(sls), 'offline', 'start', '--lambdaPort', str(port), '--httpPort', str(free_port()),
                              '--websocketPort', str(free_port()), '--albPort', str(free_port())], cwd=peer, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                             start_new_session=True)
        self.procs.append(p)
        if not wait_port(port, p, 120):
            return {'skipped': 'serverless-offline did not start'}
        url = f'http://127.0.0.1:{port}/2015-03-31/functions/fxcost-dev-tick/invocations'

        def invoke():
            with urllib.request.urlopen(urllib.request.Request(url, data=b'{}', method='POST')) as r:
                r.read()
        invoke()
        r = self.follow_latency(p, invoke, n)
        log(f"(b) serverless-offline console: {r['lines']}/{n} lines, median {r['median_ms']} ms, p95 {r['p95_ms']} ms")
        return r


def summary(r):
    lines = []
    a = r.get('a')
    if a:
        lines += [f"(a) `fx cost` over {a['records']:,} usage records (hyperfine, median of {next(v for k, v in a.items() if isinstance(v, dict) and 'runs' in v)['runs']} runs)", '',
                  '| command | median | min–max |', '|---|---|---|']
        for k, v in a.items():
            if isinstance(v, dict) and 'median_s' in v:
                lines.append(f"| {k} | {v['median_s'] * 1000:.0f} ms | {v['min_s'] * 1000:.0f}–{v['max_s'] * 1000:.0f} ms |")
        med = a['fx cost --json (1M records, 3 functions)']['median_s']
        lines += ['', f"goal ≤ 1 s: {'met' if med <= 1.0 else 'NOT met'} ({med * 1000:.0f} ms)", '']
    b = r.get('b')
    if b:
        lines += ['(b) a handler\'s print → the line on stdout', '', '| reader | lines | median | p95 | max |',
                  '|---|---|---|---|---|']
        for k, v in b.items():
            if 'skipped' in v:
                lines.append(f"| {k} | skipped: {v['skipped']} | | | |")
            else:
                lines.append(f"| {k} | {v['lines']}/{v['sent']} | {v['median_ms']} ms | {v['p95_ms']} ms | {v['max_ms']} ms |")
        f = b['fx logs -f']
        ok = f['lines'] == f['sent'] and f['max_ms'] is not None and f['p95_ms'] <= 100
        lines += ['', f"goal ≤ 100 ms: {'met' if ok else 'NOT met'} (p95 {f['p95_ms']} ms, max {f['max_ms']} ms)"]
    return '\n'.join(lines) + '\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--fx', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--only', default='ab')
    ap.add_argument('--no-peers', action='store_true')
    ap.add_argument('--keep-work', action='store_true')
    ap.add_argument('--npm-dir', default=os.environ.get('FXBENCH_NPM_DIR', '/tmp/fxbench-npm'))
    ap.add_argument('--records', type=int, default=int(os.environ.get('FXBENCH_COST_RECORDS', 1_000_000)))
    ap.add_argument('--seed-calls', type=int, default=int(os.environ.get('FXBENCH_COST_SEED_CALLS', 100)))
    ap.add_argument('--runs', type=int, default=int(os.environ.get('FXBENCH_COST_RUNS', 10)))
    ap.add_argument('--lines', type=int, default=int(os.environ.get('FXBENCH_LOG_LINES', 50)))
    ap.add_argument('--gap-ms', type=int, default=int(os.environ.get('FXBENCH_LOG_GAP_MS', 100)))
    args = ap.parse_args()
    bench = CostBench(args)
    t0 = time.monotonic()
    try:
        bench.results['machine'] = machine_info()
        bench.setup()
        for k in args.only:
            getattr(bench, f'bench_{k}')()
    finally:
        bench.close()
    bench.results['wall_s'] = round(time.monotonic() - t0, 1)
    out = Path(args.out)
    (out / 'summary.json').write_text(json.dumps(bench.results, indent=2) + '\n')
    md = summary(bench.results)
    (out / 'summary.md').write_text(md)
    print(md)
    print(f"raw results: {out}   (wall time {bench.results['wall_s']} s)")


if __name__ == '__main__':
    main()
