"""What the README promises about the store: every log line and usage record of an answered
call survives a kill -9 of the emulator; one invocation cannot fill the disk with output; and
logRetentionInDays deletes what is older."""
import http.client
import json
import os
import signal
import sqlite3
import time

from fxtest import FxTestCase, main

SERVICE = {
    "serverless.yaml": """
        service: SERVICE
        provider: {name: aws, runtime: python3.11}
        functions:
          hello:
            handler: app.hello
          chatty:
            handler: app.chatty
            timeout: 30
        """,
    "app.py": """
        import sys

        def hello(event, context):
            print("hello", event.get("n"))
            return event.get("n")

        def chatty(event, context):
            if event.get("lines"):
                line = "x" * 999 + "\\n"
                for _ in range(event["lines"]):
                    sys.stdout.write(line)
            if event.get("long"):
                sys.stdout.write("y" * event["long"])
                sys.stdout.write("\\nafter the long line\\n")
            sys.stdout.flush()
            return "done"
        """,
}


class KillNine(FxTestCase):
    def test_every_answered_call_is_logged_and_metered_after_kill_9(self):
        self.make_service(SERVICE)
        self.ok("deploy")
        name = f"{self.service_name}-dev-hello"
        host = self.url.split("//", 1)[1]
        conn = http.client.HTTPConnection(host, timeout=30)
        answered = []
        for n in range(300):
            conn.request("POST", f"/2015-03-31/functions/{name}/invocations", json.dumps({"n": n}),
                         headers=self.auth())
            r = conn.getresponse()
            body = r.read()
            self.assertEqual(r.status, 200, body)
            answered.append(r.getheader("x-amzn-RequestId"))
        # At once, before the writer's next batch could have gone by itself.
        os.kill(self.pid, signal.SIGKILL)
        conn.close()
        self.wait_for(lambda: self.fx("emulator", "status").code == 1, message="the emulator to die")
        # What the store had not taken yet is in the journal; the next start puts it back.
        r = self.ok("emulator", "start", "--port", "0", "--json")
        type(self).url, type(self).pid = r.json()["url"], r.json()["pid"]
        db = sqlite3.connect(os.path.join(self.home, "state.db"))
        reports = {row[0] for row in db.execute(
            "SELECT request_id FROM logs WHERE message LIKE 'REPORT %' AND function = ?", (name,))}
        usage = {row[0] for row in db.execute(
            "SELECT request_id FROM usage_records WHERE function = ?", (name,))}
        lines = {row[0] for row in db.execute(
            "SELECT request_id FROM logs WHERE message LIKE 'hello %' AND function = ?", (name,))}
        db.close()
        self.assertEqual(set(answered) - reports, set(), "REPORT lines lost")
        self.assertEqual(set(answered) - usage, set(), "usage records lost")
        self.assertEqual(set(answered) - lines, set(), "the function's own lines lost")
        # Each once: the replay skips what the store had.
        db = sqlite3.connect(os.path.join(self.home, "state.db"))
        counts = db.execute("SELECT (SELECT count(*) FROM logs WHERE function = ?1 AND message "
                            "LIKE 'REPORT %'), (SELECT count(*) FROM usage_records WHERE "
                            "function = ?1)", (name,)).fetchone()
        db.close()
        self.assertEqual(counts, (300, 300))


class LineAttribution(FxTestCase):
    def test_a_line_printed_just_before_the_answer_is_its_invocations(self):
        # The handler prints, then answers at once: the answer can be served before the line is
        # read from the pipe, and the line must still carry its invocation's request id (it
        # once went to the store with none, about one call in 300).
        self.make_service(SERVICE)
        self.ok("deploy")
        name = f"{self.service_name}-dev-hello"
        conn = http.client.HTTPConnection(self.url.split("//", 1)[1], timeout=30)
        by_n = {}
        for n in range(600):
            conn.request("POST", f"/2015-03-31/functions/{name}/invocations", json.dumps({"n": n}),
                         headers=self.auth())
            r = conn.getresponse()
            self.assertEqual(r.status, 200, r.read())
            r.read()
            by_n[n] = r.getheader("x-amzn-RequestId")
        conn.close()
        self.ok("emulator", "stop")
        db = sqlite3.connect(os.path.join(self.home, "state.db"))
        rows = db.execute("SELECT message, request_id FROM logs WHERE message LIKE 'hello %' "
                          "AND function = ?", (name,)).fetchall()
        db.close()
        got = {int(message.split()[1]): request_id for message, request_id in rows}
        self.assertEqual(len(rows), 600)
        wrong = {n: (got.get(n), rid) for n, rid in by_n.items() if got.get(n) != rid}
        self.assertEqual(wrong, {})


class OutputLimits(FxTestCase):
    def test_an_invocation_logs_at_most_10_mb_and_a_line_256_kb(self):
        self.make_service(SERVICE)
        self.ok("deploy")
        db_path = os.path.join(self.home, "state.db")
        size_before = os.path.getsize(db_path) + os.path.getsize(db_path + "-wal")
        # 60 MB in 60,000 lines of 1,000 bytes: the first 10 MB are kept.
        r = self.ok("invoke", "chatty", "--data", '{"lines": 60000}', timeout=120)
        self.assertEqual(json.loads(r.out), "done")
        lines = self.logs("chatty")
        kept = [l for l in lines if l["message"].startswith("xxx")]
        # Lines are kept whole: up to the one that crosses 10 MB.
        self.assertLessEqual(len(kept) * 1000, 10 * 1024 * 1024 + 1000)
        self.assertGreater(len(kept) * 1000, 10 * 1024 * 1024)
        dropped = [l["message"] for l in lines if l["message"].startswith("[fx]")]
        self.assertEqual(len(dropped), 1, dropped)
        self.assertRegex(dropped[0], r"^\[fx\] \d+ bytes of output were dropped: one invocation "
                                     r"may log 10 MB \(and one line 256 KB\)$")
        self.assertEqual(int(dropped[0].split()[1]), 60000 * 1000 - len(kept) * 1000)
        # The END and REPORT lines are never dropped.
        self.assertTrue(any(l["message"].startswith("REPORT ") for l in lines))
        db = sqlite3.connect(db_path)
        stored = db.execute("SELECT sum(length(message)) FROM logs WHERE function = ?",
                            (f"{self.service_name}-dev-chatty",)).fetchone()[0]
        db.close()
        self.assertLess(stored, 10 * 1024 * 1024 + 4096)
        # The files (the WAL keeps its largest size) stay far from the 60 MB written.
        size_after = os.path.getsize(db_path) + os.path.getsize(db_path + "-wal")
        self.assertLess(size_after - size_before, 40 * 1024 * 1024)

    def test_a_line_longer_than_256_kb_is_cut_and_marked(self):
        self.make_service(SERVICE)
        self.ok("deploy")
        self.ok("invoke", "chatty", "--data", '{"long": 1000000}')
        lines = [l["message"] for l in self.logs("chatty")]
        long = [m for m in lines if m.startswith("yyy")]
        self.assertEqual(len(long), 1)
        self.assertTrue(long[0].endswith(
            " [fx: line cut at 262144 bytes, CloudWatch Logs' limit on one event]"), long[0][-100:])
        self.assertEqual(len(long[0]), 262144 + len(
            " [fx: line cut at 262144 bytes, CloudWatch Logs' limit on one event]"))
        self.assertIn("after the long line", lines)


class Retention(FxTestCase):
    # One day of the emulator's clock passes in a second: a 3-day retention keeps a new line for
    # 3 s, time enough to read it back even under a sanitizer on a loaded machine (at a tenth
    # of a second a day, the new line was sometimes pruned before `fx logs` read it).
    emulator_env = {"FX_EMULATOR_CLOCK_SPEED": "86400"}

    def test_log_retention_deletes_older_lines_and_records(self):
        self.make_service(SERVICE)
        self.ok("deploy")
        name = f"{self.service_name}-dev-hello"
        self.ok("invoke", "hello", "--data", '{"n": 1}')
        self.assertTrue(self.logs("hello"))
        time.sleep(5)  # five days of that clock
        host = self.url.split("//", 1)[1]
        conn = http.client.HTTPConnection(host, timeout=30)
        doc = {"functions": [name], "log_retention": {name: 3}}
        conn.request("PUT", f"/_fx/v1/services/{self.service_name}", json.dumps(doc),
                     headers=self.auth())
        r = conn.getresponse()
        self.assertEqual(r.status, 200, r.read())
        conn.close()
        self.wait_for(lambda: not self.fx("logs", "hello", "--json").out.strip(),
                      message="the old lines to go")
        db = sqlite3.connect(os.path.join(self.home, "state.db"))
        usage = db.execute("SELECT count(*) FROM usage_records WHERE function = ?", (name,)).fetchone()
        db.close()
        self.assertEqual(usage[0], 0)
        # New lines stay until they are old in their turn.
        self.ok("invoke", "hello", "--data", '{"n": 2}')
        self.assertIn("hello 2", [l["message"] for l in self.logs("hello")])

    def test_log_retention_in_days_from_the_manifest(self):
        files = dict(SERVICE)
        files["serverless.yaml"] = files["serverless.yaml"].replace(
            "provider: {name: aws, runtime: python3.11}",
            "provider: {name: aws, runtime: python3.11, logRetentionInDays: 3}").replace(
            "          chatty:\n", "          chatty:\n            logRetentionInDays: 30\n")
        self.make_service(files)
        self.ok("deploy")
        self.ok("invoke", "hello", "--data", '{"n": 1}')
        self.ok("invoke", "chatty", "--data", '{"lines": 1}')
        time.sleep(5)  # five days of the emulator's clock: past hello's 3, not chatty's 30
        self.ok("deploy", "--force")  # a deploy applies retention at once (else: hourly)
        self.wait_for(lambda: "hello 1" not in [l["message"] for l in self.logs("hello")],
                      message="hello's old lines to go")
        self.assertTrue(any(l["message"].startswith("xxx") for l in self.logs("chatty")))


if __name__ == "__main__":
    main()
