"""Lambda authorizers on the local gateway, run as API Gateway runs them: real authorizer
functions in Python and in Node deployed next to the routes they guard, called through the
real gateway with a real HTTP client.

What API Gateway answers is from its documentation: a missing token or an authorizer raising
"Unauthorized" is 401 {"message":"Unauthorized"}; an explicit Deny is 403 {"Message":"User is
not authorized to access this resource with an explicit deny"}; an authorizer that fails in any
other way, times out or answers garbage is 500 (REST: {"message":null} with
x-amzn-ErrorType AuthorizerConfigurationException); HTTP APIs answer 401 Unauthorized, 403
Forbidden and 500 Internal Server Error. moto does not run authorizers, so there is no
differential peer here.
"""
import http.client
import json
import os
import urllib.parse
import urllib.request

from fxtest import FxTestCase, main

SERVICE = {
    "serverless.yaml": """
        service: SERVICE
        provider:
          name: aws
          runtime: python3.11
          httpApi:
            authorizers:
              simpleAuth:
                type: request
                functionName: authSimple
                identitySource: $request.header.X-Key
                enableSimpleResponses: true
                resultTtlInSeconds: 0
              policyAuth:
                type: request
                functionName: authPolicy
                identitySource:
                  - $request.header.X-Key
                payloadVersion: '2.0'
                resultTtlInSeconds: 0
              oldAuth:
                type: request
                functionArn: arn:aws:lambda:us-east-1:000000000000:function:SERVICE-dev-authPolicy
                identitySource: $request.header.X-Key
                payloadVersion: '1.0'
                resultTtlInSeconds: 0
        functions:
          authPy:
            handler: auth.token
            timeout: 1
          authNode:
            handler: auth.token
            runtime: nodejs20.x
            timeout: 1
          authCount:
            handler: auth.token
          authReq:
            handler: auth.request
          authSimple:
            handler: auth.simple
            runtime: nodejs20.x
          authPolicy:
            handler: auth.policy
          echo:
            handler: app.echo
            events:
              - http:
                  path: py
                  method: get
                  authorizer:
                    name: authPy
                    resultTtlInSeconds: 0
              - http:
                  path: node/{id}
                  method: get
                  authorizer:
                    name: authNode
                    resultTtlInSeconds: 0
              - http:
                  path: validated
                  method: get
                  authorizer:
                    name: authPy
                    resultTtlInSeconds: 0
                    identityValidationExpression: '^allow-[a-z]+$'
              - http:
                  path: cached
                  method: get
                  authorizer: authCount
              - http:
                  path: cached2
                  method: post
                  authorizer: authCount
              - http:
                  path: req/{thing}
                  method: get
                  authorizer:
                    name: authReq
                    type: request
                    identitySource: method.request.header.X-User, method.request.querystring.key
              - httpApi:
                  method: get
                  path: /v2/simple
                  authorizer: simpleAuth
              - httpApi:
                  method: get
                  path: /v2/policy
                  authorizer:
                    name: policyAuth
              - httpApi:
                  method: get
                  path: /v2/old
                  authorizer: oldAuth
              - httpApi: 'GET /v2/open'
              - http:
                  path: iam
                  method: post
                  authorizer: aws_iam
              - httpApi:
                  method: get
                  path: /v2/iam
                  authorizer:
                    type: aws_iam
        """,
    "auth.py": """
        import json, time
        def policy_for(principal, effect, resource, context=None):
            out = {"principalId": principal,
                   "policyDocument": {"Version": "2012-10-17", "Statement": [
                       {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}]}}
            if context is not None:
                out["context"] = context
            return out
        def token(event, context):
            print("authorizer called, type " + event["type"])
            t = event["authorizationToken"]
            arn = event["methodArn"]
            if t.startswith("allow-"):
                return policy_for(t[6:], "Allow", arn,
                                  {"user": t[6:], "n": 7, "ok": True, "arn": arn, "lang": "python"})
            if t == "wild":
                # Allow GETs anywhere in the API, by wildcard: the cached policy also opens
                # other GET routes, as on API Gateway.
                return policy_for("w", "Allow", arn.split("/")[0] + "/*/GET/*")
            if t == "deny":
                return policy_for("d", "Deny", arn)
            if t == "other":
                return policy_for("o", "Allow", arn.split("/")[0] + "/dev/GET/elsewhere")
            if t == "unauthorized":
                raise Exception("Unauthorized")
            if t == "sleep":
                time.sleep(3)
            if t == "garbage":
                return {"principalId": "g", "policyDocument": "allow please"}
            if t == "nested":
                return policy_for("n", "Allow", arn, {"obj": {"a": 1}})
            if t == "string":
                return "Allow"
            raise RuntimeError("cannot read this token")
        def request(event, context):
            ok = (event["type"] == "REQUEST" and event["headers"].get("X-User") == "ann"
                  and event["queryStringParameters"].get("key") == "open")
            return policy_for("ann", "Allow" if ok else "Deny", event["methodArn"],
                              {"thing": event["pathParameters"]["thing"],
                               "hasBody": "body" in event})
        def policy(event, context):
            ok = event["identitySource"] in (["letmein"], "letmein")
            arn = event.get("routeArn") or event.get("methodArn")
            return policy_for("p", "Allow" if ok else "Deny", arn,
                              {"version": event["version"], "arn": arn})
        """,
    "auth.js": """
        exports.token = async (event) => {
          const t = event.authorizationToken;
          const arn = event.methodArn;
          const policy = (p, effect, resource, context) => ({
            principalId: p,
            policyDocument: {Version: '2012-10-17',
                             Statement: [{Action: 'execute-api:Invoke', Effect: effect, Resource: resource}]},
            ...(context ? {context} : {}),
          });
          if (t.startsWith('allow-')) return policy(t.slice(6), 'Allow', arn, {user: t.slice(6), lang: 'node'});
          if (t === 'deny') return policy('d', 'Deny', arn);
          if (t === 'unauthorized') throw new Error('Unauthorized');
          if (t === 'sleep') await new Promise((r) => setTimeout(r, 3000));
          if (t === 'garbage') return {hello: 'world'};
          throw new Error('cannot read this token');
        };
        exports.simple = async (event) => ({
          isAuthorized: event.identitySource[0] === 'letmein',
          context: {who: 'simple', route: event.routeKey, nested: {a: [1, 2]}},
        });
        """,
    "app.py": """
        import json
        def echo(event, context):
            return {"statusCode": 200, "body": json.dumps(event["requestContext"])}
        """,
}


class LambdaAuthorizerTest(FxTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        status = cls.fx_static(["emulator", "status", "--json"]).json()
        cls.gateway = urllib.parse.urlparse(status["gateway_url"])
        # One deploy for the class: the routes' state (the authorizer cache) is what the
        # tests look at, each with tokens of its own.
        cls.make_service(cls, SERVICE, name="lauth")
        cls.deployed = cls.fx_static(["deploy", "--json"], cwd=cls.service_dir, timeout=120)
        assert cls.deployed.code == 0, cls.deployed

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

    def get(self, path, token=None, headers=None):
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = token
        return self.request("GET", path, h)

    def invocations(self, key):
        """How many times the emulator has run a function (its /_fx/v1/status)."""
        req = urllib.request.Request(f"{self.url}/_fx/v1/status", headers=self.auth())
        with urllib.request.urlopen(req, timeout=30) as resp:
            status = json.load(resp)
        for f in status["functions"]:
            if f["name"] == f"lauth-dev-{key}":
                return f["invocations"]
        return 0

    def assert_answer(self, got, status, body, error_type=None):
        self.assertEqual(got[0], status, got)
        self.assertEqual(json.loads(got[2]), body)
        if error_type:
            self.assertEqual(got[1].get("x-amzn-errortype"), error_type)

    # --- TOKEN authorizers, in Python and in Node -------------------------------------

    def test_token_allow_passes_principal_and_context(self):
        for path, lang in (("/dev/py", "python"), ("/dev/node/7", "node")):
            status, _, data = self.get(path, "allow-ann")
            self.assertEqual(status, 200, data)
            authz = json.loads(data)["authorizer"]
            self.assertEqual(authz["principalId"], "ann")
            self.assertEqual(authz["user"], "ann")
            self.assertEqual(authz["lang"], lang)
            # A REST API hands the context on as strings, and adds the authorizer's latency.
            self.assertIsInstance(authz["integrationLatency"], int)
        authz = json.loads(self.get("/dev/py", "allow-bob")[2])["authorizer"]
        self.assertEqual(authz["n"], "7")
        self.assertEqual(authz["ok"], "true")
        self.assertEqual(authz["arn"], "arn:aws:execute-api:us-east-1:000000000000:fxlocal/dev/GET/py")
        # Also under fx's unprefixed path, with the same method ARN.
        authz = json.loads(self.get("/node/9", "allow-cy")[2])["authorizer"]
        self.assertEqual(authz["principalId"], "cy")

    def test_missing_token_is_401_without_calling_the_authorizer(self):
        before = self.invocations("authPy")
        self.assert_answer(self.get("/dev/py"), 401, {"message": "Unauthorized"},
                           "UnauthorizedException")
        self.assert_answer(self.get("/dev/py", ""), 401, {"message": "Unauthorized"})
        self.assertEqual(self.invocations("authPy"), before)

    def test_deny_is_403_with_api_gateways_body(self):
        for path in ("/dev/py", "/dev/node/1"):
            self.assert_answer(
                self.get(path, "deny"), 403,
                {"Message": "User is not authorized to access this resource with an explicit deny"},
                "AccessDeniedException")
        # A policy that allows only another resource is a deny too.
        self.assert_answer(self.get("/dev/py", "other"), 403,
                           {"Message": "User is not authorized to access this resource"})

    def test_unauthorized_raised_is_401(self):
        for path in ("/dev/py", "/dev/node/1"):
            self.assert_answer(self.get(path, "unauthorized"), 401, {"message": "Unauthorized"})

    def test_throw_timeout_and_garbage_are_500(self):
        for path in ("/dev/py", "/dev/node/1"):
            for token in ("throw", "sleep", "garbage"):
                with self.subTest(path=path, token=token):
                    self.assert_answer(self.get(path, token), 500, {"message": None},
                                       "AuthorizerConfigurationException")
        for token in ("nested", "string"):
            self.assert_answer(self.get("/dev/py", token), 500, {"message": None})

    def test_identity_validation_expression(self):
        before = self.invocations("authPy")
        self.assert_answer(self.get("/dev/validated", "allow-NOPE"), 401, {"message": "Unauthorized"})
        self.assertEqual(self.invocations("authPy"), before)  # refused before the authorizer
        self.assertEqual(self.get("/dev/validated", "allow-dee")[0], 200)

    def test_cache_keyed_on_the_token(self):
        before = self.invocations("authCount")
        for _ in range(3):
            status, _, data = self.get("/dev/cached", "allow-cache")
            self.assertEqual(status, 200, data)
        self.assertEqual(self.invocations("authCount"), before + 1)
        self.assertEqual(self.get("/dev/cached", "allow-other")[0], 200)
        self.assertEqual(self.invocations("authCount"), before + 2)
        # The cached policy is evaluated again on each method ARN: it allowed GET /cached only.
        status, _, _ = self.request("POST", "/dev/cached2", {"Authorization": "allow-cache"})
        self.assertEqual(status, 403)
        self.assertEqual(self.invocations("authCount"), before + 2)
        # A cached deny stays a deny.
        self.assertEqual(self.get("/dev/cached", "deny")[0], 403)
        self.assertEqual(self.get("/dev/cached", "deny")[0], 403)
        self.assertEqual(self.invocations("authCount"), before + 3)
        # An error is not cached.
        self.assertEqual(self.get("/dev/cached", "throw")[0], 500)
        self.assertEqual(self.get("/dev/cached", "throw")[0], 500)
        self.assertEqual(self.invocations("authCount"), before + 5)

    def test_refusals_are_logged_without_the_token(self):
        secret = "s3cr3t-t0ken-9f8e"
        self.assertEqual(self.get("/dev/py", secret)[0], 500)
        self.assertEqual(self.get("/dev/py", "unauthorized")[0], 401)
        self.assertEqual(self.get("/dev/py")[0], 401)
        self.assertEqual(self.get("/dev/py", "deny")[0], 403)
        lines = [l["message"] for l in self.logs("echo")]
        gateway = [l for l in lines if "fx gateway:" in l]
        self.assertTrue(any("raised Unauthorized (401" in l for l in gateway), gateway)
        self.assertTrue(any("identity source" in l and "(401" in l for l in gateway), gateway)
        self.assertTrue(any("failed with RuntimeError (500" in l for l in gateway), gateway)
        self.assertTrue(any("denies" in l and "(403" in l for l in gateway), gateway)
        self.assertFalse(any(secret in l for l in lines), lines)

    def test_bad_tokens_never_break_the_gateway(self):
        # Huge, non-UTF-8 and control-character tokens: API Gateway's answers, never a crash.
        for token in ("x" * 9000, "allow-\xff\xfe", "allow-a\tb", "deny" + "*" * 100):
            status, _, data = self.request("GET", "/dev/py",
                                           {"Authorization": token.encode("latin-1")})
            self.assertIn(status, (200, 401, 403, 500), (token[:20], data))
            json.loads(data)
        status, _, data = self.get("/dev/validated", "allow-" + "a" * 8000)
        self.assertEqual(status, 401, data)
        self.assertEqual(self.get("/dev/py", "allow-alive")[0], 200)

    # --- REQUEST authorizers (REST, payload 1.0) ---------------------------------------

    def test_request_authorizer_reads_headers_and_query(self):
        status, _, data = self.get("/dev/req/box?key=open", headers={"X-User": "ann"})
        self.assertEqual(status, 200, data)
        authz = json.loads(data)["authorizer"]
        self.assertEqual(authz["thing"], "box")
        self.assertEqual(authz["hasBody"], "false")  # an authorizer never sees the body
        self.assertEqual(self.get("/dev/req/box?key=shut", headers={"X-User": "ann"})[0], 403)
        # A missing identity source: 401, the authorizer not called.
        before = self.invocations("authReq")
        self.assertEqual(self.get("/dev/req/box", headers={"X-User": "ann"})[0], 401)
        self.assertEqual(self.get("/dev/req/box?key=open")[0], 401)
        self.assertEqual(self.invocations("authReq"), before)

    # --- HTTP API REQUEST authorizers (payload 2.0 and 1.0) -----------------------------

    def test_http_api_simple_response(self):
        status, _, data = self.get("/v2/simple", headers={"X-Key": "letmein"})
        self.assertEqual(status, 200, data)
        ctx = json.loads(data)["authorizer"]
        # HTTP APIs keep the context's types, under "lambda".
        self.assertEqual(ctx, {"lambda": {"who": "simple", "route": "GET /v2/simple",
                                          "nested": {"a": [1, 2]}}})
        self.assert_answer(self.get("/v2/simple", headers={"X-Key": "nope"}), 403,
                           {"message": "Forbidden"})
        self.assert_answer(self.get("/v2/simple"), 401, {"message": "Unauthorized"})

    def test_http_api_policy_response_both_payloads(self):
        for path, version in (("/v2/policy", "2.0"), ("/v2/old", "1.0")):
            status, _, data = self.get(path, headers={"X-Key": "letmein"})
            self.assertEqual(status, 200, data)
            ctx = json.loads(data)["authorizer"]["lambda"]
            self.assertEqual(ctx["version"], version)
            self.assertEqual(ctx["arn"],
                             f"arn:aws:execute-api:us-east-1:000000000000:fxlocal/$default/GET{path}")
            self.assert_answer(self.get(path, headers={"X-Key": "no"}), 403,
                               {"message": "Forbidden"})
        self.assertEqual(self.get("/v2/open")[0], 200)


    # --- aws_iam: SigV4 with the emulator's credentials ---------------------------------

    def signed(self, method, path, body=b"", access=None, secret=None, token=None, send=None):
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        with open(os.path.join(self.home, "instance-credentials")) as f:
            c = json.load(f)
        creds = Credentials(access or c["AccessKeyId"], secret or c["SecretAccessKey"],
                            token or c["SessionToken"])
        url = f"http://{self.gateway.hostname}:{self.gateway.port}{path}"
        req = AWSRequest(method=method, url=url, data=body)
        SigV4Auth(creds, "execute-api", "us-east-1").add_auth(req)
        sent = body if send is None else send
        return self.request(method, path, dict(req.headers.items()), sent), c

    def test_aws_iam_signed_request_passes_with_its_identity(self):
        (status, _, data), c = self.signed("POST", "/dev/iam", b'{"a": 1}')
        self.assertEqual(status, 200, data)
        identity = json.loads(data)["identity"]
        self.assertEqual(identity["accessKey"], c["AccessKeyId"])
        self.assertEqual(identity["accountId"], "000000000000")
        self.assertTrue(identity["userArn"].startswith("arn:aws:sts::000000000000:"))
        (status, _, data), _ = self.signed("GET", "/v2/iam?x=1")
        self.assertEqual(status, 200, data)
        self.assertEqual(json.loads(data)["authorizer"]["iam"]["accessKey"], c["AccessKeyId"])

    def test_aws_iam_refuses_unsigned_and_wrong_keys(self):
        self.assert_answer(self.request("POST", "/dev/iam", {}, b"{}"), 403,
                           {"message": "Missing Authentication Token"},
                           "MissingAuthenticationTokenException")
        (status, headers, data), _ = self.signed("POST", "/dev/iam", b"{}", secret="x" * 40)
        self.assertEqual(status, 403, data)
        self.assertIn("signature we calculated does not match", json.loads(data)["message"])
        (status, _, data), _ = self.signed("POST", "/dev/iam", b"{}",
                                           access="AKIAIOSFODNN7EXAMPLE")
        self.assert_answer((status, {}, data), 403,
                           {"message": "The security token included in the request is invalid."})
        # A body changed after signing breaks the signature.
        (status, _, data), _ = self.signed("POST", "/dev/iam", b'{"amount": 1}',
                                           send=b'{"amount": 9}')
        self.assertEqual(status, 403, data)
        self.assert_answer(self.request("GET", "/v2/iam", {"Authorization": "AWS4-HMAC-SHA256 junk"}),
                           403, {"message": "Forbidden"})
        self.assertEqual(self.request("GET", "/v2/iam")[0], 403)
        lines = [l["message"] for l in self.logs("echo")]
        self.assertTrue(any("aws_iam: the request is not signed" in l for l in lines), lines)


PUBLIC_EXAMPLE = {
    # The shape of the Serverless Framework's public custom-authorizer example: an `auth`
    # function, a public route and a private one guarded by `authorizer: auth`.
    "serverless.yml": """
        service: SERVICE
        provider:
          name: aws
          runtime: nodejs20.x
        functions:
          auth:
            handler: handler.auth
          publicEndpoint:
            handler: handler.publicEndpoint
            events:
              - http:
                  path: api/public
                  method: get
                  cors: true
          privateEndpoint:
            handler: handler.privateEndpoint
            events:
              - http:
                  path: api/private
                  method: get
                  authorizer: auth
                  cors: true
        """,
    "handler.js": """
        const generatePolicy = (principalId, effect, resource) => ({
          principalId,
          policyDocument: {Version: '2012-10-17',
                           Statement: [{Action: 'execute-api:Invoke', Effect: effect, Resource: resource}]},
        });
        module.exports.auth = (event, context, callback) => {
          if (!event.authorizationToken) return callback('Unauthorized');
          const token = event.authorizationToken.replace(/^Bearer /, '');
          if (token !== 'good-token') return callback('Unauthorized');
          return callback(null, generatePolicy('user|a1b2c3', 'Allow', event.methodArn));
        };
        module.exports.publicEndpoint = async () => ({statusCode: 200,
          body: JSON.stringify({message: 'Hi from the public API'})});
        module.exports.privateEndpoint = async (event) => ({statusCode: 200,
          body: JSON.stringify({message: 'Hi from the private API',
                                principal: event.requestContext.authorizer.principalId})});
        """,
}


class AuthorizerManifestTest(FxTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        status = cls.fx_static(["emulator", "status", "--json"]).json()
        cls.gateway = urllib.parse.urlparse(status["gateway_url"])

    request = LambdaAuthorizerTest.request

    def test_public_custom_authorizer_example(self):
        self.make_service(PUBLIC_EXAMPLE, name="pubex")
        self.ok("deploy")
        try:
            status, headers, data = self.request("GET", "/dev/api/public")
            self.assertEqual(status, 200, data)
            status, headers, data = self.request("GET", "/dev/api/private")
            self.assertEqual((status, json.loads(data)), (401, {"message": "Unauthorized"}))
            # API Gateway's own 401 carries no CORS headers (the public example adds a
            # GatewayResponse resource for that, which runs only on AWS).
            self.assertNotIn("access-control-allow-origin", headers)
            status, _, _ = self.request("GET", "/dev/api/private",
                                        {"Authorization": "Bearer garbage"})
            self.assertEqual(status, 401)
            status, _, data = self.request("GET", "/dev/api/private",
                                           {"Authorization": "Bearer good-token"})
            self.assertEqual(status, 200, data)
            self.assertEqual(json.loads(data)["principal"], "user|a1b2c3")
        finally:
            self.ok("remove")

    def test_unknown_authorizer_is_an_error_with_its_place(self):
        self.make_service({"serverless.yaml": """
            service: SERVICE
            provider:
              name: aws
              runtime: python3.11
            functions:
              hello:
                handler: app.hello
                events:
                  - http:
                      path: hello
                      method: get
                      authorizer: nope
            """, "app.py": "def hello(e, c):\n    return {}\n"})
        r = self.fx("deploy")
        self.assertEqual(r.code, 1, r)
        self.assertRegex(r.err, r"fx: error: serverless\.yaml:9:\d+: http authorizer: no function "
                                r"'nope' in service")

    def test_unknown_http_api_authorizer_is_an_error(self):
        self.make_service({"serverless.yaml": """
            service: SERVICE
            provider:
              name: aws
              runtime: python3.11
              httpApi:
                authorizers:
                  real:
                    type: request
                    functionName: missing
                    resultTtlInSeconds: 0
            functions:
              hello:
                handler: app.hello
                events:
                  - httpApi:
                      method: get
                      path: /a
                      authorizer: ghost
                  - httpApi:
                      method: get
                      path: /b
                      authorizer: real
            """, "app.py": "def hello(e, c):\n    return {}\n"})
        r = self.fx("deploy")
        self.assertEqual(r.code, 1, r)
        # Found where the manifest is read: the place is the route's `authorizer` key.
        self.assertRegex(r.err, r"serverless\.yaml:18:\d+: .*httpApi\.authorizer: no authorizer "
                                r"'ghost' in provider\.httpApi\.authorizers")

    def test_authorizers_fx_cannot_run_close_their_routes(self):
        self.make_service({"serverless.yaml": """
            service: SERVICE
            provider:
              name: aws
              runtime: python3.11
              httpApi:
                authorizers:
                  jwtAuth:
                    identitySource: $request.header.Authorization
                    issuerUrl: https://issuer.example.com
                    audience: [fx]
            functions:
              hello:
                handler: app.hello
                events:
                  - httpApi:
                      method: get
                      path: /jwt
                      authorizer: {name: jwtAuth}
                  - http:
                      path: cognito
                      method: get
                      authorizer:
                        arn: arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc
                  - http:
                      path: weird
                      method: get
                      authorizer:
                        name: hello
                        type: saml
                  - http:
                      path: open
                      method: get
            """, "app.py": "def hello(e, c):\n    return {'statusCode': 200, 'body': 'hi'}\n"},
            name="closed")
        r = self.ok("deploy")
        try:
            self.assertIn("GET /cognito of function 'hello' is closed", r.err)
            self.assertIn("Cognito", r.err)
            self.assertIn("GET /weird of function 'hello' is closed", r.err)
            # A JWT authorizer is checked (test_jwt_authorizer.py), not closed: no token, or one
            # that is no JWT, is HTTP API's 401.
            self.assertNotIn("/jwt of function 'hello' is closed", r.err)
            for headers in ({}, {"Authorization": "anything"}):
                status, _, data = self.request("GET", "/jwt", headers)
                self.assertEqual((status, json.loads(data)), (401, {"message": "Unauthorized"}))
            for path in ("/dev/cognito", "/dev/weird"):
                for headers in ({}, {"Authorization": "anything"}):
                    status, _, data = self.request("GET", path, headers)
                    self.assertEqual((status, json.loads(data)), (403, {"message": "Forbidden"}))
            self.assertEqual(self.request("GET", "/dev/open")[0], 200)
            lines = [l["message"] for l in self.logs("hello")]
            self.assertTrue(any("route closed" in l and "403" in l for l in lines), lines)
        finally:
            self.ok("remove")


if __name__ == "__main__":
    main()
