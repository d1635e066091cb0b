"""Lambda versions, aliases and qualifiers on the emulator, driven by boto3 and the real AWS CLI:
PublishVersion snapshots code and configuration, each version runs instances of its own, an alias
routes by weight and says which version ran, a qualifier that names nothing is Lambda's 404 (it
used to run $LATEST), and all of it survives a restart. A differential run compares the same
calls against moto."""
import base64
import io
import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import zipfile

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from fxtest import FxTestCase, main

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "aws"))
from moto_proxy import MotoServer  # noqa: E402

REGION = "eu-west-1"
ROLE = "arn:aws:iam::123456789012:role/fx-test"

HANDLER = """
import os, time
MARK = "{mark}"
def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return {{"mark": MARK, "version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"],
            "arn": context.invoked_function_arn, "stream": context.log_stream_name,
            "name": context.function_name, "stage": os.environ.get("STAGE"),
            "init": os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE")}}
"""


def code(mark):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", HANDLER.format(mark=mark))
    return buf.getvalue()


def client(url):
    return boto3.client("lambda", endpoint_url=url, region_name=REGION, aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}))


def error_of(call, *args, **kw):
    """The (HTTP status, error code, message) a call fails with."""
    try:
        call(*args, **kw)
    except ClientError as e:
        return (e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"],
                e.response["Error"].get("Message", ""))
    raise AssertionError(f"{call.__name__} succeeded")


class Versions(FxTestCase):
    def setUp(self):
        Versions._n = getattr(Versions, "_n", 0) + 1
        self.name = f"ver{Versions._n}"
        self.lam = client(self.url)
        self.fn = self.lam.create_function(FunctionName=self.name, Runtime="python3.11", Role=ROLE,
                                           Handler="app.handler", Code={"ZipFile": code("one")},
                                           Environment={"Variables": {"STAGE": "first"}})
        self.arn = self.fn["FunctionArn"]

    def invoke(self, name=None, **kw):
        r = self.lam.invoke(FunctionName=name or self.name, **kw)
        self.assertNotIn("FunctionError", r, r)
        return json.loads(r["Payload"].read()), r["ExecutedVersion"]

    def publish_two(self):
        """Version 1 runs code 'one' with STAGE=first, version 2 code 'two' with STAGE=second."""
        self.assertEqual(self.lam.publish_version(FunctionName=self.name)["Version"], "1")
        self.sha_two = self.lam.update_function_code(FunctionName=self.name, ZipFile=code("two"))["CodeSha256"]
        self.lam.update_function_configuration(FunctionName=self.name,
                                               Environment={"Variables": {"STAGE": "second"}})
        self.assertEqual(self.lam.publish_version(FunctionName=self.name)["Version"], "2")

    def test_a_version_is_a_snapshot_with_instances_of_its_own(self):
        self.publish_two()
        self.lam.update_function_code(FunctionName=self.name, ZipFile=code("three"))
        one, ran = self.invoke(Qualifier="1")
        self.assertEqual(ran, "1")
        self.assertEqual((one["mark"], one["stage"], one["version"]), ("one", "first", "1"))
        self.assertEqual(one["arn"], self.arn + ":1")
        self.assertEqual(one["name"], self.name)  # logs and usage still name the function
        self.assertRegex(one["stream"], r"^\d{4}/\d\d/\d\d/\[1\][0-9a-f]{32}$")
        two, ran = self.invoke(name=f"{self.name}:2")
        self.assertEqual((two["mark"], two["stage"], ran), ("two", "second", "2"))
        latest, ran = self.invoke()
        self.assertEqual((latest["mark"], latest["version"], ran), ("three", "$LATEST", "$LATEST"))
        self.assertIn("[$LATEST]", latest["stream"])
        # By qualified ARN, and with the qualifier in both places when they agree.
        self.assertEqual(self.invoke(name=self.arn + ":1")[0]["mark"], "one")
        self.assertEqual(self.invoke(name=self.name + ":2", Qualifier="2")[0]["mark"], "two")
        status, err, msg = error_of(self.lam.invoke, FunctionName=self.name + ":2", Qualifier="1")
        self.assertEqual((status, err), (400, "InvalidParameterValueException"))
        # GetFunction / GetFunctionConfiguration of a version give that version's configuration.
        got = self.lam.get_function(FunctionName=self.name, Qualifier="1")["Configuration"]
        self.assertEqual((got["Version"], got["FunctionArn"]), ("1", self.arn + ":1"))
        self.assertEqual(got["Environment"]["Variables"], {"STAGE": "first"})
        cfg = self.lam.get_function_configuration(FunctionName=self.name + ":2")
        self.assertEqual(cfg["CodeSha256"], self.sha_two)
        self.assertEqual(self.lam.get_function_configuration(FunctionName=self.name)["Version"], "$LATEST")
        # START lines name the version, as Lambda's do.
        def lines():
            return json.loads(self.raw("GET", f"/_fx/v1/logs?function={self.name}")[2])["lines"]
        self.wait_for(lambda: any(line["message"].startswith("START") and "Version: 1" in line["message"]
                                  for line in lines()), message="START ... Version: 1")
        self.assertTrue(all(line["function"] == self.name for line in lines()))

    def test_publishing_unchanged_latest_returns_the_existing_version(self):
        first = self.lam.publish_version(FunctionName=self.name, Description="first")
        again = self.lam.publish_version(FunctionName=self.name)
        self.assertEqual((first["Version"], again["Version"]), ("1", "1"))
        self.assertEqual(first["Description"], "first")
        self.lam.update_function_configuration(FunctionName=self.name, Timeout=9)
        self.assertEqual(self.lam.publish_version(FunctionName=self.name)["Version"], "2")

    def test_publish_flag_on_create_and_update_code(self):
        made = self.lam.create_function(FunctionName=self.name + "p", Runtime="python3.11", Role=ROLE,
                                        Handler="app.handler", Code={"ZipFile": code("one")}, Publish=True)
        self.assertEqual((made["Version"], made["FunctionArn"]), ("1", self.arn + "p:1"))
        updated = self.lam.update_function_code(FunctionName=self.name + "p", ZipFile=code("two"),
                                                Publish=True)
        self.assertEqual(updated["Version"], "2")
        self.assertEqual(self.invoke(name=self.name + "p", Qualifier="1")[0]["mark"], "one")
        self.assertEqual(self.invoke(name=self.name + "p", Qualifier="2")[0]["mark"], "two")

    def test_code_sha_and_revision_id_preconditions(self):
        latest = self.lam.get_function_configuration(FunctionName=self.name)
        status, err, msg = error_of(self.lam.publish_version, FunctionName=self.name,
                                    CodeSha256="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
        self.assertEqual((status, err), (400, "InvalidParameterValueException"))
        self.assertIn("is different from current CodeSHA256 in $LATEST", msg)
        status, err, msg = error_of(self.lam.publish_version, FunctionName=self.name,
                                    RevisionId="not-the-revision")
        self.assertEqual((status, err), (412, "PreconditionFailedException"))
        self.assertEqual(self.lam.list_versions_by_function(FunctionName=self.name)["Versions"][-1]["Version"],
                         "$LATEST")  # nothing published by the refused calls
        v = self.lam.publish_version(FunctionName=self.name, CodeSha256=latest["CodeSha256"],
                                     RevisionId=latest["RevisionId"])
        self.assertEqual(v["Version"], "1")

    def test_list_versions_latest_first_with_pagination(self):
        for i in range(4):
            self.lam.update_function_configuration(FunctionName=self.name, Timeout=3 + i)
            self.lam.publish_version(FunctionName=self.name)
        page = self.lam.list_versions_by_function(FunctionName=self.name, MaxItems=2)
        self.assertEqual([v["Version"] for v in page["Versions"]], ["$LATEST", "1"])
        page = self.lam.list_versions_by_function(FunctionName=self.name, MaxItems=2,
                                                  Marker=page["NextMarker"])
        self.assertEqual([v["Version"] for v in page["Versions"]], ["2", "3"])
        seen = [v["Version"] for p in self.lam.get_paginator("list_versions_by_function").paginate(
            FunctionName=self.name, PaginationConfig={"PageSize": 3}) for v in p["Versions"]]
        self.assertEqual(seen, ["$LATEST", "1", "2", "3", "4"])
        self.assertEqual(self.lam.list_versions_by_function(FunctionName=self.name, MaxItems=2,
                                                            Marker="3")["Versions"][1]["Timeout"], 6)
        status, err, _ = error_of(self.lam.list_versions_by_function, FunctionName=self.name, Marker="nope")
        self.assertEqual((status, err), (400, "InvalidParameterValueException"))
        for query in ["MaxItems=0", "MaxItems=-3", "MaxItems=x", "MaxItems=10001"]:  # boto3 refuses these itself
            got = self.raw("GET", f"/2015-03-31/functions/{self.name}/versions?{query}")
            self.assertEqual(got[:2], (400, "ValidationException"), query)

    def test_unknown_qualifier_is_resource_not_found_not_latest(self):
        self.lam.publish_version(FunctionName=self.name)
        for kw in [{"Qualifier": "live"}, {"FunctionName": self.name + ":live"},
                   {"FunctionName": self.arn + ":live"}, {"Qualifier": "7"}, {"Qualifier": "$LATEST2"}]:
            q = kw.get("Qualifier") or kw["FunctionName"].rsplit(":", 1)[1]
            call = {"FunctionName": self.name, **kw}
            status, err, msg = error_of(self.lam.invoke, **call)
            self.assertEqual((status, err), (404, "ResourceNotFoundException"), kw)
            self.assertEqual(msg, f"Function not found: {self.arn}:{q}")
            self.assertEqual(error_of(self.lam.get_function, **call)[:2], (404, "ResourceNotFoundException"))
            self.assertEqual(error_of(self.lam.get_function_configuration, **call)[0], 404)
        self.assertEqual(self.invoke(Qualifier="$LATEST")[1], "$LATEST")
        self.assertEqual(self.invoke(Qualifier="1")[1], "1")

    def test_aliases_create_get_update_list_delete(self):
        self.publish_two()
        a = self.lam.create_alias(FunctionName=self.name, Name="live", FunctionVersion="1",
                                  Description="prod")
        self.assertEqual((a["AliasArn"], a["FunctionVersion"]), (self.arn + ":live", "1"))
        self.assertEqual(self.lam.get_alias(FunctionName=self.name, Name="live"), {
            **a, "ResponseMetadata": self.lam.get_alias(FunctionName=self.name, Name="live")["ResponseMetadata"]})
        got, ran = self.invoke(Qualifier="live")
        self.assertEqual((got["mark"], ran, got["arn"]), ("one", "1", self.arn + ":live"))
        self.assertEqual(self.invoke(name=self.arn + ":live")[1], "1")
        cfg = self.lam.get_function_configuration(FunctionName=self.name, Qualifier="live")
        self.assertEqual((cfg["Version"], cfg["FunctionArn"]), ("1", self.arn + ":live"))
        status, err, msg = error_of(self.lam.create_alias, FunctionName=self.name, Name="live",
                                    FunctionVersion="2")
        self.assertEqual((status, err), (409, "ResourceConflictException"))
        status, err, _ = error_of(self.lam.update_alias, FunctionName=self.name, Name="live",
                                  FunctionVersion="2", RevisionId="stale")
        self.assertEqual((status, err), (412, "PreconditionFailedException"))
        u = self.lam.update_alias(FunctionName=self.name, Name="live", FunctionVersion="2",
                                  RevisionId=a["RevisionId"])
        self.assertNotEqual(u["RevisionId"], a["RevisionId"])
        self.assertEqual(u["Description"], "prod")
        self.assertEqual(self.invoke(Qualifier="live")[0]["mark"], "two")
        for name, version in [("beta", "1"), ("canary", "2"), ("edge", "$LATEST")]:
            self.lam.create_alias(FunctionName=self.name, Name=name, FunctionVersion=version)
        page = self.lam.list_aliases(FunctionName=self.name, MaxItems=2)
        self.assertEqual([x["Name"] for x in page["Aliases"]], ["beta", "canary"])
        page = self.lam.list_aliases(FunctionName=self.name, Marker=page["NextMarker"])
        self.assertEqual([x["Name"] for x in page["Aliases"]], ["edge", "live"])
        self.assertNotIn("NextMarker", page)
        self.assertEqual([x["Name"] for x in self.lam.list_aliases(FunctionName=self.name,
                                                                   FunctionVersion="2")["Aliases"]],
                         ["canary", "live"])
        self.assertEqual(self.invoke(Qualifier="edge")[1], "$LATEST")
        self.lam.delete_alias(FunctionName=self.name, Name="beta")
        status, err, msg = error_of(self.lam.get_alias, FunctionName=self.name, Name="beta")
        self.assertEqual((status, err, msg), (404, "ResourceNotFoundException",
                                              f"Cannot find alias arn: {self.arn}:beta"))
        self.assertEqual(error_of(self.lam.invoke, FunctionName=self.name, Qualifier="beta")[0], 404)

    def test_weighted_alias_routes_by_weight_and_reports_the_version(self):
        self.publish_two()
        self.lam.create_alias(FunctionName=self.name, Name="split", FunctionVersion="1",
                              RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
        seen = {}
        for _ in range(40):
            got, ran = self.invoke(Qualifier="split")
            self.assertEqual(got["version"], ran)  # the header names the version that ran
            seen[ran] = seen.get(ran, 0) + 1
        self.assertEqual(set(seen), {"1", "2"}, seen)  # 2**-39 odds of a false failure
        for weight, only in [(0.0, "1"), (1.0, "2")]:
            self.lam.update_alias(FunctionName=self.name, Name="split",
                                  RoutingConfig={"AdditionalVersionWeights": {"2": weight}})
            self.assertEqual({self.invoke(Qualifier="split")[1] for _ in range(8)}, {only})
        self.lam.update_alias(FunctionName=self.name, Name="split", RoutingConfig={})
        self.assertNotIn("RoutingConfig", self.lam.get_alias(FunctionName=self.name, Name="split"))

    def test_delete_version_rules_and_numbers_never_reused(self):
        self.publish_two()
        self.lam.create_alias(FunctionName=self.name, Name="live", FunctionVersion="1",
                              RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}})
        for q in ["1", "2"]:
            status, err, msg = error_of(self.lam.delete_function, FunctionName=self.name, Qualifier=q)
            self.assertEqual((status, err), (409, "ResourceConflictException"), q)
            self.assertIn("[live]", msg)
        status, err, _ = error_of(self.lam.delete_function, FunctionName=self.name, Qualifier="$LATEST")
        self.assertEqual((status, err), (400, "InvalidParameterValueException"))
        self.assertEqual(error_of(self.lam.delete_function, FunctionName=self.name, Qualifier="9")[0], 404)
        self.lam.update_alias(FunctionName=self.name, Name="live", RoutingConfig={})
        self.lam.delete_function(FunctionName=self.name, Qualifier="2")
        self.assertEqual(error_of(self.lam.invoke, FunctionName=self.name, Qualifier="2")[0], 404)
        self.lam.update_function_code(FunctionName=self.name, ZipFile=code("four"))
        self.assertEqual(self.lam.publish_version(FunctionName=self.name)["Version"], "3")
        self.assertEqual([v["Version"] for v in self.lam.list_versions_by_function(
            FunctionName=self.name)["Versions"]], ["$LATEST", "1", "3"])
        self.assertEqual(self.invoke(Qualifier="live")[0]["mark"], "one")
        # Deleting the function takes its versions and aliases: a new one of the name has none.
        self.lam.delete_function(FunctionName=self.name)
        self.lam.create_function(FunctionName=self.name, Runtime="python3.11", Role=ROLE,
                                 Handler="app.handler", Code={"ZipFile": code("five")})
        self.assertEqual(len(self.lam.list_versions_by_function(FunctionName=self.name)["Versions"]), 1)
        self.assertEqual(self.lam.list_aliases(FunctionName=self.name)["Aliases"], [])
        self.assertEqual(error_of(self.lam.invoke, FunctionName=self.name, Qualifier="1")[0], 404)

    def test_attacks_on_aliases_and_qualifiers(self):
        self.publish_two()
        cases = [
            ({"Name": "a", "FunctionVersion": "1", "RoutingConfig": {"AdditionalVersionWeights": {"2": 1.5}}},
             400, "ValidationException"),
            ({"Name": "a", "FunctionVersion": "1", "RoutingConfig": {"AdditionalVersionWeights": {"2": -1}}},
             400, "ValidationException"),
            ({"Name": "a", "FunctionVersion": "1"}, 201, None),
            ({"Name": "b", "FunctionVersion": "7"}, 404, "ResourceNotFoundException"),
            ({"Name": "b", "FunctionVersion": "1", "RoutingConfig": {"AdditionalVersionWeights": {"8": 0.5}}},
             404, "ResourceNotFoundException"),
            ({"Name": "b", "FunctionVersion": "1", "RoutingConfig": {"AdditionalVersionWeights": {"1": 0.5}}},
             400, "InvalidParameterValueException"),
            ({"Name": "b", "FunctionVersion": "$LATEST", "RoutingConfig": {"AdditionalVersionWeights": {"1": 0.5}}},
             400, "InvalidParameterValueException"),
            ({"Name": "12", "FunctionVersion": "1"}, 400, "ValidationException"),
            ({"Name": "x" * 200, "FunctionVersion": "1"}, 400, "ValidationException"),
            ({"Name": "bad name", "FunctionVersion": "1"}, 400, "ValidationException"),
            ({"Name": "b", "FunctionVersion": "one"}, 400, "ValidationException"),
        ]
        for body, status, err in cases:
            got = self.raw("POST", f"/2015-03-31/functions/{self.name}/aliases", json.dumps(body))
            self.assertEqual(got[0], status, (body, got))
            if err:
                self.assertEqual(got[1], err, (body, got))
        raw_cases = [
            # A weight that is not a number, two extra versions, not JSON, not UTF-8, wrong types.
            ('{"Name":"c","FunctionVersion":"1","RoutingConfig":{"AdditionalVersionWeights":{"2":"x"}}}',
             400, "InvalidRequestContentException"),
            ('{"Name":"c","FunctionVersion":"2","RoutingConfig":{"AdditionalVersionWeights":{"1":0.1,"3":0.1}}}',
             400, "InvalidParameterValueException"),
            ('{"Name":', 400, "InvalidRequestContentException"),
            (b'{"Name":"\xff","FunctionVersion":"1"}', 400, "InvalidRequestContentException"),
            ('{"Name":5,"FunctionVersion":"1"}', 400, "InvalidRequestContentException"),
            ('{"Name":"c","RoutingConfig":[]}', 400, "InvalidRequestContentException"),
            ('[]', 400, "InvalidRequestContentException"),
            ('{"FunctionVersion":"1"}', 400, "ValidationException"),
            ('{"Name":"c","FunctionVersion":"1","Description":"%s"}' % ("d" * 300), 400, "ValidationException"),
        ]
        for body, status, err in raw_cases:
            got = self.raw("POST", f"/2015-03-31/functions/{self.name}/aliases", body)
            self.assertEqual(got[:2], (status, err), (body, got))
        for path, status, err in [
            (f"/2015-03-31/functions/{self.name}/invocations?Qualifier=%ff", 400, "ValidationException"),
            (f"/2015-03-31/functions/{self.name}%3A%ff/invocations", 400, "ValidationException"),
            (f"/2015-03-31/functions/{self.name}/invocations?Qualifier=" + "q" * 200, 400, "ValidationException"),
            (f"/2015-03-31/functions/{self.name}/invocations?Qualifier=$LATEST2", 404, "ResourceNotFoundException"),
            (f"/2015-03-31/functions/{'n' * 200}/invocations", 400, "ValidationException"),
            (f"/2015-03-31/functions/{self.name}/versions", 201, None),
        ]:
            got = self.raw("POST", path, "{}")
            self.assertEqual(got[0], status, (path, got))
            if err:
                self.assertEqual(got[1], err, (path, got))
        for method, path, body, status, err in [
            ("GET", f"/2015-03-31/functions/{self.name}/aliases/12", None, 400, "ValidationException"),
            ("GET", f"/2015-03-31/functions/{self.name}/aliases/nope", None, 404, "ResourceNotFoundException"),
            ("PUT", f"/2015-03-31/functions/{self.name}/aliases/a", '{"FunctionVersion":"9"}', 404,
             "ResourceNotFoundException"),
            ("PUT", f"/2015-03-31/functions/{self.name}/aliases/a", '{"RoutingConfig":{"AdditionalVersionWeights":{"2":2}}}',
             400, "ValidationException"),
            ("GET", f"/2015-03-31/functions/{self.name}/aliases?MaxItems=x", None, 400, "ValidationException"),
            ("GET", f"/2015-03-31/functions/{self.name}/versions?MaxItems=100000", None, 400, "ValidationException"),
            ("POST", f"/2015-03-31/functions/{self.name}/versions", '{"CodeSha256":5}', 400,
             "InvalidRequestContentException"),
            ("POST", f"/2015-03-31/functions/{self.name}/versions", "x" * 2_000_000, 413,
             "RequestEntityTooLargeException"),
            ("POST", "/2015-03-31/functions/nosuch/versions", "{}", 404, "ResourceNotFoundException"),
            ("PATCH", f"/2015-03-31/functions/{self.name}/aliases/a", "{}", 404, "UnknownOperationException"),
        ]:
            got = self.raw(method, path, body)
            self.assertEqual(got[:2], (status, err), (method, path, got))
        # The alias that was made is intact and the emulator still answers.
        self.assertEqual(self.invoke(Qualifier="a")[1], "1")

    def raw(self, method, path, body=None):
        data = body.encode() if isinstance(body, str) else body
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=self.auth())
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, None, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("x-amzn-ErrorType"), e.read().decode(errors="replace")

    def test_provisioned_concurrency_on_versions_and_aliases(self):
        self.publish_two()
        self.lam.create_alias(FunctionName=self.name, Name="live", FunctionVersion="1")
        status, err, msg = error_of(self.lam.put_provisioned_concurrency_config, FunctionName=self.name,
                                    Qualifier="$LATEST", ProvisionedConcurrentExecutions=1)
        self.assertEqual((status, err), (400, "InvalidParameterValueException"))
        self.assertIn("unpublished", msg)
        self.assertEqual(error_of(self.lam.put_provisioned_concurrency_config, FunctionName=self.name,
                                  Qualifier="nope", ProvisionedConcurrentExecutions=1)[0], 404)
        self.assertEqual(error_of(self.lam.get_provisioned_concurrency_config, FunctionName=self.name,
                                  Qualifier="2")[1], "ProvisionedConcurrencyConfigNotFoundException")
        put = self.lam.put_provisioned_concurrency_config(FunctionName=self.name, Qualifier="live",
                                                          ProvisionedConcurrentExecutions=1)
        self.assertEqual(put["RequestedProvisionedConcurrentExecutions"], 1)
        self.wait_for(lambda: self.lam.get_provisioned_concurrency_config(
            FunctionName=self.name, Qualifier="live")["Status"] == "READY", message="READY")
        got, ran = self.invoke(Qualifier="live")
        self.assertEqual((got["init"], ran), ("provisioned-concurrency", "1"))
        self.assertEqual(self.invoke()[0]["init"], "on-demand")
        listed = self.lam.list_provisioned_concurrency_configs(FunctionName=self.name)
        self.assertEqual([c["FunctionArn"] for c in listed["ProvisionedConcurrencyConfigs"]],
                         [self.arn + ":live"])
        # Moving the alias moves its provisioned instances to the new version.
        self.lam.update_alias(FunctionName=self.name, Name="live", FunctionVersion="2")
        self.wait_for(lambda: self.invoke(Qualifier="live")[0]["init"] == "provisioned-concurrency",
                      message="a provisioned instance of version 2")
        self.lam.delete_provisioned_concurrency_config(FunctionName=self.name, Qualifier="live")
        self.assertEqual(self.lam.list_provisioned_concurrency_configs(
            FunctionName=self.name)["ProvisionedConcurrencyConfigs"], [])

    def test_reserved_concurrency_is_the_functions_shared_by_its_versions(self):
        self.lam.publish_version(FunctionName=self.name)
        self.lam.put_function_concurrency(FunctionName=self.name, ReservedConcurrentExecutions=1)
        slow = threading.Thread(target=lambda: client(self.url).invoke(
            FunctionName=self.name, Qualifier="1", Payload=b'{"sleep": 3}'))
        slow.start()
        try:
            # Version 1's instance holds the function's one slot: $LATEST is throttled.
            self.wait_for(self._latest_throttled, timeout=20, message="a throttled $LATEST")
        finally:
            slow.join()
        # Version 1's instance is idle now: an idle instance holds no slot.
        self.assertEqual(self.invoke()[1], "$LATEST")

    def _latest_throttled(self):
        if json.loads(self.raw("GET", "/_fx/v1/status")[2])["busy"] < 1:
            return False  # version 1's call has not started yet
        try:
            self.lam.invoke(FunctionName=self.name)
            return False
        except ClientError as e:
            return e.response["ResponseMetadata"]["HTTPStatusCode"] == 429

    def test_aws_cli_publish_alias_list_invoke(self):
        env = {**self.env, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
               "AWS_DEFAULT_REGION": REGION, "AWS_PAGER": ""}

        def aws(*args, check=True):
            p = subprocess.run(["aws", "--endpoint-url", self.url, "--output", "json", "lambda", *args],
                               env=env, capture_output=True, text=True, timeout=120, cwd=self.root)
            if check:
                self.assertEqual(p.returncode, 0, p.stderr)
            return p
        # The walls of issue 17: each of these was UnknownOperationException or ran $LATEST.
        out = os.path.join(self.root, f"{self.name}.json")
        p = aws("invoke", "--function-name", self.name, "--qualifier", "live", out, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("ResourceNotFoundException", p.stderr)
        self.assertEqual(json.loads(aws("publish-version", "--function-name", self.name,
                                        "--description", "cli").stdout)["Version"], "1")
        alias = json.loads(aws("create-alias", "--function-name", self.name, "--name", "live",
                               "--function-version", "1").stdout)
        self.assertEqual(alias["AliasArn"], self.arn + ":live")
        self.assertEqual(json.loads(aws("get-alias", "--function-name", self.name, "--name", "live").stdout)
                         ["FunctionVersion"], "1")
        versions = json.loads(aws("list-versions-by-function", "--function-name", self.name).stdout)
        self.assertEqual([v["Version"] for v in versions["Versions"]], ["$LATEST", "1"])
        meta = json.loads(aws("invoke", "--function-name", self.name, "--qualifier", "live", out).stdout)
        self.assertEqual(meta["ExecutedVersion"], "1")
        with open(out) as f:
            self.assertEqual(json.load(f)["mark"], "one")
        meta = json.loads(aws("invoke", "--function-name", f"{self.name}:live", out).stdout)
        self.assertEqual(meta["ExecutedVersion"], "1")
        aws("delete-alias", "--function-name", self.name, "--name", "live")
        aws("delete-function", "--function-name", self.name, "--qualifier", "1")
        versions = json.loads(aws("list-versions-by-function", "--function-name", self.name).stdout)
        self.assertEqual([v["Version"] for v in versions["Versions"]], ["$LATEST"])


class VersionsRestart(FxTestCase):
    def test_versions_and_aliases_survive_a_restart(self):
        lam = client(self.url)
        lam.create_function(FunctionName="keep", Runtime="python3.11", Role=ROLE, Handler="app.handler",
                            Code={"ZipFile": code("one")})
        lam.publish_version(FunctionName="keep")
        lam.update_function_code(FunctionName="keep", ZipFile=code("two"))
        lam.publish_version(FunctionName="keep")
        lam.create_alias(FunctionName="keep", Name="live", FunctionVersion="1",
                         RoutingConfig={"AdditionalVersionWeights": {"2": 0.25}})
        lam.put_provisioned_concurrency_config(FunctionName="keep", Qualifier="2",
                                               ProvisionedConcurrentExecutions=1)
        before = lam.get_alias(FunctionName="keep", Name="live")
        self.assertEqual(self.fx("emulator", "stop").code, 0)
        r = self.fx("emulator", "start", "--port", "0", "--json")
        self.assertEqual(r.code, 0, r)
        type(self).url = r.json()["url"]
        lam = client(self.url)
        after = lam.get_alias(FunctionName="keep", Name="live")
        for key in ["AliasArn", "FunctionVersion", "RoutingConfig", "RevisionId"]:
            self.assertEqual(after[key], before[key])
        self.assertEqual([v["Version"] for v in lam.list_versions_by_function(FunctionName="keep")["Versions"]],
                         ["$LATEST", "1", "2"])
        payload = json.loads(lam.invoke(FunctionName="keep", Qualifier="1")["Payload"].read())
        self.assertEqual(payload["mark"], "one")
        self.assertEqual(lam.get_provisioned_concurrency_config(
            FunctionName="keep", Qualifier="2")["RequestedProvisionedConcurrentExecutions"], 1)
        self.assertEqual(lam.publish_version(FunctionName="keep")["Version"], "2")  # still unchanged
        lam.update_function_configuration(FunctionName="keep", Timeout=5)
        self.assertEqual(lam.publish_version(FunctionName="keep")["Version"], "3")


class VersionsDifferential(FxTestCase):
    """The same calls against fx and moto, compared: status and error code of each. Where moto
    deviates from AWS's documentation the expectation follows AWS, and says so."""

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
            return r["ResponseMetadata"]["HTTPStatusCode"], "ok", r
        except ClientError as e:
            return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"], None

    def test_same_calls_same_answers(self):
        iam = boto3.client("iam", endpoint_url=self.moto.url, region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test")
        role = iam.create_role(RoleName="fx-diff", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "lambda.amazonaws.com"}}]}))
        fx, moto = client(self.url), client(self.moto.url)
        for c in (fx, moto):
            c.create_function(FunctionName="diff", Runtime="python3.11", Role=role["Role"]["Arn"],
                              Handler="app.handler", Code={"ZipFile": code("one")})
        steps = [
            ("publish_version", {"FunctionName": "diff"}),
            ("publish_version", {"FunctionName": "diff"}),  # unchanged: the same version
            ("update_function_code", {"FunctionName": "diff", "ZipFile": code("two")}),
            ("publish_version", {"FunctionName": "diff"}),
            ("list_versions_by_function", {"FunctionName": "diff"}),
            ("create_alias", {"FunctionName": "diff", "Name": "live", "FunctionVersion": "1"}),
            ("create_alias", {"FunctionName": "diff", "Name": "live", "FunctionVersion": "1"}),
            ("get_alias", {"FunctionName": "diff", "Name": "live"}),
            ("get_alias", {"FunctionName": "diff", "Name": "nope"}),
            ("update_alias", {"FunctionName": "diff", "Name": "live", "FunctionVersion": "2"}),
            ("update_alias", {"FunctionName": "diff", "Name": "live",
                              "RoutingConfig": {"AdditionalVersionWeights": {"1": 0.3}}}),
            ("list_aliases", {"FunctionName": "diff"}),
            ("get_function", {"FunctionName": "diff", "Qualifier": "1"}),
            ("get_function", {"FunctionName": "diff", "Qualifier": "9"}),
            ("get_function_configuration", {"FunctionName": "diff", "Qualifier": "live"}),
            ("get_function_configuration", {"FunctionName": "diff", "Qualifier": "nope"}),
            ("create_alias", {"FunctionName": "nosuch", "Name": "x", "FunctionVersion": "1"}),
            ("create_alias", {"FunctionName": "diff", "Name": "ghost", "FunctionVersion": "99"}),
            ("delete_alias", {"FunctionName": "diff", "Name": "live"}),
            ("delete_function", {"FunctionName": "diff", "Qualifier": "1"}),
            ("list_versions_by_function", {"FunctionName": "diff"}),
        ]
        # Where moto deviates from AWS, fx follows AWS: an alias that exists already is
        # ResourceConflictException in Lambda's API reference (CreateAlias, "Errors"); moto says
        # ConflictException. And moto answers GetAlias with 201 (AWS: 200), so a success is
        # compared as a success, not by its status.
        deviations = {("create_alias", "ResourceConflictException"): "ConflictException"}
        for op, kw in steps:
            a = self.outcome(getattr(fx, op), **kw)
            b = self.outcome(getattr(moto, op), **kw)
            if b[1] == "ok":
                self.assertEqual(a[1], "ok", (op, kw, a[:2]))
            else:
                self.assertEqual((a[0], deviations.get((op, a[1]), a[1])), b[:2], (op, kw))
            if a[2] and op == "publish_version":
                self.assertEqual(a[2]["Version"], b[2]["Version"], kw)
            if a[2] and op == "list_versions_by_function":
                self.assertEqual([v["Version"] for v in a[2]["Versions"]],
                                 [v["Version"] for v in b[2]["Versions"]])
            if a[2] and op in ("get_alias", "update_alias"):
                for key in ["Name", "FunctionVersion", "RoutingConfig"]:
                    self.assertEqual(a[2].get(key), b[2].get(key), (op, key))
            if a[2] and op == "get_function_configuration":
                self.assertEqual(a[2]["Version"], b[2]["Version"])
        # moto deviates from AWS here, fx follows AWS: an alias named like a version number ("12")
        # breaks Lambda's pattern for alias names, (?!^[0-9]+$)([a-zA-Z0-9-_]+); moto makes it.
        self.assertEqual(self.outcome(moto.create_alias, FunctionName="diff", Name="12",
                                      FunctionVersion="2")[1], "ok")
        self.assertEqual(self.outcome(fx.create_alias, FunctionName="diff", Name="12",
                                      FunctionVersion="2")[:2], (400, "ValidationException"))


if __name__ == "__main__":
    main()
