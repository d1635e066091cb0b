"""An `http` event's `cors` (REST API) on the local gateway, as the Serverless Framework sets
it up on AWS ("Enabling CORS"): an OPTIONS method per path answered by a MOCK integration, so
the gateway answers the preflight itself (200, the function does not run) with the event's
origin(s), headers, the path's methods, and allowCredentials / maxAge / cacheControl when set.
With several origins, the answer names the request's Origin when it is one of them, else the
first. A lambda-proxy route's own answers get no CORS headers from the framework's setup: on
AWS the function must send them itself (the framework's docs say so), and fx does the same, so
a function that forgets them fails locally as it would in a browser on AWS. A non-proxy
(`integration: lambda`) route's answers carry Access-Control-Allow-Origin (and -Credentials),
as the framework's integration responses add them.
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
          hello:
            handler: app.hello
            events:
              - http: {path: plain, method: get, cors: true}
              - http:
                  path: custom/{id}
                  method: post
                  cors:
                    origins: [https://app.example, 'https://*.trusted.example']
                    headers: [Content-Type, X-Custom]
                    allowCredentials: true
                    maxAge: 600
                    cacheControl: 'max-age=600, s-maxage=600'
              - http:
                  path: legacy
                  method: post
                  integration: lambda
                  cors: {origin: 'https://one.example', allowCredentials: true}
        """,
    "app.py": """
        def hello(event, context):
            print("INVOKED", event.get("httpMethod") or event.get("method"))
            if "httpMethod" not in event:  # integration: lambda
                return {"ok": True}
            return {"statusCode": 200, "body": "hi", "headers": {"X-From": "fn"}}
        """,
}


class RestCorsTest(FxTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        FxTestCase.make_service(cls, SERVICE, name="rcors")
        r = cls.fx_static(["deploy"], cwd=cls.service_dir, timeout=120)
        assert r.code == 0, r
        status = cls.fx_static(["emulator", "status", "--json"]).json()
        cls.gateway = urllib.parse.urlparse(status["gateway_url"])

    @classmethod
    def tearDownClass(cls):
        cls.fx_static(["remove"], cwd=cls.service_dir)
        super().tearDownClass()

    def setUp(self):
        self.service_dir = type(self).service_dir

    def request(self, method, path, headers=None, body=None):
        conn = http.client.HTTPConnection(self.gateway.hostname, self.gateway.port, timeout=30)
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data

    def preflight(self, path, origin, method):
        return self.request("OPTIONS", path, {"Origin": origin,
                                              "Access-Control-Request-Method": method})

    def test_cors_true_takes_the_framework_defaults(self):
        status, h, _ = self.preflight("/dev/plain", "https://any.example", "GET")
        self.assertEqual(status, 200)
        self.assertEqual(h["access-control-allow-origin"], "*")
        self.assertEqual(h["access-control-allow-headers"],
                         "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,"
                         "X-Amz-User-Agent,X-Amzn-Trace-Id")
        self.assertEqual(h["access-control-allow-methods"], "GET,OPTIONS")
        self.assertNotIn("access-control-allow-credentials", h)
        self.assertNotIn("access-control-max-age", h)
        # The preflight never reaches the function.
        lines = [l["message"] for l in self.logs("hello")]
        self.assertFalse([l for l in lines if "INVOKED OPTIONS" in l], lines)

    def test_cors_object_settings_and_origins(self):
        status, h, _ = self.preflight("/dev/custom/7", "https://a.trusted.example", "POST")
        self.assertEqual(status, 200)
        self.assertEqual(h["access-control-allow-origin"], "https://a.trusted.example")
        self.assertEqual(h["access-control-allow-headers"], "Content-Type,X-Custom")
        self.assertEqual(h["access-control-allow-methods"], "OPTIONS,POST")
        self.assertEqual(h["access-control-allow-credentials"], "true")
        self.assertEqual(h["access-control-max-age"], "600")
        self.assertEqual(h["cache-control"], "max-age=600, s-maxage=600")
        # An origin that is none of them gets the first: the browser then refuses the call.
        _, h, _ = self.preflight("/dev/custom/7", "https://evil.example", "POST")
        self.assertEqual(h["access-control-allow-origin"], "https://app.example")
        _, h, _ = self.preflight("/dev/custom/7", "https://app.example", "POST")
        self.assertEqual(h["access-control-allow-origin"], "https://app.example")

    def test_proxy_answers_carry_only_the_functions_headers(self):
        # As on AWS with the framework's setup: no Access-Control-Allow-Origin unless the
        # function sends it.
        status, h, data = self.request("GET", "/dev/plain", {"Origin": "https://any.example"})
        self.assertEqual((status, data), (200, b"hi"))
        self.assertEqual(h["x-from"], "fn")
        self.assertNotIn("access-control-allow-origin", h)

    def test_non_proxy_answers_carry_the_origin(self):
        status, h, data = self.request("POST", "/dev/legacy", {
            "Origin": "https://one.example", "Content-Type": "application/json"}, body=b"{}")
        self.assertEqual(status, 200, data)
        self.assertEqual(json.loads(data), {"ok": True})
        self.assertEqual(h["access-control-allow-origin"], "https://one.example")
        self.assertEqual(h["access-control-allow-credentials"], "true")


class RestCorsManifestErrorTest(FxTestCase):
    start_emulator = False

    def test_bad_cors_settings_name_their_line(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider:
                  name: aws
                  runtime: python3.11
                functions:
                  hello:
                    handler: app.hello
                    events:
                      - http:
                          path: x
                          method: get
                          cors:
                            maxAge: -1
                """,
            "app.py": "def hello(e, c):\n    return 1\n",
        })
        r = self.fx("package")
        self.assertEqual(r.code, 1, r)
        self.assertRegex(r.err, r"fx: error: serverless\.yaml:13:\d+: "
                                r"functions\.hello\.events\[0\]\.http\.cors\.maxAge: expected an "
                                r"integer from 0 to \d+ \(seconds\), got -1")


if __name__ == "__main__":
    main()
