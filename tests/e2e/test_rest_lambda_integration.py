"""REST `http` events with `integration: lambda` (non-proxy) through the real fx binary, its
emulator's gateway and real Python and Node functions: the event the Serverless Framework's
default request template makes, the return value as the body, errorMessage patterns picking
the status, response headers, and the requests API Gateway refuses before the function runs.
"""
import http.client
import json
import urllib.parse

from fxtest import FxTestCase, main

SERVICE = {
    "serverless.yaml": """
        service: SERVICE
        provider:
          name: aws
          runtime: python3.11
        functions:
          echo:
            handler: app.echo
            events:
              - http:
                  path: items/{id}
                  method: post
                  integration: lambda
          fail:
            handler: app.fail
            events:
              - http:
                  path: fail
                  method: get
                  integration: LAMBDA
          custom:
            handler: app.fail
            events:
              - http:
                  path: custom
                  method: get
                  integration: aws
                  response:
                    headers:
                      Content-Type: "'text/plain'"
                      X-Kind: integration.response.body.kind
                    statusCodes:
                      201:
                        pattern: ''
                      409:
                        pattern: '.*conflict.*'
                        headers:
                          X-Why: "'conflict'"
          node:
            handler: index.handler
            runtime: nodejs20.x
            events:
              - http:
                  path: node
                  method: get
                  integration: lambda
          proxy:
            handler: app.proxy
            events:
              - http:
                  path: proxy
                  method: get
                  integration: lambda-proxy
        """,
    "app.py": """
        def echo(event, context):
            return event
        def fail(event, context):
            kind = event["query"].get("kind", "ok")
            if kind == "ok":
                return {"kind": "fine", "n": 1}
            raise ValueError(kind)
        def proxy(event, context):
            return {"statusCode": 202, "body": event["httpMethod"]}
        """,
    "index.js": """
        exports.handler = async (event) => {
          if (event.query.fail) throw new Error("[404] no " + event.query.fail);
          return "node " + event.method;
        };
        """,
}


class RestLambdaIntegrationTest(FxTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        status = cls.fx_static(["emulator", "status", "--json"]).json()
        cls.gateway = urllib.parse.urlparse(status["gateway_url"])

    def setUp(self):
        self.make_service(SERVICE, name="lint")
        self.ok("deploy")

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(self.gateway.hostname, self.gateway.port, timeout=30)
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data

    def test_default_template_event(self):
        status, headers, data = self.request(
            "POST", "/dev/items/a%20b?q=x%20y&q=2&flag", body=b'{"k": [1, "v"]}',
            headers={"Content-Type": "application/json", "User-Agent": "fx-test", "X-Custom": "c"})
        self.assertEqual(status, 200, data)
        self.assertEqual(headers["content-type"], "application/json")
        e = json.loads(data)
        self.assertEqual(list(e), ["body", "method", "principalId", "stage", "cognitoPoolClaims",
                                   "enhancedAuthContext", "headers", "query", "path", "identity",
                                   "stageVariables", "requestPath"])
        self.assertEqual(e["body"], {"k": [1, "v"]})
        self.assertEqual(e["method"], "POST")
        self.assertEqual(e["principalId"], "")
        self.assertEqual(e["stage"], "dev")
        self.assertEqual(e["cognitoPoolClaims"], {"sub": ""})
        self.assertEqual(e["enhancedAuthContext"], {})
        self.assertEqual(e["headers"]["X-Custom"], "c")
        # The template's querystring map holds a name's last value, decoded.
        self.assertEqual(e["query"], {"q": "2", "flag": ""})
        self.assertEqual(e["path"], {"id": "a b"})
        self.assertEqual(e["identity"]["sourceIp"], "127.0.0.1")
        self.assertEqual(e["identity"]["userAgent"], "fx-test")
        self.assertEqual(e["identity"]["cognitoIdentityId"], "")
        self.assertEqual(e["stageVariables"], {})
        self.assertEqual(e["requestPath"], "/items/{id}")

    def test_bodies_by_content_type(self):
        # No body and no Content-Type: JSON's template, an empty object.
        status, _, data = self.request("POST", "/dev/items/1")
        self.assertEqual(status, 200, data)
        self.assertEqual(json.loads(data)["body"], {})
        status, _, data = self.request(
            "POST", "/dev/items/1", body=b"a=1&b=x+y%21&a=2&c",
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        self.assertEqual(status, 200, data)
        self.assertEqual(json.loads(data)["body"], {"a": "2", "b": "x y!", "c": ""})
        # passThrough NEVER: a type with no template is refused before the function runs.
        status, _, data = self.request("POST", "/dev/items/1", body=b"hi",
                                       headers={"Content-Type": "text/plain"})
        self.assertEqual((status, json.loads(data)), (415, {"message": "Unsupported Media Type"}))
        for bad in (b"{not json", b"\xff\xfe{}", b"[" * 100000):
            status, _, data = self.request("POST", "/dev/items/1", body=bad,
                                           headers={"Content-Type": "application/json"})
            self.assertEqual(status, 400, data)
            self.assertTrue(json.loads(data)["message"].startswith(
                "Could not parse request body into json"), data)

    def test_return_value_is_the_body(self):
        status, headers, data = self.request("GET", "/dev/fail")
        self.assertEqual(status, 200, data)
        self.assertEqual(json.loads(data), {"kind": "fine", "n": 1})
        status, _, data = self.request("GET", "/dev/node")
        self.assertEqual((status, json.loads(data)), (200, "node GET"))

    def test_default_status_codes_pick_by_error_message(self):
        for kind, expected in (("[400] bad", 400), ("x [401] y", 401), ("[403]", 403),
                               ("[404] gone", 404), ("[422]", 422), ("[500] broke", 500),
                               ("[502]", 502), ("[504]", 504)):
            status, _, data = self.request("GET", "/dev/fail?kind=" + urllib.parse.quote(kind))
            self.assertEqual(status, expected, (kind, data))
            error = json.loads(data)
            self.assertEqual(error["errorMessage"], kind)
            self.assertEqual(error["errorType"], "ValueError")
        # An error no pattern matches takes the default response: 200, the error as the body.
        status, _, data = self.request("GET", "/dev/fail?kind=plain")
        self.assertEqual(status, 200, data)
        self.assertEqual(json.loads(data)["errorMessage"], "plain")
        status, _, data = self.request("GET", "/dev/node?fail=user")
        self.assertEqual(status, 404, data)
        self.assertEqual(json.loads(data)["errorMessage"], "[404] no user")

    def test_custom_status_codes_and_headers(self):
        status, headers, data = self.request("GET", "/dev/custom")
        self.assertEqual(status, 201, data)
        self.assertEqual(headers["content-type"], "text/plain")
        self.assertEqual(headers["x-kind"], "fine")
        self.assertNotIn("x-why", headers)
        status, headers, data = self.request("GET", "/dev/custom?kind=a%20conflict%20here")
        self.assertEqual(status, 409, data)
        self.assertEqual(headers["x-why"], "conflict")
        self.assertNotIn("x-kind", headers)  # the error has no `kind`: the header is left out
        # Only the patterns given count: "[404]" is not one of them here.
        status, _, data = self.request("GET", "/dev/custom?kind=%5B404%5D")
        self.assertEqual(status, 201, data)

    def test_proxy_alias_stays_proxy(self):
        status, _, data = self.request("GET", "/dev/proxy")
        self.assertEqual((status, data), (202, b"GET"))

    def test_emulator_survives_attacks(self):
        long_query = "&".join(f"p{i}=v" for i in range(10000))
        status, _, _ = self.request("POST", "/dev/items/1?" + long_query)
        self.assertIn(status, (200, 414, 431), status)
        status, _, data = self.request("POST", "/dev/items/%ff%fe?q=%ff", body=b'{}')
        self.assertEqual(status, 200, data)
        self.assertEqual(json.loads(data)["query"], {"q": "\ufffd"})
        # A lone surrogate is no character: the body does not parse, a 400 as for any such.
        status, _, data = self.request("POST", "/dev/items/1", body=b'{"a": "\\ud800"}')
        self.assertEqual(status, 400, data)
        status, _, data = self.request("GET", "/dev/fail?kind=" + "x" * 6000 + "%5B404%5D")
        self.assertEqual(status, 200, data)  # past the 2 KB the patterns see
        status, _, data = self.request("GET", "/dev/fail")
        self.assertEqual(status, 200, data)


class RestLambdaIntegrationRefusedTest(FxTestCase):
    """What fx does not run is refused at deploy, in one line naming the event."""

    def deploy_error(self, http):
        manifest = ("service: SERVICE\n"
                    "provider: {name: aws, runtime: python3.11}\n"
                    "functions:\n"
                    "  f:\n"
                    "    handler: app.f\n"
                    "    events:\n"
                    "      - http:\n"
                    + "".join(f"          {line}\n" for line in http.splitlines()))
        self.make_service({"serverless.yaml": manifest,
                           "app.py": "def f(event, context):\n    return 1\n"})
        r = self.fx("deploy")
        self.assertEqual(r.code, 1, r)
        lines = [l for l in r.err.splitlines() if l.startswith("fx: error:")]
        self.assertEqual(len(lines), 1, r.err)
        self.assertIn("serverless.yaml:7:", lines[0])
        self.assertIn("function 'f'", lines[0])
        return lines[0]

    def test_custom_templates_refused(self):
        base = "path: t\nmethod: post\nintegration: lambda\n"
        line = self.deploy_error(base + "request:\n  template:\n    application/json: '{\"a\": 1}'")
        self.assertIn("request.template 'application/json' is a custom mapping template", line)
        line = self.deploy_error(base + "response:\n  template: $input.path('$')")
        self.assertIn("response.template is a custom mapping template", line)
        line = self.deploy_error(
            base + "response:\n  statusCodes:\n    200:\n      template: $input.path('$')")
        self.assertIn("response.statusCodes.200.template", line)

    def test_bad_settings_refused(self):
        base = "path: t\nmethod: post\n"
        self.assertIn("integration 'mock'", self.deploy_error(base + "integration: mock"))
        self.assertIn("'abc' is not an HTTP status", self.deploy_error(
            base + "integration: lambda\nresponse:\n  statusCodes:\n    abc: {pattern: ''}"))
        self.assertIn("is not a regular expression", self.deploy_error(
            base + "integration: lambda\nresponse:\n  statusCodes:\n    400: {pattern: '(['}"))
        self.assertIn("which fx cannot map", self.deploy_error(
            base + "integration: lambda\nresponse:\n  headers:\n    X-A: method.request.path.id"))
        self.assertIn("passThrough", self.deploy_error(
            base + "integration: lambda\nrequest:\n  passThrough: WHEN_NO_MATCH"))


if __name__ == "__main__":
    main()
