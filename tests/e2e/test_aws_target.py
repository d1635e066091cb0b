"""--target aws end to end against moto on loopback: fx deploys, updates, describes, invokes
and removes a service on "AWS", and what it did is checked independently, with boto3 against
moto and with a recording proxy between fx and moto (bench/aws/moto_proxy.py) that counts
every call fx makes and can answer as AWS does where moto does not (a role not yet
assumable, rejected credentials)."""
import base64
import io
import json
import os
import tempfile
import zipfile

import boto3

from awstest import ACCOUNT, MotoCase
from fxtest import main
from moto_proxy import MotoServer  # on sys.path through awstest
BASIC_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"

SERVICE = {
    # Each function's bundle holds only its own file, so changing one file changes one zip.
    "serverless.yaml": """
        service: SERVICE
        provider:
          name: aws
          runtime: python3.11
          memorySize: 256
          timeout: 10
          environment: {GREETING: hello}
        package:
          individually: true
        functions:
          api:
            handler: api.handler
            package: {patterns: ['!**', 'api.py']}
            reservedConcurrency: 3
            events:
              - httpApi: 'GET /hello'
          admin:
            handler: admin.handler
            package: {patterns: ['!**', 'admin.py']}
            events:
              - http: {path: admin, method: post, private: true}
          tick:
            handler: tick.handler
            package: {patterns: ['!**', 'tick.py']}
            events:
              - schedule: rate(5 minutes)
        """,
    "api.py": """
        def handler(event, context):
            return {"statusCode": 200, "body": "api"}
        """,
    "admin.py": """
        def handler(event, context):
            return {"statusCode": 200, "body": "admin"}
        """,
    "tick.py": """
        def handler(event, context):
            return "tick"
        """,
}


def service_files():
    return dict(SERVICE)


class AwsTarget(MotoCase):
    def write(self, path, text):
        with open(os.path.join(self.service_dir, path), "w") as f:
            f.write(text)

    def role_name(self, region="us-east-1"):
        return f"{self.service_name}-dev-{region}-lambdaRole"

    def test_first_deploy_creates_functions_role_routes_and_concurrency(self):
        self.make_service(service_files())
        r = self.ok("deploy", "--target", "aws")
        self.assertIn("created", r.out)
        lam, iam = self.boto("lambda"), self.boto("iam")
        role = iam.get_role(RoleName=self.role_name())["Role"]
        self.assertEqual(role["Arn"], f"arn:aws:iam::{ACCOUNT}:role/{self.role_name()}")
        attached = iam.list_attached_role_policies(RoleName=self.role_name())["AttachedPolicies"]
        self.assertEqual([p["PolicyArn"] for p in attached], [BASIC_POLICY])
        for key in ("api", "admin", "tick"):
            got = lam.get_function(FunctionName=self.name(key))
            c = got["Configuration"]
            self.assertEqual(c["Handler"], f"{key}.handler")
            self.assertEqual(c["Runtime"], "python3.11")
            self.assertEqual(c["MemorySize"], 256)
            self.assertEqual(c["Timeout"], 10)
            self.assertEqual(c["Role"], role["Arn"])
            self.assertEqual(c["Environment"]["Variables"], {"GREETING": "hello"})
        self.assertEqual(
            lam.get_function(FunctionName=self.name("api"))["Concurrency"]["ReservedConcurrentExecutions"], 3)
        # Routes are API Gateway's (tests/e2e/test_aws_api_gateway.py), not function URLs.
        for key in ("api", "admin", "tick"):
            with self.assertRaises(lam.exceptions.ResourceNotFoundException):
                lam.get_function_url_config(FunctionName=self.name(key))
        api_id = self.boto("apigatewayv2").get_apis()["Items"][-1]["ApiId"]
        url = f"https://{api_id}.execute-api.us-east-1.amazonaws.com"
        self.assertIn(f"{url}/hello", r.out)
        # Schedules are deployed now (tests/e2e/test_aws_events.py), so not warned about.
        self.assertNotIn("schedule events of tick", r.err)
        self.assertEqual(self.boto("events").describe_rule(
            Name=f"{self.service_name}-dev-tick-schedule-1")["ScheduleExpression"], "rate(5 minutes)")
        self.assertEqual(self.rec.count("CreateRole"), 1)
        self.assertEqual(self.rec.count("AttachRolePolicy"), 1)

        info = self.ok("info", "--target", "aws", "--json").json()
        by_key = {f["function"]: f for f in info["functions"]}
        self.assertIsNone(by_key["api"]["url"])
        self.assertEqual(info["http_api_url"], url)
        self.assertEqual(by_key["api"]["state"], "Active")
        self.assertEqual(by_key["api"]["memory_mb"], 256)
        self.assertEqual(by_key["api"]["reserved_concurrency"], 3)
        self.assertIsNone(by_key["tick"]["url"])
        self.assertIn(url, self.ok("info", "--target", "aws").out)

    def test_redeploy_pushes_only_what_changed(self):
        self.make_service(service_files())
        first, _ = self.deploy()
        self.assertEqual({f["status"] for f in first.values()}, {"created"})
        self.assertEqual(self.rec.code_uploads(), 3)
        lam = self.boto("lambda")

        def state():
            out = {}
            for key in ("api", "admin", "tick"):
                got = lam.get_function(FunctionName=self.name(key))
                # moto gives every upload a new code location: a same location is no upload.
                out[key] = (got["Configuration"]["CodeSha256"], got["Code"]["Location"],
                            got["Configuration"]["MemorySize"])
            return out

        before = state()
        self.rec.reset()
        again, _ = self.deploy()
        self.assertEqual({f["status"] for f in again.values()}, {"unchanged"}, again)
        self.assertEqual(self.rec.code_uploads(), 0)
        self.assertEqual(self.rec.count("UpdateFunctionConfiguration"), 0)
        self.assertEqual(self.rec.count("CreateRole"), 0)  # the role is reused
        self.assertEqual(state(), before)
        self.assertEqual(again["api"]["routes"], first["api"]["routes"])

        self.write("admin.py", 'def handler(event, context):\n    return {"statusCode": 201}\n')
        self.rec.reset()
        changed, _ = self.deploy()
        self.assertEqual({k: f["status"] for k, f in changed.items()},
                         {"api": "unchanged", "admin": "updated", "tick": "unchanged"})
        self.assertEqual(self.rec.count("UpdateFunctionCode"), 1)
        self.assertEqual(self.rec.code_uploads(), 1)
        after = state()
        self.assertEqual(after["api"], before["api"])
        self.assertEqual(after["tick"], before["tick"])
        self.assertNotEqual(after["admin"][0], before["admin"][0])
        self.assertNotEqual(changed["admin"]["sha256"], first["admin"]["sha256"])

        # A configuration change is a configuration update, not an upload.
        manifest = os.path.join(self.service_dir, "serverless.yaml")
        with open(manifest) as f:
            text = f.read()
        text = text.replace("    handler: tick.handler\n",
                            "    handler: tick.handler\n    memorySize: 512\n")
        with open(manifest, "w") as f:
            f.write(text)
        self.rec.reset()
        config, _ = self.deploy()
        self.assertEqual({k: f["status"] for k, f in config.items()},
                         {"api": "unchanged", "admin": "unchanged", "tick": "updated"})
        self.assertEqual(self.rec.code_uploads(), 0)
        self.assertEqual(self.rec.count("UpdateFunctionConfiguration"), 1)
        self.assertEqual(lam.get_function(FunctionName=self.name("tick"))["Configuration"]["MemorySize"], 512)

        # Dropping reservedConcurrency gives the function back to the account's pool.
        text = text.replace("    reservedConcurrency: 3\n", "")
        with open(manifest, "w") as f:
            f.write(text)
        dropped, _ = self.deploy()
        self.assertEqual(dropped["api"]["status"], "updated")
        self.assertNotIn("Concurrency", lam.get_function(FunctionName=self.name("api")))

        # --force uploads every function again.
        self.rec.reset()
        forced, _ = self.deploy("--force")
        self.assertEqual({f["status"] for f in forced.values()}, {"updated"})
        self.assertEqual(self.rec.count("UpdateFunctionCode"), 3)

    def test_functions_deleted_from_the_manifest_are_removed_with_their_rules(self):
        self.make_service(service_files())
        self.deploy()
        lam, events = self.boto("lambda"), self.boto("events")
        tags = lam.get_function(FunctionName=self.name("tick"))["Tags"]
        self.assertEqual({k: v for k, v in tags.items() if k.startswith("fx:")},
                         {"fx:service": self.service_name, "fx:stage": "dev", "fx:function": "tick",
                          "fx:schedules": "true"})
        # Somebody else's function with a name like the service's: not fx's to delete.
        role = lam.get_function(FunctionName=self.name("api"))["Configuration"]["Role"]
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as z:
            z.writestr("api.py", "def handler(event, context):\n    return 1\n")
        lam.create_function(FunctionName=self.name("theirs"), Runtime="python3.11", Role=role,
                            Handler="api.handler", Code={"ZipFile": code.getvalue()})
        self.assertTrue(events.list_rules(NamePrefix=self.name("tick"))["Rules"])

        manifest = os.path.join(self.service_dir, "serverless.yaml")
        with open(manifest) as f:
            text = f.read()
        start = text.index("  tick:")
        with open(manifest, "w") as f:
            f.write(text[:start])
        # -f deploys only what it names: nothing else is touched.
        partial, _ = self.deploy("-f", "api")
        self.assertEqual(list(partial), ["api"])
        lam.get_function(FunctionName=self.name("tick"))

        self.rec.reset()
        out, r = self.deploy()
        self.assertEqual(out["tick"]["status"], "removed", out)
        self.assertEqual(out["tick"]["name"], self.name("tick"))
        self.assertEqual({out[k]["status"] for k in ("api", "admin")}, {"unchanged"})
        with self.assertRaises(lam.exceptions.ResourceNotFoundException):
            lam.get_function(FunctionName=self.name("tick"))
        self.assertEqual(events.list_rules(NamePrefix=self.name("tick"))["Rules"], [])
        lam.get_function(FunctionName=self.name("theirs"))
        human = self.ok("deploy", "--target", "aws")
        self.assertNotIn("tick", human.out)  # removed once, then gone from the report

        # fx remove also takes a function deleted from the manifest since its deploy.
        with open(manifest, "w") as f:
            f.write(text[:text.index("  admin:")])
        removed = self.ok("remove", "--target", "aws", "--json").json()["removed"]
        self.assertEqual(sorted(removed), sorted([self.name("api"), self.name("admin")]))
        mine = [f["FunctionName"] for f in lam.list_functions()["Functions"]
                if f["FunctionName"].startswith(self.name(""))]  # moto is the class's
        self.assertEqual(mine, [self.name("theirs")])

    def test_function_urls_are_made_for_url_only_and_those_fx_made_for_routes_go(self):
        self.make_service(service_files())
        self.deploy()
        lam = self.boto("lambda")
        # What an earlier fx made for the http events: a URL, marked fx:url.
        api = lam.get_function(FunctionName=self.name("api"))["Configuration"]
        lam.create_function_url_config(FunctionName=self.name("api"), AuthType="NONE")
        lam.tag_resource(Resource=api["FunctionArn"], Tags={"fx:url": "true"})
        # A URL made by hand, without fx's mark, is the user's.
        lam.create_function_url_config(FunctionName=self.name("tick"), AuthType="AWS_IAM")
        out, r = self.deploy()
        self.assertEqual(out["api"]["status"], "updated")
        self.assertIn("deleted the function URL an earlier fx made for its http events", r.err)
        with self.assertRaises(lam.exceptions.ResourceNotFoundException):
            lam.get_function_url_config(FunctionName=self.name("api"))
        self.assertNotIn("fx:url", lam.get_function(FunctionName=self.name("api"))["Tags"])
        lam.get_function_url_config(FunctionName=self.name("tick"))

        # `url:` gives a function its own URL, without http events too (issue 17), and takes
        # it back when it goes.
        manifest = os.path.join(self.service_dir, "serverless.yaml")
        with open(manifest) as f:
            text = f.read()
        lam.delete_function_url_config(FunctionName=self.name("tick"))
        with open(manifest, "w") as f:
            f.write(text.replace("    handler: tick.handler\n",
                                 "    handler: tick.handler\n    url: {authorizer: aws_iam}\n"))
        out, _ = self.deploy()
        url = lam.get_function_url_config(FunctionName=self.name("tick"))
        self.assertEqual(url["AuthType"], "AWS_IAM")
        self.assertEqual(out["tick"]["routes"], [f"URL    {url['FunctionUrl']}  (AWS_IAM)"])
        self.assertEqual(lam.get_function(FunctionName=self.name("tick"))["Tags"].get("fx:url"), "true")
        self.rec.reset()
        again, _ = self.deploy()
        self.assertEqual({f["status"] for f in again.values()}, {"unchanged"})
        self.assertEqual(self.rec.count(f"PUT /2021-10-31/functions/{self.name('tick')}/url"), 0)
        with open(manifest, "w") as f:
            f.write(text)
        out, r = self.deploy()
        self.assertEqual(out["tick"]["status"], "updated")
        with self.assertRaises(lam.exceptions.ResourceNotFoundException):
            lam.get_function_url_config(FunctionName=self.name("tick"))

    def test_a_role_lambda_cannot_assume_yet_is_retried(self):
        self.make_service(service_files())
        # AWS answers this for a few seconds after CreateRole; moto never does.
        self.rec.inject_answer(
            "CreateFunction", 2, 400,
            json.dumps({"Type": "User",
                        "message": "The role defined for the function cannot be assumed by Lambda."}),
            {"x-amzn-ErrorType": "InvalidParameterValueException", "Content-Type": "application/json"})
        deployed, _ = self.deploy("-f", "api")
        self.assertEqual(deployed["api"]["status"], "created")
        self.assertEqual(self.rec.count("CreateFunction"), 3)
        self.boto("lambda").get_function(FunctionName=self.name("api"))

    def test_deploy_waits_for_lambda_to_finish_an_update(self):
        self.make_service(service_files())
        self.deploy("-f", "admin")
        self.write("admin.py", "def handler(event, context):\n    return 2\n")
        # AWS applies an update asynchronously: InProgress, then Successful or Failed.
        poll = f"GET /2015-03-31/functions/{self.name('admin')}/configuration"
        self.rec.patch_answer("UpdateFunctionCode", 1, {"LastUpdateStatus": "InProgress"})
        self.rec.patch_answer(poll, 2, {"LastUpdateStatus": "InProgress"})
        deployed, _ = self.deploy("-f", "admin")
        self.assertEqual(deployed["admin"]["status"], "updated")
        self.assertEqual(self.rec.count(poll), 3)

        self.write("admin.py", "def handler(event, context):\n    return 3\n")
        self.rec.patch_answer("UpdateFunctionCode", 1, {"LastUpdateStatus": "InProgress"})
        self.rec.patch_answer(poll, 1, {"LastUpdateStatus": "Failed",
                                        "LastUpdateStatusReason": "Unzipped size must be smaller"})
        r = self.fx("deploy", "--target", "aws", "-f", "admin")
        self.assertEqual(r.code, 1, r)
        self.assertIn("fx: error: the update of function 'admin' failed on AWS: Unzipped size must "
                      "be smaller\n", r.err)

    def test_layers_are_published_used_and_removed(self):
        # moto's Docker-less Lambda cannot create a function with layers: a moto of its own.
        moto = MotoServer(log_path=os.path.join(self.root, "moto-layers.log"), docker_less=False,
                          managed_policies=False)
        self.addCleanup(moto.close)
        iam = boto3.client("iam", endpoint_url=moto.url, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        role = iam.create_role(RoleName="layers-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        env = {**self.env, "AWS_ENDPOINT_URL": moto.url}
        self.make_service({
            "serverless.yaml": f"""
                service: SERVICE
                provider: {{name: aws, runtime: python3.11, iam: {{role: '{role}'}}}}
                layers:
                  common:
                    path: layers/common
                functions:
                  app:
                    handler: app.handler
                    layers: [{{Ref: CommonLambdaLayer}}]
                """,
            "app.py": "def handler(event, context):\n    return 1\n",
            "layers/common/python/shared.py": "X = 1\n",
        })
        lam = boto3.client("lambda", endpoint_url=moto.url, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        layer = f"{self.service_name}-dev-common"
        self.deploy(env=env)
        c = lam.get_function(FunctionName=self.name("app"))["Configuration"]
        self.assertEqual([entry["Arn"] for entry in c["Layers"]],
                         [f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:{layer}:1"])
        again, _ = self.deploy(env=env)
        self.assertEqual(again["app"]["status"], "unchanged")
        self.assertEqual(len(lam.list_layer_versions(LayerName=layer)["LayerVersions"]), 1)
        self.write("layers/common/python/shared.py", "X = 2\n")
        changed, _ = self.deploy(env=env)
        self.assertEqual(changed["app"]["status"], "updated")  # a new layer version to use
        c = lam.get_function(FunctionName=self.name("app"))["Configuration"]
        self.assertEqual([entry["Arn"] for entry in c["Layers"]],
                         [f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:{layer}:2"])
        r = self.ok("remove", "--target", "aws", "--json", env=env).json()
        self.assertEqual(sorted(r["layers"]), [f"{layer}:1", f"{layer}:2"])
        self.assertIsNone(r["role"])
        self.assertEqual(lam.list_layer_versions(LayerName=layer)["LayerVersions"], [])

    def test_remove_deletes_functions_and_the_role_fx_created(self):
        self.make_service(service_files())
        self.deploy()
        r = self.ok("remove", "--target", "aws", "--json").json()
        self.assertEqual(sorted(r["removed"]), sorted(self.name(k) for k in ("api", "admin", "tick")))
        self.assertEqual(r["role"], self.role_name())
        lam, iam = self.boto("lambda"), self.boto("iam")
        names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
        self.assertFalse([n for n in names if n.startswith(self.service_name + "-")])
        with self.assertRaises(iam.exceptions.NoSuchEntityException):
            iam.get_role(RoleName=self.role_name())
        self.assertEqual(self.rec.count("DetachRolePolicy"), 1)
        again = self.ok("remove", "--target", "aws")
        self.assertIn("nothing of", again.out)

    def test_a_manifest_role_is_used_and_never_removed(self):
        iam = self.boto("iam")
        role = iam.create_role(RoleName="team-lambda-role", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "lambda.amazonaws.com"}}]}))
        files = service_files()
        files["serverless.yaml"] = files["serverless.yaml"].replace(
            "          environment: {GREETING: hello}\n",
            "          environment: {GREETING: hello}\n          iam:\n            role: team-lambda-role\n")
        self.make_service(files)
        self.deploy()
        c = self.boto("lambda").get_function(FunctionName=self.name("api"))["Configuration"]
        self.assertEqual(c["Role"], role["Role"]["Arn"])
        self.assertEqual(self.rec.count("CreateRole"), 0)
        self.ok("remove", "--target", "aws")
        iam.get_role(RoleName="team-lambda-role")

    def test_a_manifest_role_that_does_not_exist_is_an_error(self):
        files = service_files()
        files["serverless.yaml"] = files["serverless.yaml"].replace(
            "          environment: {GREETING: hello}\n",
            "          environment: {GREETING: hello}\n          iam:\n            role: no-such-role\n")
        self.make_service(files)
        r = self.fx("deploy", "--target", "aws")
        self.assertEqual(r.code, 1, r)
        self.assertIn("fx: error: serverless.yaml:9:11: provider.iam.role: there is no IAM role "
                      "'no-such-role'\n  ", r.err)
        self.assertEqual(self.rec.code_uploads(), 0)

    def test_invoke_goes_through_the_invoke_api_with_the_log_tail(self):
        files = service_files()
        # custom.fx.target: aws makes it the default for every command.
        files["serverless.yaml"] = files["serverless.yaml"].rstrip(" ") + "        custom:\n          fx:\n            target: aws\n"
        self.make_service(files)
        self.ok("deploy")
        # moto's Docker-less Lambda answers with the event it was given.
        r = self.ok("invoke", "api", "--data", '{"ping": 1}')
        self.assertEqual(json.loads(r.out), {"ping": 1})
        calls = self.rec.calls(f"POST /2015-03-31/functions/{self.name('api')}/invocations")
        self.assertEqual(len(calls), 1)
        self.assertEqual(calls[0][3].get("x-amz-log-type"), "Tail")
        self.assertIn("AWS4-HMAC-SHA256 Credential=testing/", calls[0][3]["authorization"])
        self.assertIn("/us-east-1/lambda/aws4_request", calls[0][3]["authorization"])
        j = self.ok("invoke", "api", "--data", '{"ping": 2}', "--json").json()
        self.assertEqual(j["status_code"], 200)
        self.assertEqual(j["result"], {"ping": 2})
        # moto sends no log tail; AWS does, base64 in X-Amz-Log-Result.
        tail = ("START RequestId: r-1 Version: $LATEST\nhello from api\nEND RequestId: r-1\n"
                "REPORT RequestId: r-1\tDuration: 1.50 ms\tBilled Duration: 2 ms\t"
                "Memory Size: 256 MB\tMax Memory Used: 40 MB\n")
        self.rec.inject_answer(calls[0][0], 2, 200, '{"ok": true}', {
            "Content-Type": "application/json", "X-Amz-Executed-Version": "$LATEST",
            "X-Amz-Log-Result": base64.b64encode(tail.encode()).decode()})
        r = self.ok("invoke", "api", "--log")
        self.assertEqual(json.loads(r.out), {"ok": True})
        self.assertIn("hello from api\n", r.err)
        j = self.ok("invoke", "api", "--json").json()
        self.assertEqual((j["duration_ms"], j["billed_ms"], j["max_memory_mb"]), (1.5, 2, 40))
        self.assertEqual(j["log"], tail)

    def test_region_from_the_environment(self):
        self.make_service(service_files())
        env = {**self.env, "AWS_REGION": "eu-west-1"}
        deployed, _ = self.deploy("-f", "tick", env=env)
        self.assertEqual(deployed["tick"]["status"], "created")
        c = self.boto("lambda", "eu-west-1").get_function(FunctionName=self.name("tick"))["Configuration"]
        self.assertIn(":eu-west-1:", c["FunctionArn"])
        self.assertEqual(c["Role"], f"arn:aws:iam::{ACCOUNT}:role/{self.role_name('eu-west-1')}")
        r = self.ok("remove", "--target", "aws", "--json", env=env).json()
        self.assertEqual(r["role"], self.role_name("eu-west-1"))

    def test_credentials_from_a_profile(self):
        self.make_service(service_files())
        home = tempfile.mkdtemp(dir=self.root)
        os.makedirs(os.path.join(home, ".aws"))
        with open(os.path.join(home, ".aws", "credentials"), "w") as f:
            f.write("[ci]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = secret\n")
        env = {k: v for k, v in self.env.items() if not k.startswith("AWS_ACCESS_KEY_ID")
               and not k.startswith("AWS_SECRET")}
        env["HOME"] = home
        deployed, _ = self.deploy("--profile", "ci", "-f", "tick", env=env)
        self.assertEqual(deployed["tick"]["status"], "created")
        self.assertTrue(all("Credential=AKIDPROFILE/" in r[3]["authorization"]
                            for r in self.rec.requests), "every call signed with the profile's key")
        r = self.fx("deploy", "--target", "aws", "--profile", "nope", env=env)
        self.assertEqual(r.code, 1, r)
        self.assertTrue(r.err.startswith("fx: error: AWS profile 'nope' not found"), r.err)

    def test_no_credentials_is_one_error_with_a_hint(self):
        self.make_service(service_files())
        env = {k: v for k, v in self.env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
        r = self.fx("deploy", "--target", "aws", env=env)
        self.assertEqual(r.code, 1, r)
        lines = r.err.splitlines()
        self.assertTrue(lines[0].startswith("fx: error: "), r.err)
        self.assertEqual(len([line for line in lines if line.startswith("fx: error:")]), 1, r.err)
        self.assertGreaterEqual(len(lines), 2, "a hint on what to do")
        self.assertEqual(self.rec.requests, [])

    def test_rejected_credentials_are_one_error_with_a_hint(self):
        self.make_service(service_files())
        # What IAM answers for an unknown access key.
        self.rec.inject_answer("*", 1, 403, (
            '<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>'
            '<Message>The security token included in the request is invalid.</Message></Error>'
            '</ErrorResponse>'), {"Content-Type": "text/xml"})
        r = self.fx("deploy", "--target", "aws")
        self.assertEqual(r.code, 1, r)
        lines = r.err.splitlines()
        self.assertEqual(len([line for line in lines if line.startswith("fx: error:")]), 1, r.err)
        self.assertIn("InvalidClientTokenId", r.err)
        self.assertGreaterEqual(len(lines), 2, "a hint on what to do")
        self.assertEqual(self.rec.code_uploads(), 0)


if __name__ == "__main__":
    main()
