"""SQS FIFO queues on the emulator: the real AWS CLI and boto3, group order under concurrent
consumers, deduplication, attacks, persistence across kill -9, a FIFO event source mapping,
and a differential run of the same calls against moto (`python3 -m moto.server`).

The five-minute deduplication window is tested on the store's injected clock
(tests/unit/test_queues_fifo.cpp): here only its inside is.
"""
import http.client
import json
import os
import signal
import subprocess
import threading
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from awstest import DifferentialCase, MotoCase
from fxtest import FxTestCase, main


AUTH = ("AWS4-HMAC-SHA256 Credential=fx/20260101/us-east-1/sqs/aws4_request, "
        "SignedHeaders=host;x-amz-target, Signature=00")


def raw(url, action, body):
    """One SQS JSON request, sent as bytes (so malformed ones too): (status, answer)."""
    conn = http.client.HTTPConnection(url.split("//", 1)[1], timeout=60)
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    try:
        conn.request("POST", "/", data, {"X-Amz-Target": "AmazonSQS." + action, "Authorization": AUTH,
                                         "Content-Type": "application/x-amz-json-1.0"})
        r = conn.getresponse()
        text = r.read()
    finally:
        conn.close()
    try:
        return r.status, json.loads(text)
    except ValueError:
        return r.status, text.decode(errors="replace")


def error_type(answer):
    status, body = answer
    if status == 200:
        return None
    return body.get("__type", "").rsplit("#", 1)[-1] if isinstance(body, dict) else str(status)


def client(url):
    return boto3.client("sqs", endpoint_url=url, region_name="us-east-1", aws_access_key_id="t",
                        aws_secret_access_key="t", config=Config(retries={"max_attempts": 1}))


def code_of(call):
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def receive_bodies(sqs, url, attempt):
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, ReceiveRequestAttemptId=attempt)
    return [m["Body"] for m in got.get("Messages", [])]


class FifoQueues(FxTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.aws_env = {**cls.env, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": ""}
        cls.sqs_client = client(cls.url)

    def cli(self, *args, check=True):
        proc = subprocess.run(["aws", "--endpoint-url", self.url, "--output", "json", "sqs", *args],
                              env=self.aws_env, capture_output=True, text=True, timeout=60)
        if check:
            self.assertEqual(proc.returncode, 0, proc.stderr)
            return json.loads(proc.stdout) if proc.stdout.strip() else {}
        return proc

    def fifo(self, name, **attributes):
        attrs = {"FifoQueue": "true", **attributes}
        return self.sqs_client.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]

    def test_the_aws_cli_creates_and_uses_a_fifo_queue(self):
        # Refused (UnsupportedOperation) before FIFO queues existed.
        url = self.cli("create-queue", "--queue-name", "cli.fifo", "--attributes",
                       "FifoQueue=true,ContentBasedDeduplication=true")["QueueUrl"]
        self.assertTrue(url.endswith("/000000000000/cli.fifo"), url)
        attrs = self.cli("get-queue-attributes", "--queue-url", url, "--attribute-names", "All")["Attributes"]
        self.assertEqual((attrs["FifoQueue"], attrs["ContentBasedDeduplication"], attrs["DeduplicationScope"],
                          attrs["FifoThroughputLimit"]), ("true", "true", "queue", "perQueue"))
        first = self.cli("send-message", "--queue-url", url, "--message-body", "one", "--message-group-id", "g")
        self.assertRegex(first["SequenceNumber"], r"^\d{20}$")
        again = self.cli("send-message", "--queue-url", url, "--message-body", "one", "--message-group-id", "g")
        self.assertEqual(again["MessageId"], first["MessageId"])  # content-based: a duplicate
        second = self.cli("send-message", "--queue-url", url, "--message-body", "two", "--message-group-id", "g")
        self.assertGreater(int(second["SequenceNumber"]), int(first["SequenceNumber"]))
        got = self.cli("receive-message", "--queue-url", url, "--max-number-of-messages", "10",
                       "--attribute-names", "All", "--receive-request-attempt-id", "try-1")["Messages"]
        self.assertEqual([m["Body"] for m in got], ["one", "two"])
        self.assertEqual(got[0]["Attributes"]["MessageGroupId"], "g")
        self.assertEqual(got[0]["Attributes"]["SequenceNumber"], first["SequenceNumber"])
        self.assertEqual(len(got[0]["Attributes"]["MessageDeduplicationId"]), 64)  # the body's SHA-256
        # A .fifo name without the attribute, and the attribute without the name, are refused.
        r = self.cli("create-queue", "--queue-name", "plain.fifo", check=False)
        self.assertIn("InvalidParameterValue", r.stderr)
        r = self.cli("create-queue", "--queue-name", "plain", "--attributes", "FifoQueue=true", check=False)
        self.assertIn("InvalidParameterValue", r.stderr)
        r = self.cli("set-queue-attributes", "--queue-url", url, "--attributes", "FifoQueue=false", check=False)
        self.assertIn("InvalidAttributeName", r.stderr)

    def test_a_retried_receive_with_its_attempt_id_gets_the_same_messages(self):
        # Before: the id was checked and ignored, so the retry found the group locked by the
        # receive it repeats and got nothing (the messages waited out their visibility timeout).
        sqs = self.sqs_client
        url = self.fifo("attempts.fifo", VisibilityTimeout="60")
        for body in ("a1", "a2", "a3"):
            sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="a", MessageDeduplicationId=body)

        def receive(attempt, n=2, **extra):
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=n, ReceiveRequestAttemptId=attempt,
                                      AttributeNames=["ApproximateReceiveCount"], **extra)
            return [(m["Body"], m["ReceiptHandle"]) for m in got.get("Messages", [])]

        first = receive("try-1")
        self.assertEqual([b for b, _ in first], ["a1", "a2"])
        # The retry: the same messages with the same receipt handles, as SQS documents.
        self.assertEqual(receive("try-1"), first)
        self.assertEqual(receive("try-1", n=10), first)
        # Another id finds the group locked by the first receive.
        self.assertEqual(receive("try-2"), [])
        # The handles work: deleting a1 ends what try-1 can repeat; a fresh receive under the
        # same id then gets what is receivable (nothing: a2 still holds the group).
        sqs.delete_message(QueueUrl=url, ReceiptHandle=first[0][1])
        self.assertEqual(receive("try-1"), [])
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first[1][1], VisibilityTimeout=0)
        again = receive("try-3")
        self.assertEqual([b for b, _ in again], ["a2", "a3"])
        self.assertNotEqual(again[0][1], first[1][1])  # a new receive, a new handle
        # A visibility change voids the attempt too: the retry is a fresh receive.
        for _, handle in again:
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
        fresh = receive("try-3")
        self.assertEqual([b for b, _ in fresh], ["a2", "a3"])
        self.assertNotEqual(fresh[0][1], again[0][1])
        # A standard queue ignores the id, as SQS documents it for FIFO queues only.
        std = sqs.create_queue(QueueName="attempts-std", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
        sqs.send_message(QueueUrl=std, MessageBody="s1")
        got = sqs.receive_message(QueueUrl=std, ReceiveRequestAttemptId="x")
        self.assertEqual(len(got["Messages"]), 1)
        self.assertNotIn("Messages", sqs.receive_message(QueueUrl=std, ReceiveRequestAttemptId="x"))
        # Attacks: the id's documented limits, and a long poll whose first answer is empty.
        for bad in ("", "x" * 129, "tab\there", "é"):
            self.assertEqual(code_of(lambda: sqs.receive_message(QueueUrl=url, ReceiveRequestAttemptId=bad)),
                             "InvalidParameterValue", bad)
        empty = self.fifo("attempts-empty.fifo")
        self.assertNotIn("Messages", sqs.receive_message(QueueUrl=empty, ReceiveRequestAttemptId="p", WaitTimeSeconds=1))
        sqs.send_message(QueueUrl=empty, MessageBody="late", MessageGroupId="g", MessageDeduplicationId="late")
        self.assertEqual(receive_bodies(sqs, empty, "p"), ["late"])

    def test_groups_keep_their_order_under_concurrent_consumers(self):
        sqs = self.sqs_client
        url = self.fifo("orders.fifo", VisibilityTimeout="60")
        groups = {f"g{i}": [f"g{i}-{n:02d}" for n in range(15)] for i in range(4)}
        # Sent interleaved, in batches: each group's order is its sending order.
        pending = [(g, body) for n in range(15) for g, bodies in groups.items() for body in [bodies[n]]]
        for start in range(0, len(pending), 10):
            sqs.send_message_batch(QueueUrl=url, Entries=[
                {"Id": str(k), "MessageBody": body, "MessageGroupId": g, "MessageDeduplicationId": body}
                for k, (g, body) in enumerate(pending[start:start + 10])])
        log, lock, errors = [], threading.Lock(), []
        in_flight = set()

        def consume():
            c = client(self.url)
            idle = 0
            while idle < 3:
                got = c.receive_message(QueueUrl=url, MaxNumberOfMessages=3,
                                        AttributeNames=["MessageGroupId"]).get("Messages", [])
                if not got:
                    idle += 1
                    continue
                idle = 0
                with lock:
                    for m in got:
                        g = m["Attributes"]["MessageGroupId"]
                        # Only this consumer may hold the group's messages now.
                        if g in in_flight and not any(x["Attributes"]["MessageGroupId"] == g
                                                      for x in got[:got.index(m)]):
                            errors.append(f"group {g} delivered while in flight")
                        log.append((g, m["Body"]))
                    for g in {m["Attributes"]["MessageGroupId"] for m in got}:
                        in_flight.add(g)
                time.sleep(0.005)  # work on them
                with lock:
                    for g in {m["Attributes"]["MessageGroupId"] for m in got}:
                        in_flight.discard(g)
                for m in got:
                    c.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

        threads = [threading.Thread(target=consume) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertEqual(errors, [])
        for g, bodies in groups.items():
            self.assertEqual([b for lg, b in log if lg == g], bodies, g)

    def test_deduplication_ids_and_the_duplicate_answer(self):
        sqs = self.sqs_client
        url = self.fifo("dedup.fifo")
        first = sqs.send_message(QueueUrl=url, MessageBody="a", MessageGroupId="g", MessageDeduplicationId="d1")
        dup = sqs.send_message(QueueUrl=url, MessageBody="changed", MessageGroupId="g", MessageDeduplicationId="d1")
        self.assertEqual((dup["MessageId"], dup["SequenceNumber"]), (first["MessageId"], first["SequenceNumber"]))
        batch = sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": "x", "MessageBody": "b", "MessageGroupId": "g", "MessageDeduplicationId": "d2"},
            {"Id": "y", "MessageBody": "b again", "MessageGroupId": "h", "MessageDeduplicationId": "d2"},
            {"Id": "z", "MessageBody": "a", "MessageGroupId": "h", "MessageDeduplicationId": "d1"}])
        ids = {e["Id"]: e["MessageId"] for e in batch["Successful"]}
        self.assertEqual(ids["x"], ids["y"])
        self.assertEqual(ids["z"], first["MessageId"])
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        self.assertEqual([m["Body"] for m in got], ["a", "b"])
        # Without content-based deduplication a deduplication id is required; with it, the body's
        # hash is the id. messageGroup scope makes the same id in two groups two messages.
        self.assertEqual(code_of(lambda: sqs.send_message(QueueUrl=url, MessageBody="c", MessageGroupId="g")),
                         "InvalidParameterValue")
        scoped = self.fifo("scoped.fifo", ContentBasedDeduplication="true", DeduplicationScope="messageGroup",
                           FifoThroughputLimit="perMessageGroupId")
        a = sqs.send_message(QueueUrl=scoped, MessageBody="same", MessageGroupId="a")["MessageId"]
        b = sqs.send_message(QueueUrl=scoped, MessageBody="same", MessageGroupId="b")["MessageId"]
        self.assertNotEqual(a, b)
        attrs = sqs.get_queue_attributes(QueueUrl=scoped, AttributeNames=["DeduplicationScope", "FifoThroughputLimit"])
        self.assertEqual(attrs["Attributes"], {"DeduplicationScope": "messageGroup",
                                               "FifoThroughputLimit": "perMessageGroupId"})

    def test_dead_letter_queue_of_a_fifo_queue_is_fifo(self):
        sqs = self.sqs_client
        dlq = self.fifo("dead.fifo")
        std = sqs.create_queue(QueueName="dead-std")["QueueUrl"]
        arn = lambda u: sqs.get_queue_attributes(QueueUrl=u, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        policy = lambda u: json.dumps({"deadLetterTargetArn": arn(u), "maxReceiveCount": 1})
        self.assertEqual(code_of(lambda: self.fifo("src1.fifo", RedrivePolicy=policy(std))), "InvalidParameterValue")
        self.assertEqual(code_of(lambda: sqs.create_queue(QueueName="src1", Attributes={"RedrivePolicy": policy(dlq)})),
                         "InvalidParameterValue")
        src = self.fifo("src.fifo", RedrivePolicy=policy(dlq), VisibilityTimeout="0")
        sqs.send_message(QueueUrl=src, MessageBody="poison", MessageGroupId="g", MessageDeduplicationId="p")
        sqs.send_message(QueueUrl=src, MessageBody="next", MessageGroupId="g", MessageDeduplicationId="n")
        self.assertEqual(sqs.receive_message(QueueUrl=src)["Messages"][0]["Body"], "poison")
        self.assertEqual(sqs.receive_message(QueueUrl=src)["Messages"][0]["Body"], "next")  # poison moved
        dead = sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"])["Messages"][0]
        self.assertEqual((dead["Body"], dead["Attributes"]["MessageGroupId"]), ("poison", "g"))

    def test_attacks_get_sqs_errors_and_the_emulator_lives(self):
        sqs = self.sqs_client
        url = self.fifo("attacked.fifo")
        send = lambda **kw: code_of(lambda: sqs.send_message(QueueUrl=url, **{"MessageBody": "x", **kw}))
        self.assertEqual(send(MessageDeduplicationId="d"), "MissingParameter")
        self.assertEqual(send(MessageGroupId="g" * 129, MessageDeduplicationId="d"), "InvalidParameterValue")
        self.assertEqual(send(MessageGroupId="has space", MessageDeduplicationId="d"), "InvalidParameterValue")
        self.assertEqual(send(MessageGroupId="caf\u00e9", MessageDeduplicationId="d"), "InvalidParameterValue")
        self.assertEqual(send(MessageGroupId="g", MessageDeduplicationId="d" * 129), "InvalidParameterValue")
        self.assertEqual(send(MessageGroupId="g", MessageDeduplicationId="d", DelaySeconds=5), "InvalidParameterValue")
        self.assertEqual(send(MessageGroupId="g", MessageDeduplicationId="d", MessageBody="x" * 262145),
                         "InvalidParameterValue")
        self.assertEqual(send(MessageGroupId="g", MessageDeduplicationId="d", MessageBody="\ufffe"),
                         "InvalidMessageContents")
        # Raw requests: wrong types, invalid UTF-8, duplicate entry ids, an unknown queue.
        self.assertEqual(error_type(raw(self.url, "SendMessage", {"QueueUrl": url, "MessageBody": "x",
                                                                  "MessageGroupId": 5, "MessageDeduplicationId": "d"})),
                         "InvalidParameterValue")
        self.assertEqual(error_type(raw(self.url, "SendMessage", {"QueueUrl": url, "MessageBody": "x",
                                                                  "MessageGroupId": ["g"], "MessageDeduplicationId": "d"})),
                         "InvalidParameterValue")
        body = json.dumps({"QueueUrl": url, "MessageBody": "x", "MessageGroupId": "GG",
                           "MessageDeduplicationId": "d"}).encode().replace(b"GG", b"\xff\xfe")
        self.assertIn(raw(self.url, "SendMessage", body)[0], (400,))
        self.assertEqual(error_type(raw(self.url, "SendMessageBatch", {"QueueUrl": url, "Entries": [
            {"Id": "a", "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "1"},
            {"Id": "a", "MessageBody": "y", "MessageGroupId": "g", "MessageDeduplicationId": "2"}]})),
            "BatchEntryIdsNotDistinct")
        self.assertEqual(error_type(raw(self.url, "SendMessage", {"QueueUrl": url + "x", "MessageBody": "x",
                                                                  "MessageGroupId": "g"})), "QueueDoesNotExist")
        self.assertEqual(error_type(raw(self.url, "CreateQueue", {"QueueName": "a.fifo", "Attributes": {
            "FifoQueue": "true", "DeduplicationScope": "everywhere"}})), "InvalidAttributeValue")
        self.assertEqual(error_type(raw(self.url, "CreateQueue", {"QueueName": "b" * 76 + ".fifo",
                                                                  "Attributes": {"FifoQueue": "true"}})),
                         "InvalidParameterValue")
        self.assertEqual(error_type(raw(self.url, "ReceiveMessage", {"QueueUrl": url,
                                                                     "ReceiveRequestAttemptId": "x" * 129})),
                         "InvalidParameterValue")
        self.assertEqual(error_type(raw(self.url, "SendMessage", b"{not json")), "SerializationException")
        # Nothing was stored by any of them, and the emulator still answers.
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        self.assertEqual(attrs["Attributes"]["ApproximateNumberOfMessages"], "0")


FUNCTION_SERVICE = {
    "serverless.yaml": """
        service: SERVICE
        provider:
          name: aws
          runtime: python3.11
        custom:
          fx:
            queues:
              SERVICE-jobs.fifo:
                visibilityTimeout: 2
        functions:
          worker:
            handler: app.worker
            events:
              - sqs:
                  arn: arn:aws:sqs:us-east-1:000000000000:SERVICE-jobs.fifo
                  batchSize: 10
                  functionResponseType: ReportBatchItemFailures
        """,
    "app.py": """
        import json
        def worker(event, context):
            failed = []
            for r in event["Records"]:
                a = r["attributes"]
                # Reports only the failed message, then goes on: fx must still hold back the
                # rest of its group, as a FIFO mapping keeps groups in order.
                if r["body"] == "fails-once" and a["ApproximateReceiveCount"] == "1":
                    failed.append({"itemIdentifier": r["messageId"]})
                    print("FAILED " + r["body"])
                    continue
                print("DONE " + json.dumps([a["MessageGroupId"], r["body"], a["SequenceNumber"]]))
            return {"batchItemFailures": failed}
        """,
}


class FifoEventSource(FxTestCase):
    def test_a_fifo_mapping_delivers_groups_in_order_and_a_failure_blocks_its_group(self):
        self.make_service(FUNCTION_SERVICE)
        self.ok("deploy")
        # Warm: a first start (installing boto3 into a fresh FX_HOME) can outlast the queue's
        # short visibility timeout, which would redeliver the batch as SQS does.
        self.ok("invoke", "worker", "--data", '{"Records": []}')
        sqs = client(self.url)
        name = f"{self.service_name}-jobs.fifo"
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual((attrs["FifoQueue"], attrs["VisibilityTimeout"]), ("true", "2"))
        sent = [("a", "a1"), ("b", "b1"), ("a", "fails-once"), ("b", "b2"), ("a", "a3"), ("b", "b3")]
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": body, "MessageGroupId": g, "MessageDeduplicationId": body}
            for i, (g, body) in enumerate(sent)])

        def done():
            return [json.loads(l["message"][5:]) for l in self.logs("worker") if l["message"].startswith("DONE ")]

        self.wait_for(lambda: sum(1 for d in done() if d[1] == "fails-once") == 1 and
                      sum(1 for d in done() if d[1] == "a3") == 2, timeout=30, message="the retried group")
        lines = done()
        a = [d[1] for d in lines if d[0] == "a"]
        # a3 ran once in the failed batch (the function went on) and came back after fails-once.
        self.assertEqual(a, ["a1", "a3", "fails-once", "a3"], lines)
        self.assertEqual([d[1] for d in lines if d[0] == "b"], ["b1", "b2", "b3"])
        seqs = [d[2] for d in lines if d[0] == "b"]
        self.assertEqual(seqs, sorted(seqs))
        self.wait_for(lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
                      ["ApproximateNumberOfMessagesNotVisible"] == "0", message="every message deleted")
        self.assertEqual(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
                         ["Attributes"]["ApproximateNumberOfMessages"], "0")


DESTINATION_SERVICE = {
    "serverless.yaml": """
        service: SERVICE
        provider:
          name: aws
          runtime: python3.11
        custom:
          fx:
            queues:
              SERVICE-failed.fifo: {}
              SERVICE-failed: {}
        functions:
          tofifo:
            handler: app.job
            maximumRetryAttempts: 0
            destinations:
              onFailure: arn:aws:sqs:us-east-1:000000000000:SERVICE-failed.fifo
          tostd:
            handler: app.job
            maximumRetryAttempts: 0
            destinations:
              onFailure: arn:aws:sqs:us-east-1:000000000000:SERVICE-failed
        """,
    "app.py": """
        def job(event, context):
            raise RuntimeError("failed on purpose")
        """,
}


class FifoDestination(FxTestCase):
    def test_a_fifo_queue_gets_no_invocation_record_and_the_log_says_why(self):
        # Lambda's documentation (invocation-async-retain-records; the CloudFormation
        # DestinationConfig): destinations are standard queues, a FIFO one is unsupported and
        # its records fail (DestinationDeliveryFailures). Before, fx tried the send and logged
        # SQS's "MessageGroupId is required", which read as a bug of fx's own.
        self.make_service(DESTINATION_SERVICE)
        self.ok("deploy")
        for fn in ("tofifo", "tostd"):
            self.ok("invoke", fn, "--type", "Event")
        sqs = client(self.url)
        std = sqs.get_queue_url(QueueName=f"{self.service_name}-failed")["QueueUrl"]
        got = []
        self.wait_for(lambda: got.extend(sqs.receive_message(QueueUrl=std).get("Messages", [])) or got,
                      timeout=60, message="the standard queue's record")
        self.assertEqual(json.loads(got[0]["Body"])["requestContext"]["condition"], "RetriesExhausted")
        said = []
        self.wait_for(lambda: said.extend(l["message"] for l in self.logs("tofifo") if "NOT sent to" in l["message"])
                      or said, timeout=60, message="the FIFO destination's log line")
        self.assertIn(f"NOT sent to arn:aws:sqs:us-east-1:000000000000:{self.service_name}-failed.fifo: "
                      "Lambda sends no invocation or failure record to a FIFO queue", said[0])
        self.assertIn("make the destination a standard queue", said[0])
        fifo = sqs.get_queue_url(QueueName=f"{self.service_name}-failed.fifo")["QueueUrl"]
        count = sqs.get_queue_attributes(QueueUrl=fifo, AttributeNames=["ApproximateNumberOfMessages"])
        self.assertEqual(count["Attributes"]["ApproximateNumberOfMessages"], "0")


RESOURCES_SERVICE = {
    "serverless.yaml": """
        service: SERVICE
        provider:
          name: aws
          runtime: python3.11
        functions:
          worker:
            handler: app.worker
            events:
              - sqs:
                  arn: {Fn::GetAtt: [Orders, Arn]}
        resources:
          Resources:
            Orders:
              Type: AWS::SQS::Queue
              Properties:
                FifoQueue: true
                ContentBasedDeduplication: true
                RedrivePolicy:
                  deadLetterTargetArn: {Fn::GetAtt: [OrdersDlq, Arn]}
                  maxReceiveCount: 3
            OrdersDlq:
              Type: AWS::SQS::Queue
              Properties:
                QueueName: SERVICE-orders-dlq.fifo
                FifoQueue: true
        """,
    "app.py": """
        def worker(event, context):
            for r in event["Records"]:
                print("GOT " + r["attributes"]["MessageGroupId"] + " " + r["body"])
        """,
}


class FifoResources(FxTestCase):
    def test_a_fifo_queue_of_resources_is_made_with_its_settings(self):
        # Refused before: the emulator answered UnsupportedOperation to the .fifo queue.
        self.make_service(RESOURCES_SERVICE)
        self.ok("deploy")
        sqs = client(self.url)
        # CloudFormation names a FIFO queue without QueueName with a .fifo suffix.
        url = sqs.get_queue_url(QueueName="Orders.fifo")["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual((attrs["FifoQueue"], attrs["ContentBasedDeduplication"]), ("true", "true"))
        self.assertTrue(json.loads(attrs["RedrivePolicy"])["deadLetterTargetArn"].endswith(
            f":{self.service_name}-orders-dlq.fifo"))
        sqs.send_message(QueueUrl=url, MessageBody="hello", MessageGroupId="g")
        self.wait_for(lambda: any(l["message"].startswith("GOT g hello") for l in self.logs("worker")),
                      timeout=30, message="the message handled")
        # A FIFO setting on a standard queue is one clear error, where it is.
        self.make_service({**RESOURCES_SERVICE, "serverless.yaml": RESOURCES_SERVICE["serverless.yaml"].replace(
            "                FifoQueue: true\n                ContentBasedDeduplication", "                ContentBasedDeduplication")})
        r = self.fx("deploy")
        self.assertIn("ContentBasedDeduplication applies to FIFO queues only", r.err)


class AwsFifoQueues(MotoCase):
    def test_the_aws_target_makes_fifo_queues_with_their_settings(self):
        self.make_service(RESOURCES_SERVICE)
        self.deploy()
        sqs = self.boto("sqs")
        url = sqs.get_queue_url(QueueName="Orders.fifo")["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual((attrs["FifoQueue"], attrs["ContentBasedDeduplication"]), ("true", "true"))
        dlq = sqs.get_queue_url(QueueName=f"{self.service_name}-orders-dlq.fifo")["QueueUrl"]
        self.assertEqual(sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["FifoQueue"])["Attributes"],
                         {"FifoQueue": "true"})
        # Content-based deduplication turned off: set on the queue in place.
        path = os.path.join(self.service_dir, "serverless.yaml")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("ContentBasedDeduplication: true", "ContentBasedDeduplication: false"))
        self.deploy()
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual((attrs["FifoQueue"], attrs["ContentBasedDeduplication"]), ("true", "false"))
        self.ok("remove", "--target", "aws")


class FifoDurability(FxTestCase):
    start_emulator = False

    def test_groups_locks_and_deduplication_survive_kill_9(self):
        r = self.fx("emulator", "start", "--port", "0", "--json")
        self.assertEqual(r.code, 0, r)
        pid, url = r.json()["pid"], r.json()["url"]
        try:
            sqs = client(url)
            q = sqs.create_queue(QueueName="keep.fifo", Attributes={"FifoQueue": "true",
                                                                     "ContentBasedDeduplication": "true"})["QueueUrl"]
            first = sqs.send_message(QueueUrl=q, MessageBody="one", MessageGroupId="g")
            sqs.send_message(QueueUrl=q, MessageBody="two", MessageGroupId="g")
            held = sqs.receive_message(QueueUrl=q, VisibilityTimeout=600)["Messages"][0]
            self.assertEqual(held["Body"], "one")
            os.kill(pid, signal.SIGKILL)
            self.wait_for(lambda: subprocess.run(["kill", "-0", str(pid)], capture_output=True).returncode != 0,
                          message="the emulator gone")
            r = self.fx("emulator", "start", "--port", url.rsplit(":", 1)[1], "--json")
            self.assertEqual(r.code, 0, r)
            sqs = client(url)
            self.assertNotIn("Messages", sqs.receive_message(QueueUrl=q))  # g is still locked by "one"
            self.assertEqual(sqs.send_message(QueueUrl=q, MessageBody="one", MessageGroupId="g")["MessageId"],
                             first["MessageId"])  # still a duplicate
            # The receipt handle given before the crash still releases the group.
            sqs.change_message_visibility(QueueUrl=q, ReceiptHandle=held["ReceiptHandle"], VisibilityTimeout=0)
            got = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10)["Messages"]
            self.assertEqual([m["Body"] for m in got], ["one", "two"])
        finally:
            self.fx("emulator", "stop")


# Where moto answers differently from AWS's documentation, fx follows the documentation; each
# entry is (call name, moto's answer, why). The test checks moto still answers so.
MOTO_DEVIATIONS = {
    "send without group": [[400, "MissingRequiredParameterException"],
                           "SendMessage's documented error for a missing MessageGroupId is MissingParameter"],
    "duplicate has the first's id": [[200, False],
                                     "a duplicate is 'accepted successfully but not delivered' (SendMessage); "
                                     "SQS answers it with the first send's MessageId, moto makes up a new one"],
    "send batch": [[400, "MissingRequiredParameterException"],
                   "SendMessageBatch reports an entry's own error in Failed (BatchResultErrorEntry) and "
                   "sends the others; moto fails the whole request"],
    "send cbd": [[200, ["MD5OfMessageBody", "MessageId"]],
                 "SendMessage returns SequenceNumber for every FIFO send; moto omits it with "
                 "content-based deduplication"],
    "send cbd dup": [[200, ["MD5OfMessageBody", "MessageId"]], "as 'send cbd'"],
    "retry with attempt id": [[200, []],
                              "ReceiveMessage: 'retry the same action with an identical "
                              "ReceiveRequestAttemptId to retrieve the same set of messages, even if their "
                              "visibility timeout has not yet expired'; moto ignores the id, so its group is "
                              "locked by the receive being retried"],
    "receive rest": [[200, []],
                     "only the group with a message in flight is locked ('messages of other groups remain "
                     "available', FIFO delivery logic); moto locks every group"],
}


class FifoDifferential(DifferentialCase):
    """The same sequence of calls to fx and to moto, compared answer by answer."""

    def run_script(self, base):
        """The calls, against one endpoint: a list of (label, normalised answer)."""
        out = []
        q = lambda name: f"{base}/000000000000/{name}" if base == self.url else f"{base}/123456789012/{name}"

        def call(label, action, body):
            status, answer = raw(base, action, body)
            out.append((label, status, self.normalise(action, status, answer)))
            return answer

        call("create fifo", "CreateQueue", {"QueueName": "d.fifo", "Attributes": {"FifoQueue": "true"}})
        call("create fifo again", "CreateQueue", {"QueueName": "d.fifo", "Attributes": {"FifoQueue": "true"}})
        call("create cbd", "CreateQueue", {"QueueName": "c.fifo", "Attributes": {
            "FifoQueue": "true", "ContentBasedDeduplication": "true"}})
        call("create fifo without suffix", "CreateQueue", {"QueueName": "nosuffix", "Attributes": {"FifoQueue": "true"}})
        call("attributes", "GetQueueAttributes", {"QueueUrl": q("d.fifo"), "AttributeNames": [
            "FifoQueue", "ContentBasedDeduplication"]})
        call("attributes cbd", "GetQueueAttributes", {"QueueUrl": q("c.fifo"), "AttributeNames": [
            "FifoQueue", "ContentBasedDeduplication"]})
        call("send without group", "SendMessage", {"QueueUrl": q("d.fifo"), "MessageBody": "x",
                                                   "MessageDeduplicationId": "d"})
        call("send without dedup", "SendMessage", {"QueueUrl": q("d.fifo"), "MessageBody": "x",
                                                   "MessageGroupId": "g"})
        call("send with delay", "SendMessage", {"QueueUrl": q("d.fifo"), "MessageBody": "x", "MessageGroupId": "g",
                                                "MessageDeduplicationId": "d", "DelaySeconds": 5})
        first = call("send a1", "SendMessage", {"QueueUrl": q("d.fifo"), "MessageBody": "a1", "MessageGroupId": "a",
                                                "MessageDeduplicationId": "a1"})
        dup = call("send a1 again", "SendMessage", {"QueueUrl": q("d.fifo"), "MessageBody": "a1",
                                                    "MessageGroupId": "a", "MessageDeduplicationId": "a1"})
        out.append(("duplicate has the first's id", 200, first.get("MessageId") == dup.get("MessageId")))
        call("send a2", "SendMessage", {"QueueUrl": q("d.fifo"), "MessageBody": "a2", "MessageGroupId": "a",
                                        "MessageDeduplicationId": "a2"})
        call("send batch", "SendMessageBatch", {"QueueUrl": q("d.fifo"), "Entries": [
            {"Id": "1", "MessageBody": "b1", "MessageGroupId": "b", "MessageDeduplicationId": "b1"},
            {"Id": "2", "MessageBody": "b2", "MessageGroupId": "b", "MessageDeduplicationId": "b2"},
            {"Id": "3", "MessageBody": "nogroup", "MessageDeduplicationId": "n"}]})
        call("send cbd", "SendMessage", {"QueueUrl": q("c.fifo"), "MessageBody": "same", "MessageGroupId": "g"})
        call("send cbd dup", "SendMessage", {"QueueUrl": q("c.fifo"), "MessageBody": "same", "MessageGroupId": "h"})
        got = call("receive 1", "ReceiveMessage", {"QueueUrl": q("d.fifo"), "MaxNumberOfMessages": 1,
                                                   "AttributeNames": ["MessageGroupId", "MessageDeduplicationId"]})
        call("receive rest", "ReceiveMessage", {"QueueUrl": q("d.fifo"), "MaxNumberOfMessages": 10,
                                                "AttributeNames": ["MessageGroupId"]})
        call("receive locked", "ReceiveMessage", {"QueueUrl": q("d.fifo"), "MaxNumberOfMessages": 10})
        call("create attempts", "CreateQueue", {"QueueName": "r.fifo", "Attributes": {"FifoQueue": "true"}})
        call("send r1", "SendMessage", {"QueueUrl": q("r.fifo"), "MessageBody": "r1", "MessageGroupId": "r",
                                        "MessageDeduplicationId": "r1"})
        call("receive with attempt id", "ReceiveMessage", {"QueueUrl": q("r.fifo"), "ReceiveRequestAttemptId": "t1"})
        call("retry with attempt id", "ReceiveMessage", {"QueueUrl": q("r.fifo"), "ReceiveRequestAttemptId": "t1"})
        call("other attempt id", "ReceiveMessage", {"QueueUrl": q("r.fifo"), "ReceiveRequestAttemptId": "t2"})
        handle = (got.get("Messages") or [{}])[0].get("ReceiptHandle", "")
        call("delete a1", "DeleteMessage", {"QueueUrl": q("d.fifo"), "ReceiptHandle": handle})
        call("receive after delete", "ReceiveMessage", {"QueueUrl": q("d.fifo"), "MaxNumberOfMessages": 10})
        call("receive cbd", "ReceiveMessage", {"QueueUrl": q("c.fifo"), "MaxNumberOfMessages": 10})
        call("set FifoThroughputLimit", "SetQueueAttributes", {"QueueUrl": q("d.fifo"), "Attributes": {
            "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}})
        call("attributes after set", "GetQueueAttributes", {"QueueUrl": q("d.fifo"), "AttributeNames": [
            "DeduplicationScope", "FifoThroughputLimit"]})
        return out

    @staticmethod
    def normalise(action, status, answer):
        if status != 200:
            return error_type((status, answer))
        if action == "ReceiveMessage":
            return [(m["Body"], m.get("Attributes", {}).get("MessageGroupId")) for m in answer.get("Messages", [])]
        if action == "SendMessage":
            return sorted(k for k in answer if k != "MD5OfMessageAttributes")
        if action == "SendMessageBatch":
            return ([e["Id"] for e in answer.get("Successful", [])],
                    [(e["Id"], e["Code"]) for e in answer.get("Failed", [])])
        if action == "GetQueueAttributes":
            return answer.get("Attributes")
        if action == "CreateQueue":
            return answer["QueueUrl"].rsplit("/", 1)[-1]
        return answer

    def test_the_same_calls_get_the_same_answers(self):
        ours = self.run_script(self.url)
        theirs = self.run_script(self.moto.url)
        self.assertEqual([c[0] for c in ours], [c[0] for c in theirs])
        plain = lambda x: json.loads(json.dumps(x))  # tuples as lists, as the table has them
        unexplained, stale = [], []
        for (label, s1, a1), (_, s2, a2) in zip(ours, theirs):
            if label in MOTO_DEVIATIONS:
                # moto still answers as the table says, and fx does not answer as moto does.
                if plain([s2, a2]) != MOTO_DEVIATIONS[label][0] or plain([s1, a1]) == plain([s2, a2]):
                    stale.append((label, [s1, a1], [s2, a2]))
            elif plain([s1, a1]) != plain([s2, a2]):
                unexplained.append((label, [s1, a1], [s2, a2]))
        self.assertEqual(unexplained, [], "fx and moto differ")
        self.assertEqual(stale, [], "MOTO_DEVIATIONS no longer describes moto")


if __name__ == "__main__":
    main()
