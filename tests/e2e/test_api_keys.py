"""provider.apiGateway.apiKeys and usagePlan on the local gateway, as a REST API runs them.

A `private: true` route takes any enabled key of the service in `x-api-key` (403
{"message":"Forbidden"} otherwise, as API Gateway answers); keys the manifest gives no value
get one the emulator makes once and keeps across deploys; a key's usage plan throttles it
(429 {"message":"Too Many Requests"}) and counts it against its quota (429
{"message":"Limit Exceeded"}). `fx deploy` and `fx info` print the keys (--json too), and the
gateway's refusals are in `fx logs`, with the key's name and never its value.
"""
import http.client
import json
import re
import urllib.parse

from fxtest import FxTestCase, main

GIVEN = "given-key-value-0123456789"
OFF = "disabled-key-value-0123456789"

SERVICE = {
    "serverless.yaml": """
        service: SERVICE
        provider:
          name: aws
          runtime: python3.11
          apiGateway:
            apiKeys:
              - open:
                  - madeKey
                  - name: givenKey
                    value: %s
                    description: a key of the tests
                  - name: offKey
                    value: %s
                    enabled: false
              - slow:
                  - slowKey
              - tiny:
                  - tinyKey
            usagePlan:
              - open: {}
              - slow:
                  throttle: {burstLimit: 1, rateLimit: 1}
              - tiny:
                  quota: {limit: 2, period: DAY}
        functions:
          hello:
            handler: app.hello
            events:
              - http: {path: secret, method: get, private: true}
              - http: {path: public, method: get}
        """ % (GIVEN, OFF),
    "app.py": """
        def hello(event, context):
            return {"statusCode": 200, "body": "hi " + event["path"]}
        """,
}


class ApiKeysTest(FxTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        status = cls.fx_static(["emulator", "status", "--json"]).json()
        cls.gateway = urllib.parse.urlparse(status["gateway_url"])
        # One deploy for the class: each test uses keys of its own, so the plans' counts of
        # one do not meet another's.
        cls.make_service(cls, SERVICE, name="keys")
        r = cls.fx_static(["deploy", "--json", "--show-secrets"], cwd=cls.service_dir, timeout=120)
        assert r.code == 0, r
        cls.deployed = r.json()
        cls.keys = {k["name"]: k for k in cls.deployed["api_keys"]}

    @classmethod
    def tearDownClass(cls):
        cls.fx_static(["remove"], cwd=cls.service_dir)
        super().tearDownClass()

    def setUp(self):
        self.service_dir = type(self).service_dir

    def get(self, path, key=None):
        conn = http.client.HTTPConnection(self.gateway.hostname, self.gateway.port, timeout=30)
        conn.request("GET", path, headers={} if key is None else {"x-api-key": key})
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, data

    def assert_refused(self, got, status, message):
        self.assertEqual(got[0], status, got)
        self.assertEqual(json.loads(got[1]), {"message": message})

    def test_keys_are_printed_by_deploy_and_info(self):
        self.assertEqual(list(self.keys), ["madeKey", "givenKey", "offKey", "slowKey", "tinyKey"])
        self.assertEqual(self.keys["givenKey"]["value"], GIVEN)
        self.assertEqual(self.keys["givenKey"]["usage_plan"], "open")
        self.assertFalse(self.keys["offKey"]["enabled"])
        # Made as API Gateway makes them: 40 letters and digits.
        self.assertRegex(self.keys["madeKey"]["value"], r"^[A-Za-z0-9]{40}$")
        info = self.ok("info", "--json", "--show-secrets").json()
        self.assertEqual(info["api_keys"], self.deployed["api_keys"])
        # Without --show-secrets a value is shortened, as every secret fx prints.
        masked = self.ok("info", "--json").json()["api_keys"]
        self.assertEqual(masked[1]["value"], GIVEN[:4] + "...")
        text = self.ok("deploy", "--show-secrets").out
        self.assertIn("api keys", text)
        self.assertIn(f"givenKey: {GIVEN}", text)
        self.assertIn("offKey: %s  plan open  disabled" % OFF, text)

    def test_made_values_stay_the_same_across_deploys(self):
        again = self.ok("deploy", "--json", "--show-secrets", "--force").json()
        self.assertEqual(again["api_keys"], self.deployed["api_keys"])
        self.assertEqual(self.get("/dev/secret", self.keys["madeKey"]["value"])[0], 200)

    def test_enabled_keys_open_private_routes_others_are_forbidden(self):
        self.assertEqual(self.get("/dev/secret", GIVEN), (200, b"hi /secret"))
        self.assertEqual(self.get("/dev/secret", self.keys["madeKey"]["value"])[0], 200)
        self.assert_refused(self.get("/dev/secret"), 403, "Forbidden")
        self.assert_refused(self.get("/dev/secret", "not-a-key-of-this-service-123"), 403,
                            "Forbidden")
        self.assert_refused(self.get("/dev/secret", ""), 403, "Forbidden")
        self.assert_refused(self.get("/dev/secret", GIVEN + "x"), 403, "Forbidden")
        # A public route takes no key.
        self.assertEqual(self.get("/dev/public")[0], 200)

    def test_disabled_key_is_forbidden_and_logged_by_name(self):
        self.assert_refused(self.get("/dev/secret", OFF), 403, "Forbidden")
        lines = self.wait_for(
            lambda: [l["message"] for l in self.logs("hello") if "offKey" in l["message"]],
            message="the refusal in the function's log")
        self.assertIn("API key 'offKey' is disabled (403 to the client)", lines[0])
        every = "\n".join(l["message"] for l in self.logs("hello"))
        self.assertNotIn(OFF, every)

    def test_throttle_answers_too_many_requests(self):
        key = self.keys["slowKey"]["value"]
        # burstLimit 1, rateLimit 1: the first passes, and of the next two, sent at once, at
        # least one finds the bucket empty (no assertion on timing beyond that).
        got = [self.get("/dev/secret", key) for _ in range(3)]
        self.assertEqual(got[0][0], 200, got)
        refused = [g for g in got[1:] if g[0] == 429]
        self.assertTrue(refused, got)
        self.assert_refused(refused[0], 429, "Too Many Requests")
        self.assertTrue(all(g[0] in (200, 429) for g in got), got)

    def test_quota_answers_limit_exceeded(self):
        key = self.keys["tinyKey"]["value"]
        self.assertEqual(self.get("/dev/secret", key)[0], 200)
        self.assertEqual(self.get("/dev/secret", key)[0], 200)
        self.assert_refused(self.get("/dev/secret", key), 429, "Limit Exceeded")
        self.assert_refused(self.get("/dev/secret", key), 429, "Limit Exceeded")
        # Another key's plan is its own.
        self.assertEqual(self.get("/dev/secret", GIVEN)[0], 200)
        lines = [l["message"] for l in self.logs("hello") if "tinyKey" in l["message"]]
        self.assertIn("API key 'tinyKey' is over its usage plan's quota (429 to the client)",
                      lines[-1])


class ApiKeysManifestErrorTest(FxTestCase):
    start_emulator = False

    def deploy_error(self, api_gateway):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider:
                  name: aws
                  runtime: python3.11
                  apiGateway:
                """ + api_gateway + """
                functions:
                  hello:
                    handler: app.hello
                """,
            "app.py": "def hello(e, c):\n    return 1\n",
        })
        r = self.fx("package")
        self.assertEqual(r.code, 1, r)
        return r.err

    def test_bad_entries_are_errors_with_their_place(self):
        err = self.deploy_error("""    apiKeys:
                      - name: short
                        value: tooShort
                """)
        self.assertRegex(err, r"fx: error: serverless\.yaml:8:\d+: "
                              r"provider\.apiGateway\.apiKeys\[0\]\.value: 8 characters")
        err = self.deploy_error("""    apiKeys:
                      - gold: [a]
                    usagePlan:
                      - free:
                          quota: {limit: 1, period: DAY}
                """)
        self.assertRegex(err, r"serverless\.yaml:7:\d+: provider\.apiGateway\.apiKeys\[0\]\.gold: "
                              r"no usage plan 'gold'")
        self.assertIn("name one of: free", err)
        err = self.deploy_error("""    apiKeys: [a]
                    usagePlan:
                      quota: {limit: -5, period: DAY}
                """)
        self.assertRegex(err, r"serverless\.yaml:8:\d+: provider\.apiGateway\.usagePlan\.quota\.limit: "
                              r"expected an integer from 0 to \d+, got -5")


if __name__ == "__main__":
    main()
