#!/usr/bin/python3
"""auth_neg.py - hand-built SigV4 requests against an s3cgi endpoint, standard library only.

    auth_neg.py --endpoint URL --access-key AK --secret-key SK --region R --bucket B --root DIR

Signs requests itself (the SigV4 signer of hardening/s3h.py): header-signed PUTs,
presigned URLs, and aws-chunked bodies in the three streaming forms
(STREAMING-AWS4-HMAC-SHA256-PAYLOAD, its -TRAILER variant,
STREAMING-UNSIGNED-PAYLOAD-TRAILER). First positive controls (each form is accepted
and stores exactly the decoded bytes), then broken requests aimed at an existing object:
tampered chunk data, bad chunk / final-chunk / trailer signatures, a missing final chunk,
wrong trailer and header checksums, wrong x-amz-decoded-content-length, expired
presigned URLs, a wrong region, a clock 20 minutes off. Each must get its S3 error code,
and the data root DIR must be byte-for-byte unchanged (recursive listing, sizes, sha256 of
every file, user.* xattrs; ROOT/.s3cgi's temporary files excluded) and the old object
still served. Prints "ok NAME" / "FAIL NAME: detail" lines (lib.sh's count_results).
BUCKET is created here and removed at the end.
"""
import argparse
import binascii
import datetime
import hashlib
import http.client
import os
import re
import sys
import urllib.parse
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "hardening"))
from s3h import Signer, amz_now, bad, ok  # noqa: E402  (the signer the hardening suites use)

def crc32_b64(data):
    return binascii.b2a_base64((zlib.crc32(data) & 0xffffffff).to_bytes(4, "big"), newline=False).decode()


def split(data, size):
    return [data[i:i + size] for i in range(0, len(data), size)]


class Endpoint:
    def __init__(self, url, signer):
        u = urllib.parse.urlsplit(url)
        self.hostport = u.netloc
        self.host, self.port = u.hostname, u.port or 80
        self.prefix = u.path.rstrip("/")
        self.s = signer

    def send(self, method, path, headers=None, body=b"", query=""):
        """Sends one request exactly as given (headers include host); returns
        (status, response headers dict lowercased, body bytes)."""
        c = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            c.putrequest(method, path + ("?" + query if query else ""), skip_host=True, skip_accept_encoding=True)
            for k, v in (headers or {}).items():
                c.putheader(k, v)
            if "content-length" not in (headers or {}):
                c.putheader("content-length", str(len(body)))
            c.endheaders()
            try:
                if body:
                    c.send(body)
            except (BrokenPipeError, ConnectionResetError):
                pass          # refused early: the answer is still there to read
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def path(self, bucket, key=""):
        return "%s/%s%s" % (self.prefix, bucket, "/" + key if key else "")

    def signed(self, method, bucket, key="", body=b"", extra=None, date=None, region=None, payload_hash=None):
        p = self.path(bucket, key)
        h = {"host": self.hostport}
        h.update(extra or {})
        self.s.sign(method, p, "", h, payload_hash or hashlib.sha256(body).hexdigest(), date or amz_now(), region)
        return self.send(method, p, h, body)

    def streaming(self, bucket, key, data, form, chunk=65536, date=None, mutate=None, decoded_len=None):
        """PUT of DATA as an aws-chunked body in FORM ("signed", "signed-trailer",
        "unsigned-trailer"). mutate(parts) may change the list of encoded pieces
        (dicts: kind, size, sig, data / trailer) before they are joined."""
        date = date or amz_now()
        p = self.path(bucket, key)
        mode = {"signed": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                "signed-trailer": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                "unsigned-trailer": "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}[form]
        h = {"host": self.hostport, "content-encoding": "aws-chunked",
             "x-amz-decoded-content-length": str(len(data) if decoded_len is None else decoded_len)}
        if form != "signed":
            h["x-amz-trailer"] = "x-amz-checksum-crc32"
        # Content-Length is not known before the body is built, and S3 signers sign it:
        # leave it unsigned here (it is not an x-amz-* header, so that is allowed).
        seed = self.s.sign("PUT", p, "", h, mode, date)
        parts, prev = [], seed
        for d in split(data, chunk) + [b""]:
            part = {"kind": "data" if d else "final", "size": len(d), "data": d, "sig": None}
            if form != "unsigned-trailer":
                prev = part["sig"] = self.s.chunk_sig(date, prev, d)
            parts.append(part)
        if form != "signed":
            t = {"kind": "trailer", "name": "x-amz-checksum-crc32", "value": crc32_b64(data), "sig": None}
            if form == "signed-trailer":
                t["sig"] = self.s.trailer_sig(date, prev, "%s:%s\n" % (t["name"], t["value"]))
            parts.append(t)
        if mutate:
            mutate(parts)
        out = []
        for part in parts:
            if part["kind"] == "trailer":
                out.append(("%s:%s\r\n" % (part["name"], part["value"])).encode())
                if part["sig"]:
                    out.append(("x-amz-trailer-signature:%s\r\n" % part["sig"]).encode())
                out.append(b"\r\n")
                continue
            line = "%x" % part["size"] + (";chunk-signature=%s" % part["sig"] if part["sig"] else "")
            out.append(line.encode() + b"\r\n" + part["data"])
            if part["kind"] == "data" or form == "signed":
                out.append(b"\r\n")
        body = b"".join(out)
        h["content-length"] = str(len(body))
        return self.send("PUT", p, h, body)


def s3_error(body):
    def tag(t):
        m = re.search(r"<%s>(.*?)</%s>" % (t, t), body.decode("utf-8", "replace"), re.S)
        return m.group(1) if m else None
    return tag("Code"), tag("Message")


def snapshot(root):
    """Recursive listing of ROOT: path -> (type, size, sha256, user xattrs). The reserved
    .s3cgi directory is left out, except its bucket-owner records."""
    snap = {}
    for dirpath, dirs, files in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        if rel == ".s3cgi" or rel.startswith(".s3cgi" + os.sep):
            if not (rel == ".s3cgi" or rel.startswith(os.path.join(".s3cgi", "buckets"))):
                dirs[:] = []
                continue
            if rel == ".s3cgi":
                dirs[:] = [d for d in dirs if d == "buckets"]
                files = []
        for name in dirs + files:
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            try:
                xa = {a: os.getxattr(full, a, follow_symlinks=False) for a in os.listxattr(full, follow_symlinks=False)
                      if a.startswith("user.")}
            except OSError:
                xa = {}
            digest = None
            if name in files and os.path.isfile(full) and not os.path.islink(full):
                h = hashlib.sha256()
                with open(full, "rb") as f:
                    for b in iter(lambda: f.read(1 << 20), b""):
                        h.update(b)
                digest = h.hexdigest()
            snap[os.path.relpath(full, root)] = (st.st_mode >> 12, st.st_size if digest else 0, digest, sorted(xa.items()))
    return snap


def diff(a, b):
    out = []
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            out.append("%s %s" % ("added" if k not in a else "removed" if k not in b else "changed", k))
    return ", ".join(out[:5]) + (" ..." if len(out) > 5 else "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--access-key", required=True)
    ap.add_argument("--secret-key", required=True)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--bucket", default="t-authneg")
    ap.add_argument("--root", required=True)
    a = ap.parse_args()
    s = Signer(a.access_key, a.secret_key, a.region)
    ep = Endpoint(a.endpoint, s)
    B = a.bucket
    other_region = "eu-west-3" if a.region != "eu-west-3" else "us-west-2"

    def expect(name, resp, status, code, message=None):
        st, _, body = resp
        c, m = s3_error(body)
        if st == status and c == code and (message is None or (m and message in m)):
            ok(name)
            return True
        bad(name, "expected %d %s%s, got %d %s (%s)" % (status, code, " '%s'" % message if message else "",
                                                       st, c, m))
        return False

    def get_bytes(key):
        st, _, body = ep.signed("GET", B, key)
        return body if st == 200 else ("HTTP %d" % st).encode()

    st = ep.signed("PUT", B)[0]
    if st != 200:
        bad("create bucket", "HTTP %d" % st)
        return 1
    ok("create bucket")

    # ---- positive controls: every form accepted, exactly the decoded bytes stored ------
    data = os.urandom(3 * 65536 + 1234)
    controls = [("sha256-signed PUT", lambda k: ep.signed("PUT", B, k, data)),
                ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD PUT", lambda k: ep.streaming(B, k, data, "signed")),
                ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER PUT", lambda k: ep.streaming(B, k, data, "signed-trailer")),
                ("STREAMING-UNSIGNED-PAYLOAD-TRAILER PUT", lambda k: ep.streaming(B, k, data, "unsigned-trailer")),
                ("UNSIGNED-PAYLOAD PUT", lambda k: ep.signed("PUT", B, k, data, payload_hash="UNSIGNED-PAYLOAD"))]
    for i, (name, fn) in enumerate(controls):
        key = "control-%d" % i
        st, h, body = fn(key)
        if st != 200:
            bad("control: " + name, "HTTP %d %s" % (st, s3_error(body)))
            continue
        got = get_bytes(key)
        if got == data and h.get("etag", "").strip('"') == hashlib.md5(data).hexdigest():
            ok("control: " + name + " stores the decoded bytes")
        else:
            bad("control: " + name, "stored %d bytes, sha256 %s, ETag %s" % (
                len(got), hashlib.sha256(got).hexdigest()[:16], h.get("etag")))
    q = s.presign("GET", ep.path(B, "control-0"), ep.hostport, amz_now(), 300)
    st, _, body = ep.send("GET", ep.path(B, "control-0"), {"host": ep.hostport}, query=q)
    if st == 200 and body == data:
        ok("control: presigned GET")
    else:
        bad("control: presigned GET", "HTTP %d %s" % (st, s3_error(body)))
    q = s.presign("PUT", ep.path(B, "control-presigned"), ep.hostport, amz_now(), 300)
    st, _, body = ep.send("PUT", ep.path(B, "control-presigned"), {"host": ep.hostport}, b"presigned put", query=q)
    if st == 200 and get_bytes("control-presigned") == b"presigned put":
        ok("control: presigned PUT")
    else:
        bad("control: presigned PUT", "HTTP %d %s" % (st, s3_error(body)))

    # ---- the victim: every broken request below aims at it --------------------------
    V = "victim"
    old = os.urandom(100000)
    if ep.signed("PUT", B, V, old)[0] != 200:
        bad("put victim", "failed")
        return 1
    big = os.urandom(4 * 65536 + 4321)    # several chunks

    def set_sig(idx, sig):
        def m(parts):
            parts[idx]["sig"] = sig
        return m

    def tamper_data(parts):
        d = bytearray(parts[1]["data"])
        d[100] ^= 0x01
        parts[1]["data"] = bytes(d)

    def drop_final(parts):
        del parts[[p["kind"] for p in parts].index("final"):]

    def wrong_trailer(parts):
        parts[-1]["value"] = crc32_b64(b"something else")

    def wrong_trailer_resigned(parts):
        # a CRC32 that does not match the data, with a trailer signature valid for it
        prev = parts[-2]["sig"]
        parts[-1]["value"] = crc32_b64(b"something else")
        parts[-1]["sig"] = s.trailer_sig(date_fixed, prev, "%s:%s\n" % (parts[-1]["name"], parts[-1]["value"]))

    date_fixed = amz_now()
    expired = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=2)).strftime("%Y%m%dT%H%M%SZ")
    cases = [
        ("tampered chunk data (signed stream)", 403, "SignatureDoesNotMatch", None,
         lambda: ep.streaming(B, V, big, "signed", mutate=tamper_data)),
        ("tampered chunk data (signed stream with trailer)", 403, "SignatureDoesNotMatch", None,
         lambda: ep.streaming(B, V, big, "signed-trailer", mutate=tamper_data)),
        ("bad chunk signature (2nd chunk)", 403, "SignatureDoesNotMatch", None,
         lambda: ep.streaming(B, V, big, "signed", mutate=set_sig(1, "0" * 64))),
        ("bad final-chunk signature", 403, "SignatureDoesNotMatch", None,
         lambda: ep.streaming(B, V, big, "signed", mutate=set_sig(-1, "ab" * 32))),
        ("chunk signatures out of order (1st and 2nd swapped)", 403, "SignatureDoesNotMatch", None,
         lambda: ep.streaming(B, V, big, "signed", mutate=lambda p: p.__setitem__(slice(0, 2), [
             dict(p[0], sig=p[1]["sig"]), dict(p[1], sig=p[0]["sig"])]))),
        ("missing final chunk (signed stream)", 400, "IncompleteBody", None,
         lambda: ep.streaming(B, V, big, "signed", mutate=drop_final)),
        ("missing final chunk and trailer (unsigned trailer)", 400, "IncompleteBody", None,
         lambda: ep.streaming(B, V, big, "unsigned-trailer", mutate=drop_final)),
        ("tampered chunk data (unsigned trailer: CRC32 catches it)", 400, "BadDigest", None,
         lambda: ep.streaming(B, V, big, "unsigned-trailer", mutate=tamper_data)),
        ("wrong trailer checksum (unsigned trailer)", 400, "BadDigest", None,
         lambda: ep.streaming(B, V, big, "unsigned-trailer", mutate=wrong_trailer)),
        ("wrong trailer checksum, trailer signature valid for it", 400, "BadDigest", None,
         lambda: ep.streaming(B, V, big, "signed-trailer", date=date_fixed, mutate=wrong_trailer_resigned)),
        ("wrong trailer checksum, trailer signature now wrong", 403, "SignatureDoesNotMatch", None,
         lambda: ep.streaming(B, V, big, "signed-trailer", mutate=wrong_trailer)),
        ("bad trailer signature", 403, "SignatureDoesNotMatch", None,
         lambda: ep.streaming(B, V, big, "signed-trailer", mutate=lambda p: p[-1].__setitem__("sig", "1" * 64))),
        ("x-amz-decoded-content-length too large", 400, "IncompleteBody", None,
         lambda: ep.streaming(B, V, big, "signed", decoded_len=len(big) + 10)),
        ("x-amz-decoded-content-length too small", 400, "IncompleteBody", None,
         lambda: ep.streaming(B, V, big, "signed", decoded_len=len(big) - 10)),
        ("x-amz-decoded-content-length too small (unsigned trailer)", 400, "IncompleteBody", None,
         lambda: ep.streaming(B, V, big, "unsigned-trailer", decoded_len=len(big) - 1)),
        ("payload differs from x-amz-content-sha256", 400, "XAmzContentSHA256Mismatch", None,
         lambda: ep.signed("PUT", B, V, big, payload_hash=hashlib.sha256(big + b"x").hexdigest())),
        ("wrong x-amz-checksum-crc32 header", 400, "BadDigest", None,
         lambda: ep.signed("PUT", B, V, big, extra={"x-amz-checksum-crc32": crc32_b64(b"other")})),
        ("wrong Content-MD5", 400, "BadDigest", None,
         lambda: ep.signed("PUT", B, V, big, extra={"content-md5": binascii.b2a_base64(
             hashlib.md5(b"other").digest(), newline=False).decode()})),
        ("expired presigned PUT", 403, "AccessDenied", "Request has expired",
         lambda: ep.send("PUT", ep.path(B, V), {"host": ep.hostport}, b"new data",
                         query=s.presign("PUT", ep.path(B, V), ep.hostport, expired, 60))),
        ("expired presigned GET", 403, "AccessDenied", "Request has expired",
         lambda: ep.send("GET", ep.path(B, V), {"host": ep.hostport},
                         query=s.presign("GET", ep.path(B, V), ep.hostport, expired, 3600))),
        ("wrong region (Authorization header)", 400, "AuthorizationHeaderMalformed", other_region,
         lambda: ep.signed("PUT", B, V, b"new data", region=other_region)),
        ("wrong region (presigned PUT)", 400, "AuthorizationHeaderMalformed", other_region,
         lambda: ep.send("PUT", ep.path(B, V), {"host": ep.hostport}, b"new data",
                         query=s.presign("PUT", ep.path(B, V), ep.hostport, amz_now(), 300, region=other_region))),
        ("x-amz-date 20 min in the past", 403, "RequestTimeTooSkewed", None,
         lambda: ep.signed("PUT", B, V, b"new data", date=amz_now(-1200))),
        ("x-amz-date 20 min in the future", 403, "RequestTimeTooSkewed", None,
         lambda: ep.signed("PUT", B, V, b"new data", date=amz_now(1200))),
        ("streaming PUT, x-amz-date 20 min off", 403, "RequestTimeTooSkewed", None,
         lambda: ep.streaming(B, V, big, "signed", date=amz_now(-1200))),
        ("wrong secret key", 403, "SignatureDoesNotMatch", None,
         lambda: Endpoint(a.endpoint, Signer(a.access_key, a.secret_key + "x", a.region)).signed("PUT", B, V, b"new")),
        ("unknown access key", 403, "InvalidAccessKeyId", None,
         lambda: Endpoint(a.endpoint, Signer("AKIANOSUCHKEY0000000", a.secret_key, a.region)).signed("PUT", B, V, b"new")),
    ]
    for name, status, code, msg, fn in cases:
        before = snapshot(a.root)
        try:
            resp = fn()
        except Exception as e:          # a dropped connection is a failure too
            bad(name, "request failed: %r" % e)
            continue
        expect(name + " -> %d %s" % (status, code), resp, status, code, msg)
        after = snapshot(a.root)
        if before == after:
            ok(name + ": data root unchanged")
        else:
            bad(name + ": data root unchanged", diff(before, after))
    got = get_bytes(V)
    if got == old:
        ok("victim object intact after every refused request")
    else:
        bad("victim object intact after every refused request", "%d bytes" % len(got))

    # ---- clean up -----------------------------------------------------------------
    for key in ["control-%d" % i for i in range(len(controls))] + ["control-presigned", V]:
        ep.signed("DELETE", B, key)
    st = ep.signed("DELETE", B)[0]
    if st == 204:
        ok("delete bucket")
    else:
        bad("delete bucket", "HTTP %d" % st)
    return 0


if __name__ == "__main__":
    sys.exit(main())
