// The small XML reader behind fx's IAM client, on answers shaped as IAM sends them.
#include <catch2/catch.hpp>

#include "core/aws/iam.h"

using fx::aws::xml_elements;
using fx::aws::xml_text;

namespace {

// GetRole's answer as IAM documents it (trimmed), with a tag list and an escaped policy.
constexpr const char* kGetRole =
    R"(<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <GetRoleResult>
    <Role>
      <Path>/</Path>
      <AssumeRolePolicyDocument>%7B%22Version%22%3A%222012-10-17%22%7D</AssumeRolePolicyDocument>
      <RoleName>svc-dev-us-east-1-lambdaRole</RoleName>
      <Arn>arn:aws:iam::123456789012:role/svc-dev-us-east-1-lambdaRole</Arn>
      <Description>made by fx &amp; kept &lt;here&gt;</Description>
      <Tags>
        <member><Key>fx:service</Key><Value>svc-dev</Value></member>
        <member><Key>team</Key><Value>a&quot;b</Value></member>
      </Tags>
      <PermissionsBoundary/>
    </Role>
  </GetRoleResult>
  <ResponseMetadata><RequestId>df37e965-9967-11e1-a4c3-270EXAMPLE04</RequestId></ResponseMetadata>
</GetRoleResponse>)";

}  // namespace

TEST_CASE("xml_text reads the first element's text with entities decoded", "[aws][iam]") {
  CHECK(xml_text(kGetRole, "RoleName") == "svc-dev-us-east-1-lambdaRole");
  CHECK(xml_text(kGetRole, "Arn") == "arn:aws:iam::123456789012:role/svc-dev-us-east-1-lambdaRole");
  CHECK(xml_text(kGetRole, "Description") == "made by fx & kept <here>");
  CHECK(xml_text(kGetRole, "RequestId") == "df37e965-9967-11e1-a4c3-270EXAMPLE04");
  CHECK_FALSE(xml_text(kGetRole, "MaxSessionDuration").has_value());
  // A self-closed element is present and empty.
  CHECK(xml_text(kGetRole, "PermissionsBoundary") == "");
}

TEST_CASE("xml_elements returns every element in order, nested ones included", "[aws][iam]") {
  auto tags = xml_elements(kGetRole, "Tags");
  REQUIRE(tags.size() == 1);
  auto members = xml_elements(tags.front(), "member");
  REQUIRE(members.size() == 2);
  CHECK(xml_text(members[0], "Key") == "fx:service");
  CHECK(xml_text(members[1], "Value") == "a\"b");
  CHECK(xml_elements(kGetRole, "Nothing").empty());
  // An element that never closes is not returned half-read.
  CHECK(xml_elements("<A><B>open", "B").empty());
}
