#!/usr/bin/python3
"""bench/streaming_put.py - what signing every chunk costs on a large PutObject.

    bench/streaming_put.py --endpoint http://127.0.0.1:8080 --access-key AK --secret-key SK
                           [--region us-east-1] [--bucket bench-streaming] [--size-mib 1024]
                           [--chunk 65536] [--runs 3]

Against a running s3cgi endpoint (e.g. one started by s3cgi-serve), PUTs the same body
of --size-mib MiB twice per run, side by side: once as STREAMING-AWS4-HMAC-SHA256-PAYLOAD
(aws-chunked, --chunk bytes per chunk, every chunk signed and verified by the server:
SHA-256 of each chunk and an HMAC chain) and once as UNSIGNED-PAYLOAD (the raw body; the
server then only computes the MD5 for the ETag). Prints each run, the median of each form
and the ratio streaming/unsigned. A figure, not a test; it still checks every answer is
200 with the ETag of the body, so nothing is timed that did not really store the data.

Every PUT starts on an empty key after a sync(2), the order alternating between runs.
Client-side cost is kept out of the timing: the body is one random MiB repeated, every
chunk's signature is computed before the clock starts, and during the PUT the client only
copies bytes into the socket. Standard library only (hashlib/hmac/http.client).
"""
import argparse
import datetime
import hashlib
import hmac
import http.client
import os
import statistics
import sys
import time
import urllib.parse

EMPTY_SHA = hashlib.sha256(b"").hexdigest()
BLOCK = 1 << 20     # the body is one random MiB repeated


def key_for(sk, date, region):
    k = ("AWS4" + sk).encode()
    for part in (date, region, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def auth_headers(a, host, method, path, payload_hash, extra):
    """SigV4 header signing (path already URI-safe: bucket and key are plain ASCII)."""
    amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    h = {"host": host, "x-amz-date": amz_date, "x-amz-content-sha256": payload_hash}
    h.update(extra)
    names = sorted(h)
    creq = "\n".join([method, path, "", "".join("%s:%s\n" % (n, h[n]) for n in names), ";".join(names), payload_hash])
    scope = "%s/%s/s3/aws4_request" % (amz_date[:8], a.region)
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])
    skey = key_for(a.secret_key, amz_date[:8], a.region)
    sig = hmac.new(skey, sts.encode(), hashlib.sha256).hexdigest()
    h["authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        a.access_key, scope, ";".join(names), sig)
    return h, sig, amz_date, scope, skey


def request(ep, method, path, headers, body_iter=()):
    c = http.client.HTTPConnection(ep.hostname, ep.port or 80, timeout=600)
    try:
        c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for k, v in headers.items():
            c.putheader(k, v)
        c.endheaders()
        for piece in body_iter:
            c.sock.sendall(piece)
        r = c.getresponse()
        return r.status, r.getheader("etag", ""), r.read()
    finally:
        c.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--access-key", required=True)
    ap.add_argument("--secret-key", required=True)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--bucket", default="bench-streaming")
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--chunk", type=int, default=65536)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    if a.chunk < 8192 or BLOCK % a.chunk:
        sys.exit("--chunk: at least 8192 and a divisor of 1 MiB")
    ep = urllib.parse.urlsplit(a.endpoint)
    host, prefix = ep.netloc, ep.path.rstrip("/")
    size = a.size_mib * BLOCK
    block = os.urandom(BLOCK)
    nchunks = size // a.chunk
    per_block = BLOCK // a.chunk
    chunk_sha = [hashlib.sha256(block[i * a.chunk:(i + 1) * a.chunk]).hexdigest() for i in range(per_block)]
    md5 = hashlib.md5()
    for _ in range(a.size_mib):
        md5.update(block)
    want_etag = '"%s"' % md5.hexdigest()

    bpath = "%s/%s" % (prefix, a.bucket)
    st, _, body = request(ep, "PUT", bpath, auth_headers(a, host, "PUT", bpath, EMPTY_SHA, {})[0])
    if st not in (200, 409):
        sys.exit("create bucket %s: HTTP %d %s" % (a.bucket, st, body[:200]))
    kpath = bpath + "/big.bin"

    def streaming_put():
        # framing length: per chunk "<hex>;chunk-signature=<64>\r\n" + data + "\r\n"
        line_len = len("%x" % a.chunk) + len(";chunk-signature=") + 64 + 2
        final_len = len("0;chunk-signature=") + 64 + 4
        clen = nchunks * (line_len + a.chunk + 2) + final_len
        h, prev, amz_date, scope, skey = auth_headers(
            a, host, "PUT", kpath, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            {"content-encoding": "aws-chunked", "x-amz-decoded-content-length": str(size),
             "content-length": str(clen)})
        head = "AWS4-HMAC-SHA256-PAYLOAD\n%s\n%s\n" % (amz_date, scope)
        lines = []
        for i in range(nchunks + 1):       # every signature before the clock starts
            d = chunk_sha[i % per_block] if i < nchunks else EMPTY_SHA
            prev = hmac.new(skey, ("%s%s\n%s\n%s" % (head, prev, EMPTY_SHA, d)).encode(), hashlib.sha256).hexdigest()
            lines.append(("%x;chunk-signature=%s\r\n" % (a.chunk if i < nchunks else 0, prev)).encode())

        def body():
            for b in range(a.size_mib):
                parts = []
                for j in range(per_block):
                    parts += [lines[b * per_block + j], block[j * a.chunk:(j + 1) * a.chunk], b"\r\n"]
                yield b"".join(parts)
            yield lines[-1] + b"\r\n"
        t = time.perf_counter()
        r = request(ep, "PUT", kpath, h, body())
        return time.perf_counter() - t, r

    def unsigned_put():
        h = auth_headers(a, host, "PUT", kpath, "UNSIGNED-PAYLOAD", {"content-length": str(size)})[0]
        t = time.perf_counter()
        r = request(ep, "PUT", kpath, h, (block for _ in range(a.size_mib)))
        return time.perf_counter() - t, r

    print("PUT of %d MiB to %s: STREAMING-AWS4-HMAC-SHA256-PAYLOAD (%d-byte chunks, %d signed) vs UNSIGNED-PAYLOAD"
          % (a.size_mib, a.endpoint, a.chunk, nchunks + 1), flush=True)
    times = {"streaming": [], "unsigned": []}
    forms = [("streaming", streaming_put), ("unsigned", unsigned_put)]
    for run in range(a.runs):
        # each PUT starts from the same state: no object to replace (freeing 1 GiB
        # of extents would land in the timed PUT), no dirty pages of the previous
        # one still being written back; the order alternates between runs
        for name, fn in (forms if run % 2 == 0 else forms[::-1]):
            request(ep, "DELETE", kpath, auth_headers(a, host, "DELETE", kpath, EMPTY_SHA, {})[0])
            os.sync()
            secs, (st, etag, body) = fn()
            if st != 200 or etag != want_etag:
                sys.exit("%s PUT: HTTP %d, ETag %s (want %s): %s" % (name, st, etag, want_etag, body[:300]))
            times[name].append(secs)
            print("  run %d  %-9s %7.2f s  %7.1f MiB/s" % (run + 1, name, secs, a.size_mib / secs), flush=True)
    ms, mu = statistics.median(times["streaming"]), statistics.median(times["unsigned"])
    print("median   streaming %.2f s (%.1f MiB/s), unsigned %.2f s (%.1f MiB/s)" % (ms, a.size_mib / ms, mu, a.size_mib / mu))
    print("ratio    streaming/unsigned = %.2f" % (ms / mu))
    request(ep, "DELETE", kpath, auth_headers(a, host, "DELETE", kpath, EMPTY_SHA, {})[0])
    request(ep, "DELETE", bpath, auth_headers(a, host, "DELETE", bpath, EMPTY_SHA, {})[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
