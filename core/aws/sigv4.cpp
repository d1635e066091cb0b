// The canonical forms follow botocore's SigV4Auth (botocore/auth.py), which is what AWS's own
// SDKs agree on and what the unit tests compare against byte for byte.
#include "core/aws/sigv4.h"

#include <algorithm>
#include <cctype>
#include <ctime>

#include <fmt/format.h>

#include "core/util/hash.h"
#include "core/util/text.h"

namespace fx::aws {

namespace {

struct UrlParts {
  std::string scheme;
  std::string host;  // lower-cased; IPv6 keeps its brackets
  std::string port;  // "" when the URL has none
  std::string path;
  std::string query;
};

UrlParts split_url(std::string_view url) {
  UrlParts u;
  if (auto hash = url.find('#'); hash != std::string_view::npos) url = url.substr(0, hash);
  auto scheme_end = url.find("://");
  if (scheme_end != std::string_view::npos) {
    u.scheme = url.substr(0, scheme_end);
    url.remove_prefix(scheme_end + 3);
  }
  auto authority_end = url.find_first_of("/?");
  std::string_view authority = url.substr(0, authority_end);
  url = authority_end == std::string_view::npos ? std::string_view() : url.substr(authority_end);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    u.host = authority.substr(0, colon);
    u.port = authority.substr(colon + 1);
  } else {
    u.host = authority;
  }
  std::transform(u.host.begin(), u.host.end(), u.host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto q = url.find('?');
  u.path = url.substr(0, q);
  if (q != std::string_view::npos) u.query = url.substr(q + 1);
  return u;
}

// botocore's _host_from_url: the port only when it is not the scheme's default.
std::string host_of(const UrlParts& u) {
  bool default_port = u.port.empty() || (u.scheme == "http" && u.port == "80") ||
                      (u.scheme == "https" && u.port == "443");
  return default_port ? u.host : u.host + ":" + u.port;
}

bool is_unreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

std::string uri_encode(std::string_view text, bool keep_slash) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (is_unreserved(c) || (keep_slash && c == '/'))
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

// RFC 3986 section 5.2.4, plus the removal of empty segments ("a//b") that AWS expects;
// the same as botocore's remove_dot_segments.
std::string remove_dot_segments(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    auto end = slash == std::string_view::npos ? path.size() : slash;
    std::string_view seg = path.substr(start, end - start);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    start = end + 1;
  }
  std::string out = path.front() == '/' ? "/" : "";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out += '/';
    out += segments[i];
  }
  if (path.back() == '/' && !segments.empty()) out += '/';
  return out;
}

// Non-S3 services sign the path as it is sent, encoded once more: a name the client already
// sent as "my%3Afn" is signed as "my%253Afn". This is what AWS verifies and what botocore
// does (quote(normalize_url_path(path), safe='/~')).
std::string canonical_uri(std::string_view path) {
  return uri_encode(remove_dot_segments(path), true);
}

// Keys and values are decoded, then encoded the RFC 3986 way, so a query sent already
// encoded ("a%20b") and one sent raw ("a b") sign the same; sorted by key, then value.
std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    auto amp = query.find('&', start);
    auto end = amp == std::string_view::npos ? query.size() : amp;
    std::string_view pair = query.substr(start, end - start);
    if (!pair.empty()) {
      auto eq = pair.find('=');
      std::string_view key = pair.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
      pairs.emplace_back(uri_encode(util::url_decode(key), false),
                         uri_encode(util::url_decode(value), false));
    }
    start = end + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

using util::ascii_lower;

// Trimmed, with runs of whitespace collapsed to one space (botocore: ' '.join(v.split())).
std::string canonical_header_value(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (unsigned char c : value) {
    if (std::isspace(c)) {
      pending_space = !out.empty();
    } else {
      if (pending_space) out += ' ';
      pending_space = false;
      out += static_cast<char>(c);
    }
  }
  return out;
}

// Headers that proxies and HTTP stacks may change on the way; botocore never signs them.
bool is_unsigned_header(std::string_view lower_name) {
  return lower_name == "expect" || lower_name == "transfer-encoding" ||
         lower_name == "user-agent" || lower_name == "x-amzn-trace-id" ||
         lower_name == "authorization";
}

std::string format_amz_date(std::chrono::system_clock::time_point now) {
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// The headers that go out with the signature: the caller's, without stale signing headers.
HeaderList with_signing_headers(HeaderList headers, const std::string& amz_date,
                                const AwsCredentials& credentials) {
  std::erase_if(headers, [](const auto& h) {
    return util::iequals(h.first, "X-Amz-Date") || util::iequals(h.first, "Authorization") ||
           util::iequals(h.first, "X-Amz-Security-Token");
  });
  headers.emplace_back("X-Amz-Date", amz_date);
  if (!credentials.session_token.empty())
    headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  return headers;
}

}  // namespace

Signature sigv4_signature(const SigningInput& input, const AwsCredentials& credentials) {
  return sigv4_signature(input, credentials, SigningExtras{});
}

Signature sigv4_signature(const SigningInput& input, const AwsCredentials& credentials,
                          const SigningExtras& extras) {
  Signature sig;
  sig.amz_date = format_amz_date(input.now);
  const std::string date = sig.amz_date.substr(0, 8);
  UrlParts url = split_url(input.url);
  HeaderList headers = extras.query_auth
                           ? input.headers
                           : with_signing_headers(input.headers, sig.amz_date, credentials);

  // name -> values in the order sent; a repeated header signs as "v1,v2".
  std::vector<std::pair<std::string, std::string>> canonical;
  bool has_host = false;
  for (const auto& [name, value] : headers) {
    std::string key = ascii_lower(canonical_header_value(name));
    if (is_unsigned_header(key)) continue;
    has_host = has_host || key == "host";
    std::string v = canonical_header_value(value);
    auto it = std::find_if(canonical.begin(), canonical.end(),
                           [&](const auto& h) { return h.first == key; });
    if (it == canonical.end())
      canonical.emplace_back(key, v);
    else
      it->second += "," + v;
  }
  if (!has_host) canonical.emplace_back("host", host_of(url));
  std::sort(canonical.begin(), canonical.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });

  std::string canonical_headers, signed_headers;
  for (const auto& [k, v] : canonical) {
    canonical_headers += k + ":" + v + "\n";
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += k;
  }

  std::string method = input.method;
  std::transform(method.begin(), method.end(), method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  // S3 signs the path as sent: encoded once, dot segments kept (an object key may hold them).
  const std::string uri = input.service == "s3" ? std::string(url.path) : canonical_uri(url.path);
  sig.canonical_request =
      fmt::format("{}\n{}\n{}\n{}\n{}\n{}", method, uri, canonical_query(url.query),
                  canonical_headers, signed_headers,
                  extras.payload_hash.empty() ? util::sha256_hex(input.body) : extras.payload_hash);

  const std::string scope = fmt::format("{}/{}/{}/aws4_request", date, input.region, input.service);
  sig.string_to_sign = fmt::format("AWS4-HMAC-SHA256\n{}\n{}\n{}", sig.amz_date, scope,
                                   util::sha256_hex(sig.canonical_request));

  std::string key = util::hmac_sha256_raw("AWS4" + credentials.secret_access_key, date);
  key = util::hmac_sha256_raw(key, input.region);
  key = util::hmac_sha256_raw(key, input.service);
  key = util::hmac_sha256_raw(key, "aws4_request");
  std::string signature = util::to_hex(util::hmac_sha256_raw(key, sig.string_to_sign));

  sig.authorization =
      fmt::format("AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={}, Signature={}",
                  credentials.access_key_id, scope, signed_headers, signature);
  return sig;
}

HeaderList sign_v4(SigningInput input, const AwsCredentials& credentials) {
  Signature sig = sigv4_signature(input, credentials);
  HeaderList headers = with_signing_headers(std::move(input.headers), sig.amz_date, credentials);
  headers.emplace_back("Authorization", sig.authorization);
  return headers;
}

}  // namespace fx::aws
