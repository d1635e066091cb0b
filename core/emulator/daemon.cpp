// The daemon's life: FX_HOME and its secrets, the token, starting the emulator (run_emulator),
// finding a running one and stopping it.
#include "core/emulator/emulator_front.h"

namespace fx::emulator {

using front::Emulator;

namespace {

void write_ready(int fd, const std::string& line) {
  if (fd < 0) return;
  std::string text = line + "\n";
  [[maybe_unused]] auto n = ::write(fd, text.data(), text.size());
}

}  // namespace

namespace {

// Written whole or not at all, readable by its owner only.
void write_secret(const fs::path& path, const std::string& text) {
  std::string tmp = path.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
  ::fchmod(fd, 0600);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0)
    throw Error(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
}

// FX_HOME holds the token, every function's code and environment, every log line: its
// owner's only. One made by an older fx (0755) is closed here.
void secure_home(const fs::path& home) {
  fs::create_directories(home);
  struct stat st {};
  if (::stat(home.c_str(), &st) == 0 && st.st_uid == ::geteuid() && (st.st_mode & 077) != 0)
    ::chmod(home.c_str(), 0700);
}

// A SQLite file of the store, made (or kept) 0600 before SQLite opens it: SQLite gives its
// -wal and -shm files the database's own mode.
void private_file(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::fchmod(fd, 0600);
    ::close(fd);
  }
  for (const char* suffix : {"-wal", "-shm"}) ::chmod((path.string() + suffix).c_str(), 0600);
}

}  // namespace

std::string generate_token() {
  unsigned char bytes[16];
  std::size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error("cannot read random bytes for a token");
    got += static_cast<std::size_t>(n);
  }
  return util::to_hex(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

namespace {

// `n` characters drawn from `alphabet` (of 32 or 64: a byte's low bits pick one evenly).
std::string random_text(std::size_t n, std::string_view alphabet) {
  std::string bytes(n, '\0');
  std::size_t got = 0;
  while (got < n) {
    ssize_t r = ::getrandom(bytes.data() + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) throw Error("cannot read random bytes for the instances' credentials");
    got += static_cast<std::size_t>(r);
  }
  for (auto& c : bytes) c = alphabet[static_cast<unsigned char>(c) % alphabet.size()];
  return bytes;
}

}  // namespace

InstanceCredentials instance_credentials(const fs::path& home) {
  const fs::path path = home / "instance-credentials";
  json j = json::parse(util::read_file(path), nullptr, false);
  auto field = [&](const char* name) {
    return j.is_object() && j.contains(name) && j[name].is_string() ? j[name].get<std::string>()
                                                                    : std::string();
  };
  InstanceCredentials c{field("AccessKeyId"), field("SecretAccessKey"), field("SessionToken")};
  if (c.access_key_id.size() == 20 && c.secret_access_key.size() == 40 &&
      c.session_token.size() >= 64)
    return c;
  // Shaped as STS's: an ASIA key id of 20 (base32), a secret of 40 and a long session token
  // (base64), so SDKs and tools that check a key's shape take them.
  constexpr std::string_view kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  constexpr std::string_view kBase64 =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  c.access_key_id = "ASIA" + random_text(16, kBase32);
  c.secret_access_key = random_text(40, kBase64);
  c.session_token = "FwoGZXIvYXdzE" + random_text(243, kBase64);
  secure_home(home);
  write_secret(path, json{{"AccessKeyId", c.access_key_id},
                          {"SecretAccessKey", c.secret_access_key},
                          {"SessionToken", c.session_token}}
                             .dump() +
                         "\n");
  return c;
}

std::string local_token(const fs::path& home) {
  std::ifstream in(home / "token");
  std::string token;
  std::getline(in, token);
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  return token;
}

fs::path fx_home() {
  if (const char* home = std::getenv("FX_HOME"); home && *home) return fs::absolute(home);
  const char* user_home = std::getenv("HOME");
  return fs::path(user_home && *user_home ? user_home : "/tmp") / ".fx";
}

void run_emulator(const EmulatorOptions& given) {
  EmulatorOptions options = given;
  secure_home(options.home);
  // The emulator's token: the one given (a shared emulator), else the one it made at its
  // first start. The CLI of this machine's user reads it from FX_HOME/token.
  fs::path token_path = options.home / "token";
  if (!options.token.empty()) {
    write_secret(token_path, options.token);
    options.shared = true;
  } else {
    options.token = local_token(options.home);
    if (options.shared && options.token.size() < kMinTokenLength)
      throw Error(fmt::format("no token in {} for a shared emulator", token_path.string()),
                  "start it with `fx emulator start --token T`");
    if (options.token.size() < kMinTokenLength) {
      options.token = generate_token();
      write_secret(token_path, options.token);
    }
  }
  if (!options.shared && options.address != "127.0.0.1" && options.address != "::1" &&
      options.address != "localhost")
    throw Error(fmt::format("refusing to listen on {} without a token", options.address),
                "pass --token T (clients then set FX_TOKEN=T), or --generate-token, or listen "
                "on 127.0.0.1");
  // One emulator per FX_HOME: the lock dies with the process, so a kill -9 never leaves a
  // stale lock behind.
  fs::path lock_path = options.home / "emulator.lock";
  int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    auto running = running_emulator(options.home);
    throw Error(
        fmt::format("an emulator is already running for {}{}", options.home.string(),
                    running ? fmt::format(" (pid {}, {})", running->pid, running->url) : ""),
        "stop it with `fx emulator stop`, or set FX_HOME to use another one");
  }
  // What a crash left half-written in the code store (unpacks, uploads, merges of layers):
  // no other emulator can be using FX_HOME now that we hold its lock.
  for (const char* folder : {"code", "opt"}) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(options.home / folder, ec)) {
      std::string name = entry.path().filename().string();
      if (name.find(".tmp") != std::string::npos || name.find(".old-") != std::string::npos)
        util::remove_tree(entry.path());
    }
  }
  private_file(options.home / "state.db");
  private_file(options.home / "queues.db");
  private_file(options.home / "dynamodb.db");
  // Runtime shims are written fresh at every start so they always match this binary.
  fs::remove_all(options.home / "runtimes");
  util::extract_embedded("runtimes/", options.home / "runtimes");
  // Where a sandbox shows the SDK a runtime provides (/var/runtime/node_modules): a mount
  // needs its folder.
  for (const auto& family : runtimes::families()) {
    if (!family.provides.runtime_folder.empty())
      fs::create_directories(options.home / "runtimes" / family.name /
                             family.provides.runtime_folder);
    // And the SDK's packages installed beyond fx's list (sdk_packages.h).
    if (!runtime_sdk_extra_folder(family.provides).empty())
      fs::create_directories(options.home / "runtimes" / family.name / "sdk-extra");
  }

  ::signal(SIGPIPE, SIG_IGN);
  asio::io_context io(1);
  auto emulator = std::make_unique<Emulator>(options, io);
  std::uint16_t port = emulator->listen();
  emulator->restore();

  fs::path info_path = options.home / "emulator.json";
  json info = {{"pid", ::getpid()},
               {"url", emulator->url()},
               {"gateway_url", emulator->gateway_url()},
               {"alb_url", emulator->alb_url()},
               {"port", port},
               {"address", options.address},
               {"started", util::now_ms()}};
  write_secret(info_path, info.dump() + "\n");

  asio::signal_set stop_signals(io, SIGINT, SIGTERM);
  stop_signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
  asio::signal_set child_signals(io, SIGCHLD);
  std::function<void()> reap = [&] {
    child_signals.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      int status = 0;
      pid_t pid;
      while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0)
        emulator->pool().on_child_exit(pid, status);
      reap();
    });
  };
  reap();

  fmt::print("fx emulator {} listening on {}, HTTP gateway on {}, ALB on {} (FX_HOME {})\n",
             FX_VERSION, emulator->url(), emulator->gateway_url(), emulator->alb_url(),
             options.home.string());
  std::fflush(stdout);
  write_ready(options.ready_fd, "ready " + emulator->url());
  if (options.ready_fd >= 0) ::close(options.ready_fd);

  // Every handler answers its own errors (Emulator::route); this is the net under that net.
  // An exception that still escapes a handler is a bug, but it must not take every running
  // function and every client down with it: log it and go on serving. The request it came
  // from is answered by its responder's destructor (a 500).
  while (true) {
    try {
      io.run();
      break;
    } catch (const std::exception& e) {
      fmt::print(stderr, "fx emulator: internal error (a bug in fx), still serving: {}\n",
                 e.what());
    } catch (...) {
      fmt::print(stderr, "fx emulator: internal error (a bug in fx), still serving\n");
    }
    std::fflush(stderr);
  }

  emulator->close();
  emulator->pool().shutdown();
  fs::remove(info_path);
  emulator.reset();  // the log sink commits what is queued
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  ::close(lock_fd);
}

std::optional<EmulatorInfo> running_emulator(const fs::path& home) {
  std::ifstream in(home / "emulator.json");
  if (!in) return std::nullopt;
  json j = json::parse(in, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  EmulatorInfo info;
  info.pid = j.value("pid", 0);
  info.url = j.value("url", "");
  info.gateway_url = j.value("gateway_url", "");
  info.alb_url = j.value("alb_url", "");
  info.port = j.value("port", 0);
  info.address = j.value("address", "");
  if (info.pid <= 0 || (::kill(info.pid, 0) != 0 && errno != EPERM)) return std::nullopt;
  // The pid may have been reused: the lock tells whether an emulator really holds FX_HOME.
  int fd = ::open((home / "emulator.lock").c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0;
  ::close(fd);
  if (!held) return std::nullopt;
  return info;
}

EmulatorInfo start_emulator_daemon(const EmulatorOptions& options) {
  secure_home(options.home);
  if (auto running = running_emulator(options.home))
    throw Error(fmt::format("an emulator is already running for {} (pid {}, {})",
                            options.home.string(), running->pid, running->url),
                "stop it with `fx emulator stop`, or set FX_HOME to use another one");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error("cannot create a pipe to the emulator");
  util::SpawnOptions spawn;
  spawn.argv = {util::self_exe().string(),    "emulator", "start",         "--foreground", "--port",
                std::to_string(options.port), "--listen", options.address, "--ready-fd",   "3"};
  if (options.gateway_port >= 0) {
    spawn.argv.push_back("--gateway-port");
    spawn.argv.push_back(std::to_string(options.gateway_port));
  }
  // A given token goes to the daemon through FX_HOME/token (0600), never its command line,
  // where every user of the machine could read it with ps.
  if (!options.token.empty()) {
    secure_home(options.home);
    write_secret(options.home / "token", options.token);
    spawn.argv.push_back("--shared");
  }
  spawn.env = util::current_environment();
  spawn.env.push_back("FX_HOME=" + options.home.string());
  spawn.new_session = true;
  spawn.output_file = options.home / "emulator.log";
  spawn.pass_fd = fds[1];
  spawn.cwd = options.home;
  util::Child child;
  try {
    child = util::spawn_process(spawn);
  } catch (...) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw;
  }
  ::close(fds[1]);
  std::string answer;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) answer.append(buf, n);
  ::close(fds[0]);
  if (answer.starts_with("ready ")) {
    EmulatorInfo info;
    info.pid = child.pid;
    info.url = answer.substr(6, answer.find('\n') - 6);
    info.address = options.address;
    info.port = static_cast<std::uint16_t>(std::stoi(info.url.substr(info.url.rfind(':') + 1)));
    // emulator.json is written before "ready": it has the gateway's address too.
    if (auto written = running_emulator(options.home)) {
      info.gateway_url = written->gateway_url;
      info.alb_url = written->alb_url;
    }
    return info;
  }
  ::waitpid(child.pid, nullptr, WNOHANG);
  if (answer.starts_with("error ")) {
    std::string rest = answer.substr(6);
    if (!rest.empty() && rest.back() == '\n') rest.pop_back();
    auto tab = rest.find('\t');
    throw Error(rest.substr(0, tab), tab == std::string::npos ? "" : rest.substr(tab + 1));
  }
  throw Error("the emulator exited before it was ready",
              "see " + (options.home / "emulator.log").string());
}

bool stop_emulator(const fs::path& home) {
  auto running = running_emulator(home);
  if (!running) return false;
  ::kill(running->pid, SIGTERM);
  // Done when the process is gone, not when emulator.json is: the emulator removes that
  // first and still holds FX_HOME's lock while it commits its last log lines, and an
  // `fx emulator start` right after this returns must find the home free.
  for (int i = 0; i < 500; ++i) {  // up to 10 s
    if (::kill(running->pid, 0) != 0 && errno == ESRCH) return true;
    ::usleep(20'000);
  }
  ::kill(running->pid, SIGKILL);
  return true;
}

}  // namespace fx::emulator
