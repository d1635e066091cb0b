"""The HTTP gateway through the real fx binary and emulator, with a real HTTP client.

Golden checks of the v1 (REST, `http`) and v2 (HTTP API, `httpApi`) events the handler
receives, and of how results, errors and bad requests come back to the client.
"""
import base64
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
              - httpApi: 'ANY /v2/{thing}'
              - http:
                  path: v1/{id}
                  method: any
                  cors: true
              - http:
                  path: files/{proxy+}
                  method: get
              - http:
                  path: secret
                  method: get
                  private: true
          shortcut:
            handler: app.shortcut
            events:
              - httpApi: 'GET /short/{kind}'
          garbage:
            handler: app.garbage
            events:
              - http: 'GET garbage'
          boom:
            handler: app.boom
            events:
              - httpApi: 'GET /boom'
          image:
            handler: app.image
            events:
              - httpApi: 'GET /image'
        """,
    "app.py": """
        import base64, json
        def echo(event, context):
            return {"statusCode": 200, "headers": {"content-type": "application/json"},
                    "body": json.dumps(event)}
        def shortcut(event, context):
            kind = event["pathParameters"]["kind"]
            return {"text": "plain string", "num": 42, "obj": {"a": 1}}[kind] if kind != "list" else [1, 2]
        def garbage(event, context):
            return {"statusCode": 200, "body": {"not": "a string"}}
        def boom(event, context):
            raise RuntimeError("kaboom")
        def image(event, context):
            return {"statusCode": 200, "headers": {"content-type": "image/png"},
                    "body": base64.b64encode(bytes(range(256))).decode(), "isBase64Encoded": True,
                    "cookies": ["a=1; Path=/", "b=2"]}
        def fallback(event, context):
            return {"statusCode": 418, "body": "fallback " + event["rawPath"]}
        """,
}


class GatewayTest(FxTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        status = cls.fx_static(["emulator", "status", "--json"]).json()
        cls.gateway = urllib.parse.urlparse(status["gateway_url"])

    def setUp(self):
        self.make_service(SERVICE)
        r = self.ok("deploy", "--json", "--show-secrets")
        self.deploy = r.json()

    def tearDown(self):
        # One gateway port serves every service: routes of a removed service are freed.
        self.ok("remove")

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(self.gateway.hostname, self.gateway.port, timeout=30)
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, resp.getheaders(), data

    def event(self, method, path, body=None, headers=None):
        status, _, data = self.request(method, path, body, headers)
        self.assertEqual(status, 200, data)
        return json.loads(data)

    def test_v2_event_fields(self):
        e = self.event("POST", "/v2/some%20thing?a=1&a=2&b=x", body=b'{"k": "v"}',
                       headers={"Content-Type": "application/json", "X-Multi": "one",
                                "Cookie": "c1=v1; c2=v2", "User-Agent": "fx-test"})
        self.assertEqual(e["version"], "2.0")
        self.assertEqual(e["routeKey"], "ANY /v2/{thing}")
        self.assertEqual(e["rawPath"], "/v2/some%20thing")
        self.assertEqual(e["rawQueryString"], "a=1&a=2&b=x")
        self.assertEqual(e["queryStringParameters"], {"a": "1,2", "b": "x"})
        self.assertEqual(e["pathParameters"], {"thing": "some thing"})
        self.assertEqual(e["cookies"], ["c1=v1", "c2=v2"])
        self.assertNotIn("cookie", e["headers"])
        self.assertEqual(e["headers"]["x-multi"], "one")
        self.assertEqual(e["body"], '{"k": "v"}')
        self.assertFalse(e["isBase64Encoded"])
        ctx = e["requestContext"]
        self.assertEqual(ctx["http"]["method"], "POST")
        self.assertEqual(ctx["http"]["path"], "/v2/some%20thing")
        self.assertEqual(ctx["http"]["userAgent"], "fx-test")
        self.assertEqual(ctx["routeKey"], "ANY /v2/{thing}")
        self.assertEqual(ctx["stage"], "$default")
        self.assertEqual(ctx["accountId"], "000000000000")
        for key in ("requestId", "time", "timeEpoch", "domainName", "apiId"):
            self.assertIn(key, ctx)

    def test_v1_event_fields_with_and_without_stage(self):
        for prefix in ("/dev", ""):
            e = self.event("PUT", f"{prefix}/v1/42?q=1&q=2", body=b"hello",
                           headers={"Content-Type": "text/plain", "X-Rep": "a"})
            self.assertEqual(e["resource"], "/v1/{id}")
            self.assertEqual(e["path"], "/v1/42")
            self.assertEqual(e["httpMethod"], "PUT")
            self.assertEqual(e["pathParameters"], {"id": "42"})
            self.assertEqual(e["queryStringParameters"], {"q": "2"})
            self.assertEqual(e["multiValueQueryStringParameters"], {"q": ["1", "2"]})
            self.assertEqual(e["headers"]["X-Rep"], "a")
            self.assertEqual(e["multiValueHeaders"]["X-Rep"], ["a"])
            self.assertIsNone(e["stageVariables"])
            self.assertEqual(e["body"], "hello")
            self.assertFalse(e["isBase64Encoded"])
            self.assertEqual(e["requestContext"]["stage"], "dev")
            self.assertEqual(e["requestContext"]["resourcePath"], "/v1/{id}")
            self.assertEqual(e["requestContext"]["httpMethod"], "PUT")

    def test_greedy_path_and_binary_request(self):
        e = self.event("GET", "/dev/files/a/b/c.txt")
        self.assertEqual(e["pathParameters"], {"proxy": "a/b/c.txt"})
        raw = bytes(range(256))
        e = self.event("POST", "/v2/bin", body=raw, headers={"Content-Type": "application/octet-stream"})
        self.assertTrue(e["isBase64Encoded"])
        self.assertEqual(base64.b64decode(e["body"]), raw)

    def test_binary_response_and_cookies(self):
        status, headers, data = self.request("GET", "/image")
        self.assertEqual(status, 200)
        self.assertEqual(data, bytes(range(256)))
        cookies = [v for k, v in headers if k.lower() == "set-cookie"]
        self.assertEqual(cookies, ["a=1; Path=/", "b=2"])

    def test_v2_shortcut_results(self):
        status, headers, data = self.request("GET", "/short/text")
        self.assertEqual((status, data), (200, b"plain string"))
        self.assertEqual(dict((k.lower(), v) for k, v in headers)["content-type"], "application/json")
        self.assertEqual(self.request("GET", "/short/num")[2], b"42")
        self.assertEqual(json.loads(self.request("GET", "/short/obj")[2]), {"a": 1})
        self.assertEqual(json.loads(self.request("GET", "/short/list")[2]), [1, 2])

    def test_errors(self):
        # A malformed result: 502 with a JSON body, and the reason in the function's log.
        status, _, data = self.request("GET", "/dev/garbage")
        self.assertEqual(status, 502)
        self.assertIn("message", json.loads(data))
        self.assertTrue(any("fx gateway" in l["message"] and "body" in l["message"] for l in self.logs("garbage")))
        # A function error: API Gateway's error, the stack in the logs.
        status, _, data = self.request("GET", "/boom")
        self.assertIn(status, (500, 502))
        self.assertIn("message", json.loads(data))
        self.assertTrue(any("kaboom" in l["message"] for l in self.logs("boom")))
        # An unknown route: 404 JSON; a known path with another method: 405 JSON.
        status, _, data = self.request("GET", "/nowhere")
        self.assertEqual((status, json.loads(data)), (404, {"message": "Not Found"}))
        status, _, data = self.request("DELETE", "/dev/files/x")
        self.assertEqual(status, 405)
        self.assertEqual(json.loads(data), {"message": "Method Not Allowed"})
        # Over 6 MB: 413.
        status, _, data = self.request("POST", "/v2/big", body=b"x" * (6 * 1024 * 1024 + 1),
                                       headers={"Content-Type": "text/plain"})
        self.assertEqual(status, 413)
        self.assertIn("message", json.loads(data))

    def test_default_route_catches_the_rest(self):
        self.assertEqual(self.request("GET", "/anything/else")[0], 404)
        main_dir = self.service_dir
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider:
                  name: aws
                  runtime: python3.11
                functions:
                  fallback:
                    handler: app.fallback
                    events:
                      - httpApi: '*'
                """,
            "app.py": SERVICE["app.py"],
        })
        self.ok("deploy")
        try:
            status, _, data = self.request("GET", "/anything/else")
            self.assertEqual((status, data), (418, b"fallback /anything/else"))
            # Routes of other services still win over the catch-all.
            self.assertEqual(self.request("GET", "/short/num")[2], b"42")
        finally:
            self.ok("remove")
            self.service_dir = main_dir

    def test_cors_preflight_and_headers(self):
        status, headers, _ = self.request("OPTIONS", "/dev/v1/9", headers={
            "Origin": "http://example.com", "Access-Control-Request-Method": "PUT"})
        self.assertEqual(status, 200)
        h = {k.lower(): v for k, v in headers}
        self.assertEqual(h["access-control-allow-origin"], "*")
        self.assertIn("PUT", h["access-control-allow-methods"])

    def test_private_route_needs_the_api_key(self):
        key = self.deploy["api_key"]
        self.assertEqual(self.request("GET", "/dev/secret")[0], 403)
        self.assertEqual(self.request("GET", "/dev/secret", headers={"x-api-key": "wrong"})[0], 403)
        self.assertEqual(self.request("GET", "/dev/secret", headers={"x-api-key": key})[0], 200)
        # The key stays the same across deploys.
        self.assertEqual(self.ok("deploy", "--json", "--show-secrets").json()["api_key"], key)
        # Without --show-secrets, no output carries it whole.
        for args in (["deploy", "--json"], ["deploy"], ["info"], ["info", "--json"]):
            r = self.ok(*args)
            self.assertNotIn(key, r.out + r.err, args)
        self.assertEqual(self.ok("deploy", "--json").json()["api_key"], key[:4] + "...")

    def test_deploy_and_info_print_full_urls(self):
        routes = {r for f in self.deploy["functions"] for r in f["routes"]}
        base = f"http://{self.gateway.hostname}:{self.gateway.port}"
        self.assertIn(f"GET    {base}/short/{{kind}}", routes)
        self.assertIn(f"GET    {base}/dev/secret", routes)
        info = self.ok("info").out
        self.assertIn(f"{base}/dev/files/{{proxy+}}", info)


class GatewayBadInputTest(FxTestCase):
    start_emulator = False

    def test_two_functions_claiming_one_route(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider:
                  name: aws
                  runtime: python3.11
                functions:
                  one:
                    handler: app.h
                    events:
                      - httpApi: 'GET /same/{id}'
                  two:
                    handler: app.h
                    events:
                      - httpApi: 'GET /same/{other}'
                """,
            "app.py": "def h(e, c):\n    return 1\n",
        })
        r = self.fx("package")
        self.assertEqual(r.code, 1, r)
        self.assertEqual(r.err.count("fx: error:"), 1, r)
        self.assertIn("one", r.err)
        self.assertIn("two", r.err)
        self.assertRegex(r.err, r"serverless\.yaml:\d+:\d+")

    def test_malformed_route(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider:
                  name: aws
                  runtime: python3.11
                functions:
                  one:
                    handler: app.h
                    events:
                      - httpApi: 'GET /broken/{id'
                """,
            "app.py": "def h(e, c):\n    return 1\n",
        })
        r = self.fx("package")
        self.assertEqual(r.code, 1, r)
        self.assertRegex(r.err, r"fx: error: serverless\.yaml:9:\d+: .*'\{'")


if __name__ == "__main__":
    main()
