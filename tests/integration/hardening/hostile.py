#!/usr/bin/python3
"""hostile.py - hostile requests against an s3cgi endpoint; each must get the right S3
error (or the web server's own 4xx where it answers first) and leave the data root and
a directory outside it byte-for-byte unchanged.

    hostile.py --endpoint URL --access-key AK --secret-key SK --region R --root DIR
               --outside DIR [--bucket B]

Families: path escapes in every encoding, reserved names, symlinks out of the root
(inside a bucket, and a bucket that is itself a symlink), oversized request lines and
headers, long keys, too many query parameters, invalid UTF-8, bogus Content-Length,
part numbers, max-keys, ranges, hostile XML for CreateBucket / Complete / DeleteObjects,
and signature tricks. Before and after every case the whole tree under --root (names,
types, modes, sizes, sha256, symlink targets, xattrs; root/.s3cgi/tmp and the multipart
trash excluded) and
under --outside is snapshotted; any difference fails the case, as does any response
that carries the outside secret. Prints ok/FAIL lines and "hostile cases tried: N".
"""
import argparse
import base64
import hashlib
import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from s3h import (Endpoint, Snapshotter, amz_now, bad, diff, note, ok, q, send_raw)  # noqa: E402

SECRET = b"TOP-SECRET-OUTSIDE-THE-ROOT-5f1d3c"
WEB_416_NOTED = []


def md5b64(b):
    return base64.b64encode(hashlib.md5(b).digest()).decode()


class Expect:
    """Accepted outcomes: "STATUS CODE" (s3cgi answered with that S3 error), "STATUS"
    (that status, any body), "web4xx" (the web server answered with a 4xx page of its
    own, not S3 XML), "web:STATUS", "closed" (no answer: the web server dropped it)."""

    def __init__(self, *alts):
        self.alts = alts

    def match(self, r):
        for a in self.alts:
            if a == "closed":
                if r.status is None:
                    return True
                continue
            if r.status is None:
                continue
            if a == "web4xx":
                if 400 <= r.status < 500 and not r.s3xml():
                    return True
                continue
            if a.startswith("web:"):
                if r.status == int(a[4:]) and not r.s3xml():
                    return True
                continue
            parts = a.split(" ", 1)
            if parts[0].endswith("xx"):
                if r.status // 100 != int(parts[0][0]):
                    continue
            elif r.status != int(parts[0]):
                continue
            if len(parts) == 1 or r.code() == parts[1]:
                return True
        return False

    def __str__(self):
        return " | ".join(self.alts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--access-key", required=True)
    ap.add_argument("--secret-key", required=True)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--root", required=True)
    ap.add_argument("--outside", required=True)
    ap.add_argument("--bucket", default="hard-hostile")
    ap.add_argument("--only", default="", help="substring of case names to run")
    a = ap.parse_args()
    ep = Endpoint(a.endpoint, a.access_key, a.secret_key, a.region)
    B = a.bucket
    root, outside = os.path.abspath(a.root), os.path.abspath(a.outside)
    SB = B + "-symbkt"          # a bucket directory that is a symlink out of the root
    NB = B + "-new"             # a bucket that hostile CreateBuckets must not create
    snapper = Snapshotter()

    # ---- setup ------------------------------------------------------------------
    r = ep.request("PUT", "/" + B)
    if r.status != 200:
        bad("hostile: create bucket %s" % B, r)
        print("hostile cases tried: 0")
        return 1
    victim = os.urandom(100000)
    if ep.put(B, "victim", victim).status != 200 or ep.put(B, "dir/obj", b"in a directory").status != 200:
        bad("hostile: put victim", "failed")
        return 1
    shutil.rmtree(outside, ignore_errors=True)
    os.makedirs(os.path.join(outside, "sub"))
    with open(os.path.join(outside, "secret"), "wb") as f:
        f.write(SECRET)
    with open(os.path.join(outside, "sub", "inner"), "wb") as f:
        f.write(SECRET + b"-inner")
    with open(os.path.join(outside, "xxe-key"), "wb") as f:
        f.write(b"victim")      # an XXE expansion here would make DeleteObjects delete "victim"
    bdir = os.path.join(root, B)
    links = {"link-dir": outside, "link-file": os.path.join(outside, "secret"),
             "link-rel": os.path.relpath(outside, bdir), "link-root": os.path.join(root, ".s3cgi"),
             "dir/link-up": "../../.."}
    for name, target in links.items():
        p = os.path.join(bdir, name)
        if os.path.lexists(p):
            os.unlink(p)
        os.symlink(target, p)
    sbp = os.path.join(root, SB)
    if os.path.lexists(sbp):
        os.unlink(sbp)
    os.symlink(outside, sbp)
    # a stale temp file and a reserved-looking file placed by hand: never served
    with open(os.path.join(bdir, ".s3cgi-tmp-0123456789abcdef"), "wb") as f:
        f.write(SECRET + b"-tmp")
    # an upload with one part, for the part-number and Complete cases
    r = ep.request("POST", "/%s/mpkey" % B, query="uploads")
    m = re.search(rb"<UploadId>(.*?)</UploadId>", r.body or b"")
    upload = m.group(1).decode() if m else None
    part = os.urandom(1000)
    part_etag = None
    if upload:
        r = ep.request("PUT", "/%s/mpkey" % B, query="partNumber=1&uploadId=" + upload, body=part)
        part_etag = r.headers.get("etag")
    if not upload or not part_etag:
        bad("hostile: multipart setup", "create/upload part failed: %r" % r)

    cases = []

    def case(name, fn, exp, post=None, leak_check=True):
        cases.append((name, fn, exp, post, leak_check))

    P = "/" + B
    web_or = lambda *alts: Expect(*(alts + ("web4xx",)))
    # GET/HEAD/DELETE of a key that cannot map: 400 InvalidArgument, or 404 NoSuchKey
    # (such a key cannot exist); PUT/copy/multipart must be 400 InvalidArgument.
    read_unmappable = web_or("400 InvalidArgument", "404 NoSuchKey", "400 InvalidURI")
    del_unmappable = web_or("400 InvalidArgument", "204", "400 InvalidURI")
    write_unmappable = web_or("400 InvalidArgument", "400 InvalidURI")

    # ---- 1. path escapes --------------------------------------------------------------
    escapes = ["../x", "a/../../x", "../../../../../../etc/passwd", "./x", "a/./b", ".", "..",
               "%2e%2e/x", "%2E%2e/%2e%2E/x", ".%2e/x", "%2e./x", "%2e/x", "a/%2e%2e/%2e%2e/x",
               "..%2f..%2fx", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "a/..", "a/.", "%2e%2e",
               "..%2F" + os.path.basename(outside) + "%2Fsecret",
               "%c0%ae%c0%ae/x", "%c0%ae/x", "%e0%80%ae%e0%80%ae/x", "%c0%2e%c0%2e/x",
               "x%00y", "%00", "..%00/x", "/etc/passwd", "%2Fetc%2Fpasswd", "a//b", "a/",
               ".s3cgi/tmp/x", ".s3cgi", "a/.s3cgi/b", ".s3cgi-tmp-0123456789abcdef",
               "%2es3cgi/x", ".S3CGI/x", "%ff%fe", "a%80b", "%ed%a0%80", "%f4%90%80%80",
               "%fe%ff", "%c3", "%e2%82"]
    for k in escapes:
        path = P + "/" + k
        if k == ".S3CGI/x":            # a legal key (case differs from the reserved name)
            continue
        case("path GET %s" % path, lambda path=path: ep.request("GET", path), read_unmappable)
        case("path HEAD %s" % path, lambda path=path: ep.request("HEAD", path), read_unmappable)
        if k == "a/":               # a legal directory-object key; only reads here
            continue
        case("path PUT %s" % path, lambda path=path: ep.request("PUT", path, body=b"evil"), write_unmappable)
        case("path DELETE %s" % path, lambda path=path: ep.request("DELETE", path), del_unmappable)
        case("path POST uploads %s" % path, lambda path=path: ep.request("POST", path, query="uploads"),
             write_unmappable)
    for path in ["/../../etc/passwd", "/%2e%2e/etc/passwd", "/%2e%2e", "/..", "/.", "/%2e",
                 "/.s3cgi", "/.s3cgi/tmp", "/.s3cgi/multipart/" + B, "/%2es3cgi/x", "/.s3cgi/buckets"]:
        case("bucket path GET %s" % path, lambda path=path: ep.request("GET", path),
             web_or("400 InvalidBucketName", "404 NoSuchBucket", "400 InvalidURI"))
        case("bucket path PUT %s" % path, lambda path=path: ep.request("PUT", path, body=b"evil"),
             web_or("400 InvalidBucketName", "404 NoSuchBucket", "400 InvalidURI", "405 MethodNotAllowed"))
        case("bucket path DELETE %s" % path, lambda path=path: ep.request("DELETE", path),
             web_or("400 InvalidBucketName", "404 NoSuchBucket", "400 InvalidURI", "405 MethodNotAllowed"))
    # an empty bucket segment with a key after it: not the service (ListBuckets)
    for path in ["//etc/passwd", "//" + B + "/victim"]:
        case("empty bucket segment GET %s" % path, lambda path=path: ep.request("GET", path),
             web_or("400 InvalidURI", "400 InvalidBucketName", "404 NoSuchBucket", "400 InvalidRequest"))
        case("empty bucket segment PUT %s" % path, lambda path=path: ep.request("PUT", path, body=b"e"),
             web_or("400 InvalidURI", "400 InvalidBucketName", "404 NoSuchBucket", "405 MethodNotAllowed",
                    "400 InvalidRequest"))
    # absolute-form request target
    case("absolute-form target http://host/B/../../etc/passwd",
         lambda: send_raw(ep.host, ep.port, ("GET http://%s%s/%s/../../etc/passwd HTTP/1.1\r\nhost: %s\r\n"
                                                      "connection: close\r\n\r\n" % (ep.hostport, ep.prefix, B,
                                                                                      ep.hostport)).encode()),
         Expect("web4xx", "403 AccessDenied", "400 InvalidArgument", "404 NoSuchKey", "400 InvalidURI"))

    # backslashes: legal key bytes for S3; stored (if at all) as a literal name inside
    # the bucket, never as a path separator
    def backslash_post(key):
        def post(r):
            if r.status != 200:
                return None
            p = os.path.join(bdir, key)
            if not os.path.isfile(p) or open(p, "rb").read() != b"evil":
                return "200 but %r is not a file holding the body inside the bucket" % key
            d = ep.request("DELETE", P + "/" + q(key))
            return None if d.status == 204 else "cleanup DELETE got %r" % d
        return post
    for raw, key in [("..\\..\\x", "..\\..\\x"), ("%5c..%5cx", "\\..\\x"), ("..%5c..%5cetc%5cpasswd",
                                                                             "..\\..\\etc\\passwd")]:
        case("backslash PUT %s" % raw, lambda raw=raw: ep.request("PUT", P + "/" + raw, body=b"evil"),
             web_or("200", "400 InvalidArgument"), post=backslash_post(key))
        case("backslash GET %s" % raw, lambda raw=raw: ep.request("GET", P + "/" + raw),
             web_or("404 NoSuchKey", "400 InvalidArgument"))

    # ---- 2. symlinks --------------------------------------------------------------------
    for name in ["link-file", "link-dir/secret", "link-rel/secret", "link-dir/sub/inner", "dir/link-up/" +
                 os.path.basename(outside) + "/secret", "link-root/tmp", "link-dir", "link-rel/sub/inner"]:
        path = P + "/" + name
        case("symlink GET %s" % name, lambda path=path: ep.request("GET", path),
             Expect("404 NoSuchKey", "403 AccessDenied", "400 InvalidArgument", "409 ObjectNameConflict"))
        case("symlink HEAD %s" % name, lambda path=path: ep.request("HEAD", path),
             Expect("404", "403", "400", "409"))
        case("symlink GET ?partNumber=1 %s" % name, lambda path=path: ep.request("GET", path, query="partNumber=1"),
             Expect("404 NoSuchKey", "403 AccessDenied", "400 InvalidArgument", "409 ObjectNameConflict",
                    "416 InvalidPartNumber"))
    for name in ["link-dir/new", "link-rel/new", "link-dir/sub/new", "link-dir/deep/er/new", "dir/link-up/new",
                 "link-root/tmp/new", "link-dir/secret", "link-rel/sub/inner"]:
        path = P + "/" + name
        refused = Expect("409 ObjectNameConflict", "400 InvalidArgument", "403 AccessDenied", "404 NoSuchKey")
        case("symlink PUT through %s" % name, lambda path=path: ep.request("PUT", path, body=b"evil"), refused)
        case("symlink copy to %s" % name, lambda path=path: ep.request(
            "PUT", path, headers={"x-amz-copy-source": "/%s/victim" % B}), refused)
        case("symlink DELETE through %s" % name, lambda path=path: ep.request("DELETE", path),
             Expect("204", "409 ObjectNameConflict", "400 InvalidArgument", "404 NoSuchKey"))
        case("symlink multipart through %s" % name,
             lambda name=name: multipart_through(ep, B, name),
             Expect("409 ObjectNameConflict", "400 InvalidArgument", "403 AccessDenied", "404 NoSuchKey",
                    "404 NoSuchUpload"))

    # PUT onto a symlink (the link itself is the key): refused, or the link is replaced
    # by a regular file inside the bucket; the target outside is never written
    def onto_link_post(name, target):
        def post(r):
            p = os.path.join(bdir, name)
            if r.status == 200:
                if os.path.islink(p) or not os.path.isfile(p):
                    return "200 but %s is not a regular file now" % name
                os.unlink(p)
                os.symlink(target, p)
            return None
        return post
    case("symlink PUT onto link-file", lambda: ep.request("PUT", P + "/link-file", body=b"evil"),
         Expect("200", "409 ObjectNameConflict", "400 InvalidArgument", "403 AccessDenied"),
         post=onto_link_post("link-file", links["link-file"]))
    case("symlink DELETE link-file", lambda: ep.request("DELETE", P + "/link-file"),
         Expect("204", "409 ObjectNameConflict", "400 InvalidArgument"))
    for src in ["link-file", "link-dir/secret", "link-rel/secret", "%s/secret" % SB,
                "../../" + os.path.basename(outside) + "/secret", "link-dir/../victim"]:
        s = src if src.startswith(SB) else "%s/%s" % (B, src)
        case("symlink copy-source %s" % s, lambda s=s: ep.request(
            "PUT", P + "/copied", headers={"x-amz-copy-source": "/" + s}),
            Expect("404 NoSuchKey", "404 NoSuchBucket", "400 InvalidArgument", "403 AccessDenied",
                   "409 ObjectNameConflict", "400 InvalidRequest"))
        if upload:
            case("symlink upload-part-copy source %s" % s, lambda s=s: ep.request(
                "PUT", P + "/mpkey", query="partNumber=2&uploadId=" + upload,
                headers={"x-amz-copy-source": "/" + s}),
                Expect("404 NoSuchKey", "404 NoSuchBucket", "400 InvalidArgument", "403 AccessDenied",
                       "409 ObjectNameConflict", "400 InvalidRequest"))
    case("symlink DeleteObjects link-dir/secret, link-file", lambda: post_xml(
        ep, P, "delete", b"<Delete><Object><Key>link-dir/secret</Key></Object><Object><Key>link-file</Key>"
        b"</Object><Object><Key>link-rel/sub/inner</Key></Object></Delete>"), Expect("200"),
        post=lambda r: None if b"<Error>" in r.body or b"<Deleted>" in r.body else "no per-key result")
    for qs in ["prefix=link-dir/", "prefix=link-rel/", "prefix=link-dir/s", "list-type=2&prefix=link-dir/",
               "list-type=2&start-after=link-dir/", "marker=link-dir/secret", "marker=link-dir/",
               "list-type=2&prefix=dir/link-up/", "delimiter=/&prefix=link-dir/", "versions&prefix=link-dir/",
               "list-type=2&start-after=../../../", "marker=../../../../etc/passwd", "prefix=../",
               "list-type=2&prefix=.s3cgi", "prefix=.s3cgi-tmp", "list-type=2&continuation-token=" +
               q(base64.b64encode(b"../../../etc/passwd").decode()), "list-type=2&continuation-token=%2e%2e%2f",
               "list-type=2&continuation-token=" + q(base64.b64encode(b"link-dir/secret").decode())]:
        case("symlink/escape listing ?%s" % qs, lambda qs=qs: ep.request("GET", P, query=qs),
             Expect("200", "400 InvalidArgument"), post=listing_post)
    case("symlink bucket ListBuckets", lambda: ep.request("GET", "/"), Expect("200"),
         post=lambda r: "lists the symlinked bucket" if ("<Name>%s</Name>" % SB).encode() in r.body else None)
    for method, path, body, query in [("GET", "/%s/secret" % SB, b"", ""), ("HEAD", "/%s/secret" % SB, b"", ""),
                                      ("PUT", "/%s/new" % SB, b"evil", ""), ("DELETE", "/%s/secret" % SB, b"", ""),
                                      ("GET", "/" + SB, b"", ""), ("GET", "/" + SB, b"", "list-type=2"),
                                      ("HEAD", "/" + SB, b"", ""), ("DELETE", "/" + SB, b"", ""),
                                      ("POST", "/%s/new" % SB, b"", "uploads"), ("GET", "/" + SB, b"", "uploads"),
                                      ("PUT", "/" + SB, b"", "acl"), ("GET", "/" + SB, b"", "acl")]:
        case("symlinked bucket %s %s?%s" % (method, path, query),
             lambda method=method, path=path, body=body, query=query: ep.request(method, path, body=body,
                                                                                  query=query),
             Expect("404 NoSuchBucket", "404", "403 AccessDenied", "400 InvalidBucketName"))
    case("symlinked bucket CreateBucket over it", lambda: ep.request("PUT", "/" + SB),
         Expect("409 BucketAlreadyExists", "409 BucketAlreadyOwnedByYou", "409", "400 InvalidBucketName",
                "403 AccessDenied"))
    case("symlinked bucket DeleteObjects", lambda: post_xml(
        ep, "/" + SB, "delete", b"<Delete><Object><Key>secret</Key></Object></Delete>"),
        Expect("404 NoSuchBucket", "403 AccessDenied"))

    # ---- 3. sizes: request line, headers, keys, query -----------------------------------
    case("request line 40 KiB", lambda: ep.request("GET", P + "/" + "a" * 40000),
         Expect("web4xx", "400 InvalidURI", "400 KeyTooLongError"))
    case("request line 1 MiB", lambda: ep.request("GET", P + "/" + "a" * (1 << 20)),
         Expect("web4xx", "closed", "400 InvalidURI"))
    case("query string 20 KiB", lambda: ep.request("GET", P, query="prefix=" + "a" * 20000),
         Expect("web4xx", "400 InvalidURI", "400 InvalidArgument"))
    case("one header of 40 KiB", lambda: ep.request("GET", P + "/victim", unsigned=[("x-big", "b" * 40000)]),
         Expect("web4xx", "closed", "400 RequestHeaderSectionTooLarge"))
    case("one header of 1 MiB", lambda: ep.request("GET", P + "/victim", unsigned=[("x-big", "b" * (1 << 20))]),
         Expect("web4xx", "closed"))
    case("300 headers (s3cgi caps 256)", lambda: ep.request(
        "PUT", P + "/victim", body=b"evil", unsigned=[("x-h%d" % i, "v") for i in range(300)]),
        Expect("400 RequestHeaderSectionTooLarge", "web4xx"))
    case("2000 headers", lambda: ep.request(
        "PUT", P + "/victim", body=b"evil", unsigned=[("x-h%d" % i, "v") for i in range(2000)]),
        Expect("400 RequestHeaderSectionTooLarge", "web4xx", "closed"))
    case("x-amz-meta 3 KiB (S3 caps user metadata at 2 KiB)", lambda: ep.request(
        "PUT", P + "/victim", body=b"evil", headers={"x-amz-meta-big": "m" * 3000}),
        Expect("400 MetadataTooLarge"))
    case("x-amz-meta 20 KiB total", lambda: ep.request(
        "PUT", P + "/victim", body=b"evil", headers={"x-amz-meta-m%d" % i: "m" * 2000 for i in range(10)}),
        Expect("400 MetadataTooLarge", "web4xx"))
    long_key = "/".join(["k" * 200] * 5) + "/kkkkk"          # 1006 bytes: legal
    assert len(long_key) <= 1024
    k1025 = "/".join(["k" * 200] * 5) + "/" + "k" * 20         # 1021 + ... make it 1025
    k1025 = k1025 + "k" * (1025 - len(k1025))
    for n, key in [(1025, k1025), (1100, "x" * 100 + "/" + "y" * 200 + "/" + "z" * 200 + "/" + "w" * 200 + "/" +
                                   "v" * 200 + "/" + "u" * 197), (4000, "/".join(["q" * 250] * 16))]:
        case("key of %d bytes PUT" % len(key), lambda key=key: ep.put(B, key, b"evil"),
             Expect("400 KeyTooLongError", "web4xx"))
        case("key of %d bytes GET" % len(key), lambda key=key: ep.get(B, key),
             Expect("400 KeyTooLongError", "404 NoSuchKey", "web4xx"))
        case("key of %d bytes multipart" % len(key), lambda key=key: ep.request(
            "POST", P + "/" + q(key, "/-_.~"), query="uploads"), Expect("400 KeyTooLongError", "web4xx"))
        case("key of %d bytes copy source" % len(key), lambda key=key: ep.request(
            "PUT", P + "/copied", headers={"x-amz-copy-source": "/%s/%s" % (B, key)}),
            Expect("400 KeyTooLongError", "404 NoSuchKey", "400 InvalidArgument"))
    case("key with a 256-byte segment PUT", lambda: ep.put(B, "s/" + "n" * 256, b"evil"),
         Expect("400 InvalidArgument", "400 KeyTooLongError"))

    def long_ok_post(r):
        if r.status != 200:
            return "a legal 1006-byte key was refused: %r" % r
        g = ep.get(B, long_key)
        d = ep.delete(B, long_key)
        if g.status != 200 or g.body != b"fine":
            return "GET after PUT: %r" % g
        if d.status != 204:
            return "cleanup DELETE: %r" % d
        return None
    case("control: key of %d bytes with 200-byte segments works and cleans up" % len(long_key),
         lambda: ep.put(B, long_key, b"fine"), Expect("200"), post=long_ok_post)
    for n in (129, 1000, 5000):
        case("%d query parameters" % n, lambda n=n: ep.request(
            "GET", P, query="&".join("p%d=v" % i for i in range(n))),
            Expect("400 InvalidArgument", "web4xx", "400 InvalidURI"))
        case("%d query parameters on PUT" % n, lambda n=n: ep.request(
            "PUT", P + "/victim", body=b"evil", query="&".join("p%d=v" % i for i in range(n))),
            Expect("400 InvalidArgument", "web4xx", "400 InvalidURI"))
    case("query parameter with %00", lambda: ep.request("GET", P, query="prefix=a%00b"),
         Expect("400 InvalidArgument", "web4xx"))
    case("query with malformed escape", lambda: ep.request("GET", P, query="prefix=%zz"),
         Expect("400 InvalidArgument", "web4xx", "400 InvalidURI", "403 SignatureDoesNotMatch"))

    # ---- 4. invalid UTF-8 that the web server does not see (headers, query, XML) ----------
    for bad_key in ["%ff%fe", "%c0%ae%c0%ae/x", "%ed%a0%80", "a%80b", "%f8%88%80%80%80"]:
        case("invalid UTF-8 copy source %s" % bad_key, lambda k=bad_key: ep.request(
            "PUT", P + "/copied", headers={"x-amz-copy-source": "/%s/%s" % (B, k)}),
            Expect("400 InvalidArgument", "404 NoSuchKey"))
        case("invalid UTF-8 prefix ?prefix=%s" % bad_key, lambda k=bad_key: ep.request(
            "GET", P, query="prefix=" + k), Expect("200", "400 InvalidArgument", "web4xx"), post=listing_post)
        case("invalid UTF-8 start-after %s" % bad_key, lambda k=bad_key: ep.request(
            "GET", P, query="list-type=2&start-after=" + k), Expect("200", "400 InvalidArgument", "web4xx"),
            post=listing_post)
    case("invalid UTF-8 key in DeleteObjects", lambda: post_xml(
        ep, P, "delete", b"<Delete><Object><Key>\xc0\xae\xc0\xae/victim</Key></Object></Delete>"),
        Expect("400 MalformedXML"))
    case("DeleteObjects key ../victim", lambda: post_xml(
        ep, P, "delete", ("<Delete><Object><Key>../%s/victim</Key></Object><Object><Key>../../%s/secret</Key>"
                          "</Object><Object><Key>dir/../victim</Key></Object></Delete>" %
                          (B, os.path.basename(outside))).encode()),
        Expect("200", "400 InvalidArgument", "400 MalformedXML"),
        post=lambda r: None if r.status != 200 or b"<Deleted>" not in r.body or b"<Error>" in r.body
        else "claims to have deleted an unmappable key: %s" % r.body[:300])

    # ---- 5. Content-Length and friends --------------------------------------------------
    for cl in ["-1", "-0", "99999999999999999999999", "18446744073709551616", "1e3", "0x10", "+4", "4 4", "",
               "abc"]:
        case("Content-Length: %r" % cl, lambda cl=cl: ep.request(
            "PUT", P + "/victim", body=b"evil", unsigned=[("Content-Length", cl)]),
            Expect("web4xx", "closed", "400 InvalidArgument", "411 MissingContentLength", "400 IncompleteBody",
                   "403 SignatureDoesNotMatch", "400 XAmzContentSHA256Mismatch"))
    case("two different Content-Length headers", lambda: ep.request(
        "PUT", P + "/victim", body=b"evil", unsigned=[("Content-Length", "4"), ("Content-Length", "3")]),
        Expect("web4xx", "closed"))
    case("Content-Length and Transfer-Encoding: chunked", lambda: ep.request(
        "PUT", P + "/victim", body=b"4\r\nevil\r\n0\r\n\r\n",
        unsigned=[("Content-Length", "4"), ("Transfer-Encoding", "chunked")]),
        Expect("web4xx", "closed", "400 XAmzContentSHA256Mismatch", "400 IncompleteBody"))
    case("Content-Length larger than the body, then EOF", lambda: ep.request(
        "PUT", P + "/victim", body=b"evil", unsigned=[("Content-Length", "100")], shut_wr=True, timeout=20),
        Expect("web4xx", "closed", "400 IncompleteBody"))
    case("Content-Length 2^62 with no body, then EOF", lambda: ep.request(
        "PUT", P + "/victim", body=b"", unsigned=[("Content-Length", str(1 << 62))], shut_wr=True, timeout=20),
        Expect("web4xx", "closed", "400 EntityTooLarge", "400 IncompleteBody"))
    case("Content-Length 6 GiB single PUT (over S3's 5 GiB), then EOF", lambda: ep.request(
        "PUT", P + "/victim", body=b"", unsigned=[("Content-Length", str(6 << 30))], shut_wr=True, timeout=20),
        Expect("web4xx", "closed", "400 EntityTooLarge", "400 IncompleteBody"))
    for dl in ["-1", "99999999999999999999", "abc", "18446744073709551615", "4611686018427387905"]:
        case("x-amz-decoded-content-length: %s" % dl, lambda dl=dl: ep.request(
            "PUT", P + "/victim", body=b"4;chunk-signature=" + b"0" * 64 + b"\r\nevil\r\n",
            headers={"x-amz-decoded-content-length": dl, "content-encoding": "aws-chunked"},
            payload_hash="STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
            Expect("400 InvalidArgument", "400 IncompleteBody", "400 EntityTooLarge", "403 SignatureDoesNotMatch"))
    case("streaming PUT without x-amz-decoded-content-length", lambda: ep.request(
        "PUT", P + "/victim", body=b"4;chunk-signature=" + b"0" * 64 + b"\r\nevil\r\n",
        headers={"content-encoding": "aws-chunked"}, payload_hash="STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        Expect("411 MissingContentLength", "400 MissingContentLength", "400 InvalidArgument",
               "400 InvalidRequest", "400 IncompleteBody", "403 SignatureDoesNotMatch"))
    for frame in [b"ffffffffffffffffff;chunk-signature=%s\r\nevil\r\n" % (b"0" * 64),
                  b"-4;chunk-signature=%s\r\nevil\r\n" % (b"0" * 64), b"4\r\nevil\r\n0\r\n\r\n",
                  b"zz;chunk-signature=%s\r\n" % (b"0" * 64), b"4;chunk-signature=\r\nevil\r\n",
                  b"4;chunk-signature=" + b"0" * 64 + b"\nevil\n"]:
        case("aws-chunked framing %r" % frame[:30], lambda frame=frame: ep.request(
            "PUT", P + "/victim", body=frame,
            headers={"x-amz-decoded-content-length": "4", "content-encoding": "aws-chunked"},
            payload_hash="STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
            Expect("400 IncompleteBody", "400 InvalidChunkSizeError", "403 SignatureDoesNotMatch",
                   "400 InvalidArgument", "400 InvalidRequest"))

    # ---- 6. part numbers, max-keys and friends ------------------------------------------
    if upload:
        for pn in ["0", "10001", "99999999999999999999", "-1", "abc", "1.5", "", "4294967297",
                   "+1", "0x1", " 1"]:
            case("UploadPart partNumber=%r" % pn, lambda pn=pn: ep.request(
                "PUT", P + "/mpkey", body=b"evil", query="partNumber=%s&uploadId=%s" % (q(pn, "&="), upload)),
                Expect("400 InvalidArgument", "web4xx"))
        for uid in ["../../../../etc", "x" * 48, upload[:-1], upload + "0", upload.upper(), "%2e%2e%2f" * 8,
                    upload[:20] + "/../" + upload[24:]]:
            case("UploadPart uploadId=%r" % uid[:40], lambda uid=uid: ep.request(
                "PUT", P + "/mpkey", body=b"evil", query="partNumber=1&uploadId=" + q(uid)),
                Expect("404 NoSuchUpload", "400 InvalidArgument"))
        case("UploadPart to another key of the upload", lambda: ep.request(
            "PUT", P + "/other", body=b"evil", query="partNumber=1&uploadId=" + upload),
            Expect("404 NoSuchUpload", "400 InvalidArgument", "400 InvalidRequest"))
        for qs in ["max-parts=-1", "max-parts=99999999999999999999", "part-number-marker=-1",
                   "part-number-marker=99999999999999999999", "max-parts=abc"]:
            case("ListParts ?%s" % qs, lambda qs=qs: ep.request(
                "GET", P + "/mpkey", query="uploadId=%s&%s" % (upload, qs)), Expect("400 InvalidArgument", "200"))
    for pn in ["0", "10001", "99999999999999999999", "-1", "abc", "2"]:
        case("GET ?partNumber=%s" % pn, lambda pn=pn: ep.request("GET", P + "/victim", query="partNumber=" + pn),
             Expect("400 InvalidArgument", "416 InvalidPartNumber", "416 InvalidRange", "400 InvalidPartNumber"))
    for qs in ["max-keys=-1", "max-keys=abc", "max-keys=99999999999999999999", "max-keys=2147483648",
               "list-type=2&max-keys=-5", "max-keys=", "list-type=3", "max-uploads=-1&uploads",
               "max-uploads=99999999999999999999&uploads", "versions&max-keys=-1", "encoding-type=evil",
               "delimiter=" + "d" * 2000, "list-type=2&fetch-owner=maybe"]:
        case("listing ?%s" % qs, lambda qs=qs: ep.request("GET", P, query=qs), Expect("400 InvalidArgument", "200"),
             post=lambda r: (None if r.status != 200 or b"<MaxKeys>-" not in r.body else
                             "echoes a negative MaxKeys"))
    for qs in ["max-buckets=-1", "max-buckets=0", "max-buckets=99999999999999999999", "continuation-token=%2e%2e"]:
        case("ListBuckets ?%s" % qs, lambda qs=qs: ep.request("GET", "/", query=qs),
             Expect("400 InvalidArgument", "200"))

    # ---- 7. ranges ----------------------------------------------------------------------
    n = len(victim)

    def range_post(r, cover=None):
        """200: the whole object; 206 (only where cover=(first, last) is given): bytes
        matching Content-Range, covering what was asked."""
        if r.status == 200 and (r.body != victim or "content-range" in r.headers):
            return "200 without the whole object"
        if r.status == 206:
            m = re.match(r"bytes (\d+)-(\d+)/(\d+)$", r.headers.get("content-range", ""))
            if not cover or not m:
                return "206 for an invalid range: %r" % r.headers.get("content-range")
            f, l_, t = int(m.group(1)), int(m.group(2)), int(m.group(3))
            if t != n or r.body != victim[f:l_ + 1] or f > cover[0] or l_ < cover[1]:
                return "206 %r does not cover %r or carries other bytes" % (r.headers.get("content-range"), cover)
        if r.status == 416 and not r.s3xml() and not WEB_416_NOTED:
            WEB_416_NOTED.append(1)
            note("bad Range syntax: the web server (%s) answered 416 itself after s3cgi ignored the header "
                 "(it applies Range to buffered 200 answers)" % r.headers.get("server"))
        return None
    for rng in ["bytes=abc", "bytes=5-1", "bytes=--1", "items=0-1", "bytes=", "bytes=-",
                "bytes=1-2-3", "bytes= 0-1x", "bytes=0x10-0x20", "bytes=0-1;x", "bytes=0--1"]:
        case("Range (bad syntax): %s" % rng, lambda rng=rng: ep.request("GET", P + "/victim", headers={"range": rng}),
             Expect("200", "416 InvalidRange", "400 InvalidArgument", "400 InvalidRange", "web:416"),
             post=range_post)
    for rng, cover in [("bytes=0-1,3-4", (0, 4)), ("bytes=-99999999999999999999999", (0, n - 1)),
                       ("bytes=0-99999999999999999999999", (0, n - 1))]:
        case("Range (odd but valid): %s" % rng, lambda rng=rng: ep.request(
            "GET", P + "/victim", headers={"range": rng}),
            Expect("200", "206", "416 InvalidRange"), post=lambda r, cover=cover: range_post(r, cover))
    for rng in ["bytes=%d-" % n, "bytes=%d-%d" % (n, n + 10), "bytes=1000000-", "bytes=-0",
                "bytes=99999999999999999999-", "bytes=9223372036854775807-",
                "bytes=18446744073709551615-18446744073709551616"]:
        case("Range past the end: %s" % rng, lambda rng=rng: ep.request("GET", P + "/victim", headers={"range": rng}),
             Expect("416 InvalidRange"))
    for rng, want in [("bytes=0-0", victim[:1]), ("bytes=%d-" % (n - 1), victim[-1:]),
                      ("bytes=-10", victim[-10:]), ("bytes=10-%d" % (n + 1000), victim[10:])]:
        case("control: Range %s" % rng, lambda rng=rng: ep.request("GET", P + "/victim", headers={"range": rng}),
             Expect("206"), post=lambda r, want=want: None if r.body == want else "wrong bytes (%d)" % len(r.body))
    case("Range with partNumber", lambda: ep.request("GET", P + "/victim", query="partNumber=1",
                                                     headers={"range": "bytes=0-1"}),
         Expect("400 InvalidRequest", "400 InvalidArgument"))
    case("copy-source-range past the end (UploadPartCopy)", lambda: ep.request(
        "PUT", P + "/mpkey", query="partNumber=3&uploadId=%s" % upload,
        headers={"x-amz-copy-source": "/%s/victim" % B, "x-amz-copy-source-range": "bytes=0-%d" % (n + 5)}),
        Expect("416 InvalidRange", "400 InvalidArgument", "400 InvalidRange")) if upload else None
    case("copy-source-range bad syntax", lambda: ep.request(
        "PUT", P + "/mpkey", query="partNumber=3&uploadId=%s" % upload,
        headers={"x-amz-copy-source": "/%s/victim" % B, "x-amz-copy-source-range": "bytes=5-1"}),
        Expect("416 InvalidRange", "400 InvalidArgument", "400 InvalidRange")) if upload else None

    # ---- 8. XML -----------------------------------------------------------------------
    xxe_file = "file://" + os.path.join(outside, "xxe-key")
    lol = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
           b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                    for i in range(1, 10)) + b"]>")
    deep = 100000
    xml_bodies = {
        "malformed": lambda root, inner: b"<%s>%s<<>></%s>" % (root, inner, root),
        "truncated": lambda root, inner: (b"<%s>%s</%s>" % (root, inner, root))[:-7],
        "wrong root element": lambda root, inner: b"<Wrong>%s</Wrong>" % inner,
        "mismatched tags": lambda root, inner: b"<%s>%s</Other>" % (root, inner),
        "empty body": lambda root, inner: b"",
        "not XML": lambda root, inner: b"\x00\x01\x02garbage",
        "deep nesting (100000)": lambda root, inner: b"<%s>" % root + b"<a>" * deep + b"</a>" * deep + b"</%s>" % root,
        "too many elements (200000)": lambda root, inner: b"<%s>" % root + b"<x/>" * 200000 + b"</%s>" % root,
        "DOCTYPE": lambda root, inner: b"<!DOCTYPE %s []><%s>%s</%s>" % (root, root, inner, root),
        "XXE external entity": lambda root, inner: (
            b'<!DOCTYPE %s [<!ENTITY x SYSTEM "%s">]><%s>%s</%s>' % (
                root, xxe_file.encode(), root, inner.replace(b"victim", b"&x;").replace(b"1</PartNumber>",
                                                                                       b"&x;</PartNumber>"), root)),
        "XXE parameter entity": lambda root, inner: (
            b'<!DOCTYPE %s [<!ENTITY %% p SYSTEM "%s"> %%p;]><%s>%s</%s>' % (root, xxe_file.encode(), root, inner,
                                                                            root)),
        "billion laughs": lambda root, inner: lol + b"<%s>%s&lol9;</%s>" % (root, inner, root),
        "internal entity": lambda root, inner: b'<!DOCTYPE %s [<!ENTITY v "victim">]><%s>%s</%s>' % (
            root, root, inner.replace(b"victim", b"&v;"), root),
        "processing instruction + comment flood": lambda root, inner: b"<%s>" % root + b"<!--x-->" * 300000 +
        inner + b"</%s>" % root,
        "10 MiB body": lambda root, inner: b"<%s>%s" % (root, inner) + b" " * (10 << 20) + b"</%s>" % root,
        "long text (5 MiB key)": lambda root, inner: b"<%s><Object><Key>%s</Key></Object></%s>" % (
            root, b"k" * (5 << 20), root),
        "UTF-16, wrong root element": lambda root, inner: (
            '<?xml version="1.0" encoding="UTF-16"?><Wrong>%s</Wrong>' % inner.decode()).encode("utf-16"),
        "unknown encoding": lambda root, inner: b'<?xml version="1.0" encoding="x-evil"?><%s>%s</%s>' % (
            root, inner, root),
        "NUL byte in text": lambda root, inner: b"<%s>%s\x00</%s>" % (root, inner, root),
    }
    targets = [
        ("CreateBucket", lambda body: ep.request("PUT", "/" + NB, body=body), b"CreateBucketConfiguration",
         b"<LocationConstraint>victim</LocationConstraint>"),
        ("DeleteObjects", lambda body: post_xml(ep, P, "delete", body), b"Delete",
         b"<Object><Key>victim</Key></Object>"),
    ]
    if upload:
        targets.append(("CompleteMultipartUpload", lambda body: ep.request(
            "POST", P + "/mpkey", query="uploadId=" + upload, body=body), b"CompleteMultipartUpload",
            b"<Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part>" % part_etag.encode()))
    for tname, fn, root_el, inner in targets:
        for bname, mk in xml_bodies.items():
            if tname == "CreateBucket" and bname in ("empty body",):
                continue                    # an empty CreateBucket body is legal
            body = mk(root_el, inner)
            exp = Expect("400 MalformedXML", "400 EntityTooLarge", "web:413", "400 MissingRequestBodyError",
                         "400 InvalidRequest")
            if bname == "long text (5 MiB key)":
                exp = Expect("400 MalformedXML", "400 EntityTooLarge", "400 KeyTooLongError", "web:413")
            case("XML %s: %s (%d bytes)" % (tname, bname, len(body)), lambda fn=fn, body=body: fn(body), exp)
    case("XML DeleteObjects with 1001 keys", lambda: post_xml(
        ep, P, "delete", b"<Delete>" + b"".join(
            b"<Object><Key>none-%d</Key></Object>" % i for i in range(1001)) + b"</Delete>"),
        Expect("400 MalformedXML"))
    if upload:
        case("XML Complete with part 10001", lambda: ep.request(
            "POST", P + "/mpkey", query="uploadId=" + upload,
            body=b"<CompleteMultipartUpload><Part><PartNumber>10001</PartNumber><ETag>%s</ETag></Part>"
                 b"</CompleteMultipartUpload>" % part_etag.encode()),
            Expect("400 InvalidArgument", "400 MalformedXML", "400 InvalidPart"))
        case("XML Complete with part 0 and -1", lambda: ep.request(
            "POST", P + "/mpkey", query="uploadId=" + upload,
            body=b"<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>x</ETag></Part>"
                 b"<Part><PartNumber>-1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>"),
            Expect("400 InvalidArgument", "400 MalformedXML", "400 InvalidPart", "400 InvalidPartOrder"))
        case("XML Complete with a wrong ETag", lambda: ep.request(
            "POST", P + "/mpkey", query="uploadId=" + upload,
            body=b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"%s\"</ETag></Part>"
                 b"</CompleteMultipartUpload>" % (b"0" * 32)), Expect("400 InvalidPart"))
        case("XML Complete with parts out of order", lambda: ep.request(
            "POST", P + "/mpkey", query="uploadId=" + upload,
            body=b"<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>%s</ETag></Part>"
                 b"<Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part></CompleteMultipartUpload>" % (
                     part_etag.encode(), part_etag.encode())), Expect("400 InvalidPartOrder", "400 InvalidPart"))
        case("XML Complete with 20000 parts", lambda: ep.request(
            "POST", P + "/mpkey", query="uploadId=" + upload,
            body=b"<CompleteMultipartUpload>" + b"".join(
                b"<Part><PartNumber>%d</PartNumber><ETag>x</ETag></Part>" % (i + 1) for i in range(20000)) +
            b"</CompleteMultipartUpload>"), Expect("400 MalformedXML", "400 InvalidPart", "400 InvalidArgument",
                                                   "400 EntityTooLarge"))
    case("PutBucketAcl XXE", lambda: ep.request(
        "PUT", P, query="acl", body=b'<!DOCTYPE a [<!ENTITY x SYSTEM "%s">]><AccessControlPolicy>&x;'
                                    b'</AccessControlPolicy>' % xxe_file.encode()),
        Expect("400 MalformedXML", "501 NotImplemented", "400 MalformedACLError"))

    # ---- 9. signatures -------------------------------------------------------------------
    def flip(auth):
        return auth[:-1] + ("0" if auth[-1] != "0" else "1")
    V = P + "/victim"
    auth_fail = Expect("403 SignatureDoesNotMatch", "400 AuthorizationHeaderMalformed", "403 AccessDenied",
                       "400 InvalidArgument", "400 InvalidRequest")
    case("auth: bad signature", lambda: ep.request("PUT", V, body=b"evil", auth_mutate=flip),
         Expect("403 SignatureDoesNotMatch"))
    case("auth: truncated signature (32 hex)", lambda: ep.request("PUT", V, body=b"evil",
                                                                  auth_mutate=lambda s: s[:-32]), auth_fail)
    case("auth: empty signature", lambda: ep.request("PUT", V, body=b"evil",
                                                     auth_mutate=lambda s: s[:s.index("Signature=") + 10]), auth_fail)
    case("auth: signature too long", lambda: ep.request("PUT", V, body=b"evil", auth_mutate=lambda s: s + "00"),
         auth_fail)
    case("auth: uppercase hex signature (same MAC; scratch key)", lambda: ep.request(
        "PUT", P + "/scratch-upper", body=b"evil", auth_mutate=lambda s: s[:-64] + s[-64:].upper()),
        Expect("403 SignatureDoesNotMatch", "400 AuthorizationHeaderMalformed", "200"),
        post=lambda r: None if r.status != 200 or ep.delete(B, "scratch-upper").status == 204 else "cleanup")
    case("auth: no Signature component", lambda: ep.request("PUT", V, body=b"evil",
                                                            auth_mutate=lambda s: s[:s.index(", Signature")]),
         auth_fail)
    case("auth: truncated Authorization header", lambda: ep.request("PUT", V, body=b"evil",
                                                                    auth_mutate=lambda s: s[:40]), auth_fail)
    case("auth: algorithm AWS4-HMAC-SHA512", lambda: ep.request(
        "PUT", V, body=b"evil", auth_mutate=lambda s: s.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512", 1)),
        auth_fail)
    case("auth: credential service s4", lambda: ep.request(
        "PUT", V, body=b"evil", auth_mutate=lambda s: s.replace("/s3/aws4_request", "/s4/aws4_request")), auth_fail)
    case("auth: credential terminator aws4_requestX", lambda: ep.request(
        "PUT", V, body=b"evil", auth_mutate=lambda s: s.replace("aws4_request", "aws4_requestX")), auth_fail)
    case("auth: credential with an extra / segment", lambda: ep.request(
        "PUT", V, body=b"evil", auth_mutate=lambda s: s.replace("Credential=", "Credential=x/")), auth_fail)
    case("auth: credential date not the x-amz-date", lambda: ep.request(
        "PUT", V, body=b"evil", auth_mutate=lambda s: s.replace("/%s/" % amz_now()[:8], "/20200101/")), auth_fail)
    case("auth: SignedHeaders uppercase", lambda: ep.request(
        "PUT", V, body=b"evil", auth_mutate=lambda s: s.replace("SignedHeaders=host", "SignedHeaders=Host")),
        auth_fail)
    case("auth: SignedHeaders without host", lambda: ep.request(
        "PUT", V, body=b"evil", auth_mutate=lambda s: s.replace("SignedHeaders=host;", "SignedHeaders=")), auth_fail)
    case("auth: SignedHeaders naming an absent header", lambda: ep.request(
        "PUT", V, body=b"evil", auth_mutate=lambda s: s.replace("SignedHeaders=", "SignedHeaders=a-absent;")),
        auth_fail)
    case("auth: duplicated Authorization header", lambda: ep.request(
        "PUT", V, body=b"evil", unsigned=[("Authorization", "AWS4-HMAC-SHA256 Credential=x")]),
        Expect("web4xx", "403 SignatureDoesNotMatch", "400 AuthorizationHeaderMalformed", "400 InvalidArgument",
               "403 AccessDenied"))
    case("auth: duplicated x-amz-date (second differs)", lambda: ep.request(
        "PUT", V, body=b"evil", unsigned=[("X-Amz-Date", amz_now(-60))]),
        Expect("web4xx", "403 SignatureDoesNotMatch", "403 AccessDenied", "400 AuthorizationHeaderMalformed",
               "403 RequestTimeTooSkewed"))
    case("auth: duplicated x-amz-content-sha256 (UNSIGNED-PAYLOAD added)", lambda: ep.request(
        "PUT", V, body=b"evil", unsigned=[("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")]),
        Expect("web4xx", "403 SignatureDoesNotMatch", "400 XAmzContentSHA256Mismatch", "400 InvalidArgument"))
    case("auth: duplicated Host header", lambda: ep.request(
        "PUT", V, body=b"evil", unsigned=[("Host", "evil.example")]), Expect("web4xx", "403 SignatureDoesNotMatch"))
    case("auth: unsigned x-amz-meta header added", lambda: ep.request(
        "PUT", V, body=b"evil", unsigned=[("X-Amz-Meta-Evil", "1")]),
        Expect("403 AccessDenied", "403 SignatureDoesNotMatch", "400 AuthorizationHeaderMalformed"))
    case("auth: unsigned x-amz-acl header added", lambda: ep.request(
        "PUT", V, body=b"evil", unsigned=[("x-amz-acl", "public-read")]),
        Expect("403 AccessDenied", "403 SignatureDoesNotMatch"))
    # (nginx drops headers with underscores; lighttpd and Apache pass them on)
    case("auth: underscore alias x_amz_meta_evil (CGI maps it to HTTP_X_AMZ_META_EVIL)", lambda: ep.request(
        "PUT", P + "/scratch-us", body=b"evil", unsigned=[("x_amz_meta_evil", "1")]),
        Expect("403 AccessDenied", "403 SignatureDoesNotMatch", "web4xx", "200"),
        post=lambda r: underscore_post(ep, B, r))
    case("auth: underscore alias x_amz_content_sha256 overriding the signed one", lambda: ep.request(
        "PUT", P + "/scratch-us", body=b"evil", unsigned=[("x_amz_content_sha256", "UNSIGNED-PAYLOAD")]),
        Expect("403 SignatureDoesNotMatch", "403 AccessDenied", "web4xx", "400 XAmzContentSHA256Mismatch", "200"),
        post=lambda r: underscore_post(ep, B, r))
    case("auth: mixed-case header names on the wire (control: accepted)", lambda: send_mixed_case(ep, V),
         Expect("200"), post=lambda r: None if r.body == victim else "wrong body")

    # replays with modification: a request signed for one thing, sent as another
    def replay(mod):
        h = {"host": ep.hostport}
        body = b"evil-replay"
        ep.signer.sign("PUT", ep.prefix + V, "", h, hashlib.sha256(body).hexdigest())
        return mod(h, body)

    def send_h(method, path, h, body, query=""):
        return ep.request(method, path, query=query, body=body, sign=False, unsigned=list(h.items()))
    case("replay: body modified", lambda: replay(lambda h, b: send_h("PUT", V, h, b"evil-other")),
         Expect("400 XAmzContentSHA256Mismatch", "400 BadDigest"))
    case("replay: body truncated (Content-Length kept honest)", lambda: replay(
        lambda h, b: send_h("PUT", V, h, b[:-3])), Expect("400 XAmzContentSHA256Mismatch", "400 BadDigest"))
    case("replay: other key", lambda: replay(lambda h, b: send_h("PUT", P + "/dir/obj", h, b)),
         Expect("403 SignatureDoesNotMatch"))
    case("replay: other bucket path (%2e%2e-encoded)", lambda: replay(
        lambda h, b: send_h("PUT", P + "/%2e%2e/" + B + "/victim", h, b)),
        Expect("403 SignatureDoesNotMatch", "400 InvalidArgument"))
    case("replay: query added (?acl)", lambda: replay(lambda h, b: send_h("PUT", V, h, b, "acl")),
         Expect("403 SignatureDoesNotMatch"))
    case("replay: method changed to DELETE", lambda: replay(lambda h, b: send_h("DELETE", V, h, b"")),
         Expect("403 SignatureDoesNotMatch", "400 XAmzContentSHA256Mismatch"))
    case("replay: host changed", lambda: replay(lambda h, b: send_h("PUT", V, dict(h, host="evil.example"), b)),
         Expect("403 SignatureDoesNotMatch", "web4xx"))
    case("replay: x-amz-date changed", lambda: replay(lambda h, b: send_h(
        "PUT", V, dict(h, **{"x-amz-date": amz_now(-30)}), b)), Expect("403 SignatureDoesNotMatch"))
    case("replay: content-sha256 swapped to UNSIGNED-PAYLOAD", lambda: replay(lambda h, b: send_h(
        "PUT", V, dict(h, **{"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}), b)), Expect("403 SignatureDoesNotMatch"))
    case("replay: signed content-type changed", lambda: replay_ct(ep, V),
         Expect("403 SignatureDoesNotMatch"))
    case("replay: copy-source added (unsigned x-amz-copy-source)", lambda: replay(lambda h, b: send_h(
        "PUT", V, dict(h, **{"x-amz-copy-source": "/%s/dir/obj" % B}), b"")),
        Expect("403 AccessDenied", "403 SignatureDoesNotMatch", "400 XAmzContentSHA256Mismatch"))
    case("chunk signatures from another request", lambda: foreign_chunks(ep, V),
         Expect("403 SignatureDoesNotMatch"))
    case("SigV2: bad signature", lambda: ep.request("PUT", V, body=b"evil", sign=False, unsigned=[
        ("Authorization", "AWS %s:%s" % (ep.signer.ak, base64.b64encode(b"x" * 20).decode())),
        ("Date", time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()))]),
        Expect("403 SignatureDoesNotMatch", "403 AccessDenied"))
    case("SigV2: no colon", lambda: ep.request("PUT", V, body=b"evil", sign=False, unsigned=[
        ("Authorization", "AWS %s" % ep.signer.ak)]), auth_fail)
    case("presigned + Authorization header both", lambda: ep.request(
        "GET", V, query="X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=" + "0" * 64),
        Expect("400 InvalidArgument", "403 SignatureDoesNotMatch", "400 AuthorizationQueryParametersError",
               "400 InvalidRequest", "403 AccessDenied"))
    for exp_s in ["0", "604801", "-1", "99999999999999999999"]:
        case("presigned X-Amz-Expires=%s" % exp_s, lambda e=exp_s: presigned(ep, "PUT", V, e),
             Expect("400 AuthorizationQueryParametersError", "403 AccessDenied", "400 InvalidArgument",
                    "403 SignatureDoesNotMatch", "400 AuthorizationHeaderMalformed"))
    case("unsigned PUT (anonymous)", lambda: ep.request("PUT", V, body=b"evil", sign=False),
         Expect("403 AccessDenied"))
    case("unsigned DeleteObjects (anonymous)", lambda: ep.request(
        "POST", P, query="delete", sign=False, body=b"<Delete><Object><Key>victim</Key></Object></Delete>",
        unsigned=[("Content-MD5", md5b64(b"<Delete><Object><Key>victim</Key></Object></Delete>"))]),
        Expect("403 AccessDenied"))
    case("x-amz-date malformed", lambda: ep.request("PUT", V, body=b"evil", amz_date="2024-13-45T99:99:99Z"),
         Expect("403 AccessDenied", "400 AuthorizationHeaderMalformed", "403 SignatureDoesNotMatch",
                "403 RequestTimeTooSkewed", "400 InvalidArgument"))

    # ---- run ---------------------------------------------------------------------------
    cases = [c for c in cases if c is not None and c[0] is not None]
    if a.only:
        cases = [c for c in cases if a.only in c[0]]
    tried = 0
    failed = 0
    t0 = time.time()
    last_root = snapper.snapshot(root)
    last_out = snapper.snapshot(outside)
    for name, fn, exp, post, leak_check in cases:
        tried += 1
        try:
            r = fn()
        except Exception as e:          # the harness itself must not hide a case
            bad("hostile: " + name, "exception in the test: %r" % e)
            failed += 1
            continue
        why = []
        if not exp.match(r):
            why.append("expected %s, got %r%s" % (exp, r, (" (%s)" % r.message()) if r.s3xml() else ""))
        if leak_check and r.body and SECRET in r.body:
            why.append("the response carries the secret from outside the root")
        if post:
            try:
                p = post(r)
            except Exception as e:
                p = "post-check exception %r" % e
            if p:
                why.append(p)
        now_root = snapper.snapshot(root)
        now_out = snapper.snapshot(outside)
        if now_root != last_root:
            why.append("data root changed: " + diff(last_root, now_root))
        if now_out != last_out:
            why.append("OUTSIDE the root changed: " + diff(last_out, now_out))
        last_root, last_out = now_root, now_out
        if why:
            failed += 1
            bad("hostile: " + name, "; ".join(why))
        else:
            ok("hostile: %s -> %r" % (name, r))
    # the victim and the upload survived everything
    g = ep.get(B, "victim")
    if g.status == 200 and g.body == victim:
        ok("hostile: victim object intact after %d cases" % tried)
    else:
        bad("hostile: victim object intact", repr(g))
    if upload:
        r = ep.request("POST", P + "/mpkey", query="uploadId=" + upload,
                       body=b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part>"
                            b"</CompleteMultipartUpload>" % part_etag.encode())
        g = ep.get(B, "mpkey")
        if r.status == 200 and g.body == part:
            ok("hostile: the upload survived every hostile Complete and completes now")
        else:
            bad("hostile: upload completes after the hostile cases", "%r / GET %r" % (r, g))
    with open(os.path.join(outside, "secret"), "rb") as f:
        if f.read() != SECRET:
            bad("hostile: outside secret untouched", "changed")
    note("hostile cases tried: %d (%d failed) in %.0f s" % (tried, failed, time.time() - t0))
    print("hostile cases tried: %d" % tried)
    # cleanup: links first (a DELETE never follows them), then objects and the bucket
    for name in links:
        try:
            os.unlink(os.path.join(bdir, name))
        except OSError:
            pass
    os.unlink(sbp)
    os.unlink(os.path.join(bdir, ".s3cgi-tmp-0123456789abcdef"))
    for k in ["victim", "dir/obj", "mpkey"]:
        ep.delete(B, k)
    r = ep.request("DELETE", P)
    if r.status == 204:
        ok("hostile: bucket deleted at the end")
    else:
        bad("hostile: bucket deleted at the end", "%r; left: %s" % (r, os.listdir(bdir) if os.path.isdir(bdir)
                                                                 else "-"))
    shutil.rmtree(outside, ignore_errors=True)
    return 0


def listing_post(r):
    """Nothing beyond a symlink, nothing reserved, nothing from outside in a listing."""
    if r.status != 200:
        return None
    names = re.findall(rb"<Key>(.*?)</Key>", r.body) + re.findall(
        rb"<CommonPrefixes><Prefix>(.*?)</Prefix>", r.body)
    evil = [x for x in names if x.startswith((b"link-", b"dir/link-up/", b".s3cgi")) or b"secret" in x or
            b"inner" in x or b"passwd" in x]
    return "listed %r" % evil[:5] if evil else None


def post_xml(ep, path, sub, body, extra=None):
    h = {"content-md5": md5b64(body)}
    h.update(extra or {})
    return ep.request("POST", path, query=sub, body=body, headers=h)


def multipart_through(ep, B, name):
    import re
    path = "/%s/%s" % (B, name)
    r = ep.request("POST", path, query="uploads")
    if r.status != 200:
        return r
    uid = re.search(rb"<UploadId>(.*?)</UploadId>", r.body).group(1).decode()
    r = ep.request("PUT", path, query="partNumber=1&uploadId=" + uid, body=b"evil")
    etag = r.headers.get("etag", "x")
    r = ep.request("POST", path, query="uploadId=" + uid,
                   body=b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part>"
                        b"</CompleteMultipartUpload>" % etag.encode())
    ep.request("DELETE", path, query="uploadId=" + uid)     # abort whatever is left
    return r


def restore_victim(ep, B, victim):
    r = ep.put(B, "victim", victim)
    return None if r.status == 200 else "could not restore victim: %r" % r


def underscore_post(ep, B, r):
    """An underscore alias: if the request was accepted (the web server dropped the
    header), the object must carry no x-amz-meta-evil and hold exactly the body sent."""
    if r.status != 200:
        return None
    h = ep.request("HEAD", "/%s/scratch-us" % B)
    g = ep.get(B, "scratch-us")
    problem = None
    if "x-amz-meta-evil" in h.headers:
        problem = "an unsigned header (underscore alias) was stored as x-amz-meta-evil"
    elif g.body != b"evil":
        problem = "stored body differs from the body sent"
    if ep.delete(B, "scratch-us").status != 204:
        problem = problem or "cleanup DELETE failed"
    return problem


def send_mixed_case(ep, path):
    h = {"host": ep.hostport}
    ep.signer.sign("GET", ep.prefix + path, "", h, hashlib.sha256(b"").hexdigest())
    wire = [("HoSt", h["host"]), ("X-AMZ-DATE", h["x-amz-date"]), ("x-Amz-Content-SHA256", h["x-amz-content-sha256"]),
            ("AUTHORIZATION", h["authorization"])]
    return ep.request("GET", path, sign=False, unsigned=wire, content_length=False)


def replay_ct(ep, path):
    h = {"host": ep.hostport, "content-type": "text/plain"}
    body = b"evil"
    ep.signer.sign("PUT", ep.prefix + path, "", h, hashlib.sha256(body).hexdigest())
    h["content-type"] = "text/html"
    return ep.request("PUT", path, body=body, sign=False, unsigned=list(h.items()))


def foreign_chunks(ep, path):
    """Two streaming PUTs signed at the same second: the second one carries the chunk
    signatures of the first (same data, other seed)."""
    data = os.urandom(70000)
    date = amz_now()
    seeds = []
    for extra in ({"x-amz-meta-a": "1"}, {"x-amz-meta-a": "2"}):
        h = {"host": ep.hostport, "content-encoding": "aws-chunked",
             "x-amz-decoded-content-length": str(len(data))}
        h.update(extra)
        seed = ep.signer.sign("PUT", ep.prefix + path, "", h, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", date)
        seeds.append((seed, h))
    chunks = [data[:65536], data[65536:], b""]
    sigs, prev = [], seeds[0][0]
    for c in chunks:
        prev = ep.signer.chunk_sig(date, prev, c)
        sigs.append(prev)
    body = b""
    for c, s in zip(chunks, sigs):
        body += b"%x;chunk-signature=%s\r\n%s\r\n" % (len(c), s.encode(), c)
    return ep.request("PUT", path, body=body, sign=False, unsigned=list(seeds[1][1].items()))


def presigned(ep, method, path, expires):
    qs = ep.signer.presign(method, ep.prefix + path, ep.hostport, amz_now(), expires)
    return ep.request(method, path, query=qs, sign=False, body=b"evil")


if __name__ == "__main__":
    sys.exit(main())
