"""Scale to zero: idle instances are stopped after custom.fx.idleTimeout, and the next call is
a cold start again."""
import os
import time

from fxtest import FxTestCase, main


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
                    idleTimeout: 1
                functions:
                  pid:
                    handler: app.pid
                """,
            "app.py": """
                import os
                def pid(event, context):
                    return os.getpid()
                """,
        })
        self.ok("deploy")
        first = self.ok("invoke", "pid", "--json").json()
        self.assertIsNotNone(first["init_ms"])
        # Warm while busy enough: a second call soon after reuses the instance.
        again = self.ok("invoke", "pid", "--json").json()
        self.assertEqual(again["result"], first["result"])
        self.assertIsNone(again.get("init_ms"))
        # Idle past the timeout (1 s, checked every second): the process is gone...
        self.wait_for(lambda: not os.path.exists(f"/proc/{first['result']}"), timeout=10,
                      message="the idle instance to be stopped")
        info = self.ok("info", "--json").json()["functions"][0]
        self.assertEqual(info["instances"], {"busy": 0, "idle": 0})
        # ...and the next call is a cold start on a new instance.
        later = self.ok("invoke", "pid", "--json").json()
        self.assertNotEqual(later["result"], first["result"])
        self.assertIsNotNone(later["init_ms"])


if __name__ == "__main__":
    main()
