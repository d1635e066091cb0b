"""Schedules and asynchronous invocations through the real fx binary and emulator.

The emulator runs with FX_EMULATOR_CLOCK_SPEED=60: a minute of schedule time (and of
Lambda's retry delays) passes in a second, so rate(1 minute) fires about once a second.
"""
import json
import os
import re
import signal
import subprocess
import time
import urllib.request

from fxtest import FxTestCase, main

SERVICE = {
    "serverless.yaml": """
        service: SERVICE
        provider:
          name: aws
          runtime: python3.11
        functions:
          tick:
            handler: app.tick
            events:
              - schedule: rate(1 minute)
              - schedule: cron(0 12 * * ? *)
              - schedule:
                  rate: rate(2 minutes)
                  enabled: false
          greet:
            handler: app.tick
            events:
              - schedule:
                  rate: rate(1 minute)
                  input:
                    greeting: hello
          shaped:
            handler: app.tick
            events:
              - schedule:
                  rate: rate(1 minute)
                  inputTransformer:
                    inputPathsMap: {when: $.time, rule: '$.resources[0]'}
                    inputTemplate: '{"when": <when>, "note": "fired by <rule>"}'
              - schedule:
                  rate: rate(1 minute)
                  inputPath: $.detail-type
          flaky:
            handler: app.flaky
            maximumRetryAttempts: 2
          once:
            handler: app.flaky
            maximumRetryAttempts: 0
          relay:
            handler: app.flaky
            maximumRetryAttempts: 0
            destinations:
              onFailure: tick
          pleased:
            handler: app.tick
            destinations:
              onSuccess: {type: function, arn: tick}
          aging:
            handler: app.flaky
            maximumEventAge: 170
            destinations:
              onFailure: tick
        """,
    "app.py": """
        import json
        def tick(event, context):
            print("EVENT " + json.dumps(event, sort_keys=True))
            return "ok"
        def flaky(event, context):
            print("attempt for " + json.dumps(event))
            raise RuntimeError("always fails")
        """,
}


class EventsTest(FxTestCase):
    emulator_env = {"FX_EMULATOR_CLOCK_SPEED": "60"}

    def setUp(self):
        self.make_service(SERVICE)
        self.ok("deploy")
        self.names = {f["function"]: f["name"] for f in self.ok("info", "--json").json()["functions"]}

    def events_of(self, fn):
        return [json.loads(e["message"][len("EVENT "):]) for e in self.logs(fn) if e["message"].startswith("EVENT ")]

    def test_rate_schedule_fires_with_the_scheduled_event(self):
        events = self.wait_for(lambda: len(self.events_of("tick")) >= 2 and self.events_of("tick"), timeout=15,
                               message="two firings of rate(1 minute)")
        e = events[0]
        self.assertEqual(e["detail-type"], "Scheduled Event")
        self.assertEqual(e["source"], "aws.events")
        self.assertEqual(e["account"], "000000000000")
        self.assertEqual(e["detail"], {})
        self.assertRegex(e["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(e["resources"], [f"arn:aws:events:us-east-1:000000000000:rule/{self.names['tick']}-schedule-1"])
        # Firings are a minute apart on the schedule's clock.
        t = [time.mktime(time.strptime(x["time"], "%Y-%m-%dT%H:%M:%SZ")) for x in events[:2]]
        self.assertEqual(t[1] - t[0], 60)

    def test_info_shows_next_fire_times(self):
        info = self.ok("info", "--json").json()
        by_expr = {s["expression"]: s for s in info["schedules"] if s["function"] == self.names["tick"]}
        self.assertEqual(set(by_expr), {"rate(1 minute)", "cron(0 12 * * ? *)", "rate(2 minutes)"})
        self.assertRegex(by_expr["cron(0 12 * * ? *)"]["next"], r"T12:00:00\.000Z$")
        self.assertFalse(by_expr["rate(2 minutes)"]["enabled"])
        text = self.ok("info").out
        self.assertIn("schedule cron(0 12 * * ? *)", text)
        self.assertIn("disabled", text)

    def test_input_replaces_the_event(self):
        events = self.wait_for(lambda: self.events_of("greet"), timeout=15, message="a firing with input")
        self.assertEqual(events[0], {"greeting": "hello"})

    def test_input_path_and_input_transformer_shape_the_event(self):
        events = self.wait_for(lambda: (lambda e: len(e) >= 2 and e)(self.events_of("shaped")), timeout=15,
                               message="a firing of each schedule")
        self.assertIn("Scheduled Event", events)  # inputPath: one value of the event
        [shaped] = [e for e in events if isinstance(e, dict)][:1]
        self.assertRegex(shaped["when"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(shaped["note"],
                         f"fired by arn:aws:events:us-east-1:000000000000:rule/{self.names['shaped']}-schedule-1")

    def test_async_invocation_retries_twice_then_gives_up(self):
        r = self.ok("invoke", "flaky", "--type", "Event", "--data", '{"n": 1}', "--json")
        request_id = r.json()["request_id"]
        # 1 + 2 attempts, one minute then two minutes apart on the fast clock (~3 s).
        def attempts():
            lines = self.logs("flaky")
            starts = [l for l in lines if l["message"].startswith(f"START RequestId: {request_id}")]
            done = [l for l in lines if "failed 3 times" in l["message"]]
            return len(starts) == 3 and done and lines
        lines = self.wait_for(attempts, timeout=20, message="three attempts and the give-up line")
        starts = [l for l in lines if l["message"].startswith("START ")]
        gaps = [(b - a) for a, b in zip([self.ms(s) for s in starts], [self.ms(s) for s in starts[1:]])]
        # 60 s and 120 s of Lambda time at 60x: about 1 s and 2 s.
        self.assertGreater(gaps[1], gaps[0])
        self.assertEqual(len([l for l in lines if "attempt for {\"n\": 1}" in l["message"]]), 3)
        # Every attempt is billed and counted.
        [f] = self.ok("cost", "flaky", "--json").json()["functions"]
        self.assertEqual((f["invocations"], f["errors"]), (3, 3))

    def test_max_retry_attempts_zero(self):
        r = self.ok("invoke", "once", "--type", "Event", "--json")
        rid = r.json()["request_id"]
        self.wait_for(lambda: any("failed 1 time;" in l["message"] for l in self.logs("once")), timeout=10,
                      message="the give-up line")
        self.assertEqual(len([l for l in self.logs("once") if l["message"].startswith(f"START RequestId: {rid}")]), 1)

    def test_a_function_as_on_failure_destination_gets_the_invocation_record(self):
        rid = self.ok("invoke", "relay", "--type", "Event", "--data", '{"n": 7}', "--json").json()["request_id"]
        records = self.wait_for(lambda: [e for e in self.events_of("tick") if "requestContext" in e], timeout=15,
                                message="the failure record, invoked on tick")
        [record] = records
        self.assertEqual(record["requestContext"]["requestId"], rid)
        self.assertEqual(record["requestContext"]["condition"], "RetriesExhausted")
        self.assertEqual(record["requestContext"]["approximateInvokeCount"], 1)
        self.assertEqual(record["requestPayload"], {"n": 7})
        self.assertEqual(record["responseContext"]["functionError"], "Unhandled")
        self.assertEqual(record["responsePayload"]["errorMessage"], "always fails")
        self.assertTrue(any(f"sent to arn:aws:lambda:" in l["message"] and self.names["tick"] in l["message"]
                            for l in self.logs("relay")))

    def records_on_tick(self, message):
        return self.wait_for(lambda: [e for e in self.events_of("tick") if "requestContext" in e], timeout=15,
                             message=message)

    def test_on_success_destination_gets_the_result(self):
        rid = self.ok("invoke", "pleased", "--type", "Event", "--data", '{"n": 3}', "--json").json()["request_id"]
        [record] = self.records_on_tick("the success record")
        self.assertEqual(record["requestContext"]["requestId"], rid)
        self.assertEqual(record["requestContext"]["condition"], "Success")
        self.assertEqual(record["requestPayload"], {"n": 3})
        self.assertEqual(record["responseContext"], {"statusCode": 200, "executedVersion": "$LATEST"})
        self.assertEqual(record["responsePayload"], "ok")

    def test_maximum_event_age_stops_the_retries(self):
        # Retries come one, then two minutes apart: the second would be 3 minutes after the
        # call, over maximumEventAge's 170 s (which leaves the first attempt almost 2 s of real
        # time at 60x before the first retry would be too late as well).
        rid = self.ok("invoke", "aging", "--type", "Event", "--json").json()["request_id"]
        [record] = self.records_on_tick("the record of the event that got too old")
        self.assertEqual(record["requestContext"]["condition"], "EventAgeExceeded")
        self.assertEqual(record["requestContext"]["approximateInvokeCount"], 2)
        lines = [l["message"] for l in self.logs("aging")]
        self.assertEqual(len([m for m in lines if m.startswith(f"START RequestId: {rid}")]), 2)
        self.assertTrue(any("failed 2 times and would be over maximumEventAge (170 s)" in m for m in lines), lines)

    @staticmethod
    def ms(line):
        return time.mktime(time.strptime(line["time"][:19], "%Y-%m-%dT%H:%M:%S")) * 1000 + int(line["time"][20:23])


class AsyncDurabilityTest(FxTestCase):
    """An accepted event survives kill -9 of the emulator: it runs after the restart."""
    start_emulator = False

    def test_event_survives_kill_9(self):
        env = dict(self.env, FX_EMULATOR_CLOCK_SPEED="60")
        r = self.fx("emulator", "start", "--port", "0", "--json", env=env)
        self.assertEqual(r.code, 0, r)
        pid, port = r.json()["pid"], r.json()["url"].rsplit(":", 1)[1]
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider:
                  name: aws
                  runtime: python3.11
                functions:
                  slow:
                    handler: app.slow
                    timeout: 30
                """,
            "app.py": """
                import time
                def slow(event, context):
                    time.sleep(float(event.get("sleep", 0)))
                    print("DONE " + event["tag"])
                    return "ok"
                """,
        })
        self.ok("deploy", env=env)
        # One busy (killed mid-run), one queued behind nothing: both must run after restart.
        self.ok("invoke", "slow", "--type", "Event", "--data", '{"tag": "first", "sleep": 5}', env=env)
        time.sleep(0.5)
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.3)
        r = self.fx("emulator", "start", "--port", port, "--json", env=env)
        self.assertEqual(r.code, 0, r)
        try:
            self.wait_for(lambda: any(l["message"] == "DONE first" for l in self.logs("slow", env=env)),
                          timeout=20, message="the event to run after the restart")
        finally:
            self.fx("emulator", "stop", env=env)


if __name__ == "__main__":
    main()
