"""SSM Parameter Store and Secrets Manager on the emulator: the AWS CLI and boto3 against the
real fx emulator, boto3 differential against `python3 -m moto.server` for the same call
sequences, Python and Node functions reading a parameter and a secret through their SDK,
`${ssm:}` at deploy, the store at rest (key file 0600, no plaintext in SQLite), `fx secrets`,
and attacks on both APIs (malformed JSON, wrong types, tier limits, invalid UTF-8, unknown
operations) that must be 4xx answers and never a dead emulator.
"""
import glob
import http.client
import json
import os
import stat
import subprocess
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from awstest import DifferentialCase, MotoCase
from fxtest import FxTestCase, main


AUTH = ("AWS4-HMAC-SHA256 Credential=fx/20260101/us-east-1/ssm/aws4_request, "
        "SignedHeaders=host;x-amz-target, Signature=00")


def client(service, url):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="fx", aws_secret_access_key="fx",
                        config=Config(retries={"max_attempts": 1}))


def raw(url, target, body):
    """One raw JSON 1.1 request: (status, answer as JSON or text)."""
    conn = http.client.HTTPConnection(url.split("//", 1)[1], timeout=30)
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    try:
        conn.request("POST", "/", data, {"X-Amz-Target": target, "Authorization": AUTH,
                                         "Content-Type": "application/x-amz-json-1.1"})
        r = conn.getresponse()
        text = r.read()
    finally:
        conn.close()
    try:
        return r.status, json.loads(text)
    except ValueError:
        return r.status, text.decode(errors="replace")


def code_of(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"]
    raise AssertionError("the call succeeded")


class SecretsApiTest(FxTestCase):
    """The two APIs through the AWS CLI and boto3, the store at rest, attacks, `fx secrets`."""

    def aws(self, *args, ok=True):
        env = dict(self.env, AWS_ACCESS_KEY_ID="fx", AWS_SECRET_ACCESS_KEY="fx",
                   AWS_DEFAULT_REGION="us-east-1")
        p = subprocess.run(["aws", *args, "--endpoint-url", self.url, "--output", "json"],
                           capture_output=True, text=True, env=env, timeout=60)
        if ok:
            self.assertEqual(p.returncode, 0, p.stderr)
            return json.loads(p.stdout) if p.stdout.strip() else None
        self.assertNotEqual(p.returncode, 0, p.stdout)
        return p.stderr

    def test_parameters_through_the_aws_cli(self):
        self.aws("ssm", "put-parameter", "--name", "/cli/db/password", "--value", "s3cr3t-cli",
                 "--type", "SecureString", "--description", "the db's")
        self.aws("ssm", "put-parameter", "--name", "/cli/db/host", "--value", "db.local",
                 "--type", "String")
        self.aws("ssm", "put-parameter", "--name", "/cli/hosts", "--value", "a,b,c",
                 "--type", "StringList")
        enc = self.aws("ssm", "get-parameter", "--name", "/cli/db/password")["Parameter"]
        self.assertEqual(enc["Type"], "SecureString")
        self.assertNotIn("s3cr3t-cli", enc["Value"])  # a ciphertext, as AWS returns one
        dec = self.aws("ssm", "get-parameter", "--name", "/cli/db/password",
                       "--with-decryption")["Parameter"]
        self.assertEqual(dec["Value"], "s3cr3t-cli")
        self.assertEqual(dec["ARN"], "arn:aws:ssm:us-east-1:000000000000:parameter/cli/db/password")
        err = self.aws("ssm", "put-parameter", "--name", "/cli/db/host", "--value", "x",
                       "--type", "String", ok=False)
        self.assertIn("ParameterAlreadyExists", err)
        v = self.aws("ssm", "put-parameter", "--name", "/cli/db/host", "--value", "db2.local",
                     "--overwrite")
        self.assertEqual(v["Version"], 2)
        old = self.aws("ssm", "get-parameter", "--name", "/cli/db/host:1")["Parameter"]
        self.assertEqual((old["Value"], old["Version"]), ("db.local", 1))
        one_level = self.aws("ssm", "get-parameters-by-path", "--path", "/cli")["Parameters"]
        self.assertEqual([p["Name"] for p in one_level], ["/cli/hosts"])
        deep = self.aws("ssm", "get-parameters-by-path", "--path", "/cli", "--recursive",
                        "--with-decryption")["Parameters"]
        self.assertEqual(sorted(p["Name"] for p in deep),
                         ["/cli/db/host", "/cli/db/password", "/cli/hosts"])
        self.assertIn("s3cr3t-cli", [p["Value"] for p in deep])
        self.aws("ssm", "delete-parameter", "--name", "/cli/hosts")
        self.assertIn("ParameterNotFound",
                      self.aws("ssm", "get-parameter", "--name", "/cli/hosts", ok=False))

    def test_paging_and_filters_through_boto3(self):
        ssm = client("ssm", self.url)
        for i in range(7):
            ssm.put_parameter(Name=f"/page/p{i}", Value=f"v{i}",
                              Type="SecureString" if i % 2 else "String")
        names, token = [], None
        while True:
            kw = {"NextToken": token} if token else {}
            page = ssm.get_parameters_by_path(Path="/page", MaxResults=3, **kw)
            self.assertLessEqual(len(page["Parameters"]), 3)
            names += [p["Name"] for p in page["Parameters"]]
            token = page.get("NextToken")
            if not token:
                break
        self.assertEqual(names, [f"/page/p{i}" for i in range(7)])
        secure = ssm.get_parameters_by_path(
            Path="/page", ParameterFilters=[{"Key": "Type", "Values": ["SecureString"]}])
        self.assertEqual([p["Name"] for p in secure["Parameters"]], ["/page/p1", "/page/p3", "/page/p5"])
        described = ssm.describe_parameters(
            ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": ["/page"]}],
            MaxResults=4)
        self.assertEqual(len(described["Parameters"]), 4)
        self.assertIn("NextToken", described)
        got = ssm.get_parameters(Names=["/page/p0", "/page/nope"], WithDecryption=True)
        self.assertEqual([p["Value"] for p in got["Parameters"]], ["v0"])
        self.assertEqual(got["InvalidParameters"], ["/page/nope"])
        gone = ssm.delete_parameters(Names=["/page/p0", "/page/nope"])
        self.assertEqual((gone["DeletedParameters"], gone["InvalidParameters"]),
                         (["/page/p0"], ["/page/nope"]))
        ssm.put_parameter(Name="/page/p1", Value="v1b", Overwrite=True)
        hist = ssm.get_parameter_history(Name="/page/p1", WithDecryption=True)["Parameters"]
        self.assertEqual([(h["Version"], h["Value"]) for h in hist], [(1, "v1"), (2, "v1b")])
        self.assertEqual(hist[1]["Type"], "SecureString")  # an overwrite keeps the type

    def test_secrets_through_the_aws_cli(self):
        made = self.aws("secretsmanager", "create-secret", "--name", "cli/creds",
                        "--secret-string", '{"user":"app","password":"pw-cli-1"}')
        self.assertRegex(made["ARN"],
                         r"^arn:aws:secretsmanager:us-east-1:000000000000:secret:cli/creds-[A-Za-z]{6}$")
        got = self.aws("secretsmanager", "get-secret-value", "--secret-id", "cli/creds")
        self.assertEqual(json.loads(got["SecretString"])["password"], "pw-cli-1")
        self.assertEqual(got["VersionStages"], ["AWSCURRENT"])
        second = self.aws("secretsmanager", "put-secret-value", "--secret-id", made["ARN"],
                          "--secret-string", "pw-cli-2")
        prev = self.aws("secretsmanager", "get-secret-value", "--secret-id", "cli/creds",
                        "--version-stage", "AWSPREVIOUS")
        self.assertEqual(prev["VersionId"], made["VersionId"])
        cur = self.aws("secretsmanager", "get-secret-value", "--secret-id", "cli/creds")
        self.assertEqual((cur["SecretString"], cur["VersionId"]), ("pw-cli-2", second["VersionId"]))
        listed = self.aws("secretsmanager", "list-secrets")["SecretList"]
        self.assertIn("cli/creds", [s["Name"] for s in listed])
        deleted = self.aws("secretsmanager", "delete-secret", "--secret-id", "cli/creds",
                           "--recovery-window-in-days", "7")
        self.assertGreater(deleted["DeletionDate"], time.time() + 6 * 86400)
        self.assertIn("InvalidRequestException",
                      self.aws("secretsmanager", "get-secret-value", "--secret-id", "cli/creds",
                               ok=False))
        self.assertNotIn("cli/creds", [s["Name"] for s in
                                       self.aws("secretsmanager", "list-secrets")["SecretList"]])
        self.aws("secretsmanager", "restore-secret", "--secret-id", "cli/creds")
        self.assertEqual(self.aws("secretsmanager", "get-secret-value",
                                  "--secret-id", "cli/creds")["SecretString"], "pw-cli-2")
        self.aws("secretsmanager", "delete-secret", "--secret-id", "cli/creds",
                 "--force-delete-without-recovery")
        self.assertIn("ResourceNotFoundException",
                      self.aws("secretsmanager", "describe-secret", "--secret-id", "cli/creds",
                               ok=False))

    def test_secret_through_ssm_reference_and_binary(self):
        sm, ssm = client("secretsmanager", self.url), client("ssm", self.url)
        sm.create_secret(Name="ref/one", SecretString='{"k":"v-ref"}')
        p = ssm.get_parameter(Name="/aws/reference/secretsmanager/ref/one",
                              WithDecryption=True)["Parameter"]
        self.assertEqual((p["Type"], p["Value"]), ("SecureString", '{"k":"v-ref"}'))
        self.assertEqual(code_of(ssm.get_parameter, Name="/aws/reference/secretsmanager/ref/one"),
                         "ValidationException")
        self.assertEqual(code_of(ssm.get_parameter, Name="/aws/reference/secretsmanager/none",
                                 WithDecryption=True), "ParameterNotFound")
        sm.create_secret(Name="ref/bin", SecretBinary=b"\x00\xffbin")
        self.assertEqual(sm.get_secret_value(SecretId="ref/bin")["SecretBinary"], b"\x00\xffbin")

    def test_store_at_rest(self):
        ssm, sm = client("ssm", self.url), client("secretsmanager", self.url)
        ssm.put_parameter(Name="/rest/pw", Value="plaintext-param-7731", Type="SecureString")
        sm.create_secret(Name="rest/s", SecretString="plaintext-secret-7731")
        key = os.path.join(self.home, "secrets.key")
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
        self.assertEqual(os.path.getsize(key), 32)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(self.home, "secrets.db")).st_mode), 0o600)
        files = glob.glob(os.path.join(self.home, "secrets.db*"))
        self.assertTrue(files)
        for f in files:
            with open(f, "rb") as fh:
                data = fh.read()
            self.assertNotIn(b"plaintext-param-7731", data, f)
            self.assertNotIn(b"plaintext-secret-7731", data, f)
        self.assertEqual(ssm.get_parameter(Name="/rest/pw", WithDecryption=True)["Parameter"]["Value"],
                         "plaintext-param-7731")

    def test_attacks_are_4xx_and_the_emulator_lives(self):
        cases = [
            ("AmazonSSM.GetParameter", b"{not json", "SerializationException"),
            ("AmazonSSM.GetParameter", b"[1,2]", "SerializationException"),
            ("AmazonSSM.GetParameter", {"Name": 5}, "SerializationException"),
            ("AmazonSSM.PutParameter", {"Name": "/a", "Value": "x", "Type": "String", "Overwrite": "yes"},
             "SerializationException"),
            ("AmazonSSM.PutParameter", {"Name": "/big", "Value": "x" * 4097, "Type": "String"},
             "ValidationException"),
            ("AmazonSSM.PutParameter", {"Name": "/big", "Value": "x" * 8193, "Type": "String",
                                        "Tier": "Advanced"}, "ValidationException"),
            ("AmazonSSM.PutParameter", {"Name": "/t", "Value": "x", "Type": "Nope"}, "ValidationException"),
            ("AmazonSSM.PutParameter", {"Name": "/bad name!", "Value": "x", "Type": "String"},
             "ValidationException"),
            ("AmazonSSM.PutParameter", {"Name": "/awsx", "Value": "x", "Type": "String"},
             "ValidationException"),
            ("AmazonSSM.PutParameter", {"Value": "x", "Type": "String"}, "ValidationException"),
            ("AmazonSSM.GetParametersByPath", {"Path": "/", "MaxResults": 11}, "ValidationException"),
            ("AmazonSSM.GetParametersByPath", {"Path": "/", "NextToken": "!!"}, "ValidationException"),
            ("AmazonSSM.GetParameters", {"Names": ["/x"] * 11}, "ValidationException"),
            ("AmazonSSM.DescribeParameters", {"ParameterFilters": [{"Key": "Bogus", "Values": ["x"]}]},
             "InvalidFilterKey"),
            ("AmazonSSM.GetParameter", b'{"Name": "/\xff\xfe"}', "SerializationException"),
            ("AmazonSSM.SendCommand", {}, "UnknownOperationException"),
            ("secretsmanager.CreateSecret", {"Name": "big", "SecretString": "x" * 65537},
             "ValidationException"),
            ("secretsmanager.CreateSecret", {"Name": "both", "SecretString": "a", "SecretBinary": "YQ=="},
             "InvalidParameterException"),
            ("secretsmanager.CreateSecret", {"Name": ["x"]}, "SerializationException"),
            ("secretsmanager.CreateSecret", {"Name": "tok", "ClientRequestToken": "short"},
             "ValidationException"),
            ("secretsmanager.GetSecretValue", {"SecretId": "nope"}, "ResourceNotFoundException"),
            ("secretsmanager.DeleteSecret", {"SecretId": "nope", "RecoveryWindowInDays": 3},
             "ResourceNotFoundException"),
            ("secretsmanager.ListSecrets", {"MaxResults": 0}, "ValidationException"),
            ("secretsmanager.GetSecretValue", b'{"SecretId": "\xc3"}', "SerializationException"),
            ("secretsmanager.RotateSecret", {}, "UnknownOperationException"),
            # A pattern that backtracks for hours and one that recurses per character, under
            # a backtracking matcher: refused or answered at once, never a stalled service.
            ("AmazonSSM.PutParameter", {"Name": "/redos", "Value": "a" * 4000 + "b", "Type": "String",
                                        "AllowedPattern": "^(a+)+$"}, "ParameterPatternMismatchException"),
            ("AmazonSSM.PutParameter", {"Name": "/backref", "Value": "abab", "Type": "String",
                                        "AllowedPattern": "^(ab)\\1$"}, "ValidationException"),
        ]
        for target, body, code in cases:
            with self.subTest(target=target, body=str(body)[:60]):
                status, answer = raw(self.url, target, body)
                self.assertEqual(status, 400, answer)
                self.assertEqual(answer["__type"], code, answer)
        sm = client("secretsmanager", self.url)
        sm.create_secret(Name="window", SecretString="w")
        self.assertEqual(code_of(sm.delete_secret, SecretId="window", RecoveryWindowInDays=3),
                         "InvalidParameterException")
        # Bigger than any request either service reads: refused before it is read whole.
        status, _ = raw(self.url, "AmazonSSM.PutParameter", b"{" + b" " * (2 * 1024 * 1024) + b"}")
        self.assertEqual(status, 413)
        self.ok("emulator", "status")
        self.assertEqual(client("ssm", self.url).describe_parameters(MaxResults=1)["ResponseMetadata"]
                         ["HTTPStatusCode"], 200)

    def test_fx_secrets_commands(self):
        self.ok("secrets", "set", "/cmd/token", "tok-998877", "--secure", "--description", "api")
        self.ok("secrets", "set", "/cmd/plain", "hello")
        self.assertEqual(self.ok("secrets", "get", "/cmd/token").out, "tok-998877\n")
        listed = self.ok("secrets", "list", "/cmd", "--json").json()
        self.assertEqual([(r["name"], r["type"]) for r in listed],
                         [("/cmd/plain", "String"), ("/cmd/token", "SecureString")])
        self.assertNotIn("tok-998877", self.ok("secrets", "list").out)
        # What fx secrets set stored is what the emulator serves.
        p = client("ssm", self.url).get_parameter(Name="/cmd/token", WithDecryption=True)
        self.assertEqual(p["Parameter"]["Value"], "tok-998877")
        self.ok("secrets", "rm", "/cmd/token")
        r = self.fx("secrets", "get", "/cmd/token")
        self.assertEqual(r.code, 1, r)
        self.assertIn("fx: error: there is no parameter /cmd/token", r.err)
        self.assertIn("fx secrets set /cmd/token", r.err)


SDK_SERVICE = {
    "serverless.yaml": """
        service: SERVICE
        provider: {name: aws, runtime: python3.11}
        functions:
          py:
            handler: app.handler
          node:
            handler: index.handler
            runtime: nodejs20.x
        """,
    "app.py": """
        import boto3
        def handler(event, context):
            p = boto3.client("ssm").get_parameter(Name="/sdk/pw", WithDecryption=True)
            s = boto3.client("secretsmanager").get_secret_value(SecretId="sdk/creds")
            return {"param": p["Parameter"]["Value"], "secret": s["SecretString"]}
        """,
    "index.js": """
        const { SSMClient, GetParameterCommand } = require('@aws-sdk/client-ssm');
        const { SecretsManagerClient, GetSecretValueCommand } =
          require('@aws-sdk/client-secrets-manager');
        exports.handler = async () => {
          const p = await new SSMClient({}).send(
            new GetParameterCommand({ Name: '/sdk/pw', WithDecryption: true }));
          const s = await new SecretsManagerClient({}).send(
            new GetSecretValueCommand({ SecretId: 'sdk/creds' }));
          return { param: p.Parameter.Value, secret: s.SecretString };
        };
        """,
}

DEPLOY_SERVICE = {
    "serverless.yaml": """
        service: SERVICE
        provider:
          name: aws
          runtime: python3.12
          environment:
            PLAIN: ${ssm:/dep/plain}
            SECURE: ${ssm:/dep/pw}
            LEGACY: ${ssm:/dep/pw~true}
            HOSTS: ${ssm:/dep/hosts, 'none'}
            USER: ${self:custom.creds.user}
            PASSWORD: ${self:custom.creds.password}
            RAW: ${ssm(raw):/aws/reference/secretsmanager/dep/creds}
        custom:
          creds: ${ssm:/aws/reference/secretsmanager/dep/creds}
        functions:
          env:
            handler: app.handler
        """,
    "app.py": """
        import os
        def handler(event, context):
            return {k: os.environ.get(k) for k in
                    ["PLAIN", "SECURE", "LEGACY", "USER", "PASSWORD", "RAW"]}
        """,
}


class SecretsAtRunAndDeployTest(FxTestCase):
    """Functions reading parameters and secrets through their SDK; ${ssm:} at deploy."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ssm, cls.sm = client("ssm", cls.url), client("secretsmanager", cls.url)

    def test_python_and_node_read_through_their_sdk(self):
        self.ssm.put_parameter(Name="/sdk/pw", Value="sdk-pw-4411", Type="SecureString")
        self.sm.create_secret(Name="sdk/creds", SecretString="sdk-secret-4411")
        self.make_service(SDK_SERVICE)
        self.ok("deploy", timeout=300)
        for fn in ("py", "node"):
            with self.subTest(fn=fn):
                r = self.ok("invoke", fn, timeout=300)
                self.assertEqual(json.loads(r.out),
                                 {"param": "sdk-pw-4411", "secret": "sdk-secret-4411"})

    def test_ssm_variables_resolve_at_deploy(self):
        self.ssm.put_parameter(Name="/dep/plain", Value="plain-value", Type="String")
        self.ssm.put_parameter(Name="/dep/pw", Value="deploy-pw-5521", Type="SecureString")
        self.sm.create_secret(Name="dep/creds",
                              SecretString='{"user": "svc-user", "password": "deploy-secret-5521"}')
        self.make_service(DEPLOY_SERVICE)
        d = self.ok("deploy")
        j = self.ok("deploy", "--json")
        info = self.ok("info")
        info_json = self.ok("info", "--json")
        for r in (d, j, info, info_json):
            self.assertNotIn("deploy-pw-5521", r.out + r.err)
            self.assertNotIn("deploy-secret-5521", r.out + r.err)
        # What the function got, from the emulator's Lambda API: fx's own output (fx invoke's
        # result included) shows the secure values as ****.
        got = client("lambda", self.url).get_function_configuration(
            FunctionName=f"{self.service_name}-dev-env")["Environment"]["Variables"]
        self.assertIn("****", self.ok("invoke", "env").out)
        self.assertEqual(got["PLAIN"], "plain-value")
        self.assertEqual(got["SECURE"], "deploy-pw-5521")  # decrypted, as framework v3 does
        self.assertEqual(got["LEGACY"], "deploy-pw-5521")
        self.assertEqual((got["USER"], got["PASSWORD"]), ("svc-user", "deploy-secret-5521"))
        self.assertEqual(json.loads(got["RAW"])["user"], "svc-user")

    def test_missing_parameter_is_an_error_naming_it(self):
        self.make_service({"serverless.yaml": """
            service: SERVICE
            provider: {name: aws, runtime: python3.12}
            functions:
              f:
                handler: app.handler
                environment:
                  TOKEN: ${ssm:/dep/missing-one}
            """, "app.py": "def handler(e, c):\n    return 1\n"})
        r = self.fx("deploy")
        self.assertEqual(r.code, 1, r)
        first = r.err.splitlines()[0]
        self.assertRegex(first, r"^fx: error: .*serverless\.yaml:7:\d+: .*TOKEN")
        self.assertIn("/dep/missing-one", first)
        self.assertIn("fx secrets set /dep/missing-one", r.err)
        self.assertIn("aws ssm put-parameter --endpoint-url http://127.0.0.1:", r.err)

    def test_secure_values_are_masked_in_errors(self):
        self.ssm.put_parameter(Name="/dep/mem", Value="masked-mem-6631", Type="SecureString")
        self.make_service({"serverless.yaml": """
            service: SERVICE
            provider: {name: aws, runtime: python3.12}
            functions:
              f:
                handler: app.handler
                memorySize: ${ssm:/dep/mem}
            """, "app.py": "def handler(e, c):\n    return 1\n"})
        r = self.fx("deploy")
        self.assertEqual(r.code, 1, r)
        self.assertIn("memorySize", r.err)
        self.assertNotIn("masked-mem-6631", r.err + r.out)
        self.assertIn("****", r.err)


# Fields that legitimately differ between two correct answers: times, generated ids, ARNs
# (account and random suffix), who modified it.
VOLATILE = {"ARN", "LastModifiedDate", "CreatedDate", "LastChangedDate", "LastAccessedDate",
            "DeletionDate", "DeletedDate", "VersionId", "LastModifiedUser", "ResponseMetadata",
            "NextToken", "SourceResult", "KeyId", "Policies", "Labels",
            # GetParameter of NAME:VERSION: AWS's answer names the selector used (its API
            # reference, Parameter.Selector) and fx's does; moto leaves it out.
            "Selector"}


def normalise(value):
    if isinstance(value, dict) and isinstance(value.get("Parameters"), list):
        # GetParametersByPath's order is not documented: fx answers by name, moto as stored.
        value = dict(value, Parameters=sorted(value["Parameters"], key=lambda p: p.get("Name", "")))
    if isinstance(value, dict) and value.get("Type") == "SecureString" and value.get("Value") \
            not in (None, "sec"):
        # Read without WithDecryption: AWS returns a ciphertext, fx its sealed value base64'd,
        # moto "kms:KEY:VALUE". Neither may be the plaintext ("sec"), which stays compared.
        value = dict(value, Value="<encrypted>")
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in VOLATILE:
                continue
            if k in ("SecretVersionsToStages", "VersionIdsToStages"):
                out[k] = sorted(sorted(s) for s in v.values())
                continue
            out[k] = normalise(v)
        return out
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def outcome(call, *args, **kwargs):
    try:
        return ("ok", normalise(call(*args, **kwargs)))
    except ClientError as e:
        return ("error", e.response["Error"]["Code"])


class SecretsDiffTest(DifferentialCase):
    """The same boto3 call sequences against fx and moto, answers compared after normalise()."""

    def compare(self, fx, moto, deviations=None):
        """Step by step; a step in `deviations` is where moto departs from AWS's documentation:
        fx must give the documented answer there, and moto still differ (or the note is stale)."""
        deviations = deviations or {}
        for i, (a, b) in enumerate(zip(fx, moto)):
            with self.subTest(step=i):
                if i in deviations:
                    self.assertEqual(a, deviations[i])
                    self.assertNotEqual(b, deviations[i], "moto now agrees: drop the deviation")
                else:
                    self.assertEqual(a, b)

    def both(self, service, steps):
        """Runs steps (callables taking a client) on fx and moto: the two lists of outcomes."""
        answers = []
        for url in (self.url, self.moto.url):
            c = client(service, url)
            answers.append([step(c) for step in steps])
        return answers

    def test_parameter_sequence(self):
        steps = [
            lambda c: outcome(c.put_parameter, Name="/d/a", Value="one", Type="String",
                              Description="first"),
            lambda c: outcome(c.put_parameter, Name="/d/s", Value="sec", Type="SecureString"),
            lambda c: outcome(c.put_parameter, Name="/d/deep/l", Value="x,y", Type="StringList"),
            lambda c: outcome(c.put_parameter, Name="/d/a", Value="two", Type="String"),
            lambda c: outcome(c.put_parameter, Name="/d/a", Value="two", Overwrite=True),
            lambda c: outcome(c.get_parameter, Name="/d/a"),
            lambda c: outcome(c.get_parameter, Name="/d/a:1"),
            lambda c: outcome(c.get_parameter, Name="/d/s", WithDecryption=True),
            lambda c: outcome(c.get_parameter, Name="/d/none"),
            lambda c: outcome(c.get_parameters, Names=["/d/a", "/d/none"]),
            lambda c: outcome(c.get_parameters_by_path, Path="/d", Recursive=True, WithDecryption=True),
            lambda c: outcome(c.get_parameters_by_path, Path="/d"),
            lambda c: outcome(c.put_parameter, Name="/d/t", Value="v", Type="String",
                              Tags=[{"Key": "k", "Value": "v"}], Overwrite=True),
            lambda c: outcome(c.put_parameter, Name="/d/e", Value="", Type="String"),
            lambda c: outcome(c.put_parameter, Name="/d/n", Value="v"),
            lambda c: outcome(c.describe_parameters,
                              ParameterFilters=[{"Key": "Name", "Values": ["/d/a"]}]),
            lambda c: outcome(c.delete_parameter, Name="/d/a"),
            lambda c: outcome(c.delete_parameter, Name="/d/a"),
            lambda c: outcome(c.delete_parameters, Names=["/d/s", "/d/none"]),
        ]
        fx, moto = self.both("ssm", steps)
        self.compare(fx, moto)

    def test_secret_sequence(self):
        token = "a" * 32
        steps = [
            lambda c: outcome(c.create_secret, Name="d/one", SecretString="v1",
                              ClientRequestToken=token, Description="desc"),
            lambda c: outcome(c.create_secret, Name="d/one", SecretString="other"),
            lambda c: outcome(c.get_secret_value, SecretId="d/one"),
            lambda c: outcome(c.put_secret_value, SecretId="d/one", SecretString="v2"),
            lambda c: outcome(c.get_secret_value, SecretId="d/one", VersionStage="AWSPREVIOUS"),
            lambda c: outcome(c.get_secret_value, SecretId="d/one", VersionStage="NOPE"),
            lambda c: outcome(c.describe_secret, SecretId="d/one"),
            lambda c: outcome(c.update_secret, SecretId="d/one", Description="new"),
            lambda c: outcome(c.list_secrets),
            lambda c: outcome(c.get_secret_value, SecretId="d/none"),
            lambda c: outcome(c.delete_secret, SecretId="d/one", RecoveryWindowInDays=7),
            lambda c: outcome(c.get_secret_value, SecretId="d/one"),
            lambda c: outcome(c.put_secret_value, SecretId="d/one", SecretString="v3"),
            lambda c: outcome(c.restore_secret, SecretId="d/one"),
            lambda c: outcome(c.get_secret_value, SecretId="d/one"),
            lambda c: outcome(c.delete_secret, SecretId="d/one", ForceDeleteWithoutRecovery=True,
                              RecoveryWindowInDays=7),
            lambda c: outcome(c.delete_secret, SecretId="d/one", ForceDeleteWithoutRecovery=True),
            lambda c: outcome(c.describe_secret, SecretId="d/one"),
        ]
        fx, moto = self.both("secretsmanager", steps)
        # PutSecretValue on a secret scheduled for deletion: AWS's API reference lists
        # InvalidRequestException "the secret is marked deleted" for it; moto stores the value
        # (and so, after the restore, reads back v3 where AWS still has v2).
        self.compare(fx, moto, {
            12: ("error", "InvalidRequestException"),
            14: ("ok", {"Name": "d/one", "SecretString": "v2", "VersionStages": ["AWSCURRENT"]}),
        })


class SecretsFromAwsTest(MotoCase):
    """${ssm:} with --target aws: read from SSM (moto standing in for AWS), never locally."""

    def test_ssm_variables_are_read_from_aws(self):
        ssm, sm = self.boto("ssm"), self.boto("secretsmanager")
        ssm.put_parameter(Name="/cfg/plain", Value="from-aws", Type="String", Overwrite=True)
        ssm.put_parameter(Name="/cfg/pw", Value="aws-pw-8812", Type="SecureString", Overwrite=True)
        try:
            sm.create_secret(Name="awst/creds", SecretString='{"user": "aws-user"}')
        except ClientError:
            pass  # made by an earlier run of this class's moto
        self.make_service({"serverless.yaml": """
            service: SERVICE
            provider:
              name: aws
              runtime: python3.12
              environment:
                PLAIN: ${ssm:/cfg/plain}
                PW: ${ssm:/cfg/pw}
                USER: ${self:custom.creds.user}
                MISSING: ${ssm:/cfg/none, 'fallback'}
            custom:
              creds: ${ssm:/aws/reference/secretsmanager/awst/creds}
            functions:
              fn:
                handler: app.handler
            """, "app.py": "def handler(e, c):\n    return 1\n"})
        _, r = self.deploy()
        self.assertNotIn("aws-pw-8812", r.out + r.err)
        env = self.boto("lambda").get_function_configuration(
            FunctionName=self.name("fn"))["Environment"]["Variables"]
        self.assertEqual(env, {"PLAIN": "from-aws", "PW": "aws-pw-8812", "USER": "aws-user",
                               "MISSING": "fallback"})
        reads = [r for r in self.rec.calls("POST /")
                 if r[3].get("x-amz-target") == "AmazonSSM.GetParameter"]
        self.assertGreaterEqual(len(reads), 4, self.rec.stats())


if __name__ == "__main__":
    main()
