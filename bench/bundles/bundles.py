#!/usr/bin/env python3
"""fx benchmarks for issue 3 (minimal bundles): run by bench/bundles.sh, standard library only.

  (a) a Node function that requires lodash, moment and axios (npm-installed into a scratch
      service): `fx package` uncached (.fx/ deleted before each run) and cached, beside the
      Serverless Framework v3's `serverless package` and `esbuild --bundle --minify
      --platform=node` of the handler; zip bytes, file counts, packaging time (hyperfine);
      then `fx deploy` + `fx invoke` of fx's bundle on a local emulator
  (b) a Python function doing `from botocore import exceptions`, with botocore copied from the
      local Python into vendor/ (custom.fx.pythonPath: vendor), deployed twice, minimized (the
      default) and `minify: false`: Init Duration of the first call after a configuration
      update (which retires every instance), the two alternating

Everything runs in a temp dir with its own FX_HOME and emulator on loopback; raw results go
to --out.
"""
import argparse
import hashlib
import json
import os
import re
import resource
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

GOALS = {
    'zip_ratio_min': 4.0,         # serverless package's zip / fx's zip
    'speed_ratio_min': 20.0,      # serverless package's time / fx package's (uncached) time
    'cached_max_ms': 100.0,       # a cached fx package
    'cold_reduction_min': 0.30,   # 1 - Init(minimized) / Init(minify: false)
}

NODE_PACKAGES = ['lodash', 'moment', 'axios']

NODE_HANDLER = """\
'use strict';
// Uses all three packages; axios only builds an instance (no network).
const _ = require('lodash');
const moment = require('moment');
const axios = require('axios');

const client = axios.create({ baseURL: 'http://127.0.0.1:9', timeout: 1000,
                              headers: { 'X-Bench': 'fx' } });

module.exports.hello = async (event) => {
  const sums = _.chunk(_.range(10), 3).map((c) => _.sum(c));
  const when = moment.utc('2024-02-29T12:00:00Z').add(1, 'year').format('YYYY-MM-DD');
  return {
    statusCode: 200,
    body: JSON.stringify({
      sums,
      when,
      axios: { baseURL: client.defaults.baseURL, timeout: client.defaults.timeout,
               version: axios.VERSION, isAxiosError: axios.isAxiosError(new Error('x')) },
      name: (event && event.name) || 'world',
    }),
  };
};
"""
NODE_EXPECTED = {'sums': [3, 12, 21, 9], 'when': '2025-02-28', 'name': 'bench'}

NODE_MANIFEST = """\
service: fxb3node
frameworkVersion: '3'
provider:
  name: aws
  runtime: nodejs20.x
  stage: dev
  region: us-east-1
functions:
  hello:
    handler: handler.hello
"""

# Two Python handlers, both a small part of botocore (FXBENCH_PY_IMPORT picks one):
#   session     what a real function does: a botocore session (73 botocore modules)
#   exceptions  the lightest use: one exception class (8 botocore modules)
PY_IMPORTS = {
    'session': ('import botocore.session', """\
import botocore.session


def handler(event, context):
    session = botocore.session.get_session()
    return {"region": session.get_config_variable("region"), "module": botocore.session.__name__}
"""),
    'exceptions': ('from botocore import exceptions', """\
from botocore import exceptions


def handler(event, context):
    err = exceptions.NoRegionError()
    return {"error": type(err).__name__, "message": str(err), "module": exceptions.__name__}
"""),
}
PY_IMPORT = os.environ.get('FXBENCH_PY_IMPORT', 'session')
if PY_IMPORT not in PY_IMPORTS:
    sys.exit(f"FXBENCH_PY_IMPORT must be one of {', '.join(PY_IMPORTS)}")
PY_IMPORT_STMT, PY_HANDLER = PY_IMPORTS[PY_IMPORT]

PY_MANIFEST = """\
service: fxb3py{variant}
provider:
  name: aws
  runtime: {runtime}
  stage: dev
  region: us-east-1
functions:
  cold:
    handler: handler.handler
custom:
  fx:
    pythonPath: vendor
    minify: {minify}
{patterns}"""

# The three Python bundles: (key, label, minify, extra manifest lines). `minify: false` ships
# the files as they are, like `serverless package`: no bytecode, so on a read-only task root
# (Lambda's, and the emulator's) every imported module is compiled at each cold start. The
# third bundle is that full tree plus fx's bytecode: the same files as `minify: false`, so it
# tells apart what dropping files does from what shipping bytecode does.
PY_VARIANTS = [
    ('min', 'minimized', 'true', ''),
    ('full', '`minify: false`', 'false', ''),
    ('fullpyc', '`minify: false` + `bytecode: true`', 'false', '    bytecode: true\n'),
]
PY_LABELS = {k: label for k, label, _, _ in PY_VARIANTS}


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
    p = subprocess.run([str(c) for c in cmd], **kw)
    if check and p.returncode != 0:
        raise RuntimeError(f'{shlex.join(map(str, cmd))} failed ({p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}')
    return p


def med(values):
    v = [x for x in values if x is not None]
    return round(statistics.median(v), 2) if v else None


def psi_cpu():
    try:
        with open('/proc/pressure/cpu') as f:
            return float(re.search(r'avg10=([\d.]+)', f.readline()).group(1))
    except (OSError, AttributeError):
        return None


class CpuMeter:
    """Whole-machine CPU use (/proc/stat), load average and CPU pressure over a phase."""

    @staticmethod
    def _read():
        with open('/proc/stat') as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v), v[3] + v[4]

    def start(self):
        self.a = self._read()
        self.load = os.getloadavg()[0]
        self.psi = psi_cpu()
        return self

    def stop(self):
        t, i = self._read()
        dt, di = t - self.a[0], i - self.a[1]
        return {'machine_busy_pct': round(100.0 * (dt - di) / dt, 1) if dt else None,
                'loadavg_1m_before': round(self.load, 2), 'loadavg_1m_after': round(os.getloadavg()[0], 2),
                'cpu_psi_some_avg10_before': self.psi, 'cpu_psi_some_avg10_after': psi_cpu()}


def zip_stats(path):
    with zipfile.ZipFile(path) as z:
        infos = [i for i in z.infolist() if not i.is_dir()]
    return {'zip_bytes': os.path.getsize(path), 'files': len(infos),
            'bytes_uncompressed': sum(i.file_size for i in infos), 'names': [i.filename for i in infos],
            'sizes': [i.file_size for i in infos]}


def by_top(names, sizes, depth):
    """Files and bytes per leading path (node_modules/<pkg>, or the first folder)."""
    out = {}
    for n, s in zip(names, sizes):
        parts = n.split('/')
        if parts[0] == 'node_modules' and len(parts) > 2:
            key = '/'.join(parts[:3] if parts[1].startswith('@') else parts[:2])
        else:
            key = '/'.join(parts[:depth]) if len(parts) > depth else parts[0] if len(parts) > 1 else '(root)'
        f, b = out.get(key, (0, 0))
        out[key] = (f + 1, b + s)
    return {k: {'files': f, 'bytes': b} for k, (f, b) in sorted(out.items(), key=lambda kv: -kv[1][1])}


class Bench:
    def __init__(self, args):
        self.args = args
        self.out = Path(args.out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.work = Path(tempfile.mkdtemp(prefix='fxbench-bundles.'))
        # A private copy of the binary: on a shared machine the build dir may be relinked
        # while this runs (it happened), which would break the run half-way.
        self.fx_src = str(Path(args.fx).resolve())
        (self.work / 'bin').mkdir()
        self.fx = str(self.work / 'bin' / 'fx')
        shutil.copy2(self.fx_src, self.fx)
        with open(self.fx, 'rb') as f:
            self.fx_sha256 = hashlib.sha256(f.read()).hexdigest()
        self.fx_home = self.work / 'home'
        self.env = dict(os.environ, FX_HOME=str(self.fx_home), NO_COLOR='1')
        # The real interpreter, not pyenv's shim in front of it (a bash script: ~40 ms a call).
        self.real_py = run([sys.executable, '-c', 'import sys;print(sys.executable)']).stdout.strip()
        self.results = {'goals': GOALS}
        self.url = None
        self.hyperfine = shutil.which('hyperfine')
        self.npm_dir = Path(args.npm_dir) if args.npm_dir else None

    # ---------- helpers ----------

    def fxrun(self, *a, cwd, check=True):
        return run([self.fx, *a], cwd=cwd, env=self.env, check=check)

    def fx_json(self, *a, cwd):
        return json.loads(self.fxrun(*a, '--json', cwd=cwd).stdout)

    def hyperfine_run(self, name, cmd, runs, warmup, cwd, env, tag, prepare=None):
        """One command under hyperfine, no shell in between; stats in ms, plus the machine's load."""
        out = self.out / f'{tag}.json'
        hf = [self.hyperfine, '-N', '--warmup', str(warmup), '--runs', str(runs), '--style', 'basic',
              '--command-name', name, '--export-json', str(out)]
        if prepare:
            hf += ['--prepare', prepare]
        meter = CpuMeter().start()
        p = run([*hf, shlex.join(map(str, cmd))], cwd=cwd, env=env, check=False)
        load = meter.stop()
        (self.out / f'{tag}.log').write_text(p.stdout + p.stderr)
        if p.returncode != 0:
            raise RuntimeError(f'hyperfine {name} failed:\n{p.stderr[-2000:]}')
        r = json.loads(out.read_text())['results'][0]
        t = [x * 1000 for x in r['times']]
        st = {'command': shlex.join(map(str, cmd)), 'prepare': prepare, 'runs': len(t), 'warmup': warmup,
              'median_ms': round(statistics.median(t), 2), 'mean_ms': round(statistics.mean(t), 2),
              'min_ms': round(min(t), 2), 'max_ms': round(max(t), 2),
              'stddev_ms': round(statistics.stdev(t), 2) if len(t) > 1 else 0.0,
              'cpu_ms': round((r['user'] + r['system']) * 1000, 2),
              'user_cpu_ms': round(r['user'] * 1000, 2), 'system_cpu_ms': round(r['system'] * 1000, 2)}
        st.update(load)
        log(f"    {name:34s} median {st['median_ms']:9.1f} ms  [{st['min_ms']:.1f}–{st['max_ms']:.1f}]  "
            f"CPU {st['cpu_ms']:.1f} ms  ({len(t)} runs; machine {load['machine_busy_pct']} % busy, "
            f"load {load['loadavg_1m_before']}→{load['loadavg_1m_after']})")
        return st

    def start_emulator(self):
        if self.url:
            return
        info = json.loads(self.fxrun('emulator', 'start', '--port', '0', '--json', cwd=self.work).stdout)
        self.url = info['url']
        self.emu_pid = int(info['pid'])

    def close(self):
        if self.url:
            try:
                self.fxrun('emulator', 'stop', cwd=self.work, check=False)
            except OSError:
                pass
            # If `fx emulator stop` could not do it, stop the one this run started, by its pid.
            for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
                try:
                    with open(f'/proc/{self.emu_pid}/cmdline', 'rb') as f:
                        if not f.read().startswith(self.fx.encode() + b'\0'):
                            break  # gone, and the pid reused by something else
                except OSError:
                    break
                os.kill(self.emu_pid, sig)
                end = time.monotonic() + wait
                while time.monotonic() < end:
                    try:
                        os.kill(self.emu_pid, 0)
                    except ProcessLookupError:
                        break
                    time.sleep(0.1)
        if not self.args.keep_work:
            shutil.rmtree(self.work, ignore_errors=True)
        else:
            log(f'work dir kept: {self.work}')

    def retire_instances(self, name, i):
        """A new Environment retires every instance of the function: the next call is cold."""
        body = json.dumps({'Environment': {'Variables': {'FXBENCH_COLD': f'{i}-{time.time_ns()}'}}}).encode()
        req = urllib.request.Request(f'{self.url}/2015-03-31/functions/{name}/configuration', data=body,
                                     method='PUT', headers={'Content-Type': 'application/json',
                                                            'Authorization': 'Bearer ' + (self.fx_home / 'token').read_text().strip()})
        with urllib.request.urlopen(req, timeout=30) as r:
            r.read()
            if r.status != 200:
                raise RuntimeError(f'configuration update of {name}: HTTP {r.status}')

    def timed(self, cmd, cwd):
        """Runs cmd; returns its wall time (spawn to exit) in ms and the CompletedProcess, whose
        cpu_ms attribute is its user+system CPU time (and its children's)."""
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        p = run(cmd, cwd=cwd, env=self.env, check=False)
        ms = (time.perf_counter() - t) * 1000
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        p.cpu_ms = round((r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000, 2)
        if p.returncode != 0:
            raise RuntimeError(f'{shlex.join(map(str, cmd))} in {cwd} failed:\n{p.stderr[-1500:]}')
        return ms, p

    def instance_cpu_ms(self, task_root):
        """CPU time (/proc/N/schedstat) of the youngest instance the emulator runs in task_root:
        after a cold call, the new instance's whole init plus that call."""
        best = None
        try:
            tasks = os.listdir(f'/proc/{self.emu_pid}/task')
        except OSError:
            return None
        for t in tasks:
            try:
                with open(f'/proc/{self.emu_pid}/task/{t}/children') as f:
                    kids = f.read().split()
            except OSError:
                continue
            for k in kids:
                try:
                    if os.readlink(f'/proc/{k}/cwd') != str(task_root):
                        continue
                    with open(f'/proc/{k}/stat') as f:
                        start = int(f.read().rsplit(')', 1)[1].split()[19])
                    with open(f'/proc/{k}/schedstat') as f:
                        ns = int(f.read().split()[0])
                except (OSError, ValueError, IndexError):
                    continue
                if best is None or start > best[0]:
                    best = (start, ns)
        return round(best[1] / 1e6, 2) if best else None

    # ---------- (a) Node: fx package vs serverless package vs esbuild ----------

    def bench_a(self):
        a = {}
        log('(a) Node function with lodash, moment, axios: packaging')
        svc = self.work / 'node'
        svc.mkdir()
        (svc / 'package.json').write_text(json.dumps({'name': 'fxb3node', 'version': '1.0.0', 'private': True}) + '\n')
        (svc / 'handler.js').write_text(NODE_HANDLER)
        (svc / 'serverless.yaml').write_text(NODE_MANIFEST)
        t = time.monotonic()
        run(['npm', 'install', '--no-audit', '--no-fund', '--loglevel=error', *NODE_PACKAGES], cwd=svc)
        versions = {}
        for pkg in NODE_PACKAGES:
            versions[pkg] = json.loads((svc / 'node_modules' / pkg / 'package.json').read_text())['version']
        nm = [p for p in (svc / 'node_modules').rglob('*') if p.is_file()]
        a['service'] = {'npm_install_s': round(time.monotonic() - t, 1), 'versions': versions,
                        'node_modules_files': len(nm), 'node_modules_bytes': sum(p.stat().st_size for p in nm),
                        'node_modules_packages': len([p for p in (svc / 'node_modules').iterdir()
                                                      if not p.name.startswith('.')])}
        log(f"    npm install {' '.join(f'{k}@{v}' for k, v in versions.items())}: "
            f"{len(nm)} files in node_modules ({a['service']['node_modules_bytes'] / 1e6:.1f} MB)")

        # fx: what it ships, once uncached and once cached, then timed.
        shutil.rmtree(svc / '.fx', ignore_errors=True)
        first = self.fx_json('package', cwd=svc)[0]
        second = self.fx_json('package', cwd=svc)[0]
        zs = zip_stats(svc / '.fx' / 'build' / 'hello.zip')
        a['fx_bundle'] = {k: first[k] for k in ('files_in', 'files_out', 'bytes_in', 'bytes_out', 'zip_bytes', 'sha256', 'notes')}
        a['fx_bundle']['second_run_cached'] = second['cached']
        a['fx_bundle']['first_run_cached'] = first['cached']
        a['fx_bundle']['by_package'] = by_top(zs['names'], zs['sizes'], 1)
        (self.out / 'a_fx_zip_listing.txt').write_text(''.join(f'{s}\t{n}\n' for n, s in zip(zs['names'], zs['sizes'])))
        explain = self.fxrun('package', '--explain', 'hello', cwd=svc, check=False)
        (self.out / 'a_fx_explain.txt').write_text(explain.stdout + explain.stderr)
        a['fx_uncached'] = self.hyperfine_run('fx package (uncached)', [self.fx, 'package', '--json'],
                                              self.args.pkg_runs, 1, svc, self.env, 'a_fx_uncached',
                                              prepare='rm -rf .fx')
        a['fx_cached'] = self.hyperfine_run('fx package (cached)', [self.fx, 'package', '--json'],
                                            self.args.cached_runs, 3, svc, self.env, 'a_fx_cached')
        a['fx_cached']['still_cached'] = self.fx_json('package', cwd=svc)[0]['cached']

        # esbuild: the handler bundled and minified into one file; zipped as a deploy would.
        esb = self.npm_dir / 'node_modules' / '.bin' / 'esbuild' if self.npm_dir else None
        if esb and esb.exists():
            outdir = self.work / 'esbuild'
            outdir.mkdir()
            out_js = outdir / 'handler.js'
            cmd = [esb, 'handler.js', '--bundle', '--minify', '--platform=node', f'--outfile={out_js}',
                   '--log-level=warning']
            a['esbuild'] = self.hyperfine_run('esbuild --bundle --minify', cmd, self.args.esbuild_runs, 2,
                                              svc, self.env, 'a_esbuild')
            with zipfile.ZipFile(outdir / 'handler.zip', 'w', zipfile.ZIP_DEFLATED) as z:
                z.write(out_js, 'handler.js')
            a['esbuild'].update(version=run([esb, '--version']).stdout.strip(), output_bytes=out_js.stat().st_size,
                                zip_bytes=(outdir / 'handler.zip').stat().st_size, files=1)
            npx = shutil.which('npx')
            if npx:  # as the brief ran it: npx's own start-up on top
                cmd = [npx, '--no-install', 'esbuild', svc / 'handler.js', '--bundle', '--minify', '--platform=node',
                       f'--outfile={out_js}', '--log-level=warning']
                a['npx_esbuild'] = self.hyperfine_run('npx esbuild --bundle --minify', cmd, 5, 1,
                                                      self.npm_dir, self.env, 'a_npx_esbuild')
        else:
            a['esbuild'] = {'skipped': f'esbuild not installed in {self.npm_dir}'}

        # The Serverless Framework v3 on the same service. .fx/ is removed before each run: it
        # would otherwise zip fx's own build output (sls's default excludes do not know .fx/).
        sls = self.npm_dir / 'node_modules' / '.bin' / 'serverless' if self.npm_dir else None
        if sls and sls.exists():
            home = self.work / 'sls-home'  # sls writes ~/.serverlessrc: keep it out of the user's home
            home.mkdir(exist_ok=True)
            env = dict(self.env, SLS_TELEMETRY_DISABLED='1', SLS_NOTIFICATIONS_MODE='off',
                       SLS_DEPRECATION_DISABLE='*', HOME=str(home))
            version = run([sls, '--version'], cwd=svc, env=env, check=False).stdout.strip().replace('\n', '; ')
            a['sls'] = self.hyperfine_run('serverless package', [sls, 'package'], self.args.sls_runs, 1, svc, env,
                                          'a_sls', prepare='rm -rf .fx .serverless')
            zpath = svc / '.serverless' / 'fxb3node.zip'
            zs = zip_stats(zpath)
            a['sls'].update(version=version, zip_bytes=zs['zip_bytes'], files=zs['files'],
                            bytes_uncompressed=zs['bytes_uncompressed'])
            a['sls']['fx_dir_in_zip'] = any(n.startswith('.fx/') for n in zs['names'])
            (self.out / 'a_sls_zip_listing.txt').write_text(''.join(f'{s}\t{n}\n' for n, s in zip(zs['names'], zs['sizes'])))
            shutil.rmtree(svc / '.serverless', ignore_errors=True)
            a['zip_ratio_sls_over_fx'] = round(a['sls']['zip_bytes'] / a['fx_bundle']['zip_bytes'], 2)
            a['speed_ratio_sls_over_fx'] = round(a['sls']['median_ms'] / a['fx_uncached']['median_ms'], 1)
            a['cpu_ratio_sls_over_fx'] = round(a['sls']['cpu_ms'] / a['fx_uncached']['cpu_ms'], 1)
            a['speed_ratio_sls_over_fx_cached'] = round(a['sls']['median_ms'] / a['fx_cached']['median_ms'], 1)
        else:
            a['sls'] = {'skipped': f'serverless not installed in {self.npm_dir}'}

        # Does fx's bundle run? Deploy it and call it: the result must be computed by all three.
        log('(a) fx deploy + fx invoke of the Node bundle')
        self.start_emulator()
        shutil.rmtree(svc / '.fx', ignore_errors=True)
        self.fxrun('deploy', cwd=svc)
        inv = self.fx_json('invoke', 'hello', '--data', '{"name":"bench"}', cwd=svc)
        body = {}
        try:
            body = json.loads(inv['result']['body'])
        except (KeyError, TypeError, ValueError):
            pass
        ok = (inv.get('function_error') is None and all(body.get(k) == v for k, v in NODE_EXPECTED.items())
              and body.get('axios', {}).get('baseURL') == 'http://127.0.0.1:9'
              and body.get('axios', {}).get('version') == versions['axios'])
        a['deploy_invoke'] = {'ok': ok, 'init_ms': inv.get('init_ms'), 'duration_ms': inv.get('duration_ms'),
                              'max_memory_mb': inv.get('max_memory_mb'), 'body': body,
                              'function_error': inv.get('function_error')}
        (self.out / 'a_invoke.json').write_text(json.dumps(inv, indent=2) + '\n')
        log(f"    invoke: {'OK' if ok else 'WRONG RESULT'}, Init Duration {inv.get('init_ms')} ms: {json.dumps(body)}")
        self.results['a_node'] = a

    # ---------- (b) Python: vendored botocore, minimized vs minify: false ----------

    def bench_b(self):
        b = {}
        p = run([self.real_py, '-c', 'import botocore,os,sys;print(os.path.dirname(botocore.__file__));'
                 'print(botocore.__version__);print("python%d.%d" % sys.version_info[:2])'], check=False)
        if p.returncode != 0:
            self.results['b_python'] = {'skipped': f'botocore is not installed for {self.real_py}'}
            log('(b) skipped: botocore is not installed (pip install botocore)')
            return
        src, version, runtime = p.stdout.split()
        src = Path(src)
        log(f'(b) Python function doing `{PY_IMPORT_STMT}` from a vendored botocore {version} ({runtime})')
        tree = [f for f in src.rglob('*') if f.is_file() and '__pycache__' not in f.parts]
        b['vendored'] = {'package': 'botocore', 'version': version, 'runtime': runtime, 'files': len(tree),
                         'bytes': sum(f.stat().st_size for f in tree),
                         'py_files': len([f for f in tree if f.suffix == '.py'])}
        # What the handler's import really loads, by the interpreter itself.
        chain = run([self.real_py, '-c', 'import sys;before=set(sys.modules);' + PY_IMPORT_STMT + ';'
                     'print("\\n".join(sorted(m for m in set(sys.modules)-before)))'], cwd=self.work)
        b['import'] = PY_IMPORT_STMT
        b['import_chain'] = chain.stdout.split()
        b['import_chain_botocore'] = [m for m in b['import_chain'] if m.startswith('botocore')]
        svcs, arts = {}, {}
        for variant, _, minify, patterns in PY_VARIANTS:
            svc = self.work / f'py-{variant}'
            shutil.copytree(src, svc / 'vendor' / 'botocore', ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
            (svc / 'handler.py').write_text(PY_HANDLER)
            (svc / 'serverless.yaml').write_text(PY_MANIFEST.format(variant=variant, runtime=runtime, minify=minify,
                                                                         patterns=patterns))
            ms1, p1 = self.timed([self.fx, 'package', '--json'], svc)
            ms2, p2 = self.timed([self.fx, 'package', '--json'], svc)
            art = json.loads(p1.stdout)[0]
            zs = zip_stats(svc / '.fx' / 'build' / 'cold.zip')
            arts[variant] = {k: art[k] for k in ('files_in', 'files_out', 'bytes_in', 'bytes_out', 'zip_bytes', 'sha256', 'notes')}
            arts[variant].update(
                package_uncached_ms=round(ms1, 1), package_cached_ms=round(ms2, 1),
                second_run_cached=json.loads(p2.stdout)[0]['cached'],
                pyc_files=len([n for n in zs['names'] if n.endswith('.pyc')]),
                vendor_dir_files=len([n for n in zs['names'] if n.startswith('vendor/')]),
                py_files=len([n for n in zs['names'] if n.endswith('.py')]),
                by_folder=by_top(zs['names'], zs['sizes'], 2))
            (self.out / f'b_{variant}_zip_listing.txt').write_text(
                ''.join(f'{s}\t{n}\n' for n, s in zip(zs['names'], zs['sizes'])))
            svcs[variant] = svc
            log(f"    {variant:6s} zip {art['zip_bytes'] / 1e6:6.2f} MB, "
                f"{art['files_out']} files ({arts[variant]['pyc_files']} .pyc); fx package {ms1:.0f} ms uncached, "
                f"{ms2:.0f} ms cached")
        b['bundles'] = arts

        self.start_emulator()
        names, roots = {}, {}
        for v, svc in svcs.items():
            # Deploy: upload, and the emulator unpacks the zip once per code version (not per
            # cold start). One timed run each, packaging cached.
            arts[v]['deploy_ms'] = round(self.timed([self.fx, 'deploy'], svc)[0], 1)
            names[v] = next(f['name'] for f in self.fx_json('info', cwd=svc)['functions'] if f['function'] == 'cold')
            root = self.fx_home / 'code' / arts[v]['sha256']
            roots[v] = root if (root / 'handler.py').exists() else None
            first = self.fx_json('invoke', 'cold', cwd=svc)
            if first.get('function_error') or not str(first.get('result', {}).get('module', '')).startswith('botocore'):
                raise RuntimeError(f'the {v} Python function did not run: {json.dumps(first)[:800]}')
        b['task_roots'] = {v: str(r) if r else None for v, r in roots.items()}
        # Python's FileFinder lists each folder it searches once: how big those listings are.
        b['listing_sizes'] = {v: {'task_root': len(os.listdir(r)), 'botocore': len(os.listdir(r / 'botocore'))}
                              for v, r in roots.items() if r}

        n = self.args.cold_n
        log(f'(b) cold starts: {n} per bundle (+1 untimed round), in rotating order; floors interleaved')
        rows = []
        meter = CpuMeter().start()
        for i in range(n + 1):
            keys = [k for k, _, _, _ in PY_VARIANTS]
            order = keys[i % len(keys):] + keys[:i % len(keys)]  # each bundle in each slot alike
            row = {'round': i, 'order': list(order), 'loadavg_1m': round(os.getloadavg()[0], 2), 'cpu_psi': psi_cpu()}
            for v in order:
                self.retire_instances(names[v], i)
                time.sleep(0.15)
                ms, p = self.timed([self.fx, 'invoke', 'cold', '--json'], svcs[v])
                inv = json.loads(p.stdout)
                row[v] = {'init_ms': inv.get('init_ms'), 'duration_ms': inv.get('duration_ms'),
                          'max_memory_mb': inv.get('max_memory_mb'), 'fx_invoke_wall_ms': round(ms, 2),
                          'instance_cpu_ms': self.instance_cpu_ms(roots[v]) if roots.get(v) else None}
                # The floor: the same interpreter importing the same handler from the unpacked
                # bundle, nothing else (spawn to exit).
                if roots.get(v):
                    fl, fp = self.timed([self.real_py, '-B', '-c', 'import handler'], roots[v])
                    row[v]['import_handler_ms'], row[v]['import_handler_cpu_ms'] = round(fl, 2), fp.cpu_ms
            fl, fp = self.timed([self.real_py, '-c', 'pass'], self.work)
            row['python_pass_ms'], row['python_pass_cpu_ms'] = round(fl, 2), fp.cpu_ms
            rows.append(row)
            if i:
                log(f"    round {i:2d}: Init " + ', '.join(f"{v} {row[v]['init_ms']:6.1f} ms" for v in keys) +
                    f"  (load {row['loadavg_1m']})")
        b['cold_load'] = meter.stop()
        (self.out / 'b_cold_rounds.json').write_text(json.dumps(rows, indent=2) + '\n')
        timed = rows[1:]
        cold = {}
        for v in svcs:
            inits = [r[v]['init_ms'] for r in timed]
            cold[v] = {'cold_calls': len(timed), 'calls_with_init': len([x for x in inits if x is not None]),
                       'median_init_ms': med(inits), 'min_init_ms': min(x for x in inits if x is not None),
                       'max_init_ms': max(x for x in inits if x is not None),
                       'median_duration_ms': med([r[v]['duration_ms'] for r in timed]),
                       'median_fx_invoke_wall_ms': med([r[v]['fx_invoke_wall_ms'] for r in timed]),
                       'median_instance_cpu_ms': med([r[v]['instance_cpu_ms'] for r in timed]),
                       'median_import_handler_ms': med([r[v].get('import_handler_ms') for r in timed]),
                       'median_import_handler_cpu_ms': med([r[v].get('import_handler_cpu_ms') for r in timed]),
                       'median_max_memory_mb': med([r[v]['max_memory_mb'] for r in timed])}
        cold['median_python_pass_ms'] = med([r['python_pass_ms'] for r in timed])
        cold['median_python_pass_cpu_ms'] = med([r['python_pass_cpu_ms'] for r in timed])
        if cold['min']['median_init_ms'] and cold['full']['median_init_ms']:
            cold['reduction'] = round(1 - cold['min']['median_init_ms'] / cold['full']['median_init_ms'], 3)
            paired = [1 - r['min']['init_ms'] / r['full']['init_ms'] for r in timed
                      if r['min']['init_ms'] and r['full']['init_ms']]
            cold['median_paired_reduction'] = round(statistics.median(paired), 3)
        for v in svcs:  # every bundle against minify: false, by Init and by the instance's CPU
            if v != 'full' and cold[v]['median_init_ms'] and cold['full']['median_init_ms']:
                cold[v]['init_reduction_vs_full'] = round(1 - cold[v]['median_init_ms'] / cold['full']['median_init_ms'], 3)
            if v != 'full' and cold[v]['median_instance_cpu_ms'] and cold['full']['median_instance_cpu_ms']:
                cold[v]['cpu_reduction_vs_full'] = round(
                    1 - cold[v]['median_instance_cpu_ms'] / cold['full']['median_instance_cpu_ms'], 3)
        b['cold'] = cold

        # Where the import time goes: -X importtime of `import handler` in each unpacked bundle,
        # the two alternating (in fixed blocks, one bundle's numbers drift with the load).
        samples = {v: {} for v, r in roots.items() if r}
        for i in range(self.args.importtime_runs):
            for v in (sorted(samples) if i % 2 == 0 else sorted(samples, reverse=True)):
                p = run([self.real_py, '-B', '-X', 'importtime', '-c', 'import handler'], cwd=roots[v])
                for line in p.stderr.splitlines():
                    m = re.match(r'import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)', line)
                    if m and m.group(4) in ('handler', 'botocore', 'botocore.exceptions', 'botocore.session', 'botocore.vendored.requests'):
                        samples[v].setdefault(m.group(4), []).append(int(m.group(2)) / 1000.0)
        it = {v: {k: med(x) for k, x in sv.items()} for v, sv in samples.items()}
        b['importtime_cumulative_ms'] = it
        self.results['b_python'] = b
        if 'reduction' in cold:
            log(f"    median Init {cold['min']['median_init_ms']} ms minimized vs {cold['full']['median_init_ms']} ms "
                f"minify: false: {-100 * cold['reduction']:+.1f} % (per-round {-100 * cold['median_paired_reduction']:+.1f} %)")


def machine_info():
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
        except Exception as e:  # noqa: BLE001 - informative only
            return f'({e})'
    return {'date_utc': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
            'cpu': sh("lscpu | sed -n 's/^Model name:[ \\t]*//p'"), 'nproc': sh('nproc'),
            'memory': sh('free -h'), 'kernel': sh('uname -r'), 'debian': sh('cat /etc/debian_version'),
            'python': sh('python3 --version'), 'node': sh('node --version'), 'npm': sh('npm --version'),
            'hyperfine': sh('hyperfine --version'), 'loadavg': sh('cat /proc/loadavg'),
            'cpu_pressure': sh('cat /proc/pressure/cpu')}


def mb(n):
    return '—' if n is None else f'{n / 1e6:.2f} MB' if n >= 1e6 else f'{n / 1e3:.0f} kB'


def ms(v):
    return '—' if v is None else f'{v:,.0f} ms' if v >= 100 else f'{v:.1f} ms'


def met(ok):
    return '**met**' if ok else '**NOT met**'


def summary_markdown(r):
    lines = []
    a = r.get('a_node')
    if a:
        f, c, s, e = a['fx_bundle'], a['fx_cached'], a.get('sls', {}), a.get('esbuild', {})
        u = a['fx_uncached']
        lines += [f"(a) Node, lodash {a['service']['versions']['lodash']}, moment {a['service']['versions']['moment']}, "
                  f"axios {a['service']['versions']['axios']} ({a['service']['node_modules_files']} files in node_modules)", '',
                  '| tool | zip | files | packaging time, median [min–max] | CPU (user+sys) | runs |',
                  '|---|---|---|---|---|---|',
                  f"| `fx package`, uncached | {mb(f['zip_bytes'])} | {f['files_out']} | {ms(u['median_ms'])} "
                  f"[{ms(u['min_ms'])}–{ms(u['max_ms'])}] | {ms(u['cpu_ms'])} | {u['runs']} |",
                  f"| `fx package`, cached | same zip | | {ms(c['median_ms'])} [{ms(c['min_ms'])}–{ms(c['max_ms'])}] | "
                  f"{ms(c['cpu_ms'])} | {c['runs']} |"]
        if 'median_ms' in s:
            lines.append(f"| `serverless package` | {mb(s['zip_bytes'])} | {s['files']} | {ms(s['median_ms'])} "
                         f"[{ms(s['min_ms'])}–{ms(s['max_ms'])}] | {ms(s['cpu_ms'])} | {s['runs']} |")
        if 'median_ms' in e:
            lines.append(f"| `esbuild --bundle --minify` | {mb(e['zip_bytes'])} zipped ({mb(e['output_bytes'])} .js) | 1 | "
                         f"{ms(e['median_ms'])} [{ms(e['min_ms'])}–{ms(e['max_ms'])}] | {ms(e['cpu_ms'])} | {e['runs']} |")
        n = a.get('npx_esbuild')
        if n:
            lines.append(f"| `npx esbuild …` (same, through npx) | | | {ms(n['median_ms'])} [{ms(n['min_ms'])}–{ms(n['max_ms'])}] "
                         f"| {ms(n['cpu_ms'])} | {n['runs']} |")
        lines.append('')
        if 'median_ms' in s:
            lines.append(f"- zip: serverless / fx = ×{a['zip_ratio_sls_over_fx']} (goal ≥ ×4): "
                         f"{met(a['zip_ratio_sls_over_fx'] >= GOALS['zip_ratio_min'])}")
            lines.append(f"- time: serverless / fx uncached = ×{a['speed_ratio_sls_over_fx']} (CPU ×{a['cpu_ratio_sls_over_fx']}; "
                         f"vs cached ×{a['speed_ratio_sls_over_fx_cached']}) (goal ≥ ×20): "
                         f"{met(a['speed_ratio_sls_over_fx'] >= GOALS['speed_ratio_min'])}")
        lines.append(f"- cached `fx package` {ms(c['median_ms'])} (goal ≤ 100 ms): {met(c['median_ms'] <= GOALS['cached_max_ms'])}; "
                     f"reported cached: {f['second_run_cached'] and c['still_cached']}")
        d = a.get('deploy_invoke', {})
        lines.append(f"- fx deploy + fx invoke of fx's bundle: {'OK' if d.get('ok') else 'FAILED'} "
                     f"(Init Duration {ms(d.get('init_ms'))}, result {json.dumps(d.get('body'))})")
        lines.append('')
    b = r.get('b_python')
    if b and 'skipped' in b:
        lines.append(f"(b) skipped: {b['skipped']}")
    elif b:
        cm = b['cold']['min']
        it = b.get('importtime_cumulative_ms', {})
        lines += [f"(b) Python {b['vendored']['runtime']}, `{b.get('import', 'from botocore import exceptions')}`, botocore "
                  f"{b['vendored']['version']} vendored ({b['vendored']['files']} files, {mb(b['vendored']['bytes'])}); "
                  f"the import loads {len(b['import_chain_botocore'])} botocore modules "
                  f"({len(b['import_chain'])} modules in all)", '',
                  '| bundle | zip | files (.py / .pyc; under vendor/) | `fx package` uncached / cached | `fx deploy` | '
                  f"Init Duration, median of {cm['cold_calls']} [min–max] | instance CPU (init + call) | "
                  'bare `import handler` in the unpacked bundle: wall (CPU) | importtime of `handler` |',
                  '|---|---|---|---|---|---|---|---|---|']
        for v, z in b['bundles'].items():
            c, label = b['cold'][v], PY_LABELS.get(v, v)
            lines.append(f"| {label} | {mb(z['zip_bytes'])} | {z['files_out']} ({z['py_files']} / {z['pyc_files']}; "
                         f"{z['vendor_dir_files']}) | {ms(z['package_uncached_ms'])} / {ms(z['package_cached_ms'])} | "
                         f"{ms(z.get('deploy_ms'))} | "
                         f"{ms(c['median_init_ms'])} [{ms(c['min_init_ms'])}–{ms(c['max_init_ms'])}] | "
                         f"{ms(c['median_instance_cpu_ms'])} | "
                         f"{ms(c['median_import_handler_ms'])} ({ms(c['median_import_handler_cpu_ms'])}) | "
                         f"{ms(it.get(v, {}).get('handler'))} |")
        lines.append('')
        cold = b['cold']
        if 'reduction' in cold:
            lines.append(f"- Init Duration, minimized against `minify: false`: {-100 * cold['reduction']:+.1f} % "
                         f"(median of the per-round changes {-100 * cold['median_paired_reduction']:+.1f} %); "
                         f"goal ≤ −30 %: {met(cold['reduction'] >= GOALS['cold_reduction_min'])}")
        for v in b['bundles']:
            if 'init_reduction_vs_full' in cold[v]:
                lines.append(f"- {PY_LABELS.get(v, v)} against `minify: false`: Init Duration "
                             f"{-100 * cold[v]['init_reduction_vs_full']:+.1f} %, instance CPU "
                             f"{-100 * cold[v].get('cpu_reduction_vs_full', float('nan')):+.1f} %")
        lines.append(f"- `python3 -c pass` in the same rounds: {ms(cold['median_python_pass_ms'])} "
                     f"(CPU {ms(cold['median_python_pass_cpu_ms'])})")
    return '\n'.join(lines) + '\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--fx')
    ap.add_argument('--out')
    ap.add_argument('--only', default='ab', help='which benchmarks: any of a, b (default ab)')
    ap.add_argument('--npm-dir', default=os.environ.get('FXBENCH_NPM_DIR', ''))
    ap.add_argument('--keep-work', action='store_true')
    ap.add_argument('--pkg-runs', type=int, default=env_int('FXBENCH_PKG_RUNS', 15))
    ap.add_argument('--cached-runs', type=int, default=env_int('FXBENCH_CACHED_RUNS', 30))
    ap.add_argument('--esbuild-runs', type=int, default=env_int('FXBENCH_ESBUILD_RUNS', 15))
    ap.add_argument('--sls-runs', type=int, default=env_int('FXBENCH_SLS_PKG_RUNS', 5))
    ap.add_argument('--cold-n', type=int, default=env_int('FXBENCH_BUNDLE_COLD_N', 10))
    ap.add_argument('--importtime-runs', type=int, default=env_int('FXBENCH_IMPORTTIME_RUNS', 20))
    ap.add_argument('--summarize', metavar='DIR', help='print the summary of an earlier run from DIR/summary.json')
    args = ap.parse_args()
    if args.summarize:
        print(summary_markdown(json.loads((Path(args.summarize) / 'summary.json').read_text())))
        return
    if not args.fx or not args.out:
        ap.error('--fx and --out are needed')
    if not args.only or set(args.only) - set('ab'):
        ap.error('--only takes any of the letters a, b')
    for k in ('pkg_runs', 'cached_runs', 'esbuild_runs', 'sls_runs', 'cold_n', 'importtime_runs'):
        if not 1 <= getattr(args, k) <= 1000:
            ap.error(f'{k} must be between 1 and 1000')

    bench = Bench(args)
    t0 = time.monotonic()
    out = Path(args.out)
    try:
        bench.results['machine'] = machine_info()
        bench.results['fx'] = {'path': bench.fx_src, 'copy': bench.fx, 'sha256': bench.fx_sha256,
                               'version': run([bench.fx, '--version']).stdout.strip()}
        for k in args.only:
            getattr(bench, f'bench_{k}')()
    except BaseException as e:
        bench.results['error'] = f'{type(e).__name__}: {e}'
        (out / 'summary.json').write_text(json.dumps(bench.results, indent=2) + '\n')
        raise
    finally:
        bench.close()
    bench.results['wall_s'] = round(time.monotonic() - t0, 1)
    bench.results['loadavg_end'] = open('/proc/loadavg').read().strip()
    (out / 'summary.json').write_text(json.dumps(bench.results, indent=2) + '\n')
    md = summary_markdown(bench.results)
    (out / 'summary.md').write_text(md)
    print(md)
    print(f"raw results: {out}   (wall time {bench.results['wall_s']} s)")


if __name__ == '__main__':
    main()
