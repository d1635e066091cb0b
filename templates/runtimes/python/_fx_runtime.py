"""fx runtime shim for Python: serves one function instance through the Lambda Runtime API.

Run through bootstrap.py (`python3 $LAMBDA_RUNTIME_DIR/bootstrap.py`, cwd = the task root).
It behaves like AWS's awslambdaric (same error types, messages, log format and
context object) but is standard-library only and tuned for cold start: the HTTP client is
a raw keep-alive socket (http.client drags in email.*), traceback is imported only on
error, and `logging` is configured only when something imports it.

Exit codes: 1 init error (already posted to /runtime/init/error); 3 the Runtime API went
away or refused us. A handler's own sys.exit()/os._exit() passes through untouched.
"""
import os
import sys

_API = '/2018-06-01/runtime'
_request_id = ''  # stamped on log records; empty until the first invocation, as on Lambda
_logging_ready = False


class _Lost(Exception):
    """The Runtime API closed or answered something we cannot go on from."""


class _Client:
    """One keep-alive HTTP/1.1 connection to the Runtime API."""

    def __init__(self, hostport, fd=None):
        host, _, port = hostport.rpartition(':')
        self.addr = (host.strip('[]') or '127.0.0.1', int(port))
        self.host = hostport
        # fx's own connection to the same API (--runtime-fd N): one end of a socket pair, which
        # no other process can reach, and the same HTTP without the TCP stack.
        self.fd = fd
        self.sock = None
        self.buf = bytearray()
        self.wait_readable = None

    def _connect(self):
        import _socket  # the C module: socket.py costs several ms of imports we do not need
        if self.fd is not None:
            fd, self.fd = self.fd, None  # once: if it closes, the TCP port it is from then on
            try:
                s = _socket.socket(fileno=fd)
                self.sock, self.buf = s, bytearray()
                # Wait in poll, not in a blocking recv: Linux wakes a Unix socket's sleepers
                # whenever the peer reads what we sent (send-buffer space frees), and a recv
                # sleeper cannot tell that from data, so each invocation cost a wasted pair
                # of context switches. poll wakes only for what it asked for.
                import select
                poller = select.poll()
                poller.register(s.fileno(), select.POLLIN)
                self.wait_readable = poller.poll
                return
            except OSError:
                pass
        err = None
        host, port = self.addr  # a bytes host skips the idna codec (~2 ms to import)
        addrs = _socket.getaddrinfo(host.encode(), port, 0, _socket.SOCK_STREAM)
        for fam, typ, proto, _, sa in addrs:
            s = _socket.socket(fam, typ, proto)
            try:
                s.connect(sa)
            except OSError as e:
                s.close()
                err = e
                continue
            s.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            self.sock, self.buf = s, bytearray()
            self.wait_readable = None  # TCP wakes a reader for data only
            return
        raise err or OSError('no address for ' + self.host)

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def _recv(self, want=65536):
        if self.wait_readable is not None:
            self.wait_readable()
        data = self.sock.recv(min(max(want, 65536), 1 << 23))
        if not data:
            raise _Lost('connection closed')
        self.got = True
        self.buf += data

    def _head(self, method, path, body, headers):
        return (f'{method} {_API}{path} HTTP/1.1\r\nHost: {self.host}\r\n{headers}'
                f'Content-Length: {len(body)}\r\n\r\n').encode('latin-1')

    def request(self, method, path, body=b'', headers='', then_next=False):
        """Returns (status, {lower-case header: value}, body bytes). With then_next, the
        request for the next event goes out in the same write (HTTP/1.1 pipelining), and the
        answer returned is that next event: one wake-up of the Runtime API instead of two."""
        head = self._head(method, path, body, headers)
        tail = self._head('GET', '/invocation/next', b'', '') if then_next else b''
        while True:
            reused = self.sock is not None
            self.got = False
            try:
                if not reused:
                    self._connect()
                if len(body) < 65536:
                    self.sock.sendall(head + body + tail)
                else:  # up to 6 MB: no need to copy it behind the head
                    self.sock.sendall(head)
                    self.sock.sendall(body)
                    if tail:
                        self.sock.sendall(tail)
                answer = self._response()
                break
            except (OSError, _Lost):
                self.close()
                # A kept-alive connection the server dropped before answering: retry once.
                if not reused or self.got:
                    raise _Lost(f'{method} {path} failed')
        if not then_next:
            return answer
        if self.sock is None:  # the server closed after its answer: ask for the next again
            return self.request('GET', '/invocation/next')
        return self._response()

    def _response(self):
        buf = self.buf
        while (end := buf.find(b'\r\n\r\n')) < 0:
            self._recv()
            buf = self.buf
        lines = buf[:end].decode('latin-1').split('\r\n')
        del buf[:end + 4]
        status = int(lines[0].split(None, 2)[1])
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(':')
            hdrs[k.lower()] = v.strip()  # no space before the colon in HTTP/1.1 (RFC 9112)
        if 'chunked' in hdrs.get('transfer-encoding', '').lower():
            body = bytearray()
            while True:
                while (eol := self.buf.find(b'\r\n')) < 0:
                    self._recv()
                size = int(bytes(self.buf[:eol]).split(b';')[0], 16)
                while len(self.buf) < eol + 2 + size + 2:
                    self._recv(eol + 4 + size - len(self.buf))
                body += self.buf[eol + 2:eol + 2 + size]
                del self.buf[:eol + 2 + size + 2]
                if size == 0:  # no trailers from the Runtime API
                    break
            body = bytes(body)
        elif 'content-length' in hdrs:
            n = int(hdrs['content-length'])
            while len(self.buf) < n:
                self._recv(n - len(self.buf))
            body = bytes(self.buf[:n])
            del self.buf[:n]
        elif status in (204, 304) or status < 200:
            body = b''
        else:  # delimited by close
            try:
                while True:
                    self._recv()
            except _Lost:
                pass
            body, hdrs['connection'] = bytes(self.buf), 'close'
        if hdrs.get('connection', '').lower() == 'close':
            self.close()
        return status, hdrs, body


class _Fault(Exception):
    """An error the runtime itself names (Runtime.*), with Lambda's message."""

    def __init__(self, etype, msg, trace=None):
        super().__init__(msg)
        self.etype, self.msg, self.trace = etype, msg, trace


class _Obj:
    """Attribute bag for context.identity / context.client_context, as Lambda builds them."""

    def __init__(self, d, fields):
        for f in fields:
            setattr(self, f, d.get(f))


class LambdaContext:
    def __init__(self, request_id, deadline_ms, arn, client_context, identity):
        env = os.environ
        self.aws_request_id = request_id
        self.log_group_name = env.get('AWS_LAMBDA_LOG_GROUP_NAME')
        self.log_stream_name = env.get('AWS_LAMBDA_LOG_STREAM_NAME')
        self.function_name = env.get('AWS_LAMBDA_FUNCTION_NAME')
        # A str, exactly as awslambdaric has it (it is read from the environment there too).
        self.memory_limit_in_mb = env.get('AWS_LAMBDA_FUNCTION_MEMORY_SIZE')
        self.function_version = env.get('AWS_LAMBDA_FUNCTION_VERSION')
        self.invoked_function_arn = arn
        self.identity = _Obj({'cognito_identity_id': identity.get('cognitoIdentityId'),
                              'cognito_identity_pool_id': identity.get('cognitoIdentityPoolId')},
                             ('cognito_identity_id', 'cognito_identity_pool_id'))
        self.client_context = None
        if client_context is not None:
            self.client_context = _Obj(client_context, ('custom', 'env', 'client'))
            if self.client_context.client is not None:
                self.client_context.client = _Obj(self.client_context.client, (
                    'installation_id', 'app_title', 'app_version_name', 'app_version_code',
                    'app_package_name'))
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        import time
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, msg):
        sys.stdout.write(str(msg))

    def __repr__(self):
        return (f'LambdaContext([aws_request_id={self.aws_request_id},log_group_name='
                f'{self.log_group_name},log_stream_name={self.log_stream_name},function_name='
                f'{self.function_name},memory_limit_in_mb={self.memory_limit_in_mb},'
                f'function_version={self.function_version},invoked_function_arn='
                f'{self.invoked_function_arn},client_context={self.client_context},'
                f'identity={self.identity}])')


def _setup_logging(logging):
    """Root logger → stdout in Lambda's text format. The level stays the default (WARNING)
    unless AWS_LAMBDA_LOG_LEVEL says otherwise, so logger.info() needs setLevel, as on AWS."""
    global _logging_ready
    if _logging_ready:
        return
    _logging_ready = True
    import time
    logging.Formatter.converter = time.gmtime

    class LambdaLoggerHandler(logging.Handler):
        def emit(self, record):
            try:
                sys.stdout.write(self.format(record))
            except Exception:
                self.handleError(record)

    class LambdaLoggerFilter(logging.Filter):
        def filter(self, record):
            record.aws_request_id = _request_id
            return True

    h = LambdaLoggerHandler()
    h.setFormatter(logging.Formatter(
        '[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n',
        '%Y-%m-%dT%H:%M:%S'))
    h.addFilter(LambdaLoggerFilter())
    root = logging.getLogger()
    level = os.environ.get('AWS_LAMBDA_LOG_LEVEL', '').upper()
    if level in logging._nameToLevel:
        root.setLevel(level)
    root.addHandler(h)


class _LoggingHook:
    """Meta-path finder that configures `logging` right after whoever imports it first.
    Importing logging eagerly would cost ~10 ms of every cold start, and most handlers
    never log; this costs one string comparison per new import."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name != 'logging':
            return None
        sys.meta_path.remove(cls)
        for finder in sys.meta_path:
            spec = getattr(finder, 'find_spec', lambda *a: None)(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or isinstance(loader, type):
            return spec  # a shared loader (frozen/builtin): configured after import instead
        run = loader.exec_module

        def exec_module(module):
            run(module)
            _setup_logging(module)
        loader.exec_module = exec_module
        return spec


def _frames(tb):
    """Lambda's stackTrace: formatted frames, from the first one outside the shim."""
    import traceback
    frames = traceback.extract_tb(tb)
    for i, f in enumerate(frames):
        if os.path.basename(f.filename) not in ('_fx_runtime.py', 'bootstrap.py'):
            frames = frames[i:]
            break
    return traceback.format_list(frames)


def _error(exc, request_id=''):
    if isinstance(exc, _Fault):
        etype, msg, trace = exc.etype, exc.msg, exc.trace or []
    else:
        etype, msg, trace = type(exc).__name__, str(exc), _frames(exc.__traceback__)
    return {'errorMessage': msg, 'errorType': etype, 'requestId': request_id,
            'stackTrace': trace}


def _log_error(err):
    """One record like awslambdaric's: `[ERROR] Type: message` then the traceback."""
    line = '[ERROR]'
    if err['errorType']:
        line += ' ' + err['errorType'] + (':' if err['errorMessage'] else '')
    if err['errorMessage']:
        line += ' ' + err['errorMessage']
    lines = [line, 'Traceback (most recent call last):']
    for t in err['stackTrace']:
        lines += t.splitlines() if t else ['']
    sys.stderr.write('\n'.join(lines) + '\n')


def _flush():
    for s in (sys.stdout, sys.stderr):
        try:
            s.flush()
        except Exception:
            pass


def _load(spec):
    try:
        modname, fname = spec.rsplit('.', 1)
    except ValueError as e:
        raise _Fault('Runtime.MalformedHandlerName', f"Bad handler '{spec}': {e}")
    if modname.split('.')[0] in sys.builtin_module_names:
        raise _Fault('Runtime.BuiltInModuleConflict',
                     f'Cannot use built-in module {modname} as a handler module')
    name = modname.replace('/', '.')
    try:
        __import__(name)
        module = sys.modules[name]
    except ImportError as e:
        raise _Fault('Runtime.ImportModuleError', f"Unable to import module '{modname}': {e}")
    except SyntaxError as e:
        raise _Fault('Runtime.UserCodeSyntaxError', f"Syntax error in module '{modname}': {e}",
                     [f'  File "{e.filename}" Line {e.lineno}\n    {e.text}'])
    try:
        return getattr(module, fname)
    except AttributeError:
        raise _Fault('Runtime.HandlerNotFound', f"Handler '{fname}' missing on module '{modname}'")


def main():
    global _request_id
    env = os.environ
    if not env.get('AWS_LAMBDA_RUNTIME_API'):
        sys.stderr.write('bootstrap.py: AWS_LAMBDA_RUNTIME_API is not set; '
                         'fx starts this file itself\n')
        sys.exit(3)
    argv = sys.argv[:-1]
    fd = int(sys.argv[argv.index('--runtime-fd') + 1]) if '--runtime-fd' in argv else None
    api = _Client(env['AWS_LAMBDA_RUNTIME_API'], fd)
    # sys.path as Lambda's runtime has it: the task root, the layers (`--opt DIR`, Lambda's
    # /opt), the runtime's folder and the SDK it provides (`--sdk DIR`: boto3, after the
    # function's own so a bundled boto3 wins), then the standard library. fx starts Python
    # without `site` (-S): no site-packages of the host is on the path.
    here = os.path.dirname(os.path.realpath(__file__))
    head = [env.get('LAMBDA_TASK_ROOT') or os.getcwd()]
    if '--opt' in argv:
        opt = argv[argv.index('--opt') + 1]
        head += [os.path.join(opt, 'python', 'lib', 'python%d.%d' % sys.version_info[:2],
                              'site-packages'), os.path.join(opt, 'python')]
    head.append(here)
    if '--sdk' in argv:
        head.append(argv[argv.index('--sdk') + 1])
    sys.path[:] = head + [p for p in sys.path if not p or os.path.realpath(p) != here]
    if sys.flags.no_site:
        # What `site` puts in builtins (exit, quit, help), which Lambda's runtime has. Imported
        # under -S, the module adds no path.
        import site
        site.setquit()
        site.setcopyright()
        site.sethelper()
    for s in (sys.stdout, sys.stderr):
        try:  # the emulator reads lines as they come and stamps them with the request
            s.reconfigure(line_buffering=True)
        except Exception:
            pass
    if 'logging' in sys.modules:
        _setup_logging(sys.modules['logging'])
    else:
        sys.meta_path.insert(0, _LoggingHook)

    try:
        handler = _load(env.get('_HANDLER', ''))
    except Exception as e:
        err = _error(e)
        _log_error(err)
        _flush()
        import json
        try:
            api.request('POST', '/init/error', json.dumps(err).encode(),
                        'Content-Type: application/json\r\n'
                        f"Lambda-Runtime-Function-Error-Type: {err['errorType']}\r\n")
        except _Lost:
            pass
        sys.exit(1)

    import json
    # Lambda's python3.12+ runtimes stop escaping non-ASCII; earlier ones escape it.
    ver = env.get('AWS_EXECUTION_ENV', '').rpartition('python')[2].split('.')
    ascii_only = not (len(ver) == 2 and ver[0] == '3' and ver[1].isdigit() and int(ver[1]) >= 12)

    def default(o):  # Decimal, e.g. from DynamoDB, as a number like awslambdaric does
        if type(o).__name__ == 'Decimal':
            return float('nan') if o.is_nan() else json.loads(str(o))
        raise TypeError(f'Object of type {o.__class__.__name__} is not JSON serializable')
    encode = json.JSONEncoder(ensure_ascii=ascii_only, default=default).encode

    env_data, trace_key = env._data, env.encodekey('_X_AMZN_TRACE_ID')
    answer = api.request('GET', '/invocation/next')
    while True:
        status, h, body = answer
        if status != 200:
            raise _Lost(f'next: HTTP {status}')
        rid = _request_id = h.get('lambda-runtime-aws-request-id', '')
        if not _logging_ready and 'logging' in sys.modules:  # imported past the hook
            _setup_logging(sys.modules['logging'])
        # os.environ, not the C environment: glibc's setenv keeps every distinct value it was
        # ever given (a process-long leak by design), and a new trace id per invocation grew a
        # busy instance by ~150 bytes a call until memorySize killed it. X-Ray SDKs and
        # os.getenv read os.environ; a child started with the inherited environment does not
        # see the id.
        trace_id = h.get('lambda-runtime-trace-id')
        if trace_id:
            env_data[trace_key] = env.encodevalue(trace_id)
        else:
            env_data.pop(trace_key, None)
        try:
            cc = h.get('lambda-runtime-client-context')
            ci = h.get('lambda-runtime-cognito-identity')
            try:
                cc, ci = json.loads(cc) if cc else None, json.loads(ci) if ci else {}
            except ValueError as e:
                raise _Fault('Runtime.LambdaContextUnmarshalError',
                             f'Unable to parse Client Context JSON: {e}')
            ctx = LambdaContext(rid, int(h.get('lambda-runtime-deadline-ms') or 0),
                                h.get('lambda-runtime-invoked-function-arn'), cc, ci)
            try:
                event = json.loads(body)
            except ValueError as e:
                raise _Fault('Runtime.UnmarshalError', f'Unable to unmarshal input: {e}')
            result = handler(event, ctx)
            if isinstance(result, bytes):
                out, ctype = result, 'application/unknown'
            else:
                try:
                    out, ctype = encode(result).encode(), 'application/json'
                except Exception as e:
                    raise _Fault('Runtime.MarshalError', f'Unable to marshal response: {e}')
        except Exception as e:
            err = _error(e, rid)
            _log_error(err)
            _flush()
            answer = api.request('POST', f'/invocation/{rid}/error', json.dumps(err).encode(),
                                 'Content-Type: application/json\r\n'
                                 'Lambda-Runtime-Function-Error-Type: Unhandled\r\n',
                                 then_next=True)
        else:
            _flush()
            answer = api.request('POST', f'/invocation/{rid}/response', out,
                                 f'Content-Type: {ctype}\r\n', then_next=True)


def _undo_locale_coercion():
    # Where the en_US.UTF-8 locale that Lambda sets in LANG is not installed, Python coerces
    # the C locale at start-up and exports LC_CTYPE=C.UTF-8 (PEP 538). Lambda's environment
    # has no such variable, so a handler must not see it.
    if os.environ.get('LC_CTYPE') == 'C.UTF-8' and os.environ.get('LANG') == 'en_US.UTF-8':
        del os.environ['LC_CTYPE']


def run():
    _undo_locale_coercion()
    try:
        main()
    except (_Lost, OSError):
        # The emulator went away: leave without noise. A pipe that is gone would make the
        # interpreter's own final flush complain, so skip it.
        _flush()
        os._exit(3)
