// fx runtime shim for Node.js: serves one function instance through the Lambda Runtime API.
//
// Started by the emulator as `node $LAMBDA_RUNTIME_DIR/bootstrap.js` with cwd = the task
// root. It behaves like AWS's aws-lambda-nodejs-runtime-interface-client: same handler
// resolution (.js/.mjs/.cjs, "type": "module", async or callback handlers), same context
// object, same console format and error shapes. Built-in modules only.
//
// Exit codes: 129 init error (posted to /runtime/init/error) or an uncaught exception, 128
// an unhandled promise rejection (both as Lambda's runtime does); 3 the Runtime API went
// away or refused us. A handler's own process.exit() passes through untouched.
'use strict';

const net = require('net');
const path = require('path');
const fs = require('fs');
const util = require('util');

const PREFIX = '/2018-06-01/runtime';

// _X_AMZN_TRACE_ID lives in JavaScript: setting it in the real environment calls glibc's
// setenv, which keeps every distinct value it was ever given (a leak by design), and a new
// trace id per invocation grew a busy instance by ~150 bytes a call until memorySize killed
// it. Everything else goes to the real environment (TZ and the rest keep their effects);
// child_process reads process.env, so children still get the current id.
const TRACE = '_X_AMZN_TRACE_ID';
let traceId;
process.env = new Proxy(process.env, {
  get: (t, k) => (k === TRACE ? traceId : Reflect.get(t, k)),
  set: (t, k, v) => {
    if (k !== TRACE) return Reflect.set(t, k, v);
    traceId = String(v);
    return true;
  },
  deleteProperty: (t, k) => {
    if (k !== TRACE) return Reflect.deleteProperty(t, k);
    traceId = undefined;
    return true;
  },
  has: (t, k) => (k === TRACE ? traceId !== undefined : Reflect.has(t, k)),
  ownKeys: (t) => {
    const keys = Reflect.ownKeys(t).filter((k) => k !== TRACE);
    return traceId === undefined ? keys : [...keys, TRACE];
  },
  getOwnPropertyDescriptor: (t, k) => {
    if (k !== TRACE) return Reflect.getOwnPropertyDescriptor(t, k);
    return traceId === undefined ? undefined
      : { value: traceId, writable: true, enumerable: true, configurable: true };
  },
  defineProperty: (t, k, d) => {
    if (k !== TRACE) return Reflect.defineProperty(t, k, d);
    traceId = String(d.value);
    return true;
  },
});
const env = process.env;

// ---- Runtime API client: raw HTTP/1.1 over `net`, kept alive between calls ----
// (http.request's first round trip costs ~7 ms more than this on a cold start.)

const [apiHost, apiPort] = (() => {
  const api = env.AWS_LAMBDA_RUNTIME_API || '';
  const i = api.lastIndexOf(':');
  if (i < 0) {
    process.stderr.write('bootstrap.js: AWS_LAMBDA_RUNTIME_API is not set; ' +
                         'fx starts this file itself\n');
    process.exit(3);
  }
  return [api.slice(0, i).replace(/^\[|\]$/g, ''), Number(api.slice(i + 1))];
})();

// Idle connections are unref'd, so they never keep the event loop alive: "the loop is
// empty" still means "the handler's work is done" (callbackWaitsForEmptyEventLoop).
const idle = [];

// fx's own connection to the same API (--runtime-fd N): one end of a socket pair, which no
// other process can reach, and the same HTTP without the TCP stack. Used once: if it closes,
// the TCP port serves from then on.
let runtimeFd = (() => {
  const at = process.argv.indexOf('--runtime-fd');
  return at > 0 && process.argv[at + 1] ? Number(process.argv[at + 1]) : null;
})();
let viaPair = runtimeFd !== null;  // while the socket pair is the way

function connect() {
  let s;
  if (runtimeFd !== null) {
    s = new net.Socket({ fd: runtimeFd, readable: true, writable: true });
    runtimeFd = null;
  } else {
    viaPair = false;
    s = net.connect(apiPort, apiHost);
    s.setNoDelay(true);
  }
  s.on('error', () => {});  // surfaces as 'close' to the request in flight
  s.on('close', () => { const i = idle.indexOf(s); if (i >= 0) idle.splice(i, 1); });
  return s;
}

// Parses one response from `buf`. While incomplete: null (no head yet), {need: total
// bytes} or {chunked: true}, so the caller waits without re-parsing a 6 MB body per packet.
function parseResponse(buf) {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const headers = {};
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
  }
  const status = Number(lines[0].split(' ')[1]);
  const keep = !/close/i.test(headers.connection || '');
  let body = buf.subarray(end + 4);
  let used;
  if (/chunked/i.test(headers['transfer-encoding'] || '')) {
    const parts = [];
    let at = 0;
    for (;;) {
      const eol = body.indexOf('\r\n', at);
      if (eol < 0) return { chunked: true };
      const n = parseInt(body.toString('latin1', at, eol), 16);
      if (body.length < eol + 2 + n + 2) return { chunked: true };
      if (n === 0) break;
      parts.push(body.subarray(eol + 2, eol + 2 + n));
      at = eol + 2 + n + 2;
    }
    body = Buffer.concat(parts);
    used = end + 4 + at + 5;  // the last chunk: "0\r\n\r\n"
  } else {
    const n = Number(headers['content-length'] || 0);
    if (body.length < n) return { need: end + 4 + n };
    body = body.subarray(0, n);
    used = end + 4 + n;
  }
  return { status, headers, body: body.toString('utf8'), keep, used };
}

// With thenNext, the request for the next event goes out in the same write (HTTP/1.1
// pipelining) and the promise resolves to that next event: the Runtime API wakes once per
// invocation for both.
function api(method, p, body = '', headers = {}, retried = false, thenNext = false) {
  return new Promise((resolve, reject) => {
    const reused = idle.length > 0;
    const s = reused ? idle.pop() : connect();
    s.ref();
    const chunks = [];
    let size = 0;
    let wait = null;  // what parseResponse said we lack
    let tail = '';
    let first = null;  // with thenNext: the answer to the request itself
    const settle = (err, res) => {
      s.off('data', onData);
      s.off('close', onClose);
      if (err) {
        s.destroy();
        // A kept-alive connection the server closed while idle: retry once on a new one. A
        // socket pair that closed at once: the TCP port from now on.
        if (!reused && viaPair && !size && !retried) viaPair = false;
        if ((reused || !viaPair) && !size && !retried && !first)
          api(method, p, body, headers, true, thenNext).then(resolve, reject);
        else reject(err);
      } else {
        if (res.keep) idle.push(s.unref());
        else s.destroy();
        // The server closed after answering the request: ask for the next event again.
        if (thenNext && res === first) api('GET', '/invocation/next').then(resolve, reject);
        else resolve(res);
      }
    };
    const onData = (d) => {
      if (d) {
        chunks.push(d);
        size += d.length;
        tail = (tail + d.toString('latin1', Math.max(0, d.length - 5))).slice(-5);
      }
      if (wait && (wait.need ? size < wait.need : tail !== '0\r\n\r\n')) return;
      const all = chunks.length > 1 ? Buffer.concat(chunks.splice(0)) : chunks.pop();
      chunks.push(all);
      const res = parseResponse(all);
      if (!res || !res.status) {
        wait = res;
        return;
      }
      if (!thenNext || first) return settle(null, res);
      first = res;
      if (!res.keep) return settle(null, res);  // no next answer will come on this socket
      // The first of two answers: the rest of the bytes start the next one.
      const rest = all.subarray(res.used);
      chunks.splice(0, chunks.length, ...(rest.length ? [rest] : []));
      size = rest.length;
      tail = rest.toString('latin1', Math.max(0, rest.length - 5));
      wait = null;
      if (rest.length) onData(null);
    };
    const onClose = () => settle(new Error('Runtime API connection closed'));
    s.on('data', onData);
    s.on('close', onClose);
    let head = `${method} ${PREFIX}${p} HTTP/1.1\r\nHost: ${env.AWS_LAMBDA_RUNTIME_API}\r\n`;
    for (const k in headers) head += `${k}: ${headers[k]}\r\n`;
    const nextHead = thenNext
      ? `GET ${PREFIX}/invocation/next HTTP/1.1\r\nHost: ${env.AWS_LAMBDA_RUNTIME_API}\r\n` +
        'Content-Length: 0\r\n\r\n'
      : '';
    s.write(`${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}${nextHead}`);
  });
}

function lost() {
  process.exit(3);  // the emulator went away: nothing to report to, nothing to say
}

// ---- console: `<ISO time>\t<request id>\t<LEVEL>\t<message>` as Lambda's runtime prints ----

let requestId;  // undefined until the first invocation, printed as such (as on Lambda)
const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
const minLevel = Math.max(0, LEVELS.indexOf((env.AWS_LAMBDA_LOG_LEVEL || '').toUpperCase()));
for (const [i, level] of LEVELS.entries()) {
  const stream = i >= 3 ? process.stderr : process.stdout;  // pipes are synchronous on Linux
  console[level.toLowerCase()] = i < minLevel ? () => {} : (...args) => {
    stream.write(`${new Date().toISOString()}\t${requestId}\t${level}\t${util.format(...args)}\n`);
  };
}
console.log = console.info;

// ---- errors: Lambda's Runtime.* types and its two JSON shapes (log record, API body) ----

function runtimeError(name, message) {
  // A class per type, so `name` sits on the prototype (out of the JSON) and in the stack.
  class RuntimeError extends Error {}
  RuntimeError.prototype.name = 'Runtime.' + name;
  const e = new RuntimeError(message);
  Error.captureStackTrace(e, runtimeError);
  return e;
}

const isError = (e) => util.types.isNativeError(e) ||
  (e && typeof e.name === 'string' && typeof e.message === 'string' && typeof e.stack === 'string');

// The body posted to /error, what `aws lambda invoke` shows.
function toRapidResponse(e) {
  try {
    if (isError(e))
      return { errorType: e.name, errorMessage: e.message, trace: e.stack.split('\n') };
    return { errorType: typeof e, errorMessage: String(e), trace: [] };
  } catch (_) {
    return { errorType: 'handled',
             errorMessage: 'callback called with Error argument, but there was a problem while ' +
                           'retrieving one or more of its message, name, and stack' };
  }
}

// The log record: "\t" + the error with its non-enumerable fields made visible.
function toFormatted(e) {
  const err = e instanceof Error ? e : new Error(e);
  const replace = (_k, v) => {
    if (!(v instanceof Error)) return v;
    const o = Object.assign({ errorType: v.name, errorMessage: v.message, code: v.code }, v);
    if (typeof v.stack === 'string') o.stack = v.stack.split('\n');
    return o;
  };
  try {
    return '\t' + JSON.stringify(err, replace);
  } catch (_) {
    return '\t' + JSON.stringify(toRapidResponse(err));
  }
}

// ---- loading the handler, following the official client's rules ----

function typeModule(dir, root) {
  // The nearest package.json decides whether .js is ESM; never look above the task root.
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj)) {
      try {
        return JSON.parse(fs.readFileSync(pj, 'utf8')).type === 'module';
      } catch (_) {
        return false;
      }
    }
    const up = path.dirname(dir);
    if (dir === root || up === dir || dir.endsWith('/node_modules')) return false;
    dir = up;
  }
}

// ES modules ignore NODE_PATH, so an `import` of the SDK the runtime provides, or of a layer's
// package, would fail where Lambda's runtime finds it. A resolve hook retries a bare specifier
// Node could not find from each of those node_modules folders, after the function's own (its
// copy still wins). Registered only for an ESM handler: the hook runs on a thread of its own.
let extraModulePaths = [];
let esmFallbackRegistered = false;
const ESM_FALLBACK_HOOK = `
let parents = [];
export async function initialize(data) { parents = data.parents; }
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (e) {
    if (!e || e.code !== 'ERR_MODULE_NOT_FOUND' || /^([./]|[a-z][a-z0-9+.-]*:)/i.test(specifier))
      throw e;
    for (const parentURL of parents) {
      try { return await next(specifier, { ...context, parentURL }); } catch (_) {}
    }
    throw e;
  }
}`;

function registerEsmFallback() {
  const { register } = require('module');
  if (esmFallbackRegistered || !extraModulePaths.length || typeof register !== 'function') return;
  esmFallbackRegistered = true;
  const { pathToFileURL } = require('url');
  // A parent file beside each node_modules folder resolves from that folder first.
  const parents = extraModulePaths.map(
    (p) => pathToFileURL(path.join(path.dirname(p), 'fx-esm-parent.mjs')).href);
  register('data:text/javascript,' + encodeURIComponent(ESM_FALLBACK_HOOK),
           { data: { parents } });
}

async function loadModule(root, moduleRoot, module) {
  const file = path.resolve(root, moduleRoot, module);
  const tryRequire = (f) => (fs.existsSync(f) ? require(f) : undefined);
  const tryImport = async (f) => {
    if (!fs.existsSync(f)) return undefined;
    registerEsmFallback();
    return import(require('url').pathToFileURL(f).href);
  };
  const esm = typeModule(path.dirname(file), root);
  // A handler built with a source map (TypeScript, esbuild): stack traces name its sources.
  if (process.setSourceMapsEnabled &&
      ['.js', '.mjs', '.cjs'].some((e) => fs.existsSync(file + e + '.map'))) {
    process.setSourceMapsEnabled(true);
  }
  return tryRequire(file) ||
    (!esm && tryRequire(file + '.js')) ||
    (esm && (await tryImport(file + '.js'))) ||
    (await tryImport(file + '.mjs')) ||
    tryRequire(file + '.cjs') ||
    // A package or folder (node_modules/x, x/index.js): plain Node resolution from the root.
    require(require.resolve(module, { paths: [root, path.resolve(root, moduleRoot)] }));
}

async function loadHandler(root, full) {
  if (full.includes('..'))
    throw runtimeError('MalformedHandlerName', `'${full}' is not a valid handler name. Use ` +
                       'absolute paths when specifying root directories in handler names.');
  // `dir/file.export.path`: the first dot after the last slash ends the module, as on Lambda.
  const base = path.basename(full);
  const m = /^([^.]*)\.(.*)$/.exec(base);
  if (!m) throw runtimeError('MalformedHandlerName', 'Bad handler');
  let app;
  try {
    app = await loadModule(root, full.slice(0, full.length - base.length), m[1]);
  } catch (e) {
    if (e instanceof SyntaxError) {  // keeps the original stack: it points at the line
      const err = runtimeError('UserCodeSyntaxError', String(e));
      err.stack = e.stack;
      throw err;
    }
    if (e && e.code === 'MODULE_NOT_FOUND') throw runtimeError('ImportModuleError', String(e));
    throw e;
  }
  const fn = m[2].split('.').reduce((o, k) => o && o[k], app);
  if (!fn) throw runtimeError('HandlerNotFound', `${full} is undefined or not exported`);
  if (typeof fn !== 'function') throw runtimeError('HandlerNotFound', `${full} is not a function`);
  return fn;
}

// ---- the AWS SDK for JavaScript v2 ----

// v2 (`aws-sdk`, which a function brings itself; most public projects still use it) reads no
// AWS_ENDPOINT_URL_<SERVICE> variable, which v3 and boto3 honour. When it loads, each service
// the emulator serves gets its endpoint in v2's per-service settings (AWS.config.sqs), which a
// client takes unless the function's code gives one: to the client, in AWS.config.sqs, or to
// every service in AWS.config.endpoint (what the variables are to v3 and boto3).
function endpointsForSdkV2() {
  const endpoints = {};
  for (const key of Object.keys(env)) {
    // AWS_ENDPOINT_URL_DYNAMODB_STREAMS -> dynamodbstreams, v2's name for the service.
    if (key.startsWith('AWS_ENDPOINT_URL_') && env[key])
      endpoints[key.slice(17).toLowerCase().replace(/_/g, '')] = env[key];
  }
  if (Object.keys(endpoints).length === 0) return;
  // A config object gets a getter per served service: the endpoint unless the code set one.
  const configs = new WeakSet();
  const withEndpoints = (config) => {
    if (!config || typeof config !== 'object' || configs.has(config)) return;
    configs.add(config);
    for (const [service, endpoint] of Object.entries(endpoints)) {
      let own = config[service];
      Object.defineProperty(config, service, {
        configurable: true,
        enumerable: true,
        get() {
          if (this.endpoint || (own && own.endpoint !== undefined)) return own;
          return Object.assign({}, own, { endpoint });
        },
        set(value) {
          own = value;
        },
      });
    }
  };
  const Module = require('module');
  const load = Module._load;
  const inSdk = `${path.sep}aws-sdk${path.sep}`;
  const cores = new WeakSet();
  Module._load = function (request, parent) {
    const exports = load.apply(this, arguments);
    // v2's core (aws-sdk/lib/core.js) is loaded by every entry point of the package.
    if (typeof request === 'string' && parent && typeof parent.filename === 'string' &&
        parent.filename.includes(inSdk) && exports && typeof exports === 'object' &&
        !cores.has(exports)) {
      try {
        if (typeof exports.VERSION === 'string' && exports.VERSION.startsWith('2.') &&
            exports.config && typeof exports.Service === 'function') {
          cores.add(exports);
          // v2 replaces AWS.config as it finishes loading (lib/node_loader.js), and code may
          // too: every config it holds gets the endpoints.
          let current = exports.config;
          withEndpoints(current);
          Object.defineProperty(exports, 'config', {
            configurable: true,
            enumerable: true,
            get() {
              return current;
            },
            set(value) {
              current = value;
              withEndpoints(value);
            },
          });
        }
      } catch (_) {
        // Not v2's core after all: leave it as it is.
      }
    }
    return exports;
  };
}

// ---- the invocation loop ----

let onEmptyLoop = null;  // what to do when the event loop drains mid-invocation
process.on('beforeExit', () => {
  const f = onEmptyLoop;
  onEmptyLoop = null;
  if (f) f();
});

let current;  // the latest invocation's id: uncaught errors are charged to it, as on Lambda

const errorHeaders = (type) =>
  ({ 'Content-Type': 'application/json', 'Lambda-Runtime-Function-Error-Type': type });

function fatal(label, err, code) {
  console.error(label, toFormatted(err));
  const body = toRapidResponse(err);
  const post = current
    ? api('POST', `/invocation/${encodeURIComponent(current)}/error`, JSON.stringify(body),
          errorHeaders('Unhandled'))
    : api('POST', '/init/error', JSON.stringify(body), errorHeaders(body.errorType));
  post.then(() => process.exit(code), () => process.exit(code));
}

process.on('uncaughtException', (e) => fatal('Uncaught Exception', e, 129));
process.on('unhandledRejection', (reason) => {
  const e = runtimeError('UnhandledPromiseRejection', String(reason));
  e.reason = reason;
  fatal('Unhandled Promise Rejection', e, 128);
});

function serialize(result) {
  try {
    const s = JSON.stringify(result === undefined ? null : result);
    return s === undefined ? 'null' : s;  // a function or symbol stringifies to nothing
  } catch (_) {
    return null;
  }
}

function invoke(handler, isAsync, res) {
  if (res.status !== 200) lost();
  const h = res.headers;
  const id = (requestId = current = h['lambda-runtime-aws-request-id']);
  if (h['lambda-runtime-trace-id']) env._X_AMZN_TRACE_ID = h['lambda-runtime-trace-id'];
  else delete env._X_AMZN_TRACE_ID;
  const url = `/invocation/${encodeURIComponent(id)}`;

  let finished = false;
  const finish = (err, result) => {
    if (finished) {
      console.error('Invocation has already been reported as done. ' +
                    'Cannot call complete more than once per invocation.');
      return;
    }
    finished = true;
    onEmptyLoop = null;
    let body;
    if (err == null && (body = serialize(result)) === null)
      err = runtimeError('JSONStringifyError', 'Unable to stringify response body');
    let post;
    if (err == null) {
      post = api('POST', `${url}/response`, body, { 'Content-Type': 'application/json' }, false,
                 true);
    } else {
      console.error('Invoke Error', toFormatted(err));
      post = api('POST', `${url}/error`, JSON.stringify(toRapidResponse(err)),
                 errorHeaders('Unhandled'), false, true);
    }
    post.then((nextEvent) => invoke(handler, isAsync, nextEvent), lost);
  };

  let waits = true;
  let called = false;  // each of callback / succeed / fail / done counts once
  const once = (f) => (...a) => { if (!called) { called = true; f(...a); } };
  const callback = once((err, result) => {
    if (err != null || !waits) finish(err, result);
    else onEmptyLoop = () => setImmediate(() => finish(null, result));
  });
  const deadline = Number(h['lambda-runtime-deadline-ms']);
  const parse = (v, name) => {
    if (v === undefined) return undefined;
    try {
      return JSON.parse(v);
    } catch (e) {
      throw new Error(`Cannot parse ${name} as json: ${e}`);
    }
  };
  const done = once(finish);

  // Neither returned a promise nor called back once the loop drains: an async handler
  // failed to settle (Runtime.NodeJsExit); a sync one means "null", as on Lambda.
  onEmptyLoop = () => (isAsync
    ? finish(runtimeError('NodeJsExit', 'Error: Runtime exited without providing a reason'))
    : finish(null, null));

  try {
    const context = {
      get callbackWaitsForEmptyEventLoop() { return waits; },
      set callbackWaitsForEmptyEventLoop(v) { waits = v; },
      succeed: (r) => done(null, r),
      fail: (e) => done(e == null ? 'handled' : e, null),
      done,
      functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
      functionName: env.AWS_LAMBDA_FUNCTION_NAME,
      memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
      clientContext: parse(h['lambda-runtime-client-context'], 'ClientContext'),
      identity: parse(h['lambda-runtime-cognito-identity'], 'CognitoIdentity'),
      invokedFunctionArn: h['lambda-runtime-invoked-function-arn'],
      awsRequestId: id,
      getRemainingTimeInMillis: () => deadline - Date.now(),
    };
    const result = handler(JSON.parse(res.body), context, callback);
    if (result && typeof result.then === 'function')
      result.then(context.succeed, context.fail);
  } catch (e) {
    callback(e);
  }
}

let next;  // set once the handler is loaded

(async () => {
  // `awslambda.streamifyResponse` must exist for modules that wrap their handler at load.
  globalThis.awslambda = {
    streamifyResponse: () => () => {
      throw new Error('fx does not support response streaming handlers yet');
    },
  };
  let handler;
  try {
    // Layers (`--opt DIR`, Lambda's /opt) and the SDK the runtime provides (`--sdk DIR`,
    // Lambda's /var/runtime/node_modules) resolve as NODE_PATH makes them on Lambda: after the
    // function's own node_modules, so its own copy wins. NODE_PATH stays out of the function's
    // environment.
    const argument = (name) => {
      const at = process.argv.indexOf(name);
      return at > 0 ? process.argv[at + 1] : undefined;
    };
    const opt = argument('--opt');
    const sdk = argument('--sdk');
    // The SDK's packages fx installed beyond its list, when a deployed function imported one.
    const sdkExtra = argument('--sdk-extra');
    const major = process.versions.node.split('.')[0];
    const paths = [...(opt ? [path.join(opt, 'nodejs', `node${major}`, 'node_modules'),
                              path.join(opt, 'nodejs', 'node_modules')] : []),
                   ...(sdk ? [sdk] : []), ...(sdkExtra ? [sdkExtra] : [])];
    extraModulePaths = paths;
    if (paths.length) {
      // Module._initPaths reads NODE_PATH once into the loader's own list; the variable is
      // removed again so the handler's environment stays exactly Lambda's list.
      const saved = env.NODE_PATH;
      env.NODE_PATH = [...paths, saved].filter(Boolean).join(':');
      require('module')._initPaths();
      if (saved === undefined) delete env.NODE_PATH; else env.NODE_PATH = saved;
    }
    endpointsForSdkV2();
    handler = await loadHandler(env.LAMBDA_TASK_ROOT || process.cwd(), env._HANDLER || '');
  } catch (e) {
    return fatal('Uncaught Exception', e, 129);
  }
  const isAsync = handler.constructor && handler.constructor.name === 'AsyncFunction';
  next = () => {
    api('GET', '/invocation/next').then((res) => invoke(handler, isAsync, res), lost);
  };
  next();
})();
