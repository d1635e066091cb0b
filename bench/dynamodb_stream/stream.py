"""fx benchmark for issue 16 (c): from a DynamoDB write to the stream consumer's invocation.

A throwaway emulator (its own FX_HOME, an ephemeral port) serves a service with one table
(StreamSpecification NEW_AND_OLD_IMAGES) and two consumers of its stream, Python and Node
(batchSize 1, each warmed first). boto3, on one keep-alive connection, puts one item at a
time, FXBENCH_STREAM_GAP_MS apart so that each write is a batch of its own, noting the wall
clock just before each PutItem; each consumer prints the wall clock when its handler starts.
The latency of a write is the handler's time minus the write's (one machine, one clock): the
PutItem round trip, the stream record's commit, the poller's wake-up and read, and the
invocation up to the handler. Medians and percentiles per consumer; PutItem's own round trip
beside them. No peer runs this here: moto's Lambda runs event source mappings only through
Docker, which this machine has not.
Standard library + boto3; results in bench/results/dynamodb-stream-<UTC time>/.
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

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import env_int, log, machine_info, pct, run  # noqa: E402

MANIFEST = """\
service: streambench
provider:
  name: aws
  runtime: python3.11
  stage: dev
  region: us-east-1
functions:
  py:
    handler: app.handler
    events:
      - stream: {type: dynamodb, arn: !GetAtt Items.StreamArn, batchSize: 1, startingPosition: LATEST}
  node:
    runtime: nodejs20.x
    handler: app_node.handler
    events:
      - stream: {type: dynamodb, arn: !GetAtt Items.StreamArn, batchSize: 1, startingPosition: LATEST}
resources:
  Resources:
    Items:
      Type: AWS::DynamoDB::Table
      Properties:
        TableName: streambench-items
        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
        KeySchema: [{AttributeName: pk, KeyType: HASH}]
        StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
"""
PY = """\
import time
def handler(event, context):
    t = time.time()
    for r in event["Records"]:
        print("T %s %.6f" % (r["dynamodb"]["Keys"]["pk"]["S"], t))
"""
JS = """\
exports.handler = async (event) => {
  const t = Date.now() / 1000;
  for (const r of event.Records) console.log(`T ${r.dynamodb.Keys.pk.S} ${t.toFixed(6)}`);
};
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--fx', required=True)
    ap.add_argument('--out', required=True)
    args = ap.parse_args()
    writes = env_int('FXBENCH_STREAM_WRITES', 300)
    gap = env_int('FXBENCH_STREAM_GAP_MS', 30) / 1000.0
    out = Path(args.out)
    root = Path(tempfile.mkdtemp(prefix='fxbench-stream-'))
    env = {k: v for k, v in os.environ.items() if not k.startswith('FX_')}
    env.update({'FX_HOME': str(root / 'home'), 'NO_COLOR': '1'})
    svc = root / 'svc'
    svc.mkdir()
    (svc / 'serverless.yaml').write_text(MANIFEST)
    (svc / 'app.py').write_text(PY)
    (svc / 'app_node.js').write_text(JS)
    fx = lambda *a, **kw: run([args.fx, *a], cwd=svc, env=env, **kw)  # noqa: E731
    try:
        url = json.loads(fx('emulator', 'start', '--port', '0', '--json').stdout)['url']
        fx('deploy', timeout=300)
        ddb = boto3.client('dynamodb', endpoint_url=url, region_name='us-east-1',
                           aws_access_key_id='fx', aws_secret_access_key='fx',
                           config=Config(retries={'max_attempts': 1}))
        table = 'streambench-items'

        def handled(fn):
            got = {}
            for text in fx('logs', fn, '--json').stdout.splitlines():
                if not text.strip():
                    continue
                # Python prints the line as is; Node's console.log puts time, id and level first.
                m = re.search(r'\bT (\S+) ([\d.]+)$', json.loads(text)['message'])
                if m:
                    got.setdefault(m.group(1), float(m.group(2)))
            return got

        # Warm both consumers (their first invocation is a cold start).
        ddb.put_item(TableName=table, Item={'pk': {'S': 'warm'}})
        deadline = time.time() + 60
        while time.time() < deadline and not all('warm' in handled(f) for f in ('py', 'node')):
            time.sleep(0.2)
        written, put_ms = {}, []
        for i in range(writes):
            pk = f'k{i:05}'
            t0 = time.time()
            ddb.put_item(TableName=table, Item={'pk': {'S': pk}, 'n': {'N': str(i)}})
            put_ms.append((time.time() - t0) * 1000)
            written[pk] = t0
            time.sleep(gap)
        deadline = time.time() + 60
        results = {}
        for fn in ('py', 'node'):
            while True:
                got = handled(fn)
                if all(pk in got for pk in written) or time.time() > deadline:
                    break
                time.sleep(0.5)
            lat = [(got[pk] - t0) * 1000 for pk, t0 in written.items() if pk in got]
            if not lat:
                sys.exit(f'bench: {fn} was given none of the writes; its log: '
                         + fx('logs', fn, '--tail', '20').stdout)
            results[fn] = {'delivered': len(lat), 'median_ms': pct(lat, 50), 'p90_ms': pct(lat, 90),
                           'p99_ms': pct(lat, 99), 'min_ms': min(lat), 'max_ms': max(lat)}
        summary = {'writes': writes, 'gap_ms': gap * 1000, 'goal_median_ms': 20.0,
                   'put_item_median_ms': pct(put_ms, 50), 'put_item_p90_ms': pct(put_ms, 90),
                   'consumers': results, 'machine': machine_info()}
        (out / 'summary.json').write_text(json.dumps(summary, indent=2))
        print(f"writes {writes}, {gap * 1000:.0f} ms apart; PutItem median {summary['put_item_median_ms']:.2f} ms")
        for fn, r in results.items():
            print(f"{fn:5} delivered {r['delivered']}/{writes}: write -> handler median {r['median_ms']:.2f} ms, "
                  f"p90 {r['p90_ms']:.2f}, p99 {r['p99_ms']:.2f}, max {r['max_ms']:.2f} (goal: median <= 20 ms)")
    finally:
        run([args.fx, 'emulator', 'stop'], cwd=svc, env=env, check=False)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == '__main__':
    main()
