"""Versions at deploy: provider.versionFunctions (and a function's versionFunction) make each
`fx deploy` publish a version of a function whose code or configuration changed, and only then;
provisionedConcurrency: N publishes one too and keeps N instances warm on the alias
`provisioned` that points at it, as the Serverless Framework does. Both on the local emulator
(read back with boto3) and with --target aws against moto."""
import io
import json
import os
import sys
import textwrap
import urllib.request
import zipfile

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from awstest import MotoCase
from fxtest import FxTestCase, main

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "aws"))
from moto_proxy import MotoServer  # noqa: E402

APP = """
import os
MARK = "{mark}"
def handler(event, context):
    return {{"mark": MARK, "version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"],
            "init": os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE")}}
"""


def manifest(extra_provider="", extra_function="", events=""):
    return f"""
        service: SERVICE
        provider:
          name: aws
          runtime: python3.11
          environment:
            LEVEL: ${{env:PV_TEST_LEVEL, 'one'}}
        {extra_provider}
        functions:
          hello:
            handler: app.handler
        {extra_function}
        {events}
        """


def status_of(e):
    return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"]


class LocalDeployVersionsTest(FxTestCase):
    def lam(self):
        return boto3.client("lambda", endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test",
                            config=Config(retries={"max_attempts": 1}))

    def deploy(self, env=None):
        r = self.ok("deploy", "--json", env=env)
        return {f["function"]: f for f in r.json()}

    def write_app(self, mark):
        with open(os.path.join(self.service_dir, "app.py"), "w") as f:
            f.write(APP.format(mark=mark))

    def invoke(self, qualifier=None):
        kw = {"Qualifier": qualifier} if qualifier else {}
        out = self.lam().invoke(FunctionName=f"{self.service_name}-dev-hello", **kw)
        return json.loads(out["Payload"].read())

    def test_a_version_per_change_of_code_or_configuration_and_none_when_unchanged(self):
        self.make_service({"serverless.yaml": manifest(), "app.py": APP.format(mark="a")})
        name = f"{self.service_name}-dev-hello"
        first = self.deploy()["hello"]
        self.assertEqual((first["status"], first["version"]), ("created", "1"))
        again = self.deploy()["hello"]
        self.assertEqual((again["status"], again["version"]), ("unchanged", "1"))
        self.write_app("b")
        code = self.deploy()["hello"]
        self.assertEqual((code["status"], code["version"]), ("updated", "2"))
        # A configuration change alone is a new version too (the framework hashes both).
        env = dict(self.env, PV_TEST_LEVEL="two")
        config = self.deploy(env=env)["hello"]
        self.assertEqual((config["status"], config["version"]), ("updated", "3"))
        self.assertEqual(self.deploy(env=env)["hello"]["version"], "3")
        versions = self.lam().list_versions_by_function(FunctionName=name)["Versions"]
        self.assertEqual([v["Version"] for v in versions], ["$LATEST", "1", "2", "3"])
        # Each version runs what was deployed when it was published.
        self.assertEqual(self.invoke("1")["mark"], "a")
        self.assertEqual(self.invoke("2")["mark"], "b")
        self.assertEqual(self.invoke("3")["version"], "3")
        # The text output says the version too.
        self.assertIn("version 3", self.ok("deploy", env=env).out)

    def test_version_functions_false_publishes_nothing_and_version_function_overrides_it(self):
        self.make_service({
            "serverless.yaml": manifest("  versionFunctions: false") + """
          other:
            handler: app.handler
            versionFunction: true
        """,
            "app.py": APP.format(mark="a")})
        out = self.deploy()
        self.assertIsNone(out["hello"]["version"])
        self.assertEqual(out["other"]["version"], "1")
        versions = self.lam().list_versions_by_function(
            FunctionName=f"{self.service_name}-dev-hello")["Versions"]
        self.assertEqual([v["Version"] for v in versions], ["$LATEST"])

    def test_provisioned_concurrency_is_an_alias_with_warm_instances(self):
        self.make_service({
            "serverless.yaml": manifest(extra_function="    provisionedConcurrency: 2",
                                        events="    events:\n              - httpApi: GET /hi"),
            "app.py": APP.format(mark="a")})
        name = f"{self.service_name}-dev-hello"
        lam = self.lam()
        first = self.deploy()["hello"]
        self.assertEqual(first["version"], "1")
        route = first["routes"][0].split()[1]

        def through_route():
            with urllib.request.urlopen(route, timeout=10) as r:
                return json.loads(r.read())
        self.assertEqual(lam.get_alias(FunctionName=name, Name="provisioned")["FunctionVersion"],
                         "1")

        def ready():
            c = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="provisioned")
            return c["Status"] == "READY" and c["AvailableProvisionedConcurrentExecutions"] == 2

        self.wait_for(ready, timeout=20, message="two provisioned instances on the alias")
        through_alias = self.invoke("provisioned")
        self.assertEqual((through_alias["version"], through_alias["init"]),
                         ("1", "provisioned-concurrency"))
        # $LATEST has no provisioned instances of its own, as on Lambda.
        self.assertEqual(self.invoke()["init"], "on-demand")
        # The framework wires the function's events to the alias: the route runs version 1.
        self.assertEqual(through_route()["version"], "1")
        # Unchanged: the alias, its version and its count stay; new code moves the alias.
        self.assertEqual(self.deploy()["hello"]["status"], "unchanged")
        self.write_app("b")
        self.assertEqual(self.deploy()["hello"]["version"], "2")
        self.assertEqual(lam.get_alias(FunctionName=name, Name="provisioned")["FunctionVersion"],
                         "2")
        self.wait_for(ready, timeout=20, message="the provisioned instances to follow the alias")
        self.assertEqual(self.invoke("provisioned")["mark"], "b")
        self.assertEqual(through_route()["version"], "2")
        # provisionedConcurrency left the manifest: so did its alias (the versions stay).
        with open(os.path.join(self.service_dir, "serverless.yaml"), "w") as f:
            f.write(textwrap.dedent(manifest()).lstrip("\n").replace("SERVICE", self.service_name))
        self.assertEqual(self.deploy()["hello"]["status"], "updated")
        with self.assertRaises(ClientError) as e:
            lam.get_alias(FunctionName=name, Name="provisioned")
        self.assertEqual(status_of(e.exception), (404, "ResourceNotFoundException"))

    def test_bad_settings_are_errors_with_their_place(self):
        cases = [
            (manifest(extra_function="    provisionedConcurrency: -1"), "serverless.yaml:11:",
             "provisionedConcurrency"),
            (manifest(extra_function="    provisionedConcurrency: abc"), "serverless.yaml:11:",
             "provisionedConcurrency"),
            (manifest("  versionFunctions: maybe"), "serverless.yaml:7:", "versionFunctions"),
            (manifest(extra_function="    versionFunction: 1"), "serverless.yaml:11:",
             "versionFunction"),
        ]
        for text, place, key in cases:
            with self.subTest(key=key, text=text):
                self.make_service({"serverless.yaml": text, "app.py": APP.format(mark="a")})
                r = self.fx("deploy")
                self.assertEqual(r.code, 1, r)
                self.assertIn("fx: error:", r.err)
                self.assertIn(place, r.err)
                self.assertIn(key, r.err)


class AwsDeployVersionsTest(MotoCase):
    def write_app(self, mark):
        with open(os.path.join(self.service_dir, "app.py"), "w") as f:
            f.write(APP.format(mark=mark))

    def test_versions_published_on_change_only_and_removed_with_the_function(self):
        self.make_service({"serverless.yaml": manifest(), "app.py": APP.format(mark="a")})
        lam = self.boto("lambda")
        name = self.name("hello")
        out, _ = self.deploy()
        self.assertEqual(out["hello"]["version"], "1")
        # An unchanged redeploy only reads: no PublishVersion.
        self.rec.reset()
        out, _ = self.deploy()
        self.assertEqual((out["hello"]["status"], out["hello"]["version"]), ("unchanged", "1"))
        self.assertEqual(self.rec.count(f"POST /2015-03-31/functions/{name}/versions"), 0,
                         self.rec.stats())
        self.write_app("b")
        out, _ = self.deploy()
        self.assertEqual(out["hello"]["version"], "2")
        versions = lam.list_versions_by_function(FunctionName=name)["Versions"]
        self.assertEqual([v["Version"] for v in versions], ["$LATEST", "1", "2"])
        self.ok("remove", "--target", "aws")
        # The function went with its versions (moto lists none for a function that is gone
        # rather than answering 404 as Lambda does, so GetFunction is asked).
        for qualifier in ("1", "2"):
            with self.assertRaises(ClientError) as e:
                lam.get_function(FunctionName=name, Qualifier=qualifier)
            self.assertEqual(status_of(e.exception)[0], 404)

    def test_provisioned_alias_and_its_configuration(self):
        # moto 5 implements aliases but not provisioned concurrency (no
        # Put/Get/DeleteProvisionedConcurrencyConfig): the proxy answers those two calls as
        # AWS documents them, so what is checked is that fx asks for the right thing; whether
        # instances get warm on AWS is not covered here.
        self.make_service({
            "serverless.yaml": manifest("  versionFunctions: false",
                                        extra_function="    provisionedConcurrency: 3"),
            "app.py": APP.format(mark="a")})
        lam = self.boto("lambda")
        name = self.name("hello")
        path = f"/2019-09-30/functions/{name}/provisioned-concurrency"
        self.rec.inject_answer(f"GET {path}", 1, 404, json.dumps({
            "Type": "User", "message": "No Provisioned Concurrency Config found for this function"}),
            {"x-amzn-ErrorType": "ProvisionedConcurrencyConfigNotFoundException"})
        self.rec.inject_answer(f"PUT {path}", 1, 202, json.dumps({
            "RequestedProvisionedConcurrentExecutions": 3, "Status": "IN_PROGRESS"}))
        out, _ = self.deploy()
        # provisionedConcurrency publishes a version even with versionFunctions: false.
        self.assertEqual(out["hello"]["version"], "1")
        self.assertEqual(lam.get_alias(FunctionName=name, Name="provisioned")["FunctionVersion"],
                         "1")
        puts = self.rec.calls(f"PUT {path}")
        self.assertEqual(len(puts), 1, self.rec.stats())
        self.assertNotIn("not deployed to AWS", _.err)


    def test_events_of_a_provisioned_function_run_its_alias(self):
        # As the framework wires them: the queue mapping's FunctionName and the schedule rule's
        # target are the alias `provisioned`'s ARN, and the rule's permission is the alias's
        # (AddPermission with Qualifier). moto records a mapping under the FunctionName it was
        # given (its FunctionArn is the version's where AWS answers the alias's), so the
        # mapping is looked up by the alias's ARN.
        self.make_service({
            "serverless.yaml": manifest(
                "  versionFunctions: false",
                extra_function="    provisionedConcurrency: 1",
                events="""    events:
              - schedule: rate(1 hour)
              - sqs:
                  arn: {Fn::GetAtt: [Jobs, Arn]}
        resources:
          Resources:
            Jobs:
              Type: AWS::SQS::Queue
              Properties:
                QueueName: jobs-SERVICE"""),
            "app.py": APP.format(mark="a")})
        lam, events = self.boto("lambda"), self.boto("events")
        name = self.name("hello")
        path = f"/2019-09-30/functions/{name}/provisioned-concurrency"
        self.rec.inject_answer(f"GET {path}", 1, 404, json.dumps({
            "Type": "User", "message": "No Provisioned Concurrency Config found for this function"}),
            {"x-amzn-ErrorType": "ProvisionedConcurrencyConfigNotFoundException"})
        self.rec.inject_answer(f"PUT {path}", 1, 202, json.dumps({
            "RequestedProvisionedConcurrentExecutions": 1, "Status": "IN_PROGRESS"}))
        out, r = self.deploy()
        self.assertNotIn("run $LATEST", r.err)
        alias_arn = lam.get_alias(FunctionName=name, Name="provisioned")["AliasArn"]
        self.assertTrue(alias_arn.endswith(f":function:{name}:provisioned"), alias_arn)
        on_alias = lam.list_event_source_mappings(FunctionName=alias_arn)["EventSourceMappings"]
        self.assertEqual(len(on_alias), 1, on_alias)
        self.assertTrue(on_alias[0]["EventSourceArn"].endswith(f":jobs-{self.service_name}"))
        self.assertEqual(lam.list_event_source_mappings(FunctionName=name)["EventSourceMappings"],
                         [])
        rules = events.list_rules(NamePrefix=f"{self.service_name}-dev-hello-schedule-")["Rules"]
        self.assertEqual(len(rules), 1, rules)
        targets = events.list_targets_by_rule(Rule=rules[0]["Name"])["Targets"]
        self.assertEqual([t["Arn"] for t in targets], [alias_arn])
        policy = json.loads(lam.get_policy(FunctionName=name, Qualifier="provisioned")["Policy"])
        self.assertEqual([(st["Sid"], st["Principal"]) for st in policy["Statement"]],
                         [(rules[0]["Name"], {"Service": "events.amazonaws.com"})])
        # An unchanged redeploy changes nothing: no mapping, target or permission is written.
        self.rec.reset()
        self.rec.inject_answer(f"GET {path}", 1, 200, json.dumps({
            "RequestedProvisionedConcurrentExecutions": 1, "Status": "READY"}))
        out, _ = self.deploy()
        self.assertEqual(out["hello"]["status"], "unchanged")
        stats = self.rec.stats()
        lambda_writes = [op for op in stats if op.split(" ")[0] in ("POST", "PUT", "DELETE")
                         and op.split(" ")[-1].startswith("/20")]
        self.assertEqual(lambda_writes, [], stats)
        with self.rec.lock:
            targets_called = [req[3].get("x-amz-target", "") for req in self.rec.requests]
        self.assertFalse([t for t in targets_called if t.startswith("AWSEvents.Put")
                          or t.startswith("AWSEvents.Remove")], targets_called)


def zip_of(mark):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", APP.format(mark=mark))
    return buf.getvalue()


def lambda_client(url):
    return boto3.client("lambda", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1}))


def outcome(call, **kw):
    try:
        r = call(**kw)
        return r["ResponseMetadata"]["HTTPStatusCode"], "ok", r
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"], None


class QualifiedPolicyAndInvokeConfigTest(FxTestCase):
    """AddPermission/GetPolicy/RemovePermission and the event invoke config calls with a
    Qualifier: a version's or an alias's own (they used to be refused, or ignored)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.moto = MotoServer(log_path=os.path.join(cls.root, "moto.log"))

    @classmethod
    def tearDownClass(cls):
        cls.moto.close()
        super().tearDownClass()

    def make(self, lam, name, role):
        lam.create_function(FunctionName=name, Runtime="python3.11", Role=role,
                            Handler="app.handler", Code={"ZipFile": zip_of("one")})
        lam.publish_version(FunctionName=name)
        lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")

    def test_policies_by_qualifier_same_answers_as_moto(self):
        iam = boto3.client("iam", endpoint_url=self.moto.url, region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test")
        role = iam.create_role(RoleName="fx-pv", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "lambda.amazonaws.com"}}]}))
        fx, moto = lambda_client(self.url), lambda_client(self.moto.url)
        for c in (fx, moto):
            self.make(c, "qpol", role["Role"]["Arn"])
        grant = {"FunctionName": "qpol", "Action": "lambda:InvokeFunction",
                 "Principal": "events.amazonaws.com"}
        steps = [
            ("add_permission", dict(grant, StatementId="v1", Qualifier="1")),
            ("get_policy", {"FunctionName": "qpol", "Qualifier": "1"}),
            ("add_permission", dict(grant, StatementId="v9", Qualifier="9")),
            ("get_policy", {"FunctionName": "qpol", "Qualifier": "9"}),
            ("add_permission", dict(grant, StatementId="latest")),
            ("get_policy", {"FunctionName": "qpol"}),
        ]
        for op, kw in steps:
            a, b = outcome(getattr(fx, op), **kw), outcome(getattr(moto, op), **kw)
            # A success is compared as a success: AddPermission is 201 in Lambda's API
            # reference, moto answers 200.
            self.assertEqual(a[1], b[1], (op, kw, a[:2], b[:2]))
            if b[1] != "ok":
                self.assertEqual(a[0], b[0], (op, kw))
            if a[2] and op == "get_policy" and "Qualifier" in kw:  # moto: see below
                ra = [s["Resource"].rsplit(":", 1)[-1]
                      for s in json.loads(a[2]["Policy"])["Statement"]]
                rb = [s["Resource"].rsplit(":", 1)[-1]
                      for s in json.loads(b[2]["Policy"])["Statement"]]
                self.assertEqual(ra, rb, kw)
        # Where moto deviates from AWS, fx follows AWS: a version's policy is its own (Lambda's
        # "Using resource-based policies": a permission added with a qualifier applies to that
        # version or alias only), so $LATEST, which has no statement yet, is 404; moto
        # answers version 1's statement for it.
        self.assertEqual(outcome(moto.get_policy, FunctionName="qpol")[1], "ok")
        latest = json.loads(fx.get_policy(FunctionName="qpol")["Policy"])["Statement"]
        self.assertEqual([(s["Sid"], s["Resource"].rsplit(":", 1)[-1]) for s in latest],
                         [("latest", "qpol")])
        fx.remove_permission(FunctionName="qpol", StatementId="latest")
        self.assertEqual(outcome(fx.get_policy, FunctionName="qpol")[:2],
                         (404, "ResourceNotFoundException"))
        self.assertEqual(outcome(fx.get_policy, FunctionName="qpol", Qualifier="1")[1], "ok")
        # An alias's policy (moto has none for aliases: it looks the qualifier up as a version).
        self.assertEqual(outcome(fx.add_permission, **dict(grant, StatementId="a",
                                                           Qualifier="live"))[1], "ok")
        stmts = json.loads(fx.get_policy(FunctionName="qpol", Qualifier="live")["Policy"])
        self.assertEqual([s["Sid"] for s in stmts["Statement"]], ["a"])
        self.assertTrue(stmts["Statement"][0]["Resource"].endswith(":qpol:live"))
        self.assertEqual(outcome(fx.remove_permission, FunctionName="qpol", StatementId="a",
                                 Qualifier="live")[1], "ok")
        self.assertEqual(outcome(fx.get_policy, FunctionName="qpol", Qualifier="live")[:2],
                         (404, "ResourceNotFoundException"))
        # Bad qualifiers: Lambda's pattern, then 404.
        self.assertEqual(outcome(fx.get_policy, FunctionName="qpol", Qualifier="no/pe")[0], 400)
        self.assertEqual(outcome(fx.get_policy, FunctionName="qpol", Qualifier="nope")[:2],
                         (404, "ResourceNotFoundException"))

    def test_event_invoke_config_by_qualifier(self):
        # moto ignores Qualifier on these calls (one configuration per function), so there is
        # no differential peer: the answers are checked against Lambda's API reference.
        fx = lambda_client(self.url)
        self.make(fx, "qcfg", "arn:aws:iam::123456789012:role/fx-test")
        put = fx.put_function_event_invoke_config(FunctionName="qcfg", Qualifier="live",
                                                  MaximumRetryAttempts=0)
        self.assertTrue(put["FunctionArn"].endswith(":qcfg:live"), put)
        got = fx.get_function_event_invoke_config(FunctionName="qcfg", Qualifier="live")
        self.assertEqual(got["MaximumRetryAttempts"], 0)
        # $LATEST's and version 1's are not the alias's.
        for q in ("$LATEST", "1"):
            self.assertEqual(outcome(fx.get_function_event_invoke_config, FunctionName="qcfg",
                                     Qualifier=q)[:2], (404, "ResourceNotFoundException"), q)
        fx.put_function_event_invoke_config(FunctionName="qcfg", MaximumRetryAttempts=1)
        upd = fx.update_function_event_invoke_config(FunctionName="qcfg", Qualifier="live",
                                                     MaximumEventAgeInSeconds=120)
        self.assertEqual((upd["MaximumRetryAttempts"], upd["MaximumEventAgeInSeconds"]), (0, 120))
        listed = fx.list_function_event_invoke_configs(FunctionName="qcfg")
        self.assertEqual(sorted(c["FunctionArn"].rsplit(":", 1)[-1]
                                for c in listed["FunctionEventInvokeConfigs"]),
                         ["$LATEST", "live"])
        self.assertEqual(outcome(fx.delete_function_event_invoke_config, FunctionName="qcfg",
                                 Qualifier="live")[1], "ok")
        self.assertEqual(fx.get_function_event_invoke_config(FunctionName="qcfg")
                         ["MaximumRetryAttempts"], 1)
        for q, want in (("nope", (404, "ResourceNotFoundException")),
                        ("7", (404, "ResourceNotFoundException")),
                        ("bad/q", (400, "ValidationException"))):
            self.assertEqual(outcome(fx.put_function_event_invoke_config, FunctionName="qcfg",
                                     Qualifier=q, MaximumRetryAttempts=1)[:2], want, q)
        # Deleting the function takes every qualifier's configuration with it.
        fx.delete_function(FunctionName="qcfg")
        self.make(fx, "qcfg", "arn:aws:iam::123456789012:role/fx-test")
        self.assertEqual(fx.list_function_event_invoke_configs(FunctionName="qcfg")
                         ["FunctionEventInvokeConfigs"], [])


if __name__ == "__main__":
    main()
