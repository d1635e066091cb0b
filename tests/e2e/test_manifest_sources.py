"""Serverless Framework manifests as they are (issue 17), through the real fx binary: bare event
names and events fx does not run named once at deploy, .env files loaded as the framework v3
loads them (useDotenv) and as serverless-dotenv-plugin loads them, the framework's variable
functions, and ${cf:} / ${s3:}: an error naming the fallback syntax locally, read from AWS
(moto, CloudFormation and S3) with --target aws."""
import json
import os
import subprocess
import textwrap

from awstest import MotoCase
from fxtest import FxTestCase, main

HANDLER = """
    import os

    def handler(event, context):
        return {k: os.environ.get(k) for k in event["names"]}
    """

LOCAL = {
    "serverless.yaml": """
        service: SERVICE
        useDotenv: true
        plugins:
          - serverless-dotenv-plugin
        custom:
          base: {REGION_NAME: north}
          extra: {TIER: gold}
          debug: ${strToBool(${env:DEBUG_FLAG})}
        provider:
          name: aws
          runtime: python3.12
          environment: ${merge(${self:custom.base}, ${self:custom.extra})}
        functions:
          skill:
            handler: handler.handler
            environment:
              API_URL: ${env:API_URL}
              DEBUG: ${self:custom.debug}
              OTHER_STACK: ${cf:other-stack.Url, 'no-stack-locally'}
            events:
              - alexaSkill
              - iot
              - websocket: $connect
              - websocket: $disconnect
        """,
    "handler.py": HANDLER,
    # useDotenv: .env.dev (the stage's) is read, .env is not; dotenv-expand expands it.
    ".env.dev": "HOST=api.example.com\nAPI_URL=https://${HOST}/v1\nDEBUG_FLAG=TRUE\n",
    ".env": "API_URL=from-dot-env\nDEBUG_FLAG=0\nPLUGIN_ONLY=plugin\n",
}


class ManifestSourcesLocal(FxTestCase):
    def test_bare_events_dotenv_and_functions_deploy_and_run(self):
        self.make_service(LOCAL)
        r = self.ok("deploy")
        # Each event type fx does not run is named once per function, with what to do instead.
        self.assertEqual(r.err.count("'websocket' events of function skill run only on AWS; fx "
                                     "serves no WebSocket API locally"), 1, r)
        self.assertEqual(r.err.count("'alexaSkill' events of function skill"), 1, r)
        self.assertEqual(r.err.count("'iot' events of function skill"), 1, r)
        self.assertIn("`fx invoke skill --data EVENT`", r.err)
        # ...at deploy only, not on every command that reads the manifest.
        names = ["API_URL", "DEBUG", "REGION_NAME", "TIER", "OTHER_STACK", "PLUGIN_ONLY", "HOST"]
        r = self.ok("invoke", "skill", "--data", json.dumps({"names": names}))
        self.assertNotIn("run only on AWS", r.err)
        self.assertEqual(json.loads(r.out), {
            "API_URL": "https://api.example.com/v1",
            "DEBUG": "true",
            "REGION_NAME": "north",
            "TIER": "gold",
            "OTHER_STACK": "no-stack-locally",
            # serverless-dotenv-plugin: ENV is "development", so .env's variables (and not
            # .env.dev's) go into every function's environment.
            "PLUGIN_ONLY": "plugin",
            "HOST": None,
        })

    def test_cf_and_s3_without_a_fallback_name_the_fallback_syntax(self):
        for value, shown in (("${cf:other-stack.Url}", "${cf:other-stack.Url, 'default'}"),
                             ("${s3:my-bucket/config.txt}", "${s3:my-bucket/config.txt, 'default'}")):
            self.make_service({
                "serverless.yaml": f"""
                    service: SERVICE
                    provider: {{name: aws, runtime: python3.12}}
                    functions:
                      fn:
                        handler: handler.handler
                        environment:
                          V: {value}
                    """,
                "handler.py": HANDLER})
            r = self.fx("deploy")
            self.assertEqual(r.code, 1, r)
            self.assertIn("fx: error: serverless.yaml:7:10: functions.fn.environment.V: cannot "
                          "resolve", r.err)
            self.assertIn("and the target is not AWS", r.err)
            self.assertIn("deploy with --target aws to read it from AWS, or add a fallback: "
                          + shown, r.err)

    def test_a_bad_variable_function_names_its_place(self):
        self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider: {name: aws, runtime: python3.12}
                custom:
                  on: ${strToBool(maybe)}
                functions:
                  fn:
                    handler: handler.handler
                    environment: {ON: '${self:custom.on}'}
                """,
            "handler.py": HANDLER})
        r = self.fx("deploy")
        self.assertEqual(r.code, 1, r)
        self.assertIn("fx: error: serverless.yaml:4:7: custom.on: strToBool(...) expected "
                      "\"true\", \"false\", \"1\" or \"0\", got \"maybe\"", r.err)


class GitVariables(FxTestCase):
    def test_git_variables_read_the_checkout_and_outside_one_stop_with_their_place(self):
        # Before: "the 'git' source is not supported locally", even in a checkout.
        d = self.make_service({
            "serverless.yaml": """
                service: SERVICE
                provider: {name: aws, runtime: python3.12}
                functions:
                  fn:
                    handler: handler.handler
                    description: ${git:branch}@${git:sha1}
                    environment:
                      BRANCH: ${git:branch}
                      COMMIT: ${git:commit}
                      DIRTY: ${git:isDirty}
                      TAGS: ${git:tags}
                """,
            "handler.py": HANDLER})
        r = self.fx("deploy")
        self.assertEqual(r.code, 1, r)
        errors = [l for l in r.err.splitlines() if l.startswith("fx: error:")]
        self.assertEqual(len(errors), 1, r.err)
        self.assertIn("fx: error: serverless.yaml:6:18: functions.fn.description: cannot resolve "
                      "${git:branch}: ", errors[0])
        self.assertIn("is not in a git repository", errors[0])
        self.assertIn("deploy from a git checkout", r.err)

        env = {**self.env, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1"}
        git = lambda *a: subprocess.run(["git", *a], cwd=d, env=env, check=True, capture_output=True,
                                        text=True).stdout.strip()
        git("init", "-q", "-b", "feature-x")
        git("add", "-A")
        git("commit", "-q", "-m", "first")
        git("tag", "v1")
        self.ok("deploy")
        got = json.loads(self.ok("invoke", "fn", "--data", json.dumps(
            {"names": ["BRANCH", "COMMIT", "DIRTY", "TAGS"]})).out)
        self.assertEqual(got, {"BRANCH": "feature-x", "COMMIT": git("rev-parse", "HEAD"),
                               "DIRTY": "false", "TAGS": "v1"})


    def test_the_plugin_exports_git_variables_to_every_function_unless_turned_off(self):
        # serverless-plugin-git-variables sets GIT_COMMIT_SHORT ... GIT_TAGS in each function's
        # environment (a function's own value wins); custom.exportGitVariables: false stops it.
        text = """
                service: SERVICE
                provider:
                  name: aws
                  runtime: python3.12
                  environment: {GIT_TAGS: from-provider}
                plugins: [serverless-plugin-git-variables]
                custom: {exportGitVariables: EXPORT}
                functions:
                  fn:
                    handler: handler.handler
                  own:
                    handler: handler.handler
                    environment: {GIT_BRANCH: mine}
                """
        d = self.make_service({"serverless.yaml": text.replace("EXPORT", "true"),
                               "handler.py": HANDLER})
        r = self.fx("deploy")
        self.assertEqual(r.code, 0, r)
        self.assertIn("GIT_* variables are not exported", r.err)
        self.assertIn("is not in a git repository", r.err)
        env = {**self.env, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
               "GIT_CONFIG_NOSYSTEM": "1"}
        git = lambda *a: subprocess.run(["git", *a], cwd=d, env=env, check=True,
                                        capture_output=True, text=True).stdout.strip()
        git("init", "-q", "-b", "main-line")
        git("add", "-A")
        git("commit", "-q", "-m", "first")
        r = self.ok("deploy")
        self.assertNotIn("serverless-plugin-git-variables", r.err)  # neither ignored nor failed
        names = ["GIT_COMMIT_SHORT", "GIT_COMMIT_LONG", "GIT_BRANCH", "GIT_IS_DIRTY",
                 "GIT_REPOSITORY", "GIT_TAGS"]
        ask = json.dumps({"names": names})
        got = json.loads(self.ok("invoke", "fn", "--data", ask).out)
        self.assertEqual(got, {"GIT_COMMIT_SHORT": git("rev-parse", "--short", "HEAD"),
                               "GIT_COMMIT_LONG": git("rev-parse", "HEAD"),
                               "GIT_BRANCH": "main-line", "GIT_IS_DIRTY": "false",
                               "GIT_REPOSITORY": os.path.basename(d),
                               # no tag: the short commit, as the plugin says; over the
                               # provider's, which the plugin's function-level value overrides
                               "GIT_TAGS": git("rev-parse", "--short", "HEAD")})
        self.assertEqual(json.loads(self.ok("invoke", "own", "--data", ask).out)["GIT_BRANCH"],
                         "mine")
        with open(os.path.join(d, "serverless.yaml"), "w") as f:
            f.write(textwrap.dedent(text.replace("EXPORT", "false")).lstrip("\n")
                    .replace("SERVICE", self.service_name))
        self.ok("deploy")
        got = json.loads(self.ok("invoke", "fn", "--data", ask).out)
        self.assertEqual(got, {**{n: None for n in names}, "GIT_TAGS": "from-provider"})


class ManifestSourcesAws(MotoCase):
    def setUp(self):
        super().setUp()
        cf = self.boto("cloudformation")
        template = {
            "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
            "Outputs": {"Url": {"Value": "https://other.example.com"},
                        "Name": {"Value": "other-name"}},
        }
        try:
            cf.describe_stacks(StackName="other-stack")
        except Exception:  # noqa: BLE001 (not created yet in this moto)
            cf.create_stack(StackName="other-stack", TemplateBody=json.dumps(template))
        s3 = self.boto("s3")
        s3.create_bucket(Bucket="config-bucket")
        s3.put_object(Bucket="config-bucket", Key="app/settings.txt", Body=b"from-s3")

    def service(self, environment):
        return {
            "serverless.yaml": """
                service: SERVICE
                provider: {name: aws, runtime: python3.12}
                functions:
                  fn:
                    handler: handler.handler
                    environment:
""" + "".join(f"                      {k}: {v}\n" for k, v in environment.items()),
            "handler.py": HANDLER,
        }

    def test_cf_and_s3_are_read_from_aws_with_target_aws(self):
        self.make_service(self.service({
            "URL": "${cf:other-stack.Url}",
            "NAME": "${cf(us-east-1):other-stack.Name}-x",
            "SETTINGS": "${s3:config-bucket/app/settings.txt}",
            "NO_OUTPUT": "${cf:other-stack.Nope, 'fallback'}",
            "NO_STACK": "${cf:missing-stack.Url, 'fallback'}",
            "NO_OBJECT": "${s3:config-bucket/nope.txt, 'fallback'}",
        }))
        self.deploy()
        config = self.boto("lambda").get_function_configuration(FunctionName=self.name("fn"))
        self.assertEqual(config["Environment"]["Variables"], {
            "URL": "https://other.example.com",
            "NAME": "other-name-x",
            "SETTINGS": "from-s3",
            "NO_OUTPUT": "fallback",
            "NO_STACK": "fallback",
            "NO_OBJECT": "fallback",
        })
        # One DescribeStacks per stack, however many outputs are read; one GetObject per object.
        self.assertEqual(self.rec.count("DescribeStacks"), 2, self.rec.stats())
        self.assertEqual(self.rec.count("GET /config-bucket/app/settings.txt"), 1,
                         self.rec.stats())

    def test_an_output_aws_lacks_without_fallback_is_an_error(self):
        self.make_service(self.service({"URL": "${cf:other-stack.Missing}"}))
        r = self.fx("deploy", "--target", "aws")
        self.assertEqual(r.code, 1, r)
        self.assertIn("cannot resolve ${cf:other-stack.Missing}: there is no stack other-stack "
                      "with output Missing in us-east-1", r.err)
        self.assertIn("${cf:other-stack.Missing, 'default'}", r.err)

    def test_a_bucket_aws_refuses_is_an_error_naming_the_variable(self):
        self.make_service(self.service({"V": "${s3:no-such-bucket/key}"}))
        r = self.fx("deploy", "--target", "aws")
        self.assertEqual(r.code, 1, r)
        self.assertIn("reading object key of bucket no-such-bucket from AWS for "
                      "${s3:no-such-bucket/key}", r.err)


if __name__ == "__main__":
    main()
