"""The emulator's HTTP server against careless and hostile clients (issue 13): a 100 MB
upload is answered 413 and the client reads it, clients sending their heads slowly are
dropped, malformed requests are answered 400, and after each the same emulator process
still serves.

Only server-level behaviours: the harmless GET /_fx/v1/status and the Lambda API's
/2015-03-31/functions are the endpoints used. The slow-client test waits out the server's
default 10 s header timeout.
"""
import http.client
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse

from fxtest import FxTestCase, main

HUNDRED_MB = 100 * 1024 * 1024


class HttpLimits(FxTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        u = urllib.parse.urlparse(cls.url)
        cls.host, cls.port = u.hostname, u.port

    def connect(self):
        s = socket.create_connection((self.host, self.port), timeout=30)
        self.addCleanup(s.close)
        return s

    def read_until_close(self, s):
        got = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return got
            got += chunk

    def assert_still_serving(self):
        """The emulator that was started is the one answering, and it answers."""
        status = self.ok("emulator", "status", "--json").json()
        self.assertEqual(status["pid"], self.pid)
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        conn.request("GET", "/_fx/v1/status", headers=self.auth())
        r = conn.getresponse()
        r.read()
        self.assertEqual(r.status, 200)
        conn.close()

    def test_a_100_mb_upload_is_answered_413_and_the_client_reads_it(self):
        # Python's http.client sends the whole body before it reads: the server must drop
        # what comes after its answer instead of resetting the connection under it.
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        conn.request("POST", "/2015-03-31/functions", body=b"x" * HUNDRED_MB,
                     headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        body = r.read()
        self.assertEqual(r.status, 413)
        # Lambda's answer to a CreateFunction over its limit, before a byte of the body is read.
        self.assertEqual(r.getheader("x-amzn-ErrorType"), "RequestEntityTooLargeException")
        self.assertEqual(r.getheader("Connection"), "close")
        self.assertEqual(json.loads(body)["message"],
                         "Request must be smaller than 70167211 bytes for the CreateFunction "
                         "operation")
        conn.close()
        self.assert_still_serving()

    def test_curl_uploading_100_mb_reads_the_413(self):
        curl = shutil.which("curl")
        if not curl:
            self.skipTest("curl is not installed")
        with tempfile.NamedTemporaryFile(dir=self.root) as f:
            f.truncate(HUNDRED_MB)
            # curl asks "Expect: 100-continue" for a large body: the 413 comes instead of
            # the 100, and curl does not send the body at all.
            p = subprocess.run([curl, "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                                "-H", "Content-Type: application/json",
                                "--data-binary", "@" + f.name,
                                self.url + "/2015-03-31/functions"],
                               capture_output=True, text=True, timeout=60)
        self.assertEqual((p.returncode, p.stdout), (0, "413"), p.stderr)
        self.assert_still_serving()

    def test_clients_sending_their_heads_slowly_are_dropped(self):
        clients = [self.connect() for _ in range(50)]
        for s in clients:
            s.sendall(b"GET /_fx/v1/status HTTP/1.1\r\nHost: x\r\n")
            s.setblocking(False)
        # Each sends one more header field every half second, so that no single wait is
        # long, until the server closes it; bounded at 30 s (the timeout is 10 s).
        answers = {}
        deadline = time.monotonic() + 30
        while len(answers) < len(clients) and time.monotonic() < deadline:
            for i, s in enumerate(clients):
                if i in answers:
                    continue
                try:
                    got = s.recv(65536)
                except BlockingIOError:
                    try:
                        s.send(b"X-Slow: 1\r\n")
                    except OSError:
                        pass
                    continue
                except OSError:
                    got = b""
                answers[i] = got
                if got:  # the answer, then the end
                    s.setblocking(True)
                    answers[i] += self.read_until_close(s)
            # Meanwhile, other clients are served.
            if len(answers) < len(clients):
                self.assert_still_serving()
            time.sleep(0.5)
        self.assertEqual(len(answers), len(clients), "some slow clients were never dropped")
        for got in answers.values():
            self.assertTrue(got.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), got)
            self.assertIn(b"\r\nConnection: close\r\n", got)
            self.assertTrue(got.endswith(b'{"message":"the request head did not arrive in time"}'),
                            got)
        self.assert_still_serving()

    def test_malformed_requests_are_answered_400_saying_what(self):
        cases = {
            b"GARBAGE\r\n\r\n": "invalid method in the request line",
            b"GET /_fx/v1/status HTTP/9.9\r\n\r\n":
                "invalid request line (expected METHOD /path HTTP/1.1)",
            b"GET _fx/v1/status HTTP/1.1\r\n\r\n":
                "the request target must be a path starting with '/'",
            b"GET /_fx/v1/status HTTP/1.1\r\nBad Header\r\n\r\n": "invalid header field name",
            b"GET /_fx/v1/status HTTP/1.1\r\nX-A: a\r\n folded\r\n\r\n":
                "obsolete line folding in the header fields (a line starts with a space)",
            b"GET /_fx/v1/status HTTP/1.1\r\nX-A: a\x00b\r\n\r\n":
                "invalid character in a header field value",
            b"POST /2015-03-31/functions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n":
                "invalid chunk in the chunked body",
        }
        for request, message in cases.items():
            with self.subTest(request=request):
                s = self.connect()
                s.sendall(request)
                got = self.read_until_close(s)
                head, _, body = got.partition(b"\r\n\r\n")
                self.assertTrue(head.startswith(b"HTTP/1.1 400 Bad Request\r\n"), got)
                self.assertIn(b"\r\nConnection: close", head)
                self.assertEqual(json.loads(body), {"message": message})
        self.assert_still_serving()

    def test_heads_and_targets_over_their_limits_are_431_and_414(self):
        for request, status in [
            (b"GET /_fx/v1/status HTTP/1.1\r\nX-Big: " + b"v" * 20000 + b"\r\n\r\n",
             b"431 Request Header Fields Too Large"),
            (b"GET /_fx/v1/status HTTP/1.1\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(150))
             + b"\r\n", b"431 Request Header Fields Too Large"),
            (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", b"414 URI Too Long"),
        ]:
            with self.subTest(status=status):
                s = self.connect()
                s.sendall(request)
                got = self.read_until_close(s)
                self.assertTrue(got.startswith(b"HTTP/1.1 " + status + b"\r\n"), got[:200])
        self.assert_still_serving()


if __name__ == "__main__":
    main()
