"""--target aws for the DynamoDB tables of `resources` and the functions' dynamodb stream events,
end to end against moto on loopback, set up as tests/e2e/test_aws_target.py is: fx creates each
table as CloudFormation would (tagged as the service's, its time to live set), brings it to the
manifest when a setting changes, uses a table it did not make as it is, maps each stream event
to its table's stream (an event source mapping), and `fx remove` deletes the tables it made
unless their DeletionPolicy keeps them. boto3 against moto checks what is there, and the
recording proxy counts what fx sent.

moto runs no stream poller: the mapping and the role's managed policy are what is checked."""
import json
import os

from awstest import MotoCase
from fxtest import main

REGION = "us-east-1"
DYNAMODB_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole"

TABLES = {
    "serverless.yaml": """
        service: SERVICE
        provider:
          name: aws
          runtime: python3.11
        functions:
          worker:
            handler: worker.handler
            events:
              - stream:
                  type: dynamodb
                  arn: !GetAtt Orders.StreamArn
                  batchSize: 50
                  startingPosition: LATEST
                  maximumRetryAttempts: 3
                  bisectBatchOnFunctionError: true
                  functionResponseType: ReportBatchItemFailures
                  filterPatterns:
                    - {eventName: [INSERT]}
                  destinations:
                    onFailure: {Fn::GetAtt: [Failed, Arn]}
        resources:
          Resources:
            Failed:
              Type: AWS::SQS::Queue
              Properties:
                QueueName: failed-SERVICE
            Orders:
              Type: AWS::DynamoDB::Table
              Properties:
                TableName: orders-SERVICE
                BillingMode: PAY_PER_REQUEST
                AttributeDefinitions:
                  - {AttributeName: pk, AttributeType: S}
                  - {AttributeName: customer, AttributeType: S}
                KeySchema: [{AttributeName: pk, KeyType: HASH}]
                GlobalSecondaryIndexes:
                  - IndexName: by-customer
                    KeySchema: [{AttributeName: customer, KeyType: HASH}]
                    Projection: {ProjectionType: KEYS_ONLY}
                StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
                TimeToLiveSpecification: {AttributeName: expires, Enabled: true}
                Tags: [{Key: team, Value: shop}]
            Counters:
              Type: AWS::DynamoDB::Table
              Properties:
                AttributeDefinitions: [{AttributeName: id, AttributeType: N}]
                KeySchema: [{AttributeName: id, KeyType: HASH}]
                ProvisionedThroughput: {ReadCapacityUnits: 2, WriteCapacityUnits: 1}
            Ledger:
              Type: AWS::DynamoDB::Table
              DeletionPolicy: Retain
              UpdateReplacePolicy: Retain
              Properties:
                TableName: ledger-SERVICE
                BillingMode: PAY_PER_REQUEST
                AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
                KeySchema: [{AttributeName: id, KeyType: HASH}]
        """,
    "worker.py": """
        def handler(event, context):
            return {"batchItemFailures": []}
        """,
}


class AwsTables(MotoCase):
    def table(self, name):
        return self.boto("dynamodb").describe_table(TableName=name)["Table"]

    def tags(self, name):
        db = self.boto("dynamodb")
        arn = self.table(name)["TableArn"]
        return {t["Key"]: t["Value"] for t in db.list_tags_of_resource(ResourceArn=arn)["Tags"]}

    def mappings(self):
        got = self.boto("lambda").list_event_source_mappings(FunctionName=self.name("worker"))
        return got["EventSourceMappings"]

    def tables(self):
        return set(self.all_tables())

    def all_tables(self):
        pages = self.boto("dynamodb").get_paginator("list_tables").paginate()
        return [name for page in pages for name in page["TableNames"]]

    def test_tables_and_stream_mappings_are_deployed_updated_and_removed(self):
        self.make_service(dict(TABLES))
        svc = self.service_name
        orders, counters, ledger = f"orders-{svc}", f"{svc}-dev-Counters", f"ledger-{svc}"
        first, r = self.deploy()
        self.assertEqual(first["worker"]["status"], "created")
        self.assertNotIn("stream events", r.err)

        t = self.table(orders)
        self.assertEqual(t["TableStatus"], "ACTIVE")
        self.assertEqual(t["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST")
        self.assertEqual(t["KeySchema"], [{"AttributeName": "pk", "KeyType": "HASH"}])
        self.assertEqual([i["IndexName"] for i in t["GlobalSecondaryIndexes"]], ["by-customer"])
        self.assertEqual(t["StreamSpecification"],
                         {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        stream_arn = t["LatestStreamArn"]
        self.assertEqual(self.tags(orders), {"fx:service": svc, "fx:stage": "dev", "team": "shop",
                                             "fx:retain": "false"})
        self.assertEqual(self.tags(ledger)["fx:retain"], "true")
        ttl = self.boto("dynamodb").describe_time_to_live(TableName=orders)["TimeToLiveDescription"]
        self.assertEqual((ttl["TimeToLiveStatus"], ttl["AttributeName"]), ("ENABLED", "expires"))
        c = self.table(counters)
        self.assertEqual((c["ProvisionedThroughput"]["ReadCapacityUnits"],
                          c["ProvisionedThroughput"]["WriteCapacityUnits"]), (2, 1))
        self.assertIn(ledger, self.tables())

        [m] = self.mappings()
        failed_arn = f"arn:aws:sqs:{REGION}:123456789012:failed-{svc}"
        self.assertEqual(m["EventSourceArn"], stream_arn)
        self.assertEqual((m["BatchSize"], m["StartingPosition"], m["MaximumRetryAttempts"]),
                         (50, "LATEST", 3))
        self.assertTrue(m["BisectBatchOnFunctionError"])
        self.assertEqual(m["FunctionResponseTypes"], ["ReportBatchItemFailures"])
        self.assertEqual([json.loads(f["Pattern"]) for f in m["FilterCriteria"]["Filters"]],
                         [{"eventName": ["INSERT"]}])
        self.assertEqual(m["DestinationConfig"], {"OnFailure": {"Destination": failed_arn}})

        iam = self.boto("iam")
        role = f"{svc}-dev-{REGION}-lambdaRole"
        attached = [p["PolicyArn"]
                    for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]]
        self.assertIn(DYNAMODB_POLICY, attached)
        # The role may send the stream's failed batches to their queue.
        policy = iam.get_role_policy(RoleName=role, PolicyName="fx-destinations")["PolicyDocument"]
        self.assertIn({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": [failed_arn]},
                      policy["Statement"])

        # The functions may use the service's tables and their indexes, and only those.
        tables_policy = iam.get_role_policy(RoleName=role, PolicyName="fx-tables")
        [statement] = tables_policy["PolicyDocument"]["Statement"]
        arns = [self.table(n)["TableArn"] for n in (counters, ledger, orders)]
        self.assertEqual(sorted(statement["Resource"]),
                         sorted(arns + [a + "/index/*" for a in arns]))
        self.assertIn("dynamodb:PutItem", statement["Action"])
        self.assertIn("dynamodb:Query", statement["Action"])
        self.assertNotIn("dynamodb:DeleteTable", statement["Action"])

        # fx info lists the tables, with their streams.
        info = self.ok("info", "--target", "aws", "--json").json()
        by_name = {x["name"]: x for x in info["tables"]}
        self.assertEqual(by_name[orders]["stream_arn"], stream_arn)
        self.assertEqual(by_name[orders]["stream_view_type"], "NEW_AND_OLD_IMAGES")
        self.assertEqual(by_name[orders]["item_count"], 0)
        self.assertEqual(by_name[orders]["logical_id"], "Orders")
        self.assertIsNone(by_name[counters]["stream_arn"])
        text = self.ok("info", "--target", "aws").out
        self.assertIn(f"stream {stream_arn}", text)

        # An unchanged manifest changes nothing.
        self.rec.reset()
        again, _ = self.deploy()
        self.assertEqual(again["worker"]["status"], "unchanged")
        self.assertEqual(self.mutations(), [])

        # Capacity, a new global index and the mapping's batch size change in place.
        self.edit("ProvisionedThroughput: {ReadCapacityUnits: 2, WriteCapacityUnits: 1}",
                  "ProvisionedThroughput: {ReadCapacityUnits: 5, WriteCapacityUnits: 1}")
        self.edit("batchSize: 50", "batchSize: 20")
        self.rec.reset()
        changed, r = self.deploy()
        self.assertEqual(changed["worker"]["status"], "updated")
        self.assertEqual(self.table(counters)["ProvisionedThroughput"]["ReadCapacityUnits"], 5)
        self.assertEqual(len(self.targets("DynamoDB_20120810.UpdateTable")), 1)
        self.assertEqual(len(self.targets("DynamoDB_20120810.CreateTable")), 0)
        [after] = self.mappings()
        self.assertEqual((after["UUID"], after["BatchSize"]), (m["UUID"], 20))

        # Removing deletes the tables fx made, except the one its DeletionPolicy keeps.
        removed = self.ok("remove", "--target", "aws", "--json")
        out = removed.json()
        self.assertEqual(sorted(out["tables"]), sorted([orders, counters]))
        self.assertEqual([x["stream_arn"] for x in out["stream_mappings"]], [stream_arn])
        self.assertIn(f"kept table {ledger}: its DeletionPolicy keeps it", removed.err)
        self.assertEqual(self.tables() & {orders, counters, ledger}, {ledger})
        # Other tests' services share this moto: only this service's mappings count.
        left = self.boto("lambda").list_event_source_mappings()["EventSourceMappings"]
        self.assertEqual([m for m in left if m["FunctionArn"].endswith(f":{self.name('worker')}")],
                         [])

    def test_billing_indexes_stream_and_time_to_live_change_in_place(self):
        self.make_service(dict(TABLES))
        svc = self.service_name
        orders, counters = f"orders-{svc}", f"{svc}-dev-Counters"
        self.deploy()
        db = self.boto("dynamodb")
        db.put_item(TableName=orders, Item={"pk": {"S": "kept"}, "customer": {"S": "c"}})
        old_stream = self.table(orders)["LatestStreamArn"]

        # The index replaced by another, time to live off, and the other table from provisioned
        # to on-demand. (A new StreamViewType is not tried here: fx turns the stream off and on
        # again, as DynamoDB requires, but moto refuses to enable a stream on a table that ever
        # had one, "Cannot enable stream", where DynamoDB makes a new one. test_tables.py
        # covers it on the emulator.)
        self.edit("IndexName: by-customer", "IndexName: by-customer-2")
        self.edit("TimeToLiveSpecification: {AttributeName: expires, Enabled: true}",
                  "TimeToLiveSpecification: {AttributeName: expires, Enabled: false}")
        self.edit("ProvisionedThroughput: {ReadCapacityUnits: 2, WriteCapacityUnits: 1}",
                  "BillingMode: PAY_PER_REQUEST")
        self.rec.reset()
        self.deploy()
        self.assertEqual(len(self.targets("DynamoDB_20120810.CreateTable")), 0)
        self.assertEqual(len(self.targets("DynamoDB_20120810.DeleteTable")), 0)
        t = self.table(orders)
        self.assertEqual([i["IndexName"] for i in t["GlobalSecondaryIndexes"]], ["by-customer-2"])
        self.assertEqual(t["LatestStreamArn"], old_stream)
        ttl = db.describe_time_to_live(TableName=orders)["TimeToLiveDescription"]
        self.assertEqual(ttl["TimeToLiveStatus"], "DISABLED")
        self.assertEqual(self.table(counters)["BillingModeSummary"]["BillingMode"],
                         "PAY_PER_REQUEST")
        self.assertEqual(db.get_item(TableName=orders, Key={"pk": {"S": "kept"}})["Item"]["pk"],
                         {"S": "kept"})
        self.assertEqual([m["EventSourceArn"] for m in self.mappings()], [old_stream])

        # The stream off while a function reads it: refused with its place, before any call.
        self.edit("        StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}\n", "")
        self.rec.reset()
        r = self.fx("deploy", "--target", "aws")
        self.assertNotEqual(r.code, 0, r)
        self.assertRegex(r.err, r"serverless\.yaml:\d+:\d+: .*table Orders has no "
                                r"StreamSpecification")
        self.assertEqual(self.mutations(), [])
        self.edit("        TimeToLiveSpecification",
                  "        StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}\n"
                  "        TimeToLiveSpecification")
        self.ok("remove", "--target", "aws")

    def test_a_table_fx_did_not_make_is_used_as_it_is_and_never_deleted(self):
        self.make_service(dict(TABLES))
        svc = self.service_name
        orders = f"orders-{svc}"
        db = self.boto("dynamodb")
        db.create_table(TableName=orders, BillingMode="PROVISIONED",
                        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        StreamSpecification={"StreamEnabled": True,
                                             "StreamViewType": "KEYS_ONLY"})
        stream_arn = self.table(orders)["LatestStreamArn"]
        _, r = self.deploy()
        self.assertIn(f"table {orders} of resources exists and fx did not create it: used as it is",
                      r.err)
        t = self.table(orders)
        # Nothing of it changed: its capacity, its lack of indexes, its (absent) tags.
        self.assertEqual(t["BillingModeSummary"]["BillingMode"] if "BillingModeSummary" in t
                         else "PROVISIONED", "PROVISIONED")
        # moto lists an empty GlobalSecondaryIndexes where AWS leaves it out.
        self.assertEqual(t.get("GlobalSecondaryIndexes", []), [])
        self.assertEqual(self.tags(orders), {})
        self.assertEqual([m["EventSourceArn"] for m in self.mappings()], [stream_arn])
        removed = self.ok("remove", "--target", "aws")
        self.assertIn(f"kept table {orders}: fx did not create it", removed.err)
        self.assertIn(orders, self.tables())

    def test_a_key_schema_dynamodb_cannot_change_stops_the_deploy_before_any_change(self):
        self.make_service(dict(TABLES))
        svc = self.service_name
        self.deploy()
        self.edit("KeySchema: [{AttributeName: pk, KeyType: HASH}]",
                  "KeySchema: [{AttributeName: pk, KeyType: HASH}, "
                  "{AttributeName: customer, KeyType: RANGE}]")
        self.rec.reset()
        r = self.fx("deploy", "--target", "aws")
        self.assertNotEqual(r.code, 0)
        self.assertIn(f"table orders-{svc} on AWS has another KeySchema than the manifest's", r.err)
        self.assertIn("fx does not delete data", r.err)
        self.assertEqual([x for x in self.mutations() if "DynamoDB" in x[1]], [])
        self.ok("remove", "--target", "aws")

    def test_tables_the_manifest_drops_go_unless_their_deletion_policy_kept_them(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider:
                  name: aws
                  runtime: python3.11
                functions:
                  hello:
                    handler: hello.handler
                resources:
                  Resources:
                    Plain:
                      Type: AWS::DynamoDB::Table
                      Properties:
                        TableName: plain-SERVICE
                        BillingMode: PAY_PER_REQUEST
                        AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
                        KeySchema: [{AttributeName: id, KeyType: HASH}]
                    Kept:
                      Type: AWS::DynamoDB::Table
                      DeletionPolicy: Retain
                      Properties:
                        TableName: kept-SERVICE
                        BillingMode: PAY_PER_REQUEST
                        AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
                        KeySchema: [{AttributeName: id, KeyType: HASH}]
                        Tags: [{Key: team, Value: books}]
                    Guarded:
                      Type: AWS::DynamoDB::Table
                      Properties:
                        TableName: guarded-SERVICE
                        BillingMode: PAY_PER_REQUEST
                        DeletionProtectionEnabled: true
                        AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
                        KeySchema: [{AttributeName: id, KeyType: HASH}]
                    Stays:
                      Type: AWS::DynamoDB::Table
                      Properties:
                        TableName: stays-SERVICE
                        BillingMode: PAY_PER_REQUEST
                        AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
                        KeySchema: [{AttributeName: id, KeyType: HASH}]
                """,
            "hello.py": """
                def handler(event, context):
                    return "hi"
                """,
        })
        svc = self.service_name
        plain, kept, guarded, stays = (f"{n}-{svc}" for n in ("plain", "kept", "guarded", "stays"))
        db = self.boto("dynamodb")

        # Tables fx did not make for this service and stage, one of them much like its own.
        def make(name, tags):
            db.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                            Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
        foreign, stageless, older = f"foreign-{svc}", f"stageless-{svc}", f"older-{svc}"
        make(foreign, {"fx:service": f"{svc}-other", "fx:stage": "dev"})
        make(stageless, {"fx:service": svc})
        # As an fx before the fx:retain tag made it, since dropped from the manifest: fx cannot
        # tell whether it is to be kept.
        make(older, {"fx:service": svc, "fx:stage": "dev"})
        # A hundred more, made first: ListTables answers 100 names a page, and moto lists tables
        # in the order they were made, so the service's are on a later page.
        fillers = [f"filler-{svc}-{i:03}" for i in range(100)]
        for name in fillers:
            make(name, {})
        self.addCleanup(lambda: [db.delete_table(TableName=n)
                                 for n in fillers + [foreign, stageless, older, kept]
                                 if n in self.tables()])

        _, first = self.deploy()
        self.assertEqual(self.tags(plain)["fx:retain"], "false")
        # A table without a record of its policy goes at the first deploy that does not name it:
        # kept, no longer the service's, and said so. (--json: the warnings are on stderr.)
        self.assertIn(older, self.tables())
        self.assertEqual(self.tags(older), {})
        self.assertIn(f"kept table {older}: it left the manifest, and the fx that made it kept "
                      f"no record of its DeletionPolicy", first.err)
        self.assertEqual(self.tags(kept)["fx:retain"], "true")
        db.put_item(TableName=kept, Item={"id": {"S": "ledger"}})

        # Three tables leave the manifest.
        path = os.path.join(self.service_dir, "serverless.yaml")
        with open(path) as f:
            text = f.read()
        start, end = text.index("    Plain:"), text.index("    Stays:")
        with open(path, "w") as f:
            f.write(text[:start] + text[end:])
        self.rec.reset()
        r = self.ok("deploy", "--target", "aws")
        self.assertEqual(len(self.targets("DynamoDB_20120810.DeleteTable")), 1)
        self.assertGreaterEqual(len(self.targets("DynamoDB_20120810.ListTables")), 2)
        # fx reads the tags of every table it lists: the rest runs without the fillers.
        for name in fillers:
            db.delete_table(TableName=name)
        left = self.tables()
        self.assertNotIn(plain, left)
        self.assertRegex(r.out, rf"table {plain} +deleted")
        self.assertIn(f"deleted table {plain}: fx made it for the service and the manifest no "
                      f"longer has it", r.err)

        # Retain: the table and its items stay, no longer the service's; its own tags stay.
        self.assertIn(kept, left)
        self.assertEqual(self.tags(kept), {"team": "books"})
        self.assertEqual(db.get_item(TableName=kept, Key={"id": {"S": "ledger"}})["Item"],
                         {"id": {"S": "ledger"}})
        self.assertRegex(r.out, rf"table {kept} +kept")
        self.assertIn(f"kept table {kept}: it left the manifest, and its DeletionPolicy kept it",
                      r.err)
        # Deletion protection: kept, still the service's, so that fx deletes it once it is off.
        self.assertIn(guarded, left)
        self.assertEqual(self.tags(guarded)["fx:service"], svc)
        self.assertIn(f"kept table {guarded}: it left the manifest, but DeletionProtectionEnabled "
                      f"is on", r.err)
        # Not this service's (another service; no stage): untouched, tags and all.
        self.assertEqual(self.tags(foreign), {"fx:service": f"{svc}-other", "fx:stage": "dev"})
        self.assertEqual(self.tags(stageless), {"fx:service": svc})
        self.assertNotIn(foreign, r.err)
        self.assertNotIn(stageless, r.err)

        # The next deploy changes none of them, and names only the protected one.
        self.rec.reset()
        _, again = self.deploy()
        self.assertEqual(self.mutations(), [])
        self.assertNotIn(kept, again.err)
        self.assertNotIn(older, again.err)
        self.assertIn(f"kept table {guarded}", again.err)

        # fx remove deletes a table the manifest lost since the last deploy too, and the
        # protected one once its protection is off; never the ones it let go.
        db.update_table(TableName=guarded, DeletionProtectionEnabled=False)
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text[:text.index("resources:")])
        removed = self.ok("remove", "--target", "aws", "--json").json()
        self.assertEqual(sorted(removed["tables"]), sorted([guarded, stays]))
        self.assertEqual(self.tables() & {plain, kept, guarded, stays, foreign, stageless, older},
                         {kept, foreign, stageless, older})

    def test_a_deploy_that_may_not_list_tables_says_so_and_deploys_the_rest(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider:
                  name: aws
                  runtime: python3.11
                functions:
                  hello:
                    handler: hello.handler
                """,
            "hello.py": """
                def handler(event, context):
                    return "hi"
                """,
        })
        # A policy scoped to the service's own tables allows no ListTables (it takes Resource
        # "*"). Without tables, queues or schedules, ListTables is the deploy's only JSON call.
        denied = ("User: arn:aws:iam::123456789012:user/deployer is not authorized to perform: "
                  "dynamodb:ListTables on resource: arn:aws:dynamodb:us-east-1:123456789012:table/*")
        self.rec.inject_answer("POST /", 1, 400, json.dumps({
            "__type": "com.amazon.coral.service#AccessDeniedException", "Message": denied}),
            {"Content-Type": "application/x-amz-json-1.0"})
        deployed, r = self.deploy()
        self.assertEqual(deployed["hello"]["status"], "created")
        self.assertEqual([x[3].get("x-amz-target") for x in self.rec.calls("POST /")],
                         ["DynamoDB_20120810.ListTables"])
        self.assertIn("did not look for the tables fx made that the manifest no longer names: "
                      "DynamoDB denied ListTables", r.err)
        self.assertIn("allow dynamodb:ListTables", r.err)
        self.assertIn("not authorized to perform: dynamodb:ListTables", r.err)
        self.ok("remove", "--target", "aws")


if __name__ == "__main__":
    main()
