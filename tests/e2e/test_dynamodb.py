"""DynamoDB on the emulator's endpoint, through the real boto3 (client and resource layers)
and the real AWS CLI: tables and their settings, items with conditions and return values,
Query and Scan with every parameter, secondary indexes, batches, transactions, the stream
records each write leaves in FX_HOME/dynamodb.db, time to live, and nothing lost to kill -9.
"""
import base64
import decimal
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time

import boto3
from boto3.dynamodb.conditions import Attr, Key
from botocore.config import Config
from botocore.exceptions import ClientError

from fxtest import FxTestCase, main

ACCOUNT = "000000000000"


def client_for(url):
    return boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="fx", aws_secret_access_key="fx",
                        config=Config(retries={"max_attempts": 1}))


def error_of(call, *args, **kwargs):
    """The (code, message, response) of a call that must fail."""
    try:
        call(*args, **kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"], e.response
    raise AssertionError(f"{call.__name__} succeeded")


def records(home, table=None):
    """The stream records in FX_HOME/dynamodb.db, oldest first (until the Streams API exists)."""
    db = sqlite3.connect(os.path.join(home, "dynamodb.db"))
    try:
        rows = db.execute(
            "SELECT s.table_name, r.seq, r.record FROM stream_records r JOIN streams s"
            " ON s.id = r.stream_id ORDER BY r.seq").fetchall()
    finally:
        db.close()
    return [json.loads(rec) for name, seq, rec in rows if table is None or name == table]


class DynamoCase(FxTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ddb = client_for(cls.url)

    def make_table(self, name, sort=None, sort_type="S", **extra):
        keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
        defs = [{"AttributeName": "pk", "AttributeType": "S"}]
        if sort:
            keys.append({"AttributeName": sort, "KeyType": "RANGE"})
            defs.append({"AttributeName": sort, "AttributeType": sort_type})
        defs += extra.pop("more_defs", [])
        return self.ddb.create_table(TableName=name, KeySchema=keys, AttributeDefinitions=defs,
                                     BillingMode="PAY_PER_REQUEST", **extra)["TableDescription"]


class Tables(DynamoCase):
    def test_create_describe_list_update_delete(self):
        d = self.make_table(
            "tbl-life", sort="sk",
            more_defs=[{"AttributeName": "g", "AttributeType": "N"},
                       {"AttributeName": "l", "AttributeType": "S"}],
            GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [
                {"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "KEYS_ONLY"}}],
            LocalSecondaryIndexes=[{"IndexName": "by-l", "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            Tags=[{"Key": "team", "Value": "a"}])
        self.assertEqual(d["TableStatus"], "ACTIVE")
        self.assertEqual(d["TableArn"], f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/tbl-life")
        self.assertEqual(d["LatestStreamArn"], d["TableArn"] + "/stream/" + d["LatestStreamLabel"])
        self.assertRegex(d["LatestStreamLabel"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$")
        self.assertEqual(d["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST")
        self.assertEqual(d["GlobalSecondaryIndexes"][0]["IndexStatus"], "ACTIVE")
        self.assertEqual(d["LocalSecondaryIndexes"][0]["Projection"]["NonKeyAttributes"], ["x"])
        self.ddb.put_item(TableName="tbl-life", Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "g": {"N": "5"}})
        t = self.ddb.describe_table(TableName="tbl-life")["Table"]
        self.assertEqual(t["ItemCount"], 1)
        self.assertGreater(t["TableSizeBytes"], 0)
        self.assertEqual(t["GlobalSecondaryIndexes"][0]["ItemCount"], 1)
        self.assertEqual(t["LocalSecondaryIndexes"][0]["ItemCount"], 0)  # sparse: no `l`
        tags = self.ddb.list_tags_of_resource(ResourceArn=d["TableArn"])["Tags"]
        self.assertEqual(tags, [{"Key": "team", "Value": "a"}])
        self.ddb.tag_resource(ResourceArn=d["TableArn"], Tags=[{"Key": "env", "Value": "dev"}])
        self.ddb.untag_resource(ResourceArn=d["TableArn"], TagKeys=["team"])
        self.assertEqual(self.ddb.list_tags_of_resource(ResourceArn=d["TableArn"])["Tags"],
                         [{"Key": "env", "Value": "dev"}])

        # A new GSI is filled from the items already there.
        u = self.ddb.update_table(
            TableName="tbl-life", AttributeDefinitions=[{"AttributeName": "h", "AttributeType": "S"}],
            GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "by-h", "KeySchema": [
                {"AttributeName": "h", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}}])
        self.assertEqual([i["IndexName"] for i in u["TableDescription"]["GlobalSecondaryIndexes"]],
                         ["by-g", "by-h"])
        self.ddb.put_item(TableName="tbl-life", Item={"pk": {"S": "b"}, "sk": {"S": "1"}, "h": {"S": "x"}})
        q = self.ddb.query(TableName="tbl-life", IndexName="by-h", KeyConditionExpression="h = :h",
                           ExpressionAttributeValues={":h": {"S": "x"}})
        self.assertEqual(q["Count"], 1)
        u = self.ddb.update_table(TableName="tbl-life",
                                  GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-g"}}])
        self.assertEqual([i["IndexName"] for i in u["TableDescription"]["GlobalSecondaryIndexes"]],
                         ["by-h"])
        code, msg, _ = error_of(self.ddb.query, TableName="tbl-life", IndexName="by-g",
                                KeyConditionExpression="g = :g",
                                ExpressionAttributeValues={":g": {"N": "5"}})
        self.assertEqual((code, msg), ("ValidationException",
                                       "The table does not have the specified index: by-g"))
        # The stream off, then on again: a new label.
        label = d["LatestStreamLabel"]
        self.ddb.update_table(TableName="tbl-life", StreamSpecification={"StreamEnabled": False})
        time.sleep(0.002)
        u = self.ddb.update_table(TableName="tbl-life", StreamSpecification={
            "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})["TableDescription"]
        self.assertNotEqual(u["LatestStreamLabel"], label)
        self.assertEqual(u["StreamSpecification"]["StreamViewType"], "KEYS_ONLY")
        u = self.ddb.update_table(TableName="tbl-life", BillingMode="PROVISIONED",
                                  ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4},
                                  GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "by-h",
                                      "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}}])
        self.assertEqual(u["TableDescription"]["ProvisionedThroughput"]["ReadCapacityUnits"], 3)

        d = self.ddb.delete_table(TableName="tbl-life")["TableDescription"]
        self.assertEqual(d["TableStatus"], "DELETING")
        code, msg, r = error_of(self.ddb.describe_table, TableName="tbl-life")
        self.assertEqual(code, "ResourceNotFoundException")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertEqual(msg, "Requested resource not found: Table: tbl-life not found")

    def test_list_tables_pages(self):
        for n in ("lst-a", "lst-b", "lst-c"):
            self.make_table(n)
        names, start = [], None
        while True:
            kw = {"Limit": 2}
            if start:
                kw["ExclusiveStartTableName"] = start
            page = self.ddb.list_tables(**kw)
            self.assertLessEqual(len(page["TableNames"]), 2)
            names += page["TableNames"]
            start = page.get("LastEvaluatedTableName")
            if not start:
                break
        self.assertEqual([n for n in names if n.startswith("lst-")], ["lst-a", "lst-b", "lst-c"])
        self.assertEqual(names, sorted(names))
        # The paginator of boto3 reads the same pages.
        pages = self.ddb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 1})
        self.assertEqual([n for p in pages for n in p["TableNames"]], names)

    def test_create_errors(self):
        code, msg, _ = error_of(self.make_table, "dup-tbl") if False else (None, None, None)
        self.make_table("dup-tbl")
        code, msg, _ = error_of(self.make_table, "dup-tbl")
        self.assertEqual((code, msg), ("ResourceInUseException", "Table already exists: dup-tbl"))
        code, msg, _ = error_of(self.ddb.create_table, TableName="bad-keys",
                                KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
                                AttributeDefinitions=[{"AttributeName": "b", "AttributeType": "S"}],
                                BillingMode="PAY_PER_REQUEST")
        self.assertEqual(code, "ValidationException")
        self.assertIn("AttributeDefinitions", msg)
        code, msg, _ = error_of(self.ddb.create_table, TableName="no-tp",
                                KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
                                AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}])
        self.assertEqual(msg, "One or more parameter values were invalid: ReadCapacityUnits and "
                              "WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")

    def test_time_to_live_settings(self):
        self.make_table("ttl-set")
        self.assertEqual(self.ddb.describe_time_to_live(TableName="ttl-set")["TimeToLiveDescription"],
                         {"TimeToLiveStatus": "DISABLED"})
        r = self.ddb.update_time_to_live(TableName="ttl-set", TimeToLiveSpecification={
            "Enabled": True, "AttributeName": "expires"})
        self.assertEqual(r["TimeToLiveSpecification"], {"Enabled": True, "AttributeName": "expires"})
        self.assertEqual(self.ddb.describe_time_to_live(TableName="ttl-set")["TimeToLiveDescription"],
                         {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"})
        code, msg, _ = error_of(self.ddb.update_time_to_live, TableName="ttl-set",
                                TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
        self.assertEqual((code, msg), ("ValidationException", "TimeToLive is already enabled"))


class Items(DynamoCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ddb.create_table(TableName="items", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                             BillingMode="PAY_PER_REQUEST")

    def test_put_get_update_delete_with_conditions_and_return_values(self):
        ddb = self.ddb
        item = {"pk": {"S": "k1"}, "n": {"N": "1.50"}, "b": {"B": b"\x00\xff"}, "ok": {"BOOL": True},
                "nil": {"NULL": True}, "m": {"M": {"a": {"L": [{"S": "x"}, {"N": "2"}]}}},
                "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}}
        self.assertNotIn("Attributes", ddb.put_item(TableName="items", Item=item, ReturnValues="ALL_OLD"))
        got = ddb.get_item(TableName="items", Key={"pk": {"S": "k1"}}, ConsistentRead=True)["Item"]
        self.assertEqual(got["n"], {"N": "1.5"})  # DynamoDB's canonical number
        self.assertEqual(got["b"], {"B": b"\x00\xff"})
        self.assertEqual(got["m"], item["m"])
        # attribute_not_exists on an existing item: the condition fails, nothing changes.
        code, msg, r = error_of(ddb.put_item, TableName="items", Item={"pk": {"S": "k1"}},
                                ConditionExpression="attribute_not_exists(pk)",
                                ReturnValuesOnConditionCheckFailure="ALL_OLD")
        self.assertEqual((code, msg), ("ConditionalCheckFailedException", "The conditional request failed"))
        self.assertEqual(r["Item"]["n"], {"N": "1.5"})
        # UpdateItem: SET with arithmetic, list_append, if_not_exists; REMOVE; ADD; DELETE.
        r = ddb.update_item(
            TableName="items", Key={"pk": {"S": "k1"}},
            UpdateExpression="SET n = n + :one, m.a = list_append(m.a, :l), c = if_not_exists(c, :z) "
                             "REMOVE nil ADD ns :three DELETE ss :a",
            ConditionExpression="#ok = :t AND size(m.a) = :two",
            ExpressionAttributeNames={"#ok": "ok"},
            ExpressionAttributeValues={":one": {"N": "1"}, ":l": {"L": [{"S": "y"}]},
                                       ":z": {"N": "0"}, ":three": {"NS": ["3"]}, ":a": {"SS": ["a"]},
                                       ":t": {"BOOL": True}, ":two": {"N": "2"}},
            ReturnValues="UPDATED_NEW")
        self.assertEqual(r["Attributes"]["n"], {"N": "2.5"})
        self.assertEqual(r["Attributes"]["c"], {"N": "0"})
        self.assertEqual(sorted(r["Attributes"]["ns"]["NS"]), ["1", "2", "3"])
        self.assertEqual(r["Attributes"]["ss"], {"SS": ["b"]})
        self.assertNotIn("nil", r["Attributes"])
        r = ddb.update_item(TableName="items", Key={"pk": {"S": "k1"}}, UpdateExpression="SET n = :v",
                            ExpressionAttributeValues={":v": {"N": "7"}}, ReturnValues="UPDATED_OLD")
        self.assertEqual(r["Attributes"], {"n": {"N": "2.5"}})
        r = ddb.update_item(TableName="items", Key={"pk": {"S": "k1"}}, UpdateExpression="SET n = :v",
                            ExpressionAttributeValues={":v": {"N": "8"}}, ReturnValues="ALL_NEW")
        self.assertEqual(r["Attributes"]["n"], {"N": "8"})
        self.assertEqual(r["Attributes"]["pk"], {"S": "k1"})
        # UpdateItem creates a missing item.
        r = ddb.update_item(TableName="items", Key={"pk": {"S": "new"}}, UpdateExpression="ADD hits :one",
                            ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="ALL_NEW")
        self.assertEqual(r["Attributes"], {"pk": {"S": "new"}, "hits": {"N": "1"}})
        code, msg, _ = error_of(ddb.update_item, TableName="items", Key={"pk": {"S": "new"}},
                                UpdateExpression="SET pk = :v", ExpressionAttributeValues={":v": {"S": "x"}})
        self.assertEqual(msg, "One or more parameter values were invalid: Cannot update attribute pk. "
                              "This attribute is part of the key")
        # DeleteItem with a condition and ALL_OLD.
        code, _, _ = error_of(ddb.delete_item, TableName="items", Key={"pk": {"S": "new"}},
                              ConditionExpression="hits > :n", ExpressionAttributeValues={":n": {"N": "5"}})
        self.assertEqual(code, "ConditionalCheckFailedException")
        r = ddb.delete_item(TableName="items", Key={"pk": {"S": "new"}}, ReturnValues="ALL_OLD")
        self.assertEqual(r["Attributes"]["hits"], {"N": "1"})
        self.assertNotIn("Item", ddb.get_item(TableName="items", Key={"pk": {"S": "new"}}))
        # Projection.
        r = ddb.get_item(TableName="items", Key={"pk": {"S": "k1"}}, ProjectionExpression="m.a[1], #n",
                         ExpressionAttributeNames={"#n": "n"})
        self.assertEqual(r["Item"], {"m": {"M": {"a": {"L": [{"N": "2"}]}}}, "n": {"N": "8"}})

    def test_key_and_item_limits(self):
        ddb = self.ddb
        cases = [
            (dict(Item={"pk": {"N": "1"}}), "One or more parameter values were invalid: Type mismatch "
                                            "for key pk expected: S actual: N"),
            (dict(Item={"x": {"S": "1"}}), "One or more parameter values were invalid: Missing the key pk in the item"),
            (dict(Item={"pk": {"S": ""}}), "One or more parameter values are not valid. The AttributeValue "
                                           "for a key attribute cannot contain an empty string value. Key: pk"),
            (dict(Item={"pk": {"S": "x" * 2049}}), "One or more parameter values were invalid: Size of hashkey "
                                                   "has exceeded the maximum size limit of2048 bytes"),
            (dict(Item={"pk": {"S": "big"}, "v": {"S": "x" * (400 * 1024)}}),
             "Item size has exceeded the maximum allowed size"),
        ]
        for kwargs, message in cases:
            code, msg, r = error_of(ddb.put_item, TableName="items", **kwargs)
            self.assertEqual((code, msg), ("ValidationException", message))
            self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 400)
        code, msg, _ = error_of(ddb.get_item, TableName="items", Key={"pk": {"S": "a"}, "x": {"S": "b"}})
        self.assertEqual(msg, "The provided key element does not match the schema")
        code, msg, _ = error_of(ddb.get_item, TableName="nosuch", Key={"pk": {"S": "a"}})
        self.assertEqual((code, msg), ("ResourceNotFoundException", "Requested resource not found"))
        # 38 significant digits are kept exactly; 39 are refused.
        ddb.put_item(TableName="items", Item={"pk": {"S": "num"}, "v": {"N": "1234567890123456789012345678901234567.8"}})
        self.assertEqual(ddb.get_item(TableName="items", Key={"pk": {"S": "num"}})["Item"]["v"],
                         {"N": "1234567890123456789012345678901234567.8"})
        code, msg, _ = error_of(ddb.put_item, TableName="items", Item={"pk": {"S": "num"}, "v": {"N": "1" * 39}})
        self.assertEqual(msg, "Attempting to store more than 38 significant digits in a Number")
        # Legacy parameters: a clear refusal naming the expression to use.
        code, msg, _ = error_of(ddb.get_item, TableName="items", Key={"pk": {"S": "a"}}, AttributesToGet=["v"])
        self.assertEqual(code, "ValidationException")
        self.assertIn("ProjectionExpression", msg)

    def test_resource_layer(self):
        table = boto3.resource("dynamodb", endpoint_url=self.url, region_name="us-east-1",
                               aws_access_key_id="fx", aws_secret_access_key="fx").Table("items")
        table.put_item(Item={"pk": "res", "price": decimal.Decimal("19.99"), "tags": {"a", "b"},
                             "nested": {"list": [1, "two", None, True]}})
        item = table.get_item(Key={"pk": "res"})["Item"]
        self.assertEqual(item["price"], decimal.Decimal("19.99"))
        self.assertEqual(item["tags"], {"a", "b"})
        self.assertEqual(item["nested"]["list"], [1, "two", None, True])
        table.update_item(Key={"pk": "res"}, UpdateExpression="SET price = price * :x"
                          if False else "SET price = price - :d", ExpressionAttributeValues={":d": decimal.Decimal("0.99")})
        self.assertEqual(table.get_item(Key={"pk": "res"})["Item"]["price"], decimal.Decimal("19"))
        with table.batch_writer() as batch:
            for i in range(60):
                batch.put_item(Item={"pk": f"bw-{i}", "i": i})
        scanned = table.scan(FilterExpression=Attr("i").gte(50))["Items"]
        self.assertEqual(sorted(int(x["i"]) for x in scanned), list(range(50, 60)))


class QueriesAndIndexes(DynamoCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ddb.create_table(
            TableName="events",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "n", "AttributeType": "N"},
                                  {"AttributeName": "kind", "AttributeType": "S"},
                                  {"AttributeName": "name", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            GlobalSecondaryIndexes=[{"IndexName": "by-kind", "KeySchema": [
                {"AttributeName": "kind", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["note"]}}],
            LocalSecondaryIndexes=[{"IndexName": "by-name", "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "name", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"}}])
        # Sort keys that order differently as numbers and as text: -10 < -2 < 0.5 < 3 < 20 < 100.
        cls.numbers = ["100", "-2", "3", "0.5", "20", "-10"]
        for i, n in enumerate(cls.numbers):
            item = {"pk": {"S": "p"}, "n": {"N": n}, "note": {"S": f"note{i}"}, "other": {"S": "o"}}
            if i % 2 == 0:
                item["kind"] = {"S": "even"}
            if i < 3:
                item["name"] = {"S": f"name-{5 - i}"}
            cls.ddb.put_item(TableName="events", Item=item)
        cls.ddb.put_item(TableName="events", Item={"pk": {"S": "q"}, "n": {"N": "1"}})

    def q(self, **kw):
        kw.setdefault("TableName", "events")
        return self.ddb.query(**kw)

    def test_numeric_order_both_ways_and_ranges(self):
        r = self.q(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}})
        self.assertEqual([i["n"]["N"] for i in r["Items"]], ["-10", "-2", "0.5", "3", "20", "100"])
        self.assertEqual((r["Count"], r["ScannedCount"]), (6, 6))
        self.assertNotIn("LastEvaluatedKey", r)
        r = self.q(KeyConditionExpression="pk = :p AND n BETWEEN :a AND :b", ScanIndexForward=False,
                   ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"N": "-2"}, ":b": {"N": "20"}})
        self.assertEqual([i["n"]["N"] for i in r["Items"]], ["20", "3", "0.5", "-2"])
        for op, expected in (("<", ["-10", "-2", "0.5"]), ("<=", ["-10", "-2", "0.5", "3"]),
                             (">", ["20", "100"]), (">=", ["3", "20", "100"]), ("=", ["3"])):
            r = self.q(KeyConditionExpression=f"pk = :p AND n {op} :v",
                       ExpressionAttributeValues={":p": {"S": "p"}, ":v": {"N": "3"}})
            self.assertEqual([i["n"]["N"] for i in r["Items"]], expected, op)

    def test_pages_filters_projection_and_count(self):
        seen, start, pages = [], None, 0
        while True:
            kw = dict(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}}, Limit=4,
                      FilterExpression="NOT contains(note, :x)", ProjectionExpression="n, note")
            kw["ExpressionAttributeValues"][":x"] = {"S": "note1"}
            if start:
                kw["ExclusiveStartKey"] = start
            r = self.q(**kw)
            pages += 1
            self.assertLessEqual(r["ScannedCount"], 4)
            seen += r["Items"]
            start = r.get("LastEvaluatedKey")
            if not start:
                break
            self.assertEqual(set(start), {"pk", "n"})
        self.assertEqual(len(seen), 5)  # note1 (n = -2) filtered out after the limit
        self.assertTrue(all(set(i) == {"n", "note"} for i in seen))
        self.assertGreaterEqual(pages, 2)
        r = self.q(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}}, Select="COUNT")
        self.assertEqual((r["Count"], "Items" in r), (6, False))
        code, msg, _ = error_of(self.q, KeyConditionExpression="pk = :p AND other = :o",
                                ExpressionAttributeValues={":p": {"S": "p"}, ":o": {"S": "o"}})
        self.assertEqual(code, "ValidationException")
        code, msg, _ = error_of(self.q, KeyConditionExpression="pk = :p", FilterExpression="n > :z",
                                ExpressionAttributeValues={":p": {"S": "p"}, ":z": {"N": "0"}})
        self.assertEqual(msg, "Filter Expression can only contain non-primary key attributes: "
                              "Primary key attribute: n")
        code, msg, _ = error_of(self.q, KeyConditionExpression="pk = :p",
                                ExpressionAttributeValues={":p": {"S": "p"}, ":unused": {"S": "x"}})
        self.assertEqual(msg, "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}")

    def test_indexes_sparse_and_projected(self):
        r = self.q(IndexName="by-kind", KeyConditionExpression="kind = :k",
                   ExpressionAttributeValues={":k": {"S": "even"}})
        self.assertEqual([i["n"]["N"] for i in r["Items"]], ["3", "20", "100"])
        self.assertEqual(set(r["Items"][0]), {"pk", "n", "kind", "note"})  # INCLUDE note, not other
        r = self.q(IndexName="by-kind", KeyConditionExpression="kind = :k", Limit=2,
                   ExpressionAttributeValues={":k": {"S": "even"}})
        self.assertEqual(set(r["LastEvaluatedKey"]), {"pk", "n", "kind"})
        r2 = self.q(IndexName="by-kind", KeyConditionExpression="kind = :k", ExclusiveStartKey=r["LastEvaluatedKey"],
                    ExpressionAttributeValues={":k": {"S": "even"}})
        self.assertEqual([i["n"]["N"] for i in r2["Items"]], ["100"])
        code, _, _ = error_of(self.q, IndexName="by-kind", KeyConditionExpression="kind = :k",
                              ConsistentRead=True, ExpressionAttributeValues={":k": {"S": "even"}})
        self.assertEqual(code, "ValidationException")
        # The local index: only the three items with `name`, in name order; ALL_ATTRIBUTES
        # reads the table's item.
        r = self.q(IndexName="by-name", KeyConditionExpression="pk = :p AND begins_with(#nm, :pre)",
                   ExpressionAttributeNames={"#nm": "name"},
                   ExpressionAttributeValues={":p": {"S": "p"}, ":pre": {"S": "name-"}})
        self.assertEqual([i["name"]["S"] for i in r["Items"]], ["name-3", "name-4", "name-5"])
        self.assertEqual(set(r["Items"][0]), {"pk", "n", "name"})
        r = self.q(IndexName="by-name", KeyConditionExpression="pk = :p", Select="ALL_ATTRIBUTES",
                   ExpressionAttributeValues={":p": {"S": "p"}})
        self.assertIn("other", r["Items"][0])
        # Scan of an index, and a segmented scan covering the table exactly once.
        r = self.ddb.scan(TableName="events", IndexName="by-kind")
        self.assertEqual(r["Count"], 3)
        keys = []
        for seg in range(3):
            r = self.ddb.scan(TableName="events", Segment=seg, TotalSegments=3)
            keys += [(i["pk"]["S"], i["n"]["N"]) for i in r["Items"]]
        self.assertEqual(len(keys), 7)
        self.assertEqual(len(set(keys)), 7)

    def test_one_megabyte_pages(self):
        self.ddb.create_table(TableName="big", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")
        blob = "x" * (300 * 1024)
        for i in range(8):
            self.ddb.put_item(TableName="big", Item={"pk": {"S": f"i{i}"}, "v": {"S": blob}})
        # A filter that matches nothing still pages: 0 items and a LastEvaluatedKey.
        r = self.ddb.scan(TableName="big", FilterExpression="attribute_exists(nothing)")
        self.assertEqual(r["Count"], 0)
        self.assertLessEqual(r["ScannedCount"], 4)
        self.assertIn("LastEvaluatedKey", r)
        total, start = 0, None
        while True:
            kw = {"TableName": "big"}
            if start:
                kw["ExclusiveStartKey"] = start
            r = self.ddb.scan(**kw)
            total += r["Count"]
            start = r.get("LastEvaluatedKey")
            if not start:
                break
        self.assertEqual(total, 8)


class BatchesAndTransactions(DynamoCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for name in ("accounts", "audit"):
            cls.ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                                 AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                                 BillingMode="PAY_PER_REQUEST")

    def test_batches(self):
        reqs = [{"PutRequest": {"Item": {"pk": {"S": f"b{i}"}, "v": {"N": str(i)}}}} for i in range(25)]
        self.assertEqual(self.ddb.batch_write_item(RequestItems={"accounts": reqs})["UnprocessedItems"], {})
        code, msg, _ = error_of(self.ddb.batch_write_item, RequestItems={"accounts": reqs + [reqs[0]]})
        self.assertEqual(code, "ValidationException")
        code, msg, _ = error_of(self.ddb.batch_write_item, RequestItems={"accounts": [reqs[0], reqs[0]]})
        self.assertEqual(msg, "Provided list of item keys contains duplicates")
        r = self.ddb.batch_get_item(RequestItems={"accounts": {
            "Keys": [{"pk": {"S": f"b{i}"}} for i in range(30)], "ProjectionExpression": "v"}})
        self.assertEqual(sorted(int(i["v"]["N"]) for i in r["Responses"]["accounts"]), list(range(25)))
        self.assertEqual(r["UnprocessedKeys"], {})
        code, msg, _ = error_of(self.ddb.batch_get_item, RequestItems={"accounts": {
            "Keys": [{"pk": {"S": f"b{i}"}} for i in range(101)]}})
        self.assertEqual(code, "ValidationException")
        self.ddb.batch_write_item(RequestItems={"accounts": [
            {"DeleteRequest": {"Key": {"pk": {"S": f"b{i}"}}}} for i in range(25)]})
        self.assertEqual(self.ddb.scan(TableName="accounts", Select="COUNT")["Count"], 0)

    def test_transactions_are_all_or_nothing(self):
        self.ddb.put_item(TableName="accounts", Item={"pk": {"S": "alice"}, "balance": {"N": "100"}})
        self.ddb.put_item(TableName="accounts", Item={"pk": {"S": "bob"}, "balance": {"N": "0"}})

        def transfer(amount):
            return self.ddb.transact_write_items(TransactItems=[
                {"Update": {"TableName": "accounts", "Key": {"pk": {"S": "alice"}},
                            "UpdateExpression": "SET balance = balance - :a",
                            "ConditionExpression": "balance >= :a",
                            "ExpressionAttributeValues": {":a": {"N": str(amount)}},
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
                {"Update": {"TableName": "accounts", "Key": {"pk": {"S": "bob"}},
                            "UpdateExpression": "SET balance = balance + :a",
                            "ExpressionAttributeValues": {":a": {"N": str(amount)}}}},
                {"Put": {"TableName": "audit", "Item": {"pk": {"S": f"t{amount}"}}}},
                {"ConditionCheck": {"TableName": "audit", "Key": {"pk": {"S": "lock"}},
                                    "ConditionExpression": "attribute_not_exists(pk)"}},
            ])

        transfer(60)
        code, msg, r = error_of(transfer, 60)
        self.assertEqual(code, "TransactionCanceledException")
        self.assertEqual(msg, "Transaction cancelled, please refer cancellation reasons for specific "
                              "reasons [ConditionalCheckFailed, None, None, None]")
        reasons = r["CancellationReasons"]
        self.assertEqual(reasons[0]["Code"], "ConditionalCheckFailed")
        self.assertEqual(reasons[0]["Item"]["balance"], {"N": "40"})
        self.assertEqual([x["Code"] for x in reasons[1:]], ["None", "None", "None"])
        got = self.ddb.transact_get_items(TransactItems=[
            {"Get": {"TableName": "accounts", "Key": {"pk": {"S": "alice"}}}},
            {"Get": {"TableName": "accounts", "Key": {"pk": {"S": "bob"}}, "ProjectionExpression": "balance"}},
            {"Get": {"TableName": "audit", "Key": {"pk": {"S": "t60"}}}},
            {"Get": {"TableName": "audit", "Key": {"pk": {"S": "nothing"}}}}])["Responses"]
        self.assertEqual(got[0]["Item"]["balance"], {"N": "40"})
        self.assertEqual(got[1]["Item"], {"balance": {"N": "60"}})
        self.assertIn("Item", got[2])
        self.assertEqual(got[3], {})
        code, msg, _ = error_of(self.ddb.transact_write_items, TransactItems=[
            {"Put": {"TableName": "audit", "Item": {"pk": {"S": "same"}}}},
            {"Delete": {"TableName": "audit", "Key": {"pk": {"S": "same"}}}}])
        self.assertEqual(msg, "Transaction request cannot include multiple operations on one item")


class AwsCli(DynamoCase):
    def aws(self, *args):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="fx", AWS_SECRET_ACCESS_KEY="fx",
                   AWS_DEFAULT_REGION="us-east-1", HOME=self.root)
        p = subprocess.run(["aws", "--endpoint-url", self.url, "dynamodb", *args, "--output", "json"],
                           capture_output=True, text=True, env=env, timeout=60)
        return p

    def test_cli(self):
        p = self.aws("create-table", "--table-name", "cli", "--attribute-definitions",
                     "AttributeName=id,AttributeType=S", "AttributeName=n,AttributeType=N",
                     "--key-schema", "AttributeName=id,KeyType=HASH", "AttributeName=n,KeyType=RANGE",
                     "--billing-mode", "PAY_PER_REQUEST")
        self.assertEqual(p.returncode, 0, p.stderr)
        for n in (3, 1, 2):
            p = self.aws("put-item", "--table-name", "cli", "--item",
                         json.dumps({"id": {"S": "a"}, "n": {"N": str(n)}, "v": {"S": f"v{n}"}}))
            self.assertEqual(p.returncode, 0, p.stderr)
        p = self.aws("get-item", "--table-name", "cli", "--key", json.dumps({"id": {"S": "a"}, "n": {"N": "2"}}))
        self.assertEqual(json.loads(p.stdout)["Item"]["v"], {"S": "v2"})
        p = self.aws("query", "--table-name", "cli", "--key-condition-expression", "id = :a",
                     "--expression-attribute-values", json.dumps({":a": {"S": "a"}}))
        self.assertEqual([i["n"]["N"] for i in json.loads(p.stdout)["Items"]], ["1", "2", "3"])
        p = self.aws("scan", "--table-name", "cli")
        self.assertEqual(json.loads(p.stdout)["Count"], 3)
        p = self.aws("describe-table", "--table-name", "nosuch")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("ResourceNotFoundException", p.stderr)


class Streams(DynamoCase):
    def test_records_per_view_type(self):
        self.make_table("st-new-old", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        self.make_table("st-keys", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
        self.make_table("st-none")
        for t in ("st-new-old", "st-keys", "st-none"):
            self.ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
            self.ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "v": {"N": "1"}})  # no change: no record
            self.ddb.update_item(TableName=t, Key={"pk": {"S": "a"}}, UpdateExpression="SET v = :two",
                                 ExpressionAttributeValues={":two": {"N": "2"}})
            self.ddb.delete_item(TableName=t, Key={"pk": {"S": "a"}})
            self.ddb.delete_item(TableName=t, Key={"pk": {"S": "a"}})  # nothing to delete: no record
        recs = records(self.home, "st-new-old")
        self.assertEqual([r["eventName"] for r in recs], ["INSERT", "MODIFY", "REMOVE"])
        ins, mod, rem = (r["dynamodb"] for r in recs)
        self.assertEqual(ins["NewImage"], {"pk": {"S": "a"}, "v": {"N": "1"}})
        self.assertNotIn("OldImage", ins)
        self.assertEqual((mod["OldImage"]["v"], mod["NewImage"]["v"]), ({"N": "1"}, {"N": "2"}))
        self.assertEqual(rem["OldImage"]["v"], {"N": "2"})
        self.assertNotIn("NewImage", rem)
        for r in recs:
            self.assertEqual((r["eventVersion"], r["eventSource"], r["awsRegion"]), ("1.1", "aws:dynamodb", "us-east-1"))
            self.assertEqual(r["dynamodb"]["Keys"], {"pk": {"S": "a"}})
            self.assertEqual(r["dynamodb"]["StreamViewType"], "NEW_AND_OLD_IMAGES")
            self.assertLessEqual(abs(r["dynamodb"]["ApproximateCreationDateTime"] - time.time()), 60)
            self.assertNotIn("userIdentity", r)
        seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in recs]
        self.assertEqual(seqs, sorted(seqs))
        self.assertEqual(len(set(seqs)), 3)
        keys = records(self.home, "st-keys")
        self.assertEqual([r["eventName"] for r in keys], ["INSERT", "MODIFY", "REMOVE"])
        self.assertTrue(all("NewImage" not in r["dynamodb"] and "OldImage" not in r["dynamodb"] for r in keys))
        self.assertEqual(records(self.home, "st-none"), [])

    def test_a_failed_transaction_writes_no_record(self):
        self.make_table("st-tx", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
        before = len(records(self.home, "st-tx"))
        error_of(self.ddb.transact_write_items, TransactItems=[
            {"Put": {"TableName": "st-tx", "Item": {"pk": {"S": "x"}}}},
            {"ConditionCheck": {"TableName": "st-tx", "Key": {"pk": {"S": "y"}},
                                "ConditionExpression": "attribute_exists(pk)"}}])
        self.assertEqual(len(records(self.home, "st-tx")), before)
        self.assertNotIn("Item", self.ddb.get_item(TableName="st-tx", Key={"pk": {"S": "x"}}))


class TimeToLive(DynamoCase):
    # An hour of time to live's clock passes in about four seconds.
    emulator_env = {"FX_EMULATOR_CLOCK_SPEED": "900"}

    def test_expired_items_go_with_a_service_remove_record(self):
        self.make_table("ttl", StreamSpecification={"StreamEnabled": True, "StreamViewType": "OLD_IMAGE"})
        self.ddb.update_time_to_live(TableName="ttl", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
        now = int(time.time())
        self.ddb.put_item(TableName="ttl", Item={"pk": {"S": "soon"}, "exp": {"N": str(now + 600)}})
        self.ddb.put_item(TableName="ttl", Item={"pk": {"S": "later"}, "exp": {"N": str(now + 10 * 365 * 86400)}})
        self.ddb.put_item(TableName="ttl", Item={"pk": {"S": "text"}, "exp": {"S": str(now)}})  # not a number
        self.ddb.put_item(TableName="ttl", Item={"pk": {"S": "ancient"}, "exp": {"N": "1000"}})  # > 5 years ago
        self.wait_for(lambda: "Item" not in self.ddb.get_item(TableName="ttl", Key={"pk": {"S": "soon"}}),
                      timeout=30, message="the expired item to go")
        left = sorted(i["pk"]["S"] for i in self.ddb.scan(TableName="ttl")["Items"])
        self.assertEqual(left, ["ancient", "later", "text"])
        removes = [r for r in records(self.home, "ttl") if r["eventName"] == "REMOVE"]
        self.assertEqual(len(removes), 1)
        self.assertEqual(removes[0]["userIdentity"], {"type": "Service", "principalId": "dynamodb.amazonaws.com"})
        self.assertEqual(removes[0]["dynamodb"]["OldImage"]["pk"], {"S": "soon"})


class KillNine(DynamoCase):
    def test_every_answered_write_survives_kill_9(self):
        self.make_table("durable", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
        answered, stop = [], threading.Event()

        def writer():
            ddb = client_for(self.url)
            i = 0
            while not stop.is_set():
                try:
                    ddb.put_item(TableName="durable", Item={"pk": {"S": f"k{i}"}, "v": {"N": str(i)}})
                except Exception:
                    return
                answered.append(f"k{i}")
                i += 1

        threads = [threading.Thread(target=writer) for _ in range(3)]
        for t in threads:
            t.start()
        self.wait_for(lambda: len(answered) > 200, timeout=60, message="writes")
        os.kill(self.pid, signal.SIGKILL)
        stop.set()
        for t in threads:
            t.join()
        self.wait_for(lambda: self.fx("emulator", "status").code == 1, message="the emulator to die")
        r = self.ok("emulator", "start", "--port", "0", "--json")
        type(self).url, type(self).pid = r.json()["url"], r.json()["pid"]
        ddb = client_for(self.url)
        stored = set()
        for page in ddb.get_paginator("scan").paginate(TableName="durable"):
            stored |= {i["pk"]["S"] for i in page["Items"]}
        self.assertEqual(set(answered) - stored, set(), "answered writes lost")
        recorded = {r["dynamodb"]["Keys"]["pk"]["S"] for r in records(self.home, "durable")}
        self.assertEqual(set(answered) - recorded, set(), "stream records lost")
        self.assertEqual(ddb.describe_table(TableName="durable")["Table"]["ItemCount"], len(stored))


if __name__ == "__main__":
    main()
