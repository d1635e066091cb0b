"""What a function finds in its environment, as on Lambda: credentials and endpoints that send
its AWS SDK's calls for the services fx serves (Lambda, SQS) to the emulator, the SDK its
runtime provides (boto3; @aws-sdk v3 on nodejs18.x and later) and nothing else of the host's.

Everything is real: the emulator, python3 with the host's boto3, node with @aws-sdk v3 that the
emulator installs from npm into its FX_HOME.
"""
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from fxtest import FX, FxTestCase, main

# What the user's shell might hold: none of it may reach a function.
USER_AWS = {
    "AWS_ACCESS_KEY_ID": "AKIAUSERSOWNKEY00000",
    "AWS_SECRET_ACCESS_KEY": "users-own-secret",
    "AWS_SESSION_TOKEN": "users-own-session",
    "AWS_PROFILE": "users-profile",
    "AWS_CONFIG_FILE": "/nonexistent/users/config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/users/credentials",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9/users-endpoint",
}

PYTHON = {
    "serverless.yaml": """
        service: SERVICE
        provider: {name: aws, runtime: python3.11}
        functions:
          sqs:
            handler: app.sqs
          lam:
            handler: app.lam
          env:
            handler: app.env
          yaml:
            handler: app.host_only
          paths:
            handler: app.paths
        """,
    "app.py": """
        import os, sys
        import boto3

        def sqs(event, context):
            # No endpoint, region or credentials here: the environment has them, as on Lambda.
            client = boto3.client("sqs")
            url = client.create_queue(QueueName=event["queue"])["QueueUrl"]
            client.send_message(QueueUrl=url, MessageBody="from the function")
            got = client.receive_message(QueueUrl=url, WaitTimeSeconds=1)
            return {"url": url, "bodies": [m["Body"] for m in got.get("Messages", [])]}

        def lam(event, context):
            client = boto3.client("lambda")
            names = [f["FunctionName"] for f in client.list_functions()["Functions"]]
            return {"names": names, "env": client.invoke(FunctionName=event["target"])["Payload"].read().decode()}

        def env(event, context):
            return {k: v for k, v in os.environ.items() if k.startswith("AWS_")}

        def host_only(event, context):
            try:
                import yaml
                return "imported " + yaml.__file__
            except ImportError as e:
                return "ImportError: " + str(e)

        def paths(event, context):
            return {"path": sys.path, "boto3": boto3.__file__}
        """,
}

OWN_BOTO3 = {
    "serverless.yaml": """
        service: SERVICE
        provider: {name: aws, runtime: python3.11}
        functions:
          own:
            handler: app.own
        """,
    "app.py": """
        import boto3
        def own(event, context):
            return boto3.MARKER
        """,
    "boto3/__init__.py": "MARKER = 'the bundle\\'s own boto3'\n",
}

NODE = {
    "serverless.yaml": """
        service: SERVICE
        provider: {name: aws, runtime: nodejs20.x}
        functions:
          v3:
            handler: index.v3
          where:
            handler: index.where
          clients:
            handler: index.clients
          esm:
            handler: esm/handler.list
        """,
    # An ES module importing the SDK the runtime provides, which package.json declares for local
    # tooling with no node_modules (as public projects do): ESM ignores NODE_PATH, so this needs
    # the shim's resolve hook; and the deploy must not demand node_modules for it.
    "package.json": '{"name": "nodeenv", "dependencies": {"@aws-sdk/client-lambda": "^3.0.0"}}',
    "esm/package.json": '{"type": "module"}',
    "esm/handler.js": """
        import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
        export const list = async () => {
          const fns = await new LambdaClient({}).send(new ListFunctionsCommand({}));
          return fns.Functions.map((f) => f.FunctionName);
        };
        """,
    "index.js": """
        const { SQSClient, CreateQueueCommand, SendMessageCommand, ReceiveMessageCommand } =
          require('@aws-sdk/client-sqs');
        const { LambdaClient, ListFunctionsCommand } = require('@aws-sdk/client-lambda');
        exports.v3 = async (event) => {
          const sqs = new SQSClient({});
          const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: event.queue }));
          await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'from node' }));
          const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
          const fns = await new LambdaClient({}).send(new ListFunctionsCommand({}));
          return { url: QueueUrl, bodies: (got.Messages || []).map((m) => m.Body),
                   names: fns.Functions.map((f) => f.FunctionName) };
        };
        exports.where = async () => require.resolve('@aws-sdk/client-sqs');
        // Clients beyond the first eight fx provided, which public projects import.
        exports.clients = async () => ['@aws-sdk/client-sfn', '@aws-sdk/client-eventbridge',
          '@aws-sdk/client-apigatewaymanagementapi', '@aws-sdk/client-cognito-identity-provider']
          .map((name) => Object.keys(require(name)).some((k) => k.endsWith('Client')));
        """,
}


class FunctionEnvironment(FxTestCase):
    emulator_env = USER_AWS
    # Its tests watch the SDKs being installed (once, at the deploy that first needs one): a
    # folder shared with the run's other classes would already hold them.
    shared_sdk = False

    def invoke(self, fn, payload=None):
        args = ["invoke", fn] + (["--data", json.dumps(payload)] if payload is not None else [])
        r = self.ok(*args, timeout=180)
        return json.loads(r.out)

    def test_python_boto3_reaches_the_emulators_sqs_and_lambda(self):
        self.make_service(PYTHON, name="pyenv")
        self.ok("deploy")
        got = self.invoke("sqs", {"queue": "from-boto3"})
        self.assertEqual(got["bodies"], ["from the function"])
        self.assertTrue(got["url"].endswith("/000000000000/from-boto3"), got)
        # The queue is the emulator's: the CLI sees it.
        urls = subprocess.run(
            ["aws", "--endpoint-url", self.url, "--output", "json", "sqs", "list-queues"],
            env={**{k: v for k, v in self.env.items() if not k.startswith("AWS_")},
                 "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                 "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": ""},
            capture_output=True, text=True, timeout=60)
        self.assertEqual(urls.returncode, 0, urls.stderr)
        self.assertIn("from-boto3", urls.stdout)
        got = self.invoke("lam", {"target": "pyenv-dev-env"})
        self.assertIn("pyenv-dev-sqs", got["names"])
        self.assertIn("AWS_ENDPOINT_URL_SQS", json.loads(got["env"]))

    def test_credentials_and_endpoints_are_the_emulators_never_the_users(self):
        self.make_service(PYTHON, name="pycred")
        self.ok("deploy")
        env = self.invoke("env")
        self.assertEqual(env["AWS_ENDPOINT_URL_SQS"], self.url)
        self.assertEqual(env["AWS_ENDPOINT_URL_LAMBDA"], self.url)
        self.assertEqual(env["AWS_ENDPOINT_URL_DYNAMODB"], self.url)
        self.assertEqual(env["AWS_ENDPOINT_URL_DYNAMODB_STREAMS"], self.url)
        # Only the services fx serves: any other goes where the SDK would send it.
        endpoints = {k for k in env if k.startswith("AWS_ENDPOINT_URL")}
        self.assertEqual(endpoints, {"AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL_SQS",
                                         "AWS_ENDPOINT_URL_DYNAMODB",
                                         "AWS_ENDPOINT_URL_DYNAMODB_STREAMS",
                                         "AWS_ENDPOINT_URL_SSM",
                                         "AWS_ENDPOINT_URL_SECRETS_MANAGER",
                                         "AWS_ENDPOINT_URL_SNS", "AWS_ENDPOINT_URL_S3"})
        self.assertNotIn("AWS_ENDPOINT_URL_KINESIS", env)
        self.assertTrue(env["AWS_ACCESS_KEY_ID"].startswith("ASIA"), env)
        self.assertEqual(len(env["AWS_ACCESS_KEY_ID"]), 20)
        self.assertEqual(len(env["AWS_SECRET_ACCESS_KEY"]), 40)
        self.assertGreater(len(env["AWS_SESSION_TOKEN"]), 64)
        self.assertEqual(env["AWS_REGION"], "us-east-1")
        for k, v in USER_AWS.items():
            self.assertNotEqual(env.get(k), v, k)
        self.assertNotIn("AWS_PROFILE", env)
        # Kept in FX_HOME, readable by its owner only, and the same after a redeploy.
        path = os.path.join(self.home, "instance-credentials")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        with open(path) as f:
            self.assertEqual(json.load(f)["AccessKeyId"], env["AWS_ACCESS_KEY_ID"])

    def test_host_only_packages_do_not_import_and_a_bundled_boto3_wins(self):
        self.make_service(PYTHON, name="pypath")
        self.ok("deploy")
        self.assertTrue(self.invoke("yaml").startswith("ImportError"), "host's yaml imported")
        got = self.invoke("paths")
        self.assertFalse(any("site-packages" in p and "/opt/" not in p for p in got["path"]), got)
        # fx's copy, where the sandbox shows it (Lambda's /var/runtime) or in FX_HOME without one.
        self.assertTrue(got["boto3"].startswith(("/var/runtime/sdk/boto3/",
                                                 os.path.join(self.home, "sdk", "python"),
                                                 os.path.realpath(os.path.join(self.home, "sdk")))),
                        got)
        self.make_service(OWN_BOTO3, name="pyown")
        self.ok("deploy")
        self.assertEqual(self.invoke("own"), "the bundle's own boto3")

    def test_node_sdk_v3_reaches_the_emulator_with_no_configuration(self):
        if not shutil.which("npm"):
            self.skipTest("npm is not installed")
        self.make_service(NODE, name="nodeenv")
        self.ok("deploy")
        got = self.invoke("v3", {"queue": "from-node"})
        self.assertEqual(got["bodies"], ["from node"])
        self.assertIn("nodeenv-dev-v3", got["names"])
        self.assertIn("nodeenv-dev-esm", self.invoke("esm"))
        # The runtime's copy, not one of the host's.
        where = self.invoke("where")
        self.assertIn("node_modules/@aws-sdk/client-sqs", where)
        # Unsandboxed, the path is the host's: FX_HOME/sdk, which may be a link to the run's
        # shared folder (fxtest.FxTestCase.shared_sdk).
        sdk_root = os.path.realpath(os.path.join(self.home, "sdk"))
        self.assertTrue(where.startswith(("/var/runtime/", sdk_root)) or self.home in where, where)
        self.assertEqual(self.invoke("clients"), [True, True, True, True])



    def test_a_client_outside_fxs_list_is_installed_at_deploy(self):
        # Lambda's runtime has every @aws-sdk/* package; fx's list has a dozen. STS is not one
        # of them: the deploy installs it, once, before the function runs.
        if not shutil.which("npm"):
            self.skipTest("npm is not installed")
        self.make_service(NODE_STS, name="nodests")
        r = self.ok("deploy", timeout=300)
        self.assertEqual(r.err.count("installing @aws-sdk/client-sts"), 1, r)
        self.assertIn("function 'sts' imports it", r.err)
        got = self.invoke("sts")
        self.assertEqual(got["region"], "eu-west-3")
        self.assertIn("node_modules/@aws-sdk/client-sts", got["where"])
        self.assertTrue(got["where"].startswith("/var/runtime/") or self.home in got["where"], got)
        # Installed once: a redeploy (of changed code too) installs nothing.
        with open(os.path.join(self.service_dir, "index.js"), "a") as f:
            f.write("\n// changed\n")
        r = self.ok("deploy", timeout=120)
        self.assertNotIn("installing", r.err)
        self.assertEqual(self.invoke("sts")["region"], "eu-west-3")


NODE_STS = {
    "serverless.yaml": """
        service: SERVICE
        provider: {name: aws, runtime: nodejs20.x}
        functions:
          sts:
            handler: index.sts
        """,
    # Only constructs the client: no STS server is needed.
    "index.js": """
        const { STSClient } = require('@aws-sdk/client-sts');
        exports.sts = async () => {
          const client = new STSClient({ region: 'eu-west-3' });
          return { region: await client.config.region(),
                   where: require.resolve('@aws-sdk/client-sts') };
        };
        """,
}


class FunctionEnvironmentUnsandboxed(FunctionEnvironment):
    """The same without a sandbox (kernels without user namespaces): the instance runs as the
    user, sees the host's folders, and its SDK must still not read the user's ~/.aws."""
    emulator_env = {**USER_AWS, "FX_SANDBOX": "off"}

    def test_the_sdk_files_of_the_user_are_not_read(self):
        self.make_service(PYTHON, name="pynosbx")
        self.ok("deploy")
        env = self.invoke("env")
        self.assertEqual(env["AWS_CONFIG_FILE"], "/dev/null")
        self.assertEqual(env["AWS_SHARED_CREDENTIALS_FILE"], "/dev/null")


NODE_NO_SDK = {
    "serverless.yaml": """
        service: SERVICE
        provider: {name: aws, runtime: nodejs20.x}
        functions:
          bare:
            handler: index.bare
        """,
    "index.js": """
        exports.bare = async () => {
          try {
            require('@aws-sdk/client-sqs');
            return 'loaded';
          } catch (e) {
            return e.code;
          }
        };
        """,
}


class NpmUnreachable(FxTestCase):
    """npm cannot reach its registry: Node functions still run, without the SDK, and their log
    says once why."""

    shared_sdk = False  # the install itself must fail here

    @classmethod
    def setUpClass(cls):
        cls.npm_root = tempfile.mkdtemp(prefix="fx-npm-")
        # Port 9 (discard) refuses at once; an empty cache so nothing is served from an earlier run.
        cls.emulator_env = {"npm_config_registry": "http://127.0.0.1:9/",
                            "npm_config_cache": os.path.join(cls.npm_root, "cache")}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.npm_root, ignore_errors=True)

    def test_functions_run_without_the_sdk_and_the_log_says_why(self):
        if not shutil.which("npm"):
            self.skipTest("npm is not installed")
        self.make_service(NODE_NO_SDK, name="nonpm")
        self.ok("deploy")
        r = self.ok("invoke", "bare", timeout=240)
        self.assertEqual(json.loads(r.out), "MODULE_NOT_FOUND")
        self.ok("invoke", "bare", timeout=60)
        said = [e["message"] for e in self.logs("bare") if "cannot install" in e["message"]]
        self.assertEqual(len(said), 1, said)
        self.assertIn("from npm", said[0])
        self.assertIn("@aws-sdk/client-sqs", said[0])
        self.assertIn("ECONNREFUSED", said[0])
        self.assertIn("request to http://127.0.0.1:9/", said[0])
        self.assertFalse(os.path.exists(os.path.join(self.home, "sdk", "node", "node_modules")))

    def test_a_client_npm_cannot_install_stops_the_deploy_naming_it(self):
        if not shutil.which("npm"):
            self.skipTest("npm is not installed")
        self.make_service(NODE_STS, name="nonpmsts")
        r = self.fx("deploy", timeout=240)
        self.assertEqual(r.code, 1, r)
        self.assertIn("fx: error: cannot install @aws-sdk/client-sts, which function 'sts' "
                      "imports, from npm", r.err)
        self.assertIn("ECONNREFUSED", r.err)
        self.assertIn("npm install @aws-sdk/client-sts", r.err)
        # Nothing was deployed: the function never ran without its client.
        self.assertNotEqual(self.fx("invoke", "sts").code, 0)


SIGNED = {
    "serverless.yaml": """
        service: SERVICE
        provider: {name: aws, runtime: python3.11}
        functions:
          calls:
            handler: app.calls
        """,
    "app.py": """
        import os
        import boto3
        from botocore.exceptions import ClientError

        def attempt(call):
            try:
                call()
                return "ok"
            except ClientError as e:
                return "%s %s" % (e.response["ResponseMetadata"]["HTTPStatusCode"],
                                  e.response["Error"]["Code"])

        def calls(event, context):
            good = boto3.client("sqs")
            url = good.create_queue(QueueName="signed")["QueueUrl"]
            # The emulator's key id, a wrong secret: a forgery.
            forged = dict(aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key="x" * 40,
                          aws_session_token=os.environ["AWS_SESSION_TOKEN"])
            wrong_token = dict(aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                               aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
                               aws_session_token="not-the-token")
            other = dict(aws_access_key_id="AKIAOTHERKEY00000000", aws_secret_access_key="y" * 40)
            return {
                "sqs": attempt(lambda: good.send_message(QueueUrl=url, MessageBody="signed")),
                "lambda": attempt(lambda: boto3.client("lambda").list_functions()),
                "sqs_forged": attempt(lambda: boto3.client("sqs", **forged).list_queues()),
                "lambda_forged": attempt(lambda: boto3.client("lambda", **forged).list_functions()),
                "wrong_token": attempt(lambda: boto3.client("sqs", **wrong_token).list_queues()),
                "other_key": attempt(lambda: boto3.client("lambda", **other).list_functions()),
            }
        """,
}


class SharedEmulatorSignatures(FxTestCase):
    """An emulator that requires its token takes its instances' signed calls, and only those."""
    start_emulator = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = cls.fx_static(["emulator", "start", "--port", "0", "--token", "shared-token-for-tests",
                           "--json"])
        assert r.code == 0, r
        cls.url = r.json()["url"]
        cls.env["FX_TOKEN"] = "shared-token-for-tests"

    @classmethod
    def tearDownClass(cls):
        cls.fx_static(["emulator", "stop"])
        super().tearDownClass()

    def test_instances_signed_calls_pass_and_forgeries_are_refused(self):
        self.make_service(SIGNED, name="signed")
        self.ok("deploy", "--target", self.url)
        got = json.loads(self.ok("invoke", "calls", "--target", self.url, timeout=120).out)
        self.assertEqual(got["sqs"], "ok", got)
        self.assertEqual(got["lambda"], "ok", got)
        self.assertEqual(got["sqs_forged"], "403 SignatureDoesNotMatch", got)
        self.assertEqual(got["lambda_forged"], "403 InvalidSignatureException", got)
        self.assertEqual(got["wrong_token"], "403 UnrecognizedClientException", got)
        # Any other signature is no key to a shared emulator: the token is.
        self.assertEqual(got["other_key"], "401 UnrecognizedClientException", got)
        # From outside too: the AWS CLI with a signature of its own is refused.
        r = subprocess.run(
            ["aws", "--endpoint-url", self.url, "lambda", "list-functions"],
            env={**{k: v for k, v in self.env.items() if not k.startswith("AWS_")},
                 "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                 "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": ""},
            capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("UnrecognizedClientException", r.stderr)


    def post(self, headers, body=b"{}", path="/2015-03-31/functions/"):
        req = urllib.request.Request(self.url + path, data=body if path.endswith("/") and
                                     "X-Amz-Target" in headers else None, headers=headers,
                                     method="POST" if "X-Amz-Target" in headers else "GET")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def test_malformed_signatures_with_the_instances_key_are_refused_not_crashed(self):
        with open(os.path.join(self.home, "instance-credentials")) as f:
            creds = json.load(f)
        key = creds["AccessKeyId"]
        now = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        scope = f"{key}/{now[:8]}/us-east-1/lambda/aws4_request"
        cases = [
            # (headers, status, error type)
            ({"Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, "
                               "Signature=00"}, 403, "InvalidSignatureException"),  # no X-Amz-Date
            ({"Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, "
                               "Signature=00", "X-Amz-Date": "20000101T000000Z",
              "X-Amz-Security-Token": creds["SessionToken"]}, 403, "InvalidSignatureException"),
            ({"Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, "
                               "Signature=00", "X-Amz-Date": now}, 403,
             "UnrecognizedClientException"),  # no session token
            ({"Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders="
                               + ";".join(f"h{i}" for i in range(400)) + ", Signature=" + "f" * 64,
              "X-Amz-Date": now, "X-Amz-Security-Token": creds["SessionToken"]}, 403,
             "InvalidSignatureException"),
            ({"Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host;\u00ff, "
                               "Signature=zz", "X-Amz-Date": now,
              "X-Amz-Security-Token": creds["SessionToken"]}, 403, "InvalidSignatureException"),
            # Its key, another layout of scope: not the instances' signature, so the token rule.
            ({"Authorization": f"AWS4-HMAC-SHA256 Credential={key}/x, SignedHeaders=host, "
                               "Signature=00"}, 401, "UnrecognizedClientException"),
        ]
        for headers, status, error in cases:
            code, answer_headers, _ = self.post(headers)
            self.assertEqual((code, answer_headers.get("x-amzn-ErrorType")), (status, error), str(headers)[:300])
        # SQS's shape: the code where its SDKs read it.
        code, answer_headers, body = self.post(
            {"Authorization": f"AWS4-HMAC-SHA256 Credential={key}/{now[:8]}/us-east-1/sqs/"
                              "aws4_request, SignedHeaders=host, Signature=00",
             "X-Amz-Date": now, "X-Amz-Security-Token": creds["SessionToken"],
             "X-Amz-Target": "AmazonSQS.ListQueues",
             "Content-Type": "application/x-amz-json-1.0"}, path="/")
        self.assertEqual(code, 403)
        self.assertEqual(json.loads(body)["__type"],
                         "com.amazon.coral.service#SignatureDoesNotMatch")
        self.assertEqual(answer_headers.get("x-amzn-query-error"), "SignatureDoesNotMatch;Sender")
        # Still serving, and a correct signature with the instances' credentials (botocore's
        # own signer, from outside) is taken.
        import boto3
        client = boto3.client("lambda", endpoint_url=self.url, region_name="us-east-1",
                              aws_access_key_id=key, aws_secret_access_key=creds["SecretAccessKey"],
                              aws_session_token=creds["SessionToken"])
        self.assertIn("Functions", client.list_functions())


NODE_V2 = {
    "serverless.yaml": """
        service: SERVICE
        provider: {name: aws, runtime: nodejs20.x}
        functions:
          v2:
            handler: index.v2
          mine:
            handler: index.mine
        """,
    "index.js": """
        const SQS = require('aws-sdk/clients/sqs');
        const Lambda = require('aws-sdk/clients/lambda');
        // v2 reads no endpoint variable: fx's shim gives its clients the emulator's.
        exports.v2 = async (event) => {
          const sqs = new SQS();
          const { QueueUrl } = await sqs.createQueue({ QueueName: event.queue }).promise();
          await sqs.sendMessage({ QueueUrl, MessageBody: 'from v2' }).promise();
          const got = await sqs.receiveMessage({ QueueUrl, WaitTimeSeconds: 1 }).promise();
          const fns = await new Lambda().listFunctions({}).promise();
          return { url: QueueUrl, bodies: (got.Messages || []).map((m) => m.Body),
                   names: fns.Functions.map((f) => f.FunctionName),
                   version: require('aws-sdk/package.json').version };
        };
        // An endpoint the code gives wins over the shim's.
        exports.mine = async () => new SQS({ endpoint: 'http://127.0.0.1:9' }).endpoint.href;
        """,
}


def aws_sdk_v2():
    """node_modules holding aws-sdk v2 from npm, kept under the build folder across runs."""
    cache = os.path.join(os.path.dirname(FX), "e2e-cache", "aws-sdk-v2")
    modules = os.path.join(cache, "node_modules")
    if os.path.exists(os.path.join(modules, "aws-sdk", "package.json")):
        return modules
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, "package.json"), "w") as f:
        f.write('{"name": "fx-e2e-aws-sdk-v2", "private": true}\n')
    r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts",
                        "--loglevel=error", "aws-sdk@2"], cwd=cache, capture_output=True,
                       text=True, timeout=300)
    return modules if r.returncode == 0 else None


NODE16 = {
    "serverless.yaml": """
        service: SERVICE
        provider: {name: aws, runtime: nodejs16.x}
        functions:
          v2:
            handler: index.v2
        """,
    # As projects written for nodejs16.x are: aws-sdk required, neither installed nor declared.
    "index.js": """
        const AWS = require('aws-sdk');
        exports.v2 = async (event) => {
          const sqs = new AWS.SQS();
          const { QueueUrl } = await sqs.createQueue({ QueueName: event.queue }).promise();
          return { url: QueueUrl, version: require('aws-sdk/package.json').version,
                   where: require.resolve('aws-sdk') };
        };
        """,
}


class NodeSdkV2(FxTestCase):
    def test_nodejs16_functions_get_the_v2_sdk_their_runtime_provides(self):
        # Before: fx installed no SDK for nodejs16.x, so require('aws-sdk') failed
        # (Runtime.ImportModuleError) where Lambda's nodejs16.x has it.
        if not shutil.which("npm"):
            self.skipTest("npm is not installed")
        self.make_service(NODE16, name="node16")
        self.ok("deploy", timeout=300)
        r = self.ok("invoke", "v2", "--data", json.dumps({"queue": "from-node16"}), timeout=600)
        got = json.loads(r.out)
        self.assertTrue(got["version"].startswith("2."), got)
        self.assertTrue(got["url"].endswith("/000000000000/from-node16"), got)
        self.assertTrue(got["where"].startswith("/var/runtime/") or self.home in got["where"], got)

    def test_aws_sdk_v2_reaches_the_emulator_with_no_configuration(self):
        if not shutil.which("npm"):
            self.skipTest("npm is not installed")
        modules = aws_sdk_v2()
        self.assertIsNotNone(modules, "npm could not install aws-sdk@2")
        d = self.make_service(NODE_V2, name="nodev2")
        try:  # hard links: the same file system, and 100 MB not copied
            shutil.copytree(modules, os.path.join(d, "node_modules"), copy_function=os.link)
        except OSError:
            shutil.copytree(modules, os.path.join(d, "node_modules"))
        self.ok("deploy", timeout=300)
        r = self.ok("invoke", "v2", "--data", json.dumps({"queue": "from-v2"}), timeout=180)
        got = json.loads(r.out)
        self.assertTrue(got["version"].startswith("2."), got)
        self.assertEqual(got["bodies"], ["from v2"])
        self.assertTrue(got["url"].endswith("/000000000000/from-v2"), got)
        self.assertIn("nodev2-dev-v2", got["names"])
        self.assertEqual(json.loads(self.ok("invoke", "mine").out), "http://127.0.0.1:9/")


if __name__ == "__main__":
    main()
