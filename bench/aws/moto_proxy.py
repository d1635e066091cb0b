"""moto for fx's AWS target, and a recording reverse proxy in front of it, so that what fx sends to AWS is counted by
something other than fx: code uploads, configuration updates, IAM actions, headers.

It can also answer a request itself instead of moto (inject_answer), to play the parts of
AWS that moto does not: an IAM role Lambda cannot assume yet, rejected credentials.

Used by bench/aws/aws_deploy.py and tests/e2e/test_aws_target.py; also runnable:
    python3 bench/aws/moto_proxy.py --upstream http://127.0.0.1:5000 [--port 0]
which prints its URL and serves GET /_proxy/stats and POST /_proxy/reset.
"""
import argparse
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_CREATE = re.compile(r"^/2015-03-31/functions/?$")
_CODE = re.compile(r"^/2015-03-31/functions/[^/]+/code/?$")
_CONFIG = re.compile(r"^/2015-03-31/functions/[^/]+/configuration/?$")


def operation(method, path, body):
    """A name for the call: Lambda's operation for the ones counted, IAM's Action, else
    "METHOD /path"."""
    path = path.split("?", 1)[0]
    if method == "POST" and _CREATE.match(path):
        return "CreateFunction"
    if method == "PUT" and _CODE.match(path):
        return "UpdateFunctionCode"
    if method == "PUT" and _CONFIG.match(path):
        return "UpdateFunctionConfiguration"
    if method == "POST" and path == "/" and body:
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            return form["Action"][0]
    return f"{method} {path}"


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []  # (operation, method, path, headers dict lower-cased)
        self.answers = []  # [operation, remaining, status, headers, body]
        self.patches = []  # [operation, remaining, fields]

    def reset(self):
        with self.lock:
            self.requests.clear()
            self.answers.clear()
            self.patches.clear()

    def count(self, op):
        with self.lock:
            return sum(1 for r in self.requests if r[0] == op)

    def code_uploads(self):
        """Requests that carry a function's code: CreateFunction and UpdateFunctionCode."""
        return self.count("CreateFunction") + self.count("UpdateFunctionCode")

    def calls(self, op):
        with self.lock:
            return [r for r in self.requests if r[0] == op]

    def stats(self):
        with self.lock:
            out = {}
            for r in self.requests:
                out[r[0]] = out.get(r[0], 0) + 1
            return out

    def inject_answer(self, op, times, status, body, headers=None):
        """The next `times` requests of operation `op` ("*": any) get this answer, not moto's."""
        with self.lock:
            self.answers.append([op, times, status, headers or {}, body])

    def patch_answer(self, op, times, fields):
        """moto's JSON answer to the next `times` requests of `op` gets these fields."""
        with self.lock:
            self.patches.append([op, times, fields])

    def _take(self, items, op):
        with self.lock:
            for item in items:
                if item[1] > 0 and item[0] in ("*", op):
                    item[1] -= 1
                    return item
        return None


def make_handler(upstream, recorder):
    up = urllib.parse.urlsplit(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # fx keeps its connection open between calls

        def log_message(self, *args):
            pass

        def _answer(self, status, headers, body):
            self.send_response(status)
            for k, v in headers:
                if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _proxy(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path.startswith("/_proxy/"):
                if self.path == "/_proxy/reset":
                    recorder.reset()
                out = json.dumps(recorder.stats()).encode()
                return self._answer(200, [("Content-Type", "application/json")], out)
            op = operation(self.command, self.path, body)
            with recorder.lock:
                recorder.requests.append(
                    (op, self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
            answer = recorder._take(recorder.answers, op)
            if answer:
                _, _, status, headers, text = answer
                return self._answer(status, list(headers.items()), text.encode())
            patch = recorder._take(recorder.patches, op)
            conn = http.client.HTTPConnection(up.hostname, up.port, timeout=120)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                conn.request(self.command, self.path, body=body, headers=headers)
                res = conn.getresponse()
                data = res.read()
                if patch:
                    data = json.dumps({**json.loads(data), **patch[2]}).encode()
                self._answer(res.status, res.getheaders(), data)
            finally:
                conn.close()

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _proxy

    return Handler


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MotoServer:
    """`python3 -m moto.server` on a free loopback port, set up as fx's AWS target needs it:
    AWS managed policies loaded (AWSLambdaBasicExecutionRole is attached to fx's role) and
    Lambda's Docker-less backend (no Docker here), whose Invoke answers with the event."""

    def __init__(self, log_path=os.devnull, docker_less=True, managed_policies=True):
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = dict(os.environ)
        if managed_policies:
            env["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.url + "/moto-api/data.json", timeout=2).read()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    raise RuntimeError(f"moto did not start on {self.url}")
                time.sleep(0.1)
        # Must come before the first Lambda call: the Docker-less backend is a separate one.
        # (Which has a flaw: CreateFunction looks for layers in the other one, so a function
        # with layers needs docker_less=False, where only Invoke fails.)
        if docker_less:
            self._post("/moto-api/config", {"lambda": {"use_docker": False}})

    def _post(self, path, data):
        req = urllib.request.Request(self.url + path, data=json.dumps(data).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
        return urllib.request.urlopen(req, timeout=30).read()

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class MotoProxy:
    """Serves on 127.0.0.1:port (0: a free one) in a background thread."""

    def __init__(self, upstream, port=0):
        self.recorder = Recorder()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(upstream, self.recorder))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    proxy = MotoProxy(args.upstream, args.port)
    print(proxy.url, flush=True)
    try:
        proxy.thread.join()
    except KeyboardInterrupt:
        proxy.close()


if __name__ == "__main__":
    main()
