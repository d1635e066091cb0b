#!/usr/bin/env python3
"""fx benchmarks (issue 2, performance): run by bench/run.sh, standard library only.

  (a) warm `fx invoke` end to end as a whole process (hyperfine), beside the AWS CLI and
      the Serverless Framework v3's `serverless invoke local`
  (b) the emulator's overhead per warm invocation: N sequential Invoke API calls on one
      keep-alive connection to a no-op Python handler (bench/lambda_client.c), beside
      serverless-offline's Lambda Invoke API
  (c) cold start: the first invocation after a configuration update, minus a bare
      `python3 -c "import handler"` with the real interpreter

Everything runs on loopback, in a temp dir, with its own FX_HOME; raw results go to --out.
"""
import argparse
import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent

GOALS = {'a': 15.0, 'b': 0.3, 'c': 20.0}  # ms: fx invoke median, overhead, cold overhead


def env_int(name, default):
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        sys.exit(f'bench: {name} must be a number')


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, check=True, **kw):
    kw.setdefault('stdout', subprocess.PIPE)
    kw.setdefault('stderr', subprocess.PIPE)
    kw.setdefault('text', True)
    p = subprocess.run(cmd, **kw)
    if check and p.returncode != 0:
        raise RuntimeError(f'{shlex.join(map(str, cmd))} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}')
    return p


def pct(values, p):
    """Nearest-rank percentile (p in 0..100)."""
    s = sorted(values)
    if not s:
        return float('nan')
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.25)
    return False


class CpuMeter:
    """Whole-machine CPU use (from /proc/stat) between start() and stop(), to show contention."""

    def __init__(self):
        self.a = None

    @staticmethod
    def _read():
        with open('/proc/stat') as f:
            v = [int(x) for x in f.readline().split()[1:]]
        idle = v[3] + v[4]
        return sum(v), idle

    def start(self):
        self.a = self._read()
        self.load = os.getloadavg()[0]
        return self

    def stop(self):
        t, i = self._read()
        dt, di = t - self.a[0], i - self.a[1]
        return {'machine_busy_pct': round(100.0 * (dt - di) / dt, 1) if dt else None,
                'loadavg_1m_before': round(self.load, 2), 'loadavg_1m_after': round(os.getloadavg()[0], 2)}


def proc_cpu_ticks(pid, tid=None):
    path = f'/proc/{pid}/task/{tid}/stat' if tid else f'/proc/{pid}/stat'
    try:
        with open(path) as f:
            s = f.read()
    except OSError:
        return None
    fields = s[s.rindex(')') + 2:].split()
    return int(fields[11]), int(fields[12])  # utime, stime


def emulator_cpu(pid):
    """{thread id: (utime, stime)} for the emulator, and {child pid: (utime, stime)} for its instances."""
    threads, children = {}, {}
    for t in os.listdir(f'/proc/{pid}/task'):
        c = proc_cpu_ticks(pid, t)
        if c:
            threads[t] = c
        try:
            with open(f'/proc/{pid}/task/{t}/children') as f:
                for ch in f.read().split():
                    cc = proc_cpu_ticks(ch)
                    if cc:
                        children[ch] = cc
        except OSError:
            pass
    return threads, children


class Bench:
    def __init__(self, args):
        self.args = args
        self.fx = str(Path(args.fx).resolve())
        self.out = Path(args.out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.work = Path(tempfile.mkdtemp(prefix='fxbench.'))
        self.fx_home = self.work / 'home'
        self.svc = self.work / 'svc'
        self.env = dict(os.environ, FX_HOME=str(self.fx_home), NO_COLOR='1')
        self.real_py = run([sys.executable if args.python is None else args.python, '-c',
                            'import sys;print(sys.executable)']).stdout.strip()
        self.results = {'goals_ms': GOALS}
        self.procs = []  # (Popen) peers we started, stopped in close()
        self.client = self.work / 'lambda_client'
        self.hyperfine = shutil.which('hyperfine')

    # ---------- setup / teardown ----------

    def fxrun(self, *a, cwd=None, check=True):
        return run([self.fx, *a], cwd=cwd or self.svc, env=self.env, check=check)

    def setup(self):
        cc = os.environ.get('CC', 'cc')
        run([cc, '-O2', '-o', str(self.client), str(BENCH_DIR / 'lambda_client.c'), '-lpthread'])
        info = json.loads(self.fxrun('emulator', 'start', '--port', '0', '--json', cwd=self.work).stdout)
        self.url = info['url']
        self.port = int(self.url.rsplit(':', 1)[1])
        self.emu_pid = int(info['pid'])
        # The emulator's token, which its API asks of every caller (bench/lambda_client.c).
        # (An fx from before the token has none: nothing to send.)
        token = self.fx_home / 'token'
        os.environ['FXBENCH_AUTHORIZATION'] = ('Bearer ' + token.read_text().strip()
                                               if token.exists() else '')
        self.fxrun('init', str(self.svc), '--template', 'python', cwd=self.work)
        # A no-op function beside the template's `hello`. It returns {} rather than None:
        # serverless-offline waits forever for a None result (it treats it as "no answer yet").
        (self.svc / 'noop.py').write_text('def handler(event, context):\n    return {}\n')
        with open(self.svc / 'serverless.yaml', 'a') as f:
            f.write('  noop:\n    handler: noop.handler\n')
        self.fxrun('deploy')
        fns = json.loads(self.fxrun('info', '--json').stdout)['functions']
        self.names = {f['function']: f['name'] for f in fns}
        if not {'hello', 'noop'} <= set(self.names):
            raise RuntimeError(f"expected functions hello and noop after deploy, got {sorted(self.names)}: "
                               "has the python template's serverless.yaml stopped ending with `functions:`?")
        for fn in ('hello', 'noop'):
            self.fxrun('invoke', fn, '--data', '{"name":"bench"}')
        self.results['setup'] = {'fx': self.fx, 'emulator_url': self.url, 'functions': self.names,
                                 'python': self.real_py, 'workdir': str(self.work)}

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                    p.wait(timeout=10)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    try:
                        os.killpg(p.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        if getattr(self, 'url', None):
            self.fxrun('emulator', 'stop', cwd=self.work, check=False)
        if not self.args.keep_work:
            shutil.rmtree(self.work, ignore_errors=True)

    # ---------- helpers ----------

    def hyperfine_run(self, name, cmd, runs, warmup, cwd, env, tag):
        """Runs one command under hyperfine (no intermediate shell); returns stats in ms."""
        out = self.out / f'a_{tag}.json'
        p = run([self.hyperfine, '-N', '--warmup', str(warmup), '--runs', str(runs), '--style', 'basic',
                 '--command-name', name, '--export-json', str(out), shlex.join(cmd)],
                cwd=cwd, env=env, check=False)
        (self.out / f'a_{tag}.log').write_text(p.stdout + p.stderr)
        if p.returncode != 0:
            raise RuntimeError(f'hyperfine {name} failed:\n{p.stderr[-2000:]}')
        r = json.loads(out.read_text())['results'][0]
        t = [x * 1000 for x in r['times']]
        return {'command': shlex.join(cmd), 'runs': len(t), 'warmup': warmup,
                'user_cpu_ms': round(r['user'] * 1000, 2), 'system_cpu_ms': round(r['system'] * 1000, 2),
                'median_ms': round(statistics.median(t), 2), 'mean_ms': round(statistics.mean(t), 2),
                'stddev_ms': round(statistics.stdev(t), 2) if len(t) > 1 else 0.0,
                'min_ms': round(min(t), 2), 'p90_ms': round(pct(t, 90), 2), 'max_ms': round(max(t), 2)}

    def client_run(self, port, fn, n, warmup, extra=(), tag=None, floor=None, floor_cwd=None):
        cmd = [str(self.client), str(port), fn, '--n', str(n), '--warmup', str(warmup), *extra]
        if floor:
            cmd += ['--floor-cwd', str(floor_cwd), '--', *floor]
        p = run(cmd)
        rows = []
        for line in p.stdout.splitlines():
            lat, status, rid, dur, init, fl, fl_cpu, inst_cpu = line.split('\t')
            rows.append({'latency_us': float(lat), 'status': int(status), 'request_id': rid,
                         'duration_ms': None if dur == '-' else float(dur),
                         'init_ms': None if init == '-' else float(init),
                         'floor_ms': None if fl == '-' else float(fl) / 1000.0,
                         'floor_cpu_ms': None if fl_cpu == '-' else float(fl_cpu) / 1000.0,
                         'instance_cpu_ms': None if inst_cpu == '-' else float(inst_cpu) / 1000.0})
        if tag:
            (self.out / f'{tag}.tsv').write_text(p.stdout)
        bad = [r for r in rows if r['status'] != 200]
        if bad:
            raise RuntimeError(f'{len(bad)} of {len(rows)} calls to {fn} on :{port} did not answer 200')
        return rows

    @staticmethod
    def latency_stats(rows):
        lat = [r['latency_us'] / 1000.0 for r in rows]
        return {'calls': len(lat), 'median_ms': round(statistics.median(lat), 3),
                'p90_ms': round(pct(lat, 90), 3), 'p99_ms': round(pct(lat, 99), 3),
                'max_ms': round(max(lat), 3), 'mean_ms': round(statistics.mean(lat), 3)}

    @staticmethod
    def with_durations(stats, rows, durations):
        """Adds median REPORT Duration and overhead (median latency - median Duration)."""
        d = [x for x in durations if x is not None]
        stats['durations_matched'] = len(d)
        if not d:
            return stats
        stats['median_duration_ms'] = round(statistics.median(d), 3)
        stats['p99_duration_ms'] = round(pct(d, 99), 3)
        stats['overhead_ms'] = round(stats['median_ms'] - stats['median_duration_ms'], 3)
        paired = [r['latency_us'] / 1000.0 - x for r, x in zip(rows, durations) if x is not None]
        stats['median_paired_overhead_ms'] = round(statistics.median(paired), 3)
        return stats

    # ---------- (a) fx invoke end to end ----------

    def bench_a(self):
        log('(a) warm `fx invoke` end to end (hyperfine)')
        a = {}
        meter = CpuMeter().start()
        payload = '{"name":"bench"}'
        a['fx'] = self.hyperfine_run('fx invoke', [self.fx, 'invoke', 'hello', '--data', payload],
                                     self.args.fx_runs, 5, self.svc, self.env, 'fx')
        a['fx'].update(meter.stop())
        log(f"    fx invoke              median {a['fx']['median_ms']:8.2f} ms")
        # Floors on the same machine at the same time: starting fx at all, and any process.
        a['fx_version'] = self.hyperfine_run('fx --version', [self.fx, '--version'], 50, 5, self.svc, self.env, 'fx_version')
        a['true'] = self.hyperfine_run('true', [shutil.which('true') or '/bin/true'], 50, 5, self.svc, self.env, 'true')
        log(f"    (fx --version {a['fx_version']['median_ms']:.2f} ms, /bin/true {a['true']['median_ms']:.2f} ms)")
        # Where a start-up goes: an empty program linked against fx's shared libraries (what the
        # dynamic loader and the libraries' constructors cost), and one linked against libcurl only.
        for tag, libs in (('libs_floor', self.fx_needed_libs()), ('curl_floor', ['libcurl.so.4'])):
            exe = self.empty_program(tag, libs)
            if exe:
                a[tag] = self.hyperfine_run(tag, [exe], 50, 5, self.svc, self.env, tag)
                a[tag]['libraries'] = libs
                log(f"    (empty program + {', '.join(libs) if len(libs) < 3 else 'the same libraries as fx'}: "
                    f"{a[tag]['median_ms']:.2f} ms, CPU {a[tag]['user_cpu_ms'] + a[tag]['system_cpu_ms']:.2f} ms)")

        aws = self.real_tool('aws')
        if aws and not self.args.no_peers:
            env = dict(self.env, AWS_ACCESS_KEY_ID='x', AWS_SECRET_ACCESS_KEY='x', AWS_DEFAULT_REGION='us-east-1',
                       AWS_EC2_METADATA_DISABLED='true', AWS_PAGER='')
            version = run([aws, '--version'], env=env, check=False)
            version = (version.stdout + version.stderr).strip()
            cmd = [aws, '--endpoint-url', self.url, 'lambda', 'invoke', '--function-name', self.names['hello'],
                   '--payload', payload, str(self.work / 'aws-out.json')]
            if version.startswith('aws-cli/2'):
                cmd[-1:-1] = ['--cli-binary-format', 'raw-in-base64-out']
            t = time.monotonic()
            run(cmd, env=env, cwd=self.svc)
            runs = self.budget_runs(self.args.aws_runs, time.monotonic() - t, self.args.peer_budget_s / 3)
            meter = CpuMeter().start()
            a['aws'] = self.hyperfine_run('aws lambda invoke', cmd, runs, 3, self.svc, env, 'aws')
            a['aws'].update(meter.stop(), version=version)
            a['aws']['ratio_vs_fx'] = round(a['aws']['median_ms'] / a['fx']['median_ms'], 1)
            log(f"    aws lambda invoke      median {a['aws']['median_ms']:8.2f} ms")
        else:
            a['aws'] = {'skipped': 'no aws CLI on PATH' if not aws else '--no-peers'}

        sls = self.sls_bin()
        if sls:
            env = self.sls_env()
            version = run([sls, '--version'], env=env, cwd=self.svc, check=False).stdout.strip().replace('\n', '; ')
            cmd = [sls, 'invoke', 'local', '-f', 'hello', '--data', payload]
            t = time.monotonic()
            probe = run(cmd, env=env, cwd=self.svc, check=False)
            runs = self.budget_runs(self.args.sls_runs, time.monotonic() - t, self.args.peer_budget_s * 2 / 3)
            if probe.returncode != 0 or 'Hello, bench' not in probe.stdout:
                a['sls'] = {'skipped': f'serverless invoke local failed: {(probe.stdout + probe.stderr)[-500:]}'}
            else:
                meter = CpuMeter().start()
                a['sls'] = self.hyperfine_run('serverless invoke local', cmd, runs, 2, self.svc, env, 'sls')
                a['sls'].update(meter.stop(), version=version)
                a['sls']['ratio_vs_fx'] = round(a['sls']['median_ms'] / a['fx']['median_ms'], 1)
                log(f"    serverless invoke local median {a['sls']['median_ms']:8.2f} ms")
        else:
            a['sls'] = {'skipped': self.sls_skip}
        self.results['a_invoke_e2e'] = a

    def fx_needed_libs(self):
        p = run(['readelf', '-d', self.fx], check=False)
        libs = re.findall(r'\(NEEDED\)\s+Shared library: \[([^\]]+)\]', p.stdout)
        return [x for x in libs if not x.startswith(('libc.so', 'libm.so'))]

    def empty_program(self, tag, libs):
        if not libs:
            return None
        src = self.work / 'empty.c'
        src.write_text('int main(void) { return 0; }\n')
        exe = self.work / tag
        p = run([os.environ.get('CC', 'cc'), '-O2', '-o', str(exe), str(src), '-Wl,--no-as-needed',
                 *[f'-l:{x}' for x in libs]], check=False)
        return str(exe) if p.returncode == 0 else None

    def budget_runs(self, wanted, seconds_per_run, budget_s):
        """Peers are slow: cap their runs to a time budget (at least 10), so that a loaded machine
        does not stretch the whole run past a few minutes. The README says how many ran."""
        return max(10, min(wanted, int(budget_s / max(seconds_per_run, 1e-3))))

    def real_tool(self, name):
        """The tool itself rather than pyenv's shim (a bash script that costs ~40 ms a call)."""
        p = Path(self.real_py).parent / name
        if p.exists():
            return str(p)
        return shutil.which(name)

    # ---------- peers from npm ----------

    sls_skip = 'not installed'

    def sls_bin(self):
        if self.args.no_peers:
            self.sls_skip = '--no-peers'
            return None
        if not self.args.npm_dir:
            self.sls_skip = 'no npm dir'
            return None
        b = Path(self.args.npm_dir) / 'node_modules' / '.bin' / 'serverless'
        if b.exists():
            return str(b)
        self.sls_skip = f'serverless@3 not found in {self.args.npm_dir} (run.sh installs it with npm)'
        return None

    def sls_env(self):
        home = self.work / 'sls-home'  # sls writes ~/.serverlessrc: keep it out of the user's home
        home.mkdir(exist_ok=True)
        return dict(self.env, SLS_TELEMETRY_DISABLED='1', SLS_NOTIFICATIONS_MODE='off', SLS_DEPRECATION_DISABLE='*',
                    HOME=str(home), AWS_ACCESS_KEY_ID='x', AWS_SECRET_ACCESS_KEY='x',
                    # the real interpreter first, so python3.11 / python3 are not pyenv's shims
                    PATH=str(Path(self.real_py).parent) + os.pathsep + os.environ.get('PATH', ''))

    def start_offline(self):
        """serverless-offline (with serverless@3) in its own service dir with the same handlers."""
        sls = self.sls_bin()
        if not sls:
            return None, self.sls_skip
        if not (Path(self.args.npm_dir) / 'node_modules' / 'serverless-offline').exists():
            return None, 'serverless-offline not installed'
        peer = self.work / 'peer'
        peer.mkdir(exist_ok=True)
        for f in ('handler.py', 'noop.py'):
            shutil.copy(self.svc / f, peer / f)
        link = peer / 'node_modules'
        if not link.exists():
            link.symlink_to(Path(self.args.npm_dir) / 'node_modules')
        (peer / 'serverless.yml').write_text(
            "service: svc\nframeworkVersion: '3'\nprovider:\n  name: aws\n  runtime: python3.11\n"
            "  stage: dev\n  region: us-east-1\nplugins:\n  - serverless-offline\nfunctions:\n"
            "  hello:\n    handler: handler.lambda_handler\n  noop:\n    handler: noop.handler\n")
        port = free_port()
        ports = ['--lambdaPort', str(port), '--httpPort', str(free_port()),
                 '--websocketPort', str(free_port()), '--albPort', str(free_port())]
        logf = open(self.out / 'b_offline_server.log', 'w')
        p = subprocess.Popen([sls, 'offline', 'start', *ports], cwd=peer, env=self.sls_env(),
                             stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(p)
        if not wait_port(port, p, 120):
            return None, f'serverless-offline did not come up (see {logf.name})'
        return (p, port, Path(logf.name)), None

    # ---------- (b) warm overhead ----------

    def bench_b(self):
        n, warmup = self.args.warm_n, self.args.warm_warmup
        log(f'(b) warm Invoke API: {n} sequential calls on one keep-alive connection (no-op handler)')
        b = {}
        fn = self.names['noop']
        info0 = self.fn_info('noop')
        cpu0 = emulator_cpu(self.emu_pid)
        meter = CpuMeter().start()
        rows = self.client_run(self.port, fn, n, warmup, tag='b_fx')
        contention = meter.stop()
        cpu1 = emulator_cpu(self.emu_pid)
        info1 = self.fn_info('noop')
        # The handler's own time: REPORT lines from `fx logs`, joined on the request id.
        logs = self.fxrun('logs', 'noop', '--json', '--filter', 'REPORT', '--tail', str(n + warmup + 50)).stdout
        (self.out / 'b_fx_reports.jsonl').write_text(logs)
        dur = {}
        for line in logs.splitlines():
            j = json.loads(line)
            m = re.search(r'\tDuration: ([\d.]+) ms', j['message'])
            if m:
                dur[j['request_id']] = float(m.group(1))
        st = self.with_durations(self.latency_stats(rows), rows, [dur.get(r['request_id']) for r in rows])
        st.update(contention)
        st['instances_started_during_run'] = info1['cold_starts'] - info0['cold_starts']
        st['cpu_ms_per_call'] = self.cpu_breakdown(cpu0, cpu1, len(rows) + warmup)
        b['fx'] = st
        log(f"    fx emulator            median {st['median_ms']:.3f} ms, p99 {st['p99_ms']:.3f} ms, "
            f"Duration {st.get('median_duration_ms')} ms, overhead {st.get('overhead_ms')} ms")

        rows = self.client_run(0, 'x', n, warmup, extra=['--baseline'], tag='b_baseline')
        b['baseline'] = self.latency_stats(rows)
        log(f"    client+loopback floor  median {b['baseline']['median_ms']:.3f} ms")

        started, why = self.start_offline()
        if started:
            p, port, logpath = started
            meter = CpuMeter().start()
            rows = self.client_run(port, fn, n, warmup, tag='b_offline')
            contention = meter.stop()
            time.sleep(0.3)  # let it flush its log
            text = logpath.read_text(errors='replace')
            d = [float(x) for x in re.findall(r'\(λ: noop\) RequestId: \S+\s+Duration: ([\d.]+) ms', text)]
            d = d[-len(rows):] if len(d) >= len(rows) else [None] * len(rows)
            st = self.with_durations(self.latency_stats(rows), rows, d)
            st.update(contention)
            st['version'] = run([self.sls_bin(), '--version'], env=self.sls_env(), check=False).stdout.strip().replace('\n', '; ')
            offline_pkg = Path(self.args.npm_dir) / 'node_modules' / 'serverless-offline' / 'package.json'
            st['version'] += '; serverless-offline ' + json.loads(offline_pkg.read_text())['version']
            if 'overhead_ms' in b['fx'] and 'overhead_ms' in st:
                st['latency_ratio_vs_fx'] = round(st['median_ms'] / b['fx']['median_ms'], 2)
            b['serverless_offline'] = st
            log(f"    serverless-offline     median {st['median_ms']:.3f} ms, p99 {st['p99_ms']:.3f} ms, "
                f"Duration {st.get('median_duration_ms')} ms, overhead {st.get('overhead_ms')} ms")
            os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        else:
            b['serverless_offline'] = {'skipped': why}
        self.results['b_warm_overhead'] = b

    def fn_info(self, key):
        for f in json.loads(self.fxrun('info', '--json').stdout)['functions']:
            if f['function'] == key:
                return f
        raise RuntimeError(f'fx info does not list {key}')

    @staticmethod
    def cpu_breakdown(before, after, calls):
        tick_ms = 1000.0 / os.sysconf('SC_CLK_TCK')
        (t0, c0), (t1, c1) = before, after
        out = {}
        for i, (tid, (u, s)) in enumerate(sorted(t1.items(), key=lambda kv: int(kv[0]))):
            u0, s0 = t0.get(tid, (0, 0))
            name = 'emulator_main_thread' if i == 0 else f'emulator_thread_{tid}'
            used = ((u - u0) + (s - s0)) * tick_ms / calls
            if used > 0 or i == 0:
                out[name] = round(used, 4)
                out[name + '_kernel_share'] = round((s - s0) / max(1, (u - u0) + (s - s0)), 2)
        inst = 0.0
        for pid, (u, s) in c1.items():
            u0, s0 = c0.get(pid, (0, 0))
            inst += ((u - u0) + (s - s0)) * tick_ms
        out['instances'] = round(inst / calls, 4)
        return out

    # ---------- (c) cold start ----------

    def bench_c(self):
        n = self.args.cold_n
        log(f'(c) cold start: first call after a configuration update, {n} times')
        c = {}
        fn = self.names['hello']
        py = self.real_py
        # Each repetition: update the configuration (retires the instance), run the floor — the
        # same interpreter importing the same handler, nothing else — then, after a pause, time
        # the first call on the already-open connection. Interleaving keeps both under the same
        # machine load, which matters on a shared machine.
        rows = self.client_run(self.port, fn, n, 1,
                               extra=['--cold', '--tail', '--pause-ms', '150', '--data', '{"name":"bench"}',
                                      '--instances-of', str(self.emu_pid)],
                               tag='c_fx', floor=[py, '-c', 'import handler'], floor_cwd=self.svc)
        st = self.latency_stats(rows)
        init = [r['init_ms'] for r in rows if r['init_ms'] is not None]
        dur = [r['duration_ms'] for r in rows if r['duration_ms'] is not None]
        floor = [r['floor_ms'] for r in rows]
        st['cold_calls_with_init'] = len(init)
        st['median_import_handler_ms'] = round(statistics.median(floor), 2)
        st['cold_overhead_ms'] = round(st['median_ms'] - st['median_import_handler_ms'], 2)
        st['median_paired_overhead_ms'] = round(statistics.median(
            [r['latency_us'] / 1000.0 - r['floor_ms'] for r in rows]), 2)
        if init:
            st['median_init_ms'] = round(statistics.median(init), 2)
            st['p90_init_ms'] = round(pct(init, 90), 2)
            st['init_minus_import_ms'] = round(st['median_init_ms'] - st['median_import_handler_ms'], 2)
            st['median_latency_minus_init_ms'] = round(statistics.median(
                [r['latency_us'] / 1000.0 - r['init_ms'] for r in rows if r['init_ms'] is not None]), 2)
        if dur:
            st['median_duration_ms'] = round(statistics.median(dur), 2)
        # CPU time, which contention from other work inflates far less than wall time: the new
        # instance's (its whole init plus the call, from /proc/N/schedstat) against the bare
        # import's (user + system, which also includes the interpreter's exit).
        icpu = [r['instance_cpu_ms'] for r in rows if r['instance_cpu_ms'] is not None]
        fcpu = [r['floor_cpu_ms'] for r in rows if r['floor_cpu_ms'] is not None]
        if icpu and fcpu:
            st['median_instance_cpu_ms'] = round(statistics.median(icpu), 2)
            st['median_import_handler_cpu_ms'] = round(statistics.median(fcpu), 2)
        c['fx'] = st

        # Where an interpreter's start-up goes, for the breakdown (not part of the goal).
        shim_dir = self.fx_home / 'runtimes' / 'python'
        floors = {
            'python_bare': ([py, '-c', 'pass'], self.svc),
            'python_no_site': ([py, '-S', '-c', 'pass'], self.svc),
        }
        if (shim_dir / '_fx_runtime.py').exists():
            floors['python_import_fx_shim'] = ([py, '-c', 'import _fx_runtime'], shim_dir)
        for tag, (cmd, cwd) in floors.items():
            c[tag] = self.hyperfine_run(tag, cmd, self.args.import_runs, 3, cwd, self.env, 'c_' + tag)
        log(f"    first call median {st['median_ms']:.2f} ms (Init Duration {st.get('median_init_ms')} ms), "
            f"bare import {st['median_import_handler_ms']:.2f} ms, overhead {st['cold_overhead_ms']:.2f} ms "
            f"(paired {st['median_paired_overhead_ms']:.2f} ms)")
        self.results['c_cold_start'] = c


@contextlib.contextmanager
def deployed_service(fx, prefix, files, deploy_args=()):
    """A fresh emulator (its own FX_HOME in a temp dir) with one service deployed from `files`
    ({name: text}); yields (emulator info from `fx emulator start --json`, env, the service's
    dir, the `fx deploy` process). The emulator is stopped however the block ends."""
    work = Path(tempfile.mkdtemp(prefix=f'fxbench-{prefix}.'))
    env = dict(os.environ, FX_HOME=str(work / 'home'), NO_COLOR='1')
    fx = str(Path(fx).resolve())
    info = json.loads(run([fx, 'emulator', 'start', '--port', '0', '--json'], env=env, cwd=work).stdout)
    svc = work / 'svc'
    svc.mkdir()
    for name, text in files.items():
        (svc / name).write_text(text)
    try:
        deployed = run([fx, 'deploy', *deploy_args], cwd=svc, env=env)
        yield info, env, svc, deployed
    finally:
        run([fx, 'emulator', 'stop'], env=env, cwd=work, check=False)


def machine_info():
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
        except Exception as e:  # noqa: BLE001 - informational only
            return f'({e})'
    return {
        'date_utc': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
        'cpu': sh("lscpu | sed -n 's/^Model name:[ \\t]*//p'"),
        'lscpu': sh('lscpu'),
        'nproc': sh('nproc'),
        'memory': sh('free -h'),
        'kernel': sh('uname -r'),
        'debian': sh('cat /etc/debian_version'),
        'python': sh('python3 --version'),
        'node': sh('node --version'),
        'hyperfine': sh('hyperfine --version'),
        'loadavg': sh('cat /proc/loadavg'),
    }


def fmt(v, unit=' ms', nd=2):
    return '—' if v is None else f'{v:.{nd}f}{unit}'


def goal_text(value, goal):
    if value is None:
        return 'n/a'
    return f"{'met' if value <= goal else 'NOT met'} (≤ {goal:g} ms)"


def summary_markdown(r):
    lines = ['| benchmark | fx | peers (ratio peer / fx) | goal |', '|---|---|---|---|']
    a = r.get('a_invoke_e2e')
    if a:
        peers = []
        for k, label in (('aws', 'aws lambda invoke'), ('sls', 'serverless invoke local')):
            p = a.get(k, {})
            peers.append(f"{label}: {fmt(p.get('median_ms'))} (×{p['ratio_vs_fx']}, {p['runs']} runs)" if 'median_ms' in p
                         else f"{label}: skipped ({p.get('skipped')})")
        floors = ''
        if 'fx_version' in a:
            floors = f"; floors: `fx --version` {fmt(a['fx_version']['median_ms'])}, `/bin/true` {fmt(a['true']['median_ms'])}"
        if 'libs_floor' in a:
            floors += f", empty program with fx's libraries {fmt(a['libs_floor']['median_ms'])}"
        lines.append(f"| (a) warm `fx invoke`, whole process, median of {a['fx']['runs']} | "
                     f"{fmt(a['fx']['median_ms'])} (p90 {fmt(a['fx']['p90_ms'])}; CPU {fmt(a['fx']['user_cpu_ms'] + a['fx']['system_cpu_ms'])}"
                     f"{floors}) | {'; '.join(peers)} | "
                     f"{goal_text(a['fx']['median_ms'], GOALS['a'])} |")
    b = r.get('b_warm_overhead')
    if b:
        f = b['fx']
        o = b.get('serverless_offline', {})
        peer = (f"serverless-offline: median {fmt(o['median_ms'], nd=3)}, p99 {fmt(o['p99_ms'], nd=3)}, "
                f"Duration {fmt(o.get('median_duration_ms'), nd=3)}, overhead {fmt(o.get('overhead_ms'), nd=3)} "
                f"(latency ×{o.get('latency_ratio_vs_fx')})" if 'median_ms' in o else f"serverless-offline: skipped ({o.get('skipped')})")
        lines.append(f"| (b) warm Invoke API, {f['calls']} calls on one connection, no-op handler: latency median / p99; "
                     f"REPORT Duration median; overhead = difference | {fmt(f['median_ms'], nd=3)} / {fmt(f['p99_ms'], nd=3)}; "
                     f"Duration {fmt(f.get('median_duration_ms'), nd=3)}; **overhead {fmt(f.get('overhead_ms'), nd=3)}** "
                     f"(client+loopback floor {fmt(b['baseline']['median_ms'], nd=3)}) | {peer} | "
                     f"{goal_text(f.get('overhead_ms'), GOALS['b'])} |")
    c = r.get('c_cold_start')
    if c:
        f = c['fx']
        lines.append(f"| (c) cold start: first call after an update (median of {f['calls']}) − bare "
                     f"`python3 -c 'import handler'` | {fmt(f['median_ms'])} − {fmt(f['median_import_handler_ms'])} = "
                     f"**{fmt(f['cold_overhead_ms'])}** (paired {fmt(f['median_paired_overhead_ms'])}; Init Duration "
                     f"{fmt(f.get('median_init_ms'))}; CPU: new instance {fmt(f.get('median_instance_cpu_ms'))} vs bare import "
                     f"{fmt(f.get('median_import_handler_cpu_ms'))}) | — | "
                     f"{goal_text(f['cold_overhead_ms'], GOALS['c'])} |")
    return '\n'.join(lines) + '\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--fx', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--only', default='abc', help='which benchmarks: any of a, b, c (default abc)')
    ap.add_argument('--no-peers', action='store_true', help='skip the AWS CLI and Serverless Framework peers')
    ap.add_argument('--npm-dir', default=os.environ.get('FXBENCH_NPM_DIR', ''))
    ap.add_argument('--python', default=None, help='the python3 whose real interpreter is measured')
    ap.add_argument('--keep-work', action='store_true')
    ap.add_argument('--fx-runs', type=int, default=env_int('FXBENCH_FX_RUNS', 100))
    ap.add_argument('--aws-runs', type=int, default=env_int('FXBENCH_AWS_RUNS', 30))
    ap.add_argument('--sls-runs', type=int, default=env_int('FXBENCH_SLS_RUNS', 30))
    ap.add_argument('--warm-n', type=int, default=env_int('FXBENCH_WARM_N', 2000))
    ap.add_argument('--warm-warmup', type=int, default=env_int('FXBENCH_WARM_WARMUP', 100))
    ap.add_argument('--cold-n', type=int, default=env_int('FXBENCH_COLD_N', 15))
    ap.add_argument('--import-runs', type=int, default=env_int('FXBENCH_IMPORT_RUNS', 15))
    ap.add_argument('--peer-budget-s', type=float, default=env_int('FXBENCH_PEER_BUDGET_S', 150),
                    help='seconds the AWS CLI and serverless invoke local may take in (a), together')
    args = ap.parse_args()

    if not args.only or set(args.only) - set('abc'):
        ap.error('--only takes any of the letters a, b, c')
    bench = Bench(args)
    t0 = time.monotonic()
    out = Path(args.out)
    try:
        bench.results['machine'] = machine_info()
        bench.setup()
        for k in args.only:
            getattr(bench, f'bench_{k}')()
    except BaseException as e:
        bench.results['error'] = f'{type(e).__name__}: {e}'
        (out / 'summary.json').write_text(json.dumps(bench.results, indent=2) + '\n')
        raise
    finally:
        bench.close()
    bench.results['wall_s'] = round(time.monotonic() - t0, 1)
    (out / 'summary.json').write_text(json.dumps(bench.results, indent=2) + '\n')
    md = summary_markdown(bench.results)
    (out / 'summary.md').write_text(md)
    print(md)
    print(f"raw results: {out}   (wall time {bench.results['wall_s']} s)")


if __name__ == '__main__':
    main()
