# fx runtime shim for Ruby: serves one function instance through the Lambda Runtime API.
#
# Started by the emulator as `ruby $LAMBDA_RUNTIME_DIR/bootstrap.rb` with cwd = the task
# root. It behaves like AWS's aws_lambda_ric, the runtime interface client of Lambda's Ruby
# runtimes: the handler is `file.method` or `file.Module::Class.method`, called with the
# keyword arguments event: and context:; its result goes back as `to_json` (a StringIO or IO
# as raw bytes); json, logger and stringio are loaded for it; Logger.new($stdout) stamps the
# request id; errors have Lambda's shape {errorMessage, errorType: "Function<Class>",
# stackTrace}. Standard library only.
#
# Exit codes, as aws_lambda_ric's: 252 an init error (posted to /runtime/init/error), 255
# after a critical error of the handler (NoMethodError, NameError, or an Exception that is
# not a StandardError: the instance is not used again); 3 the Runtime API went away.

require 'json'
require 'logger'
require 'stringio'

$stdout.sync = true # the emulator reads lines as they come and stamps them with the request
$stderr.sync = true

# The context object, as aws_lambda_ric builds it from the invocation's headers.
class LambdaContext
  attr_reader :aws_request_id, :invoked_function_arn, :log_group_name,
              :log_stream_name, :function_name, :memory_limit_in_mb, :function_version,
              :identity, :client_context, :deadline_ms

  def initialize(headers)
    @clock_diff = Process.clock_gettime(Process::CLOCK_REALTIME, :millisecond) -
                  Process.clock_gettime(Process::CLOCK_MONOTONIC, :millisecond)
    @deadline_ms = headers['lambda-runtime-deadline-ms'].to_i
    @aws_request_id = headers['lambda-runtime-aws-request-id']
    @invoked_function_arn = headers['lambda-runtime-invoked-function-arn']
    @log_group_name = ENV['AWS_LAMBDA_LOG_GROUP_NAME']
    @log_stream_name = ENV['AWS_LAMBDA_LOG_STREAM_NAME']
    @function_name = ENV['AWS_LAMBDA_FUNCTION_NAME']
    @memory_limit_in_mb = ENV['AWS_LAMBDA_FUNCTION_MEMORY_SIZE']
    @function_version = ENV['AWS_LAMBDA_FUNCTION_VERSION']
    identity = headers['lambda-runtime-cognito-identity'].to_s
    @identity = JSON.parse(identity) unless identity.empty?
    client_context = headers['lambda-runtime-client-context'].to_s
    @client_context = JSON.parse(client_context) unless client_context.empty?
  end

  def get_remaining_time_in_millis
    now = Process.clock_gettime(Process::CLOCK_MONOTONIC, :millisecond) + @clock_diff
    remaining = @deadline_ms - now
    remaining.positive? ? remaining : 0
  end
end

module FxRuntime
  API = '/2018-06-01/runtime'
  SELF = File.expand_path(__FILE__)

  # The Runtime API closed or answered something we cannot go on from.
  class Lost < StandardError; end

  # One keep-alive HTTP/1.1 connection to the Runtime API.
  class Client
    def initialize(hostport, fd)
      @host = hostport
      # fx's own connection to the same API (--runtime-fd N): one end of a socket pair,
      # which no other process can reach. Used once: if it closes, the TCP port from then on.
      @fd = fd
      @sock = nil
      @buf = ''.b
    end

    def close
      @sock&.close
    rescue IOError, SystemCallError
      nil
    ensure
      @sock = nil
    end

    # [status, {lower-case header => value}, body]. With then_next, the request for the next
    # event goes out in the same write (HTTP/1.1 pipelining), and the answer returned is that
    # next event: one wake-up of the Runtime API instead of two.
    def request(method, path, body = '', headers = {}, then_next: false)
      body = body.b
      head = head(method, path, body, headers)
      tail = then_next ? head('GET', '/invocation/next', '', {}) : ''
      answer = loop do
        reused = !@sock.nil?
        @got = false
        begin
          connect unless reused
          @sock.write(head, body, tail)
          break response
        rescue SystemCallError, IOError, Lost
          close
          # A kept-alive connection the server dropped before answering: retry once.
          raise Lost, "#{method} #{path} failed" if !reused || @got
        end
      end
      return answer unless then_next
      return request('GET', '/invocation/next') if @sock.nil? # it closed after its answer

      response
    end

    private

    def connect
      @buf = ''.b
      if @fd
        fd = @fd
        @fd = nil
        begin
          @sock = IO.for_fd(fd, 'r+b', autoclose: true)
          @sock.sync = true
          return
        rescue SystemCallError, ArgumentError
          @sock = nil
        end
      end
      require 'socket' # only for the TCP port: a custom setup, not fx's usual path
      host, _, port = @host.rpartition(':')
      host = host.delete('[]')
      @sock = TCPSocket.new(host.empty? ? '127.0.0.1' : host, Integer(port))
      @sock.setsockopt(Socket::IPPROTO_TCP, Socket::TCP_NODELAY, 1)
      @sock.sync = true
    end

    def head(method, path, body, headers)
      extra = headers.map { |k, v| "#{k}: #{v}\r\n" }.join
      ("#{method} #{API}#{path} HTTP/1.1\r\nHost: #{@host}\r\n#{extra}" \
       "Content-Length: #{body.bytesize}\r\n\r\n").b
    end

    def recv(want = 65_536)
      @buf << @sock.readpartial(want.clamp(65_536, 1 << 23))
      @got = true
    rescue EOFError
      raise Lost, 'connection closed'
    end

    def take(count)
      taken = @buf.byteslice(0, count)
      @buf = @buf.byteslice(count, @buf.bytesize - count)
      taken
    end

    def response
      recv until (stop = @buf.index("\r\n\r\n"))
      lines = take(stop + 4).split("\r\n")
      status = lines[0].split(' ', 3)[1].to_i
      headers = {}
      lines[1..].each do |line|
        name, value = line.split(':', 2)
        headers[name.downcase] = value.to_s.strip
      end
      body = if headers['transfer-encoding'].to_s.downcase.include?('chunked')
               chunked_body
             elsif headers.key?('content-length')
               count = headers['content-length'].to_i
               recv(count - @buf.bytesize) while @buf.bytesize < count
               take(count)
             elsif [204, 304].include?(status) || status < 200
               ''.b
             else # delimited by close
               begin
                 loop { recv }
               rescue Lost
                 nil
               end
               headers['connection'] = 'close'
               take(@buf.bytesize)
             end
      close if headers['connection'].to_s.downcase == 'close'
      [status, headers, body]
    end

    def chunked_body
      body = ''.b
      loop do
        recv until (eol = @buf.index("\r\n"))
        size = @buf.byteslice(0, eol).split(';')[0].to_i(16)
        recv(eol + 4 + size - @buf.bytesize) while @buf.bytesize < eol + 4 + size
        body << take(eol + 4 + size).byteslice(eol + 2, size)
        return body if size.zero? # no trailers from the Runtime API
      end
    end
  end

  # Logger.new($stdout) and Logger.new($stderr) write as on Lambda, with the request id.
  class LogFormatter < Logger::Formatter
    FORMAT = '%<sev>s, [%<datetime>s #%<process>d] %<severity>5s %<request_id>s -- ' \
             '%<progname>s: %<msg>s'

    def call(severity, time, progname, msg)
      line = format(FORMAT, sev: severity[0..0], datetime: format_datetime(time), process: $$,
                            severity: severity, request_id: $_global_aws_request_id,
                            progname: progname, msg: msg2str(msg))
      "#{line.encode('UTF-8', invalid: :replace, undef: :replace, replace: "\uFFFD")}\n"
    end
  end

  module LoggerPatch
    def initialize(logdev, *args, **options)
      super
      @default_formatter = LogFormatter.new if logdev.nil? || logdev == $stdout || logdev == $stderr
    end
  end

  # _X_AMZN_TRACE_ID lives in Ruby: ENV[]= calls glibc's setenv, which keeps every distinct
  # value it was ever given (a leak by design), and a new trace id per invocation would grow a
  # busy instance call after call. What reads ENV sees it; a child process does not.
  module TraceEnv
    KEY = '_X_AMZN_TRACE_ID'
    class << self
      attr_accessor :value
    end

    def [](name)
      name == KEY ? TraceEnv.value : super
    end

    def fetch(name, *default, &block)
      return super unless name == KEY
      return TraceEnv.value unless TraceEnv.value.nil?
      return yield(name) if block
      return default[0] unless default.empty?

      raise KeyError.new("key not found: #{name.inspect}", receiver: self, key: name)
    end

    def []=(name, value)
      return super unless name == KEY

      TraceEnv.value = value&.to_s
    end
    alias store []=

    def delete(name, &block)
      return super unless name == KEY

      old = TraceEnv.value
      TraceEnv.value = nil
      old.nil? && block ? yield(name) : old
    end

    %i[key? has_key? include? member?].each do |query|
      define_method(query) { |name| name == KEY ? !TraceEnv.value.nil? : super(name) }
    end

    def to_h(&block)
      hash = super()
      hash[KEY] = TraceEnv.value unless TraceEnv.value.nil?
      block ? hash.to_h(&block) : hash
    end

    def to_hash
      to_h
    end
  end

  # Exceptions Lambda names in the Lambda-Runtime-Function-Error-Type header; any other is
  # reported there as Function<UserException> (the body keeps its class).
  NAMED = %w[ArgumentError NoMethodError Exception StandardError NameError LoadError SystemExit
             SystemStackError].freeze

  def self.error_type(exc, classification)
    "#{classification}<#{exc.class}>"
  end

  def self.header_type(exc, classification)
    NAMED.include?(exc.class.to_s) ? error_type(exc, classification) : 'Function<UserException>'
  end

  # Lambda's stackTrace: the frames above the runtime's own (all of them when the error
  # arose in the runtime, as a failed require at init does).
  def self.stack_trace(exc)
    frames = (exc.backtrace_locations || exc.backtrace || []).first(100).map { |f| utf8(f.to_s) }
    user = frames.take_while { |f| !f.start_with?("#{SELF}:") }
    user.empty? ? frames : user
  end

  # What a message may hold need not be UTF-8: replace what is not rather than fail on it.
  def self.utf8(text)
    text.dup.force_encoding(Encoding::UTF_8).scrub("\uFFFD")
  end

  def self.error_body(exc, classification)
    { errorMessage: utf8(exc.message.to_s), errorType: error_type(exc, classification),
      stackTrace: stack_trace(exc) }
  end

  def self.log_error(message, body)
    $stdout.puts(message)
    $stdout.puts(JSON.pretty_generate(body))
  end

  # The handler as Lambda splits it: FILE.METHOD or FILE.CLASS.METHOD.
  def self.load_handler(spec)
    parts = spec.split('.')
    unless [2, 3].include?(parts.size)
      raise ArgumentError, "Invalid handler #{parts}, must be of form FILENAME.METHOD or " \
                           'FILENAME.CLASS.METHOD where FILENAME corresponds with an existing ' \
                           'Ruby source file FILENAME.rb, CLASS is an optional module/class ' \
                           'namespace and METHOD is a callable method. If using CLASS, METHOD ' \
                           'must be a class-level method.'
    end
    require parts[0]
    parts.size == 3 ? [parts[1], parts[2]] : [nil, parts[1]]
  end

  # The task root and the layers (`--opt DIR`, Lambda's /opt) on the load path, and their
  # gems beside the interpreter's, where Lambda's Ruby runtime has them: the bundle's
  # vendor/bundle/ruby/X.Y.0 and the layers' ruby/gems/X.Y.0 and ruby/lib.
  def self.setup_paths(task_root, opt)
    $LOAD_PATH.unshift(task_root) unless $LOAD_PATH.include?(task_root)
    api_version = RbConfig::CONFIG['ruby_version']
    gems = [File.join(task_root, 'vendor', 'bundle', 'ruby', api_version)]
    if opt
      $LOAD_PATH.insert($LOAD_PATH.index(task_root) + 1, File.join(opt, 'ruby', 'lib'))
      gems << File.join(opt, 'ruby', 'gems', api_version)
    end
    gems.select! { |dir| File.directory?(dir) }
    return if gems.empty? || !defined?(Gem)

    Gem.paths = { 'GEM_HOME' => Gem.dir,
                  'GEM_PATH' => (gems + Gem.path).uniq.join(File::PATH_SEPARATOR) }
  end

  def self.post_init_error(api, exc, handler)
    body = error_body(exc, 'Init')
    log_error("Init error when loading handler #{handler}", body)
    api.request('POST', '/init/error', JSON.generate(body),
                { 'Content-Type' => 'application/json',
                  'Lambda-Runtime-Function-Error-Type' => header_type(exc, 'Init') })
  rescue Lost, SystemCallError, IOError
    nil
  end

  def self.main
    address = ENV['AWS_LAMBDA_RUNTIME_API'].to_s
    if address.empty?
      warn 'bootstrap.rb: AWS_LAMBDA_RUNTIME_API is not set; fx starts this file itself'
      exit 3
    end
    args = ARGV.dup
    ARGV.clear
    fd = (at = args.index('--runtime-fd')) && args[at + 1] ? Integer(args[at + 1]) : nil
    opt = (at = args.index('--opt')) && args[at + 1]
    api = Client.new(address, fd)
    Encoding.default_external = Encoding::UTF_8 # Lambda's locale, installed here or not
    Logger.prepend(LoggerPatch)
    ENV.singleton_class.prepend(TraceEnv)
    handler = ENV['_HANDLER'].to_s
    setup_paths(ENV['LAMBDA_TASK_ROOT'] || Dir.pwd, opt)
    begin
      class_name, method = load_handler(handler)
    rescue Exception => e # a LoadError, a SyntaxError, whatever the file raised
      post_init_error(api, e, handler)
      exit(252) # aws_lambda_ric's exit(-4)
    end

    answer = api.request('GET', '/invocation/next')
    loop do
      status, headers, body = answer
      raise Lost, "next: HTTP #{status}" unless status == 200

      request_id = headers['lambda-runtime-aws-request-id'].to_s
      $_global_aws_request_id = request_id
      ENV['_X_AMZN_TRACE_ID'] = headers['lambda-runtime-trace-id']
      url = "/invocation/#{request_id}"
      out, type, error, critical = invoke(class_name, method, headers, body)
      if error.nil?
        answer = api.request('POST', "#{url}/response", out, { 'Content-Type' => type },
                             then_next: true)
        next
      end
      err = error_body(error, 'Function')
      log_error(critical ? 'Critical exception from handler' : 'Error raised from handler method',
                err)
      error_headers = { 'Content-Type' => 'application/json',
                        'Lambda-Runtime-Function-Error-Type' => header_type(error, 'Function') }
      unless critical
        answer = api.request('POST', "#{url}/error", JSON.generate(err), error_headers,
                             then_next: true)
        next
      end
      api.request('POST', "#{url}/error", JSON.generate(err), error_headers)
      exit(255) # aws_lambda_ric's exit(-1): a critical error ends the instance
    end
  end

  # One invocation: [body, content type] of its answer, or [nil, nil, the error, whether it
  # is critical], as aws_lambda_ric sorts errors.
  def self.invoke(class_name, method, headers, body)
    context = LambdaContext.new(headers)
    event = headers['content-type'] == 'application/json' ? JSON.parse(body) : body
    target = class_name ? Kernel.const_get(class_name) : TOPLEVEL_BINDING.receiver
    result = target.__send__(method, event: event, context: context)
    case result
    when StringIO, IO then [result.read.to_s, 'application/unknown']
    else [result.to_json, 'application/json']
    end
  rescue NameError => e # NoMethodError too: the handler is missing, or its code is broken
    [nil, nil, e, true]
  rescue StandardError => e
    [nil, nil, e, false]
  rescue Exception => e # SystemExit, NoMemoryError, ...
    [nil, nil, e, true]
  end

  def self.run
    main
  rescue Lost, SystemCallError, IOError
    # The emulator went away: leave without noise.
    begin
      $stdout.flush
      $stderr.flush
    rescue StandardError
      nil
    end
    exit!(3)
  end
end

FxRuntime.run
