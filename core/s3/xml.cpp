#include "core/s3/xml.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdint>

namespace fx::s3 {

const XmlNode* XmlNode::child(std::string_view child_name) const {
  for (const auto& c : children)
    if (c.name == child_name) return &c;
  return nullptr;
}

std::string XmlNode::child_text(std::string_view child_name) const {
  const XmlNode* c = child(child_name);
  return c ? c->text : std::string();
}

namespace {

constexpr int kMaxDepth = 32;

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  XmlNode document() {
    if (!valid_utf8(s_)) fail("the document is not valid UTF-8");
    if (s_.starts_with("\xEF\xBB\xBF")) i_ = 3;
    skip_misc(true);
    if (i_ >= s_.size() || s_[i_] != '<') fail("no root element");
    XmlNode root = element(0);
    skip_misc(false);
    if (i_ != s_.size()) fail("content after the root element");
    return root;
  }

 private:
  [[noreturn]] void fail(std::string_view why) const {
    throw XmlError(fmt::format("{} (at byte {})", why, i_));
  }
  bool at(std::string_view lit) const { return s_.substr(i_).starts_with(lit); }
  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r' || s_[i_] == '\n'))
      ++i_;
  }
  void skip_comment() {
    auto end = s_.find("-->", i_ + 4);
    if (end == std::string_view::npos) fail("an unterminated comment");
    i_ = end + 3;
  }
  // Whitespace and comments around the root; the declaration only first.
  void skip_misc(bool prolog) {
    while (true) {
      skip_space();
      if (prolog && at("<?xml")) {
        auto end = s_.find("?>", i_);
        if (end == std::string_view::npos) fail("an unterminated XML declaration");
        i_ = end + 2;
        prolog = false;
        continue;
      }
      if (at("<!--")) {
        skip_comment();
        continue;
      }
      if (at("<!") || at("<?")) fail("DTDs and processing instructions are not accepted");
      return;
    }
  }
  static bool name_char(char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x80 || std::isalnum(u) || c == '_' || c == '-' || c == '.' || c == ':';
  }
  std::string_view name() {
    std::size_t start = i_;
    while (i_ < s_.size() && name_char(s_[i_])) ++i_;
    if (i_ == start) fail("an element name was expected");
    return s_.substr(start, i_ - start);
  }
  static std::string local(std::string_view qname) {
    auto colon = qname.rfind(':');
    return std::string(colon == std::string_view::npos ? qname : qname.substr(colon + 1));
  }
  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  void entity(std::string& out) {
    auto end = s_.find(';', i_);
    if (end == std::string_view::npos || end - i_ > 12) fail("an unterminated entity reference");
    std::string_view ref = s_.substr(i_ + 1, end - i_ - 1);
    i_ = end + 1;
    if (ref == "amp") return void(out += '&');
    if (ref == "lt") return void(out += '<');
    if (ref == "gt") return void(out += '>');
    if (ref == "quot") return void(out += '"');
    if (ref == "apos") return void(out += '\'');
    if (ref.size() >= 2 && ref[0] == '#') {
      bool hex = ref[1] == 'x';
      std::string_view digits = ref.substr(hex ? 2 : 1);
      if (digits.empty()) fail("an empty character reference");
      std::uint32_t cp = 0;
      for (char c : digits) {
        int v;
        if (c >= '0' && c <= '9')
          v = c - '0';
        else if (hex && c >= 'a' && c <= 'f')
          v = c - 'a' + 10;
        else if (hex && c >= 'A' && c <= 'F')
          v = c - 'A' + 10;
        else
          fail("an invalid character reference");
        cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(v);
        if (cp > 0x10FFFF) fail("a character reference beyond Unicode");
      }
      if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) fail("an invalid character reference");
      return append_utf8(out, cp);
    }
    fail("an unknown entity");
  }
  XmlNode element(int depth) {
    if (depth >= kMaxDepth) fail("elements nested too deep");
    ++i_;  // '<'
    std::string_view qname = name();
    XmlNode node;
    node.name = local(qname);
    // Attributes (namespace declarations): skipped, but they must be well formed.
    while (true) {
      skip_space();
      if (i_ >= s_.size()) fail("an unterminated start tag");
      if (at("/>")) {
        i_ += 2;
        return node;
      }
      if (s_[i_] == '>') {
        ++i_;
        break;
      }
      name();
      skip_space();
      if (i_ >= s_.size() || s_[i_] != '=') fail("an attribute without a value");
      ++i_;
      skip_space();
      if (i_ >= s_.size() || (s_[i_] != '"' && s_[i_] != '\'')) fail("an unquoted attribute");
      auto end = s_.find(s_[i_], i_ + 1);
      if (end == std::string_view::npos) fail("an unterminated attribute");
      if (s_.substr(i_, end - i_).find('<') != std::string_view::npos) fail("'<' in an attribute");
      i_ = end + 1;
    }
    // Content: text, child elements, comments, until the matching end tag.
    while (true) {
      if (i_ >= s_.size()) fail(fmt::format("no end tag for <{}>", qname));
      char c = s_[i_];
      if (c == '&') {
        entity(node.text);
      } else if (c != '<') {
        node.text += c;
        ++i_;
      } else if (at("</")) {
        i_ += 2;
        if (name() != qname) fail(fmt::format("the end tag does not match <{}>", qname));
        skip_space();
        if (i_ >= s_.size() || s_[i_] != '>') fail("an unterminated end tag");
        ++i_;
        return node;
      } else if (at("<!--")) {
        skip_comment();
      } else if (at("<!") || at("<?")) {
        fail("CDATA sections and processing instructions are not accepted");
      } else {
        node.children.push_back(element(depth + 1));
      }
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

XmlNode parse_xml(std::string_view text) {
  return Parser(text).document();
}

}  // namespace fx::s3
