"""fx benchmark for issue 6: autonomic scaling and what an instance costs in memory.

(a) wrk -t2 -c100 -d30s through the gateway against a Python function that sleeps 50 ms,
    with reservedConcurrency: 100, starting from zero instances: errors (must be none),
    throughput against the ideal 100 / 50 ms = 2,000 req/s, and the time from the first
    request until 100 instances are up (the emulator's status, polled every 10 ms).
(b) Memory of each idle warm instance over the runtime's own bare interpreter, Python and
    Node: RSS and PSS from /proc, medians over the instances, beside a bare `python3` / `node`
    process waiting on stdin (the least either runtime can be).
(c) The emulator's own memory (RSS and anonymous RSS) before the deploy and with the 100
    idle instances of (a).
Standard library + wrk; results in bench/results/scaling-<UTC time>/.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import log, machine_info, run  # noqa: E402
from gateway.gateway import wrk  # noqa: E402

MANIFEST = """\
service: scalebench
provider:
  name: aws
  runtime: python3.11
functions:
  sleep:
    handler: app.sleep
    reservedConcurrency: 100
    events:
      - httpApi: 'GET /sleep'
  node:
    handler: app_node.hello
    runtime: nodejs20.x
"""
PY = 'import time\n\ndef sleep(event, context):\n    time.sleep(0.05)\n    return {"statusCode": 200, "body": "ok"}\n'
JS = 'exports.hello = async () => "hello";\n'


def memory_kb(pid):
    """(RSS, PSS, anonymous RSS) in kB."""
    with open(f'/proc/{pid}/status') as f:
        status = f.read()
    rss = int(re.search(r'VmRSS:\s+(\d+)', status).group(1))
    anon = int(re.search(r'RssAnon:\s+(\d+)', status).group(1))
    with open(f'/proc/{pid}/smaps_rollup') as f:
        pss = int(re.search(r'^Pss:\s+(\d+)', f.read(), re.M).group(1))
    return rss, pss, anon


def children(pid):
    out = []
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open(f'/proc/{entry}/stat') as f:
                    fields = f.read().rsplit(')', 1)[1].split()
                if int(fields[1]) == pid:
                    out.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return out


def cmdline(pid):
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as f:
            return f.read().replace(b'\0', b' ').decode(errors='replace')
    except OSError:
        return ''


def bare(argv):
    """A runtime doing nothing: its memory once settled."""
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    time.sleep(1.0)
    m = memory_kb(p.pid)
    p.kill()
    p.wait()
    return m


class ScalingBench:
    def __init__(self, args):
        self.args = args
        self.fx = str(Path(args.fx).resolve())
        self.out = Path(args.out)
        self.work = Path(tempfile.mkdtemp(prefix='fxbench-scale.'))
        self.env = dict(os.environ, FX_HOME=str(self.work / 'home'), NO_COLOR='1')
        self.results = {'goals': {'throughput_fraction': 0.8, 'python_idle_over_bare_mb': 2.0}}

    def status(self):
        token = (self.work / 'home' / 'token').read_text().strip()
        req = urllib.request.Request(f'{self.url}/_fx/v1/status', headers={'Authorization': f'Bearer {token}'})
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read())

    def run(self):
        info = json.loads(run([self.fx, 'emulator', 'start', '--port', '0', '--json'], env=self.env,
                              cwd=self.work).stdout)
        self.pid, self.url, gw = info['pid'], info['url'], info['gateway_url']
        time.sleep(0.5)
        emu_before = memory_kb(self.pid)
        svc = self.work / 'svc'
        svc.mkdir()
        (svc / 'serverless.yml').write_text(MANIFEST)
        (svc / 'app.py').write_text(PY)
        (svc / 'app_node.js').write_text(JS)
        run([self.fx, 'deploy'], cwd=svc, env=self.env)
        assert self.status()['instances'] == 0

        # (a) From zero, 100 connections: when are 100 instances up?
        scale = {}

        def watch():
            t0 = time.monotonic()
            while time.monotonic() - t0 < 60:
                n = self.status()['instances']
                if n >= 1 and 'first_ms' not in scale:
                    scale['first_ms'] = (time.monotonic() - t0) * 1000
                if n >= 100:
                    scale['hundred_ms'] = (time.monotonic() - t0) * 1000
                    return
                time.sleep(0.01)

        w = threading.Thread(target=watch)
        w.start()
        load = wrk(f'{gw}/sleep', self.args.duration, conns=100, out=self.out / 'wrk_sleep.txt')
        w.join()
        st = self.status()
        fn = next(f for f in st['functions'] if f['name'].endswith('-sleep'))
        load.update(ideal_rps=2000, fraction=round(load['rps'] / 2000, 3), instances=fn['idle'] + fn['busy'],
                    cold_starts=fn['cold_starts'], throttles=fn['throttles'], errors=fn['errors'],
                    time_to_100_instances_ms=round(scale.get('hundred_ms', -1)),
                    time_to_first_instance_ms=round(scale.get('first_ms', -1)))
        self.results['load'] = load
        log(f"(a) {load['rps']} req/s of 2000 ({load['fraction']:.0%}), p99 {load['p99_ms']} ms, "
            f"non-2xx {load['non_2xx']}, socket errors {load['socket_errors']}, {load['instances']} instances, "
            f"100 instances after {load['time_to_100_instances_ms']} ms")

        # (c) The emulator with 100 idle instances.
        time.sleep(1.0)
        emu_idle = memory_kb(self.pid)
        self.results['emulator'] = {'before_rss_kb': emu_before[0], 'before_anon_kb': emu_before[2],
                                    'idle100_rss_kb': emu_idle[0], 'idle100_anon_kb': emu_idle[2],
                                    'instances': self.status()['instances']}
        log(f"(c) emulator RSS {emu_before[0] / 1024:.1f} MB -> {emu_idle[0] / 1024:.1f} MB "
            f"(anonymous {emu_before[2] / 1024:.1f} -> {emu_idle[2] / 1024:.1f} MB) with "
            f"{self.results['emulator']['instances']} idle instances")

        # (b) Memory per idle instance against the bare interpreter.
        run([self.fx, 'invoke', 'node'], cwd=svc, env=self.env)
        time.sleep(1.0)
        per = {'python': [], 'node': []}
        for child in children(self.pid):
            c = cmdline(child)
            kind = 'python' if 'python' in c else 'node' if 'node' in c else None
            if kind:
                per[kind].append(memory_kb(child))
        mem = {}
        for kind, argv in (('python', ['python3', '-c', 'import sys; sys.stdin.read()']),
                           ('node', ['node', '-e', 'process.stdin.resume()'])):
            b = bare(argv)
            rss = statistics.median(m[0] for m in per[kind])
            pss = statistics.median(m[1] for m in per[kind])
            mem[kind] = {'instances': len(per[kind]), 'instance_rss_kb': rss, 'instance_pss_kb': pss,
                         'bare_rss_kb': b[0], 'bare_pss_kb': b[1],
                         'over_bare_rss_mb': round((rss - b[0]) / 1024, 2),
                         'over_bare_pss_mb': round((pss - b[1]) / 1024, 2)}
            log(f"(b) {kind}: idle instance RSS {rss / 1024:.1f} MB (PSS {pss / 1024:.1f}) over {len(per[kind])} "
                f"instances; bare interpreter RSS {b[0] / 1024:.1f} MB (PSS {b[1] / 1024:.1f}); "
                f"over bare: {mem[kind]['over_bare_rss_mb']} MB RSS, {mem[kind]['over_bare_pss_mb']} MB PSS")
        self.results['instance_memory'] = mem

    def close(self):
        run([self.fx, 'emulator', 'stop'], cwd=self.work, env=self.env, check=False)
        shutil.rmtree(self.work, ignore_errors=True)


def summary(r):
    a, e, m = r['load'], r['emulator'], r['instance_memory']
    lines = [
        '| measure | result | goal |', '|---|---|---|',
        f"| (a) throughput, 100 connections × {r['duration']}, 50 ms handler | {a['rps']:,} req/s = "
        f"{a['fraction']:.0%} of 2,000 | ≥ 80% |",
        f"| (a) errors (non-2xx, socket, function) | {a['non_2xx']}, {a['socket_errors'] or 0}, {a['errors']} | 0 |",
        f"| (a) latency p50 / p99 | {a['p50_ms']:.1f} / {a['p99_ms']:.1f} ms | |",
        f"| (a) zero → 100 instances | {a['time_to_100_instances_ms']:,} ms ({a['cold_starts']} cold starts) | |",
        f"| (b) Python idle instance over bare `python3` | {m['python']['over_bare_rss_mb']:.2f} MB RSS, "
        f"{m['python']['over_bare_pss_mb']:.2f} MB PSS | ≤ 2 MB |",
        f"| (b) Node idle instance over bare `node` | {m['node']['over_bare_rss_mb']:.2f} MB RSS, "
        f"{m['node']['over_bare_pss_mb']:.2f} MB PSS | |",
        f"| (c) emulator RSS, no instance → 100 idle | {e['before_rss_kb'] / 1024:.1f} → {e['idle100_rss_kb'] / 1024:.1f} MB "
        f"(anonymous {e['before_anon_kb'] / 1024:.1f} → {e['idle100_anon_kb'] / 1024:.1f} MB) | |",
    ]
    return '\n'.join(lines) + '\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--fx', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--duration', default=os.environ.get('FXBENCH_SCALE_DURATION', '30s'))
    args = ap.parse_args()
    b = ScalingBench(args)
    b.results['machine'] = machine_info()
    b.results['duration'] = args.duration
    try:
        b.run()
    finally:
        b.close()
    (b.out / 'results.json').write_text(json.dumps(b.results, indent=2))
    text = summary(b.results)
    (b.out / 'summary.md').write_text(text)
    print(text)


if __name__ == '__main__':
    main()
