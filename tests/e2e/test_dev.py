"""`fx dev` through the real binary: deploy, redeploy on a save, streamed logs, Ctrl-C."""
import json
import os
import queue
import signal
import subprocess
import threading
import time

from fxtest import FX, FxTestCase, main, host_pid

SERVICE = {
    "serverless.yaml": """
        service: SERVICE
        provider:
          name: aws
          runtime: python3.11
        functions:
          hello:
            handler: app.hello
          other:
            handler: other.handler
        """,
    "app.py": """
        import os
        def hello(event, context):
            print("hello ran")
            return {"version": 1, "pid": os.readlink('/proc/self/ns/pid') + '/' + str(os.getpid()) + '/' + open('/proc/self/stat').read().rsplit(')', 1)[1].split()[19]}
        """,
    "other.py": """
        def handler(event, context):
            return "other"
        """,
}


class DevTest(FxTestCase):
    start_emulator = False

    def start_dev(self):
        self.make_service(SERVICE)
        proc = subprocess.Popen([FX, "dev", "--port", "0", "--gateway-port", "0"], cwd=self.service_dir,
                                env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        lines, errors = queue.Queue(), queue.Queue()
        for stream, q in ((proc.stdout, lines), (proc.stderr, errors)):
            threading.Thread(target=lambda s=stream, q=q: [q.put(l.rstrip("\n")) for l in s], daemon=True).start()
        self.addCleanup(lambda: proc.poll() is None and os.killpg(proc.pid, signal.SIGKILL))
        # A failed test must not leave fx dev's emulator running.
        self.addCleanup(lambda: self.fx("emulator", "stop"))
        return proc, lines, errors

    def wait_line(self, q, needle, timeout=30):
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                line = q.get(timeout=0.2)
            except queue.Empty:
                continue
            seen.append(line)
            if needle in line:
                return line
        self.fail(f"no line with {needle!r} in {seen}")

    def test_edit_redeploys_only_what_changed_and_ctrl_c_stops_everything(self):
        proc, out, err = self.start_dev()
        self.wait_line(out, "watching")
        first = self.ok("invoke", "hello", "--json").json()["result"]
        self.assertEqual(first["version"], 1)
        # The function's prints stream in, prefixed by the function.
        self.wait_line(out, "[hello] hello ran")

        with open(os.path.join(self.service_dir, "app.py"), "w") as f:
            f.write("import os\ndef hello(event, context):\n    return {'version': 2, 'pid': "
                    "os.readlink('/proc/self/ns/pid') + '/' + str(os.getpid()) + '/' + open('/proc/self/stat').read().rsplit(')', 1)[1].split()[19]}\n")
        line = self.wait_line(out, "redeployed")
        self.assertIn("hello", line)
        self.assertNotIn("other", line)  # its bundle did not change
        second = self.ok("invoke", "hello", "--json").json()["result"]
        self.assertEqual(second["version"], 2)  # the next request runs the new code
        self.assertNotEqual(second["pid"], first["pid"])

        # A broken save is reported; the loop goes on and the old code keeps serving.
        with open(os.path.join(self.service_dir, "serverless.yaml"), "a") as f:
            f.write("  broken: [\n")
        self.wait_line(err, "fx: error:")
        # (invoked by its deployed name from outside the service: its manifest is broken now)
        deployed = f"{self.service_name}-dev-hello"
        self.assertEqual(self.ok("invoke", deployed, "--json", cwd=self.root).json()["result"]["version"], 2)

        # A function deleted from the manifest is deleted from the emulator on that save.
        with open(os.path.join(self.service_dir, "serverless.yaml"), "w") as f:
            f.write(f"service: {self.service_name}\nprovider: {{name: aws, runtime: python3.11}}\n"
                    "functions:\n  hello:\n    handler: app.hello\n")
        self.wait_line(out, "removed other")
        r = self.fx("invoke", f"{self.service_name}-dev-other", cwd=self.root)
        self.assertEqual(r.code, 1, r)

        proc.send_signal(signal.SIGINT)
        self.assertEqual(proc.wait(timeout=20), 0)
        self.assertFalse(os.path.exists(os.path.join(self.home, "emulator.json")))
        for pid in (first["pid"], second["pid"]):
            self.assertIsNone(host_pid(pid), f"instance {pid} outlived fx dev")


if __name__ == "__main__":
    main()
