// A function instance's sandbox: the closest a process can come to Lambda's microVM without
// Docker or root. The instance runs in user, PID, mount and IPC namespaces of its own: it is
// uid 993 in a root file system built for it (the system's /usr, /etc and the runtime's
// prefix read-only, its code at /var/task, its layers at /opt, fx's shim at /var/runtime, a
// /tmp of its own), sees nothing of FX_HOME, of other instances or of the emulator, cannot
// signal a process outside, and everything it starts dies with it (its first process is the
// PID namespace's init). Unprivileged user namespaces are enough: no root, no setuid helper.
//
// Why not bubblewrap: it would cost an exec per cold start, and as root it cannot map the
// instance to an unprivileged user outside (an instance of a root emulator would be root for
// every file it can see); a few system calls here do exactly what is needed, measured in
// bench/README.md.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/util/process.h"

namespace fx::util {

struct SandboxSpec {
  // Read-only bind mounts: (source on the host, target inside the sandbox's root).
  std::vector<std::pair<std::filesystem::path, std::filesystem::path>> read_only;
  int tmp_mb = 512;               // the size of its /tmp
  std::filesystem::path cwd;      // inside the sandbox
  std::filesystem::path staging;  // an empty host folder the new root is mounted on
  std::string hostname = "localhost";
};

// Whether this kernel lets this user create the namespaces; `reason` says why not.
struct SandboxSupport {
  bool available = false;
  std::string reason;
};
// Tries once (a throwaway child in new namespaces) and remembers the answer.
const SandboxSupport& sandbox_support();

// The host folders every sandbox needs to run a program: /usr and the /lib, /bin links of a
// merged-/usr system, and /etc, read-only.
std::vector<std::pair<std::filesystem::path, std::filesystem::path>> system_mounts();

// Starts `options.argv` (paths as seen inside) in a new sandbox, with the same stdio and fd 3
// handling as spawn_process. Its pid (as the host sees it) is the namespace's init: killing
// it kills everything inside. Throws fx::Error when the namespaces cannot be made; a failure
// inside (a mount, the exec) is written to the child's stderr and it exits with 127.
Child spawn_sandboxed(const SpawnOptions& options, const SandboxSpec& sandbox);

}  // namespace fx::util
