"""S3 buckets on the emulator: the AWS CLI (`aws s3 cp/ls/rm/sync`, `aws s3api`) and boto3 against
the real fx emulator, a 50 MiB multipart upload whose emulator memory stays far below the
object's size (VmHWM), presigned PUT and GET with urllib (and a browser-style one with Origin
and CORS), an expired and a forged presigned URL, a Python function using boto3 with no
endpoint of its own, attacks that must be S3's 4xx answers and never a dead emulator, and a
differential class running the same boto3 calls against fx and `python3 -m moto.server`.
"""
import datetime
import hashlib
import http.client
import json
import os
import subprocess
import urllib.error
import urllib.parse
import urllib.request

import boto3
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from awstest import DifferentialCase
from fxtest import FxTestCase, main


AUTH = ("AWS4-HMAC-SHA256 Credential=fx/20260101/us-east-1/s3/aws4_request, "
        "SignedHeaders=host, Signature=00")


def s3(url, key="fx", secret="fx", token=None, style="path"):
    return boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        aws_session_token=token,
                        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": style},
                                      signature_version="s3v4"))


def raw(url, method, path, body=b"", headers=None):
    """One raw request signed with a dummy SigV4 scope of s3: (status, headers, body)."""
    conn = http.client.HTTPConnection(url.split("//", 1)[1], timeout=60)
    try:
        conn.request(method, path, body, {"Authorization": AUTH, **(headers or {})})
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


def code_of(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"]
    raise AssertionError("the call succeeded")


def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


class S3ApiTest(FxTestCase):
    """The object API through the AWS CLI and boto3, streaming, presigned URLs, attacks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.c = s3(cls.url)
        with open(os.path.join(cls.home, "instance-credentials")) as f:
            cls.creds = json.load(f)

    def aws(self, *args, ok=True):
        env = dict(self.env, AWS_ACCESS_KEY_ID="fx", AWS_SECRET_ACCESS_KEY="fx",
                   AWS_DEFAULT_REGION="us-east-1")
        p = subprocess.run(["aws", *args, "--endpoint-url", self.url], capture_output=True,
                           text=True, env=env, timeout=300)
        if ok:
            self.assertEqual(p.returncode, 0, p.stderr)
        else:
            self.assertNotEqual(p.returncode, 0, p.stdout)
        return p

    def alive(self):
        self.assertIn("Buckets", self.c.list_buckets())

    def test_cli_cp_ls_sync_rm(self):
        self.aws("s3", "mb", "s3://cli-bucket")
        src = os.path.join(self.root, "sync-src")
        os.makedirs(os.path.join(src, "sub dir"))
        files = {"a.txt": b"alpha", "sub dir/b.bin": os.urandom(3000), "sub dir/c é.txt": b"\xc3\xa9"}
        for name, data in files.items():
            with open(os.path.join(src, name), "wb") as f:
                f.write(data)
        self.aws("s3", "sync", src, "s3://cli-bucket/up")
        listing = self.aws("s3", "ls", "--recursive", "s3://cli-bucket/").stdout
        for name in files:
            self.assertIn("up/" + name, listing)
        top = self.aws("s3", "ls", "s3://cli-bucket/up/").stdout
        self.assertIn("PRE sub dir/", top)
        dst = os.path.join(self.root, "sync-dst")
        self.aws("s3", "sync", "s3://cli-bucket/up", dst)
        for name, data in files.items():
            with open(os.path.join(dst, name), "rb") as f:
                self.assertEqual(f.read(), data, name)
        # A second sync finds nothing to copy: sizes and times agree.
        self.assertEqual(self.aws("s3", "sync", src, "s3://cli-bucket/up").stdout.strip(), "")
        self.aws("s3", "cp", os.path.join(src, "a.txt"), "s3://cli-bucket/one.txt")
        out = os.path.join(self.root, "one.txt")
        self.aws("s3", "cp", "s3://cli-bucket/one.txt", out)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), b"alpha")
        head = json.loads(self.aws("s3api", "head-object", "--bucket", "cli-bucket", "--key",
                                   "one.txt").stdout)
        self.assertEqual(head["ETag"], '"%s"' % hashlib.md5(b"alpha").hexdigest())
        self.assertEqual(head["ContentLength"], 5)
        # rb refuses a bucket with objects (BucketNotEmpty); --force empties it first.
        p = self.aws("s3", "rb", "s3://cli-bucket", ok=False)
        self.assertIn("BucketNotEmpty", p.stderr)
        self.aws("s3", "rm", "--recursive", "s3://cli-bucket/")
        self.assertEqual(self.c.list_objects_v2(Bucket="cli-bucket")["KeyCount"], 0)
        self.aws("s3", "rb", "s3://cli-bucket")
        self.assertEqual(code_of(self.c.head_bucket, Bucket="cli-bucket"), "404")

    def test_objects_metadata_conditions_ranges(self):
        c = self.c
        c.create_bucket(Bucket="objs")
        # AWS: 200 again in us-east-1 (legacy), BucketAlreadyOwnedByYou elsewhere.
        c.create_bucket(Bucket="objs")
        c.create_bucket(Bucket="objs-west", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        self.assertEqual(code_of(c.create_bucket, Bucket="objs-west", CreateBucketConfiguration={
            "LocationConstraint": "us-west-2"}), "BucketAlreadyOwnedByYou")
        put = c.put_object(Bucket="objs", Key="dir/x.txt", Body=b"0123456789",
                           ContentType="text/plain", ContentEncoding="identity",
                           ContentDisposition="attachment", CacheControl="max-age=5",
                           Metadata={"Owner": "me", "n": "1"}, Tagging="a=1&b=two")
        etag = put["ETag"]
        self.assertEqual(etag, '"%s"' % hashlib.md5(b"0123456789").hexdigest())
        got = c.get_object(Bucket="objs", Key="dir/x.txt")
        self.assertEqual(got["Body"].read(), b"0123456789")
        self.assertEqual(got["ContentType"], "text/plain")
        self.assertEqual(got["ContentDisposition"], "attachment")
        self.assertEqual(got["CacheControl"], "max-age=5")
        self.assertEqual(got["Metadata"], {"owner": "me", "n": "1"})
        self.assertEqual(got["TagCount"], 2)
        self.assertEqual(c.get_object_tagging(Bucket="objs", Key="dir/x.txt")["TagSet"],
                         [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "two"}])
        c.put_object_tagging(Bucket="objs", Key="dir/x.txt",
                             Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
        self.assertEqual(c.get_object_tagging(Bucket="objs", Key="dir/x.txt")["TagSet"],
                         [{"Key": "k", "Value": "v"}])
        # Ranges.
        r = c.get_object(Bucket="objs", Key="dir/x.txt", Range="bytes=2-4")
        self.assertEqual((r["Body"].read(), r["ContentRange"]), (b"234", "bytes 2-4/10"))
        self.assertEqual(c.get_object(Bucket="objs", Key="dir/x.txt", Range="bytes=-3")["Body"].read(), b"789")
        self.assertEqual(c.get_object(Bucket="objs", Key="dir/x.txt", Range="bytes=7-")["Body"].read(), b"789")
        self.assertEqual(code_of(c.get_object, Bucket="objs", Key="dir/x.txt", Range="bytes=10-20"),
                         "InvalidRange")
        # Conditions.
        self.assertEqual(c.get_object(Bucket="objs", Key="dir/x.txt", IfMatch=etag)["Body"].read(),
                         b"0123456789")
        self.assertEqual(code_of(c.get_object, Bucket="objs", Key="dir/x.txt", IfMatch='"nope"'),
                         "PreconditionFailed")
        self.assertEqual(code_of(c.get_object, Bucket="objs", Key="dir/x.txt", IfNoneMatch=etag), "304")
        later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
        earlier = later - datetime.timedelta(days=1)
        self.assertEqual(code_of(c.get_object, Bucket="objs", Key="dir/x.txt", IfModifiedSince=later), "304")
        self.assertEqual(code_of(c.get_object, Bucket="objs", Key="dir/x.txt",
                                 IfUnmodifiedSince=earlier), "PreconditionFailed")
        # Copy: metadata kept (COPY) or replaced (REPLACE); to itself only with REPLACE.
        c.copy_object(Bucket="objs", Key="copy.txt", CopySource={"Bucket": "objs", "Key": "dir/x.txt"})
        self.assertEqual(c.head_object(Bucket="objs", Key="copy.txt")["Metadata"], {"owner": "me", "n": "1"})
        c.copy_object(Bucket="objs", Key="copy.txt", CopySource="objs/copy.txt",
                      MetadataDirective="REPLACE", Metadata={"new": "yes"}, ContentType="a/b")
        h = c.head_object(Bucket="objs", Key="copy.txt")
        self.assertEqual((h["Metadata"], h["ContentType"], h["ContentLength"]), ({"new": "yes"}, "a/b", 10))
        self.assertEqual(code_of(c.copy_object, Bucket="objs", Key="copy.txt", CopySource="objs/copy.txt"),
                         "InvalidRequest")
        self.assertEqual(code_of(c.copy_object, Bucket="objs", Key="c2", CopySource="objs/none"), "NoSuchKey")
        # Content-MD5.
        self.assertEqual(code_of(c.put_object, Bucket="objs", Key="md5", Body=b"abc",
                                 ContentMD5="AAAAAAAAAAAAAAAAAAAAAA=="), "BadDigest")
        # Delete, DeleteObjects (Quiet), and the errors of what is not there.
        c.delete_object(Bucket="objs", Key="copy.txt")
        self.assertEqual(code_of(c.get_object, Bucket="objs", Key="copy.txt"), "NoSuchKey")
        self.assertEqual(code_of(c.head_object, Bucket="objs", Key="copy.txt"), "404")
        d = c.delete_objects(Bucket="objs", Delete={"Objects": [{"Key": "dir/x.txt"}, {"Key": "none"}]})
        self.assertEqual(sorted(x["Key"] for x in d["Deleted"]), ["dir/x.txt", "none"])
        c.put_object(Bucket="objs", Key="q", Body=b"")
        d = c.delete_objects(Bucket="objs", Delete={"Objects": [{"Key": "q"}], "Quiet": True})
        self.assertNotIn("Deleted", d)
        self.assertEqual(code_of(c.get_object, Bucket="nobucket", Key="k"), "NoSuchBucket")
        c.delete_bucket(Bucket="objs")

    def test_listing_pages_prefixes_and_encoding(self):
        c = self.c
        c.create_bucket(Bucket="lists")
        keys = [f"p/{i:02d}" for i in range(7)] + ["a/1", "a/2", "b/x/1", "top", "z y"]
        for k in keys:
            c.put_object(Bucket="lists", Key=k, Body=k.encode())
        pages, token = [], None
        while True:
            kw = {"ContinuationToken": token} if token else {}
            r = c.list_objects_v2(Bucket="lists", MaxKeys=3, **kw)
            pages.append([o["Key"] for o in r.get("Contents", [])])
            if not r["IsTruncated"]:
                break
            token = r["NextContinuationToken"]
        self.assertEqual(sum(pages, []), sorted(keys))
        self.assertEqual(len(pages), 4)
        r = c.list_objects_v2(Bucket="lists", Delimiter="/")
        self.assertEqual([p["Prefix"] for p in r["CommonPrefixes"]], ["a/", "b/", "p/"])
        self.assertEqual([o["Key"] for o in r["Contents"]], ["top", "z y"])
        # Common prefixes count against MaxKeys and page like keys.
        seen, token = [], None
        while True:
            kw = {"ContinuationToken": token} if token else {}
            r = c.list_objects_v2(Bucket="lists", Delimiter="/", MaxKeys=2, **kw)
            seen += [p["Prefix"] for p in r.get("CommonPrefixes", [])] + [o["Key"] for o in r.get("Contents", [])]
            if not r["IsTruncated"]:
                break
            token = r["NextContinuationToken"]
        self.assertEqual(sorted(seen), ["a/", "b/", "p/", "top", "z y"])
        r = c.list_objects_v2(Bucket="lists", Prefix="p/", StartAfter="p/04")
        self.assertEqual([o["Key"] for o in r["Contents"]], ["p/05", "p/06"])
        r = c.list_objects(Bucket="lists", Prefix="p/", Marker="p/01", MaxKeys=2)
        self.assertEqual([o["Key"] for o in r["Contents"]], ["p/02", "p/03"])
        self.assertTrue(r["IsTruncated"])
        r = raw(self.url, "GET", "/lists?list-type=2&encoding-type=url&prefix=z")
        self.assertIn(b"<Key>z%20y</Key>", r[2])
        status, _, body = raw(self.url, "GET", "/lists?list-type=2&max-keys=-1")
        self.assertEqual(status, 400)
        self.assertIn(b"<Code>InvalidArgument</Code>", body)

    def test_multipart_50mib_streams(self):
        """`aws s3 cp` uploads 50 MiB in parts; the emulator's peak RSS grows far less than that."""
        self.c.create_bucket(Bucket="big")
        path = os.path.join(self.root, "big.bin")
        block = os.urandom(1 << 20)
        md5 = hashlib.md5()
        with open(path, "wb") as f:
            for i in range(50):
                chunk = block[i:] + block[:i]
                f.write(chunk)
                md5.update(chunk)
        before = vm_hwm_kib(self.pid)
        self.aws("s3", "cp", path, "s3://big/big.bin")
        out = os.path.join(self.root, "big.out")
        self.aws("s3", "cp", "s3://big/big.bin", out)
        grown = vm_hwm_kib(self.pid) - before
        with open(out, "rb") as f:
            self.assertEqual(hashlib.md5(f.read()).hexdigest(), md5.hexdigest())
        head = self.c.head_object(Bucket="big", Key="big.bin")
        self.assertEqual(head["ContentLength"], 50 << 20)
        self.assertRegex(head["ETag"], r'^"[0-9a-f]{32}-\d+"$')
        # 50 MiB went through; a streaming emulator holds a few buffers of it at most.
        self.assertLess(grown, 16 * 1024, f"the emulator's peak RSS grew by {grown} KiB")
        # The multipart rules: small parts, wrong ETags, unknown uploads.
        c = self.c
        up = c.create_multipart_upload(Bucket="big", Key="parts")["UploadId"]
        e1 = c.upload_part(Bucket="big", Key="parts", UploadId=up, PartNumber=1, Body=b"a" * 100)["ETag"]
        e2 = c.upload_part(Bucket="big", Key="parts", UploadId=up, PartNumber=2, Body=b"b")["ETag"]
        self.assertEqual([p["PartNumber"] for p in c.list_parts(Bucket="big", Key="parts", UploadId=up)["Parts"]], [1, 2])
        self.assertEqual(code_of(c.complete_multipart_upload, Bucket="big", Key="parts", UploadId=up,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1},
                                                            {"PartNumber": 2, "ETag": e2}]}), "EntityTooSmall")
        self.assertEqual(code_of(c.complete_multipart_upload, Bucket="big", Key="parts", UploadId=up,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"00"'}]}), "InvalidPart")
        done = c.complete_multipart_upload(Bucket="big", Key="parts", UploadId=up,
                                           MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2}]})
        expected = hashlib.md5(bytes.fromhex(e2.strip('"'))).hexdigest() + "-1"
        self.assertEqual(done["ETag"], f'"{expected}"')
        self.assertEqual(code_of(c.list_parts, Bucket="big", Key="parts", UploadId=up), "NoSuchUpload")
        up2 = c.create_multipart_upload(Bucket="big", Key="gone")["UploadId"]
        c.abort_multipart_upload(Bucket="big", Key="gone", UploadId=up2)
        self.assertEqual(code_of(c.upload_part, Bucket="big", Key="gone", UploadId=up2, PartNumber=1,
                                 Body=b"x"), "NoSuchUpload")

    def presign(self, method, path, expires=60, creds=None, when=None, headers=None):
        """A presigned URL as botocore makes it (S3's query signer), by default with the
        instances' credentials, which the emulator verifies; `when` signs it at a past time."""
        import botocore.auth as ba
        creds = creds or Credentials(self.creds["AccessKeyId"], self.creds["SecretAccessKey"],
                                     self.creds["SessionToken"])
        req = AWSRequest(method=method, url=self.url + path, headers=headers or {})
        signer = S3SigV4QueryAuth(creds, "s3", "us-east-1", expires=expires)
        original = ba.get_current_datetime
        if when:
            ba.get_current_datetime = lambda *a, **k: when
        try:
            signer.add_auth(req)
        finally:
            ba.get_current_datetime = original
        return req.url

    def test_presigned_put_and_get_with_urllib(self):
        self.c.create_bucket(Bucket="pre")
        body = os.urandom(5000)
        url = self.presign("PUT", "/pre/up%20load.bin")
        r = urllib.request.urlopen(urllib.request.Request(url, data=body, method="PUT"))
        self.assertEqual(r.status, 200)
        url = self.presign("GET", "/pre/up%20load.bin")
        self.assertEqual(urllib.request.urlopen(url).read(), body)
        # boto3's own presigner, with the instances' credentials (what a function hands a page).
        fc = s3(self.url, self.creds["AccessKeyId"], self.creds["SecretAccessKey"], self.creds["SessionToken"])
        url = fc.generate_presigned_url("get_object", Params={"Bucket": "pre", "Key": "up load.bin"})
        self.assertEqual(urllib.request.urlopen(url).read(), body)
        # A browser: Origin, a preflight answered from the bucket's CORS configuration.
        self.c.put_bucket_cors(Bucket="pre", CORSConfiguration={"CORSRules": [{
            "AllowedOrigins": ["http://app.localhost:3000"], "AllowedMethods": ["PUT", "GET"],
            "AllowedHeaders": ["content-type"], "MaxAgeSeconds": 60}]})
        self.assertEqual(self.c.get_bucket_cors(Bucket="pre")["CORSRules"][0]["AllowedMethods"], ["PUT", "GET"])
        conn = http.client.HTTPConnection(self.url.split("//")[1])
        conn.request("OPTIONS", "/pre/page.txt", headers={
            "Origin": "http://app.localhost:3000", "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type"})
        pre = conn.getresponse()
        pre.read()
        self.assertEqual(pre.status, 200)
        self.assertEqual(pre.getheader("Access-Control-Allow-Origin"), "http://app.localhost:3000")
        conn.request("OPTIONS", "/pre/page.txt", headers={
            "Origin": "http://evil.example", "Access-Control-Request-Method": "PUT"})
        bad = conn.getresponse()
        bad.read()
        self.assertEqual(bad.status, 403)
        url = self.presign("PUT", "/pre/page.txt")
        r = urllib.request.urlopen(urllib.request.Request(url, data=b"from a page", method="PUT", headers={
            "Origin": "http://app.localhost:3000", "Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"}))
        self.assertEqual(r.headers["Access-Control-Allow-Origin"], "http://app.localhost:3000")
        self.assertEqual(self.c.get_object(Bucket="pre", Key="page.txt")["Body"].read(), b"from a page")
        # A page may not use a URL the emulator cannot verify (signed with any other key).
        other = self.presign("GET", "/pre/page.txt", creds=Credentials("AKIAOTHER", "x"))
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(urllib.request.Request(other, headers={"Origin": "http://evil.example"}))
        self.assertEqual(e.exception.code, 403)
        self.assertEqual(urllib.request.urlopen(other).read(), b"from a page")  # the CLI's case
        # Signature version 2 (boto3's default presigner): not verified, so not from a page.
        v2 = boto3.client("s3", endpoint_url=self.url, region_name="us-east-1", aws_access_key_id="AKIAOTHER",
                          aws_secret_access_key="x", config=Config(s3={"addressing_style": "path"}))
        url = v2.generate_presigned_url("get_object", Params={"Bucket": "pre", "Key": "page.txt"})
        self.assertIn("AWSAccessKeyId=", url)
        self.assertEqual(urllib.request.urlopen(url).read(), b"from a page")
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(urllib.request.Request(url, headers={"Origin": "http://evil.example"}))
        self.assertEqual(e.exception.code, 403)

    def test_expired_and_forged_presigned_urls(self):
        self.c.create_bucket(Bucket="pre2")
        self.c.put_object(Bucket="pre2", Key="k", Body=b"v")
        past = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(hours=2)
        url = self.presign("GET", "/pre2/k", expires=60, when=past)
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(url)
        self.assertEqual(e.exception.code, 403)
        text = e.exception.read()
        self.assertIn(b"<Code>AccessDenied</Code>", text)
        self.assertIn(b"Request has expired", text)
        forged = self.presign("GET", "/pre2/k", creds=Credentials(self.creds["AccessKeyId"], "wrong" * 8,
                                                                   self.creds["SessionToken"]))
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(forged)
        self.assertEqual(e.exception.code, 403)
        self.assertIn(b"SignatureDoesNotMatch", e.exception.read())
        # Another key cannot be moved onto the verified URL's path.
        good = self.presign("GET", "/pre2/k")
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(good.replace("/pre2/k", "/pre2/other"))
        self.assertEqual(e.exception.code, 403)
        too_long = self.url + "/pre2/k?" + urllib.parse.urlencode({
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": "A/20260101/us-east-1/s3/aws4_request",
            "X-Amz-Date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ"), "X-Amz-Expires": "604801",
            "X-Amz-SignedHeaders": "host", "X-Amz-Signature": "00"})
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(too_long)
        self.assertEqual(e.exception.code, 400)
        self.assertIn(b"AuthorizationQueryParametersError", e.exception.read())
        # A forged header signature with the instances' key id.
        bad = s3(self.url, self.creds["AccessKeyId"], "x" * 40, self.creds["SessionToken"])
        self.assertEqual(code_of(bad.get_object, Bucket="pre2", Key="k"), "SignatureDoesNotMatch")
        good_client = s3(self.url, self.creds["AccessKeyId"], self.creds["SecretAccessKey"], self.creds["SessionToken"])
        self.assertEqual(good_client.get_object(Bucket="pre2", Key="k")["Body"].read(), b"v")

    def test_virtual_hosted_requests(self):
        self.c.create_bucket(Bucket="vhost")
        port = self.url.rsplit(":", 1)[1]
        vc = s3(f"http://s3.localhost:{port}", style="virtual")
        # botocore sends Host vhost.s3.localhost:PORT; resolve it to loopback by connecting directly.
        for host in (f"vhost.s3.localhost:{port}", f"vhost.localhost:{port}"):
            status, _, _ = raw(self.url, "PUT", "/k.txt", b"hosted", {"Host": host})
            self.assertEqual(status, 200, host)
        self.assertEqual(self.c.get_object(Bucket="vhost", Key="k.txt")["Body"].read(), b"hosted")
        del vc

    def test_attacks_are_s3_errors_and_the_emulator_lives(self):
        c = self.c
        c.create_bucket(Bucket="att")
        cases = [
            ("PUT", "/att?cors", b"<CORSConfiguration><CORSRule>", 400, b"MalformedXML"),
            ("POST", "/att?delete", b"<Delete><Object><Key>a</Key></Object>", 400, b"MalformedXML"),
            ("POST", "/att?delete", b"\xff\xfe<Delete/>", 400, b"MalformedXML"),
            ("POST", "/att?delete", b"<!DOCTYPE x [<!ENTITY a 'b'>]><Delete/>", 400, b"MalformedXML"),
            ("POST", "/att?delete", b"<a>" * 100 + b"</a>" * 100, 400, b"MalformedXML"),
            ("PUT", "/att/%FF%FE", b"x", 400, b"InvalidURI"),
            ("PUT", "/att/" + "k" * 1025, b"x", 400, b"KeyTooLongError"),
            ("GET", "/nobucket/k", b"", 404, b"NoSuchBucket"),
            ("PUT", "/Bad_Name", b"", 400, b"InvalidBucketName"),
            ("GET", "/att?list-type=2&max-keys=abc", b"", 400, b"InvalidArgument"),
            ("GET", "/att?list-type=2&continuation-token=zz", b"", 400, b"InvalidArgument"),
            ("PATCH", "/att/k", b"", 405, b"MethodNotAllowed"),
            ("DELETE", "/nobucket", b"", 404, b"NoSuchBucket"),
            ("PUT", "/att?cors", b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>"
                                 b"<AllowedMethod>TRACE</AllowedMethod></CORSRule></CORSConfiguration>",
             400, b"InvalidRequest"),
            ("PUT", "/att/k", b"x", 400, b"InvalidDigest", {"Content-MD5": "not base64!"}),
            ("PUT", "/att/chunked", b"zz;chunk-signature=00\r\nab\r\n", 400, b"IncompleteBody",
             {"x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"}),
            ("PUT", "/att/meta", b"x", 400, b"MetadataTooLarge", {"x-amz-meta-big": "v" * 3000}),
        ]
        for case in cases:
            method, path, body, status, code = case[:5]
            headers = case[5] if len(case) > 5 else {}
            with self.subTest(method=method, path=path[:40], code=code):
                got, _, text = raw(self.url, method, path, body, headers)
                self.assertEqual(got, status, text)
                self.assertIn(b"<Code>" + code + b"</Code>", text)
        # Bad ranges: unsatisfiable is 416, a malformed one is ignored (the whole object).
        c.put_object(Bucket="att", Key="r", Body=b"abc")
        self.assertEqual(raw(self.url, "GET", "/att/r", headers={"Range": "bytes=5-"})[0], 416)
        self.assertEqual(raw(self.url, "GET", "/att/r", headers={"Range": "bytes=x-y"})[2], b"abc")
        self.assertEqual(raw(self.url, "GET", "/att/r", headers={"Range": "bytes=2-1"})[2], b"abc")
        # Huge headers: the server's 431, then it still serves.
        status, _, _ = raw(self.url, "GET", "/att/r", headers={"x-amz-meta-h": "v" * 20000})
        self.assertEqual(status, 431)
        # An unsigned request with no credential is refused in S3's form.
        conn = http.client.HTTPConnection(self.url.split("//")[1])
        conn.request("GET", "/att/r", headers={"Host": "att.s3.localhost"})
        r = conn.getresponse()
        self.assertEqual(r.status, 403)
        self.assertIn(b"<Code>AccessDenied</Code>", r.read())
        # An aws-chunked upload decoded (what SDKs send when streaming with a trailer).
        framed = b"3;chunk-signature=00\r\nabc\r\n0;chunk-signature=00\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n"
        status, _, _ = raw(self.url, "PUT", "/att/framed", framed, {
            "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "Content-Encoding": "aws-chunked",
            "x-amz-decoded-content-length": "3", "x-amz-trailer": "x-amz-checksum-crc32"})
        self.assertEqual(status, 200)
        got = c.get_object(Bucket="att", Key="framed")
        self.assertEqual(got["Body"].read(), b"abc")
        self.assertNotIn("ContentEncoding", got)
        # Keys that look like paths stay keys.
        for key in ("../../../etc/passwd", "a/../../b", "/lead", "é/ü"):
            c.put_object(Bucket="att", Key=key, Body=key.encode())
            self.assertEqual(c.get_object(Bucket="att", Key=key)["Body"].read(), key.encode())
        self.assertFalse(os.path.exists(os.path.join(self.home, "etc")))
        self.alive()


PY_FUNCTION = {
    "serverless.yaml": """
        service: SERVICE
        provider: {name: aws, runtime: python3.11}
        functions:
          store:
            handler: app.handler
        """,
    "app.py": """
        import boto3
        from botocore.config import Config
        def handler(event, context):
            # (s3v4: boto3 presigns with signature version 2 otherwise, which fx does not verify.)
            c = boto3.client("s3", config=Config(signature_version="s3v4"))
            c.put_object(Bucket="fn-bucket", Key="from/fn.txt", Body=event["text"].encode())
            got = c.get_object(Bucket="fn-bucket", Key="from/fn.txt")["Body"].read().decode()
            keys = [o["Key"] for o in c.list_objects_v2(Bucket="fn-bucket")["Contents"]]
            url = c.generate_presigned_url("get_object", Params={"Bucket": "fn-bucket", "Key": "from/fn.txt"})
            return {"got": got, "keys": keys, "url": url}
        """,
}


class S3FunctionTest(FxTestCase):
    """A function writes and reads an object through boto3 with no endpoint of its own."""

    def test_python_function_uses_the_local_bucket(self):
        c = s3(self.url)
        c.create_bucket(Bucket="fn-bucket")
        self.make_service(PY_FUNCTION)
        self.ok("deploy", timeout=300)
        r = self.ok("invoke", "store", "--data", json.dumps({"text": "hello from a function"}), timeout=300)
        out = json.loads(r.out)
        self.assertEqual(out["got"], "hello from a function")
        self.assertEqual(out["keys"], ["from/fn.txt"])
        self.assertEqual(c.get_object(Bucket="fn-bucket", Key="from/fn.txt")["Body"].read(),
                         b"hello from a function")
        # The URL the function presigned (with the instances' credentials) works from a page.
        page = urllib.request.Request(out["url"], headers={"Origin": "http://app.localhost"})
        self.assertEqual(urllib.request.urlopen(page).read(), b"hello from a function")


def outcome(call, **kwargs):
    """What matters of an answer: the error code and status, or the fields compared."""
    try:
        r = call(**kwargs)
    except ClientError as e:
        return ("error", e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])
    r = dict(r)
    status = r.pop("ResponseMetadata")["HTTPStatusCode"]
    if "Body" in r:
        r["Body"] = r["Body"].read()
    for k in ("LastModified", "RequestCharged", "ServerSideEncryption", "Owner", "AcceptRanges",
              "ChecksumCRC32", "ChecksumCRC64NVME", "ChecksumType", "Location", "BucketRegion",
              "BucketArn", "Expiration", "VersionId", "StorageClass"):
        r.pop(k, None)
    for key in ("Contents", "Buckets"):
        if key in r:
            r[key] = [{k: v for k, v in item.items()
                       if k not in ("LastModified", "Owner", "CreationDate", "StorageClass",
                                    "ChecksumAlgorithm", "ChecksumType", "BucketRegion")}
                      for item in r[key]]
    if "CopyObjectResult" in r:
        r["CopyObjectResult"] = {"ETag": r["CopyObjectResult"]["ETag"]}
    if "UploadId" in r:
        r["UploadId"] = "ID"
    if "NextContinuationToken" in r:  # opaque, each service its own
        r["NextContinuationToken"] = "TOKEN"
    return ("ok", status, r)


class S3DiffTest(DifferentialCase):
    """The same boto3 calls against fx and moto: status, error codes and the fields that matter."""

    def run_both(self, steps):
        results = []
        for url in (self.url, self.moto.url):
            c = s3(url)
            results.append([step(c) for step in steps])
        return results

    def compare(self, fx, moto, deviations=()):
        for i, (a, b) in enumerate(zip(fx, moto)):
            with self.subTest(step=i):
                if i in deviations:
                    self.assertNotEqual(a, b, "moto now agrees: drop the deviation")
                else:
                    self.assertEqual(a, b)

    def test_bucket_and_object_sequence(self):
        B = "diff-bucket"
        steps = [
            lambda c: outcome(c.create_bucket, Bucket=B),
            lambda c: outcome(c.create_bucket, Bucket=B),
            lambda c: outcome(c.create_bucket, Bucket="Invalid_Name"),
            lambda c: outcome(c.head_bucket, Bucket=B),
            lambda c: outcome(c.head_bucket, Bucket="no-such-bucket-x"),
            lambda c: outcome(c.put_object, Bucket=B, Key="a.txt", Body=b"hello", ContentType="text/plain",
                              Metadata={"m": "1"}),
            lambda c: outcome(c.get_object, Bucket=B, Key="a.txt"),
            lambda c: outcome(c.head_object, Bucket=B, Key="a.txt"),
            lambda c: outcome(c.get_object, Bucket=B, Key="missing"),
            lambda c: outcome(c.head_object, Bucket=B, Key="missing"),
            lambda c: outcome(c.get_object, Bucket=B, Key="a.txt", Range="bytes=1-3"),
            lambda c: outcome(c.get_object, Bucket=B, Key="a.txt", Range="bytes=9-"),
            lambda c: outcome(c.get_object, Bucket=B, Key="a.txt", IfMatch='"x"'),
            lambda c: outcome(c.get_object, Bucket=B, Key="a.txt",
                              IfNoneMatch='"%s"' % hashlib.md5(b"hello").hexdigest()),
            lambda c: outcome(c.copy_object, Bucket=B, Key="b.txt", CopySource=f"{B}/a.txt"),
            lambda c: outcome(c.copy_object, Bucket=B, Key="b.txt", CopySource=f"{B}/nope"),
            lambda c: outcome(c.put_object_tagging, Bucket=B, Key="b.txt",
                              Tagging={"TagSet": [{"Key": "t", "Value": "v"}]}),
            lambda c: outcome(c.get_object_tagging, Bucket=B, Key="b.txt"),
            lambda c: outcome(c.put_object, Bucket=B, Key="d/1", Body=b"1"),
            lambda c: outcome(c.put_object, Bucket=B, Key="d/2", Body=b"22"),
            lambda c: outcome(c.put_object, Bucket=B, Key="e/1", Body=b""),
            lambda c: outcome(c.list_objects_v2, Bucket=B),
            lambda c: outcome(c.list_objects_v2, Bucket=B, Delimiter="/"),
            lambda c: outcome(c.list_objects_v2, Bucket=B, Prefix="d/", MaxKeys=1),
            lambda c: outcome(c.list_objects_v2, Bucket=B, StartAfter="b.txt"),
            lambda c: outcome(c.list_objects, Bucket=B, Marker="a.txt", MaxKeys=2),
            lambda c: outcome(c.list_objects, Bucket=B, Delimiter="/", Prefix="d"),
            lambda c: outcome(c.list_objects_v2, Bucket="no-such-bucket-x"),
            lambda c: outcome(c.delete_bucket, Bucket=B),
            lambda c: outcome(c.delete_objects, Bucket=B, Delete={"Objects": [{"Key": "d/1"}, {"Key": "zz"}]}),
            lambda c: outcome(c.delete_object, Bucket=B, Key="d/2"),
            lambda c: outcome(c.delete_object, Bucket=B, Key="never"),
            lambda c: outcome(c.list_objects_v2, Bucket=B),
            lambda c: outcome(c.put_bucket_cors, Bucket=B, CORSConfiguration={"CORSRules": [
                {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]}),
            lambda c: outcome(c.get_bucket_cors, Bucket=B),
            lambda c: outcome(c.delete_bucket_cors, Bucket=B),
            lambda c: outcome(c.get_bucket_cors, Bucket=B),
            lambda c: outcome(c.delete_objects, Bucket=B, Delete={"Objects": [
                {"Key": "a.txt"}, {"Key": "b.txt"}, {"Key": "e/1"}], "Quiet": True}),
            lambda c: outcome(c.delete_bucket, Bucket=B),
            lambda c: outcome(c.delete_bucket, Bucket=B),
            lambda c: outcome(c.list_buckets),
        ]
        fx, moto = self.run_both(steps)
        # Where moto departs from AWS's documentation (fx follows AWS):
        # 2, 40: moto creates "Invalid_Name"; AWS's bucket naming rules allow no capitals or
        #     underscores (InvalidBucketName), so the list at the end differs too.
        # 25, 26: ListObjects (v1) echoes Marker (empty when not sent) and returns NextMarker only
        #     with a delimiter (AWS's ListObjects reference); moto leaves Marker out and sends a
        #     NextMarker of its own.
        # 37: Quiet DeleteObjects reports only errors (AWS's DeleteObjects reference); moto lists
        #     the deleted keys.
        self.compare(fx, moto, deviations={2, 25, 26, 37, 40})

    def test_multipart_sequence(self):
        B = "diff-mp"
        part = b"p" * (5 * 1024 * 1024)
        state = {}

        def start(c):
            c.create_bucket(Bucket=B)
            r = c.create_multipart_upload(Bucket=B, Key="m", ContentType="x/y")
            state[id(c)] = r["UploadId"]
            return ("ok",)

        def up(n, body):
            return lambda c: outcome(c.upload_part, Bucket=B, Key="m", UploadId=state[id(c)],
                                     PartNumber=n, Body=body)

        def complete(parts):
            def go(c):
                etags = {p["PartNumber"]: p["ETag"] for p in
                         c.list_parts(Bucket=B, Key="m", UploadId=state[id(c)])["Parts"]}
                return outcome(c.complete_multipart_upload, Bucket=B, Key="m", UploadId=state[id(c)],
                               MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etags.get(n, '"0"')}
                                                          for n in parts]})
            return go

        steps = [
            start,
            up(1, part),
            up(2, b"tail"),
            lambda c: outcome(c.upload_part, Bucket=B, Key="m", UploadId="nope", PartNumber=1, Body=b"x"),
            complete([2, 1]),
            complete([1, 3]),
            complete([1, 2]),
            lambda c: outcome(c.head_object, Bucket=B, Key="m"),
            lambda c: outcome(c.list_parts, Bucket=B, Key="m", UploadId=state[id(c)]),
        ]
        fx, moto = self.run_both(steps)
        # 3: UploadPart to an unknown upload is NoSuchUpload 404 on AWS; moto answers 500.
        # 4: parts listed out of order are InvalidPartOrder (the request's own fault, checked
        #    before the parts' sizes); moto checks sizes first and says EntityTooSmall.
        self.compare(fx, moto, deviations={3, 4})


if __name__ == "__main__":
    main()
