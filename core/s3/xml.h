// The little XML that S3's requests carry (CreateBucketConfiguration, Delete,
// CompleteMultipartUpload, Tagging, CORSConfiguration): elements, text and the five entities
// plus character references. Namespaces are dropped to local names, attributes ignored; a DTD,
// CDATA or processing instruction other than the XML declaration is refused, as S3 refuses
// what it cannot read: MalformedXML.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/encoding.h"

namespace fx::s3 {

struct XmlNode {
  std::string name;  // local name: "Key" for <s3:Key>
  std::string text;  // the character data directly inside, entities resolved
  std::vector<XmlNode> children;

  // The first child of that name, or nullptr.
  const XmlNode* child(std::string_view child_name) const;
  // The text of the first child of that name, or "".
  std::string child_text(std::string_view child_name) const;
};

class XmlError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The document's root element. Throws XmlError on anything malformed, on invalid UTF-8 and on
// elements nested deeper than 32.
XmlNode parse_xml(std::string_view text);

// core/util/encoding.h: text made safe inside XML, and the UTF-8 check.
using util::valid_utf8;
using util::xml_escape;

}  // namespace fx::s3
