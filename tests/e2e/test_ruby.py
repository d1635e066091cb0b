"""Ruby, the runtime added through the registry: scaffold, deploy, invoke, Lambda's error shapes
(those of its Ruby runtime interface client), logs, layers and the sandbox, through the real fx
binary and fx's standard-library shim (templates/runtimes/ruby/bootstrap.rb)."""
import json
import os
import re
import shutil
import subprocess
import unittest
import urllib.request

from fxtest import FxTestCase, main

RUBY = shutil.which("ruby")
REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def local_ruby_version():
    out = subprocess.run([RUBY, "-e", r"print RUBY_VERSION[/\A\d+\.\d+/]"], capture_output=True,
                         text=True).stdout
    return out.strip()


SERVICE = {
    "serverless.yaml": """
        service: SERVICE
        provider:
          name: aws
          runtime: ruby3.3
          memorySize: 256
        layers:
          common:
            path: layers/common
        functions:
          echo:
            handler: handler.echo
          nested:
            handler: lib/orders.Shop::Orders.process
            runtime: ruby3.2
          fail:
            handler: handler.fail_hard
          custom:
            handler: handler.fail_custom
          nomethod:
            handler: handler.not_there
          broken:
            handler: broken.handler
          nofile:
            handler: missing.handler
          bytes:
            handler: handler.raw
          whoami:
            handler: handler.whoami
          shared:
            handler: handler.shared
            layers:
              - common
          trace:
            handler: handler.trace
        """,
    "handler.rb": """
        require 'etc'

        LOGGER = Logger.new($stdout)

        class OrderError < StandardError; end

        def echo(event:, context:)
          puts "got #{event.to_json}"
          LOGGER.info('logged')
          { event: event, request_id: context.aws_request_id, name: context.function_name,
            memory: context.memory_limit_in_mb, arn: context.invoked_function_arn,
            remaining: context.get_remaining_time_in_millis, pid: Process.pid }
        end

        def fail_hard(event:, context:)
          return 'fine' if event['ok']

          puts 'about to fail'
          raise ArgumentError, 'bad order'
        end

        def fail_custom(event:, context:)
          raise OrderError, "order #{event['id']} is gone"
        end

        def raw(event:, context:)
          StringIO.new('not json')
        end

        def whoami(event:, context:)
          { uid: Process.uid, user: Etc.getpwuid(Process.uid)&.name, cwd: Dir.pwd,
            runtime_dir: ENV['LAMBDA_RUNTIME_DIR'], task_root: ENV['LAMBDA_TASK_ROOT'] }
        end

        def shared(event:, context:)
          require 'greeting'
          Greeting.hello
        end

        def trace(event:, context:)
          require 'fiddle'
          getenv = Fiddle::Function.new(Fiddle.dlopen(nil)['getenv'], [Fiddle::TYPE_VOIDP],
                                        Fiddle::TYPE_VOIDP)
          c = getenv.call('_X_AMZN_TRACE_ID')
          { env: ENV['_X_AMZN_TRACE_ID'], fetched: ENV.fetch('_X_AMZN_TRACE_ID', nil),
            listed: ENV.to_h.key?('_X_AMZN_TRACE_ID'), c: c.null? ? nil : c.to_s }
        end
        """,
    "lib/orders.rb": """
        module Shop
          class Orders
            def self.process(event:, context:)
              { total: event.fetch('items').sum, via: name }
            end
          end
        end
        """,
    "broken.rb": """
        def handler(event:, context:)
          if event
            1
        end
        """,
    "layers/common/ruby/lib/greeting.rb": """
        module Greeting
          def self.hello
            'hello from the ruby layer'
          end
        end
        """,
}


@unittest.skipUnless(RUBY, "ruby is not installed (scripts/install-deps.sh installs it)")
class RubyRuntime(FxTestCase):
    def deploy(self, *functions):
        args = []
        for fn in functions:
            args += ["-f", fn]
        return self.ok("deploy", *args)

    def invoke(self, fn, data=None):
        r = self.fx("invoke", fn, "--json", *(["--data", json.dumps(data)] if data is not None else []))
        return r, r.json()

    def messages(self, fn):
        return [l["message"] for l in self.logs(fn)]

    def test_init_deploy_invoke_logs_ruby_template(self):
        d = os.path.join(self.root, "hello-rb")
        r = self.ok("init", d, "--template", "ruby", "--json", cwd=self.root)
        self.assertEqual(sorted(r.json()["files"]), [".gitignore", "README.md", "handler.rb", "serverless.yaml"])
        self.assertIn("ruby", [t["name"] for t in self.ok("init", "--list", "--json", cwd=self.root).json()])
        self.service_dir = d
        r = self.ok("deploy", "--json")
        [fn] = r.json()
        self.assertEqual((fn["function"], fn["status"]), ("hello", "created"))
        r = self.ok("invoke", "hello", "--data", '{"name": "you"}')
        self.assertEqual(json.loads(r.out), {"statusCode": 200, "body": '"Hello, you!"'})
        r = self.ok("invoke", "hello")
        self.assertEqual(json.loads(json.loads(r.out)["body"]), "Hello, world!")
        messages = self.messages("hello")
        self.assertEqual(sum(m.startswith("START RequestId:") for m in messages), 2)
        self.assertEqual(sum(m.startswith("REPORT RequestId:") for m in messages), 2)
        # The template's route answers through the gateway.
        gateway = self.ok("emulator", "status", "--json").json()["gateway_url"]
        with urllib.request.urlopen(f"{gateway}/hello?name=gw", timeout=30) as resp:
            self.assertEqual(json.loads(resp.read()), "Hello, gw!")

    def test_the_exact_version_first_then_the_local_ruby_with_a_warning(self):
        self.make_service(SERVICE)
        r = self.deploy("echo")
        local = local_ruby_version()
        warning = f"fx: warning: ruby3.3: no Ruby 3.3 found (looked in PATH"
        if local == "3.3":
            self.assertNotIn("no Ruby 3.3 found", r.err)
        else:
            self.assertIn(warning, r.err)
            self.assertIn(f"; running on Ruby {local}", r.err)
        version = self.ok("invoke", "echo", "--json").json()
        self.assertIsNone(version["function_error"])

    def test_event_in_json_out_context_and_logs(self):
        self.make_service(SERVICE)
        self.deploy("echo", "nested", "bytes")
        r, out = self.invoke("echo", {"order": [1, 2], "name": "ü"})
        self.assertEqual(r.code, 0, r)
        result = out["result"]
        self.assertEqual(result["event"], {"order": [1, 2], "name": "ü"})
        self.assertEqual(result["request_id"], out["request_id"])
        self.assertEqual(result["name"], f"{self.service_name}-dev-echo")
        self.assertEqual(result["memory"], "256")  # a string, as Lambda's Ruby runtime has it
        self.assertTrue(result["arn"].endswith(f":function:{self.service_name}-dev-echo"), result)
        self.assertTrue(0 < result["remaining"] <= 6000, result)
        self.assertGreater(out["init_ms"], 0)
        # Warm: the same process answers the next call.
        _, again = self.invoke("echo", {})
        self.assertEqual(again["result"]["pid"], result["pid"])
        self.assertIsNone(again["init_ms"])
        messages = self.messages("echo")
        self.assertIn('got {"order":[1,2],"name":"ü"}', messages)
        # Logger.new($stdout) stamps the request id, as Lambda's Ruby runtime does.
        logged = [m for m in messages if m.endswith("-- : logged")]
        self.assertEqual(len(logged), 2, messages)
        self.assertRegex(logged[0], r"^I, \[\d{4}-\d\d-\d\dT[\d:.]+ #\d+\]  INFO " + out["request_id"])
        report = [m for m in messages if m.startswith(f"REPORT RequestId: {out['request_id']}")]
        self.assertEqual(len(report), 1, messages)
        self.assertIn("Init Duration:", report[0])
        # FILE.Module::Class.method, in a folder.
        _, nested = self.invoke("nested", {"items": [1, 2, 3]})
        self.assertEqual(nested["result"], {"total": 6, "via": "Shop::Orders"})
        # A StringIO answers its bytes as they are.
        r = self.ok("invoke", "bytes")
        self.assertEqual(r.out.strip(), "not json")

    def test_handler_errors_have_lambdas_ruby_shape(self):
        self.make_service(SERVICE)
        self.deploy("fail", "custom")
        r, out = self.invoke("fail")
        self.assertEqual(r.code, 1, r)
        self.assertEqual(out["function_error"], "Unhandled")
        err = out["result"]
        self.assertEqual(set(err), {"errorMessage", "errorType", "stackTrace"})
        self.assertEqual(err["errorType"], "Function<ArgumentError>")
        self.assertEqual(err["errorMessage"], "bad order")
        # The handler's frames, none of the runtime's.
        self.assertRegex(err["stackTrace"][0], r"handler\.rb:\d+:in [`']fail_hard'")
        self.assertFalse(any("bootstrap.rb" in f for f in err["stackTrace"]), err)
        messages = self.messages("fail")
        self.assertIn("about to fail", messages)
        self.assertIn("Error raised from handler method", messages)
        self.assertIn('  "errorType": "Function<ArgumentError>",', messages)
        self.assertTrue(any(m.startswith("REPORT") for m in messages))
        # A handled error keeps the instance: the next calls are warm, and one that succeeds
        # answers its own event.
        _, second = self.invoke("fail")
        self.assertIsNone(second["init_ms"])
        _, third = self.invoke("fail", {"ok": True})
        self.assertEqual((third["result"], third["init_ms"], third["function_error"]), ("fine", None, None))
        # The body names any class; fx's plain output prints it.
        r, out = self.invoke("custom", {"id": 7})
        self.assertEqual(out["result"]["errorType"], "Function<OrderError>")
        self.assertEqual(out["result"]["errorMessage"], "order 7 is gone")
        r = self.fx("invoke", "custom", "--data", '{"id": 8}')
        self.assertEqual(r.code, 1, r)
        self.assertEqual(json.loads(r.out)["errorType"], "Function<OrderError>")
        self.assertIn("fx: error:", r.err)

    def test_init_errors_have_lambdas_ruby_shape(self):
        self.make_service(SERVICE)
        self.deploy("broken", "nofile", "nomethod")
        r, out = self.invoke("broken")
        self.assertEqual(r.code, 1, r)
        err = out["result"]
        self.assertEqual(err["errorType"], "Init<SyntaxError>")
        self.assertIn("broken.rb", err["errorMessage"])
        self.assertIn("syntax error", err["errorMessage"])
        self.assertIsInstance(err["stackTrace"], list)
        self.assertTrue(any(m.startswith("Init error when loading handler broken.handler")
                            for m in self.messages("broken")))
        # The next call runs init again, and fails the same way.
        _, again = self.invoke("broken")
        self.assertEqual(again["result"]["errorType"], "Init<SyntaxError>")

        _, out = self.invoke("nofile")
        self.assertEqual(out["result"]["errorType"], "Init<LoadError>")
        self.assertIn("cannot load such file -- missing", out["result"]["errorMessage"])

        # A missing method is found at the call: a critical error, after which the runtime
        # leaves and the next call starts a new instance.
        _, out = self.invoke("nomethod")
        self.assertEqual(out["result"]["errorType"], "Function<NoMethodError>")
        self.assertIn("not_there", out["result"]["errorMessage"])
        self.assertIn("Critical exception from handler", self.messages("nomethod"))
        _, again = self.invoke("nomethod")
        self.assertIsNotNone(again["init_ms"])

    def test_layers_and_the_sandbox(self):
        self.make_service(SERVICE)
        self.deploy("shared", "whoami")
        r = self.ok("invoke", "shared")
        self.assertEqual(json.loads(r.out), "hello from the ruby layer")
        who = self.ok("invoke", "whoami", "--json").json()["result"]
        sandbox = self.ok("emulator", "status", "--json").json().get("sandbox", "")
        if not sandbox.startswith("namespaces"):
            self.skipTest(f"no sandbox here: {sandbox}")
        # Lambda's own user, by number and by name; Lambda's layout.
        self.assertEqual((who["uid"], who["user"]), (993, "sbx_user1051"))
        self.assertEqual((who["cwd"], who["task_root"], who["runtime_dir"]),
                         ("/var/task", "/var/task", "/var/runtime"))

    def test_trace_id_is_per_invocation_without_growing_the_c_environment(self):
        self.make_service(SERVICE)
        self.deploy("trace")
        shape = re.compile(r"^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$")
        first = self.ok("invoke", "trace", "--json").json()["result"]
        second = self.ok("invoke", "trace", "--json").json()["result"]
        self.assertRegex(first["env"], shape)
        self.assertNotEqual(first["env"], second["env"])
        self.assertEqual(second["fetched"], second["env"])
        self.assertTrue(second["listed"])
        self.assertIsNone(second["c"])

    def test_gems_in_vendor_bundle_load_as_on_lambda(self):
        # `bundle config set path vendor/bundle && bundle install` leaves gems in
        # vendor/bundle/ruby/X.Y.0, which Lambda's Ruby runtime has on its GEM_PATH.
        api = subprocess.run([RUBY, "-e", "print RbConfig::CONFIG['ruby_version']"], capture_output=True,
                             text=True).stdout.strip()
        root = f"vendor/bundle/ruby/{api}"
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider: {name: aws, runtime: ruby3.3}
                functions:
                  gem:
                    handler: handler.run
                """,
            "handler.rb": """
                require 'tinygem'
                def run(event:, context:)
                  [Tinygem.hi, Gem.loaded_specs['tinygem'].version.to_s]
                end
                """,
            f"{root}/specifications/tinygem-1.2.0.gemspec": """
                Gem::Specification.new do |s|
                  s.name = 'tinygem'
                  s.version = '1.2.0'
                  s.summary = 'a gem for a test'
                  s.authors = ['fx']
                  s.files = ['lib/tinygem.rb']
                  s.require_paths = ['lib']
                end
                """,
            f"{root}/gems/tinygem-1.2.0/lib/tinygem.rb": """
                module Tinygem
                  def self.hi = 'hi from a vendored gem'
                end
                """,
        })
        self.ok("deploy")
        self.assertEqual(json.loads(self.ok("invoke", "gem").out), ["hi from a vendored gem", "1.2.0"])

    def test_the_shim_over_tcp_when_there_is_no_socket_pair(self):
        # fx's shim started by a custom runtime's bootstrap: no --runtime-fd, so it reaches the
        # Runtime API at AWS_LAMBDA_RUNTIME_API, keeps the connection and pipelines as it does
        # over the socket pair.
        with open(os.path.join(REPO, "templates", "runtimes", "ruby", "bootstrap.rb")) as f:
            shim = f.read()
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider: {name: aws, runtime: provided.al2023}
                functions:
                  tcp:
                    handler: handler.echo
                """,
            "bootstrap": '#!/bin/sh\nexec ruby "$LAMBDA_TASK_ROOT/shim.rb"\n',
            "shim.rb": shim,
            "handler.rb": """
                def echo(event:, context:)
                  raise ArgumentError, 'no' if event['fail']
                  { echo: event, pid: Process.pid }
                end
                """,
        })
        self.ok("deploy")
        first = self.ok("invoke", "tcp", "--data", '{"n": 1}', "--json").json()["result"]
        self.assertEqual(first["echo"], {"n": 1})
        r, out = self.invoke("tcp", {"fail": True})
        self.assertEqual(out["result"]["errorType"], "Function<ArgumentError>")
        second = self.ok("invoke", "tcp", "--data", '{"n": 2}', "--json").json()["result"]
        self.assertEqual((second["echo"], second["pid"]), ({"n": 2}, first["pid"]))


if __name__ == "__main__":
    main()
