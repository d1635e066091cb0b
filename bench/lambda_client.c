/* lambda_client: a tight Lambda Invoke API client for fx's benchmarks.
 *
 * One TCP connection to 127.0.0.1:PORT, kept alive for every request, HTTP/1.1 written and
 * parsed by hand (no library), latency taken with CLOCK_MONOTONIC around each request. It
 * prints one line per timed call to stdout:
 *
 *     latency_us <TAB> http_status <TAB> request_id <TAB> duration_ms <TAB> init_ms <TAB> floor_us
 *     <TAB> floor_cpu_us <TAB> instance_cpu_us
 *
 * duration_ms / init_ms come from the REPORT line in X-Amz-Log-Result when --tail is given
 * ("-" when absent). Warm-up calls are not printed.
 *
 *   lambda_client PORT FUNCTION [--n N] [--warmup W] [--data JSON] [--tail]
 *                 [--cold]          before each timed call, PUT .../configuration with a new
 *                                   Environment on the same connection (retires instances),
 *                                   untimed; the next invoke is then a cold start
 *                 [--pause-ms MS]   with --cold: wait MS after the update, before the call
 *                 [--floor-cwd DIR] [-- CMD ARG...]
 *                                   with --cold: before each cold call, also run CMD (in DIR)
 *                                   and time it from spawn to exit (floor_us), so that the cold
 *                                   start and its floor (e.g. python3 -c "import handler") are
 *                                   measured side by side under the same machine load;
 *                                   floor_cpu_us is its user+system CPU time
 *                 [--instances-of PID]
 *                                   with --cold: after each cold call, instance_cpu_us = the CPU
 *                                   time (/proc/N/schedstat) of PID's youngest child, i.e. the
 *                                   instance that just started: its whole init plus the call
 *                 [--baseline]      ignore PORT: serve a canned 200 from a thread in this
 *                                   process and time that (the client + loopback floor)
 *
 * Build: cc -O2 -o lambda_client lambda_client.c -lpthread   (bench/run.sh does it)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <spawn.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void die(const char *what) {
  perror(what);
  exit(1);
}

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_port = htons((unsigned short)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) die("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static void send_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      die("send");
    }
    p += w;
    n -= (size_t)w;
  }
}

/* ---- response reading: a growable buffer that keeps bytes past the current response ---- */

typedef struct {
  char *data;
  size_t len, cap;
} Buf;

static void buf_fill(Buf *b, int fd) {
  if (b->cap - b->len < 65536) {
    b->cap = b->cap * 2 + 65536;
    b->data = realloc(b->data, b->cap + 1);
    if (!b->data) die("realloc");
  }
  ssize_t r;
  do r = recv(fd, b->data + b->len, b->cap - b->len, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0) die("recv");
  if (r == 0) {
    fprintf(stderr, "lambda_client: server closed the connection\n");
    exit(1);
  }
  b->len += (size_t)r;
  b->data[b->len] = 0;
}

static void buf_consume(Buf *b, size_t n) {
  memmove(b->data, b->data + n, b->len - n);
  b->len -= n;
  b->data[b->len] = 0;
}

typedef struct {
  int status;
  char request_id[128];   /* x-amzn-RequestId, "-" when absent */
  char log_result[16384]; /* X-Amz-Log-Result, base64 */
} Response;

/* Finds header NAME (case-insensitive) in head[0..n); copies its value into out. */
static int header_value(const char *head, size_t n, const char *name, char *out, size_t outsz) {
  size_t nl = strlen(name);
  const char *p = head, *end = head + n;
  while (p < end) {
    const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
    if (!eol) eol = end;
    if ((size_t)(eol - p) > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
      const char *v = p + nl + 1;
      while (v < eol && (*v == ' ' || *v == '\t')) v++;
      size_t vl = (size_t)(eol - v);
      if (vl >= outsz) vl = outsz - 1;
      memcpy(out, v, vl);
      out[vl] = 0;
      return 1;
    }
    p = eol + 2;
  }
  return 0;
}

static void read_response(int fd, Buf *b, Response *res) {
  char *hend;
  while (!(b->len && (hend = memmem(b->data, b->len, "\r\n\r\n", 4)))) buf_fill(b, fd);
  size_t head_len = (size_t)(hend - b->data) + 4;
  res->status = atoi(b->data + 9);
  res->log_result[0] = 0;
  if (!header_value(b->data, head_len, "x-amzn-RequestId", res->request_id, sizeof res->request_id))
    strcpy(res->request_id, "-");
  header_value(b->data, head_len, "X-Amz-Log-Result", res->log_result, sizeof res->log_result);
  char val[64];
  if (header_value(b->data, head_len, "Content-Length", val, sizeof val)) {
    size_t need = head_len + (size_t)strtoull(val, NULL, 10);
    while (b->len < need) buf_fill(b, fd);
    buf_consume(b, need);
  } else if (header_value(b->data, head_len, "Transfer-Encoding", val, sizeof val) &&
             strcasestr(val, "chunked")) {
    size_t pos = head_len;
    for (;;) {
      char *eol;
      while (!(eol = memmem(b->data + pos, b->len - pos, "\r\n", 2))) buf_fill(b, fd);
      size_t size = strtoull(b->data + pos, NULL, 16);
      size_t next = (size_t)(eol - b->data) + 2 + size + 2;
      while (b->len < next) buf_fill(b, fd);
      pos = next;
      if (size == 0) break;
    }
    buf_consume(b, pos);
  } else if (res->status == 204 || res->status == 304 || res->status < 200) {
    buf_consume(b, head_len);
  } else {
    fprintf(stderr, "lambda_client: response without length (status %d)\n", res->status);
    exit(1);
  }
}

/* ---- REPORT parsing ---- */

static size_t b64_decode(const char *in, char *out, size_t outsz) {
  static signed char t[256];
  static int ready = 0;
  if (!ready) {
    memset(t, -1, sizeof t);
    const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; i++) t[(unsigned char)a[i]] = (signed char)i;
    ready = 1;
  }
  size_t n = 0;
  unsigned acc = 0;
  int bits = 0;
  for (; *in && *in != '='; in++) {
    int v = t[(unsigned char)*in];
    if (v < 0) continue;
    acc = (acc << 6) | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n + 1 < outsz) out[n++] = (char)((acc >> bits) & 0xff);
    }
  }
  out[n] = 0;
  return n;
}

static void report_fields(const char *b64, char *dur, char *init) {
  strcpy(dur, "-");
  strcpy(init, "-");
  if (!*b64) return;
  static char log[16384];
  b64_decode(b64, log, sizeof log);
  const char *rep = NULL, *p = log;
  while ((p = strstr(p, "REPORT RequestId:"))) rep = p++;
  if (!rep) return;
  const char *d = strstr(rep, "\tDuration: ");
  if (d) sscanf(d + 11, "%31[0-9.]", dur);
  const char *i = strstr(rep, "Init Duration: ");
  if (i) sscanf(i + 15, "%31[0-9.]", init);
}

/* ---- in-process trivial server for --baseline ---- */

static int baseline_listen_fd;

static void *baseline_server(void *arg) {
  (void)arg;
  int fd = accept(baseline_listen_fd, NULL, NULL);
  if (fd < 0) die("accept");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  static const char reply[] =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Amz-Executed-Version: $LATEST\r\n"
      "Content-Length: 2\r\n\r\n{}";
  Buf b = {0};
  for (;;) {
    char *hend;
    while (!(b.len && (hend = memmem(b.data, b.len, "\r\n\r\n", 4)))) {
      if (b.cap - b.len < 65536) {
        b.cap = b.cap * 2 + 65536;
        b.data = realloc(b.data, b.cap + 1);
      }
      ssize_t r = recv(fd, b.data + b.len, b.cap - b.len, 0);
      if (r <= 0) return NULL;
      b.len += (size_t)r;
      b.data[b.len] = 0;
    }
    size_t head_len = (size_t)(hend - b.data) + 4;
    char val[64] = "0";
    header_value(b.data, head_len, "Content-Length", val, sizeof val);
    size_t need = head_len + (size_t)strtoull(val, NULL, 10);
    while (b.len < need) {
      ssize_t r = recv(fd, b.data + b.len, b.cap - b.len, 0);
      if (r <= 0) return NULL;
      b.len += (size_t)r;
    }
    buf_consume(&b, need);
    send_all(fd, reply, sizeof reply - 1);
  }
}

static int start_baseline(void) {
  baseline_listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(baseline_listen_fd, (struct sockaddr *)&sa, sizeof sa) != 0) die("bind");
  if (listen(baseline_listen_fd, 4) != 0) die("listen");
  socklen_t sl = sizeof sa;
  getsockname(baseline_listen_fd, (struct sockaddr *)&sa, &sl);
  pthread_t th;
  pthread_create(&th, NULL, baseline_server, NULL);
  pthread_detach(th);
  return ntohs(sa.sin_port);
}

/* The youngest child of pid (by start time), or 0. */
static long youngest_child(long pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%ld/task", pid);
  DIR *d = opendir(path);
  if (!d) return 0;
  long best = 0;
  unsigned long long best_start = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char cpath[320];
    snprintf(cpath, sizeof cpath, "/proc/%ld/task/%s/children", pid, e->d_name);
    FILE *f = fopen(cpath, "r");
    if (!f) continue;
    long child;
    while (fscanf(f, "%ld", &child) == 1) {
      char spath[64], buf[1024];
      snprintf(spath, sizeof spath, "/proc/%ld/stat", child);
      FILE *sf = fopen(spath, "r");
      if (!sf) continue;
      size_t len = fread(buf, 1, sizeof buf - 1, sf);
      fclose(sf);
      buf[len] = 0;
      char *p = strrchr(buf, ')');
      if (!p) continue;
      /* after ") " come fields 3..; starttime is field 22 */
      unsigned long long start = 0;
      int field = 3;
      for (p += 2; *p && field < 22; p++)
        if (*p == ' ') field++;
      start = strtoull(p, NULL, 10);
      if (start >= best_start) best_start = start, best = child;
    }
    fclose(f);
  }
  closedir(d);
  return best;
}

static double schedstat_cpu_us(long pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%ld/schedstat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  unsigned long long ns = 0;
  int ok = fscanf(f, "%llu", &ns) == 1;
  fclose(f);
  return ok ? (double)ns / 1000.0 : -1;
}

/* Runs argv in cwd and returns its wall time in microseconds (spawn to exit); its CPU time
 * (user + system) goes to *cpu_us. */
static double run_floor(char **cmd, const char *cwd, double *cpu_us) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (cwd) posix_spawn_file_actions_addchdir_np(&fa, cwd);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  long long t0 = now_ns();
  pid_t pid;
  int rc = posix_spawnp(&pid, cmd[0], &fa, NULL, cmd, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    errno = rc;
    die("posix_spawnp (floor command)");
  }
  int status;
  struct rusage ru;
  while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {}
  long long t1 = now_ns();
  *cpu_us = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "lambda_client: the floor command failed\n");
    exit(1);
  }
  return (double)(t1 - t0) / 1000.0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr,
            "usage: %s PORT FUNCTION [--n N] [--warmup W] [--data JSON] [--tail] [--baseline]\n"
            "       [--cold [--pause-ms MS] [--instances-of PID] [--floor-cwd DIR] [-- CMD ARG...]]\n",
            argv[0]);
    return 2;
  }
  int port = atoi(argv[1]);
  const char *fn = argv[2];
  int n = 2000, warmup = 50, tail = 0, cold = 0, baseline = 0, pause_ms = 0;
  const char *data = "{}", *floor_cwd = NULL;
  char **floor_cmd = NULL;
  long instances_of = 0;
  for (int i = 3; i < argc; i++) {
    if (!strcmp(argv[i], "--n") && i + 1 < argc) n = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--warmup") && i + 1 < argc) warmup = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--data") && i + 1 < argc) data = argv[++i];
    else if (!strcmp(argv[i], "--tail")) tail = 1;
    else if (!strcmp(argv[i], "--cold")) cold = 1;
    else if (!strcmp(argv[i], "--baseline")) baseline = 1;
    else if (!strcmp(argv[i], "--pause-ms") && i + 1 < argc) pause_ms = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--floor-cwd") && i + 1 < argc) floor_cwd = argv[++i];
    else if (!strcmp(argv[i], "--instances-of") && i + 1 < argc) instances_of = atol(argv[++i]);
    else if (!strcmp(argv[i], "--") && i + 1 < argc) {
      floor_cmd = argv + i + 1;
      break;
    }
    else {
      fprintf(stderr, "lambda_client: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  if (baseline) port = start_baseline();
  int fd = connect_to(port);

  static char req[65536], cfg[4096], cfg_body[512], auth[512];
  /* fx's emulator takes a call with its token (or an AWS signature); others ignore it. */
  const char *auth_value = getenv("FXBENCH_AUTHORIZATION");
  auth[0] = '\0';
  if (auth_value && *auth_value) snprintf(auth, sizeof auth, "Authorization: %s\r\n", auth_value);
  int req_len = snprintf(req, sizeof req,
                         "POST /2015-03-31/functions/%s/invocations HTTP/1.1\r\n"
                         "Host: 127.0.0.1:%d\r\n%s%s"
                         "Content-Length: %zu\r\n\r\n%s",
                         fn, port, auth, tail ? "X-Amz-Log-Type: Tail\r\n" : "", strlen(data), data);
  if (req_len <= 0 || (size_t)req_len >= sizeof req) {
    fprintf(stderr, "lambda_client: payload too large\n");
    return 2;
  }

  Buf b = {0};
  Response res;
  char dur[32], init[32];
  for (int i = 0; i < warmup + n; i++) {
    double floor_us = -1, floor_cpu_us = -1, inst_cpu_us = -1;
    if (cold) {
      int bl = snprintf(cfg_body, sizeof cfg_body,
                        "{\"Environment\":{\"Variables\":{\"FXBENCH_COLD\":\"%d-%lld\"}}}", i, now_ns());
      int cl = snprintf(cfg, sizeof cfg,
                        "PUT /2015-03-31/functions/%s/configuration HTTP/1.1\r\n"
                        "Host: 127.0.0.1:%d\r\nContent-Type: application/json\r\n%s"
                        "Content-Length: %d\r\n\r\n%s",
                        fn, port, auth, bl, cfg_body);
      send_all(fd, cfg, (size_t)cl);
      read_response(fd, &b, &res);
      if (res.status != 200) {
        fprintf(stderr, "lambda_client: configuration update answered %d\n", res.status);
        return 1;
      }
      if (floor_cmd) floor_us = run_floor(floor_cmd, floor_cwd, &floor_cpu_us);
      if (pause_ms > 0) {
        struct timespec ts = {pause_ms / 1000, (long)(pause_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
      }
    }
    long long t0 = now_ns();
    send_all(fd, req, (size_t)req_len);
    read_response(fd, &b, &res);
    long long t1 = now_ns();
    if (i < warmup) continue;
    if (cold && instances_of) {
      long child = youngest_child(instances_of);
      if (child) inst_cpu_us = schedstat_cpu_us(child);
    }
    report_fields(res.log_result, dur, init);
    char floor_text[32] = "-", floor_cpu_text[32] = "-", inst_text[32] = "-";
    if (floor_us >= 0) snprintf(floor_text, sizeof floor_text, "%.1f", floor_us);
    if (floor_cpu_us >= 0) snprintf(floor_cpu_text, sizeof floor_cpu_text, "%.1f", floor_cpu_us);
    if (inst_cpu_us >= 0) snprintf(inst_text, sizeof inst_text, "%.1f", inst_cpu_us);
    printf("%.1f\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", (double)(t1 - t0) / 1000.0, res.status, res.request_id, dur,
           init, floor_text, floor_cpu_text, inst_text);
  }
  close(fd);
  return 0;
}
