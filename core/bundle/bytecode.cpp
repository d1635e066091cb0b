#include "core/bundle/bytecode.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>

#include <fmt/format.h>

#include "core/runtimes/discovery.h"
#include "core/util/files.h"
#include "core/util/hash.h"
#include "core/util/process.h"

namespace fx::bundle {

namespace fs = std::filesystem;

namespace {

// Runs a Python snippet with `input` on stdin (through a temporary file) and returns whether
// it exited 0; its stdout and stderr go to `output`.
bool run_python(const fs::path& python, const std::string& code, const std::string& input,
                const fs::path& scratch, std::string& output) {
  // Functions are packaged in parallel and share the scratch folder: names of their own, or
  // one function's list of modules to compile overwrites another's.
  static std::atomic<unsigned> calls{0};
  std::string id = fmt::format("{}.{}", ::getpid(), calls++);
  fs::path in = scratch / ("in." + id + ".txt"), out = scratch / ("out." + id + ".txt");
  std::ofstream(in, std::ios::binary) << input;
  std::error_code ec;
  fs::remove(out, ec);
  util::SpawnOptions opts;
  opts.argv = {python.string(), "-c", code, in.string()};
  opts.env = util::current_environment();
  opts.output_file = out;
  int status = 0;
  try {
    status = util::run_and_wait(opts);
  } catch (const std::exception& e) {
    output = e.what();
    return false;
  }
  output = util::read_file(out);
  fs::remove(in, ec);
  fs::remove(out, ec);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

struct Interpreter {
  fs::path exe;
  std::string version;  // "3.11"
  std::string tag;      // "cpython-311"
};

// The local interpreter for a runtime, asked once per fx process: the one the emulator runs
// (the exact version first, wherever the registry's discovery finds it).
const Interpreter& interpreter_for(const std::string& runtime, const fs::path& scratch) {
  static std::mutex mutex;
  static std::map<std::string, Interpreter> cache;
  std::lock_guard lock(mutex);
  if (auto it = cache.find(runtime); it != cache.end()) return it->second;
  Interpreter found;
  const auto* family = runtimes::find_family(runtime);
  const std::string wanted = family ? family->version_of(runtime) : "";
  const auto candidates = family ? runtimes::interpreter_candidates(
                                       *family, wanted, runtimes::SearchEnvironment::current())
                                 : std::vector<runtimes::Candidate>{};
  for (const auto& candidate : candidates) {
    std::string out;
    if (!run_python(
            candidate.executable,
            "import sys;print('%d.%d' % sys.version_info[:2]);print(sys.implementation.cache_tag)",
            "", scratch, out))
      continue;
    auto nl = out.find('\n');
    Interpreter answer = {candidate.executable, out.substr(0, nl),
                          out.substr(nl + 1, out.find('\n', nl + 1) - nl - 1)};
    if (found.exe.empty() || answer.version == wanted) found = answer;
    if (answer.version == wanted) break;
  }
  return cache.emplace(runtime, found).first->second;
}

// Compiles each "SOURCE\tDEST\tNAME" line: DEST gets SOURCE's bytecode, with NAME (the path
// inside the bundle) as the file name tracebacks show.
constexpr const char* kCompile = R"(
import py_compile, sys
for line in open(sys.argv[1], encoding='utf-8').read().splitlines():
    src, dest, name = line.split('\t')
    try:
        py_compile.compile(src, cfile=dest, dfile=name, doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    except py_compile.PyCompileError as e:
        print(e.msg.strip().splitlines()[-1])
)";

}  // namespace

fs::path python_interpreter(const std::string& runtime, const fs::path& scratch) {
  fs::create_directories(scratch);
  return interpreter_for(runtime, scratch).exe;
}

std::vector<PlannedFile> python_bytecode(const BundlePlan& plan, const std::string& runtime,
                                         const fs::path& cache_dir,
                                         std::vector<std::string>& notes) {
  std::vector<PlannedFile> out;
  fs::create_directories(cache_dir);
  const auto& py = interpreter_for(runtime, cache_dir);
  if (py.exe.empty() || "python" + py.version != runtime) return out;
  std::string to_compile;
  struct Entry {
    std::string archive;
    fs::path pyc;
  };
  std::vector<Entry> entries;
  for (const auto& f : plan.files) {
    if (!f.archive_path.ends_with(".py")) continue;
    std::string text = util::read_file(f.source);
    // Keyed by content and name: the name is compiled into the bytecode.
    fs::path pyc =
        cache_dir / (util::sha256_hex(text + '\0' + f.archive_path + '\0' + py.tag) + ".pyc");
    fs::path rel = f.archive_path;
    std::string archive =
        (rel.parent_path() / "__pycache__" / (rel.stem().string() + "." + py.tag + ".pyc"))
            .generic_string();
    if (archive.starts_with("/")) archive.erase(0, 1);
    if (!fs::exists(pyc))
      to_compile += fmt::format("{}\t{}\t{}\n", f.source.string(), pyc.string(), f.archive_path);
    entries.push_back({archive, pyc});
  }
  if (!to_compile.empty()) {
    std::string output;
    if (!run_python(py.exe, kCompile, to_compile, cache_dir, output) || !output.empty())
      notes.push_back(
          fmt::format("some modules were not compiled to bytecode: {}", output.substr(0, 300)));
  }
  std::error_code ec;
  for (const auto& e : entries) {
    if (!fs::exists(e.pyc, ec)) continue;  // a syntax error: the runtime reports it at import
    out.push_back({e.archive, e.pyc, fs::file_size(e.pyc, ec), false,
                   "bytecode (" + py.tag + "): the task root is read-only"});
  }
  return out;
}

}  // namespace fx::bundle
