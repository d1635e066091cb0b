"""Public Serverless Framework projects, as their authors wrote them, deployed to the emulator.

Each project of the corpus is copied to a temporary folder (the corpus itself is never written
to), deployed with the real `fx deploy` to one real emulator, and then driven as its user would:
one request to every http/httpApi route the deploy reports (through the gateway), and one
`fx invoke` of every function that has no route, with an event shaped like the one its trigger
sends (an SQS batch, a scheduled event, a DynamoDB stream record...). A project "works" when it
deployed, no event it declares was left to AWS, every route answered below 500, every
invocation returned without a function error, and every sqs event on a queue of its own
resources consumes that queue.

The outcomes are compared with tests/corpus/expected.json, in both directions: a project that
starts to work fails the test as surely as one that stops, so the table in the README (made from
that file by scripts/corpus-table.py) never goes stale.

Where the projects live: FX_CORPUS_DIR, else tests/corpus/ (one folder per project, each with the
project's files, its LICENSE and a SOURCE.md). expected.json always comes from tests/corpus/.
"""
import concurrent.futures
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

import boto3
import yaml

from fxtest import FxTestCase, main

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS_IN_TREE = os.path.normpath(os.path.join(HERE, "..", "corpus"))
CORPUS = os.environ.get("FX_CORPUS_DIR") or CORPUS_IN_TREE
EXPECTED = os.path.join(CORPUS_IN_TREE, "expected.json")
MANIFESTS = ("serverless.yaml", "serverless.yml", "serverless.ts", "serverless.js", "serverless.json")
WORKERS = 2


def corpus_projects(only=True):
    """The corpus's projects; FX_CORPUS_ONLY (names, comma-separated) runs some of them."""
    if not os.path.isdir(CORPUS):
        return []
    wanted = set(filter(None, os.environ.get("FX_CORPUS_ONLY", "").split(","))) if only else set()
    return sorted(d for d in os.listdir(CORPUS)
                  if os.path.isfile(os.path.join(CORPUS, d, "SOURCE.md")) and (not wanted or d in wanted))


class _AnyTagLoader(yaml.SafeLoader):
    """Reads CloudFormation's short forms (!Ref, !GetAtt, !Sub...) as plain values: the harness
    only needs the shape of `functions`, not what the tags mean."""


def _any_tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


_AnyTagLoader.add_multi_constructor("!", _any_tag)


def manifest_of(folder):
    for name in MANIFESTS:
        if os.path.isfile(os.path.join(folder, name)):
            return name
    return None


def load_manifest(folder):
    name = manifest_of(folder)
    if name is None or not name.endswith((".yml", ".yaml")):
        return {}
    try:
        with open(os.path.join(folder, name)) as f:
            doc = yaml.load(f, Loader=_AnyTagLoader) or {}
    except yaml.YAMLError:
        return {}
    return doc if isinstance(doc, dict) else {}


STAGE_VARIABLE = re.compile(r"\$\{(?:self:provider\.stage|sls:stage|opt:stage(?:\s*,[^}]*)?)\}")


def intended_queues(folder, service, stage):
    """{function: [queue name]} for the sqs events that name a queue of the project's own
    `resources` (Fn::GetAtt [Logical, Arn] / !GetAtt Logical.Arn): the queue CloudFormation
    would create, by its QueueName (stage and service variables filled in; skipped when other
    variables remain)."""
    doc = load_manifest(folder)
    resources = (doc.get("resources") or {}) if isinstance(doc.get("resources"), dict) else {}
    declared = resources.get("Resources") or {}
    out = {}
    for fn, events in functions_and_events(folder).items():
        for kind, spec in events:
            arn = spec.get("arn") if kind == "sqs" and isinstance(spec, dict) else None
            ref = arn.get("Fn::GetAtt") if isinstance(arn, dict) else arn
            logical = (ref[0] if isinstance(ref, list) and ref else
                       ref.split(".")[0] if isinstance(ref, str) and ref.endswith(".Arn") else None)
            res = declared.get(logical) if isinstance(declared, dict) and logical else None
            if not isinstance(res, dict) or res.get("Type") != "AWS::SQS::Queue":
                continue
            name = (res.get("Properties") or {}).get("QueueName", logical)
            if not isinstance(name, str):
                continue
            name = STAGE_VARIABLE.sub(stage, name).replace("${self:service}", service)
            if "${" not in name:
                out.setdefault(fn, []).append(name)
    return out


def functions_and_events(folder):
    """{function: [event type, ...]} from the manifest as written (variables unresolved), with the
    event's settings kept for the ones whose event the harness builds from them (schedule input)."""
    doc = load_manifest(folder)
    fns = doc.get("functions")
    out = {}
    for fn, spec in (fns or {}).items() if isinstance(fns, dict) else []:
        events = []
        for ev in (spec or {}).get("events") or [] if isinstance(spec, dict) else []:
            if isinstance(ev, str):
                events.append((ev, None))
            elif isinstance(ev, dict) and ev:
                kind = next(iter(ev))
                events.append((kind, ev[kind]))
        out[str(fn)] = events
    return out


NOW = "2026-01-01T00:00:00Z"


def event_for(events):
    """An event like the one the function's first non-HTTP trigger sends; {} when it has none."""
    for kind, spec in events:
        if kind == "sqs":
            return {"Records": [{
                "messageId": "c0a1f2e3-0000-4000-8000-000000000001", "receiptHandle": "corpus",
                "body": json.dumps({"hello": "corpus"}), "md5OfBody": "", "messageAttributes": {},
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1767225600000",
                               "SenderId": "000000000000",
                               "ApproximateFirstReceiveTimestamp": "1767225600000"},
                "eventSource": "aws:sqs", "awsRegion": "us-east-1",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:corpus"}]}
        if kind == "schedule":
            if isinstance(spec, dict) and isinstance(spec.get("input"), (dict, list)):
                return spec["input"]
            return {"version": "0", "id": "c0a1f2e3-0000-4000-8000-000000000002",
                    "detail-type": "Scheduled Event", "source": "aws.events",
                    "account": "000000000000", "time": NOW, "region": "us-east-1",
                    "resources": ["arn:aws:events:us-east-1:000000000000:rule/corpus"], "detail": {}}
        if kind == "stream":
            image = {"id": {"S": "corpus-1"}, "username": {"S": "corpus"}}
            return {"Records": [{
                "eventID": "1", "eventName": "INSERT", "eventVersion": "1.1",
                "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
                "dynamodb": {"ApproximateCreationDateTime": 1767225600, "Keys": {"id": image["id"]},
                             "NewImage": image, "SequenceNumber": "100", "SizeBytes": 40,
                             "StreamViewType": "NEW_AND_OLD_IMAGES"},
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/corpus/stream/"
                                  "2026-01-01T00:00:00.000"}]}
        if kind == "sns":
            return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
                                 "EventSubscriptionArn": "arn:aws:sns:us-east-1:000000000000:corpus:1",
                                 "Sns": {"Type": "Notification", "MessageId": "1",
                                         "TopicArn": "arn:aws:sns:us-east-1:000000000000:corpus",
                                         "Subject": "corpus", "Message": json.dumps({"hello": "corpus"}),
                                         "Timestamp": NOW, "MessageAttributes": {}}}]}
        if kind == "s3":
            return {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3",
                                 "awsRegion": "us-east-1", "eventTime": NOW,
                                 "eventName": "ObjectCreated:Put",
                                 "s3": {"s3SchemaVersion": "1.0", "configurationId": "corpus",
                                        "bucket": {"name": "corpus", "arn": "arn:aws:s3:::corpus"},
                                        "object": {"key": "corpus.txt", "size": 6, "eTag": "0"}}}]}
        if kind == "eventBridge":
            return {"version": "0", "id": "c0a1f2e3-0000-4000-8000-000000000003",
                    "detail-type": "corpus", "source": "corpus", "account": "000000000000",
                    "time": NOW, "region": "us-east-1", "resources": [], "detail": {"hello": "corpus"}}
        if kind == "websocket":
            return {"requestContext": {"routeKey": "$default", "eventType": "MESSAGE",
                                       "connectionId": "corpus=", "domainName": "localhost",
                                       "stage": "dev", "requestId": "1"},
                    "body": json.dumps({"action": "corpus"}), "isBase64Encoded": False}
    return {}


def request_path(url_path):
    """A concrete path for a route template: {param} and {proxy+} filled in."""
    path = re.sub(r"\{[^}/]+\+\}", "corpus/proxy", url_path)
    return re.sub(r"\{[^}/]+\}", "corpus1", path)


def probe_route(route):
    """One request to a route as `fx deploy --json` prints it: "GET    http://host/path", or an
    ALB rule's "ALB    http://host:port/path  (priority 1)" or, for a pattern with no leading
    slash, "ALB    http://host:port  (path pattern 'p', priority 1)" (its first path pattern, whose `*`
    and `?` wildcards become concrete characters; asked with GET, as a browser would)."""
    method, url = route.split()[:2]
    method = "GET" if method in ("ANY", "*", "ALB") else method.upper()
    parts = urllib.parse.urlsplit(url)
    path = parts.path or "/"
    if route.startswith("ALB"):
        # The rule's pattern follows the ALB's address as the manifest spells it (`path: hello`
        # has no leading slash), and its `?` is a wildcard, not a query.
        m = re.match(r"(https?://[^/:]+:\d+)(.*)$", url)
        parts = urllib.parse.urlsplit(m.group(1))
        pattern = re.search(r"\(path pattern '([^']*)'", route)
        path = "/" + (pattern.group(1) if pattern else m.group(2)).lstrip("/")
        path = path.replace("*", "corpus").replace("?", "c")
    body = b"{}" if method in ("POST", "PUT", "PATCH") else None
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, request_path(path), body=body, headers=headers)
        resp = conn.getresponse()
        text = resp.read(400).decode("utf-8", "replace")
        return resp.status, text
    except OSError as e:
        return None, f"no answer: {e}"
    finally:
        conn.close()


def first_line(text, prefix="fx: error:"):
    for line in text.splitlines():
        if line.startswith(prefix):
            return line
    lines = [l for l in text.splitlines() if l.strip()]
    return lines[-1] if lines else ""


class Outcome:
    def __init__(self, project):
        self.project = project
        self.deployed = False
        self.problems = []   # why it does not work, one line each
        self.checks = []     # what was tried and what came back
        self.warnings = []
        self.seconds = 0.0

    @property
    def works(self):
        return self.deployed and not self.problems


@unittest.skipUnless(corpus_projects(), f"no corpus projects in {CORPUS} (set FX_CORPUS_DIR to a folder "
                                        "of them, see tests/corpus/README.md)")
class CorpusTest(FxTestCase):
    # Both gateway ports are shared by every project deployed here; httpApi routes carry no stage
    # prefix, so two projects with GET /hello answer from whichever deployed last. A project's
    # deploy and its route requests therefore happen under this lock; building and invoking by
    # function name (unambiguous) run two at a time outside it.
    gateway_lock = threading.Lock()

    def last_error_logged(self, fn, folder, env):
        r = self.fx_static(["logs", fn, "--json"], cwd=folder, env=env)
        for line in reversed(r.out.splitlines()):
            try:
                message = json.loads(line).get("message", "")
            except ValueError:
                continue
            if "Error" in message and not message.startswith("REPORT"):
                return " ".join(message.split())[:240]
        return ""

    def run_project(self, project, setup):
        # One project's surprise must not hide the others' outcomes: it becomes its problem.
        try:
            return self.try_project(project, setup)
        except Exception as e:  # noqa: BLE001 - reported, and the project fails
            out = Outcome(project)
            out.problems.append(f"harness: {type(e).__name__}: {e}")
            return out

    def try_project(self, project, setup):
        out = Outcome(project)
        started = time.monotonic()
        work = tempfile.mkdtemp(prefix=f"{project}-", dir=self.root)
        folder = os.path.join(work, project)
        shutil.copytree(os.path.join(CORPUS, project), folder, symlinks=True)
        # A project is deployed from a checkout of its repository (${git:...} variables read it):
        # the copy becomes one, with a single commit of its files.
        git_env = {**self.env, "GIT_AUTHOR_NAME": "corpus", "GIT_AUTHOR_EMAIL": "corpus@example.com",
                   "GIT_COMMITTER_NAME": "corpus", "GIT_COMMITTER_EMAIL": "corpus@example.com",
                   "GIT_CONFIG_NOSYSTEM": "1"}
        for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", f"{project} as the corpus has it"]):
            subprocess.run(["git", *args], cwd=folder, env=git_env, capture_output=True, timeout=60)
        env = dict(self.env)
        # No package index is reachable in CI: pip is told so at once instead of timing out on
        # each requirement; a project that needs PyPI packages shows it as a failed import.
        env["PIP_NO_INDEX"] = "1"
        # The first steps the project's README asks of its user (a config file made from the
        # example it ships, a variable set): done on the copy, so the project stays unedited.
        for src, dst in (setup.get("copy") or {}).items():
            shutil.copyfile(os.path.join(folder, src), os.path.join(folder, dst))
        env.update(setup.get("env") or {})
        if manifest_of(folder) is None:
            out.problems.append("no serverless.yml/serverless.yaml")
            return out
        # Building (npm, pip, bundlers) is the slow part and touches no route: done outside the lock.
        self.fx_static(["package"], cwd=folder, env=env, timeout=300)
        with self.gateway_lock:
            r = self.fx_static(["deploy", "--json"], cwd=folder, env=env, timeout=300)
            out.warnings = [l for l in r.err.splitlines() if l.startswith("fx: warning:")]
            if r.code != 0:
                out.problems.append(f"deploy: {first_line(r.err)}")
                out.seconds = time.monotonic() - started
                return out
            out.deployed = True
            try:
                deployed = json.loads(r.out)
            except ValueError:
                deployed = None
            # A service with API keys gets {"api_key": ..., "functions": [...]}.
            if isinstance(deployed, dict):
                deployed = deployed.get("functions")
            if not isinstance(deployed, list) or not all(isinstance(f, dict) for f in deployed):
                out.problems.append(f"deploy --json printed no list of functions: {' '.join(r.out.split())[:200]}")
                return out
            if not deployed:
                # Nothing to run locally: a project made only of `resources` (an API Gateway
                # service integration, a pipe, a Fargate task) is not working just because fx
                # had nothing to deploy.
                out.problems.append("deploy made no function: what the project declares is in "
                                    "resources fx keeps for AWS")
            routed = set()
            failed_routes = []
            for fn in deployed:
                for route in fn.get("routes") or []:
                    routed.add(fn["function"])
                    status, text = probe_route(route)
                    out.checks.append(f"{route.split()[0]} {route.split()[1]} -> {status}")
                    if status is None or status >= 500:
                        out.problems.append(f"route {' '.join(route.split())}: {status} "
                                            f"{' '.join(text.split())[:160]}")
                        failed_routes.append((len(out.problems) - 1, fn["function"]))
        # A gateway's 502 says only "Internal server error": the function's log says why.
        for index, fn in failed_routes:
            cause = self.last_error_logged(fn, folder, env)
            if cause:
                out.problems[index] += f" (its log: {cause})"
        for w in out.warnings:
            # "'alb' events of function hello run only on AWS" (older: "'alb' events run only...")
            m = re.search(r"'([A-Za-z0-9]+)' events (?:of function \S+ )?run only on AWS", w)
            if m:
                out.problems.append(f"event not run locally: {m.group(1)}")
        events = functions_and_events(folder)
        for fn in deployed:
            if fn["function"] in routed:
                continue
            event = event_for(events.get(fn["function"], []))
            r = self.fx_static(["invoke", fn["function"], "--json", "--data", json.dumps(event)],
                               cwd=folder, env=env, timeout=120)
            if r.code != 0 and not r.out.strip():
                out.problems.append(f"invoke {fn['function']}: {first_line(r.err)}")
                continue
            try:
                result = json.loads(r.out)
            except ValueError:
                out.problems.append(f"invoke {fn['function']}: not JSON: {r.out[:160]}")
                continue
            error = result.get("function_error")
            out.checks.append(f"invoke {fn['function']} -> {error or 'ok'}")
            if error:
                payload = result.get("result")
                detail = payload if isinstance(payload, str) else json.dumps(payload)
                out.problems.append(f"invoke {fn['function']}: {error}: {' '.join(str(detail).split())[:200]}")
        self.check_queues(out, folder, env, deployed)
        out.seconds = time.monotonic() - started
        return out

    def check_queues(self, out, folder, env, deployed):
        """An sqs event on a queue of the project's resources must consume that queue (the one
        its producers send to), not another one of a similar name."""
        r = self.fx_static(["info", "--json"], cwd=folder, env=env)
        if r.code != 0:
            return
        info = json.loads(r.out)
        wanted = intended_queues(folder, info.get("service", ""), info.get("stage", ""))
        if not wanted:
            return
        names = {fn["function"]: fn["name"] for fn in deployed}
        lam = boto3.client("lambda", endpoint_url=self.url, region_name=info.get("region", "us-east-1"),
                           aws_access_key_id="corpus", aws_secret_access_key="corpus")
        for fn, queues in wanted.items():
            if fn not in names:
                continue
            mappings = lam.list_event_source_mappings(FunctionName=names[fn])["EventSourceMappings"]
            consumed = sorted(m["EventSourceArn"].rsplit(":", 1)[-1] for m in mappings)
            for queue in queues:
                out.checks.append(f"sqs {fn} consumes {consumed}")
                if queue not in consumed:
                    out.problems.append(f"sqs event of {fn} consumes {consumed}, not its resources' queue "
                                        f"'{queue}' that producers send to")

    def warm_node_sdk(self):
        """The first Node.js function of a fresh FX_HOME waits for the SDK its runtime provides
        to install (once, from npm: a minute or two on a slow registry). That wait belongs to no
        project, so a small function of fx's own pays it here, before the projects, rather than
        whichever Node.js project comes first (its route request would time out)."""
        folder = tempfile.mkdtemp(prefix="sdk-warmup-", dir=self.root)
        with open(os.path.join(folder, "serverless.yml"), "w") as f:
            f.write("service: corpus-sdk-warmup\nprovider: {name: aws, runtime: nodejs20.x}\n"
                    "functions:\n  warm:\n    handler: index.warm\n")
        with open(os.path.join(folder, "index.js"), "w") as f:
            f.write("exports.warm = async () => typeof require('@aws-sdk/client-sqs').SQSClient;\n")
        self.fx_static(["deploy"], cwd=folder, env=self.env, timeout=300)
        r = self.fx_static(["invoke", "warm"], cwd=folder, env=self.env, timeout=900)
        print(f"node SDK warm-up: {r.out.strip()[:80] or r.err.strip()[:200]}")

    def test_corpus(self):
        projects = corpus_projects()
        with open(EXPECTED) as f:
            expected = json.load(f)["projects"]
        self.warm_node_sdk()
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
            outcomes = list(pool.map(
                lambda p: self.run_project(p, expected.get(p, {}).get("setup") or {}), projects))

        mismatches = []
        lines = []
        for o in outcomes:
            want = expected.get(o.project, {}).get("outcome")
            got = "works" if o.works else "fails"
            # A failing project must still fail for the reason its entry gives (its "match" is a
            # piece of the problem the test finds), so the table's "why not" cannot go stale
            # when the first wall falls and a second one appears behind it.
            match = expected.get(o.project, {}).get("match")
            stale = got == "fails" and match and not any(match in p for p in o.problems)
            mark = "  " if want == got and not stale else "!!"
            if want != got or stale:
                mismatches.append(o.project)
            lines.append(f"{mark} {o.project:28} expected {want or '(not listed)':6} actual {got:5} "
                         f"({o.seconds:4.1f}s) {'; '.join(o.problems)[:400]}")
            if stale:
                lines.append(f"   {'':28} expected its problem to contain {match!r}")
        missing = sorted(set(expected) - set(corpus_projects(only=False)))
        summary = "\n".join(lines)
        works = sum(o.works for o in outcomes)
        print(f"\ncorpus: {works} of {len(outcomes)} projects work\n{summary}")
        if os.environ.get("FX_CORPUS_REPORT"):
            with open(os.environ["FX_CORPUS_REPORT"], "w") as f:
                json.dump({o.project: {"works": o.works, "deployed": o.deployed, "problems": o.problems,
                                       "checks": o.checks, "warnings": o.warnings,
                                       "seconds": round(o.seconds, 1)} for o in outcomes},
                          f, indent=1, sort_keys=True)
        self.assertFalse(missing, f"expected.json lists projects the corpus lacks: {missing}")
        self.assertFalse(mismatches,
                         f"outcome differs from tests/corpus/expected.json for {mismatches} "
                         f"(update the file, then run scripts/corpus-table.py):\n{summary}")


PERMISSIVE = {"MIT", "MIT-0", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC", "Unlicense", "CC0-1.0"}
CATEGORIES = ("service: ", "plugin: ", "event: ", "python deps from PyPI", "npm dependencies",
              "runtime retired by Lambda", "project: ", "fx bug: ")


class CorpusTableTest(unittest.TestCase):
    """The expected outcomes are complete and the README's table is the one they make; no
    emulator and no corpus needed, so these run everywhere."""

    def setUp(self):
        with open(EXPECTED) as f:
            self.projects = json.load(f)["projects"]

    def test_every_entry_says_what_and_why(self):
        self.assertGreaterEqual(len(self.projects), 30)
        for name, p in self.projects.items():
            with self.subTest(project=name):
                self.assertIn(p["outcome"], ("works", "fails"))
                if p["outcome"] == "fails":
                    self.assertTrue(p["category"].startswith(CATEGORIES), p["category"])
                    self.assertTrue(p["reason"].strip())
                    self.assertTrue(p.get("match"), "a failing entry names a piece of its problem")
                src = p["source"]
                self.assertRegex(src["repository"], r"^https://github\.com/[^/]+/[^/]+$")
                self.assertRegex(src["commit"], r"^[0-9a-f]{40}$")
                self.assertIn(src["licence"], PERMISSIVE)
                self.assertNotIn("serverless/examples", src["repository"])

    def test_readme_table_is_current(self):
        script = os.path.join(HERE, "..", "..", "scripts", "corpus-table.py")
        r = subprocess.run([sys.executable, script, "--check"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_corpus_folders_match_the_entries(self):
        projects = corpus_projects(only=False)
        if not projects:
            self.skipTest(f"no corpus projects in {CORPUS}")
        self.assertEqual(sorted(projects), sorted(self.projects))
        for name in projects:
            with self.subTest(project=name):
                folder = os.path.join(CORPUS, name)
                self.assertTrue(os.path.isfile(os.path.join(folder, "LICENSE")))
                with open(os.path.join(folder, "SOURCE.md")) as f:
                    source = f.read()
                self.assertIn(self.projects[name]["source"]["commit"], source)


class RouteLinesTest(unittest.TestCase):
    """The harness reads every route line `fx deploy` prints, the ALB's among them, and asks a
    real local server for it; no emulator and no corpus needed."""

    def test_each_printed_route_becomes_one_request(self):
        import http.server

        seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self):
                seen.append((self.command, self.path))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_GET = do_POST = answer

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            base = f"http://127.0.0.1:{server.server_address[1]}"
            for line, want in (
                    (f"ALB    {base}/hello  (priority 1)", ("GET", "/hello")),
                    (f"ALB    {base}  (path pattern 'hello', priority 3)", ("GET", "/hello")),
                    (f"ALB    {base}/*  (priority 2)", ("GET", "/corpus")),
                    (f"ALB    {base}/api/v?/items*  (priority 30)", ("GET", "/api/vc/itemscorpus")),
                    (f"POST   {base}/dev/items/{{id}}", ("POST", "/dev/items/corpus1")),
                    (f"ANY    {base}/dev/{{proxy+}}", ("GET", "/dev/corpus/proxy"))):
                with self.subTest(line=line):
                    self.assertEqual(probe_route(line), (200, "ok"))
                    self.assertEqual(seen[-1], want)
        finally:
            server.shutdown()
            server.server_close()


if __name__ == "__main__":
    main()
