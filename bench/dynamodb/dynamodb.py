"""fx benchmark for issue 16: DynamoDB on the emulator's endpoint, with moto's DynamoDB
(`python3 -m moto.server`) as the peer in the same run. See bench/README.md, "Issue 16".

(a) PutItem, then GetItem, of 1 KB items, one after another through ONE keep-alive connection
    (a raw HTTP/1.1 client written here, so the client costs little and the same for both
    peers): median and p99 latency, ops/s, fx beside moto and the ratio. The client's own
    floor (the same client against a canned answer from a socket loop in another process) is
    measured and reported, not subtracted.
(b) A Query returning 100 items (`pk = :p AND sk BETWEEN :a AND :b` on a random partition of
    1,000 items) from a table of 1,000,000 items: median and p99 over FXBENCH_DDB_QUERIES
    queries on one connection. fx only: loading a million items into moto takes most of an
    hour and the goal is absolute. The table is loaded through the API the fastest legitimate
    way: BatchWriteItem of 25 items (the API's maximum), bodies encoded before the clock starts,
    FXBENCH_DDB_CLIENTS connections at once (the emulator runs DynamoDB on one worker thread,
    so more connections only keep it busy while a client reads its answer).
(d) 100,000 items of 1 KB loaded with BatchWriteItem (as in (b)) into a fresh store: wall time
    and items/s for fx and for moto, and fx's store on disk (dynamodb.db plus its WAL, bytes
    allocated and apparent size) after the load.

Standard library only. Results: bench/results/dynamodb-<UTC time>/ (results.json, summary.md).
"""
import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import log, machine_info, pct  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "aws"))
from moto_proxy import MotoServer  # noqa: E402

AUTH = ("AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=host;x-amz-target, Signature=00")
GOAL_RATIO = 10.0  # (a): fx at least 10x moto
GOAL_QUERY_MS = 2.0  # (b): median


def env_int(name, default):
    return int(os.environ.get(name, default))


class Conn:
    """One keep-alive HTTP/1.1 connection, requests written and answers read by hand. A server
    that closes the connection (HTTP/1.0, `Connection: close`) is reconnected to, and counted."""

    def __init__(self, url):
        host, port = url.split("//", 1)[1].rsplit(":", 1)
        self.addr = (host, int(port))
        self.reconnects = -1
        self.sock = None
        self._connect()

    def _connect(self):
        if self.sock:
            self.sock.close()
        self.sock = socket.create_connection(self.addr)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.file = self.sock.makefile("rb")
        self.reconnects += 1

    def call(self, op, body):
        head = (f"POST / HTTP/1.1\r\nHost: {self.addr[0]}:{self.addr[1]}\r\n"
                f"X-Amz-Target: DynamoDB_20120810.{op}\r\nAuthorization: {AUTH}\r\n"
                f"Content-Type: application/x-amz-json-1.0\r\nContent-Length: {len(body)}\r\n\r\n")
        self.sock.sendall(head.encode() + body)
        status_line = self.file.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split()[1])
        length, close = 0, status_line.startswith(b"HTTP/1.0")
        while True:
            line = self.file.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection":
                close = value.strip().lower() == b"close"
        data = self.file.read(length)
        if close:
            self._connect()
        return status, data

    def close(self):
        self.sock.close()


def ok(conn, op, body):
    status, data = conn.call(op, body if isinstance(body, bytes) else json.dumps(body).encode())
    if status != 200:
        raise RuntimeError(f"{op}: {status} {data[:500]!r}")
    return json.loads(data)


def create_table(url, name):
    c = Conn(url)
    ok(c, "CreateTable", {"TableName": name, "BillingMode": "PAY_PER_REQUEST",
                          "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                        {"AttributeName": "sk", "KeyType": "RANGE"}],
                          "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                                   {"AttributeName": "sk", "AttributeType": "N"}]})
    c.close()


def kb_item(i):
    """An item of exactly 1,024 bytes by DynamoDB's measure (names' and values' UTF-8 bytes;
    a number counts about one byte per two digits plus one)."""
    pk, sk = f"k{i:08d}", str(i % 1000)
    sk_size = (len(sk) + 1) // 2 + 1
    fill = 1024 - (2 + len(pk)) - (2 + sk_size) - 4
    return {"pk": {"S": pk}, "sk": {"N": sk}, "data": {"S": "x" * fill}}


def small_item(i):
    """An item of about 100 bytes: 1,000 partitions of 1,000 sort keys each."""
    return {"pk": {"S": f"p{i // 1000:04d}"}, "sk": {"N": str(i % 1000)},
            "v": {"S": f"value-{i:08d}-" + "y" * 60}, "n": {"N": str(i)}}


def timed_calls(conn, requests):
    """Each (op, body) in turn; latencies in ms, and the wall time of the whole run in s."""
    lat = []
    start = time.perf_counter()
    for op, body in requests:
        t0 = time.perf_counter()
        status, data = conn.call(op, body)
        lat.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            raise RuntimeError(f"{op}: {status} {data[:300]!r}")
    return lat, time.perf_counter() - start


def stats(lat, wall):
    return {"n": len(lat), "median_ms": round(statistics.median(lat), 4), "p99_ms": round(pct(lat, 99), 4),
            "mean_ms": round(statistics.fmean(lat), 4), "ops_per_s": round(len(lat) / wall, 1)}


def put_get(url, table, n, warmup):
    """(a) on one peer: PutItem of n+warmup 1 KB items, then GetItem of each, one connection."""
    create_table(url, table)
    conn = Conn(url)
    put = [("PutItem", json.dumps({"TableName": table, "Item": kb_item(i)}).encode())
           for i in range(n + warmup)]
    get = [("GetItem", json.dumps({"TableName": table, "Key": {k: kb_item(i)[k] for k in ("pk", "sk")}}).encode())
           for i in range(n + warmup)]
    timed_calls(conn, put[:warmup])
    put_lat, put_wall = timed_calls(conn, put[warmup:])
    timed_calls(conn, get[:warmup])
    get_lat, get_wall = timed_calls(conn, get[warmup:])
    # The items came back whole: a benchmark of wrong answers measures nothing.
    got = ok(conn, "GetItem", json.loads(get[-1][1]))
    assert got["Item"] == kb_item(n + warmup - 1), "GetItem returned another item"
    out = {"put": stats(put_lat, put_wall), "get": stats(get_lat, get_wall), "reconnects": conn.reconnects}
    conn.close()
    return out


FLOOR_SERVER = r"""
import socket, sys
body = b'{"Item":{}}'
answer = (b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: "
          + str(len(body)).encode() + b"\r\n\r\n" + body)
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
buf = b""
while True:
    data = c.recv(65536)
    if not data:
        break
    buf += data
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            break
        length = 0
        for line in buf[:end].split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v)
        if len(buf) < end + 4 + length:
            break
        buf = buf[end + 4 + length:]
        c.sendall(answer)
"""


def client_floor(n):
    """The client and loopback alone: the same client, the same 1 KB PutItem bodies, answered
    at once by a socket loop in another process."""
    p = subprocess.Popen([sys.executable, "-c", FLOOR_SERVER], stdout=subprocess.PIPE, text=True)
    try:
        port = int(p.stdout.readline())
        conn = Conn(f"http://127.0.0.1:{port}")
        reqs = [("PutItem", json.dumps({"TableName": "t", "Item": kb_item(i)}).encode()) for i in range(n)]
        timed_calls(conn, reqs[:200])
        lat, wall = timed_calls(conn, reqs)
        conn.close()
        return stats(lat, wall)
    finally:
        p.kill()
        p.wait()


def batch_bodies(table, make_item, count):
    bodies = []
    for start in range(0, count, 25):
        reqs = [{"PutRequest": {"Item": make_item(i)}} for i in range(start, min(count, start + 25))]
        bodies.append(json.dumps({"RequestItems": {table: reqs}}).encode())
    return bodies


def load(url, table, bodies, clients):
    """BatchWriteItem of every body over `clients` connections at once; returns seconds. An
    answer's UnprocessedItems are sent again (neither peer returns any here, but a loader that
    ignored them would be wrong)."""
    queue = list(reversed(bodies))
    lock = threading.Lock()
    errors = []

    def worker():
        conn = Conn(url)
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    body = queue.pop()
                while body is not None:
                    status, data = conn.call("BatchWriteItem", body)
                    if status != 200:
                        raise RuntimeError(f"BatchWriteItem: {status} {data[:300]!r}")
                    left = json.loads(data).get("UnprocessedItems") or {}
                    body = json.dumps({"RequestItems": left}).encode() if left else None
        except Exception as e:  # noqa: BLE001 - reported after the join
            errors.append(e)
        finally:
            conn.close()

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - start


def count_items(url, table):
    conn = Conn(url)
    total, start = 0, None
    while True:
        body = {"TableName": table, "Select": "COUNT"}
        if start:
            body["ExclusiveStartKey"] = start
        r = ok(conn, "Scan", body)
        total += r["Count"]
        start = r.get("LastEvaluatedKey")
        if not start:
            conn.close()
            return total


def disk_usage(paths):
    allocated = apparent = 0
    for p in paths:
        if p.exists():
            st = p.stat()
            apparent += st.st_size
            allocated += st.st_blocks * 512
    return allocated, apparent


class Emulator:
    def __init__(self, fx_bin, home):
        self.fx_bin = fx_bin
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("FX_")}
        self.env.update(FX_HOME=str(home), NO_COLOR="1")
        self.home = Path(home)
        r = self.fx("emulator", "start", "--port", "0", "--json")
        info = json.loads(r.stdout)
        self.url, self.pid = info["url"], info["pid"]

    def fx(self, *args):
        p = subprocess.run([self.fx_bin, *args], env=self.env, capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            raise RuntimeError(f"fx {' '.join(args)} failed:\n{p.stdout}\n{p.stderr}")
        return p

    def stop(self):
        self.fx("emulator", "stop")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fx", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default="abd", help="which of a, b, d")
    args = ap.parse_args()
    n = env_int("FXBENCH_DDB_N", 2000)
    warmup = env_int("FXBENCH_DDB_WARMUP", 200)
    big = env_int("FXBENCH_DDB_ITEMS", 1_000_000)
    queries = env_int("FXBENCH_DDB_QUERIES", 1000)
    loaded = env_int("FXBENCH_DDB_LOAD", 100_000)
    clients = env_int("FXBENCH_DDB_CLIENTS", 4)
    out = Path(args.out)
    work = Path(tempfile.mkdtemp(prefix="fxbench-dynamodb-"))
    results = {"machine": machine_info(), "fx": args.fx,
               "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                        cwd=Path(__file__).parent).stdout.strip(),
               "settings": {"n": n, "warmup": warmup, "items": big, "queries": queries, "loaded": loaded,
                            "clients": clients}}
    moto = MotoServer(log_path=str(work / "moto.log"), docker_less=False, managed_policies=False)
    emulators = []
    try:
        if "d" in args.only:
            # First, on a store of its own, so the size on disk is these items' alone.
            log(f"(d) {loaded} items of 1 KB with BatchWriteItem, {clients} connections")
            emu = Emulator(args.fx, work / "home-d")
            emulators.append(emu)
            bodies = batch_bodies("load", kb_item, loaded)
            create_table(emu.url, "load")
            fx_s = load(emu.url, "load", bodies, clients)
            assert count_items(emu.url, "load") == loaded, "fx lost items"
            db = emu.home / "dynamodb.db"
            allocated, apparent = disk_usage([db, Path(f"{db}-wal"), Path(f"{db}-shm")])
            create_table(moto.url, "load")
            moto_s = load(moto.url, "load", bodies, clients)
            assert count_items(moto.url, "load") == loaded, "moto lost items"
            results["d"] = {
                "fx": {"seconds": round(fx_s, 2), "items_per_s": round(loaded / fx_s)},
                "moto": {"seconds": round(moto_s, 2), "items_per_s": round(loaded / moto_s)},
                "ratio": round(moto_s / fx_s, 1),
                "store_bytes_allocated": allocated, "store_bytes_apparent": apparent,
                "payload_bytes": loaded * 1024}
            log(json.dumps(results["d"]))
            emu.stop()
            emulators.remove(emu)
        emu = Emulator(args.fx, work / "home")
        emulators.append(emu)
        if "a" in args.only:
            log(f"(a) PutItem and GetItem of 1 KB items, {n} each after {warmup} warm-up, one connection")
            results["a"] = {"fx": put_get(emu.url, "kvtable", n, warmup), "moto": put_get(moto.url, "kvtable", n, warmup),
                            "client_floor": client_floor(n)}
            for op in ("put", "get"):
                results["a"][f"ratio_{op}"] = round(results["a"]["moto"][op]["median_ms"]
                                                    / results["a"]["fx"][op]["median_ms"], 1)
            log(json.dumps(results["a"]))
        if "b" in args.only:
            log(f"(b) loading {big} items ({clients} connections of BatchWriteItem)")
            create_table(emu.url, "big")
            bodies = batch_bodies("big", small_item, big)
            load_s = load(emu.url, "big", bodies, clients)
            del bodies
            log(f"    loaded in {load_s:.1f} s")
            conn = Conn(emu.url)
            table = ok(conn, "DescribeTable", {"TableName": "big"})["Table"]
            assert table["ItemCount"] == big, table["ItemCount"]
            rng = random.Random(16)
            partitions = big // 1000

            def query_body():
                a = rng.randrange(0, 901)
                return json.dumps({
                    "TableName": "big", "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
                    "ExpressionAttributeValues": {":p": {"S": f"p{rng.randrange(partitions):04d}"},
                                                  ":a": {"N": str(a)}, ":b": {"N": str(a + 99)}}}).encode()

            reqs = [("Query", query_body()) for _ in range(queries + 50)]
            timed_calls(conn, reqs[:50])
            lat, wall = timed_calls(conn, reqs[50:])
            r = ok(conn, "Query", reqs[-1][1])
            assert r["Count"] == 100 and len(r["Items"]) == 100, r["Count"]
            conn.close()
            db = emu.home / "dynamodb.db"
            allocated, apparent = disk_usage([db, Path(f"{db}-wal"), Path(f"{db}-shm")])
            results["b"] = {"load_seconds": round(load_s, 1), "load_items_per_s": round(big / load_s),
                            "query": stats(lat, wall), "response_bytes": len(json.dumps(r)),
                            "store_bytes_allocated": allocated}
            log(json.dumps(results["b"]))
    finally:
        for e in emulators:
            try:
                e.stop()
            except Exception as ex:  # noqa: BLE001
                log(f"stopping the emulator: {ex}")
        moto.close()
        shutil.rmtree(work, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    summary = summary_markdown(results)
    (out / "summary.md").write_text(summary)
    print(summary)


def summary_markdown(r):
    lines = ["| | fx | moto | moto / fx | goal |", "|---|---|---|---|---|"]
    a = r.get("a")
    if a:
        for op, name in (("put", "PutItem 1 KB"), ("get", "GetItem 1 KB")):
            f, m = a["fx"][op], a["moto"][op]
            ratio = a[f"ratio_{op}"]
            lines.append(f"| (a) {name}, median (p99) | {f['median_ms']:.3f} ms ({f['p99_ms']:.3f}), "
                         f"{f['ops_per_s']:,.0f} ops/s | {m['median_ms']:.3f} ms ({m['p99_ms']:.3f}), "
                         f"{m['ops_per_s']:,.0f} ops/s | ×{ratio} | ≥ ×{GOAL_RATIO:g}: "
                         f"{'met' if ratio >= GOAL_RATIO else 'NOT met'} |")
        fl = a["client_floor"]
        lines.append(f"| (a) client floor (canned answer) | {fl['median_ms']:.3f} ms | | | |")
    b = r.get("b")
    if b:
        q = b["query"]
        lines.append(f"| (b) Query of 100 items from {r['settings']['items']:,}, median (p99) | "
                     f"{q['median_ms']:.3f} ms ({q['p99_ms']:.3f}) | not run | | ≤ {GOAL_QUERY_MS:g} ms: "
                     f"{'met' if q['median_ms'] <= GOAL_QUERY_MS else 'NOT met'} |")
        lines.append(f"| (b) loading the {r['settings']['items']:,} items | {b['load_seconds']} s "
                     f"({b['load_items_per_s']:,} items/s) | | | |")
    d = r.get("d")
    if d:
        lines.append(f"| (d) {r['settings']['loaded']:,} items of 1 KB, BatchWriteItem | {d['fx']['seconds']} s "
                     f"({d['fx']['items_per_s']:,} items/s) | {d['moto']['seconds']} s "
                     f"({d['moto']['items_per_s']:,} items/s) | ×{d['ratio']} | — |")
        lines.append(f"| (d) store on disk | {d['store_bytes_allocated'] / 1e6:.1f} MB "
                     f"(payload {d['payload_bytes'] / 1e6:.1f} MB) | in memory | | — |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
