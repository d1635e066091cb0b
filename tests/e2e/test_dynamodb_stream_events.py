"""The `stream` event: functions fed a DynamoDB table's stream as Lambda's event source mapping
feeds them, through the real fx binary, a real emulator, real Python and Node functions, and
boto3 writing to the tables: INSERT, MODIFY and REMOVE with their images, batch size and
window, filter patterns, retries, bisection and the onFailure destination, partial batch
responses, the mapping through Lambda's API, kill -9 of the emulator mid-stream, and bad
settings in the manifest.
"""
import json
import os
import signal
import textwrap
import time

import boto3
from botocore.config import Config

from fxtest import FxTestCase, main

TABLE = """
        resources:
          Resources:
            Items:
              Type: AWS::DynamoDB::Table
              Properties:
                TableName: SERVICE-items
                BillingMode: PAY_PER_REQUEST
                AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
                KeySchema: [{AttributeName: pk, KeyType: HASH}]
                StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
"""

# Each function prints one line per batch: the records as they came.
PYTHON = """
        import json, os
        seen = set()
        def record(event, context):
            print("BATCH " + json.dumps(event["Records"]))
        def picky(event, context):
            print("BATCH " + json.dumps(event["Records"]))
            for r in event["Records"]:
                if r["dynamodb"]["Keys"]["pk"]["S"].startswith("bad"):
                    raise ValueError("cannot take " + r["dynamodb"]["Keys"]["pk"]["S"])
        def partial(event, context):
            print("BATCH " + json.dumps(event["Records"]))
            # Every bad record not seen before fails; the first of them is seen from then on.
            failed = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]
                      if r["dynamodb"]["Keys"]["pk"]["S"].startswith("bad")
                      and r["dynamodb"]["SequenceNumber"] not in seen]
            seen.update(failed[:1])
            return {"batchItemFailures": [{"itemIdentifier": s} for s in failed]}
        def slow(event, context):
            import time
            time.sleep(0.2)
            print("BATCH " + json.dumps(event["Records"]))
        """

NODE = """
        exports.handler = async (event) => {
          console.log("BATCH " + JSON.stringify(event.Records));
          return "ok";
        };
        """


def client(url, service):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="fx", aws_secret_access_key="fx",
                        config=Config(retries={"max_attempts": 1}))


class StreamEventsTest(FxTestCase):
    def setUp(self):
        self.ddb = client(self.url, "dynamodb")

    def deploy(self, functions, extra="", check=True):
        """Deploys the functions (YAML under `functions:`) with the table, and `extra` under
        resources.Resources."""
        manifest = ("service: SERVICE\nprovider:\n  name: aws\n  runtime: python3.11\nfunctions:\n"
                    + textwrap.indent(textwrap.dedent(functions).strip("\n"), "  ") + "\n"
                    + textwrap.dedent(TABLE).lstrip("\n")
                    + textwrap.indent(textwrap.dedent(extra).strip("\n"), "    ") + "\n")
        self.make_service({"serverless.yaml": manifest, "app.py": PYTHON, "index.js": NODE})
        self.table = f"{self.service_name}-items"
        if not check:
            return self.fx("deploy", timeout=120)
        return self.ok("deploy", "--json", timeout=120)

    def put(self, pk, **attrs):
        item = {"pk": {"S": pk}, **{k: {"S": v} for k, v in attrs.items()}}
        self.ddb.put_item(TableName=self.table, Item=item)

    def batches(self, fn):
        """The batches a function was given, in the order it got them."""
        out = []
        for line in self.logs(fn):
            # Python prints the line as it is; Node's console.log puts time, id and level first.
            text = line["message"]
            at = text.find("BATCH [")
            if at >= 0:
                out.append(json.loads(text[at + 6:]))
        return out

    def keys(self, batch):
        return [r["dynamodb"]["Keys"]["pk"]["S"] for r in batch]

    def wait_batches(self, fn, predicate, timeout=20, message="batches"):
        return self.wait_for(lambda: predicate(self.batches(fn)) and self.batches(fn),
                             timeout=timeout, message=message)

    def test_a_consumer_sees_insert_modify_and_remove_with_their_images(self):
        self.deploy("""
                  py:
                    handler: app.record
                    events:
                      - stream:
                          type: dynamodb
                          arn: !GetAtt Items.StreamArn
                          startingPosition: TRIM_HORIZON
                  js:
                    runtime: nodejs20.x
                    handler: index.handler
                    events:
                      - stream:
                          type: dynamodb
                          arn:
                            Fn::GetAtt: [Items, StreamArn]
                          startingPosition: TRIM_HORIZON
                          batchSize: 1
        """)
        stream_arn = self.ddb.describe_table(TableName=self.table)["Table"]["LatestStreamArn"]
        self.put("a", colour="red")
        self.ddb.update_item(TableName=self.table, Key={"pk": {"S": "a"}},
                             UpdateExpression="SET colour = :c", ExpressionAttributeValues={":c": {"S": "blue"}})
        self.ddb.put_item(TableName=self.table, Item={"pk": {"S": "a"}, "colour": {"S": "blue"}})  # no change: no record
        self.ddb.delete_item(TableName=self.table, Key={"pk": {"S": "a"}})
        for fn in ("py", "js"):
            got = self.wait_batches(fn, lambda b: sum(len(x) for x in b) >= 3,
                                    message=f"{fn}'s 3 records: {self.logs(fn)}")
            records = [r for batch in got for r in batch]
            self.assertEqual([r["eventName"] for r in records], ["INSERT", "MODIFY", "REMOVE"], fn)
            insert, modify, remove = records
            for r in records:
                self.assertEqual(r["eventSource"], "aws:dynamodb")
                self.assertEqual(r["eventSourceARN"], stream_arn)
                self.assertEqual(r["awsRegion"], "us-east-1")
                self.assertEqual(r["eventVersion"], "1.1")
                self.assertEqual(r["dynamodb"]["Keys"], {"pk": {"S": "a"}})
                self.assertEqual(r["dynamodb"]["StreamViewType"], "NEW_AND_OLD_IMAGES")
                self.assertIsInstance(r["dynamodb"]["ApproximateCreationDateTime"], (int, float))
            self.assertEqual(insert["dynamodb"]["NewImage"], {"pk": {"S": "a"}, "colour": {"S": "red"}})
            self.assertNotIn("OldImage", insert["dynamodb"])
            self.assertEqual(modify["dynamodb"]["OldImage"]["colour"], {"S": "red"})
            self.assertEqual(modify["dynamodb"]["NewImage"]["colour"], {"S": "blue"})
            self.assertEqual(remove["dynamodb"]["OldImage"]["colour"], {"S": "blue"})
            self.assertNotIn("NewImage", remove["dynamodb"])
            seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
            self.assertEqual(seqs, sorted(seqs))
        self.assertEqual([len(b) for b in self.batches("js")], [1, 1, 1])  # batchSize: 1
        # The mappings through Lambda's API, as the AWS CLI and SDKs read them.
        lam = client(self.url, "lambda")
        mappings = lam.list_event_source_mappings(EventSourceArn=stream_arn)["EventSourceMappings"]
        self.assertEqual(len(mappings), 2)
        by_function = {m["FunctionArn"].rsplit(":", 1)[1]: m for m in mappings}
        py = by_function[f"{self.service_name}-dev-py"]
        self.assertEqual(py["StartingPosition"], "TRIM_HORIZON")
        self.assertEqual(py["BatchSize"], 10)  # what the Serverless Framework sends when unset
        self.assertEqual(py["State"], "Enabled")
        self.assertEqual(py["LastProcessingResult"], "OK")
        self.assertEqual(py["MaximumRetryAttempts"], -1)
        self.assertEqual(by_function[f"{self.service_name}-dev-js"]["BatchSize"], 1)
        one = lam.get_event_source_mapping(UUID=py["UUID"])
        self.assertEqual(one["EventSourceArn"], stream_arn)

    def test_latest_skips_what_the_stream_had_and_batch_size_and_window_shape_batches(self):
        self.deploy("""
                  early:
                    handler: app.record
                    events:
                      - stream: {type: dynamodb, arn: !GetAtt Items.StreamArn, startingPosition: TRIM_HORIZON,
                                 batchSize: 3}
        """)
        # Seven records in one request: batches of 3, 3 and 1.
        self.ddb.batch_write_item(RequestItems={self.table: [
            {"PutRequest": {"Item": {"pk": {"S": f"k{i}"}}}} for i in range(7)]})
        got = self.wait_batches("early", lambda b: sum(len(x) for x in b) >= 7, message="7 records")
        self.assertEqual([len(b) for b in got], [3, 3, 1])
        self.assertEqual([k for b in got for k in self.keys(b)], [f"k{i}" for i in range(7)])
        # A mapping added later with LATEST sees only what comes after it; its window gathers
        # writes made one by one into one batch.
        with open(os.path.join(self.service_dir, "serverless.yaml")) as f:
            manifest = f.read()
        manifest = manifest.replace("functions:\n", """functions:
  late:
    handler: app.record
    events:
      - stream: {type: dynamodb, arn: !GetAtt Items.StreamArn, startingPosition: LATEST,
                 maximumBatchingWindow: 2}
""", 1)
        with open(os.path.join(self.service_dir, "serverless.yaml"), "w") as f:
            f.write(manifest)
        self.ok("deploy", timeout=120)
        for i in range(4):
            self.put(f"w{i}")
        got = self.wait_batches("late", lambda b: sum(len(x) for x in b) >= 4, message="the window's batch")
        self.assertEqual([self.keys(b) for b in got], [["w0", "w1", "w2", "w3"]])
        # The earlier mapping resumed where it was: nothing again, then the new writes.
        got = self.wait_batches("early", lambda b: sum(len(x) for x in b) >= 11, message="the new writes")
        self.assertEqual([k for b in got for k in self.keys(b)], [f"k{i}" for i in range(7)] + [f"w{i}" for i in range(4)])

    def test_filter_patterns_pass_only_matching_records_and_skip_the_rest(self):
        self.deploy("""
                  picky:
                    handler: app.record
                    events:
                      - stream:
                          type: dynamodb
                          arn: !GetAtt Items.StreamArn
                          filterPatterns:
                            - eventName: [INSERT]
                              dynamodb: {NewImage: {kind: {S: [order]}}}
                            - eventName: [REMOVE]
        """)
        self.put("o1", kind="order")
        self.put("n1", kind="note")
        self.put("o1", kind="order", extra="x")  # MODIFY: filtered out
        self.ddb.delete_item(TableName=self.table, Key={"pk": {"S": "n1"}})
        self.put("o2", kind="order")
        got = self.wait_batches("picky", lambda b: "o2" in [k for x in b for k in self.keys(x)],
                                message="the last order")
        records = [r for b in got for r in b]
        self.assertEqual([(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in records],
                         [("INSERT", "o1"), ("REMOVE", "n1"), ("INSERT", "o2")])

    def test_a_failing_batch_is_retried_bisected_and_sent_to_its_on_failure_queue(self):
        self.deploy("""
                  picky:
                    handler: app.picky
                    events:
                      - stream:
                          type: dynamodb
                          arn: !GetAtt Items.StreamArn
                          maximumBatchingWindow: 2
                          bisectBatchOnFunctionError: true
                          maximumRetryAttempts: 1
                          destinations:
                            onFailure: !GetAtt Failed.Arn
        """, extra="""
            Failed:
              Type: AWS::SQS::Queue
              Properties:
                QueueName: SERVICE-failed
        """)
        for pk in ("a", "b", "bad", "c"):
            self.put(pk)
        stream_arn = self.ddb.describe_table(TableName=self.table)["Table"]["LatestStreamArn"]
        sqs = client(self.url, "sqs")
        queue = sqs.get_queue_url(QueueName=f"{self.service_name}-failed")["QueueUrl"]
        messages = self.wait_for(lambda: sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages"),
                                 timeout=30, message="the failure record")
        self.assertEqual(len(messages), 1)
        failure = json.loads(messages[0]["Body"])
        info = failure["DDBStreamBatchInfo"]
        self.assertEqual(info["batchSize"], 1)
        self.assertEqual(info["streamArn"], stream_arn)
        self.assertEqual(info["startSequenceNumber"], info["endSequenceNumber"])
        # The shard as the Streams API describes it.
        shards = client(self.url, "dynamodbstreams").describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
        self.assertEqual(info["shardId"], shards[0]["ShardId"])
        self.assertEqual(failure["requestContext"]["condition"], "RetryAttemptsExhausted")
        self.assertEqual(failure["requestContext"]["approximateInvokeCount"], 2)
        self.assertTrue(failure["requestContext"]["functionArn"].endswith(f"function:{self.service_name}-dev-picky"))
        self.assertEqual(failure["responseContext"]["functionError"], "Unhandled")
        self.assertEqual(failure["version"], "1.0")
        # The whole batch failed, was split in two; the half with the bad record again, then the
        # bad record alone twice (one retry); c, after it, came once the shard was unblocked.
        self.put("d")
        got = self.wait_batches("picky", lambda b: ["d"] in [self.keys(x) for x in b], message="d")
        shapes = [self.keys(b) for b in got]
        self.assertEqual(shapes, [["a", "b", "bad", "c"], ["a", "b"], ["bad", "c"], ["bad"], ["bad"], ["c"], ["d"]])
        bad_seq = [r for r in got[3]][0]["dynamodb"]["SequenceNumber"]
        self.assertEqual(info["startSequenceNumber"], bad_seq)
        self.assertIn("sent to", "\n".join(l["message"] for l in self.logs("picky")))

    def test_report_batch_item_failures_resumes_from_the_first_failed_record(self):
        self.deploy("""
                  partial:
                    handler: app.partial
                    events:
                      - stream:
                          type: dynamodb
                          arn: !GetAtt Items.StreamArn
                          maximumBatchingWindow: 2
                          functionResponseType: ReportBatchItemFailures
        """)
        for pk in ("a", "bad1", "b", "bad2", "c"):
            self.put(pk)
        got = self.wait_batches("partial", lambda b: len(b) >= 3, message="the retries")
        time.sleep(0.5)  # nothing more comes
        shapes = [self.keys(b) for b in self.batches("partial")]
        self.assertEqual(shapes, [["a", "bad1", "b", "bad2", "c"], ["bad1", "b", "bad2", "c"], ["bad2", "c"]])

    def test_a_function_error_without_limits_retries_the_same_batch_and_blocks_the_shard(self):
        self.deploy("""
                  picky:
                    handler: app.picky
                    events:
                      - stream: {type: dynamodb, arn: !GetAtt Items.StreamArn, batchSize: 2}
        """)
        self.put("bad")
        got = self.wait_batches("picky", lambda b: len(b) >= 3, message="three tries")
        self.put("after")
        time.sleep(1)
        shapes = [self.keys(b) for b in self.batches("picky")]
        self.assertTrue(all(s == ["bad"] for s in shapes), shapes)  # "after" waits behind it
        lam = client(self.url, "lambda")
        m = lam.list_event_source_mappings(FunctionName=f"{self.service_name}-dev-picky")["EventSourceMappings"][0]
        self.assertEqual(m["LastProcessingResult"], "PROBLEM: Function call failed")

    def test_a_stream_arn_names_the_local_table_of_that_name_or_is_refused(self):
        # An ARN from AWS (another account, another label): the local table stands in.
        self.deploy('''
                  f:
                    handler: app.record
                    events:
                      - stream: arn:aws:dynamodb:eu-west-1:123456789012:table/SERVICE-items/stream/2020-01-01T00:00:00.000
        ''')
        self.put("x")
        got = self.wait_batches("f", lambda b: b, message="the record")
        self.assertEqual(self.keys(got[0]), ["x"])
        # A table the emulator does not have: the deploy is refused, saying which and what to do.
        r = self.deploy('''
                  g:
                    handler: app.record
                    events:
                      - stream: arn:aws:dynamodb:us-east-1:123456789012:table/ghost/stream/2020-01-01T00:00:00.000
        ''', check=False)
        self.assertEqual(r.code, 1, r)
        self.assertIn("fx: error: ", r.err)
        self.assertIn(f"function {self.service_name}-dev-g: its stream event reads stream arn:aws:dynamodb:us-east-1:123456789012:"
                      "table/ghost/stream/2020-01-01T00:00:00.000, but the emulator has no table ghost", r.err)

    def test_kill_9_mid_stream_loses_no_record(self):
        self.deploy("""
                  slow:
                    handler: app.slow
                    events:
                      - stream: {type: dynamodb, arn: !GetAtt Items.StreamArn, batchSize: 4}
        """)
        wanted = [f"k{i:02}" for i in range(40)]
        for i in range(0, 40, 20):
            self.ddb.batch_write_item(RequestItems={self.table: [
                {"PutRequest": {"Item": {"pk": {"S": pk}}}} for pk in wanted[i:i + 20]]})
        self.wait_batches("slow", lambda b: len(b) >= 3, message="a few batches")
        pid = self.ok("emulator", "status", "--json").json()["pid"]
        os.kill(pid, signal.SIGKILL)
        self.wait_for(lambda: self.fx("emulator", "status").code == 1, message="the emulator to die")
        r = self.ok("emulator", "start", "--port", "0", "--json")
        type(self).url = r.json()["url"]
        self.ddb = client(self.url, "dynamodb")
        got = self.wait_batches("slow", lambda b: set(wanted) <= {k for x in b for k in self.keys(x)},
                                timeout=60, message="every record after the restart")
        keys = [k for b in got for k in self.keys(b)]
        self.assertEqual(sorted(set(keys)), wanted)
        # At least once: only the batch in flight at the kill may come twice, in order.
        self.assertLessEqual(len(keys) - len(wanted), 4, keys)
        firsts = sorted(set(keys), key=keys.index)
        self.assertEqual(firsts, wanted)


class StreamMappingDiffTest(FxTestCase):
    """The mapping as fx's Lambda API answers it beside moto's for the same settings."""

    def test_the_mapping_reads_as_motos_does(self):
        import io
        import sys
        import zipfile
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "aws"))
        from moto_proxy import MotoServer
        moto = MotoServer(log_path=os.path.join(self.root, "moto.log"))
        self.addCleanup(moto.close)
        settings = dict(BatchSize=7, StartingPosition="TRIM_HORIZON", MaximumRetryAttempts=3,
                        MaximumRecordAgeInSeconds=3600, BisectBatchOnFunctionError=True,
                        MaximumBatchingWindowInSeconds=2,
                        FunctionResponseTypes=["ReportBatchItemFailures"])
        # moto: a table with a stream, a function, and the mapping made through the API.
        mddb, mlam = client(moto.url, "dynamodb"), client(moto.url, "lambda")
        mddb.create_table(TableName="items", BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                          StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        zipped = io.BytesIO()
        with zipfile.ZipFile(zipped, "w") as z:
            z.writestr("app.py", "def record(event, context):\n    return None\n")
        role = client(moto.url, "iam").create_role(RoleName="fx-test", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "lambda.amazonaws.com"}}]}))
        mlam.create_function(FunctionName="f", Runtime="python3.11", Handler="app.record",
                             Role=role["Role"]["Arn"], Code={"ZipFile": zipped.getvalue()})
        stream = mddb.describe_table(TableName="items")["Table"]["LatestStreamArn"]
        theirs = mlam.create_event_source_mapping(EventSourceArn=stream, FunctionName="f", **settings)
        theirs = mlam.get_event_source_mapping(UUID=theirs["UUID"])
        # fx: the same settings in the manifest.
        self.make_service({"serverless.yaml": "service: SERVICE\nprovider:\n  name: aws\n  runtime: python3.11\n"
                           "functions:\n  f:\n    handler: app.record\n    events:\n      - stream:\n"
                           "          type: dynamodb\n          arn: !GetAtt Items.StreamArn\n"
                           "          batchSize: 7\n          startingPosition: TRIM_HORIZON\n"
                           "          maximumRetryAttempts: 3\n          maximumRecordAgeInSeconds: 3600\n"
                           "          bisectBatchOnFunctionError: true\n          maximumBatchingWindow: 2\n"
                           "          functionResponseType: ReportBatchItemFailures\n"
                           + textwrap.dedent(TABLE).lstrip("\n"),
                           "app.py": PYTHON})
        self.ok("deploy", timeout=120)
        ours = client(self.url, "lambda").list_event_source_mappings(
            FunctionName=f"{self.service_name}-dev-f")["EventSourceMappings"][0]
        compared = []
        for key, value in theirs.items():
            if key in ("ResponseMetadata", "UUID", "FunctionArn", "EventSourceArn", "LastModified"):
                continue  # names, times and ids of each side's own
            if key == "EventSourceMappingArn":
                self.assertEqual(ours[key].rsplit(":", 1)[1], ours["UUID"])
                continue
            if key == "StateTransitionReason":
                # moto says "User initiated"; Lambda's API reference spells it USER_INITIATED.
                self.assertEqual(ours[key], "USER_INITIATED")
                continue
            self.assertIn(key, ours, f"moto answers {key}={value!r}, fx nothing")
            self.assertEqual(ours[key], value, key)
            compared.append(key)
        for key in settings:
            self.assertEqual(ours[key], settings[key], key)
        # moto answers no LastProcessingResult; Lambda's is "No records processed" until a batch.
        self.assertEqual(ours["LastProcessingResult"], "No records processed")
        self.assertGreaterEqual(len(compared), 8, (theirs, ours))


class StreamEventErrorsTest(FxTestCase):
    start_emulator = False

    def check_error(self, stream, pattern):
        """`fx package` of a function whose stream event has these lines fails at their line."""
        manifest = ("service: SERVICE\nprovider: {name: aws, runtime: python3.11}\nfunctions:\n"
                    "  f:\n    handler: app.record\n    events:\n      - stream:\n"
                    + "".join(f"          {line}\n" for line in stream)
                    + textwrap.dedent(TABLE).lstrip("\n"))
        self.make_service({"serverless.yaml": manifest, "app.py": PYTHON})
        r = self.fx("package")
        self.assertEqual(r.code, 1, r)
        self.assertRegex(r.err, r"^fx: error: serverless\.yaml:\d+:\d+: " + pattern)

    def test_bad_settings_are_errors_at_their_line(self):
        base = ["type: dynamodb", "arn: !GetAtt Items.StreamArn"]
        for setting, pattern in [
            ("batchSize: 10001", ".*batchSize"),
            ("batchSize: many", ".*batchSize"),
            ("startingPosition: AT_TIMESTAMP", ".*startingPosition"),
            ("maximumRetryAttempts: 10001", ".*maximumRetryAttempts"),
            ("maximumRecordAgeInSeconds: 30", ".*maximumRecordAgeInSeconds"),
            ("functionResponseType: Everything", ".*functionResponseType"),
            ("filterPatterns: [{eventName: INSERT}]", ".*filter"),
            ("bisectBatchOnFunctionError: maybe", ".*bisectBatchOnFunctionError"),
            # Lambda sends a stream's discarded batches to a queue or a topic, never a function.
            ("destinations: {onFailure: 'arn:aws:lambda:us-east-1:000000000000:function:x'}", ".*onFailure"),
        ]:
            with self.subTest(setting=setting):
                self.check_error(base + [setting], pattern)

    def test_a_stream_of_an_unknown_table_or_one_without_a_stream_is_an_error(self):
        self.check_error(["type: dynamodb", "arn: !GetAtt Nope.StreamArn"], ".*no table 'Nope'")
        self.check_error(["type: dynamodb", "arn: !GetAtt Items.Arn"], ".*not a stream")


if __name__ == "__main__":
    main()
