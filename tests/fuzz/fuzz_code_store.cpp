// Zip reading (core/emulator/code_store.h): the input is an uploaded bundle, stored and
// unpacked by CodeStore::put into a scratch directory in memory (/dev/shm), emptied after each
// input. put either stores the code (FX_HOME/code/<sha256>.zip and the task root beside it)
// or throws fx::Error saying why and leaves nothing behind; nothing ever lands outside.
#include <signal.h>
#include <sys/resource.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/emulator/code_store.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "tests/fuzz/fuzz_common.h"

namespace fs = std::filesystem;
using fx::fuzz::fail;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // The store writes what the zip says: a file past this size is a bomb, not a bundle, and
  // must not fill the machine's memory (/dev/shm) while the fuzzer looks for one.
  rlimit limit{};
  limit.rlim_cur = limit.rlim_max = 64 << 20;
  ::setrlimit(RLIMIT_FSIZE, &limit);
  ::signal(SIGXFSZ, SIG_IGN);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const fs::path& scratch = fx::fuzz::scratch_dir();
  const fs::path root = scratch / "code";
  std::string stored;  // the hex name, when put succeeded
  try {
    fx::emulator::CodeStore store(root);
    auto code = store.put(input);
    if (!fs::exists(code.dir / ".fx-complete")) fail("a task root not marked complete");
    stored = code.sha256_hex;
  } catch (const fx::Error& e) {
    fx::fuzz::check_user_text(e.what(), input);
  }
  for (const auto& entry : fs::directory_iterator(scratch))
    if (entry.path() != root) fail("put wrote outside its root", entry.path().string());
  for (const auto& entry : fs::directory_iterator(root)) {
    const std::string name = entry.path().filename().string();
    if (stored.empty()) fail("a failed put left files behind", name);
    if (name != stored && name != stored + ".zip") fail("put left a stray file", name);
  }
  fx::util::remove_tree(root);
  return 0;
}
