// Interpreter discovery and resolution against real folders in a temporary HOME: version
// managers' trees (pyenv, asdf, nvm, rbenv) and a PATH of its own, holding small scripts that
// answer the resolver's probe as an interpreter of some version would.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/runtimes/discovery.h"
#include "core/runtimes/resolver.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using fx::runtimes::Candidate;
using fx::runtimes::find_family;
using fx::runtimes::interpreter_candidates;
using fx::runtimes::RuntimeResolver;
using fx::runtimes::SearchEnvironment;

namespace {

class TempHome {
 public:
  TempHome() {
    fs::create_directories(root / "home");
    fs::create_directories(root / "bin");
    fs::create_directories(root / "shims");
    env.home = root / "home";
    env.path = (root / "bin").string() + ":" + (root / "nowhere").string();
    env.system_dirs = {root / "usr/bin"};  // the host's /usr/bin stays out of the tests
  }

  // An executable at `rel` (under root) that answers the probe as `version` of an interpreter
  // whose prefix is its folder's parent; "" for one that fails as a pyenv shim does.
  fs::path interpreter(const std::string& rel, const std::string& version) {
    fs::path p = root / rel;
    fs::create_directories(p.parent_path());
    std::ofstream out(p);
    if (version.empty())
      out << "#!/bin/sh\necho \"pyenv: $(basename \"$0\"): command not found\" >&2\nexit 127\n";
    else
      out << "#!/bin/sh\nprintf '%s\\n"
          << version << "\\n%s\\n' \"$0\" "
          << "\"$(dirname \"$(dirname \"$0\")\")\" >&3\n";
    out.close();
    fs::permissions(p, fs::perms::owner_all);
    return p;
  }

  // Like interpreter(), and each probe it answers appends a line to `calls`.
  fs::path counted_interpreter(const std::string& rel, const std::string& version,
                               const fs::path& calls) {
    fs::path p = root / rel;
    fs::create_directories(p.parent_path());
    std::ofstream out(p);
    out << "#!/bin/sh\necho probe >> '" << calls.string() << "'\nprintf '%s\\n"
        << version << "\\n' \"$0\" >&3\n";
    out.close();
    fs::permissions(p, fs::perms::owner_all);
    return p;
  }

  std::vector<std::string> candidates(const std::string& runtime) const {
    const auto* family = find_family(runtime);
    std::vector<std::string> out;
    for (const Candidate& c : interpreter_candidates(*family, family->version_of(runtime), env))
      out.push_back(c.source + " " + fs::relative(c.executable, root).string() +
                    (c.versioned ? "" : " (fallback)"));
    return out;
  }

  fx::test::TempDir tmp{"runtimes"};
  fs::path root = tmp.path;
  SearchEnvironment env;
};

}  // namespace

// The newest patch of the version wins wherever it is installed: pyenv's 3.9.18, then asdf's
// 3.9.7, then pyenv's 3.9.2.
TEST_CASE("runtimes discovery: the exact version first, then the fallback", "[runtimes]") {
  TempHome h;
  h.interpreter("bin/python3", "3.11");
  h.interpreter("bin/python3.9", "3.9");
  h.interpreter("home/.pyenv/versions/3.9.2/bin/python", "3.9");
  h.interpreter("home/.pyenv/versions/3.9.18/bin/python", "3.9");
  h.interpreter("home/.pyenv/versions/3.10.13/bin/python", "3.10");
  h.interpreter("home/.asdf/installs/python/3.9.7/bin/python", "3.9");
  // Not an install of 3.9: another version, or no executable where one should be.
  h.interpreter("home/.pyenv/versions/3.90.1/bin/python", "3.90");
  fs::create_directories(h.root / "home/.pyenv/versions/3.9.1/bin");
  std::ofstream(h.root / "home/.pyenv/versions/3.9.1/bin/python") << "not executable\n";

  CHECK(h.candidates("python3.9") ==
        std::vector<std::string>{
            "PATH bin/python3.9", "pyenv home/.pyenv/versions/3.9.18/bin/python",
            "asdf home/.asdf/installs/python/3.9.7/bin/python",
            "pyenv home/.pyenv/versions/3.9.2/bin/python", "PATH bin/python3 (fallback)"});
  // 3.90.1 is not a 3.9, nor 3.10.13 a 3.1.
  CHECK(h.candidates("python3.10") ==
        std::vector<std::string>{"pyenv home/.pyenv/versions/3.10.13/bin/python",
                                 "PATH bin/python3 (fallback)"});
  CHECK(h.candidates("python3.12") == std::vector<std::string>{"PATH bin/python3 (fallback)"});
}

TEST_CASE("runtimes discovery: managers' root variables, nvm and rbenv", "[runtimes]") {
  TempHome h;
  h.interpreter("bin/node", "18");
  h.interpreter("home/.nvm/versions/node/v20.11.0/bin/node", "20");
  h.interpreter("home/.nvm/versions/node/v20.9.0/bin/node", "20");
  h.interpreter("home/.nvm/versions/node/v18.19.0/bin/node", "18");
  h.interpreter("home/.asdf/installs/nodejs/20.1.0/bin/node", "20");
  CHECK(h.candidates("nodejs20.x") ==
        std::vector<std::string>{"nvm home/.nvm/versions/node/v20.11.0/bin/node",
                                 "nvm home/.nvm/versions/node/v20.9.0/bin/node",
                                 "asdf home/.asdf/installs/nodejs/20.1.0/bin/node",
                                 "PATH bin/node (fallback)"});

  h.interpreter("bin/ruby", "3.1");
  h.interpreter("bin/ruby3.2", "3.2");
  h.interpreter("home/.rbenv/versions/3.2.2/bin/ruby", "3.2");
  h.interpreter("home/.asdf/installs/ruby/3.3.0/bin/ruby", "3.3");
  CHECK(h.candidates("ruby3.2") ==
        std::vector<std::string>{"PATH bin/ruby3.2", "rbenv home/.rbenv/versions/3.2.2/bin/ruby",
                                 "PATH bin/ruby (fallback)"});
  CHECK(h.candidates("ruby3.3") ==
        std::vector<std::string>{"asdf home/.asdf/installs/ruby/3.3.0/bin/ruby",
                                 "PATH bin/ruby (fallback)"});

  // PYENV_ROOT and ASDF_DATA_DIR move the trees away from HOME.
  h.interpreter("home/.pyenv/versions/3.12.1/bin/python", "3.12");
  h.interpreter("elsewhere/pyenv/versions/3.12.4/bin/python", "3.12");
  h.interpreter("elsewhere/asdf/installs/python/3.12.0/bin/python", "3.12");
  h.env.roots["PYENV_ROOT"] = (h.root / "elsewhere/pyenv").string();
  h.env.roots["ASDF_DATA_DIR"] = (h.root / "elsewhere/asdf").string();
  CHECK(h.candidates("python3.12") ==
        std::vector<std::string>{"pyenv elsewhere/pyenv/versions/3.12.4/bin/python",
                                 "asdf elsewhere/asdf/installs/python/3.12.0/bin/python"});

  // Custom runtimes have no interpreter to look for.
  CHECK(h.candidates("provided.al2023").empty());
}

TEST_CASE("runtimes resolver: the exact version wherever it is, else the fallback with a warning",
          "[runtimes]") {
  TempHome h;
  const fs::path shims = h.root / "shims";
  SECTION("an exact version in pyenv wins over PATH's python3") {
    h.interpreter("bin/python3", "3.11");
    h.interpreter("bin/python3.9", "");  // a pyenv shim for a version that is not selected
    auto exact = h.interpreter("home/.pyenv/versions/3.9.18/bin/python", "3.9");
    RuntimeResolver resolver(shims, h.env);
    const auto& r = resolver.resolve("python3.9");
    CHECK(r.interpreter == exact);
    CHECK(r.version == "3.9");
    CHECK(r.warning.empty());
    CHECK(r.error.empty());
    CHECK(r.prefixes == std::vector<fs::path>{h.root / "home/.pyenv/versions/3.9.18"});
    auto cmd = resolver.command("python3.9", h.root / "task");
    CHECK(cmd.error_type.empty());
    // -S: no site, so nothing of the host's site-packages reaches the function.
    CHECK(cmd.argv ==
          std::vector<std::string>{exact.string(), "-S", (shims / "python/bootstrap.py").string()});
    CHECK(cmd.path_dirs == exact.parent_path().string());
  }
  SECTION("a folder named for the version that holds another is not exact") {
    auto local = h.interpreter("bin/python3", "3.11");
    h.interpreter("home/.pyenv/versions/3.9.0/bin/python", "3.10");
    RuntimeResolver resolver(shims, h.env);
    const auto& r = resolver.resolve("python3.9");
    // The first interpreter that answered is the fallback.
    CHECK(r.interpreter == h.root / "home/.pyenv/versions/3.9.0/bin/python");
    CHECK(r.warning == "python3.9: no Python 3.9 found (looked in PATH, " +
                           (h.root / "usr/bin").string() +
                           ", pyenv, asdf, mise); running on Python 3.10 (" +
                           (h.root / "home/.pyenv/versions/3.9.0/bin/python").string() + ")");
  }
  SECTION("Ruby falls back to the system's ruby, with a warning") {
    auto ruby = h.interpreter("bin/ruby", "3.1");
    RuntimeResolver resolver(shims, h.env);
    const auto& r = resolver.resolve("ruby3.3");
    CHECK(r.interpreter == ruby);
    CHECK(r.warning == "ruby3.3: no Ruby 3.3 found (looked in PATH, " +
                           (h.root / "usr/bin").string() +
                           ", rbenv, asdf, mise); running on Ruby 3.1 (" + ruby.string() + ")");
    auto cmd = resolver.command("ruby3.3", h.root / "task");
    CHECK(cmd.argv ==
          std::vector<std::string>{ruby.string(), (shims / "ruby/bootstrap.rb").string()});
    CHECK(resolver.runtime_dir("ruby3.2") == shims / "ruby");
  }
  SECTION("nothing found: an error naming where fx looked") {
    RuntimeResolver resolver(shims, h.env);
    const auto& r = resolver.resolve("nodejs20.x");
    CHECK(r.interpreter.empty());
    CHECK(r.error ==
          "no Node.js found for nodejs20.x (looked for node20 and node-20 and node on "
          "PATH, " +
              (h.root / "usr/bin").string() + ", " + (h.env.home / ".nvm/versions/node").string() +
              ", " + (h.env.home / ".local/share/fnm/node-versions").string() + ", " +
              (h.env.home / ".asdf/installs/nodejs").string() + ", " +
              (h.env.home / ".local/share/mise/installs/node").string() + ", " +
              (h.env.home / ".volta/tools/image/node").string() + ")");
    auto cmd = resolver.command("nodejs20.x", h.root / "task");
    CHECK(cmd.error_type == "Runtime.InvalidEntrypoint");
    CHECK(cmd.error_message == r.error);
    CHECK_THAT(resolver.resolve("python3.9").error,
               Contains("looked for python3.9 and python3 on PATH"));
  }
  SECTION("custom runtimes run the bundle's bootstrap") {
    RuntimeResolver resolver(shims, h.env);
    CHECK(resolver.resolve("provided.al2023").interpreter.empty());
    CHECK(resolver.resolve("provided.al2023").error.empty());
    fs::create_directories(h.root / "task");
    auto cmd = resolver.command("provided.al2023", h.root / "task");
    CHECK(cmd.error_type == "Runtime.InvalidEntrypoint");
    CHECK(cmd.error_message ==
          "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]");
    h.interpreter("task/bootstrap", "1");
    cmd = resolver.command("provided.al2023", h.root / "task");
    CHECK(cmd.argv == std::vector<std::string>{(h.root / "task/bootstrap").string()});
    CHECK(resolver.command("cobol85", h.root / "task").error_type == "Runtime.InvalidEntrypoint");
  }
}

TEST_CASE("runtimes discovery: mise, fnm, volta, the system's versioned programs", "[runtimes]") {
  TempHome h;
  h.interpreter("bin/python3", "3.11.7");
  // pyenv's install has python3.9 (and no plain `python`): the versioned name is asked first.
  h.interpreter("home/.pyenv/versions/3.9.18/bin/python3.9", "3.9.18");
  h.interpreter("home/.local/share/mise/installs/python/3.9.7/bin/python", "3.9.7");
  h.interpreter("usr/bin/python3.9", "3.9.2");  // /usr/bin, not on PATH
  CHECK(h.candidates("python3.9") ==
        std::vector<std::string>{(h.root / "usr/bin").string() + " usr/bin/python3.9",
                                 "pyenv home/.pyenv/versions/3.9.18/bin/python3.9",
                                 "mise home/.local/share/mise/installs/python/3.9.7/bin/python",
                                 "PATH bin/python3 (fallback)"});

  h.interpreter("bin/node", "20.11.0");
  h.interpreter("usr/bin/node18", "18.19.0");
  h.interpreter("usr/bin/node-22", "22.3.0");
  h.interpreter("home/.local/share/fnm/node-versions/v18.20.4/installation/bin/node", "18.20.4");
  h.interpreter("home/.local/share/fnm/node-versions/v18.9.1/installation/bin/node", "18.9.1");
  h.interpreter("home/.volta/tools/image/node/18.17.0/bin/node", "18.17.0");
  h.interpreter("home/.local/share/mise/installs/node/22.1.0/bin/node", "22.1.0");
  CHECK(h.candidates("nodejs18.x") ==
        std::vector<std::string>{
            (h.root / "usr/bin").string() + " usr/bin/node18",
            "fnm home/.local/share/fnm/node-versions/v18.20.4/installation/bin/node",
            "volta home/.volta/tools/image/node/18.17.0/bin/node",
            "fnm home/.local/share/fnm/node-versions/v18.9.1/installation/bin/node",
            "PATH bin/node (fallback)"});
  CHECK(h.candidates("nodejs22.x") ==
        std::vector<std::string>{(h.root / "usr/bin").string() + " usr/bin/node-22",
                                 "mise home/.local/share/mise/installs/node/22.1.0/bin/node",
                                 "PATH bin/node (fallback)"});
  // FNM_DIR, MISE_DATA_DIR and VOLTA_HOME move the trees.
  h.interpreter("fnm/node-versions/v24.1.0/installation/bin/node", "24.1.0");
  h.interpreter("mise/installs/node/24.0.2/bin/node", "24.0.2");
  h.interpreter("volta/tools/image/node/24.3.0/bin/node", "24.3.0");
  h.env.roots["FNM_DIR"] = (h.root / "fnm").string();
  h.env.roots["MISE_DATA_DIR"] = (h.root / "mise").string();
  h.env.roots["VOLTA_HOME"] = (h.root / "volta").string();
  // The newest patch first, whichever manager installed it.
  CHECK(h.candidates("nodejs24.x") ==
        std::vector<std::string>{"volta volta/tools/image/node/24.3.0/bin/node",
                                 "fnm fnm/node-versions/v24.1.0/installation/bin/node",
                                 "mise mise/installs/node/24.0.2/bin/node",
                                 "PATH bin/node (fallback)"});
  h.interpreter("mise/installs/ruby/3.4.1/bin/ruby", "3.4.1");
  h.interpreter("bin/ruby", "3.1.2");
  CHECK(h.candidates("ruby3.4") ==
        std::vector<std::string>{"mise mise/installs/ruby/3.4.1/bin/ruby",
                                 "PATH bin/ruby (fallback)"});
}

TEST_CASE("runtimes resolver: the newest patch, whole versions, asked once", "[runtimes]") {
  TempHome h;
  const fs::path calls = h.root / "calls";
  h.counted_interpreter("bin/python3", "3.11.7", calls);
  auto newest = h.counted_interpreter("home/.pyenv/versions/3.9.18/bin/python", "3.9.18", calls);
  h.counted_interpreter("home/.pyenv/versions/3.9.2/bin/python", "3.9.2", calls);
  RuntimeResolver resolver(h.root / "shims", h.env);
  const auto& r = resolver.resolve("python3.9");
  CHECK(r.interpreter == newest);
  CHECK(r.version == "3.9");
  CHECK(r.full_version == "3.9.18");
  CHECK(r.warning.empty());
  // Cold starts and later deploys ask the cache: one probe in all, the newest's.
  for (int i = 0; i < 5; ++i) {
    CHECK(resolver.resolve("python3.9").interpreter == newest);
    CHECK(resolver.command("python3.9", h.root / "task").argv.front() == newest.string());
  }
  std::ifstream in(calls);
  std::string all((std::istreambuf_iterator<char>(in)), {});
  CHECK(all == "probe\n");

  // A fallback's warning names the whole version it runs on.
  const auto& fallback = resolver.resolve("python3.14");
  CHECK_THAT(fallback.warning, Contains("python3.14: no Python 3.14 found (looked in PATH"));
  CHECK_THAT(fallback.warning, Contains("; running on Python 3.11.7 ("));
  CHECK(fallback.version == "3.11");
  // Node's runtime ids name the major version only.
  h.interpreter("home/.nvm/versions/node/v24.2.0/bin/node", "24.2.0");
  CHECK(resolver.resolve("nodejs24.x").version == "24");
  CHECK(resolver.resolve("nodejs24.x").full_version == "24.2.0");
  CHECK(resolver.resolve("nodejs24.x").warning.empty());
}

TEST_CASE("runtimes resolver: an interpreter the manifest names", "[runtimes]") {
  TempHome h;
  h.interpreter("bin/python3", "3.11.7");
  auto mine = h.interpreter("opt/py39/bin/python3.9", "3.9.4");
  auto other = h.interpreter("opt/py310/bin/python3", "3.10.1");
  auto broken = h.interpreter("opt/broken/python3.9", "");
  RuntimeResolver resolver(h.root / "shims", h.env);
  const auto& r = resolver.resolve("python3.9", mine.string());
  CHECK(r.interpreter == mine);
  CHECK(r.full_version == "3.9.4");
  CHECK(r.error.empty());
  CHECK(r.warning.empty());
  CHECK(resolver.command("python3.9", h.root / "task", mine.string()).argv.front() ==
        mine.string());
  // Discovery's answer for the same runtime is its own.
  CHECK(resolver.resolve("python3.9").interpreter == h.root / "bin/python3");

  CHECK(resolver.resolve("python3.9", other.string()).error ==
        other.string() + " is Python 3.10.1, not Python 3.9");
  CHECK(resolver.resolve("python3.9", broken.string()).error ==
        broken.string() + " does not run as Python (it failed fx's version probe)");
  CHECK(resolver.resolve("python3.9", (h.root / "nope").string()).error ==
        (h.root / "nope").string() + " does not exist");
  CHECK(resolver.resolve("python3.9", (h.root / "opt").string()).error ==
        (h.root / "opt").string() + " is not an executable file");
  CHECK(resolver.resolve("python3.9", "python3.9").error == "python3.9 is not an absolute path");
  auto cmd = resolver.command("python3.9", h.root / "task", other.string());
  CHECK(cmd.error_type == "Runtime.InvalidEntrypoint");
  CHECK_THAT(cmd.error_message, Contains("is Python 3.10.1, not Python 3.9"));

  // What a deploy says: a named interpreter that is wrong is the deploy's error; the rest
  // are warnings (the fallback's, Lambda's deprecation).
  using fx::runtimes::deploy_warnings;
  CHECK(deploy_warnings(resolver, "python3.9", mine.string(), "2025-01-01").empty());
  CHECK_THROWS_AS(deploy_warnings(resolver, "python3.9", other.string(), "2025-01-01"),
                  fx::runtimes::InvalidInterpreter);
  auto later = deploy_warnings(resolver, "python3.9", mine.string(), "2026-01-01");
  REQUIRE(later.size() == 1);
  CHECK_THAT(later[0], Contains("python3.9: deprecated by Lambda on 2025-12-15"));
  auto fallback = deploy_warnings(resolver, "python3.13", "", "2026-01-01");
  REQUIRE(fallback.size() == 1);
  CHECK_THAT(fallback[0], Contains("python3.13: no Python 3.13 found"));
}

// A probe that fails (a machine too busy to start node in time, an install under way) must not
// leave every later cold start without an interpreter: the corpus run saw exactly that.
TEST_CASE("runtimes resolver: an answer that found nothing is asked again later", "[runtimes]") {
  TempHome h;
  h.interpreter("bin/node", "");  // answers nothing, as a broken shim does
  RuntimeResolver resolver(h.root / "shims", h.env);
  resolver.retry_failed_after(std::chrono::milliseconds(0));
  const auto& first = resolver.resolve("nodejs20.x");
  CHECK_THAT(first.error, Contains("no Node.js found for nodejs20.x"));
  auto node = h.interpreter("bin/node", "20.11.0");
  const auto& second = resolver.resolve("nodejs20.x");
  CHECK(second.error.empty());
  CHECK(second.interpreter == node);
  CHECK(&first == &second);  // replaced in place: the first reference still reads the answer
  // Once found, it is kept: a later broken probe does not matter.
  h.interpreter("bin/node", "");
  CHECK(resolver.resolve("nodejs20.x").interpreter == node);

  RuntimeResolver patient(h.root / "shims", h.env);  // the default wait: asked once for now
  h.interpreter("bin/python3", "");
  CHECK_FALSE(patient.resolve("python3.12").error.empty());
  h.interpreter("bin/python3", "3.12.1");
  CHECK_FALSE(patient.resolve("python3.12").error.empty());
}
