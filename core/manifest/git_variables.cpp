#include "core/manifest/git_variables.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "core/util/files.h"
#include "core/util/process.h"
#include "core/util/text.h"

namespace fx::manifest {

namespace {

namespace fs = std::filesystem;

constexpr const char* kNames =
    "describe, describeLight, sha1, commit, branch, message, messageSubject, messageBody, user, "
    "email, isDirty, repository, tags";

struct GitRun {
  bool ok = false;
  std::string out;  // its output, trailing whitespace trimmed (as the plugins trim it)
};

// Runs `git ARGS` in `dir`. Its output goes to a file of its own: a git variable reads a few
// lines, and a file needs no reader thread beside the wait.
GitRun run_git(const fs::path& dir, std::vector<std::string> args) {
  GitRun run;
  const fs::path git = util::which("git");
  if (git.empty()) {
    run.out = "git is not on PATH";
    return run;
  }
  char path[] = "/tmp/fx-git-XXXXXX";
  int fd = ::mkstemp(path);
  if (fd < 0) {
    run.out = "cannot make a temporary file for git's output";
    return run;
  }
  ::close(fd);
  util::SpawnOptions opts;
  opts.argv = {git.string()};
  opts.argv.insert(opts.argv.end(), args.begin(), args.end());
  opts.cwd = dir;
  opts.env = util::current_environment();
  // English messages to recognise, and no index refresh taking git's lock behind a
  // concurrent `git commit` of the user's.
  opts.env.push_back("LC_ALL=C");
  opts.env.push_back("GIT_OPTIONAL_LOCKS=0");
  opts.env.push_back("GIT_TERMINAL_PROMPT=0");
  opts.output_file = path;
  int status = -1;
  try {
    status = util::run_and_wait(opts);
  } catch (const std::exception& e) {
    ::unlink(path);
    run.out = e.what();
    return run;
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  ::unlink(path);
  run.out = text.str();
  while (!run.out.empty() && std::isspace(static_cast<unsigned char>(run.out.back())))
    run.out.pop_back();
  run.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return run;
}

GitValue failed(const fs::path& dir, const std::string& name, const GitRun& run) {
  GitValue v;
  const std::string said = run.out;
  if (said == "git is not on PATH") {
    v.why = "git is not on PATH";
    v.hint = "install git";
  } else if (said.find("not a git repository") != std::string::npos) {
    v.why = fmt::format("{} is not in a git repository", dir.string());
    v.hint = "deploy from a git checkout of the project (or `git init` and commit)";
  } else if (said.find("ambiguous argument 'HEAD'") != std::string::npos ||
             said.find("does not have any commits") != std::string::npos ||
             said.find("Needed a single revision") != std::string::npos) {
    v.why = fmt::format("the git repository of {} has no commit yet", dir.string());
    v.hint = "commit once";
  } else if ((name == "user" || name == "email" || name == "user.name" || name == "user.email") &&
             said.empty()) {
    const char* key = name == "user" || name == "user.name" ? "user.name" : "user.email";
    v.why = fmt::format("git has no {} configured", key);
    v.hint = fmt::format("set it: git config {} VALUE", key);
  } else {
    std::string first = said.substr(0, said.find('\n'));
    v.why = fmt::format("git failed: {}", first.empty() ? "it said nothing" : first);
    v.hint = "run the git command in the service's folder to see why";
  }
  return v;
}

}  // namespace

GitValue git_variable(const fs::path& dir, const std::string& name) {
  std::vector<std::string> args;
  if (name == "describe")
    args = {"describe", "--always"};
  else if (name == "describeLight")
    args = {"describe", "--always", "--tags"};
  else if (name == "sha1")
    args = {"rev-parse", "--short", "HEAD"};
  else if (name == "commit")
    args = {"rev-parse", "HEAD"};
  else if (name == "branch")
    args = {"rev-parse", "--abbrev-ref", "HEAD"};
  else if (name == "message")
    args = {"log", "-1", "--pretty=%B"};
  else if (name == "messageSubject")
    args = {"log", "-1", "--pretty=%s"};
  else if (name == "messageBody")
    args = {"log", "-1", "--pretty=%b"};
  else if (name == "user" || name == "user.name")
    args = {"config", "user.name"};
  else if (name == "email" || name == "user.email")
    args = {"config", "user.email"};
  else if (name == "isDirty")
    args = {"diff", "--stat"};
  else if (name == "repository")
    args = {"rev-parse", "--show-toplevel"};
  else if (name == "tags")
    args = {"tag", "--points-at", "HEAD"};
  else {
    GitValue v;
    v.unknown = true;
    v.why = fmt::format("unknown git variable '{}'", name);
    v.hint = fmt::format("use one of {}", kNames);
    return v;
  }
  // `git config` and `git diff` succeed outside a repository (the global config, a no-index
  // diff); the plugins' values need one, so ask for it first.
  if (name == "user" || name == "email" || name == "user.name" || name == "user.email" ||
      name == "isDirty" || name == "tags") {
    GitRun inside = run_git(dir, {"rev-parse", "--verify", "HEAD"});
    if (!inside.ok) return failed(dir, name, inside);
  }
  GitRun run = run_git(dir, args);
  if (!run.ok) return failed(dir, name, run);
  GitValue v;
  if (name == "isDirty") {
    v.value = run.out.empty() ? "false" : "true";
  } else if (name == "repository") {
    v.value = fs::path(run.out).filename().string();
  } else if (name == "tags") {
    // Every tag on HEAD joined with "::"; none: the short commit, as the plugin gives.
    std::string joined;
    std::istringstream lines(run.out);
    for (std::string line; std::getline(lines, line);)
      if (!line.empty()) joined += (joined.empty() ? "" : "::") + line;
    if (joined.empty()) {
      GitRun sha = run_git(dir, {"rev-parse", "--short", "HEAD"});
      if (!sha.ok) return failed(dir, name, sha);
      joined = sha.out;
    }
    v.value = joined;
  } else {
    v.value = run.out;
  }
  return v;
}

}  // namespace fx::manifest
