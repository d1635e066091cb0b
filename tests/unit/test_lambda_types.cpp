#include <catch2/catch.hpp>

#include "core/lambda/types.h"

using fx::lambda::parse_function_ref;

TEST_CASE("function references in every form the Invoke API accepts", "[lambda]") {
  auto plain = parse_function_ref("my-fn");
  REQUIRE(plain);
  CHECK(plain->name == "my-fn");
  CHECK(plain->qualifier.empty());
  auto qualified = parse_function_ref("my-fn:live");
  REQUIRE(qualified);
  CHECK(qualified->qualifier == "live");
  auto partial = parse_function_ref("123456789012:function:my-fn");
  REQUIRE(partial);
  CHECK(partial->name == "my-fn");
  auto arn = parse_function_ref("arn:aws:lambda:eu-west-1:123456789012:function:my-fn:$LATEST");
  REQUIRE(arn);
  CHECK(arn->name == "my-fn");
  CHECK(arn->qualifier == "$LATEST");
  CHECK_FALSE(parse_function_ref(""));
  CHECK_FALSE(parse_function_ref("has space"));
  CHECK_FALSE(parse_function_ref("arn:aws:s3:::bucket"));
  CHECK_FALSE(parse_function_ref(std::string(141, 'a')));
}

TEST_CASE("FunctionConfiguration JSON round-trips", "[lambda]") {
  fx::lambda::FunctionConfiguration c;
  c.function_name = "f";
  c.runtime = "python3.11";
  c.handler = "app.handler";
  c.memory_size = 256;
  c.timeout = 9;
  c.environment = {{"A", "1"}};
  c.architectures = {"arm64"};
  c.warnings = {"careful"};
  auto back = fx::lambda::configuration_from_json(fx::lambda::to_json(c));
  CHECK(back.function_name == "f");
  CHECK(back.memory_size == 256);
  CHECK(back.timeout == 9);
  CHECK(back.environment == c.environment);
  CHECK(back.architectures == c.architectures);
  CHECK(back.warnings == c.warnings);
  CHECK_THROWS(fx::lambda::configuration_from_json("[]"));
}
