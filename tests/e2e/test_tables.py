"""The DynamoDB tables of a service's `resources` on the local emulator, end to end: `fx deploy`
creates them as CloudFormation would and brings them to the manifest when a setting changes
(items kept), `fx info` lists them with their item counts and streams, `fx remove` deletes
them except those of DeletionPolicy Retain and those fx did not create, and a bad key schema
stops the deploy with its place in the manifest. boto3 against the emulator's endpoint checks
what is there."""
import re

import boto3
from botocore.config import Config

from fxtest import FxTestCase, main

SERVICE = {
    "serverless.yaml": """
        service: SERVICE
        provider:
          name: aws
          runtime: python3.12
        functions:
          hello:
            handler: handler.hello
        resources:
          Resources:
            Orders:
              Type: AWS::DynamoDB::Table
              Properties:
                TableName: orders-SERVICE
                BillingMode: PAY_PER_REQUEST
                AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
                KeySchema: [{AttributeName: pk, KeyType: HASH}]
                StreamSpecification: {StreamViewType: NEW_IMAGE}
                TimeToLiveSpecification: {AttributeName: expires, Enabled: true}
            Counters:
              Type: AWS::DynamoDB::Table
              Properties:
                AttributeDefinitions: [{AttributeName: id, AttributeType: N}]
                KeySchema: [{AttributeName: id, KeyType: HASH}]
                ProvisionedThroughput: {ReadCapacityUnits: 2, WriteCapacityUnits: 1}
            Ledger:
              Type: AWS::DynamoDB::Table
              DeletionPolicy: Retain
              Properties:
                TableName: ledger-SERVICE
                BillingMode: PAY_PER_REQUEST
                AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
                KeySchema: [{AttributeName: id, KeyType: HASH}]
        """,
    "handler.py": """
        def hello(event, context):
            return "hi"
        """,
}


STREAM_AND_INDEX = """StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
        GlobalSecondaryIndexes:
          - IndexName: by-customer
            KeySchema: [{AttributeName: customer, KeyType: HASH}]
            Projection: {ProjectionType: ALL}"""


class LocalTables(FxTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ddb = boto3.client("dynamodb", endpoint_url=cls.url, region_name="us-east-1",
                               aws_access_key_id="x", aws_secret_access_key="x",
                               config=Config(retries={"max_attempts": 1}))

    def table(self, name):
        return self.ddb.describe_table(TableName=name)["Table"]

    def names(self):
        return set(self.ddb.list_tables()["TableNames"])

    def test_deploy_creates_and_updates_info_lists_remove_deletes_except_retained(self):
        self.make_service(dict(SERVICE))
        svc = self.service_name
        orders, counters, ledger = f"orders-{svc}", f"{svc}-dev-Counters", f"ledger-{svc}"
        r = self.ok("deploy")
        self.assertNotIn("resources", r.err)  # its tables are acted on locally
        self.assertLessEqual({orders, counters, ledger}, self.names())
        t = self.table(orders)
        self.assertEqual(t["KeySchema"], [{"AttributeName": "pk", "KeyType": "HASH"}])
        self.assertEqual(t["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST")
        self.assertEqual(t["StreamSpecification"],
                         {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
        first_stream = t["LatestStreamArn"]
        ttl = self.ddb.describe_time_to_live(TableName=orders)["TimeToLiveDescription"]
        self.assertEqual((ttl["TimeToLiveStatus"], ttl["AttributeName"]), ("ENABLED", "expires"))
        c = self.table(counters)["ProvisionedThroughput"]
        self.assertEqual((c["ReadCapacityUnits"], c["WriteCapacityUnits"]), (2, 1))

        for i in range(3):
            self.ddb.put_item(TableName=orders,
                              Item={"pk": {"S": f"o{i}"}, "customer": {"S": f"c{i % 2}"}})

        # fx info: item counts and streams, in text and JSON.
        info = self.ok("info", "--json").json()
        by_name = {x["name"]: x for x in info["tables"]}
        self.assertEqual(set(by_name), {orders, counters, ledger})
        self.assertEqual((by_name[orders]["item_count"], by_name[orders]["logical_id"]),
                         (3, "Orders"))
        self.assertEqual(by_name[orders]["stream_arn"], first_stream)
        self.assertEqual(by_name[orders]["stream_view_type"], "NEW_IMAGE")
        self.assertEqual(by_name[orders]["status"], "ACTIVE")
        self.assertIsNone(by_name[counters]["stream_arn"])
        self.assertEqual(by_name[counters]["item_count"], 0)
        text = self.ok("info").out
        self.assertRegex(text, rf"\n  {re.escape(orders)} +3 items")
        self.assertIn(f"stream {first_stream}", text)
        self.assertIn(f"endpoint {self.url}", text)

        # Settings that change in place: capacity, a new global index, the stream's view type.
        self.edit("ProvisionedThroughput: {ReadCapacityUnits: 2, WriteCapacityUnits: 1}",
                  "ProvisionedThroughput: {ReadCapacityUnits: 5, WriteCapacityUnits: 1}")
        self.edit("AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]",
                  "AttributeDefinitions: [{AttributeName: pk, AttributeType: S}, "
                  "{AttributeName: customer, AttributeType: S}]")
        self.edit("StreamSpecification: {StreamViewType: NEW_IMAGE}", STREAM_AND_INDEX)
        self.ok("deploy")
        self.assertEqual(self.table(counters)["ProvisionedThroughput"]["ReadCapacityUnits"], 5)
        t = self.table(orders)
        self.assertEqual(t["StreamSpecification"]["StreamViewType"], "NEW_AND_OLD_IMAGES")
        self.assertNotEqual(t["LatestStreamArn"], first_stream)  # a new view type: a new stream
        self.assertEqual([i["IndexName"] for i in t["GlobalSecondaryIndexes"]], ["by-customer"])
        got = self.ddb.query(TableName=orders, IndexName="by-customer",
                             KeyConditionExpression="customer = :c",
                             ExpressionAttributeValues={":c": {"S": "c0"}})
        self.assertEqual(sorted(i["pk"]["S"] for i in got["Items"]), ["o0", "o2"])

        # The stream off again, the index gone: the items stay.
        self.edit("        " + STREAM_AND_INDEX + "\n", "")
        self.edit(", {AttributeName: customer, AttributeType: S}]", "]")
        self.ok("deploy")
        t = self.table(orders)
        self.assertNotIn("GlobalSecondaryIndexes", t)
        self.assertFalse(t.get("StreamSpecification", {}).get("StreamEnabled", False))
        self.assertEqual(self.ddb.scan(TableName=orders, Select="COUNT")["Count"], 3)

        # Removing deletes what fx made, and keeps what DeletionPolicy: Retain keeps.
        removed = self.ok("remove", "--json")
        self.assertEqual(sorted(removed.json()["tables"]), sorted([orders, counters]))
        self.assertIn(f"kept table {ledger}: its DeletionPolicy keeps it", removed.err)
        self.assertEqual(self.names() & {orders, counters, ledger}, {ledger})

    def test_a_table_fx_did_not_create_is_used_as_it_is_and_kept(self):
        self.make_service(dict(SERVICE))
        svc = self.service_name
        orders = f"orders-{svc}"
        self.ddb.create_table(
            TableName=orders, BillingMode="PROVISIONED",
            ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        self.ddb.put_item(TableName=orders, Item={"pk": {"S": "mine"}})
        r = self.ok("deploy")
        self.assertIn(f"table {orders} exists already", r.err)
        t = self.table(orders)
        self.assertEqual(t["ProvisionedThroughput"]["ReadCapacityUnits"], 1)  # not changed
        self.assertNotIn("StreamSpecification", t)
        removed = self.ok("remove")
        self.assertIn(f"kept table {orders}: fx did not create it", removed.err)
        self.assertNotIn(f"removed table {orders}", removed.out)
        self.assertIn(f"removed table {svc}-dev-Counters", removed.out)
        self.assertEqual(self.ddb.get_item(TableName=orders, Key={"pk": {"S": "mine"}})["Item"],
                         {"pk": {"S": "mine"}})

    def test_a_bad_key_schema_is_an_error_at_its_place_and_creates_nothing(self):
        self.make_service(dict(SERVICE))
        svc = self.service_name
        self.edit("KeySchema: [{AttributeName: id, KeyType: HASH}]\n        ProvisionedThroughput",
                  "KeySchema: [{AttributeName: id, KeyType: RANGE}]\n        ProvisionedThroughput")
        r = self.fx("deploy")
        self.assertNotEqual(r.code, 0, r)
        first = r.err.splitlines()[0]
        self.assertRegex(first, r"^fx: error: serverless\.yaml:\d+:\d+: "
                                r"resources\.Resources\.Counters\.Properties\.KeySchema")
        self.assertIn("a RANGE key without a HASH key", first)
        names = self.names()
        self.assertFalse({f"orders-{svc}", f"{svc}-dev-Counters", f"ledger-{svc}"} & names)


if __name__ == "__main__":
    main()
