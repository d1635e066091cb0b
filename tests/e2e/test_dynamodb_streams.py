"""DynamoDB Streams on the emulator's endpoint, through the real boto3 `dynamodbstreams` client
and the real AWS CLI (`aws dynamodbstreams`): the records each write leaves with the images of
its StreamViewType, every kind of shard iterator, paging, a stream turned off and on, iterators
that expire or were forged, attacks on every parameter, nothing lost to kill -9, and the same
calls sent to `python3 -m moto.server` compared field by field.
"""
import base64
import json
import os
import re
import signal
import subprocess
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from awstest import DifferentialCase, json_protocol_call
from fxtest import FxTestCase, main


LABEL = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$")


def clients(url):
    kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="fx",
              aws_secret_access_key="fx", config=Config(retries={"max_attempts": 1}))
    return boto3.client("dynamodb", **kw), boto3.client("dynamodbstreams", **kw)


def error_of(call, *args, **kwargs):
    """(code, message, HTTP status) of a call that must fail."""
    try:
        call(*args, **kwargs)
    except ClientError as e:
        return (e.response["Error"]["Code"], e.response["Error"]["Message"],
                e.response["ResponseMetadata"]["HTTPStatusCode"])
    raise AssertionError(f"{call.__name__} succeeded")


def raw(url, op, body, prefix="DynamoDBStreams_20120810."):
    """One raw request: (status, answer as JSON or text)."""
    return json_protocol_call(url, prefix + op, body, "dynamodb")


class StreamsCase(FxTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ddb, cls.streams = clients(cls.url)

    def make_table(self, name, view="NEW_AND_OLD_IMAGES", sort=None):
        keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
        defs = [{"AttributeName": "pk", "AttributeType": "S"}]
        if sort:
            keys.append({"AttributeName": sort, "KeyType": "RANGE"})
            defs.append({"AttributeName": sort, "AttributeType": "N"})
        extra = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": view}} if view else {}
        d = self.ddb.create_table(TableName=name, KeySchema=keys, AttributeDefinitions=defs,
                                  BillingMode="PAY_PER_REQUEST", **extra)["TableDescription"]
        return d.get("LatestStreamArn")

    def shard_of(self, arn):
        shards = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        self.assertEqual(len(shards), 1)
        return shards[0]["ShardId"]

    def iterator(self, arn, kind="TRIM_HORIZON", seq=None):
        kw = {"SequenceNumber": seq} if seq else {}
        return self.streams.get_shard_iterator(StreamArn=arn, ShardId=self.shard_of(arn),
                                               ShardIteratorType=kind, **kw)["ShardIterator"]

    def read_all(self, arn, kind="TRIM_HORIZON", limit=None):
        """Every record from the iterator on, following NextShardIterator until a page is empty."""
        it, out = self.iterator(arn, kind), []
        while it:
            page = self.streams.get_records(ShardIterator=it, **({"Limit": limit} if limit else {}))
            out += page["Records"]
            if not page["Records"]:
                break
            it = page.get("NextShardIterator")
        return out

    def assert_alive(self):
        self.assertIn("TableNames", self.ddb.list_tables())
        self.assertEqual(self.fx("emulator", "status").code, 0)


class Records(StreamsCase):
    def test_images_for_each_view_type(self):
        expected_images = {"KEYS_ONLY": (False, False), "NEW_IMAGE": (True, False),
                           "OLD_IMAGE": (False, True), "NEW_AND_OLD_IMAGES": (True, True)}
        for view, (new, old) in expected_images.items():
            name = "img-" + view.lower().replace("_", "-")
            arn = self.make_table(name, view, sort="n")
            key = {"pk": {"S": "a"}, "n": {"N": "1"}}
            self.ddb.put_item(TableName=name, Item={**key, "v": {"S": "one"}})
            self.ddb.put_item(TableName=name, Item={**key, "v": {"S": "one"}})  # unchanged: no record
            self.ddb.update_item(TableName=name, Key=key, UpdateExpression="SET v = :v",
                                 ExpressionAttributeValues={":v": {"S": "two"}})
            self.ddb.delete_item(TableName=name, Key=key)
            self.ddb.delete_item(TableName=name, Key=key)  # nothing there: no record
            recs = self.read_all(arn)
            self.assertEqual([r["eventName"] for r in recs], ["INSERT", "MODIFY", "REMOVE"], view)
            images = [({"S": "one"}, None), ({"S": "two"}, {"S": "one"}), (None, {"S": "two"})]
            seqs = []
            for r, (after, before) in zip(recs, images):
                self.assertEqual(r["eventVersion"], "1.1")
                self.assertEqual(r["eventSource"], "aws:dynamodb")
                self.assertEqual(r["awsRegion"], "us-east-1")
                self.assertRegex(r["eventID"], r"^[0-9a-f]{32}$")
                self.assertNotIn("userIdentity", r)
                d = r["dynamodb"]
                self.assertEqual(d["Keys"], key)
                self.assertEqual(d["StreamViewType"], view)
                self.assertLess(abs(d["ApproximateCreationDateTime"].timestamp() - time.time()), 120)
                self.assertRegex(d["SequenceNumber"], r"^\d{21}$")
                seqs.append(int(d["SequenceNumber"]))
                self.assertGreater(d["SizeBytes"], 0)
                if new and after:
                    self.assertEqual(d["NewImage"], {**key, "v": after})
                else:
                    self.assertNotIn("NewImage", d)
                if old and before:
                    self.assertEqual(d["OldImage"], {**key, "v": before})
                else:
                    self.assertNotIn("OldImage", d)
            self.assertEqual(seqs, sorted(seqs))
            self.assertEqual(len(set(seqs)), 3)

    def test_describe_stream_and_table(self):
        arn = self.make_table("desc", "KEYS_ONLY", sort="n")
        self.assertRegex(arn, r"^arn:aws:dynamodb:us-east-1:\d{12}:table/desc/stream/")
        t = self.ddb.describe_table(TableName="desc")["Table"]
        self.assertEqual(t["LatestStreamArn"], arn)
        self.assertTrue(LABEL.match(t["LatestStreamLabel"]), t["LatestStreamLabel"])
        self.assertEqual(t["StreamSpecification"], {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
        d = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]
        self.assertEqual(d["StreamArn"], arn)
        self.assertEqual(d["StreamLabel"], t["LatestStreamLabel"])
        self.assertEqual(d["StreamStatus"], "ENABLED")
        self.assertEqual(d["StreamViewType"], "KEYS_ONLY")
        self.assertEqual(d["TableName"], "desc")
        self.assertEqual(d["KeySchema"], [{"AttributeName": "pk", "KeyType": "HASH"},
                                          {"AttributeName": "n", "KeyType": "RANGE"}])
        self.assertLess(abs(d["CreationRequestDateTime"].timestamp() - time.time()), 120)
        (shard,) = d["Shards"]
        self.assertRegex(shard["ShardId"], r"^shardId-\d{20}-[0-9a-f]{8}$")
        self.assertNotIn("EndingSequenceNumber", shard["SequenceNumberRange"])
        self.assertNotIn("LastEvaluatedShardId", d)
        # Paging past the only shard leaves none.
        d2 = self.streams.describe_stream(StreamArn=arn, ExclusiveStartShardId=shard["ShardId"],
                                          Limit=1)["StreamDescription"]
        self.assertEqual(d2["Shards"], [])
        # The first record's number is where the shard starts.
        self.ddb.put_item(TableName="desc", Item={"pk": {"S": "x"}, "n": {"N": "5"}})
        (rec,) = self.read_all(arn)
        shard = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
        self.assertEqual(shard["SequenceNumberRange"]["StartingSequenceNumber"], rec["dynamodb"]["SequenceNumber"])

    def test_iterator_kinds_and_paging(self):
        arn = self.make_table("kinds")
        for i in range(7):
            self.ddb.put_item(TableName="kinds", Item={"pk": {"S": f"k{i}"}})
        latest = self.iterator(arn, "LATEST")
        recs = self.read_all(arn, limit=3)
        self.assertEqual([r["dynamodb"]["Keys"]["pk"]["S"] for r in recs], [f"k{i}" for i in range(7)])
        seqs = [r["dynamodb"]["SequenceNumber"] for r in recs]
        page = self.streams.get_records(ShardIterator=self.iterator(arn), Limit=3)
        self.assertEqual(len(page["Records"]), 3)
        at = self.streams.get_records(ShardIterator=self.iterator(arn, "AT_SEQUENCE_NUMBER", seqs[2]))
        self.assertEqual([r["dynamodb"]["SequenceNumber"] for r in at["Records"]], seqs[2:])
        after = self.streams.get_records(ShardIterator=self.iterator(arn, "AFTER_SEQUENCE_NUMBER", seqs[2]))
        self.assertEqual([r["dynamodb"]["SequenceNumber"] for r in after["Records"]], seqs[3:])
        # LATEST sees only what came after it, and an open shard always has a next iterator.
        empty = self.streams.get_records(ShardIterator=latest)
        self.assertEqual(empty["Records"], [])
        self.assertIn("NextShardIterator", empty)
        self.ddb.put_item(TableName="kinds", Item={"pk": {"S": "late"}})
        late = self.streams.get_records(ShardIterator=empty["NextShardIterator"])
        self.assertEqual([r["dynamodb"]["Keys"]["pk"]["S"] for r in late["Records"]], ["late"])
        again = self.streams.get_records(ShardIterator=late["NextShardIterator"])
        self.assertEqual(again["Records"], [])
        # An iterator can be read twice: it is a position, not a cursor.
        self.assertEqual(len(self.streams.get_records(ShardIterator=latest)["Records"]), 1)

    def test_other_tables_writes_do_not_show(self):
        a = self.make_table("mix-a")
        self.make_table("mix-b")
        for i in range(3):
            self.ddb.put_item(TableName="mix-a", Item={"pk": {"S": f"a{i}"}})
            self.ddb.put_item(TableName="mix-b", Item={"pk": {"S": f"b{i}"}})
        self.assertEqual([r["dynamodb"]["Keys"]["pk"]["S"] for r in self.read_all(a)], ["a0", "a1", "a2"])

    def test_stream_off_and_on(self):
        first = self.make_table("toggle", "NEW_IMAGE")
        self.ddb.put_item(TableName="toggle", Item={"pk": {"S": "before"}})
        self.ddb.update_table(TableName="toggle", StreamSpecification={"StreamEnabled": False})
        t = self.ddb.describe_table(TableName="toggle")["Table"]
        self.assertNotIn("StreamSpecification", t)
        self.assertEqual(t["LatestStreamArn"], first)  # DynamoDB keeps naming the last stream
        self.ddb.put_item(TableName="toggle", Item={"pk": {"S": "while-off"}})
        old = self.streams.describe_stream(StreamArn=first)["StreamDescription"]
        self.assertEqual(old["StreamStatus"], "DISABLED")
        rng = old["Shards"][0]["SequenceNumberRange"]
        self.assertEqual(rng["StartingSequenceNumber"], rng["EndingSequenceNumber"])
        self.ddb.update_table(TableName="toggle", StreamSpecification={"StreamEnabled": True,
                                                                      "StreamViewType": "OLD_IMAGE"})
        t = self.ddb.describe_table(TableName="toggle")["Table"]
        second = t["LatestStreamArn"]
        self.assertNotEqual(second, first)
        self.assertNotEqual(t["LatestStreamLabel"], old["StreamLabel"])
        self.ddb.put_item(TableName="toggle", Item={"pk": {"S": "before"}, "v": {"N": "1"}})
        # The old stream still reads, and its closed shard ends: no next iterator once read.
        page = self.streams.get_records(ShardIterator=self.iterator(first))
        self.assertEqual([r["dynamodb"]["Keys"]["pk"]["S"] for r in page["Records"]], ["before"])
        end = self.streams.get_records(ShardIterator=page["NextShardIterator"])
        self.assertEqual(end["Records"], [])
        self.assertNotIn("NextShardIterator", end)
        (rec,) = self.read_all(second)
        self.assertEqual(rec["eventName"], "MODIFY")
        self.assertEqual(rec["dynamodb"]["OldImage"], {"pk": {"S": "before"}})
        listed = self.streams.list_streams(TableName="toggle")["Streams"]
        self.assertEqual([s["StreamArn"] for s in listed], [first, second])
        self.assertEqual({s["TableName"] for s in listed}, {"toggle"})
        self.assertEqual(listed[1]["StreamLabel"], t["LatestStreamLabel"])
        # A deleted table's stream ends too, and stays readable.
        self.ddb.delete_table(TableName="toggle")
        self.assertEqual(self.streams.describe_stream(StreamArn=second)["StreamDescription"]["StreamStatus"],
                         "DISABLED")
        self.assertEqual(len(self.read_all(second)), 1)

    def test_list_streams_paging(self):
        arns = [self.make_table(f"page-{i}", "KEYS_ONLY") for i in range(5)]
        self.make_table("page-none", None)
        seen, start = [], {}
        while True:
            r = self.streams.list_streams(Limit=2, **start)
            self.assertLessEqual(len(r["Streams"]), 2)
            seen += [s["StreamArn"] for s in r["Streams"]]
            if "LastEvaluatedStreamArn" not in r:
                break
            self.assertEqual(r["LastEvaluatedStreamArn"], seen[-1])
            start = {"ExclusiveStartStreamArn": r["LastEvaluatedStreamArn"]}
        for a in arns:
            self.assertEqual(seen.count(a), 1)
        self.assertEqual(self.streams.list_streams(TableName="page-none")["Streams"], [])

    def test_ttl_deletion_carries_user_identity(self):
        # An item that expired before it was written goes at the next sweep (once a second).
        arn = self.make_table("ttl-id", "OLD_IMAGE")
        self.ddb.update_time_to_live(TableName="ttl-id",
                                     TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
        self.ddb.put_item(TableName="ttl-id", Item={"pk": {"S": "gone"}, "exp": {"N": str(int(time.time()) - 5)}})
        self.wait_for(lambda: len(self.read_all(arn)) == 2, timeout=15, message="time to live's REMOVE")
        rec = self.read_all(arn)[1]
        self.assertEqual(rec["eventName"], "REMOVE")
        # The Streams API's Identity shape is {PrincipalId, Type}; Lambda's event spells the same
        # members principalId and type (the store keeps the event's form).
        self.assertEqual(rec["userIdentity"], {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"})


class AwsCli(StreamsCase):
    def aws(self, *args):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="fx", AWS_SECRET_ACCESS_KEY="fx",
                   AWS_DEFAULT_REGION="us-east-1", HOME=self.root)
        p = subprocess.run(["aws", "--endpoint-url", self.url, "dynamodbstreams", *args, "--output", "json"],
                           capture_output=True, text=True, env=env, timeout=60)
        return p

    def test_cli(self):
        arn = self.make_table("cli", "NEW_AND_OLD_IMAGES")
        self.ddb.put_item(TableName="cli", Item={"pk": {"S": "a"}, "v": {"N": "1"}})
        self.ddb.put_item(TableName="cli", Item={"pk": {"S": "a"}, "v": {"N": "2"}})
        p = self.aws("list-streams", "--table-name", "cli")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual([s["StreamArn"] for s in json.loads(p.stdout)["Streams"]], [arn])
        p = self.aws("describe-stream", "--stream-arn", arn)
        self.assertEqual(p.returncode, 0, p.stderr)
        shard = json.loads(p.stdout)["StreamDescription"]["Shards"][0]["ShardId"]
        p = self.aws("get-shard-iterator", "--stream-arn", arn, "--shard-id", shard,
                     "--shard-iterator-type", "TRIM_HORIZON")
        self.assertEqual(p.returncode, 0, p.stderr)
        it = json.loads(p.stdout)["ShardIterator"]
        p = self.aws("get-records", "--shard-iterator", it)
        self.assertEqual(p.returncode, 0, p.stderr)
        recs = json.loads(p.stdout)["Records"]
        self.assertEqual([r["eventName"] for r in recs], ["INSERT", "MODIFY"])
        self.assertEqual(recs[1]["dynamodb"]["OldImage"]["v"], {"N": "1"})
        self.assertEqual(recs[1]["dynamodb"]["NewImage"]["v"], {"N": "2"})
        p = self.aws("describe-stream", "--stream-arn", arn + "x")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("ResourceNotFoundException", p.stderr)


class Attacks(StreamsCase):
    """Every parameter in the wrong type, too short, too long, unknown or forged: a 4xx with
    DynamoDB's error type, and the emulator lives."""

    def setUp(self):
        if not hasattr(type(self), "arn"):
            type(self).arn = self.make_table("victim", "NEW_IMAGE")
            self.ddb.put_item(TableName="victim", Item={"pk": {"S": "v"}})
            type(self).shard = self.shard_of(self.arn)
            type(self).good = self.iterator(self.arn)

    def expect(self, op, body, code, message=None, status=400):
        s, answer = raw(self.url, op, body)
        self.assertEqual(s, status, f"{op} {str(body)[:200]}: {answer}")
        self.assertIsInstance(answer, dict, answer)
        self.assertEqual(answer["__type"].rsplit("#", 1)[-1], code, answer)
        if message is not None:
            self.assertEqual(answer["message"], message)
        return answer["message"]

    def test_wrong_json_types(self):
        members = {"ListStreams": ["TableName", "Limit", "ExclusiveStartStreamArn"],
                   "DescribeStream": ["StreamArn", "Limit", "ExclusiveStartShardId"],
                   "GetShardIterator": ["StreamArn", "ShardId", "ShardIteratorType", "SequenceNumber"],
                   "GetRecords": ["ShardIterator", "Limit"]}
        for op, names in members.items():
            for name in names:
                for bad in ([1], {"a": 1}, True, "x" if name == "Limit" else 12.5):
                    self.expect(op, {name: bad}, "SerializationException")
        self.assert_alive()

    def test_malformed_bodies(self):
        for body in (b"{", b"[]", b"\"x\"", b"null", b"\xff\xfe{}", b'{"StreamArn": "\xc3\x28"}',
                     b"{" * 100000, b'{"Limit": 1e999}'):
            s, answer = raw(self.url, "DescribeStream", body)
            self.assertEqual(s, 400, (body[:20], answer))
        s, answer = raw(self.url, "PutRecord", {})
        self.assertEqual((s, answer["__type"].rsplit("#", 1)[-1]), (400, "UnknownOperationException"))
        self.assert_alive()

    def test_lengths_and_ranges(self):
        self.expect("DescribeStream", {}, "ValidationException",
                    "1 validation error detected: Value null at 'streamArn' failed to satisfy "
                    "constraint: Member must not be null")
        self.expect("DescribeStream", {"StreamArn": "short"}, "ValidationException",
                    "1 validation error detected: Value 'short' at 'streamArn' failed to satisfy "
                    "constraint: Member must have length greater than or equal to 37")
        self.expect("DescribeStream", {"StreamArn": "a" * 1025}, "ValidationException")
        # 800 KB of UTF-8, under the endpoint's 1 MB.
        self.expect("DescribeStream", json.dumps({"StreamArn": "é" * 400_000}, ensure_ascii=False).encode(),
                    "ValidationException")
        s, answer = raw(self.url, "DescribeStream", {"StreamArn": "x" * 2_000_000})
        self.assertEqual(s, 413, answer)  # past the endpoint's 1 MB for a request of this kind
        for op, body in (("ListStreams", {"Limit": 0}), ("ListStreams", {"Limit": 101}),
                         ("DescribeStream", {"StreamArn": self.arn, "Limit": 0}),
                         ("DescribeStream", {"StreamArn": self.arn, "ExclusiveStartShardId": "s"}),
                         ("GetRecords", {"ShardIterator": self.good, "Limit": 0}),
                         ("GetRecords", {"ShardIterator": self.good, "Limit": 1001}),
                         ("GetRecords", {"ShardIterator": self.good, "Limit": -(2 ** 63)}),
                         ("GetRecords", {"ShardIterator": ""}),
                         ("GetRecords", {"ShardIterator": "x" * 2049}),
                         ("GetRecords", {}),
                         ("ListStreams", {"TableName": "ab"}),
                         ("ListStreams", {"TableName": "bad name!"}),
                         ("GetShardIterator", {"StreamArn": self.arn, "ShardId": self.shard}),
                         ("GetShardIterator", {"StreamArn": self.arn, "ShardId": self.shard,
                                               "ShardIteratorType": "OLDEST"}),
                         ("GetShardIterator", {"StreamArn": self.arn, "ShardId": "short",
                                               "ShardIteratorType": "LATEST"}),
                         ("GetShardIterator", {"StreamArn": self.arn, "ShardId": self.shard,
                                               "ShardIteratorType": "AT_SEQUENCE_NUMBER"}),
                         ("GetShardIterator", {"StreamArn": self.arn, "ShardId": self.shard,
                                               "ShardIteratorType": "AT_SEQUENCE_NUMBER",
                                               "SequenceNumber": "12"}),
                         ("GetShardIterator", {"StreamArn": self.arn, "ShardId": self.shard,
                                               "ShardIteratorType": "AT_SEQUENCE_NUMBER",
                                               "SequenceNumber": "x" * 21}),
                         ("GetShardIterator", {"StreamArn": self.arn, "ShardId": self.shard,
                                               "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                                               "SequenceNumber": "9" * 40}),
                         ("GetShardIterator", {"StreamArn": self.arn, "ShardId": self.shard,
                                               "ShardIteratorType": "AT_SEQUENCE_NUMBER",
                                               "SequenceNumber": "0" * 21})):
            self.expect(op, body, "ValidationException")
        self.assert_alive()

    def test_unknown_names(self):
        other = self.arn.replace("/victim/", "/nobody/")
        msg = self.expect("DescribeStream", {"StreamArn": other}, "ResourceNotFoundException")
        self.assertEqual(msg, f"Requested resource not found: Stream: {other} not found")
        self.expect("GetShardIterator", {"StreamArn": other, "ShardId": self.shard,
                                         "ShardIteratorType": "LATEST"}, "ResourceNotFoundException")
        self.expect("GetShardIterator", {"StreamArn": self.arn, "ShardId": "shardId-00000000000000000000-00000000",
                                         "ShardIteratorType": "LATEST"}, "ResourceNotFoundException",
                    "Requested resource not found: Shard does not exist")
        self.expect("ListStreams", {"TableName": "no-such-table"}, "ResourceNotFoundException",
                    "Requested resource not found: Table: no-such-table not found")
        self.expect("ListStreams", {"ExclusiveStartStreamArn": other}, "ResourceNotFoundException")
        self.assert_alive()

    def test_forged_iterators(self):
        good = self.good
        arn, _, token = good.partition("|1|")
        payload = base64.b64decode(token)
        body, mac = payload[:-16], payload[-16:]
        forged = [
            "garbage",
            arn,
            good + "x",
            good[:-4],
            arn + "|1|" + "!!!!",
            arn + "|2|" + token,
            "|1|" + token,
            arn.replace("victim", "other") + "|1|" + token,  # the MAC covers the ARN
            arn + "|1|" + base64.b64encode(body.replace(b":", b";", 1) + mac).decode(),
            arn + "|1|" + base64.b64encode(b"1:0:99999999999999" + mac).decode(),  # moved, same MAC
            arn + "|1|" + base64.b64encode(body + bytes(16)).decode(),
            arn + "|1|" + base64.b64encode(mac).decode(),
            arn + "|1|" + base64.b64encode(b"\xff" * 600).decode(),
            arn + "|1|" + "A" * 1500,
        ]
        for it in forged:
            self.expect("GetRecords", {"ShardIterator": it}, "ValidationException", "Invalid ShardIterator")
        # Through boto3 too, and the genuine one still works after all that.
        code, msg, status = error_of(self.streams.get_records, ShardIterator=forged[-2])
        self.assertEqual((code, status), ("ValidationException", 400))
        self.assertEqual(len(self.streams.get_records(ShardIterator=good)["Records"]), 1)
        self.assert_alive()


class Expiry(StreamsCase):
    # The emulator's clock runs 900 times faster: an iterator's 15 minutes pass in one second.
    emulator_env = {"FX_EMULATOR_CLOCK_SPEED": "900"}

    def test_iterator_expires_after_15_minutes(self):
        arn = self.make_table("exp", "KEYS_ONLY")
        self.ddb.put_item(TableName="exp", Item={"pk": {"S": "a"}})
        it = self.iterator(arn)
        page = self.streams.get_records(ShardIterator=it)  # fresh: fine
        self.assertEqual(len(page["Records"]), 1)
        time.sleep(1.5)
        code, msg, status = error_of(self.streams.get_records, ShardIterator=it)
        self.assertEqual((code, status), ("ExpiredIteratorException", 400), msg)
        code, _, _ = error_of(self.streams.get_records, ShardIterator=page["NextShardIterator"])
        self.assertEqual(code, "ExpiredIteratorException")
        # A new one works.
        self.assertEqual(len(self.streams.get_records(ShardIterator=self.iterator(arn))["Records"]), 1)


class KillNine(StreamsCase):
    def test_records_and_iterators_survive_kill_9(self):
        arn = self.make_table("durable", "NEW_IMAGE")
        for i in range(50):
            self.ddb.put_item(TableName="durable", Item={"pk": {"S": f"k{i}"}})
        it = self.iterator(arn)
        os.kill(self.pid, signal.SIGKILL)
        self.wait_for(lambda: self.fx("emulator", "status").code == 1, message="the emulator to die")
        r = self.ok("emulator", "start", "--port", "0", "--json")
        type(self).url, type(self).pid = r.json()["url"], r.json()["pid"]
        type(self).ddb, type(self).streams = clients(self.url)
        got, page = [], {"NextShardIterator": it}  # the iterator made before the kill still reads
        while True:
            page = self.streams.get_records(ShardIterator=page["NextShardIterator"], Limit=7)
            if not page["Records"]:
                break
            got += [r["dynamodb"]["Keys"]["pk"]["S"] for r in page["Records"]]
        self.assertEqual(got, [f"k{i}" for i in range(50)])
        self.assertEqual(self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["StreamStatus"],
                         "ENABLED")


def normalise(value):
    """What legitimately differs between two correct answers, taken out: ids, times, labels, the
    account in ARNs, sequence numbers' values (their form is checked), iterators' text."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in ("eventID", "ApproximateCreationDateTime", "CreationRequestDateTime", "SizeBytes"):
                out[k] = type(v).__name__ in ("int", "float") or isinstance(v, str)
            elif k in ("StreamLabel",):
                # DynamoDB labels a stream with its creation time in milliseconds
                # (2015-05-11T21:21:33.291); moto with Python's isoformat(), in microseconds.
                # fx follows DynamoDB (Records.test_describe_stream_and_table checks the form).
                out[k] = bool(LABEL.match(v) or re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}", v))
            elif k in ("SequenceNumber", "StartingSequenceNumber", "EndingSequenceNumber"):
                out[k] = bool(re.fullmatch(r"\d{21,40}", v))
            elif k in ("ShardIterator", "NextShardIterator"):
                out[k] = bool(re.fullmatch(r"arn:aws:dynamodb:[^|]+/stream/[^|]+\|1\|[A-Za-z0-9+/=]+", v))
            elif k == "ShardId":
                out[k] = bool(re.fullmatch(r"shardId-\d{20}-[0-9a-f]{8}", v))
            else:
                out[k] = normalise(v)
        return out
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, str) and value.startswith("arn:aws:dynamodb:"):
        return re.sub(r"/stream/[0-9T:.-]+$", "/stream/LABEL", re.sub(r":\d{12}:", ":ACCOUNT:", value))
    return value


class Differential(DifferentialCase):
    """The same calls to fx and to moto, answers compared field by field after normalise()."""

    def both(self, op, body, prefix="DynamoDBStreams_20120810."):
        return raw(self.url, op, body, prefix), raw(self.moto.url, op, body, prefix)

    def ddb(self, op, body):
        fx, moto = self.both(op, body, "DynamoDB_20120810.")
        self.assertEqual((fx[0], moto[0]), (200, 200), (op, fx, moto))
        return fx[1], moto[1]

    def test_the_same_calls_get_the_same_shapes(self):
        created = self.ddb("CreateTable", {
            "TableName": "diff", "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "n", "AttributeType": "N"}],
            "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}})
        arns = [c["TableDescription"]["LatestStreamArn"] for c in created]
        key = {"pk": {"S": "a"}, "n": {"N": "1"}}
        self.ddb("PutItem", {"TableName": "diff", "Item": {**key, "v": {"S": "one"}}})
        self.ddb("UpdateItem", {"TableName": "diff", "Key": key, "UpdateExpression": "SET v = :v",
                                "ExpressionAttributeValues": {":v": {"S": "two"}}})
        self.ddb("DeleteItem", {"TableName": "diff", "Key": key})

        fx, moto = self.both("ListStreams", {})
        self.assertEqual(normalise(fx[1]), normalise(moto[1]))
        fx, moto = self.both("ListStreams", {"TableName": "diff"})
        self.assertEqual(normalise(fx[1]), normalise(moto[1]))

        answers = [raw(url, "DescribeStream", {"StreamArn": arn}) for url, arn in zip((self.url, self.moto.url), arns)]
        fx_d, moto_d = (a[1]["StreamDescription"] for a in answers)
        # moto lists the table's KeySchema with the attribute definitions' order, as DynamoDB does.
        self.assertEqual(normalise(fx_d), normalise(moto_d))
        shards = [d["Shards"][0]["ShardId"] for d in (fx_d, moto_d)]

        iters = [raw(url, "GetShardIterator", {"StreamArn": arn, "ShardId": shard,
                                               "ShardIteratorType": "TRIM_HORIZON"})
                 for url, arn, shard in zip((self.url, self.moto.url), arns, shards)]
        self.assertEqual(normalise(iters[0][1]), normalise(iters[1][1]))
        pages = [raw(url, "GetRecords", {"ShardIterator": it[1]["ShardIterator"]})
                 for url, it in zip((self.url, self.moto.url), iters)]
        fx_p, moto_p = normalise(pages[0][1]), normalise(pages[1][1])
        for f, m in zip(fx_p["Records"], moto_p["Records"]):
            # moto writes eventVersion "1.0" and awsRegion "us-east-1" whatever the region;
            # DynamoDB's documented record has eventVersion "1.1" (AWS-SERVICES.md), which fx
            # writes.
            self.assertEqual((f.pop("eventVersion"), m.pop("eventVersion")), ("1.1", "1.0"))
        self.assertEqual(fx_p, moto_p)

        # Past the end: DynamoDB keeps answering NextShardIterator on an open shard, as both do.
        nexts = [raw(url, "GetRecords", {"ShardIterator": p[1]["NextShardIterator"]})
                 for url, p in zip((self.url, self.moto.url), pages)]
        self.assertEqual(normalise(nexts[0][1]), normalise(nexts[1][1]))
        self.assertEqual(nexts[0][1]["Records"], [])

        # LATEST then a write: both see only the write.
        latest = [raw(url, "GetShardIterator", {"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "LATEST"})
                  for url, arn, shard in zip((self.url, self.moto.url), arns, shards)]
        self.ddb("PutItem", {"TableName": "diff", "Item": {**key, "v": {"S": "three"}}})
        after = [raw(url, "GetRecords", {"ShardIterator": it[1]["ShardIterator"]})
                 for url, it in zip((self.url, self.moto.url), latest)]
        self.assertEqual([r["eventName"] for r in after[0][1]["Records"]], ["INSERT"])
        self.assertEqual([r["eventName"] for r in after[1][1]["Records"]], ["INSERT"])

        # AT_SEQUENCE_NUMBER of the MODIFY, on both.
        seqs = [p[1]["Records"][1]["dynamodb"]["SequenceNumber"] for p in pages]
        at = [raw(url, "GetShardIterator", {"StreamArn": arn, "ShardId": shard,
                                            "ShardIteratorType": "AT_SEQUENCE_NUMBER", "SequenceNumber": seq})
              for url, arn, shard, seq in zip((self.url, self.moto.url), arns, shards, seqs)]
        recs = [raw(url, "GetRecords", {"ShardIterator": it[1]["ShardIterator"], "Limit": 1})
                for url, it in zip((self.url, self.moto.url), at)]
        self.assertEqual([r[1]["Records"][0]["eventName"] for r in recs], ["MODIFY", "MODIFY"])

        # Errors where moto has them. moto answers an unknown table's stream with a 400
        # ResourceNotFoundException too, but words it as the table's ("Requested resource not
        # found: Table: nobody not found"); DynamoDB Streams names the stream, as fx does.
        missing = arns[0].replace("/diff/", "/nobody/")
        fx, moto = self.both("DescribeStream", {"StreamArn": missing})
        self.assertEqual((fx[0], fx[1]["__type"].rsplit("#", 1)[-1]), (400, "ResourceNotFoundException"))
        self.assertEqual(moto[0], 400)
        self.assertEqual(moto[1]["__type"].rsplit("#", 1)[-1], "ResourceNotFoundException")
        # moto accepts a Limit of 0 and a forged iterator crashes it (a 500, its KeyError);
        # DynamoDB Streams answers ValidationException for both, as fx does.
        fx, moto = self.both("GetRecords", {"ShardIterator": arns[0] + "|1|forged"})
        self.assertEqual((fx[0], fx[1]["__type"].rsplit("#", 1)[-1]), (400, "ValidationException"))
        self.assertGreaterEqual(moto[0], 400)


if __name__ == "__main__":
    main()
