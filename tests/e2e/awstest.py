"""The base of the --target aws tests: `python3 -m moto.server` on loopback standing in for
AWS, behind the recording proxy (bench/aws/moto_proxy.py) that counts every call fx makes and
can answer as AWS does where moto does not. fx sees only the proxy, with test credentials and
an empty HOME (no real ~/.aws is ever read); boto3 checks moto directly."""
import http.client
import json
import os
import sys

import boto3
from botocore.config import Config

from fxtest import FxTestCase

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "aws"))
from moto_proxy import MotoProxy, MotoServer  # noqa: E402

ACCOUNT = "123456789012"  # moto's
READ_ACTIONS = ("Get", "List", "Describe")


def mutating(request):
    """Whether a request the proxy recorded changes something on AWS: what an unchanged
    redeploy must not send. Invocations and reads (Get*, List*, Describe*) do not."""
    op, method, path, headers = request
    if method in ("PUT", "DELETE", "PATCH"):
        return True
    if method != "POST":
        return False
    if path.split("?")[0].endswith("/invocations"):
        return False
    target = headers.get("x-amz-target", "")
    if target:  # JSON protocol: Service.Action
        return not target.split(".", 1)[1].startswith(READ_ACTIONS)
    if path.split("?")[0] == "/":  # IAM's query protocol: the proxy names the Action
        return not op.startswith(READ_ACTIONS)
    return True


def json_protocol_call(url, target, body, service,
                       content_type="application/x-amz-json-1.0"):
    """One raw request of a JSON-protocol service (DynamoDB, SQS, SSM...), sent as bytes so that
    malformed bodies go out as they are: (status, answer as JSON, or as text when it is not).
    `target` is the whole X-Amz-Target; `service` names the credential scope, as routing reads it.
    The signature is a fixed dummy value on purpose: the emulator and moto route by the
    credential scope and do not verify these requests' signatures."""
    auth = (f"AWS4-HMAC-SHA256 Credential=fx/20260101/us-east-1/{service}/aws4_request, "
            "SignedHeaders=host;x-amz-target, Signature=00")
    conn = http.client.HTTPConnection(url.split("//", 1)[1], timeout=60)
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    try:
        conn.request("POST", "/", data, {"X-Amz-Target": target, "Authorization": auth,
                                         "Content-Type": content_type})
        r = conn.getresponse()
        text = r.read()
    finally:
        conn.close()
    try:
        return r.status, json.loads(text)
    except ValueError:
        return r.status, text.decode(errors="replace")


class DifferentialCase(FxTestCase):
    """A running fx emulator (self.url) and, beside it, `python3 -m moto.server` (self.moto.url):
    the base of the tests that send both the same calls and compare the answers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.moto = MotoServer(log_path=os.path.join(cls.root, "moto.log"), docker_less=False,
                              managed_policies=False)

    @classmethod
    def tearDownClass(cls):
        cls.moto.close()
        super().tearDownClass()


class MotoCase(FxTestCase):
    start_emulator = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.moto = MotoServer(log_path=os.path.join(cls.root, "moto.log"))
        cls.proxy = MotoProxy(cls.moto.url)
        cls.env = {k: v for k, v in cls.env.items() if not k.startswith("AWS_")}
        cls.aws_home = os.path.join(cls.root, "aws-home")
        os.makedirs(cls.aws_home)
        cls.env.update({"HOME": cls.aws_home, "AWS_ENDPOINT_URL": cls.proxy.url,
                        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})

    @classmethod
    def tearDownClass(cls):
        # Nothing here should start the local emulator; if a slip did, it must not outlive us.
        cls.fx_static(["emulator", "stop"], cwd=cls.root)
        cls.proxy.close()
        cls.moto.close()
        super().tearDownClass()

    def setUp(self):
        self.rec = self.proxy.recorder
        self.rec.reset()

    def targets(self, op):
        """The recorded requests of one JSON-protocol operation (its X-Amz-Target)."""
        return [r for r in self.rec.requests if r[3].get("x-amz-target") == op]

    def mutations(self):
        """(operation, X-Amz-Target) of each recorded request that changed something."""
        return [(r[0], r[3].get("x-amz-target", "")) for r in self.rec.requests if mutating(r)]

    def boto(self, service, region="us-east-1"):
        return boto3.client(service, endpoint_url=self.moto.url, region_name=region,
                            aws_access_key_id="testing", aws_secret_access_key="testing",
                            config=Config(retries={"max_attempts": 1}))

    def deploy(self, *extra, env=None):
        """`fx deploy --target aws --json`: its entries by function key, and the result."""
        r = self.ok("deploy", "--target", "aws", "--json", *extra, env=env)
        return {f["function"]: f for f in r.json()}, r

    def name(self, key):
        return f"{self.service_name}-dev-{key}"
