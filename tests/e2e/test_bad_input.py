"""Bad input gets one clear `fx: error:` line, and nothing deployed or logged is lost."""
import json
import os
import signal
import socket
import time

from fxtest import FxTestCase, main

GOOD = {
    "serverless.yaml": """
        service: SERVICE
        provider: {name: aws, runtime: python3.11}
        functions:
          hello:
            handler: app.hello
        """,
    "app.py": """
        def hello(event, context):
            print("hello ran")
            return "hi"
        """,
}


class WithoutEmulator(FxTestCase):
    start_emulator = False

    def test_no_manifest(self):
        os.makedirs(os.path.join(self.root, "empty"), exist_ok=True)
        r = self.fx("deploy", cwd=os.path.join(self.root, "empty"))
        self.assertEqual(r.code, 1, r)
        self.assertTrue(r.err.startswith("fx: error: no serverless.yaml or serverless.yml"), r.err)
        self.assertIn("fx init", r.err)

    def test_malformed_yaml_names_file_line_and_column(self):
        self.make_service({"serverless.yaml": "service: x\nprovider:\n  name: aws\n   runtime: [python3.11\n"})
        r = self.fx("deploy")
        self.assertEqual(r.code, 1, r)
        self.assertRegex(r.err, r"^fx: error: serverless\.yaml:\d+:\d+: ")

    def test_unknown_runtime(self):
        files = dict(GOOD)
        files["serverless.yaml"] = files["serverless.yaml"].replace("python3.11", "cobol85")
        self.make_service(files)
        r = self.fx("deploy")
        self.assertEqual(r.code, 1, r)
        self.assertRegex(r.err, r"serverless\.yaml:2:\d+: provider\.runtime")
        self.assertIn("cobol85", r.err)

    def test_bad_handler_shape(self):
        files = dict(GOOD)
        files["serverless.yaml"] = files["serverless.yaml"].replace("app.hello", "hello")
        self.make_service(files)
        r = self.fx("package")
        self.assertEqual(r.code, 1, r)
        self.assertIn('serverless.yaml:5:14: functions.hello.handler: expected "file.export", got "hello"', r.err)

    def test_unknown_keys_warn_and_do_not_fail(self):
        files = dict(GOOD)
        files["serverless.yaml"] = files["serverless.yaml"].rstrip(" ") + "        frobnicate: yes\n"
        self.make_service(files)
        r = self.fx("package")
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.err.count("frobnicate"), 1, r.err)
        self.assertIn("fx: warning:", r.err)

    def test_invoke_when_no_emulator_runs(self):
        self.make_service(GOOD)
        r = self.fx("invoke", "hello")
        self.assertEqual(r.code, 1, r)
        self.assertIn("fx: error: no emulator is running", r.err)
        self.assertIn("fx emulator start", r.err)

    def test_usage_errors_exit_2(self):
        r = self.fx("invoke")
        self.assertEqual(r.code, 2, r)
        self.assertIn("fx: error:", r.err)
        r = self.fx("frobnicate")
        self.assertEqual(r.code, 2, r)

    def test_port_taken(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            port = s.getsockname()[1]
            r = self.fx("emulator", "start", "--port", str(port))
            self.assertEqual(r.code, 1, r)
            self.assertIn(f"cannot listen on 127.0.0.1:{port}: Address already in use", r.err)
            self.assertIn("--port", r.err)
        self.assertEqual(self.fx("emulator", "status").code, 1)

    def test_non_loopback_needs_a_token(self):
        r = self.fx("emulator", "start", "--port", "0", "--listen", "0.0.0.0")
        self.assertEqual(r.code, 1, r)
        self.assertIn("without a token", r.err)


class EmulatorLifecycle(FxTestCase):
    def test_second_start_is_refused(self):
        r = self.fx("emulator", "start", "--port", "0")
        self.assertEqual(r.code, 1, r)
        self.assertIn("already running", r.err)
        self.assertIn("fx emulator stop", r.err)
        status = self.ok("emulator", "status", "--json").json()
        self.assertTrue(status["running"])
        self.assertEqual(status["url"], self.url)

    def test_kill_9_and_restart_keeps_functions_and_logs(self):
        self.make_service(GOOD)
        self.ok("deploy")
        self.ok("invoke", "hello")
        before = self.logs("hello")
        self.assertIn("hello ran", [l["message"] for l in before])
        os.kill(self.ok("emulator", "status", "--json").json()["pid"], signal.SIGKILL)
        self.wait_for(lambda: self.fx("emulator", "status").code == 1, message="the emulator to die")
        r = self.ok("emulator", "start", "--port", "0", "--json")
        type(self).url = r.json()["url"]
        self.assertEqual(self.logs("hello"), before)
        self.assertEqual(self.ok("deploy", "--json").json()[0]["status"], "unchanged")
        self.assertEqual(json.loads(self.ok("invoke", "hello").out), "hi")
        self.assertEqual(len(self.logs("hello")), len(before) * 2)


if __name__ == "__main__":
    main()
