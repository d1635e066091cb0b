"""The local loop through the real fx binary: init, deploy, invoke, logs, info, remove."""
import json
import os
import re
import subprocess
import textwrap
import time
import urllib.error
import urllib.request
import zipfile

from fxtest import FxTestCase, main

PY_SERVICE = {
    "serverless.yaml": """
        service: SERVICE
        provider:
          name: aws
          runtime: python3.11
          memorySize: 256
          timeout: 3
          environment:
            SHARED: from-provider
        functions:
          echo:
            handler: app.echo
            environment:
              OWN: from-function
          boom:
            handler: app.boom
          quit:
            handler: app.quit
          env:
            handler: app.env
          pid:
            handler: app.pid
          chatty:
            handler: app.chatty
          slow:
            handler: app.slow
            timeout: 1
          big:
            handler: app.big
        """,
    "app.py": """
        import os, sys, time
        def echo(event, context):
            return {"event": event, "request_id": context.aws_request_id,
                    "memory": context.memory_limit_in_mb, "name": context.function_name}
        def boom(event, context):
            print("about to fail")
            raise ValueError("boom")
        def quit(event, context):
            print("leaving now", flush=True)
            sys.exit(1)
        def env(event, context):
            return dict(os.environ)
        def pid(event, context):
            return os.readlink('/proc/self/ns/pid') + '/' + str(os.getpid()) + '/' + open('/proc/self/stat').read().rsplit(')', 1)[1].split()[19]
        def chatty(event, context):
            for i in range(3):
                print(f"line {i} {event.get('tag', '')}")
            return "ok"
        def big(event, context):
            return "x" * event["size"]
        def slow(event, context):
            print("sleeping")
            time.sleep(5)
            return "never"
        """,
}


class LocalLoop(FxTestCase):
    def test_init_deploy_invoke_logs_python_template(self):
        d = os.path.join(self.root, "hello-py")
        r = self.ok("init", d, "--template", "python", "--json", cwd=self.root)
        self.assertIn("handler.py", r.json()["files"])
        self.service_dir = d
        r = self.ok("deploy", "--json")
        [fn] = r.json()
        self.assertEqual((fn["function"], fn["name"], fn["status"]), ("hello", "hello-py-dev-hello", "created"))
        self.assertEqual(len(fn["sha256"]), 64)
        r = self.ok("invoke", "hello", "--data", '{"name": "you"}')
        self.assertEqual(json.loads(r.out), {"statusCode": 200, "body": '"Hello, you!"'})
        r = self.ok("invoke", "hello")
        self.assertEqual(json.loads(json.loads(r.out)["body"]), "Hello, world!")
        messages = [l["message"] for l in self.logs("hello")]
        self.assertEqual(sum(m.startswith("START RequestId:") for m in messages), 2)
        self.assertEqual(sum(m.startswith("REPORT RequestId:") for m in messages), 2)
        # Unchanged code is not pushed again; a change is.
        self.assertEqual(self.ok("deploy", "--json").json()[0]["status"], "unchanged")
        with open(os.path.join(d, "handler.py"), "a") as f:
            f.write("\n# changed\n")
        self.assertEqual(self.ok("deploy", "--json").json()[0]["status"], "updated")

    def test_node_template(self):
        d = os.path.join(self.root, "hello-node")
        self.ok("init", d, "--template", "node", cwd=self.root)
        self.service_dir = d
        self.ok("deploy")
        r = self.ok("invoke", "hello", "--data", '{"name": "node"}')
        self.assertEqual(json.loads(json.loads(r.out)["body"]), "Hello, node!")

    def test_init_list_and_refuses_to_overwrite(self):
        r = self.ok("init", "--list", "--json", cwd=self.root)
        names = [t["name"] for t in r.json()]
        self.assertIn("python", names)
        self.assertIn("node", names)
        d = os.path.join(self.root, "twice")
        self.ok("init", d, cwd=self.root)
        r = self.fx("init", d, cwd=self.root)
        self.assertEqual(r.code, 1, r)
        self.assertIn("fx: error:", r.err)
        self.assertIn("--force", r.err)
        r = self.fx("init", d, "--template", "cobol", cwd=self.root)
        self.assertEqual(r.code, 2, r)
        self.assertIn("unknown template 'cobol'", r.err)

    def test_invoke_json_shape_and_report_fields(self):
        self.make_service(PY_SERVICE)
        self.ok("deploy", "-f", "echo")
        r = self.ok("invoke", "echo", "--data", '{"a": [1, 2]}', "--json")
        out = r.json()
        for key in ("request_id", "status_code", "function_error", "result", "duration_ms", "billed_ms",
                    "init_ms", "memory_mb", "max_memory_mb", "log"):
            self.assertIn(key, out)
        self.assertEqual(out["result"]["event"], {"a": [1, 2]})
        self.assertEqual(out["result"]["request_id"], out["request_id"])
        # Lambda's Python runtime passes the size as it finds it in the environment: a string.
        self.assertEqual(str(out["result"]["memory"]), "256")
        self.assertEqual(out["memory_mb"], 256)
        self.assertIsNone(out["function_error"])
        self.assertGreater(out["init_ms"], 0)  # the first call is a cold start
        self.assertGreaterEqual(out["billed_ms"], out["duration_ms"])
        # Max Memory Used is the process's measured peak: a Python process is over 5 MB and
        # far under the 256 MB it may use.
        self.assertTrue(5 <= out["max_memory_mb"] < 256, out["max_memory_mb"])
        second = self.ok("invoke", "echo", "--json").json()
        self.assertIsNone(second["init_ms"])  # warm
        self.assertIn(f"REPORT RequestId: {second['request_id']}", second["log"])

    def test_max_memory_used_keeps_a_brief_peak(self):
        # 80 MB held for a moment and freed before returning: too brief for the memory watch
        # to be sure to see, so Max Memory Used must come from the process's own peak (VmHWM),
        # in each runtime and on later calls too (the peak is the instance's, as on Lambda).
        self.make_service({
            "serverless.yml": """
                service: peak
                provider:
                  name: aws
                  runtime: python3.11
                functions:
                  py:
                    handler: app.burst
                  node:
                    handler: burst.burst
                    runtime: nodejs20.x
                """,
            "app.py": """
                def burst(event, context):
                    if event.get("mb"):
                        block = b"x" * (event["mb"] << 20)
                        del block
                    if event.get("hwm"):  # the process's own peak, as the kernel keeps it
                        with open("/proc/self/status") as f:
                            return [int(l.split()[1]) for l in f if l.startswith("VmHWM:")][0]
                    return "done"
                """,
            "burst.js": """
                exports.burst = async (event) => {
                  if (event.mb) Buffer.alloc(event.mb << 20, 1).fill(2);
                  return "done";
                };
                """,
        })
        self.ok("deploy")
        for fn in ("py", "node"):
            small = self.ok("invoke", fn, "--json").json()["max_memory_mb"]
            self.assertTrue(5 <= small < 80, (fn, small))
            big = self.ok("invoke", fn, "--data", '{"mb": 80}', "--json").json()
            self.assertEqual(big["result"], "done")
            self.assertGreaterEqual(big["max_memory_mb"], small + 75, (fn, big["max_memory_mb"]))
            after = self.ok("invoke", fn, "--json").json()["max_memory_mb"]
            self.assertGreaterEqual(after, big["max_memory_mb"], fn)
        # The handler process's own VmHWM, rounded up to whole MB: not, say, the peak of the
        # process that spawned it (getrusage's ru_maxrss carries that across exec). Within a
        # MB: the kernel's RSS counters are per-CPU batched, so two reads can straddle one.
        out = self.ok("invoke", "py", "--data", '{"hwm": 1}', "--json").json()
        self.assertAlmostEqual(out["max_memory_mb"], -(-out["result"] // 1024), delta=1, msg=out)

    def test_trace_id_is_per_invocation_without_growing_the_c_environment(self):
        # _X_AMZN_TRACE_ID changes with every call, as on Lambda. The shims keep it out of
        # glibc's environment (setenv keeps every distinct value forever: ~150 bytes a call);
        # Node's children still get it through process.env.
        self.make_service({
            "serverless.yml": """
                service: trace
                provider:
                  name: aws
                  runtime: python3.11
                functions:
                  py:
                    handler: app.trace
                  node:
                    handler: trace.trace
                    runtime: nodejs20.x
                """,
            "app.py": """
                import ctypes, os
                def trace(event, context):
                    c = ctypes.CDLL(None).getenv
                    c.restype = ctypes.c_char_p
                    return {"env": os.environ.get("_X_AMZN_TRACE_ID"),
                            "getenv": os.getenv("_X_AMZN_TRACE_ID"),
                            "c": c(b"_X_AMZN_TRACE_ID")}
                """,
            "trace.js": """
                const { execSync } = require("child_process");
                exports.trace = async () => ({
                  env: process.env._X_AMZN_TRACE_ID,
                  listed: Object.keys(process.env).includes("_X_AMZN_TRACE_ID"),
                  child: execSync("echo -n $_X_AMZN_TRACE_ID").toString(),
                });
                """,
        })
        self.ok("deploy")
        shape = re.compile(r"^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$")
        for fn in ("py", "node"):
            first = self.ok("invoke", fn, "--json").json()["result"]
            second = self.ok("invoke", fn, "--json").json()["result"]
            self.assertRegex(first["env"], shape)
            self.assertNotEqual(first["env"], second["env"])
            if fn == "py":
                self.assertEqual(second["getenv"], second["env"])
                self.assertIsNone(second["c"])
            else:
                self.assertTrue(second["listed"])
                self.assertEqual(second["child"], second["env"])

    def test_warm_instance_is_reused(self):
        self.make_service(PY_SERVICE)
        self.ok("deploy", "-f", "pid")
        pids = {self.ok("invoke", "pid").out.strip() for _ in range(3)}
        self.assertEqual(len(pids), 1)

    def test_environment_is_exactly_lambdas(self):
        self.make_service(PY_SERVICE)
        self.ok("deploy", "-f", "env", "-f", "echo")
        env = json.loads(self.ok("invoke", "env", env={**self.env, "LEAK_ME": "1"}).out)
        expected = {"_HANDLER", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
                    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                    "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
                    "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_REGION",
                    "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV", "TZ", "LANG", "PATH", "LD_LIBRARY_PATH",
                    # The role's credentials, as Lambda gives them (the emulator's own), and
                    # where the SDK finds the services fx serves.
                    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                    "AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL_SQS",
                    "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_DYNAMODB_STREAMS",
                    "AWS_ENDPOINT_URL_SSM", "AWS_ENDPOINT_URL_SECRETS_MANAGER",
                    "AWS_ENDPOINT_URL_SNS", "AWS_ENDPOINT_URL_S3", "SHARED"}
        # The runtime itself may add what Lambda's runtimes add (the trace id); without a
        # sandbox, fx points the SDK's files away from the user's ~/.aws.
        extra = set(env) - expected - {"_X_AMZN_TRACE_ID", "AWS_CONFIG_FILE",
                                       "AWS_SHARED_CREDENTIALS_FILE"}
        self.assertEqual(extra, set(), f"unexpected variables: {extra}")
        self.assertEqual(expected - set(env), set())
        self.assertEqual(env["SHARED"], "from-provider")
        self.assertNotIn("OWN", env)  # that one belongs to `echo`
        self.assertEqual(env["_HANDLER"], "app.env")
        self.assertEqual(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256")
        self.assertEqual(env["AWS_LAMBDA_LOG_GROUP_NAME"], f"/aws/lambda/{env['AWS_LAMBDA_FUNCTION_NAME']}")
        self.assertEqual(env["TZ"], ":UTC")
        self.assertEqual(env["AWS_LAMBDA_INITIALIZATION_TYPE"], "on-demand")

    def test_function_error_exits_1_with_error_json_and_keeps_logs(self):
        self.make_service(PY_SERVICE)
        self.ok("deploy", "-f", "boom")
        r = self.fx("invoke", "boom")
        self.assertEqual(r.code, 1, r)
        err = json.loads(r.out)
        self.assertEqual(err["errorType"], "ValueError")
        self.assertEqual(err["errorMessage"], "boom")
        self.assertIn("fx: error:", r.err)
        messages = [l["message"] for l in self.logs("boom")]
        self.assertIn("about to fail", messages)
        self.assertTrue(any(m.startswith("REPORT") for m in messages))

    def test_sys_exit_mid_invocation_is_runtime_exit_error_and_emulator_survives(self):
        self.make_service(PY_SERVICE)
        self.ok("deploy", "-f", "quit", "-f", "pid")
        r = self.fx("invoke", "quit", "--json")
        self.assertEqual(r.code, 1, r)
        out = r.json()
        self.assertEqual(out["function_error"], "Unhandled")
        self.assertEqual(out["result"]["errorType"], "Runtime.ExitError")
        self.assertIn("exit status 1", out["result"]["errorMessage"])
        messages = [l["message"] for l in self.logs("quit")]
        self.assertIn("leaving now", messages)
        self.assertTrue(any(m.startswith("END RequestId:") for m in messages))
        # The next call starts a fresh instance and works; other functions are unaffected.
        r = self.fx("invoke", "quit", "--json")
        self.assertIsNotNone(r.json()["init_ms"])
        self.ok("invoke", "pid")

    def test_node_process_exit_and_throw(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider: {name: aws, runtime: nodejs20.x}
                functions:
                  quit:
                    handler: index.quit
                  boom:
                    handler: index.boom
                """,
            "index.js": """
                exports.quit = async () => { console.log('leaving'); process.exit(1); };
                exports.boom = async () => { throw new TypeError('bad type'); };
                """,
        })
        self.ok("deploy")
        r = self.fx("invoke", "quit", "--json")
        self.assertEqual(r.code, 1, r)
        self.assertEqual(r.json()["result"]["errorType"], "Runtime.ExitError")
        self.assertTrue(any("leaving" in l["message"] for l in self.logs("quit")))
        r = self.fx("invoke", "boom", "--json")
        self.assertEqual(r.code, 1, r)
        self.assertEqual(r.json()["result"]["errorType"], "TypeError")
        self.assertEqual(r.json()["result"]["errorMessage"], "bad type")

    def test_timeout_kills_the_instance(self):
        self.make_service(PY_SERVICE)
        self.ok("deploy", "-f", "slow")
        started = time.monotonic()
        r = self.fx("invoke", "slow", "--json")
        elapsed = time.monotonic() - started
        self.assertEqual(r.code, 1, r)
        self.assertEqual(r.json()["result"]["errorType"], "Sandbox.Timedout")
        self.assertIn("Task timed out after 1.00 seconds", r.json()["result"]["errorMessage"])
        self.assertLess(elapsed, 4.5)  # killed at its 1 s deadline, not after its 5 s sleep
        messages = [l["message"] for l in self.logs("slow")]
        self.assertIn("sleeping", messages)
        self.assertTrue(any("Task timed out after 1.00 seconds" in m for m in messages))

    def test_response_size_limit_is_lambdas(self):
        self.make_service(PY_SERVICE)
        self.ok("deploy", "-f", "big")
        # 6291556 bytes of JSON is the limit: a string of 6291554 characters plus its quotes.
        r = self.ok("invoke", "big", "--data", '{"size": 6291554}', "--json")
        self.assertEqual(len(r.json()["result"]), 6291554)
        r = self.fx("invoke", "big", "--data", '{"size": 7000000}', "--json")
        self.assertEqual(r.code, 1, r)
        self.assertEqual(r.json()["result"]["errorType"], "Function.ResponseSizeTooLarge")
        # The instance survives and serves the next call warm.
        r = self.ok("invoke", "big", "--data", '{"size": 3}', "--json")
        self.assertEqual(r.json()["result"], "xxx")
        self.assertIsNone(r.json()["init_ms"])

    def test_missing_module_and_export_are_lambdas_errors(self):
        manifest = PY_SERVICE["serverless.yaml"].rstrip(" ") + """
          nomodule:
            handler: missing.handler
          noexport:
            handler: app.nothing_here
        """
        # fx's packager finds a missing handler module before anything runs...
        self.make_service({**PY_SERVICE, "serverless.yaml": manifest})
        r = self.fx("deploy", "-f", "nomodule")
        self.assertEqual(r.code, 1, r)
        self.assertIn("missing.py", r.err)
        # ...and without minimization the runtime reports it as Lambda does.
        manifest = manifest.replace("provider:", "custom:\n          fx: {minify: false}\n        provider:")
        self.make_service({**PY_SERVICE, "serverless.yaml": manifest})
        self.ok("deploy", "-f", "nomodule", "-f", "noexport")
        r = self.fx("invoke", "nomodule", "--json")
        self.assertEqual(r.code, 1, r)
        self.assertEqual(r.json()["result"]["errorType"], "Runtime.ImportModuleError")
        self.assertIn("missing", r.json()["result"]["errorMessage"])
        r = self.fx("invoke", "noexport", "--json")
        self.assertEqual(r.code, 1, r)
        self.assertEqual(r.json()["result"]["errorType"], "Runtime.HandlerNotFound")
        # The init error is logged too.
        self.assertTrue(any("Runtime.HandlerNotFound" in l["message"] for l in self.logs("noexport")))

    def test_payload_that_is_not_json(self):
        self.make_service(PY_SERVICE)
        self.ok("deploy", "-f", "echo")
        r = self.fx("invoke", "echo", "--data", "{not json")
        self.assertEqual(r.code, 1, r)
        self.assertIn("fx: error: the payload from --data is not JSON", r.err)
        self.assertIn("line 1", r.err)

    def test_payload_from_file_and_stdin(self):
        self.make_service(PY_SERVICE)
        self.ok("deploy", "-f", "echo")
        path = os.path.join(self.service_dir, "event.json")
        with open(path, "w") as f:
            f.write('{"from": "file"}')
        self.assertEqual(json.loads(self.ok("invoke", "echo", "--file", path).out)["event"], {"from": "file"})
        r = self.ok("invoke", "echo", input='{"from": "stdin"}')
        self.assertEqual(json.loads(r.out)["event"], {"from": "stdin"})

    def test_logs_filter_tail_since_and_follow(self):
        self.make_service(PY_SERVICE)
        self.ok("deploy", "-f", "chatty")
        self.ok("invoke", "chatty", "--data", '{"tag": "first"}')
        self.ok("invoke", "chatty", "--data", '{"tag": "second"}')
        lines = self.logs("chatty", "--filter", "second")
        self.assertEqual([l["message"] for l in lines], ["line 0 second", "line 1 second", "line 2 second"])
        self.assertTrue(all(l["function"].endswith("-chatty") for l in lines))
        self.assertEqual(len({l["request_id"] for l in lines}), 1)
        self.assertEqual(len(self.logs("chatty", "--tail", "2")), 2)
        self.assertEqual(self.logs("chatty", "--since", "2099-01-01T00:00:00Z"), [])
        self.assertEqual(len(self.logs("chatty", "--since", "10m")), len(self.logs("chatty")))
        r = self.fx("logs", "chatty", "--since", "yesterday")
        self.assertEqual(r.code, 2, r)  # a flag's value: a usage error
        self.assertIn("30s, 10m, 2h", r.err)
        # -f prints lines written after it started.
        follower = subprocess.Popen([self.fx_bin(), "logs", "chatty", "-f", "--json", "--since", "1s"],
                                    cwd=self.service_dir, env=self.env, stdout=subprocess.PIPE, text=True)
        try:
            time.sleep(0.5)
            self.ok("invoke", "chatty", "--data", '{"tag": "followed"}')
            seen = []
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                line = follower.stdout.readline()
                seen.append(json.loads(line)["message"])
                if "line 2 followed" in seen:
                    break
            self.assertIn("line 2 followed", seen)
        finally:
            follower.kill()
            follower.wait()

    def test_info_and_remove(self):
        self.make_service(PY_SERVICE)
        self.ok("deploy", "-f", "echo")
        self.ok("invoke", "echo")
        info = self.ok("info", "--json").json()
        self.assertEqual(info["endpoint"], self.url)
        by_key = {f["function"]: f for f in info["functions"]}
        self.assertTrue(by_key["echo"]["deployed"])
        self.assertFalse(by_key["boom"]["deployed"])
        self.assertEqual(by_key["echo"]["invocations"], 1)
        self.assertEqual(by_key["echo"]["cold_starts"], 1)
        removed = self.ok("remove", "--json").json()["removed"]
        self.assertEqual(removed, [by_key["echo"]["name"]])
        r = self.fx("invoke", "echo")
        self.assertEqual(r.code, 1, r)
        self.assertIn("is not deployed", r.err)

    def test_a_function_deleted_from_the_manifest_is_removed_on_deploy(self):
        manifest = """
            service: prune
            provider: {name: aws, runtime: python3.11}
            functions:
              keep:
                handler: app.handler
              gone:
                handler: app.handler
                events:
                  - httpApi: GET /gone
                  - schedule: rate(1 minute)
            """
        self.make_service({"serverless.yml": manifest,
                           "app.py": "def handler(event, context):\n    return 'ok'\n"})
        self.ok("deploy")
        self.ok("invoke", "gone")
        # Made with the AWS CLI, with a name like the service's: not fx's to delete.
        self.ok("invoke", "keep")
        code = os.path.join(self.service_dir, "theirs.zip")
        with zipfile.ZipFile(code, "w") as z:
            z.writestr("app.py", "def handler(event, context):\n    return 'theirs'\n")
        env = {**self.env, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
               "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": ""}
        subprocess.run(["aws", "--endpoint-url", self.url, "lambda", "create-function",
                        "--function-name", "prune-dev-theirs", "--runtime", "python3.11",
                        "--role", "arn:aws:iam::000000000000:role/x", "--handler", "app.handler",
                        "--zip-file", f"fileb://{code}"], env=env, check=True, capture_output=True)

        with open(os.path.join(self.service_dir, "serverless.yml"), "w") as f:
            f.write(textwrap.dedent(manifest).split("  gone:")[0])
        # -f deploys what it names and leaves the rest.
        self.assertEqual([f["function"] for f in self.ok("deploy", "-f", "keep", "--json").json()], ["keep"])
        self.ok("invoke", "prune-dev-gone")
        out = self.ok("deploy", "--json").json()
        self.assertEqual([(f["function"], f["name"], f["status"]) for f in out],
                         [("keep", "prune-dev-keep", "unchanged"), ("gone", "prune-dev-gone", "removed")])
        r = self.fx("invoke", "prune-dev-gone")
        self.assertEqual(r.code, 1, r)
        info = self.ok("info", "--json").json()
        self.assertEqual([f["function"] for f in info["functions"]], ["keep"])
        self.assertEqual((info["routes"], info["schedules"]), ([], []))
        status = self.ok("emulator", "status", "--json").json()
        with self.assertRaises(urllib.error.HTTPError) as gone:
            urllib.request.urlopen(status["gateway_url"] + "/gone", timeout=10)
        self.assertEqual(gone.exception.code, 404)
        self.assertEqual(json.loads(self.ok("invoke", "prune-dev-theirs").out), "theirs")
        self.assertEqual([f["status"] for f in self.ok("deploy", "--json").json()], ["unchanged"])

    def test_package_is_deterministic_and_readable(self):
        self.make_service(PY_SERVICE)
        first = self.ok("package", "--json").json()
        os.utime(os.path.join(self.service_dir, "app.py"), (1, 1))
        second = self.ok("package", "--json").json()
        self.assertEqual([a["sha256"] for a in first], [a["sha256"] for a in second])
        zpath = os.path.join(self.service_dir, ".fx", "build", "echo.zip")
        with zipfile.ZipFile(zpath) as z:
            names = [n for n in z.namelist() if not n.startswith("__pycache__/")]
            self.assertEqual(names, ["app.py"])  # the manifest itself is never shipped
            self.assertEqual(z.getinfo("app.py").date_time, (1980, 1, 1, 0, 0, 0))

    def test_custom_runtime_bootstrap(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider: {name: aws, runtime: provided.al2023}
                functions:
                  shell:
                    handler: unused
                """,
            "bootstrap": """#!/bin/bash
                set -euo pipefail
                api="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
                while true; do
                  headers=$(mktemp)
                  event=$(curl -sS -D "$headers" "$api/invocation/next")
                  id=$(grep -i Lambda-Runtime-Aws-Request-Id "$headers" | tr -d '\\r' | cut -d' ' -f2)
                  echo "custom runtime got $event"
                  curl -sS -X POST "$api/invocation/$id/response" -d "{\\"echo\\": $event}" > /dev/null
                done
                """,
        })
        self.ok("deploy")
        r = self.ok("invoke", "shell", "--data", '{"x": 1}')
        self.assertEqual(json.loads(r.out), {"echo": {"x": 1}})
        self.assertIn('custom runtime got {"x": 1}', [l["message"] for l in self.logs("shell")])

    def test_invoke_log_prints_the_tail_to_stderr(self):
        self.make_service(PY_SERVICE)
        self.ok("deploy", "-f", "chatty")
        r = self.ok("invoke", "chatty", "--log", "--data", '{"tag": "t"}')
        self.assertEqual(json.loads(r.out), "ok")
        self.assertIn("line 2 t", r.err)
        self.assertIn("REPORT RequestId:", r.err)
        self.assertNotIn("REPORT", self.ok("invoke", "chatty").err)

    def fx_bin(self):
        from fxtest import FX
        return FX


if __name__ == "__main__":
    main()
