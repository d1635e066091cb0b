"""--target aws for a function's schedule and sqs events, end to end against moto on
loopback, set up as tests/e2e/test_aws_target.py is: fx deploys EventBridge rules (with the
function as target and a permission for events.amazonaws.com) and Lambda event source
mappings, updates and deletes them as the manifest changes, and removes them; boto3 against
moto checks what is there, and the recording proxy counts what fx sent.

moto checks neither that EventBridge may really invoke the function nor that the role can
read the queue (it runs no poller here): the policy statement and the attached managed policy
are what is checked."""
import json

from awstest import ACCOUNT, MotoCase
from fxtest import main
REGION = "us-east-1"
BASIC_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
SQS_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"

SCHEDULES = {
    "serverless.yaml": """
        service: SERVICE
        provider:
          name: aws
          runtime: python3.11
        functions:
          tick:
            handler: tick.handler
            events:
              - schedule: rate(5 minutes)
              - schedule:
                  rate: cron(0 3 * * ? *)
                  enabled: false
                  input: {job: nightly}
          api:
            handler: tick.handler
            events:
              - httpApi: 'GET /hello'
        """,
    "tick.py": """
        def handler(event, context):
            return event
        """,
}

# Queues by ARN, by name, and by Fn::GetAtt of a queue of `resources` (which fx creates, with
# its dead-letter queue; a queue of resources that exists already is used as it is).
QUEUES = {
    "serverless.yaml": """
        service: SERVICE
        provider:
          name: aws
          runtime: python3.11
        functions:
          worker:
            handler: worker.handler
            events:
              - sqs: arn:aws:sqs:us-east-1:123456789012:jobs-SERVICE
              - sqs:
                  arn: mail-SERVICE
                  batchSize: 5
                  maximumBatchingWindow: 3
                  functionResponseType: ReportBatchItemFailures
                  maximumConcurrency: 3
                  filterPatterns:
                    - body: {kind: [welcome, {prefix: reset-}]}
              - sqs:
                  arn: {Fn::GetAtt: [AuditQueue, Arn]}
                  enabled: false
        resources:
          Resources:
            AuditQueue:
              Type: AWS::SQS::Queue
              Properties:
                QueueName: audit-SERVICE
                VisibilityTimeout: 45
                RedrivePolicy:
                  deadLetterTargetArn: {Fn::GetAtt: [AuditDlq, Arn]}
                  maxReceiveCount: 3
            AuditDlq:
              Type: AWS::SQS::Queue
              Properties:
                QueueName: audit-dlq-SERVICE
            LegacyQueue:
              Type: AWS::SQS::Queue
              Properties:
                QueueName: legacy-SERVICE
        """,
    "worker.py": """
        def handler(event, context):
            return {"batchItemFailures": []}
        """,
}

# Asynchronous settings: retries and a failure destination given by ARN or by function key.
ASYNC = {
    "serverless.yaml": """
        service: SERVICE
        provider:
          name: aws
          runtime: python3.11
        functions:
          worker:
            handler: worker.handler
            maximumRetryAttempts: 1
            maximumEventAge: 3600
            destinations:
              onFailure: arn:aws:sqs:us-east-1:123456789012:failed-SERVICE
              onSuccess: arn:aws:sns:us-east-1:123456789012:done-SERVICE
          relay:
            handler: worker.handler
            destinations:
              onFailure: {type: function, arn: worker}
          plain:
            handler: worker.handler
        """,
    "worker.py": """
        def handler(event, context):
            return event
        """,
}


class AwsEvents(MotoCase):
    def rule(self, n, key="tick"):
        return f"{self.name(key)}-schedule-{n}"

    def rules(self):
        prefix = f"{self.name('tick')}-schedule-"
        return {r["Name"]: r for r in self.boto("events").list_rules(NamePrefix=prefix)["Rules"]}

    def event_statements(self, key="tick"):
        policy = json.loads(self.boto("lambda").get_policy(FunctionName=self.name(key))["Policy"])
        return {s["Sid"]: s for s in policy["Statement"]
                if s["Principal"] == {"Service": "events.amazonaws.com"}}

    def test_schedules_become_rules_updated_in_place_and_removed(self):
        self.make_service(dict(SCHEDULES))
        first, r = self.deploy()
        self.assertNotIn("schedule events", r.err)
        events = self.boto("events")
        function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.name('tick')}"

        rules = self.rules()
        self.assertEqual(sorted(rules), [self.rule(1), self.rule(2)])
        self.assertEqual(rules[self.rule(1)]["ScheduleExpression"], "rate(5 minutes)")
        self.assertEqual(rules[self.rule(1)]["State"], "ENABLED")
        self.assertEqual(rules[self.rule(2)]["ScheduleExpression"], "cron(0 3 * * ? *)")
        self.assertEqual(rules[self.rule(2)]["State"], "DISABLED")
        self.assertIn("created by fx", rules[self.rule(1)]["Description"])

        t1 = events.list_targets_by_rule(Rule=self.rule(1))["Targets"]
        self.assertEqual([(t["Arn"], t.get("Input")) for t in t1], [(function_arn, None)])
        t2 = events.list_targets_by_rule(Rule=self.rule(2))["Targets"]
        self.assertEqual([t["Arn"] for t in t2], [function_arn])
        self.assertEqual(json.loads(t2[0]["Input"]), {"job": "nightly"})

        statements = self.event_statements()
        self.assertEqual(sorted(statements), [self.rule(1), self.rule(2)])
        for n in (1, 2):
            s = statements[self.rule(n)]
            self.assertEqual(s["Action"], "lambda:InvokeFunction")
            self.assertEqual(s["Condition"]["ArnLike"]["AWS:SourceArn"], rules[self.rule(n)]["Arn"])
        self.assertEqual(self.rules_of_other_functions(), [])

        info = self.ok("info", "--target", "aws", "--json").json()
        tick = {f["function"]: f for f in info["functions"]}["tick"]
        self.assertEqual([(s["expression"], s["enabled"]) for s in tick["schedules"]],
                         [("rate(5 minutes)", True), ("cron(0 3 * * ? *)", False)])
        self.assertIn("cron(0 3 * * ? *)", self.ok("info", "--target", "aws").out)

        # Nothing changed: only reads, and the functions say unchanged.
        self.rec.reset()
        again, _ = self.deploy()
        self.assertEqual({f["status"] for f in again.values()}, {"unchanged"}, again)
        self.assertEqual(self.mutations(), [])
        # Rules are listed for tick alone: api has never had a schedule (no fx:schedules mark),
        # and no function has mappings to list.
        self.assertEqual(len(self.targets("AWSEvents.ListRules")), 1)
        self.assertEqual(self.mapping_listings(), 0)

        # The second schedule leaves the manifest, the first changes its rate: one rule put,
        # one deleted with its target and its permission, nothing else.
        self.edit("""      - schedule:
          rate: cron(0 3 * * ? *)
          enabled: false
          input: {job: nightly}
""", "")
        self.edit("rate(5 minutes)", "rate(10 minutes)")
        self.rec.reset()
        changed, _ = self.deploy()
        self.assertEqual(changed["tick"]["status"], "updated")
        self.assertEqual(changed["api"]["status"], "unchanged")
        self.assertEqual(len(self.targets("AWSEvents.PutRule")), 1)
        self.assertEqual(len(self.targets("AWSEvents.PutTargets")), 0)
        self.assertEqual(len(self.targets("AWSEvents.DeleteRule")), 1)
        rules = self.rules()
        self.assertEqual(sorted(rules), [self.rule(1)])
        self.assertEqual(rules[self.rule(1)]["ScheduleExpression"], "rate(10 minutes)")
        self.assertEqual(sorted(self.event_statements()), [self.rule(1)])

        # A rule under the same prefix that fx did not make is never touched.
        events.put_rule(Name=self.rule(9), ScheduleExpression="rate(1 hour)", Description="by hand")
        self.deploy()
        self.assertIn(self.rule(9), self.rules())

        removed = self.ok("remove", "--target", "aws", "--json").json()
        self.assertEqual(removed["schedules"], [self.rule(1)])
        self.assertEqual(sorted(self.rules()), [self.rule(9)])
        events.delete_rule(Name=self.rule(9))

    def test_input_path_input_transformer_and_description_go_to_aws(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider: {name: aws, runtime: python3.11}
                functions:
                  tick:
                    handler: tick.handler
                    events:
                      - schedule:
                          rate: rate(1 hour)
                          inputPath: $.detail
                      - schedule:
                          rate: rate(2 hours)
                          description: every other hour
                          inputTransformer:
                            inputPathsMap: {when: $.time}
                            inputTemplate: '{"when": <when>}'
                """,
            "tick.py": SCHEDULES["tick.py"],
        })
        _, r = self.deploy()
        self.assertNotIn("inputPath", r.err)
        events = self.boto("events")
        [by_path] = events.list_targets_by_rule(Rule=self.rule(1))["Targets"]
        [by_template] = events.list_targets_by_rule(Rule=self.rule(2))["Targets"]
        self.assertEqual(by_path["InputPath"], "$.detail")
        # The event's description is the rule's, with the mark that makes it fx's.
        self.assertEqual(events.describe_rule(Name=self.rule(2))["Description"],
                         "every other hour; created by fx")
        self.assertEqual(by_template["InputTransformer"],
                         {"InputPathsMap": {"when": "$.time"}, "InputTemplate": '{"when": <when>}'})
        self.rec.reset()
        self.deploy()
        self.assertEqual(self.mutations(), [])
        self.edit("{when: $.time}", "{when: $.id}")
        self.rec.reset()
        changed, _ = self.deploy()
        self.assertEqual(changed["tick"]["status"], "updated")
        self.assertEqual(len(self.targets("AWSEvents.PutTargets")), 1)
        [by_template] = events.list_targets_by_rule(Rule=self.rule(2))["Targets"]
        self.assertEqual(by_template["InputTransformer"]["InputPathsMap"], {"when": "$.id"})

    def mapping_listings(self):
        return sum(1 for r in self.rec.requests
                   if r[1] == "GET" and r[2].startswith("/2015-03-31/event-source-mappings"))

    def test_a_function_whose_schedules_all_go_loses_their_rules_and_its_mark(self):
        self.make_service(dict(SCHEDULES))
        self.deploy()
        # As an fx that did not tag its functions left it: its rules are still found.
        lam = self.boto("lambda")
        arn = lam.get_function(FunctionName=self.name("tick"))["Configuration"]["FunctionArn"]
        lam.untag_resource(Resource=arn, TagKeys=["fx:service", "fx:stage", "fx:function", "fx:schedules"])
        self.edit("""    events:
      - schedule: rate(5 minutes)
      - schedule:
          rate: cron(0 3 * * ? *)
          enabled: false
          input: {job: nightly}
""", "")
        out, _ = self.deploy()
        self.assertEqual(out["tick"]["status"], "updated")
        self.assertEqual(self.rules(), {})
        self.assertNotIn("fx:schedules", self.boto("lambda").get_function(FunctionName=self.name("tick"))["Tags"])
        self.rec.reset()
        self.deploy()
        self.assertEqual(len(self.targets("AWSEvents.ListRules")), 0)

    def rules_of_other_functions(self):
        prefix = f"{self.name('api')}-schedule-"
        return self.boto("events").list_rules(NamePrefix=prefix)["Rules"]

    def create_queues(self, *names):
        sqs = self.boto("sqs")
        return {n: sqs.get_queue_attributes(QueueUrl=sqs.create_queue(QueueName=n)["QueueUrl"],
                                            AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
                for n in names}

    def mappings(self):
        got = self.boto("lambda").list_event_source_mappings(FunctionName=self.name("worker"))
        return {m["EventSourceArn"]: m for m in got["EventSourceMappings"]}

    def test_sqs_events_become_event_source_mappings(self):
        self.make_service(dict(QUEUES))
        svc = self.service_name
        arns = self.create_queues(f"jobs-{svc}", f"mail-{svc}", f"legacy-{svc}")
        jobs, mail = arns[f"jobs-{svc}"], arns[f"mail-{svc}"]
        first, r = self.deploy()
        self.assertEqual(first["worker"]["status"], "created")
        self.assertNotIn("sqs events", r.err)
        # The queues of resources are made as CloudFormation would, tagged as the service's;
        # one that exists already is someone else's.
        self.assertIn(f"queue legacy-{svc} of resources exists and fx did not create it", r.err)
        sqs = self.boto("sqs")

        def queue(name):
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            return url, attrs, sqs.list_queue_tags(QueueUrl=url).get("Tags", {})

        _, audit_attrs, audit_tags = queue(f"audit-{svc}")
        _, dlq_attrs, _ = queue(f"audit-dlq-{svc}")
        audit = audit_attrs["QueueArn"]
        self.assertEqual(audit_attrs["VisibilityTimeout"], "45")
        redrive = json.loads(audit_attrs["RedrivePolicy"])
        self.assertEqual((redrive["deadLetterTargetArn"], int(redrive["maxReceiveCount"])),
                         (dlq_attrs["QueueArn"], 3))
        self.assertEqual(audit_tags, {"fx:service": svc, "fx:stage": "dev"})
        self.assertEqual(queue(f"legacy-{svc}")[2], {})

        m = self.mappings()
        self.assertEqual(sorted(m), sorted([jobs, mail, audit]))
        self.assertEqual(m[jobs]["BatchSize"], 10)
        self.assertEqual(m[jobs]["State"], "Enabled")
        self.assertEqual(m[mail]["BatchSize"], 5)
        self.assertEqual(m[mail]["MaximumBatchingWindowInSeconds"], 3)
        self.assertEqual(m[mail]["FunctionResponseTypes"], ["ReportBatchItemFailures"])
        self.assertEqual([json.loads(f["Pattern"]) for f in m[mail]["FilterCriteria"]["Filters"]],
                         [{"body": {"kind": ["welcome", {"prefix": "reset-"}]}}])
        self.assertIsNone(m[jobs].get("FilterCriteria"))
        self.assertEqual(m[mail]["ScalingConfig"], {"MaximumConcurrency": 3})
        self.assertEqual(m[audit]["State"], "Disabled")
        function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.name('worker')}"
        self.assertEqual({x["FunctionArn"] for x in m.values()}, {function_arn})
        # The name was looked up through SQS's JSON protocol.
        # (mail's, and the resources': one each, and one more for each queue made)
        self.assertEqual(len(self.targets("AmazonSQS.GetQueueUrl")), 1 + 3 + 2)
        self.assertEqual(len(self.targets("AmazonSQS.CreateQueue")), 2)

        iam = self.boto("iam")
        role = f"{svc}-dev-{REGION}-lambdaRole"
        attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]]
        self.assertEqual(sorted(attached), sorted([BASIC_POLICY, SQS_POLICY]))

        info = self.ok("info", "--target", "aws", "--json").json()
        worker = {f["function"]: f for f in info["functions"]}["worker"]
        self.assertEqual(sorted(q["queue_arn"] for q in worker["queues"]), sorted([jobs, mail, audit]))

        self.rec.reset()
        again, _ = self.deploy()
        self.assertEqual(again["worker"]["status"], "unchanged")
        self.assertEqual(self.mutations(), [])

        # The first queue leaves the manifest and mail's batch size changes: one mapping
        # deleted, one updated in place (same UUID), the third untouched.
        self.edit(f"      - sqs: arn:aws:sqs:us-east-1:123456789012:jobs-{svc}\n", "")
        self.edit("batchSize: 5", "batchSize: 7")
        self.edit("{prefix: reset-}", "{prefix: pw-}")
        self.edit("VisibilityTimeout: 45", "VisibilityTimeout: 60")
        self.rec.reset()
        # Right after a change AWS refuses the next one for a while (moto never does): each
        # call is made again until the mapping is free.
        busy = json.dumps({"Type": "User", "Message": "Cannot update the event source mapping "
                           "because it is in use."})
        busy_headers = {"x-amzn-ErrorType": "ResourceInUseException",
                        "Content-Type": "application/json"}
        put_op = f"PUT /2015-03-31/event-source-mappings/{m[mail]['UUID']}"
        delete_op = f"DELETE /2015-03-31/event-source-mappings/{m[jobs]['UUID']}"
        self.rec.inject_answer(put_op, 2, 409, busy, busy_headers)
        self.rec.inject_answer(delete_op, 1, 409, busy, busy_headers)
        changed, _ = self.deploy()
        self.assertEqual(changed["worker"]["status"], "updated")
        self.assertEqual(self.rec.count(f"POST /2015-03-31/event-source-mappings/"), 0)
        self.assertEqual(self.rec.count(put_op), 3)
        self.assertEqual(self.rec.count(delete_op), 2)
        # 3 + 2 calls for the mappings, and one SetQueueAttributes.
        self.assertEqual(len(self.mutations()), 6, self.mutations())
        self.assertEqual(queue(f"audit-{svc}")[1]["VisibilityTimeout"], "60")
        after = self.mappings()
        self.assertEqual(sorted(after), sorted([mail, audit]))
        self.assertEqual(after[mail]["BatchSize"], 7)
        self.assertEqual(json.loads(after[mail]["FilterCriteria"]["Filters"][0]["Pattern"]),
                         {"body": {"kind": ["welcome", {"prefix": "pw-"}]}})
        self.assertEqual(after[mail]["UUID"], m[mail]["UUID"])

        removed = self.ok("remove", "--target", "aws", "--json").json()
        self.assertEqual(sorted(q["queue_arn"] for q in removed["queue_mappings"]), sorted([mail, audit]))
        self.assertEqual(self.mappings(), {})
        # fx's queues go; the one it did not make stays.
        self.assertEqual(sorted(removed["queues"]), sorted([f"audit-{svc}", f"audit-dlq-{svc}"]))
        names = [u.rsplit("/", 1)[1] for u in sqs.list_queues(QueueNamePrefix=f"").get("QueueUrls", [])]
        self.assertNotIn(f"audit-{svc}", names)
        self.assertIn(f"legacy-{svc}", names)
        # The role held the SQS policy too: it is detached, so the role can go.
        self.assertEqual(removed["role"], role)
        with self.assertRaises(iam.exceptions.NoSuchEntityException):
            iam.get_role(RoleName=role)

    def test_async_settings_and_destinations_become_event_invoke_configs(self):
        self.make_service(dict(ASYNC))
        svc = self.service_name
        failed = self.create_queues(f"failed-{svc}")[f"failed-{svc}"]
        self.assertEqual(failed, f"arn:aws:sqs:{REGION}:{ACCOUNT}:failed-{svc}")
        first, r = self.deploy()
        self.assertNotIn("destinations", r.err)
        lam, iam = self.boto("lambda"), self.boto("iam")
        worker_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.name('worker')}"

        def config(key):
            try:
                got = lam.get_function_event_invoke_config(FunctionName=self.name(key))
            except lam.exceptions.ResourceNotFoundException:
                return None
            destinations = got.get("DestinationConfig", {})
            return (got.get("MaximumRetryAttempts"), got.get("MaximumEventAgeInSeconds"),
                    destinations.get("OnFailure", {}).get("Destination"),
                    destinations.get("OnSuccess", {}).get("Destination"))

        def policy():
            role = f"{svc}-dev-{REGION}-lambdaRole"
            try:
                doc = iam.get_role_policy(RoleName=role, PolicyName="fx-destinations")["PolicyDocument"]
            except iam.exceptions.NoSuchEntityException:
                return None
            return {st["Action"]: st["Resource"] for st in doc["Statement"]}

        done = f"arn:aws:sns:{REGION}:{ACCOUNT}:done-{svc}"
        self.assertEqual(config("worker"), (1, 3600, failed, done))
        self.assertEqual(config("relay"), (None, None, worker_arn, None))  # a key is its ARN
        self.assertIsNone(config("plain"))
        # The role fx made may send to the destinations, and to nothing else.
        self.assertEqual(policy(), {"sqs:SendMessage": [failed], "sns:Publish": [done],
                                    "lambda:InvokeFunction": [worker_arn]})

        self.rec.reset()
        again, _ = self.deploy()
        self.assertEqual({f["status"] for f in again.values()}, {"unchanged"})
        self.assertEqual(self.mutations(), [])

        # Settings dropped from the manifest are dropped on AWS, with the role's permission.
        self.edit(f"    maximumRetryAttempts: 1\n    maximumEventAge: 3600\n    destinations:\n"
                  f"      onFailure: arn:aws:sqs:us-east-1:123456789012:failed-{svc}\n"
                  f"      onSuccess: arn:aws:sns:us-east-1:123456789012:done-{svc}\n", "")
        dropped, _ = self.deploy()
        self.assertEqual(dropped["worker"]["status"], "updated")
        self.assertIsNone(config("worker"))
        self.assertNotIn("fx:async", lam.get_function(FunctionName=self.name("worker"))["Tags"])
        self.assertEqual(config("relay"), (None, None, worker_arn, None))
        self.assertEqual(policy(), {"lambda:InvokeFunction": [worker_arn]})

        self.edit("arn: worker}", "arn: nowhere}")
        r = self.fx("deploy", "--target", "aws")
        self.assertEqual(r.code, 1, r)
        self.assertIn("fx: error: function 'relay': destinations.onFailure 'nowhere' is neither", r.err)
        self.assertEqual(len(r.err.strip().splitlines()), 2, r.err)  # the error and its hint
        self.assertEqual(config("relay"), (None, None, worker_arn, None))

        # fx remove deletes the inline policy so that the role itself can go.
        self.ok("remove", "--target", "aws")
        with self.assertRaises(iam.exceptions.NoSuchEntityException):
            iam.get_role(RoleName=f"{svc}-dev-{REGION}-lambdaRole")

    def test_a_missing_queue_is_one_error_before_anything_changes(self):
        files = dict(QUEUES)
        files["serverless.yaml"] = """
            service: SERVICE
            provider: {name: aws, runtime: python3.11}
            functions:
              worker:
                handler: worker.handler
                events:
                  - sqs: no-such-queue
            """
        self.make_service(files)
        r = self.fx("deploy", "--target", "aws")
        self.assertEqual(r.code, 1, r)
        errors = [line for line in r.err.splitlines() if line.startswith("fx: error:")]
        self.assertEqual(errors, ["fx: error: serverless.yaml:7:9: function 'worker': sqs event: "
                                  "there is no SQS queue 'no-such-queue' in us-east-1"], r.err)
        self.assertIn("aws sqs create-queue --queue-name no-such-queue", r.err)
        self.assertEqual(self.rec.code_uploads(), 0)
        self.assertEqual(self.rec.count("CreateRole"), 0)


if __name__ == "__main__":
    main()
