"""The real AWS CLI and boto3 against the emulator: what users' own tools do."""
import base64
import io
import json
import os
import subprocess
import zipfile

import boto3
from botocore.config import Config

from fxtest import FxTestCase, main

SERVICE = {
    "serverless.yaml": """
        service: SERVICE
        provider: {name: aws, runtime: python3.11, region: eu-west-1}
        functions:
          hello:
            handler: app.hello
          fail:
            handler: app.fail
        """,
    "app.py": """
        import os
        def hello(event, context):
            print("hello from", context.function_name)
            return {"got": event, "region": os.environ["AWS_REGION"]}
        def fail(event, context):
            raise RuntimeError("nope")
        """,
}


class AwsClients(FxTestCase):
    def setUp(self):
        self.make_service(SERVICE)
        self.ok("deploy")
        self.name = self.ok("info", "--json").json()["functions"][0]["name"]
        self.aws_env = {**self.env, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "eu-west-1", "AWS_PAGER": ""}

    def aws(self, *args, check=True):
        proc = subprocess.run(["aws", "--endpoint-url", self.url, "--output", "json", "lambda", *args],
                              cwd=self.service_dir, env=self.aws_env, capture_output=True, text=True, timeout=120)
        if check:
            self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc

    def client(self):
        return boto3.client("lambda", endpoint_url=self.url, region_name="eu-west-1",
                            aws_access_key_id="test", aws_secret_access_key="test",
                            config=Config(retries={"max_attempts": 1}))

    def test_aws_cli_list_get_invoke_delete(self):
        names = [f["FunctionName"] for f in json.loads(self.aws("list-functions").stdout)["Functions"]]
        self.assertIn(self.name, names)
        got = json.loads(self.aws("get-function", "--function-name", self.name).stdout)
        self.assertEqual(got["Configuration"]["Handler"], "app.hello")
        self.assertEqual(got["Configuration"]["State"], "Active")
        self.assertTrue(got["Configuration"]["FunctionArn"].startswith("arn:aws:lambda:eu-west-1:"))
        out = os.path.join(self.service_dir, "out.json")
        proc = self.aws("invoke", "--function-name", self.name, "--payload", '{"k": "v"}',
                        "--log-type", "Tail", out)
        meta = json.loads(proc.stdout)
        self.assertEqual(meta["StatusCode"], 200)
        self.assertIn("REPORT RequestId:", base64.b64decode(meta["LogResult"]).decode())
        with open(out) as f:
            self.assertEqual(json.load(f), {"got": {"k": "v"}, "region": "eu-west-1"})
        # By ARN, as the CLI sends it (percent-encoded colons).
        arn = got["Configuration"]["FunctionArn"]
        self.aws("invoke", "--function-name", arn, out)
        self.aws("delete-function", "--function-name", self.name)
        proc = self.aws("get-function", "--function-name", self.name, check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("ResourceNotFoundException", proc.stderr)

    def test_aws_cli_tags_a_function_and_the_tags_survive_a_restart(self):
        arn = json.loads(self.aws("get-function", "--function-name", self.name).stdout)["Configuration"]["FunctionArn"]

        def tags():
            return json.loads(self.aws("list-tags", "--resource", arn).stdout)["Tags"]

        # fx's own: how a redeploy knows the functions it made for this service.
        self.assertEqual(tags(), {"fx:service": self.service_name, "fx:stage": "dev", "fx:function": "hello"})
        self.aws("tag-resource", "--resource", arn, "--tags", "team=payments,cost=42")
        self.aws("untag-resource", "--resource", arn, "--tag-keys", "cost", "fx:stage")
        want = {"fx:service": self.service_name, "fx:function": "hello", "team": "payments"}
        self.assertEqual(tags(), want)
        proc = self.aws("tag-resource", "--resource", arn, "--tags", "aws:x=1", check=False)
        self.assertIn("InvalidParameterValueException", proc.stderr)
        port = self.url.rsplit(":", 1)[1]
        self.ok("emulator", "stop")
        self.ok("emulator", "start", "--port", port)
        self.assertEqual(tags(), want)
        self.assertEqual(self.client().get_function(FunctionName=self.name)["Tags"], want)
        # A redeploy puts back the fx tag that was taken off, and keeps the user's.
        self.ok("deploy")
        self.assertEqual(tags(), {**want, "fx:stage": "dev"})

    def test_aws_cli_creates_and_updates_a_function_fx_can_invoke(self):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("lambda_function.py", "def handler(e, c):\n    return 'v1'\n")
        path = os.path.join(self.service_dir, "fn.zip")
        with open(path, "wb") as f:
            f.write(buf.getvalue())
        created = json.loads(self.aws("create-function", "--function-name", "made-by-cli", "--runtime", "python3.11",
                                      "--role", "arn:aws:iam::000000000000:role/x", "--handler",
                                      "lambda_function.handler", "--zip-file", f"fileb://{path}").stdout)
        self.assertEqual(created["CodeSize"], len(buf.getvalue()))
        r = self.ok("invoke", "made-by-cli")
        self.assertEqual(json.loads(r.out), "v1")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("lambda_function.py", "def handler(e, c):\n    return 'v2'\n")
        with open(path, "wb") as f:
            f.write(buf.getvalue())
        self.aws("update-function-code", "--function-name", "made-by-cli", "--zip-file", f"fileb://{path}")
        self.assertEqual(json.loads(self.ok("invoke", "made-by-cli").out), "v2")
        proc = self.aws("create-function", "--function-name", "made-by-cli", "--runtime", "python3.11",
                        "--role", "r", "--handler", "x.y", "--zip-file", f"fileb://{path}", check=False)
        self.assertIn("ResourceConflictException", proc.stderr)

    def test_boto3_invoke_function_error_and_missing_function(self):
        c = self.client()
        res = c.invoke(FunctionName=self.name.replace("hello", "fail"), Payload=b"{}")
        self.assertEqual(res["StatusCode"], 200)
        self.assertEqual(res["FunctionError"], "Unhandled")
        body = json.loads(res["Payload"].read())
        self.assertEqual(body["errorType"], "RuntimeError")
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.invoke(FunctionName="does-not-exist", Payload=b"{}")
        with self.assertRaises(c.exceptions.InvalidRequestContentException):
            c.invoke(FunctionName=self.name, Payload=b"{oops")
        res = c.invoke(FunctionName=self.name, InvocationType="DryRun")
        self.assertEqual(res["StatusCode"], 204)
        res = c.invoke(FunctionName=self.name, InvocationType="Event", Payload=b'{"async": true}')
        self.assertEqual(res["StatusCode"], 202)
        self.wait_for(lambda: any("hello from" in l["message"] and l["request_id"]
                                  for l in self.logs("hello")), message="the async invocation's log")

    def test_boto3_waiter_and_configuration_update(self):
        c = self.client()
        c.get_waiter("function_active_v2").wait(FunctionName=self.name)
        c.update_function_configuration(FunctionName=self.name, MemorySize=512,
                                        Environment={"Variables": {"AB": "1"}})
        c.get_waiter("function_updated_v2").wait(FunctionName=self.name)
        conf = c.get_function_configuration(FunctionName=self.name)
        self.assertEqual(conf["MemorySize"], 512)
        self.assertEqual(conf["Environment"]["Variables"], {"AB": "1"})
        # fx sees the drift and puts the manifest's configuration back.
        self.assertEqual(self.ok("deploy", "--json").json()[0]["status"], "updated")
        self.assertEqual(c.get_function_configuration(FunctionName=self.name)["MemorySize"], 1024)


if __name__ == "__main__":
    main()
