// Byte-level checks and escapes that every wire format fx speaks needs alike: whether bytes are
// UTF-8 (an S3 key, an SNS message, a gateway body), and text made safe inside XML (S3's and
// SNS's answers).
#pragma once

#include <string>
#include <string_view>

namespace fx::util {

// Whether the bytes are valid UTF-8: no overlong forms, no UTF-16 surrogates, nothing past
// U+10FFFF, no truncated sequence.
bool valid_utf8(std::string_view text);

// Text made safe for an XML element's content or an attribute value. Control characters XML 1.0
// cannot carry (all below U+0020 but tab and newline) become character references, as AWS's
// XML services send them: a reader of XML 1.0 then refuses them, as it refuses AWS's.
std::string xml_escape(std::string_view text);

}  // namespace fx::util
