#include "core/aws/iam.h"

#include <fmt/format.h>

#include "core/aws/service.h"
#include "core/util/http_client.h"

namespace fx::aws {

namespace {

std::string decode_entities(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    auto end = s.find(';', i);
    if (end == std::string_view::npos || end - i > 10) {
      out += s[i];
      continue;
    }
    std::string_view name = s.substr(i + 1, end - i - 1);
    if (name == "amp")
      out += '&';
    else if (name == "lt")
      out += '<';
    else if (name == "gt")
      out += '>';
    else if (name == "quot")
      out += '"';
    else if (name == "apos")
      out += '\'';
    else if (name.starts_with('#')) {
      unsigned long code = 0;
      try {
        code = name.size() > 1 && (name[1] == 'x' || name[1] == 'X')
                   ? std::stoul(std::string(name.substr(2)), nullptr, 16)
                   : std::stoul(std::string(name.substr(1)));
      } catch (const std::exception&) {
        out.append(s.substr(i, end - i + 1));
        i = end;
        continue;
      }
      // UTF-8 of the code point.
      if (code < 0x80) {
        out += static_cast<char>(code);
      } else if (code < 0x800) {
        out += static_cast<char>(0xC0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3F));
      } else if (code < 0x10000) {
        out += static_cast<char>(0xE0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
      } else {
        out += static_cast<char>(0xF0 | (code >> 18));
        out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
      }
    } else {
      out.append(s.substr(i, end - i + 1));
    }
    i = end;
  }
  return out;
}

IamRole role_from_xml(std::string_view xml) {
  IamRole role;
  auto body = xml_elements(xml, "Role");
  std::string_view r = body.empty() ? xml : body.front();
  role.name = xml_text(r, "RoleName").value_or("");
  role.arn = xml_text(r, "Arn").value_or("");
  for (auto tags : xml_elements(r, "Tags"))
    for (auto member : xml_elements(tags, "member"))
      role.tags[xml_text(member, "Key").value_or("")] = xml_text(member, "Value").value_or("");
  return role;
}

}  // namespace

std::vector<std::string_view> xml_elements(std::string_view xml, std::string_view tag) {
  std::vector<std::string_view> out;
  const std::string open = fmt::format("<{}>", tag), close = fmt::format("</{}>", tag);
  const std::string empty = fmt::format("<{}/>", tag);
  std::size_t at = 0;
  while (true) {
    auto start = xml.find(open, at);
    auto self_closed = xml.find(empty, at);
    if (self_closed != std::string_view::npos && self_closed < start) {
      out.push_back(xml.substr(self_closed, 0));
      at = self_closed + empty.size();
      continue;
    }
    if (start == std::string_view::npos) break;
    start += open.size();
    auto end = xml.find(close, start);
    if (end == std::string_view::npos) break;
    out.push_back(xml.substr(start, end - start));
    at = end + close.size();
  }
  return out;
}

std::optional<std::string> xml_text(std::string_view xml, std::string_view tag) {
  auto found = xml_elements(xml, tag);
  if (found.empty()) return std::nullopt;
  return decode_entities(found.front());
}

IamClient::IamClient(const AwsSettings& settings)
    : service_(std::make_unique<AwsService>(settings, "iam")) {}

IamClient::~IamClient() = default;

std::string IamClient::call(std::string_view action,
                            const std::vector<std::pair<std::string, std::string>>& params) {
  std::string body = fmt::format("Action={}&Version=2010-05-08", action);
  for (const auto& [k, v] : params) body += "&" + util::url_encode(k) + "=" + util::url_encode(v);
  return service_
      ->request("POST", "/", {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
                body)
      .body;
}

std::optional<IamRole> IamClient::get_role(const std::string& name) {
  try {
    return role_from_xml(call("GetRole", {{"RoleName", name}}));
  } catch (const ApiError& e) {
    if (e.type() == "NoSuchEntity" || e.status() == 404) return std::nullopt;
    throw;
  }
}

IamRole IamClient::create_role(const std::string& name, std::string_view trust_policy,
                               const std::string& description,
                               const std::map<std::string, std::string>& tags) {
  std::vector<std::pair<std::string, std::string>> params = {
      {"RoleName", name},
      {"AssumeRolePolicyDocument", std::string(trust_policy)},
      {"Description", description}};
  int n = 0;
  for (const auto& [k, v] : tags) {
    ++n;
    params.emplace_back(fmt::format("Tags.member.{}.Key", n), k);
    params.emplace_back(fmt::format("Tags.member.{}.Value", n), v);
  }
  return role_from_xml(call("CreateRole", params));
}

void IamClient::attach_role_policy(const std::string& role, std::string_view policy_arn) {
  call("AttachRolePolicy", {{"RoleName", role}, {"PolicyArn", std::string(policy_arn)}});
}

void IamClient::detach_role_policy(const std::string& role, std::string_view policy_arn) {
  try {
    call("DetachRolePolicy", {{"RoleName", role}, {"PolicyArn", std::string(policy_arn)}});
  } catch (const ApiError& e) {
    if (e.type() != "NoSuchEntity" && e.status() != 404) throw;
  }
}

std::vector<std::string> IamClient::attached_role_policies(const std::string& role) {
  std::vector<std::string> out;
  std::string marker;
  do {
    std::vector<std::pair<std::string, std::string>> params = {{"RoleName", role}};
    if (!marker.empty()) params.emplace_back("Marker", marker);
    std::string xml = call("ListAttachedRolePolicies", params);
    for (auto policies : xml_elements(xml, "AttachedPolicies"))
      for (auto member : xml_elements(policies, "member"))
        if (auto arn = xml_text(member, "PolicyArn")) out.push_back(*arn);
    marker = xml_text(xml, "IsTruncated").value_or("false") == "true"
                 ? xml_text(xml, "Marker").value_or("")
                 : "";
  } while (!marker.empty());
  return out;
}

std::optional<std::string> IamClient::get_role_policy(const std::string& role,
                                                      const std::string& name) {
  try {
    auto xml = call("GetRolePolicy", {{"RoleName", role}, {"PolicyName", name}});
    // IAM answers the document URL-encoded (RFC 3986), inside the XML.
    return util::url_decode(xml_text(xml, "PolicyDocument").value_or(""));
  } catch (const ApiError& e) {
    if (e.type() == "NoSuchEntity" || e.status() == 404) return std::nullopt;
    throw;
  }
}

void IamClient::put_role_policy(const std::string& role, const std::string& name,
                                const std::string& document) {
  call("PutRolePolicy", {{"RoleName", role}, {"PolicyName", name}, {"PolicyDocument", document}});
}

void IamClient::delete_role_policy(const std::string& role, const std::string& name) {
  try {
    call("DeleteRolePolicy", {{"RoleName", role}, {"PolicyName", name}});
  } catch (const ApiError& e) {
    if (e.type() != "NoSuchEntity" && e.status() != 404) throw;
  }
}

void IamClient::delete_role(const std::string& name) {
  call("DeleteRole", {{"RoleName", name}});
}

}  // namespace fx::aws
