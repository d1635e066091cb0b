"""Lambda function URLs on the emulator (issue 17): the five calls of the config API through the
real AWS CLI and boto3, a differential run against moto, and each URL served on the gateway's
port at http://URLID.lambda-url.REGION.localhost:PORT/ as Lambda serves its URLs: the payload
2.0 event, the 2.0 response mapping, CORS from the URL's configuration (preflights answered
without invoking), AWS_IAM checked as SigV4 against the emulator's credentials. Before this,
every call here answered UnknownOperationException.

The tests connect to 127.0.0.1 and send the URL's Host header: a name under .localhost reaches
loopback in browsers and systemd's resolver, but not in every container's libc.
"""
import base64
import http.client
import io
import json
import os
import subprocess
import sys
import urllib.parse
import zipfile

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from fxtest import FxTestCase, main

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "aws"))
from moto_proxy import MotoServer  # noqa: E402

REGION = "us-east-1"
ROLE = "arn:aws:iam::000000000000:role/fx-local"

# Echoes its event, or answers as the event's query asks.
HANDLER = """
import base64, json, os
def handler(event, context):
    q = event.get("queryStringParameters") or {}
    if q.get("fail"):
        raise Exception("failing as asked")
    if event["requestContext"]["http"]["method"] == "OPTIONS":
        return {"statusCode": 418, "body": "the function saw the preflight"}
    if q.get("shape") == "full":
        return {"statusCode": 201, "headers": {"X-From": "fn"}, "cookies": ["a=1", "b=2"],
                "body": base64.b64encode(b"\\xff\\x00raw").decode(), "isBase64Encoded": True}
    if q.get("shape") == "bad":
        return {"statusCode": "nope"}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"event": event, "version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"],
                                "arn": context.invoked_function_arn})}
"""


def zip_of(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


ZIP = zip_of({"app.py": HANDLER})


def lambda_client(url, validate=True):
    return boto3.client("lambda", endpoint_url=url, region_name=REGION, aws_access_key_id="test",
                        aws_secret_access_key="test",
                        config=Config(parameter_validation=validate, retries={"max_attempts": 0}))


def error_of(call, **kw):
    try:
        call(**kw)
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"]
    raise AssertionError(f"{call.__name__} succeeded")


def fetch(function_url, method="GET", path="/", body=b"", headers=None, host=None):
    """One request to a function URL through loopback: (status, headers dict lower-case, body)."""
    parts = urllib.parse.urlsplit(function_url)
    conn = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host or parts.netloc)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def signed_headers(function_url, method, path, body, creds):
    """SigV4 headers for a request to the URL, signed for Lambda as the SDKs sign them."""
    parts = urllib.parse.urlsplit(function_url)
    request = AWSRequest(method=method, url=f"http://{parts.netloc}{path}", data=body)
    SigV4Auth(creds, "lambda", REGION).add_auth(request)
    return {k: v for k, v in request.headers.items() if k.lower() != "host"}


class FunctionUrlCase(FxTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lam = lambda_client(cls.url)
        cls.lam.create_function(FunctionName="web", Runtime="python3.11", Role=ROLE,
                                Handler="app.handler", Code={"ZipFile": ZIP})
        cls.lam.publish_version(FunctionName="web")
        cls.lam.create_alias(FunctionName="web", Name="live", FunctionVersion="1")
        cls.aws_env = {**cls.env, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                       "AWS_DEFAULT_REGION": REGION, "AWS_PAGER": ""}

    def setUp(self):
        for q in (None, "live"):
            try:
                kw = {"Qualifier": q} if q else {}
                self.lam.delete_function_url_config(FunctionName="web", **kw)
            except ClientError:
                pass

    def aws(self, *args):
        proc = subprocess.run(["aws", "lambda", *args, "--endpoint-url", self.url, "--output",
                               "json"], env=self.aws_env, capture_output=True, text=True,
                              timeout=60)
        return proc

    def raw(self, method, path, body=b""):
        """A raw call to the Lambda API: (status, error type, parsed body)."""
        conn = http.client.HTTPConnection(self.url.split("//", 1)[1], timeout=30)
        try:
            conn.request(method, path, body=body, headers=self.auth())
            r = conn.getresponse()
            data = r.read()
            try:
                parsed = json.loads(data) if data else None
            except ValueError:
                parsed = None
            return r.status, r.getheader("x-amzn-ErrorType"), parsed
        finally:
            conn.close()

    # --- the config API --------------------------------------------------------------------

    def test_aws_cli_runs_each_of_the_five_commands(self):
        r = self.aws("create-function-url-config", "--function-name", "web", "--auth-type", "NONE",
                     "--cors", json.dumps({"AllowOrigins": ["https://app.example"], "MaxAge": 60}))
        self.assertEqual(r.returncode, 0, r.stderr)
        created = json.loads(r.stdout)
        self.assertRegex(created["FunctionUrl"],
                         r"^http://[a-z0-9]{32}\.lambda-url\.us-east-1\.localhost:\d+/$")
        self.assertEqual(created["AuthType"], "NONE")
        self.assertEqual(created["InvokeMode"], "BUFFERED")
        self.assertEqual(created["Cors"], {"AllowOrigins": ["https://app.example"], "MaxAge": 60})
        self.assertTrue(created["FunctionArn"].endswith(":function:web"))
        r = self.aws("get-function-url-config", "--function-name", "web")
        self.assertEqual(r.returncode, 0, r.stderr)
        got = json.loads(r.stdout)
        self.assertEqual(got["FunctionUrl"], created["FunctionUrl"])
        self.assertIn("LastModifiedTime", got)
        r = self.aws("update-function-url-config", "--function-name", "web", "--auth-type", "AWS_IAM")
        self.assertEqual(r.returncode, 0, r.stderr)
        updated = json.loads(r.stdout)
        self.assertEqual(updated["AuthType"], "AWS_IAM")
        self.assertEqual(updated["Cors"]["MaxAge"], 60)  # an update keeps what it leaves out
        self.assertEqual(updated["FunctionUrl"], created["FunctionUrl"])
        r = self.aws("list-function-url-configs", "--function-name", "web")
        self.assertEqual(r.returncode, 0, r.stderr)
        listed = json.loads(r.stdout)["FunctionUrlConfigs"]
        self.assertEqual([c["FunctionUrl"] for c in listed], [created["FunctionUrl"]])
        r = self.aws("delete-function-url-config", "--function-name", "web")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.aws("get-function-url-config", "--function-name", "web")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ResourceNotFoundException", r.stderr)

    def test_qualifier_is_an_alias_name_only(self):
        # CreateFunctionUrlConfig's Qualifier pattern is ((?!^\d+$)^[0-9a-zA-Z-_]+$): an alias.
        self.assertEqual(error_of(self.lam.create_function_url_config, FunctionName="web",
                                  Qualifier="$LATEST", AuthType="NONE"), (400, "ValidationException"))
        self.assertEqual(error_of(self.lam.create_function_url_config, FunctionName="web",
                                  Qualifier="1", AuthType="NONE"), (400, "ValidationException"))
        self.assertEqual(error_of(self.lam.create_function_url_config, FunctionName="web",
                                  Qualifier="nope", AuthType="NONE"),
                         (404, "ResourceNotFoundException"))
        live = self.lam.create_function_url_config(FunctionName="web", Qualifier="live",
                                                   AuthType="NONE")
        self.assertTrue(live["FunctionArn"].endswith(":function:web:live"))
        plain = self.lam.create_function_url_config(FunctionName="web", AuthType="NONE")
        self.assertNotEqual(live["FunctionUrl"], plain["FunctionUrl"])
        listed = self.lam.list_function_url_configs(FunctionName="web")["FunctionUrlConfigs"]
        self.assertEqual(len(listed), 2)
        page = self.lam.list_function_url_configs(FunctionName="web", MaxItems=1)
        self.assertEqual(len(page["FunctionUrlConfigs"]), 1)
        rest = self.lam.list_function_url_configs(FunctionName="web", Marker=page["NextMarker"])
        self.assertEqual({c["FunctionUrl"] for c in page["FunctionUrlConfigs"] + rest["FunctionUrlConfigs"]},
                         {live["FunctionUrl"], plain["FunctionUrl"]})
        # The alias's URL runs the alias's version; the plain one $LATEST.
        status, _, body = fetch(live["FunctionUrl"])
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["version"], "1")
        self.assertTrue(json.loads(body)["arn"].endswith(":web:live"))
        status, _, body = fetch(plain["FunctionUrl"])
        self.assertEqual(json.loads(body)["version"], "$LATEST")

    def test_conflicts_and_missing_urls(self):
        self.lam.create_function_url_config(FunctionName="web", AuthType="NONE")
        self.assertEqual(error_of(self.lam.create_function_url_config, FunctionName="web",
                                  AuthType="NONE"), (409, "ResourceConflictException"))
        self.lam.delete_function_url_config(FunctionName="web")
        for call in (self.lam.get_function_url_config, self.lam.delete_function_url_config):
            self.assertEqual(error_of(call, FunctionName="web"), (404, "ResourceNotFoundException"))
        self.assertEqual(error_of(self.lam.update_function_url_config, FunctionName="web",
                                  AuthType="NONE"), (404, "ResourceNotFoundException"))
        self.assertEqual(error_of(self.lam.create_function_url_config, FunctionName="ghost",
                                  AuthType="NONE"), (404, "ResourceNotFoundException"))
        self.assertEqual(error_of(self.lam.list_function_url_configs, FunctionName="ghost"),
                         (404, "ResourceNotFoundException"))

    def test_bad_bodies_are_4xx_and_the_emulator_keeps_serving(self):
        path = "/2021-10-31/functions/web/url"
        cases = [
            (b"{not json", 400, "InvalidRequestContentException"),
            (b"[1,2]", 400, "InvalidRequestContentException"),
            (b"", 400, "InvalidRequestContentException"),
            (b'{"AuthType": 5}', 400, "InvalidRequestContentException"),
            (b'{"AuthType": "NONE", "Cors": "yes"}', 400, "InvalidRequestContentException"),
            (b'{"AuthType": "NONE", "Cors": {"AllowOrigins": [1]}}', 400,
             "InvalidRequestContentException"),
            (b'{"AuthType": "NONE", "Cors": {"MaxAge": "10"}}', 400, "InvalidRequestContentException"),
            (b'{}', 400, "ValidationException"),
            (b'{"AuthType": "OPEN"}', 400, "ValidationException"),
            (b'{"AuthType": "NONE", "InvokeMode": "FAST"}', 400, "ValidationException"),
            (b'{"AuthType": "NONE", "Cors": {"MaxAge": 86401}}', 400, "ValidationException"),
            (b'{"AuthType": "NONE", "Cors": {"MaxAge": -1}}', 400, "ValidationException"),
            (b'{"AuthType": "NONE", "Cors": {"AllowMethods": ["GET","PUT","POST","HEAD","PATCH","DELETE","GET"]}}',
             400, "ValidationException"),
            (b'{"AuthType": "NONE", "Cors": {"AllowMethods": ["TOOLONGX"]}}', 400, "ValidationException"),
            (b'{"AuthType": "NONE", "Cors": {"AllowMethods": ["BREW"]}}', 400,
             "InvalidParameterValueException"),
            (b'{"AuthType": "NONE", "Cors": {"AllowOrigins": [""]}}', 400, "ValidationException"),
            (b'{"AuthType": "\xff\xfe"}', 400, "InvalidRequestContentException"),
            (b'{"AuthType": "NONE", "Cors": {"AllowHeaders": ["' + b"h" * 2000 + b'"]}}', 400,
             "ValidationException"),
            (b'{"AuthType": "NONE", "Pad": "' + b"x" * (2 * 1024 * 1024) + b'"}', 413,
             "RequestEntityTooLargeException"),
        ]
        for body, status, kind in cases:
            with self.subTest(body=body[:80]):
                got = self.raw("POST", path, body)
                self.assertEqual(got[:2], (status, kind), got)
        self.lam.create_function_url_config(FunctionName="web", AuthType="NONE")
        self.assertEqual(self.raw("PUT", path, b"{nope")[:2], (400, "InvalidRequestContentException"))
        self.assertEqual(self.raw("PUT", path, b'{"AuthType": ["NONE"]}')[:2],
                         (400, "InvalidRequestContentException"))
        self.lam.delete_function_url_config(FunctionName="web")
        self.assertEqual(self.raw("POST", "/2021-10-31/functions/web/url?Qualifier=a%20b",
                                  b'{"AuthType":"NONE"}')[:2], (400, "ValidationException"))
        self.assertEqual(self.raw("POST", "/2021-10-31/functions/" + "n" * 200 + "/url",
                                  b'{"AuthType":"NONE"}')[0], 400)
        self.assertEqual(self.raw("GET", "/2021-10-31/functions/web/urls?MaxItems=500")[:2],
                         (400, "ValidationException"))
        self.assertEqual(self.raw("GET", "/2021-10-31/functions/web/urls?MaxItems=x")[:2],
                         (400, "ValidationException"))
        self.assertEqual(self.raw("PATCH", path)[0], 405)
        # Nothing was created, and the emulator still answers.
        self.assertEqual(self.lam.list_function_url_configs(FunctionName="web")["FunctionUrlConfigs"], [])

    def test_response_stream_is_kept_and_answered_buffered(self):
        u = self.lam.create_function_url_config(FunctionName="web", AuthType="NONE",
                                                InvokeMode="RESPONSE_STREAM")
        self.assertEqual(u["InvokeMode"], "RESPONSE_STREAM")
        status, _, body = fetch(u["FunctionUrl"])
        self.assertEqual(status, 200)
        self.assertIn(b'"event"', body)

    # --- serving ---------------------------------------------------------------------------

    def test_get_with_query_and_cookies_gets_the_function_url_event(self):
        u = self.lam.create_function_url_config(FunctionName="web", AuthType="NONE")
        url_id = urllib.parse.urlsplit(u["FunctionUrl"]).hostname.split(".")[0]
        status, headers, body = fetch(u["FunctionUrl"], path="/a/b%20c?x=1&x=2&y=z",
                                      headers={"Cookie": "s=1; t=2", "User-Agent": "fx-test"})
        self.assertEqual(status, 200, body)
        self.assertIn("x-amzn-requestid", headers)
        e = json.loads(body)["event"]
        self.assertEqual(e["version"], "2.0")
        self.assertEqual(e["routeKey"], "$default")
        self.assertEqual(e["rawPath"], "/a/b%20c")
        self.assertEqual(e["rawQueryString"], "x=1&x=2&y=z")
        self.assertEqual(e["queryStringParameters"], {"x": "1,2", "y": "z"})
        self.assertEqual(e["cookies"], ["s=1", "t=2"])
        self.assertNotIn("cookie", e["headers"])
        self.assertNotIn("pathParameters", e)
        ctx = e["requestContext"]
        self.assertEqual(ctx["apiId"], url_id)
        self.assertEqual(ctx["domainPrefix"], url_id)
        self.assertEqual(ctx["domainName"], f"{url_id}.lambda-url.us-east-1.localhost")
        self.assertEqual(ctx["http"]["method"], "GET")
        self.assertEqual(ctx["http"]["userAgent"], "fx-test")
        self.assertEqual(ctx["stage"], "$default")
        self.assertNotIn("authorizer", ctx)
        self.assertFalse(e["isBase64Encoded"])

    def test_post_bodies_text_and_binary(self):
        u = self.lam.create_function_url_config(FunctionName="web", AuthType="NONE")
        status, _, body = fetch(u["FunctionUrl"], "POST", "/p", b'{"hello": "world"}',
                                {"Content-Type": "application/json"})
        e = json.loads(body)["event"]
        self.assertEqual((status, e["body"], e["isBase64Encoded"]), (200, '{"hello": "world"}', False))
        raw = b"\xff\xfe\x00binary"
        status, _, body = fetch(u["FunctionUrl"], "POST", "/p", raw,
                                {"Content-Type": "application/octet-stream"})
        e = json.loads(body)["event"]
        self.assertTrue(e["isBase64Encoded"])
        self.assertEqual(base64.b64decode(e["body"]), raw)

    def test_response_mapping_and_function_errors(self):
        u = self.lam.create_function_url_config(FunctionName="web", AuthType="NONE")
        status, headers, body = fetch(u["FunctionUrl"], path="/?shape=full")
        self.assertEqual((status, body), (201, b"\xff\x00raw"))
        self.assertEqual(headers["x-from"], "fn")
        status, _, body = fetch(u["FunctionUrl"], path="/?fail=1")
        self.assertEqual((status, body), (502, b"Internal Server Error"))
        status, _, body = fetch(u["FunctionUrl"], path="/?shape=bad")
        self.assertEqual(status, 502)
        status, _, body = fetch(u["FunctionUrl"], "POST", "/", b"x" * (6 * 1024 * 1024 + 10))
        self.assertEqual(status, 413)

    def test_cors_preflight_is_answered_without_the_function(self):
        u = self.lam.create_function_url_config(
            FunctionName="web", AuthType="NONE",
            Cors={"AllowOrigins": ["https://app.example"], "AllowMethods": ["POST"],
                  "AllowHeaders": ["x-custom"], "ExposeHeaders": ["x-from"], "MaxAge": 300,
                  "AllowCredentials": True})
        pre = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "X-Custom"}
        status, headers, body = fetch(u["FunctionUrl"], "OPTIONS", "/", headers=pre)
        self.assertEqual(status, 200, body)  # the function would have said 418
        self.assertEqual(headers["access-control-allow-origin"], "https://app.example")
        self.assertEqual(headers["access-control-allow-methods"], "POST")
        self.assertEqual(headers["access-control-allow-headers"], "x-custom")
        self.assertEqual(headers["access-control-max-age"], "300")
        self.assertEqual(headers["access-control-allow-credentials"], "true")
        # Another origin, or a method not allowed: no grant (the browser then refuses).
        for changed in ({"Origin": "https://evil.example"}, {"Access-Control-Request-Method": "DELETE"},
                        {"Access-Control-Request-Headers": "x-other"}):
            status, headers, _ = fetch(u["FunctionUrl"], "OPTIONS", "/", headers={**pre, **changed})
            self.assertEqual(status, 200)
            self.assertNotIn("access-control-allow-origin", headers)
        status, headers, _ = fetch(u["FunctionUrl"], "POST", "/", b"{}",
                                   {"Origin": "https://app.example"})
        self.assertEqual(status, 200)
        self.assertEqual(headers["access-control-allow-origin"], "https://app.example")
        self.assertEqual(headers["access-control-expose-headers"], "x-from")
        status, headers, _ = fetch(u["FunctionUrl"], "GET", "/", headers={"Origin": "https://evil.example"})
        self.assertEqual(status, 200)
        self.assertNotIn("access-control-allow-origin", headers)
        # Without a Cors configuration, OPTIONS is the function's.
        self.lam.update_function_url_config(FunctionName="web", Cors={})
        self.lam.delete_function_url_config(FunctionName="web")
        u = self.lam.create_function_url_config(FunctionName="web", AuthType="NONE")
        status, _, _ = fetch(u["FunctionUrl"], "OPTIONS", "/", headers=pre)
        self.assertEqual(status, 418)

    def test_aws_iam_urls_take_only_signatures_of_the_emulators_credentials(self):
        u = self.lam.create_function_url_config(FunctionName="web", AuthType="AWS_IAM")
        with open(os.path.join(self.home, "instance-credentials")) as f:
            c = json.load(f)
        mine = Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        status, _, body = fetch(u["FunctionUrl"], "POST", "/x?q=1", b"{}")
        self.assertEqual((status, json.loads(body)), (403, {"Message": "Forbidden"}))
        others = Credentials("AKIAOTHEROTHEROTHER1", "secret")
        status, _, body = fetch(u["FunctionUrl"], "POST", "/x?q=1", b"{}",
                                signed_headers(u["FunctionUrl"], "POST", "/x?q=1", b"{}", others))
        self.assertEqual(status, 403)
        forged = Credentials(c["AccessKeyId"], "not-the-secret", c["SessionToken"])
        status, _, body = fetch(u["FunctionUrl"], "POST", "/x?q=1", b"{}",
                                signed_headers(u["FunctionUrl"], "POST", "/x?q=1", b"{}", forged))
        self.assertEqual(status, 403)
        self.assertIn("signature", json.loads(body)["Message"])
        # Signed, but the body changed on the way.
        h = signed_headers(u["FunctionUrl"], "POST", "/x?q=1", b"{}", mine)
        status, _, _ = fetch(u["FunctionUrl"], "POST", "/x?q=1", b'{"a":1}', h)
        self.assertEqual(status, 403)
        status, _, body = fetch(u["FunctionUrl"], "POST", "/x?q=1", b"{}", h)
        self.assertEqual(status, 200, body)
        iam = json.loads(body)["event"]["requestContext"]["authorizer"]["iam"]
        self.assertEqual(iam["accessKey"], c["AccessKeyId"])
        self.assertEqual(iam["accountId"], "000000000000")

    def test_unknown_url_hosts_are_refused_as_lambda_refuses_them(self):
        u = self.lam.create_function_url_config(FunctionName="web", AuthType="NONE")
        port = urllib.parse.urlsplit(u["FunctionUrl"]).port
        url_id = urllib.parse.urlsplit(u["FunctionUrl"]).hostname.split(".")[0]
        for host in (f"{'0' * 32}.lambda-url.us-east-1.localhost:{port}",
                     f"{url_id}.lambda-url.eu-west-1.localhost:{port}",
                     f"evil.{url_id}.lambda-url.us-east-1.localhost:{port}"):
            with self.subTest(host=host):
                status, _, body = fetch(u["FunctionUrl"], host=host)
                self.assertEqual((status, json.loads(body)), (403, {"Message": "Forbidden"}))
        # Upper case and a trailing dot name the same host.
        status, _, _ = fetch(u["FunctionUrl"], host=f"{url_id.upper()}.LAMBDA-URL.us-east-1.localhost.:{port}")
        self.assertEqual(status, 200)
        # The plain gateway host is the gateway's, as before.
        status, _, body = fetch(u["FunctionUrl"], host=f"127.0.0.1:{port}")
        self.assertEqual((status, json.loads(body)), (404, {"message": "Not Found"}))

    def test_urls_go_with_their_function_and_survive_a_restart(self):
        self.lam.create_function(FunctionName="tmp", Runtime="python3.11", Role=ROLE,
                                 Handler="app.handler", Code={"ZipFile": ZIP})
        gone = self.lam.create_function_url_config(FunctionName="tmp", AuthType="NONE")
        kept = self.lam.create_function_url_config(FunctionName="web", AuthType="NONE",
                                                   Cors={"AllowOrigins": ["*"]})
        self.lam.delete_function(FunctionName="tmp")
        status, _, _ = fetch(gone["FunctionUrl"])
        self.assertEqual(status, 403)
        self.assertEqual(self.fx("emulator", "stop").code, 0)
        r = self.fx("emulator", "start", "--port", "0", "--json")
        self.assertEqual(r.code, 0, r)
        type(self).url = r.json()["url"]
        type(self).lam = lambda_client(self.url)
        after = self.lam.get_function_url_config(FunctionName="web")
        old_host = urllib.parse.urlsplit(kept["FunctionUrl"]).hostname
        self.assertEqual(urllib.parse.urlsplit(after["FunctionUrl"]).hostname, old_host)
        for key in ("AuthType", "Cors", "CreationTime", "InvokeMode"):
            self.assertEqual(after[key], kept[key])
        status, _, _ = fetch(after["FunctionUrl"])
        self.assertEqual(status, 200)
        self.lam.create_function(FunctionName="tmp", Runtime="python3.11", Role=ROLE,
                                 Handler="app.handler", Code={"ZipFile": ZIP})
        self.assertEqual(error_of(self.lam.get_function_url_config, FunctionName="tmp"),
                         (404, "ResourceNotFoundException"))
        self.lam.delete_function(FunctionName="tmp")


class ManifestFunctionUrls(FxTestCase):
    """`url:` on a function in serverless.yaml: fx deploy makes the URL on the emulator and
    prints it, fx info (and --json) prints it, and a deploy without it takes it away. Before,
    fx accepted the key and made nothing locally."""

    def test_url_true_and_url_with_aws_iam_and_cors(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider:
                  name: aws
                  runtime: python3.11
                functions:
                  open:
                    handler: app.handler
                    url: true
                  closed:
                    handler: app.handler
                    url:
                      authorizer: aws_iam
                      cors:
                        allowedOrigins: [https://app.example]
                        maxAge: 30
                  plain:
                    handler: app.handler
                """,
            "app.py": HANDLER,
        })
        r = self.ok("deploy", "--json")
        deployed = {f["function"]: f["routes"] for f in r.json()}
        self.assertEqual(deployed["plain"], [])
        self.assertRegex(deployed["open"][0], r"^URL    http://[a-z0-9]{32}\.lambda-url\.us-east-1\.localhost:\d+/$")
        self.assertTrue(deployed["closed"][0].endswith("(AWS_IAM)"), deployed)
        open_url = deployed["open"][0].split()[1]
        closed_url = deployed["closed"][0].split()[1]
        status, _, body = fetch(open_url, path="/hi?x=1")
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["event"]["rawPath"], "/hi")
        status, _, _ = fetch(closed_url)
        self.assertEqual(status, 403)
        status, headers, _ = fetch(closed_url, "OPTIONS", "/", headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "GET"})
        self.assertEqual((status, headers["access-control-max-age"]), (200, "30"))
        text = self.ok("deploy").out
        self.assertIn(open_url, text)
        info = self.ok("info").out
        self.assertIn(open_url, info)
        self.assertIn(closed_url, info)
        routes = self.ok("info", "--json").json()["routes"]
        self.assertIn({"function": "open", "route": f"URL    {open_url}"}, routes)
        # A redeploy keeps the URL; a deploy without `url` takes it away.
        self.ok("deploy")
        status, _, _ = fetch(open_url)
        self.assertEqual(status, 200)
        with open(os.path.join(self.service_dir, "serverless.yaml")) as f:
            text = f.read()
        with open(os.path.join(self.service_dir, "serverless.yaml"), "w") as f:
            f.write(text.replace("    url: true\n", ""))
        self.ok("deploy")
        status, _, _ = fetch(open_url)
        self.assertEqual(status, 403)
        self.ok("remove")

    def test_bad_url_settings_are_errors_with_their_place(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider:
                  name: aws
                  runtime: python3.11
                functions:
                  web:
                    handler: app.handler
                    url:
                      authorizer: jwt
                """,
            "app.py": HANDLER,
        })
        r = self.fx("deploy")
        self.assertNotEqual(r.code, 0)
        self.assertRegex(r.err, r"fx: error: .*serverless.yaml:9:\d+: functions.web.url.authorizer: expected aws_iam")


class FunctionUrlDifferential(FxTestCase):
    """The same config calls against fx and moto: status and error code of each, and the fields
    of each answer. Where moto deviates from AWS's documentation, fx follows AWS and says so."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.moto = MotoServer(log_path=os.path.join(cls.root, "moto.log"))

    @classmethod
    def tearDownClass(cls):
        cls.moto.close()
        super().tearDownClass()

    def outcome(self, call, **kw):
        try:
            r = call(**kw)
            r.pop("ResponseMetadata")
            return "ok", sorted(r)
        except ClientError as e:
            return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"]

    def test_same_calls_same_answers(self):
        iam = boto3.client("iam", endpoint_url=self.moto.url, region_name=REGION,
                           aws_access_key_id="test", aws_secret_access_key="test")
        role = iam.create_role(RoleName="fx-url", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "lambda.amazonaws.com"}}]}))
        fx, moto = lambda_client(self.url), lambda_client(self.moto.url)
        for c in (fx, moto):
            c.create_function(FunctionName="diff", Runtime="python3.11", Role=role["Role"]["Arn"],
                              Handler="app.handler", Code={"ZipFile": ZIP})
        cors = {"AllowOrigins": ["https://a.example"], "AllowMethods": ["GET"], "MaxAge": 10}
        steps = [
            ("get_function_url_config", {"FunctionName": "diff"}),
            ("create_function_url_config", {"FunctionName": "diff", "AuthType": "NONE", "Cors": cors}),
            ("get_function_url_config", {"FunctionName": "diff"}),
            ("update_function_url_config", {"FunctionName": "diff", "AuthType": "AWS_IAM"}),
            ("get_function_url_config", {"FunctionName": "diff"}),
            ("create_function_url_config", {"FunctionName": "nosuch", "AuthType": "NONE"}),
            ("get_function_url_config", {"FunctionName": "nosuch"}),
            ("delete_function_url_config", {"FunctionName": "diff"}),
        ]
        for op, kw in steps:
            with self.subTest(op=op, kw=kw):
                self.assertEqual(self.outcome(getattr(fx, op), **kw),
                                 self.outcome(getattr(moto, op), **kw))
        # The values too, where both keep them.
        fx.create_function_url_config(FunctionName="diff", AuthType="NONE", Cors=cors)
        moto.create_function_url_config(FunctionName="diff", AuthType="NONE", Cors=cors)
        a, b = (c.get_function_url_config(FunctionName="diff") for c in (fx, moto))
        for key in ("AuthType", "Cors"):
            self.assertEqual(a[key], b[key])
        # The account differs (fx's is 000000000000, moto's 123456789012); the rest does not.
        self.assertEqual(a["FunctionArn"].split(":")[-1], b["FunctionArn"].split(":")[-1])
        self.assertEqual(a["FunctionArn"].split(":")[:4], b["FunctionArn"].split(":")[:4])
        # moto deviates from AWS here, fx follows AWS: InvokeMode's values are BUFFERED and
        # RESPONSE_STREAM (the API reference's enum); moto answers "Buffered".
        self.assertEqual((a["InvokeMode"], b["InvokeMode"]), ("BUFFERED", "Buffered"))
        # moto deviates from AWS here, fx follows AWS: a second URL for the same function is
        # ResourceConflictException (CreateFunctionUrlConfig's "Errors"); moto replaces the first.
        self.assertEqual(self.outcome(fx.create_function_url_config, FunctionName="diff",
                                      AuthType="NONE"), (409, "ResourceConflictException"))
        self.assertEqual(self.outcome(moto.create_function_url_config, FunctionName="diff",
                                      AuthType="NONE")[0], "ok")


if __name__ == "__main__":
    main()
