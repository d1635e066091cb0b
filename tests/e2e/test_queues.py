"""SQS-compatible queues through the real AWS CLI, and Lambda's SQS event source.

The emulator runs with FX_EMULATOR_CLOCK_SPEED=60 so that asynchronous retries (one and
two minutes on Lambda) take a second or two.
"""
import json
import os
import re
import signal
import subprocess
import time

from fxtest import FxTestCase, main

SERVICE = {
    "serverless.yaml": """
        service: SERVICE
        provider:
          name: aws
          runtime: python3.11
        custom:
          fx:
            queues:
              SERVICE-jobs:
                visibilityTimeout: 1
                maxReceiveCount: 2
                deadLetterQueue: SERVICE-jobs-dlq
        functions:
          worker:
            handler: app.worker
            events:
              - sqs:
                  arn: arn:aws:sqs:us-east-1:000000000000:SERVICE-jobs
                  batchSize: 5
          partial:
            handler: app.partial
            events:
              - sqs:
                  arn: SERVICE-partial
                  functionResponseType: ReportBatchItemFailures
          picky:
            handler: app.worker
            events:
              - sqs:
                  arn: SERVICE-picky
                  filterPatterns:
                    - body: {type: [order], total: [{numeric: [">", 100]}]}
                    - body: [{prefix: urgent}]
          capped:
            handler: app.slow
            events:
              - sqs:
                  arn: SERVICE-capped
                  batchSize: 1
                  maximumConcurrency: 2
          uncapped:
            handler: app.slow
            events:
              - sqs:
                  arn: SERVICE-uncapped
                  batchSize: 1
          flaky:
            handler: app.flaky
            maximumRetryAttempts: 1
            destinations:
              onFailure: arn:aws:sqs:us-east-1:000000000000:SERVICE-failed
          fine:
            handler: app.partial
            destinations:
              onSuccess: arn:aws:sqs:us-east-1:000000000000:SERVICE-done
        """,
    "app.py": """
        import json
        def worker(event, context):
            for r in event["Records"]:
                print("GOT " + json.dumps({"body": r["body"], "source": r["eventSource"],
                                          "arn": r["eventSourceARN"],
                                          "count": r["attributes"]["ApproximateReceiveCount"]}))
                if r["body"] == "poison":
                    raise ValueError("cannot handle poison")
            return "ok"
        def partial(event, context):
            bad = [r["messageId"] for r in event["Records"] if r["body"].startswith("bad")]
            print("BATCH " + json.dumps(sorted(r["body"] for r in event["Records"])))
            return {"batchItemFailures": [{"itemIdentifier": i} for i in bad]}
        def flaky(event, context):
            raise RuntimeError("nope")
        def slow(event, context):
            import time
            start = time.time()
            time.sleep(1)  # long beside a cold start, so batches at once overlap even on a busy machine
            print("SPAN " + json.dumps([start, time.time()]))
        """,
}


class SqsTestCase(FxTestCase):
    """An emulator with a fast clock, and the real AWS CLI's `sqs` commands against it."""
    emulator_env = {"FX_EMULATOR_CLOCK_SPEED": "60"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.aws_env = {**cls.env, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": ""}

    def sqs(self, *args, check=True):
        proc = subprocess.run(["aws", "--endpoint-url", self.url, "--output", "json", "sqs", *args],
                              env=self.aws_env, capture_output=True, text=True, timeout=60)
        if check:
            self.assertEqual(proc.returncode, 0, proc.stderr)
            return json.loads(proc.stdout) if proc.stdout.strip() else {}
        return proc


class QueuesTest(SqsTestCase):
    def test_the_aws_cli_drives_the_queue_api(self):
        url = self.sqs("create-queue", "--queue-name", "cli-q")["QueueUrl"]
        self.assertTrue(url.endswith("/000000000000/cli-q"), url)
        self.assertEqual(self.sqs("get-queue-url", "--queue-name", "cli-q")["QueueUrl"], url)
        self.assertIn(url, self.sqs("list-queues", "--queue-name-prefix", "cli")["QueueUrls"])
        sent = self.sqs("send-message", "--queue-url", url, "--message-body", "hello",
                        "--message-attributes", '{"kind": {"DataType": "String", "StringValue": "greeting"}}')
        self.assertIn("MessageId", sent)
        batch = self.sqs("send-message-batch", "--queue-url", url, "--entries",
                         json.dumps([{"Id": "a", "MessageBody": "one"}, {"Id": "b", "MessageBody": "two"}]))
        self.assertEqual(sorted(e["Id"] for e in batch["Successful"]), ["a", "b"])
        attrs = self.sqs("get-queue-attributes", "--queue-url", url, "--attribute-names", "All")["Attributes"]
        self.assertEqual(attrs["ApproximateNumberOfMessages"], "3")
        got = self.sqs("receive-message", "--queue-url", url, "--max-number-of-messages", "10",
                       "--message-attribute-names", "All")["Messages"]
        self.assertEqual(sorted(m["Body"] for m in got), ["hello", "one", "two"])
        hello = next(m for m in got if m["Body"] == "hello")
        self.assertEqual(hello["MessageAttributes"]["kind"]["StringValue"], "greeting")
        for m in got:
            self.sqs("delete-message", "--queue-url", url, "--receipt-handle", m["ReceiptHandle"])
        attrs = self.sqs("get-queue-attributes", "--queue-url", url, "--attribute-names", "All")["Attributes"]
        self.assertEqual((attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"]), ("0", "0"))
        # Over 256 KB is refused as SQS refuses it.
        big = os.path.join(self.root, "big.txt")
        with open(big, "w") as f:
            f.write("x" * 262145)
        r = self.sqs("send-message", "--queue-url", url, "--message-body", f"file://{big}", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("262144", r.stderr)
        # An unknown queue.
        r = self.sqs("get-queue-url", "--queue-name", "nope", check=False)
        self.assertIn("NonExistentQueue", r.stderr)

    def deploy_service(self):
        self.make_service(SERVICE)
        self.ok("deploy")
        self.prefix = self.ok("info", "--json").json()["functions"][0]["name"].split("-dev-")[0]
        return lambda name: self.sqs("get-queue-url", "--queue-name", f"{self.prefix}-{name}")["QueueUrl"]

    def lines(self, fn, tag):
        return [json.loads(l["message"][len(tag) + 1:]) for l in self.logs(fn) if l["message"].startswith(tag + " ")]

    def test_sqs_event_source_delivers_batches_and_deletes_them(self):
        queue = self.deploy_service()
        jobs = queue("jobs")
        for i in range(3):
            self.sqs("send-message", "--queue-url", jobs, "--message-body", f"job {i}")
        got = self.wait_for(lambda: len(self.lines("worker", "GOT")) >= 3 and self.lines("worker", "GOT"),
                            timeout=15, message="three records")
        self.assertEqual(sorted(g["body"] for g in got), ["job 0", "job 1", "job 2"])
        self.assertEqual(got[0]["source"], "aws:sqs")
        self.assertEqual(got[0]["arn"], f"arn:aws:sqs:us-east-1:000000000000:{self.prefix}-jobs")
        # Processed messages are deleted.
        self.wait_for(lambda: self.sqs("get-queue-attributes", "--queue-url", jobs, "--attribute-names", "All")
                      ["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "0", timeout=10,
                      message="the batch to be deleted")
        attrs = self.sqs("get-queue-attributes", "--queue-url", jobs, "--attribute-names", "All")["Attributes"]
        self.assertEqual(attrs["ApproximateNumberOfMessages"], "0")

    def lambda_cli(self, *args, check=True):
        proc = subprocess.run(["aws", "--endpoint-url", self.url, "--output", "json", "lambda", *args],
                              env=self.aws_env, capture_output=True, text=True, timeout=60)
        if check:
            self.assertEqual(proc.returncode, 0, proc.stderr)
            return json.loads(proc.stdout)
        return proc

    def test_sqs_events_are_event_source_mappings_the_lambda_api_lists(self):
        self.deploy_service()
        arn = lambda name: f"arn:aws:sqs:us-east-1:000000000000:{self.prefix}-{name}"
        worker = f"{self.prefix}-dev-worker"
        [m] = self.lambda_cli("list-event-source-mappings", "--function-name", worker)["EventSourceMappings"]
        self.assertRegex(m["UUID"], r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        self.assertEqual(m["EventSourceArn"], arn("jobs"))
        self.assertEqual(m["FunctionArn"], f"arn:aws:lambda:us-east-1:000000000000:function:{worker}")
        self.assertEqual((m["State"], m["BatchSize"], m["FunctionResponseTypes"]), ("Enabled", 5, []))
        [capped] = self.lambda_cli("list-event-source-mappings", "--event-source-arn",
                                   arn("capped"))["EventSourceMappings"]
        self.assertEqual(capped["ScalingConfig"], {"MaximumConcurrency": 2})
        [partial] = self.lambda_cli("list-event-source-mappings", "--function-name",
                                    f"{self.prefix}-dev-partial")["EventSourceMappings"]
        self.assertEqual(partial["FunctionResponseTypes"], ["ReportBatchItemFailures"])
        [picky] = self.lambda_cli("list-event-source-mappings", "--event-source-arn",
                                  arn("picky"))["EventSourceMappings"]
        self.assertEqual(len(picky["FilterCriteria"]["Filters"]), 2)
        self.assertEqual(self.lambda_cli("get-event-source-mapping", "--uuid", m["UUID"])["UUID"], m["UUID"])
        # A redeploy keeps each mapping's UUID, as Lambda keeps it across updates.
        self.ok("deploy", "--force")
        [again] = self.lambda_cli("list-event-source-mappings", "--function-name", worker)["EventSourceMappings"]
        self.assertEqual(again["UUID"], m["UUID"])
        r = self.lambda_cli("get-event-source-mapping", "--uuid", "0" * 8 + "-0000-4000-8000-" + "0" * 12,
                            check=False)
        self.assertIn("ResourceNotFoundException", r.stderr)

    def test_failed_message_returns_then_goes_to_the_dead_letter_queue(self):
        queue = self.deploy_service()
        self.sqs("send-message", "--queue-url", queue("jobs"), "--message-body", "poison")
        dlq = queue("jobs-dlq")
        # Received twice (visibility timeout 1 s), then moved to the DLQ by the third receive.
        def in_dlq():
            r = self.sqs("receive-message", "--queue-url", dlq, "--wait-time-seconds", "1")
            return r.get("Messages")
        [m] = self.wait_for(in_dlq, timeout=20, message="the poison message in the DLQ")
        self.assertEqual(m["Body"], "poison")
        counts = [g["count"] for g in self.lines("worker", "GOT") if g["body"] == "poison"]
        self.assertEqual(counts, ["1", "2"])

    def test_filter_patterns_pass_matching_messages_and_delete_the_others(self):
        queue = self.deploy_service()
        q = queue("picky")
        bodies = {"big": json.dumps({"type": "order", "total": 250}),
                  "small": json.dumps({"type": "order", "total": 20}),
                  "refund": json.dumps({"type": "refund", "total": 250}),
                  "urgent": "urgent: call back",
                  "plain": "call back"}
        self.sqs("send-message-batch", "--queue-url", q, "--entries",
                 json.dumps([{"Id": k, "MessageBody": v} for k, v in bodies.items()]))
        got = self.wait_for(lambda: len(self.lines("picky", "GOT")) >= 2 and self.lines("picky", "GOT"),
                            timeout=15, message="the two matching messages")
        self.assertEqual(sorted(g["body"] for g in got), sorted([bodies["big"], bodies["urgent"]]))
        # The others are deleted, unseen: the queue ends empty and nothing else arrives.
        self.wait_for(lambda: (lambda a: a["ApproximateNumberOfMessages"] == "0" and
                               a["ApproximateNumberOfMessagesNotVisible"] == "0")(
            self.sqs("get-queue-attributes", "--queue-url", q, "--attribute-names", "All")["Attributes"]),
            timeout=10, message="an empty queue")
        dropped = [int(m.group(1)) for l in self.logs("picky")
                   for m in [re.search(r"fx: (\d+) messages? of queue \S+ matched no filterPatterns", l["message"])] if m]
        self.assertEqual(sum(dropped), 3)
        time.sleep(1.5)  # over the visibility timeout on the fast clock: nothing comes back
        self.assertEqual(len(self.lines("picky", "GOT")), 2)

    def most_at_once(self, fn, n):
        spans = self.wait_for(lambda: len(self.lines(fn, "SPAN")) >= n and self.lines(fn, "SPAN"),
                              timeout=30, message=f"{n} batches of {fn}")
        return max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)

    def test_maximum_concurrency_caps_the_batches_at_once(self):
        queue = self.deploy_service()
        for name in ("capped", "uncapped"):
            self.sqs("send-message-batch", "--queue-url", queue(name), "--entries",
                     json.dumps([{"Id": str(i), "MessageBody": str(i)} for i in range(8)]))
        # Eight slow one-message batches: two at a time with maximumConcurrency: 2, more
        # without it (Lambda's five pollers).
        self.assertEqual(self.most_at_once("capped", 8), 2)
        self.assertGreater(self.most_at_once("uncapped", 8), 2)

    def test_report_batch_item_failures(self):
        queue = self.deploy_service()
        q = queue("partial")
        self.sqs("send-message-batch", "--queue-url", q, "--entries",
                 json.dumps([{"Id": "g", "MessageBody": "good"}, {"Id": "b", "MessageBody": "bad one"}]))
        self.wait_for(lambda: self.lines("partial", "BATCH"), timeout=15, message="the batch")
        # The good one is deleted; the bad one comes back after the visibility timeout (30 s).
        attrs = self.wait_for(lambda: (lambda a: a if a["ApproximateNumberOfMessagesNotVisible"] == "1" else None)(
            self.sqs("get-queue-attributes", "--queue-url", q, "--attribute-names", "All")["Attributes"]),
            timeout=10, message="one message left in flight")
        self.assertEqual(attrs["ApproximateNumberOfMessages"], "0")

    def first_record(self, queue):
        """The first message of the service's queue, as JSON; None while there is none (or no queue)."""
        r = self.sqs("get-queue-url", "--queue-name", f"{self.prefix}-{queue}", check=False)
        if r.returncode != 0:
            return None
        msgs = self.sqs("receive-message", "--queue-url", json.loads(r.stdout)["QueueUrl"]).get("Messages")
        return msgs and json.loads(msgs[0]["Body"])

    def test_async_failure_goes_to_the_on_failure_queue(self):
        queue = self.deploy_service()
        r = self.ok("invoke", "flaky", "--type", "Event", "--data", '{"order": 7}', "--json")
        # fx deploy created the destination queue.
        rec = self.wait_for(lambda: self.first_record("failed"), timeout=20, message="the failure record")
        self.assertEqual(rec["requestContext"]["condition"], "RetriesExhausted")
        self.assertEqual(rec["requestContext"]["approximateInvokeCount"], 2)
        self.assertEqual(rec["requestPayload"], {"order": 7})
        self.assertEqual(rec["responseContext"]["functionError"], "Unhandled")
        self.assertEqual(rec["requestContext"]["requestId"], r.json()["request_id"])

    def test_async_success_goes_to_the_on_success_queue(self):
        self.deploy_service()
        r = self.ok("invoke", "fine", "--type", "Event", "--data", '{"Records": []}', "--json")
        # fx deploy created this destination queue too.
        rec = self.wait_for(lambda: self.first_record("done"), timeout=20, message="the success record")
        self.assertEqual(rec["requestContext"]["condition"], "Success")
        self.assertEqual(rec["requestContext"]["requestId"], r.json()["request_id"])
        self.assertEqual(rec["responsePayload"], {"batchItemFailures": []})


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
              - sqs: ${self:service}-rjobs
        resources:
          Resources:
            JobsQueue:
              Type: AWS::SQS::Queue
              Properties:
                QueueName: ${self:service}-rjobs
                VisibilityTimeout: 1
                RedrivePolicy:
                  deadLetterTargetArn:
                    Fn::GetAtt: [DeadLetters, Arn]
                  maxReceiveCount: 1
            DeadLetters:
              Type: AWS::SQS::Queue
              Properties:
                QueueName: ${self:service}-rdlq
        """,
    "app.py": SERVICE["app.py"],
}


class QueueResourcesTest(SqsTestCase):
    """Queues declared in `resources` (CloudFormation), as a Serverless project has them."""

    def test_the_queue_and_its_dead_letter_queue_come_from_resources(self):
        self.make_service(RESOURCES_SERVICE)
        self.ok("deploy")
        jobs = self.sqs("get-queue-url", "--queue-name", f"{self.service_name}-rjobs")["QueueUrl"]
        dlq = self.sqs("get-queue-url", "--queue-name", f"{self.service_name}-rdlq")["QueueUrl"]
        attrs = self.sqs("get-queue-attributes", "--queue-url", jobs, "--attribute-names", "All")["Attributes"]
        self.assertEqual(attrs["VisibilityTimeout"], "1")
        self.assertEqual(json.loads(attrs["RedrivePolicy"])["maxReceiveCount"], 1)
        self.sqs("send-message", "--queue-url", jobs, "--message-body", "poison")
        def in_dlq():
            return self.sqs("receive-message", "--queue-url", dlq, "--wait-time-seconds", "1").get("Messages")
        [m] = self.wait_for(in_dlq, timeout=20, message="the message in the resources' DLQ")
        self.assertEqual(m["Body"], "poison")


class QueueDurabilityTest(FxTestCase):
    start_emulator = False

    def test_messages_survive_kill_9(self):
        r = self.fx("emulator", "start", "--port", "0", "--json")
        self.assertEqual(r.code, 0, r)
        pid, url = r.json()["pid"], r.json()["url"]
        env = {**self.env, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": "us-east-1"}
        def sqs(u, *args):
            p = subprocess.run(["aws", "--endpoint-url", u, "--output", "json", "sqs", *args], env=env,
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            return json.loads(p.stdout) if p.stdout.strip() else {}
        q = sqs(url, "create-queue", "--queue-name", "durable")["QueueUrl"]
        sqs(url, "send-message", "--queue-url", q, "--message-body", "keep me")
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.3)
        r = self.fx("emulator", "start", "--port", url.rsplit(":", 1)[1], "--json")
        self.assertEqual(r.code, 0, r)
        try:
            got = sqs(url, "receive-message", "--queue-url", q)["Messages"]
            self.assertEqual(got[0]["Body"], "keep me")
        finally:
            self.fx("emulator", "stop")


if __name__ == "__main__":
    main()
