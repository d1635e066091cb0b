"""Scale to zero: idle instances are stopped after custom.fx.idleTimeout, and the next call is
a cold start again."""
import os
import shutil
import tempfile
import time

from fxtest import FxTestCase, main, host_pid


class IdleReapTest(FxTestCase):
    def test_idle_instances_are_stopped_after_the_idle_timeout(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider:
                  name: aws
                  runtime: python3.11
                custom:
                  fx:
                    idleTimeout: 3
                functions:
                  pid:
                    handler: app.pid
                """,
            "app.py": """
                import os
                def pid(event, context):
                    return os.readlink('/proc/self/ns/pid') + '/' + str(os.getpid()) + '/' + open('/proc/self/stat').read().rsplit(')', 1)[1].split()[19]
                """,
        })
        self.ok("deploy")
        first = self.ok("invoke", "pid", "--json").json()
        self.assertIsNotNone(first["init_ms"])
        # Warm while busy enough: a second call soon after reuses the instance.
        again = self.ok("invoke", "pid", "--json").json()
        self.assertEqual(again["result"], first["result"])
        self.assertIsNone(again.get("init_ms"))
        # Idle past the timeout (3 s, checked every second): the process is gone...
        self.wait_for(lambda: host_pid(first["result"]) is None, timeout=15,
                      message="the idle instance to be stopped")
        info = self.ok("info", "--json").json()["functions"][0]
        self.assertEqual(info["instances"], {"busy": 0, "idle": 0})
        status = self.ok("emulator", "status", "--json").json()
        self.assertEqual(status["instances"], 0)
        self.assertGreaterEqual(status["totals"]["invocations"], 2)
        self.assertGreaterEqual(status["totals"]["cold_starts"], 1)
        # ...and the next call is a cold start on a new instance.
        later = self.ok("invoke", "pid", "--json").json()
        self.assertNotEqual(later["result"], first["result"])
        self.assertIsNotNone(later["init_ms"])


class MemoryLimitTest(FxTestCase):
    def test_an_instance_past_its_memory_size_is_killed_with_runtime_out_of_memory(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider:
                  name: aws
                  runtime: python3.11
                functions:
                  hog:
                    handler: app.hog
                    memorySize: 128
                """,
            "app.py": """
                import subprocess, sys, time
                def hog(event, context):
                    if event.get("child_mb"):
                        # The memory is the child's: the limit holds for the instance as a whole.
                        code = f"b = b'x' * ({event['child_mb']} << 20); import time; time.sleep(5)"
                        subprocess.run([sys.executable, "-c", code])
                        return "child done"
                    if event.get("mb"):
                        block = b"x" * (event["mb"] << 20)  # written: resident, not just mapped
                        time.sleep(1)
                        return len(block)
                    return "small"
                """,
        })
        self.ok("deploy")
        r = self.fx("invoke", "hog", "--data", '{"mb": 300}', "--json")
        self.assertEqual(r.code, 1, r)
        out = r.json()
        self.assertEqual(out["result"]["errorType"], "Runtime.OutOfMemory", out)
        self.assertIn("signal: killed", out["result"]["errorMessage"])
        self.assertGreater(out["max_memory_mb"], 128)
        # The next call gets a fresh instance and works.
        self.assertEqual(self.ok("invoke", "hog", "--json").json()["result"], "small")
        [f] = self.ok("cost", "hog", "--json").json()["functions"]
        self.assertEqual((f["out_of_memory"], f["errors"]), (1, 1))
        # Memory held by a process the handler spawned counts too.
        r = self.fx("invoke", "hog", "--data", '{"child_mb": 300}', "--json")
        self.assertEqual(r.code, 1, r)
        self.assertEqual(r.json()["result"]["errorType"], "Runtime.OutOfMemory", r)
        self.assertGreater(r.json()["max_memory_mb"], 128)
        # Within the limit, the same handler runs.
        self.assertEqual(self.ok("invoke", "hog", "--data", '{"mb": 40}', "--json").json()["result"], 40 << 20)


class PrivateTmpTest(FxTestCase):
    """Each instance has its own /tmp (root only: a tmpfs in the instance's mount namespace),
    as on Lambda. FX_HOME must not be under /tmp for that, so this class keeps it elsewhere."""
    start_emulator = False

    def test_each_instance_has_its_own_tmp(self):
        if os.geteuid() != 0:
            self.skipTest("a private /tmp needs root (a mount namespace)")
        home = tempfile.mkdtemp(prefix="fx-e2e-home-", dir="/var/tmp")
        env = dict(self.env, FX_HOME=home)
        try:
            r = self.fx("emulator", "start", "--port", "0", "--json", env=env)
            self.assertEqual(r.code, 0, r)
            self.make_service({
                "serverless.yaml": """
                    service: SERVICE
                    provider:
                      name: aws
                      runtime: python3.11
                    functions:
                      tmp:
                        handler: app.tmp
                      big:
                        handler: app.tmp
                        ephemeralStorageSize: 1024
                    """,
                "app.py": """
                    import os, time, uuid
                    def tmp(event, context):
                        mine = f"/tmp/{uuid.uuid4().hex}"
                        open(mine, "w").write("x")
                        time.sleep(event.get("sleep", 0))
                        st = os.statvfs("/tmp")
                        return {"files": sorted(os.listdir("/tmp")), "mb": st.f_blocks * st.f_frsize // 2**20}
                    """,
            })
            self.ok("deploy", env=env)
            # Two instances at once (the first one busy): each sees only its own file.
            import threading
            out = {}
            t = threading.Thread(target=lambda: out.update(a=self.fx("invoke", "tmp", "--data", '{"sleep": 1.5}',
                                                                     "--json", env=env)))
            t.start()
            time.sleep(0.5)
            b = self.fx("invoke", "tmp", "--json", env=env)
            t.join()
            a = out["a"]
            self.assertEqual((a.code, b.code), (0, 0), (a, b))
            self.assertEqual(len(a.json()["result"]["files"]), 1)
            self.assertEqual(len(b.json()["result"]["files"]), 1)
            self.assertNotEqual(a.json()["result"]["files"], b.json()["result"]["files"])
            self.assertEqual(a.json()["result"]["mb"], 512)
            # ephemeralStorageSize sizes it.
            big = self.ok("invoke", "big", "--json", env=env).json()["result"]
            self.assertEqual(big["mb"], 1024)
            # Nothing of it reached the machine's own /tmp.
            for f in a.json()["result"]["files"] + b.json()["result"]["files"]:
                self.assertFalse(os.path.exists(os.path.join("/tmp", f)))
        finally:
            self.fx("emulator", "stop", env=env)
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
