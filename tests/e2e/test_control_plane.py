"""The Lambda control-plane calls tools make besides a function's own (issue 17, part 2a), each
through boto3 and through the real AWS CLI against a real emulator: the event source mapping
API's writes (a mapping made by `aws lambda create-event-source-mapping` consumes the queue or
stream, survives a restart, goes with its function), GetAccountSettings,
GetFunctionConcurrency, ListFunctions' and the layer lists' pages, GetLayerVersionByArn; and
the bad input each must answer with Lambda's 4xx, the emulator still serving after.
"""
import base64
import http.client
import io
import json
import os
import subprocess
import time
import zipfile

import boto3
from botocore.config import Config

from fxtest import FxTestCase, main

ROLE = "arn:aws:iam::000000000000:role/fx-local"
ESM = "/2015-03-31/event-source-mappings"
QUEUE_ARN = "arn:aws:sqs:us-east-1:000000000000:{}"

# Prints what it gets, so the test reads its events from the function's log.
HANDLER = """
import json
def handler(event, context):
    if event.get("fail"):
        raise Exception("failing as asked")
    for record in event.get("Records", []):
        print("GOT " + json.dumps(record.get("body") or record.get("eventName")))
    return {}
"""


def zip_of(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


ZIP = zip_of({"app.py": HANDLER})


def request(url, method, path, body=b"", headers=None):
    """One raw HTTP request: (status, x-amzn-ErrorType, parsed body or None)."""
    conn = http.client.HTTPConnection(url.split("//", 1)[1], timeout=30)
    try:
        conn.request(method, path, body=body, headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/lambda/"
                             "aws4_request, SignedHeaders=host, Signature=00",
            **(headers or {})})
        r = conn.getresponse()
        data = r.read()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return r.status, r.getheader("x-amzn-ErrorType"), parsed
    finally:
        conn.close()


class ControlPlaneCase(FxTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.aws_env = {**cls.env, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": ""}

    def client(self, service, validate=True):
        return boto3.client(service, endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id="x", aws_secret_access_key="x",
                            config=Config(parameter_validation=validate,
                                          retries={"max_attempts": 0}))

    def aws(self, *args, check=True):
        """The AWS CLI against the emulator."""
        proc = subprocess.run(["aws", "--endpoint-url", self.url, "--output", "json", *args],
                              env=self.aws_env, capture_output=True, text=True, timeout=60)
        if check:
            self.assertEqual(proc.returncode, 0, proc.stderr)
            return json.loads(proc.stdout) if proc.stdout.strip() else {}
        return proc

    def function(self, name):
        self.client("lambda").create_function(
            FunctionName=name, Runtime="python3.11", Handler="app.handler", Role=ROLE,
            Code={"ZipFile": ZIP})

    def queue(self, name):
        self.client("sqs").create_queue(QueueName=name)
        return QUEUE_ARN.format(name)

    def got(self, fn):
        """What the function printed: the bodies (or stream event names) it was given."""
        return [json.loads(l["message"].split("GOT ", 1)[1]) for l in self.logs(fn)
                if "GOT " in l["message"]]

    def wait_got(self, fn, value, timeout=15):
        self.wait_for(lambda: value in self.got(fn), timeout, f"{fn} to get {value!r}")

    def alive(self):
        os.kill(self.pid, 0)
        self.assertEqual(request(self.url, "GET", "/2016-08-19/account-settings/")[0], 200)


class EventSourceMappingApi(ControlPlaneCase):
    def test_the_cli_creates_a_mapping_that_consumes_the_queue(self):
        self.function("esm-cli")
        arn = self.queue("esm-cli-q")
        made = self.aws("lambda", "create-event-source-mapping", "--function-name", "esm-cli",
                        "--event-source-arn", arn, "--batch-size", "5")
        self.assertEqual(made["State"], "Creating")
        self.assertEqual(made["BatchSize"], 5)
        self.assertEqual(made["EventSourceArn"], arn)
        self.assertTrue(made["FunctionArn"].endswith(":function:esm-cli"))
        uuid = made["UUID"]
        self.client("sqs").send_message(QueueUrl=f"{self.url}/000000000000/esm-cli-q",
                                        MessageBody="hello")
        self.wait_got("esm-cli", "hello")
        got = self.aws("lambda", "get-event-source-mapping", "--uuid", uuid)
        self.assertEqual(got["State"], "Enabled")
        listed = self.aws("lambda", "list-event-source-mappings", "--function-name", "esm-cli")
        self.assertEqual([m["UUID"] for m in listed["EventSourceMappings"]], [uuid])
        # The same again is Lambda's conflict, naming the mapping that exists.
        again = self.aws("lambda", "create-event-source-mapping", "--function-name", "esm-cli",
                         "--event-source-arn", arn, check=False)
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("ResourceConflictException", again.stderr)
        self.assertIn(uuid, again.stderr)

    def test_update_changes_batch_size_filter_and_enabled(self):
        lam = self.client("lambda")
        self.function("esm-upd")
        arn = self.queue("esm-upd-q")
        uuid = lam.create_event_source_mapping(FunctionName="esm-upd", EventSourceArn=arn)["UUID"]
        changed = lam.update_event_source_mapping(
            UUID=uuid, BatchSize=7, FilterCriteria={"Filters": [{"Pattern": json.dumps(
                {"body": ["keep"]})}]})
        self.assertEqual(changed["State"], "Updating")
        got = lam.get_event_source_mapping(UUID=uuid)
        self.assertEqual(got["BatchSize"], 7)
        self.assertEqual(got["FilterCriteria"]["Filters"][0]["Pattern"], '{"body": ["keep"]}')
        url = f"{self.url}/000000000000/esm-upd-q"
        sqs = self.client("sqs")
        sqs.send_message(QueueUrl=url, MessageBody="drop")
        sqs.send_message(QueueUrl=url, MessageBody="keep")
        self.wait_got("esm-upd", "keep")
        self.assertNotIn("drop", self.got("esm-upd"))
        # Disabled through the CLI: the mapping stays, reads nothing.
        off = self.aws("lambda", "update-event-source-mapping", "--uuid", uuid, "--no-enabled")
        self.assertEqual(off["UUID"], uuid)
        self.assertEqual(lam.get_event_source_mapping(UUID=uuid)["State"], "Disabled")
        lam.update_event_source_mapping(UUID=uuid, Enabled=True, FilterCriteria={"Filters": []})
        sqs.send_message(QueueUrl=url, MessageBody="again")
        self.wait_got("esm-upd", "again")
        self.assertNotIn("FilterCriteria", lam.get_event_source_mapping(UUID=uuid))

    def test_delete_stops_the_mapping(self):
        lam = self.client("lambda")
        self.function("esm-del")
        arn = self.queue("esm-del-q")
        uuid = lam.create_event_source_mapping(FunctionName="esm-del", EventSourceArn=arn)["UUID"]
        gone = self.aws("lambda", "delete-event-source-mapping", "--uuid", uuid)
        self.assertEqual(gone["State"], "Deleting")
        with self.assertRaises(lam.exceptions.ResourceNotFoundException):
            lam.get_event_source_mapping(UUID=uuid)
        self.assertEqual(lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"],
                         [])
        with self.assertRaises(lam.exceptions.ResourceNotFoundException):
            lam.delete_event_source_mapping(UUID=uuid)
        sqs = self.client("sqs")
        url = f"{self.url}/000000000000/esm-del-q"
        sqs.send_message(QueueUrl=url, MessageBody="nobody")
        # What a poller would do, it does within milliseconds: a second shows there is none.
        time.sleep(1)
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual(attrs["ApproximateNumberOfMessages"], "1")

    def test_a_mapping_goes_with_its_function(self):
        lam = self.client("lambda")
        self.function("esm-fn-gone")
        arn = self.queue("esm-fn-gone-q")
        uuid = lam.create_event_source_mapping(FunctionName="esm-fn-gone",
                                               EventSourceArn=arn)["UUID"]
        lam.delete_function(FunctionName="esm-fn-gone")
        with self.assertRaises(lam.exceptions.ResourceNotFoundException):
            lam.get_event_source_mapping(UUID=uuid)

    def test_a_stream_mapping_reads_the_tables_stream(self):
        ddb = self.client("dynamodb")
        table = ddb.create_table(
            TableName="esm-items", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
        stream = table["TableDescription"]["LatestStreamArn"]
        self.function("esm-stream")
        lam = self.client("lambda")
        made = lam.create_event_source_mapping(
            FunctionName="esm-stream", EventSourceArn=stream, StartingPosition="TRIM_HORIZON",
            MaximumRetryAttempts=2, BisectBatchOnFunctionError=True)
        self.assertEqual(made["BatchSize"], 100)  # Lambda's default for streams
        self.assertEqual(made["StartingPosition"], "TRIM_HORIZON")
        self.assertEqual(made["MaximumRetryAttempts"], 2)
        ddb.put_item(TableName="esm-items", Item={"id": {"S": "1"}})
        self.wait_got("esm-stream", "INSERT")
        lam.update_event_source_mapping(UUID=made["UUID"], MaximumRetryAttempts=5)
        self.assertEqual(lam.get_event_source_mapping(UUID=made["UUID"])["MaximumRetryAttempts"], 5)

    def test_a_deployed_mapping_is_the_manifests(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider: {name: aws, runtime: python3.11}
                functions:
                  worker:
                    handler: app.handler
                    events:
                      - sqs: {arn: arn:aws:sqs:us-east-1:000000000000:deployed-q}
                """,
            "app.py": HANDLER})
        self.ok("deploy")
        lam = self.client("lambda")
        arn = QUEUE_ARN.format("deployed-q")
        uuid = lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"][0]["UUID"]
        for call in (lambda: lam.update_event_source_mapping(UUID=uuid, BatchSize=3),
                     lambda: lam.delete_event_source_mapping(UUID=uuid)):
            with self.assertRaises(lam.exceptions.ResourceConflictException) as e:
                call()
            self.assertIn("serverless.yaml", str(e.exception))
        self.assertEqual(lam.get_event_source_mapping(UUID=uuid)["BatchSize"], 10)

    def test_bad_input_gets_lambdas_4xx(self):
        self.function("esm-bad")
        arn = self.queue("esm-bad-q")
        good = {"FunctionName": "esm-bad", "EventSourceArn": arn}

        def body(**kw):
            return json.dumps({**good, **kw}).encode()

        cases = [
            ("not JSON", b"{", 400, "InvalidRequestContentException"),
            ("invalid UTF-8", b'{"FunctionName":"\xff"}', 400, "InvalidRequestContentException"),
            ("an array", b"[]", 400, "InvalidRequestContentException"),
            ("no FunctionName", json.dumps({"EventSourceArn": arn}).encode(), 400,
             "ValidationException"),
            ("FunctionName a number", body(FunctionName=5), 400, "InvalidRequestContentException"),
            ("BatchSize a word", body(BatchSize="ten"), 400, "InvalidRequestContentException"),
            ("BatchSize 0", body(BatchSize=0), 400, "ValidationException"),
            ("BatchSize 10001", body(BatchSize=10001), 400, "ValidationException"),
            ("BatchSize 2^31", body(BatchSize=2 ** 31), 400, "ValidationException"),
            # Past 64 bits the JSON reader sees no integer (Jackson: out of range), as Lambda.
            ("BatchSize 2^70", body(BatchSize=2 ** 70), 400, "InvalidRequestContentException"),
            ("BatchSize 11 without a window", body(BatchSize=11), 400,
             "InvalidParameterValueException"),
            ("window 301", body(MaximumBatchingWindowInSeconds=301), 400, "ValidationException"),
            ("MaximumConcurrency 1", body(ScalingConfig={"MaximumConcurrency": 1}), 400,
             "ValidationException"),
            ("an unknown response type", body(FunctionResponseTypes=["Nope"]), 400,
             "ValidationException"),
            ("StartingPosition on a queue", body(StartingPosition="LATEST"), 400,
             "InvalidParameterValueException"),
            ("retries on a queue", body(MaximumRetryAttempts=1), 400,
             "InvalidParameterValueException"),
            ("an invalid filter", body(FilterCriteria={"Filters": [{"Pattern": "[1]"}]}), 400,
             "InvalidParameterValueException"),
            ("a filter of 5000 bytes",
             body(FilterCriteria={"Filters": [{"Pattern": "{" + " " * 5000 + "}"}]}), 400,
             "ValidationException"),
            ("an unknown function", body(FunctionName="nosuch"), 404, "ResourceNotFoundException"),
            ("an unknown queue", body(EventSourceArn=QUEUE_ARN.format("nosuch")), 400,
             "InvalidParameterValueException"),
            ("another account's queue", body(EventSourceArn=arn.replace("000000000000",
                                                                        "123456789012")),
             400, "InvalidParameterValueException"),
            ("not an ARN", body(EventSourceArn="queue"), 400, "ValidationException"),
            ("a Kinesis stream", body(
                EventSourceArn="arn:aws:kinesis:us-east-1:000000000000:stream/s",
                StartingPosition="LATEST"), 400, "InvalidParameterValueException"),
            ("an unknown DynamoDB stream", body(
                EventSourceArn="arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x",
                StartingPosition="LATEST"), 400, "InvalidParameterValueException"),
            ("a stream without StartingPosition", body(
                EventSourceArn="arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x"), 400,
             "InvalidParameterValueException"),
            ("a huge body", b'{"FunctionName":"' + b"a" * (2 << 20) + b'"}', 413,
             "RequestEntityTooLargeException"),
        ]
        for name, data, status, error in cases:
            with self.subTest(name):
                got = request(self.url, "POST", ESM, data)
                self.assertEqual(got[:2], (status, error), f"{name}: {got}")
        uuid = self.client("lambda").create_event_source_mapping(**good)["UUID"]
        for name, method, path, data, status, error in [
            ("update: an unknown UUID", "PUT", f"{ESM}/00000000-0000-4000-8000-000000000000",
             b"{}", 404, "ResourceNotFoundException"),
            ("update: not JSON", "PUT", f"{ESM}/{uuid}", b"x", 400,
             "InvalidRequestContentException"),
            ("update: Enabled a string", "PUT", f"{ESM}/{uuid}", b'{"Enabled":"yes"}', 400,
             "InvalidRequestContentException"),
            ("update: an unknown function", "PUT", f"{ESM}/{uuid}", b'{"FunctionName":"nosuch"}',
             404, "ResourceNotFoundException"),
            ("update: a stream's setting", "PUT", f"{ESM}/{uuid}", b'{"ParallelizationFactor":2}',
             400, "InvalidParameterValueException"),
            ("update: BatchSize 20 with no window", "PUT", f"{ESM}/{uuid}", b'{"BatchSize":20}',
             400, "InvalidParameterValueException"),
            ("delete: a UUID not UTF-8", "DELETE", f"{ESM}/%ff%fe", b"", 404,
             "ResourceNotFoundException"),
            ("delete: a path below a UUID", "DELETE", f"{ESM}/{uuid}/x", b"", 404,
             "UnknownOperationException"),
        ]:
            with self.subTest(name):
                got = request(self.url, method, path, data)
                self.assertEqual(got[:2], (status, error), f"{name}: {got}")
        # Nothing a refused update sent changed the mapping.
        self.assertEqual(self.client("lambda").get_event_source_mapping(UUID=uuid)["BatchSize"], 10)
        self.alive()


class MappingsSurviveARestart(ControlPlaneCase):
    def test_a_mapping_is_kept_across_restarts(self):
        lam = self.client("lambda")
        self.function("esm-kept")
        arn = self.queue("esm-kept-q")
        uuid = lam.create_event_source_mapping(FunctionName="esm-kept", EventSourceArn=arn,
                                               BatchSize=3)["UUID"]
        self.ok("emulator", "stop")
        r = self.ok("emulator", "start", "--port", "0", "--json")
        type(self).url, type(self).pid = r.json()["url"], r.json()["pid"]
        lam = self.client("lambda")
        got = lam.get_event_source_mapping(UUID=uuid)
        self.assertEqual((got["BatchSize"], got["State"]), (3, "Enabled"))
        self.client("sqs").send_message(QueueUrl=f"{self.url}/000000000000/esm-kept-q",
                                        MessageBody="after")
        self.wait_got("esm-kept", "after")


class EventInvokeConfigs(ControlPlaneCase):
    # Lambda's retry delays (one and two minutes) pass in a tenth of a second.
    emulator_env = {"FX_EMULATOR_CLOCK_SPEED": "600"}

    def records(self, queue, count):
        """The invocation records `queue` received, once it has `count`."""
        sqs = self.client("sqs")
        url = f"{self.url}/000000000000/{queue}"
        got = []

        def receive():
            for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                got.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            return len(got) >= count
        self.wait_for(receive, 20, f"{count} records in {queue}")
        return got

    def test_retries_and_destinations_are_honoured(self):
        lam = self.client("lambda")
        self.function("eic")
        failures, successes = self.queue("eic-failed"), self.queue("eic-ok")
        put = self.aws("lambda", "put-function-event-invoke-config", "--function-name", "eic",
                       "--maximum-retry-attempts", "1", "--destination-config",
                       json.dumps({"OnFailure": {"Destination": failures},
                                   "OnSuccess": {"Destination": successes}}))
        self.assertEqual(put["MaximumRetryAttempts"], 1)
        self.assertTrue(put["FunctionArn"].endswith(":function:eic:$LATEST"))
        self.assertEqual(put["DestinationConfig"]["OnFailure"]["Destination"], failures)
        lam.invoke(FunctionName="eic", InvocationType="Event", Payload=b'{"fail": true}')
        record = self.records("eic-failed", 1)[0]
        self.assertEqual(record["requestContext"]["condition"], "RetriesExhausted")
        self.assertEqual(record["requestContext"]["approximateInvokeCount"], 2)
        self.assertEqual(record["requestPayload"], {"fail": True})
        lam.invoke(FunctionName="eic", InvocationType="Event", Payload=b'{"ok": 1}')
        self.assertEqual(self.records("eic-ok", 1)[0]["requestContext"]["condition"], "Success")
        # Update keeps what it does not name; retries 0: the first failure is the last.
        lam.update_function_event_invoke_config(FunctionName="eic", MaximumRetryAttempts=0)
        got = lam.get_function_event_invoke_config(FunctionName="eic")
        self.assertEqual(got["MaximumRetryAttempts"], 0)
        self.assertEqual(got["DestinationConfig"]["OnFailure"]["Destination"], failures)
        lam.invoke(FunctionName="eic", InvocationType="Event", Payload=b'{"fail": true}')
        self.assertEqual(self.records("eic-failed", 1)[0]["requestContext"]["approximateInvokeCount"], 1)
        listed = self.aws("lambda", "list-function-event-invoke-configs", "--function-name", "eic")
        self.assertEqual(len(listed["FunctionEventInvokeConfigs"]), 1)
        # Put replaces the whole config: no destinations now.
        lam.put_function_event_invoke_config(FunctionName="eic", MaximumEventAgeInSeconds=60)
        got = lam.get_function_event_invoke_config(FunctionName="eic")
        self.assertEqual((got["MaximumRetryAttempts"], got["MaximumEventAgeInSeconds"]), (2, 60))
        self.assertEqual(got["DestinationConfig"], {"OnSuccess": {}, "OnFailure": {}})
        self.aws("lambda", "delete-function-event-invoke-config", "--function-name", "eic")
        with self.assertRaises(lam.exceptions.ResourceNotFoundException):
            lam.get_function_event_invoke_config(FunctionName="eic")
        with self.assertRaises(lam.exceptions.ResourceNotFoundException):
            lam.update_function_event_invoke_config(FunctionName="eic", MaximumRetryAttempts=1)

    def test_an_alias_config_follows_the_alias(self):
        # The configuration belongs to the alias (its FunctionArn names the alias): once
        # update-alias points the alias at another version, invocations through it still run
        # under it; the version it left and the one it reached keep none of their own.
        lam = self.client("lambda")
        self.function("eica")
        v1 = lam.publish_version(FunctionName="eica")["Version"]
        lam.update_function_configuration(FunctionName="eica",
                                          Environment={"Variables": {"VER": "2"}})
        v2 = lam.publish_version(FunctionName="eica")["Version"]
        self.assertNotEqual(v1, v2)
        lam.create_alias(FunctionName="eica", Name="live", FunctionVersion=v1)
        failures = self.queue("eica-failed")
        lam.put_function_event_invoke_config(
            FunctionName="eica", Qualifier="live", MaximumRetryAttempts=0,
            DestinationConfig={"OnFailure": {"Destination": failures}})
        lam.update_alias(FunctionName="eica", Name="live", FunctionVersion=v2)
        got = lam.get_function_event_invoke_config(FunctionName="eica", Qualifier="live")
        self.assertEqual(got["MaximumRetryAttempts"], 0)
        for q in (v1, v2):
            with self.assertRaises(lam.exceptions.ResourceNotFoundException):
                lam.get_function_event_invoke_config(FunctionName="eica", Qualifier=q)
        lam.invoke(FunctionName="eica", Qualifier="live", InvocationType="Event",
                   Payload=b'{"fail": true}')
        record = self.records("eica-failed", 1)[0]
        self.assertEqual(record["requestContext"]["approximateInvokeCount"], 1)
        self.assertEqual(record["requestContext"]["condition"], "RetriesExhausted")
        self.assertTrue(record["requestContext"]["functionArn"].endswith(":function:eica:live"),
                        record)

    def test_bad_input(self):
        self.function("eic-bad")
        path = "/2019-09-25/functions/eic-bad/event-invoke-config"
        for name, method, p, data, status, error in [
            ("retries 3", "PUT", path, b'{"MaximumRetryAttempts":3}', 400, "ValidationException"),
            ("retries -1", "PUT", path, b'{"MaximumRetryAttempts":-1}', 400,
             "ValidationException"),
            ("age 59", "PUT", path, b'{"MaximumEventAgeInSeconds":59}', 400,
             "ValidationException"),
            ("age 21601", "PUT", path, b'{"MaximumEventAgeInSeconds":21601}', 400,
             "ValidationException"),
            ("retries a word", "PUT", path, b'{"MaximumRetryAttempts":"two"}', 400,
             "InvalidRequestContentException"),
            ("not JSON", "PUT", path, b"{{", 400, "InvalidRequestContentException"),
            ("invalid UTF-8", "PUT", path, b'{"DestinationConfig":{"OnFailure":{"Destination":'
             b'"\xff\xfe"}}}', 400, "InvalidRequestContentException"),
            ("a destination that is no ARN", "PUT", path,
             b'{"DestinationConfig":{"OnFailure":{"Destination":"q"}}}', 400,
             "InvalidParameterValueException"),
            ("an SNS destination", "PUT", path,
             b'{"DestinationConfig":{"OnFailure":{"Destination":'
             b'"arn:aws:sns:us-east-1:000000000000:t"}}}', 400, "InvalidParameterValueException"),
            ("a destination of 400 bytes", "PUT", path, json.dumps(
                {"DestinationConfig": {"OnFailure": {"Destination": "arn:aws:sqs:" + "a" * 400}}}
            ).encode(), 400, "ValidationException"),
            ("an unknown function", "PUT", path.replace("eic-bad", "nosuch"), b"{}", 404,
             "ResourceNotFoundException"),
            ("none yet", "GET", path, b"", 404, "ResourceNotFoundException"),
            ("another path", "GET", path + "/x", b"", 404, "UnknownOperationException"),
        ]:
            with self.subTest(name):
                got = request(self.url, method, p, data)
                self.assertEqual(got[:2], (status, error), f"{name}: {got}")
        self.alive()


class ResourcePolicies(ControlPlaneCase):
    def test_add_get_remove_permission(self):
        lam = self.client("lambda")
        self.function("pol")
        with self.assertRaises(lam.exceptions.ResourceNotFoundException):
            lam.get_policy(FunctionName="pol")
        added = self.aws("lambda", "add-permission", "--function-name", "pol", "--statement-id",
                         "s3-invoke", "--action", "lambda:InvokeFunction", "--principal",
                         "s3.amazonaws.com", "--source-arn", "arn:aws:s3:::bucket",
                         "--source-account", "123456789012")
        statement = json.loads(added["Statement"])
        self.assertEqual(statement, {
            "Sid": "s3-invoke", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Resource": "arn:aws:lambda:us-east-1:000000000000:function:pol",
            "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::bucket"},
                          "StringEquals": {"AWS:SourceAccount": "123456789012"}}})
        lam.add_permission(FunctionName="pol", StatementId="acct", Action="lambda:*",
                           Principal="123456789012")
        got = lam.get_policy(FunctionName="pol")
        policy = json.loads(got["Policy"])
        self.assertEqual((policy["Version"], policy["Id"]), ("2012-10-17", "default"))
        self.assertEqual([s["Sid"] for s in policy["Statement"]], ["s3-invoke", "acct"])
        self.assertEqual(policy["Statement"][1]["Principal"],
                         {"AWS": "arn:aws:iam::123456789012:root"})
        with self.assertRaises(lam.exceptions.ResourceConflictException):
            lam.add_permission(FunctionName="pol", StatementId="acct", Action="lambda:*",
                               Principal="*")
        with self.assertRaises(lam.exceptions.PreconditionFailedException):
            lam.add_permission(FunctionName="pol", StatementId="x", Action="lambda:*",
                               Principal="*", RevisionId="stale")
        lam.add_permission(FunctionName="pol", StatementId="x", Action="lambda:*",
                           Principal="*", RevisionId=got["RevisionId"])
        self.aws("lambda", "remove-permission", "--function-name", "pol", "--statement-id", "x")
        with self.assertRaises(lam.exceptions.ResourceNotFoundException):
            lam.remove_permission(FunctionName="pol", StatementId="x")
        path = "/2015-03-31/functions/pol/policy"
        for name, data, status, error in [
            ("no StatementId", b'{"Action":"lambda:*","Principal":"*"}', 400,
             "ValidationException"),
            ("a StatementId with a space", b'{"StatementId":"a b","Action":"lambda:*",'
             b'"Principal":"*"}', 400, "ValidationException"),
            ("an Action of another service", b'{"StatementId":"a","Action":"s3:GetObject",'
             b'"Principal":"*"}', 400, "ValidationException"),
            ("Principal a number", b'{"StatementId":"a","Action":"lambda:*","Principal":1}', 400,
             "InvalidRequestContentException"),
            ("invalid UTF-8", b'{"StatementId":"\xff"}', 400, "InvalidRequestContentException"),
        ]:
            with self.subTest(name):
                got = request(self.url, "POST", path, data)
                self.assertEqual(got[:2], (status, error), f"{name}: {got}")
        # A policy has 20 KB at most.
        with self.assertRaises(lam.exceptions.PolicyLengthExceededException):
            for i in range(200):
                lam.add_permission(FunctionName="pol", StatementId=f"big-{i}", Action="lambda:*",
                                   Principal="*", SourceArn="arn:aws:s3:::" + "b" * 200)
        self.assertEqual(request(self.url, "POST", "/2015-03-31/functions/nosuch/policy",
                                 b'{"StatementId":"a","Action":"lambda:*","Principal":"*"}')[:2],
                         (404, "ResourceNotFoundException"))
        lam.delete_function(FunctionName="pol")
        self.function("pol")  # a new function of the same name has no policy
        with self.assertRaises(lam.exceptions.ResourceNotFoundException):
            lam.get_policy(FunctionName="pol")
        self.alive()


class AccountAndLists(ControlPlaneCase):
    def test_account_settings_reflect_the_state(self):
        lam = self.client("lambda")
        before = lam.get_account_settings()
        self.assertEqual(before["AccountLimit"]["CodeSizeUnzipped"], 262144000)
        self.assertEqual(before["AccountLimit"]["CodeSizeZipped"], 52428800)
        self.assertEqual(before["AccountLimit"]["ConcurrentExecutions"], 1000)
        self.function("acct-a")
        lam.put_function_concurrency(FunctionName="acct-a", ReservedConcurrentExecutions=30)
        after = self.aws("lambda", "get-account-settings")
        self.assertEqual(after["AccountUsage"]["FunctionCount"],
                         before["AccountUsage"]["FunctionCount"] + 1)
        self.assertEqual(after["AccountUsage"]["TotalCodeSize"],
                         before["AccountUsage"]["TotalCodeSize"] + len(ZIP))
        self.assertEqual(after["AccountLimit"]["UnreservedConcurrentExecutions"],
                         before["AccountLimit"]["UnreservedConcurrentExecutions"] - 30)

    def test_get_function_concurrency(self):
        lam = self.client("lambda")
        self.function("conc-a")
        self.assertNotIn("ReservedConcurrentExecutions",
                         lam.get_function_concurrency(FunctionName="conc-a"))
        lam.put_function_concurrency(FunctionName="conc-a", ReservedConcurrentExecutions=4)
        got = self.aws("lambda", "get-function-concurrency", "--function-name", "conc-a")
        self.assertEqual(got, {"ReservedConcurrentExecutions": 4})
        with self.assertRaises(lam.exceptions.ResourceNotFoundException):
            lam.get_function_concurrency(FunctionName="nosuch")

    def test_list_functions_in_pages(self):
        lam = self.client("lambda")
        names = [f"page-{i}" for i in range(5)]
        for n in names:
            self.function(n)
        first = lam.list_functions(MaxItems=2)
        self.assertEqual(len(first["Functions"]), 2)
        self.assertIn("NextMarker", first)
        everything = [f["FunctionName"] for p in lam.get_paginator("list_functions").paginate(
            PaginationConfig={"PageSize": 2}) for f in p["Functions"]]
        self.assertEqual(everything, sorted(everything))
        self.assertEqual(len(everything), len(set(everything)))
        self.assertTrue(set(names) <= set(everything))
        cli = self.aws("lambda", "list-functions", "--function-version", "ALL",
                       "--page-size", "1")
        self.assertEqual(sorted(f["FunctionName"] for f in cli["Functions"]), everything)
        for name, query, error in [
            ("MaxItems 0", "MaxItems=0", "ValidationException"),
            ("MaxItems a word", "MaxItems=x", "ValidationException"),
            ("FunctionVersion 1", "FunctionVersion=1", "ValidationException"),
            ("a Marker never given", "Marker=garbage", "InvalidParameterValueException"),
            ("a Marker not UTF-8", "Marker=%ff", "InvalidParameterValueException"),
        ]:
            with self.subTest(name):
                got = request(self.url, "GET", f"/2015-03-31/functions/?{query}")
                self.assertEqual(got[:2], (400, error), f"{name}: {got}")
        self.alive()

    def test_layers_listed_in_pages_and_found_by_arn(self):
        lam = self.client("lambda")
        content = zip_of({"python/lib.py": "X = 1\n"})
        arns = []
        for i in range(3):
            arns.append(lam.publish_layer_version(
                LayerName="lay-a", Content={"ZipFile": content},
                CompatibleRuntimes=["python3.11"] if i < 2 else ["nodejs20.x"])["LayerVersionArn"])
        lam.publish_layer_version(LayerName="lay-b", Content={"ZipFile": content},
                                  CompatibleRuntimes=["python3.11"])
        layers = {l["LayerName"]: l for l in self.aws("lambda", "list-layers")["Layers"]}
        self.assertEqual(layers["lay-a"]["LatestMatchingVersion"]["Version"], 3)
        py = {l["LayerName"]: l for l in lam.list_layers(CompatibleRuntime="python3.11")["Layers"]}
        self.assertEqual(py["lay-a"]["LatestMatchingVersion"]["LayerVersionArn"], arns[1])
        page = lam.list_layers(MaxItems=1)
        self.assertEqual(len(page["Layers"]), 1)
        self.assertIn("NextMarker", page)
        versions = [v["Version"] for p in lam.get_paginator("list_layer_versions").paginate(
            LayerName="lay-a", PaginationConfig={"PageSize": 1}) for v in p["LayerVersions"]]
        self.assertEqual(versions, [3, 2, 1])
        by_arn = self.aws("lambda", "get-layer-version-by-arn", "--arn", arns[0])
        self.assertEqual(by_arn["Version"], 1)
        with self.assertRaises(lam.exceptions.ResourceNotFoundException):
            lam.get_layer_version_by_arn(Arn=arns[0][:-1] + "9")
        got = request(self.url, "GET", "/2018-10-31/layers?find=LayerVersion&Arn=nope")
        self.assertEqual(got[:2], (400, "ValidationException"))
        got = request(self.url, "GET", "/2018-10-31/layers?MaxItems=51")
        self.assertEqual(got[:2], (400, "ValidationException"))
        self.alive()


class Differential(ControlPlaneCase):
    """The same calls to fx and to moto (`python3 -m moto.server`), compared."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        import sys
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                        "bench", "aws"))
        from moto_proxy import MotoServer
        cls.moto = MotoServer(log_path=os.path.join(cls.root, "moto.log"))

    @classmethod
    def tearDownClass(cls):
        cls.moto.close()
        super().tearDownClass()

    @staticmethod
    def outcome(call):
        try:
            call()
            return ("ok",)
        except Exception as e:  # botocore.exceptions.ClientError
            r = getattr(e, "response", None)
            if not r:
                raise
            return (r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"])

    def test_answers_compared_with_moto(self):
        def make(url):
            return {s: boto3.client(s, endpoint_url=url, region_name="us-east-1",
                                    aws_access_key_id="x", aws_secret_access_key="x",
                                    config=Config(parameter_validation=False,
                                                  retries={"max_attempts": 0}))
                    for s in ("lambda", "sqs", "iam")}
        servers = {"fx": make(self.url), "moto": make(self.moto.url)}
        for name, c in servers.items():
            role = ROLE if name == "fx" else c["iam"].create_role(
                RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
            for fn in ("d-a", "d-b", "d-c"):
                c["lambda"].create_function(FunctionName=fn, Runtime="python3.11",
                                            Handler="app.handler", Role=role,
                                            Code={"ZipFile": ZIP})
            c["sqs"].create_queue(QueueName="d-q")
        queue = QUEUE_ARN.format("d-q")
        moto_queue = queue.replace("000000000000", "123456789012")  # moto's account
        made = {}

        def create(c, q):
            made[c] = c.create_event_source_mapping(FunctionName="d-a", EventSourceArn=q)["UUID"]

        # (case, call(clients, queue ARN), expected fx answer, moto's when it deviates from AWS)
        cases = [
            # moto has no GetAccountSettings (404) and ignores ListFunctions' MaxItems, so
            # neither is compared here; AccountAndLists checks both against AWS's documentation.
            ("concurrency of an unknown function",
             lambda c, q: c["lambda"].get_function_concurrency(FunctionName="nosuch"),
             (404, "ResourceNotFoundException"), None),
            ("a mapping of a queue", lambda c, q: create(c["lambda"], q), ("ok",), None),
            # moto makes a second mapping of the same function and queue; AWS refuses it.
            ("the same mapping again", lambda c, q: create(c["lambda"], q),
             (409, "ResourceConflictException"), ("ok",)),
            ("updating the mapping",
             lambda c, q: c["lambda"].update_event_source_mapping(UUID=made[c["lambda"]],
                                                                  BatchSize=5), ("ok",), None),
            ("deleting the mapping",
             lambda c, q: c["lambda"].delete_event_source_mapping(UUID=made[c["lambda"]]),
             ("ok",), None),
            # moto deletes the second mapping the conflict above made; fx had made none.
            ("deleting it again",
             lambda c, q: c["lambda"].delete_event_source_mapping(UUID=made[c["lambda"]]),
             (404, "ResourceNotFoundException"), ("ok",)),
            ("a mapping of an unknown function",
             lambda c, q: c["lambda"].create_event_source_mapping(FunctionName="nosuch",
                                                                  EventSourceArn=q),
             (404, "ResourceNotFoundException"), None),
            # moto checks no ranges; BatchSize's documented minimum is 1.
            ("BatchSize 0",
             lambda c, q: c["lambda"].create_event_source_mapping(FunctionName="d-b",
                                                                  EventSourceArn=q, BatchSize=0),
             (400, "ValidationException"), ("ok",)),
        ]
        for name, call, expected, moto_deviates in cases:
            with self.subTest(name):
                got = {k: self.outcome(lambda: call(c, queue if k == "fx" else moto_queue))
                       for k, c in servers.items()}
                self.assertEqual(got["fx"], expected, name)
                self.assertEqual(got["moto"], moto_deviates or expected,
                                 f"{name}: moto changed; compare again")
        self.alive()


if __name__ == "__main__":
    main()
