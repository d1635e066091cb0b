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
#include "core/util/error.h"
#include "core/util/files.h"
#include "tests/fuzz/fuzz_common.h"

namespace fs = std::filesystem;
using fx::fuzz::fail;

namespace {

// Bugs found here and reported (the store is being rewritten with Lambda's size limits);
// inputs that hit them are set aside before put, so that the run goes on past them (with
// FX_FUZZ_STRICT=1 they go to put, to check a fix):
//  - put reads each entry into a buffer of the size the zip declares, so a 600-byte upload
//    that claims 4 GB allocates 4 GB (regressions/code_store/declared-size-4gb.zip);
//  - an entry under a path that another entry made a file ("a", then "a/b"), or with a name
//    too long for the file system, escapes as std::filesystem_error and leaks the open zip
//    and the temporary task root (regressions/code_store/file-then-dir-same-name.zip).
const char* known_problem(std::string_view bytes) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  zip_t* archive = source ? zip_open_from_source(source, ZIP_RDONLY, &error) : nullptr;
  if (!archive && source) zip_source_free(source);
  zip_error_fini(&error);
  if (!archive) return nullptr;
  const char* problem = nullptr;
  std::vector<fs::path> files;
  std::vector<fs::path> all;
  const zip_int64_t n = zip_get_num_entries(archive, 0);
  for (zip_int64_t i = 0; i < n && !problem; ++i) {
    zip_stat_t st;
    if (zip_stat_index(archive, static_cast<zip_uint64_t>(i), 0, &st) != 0) continue;
    if ((st.valid & ZIP_STAT_SIZE) && st.size > (64u << 20))
      problem = "a zip entry that declares gigabytes is read into one buffer that size";
    if (!(st.valid & ZIP_STAT_NAME) || st.name[0] == '\0') continue;
    const std::string name = st.name;
    const fs::path rel = fs::path(name).lexically_normal();
    for (const auto& part : rel)
      if (part.native().size() > 200)
        problem = "an entry whose name is too long escapes as filesystem_error";
    if (name.back() != '/') files.push_back(rel);
    all.push_back(rel);
  }
  zip_discard(archive);
  for (const auto& file : files) {
    for (const auto& other : all) {
      auto [f, o] = std::mismatch(file.begin(), file.end(), other.begin(), other.end());
      if (!problem && f == file.end() && o != other.end() && !o->empty())
        problem = "an entry under another entry's file escapes as filesystem_error";
    }
  }
  return problem;
}

}  // namespace

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
  if (const char* problem = known_problem(input); problem && !fx::fuzz::strict()) {
    fx::fuzz::known_issue(problem);
    return 0;
  }
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
