"""provider.httpApi.cors on the local gateway, as a browser meets it.

Preflights (OPTIONS with Origin and Access-Control-Request-Method/-Headers) are answered by
the gateway itself, 204, with the CORS headers only for an allowed origin, method and headers;
the function never runs for them (its log counts its calls). Every answer of the API's routes
to an allowed origin carries Access-Control-Allow-Origin (and credentials, exposed headers),
errors included, and the function's own CORS headers are replaced, as API Gateway does.
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
          httpApi:
            cors:
              allowedOrigins:
                - https://app.example
                - https://*.trusted.example
              allowedHeaders: [Content-Type, Authorization, X-Custom]
              allowedMethods: [GET, POST, OPTIONS]
              allowCredentials: true
              exposedResponseHeaders: [X-Count]
              maxAge: 600
        functions:
          hello:
            handler: app.hello
            events:
              - httpApi: 'GET /hello'
              - httpApi: 'POST /hello'
              - httpApi: 'GET /boom'
        """,
    "app.py": """
        def hello(event, context):
            print("INVOKED", event["requestContext"]["http"]["method"], event["rawPath"])
            if event["rawPath"] == "/boom":
                raise RuntimeError("boom")
            return {"statusCode": 200, "body": "hi",
                    "headers": {"Access-Control-Allow-Origin": "https://evil.example", "X-Count": "1"}}
        """,
}


class CorsTest(FxTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        FxTestCase.make_service(cls, SERVICE)
        r = cls.fx_static(["deploy"], cwd=cls.service_dir)
        assert r.code == 0, r
        status = cls.fx_static(["emulator", "status", "--json"]).json()
        cls.gateway = urllib.parse.urlparse(status["gateway_url"])

    def request(self, method, path, headers=None):
        conn = http.client.HTTPConnection(self.gateway.hostname, self.gateway.port, timeout=30)
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data

    def invocations(self):
        return sum(1 for l in self.logs("hello") if "INVOKED" in l["message"])

    def preflight(self, origin, method="POST", req_headers=None, path="/hello"):
        headers = {"Origin": origin, "Access-Control-Request-Method": method}
        if req_headers:
            headers["Access-Control-Request-Headers"] = req_headers
        return self.request("OPTIONS", path, headers)

    def test_preflight_of_an_allowed_origin(self):
        self.request("GET", "/hello")  # the function has run at least once: its log exists
        before = self.invocations()
        status, h, body = self.preflight("https://app.example", "POST", "content-type, x-custom")
        self.assertEqual((status, body), (204, b""))
        self.assertEqual(h["access-control-allow-origin"], "https://app.example")
        self.assertEqual(h["access-control-allow-methods"], "GET,POST,OPTIONS")
        self.assertEqual(h["access-control-allow-headers"], "Content-Type,Authorization,X-Custom")
        self.assertEqual(h["access-control-allow-credentials"], "true")
        self.assertEqual(h["access-control-max-age"], "600")
        status, h, _ = self.preflight("https://eu.trusted.example", "GET")
        self.assertEqual((status, h["access-control-allow-origin"]), (204, "https://eu.trusted.example"))
        # The function never ran for a preflight.
        self.assertEqual(self.request("GET", "/hello")[0], 200)
        self.wait_for(lambda: self.invocations() == before + 1, message="the GET's log line")
        self.assertEqual(self.invocations(), before + 1)

    def test_preflight_of_what_is_not_allowed_has_no_cors_headers(self):
        for origin, method, headers in [("https://evil.example", "POST", None),
                                        ("https://trusted.example", "GET", None),  # '*' needs a label
                                        ("https://app.example", "DELETE", None),
                                        ("https://app.example", "POST", "X-Other"),
                                        ("null", "GET", None)]:
            status, h, _ = self.preflight(origin, method, headers)
            self.assertEqual(status, 204, origin)
            self.assertNotIn("access-control-allow-origin", h, (origin, method, headers))

    def test_answers_carry_the_headers_for_allowed_origins_only(self):
        status, h, body = self.request("GET", "/hello", {"Origin": "https://app.example"})
        self.assertEqual((status, body), (200, b"hi"))
        self.assertEqual(h["access-control-allow-origin"], "https://app.example")
        self.assertEqual(h["access-control-allow-credentials"], "true")
        self.assertEqual(h["access-control-expose-headers"], "X-Count")
        # An origin the API does not allow: the function's own CORS header is dropped too.
        status, h, _ = self.request("GET", "/hello", {"Origin": "https://evil.example"})
        self.assertEqual(status, 200)
        self.assertNotIn("access-control-allow-origin", h)
        status, h, _ = self.request("GET", "/hello")
        self.assertNotIn("access-control-allow-origin", h)

    def test_errors_carry_them_too(self):
        status, h, _ = self.request("GET", "/boom", {"Origin": "https://app.example"})
        self.assertEqual(status, 500)
        self.assertEqual(h["access-control-allow-origin"], "https://app.example")
        status, h, _ = self.request("GET", "/nowhere", {"Origin": "https://app.example"})
        self.assertEqual(status, 404)

    def test_options_without_origin_is_not_a_preflight(self):
        status, _, _ = self.request("OPTIONS", "/hello")
        self.assertEqual(status, 405)

    def test_cors_true_takes_the_framework_defaults(self):
        self.make_service({"serverless.yaml": """
            service: SERVICE
            provider:
              name: aws
              runtime: python3.11
              httpApi:
                cors: true
            functions:
              other:
                handler: app.other
                events:
                  - httpApi: 'PUT /other'
            """, "app.py": "def other(e, c):\n    return 'x'\n"})
        self.ok("deploy")
        try:
            status, h, _ = self.preflight("https://anywhere.example", "PUT", "Authorization",
                                          path="/other")
            self.assertEqual(status, 204)
            self.assertEqual(h["access-control-allow-origin"], "*")
            self.assertEqual(h["access-control-allow-methods"], "OPTIONS,PUT")
            self.assertIn("X-Amz-Date", h["access-control-allow-headers"])
            self.assertNotIn("access-control-allow-credentials", h)
            status, h, _ = self.request("PUT", "/other", {"Origin": "https://anywhere.example"})
            self.assertEqual((status, h["access-control-allow-origin"]), (200, "*"))
        finally:
            self.ok("remove")

    def test_bad_cors_settings_stop_the_deploy_at_their_line(self):
        self.make_service({"serverless.yaml": """
            service: SERVICE
            provider:
              name: aws
              runtime: python3.11
              httpApi:
                cors:
                  maxAge: ten
            functions:
              f:
                handler: app.f
            """, "app.py": "def f(e, c):\n    return 1\n"})
        r = self.fx("deploy")
        self.assertNotEqual(r.code, 0, r)
        self.assertRegex(r.err, r"fx: error: .*serverless\.yaml:7:\d+: provider\.httpApi\.cors\.maxAge")


if __name__ == "__main__":
    main()
