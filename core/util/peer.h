// Who is at the other end of a loopback TCP connection: the Runtime API of an instance must
// answer that instance's processes only, and TCP (unlike a Unix socket's SO_PEERCRED) does not
// say. The kernel's socket diagnostics name the peer socket's inode; a process holds it if one
// of its descriptors is that socket.
#pragma once

#include <sys/types.h>

#include <optional>

namespace fx::util {

// The inode of the socket at the other end of a connected loopback TCP socket `fd` (the
// peer's own socket, in this network namespace), or nullopt when it cannot be found (the
// peer is gone, or is not on this machine).
std::optional<ino_t> tcp_peer_inode(int fd);

// Whether `root` or any of its descendants (at most 4096 processes) has socket `inode` open.
bool process_tree_holds_socket(pid_t root, ino_t inode);

}  // namespace fx::util
