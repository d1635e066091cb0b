#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "core/manifest/manifest.h"
#include "tests/unit/test_manifest_helpers.h"

using Catch::Matchers::Contains;
using fx::manifest::Service;
using fx::manifest::testing::TempService;

namespace {

std::string manifest(const std::string& environment) {
  return "service: shop\n"
         "provider:\n"
         "  runtime: python3.12\n"
         "functions:\n"
         "  fn:\n"
         "    handler: handler.main\n"
         "    environment:\n" +
         environment + "\n";
}

// `git ARGS` in `dir`, its first line of output (the real git, as the variables use it).
std::string git(const std::filesystem::path& dir, const std::string& args) {
  const auto out = dir / ".git-test-out";
  const std::string command =
      fmt::format("cd '{}' && GIT_CONFIG_NOSYSTEM=1 HOME='{}' git {} > '{}' 2>&1", dir.string(),
                  dir.string(), args, out.string());
  const int status = std::system(command.c_str());
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  std::filesystem::remove(out);
  INFO(command << ": " << line);
  REQUIRE(status == 0);
  return line;
}

// A repository in the service's folder with one commit (subject, blank line, body) and the
// user the variables read.
void make_repository(const TempService& t) {
  git(t.dir, "init -q -b trunk");
  git(t.dir, "config user.name 'Ada Tester'");
  git(t.dir, "config user.email ada@example.com");
  t.write("handler.py", "def main(event, context):\n    return 1\n");
  t.write(".gitignore", "serverless.yaml\n");
  git(t.dir, "add handler.py .gitignore");
  git(t.dir, "commit -q -m 'Add the handler' -m 'It returns one.'");
}

}  // namespace

TEST_CASE("${git:...} reads the project's repository with the real git",
          "[manifest][variables][git]") {
  TempService t;
  make_repository(t);
  const std::string yaml = manifest(R"yaml(      SHA1: ${git:sha1}
      COMMIT: ${git:commit}
      BRANCH: ${git:branch}
      MESSAGE: ${git:message}
      SUBJECT: ${git:messageSubject}
      BODY: ${git:messageBody}
      USER: ${git:user}
      EMAIL: ${git:email}
      USER_NAME: ${git:user.name}
      DIRTY: ${git:isDirty}
      REPOSITORY: ${git:repository}
      TAGS: ${git:tags}
      DESCRIBE: ${git:describe}
      DESCRIBE_LIGHT: ${git:describeLight}
      JOINED: ${git:branch}@${git:sha1})yaml");
  Service s = t.load(yaml);
  auto env = s.functions.at(0).environment;
  const std::string commit = git(t.dir, "rev-parse HEAD");
  const std::string sha1 = git(t.dir, "rev-parse --short HEAD");
  CHECK(env.at("COMMIT") == commit);
  CHECK(env.at("SHA1") == sha1);
  CHECK(env.at("BRANCH") == "trunk");
  CHECK(env.at("MESSAGE") == "Add the handler\n\nIt returns one.");
  CHECK(env.at("SUBJECT") == "Add the handler");
  CHECK(env.at("BODY") == "It returns one.");
  CHECK(env.at("USER") == "Ada Tester");
  CHECK(env.at("USER_NAME") == "Ada Tester");
  CHECK(env.at("EMAIL") == "ada@example.com");
  CHECK(env.at("DIRTY") == "false");
  CHECK(env.at("REPOSITORY") == t.dir.filename().string());
  CHECK(env.at("TAGS") == sha1);  // no tag on HEAD: the short commit, as the plugin gives
  CHECK(env.at("DESCRIBE") == sha1);
  CHECK(env.at("JOINED") == "trunk@" + sha1);

  // Tags on HEAD, joined with "::"; describe names the nearest; a changed tracked file is dirty.
  git(t.dir, "tag v1.0");
  git(t.dir, "tag -a v1.1 -m release");
  t.write("handler.py", "def main(event, context):\n    return 2\n");
  env = t.load(yaml).functions.at(0).environment;
  CHECK(env.at("TAGS") == "v1.0::v1.1");
  CHECK(env.at("DESCRIBE") == "v1.1");
  CHECK(env.at("DESCRIBE_LIGHT").starts_with("v1."));
  CHECK(env.at("DIRTY") == "true");
}

TEST_CASE("${git:...} outside a repository is an error with its place, or its fallback",
          "[manifest][variables][git]") {
  TempService t;
  const fx::Error e = t.error(manifest("      BRANCH: ${git:branch}"));
  CHECK_THAT(std::string(e.what()),
             Contains("serverless.yaml:8:15: functions.fn.environment.BRANCH: "
                      "cannot resolve ${git:branch}: "));
  CHECK_THAT(std::string(e.what()), Contains(" is not in a git repository"));
  CHECK_THAT(e.hint(), Contains("deploy from a git checkout"));
  CHECK_THAT(e.hint(), Contains("${git:branch, 'default'}"));

  const Service s = t.load(manifest("      BRANCH: ${git:branch, 'local'}"));
  CHECK(s.functions.at(0).environment.at("BRANCH") == "local");

  // A repository with no commit yet says so.
  git(t.dir, "init -q");
  CHECK_THAT(std::string(t.error(manifest("      SHA: ${git:sha1}")).what()),
             Contains("has no commit yet"));
}

TEST_CASE("${git:NAME} with an unknown name lists the names, even with a fallback",
          "[manifest][variables][git]") {
  TempService t;
  make_repository(t);
  const fx::Error e = t.error(manifest("      X: ${git:hash, 'none'}"));
  CHECK_THAT(std::string(e.what()),
             Contains("serverless.yaml:8:10: functions.fn.environment.X: unknown git variable "
                      "'hash'"));
  CHECK_THAT(e.hint(), Contains("sha1, commit, branch"));
}
