"""fx benchmark for issue 18: what a JWT authorizer costs the gateway.

One service, one Python hello function behind three httpApi routes: /open (no authorizer;
called without a token, and with the RS256 token as 'open+token'), /rs and /es (a JWT
authorizer whose keys come from custom.fx.jwks; the tokens are RS256 and ES256, signed here
with keys made for the run). wrk -t2 -c10 on each, interleaved in rounds after a quiet
machine, so drift moves every side of a ratio alike; the summary gives each side's median over
the rounds and the median of the per-round ratios (goal: the JWT check costs at most 10 % of
throughput: rs256 / open+token of at least 0.90, the same request with and without it), and the
emulator's own CPU time per request on each route (from /proc), which a busy machine's other
load leaves alone where it moves throughput.
Results in bench/results/jwt-<UTC time>/.
"""
import argparse
import base64
import json
import os
import sys
import time
from pathlib import Path
from statistics import median

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'gateway'))
from bench import deployed_service, log, machine_info  # noqa: E402
from gateway import interleaved, per_round_ratio, side_medians  # noqa: E402

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
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    rp, ep = rsa_key.public_key().public_numbers(), ec_key.public_key().public_numbers()
    jwks = {'keys': [{'kty': 'RSA', 'kid': 'r1', 'alg': 'RS256', 'n': b64(num(rp.n)), 'e': b64(num(rp.e))},
                     {'kty': 'EC', 'kid': 'e1', 'crv': 'P-256', 'x': b64(num(ep.x, 32)), 'y': b64(num(ep.y, 32))}]}
    files = {'serverless.yml': MANIFEST, 'app.py': PY, 'jwks.json': json.dumps(jwks)}
    with deployed_service(args.fx, 'jwt', files) as (info, _, _, _):
        gw = info['gateway_url']
        rs_token = token(rsa_key, 'RS256', 'r1')
        bearer = lambda tok: ['-H', f'Authorization: Bearer {tok}']  # noqa: E731
        # 'open+token' sends /open the RS256 request byte for byte: against it, the ratio is what
        # the check itself costs; against 'open' it also counts carrying an 800-byte header
        # (parsed by the gateway, put in the event, decoded by the function) that any request
        # with a token pays, authorizer or not.
        sides = {'open': (f'{gw}/open', []),
                 'open+token': (f'{gw}/open', bearer(rs_token)),
                 'rs256': (f'{gw}/rs', bearer(rs_token)),
                 'es256': (f'{gw}/es', bearer(token(ec_key, 'ES256', 'e1')))}
        ticks_before = {}

        def emulator_cpu(name, result):
            if result is None:
                ticks_before[name] = cpu_ticks(info['pid'])
                return None
            ticks = cpu_ticks(info['pid']) - ticks_before[name]
            per_request = ticks / os.sysconf('SC_CLK_TCK') * 1e6 / max(result['requests'], 1)
            return {'emulator_cpu_us_per_request': round(per_request, 1)}
        runs = interleaved(sides, args.rounds, args.duration, out, on_run=emulator_cpu)
    if any(r['non_2xx'] for rs in runs.values() for r in rs):
        raise SystemExit('non-2xx answers during the runs: see ' + str(out))
    results = {'machine': machine_info(), 'duration': args.duration, 'rounds': args.rounds,
               'goal_min_ratio': 0.90, 'routes': side_medians(runs), 'ratios': {}, 'runs': runs}
    for name, rs in runs.items():
        results['routes'][name]['emulator_cpu_us_per_request'] = median(
            r['emulator_cpu_us_per_request'] for r in rs)
    for name, base in (('rs256', 'open'), ('es256', 'open'), ('open+token', 'open'),
                       ('rs256', 'open+token'), ('es256', 'open+token')):
        results['ratios'][f'{name}_vs_{base}'] = per_round_ratio(runs, name, base)
    (out / 'summary.json').write_text(json.dumps(results, indent=2))
    for name, r in results['routes'].items():
        log(f"{name:10s}: median {r['median_rps']} req/s, p50 {r['median_p50_ms']} ms, "
            f"p99 {r['median_p99_ms']} ms, emulator CPU {r['emulator_cpu_us_per_request']} us/request")
    for name, r in results['ratios'].items():
        log(f"{name}: {r['median']} (per round {r['per_round']})")


if __name__ == '__main__':
    main()
