"""httpApi JWT authorizers on the local gateway, with real tokens.

The test makes its own signing keys (RSA and P-256, with `cryptography`) and serves the
issuer's OpenID configuration and JWK set from a tiny HTTP server of its own, as an identity
provider would; a second authorizer reads its keys offline from custom.fx.jwks. Every token
is signed here, so a refusal is the gateway's doing: expired, not yet valid, another audience
or issuer, another key, alg none, HS256 made with the public key, malformed, missing, short
of scopes. What passes reaches the function with its claims in requestContext.authorizer.jwt.
"""
import base64
import hashlib
import hmac
import http.client
import http.server
import json
import threading
import time
import urllib.parse

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives import serialization

from fxtest import FxTestCase, main


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_bytes(n, size=None):
    size = size or (n.bit_length() + 7) // 8
    return n.to_bytes(size, "big")


def rsa_jwk(key, kid):
    pub = key.public_key().public_numbers()
    return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": b64url(int_bytes(pub.n)),
            "e": b64url(int_bytes(pub.e))}


def ec_jwk(key, kid):
    pub = key.public_key().public_numbers()
    return {"kty": "EC", "kid": kid, "use": "sig", "crv": "P-256", "x": b64url(int_bytes(pub.x, 32)),
            "y": b64url(int_bytes(pub.y, 32))}


def sign(claims, key=None, kid="rsa-1", alg="RS256", header=None):
    head = {"alg": alg, "typ": "JWT", **({"kid": kid} if kid else {}), **(header or {})}
    signing_input = f"{b64url(json.dumps(head).encode())}.{b64url(json.dumps(claims).encode())}"
    data = signing_input.encode()
    if alg == "RS256":
        sig = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    elif alg == "ES256":
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        sig = int_bytes(r, 32) + int_bytes(s, 32)
    elif alg == "HS256":
        sig = hmac.new(key, data, hashlib.sha256).digest()
    else:
        sig = b""
    return f"{signing_input}.{b64url(sig)}"


class Issuer(http.server.BaseHTTPRequestHandler):
    """An identity provider's discovery document and key set; counts the key set's fetches."""
    jwks = {"keys": []}
    fetches = 0

    def do_GET(self):
        base = f"http://127.0.0.1:{self.server.server_port}"
        if self.path == "/.well-known/openid-configuration":
            body = {"issuer": base, "jwks_uri": base + "/keys"}
        elif self.path == "/keys":
            Issuer.fetches += 1
            body = Issuer.jwks
        else:
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


SERVICE = {
    "serverless.yaml": """
        service: SERVICE
        provider:
          name: aws
          runtime: python3.11
          httpApi:
            authorizers:
              online:
                identitySource: $request.header.Authorization
                issuerUrl: ISSUER
                audience:
                  - api-clients
              offline:
                type: jwt
                identitySource: $request.header.X-Token
                issuerUrl: https://login.offline.example/
                audience: offline-app
        custom:
          fx:
            jwks:
              https://login.offline.example/: keys/jwks.json
        functions:
          me:
            handler: app.me
            events:
              - httpApi:
                  method: GET
                  path: /me
                  authorizer: online
              - httpApi:
                  method: GET
                  path: /admin
                  authorizer:
                    name: online
                    scopes: [admin, root]
              - httpApi:
                  method: GET
                  path: /offline
                  authorizer:
                    name: offline
              - httpApi:
                  method: GET
                  path: /custom
                  authorizer:
                    id: abc123
              - httpApi: 'GET /open'
        """,
    "app.py": """
        import json
        def me(event, context):
            return {"statusCode": 200, "headers": {"content-type": "application/json"},
                    "body": json.dumps(event["requestContext"].get("authorizer"))}
        """,
}


class JwtAuthorizerTest(FxTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cls.ec = ec.generate_private_key(ec.SECP256R1())
        cls.other_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cls.offline_ec = ec.generate_private_key(ec.SECP256R1())
        Issuer.jwks = {"keys": [rsa_jwk(cls.rsa, "rsa-1"), ec_jwk(cls.ec, "ec-1"),
                                {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"}]}
        cls.issuer_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Issuer)
        threading.Thread(target=cls.issuer_server.serve_forever, daemon=True).start()
        cls.issuer = f"http://127.0.0.1:{cls.issuer_server.server_port}"
        files = dict(SERVICE)
        files["serverless.yaml"] = files["serverless.yaml"].replace("ISSUER", cls.issuer)
        files["keys/jwks.json"] = json.dumps({"keys": [ec_jwk(cls.offline_ec, "off-1")]})
        FxTestCase.make_service(cls, files)
        r = cls.fx_static(["deploy"], cwd=cls.service_dir)
        assert r.code == 0, r
        cls.deployed = r
        status = cls.fx_static(["emulator", "status", "--json"]).json()
        cls.gateway = urllib.parse.urlparse(status["gateway_url"])

    @classmethod
    def tearDownClass(cls):
        cls.issuer_server.shutdown()
        super().tearDownClass()

    def claims(self, **extra):
        now = int(time.time())
        c = {"iss": self.issuer, "aud": "api-clients", "sub": "user-7", "iat": now - 5,
             "exp": now + 600, "scope": "read write", "groups": ["a", "b"], "admin": False}
        c.update(extra)
        return {k: v for k, v in c.items() if v is not None}

    def get(self, path, token=None, header="Authorization", bearer=True):
        conn = http.client.HTTPConnection(self.gateway.hostname, self.gateway.port, timeout=30)
        headers = {}
        if token is not None:
            headers[header] = f"Bearer {token}" if bearer else token
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data

    def assert_refused(self, status, token, path="/me", header="Authorization", reason=None):
        code, headers, data = self.get(path, token, header)
        expected = {401: {"message": "Unauthorized"}, 403: {"message": "Forbidden"}}[status]
        self.assertEqual((code, json.loads(data)), (status, expected), data)
        self.assertTrue(headers.get("www-authenticate", "").startswith("Bearer"), headers)
        if reason:
            # The refusal is in the function's log with its reason, and never the token.
            def logged():
                return [l["message"] for l in self.logs("me") if reason in l["message"]]
            lines = self.wait_for(logged, message=f"a log line with {reason!r}")
            if token:
                self.assertFalse(any(token in l for l in lines), lines)
        return headers

    def test_rs256_token_reaches_the_function_with_its_claims(self):
        claims = self.claims()
        token = sign(claims, self.rsa)
        for bearer in (True, False):  # "Bearer TOKEN" or the token alone, as API Gateway
            code, _, data = self.get("/me", token, bearer=bearer)
            self.assertEqual(code, 200, data)
            auth = json.loads(data)
            got = auth["jwt"]["claims"]
            # HTTP APIs give every claim as a string, lists as "[a b]".
            self.assertEqual(got["sub"], "user-7")
            self.assertEqual(got["exp"], str(claims["exp"]))
            self.assertEqual(got["groups"], "[a b]")
            self.assertEqual(got["admin"], "false")
            self.assertEqual(auth["jwt"]["scopes"], ["read", "write"])

    def test_es256_token(self):
        code, _, data = self.get("/me", sign(self.claims(), self.ec, kid="ec-1", alg="ES256"))
        self.assertEqual(code, 200, data)
        self.assertEqual(json.loads(data)["jwt"]["claims"]["sub"], "user-7")

    def test_client_id_stands_for_aud(self):
        token = sign(self.claims(aud=None, client_id="api-clients"), self.rsa)
        self.assertEqual(self.get("/me", token)[0], 200)
        token = sign(self.claims(aud=["other", "api-clients"]), self.rsa)
        self.assertEqual(self.get("/me", token)[0], 200)

    def test_missing_token(self):
        self.assert_refused(401, None, reason="no token in $request.header.Authorization")
        self.assert_refused(401, "")

    def test_expired_and_not_yet_valid(self):
        now = int(time.time())
        self.assert_refused(401, sign(self.claims(exp=now - 1), self.rsa), reason="expired")
        self.assert_refused(401, sign(self.claims(nbf=now + 300), self.rsa), reason="not valid yet")
        self.assert_refused(401, sign(self.claims(exp=None), self.rsa), reason="has no exp")
        self.assert_refused(401, sign(self.claims(exp="tomorrow"), self.rsa))

    def test_wrong_audience_and_issuer(self):
        self.assert_refused(401, sign(self.claims(aud="someone-else"), self.rsa), reason="aud")
        self.assert_refused(401, sign(self.claims(aud=None), self.rsa))
        self.assert_refused(401, sign(self.claims(iss=self.issuer + "/"), self.rsa), reason="iss")
        self.assert_refused(401, sign(self.claims(iss=None), self.rsa))

    def test_signed_with_another_key(self):
        self.assert_refused(401, sign(self.claims(), self.other_rsa), reason="does not verify")
        # An ES256 header on an RSA kid, and a P-256 signature under the RSA key's kid.
        self.assert_refused(401, sign(self.claims(), self.ec, kid="rsa-1", alg="ES256"),
                            reason="does not fit its key")
        # Claims changed after signing.
        head, _, sig = sign(self.claims(), self.rsa).split(".")
        forged = b64url(json.dumps(self.claims(sub="root")).encode())
        self.assert_refused(401, f"{head}.{forged}.{sig}")

    def test_alg_none_and_hs256_are_refused(self):
        self.assert_refused(401, sign(self.claims(), alg="none"), reason="alg 'none'")
        # The classic confusion: HMAC keyed with the issuer's public key.
        pem = self.rsa.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
        self.assert_refused(401, sign(self.claims(), pem, alg="HS256"), reason="alg 'HS256'")

    def test_malformed_tokens(self):
        good = sign(self.claims(), self.rsa)
        for token in ["garbage", "a.b", "a.b.c.d", good + "x", good.replace(".", ".!", 1),
                      "e30.e30.", b64url(b"[1]") + ".e30.", "x" * 9000,
                      b64url(b'{"alg":"RS256","kid":"rsa-1"}') + "." + b64url(b"\xff\xfe") + ".AA"]:
            code, _, data = self.get("/me", token)
            self.assertIn(code, (401, 431), token[:60])  # 431: past the gateway's header limit
            if code == 401:
                self.assertEqual(json.loads(data), {"message": "Unauthorized"})
        self.assert_refused(401, sign(self.claims(), self.rsa, kid=None), reason="no kid")

    def test_unknown_kid_refetches_the_keys_at_most_every_ten_seconds(self):
        self.assertEqual(self.get("/me", sign(self.claims(), self.rsa))[0], 200)
        before = Issuer.fetches
        for i in range(5):
            self.assert_refused(401, sign(self.claims(), self.rsa, kid=f"unknown-{i}"))
        self.assertLessEqual(Issuer.fetches - before, 1)
        self.assertEqual(self.get("/me", sign(self.claims(), self.rsa))[0], 200)

    def test_scopes(self):
        headers = self.assert_refused(403, sign(self.claims(), self.rsa), path="/admin",
                                      reason="none of the route's scopes")
        self.assertIn('error="insufficient_scope"', headers["www-authenticate"])
        self.assertEqual(self.get("/admin", sign(self.claims(scope="read root"), self.rsa))[0], 200)
        # Some providers (Azure AD, Okta) put them in scp.
        self.assertEqual(self.get("/admin", sign(self.claims(scope=None, scp=["admin"]), self.rsa))[0],
                         200)
        # A bad token on a scoped route is still a 401.
        self.assert_refused(401, "garbage", path="/admin")

    def test_offline_jwks_and_another_identity_source(self):
        claims = self.claims(iss="https://login.offline.example/", aud="offline-app")
        token = sign(claims, self.offline_ec, kid="off-1", alg="ES256")
        code, _, data = self.get("/offline", token, header="X-Token")
        self.assertEqual(code, 200, data)
        self.assertEqual(json.loads(data)["jwt"]["claims"]["aud"], "offline-app")
        self.assert_refused(401, token, path="/offline")  # in Authorization: not its source
        self.assert_refused(401, sign(claims, self.rsa), path="/offline", header="X-Token")

    def test_an_authorizer_fx_does_not_run_closes_its_route(self):
        # An authorizer made outside the service (by id) cannot run here: closed, never open.
        code, _, data = self.get("/custom", sign(self.claims(), self.rsa))
        self.assertEqual((code, json.loads(data)), (403, {"message": "Forbidden"}))
        self.assertEqual(self.get("/open")[0], 200)
        # ...and the deploy named it, with its line.
        self.assertRegex(self.deployed.err + self.deployed.out,
                         r"serverless\.yaml:\d+:\d+: httpApi GET /custom of function 'me' is closed "
                         r"\(every request gets 403\)")

    def test_unknown_authorizer_is_a_deploy_error(self):
        self.make_service({"serverless.yaml": """
            service: SERVICE
            provider:
              name: aws
              runtime: python3.11
              httpApi:
                authorizers:
                  users:
                    issuerUrl: https://example.com
                    audience: [x]
            functions:
              f:
                handler: app.f
                events:
                  - httpApi:
                      path: /f
                      method: GET
                      authorizer:
                        name: userz
            """, "app.py": "def f(e, c):\n    return 1\n"})
        r = self.fx("deploy")
        self.assertNotEqual(r.code, 0, r)
        self.assertRegex(r.err, r"fx: error: .*serverless\.yaml:18:\d+: .*no authorizer 'userz'")
        self.assertIn("users", r.err)


if __name__ == "__main__":
    main()
