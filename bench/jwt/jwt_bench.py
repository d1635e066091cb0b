"""fx benchmark for issue 18: what a JWT authorizer costs the gateway.

One service, one Python hello function behind three httpApi routes: /open (no authorizer),
/rs and /es (a JWT authorizer whose keys come from custom.fx.jwks; the tokens are RS256 and
ES256, signed here with keys made for the run). wrk -t2 -c10 on each, interleaved in rounds
(open, rs, es) after a quiet machine, so drift moves every side of a ratio alike; the summary
gives each route's median over the rounds and the median of the per-round ratios to /open
(goal: the JWT check costs at most 10 % of throughput, a ratio of at least 0.90), and the
emulator's own CPU time per request on each route (from /proc), which a busy machine's other
load leaves alone where it moves throughput.
Results in bench/results/jwt-<UTC time>/.
"""
import argparse
import base64
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'gateway'))
from bench import log, machine_info, run  # noqa: E402
from gateway import settle, wrk  # noqa: E402

ISSUER = 'https://login.bench.example'
MANIFEST = f"""\
service: jwtbench
provider:
  name: aws
  runtime: python3.11
  httpApi:
    authorizers:
      users:
        identitySource: $request.header.Authorization
        issuerUrl: {ISSUER}
        audience: [bench]
custom:
  fx:
    jwks:
      users: jwks.json
functions:
  hello:
    handler: app.hello
    events:
      - httpApi: 'GET /open'
      - httpApi: {{method: GET, path: /rs, authorizer: users}}
      - httpApi: {{method: GET, path: /es, authorizer: users}}
"""
PY = 'def hello(event, context):\n    return {"statusCode": 200, "body": "hello"}\n'


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def num(n, size=None):
    return n.to_bytes(size or (n.bit_length() + 7) // 8, 'big')


def token(key, alg, kid):
    now = int(time.time())
    claims = {'iss': ISSUER, 'aud': 'bench', 'sub': 'bench-user', 'iat': now, 'exp': now + 6 * 3600,
              'scope': 'read write'}
    head = b64(json.dumps({'alg': alg, 'kid': kid, 'typ': 'JWT'}).encode())
    data = f'{head}.{b64(json.dumps(claims).encode())}'
    if alg == 'RS256':
        sig = key.sign(data.encode(), padding.PKCS1v15(), hashes.SHA256())
    else:
        r, s = decode_dss_signature(key.sign(data.encode(), ec.ECDSA(hashes.SHA256())))
        sig = num(r, 32) + num(s, 32)
    return f'{data}.{b64(sig)}'


def cpu_ticks(pid):
    """The process's user + system CPU time, in clock ticks: what the gateway itself spends,
    which the machine's other load does not change (its throughput it does)."""
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
    work = Path(tempfile.mkdtemp(prefix='fxbench-jwt.'))
    env = dict(os.environ, FX_HOME=str(work / 'home'), NO_COLOR='1')
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    rp, ep = rsa_key.public_key().public_numbers(), ec_key.public_key().public_numbers()
    jwks = {'keys': [{'kty': 'RSA', 'kid': 'r1', 'alg': 'RS256', 'n': b64(num(rp.n)), 'e': b64(num(rp.e))},
                     {'kty': 'EC', 'kid': 'e1', 'crv': 'P-256', 'x': b64(num(ep.x, 32)), 'y': b64(num(ep.y, 32))}]}
    svc = work / 'svc'
    svc.mkdir()
    (svc / 'serverless.yml').write_text(MANIFEST)
    (svc / 'app.py').write_text(PY)
    (svc / 'jwks.json').write_text(json.dumps(jwks))
    info = json.loads(run([args.fx, 'emulator', 'start', '--port', '0', '--json'], env=env, cwd=work).stdout)
    try:
        run([args.fx, 'deploy'], cwd=svc, env=env)
        gw = info['gateway_url']
        rs_token = token(rsa_key, 'RS256', 'r1')
        # 'open+token' sends /open the RS256 request byte for byte: against it, the ratio is what
        # the check itself costs; against 'open' it also counts carrying an 800-byte header
        # (parsed by the gateway, put in the event, decoded by the function) that any request
        # with a token pays, authorizer or not.
        routes = [('open', f'{gw}/open', None),
                  ('open+token', f'{gw}/open', rs_token),
                  ('rs256', f'{gw}/rs', rs_token),
                  ('es256', f'{gw}/es', token(ec_key, 'ES256', 'e1'))]
        for name, url, tok in routes:
            headers = ['-H', f'Authorization: Bearer {tok}'] if tok else []
            warm = wrk(url, '3s', extra=headers)
            if warm['non_2xx']:
                raise SystemExit(f'{name}: {warm["non_2xx"]} non-2xx answers while warming up')
        runs = {name: [] for name, _, _ in routes}
        for n in range(1, args.rounds + 1):
            for name, url, tok in routes:
                settle()
                headers = ['-H', f'Authorization: Bearer {tok}'] if tok else []
                before = cpu_ticks(info['pid'])
                r = wrk(url, args.duration, out=out / f'{name}_{n}.txt', extra=headers)
                ticks = cpu_ticks(info['pid']) - before
                r['emulator_cpu_us_per_request'] = round(ticks / os.sysconf('SC_CLK_TCK') * 1e6 / max(r['requests'], 1), 1)
                runs[name].append(r)
                log(f"round {n} {name:10s}: {r['rps']:6d} req/s, p50 {r['p50_ms']} ms, "
                    f"p99 {r['p99_ms']} ms, emulator CPU {r['emulator_cpu_us_per_request']} us/request, "
                    f"non-2xx {r['non_2xx']}")
        results = {'machine': machine_info(), 'duration': args.duration, 'rounds': args.rounds,
                   'goal_min_ratio': 0.90, 'routes': {}, 'ratios': {}}
        for name, rs in runs.items():
            results['routes'][name] = {'rps': median(r['rps'] for r in rs),
                                       'p50_ms': median(r['p50_ms'] for r in rs),
                                       'p99_ms': median(r['p99_ms'] for r in rs),
                                       'emulator_cpu_us_per_request': median(r['emulator_cpu_us_per_request'] for r in rs),
                                       'non_2xx': sum(r['non_2xx'] for r in rs), 'runs': rs}
        for name, base in (('rs256', 'open'), ('es256', 'open'), ('open+token', 'open'),
                           ('rs256', 'open+token')):
            per_round = [a['rps'] / max(b['rps'], 1) for a, b in zip(runs[name], runs[base])]
            results['ratios'][f'{name}_vs_{base}'] = {'per_round': [round(x, 3) for x in per_round],
                                                      'median': round(median(per_round), 3)}
        (out / 'summary.json').write_text(json.dumps(results, indent=2))
        for name, r in results['routes'].items():
            log(f"{name:10s}: median {r['rps']} req/s, p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, "
                f"emulator CPU {r['emulator_cpu_us_per_request']} us/request")
        for name, r in results['ratios'].items():
            log(f"{name}: {r['median']} (per round {r['per_round']})")
    finally:
        run([args.fx, 'emulator', 'stop'], env=env, cwd=work)


if __name__ == '__main__':
    main()
