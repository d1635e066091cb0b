// Zip reading (core/emulator/code_store.h): the input is an uploaded bundle, stored and
// unpacked by CodeStore::put into a scratch directory in memory (/dev/shm), emptied after each
// input. put either stores the code (FX_HOME/code/<sha256>.zip and the task root beside it)
// or throws fx::Error saying why and leaves nothing behind; nothing ever lands outside.
#include <signal.h>
#include <sys/resource.h>
#include <zip.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/emulator/code_store.h"
#include "core/lambda/api_error.h"
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
    // The same paths as the real limits, in a megabyte: faster runs.
    fx::emulator::CodeLimits limits;
    limits.max_unzipped = 1 << 20;
    auto code = store.put(input, limits);
    if (code.unzipped_size > (1 << 20)) fail("more unpacked than the limit");
    if (!fs::exists(code.dir / ".fx-complete")) fail("a task root not marked complete");
    stored = code.sha256_hex;
  } catch (const fx::lambda::ApiError& e) {
    // A 500 is a failure to write (the scratch folder is on /dev/shm: none) or a bug.
    if (e.status() != 400 && e.status() != 413) fail("a zip answered other than 400 or 413", e.what());
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
