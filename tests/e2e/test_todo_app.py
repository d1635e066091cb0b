"""The serverless flow, whole: User -> API Gateway -> Lambda -> Database.

A todo API as a user writes it for AWS (a table in `resources`, its name passed in the
environment, HTTP routes to one function per action, the runtime's own SDK, and no endpoint,
region or credential anywhere in the code), deployed unchanged to the real emulator and driven
through its gateway with a real HTTP client: create, list, get, update, delete. Once in Python
with boto3, once in Node with the AWS SDK for JavaScript v3 (installed by fx from npm into
FX_HOME on first use), and once in Node with the v2 SDK (`aws-sdk`, the project's own
node_modules, as most public todo examples still have it), which reads no endpoint variable. What the functions wrote is read back from the table with boto3 from
outside, so the test sees the database itself and not only the functions' answers.
"""
import http.client
import json
import os
import shutil
import urllib.parse

import boto3

from fxtest import FxTestCase, main
from test_function_env import aws_sdk_v2

MANIFEST = """
    service: SERVICE
    provider:
      name: aws
      runtime: RUNTIME
      environment:
        TODOS_TABLE: ${self:service}-todos
    functions:
      create:
        handler: HANDLERS.create
        events: [{http: {path: todos, method: post}}]
      list:
        handler: HANDLERS.list
        events: [{http: {path: todos, method: get}}]
      get:
        handler: HANDLERS.get
        events: [{http: {path: 'todos/{id}', method: get}}]
      update:
        handler: HANDLERS.update
        events: [{http: {path: 'todos/{id}', method: put}}]
      delete:
        handler: HANDLERS.delete
        events: [{http: {path: 'todos/{id}', method: delete}}]
    resources:
      Resources:
        TodosTable:
          Type: AWS::DynamoDB::Table
          Properties:
            TableName: ${self:provider.environment.TODOS_TABLE}
            AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
            KeySchema: [{AttributeName: id, KeyType: HASH}]
            BillingMode: PAY_PER_REQUEST
"""

PYTHON = {
    "serverless.yaml": MANIFEST.replace("RUNTIME", "python3.11").replace("HANDLERS", "todos"),
    "todos.py": """
        import json, os, time, uuid
        import boto3

        table = boto3.resource("dynamodb").Table(os.environ["TODOS_TABLE"])

        def answer(status, body):
            return {"statusCode": status, "body": json.dumps(body, default=str)}

        def create(event, context):
            data = json.loads(event["body"])
            if "text" not in data:
                return answer(400, {"error": "text is required"})
            item = {"id": str(uuid.uuid1()), "text": data["text"], "checked": False,
                    "createdAt": int(time.time() * 1000)}
            table.put_item(Item=item)
            return answer(200, item)

        def list(event, context):
            return answer(200, table.scan()["Items"])

        def get(event, context):
            item = table.get_item(Key={"id": event["pathParameters"]["id"]}).get("Item")
            return answer(200, item) if item else answer(404, {"error": "no such todo"})

        def update(event, context):
            data = json.loads(event["body"])
            try:
                got = table.update_item(
                    Key={"id": event["pathParameters"]["id"]},
                    UpdateExpression="SET #t = :text, checked = :checked, updatedAt = :now",
                    ConditionExpression="attribute_exists(id)",
                    ExpressionAttributeNames={"#t": "text"},
                    ExpressionAttributeValues={":text": data["text"], ":checked": data["checked"],
                                               ":now": int(time.time() * 1000)},
                    ReturnValues="ALL_NEW")
            except table.meta.client.exceptions.ConditionalCheckFailedException:
                return answer(404, {"error": "no such todo"})
            return answer(200, got["Attributes"])

        def delete(event, context):
            table.delete_item(Key={"id": event["pathParameters"]["id"]})
            return answer(200, {})
        """,
}

NODE = {
    "serverless.yaml": MANIFEST.replace("RUNTIME", "nodejs20.x").replace("HANDLERS", "todos"),
    "todos.js": """
        const { randomUUID } = require('crypto');
        const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
        const { DynamoDBDocumentClient, PutCommand, ScanCommand, GetCommand, UpdateCommand,
                DeleteCommand } = require('@aws-sdk/lib-dynamodb');

        const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
        const TableName = process.env.TODOS_TABLE;
        const answer = (statusCode, body) => ({ statusCode, body: JSON.stringify(body) });

        exports.create = async (event) => {
          const data = JSON.parse(event.body);
          if (typeof data.text !== 'string') return answer(400, { error: 'text is required' });
          const Item = { id: randomUUID(), text: data.text, checked: false, createdAt: Date.now() };
          await db.send(new PutCommand({ TableName, Item }));
          return answer(200, Item);
        };
        exports.list = async () => answer(200, (await db.send(new ScanCommand({ TableName }))).Items);
        exports.get = async (event) => {
          const { Item } = await db.send(new GetCommand({ TableName, Key: { id: event.pathParameters.id } }));
          return Item ? answer(200, Item) : answer(404, { error: 'no such todo' });
        };
        exports.update = async (event) => {
          const data = JSON.parse(event.body);
          try {
            const { Attributes } = await db.send(new UpdateCommand({
              TableName, Key: { id: event.pathParameters.id },
              UpdateExpression: 'SET #t = :text, checked = :checked, updatedAt = :now',
              ConditionExpression: 'attribute_exists(id)',
              ExpressionAttributeNames: { '#t': 'text' },
              ExpressionAttributeValues: { ':text': data.text, ':checked': data.checked, ':now': Date.now() },
              ReturnValues: 'ALL_NEW' }));
            return answer(200, Attributes);
          } catch (e) {
            if (e.name === 'ConditionalCheckFailedException') return answer(404, { error: 'no such todo' });
            throw e;
          }
        };
        exports.delete = async (event) => {
          await db.send(new DeleteCommand({ TableName, Key: { id: event.pathParameters.id } }));
          return answer(200, {});
        };
        """,
}

# The public todo examples' style: v2's DocumentClient with callbacks.
NODE_V2 = {
    "serverless.yaml": MANIFEST.replace("RUNTIME", "nodejs20.x").replace("HANDLERS", "todos"),
    "todos.js": """
        const AWS = require('aws-sdk');
        const { randomUUID } = require('crypto');
        const dynamoDb = new AWS.DynamoDB.DocumentClient();
        const TableName = process.env.TODOS_TABLE;
        const answer = (statusCode, body) => ({ statusCode, body: JSON.stringify(body) });

        exports.create = (event, context, callback) => {
          const data = JSON.parse(event.body);
          if (typeof data.text !== 'string') return callback(null, answer(400, { error: 'text is required' }));
          const Item = { id: randomUUID(), text: data.text, checked: false, createdAt: Date.now() };
          dynamoDb.put({ TableName, Item }, (error) => callback(error, error ? null : answer(200, Item)));
        };
        exports.list = (event, context, callback) => {
          dynamoDb.scan({ TableName }, (error, result) => callback(error, error ? null : answer(200, result.Items)));
        };
        exports.get = async (event) => {
          const { Item } = await dynamoDb.get({ TableName, Key: { id: event.pathParameters.id } }).promise();
          return Item ? answer(200, Item) : answer(404, { error: 'no such todo' });
        };
        exports.update = async (event) => {
          const data = JSON.parse(event.body);
          try {
            const { Attributes } = await dynamoDb.update({
              TableName, Key: { id: event.pathParameters.id },
              UpdateExpression: 'SET #t = :text, checked = :checked, updatedAt = :now',
              ConditionExpression: 'attribute_exists(id)',
              ExpressionAttributeNames: { '#t': 'text' },
              ExpressionAttributeValues: { ':text': data.text, ':checked': data.checked, ':now': Date.now() },
              ReturnValues: 'ALL_NEW' }).promise();
            return answer(200, Attributes);
          } catch (e) {
            if (e.code === 'ConditionalCheckFailedException') return answer(404, { error: 'no such todo' });
            throw e;
          }
        };
        exports.delete = async (event) => {
          await dynamoDb.delete({ TableName, Key: { id: event.pathParameters.id } }).promise();
          return answer(200, {});
        };
        """,
}


class TodoApp(FxTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        status = cls.fx_static(["emulator", "status", "--json"]).json()
        cls.gateway = urllib.parse.urlparse(status["gateway_url"])
        # The user's view of the database: boto3 from outside, against the emulator's endpoint.
        cls.dynamodb = boto3.client("dynamodb", endpoint_url=cls.url, region_name="us-east-1",
                                    aws_access_key_id="fx-test", aws_secret_access_key="x")

    def request(self, method, path, body=None):
        conn = http.client.HTTPConnection(self.gateway.hostname, self.gateway.port, timeout=120)
        data = None if body is None else json.dumps(body)
        conn.request(method, "/dev" + path, body=data,
                     headers={"Content-Type": "application/json"} if data else {})
        resp = conn.getresponse()
        status, text = resp.status, resp.read().decode()
        conn.close()
        return status, (json.loads(text) if text else None)

    def run_the_app(self, files, node_modules=None):
        d = self.make_service(files)
        if node_modules:
            try:  # hard links: the same file system, and 100 MB not copied
                shutil.copytree(node_modules, os.path.join(d, "node_modules"), copy_function=os.link)
            except OSError:
                shutil.copytree(node_modules, os.path.join(d, "node_modules"))
        # The first Node deploy may install @aws-sdk v3 from npm into FX_HOME.
        self.ok("deploy", timeout=300)
        self.addCleanup(self.fx, "remove")
        table = f"{self.service_name}-todos"
        self.assertEqual(self.dynamodb.describe_table(TableName=table)["Table"]["KeySchema"],
                         [{"AttributeName": "id", "KeyType": "HASH"}])

        status, first = self.request("POST", "/todos", {"text": "buy milk"})
        self.assertEqual(status, 200, first)
        status, second = self.request("POST", "/todos", {"text": "walk the dog"})
        self.assertEqual(status, 200, second)
        self.assertNotEqual(first["id"], second["id"])
        status, error = self.request("POST", "/todos", {"txet": "typo"})
        self.assertEqual((status, error), (400, {"error": "text is required"}))

        status, todos = self.request("GET", "/todos")
        self.assertEqual(status, 200, todos)
        self.assertEqual(sorted(t["text"] for t in todos), ["buy milk", "walk the dog"])

        status, got = self.request("GET", f"/todos/{first['id']}")
        self.assertEqual((status, got["text"], got["checked"]), (200, "buy milk", False))

        status, updated = self.request("PUT", f"/todos/{first['id']}",
                                       {"text": "buy oat milk", "checked": True})
        self.assertEqual(status, 200, updated)
        self.assertEqual((updated["id"], updated["text"], updated["checked"]),
                         (first["id"], "buy oat milk", True))
        self.assertIn("updatedAt", updated)
        # The condition holds the update to existing todos: no item is made by a PUT.
        status, missing = self.request("PUT", "/todos/no-such-id", {"text": "x", "checked": False})
        self.assertEqual(status, 404, missing)

        # What the functions wrote is in the table, typed as DynamoDB types it.
        stored = self.dynamodb.get_item(TableName=table, Key={"id": {"S": first["id"]}})["Item"]
        self.assertEqual(stored["text"], {"S": "buy oat milk"})
        self.assertEqual(stored["checked"], {"BOOL": True})
        self.assertIn("N", stored["createdAt"])

        status, _ = self.request("DELETE", f"/todos/{second['id']}")
        self.assertEqual(status, 200)
        status, gone = self.request("GET", f"/todos/{second['id']}")
        self.assertEqual(status, 404, gone)
        status, todos = self.request("GET", "/todos")
        self.assertEqual([t["id"] for t in todos], [first["id"]])
        self.assertEqual(self.dynamodb.scan(TableName=table)["Count"], 1)

        # fx remove takes the service's table with it.
        self.ok("remove")
        with self.assertRaises(self.dynamodb.exceptions.ResourceNotFoundException):
            self.dynamodb.describe_table(TableName=table)

    def test_python_with_boto3(self):
        self.run_the_app(PYTHON)

    def test_node_with_sdk_v3(self):
        self.run_the_app(NODE)

    def test_node_with_sdk_v2_document_client(self):
        if not shutil.which("npm"):
            self.skipTest("npm is not installed")
        modules = aws_sdk_v2()
        self.assertIsNotNone(modules, "npm could not install aws-sdk@2")
        self.run_the_app(NODE_V2, node_modules=modules)


if __name__ == "__main__":
    main()
