"""`alb` events served on the emulator's ALB port as an Application Load Balancer listener serves
a Lambda target group, through the real fx binary and real Python and Node functions: each
condition type, priorities, multi-value headers on and off, base64 bodies, ALB's 404 when no
rule matches and 502 for a bad result, and attacks on the port that must leave it answering.
"""
import base64
import http.client
import json
import socket
import urllib.parse

from fxtest import FxTestCase, main

LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2"


def alb(priority, conditions, extra=""):
    return f"""
      - alb:
          listenerArn: {LISTENER}
          priority: {priority}
          conditions:
{conditions}{extra}"""


SERVICE = {
    "serverless.yaml": """
service: SERVICE
provider:
  name: aws
  runtime: python3.11
functions:
  echo:
    handler: app.echo
    events:""" + alb(10, "            path: /echo*") + """
  multi:
    handler: app.echo
    events:""" + alb(5, "            path: [/multi, /other/multi]", "\n          multiValueHeaders: true") + """
  byheader:
    handler: app.echo
    events:""" + alb(1, "            path: /echo/*\n            header:\n              name: X-Route\n              values: ['he?der*']") + """
  byquery:
    handler: app.echo
    events:""" + alb(2, "            path: /echo/*\n            query:\n              route: q*y") + """
  bymethod:
    handler: app.echo
    events:""" + alb(3, "            path: /echo/*\n            method: [DELETE, patch]") + """
  byhost:
    handler: app.echo
    events:""" + alb(4, "            host: 'api.example.*'") + """
  farip:
    handler: app.echo
    events:""" + alb(6, "            path: /ip\n            ip: [10.0.0.0/8]") + """
  nearip:
    handler: app.echo
    events:""" + alb(7, "            path: /ip\n            ip: [192.168.0.0/16, 127.0.0.0/8]") + """
  bad:
    handler: app.bad
    events:""" + alb(20, "            path: /bad/*") + """
  boom:
    handler: app.boom
    events:""" + alb(21, "            path: /boom", "\n          healthCheck: true") + """
  node:
    handler: index.handler
    runtime: nodejs20.x
    events:""" + alb(22, "            path: /node", "\n          healthCheck:\n            path: /node") + "\n",
    "app.py": """
import json

def echo(event, context):
    body = json.dumps(event)
    if "multiValueHeaders" in event:
        return {"statusCode": 200, "statusDescription": "200 OK",
                "multiValueHeaders": {"x-fn": [context.function_name], "set-cookie": ["a=1", "b=2"],
                                      "content-type": ["application/json"]},
                "headers": {"x-ignored": "yes"}, "body": body, "isBase64Encoded": False}
    return {"statusCode": 200, "headers": {"x-fn": context.function_name,
                                           "content-type": "application/json"},
            "multiValueHeaders": {"x-ignored": ["yes"]}, "body": body}

def bad(event, context):
    kind = event["path"].rsplit("/", 1)[1]
    return {"nostatus": {"body": "x"}, "body": {"statusCode": 200, "body": {"a": 1}},
            "status": {"statusCode": "200"}, "header": {"statusCode": 200, "headers": {"a": "b\\r\\nc: d"}},
            "list": [1], "b64": {"statusCode": 200, "body": "%%%", "isBase64Encoded": True},
            "ok": {"statusCode": 418}}[kind]

def boom(event, context):
    raise RuntimeError("boom")
""",
    "index.js": """
exports.handler = async (event) => ({
  statusCode: 201,
  headers: {"content-type": "image/png"},
  body: Buffer.from(event.isBase64Encoded ? Buffer.from(event.body, "base64") : [0, 255, 1]).toString("base64"),
  isBase64Encoded: true,
});
""",
}


class AlbTest(FxTestCase):
    deployed = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        status = cls.fx_static(["emulator", "status", "--json"]).json()
        cls.alb = urllib.parse.urlparse(status["alb_url"])
        cls.gateway = urllib.parse.urlparse(status["gateway_url"])

    def setUp(self):
        if AlbTest.deployed is None:
            self.make_service(SERVICE, name="albs")
            r = self.ok("deploy")
            AlbTest.deployed = r.out

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(self.alb.hostname, self.alb.port, timeout=30)
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, resp.getheaders(), data

    def routed(self, method, path, headers=None, body=None):
        status, headers_out, data = self.request(method, path, body, headers)
        self.assertEqual(status, 200, data)
        fn = dict((k.lower(), v) for k, v in headers_out)["x-fn"]
        return fn.rsplit("-", 1)[1], json.loads(data)

    def raw(self, data):
        with socket.create_connection((self.alb.hostname, self.alb.port), timeout=30) as s:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            out = b""
            while chunk := s.recv(65536):
                out += chunk
        return out

    def test_deploy_prints_the_alb_url(self):
        self.assertIn(f"ALB    http://127.0.0.1:{self.alb.port}/echo*  (priority 10)",
                      AlbTest.deployed)
        self.assertNotEqual(self.alb.port, self.gateway.port)

    def test_event_shape(self):
        fn, e = self.routed("POST", "/echo?a=1&a=2&sp=x%20y&plus=a+b&flag",
                            headers={"X-Multi": "one", "Content-Type": "application/json"},
                            body=b'{"k": 1}')
        self.assertEqual(fn, "echo")
        self.assertEqual(list(e), ["requestContext", "httpMethod", "path", "queryStringParameters",
                                   "headers", "body", "isBase64Encoded"])
        self.assertTrue(e["requestContext"]["elb"]["targetGroupArn"].startswith(
            "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/"))
        self.assertEqual(e["httpMethod"], "POST")
        self.assertEqual(e["path"], "/echo")
        # ALB passes query values still URL-encoded, and a repeated name's last value.
        self.assertEqual(e["queryStringParameters"], {"a": "2", "sp": "x%20y", "plus": "a+b", "flag": ""})
        self.assertEqual(e["headers"]["x-multi"], "one")
        self.assertNotIn("X-Multi", e["headers"])
        self.assertEqual(e["body"], '{"k": 1}')
        self.assertFalse(e["isBase64Encoded"])
        fn, e = self.routed("GET", "/echo")
        self.assertEqual((e["queryStringParameters"], e["body"]), ({}, ""))

    def test_multi_value_headers(self):
        status, headers, data = self.request("GET", "/multi?a=1&a=%2F&b=x",
                                             headers={"X-A": "1", "x-a": "2"})
        self.assertEqual(status, 200, data)
        e = json.loads(data)
        self.assertNotIn("headers", e)
        self.assertNotIn("queryStringParameters", e)
        self.assertEqual(e["multiValueQueryStringParameters"], {"a": ["1", "%2F"], "b": ["x"]})
        self.assertEqual(e["multiValueHeaders"]["x-a"], ["1", "2"])
        names = [k.lower() for k, _ in headers]
        self.assertEqual([v for k, v in headers if k.lower() == "set-cookie"], ["a=1", "b=2"])
        self.assertNotIn("x-ignored", names)  # with multi-value headers on, `headers` is not read
        # Off: `multiValueHeaders` of the result is not read.
        status, headers, _ = self.request("GET", "/echo")
        self.assertNotIn("x-ignored", [k.lower() for k, _ in headers])

    def test_conditions_and_priorities(self):
        self.assertEqual(self.routed("GET", "/echo/x")[0], "echo")
        self.assertEqual(self.routed("GET", "/echo/x", {"X-Route": "HEADER-1"})[0], "byheader")
        self.assertEqual(self.routed("GET", "/echo/x", {"X-Route": "heder"})[0], "echo")
        self.assertEqual(self.routed("GET", "/echo/x?route=query")[0], "byquery")
        self.assertEqual(self.routed("GET", "/echo/x?route=QUERY&z=1")[0], "byquery")
        self.assertEqual(self.routed("GET", "/echo/x?route=other")[0], "echo")
        # Priority 1 beats 2 when both match.
        self.assertEqual(self.routed("GET", "/echo/x?route=qy", {"X-Route": "header"})[0], "byheader")
        self.assertEqual(self.routed("DELETE", "/echo/x")[0], "bymethod")
        self.assertEqual(self.routed("PATCH", "/echo/x")[0], "bymethod")
        self.assertEqual(self.routed("GET", "/echo/x", {"Host": "api.example.com:8080"})[0], "byhost")
        self.assertEqual(self.routed("GET", "/nowhere", {"Host": "API.Example.org"})[0], "byhost")
        self.assertEqual(self.routed("GET", "/ip")[0], "nearip")
        self.assertEqual(self.routed("GET", "/other/multi")[0], "multi")
        # Paths are case-sensitive.
        status, headers, data = self.request("GET", "/ECHO")
        self.assertEqual((status, data), (404, b"Not Found"))

    def test_no_rule_matches(self):
        status, headers, data = self.request("GET", "/nothing/here")
        self.assertEqual((status, data), (404, b"Not Found"))

    def test_base64_bodies(self):
        status, headers, data = self.request("POST", "/echo", body=bytes(range(256)),
                                             headers={"Content-Type": "application/octet-stream"})
        e = json.loads(data)
        self.assertTrue(e["isBase64Encoded"])
        self.assertEqual(base64.b64decode(e["body"]), bytes(range(256)))
        status, headers, data = self.request("POST", "/echo", body=b"\xff\xfe text",
                                             headers={"Content-Type": "text/plain"})
        self.assertTrue(json.loads(data)["isBase64Encoded"])
        status, headers, data = self.request("GET", "/node")
        self.assertEqual((status, data), (201, bytes([0, 255, 1])))
        self.assertIn(("content-type", "image/png"), [(k.lower(), v) for k, v in headers])

    def test_bad_results_are_502(self):
        for kind in ("nostatus", "body", "status", "header", "list", "b64"):
            status, headers, data = self.request("GET", "/bad/" + kind)
            self.assertEqual(status, 502, (kind, data))
            self.assertIn(b"<h1>502 Bad Gateway</h1>", data)
        status, _, data = self.request("GET", "/boom")
        self.assertEqual(status, 502, data)
        status, _, data = self.request("GET", "/bad/ok")
        self.assertEqual((status, data), (418, b""))

    def test_attacks_leave_it_answering(self):
        self.assertIn(b" 400 ", self.raw(b"GARBAGE\r\n\r\n").split(b"\r\n")[0] + b" ")
        huge = b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n"
        first = self.raw(huge).split(b"\r\n")[0]
        self.assertRegex(first, rb"HTTP/1.1 4(00|31|13)")
        # Invalid UTF-8 in the path and the query: the event is still JSON the function reads.
        out = self.raw(b"GET /echo/\xff\xfe?q=\xff%ff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 200"), out[:200])
        query = "&".join(f"p{i}=v{i}" for i in range(10000))
        status, _, data = self.request("GET", "/echo?" + query)
        self.assertIn(status, (200, 414), data[:200])
        if status == 200:
            self.assertEqual(len(json.loads(data)["queryStringParameters"]), 10000)
        status, _, data = self.request("POST", "/echo", body=b"x" * (1024 * 1024 + 10))
        self.assertEqual(status, 413, data[:200])
        self.assertEqual(self.routed("GET", "/echo")[0], "echo")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_service(port_line):
    return {"serverless.yaml": "service: SERVICE\nprovider: {name: aws, runtime: python3.11}\n"
                               + port_line +
                               "functions:\n  f:\n    handler: app.f\n    events:"
                               + alb(1, "            path: /own") + "\n",
            "app.py": "def f(event, context):\n"
                      "    return {'statusCode': 200, 'body': 'own ' + event['path']}\n"}


class AlbPortTest(FxTestCase):
    """custom.fx.albPort: the service's own ALB listener, on that port, serving its rules."""

    def get(self, port, path):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", path)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, data

    def test_the_service_is_served_on_its_own_port_and_moves_with_it(self):
        port = free_port()
        self.make_service(port_service(f"custom:\n  fx:\n    albPort: {port}\n"), name="albport")
        r = self.ok("deploy")
        self.assertIn(f"ALB    http://127.0.0.1:{port}/own  (priority 1)", r.out)
        self.assertEqual(self.get(port, "/own"), (200, b"own /own"))
        self.assertEqual(self.get(port, "/elsewhere")[0], 404)
        # Another port: the listener moves, the old port is closed.
        moved = free_port()
        with open(f"{self.service_dir}/serverless.yaml", "w") as f:
            f.write(port_service(f"custom:\n  fx:\n    albPort: {moved}\n")["serverless.yaml"]
                    .replace("SERVICE", "albport"))
        self.ok("deploy")
        self.assertEqual(self.get(moved, "/own"), (200, b"own /own"))
        with self.assertRaises(ConnectionRefusedError):
            self.get(port, "/own")
        self.ok("remove")
        with self.assertRaises(ConnectionRefusedError):
            self.get(moved, "/own")

    def test_bad_ports_are_errors_at_their_key(self):
        gateway = urllib.parse.urlparse(
            self.fx_static(["emulator", "status", "--json"]).json()["gateway_url"]).port
        for value, said in [("0", "an integer from 1 to 65535"),
                            ("65536", "an integer from 1 to 65535"),
                            ("http", "an integer from 1 to 65535"),
                            (str(gateway), "is the emulator's HTTP gateway")]:
            with self.subTest(value=value):
                self.make_service(port_service(f"custom:\n  fx:\n    albPort: {value}\n"))
                r = self.fx("deploy")
                self.assertEqual(r.code, 1, r)
                lines = [l for l in r.err.splitlines() if l.startswith("fx: error:")]
                self.assertEqual(len(lines), 1, r.err)
                self.assertIn("serverless.yaml:5:14", lines[0])
                self.assertIn("albPort", lines[0])
                self.assertIn(said, lines[0])
        # A port another process holds: said, and nothing is left half-applied.
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            self.make_service(port_service(
                f"custom:\n  fx:\n    albPort: {taken.getsockname()[1]}\n"))
            r = self.fx("deploy")
            self.assertEqual(r.code, 1, r)
            self.assertIn("cannot listen there", r.err)


class AlbRefusedTest(FxTestCase):
    """Malformed alb events stop the deploy with one line naming the event."""

    def deploy_error(self, events):
        self.make_service({"serverless.yaml": "service: SERVICE\nprovider: {name: aws, runtime: python3.11}\n"
                                              "functions:\n  f:\n    handler: app.f\n    events:" + events + "\n",
                           "app.py": "def f(event, context):\n    return 1\n"})
        r = self.fx("deploy")
        self.assertEqual(r.code, 1, r)
        lines = [l for l in r.err.splitlines() if l.startswith("fx: error:")]
        self.assertEqual(len(lines), 1, r.err)
        self.assertIn("serverless.yaml:7:", lines[0])
        self.assertIn("function 'f': alb", lines[0])
        return lines[0]

    def test_refusals(self):
        self.assertIn("priority 1 is already taken", self.deploy_error(
            alb(1, "            path: /a") + alb(1, "            path: /b")))
        self.assertIn("has the condition 'cookie'", self.deploy_error(alb(1, "            cookie: a")))
        self.assertIn("not an integer from 1 to 50000", self.deploy_error(alb(0, "            path: /a")))
        self.assertIn("not a CIDR block", self.deploy_error(alb(1, "            ip: [nonsense]")))
        self.assertIn("authorizer", self.deploy_error(
            alb(1, "            path: /a", "\n          authorizer: cognito")))


if __name__ == "__main__":
    main()
