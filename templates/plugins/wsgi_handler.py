"""serverless-wsgi's `wsgi_handler.handler` for fx: runs the WSGI application that
custom.wsgi.app names behind API Gateway.

fx writes this module and `.serverless-wsgi` (the settings: {"app": "module.attr",
"textMimeTypes": [...]}) into the bundle when the manifest names the serverless-wsgi plugin.
It turns a REST (payload 1.0) or HTTP API (payload 2.0) event into a PEP 3333 environ, calls
the application once, and turns its status, headers and body back into the response API
Gateway expects: repeated headers as multiValueHeaders (1.0) or cookies (2.0), and a body
that is not text base64-encoded. Standard library only.
"""
import base64
import importlib
import inspect
import io
import json
import os
import sys
from urllib.parse import unquote_to_bytes, urlencode

_HERE = os.path.dirname(os.path.abspath(__file__))

# Content types sent as text; everything else (images, archives, octet-stream) is binary.
_TEXT_TYPES = {"application/json", "application/javascript", "application/xml",
               "application/vnd.api+json", "application/x-www-form-urlencoded", "image/svg+xml"}


def _settings():
    with open(os.path.join(_HERE, ".serverless-wsgi")) as f:
        return json.load(f)


def _load(spec):
    module_name, _, attr = spec.rpartition(".")
    if not module_name:
        raise ImportError(f"custom.wsgi.app '{spec}' is not 'module.attribute' (e.g. app.app)")
    folder = os.path.join(_HERE, _SETTINGS.get("path", ""))  # "src" for src/app.app
    if folder not in sys.path:
        sys.path.insert(0, folder)
    app = importlib.import_module(module_name)
    for part in attr.split(":"):
        app = getattr(app, part)
    call = getattr(app, "__call__", None)
    if inspect.iscoroutinefunction(app) or inspect.iscoroutinefunction(call):
        # An ASGI app (FastAPI, Starlette, Quart) takes (scope, receive, send): it cannot
        # answer a WSGI call, and serverless-wsgi does not run one either.
        raise TypeError(f"custom.wsgi.app '{spec}' is an ASGI application; serverless-wsgi "
                        "runs WSGI applications only (wrap an ASGI app with mangum and point "
                        "the function's handler at it)")
    return app


_SETTINGS = _settings()
_APP = _load(_SETTINGS["app"])
_EXTRA_TEXT = {t.lower() for t in _SETTINGS.get("textMimeTypes", [])}


def _is_text(content_type, content_encoding):
    if content_encoding:  # gzip and the like are bytes whatever the type
        return False
    mime = content_type.split(";")[0].strip().lower()
    return (mime.startswith("text/") or mime in _TEXT_TYPES or mime in _EXTRA_TEXT
            or mime.endswith("+json") or mime.endswith("+xml") or not mime)


def _request_headers(event, v2):
    """(name, value) pairs; repeats kept as separate pairs where the event has them."""
    pairs = []
    if not v2 and event.get("multiValueHeaders"):
        for name, values in event["multiValueHeaders"].items():
            for value in values or []:
                pairs.append((name, value))
    else:
        for name, value in (event.get("headers") or {}).items():
            pairs.append((name, value))
    if v2 and event.get("cookies"):
        pairs = [(n, v) for n, v in pairs if n.lower() != "cookie"]
        pairs.append(("cookie", "; ".join(event["cookies"])))
    return pairs


def _query_string(event, v2):
    if v2:
        return event.get("rawQueryString") or ""
    multi = event.get("multiValueQueryStringParameters")
    if multi:
        return urlencode([(k, v) for k, vs in multi.items() for v in vs or []])
    single = event.get("queryStringParameters")
    return urlencode(single) if single else ""


def environ_of(event, context):
    """The PEP 3333 environ for an API Gateway event (payload 1.0 or 2.0)."""
    v2 = event.get("version") == "2.0"
    request = event.get("requestContext") or {}
    if v2:
        method = (request.get("http") or {}).get("method", "GET")
        path = event.get("rawPath") or "/"
        source_ip = (request.get("http") or {}).get("sourceIp", "")
    else:
        method = event.get("httpMethod") or "GET"
        path = event.get("path") or "/"
        source_ip = (request.get("identity") or {}).get("sourceIp", "")
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body)
    elif isinstance(body, str):
        body = body.encode("utf-8")
    headers = _request_headers(event, v2)
    lower = {}
    for name, value in headers:
        lower.setdefault(name.lower(), value)
    scheme = lower.get("x-forwarded-proto", "https")
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        # PEP 3333: the path undone from %-escapes, as bytes read as latin-1.
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
        "QUERY_STRING": _query_string(event, v2),
        "SERVER_NAME": lower.get("host", "lambda").split(":")[0],
        "SERVER_PORT": lower.get("x-forwarded-port", "443" if scheme == "https" else "80"),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": source_ip or "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "serverless.event": event,
        "serverless.context": context,
        "serverless.authorizer": request.get("authorizer"),
    }
    for name, value in headers:
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
            continue
        if key == "CONTENT_LENGTH":
            continue  # the body's own length, after base64 decoding
        key = "HTTP_" + key
        # PEP 3333 joins repeated headers with commas (cookies with "; ").
        if key in environ:
            environ[key] += ("; " if key == "HTTP_COOKIE" else ",") + value
        else:
            environ[key] = value
    return environ


def handler(event, context):
    v2 = event.get("version") == "2.0"
    started = {}
    chunks = []

    def start_response(status, response_headers, exc_info=None):
        if exc_info and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started["status"] = status
        started["headers"] = list(response_headers)
        return chunks.append

    result = _APP(environ_of(event, context), start_response)
    try:
        for chunk in result:
            if chunk:
                chunks.append(chunk)
    finally:
        if hasattr(result, "close"):
            result.close()
    body = b"".join(chunks)
    status = int(started.get("status", "500").split()[0])
    headers = started.get("headers", [])
    found = {name.lower(): value for name, value in headers}
    response = {"statusCode": status}
    if v2:
        joined = {}
        for name, value in headers:
            if name.lower() == "set-cookie":
                response.setdefault("cookies", []).append(value)
            elif name in joined:
                joined[name] += ", " + value
            else:
                joined[name] = value
        response["headers"] = joined
    else:
        multi = {}
        for name, value in headers:
            multi.setdefault(name, []).append(value)
        response["multiValueHeaders"] = multi
    if _is_text(found.get("content-type", ""), found.get("content-encoding", "")):
        try:
            response["body"] = body.decode("utf-8")
            response["isBase64Encoded"] = False
            return response
        except UnicodeDecodeError:
            pass
    response["body"] = base64.b64encode(body).decode("ascii")
    response["isBase64Encoded"] = True
    return response
