"""DynamoDB's bad-input catalogue on the emulator's endpoint: malformed and non-UTF-8 bodies,
the wrong JSON type for every parameter of every operation, unknown operations and tables,
items, keys, batches and nesting over DynamoDB's limits, huge bodies. Each gets DynamoDB's 4xx
(the exact error type, and the words where they are DynamoDB's), and after each the emulator
still serves with the same pid. A 500 here is a bug in fx.
"""
import http.client
import json
import os

from fxtest import FxTestCase, main

PREFIX = "com.amazonaws.dynamodb.v20120810#"
CORAL = "com.amazon.coral.service#"
AUTH = ("AWS4-HMAC-SHA256 Credential=fx/20260101/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=host;x-amz-target, Signature=00")

KEY = {"pk": {"S": "a"}}
ITEM = {"pk": {"S": "a"}, "v": {"N": "1"}}

# Every operation with a valid request and the JSON type of each of its parameters
# (s: string, i: integer, b: boolean, o: structure or map, l: list).
OPERATIONS = {
    "CreateTable": ({"TableName": "atk-new", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                     "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                     "BillingMode": "PAY_PER_REQUEST"},
                    {"TableName": "s", "KeySchema": "l", "AttributeDefinitions": "l", "BillingMode": "s",
                     "ProvisionedThroughput": "o", "GlobalSecondaryIndexes": "l", "LocalSecondaryIndexes": "l",
                     "StreamSpecification": "o", "Tags": "l", "DeletionProtectionEnabled": "b"}),
    "DescribeTable": ({"TableName": "atk"}, {"TableName": "s"}),
    "ListTables": ({}, {"Limit": "i", "ExclusiveStartTableName": "s"}),
    "UpdateTable": ({"TableName": "atk", "BillingMode": "PAY_PER_REQUEST"},
                    {"TableName": "s", "BillingMode": "s", "ProvisionedThroughput": "o",
                     "GlobalSecondaryIndexUpdates": "l", "AttributeDefinitions": "l", "StreamSpecification": "o",
                     "DeletionProtectionEnabled": "b"}),
    "DeleteTable": ({"TableName": "atk-none"}, {"TableName": "s"}),
    "UpdateTimeToLive": ({"TableName": "atk", "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "x"}},
                         {"TableName": "s", "TimeToLiveSpecification": "o"}),
    "DescribeTimeToLive": ({"TableName": "atk"}, {"TableName": "s"}),
    "TagResource": ({"ResourceArn": "arn:aws:dynamodb:us-east-1:000000000000:table/atk",
                     "Tags": [{"Key": "k", "Value": "v"}]}, {"ResourceArn": "s", "Tags": "l"}),
    "UntagResource": ({"ResourceArn": "arn:aws:dynamodb:us-east-1:000000000000:table/atk", "TagKeys": ["k"]},
                      {"ResourceArn": "s", "TagKeys": "l"}),
    "ListTagsOfResource": ({"ResourceArn": "arn:aws:dynamodb:us-east-1:000000000000:table/atk"},
                           {"ResourceArn": "s", "NextToken": "s"}),
    "PutItem": ({"TableName": "atk", "Item": ITEM},
                {"TableName": "s", "Item": "o", "ConditionExpression": "s", "ExpressionAttributeNames": "o",
                 "ExpressionAttributeValues": "o", "ReturnValues": "s", "ReturnConsumedCapacity": "s",
                 "ReturnItemCollectionMetrics": "s", "ReturnValuesOnConditionCheckFailure": "s"}),
    "GetItem": ({"TableName": "atk", "Key": KEY},
                {"TableName": "s", "Key": "o", "ConsistentRead": "b", "ProjectionExpression": "s",
                 "ExpressionAttributeNames": "o", "ReturnConsumedCapacity": "s"}),
    "UpdateItem": ({"TableName": "atk", "Key": KEY, "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": {"N": "2"}}},
                   {"TableName": "s", "Key": "o", "UpdateExpression": "s", "ConditionExpression": "s",
                    "ExpressionAttributeNames": "o", "ExpressionAttributeValues": "o", "ReturnValues": "s"}),
    "DeleteItem": ({"TableName": "atk", "Key": {"pk": {"S": "gone"}}},
                   {"TableName": "s", "Key": "o", "ConditionExpression": "s", "ReturnValues": "s"}),
    "Query": ({"TableName": "atk", "KeyConditionExpression": "pk = :p",
               "ExpressionAttributeValues": {":p": {"S": "a"}}},
              {"TableName": "s", "IndexName": "s", "KeyConditionExpression": "s", "FilterExpression": "s",
               "ProjectionExpression": "s", "ExpressionAttributeNames": "o", "ExpressionAttributeValues": "o",
               "Limit": "i", "ScanIndexForward": "b", "ExclusiveStartKey": "o", "Select": "s",
               "ConsistentRead": "b"}),
    "Scan": ({"TableName": "atk"},
             {"TableName": "s", "IndexName": "s", "FilterExpression": "s", "ProjectionExpression": "s",
              "Limit": "i", "ExclusiveStartKey": "o", "Select": "s", "Segment": "i", "TotalSegments": "i",
              "ConsistentRead": "b"}),
    "BatchGetItem": ({"RequestItems": {"atk": {"Keys": [KEY]}}}, {"RequestItems": "o"}),
    "BatchWriteItem": ({"RequestItems": {"atk": [{"PutRequest": {"Item": ITEM}}]}}, {"RequestItems": "o"}),
    "TransactWriteItems": ({"TransactItems": [{"Put": {"TableName": "atk", "Item": ITEM}}]},
                           {"TransactItems": "l", "ClientRequestToken": "s"}),
    "TransactGetItems": ({"TransactItems": [{"Get": {"TableName": "atk", "Key": KEY}}]}, {"TransactItems": "l"}),
}

WRONG = {"s": [5, True, [], {}], "i": ["5", 1.5, [], {}], "b": ["true", 1, [], {}],
         "o": ["x", 5, []], "l": ["x", 5, {}]}


def nested(depth):
    value = {"S": "deep"}
    for _ in range(depth):
        value = {"M": {"a": value}}
    return value


# (name, operation, raw body, status, __type, exact message or None)
CASES = [
    ("not JSON", "ListTables", b"{not json", 400, CORAL + "SerializationException", None),
    ("a JSON list", "ListTables", b"[]", 400, CORAL + "SerializationException", None),
    ("a JSON string", "ListTables", b'"x"', 400, CORAL + "SerializationException", None),
    ("invalid UTF-8", "PutItem", b'{"TableName":"atk","Item":{"pk":{"S":"\xff\xfe"}}}', 400,
     CORAL + "SerializationException", None),
    ("a lone surrogate", "PutItem", b'{"TableName":"atk","Item":{"pk":{"S":"\\ud800"}}}', 400, None, None),
    ("truncated", "PutItem", b'{"TableName":"atk","Item":{"pk":', 400, CORAL + "SerializationException", None),
    ("unknown operation", "Frobnicate", b"{}", 400, CORAL + "UnknownOperationException", None),
    ("an operation of a later API version", "DescribeContinuousBackups", b'{"TableName":"atk"}', 400,
     CORAL + "UnknownOperationException", None),
    ("unknown table", "GetItem", json.dumps({"TableName": "atk-none", "Key": KEY}).encode(), 400,
     PREFIX + "ResourceNotFoundException", "Requested resource not found"),
    ("unknown table described", "DescribeTable", b'{"TableName":"atk-none"}', 400,
     PREFIX + "ResourceNotFoundException", "Requested resource not found: Table: atk-none not found"),
    ("a table name of 256 bytes", "DescribeTable", json.dumps({"TableName": "t" * 256}).encode(), 400,
     PREFIX + "ValidationException", None),
    ("a table name with a slash", "DescribeTable", b'{"TableName":"a/b/c"}', 400, PREFIX + "ValidationException", None),
    ("an item over 400 KB", "PutItem",
     json.dumps({"TableName": "atk", "Item": {"pk": {"S": "big"}, "v": {"S": "x" * 409_601}}}).encode(), 400,
     PREFIX + "ValidationException", "Item size has exceeded the maximum allowed size"),
    ("a partition key over 2048 bytes", "PutItem",
     json.dumps({"TableName": "atk", "Item": {"pk": {"S": "k" * 2049}}}).encode(), 400,
     PREFIX + "ValidationException", None),
    ("a sort key over 1024 bytes", "PutItem",
     json.dumps({"TableName": "atk-sorted", "Item": {"pk": {"S": "a"}, "sk": {"S": "s" * 1025}}}).encode(), 400,
     PREFIX + "ValidationException", None),
    ("a key of the wrong type", "GetItem", json.dumps({"TableName": "atk", "Key": {"pk": {"N": "1"}}}).encode(),
     400, PREFIX + "ValidationException", "The provided key element does not match the schema"),
    ("a value with no type", "PutItem", json.dumps({"TableName": "atk", "Item": {"pk": {"S": "a"}, "v": {}}}).encode(),
     400, PREFIX + "ValidationException", None),
    ("a number of 40 digits", "PutItem",
     json.dumps({"TableName": "atk", "Item": {"pk": {"S": "a"}, "v": {"N": "1" * 40}}}).encode(), 400,
     PREFIX + "ValidationException", None),
    ("a number that is not one", "PutItem",
     json.dumps({"TableName": "atk", "Item": {"pk": {"S": "a"}, "v": {"N": "1e9999999999"}}}).encode(), 400,
     PREFIX + "ValidationException", None),
    ("binary that is not base64", "PutItem",
     json.dumps({"TableName": "atk", "Item": {"pk": {"S": "a"}, "v": {"B": "!!!"}}}).encode(), 400, None, None),
    ("nesting 33 deep", "PutItem", json.dumps({"TableName": "atk", "Item": {"pk": {"S": "a"}, "v": nested(33)}}).encode(),
     400, PREFIX + "ValidationException", None),
    ("nesting 50,000 deep", "PutItem",
     b'{"TableName":"atk","Item":{"pk":{"S":"a"},"v":' + b'{"M":{"a":' * 50_000 + b'{"S":"deep"}' +
     b"}}" * 50_000 + b"}}", 400, None, None),
    ("a batch write of 26", "BatchWriteItem", json.dumps({"RequestItems": {"atk": [
        {"PutRequest": {"Item": {"pk": {"S": f"b{i}"}}}} for i in range(26)]}}).encode(), 400,
     PREFIX + "ValidationException", None),
    ("a batch get of 101 keys", "BatchGetItem", json.dumps({"RequestItems": {"atk": {"Keys": [
        {"pk": {"S": f"b{i}"}} for i in range(101)]}}}).encode(), 400, PREFIX + "ValidationException", None),
    ("a transaction of 101", "TransactWriteItems", json.dumps({"TransactItems": [
        {"Put": {"TableName": "atk", "Item": {"pk": {"S": f"t{i}"}}}} for i in range(101)]}).encode(), 400,
     PREFIX + "ValidationException", None),
    ("a transaction touching one item twice", "TransactWriteItems", json.dumps({"TransactItems": [
        {"Put": {"TableName": "atk", "Item": KEY}}, {"Delete": {"TableName": "atk", "Key": KEY}}]}).encode(), 400,
     PREFIX + "ValidationException", "Transaction request cannot include multiple operations on one item"),
    ("an expression of 5,000 bytes", "Scan", json.dumps({"TableName": "atk", "FilterExpression":
                                                        " OR ".join(["v = :v"] * 700),
                                                        "ExpressionAttributeValues": {":v": {"N": "1"}}}).encode(),
     400, PREFIX + "ValidationException", None),
    ("parentheses 10,000 deep", "Scan", json.dumps({"TableName": "atk", "FilterExpression":
                                                   "(" * 10_000 + "v = :v" + ")" * 10_000,
                                                   "ExpressionAttributeValues": {":v": {"N": "1"}}}).encode(),
     400, PREFIX + "ValidationException", None),
    ("a legacy parameter", "Scan", b'{"TableName":"atk","ScanFilter":{}}', 400, PREFIX + "ValidationException",
     "fx does not support the legacy parameter ScanFilter yet; use FilterExpression instead"),
    ("a segment past the total", "Scan", b'{"TableName":"atk","Segment":5,"TotalSegments":2}', 400,
     PREFIX + "ValidationException", None),
    ("a limit of 0", "Query", json.dumps({"TableName": "atk", "KeyConditionExpression": "pk = :p", "Limit": 0,
                                          "ExpressionAttributeValues": {":p": {"S": "a"}}}).encode(), 400,
     PREFIX + "ValidationException", None),
    ("a start key of another table", "Scan", json.dumps({"TableName": "atk",
                                                        "ExclusiveStartKey": {"x": {"S": "a"}}}).encode(), 400,
     PREFIX + "ValidationException", None),
]


class Attacks(FxTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for name, sort in (("atk", False), ("atk-sorted", True)):
            keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
            defs = [{"AttributeName": "pk", "AttributeType": "S"}]
            if sort:
                keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
                defs.append({"AttributeName": "sk", "AttributeType": "S"})
            status, body = cls.post("CreateTable", json.dumps({
                "TableName": name, "KeySchema": keys, "AttributeDefinitions": defs,
                "BillingMode": "PAY_PER_REQUEST"}).encode())
            assert status == 200, body

    @classmethod
    def post(cls, op, body, target=None):
        host = cls.url.split("//", 1)[1]
        conn = http.client.HTTPConnection(host, timeout=120)
        try:
            conn.request("POST", "/", body, {"X-Amz-Target": target or f"DynamoDB_20120810.{op}",
                                             "Content-Type": "application/x-amz-json-1.0", "Authorization": AUTH})
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    @classmethod
    def get_status(cls):
        host = cls.url.split("//", 1)[1]
        conn = http.client.HTTPConnection(host, timeout=60)
        try:
            conn.request("GET", "/_fx/v1/status", headers=cls.auth())
            return conn.getresponse().read()
        finally:
            conn.close()

    def assert_serving(self):
        os.kill(self.pid, 0)
        self.assertEqual(json.loads(self.get_status())["pid"], self.pid)

    def test_catalogue(self):
        for name, op, body, status, etype, message in CASES:
            with self.subTest(name):
                got, raw = self.post(op, body)
                self.assertEqual(got, status, f"{name}: {raw[:300]!r}")
                answer = json.loads(raw)
                if etype:
                    self.assertEqual(answer["__type"], etype, name)
                else:
                    self.assertRegex(answer["__type"], r"#(ValidationException|SerializationException)$")
                if message:
                    self.assertEqual(answer["message"], message, name)
                self.assertNotRegex(answer["message"], r"json\.exception|stoll|stoi|basic_string|parse_error")
                self.assert_serving()
        # Nothing of the refused writes was stored.
        got, raw = self.post("Scan", b'{"TableName":"atk","Select":"COUNT"}')
        self.assertEqual((got, json.loads(raw)["Count"]), (200, 0))

    def test_every_parameter_of_the_wrong_json_type(self):
        sent = 0
        for op, (valid, params) in OPERATIONS.items():
            got, raw = self.post(op, json.dumps(valid).encode())
            self.assertLess(got, 500, f"{op} valid: {raw[:300]!r}")
            for param, kind in params.items():
                for wrong in WRONG[kind]:
                    body = dict(valid, **{param: wrong})
                    with self.subTest(f"{op}.{param} = {wrong!r}"):
                        got, raw = self.post(op, json.dumps(body).encode())
                        sent += 1
                        self.assertEqual(got, 400, f"{op}.{param}={wrong!r}: {raw[:300]!r}")
                        self.assertRegex(json.loads(raw)["__type"],
                                         r"#(SerializationException|ValidationException)$")
        self.assertGreater(sent, 300)
        self.assert_serving()

    def test_wrong_types_inside_batches_and_transactions(self):
        bodies = [
            ("BatchGetItem", {"RequestItems": {"atk": []}}),
            ("BatchGetItem", {"RequestItems": {"atk": {"Keys": "x"}}}),
            ("BatchGetItem", {"RequestItems": {"atk": {"Keys": ["x"]}}}),
            ("BatchWriteItem", {"RequestItems": {"atk": {}}}),
            ("BatchWriteItem", {"RequestItems": {"atk": ["x"]}}),
            ("BatchWriteItem", {"RequestItems": {"atk": [{"PutRequest": "x"}]}}),
            ("BatchWriteItem", {"RequestItems": {"atk": [{"PutRequest": {"Item": []}}]}}),
            ("BatchWriteItem", {"RequestItems": {"atk": [{"DeleteRequest": {"Key": 5}}]}}),
            ("BatchWriteItem", {"RequestItems": {"atk": [{}]}}),
            ("TransactWriteItems", {"TransactItems": ["x"]}),
            ("TransactWriteItems", {"TransactItems": [{"Put": []}]}),
            ("TransactWriteItems", {"TransactItems": [{"Put": {"TableName": 5, "Item": ITEM}}]}),
            ("TransactWriteItems", {"TransactItems": [{}]}),
            ("TransactGetItems", {"TransactItems": [{"Get": "x"}]}),
            ("TransactGetItems", {"TransactItems": [{"Get": {"TableName": "atk", "Key": []}}]}),
            ("CreateTable", {"TableName": "atk-x", "KeySchema": ["x"], "AttributeDefinitions": [5],
                             "BillingMode": "PAY_PER_REQUEST"}),
            ("CreateTable", {"TableName": "atk-x", "KeySchema": [{"AttributeName": 5, "KeyType": "HASH"}],
                             "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                             "BillingMode": "PAY_PER_REQUEST"}),
            ("PutItem", {"TableName": "atk", "Item": {"pk": {"S": 5}}}),
            ("PutItem", {"TableName": "atk", "Item": {"pk": {"S": "a"}, "v": {"L": {}}}}),
            ("PutItem", {"TableName": "atk", "Item": {"pk": {"S": "a"}, "v": {"SS": "a"}}}),
            ("PutItem", {"TableName": "atk", "Item": {"pk": {"S": "a"}, "v": {"BOOL": 1}}}),  # (a string "true" is a boolean to Java's reader)
            ("PutItem", {"TableName": "atk", "Item": {"pk": {"S": "a"}, "v": {"NULL": False}}}),
            ("Query", {"TableName": "atk", "KeyConditionExpression": "pk = :p",
                       "ExpressionAttributeValues": {":p": "a"}}),
        ]
        for op, body in bodies:
            with self.subTest(f"{op} {json.dumps(body)[:80]}"):
                got, raw = self.post(op, json.dumps(body).encode())
                self.assertEqual(got, 400, f"{op}: {raw[:300]!r}")
                self.assertRegex(json.loads(raw)["__type"], r"#(SerializationException|ValidationException)$")
        self.assert_serving()

    def test_a_body_over_dynamodbs_limit_is_refused_and_the_emulator_lives(self):
        body = b'{"TableName":"atk","Item":{"pk":{"S":"a"},"v":{"S":"' + b"x" * (17 * 1024 * 1024) + b'"}}}'
        try:
            got, _ = self.post("PutItem", body)
            self.assertGreaterEqual(got, 400)
            self.assertLess(got, 500)
        except (ConnectionError, http.client.HTTPException):
            pass  # the emulator may close the connection once the limit is passed
        self.assert_serving()

    def test_a_missing_target_is_not_dynamodb(self):
        got, raw = self.post("ListTables", b"{}", target="DynamoDB_20120810")
        self.assertLess(got, 500, raw[:300])
        got, raw = self.post("ListTables", b"{}", target="DynamoDB_20120810.")
        self.assertEqual(got, 400, raw[:300])
        self.assertEqual(json.loads(raw)["__type"], CORAL + "UnknownOperationException")
        self.assert_serving()


if __name__ == "__main__":
    main()
