"""The bad-input catalogue of the emulator's APIs: every request an attacker or a careless tool
might send, each with the exact answer the real service gives (status, error type and words),
and after each one the emulator still serving with the same pid. A 500 here is a bug in fx.

Where `python3 -m moto.server` implements a call, the Differential class sends the same calls
to fx and to moto and compares; moto validates far less than AWS does, and each case where it
deviates says so and follows AWS's documentation instead.
"""
import base64
import http.client
import io
import json
import os
import re
import tempfile
import zipfile

import boto3
from botocore.config import Config

from fxtest import FxTestCase, main

HANDLER = {
    "serverless.yaml": """
        service: SERVICE
        provider: {name: aws, runtime: python3.11}
        functions:
          victim:
            handler: app.handler
        """,
    "app.py": """
        def handler(event, context):
            return {"ok": True}
        """,
}


def zip_of(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


ZIP = zip_of({"app.py": "def handler(e, c):\n    return 1\n"})
ZIP64 = base64.b64encode(ZIP).decode()
ROLE = "arn:aws:iam::000000000000:role/fx-local"


def create_body(**overrides):
    body = {"FunctionName": "cat-new", "Runtime": "python3.11", "Handler": "app.handler",
            "Role": ROLE, "Code": {"ZipFile": ZIP64}}
    body.update(overrides)
    return json.dumps(body).encode()


def request(url, method, path, body=b"", headers=None, timeout=30):
    """One raw HTTP request: (status, headers dict (lower-case), body bytes)."""
    host = url.split("//", 1)[1]
    conn = http.client.HTTPConnection(host, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        hdrs = {"Content-Length": str(len(body))}
        hdrs.update(headers or {})
        for k, v in hdrs.items():
            conn.putheader(k, v)
        conn.endheaders(body if body else None)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


ARN = "arn:aws:lambda:us-east-1:000000000000:function"
LAYER = "arn:aws:lambda:us-east-1:000000000000:layer"
ESM = "/2015-03-31/event-source-mappings"

# (name, method, path, body, headers, status, x-amzn-ErrorType, message pattern: a regex that
# must match the whole message). `victim` is deployed; `nosuch` is not.
LAMBDA_CASES = [
    # CreateFunction: the body itself
    ("create: not JSON", "POST", "/2015-03-31/functions", b"x", {}, 400,
     "InvalidRequestContentException",
     r"Could not parse request body into json: the body is not valid JSON \(or not valid UTF-8\)"),
    ("create: empty body", "POST", "/2015-03-31/functions", b"", {}, 400,
     "InvalidRequestContentException",
     r"Could not parse request body into json: the body is empty; send a JSON object"),
    ("create: a JSON array", "POST", "/2015-03-31/functions", b"[]", {}, 400,
     "InvalidRequestContentException",
     r"Could not parse request body into json: expected a JSON object, got Array"),
    ("create: invalid UTF-8", "POST", "/2015-03-31/functions", b'{"FunctionName":"\xff\xfe"}', {},
     400, "InvalidRequestContentException", r"Could not parse request body into json: .*UTF-8.*"),
    ("create: deep nesting", "POST", "/2015-03-31/functions", b"[" * 100000, {}, 400,
     "InvalidRequestContentException", r"Could not parse request body into json: .*"),
    # CreateFunction: fields of the wrong type
    ("create: FunctionName is a number", "POST", "/2015-03-31/functions",
     create_body(FunctionName=123), {}, 400, "InvalidRequestContentException",
     r"Could not parse request body into json: Cannot deserialize value of type String from "
     r"Integer at 'FunctionName'"),
    ("create: Timeout is a string", "POST", "/2015-03-31/functions", create_body(Timeout="abc"), {},
     400, "InvalidRequestContentException",
     r"Could not parse request body into json: Cannot deserialize value of type Integer from "
     r"String \"abc\" at 'Timeout'"),
    ("create: MemorySize is a float", "POST", "/2015-03-31/functions", create_body(MemorySize=1.5),
     {}, 400, "InvalidRequestContentException",
     r".*Cannot deserialize value of type Integer from Float at 'MemorySize'"),
    ("create: Environment is a string", "POST", "/2015-03-31/functions",
     create_body(Environment="x"), {}, 400, "InvalidRequestContentException",
     r".*Cannot deserialize value of type Structure from String \"x\" at 'Environment'"),
    ("create: an environment value is a number", "POST", "/2015-03-31/functions",
     create_body(Environment={"Variables": {"KEY": 1}}), {}, 400,
     "InvalidRequestContentException", r".*from Integer at 'Variables.KEY'"),
    ("create: Layers is an object", "POST", "/2015-03-31/functions", create_body(Layers={}), {},
     400, "InvalidRequestContentException", r".*type List from Object at 'Layers'"),
    ("create: Code is a string", "POST", "/2015-03-31/functions", create_body(Code="x"), {}, 400,
     "InvalidRequestContentException", r".*type Structure from String \"x\" at 'Code'"),
    ("create: Tags is a list", "POST", "/2015-03-31/functions", create_body(Tags=[]), {}, 400,
     "InvalidRequestContentException", r".*type Map from Array at 'Tags'"),
    # CreateFunction: constraints (ValidationException, Lambda's wording)
    ("create: no FunctionName", "POST", "/2015-03-31/functions",
     json.dumps({"Runtime": "python3.11", "Code": {"ZipFile": ZIP64}}).encode(), {}, 400,
     "ValidationException",
     r"1 validation error detected: Value null at 'functionName' failed to satisfy constraint: "
     r"Member must not be null"),
    ("create: FunctionName with a space", "POST", "/2015-03-31/functions",
     create_body(FunctionName="bad name"), {}, 400, "ValidationException",
     r"1 validation error detected: Value 'bad name' at 'functionName' failed to satisfy "
     r"constraint: Member must satisfy regular expression pattern: .*"),
    ("create: FunctionName of 65 characters", "POST", "/2015-03-31/functions",
     create_body(FunctionName="a" * 65), {}, 400, "ValidationException",
     r"1 validation error detected: Value 'a{65}' at 'functionName'.*"),
    ("create: MemorySize 64", "POST", "/2015-03-31/functions", create_body(MemorySize=64), {}, 400,
     "ValidationException",
     r"1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint: "
     r"Member must have value greater than or equal to 128"),
    ("create: MemorySize 20000", "POST", "/2015-03-31/functions", create_body(MemorySize=20000),
     {}, 400, "ValidationException",
     r"1 validation error detected: Value '20000' at 'memorySize' failed to satisfy constraint: "
     r"Member must have value less than or equal to 10240"),
    ("create: Timeout 0 and MemorySize 64", "POST", "/2015-03-31/functions",
     create_body(Timeout=0, MemorySize=64), {}, 400, "ValidationException",
     r"2 validation errors detected: Value '64' at 'memorySize' .*; Value '0' at 'timeout' "
     r"failed to satisfy constraint: Member must have value greater than or equal to 1"),
    ("create: Timeout 901", "POST", "/2015-03-31/functions", create_body(Timeout=901), {}, 400,
     "ValidationException", r"1 validation error detected: Value '901' at 'timeout'.*less than or "
     r"equal to 900"),
    ("create: EphemeralStorage 100", "POST", "/2015-03-31/functions",
     create_body(EphemeralStorage={"Size": 100}), {}, 400, "ValidationException",
     r"1 validation error detected: Value '100' at 'ephemeralStorage.size'.*"),
    ("create: unknown runtime", "POST", "/2015-03-31/functions", create_body(Runtime="cobol85"),
     {}, 400, "ValidationException",
     r"1 validation error detected: Value 'cobol85' at 'runtime' failed to satisfy constraint: "
     r"Member must satisfy enum value set: .*"),
    ("create: handler with a space", "POST", "/2015-03-31/functions",
     create_body(Handler="app handler"), {}, 400, "ValidationException",
     r".*Value 'app handler' at 'handler' failed to satisfy constraint: Member must satisfy "
     r"regular expression pattern: \[\^\\s\]\+"),
    ("create: handler of 200 characters", "POST", "/2015-03-31/functions",
     create_body(Handler="h" * 200), {}, 400, "ValidationException",
     r".*at 'handler' failed to satisfy constraint: Member must have length less than or equal "
     r"to 128"),
    ("create: no handler for python", "POST", "/2015-03-31/functions", create_body(Handler=None),
     {}, 400, "InvalidParameterValueException", r"Handler is required for the python3.11 runtime"),
    ("create: role is not an ARN", "POST", "/2015-03-31/functions", create_body(Role="nope"), {},
     400, "ValidationException",
     r"1 validation error detected: Value 'nope' at 'role' failed to satisfy constraint: Member "
     r"must satisfy regular expression pattern: .*"),
    ("create: description of 300 characters", "POST", "/2015-03-31/functions",
     create_body(Description="d" * 300), {}, 400, "ValidationException",
     r".*at 'description' failed to satisfy constraint: Member must have length less than or "
     r"equal to 256"),
    ("create: environment name not a name", "POST", "/2015-03-31/functions",
     create_body(Environment={"Variables": {"1x": "a"}}), {}, 400, "ValidationException",
     r"1 validation error detected: Value at 'environment.variables' failed to satisfy "
     r"constraint: Map keys must satisfy constraint: \[Member must satisfy regular expression "
     r"pattern: \[a-zA-Z\]\(\[a-zA-Z0-9_\]\)\+\] \(the key '1x'\)"),
    ("create: a one-letter environment name", "POST", "/2015-03-31/functions",
     create_body(Environment={"Variables": {"A": "a"}}), {}, 400, "ValidationException",
     r".*Map keys must satisfy constraint: .* \(the key 'A'\)"),
    ("create: reserved environment variable", "POST", "/2015-03-31/functions",
     create_body(Environment={"Variables": {"AWS_REGION": "x", "LAMBDA_TASK_ROOT": "/"}}), {},
     400, "InvalidParameterValueException",
     r"Lambda was unable to configure your environment variables because the environment "
     r"variables you have provided contains reserved keys that are currently not supported for "
     r"modification. Reserved keys used in this request: AWS_REGION, LAMBDA_TASK_ROOT"),
    ("create: environment over 4 KB", "POST", "/2015-03-31/functions",
     create_body(Environment={"Variables": {"BIG": "x" * 5000}}), {}, 400,
     "InvalidParameterValueException",
     r"Lambda was unable to configure your environment variables because the environment "
     r"variables you have provided exceeded the 4KB limit.*"),
    ("create: unknown architecture", "POST", "/2015-03-31/functions",
     create_body(Architectures=["sparc"]), {}, 400, "ValidationException",
     r".*Value '\[sparc\]' at 'architectures'.*enum value set: \[x86_64, arm64\].*"),
    ("create: two architectures", "POST", "/2015-03-31/functions",
     create_body(Architectures=["x86_64", "arm64"]), {}, 400, "ValidationException",
     r".*at 'architectures' failed to satisfy constraint: Member must have length less than or "
     r"equal to 1.*"),
    ("create: a layer ARN that is not one", "POST", "/2015-03-31/functions",
     create_body(Layers=["garbage"]), {}, 400, "ValidationException",
     r".*Value 'garbage' at 'layers' failed to satisfy constraint: .*"),
    ("create: six layers", "POST", "/2015-03-31/functions",
     create_body(Layers=[f"{LAYER}:l{i}:1" for i in range(6)]), {}, 400,
     "InvalidParameterValueException", r"Cannot reference more than 5 layers\."),
    ("create: a layer that does not exist", "POST", "/2015-03-31/functions",
     create_body(Layers=[f"{LAYER}:nope:1"]), {}, 400, "InvalidParameterValueException",
     rf"Layer version {LAYER}:nope:1 does not exist\."),
    ("create: no Code", "POST", "/2015-03-31/functions", create_body(Code=None), {}, 400,
     "ValidationException", r".*Value null at 'code' failed to satisfy constraint: Member must "
     r"not be null"),
    ("create: empty Code", "POST", "/2015-03-31/functions", create_body(Code={}), {}, 400,
     "InvalidParameterValueException", r"Please provide a source for function code\."),
    ("create: code in S3", "POST", "/2015-03-31/functions",
     create_body(Code={"S3Bucket": "b", "S3Key": "k"}), {}, 400, "InvalidParameterValueException",
     r"The fx emulator takes code as Code.ZipFile; S3 locations and images are not supported"),
    ("create: ZipFile is not base64", "POST", "/2015-03-31/functions",
     create_body(Code={"ZipFile": "!!!"}), {}, 400, "InvalidRequestContentException",
     r"Could not parse request body into json: Code.ZipFile is not valid base64"),
    ("create: ZipFile is not a zip", "POST", "/2015-03-31/functions",
     create_body(Code={"ZipFile": base64.b64encode(b"not a zip").decode()}), {}, 400,
     "InvalidParameterValueException", r"Could not unzip uploaded file\..*"),
    ("create: zip slip", "POST", "/2015-03-31/functions",
     create_body(Code={"ZipFile": base64.b64encode(zip_of({"../evil.py": "x"})).decode()}), {},
     400, "InvalidParameterValueException", r"Could not unzip uploaded file.*'\.\./evil\.py'.*"),
    ("create: a container image", "POST", "/2015-03-31/functions",
     create_body(PackageType="Image"), {}, 400, "InvalidParameterValueException",
     r"The fx emulator runs zip functions; container images are not supported"),
    ("create: a tag key starting with aws:", "POST", "/2015-03-31/functions",
     create_body(Tags={"aws:x": "y"}), {}, 400, "InvalidParameterValueException",
     r"Invalid tag key 'aws:x': .*"),
    ("create: 51 tags", "POST", "/2015-03-31/functions",
     create_body(Tags={f"k{i}": "v" for i in range(51)}), {}, 400,
     "InvalidParameterValueException", r"A resource can have at most 50 tags; got 51"),
    ("create: the function exists", "POST", "/2015-03-31/functions",
     create_body(FunctionName="victim"), {}, 409, "ResourceConflictException",
     r"Function already exist: victim"),
    # Invoke
    ("invoke: a name that is not UTF-8", "POST", "/2015-03-31/functions/%ff/invocations", b"{}", {},
     400, "ValidationException", r"1 validation error detected: Value '\ufffd' at 'functionName'.*"),
    ("invoke: an unknown function", "POST", "/2015-03-31/functions/nosuch/invocations", b"{}", {},
     404, "ResourceNotFoundException", rf"Function not found: {ARN}:nosuch"),
    ("invoke: a payload that is not JSON", "POST", "/2015-03-31/functions/victim/invocations",
     b"not json", {}, 400, "InvalidRequestContentException",
     r"Could not parse request body into json: the payload is not valid JSON \(or not UTF-8\)"),
    ("invoke: a payload that is not UTF-8", "POST", "/2015-03-31/functions/victim/invocations",
     b'"\xff"', {}, 400, "InvalidRequestContentException", r"Could not parse request body .*"),
    ("invoke: an unknown invocation type", "POST", "/2015-03-31/functions/victim/invocations",
     b"{}", {"X-Amz-Invocation-Type": "Bogus"}, 400, "InvalidParameterValueException",
     r"1 validation error detected: Value 'Bogus' at 'invocationType' failed to satisfy "
     r"constraint: Member must satisfy enum value set: \[Event, RequestResponse, DryRun\]"),
    ("invoke: an unknown log type", "POST", "/2015-03-31/functions/victim/invocations", b"{}",
     {"X-Amz-Log-Type": "All"}, 400, "InvalidParameterValueException",
     r".*Value 'All' at 'logType'.*\[None, Tail\]"),
    ("invoke: 7 MB synchronously", "POST", "/2015-03-31/functions/victim/invocations",
     b'"' + b"x" * 7_000_000 + b'"', {}, 413, "RequestTooLargeException",
     r"Request must be smaller than 6291456 bytes for the InvokeFunction operation"),
    ("invoke: 1.1 MB asynchronously", "POST", "/2015-03-31/functions/victim/invocations",
     b'"' + b"x" * 1_100_000 + b'"', {"X-Amz-Invocation-Type": "Event"}, 413,
     "RequestTooLargeException",
     r"Request must be smaller than 1048576 bytes for the InvokeFunction operation"),
    ("invoke: client context not base64", "POST", "/2015-03-31/functions/victim/invocations",
     b"{}", {"X-Amz-Client-Context": "!!!"}, 400, "InvalidRequestContentException",
     r"X-Amz-Client-Context is not valid base64"),
    ("invoke: client context not JSON", "POST", "/2015-03-31/functions/victim/invocations", b"{}",
     {"X-Amz-Client-Context": base64.b64encode(b"nojson").decode()}, 400,
     "InvalidRequestContentException", r"Client context must be a valid JSON object.*"),
    ("invoke: DryRun of an unknown function", "POST", "/2015-03-31/functions/nosuch/invocations",
     b"{}", {"X-Amz-Invocation-Type": "DryRun"}, 404, "ResourceNotFoundException", r".*nosuch"),
    # The rest of the function's API
    ("configuration: Timeout is a string", "PUT", "/2015-03-31/functions/victim/configuration",
     b'{"Timeout":"abc"}', {}, 400, "InvalidRequestContentException",
     r".*Cannot deserialize value of type Integer from String \"abc\" at 'Timeout'"),
    ("configuration: a layer that does not exist", "PUT",
     "/2015-03-31/functions/victim/configuration",
     json.dumps({"Layers": [f"{LAYER}:nope:1"]}).encode(), {}, 400,
     "InvalidParameterValueException", rf"Layer version {LAYER}:nope:1 does not exist\."),
    ("configuration: MemorySize 64", "PUT", "/2015-03-31/functions/victim/configuration",
     b'{"MemorySize":64}', {}, 400, "ValidationException", r".*Value '64' at 'memorySize'.*"),
    ("configuration: an unknown function", "PUT", "/2015-03-31/functions/nosuch/configuration",
     b'{"Timeout":5}', {}, 404, "ResourceNotFoundException", rf"Function not found: {ARN}:nosuch"),
    ("code: ZipFile is a number", "PUT", "/2015-03-31/functions/victim/code", b'{"ZipFile":5}', {},
     400, "InvalidRequestContentException", r".*type String from Integer at 'ZipFile'"),
    ("code: no ZipFile", "PUT", "/2015-03-31/functions/victim/code", b"{}", {}, 400,
     "InvalidParameterValueException", r"Please provide a source for function code\."),
    ("an unknown action", "GET", "/2015-03-31/functions/victim/bogus", b"", {}, 404,
     "UnknownOperationException", r"Unknown operation GET /2015-03-31/functions/victim/bogus"),
    ("a method the function list does not take", "PATCH", "/2015-03-31/functions", b"", {}, 405,
     "UnknownOperationException", r"Unknown operation PATCH /2015-03-31/functions"),
    ("concurrency: negative", "PUT", "/2017-10-31/functions/victim/concurrency",
     b'{"ReservedConcurrentExecutions":-1}', {}, 400, "ValidationException",
     r".*Value '-1' at 'reservedConcurrentExecutions'.*greater than or equal to 0"),
    ("concurrency: a string", "PUT", "/2017-10-31/functions/victim/concurrency",
     b'{"ReservedConcurrentExecutions":"x"}', {}, 400, "InvalidRequestContentException",
     r".*from String \"x\" at 'ReservedConcurrentExecutions'"),
    ("concurrency: a name that is not UTF-8", "GET", "/2017-10-31/functions/%ff%fe/concurrency",
     b"", {}, 400, "ValidationException", r".*at 'functionName'.*"),
    ("tags: Tags is a list", "POST", f"/2017-03-31/tags/{ARN}:victim", b'{"Tags":[]}', {}, 400,
     "InvalidRequestContentException", r".*type Map from Array at 'Tags'"),
    ("tags: a tag value is a number", "POST", f"/2017-03-31/tags/{ARN}:victim",
     b'{"Tags":{"k":1}}', {}, 400, "InvalidRequestContentException", r".*at 'Tags.k'"),
    ("tags: an unknown function", "GET", f"/2017-03-31/tags/{ARN}:nosuch", b"", {}, 404,
     "ResourceNotFoundException", rf"Function not found: {ARN}:nosuch"),
    ("layers: a name with a space", "POST", "/2018-10-31/layers/bad%20name/versions",
     b'{"Content":{"ZipFile":""}}', {}, 400, "ValidationException",
     r".*Value 'bad name' at 'layerName'.*"),
    ("layers: no ZipFile", "POST", "/2018-10-31/layers/good/versions", b'{"Content":{}}', {}, 400,
     "InvalidParameterValueException", r"The fx emulator takes layer code as Content.ZipFile"),
    ("layers: a version that is not a number", "GET", "/2018-10-31/layers/good/versions/abc", b"",
     {}, 404, "ResourceNotFoundException", r"Layer version good:abc does not exist\."),
    ("layers: an unknown action", "GET", "/2018-10-31/layers/good/bogus", b"", {}, 404,
     "UnknownOperationException", r"Unknown operation GET .*"),
    # GetEventSourceMapping and ListEventSourceMappings. moto answers every list query below
    # with an empty list (it checks none of them); these follow Lambda's documented constraints
    # (botocore's model: MaxItems 1 to 10000, EventSourceArn an ARN's pattern, FunctionName a
    # function's). The Differential class compares the answers both give.
    ("mappings: an unknown UUID", "GET",
     f"{ESM}/00000000-0000-4000-8000-000000000000", b"", {}, 404, "ResourceNotFoundException",
     r"The resource you requested does not exist\."),
    ("mappings: a UUID that is not one", "GET", f"{ESM}/not-a-uuid", b"", {}, 404,
     "ResourceNotFoundException", r"The resource you requested does not exist\."),
    ("mappings: a UUID that is not UTF-8", "GET", f"{ESM}/%ff%fe", b"", {}, 404,
     "ResourceNotFoundException", r"The resource you requested does not exist\."),
    ("mappings: a UUID of 4000 characters", "GET", f"{ESM}/{'a' * 4000}", b"", {}, 404,
     "ResourceNotFoundException", r"The resource you requested does not exist\."),
    ("mappings: a path below a UUID", "GET", f"{ESM}/x/y", b"", {}, 404,
     "UnknownOperationException", rf"Unknown operation GET {ESM}/x/y"),
    ("mappings: a path that only starts like it", "GET", f"{ESM}x", b"", {}, 404,
     "UnknownOperationException", rf"Unknown operation GET {ESM}x"),
    ("mappings: CreateEventSourceMapping of an unknown function", "POST", ESM,
     b'{"FunctionName":"f","EventSourceArn":"arn:aws:sqs:us-east-1:000000000000:q"}', {}, 404,
     "ResourceNotFoundException",
     r"Function not found: arn:aws:lambda:us-east-1:000000000000:function:f"),
    ("mappings: UpdateEventSourceMapping of an unknown UUID", "PUT",
     f"{ESM}/00000000-0000-4000-8000-000000000000", b'{"BatchSize":5}', {}, 404,
     "ResourceNotFoundException", r"The resource you requested does not exist\."),
    ("mappings: DeleteEventSourceMapping of an unknown UUID", "DELETE",
     f"{ESM}/00000000-0000-4000-8000-000000000000", b"", {}, 404,
     "ResourceNotFoundException", r"The resource you requested does not exist\."),
    # Lambda documents no wording for a MaxItems that is not a number; fx says it in the form
    # of its other validation errors.
    ("mappings: MaxItems is a word", "GET", f"{ESM}?MaxItems=abc", b"", {}, 400,
     "ValidationException",
     r"1 validation error detected: Value 'abc' at 'maxItems' failed to satisfy constraint: "
     r"Member must be a whole number"),
    ("mappings: MaxItems is a fraction", "GET", f"{ESM}/?MaxItems=1.5", b"", {}, 400,
     "ValidationException", r".*Value '1\.5' at 'maxItems'.*whole number"),
    ("mappings: MaxItems is empty", "GET", f"{ESM}?MaxItems=", b"", {}, 400,
     "ValidationException", r".*Value '' at 'maxItems'.*whole number"),
    ("mappings: MaxItems of 20 digits", "GET", f"{ESM}?MaxItems={'9' * 20}", b"", {}, 400,
     "ValidationException", r".*at 'maxItems'.*whole number"),
    ("mappings: MaxItems 0", "GET", f"{ESM}?MaxItems=0", b"", {}, 400, "ValidationException",
     r"1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: "
     r"Member must have value greater than or equal to 1"),
    ("mappings: MaxItems -1", "GET", f"{ESM}?MaxItems=-1", b"", {}, 400, "ValidationException",
     r".*Value '-1' at 'maxItems'.*greater than or equal to 1"),
    ("mappings: MaxItems 10001", "GET", f"{ESM}?MaxItems=10001", b"", {}, 400,
     "ValidationException", r".*Value '10001' at 'maxItems'.*less than or equal to 10000"),
    ("mappings: a Marker fx never gave", "GET", f"{ESM}?Marker=garbage", b"", {}, 400,
     "InvalidParameterValueException",
     r"Marker 'garbage' names no event source mapping of this list: send the NextMarker of "
     r"the previous page"),
    ("mappings: a Marker that is not UTF-8", "GET", f"{ESM}?Marker=%ff", b"", {}, 400,
     "InvalidParameterValueException", r"Marker '.*' names no event source mapping.*"),
    ("mappings: a FunctionName of 5000 characters", "GET", f"{ESM}?FunctionName={'a' * 5000}",
     b"", {}, 400, "ValidationException",
     r"1 validation error detected: Value 'a{200}\.\.\. \(5000 bytes\)' at 'functionName'.*"),
    ("mappings: a FunctionName that is not UTF-8", "GET", f"{ESM}?FunctionName=%ff%fe", b"", {},
     400, "ValidationException", r".*at 'functionName'.*"),
    ("mappings: an empty FunctionName", "GET", f"{ESM}?FunctionName=", b"", {}, 400,
     "ValidationException", r".*Value '' at 'functionName'.*"),
    ("mappings: an EventSourceArn that is not an ARN", "GET", f"{ESM}?EventSourceArn=nope", b"",
     {}, 400, "ValidationException",
     r"1 validation error detected: Value 'nope' at 'eventSourceArn' failed to satisfy "
     r"constraint: Member must satisfy regular expression pattern: arn:.*"),
    ("mappings: an EventSourceArn with a bad account", "GET",
     f"{ESM}?EventSourceArn=arn:aws:sqs:us-east-1:123:q", b"", {}, 400, "ValidationException",
     r".*at 'eventSourceArn'.*"),
    ("mappings: a malformed query string", "GET", f"{ESM}?%zz&&=&MaxItems=%&%", b"", {}, 400,
     "ValidationException", r".*Value '%' at 'maxItems'.*whole number"),
    ("mappings: two errors at once", "GET", f"{ESM}?MaxItems=0&EventSourceArn=x", b"", {}, 400,
     "ValidationException",
     r"2 validation errors detected: Value '0' at 'maxItems'.*; Value 'x' at 'eventSourceArn'.*"),
    # fx's own API
    ("fx logs: since is not a number", "GET", "/_fx/v1/logs?since=abc", b"", {}, 400,
     "InvalidParameterValueException", r"query parameter 'since' must be a whole number, got 'abc'"),
    ("fx logs: tail is negative", "GET", "/_fx/v1/logs?tail=-1", b"", {}, 400,
     "InvalidParameterValueException", r"query parameter 'tail' must be a whole number, got '-1'"),
    ("fx logs: an unknown function", "GET", "/_fx/v1/logs?function=nosuch", b"", {}, 404,
     "ResourceNotFoundException", rf"Function not found: {ARN}:nosuch"),
    ("fx reports: since is not a number", "GET", "/_fx/v1/reports?since=1e9", b"", {}, 400,
     "InvalidParameterValueException", r"query parameter 'since' must be a whole number.*"),
    ("fx cost: not JSON", "POST", "/_fx/v1/cost", b"x", {}, 400, "InvalidParameterValueException",
     r".+"),
    ("fx cost: GET", "GET", "/_fx/v1/cost", b"", {}, 405, "MethodNotAllowedException",
     r"POST a cost request"),
    ("fx service: not JSON", "PUT", "/_fx/v1/services/cat", b"x", {}, 400,
     "InvalidParameterValueException", r"the service's events must be a JSON object"),
    ("fx service: a schedule that is a number", "PUT", "/_fx/v1/services/cat",
     b'{"schedules":[1]}', {}, 400, "InvalidParameterValueException",
     r"the service's events document is not one fx deploy writes: .*"),
    ("fx service: a route whose function is a number", "PUT", "/_fx/v1/services/cat",
     b'{"routes":[{"function":3}]}', {}, 400, "InvalidParameterValueException",
     r"the service's events document is not one fx deploy writes: type must be string, but is "
     r"number"),
    ("fx service: a bad cron expression", "PUT", "/_fx/v1/services/cat",
     b'{"schedules":[{"function":"victim","expression":"cron(99 * * * ? *)"}]}', {}, 400,
     "InvalidParameterValueException", r".*cron.*"),
    ("fx code: a name that is not UTF-8", "GET", "/_fx/v1/code/%ff", b"", {}, 400,
     "ValidationException", r".*at 'functionName'.*"),
    ("an unknown path", "GET", "/nothing/here", b"", {}, 404, "UnknownOperationException",
     r"Unknown operation GET /nothing/here"),
]


# SQS's JSON protocol: (name, target, body, __type, message pattern); all 400s.
SQS_QUEUE = "QUEUE_URL"
SQS_CASES = [
    ("an unknown action", "Bogus", b"{}", "com.amazonaws.sqs#InvalidAction",
     r"The action Bogus is not valid for this endpoint\."),
    ("a body that is not JSON", "SendMessage", b"x", "com.amazon.coral.service#SerializationException",
     r"The request body is not a JSON object\."),
    ("a body that is not UTF-8", "SendMessage", b'{"QueueUrl":"QUEUE_URL","MessageBody":"\xff"}',
     "com.amazon.coral.service#SerializationException", r"The request body is not a JSON object\."),
    ("a queue that does not exist", "SendMessage",
     b'{"QueueUrl":"http://x/000000000000/nope","MessageBody":"hi"}',
     "com.amazonaws.sqs#QueueDoesNotExist", r"The specified queue does not exist\."),
    ("a body that is a number", "SendMessage", b'{"QueueUrl":"QUEUE_URL","MessageBody":5}',
     "com.amazonaws.sqs#InvalidParameterValue",
     r"Value for parameter MessageBody is invalid\. Reason: must be a string\."),
    ("no body", "SendMessage", b'{"QueueUrl":"QUEUE_URL"}', "com.amazonaws.sqs#MissingParameter",
     r"The request must contain the parameter MessageBody\."),
    ("a control character", "SendMessage", b'{"QueueUrl":"QUEUE_URL","MessageBody":"\\u0001"}',
     "com.amazonaws.sqs#InvalidMessageContents", r"Invalid characters found\..*"),
    ("a queue name with a space", "CreateQueue", b'{"QueueName":"bad name"}',
     "com.amazonaws.sqs#InvalidParameterValue",
     r"Can only include alphanumeric characters, hyphens, or underscores\. 1 to 80 in length"),
    ("eleven messages at once", "ReceiveMessage",
     b'{"QueueUrl":"QUEUE_URL","MaxNumberOfMessages":11}', "com.amazonaws.sqs#InvalidParameterValue",
     r"Value 11 for parameter MaxNumberOfMessages is invalid\. Reason: Must be between 1 and 10, if "
     r"provided\."),
    ("an empty batch", "SendMessageBatch", b'{"QueueUrl":"QUEUE_URL","Entries":[]}',
     "com.amazonaws.sqs#EmptyBatchRequest",
     r"There should be at least one SendMessageBatchRequestEntry in the request\."),
    ("a receipt handle that is not one", "DeleteMessage",
     b'{"QueueUrl":"QUEUE_URL","ReceiptHandle":"garbage"}', "com.amazonaws.sqs#ReceiptHandleIsInvalid",
     r'The input receipt handle "garbage" is not a valid receipt handle\.'),
]


class LambdaApiCatalogue(FxTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.service_dir = os.path.join(cls.root, "victim")
        os.makedirs(cls.service_dir)
        for path, text in HANDLER.items():
            with open(os.path.join(cls.service_dir, path), "w") as f:
                f.write(__import__("textwrap").dedent(text).lstrip("\n").replace("SERVICE", "cat"))
        r = cls.fx_static(["deploy", "--json"], cwd=cls.service_dir)
        assert r.code == 0, r
        # The catalogue's `victim` is the deployed name: cat-dev-victim. Rewrite the cases.
        cls.victim = "cat-dev-victim"

    def call(self, method, path, body=b"", headers=None):
        return request(self.url, method, path, body, self.auth(headers))

    def fix(self, text):
        return text.replace("victim", self.victim) if isinstance(text, str) else text.replace(
            b"victim", self.victim.encode())

    def assert_serving(self):
        os.kill(self.pid, 0)  # the same process: raises when it died
        status, _, body = self.call("GET", "/_fx/v1/status")
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["pid"], self.pid)

    def test_every_case_gets_its_exact_answer_and_the_emulator_lives(self):
        self.assertGreaterEqual(len(LAMBDA_CASES), 60)
        for name, method, path, body, headers, status, etype, pattern in LAMBDA_CASES:
            with self.subTest(name):
                got, hdrs, raw = self.call(method, self.fix(path), self.fix(body), headers)
                self.assertEqual(got, status, f"{name}: {raw[:400]!r}")
                self.assertEqual(hdrs.get("x-amzn-errortype"), etype, name)
                message = json.loads(raw)["message"]
                self.assertRegex(message, "^" + self.fix(pattern) + "$", name)
                self.assertNotRegex(message, r"json\.exception|stoll|stoi|basic_string")
                self.assert_serving()

    def test_sqs_cases(self):
        status, _, body = self.call("POST", "/", b'{"QueueName":"cat-q"}',
                                    {"X-Amz-Target": "AmazonSQS.CreateQueue",
                                     "Content-Type": "application/x-amz-json-1.0"})
        self.assertEqual(status, 200, body)
        queue = json.loads(body)["QueueUrl"].encode()
        for name, target, payload, etype, pattern in SQS_CASES:
            with self.subTest(name):
                got, _, raw = self.call("POST", "/", payload.replace(b"QUEUE_URL", queue),
                                        {"X-Amz-Target": f"AmazonSQS.{target}",
                                         "Content-Type": "application/x-amz-json-1.0"})
                self.assertEqual(got, 400, f"{name}: {raw[:300]!r}")
                answer = json.loads(raw)
                self.assertEqual(answer["__type"], etype, name)
                self.assertRegex(answer["message"], "^" + pattern + "$", name)
                self.assert_serving()

    def test_a_rejected_configuration_changes_nothing(self):
        before = self.call("GET", f"/2015-03-31/functions/{self.victim}/configuration")[2]
        self.call("PUT", f"/2015-03-31/functions/{self.victim}/configuration",
                  json.dumps({"Timeout": 5, "Layers": [f"{LAYER}:nope:1"]}).encode())
        after = self.call("GET", f"/2015-03-31/functions/{self.victim}/configuration")[2]
        self.assertEqual(json.loads(before), json.loads(after))
        self.assertEqual(json.loads(self.ok("invoke", "victim", cwd=self.service_dir).out), {"ok": True})

    def test_a_rejected_service_document_keeps_the_previous_events(self):
        good = {"functions": [self.victim],
                "schedules": [{"function": self.victim, "rule": "r1", "expression": "rate(1 hour)"}]}
        status, _, body = self.call("PUT", "/_fx/v1/services/keep", json.dumps(good).encode())
        self.assertEqual(status, 200, body)
        bad = dict(good, sqs=[{"function": self.victim, "queue": "q",
                               "filter_patterns": [{"body": {"a": [{"numeric": ["<"]}]}}]}])
        status, _, body = self.call("PUT", "/_fx/v1/services/keep", json.dumps(bad).encode())
        self.assertEqual(status, 400, body)
        schedules = json.loads(self.call("GET", "/_fx/v1/status")[2])["schedules"]
        self.assertEqual([s["rule"] for s in schedules if s["service"] == "keep"], ["r1"])
        self.call("DELETE", "/_fx/v1/services/keep")

    def test_event_source_mappings_come_in_pages_by_marker(self):
        doc = {"functions": [self.victim],
               "sqs": [{"function": self.victim, "queue": f"page-{i}"} for i in range(5)]}
        status, _, body = self.call("PUT", "/_fx/v1/services/pages", json.dumps(doc).encode())
        self.assertEqual(status, 200, body)
        try:
            status, _, body = self.call("GET", f"{ESM}?FunctionName={self.victim}")
            self.assertEqual(status, 200, body)
            everything = json.loads(body)
            self.assertNotIn("NextMarker", everything)
            uuids = [m["UUID"] for m in everything["EventSourceMappings"]]
            self.assertEqual(len(uuids), 5)
            pages, marker = [], None
            while len(pages) < 10:
                query = f"FunctionName={self.victim}&MaxItems=2"
                status, _, body = self.call(
                    "GET", f"{ESM}?{query}" + (f"&Marker={marker}" if marker else ""))
                self.assertEqual(status, 200, body)
                page = json.loads(body)
                pages.append([m["UUID"] for m in page["EventSourceMappings"]])
                marker = page.get("NextMarker")
                if not marker:
                    break
            self.assertEqual(pages, [uuids[0:2], uuids[2:4], uuids[4:5]])
            # boto3's paginator follows the same markers.
            lam = boto3.client("lambda", endpoint_url=self.url, region_name="us-east-1",
                               aws_access_key_id="x", aws_secret_access_key="x")
            paged = [m["UUID"]
                     for p in lam.get_paginator("list_event_source_mappings").paginate(
                         FunctionName=self.victim, PaginationConfig={"PageSize": 2})
                     for m in p["EventSourceMappings"]]
            self.assertEqual(paged, uuids)
            # A mapping by its UUID and by its queue's ARN.
            one = lam.get_event_source_mapping(UUID=uuids[3])
            self.assertEqual(one["EventSourceArn"], "arn:aws:sqs:us-east-1:000000000000:page-3")
            by_arn = lam.list_event_source_mappings(EventSourceArn=one["EventSourceArn"])
            self.assertEqual([m["UUID"] for m in by_arn["EventSourceMappings"]], [uuids[3]])
            # Of another function: none, as on Lambda (moto too).
            self.assertEqual(
                lam.list_event_source_mappings(FunctionName="nosuch")["EventSourceMappings"], [])
        finally:
            self.call("DELETE", "/_fx/v1/services/pages")
        status, _, body = self.call("GET", f"{ESM}/{uuids[0]}")
        self.assertEqual(status, 404, body)

    def test_a_deploy_naming_a_missing_layer_fails_once_and_the_emulator_lives(self):
        d = os.path.join(self.root, "layered")
        os.makedirs(d)
        with open(os.path.join(d, "serverless.yaml"), "w") as f:
            f.write("service: lay\nprovider: {name: aws, runtime: python3.11}\nfunctions:\n"
                    "  f:\n    handler: app.handler\n"
                    f"    layers: ['{LAYER}:nope:1']\n")
        with open(os.path.join(d, "app.py"), "w") as f:
            f.write("def handler(e, c):\n    return 1\n")
        for _ in range(2):  # it crashed the emulator again on every retry
            r = self.fx("deploy", cwd=d)
            self.assertEqual(r.code, 1, r)
            self.assertIn(f"Layer version {LAYER}:nope:1 does not exist.", r.err)
            self.assertEqual(r.err.count("fx: error:"), 1, r.err)
            self.assert_serving()


def lying_zip():
    """A 200-byte zip whose headers say its one entry unpacks to 3.9 GB."""
    data = bytearray(zip_of({"a.txt": "hello"}))
    big = (0xF0000000).to_bytes(4, "little")
    local = data.find(b"PK\x03\x04")
    data[local + 22:local + 26] = big  # uncompressed size, local header
    central = data.find(b"PK\x01\x02")
    data[central + 24:central + 28] = big  # and in the central directory
    return bytes(data)


def bomb_zip():
    """About 300 KB that unpack to 300 MB."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("zeros", "w") as f:
            block = b"\0" * (1 << 20)
            for _ in range(300):
                f.write(block)
    return buf.getvalue()


def symlink_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("link")
        info.external_attr = (0o120777 << 16)
        z.writestr(info, "/etc/shadow")
    return buf.getvalue()


class HostileZips(FxTestCase):
    """Zips built to hurt, through CreateFunction: each refused in Lambda's words, nothing left
    behind, and the emulator's descriptors as many after as before."""

    def create(self, name, zip_bytes):
        body = create_body(FunctionName=name, Code={"ZipFile": base64.b64encode(zip_bytes).decode()})
        return request(self.url, "POST", "/2015-03-31/functions", body, self.auth())

    def test_hostile_zips(self):
        cases = [
            ("foo and foo/bar", zip_of({"foo": "x", "foo/bar": "y"}), 400,
             "InvalidParameterValueException",
             r"Could not unzip uploaded file\. Please check your file, then try to upload again\. "
             r"\(entry 'foo' is a file, and entry 'foo/bar' needs it to be a folder\)"),
            ("foo/bar and foo", zip_of({"foo/bar": "y", "foo": "x"}), 400,
             "InvalidParameterValueException", r"Could not unzip uploaded file\..*'foo'.*"),
            ("a header that claims 3.9 GB", lying_zip(), 400, "InvalidParameterValueException",
             r"Could not unzip uploaded file\..*"),
            ("1 MB that unpacks to 300 MB", bomb_zip(), 400, "InvalidParameterValueException",
             r"Unzipped size must be smaller than 262144000 bytes"),
            # Over 50 MB, yet its request (base64) under CreateFunction's 70167211 bytes: the
            # zip's own limit answers.
            ("50.1 MB zipped", b"PK" + os.urandom(52_500_000), 413,
             "RequestEntityTooLargeException", r"Zipped size must be smaller than 52428800 bytes"),
            ("55 MB zipped", b"PK" + os.urandom(55 * 1024 * 1024), 413,
             "RequestEntityTooLargeException",
             r"Request must be smaller than 70167211 bytes for the CreateFunction operation"),
            ("a symbolic link", symlink_zip(), 400, "InvalidParameterValueException",
             r"Could not unzip uploaded file\..*'link' is a symbolic link.*"),
            ("an empty zip", zip_of({}), 400, "InvalidParameterValueException",
             r"Uploaded file must be a non-empty zip"),
            ("zip slip", zip_of({"a/../../x": "x"}), 400, "InvalidParameterValueException",
             r"Could not unzip uploaded file\..*outside the task root.*"),
        ]
        fds = len(os.listdir(f"/proc/{self.pid}/fd"))
        code = os.path.join(self.home, "code")
        before = sorted(os.listdir(code)) if os.path.isdir(code) else []
        for round in range(3):  # a leak grows with each round
            for i, (name, data, status, etype, pattern) in enumerate(cases):
                with self.subTest(name):
                    got, hdrs, raw = self.create(f"hostile-{i}", data)
                    self.assertEqual(got, status, f"{name}: {raw[:300]!r}")
                    self.assertEqual(hdrs.get("x-amzn-errortype"), etype, name)
                    self.assertRegex(json.loads(raw)["message"], "^" + pattern + "$", name)
        os.kill(self.pid, 0)
        self.assertEqual(sorted(os.listdir(code)) if os.path.isdir(code) else [], before)
        self.assertLessEqual(len(os.listdir(f"/proc/{self.pid}/fd")), fds + 2)
        # And a good one still deploys.
        got, _, raw = self.create("hostile-ok", ZIP)
        self.assertEqual(got, 201, raw)


class Differential(FxTestCase):
    """The same boto3 calls to fx and to moto (parameter validation off in the client, so the
    servers see what a careless tool would send)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        import sys
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                        "bench", "aws"))
        from moto_proxy import MotoServer
        cls.moto = MotoServer(log_path=os.path.join(cls.root, "moto.log"))

    @classmethod
    def tearDownClass(cls):
        cls.moto.close()
        super().tearDownClass()

    def client(self, service, url):
        return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                            aws_access_key_id="x", aws_secret_access_key="x",
                            config=Config(parameter_validation=False, retries={"max_attempts": 0}))

    @staticmethod
    def outcome(call):
        try:
            call()
            return ("ok",)
        except Exception as e:  # botocore.exceptions.ClientError
            r = getattr(e, "response", None)
            if not r:
                raise
            return (r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"])

    def test_lambda_answers_compared_with_moto(self):
        moto_role = self.client("iam", self.moto.url).create_role(
            RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        servers = {"fx": (self.client("lambda", self.url), ROLE),
                   "moto": (self.client("lambda", self.moto.url), moto_role)}
        # (case, call(client, role), expected fx answer, moto's when it deviates from AWS)
        def create(**kw):
            return lambda c, role: c.create_function(**{
                "FunctionName": "d-ok", "Runtime": "python3.11", "Handler": "app.handler",
                "Role": role, "Code": {"ZipFile": ZIP}, **kw})
        cases = [
            ("a valid function", create(), ("ok",), None),
            ("the same again", create(), (409, "ResourceConflictException"), None),
            ("a role that is not an ARN", create(FunctionName="d2", Role="nope"),
             (400, "ValidationException"), None),
            ("an unknown function", lambda c, r: c.get_function(FunctionName="nosuch"),
             (404, "ResourceNotFoundException"), None),
            ("configuring an unknown function",
             lambda c, r: c.update_function_configuration(FunctionName="nosuch", Timeout=5),
             (404, "ResourceNotFoundException"), None),
            # moto's Docker-less Lambda backend answers any Invoke with its event, even of a
            # function that does not exist; AWS says 404.
            ("invoking an unknown function",
             lambda c, r: c.invoke(FunctionName="nosuch", Payload=b"{}"),
             (404, "ResourceNotFoundException"), ("ok",)),
            # moto accepts all of these; AWS refuses them (CreateFunction's documented
            # constraints: MemorySize 128-10240, Timeout 1-900, Runtime an enum, FunctionName
            # a pattern), so fx follows AWS.
            ("MemorySize 64", create(FunctionName="d3", MemorySize=64),
             (400, "ValidationException"), ("ok",)),
            ("Timeout 901", create(FunctionName="d4", Timeout=901), (400, "ValidationException"),
             ("ok",)),
            ("an unknown runtime", create(FunctionName="d5", Runtime="cobol85"),
             (400, "ValidationException"), ("ok",)),
            ("a reserved variable", create(FunctionName="d6",
                                           Environment={"Variables": {"AWS_REGION": "x"}}),
             (400, "InvalidParameterValueException"), ("ok",)),
            ("negative reserved concurrency",
             lambda c, r: c.put_function_concurrency(FunctionName="d-ok",
                                                     ReservedConcurrentExecutions=-1),
             (400, "ValidationException"), ("ok",)),
            ("an unknown invocation type",
             lambda c, r: c.invoke(FunctionName="d-ok", Payload=b"{}", InvocationType="Bogus"),
             (400, "InvalidParameterValueException"), ("ok",)),
            # moto says 404 ResourceNotFoundException; AWS (and LocalStack's recorded AWS
            # answers) say 400 InvalidParameterValueException "Layer version ... does not exist."
            ("a layer that does not exist",
             create(FunctionName="d7", Layers=[f"{LAYER}:nope:1"]),
             (400, "InvalidParameterValueException"), (404, "ResourceNotFoundException")),
            # Event source mappings. moto checks none of ListEventSourceMappings' parameters;
            # AWS's documented constraints (MaxItems 1 to 10000, EventSourceArn and FunctionName
            # patterns) refuse these, so fx follows AWS.
            ("an unknown mapping",
             lambda c, r: c.get_event_source_mapping(UUID="00000000-0000-4000-8000-000000000000"),
             (404, "ResourceNotFoundException"), None),
            ("a mapping UUID that is not one",
             lambda c, r: c.get_event_source_mapping(UUID="not-a-uuid"),
             (404, "ResourceNotFoundException"), None),
            ("mappings of an unknown function",
             lambda c, r: c.list_event_source_mappings(FunctionName="nosuch"), ("ok",), None),
            ("mappings, MaxItems 0", lambda c, r: c.list_event_source_mappings(MaxItems=0),
             (400, "ValidationException"), ("ok",)),
            ("mappings, MaxItems 10001", lambda c, r: c.list_event_source_mappings(MaxItems=10001),
             (400, "ValidationException"), ("ok",)),
            ("mappings, MaxItems a word",
             lambda c, r: c.list_event_source_mappings(MaxItems="abc"),
             (400, "ValidationException"), ("ok",)),
            ("mappings, an EventSourceArn that is not an ARN",
             lambda c, r: c.list_event_source_mappings(EventSourceArn="nope"),
             (400, "ValidationException"), ("ok",)),
            ("mappings, a FunctionName of 5000 characters",
             lambda c, r: c.list_event_source_mappings(FunctionName="a" * 5000),
             (400, "ValidationException"), ("ok",)),
            # fx's markers name a mapping; moto ignores Marker (AWS documents no answer for a
            # marker it never gave).
            ("mappings, a Marker never given",
             lambda c, r: c.list_event_source_mappings(Marker="garbage"),
             (400, "InvalidParameterValueException"), ("ok",)),
        ]
        for name, call, expected, moto_deviates in cases:
            with self.subTest(name):
                got = {k: self.outcome(lambda: call(c, role)) for k, (c, role) in servers.items()}
                self.assertEqual(got["fx"], expected, name)
                self.assertEqual(got["moto"], moto_deviates or expected,
                                 f"{name}: moto changed; compare again")
        os.kill(self.pid, 0)


class CliCatalogue(FxTestCase):
    """Bad input on the command line: one `fx: error:` line (plus a hint), the right exit code."""

    def test_cases(self):
        self.make_service(HANDLER)
        self.ok("deploy")
        cases = [
            (["logs", "nosuch"], 1,
             r"^fx: error: function 'nosuch' is not deployed to http://127\.0\.0\.1:\d+ and has no "
             r"logs there\n  pass a function of the manifest \(victim\), and deploy it with "
             r"`fx deploy`\n$"),
            (["invoke", "victim", "--data", "not json"], 1, r"^fx: error: .*JSON.*"),
            (["invoke", "nosuch"], 1, r"^fx: error: function '.*nosuch' is not deployed to .*"),
            (["invoke", "victim", "--type", "Bogus"], 2, r"^fx: error: .*"),
            (["logs", "victim", "--since", "abc"], 2,
             r"^fx: error: --since: cannot read 'abc' as a time\n  use a duration ago .*"),
            (["cost", "--provider", "nope"], 2, r"^fx: error: .*"),
            (["deploy", "-f", "nosuch"], 2,
             r"^fx: error: no function 'nosuch' in serverless.yaml\n  functions: victim\n$"),
            (["emulator", "start", "--port", "99999"], 2, r"^fx: error: .*port.*"),
            (["invoke", "victim", "--target", "ftp://x"], 2, r"^fx: error: .*ftp://x.*"),
        ]
        for args, code, pattern in cases:
            with self.subTest(" ".join(args)):
                r = self.fx(*args)
                self.assertEqual(r.code, code, r)
                self.assertRegex(r.err, pattern)
                self.assertEqual(r.err.count("fx: error:"), 1, r.err)
        os.kill(self.pid, 0)


def alias_bomb():
    yaml = ("service: bomb\nprovider: {name: aws, runtime: python3.11}\nfunctions:\n"
            "  hello:\n    handler: app.handler\ncustom:\n  a: &a [x,x,x,x,x,x,x,x,x]\n")
    names = "abcdefghi"
    for level in range(1, 9):
        alias = "*" + names[level - 1]
        yaml += f"  {names[level]}: &{names[level]} [{','.join([alias] * 9)}]\n"
    return yaml


class ManifestCatalogue(FxTestCase):
    """Manifests that hung fx or said nothing useful, through the real `fx package`: one
    `fx: error:` line naming file, line, column and key, quickly."""
    start_emulator = False

    CASES = [
        ("a 700-byte alias bomb", alias_bomb(),
         r"^fx: error: serverless\.yaml:\d+:\d+: custom\.\w\[0\]: the alias \*\w takes the "
         r"document past 1000000 values\n"),
        ("a tab in the indentation",
         "service: tabs\nprovider:\n\tname: aws\n",
         r"^fx: error: serverless\.yaml:3:1: a tab in the indentation; YAML indents with spaces "
         r"only"),
        ("nesting 300 levels deep",
         "service: deep\nprovider: {name: aws, runtime: python3.11}\ncustom:\n  x: " +
         "[" * 300 + "]" * 300 + "\n",
         r"^fx: error: serverless\.yaml:4:\d+: .*nesting deeper than 100 levels"),
        ("bytes that are not UTF-8",
         "service: bad\nprovider: {name: aws, runtime: python3.11}\ncustom:\n  x: \xff\xfe\n",
         r"^fx: error: serverless\.yaml:4:\d+: .*UTF-8"),
        ("memorySize 64",
         "service: mem\nprovider: {name: aws, runtime: python3.11}\nfunctions:\n  f:\n"
         "    handler: app.handler\n    memorySize: 64\n",
         r"^fx: error: serverless\.yaml:6:17: functions\.f\.memorySize: .*128"),
        ("a variable that refers to itself",
         "service: loop\nprovider: {name: aws, runtime: python3.11}\ncustom:\n"
         "  a: ${self:custom.b}\n  b: ${self:custom.a}\nfunctions:\n  f:\n"
         "    handler: app.handler\n    environment:\n      A: ${self:custom.a}\n",
         r"^fx: error: serverless\.yaml:\d+:\d+: .*(cycle|itself|refer).*"),
        ("logRetentionInDays 2",
         "service: ret\nprovider: {name: aws, runtime: python3.11, logRetentionInDays: 2}\n"
         "functions:\n  f:\n    handler: app.handler\n",
         r"^fx: error: serverless\.yaml:2:64: provider\.logRetentionInDays: expected a number of "
         r"days CloudWatch Logs keeps logs for, got 2\n  use one of 1, 3, 5, 7, 14, .*"),
    ]

    def test_cases(self):
        for name, manifest, pattern in self.CASES:
            with self.subTest(name):
                d = tempfile.mkdtemp(dir=self.root)
                with open(os.path.join(d, "serverless.yaml"), "wb") as f:
                    f.write(manifest.encode("latin-1") if "\xff" in manifest else manifest.encode())
                with open(os.path.join(d, "app.py"), "w") as f:
                    f.write("def handler(e, c):\n    return 1\n")
                r = self.fx("package", cwd=d, timeout=30)
                self.assertEqual(r.code, 1, r)
                self.assertRegex(r.err, pattern)
                self.assertEqual(r.err.count("fx: error:"), 1, r.err)
                self.assertNotRegex(r.err, r"yaml-cpp|bad file|illegal map value|json\.exception")


if __name__ == "__main__":
    main()
