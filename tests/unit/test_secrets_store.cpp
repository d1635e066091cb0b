// The secrets store: sealing with the key file, parameter versions, secret staging labels, and
// what the file on disk holds.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

#include "core/secrets/api.h"
#include "core/secrets/key_file.h"
#include "core/secrets/store.h"
#include "core/util/error.h"
#include "tests/unit/temp_dir.h"

using namespace fx;

namespace {

std::string file_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE("the key file is made 0600 on first use and seals with AES-256-GCM", "[secrets]") {
  test::TempDir dir("secrets");
  const auto path = dir.path / "home" / "secrets.key";
  secrets::KeyFile key(path);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(std::filesystem::file_size(path) == 32);
  const std::string sealed = key.seal("hunter2");
  CHECK(sealed.find("hunter2") == std::string::npos);
  CHECK(sealed.size() == 12 + 7 + 16);
  CHECK(key.seal("hunter2") != sealed);  // a fresh nonce each time
  CHECK(key.open(sealed) == "hunter2");
  // The same file read again is the same key.
  CHECK(secrets::KeyFile(path).open(sealed) == "hunter2");
  // A changed byte, or another key, is refused rather than returned as garbage.
  std::string tampered = sealed;
  tampered[14] ^= 1;
  CHECK_THROWS_AS(key.open(tampered), Error);
  CHECK_THROWS_AS(secrets::KeyFile(dir.path / "other.key").open(sealed), Error);
  CHECK_THROWS_AS(key.open("short"), Error);
}

TEST_CASE("a key file that is not one fx wrote is an error, not a new key", "[secrets]") {
  test::TempDir dir("secrets");
  std::ofstream(dir.path / "secrets.key") << "too short";
  CHECK_THROWS_AS(secrets::KeyFile(dir.path / "secrets.key"), Error);
}

TEST_CASE("parameters keep their versions; SecureString values are sealed on disk", "[secrets]") {
  test::TempDir dir("secrets");
  {
    secrets::Store store(dir.path);
    secrets::Parameter p;
    p.name = "/app/pw";
    p.type = "SecureString";
    p.value = "plain-pw-123";
    CHECK(store.put_parameter(p, nullptr) == 1);
    CHECK(p.sealed.find("plain-pw-123") == std::string::npos);
    p.value = "plain-pw-456";
    CHECK(store.put_parameter(p, nullptr) == 2);
    secrets::Parameter s;
    s.name = "/app/host";
    s.type = "String";
    s.value = "db.local";
    secrets::Tags tags{{"team", "a"}};
    store.put_parameter(s, &tags);

    CHECK(store.parameter("/app/pw")->value == "plain-pw-456");
    CHECK(store.parameter("/app/pw", 1)->value == "plain-pw-123");
    CHECK_FALSE(store.parameter("/app/pw", 3));
    CHECK(store.history("/app/pw").size() == 2);
    auto all = store.parameters();
    REQUIRE(all.size() == 2);
    CHECK(all[0].name == "/app/host");
    CHECK(all[1].version == 2);
    CHECK(store.parameter_tags("/app/host") == tags);
    CHECK(store.delete_parameter("/app/host"));
    CHECK_FALSE(store.delete_parameter("/app/host"));
    CHECK(store.parameter_tags("/app/host").empty());
  }
  std::string on_disk;
  for (const auto& e : std::filesystem::directory_iterator(dir.path))
    if (e.path().filename().string().starts_with("secrets.db")) on_disk += file_text(e.path());
  CHECK(on_disk.find("plain-pw-") == std::string::npos);
}

TEST_CASE("a new AWSCURRENT version moves AWSPREVIOUS as Secrets Manager does", "[secrets]") {
  test::TempDir dir("secrets");
  secrets::Store store(dir.path);
  secrets::Secret s;
  s.name = "db";
  s.arn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf";
  store.create_secret(s);
  for (const char* id : {"v1", "v2", "v3"}) {
    secrets::SecretVersion v;
    v.id = id;
    v.value = std::string("value-") + id;
    v.stages = {"AWSCURRENT"};
    store.put_version("db", v);
  }
  auto versions = store.versions("db");
  REQUIRE(versions.size() == 3);
  CHECK(versions[0].stages.empty());
  CHECK(versions[1].stages == std::vector<std::string>{"AWSPREVIOUS"});
  CHECK(versions[2].stages == std::vector<std::string>{"AWSCURRENT"});
  CHECK(versions[2].value == "value-v3");
  // By name, full ARN, and the ARN without its random suffix.
  CHECK(store.secret("db"));
  CHECK(store.secret(s.arn));
  CHECK(store.secret("arn:aws:secretsmanager:us-east-1:000000000000:secret:db"));
  CHECK_FALSE(store.secret("arn:aws:secretsmanager:us-east-1:000000000000:secret:d"));
  store.delete_secret("db");
  CHECK_FALSE(store.secret("db"));
  CHECK(store.versions("db").empty());
}

TEST_CASE("the APIs answer errors, never throw", "[secrets]") {
  test::TempDir dir("secrets");
  secrets::Store store(dir.path);
  auto r = secrets::handle_ssm(store, "AmazonSSM.GetParameter", "{\"Name\": \"/x\"}", "us-east-1");
  CHECK(r.status == 400);
  CHECK(r.body.find("ParameterNotFound") != std::string::npos);
  r = secrets::handle_ssm(store, "AmazonSSM.GetParameter", "\xff", "us-east-1");
  CHECK(r.status == 400);
  r = secrets::handle_secretsmanager(store, "secretsmanager.Nope", "{}", "us-east-1");
  CHECK(r.body.find("UnknownOperationException") != std::string::npos);
  r = secrets::handle_ssm(
      store, "AmazonSSM.PutParameter",
      R"({"Name":"/p","Value":"abc","Type":"String","AllowedPattern":"^[0-9]+$"})", "us-east-1");
  CHECK(r.body.find("ParameterPatternMismatchException") != std::string::npos);
  r = secrets::handle_ssm(store, "AmazonSSM.PutParameter",
                          R"({"Name":"/p","Value":"abc","Type":"String","AllowedPattern":"(["})",
                          "us-east-1");
  CHECK(r.status == 400);
}
