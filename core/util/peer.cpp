#include "core/util/peer.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace fx::util {

namespace {

struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::optional<ino_t> tcp_peer_inode(int fd) {
  sockaddr_storage local{}, peer{};
  socklen_t local_len = sizeof local, peer_len = sizeof peer;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0 ||
      ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0 ||
      local.ss_family != peer.ss_family)
    return std::nullopt;
  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
  } query{};
  query.header.nlmsg_len = sizeof query;
  query.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  query.header.nlmsg_flags = NLM_F_REQUEST;  // one socket, looked up exactly: no dump
  auto& r = query.request;
  r.sdiag_family = static_cast<__u8>(local.ss_family);
  r.sdiag_protocol = IPPROTO_TCP;
  r.idiag_states = ~0U;
  r.id.idiag_cookie[0] = r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  // The peer's socket: its source is their address, its destination ours.
  if (local.ss_family == AF_INET) {
    const auto& l = reinterpret_cast<const sockaddr_in&>(local);
    const auto& p = reinterpret_cast<const sockaddr_in&>(peer);
    r.id.idiag_sport = p.sin_port;
    r.id.idiag_dport = l.sin_port;
    std::memcpy(r.id.idiag_src, &p.sin_addr, sizeof p.sin_addr);
    std::memcpy(r.id.idiag_dst, &l.sin_addr, sizeof l.sin_addr);
  } else if (local.ss_family == AF_INET6) {
    const auto& l = reinterpret_cast<const sockaddr_in6&>(local);
    const auto& p = reinterpret_cast<const sockaddr_in6&>(peer);
    r.id.idiag_sport = p.sin6_port;
    r.id.idiag_dport = l.sin6_port;
    std::memcpy(r.id.idiag_src, &p.sin6_addr, sizeof p.sin6_addr);
    std::memcpy(r.id.idiag_dst, &l.sin6_addr, sizeof l.sin6_addr);
  } else {
    return std::nullopt;
  }
  Fd nl(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  if (nl.fd < 0) return std::nullopt;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(nl.fd, &query, sizeof query, 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) != static_cast<ssize_t>(sizeof query))
    return std::nullopt;
  alignas(nlmsghdr) char buf[8192];
  ssize_t n = ::recv(nl.fd, buf, sizeof buf, 0);
  if (n <= 0) return std::nullopt;
  for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, static_cast<unsigned>(n));
       h = NLMSG_NEXT(h, n)) {
    if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY) return std::nullopt;  // NLMSG_ERROR: not found
    const auto* msg = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
    if (msg->idiag_inode != 0) return static_cast<ino_t>(msg->idiag_inode);
  }
  return std::nullopt;
}

bool process_tree_holds_socket(pid_t root, ino_t inode) {
  char want[64];
  int want_len =
      std::snprintf(want, sizeof want, "socket:[%lu]", static_cast<unsigned long>(inode));
  std::vector<pid_t> unvisited = {root};
  char path[320], link[64], buf[4096];
  for (std::size_t seen = 0; !unvisited.empty() && seen < 4096; ++seen) {
    pid_t p = unvisited.back();
    unvisited.pop_back();
    std::snprintf(path, sizeof path, "/proc/%d/fd", static_cast<int>(p));
    if (DIR* fds = ::opendir(path)) {
      while (const dirent* e = ::readdir(fds)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        std::snprintf(path, sizeof path, "/proc/%d/fd/%s", static_cast<int>(p), e->d_name);
        ssize_t n = ::readlink(path, link, sizeof link);
        if (n == want_len && std::memcmp(link, want, static_cast<std::size_t>(n)) == 0) {
          ::closedir(fds);
          return true;
        }
      }
      ::closedir(fds);
    }
    std::snprintf(path, sizeof path, "/proc/%d/task", static_cast<int>(p));
    DIR* tasks = ::opendir(path);
    if (!tasks) continue;
    while (const dirent* t = ::readdir(tasks)) {
      if (t->d_name[0] < '0' || t->d_name[0] > '9') continue;
      std::snprintf(path, sizeof path, "/proc/%d/task/%s/children", static_cast<int>(p), t->d_name);
      FILE* f = std::fopen(path, "re");
      if (!f) continue;
      std::size_t got = std::fread(buf, 1, sizeof buf - 1, f);
      std::fclose(f);
      buf[got] = '\0';
      for (char* at = buf; *at;) {
        char* end = nullptr;
        long child = std::strtol(at, &end, 10);
        if (end == at) break;
        at = end;
        unvisited.push_back(static_cast<pid_t>(child));
      }
    }
    ::closedir(tasks);
  }
  return false;
}

}  // namespace fx::util
