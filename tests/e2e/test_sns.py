"""SNS topics on the emulator: the AWS CLI and boto3 against the real fx emulator (topics,
subscriptions, Publish and PublishBatch, attributes and tags, paging), deliveries to SQS queues
(the JSON envelope, and raw with message attributes) and to functions (`sns` events: a Python
and a Node function get the exact SNS record; a function publishes through boto3 with no
endpoint of its own), filter policies on attributes and on the body, durability across a
killed emulator, attacks (malformed forms, invalid UTF-8, unknown topics and actions, a
300 KiB message, bad attribute types) that must be SNS's 4xx and never a dead emulator, and a
differential class running the same boto3 calls against `python3 -m moto.server`.
"""
import http.client
import json
import os
import signal
import subprocess
import time
import urllib.parse

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from awstest import DifferentialCase
from fxtest import FxTestCase, main


AUTH = ("AWS4-HMAC-SHA256 Credential=fx/20260101/us-east-1/sns/aws4_request, "
        "SignedHeaders=host, Signature=00")
NS = "{http://sns.amazonaws.com/doc/2010-03-31/}"


def client(service, url):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="fx", aws_secret_access_key="fx",
                        config=Config(retries={"max_attempts": 1}))


def raw(url, body, headers=None):
    """One raw Query-protocol request: (status, body text)."""
    conn = http.client.HTTPConnection(url.split("//", 1)[1], timeout=30)
    data = body if isinstance(body, bytes) else body.encode()
    try:
        conn.request("POST", "/", data, {"Authorization": AUTH,
                                         "Content-Type": "application/x-www-form-urlencoded",
                                         **(headers or {})})
        r = conn.getresponse()
        return r.status, r.read().decode(errors="replace")
    finally:
        conn.close()


def error_code(text):
    start = text.find("<Code>")
    return text[start + 6:text.find("</Code>")] if start >= 0 else None


def code_of(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"]
    raise AssertionError("the call succeeded")


def receive_all(sqs, queue_url, want, timeout=10):
    """Messages of a queue until `want` have come (or the time is up)."""
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        r = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                MessageAttributeNames=["All"])
        for m in r.get("Messages", []):
            got.append(m)
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
    return got


class SnsApiTest(FxTestCase):
    """The API through the AWS CLI and boto3, queue subscribers, filter policies, attacks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sns = client("sns", cls.url)
        cls.sqs = client("sqs", cls.url)

    def aws(self, *args):
        env = dict(self.env, AWS_ACCESS_KEY_ID="fx", AWS_SECRET_ACCESS_KEY="fx",
                   AWS_DEFAULT_REGION="us-east-1")
        p = subprocess.run(["aws", *args, "--endpoint-url", self.url, "--output", "json"],
                           capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout) if p.stdout.strip() else None

    def queue(self, name):
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        return url, arn

    def test_cli_publishes_to_a_queue_in_the_envelope(self):
        arn = self.aws("sns", "create-topic", "--name", "cli-orders")["TopicArn"]
        self.assertEqual(arn, "arn:aws:sns:us-east-1:000000000000:cli-orders")
        # Idempotent by name.
        self.assertEqual(self.aws("sns", "create-topic", "--name", "cli-orders")["TopicArn"], arn)
        qurl, qarn = self.queue("cli-orders-q")
        sub = self.aws("sns", "subscribe", "--topic-arn", arn, "--protocol", "sqs",
                       "--notification-endpoint", qarn)["SubscriptionArn"]
        self.assertTrue(sub.startswith(arn + ":"), sub)
        mid = self.aws("sns", "publish", "--topic-arn", arn, "--message", "hello <&> ü",
                       "--subject", "greeting", "--message-attributes",
                       '{"kind": {"DataType": "String", "StringValue": "order"}, '
                       '"n": {"DataType": "Number", "StringValue": "42"}}')["MessageId"]
        [m] = receive_all(self.sqs, qurl, 1)
        env = json.loads(m["Body"])
        self.assertEqual(env["Type"], "Notification")
        self.assertEqual(env["MessageId"], mid)
        self.assertEqual(env["TopicArn"], arn)
        self.assertEqual(env["Subject"], "greeting")
        self.assertEqual(env["Message"], "hello <&> ü")
        self.assertRegex(env["Timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(env["SignatureVersion"], "1")
        for k in ("Signature", "SigningCertURL", "UnsubscribeURL"):
            self.assertTrue(env[k], k)
        self.assertIn(sub, env["UnsubscribeURL"])
        self.assertEqual(env["MessageAttributes"], {"kind": {"Type": "String", "Value": "order"},
                                                    "n": {"Type": "Number", "Value": "42"}})
        subs = self.aws("sns", "list-subscriptions-by-topic", "--topic-arn", arn)["Subscriptions"]
        self.assertEqual([(s["SubscriptionArn"], s["Protocol"], s["Endpoint"]) for s in subs],
                         [(sub, "sqs", qarn)])
        self.aws("sns", "unsubscribe", "--subscription-arn", sub)
        self.sns.publish(TopicArn=arn, Message="after unsubscribe")
        self.assertEqual(receive_all(self.sqs, qurl, 1, timeout=2), [])

    def test_raw_delivery_carries_attributes_as_sqs_attributes(self):
        arn = self.sns.create_topic(Name="raw-t")["TopicArn"]
        qurl, qarn = self.queue("raw-q")
        self.sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn,
                           Attributes={"RawMessageDelivery": "true"})
        self.sns.publish(TopicArn=arn, Message='{"raw": true}', MessageAttributes={
            "s": {"DataType": "String", "StringValue": "v"},
            "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
            "num": {"DataType": "Number.int", "StringValue": "7"}})
        [m] = receive_all(self.sqs, qurl, 1)
        self.assertEqual(m["Body"], '{"raw": true}')
        attrs = m["MessageAttributes"]
        self.assertEqual(attrs["s"], {"StringValue": "v", "DataType": "String"})
        self.assertEqual(attrs["b"], {"BinaryValue": b"\x00\x01\xff", "DataType": "Binary"})
        self.assertEqual(attrs["num"], {"StringValue": "7", "DataType": "Number.int"})

    def test_filter_policies_on_attributes_and_body(self):
        arn = self.sns.create_topic(Name="filtered")["TopicArn"]
        policies = {
            "exact": ({"kind": ["order"]}, None),
            "prefix": ({"region": [{"prefix": "eu-"}]}, None),
            "numeric": ({"price": [{"numeric": [">=", 10, "<", 100]}]}, None),
            "anything": ({"kind": [{"anything-but": ["order", "refund"]}]}, None),
            "exists": ({"vip": [{"exists": False}], "kind": ["order"]}, None),
            "or": ({"$or": [{"kind": ["refund"]}, {"price": [{"numeric": ["=", 5]}]}]}, None),
            "array": ({"tags": ["blue"]}, None),
            "body": ({"order": {"status": [{"equals-ignore-case": "PAID"}]}}, "MessageBody"),
            "suffix": ({"file": [{"suffix": ".png"}]}, "MessageBody"),
        }
        queues = {}
        for name, (policy, scope) in policies.items():
            qurl, qarn = self.queue(f"filter-{name}")
            attributes = {"FilterPolicy": json.dumps(policy)}
            if scope:
                attributes["FilterPolicyScope"] = scope
            self.sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn,
                               Attributes=attributes, ReturnSubscriptionArn=True)
            queues[name] = qurl

        def s(v):
            return {"DataType": "String", "StringValue": v}

        def n(v):
            return {"DataType": "Number", "StringValue": str(v)}
        messages = [
            ("m1", {"kind": s("order"), "region": s("eu-west-1"), "price": n(50)}),
            ("m2", {"kind": s("refund"), "price": n(5), "vip": s("yes")}),
            ("m3", {"kind": s("quote"), "region": s("us-east-1"), "price": n(100),
                    "tags": {"DataType": "String.Array", "StringValue": '["red", "blue"]'}}),
            ("m4", {"price": s("50")}),  # a String: numeric conditions do not match it
        ]
        for body, attributes in messages:
            self.sns.publish(TopicArn=arn, Message=json.dumps({"id": body}),
                             MessageAttributes=attributes)
        self.sns.publish(TopicArn=arn, Message=json.dumps(
            {"order": {"status": "paid"}, "file": "a.png"}))
        self.sns.publish(TopicArn=arn, Message="not json")
        expected = {"exact": ["m1"], "prefix": ["m1"], "numeric": ["m1"],
                    "anything": ["m3"], "exists": ["m1"], "or": ["m2"], "array": ["m3"],
                    "body": ["body"], "suffix": ["body"]}
        for name, want in expected.items():
            with self.subTest(policy=name):
                got = []
                for m in receive_all(self.sqs, queues[name], len(want), timeout=3):
                    msg = json.loads(json.loads(m["Body"])["Message"])
                    got.append(msg.get("id", "body"))
                self.assertEqual(sorted(got), want)
                # Nothing more comes: the others were filtered out, not delayed.
                self.assertEqual(receive_all(self.sqs, queues[name], 1, timeout=0.5), [])

    def test_attributes_tags_and_paging(self):
        arn = self.sns.create_topic(Name="attrs", Attributes={"DisplayName": "Attrs"},
                                    Tags=[{"Key": "team", "Value": "a"}])["TopicArn"]
        a = self.sns.get_topic_attributes(TopicArn=arn)["Attributes"]
        self.assertEqual((a["TopicArn"], a["DisplayName"], a["Owner"]),
                         (arn, "Attrs", "000000000000"))
        self.assertEqual(a["SubscriptionsConfirmed"], "0")
        self.sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName",
                                      AttributeValue="New")
        self.assertEqual(self.sns.get_topic_attributes(TopicArn=arn)["Attributes"]["DisplayName"],
                         "New")
        self.sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
        self.sns.untag_resource(ResourceArn=arn, TagKeys=["team"])
        self.assertEqual(self.sns.list_tags_for_resource(ResourceArn=arn)["Tags"],
                         [{"Key": "env", "Value": "dev"}])
        _, qarn = self.queue("attrs-q")
        sub = self.sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"]
        self.sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                             AttributeValue='{"k": ["v"]}')
        sa = self.sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
        self.assertEqual((sa["TopicArn"], sa["Protocol"], sa["Endpoint"], sa["FilterPolicy"],
                          sa["FilterPolicyScope"], sa["RawMessageDelivery"]),
                         (arn, "sqs", qarn, '{"k": ["v"]}', "MessageAttributes", "false"))
        # Subscribing again answers the same subscription.
        self.assertEqual(
            self.sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"], sub)
        for i in range(105):
            self.sns.create_topic(Name=f"page-{i:03}")
        seen, token = [], None
        pages = 0
        while True:
            r = self.sns.list_topics(**({"NextToken": token} if token else {}))
            seen += [t["TopicArn"] for t in r["Topics"]]
            pages += 1
            token = r.get("NextToken")
            if not token:
                break
        self.assertGreaterEqual(pages, 2)
        self.assertEqual(len(seen), len(set(seen)))
        self.assertTrue(all(f"arn:aws:sns:us-east-1:000000000000:page-{i:03}" in seen
                            for i in range(105)))
        self.sns.delete_topic(TopicArn=arn)
        self.assertEqual(code_of(self.sns.get_topic_attributes, TopicArn=arn), "NotFound")
        self.assertEqual(code_of(self.sns.get_subscription_attributes, SubscriptionArn=sub),
                         "NotFound")

    def test_publish_batch_with_a_failing_entry(self):
        arn = self.sns.create_topic(Name="batch")["TopicArn"]
        qurl, qarn = self.queue("batch-q")
        self.sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn)
        r = self.sns.publish_batch(TopicArn=arn, PublishBatchRequestEntries=[
            {"Id": "a", "Message": "one"},
            {"Id": "b", "Message": "two", "MessageAttributes": {
                "x": {"DataType": "Number", "StringValue": "not-a-number"}}},
            {"Id": "c", "Message": "three", "Subject": "s"}])
        self.assertEqual(sorted(e["Id"] for e in r["Successful"]), ["a", "c"])
        [failed] = r["Failed"]
        self.assertEqual((failed["Id"], failed["Code"], failed["SenderFault"]),
                         ("b", "ParameterValueInvalid", True))
        got = sorted(json.loads(m["Body"])["Message"] for m in receive_all(self.sqs, qurl, 2))
        self.assertEqual(got, ["one", "three"])
        self.assertEqual(code_of(self.sns.publish_batch, TopicArn=arn, PublishBatchRequestEntries=[
            {"Id": str(i), "Message": "m"} for i in range(11)]), "TooManyEntriesInBatchRequest")
        self.assertEqual(code_of(self.sns.publish_batch, TopicArn=arn, PublishBatchRequestEntries=[
            {"Id": "same", "Message": "m"}, {"Id": "same", "Message": "n"}]),
            "BatchEntryIdsNotDistinct")

    def test_fifo_topic_to_a_fifo_queue(self):
        arn = self.sns.create_topic(Name="orders.fifo", Attributes={
            "FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
        qurl = self.sqs.create_queue(QueueName="orders-q.fifo",
                                     Attributes={"FifoQueue": "true"})["QueueUrl"]
        qarn = self.sqs.get_queue_attributes(QueueUrl=qurl, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        _, plain = self.queue("plain-for-fifo")
        self.assertEqual(code_of(self.sns.subscribe, TopicArn=arn, Protocol="sqs",
                                 Endpoint=plain), "InvalidParameter")
        self.sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn)
        self.assertEqual(code_of(self.sns.publish, TopicArn=arn, Message="no group"),
                         "MissingParameter")
        for body in ("first", "first", "second"):  # the repeat is a duplicate by content
            self.sns.publish(TopicArn=arn, Message=body, MessageGroupId="g1")
        got = [json.loads(m["Body"])["Message"] for m in receive_all(self.sqs, qurl, 3, timeout=3)]
        self.assertEqual(got, ["first", "second"])

    def test_attacks_answer_sns_errors_and_the_emulator_lives(self):
        arn = self.sns.create_topic(Name="attacked")["TopicArn"]
        q = urllib.parse.quote
        cases = [
            ("Action=Publish&TopicArn=" + q(arn) + "&Message=%ZZ", 400, "MalformedQueryString"),
            (b"Action=Publish&TopicArn=" + q(arn).encode() + b"&Message=%ff%fe", 400,
             "MalformedQueryString"),
            (b"Action=CreateTopic&Name=\xff", 400, "MalformedQueryString"),
            ("Action=Publish&TopicArn=" + q(arn + "-none") + "&Message=x", 404, "NotFound"),
            ("Action=Publish&TopicArn=not-an-arn&Message=x", 400, "InvalidParameter"),
            ("Action=Publish&TopicArn=" + q(arn) + "&Message=" + "x" * (300 * 1024), 400,
             "InvalidParameter"),
            ("Action=Publish&TopicArn=" + q(arn) + "&Message=", 400, "InvalidParameter"),
            ("Action=Publish&TopicArn=" + q(arn) + "&Message=m"
             "&MessageAttributes.entry.1.Name=a&MessageAttributes.entry.1.Value.DataType=Date"
             "&MessageAttributes.entry.1.Value.StringValue=x", 400, "ParameterValueInvalid"),
            ("Action=Publish&TopicArn=" + q(arn) + "&Message=m"
             "&MessageAttributes.entry.1.Name=a&MessageAttributes.entry.1.Value.DataType=Binary"
             "&MessageAttributes.entry.1.Value.BinaryValue=%21%21", 400, "ParameterValueInvalid"),
            ("Action=Publish&TopicArn=" + q(arn) + "&Message=m"
             "&MessageAttributes.entry.1.Name=AWS.x&MessageAttributes.entry.1.Value.DataType=String"
             "&MessageAttributes.entry.1.Value.StringValue=x", 400, "ParameterValueInvalid"),
            ("Action=Publish&TopicArn=" + q(arn) + "&Message=m&Subject=" + "s" * 101, 400,
             "InvalidParameter"),
            ("Action=Publish&TopicArn=" + q(arn) + "&Message=m&MessageStructure=json", 400,
             "InvalidParameter"),
            ("Action=Subscribe&TopicArn=" + q(arn) + "&Protocol=http&Endpoint=http://x", 400,
             "InvalidParameter"),
            ("Action=Subscribe&TopicArn=" + q(arn) + "&Protocol=carrier-pigeon&Endpoint=x", 400,
             "InvalidParameter"),
            ("Action=Subscribe&TopicArn=" + q(arn) + "&Protocol=sqs&Endpoint=arn:aws:sqs:us-east-1"
             ":000000000000:q&Attributes.entry.1.key=FilterPolicy&Attributes.entry.1.value=" +
             q('{"a": [{"numeric": ["<>", 1]}]}'), 400, "InvalidParameter"),
            ("Action=Subscribe&TopicArn=" + q(arn) + "&Protocol=sqs&Endpoint=arn:aws:sqs:us-east-1"
             ":000000000000:q&Attributes.entry.1.key=FilterPolicy&Attributes.entry.1.value={",
             400, "InvalidParameter"),
            ("Action=Subscribe&TopicArn=" + q(arn) + "&Protocol=lambda&Endpoint=arn:aws:lambda:"
             "us-east-1:000000000000:function:f&Attributes.entry.1.key=RawMessageDelivery"
             "&Attributes.entry.1.value=true", 400, "InvalidParameter"),
            ("Action=CreateTopic&Name=" + "n" * 257, 400, "InvalidParameter"),
            ("Action=CreateTopic&Name=bad%20name", 400, "InvalidParameter"),
            ("Action=CreateTopic&Name=x.fifo", 400, "InvalidParameter"),
            ("Action=CreateTopic&Name=ok&Attributes.entry.1.key=Bogus&Attributes.entry.1.value=1",
             400, "InvalidParameter"),
            ("Action=ListTopics&NextToken=%21%21", 400, "InvalidParameter"),
            ("Action=DeleteEverything", 400, "InvalidAction"),
            ("Version=2010-03-31", 400, "MissingAction"),
            ("Action=GetSubscriptionAttributes&SubscriptionArn=" + q(arn + ":nope"), 404,
             "NotFound"),
            ("Action=TagResource&ResourceArn=" + q(arn + "-none") +
             "&Tags.member.1.Key=k&Tags.member.1.Value=v", 404, "ResourceNotFound"),
        ]
        for body, status, code in cases:
            with self.subTest(body=body[:120]):
                got_status, text = raw(self.url, body)
                self.assertEqual((got_status, error_code(text)), (status, code), text)
                self.assertIn("<Type>Sender</Type>", text)
        # Over the body limit: refused before it is read, in SNS's XML.
        status, text = raw(self.url, "Action=Publish&Message=" + "x" * (2 * 1024 * 1024))
        self.assertEqual((status, error_code(text)), (413, "RequestEntityTooLarge"), text)
        # Through boto3 too: the SDK reads the code out of the XML.
        self.assertEqual(code_of(self.sns.publish, TopicArn=arn + "-none", Message="x"),
                         "NotFound")
        self.assertEqual(code_of(self.sns.publish, TopicArn=arn, Message="x" * (300 * 1024)),
                         "InvalidParameter")
        self.assertEqual(self.sns.get_topic_attributes(TopicArn=arn)["Attributes"]["TopicArn"],
                         arn)

    def test_unsigned_or_foreign_requests_are_refused_in_xml(self):
        conn = http.client.HTTPConnection(self.url.split("//", 1)[1], timeout=10)
        conn.request("POST", "/", b"Action=ListTopics",
                     {"Content-Type": "application/x-www-form-urlencoded",
                      "Origin": "http://evil.example"})
        r = conn.getresponse()
        text = r.read().decode()
        conn.close()
        self.assertEqual(r.status, 403)
        self.assertEqual(error_code(text), "AccessDeniedException")


PUBLISHER = """
    import json, os
    import boto3
    def handler(event, context):
        sns = boto3.client("sns")
        arn = sns.create_topic(Name="fanout")["TopicArn"]
        out = []
        for kind in ("order", "refund"):
            out.append(sns.publish(TopicArn=arn, Message=json.dumps({"kind": kind}),
                                   Subject="from-" + kind, MessageAttributes={
                                       "kind": {"DataType": "String", "StringValue": kind}})
                       ["MessageId"])
        return out
    """

FANOUT_SERVICE = {
    "serverless.yaml": """
        service: SERVICE
        provider: {name: aws, runtime: python3.12}
        functions:
          publish:
            handler: publisher.handler
            runtime: python3.11
          orders:
            handler: sub.handler
            events:
              - sns:
                  topicName: fanout
                  displayName: Fan out
                  filterPolicy: {kind: [order]}
          everything:
            handler: index.handler
            runtime: nodejs20.x
            events:
              - sns: arn:aws:sns:us-east-1:000000000000:fanout
        """,
    "publisher.py": PUBLISHER,
    "sub.py": """
        import json
        def handler(event, context):
            print("EVENT " + json.dumps(event))
            return "ok"
        """,
    "index.js": """
        exports.handler = async (event) => {
          console.log('EVENT ' + JSON.stringify(event));
          return 'ok';
        };
        """,
}


class SnsFunctionsTest(FxTestCase):
    """`sns` events: two functions subscribed, one publishing through boto3, fx remove."""

    def events_of(self, fn):
        out = []
        for line in self.logs(fn):
            text = line.get("message", line.get("line", ""))
            if "EVENT " in text:
                out.append(json.loads(text[text.index("EVENT ") + 6:].strip()))
        return out

    def test_fanout_to_a_python_and_a_node_function(self):
        self.make_service(FANOUT_SERVICE)
        self.ok("deploy", timeout=300)
        sns = client("sns", self.url)
        topic = "arn:aws:sns:us-east-1:000000000000:fanout"
        subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        endpoints = sorted(s["Endpoint"] for s in subs)
        self.assertEqual(endpoints, [
            f"arn:aws:lambda:us-east-1:000000000000:function:{self.service_name}-dev-everything",
            f"arn:aws:lambda:us-east-1:000000000000:function:{self.service_name}-dev-orders"])
        self.assertEqual(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["DisplayName"],
                         "Fan out")
        ids = json.loads(self.ok("invoke", "publish", timeout=300).out)
        everything = self.wait_for(lambda: len(self.events_of("everything")) >= 2 and
                                   self.events_of("everything"), timeout=60,
                                   message="the Node subscriber's two events")
        orders = self.wait_for(lambda: self.events_of("orders"), timeout=60,
                               message="the Python subscriber's event")
        [record] = orders[0]["Records"]
        sub_arn = [s["SubscriptionArn"] for s in subs if s["Endpoint"].endswith("-orders")][0]
        self.assertEqual(set(record), {"EventSource", "EventVersion", "EventSubscriptionArn", "Sns"})
        self.assertEqual((record["EventSource"], record["EventVersion"],
                          record["EventSubscriptionArn"]), ("aws:sns", "1.0", sub_arn))
        sns_part = record["Sns"]
        self.assertEqual(set(sns_part), {"Type", "MessageId", "TopicArn", "Subject", "Message",
                                         "Timestamp", "SignatureVersion", "Signature",
                                         "SigningCertUrl", "UnsubscribeUrl", "MessageAttributes"})
        self.assertEqual((sns_part["Type"], sns_part["MessageId"], sns_part["TopicArn"],
                          sns_part["Subject"], json.loads(sns_part["Message"])),
                         ("Notification", ids[0], topic, "from-order", {"kind": "order"}))
        self.assertEqual(sns_part["MessageAttributes"],
                         {"kind": {"Type": "String", "Value": "order"}})
        # The filter policy kept the refund from `orders`; the Node function got both.
        time.sleep(0.5)
        self.assertEqual(len(self.events_of("orders")), 1)
        got = sorted(e["Records"][0]["Sns"]["MessageId"] for e in everything)
        self.assertEqual(got, sorted(ids))
        # fx remove: the subscriptions go, and the topic the deploy made with them.
        self.ok("remove", timeout=120)
        self.assertEqual(code_of(sns.get_topic_attributes, TopicArn=topic), "NotFound")
        self.assertEqual([s for s in sns.list_subscriptions()["Subscriptions"]
                          if s["TopicArn"] == topic], [])

    def test_bad_filter_policy_is_a_deploy_error_naming_the_event(self):
        self.make_service({"serverless.yaml": """
            service: SERVICE
            provider: {name: aws, runtime: python3.12}
            functions:
              f:
                handler: app.handler
                events:
                  - sns:
                      topicName: badpolicy
                      filterPolicy: {price: [{numeric: ["<>", 3]}]}
            """, "app.py": "def handler(e, c):\n    return 1\n"})
        r = self.fx("deploy", timeout=300)
        self.assertEqual(r.code, 1, r)
        self.assertRegex(r.err.splitlines()[0], r"^fx: error: .*serverless\.yaml:\d+:\d+.*filterPolicy")
        self.assertNotIn("fx emulates no SNS", r.out + r.err)

    def test_a_topic_only_aws_has_is_a_warning_not_a_failed_deploy(self):
        self.make_service({"serverless.yaml": """
            service: SERVICE
            provider: {name: aws, runtime: python3.12}
            functions:
              f:
                handler: app.handler
                events:
                  - sns: arn:aws:sns:us-east-1:123456789012:elsewhere
                  - sns: {arn: {Ref: AlertsTopic}}
            """, "app.py": "def handler(e, c):\n    return 1\n"})
        r = self.ok("deploy", timeout=300)
        self.assertIn("arn:aws:sns:us-east-1:123456789012:elsewhere is not one of the emulator's",
                      r.out + r.err)
        self.assertIn("CloudFormation reference", r.out + r.err)
        self.assertEqual(client("sns", self.url).list_subscriptions()["Subscriptions"], [])


class SnsDurabilityTest(FxTestCase):
    """Topics and subscriptions survive kill -9 of the emulator."""

    def test_survives_kill_9(self):
        sns, sqs = client("sns", self.url), client("sqs", self.url)
        arn = sns.create_topic(Name="durable")["TopicArn"]
        qurl = sqs.create_queue(QueueName="durable-q")["QueueUrl"]
        qarn = sqs.get_queue_attributes(QueueUrl=qurl, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn,
                            Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"]
        os.kill(self.pid, signal.SIGKILL)
        time.sleep(0.3)
        r = self.fx_static(["emulator", "start", "--port", "0", "--json"], cwd=self.root)
        self.assertEqual(r.code, 0, r)
        type(self).url, type(self).pid = r.json()["url"], r.json()["pid"]
        sns, sqs = client("sns", self.url), client("sqs", self.url)
        self.assertEqual(sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
                         ["RawMessageDelivery"], "true")
        sns.publish(TopicArn=arn, Message="after the crash")
        [m] = receive_all(sqs, sqs.get_queue_url(QueueName="durable-q")["QueueUrl"], 1)
        self.assertEqual(m["Body"], "after the crash")


def normalise(value):
    """Generated ids and the account (fx's 000000000000, moto's 123456789012) made equal."""
    if isinstance(value, dict):
        return {k: ("<id>" if k == "MessageId" else normalise(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, str):
        value = value.replace("000000000000", "<account>").replace("123456789012", "<account>")
        if value.startswith("arn:aws:sns:") and value.count(":") == 6:
            value = value.rsplit(":", 1)[0] + ":<id>"  # a subscription's generated suffix
    return value


def outcome(call, *args, **kwargs):
    """("ok", the answer without volatile fields) or ("error", code)."""
    try:
        r = call(*args, **kwargs)
    except ClientError as e:
        return ("error", e.response["Error"]["Code"])
    r.pop("ResponseMetadata", None)
    return ("ok", normalise(r))


class SnsDiffTest(DifferentialCase):
    """The same boto3 call sequences against fx and moto; answers compared after outcome()."""

    def both(self, steps):
        answers = []
        for url in (self.url, self.moto.url):
            c = client("sns", url)
            answers.append([step(c) for step in steps])
        return answers

    def compare(self, fx, moto, deviations=None):
        """A step in `deviations` is where moto departs from AWS's documentation: fx must give
        the documented answer there, and moto still differ (or the note is stale)."""
        deviations = deviations or {}
        for i, (a, b) in enumerate(zip(fx, moto)):
            with self.subTest(step=i):
                if i in deviations:
                    self.assertEqual(a, deviations[i])
                    self.assertNotEqual(b, deviations[i], "moto now agrees: drop the deviation")
                else:
                    self.assertEqual(a, b)

    def test_topic_and_subscription_sequence(self):
        t = "arn:aws:sns:us-east-1:123456789012:d-one"

        def arn(c, name="d-one"):
            return c.create_topic(Name=name)["TopicArn"]
        q = "arn:aws:sqs:us-east-1:000000000000:d-q"
        steps = [
            lambda c: outcome(c.create_topic, Name="d-one"),
            lambda c: outcome(c.create_topic, Name="d-one"),
            lambda c: outcome(c.create_topic, Name="bad name"),
            lambda c: outcome(c.create_topic, Name="d-two", Tags=[{"Key": "k", "Value": "v"}]),
            lambda c: outcome(c.list_tags_for_resource, ResourceArn=arn(c, "d-two")),
            lambda c: outcome(c.tag_resource, ResourceArn=arn(c, "d-two"),
                              Tags=[{"Key": "k2", "Value": "v2"}]),
            lambda c: outcome(c.untag_resource, ResourceArn=arn(c, "d-two"), TagKeys=["k"]),
            lambda c: outcome(c.list_tags_for_resource, ResourceArn=arn(c, "d-two")),
            lambda c: outcome(c.publish, TopicArn=arn(c), Message="hi"),
            lambda c: outcome(c.publish, TopicArn=arn(c) + "x", Message="hi"),
            lambda c: outcome(c.publish, TopicArn=arn(c), Message="hi", Subject="sub"),
            lambda c: outcome(c.publish, TopicArn=arn(c), Message='{"default": "d"}',
                              MessageStructure="json"),
            lambda c: outcome(c.publish, TopicArn=arn(c), Message="m", MessageAttributes={
                "a": {"DataType": "String", "StringValue": "v"}}),
            lambda c: outcome(c.publish, TopicArn=arn(c), Message="m", MessageAttributes={
                "a": {"DataType": "Date", "StringValue": "v"}}),
            lambda c: outcome(c.subscribe, TopicArn=arn(c), Protocol="sqs",
                              Endpoint=q.replace("000000000000", arn(c).split(":")[4])),
            lambda c: outcome(c.subscribe, TopicArn=arn(c) + "x", Protocol="sqs", Endpoint=q),
            lambda c: outcome(c.get_topic_attributes, TopicArn=arn(c) + "x"),
            lambda c: outcome(c.set_topic_attributes, TopicArn=arn(c), AttributeName="DisplayName",
                              AttributeValue="D"),
            lambda c: outcome(lambda **k: {"DisplayName": c.get_topic_attributes(**k)[
                "Attributes"]["DisplayName"]}, TopicArn=arn(c)),
            lambda c: outcome(lambda: {"n": len(c.list_subscriptions_by_topic(
                TopicArn=arn(c))["Subscriptions"])}),
            lambda c: outcome(c.publish_batch, TopicArn=arn(c), PublishBatchRequestEntries=[
                {"Id": "a", "Message": "1"}, {"Id": "b", "Message": "2"}]),
            lambda c: outcome(c.publish_batch, TopicArn=arn(c), PublishBatchRequestEntries=[
                {"Id": "a", "Message": "1"}, {"Id": "a", "Message": "2"}]),
            lambda c: outcome(c.publish_batch, TopicArn=arn(c), PublishBatchRequestEntries=[
                {"Id": str(i), "Message": "1"} for i in range(11)]),
            lambda c: outcome(c.delete_topic, TopicArn=arn(c, "d-two")),
            lambda c: outcome(c.delete_topic, TopicArn=arn(c, "d-two")),
            lambda c: outcome(c.get_topic_attributes, TopicArn=t.replace("d-one", "d-two")
                              .replace("123456789012", arn(c).split(":")[4])),
            lambda c: outcome(lambda: {"topics": sorted(x["TopicArn"].split(":")[-1] for x in
                                                        c.list_topics()["Topics"])}),
        ]
        fx, moto = self.both(steps)
        # Step 13: AWS's Publish reference documents an invalid attribute as
        # InvalidParameterValueException, code ParameterValueInvalid; moto says InvalidParameter.
        # Step 20: PublishBatch's reference answers each published entry in Successful (Id,
        # MessageId); moto's answer reads back as two empty lists through botocore.
        self.compare(fx, moto, deviations={
            13: ("error", "ParameterValueInvalid"),
            20: ("ok", {"Successful": [{"Id": "a", "MessageId": "<id>"},
                                       {"Id": "b", "MessageId": "<id>"}], "Failed": []})})


    def test_subscription_sequence(self):
        def arn(c, name="s-one"):
            return c.create_topic(Name=name)["TopicArn"]

        def queue(c, name="s-q"):
            return f"arn:aws:sqs:us-east-1:{arn(c).split(':')[4]}:{name}"

        def sub(c):
            return c.subscribe(TopicArn=arn(c), Protocol="sqs", Endpoint=queue(c))[
                "SubscriptionArn"]

        def sub_attrs(c, *keys):
            a = c.get_subscription_attributes(SubscriptionArn=sub(c))["Attributes"]
            return {k: a.get(k) for k in keys}
        steps = [
            lambda c: outcome(c.create_topic, Name="s-one"),
            lambda c: outcome(c.subscribe, TopicArn=arn(c), Protocol="sqs", Endpoint=queue(c)),
            lambda c: outcome(c.subscribe, TopicArn=arn(c), Protocol="sqs", Endpoint=queue(c)),
            lambda c: outcome(c.subscribe, TopicArn=arn(c), Protocol="sqs", Endpoint=queue(c),
                              ReturnSubscriptionArn=True),
            lambda c: outcome(c.subscribe, TopicArn=arn(c), Protocol="sqs", Endpoint="not-an-arn"),
            lambda c: outcome(lambda: sub_attrs(c, "Protocol", "RawMessageDelivery",
                                                "PendingConfirmation", "Owner")),
            lambda c: outcome(c.set_subscription_attributes, SubscriptionArn=sub(c),
                              AttributeName="RawMessageDelivery", AttributeValue="true"),
            lambda c: outcome(lambda: sub_attrs(c, "RawMessageDelivery")),
            lambda c: outcome(c.set_subscription_attributes, SubscriptionArn=sub(c),
                              AttributeName="FilterPolicy", AttributeValue='{"k": ["v"]}'),
            lambda c: outcome(lambda: sub_attrs(c, "FilterPolicy")),
            lambda c: outcome(c.set_subscription_attributes, SubscriptionArn=sub(c),
                              AttributeName="Bogus", AttributeValue="1"),
            lambda c: outcome(c.get_subscription_attributes,
                              SubscriptionArn=arn(c) + ":00000000-0000-4000-8000-000000000000"),
            lambda c: outcome(lambda: {"subs": [normalise(x["Endpoint"]) for x in
                                                c.list_subscriptions()["Subscriptions"]
                                                if x["TopicArn"] == arn(c)]}),
            lambda c: outcome(c.list_subscriptions_by_topic, TopicArn=arn(c) + "x"),
            lambda c: outcome(c.publish, TopicArn=arn(c), Message="m", MessageAttributes={
                "n": {"DataType": "Number", "StringValue": "12"},
                "b": {"DataType": "Binary", "BinaryValue": b"\x00"},
                "l": {"DataType": "String.Array", "StringValue": '["a", 1]'}}),
            lambda c: outcome(c.publish, TopicArn=arn(c), Message="m", MessageAttributes={
                "n": {"DataType": "String"}}),
            lambda c: outcome(c.publish, TopicArn=arn(c), Message="m", MessageAttributes={
                "n": {"DataType": "Number", "StringValue": "twelve"}}),
            lambda c: outcome(c.unsubscribe, SubscriptionArn=sub(c)),
            lambda c: outcome(c.unsubscribe,
                              SubscriptionArn=arn(c) + ":00000000-0000-4000-8000-000000000000"),
            lambda c: outcome(c.create_topic, Name="f.fifo", Attributes={"FifoTopic": "true"}),
            lambda c: outcome(c.publish, TopicArn=c.create_topic(
                Name="f.fifo", Attributes={"FifoTopic": "true"})["TopicArn"], Message="m"),
            lambda c: outcome(c.delete_topic, TopicArn=arn(c)),
            lambda c: outcome(lambda: {"subs": len([x for x in c.list_subscriptions()[
                "Subscriptions"] if x["TopicArn"].endswith(":s-one")])}),
        ]
        fx, moto = self.both(steps)
        # The three invalid attribute steps (15, 16): AWS's Publish reference documents them as
        # InvalidParameterValueException, code ParameterValueInvalid; moto says InvalidParameter.
        self.compare(fx, moto, deviations={15: ("error", "ParameterValueInvalid"),
                                           16: ("error", "ParameterValueInvalid")})

    def test_attribute_and_tag_sequence(self):
        def arn(c, name="a-one"):
            return c.create_topic(Name=name)["TopicArn"]

        def attrs(c, *keys, name="a-one"):
            a = c.get_topic_attributes(TopicArn=arn(c, name))["Attributes"]
            return {k: normalise(a.get(k)) for k in keys}
        steps = [
            lambda c: outcome(c.create_topic, Name="a-one", Attributes={"DisplayName": "One"}),
            lambda c: outcome(lambda: attrs(c, "DisplayName", "TopicArn", "Owner",
                                            "SubscriptionsConfirmed", "SubscriptionsPending",
                                            "SubscriptionsDeleted")),
            lambda c: outcome(c.set_topic_attributes, TopicArn=arn(c),
                              AttributeName="DisplayName", AttributeValue="Renamed"),
            lambda c: outcome(lambda: attrs(c, "DisplayName")),
            lambda c: outcome(c.set_topic_attributes, TopicArn=arn(c) + "x",
                              AttributeName="DisplayName", AttributeValue="x"),
            lambda c: outcome(c.create_topic, Name="a-fifo.fifo",
                              Attributes={"FifoTopic": "true",
                                          "ContentBasedDeduplication": "true"}),
            lambda c: outcome(lambda: attrs(c, "FifoTopic", "ContentBasedDeduplication",
                                            name="a-fifo.fifo")),
            lambda c: outcome(c.tag_resource, ResourceArn=arn(c),
                              Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]),
            lambda c: outcome(c.tag_resource, ResourceArn=arn(c),
                              Tags=[{"Key": "a", "Value": "3"}]),
            lambda c: outcome(lambda: {"tags": sorted(
                (t["Key"], t["Value"]) for t in
                c.list_tags_for_resource(ResourceArn=arn(c))["Tags"])}),
            lambda c: outcome(c.untag_resource, ResourceArn=arn(c), TagKeys=["a", "zz"]),
            lambda c: outcome(c.list_tags_for_resource, ResourceArn=arn(c)),
            lambda c: outcome(c.list_tags_for_resource, ResourceArn=arn(c) + "x"),
            lambda c: outcome(c.tag_resource, ResourceArn=arn(c), Tags=[
                {"Key": f"k{i}", "Value": "v"} for i in range(51)]),
            lambda c: outcome(c.publish, TopicArn=arn(c), Message="m", Subject="line\nbreak"),
            lambda c: outcome(c.publish, TopicArn=arn(c), Message="m", Subject="s" * 100),
            lambda c: outcome(c.publish, TargetArn=arn(c), Message="via TargetArn"),
            lambda c: outcome(c.publish, TopicArn=arn(c), Message="x" * (256 * 1024)),
            lambda c: outcome(c.publish, TopicArn=arn(c), Message="x" * (256 * 1024 + 1)),
            lambda c: outcome(c.delete_topic, TopicArn=arn(c)),
        ]
        fx, moto = self.both(steps)
        # Step 14: Publish's reference says a Subject has "no line breaks or control
        # characters"; moto takes one.
        self.compare(fx, moto, deviations={14: ("error", "InvalidParameter")})

if __name__ == "__main__":
    main()
