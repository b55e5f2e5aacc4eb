"""s3h.py - shared helpers of the hardening suites (standard library only).

A SigV4 signer (header-signed, presigned, aws-chunked chunk and trailer signatures; also
used by tests/integration/auth_neg.py) that signs whatever raw request target it is given (the canonical URI
computed the way s3cgi and S3 do it: literal '/' kept, every segment decoded once and
re-encoded, so raw '..', '%2e', '%c0%ae', '%00' reach the key checks with a valid
signature), a raw-socket HTTP/1.1 client (exact bytes on the wire: duplicated and
mixed-case headers, oversized lines, bogus Content-Length), a tree snapshot (names,
types, modes, sizes, sha256 of every file, symlink targets, xattrs) and
self-describing bodies (a header carrying the body's length and sha256, so any GET can
tell a whole object from a partial one without shared state).

Output convention of every suite: "ok   NAME" / "FAIL NAME: detail" / "skip NAME:
reason" lines (tests/integration/lib.sh count_results).
"""
import datetime
import hashlib
import hmac
import os
import re
import socket
import struct
import sys
import urllib.parse

EMPTY_SHA = hashlib.sha256(b"").hexdigest()


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def ok(name):
    out("ok   %s" % name)


def _name(name):
    # lib.sh count_results splits "FAIL NAME: DETAIL" at the first ": "
    return name.replace(": ", " - ")


def bad(name, why):
    out("FAIL %s: %s" % (_name(name), " ".join(str(why).split())[:600]))


def skip(name, why):
    out("skip %s: %s" % (_name(name), " ".join(str(why).split())[:300]))


def note(line):
    out("     %s" % line)


def amz_now(offset=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset)
    return t.strftime("%Y%m%dT%H%M%SZ")


def q(b, safe="-_.~"):
    """AWS UriEncode of bytes or str."""
    return urllib.parse.quote(b, safe=safe)


def canonical_uri(raw_path):
    """s3cgi/S3 rule: literal '/' separates segments; each segment is decoded once
    and re-encoded (unreserved kept, uppercase hex); no '.'/'//' normalisation."""
    return "/".join(q(urllib.parse.unquote_to_bytes(seg)) for seg in raw_path.split("/"))


def canonical_query(raw_query):
    pairs = []
    if raw_query:
        for item in raw_query.split("&"):
            if not item:
                continue
            n, eq, v = item.partition("=")
            pairs.append((q(urllib.parse.unquote_to_bytes(n)), q(urllib.parse.unquote_to_bytes(v))))
    pairs.sort()
    return "&".join("%s=%s" % p for p in pairs)


class Signer:
    def __init__(self, ak, sk, region):
        self.ak, self.sk, self.region = ak, sk, region

    def key(self, date, region=None):
        k = ("AWS4" + self.sk).encode()
        for part in (date, region or self.region, "s3", "aws4_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        return k

    def scope(self, amz_date, region=None):
        return "%s/%s/s3/aws4_request" % (amz_date[:8], region or self.region)

    def sign(self, method, raw_path, raw_query, headers, payload_hash, amz_date=None, region=None):
        """headers: dict of lowercase names (host included) -> value; adds x-amz-date,
        x-amz-content-sha256 and authorization. Returns the signature."""
        amz_date = amz_date or amz_now()
        headers["x-amz-date"] = amz_date
        headers["x-amz-content-sha256"] = payload_hash
        names = sorted(headers)
        ch = "".join("%s:%s\n" % (n, " ".join(str(headers[n]).split())) for n in names)
        signed = ";".join(names)
        creq = "\n".join([method, canonical_uri(raw_path), canonical_query(raw_query), ch, signed,
                          payload_hash])
        sig = self._signature(creq, amz_date, region)
        headers["authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
            self.ak, self.scope(amz_date, region), signed, sig)
        return sig

    def presign(self, method, raw_path, host, amz_date, expires, region=None):
        """Query string of a presigned URL for raw_path (UNSIGNED-PAYLOAD, only host
        signed); expires goes in as given."""
        cred = "%s/%s" % (self.ak, self.scope(amz_date, region))
        query = "&".join("%s=%s" % (q(k), q(str(v))) for k, v in [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", cred), ("X-Amz-Date", amz_date),
            ("X-Amz-Expires", expires), ("X-Amz-SignedHeaders", "host")])
        creq = "\n".join([method, canonical_uri(raw_path), canonical_query(query), "host:%s\n" % host, "host",
                          "UNSIGNED-PAYLOAD"])
        return query + "&X-Amz-Signature=" + self._signature(creq, amz_date, region)

    def _signature(self, creq, amz_date, region):
        sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, self.scope(amz_date, region),
                         hashlib.sha256(creq.encode()).hexdigest()])
        return hmac.new(self.key(amz_date[:8], region), sts.encode(), hashlib.sha256).hexdigest()

    def trailer_sig(self, amz_date, prev, trailer_lines):
        sts = "\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, self.scope(amz_date), prev,
                         hashlib.sha256(trailer_lines.encode()).hexdigest()])
        return hmac.new(self.key(amz_date[:8]), sts.encode(), hashlib.sha256).hexdigest()

    def chunk_sig(self, amz_date, prev, data):
        sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, self.scope(amz_date), prev, EMPTY_SHA,
                         hashlib.sha256(data).hexdigest()])
        return hmac.new(self.key(amz_date[:8]), sts.encode(), hashlib.sha256).hexdigest()


class Resp:
    def __init__(self, status, headers, body, error=None):
        self.status, self.headers, self.body, self.error = status, headers, body, error

    def code(self):
        m = re.search(rb"<Code>(.*?)</Code>", self.body or b"", re.S)
        return m.group(1).decode("utf-8", "replace") if m else None

    def message(self):
        m = re.search(rb"<Message>(.*?)</Message>", self.body or b"", re.S)
        return m.group(1).decode("utf-8", "replace") if m else None

    def s3xml(self):
        """True when the body is an S3 error document (s3cgi answered, not the web server)."""
        return b"<Error>" in (self.body or b"")

    def __repr__(self):
        if self.error:
            return "no answer (%s)" % self.error
        return "%s %s%s" % (self.status, self.code() or "-",
                            "" if self.s3xml() or self.status < 300 else " (not S3 XML)")


def _read_response(sock, method, limit=64 << 20):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = sock.recv(65536)
        if not d:
            raise ConnectionError("connection closed before the response head (%d bytes)" % len(buf))
        buf += d
        if len(buf) > 1 << 20:
            raise ConnectionError("response head too large")
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    m = re.match(rb"HTTP/1\.[01] (\d{3})", lines[0])
    if not m:
        raise ConnectionError("bad status line %r" % lines[0][:80])
    status = int(m.group(1))
    if status == 100:                       # 100 Continue: the real answer follows
        return _read_response_from(rest, sock, method, limit)
    headers = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(b":")
        k = k.decode("latin-1").strip().lower()
        v = v.decode("latin-1").strip()
        headers[k] = headers[k] + ", " + v if k in headers else v
    if method == "HEAD" or status in (204, 304):
        return status, headers, b""
    if "content-length" in headers:
        n = int(headers["content-length"])
        while len(rest) < n:
            d = sock.recv(1 << 20)
            if not d:
                raise ConnectionError("body cut off after %d of %d bytes (status %d)" % (len(rest), n, status))
            rest += d
        return status, headers, rest[:n]
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = b""
        while True:
            while b"\r\n" not in rest:
                d = sock.recv(1 << 20)
                if not d:
                    raise ConnectionError("chunked body cut off after %d bytes (status %d)" % (len(body), status))
                rest += d
            ln, rest = rest.split(b"\r\n", 1)
            size = int(ln.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                return status, headers, body
            while len(rest) < size + 2:
                d = sock.recv(1 << 20)
                if not d:
                    raise ConnectionError("chunked body cut off after %d bytes (status %d)" % (len(body), status))
                rest += d
            body += rest[:size]
            rest = rest[size + 2:]
            if len(body) > limit:
                raise ConnectionError("response too large")
    while True:
        d = sock.recv(1 << 20)
        if not d:
            return status, headers, rest
        rest += d


def _read_response_from(prefix, sock, method, limit):
    class Pre:
        def __init__(self, data, s):
            self.data, self.s = data, s

        def recv(self, n):
            if self.data:
                d, self.data = self.data[:n], self.data[n:]
                return d
            return self.s.recv(n)
    return _read_response(Pre(prefix, sock), method, limit)


def send_raw(host, port, raw, method="GET", timeout=60, shut_wr=False):
    """Sends raw bytes, returns Resp (error set when no answer came)."""
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        try:
            s.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass                                # refused early: read the answer anyway
        if shut_wr:
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        st, h, b = _read_response(s, method)
        return Resp(st, h, b)
    except (OSError, ConnectionError, ValueError) as e:
        return Resp(None, {}, b"", error=repr(e))
    finally:
        s.close()


class Endpoint:
    def __init__(self, url, ak, sk, region):
        u = urllib.parse.urlsplit(url)
        self.hostport = u.netloc
        self.host, self.port = u.hostname, u.port or 80
        self.prefix = u.path.rstrip("/")
        self.signer = Signer(ak, sk, region)

    def request(self, method, path, query="", body=b"", headers=None, sign=True, payload_hash=None,
                unsigned=None, raw_headers=None, auth_mutate=None, timeout=60, content_length=True,
                amz_date=None, shut_wr=False):
        """One request. path is the raw target below the prefix (sent as is, prefix
        added). headers are signed (lowercase names); unsigned (list of (name, value))
        are sent but not signed; raw_headers (list of raw lines) are appended as is.
        auth_mutate(str) -> str may rewrite the Authorization value after signing."""
        full = self.prefix + path
        own_host = not sign and any(k.lower() == "host" for k, _ in (unsigned or []))
        h = {} if own_host else {"host": self.hostport}
        h.update({k.lower(): v for k, v in (headers or {}).items()})
        if sign:
            ph = payload_hash or hashlib.sha256(body).hexdigest()
            self.signer.sign(method, full, query, h, ph, amz_date)
            if auth_mutate:
                h["authorization"] = auth_mutate(h["authorization"])
        lines = ["%s %s%s HTTP/1.1" % (method, full, "?" + query if query else "")]
        lines += ["%s: %s" % (k, v) for k, v in h.items()]
        lines += ["%s: %s" % (k, v) for k, v in (unsigned or [])]
        lines += list(raw_headers or [])
        if content_length and not any(k.lower() == "content-length" for k, _ in (unsigned or [])) \
                and not any(ln.lower().startswith("content-length:") for ln in (raw_headers or [])):
            lines.append("content-length: %d" % len(body))
        lines.append("connection: close")
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "surrogateescape") + body
        return send_raw(self.host, self.port, raw, method, timeout, shut_wr)

    def get(self, bucket, key, **kw):
        return self.request("GET", "/%s/%s" % (bucket, q(key, "/-_.~")), **kw)

    def put(self, bucket, key, body, **kw):
        return self.request("PUT", "/%s/%s" % (bucket, q(key, "/-_.~")), body=body, **kw)

    def delete(self, bucket, key, **kw):
        return self.request("DELETE", "/%s/%s" % (bucket, q(key, "/-_.~")), **kw)

    def list_keys(self, bucket, prefix=""):
        """All keys of a ListObjectsV2 walk (None on an error)."""
        keys, token = [], None
        for _ in range(1000):
            qs = "list-type=2&max-keys=1000" + ("&prefix=" + q(prefix) if prefix else "")
            if token:
                qs += "&continuation-token=" + q(token)
            r = self.request("GET", "/" + bucket, query=qs)
            if r.status != 200:
                return None
            keys += [html_unescape(k.decode("utf-8", "surrogateescape"))
                     for k in re.findall(rb"<Key>(.*?)</Key>", r.body, re.S)]
            m = re.search(rb"<NextContinuationToken>(.*?)</NextContinuationToken>", r.body)
            if b"<IsTruncated>true</IsTruncated>" not in r.body or not m:
                return keys
            token = html_unescape(m.group(1).decode())
        return keys


def html_unescape(s):
    return (s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
            .replace("&#13;", "\r").replace("&#10;", "\n").replace("&#9;", "\t").replace("&amp;", "&"))


# ---- self-describing bodies ------------------------------------------------------
MAGIC = b"S3HB"
HDR = 4 + 8 + 32


def make_body(size, rnd=None):
    """A body of size bytes (>= HDR) whose first HDR bytes give its length and the
    sha256 of the rest."""
    size = max(size, HDR + 1)
    payload = (rnd or os.urandom)(size - HDR)
    return MAGIC + struct.pack(">Q", size) + hashlib.sha256(payload).digest() + payload


def body_whole(b):
    """True when b is a whole self-describing body."""
    if len(b) < HDR or b[:4] != MAGIC:
        return False
    n = struct.unpack(">Q", b[4:12])[0]
    return n == len(b) and hashlib.sha256(b[HDR:]).digest() == b[12:HDR]


def sha(b):
    return hashlib.sha256(b).hexdigest()


# ---- tree snapshot -----------------------------------------------------------------
class Snapshotter:
    """snapshot(root) -> dict relpath -> (kind, mode, size, sha256|link target, xattrs).
    Excludes root/.s3cgi/tmp (scratch by design). File hashes are cached by
    (dev, ino, size, mtime_ns, ctime_ns): any write or xattr change moves ctime, which
    user space cannot set back, so a cache hit means unchanged content."""

    # scratch space, not data: temp files, and the multipart trash (parts a Complete
    # or an Abort dropped, freed a bounded amount per request; lib/multipart.h)
    def __init__(self, exclude=(".s3cgi/tmp", ".s3cgi/multipart/.trash")):
        self.cache = {}
        self.exclude = set(exclude)

    def file_sha(self, path, st):
        k = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        if k not in self.cache:
            h = hashlib.sha256()
            try:
                with open(path, "rb", buffering=0) as f:
                    for b in iter(lambda: f.read(1 << 20), b""):
                        h.update(b)
            except OSError as e:
                return "unreadable:%s" % e.errno
            self.cache[k] = h.hexdigest()
        return self.cache[k]

    def snapshot(self, root):
        snap = {}
        stack = [""]
        while stack:
            rel = stack.pop()
            base = os.path.join(root, rel) if rel else root
            try:
                names = os.listdir(base)
            except OSError as e:
                snap[rel + "/"] = ("unlistable", e.errno)
                continue
            for name in names:
                r = rel + "/" + name if rel else name
                if r in self.exclude:
                    continue
                full = os.path.join(base, name)
                try:
                    st = os.lstat(full)
                except FileNotFoundError:
                    continue
                try:
                    xa = tuple(sorted((a, os.getxattr(full, a, follow_symlinks=False))
                                      for a in os.listxattr(full, follow_symlinks=False)))
                except OSError:
                    xa = ()
                mode = st.st_mode
                if os.path.stat.S_ISDIR(mode):
                    snap[r] = ("dir", mode, 0, None, xa)
                    stack.append(r)
                elif os.path.stat.S_ISLNK(mode):
                    snap[r] = ("link", mode, 0, os.readlink(full), xa)
                elif os.path.stat.S_ISREG(mode):
                    snap[r] = ("file", mode, st.st_size, self.file_sha(full, st), xa)
                else:
                    snap[r] = ("other", mode, 0, None, xa)
        return snap


def diff(a, b, limit=6):
    outl = []
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            outl.append("%s %s" % ("added" if k not in a else "removed" if k not in b else "changed", k))
    return ", ".join(outl[:limit]) + (" (+%d more)" % (len(outl) - limit) if len(outl) > limit else "")
