// S3's pieces below the HTTP layer: the XML reader, aws-chunked decoding, ETags, bucket names,
// and listing pagination through the API over a real store (SQLite and files).
#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "core/s3/api.h"
#include "core/s3/chunked.h"
#include "core/s3/store.h"
#include "core/s3/xml.h"
#include "core/util/hash.h"
#include "tests/unit/temp_dir.h"

using namespace fx;

TEST_CASE("the XML reader takes S3's request documents", "[s3]") {
  auto doc = s3::parse_xml(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Delete xmlns=\"http://s3.amazonaws.com/doc/"
      "2006-03-01/\"><!-- c --><Object><Key>a&amp;b &#233;&#x41;</Key></Object>"
      "<Object><Key/></Object><Quiet>true</Quiet></Delete>");
  CHECK(doc.name == "Delete");
  REQUIRE(doc.children.size() == 3);
  CHECK(doc.children[0].child_text("Key") ==
        "a&b \xC3\xA9"
        "A");
  CHECK(doc.children[1].child_text("Key").empty());
  CHECK(doc.child_text("Quiet") == "true");
  CHECK(s3::parse_xml("<s3:A xmlns:s3='x'><s3:B>1</s3:B></s3:A>").child_text("B") == "1");
}

TEST_CASE("the XML reader refuses what is not well formed", "[s3]") {
  for (const char* bad : {"", "<a>", "<a></b>", "<a>&unknown;</a>", "<a>&#0;</a>",
                          "<a>&#xD800;</a>", "<!DOCTYPE a><a/>", "<a><![CDATA[x]]></a>", "<a/><b/>",
                          "<a x=1/>", "<a>\xff</a>", "text", "<a></a>junk"}) {
    INFO(bad);
    CHECK_THROWS_AS(s3::parse_xml(bad), s3::XmlError);
  }
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "<a>";
  for (int i = 0; i < 40; ++i) deep += "</a>";
  CHECK_THROWS_AS(s3::parse_xml(deep), s3::XmlError);
  CHECK(s3::xml_escape("<&>\"'") == "&lt;&amp;&gt;&quot;&apos;");
}

TEST_CASE("valid_utf8 refuses overlongs, surrogates and cut sequences", "[s3]") {
  CHECK(s3::valid_utf8("plain \xC3\xA9 \xF0\x9F\x98\x80"));
  CHECK_FALSE(s3::valid_utf8("\xC0\xAF"));
  CHECK_FALSE(s3::valid_utf8("\xED\xA0\x80"));
  CHECK_FALSE(s3::valid_utf8("\xE2\x82"));
  CHECK_FALSE(s3::valid_utf8("\xF4\x90\x80\x80"));
}

TEST_CASE("aws-chunked bodies decode a byte at a time as in one piece", "[s3]") {
  const std::string framed =
      "5;chunk-signature=abc\r\nhello\r\n6;chunk-signature=def\r\n world\r\n"
      "0;chunk-signature=0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
  for (std::size_t step : {framed.size(), std::size_t{1}, std::size_t{7}}) {
    s3::ChunkDecoder d;
    std::string out;
    for (std::size_t i = 0; i < framed.size(); i += step)
      d.feed(std::string_view(framed).substr(i, step), out);
    CHECK(out == "hello world");
    CHECK(d.done());
    REQUIRE(d.trailers().size() == 1);
    CHECK(d.trailers()[0].first == "x-amz-checksum-crc32");
    CHECK(d.trailers()[0].second == "AAAAAA==");
  }
  s3::ChunkDecoder plain;
  std::string out;
  plain.feed("3\r\nabc\r\n0\r\n\r\n", out);
  CHECK((out == "abc" && plain.done()));
}

TEST_CASE("malformed aws-chunked framing is an error", "[s3]") {
  for (const char* bad :
       {"zz\r\nab\r\n", "2\r\nabc\r\n", "2\nab\r\n", "2\r\nab\r\n0\r\nbad\r\n\r\n",
        "0\r\n\r\nextra", "10000000000000000\r\n"}) {
    INFO(bad);
    s3::ChunkDecoder d;
    std::string out;
    CHECK_THROWS_AS(d.feed(bad, out), s3::ChunkError);
  }
  s3::ChunkDecoder cut;
  std::string out;
  cut.feed("5\r\nhel", out);
  CHECK_FALSE(cut.done());
}

TEST_CASE("a multipart ETag is the MD5 of the parts' MD5s, then -N", "[s3]") {
  std::string a = util::md5_hex("part one"), b = util::md5_hex("part two");
  std::string raw;
  for (const auto& h : {a, b})
    for (std::size_t i = 0; i < h.size(); i += 2)
      raw += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
  CHECK(s3::multipart_etag({a, b}) == util::md5_hex(raw) + "-2");
}

TEST_CASE("bucket names follow S3's rules", "[s3]") {
  for (const char* good : {"abc", "my-bucket.1", "a1b"}) CHECK(s3::valid_bucket_name(good));
  for (const char* bad : {"ab", "Upper", "under_score", "-start", "end-", "a..b", "192.168.1.1",
                          "xn--abc", "a.-b", "x-s3alias"})
    CHECK_FALSE(s3::valid_bucket_name(bad));
  std::string long_name(64, 'a');
  CHECK_FALSE(s3::valid_bucket_name(long_name));
}

namespace {

s3::Response call(s3::Store& store, std::string method, std::string path, std::string query = "",
                  std::string body = "") {
  s3::Request r;
  r.method = std::move(method);
  r.host = "127.0.0.1:1";
  r.path = std::move(path);
  r.query = std::move(query);
  r.body = std::move(body);
  return s3::handle(store, r);
}

}  // namespace

TEST_CASE("listing pages through keys and common prefixes without repeats", "[s3]") {
  test::TempDir dir("s3");
  s3::Store store(dir.path / "s3");
  REQUIRE(call(store, "PUT", "/bkt").status == 200);
  for (const char* k : {"a/1", "a/2", "b", "c/x/1", "c/y", "d"})
    REQUIRE(call(store, "PUT", std::string("/bkt/") + k, "", k).status == 200);
  // Delimiter "/" with one entry per page: a/, b, c/, d, each once.
  std::vector<std::string> seen;
  std::string token;
  for (int page = 0; page < 10; ++page) {
    std::string q = "list-type=2&delimiter=%2F&max-keys=1";
    if (!token.empty()) q += "&continuation-token=" + token;
    auto r = call(store, "GET", "/bkt", q);
    REQUIRE(r.status == 200);
    auto at = r.body.find("<Prefix>", r.body.find("<CommonPrefixes>"));
    if (r.body.find("<CommonPrefixes>") != std::string::npos)
      seen.push_back(r.body.substr(at + 8, r.body.find("</Prefix>", at) - at - 8));
    if (auto k = r.body.find("<Key>"); k != std::string::npos)
      seen.push_back(r.body.substr(k + 5, r.body.find("</Key>", k) - k - 5));
    auto t = r.body.find("<NextContinuationToken>");
    if (t == std::string::npos) break;
    // The token is base64: its '+', '/' and '=' are escaped in a query.
    token.clear();
    for (std::size_t i = t + 23; r.body[i] != '<'; ++i) {
      char c = r.body[i];
      token += c == '+' ? "%2B" : c == '/' ? "%2F" : c == '=' ? "%3D" : std::string(1, c);
    }
  }
  CHECK(seen == std::vector<std::string>{"a/", "b", "c/", "d"});
  // max-keys out of range.
  CHECK(call(store, "GET", "/bkt", "list-type=2&max-keys=-1").status == 400);
  CHECK(call(store, "GET", "/bkt", "list-type=2&max-keys=x").status == 400);
  CHECK(call(store, "GET", "/bkt", "encoding-type=zip").status == 400);
  // The objects' files live under objects/, named by id: no key becomes a path.
  CHECK(call(store, "PUT", "/bkt/../../escape", "", "x").status == 200);
  CHECK_FALSE(std::filesystem::exists(dir.path / "escape"));
  CHECK(call(store, "DELETE", "/bkt").status == 409);
}
